/*
 * console.conf (conf.h): the doors a console watches.
 */
#include <sys/types.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <ctype.h>
#include <errno.h>
#include <pwd.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "batch.h"
#include "conf.h"
#include "file.h"
#include "xmalloc.h"

/* Whether C may be in a door name, a user name or a host name. */
static int
conf_word_char(int c)
{
	return isascii(c) && (isalnum(c) || c == '.' || c == '_' ||
	    c == '-');
}

/*
 * Whether S is a name of at most MAX such characters (0: no limit) that
 * does not start with '-' (ssh would read it as an option).
 */
static int
conf_word(const char *s, size_t len, size_t max)
{
	size_t	i;

	if (len == 0 || (max != 0 && len > max) || s[0] == '-')
		return 0;
	for (i = 0; i < len; i++) {
		if (!conf_word_char((unsigned char)s[i]))
			return 0;
	}
	return 1;
}

char *
conf_default_file(void)
{
	struct passwd	*pw;
	const char	*xdg, *home;
	char		*path;

	/* The XDG base directory rules ignore a relative path. */
	xdg = getenv("XDG_CONFIG_HOME");
	if (xdg != NULL && *xdg == '/') {
		xasprintf(&path, "%s/gatehouse/console.conf", xdg);
		return path;
	}
	home = getenv("HOME");
	if (home == NULL || *home == '\0') {
		if ((pw = getpwuid(getuid())) == NULL || pw->pw_dir == NULL ||
		    *pw->pw_dir == '\0')
			return NULL;
		home = pw->pw_dir;
	}
	xasprintf(&path, "%s/.config/gatehouse/console.conf", home);
	return path;
}

/* Parses the port of an SSH address, after its ':'. */
static int
conf_port(const char *s, const char *address, int *port, char **cause)
{
	long	v = 0;

	if (*s == '\0') {
		xasprintf(cause, "\"%s\": no port after ':'", address);
		return -1;
	}
	for (; *s != '\0'; s++) {
		if (!isdigit((unsigned char)*s) || (v = v * 10 +
		    (*s - '0')) > 65535) {
			xasprintf(cause, "\"%s\": the port is a number from "
			    "1 to 65535", address);
			return -1;
		}
	}
	if (v == 0) {
		xasprintf(cause, "\"%s\": the port is a number from 1 to "
		    "65535", address);
		return -1;
	}
	*port = (int)v;
	return 0;
}

/* Parses "[user@]host[:port]" (host may be "[v6 address]"). */
static int
conf_ssh_address(const char *address, struct conf_door *d, char **cause)
{
	const char	*at, *host, *end, *p;
	char		*user = NULL, *h;
	int		 port = 0;

	host = address;
	if ((at = strrchr(address, '@')) != NULL) {
		if (!conf_word(address, (size_t)(at - address), 0)) {
			xasprintf(cause, "\"%s\": bad user name", address);
			return -1;
		}
		user = xmalloc((size_t)(at - address) + 1);
		memcpy(user, address, (size_t)(at - address));
		user[at - address] = '\0';
		host = at + 1;
	}
	if (*host == '[') {
		/* An IPv6 address: hex digits, ':' and '.' (v4-mapped). */
		if ((end = strchr(host, ']')) == NULL)
			goto bad_host;
		for (p = host + 1; p < end; p++) {
			if (!isxdigit((unsigned char)*p) && *p != ':' &&
			    *p != '.')
				goto bad_host;
		}
		if (end == host + 1)
			goto bad_host;
		h = xmalloc((size_t)(end - host));
		memcpy(h, host + 1, (size_t)(end - host - 1));
		h[end - host - 1] = '\0';
		p = end + 1;
		if (*p != '\0' && *p != ':') {
			free(h);
			goto bad_host;
		}
	} else {
		end = strchr(host, ':');
		if (end == NULL)
			end = host + strlen(host);
		if (*end == ':' && strchr(end + 1, ':') != NULL) {
			xasprintf(cause, "\"%s\": an IPv6 address goes in "
			    "brackets: [ADDRESS]:PORT", address);
			free(user);
			return -1;
		}
		if (!conf_word(host, (size_t)(end - host), 253) ||
		    *host == '.')
			goto bad_host;
		h = xmalloc((size_t)(end - host) + 1);
		memcpy(h, host, (size_t)(end - host));
		h[end - host] = '\0';
		p = end;
	}
	if (*p == ':' && conf_port(p + 1, address, &port, cause) != 0) {
		free(user);
		free(h);
		return -1;
	}
	free(d->path);
	free(d->user);
	free(d->host);
	d->ssh = 1;
	d->path = NULL;
	d->user = user;
	d->host = h;
	d->port = port;
	return 0;

bad_host:
	xasprintf(cause, "\"%s\": bad host name", address);
	free(user);
	return -1;
}

