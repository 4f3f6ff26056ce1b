/*
 * The decision of one track: a pure, deterministic state machine fed with
 * the track's observations (a descriptor matched against the gallery), the
 * verified passes and PINs shown during it, and its end. No clock, no I/O:
 * every input carries its time in milliseconds, used only to stamp the
 * result. One track is one visit and yields at most one final verdict
 * (one event, one pending request, one notification); every input after
 * that returns DECIDE_NONE.
 *
 * The rules, the states and the reason behind each are in decide.c.
 */
#ifndef DECIDE_H
#define DECIDE_H

#include <stdint.h>

#include "config.h"

/* No identity: no match, a pass or PIN of someone without a face. */
#define DECIDE_NOBODY		((int64_t)-1)
/* The largest N of match_votes (config-keywords.h). */
#define DECIDE_MAX_VOTES	32

enum decide_verdict {
	DECIDE_NONE,		/* keep watching (or already decided) */
	DECIDE_GRANTED,		/* open the door for the result's identity */
	DECIDE_DENIED,		/* deny-listed: no entry, alarm */
	DECIDE_UNCERTAIN,	/* ask the guard, never guess */
	DECIDE_PENDING,		/* unknown visitor: one pending request */
};

/* Why; decide_reason_name() gives the word used in events. */
enum decide_reason {
	DECIDE_REASON_NONE,		/* "none" */
	DECIDE_REASON_MATCH,		/* "match": face votes (+ PIN/pass) */
	DECIDE_REASON_PASS,		/* "pass": a verified QR pass */
	DECIDE_REASON_PIN,		/* "pin": a verified PIN */
	DECIDE_REASON_DENY_LIST,	/* "deny-list" */
	DECIDE_REASON_LIVENESS,		/* "liveness": failed, or not passed */
	DECIDE_REASON_CONFLICT,		/* "conflict": votes for two people */
	DECIDE_REASON_POLICY,		/* "policy": the door wants more */
	DECIDE_REASON_UNCERTAIN,	/* "uncertain": no clear match */
	DECIDE_REASON_UNKNOWN,		/* "unknown": nobody enrolled */
};

enum decide_liveness {
	DECIDE_LIVENESS_UNKNOWN,
	DECIDE_LIVENESS_PASSED,
	DECIDE_LIVENESS_FAILED,
};

/* From the configuration: match_*, unknown_threshold, policy, ... */
struct decide_params {
	double			match_threshold;
	double			match_margin;
	double			unknown_threshold;
	int			votes_k;	/* 1 <= K <= N */
	int			votes_n;	/* N <= DECIDE_MAX_VOTES */
	enum config_policy	policy;
	int			allow_pin_only;	/* else policy pin never grants */
	int			require_liveness; /* a face grant needs "passed" */
};

/* One descriptor of the track, as gallery_search() matched it. */
struct decide_match {
	int64_t			identity;	/* best, DECIDE_NOBODY if none */
	double			distance;	/* INFINITY if none */
	int64_t			second_identity; /* best other person */
	double			second_distance; /* INFINITY if none */
	int			deny_listed;	/* IDENTITY is on the deny list */
	enum decide_liveness	liveness;
	int			quality;	/* the frame passed the gate */
};

/* The final verdict of a track, once there is one. */
struct decide_result {
	enum decide_verdict	verdict;	/* DECIDE_NONE while watching */
	enum decide_reason	reason;
	int64_t			identity;	/* GRANTED: who; else NOBODY */
	int64_t			time_ms;	/* of the input that decided */
};

struct decider;

/* Fills P from the configuration C. */
void		 decide_params_from_config(struct decide_params *p,
		     const struct config *c);
/* A decider for a new track, or NULL if P is out of range. */
struct decider	*decider_new(const struct decide_params *p);
void		 decider_free(struct decider *);
/*
 * Feeds one descriptor. Each input returns the verdict it made final, or
 * DECIDE_NONE; so a track returns a verdict other than NONE at most once.
 */
enum decide_verdict decider_observe(struct decider *, int64_t time_ms,
		     const struct decide_match *m);
/* A verified QR pass of HOLDER (DECIDE_NOBODY: a holder without a face). */
enum decide_verdict decider_pass(struct decider *, int64_t time_ms,
		     int64_t holder);
/* A verified PIN of HOLDER (DECIDE_NOBODY: a visitor's PIN). */
enum decide_verdict decider_pin(struct decider *, int64_t time_ms,
		     int64_t holder);
/* The track ended (lost or left): the last chance of a verdict. */
enum decide_verdict decider_end(struct decider *, int64_t time_ms);
/*
 * The person K votes of the window are for while the track has no veto
 * and no verdict, else DECIDE_NOBODY (face+otp: who gets the code).
 */
int64_t		 decider_face(const struct decider *);
/* The final verdict so far (DECIDE_NONE while watching). */
void		 decider_result(const struct decider *, struct decide_result *);
const char	*decide_verdict_name(enum decide_verdict);
const char	*decide_reason_name(enum decide_reason);

#endif
