/*
 * The control socket server (control.h has the behaviour) and the
 * dial-stdio copier.
 *
 * A peer's life: accepted with a role (else refused at once), then
 * reading requests one at a time; a request handed to the callback makes
 * the peer busy until control_reply(). Closing politely (after a version
 * mismatch, or after the peer's EOF once everything is answered) means:
 * write what is queued, shut our sending side down, then read and throw
 * away until the peer's EOF or CONTROL_LINGER_MS, so the peer sees our last
 * reply and a clean EOF rather than a reset for the bytes it sent after.
 * Dropping means closing the fd at once; the struct is freed later.
 *
 * Deferred work runs from one zero-delay timer (work_timer): freeing
 * dropped peers and processing the buffered requests of peers that were
 * answered from outside their own processing. The peers array is only
 * appended to by accept and only compacted by that timer, so walking it
 * while callbacks run is safe.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <poll.h>
#include <pwd.h>
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
#include "xmalloc.h"

/* The listen backlog: consoles connect rarely and one at a time. */
#define CONTROL_BACKLOG		16
/*
 * How long a closing peer may take to hang up once it has been sent all
 * its replies. A console does so at once; this only bounds one that does
 * not. Until then, writing the replies may take as long as the peer reads
 * (a slow SSH link), like any peer's output.
 */
#define CONTROL_LINGER_MS	5000
/* Accepts per wake-up of the listening socket, so a flood cannot starve. */
#define CONTROL_ACCEPT_BATCH	16
/* After EMFILE or ENFILE, accepting pauses this long (milliseconds). */
#define CONTROL_ACCEPT_PAUSE_MS	1000
/* The largest passwd or group record buffer tried. */
#define CONTROL_NSS_BUF_MAX	(1024 * 1024)
/* The most groups of a user looked at. */
#define CONTROL_GROUPS_MAX	65536
/* The longest user or group name in a role list (as config.c). */
#define CONTROL_NAME_MAX	32
/* dial-stdio's buffer per direction. */
#define CONTROL_DIAL_BUF	65536

/* One entry of a role list. */
enum control_user_kind {
	CONTROL_USER_UID,	/* 1000 */
	CONTROL_USER_NAME,	/* alice */
	CONTROL_USER_GROUP,	/* @gatehouse */
};

struct control_user {
	enum control_user_kind	 kind;
	uid_t			 uid;
	char			*name;	/* NAME, GROUP: without '@' */
};

struct control_users {
	struct control_user	*v;
	size_t			 n;
};

/* A connected peer. */
struct control_client {
	struct control		*ctl;
	int			 fd;
	struct control_peer	 peer;	/* what the callback sees */
	char			*who;
	struct line_in		*in;
	struct line_out		*out;
	uint64_t		 deadline;	/* hello or linger timer */
	int			 bad;		/* bad lines in a row */
	int			 hello;		/* said hello */
	int			 busy;		/* a request is outstanding */
	int			 more;		/* lines may be buffered */
	int			 resume;	/* to run from work_timer */
	int			 running;	/* in control_client_run */
	int			 following;	/* receives events */
	int			 eof;		/* the peer's side has ended */
	int			 closing;	/* flush, linger, close */
	int			 lingering;	/* our side shut down */
	int			 dead;		/* dropped, to be freed */
};

struct control {
	struct loop		*loop;
	char			*path;
	char			*agent;
	char			*door;
	control_request_cb	*cb;
	void			*arg;
	int			 fd;
	dev_t			 dev;		/* of the socket file bound */
	ino_t			 ino;
	uint64_t		 accept_timer;	/* accepting paused */
	uint64_t		 work_timer;
	uint64_t		 next_id;
	struct control_client	**clients;	/* live and dead */
	size_t			 nclients;
	size_t			 sclients;
	size_t			 nlive;
	struct control_users	 roles[PROTO_ROLE_ADMIN + 1];
};

static void	control_client_run(struct control_client *);
static int64_t	control_work(struct loop *, uint64_t, void *);

/* Frees the entries of a role list. */
static void
control_users_clear(struct control_users *u)
{
	size_t	i;

	for (i = 0; i < u->n; i++)
		free(u->v[i].name);
	free(u->v);
	u->v = NULL;
	u->n = 0;
}

/* Whether C may be in a user or group name (as config.c). */
static int
control_name_char(char c, int first)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_')
		return 1;
	return !first && ((c >= '0' && c <= '9') || c == '.' || c == '-');
}

/*
 * Reads a buffer size hint for the reentrant NSS calls; the callers grow
 * it on ERANGE.
 */
static size_t
control_nss_size(int name)
{
	long	n = sysconf(name);

	return n <= 0 || n > CONTROL_NSS_BUF_MAX ? 1024 : (size_t)n;
}

/* The user name of UID, or NULL (no such user); malloc'd. */
static char *
control_user_name(uid_t uid)
{
	struct passwd	 pw, *res;
	char		*buf = NULL, *name = NULL;
	size_t		 size = control_nss_size(_SC_GETPW_R_SIZE_MAX);
	int		 r;

	for (;;) {
		buf = xreallocarray(buf, size, 1);
		r = getpwuid_r(uid, &pw, buf, size, &res);
		if (r != ERANGE || size >= CONTROL_NSS_BUF_MAX)
			break;
		size *= 2;
	}
	if (r == 0 && res != NULL)
		name = xstrdup(pw.pw_name);
	free(buf);
	return name;
}

