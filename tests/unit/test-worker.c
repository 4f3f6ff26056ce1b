/*
 * Tests of the vision worker. The codec: a bit-exact round trip of every
 * message type, canonical bytes, and the decoder refusing truncated frames,
 * trailing bytes, wrong lengths, non-finite numbers, bad types, flags,
 * strings and sizes, and oversized frames, and CODE's text unless it is 1
 * to WORKER_CODE_MAX - 1 bytes of printable ASCII; the reader assembling
 * frames fed byte by byte and refusing an oversized one before buffering
 * it; the writer queueing against a full socket. Then the real worker on a
 * file camera of labelled photos (skipped without GATEHOUSE_MODELS and
 * GATEHOUSE_FACES): READY, FACE with the descriptor face_engine_analyze
 * gives and a JPEG on best frames, TRACK_END, STATS, an unreadable file
 * counted, CAMERA_END, ENROLL answers, exit 0 at EOF, EOF at its SIGKILL,
 * FATAL and exit 1 on a bad models dir, and the privilege drop. Last, a
 * worker shown frames with QR codes drawn here with libqrencode (skipped
 * without the models): CODE with exactly the text of each code of 1 to
 * WORKER_CODE_MAX - 1 bytes of ASCII, and nothing for a frame without a
 * code, a code of UTF-8 or one too long.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <qrencode.h>

#include "image.h"
#include "loop.h"
#include "track.h"
#include "worker.h"
#include "test.h"

/*
 * How long to wait for one message of the real worker: loading the models
 * and an SSD analysis under the sanitizers on a busy machine take seconds;
 * this only bounds a hung test.
 */
#define PEER_WAIT_MS	300000

/* The photos the file camera replays, and the one that is not an image. */
static const char *camera_photos[] = {
	"obama_1.jpg", NULL, "obama_2.jpg", "obama_3.jpg"
};
#define NCAMERA		(sizeof camera_photos / sizeof *camera_photos)
#define NREF		8

/* Descriptors face_engine_analyze gives for the camera's photos. */
static float	ref_desc[NREF][FACE_DESCRIPTOR];
static int	nref;

/* A photo that passes the quality gate alone, its descriptor and score. */
static char	enroll_path[512];
static float	enroll_desc[FACE_DESCRIPTOR];
static double	enroll_score;

/* Main's end of a worker. */
struct peer {
	pid_t			 pid;
	int			 fd;
	struct worker_reader	*in;
};

/* A message with a value in every field; BLOB (may be NULL) of LEN bytes. */
static void
sample(struct worker_msg *m, int type, uint8_t *blob, size_t len)
{
	int	i;

	memset(m, 0, sizeof *m);
	m->type = type;
	switch (type) {
	case WORKER_MSG_FATAL:
		snprintf(m->u.text, sizeof m->u.text, "models: caf\xc3\xa9 "
		    "\xe2\x82\xac \xf0\x9f\x98\x80 no such file");
		break;
	case WORKER_MSG_FACE:
		m->u.face.track = UINT64_MAX;
		m->u.face.time_ms = INT64_MIN;
		m->u.face.first_ms = -1;
		m->u.face.box.x = -12.25;
		m->u.face.box.y = 1e300;
		m->u.face.box.w = 0;
		m->u.face.box.h = 4.9e-324;	/* a subnormal */
		m->u.face.box.score = 0.987654321;
		m->u.face.quality_pass = 1;
		snprintf(m->u.face.reason, sizeof m->u.face.reason, "%s",
		    "too-bright");
		m->u.face.quality_score = -0.0;
		for (i = 0; i < FACE_DESCRIPTOR; i++)
			m->u.face.descriptor[i] = (float)sin(i) / 3.0f;
		m->u.face.descriptor[7] = -0.0f;
		m->u.face.descriptor[8] = 1e-45f;
		for (i = 0; i < FACE_LANDMARKS; i++) {
			m->u.face.landmarks[i][0] = i * 1.1;
			m->u.face.landmarks[i][1] = -i / 7.0;
		}
		m->u.face.jpeg = blob;
		m->u.face.jpeg_len = len;
		break;
	case WORKER_MSG_TRACK_END:
		m->u.end.track = 1;
		m->u.end.first_ms = 123456789;
		m->u.end.last_ms = INT64_MAX;
		m->u.end.frames = UINT32_MAX;
		break;
	case WORKER_MSG_STATS:
		m->u.stats.frames = 1ULL << 40;
		m->u.stats.analysed = 3;
		m->u.stats.dropped = 0;
		m->u.stats.errors = UINT64_MAX;
		m->u.stats.analyse_ms = 87.125;
		break;
	case WORKER_MSG_ENROLL:
		m->u.enroll.req = 0x0102030405060708ULL;
		m->u.enroll.photo = blob;
		m->u.enroll.len = len;
		break;
	case WORKER_MSG_ENROLL_RESULT:
		m->u.result.req = 42;
		m->u.result.ok = blob != NULL;
		snprintf(m->u.result.reason, sizeof m->u.result.reason,
		    blob != NULL ? "ok" : "3 faces: one face per photo");
		m->u.result.quality_score = 0.5;
		for (i = 0; i < FACE_DESCRIPTOR; i++)
			m->u.result.descriptor[i] = (float)i - 64.0f;
		m->u.result.jpeg = blob;
		m->u.result.jpeg_len = len;
		break;
	case WORKER_MSG_CODE:
		/* Both ends of printable ASCII. */
		m->u.code.time_ms = INT64_MIN + 1;
		snprintf(m->u.code.text, sizeof m->u.code.text, "%s",
		    "GH1:AEHR4LJ4 ~!{|}");
		break;
	default:
		break;
	}
}

/* Whether two blobs hold the same bytes. */
static int
same_blob(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	if (alen != blen || (alen == 0) != (a == NULL) ||
	    (blen == 0) != (b == NULL))
		return 0;
	return alen == 0 || memcmp(a, b, alen) == 0;
}

/* Whether two messages are the same, numbers compared bit by bit. */
static int
same_msg(const struct worker_msg *a, const struct worker_msg *b)
{
	const struct worker_face		*fa = &a->u.face;
	const struct worker_face		*fb = &b->u.face;
	const struct worker_enroll_result	*ra = &a->u.result;
	const struct worker_enroll_result	*rb = &b->u.result;

	if (a->type != b->type)
		return 0;
	switch (a->type) {
	case WORKER_MSG_FATAL:
		return strcmp(a->u.text, b->u.text) == 0;
	case WORKER_MSG_FACE:
		return fa->track == fb->track && fa->time_ms == fb->time_ms &&
		    fa->first_ms == fb->first_ms &&
		    memcmp(&fa->box, &fb->box, sizeof fa->box) == 0 &&
		    fa->quality_pass == fb->quality_pass &&
		    strcmp(fa->reason, fb->reason) == 0 &&
		    memcmp(&fa->quality_score, &fb->quality_score,
		    sizeof fa->quality_score) == 0 &&
		    memcmp(fa->descriptor, fb->descriptor,
		    sizeof fa->descriptor) == 0 &&
		    memcmp(fa->landmarks, fb->landmarks,
		    sizeof fa->landmarks) == 0 &&
		    same_blob(fa->jpeg, fa->jpeg_len, fb->jpeg, fb->jpeg_len);
	case WORKER_MSG_TRACK_END:
		return memcmp(&a->u.end, &b->u.end, sizeof a->u.end) == 0;
	case WORKER_MSG_STATS:
		return memcmp(&a->u.stats, &b->u.stats,
		    sizeof a->u.stats) == 0;
	case WORKER_MSG_ENROLL:
		return a->u.enroll.req == b->u.enroll.req &&
		    same_blob(a->u.enroll.photo, a->u.enroll.len,
		    b->u.enroll.photo, b->u.enroll.len);
	case WORKER_MSG_ENROLL_RESULT:
		return ra->req == rb->req && ra->ok == rb->ok &&
		    strcmp(ra->reason, rb->reason) == 0 &&
		    memcmp(&ra->quality_score, &rb->quality_score,
		    sizeof ra->quality_score) == 0 &&
		    memcmp(ra->descriptor, rb->descriptor,
		    sizeof ra->descriptor) == 0 &&
		    same_blob(ra->jpeg, ra->jpeg_len, rb->jpeg, rb->jpeg_len);
	case WORKER_MSG_CODE:
		return a->u.code.time_ms == b->u.code.time_ms &&
		    strcmp(a->u.code.text, b->u.code.text) == 0;
	default:
		return 1;
	}
}

