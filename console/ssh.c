/*
 * The SSH transport (ssh.h): libssh for the connection, a socketpair and a
 * pump thread to give client.c the pair of fds it speaks over.
 *
 * The pump is a poll(2) loop over three fds: a wake pipe (ssh_link_close),
 * its socketpair end and the SSH socket. The session is non-blocking in
 * the pump, so a write to a channel whose window is shut returns at once
 * and a stop is never stuck behind it; libssh's own pending output is
 * waited for through ssh_get_poll_flags(), and the packets that arrive are
 * processed through an ssh_event. Each turn moves what it can; the loop
 * only sleeps when a turn moved nothing, so bytes libssh has already read
 * into a channel buffer (where poll cannot see them) are never left
 * waiting.
 *
 * Closing: the console closing its end becomes an EOF on the channel
 * (dial-stdio passes it to the agent, which answers what it has and
 * closes); the remote command ending becomes an EOF on the socket, but
 * only once the channel has closed or LINK_CLOSE_WAIT_MS have passed, so
 * that the command's exit status and last words are known to
 * ssh_link_cause() by the time the console sees the end.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libssh/callbacks.h>
#include <libssh/libssh.h>

#include "client.h"
#include "log.h"
#include "loop.h"
#include "ssh.h"
#include "xmalloc.h"

/* Bytes moved per read; a request line may be much longer. */
#define LINK_BUF		16384
/*
 * The longest the pump sleeps: a safety net only, every wait has an fd
 * to wake it.
 */
#define LINK_TICK_MS		1000
/* How long a remote EOF waits for the channel's close (and status). */
#define LINK_CLOSE_WAIT_MS	2000
/* How long the closing packets may take to leave. */
#define LINK_FLUSH_MS		1000
/* The remote command's stderr kept for ssh_link_cause(): its tail. */
#define LINK_STDERR_MAX		512
/*
 * The connect and authentication timeout, unless ~/.ssh/config has a
 * ConnectTimeout.
 */
#define LINK_TIMEOUT_S		15L

struct link_buf {
	char	data[LINK_BUF];
	size_t	off;
	size_t	len;
};

struct ssh_link {
	ssh_session				 session;
	ssh_channel				 channel;
	ssh_event				 event;
	struct ssh_channel_callbacks_struct	 cb;

	pthread_t				 thread;
	int					 started;
	int					 sock;	/* the pump's end */
	int					 wake[2];

	/* Written by the pump, read by ssh_link_cause(): under lock. */
	pthread_mutex_t				 lock;
	char					 err[LINK_STDERR_MAX];
	size_t					 errlen;
	int					 exit_status;	/* -1: none */
	char					*exit_signal;
	char					*error;	/* the pump failed */
};

/* A destination taken apart. */
struct link_dest {
	char		*user;		/* NULL: ~/.ssh/config or the login */
	char		*host;
	unsigned int	 port;		/* 0: ~/.ssh/config or 22 */
};

/* Records why the pump stopped, keeping the first reason. */
static void __attribute__((format(printf, 2, 3)))
link_fail(struct ssh_link *l, const char *fmt, ...)
{
	va_list	 ap;
	char	*s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) == -1)
		s = NULL;
	va_end(ap);
	pthread_mutex_lock(&l->lock);
	if (l->error == NULL)
		l->error = s;
	else
		free(s);
	pthread_mutex_unlock(&l->lock);
}

/* Keeps the last LINK_STDERR_MAX bytes of the remote command's stderr. */
static void
link_stderr(struct ssh_link *l, const char *buf, size_t len)
{
	size_t	keep;

	pthread_mutex_lock(&l->lock);
	if (len >= sizeof l->err) {
		memcpy(l->err, buf + len - sizeof l->err, sizeof l->err);
		l->errlen = sizeof l->err;
	} else {
		keep = sizeof l->err - len;
		if (l->errlen > keep) {
			memmove(l->err, l->err + l->errlen - keep, keep);
			l->errlen = keep;
		}
		memcpy(l->err + l->errlen, buf, len);
		l->errlen += len;
	}
	pthread_mutex_unlock(&l->lock);
}

