/*
 * Tests of passes and PINs (agent/pass.c): the keyring on disk (creation,
 * reload, modes, foreign keys, rotation, retirement), issuing and
 * verifying every field, the refusal matrix, a token built and signed here
 * from doc/PASSES alone (with its own base32), the domain prefix, strict
 * text parsing, random mutations of valid tokens (PASS_MUTATIONS of them,
 * 20000 by default, a million in make check; none may verify), and PINs (uniformity, hashing,
 * checking, the kiosk's input). Times of signing, verifying and PIN
 * hashing are printed, never checked.
 */
#include <sys/stat.h>

#include <ctype.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>

#include "pass.h"
#include "test.h"

#define NOW		((int64_t)1800000000)	/* 2027-01-15 */
#define QR_ALNUM	"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"
#define B32		"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"

static int	dir_counter;

/* A fresh keyring directory path (not created). */
static char *
new_dir(void)
{
	char	*path;

	if (asprintf(&path, "%s/keys%d", test_tmpdir(), ++dir_counter) < 0)
		abort();
	return path;
}

static struct pass_keyring *
open_ok(const char *dir)
{
	struct pass_keyring	*kr;
	char			*cause = NULL;

	if (pass_keyring_open(dir, &kr, &cause) != 0) {
		fprintf(stderr, "pass_keyring_open %s: %s\n", dir, cause);
		free(cause);
		return NULL;
	}
	return kr;
}

/* Opening DIR must fail with a cause holding WHAT. */
static void
open_fails(const char *dir, const char *what)
{
	struct pass_keyring	*kr = NULL;
	char			*cause = NULL;

	CHECK_INT(pass_keyring_open(dir, &kr, &cause), -1);
	CHECK(kr == NULL);
	CHECK(cause != NULL && strstr(cause, what) != NULL);
	if (cause != NULL && strstr(cause, what) == NULL)
		fprintf(stderr, "cause: %s\n", cause);
	free(cause);
}

/* A pass valid around NOW for doors DOORS (comma separated, "" for all). */
static void
make_pass(struct pass *p, const char *doors)
{
	char	*copy, *d, *save = NULL;

	memset(p, 0, sizeof *p);
	p->visit = 17;
	p->person = 4;
	p->not_before = NOW - 3600;
	p->expiry = NOW + 3600;
	p->uses = 1;
	copy = strdup(doors);
	for (d = strtok_r(copy, ",", &save); d != NULL;
	    d = strtok_r(NULL, ",", &save))
		snprintf(p->doors[p->ndoors++], sizeof p->doors[0], "%s", d);
	free(copy);
}

static char *
issue_ok(struct pass_keyring *kr, struct pass *p)
{
	char	*text = NULL, *cause = NULL;

	if (pass_issue(kr, p, &text, &cause) != 0) {
		fprintf(stderr, "pass_issue: %s\n", cause);
		free(cause);
		test_failed_checks++;
		return strdup("");
	}
	return text;
}

/* Verifies TEXT at NOW for "front", trusted clock, 60 s skew. */
static enum pass_refusal
verify(struct pass_keyring *kr, const char *text, struct pass *out)
{
	struct pass		 tmp;
	enum pass_refusal	 why = PASS_OK;
	int			 r;

	r = pass_verify(kr, text, NOW, "front", 60, 1, out ? out : &tmp,
	    &why);
	if ((r == 0) != (why == PASS_OK))
		test_failed_checks++;
	return why;
}

static int
same_pass(const struct pass *a, const struct pass *b)
{
	int	i;

	if (a->key_id != b->key_id || memcmp(a->id, b->id, PASS_ID_LEN) != 0 ||
	    a->visit != b->visit || a->person != b->person ||
	    a->not_before != b->not_before || a->expiry != b->expiry ||
	    a->uses != b->uses || a->ndoors != b->ndoors)
		return 0;
	for (i = 0; i < a->ndoors; i++) {
		if (strcmp(a->doors[i], b->doors[i]) != 0)
			return 0;
	}
	return 1;
}

/* An independent base32 (RFC 4648, upper case, no padding). */
static char *
b32_encode(const uint8_t *in, size_t len)
{
	char	*out = malloc(len * 8 / 5 + 2);
	size_t	 bit, o = 0;
	int	 v, k;

	for (bit = 0; bit < len * 8; bit += 5) {
		v = 0;
		for (k = 0; k < 5; k++) {
			v <<= 1;
			if (bit + (size_t)k < len * 8)
				v |= (in[(bit + (size_t)k) / 8] >>
				    (7 - (bit + (size_t)k) % 8)) & 1;
		}
		out[o++] = B32[v];
	}
	out[o] = '\0';
	return out;
}

/* Decodes the base32 after "GH1:" into OUT; the length, or 0. */
static size_t
b32_decode(const char *text, uint8_t *out, size_t max)
{
	const char	*s = text + 4, *c;
	size_t		 n = strlen(s), len = n * 5 / 8, bit = 0, i;
	int		 k;

	if (len > max)
		return 0;
	memset(out, 0, len);
	for (i = 0; i < n; i++) {
		if ((c = strchr(B32, s[i])) == NULL || s[i] == '\0')
			return 0;
		for (k = 4; k >= 0; k--, bit++) {
			if (bit < len * 8 && (((c - B32) >> k) & 1))
				out[bit / 8] |= (uint8_t)(0x80 >> (bit % 8));
		}
	}
	return len;
}

/* "GH1:" and the base32 of BUF. */
static char *
text_of(const uint8_t *buf, size_t len)
{
	char	*b = b32_encode(buf, len), *t;

	if (asprintf(&t, "GH1:%s", b) < 0)
		abort();
	free(b);
	return t;
}

/* The private key of KEY_ID in DIR, read here with OpenSSL directly. */
static EVP_PKEY *
read_key(const char *dir, uint32_t key_id)
{
	EVP_PKEY	*pkey;
	FILE		*f;
	char		 path[512];

	snprintf(path, sizeof path, "%s/ed25519-%08x.pem", dir, key_id);
	if ((f = fopen(path, "r")) == NULL)
		return NULL;
	pkey = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	return pkey;
}

/* Signs PREFIX (PLEN bytes) + BODY with PKEY into SIG (64 bytes). */
static int
sign_raw(EVP_PKEY *pkey, const void *prefix, size_t plen,
    const uint8_t *body, size_t len, uint8_t *sig)
{
	EVP_MD_CTX	*ctx = EVP_MD_CTX_new();
	uint8_t		 msg[1024];
	size_t		 siglen = 64;
	int		 ok;

	memcpy(msg, prefix, plen);
	memcpy(msg + plen, body, len);
	ok = EVP_DigestSignInit(ctx, NULL, NULL, NULL, pkey) == 1 &&
	    EVP_DigestSign(ctx, sig, &siglen, msg, plen + len) == 1 &&
	    siglen == 64;
	EVP_MD_CTX_free(ctx);
	return ok ? 0 : -1;
}

