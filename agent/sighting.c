/*
 * The worker's observations, in main: each of the worker's tracks gets a
 * decider (decide.h), every descriptor it sends is matched against the
 * gallery and fed to it, and the track's one final verdict becomes the
 * actions of design.md, in this order:
 *
 *   GRANTED    an event "granted" committed to the store, then the pulse,
 *              then the welcome by name;
 *   DENIED     an event "denied" and an alarm, the refusal prompt, never a
 *              pulse and never a name;
 *   PENDING    an unknown visitor: a pending request (a visit) with the
 *   UNCERTAIN  track's best photos and an event "pending" or "uncertain";
 *              or, when a pending visit seen within unknown_merge_window
 *              has a descriptor within match_threshold, that visit seen
 *              again (one visitor ringing twice is one request). The
 *              waiting prompt, never a name.
 *
 * Photos: the worker sends a JPEG crop with each frame that became its
 * track's best; main keeps the AGENT_TRACK_PHOTOS best (by quality score)
 * and stores them only for a verdict, content-addressed. A decided track
 * that made a visit still adds the better photos that come after.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control.h"
#include "daemon.h"
#include "gallery.h"
#include "log.h"
#include "loop.h"
#include "notify.h"
#include "protocol.h"
#include "xmalloc.h"

static struct agent_track *
sighting_track(struct agent *a, uint64_t id)
{
	struct agent_track	*t;

	for (t = a->tracks; t != NULL; t = t->next) {
		if (t->id == id)
			return t;
	}
	return NULL;
}

static void
sighting_track_free(struct agent_track *t)
{
	int	i;

	for (i = 0; i < t->nphotos; i++)
		free(t->photos[i].jpeg);
	decider_free(t->decider);
	free(t);
}

static void
sighting_unlink(struct agent *a, struct agent_track *t)
{
	struct agent_track	**pp;

	for (pp = &a->tracks; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == t) {
			*pp = t->next;
			return;
		}
	}
}

static struct agent_track *
sighting_track_new(struct agent *a, const struct worker_face *f)
{
	struct agent_track	*t = xcalloc(1, sizeof *t);

	t->id = f->track;
	t->first_ms = f->first_ms;
	t->last_ms = f->time_ms;
	t->nearest = DECIDE_NOBODY;
	t->nearest_distance = INFINITY;
	liveness_init(&t->live);
	if ((t->decider = decider_new(&a->decide)) == NULL) {
		free(t);
		return NULL;
	}
	t->next = a->tracks;
	a->tracks = t;
	return t;
}

/*
 * Keeps the photo of F (its JPEG taken over) if it is among the best of
 * the track. Returns its index, or -1 if it was not kept.
 */
static int
sighting_keep_photo(struct agent_track *t, struct worker_face *f)
{
	struct agent_photo	 p;
	int			 i;

	if (f->jpeg == NULL)
		return -1;
	if (t->nphotos == AGENT_TRACK_PHOTOS) {
		if (f->quality_score <= t->photos[t->nphotos - 1].score)
			return -1;
		free(t->photos[--t->nphotos].jpeg);
	}
	memset(&p, 0, sizeof p);
	p.jpeg = f->jpeg;
	p.len = f->jpeg_len;
	f->jpeg = NULL;
	p.time_ms = f->time_ms;
	p.score = f->quality_score;
	p.has_desc = 1;
	memcpy(p.desc, f->descriptor, sizeof p.desc);
	for (i = t->nphotos; i > 0 && t->photos[i - 1].score < p.score; i--)
		t->photos[i] = t->photos[i - 1];
	t->photos[i] = p;
	t->nphotos++;
	return i;
}

/* Stores photo I of the track; its hash in HASH, "" if it failed. */
static void
sighting_store_photo(struct agent *a, struct agent_track *t, int i,
    char hash[STORE_HASH_LEN + 1])
{
	char	*cause = NULL;

	hash[0] = '\0';
	if (i < 0 || i >= t->nphotos)
		return;
	if (store_photo_put(a->store, t->photos[i].jpeg, t->photos[i].len,
	    hash, &cause) != 0) {
		log_warnx("photo: %s", cause);
		free(cause);
		hash[0] = '\0';
	}
}

struct sighting_merge {
	const float	*desc;
	int64_t		 since;		/* wall ms */
	double		 threshold;
	int64_t		 best;
	double		 best_distance;
};

static int
sighting_merge_cb(const struct store_visit *v, void *arg)
{
	struct sighting_merge	*m = arg;
	double			 d;

	if (v->last_seen < m->since)
		return 1;	/* newest first: the rest are older */
	if (!v->has_descriptor)
		return 0;
	d = face_distance(m->desc, v->descriptor);
	if (d < m->threshold && d < m->best_distance) {
		m->best = v->id;
		m->best_distance = d;
	}
	return 0;
}

