/*
 * The outbox rows of events, passes and one-time codes (notify.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cJSON.h>

#include "daemon.h"
#include "notify.h"
#include "outbox.h"
#include "xmalloc.h"

/* Adds a row of KIND to DESTINATION with PAYLOAD (consumed), due now. */
static void
notify_add(struct notify_rows *nr, const char *kind, const char *destination,
    cJSON *payload)
{
	struct store_outbox	*r;
	char			*text = cJSON_PrintUnformatted(payload);

	cJSON_Delete(payload);
	if (text == NULL)
		return;
	if (nr->n == nr->size) {
		nr->size = nr->size == 0 ? 4 : nr->size * 2;
		nr->rows = xreallocarray(nr->rows, nr->size, sizeof *nr->rows);
	}
	r = &nr->rows[nr->n++];
	r->kind = kind;
	r->destination = xstrdup(destination);
	r->payload = text;
	r->next_try = 0;
}

void
notify_rows_free(struct notify_rows *nr)
{
	size_t	i;

	for (i = 0; i < nr->n; i++) {
		free((char *)(uintptr_t)nr->rows[i].destination);
		free((char *)(uintptr_t)nr->rows[i].payload);
	}
	free(nr->rows);
	memset(nr, 0, sizeof *nr);
}

/* Whether a comma-separated LIST names ITEM. */
static int
notify_listed(const char *list, const char *item)
{
	size_t	n = strlen(item);
	const char *p;

	for (p = list; *p != '\0'; p += strcspn(p, ",") + (p[strcspn(p,
	    ",")] == ',')) {
		if (strncmp(p, item, n) == 0 && (p[n] == ',' || p[n] == '\0'))
			return 1;
	}
	return 0;
}

/* Calls FN for each item of the comma-separated LIST. */
static void
notify_each(const char *list, void (*fn)(const char *, void *), void *arg)
{
	char	*copy, *next, *item;

	next = copy = xstrdup(list);
	while ((item = strsep(&next, ",")) != NULL) {
		if (*item != '\0')
			fn(item, arg);
	}
	free(copy);
}

/* MS as "2024-05-01 09:00 UTC" into BUF. */
static void
notify_time(int64_t ms, char *buf, size_t len)
{
	time_t		t = (time_t)(ms / 1000);
	struct tm	tm;

	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(buf, len, "%Y-%m-%d %H:%M UTC", &tm) == 0)
		snprintf(buf, len, "%lld", (long long)ms);
}

/* One message to many: what notify_each hands each recipient. */
struct notify_many {
	struct notify_rows	*nr;
	const char		*kind;
	const char		*subject;
	const char		*text;
	const char		*photo;
};

static void
notify_many_cb(const char *to, void *arg)
{
	struct notify_many	*m = arg;
	cJSON			*o = cJSON_CreateObject();

	if (strcmp(m->kind, "email") == 0) {
		cJSON_AddStringToObject(o, "subject", m->subject);
		if (m->photo != NULL)
			cJSON_AddStringToObject(o, "photo", m->photo);
	}
	cJSON_AddStringToObject(o, "text", m->text);
	notify_add(m->nr, m->kind, to, o);
}

/* The mail and SMS to the admins about EV: visitors and alarms. */
static void
notify_admins(struct agent *a, const struct store_event *ev, cJSON *details,
    struct notify_rows *nr)
{
	const struct config	*c = &a->conf;
	struct notify_many	 m;
	const cJSON		*photo, *reason, *kind;
	char			 when[64], *subject = NULL, *text = NULL;
	int			 alarm = strcmp(ev->type, "alarm") == 0;

