/*
 * Model weights (agent/weights.c): the five shipped models load with the
 * entry and value counts of doc/vision-models.md section 0.1, values match
 * an independent decoding of the raw bytes, weights_get reports misuse, and
 * hostile manifests and shards fail with a cause instead of crashing,
 * leaking or allocating what the input asks for.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cJSON.h>

#include "test.h"
#include "weights.h"
#include "xmalloc.h"

#define TINY_MODEL	"tiny_face_detector_model"
#define SSD_MODEL	"ssd_mobilenetv1_model"
#define LANDMARK_MODEL	"face_landmark_68_model"
#define TINY_LM_MODEL	"face_landmark_68_tiny_model"
#define RECOG_MODEL	"face_recognition_model"

/* The tiny detector's .bin: 193,321 uint8 values, one byte each. */
#define TINY_BYTES	193321

/* Reads MODEL's file with SUFFIX from the models folder; NULL if absent. */
static uint8_t *
read_model_file(const char *model, const char *suffix, size_t *len)
{
	uint8_t	*buf;
	char	*path;

	xasprintf(&path, "%s/%s%s", test_models_dir(), model, suffix);
	buf = (uint8_t *)test_read_file(path, len);
	free(path);
	return buf;
}

/* Writes LEN bytes of DATA to DIR/NAME. */
static void
write_file(const char *dir, const char *name, const void *data, size_t len)
{
	FILE	*f;
	char	*path;

	xasprintf(&path, "%s/%s", dir, name);
	if ((f = fopen(path, "wb")) == NULL) {
		perror(path);
		exit(1);
	}
	if (len != 0 && fwrite(data, 1, len, f) != len) {
		perror(path);
		exit(1);
	}
	if (fclose(f) != 0) {
		perror(path);
		exit(1);
	}
	free(path);
}

/* Removes DIR/NAME. */
static void
unlink_file(const char *dir, const char *name)
{
	char	*path;

	xasprintf(&path, "%s/%s", dir, name);
	if (unlink(path) != 0)
		perror(path);
	free(path);
}

/* Writes the string S to DIR/NAME. */
static void
write_string(const char *dir, const char *name, const char *s)
{
	write_file(dir, name, s, strlen(s));
}

/* Makes a fresh folder NAME in the test's temporary directory. */
static char *
make_dir(const char *name)
{
	char	*path;

	xasprintf(&path, "%s/%s", test_tmpdir(), name);
	if (mkdir(path, 0700) != 0) {
		perror(path);
		exit(1);
	}
	return path;
}

/* Returns 1 if MODEL's manifest is in the models folder, else skips. */
static int
have_model(const char *model)
{
	struct stat	 sb;
	char		*path;
	int		 ok;

	xasprintf(&path, "%s/%s-weights_manifest.json", test_models_dir(),
	    model);
	ok = stat(path, &sb) == 0;
	if (!ok)
		test_skip("%s missing (make models)", path);
	free(path);
	return ok;
}

/* Loads MODEL from the models folder, or skips or fails the test. */
static struct weights *
load_model(const char *model)
{
	struct weights	*w;
	char		*cause = NULL;

	if (!have_model(model))
		return NULL;
	if (weights_load(test_models_dir(), model, &w, &cause) != 0) {
		fprintf(stderr, "%s\n", cause);
		CHECK(!"weights_load failed");
		free(cause);
		return NULL;
	}
	CHECK(cause == NULL);
	return w;
}

/* Reads a little-endian IEEE-754 float32. */
static float
le_float(const uint8_t *p)
{
	uint32_t	u;
	float		f;

	u = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
	memcpy(&f, &u, sizeof f);
	return f;
}

/* Returns 1 if A and B are the same float32 bits. */
static int
same_float(float a, float b)
{
	return memcmp(&a, &b, sizeof a) == 0;
}

/*
 * Loads MODEL and checks its entry count, its total number of values and
 * that every entry is reachable by name with its own shape.
 */
static void
check_model(const char *model, size_t nentries, size_t nvalues,
    size_t nbytes)
{
	struct weights			*w;
	const struct weights_entry	*e;
	size_t				 i, values = 0, count, len;
	uint8_t				*bin;
	int				 d;

	if ((w = load_model(model)) == NULL)
		return;
	CHECK_STR(w->model, model);
	CHECK_INT(w->nentries, nentries);
	for (i = 0; i < w->nentries; i++) {
		e = &w->entries[i];
		count = 1;
		for (d = 0; d < e->ndim; d++)
			count *= (size_t)e->shape[d];
		CHECK_INT(e->count, count);
		CHECK(e->data != NULL);
		CHECK(weights_getv(w, e->name, e->ndim, e->shape) == e->data);
		values += e->count;
	}
	CHECK_INT(values, nvalues);
	CHECK(w->error == NULL);
	weights_free(w);

	/* The sizes of section 0.1, so a changed model file shows here. */
	if ((bin = read_model_file(model, ".bin", &len)) != NULL) {
		CHECK_INT(len, nbytes);
		free(bin);
	}
}

TEST(test_model_tiny)
{
	check_model(TINY_MODEL, 19, 193321, TINY_BYTES);
}

/*
 * 5,535,049 float parameters, 20,472 anchor floats and 20 values of the 15
 * unused int32 constants.
 */
TEST(test_model_ssd)
{
	check_model(SSD_MODEL, 151, 5535049 + 20472 + 20, 5616957);
}

TEST(test_model_landmark)
{
	check_model(LANDMARK_MODEL, 49, 356840, 356840);
}

