/*
 * The interactive console (tui.h): the loop, the keys table and the way
 * keys are dispatched (what they do is tui-act.c).
 *
 * Ways out: q, SIGTERM, SIGHUP, SIGINT and a terminal that goes away stop
 * the loop and tui_main() ends curses; a fatal error exits through
 * tui_atexit(), which ends curses too. The signal handlers are the loop's:
 * they only write to its self-pipe.
 *
 * While curses owns the screen, the standard error (log.h's warnings) is
 * a pipe the loop reads: a line shows on the message line instead of
 * garbling the screen, and what was written is copied to the real
 * standard error once the terminal is restored.
 */
#include <sys/types.h>

#include <curses.h>
#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "loop.h"
#include "tui.h"
#include "xmalloc.h"

/* The most of the standard error kept to print at exit. */
#define TUI_STDERR_MAX	8192

static tui_key_fn	tui_key_redraw, tui_key_quit, tui_key_dialog;

/*
 * Every key. gatehouse.1 lists the same rows (label, where, description):
 * tests/unit/test-conf.c checks it. Within one context a key is on one
 * row only.
 */
static const struct tui_key tui_keys[] = {
	{ "?", { '?' }, TUI_CTX_ANY, NULL,
	    "show the keys and the commands", tui_key_help, 0 },
	{ "C-l", { TUI_CTRL('l') }, TUI_CTX_ANY, NULL,
	    "draw the screen again", tui_key_redraw, 0 },

	{ "Up, k", { TUI_FKEY(KEY_UP), 'k' }, TUI_CTX_MAIN|TUI_CTX_LIST, NULL,
	    "the previous visitor or line", tui_key_move, -1 },
	{ "Down, j", { TUI_FKEY(KEY_DOWN), 'j' }, TUI_CTX_MAIN|TUI_CTX_LIST,
	    NULL, "the next visitor or line", tui_key_move, 1 },
	{ "PgUp", { TUI_FKEY(KEY_PPAGE) }, TUI_CTX_MAIN|TUI_CTX_LIST, NULL,
	    "a page up", tui_key_move, -2 },
	{ "PgDn", { TUI_FKEY(KEY_NPAGE) }, TUI_CTX_MAIN|TUI_CTX_LIST, NULL,
	    "a page down", tui_key_move, 2 },
	{ "Home, g", { TUI_FKEY(KEY_HOME), 'g' }, TUI_CTX_MAIN|TUI_CTX_LIST,
	    NULL, "the first visitor or line", tui_key_move, -3 },
	{ "End, G", { TUI_FKEY(KEY_END), 'G' }, TUI_CTX_MAIN|TUI_CTX_LIST,
	    NULL, "the last visitor or line", tui_key_move, 3 },
	{ "Enter", { '\n' }, TUI_CTX_MAIN, "view",
	    "show the selected visitor and photos", tui_key_open, 0 },
	{ "a", { 'a' }, TUI_CTX_MAIN|TUI_CTX_VISIT, "approve",
	    "approve the visitor: name, e-mail, validity", tui_key_approve,
	    0 },
	{ "A", { 'A' }, TUI_CTX_MAIN|TUI_CTX_VISIT, NULL,
	    "approve the visitor and enrol the face", tui_key_approve, 1 },
	{ "d", { 'd' }, TUI_CTX_MAIN|TUI_CTX_VISIT, "deny",
	    "deny the visitor", tui_key_deny, 0 },
	{ "D", { 'D' }, TUI_CTX_MAIN|TUI_CTX_VISIT, "deny-list",
	    "deny the visitor and deny-list the face", tui_key_deny, 1 },
	{ "e", { 'e' }, TUI_CTX_MAIN|TUI_CTX_VISIT, "this-is",
	    "this is an enrolled person: add the face", tui_key_enroll, 0 },
	{ "p", { 'p' }, TUI_CTX_MAIN, "people",
	    "list the enrolled people", tui_key_people, 0 },
	{ "l", { 'l' }, TUI_CTX_MAIN, "log",
	    "show the event log", tui_key_log, 0 },
	{ "o", { 'o' }, TUI_CTX_MAIN, NULL,
	    "open a door by hand (admin)", tui_key_door, 0 },
	{ "O", { 'O' }, TUI_CTX_MAIN|TUI_CTX_OUTBOX, NULL,
	    "show the outbox, or read it again", tui_key_outbox, 0 },
	/* The alarm banner names these two itself. */
	{ "K", { 'K' }, TUI_CTX_ANY, NULL,
	    "acknowledge the alarm shown (guard)", tui_key_ack, 0 },
	{ "!", { '!' }, TUI_CTX_ANY, NULL,
	    "show the alarms, or read them again", tui_key_alarms, 0 },
	{ "q", { 'q' }, TUI_CTX_MAIN, "quit",
	    "quit", tui_key_quit, 0 },

	{ "Left, [", { TUI_FKEY(KEY_LEFT), '[' }, TUI_CTX_VISIT, NULL,
	    "the previous photo", tui_key_photo, -1 },
	{ "Right, ]", { TUI_FKEY(KEY_RIGHT), ']' }, TUI_CTX_VISIT, NULL,
	    "the next photo", tui_key_photo, 1 },
	{ "q, Esc", { 'q', TUI_ESC }, TUI_CTX_VISIT|TUI_CTX_LIST, "back",
	    "back to the screen before", tui_key_back, 0 },

	{ "/", { '/' }, TUI_CTX_LOG, "search",
	    "search the log", tui_key_search, 0 },
	{ "n", { 'n' }, TUI_CTX_LOG, "next",
	    "the next match, older", tui_key_next, 1 },
	{ "N", { 'N' }, TUI_CTX_LOG, NULL,
	    "the previous match, newer", tui_key_next, -1 },

	/* Offered on the outbox page only where the role is admin. */
	{ "Enter, r", { '\n', 'r' }, TUI_CTX_OUTBOX, NULL,
	    "queue a failed notification again (admin)", tui_key_retry, 0 },
	{ "Enter", { '\n' }, TUI_CTX_ALARMS, "acknowledge",
	    "acknowledge the selected alarm (guard)", tui_key_ack, 0 },

	{ "Tab, Down", { '\t', TUI_FKEY(KEY_DOWN) },
	    TUI_CTX_FORM|TUI_CTX_PICK, NULL,
	    "the next field or item", tui_key_dialog, TUI_FORM_NEXT },
	{ "BTab, Up", { TUI_FKEY(KEY_BTAB), TUI_FKEY(KEY_UP) },
	    TUI_CTX_FORM|TUI_CTX_PICK, NULL,
	    "the previous field or item", tui_key_dialog, TUI_FORM_PREV },
	{ "Enter", { '\n' }, TUI_CTX_FORM|TUI_CTX_PICK|TUI_CTX_NOTE, "ok",
	    "the next field; submit, choose, close", tui_key_dialog,
	    TUI_FORM_ENTER },
	{ "Esc", { TUI_ESC }, TUI_CTX_DIALOGS, "cancel",
	    "cancel or close", tui_key_dialog, TUI_FORM_CANCEL },
	{ "Left", { TUI_FKEY(KEY_LEFT) }, TUI_CTX_FORM|TUI_CTX_PICK, NULL,
	    "the cursor left", tui_key_dialog, TUI_FORM_LEFT },
	{ "Right", { TUI_FKEY(KEY_RIGHT) }, TUI_CTX_FORM|TUI_CTX_PICK, NULL,
	    "the cursor right", tui_key_dialog, TUI_FORM_RIGHT },
	{ "Backspace", { TUI_FKEY(KEY_BACKSPACE) }, TUI_CTX_FORM|TUI_CTX_PICK,
	    NULL, "erase the character before the cursor", tui_key_dialog,
	    TUI_FORM_ERASE },
	{ "C-u", { TUI_CTRL('u') }, TUI_CTX_FORM|TUI_CTX_PICK, NULL,
	    "erase the whole field", tui_key_dialog, TUI_FORM_KILL },
	{ "y", { 'y', 'Y' }, TUI_CTX_CONFIRM, "yes",
	    "yes", tui_key_dialog, TUI_FORM_YES },
	{ "n", { 'n', 'N' }, TUI_CTX_CONFIRM, "no",
	    "no", tui_key_dialog, TUI_FORM_NO },
};

