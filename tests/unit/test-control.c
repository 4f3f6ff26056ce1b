/*
 * Tests of agent/control.c: a real loop and a real socket in a temporary
 * folder. Clients are non-blocking sockets driven by the same loop, so a
 * test runs the loop until what it waits for has happened (with a generous
 * deadline that only turns a hang into a failure); peers of other uids are
 * forked children that drop root first. dial-stdio's copier runs in a
 * forked child between two pipes.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "control.h"
#include "lineio.h"
#include "log.h"
#include "loop.h"
#include "protocol.h"
#include "test.h"
#include "xmalloc.h"

/* Only turns a hang into a failure; nothing waits this long when it works. */
#define RUN_DEADLINE_MS	20000

static struct loop	*L;
static struct control	*C;
static char		 sock_path[256];
static int		 sock_n;

/* What the request callback saw, and how it answers. */
static int		 cb_calls;
static uint64_t		 cb_peer;
static int64_t		 cb_req;
static enum proto_role	 cb_role;
static uid_t		 cb_uid;
static pid_t		 cb_pid;
static char		 cb_who[64];
static char		 cb_cmd[32];
static int		 cb_defer;	/* keep the request, answer later */

/* Records the request; answers at once unless cb_defer is set. */
static void
request_cb(struct control *ctl, const struct control_peer *peer,
    const struct proto_request *req, void *arg)
{
	const cJSON	*follow;
	cJSON		*result;

	(void)arg;
	cb_calls++;
	cb_peer = peer->id;
	cb_req = req->id;
	cb_role = peer->role;
	cb_uid = peer->uid;
	cb_pid = peer->pid;
	snprintf(cb_who, sizeof cb_who, "%s", peer->who);
	snprintf(cb_cmd, sizeof cb_cmd, "%s", req->cmd->name);
	if (req->cmd->id == PROTO_CMD_EVENTS) {
		follow = cJSON_GetObjectItemCaseSensitive(req->args, "follow");
		result = cJSON_CreateObject();
		cJSON_AddArrayToObject(result, "events");
		control_reply(ctl, peer->id, proto_reply_ok(req->id, result));
		if (cJSON_IsTrue(follow))
			CHECK_INT(control_follow(ctl, peer->id), 0);
		return;
	}
	if (cb_defer)
		return;
	result = cJSON_CreateObject();
	cJSON_AddStringToObject(result, "cmd", req->cmd->name);
	control_reply(ctl, peer->id, proto_reply_ok(req->id, result));
}

/* A fresh loop and control on a fresh socket path. */
static void
setup(void)
{
	struct control_params	 params = { sock_path, "gatehouse-agent 0.1",
				     "front" };
	char			*cause = NULL;

	snprintf(sock_path, sizeof sock_path, "%s/s%d.sock", test_tmpdir(),
	    ++sock_n);
	cb_calls = 0;
	cb_defer = 0;
	cb_peer = 0;
	L = loop_new();
	C = control_new(L, &params, request_cb, NULL, &cause);
	if (C == NULL)
		fprintf(stderr, "control_new: %s\n", cause);
	CHECK(C != NULL);
	free(cause);
}

static void
teardown(void)
{
	control_free(C);
	C = NULL;
	loop_free(L);
	L = NULL;
}

/* Running the loop until a condition holds. */
typedef int	 pred_fn(void *);
static pred_fn	*run_pred;
static void	*run_arg;
static int	 run_ok;

static int64_t
run_tick(struct loop *l, uint64_t id, void *arg)
{
	(void)id;
	(void)arg;
	if (run_pred(run_arg)) {
		run_ok = 1;
		loop_stop(l);
		return -1;
	}
	return 1;
}

static int64_t
run_deadline(struct loop *l, uint64_t id, void *arg)
{
	(void)id;
	(void)arg;
	loop_stop(l);
	return -1;
}

/* Runs the loop until PRED(ARG); 0 if the deadline came first. */
static int
run_until(pred_fn *pred, void *arg)
{
	uint64_t	t1, t2;

	if (pred(arg))
		return 1;
	run_pred = pred;
	run_arg = arg;
	run_ok = 0;
	t1 = loop_add_timer(L, 1, run_tick, NULL);
	t2 = loop_add_timer(L, RUN_DEADLINE_MS, run_deadline, NULL);
	loop_run(L);
	loop_del_timer(L, t1);
	loop_del_timer(L, t2);
	return run_ok;
}

/* A few passes of the loop, for zero-delay work to run. */
static int	 spins;

static int
spun(void *arg)
{
	(void)arg;
	return ++spins > 3;
}

static void
spin(void)
{
	spins = 0;
	run_until(spun, NULL);
}

static int
peers_are(void *arg)
{
	return control_peers(C) == *(size_t *)arg;
}

/* Runs until the control has N peers. */
static int
wait_peers(size_t n)
{
	return run_until(peers_are, &n);
}

static int
calls_are(void *arg)
{
	return cb_calls >= *(int *)arg;
}

/* A client: a non-blocking socket on the loop, collecting lines. */
struct tclient {
	int		 fd;
	struct line_in	*in;
	struct line_out	*out;
	char		**lines;
	size_t		 nlines;
	size_t		 next;
	int		 eof;
	int		 paused;	/* not reading */
	int		 werr;
	int		 reset;		/* ECONNRESET, not a clean EOF */
};