/* The pending visit the face DESC seen at NOW (wall ms) belongs to, or 0. */
static int64_t
sighting_merge_visit(struct agent *a, const float *desc, int64_t now)
{
	struct sighting_merge	 m;
	char			*cause = NULL;

	if (a->conf.unknown_merge_window == 0)
		return 0;
	m.desc = desc;
	m.since = now - a->conf.unknown_merge_window;
	m.threshold = a->conf.match_threshold;
	m.best = 0;
	m.best_distance = INFINITY;
	if (store_visits_pending(a->store, sighting_merge_cb, &m,
	    &cause) == -1) {
		log_warnx("pending visits: %s", cause);
		free(cause);
		return 0;
	}
	return m.best;
}

/* A live event about visit ID seen again (consoles only: no new visit). */
static void
sighting_seen_again(struct agent *a, int64_t visit_id, int64_t now,
    const char *type)
{
	struct store_visit	 v;
	cJSON			*obj;
	char			*cause = NULL, *line;

	memset(&v, 0, sizeof v);
	if (store_visit_find(a->store, visit_id, &v, &cause) != 0) {
		free(cause);
		return;
	}
	obj = cJSON_CreateObject();
	cJSON_AddNumberToObject(obj, "visit", (double)visit_id);
	cJSON_AddNumberToObject(obj, "seen_count", v.seen_count);
	cJSON_AddBoolToObject(obj, "again", 1);
	store_visit_clear(&v);
	line = proto_event(type, now, a->conf.door_name, NULL, obj);
	control_event(a->control, line);
	free(line);
}

/* A pending or uncertain track becomes a visit, or joins one. */
static void
sighting_visit(struct agent *a, struct agent_track *t,
    const struct decide_result *r, const char *type)
{
	struct store_event	 ev;
	struct notify_rows	 nr;
	cJSON			*d;
	char			 hash[STORE_HASH_LEN + 1], *details;
	char			*cause = NULL;
	const float		*desc = t->nphotos > 0 ? t->photos[0].desc : NULL;
	int64_t			 now = agent_wall_ms(r->time_ms), visit = 0;
	int64_t			 eid;
	int			 i, rc;

	sighting_store_photo(a, t, 0, hash);
	if (desc != NULL)
		visit = sighting_merge_visit(a, desc, now);
	if (visit != 0 && store_visit_seen(a->store, visit, now,
	    hash[0] != '\0' ? hash : NULL, desc, 0, &cause) == 0) {
		t->visit_id = visit;
		sighting_seen_again(a, visit, now, type);
	} else {
		if (cause != NULL) {
			log_warnx("visit %lld: %s", (long long)visit, cause);
			free(cause);
			cause = NULL;
		}
		d = cJSON_CreateObject();
		cJSON_AddStringToObject(d, "reason",
		    decide_reason_name(r->reason));
		cJSON_AddNumberToObject(d, "track", (double)t->id);
		if (hash[0] != '\0')
			cJSON_AddStringToObject(d, "photo", hash);
		if (t->nearest != DECIDE_NOBODY && isfinite(t->nearest_distance)) {
			cJSON_AddNumberToObject(d, "nearest",
			    (double)t->nearest);
			cJSON_AddNumberToObject(d, "distance",
			    round(t->nearest_distance * 1e4) / 1e4);
		}
		details = cJSON_PrintUnformatted(d);
		cJSON_Delete(d);
		memset(&ev, 0, sizeof ev);
		ev.time = now;
		ev.type = type;
		ev.door = a->conf.door_name;
		ev.details = details;
		memset(&nr, 0, sizeof nr);
		notify_event(a, &ev, &nr);
		rc = store_visit_add_outbox(a->store, a->conf.door_name, now,
		    hash[0] != '\0' ? hash : NULL, desc, &ev, nr.rows, nr.n,
		    &visit, &eid, &cause);
		notify_rows_free(&nr);
		if (rc != 0) {
			log_warnx("visit: %s", cause);
			free(cause);
			free(details);
			return;
		}
		ev.visit_id = visit;
		agent_event_sent(a, &ev, eid);
		agent_outbox_kick(a);
		free(details);
		t->visit_id = visit;
	}
	for (i = 1; i < t->nphotos; i++) {
		sighting_store_photo(a, t, i, hash);
		if (hash[0] != '\0' && store_visit_photo_add(a->store, visit,
		    hash, t->photos[i].desc, agent_wall_ms(t->photos[i].time_ms),
		    &cause) == -1) {
			log_warnx("visit %lld: %s", (long long)visit, cause);
			free(cause);
			cause = NULL;
		}
	}
	agent_say(a, "wait", a->conf.voice_wait);
}

