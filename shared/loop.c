#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "loop.h"
#include "xmalloc.h"

/*
 * Files are a table indexed by fd, grown on demand (no fixed limit). The
 * pollfd set is rebuilt at the start of each pass from the live slots and
 * remembers each slot's serial number: every loop_add_fd() takes a fresh
 * serial, so when an event is dispatched a slot that was deleted (cb NULL)
 * or deleted and reused by a new fd during the pass no longer matches and
 * is skipped. A deleted slot is therefore simply cleared; nothing needs
 * reaping. Callbacks may grow the table, so no slot pointer is held across
 * a callback.
 */
struct loop_file {
	loop_fd_cb	*cb;		/* NULL when the slot is free */
	void		*arg;
	int		 mask;
	uint64_t	 serial;
};

/*
 * Timers are an unsorted array scanned linearly, not a heap: a door box has
 * tens of timers, the pass is already linear in the number of fds, and a
 * scan makes delete-by-id trivial and keeps ids stable. Due timers are
 * sorted by (due time, id) before dispatch so they fire in order. A deleted
 * timer is marked dead and reaped after the pass, so indices stay valid
 * while callbacks run. Each pass fires a timer at most once, and a timer
 * added by a timer callback waits for the next pass, so a zero delay cannot
 * starve the fds.
 */
struct loop_timer {
	uint64_t	 id;
	int64_t		 when;		/* due, loop_now_ms() */
	loop_timer_cb	*cb;
	void		*arg;
	int		 dead;
};

struct loop_due {
	int64_t		 when;
	uint64_t	 id;
	size_t		 idx;
};

struct loop_signal {
	loop_signal_cb	*cb;		/* NULL when not handled */
	void		*arg;
	struct sigaction old;
};

struct loop {
	struct loop_file	*files;
	int			 nfiles;	/* slots in files */
	int			 nlive;		/* slots with a cb */
	uint64_t		 serial;

	struct pollfd		*pfds;
	uint64_t		*pserial;	/* serial of each pfds entry */
	size_t			 pfds_size;

	struct loop_timer	*timers;
	size_t			 ntimers;
	size_t			 timers_size;
	size_t			 ndead;
	uint64_t		 timer_id;
	struct loop_due		*due;
	size_t			 due_size;

	loop_sleep_cb		*before_sleep;
	void			*before_sleep_arg;

	struct loop_signal	*signals;	/* NSIG slots once used */
	int			 signal_pipe[2];

	int			 stop;
};

/* The write end of the owning loop's self-pipe, for the handler. */
static volatile sig_atomic_t	loop_signal_fd = -1;

/*
 * At most this many signal numbers are read from the pipe per pass; the
 * rest wait for the next pass, so a signal flood cannot starve the fds.
 */
#define LOOP_SIGNAL_BATCH	256

/* Creates an empty loop. */
struct loop *
loop_new(void)
{
	struct loop	*l;

	l = xcalloc(1, sizeof *l);
	l->signal_pipe[0] = l->signal_pipe[1] = -1;
	return l;
}

/* Frees a loop, restoring signal dispositions; registered fds stay open. */
void
loop_free(struct loop *l)
{
	int	signo;

	if (l == NULL)
		return;
	if (l->signals != NULL) {
		for (signo = 1; signo < NSIG; signo++)
			loop_del_signal(l, signo);
		free(l->signals);
	}
	if (l->signal_pipe[0] != -1) {
		loop_signal_fd = -1;
		close(l->signal_pipe[0]);
		close(l->signal_pipe[1]);
	}
	free(l->files);
	free(l->pfds);
	free(l->pserial);
	free(l->timers);
	free(l->due);
	free(l);
}

/* Registers FD for the events in MASK. */
int
loop_add_fd(struct loop *l, int fd, int mask, loop_fd_cb *cb, void *arg)
{
	struct loop_file	*f;
	int			 n;

	if (fd < 0) {
		errno = EBADF;
		return -1;
	}
	if (cb == NULL) {
		errno = EINVAL;
		return -1;
	}
	if (fd >= l->nfiles) {
		n = l->nfiles < 64 ? 64 : l->nfiles;
		while (n <= fd)
			n = n > INT_MAX / 2 ? INT_MAX : n * 2;
		l->files = xreallocarray(l->files, (size_t)n, sizeof *l->files);
		memset(l->files + l->nfiles, 0,
		    (size_t)(n - l->nfiles) * sizeof *l->files);
		l->nfiles = n;
	}
	f = &l->files[fd];
	if (f->cb != NULL) {
		errno = EEXIST;
		return -1;
	}
	f->cb = cb;
	f->arg = arg;
	f->mask = mask & (LOOP_READ|LOOP_WRITE);
	f->serial = ++l->serial;
	l->nlive++;
	return 0;
}

/* Changes the events FD is polled for. */
int
loop_set_mask(struct loop *l, int fd, int mask)
{
	if (fd < 0 || fd >= l->nfiles || l->files[fd].cb == NULL) {
		errno = ENOENT;
		return -1;
	}
	l->files[fd].mask = mask & (LOOP_READ|LOOP_WRITE);
	return 0;
}