/* The names of the contexts, in bit order, as help and gatehouse.1 say. */
static const char *const tui_ctx_names[] = {
	"any", "main", "visit", "lists", "log", "form", "picker", "question",
	"note", "outbox", "alarms", NULL
};

/* The standard error while curses runs; see the top of the file. */
static int	 tui_stderr_fd = -1;	/* the real one, saved */
static int	 tui_stderr_pipe = -1;	/* what fd 2 writes to */
static char	 tui_stderr_buf[TUI_STDERR_MAX];
static size_t	 tui_stderr_len;

const struct tui_key *
tui_key_at(size_t i)
{
	if (i >= sizeof tui_keys / sizeof tui_keys[0])
		return NULL;
	return &tui_keys[i];
}

const char *
tui_key_where(const struct tui_key *k)
{
	static char	buf[128];
	size_t		i, len;

	buf[0] = '\0';
	for (i = 0; tui_ctx_names[i] != NULL; i++) {
		if ((k->ctx & (1 << i)) == 0)
			continue;
		/* All four kinds of dialog are "dialogs". */
		if ((k->ctx & TUI_CTX_DIALOGS) == TUI_CTX_DIALOGS &&
		    ((1 << i) & TUI_CTX_DIALOGS) != 0) {
			if ((1 << i) != TUI_CTX_FORM)
				continue;
			len = strlen(buf);
			snprintf(buf + len, sizeof buf - len, "%sdialogs",
			    len > 0 ? ", " : "");
			continue;
		}
		len = strlen(buf);
		snprintf(buf + len, sizeof buf - len, "%s%s",
		    len > 0 ? ", " : "", tui_ctx_names[i]);
	}
	return buf;
}

