/*
 * SsdMobilenetv1: a MobileNet v1 backbone, eight extra feature layers and
 * six box predictors over 5118 fixed anchors, decoded with the TF Object
 * Detection box coder and filtered with face-api's own greedy NMS.
 *
 * Arithmetic follows face-api: the decoding runs as tf ops, each rounding
 * its result to float32; NMS and the scaling to pixels run in JS doubles.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "face.h"
#include "xmalloc.h"

#define SSD_BLOCKS	13
#define SSD_EXTRAS	8
#define SSD_MAPS	6
#define SSD_F0_BLOCK	10	/* block 11 feeds box predictor 0 */
#define SSD_IOU		0.5	/* fixed in face-api's locateFaces */

/*
 * tfjs runs batchNorm in double with this epsilon (0.001 as a float32),
 * which is what the folded depthwise weights reproduce.
 */
#define SSD_BN_EPSILON	0.0010000000474974513

/* Backbone blocks 1..13: depthwise stride and pointwise output channels. */
static const struct {
	int	stride;
	int	cout;
} ssd_blocks[SSD_BLOCKS] = {
	{ 1, 64 }, { 2, 128 }, { 1, 128 }, { 2, 256 }, { 1, 256 },
	{ 2, 512 }, { 1, 512 }, { 1, 512 }, { 1, 512 }, { 1, 512 },
	{ 1, 512 }, { 2, 1024 }, { 1, 1024 },
};

/* Prediction/Conv2d_0..7_pointwise; the odd ones make F2..F5. */
static const struct {
	int	k;
	int	stride;
	int	cout;
} ssd_extras[SSD_EXTRAS] = {
	{ 1, 1, 256 }, { 3, 2, 512 }, { 1, 1, 128 }, { 3, 2, 256 },
	{ 1, 1, 128 }, { 3, 2, 256 }, { 1, 1, 64 }, { 3, 2, 128 },
};

/* Feature maps F0..F5 on a 512 input, in anchor order. */
static const struct {
	int	grid;
	int	channels;
	int	anchors;
} ssd_maps[SSD_MAPS] = {
	{ 32, 512, 3 }, { 16, 1024, 6 }, { 8, 512, 6 }, { 4, 256, 6 },
	{ 2, 256, 6 }, { 1, 128, 6 },
};

struct ssd_detector {
	struct nn_op	*conv0;
	struct nn_op	*dw[SSD_BLOCKS];	/* batch norm folded in */
	struct nn_op	*pw[SSD_BLOCKS];
	struct nn_op	*extra[SSD_EXTRAS];
	struct nn_op	*box[SSD_MAPS];		/* A * 4 box encodings */
	struct nn_op	*cls[SSD_MAPS];		/* A * 3 class logits */
	float		*anchors;		/* [ymin, xmin, ymax, xmax] */

	/* Working tensors, reused: they only grow, so pointers settle. */
	struct nn_scratch *scratch;		/* shared: a and b, not owned */
	struct nn_tensor input;
	struct nn_tensor map[SSD_MAPS];
	struct nn_tensor enc;
	struct nn_tensor logit;
	float		*boxes;			/* forward output for detect */
	float		*scores;
};

struct ssd_candidate {
	double	score;
	int	index;
};

/* Looks up SCOPE, I and LEAF joined, with the given shape. */
static const float *
ssd_get(struct weights *w, const char *scope, int i, const char *leaf,
    int ndim, int d0, int d1, int d2, int d3)
{
	char	name[96];

	snprintf(name, sizeof name, "%s%d%s", scope, i, leaf);
	return weights_get(w, name, ndim, d0, d1, d2, d3);
}

/* A pointwiseConvLayer: SAME conv + convolution_bn_offset, ReLU6. */
static struct nn_op *
ssd_pointwise(struct weights *w, const char *scope, int i, int k, int cin,
    int cout, int stride)
{
	const float	*filters, *offset;

	filters = ssd_get(w, scope, i, "_pointwise/weights", 4, k, k, cin,
	    cout);
	offset = ssd_get(w, scope, i, "_pointwise/convolution_bn_offset", 1,
	    cout, 0, 0, 0);
	if (offset == NULL)
		return NULL;
	return nn_conv_new(filters, offset, k, cin, cout, stride, NN_PAD_SAME,
	    0.0f, 6.0f);
}

