/*
 * SsdMobilenetv1 (agent/face-ssd.c): TensorFlow SAME padding, construction
 * failures on bad weights and detection on a demo image. Equivalence with
 * face-api is test-equiv's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "face.h"
#include "test.h"

static struct nn_scratch scratch;
#include "xmalloc.h"

#define SSD_MODEL	"ssd_mobilenetv1_model"
#define TOL_RAW		1e-4	/* raw boxes (fractions) and scores */
#define TOL_SCORE	1e-4
#define TOL_PIXELS	0.01

/* Reads the whole of PATH; NULL if it cannot. */
/* Loads the SSD weights, or skips the test. */
static struct weights *
load_ssd(void)
{
	struct weights	*w;
	char		*cause = NULL;

	if (weights_load(test_models_dir(), SSD_MODEL, &w, &cause) != 0) {
		test_skip("%s", cause);
		free(cause);
		return NULL;
	}
	return w;
}

/* Builds the detector from the model files, or skips the test. */
static struct ssd_detector *
new_ssd(void)
{
	struct ssd_detector	*det;
	struct weights		*w;
	char			*cause = NULL;

	if (nn_init(&cause) != 0) {
		test_skip("%s", cause);
		free(cause);
		return NULL;
	}
	if ((w = load_ssd()) == NULL)
		return NULL;
	det = ssd_detector_new(w, &scratch);
	CHECK(det != NULL);
	CHECK(w->error == NULL);
	weights_free(w);
	return det;
}

/*
 * A 3x3 stride-2 SAME conv on 2x2 (the shape of F5) gives 1x1 and pads
 * only at the bottom/right, as TensorFlow: the window covers rows and
 * columns 0..2, not -1..1.
 */
TEST(test_same_padding)
{
	float			 filters[9], in[4] = { 1, 10, 100, 1000 };
	struct nn_tensor	 x = { 0 }, y = { 0 };
	struct nn_op		*op;
	char			*cause = NULL;
	int			 i;

	CHECK_INT(nn_init(&cause), 0);
	free(cause);
	for (i = 0; i < 9; i++)
		filters[i] = (float)(i + 1);
	op = nn_conv_new(filters, NULL, 3, 1, 1, 2, NN_PAD_SAME, -INFINITY,
	    INFINITY);
	CHECK(op != NULL);
	if (op == NULL)
		return;
	nn_tensor_reserve(&x, 2, 2, 1);
	memcpy(x.data, in, sizeof in);
	CHECK_INT(nn_run(op, &x, &y, NULL), 0);
	CHECK_INT(y.h, 1);
	CHECK_INT(y.w, 1);
	/* 1*1 + 2*10 + 4*100 + 5*1000; padding 1/1 would give 9865. */
	CHECK_NEAR(y.data[0], 5421, 0);
	nn_op_free(op);
	nn_tensor_release(&x);
	nn_tensor_release(&y);
}

/* A manifest without most tensors: NULL, with the first one named. */
TEST(test_missing_tiny)
{
	static const char manifest[] = "[{\"paths\": [\"x.bin\"], "
	    "\"weights\": [{\"name\": \"MobilenetV1/Conv2d_0_pointwise/"
	    "weightz\", \"shape\": [3, 3, 3, 32], \"dtype\": \"float32\", "
	    "\"quantization\": {\"dtype\": \"uint8\", \"scale\": 1, "
	    "\"min\": 0}}]}]";
	uint8_t		 bin[3 * 3 * 3 * 32] = { 0 };
	struct weights	*w;
	char		*cause = NULL;

	CHECK_INT(nn_init(&cause), 0);
	free(cause);
	CHECK_INT(weights_parse(SSD_MODEL, manifest, strlen(manifest), bin,
	    sizeof bin, &w, &cause), 0);
	if (w == NULL) {
		free(cause);
		return;
	}
	CHECK(ssd_detector_new(w, &scratch) == NULL);
	CHECK(w->error != NULL);
	CHECK(w->error != NULL && strstr(w->error,
	    "MobilenetV1/Conv2d_0_pointwise/weights") != NULL);
	weights_free(w);
}

/*
 * The real weights with one entry renamed, late in construction or in
 * the middle: every operator built before it must be freed
 * (LeakSanitizer checks under SAN=1).
 */
