/*
 * libFuzzer target for the worker's messages (agent/worker-msg.c). The
 * first byte picks the reader's frame limit (small ones make oversized
 * frames common), the second seeds the chunk sizes; the rest is a stream
 * of frames fed to a worker_reader in chunks, draining after each. The
 * results must be those of a reference that frames the whole input at
 * once with worker_msg_decode: the same messages in order, then the same
 * refusal (if any), whatever the chunking, and the reader never holds more
 * than the limit and a read chunk. Every decoded message re-encodes to the
 * very bytes it came from (the format is canonical), and those decode to
 * the same message again. The whole stream is also decoded as one frame.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "worker.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* One expected result: a frame that decodes (ok 1) or the refusal. */
struct result {
	const uint8_t	*frame;
	size_t		 len;
	int		 ok;
};

static struct result	*want;
static size_t		 nwant, iwant, size_want;

static void
expect(const uint8_t *frame, size_t len, int ok)
{
	if (nwant == size_want) {
		size_want = size_want == 0 ? 64 : size_want * 2;
		if ((want = realloc(want, size_want * sizeof *want)) == NULL)
			abort();
	}
	want[nwant].frame = frame;
	want[nwant].len = len;
	want[nwant].ok = ok;
	nwant++;
}

/* Re-encodes M: the bytes of FRAME exactly, which decode to M again. */
static void
check_canonical(const struct worker_msg *m, const uint8_t *frame, size_t len)
{
	struct worker_msg	 again;
	uint8_t			*buf, *buf2;
	size_t			 blen, blen2;
	char			*cause = NULL;

	if (worker_msg_encode(m, &buf, &blen) != 0)
		abort();
	if (blen != len || memcmp(buf, frame, len) != 0)
		abort();
	if (worker_msg_decode(buf, blen, &again, &cause) != 0)
		abort();
	if (worker_msg_encode(&again, &buf2, &blen2) != 0 || blen2 != blen ||
	    memcmp(buf, buf2, blen) != 0)
		abort();
	free(buf2);
	worker_msg_clear(&again);
	free(buf);
}

/* The reference framing of the whole stream. */
static void
reference(const uint8_t *data, size_t size, size_t max)
{
	struct worker_msg	 m;
	const uint8_t		*p = data;
	size_t			 left = size, total;
	char			*cause = NULL;

	nwant = 0;
	while (left >= 4) {
		total = 4 + ((size_t)p[0] | (size_t)p[1] << 8 |
		    (size_t)p[2] << 16 | (size_t)p[3] << 24);
		if (total > max || total < 5) {
			expect(NULL, 0, 0);
			return;
		}
		if (left < total)
			return;
		if (worker_msg_decode(p, total, &m, &cause) != 0) {
			if (cause == NULL || *cause == '\0')
				abort();
			free(cause);
			cause = NULL;
			expect(NULL, 0, 0);
			return;
		}
		check_canonical(&m, p, total);
		worker_msg_clear(&m);
		expect(p, total, 1);
		p += total;
		left -= total;
	}
}

/* Takes every result out of R and checks it against the next expected. */
static int
drain(struct worker_reader *r, size_t max)
{
	struct worker_msg	 m;
	uint8_t			*buf;
	size_t			 len;
	char			*cause = NULL;
	int			 ret;

	while ((ret = worker_reader_next(r, &m, &cause)) != 0) {
		if (iwant == nwant)
			abort();
		if (ret == -1) {
			if (want[iwant].ok || cause == NULL)
				abort();
			free(cause);
			iwant++;
			return -1;
		}
		if (!want[iwant].ok || worker_msg_encode(&m, &buf, &len) != 0)
			abort();
		if (len != want[iwant].len ||
		    memcmp(buf, want[iwant].frame, len) != 0)
			abort();
		free(buf);
		worker_msg_clear(&m);
		iwant++;
	}
	if (worker_reader_capacity(r) > max + WORKER_READ_CHUNK)
		abort();
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct worker_reader	*r;
	struct worker_msg	 m;
	size_t			 max, off = 0, chunk;
	uint32_t		 rng;
	ssize_t			 n;
	char			*cause = NULL;
	int			 broken = 0;

	if (size < 2)
		return 0;
	/* Mostly small limits; sometimes the worker's and main's. */
	if (data[0] == 0xff)
		max = WORKER_MSG_MAX_ENROLL;
	else if (data[0] == 0xfe)
		max = WORKER_MSG_MAX;
	else
		max = 5 + (size_t)data[0] * 37;
	rng = data[1] * 2654435761u + 1;
	data += 2;
	size -= 2;

	/* The whole stream as one frame. */
	if (worker_msg_decode(data, size, &m, &cause) == 0) {
		check_canonical(&m, data, size);
		worker_msg_clear(&m);
	} else {
		if (cause == NULL || *cause == '\0' || m.type != 0)
			abort();
		free(cause);
	}

	reference(data, size, max);
	iwant = 0;
	r = worker_reader_new(max);
	while (off < size && !broken) {
		rng = rng * 1103515245u + 12345;
		chunk = (rng >> 16) % 8 == 0 ? 1 + (rng >> 8) % 20000 :
		    1 + (rng >> 16) % 40;
		if (chunk > size - off)
			chunk = size - off;
		while (chunk > 0) {
			if ((n = worker_reader_feed(r, data + off, chunk)) <= 0)
				abort();
			off += (size_t)n;
			chunk -= (size_t)n;
			if (drain(r, max) == -1) {
				broken = 1;
				break;
			}
		}
	}
	if (!broken && drain(r, max) == -1)
		broken = 1;
	if (iwant != nwant)
		abort();
	/* Once broken, it stays so. */
	if (broken && (worker_reader_feed(r, "x", 1) != -1 ||
	    worker_reader_next(r, &m, &cause) != -1))
		abort();
	if (broken)
		free(cause);
	worker_reader_free(r);
	return 0;
}
