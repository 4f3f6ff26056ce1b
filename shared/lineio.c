#include <sys/types.h>

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lineio.h"
#include "log.h"
#include "xmalloc.h"

/*
 * buf[off, len) holds unconsumed input: complete lines, then at most one
 * partial line. scan counts the bytes from off known to hold no '\n', so a
 * long line is searched once, not on every read. Invariant after draining
 * with line_in_next(): the partial line is at most limit + 1 bytes (a line
 * of limit bytes and its '\r'), so size never exceeds limit + 1 + CHUNK.
 */
struct line_in {
	char	*buf;
	size_t	 size;
	size_t	 off;
	size_t	 len;
	size_t	 scan;
	size_t	 limit;
	int	 discard;	/* dropping an oversized line up to its '\n' */
	int	 eof;
};

struct line_out {
	char	*buf;
	size_t	 size;
	size_t	 off;		/* written so far */
	size_t	 len;
};

/*
 * An emptied output buffer bigger than this is freed: one burst to a slow
 * console should not pin its memory for the rest of the session.
 */
#define LINE_OUT_KEEP	65536

/* Creates an input buffer for lines of at most LIMIT bytes (0: default). */
struct line_in *
line_in_new(size_t limit)
{
	struct line_in	*in;

	in = xcalloc(1, sizeof *in);
	if (limit == 0)
		limit = LINE_IN_LIMIT;
	in->limit = limit > LINE_IN_MAX ? LINE_IN_MAX : limit;
	return in;
}

/* Frees an input buffer. */
void
line_in_free(struct line_in *in)
{
	if (in == NULL)
		return;
	free(in->buf);
	free(in);
}

/* Makes room for a read at the end of the buffer; NULL if not drained. */
static char *
line_in_space(struct line_in *in, size_t *avail)
{
	size_t	pending = in->len - in->off, want, size, max;

	if (pending > in->limit + 1) {
		errno = ENOBUFS;
		return NULL;
	}
	if (in->off > 0) {
		memmove(in->buf, in->buf + in->off, pending);
		in->off = 0;
		in->len = pending;
	}
	want = pending + LINE_IN_CHUNK;
	if (in->size < want) {
		max = in->limit + 1 + LINE_IN_CHUNK;
		size = in->size * 2;
		if (size < want)
			size = want;
		if (size > max)
			size = max;
		in->buf = xreallocarray(in->buf, size, 1);
		in->size = size;
	}
	*avail = in->size - in->len;
	return in->buf + in->len;
}

/* Reads what FD has into the buffer. */
int
line_in_read(struct line_in *in, int fd)
{
	char	*p;
	size_t	 avail;
	ssize_t	 n;

	if ((p = line_in_space(in, &avail)) == NULL)
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
	if (n == 0)
		in->eof = 1;
	in->len += (size_t)n;
	return (int)n;
}

/* Adds bytes as if read; returns how many were taken. */
ssize_t
line_in_feed(struct line_in *in, const void *data, size_t len)
{
	char	*p;
	size_t	 avail;

	if (len == 0) {
		in->eof = 1;
		return 0;
	}
	if ((p = line_in_space(in, &avail)) == NULL)
		return -1;
	if (avail > SSIZE_MAX)
		avail = SSIZE_MAX;
	if (len > avail)
		len = avail;
	memcpy(p, data, len);
	in->len += len;
	return (ssize_t)len;
}

/* Throws away everything held. */
static void
line_in_drop(struct line_in *in)
{
	in->off = in->len = in->scan = 0;
}

/* Takes the next complete line out of the buffer. */
int
line_in_next(struct line_in *in, char **line, size_t *len)
{
	char	*start, *nl;
	size_t	 n, linelen;

	for (;;) {
		start = in->buf + in->off;
		n = in->len - in->off;
		nl = NULL;
		if (n > in->scan)
			nl = memchr(start + in->scan, '\n', n - in->scan);
		if (nl == NULL) {
			if (in->discard) {
				line_in_drop(in);
				return 0;
			}
			if (n > in->limit + 1) {
				/* Too long whatever follows: refuse it now. */
				line_in_drop(in);
				in->discard = 1;
				errno = EMSGSIZE;
				return -1;
			}
			if (in->eof && n > 0) {
				line_in_drop(in);
				errno = EPIPE;
				return -1;
			}
			in->scan = n;
			return 0;
		}
		linelen = (size_t)(nl - start);
		in->off += linelen + 1;
		in->scan = 0;
		if (in->off == in->len)
			in->off = in->len = 0;	/* the data stays in place */
		if (in->discard) {
			in->discard = 0;
			continue;
		}
		if (linelen > 0 && start[linelen - 1] == '\r')
			linelen--;
		if (linelen > in->limit) {
			errno = EMSGSIZE;
			return -1;
		}
		if (memchr(start, '\0', linelen) != NULL) {
			errno = EBADMSG;
			return -1;
		}
		start[linelen] = '\0';
		*line = start;
		*len = linelen;
		return 1;
	}
}

/* The bytes allocated for the buffer, for tests of the bound. */
size_t
line_in_capacity(const struct line_in *in)
{
	return in->size;
}

/* Creates an empty output queue. */
struct line_out *
line_out_new(void)
{
	return xcalloc(1, sizeof (struct line_out));
}

/* Frees an output queue and anything still in it. */
void
line_out_free(struct line_out *out)
{
	if (out == NULL)
		return;
	free(out->buf);
	free(out);
}

/* Queues LINE and its '\n'. */
void
line_out_add(struct line_out *out, const char *line, size_t len)
{
	size_t	need, size;

	/* Our own encoder never emits one: a broken invariant. */
	if (memchr(line, '\n', len) != NULL)
		fatalx("line_out_add: newline inside a line");
	if (len > SIZE_MAX / 2 - out->len)
		fatalx("line_out_add: line too long");
	if (out->off > 0 && out->size - out->len <= len) {
		memmove(out->buf, out->buf + out->off, out->len - out->off);
		out->len -= out->off;
		out->off = 0;
	}
	need = out->len + len + 1;
	if (need > out->size) {
		size = out->size < 4096 ? 4096 : out->size * 2;
		while (size < need)
			size *= 2;
		out->buf = xreallocarray(out->buf, size, 1);
		out->size = size;
	}
	memcpy(out->buf + out->len, line, len);
	out->buf[out->len + len] = '\n';
	out->len = need;
}

/* Writes as much of the queue as FD takes without blocking. */
int
line_out_flush(struct line_out *out, int fd)
{
	ssize_t	n;

	while (out->off < out->len) {
		n = write(fd, out->buf + out->off, out->len - out->off);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 0;
			return -1;
		}
		out->off += (size_t)n;
	}
	out->off = out->len = 0;
	if (out->size > LINE_OUT_KEEP) {
		free(out->buf);
		out->buf = NULL;
		out->size = 0;
	}
	return 1;
}

/* The bytes queued and not yet written. */
size_t
line_out_pending(const struct line_out *out)
{
	return out->len - out->off;
}
