/*
 * ppm-from: decodes an image with image_load (JPEG with EXIF orientation,
 * PNG or PPM), optionally crops it, and writes exactly the decoded RGB as
 * a binary PPM. Reference tools (the Node fixture generator) read this
 * output, so both sides work on identical pixels.
 *
 *	ppm-from IN OUT.ppm [X Y W H]
 *
 * An OUT ending in .png or .jpg (.jpeg) is encoded as PNG or as JPEG at
 * quality 90 instead; the fuzz seed scripts use that to make small inputs.
 */

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "image.h"
#include "log.h"

/* Quality of a .jpg output: a typical camera-like setting. */
#define PPM_FROM_JPEG_QUALITY	90

/* Prints the usage and exits. */
static void
usage(void)
{
	fprintf(stderr, "usage: ppm-from IN OUT.ppm [X Y W H]\n");
	exit(1);
}

/* Parses a non-negative int argument or exits. */
static int
parse_int(const char *s, const char *what)
{
	char	*end;
	long	 v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (*s == '\0' || *end != '\0' || errno != 0 || v < 0 ||
	    v > INT_MAX) {
		fprintf(stderr, "ppm-from: bad %s: %s\n", what, s);
		exit(1);
	}
	return (int)v;
}

/* Returns if PATH ends with SUFFIX. */
static int
has_suffix(const char *path, const char *suffix)
{
	size_t	pl = strlen(path), sl = strlen(suffix);

	return pl >= sl && strcmp(path + pl - sl, suffix) == 0;
}

/* Writes LEN bytes of BUF to PATH. Returns 0 or -1 with a message. */
static int
write_file(const char *path, const uint8_t *buf, size_t len)
{
	FILE	*f;
	int	 failed;

	if ((f = fopen(path, "wb")) == NULL) {
		fprintf(stderr, "ppm-from: %s: %s\n", path, strerror(errno));
		return -1;
	}
	failed = fwrite(buf, 1, len, f) != len;
	if (fclose(f) != 0)
		failed = 1;
	if (failed) {
		fprintf(stderr, "ppm-from: %s: %s\n", path, strerror(errno));
		return -1;
	}
	return 0;
}

/* Decodes, crops and writes one image. */
int
main(int argc, char **argv)
{
	struct image	*img, *crop;
	const char	*in, *outp;
	char		*cause;
	uint8_t		*buf;
	size_t		 len;
	int		 x, y, w, h, r;

	log_init("ppm-from", LOG_LEVEL_WARN);
	if (argc != 3 && argc != 7)
		usage();
	in = argv[1];
	outp = argv[2];

	if (image_load(in, IMAGE_MAX_PIXELS, &img, &cause) != 0) {
		fprintf(stderr, "ppm-from: %s\n", cause);
		free(cause);
		return 1;
	}
	if (argc == 7) {
		x = parse_int(argv[3], "X");
		y = parse_int(argv[4], "Y");
		w = parse_int(argv[5], "W");
		h = parse_int(argv[6], "H");
		if ((crop = image_crop(img, x, y, w, h)) == NULL) {
			fprintf(stderr, "ppm-from: crop %d,%d %dx%d is not "
			    "inside the %dx%d image\n", x, y, w, h, img->w,
			    img->h);
			image_free(img);
			return 1;
		}
		image_free(img);
		img = crop;
	}

	if (has_suffix(outp, ".png") || has_suffix(outp, ".jpg") ||
	    has_suffix(outp, ".jpeg")) {
		if (has_suffix(outp, ".png"))
			r = image_encode_png(img, &buf, &len, &cause);
		else
			r = image_encode_jpeg(img, PPM_FROM_JPEG_QUALITY, &buf,
			    &len, &cause);
		if (r == 0) {
			r = write_file(outp, buf, len);
			free(buf);
		} else {
			fprintf(stderr, "ppm-from: %s\n", cause);
			free(cause);
		}
	} else if ((r = image_write_ppm(img, outp, &cause)) != 0) {
		fprintf(stderr, "ppm-from: %s\n", cause);
		free(cause);
	}
	image_free(img);
	return r == 0 ? 0 : 1;
}