static void
put_be(uint8_t *p, uint64_t v, int n)
{
	while (n-- > 0) {
		p[n] = (uint8_t)v;
		v >>= 8;
	}
}

static double
now_us(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

TEST(test_keyring_create)
{
	struct pass_keyring	*kr, *again;
	struct pass		 p, out;
	struct stat		 sb;
	char			*dir = new_dir(), path[512], *text, *t2;
	char			*cause = NULL;
	uint32_t		 id, ids[4];

	if ((kr = open_ok(dir)) == NULL) {
		test_failed_checks++;
		free(dir);
		return;
	}
	id = pass_keyring_current(kr);
	CHECK(id != 0);
	CHECK_INT(pass_keyring_ids(kr, ids, 4), 1);
	CHECK_INT(ids[0], id);
	CHECK(stat(dir, &sb) == 0 && (sb.st_mode & 07777) == 0700);
	snprintf(path, sizeof path, "%s/ed25519-%08x.pem", dir, id);
	CHECK(stat(path, &sb) == 0 && (sb.st_mode & 07777) == 0600);
	snprintf(path, sizeof path, "%s/current", dir);
	CHECK(stat(path, &sb) == 0 && sb.st_size == 9);

	make_pass(&p, "front");
	text = issue_ok(kr, &p);
	CHECK_INT(p.key_id, id);

	/* Reloaded: the same key (its passes verify, and sign the same). */
	again = open_ok(dir);
	CHECK(again != NULL);
	if (again != NULL) {
		CHECK_INT(pass_keyring_current(again), id);
		CHECK_INT(verify(again, text, &out), PASS_OK);
		CHECK(same_pass(&out, &p));
		CHECK_INT(pass_encode(again, &p, &t2, &cause), 0);
		CHECK_STR(t2, text);
		free(t2);
		pass_keyring_free(again);
	}
	free(text);
	pass_keyring_free(kr);

	/* A directory path that is a file. */
	snprintf(path, sizeof path, "%s/plain", test_tmpdir());
	CHECK(fclose(fopen(path, "w")) == 0);
	open_fails(path, "not a directory");
	free(dir);
}

TEST(test_keyring_modes)
{
	struct pass_keyring	*kr;
	EVP_PKEY		*ec;
	FILE			*f;
	char			*dir = new_dir(), key[512], other[512];
	char			 link_path[512];
	uint32_t		 id;

	if ((kr = open_ok(dir)) == NULL) {
		test_failed_checks++;
		free(dir);
		return;
	}
	id = pass_keyring_current(kr);
	pass_keyring_free(kr);
	snprintf(key, sizeof key, "%s/ed25519-%08x.pem", dir, id);

	CHECK(chmod(key, 0644) == 0);
	open_fails(dir, "mode 0644");
	CHECK(chmod(key, 0640) == 0);
	open_fails(dir, "mode 0640");
	CHECK(chmod(key, 0600) == 0);
	kr = open_ok(dir);
	CHECK(kr != NULL);
	pass_keyring_free(kr);

	/* Others may not add a key to the directory. */
	CHECK(chmod(dir, 0777) == 0);
	open_fails(dir, "writable");
	CHECK(chmod(dir, 0720) == 0);
	open_fails(dir, "writable");
	CHECK(chmod(dir, 0700) == 0);

	/* A key of another type, a garbage file, a link. */
	snprintf(other, sizeof other, "%s/ed25519-0badc0de.pem", dir);
	ec = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	CHECK(ec != NULL);
	f = fopen(other, "w");
	CHECK(f != NULL && PEM_write_PrivateKey(f, ec, NULL, NULL, 0, NULL,
	    NULL) == 1);
	fclose(f);
	EVP_PKEY_free(ec);
	CHECK(chmod(other, 0600) == 0);
	open_fails(dir, "not an Ed25519 key");
	f = fopen(other, "w");
	fputs("not a key\n", f);
	fclose(f);
	open_fails(dir, "not a PEM private key");
	CHECK(unlink(other) == 0);
	snprintf(link_path, sizeof link_path, "%s/ed25519-0badc0de.pem", dir);
	CHECK(symlink(key, link_path) == 0);
	open_fails(dir, "ed25519-0badc0de.pem");
	CHECK(unlink(link_path) == 0);

	/* Names that are not keys are left alone. */
	snprintf(other, sizeof other, "%s/ed25519-0BADC0DE.pem", dir);
	f = fopen(other, "w");
	fclose(f);
	snprintf(other, sizeof other, "%s/ed25519-00000000.pem", dir);
	f = fopen(other, "w");
	fclose(f);
	kr = open_ok(dir);
	CHECK(kr != NULL);
	pass_keyring_free(kr);

	/* "current" naming a key that is gone. */
	snprintf(other, sizeof other, "%s/current", dir);
	f = fopen(other, "w");
	fputs("12345678\n", f);
	fclose(f);
	open_fails(dir, "current key 12345678 is missing");
	f = fopen(other, "w");
	fputs("1234567\n", f);
	fclose(f);
	open_fails(dir, "not a key id");

	/* No "current": one key is adopted. */
	CHECK(unlink(other) == 0);
	kr = open_ok(dir);
	CHECK(kr != NULL && pass_keyring_current(kr) == id);
	pass_keyring_free(kr);
	free(dir);
}

TEST(test_keyring_rotate_retire)
{
	struct pass_keyring	*kr, *again;
	struct pass		 p1, p2, out;
	char			*dir = new_dir(), *t1, *t2, *cause = NULL;
	char			 path[512];
	uint32_t		 old, cur, ids[4];
	struct stat		 sb;

	if ((kr = open_ok(dir)) == NULL) {
		test_failed_checks++;
		free(dir);
		return;
	}
	old = pass_keyring_current(kr);
	make_pass(&p1, "front");
	t1 = issue_ok(kr, &p1);

	CHECK_INT(pass_keyring_rotate(kr, &cause), 0);
	cur = pass_keyring_current(kr);
	CHECK(cur != old && cur != 0);
	CHECK_INT(pass_keyring_ids(kr, ids, 4), 2);
	CHECK_INT(verify(kr, t1, &out), PASS_OK);
	CHECK_INT(out.key_id, old);
	make_pass(&p2, "front");
	t2 = issue_ok(kr, &p2);
	CHECK_INT(p2.key_id, cur);
	CHECK_INT(verify(kr, t2, &out), PASS_OK);
	CHECK_INT(out.key_id, cur);

	/* Reloaded: both keys, the new one current. */
	again = open_ok(dir);
	CHECK(again != NULL && pass_keyring_current(again) == cur);
	if (again != NULL) {
		CHECK_INT(pass_keyring_ids(again, ids, 4), 2);
		CHECK_INT(verify(again, t1, NULL), PASS_OK);
		pass_keyring_free(again);
	}

	/* The current key and unknown keys cannot be retired. */
	CHECK_INT(pass_keyring_retire(kr, cur, &cause), -1);
	CHECK(cause != NULL && strstr(cause, "current") != NULL);
	free(cause);
	cause = NULL;
	CHECK_INT(pass_keyring_retire(kr, 0x12345678, &cause), -1);
	free(cause);
	cause = NULL;

	CHECK_INT(pass_keyring_retire(kr, old, &cause), 0);
	CHECK_INT(verify(kr, t1, &out), PASS_BAD_SIGNATURE);
	CHECK_INT(out.key_id, 0);
	CHECK_INT(verify(kr, t2, NULL), PASS_OK);
	CHECK_INT(pass_keyring_ids(kr, ids, 4), 1);
	snprintf(path, sizeof path, "%s/ed25519-%08x.pem", dir, old);
	CHECK(stat(path, &sb) != 0);
	snprintf(path, sizeof path, "%s/retired-%08x", dir, old);
	CHECK(stat(path, &sb) == 0);
	CHECK_INT(pass_keyring_retire(kr, old, &cause), -1);
	free(cause);
	cause = NULL;

	again = open_ok(dir);
	CHECK(again != NULL);
	if (again != NULL) {
		CHECK_INT(pass_keyring_ids(again, ids, 4), 1);
		CHECK_INT(verify(again, t1, NULL), PASS_BAD_SIGNATURE);
		CHECK_INT(verify(again, t2, NULL), PASS_OK);
		pass_keyring_free(again);
	}
	free(t1);
	free(t2);
	pass_keyring_free(kr);
	free(dir);
}

/* A retire cut short (tombstone written, key file still there). */
TEST(test_keyring_retire_interrupted)
{
	struct pass_keyring	*kr;
	struct pass		 p;
	char			*dir = new_dir(), *text, *cause = NULL;
	char			 path[512];
	uint32_t		 old;
	FILE			*f;
	struct stat		 sb;

	if ((kr = open_ok(dir)) == NULL) {
		test_failed_checks++;
		free(dir);
		return;
	}
	old = pass_keyring_current(kr);
	make_pass(&p, "");
	text = issue_ok(kr, &p);
	CHECK_INT(pass_keyring_rotate(kr, &cause), 0);
	pass_keyring_free(kr);
	snprintf(path, sizeof path, "%s/retired-%08x", dir, old);
	f = fopen(path, "w");
	fclose(f);
	kr = open_ok(dir);
	CHECK(kr != NULL);
	if (kr != NULL) {
		CHECK_INT(verify(kr, text, NULL), PASS_BAD_SIGNATURE);
		pass_keyring_free(kr);
	}
	snprintf(path, sizeof path, "%s/ed25519-%08x.pem", dir, old);
	CHECK(stat(path, &sb) != 0);
	free(text);
	free(dir);
}

TEST(test_round_trip)
{
	static const char *const scopes[] = {
		"", "front", "front,back", "a,b,c,d,e,f,g,h",
		"Door-1.main_entrance,x",
		("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"),	/* 64 */
	};
	struct pass_keyring	*kr;
	struct pass		 p, out;
	enum pass_refusal	 why;
	char			*dir = new_dir(), *text, hex[PASS_ID_HEX];
	uint8_t			 id[PASS_ID_LEN];
	size_t			 i, j;
	int			 k;

	if ((kr = open_ok(dir)) == NULL) {
		test_failed_checks++;
		free(dir);
		return;
	}
	for (i = 0; i < sizeof scopes / sizeof scopes[0]; i++) {
		make_pass(&p, scopes[i]);
		p.visit = (int64_t)i * 1000003;
		p.person = INT64_MAX - (int64_t)i;
		p.not_before = (int64_t)i;
		p.expiry = INT64_MAX;
		p.uses = (uint16_t)(65535 - i);
		text = issue_ok(kr, &p);
		CHECK(strncmp(text, "GH1:", 4) == 0);
		CHECK(strlen(text) <= PASS_TEXT_MAX);
		CHECK(strspn(text, QR_ALNUM) == strlen(text));
		CHECK(strspn(text + 4, B32) == strlen(text) - 4);
		memset(&out, 0xa5, sizeof out);
		CHECK_INT(pass_verify(kr, text, NOW, p.ndoors ? p.doors[0] :
		    "anywhere", 0, 1, &out, &why), 0);
		CHECK_INT(why, PASS_OK);
		CHECK(same_pass(&out, &p));
		/* Each door of the scope opens. */
		for (k = 0; k < p.ndoors; k++) {
			CHECK_INT(pass_verify(kr, text, NOW, p.doors[k], 0, 1,
			    &out, &why), 0);
		}
		free(text);
	}

	/* Fresh ids each time. */
	make_pass(&p, "");
	text = issue_ok(kr, &p);
	memcpy(id, p.id, sizeof id);
	free(text);
	text = issue_ok(kr, &p);
	CHECK(memcmp(id, p.id, sizeof id) != 0);
	free(text);

	/* Ids in hex. */
	for (j = 0; j < PASS_ID_LEN; j++)
		id[j] = (uint8_t)(j * 0x11);
	pass_id_hex(id, hex);
	CHECK_STR(hex, "00112233445566778899aabbccddeeff");
	memset(id, 0, sizeof id);
	CHECK_INT(pass_id_parse("00112233445566778899AABBCCDDEEFF", id), 0);
	CHECK_INT(id[15], 0xff);
	CHECK_INT(pass_id_parse("0112233445566778899aabbccddeeff", id), -1);
	CHECK_INT(pass_id_parse("0112233445566778899aabbccddeeff00", id), -1);
	CHECK_INT(pass_id_parse("0112233445566778899aabbccddeefg0", id), -1);
	CHECK_INT(pass_id_parse("", id), -1);
	pass_keyring_free(kr);
	free(dir);
}

TEST(test_issue_refuses)
{
	struct pass_keyring	*kr;
	struct pass		 p;
	char			*dir = new_dir(), *text, *cause;
	int			 i;

	if ((kr = open_ok(dir)) == NULL) {
		test_failed_checks++;
		free(dir);
		return;
	}
	for (i = 0; i < 11; i++) {
		make_pass(&p, "front");
		switch (i) {
		case 0: p.uses = 0; break;
		case 1: p.expiry = p.not_before; break;
		case 2: p.visit = -1; break;
		case 3: p.person = INT64_MIN; break;
		case 4: p.not_before = -5; break;
		case 5: strcpy(p.doors[0], "fr ont"); break;
		case 6: p.doors[0][0] = '\0'; break;
		case 7: memset(p.doors[0], 'a', 65); break;	/* no NUL */
		case 8: make_pass(&p, "front,back,front"); break;
		case 9: make_pass(&p, "a,b,c,d,e,f,g,h");
			p.ndoors = 9; break;
		case 10: p.ndoors = -1; break;
		}
		cause = NULL;
		text = (char *)1;
		CHECK_INT(pass_issue(kr, &p, &text, &cause), -1);
		CHECK(text == NULL && cause != NULL);
		free(cause);
	}
	/* An unknown key for pass_encode. */
	make_pass(&p, "");
	p.key_id = pass_keyring_current(kr) ^ 1;
	cause = NULL;
	CHECK_INT(pass_encode(kr, &p, &text, &cause), -1);
	free(cause);
	pass_keyring_free(kr);
	free(dir);
}

TEST(test_refusals)
{
	static const struct {
		int64_t			 now, skew;
		const char		*door;
		int			 trusted;
		enum pass_refusal	 want;
	} cases[] = {
		{ NOW, 0, "front", 1, PASS_OK },
		{ NOW + 3600, 0, "front", 1, PASS_OK },	/* expiry: valid */
		{ NOW + 3601, 0, "front", 1, PASS_EXPIRED },
		{ NOW + 3660, 60, "front", 1, PASS_OK },
		{ NOW + 3661, 60, "front", 1, PASS_EXPIRED },
		{ NOW - 3600, 0, "front", 1, PASS_OK },	/* not-before */
		{ NOW - 3601, 0, "front", 1, PASS_NOT_YET_VALID },
		{ NOW - 3660, 60, "front", 1, PASS_OK },
		{ NOW - 3661, 60, "front", 1, PASS_NOT_YET_VALID },
		{ NOW - 3601, -5, "front", 1, PASS_NOT_YET_VALID },
		{ NOW, 0, "back", 1, PASS_OK },
		{ NOW, 0, "side", 1, PASS_WRONG_DOOR },
		{ NOW, 0, "Front", 1, PASS_WRONG_DOOR },
		{ NOW, 0, "fron", 1, PASS_WRONG_DOOR },
		{ NOW, 0, NULL, 1, PASS_WRONG_DOOR },
		{ NOW, 0, "front", 0, PASS_CLOCK_UNTRUSTED },
		{ NOW + 99999, 0, "side", 0, PASS_CLOCK_UNTRUSTED },
		/* Order: the window before the door. */
		{ NOW + 99999, 0, "side", 1, PASS_EXPIRED },
		{ INT64_MAX, INT64_MAX, "front", 1, PASS_OK },
		{ INT64_MAX, 0, "front", 1, PASS_EXPIRED },
		/* INT64_MIN is more than INT64_MAX before not-before. */
		{ INT64_MIN, INT64_MAX, "front", 1, PASS_NOT_YET_VALID },
		{ INT64_MIN + NOW, INT64_MAX, "front", 1, PASS_OK },
		{ INT64_MIN, 0, "front", 1, PASS_NOT_YET_VALID },
	};
	struct pass_keyring	*kr;
	struct pass		 p, all, out;
	enum pass_refusal	 why;
	char			*dir = new_dir(), *text, *text_all, *bad;
	size_t			 i;
	int			 r;

	if ((kr = open_ok(dir)) == NULL) {
		test_failed_checks++;
		free(dir);
		return;
	}
	make_pass(&p, "front,back");
	text = issue_ok(kr, &p);
	make_pass(&all, "");
	text_all = issue_ok(kr, &all);
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		memset(&out, 0, sizeof out);
		r = pass_verify(kr, text, cases[i].now, cases[i].door,
		    cases[i].skew, cases[i].trusted, &out, &why);
		if (why != cases[i].want)
			fprintf(stderr, "case %zu: %s, expected %s\n", i,
			    pass_refusal_name(why),
			    pass_refusal_name(cases[i].want));
		CHECK_INT(why, cases[i].want);
		CHECK_INT(r, cases[i].want == PASS_OK ? 0 : -1);
		/* The fields come back with every refusal but the first. */
		CHECK(same_pass(&out, &p));
	}

	/* An empty scope is every door, even none named. */
	CHECK_INT(pass_verify(kr, text_all, NOW, "side", 0, 1, &out, &why), 0);
	CHECK_INT(pass_verify(kr, text_all, NOW, NULL, 0, 1, &out, &why), 0);
	CHECK_INT(pass_verify(kr, text_all, NOW, "x", 0, 0, &out, &why), -1);
	CHECK_INT(why, PASS_CLOCK_UNTRUSTED);
	CHECK_INT(pass_verify(kr, text_all, NOW + 7200, "x", 0, 1, &out, &why),
	    -1);
	CHECK_INT(why, PASS_EXPIRED);

	/* Bad signature: OUT is cleared, whatever else is wrong. */
	bad = strdup(text);
	bad[strlen(bad) - 3] = bad[strlen(bad) - 3] == 'A' ? 'B' : 'A';
	memset(&out, 0xff, sizeof out);
	CHECK_INT(pass_verify(kr, bad, NOW + 99999, "side", 0, 0, &out, &why),
	    -1);
	CHECK_INT(why, PASS_BAD_SIGNATURE);
	CHECK(out.key_id == 0 && out.ndoors == 0 && out.expiry == 0);
	CHECK_INT(pass_verify(kr, NULL, NOW, "front", 0, 1, &out, &why), -1);
	CHECK_INT(why, PASS_BAD_SIGNATURE);
	free(bad);

	CHECK_STR(pass_refusal_name(PASS_OK), "ok");
	CHECK_STR(pass_refusal_name(PASS_BAD_SIGNATURE), "bad-signature");
	CHECK_STR(pass_refusal_name(PASS_EXPIRED), "expired");
	CHECK_STR(pass_refusal_name(PASS_NOT_YET_VALID), "not-yet-valid");
	CHECK_STR(pass_refusal_name(PASS_WRONG_DOOR), "wrong-door");
	CHECK_STR(pass_refusal_name(PASS_CLOCK_UNTRUSTED), "clock-untrusted");
	CHECK_STR(pass_refusal_name(PASS_REPLAY), "replay");
	CHECK_STR(pass_refusal_name(PASS_REVOKED), "revoked");
	CHECK_STR(pass_refusal_name(PASS_LOCKED_OUT), "locked-out");
	CHECK_STR(pass_refusal_name((enum pass_refusal)99), "unknown");
	free(text);
	free(text_all);
	pass_keyring_free(kr);
	free(dir);
}

