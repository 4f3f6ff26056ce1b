/*
 * The interactive console's screens (tui.h): the main screen (doors,
 * pending visitors, recent decisions), a visitor's page with its photo,
 * the people, event log, outbox, alarms and help pages, and the alarm
 * banner. Each frame is drawn whole into stdscr and sent with wnoutrefresh
 * and doupdate: curses sends the cells that changed, so drawing again
 * what did not change shows nothing.
 *
 * The banner takes the rows above the message line, and every screen is
 * laid out in the rows above it (draw_rows), so that it hides nothing:
 * the screen only has less room while an alarm waits.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curses.h>

#include "batch.h"
#include "loop.h"
#include "tui.h"
#include "xmalloc.h"

/* The smallest terminal the screens are laid out for. */
#define DRAW_COLS_MIN	40
#define DRAW_LINES_MIN	10
/* The columns a visitor's details take beside the photo. */
#define DRAW_INFO	40
/* An alarm this recent shows on its door's line. */
#define DRAW_ALARM_MS	(60 * 60 * 1000)
/*
 * The banner's rows: a third of the screen, at least the five lines of
 * its text, at most 12 (a face 24 pixels tall: enough to know it, and
 * the screen under it keeps its room).
 */
#define DRAW_BANNER_MIN	5
#define DRAW_BANNER_MAX	12