TEST(test_model_tiny_landmark)
{
	check_model(TINY_LM_MODEL, 28, 77224, 77224);
}

TEST(test_model_recognition)
{
	check_model(RECOG_MODEL, 117, 5614592, 6444032);
}

/*
 * Dequantises the first and last entries of the tiny detector here, from
 * the manifest's scale and min and the raw bytes, as tfjs does: q * scale +
 * min in double, stored as float32. All its entries are uint8, so the last
 * entry is the last bytes of the file.
 */
TEST(test_tiny_dequantisation)
{
	struct weights	*w;
	uint8_t		*manifest, *bin;
	size_t		 mlen, blen, i, n;
	cJSON		*root;
	const cJSON	*list, *first, *last, *q;
	double		 scale, min;
	const float	*v;
	int		 bad;

	if ((w = load_model(TINY_MODEL)) == NULL)
		return;
	manifest = read_model_file(TINY_MODEL, "-weights_manifest.json", &mlen);
	bin = read_model_file(TINY_MODEL, ".bin", &blen);
	CHECK(manifest != NULL && bin != NULL);
	if (manifest == NULL || bin == NULL)
		goto out;
	root = cJSON_ParseWithLength((const char *)manifest, mlen);
	list = cJSON_GetObjectItem(cJSON_GetArrayItem(root, 0), "weights");
	first = cJSON_GetArrayItem(list, 0);
	last = cJSON_GetArrayItem(list, cJSON_GetArraySize(list) - 1);
	CHECK(first != NULL && last != NULL);
	if (first == NULL || last == NULL) {
		cJSON_Delete(root);
		goto out;
	}

	CHECK_STR(cJSON_GetObjectItem(first, "name")->valuestring,
	    "conv0/filters");
	q = cJSON_GetObjectItem(first, "quantization");
	scale = cJSON_GetObjectItem(q, "scale")->valuedouble;
	min = cJSON_GetObjectItem(q, "min")->valuedouble;
	v = weights_get(w, "conv0/filters", 4, 3, 3, 3, 16);
	CHECK(v != NULL);
	for (i = 0, bad = 0; v != NULL && i < 3 * 3 * 3 * 16; i++)
		bad += !same_float(v[i], (float)(bin[i] * scale + min));
	CHECK_INT(bad, 0);
	if (v != NULL)
		CHECK_NEAR(v[0], bin[0] * scale + min, 1e-7);

	q = cJSON_GetObjectItem(last, "quantization");
	scale = cJSON_GetObjectItem(q, "scale")->valuedouble;
	min = cJSON_GetObjectItem(q, "min")->valuedouble;
	n = w->entries[w->nentries - 1].count;
	v = w->entries[w->nentries - 1].data;
	CHECK_STR(w->entries[w->nentries - 1].name,
	    cJSON_GetObjectItem(last, "name")->valuestring);
	for (i = 0, bad = 0; i < n; i++) {
		bad += !same_float(v[i],
		    (float)(bin[blen - n + i] * scale + min));
	}
	CHECK_INT(bad, 0);
	cJSON_Delete(root);
out:
	free(manifest);
	free(bin);
	weights_free(w);
}

/*
 * The SSD anchors are the one float32 entry of that file: find its offset
 * from the manifest (uint8 entries take 1 byte a value, others 4) and
 * compare with the raw little-endian bytes.
 */
TEST(test_ssd_anchors)
{
	struct weights	*w;
	uint8_t		*manifest, *bin;
	size_t		 mlen, blen, off = 0, count, i;
	cJSON		*root;
	const cJSON	*list, *j, *d;
	const float	*v;
	int		 found = 0, bad = 0;

	if ((w = load_model(SSD_MODEL)) == NULL)
		return;
	manifest = read_model_file(SSD_MODEL, "-weights_manifest.json", &mlen);
	bin = read_model_file(SSD_MODEL, ".bin", &blen);
	CHECK(manifest != NULL && bin != NULL);
	if (manifest == NULL || bin == NULL)
		goto out;
	root = cJSON_ParseWithLength((const char *)manifest, mlen);
	list = cJSON_GetObjectItem(cJSON_GetArrayItem(root, 0), "weights");
	cJSON_ArrayForEach(j, list) {
		if (strcmp(cJSON_GetObjectItem(j, "name")->valuestring,
		    "Output/extra_dim") == 0) {
			found = 1;
			break;
		}
		count = 1;
		cJSON_ArrayForEach(d, cJSON_GetObjectItem(j, "shape"))
			count *= (size_t)d->valueint;
		if (cJSON_GetObjectItem(j, "quantization") != NULL)
			off += count;
		else
			off += 4 * count;
	}
	cJSON_Delete(root);
	CHECK(found);
	CHECK(off + 5118 * 4 * 4 <= blen);

	v = weights_get(w, "Output/extra_dim", 3, 1, 5118, 4);
	CHECK(v != NULL);
	if (v == NULL || !found || off + 5118 * 4 * 4 > blen)
		goto out;
	for (i = 0; i < 5118 * 4; i++)
		bad += !same_float(v[i], le_float(bin + off + 4 * i));
	CHECK_INT(bad, 0);
	/* The first anchor, as printed by a separate decoder. */
	CHECK_NEAR(v[0], -0.034375, 1e-7);
	CHECK_NEAR(v[2], 0.065625, 1e-7);
	CHECK_NEAR(v[5118 * 4 - 1], 0.77422768, 1e-7);
	CHECK(weights_get(w, "Output/extra_dim", 2, 5118, 4) == NULL);
	CHECK(w->error != NULL);
out:
	free(manifest);
	free(bin);
	weights_free(w);
}

