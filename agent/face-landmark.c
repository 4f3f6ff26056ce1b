/*
 * FaceLandmark68Net and FaceLandmark68TinyNet: dense blocks of separable
 * convolutions, a global mean and a fully connected layer giving 68 points
 * relative to the 112 x 112 input.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "face.h"
#include "xmalloc.h"

#define LANDMARK_SIZE		112
#define LANDMARK_OUT		(2 * FACE_LANDMARKS)
#define LANDMARK_MAX_BLOCKS	4
#define LANDMARK_MAX_CONVS	4

/* A separable convolution: depthwise 3x3 (no bias), pointwise 1x1 + bias. */
struct landmark_sep {
	struct nn_op	*dw;
	struct nn_op	*pw;
};

struct landmark_net {
	int			 nblocks;	/* 4, or 3 for the tiny net */
	int			 nconvs;	/* per block: 4, or 3 */
	struct nn_op		*conv0;		/* dense0's full conv, ReLU */
	struct landmark_sep	 sep[LANDMARK_MAX_BLOCKS][LANDMARK_MAX_CONVS];
	struct nn_op		*add;
	struct nn_op		*add_relu;
	struct nn_op		*mean;
	struct nn_op		*fc;
	struct nn_tensor	 input;
	struct nn_tensor	 x;		/* block input/output */
	struct nn_tensor	 out[LANDMARK_MAX_CONVS];
	struct nn_tensor	 t;
	struct nn_tensor	 u;
	struct nn_tensor	 dw;
	struct nn_tensor	 pooled;
	struct nn_tensor	 fc_out;
};

static const int landmark_channels[LANDMARK_MAX_BLOCKS] = { 32, 64, 128, 256 };

/* Builds the separable conv BLOCK/convI from CIN to COUT channels. */
static int
landmark_sep_new(struct landmark_sep *s, struct weights *w, int block,
    int conv, int cin, int cout, int stride, float lo)
{
	char	dw[64], pw[64], bias[64];

	snprintf(dw, sizeof dw, "dense%d/conv%d/depthwise_filter", block, conv);
	snprintf(pw, sizeof pw, "dense%d/conv%d/pointwise_filter", block, conv);
	snprintf(bias, sizeof bias, "dense%d/conv%d/bias", block, conv);
	s->dw = nn_dwconv_new(weights_get(w, dw, 4, 3, 3, cin, 1), NULL, 3,
	    cin, stride, NN_PAD_SAME, -INFINITY, INFINITY);
	s->pw = nn_conv_new(weights_get(w, pw, 4, 1, 1, cin, cout),
	    weights_get(w, bias, 1, cout), 1, cin, cout, 1, NN_PAD_SAME, lo,
	    INFINITY);
	return s->dw != NULL && s->pw != NULL ? 0 : -1;
}

struct landmark_net *
landmark_net_new(struct weights *w, int tiny)
{
	struct landmark_net	*ln = xcalloc(1, sizeof *ln);
	int			 b, i, cin, cout, ok = 1, last;

	ln->nblocks = tiny ? 3 : 4;
	ln->nconvs = tiny ? 3 : 4;
	for (b = 0; b < ln->nblocks; b++) {
		cout = landmark_channels[b];
		cin = b == 0 ? 3 : landmark_channels[b - 1];
		for (i = 0; i < ln->nconvs; i++) {
			/* conv0 has stride 2 and a ReLU of its own. */
			if (b == 0 && i == 0) {
				ln->conv0 = nn_conv_new(weights_get(w,
				    "dense0/conv0/filters", 4, 3, 3, 3, cout),
				    weights_get(w, "dense0/conv0/bias", 1, cout),
				    3, 3, cout, 2, NN_PAD_SAME, 0, INFINITY);
				ok &= ln->conv0 != NULL;
				continue;
			}
			ok &= landmark_sep_new(&ln->sep[b][i], w, b, i,
			    i == 0 ? cin : cout, cout, i == 0 ? 2 : 1,
			    i == 0 ? 0 : -INFINITY) == 0;
		}
	}
	last = landmark_channels[ln->nblocks - 1];
	ln->add = nn_add_new(-INFINITY, INFINITY);
	ln->add_relu = nn_add_new(0, INFINITY);
	ln->mean = nn_mean_new(last);
	ln->fc = nn_fc_new(weights_get(w, "fc/weights", 2, last, LANDMARK_OUT),
	    weights_get(w, "fc/bias", 1, LANDMARK_OUT), last, LANDMARK_OUT);
	ok &= ln->add != NULL && ln->add_relu != NULL && ln->mean != NULL &&
	    ln->fc != NULL;
	if (!ok || w->error != NULL) {
		landmark_net_free(ln);
		return NULL;
	}
	return ln;
}

void
landmark_net_free(struct landmark_net *ln)
{
	int	b, i;

	if (ln == NULL)
		return;
	nn_op_free(ln->conv0);
	for (b = 0; b < LANDMARK_MAX_BLOCKS; b++) {
		for (i = 0; i < LANDMARK_MAX_CONVS; i++) {
			nn_op_free(ln->sep[b][i].dw);
			nn_op_free(ln->sep[b][i].pw);
		}
	}
	nn_op_free(ln->add);
	nn_op_free(ln->add_relu);
	nn_op_free(ln->mean);
	nn_op_free(ln->fc);
	nn_tensor_release(&ln->input);
	nn_tensor_release(&ln->x);
	for (i = 0; i < LANDMARK_MAX_CONVS; i++)
		nn_tensor_release(&ln->out[i]);
	nn_tensor_release(&ln->t);
	nn_tensor_release(&ln->u);
	nn_tensor_release(&ln->dw);
	nn_tensor_release(&ln->pooled);
	nn_tensor_release(&ln->fc_out);
	free(ln);
}

