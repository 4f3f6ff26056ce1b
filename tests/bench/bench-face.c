/*
 * Face engine benchmark: forward time of each net (median and minimum of
 * RUNS after WARMUP, input preparation included as face-api's
 * forwardInput includes it), peak RSS with every model loaded, and the
 * whole one-face pipeline. One JSON line per measurement.
 *
 *	bench-face MODELS IMAGE THREADS [RUNS [NET]]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "face.h"
#include "xmalloc.h"

#define WARMUP	5

static int		 runs = 30;
static const char	*only;	/* run just this measurement */

static double
now_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int
cmp_double(const void *a, const void *b)
{
	double	x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Times FN(ARG) and prints the median and minimum. */
static void
bench(const char *name, int threads, void (*fn)(void *), void *arg)
{
	double	*t, start;
	int	 i;

	if (only != NULL && strcmp(only, name) != 0)
		return;
	t = xcalloc((size_t)runs, sizeof *t);
	for (i = 0; i < WARMUP; i++)
		fn(arg);
	for (i = 0; i < runs; i++) {
		start = now_ms();
		fn(arg);
		t[i] = now_ms() - start;
	}
	qsort(t, (size_t)runs, sizeof *t, cmp_double);
	printf("{\"impl\":\"gatehouse\",\"net\":\"%s\",\"threads\":%d,"
	    "\"median_ms\":%.3f,\"min_ms\":%.3f,\"runs\":%d}\n", name, threads,
	    t[runs / 2], t[0], runs);
	fflush(stdout);
	free(t);
}

struct ctx {
	const struct image	*img;
	pthreadpool_t		 pool;
	struct tiny_detector	*tiny;
	struct ssd_detector	*ssd;
	struct landmark_net	*lm;
	struct landmark_net	*lm_tiny;
	struct recog_net	*recog;
	struct face_engine	*fe;
	struct face_box		 face;
	struct nn_scratch	 scratch;
	struct nn_tensor	 in112;
	struct nn_tensor	 in150;
	struct prep_rect	 r112;
	struct prep_rect	 r150;
};

static void
run_tiny(void *arg)
{
	struct ctx	*c = arg;
	struct face_box	*b;
	int		 n;

	tiny_detector_detect(c->tiny, c->img, 416, 0.5, &b, &n, c->pool);
	free(b);
}

static void
run_ssd(void *arg)
{
	struct ctx	*c = arg;
	struct face_box	*b;
	int		 n;

	ssd_detector_detect(c->ssd, c->img, 0.5, 100, &b, &n, c->pool);
	free(b);
}

static void
run_landmark(struct ctx *c, struct landmark_net *ln)
{
	float	rel[2 * FACE_LANDMARKS];

	prep_input(c->img, &c->r112, 112, 1, &prep_norm_face, c->in112.data);
	landmark_net_forward(ln, &c->in112, c->r112.w, c->r112.h, rel, c->pool);
}

static void
run_lm(void *arg)
{
	struct ctx	*c = arg;

	run_landmark(c, c->lm);
}

static void
run_lm_tiny(void *arg)
{
	struct ctx	*c = arg;

	run_landmark(c, c->lm_tiny);
}

static void
run_recog(void *arg)
{
	struct ctx	*c = arg;
	float		 d[FACE_DESCRIPTOR];

	prep_input(c->img, &c->r150, 150, 1, &prep_norm_face, c->in150.data);
	recog_net_forward(c->recog, &c->in150, d, c->pool);
}

static void
run_pipeline(void *arg)
{
	struct ctx	*c = arg;
	struct face	*f;
	char		*cause = NULL;
	int		 n;

	if (face_engine_analyze(c->fe, c->img, &f, &n, &cause) != 0) {
		fprintf(stderr, "%s\n", cause);
		exit(1);
	}
	free(f);
}

/* Loads MODEL or exits. */
static struct weights *
load(const char *dir, const char *model)
{
	struct weights	*w;
	char		*cause = NULL;

	if (weights_load(dir, model, &w, &cause) != 0) {
		fprintf(stderr, "%s\n", cause);
		exit(1);
	}
	return w;
}

int
main(int argc, char **argv)
{
	struct ctx		 c;
	struct face_engine_opts	 o;
	struct image		*img;
	struct weights		*w;
	struct face_box		*boxes;
	struct rusage		 ru;
	char			*cause = NULL;
	int			 threads, n;

	if (argc < 4) {
		fprintf(stderr, "usage: bench-face MODELS IMAGE THREADS "
		    "[RUNS [NET]]\n");
		return 2;
	}
	threads = atoi(argv[3]);
	if (argc > 4)
		runs = atoi(argv[4]);
	if (argc > 5)
		only = argv[5];
	if (nn_init(&cause) != 0 || image_load(argv[2], IMAGE_MAX_PIXELS,
	    &img, &cause) != 0) {
		fprintf(stderr, "%s\n", cause);
		return 1;
	}
	memset(&c, 0, sizeof c);
	c.img = img;
	c.pool = threads > 1 ? pthreadpool_create((size_t)threads) : NULL;

	w = load(argv[1], "tiny_face_detector_model");
	c.tiny = tiny_detector_new(w, &c.scratch);
	weights_free(w);
	w = load(argv[1], "ssd_mobilenetv1_model");
	c.ssd = ssd_detector_new(w, &c.scratch);
	weights_free(w);
	w = load(argv[1], "face_landmark_68_model");
	c.lm = landmark_net_new(w, 0);
	weights_free(w);
	w = load(argv[1], "face_landmark_68_tiny_model");
	c.lm_tiny = landmark_net_new(w, 1);
	weights_free(w);
	w = load(argv[1], "face_recognition_model");
	c.recog = recog_net_new(w);
	weights_free(w);
	if (c.tiny == NULL || c.ssd == NULL || c.lm == NULL ||
	    c.lm_tiny == NULL || c.recog == NULL) {
		fprintf(stderr, "cannot build the nets\n");
		return 1;
	}

	/* The nets' crops sit on the first face, as in the peer. */
	if (tiny_detector_detect(c.tiny, img, 416, 0.5, &boxes, &n,
	    c.pool) != 0 || n < 1) {
		fprintf(stderr, "%s: no face\n", argv[2]);
		return 1;
	}
	c.face = boxes[0];
	free(boxes);
	if (prep_crop_box(img->w, img->h, c.face.x, c.face.y, c.face.w,
	    c.face.h, &c.r112) != 0)
		return 1;
	c.r150 = c.r112;
	nn_tensor_reserve(&c.in112, 112, 112, 3);
	nn_tensor_reserve(&c.in150, 150, 150, 3);

	bench("tiny", threads, run_tiny, &c);
	bench("ssd", threads, run_ssd, &c);
	bench("landmark68", threads, run_lm, &c);
	bench("landmark68_tiny", threads, run_lm_tiny, &c);
	bench("recognition", threads, run_recog, &c);

	/* Every model loaded and run once: the peak the agent would see. */
	getrusage(RUSAGE_SELF, &ru);
	printf("{\"impl\":\"gatehouse\",\"net\":\"peak-rss\",\"threads\":%d,"
	    "\"rss_mb\":%.1f}\n", threads, ru.ru_maxrss / 1024.0);

	face_engine_default_opts(&o);
	o.threads = threads;
	if ((c.fe = face_engine_new(argv[1], &o, &cause)) == NULL) {
		fprintf(stderr, "%s\n", cause);
		return 1;
	}
	bench("pipeline", threads, run_pipeline, &c);

	face_engine_free(c.fe);
	tiny_detector_free(c.tiny);
	ssd_detector_free(c.ssd);
	landmark_net_free(c.lm);
	landmark_net_free(c.lm_tiny);
	recog_net_free(c.recog);
	nn_tensor_release(&c.in112);
	nn_tensor_release(&c.in150);
	nn_scratch_release(&c.scratch);
	if (c.pool != NULL)
		pthreadpool_destroy(c.pool);
	image_free(img);
	return 0;
}
