/*
 * The interactive console's dialogs (tui.h): forms of text fields, a list
 * to choose from, a yes or no question and a note, each drawn in a box
 * over the screen. One dialog is open at a time; answering it calls its
 * function, which may open the next one (a reason, then a question).
 */
#include <sys/types.h>

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>
#include <wctype.h>

#include <curses.h>

#include "tui.h"
#include "xmalloc.h"

/* The widest box, in columns, and the label column of a form. */
#define FORM_WIDTH_MAX	72
#define FORM_LABEL	12

/* A new dialog of KIND. */
static struct tui_modal *
form_new(enum tui_modal_kind kind, const char *title, tui_modal_fn *done)
{
	struct tui_modal	*m;

	m = xcalloc(1, sizeof *m);
	m->kind = kind;
	m->title = xstrdup(title);
	m->done = done;
	return m;
}

/* Sets field F to UTF-8 VALUE (NULL: empty). */
static void
form_set(struct tui_field *f, const char *value)
{
	mbstate_t	ps;
	wchar_t		wc;
	size_t		k;

	f->len = f->cur = 0;
	memset(&ps, 0, sizeof ps);
	while (value != NULL && *value != '\0' && f->len < TUI_FIELD_MAX) {
		k = mbrtowc(&wc, value, strlen(value), &ps);
		if (k == (size_t)-1 || k == (size_t)-2 || k == 0) {
			memset(&ps, 0, sizeof ps);
			value++;
			continue;
		}
		if (iswprint((wint_t)wc))
			f->text[f->len++] = wc;
		value += k;
	}
	f->text[f->len] = L'\0';
	f->cur = f->len;
}

/* The text of field F as UTF-8, without blanks around it (malloc'd). */
static char *
form_text(const struct tui_field *f)
{
	mbstate_t	 ps;
	char		*s, *p, *end;
	size_t		 i, k;

	s = p = xmalloc(f->len * MB_CUR_MAX + 1);
	memset(&ps, 0, sizeof ps);
	for (i = 0; i < f->len; i++) {
		if ((k = wcrtomb(p, f->text[i], &ps)) == (size_t)-1) {
			memset(&ps, 0, sizeof ps);
			*p = '?';
			k = 1;
		}
		p += k;
	}
	*p = '\0';
	for (end = p; end > s && isspace((unsigned char)end[-1]); end--)
		end[-1] = '\0';
	for (p = s; isspace((unsigned char)*p); p++)
		;
	memmove(s, p, strlen(p) + 1);
	return s;
}

struct tui_modal *
tui_form_new(const char *title, tui_modal_fn *done)
{
	return form_new(TUI_MODAL_FORM, title, done);
}

/* Adds a field to form M, holding VALUE (or NULL) to start with. */
void
tui_form_field(struct tui_modal *m, const char *label, int flags,
    const char *value)
{
	struct tui_field	*f;

	if (m->nfields == TUI_FIELDS_MAX)
		return;
	f = &m->fields[m->nfields++];
	f->label = label;
	f->flags = flags;
	form_set(f, value);
}

/* The text of field I of form M (malloc'd, "" when empty). */
char *
tui_form_value(struct tui_modal *m, size_t i)
{
	if (i >= m->nfields)
		return xstrdup("");
	return form_text(&m->fields[i]);
}

struct tui_modal *
tui_pick_new(const char *title, char **items, size_t n, tui_modal_fn *done)
{
	struct tui_modal	*m;

	m = form_new(TUI_MODAL_PICK, title, done);
	m->items = items;
	m->nitems = n;
	return m;
}

/* Whether item I of picker M matches what is typed into its filter. */
static int
form_pick_match(struct tui_modal *m, size_t i)
{
	char	*what;
	int	 r;

	if (m->filter.len == 0)
		return 1;
	what = form_text(&m->filter);
	r = *what == '\0' || strcasestr(m->items[i], what) != NULL;
	free(what);
	return r;
}

/* The index in ITEMS of the SELth matching item, or -1. */
static ssize_t
form_pick_item(struct tui_modal *m, size_t sel)
{
	size_t	i, n = 0;

	for (i = 0; i < m->nitems; i++) {
		if (!form_pick_match(m, i))
			continue;
		if (n++ == sel)
			return (ssize_t)i;
	}
	return -1;
}

/* The matching items of picker M. */
static size_t
form_pick_count(struct tui_modal *m)
{
	size_t	i, n = 0;

	for (i = 0; i < m->nitems; i++)
		n += form_pick_match(m, i);
	return n;
}

/* The index in ITEMS of the item chosen, or -1. */
ssize_t
tui_pick_index(struct tui_modal *m)
{
	return form_pick_item(m, m->sel);
}

