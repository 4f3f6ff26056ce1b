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
 * reference outputs need the double version.
 */
struct prep_axis {
	int	lo;
	int	hi;
	double	frac;
};

static void
prep_axis(int in, int out, struct prep_axis *a)
{
	double	ratio = (double)in / out, src;
	int	i;

	for (i = 0; i < out; i++) {
		src = ratio * i;
		a[i].lo = (int)floor(src);
		if (a[i].lo < 0)
			a[i].lo = 0;
		a[i].hi = (int)ceil(src);
		if (a[i].hi > in - 1)
			a[i].hi = in - 1;
		a[i].frac = src - a[i].lo;
	}
}

/* Pixel (x, y) of the padded square: inside the rectangle, or zero. */
static double
prep_pixel(const struct image *img, const struct prep_rect *r, int px,
    int py, int x, int y, int ch)
{
	x -= px;
	y -= py;
	if (x < 0 || y < 0 || x >= r->w || y >= r->h)
		return 0.0;
	return img->rgb[((size_t)(r->y + y) * img->w + (r->x + x)) * 3 + ch];
}

void
prep_input(const struct image *img, const struct prep_rect *r, int size,
    int center, const struct prep_norm *norm, float *out)
{
	struct prep_axis	*ax;
	int			 s, diff, px = 0, py = 0, i, j, ch;
	double			 tl, tr, bl, br, top, bot;
	float			 v;

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
	prep_axis(s, size, ax);
	for (i = 0; i < size; i++) {
		for (j = 0; j < size; j++) {
			for (ch = 0; ch < 3; ch++) {
				if (s == size)
					v = (float)prep_pixel(img, r, px, py,
					    j, i, ch);
				else {
					tl = prep_pixel(img, r, px, py,
					    ax[j].lo, ax[i].lo, ch);
					tr = prep_pixel(img, r, px, py,
					    ax[j].hi, ax[i].lo, ch);
					bl = prep_pixel(img, r, px, py,
					    ax[j].lo, ax[i].hi, ch);
					br = prep_pixel(img, r, px, py,
					    ax[j].hi, ax[i].hi, ch);
					top = tl + (tr - tl) * ax[j].frac;
					bot = bl + (br - bl) * ax[j].frac;
					v = (float)(top + (bot - top) *
					    ax[i].frac);
				}
				/* Each tfjs op rounds to float32. */
				v = (float)((double)v - norm->mean[ch]);
				v = (float)((double)v / norm->div);
				v = (float)((double)v + norm->offset);
				out[((size_t)i * size + j) * 3 + ch] = v;
			}
		}
	}
	free(ax);
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