/*
 * A depthwiseConvLayer: 3x3 depthwise conv, batch norm, ReLU6, with the
 * batch norm folded into the filters: a = gamma / sqrt(var + eps) and
 * b = beta - mean * a, in double as tfjs evaluates the batch norm.
 */
static struct nn_op *
ssd_depthwise(struct weights *w, int i, int c, int stride)
{
	const float	*f, *gamma, *beta, *mean, *var;
	struct nn_op	*op;
	float		*ff, *bias;
	double		*a;
	int		 j;

	f = ssd_get(w, "MobilenetV1/Conv2d_", i, "_depthwise/depthwise_weights",
	    4, 3, 3, c, 1);
	gamma = ssd_get(w, "MobilenetV1/Conv2d_", i,
	    "_depthwise/BatchNorm/gamma", 1, c, 0, 0, 0);
	beta = ssd_get(w, "MobilenetV1/Conv2d_", i,
	    "_depthwise/BatchNorm/beta", 1, c, 0, 0, 0);
	mean = ssd_get(w, "MobilenetV1/Conv2d_", i,
	    "_depthwise/BatchNorm/moving_mean", 1, c, 0, 0, 0);
	var = ssd_get(w, "MobilenetV1/Conv2d_", i,
	    "_depthwise/BatchNorm/moving_variance", 1, c, 0, 0, 0);
	if (f == NULL || gamma == NULL || beta == NULL || mean == NULL ||
	    var == NULL)
		return NULL;

	a = xreallocarray(NULL, (size_t)c, sizeof *a);
	bias = xreallocarray(NULL, (size_t)c, sizeof *bias);
	ff = xreallocarray(NULL, (size_t)9 * c, sizeof *ff);
	for (j = 0; j < c; j++) {
		a[j] = gamma[j] / sqrt(var[j] + SSD_BN_EPSILON);
		bias[j] = (float)(beta[j] - mean[j] * a[j]);
	}
	for (j = 0; j < 9 * c; j++)
		ff[j] = (float)(f[j] * a[j % c]);
	op = nn_dwconv_new(ff, bias, 3, c, stride, NN_PAD_SAME, 0.0f, 6.0f);
	free(ff);
	free(bias);
	free(a);
	return op;
}

/* A box predictor convLayer: 1x1 conv + biases, no activation. */
static struct nn_op *
ssd_predictor(struct weights *w, int j, const char *kind, int cout)
{
	const float	*filters, *biases;
	char		 leaf[64];
	int		 cin = ssd_maps[j].channels;

	snprintf(leaf, sizeof leaf, "/%s/weights", kind);
	filters = ssd_get(w, "Prediction/BoxPredictor_", j, leaf, 4, 1, 1, cin,
	    cout);
	snprintf(leaf, sizeof leaf, "/%s/biases", kind);
	biases = ssd_get(w, "Prediction/BoxPredictor_", j, leaf, 1, cout, 0,
	    0, 0);
	if (biases == NULL)
		return NULL;
	return nn_conv_new(filters, biases, 1, cin, cout, 1, NN_PAD_SAME,
	    -INFINITY, INFINITY);
}

