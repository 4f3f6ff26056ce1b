/*
 * Tests for agent/image.c: the three decoders (with hand-built PNGs of
 * every colour type, EXIF-tagged JPEGs and odd PPM headers), truncated and
 * corrupt inputs, the pixel limit, the encoders' round trips and crops,
 * and the labelled photos and demo images when present.
 */

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <png.h>
#include <turbojpeg.h>

#include "image.h"
#include "test.h"
#include "xmalloc.h"

/* A growing byte buffer for building test files. */
struct buf {
	uint8_t	*p;
	size_t	 len;
	size_t	 cap;
};

static uint64_t	rng_state = 0x9e3779b97f4a7c15ULL;

/* Returns the next value of a fixed-seed xorshift generator. */
static uint32_t
rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)(rng_state >> 32);
}

/* Returns the FNV-1a hash of an image's size and pixels. */
static uint64_t
image_hash(const struct image *img)
{
	uint64_t	h = 0xcbf29ce484222325ULL;
	size_t		i, n = (size_t)img->w * img->h * 3;

	h = (h ^ (uint64_t)img->w) * 0x100000001b3ULL;
	h = (h ^ (uint64_t)img->h) * 0x100000001b3ULL;
	for (i = 0; i < n; i++)
		h = (h ^ img->rgb[i]) * 0x100000001b3ULL;
	return h;
}

/* Returns if two images have the same size and pixels. */
static int
image_same(const struct image *a, const struct image *b)
{
	return a != NULL && b != NULL && a->w == b->w && a->h == b->h &&
	    memcmp(a->rgb, b->rgb, (size_t)a->w * a->h * 3) == 0;
}

/* Returns the pixel at (x, y). */
static const uint8_t *
px(const struct image *img, int x, int y)
{
	return img->rgb + ((size_t)y * img->w + x) * 3;
}

/* Sets the pixel at (x, y). */
static void
set_px(struct image *img, int x, int y, int r, int g, int b)
{
	uint8_t	*p = img->rgb + ((size_t)y * img->w + x) * 3;

	p[0] = (uint8_t)r;
	p[1] = (uint8_t)g;
	p[2] = (uint8_t)b;
}

/* Returns if pixel P is within TOL of (r, g, b) in every channel. */
static int
px_near(const uint8_t *p, int r, int g, int b, int tol)
{
	return abs(p[0] - r) <= tol && abs(p[1] - g) <= tol &&
	    abs(p[2] - b) <= tol;
}

/* Decodes BUF, expecting success; returns NULL (and fails) otherwise. */
static struct image *
decode_ok(const uint8_t *buf, size_t len)
{
	struct image	*img;
	char		*cause;

	if (image_decode(buf, len, IMAGE_MAX_PIXELS, &img, &cause) != 0) {
		fprintf(stderr, "%s: unexpected error: %s\n", test_current,
		    cause);
		free(cause);
		CHECK(0);
		return NULL;
	}
	CHECK(img != NULL);
	return img;
}

/* Decodes BUF, expecting an error with a cause; returns the cause. */
static char *
decode_err(const uint8_t *buf, size_t len, size_t max_pixels)
{
	struct image	*img = NULL;
	char		*cause = NULL;

	if (image_decode(buf, len, max_pixels, &img, &cause) == 0) {
		image_free(img);
		return NULL;
	}
	CHECK(img == NULL);
	CHECK(cause != NULL && cause[0] != '\0');
	return cause;
}

/* Checks that decoding fails, and frees the cause. */
#define CHECK_DECODE_FAILS(buf, len) do {				\
	char	*_c = decode_err((buf), (len), IMAGE_MAX_PIXELS);	\
	if (_c == NULL)							\
		fprintf(stderr, "%s:%d: %s: decoding %zu bytes "	\
		    "succeeded\n", __FILE__, __LINE__, test_current,	\
		    (size_t)(len));					\
	CHECK(_c != NULL);						\
	free(_c);							\
} while (0)

/* Appends N bytes to B. */
static void
buf_add(struct buf *b, const void *d, size_t n)
{
	if (b->len + n > b->cap) {
		b->cap = (b->len + n) * 2 + 64;
		b->p = xreallocarray(b->p, b->cap, 1);
	}
	if (n != 0)
		memcpy(b->p + b->len, d, n);
	b->len += n;
}

/* Appends a big-endian 32-bit value. */
static void
buf_be32(struct buf *b, uint32_t v)
{
	uint8_t	x[4] = { v >> 24, v >> 16, v >> 8, v };

	buf_add(b, x, 4);
}

/* Appends a printf-formatted string. */
static void __attribute__((format(printf, 2, 3)))
buf_printf(struct buf *b, const char *fmt, ...)
{
	char	*s;
	va_list	 ap;
	int	 n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0)
		abort();
	buf_add(b, s, (size_t)n);
	free(s);
}

/* Writes LEN bytes to PATH. */
static void
write_file(const char *path, const void *d, size_t len)
{
	FILE	*f;

	if ((f = fopen(path, "wb")) == NULL || fwrite(d, 1, len, f) != len ||
	    fclose(f) != 0) {
		perror(path);
		exit(1);
	}
}

/* Reads PATH whole; NULL if it cannot. */
static uint8_t *
read_file(const char *path, size_t *len)
{
	struct buf	 b = { 0 };
	uint8_t		 tmp[65536];
	size_t		 n;
	FILE		*f;

	if ((f = fopen(path, "rb")) == NULL)
		return NULL;
	while ((n = fread(tmp, 1, sizeof tmp, f)) > 0)
		buf_add(&b, tmp, n);
	fclose(f);
	*len = b.len;
	return b.p;
}

/* --- PNG files built by hand: stored zlib blocks, CRC32 and Adler-32. */

/* Returns the CRC-32 (as PNG uses it) of N bytes. */
static uint32_t
crc32_of(const uint8_t *d, size_t n)
{
	static uint32_t	table[256];
	uint32_t	c;
	size_t		i;
	int		k;

	if (table[1] == 0) {
		for (i = 0; i < 256; i++) {
			c = (uint32_t)i;
			for (k = 0; k < 8; k++)
				c = (c & 1) ? 0xedb88320U ^ (c >> 1) : c >> 1;
			table[i] = c;
		}
	}
	c = 0xffffffffU;
	for (i = 0; i < n; i++)
		c = table[(c ^ d[i]) & 0xff] ^ (c >> 8);
	return c ^ 0xffffffffU;
}

/* Appends one PNG chunk with its length and CRC. */
static void
png_chunk(struct buf *b, const char *type, const uint8_t *d, size_t n)
{
	size_t	start;

	buf_be32(b, (uint32_t)n);
	start = b->len;
	buf_add(b, type, 4);
	buf_add(b, d, n);
	buf_be32(b, crc32_of(b->p + start, n + 4));
}

/* Appends a zlib stream of stored (uncompressed) deflate blocks. */
static void
zlib_stored(struct buf *b, const uint8_t *d, size_t n)
{
	uint32_t	s1 = 1, s2 = 0;
	uint8_t		hdr[5];
	size_t		i, k;

	buf_add(b, "\x78\x01", 2);
	i = 0;
	do {
		k = n - i > 65535 ? 65535 : n - i;
		hdr[0] = (i + k == n);
		hdr[1] = k & 0xff;
		hdr[2] = k >> 8;
		hdr[3] = ~k & 0xff;
		hdr[4] = (~k >> 8) & 0xff;
		buf_add(b, hdr, 5);
		buf_add(b, d + i, k);
		i += k;
	} while (i < n);
	for (i = 0; i < n; i++) {
		s1 = (s1 + d[i]) % 65521;
		s2 = (s2 + s1) % 65521;
	}
	buf_be32(b, (s2 << 16) | s1);
}

