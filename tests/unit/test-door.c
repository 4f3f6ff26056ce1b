/*
 * Tests of the door: the sim backend's file format and FIFO, the gpiod
 * spec and its clean failure on a machine without GPIO chips, and the door
 * keeper over a real socketpair (pulses, the maximum, extension, failing
 * closed when main closes its end, dies by SIGKILL, or the keeper gets
 * SIGTERM, and inputs reaching main). Timing is checked from the sim
 * file's own timestamps with tolerances of 100 ms or more.
 */
#include <sys/prctl.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "door.h"
#include "lineio.h"
#include "loop.h"
#include "test.h"

/* One line of a sim file. */
struct sim_line {
	int64_t	ms;		/* wall-clock ms since the epoch */
	char	word[16];	/* "pulse" or "release" */
	long	arg;		/* a pulse's ms, else -1 */
};

/* Main's end of a keeper, as main would hold it. */
struct peer {
	pid_t		 pid;
	int		 fd;
	struct line_in	*in;
	char		 path[256];
};

static int	 sim_counter;

/* A fresh sim file path in the test directory. */
static void
sim_path(char *buf, size_t len)
{
	snprintf(buf, len, "%s/door%d", test_tmpdir(), ++sim_counter);
}

/* Parses "YYYY-MM-DDTHH:MM:SS.mmmZ" strictly; -1 when it is not that. */
static int64_t
sim_time(const char *s)
{
	struct tm	tm;
	const char	*fmt = "dddd-dd-ddTdd:dd:dd.dddZ";
	int		i, msec;

	for (i = 0; fmt[i] != '\0'; i++) {
		if (fmt[i] == 'd' ? (s[i] < '0' || s[i] > '9') : s[i] != fmt[i])
			return -1;
	}
	memset(&tm, 0, sizeof tm);
	if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d.%3d", &tm.tm_year, &tm.tm_mon,
	    &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &msec) != 7)
		return -1;
	tm.tm_year -= 1900;
	tm.tm_mon--;
	return (int64_t)timegm(&tm) * 1000 + msec;
}

/* Reads a sim file into LINES; the count, or -1 for a malformed line. */
static int
sim_read(const char *path, struct sim_line *lines, int max)
{
	char	*text, *line, *save = NULL, *rest;
	int	 n = 0;
	size_t	 len;

	if ((text = test_read_file(path, &len)) == NULL)
		return 0;
	for (line = strtok_r(text, "\n", &save); line != NULL && n < max;
	    line = strtok_r(NULL, "\n", &save), n++) {
		if (strlen(line) < 26 || (lines[n].ms = sim_time(line)) == -1 ||
		    line[24] != ' ')
			goto bad;
		rest = line + 25;
		lines[n].arg = -1;
		if (strcmp(rest, "release") == 0)
			strcpy(lines[n].word, "release");
		else if (strncmp(rest, "pulse ", 6) == 0 &&
		    strspn(rest + 6, "0123456789") == strlen(rest + 6) &&
		    rest[6] != '\0') {
			strcpy(lines[n].word, "pulse");
			lines[n].arg = atol(rest + 6);
		} else
			goto bad;
	}
	free(text);
	return n;
bad:
	fprintf(stderr, "bad sim line: %s\n", line);
	free(text);
	return -1;
}

/* Waits until the sim file has at least N lines; the count it has. */
static int
sim_wait(const char *path, struct sim_line *lines, int n, int timeout_ms)
{
	int64_t	deadline = loop_now_ms() + timeout_ms;
	int	got;

	while ((got = sim_read(path, lines, 8)) < n &&
	    loop_now_ms() < deadline)
		usleep(5000);
	return got;
}

/* Waits for PID to exit; its wait status, or -1 after TIMEOUT_MS. */
static int
reap(pid_t pid, int timeout_ms)
{
	int64_t	deadline = loop_now_ms() + timeout_ms;
	int	status;

	do {
		if (waitpid(pid, &status, WNOHANG) == pid)
			return status;
		usleep(5000);
	} while (loop_now_ms() < deadline);
	return -1;
}

