/*
 * The interactive console's terminal (tui.h): curses started and ended,
 * the styles (colours only when the terminal has them and NO_COLOR is not
 * set), text made safe and fitted to columns, keys read. The screens
 * draw only through here.
 */
#include <sys/ioctl.h>

#include <curses.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <wchar.h>

#include "render.h"
#include "tui.h"
#include "xmalloc.h"

/*
 * How long curses waits for the rest of an escape sequence before taking
 * a lone Esc: long enough for a terminal over SSH, short enough that Esc
 * closes a dialog at once.
 */
#define TERM_ESCDELAY	50

static SCREEN	*term_screen;
static int	 term_on;
static int	 term_colour;
static attr_t	 term_attr[TUI_NSTYLES];
static int	 term_pair[TUI_NSTYLES];

/*
 * The colour of each style (-1: none). Pairs come from ncurses' pair
 * cache (alloc_pair), as the photos' do (render_draw), so that neither
 * takes the other's.
 */
static const struct {
	enum tui_style	style;
	short		fg;
	short		bg;
	attr_t		attr;		/* with colour */
	attr_t		mono;		/* without */
} term_styles[] = {
	{ TUI_STYLE_NORMAL,	-1, -1,		A_NORMAL,	A_NORMAL },
	{ TUI_STYLE_TITLE,	-1, -1,		A_REVERSE|A_BOLD,
	    A_REVERSE|A_BOLD },
	{ TUI_STYLE_HEADER,	COLOR_CYAN, -1,	A_BOLD,		A_BOLD },
	{ TUI_STYLE_SELECTED,	-1, -1,		A_REVERSE,	A_REVERSE },
	{ TUI_STYLE_OK,		COLOR_GREEN, -1, A_NORMAL,	A_NORMAL },
	{ TUI_STYLE_WARN,	COLOR_YELLOW, -1, A_BOLD,	A_BOLD },
	{ TUI_STYLE_BAD,	COLOR_RED, -1,	A_BOLD,		A_BOLD },
	{ TUI_STYLE_DIM,	-1, -1,		A_DIM,		A_DIM },
	{ TUI_STYLE_KEY,	-1, -1,		A_BOLD,		A_BOLD },
	{ TUI_STYLE_FIELD,	-1, -1,		A_UNDERLINE,	A_UNDERLINE },
	{ TUI_STYLE_ALARM,	COLOR_WHITE, COLOR_RED, A_BOLD,
	    A_REVERSE|A_BOLD },
};

/*
 * Takes the styles' pairs from the cache again: the same ones while they
 * are there, which also marks them recently used, so that a photo filling
 * the table reuses its own older pairs before these.
 */
static void
term_pairs(void)
{
	size_t	i;
	int	pair;

	for (i = 0; i < sizeof term_styles / sizeof term_styles[0]; i++) {
		if (!term_colour || (term_styles[i].fg == -1 &&
		    term_styles[i].bg == -1))
			continue;
		if ((pair = alloc_pair(term_styles[i].fg,
		    term_styles[i].bg)) > 0)
			term_pair[term_styles[i].style] = pair;
	}
}

/* Starts drawing a new frame. */
void
tui_term_begin(void)
{
	term_pairs();
	erase();
}

/* Sets up the styles, with colours when the terminal and the user allow. */
static void
term_styles_init(void)
{
	size_t	i;

	term_colour = !render_no_color() && has_colors();
	if (term_colour && (start_color() == ERR || COLOR_PAIRS <
	    TUI_NSTYLES + 1))
		term_colour = 0;
	if (term_colour)
		use_default_colors();
	for (i = 0; i < sizeof term_styles / sizeof term_styles[0]; i++) {
		term_attr[term_styles[i].style] = term_colour ?
		    term_styles[i].attr : term_styles[i].mono;
	}
	term_pairs();
}

/* Sets STYLE for what is drawn next (a pair number may pass 255). */
static void
term_style(enum tui_style style)
{
	int	pair = term_pair[style];

	attr_set(term_attr[style], 0, &pair);
}

