/*
 * The console's session with an agent (client.h): request and reply over
 * a pair of fds, with the events that come between replies queued.
 *
 * Both fds are non-blocking and every wait is a poll(2) on them, so a call
 * that is writing a long request (photos as base64) still reads what the
 * agent sends meanwhile: an agent writing events to a console that does
 * not read would otherwise fill both socket buffers and each side would
 * wait for the other.
 */
#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client.h"
#include "lineio.h"
#include "log.h"
#include "loop.h"
#include "xmalloc.h"

struct client_event {
	struct proto_reply		 ev;
	TAILQ_ENTRY(client_event)	 entry;
};
TAILQ_HEAD(client_events, client_event);

struct client {
	int			 in;
	int			 out;
	struct line_in		*lin;
	struct line_out		*lout;

	int64_t			 next_id;
	int64_t			 waiting;	/* id awaiting a reply, or -1 */
	int			 have_reply;
	struct proto_reply	 reply;
	struct client_events	 events;

	int			 eof;		/* the agent closed its side */
	int			 write_failed;
	char			*write_error;
	char			*error;		/* the session is broken */

	int			 remote;
	char			*role;
	char			*agent;
	char			*door;
};

/* Marks the session broken with a reason, keeping the first one. */
static void __attribute__((format(printf, 2, 3)))
client_fail(struct client *c, const char *fmt, ...)
{
	va_list	ap;
	char	*s;

	if (c->error != NULL)
		return;
	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) == -1)
		s = xstrdup("out of memory");
	va_end(ap);
	c->error = s;
}

/* Sets *CAUSE to why the session is broken; returns -1. */
static int
client_cause(struct client *c, char **cause)
{
	*cause = xstrdup(c->error != NULL ? c->error : "connection closed");
	return -1;
}

/* Sets O_NONBLOCK on FD: 0, or -1 with errno. */
static int
client_nonblock(int fd)
{
	int	flags;

	if ((flags = fcntl(fd, F_GETFL)) == -1)
		return -1;
	if ((flags & O_NONBLOCK) == 0 &&
	    fcntl(fd, F_SETFL, flags | O_NONBLOCK) == -1)
		return -1;
	return 0;
}

/* Takes one parsed line from the agent. */
static void
client_take(struct client *c, struct proto_reply *rep)
{
	struct client_event	*e;

	if (rep->kind == PROTO_EVENT) {
		e = xcalloc(1, sizeof *e);
		e->ev = *rep;
		TAILQ_INSERT_TAIL(&c->events, e, entry);
		return;
	}
	if (c->waiting == -1) {
		client_fail(c, "protocol error: a reply with no request");
		proto_reply_clear(rep);
		return;
	}
	/*
	 * A request whose id the agent could not read (only a line over
	 * its limit, from us) is answered without one; replies come in
	 * order, so it is the reply to the request in flight.
	 */
	if (rep->id != c->waiting && !(rep->id == -1 && !rep->ok)) {
		if (rep->id == -1)
			client_fail(c, "protocol error: a reply without id "
			    "to request %lld", (long long)c->waiting);
		else
			client_fail(c, "protocol error: reply id %lld, "
			    "expected %lld", (long long)rep->id,
			    (long long)c->waiting);
		proto_reply_clear(rep);
		return;
	}
	c->reply = *rep;
	c->have_reply = 1;
	c->waiting = -1;
}

/*
 * Reads once from the fd (which poll said is ready, or non-blocking) and
 * takes every complete line. The buffer is drained before the next read,
 * as lineio.h asks.
 */
static void
client_input(struct client *c)
{
	struct proto_reply	 rep;
	char			*line, *message;
	size_t			 len;
	int			 n, r;

	if (c->error != NULL || c->eof)
		return;
	n = line_in_read(c->lin, c->in);
	if (n == -1 && errno == EAGAIN)
		return;
	if (n == -1) {
		client_fail(c, "connection lost: read: %s", strerror(errno));
		return;
	}
	if (n == 0)
		c->eof = 1;
	while (c->error == NULL &&
	    (r = line_in_next(c->lin, &line, &len)) != 0) {
		if (r == -1) {
			if (errno == EMSGSIZE)
				client_fail(c, "protocol error: a line from "
				    "the agent is longer than %d bytes",
				    PROTO_REPLY_LINE_MAX);
			else if (errno == EBADMSG)
				client_fail(c, "protocol error: a NUL byte "
				    "in a line from the agent");
			else
				client_fail(c, "connection closed inside a "
				    "message");
			break;
		}
		if (proto_parse_reply(line, len, &rep, &message) != 0) {
			client_fail(c, "protocol error: %s", message);
			free(message);
			proto_reply_clear(&rep);
			break;
		}
		client_take(c, &rep);
	}
	if (c->eof && c->error == NULL && c->waiting != -1) {
		if (c->write_error != NULL)
			client_fail(c, "connection lost: %s", c->write_error);
		else
			client_fail(c, "connection closed by the agent");
	}
}

