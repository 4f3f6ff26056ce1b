/*
 * Pictures in a terminal: photos (libturbojpeg, then half blocks or
 * libcaca's dithering) and QR codes (libqrencode) made into grids of
 * cells, and grids drawn into ncurses windows. See render.h.
 */
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include <caca.h>
#include <curses.h>
#include <qrencode.h>
#include <turbojpeg.h>

#include "log.h"
#include "render.h"
#include "xmalloc.h"

/*
 * The largest grid made, in cells a side: far more than any terminal, and
 * a bound on what a bad caller can make us allocate.
 */
#define RENDER_MAX_SIDE		4096

/*
 * The most pixels a photo may decode to (after libturbojpeg's scaling,
 * which already brings big photos down to about the grid's size): 32
 * megapixels is 96 MB of RGB, so a hostile header saying 65535 x 65535
 * is refused instead of eating the console's memory.
 */
#define RENDER_MAX_PIXELS	(32L * 1024 * 1024)

/* The quiet zone around a QR code, in modules (ISO/IEC 18004 asks for 4). */
#define RENDER_QR_QUIET		4

/* Half blocks, as UTF-8. */
#define RENDER_UPPER		"\xe2\x96\x80"	/* ▀ U+2580 */
#define RENDER_LOWER		"\xe2\x96\x84"	/* ▄ U+2584 */
#define RENDER_FULL		"\xe2\x96\x88"	/* █ U+2588 */

/* The ANSI colours used for QR codes. */
#define RENDER_BLACK		0
#define RENDER_WHITE		15

/*
 * The 16 ANSI colours as xterm shows them by default, to compare colours
 * across modes (the terminal's real palette is unknown, but these are
 * close to every common one).
 */
static const uint32_t render_ansi_rgb[16] = {
	0x000000, 0xcd0000, 0x00cd00, 0xcdcd00,
	0x0000ee, 0xcd00cd, 0x00cdcd, 0xe5e5e5,
	0x7f7f7f, 0xff0000, 0x00ff00, 0xffff00,
	0x5c5cff, 0xff00ff, 0x00ffff, 0xffffff,
};

/* The six levels of each channel of the xterm 256-colour cube. */
static const int render_cube_level[6] = { 0, 95, 135, 175, 215, 255 };

/* libcaca's colours are in CGA order (1 blue, 4 red): to ANSI order. */
static const int render_cga_ansi[8] = { 0, 4, 2, 6, 1, 5, 3, 7 };

/* Frees a grid; NULL is fine. */
void
render_grid_free(struct render_grid *grid)
{
	if (grid == NULL)
		return;
	free(grid->cells);
	free(grid);
}

/* A W x H grid of blank cells in default colours. */
static struct render_grid *
render_grid_new(int w, int h, enum render_mode mode)
{
	struct render_grid	*grid;
	size_t			 i, n = (size_t)w * (size_t)h;

	grid = xcalloc(1, sizeof *grid);
	grid->w = w;
	grid->h = h;
	grid->mode = mode;
	grid->cells = xcalloc(n, sizeof *grid->cells);
	for (i = 0; i < n; i++) {
		strcpy(grid->cells[i].ch, " ");
		grid->cells[i].fg = -1;
		grid->cells[i].bg = -1;
	}
	return grid;
}

/* The cell at column X, row Y. */
static struct render_cell *
render_grid_cell(struct render_grid *grid, int x, int y)
{
	return &grid->cells[(size_t)y * (size_t)grid->w + (size_t)x];
}

/* Sets a cell's character (UTF-8, at most 4 bytes) and colours. */
static void
render_cell_set(struct render_cell *cell, const char *ch, int fg, int bg)
{
	size_t	len = strlen(ch);

	if (len >= sizeof cell->ch)
		len = sizeof cell->ch - 1;
	memcpy(cell->ch, ch, len);
	cell->ch[len] = '\0';
	cell->fg = fg;
	cell->bg = bg;
}

