/*
 * Equivalence with face-api itself: tests/fixtures/reference.json holds
 * face-api 1.7.15's outputs (tests/reference/gen-fixtures.js) on the very
 * pixels libjpeg-turbo decodes from the demo images, whole or cropped.
 * Pipeline cases must agree in count and order, scores within 1e-4,
 * boxes and landmarks within 0.01 px, descriptors within 1e-4; each net
 * alone must map its exact input tensor to face-api's output. Cases run
 * on face-api's own JPEG decoder (jpeg-js) are reported, not asserted.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>
#include <openssl/evp.h>

#include "face.h"
#include "xmalloc.h"
#include "test.h"

#define FIXTURE		"tests/fixtures/reference.json"
#define TOL_SCORE	1e-4
#define TOL_PIXELS	0.01
#define TOL_DESCRIPTOR	1e-4
/* Raw network outputs (logits, relative coordinates) in isolation. */
#define TOL_RAW		1e-4

static cJSON	*fixture;

struct engine_slot {
	char			 key[64];
	struct face_engine	*fe;
};
static struct engine_slot engines[16];

/* Loads and parses the fixture once. */
static cJSON *
load_fixture(void)
{
	char	*buf;
	size_t	 len;

	if (fixture == NULL && (buf = test_read_file(FIXTURE, &len)) != NULL) {
		fixture = cJSON_ParseWithLength(buf, len);
		free(buf);
	}
	return fixture;
}

static const cJSON *
get(const cJSON *o, const char *name)
{
	return cJSON_GetObjectItemCaseSensitive(o, name);
}

static double
num(const cJSON *o, const char *name, double def)
{
	const cJSON	*v = get(o, name);

	return cJSON_IsNumber(v) ? v->valuedouble : def;
}