/*
 * Writes what the out fd takes. A write error does not end the session at
 * once: the agent may have replied before closing (a version error), so
 * the reader goes on to EOF and reports the write error then.
 */
static void
client_output(struct client *c)
{
	if (c->write_failed || line_out_pending(c->lout) == 0)
		return;
	if (line_out_flush(c->lout, c->out) == -1) {
		c->write_failed = 1;
		c->write_error = xstrdup(strerror(errno));
	}
}

/*
 * Waits up to TIMEOUT_MS (-1 forever) for the fds, then reads and writes
 * what they allow. 0 on timeout or a signal, else 1.
 */
static int
client_wait(struct client *c, int timeout_ms)
{
	struct pollfd	pfd[2];
	int		n;

	pfd[0].fd = c->in;
	pfd[0].events = POLLIN;
	pfd[0].revents = 0;
	pfd[1].fd = c->out;
	pfd[1].events = POLLOUT;
	pfd[1].revents = 0;
	/* With nothing to write, the out fd is not polled at all. */
	if (c->write_failed || line_out_pending(c->lout) == 0)
		pfd[1].fd = -1;
	n = poll(pfd, 2, timeout_ms);
	if (n == -1) {
		if (errno == EINTR)
			return 0;
		client_fail(c, "connection lost: poll: %s", strerror(errno));
		return 1;
	}
	if (n == 0)
		return 0;
	if (pfd[0].revents != 0)
		client_input(c);
	if (pfd[1].revents != 0)
		client_output(c);
	return 1;
}

/* Creates a session over IN and OUT, without saying hello yet. */
static struct client *
client_new(int in, int out, char **cause)
{
	struct client	*c;

	if (client_nonblock(in) == -1 || client_nonblock(out) == -1) {
		xasprintf(cause, "fcntl: %s", strerror(errno));
		close(in);
		if (out != in)
			close(out);
		return NULL;
	}
	c = xcalloc(1, sizeof *c);
	c->in = in;
	c->out = out;
	c->lin = line_in_new(PROTO_REPLY_LINE_MAX);
	c->lout = line_out_new();
	c->next_id = 1;
	c->waiting = -1;
	c->reply.id = -1;
	TAILQ_INIT(&c->events);
	return c;
}

struct client *
client_open_fds(int in, int out, char **cause)
{
	struct client	*c;

	if ((c = client_new(in, out, cause)) == NULL)
		return NULL;
	if (client_hello(c, cause) != 0) {
		client_free(c);
		return NULL;
	}
	return c;
}

struct client *
client_connect_unix(const char *path, char **cause)
{
	struct sockaddr_un	sun;
	int			fd;

	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof sun.sun_path) {
		xasprintf(cause, "%s: socket path too long", path);
		return NULL;
	}
	memcpy(sun.sun_path, path, strlen(path) + 1);
	if ((fd = socket(AF_UNIX, SOCK_STREAM|SOCK_CLOEXEC, 0)) == -1) {
		xasprintf(cause, "socket: %s", strerror(errno));
		return NULL;
	}
	if (connect(fd, (struct sockaddr *)&sun, sizeof sun) == -1) {
		xasprintf(cause, "%s: %s", path, strerror(errno));
		close(fd);
		return NULL;
	}
	return client_open_fds(fd, fd, cause);
}

/* Copies string member KEY of OBJ, or NULL if it is not a string. */
static char *
client_string(const cJSON *obj, const char *key)
{
	const cJSON	*item;

	item = cJSON_GetObjectItemCaseSensitive(obj, key);
	if (!cJSON_IsString(item))
		return NULL;
	return xstrdup(item->valuestring);
}

/* Why the last hello was refused (0 if it was not). */
static enum proto_error	client_refusal;

enum proto_error
client_hello_refusal(void)
{
	return client_refusal;
}