/* Milliseconds since the epoch, now. */
static int64_t
draw_now(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* MS as a local time: "12:01:02" today, "05-01 12:01" another day. */
static const char *
draw_time(int64_t ms, char *buf, size_t size)
{
	struct tm	tm, today;
	time_t		t = (time_t)(ms / 1000), now = time(NULL);

	if (ms <= 0 || localtime_r(&t, &tm) == NULL ||
	    localtime_r(&now, &today) == NULL) {
		snprintf(buf, size, "?");
		return buf;
	}
	if (tm.tm_year == today.tm_year && tm.tm_yday == today.tm_yday)
		strftime(buf, size, "%H:%M:%S", &tm);
	else
		strftime(buf, size, "%m-%d %H:%M", &tm);
	return buf;
}

/* How long ago MS was: "42s", "3m", "2h", "5d". */
static const char *
draw_age(int64_t ms, char *buf, size_t size)
{
	int64_t	s = (draw_now() - ms) / 1000;

	if (s < 0)
		s = 0;
	if (s < 60)
		snprintf(buf, size, "%llds", (long long)s);
	else if (s < 3600)
		snprintf(buf, size, "%lldm", (long long)(s / 60));
	else if (s < 86400)
		snprintf(buf, size, "%lldh", (long long)(s / 3600));
	else
		snprintf(buf, size, "%lldd", (long long)(s / 86400));
	return buf;
}

/* A string member of OBJ, or NULL. */
static const char *
draw_string(const cJSON *obj, const char *key)
{
	const cJSON	*item = cJSON_GetObjectItemCaseSensitive(obj, key);

	return cJSON_IsString(item) ? item->valuestring : NULL;
}

/* A number member of OBJ, or DEF. */
static double
draw_number(const cJSON *obj, const char *key, double def)
{
	const cJSON	*item = cJSON_GetObjectItemCaseSensitive(obj, key);

	return cJSON_IsNumber(item) ? item->valuedouble : def;
}

/* The rows the alarm banner takes now: 0 when it does not show. */
int
tui_banner_rows(struct tui *t)
{
	int	h = LINES / 3;

	/* The alarms page lists the waiting alarms itself. */
	if (t->nalarms == 0 || t->screen == TUI_SCREEN_ALARMS)
		return 0;
	if (h < DRAW_BANNER_MIN)
		h = DRAW_BANNER_MIN;
	if (h > DRAW_BANNER_MAX)
		h = DRAW_BANNER_MAX;
	return h;
}

/* The lines a screen is laid out in: those above the banner. */
static int
draw_rows(struct tui *t)
{
	return LINES - tui_banner_rows(t);
}

/* The title line: LEFT, and the help key on the right. */
static void
draw_title(const char *left)
{
	tui_term_fill(0, 0, COLS, TUI_STYLE_TITLE);
	tui_term_put(0, 1, COLS - 10, TUI_STYLE_TITLE, left);
	tui_term_put(0, COLS - 8, 8, TUI_STYLE_TITLE, "? help");
}

/* The newest alarm of A in the log, if recent. */
static const struct tui_entry *
draw_alarm(struct tui *t, struct tui_agent *a)
{
	size_t	i;

	for (i = t->nlog; i > 0; i--) {
		if (t->log[i - 1].time < draw_now() - DRAW_ALARM_MS)
			break;
		if (t->log[i - 1].agent == a && t->log[i - 1].type != NULL &&
		    strcmp(t->log[i - 1].type, "alarm") == 0)
			return &t->log[i - 1];
	}
	return NULL;
}

/* One door's line: its connection, door and camera, alarm or note. */
static void
draw_door(struct tui *t, struct tui_agent *a, int y)
{
	const struct tui_entry	*alarm;
	const char		*kind, *camera;
	char			 buf[64], when[32];
	int			 x, w = COLS - 2;
	int64_t			 left;

	x = 1 + tui_term_put(y, 1, 12, TUI_STYLE_NORMAL, a->name);
	x = x < 13 ? 13 : x + 1;
	switch (a->state) {
	case TUI_AGENT_IDLE:
		tui_term_put(y, x, w - x, TUI_STYLE_WARN, "connecting");
		return;
	case TUI_AGENT_RETRY:
		left = (a->retry_at - loop_now_ms() + 999) / 1000;
		snprintf(buf, sizeof buf, "reconnecting in %llds",
		    (long long)(left > 0 ? left : 0));
		x += tui_term_put(y, x, w - x, TUI_STYLE_WARN, buf) + 2;
		tui_term_put(y, x, COLS - 1 - x, TUI_STYLE_DIM,
		    a->error != NULL ? a->error : "");
		return;
	case TUI_AGENT_UNSUPPORTED:
		tui_term_put(y, x, COLS - 1 - x, TUI_STYLE_BAD,
		    a->error != NULL ? a->error : "not supported");
		return;
	case TUI_AGENT_UP:
		break;
	}
	x += tui_term_put(y, x, w - x, TUI_STYLE_OK, "connected") + 2;
	x += tui_term_put(y, x, COLS - 1 - x, TUI_STYLE_NORMAL,
	    proto_role_name(a->role)) + 2;
	x += tui_term_printf(y, x, COLS - 1 - x, TUI_STYLE_NORMAL, "door %s",
	    tui_agent_door_state(a)) + 2;
	camera = draw_string(a->status, "camera");
	if (camera != NULL)
		x += tui_term_printf(y, x, COLS - 1 - x, strcmp(camera, "ok") ==
		    0 ? TUI_STYLE_NORMAL : TUI_STYLE_WARN, "camera %s",
		    camera) + 2;
	if ((alarm = draw_alarm(t, a)) != NULL) {
		kind = draw_string(alarm->ev, "kind");
		tui_term_printf(y, x, COLS - 1 - x, TUI_STYLE_BAD,
		    "ALARM %s %s", draw_time(alarm->time, when, sizeof when),
		    kind != NULL ? kind : "");
		return;
	}
	if (a->sighting != NULL &&
	    loop_now_ms() - a->sighting_at < TUI_SIGHTING_MS)
		x += tui_term_put(y, x, COLS - 1 - x, TUI_STYLE_NORMAL,
		    a->sighting) + 2;
	tui_term_put(y, x, COLS - 1 - x, TUI_STYLE_DIM,
	    a->agent != NULL ? a->agent : "");
}

/* One pending visitor's row. */
static void
draw_visit(struct tui *t, const struct tui_visit *v, int y)
{
	enum tui_style	 style = TUI_STYLE_NORMAL;
	char		 age[16], last[32], *who;

	if (v->agent == t->sel_agent && v->id == t->sel_visit) {
		style = TUI_STYLE_SELECTED;
		tui_term_fill(y, 0, COLS, style);
	} else if (v->agent->state != TUI_AGENT_UP)
		style = TUI_STYLE_DIM;
	tui_term_printf(y, 1, 7, style, "#%lld", (long long)v->id);
	tui_term_put(y, 9, 10, style, v->agent->name);
	tui_term_put(y, 20, 7, style, draw_age(v->first_seen, age,
	    sizeof age));
	tui_term_printf(y, 28, 5, style, "%d", v->seen);
	tui_term_put(y, 34, 11, style, draw_time(v->last_seen, last,
	    sizeof last));
	if (v->name != NULL && v->email != NULL)
		xasprintf(&who, "%s <%s>", v->name, v->email);
	else if (v->name != NULL || v->email != NULL)
		who = xstrdup(v->name != NULL ? v->name : v->email);
	else
		who = xstrdup("-");
	tui_term_put(y, 46, COLS - 47, style, who);
	free(who);
}

/* One decision's row, from the log entry E. */
static void
draw_decision(struct tui *t, const struct tui_entry *e, int y)
{
	enum tui_style	 style = TUI_STYLE_NORMAL;
	const char	*what = e->type, *person, *reason, *by;
	char		 when[32], who[64], why[96], name[64], dist[16];
	double		 d;
	int64_t		 visit, nearest;

	(void)t;
	visit = (int64_t)draw_number(e->ev, "visit", -1);
	person = draw_string(e->ev, "person");
	reason = draw_string(e->ev, "reason");
	if (reason == NULL)
		reason = draw_string(e->ev, "kind");
	if (strcmp(what, "visit") == 0) {
		what = draw_string(e->ev, "state");
		if (what == NULL)
			what = "decided";
		by = draw_string(e->ev, "by");
		snprintf(why, sizeof why, "by %s", by != NULL ? by : "?");
		style = strcmp(what, "approved") == 0 ? TUI_STYLE_OK :
		    TUI_STYLE_BAD;
	} else {
		snprintf(why, sizeof why, "%s", reason != NULL ? reason : "");
		if (strcmp(what, "granted") == 0)
			style = TUI_STYLE_OK;
		else if (strcmp(what, "denied") == 0)
			style = TUI_STYLE_BAD;
		else
			style = TUI_STYLE_WARN;
	}
	if (person != NULL)
		snprintf(who, sizeof who, "%s", person);
	else if (visit >= 0)
		snprintf(who, sizeof who, "visit #%lld", (long long)visit);
	else
		snprintf(who, sizeof who, "-");
	/* A pending visitor's nearest enrolled person, by id. */
	nearest = (int64_t)draw_number(e->ev, "nearest", -1);
	if (nearest >= 0 && strcmp(e->type, "visit") != 0) {
		snprintf(why + strlen(why), sizeof why - strlen(why),
		    "%snearest %s", *why != '\0' ? ", " : "",
		    tui_person_name(e->agent, nearest, name, sizeof name));
	}
	if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(e->ev, "again")))
		snprintf(why + strlen(why), sizeof why - strlen(why),
		    "%sagain", *why != '\0' ? ", " : "");
	d = draw_number(e->ev, "distance", -1);
	if (d >= 0)
		snprintf(dist, sizeof dist, "%.3f", d);
	else
		dist[0] = '\0';
	tui_term_put(y, 1, 11, TUI_STYLE_NORMAL, draw_time(e->time, when,
	    sizeof when));
	tui_term_put(y, 13, 10, TUI_STYLE_NORMAL, e->agent->name);
	tui_term_put(y, 24, 9, style, what);
	tui_term_put(y, 34, 16, TUI_STYLE_NORMAL, who);
	tui_term_put(y, 51, COLS - 59, TUI_STYLE_NORMAL, why);
	tui_term_put(y, COLS - 7, 6, TUI_STYLE_NORMAL, dist);
}

