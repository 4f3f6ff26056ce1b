#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "file.h"
#include "weights.h"
#include "xmalloc.h"

/* A model's tensors number in the low millions; this bounds hostile input. */
#define WEIGHTS_MAX_VALUES	(64UL * 1024 * 1024)
#define WEIGHTS_MAX_FILE	(256UL * 1024 * 1024)
#define WEIGHTS_MAX_PATHS	64

enum weights_kind {
	WEIGHTS_F32,		/* 4 bytes little-endian IEEE-754 */
	WEIGHTS_I32,		/* 4 bytes little-endian int32 */
	WEIGHTS_U8,		/* 1 byte, value = q * scale + min */
	WEIGHTS_U8_I32,		/* 1 byte, rounded q * scale + min */
};

/* Reads a little-endian 32-bit word. */
static uint32_t
weights_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}

/*
 * Parses LEN bytes of JSON text; NULL unless they hold one value and
 * nothing but whitespace after it (cJSON alone stops at the value's end).
 */
static cJSON *
weights_parse_json(const char *s, size_t len)
{
	cJSON		*root;
	const char	*end = NULL;

	if ((root = cJSON_ParseWithLengthOpts(s, len, &end, 0)) == NULL)
		return NULL;
	while (end < s + len && (*end == ' ' || *end == '\t' ||
	    *end == '\r' || *end == '\n'))
		end++;
	if (end != s + len) {
		cJSON_Delete(root);
		return NULL;
	}
	return root;
}

/* Parses one manifest entry's name, shape and encoding into E. */
static int
weights_parse_entry(const cJSON *j, struct weights_entry *e,
    enum weights_kind *kind, double *scale, double *min, char **cause)
{
	const cJSON	*name, *shape, *dtype, *quant, *d;
	int		 i;

	name = cJSON_GetObjectItemCaseSensitive(j, "name");
	shape = cJSON_GetObjectItemCaseSensitive(j, "shape");
	dtype = cJSON_GetObjectItemCaseSensitive(j, "dtype");
	quant = cJSON_GetObjectItemCaseSensitive(j, "quantization");
	if (!cJSON_IsString(name) || !cJSON_IsArray(shape) ||
	    !cJSON_IsString(dtype)) {
		xasprintf(cause, "entry without name, shape or dtype");
		return -1;
	}
	e->name = xstrdup(name->valuestring);
	e->ndim = cJSON_GetArraySize(shape);
	if (e->ndim > WEIGHTS_MAX_DIMS) {
		xasprintf(cause, "%s: %d dimensions", e->name, e->ndim);
		return -1;
	}
	e->count = 1;
	for (i = 0; i < e->ndim; i++) {
		d = cJSON_GetArrayItem(shape, i);
		if (!cJSON_IsNumber(d) || d->valuedouble < 0 ||
		    d->valuedouble > WEIGHTS_MAX_VALUES ||
		    d->valuedouble != (int)d->valuedouble) {
			xasprintf(cause, "%s: bad shape", e->name);
			return -1;
		}
		e->shape[i] = d->valueint;
		e->count *= (size_t)e->shape[i];
		if (e->count > WEIGHTS_MAX_VALUES) {
			xasprintf(cause, "%s: too large", e->name);
			return -1;
		}
	}

	if (quant != NULL) {
		const cJSON	*qd, *qs, *qm;

		qd = cJSON_GetObjectItemCaseSensitive(quant, "dtype");
		qs = cJSON_GetObjectItemCaseSensitive(quant, "scale");
		qm = cJSON_GetObjectItemCaseSensitive(quant, "min");
		if (!cJSON_IsString(qd) || strcmp(qd->valuestring, "uint8") != 0) {
			xasprintf(cause, "%s: unsupported quantization", e->name);
			return -1;
		}
		if (!cJSON_IsNumber(qs) || !cJSON_IsNumber(qm) ||
		    !isfinite(qs->valuedouble) || !isfinite(qm->valuedouble)) {
			xasprintf(cause, "%s: bad quantization", e->name);
			return -1;
		}
		/*
		 * As tfjs: only float32 and int32 entries are quantised, and
		 * int32 ones are rounded after dequantisation.
		 */
		if (strcmp(dtype->valuestring, "float32") == 0)
			*kind = WEIGHTS_U8;
		else if (strcmp(dtype->valuestring, "int32") == 0)
			*kind = WEIGHTS_U8_I32;
		else {
			xasprintf(cause, "%s: unsupported quantized dtype %s",
			    e->name, dtype->valuestring);
			return -1;
		}
		*scale = qs->valuedouble;
		*min = qm->valuedouble;
	} else if (strcmp(dtype->valuestring, "float32") == 0)
		*kind = WEIGHTS_F32;
	else if (strcmp(dtype->valuestring, "int32") == 0)
		*kind = WEIGHTS_I32;
	else {
		xasprintf(cause, "%s: unsupported dtype %s", e->name,
		    dtype->valuestring);
		return -1;
	}
	return 0;
}

