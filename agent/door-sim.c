/*
 * The simulated door, "sim:FILE", for tests and regress scripts.
 *
 * The relay is a log: every relay change appends one line to FILE, in one
 * write(2) with O_APPEND, as UTC wall-clock time to the millisecond and a
 * word. This exact format is a contract that scripts rely on:
 *
 *   2026-11-21T10:00:00.123Z pulse 3000     energised for 3000 ms
 *   2026-11-21T10:00:03.124Z release        dropped
 *
 * A pulse extended by the keeper is not a relay change and writes nothing;
 * the release line shows when the relay really dropped.
 *
 * The sensors are a FIFO, FILE.in, made (mode 0600) when missing. A test
 * injects an input by writing one of these lines to it:
 *
 *   contact open
 *   contact closed
 *   exit pressed
 *
 * e.g. `echo 'exit pressed' > /run/gatehouse/door.in`. The backend holds a
 * writer of its own on the FIFO, so writers coming and going never make it
 * see EOF, and a writer never blocks while the door is open. Other lines
 * are reported as errors and skipped.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "door.h"
#include "lineio.h"
#include "xmalloc.h"

/* An input line is a few words; anything longer is not one. */
#define DOOR_SIM_LINE_MAX	64

/* An open simulated door. */
struct door_sim {
	char		*path;
	int		 log_fd;	/* FILE, appended */
	int		 in_fd;		/* FILE.in, read */
	int		 in_keep;	/* FILE.in, our own writer */
	struct line_in	*in;
};

/* Opens FILE for the relay and FILE.in for the sensors. */
static void *
door_sim_open(const char *path, char **cause)
{
	struct door_sim	*s;
	struct stat	 sb;
	char		*in;

	if (*path == '\0') {
		xasprintf(cause, "sim: expected a file");
		return NULL;
	}
	s = xcalloc(1, sizeof *s);
	s->path = xstrdup(path);
	s->log_fd = s->in_fd = s->in_keep = -1;
	xasprintf(&in, "%s.in", path);
	s->log_fd = open(path, O_WRONLY|O_APPEND|O_CREAT|O_CLOEXEC, 0644);
	if (s->log_fd == -1) {
		xasprintf(cause, "%s: %s", path, strerror(errno));
		goto fail;
	}
	if (mkfifo(in, 0600) == -1 && errno != EEXIST) {
		xasprintf(cause, "%s: %s", in, strerror(errno));
		goto fail;
	}
	if (stat(in, &sb) == -1) {
		xasprintf(cause, "%s: %s", in, strerror(errno));
		goto fail;
	}
	if (!S_ISFIFO(sb.st_mode)) {
		xasprintf(cause, "%s: not a FIFO", in);
		goto fail;
	}
	s->in_fd = open(in, O_RDONLY|O_NONBLOCK|O_CLOEXEC);
	if (s->in_fd != -1)
		s->in_keep = open(in, O_WRONLY|O_NONBLOCK|O_CLOEXEC);
	if (s->in_fd == -1 || s->in_keep == -1) {
		xasprintf(cause, "%s: %s", in, strerror(errno));
		goto fail;
	}
	s->in = line_in_new(DOOR_SIM_LINE_MAX);
	free(in);
	return s;

fail:
	free(in);
	if (s->log_fd != -1)
		close(s->log_fd);
	if (s->in_fd != -1)
		close(s->in_fd);
	free(s->path);
	free(s);
	return NULL;
}

/* Appends "TIME pulse MS" or "TIME release" to FILE. */
static int
door_sim_relay(void *state, int on, int64_t ms, char **cause)
{
	struct door_sim	*s = state;
	struct timespec	 ts;
	struct tm	 tm;
	char		 line[128];
	size_t		 n;
	int		 len;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	n = strftime(line, sizeof line, "%Y-%m-%dT%H:%M:%S", &tm);
	if (on)
		len = snprintf(line + n, sizeof line - n, ".%03ldZ pulse %lld\n",
		    ts.tv_nsec / 1000000, (long long)ms);
	else
		len = snprintf(line + n, sizeof line - n, ".%03ldZ release\n",
		    ts.tv_nsec / 1000000);
	n += (size_t)len;
	if (write(s->log_fd, line, n) != (ssize_t)n) {
		xasprintf(cause, "%s: %s", s->path, strerror(errno));
		return -1;
	}
	return 0;
}

/* The sensors' FIFO. */
static int
door_sim_fds(void *state, int *fds, int max)
{
	struct door_sim	*s = state;

	if (max < 1)
		return 0;
	fds[0] = s->in_fd;
	return 1;
}

/* Reads the lines written to FILE.in and reports the inputs they name. */
static int
door_sim_read(void *state, int fd, door_input_cb *cb, void *arg,
    char **cause)
{
	struct door_sim	*s = state;
	enum door_input	 input;
	char		*line;
	size_t		 len;
	int		 r, bad = 0;

	(void)fd;
	if (line_in_read(s->in, s->in_fd) == -1 && errno != EAGAIN) {
		xasprintf(cause, "%s.in: %s", s->path, strerror(errno));
		return -1;
	}
	while ((r = line_in_next(s->in, &line, &len)) != 0) {
		if (r == 1 && door_input_parse(line, &input) == 0)
			cb(input, arg);
		else
			bad++;
	}
	if (bad != 0) {
		xasprintf(cause, "%s.in: %d bad line%s", s->path, bad,
		    bad == 1 ? "" : "s");
		return -1;
	}
	return 0;
}

/* Closes the files; FILE and FILE.in stay. */
static void
door_sim_close(void *state)
{
	struct door_sim	*s = state;

	close(s->log_fd);
	close(s->in_fd);
	close(s->in_keep);
	line_in_free(s->in);
	free(s->path);
	free(s);
}

const struct door_backend door_sim_backend = {
	.prefix = "sim:",
	.open = door_sim_open,
	.relay = door_sim_relay,
	.fds = door_sim_fds,
	.read = door_sim_read,
	.close = door_sim_close
};