/* The squared distance between two 0xRRGGBB colours. */
static long
render_rgb_distance(uint32_t a, uint32_t b)
{
	long	dr = (long)((a >> 16) & 0xff) - (long)((b >> 16) & 0xff);
	long	dg = (long)((a >> 8) & 0xff) - (long)((b >> 8) & 0xff);
	long	db = (long)(a & 0xff) - (long)(b & 0xff);

	return dr * dr + dg * dg + db * db;
}

/* The index of the cube level nearest to channel value V. */
static int
render_cube_index(int v)
{
	int	i, best = 0;

	for (i = 1; i < 6; i++) {
		if (abs(render_cube_level[i] - v) <
		    abs(render_cube_level[best] - v))
			best = i;
	}
	return best;
}

/*
 * The xterm 256-colour index nearest to RGB. Only the cube (16-231) and
 * the grey ramp (232-255) are candidates: colours 0-15 are whatever the
 * user's theme makes them. The cube is a product of levels, so its
 * nearest point is the nearest level of each channel; the nearest grey is
 * the one nearest to the mean. The closer of the two wins.
 */
static int
render_rgb_to_256(uint32_t rgb)
{
	int		r = (rgb >> 16) & 0xff, g = (rgb >> 8) & 0xff;
	int		b = rgb & 0xff, ri, gi, bi, grey, gi_ramp;
	uint32_t	cube, ramp;

	ri = render_cube_index(r);
	gi = render_cube_index(g);
	bi = render_cube_index(b);
	cube = ((uint32_t)render_cube_level[ri] << 16) |
	    ((uint32_t)render_cube_level[gi] << 8) |
	    (uint32_t)render_cube_level[bi];

	/* Greys are 8 + 10 * i for i in 0..23. */
	grey = (r + g + b) / 3;
	gi_ramp = (grey - 8 + 5) / 10;
	if (gi_ramp < 0)
		gi_ramp = 0;
	if (gi_ramp > 23)
		gi_ramp = 23;
	ramp = (uint32_t)(8 + 10 * gi_ramp) * 0x010101;

	if (render_rgb_distance(ramp, rgb) < render_rgb_distance(cube, rgb))
		return 232 + gi_ramp;
	return 16 + 36 * ri + 6 * gi + bi;
}

/* The 0xRRGGBB colour of xterm 256-colour index C. */
static uint32_t
render_256_to_rgb(int c)
{
	int	i;

	if (c < 16)
		return render_ansi_rgb[c & 15];
	if (c >= 232)
		return (uint32_t)(8 + 10 * (c - 232)) * 0x010101;
	i = c - 16;
	return ((uint32_t)render_cube_level[i / 36] << 16) |
	    ((uint32_t)render_cube_level[(i / 6) % 6] << 8) |
	    (uint32_t)render_cube_level[i % 6];
}

/* The ANSI colour (0..N-1, N 8 or 16) nearest to RGB. */
static int
render_rgb_to_ansi(uint32_t rgb, int n)
{
	int	i, best = 0;
	long	d, bestd = LONG_MAX;

	for (i = 0; i < n; i++) {
		d = render_rgb_distance(render_ansi_rgb[i], rgb);
		if (d < bestd) {
			bestd = d;
			best = i;
		}
	}
	return best;
}

/* The 0xRRGGBB of colour C of a grid in MODE (C is not -1). */
static uint32_t
render_colour_rgb(enum render_mode mode, int c)
{
	switch (mode) {
	case RENDER_TRUECOLOR:
		return (uint32_t)c & 0xffffff;
	case RENDER_256:
		return render_256_to_rgb(c & 0xff);
	case RENDER_DITHER:
		break;
	}
	return render_ansi_rgb[c & 15];
}

/* The luma of 0xRRGGBB (Rec. 601 weights, 0..255000). */
static long
render_luma(uint32_t rgb)
{
	return 299L * ((rgb >> 16) & 0xff) + 587L * ((rgb >> 8) & 0xff) +
	    114L * (rgb & 0xff);
}