int
client_hello(struct client *c, char **cause)
{
	struct proto_reply	 rep;
	const cJSON		*version;
	cJSON			*args;
	int			 r = -1;

	args = cJSON_CreateObject();
	if (args == NULL ||
	    cJSON_AddNumberToObject(args, "version", PROTO_VERSION) == NULL ||
	    cJSON_AddStringToObject(args, "client",
	    "gatehouse " GATEHOUSE_VERSION) == NULL)
		fatalx("out of memory");
	client_refusal = PROTO_OK;
	if (client_call(c, "hello", args, &rep, cause) != 0)
		return -1;
	if (!rep.ok) {
		client_refusal = rep.code;
		if (rep.code == PROTO_ERR_VERSION)
			xasprintf(cause, "version mismatch: %s", rep.message);
		else
			xasprintf(cause, "hello refused: %s: %s",
			    proto_error_name(rep.code), rep.message);
		goto out;
	}
	version = cJSON_GetObjectItemCaseSensitive(rep.result, "version");
	if (!cJSON_IsNumber(version) ||
	    version->valuedouble != PROTO_VERSION) {
		xasprintf(cause, "version mismatch: the agent speaks "
		    "protocol %g, this console %d",
		    cJSON_IsNumber(version) ? version->valuedouble : 0.0,
		    PROTO_VERSION);
		goto out;
	}
	free(c->role);
	free(c->agent);
	free(c->door);
	c->role = client_string(rep.result, "role");
	c->agent = client_string(rep.result, "agent");
	c->door = client_string(rep.result, "door");
	if (c->role == NULL || c->agent == NULL || c->door == NULL) {
		*cause = xstrdup("protocol error: the hello reply needs "
		    "\"role\", \"agent\" and \"door\"");
		goto out;
	}
	r = 0;
out:
	proto_reply_clear(&rep);
	return r;
}

const char *
client_role(struct client *c)
{
	return c->role != NULL ? c->role : "";
}

const char *
client_agent(struct client *c)
{
	return c->agent != NULL ? c->agent : "";
}

const char *
client_door(struct client *c)
{
	return c->door != NULL ? c->door : "";
}

void
client_set_remote(struct client *c, int remote)
{
	c->remote = remote != 0;
}

int
client_remote(struct client *c)
{
	return c->remote;
}

/* Fills REPLY with an error reply made here, as if from the agent. */
static void
client_local_error(struct proto_reply *reply, int64_t id,
    enum proto_error code, const char *message)
{
	char	*line, *why;

	line = proto_reply_error(id, code, "%s", message);
	if (proto_parse_reply(line, strlen(line), reply, &why) != 0)
		fatalx("client_local_error: %s", why);
	free(line);
}

int
client_call(struct client *c, const char *cmd, cJSON *args,
    struct proto_reply *reply, char **cause)
{
	char	*line;
	size_t	 len;
	int64_t	 id;

	memset(reply, 0, sizeof *reply);
	reply->id = -1;
	if (c->error != NULL || c->eof) {
		cJSON_Delete(args);
		return client_cause(c, cause);
	}
	id = c->next_id++;
	line = proto_request(id, cmd, args);
	len = strlen(line);
	if (len > PROTO_LINE_MAX) {
		free(line);
		client_local_error(reply, id, PROTO_ERR_TOO_LARGE,
		    "the request is longer than 1048576 bytes");
		return 0;
	}
	line_out_add(c->lout, line, len);
	free(line);
	c->waiting = id;
	c->have_reply = 0;
	client_output(c);
	while (!c->have_reply && c->error == NULL)
		client_wait(c, -1);
	if (!c->have_reply)
		return client_cause(c, cause);
	*reply = c->reply;
	memset(&c->reply, 0, sizeof c->reply);
	c->have_reply = 0;
	return 0;
}

int
client_next_event(struct client *c, int timeout_ms,
    struct proto_reply *ev, char **cause)
{
	struct client_event	*e;
	int64_t			 deadline = 0, now;
	int			 wait;

	memset(ev, 0, sizeof *ev);
	ev->id = -1;
	if (timeout_ms >= 0)
		deadline = loop_now_ms() + timeout_ms;
	for (;;) {
		if ((e = TAILQ_FIRST(&c->events)) != NULL) {
			TAILQ_REMOVE(&c->events, e, entry);
			*ev = e->ev;
			free(e);
			return 1;
		}
		if (c->error != NULL || c->eof)
			return client_cause(c, cause);
		wait = -1;
		if (timeout_ms >= 0) {
			now = loop_now_ms();
			wait = now >= deadline ? 0 : (int)(deadline - now);
		}
		if (client_wait(c, wait) == 0)
			return 0;
	}
}

int
client_closed(struct client *c)
{
	return c->eof && c->error == NULL;
}

int
client_fd(struct client *c)
{
	return c->in;
}

int
client_pump(struct client *c, char **cause)
{
	client_output(c);
	client_input(c);
	if (c->error != NULL || (c->eof && TAILQ_EMPTY(&c->events)))
		return client_cause(c, cause);
	return 0;
}

void
client_free(struct client *c)
{
	struct client_event	*e;

	if (c == NULL)
		return;
	while ((e = TAILQ_FIRST(&c->events)) != NULL) {
		TAILQ_REMOVE(&c->events, e, entry);
		proto_reply_clear(&e->ev);
		free(e);
	}
	if (c->have_reply)
		proto_reply_clear(&c->reply);
	close(c->in);
	if (c->out != c->in)
		close(c->out);
	line_in_free(c->lin);
	line_out_free(c->lout);
	free(c->write_error);
	free(c->error);
	free(c->role);
	free(c->agent);
	free(c->door);
	free(c);
}