/* Whether a user named NAME exists. */
static int
control_user_exists(const char *name)
{
	struct passwd	 pw, *res;
	char		*buf = NULL;
	size_t		 size = control_nss_size(_SC_GETPW_R_SIZE_MAX);
	int		 r;

	for (;;) {
		buf = xreallocarray(buf, size, 1);
		r = getpwnam_r(name, &pw, buf, size, &res);
		if (r != ERANGE || size >= CONTROL_NSS_BUF_MAX)
			break;
		size *= 2;
	}
	free(buf);
	return r == 0 && res != NULL;
}

/* The gid of the group NAME: 0, or -1 if there is none. */
static int
control_group_gid(const char *name, gid_t *gid)
{
	struct group	 gr, *res;
	char		*buf = NULL;
	size_t		 size = control_nss_size(_SC_GETGR_R_SIZE_MAX);
	int		 r;

	for (;;) {
		buf = xreallocarray(buf, size, 1);
		r = getgrnam_r(name, &gr, buf, size, &res);
		if (r != ERANGE || size >= CONTROL_NSS_BUF_MAX)
			break;
		size *= 2;
	}
	if (r == 0 && res != NULL)
		*gid = gr.gr_gid;
	free(buf);
	return r == 0 && res != NULL ? 0 : -1;
}

/*
 * Parses a USERS list: names, uids and @groups separated by commas, blanks
 * around them allowed. 0, or -1 with *CAUSE.
 */
static int
control_users_parse(const char *s, struct control_users *out, char **cause)
{
	struct control_user	*u;
	const char		*p = s, *start;
	unsigned long long	 uid;
	size_t			 n;
	gid_t			 gid;
	int			 group;

	memset(out, 0, sizeof *out);
	if (s == NULL)
		return 0;
	p += strspn(p, " \t");
	if (*p == '\0')
		return 0;
	for (;;) {
		p += strspn(p, " \t");
		out->v = xreallocarray(out->v, out->n + 1, sizeof *out->v);
		u = &out->v[out->n];
		memset(u, 0, sizeof *u);
		group = *p == '@';
		if (group)
			p++;
		start = p;
		if (!group && *p >= '0' && *p <= '9') {
			uid = 0;
			for (n = 0; p[n] >= '0' && p[n] <= '9'; n++) {
				uid = uid * 10 + (unsigned)(p[n] - '0');
				/* (uid_t)-1 is "no uid" to the kernel. */
				if (uid >= UINT32_MAX)
					goto bad;
			}
			if (control_name_char(p[n], 0))
				goto bad;
			u->kind = CONTROL_USER_UID;
			u->uid = (uid_t)uid;
		} else {
			for (n = 0; control_name_char(p[n], n == 0); n++)
				;
			if (n == 0)
				goto bad;
			if (p[n] == '$')
				n++;	/* Samba machine accounts */
			if (n > CONTROL_NAME_MAX)
				goto bad;
			u->kind = group ? CONTROL_USER_GROUP :
			    CONTROL_USER_NAME;
			u->name = xmalloc(n + 1);
			memcpy(u->name, start, n);
			u->name[n] = '\0';
			if (group && control_group_gid(u->name, &gid) != 0)
				log_debug("control: no group %s yet",
				    u->name);
			if (!group && !control_user_exists(u->name))
				log_debug("control: no user %s yet", u->name);
		}
		out->n++;
		p += n;
		p += strspn(p, " \t");
		if (*p == '\0')
			break;
		if (*p++ != ',')
			goto bad;
	}
	return 0;

bad:
	control_users_clear(out);
	xasprintf(cause, "\"%s\": expected user names, uids or @groups "
	    "separated by commas", s);
	return -1;
}

/* Whether GID is among the groups of the user NAME (primary PGID). */
static int
control_in_groups(const char *name, gid_t pgid, gid_t gid)
{
	gid_t	*groups = NULL;
	int	 n = 64, want, i, found = 0;

	for (;;) {
		groups = xreallocarray(groups, (size_t)n, sizeof *groups);
		want = n;
		if (getgrouplist(name, pgid, groups, &want) != -1) {
			n = want;
			break;
		}
		if (want <= n || want > CONTROL_GROUPS_MAX) {
			n = 0;
			break;
		}
		n = want;
	}
	for (i = 0; i < n; i++) {
		if (groups[i] == gid) {
			found = 1;
			break;
		}
	}
	free(groups);
	return found;
}

/* Whether the peer (UID, GID, user NAME or NULL) is in the list U. */
static int
control_users_match(const struct control_users *u, uid_t uid, gid_t gid,
    const char *name)
{
	const struct control_user	*e;
	gid_t				 g;
	size_t				 i;

	for (i = 0; i < u->n; i++) {
		e = &u->v[i];
		switch (e->kind) {
		case CONTROL_USER_UID:
			if (e->uid == uid)
				return 1;
			break;
		case CONTROL_USER_NAME:
			if (name != NULL && strcmp(e->name, name) == 0)
				return 1;
			break;
		case CONTROL_USER_GROUP:
			if (control_group_gid(e->name, &g) != 0)
				break;
			if (g == gid)
				return 1;
			if (name != NULL && control_in_groups(name, gid, g))
				return 1;
			break;
		}
	}
	return 0;
}