/* libssh: the remote command's exit status (pump thread). */
static void
link_exit_status(ssh_session session, ssh_channel channel, int status,
    void *arg)
{
	struct ssh_link	*l = arg;

	(void)session;
	(void)channel;
	pthread_mutex_lock(&l->lock);
	l->exit_status = status;
	pthread_mutex_unlock(&l->lock);
}

/* libssh: the signal that killed the remote command (pump thread). */
static void
link_exit_signal(ssh_session session, ssh_channel channel, const char *sig,
    int core, const char *errmsg, const char *lang, void *arg)
{
	struct ssh_link	*l = arg;

	(void)session;
	(void)channel;
	(void)core;
	(void)errmsg;
	(void)lang;
	pthread_mutex_lock(&l->lock);
	if (l->exit_signal == NULL && sig != NULL)
		l->exit_signal = strdup(sig);
	pthread_mutex_unlock(&l->lock);
}

/* Sets O_NONBLOCK on FD: 0, or -1. */
static int
link_nonblock(int fd)
{
	int	flags;

	if ((flags = fcntl(fd, F_GETFL)) == -1 ||
	    fcntl(fd, F_SETFL, flags | O_NONBLOCK) == -1)
		return -1;
	return 0;
}

/*
 * The pump (see the top of the file). Ends on a stop, a failure, or when
 * the remote side has finished and so has the console (or the channel is
 * gone); the socket is then shut down both ways, so the console sees the
 * end whatever it is doing.
 */
