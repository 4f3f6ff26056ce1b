#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <xnnpack.h>

#include "nn.h"
#include "xmalloc.h"

enum nn_kind {
	NN_CONV,
	NN_MAXPOOL,
	NN_AVGPOOL,
	NN_MEAN,
	NN_FC,
	NN_LEAKY,
	NN_ADD,
};

struct nn_op {
	enum nn_kind	 kind;
	xnn_operator_t	 xop;
	int		 k;
	int		 stride;
	enum nn_pad	 pad;
	int		 cin;
	int		 cout;
};

int
nn_init(char **cause)
{
	static int	done;

	if (done)
		return 0;
	if (xnn_initialize(NULL) != xnn_status_success) {
		xasprintf(cause, "XNNPACK does not support this CPU");
		return -1;
	}
	done = 1;
	return 0;
}

void
nn_tensor_reserve(struct nn_tensor *t, int h, int w, int c)
{
	size_t	n = (size_t)h * (size_t)w * (size_t)c;

	if (n > t->cap) {
		free(t->data);
		/* XNNPACK may read XNN_EXTRA_BYTES past the end. */
		t->data = xaligned_alloc(64, n * sizeof(float) +
		    XNN_EXTRA_BYTES);
		t->cap = n;
	}
	t->h = h;
	t->w = w;
	t->c = c;
}

void
nn_tensor_release(struct nn_tensor *t)
{
	free(t->data);
	memset(t, 0, sizeof *t);
}

void
nn_scratch_release(struct nn_scratch *s)
{
	nn_tensor_release(&s->a);
	nn_tensor_release(&s->b);
}

size_t
nn_tensor_size(const struct nn_tensor *t)
{
	return (size_t)t->h * (size_t)t->w * (size_t)t->c;
}

static struct nn_op *
nn_op_new(enum nn_kind kind, int k, int stride, enum nn_pad pad, int cin,
    int cout)
{
	struct nn_op	*op = xcalloc(1, sizeof *op);

	op->kind = kind;
	op->k = k;
	op->stride = stride;
	op->pad = pad;
	op->cin = cin;
	op->cout = cout;
	return op;
}

/* Frees OP and returns NULL if STATUS is a failure; else returns OP. */
static struct nn_op *
nn_op_check(struct nn_op *op, enum xnn_status status)
{
	if (status != xnn_status_success) {
		nn_op_free(op);
		return NULL;
	}
	return op;
}

static uint32_t
nn_same_flag(enum nn_pad pad)
{
	return pad == NN_PAD_SAME ? XNN_FLAG_TENSORFLOW_SAME_PADDING : 0;
}

struct nn_op *
nn_conv_new(const float *filters, const float *bias, int k, int cin,
    int cout, int stride, enum nn_pad pad, float lo, float hi)
{
	struct nn_op	*op;
	float		*ohwi, *zero = NULL;
	enum xnn_status	 s;
	int		 o, y, x, i;

	if (filters == NULL)
		return NULL;
	if (bias == NULL)
		bias = zero = xcalloc((size_t)cout, sizeof *zero);
	/* tfjs filters are HWIO; XNNPACK wants OHWI. */
	ohwi = xreallocarray(NULL, (size_t)k * k * cin * cout, sizeof *ohwi);
	for (o = 0; o < cout; o++)
		for (y = 0; y < k; y++)
			for (x = 0; x < k; x++)
				for (i = 0; i < cin; i++)
					ohwi[((size_t)(o * k + y) * k + x) *
					    cin + i] = filters[((size_t)(y * k +
					    x) * cin + i) * cout + o];
	op = nn_op_new(NN_CONV, k, stride, pad, cin, cout);
	s = xnn_create_convolution2d_nhwc_f32(0, 0, 0, 0, k, k, stride,
	    stride, 1, 1, 1, cin, cout, cin, cout, ohwi, bias, lo, hi,
	    nn_same_flag(pad), &op->xop);
	free(ohwi);
	free(zero);
	return nn_op_check(op, s);
}

struct nn_op *
nn_dwconv_new(const float *filters, const float *bias, int k, int c,
    int stride, enum nn_pad pad, float lo, float hi)
{
	struct nn_op	*op;
	float		*zero = NULL;
	enum xnn_status	 s;

	if (filters == NULL)
		return NULL;
	if (bias == NULL)
		bias = zero = xcalloc((size_t)c, sizeof *zero);
	/* The depthwise layout [k][k][c][1] is XNNPACK's HWGo as it is. */
	op = nn_op_new(NN_CONV, k, stride, pad, c, c);
	s = xnn_create_convolution2d_nhwc_f32(0, 0, 0, 0, k, k, stride,
	    stride, 1, 1, c, 1, 1, c, c, filters, bias, lo, hi,
	    XNN_FLAG_DEPTHWISE_CONVOLUTION | nn_same_flag(pad), &op->xop);
	free(zero);
	return nn_op_check(op, s);
}

struct nn_op *
nn_maxpool_new(int k, int stride, enum nn_pad pad, int c)
{
	struct nn_op	*op = nn_op_new(NN_MAXPOOL, k, stride, pad, c, c);

	/* XNNPACK ignores padding cells in max pooling, as TensorFlow does. */
	return nn_op_check(op, xnn_create_max_pooling2d_nhwc_f32(0, 0, 0, 0,
	    k, k, stride, stride, 1, 1, c, c, c, -INFINITY, INFINITY,
	    nn_same_flag(pad), &op->xop));
}