static const char *
sighting_liveness_name(enum decide_liveness l)
{
	switch (l) {
	case DECIDE_LIVENESS_PASSED:
		return "passed";
	case DECIDE_LIVENESS_FAILED:
		return "failed";
	case DECIDE_LIVENESS_UNKNOWN:
		break;
	}
	return "unknown";
}

/*
 * A granted track: the event (with the pass the track was shown, if the
 * grant used it), the pulse, the welcome (agent_grant).
 */
static int
sighting_granted(struct agent *a, struct agent_track *t,
    const struct decide_result *r, enum pass_refusal *why)
{
	const char	*pass = NULL;
	char		 hash[STORE_HASH_LEN + 1];
	cJSON		*d = cJSON_CreateObject();

	sighting_store_photo(a, t, 0, hash);
	cJSON_AddNumberToObject(d, "track", (double)t->id);
	if (isfinite(t->nearest_distance) && t->nearest == r->identity)
		cJSON_AddNumberToObject(d, "distance",
		    round(t->nearest_distance * 1e4) / 1e4);
	if (hash[0] != '\0')
		cJSON_AddStringToObject(d, "photo", hash);
	/* From the first frame of the track to the pulse. */
	cJSON_AddNumberToObject(d, "latency_ms",
	    (double)(loop_now_ms() - t->first_ms));
	/*
	 * The pass or PIN the decider was fed is what let them in, except
	 * at a face door where the face came first.
	 */
	if (a->conf.liveness != CONFIG_LIVENESS_OFF)
		cJSON_AddStringToObject(d, "liveness",
		    sighting_liveness_name(t->live.verdict));
	if (t->pass[0] != '\0' && (r->reason != DECIDE_REASON_MATCH ||
	    a->decide.policy != CONFIG_POLICY_FACE)) {
		pass = t->pass;
		cJSON_AddStringToObject(d, "via", t->pass_via);
	} else if (t->otp_person != 0)
		cJSON_AddStringToObject(d, "via", "otp");
	if (agent_grant(a, r->identity, decide_reason_name(r->reason),
	    r->time_ms, pass, d, why) != 0)
		return -1;
	a->entry_track = t->id;
	return 0;
}

static void
sighting_denied(struct agent *a, struct agent_track *t,
    const struct decide_result *r)
{
	char	 hash[STORE_HASH_LEN + 1];
	cJSON	*d = cJSON_CreateObject(), *alarm;
	int64_t	 id = 0, who = t->nearest;

	sighting_store_photo(a, t, 0, hash);
	cJSON_AddStringToObject(d, "reason", decide_reason_name(r->reason));
	cJSON_AddNumberToObject(d, "track", (double)t->id);
	if (hash[0] != '\0')
		cJSON_AddStringToObject(d, "photo", hash);
	alarm = cJSON_Duplicate(d, 1);
	agent_event(a, "denied", agent_wall_ms(r->time_ms),
	    who != DECIDE_NOBODY ? who : 0, 0, d, &id);
	cJSON_AddStringToObject(alarm, "kind", "deny-list");
	cJSON_AddNumberToObject(alarm, "denied", (double)id);
	agent_event(a, "alarm", agent_wall_ms(r->time_ms),
	    who != DECIDE_NOBODY ? who : 0, 0, alarm, NULL);
	agent_say(a, "refused", a->conf.voice_refused);
	agent_say(a, "alarm", a->conf.voice_alarm);
}

int
sighting_verdict(struct agent *a, struct agent_track *t,
    enum pass_refusal *why)
{
	struct decide_result	r;

	*why = PASS_OK;
	decider_result(t->decider, &r);
	t->verdict = r.verdict;
	switch (r.verdict) {
	case DECIDE_GRANTED:
		return sighting_granted(a, t, &r, why);
	case DECIDE_DENIED:
		sighting_denied(a, t, &r);
		access_track_failed(a);
		break;
	case DECIDE_PENDING:
		sighting_visit(a, t, &r, "pending");
		break;
	case DECIDE_UNCERTAIN:
		/*
		 * A face+otp track that ended waiting for its code: the
		 * code still opens (access.c) until otp_valid runs out, so
		 * the guard is not called for a person who has it.
		 */
		if (r.reason == DECIDE_REASON_POLICY && t->otp_person != 0)
			break;
		sighting_visit(a, t, &r, "uncertain");
		access_track_failed(a);
		break;
	case DECIDE_NONE:
		break;
	}
	return 0;
}

