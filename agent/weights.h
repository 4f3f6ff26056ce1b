/*
 * Model weights in the tfjs layout: a manifest (JSON array of groups, each
 * with "paths" and "weights") and binary shards holding the tensors end to
 * end in manifest order. Entries are dequantised to float32 at load.
 */
#ifndef WEIGHTS_H
#define WEIGHTS_H

#include <stddef.h>
#include <stdint.h>

#define WEIGHTS_MAX_DIMS	4

struct weights_entry {
	char	*name;
	int	 ndim;
	int	 shape[WEIGHTS_MAX_DIMS];
	size_t	 count;			/* product of shape; 1 for a scalar */
	float	*data;
};

struct weights {
	char			*model;
	struct weights_entry	*entries;
	size_t			 nentries;
	char			*error;	/* first failed weights_get, or NULL */
};

/* Loads DIR/MODEL-weights_manifest.json and its shards. */
int		 weights_load(const char *dir, const char *model,
		     struct weights **out, char **cause);
/*
 * Parses a manifest whose shards, concatenated in group and path order,
 * are BIN. Sizes must match exactly.
 */
int		 weights_parse(const char *model, const char *manifest,
		     size_t manifest_len, const uint8_t *bin, size_t bin_len,
		     struct weights **out, char **cause);
void		 weights_free(struct weights *);

/*
 * Returns the data of entry NAME, which must have NDIM dimensions equal to
 * the following int arguments. On a missing entry or a shape mismatch,
 * returns NULL and records the first such error in w->error.
 */
const float	*weights_get(struct weights *w, const char *name, int ndim, ...);
/* As weights_get, with the shape as an array of NDIM values. */
const float	*weights_getv(struct weights *w, const char *name, int ndim,
		     const int *shape);

#endif
