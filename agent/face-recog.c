/*
 * FaceRecognitionNet: face-api's port of dlib's ResNet face descriptor.
 * Every unit is conv + bias followed by a per-channel scale layer; the
 * scale is folded into the convolution at load (exact up to rounding).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "face.h"
#include "xmalloc.h"

#define RECOG_SIZE	150
#define RECOG_BLOCKS	13

struct recog_block_def {
	const char	*name;
	int		 cin;
	int		 cout;
	int		 down;		/* residual-down: stride 2, VALID */
};

static const struct recog_block_def recog_blocks[RECOG_BLOCKS] = {
	{ "conv32_1", 32, 32, 0 },
	{ "conv32_2", 32, 32, 0 },
	{ "conv32_3", 32, 32, 0 },
	{ "conv64_down", 32, 64, 1 },
	{ "conv64_1", 64, 64, 0 },
	{ "conv64_2", 64, 64, 0 },
	{ "conv64_3", 64, 64, 0 },
	{ "conv128_down", 64, 128, 1 },
	{ "conv128_1", 128, 128, 0 },
	{ "conv128_2", 128, 128, 0 },
	{ "conv256_down", 128, 256, 1 },
	{ "conv256_1", 256, 256, 0 },
	{ "conv256_2", 256, 256, 0 },
};
/* conv256_down_out follows as the last residual-down block. */

struct recog_block {
	struct nn_op	*conv1;
	struct nn_op	*conv2;
	struct nn_op	*pool;		/* shortcut of a residual-down block */
};

struct recog_net {
	struct nn_op		*stem;	/* 7x7 stride 2 VALID, ReLU */
	struct nn_op		*stem_pool;
	struct recog_block	 blocks[RECOG_BLOCKS + 1];
	struct nn_op		*add_relu;
	struct nn_op		*mean;
	struct nn_op		*fc;
	struct nn_tensor	 input;
	struct nn_tensor	 x;
	struct nn_tensor	 a;
	struct nn_tensor	 b;
	struct nn_tensor	 s;
	struct nn_tensor	 t;
	struct nn_tensor	 pooled;
	struct nn_tensor	 out;
};

/*
 * Builds the unit PREFIX (conv + bias, then y * scale + shift) as one
 * convolution with the scale folded into filters and bias.
 */
static struct nn_op *
recog_unit_new(struct weights *w, const char *prefix, int k, int cin,
    int cout, int stride, enum nn_pad pad, int relu)
{
	const float	*f, *b, *sw, *sb;
	float		*ff, *bb;
	char		 name[96];
	struct nn_op	*op;
	size_t		 i, n = (size_t)k * k * cin * cout;

	snprintf(name, sizeof name, "%s/conv/filters", prefix);
	f = weights_get(w, name, 4, k, k, cin, cout);
	snprintf(name, sizeof name, "%s/conv/bias", prefix);
	b = weights_get(w, name, 1, cout);
	snprintf(name, sizeof name, "%s/scale/weights", prefix);
	sw = weights_get(w, name, 1, cout);
	snprintf(name, sizeof name, "%s/scale/biases", prefix);
	sb = weights_get(w, name, 1, cout);
	if (f == NULL || b == NULL || sw == NULL || sb == NULL)
		return NULL;

	ff = xreallocarray(NULL, n, sizeof *ff);
	bb = xreallocarray(NULL, (size_t)cout, sizeof *bb);
	/* HWIO: the output channel is the fastest-moving index. */
	for (i = 0; i < n; i++)
		ff[i] = f[i] * sw[i % (size_t)cout];
	for (i = 0; i < (size_t)cout; i++)
		bb[i] = b[i] * sw[i] + sb[i];
	op = nn_conv_new(ff, bb, k, cin, cout, stride, pad, relu ? 0 :
	    -INFINITY, INFINITY);
	free(ff);
	free(bb);
	return op;
}