static void *
link_pump(void *arg)
{
	struct ssh_link	*l = arg;
	ssh_channel	 ch = l->channel;
	struct link_buf	*up, *down;
	struct pollfd	 pfd[3];
	char		 ebuf[1024];
	int64_t		 eof_at = 0, left;
	ssize_t		 sn;
	int		 n, progress, timeout, closed;
	int		 sock_eof = 0, gone = 0, eof_sent = 0, remote_eof = 0;
	int		 shut = 0;

	up = xcalloc(1, sizeof *up);
	down = xcalloc(1, sizeof *down);
	for (;;) {
		progress = 0;
		closed = ssh_channel_is_closed(ch);

		/* The remote command's output, for the console. */
		if (!remote_eof && down->off == down->len) {
			n = ssh_channel_read_nonblocking(ch, down->data,
			    sizeof down->data, 0);
			if (n > 0) {
				down->off = 0;
				down->len = gone ? 0 : (size_t)n;
				progress = 1;
			} else if (n == SSH_EOF ||
			    (n == 0 && (ssh_channel_is_eof(ch) || closed))) {
				remote_eof = 1;
				eof_at = loop_now_ms();
				progress = 1;
			} else if (n < 0) {
				link_fail(l, "%s", ssh_get_error(l->session));
				break;
			}
		}
		/* Its stderr, kept for ssh_link_cause(). */
		while ((n = ssh_channel_read_nonblocking(ch, ebuf, sizeof ebuf,
		    1)) > 0) {
			link_stderr(l, ebuf, (size_t)n);
			progress = 1;
		}

		if (down->off < down->len) {
			sn = send(l->sock, down->data + down->off,
			    down->len - down->off, MSG_NOSIGNAL);
			if (sn > 0) {
				down->off += (size_t)sn;
				progress = 1;
			} else if (sn == -1 && errno != EAGAIN &&
			    errno != EINTR) {
				/* The console has gone: drop what it missed. */
				down->off = down->len = 0;
				gone = sock_eof = 1;
				progress = 1;
			}
		}
		if (remote_eof && down->off == down->len && !shut &&
		    (closed || loop_now_ms() - eof_at >= LINK_CLOSE_WAIT_MS)) {
			shutdown(l->sock, SHUT_WR);
			shut = 1;
			progress = 1;
		}

		/* The console's requests, for the remote command. */
		if (!sock_eof && up->off == up->len) {
			sn = recv(l->sock, up->data, sizeof up->data, 0);
			if (sn > 0) {
				up->off = 0;
				up->len = (size_t)sn;
				progress = 1;
			} else if (sn == 0 ||
			    (errno != EAGAIN && errno != EINTR)) {
				sock_eof = 1;
				progress = 1;
			}
		}
		if (up->off < up->len) {
			/* Nobody is left to read it once the channel closed. */
			if (closed)
				up->off = up->len;
			else {
				n = ssh_channel_write(ch, up->data + up->off,
				    (uint32_t)(up->len - up->off));
				if (n == SSH_ERROR && !ssh_channel_is_closed(ch)) {
					link_fail(l, "%s",
					    ssh_get_error(l->session));
					break;
				}
				if (n == SSH_ERROR)
					up->off = up->len;
				else if (n > 0) {
					up->off += (size_t)n;
					progress = 1;
				}
			}
		}
		if (sock_eof && up->off == up->len && !eof_sent) {
			if (!closed)
				ssh_channel_send_eof(ch);
			eof_sent = 1;
			progress = 1;
		}

		if (remote_eof && shut && (eof_sent || closed))
			break;

		timeout = progress ? 0 : LINK_TICK_MS;
		if (remote_eof && !shut && timeout != 0) {
			left = eof_at + LINK_CLOSE_WAIT_MS - loop_now_ms();
			if (left < timeout)
				timeout = left < 0 ? 0 : (int)left;
		}
		pfd[0].fd = l->wake[0];
		pfd[0].events = POLLIN;
		pfd[1].fd = l->sock;
		pfd[1].events = 0;
		if (!sock_eof && up->off == up->len)
			pfd[1].events |= POLLIN;
		if (down->off < down->len)
			pfd[1].events |= POLLOUT;
		if (pfd[1].events == 0)
			pfd[1].fd = -1;
		/* A session whose socket libssh closed has fd -1: skipped. */
		pfd[2].fd = ssh_get_fd(l->session);
		pfd[2].events = POLLIN;
		if (ssh_get_poll_flags(l->session) & SSH_WRITE_PENDING)
			pfd[2].events |= POLLOUT;
		pfd[0].revents = pfd[1].revents = pfd[2].revents = 0;
		if (poll(pfd, 3, timeout) == -1 && errno != EINTR) {
			link_fail(l, "poll: %s", strerror(errno));
			break;
		}
		if (pfd[0].revents != 0)
			break;
		/* Reads what came, sends what libssh holds. */
		if (pfd[2].revents != 0 &&
		    ssh_event_dopoll(l->event, 0) == SSH_ERROR &&
		    !ssh_channel_is_closed(ch)) {
			link_fail(l, "%s", ssh_get_error(l->session));
			break;
		}
	}

	shutdown(l->sock, SHUT_RDWR);
	if (!ssh_channel_is_closed(ch)) {
		if (!eof_sent)
			ssh_channel_send_eof(ch);
		ssh_channel_close(ch);
		ssh_blocking_flush(l->session, LINK_FLUSH_MS);
	}
	free(up);
	free(down);
	return NULL;
}

/* The first LEN bytes of S. */
static char *
link_strndup(const char *s, size_t len)
{
	char	*t;

	t = xmalloc(len + 1);
	memcpy(t, s, len);
	t[len] = '\0';
	return t;
}

