/*
 * Gallery search benchmark: 100,000 random templates in 5,000 identities,
 * searched on the caller's thread and on a pool of one thread per core.
 * Prints one JSON line per case. Usage: bench-gallery [-k float|half]
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <pthreadpool.h>

#include "gallery.h"
#include "xmalloc.h"

#define BENCH_TEMPLATES		100000
#define BENCH_IDENTITIES	5000
/* Face descriptors have values of about this spread per dimension. */
#define BENCH_SIGMA		0.1
#define BENCH_WARMUP		10
#define BENCH_RUNS		101
/* Queries cycle through this many: strangers and noisy enrolled faces. */
#define BENCH_QUERIES		16

static uint64_t	bench_state = 0x9e3779b97f4a7c15ULL;

/* A uniform double in (0, 1) from xorshift64*. */
static double
bench_uniform(void)
{
	bench_state ^= bench_state >> 12;
	bench_state ^= bench_state << 25;
	bench_state ^= bench_state >> 27;
	return ((bench_state * 0x2545f4914f6cdd1dULL >> 11) + 0.5) /
	    9007199254740992.0;
}

/* A normal deviate with standard deviation SIGMA (Box-Muller). */
static double
bench_normal(double sigma)
{
	return sigma * sqrt(-2 * log(bench_uniform())) *
	    cos(2 * M_PI * bench_uniform());
}

/* Milliseconds on the monotonic clock. */
static double
bench_now(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* Orders doubles for qsort. */
static int
bench_cmp(const void *a, const void *b)
{
	double	x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* The best match by a plain double scan, to check the gallery once. */
static int64_t
bench_reference(const float *rows, const int64_t *ids, const float *q)
{
	double	best = INFINITY, d, sum;
	int64_t	id = -1;
	size_t	i;
	int	k;

	for (i = 0; i < BENCH_TEMPLATES; i++) {
		sum = 0;
		for (k = 0; k < FACE_DESCRIPTOR; k++) {
			d = (double)q[k] - rows[i * FACE_DESCRIPTOR + k];
			sum += d * d;
		}
		if (sqrt(sum) < best) {
			best = sqrt(sum);
			id = ids[i];
		}
	}
	return id;
}

/* Times searches of G on TP and prints the JSON line. */
static void
bench_run(struct gallery *g, const float *queries, pthreadpool_t tp)
{
	struct gallery_match	 best, second;
	double			 t[BENCH_RUNS], t0;
	int			 i;

	for (i = 0; i < BENCH_WARMUP; i++) {
		gallery_search(g, queries + (i % BENCH_QUERIES) *
		    FACE_DESCRIPTOR, &best, &second, tp);
	}
	for (i = 0; i < BENCH_RUNS; i++) {
		t0 = bench_now();
		gallery_search(g, queries + (i % BENCH_QUERIES) *
		    FACE_DESCRIPTOR, &best, &second, tp);
		t[i] = bench_now() - t0;
	}
	qsort(t, BENCH_RUNS, sizeof *t, bench_cmp);
	printf("{\"impl\":\"gatehouse\",\"bench\":\"gallery-100k\","
	    "\"threads\":%zu,\"median_ms\":%.4f,\"min_ms\":%.4f}\n",
	    tp == NULL ? 1 : pthreadpool_get_threads_count(tp),
	    t[BENCH_RUNS / 2], t[0]);
	fflush(stdout);
}

int
main(int argc, char **argv)
{
	enum gallery_kernel	 kernel = GALLERY_KERNEL_AUTO;
	struct gallery		*g;
	struct gallery_match	 best, second;
	pthreadpool_t		 tp;
	float			*rows, *queries, *q;
	int64_t			*ids;
	size_t			 i;
	int			 c, k;

	while ((c = getopt(argc, argv, "k:")) != -1) {
		if (c == 'k' && strcmp(optarg, "float") == 0)
			kernel = GALLERY_KERNEL_FLOAT;
		else if (c == 'k' && strcmp(optarg, "half") == 0)
			kernel = GALLERY_KERNEL_HALF;
		else {
			fprintf(stderr,
			    "usage: bench-gallery [-k float|half]\n");
			return 2;
		}
	}

	rows = xcalloc(BENCH_TEMPLATES, FACE_DESCRIPTOR * sizeof *rows);
	ids = xcalloc(BENCH_TEMPLATES, sizeof *ids);
	g = gallery_new_kernel(kernel);
	if (kernel != GALLERY_KERNEL_AUTO && gallery_kernel(g) != kernel) {
		fprintf(stderr, "bench-gallery: kernel not supported here\n");
		return 1;
	}
	/* Each person's templates are enrolled together. */
	for (i = 0; i < BENCH_TEMPLATES; i++) {
		ids[i] = (int64_t)(i / (BENCH_TEMPLATES / BENCH_IDENTITIES));
		for (k = 0; k < FACE_DESCRIPTOR; k++) {
			rows[i * FACE_DESCRIPTOR + k] =
			    (float)bench_normal(BENCH_SIGMA);
		}
		gallery_add(g, ids[i], rows + i * FACE_DESCRIPTOR);
	}
	queries = xcalloc(BENCH_QUERIES, FACE_DESCRIPTOR * sizeof *queries);
	for (i = 0; i < BENCH_QUERIES; i++) {
		q = queries + i * FACE_DESCRIPTOR;
		for (k = 0; k < FACE_DESCRIPTOR; k++) {
			q[k] = (float)bench_normal(BENCH_SIGMA);
			if (i % 2 == 1) {
				q[k] = rows[(i * 6151 % BENCH_TEMPLATES) *
				    FACE_DESCRIPTOR + k] + q[k] / 4;
			}
		}
	}

	gallery_search(g, queries, &best, &second, NULL);
	if (best.identity != bench_reference(rows, ids, queries)) {
		fprintf(stderr, "bench-gallery: wrong answer\n");
		return 1;
	}

	bench_run(g, queries, NULL);
	tp = pthreadpool_create(0);
	bench_run(g, queries, tp);
	pthreadpool_destroy(tp);

	gallery_free(g);
	free(queries);
	free(ids);
	free(rows);
	return 0;
}
