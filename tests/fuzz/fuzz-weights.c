/*
 * libFuzzer target for the weights parser (agent/weights.c). The input is
 * a manifest, a NUL byte, then the concatenated shards; without a NUL the
 * whole input is the manifest and the shards are empty. A parsed model is
 * looked up entry by entry with its own shape, then with a wrong one.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "weights.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t	 empty[1];
	struct weights		*w;
	const struct weights_entry *e;
	const uint8_t		*nul, *bin = empty;
	const float		*v;
	char			*cause = NULL;
	size_t			 mlen = size, blen = 0, i, j;
	volatile float		 sum = 0;

	if ((nul = memchr(data, '\0', size)) != NULL) {
		mlen = (size_t)(nul - data);
		bin = nul + 1;
		blen = size - mlen - 1;
	}
	if (weights_parse("fuzz", (const char *)data, mlen, bin, blen, &w,
	    &cause) != 0) {
		/* A failure always says why and hands back nothing. */
		if (cause == NULL || w != NULL)
			abort();
		free(cause);
		return 0;
	}
	if (cause != NULL || w == NULL || w->nentries == 0)
		abort();

	for (i = 0; i < w->nentries; i++) {
		e = &w->entries[i];
		if (e->ndim < 0 || e->ndim > WEIGHTS_MAX_DIMS)
			abort();
		/* Duplicate names find the first entry of that name. */
		v = weights_getv(w, e->name, e->ndim, e->shape);
		if (v == NULL && w->error == NULL)
			abort();
		/* Touch every value so ASan sees the whole buffer. */
		for (j = 0; v == e->data && j < e->count; j++)
			sum += v[j];
	}
	weights_get(w, "no such tensor", 0);
	if (w->nentries != 0)
		weights_get(w, w->entries[0].name, 5, 1, 1, 1, 1, 1);
	if (w->error == NULL)
		abort();
	weights_free(w);
	(void)sum;
	return 0;
}
