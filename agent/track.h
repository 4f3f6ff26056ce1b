/*
 * Faces across frames: the quality gate that says whether a detection is
 * good enough to decide on (quality.c), and the tracker that turns the
 * detections of successive frames into tracks, one per visit (track.c).
 * A decision is made per track, never per frame.
 *
 * Nothing here reads a clock: every time is passed in, in milliseconds,
 * so a replay gives the same tracks as the live run.
 */
#ifndef TRACK_H
#define TRACK_H

#include <stdint.h>

#include "face.h"
#include "image.h"

/* quality.c */

/* Limits of the gate; a face passes when every measurement is inside. */
struct quality_limits {
	double	min_box;	/* box width, pixels */
	double	min_eyes;	/* distance between the eye centres, pixels */
	double	max_outside;	/* fraction of the box area off the image */
	double	min_brightness;	/* mean luma of the face crop, 0..255 */
	double	max_brightness;
	double	min_sharpness;	/* see quality.c */
	double	max_yaw;	/* degrees, either way */
	double	max_roll;	/* degrees, either way */
	double	min_pitch;	/* eyes-to-nose over eyes-to-mouth ratio */
	double	max_pitch;
};

/* The defaults; quality.c gives the measurement behind each. */
extern const struct quality_limits quality_default_limits;

/* Measurements of one face and the verdict. */
struct quality {
	double		 box;		/* box width, pixels */
	double		 eyes;		/* inter-ocular distance, pixels */
	double		 outside;	/* fraction of the box off the image */
	double		 brightness;	/* mean luma, 0..255 */
	double		 sharpness;	/* contrast-normalised Laplacian variance */
	double		 yaw;		/* degrees, signed, 0 frontal (estimate) */
	double		 roll;		/* degrees, signed, eye line angle */
	double		 pitch;		/* eyes-to-nose / eyes-to-mouth */
	double		 score;		/* [0, 1], to rank frames; see quality.c */
	int		 pass;
	/*
	 * The first failing check as a short stable word, or "ok":
	 * "cut-off", "too-small", "too-dark", "too-bright", "blurry",
	 * "turned" (yaw), "tilted" (roll), "pitched". Static storage.
	 */
	const char	*reason;
};

/*
 * Measures FACE of IMG against LIMITS (NULL: the defaults) into Q.
 * Returns 0 if the face passes, 1 if not (Q->reason says why).
 */
int	 quality_check(const struct image *, const struct face *,
	    const struct quality_limits *, struct quality *);

/* track.c */

struct tracker_params {
	double	min_iou;	/* least IoU to continue a track */
	int64_t	lost_after_ms;	/* unseen this long: the track ends */
	int	max_tracks;	/* live tracks at most */
	int	best;		/* K: best frames kept per track */
	int	recent;		/* N: recent descriptors kept per track */
};

extern const struct tracker_params tracker_default_params;

/* One kept frame of a track. */
struct track_frame {
	int64_t		 time_ms;
	struct face	 face;		/* box, landmarks, descriptor */
	struct quality	 quality;
	struct image	*crop;		/* owned; NULL without an image */
};

/*
 * A track: one face followed across frames. Read-only for callers while
 * live; an ended track taken from the tracker belongs to the caller.
 */
struct track {
	uint64_t		 id;		/* monotonic, from 1 */
	int64_t			 first_ms;
	int64_t			 last_ms;
	unsigned		 frames;	/* detections joined */
	struct face_box		 box;		/* the last one */
	int			 evicted;	/* ended to make room */

	/* Best frames, best first: passing before failing, then by score. */
	struct track_frame	*best;
	int			 nbest;
	int			 maxbest;

	/* Ring of the descriptors of the last passing frames. */
	float			(*recent)[FACE_DESCRIPTOR];
	int			 nrecent;
	int			 maxrecent;
	int			 recent_next;	/* slot for the next one */
};

struct tracker;

/* A tracker with PARAMS (NULL: the defaults; out-of-range values clamped). */
struct tracker	*tracker_new(const struct tracker_params *);
void		 tracker_free(struct tracker *);
/*
 * Feeds the N faces of the frame at TIME_MS. IMG (may be NULL) is the
 * frame, for the crops of the best frames; Q (may be NULL: every face
 * passes with score 1) the quality of each face. IDS (may be NULL) gets
 * the track id of each face, 0 for a face left without a track.
 */
void		 tracker_update(struct tracker *, int64_t time_ms,
		     const struct image *img, const struct face *faces, int n,
		     const struct quality *q, uint64_t *ids);
/* Ends every live track (end of stream, shutdown). */
void		 tracker_end_all(struct tracker *);
/* Live tracks, in id order: I from 0 to tracker_count() - 1. */
int		 tracker_count(const struct tracker *);
const struct track *tracker_track(const struct tracker *, int i);
/* The oldest ended track, now the caller's (track_free), or NULL. */
struct track	*tracker_take_ended(struct tracker *);
/* Ended tracks freed because the caller did not take them in time. */
uint64_t	 tracker_dropped(const struct tracker *);

void		 track_free(struct track *);
/* The descriptor AGE frames back (0: the newest passing one), or NULL. */
const float	*track_recent(const struct track *, int age);

#endif
