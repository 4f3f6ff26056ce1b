/*
 * Tests of shared/lineio.c through real socketpairs and pipes: framing at
 * every split point, the length limit and resynchronisation, bad lines,
 * EOF, and an output queue towards a peer that does not read.
 */
#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "lineio.h"
#include "test.h"

/* Collected results: a line, or "!EMSGSIZE" and the like for -1. */
static char	 got[64][128];
static int	 ngot;

/* Makes a non-blocking socketpair or fails the test. */
static void
make_pair(int sv[2])
{
	if (socketpair(AF_UNIX, SOCK_STREAM|SOCK_CLOEXEC|SOCK_NONBLOCK, 0,
	    sv) != 0) {
		perror("socketpair");
		exit(1);
	}
}

/* Calls line_in_next() until it returns 0, recording what it returns. */
static void
drain(struct line_in *in)
{
	char	*line;
	size_t	 len;
	int	 r;

	while ((r = line_in_next(in, &line, &len)) != 0) {
		if (ngot == 64)
			return;
		if (r == 1) {
			CHECK_INT(strlen(line), len);
			snprintf(got[ngot++], sizeof got[0], "%s", line);
		} else {
			snprintf(got[ngot++], sizeof got[0], "!%s",
			    errno == EMSGSIZE ? "EMSGSIZE" :
			    errno == EBADMSG ? "EBADMSG" :
			    errno == EPIPE ? "EPIPE" : "other");
		}
	}
}

/* Writes all of DATA to a non-blocking socket with room for it. */
static void
put(int fd, const void *data, size_t len)
{
	CHECK_INT(write(fd, data, len), len);
}

/* Reads what there is, expecting N bytes. */
static void
get(struct line_in *in, int fd, int n)
{
	CHECK_INT(line_in_read(in, fd), n);
	drain(in);
}

static const char	 sample[] = "hello\nworld\r\n\nlast one\n";
static const char	*sample_lines[] = { "hello", "world", "", "last one" };

/* Checks got[] against the sample's lines. */
static void
check_sample(void)
{
	int	i;

	CHECK_INT(ngot, 4);
	for (i = 0; i < 4 && i < ngot; i++)
		CHECK_STR(got[i], sample_lines[i]);
}

TEST(split_at_every_byte)
{
	size_t	 len = sizeof sample - 1, k, i;
	int	 sv[2];

	make_pair(sv);
	for (k = 0; k <= len; k++) {
		struct line_in	*in = line_in_new(0);

		ngot = 0;
		if (k > 0) {
			put(sv[1], sample, k);
			get(in, sv[0], (int)k);
		}
		if (k < len) {
			put(sv[1], sample + k, len - k);
			get(in, sv[0], (int)(len - k));
		}
		check_sample();
		line_in_free(in);
	}

	/* One byte per read. */
	{
		struct line_in	*in = line_in_new(0);

		ngot = 0;
		for (i = 0; i < len; i++) {
			put(sv[1], sample + i, 1);
			get(in, sv[0], 1);
		}
		check_sample();
		/* Nothing to read now is EAGAIN, not EOF. */
		CHECK_INT(line_in_read(in, sv[0]), -1);
		CHECK_INT(errno, EAGAIN);
		line_in_free(in);
	}
	close(sv[0]);
	close(sv[1]);
}

TEST(several_lines_and_cr)
{
	struct line_in	*in = line_in_new(0);
	const char	 data[] = "a\r\r\nb\rc\r\n\r\nd\n";
	int		 sv[2];

	make_pair(sv);
	ngot = 0;
	put(sv[1], data, sizeof data - 1);
	get(in, sv[0], sizeof data - 1);
	/* Only one trailing \r goes. */
	CHECK_INT(ngot, 4);
	CHECK_STR(got[0], "a\r");
	CHECK_STR(got[1], "b\rc");
	CHECK_STR(got[2], "");
	CHECK_STR(got[3], "d");
	line_in_free(in);
	close(sv[0]);
	close(sv[1]);
}

TEST(limit_and_resync)
{
	struct line_in	*in = line_in_new(16);
	char		 buf[128];
	int		 sv[2], n;

	make_pair(sv);
	ngot = 0;
	/* 16 accepted (also with \r), 17 refused, then the next line. */
	n = snprintf(buf, sizeof buf, "%s\n%s\r\n%s\nnext\n",
	    "0123456789abcdef", "0123456789abcdef", "0123456789abcdefg");
	put(sv[1], buf, (size_t)n);
	get(in, sv[0], n);
	CHECK_INT(ngot, 4);
	CHECK_STR(got[0], "0123456789abcdef");
	CHECK_STR(got[1], "0123456789abcdef");
	CHECK_STR(got[2], "!EMSGSIZE");
	CHECK_STR(got[3], "next");

	/* Refused before its end arrives, reported once, then resync. */
	ngot = 0;
	put(sv[1], "0123456789abcdefgh", 18);
	get(in, sv[0], 18);
	CHECK_INT(ngot, 1);
	CHECK_STR(got[0], "!EMSGSIZE");
	put(sv[1], "more junk", 9);
	get(in, sv[0], 9);
	put(sv[1], "still junk\nok\n", 14);
	get(in, sv[0], 14);
	CHECK_INT(ngot, 2);
	CHECK_STR(got[1], "ok");
	line_in_free(in);
	close(sv[0]);
	close(sv[1]);
}

