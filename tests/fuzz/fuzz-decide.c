/*
 * libFuzzer target for the decision state machine (agent/decide.c). The
 * bytes are parameters and then a track: descriptors with any distances
 * (NaN included), deny-list, liveness and quality flags, passes, PINs and
 * ends, in any order. Whatever comes, a track gives at most one verdict,
 * nothing after its end, and a grant only when the inputs so far allow it
 * (computed here, independently of the decider): K votes in the window
 * for that person, no deny-listed match, no failed liveness, no votes for
 * two people, and the door's policy. Any violation aborts.
 *
 * Layout: 6 bytes of parameters (policy and flags, K, N, match_threshold,
 * match_margin, unknown_threshold), then 4 bytes per input (see below).
 */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decide.h"
#include "../unit/decide-oracle.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define FUZZ_MAX_INPUTS	128

/* What the inputs so far allow, followed alongside the decider. */
struct fuzz_oracle {
	const struct decide_params *p;
	struct decide_match	gated[FUZZ_MAX_INPUTS];
	int			ngated;
	int			deny_seen;
	int			live_failed;
	int			live_passed;
	int			pass_seen, pin_seen;
	int64_t			pass_holder, pin_holder;
	int			something;	/* a verdict is owed at the end */
	int			finals;
	int			ended;
};

/* Aborts with a message: an invariant is broken. */
static void
fuzz_fail(const char *what)
{
	fprintf(stderr, "fuzz-decide: %s\n", what);
	abort();
}

/* A distance from a byte: 0 to 2 by 1/128, and NaN and infinity. */
static double
fuzz_distance(uint8_t b)
{
	if (b == 255)
		return NAN;
	if (b == 254)
		return INFINITY;
	return b / 128.0;
}

/* An identity from two bits: nobody, 1, 2 or 3. */
static int64_t
fuzz_identity(unsigned v)
{
	return (v & 3) == 0 ? DECIDE_NOBODY : (int64_t)(v & 3);
}

/* Whether M is near nobody: an unknown face. */
static int
fuzz_unknown(const struct decide_params *p, const struct decide_match *m)
{
	return m->identity == DECIDE_NOBODY ||
	    (m->distance >= p->unknown_threshold &&
	    m->distance >= p->match_threshold);
}

/* Checks a grant of X against the policy and the vetoes. */
static void
fuzz_check_grant(const struct fuzz_oracle *o, int64_t x,
    enum decide_reason why)
{
	const struct decide_params	*p = o->p;
	int				 face_policy = 0;

	if (o->deny_seen)
		fuzz_fail("granted after a deny-listed match");
	if (o->live_failed)
		fuzz_fail("granted after failed liveness");
	if (decide_oracle_conflict(o->p, o->gated, o->ngated))
		fuzz_fail("granted with votes for two people");
	switch (p->policy) {
	case CONFIG_POLICY_FACE:
		if (why == DECIDE_REASON_PASS) {
			/* A pass needs no face, nor liveness. */
			if (!o->pass_seen || o->pass_holder != x)
				fuzz_fail("face: no pass of the person");
			break;
		}
		face_policy = 1;
		if (decide_oracle_window(o->p, o->gated, o->ngated, x) < p->votes_k)
			fuzz_fail("face: fewer than K votes");
		break;
	case CONFIG_POLICY_FACE_PIN:
	case CONFIG_POLICY_FACE_OTP:
		face_policy = 1;
		if (decide_oracle_window(o->p, o->gated, o->ngated, x) < p->votes_k)
			fuzz_fail("face+pin: fewer than K votes");
		if (!o->pin_seen || o->pin_holder != x)
			fuzz_fail("face+pin: no PIN of the person");
		break;
	case CONFIG_POLICY_QR:
		if (!o->pass_seen || o->pass_holder != x)
			fuzz_fail("qr: no pass of the person");
		break;
	case CONFIG_POLICY_QR_FACE:
		face_policy = 1;
		if (!o->pass_seen || o->pass_holder != x)
			fuzz_fail("qr+face: no pass of the person");
		if (x != DECIDE_NOBODY && decide_oracle_window(o->p, o->gated, o->ngated, x) < p->votes_k)
			fuzz_fail("qr+face: fewer than K votes");
		if (x == DECIDE_NOBODY && o->ngated == 0)
			fuzz_fail("qr+face: nobody seen");
		break;
	case CONFIG_POLICY_PIN:
		if (!p->allow_pin_only || !o->pin_seen || o->pin_holder != x)
			fuzz_fail("pin: not allowed or no PIN");
		break;
	default:
		fuzz_fail("granted under an unknown policy");
	}
	if (face_policy && p->require_liveness && !o->live_passed)
		fuzz_fail("granted without liveness");
}

/* Checks the verdict V of one input; M is the descriptor, if it was one. */
static void
fuzz_check(struct fuzz_oracle *o, const struct decider *d,
    enum decide_verdict v, const struct decide_match *m)
{
	const struct decide_params	*p = o->p;
	struct decide_result		 r;
	int				 deny_now = 0, i;

