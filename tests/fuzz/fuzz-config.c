/*
 * libFuzzer target for the configuration parser (agent/config.c). Any
 * bytes are parsed as a gatehouse.conf; a refused file must say why and
 * leave the output alone. An accepted one is printed as -T would print it,
 * and that must parse back, print the same and not count as a change for
 * a reload.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* Prints C to a string (malloc'd) and its length to *LEN. */
static char *
fuzz_print(const struct config *c, size_t *len)
{
	FILE	*f;
	char	*s = NULL;

	if ((f = open_memstream(&s, len)) == NULL)
		abort();
	config_print(f, c);
	if (fclose(f) != 0)
		abort();
	return s;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config	 c, back, untouched;
	char		*cause = NULL, *a, *b;
	size_t		 alen, blen;

	memset(&c, 0x5a, sizeof c);
	memcpy(&untouched, &c, sizeof c);
	if (config_parse((const char *)data, size, "fuzz", &c, &cause) != 0) {
		/* A failure says where and why and hands back nothing. */
		if (cause == NULL || strncmp(cause, "fuzz:", 5) != 0 ||
		    memcmp(&c, &untouched, sizeof c) != 0)
			abort();
		free(cause);
		return 0;
	}
	if (cause != NULL)
		abort();

	a = fuzz_print(&c, &alen);
	if (config_parse(a, alen, "dump", &back, &cause) != 0) {
		fprintf(stderr, "the dump does not parse: %s\n%s", cause, a);
		abort();
	}
	b = fuzz_print(&back, &blen);
	if (alen != blen || memcmp(a, b, alen) != 0) {
		fprintf(stderr, "the dump changed:\n%s---\n%s", a, b);
		abort();
	}
	if (config_reload_check(&c, &back, &cause) != 0 ||
	    config_reload_check(&back, &c, &cause) != 0)
		abort();
	free(a);
	free(b);
	config_free(&back);
	config_free(&c);
	return 0;
}
