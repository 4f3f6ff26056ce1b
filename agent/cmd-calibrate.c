/*
 * calibrate: measures the enrolled gallery and suggests match_threshold and
 * match_margin for it. The JSON of --json is a stable contract
 * (gatehouse-agent(8)).
 *
 * Every person of the store with templates is measured; removed and
 * forgotten people have none. Deny-list entries are measured with the
 * others and marked: decide.c denies on a deny-listed best identity nearer
 * than match_threshold whatever the margin, so an enrolled face near one is
 * as much a look-alike as one near another enrolled person.
 *
 *   genuine distance   between two templates of one person. Per person,
 *                      the largest and the median; G is the largest of
 *                      the gallery (none unless someone has two templates).
 *   impostor distance  between templates of two people. Per pair of
 *                      people, the smallest; I is the smallest of the
 *                      gallery (none unless there are two people).
 *
 * The suggestion, and the reason for each number:
 *
 * match_threshold = (G + I) / 2, the middle of the gap. Every enrolled
 * person's templates are then within the threshold of each other, so they
 * match themselves, and no two people's templates are. The midpoint leaves
 * both sides the same room, and both need it: a probe from the door camera
 * (other light, pose, blur) lands farther from a template than the chosen
 * enrolment photos are from each other, and a stranger may look more like
 * someone enrolled than any enrolled pair does. On the labelled photos of
 * the regress test, templates of one person are 0.36 to 0.54 apart and
 * people at least 0.70, while a photo re-encoded or shifted by a pixel
 * moves its descriptor by 0.02 to 0.12: headroom of a few hundredths is
 * used up by a camera, so it cannot be less than half the gap.
 * With one person there is no I: face-api's 0.6 (FACE_MATCH_THRESHOLD,
 * its customary bound for "different people" over a population) stands in
 * for it. With nobody having two templates there is no G and no
 * suggestion: the spread of a face cannot be guessed from one photo.
 *
 * The threshold is then clamped to at most 0.6, face-api's bound (past it,
 * different people match in general, whatever this gallery says), to the
 * range gatehouse.conf accepts for match_threshold (config-keywords.h) and
 * to at most the configured unknown_threshold, which the configuration
 * must not be below (config.c); and rounded to 0.01, a value a person
 * writes, or to 0.001 if 0.01 would cross G or I.
 *
 * If G >= I no threshold separates the gallery: whatever it is, some
 * person fails to match their own templates or two people match each
 * other. Then there is no suggestion, and the widest person and the
 * closest pair are named: re-enrol them with better photos, or remove one.
 *
 * match_margin = (I - threshold) / 2. A grant needs the best person nearer
 * than the threshold and the second-best person at least the margin
 * farther (decide.c). A genuine probe at the threshold is roughly I away
 * from the nearest other person (in 128 dimensions the probe's offset from
 * its template is nearly orthogonal to the way to another person), so it
 * beats them by about I - threshold: half of that as the margin lets it
 * through with the other half to spare, while a descriptor about as near
 * to two people (a look-alike, or a face between them) fails.
 * It is kept within [0.02, 0.2] and rounded to 0.01:
 *   0.02  a distance to a template wobbles by 0.004 (median), 0.013 (90th
 *         percentile), 0.04 at most when a photo is re-encoded or shifted
 *         by a pixel (measured on the labelled photos): a smaller margin
 *         would pass or fail on that noise and tell nobody apart.
 *   0.2   people are 0.70 to 1.0 apart on the labelled photos and face-api
 *         thresholds are near 0.5: a larger margin would refuse genuine
 *         probes whose nearest other person is an ordinary stranger.
 *
 * A look-alike is a pair of people nearer than match_threshold +
 * match_margin, of the current configuration or of the suggestion: a
 * probe of one within the threshold of their own templates can then be
 * nearer to the other than the margin, so votes for either can go either
 * way (the same test people add warns with).
 */
