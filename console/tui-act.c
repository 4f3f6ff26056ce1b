/*
 * What the interactive console's keys do (tui.h): the visitor's page, the
 * decisions (approve, deny, "this is"), opening a door by hand, the
 * people, log and help pages, the outbox page with its retry, and the
 * alarms: the page and the acknowledgement. Each request waits for its
 * reply; a failure is a line on the message line.
 */
#include <sys/types.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base64.h"
#include "batch.h"
#include "tui.h"
#include "xmalloc.h"

/* How long a validity the approve form offers. */
#define TUI_VALID_FOR	"8h"

/*
 * The states of the rows the outbox page lists, in its order: dead
 * letters first, as they want a hand, then what waits to be sent. Sent
 * rows are left out: they need nothing, and would push the others out of
 * the agent's 200.
 */
static const char *const tui_outbox_states[] = { "failed", "queued" };
#define TUI_OUTBOX_NSTATES \
	(sizeof tui_outbox_states / sizeof tui_outbox_states[0])

/* A string member of OBJ, or NULL. */
static const char *
tui_string(const cJSON *obj, const char *key)
{
	const cJSON	*item = cJSON_GetObjectItemCaseSensitive(obj, key);

	return cJSON_IsString(item) ? item->valuestring : NULL;
}

/* Shows the error reply REP to CMD, and clears it. */
static void
tui_error_reply(struct tui *t, const char *cmd, struct proto_reply *rep)
{
	tui_message(t, 1, "%s: %s: %s", cmd, proto_error_name(rep->code),
	    rep->message);
	proto_reply_clear(rep);
}

/*
 * Opens (or refreshes) the page of visit ID at A, keeping the photo shown
 * when it is the same visit. 0, or -1 with a message.
 */
int
tui_detail_open(struct tui *t, struct tui_agent *a, int64_t id)
{
	struct tui_detail	*d = &t->detail;
	struct proto_reply	 rep;
	const cJSON		*photo, *photos;
	size_t			 index = 0, len;
	uint8_t			*buf;
	cJSON			*args;

	if (d->agent == a && d->id == id)
		index = d->index;
	d->stale = 0;
	args = cJSON_CreateObject();
	cJSON_AddNumberToObject(args, "visit", (double)id);
	if (tui_agent_call(a, "visit", args, &rep) != 0)
		return -1;
	if (!rep.ok) {
		tui_error_reply(t, "visit", &rep);
		return -1;
	}
	tui_detail_clear(d);
	d->agent = a;
	d->id = id;
	d->visit = rep.result;
	cJSON_DetachItemViaPointer(rep.root, rep.result);
	proto_reply_clear(&rep);
	photos = cJSON_GetObjectItemCaseSensitive(d->visit, "photos");
	cJSON_ArrayForEach(photo, photos) {
		if (!cJSON_IsString(photo) ||
		    (buf = base64_decode(photo->valuestring,
		    PROTO_REPLY_LINE_MAX, &len)) == NULL)
			continue;
		d->photos = xreallocarray(d->photos, d->nphotos + 1,
		    sizeof *d->photos);
		d->sizes = xreallocarray(d->sizes, d->nphotos + 1,
		    sizeof *d->sizes);
		d->photos[d->nphotos] = buf;
		d->sizes[d->nphotos++] = len;
	}
	d->index = index < d->nphotos ? index : 0;
	d->grid_index = (size_t)-1;
	t->screen = TUI_SCREEN_VISIT;
	t->dirty = 1;
	return 0;
}

/* Back to the main screen, leaving a visitor's page or a list. */
void
tui_main_screen(struct tui *t)
{
	size_t	i;

	tui_detail_clear(&t->detail);
	for (i = 0; i < t->nlines; i++)
		free(t->lines[i]);
	free(t->lines);
	t->lines = NULL;
	t->nlines = 0;
	for (i = 0; i < t->noutbox; i++)
		cJSON_Delete(t->outbox[i].row);
	free(t->outbox);
	t->outbox = NULL;
	t->noutbox = 0;
	t->outbox_unread = 0;
	for (i = 0; i < t->nalarm_rows; i++)
		tui_alarm_clear(&t->alarm_rows[i]);
	free(t->alarm_rows);
	t->alarm_rows = NULL;
	t->nalarm_rows = 0;
	t->alarm_unread = 0;
	t->alarm_rows_stale = 0;
	free(t->header);
	t->header = NULL;
	t->top = 0;
	t->screen = TUI_SCREEN_MAIN;
	t->dirty = 1;
}

/*
 * The visitor a key is about: the page's, or the one selected. 0, or -1
 * with a message when there is none, its door is offline, or CMD needs a
 * stronger role there.
 */
static int
tui_target(struct tui *t, const char *cmd, struct tui_agent **ap,
    int64_t *idp)
{
	const struct proto_command	*c = proto_command_find(cmd);
	struct tui_visit		*v;
	struct tui_agent		*a;

	if (t->screen == TUI_SCREEN_VISIT) {
		a = t->detail.agent;
		*idp = t->detail.id;
	} else if ((v = tui_visit_find(t, t->sel_agent, t->sel_visit)) !=
	    NULL) {
		a = v->agent;
		*idp = v->id;
	} else {
		tui_message(t, 1, "no visitor is selected");
		return -1;
	}
	if (a->state != TUI_AGENT_UP) {
		tui_message(t, 1, "%s is not connected", a->name);
		return -1;
	}
	if (c != NULL && !proto_role_allows(a->role, c)) {
		tui_message(t, 1, "%s needs role %s; you are %s at %s", cmd,
		    proto_role_name(c->min_role), proto_role_name(a->role),
		    a->name);
		return -1;
	}
	*ap = a;
	return 0;
}

