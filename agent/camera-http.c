/*
 * The HTTP camera, through the libcurl multi interface. The response's
 * Content-Type decides the mode on each connection:
 *
 *	multipart/x-mixed-replace; boundary=B	an MJPEG stream, parsed as it
 *						comes; the newest part wins
 *	anything else				a snapshot: one image per GET
 *
 * The worker must never block for long, and curl may hold several fds,
 * so camera_fd is -1: the caller paces its calls by camera_interval_ms,
 * and each camera_next drives curl (curl_multi_perform and curl_multi_poll)
 * for at most CAMERA_HTTP_WAIT_MS. A snapshot GET starts on each call, so
 * the caller's pacing is the snapshot rate; a stream is read at whatever
 * rate the camera sends, and frames between two calls are dropped.
 *
 * Errors are transient. A failed or ended connection is retried after a
 * backoff delay that starts at 0.5 s, doubles to 30 s, and resets after a
 * good frame; while it runs, camera_next returns -1 at once.
 */

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "camera.h"
#include "loop.h"
#include "xmalloc.h"

/*
 * Largest part or snapshot: a 4K camera's JPEG is under 2 MiB at high
 * quality, so 8 MiB is generous while a broken or hostile server cannot
 * make the agent buffer without end.
 */
#define CAMERA_HTTP_MAX_PART	(8UL * 1024 * 1024)

/*
 * Longest header or boundary line, and most header bytes in one part.
 * Real part headers are a few short lines; anything longer is not MJPEG.
 */
#define CAMERA_HTTP_MAX_LINE	4096
#define CAMERA_HTTP_MAX_HEADERS	16384

/* RFC 2046 limits a boundary to 70 characters; allow some slack. */
#define CAMERA_HTTP_MAX_BOUNDARY 200

/*
 * Longest a call waits for a frame: short enough that the worker keeps
 * serving its control pipe, long enough for one frame at 5 fps.
 */
#define CAMERA_HTTP_WAIT_MS	200

/*
 * Connect timeout, and the stall limit: a connection that moves no byte
 * for 10 s is dead even if the TCP session is not (a camera rebooting).
 */
#define CAMERA_HTTP_CONNECT_MS	5000L
#define CAMERA_HTTP_STALL_S	10L

/* Reconnect delays in milliseconds. */
#define CAMERA_HTTP_BACKOFF_MIN	500
#define CAMERA_HTTP_BACKOFF_MAX	30000

/* The first buffer size; it grows by doubling to the part limit. */
#define CAMERA_HTTP_BUF_START	65536

/*
 * Parser states. SEEK reads lines until a boundary line; HEADERS reads
 * the part's header lines until an empty one; BODY_LEN waits for the
 * Content-Length bytes; BODY_SCAN, without a length, looks for the next
 * boundary line; END follows the closing boundary and ignores the rest.
 */
enum camera_http_state {
	CAMERA_HTTP_SEEK,
	CAMERA_HTTP_HEADERS,
	CAMERA_HTTP_BODY_LEN,
	CAMERA_HTTP_BODY_SCAN,
	CAMERA_HTTP_END,
};

struct camera_http_parser {
	char			*core;		/* boundary without dashes */
	size_t			 core_len;
	char			*delim;		/* "--" core, for BODY_SCAN */
	size_t			 delim_len;
	size_t			 max_part;
	enum camera_http_state	 state;

	uint8_t			*buf;		/* bytes not yet consumed */
	size_t			 len;
	size_t			 cap;
	size_t			 cap_max;
	int			 skip_line;	/* SEEK: drop to newline */
	size_t			 header_bytes;
	int			 have_len;
	size_t			 need;		/* BODY_LEN: body length */
	size_t			 scan;		/* BODY_SCAN: resume here */

	uint8_t			*part;		/* newest complete part */
	size_t			 part_len;
	char			*cause;		/* latest error */
};

enum camera_http_mode {
	CAMERA_HTTP_UNKNOWN,
	CAMERA_HTTP_STREAM,
	CAMERA_HTTP_SNAPSHOT,
};

struct camera_http {
	char				*url;
	char				*name;	/* the URL without userinfo */
	size_t				 max_pixels;
	CURLM				*multi;
	CURL				*easy;
	int				 active;
	enum camera_http_mode		 mode;
	struct camera_http_parser	*parser;

	uint8_t				*snap;
	size_t				 snap_len;
	size_t				 snap_cap;