/*
 * Fits a picture of IW x IH square pixels into W x H cells, a cell being
 * one pixel wide and two tall: *COLS x *ROWS, at least 1 x 1, rounded to
 * the nearest cell so that the aspect ratio is kept within half a cell.
 */
static void
render_fit(int iw, int ih, int w, int h, int *cols, int *rows)
{
	int64_t	c, r;

	if ((int64_t)iw * 2 * h <= (int64_t)ih * w) {
		/* Taller than the box: the height limits. */
		r = h;
		c = ((int64_t)iw * 2 * h * 2 + ih) / (2 * (int64_t)ih);
	} else {
		c = w;
		r = ((int64_t)ih * w + iw) / (2 * (int64_t)iw);
	}
	*cols = (int)(c < 1 ? 1 : (c > w ? w : c));
	*rows = (int)(r < 1 ? 1 : (r > h ? h : r));
}

/*
 * Scales the RGB image SRC (SW x SH) to DST (DW x DH) with a box filter:
 * each target pixel is the mean of the source pixels it covers (at least
 * the one under it, so enlarging repeats pixels).
 */
static void
render_box(const uint8_t *src, int sw, int sh, uint8_t *dst, int dw, int dh)
{
	int		 tx, ty, x, y, x0, x1, y0, y1, k;
	uint64_t	 sum[3], n;
	const uint8_t	*p;

	for (ty = 0; ty < dh; ty++) {
		y0 = (int)((int64_t)ty * sh / dh);
		y1 = (int)((int64_t)(ty + 1) * sh / dh);
		if (y1 <= y0)
			y1 = y0 + 1;
		for (tx = 0; tx < dw; tx++) {
			x0 = (int)((int64_t)tx * sw / dw);
			x1 = (int)((int64_t)(tx + 1) * sw / dw);
			if (x1 <= x0)
				x1 = x0 + 1;
			sum[0] = sum[1] = sum[2] = 0;
			for (y = y0; y < y1; y++) {
				p = src + ((size_t)y * sw + x0) * 3;
				for (x = x0; x < x1; x++, p += 3) {
					sum[0] += p[0];
					sum[1] += p[1];
					sum[2] += p[2];
				}
			}
			n = (uint64_t)(y1 - y0) * (uint64_t)(x1 - x0);
			for (k = 0; k < 3; k++) {
				dst[((size_t)ty * dw + tx) * 3 + k] =
				    (uint8_t)((sum[k] + n / 2) / n);
			}
		}
	}
}

/*
 * Decodes the JPEG BUF into packed RGB. NEED is told the photo's size
 * from the header and says how many pixels it needs; libturbojpeg then
 * scales down (in its steps of 1/8) as far as it can while keeping at
 * least that many, which saves time and memory on big photos. Returns
 * the pixels (malloc'd) and their size, or NULL with *CAUSE.
 */
