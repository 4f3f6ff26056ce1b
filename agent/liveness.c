/*
 * Liveness from landmarks (liveness.h).
 *
 * The numbers, measured with this face engine (FaceLandmark68Net) on the
 * labelled photos (tests/unit/test-liveness.c repeats the measurements):
 *
 *   EAR of open eyes is 0.26 to 0.28 on a frontal face; the same photo
 *   moved by 1 to 13 pixels gives EARs within 3 % of each other, and the
 *   same photo with its eyes painted shut gives 8 to 10 % less. This
 *   landmark net sees closed eyes only faintly (its eyelid points move
 *   little), so a blink is a frame at least 6 % below the track's median
 *   EAR (twice the noise of a shifted picture) followed by a frame back
 *   within 3 % of it. The median needs LIVENESS_EAR_MIN frames first.
 *
 *   The residual of a picture moved in the image plane is 0.010 to 0.013
 *   of the inter-ocular distance (landmark noise); with its eyes shut,
 *   0.015; two photos of one person in other poses, 0.13 to 0.15. Motion
 *   is a residual over 0.05: above the noise by four times and well below
 *   what a turned head gives.
 *
 *   Frozen: landmarks that moved less than 0.0005 of the inter-ocular
 *   distance (a twentieth of a pixel on a face 100 pixels wide) are the
 *   same pixels; three such frames in a row (0.2 s at 15 fps) are a still
 *   image.
 *
 *   Rigid: LIVENESS_RIGID_FRAMES (12, 0.8 s at 15 fps) gated frames with
 *   neither blink nor motion. A living face blinks every 2 to 10 s, so
 *   this alone fails living people who stand still: "liveness require"
 *   asks the guard about them, and "warn" only flags (gatehouse.conf(5)).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "liveness.h"

#define LIVENESS_BLINK_RATIO	0.96	/* closed: EAR below this x median */
#define LIVENESS_OPEN_RATIO	0.985	/* open again: at least this */
#define LIVENESS_EAR_MIN	3	/* frames before a median means much */
#define LIVENESS_MOTION		0.05	/* residual of a non-rigid change */
#define LIVENESS_FROZEN		0.0005	/* residual of the same pixels */
#define LIVENESS_FROZEN_FRAMES	3

void
liveness_init(struct liveness *l)
{
	memset(l, 0, sizeof *l);
	l->verdict = DECIDE_LIVENESS_UNKNOWN;
	l->min_ear_ratio = INFINITY;
}

/* The distance between landmarks I and J. */
static double
liveness_dist(const double p[FACE_LANDMARKS][2], int i, int j)
{
	return hypot(p[i][0] - p[j][0], p[i][1] - p[j][1]);
}

/* The EAR of the eye whose six points start at P0 (36 or 42). */
static double
liveness_eye(const double p[FACE_LANDMARKS][2], int p0)
{
	double	width = liveness_dist(p, p0, p0 + 3);

	if (!(width > 0))
		return 0;
	return (liveness_dist(p, p0 + 1, p0 + 5) +
	    liveness_dist(p, p0 + 2, p0 + 4)) / (2 * width);
}

double
liveness_ear(const double p[FACE_LANDMARKS][2])
{
	return (liveness_eye(p, 36) + liveness_eye(p, 42)) / 2;
}

/* The centre of landmarks FROM to TO - 1 into C. */
static void
liveness_centre(const double p[FACE_LANDMARKS][2], int from, int to,
    double c[2])
{
	int	i;

	c[0] = c[1] = 0;
	for (i = from; i < to; i++) {
		c[0] += p[i][0];
		c[1] += p[i][1];
	}
	c[0] /= to - from;
	c[1] /= to - from;
}

