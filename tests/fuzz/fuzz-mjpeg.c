/*
 * libFuzzer target for the MJPEG (multipart/x-mixed-replace) parser of
 * agent/camera-http.c. The first byte picks the piece size the body is
 * fed in, so a part split anywhere is covered; the next line is taken as
 * a Content-Type value. Every part handed out must be non-empty and within
 * the limit, and each one goes through the image decoders.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "camera.h"
#include "image.h"

/*
 * A small part limit so the fuzzer reaches the over-limit paths quickly;
 * the camera uses 8 MiB.
 */
#define FUZZ_MAX_PART	4096
#define FUZZ_MAX_PIXELS	(1024 * 1024)

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* Decodes a part the way the camera would; it must not crash. */
static void
fuzz_part(struct camera_http_parser *p)
{
	struct image	*img;
	uint8_t		*buf;
	size_t		 len;
	char		*cause = NULL;

	if (!camera_http_parser_part(p, &buf, &len))
		return;
	if (len == 0 || len > FUZZ_MAX_PART)
		abort();
	if (image_decode(buf, len, FUZZ_MAX_PIXELS, &img, &cause) == 0)
		image_free(img);
	else
		free(cause);
	free(buf);
}

/* Feeds one input to a fresh parser. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct camera_http_parser	*p;
	const uint8_t			*nl;
	char				*type, *boundary = NULL, *cause = NULL;
	size_t				 step, n, tlen;

	if (size < 2)
		return 0;
	step = (size_t)data[0] + 1;
	data++;
	size--;
	nl = memchr(data, '\n', size < 256 ? size : 256);
	tlen = nl == NULL ? 0 : (size_t)(nl - data);
	type = malloc(tlen + 1);
	memcpy(type, data, tlen);
	type[tlen] = '\0';
	if (nl != NULL) {
		data += tlen + 1;
		size -= tlen + 1;
	}
	switch (camera_http_boundary(type, &boundary, &cause)) {
	case 1:
		break;
	case -1:
		if (cause == NULL)
			abort();
		free(cause);
		cause = NULL;
		/* FALLTHROUGH */
	default:
		boundary = strdup("gh");
		break;
	}
	free(type);

	p = camera_http_parser_new(boundary, FUZZ_MAX_PART);
	while (size > 0) {
		n = size < step ? size : step;
		camera_http_parser_feed(p, data, n);
		fuzz_part(p);
		if (camera_http_parser_error(p, &cause))
			free(cause);
		data += n;
		size -= n;
	}
	camera_http_parser_finish(p);
	fuzz_part(p);
	if (camera_http_parser_error(p, &cause)) {
		if (cause == NULL || *cause == '\0')
			abort();
		free(cause);
	}
	camera_http_parser_free(p);
	free(boundary);
	return 0;
}