/* The SSD's int32 constants are uint8-quantised and rounded. */
TEST(test_ssd_int32)
{
	struct weights	*w;
	const float	*v;

	if ((w = load_model(SSD_MODEL)) == NULL)
		return;
	if ((v = weights_get(w, "Postprocessor/stack/1", 0)) != NULL)
		CHECK(v[0] == 5118);
	if ((v = weights_get(w, "Preprocessor/ResizeImage/size", 1, 2)) != NULL)
		CHECK(v[0] == 512 && v[1] == 512);
	if ((v = weights_get(w, "Postprocessor/Slice/begin", 1, 3)) != NULL)
		CHECK(v[0] == 0 && v[1] == 0 && v[2] == 1);
	if ((v = weights_get(w, "Postprocessor/Slice/size", 1, 3)) != NULL)
		CHECK(v[0] == -1 && v[1] == -1 && v[2] == -1);
	CHECK(w->error == NULL);
	weights_free(w);
}

/* The tiny landmark model's all-zero separable conv decodes to zeros. */
TEST(test_tiny_landmark_zeros)
{
	struct weights	*w;
	const float	*v;
	size_t		 i;
	int		 nonzero = 0;

	if ((w = load_model(TINY_LM_MODEL)) == NULL)
		return;
	v = weights_get(w, "dense0/conv2/depthwise_filter", 4, 3, 3, 32, 1);
	CHECK(v != NULL);
	for (i = 0; v != NULL && i < 3 * 3 * 32; i++)
		nonzero += v[i] != 0;
	v = weights_get(w, "dense0/conv2/pointwise_filter", 4, 1, 1, 32, 32);
	CHECK(v != NULL);
	for (i = 0; v != NULL && i < 32 * 32; i++)
		nonzero += v[i] != 0;
	CHECK_INT(nonzero, 0);
	CHECK(w->error == NULL);
	weights_free(w);
}

/* A small manifest of every encoding, used by several tests. */
#define SMALL_WEIGHTS							\
    "\"weights\": ["							\
    "{\"name\": \"f\", \"shape\": [2], \"dtype\": \"float32\"},"	\
    "{\"name\": \"q\", \"shape\": [2, 2], \"dtype\": \"float32\","	\
    " \"quantization\": {\"dtype\": \"uint8\", \"scale\": 0.5,"	\
    " \"min\": -1}},"							\
    "{\"name\": \"i\", \"shape\": [], \"dtype\": \"int32\"},"		\
    "{\"name\": \"qi\", \"shape\": [1, 1, 1, 4], \"dtype\": \"int32\","	\
    " \"quantization\": {\"dtype\": \"uint8\", \"scale\": 0.5,"	\
    " \"min\": -3}},"							\
    "{\"name\": \"neg\", \"shape\": [2], \"dtype\": \"float32\","	\
    " \"quantization\": {\"dtype\": \"uint8\", \"scale\": -0.25,"	\
    " \"min\": 0.1}},"							\
    "{\"name\": \"zero\", \"shape\": [0, 3], \"dtype\": \"float32\"},"	\
    "{\"name\": \"qi0\", \"shape\": [2], \"dtype\": \"int32\","	\
    " \"quantization\": {\"dtype\": \"uint8\", \"scale\": 0,"	\
    " \"min\": 2.5}}"							\
    "]"
static const char small_manifest[] =
    "[{\"paths\": [\"small.bin\"], " SMALL_WEIGHTS "}]\n";

/* Its bytes: 8 + 4 + 4 + 4 + 2 + 0 + 2. */
static const uint8_t small_bin[] = {
	0x00, 0x00, 0xc0, 0x3f,		/* f: 1.5 */
	0x00, 0x00, 0x20, 0xc1,		/* f: -10 */
	0, 1, 2, 255,			/* q */
	0xfe, 0xff, 0xff, 0xff,		/* i: -2 */
	0, 1, 7, 9,			/* qi: -3, -2.5, 0.5, 1.5 */
	0, 4,				/* neg: 0.1, -0.9 */
	9, 200,				/* qi0: 2.5, 2.5 */
};

/* Stands for "not set" in *out before a call that must fail. */
static struct weights	 unset;

/* Parses MANIFEST with BIN, which must succeed. */
static struct weights *
parse_ok(const char *manifest, const uint8_t *bin, size_t blen)
{
	struct weights	*w = NULL;
	char		*cause = NULL;

	if (weights_parse("m", manifest, strlen(manifest), bin, blen, &w,
	    &cause) != 0) {
		fprintf(stderr, "%s: %s\n", test_current, cause);
		CHECK(!"weights_parse failed");
		free(cause);
		return NULL;
	}
	CHECK(w != NULL);
	CHECK(cause == NULL);
	return w;
}

/* Checks that a call failed with a cause prefixed PREFIX holding WANT. */
static void
check_failed(int line, int r, struct weights *w, char *cause,
    const char *prefix, const char *want)
{
	if (w == &unset) {
		fprintf(stderr, "line %d: *out not set\n", line);
		CHECK(!"*out set on failure");
		w = NULL;
	}
	if (r != -1 || w != NULL || cause == NULL ||
	    strncmp(cause, prefix, strlen(prefix)) != 0 ||
	    strstr(cause, want) == NULL) {
		fprintf(stderr, "line %d: r %d, cause \"%s\", want \"%s\"\n",
		    line, r, cause != NULL ? cause : "(null)", want);
		CHECK(!"expected failure");
	}
	weights_free(w);
	free(cause);
}