/*
 * Builds a PNG from scanline data RAW (filter bytes included). PLTE, tRNS
 * and gAMA are added when given (GAMA 0: none).
 */
static uint8_t *
png_build(uint32_t w, uint32_t h, int depth, int ctype, int interlace,
    const uint8_t *raw, size_t rawlen, const uint8_t *plte, size_t nplte,
    const uint8_t *trns, size_t ntrns, uint32_t gama, size_t *len)
{
	struct buf	b = { 0 }, z = { 0 }, ihdr = { 0 }, g = { 0 };
	uint8_t		tail[5] = { depth, ctype, 0, 0, interlace };

	buf_add(&b, "\x89PNG\r\n\x1a\n", 8);
	buf_be32(&ihdr, w);
	buf_be32(&ihdr, h);
	buf_add(&ihdr, tail, 5);
	png_chunk(&b, "IHDR", ihdr.p, ihdr.len);
	if (gama != 0) {
		buf_be32(&g, gama);
		png_chunk(&b, "gAMA", g.p, g.len);
	}
	if (plte != NULL)
		png_chunk(&b, "PLTE", plte, nplte);
	if (trns != NULL)
		png_chunk(&b, "tRNS", trns, ntrns);
	zlib_stored(&z, raw, rawlen);
	png_chunk(&b, "IDAT", z.p, z.len);
	png_chunk(&b, "IEND", NULL, 0);
	free(z.p);
	free(ihdr.p);
	free(g.p);
	*len = b.len;
	return b.p;
}

/* Prefixes each ROWBYTES row of DATA with filter byte 0. */
static uint8_t *
png_rows(const uint8_t *data, size_t rowbytes, int h, size_t *len)
{
	struct buf	b = { 0 };
	int		y;

	for (y = 0; y < h; y++) {
		buf_add(&b, "", 1);
		buf_add(&b, data + (size_t)y * rowbytes, rowbytes);
	}
	*len = b.len;
	return b.p;
}

/* Builds a non-interlaced PNG from packed rows of ROWBYTES bytes. */
static uint8_t *
png_simple(uint32_t w, uint32_t h, int depth, int ctype, const uint8_t *data,
    size_t rowbytes, size_t *len)
{
	uint8_t	*raw, *out;
	size_t	 rawlen;

	raw = png_rows(data, rowbytes, (int)h, &rawlen);
	out = png_build(w, h, depth, ctype, 0, raw, rawlen, NULL, 0, NULL, 0,
	    0, len);
	free(raw);
	return out;
}

/* Builds an Adam7-interlaced 8-bit RGB PNG of IMG. */
static uint8_t *
png_interlaced(const struct image *img, size_t *len)
{
	static const int	pass[7][4] = {	/* x0, y0, dx, dy */
		{ 0, 0, 8, 8 }, { 4, 0, 8, 8 }, { 0, 4, 4, 8 },
		{ 2, 0, 4, 4 }, { 0, 2, 2, 4 }, { 1, 0, 2, 2 },
		{ 0, 1, 1, 2 }
	};
	struct buf		raw = { 0 };
	uint8_t			*out;
	int			 p, x, y;

	for (p = 0; p < 7; p++) {
		if (pass[p][0] >= img->w || pass[p][1] >= img->h)
			continue;			/* empty pass */
		for (y = pass[p][1]; y < img->h; y += pass[p][3]) {
			buf_add(&raw, "", 1);
			for (x = pass[p][0]; x < img->w; x += pass[p][2])
				buf_add(&raw, px(img, x, y), 3);
		}
	}
	out = png_build((uint32_t)img->w, (uint32_t)img->h, 8, 2, 1, raw.p,
	    raw.len, NULL, 0, NULL, 0, 0, len);
	free(raw.p);
	return out;
}

/* --- JPEG helpers. */

/*
 * An image of 16x16 blocks (so 4:2:0 MCUs hold one colour each): three
 * across, two down, each corner a different saturated colour.
 */
static const int	blocky_colour[2][3][3] = {
	{ { 255, 0, 0 }, { 0, 255, 0 }, { 0, 0, 255 } },	/* R G B */
	{ { 255, 255, 0 }, { 255, 0, 255 }, { 0, 255, 255 } }	/* Y M C */
};

/* Makes the 48x32 blocky test image. */
static struct image *
blocky(void)
{
	struct image	*img = image_new(48, 32);
	const int	*c;
	int		 x, y;

	for (y = 0; y < 32; y++) {
		for (x = 0; x < 48; x++) {
			c = blocky_colour[y / 16][x / 16];
			set_px(img, x, y, c[0], c[1], c[2]);
		}
	}
	return img;
}

/* Encodes IMG as JPEG at QUALITY, failing the test if it cannot. */
static uint8_t *
jpeg_of(const struct image *img, int quality, size_t *len)
{
	uint8_t	*buf = NULL;
	char	*cause;

	if (image_encode_jpeg(img, quality, &buf, len, &cause) != 0) {
		fprintf(stderr, "%s: %s\n", test_current, cause);
		free(cause);
		CHECK(0);
		*len = 0;
		return NULL;
	}
	return buf;
}

/* Inserts an APP1 segment holding "Exif\0\0" and TIFF right after SOI. */
static uint8_t *
jpeg_with_exif(const uint8_t *jpeg, size_t len, const uint8_t *tiff,
    size_t tlen, int fill, size_t *outlen)
{
	struct buf	b = { 0 };
	size_t		seg = 2 + 6 + tlen;
	uint8_t		hdr[4] = { 0xff, 0xe1, seg >> 8, seg & 0xff };

	buf_add(&b, jpeg, 2);
	if (fill)
		buf_add(&b, "\xff", 1);	/* fill byte before the marker */
	buf_add(&b, hdr, 4);
	buf_add(&b, "Exif\0\0", 6);
	buf_add(&b, tiff, tlen);
	buf_add(&b, jpeg + 2, len - 2);
	*outlen = b.len;
	return b.p;
}

/* Stores a 16-bit value in either byte order. */
static void
put16(uint8_t *p, int big, unsigned int v)
{
	p[big ? 0 : 1] = (v >> 8) & 0xff;
	p[big ? 1 : 0] = v & 0xff;
}

/* Stores a 32-bit value in either byte order. */
static void
put32(uint8_t *p, int big, uint32_t v)
{
	put16(p + (big ? 0 : 2), big, v >> 16);
	put16(p + (big ? 2 : 0), big, v & 0xffff);
}

/*
 * Builds a TIFF block with IFD0 holding ImageWidth then Orientation (of
 * TYPE and COUNT, value V). Returns its length (always 38).
 */
static size_t
tiff_orientation(uint8_t *t, int big, unsigned int type, uint32_t count,
    unsigned int v)
{
	memset(t, 0, 38);
	t[0] = t[1] = big ? 'M' : 'I';
	put16(t + 2, big, 42);
	put32(t + 4, big, 8);
	put16(t + 8, big, 2);			/* two entries */
	put16(t + 10, big, 0x0100);		/* ImageWidth SHORT 48 */
	put16(t + 12, big, 3);
	put32(t + 14, big, 1);
	put16(t + 18, big, 48);
	put16(t + 22, big, 0x0112);		/* Orientation */
	put16(t + 24, big, type);
	put32(t + 26, big, count);
	put16(t + 30, big, v);
	put32(t + 34, big, 0);			/* no next IFD */
	return 38;
}

/*
 * The upright view of IMG for EXIF orientation O, written straight from
 * the spec's description of where row 0 and column 0 of the stored image
 * appear, pixel by pixel, independent of image.c.
 */