/* Spawns a keeper on a fresh sim file with pulses capped at MAX. */
static int
peer_open(struct peer *p, int64_t max)
{
	char	spec[300], *cause = NULL;

	sim_path(p->path, sizeof p->path);
	snprintf(spec, sizeof spec, "sim:%s", p->path);
	p->pid = door_keeper_spawn(spec, max, &p->fd, &cause);
	if (p->pid == -1) {
		fprintf(stderr, "door_keeper_spawn: %s\n", cause);
		free(cause);
		CHECK(0);
		return -1;
	}
	p->in = line_in_new(DOOR_KEEPER_LINE_MAX);
	return 0;
}

/* Sends one command line to the keeper. */
static void
peer_send(struct peer *p, const char *cmd)
{
	char	buf[2 * DOOR_KEEPER_LINE_MAX];
	int	n = snprintf(buf, sizeof buf, "%s\n", cmd);

	if (n < 0 || (size_t)n >= sizeof buf) {
		CHECK(0);
		return;
	}

	CHECK_INT(write(p->fd, buf, (size_t)n), n);
}

/* The keeper's next line into BUF within TIMEOUT_MS; 1, or 0 if none. */
static int
peer_recv(struct peer *p, char *buf, size_t len, int timeout_ms)
{
	struct pollfd	 pfd = { .fd = p->fd, .events = POLLIN };
	int64_t		 deadline = loop_now_ms() + timeout_ms;
	char		*line;
	size_t		 n;

	for (;;) {
		if (line_in_next(p->in, &line, &n) == 1) {
			snprintf(buf, len, "%s", line);
			return 1;
		}
		if (loop_now_ms() >= deadline ||
		    poll(&pfd, 1, (int)(deadline - loop_now_ms())) <= 0 ||
		    line_in_read(p->in, p->fd) == 0) {
			buf[0] = '\0';
			return 0;
		}
	}
}

/* Checks that the keeper's next line is WANT. */
static void
peer_expect(struct peer *p, const char *want, int timeout_ms)
{
	char	buf[DOOR_KEEPER_LINE_MAX];

	peer_recv(p, buf, sizeof buf, timeout_ms);
	CHECK_STR(buf, want);
}

/* Closes main's end and checks the keeper exits cleanly. */
static void
peer_close(struct peer *p)
{
	if (p->fd != -1)
		close(p->fd);
	CHECK_INT(reap(p->pid, 1000), 0);
	line_in_free(p->in);
}

/* The sim file: one line per relay change, in the exact format. */
TEST(test_sim_format)
{
	struct sim_line	 l[8];
	struct door	*d;
	char		 path[256], spec[300], *cause = NULL;
	int64_t		 now = (int64_t)time(NULL) * 1000;

	sim_path(path, sizeof path);
	snprintf(spec, sizeof spec, "sim:%s", path);
	if ((d = door_open(spec, &cause)) == NULL) {
		CHECK_STR(cause, "");
		return;
	}
	CHECK_INT(door_relay(d, 1, 3000, &cause), 0);
	CHECK_INT(door_relay(d, 0, 0, &cause), 0);
	door_close(d);
	CHECK_INT(sim_read(path, l, 8), 2);
	CHECK_STR(l[0].word, "pulse");
	CHECK_INT(l[0].arg, 3000);
	CHECK_STR(l[1].word, "release");
	CHECK_NEAR(l[0].ms, now, 2000);
	CHECK(l[1].ms >= l[0].ms);
}

/* Inputs reported by a backend, for test_sim_input. */
static enum door_input	 inputs[8];
static int		 ninputs;

/* Records one input. */
static void
record_input(enum door_input input, void *arg)
{
	(void)arg;
	if (ninputs < 8)
		inputs[ninputs++] = input;
}

