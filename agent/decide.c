/*
 * The decision of one track (see decide.h and design.md, "Decisions").
 *
 * Every descriptor of the track is first put in one of five kinds:
 *
 *   UNKNOWN  nobody enrolled is near: no best identity, or the best
 *            distance is at least unknown_threshold.
 *   DENY     the best identity is on the deny list and nearer than
 *            match_threshold, whatever the margin: the deny list wins over
 *            everything, so a look-alike is no excuse.
 *   VOTE(X)  the best identity X is nearer than match_threshold and the
 *            nearest other person is at least match_margin farther. The
 *            margin is what keeps two look-alikes from opening for each
 *            other: a descriptor that cannot tell them apart says nothing.
 *   GRAY     anything between: nearer than unknown_threshold but no vote
 *            (the margin failed, or match_threshold <= d <
 *            unknown_threshold). Also a distance that is not a number >= 0,
 *            or a second-best of the same identity: broken inputs are no
 *            evidence either way, so they can neither grant nor make an
 *            unknown visitor. Gray is what sends a track to the guard.
 *
 * Only descriptors of frames that passed the quality gate count (blur,
 * pose and size make descriptors drift; a blurry frame must not vote, nor
 * raise a deny-list alarm). A frame that failed the gate is otherwise
 * ignored, except that it can only make the track safer: its failed
 * liveness, or a deny-listed best identity nearer than unknown_threshold,
 * still vetoes a grant (below).
 *
 * Vetoes, for the whole track and whatever the door's policy; once set, the
 * track never grants:
 *
 *   deny-list  any descriptor (gated or not) whose best identity is deny-
 *              listed and not UNKNOWN. A gated DENY is more: it is the
 *              final verdict DENIED at once, even after votes for someone.
 *   liveness   any descriptor with liveness FAILED (a photo or a screen).
 *   conflict   gated descriptors voted for two different people: one track
 *              is one face, so the tracker or the gallery is confused, and
 *              confusion never opens a door.
 *
 * A grant (GRANTED) needs no veto and the door's policy:
 *
 *   face      K of the last N gated descriptors (the window) vote for X;
 *             liveness PASSED on some gated descriptor if it is required.
 *             K of N rather than one lucky frame: a single descriptor can
 *             land near the wrong person, K independent ones rarely do.
 *             Or a verified pass (reason "pass"): enrolled people come in
 *             by face, approved visitors with the pass they were sent.
 *   face+pin  the same votes for X and a verified PIN of X in this track.
 *   face+otp  as face+pin, the PIN being the one-time code main sent to
 *             X once the votes held (main feeds it as a PIN of X).
 *   qr        a verified pass: its holder is granted (reason "pass").
 *   qr+face   a verified pass and, if the holder has a face enrolled, the
 *             votes of "face" for the holder; if not (a visitor), at least
 *             one gated descriptor (someone stands there) and liveness as
 *             for "face".
 *   pin       a verified PIN, and only when allow_pin_only is set: a PIN
 *             alone can be watched over a shoulder, so it is off unless the
 *             site chose it; otherwise this policy never grants.
 *
 * Passes and PINs reach the decider only once verified (signature, expiry,
 * rate limits and lockouts are checked before, elsewhere); a pass or PIN a
 * policy does not use is ignored. The grant is checked after every input.
 *
 * States:
 *
 *   WATCHING --(gated DENY)------------------------------> DECIDED: DENIED
 *   WATCHING --(grant holds)-----------------------------> DECIDED: GRANTED
 *   WATCHING --(N gated descriptors, or end)--> judge
 *   AWAITING --(gated DENY | grant holds | veto | end)--> as above / judge
 *   judge: veto                                   -> DECIDED: UNCERTAIN
 *          a pass or PIN may still open (not end) -> AWAITING
 *          otherwise                              -> DECIDED: see below
 *   WATCHING, AWAITING --(end, nothing to say)-----------> ENDED
 *
 * A pass or PIN "may still open" at qr and qr+face doors, at pin doors that
 * allow it, at face doors whose matched face has yet to pass a required
 * liveness check (a blink may come), and at face+pin and face+otp doors
 * once the face part held (K votes were
 * seen at or after N): there the visitor may still be fumbling for the
 * phone or the keypad, so the track waits for it until it ends.
 *
 * The final verdict of a judged track that did not grant, in this order:
 *
 *   UNCERTAIN "deny-list" | "liveness" | "conflict"   a veto
 *   UNCERTAIN "liveness"  K votes, liveness required, never PASSED
 *   UNCERTAIN "policy"    K votes, or a pass or PIN, but the policy wants
 *                         more (a known face without its PIN, ...)
 *   PENDING   "unknown"   at least one gated descriptor, all UNKNOWN: a
 *                         visitor, exactly one pending request
 *   UNCERTAIN "uncertain" everything else: gray or too few votes
 *   (none)                at the end of a track with no gated descriptor,
 *                         no pass and no PIN: nobody to talk about
 *
 * So UNCERTAIN and PENDING are final when the N-th gated descriptor is
 * judged at a door where nothing else can still open (a "face" door, or a
 * face+pin door whose face never matched), and otherwise at the end of the
 * track. A veto seen after the N-th descriptor is final at once. DECIDED
 * and ENDED are quiet: every later input returns DECIDE_NONE.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "decide.h"
#include "xmalloc.h"

enum decide_kind {
	DECIDE_KIND_UNKNOWN,
	DECIDE_KIND_DENY,
	DECIDE_KIND_VOTE,
	DECIDE_KIND_GRAY,
};

enum decider_state {
	DECIDER_WATCHING,
	DECIDER_AWAITING,
	DECIDER_DECIDED,
	DECIDER_ENDED,
};

/* One gated descriptor in the window. */
struct decide_slot {
	enum decide_kind	kind;
	int64_t			identity;	/* VOTE: for whom */
};

