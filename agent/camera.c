/*
 * Camera sources: parses the `camera` spec, opens the backend it names and
 * dispatches to it through its struct camera_ops.
 */

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "camera.h"
#include "xmalloc.h"

/*
 * Frame sizes a v4l2 spec may ask for: no USB or CSI camera is under 16
 * pixels a side or past 8K; anything else is a typo. Without a size the
 * source asks for 640x480, which every UVC camera offers and which is
 * plenty for faces at a door.
 */
#define CAMERA_MIN_SIDE		16
#define CAMERA_MAX_SIDE		8192
#define CAMERA_DEFAULT_WIDTH	640
#define CAMERA_DEFAULT_HEIGHT	480

/* The same frame-rate range as the camera_fps keyword, for the same reasons. */
#define CAMERA_MIN_FPS		0.1
#define CAMERA_MAX_FPS		120.0

struct camera {
	const struct camera_ops	*ops;
	void			*data;
	int64_t			 interval_ms;
};

/* Parses a positive decimal side length; returns it or -1. */
static int
camera_parse_side(const char *s, const char **end)
{
	long	 v = 0;

	if (*s < '0' || *s > '9')
		return -1;
	while (*s >= '0' && *s <= '9') {
		v = v * 10 + (*s++ - '0');
		if (v > CAMERA_MAX_SIDE)
			return -1;
	}
	*end = s;
	return v < CAMERA_MIN_SIDE ? -1 : (int)v;
}

/*
 * Parses the ",WIDTHxHEIGHT[@FPS]" options of a v4l2 spec (OPT points at
 * the comma, or is NULL). Returns 0, or -1 with *cause.
 */
static int
camera_parse_v4l2(const char *spec, const char *opt, int *w, int *h,
    double *fps, char **cause)
{
	const char	*p;
	char		*end;
	double		 f;

	*w = CAMERA_DEFAULT_WIDTH;
	*h = CAMERA_DEFAULT_HEIGHT;
	if (opt == NULL)
		return 0;
	p = opt + 1;
	if ((*w = camera_parse_side(p, &p)) == -1 || *p++ != 'x' ||
	    (*h = camera_parse_side(p, &p)) == -1)
		goto bad;
	if (*p == '\0')
		return 0;
	if (*p++ != '@')
		goto bad;
	errno = 0;
	f = strtod(p, &end);
	if (end == p || *end != '\0' || errno != 0 || !isfinite(f) ||
	    f < CAMERA_MIN_FPS || f > CAMERA_MAX_FPS)
		goto bad;
	*fps = f;
	return 0;
bad:
	xasprintf(cause, "camera %s: expected v4l2:/dev/videoN[,WIDTHxHEIGHT"
	    "[@FPS]] with sides %d..%d and FPS %g..%g", spec, CAMERA_MIN_SIDE,
	    CAMERA_MAX_SIDE, CAMERA_MIN_FPS, CAMERA_MAX_FPS);
	return -1;
}

/* Opens the source SPEC; see camera.h. */
struct camera *
camera_open(const char *spec, double fps, int loop, size_t max_pixels,
    char **cause)
{
	const struct camera_ops	*ops;
	struct camera		*c;
	const char		*comma;
	char			*path;
	void			*data;
	size_t			 len;
	int			 w, h;

	if (!isfinite(fps) || fps < CAMERA_MIN_FPS || fps > CAMERA_MAX_FPS) {
		xasprintf(cause, "camera %s: frame rate %g is outside "
		    "%g..%g", spec, fps, CAMERA_MIN_FPS, CAMERA_MAX_FPS);
		return NULL;
	}
	if (strncmp(spec, "v4l2:", 5) == 0) {
		comma = strchr(spec + 5, ',');
		if (camera_parse_v4l2(spec, comma, &w, &h, &fps, cause) != 0)
			return NULL;
		len = comma == NULL ? strlen(spec + 5) :
		    (size_t)(comma - spec - 5);
		path = xmalloc(len + 1);
		memcpy(path, spec + 5, len);
		path[len] = '\0';
		if (*path == '\0') {
			free(path);
			xasprintf(cause, "camera %s: no device path", spec);
			return NULL;
		}
		data = camera_v4l2_open(path, w, h, fps, max_pixels, cause);
		free(path);
		ops = &camera_v4l2_ops;
	} else if (strncmp(spec, "http://", 7) == 0 ||
	    strncmp(spec, "https://", 8) == 0) {
		data = camera_http_open(spec, max_pixels, cause);
		ops = &camera_http_ops;
	} else if (strncmp(spec, "file:", 5) == 0) {
		if (spec[5] == '\0') {
			xasprintf(cause, "camera %s: no directory", spec);
			return NULL;
		}
		data = camera_file_open(spec + 5, llround(1000.0 / fps), loop,
		    max_pixels, cause);
		ops = &camera_file_ops;
	} else {
		xasprintf(cause, "camera %s: unknown source (expected v4l2:, "
		    "http://, https:// or file:)", spec);
		return NULL;
	}
	if (data == NULL)
		return NULL;

	c = xcalloc(1, sizeof *c);
	c->ops = ops;
	c->data = data;
	c->interval_ms = llround(1000.0 / fps);
	return c;
}

/* Gets the next frame from the backend. */
int
camera_next(struct camera *c, struct image **frame, int64_t *time_ms,
    char **cause)
{
	*frame = NULL;
	return c->ops->next(c->data, frame, time_ms, cause);
}

/* Returns the backend's fd to poll, or -1. */
int
camera_fd(struct camera *c)
{
	return c->ops->fd(c->data);
}

/* Returns the time between frames. */
int64_t
camera_interval_ms(struct camera *c)
{
	return c->interval_ms;
}

/* Closes the backend and frees the source. */
void
camera_close(struct camera *c)
{
	if (c == NULL)
		return;
	c->ops->close(c->data);
	free(c);
}