#include <sys/stat.h>

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "agent.h"
#include "config.h"
#include "face.h"
#include "store.h"
#include "xmalloc.h"

/* face-api's customary threshold: the largest suggested threshold. */
#define CALIBRATE_THRESHOLD_MAX	FACE_MATCH_THRESHOLD
/* The bounds of the suggested margin (see above). */
#define CALIBRATE_MARGIN_MIN	0.02
#define CALIBRATE_MARGIN_MAX	0.2

/* The ranges of the keywords, from the one table of config-keywords.h. */
static const struct calibrate_range {
	const char	*name;
	double		 lo;
	double		 hi;
} calibrate_ranges[] = {
#define CALIBRATE_RANGE(name, type, def, lo, hi, choices, check, reload, \
    desc) { #name, (double)(lo), (double)(hi) },
	CONFIG_KEYWORDS(CALIBRATE_RANGE)
#undef CALIBRATE_RANGE
};

/* A person of the gallery with their templates. */
struct calibrate_person {
	int64_t		 id;
	char		*name;
	int		 deny_listed;
	float		*desc;		/* ntemplates rows of FACE_DESCRIPTOR */
	int		 ntemplates;
	double		 genuine_max;	/* NAN under two templates */
	double		 genuine_median;
	int		 nearest;	/* nearest other person, -1 if none */
	double		 nearest_distance;
};

/* Two people and the smallest distance between their templates. */
struct calibrate_pair {
	int	a;
	int	b;
	double	distance;
	int	current;	/* below the current threshold + margin */
	int	suggested;	/* below the suggested threshold + margin */
};

struct calibrate {
	struct calibrate_person	*people;	/* in id order */
	int			 npeople;
	int			 ntemplates;

	double			 genuine_max;	/* G, NAN if none */
	int			 genuine_person;
	double			 impostor_min;	/* I, NAN if none */
	int			 impostor_a;
	int			 impostor_b;
	int			 separable;

	double			 threshold;	/* current configuration */
	double			 margin;
	double			 unknown;

	int			 suggested;	/* whether there is a suggestion */
	double			 suggested_threshold;
	double			 suggested_margin;
	char			*no_suggestion;	/* why not, or NULL */

	struct calibrate_pair	*pairs;		/* the look-alikes */
	int			 npairs;
};

enum {
	OPT_JSON = 256,
};

static const struct option calibrate_options[] = {
	{ "data-dir", required_argument, NULL, 'd' },
	{ "json", no_argument, NULL, OPT_JSON },
	{ NULL, 0, NULL, 0 },
};

/* The range of config keyword NAME. */
static void
calibrate_range(const char *name, double *lo, double *hi)
{
	size_t	i;

	for (i = 0; i < sizeof calibrate_ranges / sizeof calibrate_ranges[0];
	    i++) {
		if (strcmp(calibrate_ranges[i].name, name) == 0) {
			*lo = calibrate_ranges[i].lo;
			*hi = calibrate_ranges[i].hi;
			return;
		}
	}
	*lo = -INFINITY;
	*hi = INFINITY;
}

/* Adds an active person (templates come later). */
static int
calibrate_add_person(const struct store_person *p, void *arg)
{
	struct calibrate	*cal = arg;
	struct calibrate_person	*cp;

	if (p->removed != 0 || p->forgotten != 0)
		return 0;
	cal->people = xreallocarray(cal->people, (size_t)cal->npeople + 1,
	    sizeof *cal->people);
	cp = &cal->people[cal->npeople++];
	memset(cp, 0, sizeof *cp);
	cp->id = p->id;
	if (p->name != NULL)
		cp->name = xstrdup(p->name);
	else
		xasprintf(&cp->name, "#%lld", (long long)p->id);
	cp->deny_listed = p->deny_listed;
	cp->nearest = -1;
	cp->nearest_distance = NAN;
	cp->genuine_max = cp->genuine_median = NAN;
	return 0;
}