TEST(test_missing_late)
{
	static const char *const names[] = {
		"Prediction/BoxPredictor_5/ClassPredictor/biases",
		"MobilenetV1/Conv2d_7_depthwise/BatchNorm/gamma",
		"Output/extra_dim",
	};
	struct weights	*w;
	char		*path, *manifest, *bin, *quoted, *p, *cause = NULL;
	size_t		 mlen, blen, i, last;

	CHECK_INT(nn_init(&cause), 0);
	free(cause);
	xasprintf(&path, "%s/%s-weights_manifest.json", test_models_dir(),
	    SSD_MODEL);
	manifest = test_read_file(path, &mlen);
	free(path);
	xasprintf(&path, "%s/%s.bin", test_models_dir(), SSD_MODEL);
	bin = test_read_file(path, &blen);
	free(path);
	if (manifest == NULL || bin == NULL) {
		test_skip("no %s in %s", SSD_MODEL, test_models_dir());
		goto out;
	}
	for (i = 0; i < sizeof names / sizeof names[0]; i++) {
		xasprintf(&quoted, "\"%s\"", names[i]);
		p = strstr(manifest, quoted);
		free(quoted);
		CHECK(p != NULL);
		if (p == NULL)
			continue;
		/* Flip the case of the last letter: "...biaseS". */
		last = strlen(names[i]);
		p[last] ^= 0x20;
		CHECK_INT(weights_parse(SSD_MODEL, manifest, mlen,
		    (const uint8_t *)bin, blen, &w, &cause), 0);
		p[last] ^= 0x20;
		if (w == NULL) {
			free(cause);
			continue;
		}
		CHECK(ssd_detector_new(w, &scratch) == NULL);
		CHECK(w->error != NULL && strstr(w->error, names[i]) != NULL);
		weights_free(w);
	}
out:
	free(manifest);
	free(bin);
}

/* Seconds between two monotonic times. */
static double
elapsed(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) +
	    (double)(b->tv_nsec - a->tv_nsec) / 1e9;
}

/* The faces of sample1: a few, confident, inside the image. */
TEST(test_detect_sample)
{
	struct ssd_detector	*det;
	struct image		*img = NULL;
	struct face_box		*fb = NULL;
	struct nn_tensor	 in = { 0 };
	struct timespec		 t0, t1;
	float			*boxes, *scores;
	char			*path, *cause = NULL;
	int			 n, i, runs = 3;
	double			 best = 1e9;

	if ((det = new_ssd()) == NULL)
		return;
	xasprintf(&path, "%s/demo/sample1.jpg", test_models_dir());
	if (image_load(path, IMAGE_MAX_PIXELS, &img, &cause) != 0) {
		test_skip("%s", cause);
		free(cause);
		free(path);
		ssd_detector_free(det);
		return;
	}
	free(path);

	CHECK_INT(ssd_detector_detect(det, img, 0.5, 100, &fb, &n, NULL), 0);
	printf("sample1 (%dx%d): %d faces\n", img->w, img->h, n);
	CHECK(n >= 1 && n <= 20);
	for (i = 0; i < n; i++) {
		printf("  %.4f  x %.2f y %.2f w %.2f h %.2f\n", fb[i].score,
		    fb[i].x, fb[i].y, fb[i].w, fb[i].h);
		CHECK(fb[i].score > 0.5 && fb[i].score <= 1);
		if (i > 0)
			CHECK(fb[i].score <= fb[i - 1].score);
		CHECK(fb[i].x >= 0 && fb[i].y >= 0);
		CHECK(fb[i].w > 0 && fb[i].h > 0);
		/* The padded axis may pass the edge by the rounding. */
		CHECK(fb[i].x + fb[i].w <= img->w + 1.0);
		CHECK(fb[i].y + fb[i].h <= img->h + 1.0);
	}
	free(fb);

	/* max_results caps the picks; a threshold of 1 keeps nothing. */
	CHECK_INT(ssd_detector_detect(det, img, 0.5, 1, &fb, &n, NULL), 0);
	CHECK_INT(n, 1);
	free(fb);
	CHECK_INT(ssd_detector_detect(det, img, 1.0, 100, &fb, &n, NULL), 0);
	CHECK_INT(n, 0);
	free(fb);

	/* One forward pass, one thread. */
	nn_tensor_reserve(&in, SSD_INPUT_SIZE, SSD_INPUT_SIZE, 3);
	for (i = 0; i < SSD_INPUT_SIZE * SSD_INPUT_SIZE * 3; i++)
		in.data[i] = 0;
	boxes = xreallocarray(NULL, SSD_ANCHORS * 4, sizeof *boxes);
	scores = xreallocarray(NULL, SSD_ANCHORS, sizeof *scores);
	for (i = 0; i < runs; i++) {
		clock_gettime(CLOCK_MONOTONIC, &t0);
		CHECK_INT(ssd_detector_forward(det, &in, boxes, scores, NULL),
		    0);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		if (elapsed(&t0, &t1) < best)
			best = elapsed(&t0, &t1);
	}
	printf("forward pass, 1 thread: %.1f ms (best of %d)\n", best * 1e3,
	    runs);
	free(boxes);
	free(scores);
	nn_tensor_release(&in);
	image_free(img);
	ssd_detector_free(det);
}

int
main(void)
{
	RUN(test_same_padding);
	RUN(test_missing_tiny);
	RUN(test_missing_late);
	RUN(test_detect_sample);
	nn_scratch_release(&scratch);
	return test_main_end("test-ssd");
}