double
liveness_residual(const double a[FACE_LANDMARKS][2],
    const double b[FACE_LANDMARKS][2])
{
	double	ca[2], cb[2], le[2], re[2];
	double	sbb = 0, sc = 0, ss = 0, r = 0, iod, c, s;
	double	ax, ay, bx, by, tx, ty;
	int	i;

	liveness_centre(a, 0, FACE_LANDMARKS, ca);
	liveness_centre(b, 0, FACE_LANDMARKS, cb);
	for (i = 0; i < FACE_LANDMARKS; i++) {
		ax = a[i][0] - ca[0];
		ay = a[i][1] - ca[1];
		bx = b[i][0] - cb[0];
		by = b[i][1] - cb[1];
		sbb += bx * bx + by * by;
		sc += bx * ax + by * ay;
		ss += bx * ay - by * ax;
	}
	liveness_centre(a, 36, 42, le);
	liveness_centre(a, 42, 48, re);
	iod = hypot(le[0] - re[0], le[1] - re[1]);
	if (!(sbb > 0) || !(iod > 0))
		return INFINITY;
	/* The least-squares rotation and scale (c, s) of B onto A. */
	c = sc / sbb;
	s = ss / sbb;
	for (i = 0; i < FACE_LANDMARKS; i++) {
		bx = b[i][0] - cb[0];
		by = b[i][1] - cb[1];
		tx = c * bx - s * by - (a[i][0] - ca[0]);
		ty = s * bx + c * by - (a[i][1] - ca[1]);
		r += tx * tx + ty * ty;
	}
	return sqrt(r / FACE_LANDMARKS) / iod;
}

/* The RMS distance of B's landmarks from A's, over A's eye distance. */
static double
liveness_still(const double a[FACE_LANDMARKS][2],
    const double b[FACE_LANDMARKS][2])
{
	double	le[2], re[2], r = 0, iod;
	int	i;

	liveness_centre(a, 36, 42, le);
	liveness_centre(a, 42, 48, re);
	if (!((iod = hypot(le[0] - re[0], le[1] - re[1])) > 0))
		return INFINITY;
	for (i = 0; i < FACE_LANDMARKS; i++)
		r += pow(a[i][0] - b[i][0], 2) + pow(a[i][1] - b[i][1], 2);
	return sqrt(r / FACE_LANDMARKS) / iod;
}

static int
liveness_cmp(const void *a, const void *b)
{
	double	x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* The median of the EARs so far. */
static double
liveness_median(const struct liveness *l)
{
	double	sorted[LIVENESS_EARS];

	memcpy(sorted, l->ears, l->nears * sizeof sorted[0]);
	qsort(sorted, l->nears, sizeof sorted[0], liveness_cmp);
	return sorted[l->nears / 2];
}

/* Makes VERDICT final for WHY. */
static enum decide_liveness
liveness_final(struct liveness *l, enum decide_liveness verdict,
    const char *why)
{
	l->verdict = verdict;
	l->why = why;
	return verdict;
}

enum decide_liveness
liveness_frame(struct liveness *l, const double p[FACE_LANDMARKS][2])
{
	double	ear = liveness_ear(p), residual, median;

	if (l->verdict != DECIDE_LIVENESS_UNKNOWN)
		return l->verdict;
	if (l->frames == 0) {
		memcpy(l->first, p, sizeof l->first);
		memcpy(l->last, p, sizeof l->last);
	}
	l->frames++;

	/* Frozen: the same landmarks, where they were, again and again. */
	if (l->frames > 1 && liveness_still(l->last, p) < LIVENESS_FROZEN) {
		if (++l->frozen >= LIVENESS_FROZEN_FRAMES)
			return liveness_final(l, DECIDE_LIVENESS_FAILED,
			    "frozen");
	} else
		l->frozen = 0;
	memcpy(l->last, p, sizeof l->last);

	residual = liveness_residual(l->first, p);
	if (isfinite(residual) && residual > l->max_residual)
		l->max_residual = residual;
	if (l->max_residual > LIVENESS_MOTION)
		return liveness_final(l, DECIDE_LIVENESS_PASSED, "motion");

	/* Blink: well below the median, then back up. */
	if (ear > 0 && l->nears >= LIVENESS_EAR_MIN) {
		median = liveness_median(l);
		if (ear / median < l->min_ear_ratio)
			l->min_ear_ratio = ear / median;
		if (ear < LIVENESS_BLINK_RATIO * median)
			l->closed = 1;
		else if (l->closed && ear >= LIVENESS_OPEN_RATIO * median)
			return liveness_final(l, DECIDE_LIVENESS_PASSED,
			    "blink");
	}
	/* Only open eyes make the median. */
	if (ear > 0 && !l->closed && l->nears < LIVENESS_EARS)
		l->ears[l->nears++] = ear;
	if (l->frames >= LIVENESS_RIGID_FRAMES)
		return liveness_final(l, DECIDE_LIVENESS_FAILED, "rigid");
	return DECIDE_LIVENESS_UNKNOWN;
}
