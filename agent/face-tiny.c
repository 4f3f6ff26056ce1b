/*
 * TinyFaceDetector: a MobileNet-style YOLOv2 with one class and five
 * anchors per cell on a grid of input_size / 32.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "face.h"
#include "xmalloc.h"

#define TINY_LAYERS	6	/* conv0 (full) and conv1..5 (separable) */
#define TINY_ANCHORS	5
#define TINY_IOU	0.4
#define TINY_SLOPE	0.1f

/*
 * conv0 and the first pool run in bands of this many output rows (even,
 * so pooling bands is pooling the whole): a band's 1.2 MB stays in cache
 * where the whole 11 MB map would go to memory and back. 46 divides 414,
 * the map of the default 416 input; other sizes end with a shorter band.
 */
#define TINY_BAND	46

/* Anchor sizes in grid cells, from face-api's TinyFaceDetector config. */
static const double tiny_anchors[TINY_ANCHORS][2] = {
	{ 1.603231, 2.094468 },
	{ 6.041143, 7.080126 },
	{ 2.882459, 3.518061 },
	{ 4.266906, 5.178857 },
	{ 9.041765, 10.66308 },
};

static const int tiny_channels[TINY_LAYERS + 1] = {
	3, 16, 32, 64, 128, 256, 512
};

struct tiny_detector {
	struct nn_op	*conv0;
	struct nn_op	*conv0_tail;		/* the last, shorter band */
	struct nn_op	*pool0_tail;
	struct nn_op	*dw[TINY_LAYERS];	/* [0] unused */
	struct nn_op	*pw[TINY_LAYERS];	/* [0] unused */
	struct nn_op	*leaky[TINY_LAYERS];
	struct nn_op	*pool[TINY_LAYERS];	/* 2x2 / 2; 2x2 / 1 after conv5 */
	struct nn_op	*conv8;
	struct nn_scratch *scratch;		/* shared, not owned */
	struct nn_tensor input;
	struct nn_tensor out;
};

/* Looks up PREFIX/NAME with the given shape. */
static const float *
tiny_get(struct weights *w, int layer, const char *name, int ndim, int d0,
    int d1, int d2, int d3)
{
	char	key[64];

	snprintf(key, sizeof key, "conv%d/%s", layer, name);
	return weights_get(w, key, ndim, d0, d1, d2, d3);
}

struct tiny_detector *
tiny_detector_new(struct weights *w, struct nn_scratch *scratch)
{
	struct tiny_detector	*td = xcalloc(1, sizeof *td);
	int			 i, cin, cout, ok = 1;

	td->scratch = scratch;
	/* Band and tail operators keep fixed shapes: setup stays cheap. */
	td->conv0 = nn_conv_new(tiny_get(w, 0, "filters", 4, 3, 3, 3, 16),
	    tiny_get(w, 0, "bias", 1, 16, 0, 0, 0), 3, 3, 16, 1, NN_PAD_VALID,
	    -INFINITY, INFINITY);
	td->conv0_tail = nn_conv_new(tiny_get(w, 0, "filters", 4, 3, 3, 3,
	    16), tiny_get(w, 0, "bias", 1, 16, 0, 0, 0), 3, 3, 16, 1,
	    NN_PAD_VALID, -INFINITY, INFINITY);
	td->pool0_tail = nn_maxpool_new(2, 2, NN_PAD_VALID, 16);
	ok &= td->conv0 != NULL && td->conv0_tail != NULL &&
	    td->pool0_tail != NULL;
	for (i = 0; i < TINY_LAYERS; i++) {
		cin = tiny_channels[i];
		cout = tiny_channels[i + 1];
		td->leaky[i] = nn_leaky_new(cout, TINY_SLOPE);
		ok &= td->leaky[i] != NULL;
		if (i == 0)
			continue;
		/* tf.pad by 1 and a VALID 3x3 stride 1: SAME. */
		td->dw[i] = nn_dwconv_new(tiny_get(w, i, "depthwise_filter", 4,
		    3, 3, cin, 1), NULL, 3, cin, 1, NN_PAD_SAME, -INFINITY,
		    INFINITY);
		td->pw[i] = nn_conv_new(tiny_get(w, i, "pointwise_filter", 4,
		    1, 1, cin, cout), tiny_get(w, i, "bias", 1, cout, 0, 0, 0),
		    1, cin, cout, 1, NN_PAD_SAME, -INFINITY, INFINITY);
		ok &= td->dw[i] != NULL && td->pw[i] != NULL;
	}
	/* One pooling operator per layer: XNNPACK binds the channels. */
	for (i = 0; i < TINY_LAYERS; i++) {
		td->pool[i] = nn_maxpool_new(2, i == TINY_LAYERS - 1 ? 1 :
		    2, NN_PAD_SAME, tiny_channels[i + 1]);
		ok &= td->pool[i] != NULL;
	}
	td->conv8 = nn_conv_new(weights_get(w, "conv8/filters", 4, 1, 1, 512,
	    TINY_GRID_CHANNELS), weights_get(w, "conv8/bias", 1,
	    TINY_GRID_CHANNELS), 1, 512, TINY_GRID_CHANNELS, 1, NN_PAD_VALID,
	    -INFINITY, INFINITY);
	ok &= td->conv8 != NULL;
	if (!ok || w->error != NULL) {
		tiny_detector_free(td);
		return NULL;
	}
	return td;
}