/* Keeps row SEL of a list of ROWS rows in view, moving *TOP. */
static void
draw_scroll(size_t *top, size_t sel, size_t rows)
{
	if (rows == 0)
		return;
	if (sel < *top)
		*top = sel;
	else if (sel >= *top + rows)
		*top = sel - rows + 1;
}

/* The main screen. */
static void
draw_main(struct tui *t)
{
	const struct tui_entry	*e;
	char			 title[128], alarms[32];
	size_t			 i, j, up, sel = 0, nd, np, ndec, shown;
	int			 y, avail, rows = draw_rows(t);

	if (t->nalarms > 0)
		snprintf(alarms, sizeof alarms, "   %zu ALARM%s", t->nalarms,
		    t->nalarms == 1 ? "" : "S");
	else
		alarms[0] = '\0';
	snprintf(title, sizeof title, "Gatehouse   %zu door%s   %zu pending%s",
	    t->nagents, t->nagents == 1 ? "" : "s", t->npending, alarms);
	draw_title(title);

	/* Doors take up to a third of the screen; the rest is shared. */
	nd = t->nagents;
	if ((int)nd > (rows - 10) / 3)
		nd = (rows - 10) / 3 > 1 ? (size_t)(rows - 10) / 3 : 1;
	avail = rows - 3 - (int)(1 + nd) - 4;
	np = avail > 1 ? (size_t)(avail + 1) / 2 : 1;
	ndec = avail > (int)np ? (size_t)avail - np : 0;

	y = 1;
	tui_term_put(y++, 0, COLS, TUI_STYLE_HEADER, "Doors");
	for (i = 0; i < nd; i++) {
		if (i + 1 == nd && nd < t->nagents) {
			for (up = 0, j = i; j < t->nagents; j++)
				up += t->agents[j].state == TUI_AGENT_UP;
			tui_term_printf(y++, 1, COLS, TUI_STYLE_DIM,
			    "(%zu more doors, %zu connected)", t->nagents - i,
			    up);
			break;
		}
		draw_door(t, &t->agents[i], y++);
	}

	tui_term_printf(y++, 0, COLS, TUI_STYLE_HEADER,
	    "Pending visitors (%zu)", t->npending);
	tui_term_put(y++, 1, COLS, TUI_STYLE_DIM,
	    "VISIT   DOOR       WAITING SEEN  LAST SEEN   NAME");
	for (i = 0; i < t->npending; i++) {
		if (t->pending[i]->agent == t->sel_agent &&
		    t->pending[i]->id == t->sel_visit)
			sel = i;
	}
	draw_scroll(&t->pending_top, sel, np);
	if (t->pending_top + np > t->npending)
		t->pending_top = t->npending > np ? t->npending - np : 0;
	if (t->npending == 0)
		tui_term_put(y, 1, COLS, TUI_STYLE_DIM, "(no one is waiting)");
	for (i = 0; i < np && t->pending_top + i < t->npending; i++)
		draw_visit(t, t->pending[t->pending_top + i], y + (int)i);
	y += (int)np;

	tui_term_put(y++, 0, COLS, TUI_STYLE_HEADER, "Recent decisions");
	tui_term_put(y++, 1, COLS, TUI_STYLE_DIM,
	    "TIME        DOOR       WHAT      WHO              WHY");
	tui_term_put(y - 1, COLS - 9, 8, TUI_STYLE_DIM, "DISTANCE");
	shown = 0;
	for (i = t->nlog; i > 0 && shown < ndec; i--) {
		e = &t->log[i - 1];
		if (!tui_decision(e))
			continue;
		draw_decision(t, e, y + (int)shown++);
	}
	if (shown == 0 && ndec > 0)
		tui_term_put(y, 1, COLS, TUI_STYLE_DIM, "(none yet)");
}

