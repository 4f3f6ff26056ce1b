/*
 * analyze and compare: the face engine on image files, for people and
 * scripts. The JSON of analyze is a stable contract.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "agent.h"
#include "face.h"
#include "xmalloc.h"

#ifndef GATEHOUSE_MODELS_DIR
#define GATEHOUSE_MODELS_DIR	"/usr/local/share/gatehouse/models"
#endif

struct analyze_args {
	struct face_engine_opts	 opts;
	const char		*models;
	size_t			 max_pixels;
	double			 threshold;
	int			 json;
};

enum {
	OPT_DETECTOR = 256,
	OPT_INPUT_SIZE,
	OPT_MIN_SCORE,
	OPT_MAX_RESULTS,
	OPT_JSON,
	OPT_MODELS,
	OPT_THREADS,
	OPT_MAX_PIXELS,
	OPT_TINY_LANDMARKS,
	OPT_THRESHOLD,
};

static const struct option analyze_options[] = {
	{ "detector", required_argument, NULL, OPT_DETECTOR },
	{ "input-size", required_argument, NULL, OPT_INPUT_SIZE },
	{ "min-score", required_argument, NULL, OPT_MIN_SCORE },
	{ "max-results", required_argument, NULL, OPT_MAX_RESULTS },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "models", required_argument, NULL, OPT_MODELS },
	{ "threads", required_argument, NULL, OPT_THREADS },
	{ "max-pixels", required_argument, NULL, OPT_MAX_PIXELS },
	{ "tiny-landmarks", no_argument, NULL, OPT_TINY_LANDMARKS },
	{ "threshold", required_argument, NULL, OPT_THRESHOLD },
	{ NULL, 0, NULL, 0 },
};

/* Parses a number in [LO, HI]; returns -1 with a message if it is not. */
static int
analyze_number(const char *opt, const char *s, double lo, double hi,
    double *out)
{
	char	*end;
	double	 v;

	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || end == s || *end != '\0' || !(v >= lo && v <= hi)) {
		fprintf(stderr, "gatehouse-agent: --%s: '%s' is not a number "
		    "from %g to %g\n", opt, s, lo, hi);
		return -1;
	}
	*out = v;
	return 0;
}

/* Parses the options shared by analyze and compare; returns optind or -1. */
static int
analyze_parse(int argc, char **argv, struct analyze_args *a)
{
	const char	*env;
	double		 v;
	int		 ch;

	face_engine_default_opts(&a->opts);
	a->models = (env = getenv("GATEHOUSE_MODELS")) != NULL ? env :
	    GATEHOUSE_MODELS_DIR;
	a->max_pixels = IMAGE_MAX_PIXELS;
	a->threshold = FACE_MATCH_THRESHOLD;
	a->json = 0;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "", analyze_options, NULL)) !=
	    -1) {
		switch (ch) {
		case OPT_DETECTOR:
			if (strcmp(optarg, "tiny") == 0)
				a->opts.detector = FACE_DETECTOR_TINY;
			else if (strcmp(optarg, "ssd") == 0)
				a->opts.detector = FACE_DETECTOR_SSD;
			else {
				fprintf(stderr, "gatehouse-agent: --detector: "
				    "'%s' is not tiny or ssd\n", optarg);
				return -1;
			}
			break;
		case OPT_INPUT_SIZE:
			if (analyze_number("input-size", optarg, 32, 2048,
			    &v) != 0)
				return -1;
			if (v != floor(v) || (int)v % 32 != 0) {
				fprintf(stderr, "gatehouse-agent: --input-size"
				    ": %s is not a multiple of 32\n", optarg);
				return -1;
			}
			a->opts.input_size = (int)v;
			break;
		case OPT_MIN_SCORE:
			if (analyze_number("min-score", optarg, 0, 1,
			    &a->opts.min_score) != 0)
				return -1;
			break;
		case OPT_MAX_RESULTS:
			if (analyze_number("max-results", optarg, 1, 5118,
			    &v) != 0)
				return -1;
			a->opts.max_results = (int)v;
			break;
		case OPT_JSON:
			a->json = 1;
			break;
		case OPT_MODELS:
			a->models = optarg;
			break;
		case OPT_THREADS:
			if (analyze_number("threads", optarg, 0, 256, &v) != 0)
				return -1;
			a->opts.threads = (int)v;
			break;
		case OPT_MAX_PIXELS:
			if (analyze_number("max-pixels", optarg, 1, 1e9,
			    &v) != 0)
				return -1;
			a->max_pixels = (size_t)v;
			break;
		case OPT_TINY_LANDMARKS:
			a->opts.tiny_landmarks = 1;
			break;
		case OPT_THRESHOLD:
			if (analyze_number("threshold", optarg, 0, 10,
			    &a->threshold) != 0)
				return -1;
			break;
		default:
			return -1;
		}
	}
	return optind;
}