/* Forgets FD; its callback is not called again, even in this pass. */
int
loop_del_fd(struct loop *l, int fd)
{
	if (fd < 0 || fd >= l->nfiles || l->files[fd].cb == NULL) {
		errno = ENOENT;
		return -1;
	}
	memset(&l->files[fd], 0, sizeof l->files[fd]);
	l->nlive--;
	return 0;
}

/* Drops the timers marked dead, keeping the order of the others. */
static void
loop_reap_timers(struct loop *l)
{
	size_t	i, j = 0;

	if (l->ndead == 0)
		return;
	for (i = 0; i < l->ntimers; i++) {
		if (!l->timers[i].dead)
			l->timers[j++] = l->timers[i];
	}
	l->ntimers = j;
	l->ndead = 0;
}

/* Adds a timer firing after MS milliseconds. */
uint64_t
loop_add_timer(struct loop *l, int64_t ms, loop_timer_cb *cb, void *arg)
{
	struct loop_timer	*t;

	if (l->ntimers == l->timers_size) {
		l->timers_size = l->timers_size == 0 ? 16 : l->timers_size * 2;
		l->timers = xreallocarray(l->timers, l->timers_size,
		    sizeof *l->timers);
	}
	t = &l->timers[l->ntimers++];
	t->id = ++l->timer_id;
	t->when = loop_now_ms() + (ms < 0 ? 0 : ms);
	t->cb = cb;
	t->arg = arg;
	t->dead = 0;
	return t->id;
}

/* Deletes a timer; it never fires again. */
int
loop_del_timer(struct loop *l, uint64_t id)
{
	size_t	i;

	for (i = 0; i < l->ntimers; i++) {
		if (l->timers[i].id == id && !l->timers[i].dead) {
			l->timers[i].dead = 1;
			l->ndead++;
			return 0;
		}
	}
	return -1;
}

/* Sets the hook called at the start of every pass. */
void
loop_set_before_sleep(struct loop *l, loop_sleep_cb *cb, void *arg)
{
	l->before_sleep = cb;
	l->before_sleep_arg = arg;
}

/* The handler: queues the signal number; everything else is in the loop. */
static void
loop_signal_handler(int signo)
{
	int		saved = errno;
	unsigned char	c = (unsigned char)signo;
	int		fd = loop_signal_fd;

	/* A full pipe drops the signal: the loop is far behind already. */
	if (fd != -1 && write(fd, &c, 1) == -1)
		c = 0;
	errno = saved;
}

/* Reads queued signal numbers and calls their callbacks. */
static void
loop_signal_read(struct loop *l, int fd, int events, void *arg)
{
	unsigned char		 buf[LOOP_SIGNAL_BATCH];
	struct loop_signal	*s;
	ssize_t			 n, i;

	(void)events;
	(void)arg;
	do
		n = read(fd, buf, sizeof buf);
	while (n == -1 && errno == EINTR);
	for (i = 0; i < n; i++) {
		if (buf[i] == 0 || buf[i] >= NSIG)
			continue;
		s = &l->signals[buf[i]];
		if (s->cb != NULL)
			s->cb(l, buf[i], s->arg);
	}
}

/* Delivers SIGNO through the loop to CB. */
int
loop_add_signal(struct loop *l, int signo, loop_signal_cb *cb, void *arg)
{
	struct loop_signal	*s;
	struct sigaction	 sa;

	/* The number travels as one byte. */
	if (signo <= 0 || signo >= NSIG || signo > UCHAR_MAX || cb == NULL) {
		errno = EINVAL;
		return -1;
	}
	if (l->signal_pipe[0] == -1) {
		if (loop_signal_fd != -1) {
			errno = EBUSY;
			return -1;
		}
		if (pipe2(l->signal_pipe, O_CLOEXEC|O_NONBLOCK) != 0)
			return -1;
		loop_add_fd(l, l->signal_pipe[0], LOOP_READ, loop_signal_read,
		    NULL);
		loop_signal_fd = l->signal_pipe[1];
	}
	if (l->signals == NULL)
		l->signals = xcalloc(NSIG, sizeof *l->signals);
	s = &l->signals[signo];
	if (s->cb == NULL) {
		memset(&sa, 0, sizeof sa);
		sa.sa_handler = loop_signal_handler;
		sigfillset(&sa.sa_mask);
		sa.sa_flags = SA_RESTART;
		if (sigaction(signo, &sa, &s->old) != 0)
			return -1;
	}
	s->cb = cb;
	s->arg = arg;
	return 0;
}

/* Stops handling SIGNO, restoring its old disposition. */
int
loop_del_signal(struct loop *l, int signo)
{
	struct loop_signal	*s;

	if (l->signals == NULL || signo <= 0 || signo >= NSIG ||
	    l->signals[signo].cb == NULL) {
		errno = ENOENT;
		return -1;
	}
	s = &l->signals[signo];
	s->cb = NULL;
	return sigaction(signo, &s->old, NULL);
}