/* Lines written to FILE.in become inputs; other lines are errors. */
TEST(test_sim_input)
{
	static const char	 text[] = "contact open\nexit pressed\n"
				     "contact closed\nbogus\n";
	struct door		*d;
	struct pollfd		 pfd;
	char			 path[256], spec[300], in[300];
	char			*cause = NULL;
	int			 fds[DOOR_MAX_FDS], fd;

	sim_path(path, sizeof path);
	snprintf(spec, sizeof spec, "sim:%s", path);
	snprintf(in, sizeof in, "%s.in", path);
	if ((d = door_open(spec, &cause)) == NULL) {
		CHECK_STR(cause, "");
		return;
	}
	CHECK_INT(door_fds(d, fds, DOOR_MAX_FDS), 1);
	CHECK_INT(door_read(d, -1, record_input, NULL, &cause), 0);
	CHECK_INT(ninputs, 0);
	if ((fd = open(in, O_WRONLY|O_NONBLOCK)) == -1) {
		CHECK(fd != -1);
		door_close(d);
		return;
	}
	CHECK_INT(write(fd, text, sizeof text - 1), sizeof text - 1);
	close(fd);
	pfd.fd = fds[0];
	pfd.events = POLLIN;
	CHECK_INT(poll(&pfd, 1, 1000), 1);
	CHECK_INT(door_read(d, fds[0], record_input, NULL, &cause), -1);
	CHECK(cause != NULL && strstr(cause, ".in: 1 bad line") != NULL);
	free(cause);
	CHECK_INT(ninputs, 3);
	CHECK_INT(inputs[0], DOOR_CONTACT_OPEN);
	CHECK_INT(inputs[1], DOOR_EXIT_PRESSED);
	CHECK_INT(inputs[2], DOOR_CONTACT_CLOSED);
	CHECK_STR(door_input_name(DOOR_EXIT_PRESSED), "exit pressed");
	door_close(d);
}

/* Specs that open nothing, and gpiod failing cleanly without a chip. */
TEST(test_bad_spec)
{
	struct door_gpiod_spec	 g;
	char			*cause = NULL;

	CHECK(door_open("serial:/dev/ttyS0", &cause) == NULL);
	CHECK(cause != NULL);
	free(cause);
	cause = NULL;
	CHECK(door_open("sim:", &cause) == NULL);
	free(cause);
	cause = NULL;
	CHECK(door_open("sim:/nonexistent/dir/door", &cause) == NULL);
	CHECK_STR(cause, "/nonexistent/dir/door: No such file or directory");
	free(cause);
	cause = NULL;

	CHECK_INT(door_gpiod_parse("gpiochip0:17", &g, &cause), 0);
	CHECK_STR(g.chip, "gpiochip0");
	CHECK_INT(g.relay, 17);
	CHECK_INT(g.active_low, 0);
	CHECK_INT(g.contact, -1);
	CHECK_INT(g.exit, -1);
	CHECK_INT(door_gpiod_parse("/dev/gpiochip1:4,exit=6,active_low,"
	    "contact=5", &g, &cause), 0);
	CHECK_STR(g.chip, "/dev/gpiochip1");
	CHECK_INT(g.relay, 4);
	CHECK_INT(g.active_low, 1);
	CHECK_INT(g.contact, 5);
	CHECK_INT(g.exit, 6);
	static const char *bad[] = { "", "gpiochip0", "gpiochip0:", ":1",
	    "gpiochip0:x", "gpiochip0:65536", "gpiochip0:1,",
	    "gpiochip0:1,active_low,active_low",
	    "gpiochip0:1,contact=2,contact=3",
	    "gpiochip0:1,contact=1", "gpiochip0:1,contact=2,exit=2",
	    "gpiochip0:1,exit=", "gpiochip0:1,open_drain", "gpiochip0:1 " };
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		cause = NULL;
		if (door_gpiod_parse(bad[i], &g, &cause) != -1) {
			fprintf(stderr, "accepted: %s\n", bad[i]);
			CHECK(0);
		}
		CHECK(cause != NULL);
		free(cause);
	}

	cause = NULL;
	CHECK(door_open("gpiod:gpiochip0:17,active_low,contact=5,exit=6",
	    &cause) == NULL);
	CHECK_STR(cause, "gpiochip0: No such file or directory");
	free(cause);
}

/* The keeper reports a door that will not open and leaves no child. */
TEST(test_keeper_gpiod)
{
	char	*cause = NULL;
	int	 fd = -1;

	CHECK_INT(door_keeper_spawn("gpiod:gpiochip0:17,contact=5", 1000,
	    &fd, &cause), -1);
	CHECK_STR(cause, "gpiochip0: No such file or directory");
	free(cause);
	CHECK_INT(fd, -1);
	CHECK_INT(waitpid(-1, NULL, WNOHANG), -1);
	CHECK_INT(errno, ECHILD);
}

