/*
 * The per-face quality gate: size, framing, exposure, sharpness and pose,
 * measured from the detector's box, the 68 landmarks and the pixels of
 * the face. The checks run in a fixed order and the first failing one
 * names the reason, so the console and enrolment show one stable word.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "track.h"
#include "xmalloc.h"

/*
 * The side of the square the face box is resampled to before measuring
 * sharpness, so the measure does not depend on the camera's resolution or
 * the distance to the door: 150 px is the chip the recognition net sees,
 * so the measure is of the detail the descriptor can use. (At 112 px the
 * labelled photos and their blurred copies were 1.3x apart, at 150 px
 * 2.2x; at 64 px they overlap, the resampling undoing the blur.)
 */
#define QUALITY_SIDE		150

/*
 * The default limits, measured with the SSD detector on the labelled
 * photos of ../shared/faces (test-track prints the measurements):
 *
 * - min_box 60 px, min_eyes 28 px: the landmark net sees the box at
 *   112 px and the recognition net an aligned 150 px chip; below 60 px the
 *   face is upscaled about twice and the landmarks, hence the alignment,
 *   lose precision. The eyes are 0.39..0.49 of the box width on the
 *   photos, so 28 px is the same size seen through the landmarks, which
 *   also catches a box much wider than the face.
 * - max_outside 0.10: every photo measures 0.00; SSD boxes of a face at
 *   the frame edge stick out by a few percent with the whole face
 *   visible, beyond a tenth jaw or forehead is missing and the
 *   descriptor shifts.
 * - brightness 40..220: the photos measure 97..154; at 40 a face has
 *   lost most of its contrast to sensor noise (the photos darkened to
 *   0.15 measure 15..23), above 220 the skin is clipped.
 * - min_sharpness 0.04: the contrast-normalised Laplacian variance of the
 *   photos is 0.059..0.72 (rose_leslie_1 lowest); the same photos after a
 *   box blur of radius 4 measure 0.001..0.027 (biden_2, a 442 px face
 *   the blur barely touches, highest). 0.04 is about the geometric middle
 *   of that gap. alex_lacamoire_3, an upscaled SD video frame, measures
 *   0.017 and is refused as "blurry": its descriptor still matches, but
 *   a frame that soft is what the gate is for.
 * - max_yaw 35 degrees, max_roll 20 degrees: the photos measure up to 26
 *   (kit_harington_2, which test-identity recognises) and 14 (biden_1);
 *   the landmarks add about 3 degrees of noise (a mirrored photo does not
 *   measure exactly the opposite yaw). The descriptor net was trained on
 *   near-frontal chips and face-api's alignment does not rotate, so yaw
 *   and roll go straight into the descriptor: the limits keep a visitor
 *   glancing at the door, not one looking past it.
 * - pitch 0.30..0.80: the photos measure 0.45..0.61; the ratio only
 *   catches a face looking clearly up or down.
 */
const struct quality_limits quality_default_limits = {
	.min_box = 60,
	.min_eyes = 28,
	.max_outside = 0.10,
	.min_brightness = 40,
	.max_brightness = 220,
	.min_sharpness = 0.04,
	.max_yaw = 35,
	.max_roll = 20,
	.min_pitch = 0.30,
	.max_pitch = 0.80,
};

/* The mean of landmarks FIRST..LAST into P. */
static void
quality_mean(const struct face *f, int first, int last, double p[2])
{
	int	i;

	p[0] = p[1] = 0;
	for (i = first; i <= last; i++) {
		p[0] += f->landmarks[i][0];
		p[1] += f->landmarks[i][1];
	}
	p[0] /= last - first + 1;
	p[1] /= last - first + 1;
}

/* Luma (BT.601) of pixel (X, Y). */
static double
quality_luma(const struct image *img, int x, int y)
{
	const uint8_t	*p = img->rgb + ((size_t)y * img->w + x) * 3;

	return 0.299 * p[0] + 0.587 * p[1] + 0.114 * p[2];
}

/*
 * Resamples rectangle R of IMG to a QUALITY_SIDE square of luma into OUT:
 * an area average when shrinking, bilinear when enlarging (nearest
 * neighbour would add block edges the Laplacian takes for detail).
 */