static void
tc_mask(struct tclient *c)
{
	int	mask = 0;

	if (!c->eof && !c->paused)
		mask |= LOOP_READ;
	if (!c->werr && line_out_pending(c->out) != 0)
		mask |= LOOP_WRITE;
	loop_set_mask(L, c->fd, mask);
}

static void
tc_push(struct tclient *c, const char *line)
{
	c->lines = xreallocarray(c->lines, c->nlines + 1, sizeof *c->lines);
	c->lines[c->nlines++] = xstrdup(line);
}

static void
tc_io(struct loop *l, int fd, int events, void *arg)
{
	struct tclient	*c = arg;
	char		*line;
	size_t		 len;
	int		 r;

	(void)l;
	if ((events & (LOOP_WRITE|LOOP_HUP|LOOP_ERR)) &&
	    line_out_pending(c->out) != 0 && !c->werr &&
	    line_out_flush(c->out, fd) == -1)
		c->werr = 1;
	if ((events & (LOOP_READ|LOOP_HUP|LOOP_ERR)) && !c->eof &&
	    !c->paused) {
		r = line_in_read(c->in, fd);
		if (r == -1 && errno == ECONNRESET)
			c->reset = 1;
		if (r == 0 || (r == -1 && errno != EAGAIN))
			c->eof = 1;
		while ((r = line_in_next(c->in, &line, &len)) != 0) {
			if (r == 1)
				tc_push(c, line);
			else
				tc_push(c, "!bad");
		}
	}
	tc_mask(c);
}

/* Wraps FD (non-blocking) as a client. */
static struct tclient *
tc_wrap(int fd)
{
	struct tclient	*c = xcalloc(1, sizeof *c);

	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	c->fd = fd;
	c->in = line_in_new(PROTO_REPLY_LINE_MAX);
	c->out = line_out_new();
	loop_add_fd(L, fd, LOOP_READ, tc_io, c);
	return c;
}