/* The poll timeout: until the earliest live timer, or -1 for none. */
static int
loop_timeout(struct loop *l, int *have_timers)
{
	int64_t	 earliest = INT64_MAX, d;
	size_t	 i;

	*have_timers = 0;
	for (i = 0; i < l->ntimers; i++) {
		if (!l->timers[i].dead && l->timers[i].when < earliest)
			earliest = l->timers[i].when;
	}
	if (earliest == INT64_MAX)
		return -1;
	*have_timers = 1;
	d = earliest - loop_now_ms();
	if (d < 0)
		return 0;
	return d > INT_MAX ? INT_MAX : (int)d;
}

/* Fills the pollfd set from the live slots; returns its length. */
static size_t
loop_build_pollset(struct loop *l)
{
	struct loop_file	*f;
	size_t			 n = 0;
	int			 fd;

	if ((size_t)l->nlive > l->pfds_size) {
		l->pfds_size = (size_t)l->nlive * 2;
		l->pfds = xreallocarray(l->pfds, l->pfds_size, sizeof *l->pfds);
		l->pserial = xreallocarray(l->pserial, l->pfds_size,
		    sizeof *l->pserial);
	}
	for (fd = 0; fd < l->nfiles; fd++) {
		f = &l->files[fd];
		if (f->cb == NULL || f->mask == 0)
			continue;
		l->pfds[n].fd = fd;
		l->pfds[n].events = 0;
		if (f->mask & LOOP_READ)
			l->pfds[n].events |= POLLIN;
		if (f->mask & LOOP_WRITE)
			l->pfds[n].events |= POLLOUT;
		l->pfds[n].revents = 0;
		l->pserial[n] = f->serial;
		n++;
	}
	return n;
}

/* Calls the fd callbacks for the events poll returned. */
static void
loop_dispatch_files(struct loop *l, size_t n)
{
	struct loop_file	*f;
	size_t			 i;
	int			 fd, ev, re;

	for (i = 0; i < n; i++) {
		if ((re = l->pfds[i].revents) == 0)
			continue;
		fd = l->pfds[i].fd;
		f = &l->files[fd];
		if (f->cb == NULL || f->serial != l->pserial[i])
			continue;
		ev = 0;
		if (re & POLLIN)
			ev |= LOOP_READ;
		if (re & POLLOUT)
			ev |= LOOP_WRITE;
		if (re & POLLHUP)
			ev |= LOOP_HUP;
		if (re & (POLLERR|POLLNVAL))
			ev |= LOOP_ERR;
		/* The mask may have changed earlier in this pass. */
		ev &= f->mask|LOOP_HUP|LOOP_ERR;
		if (ev != 0)
			f->cb(l, fd, ev, f->arg);
	}
}

/* Orders due timers by due time, then by id (creation order). */
static int
loop_due_cmp(const void *a, const void *b)
{
	const struct loop_due	*x = a, *y = b;

	if (x->when != y->when)
		return x->when < y->when ? -1 : 1;
	return x->id < y->id ? -1 : (x->id > y->id);
}

/* Fires the timers due now, each at most once, in order. */
static void
loop_run_timers(struct loop *l)
{
	struct loop_timer	*t;
	int64_t			 now = loop_now_ms(), next;
	size_t			 i, n = 0;

	for (i = 0; i < l->ntimers; i++) {
		t = &l->timers[i];
		if (t->dead || t->when > now)
			continue;
		if (n == l->due_size) {
			l->due_size = l->due_size == 0 ? 16 : l->due_size * 2;
			l->due = xreallocarray(l->due, l->due_size,
			    sizeof *l->due);
		}
		l->due[n].when = t->when;
		l->due[n].id = t->id;
		l->due[n].idx = i;
		n++;
	}
	if (n > 1)
		qsort(l->due, n, sizeof *l->due, loop_due_cmp);
	for (i = 0; i < n; i++) {
		t = &l->timers[l->due[i].idx];
		if (t->dead)
			continue;
		next = t->cb(l, t->id, t->arg);
		/* The array may have moved; a deleted timer stays deleted. */
		t = &l->timers[l->due[i].idx];
		if (t->dead)
			continue;
		if (next < 0) {
			t->dead = 1;
			l->ndead++;
		} else
			t->when = loop_now_ms() + next;
	}
}

/* Runs passes until loop_stop() or until nothing is left to wait for. */
int
loop_run(struct loop *l)
{
	size_t	n;
	int	timeout, have_timers;

	l->stop = 0;
	while (!l->stop) {
		if (l->before_sleep != NULL)
			l->before_sleep(l, l->before_sleep_arg);
		if (l->stop)
			break;
		timeout = loop_timeout(l, &have_timers);
		n = loop_build_pollset(l);
		if (n == 0 && !have_timers)
			break;
		if (poll(l->pfds, (nfds_t)n, timeout) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		loop_dispatch_files(l, n);
		loop_run_timers(l);
		loop_reap_timers(l);
	}
	return 0;
}

/* Makes loop_run() return after the current pass. */
void
loop_stop(struct loop *l)
{
	l->stop = 1;
}

/* Milliseconds on the monotonic clock. */
int64_t
loop_now_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