/* Orders an id against a person, for bsearch. */
static int
calibrate_person_cmp(const void *key, const void *elem)
{
	const int64_t			*id = key;
	const struct calibrate_person	*p = elem;

	return *id < p->id ? -1 : *id > p->id;
}

/* Adds a template to its person; templates of nobody active are ignored. */
static int
calibrate_add_template(int64_t person_id, int64_t template_id,
    const float desc[STORE_DESCRIPTOR], void *arg)
{
	struct calibrate	*cal = arg;
	struct calibrate_person	*p;

	(void)template_id;
	if (cal->npeople == 0 || (p = bsearch(&person_id, cal->people,
	    (size_t)cal->npeople, sizeof *cal->people,
	    calibrate_person_cmp)) == NULL)
		return 0;
	p->desc = xreallocarray(p->desc, (size_t)p->ntemplates + 1,
	    FACE_DESCRIPTOR * sizeof *p->desc);
	memcpy(p->desc + (size_t)p->ntemplates * FACE_DESCRIPTOR, desc,
	    FACE_DESCRIPTOR * sizeof *desc);
	p->ntemplates++;
	cal->ntemplates++;
	return 0;
}

/* Reads the people with templates from the store. */
static int
calibrate_load(struct calibrate *cal, struct store *st, char **cause)
{
	int	i, n;

	if (store_people_list(st, calibrate_add_person, cal, cause) != 0 ||
	    store_templates_each(st, calibrate_add_template, cal,
	    cause) != 0)
		return -1;
	for (i = n = 0; i < cal->npeople; i++) {
		if (cal->people[i].ntemplates == 0) {
			free(cal->people[i].name);
			continue;
		}
		cal->people[n++] = cal->people[i];
	}
	cal->npeople = n;
	return 0;
}

/* Orders distances, smallest first. */
static int
calibrate_double_cmp(const void *va, const void *vb)
{
	const double	*a = va, *b = vb;

	return *a < *b ? -1 : *a > *b;
}

/* The genuine distances of person P: their largest and median. */
static void
calibrate_genuine(struct calibrate_person *p)
{
	double	*d;
	size_t	 n = 0;
	int	 i, j;

	if (p->ntemplates < 2)
		return;
	d = xreallocarray(NULL, (size_t)p->ntemplates *
	    (size_t)(p->ntemplates - 1) / 2, sizeof *d);
	for (i = 0; i < p->ntemplates; i++)
		for (j = i + 1; j < p->ntemplates; j++)
			d[n++] = face_distance(p->desc + (size_t)i *
			    FACE_DESCRIPTOR, p->desc + (size_t)j *
			    FACE_DESCRIPTOR);
	qsort(d, n, sizeof *d, calibrate_double_cmp);
	p->genuine_max = d[n - 1];
	p->genuine_median = n % 2 ? d[n / 2] : (d[n / 2 - 1] + d[n / 2]) / 2;
	free(d);
}

/* The impostor distance of people A and B: their nearest templates. */
static double
calibrate_impostor(const struct calibrate_person *a,
    const struct calibrate_person *b)
{
	double	d, min = INFINITY;
	int	i, j;

	for (i = 0; i < a->ntemplates; i++) {
		for (j = 0; j < b->ntemplates; j++) {
			d = face_distance(a->desc + (size_t)i *
			    FACE_DESCRIPTOR, b->desc + (size_t)j *
			    FACE_DESCRIPTOR);
			if (d < min)
				min = d;
		}
	}
	return min;
}

/*
 * Measures every person and pair. The pairs kept are those nearer than
 * KEEP, past which no look-alike bound can reach.
 */