struct decider {
	struct decide_params	p;
	enum decider_state	state;
	struct decide_result	result;

	struct decide_slot	window[DECIDE_MAX_VOTES];	/* a ring */
	int			next;		/* where the next one goes */
	int			counted;	/* gated, saturating at N */
	int			unknown_only;	/* every gated one UNKNOWN */
	int64_t			voted;		/* first identity voted for */
	int			face_held;	/* K votes seen once judged */

	int			deny_suspect;	/* the vetoes */
	int			liveness_failed;
	int			conflict;
	int			liveness_passed;

	int			pass_seen;
	int64_t			pass_holder;
	int			pin_seen;
	int64_t			pin_holder;
};

/* Fills P from the configuration. */
void
decide_params_from_config(struct decide_params *p, const struct config *c)
{
	p->match_threshold = c->match_threshold;
	p->match_margin = c->match_margin;
	p->unknown_threshold = c->unknown_threshold;
	p->votes_k = c->match_votes.k;
	p->votes_n = c->match_votes.n;
	p->policy = (enum config_policy)c->policy;
	p->allow_pin_only = c->allow_pin_only;
	p->require_liveness = c->liveness == CONFIG_LIVENESS_REQUIRE;
}

/* Returns 1 if X is a finite distance or margin (0 to 2 in practice). */
static int
decide_valid_distance(double x)
{
	return isfinite(x) && x >= 0;
}

/* A decider for a new track, or NULL if the parameters make no sense. */
struct decider *
decider_new(const struct decide_params *p)
{
	struct decider	*d;

	if (!decide_valid_distance(p->match_threshold) ||
	    !decide_valid_distance(p->match_margin) ||
	    !decide_valid_distance(p->unknown_threshold))
		return NULL;
	if (p->votes_k < 1 || p->votes_n < p->votes_k ||
	    p->votes_n > DECIDE_MAX_VOTES)
		return NULL;
	switch (p->policy) {
	case CONFIG_POLICY_FACE:
	case CONFIG_POLICY_FACE_PIN:
	case CONFIG_POLICY_FACE_OTP:
	case CONFIG_POLICY_QR:
	case CONFIG_POLICY_QR_FACE:
	case CONFIG_POLICY_PIN:
		break;
	default:
		return NULL;
	}

	d = xcalloc(1, sizeof *d);
	d->p = *p;
	d->p.allow_pin_only = p->allow_pin_only != 0;
	d->p.require_liveness = p->require_liveness != 0;
	d->state = DECIDER_WATCHING;
	d->result.verdict = DECIDE_NONE;
	d->result.reason = DECIDE_REASON_NONE;
	d->result.identity = DECIDE_NOBODY;
	d->unknown_only = 1;
	d->voted = DECIDE_NOBODY;
	d->pass_holder = DECIDE_NOBODY;
	d->pin_holder = DECIDE_NOBODY;
	return d;
}

