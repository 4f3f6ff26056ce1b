#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#include <immintrin.h>
#define GALLERY_X86
#endif

#include "gallery.h"
#include "log.h"
#include "xmalloc.h"

/*
 * How a search stays exact with an approximate scan.
 *
 * The scan computes, in float, the distance s from the query to each
 * scanned row: the float32 row itself, or its binary16 copy. The true
 * distance d (to the float32 row) then lies in [lower, upper] with
 *
 *	lower = s * (1 - GALLERY_MARGIN) - err - GALLERY_TINY
 *	upper = s * (1 + GALLERY_MARGIN) + err + GALLERY_TINY
 *
 * where err bounds |row - copy| (triangle inequality; 0 for float32 rows),
 * GALLERY_MARGIN covers the float rounding of s and GALLERY_TINY its
 * underflow. Each part of the scan ranks the upper bounds like distances
 * (best identity U1, second identity U2) and keeps a row as a candidate
 * only if its lower bound is within reach: U1 for a row of U1's identity,
 * U2 for any other. A row out of reach cannot be the answer: either a
 * template of its own identity is certainly nearer, or templates of two
 * other identities are, so it is neither the nearest template of all nor
 * the nearest of any identity but the best one's. The candidates that are
 * still in reach of the merged U1 and U2 are measured again in double,
 * in row order, which gives exactly the answer of a plain double scan.
 *
 * Rows whose squared scan distance exceeds the part's "quick" limit, the
 * reach U2 widened by the largest err, are out of reach; that one float
 * compare is all most rows cost.
 */

/*
 * Relative error allowed for s. A row's squared distance is a sum of 128
 * non-negative terms, each rounded once on subtraction and once more per
 * addition on its way through at most 8 lanes, 2 accumulators and the
 * horizontal sum: under 16 roundings of 2^-24, or 1e-6. Ten times that
 * leaves room without letting in noticeably more candidates.
 */
#define GALLERY_MARGIN		1e-5
/*
 * Absolute slack for distances whose squares underflow float (d < 1e-19),
 * or are flushed to zero on a thread with FTZ/DAZ set.
 */
#define GALLERY_TINY		1e-12
/* Relative widening of the float quick limit to cover its own rounding. */
#define GALLERY_QUICK_ROUND	1e-6

/* Rows and copies are aligned to a cache line, the widest SIMD load. */
#define GALLERY_ALIGN		64
/* First capacity, in rows; it doubles from there. */
#define GALLERY_FIRST		64

/*
 * Rows per task of a threaded search: 4096 rows are 1 MB of binary16 or
 * 2 MB of float32, large enough that a task's set-up and the merge are
 * noise, and small enough that 100,000 rows make 25 tasks and two threads
 * finish within a task of each other.
 */
#define GALLERY_CHUNK		4096

/* Candidates a part starts with; a few are typical. */
#define GALLERY_CAND_FIRST	32

struct gallery {
	enum gallery_kernel	 kernel;
	float			*rows;	/* cap x FACE_DESCRIPTOR, aligned */
	uint16_t		*half;	/* binary16 copy (HALF), aligned */
	float			*err;	/* |row - copy| rounded up (HALF) */
	float			 err_max;
	int64_t			*ids;
	size_t			 n;
	size_t			 cap;
};

/* Best and second-best identity over (identity, distance, index). */
struct gallery_rank {
	struct gallery_match	best;
	struct gallery_match	second;
};

struct gallery_cand {
	size_t	index;
	double	lower;
};

/* One task's share of a search. */
struct gallery_part {
	struct gallery_rank	 bound;	/* over upper bounds */
	float			 quick;	/* squared scan distance in reach */
	struct gallery_cand	*cand;
	size_t			 ncand;
	size_t			 capcand;
};

struct gallery_job {
	const struct gallery	*g;
	const float		*desc;
	struct gallery_part	*parts;
};