/*
 * A token built from doc/PASSES alone: the layout, the domain prefix and
 * base32 written here, signed with the keyring's key file through OpenSSL
 * directly. It must verify with every field; the same bytes signed without
 * the prefix, or with another one, must not.
 */
TEST(test_doc_format)
{
	static const char	 prefix[] = "gatehouse-pass-v1";
	struct pass_keyring	*kr;
	struct pass		 out;
	EVP_PKEY		*pkey;
	uint8_t			 buf[256], sig[64], dec[256];
	char			*dir = new_dir(), *text, *cause = NULL;
	char			*again;
	struct pass		 p;
	size_t			 len = 0;
	uint32_t		 id;
	int			 i;

	if ((kr = open_ok(dir)) == NULL) {
		test_failed_checks++;
		free(dir);
		return;
	}
	id = pass_keyring_current(kr);
	pkey = read_key(dir, id);
	CHECK(pkey != NULL);
	if (pkey == NULL)
		goto out;

	buf[len++] = 1;
	put_be(buf + len, id, 4);
	len += 4;
	for (i = 0; i < 16; i++)
		buf[len++] = (uint8_t)(0xa0 + i);
	put_be(buf + len, 77, 8);			/* visit */
	len += 8;
	put_be(buf + len, 0, 8);			/* person: none */
	len += 8;
	put_be(buf + len, (uint64_t)NOW - 10, 8);	/* not-before */
	len += 8;
	put_be(buf + len, (uint64_t)NOW + 10, 8);	/* expiry */
	len += 8;
	put_be(buf + len, 3, 2);			/* uses */
	len += 2;
	buf[len++] = 2;					/* doors */
	buf[len++] = 5;
	memcpy(buf + len, "front", 5);
	len += 5;
	buf[len++] = 4;
	memcpy(buf + len, "back", 4);
	len += 4;
	CHECK_INT(len, PASS_HEAD_LEN + 11);

	CHECK_INT(sign_raw(pkey, prefix, sizeof prefix, buf, len, sig), 0);
	memcpy(buf + len, sig, 64);
	text = text_of(buf, len + 64);
	CHECK_INT(verify(kr, text, &out), PASS_OK);
	CHECK_INT(out.key_id, id);
	CHECK_INT(out.id[0], 0xa0);
	CHECK_INT(out.id[15], 0xaf);
	CHECK_INT(out.visit, 77);
	CHECK_INT(out.person, 0);
	CHECK_INT(out.not_before, NOW - 10);
	CHECK_INT(out.expiry, NOW + 10);
	CHECK_INT(out.uses, 3);
	CHECK_INT(out.ndoors, 2);
	CHECK_STR(out.doors[0], "front");
	CHECK_STR(out.doors[1], "back");
	/* The module's encoding of the same pass is the same text. */
	CHECK_INT(pass_encode(kr, &out, &again, &cause), 0);
	CHECK_STR(again, text);
	free(again);
	/* And the test's decoder reads the module's output back. */
	make_pass(&p, "front");
	again = issue_ok(kr, &p);
	CHECK_INT(b32_decode(again, dec, sizeof dec), PASS_HEAD_LEN + 6 + 64);
	CHECK_INT(dec[0], 1);
	CHECK(memcmp(dec + 5, p.id, 16) == 0);
	free(again);
	free(text);

	/*
	 * The same signature with S + L (the group order), which a lax
	 * verifier accepts as well: refused.
	 */
	{
		static const uint8_t	order[32] = {
			0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58,
			0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
			0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
		};
		unsigned	carry = 0;

		memcpy(buf + len, sig, 64);
		text = text_of(buf, len + 64);
		CHECK_INT(verify(kr, text, NULL), PASS_OK);
		free(text);
		for (i = 0; i < 32; i++) {
			carry += (unsigned)buf[len + 32 + i] + order[i];
			buf[len + 32 + i] = (uint8_t)carry;
			carry >>= 8;
		}
		CHECK_INT(carry, 0);
		text = text_of(buf, len + 64);
		CHECK_INT(verify(kr, text, NULL), PASS_BAD_SIGNATURE);
		free(text);
	}

	/* Without the domain prefix, or another prefix: refused. */
	CHECK_INT(sign_raw(pkey, "", 0, buf, len, sig), 0);
	memcpy(buf + len, sig, 64);
	text = text_of(buf, len + 64);
	CHECK_INT(verify(kr, text, NULL), PASS_BAD_SIGNATURE);
	free(text);
	CHECK_INT(sign_raw(pkey, "gatehouse-pass-v2", 18, buf, len, sig), 0);
	memcpy(buf + len, sig, 64);
	text = text_of(buf, len + 64);
	CHECK_INT(verify(kr, text, NULL), PASS_BAD_SIGNATURE);
	free(text);
	CHECK_INT(sign_raw(pkey, prefix, sizeof prefix - 1, buf, len, sig), 0);
	memcpy(buf + len, sig, 64);
	text = text_of(buf, len + 64);
	CHECK_INT(verify(kr, text, NULL), PASS_BAD_SIGNATURE);
	free(text);

	/*
	 * Signed properly but not canonical inside: refused after the
	 * signature (only a holder of the key could make these).
	 */
	for (i = 0; i < 7; i++) {
		uint8_t	b[256];
		size_t	l = len;

		memcpy(b, buf, len);
		switch (i) {
		case 0: b[0] = 2; break;			/* version */
		case 1: put_be(b + 53, 0, 2); break;		/* uses 0 */
		case 2: put_be(b + 21, UINT64_MAX, 8); break;	/* visit -1 */
		case 3: put_be(b + 45, (uint64_t)NOW - 10, 8); break;
		case 4: memcpy(b + PASS_HEAD_LEN + 6, "\005front", 6);
			l = PASS_HEAD_LEN + 12;		/* a door twice */
			break;
		case 5: b[l++] = 0; break;			/* trailing */
		case 6: b[PASS_HEAD_LEN + 7] = ' '; break;	/* bad name */
		}
		CHECK_INT(sign_raw(pkey, prefix, sizeof prefix, b, l, sig), 0);
		memcpy(b + l, sig, 64);
		text = text_of(b, l + 64);
		CHECK_INT(verify(kr, text, NULL), PASS_BAD_SIGNATURE);
		free(text);
	}
	EVP_PKEY_free(pkey);
out:
	pass_keyring_free(kr);
	free(dir);
}

