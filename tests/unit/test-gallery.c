/*
 * Gallery search against a plain double scan: the same best and second
 * identities and rows, distances within 1e-5, for every kernel this CPU
 * runs, on the caller's thread and on a pool.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pthreadpool.h>

#include "gallery.h"
#include "test.h"
#include "xmalloc.h"

/* Face descriptors have values of about this spread per dimension. */
#define T_SIGMA		0.1
#define T_TOL		1e-5

static pthreadpool_t	t_pool;
static uint64_t		t_state;

/* Kernels to test: FLOAT always, HALF where the CPU has it. */
static enum gallery_kernel t_kernels[] = {
	GALLERY_KERNEL_FLOAT, GALLERY_KERNEL_HALF
};
#define T_NKERNELS	(sizeof t_kernels / sizeof t_kernels[0])

/* Templates kept beside the gallery for the reference scan. */
struct t_set {
	float	*rows;
	int64_t	*ids;
	size_t	 n;
	size_t	 cap;
};

/* Restarts the generator at SEED. */
static void
t_seed(uint64_t seed)
{
	t_state = seed * 0x9e3779b97f4a7c15ULL + 1;
}

/* A uniform double in (0, 1) from xorshift64*. */
static double
t_uniform(void)
{
	t_state ^= t_state >> 12;
	t_state ^= t_state << 25;
	t_state ^= t_state >> 27;
	return ((t_state * 0x2545f4914f6cdd1dULL >> 11) + 0.5) /
	    9007199254740992.0;
}

/* A normal deviate with standard deviation SIGMA (Box-Muller). */
static double
t_normal(double sigma)
{
	return sigma * sqrt(-2 * log(t_uniform())) *
	    cos(2 * M_PI * t_uniform());
}

/* Fills V with normal values of spread SIGMA around CENTRE (or 0). */
static void
t_random(float *v, const float *centre, double sigma)
{
	int	k;

	for (k = 0; k < FACE_DESCRIPTOR; k++)
		v[k] = (float)((centre != NULL ? centre[k] : 0) +
		    t_normal(sigma));
}

/* Adds a template to both G and S. */
static void
t_add(struct gallery *g, struct t_set *s, int64_t identity, const float *v)
{
	if (s->n == s->cap) {
		s->cap = s->cap == 0 ? 16 : s->cap * 2;
		s->rows = xreallocarray(s->rows, s->cap,
		    FACE_DESCRIPTOR * sizeof *s->rows);
		s->ids = xreallocarray(s->ids, s->cap, sizeof *s->ids);
	}
	memcpy(s->rows + s->n * FACE_DESCRIPTOR, v,
	    FACE_DESCRIPTOR * sizeof *v);
	s->ids[s->n++] = identity;
	gallery_add(g, identity, v);
}

/* Removes IDENTITY from S as gallery_remove() does from a gallery. */
static int
t_remove(struct t_set *s, int64_t identity)
{
	size_t	i, n = 0;

	for (i = 0; i < s->n; i++) {
		if (s->ids[i] == identity)
			continue;
		memmove(s->rows + n * FACE_DESCRIPTOR,
		    s->rows + i * FACE_DESCRIPTOR,
		    FACE_DESCRIPTOR * sizeof *s->rows);
		s->ids[n++] = s->ids[i];
	}
	i = s->n - n;
	s->n = n;
	return (int)i;
}

static void
t_set_free(struct t_set *s)
{
	free(s->rows);
	free(s->ids);
	memset(s, 0, sizeof *s);
}

/* Euclidean distance in double. */
static double
t_distance(const float *a, const float *b)
{
	double	d, sum = 0;
	int	k;

	for (k = 0; k < FACE_DESCRIPTOR; k++) {
		d = (double)a[k] - b[k];
		sum += d * d;
	}
	return sqrt(sum);
}

/* The plain double scan: nearest row, nearest row of another identity. */
static void
t_reference(const struct t_set *s, const float *q, struct gallery_match *best,
    struct gallery_match *second)
{
	double	d;
	size_t	i;