static void
quality_grey(const struct image *img, const struct prep_rect *r, double *out)
{
	double	sx = (double)r->w / QUALITY_SIDE, sy = (double)r->h / QUALITY_SIDE;
	double	fx, fy, ax, ay, sum;
	int	x, y, x0, x1, y0, y1, i, j, n;

	for (y = 0; y < QUALITY_SIDE; y++) {
		for (x = 0; x < QUALITY_SIDE; x++) {
			if (sx >= 1 && sy >= 1) {
				x0 = r->x + (int)(x * sx);
				x1 = r->x + (int)((x + 1) * sx);
				y0 = r->y + (int)(y * sy);
				y1 = r->y + (int)((y + 1) * sy);
				sum = 0;
				n = 0;
				for (j = y0; j < y1; j++)
					for (i = x0; i < x1; i++, n++)
						sum += quality_luma(img, i, j);
				out[y * QUALITY_SIDE + x] = sum / n;
				continue;
			}
			fx = (x + 0.5) * sx - 0.5;
			fy = (y + 0.5) * sy - 0.5;
			if (fx < 0)
				fx = 0;
			if (fy < 0)
				fy = 0;
			x0 = (int)fx;
			y0 = (int)fy;
			x1 = x0 + 1 < r->w ? x0 + 1 : x0;
			y1 = y0 + 1 < r->h ? y0 + 1 : y0;
			ax = fx - x0;
			ay = fy - y0;
			out[y * QUALITY_SIDE + x] =
			    (1 - ay) * ((1 - ax) * quality_luma(img, r->x + x0,
			    r->y + y0) + ax * quality_luma(img, r->x + x1,
			    r->y + y0)) +
			    ay * ((1 - ax) * quality_luma(img, r->x + x0,
			    r->y + y1) + ax * quality_luma(img, r->x + x1,
			    r->y + y1));
		}
	}
}

/*
 * Mean luma of the resampled crop G and its sharpness: the variance of
 * the 4-neighbour Laplacian divided by the variance of the grey levels.
 * Dividing by the contrast keeps a dim or flat-lit face from reading as
 * blurred (exposure has its own checks); what is left is the share of
 * the image's energy in the finest detail, which a blur removes.
 */
static void
quality_measure(const double *g, double *mean, double *sharpness)
{
	double	s = 0, s2 = 0, l, ls = 0, ls2 = 0, var, lvar;
	int	x, y, n, m;

	n = QUALITY_SIDE * QUALITY_SIDE;
	for (x = 0; x < n; x++) {
		s += g[x];
		s2 += g[x] * g[x];
	}
	*mean = s / n;
	var = s2 / n - *mean * *mean;
	m = 0;
	for (y = 1; y < QUALITY_SIDE - 1; y++) {
		for (x = 1; x < QUALITY_SIDE - 1; x++, m++) {
			l = g[(y - 1) * QUALITY_SIDE + x] +
			    g[(y + 1) * QUALITY_SIDE + x] +
			    g[y * QUALITY_SIDE + x - 1] +
			    g[y * QUALITY_SIDE + x + 1] -
			    4 * g[y * QUALITY_SIDE + x];
			ls += l;
			ls2 += l * l;
		}
	}
	lvar = ls2 / m - (ls / m) * (ls / m);
	/* A flat crop (one grey level) has no detail at all. */
	*sharpness = var > 1e-6 ? lvar / var : 0;
}

/*
 * Pose from the landmarks, in the frame of the eye line (roll removed):
 * roll is the angle of the line between the eye centres; yaw comes from
 * where the nose tip (30) sits between the jaw ends (0, 16). For a head
 * as deep as it is wide, turning by t moves the nose tip by about
 * sin(t) while the jaw ends, near the axis, stay about cos(t) from it, so
 * the asymmetry (l - r) / (l + r) is tan(t) and atan gives a rough angle,
 * up to 45 degrees where the nose tip reaches a jaw end; past it (a
 * profile) the yaw reads 90.
 * Pitch is how far down the nose tip is between the eyes and the mouth.
 */
static void
quality_pose(const struct face *f, struct quality *q)
{
	double	le[2], re[2], mid[2], mouth[2], c, s, a, l, r, d;
	double	nose[2], jl, jr, ny, my;

	quality_mean(f, 36, 41, le);
	quality_mean(f, 42, 47, re);
	quality_mean(f, 48, 67, mouth);
	mid[0] = (le[0] + re[0]) / 2;
	mid[1] = (le[1] + re[1]) / 2;
	q->eyes = hypot(re[0] - le[0], re[1] - le[1]);
	a = atan2(re[1] - le[1], re[0] - le[0]);
	q->roll = a * 180 / M_PI;

	/* Rotate by -roll about the eye midpoint: x' = c dx + s dy. */
	c = cos(a);
	s = sin(a);
#define ROT_X(p) (c * ((p)[0] - mid[0]) + s * ((p)[1] - mid[1]))
#define ROT_Y(p) (-s * ((p)[0] - mid[0]) + c * ((p)[1] - mid[1]))
	nose[0] = ROT_X(f->landmarks[30]);
	nose[1] = ROT_Y(f->landmarks[30]);
	jl = ROT_X(f->landmarks[0]);
	jr = ROT_X(f->landmarks[16]);
	my = ROT_Y(mouth);
#undef ROT_X
#undef ROT_Y
	l = nose[0] - jl;
	r = jr - nose[0];
	if (l < 0 || r < 0)
		q->yaw = l < 0 ? -90 : 90;
	else {
		d = l + r > 1e-9 ? (l - r) / (l + r) : 0;
		q->yaw = atan(d) * 180 / M_PI;
	}
	ny = nose[1];
	q->pitch = my > 1e-9 ? ny / my : 0;
}

