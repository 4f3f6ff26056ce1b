/*
 * libFuzzer target for passes and PINs (agent/pass.c). The input, cut at
 * its first NUL, is given to:
 *
 *	pass_verify	with a keyring holding one fixed key (FUZZ_KEY below,
 *			id FUZZ_KEY_ID, made in a temporary directory once),
 *			at FUZZ_NOW for door "front". Whatever authenticates
 *			(accepted, or refused for time, door or clock) must be
 *			exactly the text pass_encode makes of the fields it
 *			reported: no second spelling of a signed pass exists.
 *	pass_pin_parse	a PIN must come out as 4 to 10 digits found in the
 *			input.
 *	pass_pin_check	the input as a stored hash string, for the PIN 1234.
 *
 * The key is a test key published here so that tests/fuzz/seed-pass.sh can
 * sign seeds with the openssl command; it signs nothing real.
 */
#include <sys/stat.h>

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "file.h"
#include "pass.h"

#define FUZZ_KEY_ID	"0f1e2d3c"
#define FUZZ_NOW	((int64_t)1800000000)
static const char FUZZ_KEY[] =
    "-----BEGIN PRIVATE KEY-----\n"
    "MC4CAQAwBQYDK2VwBCIEIC5NV+JgWOQ9PBLbzxWN6Qc10PDq575MGEDhLxTRz9JX\n"
    "-----END PRIVATE KEY-----\n";

int	LLVMFuzzerInitialize(int *, char ***);
int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static struct pass_keyring	*fuzz_kr;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char	 dir[] = "/tmp/fuzz-pass.XXXXXX", path[64], *cause = NULL;

	(void)argc;
	(void)argv;
	if (mkdtemp(dir) == NULL)
		abort();
	snprintf(path, sizeof path, "%s/ed25519-%s.pem", dir, FUZZ_KEY_ID);
	if (file_write_atomic(path, FUZZ_KEY, strlen(FUZZ_KEY), 0600, 0,
	    &cause) != 0 || pass_keyring_open(dir, &fuzz_kr, &cause) != 0) {
		fprintf(stderr, "fuzz-pass: %s\n", cause);
		abort();
	}
	/* The keyring is in memory now: leave no directory behind. */
	snprintf(path, sizeof path, "%s/ed25519-%s.pem", dir, FUZZ_KEY_ID);
	remove(path);
	snprintf(path, sizeof path, "%s/current", dir);
	remove(path);
	remove(dir);
	return 0;
}

/* TEXT authenticated as P: it must be P's one encoding. */
static void
check_canonical(const char *text, const struct pass *p)
{
	char	*again, *cause = NULL;

	if (pass_encode(fuzz_kr, p, &again, &cause) != 0)
		abort();
	if (strcmp(again, text) != 0)
		abort();
	free(again);
}

static void
check_pass(const char *text)
{
	struct pass		p, q;
	enum pass_refusal	why, why2;
	int			r;

	r = pass_verify(fuzz_kr, text, FUZZ_NOW, "front", 60, 1, &p, &why);
	if ((r == 0) != (why == PASS_OK) || why > PASS_CLOCK_UNTRUSTED)
		abort();
	r = pass_verify(fuzz_kr, text, FUZZ_NOW, "front", 60, 0, &q, &why2);
	if (why == PASS_BAD_SIGNATURE) {
		if (why2 != PASS_BAD_SIGNATURE || p.key_id != 0 ||
		    p.ndoors != 0)
			abort();
		return;
	}
	if (r != -1 || why2 != PASS_CLOCK_UNTRUSTED)
		abort();
	check_canonical(text, &p);
}

static void
check_pin(const char *text)
{
	char	pin[PASS_PIN_MAX + 1];
	size_t	n;

	if (pass_pin_parse(text, pin, sizeof pin) != 0)
		return;
	n = strlen(pin);
	if (n < PASS_PIN_MIN || n > PASS_PIN_MAX ||
	    strspn(pin, "0123456789") != n || strstr(text, pin) == NULL)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	*text;
	int	 r;

	if ((text = malloc(size + 1)) == NULL)
		abort();
	memcpy(text, data, size);
	text[size] = '\0';
	check_pass(text);
	check_pin(text);
	r = pass_pin_check("1234", text);
	if (r < -1 || r > 1)
		abort();
	free(text);
	return 0;
}
