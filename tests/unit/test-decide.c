/*
 * Tests of agent/decide.c: each rule with hand-made tracks, the policy
 * matrix, and every track of up to six inputs over a small alphabet,
 * checked against invariants computed here from the inputs alone (an
 * oracle that does not look inside the decider).
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "decide.h"
#include "decide-oracle.h"
#include "test.h"

#define A	((int64_t)1)
#define B	((int64_t)2)
#define D	((int64_t)9)	/* on the deny list */

/* The configuration's defaults: 0.5, 0.05, 0.6, 3/5, face. */
static struct decide_params
params(enum config_policy policy)
{
	struct decide_params	p;

	p.match_threshold = 0.5;
	p.match_margin = 0.05;
	p.unknown_threshold = 0.6;
	p.votes_k = 3;
	p.votes_n = 5;
	p.policy = policy;
	p.allow_pin_only = 0;
	p.require_liveness = 0;
	return p;
}

/* A gated descriptor nearest to ID at DIST, the other person at DIST2. */
static struct decide_match
match(int64_t id, double dist, int64_t id2, double dist2)
{
	struct decide_match	m;

	m.identity = id;
	m.distance = dist;
	m.second_identity = id2;
	m.second_distance = dist2;
	m.deny_listed = id == D;
	m.liveness = DECIDE_LIVENESS_UNKNOWN;
	m.quality = 1;
	return m;
}

/* A clear vote for ID. */
static struct decide_match
vote(int64_t id)
{
	return match(id, 0.3, id == A ? B : A, 0.7);
}

/* Nobody near. */
static struct decide_match
unknown(void)
{
	return match(A, 0.75, B, 0.8);
}

/* Between the thresholds. */
static struct decide_match
gray(void)
{
	return match(A, 0.55, B, 0.8);
}

/* Feeds M N times from time T; returns the verdict of the last one. */
static enum decide_verdict
feed(struct decider *d, struct decide_match m, int n, int64_t t)
{
	enum decide_verdict	v = DECIDE_NONE;
	int			i;

	for (i = 0; i < n; i++)
		v = decider_observe(d, t + i, &m);
	return v;
}

TEST(grant_after_k_votes)
{
	struct decide_params	p = params(CONFIG_POLICY_FACE);
	struct decider		*d = decider_new(&p);
	struct decide_match	 m = vote(A);
	struct decide_result	 r;

	CHECK_INT(decider_observe(d, 100, &m), DECIDE_NONE);
	CHECK_INT(decider_observe(d, 200, &m), DECIDE_NONE);
	decider_result(d, &r);
	CHECK_INT(r.verdict, DECIDE_NONE);
	CHECK_INT(decider_observe(d, 300, &m), DECIDE_GRANTED);
	decider_result(d, &r);
	CHECK_INT(r.verdict, DECIDE_GRANTED);
	CHECK_INT(r.identity, A);
	CHECK_INT(r.time_ms, 300);
	CHECK_STR(decide_reason_name(r.reason), "match");
	CHECK_STR(decide_verdict_name(r.verdict), "granted");
	decider_free(d);
}

TEST(one_verdict_per_track)
{
	struct decide_params	p = params(CONFIG_POLICY_FACE);
	struct decider		*d = decider_new(&p);
	struct decide_match	 deny = match(D, 0.2, A, 0.9);
	struct decide_result	 r;

	CHECK_INT(feed(d, vote(A), 3, 0), DECIDE_GRANTED);
	/* Quiet for good: more votes, the deny list, a PIN, the end. */
	CHECK_INT(feed(d, vote(A), 10, 10), DECIDE_NONE);
	CHECK_INT(decider_observe(d, 30, &deny), DECIDE_NONE);
	CHECK_INT(decider_pin(d, 31, A), DECIDE_NONE);
	CHECK_INT(decider_end(d, 40), DECIDE_NONE);
	CHECK_INT(decider_end(d, 41), DECIDE_NONE);
	decider_result(d, &r);
	CHECK_INT(r.verdict, DECIDE_GRANTED);
	CHECK_INT(r.time_ms, 2);
	decider_free(d);
	decider_free(NULL);
}

TEST(deny_list_after_two_votes)
{
	struct decide_params	p = params(CONFIG_POLICY_FACE);
	struct decider		*d = decider_new(&p);
	struct decide_match	 deny = match(D, 0.45, A, 0.46);
	struct decide_result	 r;

	CHECK_INT(feed(d, vote(A), 2, 0), DECIDE_NONE);
	/* Under match_threshold, and the margin does not matter. */
	CHECK_INT(decider_observe(d, 5, &deny), DECIDE_DENIED);
	decider_result(d, &r);
	CHECK_INT(r.identity, DECIDE_NOBODY);
	CHECK_STR(decide_reason_name(r.reason), "deny-list");
	CHECK_INT(feed(d, vote(A), 5, 6), DECIDE_NONE);
	CHECK_INT(decider_end(d, 20), DECIDE_NONE);
	decider_free(d);
}

