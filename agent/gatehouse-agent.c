/*
 * gatehouse-agent: the door agent. For now it carries the face engine's
 * command-line tools.
 */
#include <stdio.h>
#include <string.h>

#include "agent.h"
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
};

static void
usage(FILE *f)
{
	size_t	i;

	fprintf(f, "usage: gatehouse-agent COMMAND [ARGS...]\n");
	for (i = 0; i < sizeof agent_commands / sizeof agent_commands[0]; i++)
		fprintf(f, "       gatehouse-agent %s\n", agent_commands[i].usage);
	fprintf(f, "common options: [--models DIR] [--threads N] "
	    "[--max-pixels N] [--tiny-landmarks]\n");
}

int
main(int argc, char **argv)
{
	size_t	i;

	log_init("gatehouse-agent", LOG_LEVEL_WARN);
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return 0;
	}
	for (i = 0; i < sizeof agent_commands / sizeof agent_commands[0]; i++) {
		if (strcmp(argv[1], agent_commands[i].name) == 0)
			return agent_commands[i].exec(argc - 1, argv + 1);
	}
	fprintf(stderr, "gatehouse-agent: unknown command: %s\n", argv[1]);
	usage(stderr);
	return 2;
}