	uint8_t				*part;	/* complete, not decoded */
	size_t				 part_len;
	char				*cause;	/* pending error */

	int64_t				 retry_ms;
	int64_t				 backoff_ms;
	char				 errbuf[CURL_ERROR_SIZE];
};

/* Records an error, replacing an unreported one. */
static void
camera_http_parser_fail(struct camera_http_parser *p, const char *why)
{
	free(p->cause);
	p->cause = xstrdup(why);
}

/* Gets the boundary of a multipart/x-mixed-replace type; see camera.h. */
int
camera_http_boundary(const char *type, char **boundary, char **cause)
{
	static const char	 mixed[] = "multipart/x-mixed-replace";
	const char		*p, *end;
	size_t			 n;

	*boundary = NULL;
	while (*type == ' ' || *type == '\t')
		type++;
	if (strncasecmp(type, mixed, sizeof mixed - 1) != 0)
		return 0;
	p = type + sizeof mixed - 1;
	for (;;) {
		if ((p = strchr(p, ';')) == NULL)
			goto bad;
		p++;
		while (*p == ' ' || *p == '\t')
			p++;
		if (strncasecmp(p, "boundary=", 9) == 0)
			break;
	}
	p += 9;
	if (*p == '"') {
		p++;
		if ((end = strchr(p, '"')) == NULL)
			goto bad;
	} else
		end = p + strcspn(p, "; \t\r\n");
	while (p < end && *p == '-')
		p++;
	n = (size_t)(end - p);
	if (n == 0 || n > CAMERA_HTTP_MAX_BOUNDARY)
		goto bad;
	*boundary = xmalloc(n + 1);
	memcpy(*boundary, p, n);
	(*boundary)[n] = '\0';
	return 1;
bad:
	xasprintf(cause, "multipart type without a usable boundary");
	return -1;
}

/* Makes a parser for parts separated by BOUNDARY (leading dashes ignored). */
struct camera_http_parser *
camera_http_parser_new(const char *boundary, size_t max_part)
{
	struct camera_http_parser	*p;

	while (*boundary == '-')
		boundary++;
	p = xcalloc(1, sizeof *p);
	p->core = xstrdup(boundary);
	p->core_len = strlen(p->core);
	xasprintf(&p->delim, "--%s", p->core);
	p->delim_len = p->core_len + 2;
	p->max_part = max_part;
	p->cap_max = max_part + CAMERA_HTTP_MAX_LINE + 64;
	p->state = CAMERA_HTTP_SEEK;
	return p;
}

/* Frees a parser; NULL is fine. */
void
camera_http_parser_free(struct camera_http_parser *p)
{
	if (p == NULL)
		return;
	free(p->core);
	free(p->delim);
	free(p->buf);
	free(p->part);
	free(p->cause);
	free(p);
}

/*
 * Returns 1 if LINE is a boundary line (dashes, the boundary, optional
 * whitespace), 2 if it is the closing one (with "--" after), else 0. An
 * empty boundary never matches (camera_http_boundary refuses one).
 */
static int
camera_http_parser_delim(struct camera_http_parser *p, const uint8_t *line,
    size_t n)
{
	size_t	i = 0;
	int	r = 1;

	while (i < n && line[i] == '-')
		i++;
	if (i < 2 || p->core_len == 0 || n - i < p->core_len ||
	    memcmp(line + i, p->core, p->core_len) != 0)
		return 0;
	i += p->core_len;
	if (n - i >= 2 && line[i] == '-' && line[i + 1] == '-') {
		i += 2;
		r = 2;
	}
	for (; i < n; i++)
		if (line[i] != ' ' && line[i] != '\t')
			return 0;
	return r;
}

/* Keeps BUF as the newest part; empty parts are ignored. */
static void
camera_http_parser_emit(struct camera_http_parser *p, const uint8_t *buf,
    size_t n)
{
	if (n == 0)
		return;
	if (n > p->max_part) {
		camera_http_parser_fail(p, "MJPEG part over the size limit");
		return;
	}
	free(p->part);
	p->part = xmalloc(n);
	memcpy(p->part, buf, n);
	p->part_len = n;
}