/* Appends a formatted line to *S. */
static void __attribute__((format(printf, 2, 3)))
tui_append(char **s, const char *fmt, ...)
{
	va_list	 ap;
	char	*line, *out;

	va_start(ap, fmt);
	if (vasprintf(&line, fmt, ap) == -1)
		line = NULL;
	va_end(ap);
	if (line == NULL)
		return;
	xasprintf(&out, "%s%s\n", *s != NULL ? *s : "", line);
	free(line);
	free(*s);
	*s = out;
}

/* MS as a full local time. */
static const char *
tui_date(double ms, char *buf, size_t size)
{
	struct tm	tm;
	time_t		t = (time_t)(ms / 1000);

	if (localtime_r(&t, &tm) == NULL ||
	    strftime(buf, size, "%Y-%m-%d %H:%M", &tm) == 0)
		snprintf(buf, size, "?");
	return buf;
}

/* After a decision: the pending list changes; a visitor's page closes. */
static void
tui_decided(struct tui *t, struct tui_agent *a)
{
	a->stale_pending = 1;
	if (t->screen == TUI_SCREEN_VISIT)
		tui_main_screen(t);
}

/* Shows what "approve" gave: validity, PIN, the pass's QR code. */
static void
tui_approved(struct tui *t, struct tui_agent *a, int64_t id,
    const cJSON *r)
{
	struct tui_modal	*note;
	const cJSON		*from, *to, *templates;
	const char		*person, *token, *pass, *pin;
	char			*text = NULL, *cause, d1[32], d2[32];
	struct render_grid	*qr = NULL;

	person = tui_string(r, "person");
	token = tui_string(r, "token");
	pass = tui_string(r, "pass");
	pin = tui_string(r, "pin");
	from = cJSON_GetObjectItemCaseSensitive(r, "not_before");
	to = cJSON_GetObjectItemCaseSensitive(r, "expires");
	templates = cJSON_GetObjectItemCaseSensitive(r, "templates");

	tui_append(&text, "Visit #%lld at %s is approved%s%s.", (long long)id,
	    a->name, person != NULL ? " for " : "",
	    person != NULL ? person : "");
	if (cJSON_IsNumber(from) && cJSON_IsNumber(to))
		tui_append(&text, "Valid from %s to %s.", tui_date(
		    from->valuedouble, d1, sizeof d1), tui_date(
		    to->valuedouble, d2, sizeof d2));
	if (cJSON_IsNumber(templates))
		tui_append(&text, "Face enrolled: %d template%s.",
		    templates->valueint, templates->valueint == 1 ? "" : "s");
	if (pin != NULL)
		tui_append(&text, "PIN: %s", pin);
	if (token != NULL) {
		if ((qr = render_qr(token, &cause)) == NULL) {
			tui_append(&text, "pass: %s", cause);
			free(cause);
		} else
			tui_append(&text, "The pass%s%s, for the door:",
			    pass != NULL ? " " : "", pass != NULL ? pass : "");
	} else if (pass != NULL)
		tui_append(&text, "pass: %s", pass);
	else
		tui_append(&text, "pass: not issued by this agent version");

	note = tui_note_new("Approved", text);
	note->qr = qr;
	free(text);
	tui_modal_open(t, note);
	tui_message(t, 0, "visit #%lld at %s approved", (long long)id,
	    a->name);
}

/* The approve form answered: "approve" with what it holds. */
static void
tui_approve_done(struct tui *t, struct tui_modal *m)
{
	static const char *const keys[] = { "name", "email", "phone",
	    "valid_for" };
	struct proto_reply	 rep;
	struct tui_agent	*a = m->agent;
	char			*value;
	size_t			 i;
	cJSON			*args;

	args = cJSON_CreateObject();
	cJSON_AddNumberToObject(args, "visit", (double)m->visit);
	for (i = 0; i < sizeof keys / sizeof keys[0]; i++) {
		value = tui_form_value(m, i);
		if (*value != '\0')
			cJSON_AddStringToObject(args, keys[i], value);
		free(value);
	}
	if (m->flags)
		cJSON_AddTrueToObject(args, "enroll");
	if (tui_agent_call(a, "approve", args, &rep) != 0)
		return;
	if (!rep.ok) {
		tui_error_reply(t, "approve", &rep);
		return;
	}
	tui_decided(t, a);
	tui_approved(t, a, m->visit, rep.result);
	proto_reply_clear(&rep);
}

/* Approve (ENROLL: and enrol): the form. */
void
tui_key_approve(struct tui *t, int enroll)
{
	struct tui_modal	*m;
	struct tui_visit	*v;
	struct tui_agent	*a;
	const char		*name = NULL, *email = NULL, *phone = NULL;
	char			*title;
	int64_t			 id;

	if (tui_target(t, "approve", &a, &id) != 0)
		return;
	/* What the visitor typed at the kiosk, to start with. */
	if (t->screen == TUI_SCREEN_VISIT) {
		name = tui_string(t->detail.visit, "name");
		email = tui_string(t->detail.visit, "email");
		phone = tui_string(t->detail.visit, "phone");
	} else if ((v = tui_visit_find(t, a, id)) != NULL) {
		name = v->name;
		email = v->email;
	}
	xasprintf(&title, "%s visit #%lld at %s", enroll ?
	    "Approve and enrol" : "Approve", (long long)id, a->name);
	m = tui_form_new(title, tui_approve_done);
	free(title);
	tui_form_field(m, "Name", TUI_FIELD_REQUIRED, name);
	tui_form_field(m, "E-mail", TUI_FIELD_REQUIRED|TUI_FIELD_EMAIL, email);
	tui_form_field(m, "Phone", 0, phone);
	tui_form_field(m, "Valid for", TUI_FIELD_REQUIRED|TUI_FIELD_DURATION,
	    TUI_VALID_FOR);
	m->agent = a;
	m->visit = id;
	m->flags = enroll;
	tui_modal_open(t, m);
}

