/*
 * Newline-delimited framing on non-blocking fds, for both ends of the
 * control protocol (the agent's socket and the console's end of it).
 *
 * Input (struct line_in). Each line has a hard limit on its length, not
 * counting the '\n' nor one '\r' before it. A line longer than the limit is
 * refused before more than limit + 1 of its bytes are held (OpenSSH msg.c):
 * line_in_next() reports it once as -1 (errno EMSGSIZE), the rest of it up
 * to the next '\n' is read and thrown away, and the following line is
 * returned normally. A line holding a NUL byte is reported as -1 (errno
 * EBADMSG), never truncated. After EOF, a partial last line (no '\n') is
 * thrown away and reported as -1 (errno EPIPE): a request cut short is not
 * run. A bad line costs the peer an error reply at most; the owner decides
 * when a peer sending too many is dropped.
 *
 * Use: on LOOP_READ (or LOOP_HUP) call line_in_read() once, then
 * line_in_next() until it returns 0. Drained like that, the buffer never
 * holds more than limit + 1 + LINE_IN_CHUNK bytes; a read without draining
 * first fails with ENOBUFS rather than grow.
 *
 * Output (struct line_out). line_out_add() queues a line and its '\n';
 * line_out_flush() writes what the fd takes. The queue is unbounded here:
 * the owner checks line_out_pending() after adding and drops a peer whose
 * queue exceeds its cap (a console that stops reading must not exhaust the
 * agent's memory; events are not worth blocking the loop or the door for).
 * Writing to a peer that has gone raises SIGPIPE: programs ignore it.
 */
#ifndef LINEIO_H
#define LINEIO_H

#include <sys/types.h>

#include <stddef.h>

/* The limit when line_in_new() is given 0. */
#define LINE_IN_LIMIT	65536
/* The largest limit accepted; bigger ones are clamped to it. */
#define LINE_IN_MAX	(64 * 1024 * 1024)
/* The buffer keeps room for at least this much per read. */
#define LINE_IN_CHUNK	4096

struct line_in;
struct line_out;

struct line_in	*line_in_new(size_t limit);
void		 line_in_free(struct line_in *);
/* Bytes read (> 0), 0 at EOF, or -1 with errno; EINTR is retried, and
 * EAGAIN (nothing to read now) is -1 with errno EAGAIN, not a failure. */
int		 line_in_read(struct line_in *, int fd);
/* As line_in_read() from memory (tests, fuzzing): takes as many of LEN
 * bytes as fit and returns that count; LEN 0 means EOF. */
ssize_t		 line_in_feed(struct line_in *, const void *, size_t len);
/* 1 with the next line (NUL-terminated, no '\n' or trailing '\r'), valid
 * until the next call on this line_in; 0 when no complete line is held;
 * -1 with errno EMSGSIZE, EBADMSG or EPIPE for a bad line (see above). */
int		 line_in_next(struct line_in *, char **, size_t *);
/* Bytes allocated for the buffer. */
size_t		 line_in_capacity(const struct line_in *);

struct line_out	*line_out_new(void);
void		 line_out_free(struct line_out *);
/* Queues LINE (which must not hold '\n') and a '\n'. A LINE ending in
 * '\r' loses that '\r' at the reader; JSON never ends in one. */
void		 line_out_add(struct line_out *, const char *, size_t);
/* 1 when the queue is empty, 0 when the fd would block with data left, or
 * -1 with errno; EINTR is retried. */
int		 line_out_flush(struct line_out *, int fd);
size_t		 line_out_pending(const struct line_out *);

#endif