/* The role of UID and GID, looking names up now. */
int
control_role_of(struct control *ctl, uid_t uid, gid_t gid,
    enum proto_role *role)
{
	char	*name;
	int	 r, found = -1;

	if (uid == 0 || uid == geteuid()) {
		*role = PROTO_ROLE_ADMIN;
		return 0;
	}
	name = control_user_name(uid);
	for (r = PROTO_ROLE_ADMIN; r >= PROTO_ROLE_KIOSK; r--) {
		if (control_users_match(&ctl->roles[r], uid, gid, name)) {
			*role = (enum proto_role)r;
			found = 0;
			break;
		}
	}
	free(name);
	return found;
}

/* Adds the deferred-work timer unless it is pending. */
static void
control_schedule(struct control *ctl)
{
	if (ctl->work_timer == 0)
		ctl->work_timer = loop_add_timer(ctl->loop, 0, control_work,
		    ctl);
}

/* Drops a peer: its fd goes now, its memory from the work timer. */
static void
control_client_drop(struct control_client *c, const char *why)
{
	struct control	*ctl = c->ctl;

	if (c->dead)
		return;
	if (why != NULL)
		log_warnx("control: %s dropped: %s", c->who, why);
	else
		log_debug("control: %s disconnected", c->who);
	c->dead = 1;
	loop_del_fd(ctl->loop, c->fd);
	close(c->fd);
	c->fd = -1;
	if (c->deadline != 0) {
		loop_del_timer(ctl->loop, c->deadline);
		c->deadline = 0;
	}
	ctl->nlive--;
	control_schedule(ctl);
}

/* Frees a peer (dropped, or at control_free). */
static void
control_client_free(struct control_client *c)
{
	if (c->fd != -1) {
		loop_del_fd(c->ctl->loop, c->fd);
		close(c->fd);
	}
	if (c->deadline != 0)
		loop_del_timer(c->ctl->loop, c->deadline);
	line_in_free(c->in);
	line_out_free(c->out);
	free(c->who);
	free(c);
}

/* Drops a peer whose deadline (hello or linger) has passed. */
static int64_t
control_client_deadline(struct loop *loop, uint64_t id, void *arg)
{
	struct control_client	*c = arg;

	(void)loop;
	(void)id;
	c->deadline = 0;
	if (c->closing)
		control_client_drop(c, NULL);
	else
		control_client_drop(c, "no hello");
	return -1;
}

/* Sets the peer's deadline MS from now, replacing any. */
static void
control_client_set_deadline(struct control_client *c, int64_t ms)
{
	if (c->deadline != 0)
		loop_del_timer(c->ctl->loop, c->deadline);
	c->deadline = loop_add_timer(c->ctl->loop, ms,
	    control_client_deadline, c);
}

/* Polls the peer for what it is waiting for. */
static void
control_client_mask(struct control_client *c)
{
	size_t	pending;
	int	mask = 0;

	if (c->dead)
		return;
	pending = line_out_pending(c->out);
	if (pending != 0)
		mask |= LOOP_WRITE;
	if (c->closing) {
		if (c->lingering && !c->eof)
			mask |= LOOP_READ;
	} else if (!c->busy && pending < CONTROL_OUT_PAUSE) {
		if (!c->more && !c->eof)
			mask |= LOOP_READ;
		else if (!c->running) {
			/*
			 * Buffered lines to process, or an ended peer to
			 * close, and no event of its fd would say so: after
			 * a reply, or output written from elsewhere.
			 */
			c->resume = 1;
			control_schedule(c->ctl);
		}
	}
	loop_set_mask(c->ctl->loop, c->fd, mask);
}

/*
 * The last step of closing, once the output is written: shut our side
 * down and wait for the peer's EOF (lingering), or close if it is in.
 */
static void
control_client_linger(struct control_client *c)
{
	if (c->dead || line_out_pending(c->out) != 0 || c->lingering)
		return;
	if (c->eof) {
		control_client_drop(c, NULL);
		return;
	}
	if (shutdown(c->fd, SHUT_WR) != 0) {
		control_client_drop(c, NULL);
		return;
	}
	c->lingering = 1;
	control_client_set_deadline(c, CONTROL_LINGER_MS);
	control_client_mask(c);
}

/* Writes what the peer's socket takes; drops the peer on failure. */
static void
control_client_flush(struct control_client *c)
{
	char	*why;

	if (c->dead)
		return;
	if (line_out_flush(c->out, c->fd) == -1) {
		if (errno == EPIPE || errno == ECONNRESET)
			control_client_drop(c, NULL);
		else {
			xasprintf(&why, "write: %s", strerror(errno));
			control_client_drop(c, why);
			free(why);
		}
		return;
	}
	if (line_out_pending(c->out) > CONTROL_OUT_MAX) {
		control_client_drop(c, "not reading its output");
		return;
	}
	if (c->closing)
		control_client_linger(c);
	control_client_mask(c);
}

/* Queues LINE to the peer and writes what its socket takes. */
static void
control_client_send(struct control_client *c, const char *line)
{
	if (c->dead)
		return;
	line_out_add(c->out, line, strlen(line));
	control_client_flush(c);
}