/* Frees a visitor's page. */
void
tui_detail_clear(struct tui_detail *d)
{
	size_t	i;

	cJSON_Delete(d->visit);
	for (i = 0; i < d->nphotos; i++)
		free(d->photos[i]);
	free(d->photos);
	free(d->sizes);
	render_grid_free(d->grid);
	free(d->grid_error);
	memset(d, 0, sizeof *d);
}

/* One "Label  value" line of a visitor's page. */
static void
draw_field(int y, int x, const char *label, enum tui_style style,
    const char *value)
{
	tui_term_put(y, x, 12, TUI_STYLE_DIM, label);
	tui_term_put(y, x + 12, COLS - x - 13, style,
	    value != NULL ? value : "-");
}

/* The photo of a visitor's page, fitted into W x H cells at (Y, X). */
static void
draw_photo(struct tui *t, int y, int x, int w, int h)
{
	struct tui_detail	*d = &t->detail;
	char			*cause;

	if (d->nphotos == 0) {
		tui_term_put(y + h / 2, x + (w - 10) / 2, w, TUI_STYLE_DIM,
		    "(no photo)");
		return;
	}
	/* A grid is made for one photo at one size: made again on resize. */
	if (d->grid_index != d->index || d->grid_w != w || d->grid_h != h ||
	    (d->grid == NULL && d->grid_error == NULL)) {
		render_grid_free(d->grid);
		free(d->grid_error);
		d->grid_error = NULL;
		d->grid = render_photo(d->photos[d->index], d->sizes[d->index],
		    w, h, t->mode, &cause);
		if (d->grid == NULL)
			d->grid_error = cause;
		d->grid_index = d->index;
		d->grid_w = w;
		d->grid_h = h;
	}
	if (d->grid == NULL) {
		tui_term_put(y + h / 2, x, w, TUI_STYLE_BAD, d->grid_error);
		return;
	}
	render_draw(stdscr, y + (h - d->grid->h) / 2, x + (w - d->grid->w) / 2,
	    d->grid);
}

/* A visitor's page: the photo on the left, the details on the right. */
static void
draw_detail(struct tui *t)
{
	struct tui_detail	*d = &t->detail;
	const cJSON		*v = d->visit;
	const char		*state, *nearest;
	char			 title[128], buf[128], when[32], age[16];
	int			 pw, ph, x, y, rows = draw_rows(t);
	double			 dist;

	state = draw_string(v, "state");
	snprintf(title, sizeof title, "Visit #%lld at %s: %s",
	    (long long)d->id, d->agent->name, state != NULL ? state : "?");
	draw_title(title);

	pw = COLS - DRAW_INFO;
	if (pw < 20)
		pw = 20;
	ph = rows - 4;
	draw_photo(t, 1, 0, pw, ph);
	if (d->nphotos > 1)
		snprintf(buf, sizeof buf, "photo %zu of %zu: [ and ] flip",
		    d->index + 1, d->nphotos);
	else
		snprintf(buf, sizeof buf, "%s", d->nphotos == 1 ?
		    "photo 1 of 1" : "");
	tui_term_put(rows - 3, (pw - (int)strlen(buf)) / 2 > 0 ?
	    (pw - (int)strlen(buf)) / 2 : 0, pw, TUI_STYLE_DIM, buf);

	x = pw + 1;
	y = 2;
	draw_field(y++, x, "State", state != NULL &&
	    strcmp(state, "pending") == 0 ? TUI_STYLE_WARN : TUI_STYLE_NORMAL,
	    state);
	draw_field(y++, x, "Door", TUI_STYLE_NORMAL, draw_string(v, "door"));
	y++;
	draw_field(y++, x, "Name", TUI_STYLE_NORMAL, draw_string(v, "name"));
	draw_field(y++, x, "E-mail", TUI_STYLE_NORMAL, draw_string(v, "email"));
	draw_field(y++, x, "Phone", TUI_STYLE_NORMAL, draw_string(v, "phone"));
	y++;
	snprintf(buf, sizeof buf, "%s (%s ago)",
	    draw_time((int64_t)draw_number(v, "first_seen", 0), when,
	    sizeof when), draw_age((int64_t)draw_number(v, "first_seen", 0),
	    age, sizeof age));
	draw_field(y++, x, "First seen", TUI_STYLE_NORMAL, buf);
	snprintf(buf, sizeof buf, "%s (%s ago)",
	    draw_time((int64_t)draw_number(v, "last_seen", 0), when,
	    sizeof when), draw_age((int64_t)draw_number(v, "last_seen", 0),
	    age, sizeof age));
	draw_field(y++, x, "Last seen", TUI_STYLE_NORMAL, buf);
	snprintf(buf, sizeof buf, "%.0f time%s", draw_number(v, "seen", 0),
	    draw_number(v, "seen", 0) == 1 ? "" : "s");
	draw_field(y++, x, "Seen", TUI_STYLE_NORMAL, buf);
	y++;
	nearest = draw_string(v, "nearest");
	dist = draw_number(v, "distance", -1);
	if (nearest != NULL && dist >= 0)
		snprintf(buf, sizeof buf, "%s at %.3f", nearest, dist);
	else
		snprintf(buf, sizeof buf, "%s", nearest != NULL ? nearest :
		    "no one enrolled");
	draw_field(y++, x, "Nearest", TUI_STYLE_NORMAL, buf);
	if (draw_string(v, "decided_by") != NULL)
		draw_field(y++, x, "Decided by", TUI_STYLE_NORMAL,
		    draw_string(v, "decided_by"));
	if (draw_string(v, "reason") != NULL)
		draw_field(y++, x, "Reason", TUI_STYLE_NORMAL,
		    draw_string(v, "reason"));
	if (d->agent->state != TUI_AGENT_UP)
		draw_field(y + 1, x, "", TUI_STYLE_BAD, "(door offline)");
}