/* Frees a decider; NULL is fine. */
void
decider_free(struct decider *d)
{
	free(d);
}

/* The kind of one descriptor (the table at the top of this file). */
static enum decide_kind
decide_classify(const struct decide_params *p, const struct decide_match *m)
{
	double	dist = m->distance;

	if (m->identity == DECIDE_NOBODY)
		return DECIDE_KIND_UNKNOWN;
	if (isnan(dist) || dist < 0)
		return DECIDE_KIND_GRAY;
	if (dist < p->match_threshold) {
		if (m->deny_listed)
			return DECIDE_KIND_DENY;
		/* NaN or a second-best below the best fail here too. */
		if (m->second_identity == m->identity ||
		    !(m->second_distance - dist >= p->match_margin))
			return DECIDE_KIND_GRAY;
		return DECIDE_KIND_VOTE;
	}
	if (dist < p->unknown_threshold)
		return DECIDE_KIND_GRAY;
	return DECIDE_KIND_UNKNOWN;
}

/* Returns 1 if a veto forbids any grant, with its reason in *REASON. */
static int
decide_vetoed(const struct decider *d, enum decide_reason *reason)
{
	if (d->deny_suspect)
		*reason = DECIDE_REASON_DENY_LIST;
	else if (d->liveness_failed)
		*reason = DECIDE_REASON_LIVENESS;
	else if (d->conflict)
		*reason = DECIDE_REASON_CONFLICT;
	else
		return 0;
	return 1;
}

/* The identity with K votes in the window, or DECIDE_NOBODY. */
static int64_t
decide_face(const struct decider *d)
{
	int	i, have, votes = 0;

	/* Without a conflict, every vote of the track is for d->voted. */
	if (d->conflict || d->voted == DECIDE_NOBODY)
		return DECIDE_NOBODY;
	have = d->counted < d->p.votes_n ? d->counted : d->p.votes_n;
	for (i = 0; i < have; i++) {
		if (d->window[i].kind == DECIDE_KIND_VOTE &&
		    d->window[i].identity == d->voted)
			votes++;
	}
	return votes >= d->p.votes_k ? d->voted : DECIDE_NOBODY;
}

/*
 * Returns 1 if the policy is met now, with who is granted and why; the
 * table at the top of this file.
 */
static int
decide_grant(const struct decider *d, int64_t *who, enum decide_reason *why)
{
	enum decide_reason	 veto;
	int64_t			 face = decide_face(d);
	int			 live;

	if (decide_vetoed(d, &veto))
		return 0;
	live = !d->p.require_liveness || d->liveness_passed;
	switch (d->p.policy) {
	case CONFIG_POLICY_FACE:
		if (face != DECIDE_NOBODY && live) {
			*who = face;
			*why = DECIDE_REASON_MATCH;
			return 1;
		}
		if (!d->pass_seen)
			return 0;
		*who = d->pass_holder;
		*why = DECIDE_REASON_PASS;
		return 1;
	case CONFIG_POLICY_FACE_PIN:
	case CONFIG_POLICY_FACE_OTP:
		if (face == DECIDE_NOBODY || !live || !d->pin_seen ||
		    d->pin_holder != face)
			return 0;
		*who = face;
		*why = DECIDE_REASON_MATCH;
		return 1;
	case CONFIG_POLICY_QR:
		if (!d->pass_seen)
			return 0;
		*who = d->pass_holder;
		*why = DECIDE_REASON_PASS;
		return 1;
	case CONFIG_POLICY_QR_FACE:
		if (!d->pass_seen || !live)
			return 0;
		if (d->pass_holder == DECIDE_NOBODY) {
			if (d->counted == 0)
				return 0;
			*why = DECIDE_REASON_PASS;
		} else {
			if (face != d->pass_holder)
				return 0;
			*why = DECIDE_REASON_MATCH;
		}
		*who = d->pass_holder;
		return 1;
	case CONFIG_POLICY_PIN:
		if (!d->p.allow_pin_only || !d->pin_seen)
			return 0;
		*who = d->pin_holder;
		*why = DECIDE_REASON_PIN;
		return 1;
	}
	return 0;
}