/* Handles one header line of a part. Returns 0, or -1 after an error. */
static int
camera_http_parser_header(struct camera_http_parser *p, const uint8_t *line,
    size_t n)
{
	static const char	 name[] = "content-length:";
	size_t			 i, v = 0;

	if (n < sizeof name - 1 ||
	    strncasecmp((const char *)line, name, sizeof name - 1) != 0)
		return 0;
	i = sizeof name - 1;
	while (i < n && (line[i] == ' ' || line[i] == '\t'))
		i++;
	if (i == n || !isdigit(line[i])) {
		camera_http_parser_fail(p, "bad Content-Length in an MJPEG "
		    "part");
		return -1;
	}
	for (; i < n && isdigit(line[i]); i++) {
		v = v * 10 + (size_t)(line[i] - '0');
		if (v > p->max_part) {
			camera_http_parser_fail(p, "MJPEG part over the size "
			    "limit (Content-Length)");
			return -1;
		}
	}
	for (; i < n; i++)
		if (line[i] != ' ' && line[i] != '\t') {
			camera_http_parser_fail(p, "bad Content-Length in an "
			    "MJPEG part");
			return -1;
		}
	p->have_len = 1;
	p->need = v;
	return 0;
}

/* Handles one line in the SEEK or HEADERS state. */
static void
camera_http_parser_line(struct camera_http_parser *p, const uint8_t *line,
    size_t n)
{
	int	d;

	if (n > 0 && line[n - 1] == '\r')
		n--;
	d = camera_http_parser_delim(p, line, n);
	if (d == 2) {
		if (p->state == CAMERA_HTTP_HEADERS)
			camera_http_parser_fail(p, "MJPEG stream closed "
			    "inside part headers");
		p->state = CAMERA_HTTP_END;
		return;
	}
	if (d == 1) {
		p->state = CAMERA_HTTP_HEADERS;
		p->header_bytes = 0;
		p->have_len = 0;
		return;
	}
	if (p->state == CAMERA_HTTP_SEEK)
		return;
	if (n == 0) {
		p->state = p->have_len ? CAMERA_HTTP_BODY_LEN :
		    CAMERA_HTTP_BODY_SCAN;
		p->scan = 0;
		return;
	}
	p->header_bytes += n;
	if (p->header_bytes > CAMERA_HTTP_MAX_HEADERS) {
		camera_http_parser_fail(p, "MJPEG part headers too long");
		p->state = CAMERA_HTTP_SEEK;
		return;
	}
	if (camera_http_parser_header(p, line, n) != 0)
		p->state = CAMERA_HTTP_SEEK;
}

/*
 * Looks in BODY_SCAN for the next boundary line from p->scan on. Returns
 * the offset where its line starts (its leading dashes), or (size_t)-1
 * with p->scan moved on when there is none yet.
 */
static size_t
camera_http_parser_find(struct camera_http_parser *p, const uint8_t *b,
    size_t avail)
{
	const uint8_t	*hit;
	size_t		 i, j;

	for (i = p->scan; avail - i >= p->delim_len; i++) {
		hit = memmem(b + i, avail - i, p->delim, p->delim_len);
		if (hit == NULL)
			break;
		i = (size_t)(hit - b);
		/* Wait for the byte after it: "--B" may start "--Bx". */
		if (i + p->delim_len == avail) {
			p->scan = i;
			return (size_t)-1;
		}
		j = i;
		while (j > 0 && b[j - 1] == '-')
			j--;
		if ((j == 0 || b[j - 1] == '\n') &&
		    strchr("\r\n -\t", b[i + p->delim_len]) != NULL &&
		    b[i + p->delim_len] != '\0')
			return j;
	}
	p->scan = avail >= p->delim_len ? avail - p->delim_len + 1 : 0;
	return (size_t)-1;
}