/* The deny question answered yes: "deny". */
static void
tui_deny_done(struct tui *t, struct tui_modal *m)
{
	struct proto_reply	 rep;
	const cJSON		*entry;
	cJSON			*args;

	args = cJSON_CreateObject();
	cJSON_AddNumberToObject(args, "visit", (double)m->visit);
	if (m->flags)
		cJSON_AddTrueToObject(args, "deny_list");
	if (tui_agent_call(m->agent, "deny", args, &rep) != 0)
		return;
	if (!rep.ok) {
		tui_error_reply(t, "deny", &rep);
		return;
	}
	entry = cJSON_GetObjectItemCaseSensitive(rep.result, "entry");
	if (cJSON_IsNumber(entry))
		tui_message(t, 0, "visit #%lld at %s denied; the face is on "
		    "the deny list (entry %.0f)", (long long)m->visit,
		    m->agent->name, entry->valuedouble);
	else
		tui_message(t, 0, "visit #%lld at %s denied",
		    (long long)m->visit, m->agent->name);
	proto_reply_clear(&rep);
	tui_decided(t, m->agent);
}

/* Deny (DENY_LIST: and deny-list the face): the question. */
void
tui_key_deny(struct tui *t, int deny_list)
{
	struct tui_modal	*m;
	struct tui_agent	*a;
	char			*text;
	int64_t			 id;

	if (tui_target(t, "deny", &a, &id) != 0)
		return;
	if (deny_list)
		xasprintf(&text, "Deny visit #%lld at %s and deny-list the "
		    "face? It raises an alarm when it comes back.",
		    (long long)id, a->name);
	else
		xasprintf(&text, "Deny visit #%lld at %s?", (long long)id,
		    a->name);
	m = tui_confirm_new(deny_list ? "Deny and deny-list" : "Deny", text,
	    tui_deny_done);
	free(text);
	m->agent = a;
	m->visit = id;
	m->flags = deny_list;
	tui_modal_open(t, m);
}

/* The person chosen: "enroll" the visit's face to them. */
static void
tui_enroll_done(struct tui *t, struct tui_modal *m)
{
	struct proto_reply	 rep;
	const cJSON		*w, *warnings, *templates;
	const char		*person;
	char			*text = NULL, id[32];
	ssize_t			 i;
	cJSON			*args;

	if ((i = tui_pick_index(m)) == -1)
		return;
	/* By id: a name of digits would be read as an id. */
	snprintf(id, sizeof id, "%lld", (long long)m->ids[i]);
	args = cJSON_CreateObject();
	cJSON_AddNumberToObject(args, "visit", (double)m->visit);
	cJSON_AddStringToObject(args, "person", id);
	if (tui_agent_call(m->agent, "enroll", args, &rep) != 0)
		return;
	if (!rep.ok) {
		tui_error_reply(t, "enroll", &rep);
		return;
	}
	person = tui_string(rep.result, "person");
	templates = cJSON_GetObjectItemCaseSensitive(rep.result, "templates");
	tui_message(t, 0, "visit #%lld at %s is %s: %d template%s added",
	    (long long)m->visit, m->agent->name, person != NULL ? person :
	    m->items[i], cJSON_IsNumber(templates) ? templates->valueint : 0,
	    cJSON_IsNumber(templates) && templates->valueint == 1 ? "" : "s");
	warnings = cJSON_GetObjectItemCaseSensitive(rep.result, "warnings");
	cJSON_ArrayForEach(w, warnings) {
		if (cJSON_IsString(w))
			tui_append(&text, "%s", w->valuestring);
	}
	proto_reply_clear(&rep);
	/* The visit stays pending; its nearest person is now this one. */
	m->agent->stale_pending = 1;
	if (t->screen == TUI_SCREEN_VISIT)
		t->detail.stale = 1;
	if (text != NULL) {
		tui_modal_open(t, tui_note_new("Enrolled, with warnings",
		    text));
		free(text);
	}
}

