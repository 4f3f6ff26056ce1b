/*
 * Liveness from landmarks (agent/liveness.c) on a synthetic face of 68
 * points laid out as FaceLandmark68Net numbers them: the residual ignores
 * shifts, scales and rotations in the image plane; a frozen track, a
 * picture moved about, a blink, a turn of the head and a blink that never
 * reopens each come to the verdict they should, and a verdict is final.
 * tests/regress/liveness.sh runs the same through the real face engine.
 */
#include <math.h>
#include <string.h>

#include "liveness.h"
#include "test.h"

typedef double marks[FACE_LANDMARKS][2];

/* A frontal face about 200 pixels wide around (320, 240). */
static void
face(marks p)
{
	int	i;

	for (i = 0; i < 17; i++) {		/* jaw */
		double a = M_PI * (1.0 - i / 16.0);

		p[i][0] = 320 + 100 * cos(a);
		p[i][1] = 240 + 120 * fabs(sin(a)) - 20;
	}
	for (i = 17; i < 27; i++) {		/* brows */
		p[i][0] = 250 + (i - 17) * 15.5;
		p[i][1] = 180 - (i < 22 ? i - 17 : 26 - i);
	}
	for (i = 27; i < 36; i++) {		/* nose */
		p[i][0] = i < 31 ? 320 : 300 + (i - 31) * 10;
		p[i][1] = i < 31 ? 200 + (i - 27) * 12 : 252;
	}
	for (i = 0; i < 2; i++) {		/* eyes: EAR 0.3 */
		double	cx = i == 0 ? 280 : 360;
		int	b = 36 + 6 * i;

		p[b][0] = cx - 20;	p[b][1] = 205;
		p[b + 1][0] = cx - 7;	p[b + 1][1] = 199;
		p[b + 2][0] = cx + 7;	p[b + 2][1] = 199;
		p[b + 3][0] = cx + 20;	p[b + 3][1] = 205;
		p[b + 4][0] = cx + 7;	p[b + 4][1] = 211;
		p[b + 5][0] = cx - 7;	p[b + 5][1] = 211;
	}
	for (i = 48; i < 68; i++) {		/* mouth */
		double a = 2 * M_PI * (i - 48) / (i < 60 ? 12 : 8);

		p[i][0] = 320 + (i < 60 ? 35 : 20) * cos(a);
		p[i][1] = 285 + (i < 60 ? 12 : 5) * sin(a);
	}
}

/* P moved by (DX, DY), scaled by S and turned by A radians about its centre. */
static void
similar(const marks p, marks q, double dx, double dy, double s, double a)
{
	int	i;

	for (i = 0; i < FACE_LANDMARKS; i++) {
		double x = p[i][0] - 320, y = p[i][1] - 240;

		q[i][0] = 320 + dx + s * (cos(a) * x - sin(a) * y);
		q[i][1] = 240 + dy + s * (sin(a) * x + cos(a) * y);
	}
}

/* A little landmark noise, deterministic: up to AMP pixels. */
static void
jitter(marks p, int seed, double amp)
{
	int	i;

	for (i = 0; i < FACE_LANDMARKS; i++) {
		p[i][0] += amp * sin(seed * 12.9898 + i * 78.233);
		p[i][1] += amp * cos(seed * 39.346 + i * 11.135);
	}
}

/* The eyelids opened to FRACTION of their opening (1 is open). */
static void
eyes(marks p, double fraction)
{
	int	e, k;

	for (e = 36; e < 48; e += 6) {
		for (k = 1; k <= 5; k++) {
			if (k == 3)
				continue;
			p[e + k][1] = 205 + (p[e + k][1] - 205) * fraction;
		}
	}
}

TEST(residual_ignores_similarity)
{
	marks	p, q;

	face(p);
	CHECK_NEAR(liveness_ear(p), 0.3, 1e-9);
	similar(p, q, 13, -7, 1.2, 0.2);
	CHECK(liveness_residual(p, q) < 1e-9);
	/* The jaw dropped by a tenth of the eye distance is not similar. */
	memcpy(q, p, sizeof q);
	q[8][1] += 8;
	q[7][1] += 6;
	q[9][1] += 6;
	CHECK(liveness_residual(p, q) > 0.01);
}