static uint8_t *
render_decode(const uint8_t *buf, size_t len, void (*need)(int, int, int *,
    int *, void *), void *arg, int *out_w, int *out_h, char **cause)
{
	tjhandle		 tj;
	tjscalingfactor		*sf;
	int			 iw = 0, ih = 0, sub, cs, nsf, i, sw, sh;
	int			 need_w, need_h, best = -1;
	uint8_t			*rgb = NULL;

	if (len == 0 || len > ULONG_MAX) {
		*cause = xstrdup("empty photo");
		return NULL;
	}
	if ((tj = tjInitDecompress()) == NULL) {
		xasprintf(cause, "cannot start the JPEG decoder: %s",
		    tjGetErrorStr2(NULL));
		return NULL;
	}
	/*
	 * A very short file can make tjDecompressHeader3() succeed without
	 * setting the size, hence the zeroes checked here.
	 */
	if (tjDecompressHeader3(tj, buf, (unsigned long)len, &iw, &ih, &sub,
	    &cs) != 0 || iw <= 0 || ih <= 0) {
		xasprintf(cause, "not a JPEG photo: %s",
		    iw <= 0 || ih <= 0 ? "no image size" :
		    tjGetErrorStr2(tj));
		goto out;
	}
	need(iw, ih, &need_w, &need_h, arg);

	/* The smallest scaled size still at least NEED_W x NEED_H. */
	if ((sf = tjGetScalingFactors(&nsf)) == NULL)
		nsf = 0;
	sw = iw;
	sh = ih;
	for (i = 0; i < nsf; i++) {
		if (sf[i].num > sf[i].denom)
			continue;
		if (TJSCALED(iw, sf[i]) < need_w ||
		    TJSCALED(ih, sf[i]) < need_h)
			continue;
		if (best == -1 || TJSCALED(iw, sf[i]) < sw) {
			best = i;
			sw = TJSCALED(iw, sf[i]);
			sh = TJSCALED(ih, sf[i]);
		}
	}
	if (sw <= 0 || sh <= 0 || (long)sw * sh > RENDER_MAX_PIXELS) {
		xasprintf(cause, "photo too large (%d x %d)", iw, ih);
		goto out;
	}

	rgb = xmalloc((size_t)sw * (size_t)sh * 3);
	/*
	 * A warning (such as a truncated scan) leaves a partial picture, the
	 * rest grey: showing that beats showing nothing, as image viewers
	 * do. Only real errors fail.
	 */
	if (tjDecompress2(tj, buf, (unsigned long)len, rgb, sw, 0, sh,
	    TJPF_RGB, TJFLAG_ACCURATEDCT) != 0) {
		if (tjGetErrorCode(tj) != TJERR_WARNING) {
			xasprintf(cause, "cannot decode the JPEG photo: %s",
			    tjGetErrorStr2(tj));
			free(rgb);
			rgb = NULL;
			goto out;
		}
		log_debug("%s: JPEG warning: %s", __func__,
		    tjGetErrorStr2(tj));
	}
	*out_w = sw;
	*out_h = sh;
out:
	tjDestroy(tj);
	return rgb;
}

/* What render_photo asks of the decoder: the fitted size, then pixels. */
struct render_want {
	int	 w, h;		/* the grid */
	int	 cols, rows;	/* the picture within it */
	int	 scale;		/* source pixels wanted per cell, across */
};

/* Fits the picture (the decoder's callback) and says how many pixels. */
static void
render_want_size(int iw, int ih, int *need_w, int *need_h, void *arg)
{
	struct render_want	*want = arg;

	render_fit(iw, ih, want->w, want->h, &want->cols, &want->rows);
	*need_w = want->cols * want->scale;
	*need_h = want->rows * 2 * want->scale;
}

/* Fills the picture's cells with half blocks, two pixels per cell. */
static void
render_halfblocks(struct render_grid *grid, const struct render_want *want,
    const uint8_t *rgb, int sw, int sh)
{
	struct render_cell	*cell;
	uint8_t			*px;
	const uint8_t		*top, *bot;
	int			 pw = want->cols, ph = want->rows * 2;
	int			 x0 = (want->w - want->cols) / 2;
	int			 y0 = (want->h - want->rows) / 2, cx, cy;
	uint32_t		 t, b;

	px = xmalloc((size_t)pw * (size_t)ph * 3);
	render_box(rgb, sw, sh, px, pw, ph);
	for (cy = 0; cy < want->rows; cy++) {
		for (cx = 0; cx < want->cols; cx++) {
			top = px + ((size_t)(2 * cy) * pw + cx) * 3;
			bot = px + ((size_t)(2 * cy + 1) * pw + cx) * 3;
			t = ((uint32_t)top[0] << 16) | (top[1] << 8) | top[2];
			b = ((uint32_t)bot[0] << 16) | (bot[1] << 8) | bot[2];
			cell = render_grid_cell(grid, x0 + cx, y0 + cy);
			if (grid->mode == RENDER_256)
				render_cell_set(cell, RENDER_UPPER,
				    render_rgb_to_256(t), render_rgb_to_256(b));
			else
				render_cell_set(cell, RENDER_UPPER, (int)t,
				    (int)b);
		}
	}
	free(px);
}