/* Queues a malloc'd LINE to the peer and frees it. */
static void
control_client_send_free(struct control_client *c, char *line)
{
	control_client_send(c, line);
	free(line);
}

/* Starts closing the peer politely (see the top of the file). */
static void
control_client_close(struct control_client *c)
{
	if (c->dead || c->closing)
		return;
	c->closing = 1;
	control_client_linger(c);
	control_client_mask(c);
}

/* Counts a bad line; the peer is dropped at CONTROL_BAD_MAX in a row. */
static void
control_client_bad(struct control_client *c)
{
	if (++c->bad >= CONTROL_BAD_MAX)
		control_client_drop(c, "too many bad requests");
}

/* Answers hello: the version check and the session's details. */
static void
control_client_hello(struct control_client *c,
    const struct proto_request *req)
{
	struct control	*ctl = c->ctl;
	const cJSON	*v;
	cJSON		*result;
	long long	 version;

	/* proto_parse_request() checked it is an integer 0 .. 2^53-1. */
	v = cJSON_GetObjectItemCaseSensitive(req->args, "version");
	version = cJSON_IsNumber(v) ? (long long)v->valuedouble : -1;
	if (version != PROTO_VERSION) {
		log_info("control: %s speaks protocol version %lld, not %d",
		    c->who, version, PROTO_VERSION);
		control_client_send_free(c, proto_reply_error(req->id,
		    PROTO_ERR_VERSION, "protocol version %lld is not "
		    "supported: this agent speaks version %d", version,
		    PROTO_VERSION));
		control_client_close(c);
		return;
	}
	c->hello = 1;
	if (c->deadline != 0) {
		loop_del_timer(ctl->loop, c->deadline);
		c->deadline = 0;
	}
	result = cJSON_CreateObject();
	if (result == NULL ||
	    cJSON_AddNumberToObject(result, "version", PROTO_VERSION) == NULL ||
	    cJSON_AddStringToObject(result, "agent", ctl->agent) == NULL ||
	    cJSON_AddStringToObject(result, "role",
	    proto_role_name(c->peer.role)) == NULL ||
	    cJSON_AddStringToObject(result, "door", ctl->door) == NULL)
		fatalx("out of memory");
	control_client_send_free(c, proto_reply_ok(req->id, result));
}

/* Handles one complete line from the peer. */
static void
control_client_line(struct control_client *c, const char *line, size_t len)
{
	struct control		*ctl = c->ctl;
	struct proto_request	 req;
	enum proto_error	 code;
	char			*message;

	if (proto_parse_request(line, len, &req, &code, &message) != 0) {
		control_client_send_free(c, proto_reply_error(req.id, code,
		    "%s", message));
		free(message);
		proto_request_clear(&req);
		control_client_bad(c);
		return;
	}
	if (!c->hello || req.cmd->id == PROTO_CMD_HELLO) {
		if (c->hello) {
			control_client_send_free(c, proto_reply_error(req.id,
			    PROTO_ERR_BAD_REQUEST, "hello already done"));
			control_client_bad(c);
		} else if (req.cmd->id != PROTO_CMD_HELLO) {
			control_client_send_free(c, proto_reply_error(req.id,
			    PROTO_ERR_BAD_REQUEST, "hello first"));
			control_client_bad(c);
		} else {
			c->bad = 0;
			control_client_hello(c, &req);
		}
		proto_request_clear(&req);
		return;
	}
	c->bad = 0;
	if (!proto_role_allows(c->peer.role, req.cmd)) {
		control_client_send_free(c, proto_reply_error(req.id,
		    PROTO_ERR_PERMISSION_DENIED, "%s needs role %s",
		    req.cmd->name, proto_role_name(req.cmd->min_role)));
		proto_request_clear(&req);
		return;
	}
	c->busy = 1;
	ctl->cb(ctl, &c->peer, &req, ctl->arg);
	proto_request_clear(&req);
}

/* Handles a line the framing refused (errno from line_in_next). */
static void
control_client_bad_line(struct control_client *c, int error)
{
	char	*line;

	switch (error) {
	case EMSGSIZE:
		line = proto_reply_error(-1, PROTO_ERR_TOO_LARGE,
		    "request longer than %d bytes", PROTO_LINE_MAX);
		break;
	case EBADMSG:
		line = proto_reply_error(-1, PROTO_ERR_BAD_REQUEST,
		    "request holds a NUL byte");
		break;
	default:
		line = proto_reply_error(-1, PROTO_ERR_BAD_REQUEST,
		    "request cut short by the end of input");
		break;
	}
	control_client_send_free(c, line);
	control_client_bad(c);
}

/*
 * Processes the peer's buffered lines until it is busy, its output is too
 * far behind, or none is left; then closes it if it has ended and all is
 * answered, and polls it for what it waits for.
 */
static void
control_client_run(struct control_client *c)
{
	char	*line;
	size_t	 len;
	int	 r;

	if (c->dead || c->running)
		return;
	c->running = 1;
	c->resume = 0;
	c->more = 1;
	while (!c->dead && !c->closing && !c->busy &&
	    line_out_pending(c->out) < CONTROL_OUT_PAUSE) {
		if ((r = line_in_next(c->in, &line, &len)) == 0) {
			c->more = 0;
			break;
		}
		if (r == -1)
			control_client_bad_line(c, errno);
		else
			control_client_line(c, line, len);
	}
	c->running = 0;
	if (c->dead)
		return;
	if (!c->closing && c->eof && !c->busy && !c->more)
		control_client_close(c);
	control_client_mask(c);
}