size_t
tui_page_rows(struct tui *t)
{
	return draw_rows(t) > 4 ? (size_t)draw_rows(t) - 4 : 1;
}

/* The people and help pages: T->lines under a column header. */
static void
draw_lines(struct tui *t, const char *title)
{
	size_t	rows = tui_page_rows(t), i;
	int	y = 2;

	draw_title(title);
	tui_term_put(1, 1, COLS, TUI_STYLE_DIM, t->header != NULL ? t->header :
	    "");
	if (t->top + rows > t->nlines)
		t->top = t->nlines > rows ? t->nlines - rows : 0;
	for (i = t->top; i < t->nlines && i < t->top + rows; i++) {
		/* A line that does not start with a blank heads a section. */
		tui_term_put(y++, 1, COLS - 2, t->lines[i][0] != ' ' ?
		    TUI_STYLE_HEADER : TUI_STYLE_NORMAL, t->lines[i]);
	}
	if (t->nlines == 0)
		tui_term_put(2, 1, COLS, TUI_STYLE_DIM, "(nothing)");
}

/* The event log, newest first; the selected entry and the matches shown. */
static void
draw_log(struct tui *t)
{
	const struct tui_entry	*e;
	enum tui_style		 style;
	char			 title[256], when[32];
	size_t			 rows = tui_page_rows(t), i;
	int			 y = 2;

	if (t->search != NULL)
		snprintf(title, sizeof title, "Event log (%zu events)   "
		    "search: %s", t->nlog, t->search);
	else
		snprintf(title, sizeof title, "Event log (%zu events)",
		    t->nlog);
	draw_title(title);
	tui_term_put(1, 1, COLS, TUI_STYLE_DIM,
	    "TIME        TYPE      DOOR       PERSON  DETAILS");
	if (t->cursor >= t->nlog)
		t->cursor = t->nlog > 0 ? t->nlog - 1 : 0;
	draw_scroll(&t->top, t->cursor, rows);
	for (i = t->top; i < t->nlog && i < t->top + rows; i++, y++) {
		e = &t->log[t->nlog - 1 - i];
		style = TUI_STYLE_NORMAL;
		if (i == t->cursor) {
			style = TUI_STYLE_SELECTED;
			tui_term_fill(y, 0, COLS, style);
		} else if (tui_log_match(e, t->search))
			style = TUI_STYLE_WARN;
		tui_term_put(y, 1, 11, style, draw_time(e->time, when,
		    sizeof when));
		tui_term_put(y, 13, COLS - 14, style, e->line);
	}
	if (t->nlog == 0)
		tui_term_put(2, 1, COLS, TUI_STYLE_DIM, "(no events yet)");
}

/* The columns of the outbox page. */
#define OUTBOX_DOOR	1
#define OUTBOX_ROW	12
#define OUTBOX_STATE	19
#define OUTBOX_KIND	27
#define OUTBOX_TRIES	35
#define OUTBOX_WHEN	41
#define OUTBOX_DEST	54

/*
 * The outbox page: the failed and queued rows of every door, one a line,
 * and under them what the selected one is about, its next try and its
 * last error, with the retry offered where the role is admin.
 */