/* Returns 1 if a pass or PIN that has not come yet could still open. */
static int
decide_may_still_open(const struct decider *d)
{
	switch (d->p.policy) {
	case CONFIG_POLICY_FACE:
		/* A face that matched may still show it is alive. */
		return d->face_held && d->p.require_liveness &&
		    !d->liveness_passed;
	case CONFIG_POLICY_FACE_PIN:
	case CONFIG_POLICY_FACE_OTP:
		return d->face_held;
	case CONFIG_POLICY_QR:
	case CONFIG_POLICY_QR_FACE:
		return 1;
	case CONFIG_POLICY_PIN:
		return d->p.allow_pin_only;
	}
	return 0;
}

/* Makes VERDICT final; returns it, for the input that decided. */
static enum decide_verdict
decide_final(struct decider *d, int64_t time_ms, enum decide_verdict verdict,
    enum decide_reason reason, int64_t identity)
{
	d->state = DECIDER_DECIDED;
	d->result.verdict = verdict;
	d->result.reason = reason;
	d->result.identity = verdict == DECIDE_GRANTED ? identity :
	    DECIDE_NOBODY;
	d->result.time_ms = time_ms;
	return verdict;
}

/*
 * After each input: grants if the policy is met, else judges the track
 * once it has N gated descriptors or has ended (the table at the top).
 */
static enum decide_verdict
decide_settle(struct decider *d, int64_t time_ms, int at_end)
{
	enum decide_reason	 reason;
	int64_t			 who = DECIDE_NOBODY, face;

	if (decide_grant(d, &who, &reason))
		return decide_final(d, time_ms, DECIDE_GRANTED, reason, who);
	if (!at_end && d->counted < d->p.votes_n)
		return DECIDE_NONE;

	if (decide_vetoed(d, &reason))
		return decide_final(d, time_ms, DECIDE_UNCERTAIN, reason, who);
	face = decide_face(d);
	if (face != DECIDE_NOBODY)
		d->face_held = 1;
	if (!at_end && decide_may_still_open(d)) {
		d->state = DECIDER_AWAITING;
		return DECIDE_NONE;
	}

	if (face != DECIDE_NOBODY && d->p.require_liveness &&
	    !d->liveness_passed)
		reason = DECIDE_REASON_LIVENESS;
	else if (face != DECIDE_NOBODY || d->face_held || d->pass_seen ||
	    d->pin_seen)
		reason = DECIDE_REASON_POLICY;
	else if (d->counted == 0) {
		d->state = DECIDER_ENDED;
		return DECIDE_NONE;
	} else if (d->unknown_only) {
		return decide_final(d, time_ms, DECIDE_PENDING,
		    DECIDE_REASON_UNKNOWN, who);
	} else
		reason = DECIDE_REASON_UNCERTAIN;
	return decide_final(d, time_ms, DECIDE_UNCERTAIN, reason, who);
}

/* Returns 1 if the track has its verdict or has ended: stay quiet. */
static int
decide_quiet(const struct decider *d)
{
	return d->state == DECIDER_DECIDED || d->state == DECIDER_ENDED;
}