TEST(deny_list_gray_vetoes)
{
	struct decide_params	p = params(CONFIG_POLICY_FACE);
	struct decider		*d = decider_new(&p);
	struct decide_match	 deny = match(D, 0.55, A, 0.9);
	struct decide_result	 r;

	/* Between the thresholds: no alarm, but nobody is let in. */
	CHECK_INT(decider_observe(d, 0, &deny), DECIDE_NONE);
	CHECK_INT(feed(d, vote(A), 3, 1), DECIDE_NONE);
	CHECK_INT(decider_observe(d, 4, &deny), DECIDE_UNCERTAIN);
	decider_result(d, &r);
	CHECK_STR(decide_reason_name(r.reason), "deny-list");
	decider_free(d);

	/* Far from a deny-listed person is far from everybody. */
	d = decider_new(&p);
	deny = match(D, 0.7, A, 0.9);
	CHECK_INT(decider_observe(d, 0, &deny), DECIDE_NONE);
	CHECK_INT(feed(d, vote(A), 3, 1), DECIDE_GRANTED);
	decider_free(d);
}

TEST(margin_failure)
{
	struct decide_params	p = params(CONFIG_POLICY_FACE);
	struct decider		*d = decider_new(&p);
	struct decide_result	 r;

	/* A beats B by 0.04 < 0.05: five times, never a vote. */
	CHECK_INT(feed(d, match(A, 0.30, B, 0.34), 4, 0), DECIDE_NONE);
	CHECK_INT(feed(d, match(A, 0.30, B, 0.34), 1, 4), DECIDE_UNCERTAIN);
	decider_result(d, &r);
	CHECK_STR(decide_reason_name(r.reason), "uncertain");
	decider_free(d);

	/* Exactly the margin is enough (values exact in binary). */
	p.match_margin = 0.25;
	d = decider_new(&p);
	CHECK_INT(feed(d, match(A, 0.25, B, 0.5), 3, 0), DECIDE_GRANTED);
	decider_free(d);

	/* Only one person enrolled: no second, no margin to fail. */
	d = decider_new(&p);
	CHECK_INT(feed(d, match(A, 0.25, DECIDE_NOBODY, INFINITY), 3, 0),
	    DECIDE_GRANTED);
	decider_free(d);

	/* Broken inputs are gray: NaN, a negative distance, same person. */
	d = decider_new(&p);
	feed(d, match(A, NAN, B, 0.9), 1, 0);
	feed(d, match(A, -0.1, B, 0.9), 1, 1);
	feed(d, match(A, 0.1, A, 0.9), 1, 2);
	CHECK_INT(feed(d, match(A, 0.2, B, NAN), 1, 3), DECIDE_NONE);
	CHECK_INT(decider_end(d, 9), DECIDE_UNCERTAIN);
	decider_free(d);
}

TEST(gray_zone_uncertain_after_n)
{
	struct decide_params	p = params(CONFIG_POLICY_FACE);
	struct decider		*d = decider_new(&p);
	struct decide_result	 r;

	CHECK_INT(feed(d, gray(), 4, 0), DECIDE_NONE);
	CHECK_INT(feed(d, gray(), 1, 4), DECIDE_UNCERTAIN);
	decider_result(d, &r);
	CHECK_INT(r.time_ms, 4);
	CHECK_INT(feed(d, gray(), 5, 5), DECIDE_NONE);
	CHECK_INT(decider_end(d, 10), DECIDE_NONE);
	decider_free(d);

	/* Two votes and three gray: too few, uncertain. */
	d = decider_new(&p);
	feed(d, vote(A), 2, 0);
	CHECK_INT(feed(d, gray(), 3, 2), DECIDE_UNCERTAIN);
	decider_free(d);

	/* K of N in any order: gray, vote, gray, vote, vote. */
	d = decider_new(&p);
	feed(d, gray(), 1, 0);
	feed(d, vote(A), 1, 1);
	feed(d, gray(), 1, 2);
	feed(d, vote(A), 1, 3);
	CHECK_INT(feed(d, vote(A), 1, 4), DECIDE_GRANTED);
	decider_free(d);
}

TEST(unknown_pending_once)
{
	struct decide_params	p = params(CONFIG_POLICY_FACE);
	struct decider		*d = decider_new(&p);
	struct decide_result	 r;

	/* After N unknown descriptors: one pending request. */
	CHECK_INT(feed(d, unknown(), 4, 0), DECIDE_NONE);
	CHECK_INT(feed(d, unknown(), 1, 4), DECIDE_PENDING);
	decider_result(d, &r);
	CHECK_STR(decide_reason_name(r.reason), "unknown");
	CHECK_INT(feed(d, unknown(), 20, 5), DECIDE_NONE);
	CHECK_INT(decider_end(d, 30), DECIDE_NONE);
	decider_free(d);

	/* A short track: pending at its end, once. */
	d = decider_new(&p);
	CHECK_INT(feed(d, unknown(), 2, 0), DECIDE_NONE);
	CHECK_INT(decider_end(d, 5), DECIDE_PENDING);
	CHECK_INT(decider_end(d, 6), DECIDE_NONE);
	CHECK_INT(feed(d, unknown(), 5, 7), DECIDE_NONE);
	decider_free(d);

	/* No gallery at all (identity -1) is unknown too. */
	d = decider_new(&p);
	CHECK_INT(feed(d, match(DECIDE_NOBODY, INFINITY, DECIDE_NOBODY,
	    INFINITY), 5, 0), DECIDE_PENDING);
	decider_free(d);

	/* One gray descriptor among unknowns: ask, do not guess. */
	d = decider_new(&p);
	feed(d, unknown(), 4, 0);
	CHECK_INT(feed(d, gray(), 1, 4), DECIDE_UNCERTAIN);
	decider_free(d);

	/* A track with nothing gated says nothing. */
	d = decider_new(&p);
	CHECK_INT(decider_end(d, 0), DECIDE_NONE);
	decider_result(d, &r);
	CHECK_INT(r.verdict, DECIDE_NONE);
	decider_free(d);
}