/* Splits DEST, [user@]host[:port] or [user@][addr]:port. 0, or -1. */
static int
link_dest_parse(const char *dest, struct link_dest *d, char **cause)
{
	const char	*at, *hp, *colon, *end;
	char		*ep;
	unsigned long	 port;

	memset(d, 0, sizeof *d);
	if ((at = strrchr(dest, '@')) != NULL) {
		if (at == dest)
			goto bad;
		d->user = link_strndup(dest, (size_t)(at - dest));
		hp = at + 1;
	} else
		hp = dest;
	colon = NULL;
	if (*hp == '[') {
		if ((end = strchr(hp, ']')) == NULL || end == hp + 1)
			goto bad;
		d->host = link_strndup(hp + 1, (size_t)(end - hp - 1));
		if (end[1] == ':')
			colon = end + 1;
		else if (end[1] != '\0')
			goto bad;
	} else {
		/* Two colons or more: an IPv6 address with no port. */
		colon = strchr(hp, ':');
		if (colon != NULL && strchr(colon + 1, ':') != NULL)
			colon = NULL;
		end = colon != NULL ? colon : hp + strlen(hp);
		if (end == hp)
			goto bad;
		d->host = link_strndup(hp, (size_t)(end - hp));
	}
	if (colon != NULL) {
		errno = 0;
		port = strtoul(colon + 1, &ep, 10);
		if (colon[1] < '0' || colon[1] > '9' || *ep != '\0' ||
		    errno != 0 || port == 0 || port > 65535)
			goto bad;
		d->port = (unsigned int)port;
	}
	return 0;

bad:
	free(d->user);
	free(d->host);
	memset(d, 0, sizeof *d);
	xasprintf(cause, "bad destination \"%s\": expected [user@]host[:port]",
	    dest);
	return -1;
}

/* S quoted for a POSIX shell: 'S', with each ' as '\''. */
static char *
link_shell_quote(const char *s)
{
	char	*q, *p;

	p = q = xmalloc(4 * strlen(s) + 3);
	*p++ = '\'';
	for (; *s != '\0'; s++) {
		if (*s == '\'') {
			memcpy(p, "'\\''", 4);
			p += 4;
		} else
			*p++ = *s;
	}
	*p++ = '\'';
	*p = '\0';
	return q;
}

/* The command to run on the door box (ssh.h). */
static char *
link_command(const struct ssh_options *o)
{
	const char	*base = o->remote_command;
	char		*quoted, *cmd;

	if (base == NULL || *base == '\0')
		base = getenv("GATEHOUSE_REMOTE_COMMAND");
	if (base == NULL || *base == '\0')
		base = SSH_REMOTE_COMMAND;
	if (o->socket == NULL)
		return xstrdup(base);
	quoted = link_shell_quote(o->socket);
	xasprintf(&cmd, "%s -S %s", base, quoted);
	free(quoted);
	return cmd;
}

/*
 * How messages name the host: as the user wrote it, with the address and
 * port actually used when they differ ("doorbox (127.0.0.1 port 2222)").
 */
static char *
link_name(ssh_session s, const struct link_dest *d)
{
	char		*host = NULL, *name;
	unsigned int	 port = 22;

	if (ssh_options_get(s, SSH_OPTIONS_HOST, &host) != SSH_OK)
		host = NULL;
	ssh_options_get_port(s, &port);
	if (host == NULL || (strcmp(host, d->host) == 0 && port == 22))
		name = xstrdup(d->host);
	else
		xasprintf(&name, "%s (%s port %u)", d->host, host, port);
	ssh_string_free_char(host);
	return name;
}

/* The host's name in known_hosts, for ssh-keygen -R: host or [host]:port. */
static char *
link_known_name(ssh_session s)
{
	char		*host = NULL, *name;
	unsigned int	 port = 22;

	if (ssh_options_get(s, SSH_OPTIONS_HOST, &host) != SSH_OK)
		return xstrdup("HOST");
	ssh_options_get_port(s, &port);
	if (port == 22)
		name = xstrdup(host);
	else
		xasprintf(&name, "[%s]:%u", host, port);
	ssh_string_free_char(host);
	return name;
}

/* The known_hosts file in use. */
static char *
link_known_file(ssh_session s)
{
	char	*file = NULL, *copy;

	if (ssh_options_get(s, SSH_OPTIONS_KNOWNHOSTS, &file) != SSH_OK)
		return xstrdup("~/.ssh/known_hosts");
	copy = xstrdup(file);
	ssh_string_free_char(file);
	return copy;
}

