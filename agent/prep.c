#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "prep.h"
#include "xmalloc.h"

const struct prep_norm prep_norm_tiny = {
	{ 117.001f, 114.697f, 97.404f }, 255.0f, 0.0f
};
const struct prep_norm prep_norm_ssd = {
	{ 0.0f, 0.0f, 0.0f }, 127.5f, -1.0f
};
const struct prep_norm prep_norm_face = {
	{ 122.782f, 117.001f, 104.298f }, 255.0f, 0.0f
};

/*
 * One axis of TensorFlow's legacy bilinear resize (align_corners and
 * half_pixel_centers both false): output i samples src = i * in / out,
 * computed in double as the tfjs CPU kernel does. XNNPACK's resize does
 * this arithmetic in float32, which moves inputs by up to 0.005; the
 * reference outputs need the double version. LO and HI are positions in
 * the rectangle, or -1 where they fall in the zero padding.
 */
struct prep_axis {
	int	lo;
	int	hi;
	double	frac;
};

static void
prep_axis(int in, int out, int pad, int len, struct prep_axis *a)
{
	double	ratio = (double)in / out, src;
	int	i, lo, hi;

	for (i = 0; i < out; i++) {
		src = in == out ? i : ratio * i;
		lo = (int)floor(src);
		hi = (int)ceil(src);
		if (hi > in - 1)
			hi = in - 1;
		a[i].frac = src - lo;
		lo -= pad;
		hi -= pad;
		a[i].lo = lo >= 0 && lo < len ? lo : -1;
		a[i].hi = hi >= 0 && hi < len ? hi : -1;
	}
}

/* Normalises one value with the rounding of tfjs's float32 ops. */
static inline float
prep_norm(float v, const struct prep_norm *norm, int ch)
{
	v = (float)((double)v - norm->mean[ch]);
	v = (float)((double)v / norm->div);
	return (float)((double)v + norm->offset);
}

void
prep_input(const struct image *img, const struct prep_rect *r, int size,
    int center, const struct prep_norm *norm, float *out)
{
	struct prep_axis	*ax, *ay;
	const uint8_t		*top, *bot;
	size_t			 stride = (size_t)img->w * 3;
	int			 s, diff, px = 0, py = 0, i, j, ch;
	int			 xl, xh;
	double			 tl, tr, bl, br, t, b, fx, fy;
	float			*o = out;

	s = r->w > r->h ? r->w : r->h;
	diff = s - (r->w < r->h ? r->w : r->h);
	if (center) {
		/* after = round(diff / 2), before = diff - after. */
		int	before = diff - (diff + 1) / 2;

		if (r->w < r->h)
			px = before;
		else
			py = before;
	}

	ax = xreallocarray(NULL, (size_t)size, sizeof *ax);
	ay = xreallocarray(NULL, (size_t)size, sizeof *ay);
	prep_axis(s, size, px, r->w, ax);
	prep_axis(s, size, py, r->h, ay);
	for (i = 0; i < size; i++) {
		top = ay[i].lo < 0 ? NULL : img->rgb + (size_t)(r->y +
		    ay[i].lo) * stride + (size_t)r->x * 3;
		bot = ay[i].hi < 0 ? NULL : img->rgb + (size_t)(r->y +
		    ay[i].hi) * stride + (size_t)r->x * 3;
		fy = ay[i].frac;
		for (j = 0; j < size; j++) {
			xl = ax[j].lo * 3;
			xh = ax[j].hi * 3;
			fx = ax[j].frac;
			for (ch = 0; ch < 3; ch++) {
				tl = top != NULL && xl >= 0 ? top[xl + ch] : 0;
				tr = top != NULL && xh >= 0 ? top[xh + ch] : 0;
				bl = bot != NULL && xl >= 0 ? bot[xl + ch] : 0;
				br = bot != NULL && xh >= 0 ? bot[xh + ch] : 0;
				/* With no resize, frac is 0: the pixel itself. */
				t = tl + (tr - tl) * fx;
				b = bl + (br - bl) * fx;
				*o++ = prep_norm((float)(t + (b - t) * fy),
				    norm, ch);
			}
		}
	}
	free(ax);
	free(ay);
}

int
prep_crop_box(int img_w, int img_h, double x, double y, double w, double h,
    struct prep_rect *r)
{
	double	x0, y0, cw, ch;

	x0 = x > 0 ? x : 0;
	y0 = y > 0 ? y : 0;
	cw = x + w - x0;
	if (cw > img_w - x0)
		cw = img_w - x0;
	ch = y + h - y0;
	if (ch > img_h - y0)
		ch = img_h - y0;
	if (!(cw > 0) || !(ch > 0))
		return -1;
	r->x = (int)floor(x0);
	r->y = (int)floor(y0);
	r->w = (int)floor(cw);
	r->h = (int)floor(ch);
	if (r->w <= 0 || r->h <= 0)
		return -1;
	return 0;
}