	best->identity = second->identity = -1;
	best->distance = second->distance = INFINITY;
	best->index = second->index = SIZE_MAX;
	for (i = 0; i < s->n; i++) {
		d = t_distance(q, s->rows + i * FACE_DESCRIPTOR);
		if (d < best->distance) {
			if (s->ids[i] != best->identity)
				*second = *best;
			best->identity = s->ids[i];
			best->distance = d;
			best->index = i;
		} else if (d < second->distance &&
		    s->ids[i] != best->identity) {
			second->identity = s->ids[i];
			second->distance = d;
			second->index = i;
		}
	}
}

/* Whether match A is B: same identity and row, distance within T_TOL. */
static int
t_same(const struct gallery_match *a, const struct gallery_match *b)
{
	if (a->identity != b->identity || a->index != b->index)
		return 0;
	if (isinf(a->distance) || isinf(b->distance))
		return isinf(a->distance) && isinf(b->distance);
	return fabs(a->distance - b->distance) <= T_TOL;
}

/*
 * Searches G for Q on the caller's thread and on the pool and compares
 * both with the reference; returns the number of mismatches (0 to 2) and
 * reports the first few.
 */
static int
t_compare(const struct gallery *g, const struct t_set *s, const float *q)
{
	struct gallery_match	 rb, rs, b, s2;
	static int		 reported;
	pthreadpool_t		 pools[2] = { NULL, t_pool };
	int			 i, bad = 0;

	t_reference(s, q, &rb, &rs);
	for (i = 0; i < 2; i++) {
		gallery_search(g, q, &b, &s2, pools[i]);
		if (t_same(&b, &rb) && t_same(&s2, &rs))
			continue;
		bad++;
		if (reported++ < 5) {
			fprintf(stderr, "%s: kernel %d, %s, n %zu: best "
			    "%lld/%zu/%.9g second %lld/%zu/%.9g, expected "
			    "%lld/%zu/%.9g %lld/%zu/%.9g\n", test_current,
			    (int)gallery_kernel(g), i ? "pool" : "no pool",
			    s->n, (long long)b.identity, b.index, b.distance,
			    (long long)s2.identity, s2.index, s2.distance,
			    (long long)rb.identity, rb.index, rb.distance,
			    (long long)rs.identity, rs.index, rs.distance);
		}
	}
	return bad;
}

/*
 * NQ queries against a gallery of N random templates in NID identities:
 * half strangers, half near an enrolled template. CLUSTER makes each
 * identity's templates spread around a centre, as real ones are.
 */
static void
t_random_gallery(enum gallery_kernel kernel, uint64_t seed, size_t n,
    int nid, int nq, int cluster)
{
	struct gallery	*g;
	struct t_set	 s = { 0 };
	float		*centres, v[FACE_DESCRIPTOR], q[FACE_DESCRIPTOR];
	size_t		 i;
	int		 id, bad = 0;

	t_seed(seed);
	g = gallery_new_kernel(kernel);
	centres = xcalloc((size_t)nid, FACE_DESCRIPTOR * sizeof *centres);
	for (id = 0; id < nid; id++)
		t_random(centres + id * FACE_DESCRIPTOR, NULL, T_SIGMA);
	for (i = 0; i < n; i++) {
		id = (int)(t_uniform() * nid);
		if (cluster) {
			t_random(v, centres + id * FACE_DESCRIPTOR,
			    T_SIGMA / 3);
		} else
			t_random(v, NULL, T_SIGMA);
		t_add(g, &s, 1000 + id, v);
	}
	CHECK_INT(gallery_size(g), n);
	for (i = 0; i < (size_t)nq; i++) {
		if (i % 2 == 0)
			t_random(q, NULL, T_SIGMA);
		else {
			t_random(q, s.rows + (i * 7919 % n) * FACE_DESCRIPTOR,
			    T_SIGMA / 10);
		}
		bad += t_compare(g, &s, q);
	}
	CHECK_INT(bad, 0);
	free(centres);
	t_set_free(&s);
	gallery_free(g);
}

