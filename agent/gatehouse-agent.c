/*
 * gatehouse-agent: the door agent. Without a command it runs the daemon in
 * the foreground (daemon.c) on the configuration file of -f; -t checks and
 * -T prints that configuration; the commands are tools on the face engine,
 * the store and the control socket.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent.h"
#include "config.h"
#include "daemon.h"
#include "log.h"

static const struct {
	const char	*name;
	int		(*exec)(int, char **);
	const char	*usage;
} agent_commands[] = {
	{ "analyze", cmd_analyze_exec, "analyze [--detector tiny|ssd] "
	    "[--input-size N] [--min-score S] [--json] FILE..." },
	{ "compare", cmd_compare_exec, "compare [--threshold T] FILE_A "
	    "FILE_B" },
	{ "match", cmd_match_exec, "match [--threshold T] FILE..." },
	{ "verify-log", cmd_verify_log_exec, "verify-log [-d DATA_DIR]" },
	{ "calibrate", cmd_calibrate_exec, "calibrate [-f FILE] "
	    "[-d DATA_DIR] [--json]" },
	{ "dial-stdio", cmd_dial_stdio_exec, "dial-stdio [-f FILE] "
	    "[-S SOCKET]" },
};

static void
usage(FILE *f)
{
	size_t	i;

	fprintf(f, "usage: gatehouse-agent [-f FILE] [-t | -T]\n");
	for (i = 0; i < sizeof agent_commands / sizeof agent_commands[0]; i++)
		fprintf(f, "       gatehouse-agent %s\n", agent_commands[i].usage);
	fprintf(f, "common options: [--models DIR] [--threads N] "
	    "[--max-pixels N] [--tiny-landmarks]\n");
}

/*
 * Runs the daemon on the configuration FILE, or with -t checks it and with
 * -T prints the effective configuration.
 */
static int
agent_config(int argc, char **argv)
{
	struct config	 c;
	const char	*path = AGENT_CONF;
	char		*cause = NULL;
	int		 ch, check = 0, dump = 0;

	while ((ch = getopt(argc, argv, "f:tT")) != -1) {
		switch (ch) {
		case 'f':
			path = optarg;
			break;
		case 't':
			check = 1;
			break;
		case 'T':
			dump = 1;
			break;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc || (check && dump)) {
		usage(stderr);
		return 2;
	}
	if (!check && !dump)
		return agent_run(path);
	if (config_load(path, &c, &cause) != 0) {
		fprintf(stderr, "gatehouse-agent: %s\n", cause);
		free(cause);
		return 1;
	}
	if (dump)
		config_print(stdout, &c);
	else
		printf("%s: OK\n", path);
	config_free(&c);
	return 0;
}

int
main(int argc, char **argv)
{
	size_t	i;

	log_init("gatehouse-agent", LOG_LEVEL_WARN);
	if (argc < 2)
		return agent_run(AGENT_CONF);
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return 0;
	}
	if (argv[1][0] == '-')
		return agent_config(argc, argv);
	for (i = 0; i < sizeof agent_commands / sizeof agent_commands[0]; i++) {
		if (strcmp(argv[1], agent_commands[i].name) == 0)
			return agent_commands[i].exec(argc - 1, argv + 1);
	}
	fprintf(stderr, "gatehouse-agent: unknown command: %s\n", argv[1]);
	usage(stderr);
	return 2;
}