/* A 200 ms pulse: pulse, then release about 200 ms later. */
TEST(test_keeper_pulse)
{
	struct sim_line	l[8];
	struct peer	p;

	if (peer_open(&p, 1000) == -1)
		return;
	peer_send(&p, "pulse 200");
	peer_expect(&p, "pulse 200", 500);
	peer_expect(&p, "release", 1000);
	CHECK_INT(sim_read(p.path, l, 8), 2);
	CHECK_STR(l[0].word, "pulse");
	CHECK_INT(l[0].arg, 200);
	CHECK_STR(l[1].word, "release");
	CHECK_NEAR(l[1].ms - l[0].ms, 200, 100);
	peer_close(&p);
}

/* A pulse longer than the maximum is cut to it. */
TEST(test_keeper_clamp)
{
	struct sim_line	l[8];
	struct peer	p;

	if (peer_open(&p, 300) == -1)
		return;
	peer_send(&p, "pulse 5000");
	peer_expect(&p, "pulse 300", 500);
	peer_expect(&p, "release", 1000);
	CHECK_INT(sim_read(p.path, l, 8), 2);
	CHECK_INT(l[0].arg, 300);
	CHECK_NEAR(l[1].ms - l[0].ms, 300, 100);
	peer_close(&p);
}

/* A pulse during a pulse extends it, up to the maximum from its start. */
TEST(test_keeper_extend)
{
	struct sim_line	 l[8];
	struct peer	 p;
	char		 buf[DOOR_KEEPER_LINE_MAX];
	long		 ms;

	if (peer_open(&p, 600) == -1)
		return;
	peer_send(&p, "pulse 200");
	peer_expect(&p, "pulse 200", 500);
	usleep(100000);
	/* Shorter than what is left: nothing moves. */
	peer_send(&p, "pulse 1");
	CHECK(peer_recv(&p, buf, sizeof buf, 500) &&
	    sscanf(buf, "pulse %ld", &ms) == 1 && ms > 0 && ms <= 100);
	/* Far longer: up to 600 ms from the start, about 500 from now. */
	peer_send(&p, "pulse 5000");
	CHECK(peer_recv(&p, buf, sizeof buf, 500) &&
	    sscanf(buf, "pulse %ld", &ms) == 1);
	CHECK_NEAR(ms, 500, 100);
	peer_expect(&p, "release", 1000);
	CHECK_INT(sim_read(p.path, l, 8), 2);
	CHECK_INT(l[0].arg, 200);
	CHECK_STR(l[1].word, "release");
	CHECK_NEAR(l[1].ms - l[0].ms, 600, 100);
	peer_close(&p);
}

