/*
 * Image decoding and encoding: JPEG through TurboJPEG (2.x API), PNG
 * through the libpng simplified API, and binary PPM by hand. All three
 * decode into 8-bit RGB (struct image).
 *
 * Every input is untrusted: sizes are checked against the caller's pixel
 * limit before anything is allocated, size arithmetic is done in size_t
 * with explicit overflow checks, and every failure comes back as -1 with a
 * malloc'd cause.
 */

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <png.h>
#include <turbojpeg.h>

#include "file.h"
#include "image.h"
#include "log.h"
#include "xmalloc.h"

/*
 * Largest file image_load reads. A 64 Mpx image is at most 192 MiB as an
 * 8-bit PPM and far smaller compressed, so 256 MiB admits any image under
 * IMAGE_MAX_PIXELS (but a 16-bit PPM over about 44 Mpx) without letting a
 * stray path (a disk image, /dev/zero) eat the box's memory.
 */
#define IMAGE_MAX_FILE		(256UL * 1024 * 1024)

/*
 * A progressive JPEG may hold any number of scans, and each one makes the
 * decoder revisit the whole image: a small file with thousands of scans
 * takes minutes. TJFLAG_LIMITSCANS makes TurboJPEG refuse more than 500.
 * It does not change the decoded pixels: the DCT (accurate, islow) and
 * the upsampling (smooth) stay the TurboJPEG defaults, which the
 * reference fixtures are made with.
 */
#define IMAGE_JPEG_DECODE_FLAGS	TJFLAG_LIMITSCANS

/* The EXIF tag holding the orientation, and the TIFF type SHORT. */
#define IMAGE_EXIF_ORIENTATION	0x0112
#define IMAGE_TIFF_SHORT	3

_Static_assert(sizeof(unsigned long) >= sizeof(size_t),
    "TurboJPEG takes buffer sizes as unsigned long");

static const uint8_t	image_jpeg_magic[] = { 0xff, 0xd8, 0xff };
static const uint8_t	image_png_magic[] = {
	0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a
};

/* Allocates a W by H image; its pixels start black. */
struct image *
image_new(int w, int h)
{
	struct image	*img;

	if (w <= 0 || h <= 0 || (size_t)w > SIZE_MAX / 3 / (size_t)h)
		fatalx("image_new: bad size %dx%d", w, h);
	img = xmalloc(sizeof *img);
	img->w = w;
	img->h = h;
	img->rgb = xcalloc((size_t)w * (size_t)h, 3);
	return img;
}

/* Frees an image; NULL is fine. */
void
image_free(struct image *img)
{
	if (img == NULL)
		return;
	free(img->rgb);
	free(img);
}

/*
 * Checks a decoder's W by H against MAX_PIXELS and against what fits in an
 * int and in memory. Returns 0, or -1 with *cause.
 */
static int
image_check_size(const char *what, uint64_t w, uint64_t h, size_t max_pixels,
    char **cause)
{
	if (w == 0 || h == 0) {
		xasprintf(cause, "%s has zero width or height (%llux%llu)",
		    what, (unsigned long long)w, (unsigned long long)h);
		return -1;
	}
	if (w > INT_MAX || h > INT_MAX || w > max_pixels / h ||
	    w * h > SIZE_MAX / 3) {
		xasprintf(cause, "%s is too large (%llux%llu, limit %zu "
		    "pixels)", what, (unsigned long long)w,
		    (unsigned long long)h, max_pixels);
		return -1;
	}
	return 0;
}

/* Reads a big- or little-endian 16-bit value. */
static unsigned int
image_get16(const uint8_t *p, int big)
{
	if (big)
		return ((unsigned int)p[0] << 8) | p[1];
	return ((unsigned int)p[1] << 8) | p[0];
}

/* Reads a big- or little-endian 32-bit value. */
static uint32_t
image_get32(const uint8_t *p, int big)
{
	if (big)
		return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) |
		    ((uint32_t)p[2] << 8) | p[3];
	return ((uint32_t)p[3] << 24) | ((uint32_t)p[2] << 16) |
	    ((uint32_t)p[1] << 8) | p[0];
}