/* Connects to the socket at PATH. */
static int
connect_to(const char *path)
{
	struct sockaddr_un	sun;
	int			fd;

	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof sun.sun_path, "%s", path);
	fd = socket(AF_UNIX, SOCK_STREAM|SOCK_CLOEXEC, 0);
	if (fd == -1)
		return -1;
	if (connect(fd, (struct sockaddr *)&sun, sizeof sun) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static struct tclient *
tc_new(void)
{
	int	fd = connect_to(sock_path);

	CHECK(fd != -1);
	if (fd == -1)
		abort();
	return tc_wrap(fd);
}

static void
tc_free(struct tclient *c)
{
	size_t	i;

	if (c == NULL)
		return;
	loop_del_fd(L, c->fd);
	close(c->fd);
	for (i = 0; i < c->nlines; i++)
		free(c->lines[i]);
	free(c->lines);
	line_in_free(c->in);
	line_out_free(c->out);
	free(c);
}

/*
 * Queues LINES (one or more, separated by newlines) and a last newline to
 * the agent; they go out in one write when the socket takes them.
 */
static void
tc_send(struct tclient *c, const char *lines)
{
	const char	*nl;

	while ((nl = strchr(lines, '\n')) != NULL) {
		line_out_add(c->out, lines, (size_t)(nl - lines));
		lines = nl + 1;
	}
	line_out_add(c->out, lines, strlen(lines));
	tc_mask(c);
}

static int
tc_has_line(void *arg)
{
	struct tclient	*c = arg;

	return c->next < c->nlines || c->eof;
}

/* The next line from the agent (owned by C), or NULL at EOF. */
static const char *
tc_line(struct tclient *c)
{
	if (!run_until(tc_has_line, c)) {
		fprintf(stderr, "%s: timed out waiting for a line\n",
		    test_current);
		return NULL;
	}
	if (c->next < c->nlines)
		return c->lines[c->next++];
	return NULL;
}

static int
tc_at_eof(void *arg)
{
	struct tclient	*c = arg;

	return c->eof;
}

/* Whether LINE is a reply to ID (-1: none) that is ok (CODE NULL) or CODE. */
static int
is_reply(const char *line, int64_t id, const char *code)
{
	struct proto_reply	 rep;
	char			*message;
	int			 r = 0;

	if (line == NULL) {
		fprintf(stderr, "%s: no line\n", test_current);
		return 0;
	}
	if (proto_parse_reply(line, strlen(line), &rep, &message) == 0 &&
	    rep.kind == PROTO_REPLY && rep.id == id) {
		if (code == NULL)
			r = rep.ok;
		else
			r = !rep.ok && strcmp(proto_error_name(rep.code),
			    code) == 0;
	}
	if (!r)
		fprintf(stderr, "%s: unexpected line: %.200s\n", test_current,
		    line);
	free(message);
	proto_reply_clear(&rep);
	return r;
}

/* Whether LINE is an event of TYPE. */
static int
is_event(const char *line, const char *type)
{
	struct proto_reply	 rep;
	char			*message;
	int			 r = 0;

	if (line == NULL) {
		fprintf(stderr, "%s: no line\n", test_current);
		return 0;
	}
	if (proto_parse_reply(line, strlen(line), &rep, &message) == 0 &&
	    rep.kind == PROTO_EVENT)
		r = strcmp(rep.type, type) == 0;
	if (!r)
		fprintf(stderr, "%s: unexpected line: %.200s\n", test_current,
		    line);
	free(message);
	proto_reply_clear(&rep);
	return r;
}

/* Says hello (id 0) and checks the answer. */
static void
tc_hello(struct tclient *c)
{
	tc_send(c, "{\"id\":0,\"cmd\":\"hello\",\"args\":{\"version\":1,"
	    "\"client\":\"test\"}}");
	CHECK(is_reply(tc_line(c), 0, NULL));
}

TEST(test_socket_file)
{
	struct control_params	 params = { NULL, "a", "d" };
	struct stat		 sb;
	mode_t			 before, after;
	char			*cause = NULL, path[300], *text;
	size_t			 len;
	int			 fd;

	before = umask(022);
	umask(before);
	setup();
	after = umask(022);
	umask(after);
	CHECK_INT(after, before);
	CHECK(stat(sock_path, &sb) == 0);
	CHECK(S_ISSOCK(sb.st_mode));
	CHECK_INT(sb.st_mode & 07777, 0660);

	/* A second control on a live path is refused; the first goes on. */
	params.path = sock_path;
	CHECK(control_new(L, &params, request_cb, NULL, &cause) == NULL);
	CHECK(cause != NULL && strstr(cause, "another agent is listening")
	    != NULL);
	free(cause);
	cause = NULL;
	CHECK(stat(sock_path, &sb) == 0);
	{
		struct tclient	*c = tc_new();

		tc_hello(c);
		tc_free(c);
	}
	teardown();
	CHECK(lstat(sock_path, &sb) != 0 && errno == ENOENT);
	control_free(NULL);

	/* A stale socket (bound, closed, left behind) is replaced. */
	snprintf(path, sizeof path, "%s/stale.sock", test_tmpdir());
	{
		struct sockaddr_un	sun;

		memset(&sun, 0, sizeof sun);
		sun.sun_family = AF_UNIX;
		CHECK(strlen(path) < sizeof sun.sun_path);
		memcpy(sun.sun_path, path, strlen(path) + 1);
		fd = socket(AF_UNIX, SOCK_STREAM, 0);
		CHECK(bind(fd, (struct sockaddr *)&sun, sizeof sun) == 0);
		close(fd);
	}
	CHECK(lstat(path, &sb) == 0 && S_ISSOCK(sb.st_mode));
	L = loop_new();
	params.path = path;
	C = control_new(L, &params, request_cb, NULL, &cause);
	CHECK(C != NULL);
	free(cause);
	cause = NULL;
	fd = connect_to(path);
	CHECK(fd != -1);
	close(fd);
	teardown();

	/* A regular file is refused and left alone. */
	snprintf(path, sizeof path, "%s/regular", test_tmpdir());
	fd = open(path, O_WRONLY|O_CREAT|O_TRUNC, 0600);
	CHECK(write(fd, "precious\n", 9) == 9);
	close(fd);
	L = loop_new();
	C = control_new(L, &params, request_cb, NULL, &cause);
	CHECK(C == NULL);
	CHECK(cause != NULL && strstr(cause, "not a socket") != NULL);
	free(cause);
	cause = NULL;
	text = test_read_file(path, &len);
	CHECK_STR(text, "precious\n");
	free(text);

	/* A missing folder, and a path longer than sun_path. */
	snprintf(path, sizeof path, "%s/no/such.sock", test_tmpdir());
	CHECK(control_new(L, &params, request_cb, NULL, &cause) == NULL);
	CHECK(cause != NULL && strstr(cause, "directory") != NULL);
	free(cause);
	cause = NULL;
	memset(path, 'x', 200);
	path[0] = '/';
	path[200] = '\0';
	CHECK(control_new(L, &params, request_cb, NULL, &cause) == NULL);
	CHECK(cause != NULL && strstr(cause, "too long") != NULL);
	free(cause);
	loop_free(L);
	L = NULL;
}

TEST(test_hello)
{
	struct tclient		*c;
	struct proto_reply	 rep;
	const char		*line;
	char			*message;
	const cJSON		*r;

	setup();
	c = tc_new();
	/* Anything before hello is refused, with its id. */
	tc_send(c, "{\"id\":7,\"cmd\":\"status\"}");
	line = tc_line(c);
	CHECK(is_reply(line, 7, "bad-request"));
	CHECK(line != NULL && strstr(line, "hello first") != NULL);
	CHECK_INT(cb_calls, 0);

	tc_send(c, "{\"id\":8,\"cmd\":\"hello\",\"args\":{\"version\":1,"
	    "\"client\":\"test 1\"}}");
	line = tc_line(c);
	CHECK(is_reply(line, 8, NULL));
	if (line == NULL)
		line = "";
	if (proto_parse_reply(line, strlen(line), &rep, &message) == 0) {
		r = rep.result;
		CHECK_INT(cJSON_GetObjectItem(r, "version")->valuedouble,
		    PROTO_VERSION);
		CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(r,
		    "agent")), "gatehouse-agent 0.1");
		CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(r,
		    "role")), "admin");
		CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(r,
		    "door")), "front");
		CHECK_INT(cJSON_GetArraySize(r), 4);
	}
	free(message);
	proto_reply_clear(&rep);

	/* A second hello is refused; hello never reaches the callback. */
	tc_send(c, "{\"id\":9,\"cmd\":\"hello\",\"args\":{\"version\":1,"
	    "\"client\":\"test 1\"}}");
	CHECK(is_reply(tc_line(c), 9, "bad-request"));
	CHECK_INT(cb_calls, 0);

	/* An unknown command is an error; the session goes on. */
	tc_send(c, "{\"id\":10,\"cmd\":\"fly\"}");
	CHECK(is_reply(tc_line(c), 10, "unknown-command"));
	tc_send(c, "{\"id\":11,\"cmd\":\"status\"}");
	CHECK(is_reply(tc_line(c), 11, NULL));
	CHECK_INT(cb_calls, 1);
	CHECK_INT(control_peers(C), 1);
	tc_free(c);
	CHECK(wait_peers(0));
	teardown();
}