void
tui_message(struct tui *t, int bad, const char *fmt, ...)
{
	va_list	 ap;
	char	*s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) == -1)
		s = NULL;
	va_end(ap);
	free(t->message);
	t->message = s;
	t->message_bad = bad;
	t->dirty = 1;
}

/* The contexts of the keys that work now. */
static int
tui_context(struct tui *t)
{
	if (t->modal != NULL) {
		switch (t->modal->kind) {
		case TUI_MODAL_FORM:
			return TUI_CTX_FORM;
		case TUI_MODAL_PICK:
			return TUI_CTX_PICK;
		case TUI_MODAL_CONFIRM:
			return TUI_CTX_CONFIRM;
		case TUI_MODAL_NOTE:
			return TUI_CTX_NOTE;
		}
	}
	switch (t->screen) {
	case TUI_SCREEN_MAIN:
		return TUI_CTX_ANY|TUI_CTX_MAIN;
	case TUI_SCREEN_VISIT:
		return TUI_CTX_ANY|TUI_CTX_VISIT;
	case TUI_SCREEN_LOG:
		return TUI_CTX_ANY|TUI_CTX_LIST|TUI_CTX_LOG;
	case TUI_SCREEN_OUTBOX:
		return TUI_CTX_ANY|TUI_CTX_LIST|TUI_CTX_OUTBOX;
	case TUI_SCREEN_ALARMS:
		return TUI_CTX_ANY|TUI_CTX_LIST|TUI_CTX_ALARMS;
	default:
		return TUI_CTX_ANY|TUI_CTX_LIST;
	}
}

/* The key bar: the keys with a hint that work now. */
const char *
tui_hints(struct tui *t, char *buf, size_t size)
{
	const struct tui_key	*k;
	int			 ctx = tui_context(t);
	size_t			 i, len;

	buf[0] = '\0';
	for (i = 0; (k = tui_key_at(i)) != NULL; i++) {
		if ((k->ctx & ctx) == 0 || k->hint == NULL)
			continue;
		len = strlen(buf);
		/* The first key of the label ("q" of "q, Esc"), if it fits. */
		if (len + 2 + strcspn(k->label, ",") + 1 + strlen(k->hint) >=
		    size)
			break;
		snprintf(buf + len, size - len, "%s%.*s %s", len > 0 ? "  " :
		    "", (int)strcspn(k->label, ","), k->label, k->hint);
	}
	return buf;
}

