#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>

#include "file.h"
#include "log.h"
#include "pass.h"
#include "xmalloc.h"

/*
 * Prepended to the token's bytes to form the message that is signed, so a
 * signature made for anything else with the same key (there is nothing
 * else today) can never be taken for a pass, and a later version signs a
 * different message.
 */
static const char pass_domain[] = "gatehouse-pass-v1";	/* and its NUL */
#define PASS_DOMAIN_LEN		(sizeof pass_domain)

/* A key file is a few hundred bytes of PEM. */
#define PASS_KEY_FILE_MAX	16384

/*
 * PIN hashing: scrypt with N = 2^14, r = 8, p = 1, the usual interactive
 * parameters: 16 MiB and 30 to 60 ms on the door box's class of CPU, paid
 * by main for each PIN typed (the lockout bounds how often). A PIN has at
 * most 10^10 values, so no hash makes a stolen database safe against a
 * patient attacker; the cost only makes reading PINs out of it slow, and
 * the lockout is the defence at the door.
 */
#define PASS_SCRYPT_N		16384
#define PASS_SCRYPT_R		8
#define PASS_SCRYPT_P		1
#define PASS_SALT_LEN		16
#define PASS_HASH_LEN		32
/* Limits on a stored string's parameters, which pass_pin_check obeys. */
#define PASS_SCRYPT_MAX_N	(1 << 20)
#define PASS_SCRYPT_MAX_R	32
#define PASS_SCRYPT_MAX_P	16
#define PASS_SCRYPT_MAX_MEM	((uint64_t)256 << 20)

struct pass_key {
	uint32_t	 id;
	EVP_PKEY	*pkey;
};

struct pass_keyring {
	char		*dir;
	struct pass_key	*keys;
	size_t		 nkeys;
	uint32_t	 current;
	uint32_t	*retired;	/* tombstones: ids never used again */
	size_t		 nretired;
};

static const char pass_b32[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

static const char *const pass_refusal_names[] = {
	"ok", "bad-signature", "expired", "not-yet-valid", "wrong-door",
	"clock-untrusted", "replay", "revoked", "locked-out",
};

/* Sets *CAUSE to WHAT and OpenSSL's first queued error, and clears them. */
static void
pass_ssl_error(char **cause, const char *what)
{
	unsigned long	e = ERR_get_error();
	char		buf[256];

	if (e == 0)
		xasprintf(cause, "%s failed", what);
	else {
		ERR_error_string_n(e, buf, sizeof buf);
		xasprintf(cause, "%s: %s", what, buf);
	}
	ERR_clear_error();
}

/* A password callback that refuses: a key file must not be encrypted. */
static int
pass_no_password(char *buf, int size, int rwflag, void *u)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)u;
	return -1;
}

static void
pass_put_be(uint8_t *p, uint64_t v, int n)
{
	while (n-- > 0) {
		p[n] = (uint8_t)v;
		v >>= 8;
	}
}

static uint64_t
pass_get_be(const uint8_t *p, int n)
{
	uint64_t	v = 0;
	int		i;

	for (i = 0; i < n; i++)
		v = (v << 8) | p[i];
	return v;
}

/* Parses exactly 8 lower case hex digits, not all zero (0 is no key). */
static int
pass_parse_key_id(const char *s, uint32_t *id)
{
	uint32_t	v = 0;
	int		i;

	for (i = 0; i < 8; i++) {
		if (s[i] >= '0' && s[i] <= '9')
			v = (v << 4) | (uint32_t)(s[i] - '0');
		else if (s[i] >= 'a' && s[i] <= 'f')
			v = (v << 4) | (uint32_t)(s[i] - 'a' + 10);
		else
			return -1;
	}
	if (v == 0)
		return -1;
	*id = v;
	return 0;
}

static struct pass_key *
pass_keyring_find(const struct pass_keyring *kr, uint32_t id)
{
	size_t	i;

	for (i = 0; i < kr->nkeys; i++) {
		if (kr->keys[i].id == id)
			return &kr->keys[i];
	}
	return NULL;
}

static int
pass_keyring_is_retired(const struct pass_keyring *kr, uint32_t id)
{
	size_t	i;

	for (i = 0; i < kr->nretired; i++) {
		if (kr->retired[i] == id)
			return 1;
	}
	return 0;
}

static void
pass_keyring_add(struct pass_keyring *kr, uint32_t id, EVP_PKEY *pkey)
{
	kr->keys = xreallocarray(kr->keys, kr->nkeys + 1, sizeof *kr->keys);
	kr->keys[kr->nkeys].id = id;
	kr->keys[kr->nkeys].pkey = pkey;
	kr->nkeys++;
}