/* Acts on a verdict of a worker's input: a pass it could not use is refused. */
static void
sighting_decided(struct agent *a, struct agent_track *t)
{
	enum pass_refusal	why;
	cJSON			*d;

	if (sighting_verdict(a, t, &why) == 0 || why == PASS_OK)
		return;
	d = cJSON_CreateObject();
	cJSON_AddStringToObject(d, "reason", pass_refusal_name(why));
	cJSON_AddStringToObject(d, "pass", t->pass);
	cJSON_AddNumberToObject(d, "track", (double)t->id);
	agent_event(a, "denied", agent_wall_ms(loop_now_ms()), 0, 0, d, NULL);
	agent_say(a, "refused", a->conf.voice_refused);
}

struct agent_track *
sighting_current(struct agent *a)
{
	struct agent_track	*t, *best = NULL;

	for (t = a->tracks; t != NULL; t = t->next) {
		if (t->verdict == DECIDE_NONE &&
		    (best == NULL || t->last_ms > best->last_ms))
			best = t;
	}
	return best;
}

/*
 * Tells the consoles (the kiosk: "please step closer") what the camera
 * sees of a track when its quality word changes; live only, and never who
 * it is before the verdict.
 */
static void
sighting_live(struct agent *a, struct agent_track *t,
    const struct worker_face *f)
{
	cJSON	*extra;
	char	*line;

	if (strcmp(t->quality, f->reason) == 0)
		return;
	snprintf(t->quality, sizeof t->quality, "%s", f->reason);
	extra = cJSON_CreateObject();
	cJSON_AddNumberToObject(extra, "track", (double)t->id);
	cJSON_AddStringToObject(extra, "quality", f->reason);
	line = proto_event("sighting", agent_wall_ms(f->time_ms),
	    a->conf.door_name, NULL, extra);
	control_event(a->control, line);
	free(line);
}

/* The details of an alarm about track T: REASON, its photo, who is near. */
static cJSON *
sighting_alarm_details(struct agent *a, struct agent_track *t,
    const char *reason)
{
	char	 hash[STORE_HASH_LEN + 1];
	cJSON	*d = cJSON_CreateObject();

	sighting_store_photo(a, t, 0, hash);
	cJSON_AddStringToObject(d, "reason", reason);
	cJSON_AddNumberToObject(d, "track", (double)t->id);
	if (hash[0] != '\0')
		cJSON_AddStringToObject(d, "photo", hash);
	if (t->nearest != DECIDE_NOBODY && isfinite(t->nearest_distance)) {
		cJSON_AddNumberToObject(d, "nearest", (double)t->nearest);
		cJSON_AddNumberToObject(d, "distance",
		    round(t->nearest_distance * 1e4) / 1e4);
	}
	return d;
}

/*
 * The track's liveness from one more gated frame. Its failure is an alarm
 * "spoof-suspected" with the photo, once per track: under "require" the
 * decider then asks the guard (an uncertain visit), under "warn" a grant
 * stands, flagged.
 */
static void
sighting_liveness(struct agent *a, struct agent_track *t,
    const struct worker_face *f)
{
	cJSON	*d;

	if (a->conf.liveness == CONFIG_LIVENESS_OFF || !f->quality_pass ||
	    t->live.verdict != DECIDE_LIVENESS_UNKNOWN)
		return;
	liveness_frame(&t->live, f->landmarks);
	log_debug("liveness: track %llu frame %d, EAR %.4f (lowest %.3f of "
	    "the median), residual %.4f: %s", (unsigned long long)t->id,
	    t->live.frames, liveness_ear(f->landmarks),
	    t->live.min_ear_ratio, t->live.max_residual,
	    t->live.why != NULL ? t->live.why : "unknown");
	if (t->live.verdict != DECIDE_LIVENESS_FAILED)
		return;
	d = sighting_alarm_details(a, t, t->live.why);
	if (t->verdict == DECIDE_GRANTED)
		cJSON_AddBoolToObject(d, "granted", 1);
	agent_alarm(a, "spoof-suspected", d);
}

/*
 * Tailgating: a second face, of another track than the one let in, seen
 * while the door is open for an entry (agent_grant sets the window),
 * however poor the frame: a face too small or blurred to recognise is
 * still a person walking in. After a pass shown without a face, the first
 * face seen is its holder's.
 */
