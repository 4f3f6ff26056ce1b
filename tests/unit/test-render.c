/*
 * Tests for console/render.c: QR codes turned back into pictures and read
 * by libzbar; photos (JPEGs made here with libturbojpeg, and the demo
 * photos when present) fitted, centred and coloured in each mode; corrupt
 * photos; and grids drawn by ncurses into a real pseudo-terminal, in 256
 * colours, in direct colour (a terminfo entry compiled here with tic),
 * without colour (NO_COLOR, vt100), with the bytes ncurses sends checked
 * and colour pairs reused across draws.
 */
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <locale.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>
#include <wchar.h>

#include <curses.h>
#include <turbojpeg.h>
#include <zbar.h>

#include "render.h"
#include "test.h"
#include "xmalloc.h"

#define UPPER	"\xe2\x96\x80"
#define LOWER	"\xe2\x96\x84"
#define FULL	"\xe2\x96\x88"

/* The xterm default palette, as render.c compares colours. */
static const uint32_t ansi_rgb[16] = {
	0x000000, 0xcd0000, 0x00cd00, 0xcdcd00,
	0x0000ee, 0xcd00cd, 0x00cdcd, 0xe5e5e5,
	0x7f7f7f, 0xff0000, 0x00ff00, 0xffff00,
	0x5c5cff, 0xff00ff, 0x00ffff, 0xffffff,
};

static uint64_t	rng_state = 0x2545f4914f6cdd1dULL;

/* The next value of a fixed-seed xorshift generator. */
static uint32_t
rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)(rng_state >> 32);
}

/* Whether HAYSTACK (LEN bytes) holds the string NEEDLE. */
static int
mem_contains(const char *haystack, size_t len, const char *needle)
{
	return memmem(haystack, len, needle, strlen(needle)) != NULL;
}

/* The grey level (0..255) of colour C of a grid in MODE. */
static int
grey_of(enum render_mode mode, int c)
{
	uint32_t	rgb;

	if (mode == RENDER_TRUECOLOR)
		rgb = (uint32_t)c;
	else
		rgb = ansi_rgb[c & 15];
	return (int)((299 * ((rgb >> 16) & 0xff) + 587 * ((rgb >> 8) & 0xff) +
	    114 * (rgb & 0xff)) / 1000);
}

/*
 * The picture a grid of half blocks shows: each cell is one pixel wide
 * and two tall, the glyph's half in the foreground colour, the rest in
 * the background one, scaled up SCALE times. With PLAIN, as plain text on
 * a light-on-dark terminal: glyph light, rest dark.
 */
static uint8_t *
grid_bitmap(const struct render_grid *g, int scale, int plain, int *w,
    int *h)
{
	uint8_t				*img;
	const struct render_cell	*c;
	int				 x, y, half, fgv, bgv, v, on;
	int				 dx, dy;

	*w = g->w * scale;
	*h = g->h * 2 * scale;
	img = xmalloc((size_t)*w * *h);
	for (y = 0; y < g->h; y++) {
		for (x = 0; x < g->w; x++) {
			c = &g->cells[y * g->w + x];
			fgv = plain ? 255 : grey_of(g->mode, c->fg);
			bgv = plain ? 0 : grey_of(g->mode, c->bg);
			for (half = 0; half < 2; half++) {
				if (strcmp(c->ch, FULL) == 0)
					on = 1;
				else if (strcmp(c->ch, UPPER) == 0)
					on = half == 0;
				else if (strcmp(c->ch, LOWER) == 0)
					on = half == 1;
				else
					on = 0;
				v = on ? fgv : bgv;
				for (dy = 0; dy < scale; dy++) {
					for (dx = 0; dx < scale; dx++) {
						img[((size_t)(y * 2 + half) *
						    scale + dy) * *w +
						    x * scale + dx] =
						    (uint8_t)v;
					}
				}
			}
		}
	}
	return img;
}

/* The text zbar reads in a grey picture (malloc'd), or NULL. */
static char *
zbar_read(const uint8_t *grey, int w, int h)
{
	zbar_image_scanner_t	*sc;
	zbar_image_t		*im;
	const zbar_symbol_t	*sym;
	char			*text = NULL;

	sc = zbar_image_scanner_create();
	zbar_image_scanner_set_config(sc, ZBAR_NONE, ZBAR_CFG_ENABLE, 0);
	zbar_image_scanner_set_config(sc, ZBAR_QRCODE, ZBAR_CFG_ENABLE, 1);
	im = zbar_image_create();
	zbar_image_set_format(im, zbar_fourcc('Y', '8', '0', '0'));
	zbar_image_set_size(im, (unsigned)w, (unsigned)h);
	zbar_image_set_data(im, grey, (unsigned long)w * h, NULL);
	if (zbar_scan_image(sc, im) > 0 &&
	    (sym = zbar_image_first_symbol(im)) != NULL)
		text = xstrdup(zbar_symbol_get_data(sym));
	zbar_image_destroy(im);
	zbar_image_scanner_destroy(sc);
	return text;
}

/* A base64-ish token of LEN characters. */
static char *
token(size_t len)
{
	static const char	 b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789-_";
	char			*t = xmalloc(len + 1);
	size_t			 i;

	for (i = 0; i < len; i++)
		t[i] = b64[rng() % 64];
	t[len] = '\0';
	return t;
}

