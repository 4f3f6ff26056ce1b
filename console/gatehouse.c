/*
 * gatehouse: the operator console, a client of the agent's control socket:
 * a command, batch mode (commands on stdin), or with no command on a
 * terminal the interactive console (tui.h) over one or more doors.
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "batch.h"
#include "client.h"
#include "conf.h"
#include "kiosk.h"
#include "log.h"
#include "ssh.h"
#include "tui.h"

/* Long options without a letter. */
#define OPT_ACCEPT_NEW		256
#define OPT_REMOTE_COMMAND	257

/* The SSH options of -H, for the doors of the interactive console. */
static struct ssh_options	gatehouse_ssh;

/* Opens a door at [user@]host[:port] over SSH (tui.h). */
static struct client *
gatehouse_ssh_open(const struct conf_door *door, void **link, char **cause)
{
	struct ssh_options	o = gatehouse_ssh;

	o.destination = door->address;
	o.ask = tui_ask_host_key;
	return ssh_client_open(&o, (struct ssh_link **)link, cause);
}

static void
gatehouse_ssh_close(void *link)
{
	ssh_link_close(link);
}

static const struct tui_ssh gatehouse_tui_ssh = {
	gatehouse_ssh_open,
	gatehouse_ssh_close,
};

/*
 * The interactive console. Its doors: -S or -H, one door; else -F FILE;
 * else console.conf when there is one; else $GATEHOUSE_SOCKET or the
 * default socket.
 */
static int
gatehouse_tui(const char *conf_file, const char *socket_path,
    const char *host)
{
	struct conf	 conf;
	char		*cause, *file = NULL;
	int		 r, status;

	memset(&conf, 0, sizeof conf);
	if ((socket_path != NULL || host != NULL) && conf_file != NULL) {
		fprintf(stderr, "gatehouse: -F and %s together\n",
		    host != NULL ? "-H" : "-S");
		return BATCH_EXIT_USAGE;
	}
	if (host != NULL)
		r = conf_add_door(&conf, NULL, host, NULL, &cause);
	else if (socket_path != NULL)
		r = conf_add_door(&conf, NULL, socket_path, NULL, &cause);
	else if (conf_file != NULL)
		r = conf_load(&conf, conf_file, 1, &cause);
	else {
		r = 1;
		if ((file = conf_default_file()) != NULL)
			r = conf_load(&conf, file, 0, &cause);
		free(file);
		if (r == 1) {
			socket_path = getenv("GATEHOUSE_SOCKET");
			if (socket_path == NULL || *socket_path == '\0')
				socket_path = CLIENT_SOCKET;
			r = conf_add_door(&conf, NULL, socket_path, NULL,
			    &cause);
		}
	}
	if (r != 0) {
		fprintf(stderr, "gatehouse: %s\n", cause);
		free(cause);
		conf_clear(&conf);
		return BATCH_EXIT_USAGE;
	}
	/* A vanished agent is an error return, not a death. */
	signal(SIGPIPE, SIG_IGN);
	tui_ssh = &gatehouse_tui_ssh;
	if ((status = tui_main(&conf, &cause)) != 0) {
		fprintf(stderr, "gatehouse: %s\n", cause);
		free(cause);
	}
	conf_clear(&conf);
	return status;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "accept-new",	no_argument,		NULL,	OPT_ACCEPT_NEW },
		{ "batch",	no_argument,		NULL,	'b' },
		{ "config",	required_argument,	NULL,	'F' },
		{ "help",	no_argument,		NULL,	'h' },
		{ "host",	required_argument,	NULL,	'H' },
		{ "remote-command", required_argument,	NULL,
		    OPT_REMOTE_COMMAND },
		{ "socket",	required_argument,	NULL,	'S' },
		{ "text",	no_argument,		NULL,	't' },
		{ NULL,		0,			NULL,	0 }
	};
	struct batch		 b;
	struct ssh_options	 so;
	struct ssh_link		*link = NULL;
	const char		*socket_path = NULL, *host = NULL;
	const char		*conf_file = NULL;
	const char *const	*words;
	char			*cause;
	size_t			 nwords;
	int			 ch, bflag = 0, status;

	memset(&so, 0, sizeof so);

	log_init("gatehouse", LOG_LEVEL_WARN);
	memset(&b, 0, sizeof b);
	b.out = stdout;
	b.err = stderr;

	/* "+": the options after the command are the command's. */
	while ((ch = getopt_long(argc, argv, "+bF:hH:S:", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'b':
			bflag = 1;
			break;
		case 'F':
			conf_file = optarg;
			break;
		case 'h':
			batch_usage(stdout);
			printf("       gatehouse [-F file]   (the interactive "
			    "console)\n");
			printf("\"gatehouse help\" lists the commands.\n");
			return BATCH_EXIT_OK;
		case 'H':
			host = optarg;
			break;
		case OPT_ACCEPT_NEW:
			so.accept_new = 1;
			break;
		case OPT_REMOTE_COMMAND:
			so.remote_command = optarg;
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
	if (bflag && nwords > 0) {
		fprintf(stderr, "gatehouse: -b reads the commands from "
		    "stdin: give no command\n");
		batch_usage(stderr);
		return BATCH_EXIT_USAGE;
	}
	/* No command, a terminal both ways: the interactive console. */
	if (nwords == 0 && !bflag && isatty(STDIN_FILENO) &&
	    isatty(STDOUT_FILENO)) {
		gatehouse_ssh = so;
		/* With -H, -S names the socket on the door box. */
		if (host != NULL)
			gatehouse_ssh.socket = socket_path;
		return gatehouse_tui(conf_file, socket_path, host);
	}
	/* The kiosk on the door's own screen: the local agent only. */
	if (nwords > 0 && strcmp(words[0], "kiosk") == 0) {
		if (nwords != 1 || host != NULL || conf_file != NULL) {
			fprintf(stderr, "gatehouse: kiosk takes no arguments "
			    "and runs on the door box (-S at most)\n");
			return BATCH_EXIT_USAGE;
		}
		if (socket_path == NULL)
			socket_path = getenv("GATEHOUSE_SOCKET");
		if (socket_path == NULL || *socket_path == '\0')
			socket_path = CLIENT_SOCKET;
		signal(SIGPIPE, SIG_IGN);
		if ((status = kiosk_main(socket_path, &cause)) != 0) {
			fprintf(stderr, "gatehouse: kiosk: %s\n", cause);
			free(cause);
		}
		return status;
	}
	if (conf_file != NULL) {
		fprintf(stderr, "gatehouse: -F is for the interactive "
		    "console: no command, on a terminal\n");
		batch_usage(stderr);
		return BATCH_EXIT_USAGE;
	}

	if (host != NULL) {
		/*
		 * The agent of another host, over SSH (ssh.h); -S is then the
		 * socket there. The session is connected now, so batch.c
		 * never dials the local socket.
		 */
		signal(SIGPIPE, SIG_IGN);
		so.destination = host;
		so.socket = socket_path;
		b.client = ssh_client_open(&so, &link, &cause);
		if (b.client == NULL) {
			fprintf(stderr, "gatehouse: %s\n", cause);
			free(cause);
			return BATCH_EXIT_UNREACHABLE;
		}
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
	else
		status = batch_stream(&b, stdin);
	batch_close(&b);
	ssh_link_close(link);
	return status;
}