static void
calibrate_measure(struct calibrate *cal, double keep)
{
	struct calibrate_person	*a, *b;
	double			 d;
	int			 i, j;

	cal->genuine_max = cal->impostor_min = NAN;
	cal->genuine_person = cal->impostor_a = cal->impostor_b = -1;
	for (i = 0; i < cal->npeople; i++) {
		a = &cal->people[i];
		calibrate_genuine(a);
		if (!isnan(a->genuine_max) && (isnan(cal->genuine_max) ||
		    a->genuine_max > cal->genuine_max)) {
			cal->genuine_max = a->genuine_max;
			cal->genuine_person = i;
		}
	}
	for (i = 0; i < cal->npeople; i++) {
		a = &cal->people[i];
		for (j = i + 1; j < cal->npeople; j++) {
			b = &cal->people[j];
			d = calibrate_impostor(a, b);
			if (a->nearest == -1 || d < a->nearest_distance) {
				a->nearest = j;
				a->nearest_distance = d;
			}
			if (b->nearest == -1 || d < b->nearest_distance) {
				b->nearest = i;
				b->nearest_distance = d;
			}
			if (isnan(cal->impostor_min) || d < cal->impostor_min) {
				cal->impostor_min = d;
				cal->impostor_a = i;
				cal->impostor_b = j;
			}
			if (!(d < keep))
				continue;
			cal->pairs = xreallocarray(cal->pairs,
			    (size_t)cal->npairs + 1, sizeof *cal->pairs);
			cal->pairs[cal->npairs].a = i;
			cal->pairs[cal->npairs].b = j;
			cal->pairs[cal->npairs].distance = d;
			cal->npairs++;
		}
	}
	cal->separable = isnan(cal->genuine_max) || isnan(cal->impostor_min) ||
	    cal->genuine_max < cal->impostor_min;
}

/*
 * V rounded to 1/SCALE, unless that moves it across LO or HI (V itself
 * may be on either side of them after clamping). Dividing the rounded
 * integer gives the double that the decimal parses to, so it prints short.
 */
static int
calibrate_round(double v, double scale, double lo, double hi, double *out)
{
	double	r = round(v * scale) / scale;

	if ((r > lo) != (v > lo) || (r < hi) != (v < hi))
		return -1;
	*out = r;
	return 0;
}

/* The suggestion, as the comment at the top says. */
static void
calibrate_suggest(struct calibrate *cal)
{
	struct calibrate_person	*g, *a, *b;
	double			 upper, t, m, lo, hi;

	if (cal->npeople == 0) {
		cal->no_suggestion = xstrdup("the gallery is empty");
		return;
	}
	if (isnan(cal->genuine_max)) {
		cal->no_suggestion = xstrdup("nobody has two templates, so the "
		    "spread of a face cannot be measured");
		return;
	}
	if (!cal->separable) {
		g = &cal->people[cal->genuine_person];
		a = &cal->people[cal->impostor_a];
		b = &cal->people[cal->impostor_b];
		xasprintf(&cal->no_suggestion, "no threshold separates the "
		    "gallery: %s's own templates are %.3f apart but %s and %s "
		    "are only %.3f apart", g->name, cal->genuine_max, a->name,
		    b->name, cal->impostor_min);
		return;
	}
	upper = isnan(cal->impostor_min) ? CALIBRATE_THRESHOLD_MAX :
	    cal->impostor_min;

	t = (cal->genuine_max + upper) / 2;
	calibrate_range("match_threshold", &lo, &hi);
	t = fmin(t, fmin(CALIBRATE_THRESHOLD_MAX, fmin(hi, cal->unknown)));
	t = fmax(t, lo);
	if (calibrate_round(t, 100, cal->genuine_max, upper, &t) != 0)
		(void)calibrate_round(t, 1000, cal->genuine_max, upper, &t);

	m = (upper - t) / 2;
	calibrate_range("match_margin", &lo, &hi);
	m = fmax(CALIBRATE_MARGIN_MIN, fmin(m, CALIBRATE_MARGIN_MAX));
	m = fmax(lo, fmin(m, hi));
	m = round(m * 100) / 100;

	cal->suggested = 1;
	cal->suggested_threshold = t;
	cal->suggested_margin = m;
}