/* Builds residual block NAME; a down block also gets its shortcut pool. */
static int
recog_block_new(struct recog_block *rb, struct weights *w, const char *name,
    int cin, int cout, int down)
{
	char	prefix[64];

	snprintf(prefix, sizeof prefix, "%s/conv1", name);
	rb->conv1 = recog_unit_new(w, prefix, 3, cin, cout, down ? 2 : 1,
	    down ? NN_PAD_VALID : NN_PAD_SAME, 1);
	snprintf(prefix, sizeof prefix, "%s/conv2", name);
	rb->conv2 = recog_unit_new(w, prefix, 3, cout, cout, 1, NN_PAD_SAME,
	    0);
	if (down)
		rb->pool = nn_avgpool_new(2, 2, cin);
	return rb->conv1 != NULL && rb->conv2 != NULL &&
	    (!down || rb->pool != NULL) ? 0 : -1;
}

struct recog_net *
recog_net_new(struct weights *w)
{
	struct recog_net	*rn = xcalloc(1, sizeof *rn);
	int			 i, ok = 1;

	rn->stem = recog_unit_new(w, "conv32_down", 7, 3, 32, 2, NN_PAD_VALID,
	    1);
	rn->stem_pool = nn_maxpool_new(3, 2, NN_PAD_VALID, 32);
	ok &= rn->stem != NULL && rn->stem_pool != NULL;
	for (i = 0; i < RECOG_BLOCKS; i++)
		ok &= recog_block_new(&rn->blocks[i], w, recog_blocks[i].name,
		    recog_blocks[i].cin, recog_blocks[i].cout,
		    recog_blocks[i].down) == 0;
	ok &= recog_block_new(&rn->blocks[RECOG_BLOCKS], w,
	    "conv256_down_out", 256, 256, 1) == 0;
	rn->add_relu = nn_add_new(0, INFINITY);
	rn->mean = nn_mean_new(256);
	rn->fc = nn_fc_new(weights_get(w, "fc", 2, 256, FACE_DESCRIPTOR), NULL,
	    256, FACE_DESCRIPTOR);
	ok &= rn->add_relu != NULL && rn->mean != NULL && rn->fc != NULL;
	if (!ok || w->error != NULL) {
		recog_net_free(rn);
		return NULL;
	}
	return rn;
}

void
recog_net_free(struct recog_net *rn)
{
	int	i;

	if (rn == NULL)
		return;
	nn_op_free(rn->stem);
	nn_op_free(rn->stem_pool);
	for (i = 0; i <= RECOG_BLOCKS; i++) {
		nn_op_free(rn->blocks[i].conv1);
		nn_op_free(rn->blocks[i].conv2);
		nn_op_free(rn->blocks[i].pool);
	}
	nn_op_free(rn->add_relu);
	nn_op_free(rn->mean);
	nn_op_free(rn->fc);
	nn_tensor_release(&rn->input);
	nn_tensor_release(&rn->x);
	nn_tensor_release(&rn->a);
	nn_tensor_release(&rn->b);
	nn_tensor_release(&rn->s);
	nn_tensor_release(&rn->t);
	nn_tensor_release(&rn->pooled);
	nn_tensor_release(&rn->out);
	free(rn);
}

/*
 * Copies SRC into DST of H x W x C, zero-filling what SRC lacks: a
 * residual-down block grows its branch by a bottom row and right column
 * and its shortcut by channels.
 */
static void
recog_zero_extend(const struct nn_tensor *src, struct nn_tensor *dst, int h,
    int w, int c)
{
	int	y, x;

	nn_tensor_reserve(dst, h, w, c);
	memset(dst->data, 0, nn_tensor_size(dst) * sizeof *dst->data);
	for (y = 0; y < src->h; y++)
		for (x = 0; x < src->w; x++)
			memcpy(dst->data + ((size_t)y * w + x) * c,
			    src->data + ((size_t)y * src->w + x) * src->c,
			    (size_t)src->c * sizeof *dst->data);
}

