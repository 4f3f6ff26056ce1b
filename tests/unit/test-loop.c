/*
 * Tests of shared/loop.c on real socketpairs, pipes and signals raised at
 * the test itself. Timers use a few milliseconds so the suite stays fast.
 */
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include "loop.h"
#include "test.h"

/* What the callbacks saw. */
static int	 order[16];
static int	 norder;
static int	 fired;
static int	 pass;
static uint64_t	 victim;

/* Counts passes, so a test can tell in which pass a callback ran. */
static void
count_pass(struct loop *l, void *arg)
{
	(void)l;
	(void)arg;
	pass++;
}

/* Sleeps 10 ms on its first call, so every short timer is due at once. */
static int	 slept;

static void
sleep_once(struct loop *l, void *arg)
{
	(void)l;
	(void)arg;
	if (!slept++)
		usleep(10000);
}

/* Records its argument (an int) in order[]. */
static int64_t
timer_record(struct loop *l, uint64_t id, void *arg)
{
	(void)l;
	(void)id;
	if (norder < 16)
		order[norder++] = (int)(intptr_t)arg;
	return -1;
}

/* Fires three more times, one millisecond apart. */
static int64_t
timer_repeat(struct loop *l, uint64_t id, void *arg)
{
	(void)l;
	(void)id;
	(void)arg;
	return ++fired < 4 ? 1 : -1;
}

/* Deletes the timer in victim. */
static int64_t
timer_delete_victim(struct loop *l, uint64_t id, void *arg)
{
	(void)id;
	(void)arg;
	CHECK_INT(loop_del_timer(l, victim), 0);
	CHECK_INT(loop_del_timer(l, victim), -1);
	return -1;
}

/* Deletes itself and asks to repeat: deletion must win. */
static int64_t
timer_delete_self(struct loop *l, uint64_t id, void *arg)
{
	(void)arg;
	fired++;
	CHECK_INT(loop_del_timer(l, id), 0);
	return 0;
}

/* Stops the loop. */
static int64_t
timer_stop(struct loop *l, uint64_t id, void *arg)
{
	(void)id;
	(void)arg;
	loop_stop(l);
	return -1;
}

/* Makes a socketpair or fails the test. */
static void
make_pair(int sv[2])
{
	if (socketpair(AF_UNIX, SOCK_STREAM|SOCK_CLOEXEC, 0, sv) != 0) {
		perror("socketpair");
		exit(1);
	}
}

TEST(timers_fire_in_order)
{
	struct loop	*l = loop_new();

	norder = 0;
	loop_add_timer(l, 6, timer_record, (void *)3);
	loop_add_timer(l, 2, timer_record, (void *)1);
	loop_add_timer(l, 4, timer_record, (void *)2);
	/* Same due time: creation order. */
	loop_add_timer(l, 8, timer_record, (void *)4);
	loop_add_timer(l, 8, timer_record, (void *)5);
	CHECK_INT(loop_run(l), 0);	/* returns when nothing is left */
	CHECK_INT(norder, 5);
	CHECK_INT(order[0], 1);
	CHECK_INT(order[1], 2);
	CHECK_INT(order[2], 3);
	CHECK_INT(order[3], 4);
	CHECK_INT(order[4], 5);

	/* All due in one pass (the hook oversleeps): still by due time. */
	norder = 0;
	slept = 0;
	loop_set_before_sleep(l, sleep_once, NULL);
	loop_add_timer(l, 3, timer_record, (void *)3);
	loop_add_timer(l, 1, timer_record, (void *)1);
	loop_add_timer(l, 2, timer_record, (void *)2);
	CHECK_INT(loop_run(l), 0);
	CHECK_INT(norder, 3);
	CHECK_INT(order[0], 1);
	CHECK_INT(order[1], 2);
	CHECK_INT(order[2], 3);
	loop_free(l);
}

TEST(timer_repeats_by_return_value)
{
	struct loop	*l = loop_new();
	int64_t		 start = loop_now_ms();

	fired = 0;
	loop_add_timer(l, 1, timer_repeat, NULL);
	CHECK_INT(loop_run(l), 0);
	CHECK_INT(fired, 4);
	CHECK(loop_now_ms() - start >= 4);
	loop_free(l);
}