/* "This is PERSON": the list of people at the visitor's door. */
void
tui_key_enroll(struct tui *t, int arg)
{
	struct proto_reply	 rep;
	struct tui_modal	*m;
	struct tui_agent	*a;
	const cJSON		*p, *people, *id, *templates;
	const char		*name;
	char			**items = NULL, *title;
	int64_t			*ids = NULL, visit;
	size_t			 n = 0;

	(void)arg;
	if (tui_target(t, "enroll", &a, &visit) != 0)
		return;
	if (tui_agent_call(a, "people", NULL, &rep) != 0)
		return;
	if (!rep.ok) {
		tui_error_reply(t, "people", &rep);
		return;
	}
	people = cJSON_GetObjectItemCaseSensitive(rep.result, "people");
	cJSON_ArrayForEach(p, people) {
		name = tui_string(p, "name");
		id = cJSON_GetObjectItemCaseSensitive(p, "id");
		templates = cJSON_GetObjectItemCaseSensitive(p, "templates");
		if (name == NULL || !cJSON_IsNumber(id))
			continue;
		items = xreallocarray(items, n + 1, sizeof *items);
		ids = xreallocarray(ids, n + 1, sizeof *ids);
		xasprintf(&items[n], "%s (%d template%s)", name,
		    cJSON_IsNumber(templates) ? templates->valueint : 0,
		    cJSON_IsNumber(templates) && templates->valueint == 1 ?
		    "" : "s");
		ids[n++] = (int64_t)id->valuedouble;
	}
	proto_reply_clear(&rep);
	if (n == 0) {
		tui_message(t, 1, "no one is enrolled at %s", a->name);
		return;
	}
	xasprintf(&title, "Visit #%lld at %s is", (long long)visit, a->name);
	m = tui_pick_new(title, items, n, tui_enroll_done);
	free(title);
	m->ids = ids;
	m->agent = a;
	m->visit = visit;
	tui_modal_open(t, m);
}

/* The door open question answered yes: "door open". */
static void
tui_door_done(struct tui *t, struct tui_modal *m)
{
	struct proto_reply	 rep;
	const cJSON		*pulse;
	cJSON			*args;

	args = cJSON_CreateObject();
	cJSON_AddStringToObject(args, "reason", m->saved);
	if (tui_agent_call(m->agent, "door open", args, &rep) != 0)
		return;
	if (!rep.ok) {
		tui_error_reply(t, "door open", &rep);
		return;
	}
	pulse = cJSON_GetObjectItemCaseSensitive(rep.result, "pulse");
	tui_message(t, 0, "the door at %s is open for %.0f ms",
	    m->agent->name, cJSON_IsNumber(pulse) ? pulse->valuedouble : 0.0);
	proto_reply_clear(&rep);
}

/* The reason given: the question. */
static void
tui_door_reason_done(struct tui *t, struct tui_modal *m)
{
	struct tui_modal	*q;
	char			*reason, *text;

	reason = tui_form_value(m, 0);
	xasprintf(&text, "Open the door at %s now? The reason \"%s\" is "
	    "logged.", m->agent->name, reason);
	q = tui_confirm_new("Open the door", text, tui_door_done);
	free(text);
	q->agent = m->agent;
	q->saved = reason;
	tui_modal_open(t, q);
}

/* Asks why the door at A is opened. */
static void
tui_door_reason(struct tui *t, struct tui_agent *a)
{
	struct tui_modal	*m;
	char			*title;

	xasprintf(&title, "Open the door at %s by hand", a->name);
	m = tui_form_new(title, tui_door_reason_done);
	free(title);
	tui_form_field(m, "Reason", TUI_FIELD_REQUIRED, NULL);
	m->agent = a;
	tui_modal_open(t, m);
}

/* The door chosen. */
static void
tui_door_pick_done(struct tui *t, struct tui_modal *m)
{
	ssize_t	i;

	if ((i = tui_pick_index(m)) != -1)
		tui_door_reason(t, &t->agents[m->ids[i]]);
}

/* Opens a door by hand: which door (of those where the role is admin). */
void
tui_key_door(struct tui *t, int arg)
{
	const struct proto_command	*c = proto_command_find("door open");
	struct tui_modal		*m;
	char				**items = NULL;
	int64_t				*ids = NULL;
	size_t				 i, n = 0;

	(void)arg;
	for (i = 0; i < t->nagents; i++) {
		if (t->agents[i].state != TUI_AGENT_UP ||
		    !proto_role_allows(t->agents[i].role, c))
			continue;
		items = xreallocarray(items, n + 1, sizeof *items);
		ids = xreallocarray(ids, n + 1, sizeof *ids);
		items[n] = xstrdup(t->agents[i].name);
		ids[n++] = (int64_t)i;
	}
	if (n == 0) {
		tui_message(t, 1, "door open needs role admin at a connected "
		    "door");
		return;
	}
	if (n == 1) {
		tui_door_reason(t, &t->agents[ids[0]]);
		free(items[0]);
		free(items);
		free(ids);
		return;
	}
	m = tui_pick_new("Open which door?", items, n, tui_door_pick_done);
	m->ids = ids;
	tui_modal_open(t, m);
}

/* Sets the lines of a page (consumed) and shows it. */
static void
tui_page(struct tui *t, enum tui_screen screen, char *header, char **lines,
    size_t n)
{
	if (screen == TUI_SCREEN_HELP)
		t->help_from = t->screen;
	if (t->screen != TUI_SCREEN_VISIT || screen != TUI_SCREEN_HELP)
		tui_main_screen(t);
	else {
		/* Help over a visitor's page goes back to it. */
		while (t->nlines > 0)
			free(t->lines[--t->nlines]);
		free(t->lines);
		free(t->header);
	}
	t->header = header;
	t->lines = lines;
	t->nlines = n;
	t->top = 0;
	t->screen = screen;
	t->dirty = 1;
}

/* Adds a line to a page. */
static void __attribute__((format(printf, 3, 4)))
tui_line(char ***lines, size_t *n, const char *fmt, ...)
{
	va_list	 ap;
	char	*s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) == -1)
		s = xstrdup("");
	va_end(ap);
	*lines = xreallocarray(*lines, *n + 1, sizeof **lines);
	(*lines)[(*n)++] = s;
}