TEST(test_empty)
{
	struct gallery		*g;
	struct gallery_match	 b, s;
	float			 q[FACE_DESCRIPTOR] = { 0 };
	size_t			 k;

	for (k = 0; k < T_NKERNELS; k++) {
		g = gallery_new_kernel(t_kernels[k]);
		CHECK_INT(gallery_size(g), 0);
		CHECK_INT(gallery_remove(g, 7), 0);
		gallery_search(g, q, &b, &s, NULL);
		CHECK_INT(b.identity, -1);
		CHECK(isinf(b.distance));
		CHECK(b.index == SIZE_MAX);
		CHECK_INT(s.identity, -1);
		CHECK(isinf(s.distance));
		CHECK(s.index == SIZE_MAX);
		gallery_search(g, q, &b, &s, t_pool);
		CHECK_INT(b.identity, -1);
		CHECK_INT(s.identity, -1);
		gallery_free(g);
	}
	gallery_free(NULL);
}

TEST(test_kernel_choice)
{
	struct gallery	*g;

	g = gallery_new_kernel(GALLERY_KERNEL_FLOAT);
	CHECK_INT(gallery_kernel(g), GALLERY_KERNEL_FLOAT);
	gallery_free(g);
	g = gallery_new();
	CHECK(gallery_kernel(g) == GALLERY_KERNEL_FLOAT ||
	    gallery_kernel(g) == GALLERY_KERNEL_HALF);
	printf("test-gallery: default kernel %s\n",
	    gallery_kernel(g) == GALLERY_KERNEL_HALF ? "half" : "float");
	gallery_free(g);
}

TEST(test_one_identity)
{
	struct gallery		*g;
	struct t_set		 s = { 0 };
	struct gallery_match	 b, s2;
	float			 v[FACE_DESCRIPTOR], q[FACE_DESCRIPTOR];
	size_t			 k;
	int			 i;

	for (k = 0; k < T_NKERNELS; k++) {
		t_seed(1);
		g = gallery_new_kernel(t_kernels[k]);
		for (i = 0; i < 9; i++) {
			t_random(v, NULL, T_SIGMA);
			t_add(g, &s, 42, v);
		}
		t_random(q, s.rows + 5 * FACE_DESCRIPTOR, 0.01);
		gallery_search(g, q, &b, &s2, NULL);
		CHECK_INT(b.identity, 42);
		CHECK_INT(b.index, 5);
		CHECK_NEAR(b.distance, t_distance(q,
		    s.rows + 5 * FACE_DESCRIPTOR), T_TOL);
		CHECK_INT(s2.identity, -1);
		CHECK(isinf(s2.distance));
		CHECK(s2.index == SIZE_MAX);
		CHECK_INT(t_compare(g, &s, q), 0);
		t_random(q, NULL, T_SIGMA);
		CHECK_INT(t_compare(g, &s, q), 0);
		t_set_free(&s);
		gallery_free(g);
	}
}

TEST(test_exact_template)
{
	struct gallery		*g;
	struct gallery_match	 b, s;
	float			 v[3][FACE_DESCRIPTOR];
	size_t			 k;
	int			 i;

	for (k = 0; k < T_NKERNELS; k++) {
		t_seed(2);
		g = gallery_new_kernel(t_kernels[k]);
		for (i = 0; i < 3; i++) {
			t_random(v[i], NULL, T_SIGMA);
			gallery_add(g, i, v[i]);
		}
		gallery_search(g, v[1], &b, &s, NULL);
		CHECK_INT(b.identity, 1);
		CHECK_INT(b.index, 1);
		CHECK(b.distance == 0);
		CHECK(s.identity == 0 || s.identity == 2);
		CHECK_NEAR(s.distance, t_distance(v[1], v[s.identity]),
		    T_TOL);
		gallery_free(g);
	}
}

TEST(test_ties)
{
	struct gallery		*g;
	struct t_set		 s = { 0 };
	struct gallery_match	 b, s2;
	float			 v[FACE_DESCRIPTOR], q[FACE_DESCRIPTOR];
	size_t			 k;

	/* Equal rows: the lower index wins, for best and for second. */
	for (k = 0; k < T_NKERNELS; k++) {
		t_seed(3);
		g = gallery_new_kernel(t_kernels[k]);
		t_random(v, NULL, T_SIGMA);
		t_random(q, NULL, T_SIGMA);
		t_add(g, &s, 5, q);
		t_add(g, &s, 1, v);
		t_add(g, &s, 2, v);
		t_add(g, &s, 1, v);
		t_add(g, &s, 3, v);
		gallery_search(g, v, &b, &s2, t_pool);
		CHECK_INT(b.identity, 1);
		CHECK_INT(b.index, 1);
		CHECK_INT(s2.identity, 2);
		CHECK_INT(s2.index, 2);
		CHECK(s2.distance == 0);
		CHECK_INT(t_compare(g, &s, q), 0);
		CHECK_INT(t_compare(g, &s, v), 0);
		t_set_free(&s);
		gallery_free(g);
	}
}

