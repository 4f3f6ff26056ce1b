/*
 * libFuzzer target for the image decoders (JPEG with EXIF, PNG, PPM). A
 * decoded image must also survive a PNG round trip unchanged: encode to
 * memory, decode again, compare every pixel.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "image.h"

/* Same limit as the agent's worker uses for camera and upload images. */
#define FUZZ_MAX_PIXELS	(4 * 1024 * 1024)

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* Decodes one input; aborts if a PNG round trip changes the pixels. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct image	*img, *back;
	uint8_t		*png;
	size_t		 len;
	char		*cause = NULL;

	if (image_decode(data, size, FUZZ_MAX_PIXELS, &img, &cause) != 0) {
		if (cause == NULL || *cause == '\0')
			abort();
		free(cause);
		return 0;
	}
	if (img->w <= 0 || img->h <= 0 ||
	    (size_t)img->w * (size_t)img->h > FUZZ_MAX_PIXELS)
		abort();

	if (image_encode_png(img, &png, &len, &cause) != 0)
		abort();
	if (image_decode(png, len, FUZZ_MAX_PIXELS, &back, &cause) != 0)
		abort();
	if (back->w != img->w || back->h != img->h ||
	    memcmp(back->rgb, img->rgb, (size_t)img->w * img->h * 3) != 0)
		abort();

	image_free(back);
	free(png);
	image_free(img);
	return 0;
}
