/*
 * Failed attempts per key (agent/ratelimit.c): the backoff doubles, the
 * limit-th failure in the window locks out and says so once, lockouts
 * double up to the ceiling, a success or a quiet window forgets, keys are
 * apart, and a flood of keys never evicts a key that is locked out.
 */
#include <stdio.h>

#include "ratelimit.h"
#include "test.h"

static const struct ratelimit_params t_p = { 5, 10 * 60 * 1000,
    5 * 60 * 1000 };

TEST(backoff_then_lockout)
{
	struct ratelimit	*rl = ratelimit_new();
	int64_t			 now = 1000000, wait;
	int			 locked, i;

	CHECK_INT(ratelimit_wait(rl, "door", now, &locked), 0);
	/* Failures 1 to 4 back off 1, 2, 4 and 8 s. */
	for (i = 0; i < 4; i++) {
		CHECK_INT(ratelimit_fail(rl, &t_p, "door", now), 0);
		wait = ratelimit_wait(rl, "door", now, &locked);
		CHECK_INT(wait, 1000 << i);
		CHECK_INT(locked, 0);
		CHECK_INT(ratelimit_wait(rl, "door", now + wait, &locked), 0);
		now += wait;
	}
	/* The fifth locks out, once, for the lockout. */
	CHECK_INT(ratelimit_fail(rl, &t_p, "door", now), 1);
	CHECK_INT(ratelimit_wait(rl, "door", now, &locked), t_p.lockout_ms);
	CHECK_INT(locked, 1);
	/* A failure while locked out neither shortens nor restarts it. */
	CHECK_INT(ratelimit_fail(rl, &t_p, "door", now + 1), 0);
	CHECK_INT(ratelimit_wait(rl, "door", now + 1, &locked),
	    t_p.lockout_ms - 1);
	CHECK_INT(ratelimit_wait(rl, "door", now + t_p.lockout_ms, &locked),
	    0);
	/* Other keys are not touched. */
	CHECK_INT(ratelimit_wait(rl, "pass:1", now, &locked), 0);
	ratelimit_free(rl);
}

TEST(lockouts_double_up_to_a_day)
{
	struct ratelimit	*rl = ratelimit_new();
	int64_t			 now = 0, want = t_p.lockout_ms, got;
	int			 locked, i, k;

	for (k = 0; k < 12; k++) {
		for (i = 0; i < t_p.limit; i++) {
			now += ratelimit_wait(rl, "pin", now, &locked);
			CHECK_INT(ratelimit_fail(rl, &t_p, "pin", now),
			    i == t_p.limit - 1);
		}
		got = ratelimit_wait(rl, "pin", now, &locked);
		CHECK_INT(got, want);
		want = want * 2 < RATELIMIT_LOCKOUT_MAX_MS ? want * 2 :
		    RATELIMIT_LOCKOUT_MAX_MS;
		now += got;
	}
	CHECK_INT(ratelimit_wait(rl, "pin", now - 1, &locked), 1);
	/* A success forgets it all: the first failure backs off 1 s. */
	ratelimit_clear(rl, "pin");
	CHECK_INT(ratelimit_wait(rl, "pin", now, &locked), 0);
	CHECK_INT(ratelimit_fail(rl, &t_p, "pin", now), 0);
	CHECK_INT(ratelimit_wait(rl, "pin", now, &locked), 1000);
	ratelimit_free(rl);
}

TEST(window_forgets)
{
	struct ratelimit	*rl = ratelimit_new();
	int64_t			 now = 0;
	int			 locked, i;

	/* Four failures, a quiet window, four more: never locked. */
	for (i = 0; i < 4; i++)
		CHECK_INT(ratelimit_fail(rl, &t_p, "door", now + i), 0);
	now += t_p.window_ms + 10;
	for (i = 0; i < 4; i++)
		CHECK_INT(ratelimit_fail(rl, &t_p, "door", now + i), 0);
	CHECK_INT(ratelimit_fail(rl, &t_p, "door", now + 5), 1);
	CHECK(ratelimit_wait(rl, "door", now + 5, &locked) > 0 && locked);
	ratelimit_free(rl);
}

TEST(flood_keeps_lockouts)
{
	struct ratelimit	*rl = ratelimit_new();
	char			 key[32];
	int64_t			 now = 0;
	int			 locked, i;

	for (i = 0; i < t_p.limit; i++)
		ratelimit_fail(rl, &t_p, "door", now);
	CHECK(ratelimit_wait(rl, "door", now, &locked) > 0 && locked);
	/* Ten times the table in fresh keys, each failing once. */
	for (i = 0; i < 10 * RATELIMIT_KEYS; i++) {
		snprintf(key, sizeof key, "pass:%d", i);
		ratelimit_fail(rl, &t_p, key, now + 1);
	}
	CHECK(ratelimit_wait(rl, "door", now + 1, &locked) > 0 && locked);
	ratelimit_free(rl);
}

int
main(void)
{
	RUN(backoff_then_lockout);
	RUN(lockouts_double_up_to_a_day);
	RUN(window_forgets);
	RUN(flood_keeps_lockouts);
	return test_main_end("test-ratelimit");
}