/* The ANSI colour of a libcaca colour (CGA order), -1 for the default. */
static int
render_caca_colour(uint8_t c)
{
	if (c >= 16)
		return -1;
	return render_cga_ansi[c & 7] + (c & 8);
}

/*
 * Fills the picture's cells with libcaca's dithering. The photo is first
 * box-filtered to two samples per cell each way: libcaca samples its
 * input rather than averaging it, which aliases badly on a big photo.
 */
static int
render_dither(struct render_grid *grid, const struct render_want *want,
    const uint8_t *rgb, int sw, int sh, char **cause)
{
	caca_canvas_t	*cv = NULL;
	caca_dither_t	*dither = NULL;
	uint8_t		*px;
	uint32_t	 attr, ch;
	int		 pw = want->cols * 2, ph = want->rows * 4;
	int		 x0 = (want->w - want->cols) / 2;
	int		 y0 = (want->h - want->rows) / 2, cx, cy, r = -1;
	char		 utf8[8];
	size_t		 n;

	if (pw > sw || ph > sh) {
		pw = sw;
		ph = sh;
	}
	px = xmalloc((size_t)pw * (size_t)ph * 3);
	render_box(rgb, sw, sh, px, pw, ph);

	if ((cv = caca_create_canvas(want->cols, want->rows)) == NULL) {
		xasprintf(cause, "cannot make a canvas: %s", strerror(errno));
		goto out;
	}
	/*
	 * Packed R, G, B bytes read by libcaca as one 24-bit number in the
	 * host's byte order.
	 */
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	dither = caca_create_dither(24, pw, ph, pw * 3, 0xff0000, 0x00ff00,
	    0x0000ff, 0);
#else
	dither = caca_create_dither(24, pw, ph, pw * 3, 0x0000ff, 0x00ff00,
	    0xff0000, 0);
#endif
	if (dither == NULL) {
		xasprintf(cause, "cannot make a dither: %s", strerror(errno));
		goto out;
	}
	/*
	 * CP437 shades (░▒▓█) mix two colours in four steps and, drawn
	 * without colour, still read as light and dark.
	 */
	if (caca_set_dither_charset(dither, "shades") != 0 ||
	    caca_set_dither_color(dither, "full16") != 0 ||
	    caca_set_dither_algorithm(dither, "fstein") != 0) {
		xasprintf(cause, "cannot set up the dither: %s",
		    strerror(errno));
		goto out;
	}
	if (caca_dither_bitmap(cv, 0, 0, want->cols, want->rows, dither,
	    px) != 0) {
		xasprintf(cause, "cannot dither the photo: %s",
		    strerror(errno));
		goto out;
	}
	for (cy = 0; cy < want->rows; cy++) {
		for (cx = 0; cx < want->cols; cx++) {
			ch = caca_get_char(cv, cx, cy);
			attr = caca_get_attr(cv, cx, cy);
			if (ch == CACA_MAGIC_FULLWIDTH || ch == 0)
				ch = ' ';
			n = caca_utf32_to_utf8(utf8, ch);
			if (n == 0 || n > 4)
				n = 1, utf8[0] = '?';
			utf8[n] = '\0';
			render_cell_set(render_grid_cell(grid, x0 + cx,
			    y0 + cy), utf8,
			    render_caca_colour(caca_attr_to_ansi_fg(attr)),
			    render_caca_colour(caca_attr_to_ansi_bg(attr)));
		}
	}
	r = 0;
out:
	if (dither != NULL)
		caca_free_dither(dither);
	if (cv != NULL)
		caca_free_canvas(cv);
	free(px);
	return r;
}

/* Makes the grid of a JPEG photo. */
struct render_grid *
render_photo(const uint8_t *buf, size_t len, int w, int h,
    enum render_mode mode, char **cause)
{
	struct render_grid	*grid = NULL;
	struct render_want	 want;
	uint8_t			*rgb;
	int			 sw, sh;

