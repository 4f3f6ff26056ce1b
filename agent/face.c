/*
 * The face pipeline as face-api's detectAllFaces(...).withFaceLandmarks()
 * .withFaceDescriptors() runs it: detect, then per detection the landmark
 * crop and net, the dlib-style crop and the recognition net.
 */
#include <math.h>
#include <stdlib.h>
#include <unistd.h>

#include "face.h"
#include "log.h"
#include "xmalloc.h"

struct face_engine {
	struct face_engine_opts	 opts;
	pthreadpool_t		 pool;
	struct tiny_detector	*tiny;
	struct ssd_detector	*ssd;
	struct landmark_net	*landmark;
	struct recog_net	*recog;
	struct nn_scratch	 scratch;
};

void
face_engine_default_opts(struct face_engine_opts *o)
{
	o->detector = FACE_DETECTOR_TINY;
	o->input_size = 416;
	o->min_score = 0.5;
	o->max_results = 100;
	o->tiny_landmarks = 0;
	o->threads = 0;
}

/* Loads MODEL from DIR and builds its net with BUILD; weights are freed. */
static void *
face_engine_load(struct face_engine *fe, const char *dir, const char *model,
    void *(*build)(struct face_engine *, struct weights *), char **cause)
{
	struct weights	*w;
	void		*net;

	if (weights_load(dir, model, &w, cause) != 0)
		return NULL;
	net = build(fe, w);
	if (net == NULL)
		xasprintf(cause, "%s", w->error != NULL ? w->error :
		    "cannot build the network (XNNPACK refused an operator)");
	weights_free(w);
	return net;
}

static void *
face_build_tiny(struct face_engine *fe, struct weights *w)
{
	return tiny_detector_new(w, &fe->scratch);
}

static void *
face_build_ssd(struct face_engine *fe, struct weights *w)
{
	return ssd_detector_new(w, &fe->scratch);
}

static void *
face_build_landmark(struct face_engine *fe, struct weights *w)
{
	return landmark_net_new(w, fe->opts.tiny_landmarks);
}

static void *
face_build_recog(struct face_engine *fe, struct weights *w)
{
	(void)fe;
	return recog_net_new(w);
}

struct face_engine *
face_engine_new(const char *models, const struct face_engine_opts *opts,
    char **cause)
{
	struct face_engine	*fe;
	long			 threads = opts->threads;

	if (opts->input_size < 32 || opts->input_size % 32 != 0) {
		xasprintf(cause, "input size %d is not a positive multiple of "
		    "32", opts->input_size);
		return NULL;
	}
	if (nn_init(cause) != 0)
		return NULL;
	fe = xcalloc(1, sizeof *fe);
	fe->opts = *opts;
	if (threads <= 0)
		threads = sysconf(_SC_NPROCESSORS_ONLN);
	/* One thread runs on the caller: no pool needed. */
	if (threads > 1 && (fe->pool = pthreadpool_create((size_t)threads)) ==
	    NULL) {
		xasprintf(cause, "cannot create a thread pool");
		goto fail;
	}
	if (opts->detector == FACE_DETECTOR_TINY)
		fe->tiny = face_engine_load(fe, models,
		    "tiny_face_detector_model", face_build_tiny, cause);
	else
		fe->ssd = face_engine_load(fe, models, "ssd_mobilenetv1_model",
		    face_build_ssd, cause);
	if (fe->tiny == NULL && fe->ssd == NULL)
		goto fail;
	fe->landmark = face_engine_load(fe, models, opts->tiny_landmarks ?
	    "face_landmark_68_tiny_model" : "face_landmark_68_model",
	    face_build_landmark, cause);
	if (fe->landmark == NULL)
		goto fail;
	fe->recog = face_engine_load(fe, models, "face_recognition_model",
	    face_build_recog, cause);
	if (fe->recog == NULL)
		goto fail;
	return fe;
fail:
	face_engine_free(fe);
	return NULL;
}

void
face_engine_free(struct face_engine *fe)
{
	if (fe == NULL)
		return;
	tiny_detector_free(fe->tiny);
	ssd_detector_free(fe->ssd);
	landmark_net_free(fe->landmark);
	recog_net_free(fe->recog);
	nn_scratch_release(&fe->scratch);
	if (fe->pool != NULL)
		pthreadpool_destroy(fe->pool);
	free(fe);
}

int
face_engine_analyze(struct face_engine *fe, const struct image *img,
    struct face **faces, int *nfaces, char **cause)
{
	struct face_box	*boxes = NULL;
	struct face	*f;
	int		 nboxes = 0, i, n = 0, r, cw, ch;

	*faces = NULL;
	*nfaces = 0;
	if (fe->tiny != NULL)
		r = tiny_detector_detect(fe->tiny, img, fe->opts.input_size,
		    fe->opts.min_score, &boxes, &nboxes, fe->pool);
	else
		r = ssd_detector_detect(fe->ssd, img, fe->opts.min_score,
		    fe->opts.max_results, &boxes, &nboxes, fe->pool);
	if (r != 0) {
		xasprintf(cause, "face detection failed");
		free(boxes);
		return -1;
	}
	f = xcalloc((size_t)nboxes, sizeof *f);
	for (i = 0; i < nboxes; i++) {
		f[n].box = boxes[i];
		/*
		 * A box wholly outside the image has no crop. face-api drops
		 * it and pairs later landmarks with the wrong detections;
		 * here the face is simply dropped.
		 */
		r = landmark_net_run(fe->landmark, img, &boxes[i],
		    f[n].landmarks, &cw, &ch, fe->pool);
		if (r == 1)
			continue;
		if (r != 0 || recog_net_run(fe->recog, img, f[n].landmarks,
		    cw, ch, f[n].descriptor, fe->pool) != 0) {
			xasprintf(cause, "face %s failed", r != 0 ?
			    "landmarks" : "descriptor");
			free(boxes);
			free(f);
			return -1;
		}
		n++;
	}
	free(boxes);
	*faces = f;
	*nfaces = n;
	return 0;
}

double
face_distance(const float *a, const float *b)
{
	double	d, sum = 0;
	int	i;

	for (i = 0; i < FACE_DESCRIPTOR; i++) {
		d = (double)a[i] - b[i];
		sum += d * d;
	}
	return sqrt(sum);
}