/*
 * Rounds as JavaScript's Math.round, which tfjs uses: halfway cases go
 * towards +infinity (-2.5 gives -2), where C's round() goes away from zero.
 */
static double
weights_round(double x)
{
	double	r = round(x);

	if (x - r == 0.5)
		r += 1;
	return r;
}

/*
 * Decodes E->count values of an entry from BIN at OFF into E->data. BIN is
 * only touched for a nonempty entry: it may be NULL when every entry is.
 */
static void
weights_decode(struct weights_entry *e, enum weights_kind kind, double scale,
    double min, const uint8_t *bin, size_t off)
{
	size_t		 i;
	uint32_t	 u;
	float		 f;

	e->data = xreallocarray(NULL, e->count, sizeof *e->data);
	for (i = 0; i < e->count; i++) {
		switch (kind) {
		case WEIGHTS_F32:
			u = weights_le32(bin + off + 4 * i);
			memcpy(&f, &u, sizeof f);
			e->data[i] = f;
			break;
		case WEIGHTS_I32:
			e->data[i] = (float)(int32_t)weights_le32(bin + off +
			    4 * i);
			break;
		case WEIGHTS_U8:
			/* tfjs dequantises in double and stores float32. */
			e->data[i] = (float)(bin[off + i] * scale + min);
			break;
		case WEIGHTS_U8_I32:
			e->data[i] = (float)weights_round(bin[off + i] * scale +
			    min);
			break;
		}
	}
}

int
weights_parse(const char *model, const char *manifest, size_t manifest_len,
    const uint8_t *bin, size_t bin_len, struct weights **out, char **cause)
{
	struct weights		*w;
	cJSON			*root;
	const cJSON		*group, *list, *j;
	struct weights_entry	*e;
	enum weights_kind	 kind;
	double			 scale = 0, min = 0;
	size_t			 off = 0, bytes, total = 0;
	char			*why = NULL;
	int			 r = -1;

	*out = NULL;
	w = xcalloc(1, sizeof *w);
	w->model = xstrdup(model);
	root = weights_parse_json(manifest, manifest_len);
	if (root == NULL || !cJSON_IsArray(root)) {
		xasprintf(&why, "manifest is not a JSON array");
		goto out;
	}
	cJSON_ArrayForEach(group, root) {
		list = cJSON_GetObjectItemCaseSensitive(group, "weights");
		if (!cJSON_IsArray(list)) {
			xasprintf(&why, "group without weights");
			goto out;
		}
		total += (size_t)cJSON_GetArraySize(list);
	}
	if (total == 0 || total > 100000) {
		xasprintf(&why, "%zu entries", total);
		goto out;
	}
	w->entries = xcalloc(total, sizeof *w->entries);

	cJSON_ArrayForEach(group, root) {
		list = cJSON_GetObjectItemCaseSensitive(group, "weights");
		cJSON_ArrayForEach(j, list) {
			e = &w->entries[w->nentries++];
			if (weights_parse_entry(j, e, &kind, &scale, &min,
			    &why) != 0)
				goto out;
			bytes = e->count * ((kind == WEIGHTS_U8 ||
			    kind == WEIGHTS_U8_I32) ? 1 : 4);
			if (bytes > bin_len - off) {
				xasprintf(&why, "%s: weights file truncated "
				    "(%zu bytes, need %zu more at %zu)",
				    e->name, bin_len, bytes, off);
				goto out;
			}
			weights_decode(e, kind, scale, min, bin, off);
			off += bytes;
		}
	}
	if (off != bin_len) {
		xasprintf(&why, "weights file has %zu bytes, manifest "
		    "describes %zu", bin_len, off);
		goto out;
	}
	*out = w;
	w = NULL;
	r = 0;
out:
	if (why != NULL) {
		xasprintf(cause, "%s: %s", model, why);
		free(why);
	}
	cJSON_Delete(root);
	weights_free(w);
	return r;
}