/*
 * Finds the orientation tag in the TIFF structure of an EXIF segment (T,
 * LEN bytes): header, IFD0, tag 0x0112 as one SHORT. Returns 1..8, or 1
 * when anything is missing, out of range or malformed.
 */
static int
image_exif_orientation(const uint8_t *t, size_t len)
{
	const uint8_t	*e;
	uint32_t	 ifd;
	unsigned int	 n, i, v;
	int		 big;

	if (len < 8)
		return 1;
	if (t[0] == 'M' && t[1] == 'M')
		big = 1;
	else if (t[0] == 'I' && t[1] == 'I')
		big = 0;
	else
		return 1;
	if (image_get16(t + 2, big) != 42)
		return 1;

	ifd = image_get32(t + 4, big);
	if (ifd > len || len - ifd < 2)
		return 1;
	n = image_get16(t + ifd, big);
	if ((len - ifd - 2) / 12 < n)
		return 1;

	for (i = 0; i < n; i++) {
		e = t + ifd + 2 + (size_t)i * 12;
		if (image_get16(e, big) != IMAGE_EXIF_ORIENTATION)
			continue;
		if (image_get16(e + 2, big) != IMAGE_TIFF_SHORT ||
		    image_get32(e + 4, big) != 1)
			return 1;
		v = image_get16(e + 8, big);
		return (v >= 1 && v <= 8) ? (int)v : 1;
	}
	return 1;
}

/*
 * Walks the JPEG markers from SOI to SOS looking for the first APP1 "Exif"
 * segment and returns its orientation (1..8). A malformed stream or EXIF
 * gives 1: orientation is a hint, and the decoder reports real damage.
 */
static int
image_jpeg_orientation(const uint8_t *buf, size_t len)
{
	size_t	pos = 2, seglen;
	uint8_t	marker;

	for (;;) {
		if (pos >= len || buf[pos] != 0xff)
			return 1;
		while (pos < len && buf[pos] == 0xff)	/* fill bytes */
			pos++;
		if (pos >= len)
			return 1;
		marker = buf[pos++];
		if (marker == 0xd9 || marker == 0xda)	/* EOI, SOS */
			return 1;
		/* TEM and RSTn have no length. */
		if (marker == 0x01 || (marker >= 0xd0 && marker <= 0xd7))
			continue;
		if (len - pos < 2)
			return 1;
		seglen = image_get16(buf + pos, 1);
		if (seglen < 2 || seglen > len - pos)
			return 1;
		if (marker == 0xe1 && seglen >= 2 + 6 &&
		    memcmp(buf + pos + 2, "Exif\0\0", 6) == 0) {
			return image_exif_orientation(buf + pos + 8,
			    seglen - 8);
		}
		pos += seglen;
	}
}

/*
 * Returns a copy of IMG turned upright for EXIF orientation O (2..8).
 * Display pixel (x, y) comes from stored pixel start + x * dx + y * dy;
 * orientations 5..8 swap width and height.
 */
static struct image *
image_orient(const struct image *img, int o)
{
	struct image	*out;
	ptrdiff_t	 w = img->w, h = img->h, start, dx, dy, s;
	int		 x, y;
	uint8_t		*d;

	switch (o) {
	case 2:				/* mirrored left-right */
		start = w - 1; dx = -1; dy = w;
		break;
	case 3:				/* rotated 180 */
		start = (h - 1) * w + w - 1; dx = -1; dy = -w;
		break;
	case 4:				/* mirrored top-bottom */
		start = (h - 1) * w; dx = 1; dy = -w;
		break;
	case 5:				/* transposed */
		start = 0; dx = w; dy = 1;
		break;
	case 6:				/* needs 90 degrees clockwise */
		start = (h - 1) * w; dx = -w; dy = 1;
		break;
	case 7:				/* transversed */
		start = (h - 1) * w + w - 1; dx = -w; dy = -1;
		break;
	case 8:				/* needs 90 degrees anticlockwise */
		start = w - 1; dx = w; dy = -1;
		break;
	default:
		fatalx("image_orient: bad orientation %d", o);
	}

	if (o >= 5)
		out = image_new(img->h, img->w);
	else
		out = image_new(img->w, img->h);
	d = out->rgb;
	for (y = 0; y < out->h; y++) {
		s = start + y * dy;
		for (x = 0; x < out->w; x++, s += dx, d += 3)
			memcpy(d, img->rgb + s * 3, 3);
	}
	return out;
}