TEST(test_random_1000)
{
	size_t	k;

	for (k = 0; k < T_NKERNELS; k++) {
		t_random_gallery(t_kernels[k], 10, 1000, 300, 200, 0);
		t_random_gallery(t_kernels[k], 11, 1000, 300, 200, 1);
	}
}

TEST(test_random_20000)
{
	size_t	k;

	for (k = 0; k < T_NKERNELS; k++) {
		t_random_gallery(t_kernels[k], 20, 20000, 300, 40, 0);
		t_random_gallery(t_kernels[k], 21, 20000, 300, 40, 1);
	}
}

TEST(test_odd_sizes)
{
	static const size_t	 sizes[] = { 1, 2, 3, 4, 5, 7, 8, 9, 15, 17,
				     63, 64, 65, 127, 129, 4095, 4096, 4097,
				     4099, 8191, 8193, 12290 };
	size_t			 i, k;

	for (k = 0; k < T_NKERNELS; k++) {
		for (i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
			t_random_gallery(t_kernels[k], 30 + i, sizes[i], 7,
			    6, i % 2);
		}
	}
}

TEST(test_remove)
{
	struct gallery		*g;
	struct t_set		 s = { 0 };
	struct gallery_match	 b, s2;
	float			 v[FACE_DESCRIPTOR], q[FACE_DESCRIPTOR];
	size_t			 k;
	int			 i, bad = 0;

	for (k = 0; k < T_NKERNELS; k++) {
		t_seed(4);
		g = gallery_new_kernel(t_kernels[k]);
		for (i = 0; i < 5000; i++) {
			t_random(v, NULL, T_SIGMA);
			t_add(g, &s, i % 37, v);
		}
		/* The query sits on a template of identity 4, then loses it. */
		memcpy(q, s.rows + 41 * FACE_DESCRIPTOR, sizeof q);
		gallery_search(g, q, &b, &s2, NULL);
		CHECK_INT(b.identity, 4);
		CHECK_INT(b.index, 41);
		CHECK_INT(gallery_remove(g, 4), t_remove(&s, 4));
		CHECK_INT(gallery_size(g), s.n);
		CHECK_INT(gallery_remove(g, 4), 0);
		CHECK_INT(gallery_remove(g, 999), 0);
		gallery_search(g, q, &b, &s2, t_pool);
		CHECK(b.identity != 4);
		CHECK(s2.identity != 4);
		bad += t_compare(g, &s, q);
		for (i = 0; i < 20; i++) {
			t_random(q, NULL, T_SIGMA);
			bad += t_compare(g, &s, q);
		}
		/* Down to one identity, then none. */
		for (i = 0; i < 37; i++) {
			if (i != 4 && i != 9) {
				CHECK_INT(gallery_remove(g, i),
				    t_remove(&s, i));
			}
		}
		bad += t_compare(g, &s, q);
		gallery_search(g, q, &b, &s2, NULL);
		CHECK_INT(b.identity, 9);
		CHECK_INT(s2.identity, -1);
		CHECK_INT(gallery_remove(g, 9), t_remove(&s, 9));
		CHECK_INT(gallery_size(g), 0);
		gallery_search(g, q, &b, &s2, t_pool);
		CHECK_INT(b.identity, -1);
		/* And filled again. */
		for (i = 0; i < 100; i++) {
			t_random(v, NULL, T_SIGMA);
			t_add(g, &s, i % 3, v);
		}
		bad += t_compare(g, &s, q);
		CHECK_INT(bad, 0);
		t_set_free(&s);
		gallery_free(g);
	}
}