/* Feeds one descriptor of the track. */
enum decide_verdict
decider_observe(struct decider *d, int64_t time_ms,
    const struct decide_match *m)
{
	enum decide_kind	kind;

	if (decide_quiet(d))
		return DECIDE_NONE;
	kind = decide_classify(&d->p, m);

	/* Vetoes, from any frame: they can only make the track safer. */
	if (m->deny_listed && kind != DECIDE_KIND_UNKNOWN)
		d->deny_suspect = 1;
	if (m->liveness == DECIDE_LIVENESS_FAILED)
		d->liveness_failed = 1;
	if (!m->quality)
		return decide_settle(d, time_ms, 0);

	if (kind == DECIDE_KIND_DENY) {
		return decide_final(d, time_ms, DECIDE_DENIED,
		    DECIDE_REASON_DENY_LIST, DECIDE_NOBODY);
	}
	if (m->liveness == DECIDE_LIVENESS_PASSED)
		d->liveness_passed = 1;
	if (kind != DECIDE_KIND_UNKNOWN)
		d->unknown_only = 0;
	if (kind == DECIDE_KIND_VOTE) {
		if (d->voted == DECIDE_NOBODY)
			d->voted = m->identity;
		else if (d->voted != m->identity)
			d->conflict = 1;
	}
	d->window[d->next].kind = kind;
	d->window[d->next].identity = m->identity;
	d->next = (d->next + 1) % d->p.votes_n;
	if (d->counted < d->p.votes_n)
		d->counted++;
	return decide_settle(d, time_ms, 0);
}

/* A verified pass of HOLDER shown during the track. */
enum decide_verdict
decider_pass(struct decider *d, int64_t time_ms, int64_t holder)
{
	if (decide_quiet(d))
		return DECIDE_NONE;
	d->pass_seen = 1;
	d->pass_holder = holder;
	return decide_settle(d, time_ms, 0);
}

/* A verified PIN of HOLDER typed during the track. */
enum decide_verdict
decider_pin(struct decider *d, int64_t time_ms, int64_t holder)
{
	if (decide_quiet(d))
		return DECIDE_NONE;
	d->pin_seen = 1;
	d->pin_holder = holder;
	return decide_settle(d, time_ms, 0);
}

/* The track ended: the last chance of a verdict, then quiet for good. */
enum decide_verdict
decider_end(struct decider *d, int64_t time_ms)
{
	enum decide_verdict	v;

	if (decide_quiet(d))
		return DECIDE_NONE;
	v = decide_settle(d, time_ms, 1);
	if (v == DECIDE_NONE)
		d->state = DECIDER_ENDED;
	return v;
}

/*
 * The person K votes of the window are for now, with no veto, or
 * DECIDE_NOBODY: at a face+otp door, who the one-time code goes to.
 */
int64_t
decider_face(const struct decider *d)
{
	enum decide_reason	veto;

	if (decide_quiet(d) || decide_vetoed(d, &veto))
		return DECIDE_NOBODY;
	return decide_face(d);
}

/* The final verdict so far. */
void
decider_result(const struct decider *d, struct decide_result *r)
{
	*r = d->result;
}

/* The word of a verdict, as events name it. */
const char *
decide_verdict_name(enum decide_verdict v)
{
	switch (v) {
	case DECIDE_NONE:
		return "none";
	case DECIDE_GRANTED:
		return "granted";
	case DECIDE_DENIED:
		return "denied";
	case DECIDE_UNCERTAIN:
		return "uncertain";
	case DECIDE_PENDING:
		return "pending";
	}
	return "none";
}

/* The word of a reason, as events name it. */
const char *
decide_reason_name(enum decide_reason r)
{
	switch (r) {
	case DECIDE_REASON_NONE:
		return "none";
	case DECIDE_REASON_MATCH:
		return "match";
	case DECIDE_REASON_PASS:
		return "pass";
	case DECIDE_REASON_PIN:
		return "pin";
	case DECIDE_REASON_DENY_LIST:
		return "deny-list";
	case DECIDE_REASON_LIVENESS:
		return "liveness";
	case DECIDE_REASON_CONFLICT:
		return "conflict";
	case DECIDE_REASON_POLICY:
		return "policy";
	case DECIDE_REASON_UNCERTAIN:
		return "uncertain";
	case DECIDE_REASON_UNKNOWN:
		return "unknown";
	}
	return "none";
}