/*
 * Decodes a JPEG with TurboJPEG into RGB, exactly as libjpeg-turbo's
 * default decode (accurate DCT, smooth upsampling), then applies the EXIF
 * orientation. Any warning (a truncated scan, corrupt entropy data) is an
 * error: the pixels would be partly grey.
 */
static int
image_decode_jpeg(const uint8_t *buf, size_t len, size_t max_pixels,
    struct image **out, char **cause)
{
	tjhandle	 tj;
	struct image	*img = NULL, *turned;
	int		 w = 0, h = 0, subsamp = 0, colorspace = -1, o;
	int		 r = -1;

	if ((tj = tjInitDecompress()) == NULL) {
		xasprintf(cause, "cannot start JPEG decoder: %s",
		    tjGetErrorStr2(NULL));
		return -1;
	}
	/* A short file can leave w and h unset with a return of 0. */
	if (tjDecompressHeader3(tj, buf, len, &w, &h, &subsamp,
	    &colorspace) != 0) {
		xasprintf(cause, "corrupt JPEG header: %s",
		    tjGetErrorStr2(tj));
		goto out;
	}
	if (w <= 0 || h <= 0) {
		xasprintf(cause, "truncated or corrupt JPEG: no image size");
		goto out;
	}
	if (image_check_size("JPEG", (uint64_t)w, (uint64_t)h, max_pixels,
	    cause) != 0)
		goto out;
	if (colorspace == TJCS_CMYK || colorspace == TJCS_YCCK) {
		xasprintf(cause, "CMYK JPEG is not supported");
		goto out;
	}

	img = image_new(w, h);
	if (tjDecompress2(tj, buf, len, img->rgb, w, 0, h, TJPF_RGB,
	    IMAGE_JPEG_DECODE_FLAGS) != 0) {
		if (tjGetErrorCode(tj) == TJERR_WARNING)
			xasprintf(cause, "truncated or corrupt JPEG: %s",
			    tjGetErrorStr2(tj));
		else
			xasprintf(cause, "cannot decode JPEG: %s",
			    tjGetErrorStr2(tj));
		goto out;
	}

	if ((o = image_jpeg_orientation(buf, len)) != 1) {
		turned = image_orient(img, o);
		image_free(img);
		img = turned;
	}
	*out = img;
	img = NULL;
	r = 0;

out:
	image_free(img);
	tjDestroy(tj);
	return r;
}

/*
 * Returns if the chunks of the PNG in BUF run, whole, up to an IEND chunk.
 * libpng stops reading after the image data, so without this check a file
 * cut short in its last chunks would decode as if complete.
 */
static int
image_png_complete(const uint8_t *buf, size_t len)
{
	size_t		pos = sizeof image_png_magic;
	uint32_t	n;

	while (len - pos >= 12) {
		n = image_get32(buf + pos, 1);
		if (n > len - pos - 12)
			return 0;
		if (memcmp(buf + pos + 4, "IEND", 4) == 0)
			return 1;
		pos += 12 + (size_t)n;
	}
	return 0;
}

/*
 * Decodes a PNG with the libpng simplified API into 8-bit sRGB RGB. The
 * API converts every colour type and depth: palette and grey expand to
 * RGB, 16-bit samples scale to 8 bits with rounding (v / 257).
 *
 * An alpha channel (or tRNS) is composited over black, and libpng does
 * that in linear light with a 2.2 power law: a sample C with alpha A
 * becomes 255 * ((C / 255)^2.2 * A / 255)^(1 / 2.2), so white at alpha 128
 * gives 186, not 128. Fully opaque pixels keep their bytes and fully
 * transparent ones become black.
 *
 * A 16-bit PNG without gAMA or sRGB is taken as sRGB-encoded, as the
 * programs that write them mean it (libpng would otherwise assume linear
 * and brighten it). An 8-bit file without colour information, or with
 * sRGB, iCCP or gAMA near 1/2.2, decodes to its stored bytes; any other
 * gAMA is converted to sRGB (gAMA 1.0: 128 becomes 186), where most
 * decoders ignore it.
 */