/* The server's key as "ED25519 SHA256:...", or NULL with *CAUSE. */
static char *
link_fingerprint(ssh_session s, const char *name, char **cause)
{
	ssh_key		 key = NULL;
	unsigned char	*hash = NULL;
	size_t		 hlen;
	const char	*type;
	char		*fp = NULL, *out = NULL, *p;

	if (ssh_get_server_publickey(s, &key) != SSH_OK ||
	    ssh_get_publickey_hash(key, SSH_PUBLICKEY_HASH_SHA256, &hash,
	    &hlen) != 0 ||
	    (fp = ssh_get_fingerprint_hash(SSH_PUBLICKEY_HASH_SHA256, hash,
	    hlen)) == NULL) {
		xasprintf(cause, "%s: cannot read the host key: %s", name,
		    ssh_get_error(s));
		goto out;
	}
	/* "ssh-ed25519" is shown "ED25519", as OpenSSH does. */
	type = ssh_key_type_to_char(ssh_key_type(key));
	if (type == NULL)
		type = "unknown";
	if (strncmp(type, "ssh-", 4) == 0)
		type += 4;
	xasprintf(&out, "%s %s", type, fp);
	for (p = out; *p != ' '; p++) {
		if (*p >= 'a' && *p <= 'z')
			*p = (char)(*p - 'a' + 'A');
	}
out:
	ssh_string_free_char(fp);
	ssh_clean_pubkey_hash(&hash);
	ssh_key_free(key);
	return out;
}

/* Checks the host key against known_hosts (ssh.h): 0, or -1. */
static int
link_verify(ssh_session s, const struct ssh_options *o, const char *name,
    char **cause)
{
	enum ssh_known_hosts_e	 state;
	char			*fp, *file, *known;
	int			 r = -1;

	if ((fp = link_fingerprint(s, name, cause)) == NULL)
		return -1;
	state = ssh_session_is_known_server(s);
	file = link_known_file(s);
	known = link_known_name(s);
	switch (state) {
	case SSH_KNOWN_HOSTS_OK:
		r = 0;
		break;
	case SSH_KNOWN_HOSTS_CHANGED:
	case SSH_KNOWN_HOSTS_OTHER:
		xasprintf(cause, "host key for %s %s: refusing to connect. "
		    "It is now %s. Someone may be intercepting the "
		    "connection (man in the middle), or the door box was "
		    "reinstalled; if you know the new key is right, remove "
		    "the old one from %s (ssh-keygen -R '%s') and connect "
		    "again", name, state == SSH_KNOWN_HOSTS_CHANGED ?
		    "changed" : "is of another type than the one known",
		    fp, file, known);
		break;
	case SSH_KNOWN_HOSTS_NOT_FOUND:
	case SSH_KNOWN_HOSTS_UNKNOWN:
		if (!o->accept_new &&
		    (o->ask == NULL || !o->ask(name, fp, o->ask_arg))) {
			xasprintf(cause, "host key for %s is not known: "
			    "refusing to connect. Its key is %s; compare it "
			    "with the door box's (ssh-keygen -lf "
			    "/etc/ssh/ssh_host_*_key.pub there), then "
			    "connect once with --accept-new to add it to %s",
			    name, fp, file);
			break;
		}
		if (ssh_session_update_known_hosts(s) != SSH_OK) {
			log_warnx("cannot add the host key for %s to %s: %s",
			    name, file, ssh_get_error(s));
		} else if (o->ask == NULL) {
			log_warnx("added %s as the host key of %s to %s",
			    fp, name, file);
		}
		r = 0;
		break;
	case SSH_KNOWN_HOSTS_ERROR:
	default:
		xasprintf(cause, "%s: cannot check the host key against %s: "
		    "%s", name, file, ssh_get_error(s));
		break;
	}
	free(known);
	free(file);
	free(fp);
	return r;
}

/*
 * ~/.ssh: libssh takes ~ from the passwd entry, the console from HOME like
 * the rest of the user's tools (and the tests need it). NULL: libssh's.
 */
static char *
link_ssh_dir(void)
{
	const char	*home;
	char		*dir;

	home = getenv("HOME");
	if (home == NULL || *home != '/')
		return NULL;
	xasprintf(&dir, "%s/.ssh", home);
	return dir;
}

