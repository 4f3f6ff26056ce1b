/*
 * The interactive console's agents (tui.h): one connection per door,
 * opened again with backoff when it fails, and what the agents said: the
 * status, the people, the pending visitors, the alarms waiting for a
 * guard and the event log.
 *
 * A connection's life: IDLE, then a blocking connect and hello (a Unix
 * socket answers at once; tui_ssh may take longer) and the set-up calls
 * ("status", "people", "pending", "events" with follow); then UP until
 * the connection fails, then RETRY until its timer fires and it connects
 * again. Waits double from TUI_BACKOFF_MIN to TUI_BACKOFF_MAX, and start
 * again from the bottom after a connection that lasted TUI_BACKOFF_MAX.
 *
 * Events only mark what they change as stale ("pending" makes the pending
 * list stale, "door" the status, "person" the people, "alarm" the alarms);
 * tui_agent_work(), run before the loop sleeps, asks again once for each
 * stale thing, so a burst of events costs one request. An "ack" event
 * needs no request: the alarm it names stops waiting, whoever answered it.
 *
 * The alarms are asked for once the events follow, so that an alarm
 * raised meanwhile is either in the list or an event after it. They stay
 * while a door is away, as its visitors do, and are asked for again when
 * it is back: one acknowledged meanwhile then goes.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curses.h>

#include "base64.h"
#include "client.h"
#include "loop.h"
#include "tui.h"
#include "xmalloc.h"

const struct tui_ssh	*tui_ssh;

/*
 * Milliseconds since the epoch from 2001-09-09 to the year 5138: no count
 * or id of the protocol comes near, so such an integer is a time (as
 * batch.c reads them).
 */
#define AGENT_TIME_MIN	1e12
#define AGENT_TIME_MAX	1e14

/* The types the main screen lists as decisions. */
static const char *const agent_decisions[] = {
	"granted", "denied", "uncertain", "pending", "visit", NULL
};

static void	agent_connect(struct tui_agent *);

void
tui_agent_init(struct tui *t, struct tui_agent *a,
    const struct conf_door *door)
{
	memset(a, 0, sizeof *a);
	a->tui = t;
	a->door = door;
	a->name = xstrdup(door->name != NULL ? door->name : "agent");
	a->state = TUI_AGENT_IDLE;
	a->role = PROTO_ROLE_VIEWER;
	a->backoff_ms = TUI_BACKOFF_MIN;
}

/* Frees the visitors of A's last "pending". */
static void
agent_visits_clear(struct tui_agent *a)
{
	size_t	i;

	for (i = 0; i < a->nvisits; i++) {
		free(a->visits[i].name);
		free(a->visits[i].email);
	}
	free(a->visits);
	a->visits = NULL;
	a->nvisits = 0;
}

/* Frees what alarm AL holds. */
void
tui_alarm_clear(struct tui_alarm *al)
{
	free(al->kind);
	free(al->reason);
	free(al->person);
	free(al->acked_by);
	free(al->note);
	free(al->photo);
	memset(al, 0, sizeof *al);
}

/* Frees the alarms of A's last "alarms". */
static void
agent_alarms_clear(struct tui_agent *a)
{
	size_t	i;

	for (i = 0; i < a->nalarms; i++)
		tui_alarm_clear(&a->alarms[i]);
	free(a->alarms);
	a->alarms = NULL;
	a->nalarms = 0;
}

/* Closes A's connection, if any. */
static void
agent_close(struct tui_agent *a)
{
	if (a->client == NULL)
		return;
	loop_del_fd(a->tui->loop, client_fd(a->client));
	client_free(a->client);
	a->client = NULL;
	if (a->link != NULL && tui_ssh != NULL)
		tui_ssh->close(a->link);
	a->link = NULL;
}

void
tui_agent_free(struct tui_agent *a)
{
	if (a->timer != 0)
		loop_del_timer(a->tui->loop, a->timer);
	agent_close(a);
	agent_visits_clear(a);
	agent_alarms_clear(a);
	cJSON_Delete(a->status);
	cJSON_Delete(a->people);
	free(a->name);
	free(a->agent);
	free(a->error);
	free(a->sighting);
	memset(a, 0, sizeof *a);
}

/* The timer of a retry: connects. */
static int64_t
agent_timer(struct loop *loop, uint64_t id, void *arg)
{
	struct tui_agent	*a = arg;

	(void)loop;
	(void)id;
	a->timer = 0;
	agent_connect(a);
	return -1;
}