TEST(conflict_never_grants)
{
	struct decide_params	p = params(CONFIG_POLICY_FACE);
	struct decider		*d = decider_new(&p);
	struct decide_result	 r;

	feed(d, vote(A), 2, 0);
	feed(d, vote(B), 1, 2);
	/* A has three of the last five, but B voted too. */
	CHECK_INT(feed(d, vote(A), 1, 3), DECIDE_NONE);
	CHECK_INT(feed(d, vote(A), 1, 4), DECIDE_UNCERTAIN);
	decider_result(d, &r);
	CHECK_STR(decide_reason_name(r.reason), "conflict");
	decider_free(d);
}

TEST(liveness_failed_or_required)
{
	struct decide_params	p = params(CONFIG_POLICY_FACE);
	struct decider		*d = decider_new(&p);
	struct decide_match	 m = vote(A);
	struct decide_result	 r;

	m.liveness = DECIDE_LIVENESS_FAILED;
	feed(d, vote(A), 2, 0);
	CHECK_INT(decider_observe(d, 2, &m), DECIDE_NONE);
	CHECK_INT(feed(d, vote(A), 1, 3), DECIDE_NONE);
	CHECK_INT(feed(d, vote(A), 1, 4), DECIDE_UNCERTAIN);
	decider_result(d, &r);
	CHECK_STR(decide_reason_name(r.reason), "liveness");
	decider_free(d);

	/* Failed on a frame that failed the gate: still a veto. */
	d = decider_new(&p);
	m.quality = 0;
	decider_observe(d, 0, &m);
	CHECK_INT(feed(d, vote(A), 4, 1), DECIDE_NONE);
	CHECK_INT(feed(d, vote(A), 1, 5), DECIDE_UNCERTAIN);
	decider_free(d);

	/*
	 * Required: unknown liveness is not enough; the matched face waits
	 * for it while the track lasts, and goes to the guard at its end ...
	 */
	p.require_liveness = 1;
	d = decider_new(&p);
	CHECK_INT(feed(d, vote(A), 4, 0), DECIDE_NONE);
	CHECK_INT(feed(d, vote(A), 3, 4), DECIDE_NONE);
	CHECK_INT(decider_end(d, 7), DECIDE_UNCERTAIN);
	decider_result(d, &r);
	CHECK_STR(decide_reason_name(r.reason), "liveness");
	decider_free(d);

	/* ... a blink after the votes opens ... */
	d = decider_new(&p);
	CHECK_INT(feed(d, vote(A), 6, 0), DECIDE_NONE);
	m = vote(A);
	m.liveness = DECIDE_LIVENESS_PASSED;
	CHECK_INT(decider_observe(d, 6, &m), DECIDE_GRANTED);
	decider_free(d);

	/* ... a failure while waiting does not. */
	d = decider_new(&p);
	CHECK_INT(feed(d, vote(A), 6, 0), DECIDE_NONE);
	m.liveness = DECIDE_LIVENESS_FAILED;
	CHECK_INT(decider_observe(d, 6, &m), DECIDE_UNCERTAIN);
	decider_result(d, &r);
	CHECK_STR(decide_reason_name(r.reason), "liveness");
	decider_free(d);

	/* ... one gated descriptor that passed is. */
	d = decider_new(&p);
	m = vote(A);
	m.liveness = DECIDE_LIVENESS_PASSED;
	feed(d, vote(A), 2, 0);
	CHECK_INT(decider_observe(d, 2, &m), DECIDE_GRANTED);
	decider_free(d);

	/* A pass from a frame that failed the gate does not count. */
	d = decider_new(&p);
	m.quality = 0;
	decider_observe(d, 0, &m);
	CHECK_INT(feed(d, vote(A), 3, 1), DECIDE_NONE);
	decider_free(d);
}