/* Checks that the QR grid of TEXT reads back as TEXT, in colour and plain. */
static void
check_qr(const char *text)
{
	struct render_grid	*g;
	char			*cause = NULL, *got, *txt, *line;
	uint8_t			*img;
	int			 w, h, x, y, plain, lines;

	g = render_qr(text, &cause);
	CHECK(g != NULL);
	if (g == NULL) {
		fprintf(stderr, "render_qr: %s\n", cause);
		free(cause);
		return;
	}
	CHECK(cause == NULL);
	CHECK_INT(g->mode, RENDER_DITHER);
	/* 21 + 4k modules, plus 4 of quiet zone each side. */
	CHECK_INT((g->w - 8 - 21) % 4, 0);
	CHECK_INT(g->h, (g->w + 1) / 2);
	for (y = 0; y < g->h; y++) {
		for (x = 0; x < g->w; x++) {
			const struct render_cell *c = &g->cells[y * g->w + x];

			/* Explicit black and white, whatever the terminal. */
			CHECK_INT(c->fg, 15);
			CHECK_INT(c->bg, 0);
			/* The quiet zone: 4 light modules = 2 cell rows. */
			if (y < 2 || x < 4 || x >= g->w - 4)
				CHECK_STR(c->ch, FULL);
		}
	}
	for (plain = 0; plain < 2; plain++) {
		img = grid_bitmap(g, 4, plain, &w, &h);
		got = zbar_read(img, w, h);
		CHECK_STR(got, text);
		free(got);
		free(img);
	}

	/* The text: H lines of W characters each. */
	txt = render_text(g);
	lines = 0;
	for (line = txt; *line != '\0'; lines++) {
		char	*nl = strchr(line, '\n');
		size_t	 n;

		CHECK(nl != NULL);
		if (nl == NULL)
			break;
		*nl = '\0';
		n = mbstowcs(NULL, line, 0);
		CHECK_INT(n, g->w);
		line = nl + 1;
	}
	CHECK_INT(lines, g->h);
	free(txt);
	render_grid_free(g);
}

TEST(test_qr_roundtrip)
{
	char	*t, *longest;

	check_qr("hello");
	check_qr("https://door.example.test/pass?id=42");
	t = token(200);
	check_qr(t);
	free(t);
	t = token(300);
	check_qr(t);
	free(t);
	/* UTF-8 survives the 8-bit mode. */
	check_qr("Acc\xc3\xa8s autoris\xc3\xa9 \xe2\x9c\x93");
	/* The largest at level M: version 40, 2331 bytes of 8-bit data. */
	longest = token(2331);
	check_qr(longest);
	free(longest);
}

TEST(test_qr_too_long)
{
	struct render_grid	*g;
	char			*cause = NULL, *t;

	t = token(2332);
	g = render_qr(t, &cause);
	CHECK(g == NULL);
	CHECK(cause != NULL && strstr(cause, "too long") != NULL);
	free(cause);
	free(t);

	cause = NULL;
	g = render_qr("", &cause);
	CHECK(g == NULL);
	CHECK(cause != NULL);
	free(cause);

	t = token(10000);
	cause = NULL;
	g = render_qr(t, &cause);
	CHECK(g == NULL);
	CHECK(cause != NULL && strstr(cause, "too long") != NULL);
	free(cause);
	free(t);
}

/* Packed RGB of W x H pixels: left half LEFT, right half RIGHT. */
static uint8_t *
halves(int w, int h, uint32_t left, uint32_t right)
{
	uint8_t		*rgb = xmalloc((size_t)w * h * 3);
	uint32_t	 c;
	int		 x, y;

	for (y = 0; y < h; y++) {
		for (x = 0; x < w; x++) {
			c = x < w / 2 ? left : right;
			rgb[(y * w + x) * 3] = (uint8_t)(c >> 16);
			rgb[(y * w + x) * 3 + 1] = (uint8_t)(c >> 8);
			rgb[(y * w + x) * 3 + 2] = (uint8_t)c;
		}
	}
	return rgb;
}

/* A gradient of W x H pixels. */
static uint8_t *
gradient(int w, int h)
{
	uint8_t	*rgb = xmalloc((size_t)w * h * 3);
	int	 x, y;

	for (y = 0; y < h; y++) {
		for (x = 0; x < w; x++) {
			rgb[(y * w + x) * 3] = (uint8_t)(255 * x / w);
			rgb[(y * w + x) * 3 + 1] = (uint8_t)(255 * y / h);
			rgb[(y * w + x) * 3 + 2] = 128;
		}
	}
	return rgb;
}

/* The JPEG of packed RGB (malloc'd), quality 95 without subsampling. */
static uint8_t *
jpeg_of(const uint8_t *rgb, int w, int h, size_t *len)
{
	tjhandle	 tj = tjInitCompress();
	unsigned char	*jpg = NULL;
	unsigned long	 size = 0;
	uint8_t		*out = NULL;

	if (tj == NULL)
		return NULL;
	if (tjCompress2(tj, rgb, w, 0, h, TJPF_RGB, &jpg, &size, TJSAMP_444,
	    95, 0) == 0) {
		out = xmalloc(size);
		memcpy(out, jpg, size);
		*len = size;
	}
	tjFree(jpg);
	tjDestroy(tj);
	return out;
}

/* The bounding box of the cells not blank in default colours. */
static void
grid_bbox(const struct render_grid *g, int *x0, int *y0, int *x1, int *y1)
{
	const struct render_cell	*c;
	int				 x, y;

	*x0 = g->w;
	*y0 = g->h;
	*x1 = *y1 = -1;
	for (y = 0; y < g->h; y++) {
		for (x = 0; x < g->w; x++) {
			c = &g->cells[y * g->w + x];
			if (c->fg == -1 && c->bg == -1 &&
			    strcmp(c->ch, " ") == 0)
				continue;
			if (x < *x0)
				*x0 = x;
			if (y < *y0)
				*y0 = y;
			if (x > *x1)
				*x1 = x;
			if (y > *y1)
				*y1 = y;
		}
	}
}