TEST(test_version)
{
	struct tclient	*c;
	const char	*line;

	setup();
	c = tc_new();
	tc_send(c, "{\"id\":1,\"cmd\":\"hello\",\"args\":{\"version\":2,"
	    "\"client\":\"future\"}}");
	/* Lines after the hello are not served. */
	tc_send(c, "{\"id\":2,\"cmd\":\"status\"}");
	line = tc_line(c);
	CHECK(is_reply(line, 1, "version"));
	CHECK(line != NULL && strstr(line, "2") != NULL &&
	    strstr(line, "1") != NULL);
	/* Then a clean EOF, not a reset and not a reply to id 2. */
	CHECK(tc_line(c) == NULL);
	CHECK(c->eof && !c->reset);
	CHECK_INT(cb_calls, 0);
	/* The agent waits for our EOF, as a console closes on its own. */
	tc_free(c);
	CHECK(wait_peers(0));
	teardown();
}

TEST(test_dispatch)
{
	struct tclient	*c;

	setup();
	c = tc_new();
	tc_hello(c);
	tc_send(c, "{\"id\":5,\"cmd\":\"door open\",\"args\":"
	    "{\"reason\":\"test\"}}");
	CHECK(is_reply(tc_line(c), 5, NULL));
	CHECK_INT(cb_calls, 1);
	CHECK_STR(cb_cmd, "door open");
	CHECK_INT(cb_req, 5);
	CHECK_INT(cb_role, PROTO_ROLE_ADMIN);
	CHECK_INT(cb_uid, getuid());
	CHECK_INT(cb_pid, getpid());
	CHECK(cb_peer >= 1);
	if (getuid() == 0)
		CHECK_STR(cb_who, "uid 0 (root)");

	/* Bad arguments never reach the callback; the id is echoed. */
	tc_send(c, "{\"id\":6,\"cmd\":\"door open\"}");
	CHECK(is_reply(tc_line(c), 6, "bad-request"));
	tc_send(c, "not json");
	CHECK(is_reply(tc_line(c), -1, "bad-request"));
	CHECK_INT(cb_calls, 1);

	/* A NUL byte is refused without an id. */
	CHECK(write(c->fd, "{\"id\":1,\0}\n", 11) == 11);
	CHECK(is_reply(tc_line(c), -1, "bad-request"));
	tc_free(c);
	teardown();
}

/* Answers the deferred request from a timer, noting the callback count. */
static int	 calls_at_reply = -1;

static int64_t
reply_later(struct loop *l, uint64_t id, void *arg)
{
	(void)l;
	(void)id;
	(void)arg;
	calls_at_reply = cb_calls;
	cb_defer = 0;
	control_reply(C, cb_peer, proto_reply_ok(cb_req, NULL));
	return -1;
}

TEST(test_deferred)
{
	struct tclient	*c;
	int		 one = 1, two = 2;

	setup();
	c = tc_new();
	tc_hello(c);
	cb_defer = 1;
	/* Two requests in one write: the second waits for the first. */
	tc_send(c, "{\"id\":1,\"cmd\":\"status\"}\n"
	    "{\"id\":2,\"cmd\":\"people\"}");
	CHECK(run_until(calls_are, &one));
	CHECK_INT(cb_req, 1);
	loop_add_timer(L, 20, reply_later, NULL);
	CHECK(is_reply(tc_line(c), 1, NULL));
	CHECK_INT(calls_at_reply, 1);
	CHECK(is_reply(tc_line(c), 2, NULL));
	CHECK_INT(cb_calls, 2);
	CHECK_STR(cb_cmd, "people");
	CHECK(run_until(calls_are, &two));

	/* A reply with no request outstanding is ignored. */
	control_reply(C, cb_peer, proto_reply_ok(99, NULL));
	tc_send(c, "{\"id\":3,\"cmd\":\"status\"}");
	CHECK(is_reply(tc_line(c), 3, NULL));
	tc_free(c);
	teardown();
}

TEST(test_half_close)
{
	struct tclient	*c;

	setup();
	c = tc_new();
	tc_send(c, "{\"id\":0,\"cmd\":\"hello\",\"args\":{\"version\":1,"
	    "\"client\":\"test\"}}\n{\"id\":1,\"cmd\":\"status\"}\n"
	    "{\"id\":2,\"cmd\":\"status\"}");
	while (line_out_pending(c->out) != 0)
		CHECK(line_out_flush(c->out, c->fd) != -1);
	CHECK(shutdown(c->fd, SHUT_WR) == 0);
	cb_defer = 1;
	CHECK(is_reply(tc_line(c), 0, NULL));
	{
		int	one = 1;

		CHECK(run_until(calls_are, &one));
	}
	cb_defer = 0;
	control_reply(C, cb_peer, proto_reply_ok(cb_req, NULL));
	CHECK(is_reply(tc_line(c), 1, NULL));
	CHECK(is_reply(tc_line(c), 2, NULL));
	CHECK(tc_line(c) == NULL);
	CHECK(wait_peers(0));
	tc_free(c);
	teardown();
}