int
conf_parse_address(const char *address, struct conf_door *d, char **cause)
{
	struct sockaddr_un	sun;

	if (*address == '\0') {
		*cause = xstrdup("an empty address");
		return -1;
	}
	if (*address == '/') {
		if (strlen(address) >= sizeof sun.sun_path) {
			xasprintf(cause, "\"%s\": socket path too long",
			    address);
			return -1;
		}
		free(d->path);
		free(d->user);
		free(d->host);
		d->ssh = 0;
		d->path = xstrdup(address);
		d->user = NULL;
		d->host = NULL;
		d->port = 0;
		return 0;
	}
	/* A host name has no '/'; "agent.sock" alone is not a path here. */
	if (strchr(address, '/') != NULL || *address == '~') {
		xasprintf(cause, "\"%s\": a socket path must be absolute",
		    address);
		return -1;
	}
	return conf_ssh_address(address, d, cause);
}

/* Frees what door D holds. */
static void
conf_door_clear(struct conf_door *d)
{
	free(d->name);
	free(d->address);
	free(d->path);
	free(d->user);
	free(d->host);
	free(d->where);
	memset(d, 0, sizeof *d);
}

int
conf_add_door(struct conf *conf, const char *name, const char *address,
    const char *where, char **cause)
{
	struct conf_door	 d;
	size_t			 i;

	if (name != NULL && !conf_word(name, strlen(name), CONF_NAME_MAX)) {
		xasprintf(cause, "bad door name \"%s\": up to %d letters, "
		    "digits, '.', '_' or '-', not starting with '-'", name,
		    CONF_NAME_MAX);
		return -1;
	}
	for (i = 0; name != NULL && i < conf->ndoors; i++) {
		if (conf->doors[i].name == NULL ||
		    strcmp(conf->doors[i].name, name) != 0)
			continue;
		if (conf->doors[i].where != NULL)
			xasprintf(cause, "door \"%s\" is already defined at "
			    "%s", name, conf->doors[i].where);
		else
			xasprintf(cause, "door \"%s\" is already defined",
			    name);
		return -1;
	}
	memset(&d, 0, sizeof d);
	if (conf_parse_address(address, &d, cause) != 0)
		return -1;
	d.name = name != NULL ? xstrdup(name) : NULL;
	d.address = xstrdup(address);
	d.where = where != NULL ? xstrdup(where) : NULL;
	conf->doors = xreallocarray(conf->doors, conf->ndoors + 1,
	    sizeof *conf->doors);
	conf->doors[conf->ndoors++] = d;
	return 0;
}

/* Parses one line (without its '\n'); *CAUSE without the place. */
static int
conf_line(struct conf *conf, const char *line, const char *where,
    char **cause)
{
	char	**words;
	size_t	 n;
	int	 r = -1;

	if (batch_split(line, &words, &n, cause) != 0)
		return -1;
	if (n == 0)
		r = 0;
	else if (strcmp(words[0], "door") != 0)
		xasprintf(cause, "unknown keyword \"%s\"", words[0]);
	else if (n != 3)
		*cause = xstrdup("expected \"door NAME ADDRESS\"");
	else
		r = conf_add_door(conf, words[1], words[2], where, cause);
	batch_words_free(words);
	return r;
}

int
conf_parse(struct conf *conf, const char *file, const char *text,
    size_t len, char **cause)
{
	struct conf	 c;
	const char	*p = text, *end = text + len, *nl;
	char		*line, *where, *why;
	size_t		 lineno = 0;

	memset(&c, 0, sizeof c);
	while (p < end) {
		lineno++;
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		xasprintf(&where, "%s:%zu", file, lineno);
		if (memchr(p, '\0', (size_t)(nl - p)) != NULL) {
			xasprintf(cause, "%s: a NUL byte", where);
			goto fail;
		}
		line = xmalloc((size_t)(nl - p) + 1);
		memcpy(line, p, (size_t)(nl - p));
		line[nl - p] = '\0';
		if (conf_line(&c, line, where, &why) != 0) {
			xasprintf(cause, "%s: %s", where, why);
			free(why);
			free(line);
			goto fail;
		}
		free(line);
		free(where);
		p = nl + 1;
	}
	if (c.ndoors == 0) {
		xasprintf(cause, "%s: no door", file);
		conf_clear(&c);
		return -1;
	}
	conf_clear(conf);
	*conf = c;
	conf->file = xstrdup(file);
	return 0;

fail:
	free(where);
	conf_clear(&c);
	return -1;
}

int
conf_load(struct conf *conf, const char *file, int must_exist, char **cause)
{
	struct stat	 sb;
	uint8_t		*buf;
	size_t		 len;
	char		*why;
	int		 r;

	if (!must_exist && stat(file, &sb) == -1 && errno == ENOENT)
		return 1;
	if (file_read(file, CONF_FILE_MAX, &buf, &len, &why) != 0) {
		xasprintf(cause, "%s: %s", file, why);
		free(why);
		return -1;
	}
	r = conf_parse(conf, file, (const char *)buf, len, cause);
	free(buf);
	return r;
}

void
conf_clear(struct conf *conf)
{
	size_t	i;

	for (i = 0; i < conf->ndoors; i++)
		conf_door_clear(&conf->doors[i]);
	free(conf->doors);
	free(conf->file);
	memset(conf, 0, sizeof *conf);
}