/* Adds an array of N numbers to ARRAY. */
static void
analyze_add_numbers(cJSON *array, const double *v, int n)
{
	int	i;

	for (i = 0; i < n; i++)
		cJSON_AddItemToArray(array, cJSON_CreateNumber(v[i]));
}

/* Prints one file's faces as a JSON line. */
static void
analyze_print_json(const char *file, const struct image *img,
    const struct face *faces, int n)
{
	cJSON	*o, *list, *f, *a, *pt;
	char	*s;
	double	 box[4], desc[FACE_DESCRIPTOR];
	int	 i, k;

	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "file", file);
	cJSON_AddNumberToObject(o, "width", img->w);
	cJSON_AddNumberToObject(o, "height", img->h);
	list = cJSON_AddArrayToObject(o, "faces");
	for (i = 0; i < n; i++) {
		f = cJSON_CreateObject();
		cJSON_AddNumberToObject(f, "score", faces[i].box.score);
		box[0] = faces[i].box.x;
		box[1] = faces[i].box.y;
		box[2] = faces[i].box.w;
		box[3] = faces[i].box.h;
		analyze_add_numbers(cJSON_AddArrayToObject(f, "box"), box, 4);
		a = cJSON_AddArrayToObject(f, "landmarks");
		for (k = 0; k < FACE_LANDMARKS; k++) {
			pt = cJSON_CreateArray();
			analyze_add_numbers(pt, faces[i].landmarks[k], 2);
			cJSON_AddItemToArray(a, pt);
		}
		for (k = 0; k < FACE_DESCRIPTOR; k++)
			desc[k] = faces[i].descriptor[k];
		analyze_add_numbers(cJSON_AddArrayToObject(f, "descriptor"),
		    desc, FACE_DESCRIPTOR);
		cJSON_AddItemToArray(list, f);
	}
	s = cJSON_PrintUnformatted(o);
	printf("%s\n", s);
	cJSON_free(s);
	cJSON_Delete(o);
}

/* Prints one file's faces as a table for people. */
static void
analyze_print_text(const char *file, const struct image *img,
    const struct face *faces, int n)
{
	int	i;

	printf("%s: %dx%d, %d face%s\n", file, img->w, img->h, n,
	    n == 1 ? "" : "s");
	if (n == 0)
		return;
	printf("  %-3s %-6s %8s %8s %8s %8s\n", "#", "score", "x", "y", "w",
	    "h");
	for (i = 0; i < n; i++)
		printf("  %-3d %-6.3f %8.1f %8.1f %8.1f %8.1f\n", i + 1,
		    faces[i].box.score, faces[i].box.x, faces[i].box.y,
		    faces[i].box.w, faces[i].box.h);
}

/* The engine for the parsed options; NULL after saying why. */
static struct face_engine *
analyze_engine(const struct analyze_args *a)
{
	struct face_engine	*fe;
	char			*cause = NULL;

	if ((fe = face_engine_new(a->models, &a->opts, &cause)) == NULL) {
		fprintf(stderr, "gatehouse-agent: %s\n", cause);
		free(cause);
	}
	return fe;
}

/*
 * Decodes FILE and finds its faces. Returns 0 with the image and faces
 * (the caller frees both), or -1 after saying why.
 */
