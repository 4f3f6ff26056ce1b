/*
 * Failed attempts per key, with backoff and lockout (ratelimit.h).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ratelimit.h"
#include "xmalloc.h"

/* Lockouts older than this are forgiven: the doubling restarts. */
#define RATELIMIT_MEMORY_MS	((int64_t)24 * 60 * 60 * 1000)

struct ratelimit_entry {
	char	 key[RATELIMIT_KEY_MAX];
	int	 used;
	int	 failures;	/* within the window */
	int64_t	 first;		/* the window's first failure */
	int64_t	 last;		/* the latest failure */
	int64_t	 until;		/* no try before this */
	int	 locked;	/* until is a lockout, not a backoff */
	int	 lockouts;	/* within RATELIMIT_MEMORY_MS */
};

struct ratelimit {
	struct ratelimit_entry	entries[RATELIMIT_KEYS];
};

struct ratelimit *
ratelimit_new(void)
{
	return xcalloc(1, sizeof (struct ratelimit));
}

void
ratelimit_free(struct ratelimit *rl)
{
	free(rl);
}

/* The entry of KEY, or NULL. */
static struct ratelimit_entry *
ratelimit_find(struct ratelimit *rl, const char *key)
{
	int	i;

	for (i = 0; i < RATELIMIT_KEYS; i++) {
		if (rl->entries[i].used &&
		    strncmp(rl->entries[i].key, key, RATELIMIT_KEY_MAX) == 0)
			return &rl->entries[i];
	}
	return NULL;
}

/*
 * A new entry for KEY: a free one, else the one whose latest failure is
 * oldest among those not locked out at NOW. When every one is locked out
 * (a flood of keys), the one whose lockout ends first: the door key
 * itself is locked out by then too.
 */
static struct ratelimit_entry *
ratelimit_add(struct ratelimit *rl, const char *key, int64_t now)
{
	struct ratelimit_entry	*e, *victim = NULL;
	int			 i;

	for (i = 0; i < RATELIMIT_KEYS; i++) {
		e = &rl->entries[i];
		if (!e->used) {
			victim = e;
			break;
		}
		if (e->locked && e->until > now)
			continue;
		if (victim == NULL || e->last < victim->last)
			victim = e;
	}
	if (victim == NULL) {
		victim = &rl->entries[0];
		for (i = 1; i < RATELIMIT_KEYS; i++) {
			if (rl->entries[i].until < victim->until)
				victim = &rl->entries[i];
		}
	}
	memset(victim, 0, sizeof *victim);
	victim->used = 1;
	snprintf(victim->key, sizeof victim->key, "%s", key);
	return victim;
}

int64_t
ratelimit_wait(struct ratelimit *rl, const char *key, int64_t now,
    int *locked)
{
	struct ratelimit_entry	*e = ratelimit_find(rl, key);

	*locked = 0;
	if (e == NULL || e->until <= now)
		return 0;
	*locked = e->locked;
	return e->until - now;
}

int
ratelimit_fail(struct ratelimit *rl, const struct ratelimit_params *p,
    const char *key, int64_t now)
{
	struct ratelimit_entry	*e;
	int64_t			 wait;
	int			 i;

	if ((e = ratelimit_find(rl, key)) == NULL)
		e = ratelimit_add(rl, key, now);
	/* Locked out: a failure now neither shortens nor adds to it. */
	if (e->locked && e->until > now)
		return 0;
	if (e->lockouts > 0 && now - e->last > RATELIMIT_MEMORY_MS)
		e->lockouts = 0;
	if (e->failures == 0 || now - e->first > p->window_ms) {
		e->failures = 0;
		e->first = now;
	}
	e->failures++;
	e->last = now;
	if (e->failures < p->limit) {
		wait = RATELIMIT_BACKOFF_MS;
		for (i = 1; i < e->failures && wait < p->lockout_ms; i++)
			wait *= 2;
		e->until = now + (wait < p->lockout_ms ? wait : p->lockout_ms);
		e->locked = 0;
		return 0;
	}
	wait = p->lockout_ms;
	for (i = 0; i < e->lockouts && wait < RATELIMIT_LOCKOUT_MAX_MS; i++)
		wait *= 2;
	if (wait > RATELIMIT_LOCKOUT_MAX_MS)
		wait = RATELIMIT_LOCKOUT_MAX_MS;
	e->until = now + wait;
	e->locked = 1;
	e->lockouts++;
	e->failures = 0;
	return 1;
}

void
ratelimit_clear(struct ratelimit *rl, const char *key)
{
	struct ratelimit_entry	*e = ratelimit_find(rl, key);

	if (e != NULL)
		memset(e, 0, sizeof *e);
}