TEST(test_too_large)
{
	struct tclient	*c;
	char		*big;
	size_t		 n = PROTO_LINE_MAX + 10;

	setup();
	c = tc_new();
	tc_hello(c);
	big = xmalloc(n + 1);
	memset(big, 'x', n);
	big[n] = '\0';
	tc_send(c, big);
	free(big);
	tc_send(c, "{\"id\":3,\"cmd\":\"status\"}");
	CHECK(is_reply(tc_line(c), -1, "too-large"));
	CHECK(is_reply(tc_line(c), 3, NULL));
	CHECK_INT(control_peers(C), 1);
	tc_free(c);
	teardown();
}

TEST(test_garbage)
{
	struct tclient	*c;
	int		 i, n;

	setup();
	c = tc_new();
	tc_hello(c);
	/* A good request between 15 bad lines resets the count. */
	for (i = 0; i < CONTROL_BAD_MAX - 1; i++)
		tc_send(c, "garbage");
	tc_send(c, "{\"id\":1,\"cmd\":\"status\"}");
	for (i = 0; i < CONTROL_BAD_MAX - 1; i++)
		tc_send(c, "garbage");
	tc_send(c, "{\"id\":2,\"cmd\":\"status\"}");
	for (i = 0; i < CONTROL_BAD_MAX - 1; i++)
		CHECK(is_reply(tc_line(c), -1, "bad-request"));
	CHECK(is_reply(tc_line(c), 1, NULL));
	for (i = 0; i < CONTROL_BAD_MAX - 1; i++)
		CHECK(is_reply(tc_line(c), -1, "bad-request"));
	CHECK(is_reply(tc_line(c), 2, NULL));
	CHECK_INT(control_peers(C), 1);

	/* Sixteen in a row drop the peer. */
	for (i = 0; i < CONTROL_BAD_MAX + 4; i++)
		tc_send(c, "garbage");
	CHECK(run_until(tc_at_eof, c));
	n = (int)(c->nlines - c->next);
	CHECK(n >= CONTROL_BAD_MAX - 1 && n <= CONTROL_BAD_MAX);
	CHECK(wait_peers(0));
	tc_free(c);
	teardown();
}

TEST(test_events)
{
	struct tclient	*a, *b;
	char		*ev;

	setup();
	a = tc_new();
	b = tc_new();
	tc_hello(a);
	tc_hello(b);
	tc_send(a, "{\"id\":1,\"cmd\":\"events\",\"args\":{\"follow\":true}}");
	CHECK(is_reply(tc_line(a), 1, NULL));
	ev = proto_event("door", 1714554000123, "front", NULL, NULL);
	control_event(C, ev);
	CHECK(is_event(tc_line(a), "door"));
	free(ev);
	/* B does not follow: its next line is the reply, no event first. */
	tc_send(b, "{\"id\":2,\"cmd\":\"status\"}");
	CHECK(is_reply(tc_line(b), 2, NULL));
	/* Events only follow the reply to "events". */
	tc_send(b, "{\"id\":3,\"cmd\":\"events\",\"args\":{\"follow\":false}}");
	CHECK(is_reply(tc_line(b), 3, NULL));
	ev = proto_event("alarm", 1714554000124, "front", "Ann", NULL);
	control_event(C, ev);
	free(ev);
	CHECK(is_event(tc_line(a), "alarm"));
	tc_send(b, "{\"id\":4,\"cmd\":\"status\"}");
	CHECK(is_reply(tc_line(b), 4, NULL));
	tc_free(a);
	tc_free(b);
	teardown();
}

/* A 1 MiB event line. */
static char *
big_event(void)
{
	cJSON	*extra = cJSON_CreateObject();
	char	*pad, *ev;
	size_t	 n = 1024 * 1024;

	pad = xmalloc(n + 1);
	memset(pad, 'p', n);
	pad[n] = '\0';
	cJSON_AddStringToObject(extra, "pad", pad);
	free(pad);
	ev = proto_event("door", 1, "front", NULL, extra);
	return ev;
}

TEST(test_slow_reader)
{
	struct tclient	*a, *b;
	char		*ev;
	int		 i;

	setup();
	a = tc_new();
	b = tc_new();
	tc_hello(a);
	tc_hello(b);
	tc_send(a, "{\"id\":1,\"cmd\":\"events\",\"args\":{\"follow\":true}}");
	CHECK(is_reply(tc_line(a), 1, NULL));
	/* A stops reading; events pile up until the cap drops it. */
	a->paused = 1;
	tc_mask(a);
	ev = big_event();
	for (i = 0; i < 200 && control_peers(C) == 2; i++)
		control_event(C, ev);
	free(ev);
	CHECK_INT(control_peers(C), 1);
	CHECK(i > (int)(CONTROL_OUT_MAX / (1024 * 1024)));
	/* B, not following, is untouched. */
	tc_send(b, "{\"id\":2,\"cmd\":\"status\"}");
	CHECK(is_reply(tc_line(b), 2, NULL));
	spin();
	tc_free(a);
	tc_free(b);
	teardown();
}