static int
analyze_file(struct face_engine *fe, const char *file, size_t max_pixels,
    struct image **img, struct face **faces, int *n)
{
	char	*cause = NULL;

	*img = NULL;
	if (image_load(file, max_pixels, img, &cause) == 0 &&
	    face_engine_analyze(fe, *img, faces, n, &cause) == 0)
		return 0;
	fprintf(stderr, "gatehouse-agent: %s\n", cause);
	free(cause);
	image_free(*img);
	return -1;
}

int
cmd_analyze_exec(int argc, char **argv)
{
	struct analyze_args	 a;
	struct face_engine	*fe;
	struct image		*img;
	struct face		*faces;
	int			 i, n, first, status = 0;

	if ((first = analyze_parse(argc, argv, &a)) < 0)
		return 2;
	if (first >= argc) {
		fprintf(stderr, "usage: gatehouse-agent analyze [--detector "
		    "tiny|ssd] [--input-size N] [--min-score S] [--json] "
		    "FILE...\n");
		return 2;
	}
	if ((fe = analyze_engine(&a)) == NULL)
		return 1;
	for (i = first; i < argc; i++) {
		if (analyze_file(fe, argv[i], a.max_pixels, &img, &faces,
		    &n) != 0) {
			status = 1;
			continue;
		}
		if (a.json)
			analyze_print_json(argv[i], img, faces, n);
		else
			analyze_print_text(argv[i], img, faces, n);
		fflush(stdout);
		free(faces);
		image_free(img);
	}
	face_engine_free(fe);
	return status;
}

/* Finds the most prominent (largest) face of FILE into DESC. */
static int
compare_one(struct face_engine *fe, const char *file, size_t max_pixels,
    float desc[FACE_DESCRIPTOR])
{
	struct image	*img;
	struct face	*faces;
	int		 n, i, best = 0;

	if (analyze_file(fe, file, max_pixels, &img, &faces, &n) != 0)
		return -1;
	image_free(img);
	if (n == 0) {
		fprintf(stderr, "gatehouse-agent: %s: no face found\n", file);
		free(faces);
		return -1;
	}
	for (i = 1; i < n; i++)
		if (faces[i].box.w * faces[i].box.h >
		    faces[best].box.w * faces[best].box.h)
			best = i;
	memcpy(desc, faces[best].descriptor, sizeof faces[best].descriptor);
	free(faces);
	return 0;
}

int
cmd_compare_exec(int argc, char **argv)
{
	struct analyze_args	 a;
	struct face_engine	*fe;
	float			 da[FACE_DESCRIPTOR], db[FACE_DESCRIPTOR];
	double			 d;
	int			 first, r;

	if ((first = analyze_parse(argc, argv, &a)) < 0)
		return 2;
	if (argc - first != 2) {
		fprintf(stderr, "usage: gatehouse-agent compare [--threshold T]"
		    " FILE_A FILE_B\n");
		return 2;
	}
	if ((fe = analyze_engine(&a)) == NULL)
		return 2;
	r = compare_one(fe, argv[first], a.max_pixels, da);
	if (r == 0)
		r = compare_one(fe, argv[first + 1], a.max_pixels, db);
	face_engine_free(fe);
	if (r != 0)
		return 2;
	d = face_distance(da, db);
	printf("distance %.4f: %s (threshold %.2f)\n", d, d < a.threshold ?
	    "match" : "different people", a.threshold);
	return d < a.threshold ? 0 : 1;
}

/* A face found by match, with where it came from. */
struct match_face {
	const char	*file;
	int		 index;		/* 1-based, in the file's order */
	struct face	 face;
	int		 group;		/* the group's first face */
};

/* A pair of faces from different files closer than the threshold. */
struct match_pair {
	int	a;
	int	b;
	double	distance;
};

static int
match_pair_cmp(const void *va, const void *vb)
{
	const struct match_pair	*a = va, *b = vb;

	return a->distance < b->distance ? -1 : a->distance > b->distance;
}

