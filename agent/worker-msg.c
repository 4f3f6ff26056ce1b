/*
 * The worker's messages (worker.h has the wire format): a strict codec of
 * pure functions, a frame reader bounded before it allocates, and a write
 * queue for main, which must never block on the worker.
 *
 * The encoder checks what it wrote with the decoder, so the two cannot
 * disagree: whatever the worker manages to send, main can read, and a value
 * the decoder would refuse (a NaN from a degenerate face) fails in the
 * worker, which drops that one message, rather than in main, which would
 * kill the worker for it.
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <poll.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "worker.h"
#include "xmalloc.h"

/* The frame's u32 length and the type byte. */
#define WORKER_HEADER	5

/* An empty reader buffer bigger than this is freed rather than kept. */
#define WORKER_READER_KEEP	(4 * WORKER_READ_CHUNK)

static const char *worker_msg_names[] = {
	NULL, "READY", "FATAL", "FACE", "TRACK_END", "CAMERA_END", "STATS",
	"ENROLL", "ENROLL_RESULT", "CODE"
};

/* A growing output buffer. */
struct worker_buf {
	uint8_t	*p;
	size_t	 len;
	size_t	 size;
};

/* A position in a frame being decoded; the first failure is kept. */
struct worker_cur {
	const uint8_t	 *p;
	size_t		  left;
	int		  copy;		/* copy blobs out (not just check) */
	const char	 *type;
	char		**cause;
	int		  failed;
};

struct worker_reader {
	uint8_t		*buf;
	size_t		 size;
	size_t		 off;		/* start of the unread bytes */
	size_t		 len;		/* end of the unread bytes */
	size_t		 max;
	int		 broken;
};

struct worker_writer {
	uint8_t		*buf;
	size_t		 size;
	size_t		 off;
	size_t		 len;
};

static int	worker_msg_parse(const uint8_t *, size_t, struct worker_msg *,
		    int, char **);

/* The name of a message type, for causes and logs. */
const char *
worker_msg_name(int type)
{
	if (type < WORKER_MSG_READY || type > WORKER_MSG_TYPE_MAX)
		return "unknown";
	return worker_msg_names[type];
}

/*
 * The length of the UTF-8 character at S (at most LEFT bytes) if it is
 * well-formed and printable (no C0 or C1 control, no DEL), else 0.
 */
static size_t
worker_utf8(const uint8_t *s, size_t left)
{
	uint32_t	c;
	size_t		n, i;

	if (s[0] < 0x20 || s[0] == 0x7f)
		return 0;
	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		n = 2;
		c = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		n = 3;
		c = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		n = 4;
		c = s[0] & 0x07;
	} else
		return 0;
	if (n > left)
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3f);
	}
	/* Overlong forms, surrogates, past U+10FFFF, C1 controls. */
	if ((n == 3 && c < 0x800) || (n == 4 && c < 0x10000) ||
	    (c >= 0xd800 && c <= 0xdfff) || c > 0x10ffff ||
	    (c >= 0x80 && c <= 0x9f))
		return 0;
	return n;
}

/* Copies SRC as a string the codec accepts; see worker.h. */
void
worker_msg_text(char *dst, size_t size, const char *src)
{
	const uint8_t	*s = (const uint8_t *)src;
	size_t		 left = strlen(src), o = 0, n;

	if (size == 0)
		return;
	while (left > 0) {
		if ((n = worker_utf8(s, left)) == 0) {
			if (o + 1 >= size)
				break;
			dst[o++] = '?';
			s++;
			left--;
			continue;
		}
		if (o + n >= size)
			break;
		memcpy(dst + o, s, n);
		o += n;
		s += n;
		left -= n;
	}
	dst[o] = '\0';
}

/* Makes room for LEN more bytes. */
static void
worker_buf_grow(struct worker_buf *b, size_t len)
{
	size_t	size;

	if (len <= b->size - b->len)
		return;
	if (len > SIZE_MAX / 2 - b->len)
		fatalx("worker_buf_grow: too big");
	size = b->size < 4096 ? 4096 : b->size;
	while (size < b->len + len)
		size *= 2;
	b->p = xreallocarray(b->p, size, 1);
	b->size = size;
}

static void
worker_put(struct worker_buf *b, const void *p, size_t len)
{
	worker_buf_grow(b, len);
	if (len > 0)
		memcpy(b->p + b->len, p, len);
	b->len += len;
}