TEST(huge_line_bounded)
{
	struct line_in	*in = line_in_new(0);
	enum { TOTAL = 10 * 1024 * 1024 };
	static char	 chunk[65536];
	size_t		 sent = 0, bound = LINE_IN_LIMIT + 1 + LINE_IN_CHUNK;
	size_t		 maxcap = 0;
	ssize_t		 n;
	int		 pfd[2], r;

	if (pipe2(pfd, O_CLOEXEC|O_NONBLOCK) != 0) {
		perror("pipe2");
		exit(1);
	}
	memset(chunk, 'x', sizeof chunk);
	ngot = 0;
	while (sent < TOTAL) {
		n = write(pfd[1], chunk, sizeof chunk < TOTAL - sent ?
		    sizeof chunk : TOTAL - sent);
		if (n > 0)
			sent += (size_t)n;
		while ((r = line_in_read(in, pfd[0])) > 0) {
			drain(in);
			if (line_in_capacity(in) > maxcap)
				maxcap = line_in_capacity(in);
		}
		CHECK(r == -1 && errno == EAGAIN);
	}
	put(pfd[1], "\r\nafter\n", 8);
	while (line_in_read(in, pfd[0]) > 0)
		drain(in);
	CHECK_INT(ngot, 2);
	CHECK_STR(got[0], "!EMSGSIZE");
	CHECK_STR(got[1], "after");
	CHECK(maxcap <= bound);
	CHECK(maxcap > LINE_IN_LIMIT);
	line_in_free(in);
	close(pfd[0]);
	close(pfd[1]);
}

TEST(nul_is_bad_line)
{
	struct line_in	*in = line_in_new(0);
	const char	 data[] = "ab\0cd\n\0\nok\n";
	int		 sv[2];

	make_pair(sv);
	ngot = 0;
	put(sv[1], data, sizeof data - 1);
	get(in, sv[0], sizeof data - 1);
	CHECK_INT(ngot, 3);
	CHECK_STR(got[0], "!EBADMSG");
	CHECK_STR(got[1], "!EBADMSG");
	CHECK_STR(got[2], "ok");
	line_in_free(in);
	close(sv[0]);
	close(sv[1]);
}

TEST(eof_partial_line)
{
	struct line_in	*in = line_in_new(0);
	int		 sv[2];

	make_pair(sv);
	ngot = 0;
	put(sv[1], "one\ntwo", 7);
	close(sv[1]);
	get(in, sv[0], 7);
	CHECK_INT(ngot, 1);
	get(in, sv[0], 0);
	CHECK_INT(ngot, 2);
	CHECK_STR(got[0], "one");
	CHECK_STR(got[1], "!EPIPE");
	/* Nothing more after that; a clean EOF reports nothing. */
	get(in, sv[0], 0);
	CHECK_INT(ngot, 2);
	line_in_free(in);
	close(sv[0]);
}

TEST(feed_needs_draining)
{
	struct line_in	*in = line_in_new(8);
	static char	 big[20000];
	ssize_t		 n;

	/* Complete lines not taken out: the buffer refuses to grow. */
	memset(big, '\n', sizeof big);
	n = line_in_feed(in, big, sizeof big);
	CHECK(n > 0 && (size_t)n <= 8 + 1 + LINE_IN_CHUNK);
	CHECK_INT(line_in_feed(in, big, sizeof big), -1);
	CHECK_INT(errno, ENOBUFS);
	ngot = 0;
	drain(in);
	CHECK_INT(ngot, 64);
	line_in_free(in);
}

TEST(output_queue_slow_reader)
{
	struct line_out	*out = line_out_new();
	struct line_in	*in = line_in_new(0);
	char		 line[200], *l;
	size_t		 len, last = 0;
	int		 sv[2], i, r, nread = 0, blocked = 0;

	make_pair(sv);
	CHECK_INT(line_out_flush(out, sv[0]), 1);
	/* The peer does not read: the queue grows past the socket buffer. */
	for (i = 0; i < 20000; i++) {
		snprintf(line, sizeof line, "line %d %0150d", i, i);
		line_out_add(out, line, strlen(line));
		r = line_out_flush(out, sv[0]);
		CHECK(r >= 0);
		if (r == 0) {
			blocked = 1;
			CHECK(line_out_pending(out) > 0);
		}
	}
	CHECK(blocked);
	CHECK(line_out_pending(out) > 100000);
	/* Now it reads: everything arrives once, in order. */
	for (;;) {
		r = line_out_flush(out, sv[0]);
		CHECK(r >= 0);
		CHECK(line_out_pending(out) <= last || last == 0);
		last = line_out_pending(out);
		if (line_in_read(in, sv[1]) <= 0 && r == 1)
			break;
		while (line_in_next(in, &l, &len) == 1) {
			snprintf(line, sizeof line, "line %d %0150d", nread,
			    nread);
			if (strcmp(l, line) != 0) {
				CHECK_STR(l, line);
				break;
			}
			nread++;
		}
	}
	CHECK_INT(nread, 20000);
	CHECK_INT(line_out_pending(out), 0);
	line_out_free(out);
	line_in_free(in);
	close(sv[0]);
	close(sv[1]);
}

int
main(void)
{
	RUN(split_at_every_byte);
	RUN(several_lines_and_cr);
	RUN(limit_and_resync);
	RUN(huge_line_bounded);
	RUN(nul_is_bad_line);
	RUN(eof_partial_line);
	RUN(feed_needs_draining);
	RUN(output_queue_slow_reader);
	return test_main_end("test-lineio");
}