/* Hand-picked malformed texts around one valid token. */
TEST(test_text_strict)
{
	static const char *const prefixes[] = {
		"GH2:", "gh1:", "Gh1:", "GH1;", "GH1", "GH01:", " GH1:",
		"GH1: ", "GH1:=", "", "GH1::", "QR:GH1:",
	};
	struct pass_keyring	*kr;
	struct pass		 p;
	char			*dir = new_dir(), *text, *t, *big;
	size_t			 n, i;
	int			 refused = 0, total = 0;

	if ((kr = open_ok(dir)) == NULL) {
		test_failed_checks++;
		free(dir);
		return;
	}
	make_pass(&p, "front");
	text = issue_ok(kr, &p);
	n = strlen(text);
	CHECK_INT(verify(kr, text, NULL), PASS_OK);

	/* Every truncation. */
	t = strdup(text);
	for (i = 0; i < n; i++) {
		t[i] = '\0';
		total++;
		refused += verify(kr, t, NULL) == PASS_BAD_SIGNATURE;
		t[i] = text[i];
	}
	free(t);
	/* Other prefixes. */
	for (i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++) {
		if (asprintf(&t, "%s%s", prefixes[i], text + 4) < 0)
			abort();
		total++;
		refused += verify(kr, t, NULL) == PASS_BAD_SIGNATURE;
		free(t);
	}
	/* Trailing or leading extras. */
	{
		static const char *const extra[] = {
			"\n", " ", "=", "==", "A", "AA", "AAAAAAAA", "\r\n",
			"\t",
		};

		for (i = 0; i < sizeof extra / sizeof extra[0]; i++) {
			if (asprintf(&t, "%s%s", text, extra[i]) < 0)
				abort();
			total++;
			refused += verify(kr, t, NULL) == PASS_BAD_SIGNATURE;
			free(t);
		}
	}
	/* All lower case. */
	t = strdup(text);
	for (i = 4; i < n; i++)
		t[i] = (char)tolower((unsigned char)t[i]);
	total++;
	refused += verify(kr, t, NULL) == PASS_BAD_SIGNATURE;
	free(t);
	/* Far too long: refused before decoding. */
	big = malloc(PASS_TEXT_MAX * 4);
	memcpy(big, "GH1:", 4);
	memset(big + 4, 'A', PASS_TEXT_MAX * 4 - 5);
	big[PASS_TEXT_MAX * 4 - 1] = '\0';
	total++;
	refused += verify(kr, big, NULL) == PASS_BAD_SIGNATURE;
	big[PASS_TEXT_MAX + 1] = '\0';
	total++;
	refused += verify(kr, big, NULL) == PASS_BAD_SIGNATURE;
	free(big);
	CHECK_INT(refused, total);
	free(text);
	pass_keyring_free(kr);
	free(dir);
}

