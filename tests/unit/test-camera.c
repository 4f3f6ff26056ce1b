/*
 * Tests for the camera sources: the file camera's order, end, loop, bad
 * files and empty directories; spec parsing; the YUYV conversion and the
 * v4l2 open failure (there is no camera here); the MJPEG parser fed in
 * odd pieces; and the HTTP camera against a small server forked by the
 * test itself (a stream, a snapshot, a broken stream, a refused port).
 */

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "camera.h"
#include "loop.h"
#include "image.h"
#include "test.h"
#include "xmalloc.h"

/* The test's fps: 10 makes the file camera's interval 100 ms. */
#define TEST_FPS	10.0

/* Makes a W x H image whose pixels depend on SEED. */
static struct image *
make_image(int w, int h, int seed)
{
	struct image	*img = image_new(w, h);
	size_t		 i;

	for (i = 0; i < (size_t)w * h * 3; i++)
		img->rgb[i] = (uint8_t)((i * 7 + (size_t)seed * 31) & 0xff);
	return img;
}

/* Writes LEN bytes to DIR/NAME. */
static void
write_file(const char *dir, const char *name, const void *buf, size_t len)
{
	char	*path;
	FILE	*f;

	xasprintf(&path, "%s/%s", dir, name);
	f = fopen(path, "wb");
	CHECK(f != NULL);
	if (f != NULL) {
		CHECK(fwrite(buf, 1, len, f) == len);
		fclose(f);
	}
	free(path);
}

/* Encodes a W x H JPEG into *LEN bytes (caller frees). */
static uint8_t *
make_jpeg(int w, int h, int seed, size_t *len)
{
	struct image	*img = make_image(w, h, seed);
	uint8_t		*buf = NULL;
	char		*cause = NULL;

	if (image_encode_jpeg(img, 90, &buf, len, &cause) != 0) {
		fprintf(stderr, "encode: %s\n", cause);
		abort();
	}
	image_free(img);
	return buf;
}

/* Makes a fresh directory under the test's temporary one. */
static char *
make_dir(const char *name)
{
	char	*dir;

	xasprintf(&dir, "%s/%s", test_tmpdir(), name);
	CHECK(mkdir(dir, 0700) == 0);
	return dir;
}

/* Writes a W-wide, 8-high image as PPM into DIR/NAME. */
static void
write_ppm(const char *dir, const char *name, int w)
{
	struct image	*img = make_image(w, 8, w);
	char		*path, *cause = NULL;

	xasprintf(&path, "%s/%s", dir, name);
	CHECK(image_write_ppm(img, path, &cause) == 0);
	free(path);
	image_free(img);
}

/* Gets the next frame's width (0 at the end, -1 on error). */
static int
next_width(struct camera *c, int64_t *t, char **cause)
{
	struct image	*img = NULL;
	int		 r, w;

	*cause = NULL;
	r = camera_next(c, &img, t, cause);
	if (r != 1) {
		CHECK(img == NULL);
		return r == 0 ? 0 : -1;
	}
	CHECK(*cause == NULL);
	w = img->w;
	image_free(img);
	return w;
}

/* A directory of images of distinct widths, with other files mixed in. */
static char *
make_replay_dir(const char *name)
{
	char		*dir = make_dir(name), *sub, *cause = NULL;
	uint8_t		*buf;
	size_t		 len;
	struct image	*img;

	write_ppm(dir, "b.ppm", 20);
	write_ppm(dir, "10.ppm", 30);
	write_ppm(dir, ".hidden.ppm", 40);
	write_file(dir, "notes.txt", "not an image\n", 13);
	write_file(dir, "README", "x", 1);
	buf = make_jpeg(24, 16, 1, &len);
	write_file(dir, "c.JPG", buf, len);
	free(buf);
	img = make_image(22, 8, 2);
	CHECK(image_encode_png(img, &buf, &len, &cause) == 0);
	write_file(dir, "a.png", buf, len);
	free(buf);
	image_free(img);
	xasprintf(&sub, "%s/d.jpg", dir);
	CHECK(mkdir(sub, 0700) == 0);
	free(sub);
	return dir;
}