/* Connects A from the loop, after the screen is first drawn. */
void
tui_agent_start(struct tui_agent *a)
{
	a->timer = loop_add_timer(a->tui->loop, 0, agent_timer, a);
}

/* Notes that A failed for CAUSE (consumed) and sets the next try. */
static void
agent_retry(struct tui_agent *a, char *cause)
{
	int64_t	now = loop_now_ms(), wait;

	agent_close(a);
	if (a->state == TUI_AGENT_UP &&
	    now - a->up_since >= TUI_BACKOFF_MAX)
		a->backoff_ms = TUI_BACKOFF_MIN;
	wait = a->backoff_ms;
	a->backoff_ms *= 2;
	if (a->backoff_ms > TUI_BACKOFF_MAX)
		a->backoff_ms = TUI_BACKOFF_MAX;
	free(a->error);
	a->error = cause;
	a->state = TUI_AGENT_RETRY;
	a->retry_at = now + wait;
	if (a->timer != 0)
		loop_del_timer(a->tui->loop, a->timer);
	a->timer = loop_add_timer(a->tui->loop, wait, agent_timer, a);
	a->tui->dirty = 1;
}

/* Reads what A's connection has; the events wait for tui_agent_work. */
static void
agent_read(struct loop *loop, int fd, int events, void *arg)
{
	struct tui_agent	*a = arg;
	char			*cause;

	(void)loop;
	(void)fd;
	(void)events;
	if (a->client != NULL && client_pump(a->client, &cause) != 0)
		agent_retry(a, cause);
}

int
tui_agent_call(struct tui_agent *a, const char *cmd, cJSON *args,
    struct proto_reply *rep)
{
	char	*cause;

	memset(rep, 0, sizeof *rep);
	if (a->client == NULL) {
		cJSON_Delete(args);
		tui_message(a->tui, 1, "%s is not connected", a->name);
		return -1;
	}
	if (client_call(a->client, cmd, args, rep, &cause) != 0) {
		tui_message(a->tui, 1, "%s: %s: %s", a->name, cmd, cause);
		agent_retry(a, cause);
		return -1;
	}
	return 0;
}

/*
 * Calls CMD (no arguments) during set-up or a refresh and takes member
 * KEY of its result (detached, the caller's). NULL when the call failed
 * and the connection was dropped.
 */
static cJSON *
agent_get(struct tui_agent *a, const char *cmd, const char *key)
{
	struct proto_reply	 rep;
	cJSON			*item = NULL;
	char			*cause;

	if (a->client == NULL)
		return NULL;
	if (client_call(a->client, cmd, NULL, &rep, &cause) != 0) {
		agent_retry(a, cause);
		return NULL;
	}
	if (!rep.ok) {
		xasprintf(&cause, "%s: %s: %s", cmd, proto_error_name(rep.code),
		    rep.message);
		proto_reply_clear(&rep);
		agent_retry(a, cause);
		return NULL;
	}
	if (key == NULL) {
		item = rep.result;
		cJSON_DetachItemViaPointer(rep.root, item);
	} else
		item = cJSON_DetachItemFromObjectCaseSensitive(rep.result,
		    key);
	proto_reply_clear(&rep);
	if (item == NULL) {
		xasprintf(&cause, "%s: the reply has no \"%s\"", cmd,
		    key != NULL ? key : "result");
		agent_retry(a, cause);
	}
	return item;
}

/* A string member of OBJ, or NULL. */
static const char *
agent_string(const cJSON *obj, const char *key)
{
	const cJSON	*item = cJSON_GetObjectItemCaseSensitive(obj, key);

	return cJSON_IsString(item) ? item->valuestring : NULL;
}

/* An integer member of OBJ, or DEF. */
static int64_t
agent_int(const cJSON *obj, const char *key, int64_t def)
{
	const cJSON	*item = cJSON_GetObjectItemCaseSensitive(obj, key);

	return cJSON_IsNumber(item) ? (int64_t)item->valuedouble : def;
}

/* Compares pending visitors: the one seen last first. */
static int
agent_visit_cmp(const void *a1, const void *b1)
{
	const struct tui_visit	*a = *(const struct tui_visit *const *)a1;
	const struct tui_visit	*b = *(const struct tui_visit *const *)b1;

	if (a->last_seen != b->last_seen)
		return a->last_seen > b->last_seen ? -1 : 1;
	if (a->id != b->id)
		return a->id > b->id ? -1 : 1;
	return strcmp(a->agent->name, b->agent->name);
}