	if (!alarm && strcmp(ev->type, "pending") != 0 &&
	    strcmp(ev->type, "uncertain") != 0)
		return;
	notify_time(ev->time, when, sizeof when);
	photo = cJSON_GetObjectItemCaseSensitive(details, "photo");
	reason = cJSON_GetObjectItemCaseSensitive(details, "reason");
	kind = cJSON_GetObjectItemCaseSensitive(details, "kind");
	if (alarm) {
		xasprintf(&subject, "Alarm at %s: %s", c->door_name,
		    cJSON_IsString(kind) ? kind->valuestring : "alarm");
		xasprintf(&text, "Alarm at door %s at %s: %s%s%s.\n\n"
		    "Acknowledge it at a console: gatehouse events --since 1h\n",
		    c->door_name, when, cJSON_IsString(kind) ?
		    kind->valuestring : "alarm", cJSON_IsString(reason) ?
		    ", " : "", cJSON_IsString(reason) ? reason->valuestring :
		    "");
	} else {
		xasprintf(&subject, "Visitor waiting at %s", c->door_name);
		xasprintf(&text, "A visitor is waiting at door %s since %s "
		    "(%s).\n\nApprove or deny at a console: gatehouse "
		    "pending\n", c->door_name, when, strcmp(ev->type,
		    "pending") == 0 ? "an unknown face" :
		    "not recognised with certainty");
	}
	memset(&m, 0, sizeof m);
	m.nr = nr;
	m.subject = subject;
	m.text = text;
	m.photo = cJSON_IsString(photo) ? photo->valuestring : NULL;
	if (*c->smtp_url != '\0' && *c->mail_from != '\0') {
		m.kind = "email";
		notify_each(c->notify_email, notify_many_cb, &m);
	}
	if (alarm && *c->sms_url != '\0') {
		m.kind = "sms";
		notify_each(c->notify_sms, notify_many_cb, &m);
	}
	free(subject);
	free(text);
}

void
notify_event(struct agent *a, const struct store_event *ev,
    struct notify_rows *nr)
{
	const struct config	*c = &a->conf;
	cJSON			*details = NULL, *event, *o;

	if (ev->details != NULL)
		details = cJSON_Parse(ev->details);
	notify_admins(a, ev, details, nr);
	cJSON_Delete(details);

	if (*c->webhook_url == '\0' ||
	    !notify_listed(c->notify_webhook, ev->type))
		return;
	/* Its "event" id (and a new visit's) are the store's to set. */
	if ((event = agent_event_json(a, ev)) == NULL)
		return;
	o = cJSON_CreateObject();
	cJSON_AddItemToObject(o, "event", event);
	notify_add(nr, "webhook", "webhook", o);
}

void
notify_pass(struct agent *a, const struct notify_pass *p,
    struct notify_rows *nr)
{
	const struct config	*c = &a->conf;
	cJSON			*o;
	char			 from[64], to[64], *text;

	notify_time(p->not_before, from, sizeof from);
	notify_time(p->expires, to, sizeof to);
	if (p->email != NULL && *c->smtp_url != '\0' &&
	    *c->mail_from != '\0' && outbox_address_valid(p->email)) {
		xasprintf(&text, "Hello%s%s,\n\n"
		    "you may enter at door %s from %s to %s (%d %s).\n\n"
		    "Show the QR code in this mail to the door's camera, or "
		    "type this PIN at the door's screen:\n\n    %s\n\n"
		    "Keep both to yourself: they open the door %s.\n",
		    p->name != NULL ? " " : "", p->name != NULL ? p->name : "",
		    c->door_name, from, to, p->uses, p->uses == 1 ? "entry" :
		    "entries", p->pin, p->uses == 1 ? "once" : "for you");
		o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "subject", "Your pass for the door");
		cJSON_AddStringToObject(o, "text", text);
		if (p->name != NULL)
			cJSON_AddStringToObject(o, "name", p->name);
		cJSON_AddStringToObject(o, "qr", p->token);
		notify_add(nr, "email", p->email, o);
		free(text);
	}
	if (p->phone != NULL && *c->sms_url != '\0' &&
	    outbox_phone_valid(p->phone)) {
		xasprintf(&text, "Your PIN for door %s: %s, valid %s to %s.",
		    c->door_name, p->pin, from, to);
		o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "text", text);
		notify_add(nr, "sms", p->phone, o);
		free(text);
	}
}

void
notify_otp(struct agent *a, const char *email, const char *phone,
    const char *code, struct notify_rows *nr)
{
	const struct config	*c = &a->conf;
	cJSON			*o;
	char			*text;

	xasprintf(&text, "Your code for door %s: %s. It is valid for %lld "
	    "minutes and opens the door once, with your face.", c->door_name,
	    code, (long long)((c->otp_valid + 59999) / 60000));
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "text", text);
	if (phone != NULL && *c->sms_url != '\0' && outbox_phone_valid(phone))
		notify_add(nr, "sms", phone, o);
	else if (email != NULL && *c->smtp_url != '\0' &&
	    *c->mail_from != '\0' && outbox_address_valid(email)) {
		cJSON_AddStringToObject(o, "subject", "Your door code");
		notify_add(nr, "email", email, o);
	} else
		cJSON_Delete(o);
	free(text);
}