/* The methods of mask M as words, for a person. */
static char *
link_methods(int m)
{
	static const struct {
		int		 bit;
		const char	*name;
	} methods[] = {
		{ SSH_AUTH_METHOD_PUBLICKEY, "publickey" },
		{ SSH_AUTH_METHOD_PASSWORD, "password" },
		{ SSH_AUTH_METHOD_INTERACTIVE, "keyboard-interactive" },
		{ SSH_AUTH_METHOD_HOSTBASED, "hostbased" },
		{ SSH_AUTH_METHOD_GSSAPI_MIC, "gssapi-with-mic" },
	};
	char	*s = NULL, *t;
	size_t	 i;

	for (i = 0; i < sizeof methods / sizeof methods[0]; i++) {
		if ((m & methods[i].bit) == 0)
			continue;
		if (s == NULL)
			s = xstrdup(methods[i].name);
		else {
			xasprintf(&t, "%s, %s", s, methods[i].name);
			free(s);
			s = t;
		}
	}
	return s != NULL ? s : xstrdup("none");
}

/*
 * Authenticates: "none" (a server may let anyone in), then every public
 * key of the ssh-agent and of the key files. 0, or -1 with *CAUSE saying
 * what was tried.
 */
static int
link_auth(ssh_session s, const char *name, char **cause)
{
	const char	*agent;
	char		*user = NULL, *accepted, *dir = NULL;
	int		 r, methods;

	r = ssh_userauth_none(s, NULL);
	if (r == SSH_AUTH_SUCCESS)
		return 0;
	if (r == SSH_AUTH_ERROR) {
		xasprintf(cause, "%s: %s", name, ssh_get_error(s));
		return -1;
	}
	methods = ssh_userauth_list(s, NULL);
	if (methods & SSH_AUTH_METHOD_PUBLICKEY) {
		r = ssh_userauth_publickey_auto(s, NULL, NULL);
		if (r == SSH_AUTH_SUCCESS)
			return 0;
		if (r == SSH_AUTH_ERROR) {
			xasprintf(cause, "%s: %s", name, ssh_get_error(s));
			return -1;
		}
		methods = ssh_userauth_list(s, NULL);
	}
	if (ssh_options_get(s, SSH_OPTIONS_USER, &user) != SSH_OK)
		user = NULL;
	dir = link_ssh_dir();
	agent = getenv("SSH_AUTH_SOCK");
	accepted = link_methods(methods);
	if (r == SSH_AUTH_PARTIAL) {
		xasprintf(cause, "%s: user %s: the key was accepted but the "
		    "server wants more (%s), which gatehouse cannot give",
		    name, user != NULL ? user : "?", accepted);
	} else {
		xasprintf(cause, "%s: authentication failed for user %s: "
		    "tried no authentication, then publickey with %s the "
		    "IdentityFile keys of ~/.ssh/config and %s/id_ed25519, "
		    "id_ecdsa and id_rsa; the server accepts: %s "
		    "(gatehouse asks for no passwords)", name,
		    user != NULL ? user : "?",
		    agent != NULL && *agent != '\0' ? "the ssh-agent's keys, " :
		    "no ssh-agent (SSH_AUTH_SOCK unset),",
		    dir != NULL ? dir : "~/.ssh", accepted);
	}
	free(accepted);
	ssh_string_free_char(user);
	free(dir);
	return -1;
}