TEST(timer_deleted_never_fires)
{
	struct loop	*l = loop_new();

	/* Both due in the same pass: the first deletes the second. */
	norder = 0;
	loop_add_timer(l, 0, timer_delete_victim, NULL);
	victim = loop_add_timer(l, 0, timer_record, (void *)7);
	CHECK_INT(loop_run(l), 0);
	CHECK_INT(norder, 0);

	/* Due later than the one deleting it. */
	victim = loop_add_timer(l, 5, timer_record, (void *)8);
	loop_add_timer(l, 1, timer_delete_victim, NULL);
	CHECK_INT(loop_run(l), 0);
	CHECK_INT(norder, 0);

	/* A timer deleting itself and returning 0 fires once. */
	fired = 0;
	loop_add_timer(l, 0, timer_delete_self, NULL);
	loop_add_timer(l, 5, timer_stop, NULL);
	CHECK_INT(loop_run(l), 0);
	CHECK_INT(fired, 1);
	CHECK_INT(loop_del_timer(l, 12345), -1);
	loop_free(l);
}

/* Records the events seen on fd arg->fd and reacts as asked. */
struct fd_probe {
	int	fd;
	int	events;
	int	calls;
	int	action;		/* 0 record, 1 read and switch to write */
};

static void
fd_probe_cb(struct loop *l, int fd, int events, void *arg)
{
	struct fd_probe	*p = arg;
	char		 c;

	CHECK_INT(fd, p->fd);
	p->events |= events;
	p->calls++;
	if (p->action == 1 && (events & LOOP_READ)) {
		CHECK_INT(read(fd, &c, 1), 1);
		CHECK_INT(loop_set_mask(l, fd, LOOP_WRITE), 0);
		p->action = 0;
		return;
	}
	if (events & LOOP_WRITE) {
		loop_del_fd(l, fd);
		loop_stop(l);
	}
	if (events & LOOP_HUP) {
		loop_del_fd(l, fd);
	}
}

TEST(fd_readable_writable_hangup)
{
	struct loop	*l = loop_new();
	struct fd_probe	 p = { 0 };
	int		 sv[2], pfd[2];

	/* Readable, then writable after the mask changes. */
	make_pair(sv);
	p.fd = sv[0];
	p.action = 1;
	CHECK_INT(loop_add_fd(l, sv[0], LOOP_READ, fd_probe_cb, &p), 0);
	CHECK_INT(loop_add_fd(l, sv[0], LOOP_READ, fd_probe_cb, &p), -1);
	CHECK_INT(errno, EEXIST);
	CHECK_INT(loop_add_fd(l, -1, LOOP_READ, fd_probe_cb, &p), -1);
	CHECK_INT(loop_set_mask(l, 999, LOOP_READ), -1);
	CHECK_INT(loop_del_fd(l, 999), -1);
	CHECK_INT(write(sv[1], "x", 1), 1);
	CHECK_INT(loop_run(l), 0);
	CHECK_INT(p.events, LOOP_READ|LOOP_WRITE);
	CHECK_INT(p.calls, 2);
	close(sv[0]);
	close(sv[1]);

	/* A pipe whose writer closes hangs up. */
	if (pipe2(pfd, O_CLOEXEC) != 0) {
		perror("pipe2");
		exit(1);
	}
	memset(&p, 0, sizeof p);
	p.fd = pfd[0];
	close(pfd[1]);
	CHECK_INT(loop_add_fd(l, pfd[0], LOOP_READ, fd_probe_cb, &p), 0);
	CHECK_INT(loop_run(l), 0);
	CHECK(p.events & LOOP_HUP);
	CHECK_INT(p.calls, 1);
	close(pfd[0]);
	loop_free(l);
}

/*
 * Two readable fds in one pass; whichever runs first deletes and closes
 * both, then opens a pair (likely reusing a closed number) with data on it.
 * The second callback must not run, and the new fd must not inherit the
 * old events: it is first called in a later pass.
 */
static int	 pair_a[2], pair_b[2], pair_c[2];
static int	 del_calls, new_calls, added_pass;

static void
new_fd_cb(struct loop *l, int fd, int events, void *arg)
{
	char	c;

	(void)arg;
	CHECK(events & LOOP_READ);
	CHECK(pass > added_pass);
	new_calls++;
	CHECK_INT(read(fd, &c, 1), 1);
	loop_del_fd(l, fd);
}