	if (m != NULL) {
		deny_now = m->quality && m->deny_listed &&
		    m->identity != DECIDE_NOBODY &&
		    m->distance >= 0 && m->distance < p->match_threshold;
		if (m->deny_listed && !fuzz_unknown(p, m))
			o->deny_seen = o->something = 1;
		if (m->liveness == DECIDE_LIVENESS_FAILED)
			o->live_failed = o->something = 1;
		if (m->quality) {
			o->gated[o->ngated++] = *m;
			o->something = 1;
			if (m->liveness == DECIDE_LIVENESS_PASSED)
				o->live_passed = 1;
		}
	}

	decider_result(d, &r);
	if (v == DECIDE_NONE) {
		if (deny_now && o->finals == 0 && !o->ended)
			fuzz_fail("deny-listed match not denied");
		return;
	}
	if (o->ended)
		fuzz_fail("a verdict after the end");
	if (++o->finals > 1)
		fuzz_fail("two final verdicts");
	if (r.verdict != v)
		fuzz_fail("result differs from the verdict returned");
	switch (v) {
	case DECIDE_GRANTED:
		fuzz_check_grant(o, r.identity, r.reason);
		break;
	case DECIDE_DENIED:
		if (!deny_now)
			fuzz_fail("denied without a gated deny-listed match");
		if (r.identity != DECIDE_NOBODY)
			fuzz_fail("denied names a person");
		break;
	case DECIDE_PENDING:
		if (o->ngated == 0 || o->deny_seen || o->live_failed)
			fuzz_fail("pending without cause");
		for (i = 0; i < o->ngated; i++) {
			if (!fuzz_unknown(p, &o->gated[i]))
				fuzz_fail("pending after a near match");
		}
		break;
	case DECIDE_UNCERTAIN:
		if (deny_now)
			fuzz_fail("uncertain on a deny-listed match");
		break;
	default:
		fuzz_fail("no such verdict");
	}
	if (v != DECIDE_GRANTED && r.identity != DECIDE_NOBODY)
		fuzz_fail("a verdict other than a grant names a person");
}

/* Whether P is what decider_new() must accept. */
static int
fuzz_params_valid(const struct decide_params *p)
{
	return isfinite(p->match_threshold) && p->match_threshold >= 0 &&
	    isfinite(p->match_margin) && p->match_margin >= 0 &&
	    isfinite(p->unknown_threshold) && p->unknown_threshold >= 0 &&
	    p->votes_k >= 1 && p->votes_n >= p->votes_k &&
	    p->votes_n <= DECIDE_MAX_VOTES;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct decide_params	 p;
	struct fuzz_oracle	 o;
	struct decider		*d;
	struct decide_match	 m;
	enum decide_verdict	 v;
	size_t			 at;
	int			 n = 0;

	if (size < 6)
		return 0;
	p.policy = (enum config_policy)(data[0] % 6);
	p.allow_pin_only = (data[0] >> 3) & 1;
	p.require_liveness = (data[0] >> 4) & 1;
	p.votes_k = data[1] % 34;
	p.votes_n = data[2] % 34;
	p.match_threshold = fuzz_distance(data[3]);
	p.match_margin = data[4] == 255 ? -0.5 : data[4] / 255.0;
	p.unknown_threshold = fuzz_distance(data[5]);

	d = decider_new(&p);
	if ((d != NULL) != fuzz_params_valid(&p))
		fuzz_fail("decider_new accepts what it should not, or not");
	if (d == NULL)
		return 0;
	memset(&o, 0, sizeof o);
	o.p = &p;

	/*
	 * Each input: op (low 3 bits: 0-3 descriptor, 4 pass, 5 PIN, 6-7
	 * end; bit 3 quality, bit 4 deny-listed, bits 5-6 liveness), the
	 * identities (two bits each), the distance, the second distance.
	 */
	for (at = 6; at + 4 <= size && n < FUZZ_MAX_INPUTS; at += 4, n++) {
		uint8_t	op = data[at] & 7;

		if (op <= 3) {
			m.identity = fuzz_identity(data[at + 1]);
			m.second_identity = fuzz_identity(data[at + 1] >> 2);
			m.distance = fuzz_distance(data[at + 2]);
			m.second_distance = fuzz_distance(data[at + 3]);
			m.quality = (data[at] >> 3) & 1;
			m.deny_listed = (data[at] >> 4) & 1;
			m.liveness = (enum decide_liveness)
			    (((data[at] >> 5) & 3) % 3);
			v = decider_observe(d, n, &m);
			fuzz_check(&o, d, v, &m);
		} else if (op == 4) {
			o.pass_seen = o.something = 1;
			o.pass_holder = fuzz_identity(data[at + 1]);
			v = decider_pass(d, n, o.pass_holder);
			fuzz_check(&o, d, v, NULL);
		} else if (op == 5) {
			o.pin_seen = o.something = 1;
			o.pin_holder = fuzz_identity(data[at + 1]);
			v = decider_pin(d, n, o.pin_holder);
			fuzz_check(&o, d, v, NULL);
		} else {
			v = decider_end(d, n);
			fuzz_check(&o, d, v, NULL);
			if (!o.ended && o.something && o.finals != 1)
				fuzz_fail("a track with something to say "
				    "ended silent");
			o.ended = 1;
		}
	}
	v = decider_end(d, n);
	fuzz_check(&o, d, v, NULL);
	if (!o.ended && o.something && o.finals != 1)
		fuzz_fail("a track with something to say ended silent");
	if (!o.something && o.finals != 0)
		fuzz_fail("a verdict about nothing");
	decider_free(d);
	return 0;
}