static void
worker_put_u8(struct worker_buf *b, uint8_t v)
{
	worker_put(b, &v, 1);
}

/* Little-endian of SIZE bytes. */
static void
worker_put_le(struct worker_buf *b, uint64_t v, int size)
{
	uint8_t	tmp[8];
	int	i;

	for (i = 0; i < size; i++)
		tmp[i] = (uint8_t)(v >> (8 * i));
	worker_put(b, tmp, size);
}

static void
worker_put_f64(struct worker_buf *b, double v)
{
	uint64_t	bits;

	memcpy(&bits, &v, sizeof bits);
	worker_put_le(b, bits, 8);
}

static void
worker_put_f32(struct worker_buf *b, float v)
{
	uint32_t	bits;

	memcpy(&bits, &v, sizeof bits);
	worker_put_le(b, bits, 4);
}

/*
 * A string field of the C array S of SIZE bytes. One that is not
 * terminated inside the array is written at full length, and the decoder
 * refuses it (no room for the NUL).
 */
static void
worker_put_str(struct worker_buf *b, const char *s, size_t size)
{
	size_t	len = strnlen(s, size);

	worker_put_le(b, len, 2);
	worker_put(b, s, len);
}

/* A blob (the encoder has checked LEN against the limits). */
static void
worker_put_blob(struct worker_buf *b, const uint8_t *p, size_t len)
{
	worker_put_le(b, len, 4);
	worker_put(b, p, len);
}

/* Encodes M; see worker.h. */
int
worker_msg_encode(const struct worker_msg *m, uint8_t **out, size_t *outlen)
{
	struct worker_buf		 b = { NULL, 0, 0 };
	const struct worker_face	*f = &m->u.face;
	const struct worker_enroll_result *er = &m->u.result;
	char				*cause;
	const uint8_t			*blob = NULL;
	size_t				 body, i, extra = 0;

	if (m->type == WORKER_MSG_FACE) {
		blob = f->jpeg;
		extra = f->jpeg_len;
	} else if (m->type == WORKER_MSG_ENROLL) {
		blob = m->u.enroll.photo;
		extra = m->u.enroll.len;
	} else if (m->type == WORKER_MSG_ENROLL_RESULT) {
		blob = er->jpeg;
		extra = er->jpeg_len;
	}
	/* A length without bytes, or more than any frame may carry. */
	if ((blob == NULL && extra != 0) || extra > WORKER_MSG_MAX_ENROLL)
		return -1;
	worker_buf_grow(&b, 4096 + extra);

	worker_put_le(&b, 0, 4);	/* the length, filled in below */
	worker_put_u8(&b, (uint8_t)m->type);
	switch (m->type) {
	case WORKER_MSG_READY:
	case WORKER_MSG_CAMERA_END:
		break;
	case WORKER_MSG_FATAL:
		worker_put_str(&b, m->u.text, sizeof m->u.text);
		break;
	case WORKER_MSG_FACE:
		worker_put_le(&b, f->track, 8);
		worker_put_le(&b, (uint64_t)f->time_ms, 8);
		worker_put_le(&b, (uint64_t)f->first_ms, 8);
		worker_put_f64(&b, f->box.x);
		worker_put_f64(&b, f->box.y);
		worker_put_f64(&b, f->box.w);
		worker_put_f64(&b, f->box.h);
		worker_put_f64(&b, f->box.score);
		worker_put_u8(&b, (uint8_t)f->quality_pass);
		worker_put_str(&b, f->reason, sizeof f->reason);
		worker_put_f64(&b, f->quality_score);
		for (i = 0; i < FACE_DESCRIPTOR; i++)
			worker_put_f32(&b, f->descriptor[i]);
		for (i = 0; i < FACE_LANDMARKS; i++) {
			worker_put_f64(&b, f->landmarks[i][0]);
			worker_put_f64(&b, f->landmarks[i][1]);
		}
		worker_put_blob(&b, f->jpeg, f->jpeg_len);
		break;
	case WORKER_MSG_TRACK_END:
		worker_put_le(&b, m->u.end.track, 8);
		worker_put_le(&b, (uint64_t)m->u.end.first_ms, 8);
		worker_put_le(&b, (uint64_t)m->u.end.last_ms, 8);
		worker_put_le(&b, m->u.end.frames, 4);
		break;
	case WORKER_MSG_STATS:
		worker_put_le(&b, m->u.stats.frames, 8);
		worker_put_le(&b, m->u.stats.analysed, 8);
		worker_put_le(&b, m->u.stats.dropped, 8);
		worker_put_le(&b, m->u.stats.errors, 8);
		worker_put_f64(&b, m->u.stats.analyse_ms);
		break;
	case WORKER_MSG_ENROLL:
		worker_put_le(&b, m->u.enroll.req, 8);
		worker_put_blob(&b, m->u.enroll.photo, m->u.enroll.len);
		break;
	case WORKER_MSG_ENROLL_RESULT:
		worker_put_le(&b, er->req, 8);
		worker_put_u8(&b, (uint8_t)er->ok);
		worker_put_str(&b, er->reason, sizeof er->reason);
		worker_put_f64(&b, er->quality_score);
		for (i = 0; i < FACE_DESCRIPTOR; i++)
			worker_put_f32(&b, er->descriptor[i]);
		worker_put_blob(&b, er->jpeg, er->jpeg_len);
		break;
	case WORKER_MSG_CODE:
		worker_put_le(&b, (uint64_t)m->u.code.time_ms, 8);
		worker_put_str(&b, m->u.code.text, sizeof m->u.code.text);
		break;
	default:
		free(b.p);
		return -1;
	}
	/* Flags other than 0 or 1 were cut to a byte: check the originals. */
	if ((m->type == WORKER_MSG_FACE &&
	    f->quality_pass != 0 && f->quality_pass != 1) ||
	    (m->type == WORKER_MSG_ENROLL_RESULT && er->ok != 0 && er->ok != 1))
		goto bad;
	body = b.len - 4;
	if (body > UINT32_MAX)
		goto bad;
	for (i = 0; i < 4; i++)
		b.p[i] = (uint8_t)(body >> (8 * i));
	if (worker_msg_parse(b.p, b.len, NULL, 0, &cause) != 0) {
		free(cause);
		goto bad;
	}
	*out = b.p;
	*outlen = b.len;
	return 0;
bad:
	free(b.p);
	return -1;
}