TEST(quality_failed_ignored)
{
	struct decide_params	p = params(CONFIG_POLICY_FACE);
	struct decider		*d = decider_new(&p);
	struct decide_match	 m = vote(A);

	/* Ungated votes never grant, however many. */
	m.quality = 0;
	CHECK_INT(feed(d, m, 20, 0), DECIDE_NONE);
	CHECK_INT(feed(d, vote(A), 2, 20), DECIDE_NONE);
	CHECK_INT(feed(d, vote(A), 1, 22), DECIDE_GRANTED);
	decider_free(d);

	/* Ungated unknowns make no pending request; the end says nothing. */
	d = decider_new(&p);
	m = unknown();
	m.quality = 0;
	CHECK_INT(feed(d, m, 10, 0), DECIDE_NONE);
	CHECK_INT(decider_end(d, 10), DECIDE_NONE);
	decider_free(d);

	/* An ungated deny-listed match: no alarm, but no grant either. */
	d = decider_new(&p);
	m = match(D, 0.2, A, 0.9);
	m.quality = 0;
	CHECK_INT(decider_observe(d, 0, &m), DECIDE_NONE);
	CHECK_INT(feed(d, vote(A), 4, 1), DECIDE_NONE);
	CHECK_INT(feed(d, vote(A), 1, 5), DECIDE_UNCERTAIN);
	decider_free(d);

	/* Ungated descriptors do not fill the window. */
	d = decider_new(&p);
	m = gray();
	m.quality = 0;
	feed(d, m, 10, 0);
	feed(d, vote(A), 2, 10);
	CHECK_INT(feed(d, vote(A), 1, 12), DECIDE_GRANTED);
	decider_free(d);
}

TEST(window_slides_while_awaiting)
{
	struct decide_params	p = params(CONFIG_POLICY_FACE_PIN);
	struct decider		*d;
	struct decide_result	 r;

	p.votes_k = 2;
	p.votes_n = 3;
	/* A A gray: the face holds, the PIN comes, granted. */
	d = decider_new(&p);
	feed(d, vote(A), 2, 0);
	CHECK_INT(feed(d, gray(), 1, 2), DECIDE_NONE);
	CHECK_INT(decider_pin(d, 3, A), DECIDE_GRANTED);
	decider_free(d);

	/* Two more gray: the votes left the window before the PIN. */
	d = decider_new(&p);
	feed(d, vote(A), 2, 0);
	CHECK_INT(feed(d, gray(), 3, 2), DECIDE_NONE);
	CHECK_INT(decider_pin(d, 5, A), DECIDE_NONE);
	CHECK_INT(decider_end(d, 6), DECIDE_UNCERTAIN);
	decider_result(d, &r);
	CHECK_STR(decide_reason_name(r.reason), "policy");
	decider_free(d);

	/* A face that never matched is judged at N, not awaited. */
	d = decider_new(&p);
	feed(d, gray(), 2, 0);
	CHECK_INT(feed(d, gray(), 1, 2), DECIDE_UNCERTAIN);
	decider_free(d);

	/* A deny-listed match while awaiting still wins. */
	d = decider_new(&p);
	feed(d, vote(A), 3, 0);
	CHECK_INT(feed(d, match(D, 0.4, A, 0.9), 1, 3), DECIDE_DENIED);
	decider_free(d);

	/* So does a liveness failure, at once (a veto after N). */
	d = decider_new(&p);
	feed(d, vote(A), 3, 0);
	{
		struct decide_match m = gray();

		m.liveness = DECIDE_LIVENESS_FAILED;
		m.quality = 0;
		CHECK_INT(decider_observe(d, 3, &m), DECIDE_UNCERTAIN);
	}
	decider_free(d);
}

/* One row of the policy matrix. */
struct policy_case {
	enum config_policy	policy;
	int			allow_pin;
	int			face;		/* 'A', 'B', 'u'nknown, 0 none */
	int64_t			pass;		/* -2: no pass */
	int64_t			pin;		/* -2: no PIN */
	enum decide_verdict	verdict;	/* at the end at the latest */
	int64_t			who;
	const char		*reason;
};

#define NO	((int64_t)-2)
#define VIS	DECIDE_NOBODY