/* Orders pairs of people, closest first. */
static int
calibrate_pair_cmp(const void *va, const void *vb)
{
	const struct calibrate_pair	*a = va, *b = vb;

	return a->distance < b->distance ? -1 : a->distance > b->distance;
}

/* Keeps the pairs that are look-alikes, closest first. */
static void
calibrate_lookalikes(struct calibrate *cal)
{
	struct calibrate_pair	*p;
	int			 i, n;

	for (i = n = 0; i < cal->npairs; i++) {
		p = &cal->pairs[i];
		p->current = p->distance < cal->threshold + cal->margin;
		p->suggested = cal->suggested && p->distance <
		    cal->suggested_threshold + cal->suggested_margin;
		if (p->current || p->suggested)
			cal->pairs[n++] = *p;
	}
	cal->npairs = n;
	if (n > 0)
		qsort(cal->pairs, (size_t)n, sizeof *cal->pairs,
		    calibrate_pair_cmp);
}

/* Frees what CAL holds (not CAL). */
static void
calibrate_free(struct calibrate *cal)
{
	int	i;

	for (i = 0; i < cal->npeople; i++) {
		free(cal->people[i].name);
		free(cal->people[i].desc);
	}
	free(cal->people);
	free(cal->pairs);
	free(cal->no_suggestion);
}

/* Adds number V to O as KEY, or null if V is NAN. */
static void
calibrate_json_number(cJSON *o, const char *key, double v)
{
	if (isnan(v))
		cJSON_AddNullToObject(o, key);
	else
		cJSON_AddNumberToObject(o, key, v);
}

/* Prints the report as one JSON object. */
static void
calibrate_print_json(const struct calibrate *cal, const char *dir,
    const char *conf)
{
	const struct calibrate_person	*p, *q;
	const struct calibrate_pair	*pr;
	cJSON				*o, *list, *e, *n;
	char				*s;
	int				 i;

	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "data_dir", dir);
	if (conf != NULL)
		cJSON_AddStringToObject(o, "config", conf);
	else
		cJSON_AddNullToObject(o, "config");
	cJSON_AddNumberToObject(o, "templates", cal->ntemplates);
	list = cJSON_AddArrayToObject(o, "people");
	for (i = 0; i < cal->npeople; i++) {
		p = &cal->people[i];
		e = cJSON_CreateObject();
		cJSON_AddNumberToObject(e, "id", (double)p->id);
		cJSON_AddStringToObject(e, "name", p->name);
		cJSON_AddBoolToObject(e, "deny_listed", p->deny_listed);
		cJSON_AddNumberToObject(e, "templates", p->ntemplates);
		calibrate_json_number(e, "genuine_max", p->genuine_max);
		calibrate_json_number(e, "genuine_median", p->genuine_median);
		if (p->nearest == -1)
			cJSON_AddNullToObject(e, "nearest");
		else {
			q = &cal->people[p->nearest];
			n = cJSON_AddObjectToObject(e, "nearest");
			cJSON_AddNumberToObject(n, "id", (double)q->id);
			cJSON_AddStringToObject(n, "name", q->name);
			cJSON_AddNumberToObject(n, "distance",
			    p->nearest_distance);
		}
		cJSON_AddItemToArray(list, e);
	}
	calibrate_json_number(o, "genuine_max", cal->genuine_max);
	calibrate_json_number(o, "impostor_min", cal->impostor_min);
	cJSON_AddBoolToObject(o, "separable", cal->separable);
	e = cJSON_AddObjectToObject(o, "current");
	cJSON_AddNumberToObject(e, "match_threshold", cal->threshold);
	cJSON_AddNumberToObject(e, "match_margin", cal->margin);
	cJSON_AddNumberToObject(e, "unknown_threshold", cal->unknown);
	if (cal->suggested) {
		e = cJSON_AddObjectToObject(o, "suggested");
		cJSON_AddNumberToObject(e, "match_threshold",
		    cal->suggested_threshold);
		cJSON_AddNumberToObject(e, "match_margin",
		    cal->suggested_margin);
		cJSON_AddNullToObject(o, "no_suggestion");
	} else {
		cJSON_AddNullToObject(o, "suggested");
		cJSON_AddStringToObject(o, "no_suggestion", cal->no_suggestion);
	}
	list = cJSON_AddArrayToObject(o, "lookalikes");
	for (i = 0; i < cal->npairs; i++) {
		pr = &cal->pairs[i];
		e = cJSON_CreateObject();
		cJSON_AddStringToObject(e, "a", cal->people[pr->a].name);
		cJSON_AddNumberToObject(e, "a_id", (double)cal->people[pr->a].id);
		cJSON_AddStringToObject(e, "b", cal->people[pr->b].name);
		cJSON_AddNumberToObject(e, "b_id", (double)cal->people[pr->b].id);
		cJSON_AddNumberToObject(e, "distance", pr->distance);
		cJSON_AddBoolToObject(e, "current", pr->current);
		cJSON_AddBoolToObject(e, "suggested", pr->suggested);
		cJSON_AddItemToArray(list, e);
	}
	s = cJSON_PrintUnformatted(o);
	printf("%s\n", s);
	cJSON_free(s);
	cJSON_Delete(o);
}

