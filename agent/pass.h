/*
 * Signed one-time passes and PINs (doc/PASSES is the format in full).
 *
 * A pass is a binary token signed with Ed25519 (OpenSSL 3, EVP only) and
 * carried in a QR code as text: "GH1:" and the token's bytes in upper case
 * base32 without padding. The algorithm is fixed by the version byte; the
 * token never names it. This module signs and verifies tokens against
 * time and door; replay (consuming the pass id), revocation, lockout and
 * the clock's trust are the store's and main's: they pass in the results.
 *
 * Keys live in a keyring directory (DATA_DIR/keys, 0700): one PEM private
 * key per file, "ed25519-KEYID.pem" (0600), KEYID the key's 32-bit id in
 * 8 lower case hex digits; "current" names the key that signs; a retired
 * key leaves a "retired-KEYID" tombstone so its id is never used again.
 * Old keys keep verifying until main retires them, once no pass signed by
 * them can still be valid.
 *
 * Every pass has an expiry, so every pass is time-bound: with an
 * untrusted clock no pass verifies (PASS_CLOCK_UNTRUSTED).
 *
 * Errors meant for a person are -1 with a malloc'd *cause.
 */
#ifndef PASS_H
#define PASS_H

#include <stddef.h>
#include <stdint.h>

#define PASS_VERSION		1
#define PASS_ID_LEN		16	/* bytes of random pass id */
#define PASS_ID_HEX		33	/* its lower case hex, with the NUL */
#define PASS_MAX_DOORS		8	/* doors in a scope; 0 is every door */
#define PASS_MAX_DOOR_NAME	64	/* as door_name in gatehouse.conf */
#define PASS_SIG_LEN		64
/* The fixed part: version to door count (doc/PASSES, section 2). */
#define PASS_HEAD_LEN		56
#define PASS_MAX_BYTES		(PASS_HEAD_LEN +			\
	PASS_MAX_DOORS * (1 + PASS_MAX_DOOR_NAME) + PASS_SIG_LEN)
#define PASS_TEXT_PREFIX	"GH1:"
/* Longest text form, without the NUL: prefix + base32 of the bytes. */
#define PASS_TEXT_MAX		(4 + (PASS_MAX_BYTES * 8 + 4) / 5)

#define PASS_PIN_MIN		4
#define PASS_PIN_MAX		10

/* What a pass says. Ids of 0 mean none. */
struct pass {
	uint32_t	key_id;		/* the signing key (set by issue) */
	uint8_t		id[PASS_ID_LEN]; /* random (set by issue) */
	int64_t		visit;		/* visit id, >= 0 */
	int64_t		person;		/* person id, >= 0 */
	int64_t		not_before;	/* seconds since the epoch, >= 0 */
	int64_t		expiry;		/* seconds, > not_before; inclusive */
	uint16_t	uses;		/* entries allowed, >= 1 */
	int		ndoors;		/* 0: every door */
	char		doors[PASS_MAX_DOORS][PASS_MAX_DOOR_NAME + 1];
};

/*
 * Why a pass is refused; pass_refusal_name() gives the word used in events.
 * pass_verify returns only the first five. The last three are decided by
 * the store and main and are here so every refusal word comes from one
 * table.
 */
enum pass_refusal {
	PASS_OK,		/* "ok" */
	PASS_BAD_SIGNATURE,	/* "bad-signature": also malformed text,
				   unknown or retired key id: an attacker
				   is not told which */
	PASS_EXPIRED,		/* "expired": now > expiry + skew */
	PASS_NOT_YET_VALID,	/* "not-yet-valid": now + skew < not_before */
	PASS_WRONG_DOOR,	/* "wrong-door": not in the scope */
	PASS_CLOCK_UNTRUSTED,	/* "clock-untrusted": the caller says so */
	PASS_REPLAY,		/* "replay": already used up */
	PASS_REVOKED,		/* "revoked" */
	PASS_LOCKED_OUT,	/* "locked-out": too many failures */
};

struct pass_keyring;

