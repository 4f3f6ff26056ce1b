/*
 * Neural-network layers on XNNPACK operators. Operators are created once
 * when a net is loaded (weights are repacked then and may be freed) and run
 * on NHWC float32 tensors with batch 1. Padding follows TensorFlow: SAME
 * puts the odd padding cell after (bottom/right).
 */
#ifndef NN_H
#define NN_H

#include <stddef.h>

#include <pthreadpool.h>

struct nn_tensor {
	int	 h;
	int	 w;
	int	 c;
	float	*data;
	size_t	 cap;		/* floats allocated (plus XNNPACK's slack) */
};

enum nn_pad {
	NN_PAD_VALID,
	NN_PAD_SAME,
};

/*
 * The two large activation buffers of a detector, shared by all the nets
 * of an engine: nets run one at a time, so one pair serves them all.
 */
struct nn_scratch {
	struct nn_tensor	a;
	struct nn_tensor	b;
};

struct nn_op;

/* Initialises XNNPACK once per process. */
int		 nn_init(char **cause);

/* Sets T's shape, growing its buffer if needed; contents are undefined. */
void		 nn_tensor_reserve(struct nn_tensor *, int h, int w, int c);
void		 nn_tensor_release(struct nn_tensor *);
/* Number of values in T. */
size_t		 nn_tensor_size(const struct nn_tensor *);
void		 nn_scratch_release(struct nn_scratch *);

/*
 * Layer constructors return NULL if a weight pointer is NULL (a missing
 * tensor, reported by the weights loader) or XNNPACK refuses the layer.
 * Filters are in the tfjs layouts: convolution HWIO [k][k][cin][cout],
 * depthwise [k][k][c][1], fully connected [in][out]. A NULL bias is zero.
 * LO and HI clamp the output (ReLU is 0, INFINITY; ReLU6 is 0, 6).
 */
struct nn_op	*nn_conv_new(const float *filters, const float *bias, int k,
		     int cin, int cout, int stride, enum nn_pad, float lo,
		     float hi);
struct nn_op	*nn_dwconv_new(const float *filters, const float *bias, int k,
		     int c, int stride, enum nn_pad, float lo, float hi);
struct nn_op	*nn_maxpool_new(int k, int stride, enum nn_pad, int c);
struct nn_op	*nn_avgpool_new(int k, int stride, int c);
struct nn_op	*nn_mean_new(int c);
struct nn_op	*nn_fc_new(const float *weights, const float *bias, int in,
		     int out);
struct nn_op	*nn_leaky_new(int c, float slope);
struct nn_op	*nn_add_new(float lo, float hi);
void		 nn_op_free(struct nn_op *);

/* Output height and width of OP for an input of H x W. */
void		 nn_out_size(const struct nn_op *, int h, int w, int *oh,
		     int *ow);
/* Runs OP on IN into OUT, which is reserved to the output shape. */
int		 nn_run(struct nn_op *, const struct nn_tensor *in,
		     struct nn_tensor *out, pthreadpool_t);
/*
 * Runs OP on the H x W map at IN (channels as the operator has them) into
 * OUT, which must hold the output: for running on a band of rows.
 */
int		 nn_run_raw(struct nn_op *, const float *in, int h, int w,
		     float *out, pthreadpool_t);
/* OUT = clamp(A + B) with an add operator; A and B have the same shape. */
int		 nn_add(struct nn_op *, const struct nn_tensor *a,
		     const struct nn_tensor *b, struct nn_tensor *out,
		     pthreadpool_t);

#endif