/* Prints a distance in a column of WIDTH, "-" if there is none. */
static void
calibrate_print_distance(int width, double v)
{
	if (isnan(v))
		printf(" %*s", width, "-");
	else
		printf(" %*.3f", width, v);
}

/* Prints the report as a table for people. */
static void
calibrate_print_text(const struct calibrate *cal, const char *dir,
    const char *conf)
{
	const struct calibrate_person	*p;
	const struct calibrate_pair	*pr;
	int				 i, w = (int)strlen("nearest other");

	if (cal->npeople == 0) {
		printf("the gallery of %s is empty: nothing to calibrate\n",
		    dir);
		return;
	}
	for (i = 0; i < cal->npeople; i++)
		if ((int)strlen(cal->people[i].name) > w)
			w = (int)strlen(cal->people[i].name);
	printf("gallery of %s: %d %s, %d template%s\n\n", dir, cal->npeople,
	    cal->npeople == 1 ? "person" : "people", cal->ntemplates,
	    cal->ntemplates == 1 ? "" : "s");
	printf("%-*s %6s %9s %11s %7s  %-*s %8s\n", w, "person", "id",
	    "templates", "genuine max", "median", w, "nearest other",
	    "impostor");
	for (i = 0; i < cal->npeople; i++) {
		p = &cal->people[i];
		printf("%-*s %6lld %9d", w, p->name, (long long)p->id,
		    p->ntemplates);
		calibrate_print_distance(11, p->genuine_max);
		calibrate_print_distance(7, p->genuine_median);
		printf("  %-*s", w, p->nearest == -1 ? "-" :
		    cal->people[p->nearest].name);
		calibrate_print_distance(8, p->nearest_distance);
		printf("%s\n", p->deny_listed ? "  deny-listed" : "");
	}
	printf("\n");
	if (!isnan(cal->genuine_max))
		printf("largest genuine distance:   %.3f (%s)\n",
		    cal->genuine_max, cal->people[cal->genuine_person].name);
	else
		printf("largest genuine distance:   - (nobody has two "
		    "templates)\n");
	if (!isnan(cal->impostor_min))
		printf("smallest impostor distance: %.3f (%s ~ %s)\n",
		    cal->impostor_min, cal->people[cal->impostor_a].name,
		    cal->people[cal->impostor_b].name);
	else
		printf("smallest impostor distance: - (one person)\n");
	printf("\ncurrent:   match_threshold %g match_margin %g (%s)\n",
	    cal->threshold, cal->margin, conf != NULL ? conf : "defaults");
	if (cal->suggested) {
		printf("suggested: match_threshold %g match_margin %g\n",
		    cal->suggested_threshold, cal->suggested_margin);
		for (i = 0; i < cal->npeople; i++) {
			p = &cal->people[i];
			if (p->genuine_max >= cal->suggested_threshold)
				printf("warning: %s's own templates are %.3f "
				    "apart, not within the suggested "
				    "threshold: re-enrol %s\n", p->name,
				    p->genuine_max, p->name);
		}
	} else
		printf("suggested: none: %s\n", cal->no_suggestion);

	if (cal->npairs == 0) {
		printf("\nlook-alikes: none\n");
		return;
	}
	printf("\nlook-alikes (nearer than match_threshold + match_margin):"
	    "\n");
	for (i = 0; i < cal->npairs; i++) {
		pr = &cal->pairs[i];
		printf("warning: look-alike: %s ~ %s %.3f, below", cal->people[
		    pr->a].name, cal->people[pr->b].name, pr->distance);
		if (pr->current)
			printf(" current %g", cal->threshold + cal->margin);
		if (pr->suggested)
			printf("%s suggested %g", pr->current ? "," : "",
			    cal->suggested_threshold + cal->suggested_margin);
		printf("\n");
	}
}

