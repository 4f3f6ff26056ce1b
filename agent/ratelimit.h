/*
 * Failed attempts at a door, counted per key ("door", "pass:ID",
 * "person:ID") to slow down and then stop someone guessing PINs or trying
 * passes. A pure table: no clock, no I/O; every call carries its time in
 * milliseconds.
 *
 * After F failures within the window (F below the limit) the key backs
 * off: its next try waits RATELIMIT_BACKOFF_MS * 2^(F-1). The LIMIT-th
 * failure within the window locks the key out for the lockout time,
 * doubled for each earlier lockout of the key that day (at most
 * RATELIMIT_LOCKOUT_MAX_MS); failures while it is locked out change
 * nothing. A success forgets the key's failures.
 */
#ifndef RATELIMIT_H
#define RATELIMIT_H

#include <stdint.h>

/* The first backoff: a second is nothing to a person who mistyped. */
#define RATELIMIT_BACKOFF_MS		1000
/* The longest lockout, however often a key was locked out. */
#define RATELIMIT_LOCKOUT_MAX_MS	((int64_t)24 * 60 * 60 * 1000)
/* Keys remembered; the stalest one makes room (never a locked one). */
#define RATELIMIT_KEYS			256
#define RATELIMIT_KEY_MAX		48

struct ratelimit_params {
	int	limit;		/* failures within the window that lock */
	int64_t	window_ms;
	int64_t	lockout_ms;	/* the first lockout */
};

struct ratelimit;

struct ratelimit *ratelimit_new(void);
void	 ratelimit_free(struct ratelimit *);
/*
 * 0 if KEY may try at NOW, else the milliseconds until it may: *LOCKED is
 * 1 when it is locked out, 0 when it is backing off.
 */
int64_t	 ratelimit_wait(struct ratelimit *, const char *key, int64_t now,
	     int *locked);
/*
 * Records a failure of KEY at NOW. Returns 1 if this failure locked KEY
 * out (raise an alarm), else 0.
 */
int	 ratelimit_fail(struct ratelimit *, const struct ratelimit_params *,
	     const char *key, int64_t now);
/* A success: KEY's failures and lockouts are forgotten. */
void	 ratelimit_clear(struct ratelimit *, const char *key);

#endif