static struct image *
ref_orient(const struct image *img, int o)
{
	struct image	*out;
	int		 W = img->w, H = img->h, x, y, sx = 0, sy = 0;

	out = o >= 5 ? image_new(H, W) : image_new(W, H);
	for (y = 0; y < out->h; y++) {
		for (x = 0; x < out->w; x++) {
			switch (o) {
			case 1: sx = x; sy = y; break;
			case 2: sx = W - 1 - x; sy = y; break;
			case 3: sx = W - 1 - x; sy = H - 1 - y; break;
			case 4: sx = x; sy = H - 1 - y; break;
			case 5: sx = y; sy = x; break;
			case 6: sx = y; sy = H - 1 - x; break;
			case 7: sx = W - 1 - y; sy = H - 1 - x; break;
			case 8: sx = W - 1 - y; sy = x; break;
			}
			memcpy(out->rgb + ((size_t)y * out->w + x) * 3,
			    px(img, sx, sy), 3);
		}
	}
	return out;
}

/*
 * Decodes are pinned: if libjpeg-turbo's default decode ever changes
 * (another version, or someone passing FASTDCT or FASTUPSAMPLE), the
 * reference fixtures made from it must be regenerated. FNV-1a hashes from
 * libjpeg-turbo 2.1.5 (Debian 12); obama_4_480p.jpg is baseline 4:4:4,
 * rose_leslie_1.jpg progressive with subsampled chroma, sample1.jpg the
 * first demo image.
 */
static const struct {
	const char	*name;
	uint64_t	 hash;
} pinned[] = {
	{ "obama_4_480p.jpg", 0xe9dd8bceb657fb62ULL },
	{ "rose_leslie_1.jpg", 0x56fe30c054f431fbULL },
	{ "sample1.jpg", 0x11505f1dcee9ea57ULL },
};

/* Checks IMG (decoded from NAME) against its pinned hash, if any. */
static void
check_pinned(const char *name, const struct image *img)
{
	size_t	i;

	for (i = 0; i < sizeof pinned / sizeof pinned[0]; i++) {
		if (strcmp(pinned[i].name, name) != 0)
			continue;
		if (image_hash(img) != pinned[i].hash)
			fprintf(stderr, "%s decodes to %016llx, pinned %016llx "
			    "(libjpeg-turbo 2.1.5): regenerate the fixtures?\n",
			    name, (unsigned long long)image_hash(img),
			    (unsigned long long)pinned[i].hash);
		CHECK(image_hash(img) == pinned[i].hash);
	}
}

/* --- Tests. */

/* Empty input and unknown formats are errors with a clear cause. */
TEST(test_sniff)
{
	static const uint8_t	gif[] = "GIF89a\x01\x00\x01\x00";
	static const uint8_t	ff[] = { 0xff };
	static const uint8_t	ascii[] = "P3\n1 1\n255\n0 0 0\n";
	struct image		*img = (struct image *)1;
	char			*cause = NULL;

	CHECK_INT(image_decode(NULL, 0, IMAGE_MAX_PIXELS, &img, &cause), -1);
	CHECK(img == NULL);
	CHECK_STR(cause, "empty image data");
	free(cause);
	CHECK_INT(image_decode(gif, 0, IMAGE_MAX_PIXELS, &img, &cause), -1);
	CHECK_STR(cause, "empty image data");
	free(cause);

	cause = decode_err(gif, sizeof gif - 1, IMAGE_MAX_PIXELS);
	CHECK_STR(cause, "unknown image format");
	free(cause);
	cause = decode_err(ff, sizeof ff, IMAGE_MAX_PIXELS);
	CHECK_STR(cause, "unknown image format");
	free(cause);
	cause = decode_err(ascii, sizeof ascii - 1, IMAGE_MAX_PIXELS);
	CHECK(cause != NULL && strstr(cause, "P3") != NULL);
	free(cause);
}

/* A PPM written and read back is identical, with the exact header. */
TEST(test_ppm_roundtrip)
{
	struct image	*img, *back = NULL;
	char		 path[512], *cause;
	uint8_t		*file;
	size_t		 len, i;
	const char	 hdr[] = "P6\n7 5\n255\n";

	img = image_new(7, 5);
	for (i = 0; i < 7 * 5 * 3; i++)
		img->rgb[i] = (uint8_t)(i * 37 + 11);
	snprintf(path, sizeof path, "%s/rt.ppm", test_tmpdir());
	CHECK_INT(image_write_ppm(img, path, &cause), 0);

	file = read_file(path, &len);
	CHECK(file != NULL);
	if (file != NULL) {
		CHECK_INT(len, sizeof hdr - 1 + 7 * 5 * 3);
		CHECK(memcmp(file, hdr, sizeof hdr - 1) == 0);
		free(file);
	}
	CHECK_INT(image_load(path, IMAGE_MAX_PIXELS, &back, &cause), 0);
	CHECK(image_same(img, back));
	image_free(back);
	image_free(img);
}

/* Header whitespace, comments, maxval scaling and trailing bytes. */
TEST(test_ppm_header_forms)
{
	struct buf	 b = { 0 };
	struct image	*img;
	uint8_t		 two[6];

	/* Comments and odd whitespace between every token. */
	buf_printf(&b, "P6#c1\n \t2# two\r\n\f1\v#x\n255\n");
	buf_add(&b, "\x01\x02\x03\x04\x05\x06", 6);
	buf_add(&b, "trailing", 8);
	if ((img = decode_ok(b.p, b.len)) != NULL) {
		CHECK_INT(img->w, 2);
		CHECK_INT(img->h, 1);
		CHECK(memcmp(img->rgb, "\x01\x02\x03\x04\x05\x06", 6) == 0);
		image_free(img);
	}

	/* Exactly one whitespace byte after maxval: the next is a sample. */
	b.len = 0;
	buf_printf(&b, "P6 1 1 255\n\n\x07\x08");
	if ((img = decode_ok(b.p, b.len)) != NULL) {
		CHECK(memcmp(img->rgb, "\n\x07\x08", 3) == 0);
		image_free(img);
	}

	/* Maxval 15: (v * 255 + 7) / 15; a sample above maxval is 255. */
	b.len = 0;
	buf_printf(&b, "P6 2 1 15\n");
	buf_add(&b, "\x00\x01\x07\x08\x0f\x10", 6);
	if ((img = decode_ok(b.p, b.len)) != NULL) {
		CHECK_INT(img->rgb[0], 0);
		CHECK_INT(img->rgb[1], 17);
		CHECK_INT(img->rgb[2], 119);
		CHECK_INT(img->rgb[3], 136);
		CHECK_INT(img->rgb[4], 255);
		CHECK_INT(img->rgb[5], 255);
		image_free(img);
	}

	/* Maxval 10 rounds: 1 -> 26 (25.5 up), 4 -> 102, 9 -> 230 (229.5). */
	b.len = 0;
	buf_printf(&b, "P6 1 1 10\n");
	buf_add(&b, "\x01\x04\x09", 3);
	if ((img = decode_ok(b.p, b.len)) != NULL) {
		CHECK_INT(img->rgb[0], 26);
		CHECK_INT(img->rgb[1], 102);
		CHECK_INT(img->rgb[2], 230);
		image_free(img);
	}

	/* Maxval 1: bilevel. */
	b.len = 0;
	buf_printf(&b, "P6 1 1 1\n");
	buf_add(&b, "\x00\x01\x01", 3);
	if ((img = decode_ok(b.p, b.len)) != NULL) {
		CHECK(memcmp(img->rgb, "\x00\xff\xff", 3) == 0);
		image_free(img);
	}

	/* Maxval 65535: two bytes big-endian, rounded. */
	b.len = 0;
	buf_printf(&b, "P6 1 1 65535\n");
	two[0] = 0xff; two[1] = 0xff;		/* 65535 -> 255 */
	two[2] = 0x80; two[3] = 0x80;		/* 32896 -> 128 */
	two[4] = 0x00; two[5] = 0x81;		/* 129 -> 1, rounded */
	buf_add(&b, two, 6);
	if ((img = decode_ok(b.p, b.len)) != NULL) {
		CHECK_INT(img->rgb[0], 255);
		CHECK_INT(img->rgb[1], 128);
		CHECK_INT(img->rgb[2], 1);
		image_free(img);
	}

	/* Maxval 1000, two bytes: 500 -> (500 * 255 + 500) / 1000 = 128. */
	b.len = 0;
	buf_printf(&b, "P6 1 1 1000\n");
	two[0] = 0x01; two[1] = 0xf4;		/* 500 */
	two[2] = 0x03; two[3] = 0xe8;		/* 1000 */
	two[4] = 0x00; two[5] = 0x02;		/* 2 -> 1 */
	buf_add(&b, two, 6);
	if ((img = decode_ok(b.p, b.len)) != NULL) {
		CHECK_INT(img->rgb[0], 128);
		CHECK_INT(img->rgb[1], 255);
		CHECK_INT(img->rgb[2], 1);
		image_free(img);
	}
	free(b.p);
}