/* Encodes, decodes and re-encodes M: the same message, the same bytes. */
static void
roundtrip(const struct worker_msg *m)
{
	struct worker_msg	 d;
	uint8_t			*buf, *buf2;
	size_t			 len, len2;
	char			*cause = NULL;

	if (worker_msg_encode(m, &buf, &len) != 0) {
		CHECK(!"encode failed");
		return;
	}
	CHECK_INT(buf[0] | buf[1] << 8 | buf[2] << 16 | (size_t)buf[3] << 24,
	    len - 4);
	CHECK_INT(buf[4], m->type);
	if (worker_msg_decode(buf, len, &d, &cause) != 0) {
		fprintf(stderr, "decode %s: %s\n", worker_msg_name(m->type),
		    cause);
		CHECK(!"decode failed");
		free(cause);
		free(buf);
		return;
	}
	CHECK(same_msg(m, &d));
	CHECK_INT(worker_msg_encode(&d, &buf2, &len2), 0);
	CHECK(len2 == len && memcmp(buf, buf2, len) == 0);
	free(buf2);
	worker_msg_clear(&d);
	free(buf);
}

TEST(test_roundtrip)
{
	struct worker_msg	m;
	uint8_t			blob[300];
	int			type;
	size_t			i;

	for (i = 0; i < sizeof blob; i++)
		blob[i] = (uint8_t)(i * 7);
	for (type = WORKER_MSG_READY; type <= WORKER_MSG_TYPE_MAX; type++) {
		sample(&m, type, blob, sizeof blob);
		roundtrip(&m);
		/* And without the blob. */
		sample(&m, type, NULL, 0);
		roundtrip(&m);
	}
	/* Empty strings. */
	sample(&m, WORKER_MSG_FATAL, NULL, 0);
	m.u.text[0] = '\0';
	roundtrip(&m);
	sample(&m, WORKER_MSG_FACE, NULL, 0);
	m.u.face.reason[0] = '\0';
	roundtrip(&m);
}

/* Encodes M into *BUF, *LEN. */
static void
encode(const struct worker_msg *m, uint8_t **buf, size_t *len)
{
	if (worker_msg_encode(m, buf, len) != 0) {
		fprintf(stderr, "cannot encode a %s\n",
		    worker_msg_name(m->type));
		abort();
	}
}

/* Sets the frame's u32 length to the size of BUF. */
static void
fix_length(uint8_t *buf, size_t len)
{
	size_t	n = len - 4;

	buf[0] = n & 0xff;
	buf[1] = (n >> 8) & 0xff;
	buf[2] = (n >> 16) & 0xff;
	buf[3] = (n >> 24) & 0xff;
}

/* Decodes BUF, which must fail with a cause holding WANT (or any cause). */
static void
refused(const uint8_t *buf, size_t len, const char *want)
{
	struct worker_msg	 m;
	char			*cause = NULL;

	if (worker_msg_decode(buf, len, &m, &cause) == 0) {
		fprintf(stderr, "%s: accepted a frame of %zu bytes (want %s)\n",
		    test_current, len, want != NULL ? want : "a refusal");
		CHECK(!"decoded");
		worker_msg_clear(&m);
		return;
	}
	CHECK(cause != NULL && *cause != '\0');
	if (want != NULL && cause != NULL && strstr(cause, want) == NULL) {
		fprintf(stderr, "%s: cause \"%s\", want \"%s\"\n",
		    test_current, cause, want);
		CHECK(!"wrong cause");
	}
	CHECK(m.type == 0 && m.u.face.jpeg == NULL);
	free(cause);
}

TEST(test_refuse_truncated)
{
	struct worker_msg	 m;
	uint8_t			 blob[40], *buf, *cut;
	size_t			 len, k;
	int			 type;

	memset(blob, 0xab, sizeof blob);
	for (type = WORKER_MSG_READY; type <= WORKER_MSG_TYPE_MAX; type++) {
		sample(&m, type, blob, sizeof blob);
		encode(&m, &buf, &len);
		cut = malloc(len);
		for (k = 0; k < len; k++) {
			/* Cut short: the length no longer matches. */
			memcpy(cut, buf, k);
			refused(cut, k, NULL);
			/* Cut short with a matching length: a field is. */
			if (k >= 5) {
				fix_length(cut, k);
				refused(cut, k, NULL);
			}
		}
		free(cut);
		free(buf);
	}
}

TEST(test_refuse_lengths)
{
	struct worker_msg	 m;
	uint8_t			*buf, *big;
	size_t			 len;

	sample(&m, WORKER_MSG_STATS, NULL, 0);
	encode(&m, &buf, &len);
	/* The length says one more or one less than there is. */
	buf[0]++;
	refused(buf, len, "does not match");
	buf[0] -= 2;
	refused(buf, len, "does not match");
	buf[0]++;
	/* One trailing byte, counted in the length. */
	big = malloc(len + 1);
	memcpy(big, buf, len);
	big[len] = 0;
	fix_length(big, len + 1);
	refused(big, len + 1, "trailing");
	free(big);
	free(buf);

	/* READY with a body. */
	sample(&m, WORKER_MSG_READY, NULL, 0);
	encode(&m, &buf, &len);
	big = malloc(len + 3);
	memcpy(big, buf, len);
	memset(big + len, 0, 3);
	fix_length(big, len + 3);
	refused(big, len + 3, "3 trailing bytes");
	free(big);
	free(buf);

	/* A frame too short for a type, and no frame at all. */
	refused((const uint8_t *)"\0\0\0\0", 4, "too short");
	refused(NULL, 0, "too short");
}

/* Offset of the first box double of a FACE frame, and of what follows. */
#define FACE_BOX_OFF	(5 + 8 + 8 + 8)
#define FACE_PASS_OFF	(FACE_BOX_OFF + 5 * 8)
#define FACE_REASON_OFF	(FACE_PASS_OFF + 1)