void
tiny_detector_free(struct tiny_detector *td)
{
	int	i;

	if (td == NULL)
		return;
	nn_op_free(td->conv0);
	nn_op_free(td->conv0_tail);
	nn_op_free(td->pool0_tail);
	for (i = 0; i < TINY_LAYERS; i++) {
		nn_op_free(td->dw[i]);
		nn_op_free(td->pw[i]);
		nn_op_free(td->leaky[i]);
		nn_op_free(td->pool[i]);
	}
	nn_op_free(td->conv8);
	nn_tensor_release(&td->input);
	nn_tensor_release(&td->out);
	free(td);
}

/* y = pool(conv0(in)), band by band. */
static int
tiny_first_layer(struct tiny_detector *td, const struct nn_tensor *in,
    struct nn_tensor *band, struct nn_tensor *y, pthreadpool_t tp)
{
	struct nn_op	*conv, *pool;
	int		 oh = in->h - 2, ow = in->w - 2, r, rows;

	if (oh < 2 || ow < 2 || in->c != 3)
		return -1;
	nn_tensor_reserve(band, TINY_BAND, ow, 16);
	nn_tensor_reserve(y, oh / 2, ow / 2, 16);
	for (r = 0; r < oh; r += rows) {
		rows = oh - r < TINY_BAND ? oh - r : TINY_BAND;
		conv = rows == TINY_BAND ? td->conv0 : td->conv0_tail;
		pool = rows == TINY_BAND ? td->pool[0] : td->pool0_tail;
		if (nn_run_raw(conv, in->data + (size_t)r * in->w * 3, rows + 2,
		    in->w, band->data, tp) != 0 ||
		    nn_run_raw(pool, band->data, rows, ow, y->data +
		    (size_t)(r / 2) * (ow / 2) * 16, tp) != 0)
			return -1;
	}
	return 0;
}

/*
 * Max pooling runs before the leaky ReLU: the ReLU is monotonic, so
 * pool(leaky(x)) == leaky(pool(x)) exactly, and the ReLU then touches a
 * quarter of the values.
 */
int
tiny_detector_forward(struct tiny_detector *td, const struct nn_tensor *in,
    struct nn_tensor *out, pthreadpool_t tp)
{
	struct nn_tensor	*x = &td->scratch->a, *y = &td->scratch->b, *t;
	int			 i;

	/* y = leaky(pool(conv0(in))) */
	if (tiny_first_layer(td, in, x, y, tp) != 0 ||
	    nn_run(td->leaky[0], y, y, tp) != 0)
		return -1;
	for (i = 1; i < TINY_LAYERS; i++) {
		/* y = leaky(pool(pw(dw(y)))), through x */
		if (nn_run(td->dw[i], y, x, tp) != 0 ||
		    nn_run(td->pw[i], x, y, tp) != 0 ||
		    nn_run(td->pool[i], y, x, tp) != 0 ||
		    nn_run(td->leaky[i], x, x, tp) != 0)
			return -1;
		t = x;
		x = y;
		y = t;
	}
	return nn_run(td->conv8, y, out, tp);
}

static double
tiny_sigmoid(double x)
{
	return 1.0 / (1.0 + exp(-x));
}