/*
 * Makes the one list of every agent's pending visitors again, keeping the
 * selection on its visitor, or on row OLD, where it was, when that one
 * left.
 */
static void
agent_pending_merge(struct tui *t, size_t old)
{
	struct tui_agent	*a;
	size_t			 i, j, n = 0;

	free(t->pending);
	for (i = 0; i < t->nagents; i++)
		n += t->agents[i].nvisits;
	t->pending = xreallocarray(NULL, n + 1, sizeof *t->pending);
	t->npending = 0;
	for (i = 0; i < t->nagents; i++) {
		a = &t->agents[i];
		for (j = 0; j < a->nvisits; j++)
			t->pending[t->npending++] = &a->visits[j];
	}
	qsort(t->pending, t->npending, sizeof *t->pending, agent_visit_cmp);
	if (tui_visit_find(t, t->sel_agent, t->sel_visit) == NULL) {
		if (t->npending == 0) {
			t->sel_agent = NULL;
			t->sel_visit = 0;
		} else {
			if (old >= t->npending)
				old = t->npending - 1;
			t->sel_agent = t->pending[old]->agent;
			t->sel_visit = t->pending[old]->id;
		}
	}
	t->dirty = 1;
}

struct tui_visit *
tui_visit_find(struct tui *t, struct tui_agent *a, int64_t id)
{
	size_t	i;

	for (i = 0; i < t->npending; i++) {
		if (t->pending[i]->agent == a && t->pending[i]->id == id)
			return t->pending[i];
	}
	return NULL;
}

/* A copy of string member KEY of OBJ, or NULL. */
static char *
agent_strdup(const cJSON *obj, const char *key)
{
	const char	*s = agent_string(obj, key);

	return s != NULL ? xstrdup(s) : NULL;
}

/* Reads alarm OBJ of an "alarms" reply of A into AL: 0, or -1. */
int
tui_alarm_parse(struct tui_agent *a, const cJSON *obj, struct tui_alarm *al)
{
	const char	*photo;

	memset(al, 0, sizeof *al);
	if (!cJSON_IsObject(obj) || agent_int(obj, "alarm", 0) <= 0)
		return -1;
	al->agent = a;
	al->id = agent_int(obj, "alarm", 0);
	al->time = agent_int(obj, "time", 0);
	al->kind = xstrdup(agent_string(obj, "kind") != NULL ?
	    agent_string(obj, "kind") : "alarm");
	al->reason = agent_strdup(obj, "reason");
	al->person = agent_strdup(obj, "person");
	al->acked_by = agent_strdup(obj, "acked_by");
	al->acked_at = agent_int(obj, "acked_at", 0);
	al->note = agent_strdup(obj, "note");
	/* A photo that does not decode is no photo: the alarm still shows. */
	if ((photo = agent_string(obj, "photo")) != NULL)
		al->photo = base64_decode(photo, PROTO_REPLY_LINE_MAX,
		    &al->photo_len);
	return 0;
}

/* Compares waiting alarms: the newest first. */
static int
agent_alarm_cmp(const void *a1, const void *b1)
{
	const struct tui_alarm	*a = *(const struct tui_alarm *const *)a1;
	const struct tui_alarm	*b = *(const struct tui_alarm *const *)b1;

	if (a->time != b->time)
		return a->time > b->time ? -1 : 1;
	if (a->id != b->id)
		return a->id > b->id ? -1 : 1;
	return strcmp(a->agent->name, b->agent->name);
}

/* Makes the one list of every agent's waiting alarms again. */
static void
agent_alarms_merge(struct tui *t)
{
	size_t	i, j, n = 0;

	for (i = 0; i < t->nagents; i++)
		n += t->agents[i].nalarms;
	free(t->alarms);
	t->alarms = xreallocarray(NULL, n + 1, sizeof *t->alarms);
	t->nalarms = 0;
	for (i = 0; i < t->nagents; i++) {
		for (j = 0; j < t->agents[i].nalarms; j++)
			t->alarms[t->nalarms++] = &t->agents[i].alarms[j];
	}
	qsort(t->alarms, t->nalarms, sizeof *t->alarms, agent_alarm_cmp);
	if (t->screen == TUI_SCREEN_ALARMS)
		t->alarm_rows_stale = 1;
	t->dirty = 1;
}