/* Writes the little-endian bits V of SIZE bytes at P. */
static void
poke(uint8_t *p, uint64_t v, int size)
{
	int	i;

	for (i = 0; i < size; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

TEST(test_refuse_numbers)
{
	struct worker_msg	 m;
	uint8_t			*buf;
	size_t			 len, desc_off, rlen, i;
	double			 bad[] = { NAN, INFINITY, -INFINITY };
	uint64_t		 bits;
	uint32_t		 fbits;
	uint8_t			 save[8];
	double			 neg = -1, over = 1.0000001;
	float			 f;

	sample(&m, WORKER_MSG_FACE, NULL, 0);
	encode(&m, &buf, &len);
	rlen = strlen(m.u.face.reason);
	desc_off = FACE_REASON_OFF + 2 + rlen + 8;

	for (i = 0; i < sizeof bad / sizeof *bad; i++) {
		memcpy(&bits, &bad[i], sizeof bits);
		memcpy(save, buf + FACE_BOX_OFF, 8);
		poke(buf + FACE_BOX_OFF, bits, 8);
		refused(buf, len, "box x is not finite");
		memcpy(buf + FACE_BOX_OFF, save, 8);

		f = (float)bad[i];
		memcpy(&fbits, &f, sizeof fbits);
		memcpy(save, buf + desc_off + 4 * 5, 4);
		poke(buf + desc_off + 4 * 5, fbits, 4);
		refused(buf, len, "descriptor[5] is not finite");
		memcpy(buf + desc_off + 4 * 5, save, 4);

		/* The last landmark. */
		memcpy(save, buf + desc_off + 4 * FACE_DESCRIPTOR +
		    8 * (2 * FACE_LANDMARKS - 1), 8);
		poke(buf + desc_off + 4 * FACE_DESCRIPTOR +
		    8 * (2 * FACE_LANDMARKS - 1), bits, 8);
		refused(buf, len, "landmark[67][1] is not finite");
		memcpy(buf + desc_off + 4 * FACE_DESCRIPTOR +
		    8 * (2 * FACE_LANDMARKS - 1), save, 8);
	}
	/* A negative width, a score past 1, a flag of 2, track 0. */
	memcpy(save, buf + FACE_BOX_OFF + 16, 8);
	memcpy(&bits, &neg, sizeof bits);
	poke(buf + FACE_BOX_OFF + 16, bits, 8);
	refused(buf, len, "negative box size");
	memcpy(buf + FACE_BOX_OFF + 16, save, 8);

	memcpy(save, buf + FACE_BOX_OFF + 32, 8);
	memcpy(&bits, &over, sizeof bits);
	poke(buf + FACE_BOX_OFF + 32, bits, 8);
	refused(buf, len, "box score");
	memcpy(buf + FACE_BOX_OFF + 32, save, 8);

	buf[FACE_PASS_OFF] = 2;
	refused(buf, len, "quality pass is 2");
	buf[FACE_PASS_OFF] = 1;

	memcpy(save, buf + 5, 8);
	poke(buf + 5, 0, 8);
	refused(buf, len, "track id 0");
	memcpy(buf + 5, save, 8);
	/* Untouched, it still decodes. */
	roundtrip(&m);
	free(buf);

	/* The encoder refuses what the decoder would. */
	sample(&m, WORKER_MSG_FACE, NULL, 0);
	m.u.face.descriptor[100] = NAN;
	CHECK_INT(worker_msg_encode(&m, &buf, &len), -1);
	sample(&m, WORKER_MSG_STATS, NULL, 0);
	m.u.stats.analyse_ms = INFINITY;
	CHECK_INT(worker_msg_encode(&m, &buf, &len), -1);
	m.u.stats.analyse_ms = -1;
	CHECK_INT(worker_msg_encode(&m, &buf, &len), -1);
	sample(&m, WORKER_MSG_FACE, NULL, 0);
	m.u.face.box.h = -0.5;
	CHECK_INT(worker_msg_encode(&m, &buf, &len), -1);
	sample(&m, WORKER_MSG_FACE, NULL, 0);
	m.u.face.quality_pass = 2;
	CHECK_INT(worker_msg_encode(&m, &buf, &len), -1);
	sample(&m, WORKER_MSG_TRACK_END, NULL, 0);
	m.u.end.track = 0;
	CHECK_INT(worker_msg_encode(&m, &buf, &len), -1);
	/* ok without a photo, a photo without ok, a length without bytes. */
	sample(&m, WORKER_MSG_ENROLL_RESULT, NULL, 0);
	m.u.result.ok = 1;
	CHECK_INT(worker_msg_encode(&m, &buf, &len), -1);
	sample(&m, WORKER_MSG_ENROLL_RESULT, save, 1);
	m.u.result.ok = 0;
	CHECK_INT(worker_msg_encode(&m, &buf, &len), -1);
	sample(&m, WORKER_MSG_ENROLL, NULL, 0);
	m.u.enroll.len = 10;
	CHECK_INT(worker_msg_encode(&m, &buf, &len), -1);
}

TEST(test_refuse_types_strings)
{
	struct worker_msg	 m;
	uint8_t			*buf, *big;
	uint8_t			 bad_types[] = {
		0, WORKER_MSG_TYPE_MAX + 1, 255
	};
	char			*cause = NULL;
	size_t			 len, i;
	const char		*bad_text[] = {
		"tab\there", "new\nline", "del\x7f", "c1 \xc2\x85",
		"overlong \xc0\xaf", "surrogate \xed\xa0\x80",
		"cut \xe2\x82", "past \xf4\x90\x80\x80", "lone \x80"
	};

	sample(&m, WORKER_MSG_READY, NULL, 0);
	encode(&m, &buf, &len);
	for (i = 0; i < sizeof bad_types; i++) {
		buf[4] = bad_types[i];
		refused(buf, len, "unknown message type");
	}
	free(buf);

	/* Strings: control bytes, broken UTF-8, too long for the field. */
	for (i = 0; i < sizeof bad_text / sizeof *bad_text; i++) {
		len = 5 + 2 + strlen(bad_text[i]);
		big = malloc(len);
		fix_length(big, len);
		big[4] = WORKER_MSG_FATAL;
		poke(big + 5, strlen(bad_text[i]), 2);
		memcpy(big + 7, bad_text[i], strlen(bad_text[i]));
		refused(big, len, "not printable UTF-8");
		free(big);
	}
	len = 5 + 2 + 256;
	big = malloc(len);
	fix_length(big, len);
	big[4] = WORKER_MSG_FATAL;
	poke(big + 5, 256, 2);
	memset(big + 7, 'a', 256);
	refused(big, len, "too long");
	/* 255 bytes fit text[256]. */
	poke(big + 5, 255, 2);
	fix_length(big, len - 1);
	if (worker_msg_decode(big, len - 1, &m, &cause) == 0) {
		CHECK_INT(strlen(m.u.text), 255);
		worker_msg_clear(&m);
	} else {
		CHECK(!"255 bytes refused");
		free(cause);
	}
	free(big);

	/* A reason of 16 bytes does not fit reason[16]. */
	sample(&m, WORKER_MSG_FACE, NULL, 0);
	memset(m.u.face.reason, 'x', sizeof m.u.face.reason);
	CHECK_INT(worker_msg_encode(&m, &buf, &len), -1);
	m.u.face.reason[15] = '\0';
	roundtrip(&m);
	/* The encoder refuses what is not printable. */
	sample(&m, WORKER_MSG_FATAL, NULL, 0);
	snprintf(m.u.text, sizeof m.u.text, "a\nb");
	CHECK_INT(worker_msg_encode(&m, &buf, &len), -1);
}

/* A CODE frame of TIME_MS and the LEN bytes of TEXT, in *SIZE bytes. */
static uint8_t *
code_frame(int64_t time_ms, const char *text, size_t len, size_t *size)
{
	uint8_t	*buf;

	*size = 5 + 8 + 2 + len;
	buf = malloc(*size);
	fix_length(buf, *size);
	buf[4] = WORKER_MSG_CODE;
	poke(buf + 5, (uint64_t)time_ms, 8);
	poke(buf + 13, len, 2);
	memcpy(buf + 15, text, len);
	return buf;
}

TEST(test_code)
{
	struct worker_msg	 m;
	uint8_t			*buf, *cut;
	char			*cause = NULL, *big;
	size_t			 len, i;
#define BAD(s)	{ s, sizeof s - 1 }
	const struct {
		const char	*text;
		size_t		 len;
	}			 bad[] = {
		BAD("\x1f"), BAD("tab\there"), BAD("line\n"),
		BAD("nul\0inside"), BAD("del\x7f"), BAD("high\x80"),
		BAD("byte\xff"), BAD("caf\xc3\xa9")
	};
#undef BAD

	/* The shortest and the longest text, every printable byte. */
	big = malloc(WORKER_CODE_MAX + 1);
	for (i = 0; i < WORKER_CODE_MAX + 1; i++)
		big[i] = (char)(0x20 + i % (0x7f - 0x20));
	sample(&m, WORKER_MSG_CODE, NULL, 0);
	snprintf(m.u.code.text, sizeof m.u.code.text, "~");
	roundtrip(&m);
	memcpy(m.u.code.text, big, WORKER_CODE_MAX - 1);
	m.u.code.text[WORKER_CODE_MAX - 1] = '\0';
	m.u.code.time_ms = INT64_MAX;
	roundtrip(&m);
	buf = code_frame(-1, big, WORKER_CODE_MAX - 1, &len);
	if (worker_msg_decode(buf, len, &m, &cause) == 0) {
		CHECK_INT(m.type, WORKER_MSG_CODE);
		CHECK_INT(m.u.code.time_ms, -1);
		CHECK_INT(strlen(m.u.code.text), WORKER_CODE_MAX - 1);
		CHECK(memcmp(m.u.code.text, big, WORKER_CODE_MAX - 1) == 0);
		worker_msg_clear(&m);
	} else {
		fprintf(stderr, "%s: %s\n", test_current, cause);
		CHECK(!"the longest text refused");
		free(cause);
	}

	/* Truncated: in the time, in the length, in the text. */
	cut = malloc(len);
	for (i = 5; i < len; i++) {
		memcpy(cut, buf, i);
		fix_length(cut, i);
		refused(cut, i, i < 13 ? "truncated at time" :
		    "truncated at text");
	}
	free(cut);
	free(buf);

	/* Empty, too long, or not printable ASCII (UTF-8 included). */
	buf = code_frame(1000, "", 0, &len);
	refused(buf, len, "CODE: text is empty");
	free(buf);
	buf = code_frame(1000, big, WORKER_CODE_MAX, &len);
	refused(buf, len, "CODE: text of 1100 bytes is too long");
	free(buf);
	for (i = 0; i < sizeof bad / sizeof *bad; i++) {
		buf = code_frame(1000, bad[i].text, bad[i].len, &len);
		refused(buf, len, "CODE: text is not printable ASCII");
		free(buf);
	}
	/* A good frame with a byte more is refused too. */
	buf = code_frame(1000, "GH1:X", 5, &len);
	cut = malloc(len + 1);
	memcpy(cut, buf, len);
	cut[len] = 'Y';
	fix_length(cut, len + 1);
	refused(cut, len + 1, "trailing");
	free(cut);
	free(buf);

	/* The encoder refuses the same. */
	sample(&m, WORKER_MSG_CODE, NULL, 0);
	m.u.code.text[0] = '\0';
	CHECK_INT(worker_msg_encode(&m, &buf, &len), -1);
	for (i = 0; i < sizeof bad / sizeof *bad; i++) {
		if (memchr(bad[i].text, '\0', bad[i].len) != NULL)
			continue;
		sample(&m, WORKER_MSG_CODE, NULL, 0);
		memcpy(m.u.code.text, bad[i].text, bad[i].len + 1);
		CHECK_INT(worker_msg_encode(&m, &buf, &len), -1);
	}
	/* No NUL in the field: written at full length, refused. */
	memcpy(m.u.code.text, big, sizeof m.u.code.text);
	CHECK_INT(worker_msg_encode(&m, &buf, &len), -1);
	free(big);
}

TEST(test_text)
{
	char	buf[8], big[64];

	worker_msg_text(big, sizeof big, "plain text");
	CHECK_STR(big, "plain text");
	worker_msg_text(big, sizeof big, "a\nb\tc\x7f\x80\xc0\xaf\xc3\xa9");
	CHECK_STR(big, "a?b?c????\xc3\xa9");
	/* Cut on a character boundary: the euro sign does not fit. */
	worker_msg_text(buf, sizeof buf, "abcde\xe2\x82\xac");
	CHECK_STR(buf, "abcde");
	worker_msg_text(buf, sizeof buf, "abcd\xe2\x82\xac");
	CHECK_STR(buf, "abcd\xe2\x82\xac");
	worker_msg_text(buf, sizeof buf, "");
	CHECK_STR(buf, "");
}

TEST(test_oversized)
{
	struct worker_msg	 m, d;
	uint8_t			*blob, *buf;
	size_t			 len;
	char			*cause = NULL;

	blob = calloc(1, WORKER_ENROLL_PHOTO_MAX + 1);
	/* A FACE past WORKER_MSG_MAX cannot be sent. */
	sample(&m, WORKER_MSG_FACE, blob, WORKER_MSG_MAX);
	CHECK_INT(worker_msg_encode(&m, &buf, &len), -1);
	/* An ENROLL of the largest photo can, one byte more cannot. */
	sample(&m, WORKER_MSG_ENROLL, blob, WORKER_ENROLL_PHOTO_MAX);
	if (worker_msg_encode(&m, &buf, &len) == 0) {
		CHECK(len <= WORKER_MSG_MAX_ENROLL);
		CHECK_INT(worker_msg_decode(buf, len, &d, &cause), 0);
		CHECK_INT(d.u.enroll.len, WORKER_ENROLL_PHOTO_MAX);
		worker_msg_clear(&d);
		/* The same bytes typed as a FACE frame are over its limit. */
		buf[4] = WORKER_MSG_FACE;
		refused(buf, len, "over the limit");
		free(buf);
	} else
		CHECK(!"largest photo refused");
	sample(&m, WORKER_MSG_ENROLL, blob, WORKER_ENROLL_PHOTO_MAX + 1);
	CHECK_INT(worker_msg_encode(&m, &buf, &len), -1);
	free(blob);
}

/* Encodes the samples of every type into one stream. */
static uint8_t *
sample_stream(size_t *len, int *count)
{
	struct worker_msg	 m;
	uint8_t			*stream = NULL, *buf, blob[1000];
	size_t			 blen, i;
	int			 type, rep;

	for (i = 0; i < sizeof blob; i++)
		blob[i] = (uint8_t)(i ^ 0x5a);
	*len = 0;
	*count = 0;
	for (rep = 0; rep < 2; rep++) {
		for (type = WORKER_MSG_READY; type <= WORKER_MSG_TYPE_MAX;
		    type++) {
			sample(&m, type, rep ? NULL : blob, rep ? 0 :
			    sizeof blob);
			encode(&m, &buf, &blen);
			stream = realloc(stream, *len + blen);
			memcpy(stream + *len, buf, blen);
			*len += blen;
			(*count)++;
			free(buf);
		}
	}
	return stream;
}

/* Takes every message out of R and checks it against the samples. */
static void
drain_samples(struct worker_reader *r, int *got)
{
	struct worker_msg	 m, want;
	uint8_t			 blob[1000];
	char			*cause = NULL;
	size_t			 i;
	int			 ret, n, type, rep;

	for (i = 0; i < sizeof blob; i++)
		blob[i] = (uint8_t)(i ^ 0x5a);
	while ((ret = worker_reader_next(r, &m, &cause)) == 1) {
		n = WORKER_MSG_TYPE_MAX;
		rep = *got / n;
		type = WORKER_MSG_READY + *got % n;
		sample(&want, type, rep ? NULL : blob, rep ? 0 : sizeof blob);
		CHECK(same_msg(&m, &want));
		worker_msg_clear(&m);
		(*got)++;
	}
	if (ret == -1) {
		fprintf(stderr, "%s: %s\n", test_current, cause);
		CHECK(!"reader refused a good stream");
		free(cause);
	}
}

TEST(test_reader_bytes)
{
	struct worker_reader	*r;
	uint8_t			*stream;
	size_t			 len, off, chunk;
	uint32_t		 rng = 1;
	int			 count, got;

	stream = sample_stream(&len, &count);

	/* Byte by byte. */
	r = worker_reader_new(WORKER_MSG_MAX);
	got = 0;
	for (off = 0; off < len; off++) {
		CHECK_INT(worker_reader_feed(r, stream + off, 1), 1);
		drain_samples(r, &got);
	}
	CHECK_INT(got, count);
	worker_reader_free(r);

	/* Chunks of odd sizes. */
	r = worker_reader_new(WORKER_MSG_MAX);
	got = 0;
	for (off = 0; off < len; off += chunk) {
		rng = rng * 1103515245u + 12345;
		chunk = 1 + (rng >> 16) % 3000;
		if (chunk > len - off)
			chunk = len - off;
		CHECK_INT(worker_reader_feed(r, stream + off, chunk), chunk);
		drain_samples(r, &got);
	}
	CHECK_INT(got, count);
	worker_reader_free(r);

	/* Through a socket, all at once. */
	{
		int	sv[2];

		CHECK_INT(socketpair(AF_UNIX, SOCK_STREAM|SOCK_NONBLOCK, 0,
		    sv), 0);
		CHECK_INT(write(sv[0], stream, len), len);
		close(sv[0]);
		r = worker_reader_new(WORKER_MSG_MAX);
		got = 0;
		while (worker_reader_read(r, sv[1]) > 0)
			drain_samples(r, &got);
		CHECK_INT(got, count);
		worker_reader_free(r);
		close(sv[1]);
	}
	free(stream);
}

TEST(test_reader_oversized)
{
	struct worker_reader	*r;
	struct worker_msg	 m;
	uint8_t			 hdr[4], *junk;
	char			*cause = NULL;
	size_t			 max = 1000;
	int			 sv[2], n;

	/* A length over the limit is refused as soon as it is read. */
	r = worker_reader_new(max);
	poke(hdr, 5000, 4);
	CHECK_INT(worker_reader_feed(r, hdr, 3), 3);
	CHECK_INT(worker_reader_next(r, &m, &cause), 0);
	CHECK_INT(worker_reader_feed(r, hdr + 3, 1), 1);
	CHECK_INT(worker_reader_next(r, &m, &cause), -1);
	CHECK(cause != NULL && strstr(cause, "over the limit") != NULL);
	free(cause);
	cause = NULL;
	/* Unusable after it. */
	CHECK_INT(worker_reader_next(r, &m, &cause), -1);
	free(cause);
	cause = NULL;
	CHECK_INT(worker_reader_feed(r, hdr, 1), -1);
	CHECK_INT(errno, EBADMSG);
	worker_reader_free(r);

	/*
	 * Through a socket with a megabyte waiting: the reader holds no
	 * more than the limit and a chunk when it refuses.
	 */
	CHECK_INT(socketpair(AF_UNIX, SOCK_STREAM|SOCK_NONBLOCK, 0, sv), 0);
	junk = calloc(1, 1 << 20);
	poke(junk, (1 << 21), 4);
	r = worker_reader_new(max);
	n = (int)write(sv[0], junk, 1 << 20);
	CHECK(n > 0);
	CHECK(worker_reader_read(r, sv[1]) > 0);
	CHECK(worker_reader_capacity(r) <= max + WORKER_READ_CHUNK);
	CHECK_INT(worker_reader_next(r, &m, &cause), -1);
	free(cause);
	cause = NULL;
	CHECK_INT(worker_reader_read(r, sv[1]), -1);
	CHECK_INT(errno, EBADMSG);
	worker_reader_free(r);

	/* A frame of exactly the limit is fine; a zero length is not. */
	{
		size_t	flen = WORKER_MSG_MAX;
		uint8_t	*frame = calloc(1, flen);
		size_t	off = 0;

		fix_length(frame, flen);
		frame[4] = WORKER_MSG_ENROLL;
		poke(frame + 5, 9, 8);
		poke(frame + 13, flen - 17, 4);
		r = worker_reader_new(flen);
		while (off < flen) {
			ssize_t	k = worker_reader_feed(r, frame + off,
			    flen - off);

			CHECK(k > 0);
			if (k <= 0)
				break;
			off += (size_t)k;
			CHECK(worker_reader_capacity(r) <=
			    flen + WORKER_READ_CHUNK);
			if (off < flen)
				CHECK_INT(worker_reader_next(r, &m, &cause), 0);
		}
		CHECK_INT(worker_reader_next(r, &m, &cause), 1);
		CHECK_INT(m.type, WORKER_MSG_ENROLL);
		CHECK_INT(m.u.enroll.req, 9);
		CHECK_INT(m.u.enroll.len, flen - 17);
		worker_msg_clear(&m);
		worker_reader_free(r);
		free(frame);

		r = worker_reader_new(max);
		memset(hdr, 0, sizeof hdr);
		CHECK_INT(worker_reader_feed(r, hdr, 4), 4);
		CHECK_INT(worker_reader_next(r, &m, &cause), -1);
		free(cause);
		cause = NULL;
		worker_reader_free(r);
	}
	/* A frame that does not decode breaks the stream too. */
	r = worker_reader_new(max);
	CHECK_INT(worker_reader_feed(r, "\x01\0\0\0\x63\x05\0\0\0\x02", 10),
	    10);
	CHECK_INT(worker_reader_next(r, &m, &cause), -1);
	CHECK(cause != NULL && strstr(cause, "unknown message type") != NULL);
	free(cause);
	worker_reader_free(r);

	free(junk);
	close(sv[0]);
	close(sv[1]);
}

TEST(test_writer)
{
	struct worker_writer	*w;
	struct worker_reader	*r;
	struct worker_msg	 m, d;
	uint8_t			*photo;
	char			*cause = NULL;
	size_t			 plen = 3 << 20;
	int			 sv[2], sent = 0, got = 0, done = 0, i, ret;

	CHECK_INT(socketpair(AF_UNIX, SOCK_STREAM|SOCK_NONBLOCK, 0, sv), 0);
	photo = malloc(plen);
	for (i = 0; i < (int)plen; i++)
		photo[i] = (uint8_t)(i * 31 >> 3);
	w = worker_writer_new();
	r = worker_reader_new(WORKER_MSG_MAX_ENROLL);
	CHECK_INT(worker_writer_pending(w), 0);
	CHECK_INT(worker_writer_flush(w, sv[0]), 1);

	/* Three big requests: more than the socket takes at once. */
	for (i = 0; i < 3; i++) {
		sample(&m, WORKER_MSG_ENROLL, photo, plen);
		m.u.enroll.req = (uint64_t)i + 1;
		CHECK_INT(worker_writer_add(w, &m), 0);
		sent++;
	}
	CHECK(worker_writer_pending(w) > 3 * plen);
	/* Nothing is queued for a message that cannot be encoded. */
	sample(&m, WORKER_MSG_ENROLL, NULL, 5);
	CHECK_INT(worker_writer_add(w, &m), -1);
	CHECK(worker_writer_pending(w) > 3 * plen);

	CHECK_INT(worker_writer_flush(w, sv[0]), 0);
	while (got < sent) {
		if (!done && (ret = worker_writer_flush(w, sv[0])) != 0) {
			CHECK_INT(ret, 1);
			done = 1;
		}
		if (worker_reader_read(r, sv[1]) == -1 && errno != EAGAIN) {
			CHECK(!"read failed");
			break;
		}
		while ((ret = worker_reader_next(r, &d, &cause)) == 1) {
			CHECK_INT(d.type, WORKER_MSG_ENROLL);
			CHECK_INT(d.u.enroll.req, got + 1);
			CHECK(same_blob(d.u.enroll.photo, d.u.enroll.len,
			    photo, plen));
			worker_msg_clear(&d);
			got++;
		}
		CHECK(ret == 0);
		if (ret == -1) {
			free(cause);
			break;
		}
	}
	CHECK_INT(worker_writer_pending(w), 0);
	CHECK_INT(worker_writer_flush(w, sv[0]), 1);

	/* A peer that has gone: an error, not a signal (ignored here). */
	signal(SIGPIPE, SIG_IGN);
	close(sv[1]);
	sample(&m, WORKER_MSG_READY, NULL, 0);
	CHECK_INT(worker_writer_add(w, &m), 0);
	CHECK_INT(worker_writer_flush(w, sv[0]), -1);
	CHECK_INT(errno, EPIPE);
	CHECK_INT(worker_msg_write(sv[0], &m, &cause), -1);
	CHECK_INT(errno, EPIPE);
	free(cause);
	signal(SIGPIPE, SIG_DFL);

	worker_writer_free(w);
	worker_reader_free(r);
	free(photo);
	close(sv[0]);
}

/* The options of a worker on the file camera DIR. */
static void
peer_opts(struct worker_opts *o, const char *camera, const char *models)
{
	memset(o, 0, sizeof *o);
	o->camera = camera;
	o->fps = 30;
	o->loop = 0;
	o->models_dir = models;
	o->detector = FACE_DETECTOR_SSD;
	o->recent = 7;
}

/* Spawns a worker. */
static int
peer_open(struct peer *p, const struct worker_opts *o)
{
	char	*cause = NULL;

	memset(p, 0, sizeof *p);
	if ((p->pid = worker_spawn(o, &p->fd, &cause)) == -1) {
		fprintf(stderr, "worker_spawn: %s\n", cause);
		free(cause);
		CHECK(!"spawn failed");
		return -1;
	}
	CHECK(fcntl(p->fd, F_GETFL) & O_NONBLOCK);
	CHECK(fcntl(p->fd, F_GETFD) & FD_CLOEXEC);
	p->in = worker_reader_new(WORKER_MSG_MAX);
	return 0;
}

/* The next message: 1, 0 at EOF, -1 on a bad frame or after the wait. */
static int
peer_next(struct peer *p, struct worker_msg *m)
{
	struct pollfd	 pfd = { .fd = p->fd, .events = POLLIN };
	int64_t		 deadline = loop_now_ms() + PEER_WAIT_MS;
	char		*cause = NULL;
	int		 r, n;

	for (;;) {
		if ((r = worker_reader_next(p->in, m, &cause)) != 0) {
			if (r == -1) {
				fprintf(stderr, "%s: bad frame: %s\n",
				    test_current, cause);
				free(cause);
			}
			return r;
		}
		n = poll(&pfd, 1, (int)(deadline - loop_now_ms()));
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			fprintf(stderr, "%s: no message from the worker\n",
			    test_current);
			return -1;
		}
		n = worker_reader_read(p->in, p->fd);
		if (n == 0)
			return 0;
		if (n == -1 && errno != EAGAIN)
			return -1;
	}
}

/* Waits for the worker's exit; its status. */
static int
peer_wait(struct peer *p)
{
	int	status;

	while (waitpid(p->pid, &status, 0) == -1)
		if (errno != EINTR)
			return -1;
	return status;
}

static void
peer_close(struct peer *p)
{
	if (p->fd != -1)
		close(p->fd);
	p->fd = -1;
	worker_reader_free(p->in);
	p->in = NULL;
}

/* Whether DESC is within 1e-5 of a reference descriptor, component-wise. */
static int
matches_ref(const float *desc, const float *ref)
{
	int	i;

	for (i = 0; i < FACE_DESCRIPTOR; i++)
		if (fabs((double)desc[i] - ref[i]) > 1e-5)
			return 0;
	return 1;
}

/* Whether JPEG decodes to a non-empty image. */
static int
jpeg_ok(const uint8_t *jpeg, size_t len)
{
	struct image	*img;
	char		*cause = NULL;
	int		 ok;

	if (jpeg == NULL || len < 4 || jpeg[0] != 0xff || jpeg[1] != 0xd8)
		return 0;
	if (image_decode(jpeg, len, IMAGE_MAX_PIXELS, &img, &cause) != 0) {
		fprintf(stderr, "%s: crop: %s\n", test_current, cause);
		free(cause);
		return 0;
	}
	ok = img->w > 0 && img->h > 0;
	image_free(img);
	return ok;
}

/* Makes the camera directory: the photos, named in order, and a bad file. */
static const char *
camera_dir(const char *faces)
{
	static char	dir[512];
	char		src[512], dst[600];
	FILE		*f;
	size_t		 i;
	char		 abs[PATH_MAX];

	snprintf(dir, sizeof dir, "%s/camera", test_tmpdir());
	if (mkdir(dir, 0755) != 0 && errno != EEXIST)
		return NULL;
	for (i = 0; i < NCAMERA; i++) {
		snprintf(dst, sizeof dst, "%s/%03zu.jpg", dir, i);
		if (camera_photos[i] == NULL) {
			if ((f = fopen(dst, "w")) == NULL)
				return NULL;
			fputs("this is not a JPEG\n", f);
			fclose(f);
			continue;
		}
		snprintf(src, sizeof src, "%s/%s", faces, camera_photos[i]);
		/* A link is resolved from its own folder: make it absolute. */
		if (realpath(src, abs) == NULL)
			return NULL;
		if (symlink(abs, dst) != 0 && errno != EEXIST)
			return NULL;
	}
	return dir;
}

/* One track's FACE messages as main saw them. */
struct seen_track {
	uint64_t	id;
	int64_t		first_ms;
	int64_t		last_ms;
	unsigned	faces;
	int		ended;
};

/* Sends three ENROLL requests and checks the answers. */
static void
check_enroll(struct peer *p, const char *faces)
{
	struct worker_writer	*w;
	struct worker_msg	 m;
	struct pollfd		 pfd = { .fd = p->fd, .events = POLLOUT };
	char			 path[512];
	uint8_t			*photo, *group;
	uint8_t			 garbage[] = "GIF89a garbage";
	size_t			 plen, glen;
	int			 r, i;

	if ((photo = (uint8_t *)test_read_file(enroll_path, &plen)) == NULL) {
		CHECK(!"cannot read the enrolment photo");
		return;
	}
	snprintf(path, sizeof path, "%s/group_obama_biden.jpg", faces);
	if ((group = (uint8_t *)test_read_file(path, &glen)) == NULL) {
		CHECK(!"cannot read the group photo");
		free(photo);
		return;
	}
	w = worker_writer_new();
	sample(&m, WORKER_MSG_ENROLL, photo, plen);
	m.u.enroll.req = 101;
	CHECK_INT(worker_writer_add(w, &m), 0);
	m.u.enroll.req = 102;
	m.u.enroll.photo = group;
	m.u.enroll.len = glen;
	CHECK_INT(worker_writer_add(w, &m), 0);
	m.u.enroll.req = 103;
	m.u.enroll.photo = garbage;
	m.u.enroll.len = sizeof garbage;
	CHECK_INT(worker_writer_add(w, &m), 0);
	while ((r = worker_writer_flush(w, p->fd)) == 0)
		poll(&pfd, 1, PEER_WAIT_MS);
	CHECK_INT(r, 1);
	worker_writer_free(w);
	free(photo);
	free(group);

	for (i = 0; i < 3; i++) {
		if (peer_next(p, &m) != 1) {
			CHECK(!"no ENROLL_RESULT");
			return;
		}
		CHECK_INT(m.type, WORKER_MSG_ENROLL_RESULT);
		if (m.type != WORKER_MSG_ENROLL_RESULT) {
			worker_msg_clear(&m);
			continue;
		}
		CHECK_INT(m.u.result.req, 101 + i);
		switch (i) {
		case 0:
			if (!m.u.result.ok)
				fprintf(stderr, "%s: %s refused: %s\n",
				    test_current, enroll_path,
				    m.u.result.reason);
			CHECK_INT(m.u.result.ok, 1);
			CHECK_STR(m.u.result.reason, "ok");
			CHECK(matches_ref(m.u.result.descriptor, enroll_desc));
			CHECK_NEAR(m.u.result.quality_score, enroll_score,
			    1e-9);
			CHECK(jpeg_ok(m.u.result.jpeg, m.u.result.jpeg_len));
			break;
		case 1:
			CHECK_INT(m.u.result.ok, 0);
			CHECK(strstr(m.u.result.reason, "faces") != NULL);
			CHECK(m.u.result.jpeg == NULL);
			break;
		case 2:
			CHECK_INT(m.u.result.ok, 0);
			CHECK(strncmp(m.u.result.reason, "not an image",
			    12) == 0);
			CHECK(m.u.result.jpeg == NULL);
			break;
		}
		worker_msg_clear(&m);
	}
}

/* The real worker on a file camera, then enrolment, then EOF. */
TEST(test_worker_camera)
{
	struct worker_opts	 o;
	struct worker_msg	 m;
	struct worker_stats	 last;
	struct seen_track	 tracks[16];
	struct peer		 p;
	const char		*faces = getenv("GATEHOUSE_FACES");
	const char		*models = getenv("GATEHOUSE_MODELS");
	const char		*dir;
	char			 camera[600];
	int64_t			 frame_ms[16];
	int			 ntracks = 0, nframes = 0, nface = 0;
	int			 nstats = 0;
	int			 ended = 0, r, i, j, status;

	if (faces == NULL || models == NULL || nref == 0) {
		test_skip("GATEHOUSE_MODELS or GATEHOUSE_FACES unset");
		return;
	}
	if ((dir = camera_dir(faces)) == NULL) {
		CHECK(!"cannot make the camera directory");
		return;
	}
	snprintf(camera, sizeof camera, "file:%s", dir);
	peer_opts(&o, camera, models);
	if (peer_open(&p, &o) != 0)
		return;

	memset(&last, 0, sizeof last);
	r = peer_next(&p, &m);
	CHECK_INT(r, 1);
	CHECK_INT(m.type, WORKER_MSG_READY);
	if (m.type == WORKER_MSG_FATAL)
		fprintf(stderr, "FATAL: %s\n", m.u.text);
	worker_msg_clear(&m);

	while (!ended && (r = peer_next(&p, &m)) == 1) {
		switch (m.type) {
		case WORKER_MSG_FACE:
			nface++;
			for (i = 0; i < nref; i++)
				if (matches_ref(m.u.face.descriptor,
				    ref_desc[i]))
					break;
			CHECK(i < nref);
			for (i = 0; i < ntracks; i++)
				if (tracks[i].id == m.u.face.track)
					break;
			if (i == ntracks && ntracks < 16) {
				/* A new track: its first frame is its best. */
				CHECK(m.u.face.track > (ntracks > 0 ?
				    tracks[ntracks - 1].id : 0));
				CHECK_INT(m.u.face.first_ms, m.u.face.time_ms);
				CHECK(m.u.face.jpeg != NULL);
				tracks[i].id = m.u.face.track;
				tracks[i].first_ms = m.u.face.first_ms;
				tracks[i].faces = 0;
				tracks[i].ended = 0;
				ntracks++;
			}
			if (i < ntracks) {
				CHECK(!tracks[i].ended);
				CHECK_INT(m.u.face.first_ms,
				    tracks[i].first_ms);
				tracks[i].last_ms = m.u.face.time_ms;
				tracks[i].faces++;
			}
			if (m.u.face.jpeg != NULL)
				CHECK(jpeg_ok(m.u.face.jpeg,
				    m.u.face.jpeg_len));
			CHECK(strcmp(m.u.face.reason, "ok") == 0 ?
			    m.u.face.quality_pass : !m.u.face.quality_pass);
			for (j = 0; j < nframes; j++)
				if (frame_ms[j] == m.u.face.time_ms)
					break;
			if (j == nframes && nframes < 16) {
				/* Frames come in time order. */
				CHECK(nframes == 0 ||
				    frame_ms[nframes - 1] < m.u.face.time_ms);
				frame_ms[nframes++] = m.u.face.time_ms;
			}
			break;
		case WORKER_MSG_TRACK_END:
			for (i = 0; i < ntracks; i++)
				if (tracks[i].id == m.u.end.track)
					break;
			CHECK(i < ntracks);
			if (i == ntracks)
				break;
			CHECK(!tracks[i].ended);
			tracks[i].ended = 1;
			CHECK_INT(m.u.end.first_ms, tracks[i].first_ms);
			CHECK_INT(m.u.end.last_ms, tracks[i].last_ms);
			CHECK_INT(m.u.end.frames, tracks[i].faces);
			break;
		case WORKER_MSG_STATS:
			nstats++;
			CHECK(m.u.stats.frames >= last.frames);
			last = m.u.stats;
			break;
		case WORKER_MSG_CAMERA_END:
			ended = 1;
			break;
		default:
			fprintf(stderr, "%s: unexpected %s\n", test_current,
			    worker_msg_name(m.type));
			CHECK(!"unexpected message");
			break;
		}
		worker_msg_clear(&m);
	}
	CHECK_INT(r, 1);
	CHECK(ended);
	CHECK(nface >= 1);
	CHECK(ntracks >= 1);
	for (i = 0; i < ntracks; i++)
		CHECK(tracks[i].ended);
	/* The last STATS, sent just before CAMERA_END, has every frame. */
	CHECK(nstats >= 1);
	CHECK_INT(last.frames, NCAMERA - 1);
	CHECK_INT(last.errors, 1);
	CHECK_INT(last.analysed + last.dropped, last.frames);
	/* Every analysed photo has a face; the first is never late. */
	CHECK_INT(last.analysed, nframes);
	CHECK(last.analysed >= 1);
	fprintf(stderr, "%s: %llu of %llu frames analysed, %.1f ms each "
	    "(last period)\n", test_current,
	    (unsigned long long)last.analysed,
	    (unsigned long long)last.frames, last.analyse_ms);

	/* After the camera's end the worker still serves enrolment. */
	check_enroll(&p, faces);

	/* EOF from main: the worker exits 0. */
	peer_close(&p);
	status = peer_wait(&p);
	CHECK(WIFEXITED(status));
	CHECK_INT(WEXITSTATUS(status), 0);
}

/* A worker killed by SIGKILL: main reads EOF. */
TEST(test_worker_kill)
{
	struct worker_opts	 o;
	struct worker_msg	 m;
	struct peer		 p;
	const char		*faces = getenv("GATEHOUSE_FACES");
	const char		*models = getenv("GATEHOUSE_MODELS");
	const char		*dir;
	char			 camera[600];
	int			 r, status;

	if (faces == NULL || models == NULL || nref == 0) {
		test_skip("GATEHOUSE_MODELS or GATEHOUSE_FACES unset");
		return;
	}
	if ((dir = camera_dir(faces)) == NULL) {
		CHECK(!"cannot make the camera directory");
		return;
	}
	snprintf(camera, sizeof camera, "file:%s", dir);
	peer_opts(&o, camera, models);
	o.loop = 1;
	o.detector = FACE_DETECTOR_TINY;
	if (peer_open(&p, &o) != 0)
		return;
	CHECK_INT(peer_next(&p, &m), 1);
	CHECK_INT(m.type, WORKER_MSG_READY);
	worker_msg_clear(&m);
	kill(p.pid, SIGKILL);
	while ((r = peer_next(&p, &m)) == 1)
		worker_msg_clear(&m);
	CHECK_INT(r, 0);
	status = peer_wait(&p);
	CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	peer_close(&p);
}

/* A worker that cannot load its models: FATAL, then exit 1. */
TEST(test_worker_fatal)
{
	struct worker_opts	 o;
	struct worker_msg	 m;
	struct peer		 p;
	char			 camera[600];
	int			 status;

	snprintf(camera, sizeof camera, "file:%s", test_tmpdir());
	peer_opts(&o, camera, "/nonexistent/models");
	if (peer_open(&p, &o) != 0)
		return;
	CHECK_INT(peer_next(&p, &m), 1);
	CHECK_INT(m.type, WORKER_MSG_FATAL);
	CHECK(strlen(m.u.text) > 0);
	worker_msg_clear(&m);
	CHECK_INT(peer_next(&p, &m), 0);
	status = peer_wait(&p);
	CHECK(WIFEXITED(status));
	CHECK_INT(WEXITSTATUS(status), 1);
	peer_close(&p);
}

/* Reads the line of /proc/PID/status starting with KEY into BUF. */
static int
proc_status(pid_t pid, const char *key, char *buf, size_t len)
{
	char	path[64], line[256];
	FILE	*f;
	int	found = 0;

	snprintf(path, sizeof path, "/proc/%ld/status", (long)pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	while (fgets(line, sizeof line, f) != NULL) {
		if (strncmp(line, key, strlen(key)) == 0) {
			line[strcspn(line, "\n")] = '\0';
			snprintf(buf, len, "%s", line + strlen(key));
			found = 1;
			break;
		}
	}
	fclose(f);
	return found ? 0 : -1;
}

/* The privilege drop: to nobody, and never to root. */
TEST(test_worker_drop)
{
	struct worker_opts	 o;
	struct worker_msg	 m;
	struct peer		 p;
	const char		*faces = getenv("GATEHOUSE_FACES");
	const char		*models = getenv("GATEHOUSE_MODELS");
	const char		*dir;
	char			 camera[600], buf[128];
	int			 status;

	if (faces == NULL || models == NULL || nref == 0) {
		test_skip("GATEHOUSE_MODELS or GATEHOUSE_FACES unset");
		return;
	}
	if (geteuid() != 0) {
		test_skip("not root");
		return;
	}
	/* To root: refused. */
	snprintf(camera, sizeof camera, "file:%s", test_tmpdir());
	peer_opts(&o, camera, models);
	o.drop = 1;
	o.uid = 0;
	o.gid = 0;
	if (peer_open(&p, &o) != 0)
		return;
	CHECK_INT(peer_next(&p, &m), 1);
	CHECK_INT(m.type, WORKER_MSG_FATAL);
	CHECK(strstr(m.u.text, "root") != NULL);
	worker_msg_clear(&m);
	status = peer_wait(&p);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 1);
	peer_close(&p);

	/* To nobody, who must reach the camera directory. */
	if ((dir = camera_dir(faces)) == NULL) {
		CHECK(!"cannot make the camera directory");
		return;
	}
	chmod(test_tmpdir(), 0711);
	snprintf(camera, sizeof camera, "file:%s", dir);
	peer_opts(&o, camera, models);
	o.drop = 1;
	o.uid = 65534;
	o.gid = 65534;
	o.loop = 1;
	o.detector = FACE_DETECTOR_TINY;
	if (peer_open(&p, &o) != 0)
		return;
	CHECK_INT(peer_next(&p, &m), 1);
	if (m.type == WORKER_MSG_FATAL)
		fprintf(stderr, "%s: FATAL %s\n", test_current, m.u.text);
	CHECK_INT(m.type, WORKER_MSG_READY);
	worker_msg_clear(&m);
	CHECK_INT(proc_status(p.pid, "Uid:", buf, sizeof buf), 0);
	CHECK_STR(buf, "\t65534\t65534\t65534\t65534");
	CHECK_INT(proc_status(p.pid, "Gid:", buf, sizeof buf), 0);
	CHECK_STR(buf, "\t65534\t65534\t65534\t65534");
	CHECK_INT(proc_status(p.pid, "Groups:", buf, sizeof buf), 0);
	CHECK(strspn(buf, " \t") == strlen(buf));
	CHECK_INT(proc_status(p.pid, "NoNewPrivs:", buf, sizeof buf), 0);
	CHECK_STR(buf, "\t1");
	peer_close(&p);
	status = peer_wait(&p);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	chmod(test_tmpdir(), 0700);
}

/*
 * Draws TEXT as a QR code in the middle of IMG: level M, 8-bit, case
 * sensitive, PX pixels a module, in a white quiet zone of 4 modules. 0, or
 * -1 if it cannot be encoded or does not fit.
 */
static int
draw_qr(struct image *img, const char *text, int px)
{
	QRcode	*q;
	uint8_t	*p;
	int	 side, x0, y0, x, y, mx, my, dark;

	if ((q = QRcode_encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8,
	    1)) == NULL)
		return -1;
	side = (q->width + 8) * px;
	if (side > img->w || side > img->h) {
		QRcode_free(q);
		return -1;
	}
	x0 = (img->w - side) / 2;
	y0 = (img->h - side) / 2;
	for (y = 0; y < side; y++) {
		for (x = 0; x < side; x++) {
			mx = x / px - 4;
			my = y / px - 4;
			dark = mx >= 0 && my >= 0 && mx < q->width &&
			    my < q->width && (q->data[my * q->width + mx] & 1);
			p = img->rgb + 3 * ((size_t)(y0 + y) * img->w + x0 + x);
			memset(p, dark ? 0 : 255, 3);
		}
	}
	QRcode_free(q);
	return 0;
}