/*
 * Whether the groups of faces A and B may be one person: no two of their
 * faces come from the same photo and every pair of them matches (complete
 * linkage, so that a chain of look-alikes never joins two people).
 */
static int
match_compatible(const struct match_face *f, int n, const double *d, int a,
    int b)
{
	int	i, j;

	for (i = 0; i < n; i++) {
		if (f[i].group != f[a].group)
			continue;
		for (j = 0; j < n; j++) {
			if (f[j].group != f[b].group)
				continue;
			if (f[i].file == f[j].file || d[i * n + j] < 0)
				return 0;
		}
	}
	return 1;
}

int
cmd_match_exec(int argc, char **argv)
{
	struct analyze_args	 a;
	struct face_engine	*fe;
	struct image		*img;
	struct face		*faces;
	struct match_face	*all = NULL;
	struct match_pair	*pairs;
	double			*d;
	int			 first, i, j, k, n, nall = 0, status = 0;
	int			 npairs = 0, ngroups = 0, members, from, to;

	if ((first = analyze_parse(argc, argv, &a)) < 0)
		return 2;
	if (argc - first < 1) {
		fprintf(stderr, "usage: gatehouse-agent match [--threshold T] "
		    "FILE...\n");
		return 2;
	}
	if ((fe = analyze_engine(&a)) == NULL)
		return 1;
	for (i = first; i < argc; i++) {
		if (analyze_file(fe, argv[i], a.max_pixels, &img, &faces,
		    &n) != 0) {
			status = 1;
			continue;
		}
		analyze_print_text(argv[i], img, faces, n);
		all = xreallocarray(all, (size_t)(nall + n), sizeof *all);
		for (k = 0; k < n; k++) {
			all[nall].file = argv[i];
			all[nall].index = k + 1;
			all[nall].face = faces[k];
			all[nall].group = nall;
			nall++;
		}
		free(faces);
		image_free(img);
	}
	face_engine_free(fe);

	/* Distances of faces from different photos; -1 where no match. */
	d = xcalloc((size_t)nall * nall, sizeof *d);
	pairs = xcalloc((size_t)nall * nall / 2 + 1, sizeof *pairs);
	for (i = 0; i < nall; i++) {
		for (j = i + 1; j < nall; j++) {
			d[i * nall + j] = d[j * nall + i] = face_distance(
			    all[i].face.descriptor, all[j].face.descriptor);
			if (all[i].file == all[j].file ||
			    d[i * nall + j] >= a.threshold) {
				d[i * nall + j] = d[j * nall + i] = -1;
				continue;
			}
			pairs[npairs].a = i;
			pairs[npairs].b = j;
			pairs[npairs].distance = d[i * nall + j];
			npairs++;
		}
	}
	qsort(pairs, (size_t)npairs, sizeof *pairs, match_pair_cmp);

	printf("\nmatches (distance < %.2f), closest first:\n", a.threshold);
	for (k = 0; k < npairs; k++) {
		i = pairs[k].a;
		j = pairs[k].b;
		printf("  %s #%d ~ %s #%d  %.3f\n", all[i].file, all[i].index,
		    all[j].file, all[j].index, pairs[k].distance);
		if (all[i].group == all[j].group ||
		    !match_compatible(all, nall, d, i, j))
			continue;
		from = all[j].group;
		to = all[i].group;
		for (n = 0; n < nall; n++)
			if (all[n].group == from)
				all[n].group = to;
	}
	if (npairs == 0)
		printf("  none\n");

	printf("\npeople seen in more than one photo:\n");
	for (i = 0; i < nall; i++) {
		if (all[i].group != i)
			continue;
		for (members = 0, j = 0; j < nall; j++)
			members += all[j].group == i;
		if (members < 2)
			continue;
		printf("  person %d:", ++ngroups);
		for (j = 0; j < nall; j++)
			if (all[j].group == i)
				printf(" %s#%d", all[j].file, all[j].index);
		printf("\n");
	}
	if (ngroups == 0)
		printf("  none\n");
	free(pairs);
	free(d);
	free(all);
	return status;
}