struct tui_modal *
tui_confirm_new(const char *title, const char *text, tui_modal_fn *done)
{
	struct tui_modal	*m;

	m = form_new(TUI_MODAL_CONFIRM, title, done);
	m->text = xstrdup(text);
	return m;
}

struct tui_modal *
tui_note_new(const char *title, const char *text)
{
	struct tui_modal	*m;

	m = form_new(TUI_MODAL_NOTE, title, NULL);
	m->text = xstrdup(text);
	return m;
}

void
tui_modal_free(struct tui_modal *m)
{
	size_t	i;

	if (m == NULL)
		return;
	for (i = 0; i < m->nitems; i++)
		free(m->items[i]);
	free(m->items);
	free(m->ids);
	render_grid_free(m->qr);
	free(m->title);
	free(m->text);
	free(m->error);
	free(m->saved);
	free(m);
}

/* Opens dialog M (over any other, which is closed). */
void
tui_modal_open(struct tui *t, struct tui_modal *m)
{
	tui_modal_free(t->modal);
	t->modal = m;
	t->dirty = 1;
}

/*
 * Closes the dialog and, when it was answered, calls its function, which
 * may open another.
 */
static void
form_close(struct tui *t, int answered)
{
	struct tui_modal	*m = t->modal;

	t->modal = NULL;
	t->dirty = 1;
	if (answered && m->done != NULL)
		m->done(t, m);
	tui_modal_free(m);
}

/* Whether DURATION reads as a number and a unit s, m, h or d. */
static int
form_duration_ok(const char *s)
{
	size_t	digits;

	digits = strspn(s, "0123456789");
	if (digits == 0 || digits > 9 || s[digits] == '\0' ||
	    strchr("smhd", s[digits]) == NULL || s[digits + 1] != '\0')
		return 0;
	return strtol(s, NULL, 10) > 0;
}

/* Checks field I of form M; 0, or -1 with M->error set. */
static int
form_check(struct tui_modal *m, size_t i)
{
	struct tui_field	*f = &m->fields[i];
	char			*s;
	int			 r = 0;

	s = form_text(f);
	free(m->error);
	m->error = NULL;
	if (*s == '\0') {
		if (f->flags & TUI_FIELD_REQUIRED) {
			xasprintf(&m->error, "%s is required", f->label);
			r = -1;
		}
	} else if ((f->flags & TUI_FIELD_EMAIL) && (strchr(s, '@') == NULL ||
	    strpbrk(s, " <>,;\"") != NULL)) {
		xasprintf(&m->error, "%s: not an e-mail address", f->label);
		r = -1;
	} else if ((f->flags & TUI_FIELD_DURATION) && !form_duration_ok(s)) {
		xasprintf(&m->error, "%s: a number and s, m, h or d (\"8h\")",
		    f->label);
		r = -1;
	}
	free(s);
	return r;
}

/* Submits form M, unless a field is wrong: the cursor goes there. */
static void
form_submit(struct tui *t, struct tui_modal *m)
{
	size_t	i;

	for (i = 0; i < m->nfields; i++) {
		if (form_check(m, i) != 0) {
			m->field = i;
			t->dirty = 1;
			return;
		}
	}
	form_close(t, 1);
}

/* The field the cursor is in: a form's, or a picker's filter. */
static struct tui_field *
form_field(struct tui_modal *m)
{
	if (m->kind == TUI_MODAL_PICK)
		return &m->filter;
	if (m->kind == TUI_MODAL_FORM && m->nfields > 0)
		return &m->fields[m->field];
	return NULL;
}

/* A dialog key (the keys table): ACTION is a TUI_FORM_*. */
void
tui_modal_key(struct tui *t, int action)
{
	struct tui_modal	*m = t->modal;
	struct tui_field	*f;
	size_t			 n;

	if (m == NULL)
		return;
	f = form_field(m);
	t->dirty = 1;
	switch (action) {
	case TUI_FORM_NEXT:
	case TUI_FORM_PREV:
		if (m->kind == TUI_MODAL_FORM && m->nfields > 0) {
			if (action == TUI_FORM_NEXT)
				m->field = (m->field + 1) % m->nfields;
			else
				m->field = (m->field + m->nfields - 1) %
				    m->nfields;
		} else if (m->kind == TUI_MODAL_PICK) {
			n = form_pick_count(m);
			if (action == TUI_FORM_NEXT && m->sel + 1 < n)
				m->sel++;
			else if (action == TUI_FORM_PREV && m->sel > 0)
				m->sel--;
		}
		break;
	case TUI_FORM_ENTER:
		if (m->kind == TUI_MODAL_FORM) {
			if (form_check(m, m->field) != 0)
				break;
			if (m->field + 1 < m->nfields)
				m->field++;
			else
				form_submit(t, m);
		} else if (m->kind == TUI_MODAL_PICK) {
			if (form_pick_item(m, m->sel) != -1)
				form_close(t, 1);
		} else if (m->kind == TUI_MODAL_NOTE)
			form_close(t, 0);
		break;
	case TUI_FORM_CANCEL:
	case TUI_FORM_NO:
		n = m->kind != TUI_MODAL_NOTE;
		form_close(t, 0);
		if (n)
			tui_message(t, 0, "cancelled");
		break;
	case TUI_FORM_YES:
		form_close(t, 1);
		break;
	case TUI_FORM_LEFT:
		if (f != NULL && f->cur > 0)
			f->cur--;
		break;
	case TUI_FORM_RIGHT:
		if (f != NULL && f->cur < f->len)
			f->cur++;
		break;
	case TUI_FORM_ERASE:
		if (f != NULL && f->cur > 0) {
			memmove(&f->text[f->cur - 1], &f->text[f->cur],
			    (f->len - f->cur + 1) * sizeof f->text[0]);
			f->cur--;
			f->len--;
			m->sel = 0;
		}
		break;
	case TUI_FORM_KILL:
		if (f != NULL) {
			f->len = f->cur = 0;
			f->text[0] = L'\0';
			m->sel = 0;
		}
		break;
	}
}

