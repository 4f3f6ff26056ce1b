/*
 * The event loop both programs run: one single-threaded poll(2) loop with a
 * Redis ae-shaped API. File events, millisecond timers on CLOCK_MONOTONIC, a
 * before-sleep hook, and signals delivered as ordinary callbacks through a
 * self-pipe.
 *
 * Re-entrancy: any callback may add or delete fds, timers and signals, and
 * call loop_stop(). A deleted fd or timer is never called back afterwards,
 * not even for an event already collected in the same pass; an fd added
 * during a pass (even one reusing a number just closed) is first polled in
 * the next pass. The loop never closes or frees what its owner registered:
 * an owner that drops a peer inside a callback deletes the fd there, marks
 * the peer dead, and frees it after the callback (from a timer or the
 * before-sleep hook), never while a caller up the stack may still use it.
 *
 * Events: LOOP_READ and LOOP_WRITE are reported only while in the mask;
 * LOOP_HUP and LOOP_ERR are always reported for an fd with a non-zero mask
 * (a reader should read on them to see EOF or the error). An fd with mask 0
 * stays registered but is not polled at all.
 *
 * Signals: one loop at a time may own signals (the handler is process-wide).
 * The handler only writes the signal number to a non-blocking, close-on-exec
 * pipe and preserves errno; each delivery becomes one callback from the
 * loop. If the pipe is full (thousands of undelivered signals) further
 * deliveries are dropped. Handlers are installed with SA_RESTART and the old
 * dispositions are restored by loop_del_signal() and loop_free().
 */
#ifndef LOOP_H
#define LOOP_H

#include <stdint.h>

#define LOOP_READ	0x1
#define LOOP_WRITE	0x2
#define LOOP_HUP	0x4	/* reported only: peer hung up */
#define LOOP_ERR	0x8	/* reported only: error or invalid fd */

struct loop;

/* EVENTS is a mix of LOOP_READ, LOOP_WRITE, LOOP_HUP and LOOP_ERR. */
typedef void	 loop_fd_cb(struct loop *, int fd, int events, void *);
/* Returns the next delay in milliseconds, or -1 to delete the timer. */
typedef int64_t	 loop_timer_cb(struct loop *, uint64_t id, void *);
typedef void	 loop_signal_cb(struct loop *, int signo, void *);
typedef void	 loop_sleep_cb(struct loop *, void *);

struct loop	*loop_new(void);
void		 loop_free(struct loop *);

/* 0, or -1 with errno EBADF (fd < 0), EINVAL (no cb) or EEXIST. */
int		 loop_add_fd(struct loop *, int fd, int mask, loop_fd_cb *,
		     void *);
/* 0, or -1 with errno ENOENT when FD is not registered. */
int		 loop_set_mask(struct loop *, int fd, int mask);
int		 loop_del_fd(struct loop *, int fd);

/* A timer id (never 0) firing after MS milliseconds (negative means 0). */
uint64_t	 loop_add_timer(struct loop *, int64_t ms, loop_timer_cb *,
		     void *);
/* 0, or -1 when ID is not a live timer. */
int		 loop_del_timer(struct loop *, uint64_t id);

/* Called at the start of every pass, before the loop computes its timeout. */
void		 loop_set_before_sleep(struct loop *, loop_sleep_cb *, void *);

/* 0, or -1 with errno EINVAL, EBUSY (another loop owns signals) or from
 * pipe2/sigaction. Adding a signal again replaces its callback. */
int		 loop_add_signal(struct loop *, int signo, loop_signal_cb *,
		     void *);
int		 loop_del_signal(struct loop *, int signo);

/*
 * Runs passes (before-sleep, poll, fd callbacks, due timers) until
 * loop_stop() or until there is nothing to wait for (no timer, no fd with
 * a mask). loop_stop() lets the current
 * pass finish. Returns 0, or -1 with errno if poll fails (EINTR is retried).
 * Not re-entrant: never call it from one of its own callbacks.
 */
int		 loop_run(struct loop *);
void		 loop_stop(struct loop *);

/* Milliseconds on CLOCK_MONOTONIC. */
int64_t		 loop_now_ms(void);

#endif