/* Parses MANIFEST with BIN, which must fail with a cause holding WANT. */
static void
parse_fails(int line, const char *manifest, size_t mlen, const uint8_t *bin,
    size_t blen, const char *want)
{
	struct weights	*w = &unset;
	char		*cause = NULL;
	int		 r;

	r = weights_parse("m", manifest, mlen, bin, blen, &w, &cause);
	check_failed(line, r, w, cause, "m: ", want);
}

#define PARSE_FAILS(m, want)						\
	parse_fails(__LINE__, (m), strlen(m), small_bin,		\
	    sizeof small_bin, (want))

/* Loads MODEL from DIR, which must fail with a cause holding WANT. */
static void
load_fails(int line, const char *dir, const char *model, const char *want)
{
	struct weights	*w = &unset;
	char		*cause = NULL;
	int		 r;

	r = weights_load(dir, model, &w, &cause);
	check_failed(line, r, w, cause, "", want);
}

TEST(test_parse_encodings)
{
	struct weights	*w;
	const float	*v;

	if ((w = parse_ok(small_manifest, small_bin, sizeof small_bin)) == NULL)
		return;
	CHECK_STR(w->model, "m");
	CHECK_INT(w->nentries, 7);
	if ((v = weights_get(w, "f", 1, 2)) != NULL)
		CHECK(v[0] == 1.5f && v[1] == -10.0f);
	if ((v = weights_get(w, "q", 2, 2, 2)) != NULL) {
		CHECK(v[0] == -1 && v[1] == -0.5f && v[2] == 0 &&
		    v[3] == 126.5f);
	}
	if ((v = weights_get(w, "i", 0)) != NULL)
		CHECK(v[0] == -2);
	/* Rounded as JavaScript's Math.round: -2.5 gives -2, not -3. */
	if ((v = weights_get(w, "qi", 4, 1, 1, 1, 4)) != NULL)
		CHECK(v[0] == -3 && v[1] == -2 && v[2] == 1 && v[3] == 2);
	/* A negative scale is not a float32 entry asking to be rounded. */
	if ((v = weights_get(w, "neg", 1, 2)) != NULL) {
		CHECK(same_float(v[0], (float)(0 * -0.25 + 0.1)));
		CHECK(same_float(v[1], (float)(4 * -0.25 + 0.1)));
	}
	CHECK(weights_get(w, "zero", 2, 0, 3) != NULL);
	CHECK_INT(w->entries[5].count, 0);
	/* An int32 entry with scale 0 is still rounded. */
	if ((v = weights_get(w, "qi0", 1, 2)) != NULL)
		CHECK(v[0] == 3 && v[1] == 3);
	CHECK(w->error == NULL);
	weights_free(w);
}

/* Misuse of weights_get: NULL, and the first error is the one kept. */
TEST(test_get_errors)
{
	struct weights	*w;
	const float	*v;
	char		*first;

	if ((w = parse_ok(small_manifest, small_bin, sizeof small_bin)) == NULL)
		return;
	CHECK(weights_get(w, "q", 2, 2, 3) == NULL);
	CHECK(w->error != NULL);
	if (w->error == NULL) {
		weights_free(w);
		return;
	}
	CHECK(strstr(w->error, "q") != NULL);
	CHECK(strstr(w->error, "shape") != NULL);
	first = xstrdup(w->error);

	CHECK(weights_get(w, "missing", 1, 2) == NULL);
	CHECK(weights_get(w, "q", 1, 4) == NULL);
	CHECK(weights_get(w, "q", 3, 2, 2, 1) == NULL);
	CHECK(weights_get(w, "q", 5, 2, 2, 1, 1, 1) == NULL);
	CHECK(weights_get(w, "q", -1) == NULL);
	CHECK(weights_get(w, "i", 1, 1) == NULL);
	CHECK(weights_get(w, "", 0) == NULL);
	CHECK(weights_get(w, "F", 1, 2) == NULL);
	CHECK_STR(w->error, first);

	/* A good lookup still works and leaves the error alone. */
	v = weights_get(w, "q", 2, 2, 2);
	CHECK(v != NULL);
	CHECK_STR(w->error, first);
	free(first);
	weights_free(w);

	if ((w = parse_ok(small_manifest, small_bin, sizeof small_bin)) == NULL)
		return;
	CHECK(weights_get(w, "missing", 1, 2) == NULL);
	CHECK(w->error != NULL && strstr(w->error, "missing") != NULL);
	CHECK(weights_get(w, "q", 2, 2, 3) == NULL);
	CHECK(w->error != NULL && strstr(w->error, "missing") != NULL);
	weights_free(w);
	weights_free(NULL);
}

/* Every short length of the crafted .bin is refused. */
TEST(test_truncated_bin)
{
	size_t	i;

	for (i = 0; i < sizeof small_bin; i++) {
		parse_fails(__LINE__, small_manifest, strlen(small_manifest),
		    small_bin, i, "truncated");
	}
	parse_fails(__LINE__, small_manifest, strlen(small_manifest), NULL, 0,
	    "truncated");
	parse_fails(__LINE__, small_manifest, strlen(small_manifest),
	    small_bin, 3, "f: weights file truncated");
}