/*
 * Opens the keyring in DIR, creating DIR (0700) and a first key when there
 * is none. Refuses DIR when it is not ours or is group or world writable,
 * and a key file that is not a regular file owned by us, is group or world
 * readable or writable, or does not hold an Ed25519 private key.
 */
int	 pass_keyring_open(const char *dir, struct pass_keyring **,
	     char **cause);
void	 pass_keyring_free(struct pass_keyring *);
/* The id of the key that signs new passes. */
uint32_t pass_keyring_current(const struct pass_keyring *);
/* Up to MAX key ids (current included) into IDS; returns how many keys. */
size_t	 pass_keyring_ids(const struct pass_keyring *, uint32_t *ids,
	     size_t max);
/* Makes a new key the current one; the others keep verifying. */
int	 pass_keyring_rotate(struct pass_keyring *, char **cause);
/*
 * Deletes key KEY_ID, which must not be the current one: its passes no
 * longer verify (bad-signature) and its id is never used again.
 */
int	 pass_keyring_retire(struct pass_keyring *, uint32_t key_id,
	     char **cause);

/*
 * Issues pass P: sets P->key_id to the current key and P->id to fresh
 * random bytes, checks the other fields and signs. *TEXT (malloc'd) is
 * the text for the QR code.
 */
int	 pass_issue(struct pass_keyring *, struct pass *, char **text,
	     char **cause);
/*
 * Signs P as it is, with the key P->key_id and the pass id P->id: the same
 * pass gives the same text (Ed25519 is deterministic). For re-sending a
 * pass and for tests; new passes come from pass_issue.
 */
int	 pass_encode(struct pass_keyring *, const struct pass *, char **text,
	     char **cause);
/*
 * Verifies the text of a pass at NOW_S (seconds since the epoch) for DOOR,
 * allowing SKEW_S seconds of clock difference at both ends of the window.
 * In order: the text, key id and signature (PASS_BAD_SIGNATURE, and OUT is
 * zeroed), the clock (CLOCK_TRUSTED 0 refuses every pass), the window, the
 * door. Returns 0 with OUT filled and *WHY = PASS_OK, or -1 with *WHY set;
 * OUT is filled for every refusal but PASS_BAD_SIGNATURE, so events can
 * name the pass. Nothing is consumed: the caller checks replay, revocation
 * and lockout.
 */
int	 pass_verify(struct pass_keyring *, const char *text, int64_t now_s,
	     const char *door, int64_t skew_s, int clock_trusted,
	     struct pass *out, enum pass_refusal *why);
const char *pass_refusal_name(enum pass_refusal);
/* The pass id in lower case hex, as events and "pass revoke" show it. */
void	 pass_id_hex(const uint8_t id[PASS_ID_LEN], char out[PASS_ID_HEX]);
/* Parses 32 hex digits (either case) into ID; 0, or -1 if not that. */
int	 pass_id_parse(const char *s, uint8_t id[PASS_ID_LEN]);

/*
 * A fresh uniform PIN of DIGITS (PASS_PIN_MIN to PASS_PIN_MAX) decimal
 * digits into PIN (SIZE > DIGITS). Returns 0, or -1 (bad arguments, or no
 * random bytes).
 */
int	 pass_pin_new(int digits, char *pin, size_t size);
/*
 * Hashes PIN for storage: *STORED (malloc'd) is
 * "scrypt$N$r$p$SALT$HASH" (decimal parameters, hex salt and hash). Takes
 * tens of milliseconds on purpose (doc/PASSES, section 5).
 */
int	 pass_pin_hash(const char *pin, char **stored, char **cause);
/*
 * Checks PIN against STORED in constant time. Returns 1 if it matches, 0
 * if not, -1 if STORED is malformed.
 */
int	 pass_pin_check(const char *pin, const char *stored);
/*
 * The kiosk's PIN input: blanks (space, tab, CR, LF) around it are
 * dropped; the rest must be PASS_PIN_MIN to PASS_PIN_MAX ASCII digits.
 * Copies it into PIN (SIZE bytes). Returns 0, or -1 if it is not a PIN.
 */
int	 pass_pin_parse(const char *input, char *pin, size_t size);

#endif