/* Sets the session's options: destination, ~/.ssh, ~/.ssh/config. */
static int
link_options(ssh_session s, const struct link_dest *d, const char *dest,
    char **cause)
{
	char		*dir;
	long		 timeout = LINK_TIMEOUT_S;
	int		 r;

	if (ssh_options_set(s, SSH_OPTIONS_HOST, d->host) != SSH_OK)
		goto fail;
	if ((dir = link_ssh_dir()) != NULL) {
		r = ssh_options_set(s, SSH_OPTIONS_SSH_DIR, dir);
		free(dir);
		if (r != SSH_OK)
			goto fail;
	}
	/* Before the configuration, so that its ConnectTimeout wins. */
	if (ssh_options_set(s, SSH_OPTIONS_TIMEOUT, &timeout) != SSH_OK)
		goto fail;
	if (ssh_options_parse_config(s, NULL) != 0) {
		xasprintf(cause, "%s: cannot read ~/.ssh/config or "
		    "/etc/ssh/ssh_config: %s", dest, ssh_get_error(s));
		return -1;
	}
	/* After it: the command line wins over the configuration. */
	if (d->user != NULL &&
	    ssh_options_set(s, SSH_OPTIONS_USER, d->user) != SSH_OK)
		goto fail;
	if (d->port != 0 &&
	    ssh_options_set(s, SSH_OPTIONS_PORT, &d->port) != SSH_OK)
		goto fail;
	return 0;

fail:
	xasprintf(cause, "%s: %s", dest, ssh_get_error(s));
	return -1;
}

struct ssh_link *
ssh_link_open(const struct ssh_options *o, int *in, int *out, char **cause)
{
	struct ssh_link		*l;
	struct link_dest	 d;
	sigset_t		 all, old;
	char			*name = NULL, *cmd = NULL;
	int			 sv[2], error;

	if (link_dest_parse(o->destination, &d, cause) != 0)
		return NULL;
	l = xcalloc(1, sizeof *l);
	l->sock = l->wake[0] = l->wake[1] = -1;
	l->exit_status = -1;
	pthread_mutex_init(&l->lock, NULL);
	if ((l->session = ssh_new()) == NULL) {
		*cause = xstrdup("cannot make an SSH session");
		goto fail;
	}
	if (link_options(l->session, &d, o->destination, cause) != 0)
		goto fail;
	name = link_name(l->session, &d);
	if (ssh_connect(l->session) != SSH_OK) {
		xasprintf(cause, "cannot connect to %s: %s", name,
		    ssh_get_error(l->session));
		goto fail;
	}
	/* ssh_connect() has settled the user and port: name them. */
	free(name);
	name = link_name(l->session, &d);
	if (link_verify(l->session, o, name, cause) != 0)
		goto fail;
	if (link_auth(l->session, name, cause) != 0)
		goto fail;

	cmd = link_command(o);
	if ((l->channel = ssh_channel_new(l->session)) == NULL ||
	    ssh_channel_open_session(l->channel) != SSH_OK) {
		xasprintf(cause, "%s: cannot open a channel: %s", name,
		    ssh_get_error(l->session));
		goto fail;
	}
	l->cb.userdata = l;
	l->cb.channel_exit_status_function = link_exit_status;
	l->cb.channel_exit_signal_function = link_exit_signal;
	ssh_callbacks_init(&l->cb);
	ssh_set_channel_callbacks(l->channel, &l->cb);
	if (ssh_channel_request_exec(l->channel, cmd) != SSH_OK) {
		xasprintf(cause, "%s: cannot run \"%s\": %s", name, cmd,
		    ssh_get_error(l->session));
		goto fail;
	}

	if (socketpair(AF_UNIX, SOCK_STREAM|SOCK_CLOEXEC, 0, sv) == -1) {
		xasprintf(cause, "socketpair: %s", strerror(errno));
		goto fail;
	}
	l->sock = sv[0];
	if (pipe2(l->wake, O_CLOEXEC|O_NONBLOCK) == -1 ||
	    link_nonblock(l->sock) == -1) {
		xasprintf(cause, "pipe: %s", strerror(errno));
		close(sv[1]);
		goto fail;
	}
	/* The pump owns the session now, non-blocking. */
	ssh_set_blocking(l->session, 0);
	if ((l->event = ssh_event_new()) == NULL ||
	    ssh_event_add_session(l->event, l->session) != SSH_OK) {
		xasprintf(cause, "%s: cannot watch the session", name);
		close(sv[1]);
		goto fail;
	}
	/* Signals are for the console's thread (SIGINT ends a follow). */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	error = pthread_create(&l->thread, NULL, link_pump, l);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (error != 0) {
		xasprintf(cause, "pthread_create: %s", strerror(error));
		close(sv[1]);
		goto fail;
	}
	l->started = 1;
	*in = *out = sv[1];
	free(cmd);
	free(name);
	free(d.user);
	free(d.host);
	return l;

fail:
	free(cmd);
	free(name);
	free(d.user);
	free(d.host);
	ssh_link_close(l);
	return NULL;
}