/* SHA-256 of an image's RGB bytes, as hex. */
static void
image_sha256(const struct image *img, char hex[65])
{
	unsigned char	md[32];
	unsigned int	len = 0;
	int		i;

	EVP_Digest(img->rgb, (size_t)img->w * img->h * 3, md, &len,
	    EVP_sha256(), NULL);
	for (i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
}

/*
 * The input image of case C: the demo image decoded by libjpeg-turbo and
 * cropped, checked against the fixture's pixel hash.
 */
static struct image *
case_image(const cJSON *c, int check_hash)
{
	const cJSON	*crop = get(c, "crop"), *src = get(c, "source");
	const cJSON	*sha = get(c, "pixels_sha256");
	struct image	*img, *cropped;
	char		 path[512], hex[65], *cause = NULL;

	snprintf(path, sizeof path, "%s/demo/%s", test_models_dir(),
	    src->valuestring);
	if (image_load(path, IMAGE_MAX_PIXELS, &img, &cause) != 0) {
		fprintf(stderr, "%s\n", cause);
		free(cause);
		return NULL;
	}
	if (cJSON_IsArray(crop)) {
		cropped = image_crop(img,
		    cJSON_GetArrayItem(crop, 0)->valueint,
		    cJSON_GetArrayItem(crop, 1)->valueint,
		    cJSON_GetArrayItem(crop, 2)->valueint,
		    cJSON_GetArrayItem(crop, 3)->valueint);
		image_free(img);
		img = cropped;
		if (img == NULL)
			return NULL;
	}
	image_sha256(img, hex);
	if (check_hash && (!cJSON_IsString(sha) ||
	    strcmp(hex, sha->valuestring) != 0)) {
		fprintf(stderr, "%s: decoded pixels differ from the fixture's "
		    "(libjpeg-turbo version?)\n", get(c, "name")->valuestring);
		image_free(img);
		return NULL;
	}
	return img;
}

/* An engine for case C's options, loaded once per configuration. */
static struct face_engine *
case_engine(const cJSON *c)
{
	struct face_engine_opts	 o;
	char			 key[64], *cause = NULL;
	size_t			 i;

	face_engine_default_opts(&o);
	o.detector = strcmp(get(c, "detector")->valuestring, "ssd") == 0 ?
	    FACE_DETECTOR_SSD : FACE_DETECTOR_TINY;
	o.input_size = (int)num(c, "input_size", 416);
	if (o.detector == FACE_DETECTOR_SSD)
		o.input_size = 416;
	o.min_score = num(c, "min_score", 0.5);
	o.max_results = (int)num(c, "max_results", 100);
	o.tiny_landmarks = cJSON_IsString(get(c, "landmarks")) &&
	    strcmp(get(c, "landmarks")->valuestring, "tiny") == 0;
	snprintf(key, sizeof key, "%d/%d/%g/%d/%d", o.detector, o.input_size,
	    o.min_score, o.max_results, o.tiny_landmarks);
	for (i = 0; i < sizeof engines / sizeof engines[0]; i++) {
		if (engines[i].fe != NULL && strcmp(engines[i].key, key) == 0)
			return engines[i].fe;
		if (engines[i].fe == NULL) {
			engines[i].fe = face_engine_new(test_models_dir(), &o,
			    &cause);
			if (engines[i].fe == NULL) {
				fprintf(stderr, "%s\n", cause);
				free(cause);
				return NULL;
			}
			snprintf(engines[i].key, sizeof engines[i].key, "%s",
			    key);
			return engines[i].fe;
		}
	}
	return NULL;
}

struct spread {
	double	score;
	double	box;
	double	landmark;
	double	descriptor;	/* max-abs */
	double	descriptor_l2;
};

/* Compares our faces with the fixture's, widening S by the differences. */
static int
compare_faces(const struct face *f, int n, const cJSON *ref,
    struct spread *s)
{
	const cJSON	*rf, *a;
	double		 d, l2;
	int		 i, k;

	if (cJSON_GetArraySize(ref) != n)
		return -1;
	for (i = 0; i < n; i++) {
		rf = cJSON_GetArrayItem(ref, i);
		s->score = fmax(s->score, fabs(f[i].box.score -
		    num(rf, "score", NAN)));
		a = get(rf, "box");
		s->box = fmax(s->box, fabs(f[i].box.x -
		    cJSON_GetArrayItem(a, 0)->valuedouble));
		s->box = fmax(s->box, fabs(f[i].box.y -
		    cJSON_GetArrayItem(a, 1)->valuedouble));
		s->box = fmax(s->box, fabs(f[i].box.w -
		    cJSON_GetArrayItem(a, 2)->valuedouble));
		s->box = fmax(s->box, fabs(f[i].box.h -
		    cJSON_GetArrayItem(a, 3)->valuedouble));
		a = get(rf, "landmarks");
		for (k = 0; k < FACE_LANDMARKS; k++) {
			const cJSON *pt = cJSON_GetArrayItem(a, k);

			s->landmark = fmax(s->landmark, fabs(f[i].landmarks[k][0]
			    - cJSON_GetArrayItem(pt, 0)->valuedouble));
			s->landmark = fmax(s->landmark, fabs(f[i].landmarks[k][1]
			    - cJSON_GetArrayItem(pt, 1)->valuedouble));
		}
		a = get(rf, "descriptor");
		l2 = 0;
		for (k = 0; k < FACE_DESCRIPTOR; k++) {
			d = f[i].descriptor[k] -
			    cJSON_GetArrayItem(a, k)->valuedouble;
			s->descriptor = fmax(s->descriptor, fabs(d));
			l2 += d * d;
		}
		s->descriptor_l2 = fmax(s->descriptor_l2, sqrt(l2));
	}
	return 0;
}

/* Whether case C ran on face-api's own JPEG decoder rather than ours. */
static int
case_is_jpegjs(const cJSON *c)
{
	const cJSON	*d = get(c, "decoder");

	return cJSON_IsString(d) && strcmp(d->valuestring, "jpeg-js") == 0;
}

/*
 * Runs pipeline case C on libjpeg-turbo's pixels; returns 0 and widens S,
 * or -1 on a failure or a different face count.
 */
static int
run_case(const cJSON *c, struct spread *s, int *nours, int *nref)
{
	struct face_engine	*fe;
	struct image		*img = NULL;
	struct face		*faces = NULL;
	char			*cause = NULL;
	int			 n = 0, r = -1;

	*nours = -1;
	*nref = cJSON_GetArraySize(get(c, "faces"));
	if ((img = case_image(c, !case_is_jpegjs(c))) == NULL ||
	    (fe = case_engine(c)) == NULL)
		goto out;
	if (face_engine_analyze(fe, img, &faces, &n, &cause) != 0) {
		fprintf(stderr, "%s\n", cause);
		free(cause);
		goto out;
	}
	*nours = n;
	r = compare_faces(faces, n, get(c, "faces"), s);
out:
	free(faces);
	image_free(img);
	return r;
}

/* Every pipeline case on libjpeg-turbo's pixels, both detectors. */
TEST(test_pipeline)
{
	const cJSON	*c;
	struct spread	 all = { 0, 0, 0, 0, 0 }, s;
	int		 ncases = 0, nfaces = 0, nours, nref;

	if (load_fixture() == NULL) {
		fprintf(stderr, "%s: missing or not JSON\n", FIXTURE);
		CHECK(0);
		return;
	}
	cJSON_ArrayForEach(c, get(fixture, "cases")) {
		if (case_is_jpegjs(c))
			continue;
		memset(&s, 0, sizeof s);
		if (run_case(c, &s, &nours, &nref) != 0) {
			fprintf(stderr, "%s: %d faces, face-api %d\n",
			    get(c, "name")->valuestring, nours, nref);
			CHECK(0);
			continue;
		}
		if (s.score > TOL_SCORE || s.box > TOL_PIXELS ||
		    s.landmark > TOL_PIXELS || s.descriptor > TOL_DESCRIPTOR)
			fprintf(stderr, "%s: score %.3g box %.3g landmark %.3g "
			    "descriptor %.3g\n", get(c, "name")->valuestring,
			    s.score, s.box, s.landmark, s.descriptor);
		CHECK(s.score <= TOL_SCORE);
		CHECK(s.box <= TOL_PIXELS);
		CHECK(s.landmark <= TOL_PIXELS);
		CHECK(s.descriptor <= TOL_DESCRIPTOR);
		all.score = fmax(all.score, s.score);
		all.box = fmax(all.box, s.box);
		all.landmark = fmax(all.landmark, s.landmark);
		all.descriptor = fmax(all.descriptor, s.descriptor);
		ncases++;
		nfaces += nref;
	}
	CHECK(ncases > 0);
	fprintf(stderr, "equivalence: %d cases, %d faces; max differences: "
	    "score %.2g, box %.2g px, landmarks %.2g px, descriptor %.2g\n",
	    ncases, nfaces, all.score, all.box, all.landmark, all.descriptor);
}

/* The spread between JPEG decoders, reported only. */
TEST(test_decoder_spread)
{
	const cJSON	*c;
	struct spread	 all = { 0, 0, 0, 0, 0 }, s;
	int		 ncases = 0, ncount = 0, nours, nref;

	if (load_fixture() == NULL) {
		fprintf(stderr, "%s: missing or not JSON\n", FIXTURE);
		CHECK(0);
		return;
	}
	cJSON_ArrayForEach(c, get(fixture, "cases")) {
		if (!case_is_jpegjs(c))
			continue;
		memset(&s, 0, sizeof s);
		if (run_case(c, &s, &nours, &nref) != 0) {
			if (nours >= 0)
				ncount++;
			continue;
		}
		all.box = fmax(all.box, s.box);
		all.landmark = fmax(all.landmark, s.landmark);
		all.descriptor_l2 = fmax(all.descriptor_l2, s.descriptor_l2);
		ncases++;
	}
	fprintf(stderr, "libjpeg-turbo vs jpeg-js pixels (reported, not "
	    "asserted): %d cases alike in count, %d differ; max box %.2g px, "
	    "landmarks %.2g px, descriptor L2 %.3g\n", ncases, ncount,
	    all.box, all.landmark, all.descriptor_l2);
}

/* Loads MODEL's weights; NULL with a message on failure. */
static struct weights *
net_weights(const char *model)
{
	struct weights	*w;
	char		*cause = NULL;

	if (weights_load(test_models_dir(), model, &w, &cause) != 0) {
		fprintf(stderr, "%s\n", cause);
		free(cause);
		return NULL;
	}
	return w;
}

/* Largest difference between OUT and the JSON array REF of N numbers. */
static double
max_diff(const float *out, const cJSON *ref, int n)
{
	double	m = 0;
	int	i;

	if (!cJSON_IsArray(ref) || cJSON_GetArraySize(ref) != n)
		return INFINITY;
	for (i = 0; i < n; i++)
		m = fmax(m, fabs(out[i] - cJSON_GetArrayItem(ref, i)->valuedouble));
	return m;
}

/* Runs the net of entry E on its exact input; returns the largest error. */
static double
run_net(const cJSON *e)
{
	const char		*net = get(e, "net")->valuestring;
	struct image		*img;
	struct weights		*w = NULL;
	struct nn_tensor	 in = { 0 }, out = { 0 };
	struct nn_scratch	 scratch = { { 0 }, { 0 } };
	struct prep_rect	 whole;
	const struct prep_norm	*norm = &prep_norm_face;
	float			*buf = NULL, *scores = NULL;
	double			 err = INFINITY;

	if ((img = case_image(e, 1)) == NULL)
		return INFINITY;
	whole.x = whole.y = 0;
	whole.w = img->w;
	whole.h = img->h;
	if (strcmp(net, "tiny") == 0)
		norm = &prep_norm_tiny;
	else if (strcmp(net, "ssd") == 0)
		norm = &prep_norm_ssd;
	nn_tensor_reserve(&in, img->h, img->w, 3);
	prep_input(img, &whole, img->w, 0, norm, in.data);

	if (strcmp(net, "tiny") == 0) {
		struct tiny_detector *td;

		if ((w = net_weights("tiny_face_detector_model")) == NULL ||
		    (td = tiny_detector_new(w, &scratch)) == NULL)
			goto out;
		if (tiny_detector_forward(td, &in, &out, NULL) == 0)
			err = max_diff(out.data, get(e, "output"),
			    (int)nn_tensor_size(&out));
		tiny_detector_free(td);
	} else if (strcmp(net, "ssd") == 0) {
		struct ssd_detector *sd;

		if ((w = net_weights("ssd_mobilenetv1_model")) == NULL ||
		    (sd = ssd_detector_new(w, &scratch)) == NULL)
			goto out;
		buf = xcalloc(SSD_ANCHORS * 4, sizeof *buf);
		scores = xcalloc(SSD_ANCHORS, sizeof *scores);
		if (ssd_detector_forward(sd, &in, buf, scores, NULL) == 0)
			err = fmax(max_diff(buf, get(e, "boxes"),
			    SSD_ANCHORS * 4), max_diff(scores, get(e, "scores"),
			    SSD_ANCHORS));
		ssd_detector_free(sd);
	} else if (strncmp(net, "landmark68", 10) == 0) {
		struct landmark_net	*ln;
		int			 tiny = strcmp(net, "landmark68_tiny") == 0;

		if ((w = net_weights(tiny ? "face_landmark_68_tiny_model" :
		    "face_landmark_68_model")) == NULL ||
		    (ln = landmark_net_new(w, tiny)) == NULL)
			goto out;
		buf = xcalloc(2 * FACE_LANDMARKS, sizeof *buf);
		if (landmark_net_forward(ln, &in, img->w, img->h, buf,
		    NULL) == 0)
			err = max_diff(buf, get(e, "output"),
			    2 * FACE_LANDMARKS);
		landmark_net_free(ln);
	} else if (strcmp(net, "recognition") == 0) {
		struct recog_net	*rn;

		if ((w = net_weights("face_recognition_model")) == NULL ||
		    (rn = recog_net_new(w)) == NULL)
			goto out;
		buf = xcalloc(FACE_DESCRIPTOR, sizeof *buf);
		if (recog_net_forward(rn, &in, buf, NULL) == 0)
			err = max_diff(buf, get(e, "output"), FACE_DESCRIPTOR);
		recog_net_free(rn);
	}
out:
	free(buf);
	free(scores);
	nn_tensor_release(&in);
	nn_tensor_release(&out);
	nn_scratch_release(&scratch);
	weights_free(w);
	image_free(img);
	return err;
}

/* Each net alone: face-api's exact input tensor to its raw output. */
TEST(test_nets)
{
	const cJSON	*e;
	double		 err;
	int		 n = 0;

	if (load_fixture() == NULL) {
		fprintf(stderr, "%s: missing or not JSON\n", FIXTURE);
		CHECK(0);
		return;
	}
	cJSON_ArrayForEach(e, get(fixture, "nets")) {
		err = run_net(e);
		fprintf(stderr, "net %s (%s): max difference %.2g\n",
		    get(e, "net")->valuestring,
		    cJSON_IsNumber(get(e, "input_size")) ? "sized" : "crop",
		    err);
		CHECK(err <= TOL_RAW);
		n++;
	}
	CHECK(n >= 5);
}

int
main(void)
{
	char	*cause = NULL;
	size_t	 i;

	if (nn_init(&cause) != 0) {
		fprintf(stderr, "%s\n", cause);
		return 1;
	}
	RUN(test_pipeline);
	RUN(test_decoder_spread);
	RUN(test_nets);
	for (i = 0; i < sizeof engines / sizeof engines[0]; i++)
		face_engine_free(engines[i].fe);
	cJSON_Delete(fixture);
	return test_main_end("test-equiv");
}