/* Runs the row of KEY for the keys that work now; 0 if there is none. */
static int
tui_dispatch(struct tui *t, int key)
{
	const struct tui_key	*k;
	int			 ctx = tui_context(t);
	size_t			 i, j;

	for (i = 0; (k = tui_key_at(i)) != NULL; i++) {
		if ((k->ctx & ctx) == 0)
			continue;
		for (j = 0; j < sizeof k->codes / sizeof k->codes[0] &&
		    k->codes[j] != 0; j++) {
			if (k->codes[j] == key) {
				k->fn(t, k->arg);
				return 1;
			}
		}
	}
	if (t->modal != NULL) {
		tui_modal_input(t, key);
		return 1;
	}
	return 0;
}

static void
tui_key_dialog(struct tui *t, int action)
{
	tui_modal_key(t, action);
}

static void
tui_key_redraw(struct tui *t, int arg)
{
	(void)arg;
	clearok(curscr, TRUE);
	t->dirty = 1;
}

static void
tui_key_quit(struct tui *t, int arg)
{
	(void)arg;
	t->quit = 1;
	loop_stop(t->loop);
}

/* Keys from the terminal. */
static void
tui_input(struct loop *loop, int fd, int events, void *arg)
{
	struct tui	*t = arg;
	int		 key, n = 0;

	(void)fd;
	while (!t->quit && (key = tui_term_key()) != -1) {
		n++;
		if (key == TUI_FKEY(KEY_RESIZE)) {
			t->dirty = 1;
			continue;
		}
		/* A message stays until the next key. */
		free(t->message);
		t->message = NULL;
		t->dirty = 1;
		tui_dispatch(t, key);
	}
	/* The terminal went away: nothing to read, ever. */
	if (n == 0 && (events & (LOOP_HUP|LOOP_ERR))) {
		t->quit = 1;
		loop_stop(loop);
	}
}

/* The loop's signals: a new size, or the end. */
static void
tui_signal(struct loop *loop, int signo, void *arg)
{
	struct tui	*t = arg;

	if (signo == SIGWINCH) {
		tui_term_resize();
		t->dirty = 1;
		return;
	}
	t->quit = 1;
	loop_stop(loop);
}

/* What was written to the standard error: the message line. */
static void
tui_stderr(struct loop *loop, int fd, int events, void *arg)
{
	struct tui	*t = arg;
	char		 buf[1024], *line, *nl;
	ssize_t		 n;

	(void)events;
	if ((n = read(fd, buf, sizeof buf - 1)) <= 0) {
		if (n == 0 || (errno != EAGAIN && errno != EINTR))
			loop_del_fd(loop, fd);
		return;
	}
	buf[n] = '\0';
	if (tui_stderr_len + (size_t)n < sizeof tui_stderr_buf) {
		memcpy(tui_stderr_buf + tui_stderr_len, buf, (size_t)n);
		tui_stderr_len += (size_t)n;
	}
	/* The last whole line read. */
	if ((nl = strrchr(buf, '\n')) != NULL)
		*nl = '\0';
	line = (nl = strrchr(buf, '\n')) != NULL ? nl + 1 : buf;
	if (*line != '\0')
		tui_message(t, 1, "%s", line);
}

/* Makes the standard error a pipe (tui_stderr reads it); -1 if it fails. */
static int
tui_stderr_capture(void)
{
	int	p[2];

	fflush(stderr);
	if (pipe2(p, O_CLOEXEC|O_NONBLOCK) == -1)
		return -1;
	if ((tui_stderr_fd = fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 3)) ==
	    -1 || dup2(p[1], STDERR_FILENO) == -1) {
		if (tui_stderr_fd != -1)
			close(tui_stderr_fd);
		tui_stderr_fd = -1;
		close(p[0]);
		close(p[1]);
		return -1;
	}
	close(p[1]);
	tui_stderr_pipe = p[0];
	return 0;
}