int
tui_term_start(char **cause)
{
	const char	*term;

	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
		*cause = xstrdup("the interactive console needs a terminal");
		return -1;
	}
	if ((term_screen = newterm(NULL, stdout, stdin)) == NULL) {
		term = getenv("TERM");
		xasprintf(cause, "cannot use the terminal \"%s\"",
		    term != NULL ? term : "");
		return -1;
	}
	set_term(term_screen);
	term_on = 1;
	cbreak();
	noecho();
	nonl();
	intrflush(stdscr, FALSE);
	keypad(stdscr, TRUE);
	nodelay(stdscr, TRUE);
	set_escdelay(TERM_ESCDELAY);
	curs_set(0);
	term_styles_init();
	return 0;
}

void
tui_term_end(void)
{
	if (!term_on)
		return;
	term_on = 0;
	curs_set(1);
	endwin();
	fflush(stdout);
}

/*
 * Takes the terminal's new size after SIGWINCH. The next frame is sent
 * whole: a terminal that shrank keeps what it likes of the old screen (a
 * multiplexer keeps the rows around the cursor), so what curses believes
 * is there no longer is.
 */
void
tui_term_resize(void)
{
	struct winsize	ws;

	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0 &&
	    ws.ws_col > 0)
		resizeterm(ws.ws_row, ws.ws_col);
	clearok(curscr, TRUE);
}

/* The next key (tui.h key codes), or -1 when none is waiting. */
int
tui_term_key(void)
{
	wint_t	wc;
	int	r;

	r = wget_wch(stdscr, &wc);
	if (r == ERR)
		return -1;
	if (r == KEY_CODE_YES) {
		switch (wc) {
		case KEY_ENTER:
			return '\n';
		default:
			return TUI_FKEY((int)wc);
		}
	}
	switch (wc) {
	case '\r':
		return '\n';
	case 0x7f:
	case '\b':
		return TUI_FKEY(KEY_BACKSPACE);
	default:
		return (int)wc;
	}
}

/*
 * The wide characters of UTF-8 S (in the locale), with what a terminal
 * would obey (C0, DEL, C1) or cannot show as '?'; *N gets the count.
 */
static wchar_t *
term_wide(const char *s, size_t *n)
{
	mbstate_t	 ps;
	wchar_t		*w, wc;
	size_t		 len = strlen(s), k, i = 0;

	w = xreallocarray(NULL, len + 1, sizeof *w);
	memset(&ps, 0, sizeof ps);
	while (*s != '\0') {
		k = mbrtowc(&wc, s, strlen(s), &ps);
		if (k == (size_t)-1 || k == (size_t)-2 || k == 0) {
			memset(&ps, 0, sizeof ps);
			wc = L'?';
			k = 1;
		}
		if (wc < 0x20 || (wc >= 0x7f && wc < 0xa0) || wcwidth(wc) < 0)
			wc = L'?';
		w[i++] = wc;
		s += k;
	}
	w[i] = L'\0';
	*n = i;
	return w;
}

/*
 * Draws the N wide characters of W at (Y, X) in STYLE, at most WIDTH
 * columns and not past the end of the line. Returns the columns used.
 */
int
tui_term_wput(int y, int x, int width, enum tui_style style,
    const wchar_t *w, size_t n)
{
	size_t	i;
	int	cols = 0, cw;

	if (y < 0 || y >= LINES || x < 0 || x >= COLS || width <= 0)
		return 0;
	if (width > COLS - x)
		width = COLS - x;
	for (i = 0; i < n; i++) {
		if ((cw = wcwidth(w[i])) < 0 || cols + cw > width)
			break;
		cols += cw;
	}
	term_style(style);
	mvaddnwstr(y, x, w, (int)i);
	attrset(A_NORMAL);
	return cols;
}

/* Draws UTF-8 S as tui_term_wput() does. */
int
tui_term_put(int y, int x, int width, enum tui_style style, const char *s)
{
	wchar_t	*w;
	size_t	 n;
	int	 cols;

	w = term_wide(s, &n);
	cols = tui_term_wput(y, x, width, style, w, n);
	free(w);
	return cols;
}