TEST(test_file_order_and_end)
{
	struct camera	*c;
	char		*dir = make_replay_dir("order"), *spec, *cause = NULL;
	int64_t		 t0 = 0, t = 0;
	static const int want[] = { 30, 22, 20, 24 };	/* 10 a b c */
	size_t		 i;

	xasprintf(&spec, "file:%s", dir);
	c = camera_open(spec, TEST_FPS, 0, IMAGE_MAX_PIXELS, &cause);
	CHECK(c != NULL);
	if (c == NULL) {
		fprintf(stderr, "%s\n", cause);
		goto out;
	}
	CHECK_INT(camera_fd(c), -1);
	CHECK_INT(camera_interval_ms(c), 100);
	for (i = 0; i < 4; i++) {
		CHECK_INT(next_width(c, &t, &cause), want[i]);
		if (i == 0)
			t0 = t;
		CHECK_INT(t - t0, (int64_t)i * 100);
	}
	CHECK_INT(next_width(c, &t, &cause), 0);
	CHECK_INT(next_width(c, &t, &cause), 0);
	camera_close(c);
out:
	free(spec);
	free(dir);
}

TEST(test_file_loop)
{
	struct camera	*c;
	char		*dir = make_dir("loop"), *spec, *cause = NULL;
	int64_t		 t;
	int		 i;

	write_ppm(dir, "1.ppm", 16);
	write_ppm(dir, "2.ppm", 17);
	xasprintf(&spec, "file:%s", dir);
	c = camera_open(spec, TEST_FPS, 1, IMAGE_MAX_PIXELS, &cause);
	CHECK(c != NULL);
	for (i = 0; c != NULL && i < 5; i++)
		CHECK_INT(next_width(c, &t, &cause), 16 + i % 2);
	camera_close(c);
	free(spec);
	free(dir);
}

TEST(test_file_corrupt)
{
	struct camera	*c;
	char		*dir = make_dir("corrupt"), *spec, *cause = NULL;
	uint8_t		*jpg;
	size_t		 len;
	int64_t		 t;

	write_ppm(dir, "1.ppm", 16);
	jpg = make_jpeg(32, 32, 3, &len);
	write_file(dir, "2.jpg", jpg, len / 3);		/* truncated */
	free(jpg);
	write_file(dir, "3.png", "\x89PNG\r\n\x1a\nrubbish", 15);
	write_ppm(dir, "4.ppm", 18);
	xasprintf(&spec, "file:%s", dir);
	c = camera_open(spec, TEST_FPS, 0, IMAGE_MAX_PIXELS, &cause);
	CHECK(c != NULL);
	if (c != NULL) {
		CHECK_INT(next_width(c, &t, &cause), 16);
		CHECK_INT(next_width(c, &t, &cause), -1);
		CHECK(cause != NULL && strstr(cause, "2.jpg") != NULL);
		free(cause);
		CHECK_INT(next_width(c, &t, &cause), -1);
		CHECK(cause != NULL && strstr(cause, "3.png") != NULL);
		free(cause);
		CHECK_INT(next_width(c, &t, &cause), 18);
		CHECK_INT(next_width(c, &t, &cause), 0);
	}
	camera_close(c);
	free(spec);
	free(dir);
}

TEST(test_file_empty)
{
	char	*dir = make_dir("empty"), *spec, *cause = NULL;

	write_file(dir, "notes.txt", "x", 1);
	write_file(dir, ".x.jpg", "x", 1);
	xasprintf(&spec, "file:%s", dir);
	CHECK(camera_open(spec, TEST_FPS, 0, IMAGE_MAX_PIXELS, &cause) ==
	    NULL);
	CHECK(cause != NULL && strstr(cause, "no images") != NULL);
	free(cause);
	free(spec);
	xasprintf(&spec, "file:%s/missing", dir);
	cause = NULL;
	CHECK(camera_open(spec, TEST_FPS, 0, IMAGE_MAX_PIXELS, &cause) ==
	    NULL);
	CHECK(cause != NULL && strstr(cause, "No such file") != NULL);
	free(cause);
	free(spec);
	free(dir);
}