/* Malformed PPM headers are all errors. */
TEST(test_ppm_bad_headers)
{
#define BAD(s)	{ s, sizeof s - 1 }
	static const struct {
		const char	*s;
		size_t		 len;
	} bad[] = {
		BAD("P6"),
		BAD("P6\n"),
		BAD("P61 1 255\n\0\0\0"),
		BAD("P6 1 1 255"),		/* no byte after maxval */
		BAD("P6 1 1 255#\n\0\0\0"),		/* comment, not space */
		BAD("P6 1 1 0\n\0\0\0"),
		BAD("P6 1 1 65536\n\0\0\0\0\0\0"),
		BAD("P6 1 1 99999999999999999999\n\0\0\0"),
		BAD("P6 -1 1 255\n\0\0\0"),
		BAD("P6 +1 1 255\n\0\0\0"),
		BAD("P6 1 x 255\n\0\0\0"),
		BAD("P6 2147483648 1 255\n\0\0\0"),
		BAD("P6 99999999999999999999999 1 255\n\0\0\0"),
		BAD("P6 1 1 255\n\0\0"),		/* one byte short */
		BAD("P6 1 1 256\n\0\0\0\0\0"),	/* two bytes a sample */
		BAD("P6 # only a comment"),
		BAD("P6 1 1 2.5\n\0\0\0"),
		BAD("P6 1 1\n"),
	};
#undef BAD
	size_t	i;

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++)
		CHECK_DECODE_FAILS((const uint8_t *)bad[i].s, bad[i].len);
}

/* Data length is checked exactly (NULs inside the sample data). */
TEST(test_ppm_data_length)
{
	static const uint8_t	ok[] = "P6 1 1 255\n\0\0\0";
	static const uint8_t	wide[] = "P6 1 1 256\n\0\0\0\0\0\0";
	struct image		*img;

	if ((img = decode_ok(ok, sizeof ok - 1)) != NULL) {
		CHECK(memcmp(img->rgb, "\0\0\0", 3) == 0);
		image_free(img);
	}
	CHECK_DECODE_FAILS(ok, sizeof ok - 2);
	if ((img = decode_ok(wide, sizeof wide - 1)) != NULL)
		image_free(img);
	CHECK_DECODE_FAILS(wide, sizeof wide - 2);
}

/*
 * A PPM header claiming 100000x100000 (30 GB of RGB) with no data is
 * rejected by the pixel limit, not by the data length and not by
 * allocating (xmalloc would abort the test).
 */
TEST(test_ppm_pixel_limit)
{
	static const uint8_t	huge[] = "P6\n100000 100000\n255\n";
	static const uint8_t	tiny[] = "P6 4 4 255\n";
	char			*cause;

	cause = decode_err(huge, sizeof huge - 1, IMAGE_MAX_PIXELS);
	CHECK(cause != NULL && strstr(cause, "too large") != NULL);
	free(cause);
	cause = decode_err(huge, sizeof huge - 1, SIZE_MAX);
	CHECK(cause != NULL && strstr(cause, "truncated") != NULL);
	free(cause);

	cause = decode_err(tiny, sizeof tiny - 1, 15);
	CHECK(cause != NULL && strstr(cause, "too large") != NULL);
	free(cause);
}

/* Zero width or height is an error in every format. */
TEST(test_zero_size)
{
	static const uint8_t	 p0[] = "P6 0 5 255\n";
	static const uint8_t	 p1[] = "P6 5 0 255\n";
	struct image		*img;
	uint8_t			*png, *jpeg, row[4] = { 0 };
	size_t			 len, i;

	CHECK_DECODE_FAILS(p0, sizeof p0 - 1);
	CHECK_DECODE_FAILS(p1, sizeof p1 - 1);

	png = png_simple(0, 1, 8, 0, row, 0, &len);
	CHECK_DECODE_FAILS(png, len);
	free(png);
	png = png_simple(1, 0, 8, 0, row, 1, &len);
	CHECK_DECODE_FAILS(png, len);
	free(png);

	/* Patch the SOF of a real JPEG to height 0, then width 0. */
	img = blocky();
	jpeg = jpeg_of(img, 90, &len);
	image_free(img);
	for (i = 2; jpeg != NULL && i + 9 < len; i++) {
		if (jpeg[i] == 0xff && jpeg[i + 1] == 0xc0)
			break;
	}
	CHECK(jpeg != NULL && i + 9 < len);
	if (jpeg != NULL && i + 9 < len) {
		jpeg[i + 5] = jpeg[i + 6] = 0;		/* height */
		CHECK_DECODE_FAILS(jpeg, len);
		jpeg[i + 6] = 32;
		jpeg[i + 7] = jpeg[i + 8] = 0;		/* width */
		CHECK_DECODE_FAILS(jpeg, len);
	}
	free(jpeg);
}

/* An 8-bit sRGB RGB PNG round-trips to identical bytes. */
TEST(test_png_roundtrip)
{
	static const int	 sizes[][2] = {
		{ 1, 1 }, { 3, 2 }, { 256, 3 }, { 17, 33 }
	};
	struct image		*img, *back;
	uint8_t			*png;
	size_t			 len, i, k, n;
	char			*cause;

	for (k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
		img = image_new(sizes[k][0], sizes[k][1]);
		n = (size_t)img->w * img->h * 3;
		for (i = 0; i < n; i++)		/* every value, then noise */
			img->rgb[i] = i < 768 ? (uint8_t)(i / 3) : rng();
		CHECK_INT(image_encode_png(img, &png, &len, &cause), 0);
		CHECK(len > 8 && memcmp(png, "\x89PNG\r\n\x1a\n", 8) == 0);
		if ((back = decode_ok(png, len)) != NULL) {
			CHECK(image_same(img, back));
			image_free(back);
		}
		free(png);
		image_free(img);
	}
}