TEST(test_growth)
{
	struct gallery		*g;
	struct t_set		 s = { 0 };
	struct gallery_match	 b, s2;
	float			 v[FACE_DESCRIPTOR];
	size_t			 i, j, k;
	int			 bad = 0;

	for (k = 0; k < T_NKERNELS; k++) {
		t_seed(5);
		g = gallery_new_kernel(t_kernels[k]);
		for (i = 0; i < 10000; i++) {
			t_random(v, NULL, T_SIGMA);
			t_add(g, &s, (int64_t)(i * 2654435761U % 1013), v);
			/* After each growth every row must still be there. */
			if ((i & (i + 1)) != 0 && i != 9999)
				continue;
			CHECK_INT(gallery_size(g), i + 1);
			for (j = 0; j <= i; j += 1 + i / 50) {
				gallery_search(g, s.rows + j * FACE_DESCRIPTOR,
				    &b, &s2, j % 2 ? t_pool : NULL);
				if (b.index != j || b.distance != 0 ||
				    b.identity != s.ids[j])
					bad++;
			}
			bad += t_compare(g, &s, v);
		}
		CHECK_INT(bad, 0);
		t_set_free(&s);
		gallery_free(g);
	}
}

TEST(test_near_duplicates)
{
	struct gallery	*g;
	struct t_set	 s = { 0 };
	float		 base[FACE_DESCRIPTOR], v[FACE_DESCRIPTOR];
	float		 q[FACE_DESCRIPTOR];
	size_t		 k;
	int		 i, bad = 0;

	/*
	 * Rows closer together than binary16 can tell apart, in many
	 * identities: nearly every row is a candidate, and only the exact
	 * check can order them.
	 */
	for (k = 0; k < T_NKERNELS; k++) {
		t_seed(6);
		g = gallery_new_kernel(t_kernels[k]);
		t_random(base, NULL, T_SIGMA);
		for (i = 0; i < 9000; i++) {
			t_random(v, base, 1e-5);
			t_add(g, &s, i % 300, v);
		}
		for (i = 0; i < 10; i++) {
			t_random(q, base, i < 5 ? 1e-5 : T_SIGMA);
			bad += t_compare(g, &s, q);
		}
		/* Spread about one binary16 step apart. */
		for (i = 0; i < 3000; i++) {
			t_random(v, base, 1e-4);
			t_add(g, &s, i % 300, v);
		}
		for (i = 0; i < 10; i++) {
			t_random(q, base, 1e-4);
			bad += t_compare(g, &s, q);
		}
		/* And exactly equal rows. */
		for (i = 0; i < 9000; i++)
			t_add(g, &s, i % 7, base);
		bad += t_compare(g, &s, base);
		bad += t_compare(g, &s, q);
		CHECK_INT(bad, 0);
		t_set_free(&s);
		gallery_free(g);
	}
}

TEST(test_half_rounding)
{
	struct gallery		*g;
	struct t_set		 s = { 0 };
	struct gallery_match	 b, s2;
	float			 r[4][FACE_DESCRIPTOR], q[FACE_DESCRIPTOR];
	const double		 step = 1.0 / 16384;	/* binary16 at 0.1 */
	const double		 lo = 0.0625 + 640 * step;
	size_t			 k;
	int			 i, lead;

	/*
	 * Query 0. Rows 0 and 1 are exact in binary16 at distance about
	 * lo + 0.75 step per dimension; the best row, 4, is nearer (lo +
	 * 0.55 step) but its copy rounds up to lo + step, past both: only
	 * its err keeps it in the scan. With LEAD, a row removed in front
	 * shifts them all, err included.
	 */
	memset(q, 0, sizeof q);
	for (i = 0; i < FACE_DESCRIPTOR; i++) {
		r[0][i] = (float)(i % 4 != 0 ? lo + step : lo);
		r[1][i] = (float)(i % 4 != 1 ? lo + step : lo);
		r[2][i] = 0.5f;
		r[3][i] = (float)(lo + 0.55 * step);
	}
	for (k = 0; k < T_NKERNELS; k++) {
		for (lead = 0; lead < 2; lead++) {
			g = gallery_new_kernel(t_kernels[k]);
			if (lead)
				t_add(g, &s, 9, r[2]);
			t_add(g, &s, 1, r[0]);
			t_add(g, &s, 2, r[1]);
			t_add(g, &s, 3, r[2]);
			t_add(g, &s, 4, r[2]);
			t_add(g, &s, 5, r[3]);
			if (lead) {
				CHECK_INT(gallery_remove(g, 9),
				    t_remove(&s, 9));
			}
			gallery_search(g, q, &b, &s2, NULL);
			CHECK_INT(b.identity, 5);
			CHECK_INT(b.index, 4);
			CHECK_INT(s2.identity, 1);
			CHECK_INT(t_compare(g, &s, q), 0);
			t_set_free(&s);
			gallery_free(g);
		}
	}
}