/* The help page: the keys table, then the commands the role allows. */
void
tui_key_help(struct tui *t, int arg)
{
	const struct proto_command	*c;
	const struct tui_key		*k;
	struct tui_agent		*a, *best = NULL;
	char				**lines = NULL, *header;
	size_t				 i, n = 0;

	(void)arg;
	if (t->screen == TUI_SCREEN_HELP)
		return;
	tui_line(&lines, &n, "Keys");
	for (i = 0; (k = tui_key_at(i)) != NULL; i++)
		tui_line(&lines, &n, " %-12s %-20s %s", k->label,
		    tui_key_where(k), k->description);
	tui_line(&lines, &n, " ");
	for (i = 0; i < t->nagents; i++) {
		a = &t->agents[i];
		if (a->state == TUI_AGENT_UP &&
		    (best == NULL || a->role > best->role))
			best = a;
	}
	if (best != NULL)
		tui_line(&lines, &n, "Commands of role %s (at %s), for "
		    "\"gatehouse COMMAND\"", proto_role_name(best->role),
		    best->name);
	else
		tui_line(&lines, &n, "Commands, for \"gatehouse COMMAND\" "
		    "(no door is connected)");
	for (i = 0; (c = proto_command_at(i)) != NULL; i++) {
		if (c->id == PROTO_CMD_HELLO ||
		    (best != NULL && !proto_role_allows(best->role, c)))
			continue;
		if (best == NULL)
			tui_line(&lines, &n, " %s%s%s  (role %s)", c->name,
			    *c->usage != '\0' ? " " : "", c->usage,
			    proto_role_name(c->min_role));
		else
			tui_line(&lines, &n, " %s%s%s", c->name,
			    *c->usage != '\0' ? " " : "", c->usage);
		tui_line(&lines, &n, "     %s", c->summary);
	}
	xasprintf(&header, " %-12s %-20s %s", "KEY", "WHERE", "WHAT");
	tui_page(t, TUI_SCREEN_HELP, header, lines, n);
}

/* The people page: every connected door's enrolled people. */
void
tui_key_people(struct tui *t, int arg)
{
	struct proto_reply	 rep;
	struct tui_agent	*a;
	const cJSON		*p, *people, *id, *templates, *added;
	const char		*name;
	char			**lines = NULL, *header, date[32];
	size_t			 i, n = 0;

	(void)arg;
	for (i = 0; i < t->nagents; i++) {
		a = &t->agents[i];
		if (a->state != TUI_AGENT_UP)
			continue;
		if (tui_agent_call(a, "people", NULL, &rep) != 0)
			continue;
		if (!rep.ok) {
			tui_error_reply(t, "people", &rep);
			continue;
		}
		people = cJSON_GetObjectItemCaseSensitive(rep.result,
		    "people");
		cJSON_ArrayForEach(p, people) {
			name = tui_string(p, "name");
			id = cJSON_GetObjectItemCaseSensitive(p, "id");
			templates = cJSON_GetObjectItemCaseSensitive(p,
			    "templates");
			added = cJSON_GetObjectItemCaseSensitive(p, "added");
			tui_line(&lines, &n, " %-10s %-7.0f %-28s %9.0f  %s",
			    a->name, cJSON_IsNumber(id) ? id->valuedouble : 0.0,
			    name != NULL ? name : "?",
			    cJSON_IsNumber(templates) ? templates->valuedouble :
			    0.0, cJSON_IsNumber(added) ? tui_date(
			    added->valuedouble, date, sizeof date) : "");
		}
		proto_reply_clear(&rep);
	}
	xasprintf(&header, " %-10s %-7s %-28s %9s  %s", "DOOR", "ID", "NAME",
	    "TEMPLATES", "ADDED");
	tui_page(t, TUI_SCREEN_PEOPLE, header, lines, n);
}

/* The event log page. */
void
tui_key_log(struct tui *t, int arg)
{
	(void)arg;
	tui_main_screen(t);
	t->screen = TUI_SCREEN_LOG;
	t->cursor = 0;
	t->top = 0;
}

/*
 * Moves the selection in the log to the next entry matching the search,
 * from display row FROM in direction DIR (1: older), round the end.
 */
static void
tui_search_from(struct tui *t, size_t from, int dir)
{
	size_t	i, row;

	for (i = 0; i < t->nlog; i++) {
		if (dir > 0)
			row = (from + i) % t->nlog;
		else
			row = (from + t->nlog - i % t->nlog) % t->nlog;
		if (tui_log_match(&t->log[t->nlog - 1 - row], t->search)) {
			t->cursor = row;
			t->dirty = 1;
			return;
		}
	}
	tui_message(t, 1, "not found: %s", t->search);
}

/* The search form answered: nothing typed searches again (as less). */
static void
tui_search_done(struct tui *t, struct tui_modal *m)
{
	char	*what;

	what = tui_form_value(m, 0);
	if (*what == '\0') {
		free(what);
		if (t->search == NULL)
			return;
	} else {
		free(t->search);
		t->search = what;
	}
	if (t->nlog > 0)
		tui_search_from(t, t->cursor, 1);
}

void
tui_key_search(struct tui *t, int arg)
{
	struct tui_modal	*m;

	(void)arg;
	m = tui_form_new("Search the log", tui_search_done);
	tui_form_field(m, "Find", 0, NULL);
	tui_modal_open(t, m);
}

