/*
 * The console's configuration file, console.conf (gatehouse.1): the doors
 * a console watches, one agent each. A line is
 *
 *	door NAME ADDRESS
 *
 * split into words as batch mode splits a command line (quotes, "#"
 * comments), where ADDRESS is the agent's control socket (an absolute
 * path) or an SSH address "[user@]host[:port]" (the agent's host, reached
 * through "gatehouse-agent dial-stdio"). Errors are "FILE:LINE: message".
 */
#ifndef CONF_H
#define CONF_H

#include <stddef.h>

/* The longest door name. */
#define CONF_NAME_MAX		32
/* The largest console.conf read. */
#define CONF_FILE_MAX		(1024 * 1024)

/* One door: where its agent is. */
struct conf_door {
	char		*name;		/* NULL: the agent's own name (-S) */
	char		*address;	/* as written */
	int		 ssh;		/* an SSH address, else a socket */
	char		*path;		/* the socket (!ssh) */
	char		*user;		/* ssh: NULL for the login name */
	char		*host;		/* ssh: a name or an address */
	int		 port;		/* ssh: 0 for the default */
	char		*where;		/* "FILE:LINE", or NULL */
};

struct conf {
	char			*file;		/* read from, or NULL */
	struct conf_door	*doors;
	size_t			 ndoors;
};

/*
 * The default console.conf: $XDG_CONFIG_HOME/gatehouse/console.conf when
 * XDG_CONFIG_HOME is an absolute path, else ~/.config/gatehouse/
 * console.conf; malloc'd, NULL without a home directory.
 */
char	*conf_default_file(void);
/*
 * Reads FILE into CONF (empty, as from memset or conf_clear). 0, 1 when
 * the file does not exist and MUST_EXIST is 0 (CONF stays empty), or -1
 * with *CAUSE ("FILE:LINE: message").
 */
int	 conf_load(struct conf *, const char *file, int must_exist,
	     char **cause);
/*
 * Parses the LEN bytes of TEXT as console.conf named FILE (for messages)
 * into CONF. 0, or -1 with *CAUSE; CONF keeps nothing on error.
 */
int	 conf_parse(struct conf *, const char *file, const char *text,
	     size_t len, char **cause);
/*
 * Adds a door (NAME NULL for an unnamed one: -S). 0, or -1 with *CAUSE
 * for a bad name or address, or a name already used.
 */
int	 conf_add_door(struct conf *, const char *name, const char *address,
	     const char *where, char **cause);
/*
 * Parses ADDRESS into the address fields of DOOR (the others are left
 * alone). 0, or -1 with *CAUSE.
 */
int	 conf_parse_address(const char *address, struct conf_door *,
	     char **cause);
void	 conf_clear(struct conf *);

#endif