static int
landmark_sep_run(struct landmark_net *ln, struct landmark_sep *s,
    const struct nn_tensor *in, struct nn_tensor *out, pthreadpool_t tp)
{
	if (nn_run(s->dw, in, &ln->dw, tp) != 0)
		return -1;
	return nn_run(s->pw, &ln->dw, out, tp);
}

/*
 * One dense block from IN into ln->x, summing in face-api's order:
 *   out1 = relu(conv0(in)), out2 = sep1(out1),
 *   out3 = sep2(relu(out1 + out2)),
 *   out4 = sep3(relu(out1 + (out2 + out3))),
 *   x = relu(out1 + (out2 + (out3 + out4)))   or, with three convolutions,
 *   x = relu(out1 + (out2 + out3)).
 */
static int
landmark_block(struct landmark_net *ln, int b, const struct nn_tensor *in,
    pthreadpool_t tp)
{
	struct nn_tensor	*o = ln->out;

	if (b == 0) {
		if (nn_run(ln->conv0, in, &o[0], tp) != 0)
			return -1;
	} else if (landmark_sep_run(ln, &ln->sep[b][0], in, &o[0], tp) != 0)
		return -1;
	if (landmark_sep_run(ln, &ln->sep[b][1], &o[0], &o[1], tp) != 0 ||
	    nn_add(ln->add_relu, &o[0], &o[1], &ln->t, tp) != 0 ||
	    landmark_sep_run(ln, &ln->sep[b][2], &ln->t, &o[2], tp) != 0 ||
	    nn_add(ln->add, &o[1], &o[2], &ln->t, tp) != 0)
		return -1;
	if (ln->nconvs == 3)
		return nn_add(ln->add_relu, &o[0], &ln->t, &ln->x, tp);
	if (nn_add(ln->add_relu, &o[0], &ln->t, &ln->u, tp) != 0 ||
	    landmark_sep_run(ln, &ln->sep[b][3], &ln->u, &o[3], tp) != 0 ||
	    nn_add(ln->add, &o[2], &o[3], &ln->t, tp) != 0 ||
	    nn_add(ln->add, &o[1], &ln->t, &ln->u, tp) != 0)
		return -1;
	return nn_add(ln->add_relu, &o[0], &ln->u, &ln->x, tp);
}

int
landmark_net_forward(struct landmark_net *ln, const struct nn_tensor *in,
    int crop_w, int crop_h, float rel[LANDMARK_OUT], pthreadpool_t tp)
{
	double	 scale, sw, sh, padx, pady;
	float	 v, pad, dim;
	int	 b, i;

	if (landmark_block(ln, 0, in, tp) != 0)
		return -1;
	for (b = 1; b < ln->nblocks; b++)
		if (landmark_block(ln, b, &ln->x, tp) != 0)
			return -1;
	/* The VALID average pool covers the whole map: a global mean. */
	if (nn_run(ln->mean, &ln->x, &ln->pooled, tp) != 0 ||
	    nn_run(ln->fc, &ln->pooled, &ln->fc_out, tp) != 0)
		return -1;

	/*
	 * postProcess: undo the centred padding with float32 tensor ops,
	 * assuming diff/2 padding before (face-api's own assumption).
	 */
	scale = (double)LANDMARK_SIZE / (crop_w > crop_h ? crop_w : crop_h);
	sw = crop_w * scale;
	sh = crop_h * scale;
	padx = sw < sh ? fabs(sw - sh) / 2 : 0;
	pady = sh < sw ? fabs(sw - sh) / 2 : 0;
	for (i = 0; i < LANDMARK_OUT; i++) {
		pad = (float)(i % 2 == 0 ? padx : pady);
		dim = (float)(i % 2 == 0 ? sw : sh);
		v = (float)((double)ln->fc_out.data[i] * LANDMARK_SIZE);
		v = (float)((double)v - pad);
		rel[i] = (float)((double)v / dim);
	}
	return 0;
}

int
landmark_net_run(struct landmark_net *ln, const struct image *img,
    const struct face_box *box, double pts[FACE_LANDMARKS][2], int *crop_w,
    int *crop_h, pthreadpool_t tp)
{
	struct prep_rect	r;
	float			rel[LANDMARK_OUT];
	double			p;
	int			i, k;

	if (prep_crop_box(img->w, img->h, box->x, box->y, box->w, box->h,
	    &r) != 0)
		return 1;
	nn_tensor_reserve(&ln->input, LANDMARK_SIZE, LANDMARK_SIZE, 3);
	prep_input(img, &r, LANDMARK_SIZE, 1, &prep_norm_face, ln->input.data);
	if (landmark_net_forward(ln, &ln->input, r.w, r.h, rel, tp) != 0)
		return -1;
	/*
	 * FaceLandmarks scales by the crop size, then shiftBy() recovers the
	 * relative point and shifts by the raw (unclipped, unfloored)
	 * detection origin, as face-api does.
	 */
	for (i = 0; i < FACE_LANDMARKS; i++) {
		for (k = 0; k < 2; k++) {
			int	dim = k == 0 ? r.w : r.h;

			p = (double)rel[2 * i + k] * dim;
			p = p / dim;
			pts[i][k] = p * dim + (k == 0 ? box->x : box->y);
		}
	}
	*crop_w = r.w;
	*crop_h = r.h;
	return 0;
}