void
tui_key_next(struct tui *t, int dir)
{
	if (t->search == NULL) {
		tui_message(t, 1, "no search yet: / searches");
		return;
	}
	if (t->nlog > 0)
		tui_search_from(t, dir > 0 ? (t->cursor + 1) % t->nlog :
		    (t->cursor + t->nlog - 1) % t->nlog, dir);
}

/*
 * Adds the rows of A's outbox in STATE to *ROWS (*N of them). 0, or -1
 * with a message when the agent refused or the connection failed.
 */
static int
tui_outbox_read(struct tui *t, struct tui_agent *a, const char *state,
    struct tui_outbox_row **rows, size_t *n)
{
	struct proto_reply	 rep;
	cJSON			*args, *list, *row, *next;

	args = cJSON_CreateObject();
	cJSON_AddStringToObject(args, "state", state);
	if (tui_agent_call(a, "outbox", args, &rep) != 0)
		return -1;
	if (!rep.ok) {
		tui_error_reply(t, "outbox", &rep);
		return -1;
	}
	list = cJSON_GetObjectItemCaseSensitive(rep.result, "rows");
	for (row = cJSON_IsArray(list) ? list->child : NULL; row != NULL;
	    row = next) {
		next = row->next;
		if (!cJSON_IsObject(row))
			continue;
		*rows = xreallocarray(*rows, *n + 1, sizeof **rows);
		(*rows)[*n].agent = a;
		(*rows)[(*n)++].row = cJSON_DetachItemViaPointer(list, row);
	}
	proto_reply_clear(&rep);
	return 0;
}

/*
 * The outbox page: the failed rows, then the queued ones, of every
 * connected door where the role may read them. On the page, it reads them
 * again and the selection stays on its line.
 */
void
tui_key_outbox(struct tui *t, int arg)
{
	const struct proto_command	*c = proto_command_find("outbox");
	struct tui_outbox_row		*rows = NULL;
	struct tui_agent		*a;
	size_t				 i, j, n = 0, doors = 0, unread = 0;
	size_t				 cursor;
	char				*bad;

	(void)arg;
	cursor = t->screen == TUI_SCREEN_OUTBOX ? t->cursor : 0;
	bad = xcalloc(t->nagents, 1);
	for (j = 0; j < TUI_OUTBOX_NSTATES; j++) {
		for (i = 0; i < t->nagents; i++) {
			a = &t->agents[i];
			if (bad[i] || a->state != TUI_AGENT_UP ||
			    !proto_role_allows(a->role, c))
				continue;
			if (j == 0)
				doors++;
			if (tui_outbox_read(t, a, tui_outbox_states[j], &rows,
			    &n) != 0) {
				bad[i] = 1;
				unread++;
			}
		}
	}
	free(bad);
	if (doors == 0) {
		tui_message(t, 1, "outbox needs role guard at a connected "
		    "door");
		return;
	}
	tui_main_screen(t);
	t->outbox = rows;
	t->noutbox = n;
	t->outbox_unread = unread;
	t->screen = TUI_SCREEN_OUTBOX;
	t->cursor = cursor < n ? cursor : n > 0 ? n - 1 : 0;
	t->top = 0;
	t->dirty = 1;
}

/* Queues the failed row selected on the outbox page again (admin). */
void
tui_key_retry(struct tui *t, int arg)
{
	const struct proto_command	*c = proto_command_find("outbox retry");
	struct proto_reply		 rep;
	struct tui_agent		*a;
	const cJSON			*row, *item;
	const char			*state;
	double				 id;
	cJSON				*args;

	(void)arg;
	if (t->cursor >= t->noutbox) {
		tui_message(t, 1, "no notification is selected");
		return;
	}
	a = t->outbox[t->cursor].agent;
	row = t->outbox[t->cursor].row;
	item = cJSON_GetObjectItemCaseSensitive(row, "row");
	id = cJSON_IsNumber(item) ? item->valuedouble : -1;
	state = tui_string(row, "state");
	if (id < 0 || state == NULL || strcmp(state, "failed") != 0) {
		tui_message(t, 1, "only a failed notification is queued again");
		return;
	}
	if (a->state != TUI_AGENT_UP) {
		tui_message(t, 1, "%s is not connected", a->name);
		return;
	}
	if (!proto_role_allows(a->role, c)) {
		tui_message(t, 1, "outbox retry needs role %s; you are %s "
		    "at %s", proto_role_name(c->min_role),
		    proto_role_name(a->role), a->name);
		return;
	}
	args = cJSON_CreateObject();
	cJSON_AddNumberToObject(args, "row", id);
	if (tui_agent_call(a, "outbox retry", args, &rep) != 0)
		return;
	if (!rep.ok) {
		tui_error_reply(t, "outbox retry", &rep);
		return;
	}
	proto_reply_clear(&rep);
	tui_key_outbox(t, 0);
	tui_message(t, 0, "notification #%.0f at %s is queued again", id,
	    a->name);
}

/* Compares the rows of the alarms page: the waiting first, newest first. */
static int
tui_alarm_row_cmp(const void *a1, const void *b1)
{
	const struct tui_alarm	*a = a1, *b = b1;

	if ((a->acked_by == NULL) != (b->acked_by == NULL))
		return a->acked_by == NULL ? -1 : 1;
	if (a->time != b->time)
		return a->time > b->time ? -1 : 1;
	if (a->id != b->id)
		return a->id > b->id ? -1 : 1;
	return strcmp(a->agent->name, b->agent->name);
}

