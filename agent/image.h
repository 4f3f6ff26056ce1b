/*
 * Decoded images: 8-bit RGB, row-major, no padding between rows. Every
 * decoder checks sizes before allocating and reports a person-readable
 * cause; nothing in a file can crash the caller.
 */
#ifndef IMAGE_H
#define IMAGE_H

#include <stddef.h>
#include <stdint.h>

/* Default limit on width * height for decoded images (64 Mpx). */
#define IMAGE_MAX_PIXELS	(64UL * 1024 * 1024)

struct image {
	int		 w;
	int		 h;
	uint8_t		*rgb;		/* w * h * 3 bytes, R,G,B */
};

struct image	*image_new(int w, int h);
void		 image_free(struct image *);

/*
 * Decodes a JPEG (EXIF orientation applied), PNG (any colour type; alpha
 * composited over black) or binary PPM (P6, maxval 1..65535), sniffed
 * from the first bytes. Returns 0 and the image in *out, or -1 with *cause set
 * (malloc'd) for a corrupt, truncated, empty or over-limit input.
 */
int		 image_decode(const uint8_t *buf, size_t len, size_t max_pixels,
		     struct image **out, char **cause);
/* Reads and decodes PATH; as image_decode, with the path in the cause. */
int		 image_load(const char *path, size_t max_pixels,
		     struct image **out, char **cause);

/* Writes a binary PPM (P6, maxval 255). Returns 0 or -1 with *cause. */
int		 image_write_ppm(const struct image *, const char *path,
		     char **cause);
/* Encodes as PNG into memory (caller frees *buf). Returns 0 or -1. */
int		 image_encode_png(const struct image *, uint8_t **buf,
		     size_t *len, char **cause);
/* Encodes as JPEG at QUALITY (1..100) into memory (caller frees *buf). */
int		 image_encode_jpeg(const struct image *, int quality,
		     uint8_t **buf, size_t *len, char **cause);

/*
 * Copies the rectangle (x, y, w, h), which must lie inside the image,
 * into a new image. Returns NULL if it does not.
 */
struct image	*image_crop(const struct image *, int x, int y, int w, int h);

#endif