static const struct policy_case policy_cases[] = {
	/* face: votes suffice; passes and PINs are not what opens it. */
	{ CONFIG_POLICY_FACE, 0, 'A', NO, NO, DECIDE_GRANTED, A, "match" },
	{ CONFIG_POLICY_FACE, 0, 'u', NO, NO, DECIDE_PENDING, VIS, "unknown" },
	{ CONFIG_POLICY_FACE, 1, 0, NO, A, DECIDE_UNCERTAIN, VIS, "policy" },
	{ CONFIG_POLICY_FACE, 0, 0, A, NO, DECIDE_GRANTED, A, "pass" },
	{ CONFIG_POLICY_FACE_OTP, 0, 'A', NO, A, DECIDE_GRANTED, A, "match" },
	{ CONFIG_POLICY_FACE_OTP, 0, 'A', NO, B, DECIDE_UNCERTAIN, VIS,
	    "policy" },
	{ CONFIG_POLICY_FACE_OTP, 0, 0, NO, A, DECIDE_UNCERTAIN, VIS,
	    "policy" },
	{ CONFIG_POLICY_FACE, 0, 0, NO, NO, DECIDE_NONE, VIS, "none" },
	/* face+pin: votes for X and X's PIN. */
	{ CONFIG_POLICY_FACE_PIN, 0, 'A', NO, A, DECIDE_GRANTED, A, "match" },
	{ CONFIG_POLICY_FACE_PIN, 0, 'A', NO, NO, DECIDE_UNCERTAIN, VIS,
	    "policy" },
	{ CONFIG_POLICY_FACE_PIN, 0, 'A', NO, B, DECIDE_UNCERTAIN, VIS,
	    "policy" },
	{ CONFIG_POLICY_FACE_PIN, 0, 'A', NO, VIS, DECIDE_UNCERTAIN, VIS,
	    "policy" },
	{ CONFIG_POLICY_FACE_PIN, 0, 'A', A, NO, DECIDE_UNCERTAIN, VIS,
	    "policy" },
	{ CONFIG_POLICY_FACE_PIN, 0, 0, NO, A, DECIDE_UNCERTAIN, VIS,
	    "policy" },
	{ CONFIG_POLICY_FACE_PIN, 0, 'u', NO, NO, DECIDE_PENDING, VIS,
	    "unknown" },
	/* qr: a verified pass alone, enrolled holder or not. */
	{ CONFIG_POLICY_QR, 0, 0, A, NO, DECIDE_GRANTED, A, "pass" },
	{ CONFIG_POLICY_QR, 0, 0, VIS, NO, DECIDE_GRANTED, VIS, "pass" },
	{ CONFIG_POLICY_QR, 0, 'u', VIS, NO, DECIDE_GRANTED, VIS, "pass" },
	{ CONFIG_POLICY_QR, 0, 'B', A, NO, DECIDE_GRANTED, A, "pass" },
	{ CONFIG_POLICY_QR, 0, 'A', NO, NO, DECIDE_UNCERTAIN, VIS, "policy" },
	{ CONFIG_POLICY_QR, 1, 'A', NO, A, DECIDE_UNCERTAIN, VIS, "policy" },
	{ CONFIG_POLICY_QR, 0, 'u', NO, NO, DECIDE_PENDING, VIS, "unknown" },
	/* qr+face: the pass and the holder's face (if enrolled). */
	{ CONFIG_POLICY_QR_FACE, 0, 'A', A, NO, DECIDE_GRANTED, A, "match" },
	{ CONFIG_POLICY_QR_FACE, 0, 'B', A, NO, DECIDE_UNCERTAIN, VIS,
	    "policy" },
	{ CONFIG_POLICY_QR_FACE, 0, 'u', A, NO, DECIDE_UNCERTAIN, VIS,
	    "policy" },
	{ CONFIG_POLICY_QR_FACE, 0, 0, A, NO, DECIDE_UNCERTAIN, VIS,
	    "policy" },
	{ CONFIG_POLICY_QR_FACE, 0, 'u', VIS, NO, DECIDE_GRANTED, VIS,
	    "pass" },
	{ CONFIG_POLICY_QR_FACE, 0, 0, VIS, NO, DECIDE_UNCERTAIN, VIS,
	    "policy" },
	{ CONFIG_POLICY_QR_FACE, 0, 'A', NO, NO, DECIDE_UNCERTAIN, VIS,
	    "policy" },
	/* pin: only when allowed. */
	{ CONFIG_POLICY_PIN, 0, 0, NO, A, DECIDE_UNCERTAIN, VIS, "policy" },
	{ CONFIG_POLICY_PIN, 0, 'A', NO, A, DECIDE_UNCERTAIN, VIS, "policy" },
	{ CONFIG_POLICY_PIN, 1, 0, NO, A, DECIDE_GRANTED, A, "pin" },
	{ CONFIG_POLICY_PIN, 1, 0, NO, VIS, DECIDE_GRANTED, VIS, "pin" },
	{ CONFIG_POLICY_PIN, 1, 'A', A, NO, DECIDE_UNCERTAIN, VIS, "policy" },
	{ CONFIG_POLICY_PIN, 1, 'u', NO, NO, DECIDE_PENDING, VIS, "unknown" },
};

/* Runs one row: the face (5 descriptors), then the pass, the PIN, the end. */
static void
policy_run(const struct policy_case *c, int pass_first)
{
	struct decide_params	p = params(c->policy);
	struct decider		*d;
	struct decide_result	 r;
	struct decide_match	 m;
	int			 finals = 0, step, i;

	p.allow_pin_only = c->allow_pin;
	d = decider_new(&p);
	m = c->face == 'A' ? vote(A) : c->face == 'B' ? vote(B) : unknown();
	for (step = 0; step < 3; step++) {
		if (step == (pass_first ? 0 : 1)) {
			if (c->pass != NO)
				finals += decider_pass(d, 10, c->pass) !=
				    DECIDE_NONE;
			if (c->pin != NO)
				finals += decider_pin(d, 11, c->pin) !=
				    DECIDE_NONE;
		} else if (step == (pass_first ? 1 : 0) && c->face != 0) {
			for (i = 0; i < 5; i++)
				finals += decider_observe(d, i, &m) !=
				    DECIDE_NONE;
		}
	}
	finals += decider_end(d, 20) != DECIDE_NONE;
	decider_result(d, &r);
	if (r.verdict != c->verdict || r.identity != c->who ||
	    strcmp(decide_reason_name(r.reason), c->reason) != 0 ||
	    finals != (c->verdict != DECIDE_NONE)) {
		fprintf(stderr, "policy case %d (%s first): %s %lld %s, "
		    "%d finals\n", (int)(c - policy_cases),
		    pass_first ? "pass" : "face",
		    decide_verdict_name(r.verdict), (long long)r.identity,
		    decide_reason_name(r.reason), finals);
		test_failed_checks++;
	}
	decider_free(d);
}