TEST(frozen)
{
	struct liveness	l;
	marks		p;
	int		i;

	face(p);
	liveness_init(&l);
	for (i = 0; i < 3; i++)
		CHECK_INT(liveness_frame(&l, p), DECIDE_LIVENESS_UNKNOWN);
	CHECK_INT(liveness_frame(&l, p), DECIDE_LIVENESS_FAILED);
	CHECK_STR(l.why, "frozen");
}

TEST(picture_moved_about)
{
	struct liveness	l;
	marks		p, q;
	int		i;

	face(p);
	liveness_init(&l);
	for (i = 0; i < LIVENESS_RIGID_FRAMES - 1; i++) {
		similar(p, q, i % 5, 2 - i % 3, 1 + 0.01 * (i % 4), 0.01 * i);
		jitter(q, i, 0.5);
		CHECK_INT(liveness_frame(&l, q), DECIDE_LIVENESS_UNKNOWN);
	}
	CHECK_INT(liveness_frame(&l, p), DECIDE_LIVENESS_FAILED);
	CHECK_STR(l.why, "rigid");
	/* Final: a blink now changes nothing. */
	eyes(q, 0.2);
	CHECK_INT(liveness_frame(&l, q), DECIDE_LIVENESS_FAILED);
}

TEST(blink)
{
	struct liveness	l;
	marks		p, q;
	int		i;

	face(p);
	liveness_init(&l);
	for (i = 0; i < 4; i++) {
		similar(p, q, i, i, 1, 0);
		jitter(q, i, 0.3);
		CHECK_INT(liveness_frame(&l, q), DECIDE_LIVENESS_UNKNOWN);
	}
	/* Shut by 10 %, as this landmark net sees it, then open again. */
	memcpy(q, p, sizeof q);
	eyes(q, 0.9);
	CHECK_INT(liveness_frame(&l, q), DECIDE_LIVENESS_UNKNOWN);
	similar(p, q, 1, 2, 1, 0);
	CHECK_INT(liveness_frame(&l, q), DECIDE_LIVENESS_PASSED);
	CHECK_STR(l.why, "blink");
}

TEST(blink_must_reopen)
{
	struct liveness	l;
	marks		p, q;
	int		i;

	face(p);
	liveness_init(&l);
	for (i = 0; i < 4; i++) {
		similar(p, q, i, 0, 1, 0);
		CHECK_INT(liveness_frame(&l, q), DECIDE_LIVENESS_UNKNOWN);
	}
	/* Eyes that close and stay shut are a picture with its eyes shut. */
	eyes(p, 0.5);
	for (; i < LIVENESS_RIGID_FRAMES - 1; i++) {
		similar(p, q, i % 3, 0, 1, 0);
		CHECK_INT(liveness_frame(&l, q), DECIDE_LIVENESS_UNKNOWN);
	}
	CHECK_INT(liveness_frame(&l, q), DECIDE_LIVENESS_FAILED);
}

TEST(head_turn)
{
	struct liveness	l;
	marks		p, q;
	int		i, k;

	face(p);
	liveness_init(&l);
	CHECK_INT(liveness_frame(&l, p), DECIDE_LIVENESS_UNKNOWN);
	/* A turn to the side: the near half of the face widens, the far one
	 * narrows, the nose moves across. */
	for (i = 1; i <= 3; i++) {
		memcpy(q, p, sizeof q);
		for (k = 0; k < FACE_LANDMARKS; k++) {
			double x = q[k][0] - 320;

			q[k][0] = 320 + x * (x > 0 ? 1 - 0.08 * i : 1 + 0.04 * i);
		}
		for (k = 27; k < 36; k++)
			q[k][0] += 4 * i;
		if (liveness_frame(&l, q) == DECIDE_LIVENESS_PASSED)
			break;
	}
	CHECK_INT(l.verdict, DECIDE_LIVENESS_PASSED);
	CHECK_STR(l.why, "motion");
}

int
main(void)
{
	RUN(residual_ignores_similarity);
	RUN(frozen);
	RUN(picture_moved_about);
	RUN(blink);
	RUN(blink_must_reopen);
	RUN(head_turn);
	return test_main_end("test-liveness");
}