/* Alarm ID of A waits no more: acknowledged here or elsewhere. */
void
tui_alarm_gone(struct tui_agent *a, int64_t id)
{
	size_t	i;

	for (i = 0; i < a->nalarms; i++) {
		if (a->alarms[i].id != id)
			continue;
		tui_alarm_clear(&a->alarms[i]);
		memmove(&a->alarms[i], &a->alarms[i + 1],
		    (a->nalarms - i - 1) * sizeof *a->alarms);
		a->nalarms--;
		break;
	}
	agent_alarms_merge(a->tui);
}

/*
 * Asks A for its waiting alarms. An agent that refuses keeps its old list
 * and its connection: the rest of the console still works.
 */
static void
agent_alarms(struct tui_agent *a)
{
	struct proto_reply	 rep;
	const cJSON		*list, *item;
	char			*cause;
	size_t			 n = 0;

	a->stale_alarms = 0;
	if (client_call(a->client, "alarms", NULL, &rep, &cause) != 0) {
		agent_retry(a, cause);
		return;
	}
	if (!rep.ok) {
		tui_message(a->tui, 1, "%s: alarms: %s: %s", a->name,
		    proto_error_name(rep.code), rep.message);
		proto_reply_clear(&rep);
		return;
	}
	list = cJSON_GetObjectItemCaseSensitive(rep.result, "alarms");
	agent_alarms_clear(a);
	a->alarms = xreallocarray(NULL, (size_t)cJSON_GetArraySize(list) + 1,
	    sizeof *a->alarms);
	cJSON_ArrayForEach(item, list) {
		/* Waiting ones only, whatever the reply holds. */
		if (tui_alarm_parse(a, item, &a->alarms[n]) != 0)
			continue;
		if (a->alarms[n].acked_by != NULL) {
			tui_alarm_clear(&a->alarms[n]);
			continue;
		}
		n++;
	}
	a->nalarms = n;
	proto_reply_clear(&rep);
	agent_alarms_merge(a->tui);
}

/* Asks A for its pending visitors. */
static void
agent_pending(struct tui_agent *a)
{
	struct tui	*t = a->tui;
	const cJSON	*v;
	const char	*s;
	cJSON		*list;
	size_t		 n = 0, i, old = 0;

	a->stale_pending = 0;
	if ((list = agent_get(a, "pending", "visits")) == NULL)
		return;
	/* The selected row, while the list still points at the visitors. */
	for (i = 0; i < t->npending; i++) {
		if (t->pending[i]->agent == t->sel_agent &&
		    t->pending[i]->id == t->sel_visit)
			old = i;
	}
	t->npending = 0;
	agent_visits_clear(a);
	a->visits = xreallocarray(NULL, (size_t)cJSON_GetArraySize(list) + 1,
	    sizeof *a->visits);
	cJSON_ArrayForEach(v, list) {
		if (!cJSON_IsObject(v) || agent_int(v, "visit", -1) < 0)
			continue;
		memset(&a->visits[n], 0, sizeof a->visits[n]);
		a->visits[n].agent = a;
		a->visits[n].id = agent_int(v, "visit", 0);
		a->visits[n].first_seen = agent_int(v, "first_seen", 0);
		a->visits[n].last_seen = agent_int(v, "last_seen",
		    a->visits[n].first_seen);
		a->visits[n].seen = (int)agent_int(v, "seen", 1);
		if ((s = agent_string(v, "name")) != NULL)
			a->visits[n].name = xstrdup(s);
		if ((s = agent_string(v, "email")) != NULL)
			a->visits[n].email = xstrdup(s);
		n++;
	}
	a->nvisits = n;
	cJSON_Delete(list);
	agent_pending_merge(t, old);
}

/* Asks A for its status. */
static void
agent_status(struct tui_agent *a)
{
	cJSON	*status;

	a->stale_status = 0;
	if ((status = agent_get(a, "status", NULL)) == NULL)
		return;
	cJSON_Delete(a->status);
	a->status = status;
	a->tui->dirty = 1;
}

/* Asks A for its people (for the names of person ids in events). */
static void
agent_people(struct tui_agent *a)
{
	cJSON	*people;

	a->stale_people = 0;
	if ((people = agent_get(a, "people", "people")) == NULL)
		return;
	cJSON_Delete(a->people);
	a->people = people;
	a->tui->dirty = 1;
}