/* The frames of the QR test, in order. */
enum qr_frame {
	QR_PASS,	/* a pass-like text: sent */
	QR_NONE,	/* no code at all */
	QR_UTF8,	/* a text that is UTF-8, not ASCII: ignored */
	QR_LONGEST,	/* WORKER_CODE_MAX - 1 bytes: sent */
	QR_TOO_LONG,	/* WORKER_CODE_MAX bytes: ignored */
	NQR
};
#define QR_PASS_TEXT	"GH1:AEHR4LJ4TESTTEXT"

/*
 * Makes the camera directory of the QR test: 640x480 grey frames, each
 * with the code of its enum qr_frame. The long texts (in LONGEST and
 * TOO_LONG, lower-case letters so that they stay 8-bit) take 3 pixels a
 * module to fit.
 */
static const char *
qr_dir(char *longest, char *too_long)
{
	static char	 dir[512];
	struct image	*img;
	char		 path[600], *cause = NULL;
	const char	*text;
	size_t		 i;
	int		 k, x, y, px;

	for (i = 0; i < WORKER_CODE_MAX; i++)
		too_long[i] = (char)('a' + i % 26);
	too_long[WORKER_CODE_MAX] = '\0';
	memcpy(longest, too_long, WORKER_CODE_MAX - 1);
	longest[WORKER_CODE_MAX - 1] = '\0';

	snprintf(dir, sizeof dir, "%s/qr", test_tmpdir());
	if (mkdir(dir, 0755) != 0 && errno != EEXIST)
		return NULL;
	for (k = 0; k < NQR; k++) {
		img = image_new(640, 480);
		/* A grey ramp, so zbar has edges to look at everywhere. */
		for (y = 0; y < img->h; y++)
			for (x = 0; x < img->w; x++)
				memset(img->rgb + 3 * ((size_t)y * img->w + x),
				    96 + x / 8, 3);
		text = NULL;
		px = 4;
		switch (k) {
		case QR_PASS:
			text = QR_PASS_TEXT;
			break;
		case QR_UTF8:
			text = "GH1:caf\xc3\xa9";
			break;
		case QR_LONGEST:
			text = longest;
			px = 3;
			break;
		case QR_TOO_LONG:
			text = too_long;
			px = 3;
			break;
		}
		if (text != NULL && draw_qr(img, text, px) != 0) {
			fprintf(stderr, "%s: cannot draw code %d\n",
			    test_current, k);
			image_free(img);
			return NULL;
		}
		snprintf(path, sizeof path, "%s/%03d.ppm", dir, k);
		if (image_write_ppm(img, path, &cause) != 0) {
			fprintf(stderr, "%s: %s\n", test_current, cause);
			free(cause);
			image_free(img);
			return NULL;
		}
		image_free(img);
	}
	return dir;
}