/* The tiny detector's manifest with its .bin cut at several lengths. */
TEST(test_truncated_model_bin)
{
	static const size_t	 cuts[] = { 0, 1, 431, 432, 433, 4096,
	    TINY_BYTES / 2, TINY_BYTES - 2, TINY_BYTES - 1 };
	uint8_t			*manifest, *bin;
	size_t			 mlen, blen, i;

	if (!have_model(TINY_MODEL))
		return;
	manifest = read_model_file(TINY_MODEL, "-weights_manifest.json", &mlen);
	bin = read_model_file(TINY_MODEL, ".bin", &blen);
	CHECK(manifest != NULL && bin != NULL && blen == TINY_BYTES);
	if (manifest != NULL && bin != NULL && blen == TINY_BYTES) {
		for (i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
			parse_fails(__LINE__, (const char *)manifest, mlen,
			    bin, cuts[i], "truncated");
		}
	}
	free(manifest);
	free(bin);
}

/* A .bin longer than the manifest describes is refused. */
TEST(test_extra_bytes)
{
	static const size_t	 extra[] = { 1, 3, 4, 4096 };
	uint8_t			*bin;
	size_t			 i;

	bin = xcalloc(1, sizeof small_bin + 4096);
	memcpy(bin, small_bin, sizeof small_bin);
	for (i = 0; i < sizeof extra / sizeof extra[0]; i++) {
		parse_fails(__LINE__, small_manifest, strlen(small_manifest),
		    bin, sizeof small_bin + extra[i], "manifest describes 24");
	}
	free(bin);
}

/* Files: missing and short shards, a longer one, a folder, no manifest. */
TEST(test_load_files)
{
	struct weights	*w;
	char		*dir, *cause = NULL;

	dir = make_dir("files");
	load_fails(__LINE__, dir, "small", "weights_manifest.json");

	write_string(dir, "small-weights_manifest.json", small_manifest);
	load_fails(__LINE__, dir, "small", "small.bin");

	write_file(dir, "small.bin", small_bin, sizeof small_bin - 1);
	load_fails(__LINE__, dir, "small", "truncated");

	write_file(dir, "small.bin", small_bin, sizeof small_bin);
	CHECK(weights_load(dir, "small", &w, &cause) == 0);
	CHECK(cause == NULL);
	if (w != NULL) {
		CHECK_STR(w->model, "small");
		CHECK_INT(w->nentries, 7);
		weights_free(w);
	}

	write_string(dir, "small.bin", "");
	load_fails(__LINE__, dir, "small", "truncated");

	write_string(dir, "bad-weights_manifest.json", "[{\"paths\": "
	    "[\"sub\"], \"weights\": [{\"name\": \"a\", \"shape\": [],"
	    " \"dtype\": \"float32\"}]}]");
	free(make_dir("files/sub"));
	load_fails(__LINE__, dir, "bad", "sub");

	write_string(dir, "json-weights_manifest.json", "{\"paths\": []}");
	load_fails(__LINE__, dir, "json", "not a weights manifest");
	write_string(dir, "empty-weights_manifest.json", "");
	load_fails(__LINE__, dir, "empty", "not a weights manifest");
	write_string(dir, "nopaths-weights_manifest.json",
	    "[{\"weights\": []}]");
	load_fails(__LINE__, dir, "nopaths", "group without paths");
	free(dir);
}

TEST(test_not_json)
{
	static const char	*bad[] = { "", " ", "[", "[{", "{", "nul",
	    "[{\"paths\": []]", "\xff\xfe[]", "[]x", "[] []",
	    "// []", "[1,]" };
	size_t			 i;

	char			*m;

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++)
		PARSE_FAILS(bad[i], "not a JSON array");
	parse_fails(__LINE__, "[]\0", 3, small_bin, sizeof small_bin,
	    "not a JSON array");
	/* Anything after the array is not JSON either. */
	xasprintf(&m, "%s}", small_manifest);
	PARSE_FAILS(m, "not a JSON array");
	free(m);
	xasprintf(&m, "%s\n\t\r x", small_manifest);
	PARSE_FAILS(m, "not a JSON array");
	free(m);
	/* A manifest is not NUL-terminated: LEN bounds the parse. */
	parse_fails(__LINE__, small_manifest, strlen(small_manifest) - 2,
	    small_bin, sizeof small_bin, "not a JSON array");
	parse_fails(__LINE__, NULL, 0, small_bin, sizeof small_bin,
	    "not a JSON array");
}

TEST(test_not_array)
{
	static const char	*bad[] = { "{}", "42", "\"x\"", "null", "true",
	    "{\"paths\": [], \"weights\": []}" };
	size_t			 i;

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++)
		PARSE_FAILS(bad[i], "not a JSON array");
}

TEST(test_bad_groups)
{
	static const char	*bad[] = { "[1]", "[{}]", "[null]", "[[]]",
	    "[[{\"name\": \"f\"}]]", "[{\"weights\": {}}]",
	    "[{\"weights\": \"f\"}]", "[{\"Weights\": []}]",
	    "[{\"weights\": [{\"name\": \"f\", \"shape\": [2],"
	    " \"dtype\": \"float32\"}]},"
	    " 7]",
	};
	size_t			 i;

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++)
		PARSE_FAILS(bad[i], "group without weights");
}

TEST(test_empty_manifest)
{
	PARSE_FAILS("[]", "0 entries");
	PARSE_FAILS("[{\"paths\": [], \"weights\": []}]", "0 entries");
	PARSE_FAILS("[{\"weights\": []}, {\"weights\": []}]", "0 entries");
	parse_fails(__LINE__, "[]", 2, NULL, 0, "0 entries");
}