/*
 * Checks a photo grid of an IW x IH image fitted into W x H: the grid is
 * W x H, the picture fills one side, keeps the aspect ratio within a
 * cell and is centred; every picture cell has colours of the mode.
 */
static void
check_fit(const struct render_grid *g, int iw, int ih, int w, int h,
    enum render_mode mode)
{
	const struct render_cell	*c;
	int				 x0, y0, x1, y1, cols, rows, x, y;
	double				 want_cols, want_rows;

	CHECK_INT(g->w, w);
	CHECK_INT(g->h, h);
	CHECK_INT(g->mode, mode);
	grid_bbox(g, &x0, &y0, &x1, &y1);
	cols = x1 - x0 + 1;
	rows = y1 - y0 + 1;
	CHECK(cols >= 1 && rows >= 1);
	CHECK(cols == w || rows == h);
	/* A cell is twice as tall as wide: cols / (2 rows) = iw / ih. */
	want_cols = (double)iw * 2 * rows / ih;
	want_rows = (double)ih * cols / (2.0 * iw);
	if (cols == w && rows != h)
		CHECK_NEAR(rows, want_rows, 1.0);
	else if (rows == h && cols != w)
		CHECK_NEAR(cols, want_cols, 1.0);
	else
		CHECK(fabs(cols - want_cols) <= 1.0 ||
		    fabs(rows - want_rows) <= 1.0);
	/* Centred. */
	CHECK_INT(x0, (w - cols) / 2);
	CHECK_INT(y0, (h - rows) / 2);
	for (y = y0; y <= y1; y++) {
		for (x = x0; x <= x1; x++) {
			c = &g->cells[y * g->w + x];
			if (mode == RENDER_TRUECOLOR) {
				CHECK(c->fg >= 0 && c->fg <= 0xffffff);
				CHECK(c->bg >= 0 && c->bg <= 0xffffff);
				CHECK_STR(c->ch, UPPER);
			} else if (mode == RENDER_256) {
				CHECK(c->fg >= 16 && c->fg <= 255);
				CHECK(c->bg >= 16 && c->bg <= 255);
				CHECK_STR(c->ch, UPPER);
			} else {
				CHECK(c->fg >= 0 && c->fg <= 15);
				CHECK(c->bg >= 0 && c->bg <= 15);
				CHECK(c->ch[0] != '\0');
			}
		}
	}
}

static const enum render_mode modes[] = {
	RENDER_DITHER, RENDER_256, RENDER_TRUECOLOR
};

TEST(test_photo_fit)
{
	static const struct {
		int	iw, ih, w, h;
	} t[] = {
		{ 200, 100, 80, 40 },	/* wide: 80 x 20 */
		{ 100, 200, 80, 40 },	/* tall: 40 x 40 */
		{ 64, 64, 60, 20 },	/* square: 40 x 20 */
		{ 64, 64, 20, 60 },	/* square: 20 x 10 */
		{ 300, 400, 33, 17 },
		{ 17, 9, 120, 50 },	/* enlarged */
		{ 640, 480, 1, 1 },
		{ 8, 500, 7, 3 },	/* thinner than a cell */
	};
	struct render_grid	*g;
	uint8_t			*rgb, *jpg;
	size_t			 i, m, len;
	char			*cause;

	for (i = 0; i < sizeof t / sizeof t[0]; i++) {
		rgb = gradient(t[i].iw, t[i].ih);
		jpg = jpeg_of(rgb, t[i].iw, t[i].ih, &len);
		free(rgb);
		CHECK(jpg != NULL);
		if (jpg == NULL)
			continue;
		for (m = 0; m < 3; m++) {
			cause = NULL;
			g = render_photo(jpg, len, t[i].w, t[i].h, modes[m],
			    &cause);
			CHECK(g != NULL);
			if (g == NULL) {
				fprintf(stderr, "%s\n", cause);
				free(cause);
				continue;
			}
			check_fit(g, t[i].iw, t[i].ih, t[i].w, t[i].h,
			    modes[m]);
			render_grid_free(g);
		}
		free(jpg);
	}
}

/* Whether 0xRRGGBB A is within TOL of B on every channel. */
static int
rgb_near(int a, uint32_t b, int tol)
{
	int	k, ca, cb;

	for (k = 0; k < 24; k += 8) {
		ca = (a >> k) & 0xff;
		cb = (int)(b >> k) & 0xff;
		if (abs(ca - cb) > tol)
			return 0;
	}
	return 1;
}

