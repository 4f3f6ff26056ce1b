/*
 * The door keeper: a tiny child of the agent, the only process holding the
 * door open (door.h has the protocol). It drives the relay only as a timed
 * pulse, ended by its own timer, and fails closed: whatever goes wrong with
 * main, the relay drops.
 *
 * State: idle, or pulsing from START to END (CLOCK_MONOTONIC ms) with the
 * relay energised and one timer due at END. A pulse while pulsing moves END
 * later, never earlier, and never past START + max_pulse, so main cannot
 * hold a door open by repeating pulses. max_pulse itself is capped at
 * DOOR_KEEPER_MAX_PULSE here, whatever main passes.
 *
 * Main's death: main's end of the socketpair is close-on-exec and the
 * keeper closes every inherited fd but its own end, so when main dies (even
 * by SIGKILL) the keeper reads EOF, drops the relay and exits. Its parent's
 * death also sends it SIGTERM (PR_SET_PDEATHSIG), in case another process
 * still holds main's end.
 *
 * Signals: the keeper blocks SIGTERM, SIGINT, SIGHUP and SIGQUIT and reads
 * them from a signalfd rather than through loop_add_signal(): the handler
 * main's loop may have installed is process-wide state that a forked child
 * inherits (and with it main's self-pipe fd number), so the keeper resets
 * every disposition to the default first.
 */
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "child.h"
#include "door.h"
#include "lineio.h"
#include "loop.h"
#include "xmalloc.h"

/*
 * How long door_keeper_spawn() waits for "ready": opening a chip or a file
 * takes milliseconds, so a keeper silent for 5 s is stuck and is killed.
 */
#define DOOR_KEEPER_READY_MS	5000
/*
 * Events queued towards a main that does not read are dropped past this:
 * the keeper never blocks on main, and a pulse ends by its timer anyway.
 */
#define DOOR_KEEPER_OUT_MAX	65536

/* The keeper's state, in the child. */
struct door_keeper {
	struct loop	*loop;
	struct door	*door;
	int		 fd;		/* the keeper's end of the socketpair */
	int		 sigfd;
	struct line_in	*in;
	struct line_out	*out;
	int64_t		 max_pulse;
	int		 on;		/* pulsing: the relay is energised */
	int64_t		 start;		/* when the pulse began */
	int64_t		 end;		/* when it ends */
	uint64_t	 timer;
	int		 stopped;	/* the loop is ending */
	int		 status;	/* the exit status */
};

static void	door_keeper_send(struct door_keeper *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));

/* Drops the relay and stops the loop: main is gone or asked us to go. */
static void
door_keeper_stop(struct door_keeper *k, int status)
{
	char	*cause = NULL;

	if (k->on && door_relay(k->door, 0, 0, &cause) == -1) {
		free(cause);
		status = 1;
	}
	k->on = 0;
	k->stopped = 1;
	k->status = status;
	loop_stop(k->loop);
}

/* Queues a line for main and writes what the socket takes now. */
static void
door_keeper_send(struct door_keeper *k, const char *fmt, ...)
{
	char	line[DOOR_KEEPER_LINE_MAX];
	va_list	ap;
	int	n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof line)
		n = sizeof line - 1;
	if (line_out_pending(k->out) > DOOR_KEEPER_OUT_MAX)
		return;
	line_out_add(k->out, line, (size_t)n);
	switch (line_out_flush(k->out, k->fd)) {
	case -1:
		door_keeper_stop(k, 0);
		break;
	case 0:
		loop_set_mask(k->loop, k->fd, LOOP_READ|LOOP_WRITE);
		break;
	}
}

/* Drops the relay, if energised, and says so. */
static void
door_keeper_release(struct door_keeper *k)
{
	char	*cause = NULL;

	if (!k->on)
		return;
	k->on = 0;
	loop_del_timer(k->loop, k->timer);
	if (door_relay(k->door, 0, 0, &cause) == -1) {
		/* A relay that will not drop: nothing else is safe. */
		door_keeper_send(k, "error %s", cause);
		free(cause);
		door_keeper_stop(k, 1);
		return;
	}
	door_keeper_send(k, "release");
}

/* The end of a pulse. */
static int64_t
door_keeper_timer(struct loop *l, uint64_t id, void *arg)
{
	struct door_keeper	*k = arg;

	(void)l;
	(void)id;
	door_keeper_release(k);
	return -1;
}