/*
 * A worker shown frames with QR codes: CODE with exactly the text of the
 * codes that are 1 to WORKER_CODE_MAX - 1 bytes of printable ASCII, at
 * their frames' times; nothing for the other frames.
 */
TEST(test_worker_code)
{
	struct worker_opts	 o;
	struct face_engine_opts	 eo;
	struct face_engine	*fe;
	struct worker_msg	 m;
	struct worker_stats	 last;
	struct peer		 p;
	struct worker_code	 codes[8];
	const char		*models = test_models_dir(), *dir;
	char			 camera[600], *cause = NULL;
	char			*longest, *too_long;
	int64_t			 ready_ms, interval;
	int			 ncodes = 0, ended = 0, r, status;

	/* The worker cannot start without models: skip, do not fail. */
	face_engine_default_opts(&eo);
	eo.detector = FACE_DETECTOR_TINY;
	if ((fe = face_engine_new(models, &eo, &cause)) == NULL) {
		test_skip("%s", cause);
		free(cause);
		return;
	}
	face_engine_free(fe);

	longest = malloc(WORKER_CODE_MAX + 1);
	too_long = malloc(WORKER_CODE_MAX + 1);
	if ((dir = qr_dir(longest, too_long)) == NULL) {
		CHECK(!"cannot make the QR camera directory");
		goto out;
	}
	snprintf(camera, sizeof camera, "file:%s", dir);
	peer_opts(&o, camera, models);
	o.detector = FACE_DETECTOR_TINY;
	/*
	 * Two frames a second: no frame is late unless an analysis takes a
	 * second, so every frame is analysed, even under the sanitizers.
	 */
	o.fps = 2;
	interval = 500;
	if (peer_open(&p, &o) != 0)
		goto out;
	CHECK_INT(peer_next(&p, &m), 1);
	if (m.type == WORKER_MSG_FATAL)
		fprintf(stderr, "%s: FATAL %s\n", test_current, m.u.text);
	CHECK_INT(m.type, WORKER_MSG_READY);
	worker_msg_clear(&m);
	/* The camera opened before READY: the first frame's time is past. */
	ready_ms = loop_now_ms();

	memset(&last, 0, sizeof last);
	while (!ended && (r = peer_next(&p, &m)) == 1) {
		switch (m.type) {
		case WORKER_MSG_CODE:
			if (ncodes < (int)(sizeof codes / sizeof *codes))
				codes[ncodes] = m.u.code;
			ncodes++;
			break;
		case WORKER_MSG_STATS:
			last = m.u.stats;
			break;
		case WORKER_MSG_CAMERA_END:
			ended = 1;
			break;
		case WORKER_MSG_FACE:
		case WORKER_MSG_TRACK_END:
			/* A face seen in a code is not this test's business. */
			break;
		default:
			fprintf(stderr, "%s: unexpected %s\n", test_current,
			    worker_msg_name(m.type));
			CHECK(!"unexpected message");
			break;
		}
		worker_msg_clear(&m);
	}
	CHECK(ended);
	/* Every frame analysed, so the frames without CODE were seen. */
	CHECK_INT(last.frames, NQR);
	CHECK_INT(last.analysed, NQR);
	CHECK_INT(last.errors, 0);

	CHECK_INT(ncodes, 2);
	if (ncodes == 2) {
		CHECK_STR(codes[0].text, QR_PASS_TEXT);
		CHECK_STR(codes[1].text, longest);
		/* At the times of their frames, the first and the fourth. */
		CHECK(codes[0].time_ms <= ready_ms);
		CHECK_INT(codes[1].time_ms - codes[0].time_ms,
		    (QR_LONGEST - QR_PASS) * interval);
	}

	peer_close(&p);
	status = peer_wait(&p);
	CHECK(WIFEXITED(status));
	CHECK_INT(WEXITSTATUS(status), 0);
out:
	free(longest);
	free(too_long);
}