/* Consumes what it can of the buffer. */
static void
camera_http_parser_run(struct camera_http_parser *p)
{
	const uint8_t	*b, *nl;
	size_t		 off = 0, avail, n, end;

	for (;;) {
		b = p->buf + off;
		avail = p->len - off;
		switch (p->state) {
		case CAMERA_HTTP_SEEK:
		case CAMERA_HTTP_HEADERS:
			if ((nl = memchr(b, '\n', avail)) == NULL) {
				if (avail <= CAMERA_HTTP_MAX_LINE)
					goto out;
				if (p->state == CAMERA_HTTP_HEADERS &&
				    !p->skip_line)
					camera_http_parser_fail(p, "MJPEG "
					    "part header line too long");
				p->state = CAMERA_HTTP_SEEK;
				p->skip_line = 1;
				off = p->len;
				goto out;
			}
			n = (size_t)(nl - b);
			off += n + 1;
			if (p->skip_line)
				p->skip_line = 0;
			else
				camera_http_parser_line(p, b, n);
			break;
		case CAMERA_HTTP_BODY_LEN:
			if (avail < p->need)
				goto out;
			camera_http_parser_emit(p, b, p->need);
			off += p->need;
			p->state = CAMERA_HTTP_SEEK;
			break;
		case CAMERA_HTTP_BODY_SCAN:
			end = camera_http_parser_find(p, b, avail);
			if (end != (size_t)-1) {
				n = end;
				if (n > 0 && b[n - 1] == '\n')
					n--;
				if (n > 0 && b[n - 1] == '\r')
					n--;
				camera_http_parser_emit(p, b, n);
				off += end;
				p->state = CAMERA_HTTP_SEEK;
				break;
			}
			if (avail <= p->max_part + p->delim_len + 16)
				goto out;
			/*
			 * Too long without a boundary: drop the part. Keep
			 * the last line if it is short, as it may be the
			 * start of the next boundary line.
			 */
			camera_http_parser_fail(p, "MJPEG part over the size "
			    "limit (no boundary)");
			p->state = CAMERA_HTTP_SEEK;
			nl = memrchr(b, '\n', avail);
			if (nl != NULL &&
			    avail - (size_t)(nl + 1 - b) <= p->delim_len + 16)
				off += (size_t)(nl + 1 - b);
			else {
				off = p->len;
				p->skip_line = 1;
			}
			break;
		case CAMERA_HTTP_END:
			off = p->len;
			goto out;
		}
	}
out:
	memmove(p->buf, p->buf + off, p->len - off);
	p->len -= off;
}

/* Feeds body bytes; see camera.h. */
void
camera_http_parser_feed(struct camera_http_parser *p, const uint8_t *data,
    size_t len)
{
	size_t	n;

	while (len > 0) {
		if (p->state == CAMERA_HTTP_END)
			return;
		if (p->len == p->cap) {
			/* run() always frees space in a full buffer. */
			p->cap = p->cap == 0 ? CAMERA_HTTP_BUF_START :
			    p->cap * 2;
			if (p->cap > p->cap_max)
				p->cap = p->cap_max;
			p->buf = xreallocarray(p->buf, p->cap, 1);
		}
		n = p->cap - p->len;
		if (n == 0) {
			/* Cannot happen (see above), but never spin. */
			camera_http_parser_fail(p, "MJPEG parser stuck");
			p->len = 0;
			p->state = CAMERA_HTTP_SEEK;
			p->skip_line = 1;
			continue;
		}
		if (n > len)
			n = len;
		memcpy(p->buf + p->len, data, n);
		p->len += n;
		data += n;
		len -= n;
		camera_http_parser_run(p);
	}
}

/* Notes the end of the body; see camera.h. */
void
camera_http_parser_finish(struct camera_http_parser *p)
{
	if (p->state == CAMERA_HTTP_HEADERS ||
	    p->state == CAMERA_HTTP_BODY_LEN ||
	    (p->state == CAMERA_HTTP_BODY_SCAN && p->len > 0))
		camera_http_parser_fail(p, "MJPEG stream ended inside a part");
	p->state = CAMERA_HTTP_END;
	p->len = 0;
}

/* Takes the newest part; see camera.h. */
int
camera_http_parser_part(struct camera_http_parser *p, uint8_t **buf,
    size_t *len)
{
	if (p->part == NULL)
		return 0;
	*buf = p->part;
	*len = p->part_len;
	p->part = NULL;
	p->part_len = 0;
	return 1;
}

/* Takes the latest error; see camera.h. */
int
camera_http_parser_error(struct camera_http_parser *p, char **cause)
{
	if (p->cause == NULL)
		return 0;
	*cause = p->cause;
	p->cause = NULL;
	return 1;
}

/* Sets the pending error to "camera NAME: WHY", replacing an older one. */
static void
camera_http_error(struct camera_http *h, const char *why)
{
	free(h->cause);
	xasprintf(&h->cause, "camera %s: %s", h->name, why);
}