const char *
tui_agent_door_state(struct tui_agent *a)
{
	const char	*s = agent_string(a->status, "door_state");

	return s != NULL ? s : "?";
}

const char *
tui_person_name(struct tui_agent *a, int64_t id, char *buf, size_t size)
{
	const cJSON	*p;
	const char	*name;

	cJSON_ArrayForEach(p, a->people) {
		if (agent_int(p, "id", -1) == id &&
		    (name = agent_string(p, "name")) != NULL)
			return name;
	}
	snprintf(buf, size, "#%lld", (long long)id);
	return buf;
}

/* Appends V to the log line in *S as " key=value". */
static void
agent_line_add(char **s, const char *key, const cJSON *v)
{
	char		*value, *out;

	struct tm	 tm;
	time_t		 t;
	char		 date[32];

	if (cJSON_IsString(v))
		value = xstrdup(v->valuestring);
	else if (cJSON_IsNumber(v) && v->valuedouble >= AGENT_TIME_MIN &&
	    v->valuedouble < AGENT_TIME_MAX) {
		/* Milliseconds since the epoch (not_before, expires). */
		t = (time_t)(v->valuedouble / 1000);
		if (localtime_r(&t, &tm) == NULL || strftime(date, sizeof date,
		    "%Y-%m-%d %H:%M", &tm) == 0)
			snprintf(date, sizeof date, "?");
		value = xstrdup(date);
	} else if (cJSON_IsNumber(v) &&
	    v->valuedouble == floor(v->valuedouble) &&
	    fabs(v->valuedouble) < 1e15)
		xasprintf(&value, "%lld", (long long)v->valuedouble);
	else if (cJSON_IsNumber(v))
		xasprintf(&value, "%.4g", v->valuedouble);
	else if ((value = cJSON_PrintUnformatted(v)) == NULL)
		value = xstrdup("?");
	xasprintf(&out, "%s  %s=%s", *s, key, value);
	free(value);
	free(*s);
	*s = out;
}

/*
 * The log's text of an event: type, door, person, then the other keys
 * but the event id and the photo's hash, which say nothing to a person.
 */
static char *
agent_line(const cJSON *ev)
{
	static const char *const skip[] = { "type", "time", "door", "person",
	    "event", "photo", NULL };
	const cJSON	*m;
	const char	*person = agent_string(ev, "person");
	char		*s;
	size_t		 i;

	xasprintf(&s, "%-9s %-10s %s", agent_string(ev, "type"),
	    agent_string(ev, "door") != NULL ? agent_string(ev, "door") : "?",
	    person != NULL ? person : "-");
	cJSON_ArrayForEach(m, ev) {
		for (i = 0; skip[i] != NULL; i++) {
			if (strcmp(m->string, skip[i]) == 0)
				break;
		}
		if (skip[i] == NULL)
			agent_line_add(&s, m->string, m);
	}
	return s;
}

/* Frees the log. */
void
tui_log_clear(struct tui *t)
{
	size_t	i;

	for (i = 0; i < t->nlog; i++) {
		cJSON_Delete(t->log[i].ev);
		free(t->log[i].line);
	}
	free(t->log);
	t->log = NULL;
	t->nlog = 0;
}

/* Adds event EV (consumed) of A to the log, in time order. */
static void
agent_log_add(struct tui_agent *a, cJSON *ev)
{
	struct tui		*t = a->tui;
	struct tui_entry	 e;
	size_t			 i;

	memset(&e, 0, sizeof e);
	e.agent = a;
	e.ev = ev;
	e.time = agent_int(ev, "time", 0);
	e.type = agent_string(ev, "type");
	e.line = agent_line(ev);
	if (t->nlog == TUI_LOG_MAX) {
		cJSON_Delete(t->log[0].ev);
		free(t->log[0].line);
		memmove(&t->log[0], &t->log[1], --t->nlog * sizeof *t->log);
		if (t->cursor > 0 && t->cursor >= t->nlog)
			t->cursor--;
	}
	t->log = xreallocarray(t->log, t->nlog + 1, sizeof *t->log);
	/* Mostly an append: events come in order, each agent's at least. */
	for (i = t->nlog; i > 0 && t->log[i - 1].time > e.time; i--)
		;
	memmove(&t->log[i + 1], &t->log[i], (t->nlog - i) * sizeof *t->log);
	t->log[i] = e;
	t->nlog++;
	/*
	 * The log page lists the newest first: an entry above the selected
	 * one keeps the selection on its entry, unless it is the newest.
	 */
	if (t->screen == TUI_SCREEN_LOG && t->cursor > 0 &&
	    t->nlog - 1 - i <= t->cursor)
		t->cursor++;
	t->dirty = 1;
}