static int
image_decode_png(const uint8_t *buf, size_t len, size_t max_pixels,
    struct image **out, char **cause)
{
	png_image	 png;
	png_color	 black = { 0, 0, 0 };
	struct image	*img = NULL;
	int		 r = -1;

	memset(&png, 0, sizeof png);
	png.version = PNG_IMAGE_VERSION;
	if (!png_image_begin_read_from_memory(&png, buf, len)) {
		xasprintf(cause, "corrupt PNG: %s", png.message);
		goto out;
	}
	/* Set after begin_read, which initialises the flags. */
	png.flags |= PNG_IMAGE_FLAG_16BIT_sRGB;
	if (image_check_size("PNG", png.width, png.height, max_pixels,
	    cause) != 0)
		goto out;
	if (!image_png_complete(buf, len)) {
		xasprintf(cause, "truncated PNG: no IEND chunk");
		goto out;
	}

	png.format = PNG_FORMAT_RGB;
	img = image_new((int)png.width, (int)png.height);
	if (!png_image_finish_read(&png, &black, img->rgb, 0, NULL)) {
		xasprintf(cause, "truncated or corrupt PNG: %s", png.message);
		goto out;
	}
	*out = img;
	img = NULL;
	r = 0;

out:
	png_image_free(&png);
	image_free(img);
	return r;
}

/* Returns if C is whitespace in a PPM header. */
static int
image_ppm_space(uint8_t c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' ||
	    c == '\r';
}

/*
 * Reads one unsigned decimal number (at most MAX) from a PPM header at
 * *POS, after any whitespace and '#' comments (which run to the end of
 * the line). Leaves *POS on the byte after the last digit. Returns 0 or -1
 * with *cause.
 */
static int
image_ppm_number(const uint8_t *buf, size_t len, size_t *pos,
    const char *what, uint32_t max, uint32_t *out, char **cause)
{
	uint32_t	v = 0, d;

	while (*pos < len) {
		if (buf[*pos] == '#') {
			while (*pos < len && buf[*pos] != '\n' &&
			    buf[*pos] != '\r')
				(*pos)++;
		} else if (image_ppm_space(buf[*pos]))
			(*pos)++;
		else
			break;
	}
	if (*pos >= len) {
		xasprintf(cause, "truncated PPM header (no %s)", what);
		return -1;
	}
	if (buf[*pos] < '0' || buf[*pos] > '9') {
		xasprintf(cause, "bad PPM header: %s is not a number", what);
		return -1;
	}
	for (; *pos < len && buf[*pos] >= '0' && buf[*pos] <= '9'; (*pos)++) {
		d = buf[*pos] - '0';
		if (v > (max - d) / 10) {
			xasprintf(cause, "bad PPM header: %s larger than %lu",
			    what, (unsigned long)max);
			return -1;
		}
		v = v * 10 + d;
	}
	if (*pos >= len) {
		xasprintf(cause, "truncated PPM header (after %s)", what);
		return -1;
	}
	*out = v;
	return 0;
}

/*
 * Decodes a binary PPM (P6). The header is "P6", width, height and maxval
 * separated by whitespace and comments, then exactly one whitespace byte
 * before the samples. Maxval 1..255 gives one byte per sample, 256..65535
 * two (big-endian); either is scaled to 0..255 by (v * 255 + maxval / 2) /
 * maxval. A sample above maxval is clamped to 255. Bytes after the image
 * are ignored.
 */
static int
image_decode_ppm(const uint8_t *buf, size_t len, size_t max_pixels,
    struct image **out, char **cause)
{
	struct image	*img;
	size_t		 pos = 2, n, need, i;
	uint32_t	 w, h, maxval, v;
	uint8_t		 table[256];
	const uint8_t	*p;