TEST(test_bad_entries)
{
	static const char	*bad[] = {
	    "[{\"weights\": [{\"shape\": [2], \"dtype\": \"float32\"}]}]",
	    "[{\"weights\": [{\"name\": \"f\", \"dtype\": \"float32\"}]}]",
	    "[{\"weights\": [{\"name\": \"f\", \"shape\": [2]}]}]",
	    "[{\"weights\": [{\"name\": 1, \"shape\": [2],"
	    " \"dtype\": \"float32\"}]}]",
	    "[{\"weights\": [{\"name\": \"f\", \"shape\": 2,"
	    " \"dtype\": \"float32\"}]}]",
	    "[{\"weights\": [{\"name\": \"f\", \"shape\": {},"
	    " \"dtype\": \"float32\"}]}]",
	    "[{\"weights\": [{\"name\": \"f\", \"shape\": [2],"
	    " \"dtype\": null}]}]",
	    "[{\"weights\": [{\"Name\": \"f\", \"shape\": [2],"
	    " \"dtype\": \"float32\"}]}]",
	    "[{\"weights\": [7]}]",
	    "[{\"weights\": [null]}]",
	    "[{\"weights\": [[\"f\", [2], \"float32\"]]}]",
	    /* A good entry then a bad one: the first is freed too. */
	    "[{\"weights\": [{\"name\": \"f\", \"shape\": [2],"
	    " \"dtype\": \"float32\"}, {}]}]",
	};
	size_t			 i;

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++)
		PARSE_FAILS(bad[i], "entry without name, shape or dtype");
}

/* Makes a one-entry uint8 manifest of shape SHAPE. */
static char *
shape_manifest(const char *shape)
{
	char	*m;

	xasprintf(&m, "[{\"paths\": [], \"weights\": [{\"name\": \"s\","
	    " \"shape\": %s, \"dtype\": \"float32\", \"quantization\":"
	    " {\"dtype\": \"uint8\", \"scale\": 1, \"min\": 0}}]}]", shape);
	return m;
}

/*
 * Shapes that are not counts, or whose product is beyond any model, fail
 * before anything is allocated for them: [100000000, 100000000] would be
 * 40 PB of floats.
 */
TEST(test_bad_shapes)
{
	static const struct {
		const char	*shape, *want;
	} bad[] = {
		{ "[-1]", "bad shape" },
		{ "[2, -2]", "bad shape" },
		{ "[1.5]", "bad shape" },
		{ "[2, 0.5]", "bad shape" },
		{ "[\"2\"]", "bad shape" },
		{ "[null]", "bad shape" },
		{ "[[2]]", "bad shape" },
		{ "[true]", "bad shape" },
		{ "[1e400]", "bad shape" },
		{ "[-1e400]", "bad shape" },
		{ "[2147483648]", "bad shape" },
		{ "[4294967298]", "bad shape" },
		{ "[1e18]", "bad shape" },
		{ "[100000000, 100000000]", "bad shape" },
		{ "[60000000, 60000000]", "too large" },
		{ "[8192, 8192, 8192]", "too large" },
		{ "[65536, 65536, 0]", "too large" },
		{ "[1, 1, 1, 1, 1]", "5 dimensions" },
		{ "[2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2]", "12 dimensions" },
		/* Within the bound but far beyond the 4-byte .bin. */
		{ "[8192, 8192]", "truncated" },
		{ "[5]", "truncated" },
	};
	static const uint8_t	 bin[4] = { 1, 2, 3, 4 };
	struct weights		*w;
	char			*m;
	size_t			 i;

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		m = shape_manifest(bad[i].shape);
		parse_fails(__LINE__, m, strlen(m), bin, sizeof bin,
		    bad[i].want);
		free(m);
	}

	/* The same manifest with a fitting shape loads. */
	m = shape_manifest("[2, 2]");
	if ((w = parse_ok(m, bin, sizeof bin)) != NULL) {
		CHECK(weights_get(w, "s", 2, 2, 2) != NULL);
		weights_free(w);
	}
	free(m);
	m = shape_manifest("[-0, 4]");
	if ((w = parse_ok(m, NULL, 0)) != NULL) {
		CHECK_INT(w->entries[0].count, 0);
		weights_free(w);
	}
	free(m);
}

/* Makes a one-entry manifest with DTYPE and QUANT, if not NULL. */
static char *
dtype_manifest(const char *dtype, const char *quant)
{
	char	*m;

	xasprintf(&m, "[{\"paths\": [], \"weights\": [{\"name\": \"t\","
	    " \"shape\": [4], \"dtype\": %s%s%s}]}]", dtype,
	    quant != NULL ? ", \"quantization\": " : "",
	    quant != NULL ? quant : "");
	return m;
}

TEST(test_bad_dtypes)
{
	static const struct {
		const char	*dtype, *quant, *want;
	} bad[] = {
		{ "\"float16\"", NULL, "unsupported dtype float16" },
		{ "\"uint8\"", NULL, "unsupported dtype uint8" },
		{ "\"string\"", NULL, "unsupported dtype string" },
		{ "\"bool\"", NULL, "unsupported dtype bool" },
		{ "\"\"", NULL, "unsupported dtype" },
		{ "\"Float32\"", NULL, "unsupported dtype" },
		{ "\"float32\"", "{\"dtype\": \"uint16\", \"scale\": 1,"
		    " \"min\": 0}", "unsupported quantization" },
		{ "\"float32\"", "{\"dtype\": \"float16\"}",
		    "unsupported quantization" },
		{ "\"float32\"", "{\"scale\": 1, \"min\": 0}",
		    "unsupported quantization" },
		{ "\"float32\"", "7", "unsupported quantization" },
		{ "\"float32\"", "null", "unsupported quantization" },
		{ "\"float32\"", "[\"uint8\", 1, 0]",
		    "unsupported quantization" },
		{ "\"bool\"", "{\"dtype\": \"uint8\", \"scale\": 1,"
		    " \"min\": 0}",
		    "unsupported quantized dtype bool" },
		{ "\"uint8\"", "{\"dtype\": \"uint8\", \"scale\": 1,"
		    " \"min\": 0}", "unsupported quantized dtype uint8" },
	};
	static const uint8_t	 bin[16];
	char			*m;
	size_t			 i;

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		m = dtype_manifest(bad[i].dtype, bad[i].quant);
		parse_fails(__LINE__, m, strlen(m), bin, 4, bad[i].want);
		parse_fails(__LINE__, m, strlen(m), bin, sizeof bin,
		    bad[i].want);
		free(m);
	}
}