/* A key no row of the table took: typed into the field, if printable. */
void
tui_modal_input(struct tui *t, int key)
{
	struct tui_modal	*m = t->modal;
	struct tui_field	*f;

	if (m == NULL || (f = form_field(m)) == NULL || key < 0x20 ||
	    key >= TUI_FKEY(0) || !iswprint((wint_t)key) ||
	    f->len == TUI_FIELD_MAX)
		return;
	memmove(&f->text[f->cur + 1], &f->text[f->cur],
	    (f->len - f->cur + 1) * sizeof f->text[0]);
	f->text[f->cur++] = (wchar_t)key;
	f->len++;
	m->sel = 0;
	t->dirty = 1;
}

/* Draws field F at (Y, X) in WIDTH columns; the cursor's place in *CX. */
static void
form_draw_field(const struct tui_field *f, int y, int x, int width, int *cx)
{
	size_t	start = 0, i;
	int	cols = 0;

	/* Shows the end of a text too long for the box, with the cursor. */
	for (i = f->cur; i > 0; i--) {
		cols += wcwidth(f->text[i - 1]) > 0 ? wcwidth(f->text[i - 1]) :
		    1;
		if (cols > width - 1) {
			start = i;
			break;
		}
	}
	tui_term_fill(y, x, width, TUI_STYLE_FIELD);
	tui_term_wput(y, x, width, TUI_STYLE_FIELD, f->text + start,
	    f->len - start);
	for (cols = 0, i = start; i < f->cur; i++)
		cols += wcwidth(f->text[i]) > 0 ? wcwidth(f->text[i]) : 1;
	*cx = x + cols;
}

/* Splits TEXT into lines of at most WIDTH columns; the count. */
static size_t
form_wrap(const char *text, int width, char ***lines)
{
	const char	*p = text, *nl, *cut, *sp;
	char		*line;
	size_t		 n = 0, len;

	*lines = NULL;
	while (*p != '\0') {
		if ((nl = strchr(p, '\n')) == NULL)
			nl = p + strlen(p);
		len = (size_t)(nl - p);
		cut = nl;
		/* Breaks at the last blank that fits (bytes ~ columns). */
		if (len > (size_t)width) {
			cut = p + width;
			for (sp = cut; sp > p && *sp != ' '; sp--)
				;
			if (sp > p)
				cut = sp;
			/* Never inside a character. */
			while (cut > p + 1 && (*cut & 0xc0) == 0x80)
				cut--;
		}
		line = xmalloc((size_t)(cut - p) + 1);
		memcpy(line, p, (size_t)(cut - p));
		line[cut - p] = '\0';
		*lines = xreallocarray(*lines, n + 1, sizeof **lines);
		(*lines)[n++] = line;
		p = cut;
		if (*p == ' ' || *p == '\n')
			p++;
	}
	return n;
}