	*cause = NULL;
	if (w < 1 || h < 1) {
		xasprintf(cause, "no room for a photo (%d x %d)", w, h);
		return NULL;
	}
	if (w > RENDER_MAX_SIDE || h > RENDER_MAX_SIDE) {
		xasprintf(cause, "photo size too large (%d x %d)", w, h);
		return NULL;
	}
	if (mode != RENDER_DITHER && mode != RENDER_256 &&
	    mode != RENDER_TRUECOLOR) {
		xasprintf(cause, "unknown photo mode %d", (int)mode);
		return NULL;
	}
	memset(&want, 0, sizeof want);
	want.w = w;
	want.h = h;
	/* The dither gets two samples per cell each way (see there). */
	want.scale = mode == RENDER_DITHER ? 2 : 1;
	if ((rgb = render_decode(buf, len, render_want_size, &want, &sw, &sh,
	    cause)) == NULL)
		return NULL;

	grid = render_grid_new(w, h, mode);
	if (mode == RENDER_DITHER) {
		if (render_dither(grid, &want, rgb, sw, sh, cause) != 0) {
			render_grid_free(grid);
			grid = NULL;
		}
	} else
		render_halfblocks(grid, &want, rgb, sw, sh);
	free(rgb);
	return grid;
}

/* Whether module (X, Y) of QR code Q, quiet zone included, is dark. */
static int
render_qr_dark(const QRcode *q, int x, int y)
{
	x -= RENDER_QR_QUIET;
	y -= RENDER_QR_QUIET;
	if (x < 0 || y < 0 || x >= q->width || y >= q->width)
		return 0;
	return q->data[(size_t)y * q->width + x] & 1;
}

/*
 * Makes the grid of the QR code of TEXT. The glyphs draw the light
 * modules (see render.h for why), in white on black.
 */
struct render_grid *
render_qr(const char *text, char **cause)
{
	struct render_grid	*grid;
	QRcode			*q;
	int			 side, x, y, top, bot;
	const char		*ch;

	*cause = NULL;
	errno = 0;
	if ((q = QRcode_encodeString8bit(text, 0, QR_ECLEVEL_M)) == NULL) {
		if (errno == ERANGE)
			xasprintf(cause, "text too long for a QR code "
			    "(%zu bytes)", strlen(text));
		else if (errno == EINVAL && text != NULL && *text == '\0')
			*cause = xstrdup("no text for a QR code");
		else
			xasprintf(cause, "cannot make a QR code: %s",
			    strerror(errno != 0 ? errno : EINVAL));
		return NULL;
	}
	side = q->width + 2 * RENDER_QR_QUIET;
	grid = render_grid_new(side, (side + 1) / 2, RENDER_DITHER);
	for (y = 0; y < grid->h; y++) {
		for (x = 0; x < side; x++) {
			/* The row below the last is quiet zone too. */
			top = !render_qr_dark(q, x, 2 * y);
			bot = !render_qr_dark(q, x, 2 * y + 1);
			if (top && bot)
				ch = RENDER_FULL;
			else if (top)
				ch = RENDER_UPPER;
			else if (bot)
				ch = RENDER_LOWER;
			else
				ch = " ";
			render_cell_set(render_grid_cell(grid, x, y), ch,
			    RENDER_WHITE, RENDER_BLACK);
		}
	}
	QRcode_free(q);
	return grid;
}

/* The grid's characters as UTF-8 lines. */
char *
render_text(const struct render_grid *grid)
{
	char	*out, *p;
	size_t	 size, n;
	int	 x, y;

	size = (size_t)grid->w * grid->h * (sizeof grid->cells[0].ch - 1) +
	    (size_t)grid->h + 1;
	p = out = xmalloc(size);
	for (y = 0; y < grid->h; y++) {
		for (x = 0; x < grid->w; x++) {
			const char *ch =
			    grid->cells[(size_t)y * grid->w + x].ch;

			n = strnlen(ch, sizeof grid->cells[0].ch - 1);
			memcpy(p, ch, n);
			p += n;
		}
		*p++ = '\n';
	}
	*p = '\0';
	return out;
}