TEST(test_file_demo)
{
	struct camera	*c;
	struct image	*img;
	char		*spec, *cause = NULL;
	int64_t		 t;
	int		 n = 0;

	xasprintf(&spec, "file:%s/demo", test_models_dir());
	c = camera_open(spec, TEST_FPS, 0, IMAGE_MAX_PIXELS, &cause);
	free(spec);
	if (c == NULL) {
		test_skip("no demo images (%s)", cause);
		free(cause);
		return;
	}
	while (camera_next(c, &img, &t, &cause) == 1) {
		CHECK(img->w > 0 && img->h > 0);
		image_free(img);
		n++;
	}
	CHECK(n >= 1);
	camera_close(c);
}

TEST(test_spec_errors)
{
	static const char *bad[] = {
		"", "ftp://x/y", "file:", "v4l2:", "v4l2:/dev/video0,",
		"v4l2:/dev/video0,640", "v4l2:/dev/video0,640x",
		"v4l2:/dev/video0,8x8", "v4l2:/dev/video0,640x480@",
		"v4l2:/dev/video0,640x480@500", "v4l2:/dev/video0,640x480x",
	};
	char	*cause;
	size_t	 i;

	for (i = 0; i < sizeof bad / sizeof *bad; i++) {
		cause = NULL;
		CHECK(camera_open(bad[i], TEST_FPS, 0, IMAGE_MAX_PIXELS,
		    &cause) == NULL);
		CHECK(cause != NULL && *cause != '\0');
		free(cause);
	}
	cause = NULL;
	CHECK(camera_open("file:/tmp", 0, 0, IMAGE_MAX_PIXELS, &cause) ==
	    NULL);
	free(cause);
}

TEST(test_yuyv)
{
	/*
	 * A 4 x 3 image (Y U Y V pairs): black, white, mid grey twice;
	 * BT.601 red twice, green twice; blue twice, then Y below and above
	 * the studio range.
	 */
	static const uint8_t src[] = {
		16, 128, 235, 128,	126, 128, 126, 128,
		81, 90, 81, 240,	145, 54, 145, 34,
		41, 240, 41, 110,	0, 128, 255, 128,
	};
	static const uint8_t want[] = {
		0, 0, 0,	255, 255, 255,	128, 128, 128,	128, 128, 128,
		255, 0, 0,	255, 0, 0,	0, 255, 1,	0, 255, 1,
		0, 0, 255,	0, 0, 255,	0, 0, 0,	255, 255, 255,
	};
	uint8_t		rgb[sizeof want], padded[3 * 12];
	size_t		i;

	camera_v4l2_yuyv_to_rgb(src, 8, 4, 3, rgb);
	for (i = 0; i < sizeof want; i++)
		CHECK_INT(rgb[i], want[i]);

	/* The same rows 12 bytes apart (a driver's padded bytesperline). */
	memset(padded, 0xee, sizeof padded);
	for (i = 0; i < 3; i++)
		memcpy(padded + i * 12, src + i * 8, 8);
	memset(rgb, 0, sizeof rgb);
	camera_v4l2_yuyv_to_rgb(padded, 12, 4, 3, rgb);
	CHECK(memcmp(rgb, want, sizeof want) == 0);

	/* An odd width uses the first Y of the last pair. */
	camera_v4l2_yuyv_to_rgb(src + 8, 8, 3, 1, rgb);
	CHECK(memcmp(rgb, want + 12, 9) == 0);
}