static void
del_both_cb(struct loop *l, int fd, int events, void *arg)
{
	(void)events;
	(void)arg;
	del_calls++;
	CHECK(fd == pair_a[0] || fd == pair_b[0]);
	CHECK_INT(loop_del_fd(l, pair_a[0]), 0);
	CHECK_INT(loop_del_fd(l, pair_b[0]), 0);
	close(pair_a[0]);
	close(pair_b[0]);
	/* Both ends, so one of them reuses the number still to dispatch. */
	make_pair(pair_c);
	CHECK_INT(write(pair_c[1], "z", 1), 1);
	CHECK_INT(write(pair_c[0], "z", 1), 1);
	added_pass = pass;
	CHECK_INT(loop_add_fd(l, pair_c[0], LOOP_READ, new_fd_cb, NULL), 0);
	CHECK_INT(loop_add_fd(l, pair_c[1], LOOP_READ, new_fd_cb, NULL), 0);
}

TEST(fd_deleted_in_same_pass)
{
	struct loop	*l = loop_new();

	pass = del_calls = new_calls = 0;
	loop_set_before_sleep(l, count_pass, NULL);
	make_pair(pair_a);
	make_pair(pair_b);
	CHECK_INT(write(pair_a[1], "a", 1), 1);
	CHECK_INT(write(pair_b[1], "b", 1), 1);
	loop_add_fd(l, pair_a[0], LOOP_READ, del_both_cb, NULL);
	loop_add_fd(l, pair_b[0], LOOP_READ, del_both_cb, NULL);
	CHECK_INT(loop_run(l), 0);
	CHECK_INT(del_calls, 1);
	CHECK(pair_c[0] == pair_b[0] || pair_c[1] == pair_b[0]);
	CHECK_INT(new_calls, 2);
	close(pair_a[1]);
	close(pair_b[1]);
	close(pair_c[0]);
	close(pair_c[1]);
	loop_free(l);
}

/*
 * Two readable fds: the first called stops the other reading (mask
 * LOOP_WRITE) and deletes itself, so the other must not be told of the
 * read event collected for it in the same pass, only of LOOP_WRITE later.
 */
static int	 mask_fds[2], mask_reads, mask_writes;

static void
mask_cb(struct loop *l, int fd, int events, void *arg)
{
	int	other = mask_fds[0] == fd ? mask_fds[1] : mask_fds[0];

	(void)arg;
	if (events & LOOP_READ) {
		mask_reads++;
		CHECK_INT(loop_set_mask(l, other, LOOP_WRITE), 0);
		CHECK_INT(loop_del_fd(l, fd), 0);
	}
	if (events & LOOP_WRITE) {
		mask_writes++;
		CHECK_INT(loop_set_mask(l, fd, 0), 0);
	}
}

TEST(mask_changed_in_same_pass)
{
	struct loop	*l = loop_new();
	int		 a[2], b[2];

	make_pair(a);
	make_pair(b);
	mask_fds[0] = a[0];
	mask_fds[1] = b[0];
	mask_reads = mask_writes = 0;
	CHECK_INT(write(a[1], "a", 1), 1);
	CHECK_INT(write(b[1], "b", 1), 1);
	loop_add_fd(l, a[0], LOOP_READ, mask_cb, NULL);
	loop_add_fd(l, b[0], LOOP_READ, mask_cb, NULL);
	/* Ends with one fd left at mask 0: nothing to wait for. */
	CHECK_INT(loop_run(l), 0);
	CHECK_INT(mask_reads, 1);
	CHECK_INT(mask_writes, 1);
	close(a[0]);
	close(a[1]);
	close(b[0]);
	close(b[1]);
	loop_free(l);
}

/* Reads, deletes and closes its own fd; counts in *arg. */
static void
read_close_cb(struct loop *l, int fd, int events, void *arg)
{
	char	c;

	(void)events;
	CHECK_INT(read(fd, &c, 1), 1);
	CHECK_INT(loop_del_fd(l, fd), 0);
	close(fd);
	(*(int *)arg)++;
}

/* Adds a readable socketpair from inside a timer. */
static int64_t
timer_add_fd(struct loop *l, uint64_t id, void *arg)
{
	int	sv[2];

	(void)id;
	make_pair(sv);
	CHECK_INT(write(sv[1], "t", 1), 1);
	close(sv[1]);
	CHECK_INT(loop_add_fd(l, sv[0], LOOP_READ, read_close_cb, arg), 0);
	return -1;
}