/* One residual block on rn->x, in place. */
static int
recog_block_run(struct recog_net *rn, struct recog_block *rb,
    pthreadpool_t tp)
{
	const struct nn_tensor	*branch = &rn->b, *shortcut = &rn->x;

	if (nn_run(rb->conv1, &rn->x, &rn->a, tp) != 0 ||
	    nn_run(rb->conv2, &rn->a, &rn->b, tp) != 0)
		return -1;
	if (rb->pool != NULL) {
		if (nn_run(rb->pool, &rn->x, &rn->s, tp) != 0)
			return -1;
		shortcut = &rn->s;
		if (rn->s.c < rn->b.c) {
			recog_zero_extend(&rn->s, &rn->t, rn->s.h, rn->s.w,
			    rn->b.c);
			shortcut = &rn->t;
		}
		if (rn->b.h < shortcut->h || rn->b.w < shortcut->w) {
			recog_zero_extend(&rn->b, &rn->a, shortcut->h,
			    shortcut->w, rn->b.c);
			branch = &rn->a;
		}
	}
	/* The sum lands in a fresh buffer; then it becomes x. */
	if (nn_add(rn->add_relu, branch, shortcut, &rn->out, tp) != 0)
		return -1;
	{
		struct nn_tensor	t = rn->x;

		rn->x = rn->out;
		rn->out = t;
	}
	return 0;
}

int
recog_net_forward(struct recog_net *rn, const struct nn_tensor *in,
    float desc[FACE_DESCRIPTOR], pthreadpool_t tp)
{
	int	i;

	if (nn_run(rn->stem, in, &rn->a, tp) != 0 ||
	    nn_run(rn->stem_pool, &rn->a, &rn->x, tp) != 0)
		return -1;
	for (i = 0; i <= RECOG_BLOCKS; i++)
		if (recog_block_run(rn, &rn->blocks[i], tp) != 0)
			return -1;
	if (nn_run(rn->mean, &rn->x, &rn->pooled, tp) != 0 ||
	    nn_run(rn->fc, &rn->pooled, &rn->out, tp) != 0)
		return -1;
	memcpy(desc, rn->out.data, FACE_DESCRIPTOR * sizeof *desc);
	return 0;
}

/* Mean of points FIRST..LAST, summed from (0, 0) in order. */
static void
recog_center(const double pts[FACE_LANDMARKS][2], int first, int last,
    double c[2])
{
	int	i;

	c[0] = c[1] = 0;
	for (i = first; i <= last; i++) {
		c[0] += pts[i][0];
		c[1] += pts[i][1];
	}
	c[0] /= last - first + 1;
	c[1] /= last - first + 1;
}

int
recog_align(const double pts[FACE_LANDMARKS][2], int crop_w, int crop_h,
    int img_w, int img_h, struct prep_rect *r)
{
	double	le[2], re[2], m[2], d, size, cx, cy, x, y, w, h;

	recog_center(pts, 36, 41, le);
	recog_center(pts, 42, 47, re);
	recog_center(pts, 48, 67, m);
	d = (hypot(m[0] - le[0], m[1] - le[1]) +
	    hypot(m[0] - re[0], m[1] - re[1])) / 2;
	size = floor(d / 0.45);
	cx = ((0 + le[0]) + re[0] + m[0]) / 3;
	cy = ((0 + le[1]) + re[1] + m[1]) / 3;
	x = floor(fmax(0, cx - 0.5 * size));
	y = floor(fmax(0, cy - 0.43 * size));
	/* face-api bounds the size by the landmark crop, not the image. */
	w = fmin(size, crop_w + x);
	h = fmin(size, crop_h + y);
	return prep_crop_box(img_w, img_h, x, y, w, h, r);
}

int
recog_net_run(struct recog_net *rn, const struct image *img,
    const double pts[FACE_LANDMARKS][2], int crop_w, int crop_h,
    float desc[FACE_DESCRIPTOR], pthreadpool_t tp)
{
	struct prep_rect	r;

	if (recog_align(pts, crop_w, crop_h, img->w, img->h, &r) != 0) {
		/* face-api's descriptor of an empty crop is all zeros. */
		memset(desc, 0, FACE_DESCRIPTOR * sizeof *desc);
		return 0;
	}
	nn_tensor_reserve(&rn->input, RECOG_SIZE, RECOG_SIZE, 3);
	prep_input(img, &r, RECOG_SIZE, 1, &prep_norm_face, rn->input.data);
	return recog_net_forward(rn, &rn->input, desc, tp);
}