/* Every PNG colour type and depth decodes to the expected RGB. */
TEST(test_png_variants)
{
	struct image	*img, *src;
	uint8_t		*png, d[64];
	size_t		 len;
	int		 x, y;
	static const uint8_t plte[] = {
		10, 20, 30,  200, 100, 50,  255, 255, 255
	};
	static const uint8_t trns[] = { 255, 0, 128 };

	/* Grey 8: replicated. */
	d[0] = 0; d[1] = 77; d[2] = 255;
	png = png_simple(3, 1, 8, 0, d, 3, &len);
	if ((img = decode_ok(png, len)) != NULL) {
		CHECK(memcmp(img->rgb, "\0\0\0\x4d\x4d\x4d\xff\xff\xff", 9)
		    == 0);
		image_free(img);
	}
	free(png);

	/* Grey 1-bit: 1 0 1 -> 255 0 255. */
	d[0] = 0xa0;
	png = png_simple(3, 1, 1, 0, d, 1, &len);
	if ((img = decode_ok(png, len)) != NULL) {
		CHECK_INT(img->rgb[0], 255);
		CHECK_INT(img->rgb[3], 0);
		CHECK_INT(img->rgb[6], 255);
		image_free(img);
	}
	free(png);

	/*
	 * Grey 16 and RGB 16 with no gAMA are taken as sRGB and scaled with
	 * rounding, v / 257: 0x8080 -> 128, 0x0081 -> 1, 0xffff -> 255.
	 */
	d[0] = 0x80; d[1] = 0x80; d[2] = 0x00; d[3] = 0x81;
	png = png_simple(2, 1, 16, 0, d, 4, &len);
	if ((img = decode_ok(png, len)) != NULL) {
		CHECK_INT(img->rgb[0], 128);
		CHECK_INT(img->rgb[2], 128);
		CHECK_INT(img->rgb[3], 1);
		image_free(img);
	}
	free(png);
	d[0] = 0xff; d[1] = 0xff; d[2] = 0x80; d[3] = 0x80;
	d[4] = 0x00; d[5] = 0x00;
	png = png_simple(1, 1, 16, 2, d, 6, &len);
	if ((img = decode_ok(png, len)) != NULL) {
		CHECK_INT(img->rgb[0], 255);
		CHECK_INT(img->rgb[1], 128);
		CHECK_INT(img->rgb[2], 0);
		image_free(img);
	}
	free(png);

	/* Palette, then palette with tRNS composited over black. */
	d[0] = 0; d[1] = 1; d[2] = 2;
	{
		uint8_t	*raw;
		size_t	 rawlen;

		raw = png_rows(d, 3, 1, &rawlen);
		png = png_build(3, 1, 8, 3, 0, raw, rawlen, plte, sizeof plte,
		    NULL, 0, 0, &len);
		if ((img = decode_ok(png, len)) != NULL) {
			CHECK(memcmp(img->rgb, plte, 9) == 0);
			image_free(img);
		}
		free(png);
		png = png_build(3, 1, 8, 3, 0, raw, rawlen, plte, sizeof plte,
		    trns, sizeof trns, 0, &len);
		if ((img = decode_ok(png, len)) != NULL) {
			CHECK(memcmp(img->rgb, plte, 3) == 0);
			CHECK(memcmp(img->rgb + 3, "\0\0\0", 3) == 0);
			/* Half-transparent white over black: see below. */
			CHECK_INT(img->rgb[6], 186);
			image_free(img);
		}
		free(png);
		free(raw);
	}

	/*
	 * RGBA composited over black. Opaque pixels keep their bytes and
	 * transparent ones turn black. libpng composites in linear light
	 * with a 2.2 power law, so white at alpha 128 becomes
	 * 255 * (128 / 255)^(1 / 2.2) = 186, not 128.
	 */
	memcpy(d, "\x0a\x14\x1e\xff" "\xc8\x64\x32\x00" "\xff\xff\xff\x80",
	    12);
	png = png_simple(3, 1, 8, 6, d, 12, &len);
	if ((img = decode_ok(png, len)) != NULL) {
		CHECK(memcmp(img->rgb, "\x0a\x14\x1e", 3) == 0);
		CHECK(memcmp(img->rgb + 3, "\0\0\0", 3) == 0);
		CHECK_INT(img->rgb[6], 186);
		CHECK_INT(img->rgb[7], 186);
		CHECK_INT(img->rgb[8], 186);
		image_free(img);
	}
	free(png);

	/* Grey + alpha. */
	memcpy(d, "\x40\xff\x40\x00", 4);
	png = png_simple(2, 1, 8, 4, d, 4, &len);
	if ((img = decode_ok(png, len)) != NULL) {
		CHECK(memcmp(img->rgb, "\x40\x40\x40\0\0\0", 6) == 0);
		image_free(img);
	}
	free(png);

	/* Adam7 interlacing, 13x11 so that every pass is partial. */
	src = image_new(13, 11);
	for (y = 0; y < 11; y++)
		for (x = 0; x < 13; x++)
			set_px(src, x, y, x * 19, y * 23, (x * y) & 0xff);
	png = png_interlaced(src, &len);
	if ((img = decode_ok(png, len)) != NULL) {
		CHECK(image_same(src, img));
		image_free(img);
	}
	free(png);

	/* gAMA 1/2.2 (45455) counts as sRGB: bytes unchanged. */
	{
		uint8_t	*raw;
		size_t	 rawlen;

		raw = png_rows(src->rgb, 13 * 3, 11, &rawlen);
		png = png_build(13, 11, 8, 2, 0, raw, rawlen, NULL, 0, NULL,
		    0, 45455, &len);
		if ((img = decode_ok(png, len)) != NULL) {
			CHECK(image_same(src, img));
			image_free(img);
		}
		free(png);
		free(raw);
	}
	image_free(src);
}

/* Known JPEG and PNG sizes and the pixel limit. */
TEST(test_pixel_limit)
{
	struct image	*img, *back;
	uint8_t		*jpeg, *png;
	size_t		 jlen, plen;
	char		*cause;

	img = blocky();
	jpeg = jpeg_of(img, 90, &jlen);
	CHECK_INT(image_encode_png(img, &png, &plen, &cause), 0);
	image_free(img);

	cause = decode_err(jpeg, jlen, 48 * 32 - 1);
	CHECK(cause != NULL && strstr(cause, "too large") != NULL);
	free(cause);
	CHECK_INT(image_decode(jpeg, jlen, 48 * 32, &back, &cause), 0);
	image_free(back);

	cause = decode_err(png, plen, 48 * 32 - 1);
	CHECK(cause != NULL && strstr(cause, "too large") != NULL);
	free(cause);
	CHECK_INT(image_decode(png, plen, 48 * 32, &back, &cause), 0);
	image_free(back);

	free(jpeg);
	free(png);
}

/* A JPEG round trip stays close; bad qualities are refused. */
TEST(test_jpeg_roundtrip)
{
	struct image	*img, *back;
	uint8_t		*jpeg = NULL;
	size_t		 len, i, n;
	double		 sum = 0;
	int		 x, y, maxd = 0, dd;
	char		*cause;

	img = image_new(64, 40);
	for (y = 0; y < 40; y++)
		for (x = 0; x < 64; x++)
			set_px(img, x, y, x * 4, y * 6, 128 + (x - y));
	jpeg = jpeg_of(img, 95, &len);
	CHECK(len > 3 && memcmp(jpeg, "\xff\xd8\xff", 3) == 0);
	if ((back = decode_ok(jpeg, len)) != NULL) {
		CHECK_INT(back->w, 64);
		CHECK_INT(back->h, 40);
		n = (size_t)64 * 40 * 3;
		for (i = 0; i < n; i++) {
			dd = abs(img->rgb[i] - back->rgb[i]);
			sum += dd;
			if (dd > maxd)
				maxd = dd;
		}
		CHECK(sum / n < 2.0);
		CHECK(maxd <= 16);
		image_free(back);
	}
	free(jpeg);

	CHECK_INT(image_encode_jpeg(img, 0, &jpeg, &len, &cause), -1);
	free(cause);
	CHECK_INT(image_encode_jpeg(img, 101, &jpeg, &len, &cause), -1);
	free(cause);
	image_free(img);
}