/* Starts a pulse of MS milliseconds, or extends the one running. */
static void
door_keeper_pulse(struct door_keeper *k, int64_t ms)
{
	char	*cause = NULL;
	int64_t	 now = loop_now_ms(), end;

	if (ms > k->max_pulse)
		ms = k->max_pulse;
	if (!k->on) {
		if (door_relay(k->door, 1, ms, &cause) == -1) {
			door_keeper_send(k, "error %s", cause);
			free(cause);
			k->on = 1;
			door_keeper_release(k);
			return;
		}
		k->on = 1;
		k->start = now;
		k->end = now + ms;
	} else {
		end = now + ms;
		if (end > k->start + k->max_pulse)
			end = k->start + k->max_pulse;
		if (end <= k->end) {
			door_keeper_send(k, "pulse %lld",
			    (long long)(k->end - now));
			return;
		}
		k->end = end;
		loop_del_timer(k->loop, k->timer);
	}
	k->timer = loop_add_timer(k->loop, k->end - now, door_keeper_timer, k);
	door_keeper_send(k, "pulse %lld", (long long)(k->end - now));
}

/* Runs one command from main. */
static void
door_keeper_command(struct door_keeper *k, const char *line)
{
	char		*end;
	long long	 ms;

	if (strncmp(line, "pulse ", 6) == 0) {
		errno = 0;
		ms = strtoll(line + 6, &end, 10);
		if (line[6] < '0' || line[6] > '9' || *end != '\0' ||
		    errno != 0 || ms <= 0) {
			door_keeper_send(k, "error bad pulse: %.64s", line + 6);
			return;
		}
		door_keeper_pulse(k, ms);
	} else if (strcmp(line, "release") == 0)
		door_keeper_release(k);
	else
		door_keeper_send(k, "error unknown command: %.64s", line);
}

/* Main's socket: commands in, queued lines out, EOF means main is gone. */
static void
door_keeper_socket(struct loop *l, int fd, int events, void *arg)
{
	struct door_keeper	*k = arg;
	char			*line;
	size_t			 len;
	int			 nread, r;

	if ((events & LOOP_WRITE) && line_out_flush(k->out, fd) != 0) {
		if (line_out_pending(k->out) != 0) {
			door_keeper_stop(k, 0);
			return;
		}
		loop_set_mask(l, fd, LOOP_READ);
	}
	if ((events & (LOOP_READ|LOOP_HUP|LOOP_ERR)) == 0)
		return;
	nread = line_in_read(k->in, fd);
	if (nread == -1 && errno == EAGAIN)
		return;
	while (!k->stopped && (r = line_in_next(k->in, &line, &len)) != 0) {
		if (r == 1)
			door_keeper_command(k, line);
		else if (errno == EMSGSIZE)
			door_keeper_send(k, "error line too long");
		else if (errno != EPIPE)
			door_keeper_send(k, "error bad line");
	}
	/* EOF or an error: main is gone, so is the pulse. */
	if (nread <= 0 && !k->stopped)
		door_keeper_stop(k, 0);
}

/* Passes one input change to main. */
static void
door_keeper_input_cb(enum door_input input, void *arg)
{
	struct door_keeper	*k = arg;

	door_keeper_send(k, "%s", door_input_name(input));
}

/* An input fd of the door is readable. */
static void
door_keeper_input(struct loop *l, int fd, int events, void *arg)
{
	struct door_keeper	*k = arg;
	char			*cause = NULL;

	(void)l;
	(void)events;
	if (door_read(k->door, fd, door_keeper_input_cb, k, &cause) == -1) {
		door_keeper_send(k, "error %s", cause);
		free(cause);
	}
}

/* SIGTERM and friends, from the signalfd: drop the relay and go. */
static void
door_keeper_signal(struct loop *l, int fd, int events, void *arg)
{
	struct door_keeper		*k = arg;
	struct signalfd_siginfo		 si;

	(void)l;
	(void)events;
	if (read(fd, &si, sizeof si) != sizeof si)
		return;
	door_keeper_release(k);
	door_keeper_stop(k, 0);
}

/* Writes all of LINE to a blocking FD, for the handshake. */
static void
door_keeper_write(int fd, const char *line)
{
	size_t	len = strlen(line), off = 0;
	ssize_t	n;

	while (off < len) {
		if ((n = write(fd, line + off, len - off)) == -1) {
			if (errno == EINTR)
				continue;
			return;
		}
		off += (size_t)n;
	}
}