/* Builds every operator once; NULL if a tensor is missing or misshapen. */
struct ssd_detector *
ssd_detector_new(struct weights *w, struct nn_scratch *scratch)
{
	struct ssd_detector	*det = xcalloc(1, sizeof *det);
	const float		*anchors;
	int			 i, cin = 32, ok;

	det->scratch = scratch;
	det->conv0 = ssd_pointwise(w, "MobilenetV1/Conv2d_", 0, 3, 3, cin, 2);
	ok = det->conv0 != NULL;
	for (i = 0; i < SSD_BLOCKS; i++) {
		det->dw[i] = ssd_depthwise(w, i + 1, cin,
		    ssd_blocks[i].stride);
		det->pw[i] = ssd_pointwise(w, "MobilenetV1/Conv2d_", i + 1, 1,
		    cin, ssd_blocks[i].cout, 1);
		ok &= det->dw[i] != NULL && det->pw[i] != NULL;
		cin = ssd_blocks[i].cout;
	}
	for (i = 0; i < SSD_EXTRAS; i++) {
		det->extra[i] = ssd_pointwise(w, "Prediction/Conv2d_", i,
		    ssd_extras[i].k, cin, ssd_extras[i].cout,
		    ssd_extras[i].stride);
		ok &= det->extra[i] != NULL;
		cin = ssd_extras[i].cout;
	}
	for (i = 0; i < SSD_MAPS; i++) {
		det->box[i] = ssd_predictor(w, i, "BoxEncodingPredictor",
		    ssd_maps[i].anchors * 4);
		det->cls[i] = ssd_predictor(w, i, "ClassPredictor",
		    ssd_maps[i].anchors * 3);
		ok &= det->box[i] != NULL && det->cls[i] != NULL;
	}
	anchors = weights_get(w, "Output/extra_dim", 3, 1, SSD_ANCHORS, 4);
	if (!ok || anchors == NULL || w->error != NULL) {
		ssd_detector_free(det);
		return NULL;
	}
	det->anchors = xreallocarray(NULL, (size_t)SSD_ANCHORS * 4,
	    sizeof *det->anchors);
	memcpy(det->anchors, anchors, (size_t)SSD_ANCHORS * 4 *
	    sizeof *det->anchors);
	det->boxes = xreallocarray(NULL, (size_t)SSD_ANCHORS * 4,
	    sizeof *det->boxes);
	det->scores = xreallocarray(NULL, SSD_ANCHORS, sizeof *det->scores);
	return det;
}

/* Frees the operators, the anchors and the working tensors. */
void
ssd_detector_free(struct ssd_detector *det)
{
	int	i;

	if (det == NULL)
		return;
	nn_op_free(det->conv0);
	for (i = 0; i < SSD_BLOCKS; i++) {
		nn_op_free(det->dw[i]);
		nn_op_free(det->pw[i]);
	}
	for (i = 0; i < SSD_EXTRAS; i++)
		nn_op_free(det->extra[i]);
	for (i = 0; i < SSD_MAPS; i++) {
		nn_op_free(det->box[i]);
		nn_op_free(det->cls[i]);
		nn_tensor_release(&det->map[i]);
	}
	nn_tensor_release(&det->input);
	nn_tensor_release(&det->enc);
	nn_tensor_release(&det->logit);
	free(det->anchors);
	free(det->boxes);
	free(det->scores);
	free(det);
}

/*
 * Decodes encoding T = (ty, tx, th, tw) against anchor AN into BOX as
 * outputLayer.ts does. Every tf op there rounds to float32, so each step
 * is its own float statement; this relies on ISO C mode (gcc -std=c17
 * implies -ffp-contract=off) so that no FMA fuses two of them. tf.exp is
 * Math.exp in double, rounded once.
 */
static void
ssd_decode(const float *an, const float *t, float *box)
{
	float	ha, wa, ya, xa, hh, hw, yc, xc, v;

	ha = an[2] - an[0];
	wa = an[3] - an[1];
	ya = ha / 2;
	ya = an[0] + ya;
	xa = wa / 2;
	xa = an[1] + xa;

	v = t[2] / 5;
	v = (float)exp(v);
	hh = v * ha;
	hh = hh / 2;
	v = t[0] / 10;
	v = v * ha;
	yc = v + ya;

	v = t[3] / 5;
	v = (float)exp(v);
	hw = v * wa;
	hw = hw / 2;
	v = t[1] / 10;
	v = v * wa;
	xc = v + xa;

	box[0] = yc - hh;
	box[1] = xc - hw;
	box[2] = yc + hh;
	box[3] = xc + hw;
}