static void
draw_outbox(struct tui *t)
{
	const struct proto_command	*retry;
	const struct tui_outbox_row	*r;
	enum tui_style			 style;
	const char			*state, *error;
	char				 title[128], when[32], buf[512];
	size_t				 rows, i, failed = 0;
	double				 last, next;
	int				 y = 2, lines = draw_rows(t);

	for (i = 0; i < t->noutbox; i++) {
		state = draw_string(t->outbox[i].row, "state");
		failed += state != NULL && strcmp(state, "failed") == 0;
	}
	snprintf(title, sizeof title, "Outbox (%zu failed, %zu queued)", failed,
	    t->noutbox - failed);
	draw_title(title);
	tui_term_put(1, OUTBOX_DOOR, 10, TUI_STYLE_DIM, "DOOR");
	tui_term_put(1, OUTBOX_ROW, 6, TUI_STYLE_DIM, "ROW");
	tui_term_put(1, OUTBOX_STATE, 7, TUI_STYLE_DIM, "STATE");
	tui_term_put(1, OUTBOX_KIND, 7, TUI_STYLE_DIM, "KIND");
	tui_term_put(1, OUTBOX_TRIES, 5, TUI_STYLE_DIM, "TRIES");
	tui_term_put(1, OUTBOX_WHEN, 12, TUI_STYLE_DIM, "LAST TRY");
	tui_term_put(1, OUTBOX_DEST, COLS - OUTBOX_DEST - 1, TUI_STYLE_DIM,
	    "DESTINATION");

	/* The title, the header, two lines of details, message and keys. */
	rows = lines > 7 ? (size_t)lines - 6 : 1;
	if (t->cursor >= t->noutbox)
		t->cursor = t->noutbox > 0 ? t->noutbox - 1 : 0;
	draw_scroll(&t->top, t->cursor, rows);
	for (i = t->top; i < t->noutbox && i < t->top + rows; i++, y++) {
		r = &t->outbox[i];
		state = draw_string(r->row, "state");
		style = state != NULL && strcmp(state, "failed") == 0 ?
		    TUI_STYLE_BAD : TUI_STYLE_NORMAL;
		if (i == t->cursor) {
			style = TUI_STYLE_SELECTED;
			tui_term_fill(y, 0, COLS, style);
		}
		last = draw_number(r->row, "last_try", 0);
		tui_term_put(y, OUTBOX_DOOR, 10, style, r->agent->name);
		tui_term_printf(y, OUTBOX_ROW, 6, style, "#%.0f",
		    draw_number(r->row, "row", 0));
		tui_term_put(y, OUTBOX_STATE, 7, style, state != NULL ? state :
		    "?");
		tui_term_put(y, OUTBOX_KIND, 7, style,
		    draw_string(r->row, "kind") != NULL ?
		    draw_string(r->row, "kind") : "?");
		tui_term_printf(y, OUTBOX_TRIES, 5, style, "%.0f",
		    draw_number(r->row, "attempts", 0));
		tui_term_put(y, OUTBOX_WHEN, 12, style, last > 0 ?
		    draw_time((int64_t)last, when, sizeof when) : "-");
		tui_term_put(y, OUTBOX_DEST, COLS - OUTBOX_DEST - 1, style,
		    draw_string(r->row, "destination") != NULL ?
		    draw_string(r->row, "destination") : "-");
	}
	if (t->noutbox == 0) {
		if (t->outbox_unread > 0)
			snprintf(buf, sizeof buf, "(the outbox of %zu door%s "
			    "could not be read)", t->outbox_unread,
			    t->outbox_unread == 1 ? "" : "s");
		else
			snprintf(buf, sizeof buf, "(no notification is queued "
			    "or failed: nothing waits to be sent)");
		tui_term_put(2, 1, COLS - 2, TUI_STYLE_DIM, buf);
		return;
	}

	r = &t->outbox[t->cursor];
	state = draw_string(r->row, "state");
	next = draw_number(r->row, "next_try", 0);
	retry = proto_command_find("outbox retry");
	if (state != NULL && strcmp(state, "failed") == 0)
		snprintf(buf, sizeof buf, "#%.0f at %s, for event %.0f: "
		    "dead-lettered%s", draw_number(r->row, "row", 0),
		    r->agent->name, draw_number(r->row, "event", 0),
		    r->agent->state == TUI_AGENT_UP &&
		    proto_role_allows(r->agent->role, retry) ?
		    "; Enter or r queues it again" : "");
	else
		snprintf(buf, sizeof buf, "#%.0f at %s, for event %.0f: next "
		    "try %s", draw_number(r->row, "row", 0), r->agent->name,
		    draw_number(r->row, "event", 0), next > 0 ?
		    draw_time((int64_t)next, when, sizeof when) : "?");
	tui_term_put(lines - 4, 1, COLS - 2, TUI_STYLE_NORMAL, buf);
	error = draw_string(r->row, "last_error");
	tui_term_printf(lines - 3, 1, COLS - 2, error != NULL ?
	    TUI_STYLE_BAD : TUI_STYLE_DIM, "last error: %s", error != NULL ?
	    error : "none");
}

/* The columns of the alarms page. */
#define ALARMS_DOOR	1
#define ALARMS_ID	12
#define ALARMS_TIME	20
#define ALARMS_WHAT	32
#define ALARMS_STATE	13	/* from the right */

/*
 * The alarms page: every door's alarms, the waiting ones first, one a
 * line, and under them the selected one's reason and person, and who
 * acknowledged it, or how to.
 */