/* Draws the dialog over the screen. */
void
tui_modal_draw(struct tui *t)
{
	struct tui_modal	*m = t->modal;
	char			**lines = NULL;
	size_t			 nlines = 0, i, n, first;
	ssize_t			 item;
	int			 w, h, y, x, inner, cy = -1, cx = -1, qh = 0;
	int			 qw = 0, rows, dummy, qfit = 1;

	if (m == NULL)
		return;
	w = COLS - 4 < FORM_WIDTH_MAX ? COLS - 4 : FORM_WIDTH_MAX;
	if (m->qr != NULL && m->qr->w + 4 > w)
		w = m->qr->w + 4 < COLS ? m->qr->w + 4 : COLS;
	inner = w - 4;
	if (inner < 10)
		return;
	if (m->text != NULL)
		nlines = form_wrap(m->text, inner, &lines);
	switch (m->kind) {
	case TUI_MODAL_FORM:
		h = (int)m->nfields + 5;
		break;
	case TUI_MODAL_PICK:
		h = LINES - 4 < 16 ? LINES - 4 : 16;
		break;
	case TUI_MODAL_CONFIRM:
		h = (int)nlines + 4;
		break;
	default:
		if (m->qr != NULL) {
			qh = m->qr->h;
			qw = m->qr->w;
		}
		h = (int)nlines + 4 + (qh > 0 ? qh + 1 : 0);
		/* No room for the code: a line saying so instead. */
		if (qh > 0 && (h > LINES - 2 || qw > w)) {
			qfit = 0;
			h = (int)nlines + 5;
		}
		break;
	}
	if (h > LINES - 2)
		h = LINES - 2;
	y = (LINES - h) / 2;
	x = (COLS - w) / 2;
	tui_term_box(y, x, h, w);
	tui_term_printf(y, x + 2, w - 4, TUI_STYLE_HEADER, " %s ", m->title);

	switch (m->kind) {
	case TUI_MODAL_FORM:
		for (i = 0; i < m->nfields; i++) {
			tui_term_printf(y + 2 + (int)i, x + 2, FORM_LABEL,
			    i == m->field ? TUI_STYLE_KEY : TUI_STYLE_NORMAL,
			    "%s%s", m->fields[i].label,
			    (m->fields[i].flags & TUI_FIELD_REQUIRED) ? "*" :
			    "");
			form_draw_field(&m->fields[i], y + 2 + (int)i,
			    x + 2 + FORM_LABEL, inner - FORM_LABEL,
			    i == m->field ? &cx : &dummy);
			if (i == m->field)
				cy = y + 2 + (int)i;
		}
		if (m->error != NULL)
			tui_term_put(y + h - 2, x + 2, inner, TUI_STYLE_BAD,
			    m->error);
		else
			tui_term_put(y + h - 2, x + 2, inner, TUI_STYLE_DIM,
			    "Enter: next/submit  Tab: next field  Esc: cancel");
		break;
	case TUI_MODAL_PICK:
		rows = h - 5;
		n = form_pick_count(m);
		if (m->sel >= n)
			m->sel = n > 0 ? n - 1 : 0;
		first = (int)m->sel >= rows ? m->sel - (size_t)rows + 1 : 0;
		for (i = 0; i < (size_t)rows && first + i < n; i++) {
			item = form_pick_item(m, first + i);
			if (item == -1)
				break;
			if (first + i == m->sel)
				tui_term_fill(y + 2 + (int)i, x + 2, inner,
				    TUI_STYLE_SELECTED);
			tui_term_put(y + 2 + (int)i, x + 2, inner,
			    first + i == m->sel ? TUI_STYLE_SELECTED :
			    TUI_STYLE_NORMAL, m->items[item]);
		}
		if (n == 0)
			tui_term_put(y + 2, x + 2, inner, TUI_STYLE_DIM,
			    m->nitems == 0 ? "(nothing to choose)" :
			    "(nothing matches)");
		tui_term_put(y + h - 2, x + 2, 8, TUI_STYLE_NORMAL, "Find:");
		form_draw_field(&m->filter, y + h - 2, x + 8, inner - 6, &cx);
		cy = y + h - 2;
		break;
	case TUI_MODAL_CONFIRM:
		for (i = 0; i < nlines; i++)
			tui_term_put(y + 1 + (int)i, x + 2, inner,
			    TUI_STYLE_NORMAL, lines[i]);
		tui_term_put(y + h - 2, x + 2, inner, TUI_STYLE_KEY,
		    "y: yes   n: no");
		break;
	default:
		for (i = 0; i < nlines; i++)
			tui_term_put(y + 1 + (int)i, x + 2, inner,
			    TUI_STYLE_NORMAL, lines[i]);
		/* A code cut short would not scan: all of it, or a word. */
		if (m->qr != NULL && qfit)
			render_draw(stdscr, y + 2 + (int)nlines,
			    x + (w - qw) / 2, m->qr);
		else if (m->qr != NULL)
			tui_term_printf(y + 1 + (int)nlines, x + 2, inner,
			    TUI_STYLE_WARN, "(the code needs %d x %d: make "
			    "the terminal larger)", qw + 4, qh + (int)nlines +
			    6);
		tui_term_put(y + h - 2, x + 2, inner, TUI_STYLE_DIM,
		    "Enter: close");
		break;
	}
	for (i = 0; i < nlines; i++)
		free(lines[i]);
	free(lines);
	if (cy != -1 && cx != -1) {
		curs_set(1);
		move(cy, cx);
	}
}