/* xorshift64*: reproducible mutations. */
static uint64_t	rng_state = 0x9e3779b97f4a7c15ULL;

static uint64_t
rng(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dULL;
}

static size_t
rng_below(size_t n)
{
	return (size_t)(rng() % n);
}

#define MUT_KINDS	12
static const char *const mut_names[MUT_KINDS] = {
	"text bit flip", "truncation", "trailing bits", "lower case",
	"byte bit flip", "byte set", "swapped fields", "key id",
	"insert/delete", "prefix", "foreign keyring", "length",
};

/*
 * Makes a mutation of token T (decoded: B, BLEN) of kind K into a malloc'd
 * text; NULL if this kind cannot apply to it. OTHER_IDS holds another key
 * id of the keyring. FOREIGN is a token of another keyring.
 */
static char *
mutate(int k, const char *t, const uint8_t *b, size_t blen, uint32_t other,
    const char *foreign)
{
	static const char *const prefixes[] = {
		"GH2:", "gh1:", "GH1;", "GH1", "GH01:", " GH1:", "GH1: ",
		"GH0:", "HH1:", "G1:",
	};
	uint8_t	 m[PASS_MAX_BYTES + 16];
	char	*s, *e;
	size_t	 n = strlen(t), i, j, w;
	int	 bits;

	memcpy(m, b, blen);
	switch (k) {
	case 0:
		s = strdup(t);
		i = rng_below(n);
		s[i] = (char)(s[i] ^ (1 << rng_below(8)));
		return s;
	case 1:
		s = strdup(t);
		s[rng_below(n)] = '\0';
		return s;
	case 2:
		/* The bits of the last character past the last byte. */
		bits = (int)((n - 4) * 5 - blen * 8);
		if (bits == 0)
			return NULL;
		s = strdup(t);
		e = strchr(B32, s[n - 1]);
		s[n - 1] = B32[(e - B32) | (int)(1 + rng_below(
		    (1U << bits) - 1))];
		return s;
	case 3:
		s = strdup(t);
		for (j = 0; j < 1 + rng_below(3); j++) {
			i = 4 + rng_below(n - 4);
			s[i] = (char)tolower((unsigned char)s[i]);
		}
		return s;
	case 4:
		i = rng_below(blen);
		m[i] ^= (uint8_t)(1 << rng_below(8));
		return text_of(m, blen);
	case 5:
		m[rng_below(blen)] = (uint8_t)rng();
		return text_of(m, blen);
	case 6:
		/* Swap two of the fixed fields or two door names' bytes. */
		switch (rng_below(4)) {
		case 0:				/* two 8-byte fields */
			i = 21 + 8 * rng_below(4);
			j = 21 + 8 * rng_below(4);
			w = 8;
			break;
		case 1:				/* pass id halves */
			i = 5;
			j = 13;
			w = 8;
			break;
		case 2:				/* key id and pass id */
			i = 1;
			j = 5 + rng_below(12);
			w = 4;
			break;
		default:			/* any two equal spans */
			w = 1 + rng_below(8);
			i = rng_below(blen - w);
			j = rng_below(blen - w);
			break;
		}
		{
			uint8_t	tmp[16];

			memcpy(tmp, m + i, w);
			memmove(m + i, m + j, w);
			memcpy(m + j, tmp, w);
		}
		return text_of(m, blen);
	case 7:
		put_be(m + 1, rng_below(2) ? other : (uint32_t)rng(), 4);
		return text_of(m, blen);
	case 8:
		s = malloc(n + 2);
		i = 4 + rng_below(n - 4);
		if (rng_below(2)) {
			memcpy(s, t, i);
			s[i] = B32[rng_below(32)];
			memcpy(s + i + 1, t + i, n - i + 1);
		} else {
			memcpy(s, t, i);
			memcpy(s + i, t + i + 1, n - i);
		}
		return s;
	case 9:
		if (asprintf(&s, "%s%s", prefixes[rng_below(sizeof prefixes /
		    sizeof prefixes[0])], t + 4) < 0)
			abort();
		return s;
	case 10:
		return strdup(foreign);
	default:
		/* Bytes cut from or added at the end, re-encoded. */
		if (rng_below(2)) {
			w = 1 + rng_below(8);
			return text_of(m, blen - w);
		}
		w = 1 + rng_below(16);
		for (i = 0; i < w; i++)
			m[blen + i] = (uint8_t)rng();
		return text_of(m, blen + w);
	}
}

