/*
 * Liveness of one face track from its 68 landmarks, without special
 * hardware: is a living face in front of the camera, or a printed photo or
 * a still on a screen? A pure state machine fed with the landmarks of the
 * track's frames that passed the quality gate; no clock, no I/O.
 *
 * Three signals (the reasons for each number are in liveness.c):
 *
 *   blink    the eye aspect ratio (EAR: eyelid opening over eye width,
 *            both eyes) drops well below the track's own median and comes
 *            back: eyes that close and open again.
 *   motion   the face's shape changes beyond what moving a flat picture
 *            explains: after the best similarity transform (shift, scale,
 *            rotation in the image plane) onto the track's first frame,
 *            the landmarks still differ by more than a threshold. A head
 *            that turns or a face that speaks does that; a photo held up
 *            and moved about does not.
 *   frozen   consecutive frames with the very same landmarks, in the very
 *            same place: no camera
 *            gives that of a living face (sensor noise alone moves them),
 *            a still image replayed does.
 *
 * The verdict: PASSED at a blink or a motion; FAILED when the track froze,
 * or when LIVENESS_RIGID_FRAMES frames came and went with neither blink
 * nor motion; UNKNOWN until then. Each is final.
 */
#ifndef LIVENESS_H
#define LIVENESS_H

#include "decide.h"
#include "face.h"

/* Gated frames without blink or motion after which a track is a picture. */
#define LIVENESS_RIGID_FRAMES	12
/* EARs kept for the track's median: a verdict comes before more. */
#define LIVENESS_EARS		LIVENESS_RIGID_FRAMES

struct liveness {
	enum decide_liveness	 verdict;
	const char		*why;	/* "blink", "motion", "frozen", "rigid" */
	int			 frames;
	double			 first[FACE_LANDMARKS][2];
	double			 last[FACE_LANDMARKS][2];
	int			 frozen;	/* identical frames in a row */
	double			 ears[LIVENESS_EARS];
	int			 nears;
	int			 closed;	/* a closed frame was seen */
	double			 max_residual;
	double			 min_ear_ratio;	/* for the record */
};

void	liveness_init(struct liveness *);
/* Feeds the landmarks of one gated frame; returns the verdict so far. */
enum decide_liveness liveness_frame(struct liveness *,
	    const double landmarks[FACE_LANDMARKS][2]);
/* The eye aspect ratio of both eyes, averaged (0 when degenerate). */
double	liveness_ear(const double landmarks[FACE_LANDMARKS][2]);
/*
 * The RMS distance of B's landmarks from A's after the best similarity
 * transform of B onto A, over A's inter-ocular distance.
 */
double	liveness_residual(const double a[FACE_LANDMARKS][2],
	    const double b[FACE_LANDMARKS][2]);

#endif