/* Bad commands get an error, not a disconnect; release ends a pulse. */
TEST(test_keeper_commands)
{
	struct sim_line	l[8];
	struct peer	p;
	char		big[DOOR_KEEPER_LINE_MAX + 16];

	if (peer_open(&p, 1000) == -1)
		return;
	peer_send(&p, "open");
	peer_expect(&p, "error unknown command: open", 500);
	peer_send(&p, "pulse 0");
	peer_expect(&p, "error bad pulse: 0", 500);
	peer_send(&p, "pulse -5");
	peer_expect(&p, "error bad pulse: -5", 500);
	peer_send(&p, "pulse 99999999999999999999");
	peer_expect(&p, "error bad pulse: 99999999999999999999", 500);
	memset(big, 'x', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	peer_send(&p, big);
	peer_expect(&p, "error line too long", 500);
	peer_send(&p, "release");
	peer_send(&p, "pulse 800");
	peer_expect(&p, "pulse 800", 500);
	peer_send(&p, "release");
	peer_expect(&p, "release", 500);
	CHECK_INT(sim_read(p.path, l, 8), 2);
	CHECK(l[1].ms - l[0].ms < 400);
	peer_close(&p);
}

/* Main closing its end mid-pulse drops the relay at once. */
TEST(test_keeper_close)
{
	struct sim_line	l[8];
	struct peer	p;

	if (peer_open(&p, 10000) == -1)
		return;
	peer_send(&p, "pulse 5000");
	peer_expect(&p, "pulse 5000", 500);
	close(p.fd);
	p.fd = -1;
	CHECK_INT(sim_wait(p.path, l, 2, 1000), 2);
	CHECK_STR(l[1].word, "release");
	CHECK(l[1].ms - l[0].ms < 150);
	peer_close(&p);
}

/* SIGTERM to the keeper mid-pulse: release, told to main, and exit. */
TEST(test_keeper_sigterm)
{
	struct sim_line	l[8];
	struct peer	p;

	if (peer_open(&p, 10000) == -1)
		return;
	peer_send(&p, "pulse 5000");
	peer_expect(&p, "pulse 5000", 500);
	kill(p.pid, SIGTERM);
	peer_expect(&p, "release", 500);
	CHECK_INT(sim_wait(p.path, l, 2, 1000), 2);
	CHECK(l[1].ms - l[0].ms < 150);
	peer_close(&p);
}

/*
 * Main dies by SIGKILL mid-pulse: an intermediate process plays main,
 * tells us the keeper's pid and is killed. We are a subreaper, so the
 * orphaned keeper becomes our child and we can see it exit.
 */
TEST(test_keeper_main_killed)
{
	struct sim_line	l[8];
	struct peer	p;
	pid_t		mid, keeper = -1;
	int		pfd[2];

	if (prctl(PR_SET_CHILD_SUBREAPER, 1) == -1 || pipe(pfd) == -1) {
		CHECK(0);
		return;
	}
	if ((mid = fork()) == 0) {
		close(pfd[0]);
		if (peer_open(&p, 10000) == -1)
			_exit(1);
		peer_send(&p, "pulse 5000");
		if (!peer_recv(&p, l[0].word, sizeof l[0].word, 500))
			_exit(1);
		if (write(pfd[1], &p, sizeof p) != sizeof p)
			_exit(1);
		for (;;)
			pause();
	}
	close(pfd[1]);
	if (mid == -1 || read(pfd[0], &p, sizeof p) != sizeof p) {
		CHECK(0);
		close(pfd[0]);
		return;
	}
	close(pfd[0]);
	keeper = p.pid;
	usleep(50000);
	kill(mid, SIGKILL);
	CHECK(WIFSIGNALED(reap(mid, 1000)));
	CHECK_INT(sim_wait(p.path, l, 2, 1000), 2);
	CHECK_STR(l[1].word, "release");
	CHECK(l[1].ms - l[0].ms < 400);
	CHECK_INT(reap(keeper, 1000), 0);
	CHECK(kill(keeper, 0) == -1 && errno == ESRCH);
	prctl(PR_SET_CHILD_SUBREAPER, 0);
}

/* Inputs injected into the sim FIFO reach main. */
TEST(test_keeper_inputs)
{
	struct peer	p;
	char		in[300], buf[DOOR_KEEPER_LINE_MAX];
	int		fd;

	if (peer_open(&p, 1000) == -1)
		return;
	snprintf(in, sizeof in, "%s.in", p.path);
	if ((fd = open(in, O_WRONLY|O_NONBLOCK)) == -1) {
		CHECK(fd != -1);
		peer_close(&p);
		return;
	}
	CHECK_INT(write(fd, "contact open\n", 13), 13);
	peer_expect(&p, "contact open", 500);
	CHECK_INT(write(fd, "exit pressed\ncontact closed\n", 28), 28);
	peer_expect(&p, "exit pressed", 500);
	peer_expect(&p, "contact closed", 500);
	CHECK_INT(write(fd, "door ajar\n", 10), 10);
	CHECK(peer_recv(&p, buf, sizeof buf, 500) &&
	    strncmp(buf, "error ", 6) == 0 &&
	    strstr(buf, ".in: 1 bad line") != NULL);
	close(fd);
	peer_close(&p);
}

int
main(void)
{
	signal(SIGPIPE, SIG_IGN);
	RUN(test_sim_format);
	RUN(test_sim_input);
	RUN(test_bad_spec);
	RUN(test_keeper_gpiod);
	RUN(test_keeper_pulse);
	RUN(test_keeper_clamp);
	RUN(test_keeper_extend);
	RUN(test_keeper_commands);
	RUN(test_keeper_close);
	RUN(test_keeper_sigterm);
	RUN(test_keeper_main_killed);
	RUN(test_keeper_inputs);
	return test_main_end("test-door");
}