static void
draw_alarms(struct tui *t)
{
	const struct proto_command	*ack = proto_command_find("ack");
	const struct tui_alarm		*al;
	enum tui_style			 style;
	char				 title[128], when[32], buf[512];
	size_t				 rows, i, waiting = 0;
	int				 y = 2, lines = draw_rows(t), sx;

	for (i = 0; i < t->nalarm_rows; i++)
		waiting += t->alarm_rows[i].acked_by == NULL;
	snprintf(title, sizeof title, "Alarms (%zu waiting, %zu acknowledged)",
	    waiting, t->nalarm_rows - waiting);
	draw_title(title);
	sx = COLS - ALARMS_STATE;
	tui_term_put(1, ALARMS_DOOR, 10, TUI_STYLE_DIM, "DOOR");
	tui_term_put(1, ALARMS_ID, 7, TUI_STYLE_DIM, "ALARM");
	tui_term_put(1, ALARMS_TIME, 11, TUI_STYLE_DIM, "TIME");
	tui_term_put(1, ALARMS_WHAT, sx - ALARMS_WHAT - 1, TUI_STYLE_DIM,
	    "WHAT");
	tui_term_put(1, sx, ALARMS_STATE - 1, TUI_STYLE_DIM, "STATE");

	/* The title, the header, two lines of details, message and keys. */
	rows = lines > 7 ? (size_t)lines - 6 : 1;
	if (t->cursor >= t->nalarm_rows)
		t->cursor = t->nalarm_rows > 0 ? t->nalarm_rows - 1 : 0;
	draw_scroll(&t->top, t->cursor, rows);
	for (i = t->top; i < t->nalarm_rows && i < t->top + rows; i++, y++) {
		al = &t->alarm_rows[i];
		style = al->acked_by == NULL ? TUI_STYLE_BAD : TUI_STYLE_NORMAL;
		if (i == t->cursor) {
			style = TUI_STYLE_SELECTED;
			tui_term_fill(y, 0, COLS, style);
		}
		tui_term_put(y, ALARMS_DOOR, 10, style, al->agent->name);
		tui_term_printf(y, ALARMS_ID, 7, style, "#%lld",
		    (long long)al->id);
		tui_term_put(y, ALARMS_TIME, 11, style, draw_time(al->time,
		    when, sizeof when));
		tui_term_put(y, ALARMS_WHAT, sx - ALARMS_WHAT - 1, style,
		    batch_alarm_kind(al->kind));
		tui_term_put(y, sx, ALARMS_STATE - 1, style,
		    al->acked_by == NULL ? "waiting" : "acknowledged");
	}
	if (t->nalarm_rows == 0) {
		if (t->alarm_unread > 0)
			snprintf(buf, sizeof buf, "(the alarms of %zu door%s "
			    "could not be read)", t->alarm_unread,
			    t->alarm_unread == 1 ? "" : "s");
		else
			snprintf(buf, sizeof buf, "(no alarm yet)");
		tui_term_put(2, 1, COLS - 2, TUI_STYLE_DIM, buf);
		return;
	}

	al = &t->alarm_rows[t->cursor];
	snprintf(buf, sizeof buf, "#%lld at %s%s%s%s%s", (long long)al->id,
	    al->agent->name, al->person != NULL ? ": " : "",
	    al->person != NULL ? al->person : "",
	    al->reason != NULL ? "; reason: " : "",
	    al->reason != NULL ? al->reason : "");
	tui_term_put(lines - 4, 1, COLS - 2, TUI_STYLE_NORMAL, buf);
	if (al->acked_by != NULL)
		snprintf(buf, sizeof buf, "acknowledged by %s at %s%s%s",
		    al->acked_by, draw_time(al->acked_at, when, sizeof when),
		    al->note != NULL ? ": " : "", al->note != NULL ?
		    al->note : "");
	else if (al->agent->state != TUI_AGENT_UP)
		snprintf(buf, sizeof buf, "waiting; %s is not connected",
		    al->agent->name);
	else if (ack != NULL && !proto_role_allows(al->agent->role, ack))
		snprintf(buf, sizeof buf, "waiting for a guard: you are %s at "
		    "%s", proto_role_name(al->agent->role), al->agent->name);
	else
		snprintf(buf, sizeof buf, "waiting: Enter or K acknowledges "
		    "it");
	tui_term_put(lines - 3, 1, COLS - 2, al->acked_by != NULL ?
	    TUI_STYLE_DIM : TUI_STYLE_WARN, buf);
}

/* Frees the banner's photo. */
void
tui_banner_clear(struct tui_banner *b)
{
	render_grid_free(b->grid);
	free(b->error);
	memset(b, 0, sizeof *b);
}

/* The photo of the banner's alarm AL, fitted into W x H cells at (Y, X). */
static void
draw_banner_photo(struct tui *t, const struct tui_alarm *al, int y, int x,
    int w, int h)
{
	struct tui_banner	*b = &t->banner;
	char			*cause;

	/* A grid is made for one photo at one size: made again on resize. */
	if (b->agent != al->agent || b->id != al->id || b->w != w ||
	    b->h != h || (b->grid == NULL && b->error == NULL)) {
		tui_banner_clear(b);
		b->agent = al->agent;
		b->id = al->id;
		b->w = w;
		b->h = h;
		b->grid = render_photo(al->photo, al->photo_len, w, h, t->mode,
		    &cause);
		if (b->grid == NULL)
			b->error = cause;
	}
	if (b->grid == NULL) {
		tui_term_put(y + h / 2, x, w, TUI_STYLE_ALARM, "(no photo)");
		return;
	}
	render_draw(stdscr, y + (h - b->grid->h) / 2, x + (w - b->grid->w) / 2,
	    b->grid);
}

/*
 * The banner of the newest waiting alarm, above the message line: the
 * door and what happened in words, when, the reason and the person, the
 * face on the right when the alarm has one, how many wait, and the keys,
 * or why this console cannot acknowledge it.
 */