TEST(policy_matrix)
{
	size_t	i;

	for (i = 0; i < sizeof policy_cases / sizeof policy_cases[0]; i++) {
		policy_run(&policy_cases[i], 0);
		policy_run(&policy_cases[i], 1);
	}
}

TEST(pin_refused_unless_allowed)
{
	struct decide_params	p = params(CONFIG_POLICY_PIN);
	struct decider		*d = decider_new(&p);

	CHECK_INT(decider_pin(d, 0, A), DECIDE_NONE);
	CHECK_INT(decider_pin(d, 1, A), DECIDE_NONE);
	CHECK_INT(decider_end(d, 2), DECIDE_UNCERTAIN);
	decider_free(d);

	p.allow_pin_only = 1;
	d = decider_new(&p);
	CHECK_INT(decider_pin(d, 0, A), DECIDE_GRANTED);
	decider_free(d);

	/* A PIN does not beat the deny list. */
	d = decider_new(&p);
	feed(d, match(D, 0.55, A, 0.9), 1, 0);
	CHECK_INT(decider_pin(d, 1, A), DECIDE_NONE);
	decider_free(d);
}

TEST(bad_params)
{
	struct decide_params	p = params(CONFIG_POLICY_FACE);
	struct decide_params	q;
	struct decider		*d;

	d = decider_new(&p);
	CHECK(d != NULL);
	decider_free(d);
	q = p; q.votes_k = 0;
	CHECK(decider_new(&q) == NULL);
	q = p; q.votes_k = 6;
	CHECK(decider_new(&q) == NULL);
	q = p; q.votes_n = 33; q.votes_k = 3;
	CHECK(decider_new(&q) == NULL);
	q = p; q.match_threshold = NAN;
	CHECK(decider_new(&q) == NULL);
	q = p; q.match_margin = -1;
	CHECK(decider_new(&q) == NULL);
	q = p; q.unknown_threshold = INFINITY;
	CHECK(decider_new(&q) == NULL);
	q = p; q.policy = (enum config_policy)7;
	CHECK(decider_new(&q) == NULL);
	q = p; q.votes_k = 32; q.votes_n = 32;
	d = decider_new(&q);
	CHECK(d != NULL);
	decider_free(d);
}

/*
 * The exhaustive check. An input is a descriptor, a pass or a PIN; the
 * oracle follows the track and checks each verdict against what the
 * inputs so far allow, never against the decider's own state.
 */
enum input_kind { IN_OBS, IN_PASS, IN_PIN };

struct input {
	enum input_kind		kind;
	struct decide_match	m;
	int64_t			holder;
};

struct oracle {
	const struct decide_params *p;
	struct decide_match	gated[16];
	int			ngated;
	int			deny_seen;	/* deny-listed, < unknown */
	int			live_failed;
	int			live_passed;	/* gated */
	int			pass_seen, pin_seen;
	int64_t			pass_holder, pin_holder;
	int			finals;
	int			bad;
};

/* Whether a policy reads the face. */
static int
oracle_face_policy(enum config_policy policy)
{
	return policy == CONFIG_POLICY_FACE ||
	    policy == CONFIG_POLICY_FACE_PIN ||
	    policy == CONFIG_POLICY_FACE_OTP || policy == CONFIG_POLICY_QR_FACE;
}

#define ORACLE_FAIL(o, what) do {					\
	if ((o)->bad == 0)						\
		fprintf(stderr, "invariant: %s\n", (what));		\
	(o)->bad++;							\
} while (0)