/* Gives the standard error back and copies to it what it got. */
static void
tui_stderr_restore(void)
{
	ssize_t	n;
	char	buf[1024];

	if (tui_stderr_fd == -1)
		return;
	fflush(stderr);
	while ((n = read(tui_stderr_pipe, buf, sizeof buf)) > 0 &&
	    tui_stderr_len + (size_t)n < sizeof tui_stderr_buf) {
		memcpy(tui_stderr_buf + tui_stderr_len, buf, (size_t)n);
		tui_stderr_len += (size_t)n;
	}
	dup2(tui_stderr_fd, STDERR_FILENO);
	close(tui_stderr_fd);
	close(tui_stderr_pipe);
	tui_stderr_fd = tui_stderr_pipe = -1;
	if (tui_stderr_len > 0 &&
	    write(STDERR_FILENO, tui_stderr_buf, tui_stderr_len) == -1)
		tui_stderr_len = 0;
	tui_stderr_len = 0;
}

/* Every way out, a fatal error's too: the terminal as it was. */
static void
tui_atexit(void)
{
	tui_term_end();
	tui_stderr_restore();
}

/*
 * Before the loop sleeps: the agents' events, then what they made stale
 * on the page shown, then the screen.
 */
static void
tui_before_sleep(struct loop *loop, void *arg)
{
	struct tui	*t = arg;

	(void)loop;
	if (t->quit)
		return;
	tui_agent_work(t);
	if (t->screen == TUI_SCREEN_VISIT && t->detail.stale &&
	    t->detail.agent->state == TUI_AGENT_UP &&
	    tui_detail_open(t, t->detail.agent, t->detail.id) != 0)
		t->detail.stale = 0;
	if (t->screen == TUI_SCREEN_ALARMS && t->alarm_rows_stale)
		tui_alarms_read(t);
	if (t->dirty)
		tui_draw(t);
}

/* Once a second: ages and countdowns on the screen move on. */
static int64_t
tui_tick(struct loop *loop, uint64_t id, void *arg)
{
	struct tui	*t = arg;

	(void)loop;
	(void)id;
	if (tui_draw_timed(t))
		t->dirty = 1;
	return 1000;
}

int
tui_main(const struct conf *conf, char **cause)
{
	static int	 registered;
	static const int signals[] = { SIGWINCH, SIGTERM, SIGHUP, SIGINT };
	struct tui	 t;
	size_t		 i;

	setlocale(LC_ALL, "");
	memset(&t, 0, sizeof t);
	if (conf->ndoors == 0) {
		*cause = xstrdup("no door to watch");
		return 1;
	}
	t.loop = loop_new();
	/*
	 * The loop's handlers go in first: curses then leaves SIGWINCH,
	 * SIGINT and SIGTERM alone.
	 */
	for (i = 0; i < sizeof signals / sizeof signals[0]; i++) {
		if (loop_add_signal(t.loop, signals[i], tui_signal, &t) != 0) {
			xasprintf(cause, "signal %d: %s", signals[i],
			    strerror(errno));
			loop_free(t.loop);
			return 1;
		}
	}
	if (!registered) {
		atexit(tui_atexit);
		registered = 1;
	}
	if (tui_term_start(cause) != 0) {
		loop_free(t.loop);
		return 1;
	}
	t.mode = render_best_mode();
	if (tui_stderr_capture() == 0)
		loop_add_fd(t.loop, tui_stderr_pipe, LOOP_READ, tui_stderr, &t);
	loop_add_fd(t.loop, STDIN_FILENO, LOOP_READ, tui_input, &t);
	loop_set_before_sleep(t.loop, tui_before_sleep, &t);
	loop_add_timer(t.loop, 1000, tui_tick, &t);

	t.nagents = conf->ndoors;
	t.agents = xcalloc(t.nagents, sizeof *t.agents);
	for (i = 0; i < t.nagents; i++) {
		tui_agent_init(&t, &t.agents[i], &conf->doors[i]);
		tui_agent_start(&t.agents[i]);
	}
	t.dirty = 1;

	loop_run(t.loop);

	tui_term_end();
	if (tui_stderr_pipe != -1)
		loop_del_fd(t.loop, tui_stderr_pipe);
	tui_stderr_restore();
	tui_modal_free(t.modal);
	tui_main_screen(&t);
	for (i = 0; i < t.nagents; i++)
		tui_agent_free(&t.agents[i]);
	free(t.agents);
	free(t.pending);
	free(t.alarms);
	tui_banner_clear(&t.banner);
	tui_log_clear(&t);
	free(t.search);
	free(t.message);
	loop_free(t.loop);
	return 0;
}