struct nn_op *
nn_avgpool_new(int k, int stride, int c)
{
	struct nn_op	*op = nn_op_new(NN_AVGPOOL, k, stride, NN_PAD_VALID,
	    c, c);

	return nn_op_check(op, xnn_create_average_pooling2d_nhwc_f32(0, 0, 0,
	    0, k, k, stride, stride, c, c, c, -INFINITY, INFINITY, 0,
	    &op->xop));
}

struct nn_op *
nn_mean_new(int c)
{
	struct nn_op	*op = nn_op_new(NN_MEAN, 0, 1, NN_PAD_VALID, c, c);

	return nn_op_check(op, xnn_create_global_average_pooling_nwc_f32(c,
	    c, c, -INFINITY, INFINITY, 0, &op->xop));
}

struct nn_op *
nn_fc_new(const float *weights, const float *bias, int in, int out)
{
	struct nn_op	*op;
	float		*zero = NULL;
	enum xnn_status	 s;

	if (weights == NULL)
		return NULL;
	if (bias == NULL)
		bias = zero = xcalloc((size_t)out, sizeof *zero);
	op = nn_op_new(NN_FC, 1, 1, NN_PAD_VALID, in, out);
	s = xnn_create_fully_connected_nc_f32(in, out, in, out, weights, bias,
	    -INFINITY, INFINITY, XNN_FLAG_TRANSPOSE_WEIGHTS, &op->xop);
	free(zero);
	return nn_op_check(op, s);
}

struct nn_op *
nn_leaky_new(int c, float slope)
{
	struct nn_op	*op = nn_op_new(NN_LEAKY, 1, 1, NN_PAD_VALID, c, c);

	return nn_op_check(op, xnn_create_leaky_relu_nc_f32(c, c, c, slope, 0,
	    &op->xop));
}

struct nn_op *
nn_add_new(float lo, float hi)
{
	struct nn_op	*op = nn_op_new(NN_ADD, 1, 1, NN_PAD_VALID, 0, 0);

	return nn_op_check(op, xnn_create_add_nd_f32(lo, hi, 0, &op->xop));
}

void
nn_op_free(struct nn_op *op)
{
	if (op == NULL)
		return;
	if (op->xop != NULL)
		xnn_delete_operator(op->xop);
	free(op);
}

void
nn_out_size(const struct nn_op *op, int h, int w, int *oh, int *ow)
{
	switch (op->kind) {
	case NN_MEAN:
	case NN_FC:
		*oh = *ow = 1;
		return;
	case NN_LEAKY:
	case NN_ADD:
		*oh = h;
		*ow = w;
		return;
	default:
		break;
	}
	if (op->pad == NN_PAD_SAME) {
		*oh = (h + op->stride - 1) / op->stride;
		*ow = (w + op->stride - 1) / op->stride;
	} else {
		*oh = h < op->k ? 0 : (h - op->k) / op->stride + 1;
		*ow = w < op->k ? 0 : (w - op->k) / op->stride + 1;
	}
}

int
nn_run_raw(struct nn_op *op, const float *in, int h, int w, float *out,
    pthreadpool_t tp)
{
	enum xnn_status	 s;

	switch (op->kind) {
	case NN_CONV:
		s = xnn_setup_convolution2d_nhwc_f32(op->xop, 1, (size_t)h,
		    (size_t)w, in, out, tp);
		break;
	case NN_MAXPOOL:
		s = xnn_setup_max_pooling2d_nhwc_f32(op->xop, 1, (size_t)h,
		    (size_t)w, in, out, tp);
		break;
	case NN_AVGPOOL:
		s = xnn_setup_average_pooling2d_nhwc_f32(op->xop, 1, (size_t)h,
		    (size_t)w, in, out, tp);
		break;
	case NN_MEAN:
		s = xnn_setup_global_average_pooling_nwc_f32(op->xop, 1,
		    (size_t)h * (size_t)w, in, out, tp);
		break;
	case NN_FC:
		/* The input is flattened: all of it feeds one row. */
		s = xnn_setup_fully_connected_nc_f32(op->xop, 1, in, out, tp);
		break;
	case NN_LEAKY:
		s = xnn_setup_leaky_relu_nc_f32(op->xop, (size_t)h * (size_t)w,
		    in, out, tp);
		break;
	default:
		return -1;
	}
	if (s != xnn_status_success)
		return -1;
	return xnn_run_operator(op->xop, tp) == xnn_status_success ? 0 : -1;
}

int
nn_run(struct nn_op *op, const struct nn_tensor *in, struct nn_tensor *out,
    pthreadpool_t tp)
{
	int	oh, ow;

	nn_out_size(op, in->h, in->w, &oh, &ow);
	if (oh <= 0 || ow <= 0)
		return -1;
	if (op->kind == NN_FC ? nn_tensor_size(in) != (size_t)op->cin :
	    in->c != op->cin)
		return -1;
	nn_tensor_reserve(out, oh, ow, op->cout);
	return nn_run_raw(op, in->data, in->h, in->w, out->data, tp);
}

int
nn_add(struct nn_op *op, const struct nn_tensor *a, const struct nn_tensor *b,
    struct nn_tensor *out, pthreadpool_t tp)
{
	size_t	shape[4] = { 1, (size_t)a->h, (size_t)a->w, (size_t)a->c };

	if (op->kind != NN_ADD || a->h != b->h || a->w != b->w ||
	    a->c != b->c)
		return -1;
	nn_tensor_reserve(out, a->h, a->w, a->c);
	if (xnn_setup_add_nd_f32(op->xop, 4, shape, 4, shape, a->data,
	    b->data, out->data, tp) != xnn_status_success)
		return -1;
	return xnn_run_operator(op->xop, tp) == xnn_status_success ? 0 : -1;
}