TEST(test_underflow)
{
	struct gallery		*g;
	struct t_set		 s = { 0 };
	struct gallery_match	 b, s2;
	float			 r[2][FACE_DESCRIPTOR], q[FACE_DESCRIPTOR];
	const double		 den = ldexp(1, -149);	/* float step there */
	float			 x, y;
	size_t			 k;
	int			 i;

	/*
	 * Squares below the smallest normal float round to multiples of
	 * 2^-149. Rows 0 and 1 have squares of 1.49 steps (each rounds to
	 * 1); row 2 has 127 of 1.5001 steps (each rounds to 2) and is the
	 * nearer, 190.5 steps against 190.7, though its float sum is twice
	 * theirs: only the absolute slack keeps it.
	 */
	x = (float)sqrt(1.49 * den);
	y = (float)sqrt(1.5001 * den);
	CHECK((double)x * x / den > 1.48 && (double)x * x / den < 1.4999);
	CHECK((double)y * y / den > 1.5 && (double)y * y / den < 1.502);
	for (k = 0; k < T_NKERNELS; k++) {
		memset(q, 0, sizeof q);
		for (i = 0; i < FACE_DESCRIPTOR; i++) {
			r[0][i] = x;
			r[1][i] = i == 0 ? 0 : y;
		}
		g = gallery_new_kernel(t_kernels[k]);
		t_add(g, &s, 1, r[0]);
		t_add(g, &s, 2, r[0]);
		t_add(g, &s, 3, r[1]);
		gallery_search(g, q, &b, &s2, NULL);
		CHECK_INT(b.identity, 3);
		CHECK_INT(s2.identity, 1);
		CHECK_INT(t_compare(g, &s, q), 0);
		t_set_free(&s);
		gallery_free(g);
	}
}

TEST(test_wide_values)
{
	static const double	 scales[] = { 1e5, 1e20, 1e-6, 1e-22 };
	struct gallery		*g;
	struct t_set		 s = { 0 };
	float			 v[FACE_DESCRIPTOR], q[FACE_DESCRIPTOR];
	size_t			 k, j;
	int			 i, bad = 0;

	/*
	 * Values past binary16 range, past float range when squared, under
	 * binary16's normal range, and so small that float squares
	 * underflow: rows at each scale among ordinary ones, queried near
	 * rows of that scale and from afar.
	 */
	for (k = 0; k < T_NKERNELS; k++) {
		for (j = 0; j < sizeof scales / sizeof scales[0]; j++) {
			t_seed(7 + j);
			g = gallery_new_kernel(t_kernels[k]);
			for (i = 0; i < 500; i++) {
				t_random(v, NULL, i % 5 == 0 ? T_SIGMA :
				    scales[j]);
				t_add(g, &s, i % 11, v);
			}
			for (i = 0; i < 20; i++) {
				if (i < 10) {
					t_random(q, s.rows + (size_t)(i * 37 +
					    1) * FACE_DESCRIPTOR,
					    scales[j] / 2);
				} else
					t_random(q, NULL, scales[j]);
				bad += t_compare(g, &s, q);
			}
			memset(q, 0, sizeof q);
			bad += t_compare(g, &s, q);
			t_set_free(&s);
			gallery_free(g);
		}
	}
	CHECK_INT(bad, 0);
}

int
main(void)
{
	t_pool = pthreadpool_create(2);

	RUN(test_empty);
	RUN(test_kernel_choice);
	RUN(test_one_identity);
	RUN(test_exact_template);
	RUN(test_ties);
	RUN(test_random_1000);
	RUN(test_random_20000);
	RUN(test_odd_sizes);
	RUN(test_remove);
	RUN(test_growth);
	RUN(test_near_duplicates);
	RUN(test_half_rounding);
	RUN(test_underflow);
	RUN(test_wide_values);

	pthreadpool_destroy(t_pool);
	return test_main_end("test-gallery");
}