TEST(test_photo_colours)
{
	struct render_grid		*g;
	const struct render_cell	*c;
	uint8_t				*rgb, *jpg;
	size_t				 len;
	char				*cause = NULL;
	int				 x, y, left_ok, right_ok, n;

	/* Left half red, right half blue, into 60 x 20: 40 x 20 at x 10. */
	rgb = halves(64, 64, 0xff0000, 0x0000ff);
	jpg = jpeg_of(rgb, 64, 64, &len);
	free(rgb);
	CHECK(jpg != NULL);
	if (jpg == NULL)
		return;

	g = render_photo(jpg, len, 60, 20, RENDER_256, &cause);
	CHECK(g != NULL);
	if (g != NULL) {
		check_fit(g, 64, 64, 60, 20, RENDER_256);
		for (y = 0; y < 20; y++) {
			c = &g->cells[y * 60];
			CHECK_STR(c[0].ch, " ");
			CHECK_INT(c[9].fg, -1);
			CHECK_INT(c[50].bg, -1);
			/* 196 is the cube's red, 21 its blue. */
			for (x = 11; x < 28; x++) {
				CHECK_INT(c[x].fg, 196);
				CHECK_INT(c[x].bg, 196);
			}
			for (x = 32; x < 49; x++) {
				CHECK_INT(c[x].fg, 21);
				CHECK_INT(c[x].bg, 21);
			}
		}
		render_grid_free(g);
	}

	g = render_photo(jpg, len, 60, 20, RENDER_TRUECOLOR, &cause);
	CHECK(g != NULL);
	if (g != NULL) {
		for (y = 0; y < 20; y++) {
			c = &g->cells[y * 60];
			for (x = 11; x < 28; x++)
				CHECK(rgb_near(c[x].fg, 0xff0000, 8) &&
				    rgb_near(c[x].bg, 0xff0000, 8));
			for (x = 32; x < 49; x++)
				CHECK(rgb_near(c[x].fg, 0x0000ff, 8) &&
				    rgb_near(c[x].bg, 0x0000ff, 8));
		}
		render_grid_free(g);
	}

	/* Dithered: the 16 colours' reds (1, 9) and blues (4, 12). */
	g = render_photo(jpg, len, 60, 20, RENDER_DITHER, &cause);
	CHECK(g != NULL);
	if (g != NULL) {
		check_fit(g, 64, 64, 60, 20, RENDER_DITHER);
		left_ok = right_ok = n = 0;
		for (y = 0; y < 20; y++) {
			c = &g->cells[y * 60];
			for (x = 11; x < 28; x++, n++) {
				if ((c[x].fg == 1 || c[x].fg == 9) ||
				    (c[x].bg == 1 || c[x].bg == 9))
					left_ok++;
				if ((c[x + 21].fg == 4 || c[x + 21].fg == 12) ||
				    (c[x + 21].bg == 4 || c[x + 21].bg == 12))
					right_ok++;
			}
		}
		CHECK(left_ok >= n * 9 / 10);
		CHECK(right_ok >= n * 9 / 10);
		if (left_ok < n * 9 / 10 || right_ok < n * 9 / 10) {
			char *t = render_text(g);

			fprintf(stderr, "%s", t);
			free(t);
		}
		render_grid_free(g);
	}
	free(jpg);
}

TEST(test_photo_corrupt)
{
	static const uint8_t	 png_start[] = {
		0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0, 0, 13,
		'I', 'H', 'D', 'R', 0, 0, 0, 16, 0, 0, 0, 16, 8, 2, 0, 0, 0
	};
	struct render_grid	*g;
	uint8_t			 junk[4096], *rgb, *jpg;
	size_t			 len, i;
	char			*cause;
	int			 m;

	for (i = 0; i < sizeof junk; i++)
		junk[i] = (uint8_t)rng();
	rgb = gradient(320, 240);
	jpg = jpeg_of(rgb, 320, 240, &len);
	free(rgb);
	CHECK(jpg != NULL);
	if (jpg == NULL)
		return;

	for (m = 0; m < 3; m++) {
		/* Random bytes. */
		cause = NULL;
		g = render_photo(junk, sizeof junk, 40, 20, modes[m], &cause);
		CHECK(g == NULL);
		CHECK(cause != NULL && *cause != '\0');
		free(cause);

		/* A PNG is not taken. */
		cause = NULL;
		g = render_photo(png_start, sizeof png_start, 40, 20, modes[m],
		    &cause);
		CHECK(g == NULL);
		CHECK(cause != NULL);
		free(cause);

		/* Nothing. */
		cause = NULL;
		g = render_photo(jpg, 0, 40, 20, modes[m], &cause);
		CHECK(g == NULL);
		CHECK(cause != NULL);
		free(cause);

		/* Cut in the header. */
		for (i = 2; i < 200; i += 37) {
			cause = NULL;
			g = render_photo(jpg, i, 40, 20, modes[m], &cause);
			CHECK(g == NULL);
			CHECK(cause != NULL);
			free(cause);
		}

		/* Cut in the scan: the part decoded is shown. */
		cause = NULL;
		g = render_photo(jpg, len / 2, 40, 20, modes[m], &cause);
		CHECK(g != NULL);
		CHECK(cause == NULL);
		render_grid_free(g);

		/* No room. */
		cause = NULL;
		g = render_photo(jpg, len, 0, 20, modes[m], &cause);
		CHECK(g == NULL);
		CHECK(cause != NULL);
		free(cause);
		cause = NULL;
		g = render_photo(jpg, len, 20, -1, modes[m], &cause);
		CHECK(g == NULL);
		CHECK(cause != NULL);
		free(cause);
	}

	/* A header claiming 65000 x 65000 is refused before decoding. */
	for (i = 2; i + 9 < len; i++) {
		if (jpg[i] == 0xff && jpg[i + 1] == 0xc0) {
			jpg[i + 5] = 0xfd;	/* height */
			jpg[i + 6] = 0xe8;
			jpg[i + 7] = 0xfd;	/* width */
			jpg[i + 8] = 0xe8;
			break;
		}
	}
	cause = NULL;
	g = render_photo(jpg, len, 2, 2, RENDER_256, &cause);
	CHECK(g == NULL);
	CHECK(cause != NULL && strstr(cause, "too large") != NULL);
	free(cause);
	free(jpg);
}