TEST(test_gone_peer)
{
	struct tclient	*a, *b, *c;
	uint64_t	 id;
	char		*ev;
	int		 i, n;

	setup();
	/* The peer hangs up while its request is outstanding. */
	a = tc_new();
	tc_hello(a);
	cb_defer = 1;
	tc_send(a, "{\"id\":1,\"cmd\":\"status\"}");
	n = 1;
	CHECK(run_until(calls_are, &n));
	id = cb_peer;
	tc_free(a);
	control_reply(C, id, proto_reply_ok(1, NULL));
	CHECK_INT(control_peers(C), 0);
	control_reply(C, id, proto_reply_ok(1, NULL));
	CHECK_INT(control_follow(C, id), -1);
	spin();
	control_reply(C, id, proto_reply_ok(1, NULL));

	/* Dropped (output cap) while busy, freed, then answered. */
	cb_defer = 0;
	b = tc_new();
	tc_hello(b);
	tc_send(b, "{\"id\":2,\"cmd\":\"events\",\"args\":{\"follow\":true}}");
	CHECK(is_reply(tc_line(b), 2, NULL));
	cb_defer = 1;
	tc_send(b, "{\"id\":3,\"cmd\":\"status\"}");
	n = cb_calls + 1;
	CHECK(run_until(calls_are, &n));
	id = cb_peer;
	b->paused = 1;
	tc_mask(b);
	ev = big_event();
	for (i = 0; i < 200 && control_peers(C) == 1; i++)
		control_event(C, ev);
	free(ev);
	CHECK_INT(control_peers(C), 0);
	spin();
	control_reply(C, id, proto_reply_ok(3, NULL));
	CHECK_INT(control_follow(C, id), -1);
	tc_free(b);

	/* Freed with a busy peer connected. */
	c = tc_new();
	tc_hello(c);
	tc_send(c, "{\"id\":4,\"cmd\":\"status\"}");
	n = cb_calls + 1;
	CHECK(run_until(calls_are, &n));
	control_free(C);
	C = NULL;
	tc_free(c);
	loop_free(L);
	L = NULL;
}

TEST(test_peers_max)
{
	struct tclient	*cs[CONTROL_PEERS_MAX], *x;
	size_t		 i;

	setup();
	/* One at a time: the backlog is shorter than the limit. */
	for (i = 0; i < CONTROL_PEERS_MAX; i++) {
		cs[i] = tc_new();
		CHECK(wait_peers(i + 1));
	}
	x = tc_new();
	CHECK(is_reply(tc_line(x), -1, "unavailable"));
	CHECK(tc_line(x) == NULL);
	CHECK_INT(control_peers(C), CONTROL_PEERS_MAX);
	tc_free(x);
	tc_hello(cs[0]);
	for (i = 0; i < CONTROL_PEERS_MAX; i++)
		tc_free(cs[i]);
	CHECK(wait_peers(0));
	teardown();
}

TEST(test_roles)
{
	enum proto_role	 role;
	struct passwd	*pw;
	struct group	*gr;
	char		*cause = NULL, list[128];
	uid_t		 uid = 0;
	int		 found = 0;
	const char	*bad[] = { "a,,b", ",a", "a,", "@", "1x", "a b",
			    "@1000", "4294967295", "a;b",
			    "abcdefghijklmnopqrstuvwxyz0123456", NULL };
	size_t		 i;

	setup();
	/* Root and the agent's own uid are admin with no lists at all. */
	CHECK_INT(control_role_of(C, 0, 0, &role), 0);
	CHECK_INT(role, PROTO_ROLE_ADMIN);
	role = PROTO_ROLE_VIEWER;
	CHECK_INT(control_role_of(C, geteuid(), 4242, &role), 0);
	CHECK_INT(role, PROTO_ROLE_ADMIN);
	CHECK_INT(control_role_of(C, 4242, 4242, &role), -1);

	/* Numeric uids, blanks allowed; the highest role wins. */
	CHECK_INT(control_set_roles(C, NULL, " 4242 , 4243,4244", "4243", "4244",
	    &cause), 0);
	CHECK_INT(control_role_of(C, 4242, 4242, &role), 0);
	CHECK_INT(role, PROTO_ROLE_VIEWER);
	CHECK_INT(control_role_of(C, 4243, 4243, &role), 0);
	CHECK_INT(role, PROTO_ROLE_GUARD);
	CHECK_INT(control_role_of(C, 4244, 4244, &role), 0);
	CHECK_INT(role, PROTO_ROLE_ADMIN);
	CHECK_INT(control_role_of(C, 4245, 4242, &role), -1);

	/* A malformed list is refused and the old lists stay. */
	for (i = 0; bad[i] != NULL; i++) {
		CHECK_INT(control_set_roles(C, NULL, NULL, bad[i], NULL, &cause), -1);
		CHECK(cause != NULL && strstr(cause, "guard_users") != NULL);
		free(cause);
		cause = NULL;
	}
	CHECK_INT(control_role_of(C, 4243, 4243, &role), 0);
	CHECK_INT(role, PROTO_ROLE_GUARD);

	/* Unknown names are fine (created later); empty lists too. */
	CHECK_INT(control_set_roles(C, NULL, "no_such_user_x,@no_such_group_x,"
	    "host$", NULL, "", &cause), 0);
	CHECK_INT(control_role_of(C, 4243, 4243, &role), -1);

	/* A user by name. */
	setpwent();
	while ((pw = getpwent()) != NULL) {
		if (pw->pw_uid != 0 && pw->pw_uid != geteuid() &&
		    strlen(pw->pw_name) < 32) {
			uid = pw->pw_uid;
			snprintf(list, sizeof list, "%s", pw->pw_name);
			found = 1;
			break;
		}
	}
	endpwent();
	if (found) {
		CHECK_INT(control_set_roles(C, NULL, NULL, list, NULL, &cause), 0);
		CHECK_INT(control_role_of(C, uid, 4242, &role), 0);
		CHECK_INT(role, PROTO_ROLE_GUARD);
		CHECK_INT(control_role_of(C, uid + 100000, 4242, &role), -1);
	}

	/* A group by the peer's gid. */
	if ((gr = getgrgid(0)) != NULL) {
		snprintf(list, sizeof list, "@%s", gr->gr_name);
		CHECK_INT(control_set_roles(C, NULL, list, NULL, NULL, &cause), 0);
		CHECK_INT(control_role_of(C, 4242, 0, &role), 0);
		CHECK_INT(role, PROTO_ROLE_VIEWER);
		CHECK_INT(control_role_of(C, 4242, 4242, &role), -1);
	}
	free(cause);
	teardown();
}

