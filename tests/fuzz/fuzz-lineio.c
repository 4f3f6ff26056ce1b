/*
 * libFuzzer target for the line framing (shared/lineio.c). The first byte
 * picks the line limit (1 to 64, small so oversized lines are common), the
 * second seeds the chunk sizes; the rest is fed to a line_in in chunks,
 * draining after each, then EOF. Every result is compared with a reference
 * that frames the whole input at once: lines, bad lines and their errno,
 * in order, whatever the chunking. The lines accepted then go through a
 * line_out and a pipe and must come back the same.
 */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lineio.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* One result: a line (err 0) or a bad line (its errno). */
struct result {
	const uint8_t	*line;
	size_t		 len;
	int		 err;
};

static struct result	*want;
static size_t		 nwant, iwant, size_want;

/* Appends one expected result. */
static void
expect(const uint8_t *line, size_t len, int err)
{
	if (nwant == size_want) {
		size_want = size_want == 0 ? 256 : size_want * 2;
		if ((want = realloc(want, size_want * sizeof *want)) == NULL)
			abort();
	}
	want[nwant].line = line;
	want[nwant].len = len;
	want[nwant].err = err;
	nwant++;
}

/* The reference framing of all of DATA followed by EOF. */
static void
reference(const uint8_t *data, size_t size, size_t limit)
{
	const uint8_t	*p = data, *end = data + size, *nl;
	size_t		 len;

	nwant = 0;
	while (p < end) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL) {
			/* A partial last line: too long already, or cut. */
			len = (size_t)(end - p);
			expect(NULL, 0, len > limit + 1 ? EMSGSIZE : EPIPE);
			break;
		}
		len = (size_t)(nl - p);
		if (len > 0 && p[len - 1] == '\r')
			len--;
		if (len > limit)
			expect(NULL, 0, EMSGSIZE);
		else if (memchr(p, '\0', len) != NULL)
			expect(NULL, 0, EBADMSG);
		else
			expect(p, len, 0);
		p = nl + 1;
	}
}

/* Takes every line out of IN and checks it against the next expected. */
static void
drain(struct line_in *in, size_t limit, struct line_out *out)
{
	char	*line;
	size_t	 len;
	int	 r;

	while ((r = line_in_next(in, &line, &len)) != 0) {
		if (iwant == nwant)
			abort();
		if (r == 1) {
			if (len > limit || strlen(line) != len ||
			    want[iwant].err != 0 || want[iwant].len != len ||
			    memcmp(want[iwant].line, line, len) != 0)
				abort();
			if (out != NULL)
				line_out_add(out, line, len);
		} else if (r != -1 || want[iwant].err != errno)
			abort();
		iwant++;
	}
	if (line_in_capacity(in) > limit + 1 + LINE_IN_CHUNK)
		abort();
}

/* Sends the accepted lines through a pipe and reads them back. */
static void
roundtrip(struct line_out *out, size_t limit)
{
	static int	 pfd[2] = { -1, -1 };
	struct line_in	*in = line_in_new(limit);
	size_t		 i;
	int		 done;

	if (pfd[0] == -1 && pipe2(pfd, O_CLOEXEC|O_NONBLOCK) != 0)
		abort();
	/*
	 * Only the good lines are expected back now, each less one trailing
	 * '\r' (from "\r\r\n"), which the framing strips again.
	 */
	for (i = iwant = 0; i < nwant; i++) {
		if (want[i].err != 0)
			continue;
		want[iwant] = want[i];
		if (want[iwant].len > 0 &&
		    want[iwant].line[want[iwant].len - 1] == '\r')
			want[iwant].len--;
		iwant++;
	}
	nwant = iwant;
	iwant = 0;
	do {
		if ((done = line_out_flush(out, pfd[1])) == -1)
			abort();
		while (line_in_read(in, pfd[0]) > 0)
			drain(in, limit, NULL);
	} while (!done);
	if (iwant != nwant || line_out_pending(out) != 0)
		abort();
	line_in_free(in);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct line_in	*in;
	struct line_out	*out;
	size_t		 limit, off = 0, chunk;
	uint32_t	 rng;
	ssize_t		 n;

	if (size < 2)
		return 0;
	limit = 1 + data[0] % 64;
	rng = data[1] * 2654435761u + 1;
	data += 2;
	size -= 2;
	reference(data, size, limit);
	iwant = 0;

	in = line_in_new(limit);
	out = line_out_new();
	while (off < size) {
		rng = rng * 1103515245u + 12345;
		chunk = (rng >> 16) % 8 == 0 ? 1 + (rng >> 8) % 5000 :
		    1 + (rng >> 16) % 24;
		if (chunk > size - off)
			chunk = size - off;
		while (chunk > 0) {
			if ((n = line_in_feed(in, data + off, chunk)) <= 0)
				abort();
			off += (size_t)n;
			chunk -= (size_t)n;
			drain(in, limit, out);
		}
	}
	if (line_in_feed(in, NULL, 0) != 0)
		abort();
	drain(in, limit, out);
	if (iwant != nwant)
		abort();
	line_in_free(in);

	roundtrip(out, limit);
	line_out_free(out);
	return 0;
}