/* The child: never returns. */
static void
door_keeper_main(int fd, const char *spec, int64_t max_pulse, pid_t parent)
{
	struct door_keeper	 k;
	sigset_t		 set;
	char			*cause, *line;
	int			 fds[DOOR_MAX_FDS], n, i;

	child_setup(fd, parent);
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGQUIT);
	sigprocmask(SIG_SETMASK, &set, NULL);

	memset(&k, 0, sizeof k);
	k.fd = fd;
	k.max_pulse = max_pulse;
	if ((k.sigfd = signalfd(-1, &set, SFD_NONBLOCK|SFD_CLOEXEC)) == -1) {
		xasprintf(&line, "error signalfd: %s\n", strerror(errno));
		door_keeper_write(fd, line);
		_exit(1);
	}
	if ((k.door = door_open(spec, &cause)) == NULL) {
		xasprintf(&line, "error %s\n", cause);
		door_keeper_write(fd, line);
		_exit(1);
	}
	door_keeper_write(fd, "ready\n");
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);

	k.loop = loop_new();
	k.in = line_in_new(DOOR_KEEPER_LINE_MAX);
	k.out = line_out_new();
	loop_add_fd(k.loop, fd, LOOP_READ, door_keeper_socket, &k);
	loop_add_fd(k.loop, k.sigfd, LOOP_READ, door_keeper_signal, &k);
	n = door_fds(k.door, fds, DOOR_MAX_FDS);
	for (i = 0; i < n; i++)
		loop_add_fd(k.loop, fds[i], LOOP_READ, door_keeper_input, &k);
	door_keeper_input(k.loop, -1, 0, &k);
	if (!k.stopped && loop_run(k.loop) == -1)
		k.status = 1;
	if (k.on)
		door_keeper_stop(&k, 1);
	door_close(k.door);
	/* _exit: the parent's atexit handlers and leak checks are not ours. */
	_exit(k.status);
}

/* Reads the keeper's first line: "ready", or "error TEXT". */
static int
door_keeper_ready(int fd, char **cause)
{
	struct pollfd	pfd = { .fd = fd, .events = POLLIN };
	char		line[DOOR_KEEPER_LINE_MAX];
	size_t		len = 0;
	int64_t		deadline = loop_now_ms() + DOOR_KEEPER_READY_MS;
	ssize_t		n;
	int		r;

	while (len < sizeof line - 1) {
		r = poll(&pfd, 1, (int)(deadline - loop_now_ms()));
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0) {
			xasprintf(cause, "door keeper: not ready");
			return -1;
		}
		if ((n = read(fd, line + len, 1)) == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			xasprintf(cause, "door keeper: exited");
			return -1;
		}
		if (line[len] == '\n')
			break;
		len++;
	}
	line[len] = '\0';
	if (strcmp(line, "ready") == 0)
		return 0;
	if (strncmp(line, "error ", 6) == 0)
		*cause = xstrdup(line + 6);
	else
		xasprintf(cause, "door keeper: unexpected \"%s\"", line);
	return -1;
}

/* Forks the door keeper; see door.h. */
pid_t
door_keeper_spawn(const char *spec, int64_t max_pulse, int *fd, char **cause)
{
	pid_t	pid, parent = getpid();
	int	sv[2];

	if (max_pulse <= 0 || max_pulse > DOOR_KEEPER_MAX_PULSE)
		max_pulse = DOOR_KEEPER_MAX_PULSE;
	if (socketpair(AF_UNIX, SOCK_STREAM|SOCK_CLOEXEC, 0, sv) == -1) {
		xasprintf(cause, "socketpair: %s", strerror(errno));
		return -1;
	}
	if ((pid = fork()) == -1) {
		xasprintf(cause, "fork: %s", strerror(errno));
		close(sv[0]);
		close(sv[1]);
		return -1;
	}
	if (pid == 0) {
		close(sv[0]);
		door_keeper_main(sv[1], spec, max_pulse, parent);
	}
	close(sv[1]);
	if (door_keeper_ready(sv[0], cause) == -1) {
		close(sv[0]);
		kill(pid, SIGKILL);
		while (waitpid(pid, NULL, 0) == -1 && errno == EINTR)
			;
		return -1;
	}
	fcntl(sv[0], F_SETFL, fcntl(sv[0], F_GETFL) | O_NONBLOCK);
	*fd = sv[0];
	return pid;
}