/* Reads from a closing peer and throws it away, until its EOF. */
static void
control_client_discard(struct control_client *c)
{
	char	buf[4096];
	ssize_t	n;

	do
		n = read(c->fd, buf, sizeof buf);
	while (n == -1 && errno == EINTR);
	if (n == 0 || (n == -1 && errno != EAGAIN && errno != EWOULDBLOCK)) {
		c->eof = 1;
		control_client_drop(c, NULL);
	}
}

/* The peer's socket is readable or writable, or has hung up. */
static void
control_client_io(struct loop *loop, int fd, int events, void *arg)
{
	struct control_client	*c = arg;
	char			*why;
	int			 r;

	(void)loop;
	(void)fd;
	if ((events & (LOOP_WRITE|LOOP_HUP|LOOP_ERR)) &&
	    line_out_pending(c->out) != 0) {
		control_client_flush(c);
		if (c->dead)
			return;
	}
	if (c->closing) {
		if (c->lingering && !c->eof &&
		    (events & (LOOP_READ|LOOP_HUP|LOOP_ERR)))
			control_client_discard(c);
		return;
	}
	/* Read only when polled for it: all buffered lines are done. */
	if (!c->busy && !c->more && !c->eof &&
	    (events & (LOOP_READ|LOOP_HUP|LOOP_ERR))) {
		r = line_in_read(c->in, c->fd);
		if (r == 0)
			c->eof = 1;
		else if (r == -1 && errno != EAGAIN) {
			if (errno == ECONNRESET)
				control_client_drop(c, NULL);
			else {
				xasprintf(&why, "read: %s", strerror(errno));
				control_client_drop(c, why);
				free(why);
			}
			return;
		}
	}
	control_client_run(c);
}

/* Frees dropped peers, then processes the peers waiting to resume. */
static int64_t
control_work(struct loop *loop, uint64_t id, void *arg)
{
	struct control		*ctl = arg;
	struct control_client	*c;
	size_t			 i, j;

	(void)loop;
	(void)id;
	ctl->work_timer = 0;
	for (i = j = 0; i < ctl->nclients; i++) {
		c = ctl->clients[i];
		if (c->dead)
			control_client_free(c);
		else
			ctl->clients[j++] = c;
	}
	ctl->nclients = j;
	/* Callbacks may drop peers (marked only) but never add any. */
	for (i = 0; i < ctl->nclients; i++) {
		c = ctl->clients[i];
		if (c->resume && !c->dead)
			control_client_run(c);
	}
	return -1;
}

/*
 * Refuses a connection with one error line, written at once: the socket
 * is new, so its buffer takes a line this short.
 */
static void
control_refuse(int fd, enum proto_error code, const char *message)
{
	char	*line, *s;
	ssize_t	 n;

	line = proto_reply_error(-1, code, "%s", message);
	xasprintf(&s, "%s\n", line);
	do
		n = send(fd, s, strlen(s), MSG_NOSIGNAL|MSG_DONTWAIT);
	while (n == -1 && errno == EINTR);
	free(s);
	free(line);
	close(fd);
}

/* Sets up a peer for an accepted connection. */
static void
control_accept_one(struct control *ctl, int fd)
{
	struct control_client	*c;
	struct ucred		 cred;
	socklen_t		 len = sizeof cred;
	enum proto_role		 role;
	char			*name;

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0 ||
	    len != sizeof cred) {
		log_warnx("control: SO_PEERCRED: %s", strerror(errno));
		close(fd);
		return;
	}
	if (ctl->nlive >= CONTROL_PEERS_MAX) {
		log_warnx("control: uid %lu refused: %d peers already",
		    (unsigned long)cred.uid, CONTROL_PEERS_MAX);
		control_refuse(fd, PROTO_ERR_UNAVAILABLE, "too many "
		    "connections");
		return;
	}
	if (control_role_of(ctl, cred.uid, cred.gid, &role) != 0) {
		log_info("control: uid %lu (pid %ld) refused: no role",
		    (unsigned long)cred.uid, (long)cred.pid);
		control_refuse(fd, PROTO_ERR_PERMISSION_DENIED, "no role for "
		    "this user: see viewer_users, guard_users and admin_users");
		return;
	}

	c = xcalloc(1, sizeof *c);
	c->ctl = ctl;
	c->fd = fd;
	c->in = line_in_new(PROTO_LINE_MAX);
	c->out = line_out_new();
	if ((name = control_user_name(cred.uid)) != NULL)
		xasprintf(&c->who, "uid %lu (%s)", (unsigned long)cred.uid,
		    name);
	else
		xasprintf(&c->who, "uid %lu", (unsigned long)cred.uid);
	free(name);
	c->peer.id = ++ctl->next_id;
	c->peer.uid = cred.uid;
	c->peer.gid = cred.gid;
	c->peer.pid = cred.pid;
	c->peer.role = role;
	c->peer.who = c->who;
	if (loop_add_fd(ctl->loop, fd, LOOP_READ, control_client_io, c) != 0)
		fatal("control: loop_add_fd");
	if (ctl->nclients == ctl->sclients) {
		ctl->sclients = ctl->sclients == 0 ? 16 : ctl->sclients * 2;
		ctl->clients = xreallocarray(ctl->clients, ctl->sclients,
		    sizeof *ctl->clients);
	}
	ctl->clients[ctl->nclients++] = c;
	ctl->nlive++;
	control_client_set_deadline(c, CONTROL_HELLO_MS);
	log_debug("control: %s connected as %s (pid %ld)", c->who,
	    proto_role_name(role), (long)cred.pid);
}