	if (len > 2 && !image_ppm_space(buf[2]) && buf[2] != '#') {
		xasprintf(cause, "bad PPM header: no space after P6");
		return -1;
	}
	if (image_ppm_number(buf, len, &pos, "width", INT_MAX, &w,
	    cause) != 0 ||
	    image_ppm_number(buf, len, &pos, "height", INT_MAX, &h,
	    cause) != 0)
		return -1;
	if (image_ppm_number(buf, len, &pos, "maxval", 65535, &maxval,
	    cause) != 0)
		return -1;
	if (maxval == 0) {
		xasprintf(cause, "bad PPM header: maxval 0");
		return -1;
	}
	if (!image_ppm_space(buf[pos])) {
		xasprintf(cause, "bad PPM header: no whitespace after maxval");
		return -1;
	}
	pos++;

	/* Before allocating anything: the pixel limit, then the data size. */
	if (image_check_size("PPM", w, h, max_pixels, cause) != 0)
		return -1;
	n = (size_t)w * h * 3;
	if (maxval > 255 && n > SIZE_MAX / 2) {
		xasprintf(cause, "PPM is too large");
		return -1;
	}
	need = maxval > 255 ? n * 2 : n;
	if (len - pos < need) {
		xasprintf(cause, "truncated PPM data (%zu of %zu bytes)",
		    len - pos, need);
		return -1;
	}

	img = image_new((int)w, (int)h);
	p = buf + pos;
	if (maxval == 255)
		memcpy(img->rgb, p, n);
	else if (maxval < 255) {
		for (i = 0; i < 256; i++) {
			if (i > maxval)
				table[i] = 255;
			else
				table[i] = (i * 255 + maxval / 2) / maxval;
		}
		for (i = 0; i < n; i++)
			img->rgb[i] = table[p[i]];
	} else {
		for (i = 0; i < n; i++) {
			v = ((uint32_t)p[2 * i] << 8) | p[2 * i + 1];
			if (v > maxval)
				img->rgb[i] = 255;
			else
				img->rgb[i] = (v * 255 + maxval / 2) / maxval;
		}
	}
	*out = img;
	return 0;
}

/* Decodes a JPEG, PNG or binary PPM, sniffed from its first bytes. */
int
image_decode(const uint8_t *buf, size_t len, size_t max_pixels,
    struct image **out, char **cause)
{
	*out = NULL;
	if (buf == NULL || len == 0) {
		xasprintf(cause, "empty image data");
		return -1;
	}
	if (len >= sizeof image_jpeg_magic &&
	    memcmp(buf, image_jpeg_magic, sizeof image_jpeg_magic) == 0)
		return image_decode_jpeg(buf, len, max_pixels, out, cause);
	if (len >= sizeof image_png_magic &&
	    memcmp(buf, image_png_magic, sizeof image_png_magic) == 0)
		return image_decode_png(buf, len, max_pixels, out, cause);
	if (len >= 2 && buf[0] == 'P' && buf[1] == '6')
		return image_decode_ppm(buf, len, max_pixels, out, cause);
	if (len >= 2 && buf[0] == 'P' && buf[1] >= '1' && buf[1] <= '7') {
		xasprintf(cause, "unsupported netpbm format P%c (only binary "
		    "P6 PPM)", buf[1]);
		return -1;
	}
	xasprintf(cause, "unknown image format");
	return -1;
}

/* Reads and decodes PATH; the cause starts with the path. */
int
image_load(const char *path, size_t max_pixels, struct image **out,
    char **cause)
{
	uint8_t	*buf;
	size_t	 len;
	char	*why;
	int	 r;

	*out = NULL;
	if (file_read(path, IMAGE_MAX_FILE, &buf, &len, &why) != 0) {
		xasprintf(cause, "%s: %s", path, why);
		free(why);
		return -1;
	}
	r = image_decode(buf, len, max_pixels, out, &why);
	free(buf);
	if (r != 0) {
		xasprintf(cause, "%s: %s", path, why);
		free(why);
	}
	return r;
}

/* Returns if IMG is a well-formed image that can be encoded. */
static int
image_valid(const struct image *img, char **cause)
{
	if (img == NULL || img->rgb == NULL || img->w <= 0 || img->h <= 0 ||
	    (size_t)img->w > SIZE_MAX / 3 / (size_t)img->h) {
		xasprintf(cause, "invalid image");
		return 0;
	}
	return 1;
}