TEST(test_mutations)
{
	static const char *const scopes[] = {
		"", "front", "front,back", "front,b", "front,bk", "front,bac",
	};
	struct pass_keyring	*kr, *other_kr, *twin = NULL;
	struct pass		 p;
	const char		*env = getenv("PASS_MUTATIONS");
	char			*dir = new_dir(), *other_dir = new_dir();
	char			*twin_dir = new_dir(), *texts[6], *foreign[2];
	char			*m, cmd[1200], src[512];
	uint8_t			 bytes[6][PASS_MAX_BYTES];
	size_t			 blen[6], nt = sizeof scopes / sizeof scopes[0];
	long			 total, i, tried[MUT_KINDS] = { 0 };
	long			 accepted = 0, wrong = 0, same = 0, skipped = 0;
	uint32_t		 old;
	size_t			 t;
	int			 k;
	enum pass_refusal	 why;
	double			 t0;
	char			*cause = NULL;

	total = env != NULL ? strtol(env, NULL, 10) : 20000;
	if (total <= 0)
		total = 20000;
	kr = open_ok(dir);
	other_kr = open_ok(other_dir);
	CHECK(kr != NULL && other_kr != NULL);
	if (kr == NULL || other_kr == NULL)
		goto out;
	/* Two keys: a known key id with the wrong key is tried too. */
	old = pass_keyring_current(kr);
	CHECK_INT(pass_keyring_rotate(kr, &cause), 0);

	/*
	 * A twin keyring: a different key under the same id as ours (its
	 * key file copied from OTHER_DIR under our id's name).
	 */
	CHECK(mkdir(twin_dir, 0700) == 0);
	snprintf(src, sizeof src, "%s/ed25519-%08x.pem", other_dir,
	    pass_keyring_current(other_kr));
	snprintf(cmd, sizeof cmd, "cp -p %s %s/ed25519-%08x.pem", src,
	    twin_dir, pass_keyring_current(kr));
	CHECK(system(cmd) == 0);
	twin = open_ok(twin_dir);
	CHECK(twin != NULL && pass_keyring_current(twin) ==
	    pass_keyring_current(kr));
	if (twin == NULL)
		goto out;

	for (t = 0; t < nt; t++) {
		make_pass(&p, scopes[t]);
		texts[t] = issue_ok(kr, &p);
		blen[t] = b32_decode(texts[t], bytes[t], sizeof bytes[t]);
		CHECK(blen[t] > 0);
		CHECK_INT(verify(kr, texts[t], NULL), PASS_OK);
	}
	make_pass(&p, "front");
	foreign[0] = issue_ok(other_kr, &p);
	foreign[1] = issue_ok(twin, &p);
	CHECK_INT(verify(kr, foreign[0], NULL), PASS_BAD_SIGNATURE);
	CHECK_INT(verify(kr, foreign[1], NULL), PASS_BAD_SIGNATURE);
	CHECK_INT(verify(twin, foreign[1], NULL), PASS_OK);

	/* TOTAL mutations that apply and differ from their token. */
	t0 = now_us();
	for (i = 0; i < total;) {
		t = rng_below(nt);
		k = (int)rng_below(MUT_KINDS);
		m = mutate(k, texts[t], bytes[t], blen[t], old,
		    foreign[rng_below(2)]);
		if (m == NULL) {
			skipped++;
			continue;
		}
		tried[k]++;
		if (strcmp(m, texts[t]) == 0) {
			same++;
			free(m);
			continue;
		}
		i++;
		why = verify(kr, m, NULL);
		if (why == PASS_OK) {
			accepted++;
			fprintf(stderr, "accepted (%s): %s\n", mut_names[k], m);
		} else if (why != PASS_BAD_SIGNATURE)
			wrong++;
		free(m);
	}
	fprintf(stderr, "test-pass: %ld mutations in %.1f s: accepted %ld, "
	    "refused for another reason %ld (also made: %ld unchanged, %ld "
	    "not applicable)\n", total, (now_us() - t0) / 1e6, accepted,
	    wrong, same, skipped);
	for (k = 0; k < MUT_KINDS; k++)
		fprintf(stderr, "  %-16s %ld\n", mut_names[k], tried[k]);
	CHECK_INT(accepted, 0);
	CHECK_INT(wrong, 0);
	/* The originals still verify: nothing above changed state. */
	for (t = 0; t < nt; t++) {
		CHECK_INT(verify(kr, texts[t], NULL), PASS_OK);
		free(texts[t]);
	}
	free(foreign[0]);
	free(foreign[1]);
out:
	pass_keyring_free(kr);
	pass_keyring_free(other_kr);
	pass_keyring_free(twin);
	free(dir);
	free(other_dir);
	free(twin_dir);
}

