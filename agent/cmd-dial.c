/*
 * gatehouse-agent dial-stdio: copies stdin to the agent's control socket
 * and the socket to stdout, for a console on another host that runs this
 * over SSH (the same pattern as "docker system dial-stdio"). The peer the
 * agent sees is this process, so the remote user's uid gets its role with
 * no special case.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "agent.h"
#include "config.h"
#include "control.h"
#include "xmalloc.h"

/* The socket: -S, else control_socket of the configuration. */
int
cmd_dial_stdio_exec(int argc, char **argv)
{
	struct config	 c;
	const char	*file = NULL, *sock = NULL;
	char		*path, *cause = NULL;
	int		 ch, r;

	optind = 1;
	while ((ch = getopt(argc, argv, "f:S:")) != -1) {
		switch (ch) {
		case 'f':
			file = optarg;
			break;
		case 'S':
			sock = optarg;
			break;
		default:
			goto usage;
		}
	}
	if (optind != argc)
		goto usage;

	if (sock != NULL)
		path = xstrdup(sock);
	else {
		/* With no -f and no file, the agent runs on the defaults. */
		if (file == NULL && access(AGENT_CONF, F_OK) != 0 &&
		    errno == ENOENT)
			config_defaults(&c);
		else if (config_load(file != NULL ? file : AGENT_CONF, &c,
		    &cause) != 0) {
			fprintf(stderr, "gatehouse-agent: %s\n", cause);
			free(cause);
			return 1;
		}
		path = xstrdup(c.control_socket);
		config_free(&c);
	}

	/* A console gone away is a write error, not a signal. */
	signal(SIGPIPE, SIG_IGN);
	r = control_dial(path, STDIN_FILENO, STDOUT_FILENO, &cause);
	if (r != 0) {
		fprintf(stderr, "gatehouse-agent: %s: %s\n", path, cause);
		free(cause);
	}
	free(path);
	return r == 0 ? 0 : 1;

usage:
	fprintf(stderr, "usage: gatehouse-agent dial-stdio [-f FILE] "
	    "[-S SOCKET]\n");
	return 2;
}