/* Appends S to *OUT, separated by SEP. */
static void
link_append(char **out, const char *sep, const char *s)
{
	char	*t;

	if (*out == NULL)
		*out = xstrdup(s);
	else {
		xasprintf(&t, "%s%s%s", *out, sep, s);
		free(*out);
		*out = t;
	}
}

char *
ssh_link_cause(struct ssh_link *l)
{
	char	*out = NULL, *words, *status, *p;
	size_t	 i, n = 0;

	pthread_mutex_lock(&l->lock);
	/* The stderr tail as one line; control characters as '?'. */
	words = xmalloc(l->errlen + 1);
	for (i = 0; i < l->errlen; i++) {
		if (l->err[i] == '\n' || l->err[i] == '\r' ||
		    l->err[i] == '\t')
			words[n++] = ' ';
		else if ((unsigned char)l->err[i] < 0x20 || l->err[i] == 0x7f)
			words[n++] = '?';
		else
			words[n++] = l->err[i];
	}
	words[n] = '\0';
	while (n > 0 && words[n - 1] == ' ')
		words[--n] = '\0';
	for (p = words; *p == ' '; p++)
		/* nothing */;
	if (*p != '\0')
		link_append(&out, "; ", p);
	free(words);
	status = NULL;
	if (l->exit_signal != NULL)
		xasprintf(&status, "killed by signal %s", l->exit_signal);
	else if (l->exit_status != -1)
		xasprintf(&status, "exit status %d", l->exit_status);
	if (status != NULL && out != NULL) {
		xasprintf(&p, "%s (%s)", out, status);
		free(out);
		out = p;
	} else if (status != NULL)
		link_append(&out, "", status);
	free(status);
	if (l->error != NULL)
		link_append(&out, "; ", l->error);
	pthread_mutex_unlock(&l->lock);
	return out;
}

void
ssh_link_close(struct ssh_link *l)
{
	if (l == NULL)
		return;
	if (l->started) {
		/* A full pipe is readable too: the pump stops either way. */
		if (write(l->wake[1], "", 1) == -1 && errno != EAGAIN)
			log_warnx("ssh: wake: %s", strerror(errno));
		pthread_join(l->thread, NULL);
	}
	if (l->event != NULL) {
		ssh_event_remove_session(l->event, l->session);
		ssh_event_free(l->event);
	}
	if (l->channel != NULL)
		ssh_channel_free(l->channel);
	if (l->session != NULL) {
		ssh_disconnect(l->session);
		ssh_free(l->session);
	}
	if (l->sock != -1)
		close(l->sock);
	if (l->wake[0] != -1)
		close(l->wake[0]);
	if (l->wake[1] != -1)
		close(l->wake[1]);
	pthread_mutex_destroy(&l->lock);
	free(l->exit_signal);
	free(l->error);
	free(l);
}

struct client *
ssh_client_open(const struct ssh_options *o, struct ssh_link **lp,
    char **cause)
{
	struct client	*c;
	char		*why, *remote;
	int		 in, out;

	*lp = NULL;
	if ((*lp = ssh_link_open(o, &in, &out, cause)) == NULL)
		return NULL;
	if ((c = client_open_fds(in, out, &why)) == NULL) {
		/* "connection closed" alone would not say why. */
		remote = ssh_link_cause(*lp);
		if (remote != NULL) {
			xasprintf(cause, "%s: %s; the remote command said: %s",
			    o->destination, why, remote);
		} else
			xasprintf(cause, "%s: %s", o->destination, why);
		free(remote);
		free(why);
		ssh_link_close(*lp);
		*lp = NULL;
		return NULL;
	}
	client_set_remote(c, 1);
	return c;
}