/* Runs the net on a normalised input: decoded boxes and scores per anchor. */
int
ssd_detector_forward(struct ssd_detector *det, const struct nn_tensor *in,
    float *boxes, float *scores, pthreadpool_t tp)
{
	const struct nn_tensor	*cur;
	struct nn_tensor	*dst;
	const float		*logit;
	size_t			 cells, c, n = 0;
	int			 i, j;

	if (in->h != SSD_INPUT_SIZE || in->w != SSD_INPUT_SIZE || in->c != 3)
		return -1;
	if (nn_run(det->conv0, in, &det->scratch->a, tp) != 0)
		return -1;
	cur = &det->scratch->a;
	for (i = 0; i < SSD_BLOCKS; i++) {
		if (i == SSD_F0_BLOCK)
			dst = &det->map[0];
		else if (i == SSD_BLOCKS - 1)
			dst = &det->map[1];
		else
			dst = &det->scratch->a;
		if (nn_run(det->dw[i], cur, &det->scratch->b, tp) != 0 ||
		    nn_run(det->pw[i], &det->scratch->b, dst, tp) != 0)
			return -1;
		cur = dst;
	}
	for (i = 0; i < SSD_EXTRAS; i++) {
		dst = i % 2 == 0 ? &det->scratch->b : &det->map[2 + i / 2];
		if (nn_run(det->extra[i], cur, dst, tp) != 0)
			return -1;
		cur = dst;
	}

	/*
	 * The predictor maps flattened in (y, x, anchor, component) order,
	 * F0 to F5, are the anchor order of Output/extra_dim.
	 */
	for (j = 0; j < SSD_MAPS; j++) {
		if (det->map[j].h != ssd_maps[j].grid ||
		    det->map[j].w != ssd_maps[j].grid)
			return -1;
		if (nn_run(det->box[j], &det->map[j], &det->enc, tp) != 0 ||
		    nn_run(det->cls[j], &det->map[j], &det->logit, tp) != 0)
			return -1;
		cells = (size_t)ssd_maps[j].grid * ssd_maps[j].grid *
		    ssd_maps[j].anchors;
		for (c = 0; c < cells; c++, n++) {
			ssd_decode(det->anchors + 4 * n, det->enc.data + 4 * c,
			    boxes + 4 * n);
			/* tf.sigmoid: 1 / (1 + Math.exp(-x)) in double. */
			logit = det->logit.data + 3 * c;
			scores[n] = (float)(1.0 / (1.0 + exp(-(double)logit[1])));
		}
	}
	return n == SSD_ANCHORS ? 0 : -1;
}

/* JS Math.min: NaN if either is NaN. */
static double
ssd_js_min(double a, double b)
{
	if (isnan(a) || isnan(b))
		return NAN;
	return a < b ? a : b;
}

/* JS Math.max: NaN if either is NaN. */
static double
ssd_js_max(double a, double b)
{
	if (isnan(a) || isnan(b))
		return NAN;
	return a > b ? a : b;
}

/* JS Math.round: the nearest integer, halves up. */
static double
ssd_js_round(double x)
{
	double	r = floor(x);

	return x - r >= 0.5 ? r + 1 : r;
}

/*
 * IoU of two decoded boxes as nonMaxSuppression.ts computes it: corners
 * reordered to min/max, 0 if either area is not positive.
 */
static double
ssd_iou(const float *bi, const float *bj)
{
	double	y0i, x0i, y1i, x1i, y0j, x0j, y1j, x1j, ai, aj, inter;

	y0i = ssd_js_min(bi[0], bi[2]);
	x0i = ssd_js_min(bi[1], bi[3]);
	y1i = ssd_js_max(bi[0], bi[2]);
	x1i = ssd_js_max(bi[1], bi[3]);
	y0j = ssd_js_min(bj[0], bj[2]);
	x0j = ssd_js_min(bj[1], bj[3]);
	y1j = ssd_js_max(bj[0], bj[2]);
	x1j = ssd_js_max(bj[1], bj[3]);
	ai = (y1i - y0i) * (x1i - x0i);
	aj = (y1j - y0j) * (x1j - x0j);
	if (ai <= 0 || aj <= 0)
		return 0.0;
	inter = ssd_js_max(ssd_js_min(y1i, y1j) - ssd_js_max(y0i, y0j), 0.0) *
	    ssd_js_max(ssd_js_min(x1i, x1j) - ssd_js_max(x0i, x0j), 0.0);
	return inter / (ai + aj - inter);
}

/* Descending score; ties keep anchor order, as JS's stable sort. */
static int
ssd_cmp(const void *va, const void *vb)
{
	const struct ssd_candidate	*a = va, *b = vb;

	if (a->score != b->score)
		return a->score > b->score ? -1 : 1;
	return a->index - b->index;
}

/*
 * face-api's nonMaxSuppression: candidates above MIN_SCORE by descending
 * score; one is kept unless a kept box overlaps it by IoU > 0.5. Fills
 * PICKED with up to LIMIT anchor indices and returns how many.
 */