/* Whether ROWS (N of them) hold alarm ID of A. */
static int
tui_alarm_listed(const struct tui_alarm *rows, size_t n, struct tui_agent *a,
    int64_t id)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		if (rows[i].agent == a && rows[i].id == id)
			return 1;
	}
	return 0;
}

/*
 * Adds A's alarms (every one, "alarms" with all) to *ROWS. 0, or -1 with
 * a message when the agent refused or the connection failed.
 */
static int
tui_alarms_all(struct tui *t, struct tui_agent *a, struct tui_alarm **rows,
    size_t *n)
{
	struct proto_reply	 rep;
	const cJSON		*list, *item;
	cJSON			*args;

	args = cJSON_CreateObject();
	cJSON_AddTrueToObject(args, "all");
	if (tui_agent_call(a, "alarms", args, &rep) != 0)
		return -1;
	if (!rep.ok) {
		tui_error_reply(t, "alarms", &rep);
		return -1;
	}
	list = cJSON_GetObjectItemCaseSensitive(rep.result, "alarms");
	cJSON_ArrayForEach(item, list) {
		*rows = xreallocarray(*rows, *n + 1, sizeof **rows);
		if (tui_alarm_parse(a, item, &(*rows)[*n]) != 0)
			continue;
		/* The page shows no photo: the banner does. */
		free((*rows)[*n].photo);
		(*rows)[*n].photo = NULL;
		(*rows)[*n].photo_len = 0;
		(*n)++;
	}
	proto_reply_clear(&rep);
	return 0;
}

/* Copies waiting alarm FROM into the row TO. */
static void
tui_alarm_copy(struct tui_alarm *to, const struct tui_alarm *from)
{
	memset(to, 0, sizeof *to);
	to->agent = from->agent;
	to->id = from->id;
	to->time = from->time;
	to->kind = xstrdup(from->kind);
	if (from->reason != NULL)
		to->reason = xstrdup(from->reason);
	if (from->person != NULL)
		to->person = xstrdup(from->person);
}

/*
 * Reads the alarms page again: every connected door's alarms, with the
 * waiting ones the console keeps (a door away, or older than the 100 the
 * agent lists), the selection staying on its alarm.
 */
void
tui_alarms_read(struct tui *t)
{
	struct tui_alarm	*rows = NULL;
	struct tui_agent	*a, *sel_agent = NULL;
	int64_t			 sel_id = 0;
	size_t			 i, j, n = 0, unread = 0;

	if (t->cursor < t->nalarm_rows) {
		sel_agent = t->alarm_rows[t->cursor].agent;
		sel_id = t->alarm_rows[t->cursor].id;
	}
	t->alarm_rows_stale = 0;
	for (i = 0; i < t->nagents; i++) {
		a = &t->agents[i];
		if (a->state == TUI_AGENT_UP &&
		    tui_alarms_all(t, a, &rows, &n) != 0)
			unread++;
	}
	for (i = 0; i < t->nalarms; i++) {
		a = t->alarms[i]->agent;
		if (tui_alarm_listed(rows, n, a, t->alarms[i]->id))
			continue;
		rows = xreallocarray(rows, n + 1, sizeof *rows);
		tui_alarm_copy(&rows[n++], t->alarms[i]);
	}
	if (n > 0)
		qsort(rows, n, sizeof *rows, tui_alarm_row_cmp);

	for (i = 0; i < t->nalarm_rows; i++)
		tui_alarm_clear(&t->alarm_rows[i]);
	free(t->alarm_rows);
	t->alarm_rows = rows;
	t->nalarm_rows = n;
	t->alarm_unread = unread;
	for (j = 0; j < n; j++) {
		if (rows[j].agent == sel_agent && rows[j].id == sel_id)
			break;
	}
	if (j < n)
		t->cursor = j;
	else if (t->cursor >= n)
		t->cursor = n > 0 ? n - 1 : 0;
	t->dirty = 1;
}

/* The alarms page; on it, reads it again. */
void
tui_key_alarms(struct tui *t, int arg)
{
	(void)arg;
	if (t->screen != TUI_SCREEN_ALARMS) {
		tui_main_screen(t);
		t->screen = TUI_SCREEN_ALARMS;
		t->cursor = 0;
		t->top = 0;
	}
	tui_alarms_read(t);
}

/* The note given: "ack" with it. */
static void
tui_ack_done(struct tui *t, struct tui_modal *m)
{
	struct proto_reply	 rep;
	struct tui_agent	*a = m->agent;
	enum proto_error	 code;
	char			*note;
	cJSON			*args;

	note = tui_form_value(m, 0);
	args = cJSON_CreateObject();
	cJSON_AddNumberToObject(args, "alarm", (double)m->alarm);
	if (*note != '\0')
		cJSON_AddStringToObject(args, "note", note);
	free(note);
	if (tui_agent_call(a, "ack", args, &rep) != 0)
		return;
	if (!rep.ok) {
		code = rep.code;
		tui_error_reply(t, "ack", &rep);
		/* Answered elsewhere, or gone: the list is asked for again. */
		if (code == PROTO_ERR_CONFLICT || code == PROTO_ERR_NOT_FOUND)
			a->stale_alarms = 1;
		return;
	}
	proto_reply_clear(&rep);
	tui_alarm_gone(a, m->alarm);
	if (t->nalarms > 0)
		tui_message(t, 0, "alarm #%lld at %s acknowledged; %zu more "
		    "waiting", (long long)m->alarm, a->name, t->nalarms);
	else
		tui_message(t, 0, "alarm #%lld at %s acknowledged",
		    (long long)m->alarm, a->name);
}

