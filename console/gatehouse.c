/*
 * gatehouse: the operator console, a client of the agent's control socket.
 * This build has the command line and batch mode; with no command on a
 * terminal the interactive console will run here.
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "batch.h"
#include "client.h"
#include "log.h"

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "batch",	no_argument,		NULL,	'b' },
		{ "help",	no_argument,		NULL,	'h' },
		{ "host",	required_argument,	NULL,	'H' },
		{ "socket",	required_argument,	NULL,	'S' },
		{ "text",	no_argument,		NULL,	't' },
		{ NULL,		0,			NULL,	0 }
	};
	struct batch		 b;
	const char		*socket_path = NULL, *host = NULL;
	const char *const	*words;
	char			*cause;
	size_t			 nwords;
	int			 ch, bflag = 0, status;

	log_init("gatehouse", LOG_LEVEL_WARN);
	memset(&b, 0, sizeof b);
	b.out = stdout;
	b.err = stderr;

	/* "+": the options after the command are the command's. */
	while ((ch = getopt_long(argc, argv, "+bhH:S:", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'b':
			bflag = 1;
			break;
		case 'h':
			batch_usage(stdout);
			printf("\"gatehouse help\" lists the commands.\n");
			return BATCH_EXIT_OK;
		case 'H':
			host = optarg;
			break;
		case 'S':
			socket_path = optarg;
			break;
		case 't':
			b.text = 1;
			break;
		default:
			batch_usage(stderr);
			return BATCH_EXIT_USAGE;
		}
	}
	words = (const char *const *)argv + optind;
	nwords = (size_t)(argc - optind);

	if (nwords > 0 && strcmp(words[0], "help") == 0) {
		if (batch_help(stdout, words + 1, nwords - 1, &cause) != 0) {
			fprintf(stderr, "gatehouse: %s\n", cause);
			free(cause);
			return BATCH_EXIT_USAGE;
		}
		return BATCH_EXIT_OK;
	}
	if (host != NULL) {
		/* The SSH transport plugs in here (client_open_fds). */
		fprintf(stderr, "gatehouse: -H: remote agents are not "
		    "supported by this build\n");
		return BATCH_EXIT_USAGE;
	}
	if (bflag && nwords > 0) {
		fprintf(stderr, "gatehouse: -b reads the commands from "
		    "stdin: give no command\n");
		batch_usage(stderr);
		return BATCH_EXIT_USAGE;
	}

	if (socket_path == NULL)
		socket_path = getenv("GATEHOUSE_SOCKET");
	if (socket_path == NULL || *socket_path == '\0')
		socket_path = CLIENT_SOCKET;
	b.socket = socket_path;

	/* A vanished agent or reader is an error return, not a death. */
	signal(SIGPIPE, SIG_IGN);

	if (nwords > 0)
		status = batch_command(&b, words, nwords);
	else if (bflag || !isatty(STDIN_FILENO))
		status = batch_stream(&b, stdin);
	else {
		/* The interactive console replaces this branch. */
		fprintf(stderr, "gatehouse: the interactive console is not "
		    "in this build; give a command or -b\n");
		batch_usage(stderr);
		status = BATCH_EXIT_USAGE;
	}
	batch_close(&b);
	return status;
}