/* Greyscale JPEGs decode to R = G = B; CMYK ones fail cleanly. */
TEST(test_jpeg_grey_cmyk)
{
	tjhandle	 tj;
	uint8_t		 grey[16 * 8], cmyk[16 * 8 * 4];
	unsigned char	*jbuf = NULL;
	unsigned long	 jlen = 0;
	struct image	*img;
	char		*cause;
	size_t		 i;

	for (i = 0; i < sizeof grey; i++)
		grey[i] = (uint8_t)(i * 2);
	for (i = 0; i < sizeof cmyk; i++)
		cmyk[i] = (uint8_t)(i * 3);
	if ((tj = tjInitCompress()) == NULL) {
		CHECK(0);
		return;
	}

	CHECK_INT(tjCompress2(tj, grey, 16, 0, 8, TJPF_GRAY, &jbuf, &jlen,
	    TJSAMP_GRAY, 100, 0), 0);
	if ((img = decode_ok(jbuf, jlen)) != NULL) {
		CHECK_INT(img->w, 16);
		for (i = 0; i < 16 * 8; i++) {
			CHECK_INT(img->rgb[i * 3], img->rgb[i * 3 + 1]);
			CHECK_INT(img->rgb[i * 3], img->rgb[i * 3 + 2]);
			CHECK(abs(img->rgb[i * 3] - grey[i]) <= 3);
		}
		image_free(img);
	}
	tjFree(jbuf);
	jbuf = NULL;

	CHECK_INT(tjCompress2(tj, cmyk, 16, 0, 8, TJPF_CMYK, &jbuf, &jlen,
	    TJSAMP_444, 90, 0), 0);
	cause = decode_err(jbuf, jlen, IMAGE_MAX_PIXELS);
	CHECK(cause != NULL && strstr(cause, "CMYK") != NULL);
	free(cause);
	tjFree(jbuf);
	tjDestroy(tj);
}

/*
 * Every EXIF orientation, in both byte orders, turns the image upright:
 * the result matches the spec-derived reference exactly, and the display
 * corners hold the colours of the stored corners the spec names.
 */
TEST(test_exif_orientation)
{
	/* Stored corner (0 TL, 1 TR, 2 BL, 3 BR) shown at display TL / TR. */
	static const int	corner_tl[9] = { 0, 0, 1, 3, 2, 0, 2, 3, 1 };
	static const int	corner_tr[9] = { 0, 1, 0, 2, 3, 2, 0, 1, 3 };
	static const int	corner_colour[4][2] = {	/* block row, col */
		{ 0, 0 }, { 0, 2 }, { 1, 0 }, { 1, 2 }
	};
	struct image		*img, *plain, *ref, *got;
	uint8_t			*jpeg, *ex, tiff[38];
	size_t			 len, elen, tlen;
	const int		*c;
	int			 o, big, fill;

	img = blocky();
	jpeg = jpeg_of(img, 100, &len);
	image_free(img);
	if (jpeg == NULL || (plain = decode_ok(jpeg, len)) == NULL) {
		free(jpeg);
		return;
	}
	CHECK_INT(plain->w, 48);
	CHECK_INT(plain->h, 32);

	for (big = 0; big <= 1; big++) {
		for (o = 1; o <= 8; o++) {
			fill = (o == 6);	/* once with a fill byte */
			tlen = tiff_orientation(tiff, big, 3, 1, (unsigned)o);
			ex = jpeg_with_exif(jpeg, len, tiff, tlen, fill, &elen);
			got = decode_ok(ex, elen);
			free(ex);
			if (got == NULL)
				continue;
			CHECK_INT(got->w, o >= 5 ? 32 : 48);
			CHECK_INT(got->h, o >= 5 ? 48 : 32);
			ref = ref_orient(plain, o);
			if (!image_same(ref, got))
				fprintf(stderr, "orientation %d (%s) differs "
				    "from the reference\n", o,
				    big ? "MM" : "II");
			CHECK(image_same(ref, got));
			image_free(ref);

			c = blocky_colour[corner_colour[corner_tl[o]][0]]
			    [corner_colour[corner_tl[o]][1]];
			CHECK(px_near(px(got, 0, 0), c[0], c[1], c[2], 24));
			c = blocky_colour[corner_colour[corner_tr[o]][0]]
			    [corner_colour[corner_tr[o]][1]];
			CHECK(px_near(px(got, got->w - 1, 0), c[0], c[1], c[2],
			    24));
			image_free(got);
		}
	}
	image_free(plain);
	free(jpeg);
}

/*
 * Malformed EXIF is ignored (orientation 1), never an error or a crash:
 * each case below hides an orientation 6 that a careless parser would use.
 */
TEST(test_exif_malformed)
{
	struct image	*img, *plain, *got;
	uint8_t		*jpeg, *ex, tiff[256];
	size_t		 len, elen, tlen, k, i;
	int		 big, bad;

	img = blocky();
	jpeg = jpeg_of(img, 100, &len);
	image_free(img);
	if (jpeg == NULL || (plain = decode_ok(jpeg, len)) == NULL) {
		free(jpeg);
		return;
	}

	for (big = 0; big <= 1; big++) {
		for (bad = 0; bad < 13; bad++) {
			tlen = tiff_orientation(tiff, big, 3, 1, 6);
			switch (bad) {
			case 0:		/* unknown byte order */
				tiff[0] = 'I'; tiff[1] = 'M';
				break;
			case 1:		/* TIFF magic 43 */
				put16(tiff + 2, big, 43);
				break;
			case 2:		/* IFD0 far outside */
				put32(tiff + 4, big, 0xffffffffU);
				break;
			case 3:		/* IFD0 count cut off */
				put32(tiff + 4, big, (uint32_t)tlen - 1);
				break;
			case 4:		/* more entries than bytes */
				put16(tiff + 8, big, 0xffff);
				break;
			case 5:		/* type LONG */
				put16(tiff + 24, big, 4);
				break;
			case 6:		/* count 2 */
				put32(tiff + 26, big, 2);
				break;
			case 7:		/* value 9 */
				put16(tiff + 30, big, 9);
				break;
			case 8:		/* value 0 */
				put16(tiff + 30, big, 0);
				break;
			case 9:		/* TIFF cut inside the entry */
				tlen = 30;
				break;
			case 10:	/* only the TIFF header, short */
				tlen = 6;
				break;
			case 11:	/* no TIFF at all */
				tlen = 0;
				break;
			case 12:	/* IFD0 offset points at the header */
				put32(tiff + 4, big, 0);
				break;
			}
			ex = jpeg_with_exif(jpeg, len, tiff, tlen, 0, &elen);
			if ((got = decode_ok(ex, elen)) != NULL) {
				if (!image_same(plain, got))
					fprintf(stderr, "malformed EXIF %d "
					    "(%s) was used\n", bad,
					    big ? "MM" : "II");
				CHECK(image_same(plain, got));
				image_free(got);
			}
			free(ex);
		}
	}

	/* An APP1 that is not "Exif\0\0" (here XMP-like) is skipped. */
	tlen = tiff_orientation(tiff, 0, 3, 1, 6);
	ex = jpeg_with_exif(jpeg, len, tiff, tlen, 0, &elen);
	memcpy(ex + 6, "Exif\0\1", 6);
	if ((got = decode_ok(ex, elen)) != NULL) {
		CHECK(image_same(plain, got));
		image_free(got);
	}
	free(ex);

	/* Random TIFF bodies of random lengths: upright or turned, no crash. */
	for (k = 0; k < 400; k++) {
		tlen = rng() % sizeof tiff;
		for (i = 0; i < tlen; i++)
			tiff[i] = (uint8_t)rng();
		if (tlen >= 8 && (k & 1)) {	/* often a good header */
			big = (int)(k & 2);
			tiff[0] = tiff[1] = big ? 'M' : 'I';
			put16(tiff + 2, big, 42);
			put32(tiff + 4, big, rng() % 16);
			if (tlen >= 24)
				put16(tiff + 10 + 12 * (rng() % 2), big,
				    0x0112);
		}
		ex = jpeg_with_exif(jpeg, len, tiff, tlen, 0, &elen);
		if ((got = decode_ok(ex, elen)) != NULL) {
			CHECK((got->w == 48 && got->h == 32) ||
			    (got->w == 32 && got->h == 48));
			image_free(got);
		}
		free(ex);
	}
	image_free(plain);
	free(jpeg);
}