/* Adds a readable socketpair from inside an fd callback. */
static void
fd_add_fd_cb(struct loop *l, int fd, int events, void *arg)
{
	read_close_cb(l, fd, events, arg);
	timer_add_fd(l, 0, arg);
}

TEST(fd_added_from_callbacks)
{
	struct loop	*l = loop_new();
	int		 count = 0, sv[2];

	loop_add_timer(l, 0, timer_add_fd, &count);
	make_pair(sv);
	CHECK_INT(write(sv[1], "f", 1), 1);
	loop_add_fd(l, sv[0], LOOP_READ, fd_add_fd_cb, &count);
	CHECK_INT(loop_run(l), 0);
	/* sv[0], the timer's fd, and the fd added by sv[0]'s callback. */
	CHECK_INT(count, 3);
	close(sv[1]);
	loop_free(l);
}

/* Stops the loop on the first call; always writable. */
static void
stop_cb(struct loop *l, int fd, int events, void *arg)
{
	(void)fd;
	(void)events;
	(*(int *)arg)++;
	loop_stop(l);
}

TEST(stop_from_callback)
{
	struct loop	*l = loop_new();
	int		 calls = 0, sv[2];

	make_pair(sv);
	loop_add_fd(l, sv[0], LOOP_WRITE, stop_cb, &calls);
	CHECK_INT(loop_run(l), 0);
	CHECK_INT(calls, 1);
	CHECK_INT(loop_run(l), 0);
	CHECK_INT(calls, 2);
	loop_del_fd(l, sv[0]);
	close(sv[0]);
	close(sv[1]);
	loop_free(l);
}

TEST(many_fds)
{
	struct loop	*l = loop_new();
	struct rlimit	 rl;
	enum { N = 300 };
	int		 sv[N][2], i, count = 0;

	/* 600 descriptors plus the harness's own. */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < 2 * N + 64) {
		rl.rlim_cur = rl.rlim_max < 2 * N + 64 ? rl.rlim_max :
		    2 * N + 64;
		setrlimit(RLIMIT_NOFILE, &rl);
		if (rl.rlim_cur < 2 * N + 64) {
			test_skip("RLIMIT_NOFILE below %d", 2 * N + 64);
			loop_free(l);
			return;
		}
	}
	for (i = 0; i < N; i++) {
		make_pair(sv[i]);
		CHECK_INT(write(sv[i][1], "m", 1), 1);
		CHECK_INT(loop_add_fd(l, sv[i][0], LOOP_READ, read_close_cb,
		    &count), 0);
	}
	CHECK_INT(loop_run(l), 0);
	CHECK_INT(count, N);
	for (i = 0; i < N; i++)
		close(sv[i][1]);
	loop_free(l);
}

/* Counts signals by number; stops at stop_at SIGUSR1s when set. */
static int	 nusr1, nhup, nalrm, stop_at;

static void
signal_cb(struct loop *l, int signo, void *arg)
{
	(void)arg;
	if (signo == SIGUSR1)
		nusr1++;
	else if (signo == SIGHUP)
		nhup++;
	else if (signo == SIGALRM) {
		nalrm++;
		loop_stop(l);
	}
	if ((nusr1 == 2 && nhup == 1) || (stop_at != 0 && nusr1 == stop_at))
		loop_stop(l);
}

/* Raises SIGUSR1 twice and SIGHUP, checking errno survives each. */
static int64_t
timer_raise(struct loop *l, uint64_t id, void *arg)
{
	(void)l;
	(void)id;
	(void)arg;
	errno = EDOM;
	raise(SIGUSR1);
	CHECK_INT(errno, EDOM);
	kill(getpid(), SIGUSR1);
	CHECK_INT(errno, EDOM);
	raise(SIGHUP);
	CHECK_INT(errno, EDOM);
	/* Not delivered yet: only queued for the loop. */
	CHECK_INT(nusr1, 0);
	return -1;
}

/* FIFOs open before the loop made its self-pipe. */
static unsigned char	 fifo_before[1024];

/* Marks the FIFOs open now, or (FIND) returns the write end of a new one. */
static int
scan_fifos(int find)
{
	struct stat	sb;
	int		fd, found = -1;

	for (fd = 3; fd < 1024; fd++) {
		if (fstat(fd, &sb) != 0 || !S_ISFIFO(sb.st_mode)) {
			fifo_before[fd] = find ? fifo_before[fd] : 0;
			continue;
		}
		if (!find) {
			fifo_before[fd] = 1;
			continue;
		}
		if (fifo_before[fd])
			continue;
		CHECK(fcntl(fd, F_GETFD) & FD_CLOEXEC);
		CHECK(fcntl(fd, F_GETFL) & O_NONBLOCK);
		if ((fcntl(fd, F_GETFL) & O_ACCMODE) == O_WRONLY)
			found = fd;
	}
	return found;
}