/* IoU of two (x, y, w, h) boxes as face-api's iou(). */
static double
tiny_iou(const double *a, const double *b)
{
	double	w, h, inter;

	w = fmin(a[0] + a[2], b[0] + b[2]) - fmax(a[0], b[0]);
	h = fmin(a[1] + a[3], b[1] + b[3]) - fmax(a[1], b[1]);
	inter = fmax(0.0, w) * fmax(0.0, h);
	return inter / (a[2] * a[3] + b[2] * b[3] - inter);
}

struct tiny_candidate {
	double	rel[4];		/* x, y, w, h as fractions of the image */
	double	nms[4];		/* rel scaled by the input size, for NMS */
	double	score;
	int	index;
	int	alive;
};

/* Ascending score, then ascending index, as face-api's stable sort. */
static int
tiny_cmp(const void *va, const void *vb)
{
	const struct tiny_candidate *a = va, *b = vb;

	if (a->score != b->score)
		return a->score < b->score ? -1 : 1;
	return a->index - b->index;
}

int
tiny_detector_detect(struct tiny_detector *td, const struct image *img,
    int input_size, double min_score, struct face_box **boxes, int *nboxes,
    pthreadpool_t tp)
{
	struct prep_rect	 whole = { 0, 0, img->w, img->h };
	struct tiny_candidate	*c;
	const float		*v;
	double			 scale, rw, rh, fx, fy, ctx, cty, bw, bh, x, y;
	int			 g, r, col, a, n = 0, i, j, picked = 0;

	*boxes = NULL;
	*nboxes = 0;
	if (input_size < 32 || input_size % 32 != 0)
		return -1;
	nn_tensor_reserve(&td->input, input_size, input_size, 3);
	prep_input(img, &whole, input_size, 0, &prep_norm_tiny,
	    td->input.data);
	if (tiny_detector_forward(td, &td->input, &td->out, tp) != 0)
		return -1;

	/* Reshaped dimensions: the real image inside the padded square. */
	scale = (double)input_size / (img->w > img->h ? img->w : img->h);
	rw = floor(img->w * scale + 0.5);
	rh = floor(img->h * scale + 0.5);
	fx = fmax(rw, rh) / rw;
	fy = fmax(rw, rh) / rh;

	g = td->out.h;
	c = xreallocarray(NULL, (size_t)g * g * TINY_ANCHORS, sizeof *c);
	for (r = 0; r < g; r++) {
		for (col = 0; col < g; col++) {
			for (a = 0; a < TINY_ANCHORS; a++) {
				v = td->out.data + ((size_t)r * g + col) *
				    TINY_GRID_CHANNELS + a * 5;
				c[n].score = tiny_sigmoid(v[4]);
				if (min_score != 0 && !(c[n].score > min_score))
					continue;
				ctx = (col + tiny_sigmoid(v[0])) / g * fx;
				cty = (r + tiny_sigmoid(v[1])) / g * fy;
				bw = exp(v[2]) * tiny_anchors[a][0] / g * fx;
				bh = exp(v[3]) * tiny_anchors[a][1] / g * fy;
				x = ctx - bw / 2;
				y = cty - bh / 2;
				c[n].rel[0] = x;
				c[n].rel[1] = y;
				c[n].rel[2] = (x + bw) - x;
				c[n].rel[3] = (y + bh) - y;
				for (i = 0; i < 4; i++)
					c[n].nms[i] = c[n].rel[i] * input_size;
				c[n].index = n;
				c[n].alive = 1;
				n++;
			}
		}
	}

	/*
	 * Greedy NMS: take the highest score (the last in ascending order,
	 * so the later index on a tie), drop every box with IoU > 0.4.
	 */
	qsort(c, (size_t)n, sizeof *c, tiny_cmp);
	*boxes = xreallocarray(NULL, (size_t)n, sizeof **boxes);
	for (i = n - 1; i >= 0; i--) {
		if (!c[i].alive)
			continue;
		(*boxes)[picked].x = c[i].rel[0] * img->w;
		(*boxes)[picked].y = c[i].rel[1] * img->h;
		(*boxes)[picked].w = c[i].rel[2] * img->w;
		(*boxes)[picked].h = c[i].rel[3] * img->h;
		(*boxes)[picked].score = c[i].score;
		picked++;
		for (j = i - 1; j >= 0; j--) {
			if (c[j].alive && tiny_iou(c[i].nms, c[j].nms) >
			    TINY_IOU)
				c[j].alive = 0;
		}
	}
	free(c);
	*nboxes = picked;
	return 0;
}