/* Sets M to none. */
static void
gallery_match_none(struct gallery_match *m)
{
	m->identity = -1;
	m->distance = INFINITY;
	m->index = SIZE_MAX;
}

/* Empties R. */
static void
gallery_rank_init(struct gallery_rank *r)
{
	gallery_match_none(&r->best);
	gallery_match_none(&r->second);
}

/*
 * Ranks template INDEX of IDENTITY at DISTANCE. Strict compares keep the
 * earlier row on a tie, so feeding rows in order gives the lowest index.
 */
static void
gallery_rank_add(struct gallery_rank *r, int64_t identity, double distance,
    size_t index)
{
	if (distance < r->best.distance) {
		if (identity != r->best.identity)
			r->second = r->best;
		r->best.identity = identity;
		r->best.distance = distance;
		r->best.index = index;
	} else if (distance < r->second.distance &&
	    identity != r->best.identity) {
		r->second.identity = identity;
		r->second.distance = distance;
		r->second.index = index;
	}
}

/* Merges the best and second of FROM into R. */
static void
gallery_rank_merge(struct gallery_rank *r, const struct gallery_rank *from)
{
	const struct gallery_match	*m[2] = { &from->best, &from->second };
	int				 i;

	for (i = 0; i < 2; i++) {
		if (m[i]->index != SIZE_MAX)
			gallery_rank_add(r, m[i]->identity, m[i]->distance,
			    m[i]->index);
	}
}

/* The largest lower bound a row of IDENTITY may have and still matter. */
static double
gallery_reach(const struct gallery_rank *bound, int64_t identity)
{
	if (identity == bound->best.identity)
		return bound->best.distance;
	return bound->second.distance;
}

/* Whether this CPU runs the HALF kernel. */
static int
gallery_cpu_half(void)
{
#ifdef GALLERY_X86
	unsigned int	eax, ebx, ecx, edx;

	/* These check that the OS saves AVX state too; clang has no "f16c". */
	__builtin_cpu_init();
	if (!__builtin_cpu_supports("avx2") || !__builtin_cpu_supports("fma"))
		return 0;
	return __get_cpuid(1, &eax, &ebx, &ecx, &edx) && (ecx & bit_F16C);
#else
	return 0;
#endif
}

#ifdef GALLERY_X86
/*
 * Stores the binary16 copy of ROW in HALF and returns |row - copy|,
 * rounded up.
 */
__attribute__((target("avx2,fma,f16c"))) static float
gallery_half_put(const float *row, uint16_t *half)
{
	float	back[FACE_DESCRIPTOR];
	double	d, sum = 0;
	__m128i	h;
	int	i;

	for (i = 0; i < FACE_DESCRIPTOR; i += 8) {
		h = _mm256_cvtps_ph(_mm256_load_ps(row + i),
		    _MM_FROUND_TO_NEAREST_INT);
		_mm_store_si128((__m128i *)(half + i), h);
		_mm256_storeu_ps(back + i, _mm256_cvtph_ps(h));
	}
	for (i = 0; i < FACE_DESCRIPTOR; i++) {
		d = (double)row[i] - back[i];
		sum += d * d;
	}
	/* The double sum is good to 1e-14; one float step up covers it. */
	return nextafterf((float)sqrt(sum), INFINITY);
}
#endif

/* Recomputes the largest err after a removal. */
static void
gallery_err_max(struct gallery *g)
{
	size_t	i;

	g->err_max = 0;
	for (i = 0; g->err != NULL && i < g->n; i++) {
		if (g->err[i] > g->err_max)
			g->err_max = g->err[i];
	}
}

/* The quick limit of a part whose bounds rank BOUND. */
static float
gallery_quick(const struct gallery *g, const struct gallery_rank *bound)
{
	double	t;

	/* Until a second identity is seen, every row may change U2. */
	if (bound->second.distance == INFINITY)
		return INFINITY;
	t = (bound->second.distance + g->err_max + GALLERY_TINY) /
	    (1 - GALLERY_MARGIN);
	return (float)(t * t * (1 + GALLERY_QUICK_ROUND));
}

