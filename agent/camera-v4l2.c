/*
 * The V4L2 camera: a capture device streamed through mmap'd buffers.
 * MJPEG is asked for first (a USB camera sends it at full rate), then
 * YUYV, which is converted here. The fd is non-blocking and polls
 * readable when a buffer is done, so the worker's loop can wait on it.
 *
 * After a capture error (an unplugged camera gives ENODEV) the device is
 * closed; camera_next then reopens it, no sooner than the backoff delay,
 * which doubles on each failure and resets with the first good frame.
 */

#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/time.h>

#include <linux/videodev2.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "camera.h"
#include "loop.h"
#include "xmalloc.h"

/*
 * Four buffers: one being filled, one being decoded, and two so a slow
 * decode does not make the driver drop frames; more only adds latency.
 */
#define CAMERA_V4L2_BUFFERS	4

/* Reconnect delays: first retry after half a second, then up to 30 s. */
#define CAMERA_V4L2_BACKOFF_MIN	500
#define CAMERA_V4L2_BACKOFF_MAX	30000

struct camera_v4l2_buffer {
	void		*start;
	size_t		 len;
};

struct camera_v4l2 {
	char				*path;
	int				 fd;
	int				 want_w, want_h;
	double				 fps;
	size_t				 max_pixels;

	uint32_t			 pixfmt;
	int				 w, h;
	size_t				 stride;
	struct camera_v4l2_buffer	 bufs[CAMERA_V4L2_BUFFERS];
	unsigned int			 nbufs;
	int				 streaming;

	int64_t				 retry_ms;
	int64_t				 backoff_ms;
};

/* Clamps V to a byte; V is in 8.8 fixed point. */
static uint8_t
camera_v4l2_clamp(int v)
{
	if (v < 0)
		return 0;
	v >>= 8;
	return v > 255 ? 255 : (uint8_t)v;
}

/*
 * Converts YUYV to RGB; see camera.h. The coefficients are the BT.601
 * studio-range ones scaled by 256 (1.164, 1.596, 0.391, 0.813, 2.018),
 * with 128 added to round.
 */
void
camera_v4l2_yuyv_to_rgb(const uint8_t *src, size_t stride, int w, int h,
    uint8_t *rgb)
{
	const uint8_t	*p;
	int		 x, y, i, c, d, e;

	for (y = 0; y < h; y++) {
		p = src + (size_t)y * stride;
		for (x = 0; x < w; x++) {
			i = (x & 1) ? 2 : 0;
			c = 298 * (p[(x & ~1) * 2 + i] - 16) + 128;
			d = p[(x & ~1) * 2 + 1] - 128;
			e = p[(x & ~1) * 2 + 3] - 128;
			*rgb++ = camera_v4l2_clamp(c + 409 * e);
			*rgb++ = camera_v4l2_clamp(c - 100 * d - 208 * e);
			*rgb++ = camera_v4l2_clamp(c + 516 * d);
		}
	}
}

/* Returns the bytes of a YUYV row of W pixels: whole pairs, 4 bytes each. */
static size_t
camera_v4l2_row(int w)
{
	return ((size_t)w + 1) / 2 * 4;
}

/* Retries an ioctl interrupted by a signal. */
static int
camera_v4l2_ioctl(int fd, unsigned long req, void *arg)
{
	int	r;

	do
		r = ioctl(fd, req, arg);
	while (r == -1 && errno == EINTR);
	return r;
}

/* Stops streaming, unmaps the buffers and closes the device. */
static void
camera_v4l2_stop(struct camera_v4l2 *v)
{
	enum v4l2_buf_type	type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	unsigned int		i;

	if (v->streaming)
		camera_v4l2_ioctl(v->fd, VIDIOC_STREAMOFF, &type);
	v->streaming = 0;
	for (i = 0; i < v->nbufs; i++)
		munmap(v->bufs[i].start, v->bufs[i].len);
	v->nbufs = 0;
	if (v->fd != -1)
		close(v->fd);
	v->fd = -1;
}