TEST(test_role_member)
{
	enum proto_role	 role;
	struct group	*gr;
	struct passwd	*pw;
	char		 list[128], *cause = NULL;
	uid_t		 uid = 0;
	gid_t		 gid = 0;
	int		 found = 0;
	size_t		 i;

	/* A group that lists a user whose primary group is another. */
	setgrent();
	while (!found && (gr = getgrent()) != NULL) {
		for (i = 0; gr->gr_mem[i] != NULL; i++) {
			if ((pw = getpwnam(gr->gr_mem[i])) == NULL ||
			    pw->pw_gid == gr->gr_gid || pw->pw_uid == 0 ||
			    pw->pw_uid == geteuid() || strlen(gr->gr_name) > 32)
				continue;
			snprintf(list, sizeof list, "@%s", gr->gr_name);
			uid = pw->pw_uid;
			gid = pw->pw_gid;
			found = 1;
			break;
		}
	}
	endgrent();
	if (!found) {
		test_skip("no group here lists a member");
		return;
	}
	setup();
	CHECK_INT(control_set_roles(C, NULL, NULL, list, NULL, &cause), 0);
	CHECK_INT(control_role_of(C, uid, gid, &role), 0);
	CHECK_INT(role, PROTO_ROLE_GUARD);
	CHECK_INT(control_role_of(C, 4242, 4242, &role), -1);
	free(cause);
	teardown();
}

/* A child's blocking line reader: the next line without '\n', or NULL. */
static char *
child_line(int fd, char *buf, size_t size)
{
	size_t	n = 0;
	char	ch;

	while (n + 1 < size) {
		if (read(fd, &ch, 1) != 1)
			return NULL;
		if (ch == '\n')
			break;
		buf[n++] = ch;
	}
	buf[n] = '\0';
	return buf;
}

static int
child_write(int fd, const char *s)
{
	return write(fd, s, strlen(s)) == (ssize_t)strlen(s) ? 0 : -1;
}

/*
 * A session as UID in a child: ROLE is the role expected (NULL: none);
 * with WAIT_EOF, after its requests it waits to be dropped. Exits 0 when
 * all went as expected, 77 when it cannot change uid, 78 when it cannot
 * reach the socket, other values for the step that failed.
 */
static void
child_session(uid_t uid, const char *role, int wait_eof)
{
	char	buf[4096], *line;
	int	fd;

	if (setuid(uid) != 0)
		_exit(77);
	if ((fd = connect_to(sock_path)) == -1)
		_exit(errno == EACCES ? 78 : 10);
	if (role == NULL) {
		line = child_line(fd, buf, sizeof buf);
		if (!is_reply(line, -1, "permission-denied"))
			_exit(11);
		_exit(child_line(fd, buf, sizeof buf) == NULL ? 0 : 12);
	}
	if (child_write(fd, "{\"id\":1,\"cmd\":\"hello\",\"args\":"
	    "{\"version\":1,\"client\":\"child\"}}\n") != 0)
		_exit(13);
	line = child_line(fd, buf, sizeof buf);
	if (!is_reply(line, 1, NULL) || strstr(line, role) == NULL)
		_exit(14);
	if (child_write(fd, "{\"id\":2,\"cmd\":\"door open\",\"args\":"
	    "{\"reason\":\"x\"}}\n{\"id\":3,\"cmd\":\"status\"}\n") != 0)
		_exit(15);
	if (!is_reply(child_line(fd, buf, sizeof buf), 2,
	    "permission-denied"))
		_exit(16);
	if (!is_reply(child_line(fd, buf, sizeof buf), 3, NULL))
		_exit(17);
	if (wait_eof && child_line(fd, buf, sizeof buf) != NULL)
		_exit(18);
	_exit(0);
}

static pid_t	 child_pid;
static int	 child_status;

static int
child_done(void *arg)
{
	(void)arg;
	return waitpid(child_pid, &child_status, WNOHANG) == child_pid;
}

/* Runs child_session() and returns its exit status (-1 if it hung). */
static int
run_child(uid_t uid, const char *role, int wait_eof)
{
	fflush(stderr);
	if ((child_pid = fork()) == 0)
		child_session(uid, role, wait_eof);
	if (!run_until(child_done, NULL)) {
		kill(child_pid, SIGKILL);
		waitpid(child_pid, &child_status, 0);
		return -1;
	}
	return WIFEXITED(child_status) ? WEXITSTATUS(child_status) : -1;
}