static int
ssd_nms(const float *boxes, const float *scores, double min_score,
    int limit, int *picked)
{
	struct ssd_candidate	*c;
	double			 s, iou;
	int			 i, j, n = 0, npicked = 0;

	c = xreallocarray(NULL, SSD_ANCHORS, sizeof *c);
	for (i = 0; i < SSD_ANCHORS; i++) {
		if (scores[i] > min_score) {
			c[n].score = scores[i];
			c[n].index = i;
			n++;
		}
	}
	qsort(c, (size_t)n, sizeof *c, ssd_cmp);
	for (i = 0; i < n && npicked < limit; i++) {
		/*
		 * As the original: the score is zeroed by an overlap and the
		 * box kept only if its score came through unchanged.
		 */
		s = c[i].score;
		for (j = npicked - 1; j >= 0; j--) {
			iou = ssd_iou(boxes + 4 * c[i].index,
			    boxes + 4 * picked[j]);
			if (iou == 0.0)
				continue;
			s *= iou <= SSD_IOU ? 1 : 0;
			if (s <= min_score)
				break;
		}
		if (s == c[i].score)
			picked[npicked++] = c[i].index;
	}
	free(c);
	return npicked;
}

/*
 * face-api's locateFaces after the net: NMS on the decoded boxes, then
 * boxes that are fractions of the padded square clamped to it, scaled by
 * input size / reshaped dims to fractions of the IMG_W x IMG_H image and
 * then to pixels, in the order locateFaces and FaceDetection do. Returns
 * the number of boxes in the malloc'd *OUT.
 */
static int
ssd_locate(const float *boxes, const float *scores, int img_w, int img_h,
    double min_score, int max_results, struct face_box **out)
{
	struct face_box	*fb;
	const float	*b;
	double		 scale, pad_x, pad_y, top, bottom, left, right;
	int		*picked, limit, npicked, i, n = 0;

	limit = max_results < SSD_ANCHORS ? max_results : SSD_ANCHORS;
	if (limit < 0)
		limit = 0;
	picked = xreallocarray(NULL, (size_t)limit, sizeof *picked);
	npicked = ssd_nms(boxes, scores, min_score, limit, picked);

	scale = (double)SSD_INPUT_SIZE / (img_w > img_h ? img_w : img_h);
	pad_x = SSD_INPUT_SIZE / ssd_js_round(img_w * scale);
	pad_y = SSD_INPUT_SIZE / ssd_js_round(img_h * scale);
	fb = xreallocarray(NULL, (size_t)npicked, sizeof *fb);
	for (i = 0; i < npicked; i++) {
		b = boxes + 4 * picked[i];
		top = ssd_js_max(0, b[0]) * pad_y;
		bottom = ssd_js_min(1.0, b[2]) * pad_y;
		left = ssd_js_max(0, b[1]) * pad_x;
		right = ssd_js_min(1.0, b[3]) * pad_x;
		/*
		 * face-api's Rect throws on a negative or non-finite size
		 * (a box wholly outside the square), failing the whole
		 * call; such a box is dropped here instead.
		 */
		if (!isfinite(top) || !isfinite(left) ||
		    !isfinite(right - left) || !isfinite(bottom - top) ||
		    right - left < 0 || bottom - top < 0)
			continue;
		fb[n].x = left * img_w;
		fb[n].y = top * img_h;
		fb[n].w = (right - left) * img_w;
		fb[n].h = (bottom - top) * img_h;
		fb[n].score = scores[picked[i]];
		n++;
	}
	free(picked);
	*out = fb;
	return n;
}

/* Finds the faces of IMG in pixels, in NMS pick order. */
int
ssd_detector_detect(struct ssd_detector *det, const struct image *img,
    double min_score, int max_results, struct face_box **boxes, int *nboxes,
    pthreadpool_t tp)
{
	struct prep_rect	 whole = { 0, 0, img->w, img->h };

	*boxes = NULL;
	*nboxes = 0;
	if (img->w <= 0 || img->h <= 0)
		return -1;
	nn_tensor_reserve(&det->input, SSD_INPUT_SIZE, SSD_INPUT_SIZE, 3);
	prep_input(img, &whole, SSD_INPUT_SIZE, 0, &prep_norm_ssd,
	    det->input.data);
	if (ssd_detector_forward(det, &det->input, det->boxes, det->scores,
	    tp) != 0)
		return -1;
	*nboxes = ssd_locate(det->boxes, det->scores, img->w, img->h,
	    min_score, max_results, boxes);
	return 0;
}