/* JSON has no NaN: it arrives as an overflow, a string or not at all. */
TEST(test_bad_scale)
{
	static const char	*bad[] = {
	    "{\"dtype\": \"uint8\", \"scale\": 1e999, \"min\": 0}",
	    "{\"dtype\": \"uint8\", \"scale\": -1e999, \"min\": 0}",
	    "{\"dtype\": \"uint8\", \"scale\": 1, \"min\": 1e999}",
	    "{\"dtype\": \"uint8\", \"scale\": 1, \"min\": -1e400}",
	    "{\"dtype\": \"uint8\", \"scale\": \"NaN\", \"min\": 0}",
	    "{\"dtype\": \"uint8\", \"scale\": NaN, \"min\": 0}",
	    "{\"dtype\": \"uint8\", \"scale\": 1, \"min\": \"inf\"}",
	    "{\"dtype\": \"uint8\", \"scale\": null, \"min\": 0}",
	    "{\"dtype\": \"uint8\", \"min\": 0}",
	    "{\"dtype\": \"uint8\", \"scale\": 1}",
	};
	static const uint8_t	 bin[4];
	char			*m;
	size_t			 i;

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		m = dtype_manifest("\"float32\"", bad[i]);
		/* "NaN" bare is not JSON at all. */
		parse_fails(__LINE__, m, strlen(m), bin, sizeof bin,
		    strstr(bad[i], "NaN,") != NULL ? "not a JSON array" :
		    "bad quantization");
		free(m);
		m = dtype_manifest("\"int32\"", bad[i]);
		parse_fails(__LINE__, m, strlen(m), bin, sizeof bin,
		    strstr(bad[i], "NaN,") != NULL ? "not a JSON array" :
		    "bad quantization");
		free(m);
	}
}

/*
 * Shards are plain names beside the manifest: anything that could leave
 * the folder is refused, even when the file it names exists and would
 * make a valid model.
 */
TEST(test_shard_paths)
{
	static const char	*bad[] = { "\"../x.bin\"", "\"..\"", "\".\"",
	    "\"./x.bin\"", "\"/x.bin\"", "\"sub/../../x.bin\"", "\"\"",
	    "\".hidden\"", "7", "null", "[\"x.bin\"]" };
	struct weights		*w;
	char			*outside, *dir, *abs, *m, *cause = NULL;
	size_t			 i;

	outside = make_dir("outside");
	dir = make_dir("outside/models");
	free(make_dir("outside/models/sub"));
	write_file(outside, "x.bin", small_bin, sizeof small_bin);
	write_file(dir, "x.bin", small_bin, sizeof small_bin);
	write_file(dir, ".hidden", small_bin, sizeof small_bin);

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		xasprintf(&m, "[{\"paths\": [%s], " SMALL_WEIGHTS "}]",
		    bad[i]);
		write_string(dir, "t-weights_manifest.json", m);
		load_fails(__LINE__, dir, "t", "bad shard path");
		free(m);
	}

	/* An absolute path to the file outside. */
	xasprintf(&abs, "%s/x.bin", outside);
	xasprintf(&m, "[{\"paths\": [\"%s\"], " SMALL_WEIGHTS "}]", abs);
	write_string(dir, "t-weights_manifest.json", m);
	load_fails(__LINE__, dir, "t", "bad shard path");
	free(m);
	free(abs);

	/* The same manifest naming x.bin beside it loads. */
	xasprintf(&m, "[{\"paths\": [\"x.bin\"], " SMALL_WEIGHTS "}]");
	write_string(dir, "t-weights_manifest.json", m);
	CHECK(weights_load(dir, "t", &w, &cause) == 0);
	CHECK(cause == NULL);
	weights_free(w);
	free(cause);
	free(m);

	/* More than 64 shards. */
	m = xstrdup("[{\"paths\": [\"x.bin\"");
	for (i = 0; i < 64; i++) {
		char	*p = m;

		xasprintf(&m, "%s, \"e.bin\"", p);
		free(p);
	}
	{
		char	*p = m;

		xasprintf(&m, "%s], \"weights\": [{\"name\": \"a\","
		    " \"shape\": [0], \"dtype\": \"float32\"}]}]", p);
		free(p);
	}
	write_string(dir, "e.bin", "");
	write_string(dir, "t-weights_manifest.json", m);
	load_fails(__LINE__, dir, "t", "bad shard path");
	free(m);

	free(outside);
	free(dir);
}

/*
 * Two groups, the first with two shards and an entry that spans them; the
 * shards are concatenated in group and path order.
 */