TEST(test_pin_new)
{
	char	pin[16];
	long	count[6][10];
	int	i, j, d, bad = 0;

	CHECK_INT(pass_pin_new(3, pin, sizeof pin), -1);
	CHECK_INT(pass_pin_new(11, pin, sizeof pin), -1);
	CHECK_INT(pass_pin_new(6, pin, 6), -1);
	CHECK_INT(pass_pin_new(6, pin, 7), 0);
	CHECK_INT(strlen(pin), 6);
	CHECK_INT(pass_pin_new(10, pin, 11), 0);
	CHECK_INT(strlen(pin), 10);
	CHECK_INT(strspn(pin, "0123456789"), 10);
	CHECK_INT(pass_pin_new(4, pin, sizeof pin), 0);
	CHECK_INT(strlen(pin), 4);

	/*
	 * 100000 PINs of 6 digits: each digit at each position is expected
	 * 10000 times (sd 95); 600 either way is beyond 6 sd.
	 */
	memset(count, 0, sizeof count);
	for (i = 0; i < 100000; i++) {
		if (pass_pin_new(6, pin, sizeof pin) != 0 || strlen(pin) != 6) {
			bad++;
			continue;
		}
		for (j = 0; j < 6; j++) {
			d = pin[j] - '0';
			if (d < 0 || d > 9)
				bad++;
			else
				count[j][d]++;
		}
	}
	CHECK_INT(bad, 0);
	for (j = 0; j < 6; j++) {
		for (d = 0; d < 10; d++) {
			if (count[j][d] < 9400 || count[j][d] > 10600) {
				fprintf(stderr, "position %d digit %d: %ld\n",
				    j, d, count[j][d]);
				test_failed_checks++;
			}
		}
	}
}

/* 16 zeros; salts are 32 hex digits, hashes 64. */
#define Z16	"0000000000000000"

