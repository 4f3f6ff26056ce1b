/*
 * The speaker: a child that owns the voice (voice.h). PortAudio plays a
 * prompt by blocking for its length, about a second, which main's loop
 * must never do; so main writes "PROMPT TEXT" lines to the speaker's pipe
 * and goes on, and the speaker says them in order. Main drops a prompt
 * rather than wait when the pipe is full: a door that is late to speak
 * should not speak at all.
 *
 * The speaker holds nothing else: it closes every inherited fd, and ends
 * on EOF (main closed the pipe or died) or when its parent dies.
 */
#include <sys/prctl.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "child.h"
#include "daemon.h"
#include "lineio.h"
#include "log.h"
#include "voice.h"
#include "xmalloc.h"

/* The longest line: a prompt name, a blank and the text. */
#define SPEAKER_LINE_MAX	(VOICE_PROMPT_MAX + 1 + VOICE_TEXT_MAX)

/* Says each line of FD until EOF. */
static void
speaker_main(int fd, const char *spec)
{
	struct voice	*v;
	struct line_in	*in;
	char		*cause = NULL, *line, *text;
	size_t		 len;
	int		 r;

	log_init("gatehouse-agent[speaker]", log_get_level());
	if ((v = voice_open(spec, &cause)) == NULL) {
		log_warnx("voice %s: %s", spec, cause);
		_exit(1);
	}
	in = line_in_new(SPEAKER_LINE_MAX);
	for (;;) {
		if ((r = line_in_read(in, fd)) == 0)
			break;
		if (r == -1) {
			if (errno == EAGAIN)
				continue;
			break;
		}
		while ((r = line_in_next(in, &line, &len)) != 0) {
			if (r == -1 || (text = strchr(line, ' ')) == NULL)
				continue;
			*text++ = '\0';
			if (voice_say(v, line, text, &cause) != 0) {
				log_warnx("voice: %s", cause);
				free(cause);
				cause = NULL;
			}
		}
	}
	voice_close(v);
	_exit(0);
}

pid_t
speaker_spawn(const char *spec, int *fd, char **cause)
{
	pid_t	pid, parent = getpid();
	int	p[2];

	if (pipe2(p, O_CLOEXEC) == -1) {
		xasprintf(cause, "pipe: %s", strerror(errno));
		return -1;
	}
	if ((pid = fork()) == -1) {
		xasprintf(cause, "fork: %s", strerror(errno));
		close(p[0]);
		close(p[1]);
		return -1;
	}
	if (pid == 0) {
		child_setup(p[0], parent);
		speaker_main(p[0], spec);
	}
	close(p[0]);
	fcntl(p[1], F_SETFL, fcntl(p[1], F_GETFL) | O_NONBLOCK);
	*fd = p[1];
	return pid;
}

char *
speaker_line(const char *prompt, const char *text)
{
	char	*line, *p;

	xasprintf(&line, "%s %s", prompt, text);
	for (p = line; *p != '\0'; p++) {
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	}
	return line;
}