/* Keeps row INDEX, dropping first the candidates now out of reach. */
static void
gallery_part_keep(struct gallery_part *p, const struct gallery *g,
    size_t index, double lower)
{
	size_t	i, n = 0;

	if (p->ncand == p->capcand) {
		for (i = 0; i < p->ncand; i++) {
			if (p->cand[i].lower <= gallery_reach(&p->bound,
			    g->ids[p->cand[i].index]))
				p->cand[n++] = p->cand[i];
		}
		p->ncand = n;
		if (2 * p->ncand >= p->capcand) {
			p->capcand = p->capcand == 0 ? GALLERY_CAND_FIRST :
			    p->capcand * 2;
			p->cand = xreallocarray(p->cand, p->capcand,
			    sizeof *p->cand);
		}
	}
	p->cand[p->ncand].index = index;
	p->cand[p->ncand].lower = lower;
	p->ncand++;
}

/* Bounds row INDEX at squared scan distance D2, which passed the quick test. */
static void
gallery_visit(struct gallery_part *p, const struct gallery *g, size_t index,
    float d2)
{
	double	s = sqrt(d2), err = 0, lower, upper;
	int64_t	identity = g->ids[index];

	if (g->err != NULL)
		err = g->err[index];
	lower = s * (1 - GALLERY_MARGIN) - err - GALLERY_TINY;
	upper = s * (1 + GALLERY_MARGIN) + err + GALLERY_TINY;
	/* An infinite err (a value beyond binary16) says nothing. */
	if (!(lower >= 0))
		lower = 0;
	gallery_rank_add(&p->bound, identity, upper, index);
	if (lower <= gallery_reach(&p->bound, identity))
		gallery_part_keep(p, g, index, lower);
	p->quick = gallery_quick(g, &p->bound);
}

/*
 * The FLOAT kernel, in GCC/clang vector types: SSE2 on any x86-64, plain
 * code elsewhere. Every CPU with AVX2 also has F16C and so runs the HALF
 * kernel; an AVX2 float32 kernel would gain little anyway, as 100,000
 * float32 rows are 51 MB, more than the L3, and reading them takes about
 * 1.5 ms on the EPYC target whatever the arithmetic.
 */
typedef float gallery_v4 __attribute__((vector_size(16)));

/* Squared distance from Q to the float32 row R. */
static float
gallery_d2_float(const float *q, const float *r)
{
	gallery_v4	a0 = { 0 }, a1 = { 0 }, a2 = { 0 }, a3 = { 0 };
	gallery_v4	x, y, d;
	int		k;

	for (k = 0; k < FACE_DESCRIPTOR; k += 16) {
		memcpy(&x, q + k, sizeof x);
		memcpy(&y, r + k, sizeof y);
		d = x - y;
		a0 += d * d;
		memcpy(&x, q + k + 4, sizeof x);
		memcpy(&y, r + k + 4, sizeof y);
		d = x - y;
		a1 += d * d;
		memcpy(&x, q + k + 8, sizeof x);
		memcpy(&y, r + k + 8, sizeof y);
		d = x - y;
		a2 += d * d;
		memcpy(&x, q + k + 12, sizeof x);
		memcpy(&y, r + k + 12, sizeof y);
		d = x - y;
		a3 += d * d;
	}
	a0 = (a0 + a1) + (a2 + a3);
	return (a0[0] + a0[1]) + (a0[2] + a0[3]);
}

/* Scans rows LO to HI of the float32 rows. */
static void
gallery_scan_float(struct gallery_part *p, const struct gallery *g,
    const float *q, size_t lo, size_t hi)
{
	size_t	i;
	float	d2;

	for (i = lo; i < hi; i++) {
		d2 = gallery_d2_float(q, g->rows + i * FACE_DESCRIPTOR);
		if (d2 <= p->quick)
			gallery_visit(p, g, i, d2);
	}
}