/* Every truncation of a JPEG, PNG or PPM is an error. */
TEST(test_truncated)
{
	struct image	*img;
	uint8_t		*jpeg, *png, *ex, tiff[38];
	size_t		 jlen, plen, elen, l, tlen;
	struct buf	 ppm = { 0 };
	char		*cause;

	img = blocky();
	jpeg = jpeg_of(img, 90, &jlen);
	CHECK_INT(image_encode_png(img, &png, &plen, &cause), 0);
	buf_printf(&ppm, "P6\n# a comment\n48 32\n255\n");
	buf_add(&ppm, img->rgb, 48 * 32 * 3);
	image_free(img);
	tlen = tiff_orientation(tiff, 1, 3, 1, 6);
	ex = jpeg_with_exif(jpeg, jlen, tiff, tlen, 0, &elen);

	for (l = 0; l < jlen; l++)
		CHECK_DECODE_FAILS(jpeg, l);
	for (l = 0; l < elen; l++)
		CHECK_DECODE_FAILS(ex, l);
	for (l = 0; l < plen; l++)
		CHECK_DECODE_FAILS(png, l);
	for (l = 0; l < ppm.len; l++)
		CHECK_DECODE_FAILS(ppm.p, l);

	/* The untruncated files decode. */
	if ((img = decode_ok(jpeg, jlen)) != NULL)
		image_free(img);
	if ((img = decode_ok(ex, elen)) != NULL)
		image_free(img);
	if ((img = decode_ok(png, plen)) != NULL)
		image_free(img);
	if ((img = decode_ok(ppm.p, ppm.len)) != NULL)
		image_free(img);
	free(jpeg);
	free(ex);
	free(png);
	free(ppm.p);
}

/*
 * Corrupt bytes: a damaged PNG data chunk fails its CRC; damaged JPEG
 * entropy data is reported. Random damage anywhere never crashes and a
 * success always has a sane size.
 */
TEST(test_corrupt)
{
	struct image	*img, *got;
	uint8_t		*jpeg, *png, *m;
	size_t		 jlen, plen, k, n, i, idat;
	char		*cause;
	int		 x, y, round;

	img = image_new(64, 64);
	for (y = 0; y < 64; y++)
		for (x = 0; x < 64; x++)
			set_px(img, x, y, rng(), rng(), rng());
	jpeg = jpeg_of(img, 90, &jlen);
	CHECK_INT(image_encode_png(img, &png, &plen, &cause), 0);
	image_free(img);

	/* One byte of IDAT data flipped: CRC error. */
	for (idat = 8; idat + 8 < plen; idat++)
		if (memcmp(png + idat, "IDAT", 4) == 0)
			break;
	CHECK(idat + 8 < plen);
	m = xmalloc(plen);
	memcpy(m, png, plen);
	m[idat + 10] ^= 0x55;
	CHECK_DECODE_FAILS(m, plen);
	free(m);

	/* The JPEG's scan filled with 0xff bytes (bad entropy data). */
	m = xmalloc(jlen);
	memcpy(m, jpeg, jlen);
	for (i = 0; i + 1 < jlen; i++)
		if (m[i] == 0xff && m[i + 1] == 0xda)
			break;
	memset(m + i + 20, 0x00, (jlen - i - 20) / 2);
	CHECK_DECODE_FAILS(m, jlen);
	free(m);

	/* Random damage. */
	for (round = 0; round < 2; round++) {
		const uint8_t	*src = round == 0 ? jpeg : png;
		size_t		 len = round == 0 ? jlen : plen;

		m = xmalloc(len);
		for (k = 0; k < 300; k++) {
			memcpy(m, src, len);
			for (n = 1 + rng() % 4; n > 0; n--)
				m[rng() % len] = (uint8_t)rng();
			if (image_decode(m, len, IMAGE_MAX_PIXELS, &got,
			    &cause) == 0) {
				CHECK(got->w > 0 && got->h > 0);
				CHECK((size_t)got->w * got->h <=
				    IMAGE_MAX_PIXELS);
				image_free(got);
			} else {
				CHECK(cause != NULL);
				free(cause);
			}
		}
		free(m);
	}
	free(jpeg);
	free(png);
}

/* image_crop copies exactly and refuses rectangles not inside. */
TEST(test_crop)
{
	struct image	*img, *c;
	int		 x, y;

	img = image_new(10, 6);
	for (y = 0; y < 6; y++)
		for (x = 0; x < 10; x++)
			set_px(img, x, y, x, y, x * y);

	if ((c = image_crop(img, 2, 1, 5, 4)) != NULL) {
		CHECK_INT(c->w, 5);
		CHECK_INT(c->h, 4);
		for (y = 0; y < 4; y++)
			for (x = 0; x < 5; x++)
				CHECK(memcmp(px(c, x, y), px(img, x + 2, y + 1),
				    3) == 0);
		image_free(c);
	} else
		CHECK(0);
	c = image_crop(img, 0, 0, 10, 6);
	CHECK(image_same(c, img));
	image_free(c);
	c = image_crop(img, 9, 5, 1, 1);
	CHECK(c != NULL && memcmp(c->rgb, px(img, 9, 5), 3) == 0);
	image_free(c);

	CHECK(image_crop(img, 0, 0, 0, 1) == NULL);
	CHECK(image_crop(img, 0, 0, 1, 0) == NULL);
	CHECK(image_crop(img, -1, 0, 2, 2) == NULL);
	CHECK(image_crop(img, 0, -1, 2, 2) == NULL);
	CHECK(image_crop(img, 9, 0, 2, 1) == NULL);
	CHECK(image_crop(img, 0, 5, 1, 2) == NULL);
	CHECK(image_crop(img, 0, 0, 11, 6) == NULL);
	CHECK(image_crop(img, 0, 0, -5, 6) == NULL);
	CHECK(image_crop(img, INT_MAX, 0, 1, 1) == NULL);
	CHECK(image_crop(img, 1, 1, INT_MAX, 1) == NULL);
	CHECK(image_crop(img, 1, 1, 1, INT_MAX) == NULL);
	CHECK(image_crop(img, INT_MIN, INT_MIN, INT_MAX, INT_MAX) == NULL);
	CHECK(image_crop(NULL, 0, 0, 1, 1) == NULL);
	image_free(img);
}

/* image_load: the path leads every cause; big files are refused. */
TEST(test_load_errors)
{
	struct image	*img;
	char		 path[512], *cause;
	int		 fd;

	snprintf(path, sizeof path, "%s/missing.jpg", test_tmpdir());
	CHECK_INT(image_load(path, IMAGE_MAX_PIXELS, &img, &cause), -1);
	CHECK(img == NULL);
	CHECK(strncmp(cause, path, strlen(path)) == 0);
	CHECK(strstr(cause, "No such file") != NULL);
	free(cause);

	CHECK_INT(image_load(test_tmpdir(), IMAGE_MAX_PIXELS, &img, &cause),
	    -1);
	CHECK(strncmp(cause, test_tmpdir(), strlen(test_tmpdir())) == 0);
	free(cause);

	snprintf(path, sizeof path, "%s/junk.bin", test_tmpdir());
	write_file(path, "hello", 5);
	CHECK_INT(image_load(path, IMAGE_MAX_PIXELS, &img, &cause), -1);
	CHECK(strncmp(cause, path, strlen(path)) == 0);
	CHECK(strstr(cause, "unknown image format") != NULL);
	free(cause);

	snprintf(path, sizeof path, "%s/empty.jpg", test_tmpdir());
	write_file(path, "", 0);
	CHECK_INT(image_load(path, IMAGE_MAX_PIXELS, &img, &cause), -1);
	CHECK(strstr(cause, "empty") != NULL);
	free(cause);

	/* A sparse 300 MiB file: refused from its size, never read. */
	snprintf(path, sizeof path, "%s/huge.ppm", test_tmpdir());
	fd = open(path, O_WRONLY|O_CREAT|O_TRUNC, 0644);
	CHECK(fd != -1);
	if (fd != -1) {
		CHECK(write(fd, "P6 1 1 255\n", 11) == 11);
		CHECK(ftruncate(fd, 300L * 1024 * 1024) == 0);
		close(fd);
		CHECK_INT(image_load(path, IMAGE_MAX_PIXELS, &img, &cause),
		    -1);
		CHECK(strstr(cause, "too large") != NULL);
		free(cause);
		unlink(path);
	}
}

