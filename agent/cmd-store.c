/*
 * Commands on the store: verify-log checks the hash chain of the events.
 */
#include <sys/stat.h>

#include <errno.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"
#include "store.h"
#include "xmalloc.h"

#ifndef GATEHOUSE_DATA_DIR
#define GATEHOUSE_DATA_DIR	"/var/lib/gatehouse"
#endif

static const struct option verify_log_options[] = {
	{ "data-dir", required_argument, NULL, 'd' },
	{ NULL, 0, NULL, 0 },
};

/*
 * verify-log [-d DATA_DIR]: exits 0 if the chain holds, 1 if it is broken,
 * 2 on a usage or store error.
 */
int
cmd_verify_log_exec(int argc, char **argv)
{
	struct store	*st = NULL;
	struct stat	 sb;
	const char	*dir = GATEHOUSE_DATA_DIR;
	char		*path = NULL, *cause = NULL;
	int64_t		 count = 0, bad_id = 0;
	int		 ch, r = 2;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "d:", verify_log_options,
	    NULL)) != -1) {
		switch (ch) {
		case 'd':
			dir = optarg;
			break;
		default:
			goto usage;
		}
	}
	if (optind != argc)
		goto usage;

	/* Checking must not create a store where there is none. */
	xasprintf(&path, "%s/gatehouse.db", dir);
	if (stat(path, &sb) != 0) {
		fprintf(stderr, "gatehouse-agent: %s: %s\n", path,
		    strerror(errno));
		goto out;
	}
	if (store_open(dir, &st, &cause) != 0) {
		fprintf(stderr, "gatehouse-agent: %s\n", cause);
		goto out;
	}
	switch (store_verify_log(st, &count, &bad_id, &cause)) {
	case 0:
		printf("log OK: %lld events\n", (long long)count);
		r = 0;
		break;
	case 1:
		printf("log BROKEN at event %lld: %s\n", (long long)bad_id,
		    cause);
		r = 1;
		break;
	default:
		fprintf(stderr, "gatehouse-agent: %s\n", cause);
		break;
	}
	goto out;
usage:
	fprintf(stderr, "usage: gatehouse-agent verify-log [-d DATA_DIR]\n");
out:
	store_close(st);
	free(cause);
	free(path);
	return r;
}