#ifdef GALLERY_X86
/* Sum of the eight lanes of A. */
__attribute__((target("avx2,fma,f16c"))) static float
gallery_hsum8(__m256 a)
{
	__m128	s;

	s = _mm_add_ps(_mm256_castps256_ps128(a), _mm256_extractf128_ps(a, 1));
	s = _mm_add_ps(s, _mm_movehl_ps(s, s));
	s = _mm_add_ss(s, _mm_movehdup_ps(s));
	return _mm_cvtss_f32(s);
}

/* A + the squares of Q - the eight binary16 values at H. */
__attribute__((target("avx2,fma,f16c"))) static inline __m256
gallery_half_step(__m256 a, __m256 q, const uint16_t *h)
{
	__m256	d;

	d = _mm256_sub_ps(q, _mm256_cvtph_ps(_mm_load_si128(
	    (const __m128i *)h)));
	return _mm256_fmadd_ps(d, d, a);
}

/*
 * The HALF kernel. Binary16 halves the bytes a scan reads (100,000 rows
 * are 26 MB, which fits in the L3): 0.7 ms on one EPYC core against
 * 1.7 ms for float32, 1.4 against 1.9 ms with cold caches.
 *
 * Scans rows LO to HI of the binary16 copy, four rows at a time with two
 * accumulators each (eight FMA chains hide the FMA latency) and one
 * shared horizontal sum, then the rest one by one.
 */
__attribute__((target("avx2,fma,f16c"))) static void
gallery_scan_half(struct gallery_part *p, const struct gallery *g,
    const float *desc, size_t lo, size_t hi)
{
	const uint16_t	*h0, *h1, *h2, *h3;
	__m256		 q[FACE_DESCRIPTOR / 8], qa, qb;
	__m256		 a0, a1, a2, a3, a4, a5, a6, a7, t0, t1, t2;
	__m128		 s;
	float		 d2[4];
	size_t		 i;
	int		 j, k, mask;

	for (k = 0; k < FACE_DESCRIPTOR / 8; k++)
		q[k] = _mm256_loadu_ps(desc + 8 * k);

	for (i = lo; i + 4 <= hi; i += 4) {
		h0 = g->half + i * FACE_DESCRIPTOR;
		h1 = h0 + FACE_DESCRIPTOR;
		h2 = h1 + FACE_DESCRIPTOR;
		h3 = h2 + FACE_DESCRIPTOR;
		a0 = a1 = a2 = a3 = a4 = a5 = a6 = a7 = _mm256_setzero_ps();
		for (k = 0; k < FACE_DESCRIPTOR; k += 16) {
			qa = q[k / 8];
			qb = q[k / 8 + 1];
			a0 = gallery_half_step(a0, qa, h0 + k);
			a1 = gallery_half_step(a1, qb, h0 + k + 8);
			a2 = gallery_half_step(a2, qa, h1 + k);
			a3 = gallery_half_step(a3, qb, h1 + k + 8);
			a4 = gallery_half_step(a4, qa, h2 + k);
			a5 = gallery_half_step(a5, qb, h2 + k + 8);
			a6 = gallery_half_step(a6, qa, h3 + k);
			a7 = gallery_half_step(a7, qb, h3 + k + 8);
		}
		/* Lane sums of the four rows, in one vector. */
		t0 = _mm256_hadd_ps(_mm256_add_ps(a0, a1),
		    _mm256_add_ps(a2, a3));
		t1 = _mm256_hadd_ps(_mm256_add_ps(a4, a5),
		    _mm256_add_ps(a6, a7));
		t2 = _mm256_hadd_ps(t0, t1);
		s = _mm_add_ps(_mm256_castps256_ps128(t2),
		    _mm256_extractf128_ps(t2, 1));
		mask = _mm_movemask_ps(_mm_cmp_ps(s, _mm_set1_ps(p->quick),
		    _CMP_LE_OQ));
		if (mask == 0)
			continue;
		_mm_storeu_ps(d2, s);
		for (j = 0; j < 4; j++) {
			/* The limit may have tightened after row j - 1. */
			if (d2[j] <= p->quick)
				gallery_visit(p, g, i + j, d2[j]);
		}
	}
	for (; i < hi; i++) {
		h0 = g->half + i * FACE_DESCRIPTOR;
		a0 = a1 = _mm256_setzero_ps();
		for (k = 0; k < FACE_DESCRIPTOR; k += 16) {
			a0 = gallery_half_step(a0, q[k / 8], h0 + k);
			a1 = gallery_half_step(a1, q[k / 8 + 1], h0 + k + 8);
		}
		d2[0] = gallery_hsum8(_mm256_add_ps(a0, a1));
		if (d2[0] <= p->quick)
			gallery_visit(p, g, i, d2[0]);
	}
}
#endif

