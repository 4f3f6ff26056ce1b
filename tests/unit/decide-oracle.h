/*
 * The voting rules of agent/decide.c written again, plainly, for the unit
 * test and the fuzz target to check the decider against: they share this
 * reference, not the code under test.
 */
#ifndef DECIDE_ORACLE_H
#define DECIDE_ORACLE_H

#include "decide.h"

/* Whether a gated M is a vote for its identity, by the rule itself. */
static inline int
decide_oracle_vote(const struct decide_params *p, const struct decide_match *m)
{
	return m->identity != DECIDE_NOBODY && !m->deny_listed &&
	    m->distance >= 0 && m->distance < p->match_threshold &&
	    m->second_identity != m->identity &&
	    m->second_distance - m->distance >= p->match_margin;
}

/* Votes for X among the last N of the NGATED gated descriptors. */
static inline int
decide_oracle_window(const struct decide_params *p,
    const struct decide_match *gated, int ngated, int64_t x)
{
	int	i, votes = 0;

	for (i = ngated - p->votes_n; i < ngated; i++) {
		if (i >= 0 && gated[i].identity == x &&
		    decide_oracle_vote(p, &gated[i]))
			votes++;
	}
	return votes;
}

/* Whether the gated descriptors voted for two different people. */
static inline int
decide_oracle_conflict(const struct decide_params *p,
    const struct decide_match *gated, int ngated)
{
	int64_t	first = DECIDE_NOBODY;
	int	i;

	for (i = 0; i < ngated; i++) {
		if (!decide_oracle_vote(p, &gated[i]))
			continue;
		if (first == DECIDE_NOBODY)
			first = gated[i].identity;
		else if (first != gated[i].identity)
			return 1;
	}
	return 0;
}

#endif