static void
pass_keyring_add_retired(struct pass_keyring *kr, uint32_t id)
{
	kr->retired = xreallocarray(kr->retired, kr->nretired + 1,
	    sizeof *kr->retired);
	kr->retired[kr->nretired++] = id;
}

/*
 * Loads the key in PATH, refusing what another user could have written or
 * can read: the file is opened without following a link and checked
 * through the same descriptor.
 */
static EVP_PKEY *
pass_key_load(const char *path, char **cause)
{
	struct stat	 sb;
	EVP_PKEY	*pkey = NULL;
	BIO		*bio = NULL;
	uint8_t		*buf;
	size_t		 len = 0;
	ssize_t		 n;
	int		 fd;

	if ((fd = open(path, O_RDONLY|O_NOFOLLOW|O_CLOEXEC)) == -1) {
		xasprintf(cause, "%s: %s", path, strerror(errno));
		return NULL;
	}
	if (fstat(fd, &sb) != 0) {
		xasprintf(cause, "%s: %s", path, strerror(errno));
		close(fd);
		return NULL;
	}
	if (!S_ISREG(sb.st_mode)) {
		xasprintf(cause, "%s: not a regular file", path);
		close(fd);
		return NULL;
	}
	if (sb.st_uid != geteuid()) {
		xasprintf(cause, "%s: owned by uid %lu, not us", path,
		    (unsigned long)sb.st_uid);
		close(fd);
		return NULL;
	}
	if ((sb.st_mode & 077) != 0) {
		xasprintf(cause, "%s: mode %04o: a key must be 0600", path,
		    (unsigned)(sb.st_mode & 07777));
		close(fd);
		return NULL;
	}
	buf = xmalloc(PASS_KEY_FILE_MAX);
	for (;;) {
		n = read(fd, buf + len, PASS_KEY_FILE_MAX - len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			xasprintf(cause, "%s: %s", path, strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len == PASS_KEY_FILE_MAX) {
			xasprintf(cause, "%s: too large for a key", path);
			goto out;
		}
	}
	if ((bio = BIO_new_mem_buf(buf, (int)len)) == NULL)
		fatalx("BIO_new_mem_buf failed");
	pkey = PEM_read_bio_PrivateKey(bio, NULL, pass_no_password, NULL);
	if (pkey == NULL) {
		ERR_clear_error();
		xasprintf(cause, "%s: not a PEM private key", path);
		goto out;
	}
	if (!EVP_PKEY_is_a(pkey, "ED25519")) {
		xasprintf(cause, "%s: not an Ed25519 key", path);
		EVP_PKEY_free(pkey);
		pkey = NULL;
	}
out:
	BIO_free(bio);
	OPENSSL_cleanse(buf, PASS_KEY_FILE_MAX);
	free(buf);
	close(fd);
	return pkey;
}

/* Writes "current" naming ID, durably. */
static int
pass_keyring_write_current(struct pass_keyring *kr, uint32_t id,
    char **cause)
{
	char	*path, line[16];
	int	 r;

	snprintf(line, sizeof line, "%08x\n", id);
	xasprintf(&path, "%s/current", kr->dir);
	r = file_write_atomic(path, line, strlen(line), 0600, 1, cause);
	free(path);
	return r;
}

/* Makes a key with an id never used in this keyring and stores it. */
static int
pass_keyring_generate(struct pass_keyring *kr, uint32_t *idp, char **cause)
{
	EVP_PKEY	*pkey;
	BIO		*bio;
	uint8_t		 b[4];
	uint32_t	 id;
	char		*path, *data;
	long		 len;
	int		 r;

	do {
		if (RAND_bytes(b, sizeof b) != 1) {
			pass_ssl_error(cause, "RAND_bytes");
			return -1;
		}
		id = (uint32_t)pass_get_be(b, 4);
	} while (id == 0 || pass_keyring_find(kr, id) != NULL ||
	    pass_keyring_is_retired(kr, id));

	if ((pkey = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519")) == NULL) {
		pass_ssl_error(cause, "Ed25519 key generation");
		return -1;
	}
	/* The PEM holds the private key: keep it in memory that is wiped. */
	if ((bio = BIO_new(BIO_s_secmem())) == NULL)
		fatalx("BIO_new failed");
	if (PEM_write_bio_PrivateKey(bio, pkey, NULL, NULL, 0, NULL,
	    NULL) != 1) {
		pass_ssl_error(cause, "PEM_write_bio_PrivateKey");
		BIO_free(bio);
		EVP_PKEY_free(pkey);
		return -1;
	}
	len = BIO_get_mem_data(bio, &data);
	xasprintf(&path, "%s/ed25519-%08x.pem", kr->dir, id);
	r = file_write_atomic(path, data, (size_t)len, 0600, 1, cause);
	free(path);
	BIO_free(bio);
	if (r != 0) {
		EVP_PKEY_free(pkey);
		return -1;
	}
	pass_keyring_add(kr, id, pkey);
	*idp = id;
	return 0;
}

/* Reads "current"; 0 with *ID, 1 if there is none, -1 if unreadable. */
static int
pass_keyring_read_current(struct pass_keyring *kr, uint32_t *id,
    char **cause)
{
	uint8_t	*buf;
	size_t	 len;
	char	*path, *why;
	int	 r = -1;

	xasprintf(&path, "%s/current", kr->dir);
	if (access(path, F_OK) != 0 && errno == ENOENT) {
		free(path);
		return 1;
	}
	if (file_read(path, 64, &buf, &len, &why) != 0) {
		xasprintf(cause, "%s: %s", path, why);
		free(why);
		free(path);
		return -1;
	}
	if (len != 9 || buf[8] != '\n' ||
	    pass_parse_key_id((const char *)buf, id) != 0)
		xasprintf(cause, "%s: not a key id", path);
	else
		r = 0;
	free(buf);
	free(path);
	return r;
}

/* Reads the directory: key files and tombstones. */
static int
pass_keyring_scan(struct pass_keyring *kr, char **cause)
{
	DIR		*d;
	struct dirent	*de;
	EVP_PKEY	*pkey;
	uint32_t	 id;
	char		*path;
	size_t		 i;
	int		 r = -1;

	if ((d = opendir(kr->dir)) == NULL) {
		xasprintf(cause, "%s: %s", kr->dir, strerror(errno));
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		if (strncmp(de->d_name, "retired-", 8) == 0 &&
		    strlen(de->d_name) == 16 &&
		    pass_parse_key_id(de->d_name + 8, &id) == 0)
			pass_keyring_add_retired(kr, id);
	}
	rewinddir(d);
	while ((de = readdir(d)) != NULL) {
		if (strncmp(de->d_name, "ed25519-", 8) != 0 ||
		    strlen(de->d_name) != 20 ||
		    strcmp(de->d_name + 16, ".pem") != 0 ||
		    pass_parse_key_id(de->d_name + 8, &id) != 0)
			continue;
		xasprintf(&path, "%s/%s", kr->dir, de->d_name);
		if (pass_keyring_is_retired(kr, id)) {
			/* A retire cut short after its tombstone: finish it. */
			log_info("pass: removing retired key %08x", id);
			if (unlink(path) != 0) {
				xasprintf(cause, "%s: %s", path,
				    strerror(errno));
				free(path);
				goto out;
			}
			free(path);
			continue;
		}
		pkey = pass_key_load(path, cause);
		free(path);
		if (pkey == NULL)
			goto out;
		pass_keyring_add(kr, id, pkey);
	}
	r = 0;
out:
	closedir(d);
	if (r != 0) {
		for (i = 0; i < kr->nkeys; i++)
			EVP_PKEY_free(kr->keys[i].pkey);
		kr->nkeys = 0;
	}
	return r;
}

int
pass_keyring_open(const char *dir, struct pass_keyring **krp, char **cause)
{
	struct pass_keyring	*kr;
	struct stat		 sb;
	uint32_t		 id;
	int			 r;

	*krp = NULL;
	if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
		xasprintf(cause, "%s: %s", dir, strerror(errno));
		return -1;
	}
	if (stat(dir, &sb) != 0) {
		xasprintf(cause, "%s: %s", dir, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(sb.st_mode)) {
		xasprintf(cause, "%s: not a directory", dir);
		return -1;
	}
	/* Whoever can add a key file can sign passes. */
	if (sb.st_uid != geteuid() || (sb.st_mode & 022) != 0) {
		xasprintf(cause, "%s: must be ours and not group or world "
		    "writable (mode %04o, uid %lu)", dir,
		    (unsigned)(sb.st_mode & 07777), (unsigned long)sb.st_uid);
		return -1;
	}

	kr = xcalloc(1, sizeof *kr);
	kr->dir = xstrdup(dir);
	if (pass_keyring_scan(kr, cause) != 0)
		goto fail;
	if ((r = pass_keyring_read_current(kr, &id, cause)) == -1)
		goto fail;
	if (r == 0) {
		if (pass_keyring_find(kr, id) == NULL) {
			xasprintf(cause, "%s: current key %08x is missing",
			    dir, id);
			goto fail;
		}
	} else if (kr->nkeys == 0) {
		if (pass_keyring_generate(kr, &id, cause) != 0 ||
		    pass_keyring_write_current(kr, id, cause) != 0)
			goto fail;
		log_info("pass: new key %08x in %s", id, dir);
	} else if (kr->nkeys == 1) {
		/* The first key was written but not yet "current". */
		id = kr->keys[0].id;
		if (pass_keyring_write_current(kr, id, cause) != 0)
			goto fail;
	} else {
		xasprintf(cause, "%s: %zu keys and no current one", dir,
		    kr->nkeys);
		goto fail;
	}
	kr->current = id;
	*krp = kr;
	return 0;

fail:
	pass_keyring_free(kr);
	return -1;
}

void
pass_keyring_free(struct pass_keyring *kr)
{
	size_t	i;

	if (kr == NULL)
		return;
	for (i = 0; i < kr->nkeys; i++)
		EVP_PKEY_free(kr->keys[i].pkey);
	free(kr->keys);
	free(kr->retired);
	free(kr->dir);
	free(kr);
}

uint32_t
pass_keyring_current(const struct pass_keyring *kr)
{
	return kr->current;
}

size_t
pass_keyring_ids(const struct pass_keyring *kr, uint32_t *ids, size_t max)
{
	size_t	i;

	for (i = 0; i < kr->nkeys && i < max; i++)
		ids[i] = kr->keys[i].id;
	return kr->nkeys;
}

int
pass_keyring_rotate(struct pass_keyring *kr, char **cause)
{
	uint32_t	id;

	/*
	 * Key first, then "current": a crash between leaves an extra key
	 * that verifies nothing yet and the old one still signing.
	 */
	if (pass_keyring_generate(kr, &id, cause) != 0)
		return -1;
	if (pass_keyring_write_current(kr, id, cause) != 0)
		return -1;
	log_info("pass: key %08x replaces %08x", id, kr->current);
	kr->current = id;
	return 0;
}

int
pass_keyring_retire(struct pass_keyring *kr, uint32_t key_id, char **cause)
{
	struct pass_key	*k;
	char		*path;
	size_t		 i;

	if (key_id == kr->current) {
		xasprintf(cause, "key %08x is the current key", key_id);
		return -1;
	}
	if ((k = pass_keyring_find(kr, key_id)) == NULL) {
		xasprintf(cause, "no key %08x", key_id);
		return -1;
	}
	/* Tombstone first: once it is there, open finishes the retire. */
	xasprintf(&path, "%s/retired-%08x", kr->dir, key_id);
	if (file_write_atomic(path, "", 0, 0600, 1, cause) != 0) {
		free(path);
		return -1;
	}
	free(path);
	xasprintf(&path, "%s/ed25519-%08x.pem", kr->dir, key_id);
	if (unlink(path) != 0) {
		xasprintf(cause, "%s: %s", path, strerror(errno));
		free(path);
		return -1;
	}
	free(path);
	if (file_fsync_dir(kr->dir, cause) != 0)
		return -1;

	EVP_PKEY_free(k->pkey);
	i = (size_t)(k - kr->keys);
	memmove(&kr->keys[i], &kr->keys[i + 1],
	    (kr->nkeys - i - 1) * sizeof *kr->keys);
	kr->nkeys--;
	pass_keyring_add_retired(kr, key_id);
	log_info("pass: key %08x retired", key_id);
	return 0;
}

/* RFC 4648 base32, upper case, no padding. OUT holds (LEN*8+4)/5+1. */
static void
pass_base32_encode(const uint8_t *in, size_t len, char *out)
{
	uint32_t	acc = 0;
	int		bits = 0;
	size_t		i, o = 0;

	for (i = 0; i < len; i++) {
		acc = (acc << 8) | in[i];
		bits += 8;
		while (bits >= 5) {
			bits -= 5;
			out[o++] = pass_b32[(acc >> bits) & 31];
		}
		acc &= (1U << bits) - 1;
	}
	if (bits > 0)
		out[o++] = pass_b32[(acc << (5 - bits)) & 31];
	out[o] = '\0';
}

/*
 * Decodes N characters of base32 into at most MAX bytes. Only the upper
 * case alphabet, no padding, and canonical: the bits left over after the
 * last whole byte (fewer than five) must be zero, so each byte string has
 * exactly one text.
 */
static int
pass_base32_decode(const char *s, size_t n, uint8_t *out, size_t max,
    size_t *outlen)
{
	uint32_t	acc = 0;
	int		bits = 0, v;
	size_t		i, o = 0;
	unsigned char	c;

	for (i = 0; i < n; i++) {
		c = (unsigned char)s[i];
		if (c >= 'A' && c <= 'Z')
			v = c - 'A';
		else if (c >= '2' && c <= '7')
			v = c - '2' + 26;
		else
			return -1;
		acc = (acc << 5) | (uint32_t)v;
		bits += 5;
		if (bits >= 8) {
			bits -= 8;
			if (o == max)
				return -1;
			out[o++] = (uint8_t)(acc >> bits);
			acc &= (1U << bits) - 1;
		}
	}
	if (bits >= 5 || acc != 0)
		return -1;
	*outlen = o;
	return 0;
}

/* A door name as gatehouse.conf allows it: [A-Za-z0-9._-]{1,64}. */
static int
pass_door_ok(const char *s, size_t len)
{
	size_t	i;

	if (len == 0 || len > PASS_MAX_DOOR_NAME)
		return 0;
	for (i = 0; i < len; i++) {
		if (strchr("abcdefghijklmnopqrstuvwxyz"
		    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-", s[i]) == NULL ||
		    s[i] == '\0')
			return 0;
	}
	return 1;
}

/*
 * Checks the fields of P as both issuing and verifying require them, so
 * only what pass_pack can write is ever read back. Returns a reason or
 * NULL.
 */
static const char *
pass_check(const struct pass *p)
{
	int	i, j;

	if (p->visit < 0 || p->person < 0)
		return "visit and person ids must not be negative";
	if (p->not_before < 0)
		return "not-before must not be negative";
	if (p->expiry <= p->not_before)
		return "expiry must be after not-before";
	if (p->uses == 0)
		return "uses must be at least 1";
	if (p->ndoors < 0 || p->ndoors > PASS_MAX_DOORS)
		return "too many doors";
	for (i = 0; i < p->ndoors; i++) {
		if (!pass_door_ok(p->doors[i], strnlen(p->doors[i],
		    PASS_MAX_DOOR_NAME + 1)))
			return "bad door name";
		for (j = 0; j < i; j++) {
			if (strcmp(p->doors[i], p->doors[j]) == 0)
				return "a door twice";
		}
	}
	return NULL;
}

/* The token without its signature into BUF (PASS_MAX_BYTES); its length. */
static size_t
pass_pack(const struct pass *p, uint8_t *buf)
{
	size_t	off = PASS_HEAD_LEN, n;
	int	i;

	buf[0] = PASS_VERSION;
	pass_put_be(buf + 1, p->key_id, 4);
	memcpy(buf + 5, p->id, PASS_ID_LEN);
	pass_put_be(buf + 21, (uint64_t)p->visit, 8);
	pass_put_be(buf + 29, (uint64_t)p->person, 8);
	pass_put_be(buf + 37, (uint64_t)p->not_before, 8);
	pass_put_be(buf + 45, (uint64_t)p->expiry, 8);
	pass_put_be(buf + 53, p->uses, 2);
	buf[55] = (uint8_t)p->ndoors;
	for (i = 0; i < p->ndoors; i++) {
		n = strlen(p->doors[i]);
		buf[off++] = (uint8_t)n;
		memcpy(buf + off, p->doors[i], n);
		off += n;
	}
	return off;
}

/* Reads the signed part of a token (LEN bytes) strictly into P. */
static int
pass_unpack(const uint8_t *buf, size_t len, struct pass *p)
{
	size_t	off = PASS_HEAD_LEN, n;
	int	i;

	memset(p, 0, sizeof *p);
	if (len < PASS_HEAD_LEN || buf[0] != PASS_VERSION)
		return -1;
	p->key_id = (uint32_t)pass_get_be(buf + 1, 4);
	memcpy(p->id, buf + 5, PASS_ID_LEN);
	p->visit = (int64_t)pass_get_be(buf + 21, 8);
	p->person = (int64_t)pass_get_be(buf + 29, 8);
	p->not_before = (int64_t)pass_get_be(buf + 37, 8);
	p->expiry = (int64_t)pass_get_be(buf + 45, 8);
	p->uses = (uint16_t)pass_get_be(buf + 53, 2);
	p->ndoors = buf[55];
	if (p->ndoors > PASS_MAX_DOORS)
		return -1;
	for (i = 0; i < p->ndoors; i++) {
		if (off >= len)
			return -1;
		n = buf[off++];
		if (n > len - off || !pass_door_ok((const char *)buf + off, n))
			return -1;
		memcpy(p->doors[i], buf + off, n);
		p->doors[i][n] = '\0';
		off += n;
	}
	if (off != len || pass_check(p) != NULL)
		return -1;
	return 0;
}

/* The message signed: the domain prefix, then the token's LEN bytes. */
static size_t
pass_message(const uint8_t *body, size_t len, uint8_t *msg)
{
	memcpy(msg, pass_domain, PASS_DOMAIN_LEN);
	memcpy(msg + PASS_DOMAIN_LEN, body, len);
	return PASS_DOMAIN_LEN + len;
}

int
pass_encode(struct pass_keyring *kr, const struct pass *p, char **text,
    char **cause)
{
	uint8_t		 buf[PASS_MAX_BYTES];
	uint8_t		 msg[PASS_DOMAIN_LEN + PASS_MAX_BYTES];
	struct pass_key	*k;
	EVP_MD_CTX	*ctx;
	const char	*why;
	size_t		 len, mlen, siglen = PASS_SIG_LEN;
	int		 ok;

	*text = NULL;
	if ((why = pass_check(p)) != NULL) {
		*cause = xstrdup(why);
		return -1;
	}
	if ((k = pass_keyring_find(kr, p->key_id)) == NULL) {
		xasprintf(cause, "no key %08x", p->key_id);
		return -1;
	}
	len = pass_pack(p, buf);
	mlen = pass_message(buf, len, msg);

	/* Ed25519 is one-shot: no digest, a fresh context per signature. */
	if ((ctx = EVP_MD_CTX_new()) == NULL)
		fatalx("EVP_MD_CTX_new failed");
	ok = EVP_DigestSignInit(ctx, NULL, NULL, NULL, k->pkey) == 1 &&
	    EVP_DigestSign(ctx, buf + len, &siglen, msg, mlen) == 1 &&
	    siglen == PASS_SIG_LEN;
	EVP_MD_CTX_free(ctx);
	if (!ok) {
		pass_ssl_error(cause, "Ed25519 signature");
		return -1;
	}
	len += PASS_SIG_LEN;

	*text = xmalloc(PASS_TEXT_MAX + 1);
	memcpy(*text, PASS_TEXT_PREFIX, 4);
	pass_base32_encode(buf, len, *text + 4);
	return 0;
}

int
pass_issue(struct pass_keyring *kr, struct pass *p, char **text,
    char **cause)
{
	p->key_id = kr->current;
	if (RAND_bytes(p->id, PASS_ID_LEN) != 1) {
		*text = NULL;
		pass_ssl_error(cause, "RAND_bytes");
		return -1;
	}
	return pass_encode(kr, p, text, cause);
}

/*
 * Decodes and authenticates TEXT into P. The signature is checked before
 * any field but the version and key id (which choose the layout and the
 * key) is read.
 */
static int
pass_authenticate(struct pass_keyring *kr, const char *text, struct pass *p)
{
	uint8_t		 buf[PASS_MAX_BYTES];
	uint8_t		 msg[PASS_DOMAIN_LEN + PASS_MAX_BYTES];
	struct pass_key	*k;
	EVP_MD_CTX	*ctx;
	size_t		 tlen, len, body, mlen;
	int		 ok;

	tlen = strnlen(text, PASS_TEXT_MAX + 1);
	if (tlen > PASS_TEXT_MAX || strncmp(text, PASS_TEXT_PREFIX, 4) != 0)
		return -1;
	if (pass_base32_decode(text + 4, tlen - 4, buf, sizeof buf,
	    &len) != 0)
		return -1;
	if (len < PASS_HEAD_LEN + PASS_SIG_LEN || buf[0] != PASS_VERSION)
		return -1;
	if ((k = pass_keyring_find(kr, (uint32_t)pass_get_be(buf + 1,
	    4))) == NULL)
		return -1;
	body = len - PASS_SIG_LEN;
	mlen = pass_message(buf, body, msg);

	if ((ctx = EVP_MD_CTX_new()) == NULL)
		fatalx("EVP_MD_CTX_new failed");
	ok = EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, k->pkey) == 1 &&
	    EVP_DigestVerify(ctx, buf + body, PASS_SIG_LEN, msg, mlen) == 1;
	EVP_MD_CTX_free(ctx);
	ERR_clear_error();
	if (!ok)
		return -1;
	return pass_unpack(buf, body, p);
}

int
pass_verify(struct pass_keyring *kr, const char *text, int64_t now_s,
    const char *door, int64_t skew_s, int clock_trusted, struct pass *out,
    enum pass_refusal *why)
{
	uint64_t	skew = skew_s > 0 ? (uint64_t)skew_s : 0;
	int		i;

	if (text == NULL || pass_authenticate(kr, text, out) != 0) {
		memset(out, 0, sizeof *out);
		*why = PASS_BAD_SIGNATURE;
		return -1;
	}
	/* Every pass has an expiry: none is valid on a clock we doubt. */
	if (!clock_trusted) {
		*why = PASS_CLOCK_UNTRUSTED;
		return -1;
	}
	/* Differences in uint64_t: exact, whatever NOW is. */
	if (now_s > out->expiry &&
	    (uint64_t)now_s - (uint64_t)out->expiry > skew) {
		*why = PASS_EXPIRED;
		return -1;
	}
	if (now_s < out->not_before &&
	    (uint64_t)out->not_before - (uint64_t)now_s > skew) {
		*why = PASS_NOT_YET_VALID;
		return -1;
	}
	if (out->ndoors > 0) {
		for (i = 0; i < out->ndoors; i++) {
			if (door != NULL && strcmp(out->doors[i], door) == 0)
				break;
		}
		if (i == out->ndoors) {
			*why = PASS_WRONG_DOOR;
			return -1;
		}
	}
	*why = PASS_OK;
	return 0;
}

const char *
pass_refusal_name(enum pass_refusal r)
{
	if ((size_t)r >= sizeof pass_refusal_names /
	    sizeof pass_refusal_names[0])
		return "unknown";
	return pass_refusal_names[r];
}

static void
pass_hex(const uint8_t *in, size_t len, char *out)
{
	static const char	hex[] = "0123456789abcdef";
	size_t			i;

	for (i = 0; i < len; i++) {
		out[2 * i] = hex[in[i] >> 4];
		out[2 * i + 1] = hex[in[i] & 15];
	}
	out[2 * len] = '\0';
}

/* Parses 2*LEN hex digits at S; LOWER_ONLY refuses upper case. */
static int
pass_unhex(const char *s, uint8_t *out, size_t len, int lower_only)
{
	size_t	i;
	int	v, c;

	for (i = 0; i < 2 * len; i++) {
		c = (unsigned char)s[i];
		if (c >= '0' && c <= '9')
			v = c - '0';
		else if (c >= 'a' && c <= 'f')
			v = c - 'a' + 10;
		else if (!lower_only && c >= 'A' && c <= 'F')
			v = c - 'A' + 10;
		else
			return -1;
		if (i % 2 == 0)
			out[i / 2] = (uint8_t)(v << 4);
		else
			out[i / 2] |= (uint8_t)v;
	}
	return 0;
}

void
pass_id_hex(const uint8_t id[PASS_ID_LEN], char out[PASS_ID_HEX])
{
	pass_hex(id, PASS_ID_LEN, out);
}

int
pass_id_parse(const char *s, uint8_t id[PASS_ID_LEN])
{
	uint8_t	tmp[PASS_ID_LEN];

	if (strlen(s) != 2 * PASS_ID_LEN ||
	    pass_unhex(s, tmp, PASS_ID_LEN, 0) != 0)
		return -1;
	memcpy(id, tmp, PASS_ID_LEN);
	return 0;
}

int
pass_pin_new(int digits, char *pin, size_t size)
{
	uint8_t	buf[32];
	int	i = 0;
	size_t	j;

	if (digits < PASS_PIN_MIN || digits > PASS_PIN_MAX ||
	    size <= (size_t)digits)
		return -1;
	/*
	 * Rejection sampling: a byte below 250 gives byte % 10, each digit
	 * from exactly 25 values; bytes 250 to 255 are thrown away.
	 */
	while (i < digits) {
		if (RAND_bytes(buf, sizeof buf) != 1) {
			ERR_clear_error();
			OPENSSL_cleanse(pin, size);
			return -1;
		}
		for (j = 0; j < sizeof buf && i < digits; j++) {
			if (buf[j] < 250)
				pin[i++] = (char)('0' + buf[j] % 10);
		}
	}
	pin[digits] = '\0';
	OPENSSL_cleanse(buf, sizeof buf);
	return 0;
}

/* scrypt of PIN; 0, or -1 if OpenSSL refuses (parameters, memory). */
static int
pass_scrypt(const char *pin, const uint8_t *salt, uint64_t n, uint64_t r,
    uint64_t p, uint8_t out[PASS_HASH_LEN])
{
	int	ok;

	ok = EVP_PBE_scrypt(pin, strlen(pin), salt, PASS_SALT_LEN, n, r, p,
	    PASS_SCRYPT_MAX_MEM + ((uint64_t)1 << 20), out,
	    PASS_HASH_LEN) == 1;
	if (!ok)
		ERR_clear_error();
	return ok ? 0 : -1;
}

int
pass_pin_hash(const char *pin, char **stored, char **cause)
{
	uint8_t	salt[PASS_SALT_LEN], hash[PASS_HASH_LEN];
	char	salt_hex[2 * PASS_SALT_LEN + 1];
	char	hash_hex[2 * PASS_HASH_LEN + 1];

	*stored = NULL;
	if (RAND_bytes(salt, sizeof salt) != 1) {
		pass_ssl_error(cause, "RAND_bytes");
		return -1;
	}
	if (pass_scrypt(pin, salt, PASS_SCRYPT_N, PASS_SCRYPT_R,
	    PASS_SCRYPT_P, hash) != 0) {
		*cause = xstrdup("scrypt failed");
		return -1;
	}
	pass_hex(salt, sizeof salt, salt_hex);
	pass_hex(hash, sizeof hash, hash_hex);
	OPENSSL_cleanse(hash, sizeof hash);
	xasprintf(stored, "scrypt$%d$%d$%d$%s$%s", PASS_SCRYPT_N,
	    PASS_SCRYPT_R, PASS_SCRYPT_P, salt_hex, hash_hex);
	return 0;
}

/* A decimal number from 1 to MAX without leading zeros, ended by '$'. */
static const char *
pass_parse_number(const char *s, uint64_t max, uint64_t *v)
{
	uint64_t	n = 0;
	const char	*p = s;

	if (*p < '1' || *p > '9')
		return NULL;
	while (*p >= '0' && *p <= '9') {
		n = n * 10 + (uint64_t)(*p - '0');
		if (n > max)
			return NULL;
		p++;
	}
	if (*p != '$')
		return NULL;
	*v = n;
	return p + 1;
}

int
pass_pin_check(const char *pin, const char *stored)
{
	uint8_t		 salt[PASS_SALT_LEN], want[PASS_HASH_LEN];
	uint8_t		 got[PASS_HASH_LEN];
	uint64_t	 n, r, p;
	const char	*s;
	int		 match;

	if (strncmp(stored, "scrypt$", 7) != 0)
		return -1;
	s = stored + 7;
	if ((s = pass_parse_number(s, PASS_SCRYPT_MAX_N, &n)) == NULL ||
	    (s = pass_parse_number(s, PASS_SCRYPT_MAX_R, &r)) == NULL ||
	    (s = pass_parse_number(s, PASS_SCRYPT_MAX_P, &p)) == NULL)
		return -1;
	if (n < 2 || (n & (n - 1)) != 0 || 128 * n * r > PASS_SCRYPT_MAX_MEM)
		return -1;
	if (strlen(s) != 2 * PASS_SALT_LEN + 1 + 2 * PASS_HASH_LEN ||
	    s[2 * PASS_SALT_LEN] != '$')
		return -1;
	if (pass_unhex(s, salt, PASS_SALT_LEN, 1) != 0 ||
	    pass_unhex(s + 2 * PASS_SALT_LEN + 1, want, PASS_HASH_LEN,
	    1) != 0)
		return -1;
	/* Too long to be a PIN: no match, after the same work as one. */
	if (pass_scrypt(strnlen(pin, PASS_PIN_MAX + 1) > PASS_PIN_MAX ?
	    "" : pin, salt, n, r, p, got) != 0)
		return -1;
	match = CRYPTO_memcmp(got, want, PASS_HASH_LEN) == 0 &&
	    strnlen(pin, PASS_PIN_MAX + 1) <= PASS_PIN_MAX;
	OPENSSL_cleanse(got, sizeof got);
	return match;
}

int
pass_pin_parse(const char *input, char *pin, size_t size)
{
	const char	*blanks = " \t\r\n";
	size_t		 start, end, i;

	start = strspn(input, blanks);
	end = strlen(input);
	while (end > start && strchr(blanks, input[end - 1]) != NULL)
		end--;
	if (end - start < PASS_PIN_MIN || end - start > PASS_PIN_MAX ||
	    end - start >= size)
		return -1;
	for (i = start; i < end; i++) {
		if (input[i] < '0' || input[i] > '9')
			return -1;
	}
	memcpy(pin, input + start, end - start);
	pin[end - start] = '\0';
	return 0;
}