/* image_write_ppm and the encoders report errors. */
TEST(test_write_errors)
{
	struct image	*img, bad = { 0, 0, NULL };
	char		 path[512], *cause;
	uint8_t		*buf;
	size_t		 len;

	img = image_new(2, 2);
	snprintf(path, sizeof path, "%s/no/such/dir/x.ppm", test_tmpdir());
	CHECK_INT(image_write_ppm(img, path, &cause), -1);
	CHECK(strstr(cause, path) != NULL);
	free(cause);
	image_free(img);

	CHECK_INT(image_write_ppm(&bad, path, &cause), -1);
	free(cause);
	CHECK_INT(image_encode_png(&bad, &buf, &len, &cause), -1);
	free(cause);
	CHECK_INT(image_encode_jpeg(&bad, 90, &buf, &len, &cause), -1);
	free(cause);
}

/*
 * Decodes a JPEG directly with TurboJPEG, flags 0 (libjpeg-turbo's default
 * decode, which the reference fixtures use), with no EXIF handling.
 */
static struct image *
tj_plain_decode(const uint8_t *buf, size_t len)
{
	tjhandle	 tj = tjInitDecompress();
	int		 w = 0, h = 0, ss, cs;
	struct image	*img = NULL;

	if (tj != NULL && tjDecompressHeader3(tj, buf, len, &w, &h, &ss,
	    &cs) == 0 && w > 0 && h > 0) {
		img = image_new(w, h);
		if (tjDecompress2(tj, buf, len, img->rgb, w, 0, h, TJPF_RGB,
		    0) != 0) {
			image_free(img);
			img = NULL;
		}
	}
	if (tj != NULL)
		tjDestroy(tj);
	return img;
}

/*
 * The labelled photos decode at their known sizes (none has an EXIF
 * orientation other than 1), JPEGs exactly as TurboJPEG's default decode,
 * and the RGBA PNGs (fully opaque) exactly as their stored RGB bytes.
 */
TEST(test_faces)
{
	static const struct {
		const char	*name;
		int		 w, h;
	} faces[] = {
		{ "alex_lacamoire_1.jpg", 874, 1200 },
		{ "alex_lacamoire_2.jpg", 1548, 1024 },		/* EXIF "II" */
		{ "alex_lacamoire_3.png", 424, 394 },
		{ "biden_1.jpg", 970, 2204 },
		{ "biden_2.jpg", 1200, 1200 },
		{ "group_kit_harington_rose_leslie.jpg", 501, 700 },
		{ "group_obama_biden.jpg", 2000, 1428 }, /* progressive */
		{ "group_two_people.jpg", 1126, 661 },
		{ "kit_harington_1.jpg", 1200, 599 },
		{ "kit_harington_2.jpg", 630, 374 },
		{ "kit_harington_3.jpg", 768, 1154 },
		{ "lin_manuel_miranda_1.png", 704, 612 },	/* RGBA */
		{ "obama_1.jpg", 910, 1137 },
		{ "obama_2.jpg", 626, 1200 },			/* EXIF "MM" */
		{ "obama_3.jpg", 1480, 832 },
		{ "obama_4_480p.jpg", 853, 480 },
		{ "rose_leslie_1.jpg", 1280, 799 },
		{ "rose_leslie_2.jpg", 577, 880 },
	};
	struct image	*img, *ref;
	png_image	 png;
	uint8_t		*file, *rgba;
	char		 path[1024], *cause;
	const char	*dir;
	size_t		 i, k, len, bad;

	if ((dir = test_faces_dir()) == NULL) {
		test_skip("no labelled photos (GATEHOUSE_FACES)");
		return;
	}
	for (i = 0; i < sizeof faces / sizeof faces[0]; i++) {
		snprintf(path, sizeof path, "%s/%s", dir, faces[i].name);
		if (image_load(path, IMAGE_MAX_PIXELS, &img, &cause) != 0) {
			fprintf(stderr, "%s\n", cause);
			free(cause);
			CHECK(0);
			continue;
		}
		CHECK_INT(img->w, faces[i].w);
		CHECK_INT(img->h, faces[i].h);
		check_pinned(faces[i].name, img);
		if ((file = read_file(path, &len)) == NULL) {
			CHECK(0);
			image_free(img);
			continue;
		}
		if (strstr(faces[i].name, ".jpg") != NULL) {
			ref = tj_plain_decode(file, len);
			if (!image_same(ref, img))
				fprintf(stderr, "%s differs from TurboJPEG's "
				    "default decode\n", faces[i].name);
			CHECK(image_same(ref, img));
			image_free(ref);
		} else {
			memset(&png, 0, sizeof png);
			png.version = PNG_IMAGE_VERSION;
			CHECK(png_image_begin_read_from_memory(&png, file,
			    len));
			png.format = PNG_FORMAT_RGBA;	/* the stored bytes */
			rgba = xmalloc(PNG_IMAGE_SIZE(png));
			CHECK(png_image_finish_read(&png, NULL, rgba, 0, NULL));
			bad = 0;
			for (k = 0; k < (size_t)img->w * img->h; k++)
				if (rgba[k * 4 + 3] != 255 ||
				    memcmp(rgba + k * 4, img->rgb + k * 3, 3))
					bad++;
			CHECK_INT(bad, 0);
			free(rgba);
		}
		free(file);
		image_free(img);
	}
}

/* The demo images decode exactly as TurboJPEG's default decode. */
TEST(test_demo)
{
	struct image	*img, *ref;
	char		 path[1024], name[32], *cause;
	uint8_t		*file;
	size_t		 len;
	int		 i, found = 0;

	for (i = 1; i <= 6; i++) {
		snprintf(path, sizeof path, "%s/demo/sample%d.jpg",
		    test_models_dir(), i);
		if (access(path, R_OK) != 0)
			continue;
		found++;
		if (image_load(path, IMAGE_MAX_PIXELS, &img, &cause) != 0) {
			fprintf(stderr, "%s\n", cause);
			free(cause);
			CHECK(0);
			continue;
		}
		CHECK_INT(img->w, 1920);
		snprintf(name, sizeof name, "sample%d.jpg", i);
		check_pinned(name, img);
		if ((file = read_file(path, &len)) != NULL) {
			ref = tj_plain_decode(file, len);
			CHECK(image_same(ref, img));
			image_free(ref);
			free(file);
		}
		image_free(img);
	}
	if (found == 0)
		test_skip("no %s/demo/sample1.jpg (make models)",
		    test_models_dir());
}

/* Runs every test. */
int
main(void)
{
	RUN(test_sniff);
	RUN(test_ppm_roundtrip);
	RUN(test_ppm_header_forms);
	RUN(test_ppm_bad_headers);
	RUN(test_ppm_data_length);
	RUN(test_ppm_pixel_limit);
	RUN(test_zero_size);
	RUN(test_png_roundtrip);
	RUN(test_png_variants);
	RUN(test_pixel_limit);
	RUN(test_jpeg_roundtrip);
	RUN(test_jpeg_grey_cmyk);
	RUN(test_exif_orientation);
	RUN(test_exif_malformed);
	RUN(test_truncated);
	RUN(test_corrupt);
	RUN(test_crop);
	RUN(test_load_errors);
	RUN(test_write_errors);
	RUN(test_faces);
	RUN(test_demo);
	return test_main_end("test-image");
}