static void
sighting_follow(struct agent *a, struct agent_track *t,
    const struct worker_face *f)
{
	cJSON	*d;

	if (a->entry_until_ms == 0 || f->time_ms > a->entry_until_ms ||
	    a->entry_alarmed)
		return;
	if (a->entry_track == 0)
		a->entry_track = t->id;
	if (t->id == a->entry_track)
		return;
	a->entry_alarmed = 1;
	d = sighting_alarm_details(a, t, "a second person during one entry");
	if (a->entry_photo[0] != '\0')
		cJSON_AddStringToObject(d, "entry_photo", a->entry_photo);
	cJSON_AddNumberToObject(d, "entry_track", (double)a->entry_track);
	agent_alarm(a, "tailgating", d);
}

/* Loitering: a face not let in that stays in view past loiter_after. */
static void
sighting_loiter(struct agent *a, struct agent_track *t,
    const struct worker_face *f)
{
	cJSON	*d;

	if (t->loitered || t->verdict == DECIDE_GRANTED ||
	    f->time_ms - t->first_ms < a->conf.loiter_after)
		return;
	t->loitered = 1;
	d = sighting_alarm_details(a, t, "in view and not let in");
	cJSON_AddNumberToObject(d, "seconds",
	    (double)((f->time_ms - t->first_ms) / 1000));
	agent_alarm(a, "loitering", d);
}

static void
sighting_face(struct agent *a, struct worker_face *f)
{
	struct agent_track		*t;
	struct gallery_match		 best, second;
	struct decide_match		 m;
	const struct agent_person	*p;
	char				 hash[STORE_HASH_LEN + 1];
	char				*cause = NULL;
	int				 kept;

	if ((t = sighting_track(a, f->track)) == NULL) {
		if ((t = sighting_track_new(a, f)) == NULL)
			return;
		access_track_new(a, t);
	}
	if (f->time_ms > t->last_ms)
		t->last_ms = f->time_ms;
	sighting_live(a, t, f);
	kept = sighting_keep_photo(t, f);
	sighting_liveness(a, t, f);
	sighting_follow(a, t, f);
	sighting_loiter(a, t, f);
	if (t->verdict != DECIDE_NONE) {
		/* A visit gets the better photos that come after. */
		if (t->visit_id != 0 && kept >= 0) {
			sighting_store_photo(a, t, kept, hash);
			if (hash[0] != '\0' && store_visit_photo_add(a->store,
			    t->visit_id, hash, t->photos[kept].desc,
			    agent_wall_ms(f->time_ms), &cause) == -1) {
				log_warnx("visit: %s", cause);
				free(cause);
			}
		}
		return;
	}

	gallery_search(a->gallery, f->descriptor, &best, &second, NULL);
	memset(&m, 0, sizeof m);
	m.identity = best.identity;
	m.distance = best.distance;
	m.second_identity = second.identity;
	m.second_distance = second.distance;
	m.deny_listed = (p = agent_person(a, best.identity)) != NULL &&
	    p->deny_listed;
	/* Only "require" lets liveness decide; "warn" flags (above). */
	m.liveness = a->decide.require_liveness ? t->live.verdict :
	    DECIDE_LIVENESS_UNKNOWN;
	m.quality = f->quality_pass;
	if (f->quality_pass && best.identity != DECIDE_NOBODY &&
	    best.distance < t->nearest_distance) {
		t->nearest = best.identity;
		t->nearest_distance = best.distance;
	}
	if (decider_observe(t->decider, f->time_ms, &m) != DECIDE_NONE)
		sighting_decided(a, t);
	else
		access_track_face(a, t);
}

static void
sighting_end(struct agent *a, struct agent_track *t, int64_t time_ms)
{
	if (t->verdict == DECIDE_NONE &&
	    decider_end(t->decider, time_ms) != DECIDE_NONE)
		sighting_decided(a, t);
	sighting_unlink(a, t);
	sighting_track_free(t);
}

void
sighting_message(struct agent *a, struct worker_msg *m)
{
	struct agent_track	*t;

	switch (m->type) {
	case WORKER_MSG_FACE:
		sighting_face(a, &m->u.face);
		break;
	case WORKER_MSG_TRACK_END:
		if ((t = sighting_track(a, m->u.end.track)) != NULL)
			sighting_end(a, t, m->u.end.last_ms);
		break;
	default:
		break;
	}
}

void
sighting_end_all(struct agent *a, int64_t now_ms)
{
	while (a->tracks != NULL)
		sighting_end(a, a->tracks, now_ms);
}

void
sighting_free_all(struct agent *a)
{
	struct agent_track	*t;

	while ((t = a->tracks) != NULL) {
		a->tracks = t->next;
		sighting_track_free(t);
	}
}