/* One task of a search: chunk I of the rows. */
static void
gallery_task(void *arg, size_t i)
{
	struct gallery_job	*job = arg;
	const struct gallery	*g = job->g;
	struct gallery_part	*p = &job->parts[i];
	size_t			 lo = i * GALLERY_CHUNK, hi;

	hi = lo + GALLERY_CHUNK < g->n ? lo + GALLERY_CHUNK : g->n;
	gallery_rank_init(&p->bound);
	p->quick = INFINITY;
#ifdef GALLERY_X86
	if (g->kernel == GALLERY_KERNEL_HALF) {
		gallery_scan_half(p, g, job->desc, lo, hi);
		return;
	}
#endif
	gallery_scan_float(p, g, job->desc, lo, hi);
}

/* A gallery scanned by the fastest kernel this CPU runs. */
struct gallery *
gallery_new(void)
{
	return gallery_new_kernel(GALLERY_KERNEL_AUTO);
}

/* A gallery scanned by KERNEL if the CPU runs it, else by FLOAT. */
struct gallery *
gallery_new_kernel(enum gallery_kernel kernel)
{
	struct gallery	*g;

	g = xcalloc(1, sizeof *g);
	if (kernel != GALLERY_KERNEL_FLOAT && gallery_cpu_half())
		g->kernel = GALLERY_KERNEL_HALF;
	else
		g->kernel = GALLERY_KERNEL_FLOAT;
	return g;
}

/* Frees G and its templates; G may be NULL. */
void
gallery_free(struct gallery *g)
{
	if (g == NULL)
		return;
	free(g->rows);
	free(g->half);
	free(g->err);
	free(g->ids);
	free(g);
}

/* The kernel that scans G. */
enum gallery_kernel
gallery_kernel(const struct gallery *g)
{
	return g->kernel;
}

/* Doubles the capacity of G. */
static void
gallery_grow(struct gallery *g)
{
	size_t		 cap;
	float		*rows;
	uint16_t	*half;

	cap = g->cap == 0 ? GALLERY_FIRST : g->cap * 2;
	if (cap > SIZE_MAX / (FACE_DESCRIPTOR * sizeof *rows))
		fatalx("gallery: %zu templates overflow", cap);
	rows = xaligned_alloc(GALLERY_ALIGN, cap * FACE_DESCRIPTOR *
	    sizeof *rows);
	if (g->n != 0)
		memcpy(rows, g->rows, g->n * FACE_DESCRIPTOR * sizeof *rows);
	free(g->rows);
	g->rows = rows;
	if (g->kernel == GALLERY_KERNEL_HALF) {
		half = xaligned_alloc(GALLERY_ALIGN, cap * FACE_DESCRIPTOR *
		    sizeof *half);
		if (g->n != 0)
			memcpy(half, g->half, g->n * FACE_DESCRIPTOR *
			    sizeof *half);
		free(g->half);
		g->half = half;
		g->err = xreallocarray(g->err, cap, sizeof *g->err);
	}
	g->ids = xreallocarray(g->ids, cap, sizeof *g->ids);
	g->cap = cap;
}