/* Sets the format, trying MJPEG then YUYV. Returns 0, or -1 with *cause. */
static int
camera_v4l2_format(struct camera_v4l2 *v, char **cause)
{
	static const uint32_t	 fmts[] = {
		V4L2_PIX_FMT_MJPEG, V4L2_PIX_FMT_YUYV
	};
	struct v4l2_format	 f;
	size_t			 i;

	for (i = 0; i < sizeof fmts / sizeof *fmts; i++) {
		memset(&f, 0, sizeof f);
		f.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
		f.fmt.pix.width = (uint32_t)v->want_w;
		f.fmt.pix.height = (uint32_t)v->want_h;
		f.fmt.pix.pixelformat = fmts[i];
		f.fmt.pix.field = V4L2_FIELD_ANY;
		if (camera_v4l2_ioctl(v->fd, VIDIOC_S_FMT, &f) == -1)
			continue;
		if (f.fmt.pix.pixelformat != fmts[i])
			continue;
		/* No sensor is past 16384 a side; it keeps w and h ints. */
		if (f.fmt.pix.width == 0 || f.fmt.pix.height == 0 ||
		    f.fmt.pix.width > 16384 || f.fmt.pix.height > 16384 ||
		    (size_t)f.fmt.pix.width * f.fmt.pix.height >
		    v->max_pixels) {
			xasprintf(cause, "camera %s: unusable frame size "
			    "%ux%u", v->path, f.fmt.pix.width,
			    f.fmt.pix.height);
			return -1;
		}
		v->pixfmt = fmts[i];
		v->w = (int)f.fmt.pix.width;
		v->h = (int)f.fmt.pix.height;
		v->stride = f.fmt.pix.bytesperline;
		if (v->stride < camera_v4l2_row(v->w))
			v->stride = camera_v4l2_row(v->w);
		return 0;
	}
	xasprintf(cause, "camera %s: offers neither MJPEG nor YUYV", v->path);
	return -1;
}

/* Opens and starts the device. Returns 0, or -1 with *cause. */
static int
camera_v4l2_start(struct camera_v4l2 *v, char **cause)
{
	struct v4l2_capability		cap;
	struct v4l2_streamparm		parm;
	struct v4l2_requestbuffers	req;
	struct v4l2_buffer		b;
	enum v4l2_buf_type		type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	uint32_t			caps;
	unsigned int			i;

	if ((v->fd = open(v->path, O_RDWR | O_NONBLOCK | O_CLOEXEC)) == -1) {
		xasprintf(cause, "camera %s: %s", v->path, strerror(errno));
		return -1;
	}
	memset(&cap, 0, sizeof cap);
	if (camera_v4l2_ioctl(v->fd, VIDIOC_QUERYCAP, &cap) == -1) {
		xasprintf(cause, "camera %s: not a V4L2 device (%s)", v->path,
		    strerror(errno));
		goto fail;
	}
	caps = (cap.capabilities & V4L2_CAP_DEVICE_CAPS) ?
	    cap.device_caps : cap.capabilities;
	if (!(caps & V4L2_CAP_VIDEO_CAPTURE) || !(caps & V4L2_CAP_STREAMING)) {
		xasprintf(cause, "camera %s: not a streaming capture device",
		    v->path);
		goto fail;
	}
	if (camera_v4l2_format(v, cause) != 0)
		goto fail;

	/* A driver without frame-rate control is fine: the worker paces. */
	memset(&parm, 0, sizeof parm);
	parm.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	parm.parm.capture.timeperframe.numerator = 1000;
	parm.parm.capture.timeperframe.denominator =
	    (uint32_t)(v->fps * 1000.0 + 0.5);
	camera_v4l2_ioctl(v->fd, VIDIOC_S_PARM, &parm);

	memset(&req, 0, sizeof req);
	req.count = CAMERA_V4L2_BUFFERS;
	req.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	req.memory = V4L2_MEMORY_MMAP;
	if (camera_v4l2_ioctl(v->fd, VIDIOC_REQBUFS, &req) == -1 ||
	    req.count < 2) {
		xasprintf(cause, "camera %s: cannot get capture buffers",
		    v->path);
		goto fail;
	}
	if (req.count > CAMERA_V4L2_BUFFERS)
		req.count = CAMERA_V4L2_BUFFERS;
	for (i = 0; i < req.count; i++) {
		memset(&b, 0, sizeof b);
		b.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
		b.memory = V4L2_MEMORY_MMAP;
		b.index = i;
		if (camera_v4l2_ioctl(v->fd, VIDIOC_QUERYBUF, &b) == -1)
			goto fail_errno;
		v->bufs[i].len = b.length;
		v->bufs[i].start = mmap(NULL, b.length, PROT_READ | PROT_WRITE,
		    MAP_SHARED, v->fd, b.m.offset);
		if (v->bufs[i].start == MAP_FAILED)
			goto fail_errno;
		v->nbufs++;
		if (camera_v4l2_ioctl(v->fd, VIDIOC_QBUF, &b) == -1)
			goto fail_errno;
	}
	if (camera_v4l2_ioctl(v->fd, VIDIOC_STREAMON, &type) == -1)
		goto fail_errno;
	v->streaming = 1;
	return 0;

fail_errno:
	xasprintf(cause, "camera %s: %s", v->path, strerror(errno));
fail:
	camera_v4l2_stop(v);
	return -1;
}