/* What colours the terminal ncurses runs on can show. */
enum render_term {
	RENDER_TERM_NONE,	/* none, or NO_COLOR */
	RENDER_TERM_8,
	RENDER_TERM_16,
	RENDER_TERM_256,
	RENDER_TERM_DIRECT,	/* colour numbers are 0xRRGGBB */
};

/*
 * Whether ncurses runs the terminal in direct colour: the terminfo entry
 * has the RGB capability (xterm-direct and its kin) and 2^24 colours, so
 * that a colour number is an RGB value. COLORTERM alone cannot make that
 * so: ncurses only emits what terminfo describes.
 */
static int
render_term_direct(void)
{
	char	*s;

	if (COLORS < 0x1000000)
		return 0;
	if (tigetflag("RGB") > 0 || tigetnum("RGB") > 0)
		return 1;
	s = tigetstr("RGB");
	return s != NULL && s != (char *)-1;
}

/* NO_COLOR set to a non-empty value (no-color.org) asks for no colour. */
int
render_no_color(void)
{
	const char	*s = getenv("NO_COLOR");

	return s != NULL && *s != '\0';
}

/* The terminal's colours, after start_color(). */
static enum render_term
render_term_colours(void)
{
	if (render_no_color() || !has_colors() || COLORS < 8 ||
	    COLOR_PAIRS < 2)
		return RENDER_TERM_NONE;
	if (render_term_direct())
		return RENDER_TERM_DIRECT;
	if (COLORS >= 256)
		return RENDER_TERM_256;
	if (COLORS >= 16)
		return RENDER_TERM_16;
	return RENDER_TERM_8;
}

/* The best photo mode for this terminal. */
enum render_mode
render_best_mode(void)
{
	switch (render_term_colours()) {
	case RENDER_TERM_DIRECT:
		return RENDER_TRUECOLOR;
	case RENDER_TERM_256:
		return RENDER_256;
	default:
		return RENDER_DITHER;
	}
}

/*
 * The terminal colour for colour C of a grid in MODE on a terminal of
 * kind TERM (not RENDER_TERM_NONE); -1 stays the default colour.
 */
static int
render_term_colour(enum render_term term, enum render_mode mode, int c)
{
	uint32_t	rgb;

	if (c < 0)
		return -1;
	rgb = render_colour_rgb(mode, c);
	switch (term) {
	case RENDER_TERM_DIRECT:
		/*
		 * Direct-colour terminfo entries keep the lowest numbers
		 * for the palette (xterm-direct: 0-7, others up to 255),
		 * so a colour with no red and green gets a touch of green
		 * no eye can see, to stay out of that range.
		 */
		if ((rgb & 0xffff00) == 0)
			rgb |= 0x000100;
		return (int)rgb;
	case RENDER_TERM_256:
		if (mode == RENDER_TRUECOLOR)
			return render_rgb_to_256(rgb);
		return c;
	case RENDER_TERM_16:
		if (mode == RENDER_DITHER)
			return c & 15;
		return render_rgb_to_ansi(rgb, 16);
	case RENDER_TERM_8:
		if (mode == RENDER_DITHER)
			return c & 7;
		return render_rgb_to_ansi(rgb, 8);
	case RENDER_TERM_NONE:
		break;
	}
	return -1;
}

/* Decodes the UTF-8 character S into a wide one ('?' if invalid). */
static wchar_t
render_wchar(const char *s)
{
	const unsigned char	*u = (const unsigned char *)s;
	uint32_t		 c;
	int			 n, i;

	if (u[0] == '\0')
		return L' ';
	if (u[0] < 0x80)
		return (wchar_t)u[0];
	if ((u[0] & 0xe0) == 0xc0) {
		c = u[0] & 0x1f;
		n = 1;
	} else if ((u[0] & 0xf0) == 0xe0) {
		c = u[0] & 0x0f;
		n = 2;
	} else if ((u[0] & 0xf8) == 0xf0) {
		c = u[0] & 0x07;
		n = 3;
	} else
		return L'?';
	for (i = 1; i <= n; i++) {
		if ((u[i] & 0xc0) != 0x80)
			return L'?';
		c = (c << 6) | (u[i] & 0x3f);
	}
	return (wchar_t)c;
}