TEST(test_v4l2_missing)
{
	struct stat	 sb;
	char		*cause = NULL;

	CHECK(camera_open("v4l2:/nonexistent/video9,320x240@5", TEST_FPS, 0,
	    IMAGE_MAX_PIXELS, &cause) == NULL);
	CHECK_STR(cause, "camera /nonexistent/video9: No such file or "
	    "directory");
	free(cause);
	cause = NULL;
	CHECK(camera_open("v4l2:/dev/null", TEST_FPS, 0, IMAGE_MAX_PIXELS,
	    &cause) == NULL);
	CHECK(cause != NULL && strstr(cause, "not a V4L2 device") != NULL);
	free(cause);
	if (stat("/dev/video0", &sb) == 0) {
		test_skip("/dev/video0 exists here");
		return;
	}
	cause = NULL;
	CHECK(camera_open("v4l2:/dev/video0", TEST_FPS, 0, IMAGE_MAX_PIXELS,
	    &cause) == NULL);
	CHECK_STR(cause, "camera /dev/video0: No such file or directory");
	free(cause);
}

/* Feeds S to P in pieces of STEP bytes. */
static void
feed(struct camera_http_parser *p, const char *s, size_t len, size_t step)
{
	size_t	n;

	while (len > 0) {
		n = len < step ? len : step;
		camera_http_parser_feed(p, (const uint8_t *)s, n);
		s += n;
		len -= n;
	}
}

TEST(test_parser)
{
	static const char stream[] =
	    "preamble\r\n"
	    "--gh\r\nContent-Type: image/jpeg\r\nContent-Length: 5\r\n\r\n"
	    "AB\nCD\r\n"
	    "----gh  \r\ncontent-length:4\r\n\r\nWXYZ\r\n"
	    "--gh\r\n\r\nno len\r\n--ghost\r\nstill\r\n--gh--\r\nafter";
	struct camera_http_parser	*p;
	uint8_t				*buf;
	size_t				 len, step;
	char				*b = NULL, *cause = NULL;

	CHECK_INT(camera_http_boundary("image/jpeg", &b, &cause), 0);
	CHECK_INT(camera_http_boundary("Multipart/X-Mixed-Replace;"
	    "boundary=\"--gh\"", &b, &cause), 1);
	CHECK_STR(b, "gh");
	free(b);
	CHECK_INT(camera_http_boundary("multipart/x-mixed-replace; a=b; "
	    "boundary=gh; c=d", &b, &cause), 1);
	CHECK_STR(b, "gh");
	free(b);
	CHECK_INT(camera_http_boundary("multipart/x-mixed-replace", &b,
	    &cause), -1);
	free(cause);
	cause = NULL;
	CHECK_INT(camera_http_boundary("multipart/x-mixed-replace;"
	    "boundary=--", &b, &cause), -1);
	free(cause);
	cause = NULL;

	/* Every piece size gives the same parts; the last one wins. */
	for (step = 1; step <= sizeof stream; step++) {
		p = camera_http_parser_new("gh", 1024);
		feed(p, stream, 60, step);
		CHECK_INT(camera_http_parser_part(p, &buf, &len), 0);
		feed(p, stream + 60, 15, step);
		CHECK_INT(camera_http_parser_part(p, &buf, &len), 1);
		CHECK(len == 5 && memcmp(buf, "AB\nCD", 5) == 0);
		free(buf);
		feed(p, stream + 75, sizeof stream - 1 - 75, step);
		CHECK_INT(camera_http_parser_part(p, &buf, &len), 1);
		CHECK(len == 22 && memcmp(buf, "no len\r\n--ghost\r\nstill",
		    22) == 0);
		free(buf);
		CHECK_INT(camera_http_parser_error(p, &cause), 0);
		camera_http_parser_finish(p);
		CHECK_INT(camera_http_parser_error(p, &cause), 0);
		camera_http_parser_free(p);
	}

	/* Over the limit, with and without a length: errors, then resync. */
	p = camera_http_parser_new("gh", 16);
	feed(p, "--gh\r\nContent-Length: 17\r\n\r\n", 28, 7);
	CHECK_INT(camera_http_parser_error(p, &cause), 1);
	free(cause);
	feed(p, "--gh\r\n\r\n0123456789abcdefghijklmnopqrstuvwxyz"
	    "0123456789\r\n--gh\r\n\r\nok\r\n--gh", 72, 5);
	CHECK_INT(camera_http_parser_error(p, &cause), 1);
	free(cause);
	feed(p, "\r\n", 2, 1);
	CHECK_INT(camera_http_parser_part(p, &buf, &len), 1);
	CHECK(len == 2 && memcmp(buf, "ok", 2) == 0);
	free(buf);
	feed(p, "Content-Length: 9\r\n\r\nabc", 24, 24);
	camera_http_parser_finish(p);
	CHECK_INT(camera_http_parser_error(p, &cause), 1);
	CHECK(strstr(cause, "ended inside") != NULL);
	free(cause);
	camera_http_parser_free(p);
}