/* Reads PATH into *BUF with a NUL after it; the cause names the path. */
static int
weights_read_file(const char *path, uint8_t **buf, size_t *len, char **cause)
{
	char	*why;

	if (file_read(path, WEIGHTS_MAX_FILE, buf, len, &why) != 0) {
		xasprintf(cause, "%s: %s", path, why);
		free(why);
		return -1;
	}
	return 0;
}

int
weights_load(const char *dir, const char *model, struct weights **out,
    char **cause)
{
	char		*path, *manifest = NULL;
	uint8_t		*bin = NULL, *shard;
	size_t		 mlen, blen = 0, slen;
	cJSON		*root = NULL;
	const cJSON	*group, *paths, *p;
	int		 r = -1, n = 0;

	*out = NULL;
	xasprintf(&path, "%s/%s-weights_manifest.json", dir, model);
	if (weights_read_file(path, (uint8_t **)&manifest, &mlen, cause) != 0)
		goto out;
	root = weights_parse_json(manifest, mlen);
	if (root == NULL || !cJSON_IsArray(root)) {
		xasprintf(cause, "%s: not a weights manifest", path);
		goto out;
	}
	/* Concatenate every group's shards in order. */
	cJSON_ArrayForEach(group, root) {
		paths = cJSON_GetObjectItemCaseSensitive(group, "paths");
		if (!cJSON_IsArray(paths)) {
			xasprintf(cause, "%s: group without paths", path);
			goto out;
		}
		cJSON_ArrayForEach(p, paths) {
			/* A shard is a plain file name beside the manifest. */
			if (!cJSON_IsString(p) || p->valuestring[0] == '\0' ||
			    p->valuestring[0] == '.' ||
			    strchr(p->valuestring, '/') != NULL ||
			    ++n > WEIGHTS_MAX_PATHS) {
				xasprintf(cause, "%s: bad shard path", path);
				goto out;
			}
			free(path);
			xasprintf(&path, "%s/%s", dir, p->valuestring);
			if (weights_read_file(path, &shard, &slen, cause) != 0)
				goto out;
			if (slen > WEIGHTS_MAX_FILE - blen) {
				free(shard);
				xasprintf(cause, "%s: shards too large", path);
				goto out;
			}
			bin = xreallocarray(bin, blen + slen + 1, 1);
			memcpy(bin + blen, shard, slen);
			blen += slen;
			free(shard);
		}
	}
	r = weights_parse(model, manifest, mlen, bin, blen, out, cause);
out:
	cJSON_Delete(root);
	free(path);
	free(manifest);
	free(bin);
	return r;
}

void
weights_free(struct weights *w)
{
	size_t	i;

	if (w == NULL)
		return;
	for (i = 0; i < w->nentries; i++) {
		free(w->entries[i].name);
		free(w->entries[i].data);
	}
	free(w->entries);
	free(w->model);
	free(w->error);
	free(w);
}

const float *
weights_getv(struct weights *w, const char *name, int ndim, const int *shape)
{
	struct weights_entry	*e = NULL;
	size_t			 i;
	int			 d, bad = 0;

	for (i = 0; i < w->nentries; i++) {
		if (strcmp(w->entries[i].name, name) == 0) {
			e = &w->entries[i];
			break;
		}
	}
	if (e == NULL) {
		if (w->error == NULL)
			xasprintf(&w->error, "%s: no tensor %s", w->model, name);
		return NULL;
	}
	if (e->ndim != ndim)
		bad = 1;
	for (d = 0; !bad && d < ndim; d++)
		bad = e->shape[d] != shape[d];
	if (bad) {
		if (w->error == NULL)
			xasprintf(&w->error, "%s: tensor %s has the wrong "
			    "shape", w->model, name);
		return NULL;
	}
	return e->data;
}

const float *
weights_get(struct weights *w, const char *name, int ndim, ...)
{
	va_list	ap;
	int	d, shape[WEIGHTS_MAX_DIMS];

	va_start(ap, ndim);
	for (d = 0; d < ndim && d < WEIGHTS_MAX_DIMS; d++)
		shape[d] = va_arg(ap, int);
	va_end(ap);
	/* More dimensions than any entry has never match, unread. */
	return weights_getv(w, name, ndim, shape);
}