/* Receives body bytes: picks the mode on the first ones, then stores them. */
static size_t
camera_http_write(char *data, size_t size, size_t nmemb, void *arg)
{
	struct camera_http	*h = arg;
	size_t			 n = size * nmemb;
	char			*type = NULL, *boundary, *why;
	int			 r;

	if (h->mode == CAMERA_HTTP_UNKNOWN) {
		curl_easy_getinfo(h->easy, CURLINFO_CONTENT_TYPE, &type);
		r = type == NULL ? 0 :
		    camera_http_boundary(type, &boundary, &why);
		if (r == -1) {
			camera_http_error(h, why);
			free(why);
			return 0;
		}
		if (r == 1) {
			h->mode = CAMERA_HTTP_STREAM;
			h->parser = camera_http_parser_new(boundary,
			    CAMERA_HTTP_MAX_PART);
			free(boundary);
		} else
			h->mode = CAMERA_HTTP_SNAPSHOT;
	}
	if (h->mode == CAMERA_HTTP_STREAM) {
		camera_http_parser_feed(h->parser, (const uint8_t *)data, n);
		return n;
	}
	if (n > CAMERA_HTTP_MAX_PART - h->snap_len) {
		camera_http_error(h, "snapshot over the size limit");
		return 0;
	}
	if (h->snap_len + n > h->snap_cap) {
		while (h->snap_len + n > h->snap_cap)
			h->snap_cap = h->snap_cap == 0 ?
			    CAMERA_HTTP_BUF_START : h->snap_cap * 2;
		h->snap = xreallocarray(h->snap, h->snap_cap, 1);
	}
	memcpy(h->snap + h->snap_len, data, n);
	h->snap_len += n;
	return n;
}

/* Returns URL without any user:password@ part, for messages. */
static char *
camera_http_redact(const char *url)
{
	const char	*host, *at, *slash;
	char		*s;

	if ((host = strstr(url, "://")) == NULL)
		return xstrdup(url);
	host += 3;
	slash = host + strcspn(host, "/?#");
	at = memchr(host, '@', (size_t)(slash - host));
	if (at == NULL)
		return xstrdup(url);
	xasprintf(&s, "%.*s%s", (int)(host - url), url, at + 1);
	return s;
}

/* Frees an HTTP source. */
static void
camera_http_close(void *arg)
{
	struct camera_http	*h = arg;

	if (h == NULL)
		return;
	if (h->active)
		curl_multi_remove_handle(h->multi, h->easy);
	if (h->easy != NULL)
		curl_easy_cleanup(h->easy);
	if (h->multi != NULL)
		curl_multi_cleanup(h->multi);
	camera_http_parser_free(h->parser);
	free(h->snap);
	free(h->part);
	free(h->cause);
	free(h->name);
	free(h->url);
	free(h);
}

/* Sets up the source for URL; it connects on the first camera_next. */
void *
camera_http_open(const char *url, size_t max_pixels, char **cause)
{
	static int		 init;
	struct camera_http	*h;
	CURL			*e;

	if (!init) {
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
			xasprintf(cause, "camera: cannot initialise libcurl");
			return NULL;
		}
		init = 1;
	}
	h = xcalloc(1, sizeof *h);
	h->url = xstrdup(url);
	h->name = camera_http_redact(url);
	h->max_pixels = max_pixels;
	h->backoff_ms = CAMERA_HTTP_BACKOFF_MIN;
	if ((h->multi = curl_multi_init()) == NULL ||
	    (h->easy = e = curl_easy_init()) == NULL) {
		xasprintf(cause, "camera %s: cannot initialise libcurl",
		    h->name);
		camera_http_close(h);
		return NULL;
	}
	if (curl_easy_setopt(e, CURLOPT_URL, url) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https") !=
	    CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https") !=
	    CURLE_OK) {
		xasprintf(cause, "camera %s: bad URL", h->name);
		camera_http_close(h);
		return NULL;
	}
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, CAMERA_HTTP_CONNECT_MS);
	curl_easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(e, CURLOPT_LOW_SPEED_TIME, CAMERA_HTTP_STALL_S);
	curl_easy_setopt(e, CURLOPT_FAILONERROR, 1L);
	curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(e, CURLOPT_MAXREDIRS, 3L);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, h->errbuf);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, camera_http_write);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, h);
	return h;
}

/* Ends the transfer; a failure schedules the reconnect. */
static void
camera_http_stop(struct camera_http *h, int failed)
{
	if (h->active)
		curl_multi_remove_handle(h->multi, h->easy);
	h->active = 0;
	if (!failed)
		return;
	h->retry_ms = loop_now_ms() + h->backoff_ms;
	h->backoff_ms *= 2;
	if (h->backoff_ms > CAMERA_HTTP_BACKOFF_MAX)
		h->backoff_ms = CAMERA_HTTP_BACKOFF_MAX;
}