/* Draws a formatted string as tui_term_put() does. */
int
tui_term_printf(int y, int x, int width, enum tui_style style,
    const char *fmt, ...)
{
	va_list	 ap;
	char	*s;
	int	 cols;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) == -1)
		s = NULL;
	va_end(ap);
	if (s == NULL)
		return 0;
	cols = tui_term_put(y, x, width, style, s);
	free(s);
	return cols;
}

/* Fills WIDTH columns at (Y, X), not past the end of the line, with blanks. */
void
tui_term_fill(int y, int x, int width, enum tui_style style)
{
	if (y < 0 || y >= LINES || x < 0 || x >= COLS || width <= 0)
		return;
	if (width > COLS - x)
		width = COLS - x;
	term_style(style);
	mvhline(y, x, ' ', width);
	attrset(A_NORMAL);
}

/* Draws an empty box of H x W cells at (Y, X). */
void
tui_term_box(int y, int x, int h, int w)
{
	int	i;

	if (h < 2 || w < 2)
		return;
	for (i = 0; i < h; i++)
		tui_term_fill(y + i, x, w, TUI_STYLE_NORMAL);
	mvaddch(y, x, ACS_ULCORNER);
	mvhline(y, x + 1, ACS_HLINE, w - 2);
	mvaddch(y, x + w - 1, ACS_URCORNER);
	mvvline(y + 1, x, ACS_VLINE, h - 2);
	mvvline(y + 1, x + w - 1, ACS_VLINE, h - 2);
	mvaddch(y + h - 1, x, ACS_LLCORNER);
	mvhline(y + h - 1, x + 1, ACS_HLINE, w - 2);
	mvaddch(y + h - 1, x + w - 1, ACS_LRCORNER);
}

/* How long the host key question waits for an answer, in ms. */
#define TUI_ASK_TIMEOUT	60000
/* Host keys refused are not asked about again while the console runs. */
#define TUI_ASK_REFUSED	16

int
tui_ask_host_key(const char *host, const char *fingerprint, void *arg)
{
	static char	*refused[TUI_ASK_REFUSED];
	static size_t	 nrefused;
	const char	*lines[5];
	size_t		 j;
	int		 w, h = 9, y, x, i, key, answer = -1;

	(void)arg;
	for (j = 0; j < nrefused; j++) {
		if (strcmp(refused[j], fingerprint) == 0)
			return 0;
	}
	lines[0] = "The door box's SSH host key is not known:";
	lines[1] = host;
	lines[2] = fingerprint;
	lines[3] = "Compare it with ssh-keygen -lf /etc/ssh/ssh_host_*_key.pub";
	lines[4] = "there. Trust it and connect?";
	w = COLS - 4 < 72 ? COLS - 4 : 72;
	y = (LINES - h) / 2;
	x = (COLS - w) / 2;
	tui_term_box(y, x, h, w);
	for (i = 0; i < 5; i++)
		tui_term_put(y + 1 + i, x + 2, w - 4, i == 2 ?
		    TUI_STYLE_WARN : TUI_STYLE_NORMAL, lines[i]);
	tui_term_put(y + h - 2, x + 2, w - 4, TUI_STYLE_KEY,
	    "y: trust and connect   n: refuse");
	refresh();
	/* The console's loop waits on this connect: so does the question. */
	wtimeout(stdscr, TUI_ASK_TIMEOUT);
	while (answer == -1) {
		if ((key = tui_term_key()) == -1)
			answer = 0;
		else if (key == 'y' || key == 'Y')
			answer = 1;
		else if (key == 'n' || key == 'N' || key == 0x1b)
			answer = 0;
	}
	nodelay(stdscr, TRUE);
	clearok(curscr, TRUE);
	if (!answer && nrefused < TUI_ASK_REFUSED)
		refused[nrefused++] = xstrdup(fingerprint);
	return answer;
}