int
tui_decision(const struct tui_entry *e)
{
	size_t	i;

	if (e->type == NULL)
		return 0;
	for (i = 0; agent_decisions[i] != NULL; i++) {
		if (strcmp(e->type, agent_decisions[i]) == 0)
			break;
	}
	if (agent_decisions[i] == NULL)
		return 0;
	/* A visitor's details typed at the kiosk decide nothing. */
	return !cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(e->ev,
	    "updated"));
}

int
tui_log_match(const struct tui_entry *e, const char *what)
{
	return what != NULL && *what != '\0' &&
	    strcasestr(e->line, what) != NULL;
}

/*
 * An "ack" event EV of A: its alarm waits no more, whoever answered it;
 * a dialog acknowledging it here is closed, saying who did.
 */
static void
agent_acked(struct tui_agent *a, const cJSON *ev)
{
	struct tui	*t = a->tui;
	const char	*by = agent_string(ev, "by");
	int64_t		 id = agent_int(ev, "alarm", 0);

	if (id <= 0)
		return;
	tui_alarm_gone(a, id);
	if (t->modal != NULL && t->modal->agent == a && t->modal->alarm == id) {
		tui_modal_free(t->modal);
		t->modal = NULL;
		tui_message(t, 0, "alarm #%lld at %s was acknowledged by %s",
		    (long long)id, a->name, by != NULL ? by :
		    "another console");
	}
}

/* Takes event EV (a live one) of A. */
static void
agent_event(struct tui_agent *a, struct proto_reply *ev)
{
	struct tui	*t = a->tui;
	const char	*type = ev->type, *quality;
	int64_t		 id, visit;
	cJSON		*root;

	if (strcmp(type, "sighting") == 0) {
		/* Live only and frequent: the camera's word, not the log. */
		quality = agent_string(ev->root, "quality");
		free(a->sighting);
		xasprintf(&a->sighting, "face %s", quality != NULL ?
		    quality : "?");
		a->sighting_at = loop_now_ms();
		t->dirty = 1;
		return;
	}
	id = agent_int(ev->root, "event", 0);
	if (id > a->last_event)
		a->last_event = id;
	visit = agent_int(ev->root, "visit", -1);
	if (strcmp(type, "pending") == 0 || strcmp(type, "uncertain") == 0 ||
	    strcmp(type, "visit") == 0) {
		a->stale_pending = 1;
		if (t->screen == TUI_SCREEN_VISIT && t->detail.agent == a &&
		    t->detail.id == visit)
			t->detail.stale = 1;
	}
	if (strcmp(type, "door") == 0 || strcmp(type, "alarm") == 0 ||
	    strcmp(type, "config") == 0 || strcmp(type, "granted") == 0)
		a->stale_status = 1;
	if (strcmp(type, "person") == 0)
		a->stale_people = 1;
	if (strcmp(type, "alarm") == 0)
		a->stale_alarms = 1;
	if (strcmp(type, "ack") == 0)
		agent_acked(a, ev->root);
	/* A new visitor or an alarm calls the guard. */
	if (strcmp(type, "alarm") == 0 || ((strcmp(type, "pending") == 0 ||
	    strcmp(type, "uncertain") == 0) &&
	    !cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(ev->root,
	    "again")) &&
	    !cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(ev->root,
	    "updated"))))
		beep();
	root = ev->root;
	ev->root = NULL;
	agent_log_add(a, root);
}

/*
 * Takes the past events of the "events" reply. Those already in the log
 * (a reconnection) are left out by their id; an agent whose ids went back
 * has a new store, and all of its are new.
 */
static void
agent_past(struct tui_agent *a, cJSON *events)
{
	cJSON		*ev, *next;
	int64_t		 id, max = 0, from = a->last_event;

	cJSON_ArrayForEach(ev, events) {
		if ((id = agent_int(ev, "event", 0)) > max)
			max = id;
	}
	if (max < from)
		from = 0;
	for (ev = events->child; ev != NULL; ev = next) {
		next = ev->next;
		id = agent_int(ev, "event", 0);
		if (!cJSON_IsObject(ev) || agent_string(ev, "type") == NULL ||
		    (id != 0 && id <= from))
			continue;
		agent_log_add(a, cJSON_DetachItemViaPointer(events, ev));
	}
	if (max > a->last_event || from == 0)
		a->last_event = max;
}