/* Frees a v4l2 source. */
static void
camera_v4l2_close(void *arg)
{
	struct camera_v4l2	*v = arg;

	if (v == NULL)
		return;
	camera_v4l2_stop(v);
	free(v->path);
	free(v);
}

/* Opens the device PATH; see camera.h. */
void *
camera_v4l2_open(const char *path, int width, int height, double fps,
    size_t max_pixels, char **cause)
{
	struct camera_v4l2	*v;

	v = xcalloc(1, sizeof *v);
	v->path = xstrdup(path);
	v->fd = -1;
	v->want_w = width;
	v->want_h = height;
	v->fps = fps;
	v->max_pixels = max_pixels;
	v->backoff_ms = CAMERA_V4L2_BACKOFF_MIN;
	if (camera_v4l2_start(v, cause) != 0) {
		camera_v4l2_close(v);
		return NULL;
	}
	return v;
}

/* Notes a failure: closes the device and sets when to try again. */
static void
camera_v4l2_fail(struct camera_v4l2 *v)
{
	camera_v4l2_stop(v);
	v->retry_ms = loop_now_ms() + v->backoff_ms;
	v->backoff_ms *= 2;
	if (v->backoff_ms > CAMERA_V4L2_BACKOFF_MAX)
		v->backoff_ms = CAMERA_V4L2_BACKOFF_MAX;
}

/* Dequeues, converts and requeues one buffer. */
static int
camera_v4l2_next(void *arg, struct image **frame, int64_t *time_ms,
    char **cause)
{
	struct camera_v4l2	*v = arg;
	struct v4l2_buffer	 b;
	struct image		*img;
	char			*why;
	int			 r;

	if (v->fd == -1) {
		if (loop_now_ms() < v->retry_ms) {
			xasprintf(cause, "camera %s: reopening in %.1f s",
			    v->path, (v->retry_ms - loop_now_ms()) / 1000.0);
			return -1;
		}
		if (camera_v4l2_start(v, cause) != 0) {
			camera_v4l2_fail(v);
			return -1;
		}
	}
	memset(&b, 0, sizeof b);
	b.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	b.memory = V4L2_MEMORY_MMAP;
	if (camera_v4l2_ioctl(v->fd, VIDIOC_DQBUF, &b) == -1) {
		if (errno == EAGAIN) {
			xasprintf(cause, "camera %s: no frame ready", v->path);
			return -1;
		}
		xasprintf(cause, "camera %s: %s", v->path, strerror(errno));
		camera_v4l2_fail(v);
		return -1;
	}
	*time_ms = loop_now_ms();
	if (b.flags & V4L2_BUF_FLAG_TIMESTAMP_MONOTONIC)
		*time_ms = (int64_t)b.timestamp.tv_sec * 1000 +
		    b.timestamp.tv_usec / 1000;

	r = -1;
	if (b.index >= v->nbufs || b.bytesused > v->bufs[b.index].len)
		xasprintf(cause, "camera %s: driver gave a bad buffer",
		    v->path);
	else if (b.flags & V4L2_BUF_FLAG_ERROR)
		xasprintf(cause, "camera %s: corrupt frame", v->path);
	else if (v->pixfmt == V4L2_PIX_FMT_MJPEG) {
		if (image_decode(v->bufs[b.index].start, b.bytesused,
		    v->max_pixels, frame, &why) == 0)
			r = 1;
		else {
			xasprintf(cause, "camera %s: %s", v->path, why);
			free(why);
		}
	} else if (b.bytesused < v->stride * (size_t)(v->h - 1) +
	    camera_v4l2_row(v->w))
		xasprintf(cause, "camera %s: short frame", v->path);
	else {
		img = image_new(v->w, v->h);
		camera_v4l2_yuyv_to_rgb(v->bufs[b.index].start, v->stride,
		    v->w, v->h, img->rgb);
		*frame = img;
		r = 1;
	}
	if (camera_v4l2_ioctl(v->fd, VIDIOC_QBUF, &b) == -1) {
		if (r == 1) {
			image_free(*frame);
			*frame = NULL;
			xasprintf(cause, "camera %s: %s", v->path,
			    strerror(errno));
		}
		camera_v4l2_fail(v);
		return -1;
	}
	if (r == 1)
		v->backoff_ms = CAMERA_V4L2_BACKOFF_MIN;
	return r;
}

/* Returns the device fd (readable when a frame is done), or -1. */
static int
camera_v4l2_fd(void *arg)
{
	struct camera_v4l2	*v = arg;

	return v->fd;
}

const struct camera_ops camera_v4l2_ops = {
	camera_v4l2_next, camera_v4l2_fd, camera_v4l2_close
};