/*
 * calibrate [-f FILE] [-d DATA_DIR] [--json]: exits 0 with the report, 1
 * on an error (no store, a bad configuration), 2 on a usage error.
 */
int
cmd_calibrate_exec(int argc, char **argv)
{
	struct calibrate	 cal;
	struct config		 c;
	struct store		*st = NULL;
	struct stat		 sb;
	const char		*file = NULL, *dir = NULL;
	char			*path = NULL, *cause = NULL;
	int			 ch, json = 0, r = 1;

	memset(&cal, 0, sizeof cal);
	memset(&c, 0, sizeof c);
	optind = 1;
	while ((ch = getopt_long(argc, argv, "d:f:", calibrate_options,
	    NULL)) != -1) {
		switch (ch) {
		case 'd':
			dir = optarg;
			break;
		case 'f':
			file = optarg;
			break;
		case OPT_JSON:
			json = 1;
			break;
		default:
			goto usage;
		}
	}
	if (optind != argc)
		goto usage;

	/*
	 * The current configuration, to compare with. Without -f a missing
	 * default file is fine when -d says where the store is.
	 */
	if (file == NULL && (dir == NULL || stat(AGENT_CONF, &sb) == 0 ||
	    errno != ENOENT))
		file = AGENT_CONF;
	if (file != NULL) {
		if (config_load(file, &c, &cause) != 0) {
			fprintf(stderr, "gatehouse-agent: %s\n", cause);
			goto out;
		}
	} else
		config_defaults(&c);
	if (dir == NULL)
		dir = c.data_dir;
	cal.threshold = c.match_threshold;
	cal.margin = c.match_margin;
	cal.unknown = c.unknown_threshold;

	/* Calibrating must not create a store where there is none. */
	xasprintf(&path, "%s/gatehouse.db", dir);
	if (stat(path, &sb) != 0) {
		fprintf(stderr, "gatehouse-agent: %s: %s\n", path,
		    strerror(errno));
		goto out;
	}
	if (store_open(dir, &st, &cause) != 0 ||
	    calibrate_load(&cal, st, &cause) != 0) {
		fprintf(stderr, "gatehouse-agent: %s\n", cause);
		goto out;
	}

	calibrate_measure(&cal, fmax(cal.threshold + cal.margin,
	    CALIBRATE_THRESHOLD_MAX + CALIBRATE_MARGIN_MAX));
	calibrate_suggest(&cal);
	calibrate_lookalikes(&cal);
	if (json)
		calibrate_print_json(&cal, dir, file);
	else
		calibrate_print_text(&cal, dir, file);
	r = 0;
	goto out;
usage:
	fprintf(stderr, "usage: gatehouse-agent calibrate [-f FILE] "
	    "[-d DATA_DIR] [--json]\n");
	r = 2;
out:
	calibrate_free(&cal);
	store_close(st);
	config_free(&c);
	free(cause);
	free(path);
	return r;
}