TEST(test_pin_hash)
{
	static const char *const malformed[] = {
		"", "scrypt$", "scrypt$16384$8$1$",
		"bcrypt$16384$8$1$" Z16 Z16 "$" Z16 Z16 Z16 Z16,
		"scrypt$16385$8$1$" Z16 Z16 "$" Z16 Z16 Z16 Z16,
		"scrypt$016384$8$1$" Z16 Z16 "$" Z16 Z16 Z16 Z16,
		"scrypt$0$8$1$" Z16 Z16 "$" Z16 Z16 Z16 Z16,
		"scrypt$1$8$1$" Z16 Z16 "$" Z16 Z16 Z16 Z16,
		"scrypt$2097152$8$1$" Z16 Z16 "$" Z16 Z16 Z16 Z16,
		"scrypt$1048576$8$1$" Z16 Z16 "$" Z16 Z16 Z16 Z16, /* 1 GiB */
		"scrypt$16384$8$17$" Z16 Z16 "$" Z16 Z16 Z16 Z16,
		"scrypt$16384$0$1$" Z16 Z16 "$" Z16 Z16 Z16 Z16,
		"scrypt$16384$+8$1$" Z16 Z16 "$" Z16 Z16 Z16 Z16,
		"scrypt$16384$8$1$" Z16 "000000000000000$0" Z16 Z16 Z16 Z16,
		"scrypt$16384$8$1$" Z16 Z16 "$" Z16 Z16 Z16 "000000000000000",
		"scrypt$16384$8$1$" Z16 Z16 "$" Z16 Z16 Z16 Z16 "0",
		"scrypt$16384$8$1$" Z16 "000000000000000A$" Z16 Z16 Z16 Z16,
		"scrypt$16384$8$1$" Z16 Z16 "$" Z16 Z16 Z16 "000000000000000g",
		"scrypt$16384$8$1$" Z16 Z16 ":" Z16 Z16 Z16 Z16,
		"scrypt$16384$8$1$" Z16 Z16 "$" Z16 Z16 Z16 Z16 "$",
	};
	char	*stored = NULL, *again = NULL, *cause = NULL, long_pin[64];
	size_t	 i;

	CHECK_INT(pass_pin_hash("482913", &stored, &cause), 0);
	CHECK(stored != NULL && strncmp(stored, "scrypt$16384$8$1$", 17) == 0);
	CHECK(stored != NULL && strlen(stored) == 17 + 32 + 1 + 64);
	CHECK_INT(pass_pin_check("482913", stored), 1);
	CHECK_INT(pass_pin_check("482914", stored), 0);
	CHECK_INT(pass_pin_check("48291", stored), 0);
	CHECK_INT(pass_pin_check("", stored), 0);
	memset(long_pin, '4', sizeof long_pin - 1);
	long_pin[sizeof long_pin - 1] = '\0';
	CHECK_INT(pass_pin_check(long_pin, stored), 0);
	/* A fresh salt each time. */
	CHECK_INT(pass_pin_hash("482913", &again, &cause), 0);
	CHECK(again != NULL && strcmp(again, stored) != 0);
	CHECK_INT(pass_pin_check("482913", again), 1);
	for (i = 0; i < sizeof malformed / sizeof malformed[0]; i++) {
		if (pass_pin_check("482913", malformed[i]) != -1) {
			fprintf(stderr, "malformed %zu accepted\n", i);
			test_failed_checks++;
		}
	}
	/* Other valid parameters are read from the string. */
	CHECK_INT(pass_pin_check("1234", "scrypt$1024$1$1$" Z16 Z16 "$"
	    Z16 Z16 Z16 Z16), 0);
	free(stored);
	free(again);
}

TEST(test_pin_parse)
{
	static const struct {
		const char	*in, *want;
	} cases[] = {
		{ "1234", "1234" },
		{ "0000", "0000" },
		{ " 482913\n", "482913" },
		{ "\t\t1234567890\r\n", "1234567890" },
		{ "123", NULL },
		{ "12345678901", NULL },
		{ "12 34", NULL },
		{ "12a4", NULL },
		{ "", NULL },
		{ "    ", NULL },
		{ "+1234", NULL },
		{ "-1234", NULL },
		{ "1234.", NULL },
		/* Arabic-Indic and full-width digits. */
		{ "\xd9\xa1\xd9\xa2\xd9\xa3\xd9\xa4", NULL },
		{ "\xef\xbc\x91\xef\xbc\x92\xef\xbc\x93\xef\xbc\x94", NULL },
		{ "1234\v", NULL },
		{ "\x00" "1234", NULL },
	};
	char	pin[PASS_PIN_MAX + 1];
	size_t	i;
	int	r;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		strcpy(pin, "x");
		r = pass_pin_parse(cases[i].in, pin, sizeof pin);
		if (cases[i].want == NULL)
			CHECK_INT(r, -1);
		else {
			CHECK_INT(r, 0);
			CHECK_STR(pin, cases[i].want);
		}
	}
	/* SIZE must hold the PIN and its NUL. */
	CHECK_INT(pass_pin_parse("123456", pin, 6), -1);
	CHECK_INT(pass_pin_parse("123456", pin, 7), 0);
}

/* Times, printed for the record and never checked. */
TEST(test_times)
{
	struct pass_keyring	*kr;
	struct pass		 p, out;
	enum pass_refusal	 why;
	char			*dir = new_dir(), *text = NULL, *cause = NULL;
	char			*stored;
	double			 t0, sign, ver, hash;
	int			 i, n = 200;

	if ((kr = open_ok(dir)) == NULL) {
		test_failed_checks++;
		free(dir);
		return;
	}
	make_pass(&p, "front");
	t0 = now_us();
	for (i = 0; i < n; i++) {
		free(text);
		text = NULL;
		CHECK_INT(pass_issue(kr, &p, &text, &cause), 0);
	}
	sign = (now_us() - t0) / n;
	t0 = now_us();
	for (i = 0; i < n; i++)
		CHECK_INT(pass_verify(kr, text, NOW, "front", 0, 1, &out, &why),
		    0);
	ver = (now_us() - t0) / n;
	t0 = now_us();
	for (i = 0; i < 5; i++) {
		CHECK_INT(pass_pin_hash("482913", &stored, &cause), 0);
		free(stored);
	}
	hash = (now_us() - t0) / 5;
	fprintf(stderr, "test-pass: issue %.0f us, verify %.0f us, PIN hash "
	    "%.1f ms, text %zu chars\n", sign, ver, hash / 1e3, strlen(text));
	free(text);
	pass_keyring_free(kr);
	free(dir);
}

int
main(void)
{
	RUN(test_keyring_create);
	RUN(test_keyring_modes);
	RUN(test_keyring_rotate_retire);
	RUN(test_keyring_retire_interrupted);
	RUN(test_round_trip);
	RUN(test_issue_refuses);
	RUN(test_refusals);
	RUN(test_doc_format);
	RUN(test_text_strict);
	RUN(test_mutations);
	RUN(test_pin_new);
	RUN(test_pin_hash);
	RUN(test_pin_parse);
	RUN(test_times);
	return test_main_end("test-pass");
}