TEST(test_photo_demo)
{
	static const char	*names[] = { "sample2.jpg", "sample5.jpg" };
	static const struct {
		int	w, h;
	} sizes[] = { { 80, 24 }, { 30, 30 }, { 200, 60 }, { 1, 1 } };
	struct render_grid	*g;
	tjhandle		 tj;
	char			 path[PATH_MAX], *buf, *cause;
	size_t			 len, n, s, m;
	int			 iw, ih, sub, cs, found = 0;

	for (n = 0; n < sizeof names / sizeof names[0]; n++) {
		snprintf(path, sizeof path, "%s/demo/%s", test_models_dir(),
		    names[n]);
		if ((buf = test_read_file(path, &len)) == NULL)
			continue;
		found++;
		iw = ih = 0;
		tj = tjInitDecompress();
		CHECK(tjDecompressHeader3(tj, (unsigned char *)buf, len, &iw,
		    &ih, &sub, &cs) == 0);
		tjDestroy(tj);
		for (s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
			for (m = 0; m < 3; m++) {
				cause = NULL;
				g = render_photo((uint8_t *)buf, len,
				    sizes[s].w, sizes[s].h, modes[m], &cause);
				CHECK(g != NULL);
				if (g == NULL) {
					fprintf(stderr, "%s: %s\n", path,
					    cause);
					free(cause);
					continue;
				}
				check_fit(g, iw, ih, sizes[s].w, sizes[s].h,
				    modes[m]);
				render_grid_free(g);
			}
		}
		free(buf);
	}
	if (found == 0)
		test_skip("no demo photos under %s/demo", test_models_dir());
}

/*
 * A pseudo-terminal for ncurses, its output read by a thread (so that
 * ncurses never blocks on a full buffer) and kept for checking.
 */
struct pty {
	int		 master;
	FILE		*out, *in;
	SCREEN		*screen;
	pthread_t	 reader;
	char		*data;
	size_t		 len, cap;
};

/* Reads the pty's output until the other side is closed. */
static void *
pty_read(void *arg)
{
	struct pty	*p = arg;
	char		 buf[4096];
	ssize_t		 n;

	for (;;) {
		n = read(p->master, buf, sizeof buf);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (p->len + (size_t)n + 1 > p->cap) {
			p->cap = (p->len + (size_t)n + 1) * 2;
			p->data = xreallocarray(p->data, p->cap, 1);
		}
		memcpy(p->data + p->len, buf, (size_t)n);
		p->len += (size_t)n;
		p->data[p->len] = '\0';
	}
	return NULL;
}

/* Starts ncurses for terminal TERMNAME on a new 100 x 40 pty. */
static int
pty_open(struct pty *p, const char *termname)
{
	struct winsize	 ws;
	int		 slave;

	memset(p, 0, sizeof *p);
	if ((p->master = posix_openpt(O_RDWR | O_NOCTTY)) == -1 ||
	    grantpt(p->master) != 0 || unlockpt(p->master) != 0 ||
	    (slave = open(ptsname(p->master), O_RDWR | O_NOCTTY)) == -1) {
		test_skip("no pseudo-terminal: %s", strerror(errno));
		if (p->master != -1)
			close(p->master);
		return -1;
	}
	memset(&ws, 0, sizeof ws);
	ws.ws_row = 40;
	ws.ws_col = 100;
	ioctl(slave, TIOCSWINSZ, &ws);
	p->out = fdopen(slave, "w");
	p->in = fdopen(dup(slave), "r");
	if (pthread_create(&p->reader, NULL, pty_read, p) != 0) {
		test_skip("no thread");
		return -1;
	}
	p->screen = newterm(termname, p->out, p->in);
	CHECK(p->screen != NULL);
	if (p->screen == NULL) {
		fclose(p->out);
		fclose(p->in);
		pthread_join(p->reader, NULL);
		close(p->master);
		free(p->data);
		return -1;
	}
	set_term(p->screen);
	cbreak();
	noecho();
	start_color();
	use_default_colors();
	return 0;
}

/* Ends ncurses, closes the pty and waits for its output. */
static void
pty_close(struct pty *p)
{
	endwin();
	delscreen(p->screen);
	fclose(p->out);
	fclose(p->in);
	pthread_join(p->reader, NULL);
	close(p->master);
}

/*
 * Whether the terminal output DATA sets no colour: no SGR sequence
 * (ESC [ ... m) holds a parameter 30-37, 40-47, 90-97, 100-107 or 38/48.
 */
static int
no_colour_sgr(const char *data, size_t len)
{
	size_t	i, j;
	int	v, colour;

	for (i = 0; i + 1 < len; i++) {
		if (data[i] != '\033' || data[i + 1] != '[')
			continue;
		colour = 0;
		v = 0;
		for (j = i + 2; j < len; j++) {
			if (data[j] >= '0' && data[j] <= '9') {
				v = v * 10 + (data[j] - '0');
				continue;
			}
			if ((v >= 30 && v <= 38) || (v >= 40 && v <= 48) ||
			    (v >= 90 && v <= 97) || (v >= 100 && v <= 107))
				colour = 1;
			v = 0;
			if (data[j] != ';')
				break;
		}
		if (j < len && data[j] == 'm' && colour)
			return 0;
	}
	return 1;
}

/* The character, attributes and colours ncurses holds at (Y, X). */
static int
cell_at(int y, int x, wchar_t *wc, attr_t *attr, int *fg, int *bg)
{
	cchar_t	cc;
	wchar_t	ws[CCHARW_MAX + 1];
	short	spair;
	int	pair = 0;

	if (mvwin_wch(stdscr, y, x, &cc) == ERR)
		return -1;
	if (getcchar(&cc, ws, attr, &spair, &pair) == ERR)
		return -1;
	*wc = ws[0];
	*fg = *bg = -1;
	if (pair != 0 && extended_pair_content(pair, fg, bg) == ERR)
		return -1;
	return pair;
}

/* A red and blue photo's grid in MODE, fitted into W x H. */
static struct render_grid *
red_blue(int w, int h, enum render_mode mode)
{
	struct render_grid	*g;
	uint8_t			*rgb, *jpg;
	size_t			 len;
	char			*cause = NULL;

	rgb = halves(64, 64, 0xff0000, 0x0000ff);
	jpg = jpeg_of(rgb, 64, 64, &len);
	free(rgb);
	if (jpg == NULL)
		return NULL;
	g = render_photo(jpg, len, w, h, mode, &cause);
	free(cause);
	free(jpg);
	return g;
}