/* Appends a template of IDENTITY, with its binary16 copy for HALF. */
void
gallery_add(struct gallery *g, int64_t identity,
    const float desc[FACE_DESCRIPTOR])
{
	float	*row;

	if (g->n == g->cap)
		gallery_grow(g);
	row = g->rows + g->n * FACE_DESCRIPTOR;
	memcpy(row, desc, FACE_DESCRIPTOR * sizeof *row);
#ifdef GALLERY_X86
	if (g->kernel == GALLERY_KERNEL_HALF) {
		g->err[g->n] = gallery_half_put(row,
		    g->half + g->n * FACE_DESCRIPTOR);
		/* A NaN err fails this; its row never matches anyway. */
		if (g->err[g->n] > g->err_max)
			g->err_max = g->err[g->n];
	}
#endif
	g->ids[g->n] = identity;
	g->n++;
}

/* Drops the templates of IDENTITY, keeping the order of the others. */
int
gallery_remove(struct gallery *g, int64_t identity)
{
	size_t	i, n = 0;

	for (i = 0; i < g->n; i++) {
		if (g->ids[i] == identity)
			continue;
		if (n != i) {
			memcpy(g->rows + n * FACE_DESCRIPTOR,
			    g->rows + i * FACE_DESCRIPTOR,
			    FACE_DESCRIPTOR * sizeof *g->rows);
			if (g->half != NULL) {
				memcpy(g->half + n * FACE_DESCRIPTOR,
				    g->half + i * FACE_DESCRIPTOR,
				    FACE_DESCRIPTOR * sizeof *g->half);
				g->err[n] = g->err[i];
			}
			g->ids[n] = g->ids[i];
		}
		n++;
	}
	i = g->n - n;
	g->n = n;
	if (i != 0)
		gallery_err_max(g);
	return (int)i;
}

/* The number of templates. */
size_t
gallery_size(const struct gallery *g)
{
	return g->n;
}

/*
 * Scans the chunks on TP, then measures again in double the candidates
 * still in reach of the merged bounds, in row order.
 */
void
gallery_search(const struct gallery *g, const float desc[FACE_DESCRIPTOR],
    struct gallery_match *best, struct gallery_match *second,
    pthreadpool_t tp)
{
	struct gallery_job	 job;
	struct gallery_rank	 bound, exact;
	struct gallery_part	*p;
	struct gallery_cand	*c;
	size_t			 nparts, i, j;
	int64_t			 identity;
	double			 d;

	if (g->n == 0) {
		gallery_match_none(best);
		gallery_match_none(second);
		return;
	}
	nparts = (g->n + GALLERY_CHUNK - 1) / GALLERY_CHUNK;
	job.g = g;
	job.desc = desc;
	job.parts = xcalloc(nparts, sizeof *job.parts);
	pthreadpool_parallelize_1d(tp, gallery_task, &job, nparts, 0);

	gallery_rank_init(&bound);
	for (i = 0; i < nparts; i++)
		gallery_rank_merge(&bound, &job.parts[i].bound);
	gallery_rank_init(&exact);
	for (i = 0; i < nparts; i++) {
		p = &job.parts[i];
		for (j = 0; j < p->ncand; j++) {
			c = &p->cand[j];
			identity = g->ids[c->index];
			if (c->lower > gallery_reach(&bound, identity))
				continue;
			d = face_distance(desc,
			    g->rows + c->index * FACE_DESCRIPTOR);
			gallery_rank_add(&exact, identity, d, c->index);
		}
		free(p->cand);
	}
	free(job.parts);
	*best = exact.best;
	*second = exact.second;
}