TEST(signals_through_loop)
{
	struct loop		*l = loop_new(), *other = loop_new();
	struct sigaction	 sa;
	uint64_t		 id;
	int			 wfd, i, size = 0, lost = 0;

	scan_fifos(0);
	nusr1 = nhup = 0;
	CHECK_INT(loop_add_signal(l, SIGUSR1, signal_cb, NULL), 0);
	CHECK_INT(loop_add_signal(l, SIGHUP, signal_cb, NULL), 0);
	CHECK_INT(loop_add_signal(l, 0, signal_cb, NULL), -1);
	CHECK_INT(loop_add_signal(other, SIGUSR2, signal_cb, NULL), -1);
	CHECK_INT(errno, EBUSY);
	loop_free(other);
	CHECK_INT(sigaction(SIGUSR1, NULL, &sa), 0);
	CHECK(sa.sa_flags & SA_RESTART);
	loop_add_timer(l, 0, timer_raise, NULL);
	CHECK_INT(loop_run(l), 0);
	CHECK_INT(nusr1, 2);
	CHECK_INT(nhup, 1);

	/*
	 * errno must survive a failing write too: shrink the pipe to one
	 * page, raise until it is full and past it. Each signal that fitted
	 * is delivered once; the rest are dropped.
	 */
	if ((wfd = scan_fifos(1)) == -1 ||
	    fcntl(wfd, F_SETPIPE_SZ, 4096) == -1 ||
	    (size = fcntl(wfd, F_GETPIPE_SZ)) <= 0)
		CHECK(!"cannot shrink the signal pipe");
	nusr1 = nhup = 0;
	for (i = 0; i < size + 1000; i++) {
		errno = EDOM;
		raise(SIGUSR1);
		if (errno != EDOM)
			lost++;
	}
	CHECK_INT(lost, 0);
	/* Stops at the count expected; the timer only ends a failing run. */
	stop_at = size;
	id = loop_add_timer(l, 2000, timer_stop, NULL);
	CHECK_INT(loop_run(l), 0);
	CHECK_INT(nusr1, size);
	stop_at = 0;
	loop_del_timer(l, id);
	/* And no more than that. */
	loop_add_timer(l, 5, timer_stop, NULL);
	CHECK_INT(loop_run(l), 0);
	CHECK_INT(nusr1, size);

	/* Dispositions come back with loop_free(). */
	loop_free(l);
	CHECK_INT(sigaction(SIGUSR1, NULL, &sa), 0);
	CHECK(sa.sa_handler == SIG_DFL);
	CHECK_INT(scan_fifos(1), -1);
}

TEST(poll_eintr_retried)
{
	struct loop		*l = loop_new();
	struct itimerval	 it = { { 0, 0 }, { 0, 5000 } };
	uint64_t		 id;

	/* SIGALRM interrupts poll(); the loop retries and delivers it. */
	nalrm = 0;
	CHECK_INT(loop_add_signal(l, SIGALRM, signal_cb, NULL), 0);
	id = loop_add_timer(l, 500, timer_record, (void *)9);
	norder = 0;
	setitimer(ITIMER_REAL, &it, NULL);
	CHECK_INT(loop_run(l), 0);
	CHECK_INT(nalrm, 1);
	CHECK_INT(norder, 0);
	CHECK_INT(loop_del_timer(l, id), 0);
	CHECK_INT(loop_del_signal(l, SIGALRM), 0);
	CHECK_INT(loop_del_signal(l, SIGALRM), -1);
	loop_free(l);
}

int
main(void)
{
	RUN(timers_fire_in_order);
	RUN(timer_repeats_by_return_value);
	RUN(timer_deleted_never_fires);
	RUN(fd_readable_writable_hangup);
	RUN(fd_deleted_in_same_pass);
	RUN(mask_changed_in_same_pass);
	RUN(fd_added_from_callbacks);
	RUN(stop_from_callback);
	RUN(many_fds);
	RUN(signals_through_loop);
	RUN(poll_eintr_retried);
	return test_main_end("test-loop");
}