/* The server's three stream parts, snapshot and broken stream. */
static const struct { int w, h; } test_parts[] = {
	{ 64, 48 }, { 80, 60 }, { 96, 72 }
};

/* Writes all of BUF to FD. */
static void
send_all(int fd, const void *buf, size_t len)
{
	const char	*p = buf;
	ssize_t		 n;

	while (len > 0 && (n = write(fd, p, len)) > 0) {
		p += n;
		len -= (size_t)n;
	}
}

/* Writes a string to FD. */
static void
send_str(int fd, const char *s)
{
	send_all(fd, s, strlen(s));
}

/* Sleeps MS milliseconds, so parts arrive as separate frames. */
static void
pause_ms(long ms)
{
	struct timespec	ts = { 0, ms * 1000000L };

	nanosleep(&ts, NULL);
}

/* Answers one request on FD (the child's side). */
static void
serve(int fd)
{
	static const char	 mp[] = "HTTP/1.0 200 OK\r\nContent-Type: "
	    "multipart/x-mixed-replace; boundary=gh\r\n\r\n";
	char			 req[2048], hdr[256];
	uint8_t			*jpg;
	size_t			 len, have = 0;
	ssize_t			 n;
	size_t			 i;

	while (have < sizeof req - 1 &&
	    (n = read(fd, req + have, sizeof req - 1 - have)) > 0) {
		have += (size_t)n;
		req[have] = '\0';
		if (strstr(req, "\r\n\r\n") != NULL)
			break;
	}
	req[have] = '\0';
	if (strncmp(req, "GET /stream ", 12) == 0) {
		/*
		 * Each part ends with the next boundary line, as cameras
		 * send them, so a part without a length is whole at once.
		 */
		send_str(fd, mp);
		send_str(fd, "--gh\r\n");
		for (i = 0; i < 3; i++) {
			jpg = make_jpeg(test_parts[i].w, test_parts[i].h,
			    (int)i, &len);
			/* The middle part has no Content-Length. */
			if (i == 1)
				snprintf(hdr, sizeof hdr, "Content-Type: "
				    "image/jpeg\r\n\r\n");
			else
				snprintf(hdr, sizeof hdr, "Content-Type: "
				    "image/jpeg\r\nContent-Length: %zu\r\n"
				    "\r\n", len);
			send_str(fd, hdr);
			send_all(fd, jpg, len);
			send_str(fd, i < 2 ? "\r\n--gh\r\n" :
			    "\r\n--gh--\r\n");
			free(jpg);
			pause_ms(60);
		}
	} else if (strncmp(req, "GET /snap ", 10) == 0) {
		jpg = make_jpeg(72, 56, 9, &len);
		snprintf(hdr, sizeof hdr, "HTTP/1.0 200 OK\r\nContent-Type: "
		    "image/jpeg\r\nContent-Length: %zu\r\n\r\n", len);
		send_str(fd, hdr);
		send_all(fd, jpg, len);
		free(jpg);
	} else if (strncmp(req, "GET /bad ", 9) == 0) {
		send_str(fd, mp);
		/* Oversized: the parser must not wait for 99 MB. */
		send_str(fd, "--gh\r\nContent-Length: 99999999\r\n\r\n"
		    "garbage garbage garbage\r\n");
		pause_ms(60);
		jpg = make_jpeg(40, 30, 4, &len);
		send_str(fd, "--gh\r\nContent-Type: image/jpeg\r\n\r\n");
		send_all(fd, jpg, len);
		send_str(fd, "\r\n--gh\r\n");
		free(jpg);
		pause_ms(60);
		send_str(fd, "Content-Length: 10\r\n\r\n0123456789\r\n");
		pause_ms(60);
		/* Truncated: the connection closes mid-part. */
		send_str(fd, "--gh\r\nContent-Length: 5000\r\n\r\nshort");
	} else
		send_str(fd, "HTTP/1.0 404 Not Found\r\n\r\n");
	shutdown(fd, SHUT_WR);
	while (read(fd, req, sizeof req) > 0)
		;
	close(fd);
}

