/*
 * The set-up shared by the agent's children (child.h).
 */
#include <sys/prctl.h>

#include <limits.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "child.h"

void
child_setup(int keep, pid_t parent)
{
	struct sigaction	sa;
	sigset_t		set;
	int			signo;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = SIG_DFL;
	for (signo = 1; signo < NSIG; signo++)
		sigaction(signo, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	sigemptyset(&set);
	sigprocmask(SIG_SETMASK, &set, NULL);
	if (prctl(PR_SET_PDEATHSIG, SIGTERM) == -1 || getppid() != parent)
		_exit(1);
	if (keep > 3)
		close_range(3, (unsigned int)keep - 1, 0);
	else if (keep < 3)
		keep = 2;
	close_range((unsigned int)keep + 1, UINT_MAX, 0);
}