/* Connects A and asks for everything; on failure, sets the retry. */
static void
agent_connect(struct tui_agent *a)
{
	const struct conf_door	*d = a->door;
	struct client		*c;
	struct proto_reply	 rep;
	void			*link = NULL;
	char			*cause;
	cJSON			*args, *events;

	a->tui->dirty = 1;
	if (d->ssh && tui_ssh == NULL) {
		a->state = TUI_AGENT_UNSUPPORTED;
		free(a->error);
		a->error = xstrdup("ssh: not supported by this build");
		return;
	}
	if (d->ssh)
		c = tui_ssh->open(d, &link, &cause);
	else
		c = client_connect_unix(d->path, &cause);
	if (c == NULL) {
		agent_retry(a, cause);
		return;
	}
	a->client = c;
	a->link = link;
	if (proto_role_from_name(client_role(c), &a->role) != 0)
		a->role = PROTO_ROLE_KIOSK;
	free(a->agent);
	a->agent = xstrdup(client_agent(c));
	if (d->name == NULL && *client_door(c) != '\0') {
		free(a->name);
		a->name = xstrdup(client_door(c));
	}
	if (!proto_role_allows(a->role, proto_command_find("events"))) {
		xasprintf(&cause, "role %s: the console needs viewer",
		    client_role(c));
		agent_retry(a, cause);
		return;
	}

	agent_status(a);
	if (a->client != NULL)
		agent_people(a);
	if (a->client != NULL)
		agent_pending(a);
	if (a->client == NULL)
		return;
	args = cJSON_CreateObject();
	cJSON_AddTrueToObject(args, "follow");
	if (client_call(a->client, "events", args, &rep, &cause) != 0) {
		agent_retry(a, cause);
		return;
	}
	if (!rep.ok) {
		xasprintf(&cause, "events: %s: %s", proto_error_name(rep.code),
		    rep.message);
		proto_reply_clear(&rep);
		agent_retry(a, cause);
		return;
	}
	events = cJSON_GetObjectItemCaseSensitive(rep.result, "events");
	if (cJSON_IsArray(events))
		agent_past(a, events);
	proto_reply_clear(&rep);

	if (loop_add_fd(a->tui->loop, client_fd(c), LOOP_READ, agent_read,
	    a) != 0) {
		agent_retry(a, xstrdup("cannot watch the connection"));
		return;
	}
	a->state = TUI_AGENT_UP;
	a->up_since = loop_now_ms();
	free(a->error);
	a->error = NULL;
	/* Asked for before the loop sleeps, now that events follow. */
	a->stale_alarms = 1;
}

/* Asks for what events made stale, once each; 1 if anything was asked. */
static int
agent_refresh(struct tui_agent *a)
{
	int	asked = 0;

	if (a->client != NULL && a->stale_status) {
		agent_status(a);
		asked = 1;
	}
	if (a->client != NULL && a->stale_people) {
		agent_people(a);
		asked = 1;
	}
	if (a->client != NULL && a->stale_pending) {
		agent_pending(a);
		asked = 1;
	}
	if (a->client != NULL && a->stale_alarms) {
		agent_alarms(a);
		asked = 1;
	}
	return asked;
}

/*
 * Before the loop sleeps: takes every queued event and asks again for
 * what they made stale. The requests may queue more events, so it goes
 * round again, a few times at most (a flood waits for the next pass).
 */
void
tui_agent_work(struct tui *t)
{
	struct tui_agent	*a;
	struct proto_reply	 ev;
	char			*cause;
	size_t			 i;
	int			 round, busy, r;

	for (round = 0; round < 4; round++) {
		busy = 0;
		for (i = 0; i < t->nagents; i++) {
			a = &t->agents[i];
			if (a->state != TUI_AGENT_UP || a->client == NULL)
				continue;
			while ((r = client_next_event(a->client, 0, &ev,
			    &cause)) == 1) {
				agent_event(a, &ev);
				proto_reply_clear(&ev);
				busy = 1;
			}
			if (r == -1) {
				agent_retry(a, cause);
				continue;
			}
			if (agent_refresh(a))
				busy = 1;
		}
		if (!busy)
			break;
	}
}