/*
 * The score that ranks the frames of a track, in [0, 1]: the product of
 * a size factor (eye distance over twice the minimum, capped at 1: past
 * that the recognition chip gets no more detail), a sharpness factor
 * (sharpness over five times the minimum, capped: 0.2 is about the
 * median of the labelled photos) and a frontal factor (1 when frontal, falling
 * linearly to 0.5 at the yaw and roll limits
 * and to 0 at twice them). Failing faces get a score
 * too; the tracker ranks passing frames first.
 */
static double
quality_score(const struct quality *q, const struct quality_limits *lim)
{
	double	size, sharp, front;

	size = lim->min_eyes > 0 ? q->eyes / (2 * lim->min_eyes) : 1;
	sharp = lim->min_sharpness > 0 ?
	    q->sharpness / (5 * lim->min_sharpness) : 1;
	front = 1;
	if (lim->max_yaw > 0)
		front *= 1 - 0.5 * fmin(fabs(q->yaw) / lim->max_yaw, 2);
	if (lim->max_roll > 0)
		front *= 1 - 0.5 * fmin(fabs(q->roll) / lim->max_roll, 2);
	if (size > 1)
		size = 1;
	if (sharp > 1)
		sharp = 1;
	if (front < 0)
		front = 0;
	return size * sharp * front;
}

/* Measures FACE of IMG against LIMITS; see track.h. */
int
quality_check(const struct image *img, const struct face *f,
    const struct quality_limits *lim, struct quality *q)
{
	const struct face_box	*b = &f->box;
	struct prep_rect	 r;
	double			*g, area, inside, ix, iy;

	if (lim == NULL)
		lim = &quality_default_limits;
	q->box = b->w;
	q->outside = 1;
	q->brightness = q->sharpness = 0;
	q->yaw = q->roll = q->pitch = q->eyes = 0;
	q->score = 0;
	q->pass = 0;

	quality_pose(f, q);
	area = b->w * b->h;
	ix = fmin(b->x + b->w, img->w) - fmax(b->x, 0);
	iy = fmin(b->y + b->h, img->h) - fmax(b->y, 0);
	inside = ix > 0 && iy > 0 ? ix * iy : 0;
	q->outside = area > 0 ? fmax(0, 1 - inside / area) : 1;
	if (prep_crop_box(img->w, img->h, b->x, b->y, b->w, b->h, &r) != 0) {
		q->reason = "cut-off";
		return 1;
	}
	g = xmalloc(sizeof *g * QUALITY_SIDE * QUALITY_SIDE);
	quality_grey(img, &r, g);
	quality_measure(g, &q->brightness, &q->sharpness);
	free(g);
	q->score = quality_score(q, lim);

	/*
	 * Framing and size first (nothing else means much on half a face or
	 * a few pixels), exposure before sharpness (a dark face also loses
	 * detail, and "too-dark" is what the person can fix), pose last.
	 */
	if (q->outside > lim->max_outside)
		q->reason = "cut-off";
	else if (q->box < lim->min_box || q->eyes < lim->min_eyes)
		q->reason = "too-small";
	else if (q->brightness < lim->min_brightness)
		q->reason = "too-dark";
	else if (q->brightness > lim->max_brightness)
		q->reason = "too-bright";
	else if (q->sharpness < lim->min_sharpness)
		q->reason = "blurry";
	else if (fabs(q->yaw) > lim->max_yaw)
		q->reason = "turned";
	else if (fabs(q->roll) > lim->max_roll)
		q->reason = "tilted";
	else if (q->pitch < lim->min_pitch || q->pitch > lim->max_pitch)
		q->reason = "pitched";
	else {
		q->reason = "ok";
		q->pass = 1;
		return 0;
	}
	return 1;
}
