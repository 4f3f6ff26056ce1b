/*
 * What every child of the agent does first after fork(): the worker, the
 * door keeper and the speaker each hold one end of a socket or pipe to
 * main and nothing else.
 */
#ifndef CHILD_H
#define CHILD_H

#include <sys/types.h>

/*
 * Resets every signal disposition to the default (main's loop installed
 * handlers that write to its self-pipe, which the child must not share),
 * ignores SIGPIPE, unblocks every signal, asks for SIGTERM when PARENT
 * dies (and exits at once if it already has), and closes every fd but 0,
 * 1, 2 and KEEP. Exits the child if any of it fails.
 */
void	child_setup(int keep, pid_t parent);

#endif