/* Accepting may start again after running out of fds. */
static int64_t
control_accept_resume(struct loop *loop, uint64_t id, void *arg)
{
	struct control	*ctl = arg;

	(void)id;
	ctl->accept_timer = 0;
	loop_set_mask(loop, ctl->fd, LOOP_READ);
	return -1;
}

/* Accepts the pending connections. */
static void
control_accept(struct loop *loop, int fd, int events, void *arg)
{
	struct control	*ctl = arg;
	int		 i, cfd;

	(void)events;
	for (i = 0; i < CONTROL_ACCEPT_BATCH; i++) {
		cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK|SOCK_CLOEXEC);
		if (cfd == -1) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (errno == EMFILE || errno == ENFILE) {
				/* The socket stays readable: do not spin. */
				log_warnx("control: accept: %s",
				    strerror(errno));
				loop_set_mask(loop, fd, 0);
				ctl->accept_timer = loop_add_timer(loop,
				    CONTROL_ACCEPT_PAUSE_MS,
				    control_accept_resume, ctl);
			} else if (errno != EAGAIN && errno != EWOULDBLOCK)
				log_warnx("control: accept: %s",
				    strerror(errno));
			return;
		}
		control_accept_one(ctl, cfd);
	}
}

/*
 * Checks what is at PATH before binding: nothing, or a stale socket
 * (unlinked here). 0, or -1 with *CAUSE.
 */