/* Checks verdict V, returned by input IN (NULL: the end). */
static void
oracle_step(struct oracle *o, const struct input *in, enum decide_verdict v,
    const struct decider *d)
{
	const struct decide_params	*p = o->p;
	const struct decide_match	*m = in != NULL && in->kind == IN_OBS ?
					    &in->m : NULL;
	struct decide_result		 r;
	int				 deny_now, i, finals_before;
	int64_t				 x;

	deny_now = m != NULL && m->quality && m->deny_listed &&
	    m->identity != DECIDE_NOBODY && m->distance < p->match_threshold;
	if (m != NULL) {
		if (m->deny_listed && m->identity != DECIDE_NOBODY &&
		    m->distance < p->unknown_threshold)
			o->deny_seen = 1;
		if (m->liveness == DECIDE_LIVENESS_FAILED)
			o->live_failed = 1;
		if (m->quality) {
			o->gated[o->ngated++] = *m;
			if (m->liveness == DECIDE_LIVENESS_PASSED)
				o->live_passed = 1;
		}
	} else if (in != NULL && in->kind == IN_PASS) {
		o->pass_seen = 1;
		o->pass_holder = in->holder;
	} else if (in != NULL && in->kind == IN_PIN) {
		o->pin_seen = 1;
		o->pin_holder = in->holder;
	}

	finals_before = o->finals;
	if (v != DECIDE_NONE)
		o->finals++;
	if (o->finals > 1)
		ORACLE_FAIL(o, "two final verdicts");
	decider_result(d, &r);
	if (v != DECIDE_NONE && r.verdict != v)
		ORACLE_FAIL(o, "result differs from the verdict returned");
	if (deny_now && finals_before == 0 && v != DECIDE_DENIED)
		ORACLE_FAIL(o, "deny-listed match not denied");
	if (v == DECIDE_DENIED && !deny_now)
		ORACLE_FAIL(o, "denied without a gated deny-listed match");
	if (v == DECIDE_PENDING) {
		if (o->ngated == 0 || o->deny_seen || o->live_failed)
			ORACLE_FAIL(o, "pending without cause");
		for (i = 0; i < o->ngated; i++) {
			if (o->gated[i].identity != DECIDE_NOBODY &&
			    o->gated[i].distance < p->unknown_threshold)
				ORACLE_FAIL(o, "pending after a near match");
		}
	}
	if (v != DECIDE_GRANTED)
		return;

	x = r.identity;
	if (o->deny_seen)
		ORACLE_FAIL(o, "granted after a deny-listed match");
	if (o->live_failed)
		ORACLE_FAIL(o, "granted after failed liveness");
	if (decide_oracle_conflict(o->p, o->gated, o->ngated))
		ORACLE_FAIL(o, "granted with votes for two people");
	switch (p->policy) {
	case CONFIG_POLICY_FACE:
		if (r.reason == DECIDE_REASON_PASS) {
			if (!o->pass_seen || o->pass_holder != x)
				ORACLE_FAIL(o, "face: no pass of the person");
			return;	/* a pass needs no face, nor liveness */
		}
		if (decide_oracle_window(o->p, o->gated, o->ngated, x) < p->votes_k)
			ORACLE_FAIL(o, "face: fewer than K votes");
		break;
	case CONFIG_POLICY_FACE_PIN:
	case CONFIG_POLICY_FACE_OTP:
		if (decide_oracle_window(o->p, o->gated, o->ngated, x) < p->votes_k)
			ORACLE_FAIL(o, "face+pin: fewer than K votes");
		if (!o->pin_seen || o->pin_holder != x)
			ORACLE_FAIL(o, "face+pin: no PIN of the person");
		break;
	case CONFIG_POLICY_QR:
		if (!o->pass_seen || o->pass_holder != x)
			ORACLE_FAIL(o, "qr: no pass of the person");
		break;
	case CONFIG_POLICY_QR_FACE:
		if (!o->pass_seen || o->pass_holder != x)
			ORACLE_FAIL(o, "qr+face: no pass of the person");
		if (x != DECIDE_NOBODY && decide_oracle_window(o->p, o->gated, o->ngated, x) < p->votes_k)
			ORACLE_FAIL(o, "qr+face: fewer than K votes");
		if (x == DECIDE_NOBODY && o->ngated == 0)
			ORACLE_FAIL(o, "qr+face: nobody seen");
		break;
	case CONFIG_POLICY_PIN:
		if (!p->allow_pin_only || !o->pin_seen || o->pin_holder != x)
			ORACLE_FAIL(o, "pin: not allowed or no PIN");
		break;
	}
	if (p->require_liveness && oracle_face_policy(p->policy) &&
	    !o->live_passed)
		ORACLE_FAIL(o, "granted without liveness");
}

/*
 * Runs the track SEQ (LEN inputs, then the end) and checks it. At a face
 * door it also checks that a grant is not withheld: with K votes, no veto
 * and liveness as required, the input that completes them grants.
 */
static int
oracle_run(const struct decide_params *p, const struct input *seq, int len)
{
	struct oracle		 o;
	struct decider		*d = decider_new(p);
	enum decide_verdict	 v;
	int			 i, anything = 0;

	memset(&o, 0, sizeof o);
	o.p = p;
	for (i = 0; i < len; i++) {
		const struct input *in = &seq[i];

		switch (in->kind) {
		case IN_OBS:
			v = decider_observe(d, i, &in->m);
			anything |= in->m.quality ||
			    in->m.liveness == DECIDE_LIVENESS_FAILED ||
			    (in->m.deny_listed &&
			    in->m.distance < p->unknown_threshold);
			break;
		case IN_PASS:
			v = decider_pass(d, i, in->holder);
			anything = 1;
			break;
		default:
			v = decider_pin(d, i, in->holder);
			anything = 1;
			break;
		}
		oracle_step(&o, in, v, d);
		if (p->policy == CONFIG_POLICY_FACE && o.finals == 0 &&
		    in->kind == IN_OBS && o.ngated > 0 && !o.deny_seen &&
		    !o.live_failed && !decide_oracle_conflict(o.p, o.gated, o.ngated) &&
		    (!p->require_liveness || o.live_passed) &&
		    decide_oracle_window(o.p, o.gated, o.ngated, o.gated[o.ngated - 1].identity) >=
		    p->votes_k)
			ORACLE_FAIL(&o, "face: grant withheld");
	}
	v = decider_end(d, len);
	oracle_step(&o, NULL, v, d);
	if (anything && o.finals != 1)
		ORACLE_FAIL(&o, "a track with something to say ended silent");
	if (!anything && o.finals != 0)
		ORACLE_FAIL(&o, "a verdict about nothing");
	decider_free(d);
	return o.bad;
}

/* The alphabet: a few kinds of descriptor, passes and PINs. */
static struct input alphabet[13];
static const char *alphabet_names[13];
static int nalphabet;

