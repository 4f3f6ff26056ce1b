/*
 * Camera sources behind one small interface. A source is opened from the
 * `camera` keyword's spec:
 *
 *	v4l2:/dev/videoN[,WIDTHxHEIGHT[@FPS]]	a V4L2 capture device
 *	http://...  https://...			MJPEG stream or snapshot URL
 *	file:DIR				the images of DIR, replayed
 *
 * and hands out decoded RGB frames (struct image). Live sources
 * (v4l2, http) never end: their errors are transient, and the source keeps
 * its own reconnect and backoff state, so the caller just calls again.
 *
 * Timestamps are CLOCK_MONOTONIC milliseconds: the capture time for live
 * sources, and for a file source the time the frame is meant for (the open
 * time plus one camera interval per frame), so a replay is paced the same
 * whatever the machine's speed.
 */
#ifndef CAMERA_H
#define CAMERA_H

#include <stddef.h>
#include <stdint.h>

#include "image.h"

struct camera;

/*
 * Opens the source SPEC at FPS frames per second (a v4l2 spec's @FPS wins);
 * LOOP restarts a file source at its end. Decoded frames over MAX_PIXELS
 * are errors. Returns NULL with *cause on a bad spec or a source that
 * cannot start (a missing device, an empty directory).
 */
struct camera	*camera_open(const char *spec, double fps, int loop,
		     size_t max_pixels, char **cause);
/*
 * Gets the next frame into *FRAME (caller frees) and its time. Returns 1,
 * 0 at the end of a non-looping file source, or -1 with *cause: for a file
 * source a frame that could not be read (the next call goes on with the
 * next file), for a live source a transient error (call again later).
 */
int		 camera_next(struct camera *, struct image **frame,
		     int64_t *time_ms, char **cause);
/*
 * An fd that polls readable when camera_next has a frame, or -1: then the
 * caller paces its calls by camera_interval_ms. May change after an error
 * (a v4l2 device is reopened), so ask again after each -1.
 */
int		 camera_fd(struct camera *);
/* Milliseconds between frames at the source's frame rate. */
int64_t		 camera_interval_ms(struct camera *);
/* Closes the source; NULL is fine. */
void		 camera_close(struct camera *);

/*
 * Backends. Each fills in a struct camera_ops and its private state; the
 * dispatch in camera.c owns the struct camera around them.
 */
struct camera_ops {
	int	(*next)(void *, struct image **, int64_t *, char **);
	int	(*fd)(void *);
	void	(*close)(void *);
};

/* camera-file.c */
void	*camera_file_open(const char *dir, int64_t interval_ms, int loop,
	     size_t max_pixels, char **cause);
extern const struct camera_ops camera_file_ops;

/* camera-v4l2.c */
void	*camera_v4l2_open(const char *path, int width, int height,
	     double fps, size_t max_pixels, char **cause);
extern const struct camera_ops camera_v4l2_ops;
/*
 * Converts W x H pixels of packed YUYV 4:2:2 (rows STRIDE bytes apart,
 * each holding (W + 1) / 2 whole Y U Y V pairs) to RGB with integer
 * BT.601 (studio range) arithmetic.
 */
void	 camera_v4l2_yuyv_to_rgb(const uint8_t *src, size_t stride, int w,
	     int h, uint8_t *rgb);

/* camera-http.c */
void	*camera_http_open(const char *url, size_t max_pixels, char **cause);
extern const struct camera_ops camera_http_ops;

/*
 * The multipart/x-mixed-replace (MJPEG) parser, fed bytes as they come
 * and independent of curl. It keeps only the newest complete part (a live
 * camera's older frames are stale) and the latest error; after an error
 * it resynchronises on the next boundary line.
 */
struct camera_http_parser;

/*
 * Gets the boundary from a Content-Type value into *BOUNDARY (malloc'd).
 * Returns 1 for multipart/x-mixed-replace with a boundary, 0 for another
 * type, -1 with *cause for a multipart type without a usable boundary.
 */
int	 camera_http_boundary(const char *content_type, char **boundary,
	     char **cause);
struct camera_http_parser *camera_http_parser_new(const char *boundary,
	     size_t max_part);
void	 camera_http_parser_free(struct camera_http_parser *);
/* Feeds LEN bytes of the response body. */
void	 camera_http_parser_feed(struct camera_http_parser *,
	     const uint8_t *, size_t);
/* Notes the end of the body: a part left unfinished is an error. */
void	 camera_http_parser_finish(struct camera_http_parser *);
/* Takes the newest complete part (caller frees). Returns 1, or 0 if none. */
int	 camera_http_parser_part(struct camera_http_parser *, uint8_t **buf,
	     size_t *len);
/* Takes the latest unreported error. Returns 1 with *cause, or 0. */
int	 camera_http_parser_error(struct camera_http_parser *, char **cause);

#endif