static void
draw_banner(struct tui *t)
{
	const struct proto_command	*ack = proto_command_find("ack");
	const struct tui_alarm		*al;
	struct tui_agent		*a;
	char				 buf[256], count[64], when[32], age[16];
	int				 h = tui_banner_rows(t), y0, pw = 0, tw;
	int				 y, i, cw = 0, cy;

	if (h == 0)
		return;
	al = t->alarms[0];
	a = al->agent;
	y0 = LINES - 2 - h;
	for (i = 0; i < h; i++)
		tui_term_fill(y0 + i, 0, COLS, TUI_STYLE_ALARM);
	/*
	 * A cell is a pixel wide and two tall: a square face is 2h across.
	 * A narrow screen keeps its width for the words.
	 */
	if (al->photo != NULL && COLS >= 60) {
		pw = 2 * h < COLS / 3 ? 2 * h : COLS / 3;
		draw_banner_photo(t, al, y0, COLS - 1 - pw, pw, h);
	}
	tw = COLS - 2 - (pw > 0 ? pw + 2 : 0);

	/* The count on the right of the first line, or of the second. */
	cy = y0;
	if (t->nalarms > 1) {
		snprintf(count, sizeof count, "newest of %zu alarms",
		    t->nalarms);
		cw = (int)strlen(count);
		if (tw - cw < 40)
			cy = y0 + 1;
		tui_term_put(cy, 1 + tw - cw, cw, TUI_STYLE_ALARM, count);
		cw += 2;
	}
	tui_term_printf(y0, 1, tw - (cy == y0 ? cw : 0), TUI_STYLE_ALARM,
	    "ALARM at %s: %s", a->name, batch_alarm_kind(al->kind));
	tui_term_printf(y0 + 1, 3, tw - 2 - (cy == y0 ? 0 : cw),
	    TUI_STYLE_ALARM, "#%lld  %s (%s ago)", (long long)al->id,
	    draw_time(al->time, when, sizeof when), draw_age(al->time, age,
	    sizeof age));
	y = y0 + 2;
	/* A deny-list alarm's reason is its kind again. */
	if (al->reason != NULL && strcmp(al->reason, al->kind) != 0 &&
	    y < y0 + h - 1)
		tui_term_printf(y++, 3, tw - 2, TUI_STYLE_ALARM, "Reason: %s",
		    al->reason);
	if (al->person != NULL && y < y0 + h - 1)
		tui_term_printf(y++, 3, tw - 2, TUI_STYLE_ALARM, "Person: %s",
		    al->person);

	if (a->state != TUI_AGENT_UP)
		snprintf(buf, sizeof buf, "%s is not connected: acknowledge it "
		    "when it is back    ! all alarms", a->name);
	else if (ack != NULL && !proto_role_allows(a->role, ack))
		snprintf(buf, sizeof buf, "Only a guard can acknowledge it: "
		    "you are %s at %s    ! all alarms",
		    proto_role_name(a->role), a->name);
	else
		snprintf(buf, sizeof buf, "K acknowledge    ! all alarms");
	tui_term_put(y0 + h - 1, 3, tw - 2, TUI_STYLE_ALARM, buf);
}

/* Whether the screen shows something that changes with time alone. */
int
tui_draw_timed(struct tui *t)
{
	size_t	i;

	if (t->screen == TUI_SCREEN_VISIT)
		return 1;
	/* The banner's age. */
	if (tui_banner_rows(t) > 0)
		return 1;
	if (t->screen != TUI_SCREEN_MAIN)
		return 0;
	if (t->npending > 0)
		return 1;
	for (i = 0; i < t->nagents; i++) {
		if (t->agents[i].state == TUI_AGENT_RETRY)
			return 1;
		/* A face's word goes away. */
		if (t->agents[i].sighting != NULL && loop_now_ms() -
		    t->agents[i].sighting_at < TUI_SIGHTING_MS + 1000)
			return 1;
	}
	return 0;
}

void
tui_draw(struct tui *t)
{
	char	hints[512];

	t->dirty = 0;
	tui_term_begin();
	curs_set(0);
	if (COLS < DRAW_COLS_MIN || LINES < DRAW_LINES_MIN) {
		tui_term_put(0, 0, COLS, TUI_STYLE_BAD, "The terminal is too "
		    "small.");
		wnoutrefresh(stdscr);
		doupdate();
		return;
	}
	switch (t->screen) {
	case TUI_SCREEN_MAIN:
		draw_main(t);
		break;
	case TUI_SCREEN_VISIT:
		draw_detail(t);
		break;
	case TUI_SCREEN_PEOPLE:
		draw_lines(t, "People");
		break;
	case TUI_SCREEN_LOG:
		draw_log(t);
		break;
	case TUI_SCREEN_HELP:
		draw_lines(t, "Help");
		break;
	case TUI_SCREEN_OUTBOX:
		draw_outbox(t);
		break;
	case TUI_SCREEN_ALARMS:
		draw_alarms(t);
		break;
	}
	draw_banner(t);
	if (t->message != NULL)
		tui_term_put(LINES - 2, 1, COLS - 2, t->message_bad ?
		    TUI_STYLE_BAD : TUI_STYLE_NORMAL, t->message);
	tui_term_fill(LINES - 1, 0, COLS, TUI_STYLE_TITLE);
	tui_term_put(LINES - 1, 1, COLS - 2, TUI_STYLE_TITLE,
	    tui_hints(t, hints, (size_t)COLS - 1 < sizeof hints ?
	    (size_t)COLS - 1 : sizeof hints));
	tui_modal_draw(t);
	wnoutrefresh(stdscr);
	doupdate();
}