TEST(test_draw_256)
{
	struct render_grid	*qr, *photo, *dither, *tc;
	struct pty		 p;
	char			*cause = NULL;
	wchar_t			 wc;
	attr_t			 attr;
	int			 i, pair, fg, bg, probe, first[3], again[3];

	setenv("TERM", "xterm-256color", 1);
	unsetenv("NO_COLOR");
	unsetenv("COLORTERM");
	if (pty_open(&p, "xterm-256color") != 0)
		return;
	CHECK_INT(render_best_mode(), RENDER_256);
	/* COLORTERM cannot make ncurses send direct colours. */
	setenv("COLORTERM", "truecolor", 1);
	CHECK_INT(render_best_mode(), RENDER_256);
	unsetenv("COLORTERM");

	qr = render_qr("gatehouse", &cause);
	photo = red_blue(30, 10, RENDER_256);
	dither = red_blue(30, 10, RENDER_DITHER);
	tc = red_blue(30, 10, RENDER_TRUECOLOR);
	CHECK(qr != NULL && photo != NULL && dither != NULL && tc != NULL);
	if (qr == NULL || photo == NULL || dither == NULL || tc == NULL)
		goto out;

	CHECK_INT(render_draw(stdscr, 0, 0, qr), 0);
	CHECK_INT(render_draw(stdscr, 0, 40, photo), 0);
	CHECK_INT(render_draw(stdscr, 12, 40, dither), 0);
	CHECK_INT(render_draw(stdscr, 24, 40, tc), 0);
	refresh();

	/* The QR code: white on black, the quiet zone full blocks. */
	pair = cell_at(0, 0, &wc, &attr, &fg, &bg);
	CHECK(pair > 0);
	CHECK_INT(wc, 0x2588);
	CHECK_INT(fg, 15);
	CHECK_INT(bg, 0);
	first[0] = pair;
	/* The photo: half blocks in the cube's red, then its blue. */
	pair = cell_at(5, 40 + 5 + 5, &wc, &attr, &fg, &bg);
	CHECK(pair > 0);
	CHECK_INT(wc, 0x2580);
	CHECK_INT(fg, 196);
	CHECK_INT(bg, 196);
	first[1] = pair;
	pair = cell_at(5, 40 + 5 + 15, &wc, &attr, &fg, &bg);
	CHECK_INT(fg, 21);
	CHECK_INT(bg, 21);
	first[2] = pair;
	/* The blank cells around the photo: default colours. */
	pair = cell_at(5, 41, &wc, &attr, &fg, &bg);
	CHECK_INT(pair, 0);
	CHECK_INT(wc, L' ');
	/* A truecolor grid comes down to the palette. */
	cell_at(24 + 5, 40 + 5 + 5, &wc, &attr, &fg, &bg);
	CHECK_INT(fg, 196);
	cell_at(24 + 5, 40 + 5 + 15, &wc, &attr, &fg, &bg);
	CHECK_INT(bg, 21);
	/* Dithered: reds on the left. */
	cell_at(12 + 5, 40 + 5 + 5, &wc, &attr, &fg, &bg);
	CHECK(fg == 1 || fg == 9 || bg == 1 || bg == 9);

	/*
	 * Drawn again and again (resizes), alternating pictures: the same
	 * pairs, and the next new pair is right after those taken by the
	 * first draw.
	 */
	probe = alloc_pair(100, 101);
	CHECK(probe > 0);
	free_pair(probe);
	for (i = 0; i < 50; i++) {
		erase();
		CHECK_INT(render_draw(stdscr, i % 3, 0, qr), 0);
		CHECK_INT(render_draw(stdscr, 0, 40, photo), 0);
		CHECK_INT(render_draw(stdscr, 12, 40, dither), 0);
		CHECK_INT(render_draw(stdscr, 24, 40, tc), 0);
		if (i % 10 == 0)
			refresh();
	}
	erase();
	render_draw(stdscr, 0, 0, qr);
	render_draw(stdscr, 0, 40, photo);
	again[0] = cell_at(0, 0, &wc, &attr, &fg, &bg);
	again[1] = cell_at(5, 40 + 5 + 5, &wc, &attr, &fg, &bg);
	again[2] = cell_at(5, 40 + 5 + 15, &wc, &attr, &fg, &bg);
	CHECK_INT(again[0], first[0]);
	CHECK_INT(again[1], first[1]);
	CHECK_INT(again[2], first[2]);
	i = alloc_pair(100, 102);
	CHECK(i > 0 && i <= probe + 1);
	refresh();

	/* Clipping. */
	CHECK_INT(render_draw(stdscr, 38, 95, qr), 0);
	CHECK_INT(render_draw(stdscr, -5, -5, qr), 0);
	CHECK_INT(render_draw(stdscr, 40, 0, qr), -1);
	CHECK_INT(render_draw(stdscr, 0, 100, qr), -1);
	CHECK_INT(render_draw(stdscr, -qr->h, 0, qr), -1);
	refresh();
out:
	render_grid_free(qr);
	render_grid_free(photo);
	render_grid_free(dither);
	render_grid_free(tc);
	free(cause);
	pty_close(&p);

	/* What ncurses sent: the cube's red and blue, black and white. */
	CHECK(p.data != NULL);
	if (p.data != NULL) {
		CHECK(mem_contains(p.data, p.len, "38;5;196m"));
		CHECK(mem_contains(p.data, p.len, "48;5;21m"));
		CHECK(mem_contains(p.data, p.len, "[97m") ||
		    mem_contains(p.data, p.len, ";97m"));
		CHECK(mem_contains(p.data, p.len, "[40m") ||
		    mem_contains(p.data, p.len, ";40m"));
		CHECK(mem_contains(p.data, p.len, UPPER));
		CHECK(mem_contains(p.data, p.len, FULL));
	}
	free(p.data);
}