/* Peers of other uids, end to end through SO_PEERCRED. */
TEST(test_role_peers)
{
	struct passwd	*pw;
	char		*cause = NULL, who[64];
	int		 r;

	if (geteuid() != 0) {
		test_skip("not root: cannot make peers of other uids");
		return;
	}
	/* The children, no longer root, must reach the socket. */
	chmod(test_tmpdir(), 0711);
	setup();
	CHECK_INT(control_set_roles(C, NULL, "4242", NULL, NULL, &cause), 0);
	r = run_child(4242, "\"viewer\"", 0);
	if (r == 77 || r == 78) {
		test_skip("cannot act as uid 4242 here (%d)", r);
		teardown();
		return;
	}
	CHECK_INT(r, 0);
	/* Only status reached the callback: door open needs admin. */
	CHECK_INT(cb_calls, 1);
	CHECK_STR(cb_cmd, "status");
	CHECK_INT(cb_uid, 4242);
	CHECK_INT(cb_role, PROTO_ROLE_VIEWER);
	CHECK_STR(cb_who, "uid 4242");
	CHECK(wait_peers(0));

	/* No role: one error without an id, then the connection closes. */
	CHECK_INT(run_child(4243, NULL, 0), 0);
	CHECK_INT(cb_calls, 1);

	/* A guard by name; dropped when a reload takes its role away. */
	if ((pw = getpwnam("nobody")) != NULL) {
		CHECK_INT(control_set_roles(C, NULL, NULL, "nobody", NULL, &cause),
		    0);
		cb_calls = 0;
		fflush(stderr);
		if ((child_pid = fork()) == 0)
			child_session(pw->pw_uid, "\"guard\"", 1);
		r = 1;
		CHECK(run_until(calls_are, &r));
		CHECK_INT(cb_role, PROTO_ROLE_GUARD);
		snprintf(who, sizeof who, "uid %lu (nobody)",
		    (unsigned long)pw->pw_uid);
		CHECK_STR(cb_who, who);
		CHECK_INT(control_set_roles(C, NULL, "", "", "", &cause), 0);
		CHECK_INT(control_peers(C), 0);
		CHECK(run_until(child_done, NULL));
		CHECK(WIFEXITED(child_status) &&
		    WEXITSTATUS(child_status) == 0);
	}
	free(cause);
	teardown();
}

/* dial-stdio's copier between two pipes and the socket. */
TEST(test_dial)
{
	struct tclient	*o;
	char		*cause = NULL, *big, *ev, *req;
	size_t		 n = 300000;
	int		 pin[2], pout[2];
	const char	*line;

	setup();
	CHECK(pipe(pin) == 0 && pipe(pout) == 0);
	fflush(stderr);
	if ((child_pid = fork()) == 0) {
		close(pin[1]);
		close(pout[0]);
		_exit(control_dial(sock_path, pin[0], pout[1], &cause) == 0 ?
		    0 : 1);
	}
	close(pin[0]);
	close(pout[1]);
	o = tc_wrap(pout[0]);

	/* A request longer than the buffers goes up... */
	big = xmalloc(n + 1);
	memset(big, 'a', n);
	big[n] = '\0';
	xasprintf(&req, "{\"id\":0,\"cmd\":\"hello\",\"args\":{\"version\":1,"
	    "\"client\":\"dial\"}}\n{\"id\":1,\"cmd\":\"people add\",\"args\":"
	    "{\"name\":\"%s\",\"photos\":[\"/x\"]}}\n{\"id\":2,\"cmd\":"
	    "\"events\",\"args\":{\"follow\":true}}\n", big);
	free(big);
	{
		struct tclient	*w = tc_wrap(pin[1]);

		/* Written through the loop: the pipe is smaller. */
		req[strlen(req) - 1] = '\0';
		tc_send(w, req);
		CHECK(is_reply(tc_line(o), 0, NULL));
		CHECK(is_reply(tc_line(o), 1, NULL));
		CHECK_STR(cb_cmd, "events");
		CHECK(is_reply(tc_line(o), 2, NULL));
		CHECK_INT(line_out_pending(w->out), 0);

		/* ...and an event longer than the buffers comes down. */
		ev = big_event();
		control_event(C, ev);
		line = tc_line(o);
		CHECK(line != NULL && strcmp(line, ev) == 0);
		free(ev);

		/* Stdin's EOF: the agent closes, the copier exits 0. */
		tc_free(w);
	}
	free(req);
	CHECK(tc_line(o) == NULL);
	CHECK(run_until(child_done, NULL));
	CHECK(WIFEXITED(child_status) && WEXITSTATUS(child_status) == 0);
	CHECK(wait_peers(0));
	tc_free(o);

	/* A socket that is not there. */
	CHECK_INT(control_dial("/nonexistent/agent.sock", 0, 1, &cause), -1);
	CHECK_STR(cause, strerror(ENOENT));
	free(cause);
	teardown();
}

int
main(void)
{
	/* The program ignores SIGPIPE; so must its tests. */
	signal(SIGPIPE, SIG_IGN);
	log_init("test-control", LOG_LEVEL_ERROR);
	RUN(test_socket_file);
	RUN(test_hello);
	RUN(test_version);
	RUN(test_dispatch);
	RUN(test_deferred);
	RUN(test_half_close);
	RUN(test_too_large);
	RUN(test_garbage);
	RUN(test_events);
	RUN(test_slow_reader);
	RUN(test_gone_peer);
	RUN(test_peers_max);
	RUN(test_roles);
	RUN(test_role_member);
	RUN(test_role_peers);
	RUN(test_dial);
	return test_main_end("test-control");
}