/*
 * The descriptors the worker should send, from face_engine_analyze in this
 * process (freed before any fork), and the enrolment photo: the first of
 * the camera's photos with one face that passes the quality gate.
 */
static void
reference(void)
{
	struct face_engine_opts	 o;
	struct face_engine	*fe;
	struct image		*img;
	struct face		*faces;
	struct quality		 q;
	const char		*dir = getenv("GATEHOUSE_FACES");
	const char		*models = getenv("GATEHOUSE_MODELS");
	char			 path[512], *cause = NULL;
	size_t			 i;
	int			 n, j;

	if (dir == NULL || models == NULL)
		return;
	face_engine_default_opts(&o);
	o.detector = FACE_DETECTOR_SSD;
	if ((fe = face_engine_new(models, &o, &cause)) == NULL) {
		fprintf(stderr, "test-worker: %s\n", cause);
		free(cause);
		return;
	}
	for (i = 0; i < NCAMERA; i++) {
		if (camera_photos[i] == NULL)
			continue;
		snprintf(path, sizeof path, "%s/%s", dir, camera_photos[i]);
		if (image_load(path, IMAGE_MAX_PIXELS, &img, &cause) != 0) {
			fprintf(stderr, "test-worker: %s\n", cause);
			free(cause);
			continue;
		}
		if (face_engine_analyze(fe, img, &faces, &n, &cause) != 0) {
			fprintf(stderr, "test-worker: %s\n", cause);
			free(cause);
			image_free(img);
			continue;
		}
		for (j = 0; j < n && nref < NREF; j++)
			memcpy(ref_desc[nref++], faces[j].descriptor,
			    sizeof ref_desc[0]);
		if (enroll_path[0] == '\0' && n == 1 &&
		    quality_check(img, &faces[0], NULL, &q) == 0) {
			snprintf(enroll_path, sizeof enroll_path, "%s", path);
			memcpy(enroll_desc, faces[0].descriptor,
			    sizeof enroll_desc);
			enroll_score = q.score;
		}
		free(faces);
		image_free(img);
	}
	face_engine_free(fe);
	if (enroll_path[0] == '\0') {
		fprintf(stderr, "test-worker: no photo passes the gate\n");
		nref = 0;
	}
}

int	main(void);

int
main(void)
{
	RUN(test_roundtrip);
	RUN(test_refuse_truncated);
	RUN(test_refuse_lengths);
	RUN(test_refuse_numbers);
	RUN(test_refuse_types_strings);
	RUN(test_code);
	RUN(test_text);
	RUN(test_oversized);
	RUN(test_reader_bytes);
	RUN(test_reader_oversized);
	RUN(test_writer);

	reference();
	RUN(test_worker_camera);
	RUN(test_worker_kill);
	RUN(test_worker_fatal);
	RUN(test_worker_drop);
	RUN(test_worker_code);
	return test_main_end("test-worker");
}