/* Starts a GET. Returns 0, or -1 with the pending error set. */
static int
camera_http_start(struct camera_http *h)
{
	camera_http_parser_free(h->parser);
	h->parser = NULL;
	h->mode = CAMERA_HTTP_UNKNOWN;
	h->snap_len = 0;
	h->errbuf[0] = '\0';
	if (curl_multi_add_handle(h->multi, h->easy) != CURLM_OK) {
		camera_http_error(h, "cannot start a transfer");
		camera_http_stop(h, 1);
		return -1;
	}
	h->active = 1;
	return 0;
}

/* Handles a finished transfer: a snapshot, an ended stream or an error. */
static void
camera_http_done(struct camera_http *h, CURLcode res)
{
	char	*why;

	if (h->mode == CAMERA_HTTP_STREAM) {
		camera_http_parser_finish(h->parser);
		if (camera_http_parser_error(h->parser, &why)) {
			camera_http_error(h, why);
			free(why);
		}
	}
	if (res != CURLE_OK) {
		/* The write callback may have said why already. */
		if (h->cause == NULL || res != CURLE_WRITE_ERROR)
			camera_http_error(h, h->errbuf[0] != '\0' ?
			    h->errbuf : curl_easy_strerror(res));
		camera_http_stop(h, 1);
	} else if (h->mode == CAMERA_HTTP_SNAPSHOT) {
		free(h->part);
		h->part = h->snap;
		h->part_len = h->snap_len;
		h->snap = NULL;
		h->snap_len = h->snap_cap = 0;
		camera_http_stop(h, 0);
	} else {
		if (h->cause == NULL)
			camera_http_error(h, h->mode == CAMERA_HTTP_STREAM ?
			    "stream ended" : "empty response");
		camera_http_stop(h, 1);
	}
}

/* Drives curl until a frame or an error, for at most CAMERA_HTTP_WAIT_MS. */
static int
camera_http_next(void *arg, struct image **frame, int64_t *time_ms,
    char **cause)
{
	struct camera_http	*h = arg;
	CURLMsg			*msg;
	int64_t			 deadline, left;
	uint8_t			*buf;
	size_t			 len;
	char			*why;
	int			 running, q;

	if (h->part == NULL && h->cause == NULL && !h->active) {
		left = h->retry_ms - loop_now_ms();
		if (left > 0) {
			xasprintf(cause, "camera %s: reconnecting in %.1f s",
			    h->name, left / 1000.0);
			return -1;
		}
		camera_http_start(h);
	}
	deadline = loop_now_ms() + CAMERA_HTTP_WAIT_MS;
	for (;;) {
		if (h->active) {
			curl_multi_perform(h->multi, &running);
			while ((msg = curl_multi_info_read(h->multi, &q)) !=
			    NULL)
				if (msg->msg == CURLMSG_DONE)
					camera_http_done(h, msg->data.result);
		}
		if (h->parser != NULL) {
			if (camera_http_parser_part(h->parser, &buf, &len)) {
				free(h->part);
				h->part = buf;
				h->part_len = len;
			}
			if (h->cause == NULL &&
			    camera_http_parser_error(h->parser, &why)) {
				camera_http_error(h, why);
				free(why);
			}
		}
		if (h->part != NULL)
			break;
		if (h->cause != NULL) {
			*cause = h->cause;
			h->cause = NULL;
			return -1;
		}
		left = deadline - loop_now_ms();
		if (!h->active || left <= 0) {
			xasprintf(cause, "camera %s: no frame within %d ms",
			    h->name, CAMERA_HTTP_WAIT_MS);
			return -1;
		}
		curl_multi_poll(h->multi, NULL, 0, (int)left, NULL);
	}

	*time_ms = loop_now_ms();
	buf = h->part;
	len = h->part_len;
	h->part = NULL;
	h->part_len = 0;
	if (image_decode(buf, len, h->max_pixels, frame, &why) != 0) {
		xasprintf(cause, "camera %s: %s", h->name, why);
		free(why);
		free(buf);
		return -1;
	}
	free(buf);
	h->backoff_ms = CAMERA_HTTP_BACKOFF_MIN;
	return 1;
}

/* curl may use several fds, so the caller paces the calls instead. */
static int
camera_http_fd(void *arg)
{
	(void)arg;
	return -1;
}

const struct camera_ops camera_http_ops = {
	camera_http_next, camera_http_fd, camera_http_close
};