static int
control_check_path(const char *path, const struct sockaddr_un *sun,
    char **cause)
{
	struct stat	sb;
	int		fd, r, error;

	if (lstat(path, &sb) != 0) {
		if (errno == ENOENT)
			return 0;
		xasprintf(cause, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (!S_ISSOCK(sb.st_mode)) {
		xasprintf(cause, "%s: exists and is not a socket", path);
		return -1;
	}
	/* Non-blocking: a live agent with a full backlog must not hang us. */
	fd = socket(AF_UNIX, SOCK_STREAM|SOCK_NONBLOCK|SOCK_CLOEXEC, 0);
	if (fd == -1) {
		xasprintf(cause, "socket: %s", strerror(errno));
		return -1;
	}
	r = connect(fd, (const struct sockaddr *)sun, sizeof *sun);
	error = errno;
	close(fd);
	if (r == 0 || error == EAGAIN || error == EINPROGRESS) {
		xasprintf(cause, "another agent is listening on %s", path);
		return -1;
	}
	if (error != ECONNREFUSED) {
		xasprintf(cause, "%s: %s", path, strerror(error));
		return -1;
	}
	log_info("control: removing stale socket %s", path);
	if (unlink(path) != 0 && errno != ENOENT) {
		xasprintf(cause, "%s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

/* Creates the socket at params->path and serves it from LOOP. */
struct control *
control_new(struct loop *loop, const struct control_params *params,
    control_request_cb *cb, void *arg, char **cause)
{
	struct control		*ctl;
	struct sockaddr_un	 sun;
	struct stat		 sb;
	const char		*path = params->path, *slash;
	char			*dir;
	mode_t			 old;
	int			 fd, r, error;

	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof sun.sun_path) {
		xasprintf(cause, "%s: socket path too long (at most %zu "
		    "bytes)", path, sizeof sun.sun_path - 1);
		return NULL;
	}
	memcpy(sun.sun_path, path, strlen(path) + 1);

	/* Say which is missing: bind would only say ENOENT. */
	if ((slash = strrchr(path, '/')) != NULL && slash != path) {
		dir = xmalloc((size_t)(slash - path) + 1);
		memcpy(dir, path, (size_t)(slash - path));
		dir[slash - path] = '\0';
		r = stat(dir, &sb);
		if (r != 0 || !S_ISDIR(sb.st_mode)) {
			xasprintf(cause, "%s: directory %s: %s", path, dir,
			    r != 0 ? strerror(errno) : "not a directory");
			free(dir);
			return NULL;
		}
		free(dir);
	}
	if (control_check_path(path, &sun, cause) != 0)
		return NULL;

	fd = socket(AF_UNIX, SOCK_STREAM|SOCK_NONBLOCK|SOCK_CLOEXEC, 0);
	if (fd == -1) {
		xasprintf(cause, "socket: %s", strerror(errno));
		return NULL;
	}
	/* Group-writable for viewers and guards, nothing for others. */
	old = umask(0117);
	r = bind(fd, (struct sockaddr *)&sun, sizeof sun);
	error = errno;
	umask(old);
	if (r != 0) {
		xasprintf(cause, "%s: %s", path, strerror(error));
		close(fd);
		return NULL;
	}
	if (listen(fd, CONTROL_BACKLOG) != 0 || stat(path, &sb) != 0) {
		xasprintf(cause, "%s: %s", path, strerror(errno));
		unlink(path);
		close(fd);
		return NULL;
	}

	ctl = xcalloc(1, sizeof *ctl);
	ctl->loop = loop;
	ctl->path = xstrdup(path);
	ctl->agent = xstrdup(params->agent != NULL ? params->agent : "");
	ctl->door = xstrdup(params->door != NULL ? params->door : "");
	ctl->cb = cb;
	ctl->arg = arg;
	ctl->fd = fd;
	ctl->dev = sb.st_dev;
	ctl->ino = sb.st_ino;
	if (loop_add_fd(loop, fd, LOOP_READ, control_accept, ctl) != 0)
		fatal("control: loop_add_fd");
	log_debug("control: listening on %s", path);
	return ctl;
}

/* Closes every peer and the socket, and removes the socket file. */
void
control_free(struct control *ctl)
{
	struct stat	sb;
	size_t		i;
	int		r;

	if (ctl == NULL)
		return;
	for (i = 0; i < ctl->nclients; i++)
		control_client_free(ctl->clients[i]);
	free(ctl->clients);
	if (ctl->work_timer != 0)
		loop_del_timer(ctl->loop, ctl->work_timer);
	if (ctl->accept_timer != 0)
		loop_del_timer(ctl->loop, ctl->accept_timer);
	loop_del_fd(ctl->loop, ctl->fd);
	close(ctl->fd);
	/* Only our own socket: another agent may have replaced it. */
	r = lstat(ctl->path, &sb);
	if (r == 0 && S_ISSOCK(sb.st_mode) && sb.st_dev == ctl->dev &&
	    sb.st_ino == ctl->ino)
		unlink(ctl->path);
	for (i = 0; i < sizeof ctl->roles / sizeof ctl->roles[0]; i++)
		control_users_clear(&ctl->roles[i]);
	free(ctl->path);
	free(ctl->agent);
	free(ctl->door);
	free(ctl);
}

/* Sets the role lists; connected peers get their new role. */
int
control_set_roles(struct control *ctl, const char *kiosks,
    const char *viewers, const char *guards, const char *admins,
    char **cause)
{
	struct control_users	 users[PROTO_ROLE_ADMIN + 1];
	const char		*lists[PROTO_ROLE_ADMIN + 1];
	struct control_client	*c;
	enum proto_role		 role;
	char			*why;
	size_t			 i;
	int			 r;

	lists[PROTO_ROLE_KIOSK] = kiosks;
	lists[PROTO_ROLE_VIEWER] = viewers;
	lists[PROTO_ROLE_GUARD] = guards;
	lists[PROTO_ROLE_ADMIN] = admins;
	for (r = PROTO_ROLE_KIOSK; r <= PROTO_ROLE_ADMIN; r++) {
		if (control_users_parse(lists[r], &users[r], &why) != 0) {
			xasprintf(cause, "%s_users: %s",
			    proto_role_name((enum proto_role)r), why);
			free(why);
			while (--r >= PROTO_ROLE_KIOSK)
				control_users_clear(&users[r]);
			return -1;
		}
	}
	for (r = PROTO_ROLE_KIOSK; r <= PROTO_ROLE_ADMIN; r++) {
		control_users_clear(&ctl->roles[r]);
		ctl->roles[r] = users[r];
	}

	for (i = 0; i < ctl->nclients; i++) {
		c = ctl->clients[i];
		if (c->dead)
			continue;
		if (control_role_of(ctl, c->peer.uid, c->peer.gid,
		    &role) != 0) {
			control_client_drop(c, "no role any more");
			continue;
		}
		if (role != c->peer.role) {
			log_info("control: %s is now %s", c->who,
			    proto_role_name(role));
			c->peer.role = role;
		}
	}
	return 0;
}

/* The live peer with id ID, or NULL. */
static struct control_client *
control_find(struct control *ctl, uint64_t id)
{
	size_t	i;

	for (i = 0; i < ctl->nclients; i++) {
		if (ctl->clients[i]->peer.id == id)
			return ctl->clients[i]->dead ? NULL : ctl->clients[i];
	}
	return NULL;
}

/* Answers the outstanding request of peer ID with LINE (consumed). */
void
control_reply(struct control *ctl, uint64_t id, char *line)
{
	struct control_client	*c;

	if ((c = control_find(ctl, id)) == NULL) {
		free(line);
		return;
	}
	if (!c->busy) {
		log_warnx("control: reply to %s without a request", c->who);
		free(line);
		return;
	}
	c->busy = 0;
	/* Sending sets the mask, which schedules the next request. */
	control_client_send_free(c, line);
}

/* Makes peer ID receive events. */
int
control_follow(struct control *ctl, uint64_t id)
{
	struct control_client	*c;

	if ((c = control_find(ctl, id)) == NULL)
		return -1;
	c->following = 1;
	return 0;
}

/* Queues an event to every following peer. */
void
control_event(struct control *ctl, const char *line)
{
	struct control_client	*c;
	size_t			 i;

	for (i = 0; i < ctl->nclients; i++) {
		c = ctl->clients[i];
		if (c->following && !c->dead && !c->closing)
			control_client_send(c, line);
	}
}

/* The connected peers. */
size_t
control_peers(const struct control *ctl)
{
	return ctl->nlive;
}

/* One direction of dial-stdio: bytes read and not yet written. */
struct control_dial_buf {
	char	data[CONTROL_DIAL_BUF];
	size_t	off;
	size_t	len;
};

/* Connects to the socket at PATH, blocking. -1 with errno on failure. */
static int
control_dial_connect(const char *path)
{
	struct sockaddr_un	sun;
	int			fd, error;

	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof sun.sun_path) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(sun.sun_path, path, strlen(path) + 1);
	if ((fd = socket(AF_UNIX, SOCK_STREAM|SOCK_CLOEXEC, 0)) == -1)
		return -1;
	while (connect(fd, (struct sockaddr *)&sun, sizeof sun) != 0) {
		if (errno == EINTR)
			continue;
		error = errno;
		close(fd);
		errno = error;
		return -1;
	}
	return fd;
}

/* Copies between IN/OUT and the agent's socket (see control.h). */
int
control_dial(const char *path, int in, int out, char **cause)
{
	struct control_dial_buf	*up, *down;
	struct pollfd		 pfd[3];
	const char		*what = NULL;
	ssize_t			 n;
	size_t			 len;
	int			 fd, flags, in_eof = 0, sock_eof = 0, r = -1;
	int			 i_in, i_sock, i_out, nfds;

	if ((fd = control_dial_connect(path)) == -1) {
		*cause = xstrdup(strerror(errno));
		return -1;
	}
	/*
	 * Only the socket turns non-blocking: IN and OUT may be shared with
	 * other processes (a terminal), whose file flags are not ours.
	 */
	if ((flags = fcntl(fd, F_GETFL)) == -1 ||
	    fcntl(fd, F_SETFL, flags|O_NONBLOCK) == -1) {
		xasprintf(cause, "fcntl: %s", strerror(errno));
		close(fd);
		return -1;
	}
	up = xcalloc(1, sizeof *up);
	down = xcalloc(1, sizeof *down);

	for (;;) {
		if (sock_eof && down->off == down->len) {
			r = 0;
			break;
		}
		nfds = 0;
		i_in = i_sock = i_out = -1;
		if (!in_eof && up->off == up->len) {
			pfd[nfds].fd = in;
			pfd[nfds].events = POLLIN;
			i_in = nfds++;
		}
		pfd[nfds].fd = fd;
		pfd[nfds].events = 0;
		if (up->off != up->len)
			pfd[nfds].events |= POLLOUT;
		if (!sock_eof && down->off == down->len)
			pfd[nfds].events |= POLLIN;
		/* A hung-up socket would spin while OUT is slow: skip it. */
		if (pfd[nfds].events == 0)
			pfd[nfds].fd = -1;
		pfd[nfds].revents = 0;
		i_sock = nfds++;
		if (down->off != down->len) {
			pfd[nfds].fd = out;
			pfd[nfds].events = POLLOUT;
			i_out = nfds++;
		}
		if (poll(pfd, (nfds_t)nfds, -1) == -1) {
			if (errno == EINTR)
				continue;
			what = "poll";
			break;
		}

		if (i_in != -1 && pfd[i_in].revents != 0) {
			n = read(in, up->data, sizeof up->data);
			if (n == -1 && errno != EINTR && errno != EAGAIN) {
				what = "read stdin";
				break;
			}
			if (n == 0) {
				/* The agent answers what it has, then ends. */
				in_eof = 1;
				shutdown(fd, SHUT_WR);
			} else if (n > 0) {
				up->off = 0;
				up->len = (size_t)n;
			}
		}
		if (pfd[i_sock].revents & (POLLOUT|POLLERR|POLLHUP) &&
		    up->off != up->len) {
			n = send(fd, up->data + up->off, up->len - up->off,
			    MSG_NOSIGNAL);
			if (n == -1 && errno == EPIPE) {
				/* The agent has closed: read what it said. */
				up->off = up->len = 0;
				in_eof = 1;
			} else if (n == -1 && errno != EINTR &&
			    errno != EAGAIN) {
				what = "write socket";
				break;
			} else if (n > 0)
				up->off += (size_t)n;
		}
		if (pfd[i_sock].revents & (POLLIN|POLLERR|POLLHUP) &&
		    !sock_eof && down->off == down->len) {
			n = read(fd, down->data, sizeof down->data);
			if (n == -1 && errno != EINTR && errno != EAGAIN) {
				what = "read socket";
				break;
			}
			if (n == 0)
				sock_eof = 1;
			else if (n > 0) {
				down->off = 0;
				down->len = (size_t)n;
			}
		}
		if (i_out != -1 && pfd[i_out].revents != 0) {
			/*
			 * OUT may block: PIPE_BUF bytes fit in a pipe that
			 * polls writable, so a write this size does not.
			 */
			len = down->len - down->off;
			if (len > PIPE_BUF)
				len = PIPE_BUF;
			n = write(out, down->data + down->off, len);
			if (n == -1 && errno != EINTR && errno != EAGAIN) {
				what = "write stdout";
				break;
			}
			if (n > 0)
				down->off += (size_t)n;
		}
	}
	if (what != NULL)
		xasprintf(cause, "%s: %s", what, strerror(errno));
	free(up);
	free(down);
	close(fd);
	return r;
}
