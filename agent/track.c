/*
 * The tracker: detections of successive frames joined into tracks by the
 * overlap of their boxes, so that one visit makes one decision.
 *
 * Each update first ends the tracks unseen for longer than lost_after_ms,
 * then joins faces to live tracks greedily, the pair with the highest IoU
 * first (ties: lower track id, then lower face index, so the result never
 * depends on anything but the input), then starts a track for each face
 * left over. Memory is bounded: at most max_tracks live tracks, each with
 * K best frames and N recent descriptors, and at most max_tracks ended
 * tracks waiting for the caller.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "track.h"
#include "xmalloc.h"

/*
 * Defaults, for 15 fps:
 * - min_iou 0.3: a face walking towards the door at 15 fps moves a few
 *   percent of its width per frame (IoU 0.8..0.95) and even a quick step
 *   sideways keeps IoU above 0.5; two people side by side at a door
 *   overlap little (IoU below 0.2). 0.3 is also the usual
 *   "same object" bar of IoU trackers, and leaves room for a frame or two
 *   dropped under load.
 * - lost_after_ms 1500: 22 frames at 15 fps; long enough to ride over a
 *   missed detection, a turned head or someone passing in front, short
 *   enough that the visit ends (and is decided) soon after the person
 *   leaves.
 * - max_tracks 32: far more faces than fit in front of a door; the bound
 *   is for a crowd or a poster, where tracking everyone is not the point.
 * - best 5: enough descriptors of distinct frames for a robust match
 *   and a choice of photos for a pending request, few enough to keep
 *   a track's crops small.
 * - recent 7: room for k-of-n votes up to 7 over about half a second.
 */
const struct tracker_params tracker_default_params = {
	.min_iou = 0.3,
	.lost_after_ms = 1500,
	.max_tracks = 32,
	.best = 5,
	.recent = 7,
};

/* Hard caps whatever the parameters say, to keep memory bounded. */
#define TRACKER_MAX_TRACKS	256
#define TRACKER_MAX_BEST	32
#define TRACKER_MAX_RECENT	64

/*
 * The crop kept with a best frame is the box grown by a quarter of its
 * size on each side (clipped): a photo a guard can recognise someone
 * from shows the hair and chin the detector's box cuts off.
 */
#define TRACK_CROP_MARGIN	0.25

struct tracker {
	struct tracker_params	  p;
	uint64_t		  next_id;
	uint64_t		  dropped;
	struct track		**live;		/* id order */
	int			  nlive;
	struct track		**ended;	/* oldest first */
	int			  nended;
};

/* A candidate pairing of a live track and a face. */
struct tracker_pair {
	double	iou;
	int	t;
	int	f;
};

/* Intersection over union of two boxes; 0 if either is empty. */
static double
tracker_iou(const struct face_box *a, const struct face_box *b)
{
	double	ix, iy, inter, uni;

	ix = fmin(a->x + a->w, b->x + b->w) - fmax(a->x, b->x);
	iy = fmin(a->y + a->h, b->y + b->h) - fmax(a->y, b->y);
	if (ix <= 0 || iy <= 0)
		return 0;
	inter = ix * iy;
	uni = a->w * a->h + b->w * b->h - inter;
	return uni > 0 ? inter / uni : 0;
}

/* Orders pairs by IoU, highest first, then track and face index. */
static int
tracker_pair_cmp(const void *va, const void *vb)
{
	const struct tracker_pair	*a = va, *b = vb;

	if (a->iou != b->iou)
		return a->iou > b->iou ? -1 : 1;
	if (a->t != b->t)
		return a->t < b->t ? -1 : 1;
	return (a->f > b->f) - (a->f < b->f);
}