/*
 * Acknowledges an alarm, after a note (which may be left empty): the one
 * selected on the alarms page, else the banner's.
 */
void
tui_key_ack(struct tui *t, int arg)
{
	const struct proto_command	*c = proto_command_find("ack");
	const struct tui_alarm		*al;
	struct tui_modal		*m;
	struct tui_agent		*a;
	char				*title, when[32];

	(void)arg;
	if (t->screen == TUI_SCREEN_ALARMS) {
		if (t->cursor >= t->nalarm_rows) {
			tui_message(t, 1, "no alarm is selected");
			return;
		}
		al = &t->alarm_rows[t->cursor];
		if (al->acked_by != NULL) {
			tui_message(t, 1, "alarm #%lld at %s was acknowledged "
			    "by %s on %s", (long long)al->id, al->agent->name,
			    al->acked_by, tui_date((double)al->acked_at, when,
			    sizeof when));
			return;
		}
	} else if (t->nalarms > 0)
		al = t->alarms[0];
	else {
		tui_message(t, 1, "no alarm is waiting");
		return;
	}
	a = al->agent;
	if (a->state != TUI_AGENT_UP) {
		tui_message(t, 1, "%s is not connected", a->name);
		return;
	}
	if (c != NULL && !proto_role_allows(a->role, c)) {
		tui_message(t, 1, "ack needs role %s; you are %s at %s",
		    proto_role_name(c->min_role), proto_role_name(a->role),
		    a->name);
		return;
	}
	xasprintf(&title, "Acknowledge alarm #%lld at %s: %s",
	    (long long)al->id, a->name, batch_alarm_kind(al->kind));
	m = tui_form_new(title, tui_ack_done);
	free(title);
	tui_form_field(m, "Note", 0, NULL);
	m->agent = a;
	m->alarm = al->id;
	tui_modal_open(t, m);
}

/* Moves the selection or the page: ARG 1 a line, 2 a page, 3 the end. */
void
tui_key_move(struct tui *t, int arg)
{
	size_t	n, page = tui_page_rows(t), *pos, i, sel = 0;
	int64_t	to;

	switch (t->screen) {
	case TUI_SCREEN_MAIN:
		n = t->npending;
		for (i = 0; i < n; i++) {
			if (t->pending[i]->agent == t->sel_agent &&
			    t->pending[i]->id == t->sel_visit)
				sel = i;
		}
		pos = &sel;
		page = page / 3 > 1 ? page / 3 : 1;
		break;
	case TUI_SCREEN_LOG:
		n = t->nlog;
		pos = &t->cursor;
		break;
	case TUI_SCREEN_OUTBOX:
		n = t->noutbox;
		pos = &t->cursor;
		break;
	case TUI_SCREEN_ALARMS:
		n = t->nalarm_rows;
		pos = &t->cursor;
		break;
	default:
		/* A page scrolls: moving the first row shown. */
		n = t->nlines > page ? t->nlines - page + 1 : 1;
		pos = &t->top;
		break;
	}
	if (n == 0)
		return;
	switch (arg) {
	case -1:
	case 1:
		to = (int64_t)*pos + arg;
		break;
	case -2:
	case 2:
		to = (int64_t)*pos + (arg > 0 ? 1 : -1) * (int64_t)page;
		break;
	case -3:
		to = 0;
		break;
	default:
		to = (int64_t)n - 1;
		break;
	}
	if (to < 0)
		to = 0;
	if (to >= (int64_t)n)
		to = (int64_t)n - 1;
	*pos = (size_t)to;
	if (t->screen == TUI_SCREEN_MAIN) {
		t->sel_agent = t->pending[sel]->agent;
		t->sel_visit = t->pending[sel]->id;
	}
	t->dirty = 1;
}

void
tui_key_open(struct tui *t, int arg)
{
	struct tui_agent	*a;
	int64_t			 id;

	(void)arg;
	if (tui_target(t, "visit", &a, &id) == 0)
		tui_detail_open(t, a, id);
}

void
tui_key_photo(struct tui *t, int dir)
{
	struct tui_detail	*d = &t->detail;

	if (d->nphotos < 2)
		return;
	d->index = (d->index + d->nphotos + (size_t)(dir > 0 ? 1 : -1)) %
	    d->nphotos;
	t->dirty = 1;
}

void
tui_key_back(struct tui *t, int arg)
{
	int	from_help = t->screen == TUI_SCREEN_HELP;

	(void)arg;
	if (t->screen == TUI_SCREEN_HELP && t->help_from == TUI_SCREEN_VISIT &&
	    t->detail.visit != NULL) {
		while (t->nlines > 0)
			free(t->lines[--t->nlines]);
		free(t->lines);
		t->lines = NULL;
		free(t->header);
		t->header = NULL;
		t->screen = TUI_SCREEN_VISIT;
		t->dirty = 1;
		return;
	}
	if (t->screen == TUI_SCREEN_HELP && t->help_from == TUI_SCREEN_LOG) {
		tui_main_screen(t);
		t->screen = TUI_SCREEN_LOG;
		return;
	}
	tui_main_screen(t);
	/* Help freed the outbox or alarms page: it is read again. */
	if (from_help && t->help_from == TUI_SCREEN_OUTBOX)
		tui_key_outbox(t, 0);
	if (from_help && t->help_from == TUI_SCREEN_ALARMS)
		tui_key_alarms(t, 0);
}