/*
 * Compiles a direct-colour terminfo entry like xterm-direct (not
 * installed here) into a temporary TERMINFO directory.
 */
static int
direct_terminfo(void)
{
	static char	 dir[PATH_MAX];
	char		 src[PATH_MAX + 32], cmd[3 * PATH_MAX];
	FILE		*f;

	snprintf(dir, sizeof dir, "%s/terminfo", test_tmpdir());
	snprintf(src, sizeof src, "%s/direct.src", test_tmpdir());
	if ((f = fopen(src, "w")) == NULL)
		return -1;
	fputs("gh-direct|xterm with direct colours (test),\n"
	    "\tRGB, colors#0x1000000, pairs#0x10000,\n"
	    "\tsetaf=\\E[%?%p1%{8}%<%t3%p1%d%e38;2;%p1%{65536}%/%d;"
	    "%p1%{256}%/%{255}%&%d;%p1%{255}%&%d%;m,\n"
	    "\tsetab=\\E[%?%p1%{8}%<%t4%p1%d%e48;2;%p1%{65536}%/%d;"
	    "%p1%{256}%/%{255}%&%d;%p1%{255}%&%d%;m,\n"
	    "\tuse=xterm-256color,\n", f);
	fclose(f);
	mkdir(dir, 0700);
	snprintf(cmd, sizeof cmd, "tic -x -o '%s' '%s' 2>/dev/null", dir,
	    src);
	if (system(cmd) != 0)
		return -1;
	setenv("TERMINFO", dir, 1);
	return 0;
}

TEST(test_draw_direct)
{
	struct render_grid	*qr, *photo, *p256;
	struct pty		 p;
	char			*cause = NULL;
	wchar_t			 wc;
	attr_t			 attr;
	int			 fg, bg;

	if (direct_terminfo() != 0) {
		test_skip("cannot compile a terminfo entry with tic");
		return;
	}
	setenv("TERM", "gh-direct", 1);
	unsetenv("NO_COLOR");
	if (pty_open(&p, "gh-direct") != 0) {
		unsetenv("TERMINFO");
		return;
	}
	CHECK_INT(render_best_mode(), RENDER_TRUECOLOR);

	qr = render_qr("direct", &cause);
	photo = red_blue(30, 10, RENDER_TRUECOLOR);
	p256 = red_blue(30, 10, RENDER_256);
	CHECK(qr != NULL && photo != NULL && p256 != NULL);
	if (qr != NULL && photo != NULL && p256 != NULL) {
		CHECK_INT(render_draw(stdscr, 0, 0, qr), 0);
		CHECK_INT(render_draw(stdscr, 0, 40, photo), 0);
		CHECK_INT(render_draw(stdscr, 12, 40, p256), 0);
		refresh();
		/* The QR code's white and black as RGB, not palette. */
		cell_at(0, 0, &wc, &attr, &fg, &bg);
		CHECK_INT(fg, 0xffffff);
		CHECK_INT(bg, 0x000100);
		cell_at(5, 40 + 5 + 5, &wc, &attr, &fg, &bg);
		CHECK(rgb_near(fg, 0xff0000, 8));
		cell_at(5, 40 + 5 + 15, &wc, &attr, &fg, &bg);
		CHECK(rgb_near(bg, 0x0000ff, 8));
		/* The palette's 196 as RGB. */
		cell_at(12 + 5, 40 + 5 + 5, &wc, &attr, &fg, &bg);
		CHECK_INT(fg, 0xff0000);
	}
	render_grid_free(qr);
	render_grid_free(photo);
	render_grid_free(p256);
	free(cause);
	pty_close(&p);
	unsetenv("TERMINFO");

	CHECK(p.data != NULL);
	if (p.data != NULL) {
		CHECK(mem_contains(p.data, p.len, "38;2;255;255;255m"));
		CHECK(mem_contains(p.data, p.len, "48;2;0;1;0m"));
		CHECK(mem_contains(p.data, p.len, "38;2;255;0;0m"));
	}
	free(p.data);
}

/* How much of a cell character C covers, out of 8 (-1 if unknown). */
static int
cover_of(wchar_t c)
{
	switch (c) {
	case L' ':
		return 0;
	case 0x00b7:
		return 1;
	case 0x2591:
		return 2;
	case 0x2592:
		return 4;
	case 0x2593:
		return 6;
	case 0x2588:
		return 8;
	}
	return -1;
}

/*
 * Draws a dithered ramp from blue to yellow (dark left, light right; a
 * 16-colour dither mixes hues across it) without colour and checks that
 * what the screen shows gets lighter left to right: the mean cover of
 * each fifth is above the one before.
 */