TEST(test_multi_group)
{
	static const char	 manifest[] =
	    "[{\"paths\": [\"g1-a.bin\", \"g1-b.bin\"], \"weights\": ["
	    "{\"name\": \"a\", \"shape\": [1, 3], \"dtype\": \"float32\"},"
	    "{\"name\": \"b\", \"shape\": [5], \"dtype\": \"float32\","
	    " \"quantization\": {\"dtype\": \"uint8\", \"scale\": 2,"
	    " \"min\": 1}}]},"
	    "{\"paths\": [\"g2.bin\"], \"weights\": ["
	    "{\"name\": \"c\", \"shape\": [2], \"dtype\": \"int32\"},"
	    "{\"name\": \"d\", \"shape\": [], \"dtype\": \"int32\","
	    " \"quantization\": {\"dtype\": \"uint8\", \"scale\": 1,"
	    " \"min\": 5118}}]}]";
	static const uint8_t	 g1a[] = {
		0x00, 0x00, 0x80, 0x3f,		/* a: 1 */
		0x00, 0x00, 0x00, 0x40,		/* a: 2 */
		0x00, 0x00, 0x40, 0x40,		/* a: 3 */
		0, 1,				/* b, first 2 of 5 */
	};
	static const uint8_t	 g1b[] = { 2, 3, 255 };
	static const uint8_t	 g2[] = {
		0x07, 0x00, 0x00, 0x00,		/* c: 7 */
		0x00, 0x00, 0x00, 0x80,		/* c: INT32_MIN */
		0,				/* d */
	};
	struct weights		*w;
	const float		*v;
	char			*dir, *cause = NULL;

	dir = make_dir("groups");
	write_string(dir, "two-weights_manifest.json", manifest);
	write_file(dir, "g1-a.bin", g1a, sizeof g1a);
	write_file(dir, "g1-b.bin", g1b, sizeof g1b);
	write_file(dir, "g2.bin", g2, sizeof g2);
	CHECK(weights_load(dir, "two", &w, &cause) == 0);
	if (cause != NULL) {
		fprintf(stderr, "%s\n", cause);
		free(cause);
	}
	if (w != NULL) {
		CHECK_INT(w->nentries, 4);
		if ((v = weights_get(w, "a", 2, 1, 3)) != NULL)
			CHECK(v[0] == 1 && v[1] == 2 && v[2] == 3);
		if ((v = weights_get(w, "b", 1, 5)) != NULL) {
			CHECK(v[0] == 1 && v[1] == 3 && v[2] == 5 &&
			    v[3] == 7 && v[4] == 511);
		}
		if ((v = weights_get(w, "c", 1, 2)) != NULL)
			CHECK(v[0] == 7 && v[1] == -2147483648.0f);
		if ((v = weights_get(w, "d", 0)) != NULL)
			CHECK(v[0] == 5118);
		CHECK(w->error == NULL);
		weights_free(w);
	}

	/* An empty second group's shard, then shards in the wrong sizes. */
	write_string(dir, "g2.bin", "");
	load_fails(__LINE__, dir, "two", "c: weights file truncated");
	write_file(dir, "g2.bin", g2, sizeof g2);
	write_file(dir, "g1-b.bin", g1b, sizeof g1b - 1);
	load_fails(__LINE__, dir, "two", "d: weights file truncated");
	write_file(dir, "g1-b.bin", small_bin, 4);
	load_fails(__LINE__, dir, "two", "has 27 bytes, manifest describes 26");
	write_file(dir, "g1-b.bin", g1b, sizeof g1b);
	write_file(dir, "g2.bin", g2, sizeof g2 - 1);
	load_fails(__LINE__, dir, "two", "d: weights file truncated");
	unlink_file(dir, "g1-a.bin");
	load_fails(__LINE__, dir, "two", "g1-a.bin");
	free(dir);
}

/* No shards at all and only empty tensors: a valid, empty .bin. */
TEST(test_no_shards)
{
	struct weights	*w;
	char		*dir, *cause = NULL;

	dir = make_dir("noshards");
	write_string(dir, "z-weights_manifest.json", "[{\"paths\": [],"
	    " \"weights\": [{\"name\": \"z\", \"shape\": [0],"
	    " \"dtype\": \"float32\"}, {\"name\": \"y\", \"shape\": [3, 0],"
	    " \"dtype\": \"int32\", \"quantization\": {\"dtype\": \"uint8\","
	    " \"scale\": 1, \"min\": 0}}]}]");
	CHECK(weights_load(dir, "z", &w, &cause) == 0);
	CHECK(cause == NULL);
	if (w != NULL) {
		CHECK_INT(w->nentries, 2);
		CHECK(weights_get(w, "z", 1, 0) != NULL);
		CHECK(weights_get(w, "y", 2, 3, 0) != NULL);
		weights_free(w);
	}
	free(cause);
	free(dir);
}

int
main(void)
{
	RUN(test_model_tiny);
	RUN(test_model_ssd);
	RUN(test_model_landmark);
	RUN(test_model_tiny_landmark);
	RUN(test_model_recognition);
	RUN(test_tiny_dequantisation);
	RUN(test_ssd_anchors);
	RUN(test_ssd_int32);
	RUN(test_tiny_landmark_zeros);
	RUN(test_parse_encodings);
	RUN(test_get_errors);
	RUN(test_truncated_bin);
	RUN(test_truncated_model_bin);
	RUN(test_extra_bytes);
	RUN(test_load_files);
	RUN(test_not_json);
	RUN(test_not_array);
	RUN(test_bad_groups);
	RUN(test_empty_manifest);
	RUN(test_bad_entries);
	RUN(test_bad_shapes);
	RUN(test_bad_dtypes);
	RUN(test_bad_scale);
	RUN(test_shard_paths);
	RUN(test_multi_group);
	RUN(test_no_shards);
	return test_main_end("test-weights");
}