/* Forks the test server; returns its port and pid. */
static int
server_start(pid_t *pid)
{
	struct sockaddr_in	sin;
	socklen_t		slen = sizeof sin;
	int			s, fd;

	s = socket(AF_INET, SOCK_STREAM, 0);
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (s == -1 || bind(s, (struct sockaddr *)&sin, sizeof sin) != 0 ||
	    listen(s, 8) != 0 ||
	    getsockname(s, (struct sockaddr *)&sin, &slen) != 0) {
		perror("test server");
		abort();
	}
	if ((*pid = fork()) == 0) {
		signal(SIGPIPE, SIG_IGN);
		while ((fd = accept(s, NULL, NULL)) != -1)
			serve(fd);
		_exit(0);
	}
	close(s);
	return ntohs(sin.sin_port);
}

/* Stops the test server. */
static void
server_stop(pid_t pid)
{
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

/* Opens http://127.0.0.1:PORT/PATH. */
static struct camera *
http_open(int port, const char *path)
{
	struct camera	*c;
	char		*url, *cause = NULL;

	xasprintf(&url, "http://127.0.0.1:%d%s", port, path);
	c = camera_open(url, TEST_FPS, 0, IMAGE_MAX_PIXELS, &cause);
	if (c == NULL)
		fprintf(stderr, "%s: %s\n", url, cause);
	CHECK(c != NULL);
	free(url);
	return c;
}

/*
 * Calls camera_next until a frame, at most TRIES times; returns 1 with
 * its size, or the last result. Errors are counted in *ERRORS.
 */
static int
http_frame(struct camera *c, int tries, int *w, int *h, int *errors)
{
	struct image	*img;
	char		*cause;
	int64_t		 t;
	int		 r = -1;

	while (tries-- > 0) {
		cause = NULL;
		img = NULL;
		r = camera_next(c, &img, &t, &cause);
		if (r == 1) {
			*w = img->w;
			*h = img->h;
			image_free(img);
			return 1;
		}
		CHECK(r == -1 && cause != NULL && img == NULL);
		if (strstr(cause, "no frame within") == NULL)
			(*errors)++;
		free(cause);
	}
	return r;
}

TEST(test_http_stream)
{
	struct camera	*c;
	pid_t		 pid;
	int		 port = server_start(&pid), i, w = 0, h = 0, errors = 0;
	char		*cause = NULL;
	struct image	*img;
	int64_t		 t;

	if ((c = http_open(port, "/stream")) == NULL)
		goto out;
	CHECK_INT(camera_fd(c), -1);
	for (i = 0; i < 3; i++) {
		CHECK_INT(http_frame(c, 10, &w, &h, &errors), 1);
		CHECK_INT(w, test_parts[i].w);
		CHECK_INT(h, test_parts[i].h);
	}
	CHECK_INT(errors, 0);
	/* The stream ends: an error, then the backoff. */
	CHECK_INT(camera_next(c, &img, &t, &cause), -1);
	CHECK(cause != NULL && strstr(cause, "stream ended") != NULL);
	free(cause);
	cause = NULL;
	CHECK_INT(camera_next(c, &img, &t, &cause), -1);
	CHECK(cause != NULL && strstr(cause, "reconnecting") != NULL);
	free(cause);
	camera_close(c);
out:
	server_stop(pid);
}

TEST(test_http_snapshot)
{
	struct camera	*c;
	pid_t		 pid;
	int		 port = server_start(&pid), i, w, h, errors = 0;
	char		*cause = NULL;
	struct image	*img = NULL;
	int64_t		 t;

	if ((c = http_open(port, "/snap")) != NULL) {
		for (i = 0; i < 2; i++) {
			w = h = 0;
			CHECK_INT(http_frame(c, 10, &w, &h, &errors), 1);
			CHECK_INT(w, 72);
			CHECK_INT(h, 56);
		}
		CHECK_INT(errors, 0);
		camera_close(c);
	}
	if ((c = http_open(port, "/missing")) != NULL) {
		CHECK_INT(camera_next(c, &img, &t, &cause), -1);
		CHECK(cause != NULL && strstr(cause, "404") != NULL);
		free(cause);
		camera_close(c);
	}
	server_stop(pid);
}

TEST(test_http_bad)
{
	struct camera	*c;
	pid_t		 pid;
	int		 port = server_start(&pid), i, r, w, h, errors = 0;
	int		 frames = 0;

	if ((c = http_open(port, "/bad")) == NULL)
		goto out;
	for (i = 0; i < 8 && errors < 4; i++) {
		r = http_frame(c, 1, &w, &h, &errors);
		if (r == 1) {
			frames++;
			CHECK_INT(w, 40);
			CHECK_INT(h, 30);
		}
	}
	/* Oversized, undecodable, truncated (and the stream's end). */
	CHECK_INT(frames, 1);
	CHECK(errors >= 3);
	camera_close(c);
out:
	server_stop(pid);
}

TEST(test_http_refused)
{
	struct sockaddr_in	 sin;
	socklen_t		 slen = sizeof sin;
	struct camera		*c;
	struct image		*img = NULL;
	char			*cause = NULL;
	int64_t			 t, start;
	int			 s, port;

	/* A port that was just free and has no listener. */
	s = socket(AF_INET, SOCK_STREAM, 0);
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	CHECK(bind(s, (struct sockaddr *)&sin, sizeof sin) == 0);
	CHECK(getsockname(s, (struct sockaddr *)&sin, &slen) == 0);
	port = ntohs(sin.sin_port);
	close(s);

	if ((c = http_open(port, "/stream")) == NULL)
		return;
	start = loop_now_ms();
	CHECK_INT(camera_next(c, &img, &t, &cause), -1);
	CHECK(cause != NULL && strstr(cause, "onnect") != NULL);
	free(cause);
	cause = NULL;
	CHECK_INT(camera_next(c, &img, &t, &cause), -1);
	CHECK(cause != NULL && strstr(cause, "reconnecting in 0.5") != NULL);
	free(cause);
	CHECK(loop_now_ms() - start < 300);
	camera_close(c);
}

int
main(void)
{
	signal(SIGPIPE, SIG_IGN);
	RUN(test_file_order_and_end);
	RUN(test_file_loop);
	RUN(test_file_corrupt);
	RUN(test_file_empty);
	RUN(test_file_demo);
	RUN(test_spec_errors);
	RUN(test_yuyv);
	RUN(test_v4l2_missing);
	RUN(test_parser);
	RUN(test_http_stream);
	RUN(test_http_snapshot);
	RUN(test_http_bad);
	RUN(test_http_refused);
	return test_main_end("test-camera");
}