/* Clamps V into [LO, HI]. */
static int
tracker_clamp(int v, int lo, int hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

/* A new tracker; see track.h. */
struct tracker *
tracker_new(const struct tracker_params *p)
{
	struct tracker	*tr;

	tr = xcalloc(1, sizeof *tr);
	tr->p = p != NULL ? *p : tracker_default_params;
	tr->p.max_tracks = tracker_clamp(tr->p.max_tracks, 1,
	    TRACKER_MAX_TRACKS);
	tr->p.best = tracker_clamp(tr->p.best, 1, TRACKER_MAX_BEST);
	tr->p.recent = tracker_clamp(tr->p.recent, 1, TRACKER_MAX_RECENT);
	if (tr->p.lost_after_ms < 0)
		tr->p.lost_after_ms = 0;
	tr->next_id = 1;
	tr->live = xcalloc(tr->p.max_tracks, sizeof *tr->live);
	tr->ended = xcalloc(tr->p.max_tracks, sizeof *tr->ended);
	return tr;
}

/* Frees the tracker and every track it still holds. */
void
tracker_free(struct tracker *tr)
{
	int	i;

	if (tr == NULL)
		return;
	for (i = 0; i < tr->nlive; i++)
		track_free(tr->live[i]);
	for (i = 0; i < tr->nended; i++)
		track_free(tr->ended[i]);
	free(tr->live);
	free(tr->ended);
	free(tr);
}

/* Frees a track and its crops. */
void
track_free(struct track *t)
{
	int	i;

	if (t == NULL)
		return;
	for (i = 0; i < t->nbest; i++)
		image_free(t->best[i].crop);
	free(t->best);
	free(t->recent);
	free(t);
}

/* The descriptor AGE passing frames back; see track.h. */
const float *
track_recent(const struct track *t, int age)
{
	int	i;

	if (age < 0 || age >= t->nrecent)
		return NULL;
	i = (t->recent_next - 1 - age + 2 * t->maxrecent) % t->maxrecent;
	return t->recent[i];
}

/*
 * Moves live track I to the ended list. If the caller has left
 * max_tracks ended tracks untaken, the oldest of them is freed and
 * counted: the tracker must not grow with a caller that stopped taking.
 */
static void
tracker_end(struct tracker *tr, int i)
{
	struct track	*t = tr->live[i];

	memmove(&tr->live[i], &tr->live[i + 1],
	    (tr->nlive - i - 1) * sizeof *tr->live);
	tr->nlive--;
	if (tr->nended == tr->p.max_tracks) {
		track_free(tr->ended[0]);
		memmove(&tr->ended[0], &tr->ended[1],
		    (tr->nended - 1) * sizeof *tr->ended);
		tr->nended--;
		tr->dropped++;
	}
	tr->ended[tr->nended++] = t;
}

/* Whether frame A (pass, score) ranks above frame B. */
static int
tracker_better(const struct quality *a, const struct quality *b)
{
	if (a->pass != b->pass)
		return a->pass > b->pass;
	return a->score > b->score;
}

/* The box of F grown by TRACK_CROP_MARGIN, copied out of IMG, or NULL. */
static struct image *
tracker_crop(const struct image *img, const struct face *f)
{
	struct prep_rect	r;
	double			mx, my;

	mx = f->box.w * TRACK_CROP_MARGIN;
	my = f->box.h * TRACK_CROP_MARGIN;
	if (prep_crop_box(img->w, img->h, f->box.x - mx, f->box.y - my,
	    f->box.w + 2 * mx, f->box.h + 2 * my, &r) != 0)
		return NULL;
	return image_crop(img, r.x, r.y, r.w, r.h);
}

/*
 * Joins face F (quality Q) seen at TIME_MS to track T: last box, ring of
 * recent descriptors (passing frames only: a blurred or turned frame is
 * no vote) and the best frames, kept sorted best first.
 */
static void
tracker_join(struct track *t, int64_t time_ms, const struct image *img,
    const struct face *f, const struct quality *q)
{
	struct track_frame	*fr;
	int			 i;

	t->last_ms = time_ms;
	t->frames++;
	t->box = f->box;
	if (q->pass) {
		memcpy(t->recent[t->recent_next], f->descriptor,
		    sizeof t->recent[0]);
		t->recent_next = (t->recent_next + 1) % t->maxrecent;
		if (t->nrecent < t->maxrecent)
			t->nrecent++;
	}

	/* Where it goes: after every frame at least as good (the older wins). */
	for (i = 0; i < t->nbest; i++)
		if (tracker_better(q, &t->best[i].quality))
			break;
	if (i == t->maxbest)
		return;
	if (t->nbest == t->maxbest)
		image_free(t->best[--t->nbest].crop);
	memmove(&t->best[i + 1], &t->best[i],
	    (t->nbest - i) * sizeof *t->best);
	t->nbest++;
	fr = &t->best[i];
	fr->time_ms = time_ms;
	fr->face = *f;
	fr->quality = *q;
	fr->crop = img != NULL ? tracker_crop(img, f) : NULL;
}

/*
 * Whether live track A should end before B to make room: first a track
 * with no frame kept, then the lower best quality, then the one seen
 * longest ago, then the lower id.
 */
static int
tracker_worse(const struct track *a, const struct track *b)
{
	const struct quality	*qa, *qb;

	if ((a->nbest == 0) != (b->nbest == 0))
		return a->nbest == 0;
	if (a->nbest > 0) {
		qa = &a->best[0].quality;
		qb = &b->best[0].quality;
		if (tracker_better(qb, qa))
			return 1;
		if (tracker_better(qa, qb))
			return 0;
	}
	if (a->last_ms != b->last_ms)
		return a->last_ms < b->last_ms;
	return a->id < b->id;
}

/*
 * The live track to end to make room for a new one, among those not
 * seen in this frame (SEEN); -1 if every live track was seen in this
 * frame: then the new face gets no track rather than cutting a visit
 * in two.
 */
static int
tracker_victim(const struct tracker *tr, const unsigned char *seen)
{
	int	i, v = -1;

	for (i = 0; i < tr->nlive; i++)
		if (!seen[i] && (v == -1 ||
		    tracker_worse(tr->live[i], tr->live[v])))
			v = i;
	return v;
}

/* Feeds the faces of one frame; see track.h. */
void
tracker_update(struct tracker *tr, int64_t time_ms, const struct image *img,
    const struct face *faces, int n, const struct quality *q, uint64_t *ids)
{
	struct tracker_pair	*pairs;
	struct quality		 one;
	struct track		*t;
	unsigned char		*seen, *used;
	double			 iou;
	int			 i, j, np, v, *order, k, nf;

	if (n < 0)
		n = 0;
	for (i = 0; i < tr->nlive; /* nothing */) {
		if (time_ms - tr->live[i]->last_ms > tr->p.lost_after_ms)
			tracker_end(tr, i);
		else
			i++;
	}

	memset(&one, 0, sizeof one);
	one.pass = 1;
	one.score = 1;
	one.reason = "ok";
	seen = xcalloc(tr->p.max_tracks, 1);
	used = xcalloc(n > 0 ? n : 1, 1);
	pairs = xcalloc((size_t)(tr->nlive > 0 ? tr->nlive : 1) *
	    (n > 0 ? n : 1), sizeof *pairs);
	for (i = 0; i < n; i++)
		if (ids != NULL)
			ids[i] = 0;

	np = 0;
	for (i = 0; i < tr->nlive; i++) {
		for (j = 0; j < n; j++) {
			iou = tracker_iou(&tr->live[i]->box, &faces[j].box);
			if (iou >= tr->p.min_iou) {
				pairs[np].iou = iou;
				pairs[np].t = i;
				pairs[np].f = j;
				np++;
			}
		}
	}
	qsort(pairs, np, sizeof *pairs, tracker_pair_cmp);
	for (k = 0; k < np; k++) {
		i = pairs[k].t;
		j = pairs[k].f;
		if (seen[i] || used[j])
			continue;
		seen[i] = used[j] = 1;
		tracker_join(tr->live[i], time_ms, img, &faces[j],
		    q != NULL ? &q[j] : &one);
		if (ids != NULL)
			ids[j] = tr->live[i]->id;
	}

	/* New tracks, the best unmatched faces first when room runs out. */
	order = xcalloc(n > 0 ? n : 1, sizeof *order);
	nf = 0;
	for (j = 0; j < n; j++) {
		if (used[j])
			continue;
		for (k = nf; k > 0 && q != NULL &&
		    tracker_better(&q[j], &q[order[k - 1]]); k--)
			order[k] = order[k - 1];
		order[k] = j;
		nf++;
	}
	for (k = 0; k < nf; k++) {
		j = order[k];
		if (tr->nlive == tr->p.max_tracks) {
			if ((v = tracker_victim(tr, seen)) == -1)
				break;
			tr->live[v]->evicted = 1;
			tracker_end(tr, v);
			memmove(&seen[v], &seen[v + 1], tr->nlive - v);
			seen[tr->nlive] = 0;
		}
		t = xcalloc(1, sizeof *t);
		t->id = tr->next_id++;
		t->first_ms = time_ms;
		t->maxbest = tr->p.best;
		t->maxrecent = tr->p.recent;
		t->best = xcalloc(t->maxbest, sizeof *t->best);
		t->recent = xcalloc(t->maxrecent, sizeof *t->recent);
		tracker_join(t, time_ms, img, &faces[j],
		    q != NULL ? &q[j] : &one);
		tr->live[tr->nlive] = t;
		seen[tr->nlive] = 1;
		tr->nlive++;
		if (ids != NULL)
			ids[j] = t->id;
	}
	free(order);
	free(pairs);
	free(used);
	free(seen);
}

/* Ends every live track; see track.h. */
void
tracker_end_all(struct tracker *tr)
{
	while (tr->nlive > 0)
		tracker_end(tr, 0);
}

/* The number of live tracks. */
int
tracker_count(const struct tracker *tr)
{
	return tr->nlive;
}

/* Live track I, in id order, or NULL. */
const struct track *
tracker_track(const struct tracker *tr, int i)
{
	if (i < 0 || i >= tr->nlive)
		return NULL;
	return tr->live[i];
}

/* The oldest ended track, handed to the caller; see track.h. */
struct track *
tracker_take_ended(struct tracker *tr)
{
	struct track	*t;

	if (tr->nended == 0)
		return NULL;
	t = tr->ended[0];
	memmove(&tr->ended[0], &tr->ended[1],
	    (tr->nended - 1) * sizeof *tr->ended);
	tr->nended--;
	return t;
}

/* Ended tracks freed untaken; see tracker_end. */
uint64_t
tracker_dropped(const struct tracker *tr)
{
	return tr->dropped;
}