/* Adds a symbol. */
static void
alphabet_add(const char *name, enum input_kind kind, struct decide_match m,
    int64_t holder)
{
	alphabet[nalphabet].kind = kind;
	alphabet[nalphabet].m = m;
	alphabet[nalphabet].holder = holder;
	alphabet_names[nalphabet++] = name;
}

/* Fills the alphabet; WITH_INPUTS adds passes and PINs. */
static void
alphabet_fill(int with_inputs)
{
	struct decide_match	m;

	nalphabet = 0;
	alphabet_add("vA", IN_OBS, vote(A), 0);
	alphabet_add("vB", IN_OBS, vote(B), 0);
	alphabet_add("gray", IN_OBS, gray(), 0);
	alphabet_add("margin", IN_OBS, match(A, 0.3, B, 0.32), 0);
	alphabet_add("unk", IN_OBS, unknown(), 0);
	alphabet_add("deny", IN_OBS, match(D, 0.3, A, 0.7), 0);
	m = vote(A);
	m.liveness = DECIDE_LIVENESS_FAILED;
	alphabet_add("vA-dead", IN_OBS, m, 0);
	m = vote(A);
	m.liveness = DECIDE_LIVENESS_PASSED;
	alphabet_add("vA-live", IN_OBS, m, 0);
	m = match(D, 0.3, A, 0.7);
	m.quality = 0;
	alphabet_add("deny-blurry", IN_OBS, m, 0);
	if (!with_inputs)
		return;
	m = unknown();
	m.liveness = DECIDE_LIVENESS_PASSED;
	alphabet_add("unk-live", IN_OBS, m, 0);
	alphabet_add("passA", IN_PASS, m, A);
	alphabet_add("passV", IN_PASS, m, DECIDE_NOBODY);
	alphabet_add("pinA", IN_PIN, m, A);
}

/* Every track of up to MAXLEN symbols; returns how many were checked. */
static long
exhaust(const struct decide_params *p, int maxlen)
{
	struct input	seq[8];
	int		idx[8], len, i, k;
	long		n = 0;

	for (len = 0; len <= maxlen; len++) {
		for (i = 0; i < len; i++)
			idx[i] = 0;
		for (;;) {
			for (i = 0; i < len; i++)
				seq[i] = alphabet[idx[i]];
			n++;
			if (oracle_run(p, seq, len) != 0) {
				fprintf(stderr, "%s: policy %d, %d/%d, "
				    "liveness %d, pin %d, track:", test_current,
				    p->policy, p->votes_k, p->votes_n,
				    p->require_liveness, p->allow_pin_only);
				for (i = 0; i < len; i++)
					fprintf(stderr, " %s",
					    alphabet_names[idx[i]]);
				fprintf(stderr, "\n");
				test_failed_checks++;
				return n;
			}
			for (k = len - 1; k >= 0; k--) {
				if (++idx[k] < nalphabet)
					break;
				idx[k] = 0;
			}
			if (k < 0)
				break;
		}
	}
	return n;
}

TEST(exhaustive_face)
{
	struct decide_params	p = params(CONFIG_POLICY_FACE);
	long			n = 0;
	int			live, votes;
	static const int	kn[][2] = { { 3, 5 }, { 2, 3 }, { 1, 1 } };

	alphabet_fill(0);
	for (votes = 0; votes < 3; votes++) {
		for (live = 0; live < 2; live++) {
			p.votes_k = kn[votes][0];
			p.votes_n = kn[votes][1];
			p.require_liveness = live;
			n += exhaust(&p, 6);
		}
	}
	printf("exhaustive_face: %ld tracks\n", n);
}

TEST(exhaustive_policies)
{
	static const enum config_policy	policies[] = {
		CONFIG_POLICY_FACE, CONFIG_POLICY_FACE_PIN,
		CONFIG_POLICY_FACE_OTP, CONFIG_POLICY_QR,
		CONFIG_POLICY_QR_FACE, CONFIG_POLICY_PIN,
	};
	struct decide_params		p;
	long				n = 0;
	size_t				i;
	int				allow;

	alphabet_fill(1);
	for (i = 0; i < sizeof policies / sizeof policies[0]; i++) {
		for (allow = 0; allow < 2; allow++) {
			p = params(policies[i]);
			p.votes_k = 2;
			p.votes_n = 3;
			p.allow_pin_only = allow;
			p.require_liveness = allow;
			n += exhaust(&p, 5);
		}
	}
	printf("exhaustive_policies: %ld tracks\n", n);
}

int
main(void)
{
	RUN(grant_after_k_votes);
	RUN(one_verdict_per_track);
	RUN(deny_list_after_two_votes);
	RUN(deny_list_gray_vetoes);
	RUN(margin_failure);
	RUN(gray_zone_uncertain_after_n);
	RUN(unknown_pending_once);
	RUN(conflict_never_grants);
	RUN(liveness_failed_or_required);
	RUN(quality_failed_ignored);
	RUN(window_slides_while_awaiting);
	RUN(policy_matrix);
	RUN(pin_refused_unless_allowed);
	RUN(bad_params);
	RUN(exhaustive_face);
	RUN(exhaustive_policies);
	return test_main_end("test-decide");
}
