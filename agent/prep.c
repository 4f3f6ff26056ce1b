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

/*
 * The horizontal half of the resize for source row ROW of the rectangle
 * (-1: a padding row): DST gets top = tl + (tr - tl) * fx for every output
 * column and channel, exactly as the whole formula computes it.
 */
static void
prep_row(const struct image *img, const struct prep_rect *r, int row,
    const struct prep_axis *ax, int size, double *dst)
{
	const uint8_t	*src;
	double		 tl, tr;
	int		 j, ch, xl, xh;

	if (row < 0) {
		for (j = 0; j < 3 * size; j++)
			dst[j] = 0;
		return;
	}
	src = img->rgb + ((size_t)(r->y + row) * img->w + r->x) * 3;
	for (j = 0; j < size; j++) {
		xl = ax[j].lo * 3;
		xh = ax[j].hi * 3;
		for (ch = 0; ch < 3; ch++) {
			tl = xl >= 0 ? src[xl + ch] : 0;
			tr = xh >= 0 ? src[xh + ch] : 0;
			*dst++ = tl + (tr - tl) * ax[j].frac;
		}
	}
}

void
prep_input(const struct image *img, const struct prep_rect *r, int size,
    int center, const struct prep_norm *norm, float *out)
{
	struct prep_axis	*ax, *ay;
	double			*rows[2], *top, *bot, fy;
	int			 cached[2] = { -2, -2 }, s, diff, px = 0, py = 0;
	int			 i, j, k, need;

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
	rows[0] = xreallocarray(NULL, (size_t)size * 3, sizeof *rows[0]);
	rows[1] = xreallocarray(NULL, (size_t)size * 3, sizeof *rows[1]);
	prep_axis(s, size, px, r->w, ax);
	prep_axis(s, size, py, r->h, ay);
	for (i = 0; i < size; i++) {
		/*
		 * Consecutive output rows share source rows: keep the last
		 * two horizontal passes and compute only a missing one, into
		 * the buffer the other needed row does not hold.
		 */
		top = bot = NULL;
		for (k = 0; k < 2; k++) {
			if (cached[k] == ay[i].lo)
				top = rows[k];
			if (cached[k] == ay[i].hi)
				bot = rows[k];
		}
		for (k = 0; k < 2 && (top == NULL || bot == NULL); k++) {
			if (rows[k] == top || rows[k] == bot)
				continue;
			need = top == NULL ? ay[i].lo : ay[i].hi;
			prep_row(img, r, need, ax, size, rows[k]);
			cached[k] = need;
			if (top == NULL && need == ay[i].lo)
				top = rows[k];
			if (bot == NULL && need == ay[i].hi)
				bot = rows[k];
		}
		/* With no resize, frac is 0: the pixel itself. */
		fy = ay[i].frac;
		for (j = 0; j < 3 * size; j++)
			*out++ = prep_norm((float)(top[j] + (bot[j] - top[j]) *
			    fy), norm, j % 3);
	}
	free(rows[0]);
	free(rows[1]);
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