/* Records the first failure of a decode. */
static void __attribute__((format(printf, 2, 3)))
worker_fail(struct worker_cur *c, const char *fmt, ...)
{
	va_list	 ap;
	char	*what;

	if (c->failed)
		return;
	c->failed = 1;
	va_start(ap, fmt);
	if (vasprintf(&what, fmt, ap) == -1)
		fatalx("vasprintf failed");
	va_end(ap);
	xasprintf(c->cause, "%s: %s", c->type, what);
	free(what);
}

/* Takes LEN bytes; NULL (and a failure) if the frame is shorter. */
static const uint8_t *
worker_take(struct worker_cur *c, size_t len, const char *what)
{
	const uint8_t	*p;

	if (c->failed)
		return NULL;
	if (len > c->left) {
		worker_fail(c, "truncated at %s", what);
		return NULL;
	}
	p = c->p;
	c->p += len;
	c->left -= len;
	return p;
}

static uint64_t
worker_get_le(struct worker_cur *c, int size, const char *what)
{
	const uint8_t	*p;
	uint64_t	 v = 0;
	int		 i;

	if ((p = worker_take(c, size, what)) == NULL)
		return 0;
	for (i = size - 1; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

static int64_t
worker_get_i64(struct worker_cur *c, const char *what)
{
	uint64_t	u = worker_get_le(c, 8, what);
	int64_t		v;

	memcpy(&v, &u, sizeof v);
	return v;
}

/* A flag: one byte, 0 or 1. */
static int
worker_get_flag(struct worker_cur *c, const char *what)
{
	uint64_t	v = worker_get_le(c, 1, what);

	if (v > 1)
		worker_fail(c, "%s is %u, not 0 or 1", what, (unsigned)v);
	return (int)v;
}

static double
worker_get_f64(struct worker_cur *c, const char *what)
{
	uint64_t	bits = worker_get_le(c, 8, what);
	double		v;

	memcpy(&v, &bits, sizeof v);
	if (!isfinite(v)) {
		worker_fail(c, "%s is not finite", what);
		return 0;
	}
	return v;
}

static float
worker_get_f32(struct worker_cur *c, const char *what)
{
	uint32_t	bits = (uint32_t)worker_get_le(c, 4, what);
	float		v;

	memcpy(&v, &bits, sizeof v);
	if (!isfinite(v)) {
		worker_fail(c, "%s is not finite", what);
		return 0;
	}
	return v;
}

/* A string into DST of SIZE bytes. */
static void
worker_get_str(struct worker_cur *c, char *dst, size_t size, const char *what)
{
	const uint8_t	*p;
	size_t		 len, i, n;

	len = (size_t)worker_get_le(c, 2, what);
	if (c->failed)
		return;
	if (len >= size) {
		worker_fail(c, "%s of %zu bytes is too long", what, len);
		return;
	}
	if ((p = worker_take(c, len, what)) == NULL)
		return;
	for (i = 0; i < len; i += n) {
		if ((n = worker_utf8(p + i, len - i)) == 0) {
			worker_fail(c, "%s is not printable UTF-8", what);
			return;
		}
	}
	memcpy(dst, p, len);
	dst[len] = '\0';
}

/*
 * A CODE's text into DST of SIZE bytes: 1 to SIZE - 1 bytes of printable
 * ASCII only, stricter than other strings, since it is whatever a stranger
 * holds up to the camera.
 */
static void
worker_get_ascii(struct worker_cur *c, char *dst, size_t size,
    const char *what)
{
	const uint8_t	*p;
	size_t		 len, i;

	len = (size_t)worker_get_le(c, 2, what);
	if (c->failed)
		return;
	if (len == 0) {
		worker_fail(c, "%s is empty", what);
		return;
	}
	if (len >= size) {
		worker_fail(c, "%s of %zu bytes is too long", what, len);
		return;
	}
	if ((p = worker_take(c, len, what)) == NULL)
		return;
	for (i = 0; i < len; i++) {
		if (p[i] < 0x20 || p[i] > 0x7e) {
			worker_fail(c, "%s is not printable ASCII", what);
			return;
		}
	}
	memcpy(dst, p, len);
	dst[len] = '\0';
}

/* A blob of at most MAX bytes, copied out when the cursor copies. */
static void
worker_get_blob(struct worker_cur *c, uint8_t **dst, size_t *dstlen,
    size_t max, const char *what)
{
	const uint8_t	*p;
	size_t		 len;

	len = (size_t)worker_get_le(c, 4, what);
	if (c->failed)
		return;
	if (len > max) {
		worker_fail(c, "%s of %zu bytes is over %zu", what, len, max);
		return;
	}
	if ((p = worker_take(c, len, what)) == NULL || len == 0)
		return;
	if (c->copy) {
		*dst = xmalloc(len);
		memcpy(*dst, p, len);
	}
	*dstlen = len;
}

/* The fields of a FACE. */
static void
worker_parse_face(struct worker_cur *c, struct worker_face *f)
{
	char	what[32];
	size_t	i;

	f->track = worker_get_le(c, 8, "track");
	f->time_ms = worker_get_i64(c, "time");
	f->first_ms = worker_get_i64(c, "first time");
	f->box.x = worker_get_f64(c, "box x");
	f->box.y = worker_get_f64(c, "box y");
	f->box.w = worker_get_f64(c, "box width");
	f->box.h = worker_get_f64(c, "box height");
	f->box.score = worker_get_f64(c, "box score");
	f->quality_pass = worker_get_flag(c, "quality pass");
	worker_get_str(c, f->reason, sizeof f->reason, "reason");
	f->quality_score = worker_get_f64(c, "quality score");
	for (i = 0; i < FACE_DESCRIPTOR && !c->failed; i++) {
		snprintf(what, sizeof what, "descriptor[%zu]", i);
		f->descriptor[i] = worker_get_f32(c, what);
	}
	for (i = 0; i < 2 * FACE_LANDMARKS && !c->failed; i++) {
		snprintf(what, sizeof what, "landmark[%zu][%zu]", i / 2, i % 2);
		f->landmarks[i / 2][i % 2] = worker_get_f64(c, what);
	}
	worker_get_blob(c, &f->jpeg, &f->jpeg_len, WORKER_MSG_MAX, "jpeg");
	if (c->failed)
		return;
	if (f->track == 0)
		worker_fail(c, "track id 0");
	else if (f->box.w < 0 || f->box.h < 0)
		worker_fail(c, "negative box size");
	else if (f->box.score < 0 || f->box.score > 1)
		worker_fail(c, "box score %g is outside 0..1", f->box.score);
}

/* The fields of an ENROLL_RESULT. */
static void
worker_parse_result(struct worker_cur *c, struct worker_enroll_result *r)
{
	char	what[32];
	size_t	i;

	r->req = worker_get_le(c, 8, "req");
	r->ok = worker_get_flag(c, "ok");
	worker_get_str(c, r->reason, sizeof r->reason, "reason");
	r->quality_score = worker_get_f64(c, "quality score");
	for (i = 0; i < FACE_DESCRIPTOR && !c->failed; i++) {
		snprintf(what, sizeof what, "descriptor[%zu]", i);
		r->descriptor[i] = worker_get_f32(c, what);
	}
	worker_get_blob(c, &r->jpeg, &r->jpeg_len, WORKER_MSG_MAX, "jpeg");
	if (c->failed)
		return;
	if (r->ok && r->jpeg_len == 0)
		worker_fail(c, "ok without a jpeg");
	else if (!r->ok && r->jpeg_len != 0)
		worker_fail(c, "a jpeg without ok");
}

/*
 * Decodes the frame BUF of LEN bytes into M, or only checks it when M is
 * NULL (then nothing is allocated). 0, or -1 with *cause.
 */
static int
worker_msg_parse(const uint8_t *buf, size_t len, struct worker_msg *m,
    int copy, char **cause)
{
	struct worker_msg	 scratch;
	struct worker_cur	 c;
	uint64_t		 n;
	int			 type;

	if (m == NULL)
		m = &scratch;
	memset(m, 0, sizeof *m);
	if (len < WORKER_HEADER) {
		xasprintf(cause, "frame of %zu bytes is too short", len);
		return -1;
	}
	n = (uint64_t)buf[0] | (uint64_t)buf[1] << 8 |
	    (uint64_t)buf[2] << 16 | (uint64_t)buf[3] << 24;
	if (n != len - 4) {
		xasprintf(cause, "frame length %llu does not match its %zu "
		    "bytes", (unsigned long long)n, len - 4);
		return -1;
	}
	type = buf[4];
	if (type < WORKER_MSG_READY || type > WORKER_MSG_TYPE_MAX) {
		xasprintf(cause, "unknown message type %d", type);
		return -1;
	}
	if (len > (type == WORKER_MSG_ENROLL ? WORKER_MSG_MAX_ENROLL :
	    WORKER_MSG_MAX)) {
		xasprintf(cause, "%s: frame of %zu bytes is over the limit",
		    worker_msg_name(type), len);
		return -1;
	}

	memset(&c, 0, sizeof c);
	c.p = buf + WORKER_HEADER;
	c.left = len - WORKER_HEADER;
	c.copy = copy;
	c.type = worker_msg_name(type);
	c.cause = cause;
	m->type = type;
	switch (type) {
	case WORKER_MSG_READY:
	case WORKER_MSG_CAMERA_END:
		break;
	case WORKER_MSG_FATAL:
		worker_get_str(&c, m->u.text, sizeof m->u.text, "text");
		break;
	case WORKER_MSG_FACE:
		worker_parse_face(&c, &m->u.face);
		break;
	case WORKER_MSG_TRACK_END:
		m->u.end.track = worker_get_le(&c, 8, "track");
		m->u.end.first_ms = worker_get_i64(&c, "first time");
		m->u.end.last_ms = worker_get_i64(&c, "last time");
		m->u.end.frames = (uint32_t)worker_get_le(&c, 4, "frames");
		if (!c.failed && m->u.end.track == 0)
			worker_fail(&c, "track id 0");
		break;
	case WORKER_MSG_STATS:
		m->u.stats.frames = worker_get_le(&c, 8, "frames");
		m->u.stats.analysed = worker_get_le(&c, 8, "analysed");
		m->u.stats.dropped = worker_get_le(&c, 8, "dropped");
		m->u.stats.errors = worker_get_le(&c, 8, "errors");
		m->u.stats.analyse_ms = worker_get_f64(&c, "analyse time");
		if (!c.failed && m->u.stats.analyse_ms < 0)
			worker_fail(&c, "negative analyse time");
		break;
	case WORKER_MSG_ENROLL:
		m->u.enroll.req = worker_get_le(&c, 8, "req");
		worker_get_blob(&c, &m->u.enroll.photo, &m->u.enroll.len,
		    WORKER_ENROLL_PHOTO_MAX, "photo");
		break;
	case WORKER_MSG_ENROLL_RESULT:
		worker_parse_result(&c, &m->u.result);
		break;
	case WORKER_MSG_CODE:
		m->u.code.time_ms = worker_get_i64(&c, "time");
		worker_get_ascii(&c, m->u.code.text, sizeof m->u.code.text,
		    "text");
		break;
	}
	if (!c.failed && c.left != 0)
		worker_fail(&c, "%zu trailing bytes", c.left);
	if (c.failed) {
		if (copy)
			worker_msg_clear(m);
		else
			memset(m, 0, sizeof *m);
		return -1;
	}
	if (m == &scratch)
		memset(m, 0, sizeof *m);
	return 0;
}

/* Decodes one frame; see worker.h. */
int
worker_msg_decode(const uint8_t *buf, size_t len, struct worker_msg *m,
    char **cause)
{
	return worker_msg_parse(buf, len, m, 1, cause);
}

/* Frees the blobs of M. */
void
worker_msg_clear(struct worker_msg *m)
{
	switch (m->type) {
	case WORKER_MSG_FACE:
		free(m->u.face.jpeg);
		break;
	case WORKER_MSG_ENROLL:
		free(m->u.enroll.photo);
		break;
	case WORKER_MSG_ENROLL_RESULT:
		free(m->u.result.jpeg);
		break;
	default:
		break;
	}
	memset(m, 0, sizeof *m);
}

/* A reader of frames of at most MAX bytes. */
struct worker_reader *
worker_reader_new(size_t max)
{
	struct worker_reader	*r;

	r = xcalloc(1, sizeof *r);
	r->max = max < WORKER_HEADER ? WORKER_HEADER : max;
	return r;
}

void
worker_reader_free(struct worker_reader *r)
{
	if (r == NULL)
		return;
	free(r->buf);
	free(r);
}

/* The u32 length of the frame at P plus its 4 bytes. */
static size_t
worker_frame_size(const uint8_t *p)
{
	return 4 + ((size_t)p[0] | (size_t)p[1] << 8 | (size_t)p[2] << 16 |
	    (size_t)p[3] << 24);
}

/*
 * Makes room at the end of the buffer for the next read and returns how
 * much: a chunk, or the rest of the frame being read when that is more
 * (a big frame comes in few reads). NULL with errno when the reader is
 * broken or was not drained: then the bound would not hold.
 */
static uint8_t *
worker_reader_space(struct worker_reader *r, size_t *avail)
{
	size_t	pending = r->len - r->off, want = WORKER_READ_CHUNK, total;
	size_t	size;

	if (r->broken) {
		errno = EBADMSG;
		return NULL;
	}
	if (pending > r->max) {
		errno = ENOBUFS;
		return NULL;
	}
	if (pending == 0) {
		r->off = r->len = 0;
		if (r->size > WORKER_READER_KEEP) {
			free(r->buf);
			r->buf = NULL;
			r->size = 0;
		}
	}
	if (pending >= 4) {
		total = worker_frame_size(r->buf + r->off);
		if (total <= r->max && total > pending &&
		    total - pending > want)
			want = total - pending;
	}
	if (r->size - r->len < want && r->off > 0) {
		memmove(r->buf, r->buf + r->off, pending);
		r->off = 0;
		r->len = pending;
	}
	if (r->size - r->len < want) {
		size = r->size < WORKER_READ_CHUNK ? WORKER_READ_CHUNK :
		    r->size * 2;
		if (size < r->len + want)
			size = r->len + want;
		if (size > r->max + WORKER_READ_CHUNK)
			size = r->max + WORKER_READ_CHUNK;
		r->buf = xreallocarray(r->buf, size, 1);
		r->size = size;
	}
	*avail = r->size - r->len;
	if (*avail > want)
		*avail = want;
	return r->buf + r->len;
}

/* Reads what FD has; see worker.h. */
int
worker_reader_read(struct worker_reader *r, int fd)
{
	uint8_t	*p;
	size_t	 avail;
	ssize_t	 n;

	if ((p = worker_reader_space(r, &avail)) == NULL)
		return -1;
	if (avail > INT_MAX)
		avail = INT_MAX;
	do
		n = read(fd, p, avail);
	while (n == -1 && errno == EINTR);
	if (n == -1) {
		if (errno == EWOULDBLOCK)
			errno = EAGAIN;
		return -1;
	}
	r->len += (size_t)n;
	return (int)n;
}

/* Takes bytes as if read; see worker.h. */
ssize_t
worker_reader_feed(struct worker_reader *r, const void *data, size_t len)
{
	uint8_t	*p;
	size_t	 avail;

	if ((p = worker_reader_space(r, &avail)) == NULL)
		return -1;
	if (len > avail)
		len = avail;
	if (len > SSIZE_MAX)
		len = SSIZE_MAX;
	memcpy(p, data, len);
	r->len += len;
	return (ssize_t)len;
}

/* The next whole frame, decoded; see worker.h. */
int
worker_reader_next(struct worker_reader *r, struct worker_msg *m,
    char **cause)
{
	size_t	pending = r->len - r->off, total;

	memset(m, 0, sizeof *m);
	if (r->broken) {
		xasprintf(cause, "the stream is unusable after a bad frame");
		return -1;
	}
	if (pending < 4)
		return 0;
	total = worker_frame_size(r->buf + r->off);
	if (total > r->max) {
		/* Refused on its length, before its bytes are held. */
		r->broken = 1;
		xasprintf(cause, "frame of %zu bytes is over the limit of %zu",
		    total, r->max);
		return -1;
	}
	if (total < WORKER_HEADER) {
		r->broken = 1;
		xasprintf(cause, "empty frame");
		return -1;
	}
	if (pending < total)
		return 0;
	if (worker_msg_decode(r->buf + r->off, total, m, cause) != 0) {
		r->broken = 1;
		return -1;
	}
	r->off += total;
	if (r->off == r->len)
		r->off = r->len = 0;
	return 1;
}

size_t
worker_reader_capacity(const struct worker_reader *r)
{
	return r->size;
}

struct worker_writer *
worker_writer_new(void)
{
	return xcalloc(1, sizeof (struct worker_writer));
}

void
worker_writer_free(struct worker_writer *w)
{
	if (w == NULL)
		return;
	free(w->buf);
	free(w);
}

/* Queues M, encoded. */
int
worker_writer_add(struct worker_writer *w, const struct worker_msg *m)
{
	uint8_t	*frame;
	size_t	 len, need, size;

	if (worker_msg_encode(m, &frame, &len) != 0)
		return -1;
	if (w->off == w->len) {
		/* Nothing queued: the frame becomes the queue, uncopied. */
		free(w->buf);
		w->buf = frame;
		w->size = w->len = len;
		w->off = 0;
		return 0;
	}
	if (w->off > 0) {
		memmove(w->buf, w->buf + w->off, w->len - w->off);
		w->len -= w->off;
		w->off = 0;
	}
	need = w->len + len;
	if (need > w->size) {
		size = w->size * 2;
		if (size < need)
			size = need;
		w->buf = xreallocarray(w->buf, size, 1);
		w->size = size;
	}
	memcpy(w->buf + w->len, frame, len);
	w->len += len;
	free(frame);
	return 0;
}

/* Writes what FD takes of the queue. */
int
worker_writer_flush(struct worker_writer *w, int fd)
{
	ssize_t	n;

	while (w->off < w->len) {
		n = write(fd, w->buf + w->off, w->len - w->off);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 0;
			return -1;
		}
		w->off += (size_t)n;
	}
	/* Empty: a big photo's buffer is not kept for the next small one. */
	free(w->buf);
	w->buf = NULL;
	w->size = w->off = w->len = 0;
	return 1;
}

size_t
worker_writer_pending(const struct worker_writer *w)
{
	return w->len - w->off;
}

/* Writes all of a frame to FD; see worker.h. */
int
worker_msg_write(int fd, const struct worker_msg *m, char **cause)
{
	struct pollfd	 pfd = { .fd = fd, .events = POLLOUT };
	uint8_t		*frame;
	size_t		 len, off = 0;
	ssize_t		 n;
	int		 saved;

	if (worker_msg_encode(m, &frame, &len) != 0) {
		xasprintf(cause, "cannot encode a %s message",
		    worker_msg_name(m->type));
		errno = EINVAL;
		return -1;
	}
	while (off < len) {
		n = write(fd, frame + off, len - off);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				if (poll(&pfd, 1, -1) == -1 && errno != EINTR)
					goto fail;
				continue;
			}
			goto fail;
		}
		off += (size_t)n;
	}
	free(frame);
	return 0;
fail:
	saved = errno;
	xasprintf(cause, "write: %s", strerror(saved));
	free(frame);
	errno = saved;
	return -1;
}