/* Writes IMG to PATH as a binary PPM with maxval 255. */
int
image_write_ppm(const struct image *img, const char *path, char **cause)
{
	FILE	*f;
	size_t	 n;
	int	 failed;

	if (!image_valid(img, cause))
		return -1;
	if ((f = fopen(path, "wb")) == NULL) {
		xasprintf(cause, "%s: %s", path, strerror(errno));
		return -1;
	}
	n = (size_t)img->w * (size_t)img->h * 3;
	failed = fprintf(f, "P6\n%d %d\n255\n", img->w, img->h) < 0 ||
	    fwrite(img->rgb, 1, n, f) != n;
	if (fclose(f) != 0)
		failed = 1;
	if (failed) {
		xasprintf(cause, "%s: %s", path, strerror(errno));
		unlink(path);
		return -1;
	}
	return 0;
}

/* Encodes IMG as an 8-bit RGB PNG (with sRGB information) into memory. */
int
image_encode_png(const struct image *img, uint8_t **buf, size_t *len,
    char **cause)
{
	png_image		 png;
	png_alloc_size_t	 size = 0;
	uint8_t			*p;

	if (!image_valid(img, cause))
		return -1;
	memset(&png, 0, sizeof png);
	png.version = PNG_IMAGE_VERSION;
	png.width = (png_uint_32)img->w;
	png.height = (png_uint_32)img->h;
	png.format = PNG_FORMAT_RGB;

	/* The first pass only measures; the second writes. */
	if (!png_image_write_to_memory(&png, NULL, &size, 0, img->rgb, 0,
	    NULL) || size == 0) {
		xasprintf(cause, "cannot encode PNG: %s", png.message);
		png_image_free(&png);
		return -1;
	}
	p = xmalloc(size);
	if (!png_image_write_to_memory(&png, p, &size, 0, img->rgb, 0,
	    NULL)) {
		xasprintf(cause, "cannot encode PNG: %s", png.message);
		png_image_free(&png);
		free(p);
		return -1;
	}
	*buf = p;
	*len = size;
	return 0;
}

/*
 * Encodes IMG as a JPEG at QUALITY with 4:2:0 chroma and the accurate DCT;
 * the result is copied into memory the caller frees with free().
 */
int
image_encode_jpeg(const struct image *img, int quality, uint8_t **buf,
    size_t *len, char **cause)
{
	tjhandle	 tj;
	unsigned char	*jbuf = NULL;
	unsigned long	 jlen = 0;
	int		 r = -1;

	if (!image_valid(img, cause))
		return -1;
	if (quality < 1 || quality > 100) {
		xasprintf(cause, "bad JPEG quality %d (1..100)", quality);
		return -1;
	}
	if ((tj = tjInitCompress()) == NULL) {
		xasprintf(cause, "cannot start JPEG encoder: %s",
		    tjGetErrorStr2(NULL));
		return -1;
	}
	if (tjCompress2(tj, img->rgb, img->w, 0, img->h, TJPF_RGB, &jbuf,
	    &jlen, TJSAMP_420, quality, TJFLAG_ACCURATEDCT) != 0) {
		xasprintf(cause, "cannot encode JPEG: %s", tjGetErrorStr2(tj));
		goto out;
	}
	*buf = xmalloc(jlen);
	memcpy(*buf, jbuf, jlen);
	*len = jlen;
	r = 0;

out:
	if (jbuf != NULL)
		tjFree(jbuf);
	tjDestroy(tj);
	return r;
}

/* Copies the rectangle (X, Y, W, H) of IMG; NULL unless it lies inside. */
struct image *
image_crop(const struct image *img, int x, int y, int w, int h)
{
	struct image	*out;
	const uint8_t	*src;
	size_t		 row;
	int		 i;

	if (img == NULL || w <= 0 || h <= 0 || x < 0 || y < 0 ||
	    x > img->w - w || y > img->h - h)
		return NULL;
	out = image_new(w, h);
	row = (size_t)w * 3;
	src = img->rgb + ((size_t)y * (size_t)img->w + (size_t)x) * 3;
	for (i = 0; i < h; i++) {
		memcpy(out->rgb + (size_t)i * row, src, row);
		src += (size_t)img->w * 3;
	}
	return out;
}