static void
check_mono_gradient(void)
{
	struct render_grid	*g;
	uint8_t			*rgb, *jpg;
	size_t			 len;
	char			*cause = NULL;
	wchar_t			 wc;
	attr_t			 attr;
	int			 x, y, fg, bg, c, fifth[5] = { 0 }, k;
	int			 w = 60, h = 10, iw = 240, ih = 80, v;

	rgb = xmalloc((size_t)iw * ih * 3);
	for (y = 0; y < ih; y++) {
		for (x = 0; x < iw; x++) {
			v = 255 * x / (iw - 1);
			rgb[(y * iw + x) * 3] = (uint8_t)v;
			rgb[(y * iw + x) * 3 + 1] = (uint8_t)v;
			rgb[(y * iw + x) * 3 + 2] = (uint8_t)(255 - v);
		}
	}
	jpg = jpeg_of(rgb, iw, ih, &len);
	free(rgb);
	CHECK(jpg != NULL);
	if (jpg == NULL)
		return;
	g = render_photo(jpg, len, w, h, RENDER_DITHER, &cause);
	free(jpg);
	CHECK(g != NULL);
	if (g == NULL) {
		free(cause);
		return;
	}
	CHECK_INT(render_draw(stdscr, 20, 0, g), 0);
	for (y = 0; y < h; y++) {
		for (x = 0; x < w; x++) {
			cell_at(20 + y, x, &wc, &attr, &fg, &bg);
			c = cover_of(wc);
			CHECK(c >= 0);
			if (attr & A_REVERSE)
				c = 8 - c;
			fifth[x * 5 / w] += c;
		}
	}
	for (k = 1; k < 5; k++)
		CHECK(fifth[k] > fifth[k - 1]);
	render_grid_free(g);
}

TEST(test_draw_no_colour)
{
	static const char	*terms[] = { "xterm-256color", "vt100" };
	struct render_grid	*qr, *photo, hand;
	struct render_cell	 cells[2];
	struct pty		 p;
	char			*cause = NULL;
	wchar_t			 wc;
	attr_t			 attr;
	size_t			 t;
	int			 fg, bg, pair;

	for (t = 0; t < sizeof terms / sizeof terms[0]; t++) {
		setenv("TERM", terms[t], 1);
		if (t == 0)
			setenv("NO_COLOR", "1", 1);
		else
			unsetenv("NO_COLOR");
		if (pty_open(&p, terms[t]) != 0)
			continue;
		CHECK_INT(render_best_mode(), RENDER_DITHER);

		/* Dark on light is reversed, light on dark is not. */
		memset(&hand, 0, sizeof hand);
		memset(cells, 0, sizeof cells);
		strcpy(cells[0].ch, UPPER);
		cells[0].fg = 0;
		cells[0].bg = 15;
		strcpy(cells[1].ch, UPPER);
		cells[1].fg = 15;
		cells[1].bg = 0;
		hand.w = 2;
		hand.h = 1;
		hand.mode = RENDER_DITHER;
		hand.cells = cells;
		CHECK_INT(render_draw(stdscr, 1, 1, &hand), 0);
		pair = cell_at(1, 1, &wc, &attr, &fg, &bg);
		CHECK_INT(pair, 0);
		CHECK_INT(wc, 0x2580);
		CHECK((attr & A_REVERSE) != 0);
		pair = cell_at(1, 2, &wc, &attr, &fg, &bg);
		CHECK_INT(pair, 0);
		CHECK((attr & A_REVERSE) == 0);

		/* Shades are redrawn by their lightness, not reversed. */
		memset(cells, 0, sizeof cells);
		strcpy(cells[0].ch, "\xe2\x96\x92");	/* ▒ */
		cells[0].fg = 15;
		cells[0].bg = 7;
		strcpy(cells[1].ch, "\xe2\x96\x92");
		cells[1].fg = 8;
		cells[1].bg = 0;
		CHECK_INT(render_draw(stdscr, 2, 1, &hand), 0);
		cell_at(2, 1, &wc, &attr, &fg, &bg);
		CHECK_INT(wc, 0x2588);
		CHECK((attr & A_REVERSE) == 0);
		cell_at(2, 2, &wc, &attr, &fg, &bg);
		CHECK_INT(wc, 0x2591);
		CHECK((attr & A_REVERSE) == 0);

		check_mono_gradient();

		qr = render_qr("no colour", &cause);
		photo = red_blue(30, 10, RENDER_DITHER);
		CHECK(qr != NULL && photo != NULL);
		if (qr != NULL && photo != NULL) {
			CHECK_INT(render_draw(stdscr, 3, 0, qr), 0);
			CHECK_INT(render_draw(stdscr, 3, 40, photo), 0);
			refresh();
			pair = cell_at(3, 0, &wc, &attr, &fg, &bg);
			CHECK_INT(pair, 0);
			CHECK_INT(wc, 0x2588);
			CHECK((attr & A_REVERSE) == 0);
		}
		render_grid_free(qr);
		render_grid_free(photo);
		free(cause);
		cause = NULL;
		pty_close(&p);
		/* No colours sent (cursor moves look alike: be precise). */
		CHECK(p.data == NULL || no_colour_sgr(p.data, p.len));
		free(p.data);
	}
	unsetenv("NO_COLOR");
}

TEST(test_text)
{
	struct render_grid	 g;
	struct render_cell	 cells[6];
	char			*t;
	int			 i;

	memset(&g, 0, sizeof g);
	memset(cells, 0, sizeof cells);
	for (i = 0; i < 6; i++) {
		strcpy(cells[i].ch, i % 2 ? UPPER : "a");
		cells[i].fg = cells[i].bg = -1;
	}
	g.w = 3;
	g.h = 2;
	g.cells = cells;
	t = render_text(&g);
	CHECK_STR(t, "a" UPPER "a\n" UPPER "a" UPPER "\n");
	free(t);
	render_grid_free(NULL);
}

int
main(void)
{
	setlocale(LC_ALL, "C.UTF-8");
	RUN(test_qr_roundtrip);
	RUN(test_qr_too_long);
	RUN(test_photo_fit);
	RUN(test_photo_colours);
	RUN(test_photo_corrupt);
	RUN(test_photo_demo);
	RUN(test_text);
	RUN(test_draw_256);
	RUN(test_draw_direct);
	RUN(test_draw_no_colour);
	return test_main_end("test-render");
}