/*
 * The shading characters libcaca's dither uses, with how much of the cell
 * each covers in the foreground colour (out of 8).
 */
static const struct {
	wchar_t	wc;
	int	cover;
} render_shades[] = {
	{ L' ', 0 },
	{ 0x00b7, 1 },		/* · */
	{ 0x2591, 2 },		/* ░ */
	{ 0x2592, 4 },		/* ▒ */
	{ 0x2593, 6 },		/* ▓ */
	{ 0x2588, 8 },		/* █ */
};

/*
 * The character and attributes of a cell drawn without colour. The
 * terminal's foreground is taken to be the lighter of its two colours.
 *
 * A shading character mixes its two colours: the cell's lightness
 * (luma, 0..255000) is that mix, drawn as the shade nearest to it. A
 * 16-colour dither picks its colour pairs for hue, so the same ▒ may be
 * dark grey on black or white on light grey: kept as they are, or only
 * reversed, the picture's light and dark would be lost.
 *
 * Any other character (the half blocks of QR codes and photos) is kept,
 * reversed where the background is the lighter colour, so that what is
 * light stays light.
 */
static void
render_mono(enum render_mode mode, const struct render_cell *cell,
    wchar_t *wc, attr_t *attr)
{
	long	lf, lb, mix, d, bestd = -1;
	size_t	i, n = sizeof render_shades / sizeof render_shades[0];
	int	cover = -1;

	*attr = A_NORMAL;
	if (cell->fg < 0 || cell->bg < 0)
		return;
	lf = render_luma(render_colour_rgb(mode, cell->fg));
	lb = render_luma(render_colour_rgb(mode, cell->bg));
	for (i = 0; i < n; i++) {
		if (render_shades[i].wc == *wc)
			cover = render_shades[i].cover;
	}
	if (cover == -1) {
		if (lb > lf)
			*attr = A_REVERSE;
		return;
	}
	mix = (lf * cover + lb * (8 - cover)) / 8;
	for (i = 0; i < n; i++) {
		d = labs(mix - 255000L * render_shades[i].cover / 8);
		if (bestd == -1 || d < bestd) {
			bestd = d;
			*wc = render_shades[i].wc;
		}
	}
}

/* Draws a grid into an ncurses window (see render.h). */
int
render_draw(struct _win_st *win, int y, int x, const struct render_grid *grid)
{
	const struct render_cell	*cell;
	enum render_term		 term = render_term_colours();
	cchar_t				 cc;
	wchar_t				 wc[2];
	attr_t				 attr;
	int				 maxy, maxx, cx, cy, fg, bg, pair;
	int				 drawn = 0;

	if (win == NULL || grid == NULL)
		return -1;
	getmaxyx(win, maxy, maxx);
	for (cy = 0; cy < grid->h; cy++) {
		if (y + cy < 0 || y + cy >= maxy)
			continue;
		for (cx = 0; cx < grid->w; cx++) {
			if (x + cx < 0 || x + cx >= maxx)
				continue;
			cell = &grid->cells[(size_t)cy * grid->w + cx];
			wc[0] = render_wchar(cell->ch);
			wc[1] = L'\0';
			attr = A_NORMAL;
			pair = 0;
			if (term == RENDER_TERM_NONE)
				render_mono(grid->mode, cell, &wc[0], &attr);
			else {
				fg = render_term_colour(term, grid->mode,
				    cell->fg);
				bg = render_term_colour(term, grid->mode,
				    cell->bg);
				if (fg != -1 || bg != -1) {
					if ((pair = alloc_pair(fg, bg)) < 0)
						pair = 0;
				}
			}
			if (setcchar(&cc, wc, attr, 0, &pair) != OK)
				continue;
			/*
			 * The bottom right corner of a window that does not
			 * scroll gives ERR after drawing: not a failure.
			 */
			mvwadd_wch(win, y + cy, x + cx, &cc);
			drawn++;
		}
	}
	return drawn > 0 ? 0 : -1;
}
