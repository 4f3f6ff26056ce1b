/*
 * The control socket's commands (doc/PROTOCOL, section 4). control.c has
 * already checked the request against the command table and the peer's
 * role; each handler here answers exactly once, at once or (people add,
 * which needs the worker) when the answer is known.
 *
 * Handlers are bound to the command table by name: command ID is handled
 * by handler_ID (the table at the end), so a command added to
 * commands.def without a handler does not compile.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base64.h"
#include "control.h"
#include "daemon.h"
#include "file.h"
#include "gallery.h"
#include "log.h"
#include "loop.h"
#include "notify.h"
#include "outbox.h"
#include "pass.h"
#include "protocol.h"
#include "xmalloc.h"

/* The events "events" sends without "since". */
#define HANDLERS_EVENTS_DEFAULT	100
/* The most events one "events" reply holds. */
#define HANDLERS_EVENTS_MAX	10000
/* How recently a visitor was seen for the kiosk to speak for them. */
#define HANDLERS_VISITOR_RECENT	(15 * 60 * 1000)
/* The longest name or e-mail address kept. */
#define HANDLERS_FIELD_MAX	200

struct handlers_ctx {
	struct agent			*a;
	struct control			*control;
	const struct control_peer	*peer;
	const struct proto_request	*req;
};

typedef void handler_fn(struct handlers_ctx *);

static void
reply_ok(struct handlers_ctx *h, cJSON *result)
{
	control_reply(h->control, h->peer->id, proto_reply_ok(h->req->id,
	    result));
}

static void __attribute__((format(printf, 3, 4)))
reply_error(struct handlers_ctx *h, enum proto_error code, const char *fmt,
    ...)
{
	va_list	 ap;
	char	*msg;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) == -1)
		msg = NULL;
	va_end(ap);
	control_reply(h->control, h->peer->id, proto_reply_error(h->req->id,
	    code, "%s", msg != NULL ? msg : "out of memory"));
	free(msg);
}

static const char *
arg_string(struct handlers_ctx *h, const char *key)
{
	cJSON	*c = cJSON_GetObjectItemCaseSensitive(h->req->args, key);

	return cJSON_IsString(c) ? c->valuestring : NULL;
}

static int64_t
arg_int(struct handlers_ctx *h, const char *key)
{
	cJSON	*c = cJSON_GetObjectItemCaseSensitive(h->req->args, key);

	return cJSON_IsNumber(c) ? (int64_t)c->valuedouble : -1;
}

static int
arg_bool(struct handlers_ctx *h, const char *key)
{
	return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(h->req->args,
	    key));
}

/* Whether a name or address is plain text of a sane length. */
static int
field_ok(const char *s)
{
	const unsigned char	*p;

	if (s == NULL)
		return 1;
	if (*s == '\0' || strlen(s) > HANDLERS_FIELD_MAX)
		return 0;
	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		if (*p < 0x20 || *p == 0x7f)
			return 0;
	}
	return 1;
}

static int64_t
now_wall(void)
{
	return agent_wall_ms(loop_now_ms());
}

/* A person named by name or id; 0 and OUT, or a reply already sent. */
static int
find_person(struct handlers_ctx *h, const char *name_or_id,
    struct store_person *out)
{
	char	*cause = NULL;
	int	 r;

	memset(out, 0, sizeof *out);
	r = store_person_find(h->a->store, name_or_id, out, &cause);
	if (r == 1 || (r == 0 && out->name == NULL)) {
		if (r == 0)
			store_person_clear(out);
		reply_error(h, PROTO_ERR_NOT_FOUND, "no person \"%s\"",
		    name_or_id);
		return -1;
	}
	if (r == -1) {
		reply_error(h, PROTO_ERR_INTERNAL, "%s", cause);
		free(cause);
		return -1;
	}
	return 0;
}

static void
reply_store_error(struct handlers_ctx *h, char *cause)
{
	reply_error(h, PROTO_ERR_INTERNAL, "store: %s", cause);
	free(cause);
}

/* Visit ID; 0 and OUT (store_visit_clear it), or a reply already sent. */
static int
find_visit(struct handlers_ctx *h, int64_t id, struct store_visit *out)
{
	char	*cause = NULL;
	int	 r;

	memset(out, 0, sizeof *out);
	if ((r = store_visit_find(h->a->store, id, out, &cause)) == 0)
		return 0;
	if (r == -1)
		reply_store_error(h, cause);
	else
		reply_error(h, PROTO_ERR_NOT_FOUND, "no visit %lld",
		    (long long)id);
	return -1;
}

/* Reloads the gallery after a change to people or templates. */
static void
people_changed(struct handlers_ctx *h, const char *action, int64_t id)
{
	char	*cause = NULL;
	cJSON	*d;

	if (agent_people_load(h->a, &cause) != 0) {
		log_warnx("people: %s", cause);
		free(cause);
	}
	d = cJSON_CreateObject();
	cJSON_AddStringToObject(d, "action", action);
	cJSON_AddStringToObject(d, "by", h->peer->who);
	agent_event(h->a, "person", now_wall(), id, 0, d, NULL);
}

/* The bytes of a photo argument: an absolute path or a base64 image. */
static int
photo_bytes(const char *arg, uint8_t **buf, size_t *len, char **cause)
{
	const char	*b64 = NULL, *comma;

	if (strncmp(arg, "base64:", 7) == 0)
		b64 = arg + 7;
	else if (strncmp(arg, "data:", 5) == 0 &&
	    (comma = strchr(arg, ',')) != NULL &&
	    comma - arg >= 7 && strncmp(comma - 7, ";base64", 7) == 0)
		b64 = comma + 1;
	if (b64 != NULL) {
		if ((*buf = base64_decode(b64, STORE_PHOTO_MAX, len)) == NULL) {
			xasprintf(cause, "not base64");
			return -1;
		}
		return 0;
	}
	if (arg[0] != '/') {
		xasprintf(cause, "not an absolute path or base64 data");
		return -1;
	}
	return file_read(arg, STORE_PHOTO_MAX, buf, len, cause);
}

/* A photo of the store as base64, or NULL. */
static char *
photo_base64(struct agent *a, const char *hash)
{
	uint8_t	*buf;
	size_t	 len;
	char	*path, *cause = NULL, *out = NULL;

	if (hash == NULL || hash[0] == '\0' ||
	    (path = store_photo_path(a->store, hash)) == NULL)
		return NULL;
	if (file_read(path, STORE_PHOTO_MAX, &buf, &len, &cause) == 0) {
		out = base64_encode(buf, len);
		free(buf);
	} else
		free(cause);
	free(path);
	return out;
}

/* status */

struct count_ctx {
	int64_t	n;
};

static int
count_visit(const struct store_visit *v, void *arg)
{
	(void)v;
	((struct count_ctx *)arg)->n++;
	return 0;
}

static void
handler_STATUS(struct handlers_ctx *h)
{
	struct agent		*a = h->a;
	struct count_ctx	 pending = { 0 };
	char			*cause = NULL;
	const char		*door_state, *worker;
	cJSON			*r = cJSON_CreateObject();

	if (store_visits_pending(a->store, count_visit, &pending,
	    &cause) == -1) {
		cJSON_Delete(r);
		reply_store_error(h, cause);
		return;
	}
	if (a->keeper.fd == -1)
		door_state = "down";
	else if (a->relay)
		door_state = "pulse";
	else if (a->contact == 1)
		door_state = "open";
	else
		door_state = "closed";
	if (a->worker_ready)
		worker = "ok";
	else if (a->worker.fd != -1)
		worker = "starting";
	else
		worker = "restarting";
	cJSON_AddStringToObject(r, "door", a->conf.door_name);
	cJSON_AddStringToObject(r, "door_state", door_state);
	cJSON_AddStringToObject(r, "camera", !a->worker_ready ? "down" :
	    a->camera_ended ? "ended" : "ok");
	cJSON_AddStringToObject(r, "worker", worker);
	cJSON_AddNumberToObject(r, "worker_restarts", a->worker.restarts);
	cJSON_AddNumberToObject(r, "frames", (double)a->frames_total);
	cJSON_AddNumberToObject(r, "dropped", (double)a->dropped_total);
	cJSON_AddNumberToObject(r, "analyse_ms",
	    round(a->stats.analyse_ms * 100) / 100);
	cJSON_AddNumberToObject(r, "people", (double)agent_people_active(a));
	cJSON_AddNumberToObject(r, "templates",
	    (double)gallery_size(a->gallery));
	cJSON_AddNumberToObject(r, "pending", (double)pending.n);
	cJSON_AddNumberToObject(r, "uptime",
	    (double)((loop_now_ms() - a->started_ms) / 1000));
	reply_ok(h, r);
}

/* pending */

struct pending_ctx {
	struct agent	*a;
	cJSON		*list;
};

static int
pending_visit(const struct store_visit *v, void *arg)
{
	struct pending_ctx	*p = arg;
	cJSON			*o = cJSON_CreateObject();
	char			*b64;

	cJSON_AddNumberToObject(o, "visit", (double)v->id);
	cJSON_AddNumberToObject(o, "first_seen", (double)v->first_seen);
	cJSON_AddNumberToObject(o, "last_seen", (double)v->last_seen);
	cJSON_AddNumberToObject(o, "seen", v->seen_count);
	cJSON_AddStringToObject(o, "door", v->door != NULL ? v->door :
	    p->a->conf.door_name);
	if (v->name != NULL)
		cJSON_AddStringToObject(o, "name", v->name);
	else
		cJSON_AddNullToObject(o, "name");
	if (v->email != NULL)
		cJSON_AddStringToObject(o, "email", v->email);
	else
		cJSON_AddNullToObject(o, "email");
	if ((b64 = photo_base64(p->a, v->photo)) != NULL) {
		cJSON_AddStringToObject(o, "photo", b64);
		free(b64);
	} else
		cJSON_AddNullToObject(o, "photo");
	cJSON_AddItemToArray(p->list, o);
	return 0;
}

static void
handler_PENDING(struct handlers_ctx *h)
{
	struct pending_ctx	 p = { h->a, cJSON_CreateArray() };
	char			*cause = NULL;
	cJSON			*r;

	if (store_visits_pending(h->a->store, pending_visit, &p,
	    &cause) == -1) {
		cJSON_Delete(p.list);
		reply_store_error(h, cause);
		return;
	}
	r = cJSON_CreateObject();
	cJSON_AddItemToObject(r, "visits", p.list);
	reply_ok(h, r);
}

/* visit */

struct visit_photos_ctx {
	struct agent	*a;
	cJSON		*list;
	const char	*best;
};

static int
visit_photo_item(const char *hash, const float *desc, int64_t time,
    void *arg)
{
	struct visit_photos_ctx	*c = arg;
	char			*b64;

	(void)desc;
	(void)time;
	if (strcmp(hash, c->best) == 0)
		return 0;
	if ((b64 = photo_base64(c->a, hash)) != NULL) {
		cJSON_AddItemToArray(c->list, cJSON_CreateString(b64));
		free(b64);
	}
	return 0;
}

static void
add_string_or_null(cJSON *o, const char *key, const char *value)
{
	if (value != NULL)
		cJSON_AddStringToObject(o, key, value);
	else
		cJSON_AddNullToObject(o, key);
}

static void
handler_VISIT(struct handlers_ctx *h)
{
	struct store_visit		 v;
	struct visit_photos_ctx		 c;
	struct gallery_match		 best, second;
	const struct agent_person	*p = NULL;
	int64_t				 id = arg_int(h, "visit");
	char				*cause = NULL, *b64;
	cJSON				*r;

	if (find_visit(h, id, &v) != 0)
		return;
	r = cJSON_CreateObject();
	cJSON_AddNumberToObject(r, "visit", (double)v.id);
	cJSON_AddStringToObject(r, "state", v.state);
	cJSON_AddStringToObject(r, "door", v.door != NULL ? v.door :
	    h->a->conf.door_name);
	cJSON_AddNumberToObject(r, "first_seen", (double)v.first_seen);
	cJSON_AddNumberToObject(r, "last_seen", (double)v.last_seen);
	cJSON_AddNumberToObject(r, "seen", v.seen_count);
	add_string_or_null(r, "name", v.name);
	add_string_or_null(r, "email", v.email);
	add_string_or_null(r, "phone", v.phone);
	add_string_or_null(r, "decided_by", v.decided_by);
	add_string_or_null(r, "reason", v.reason);
	/* The best photo first, then the rest of the track's. */
	c.a = h->a;
	c.list = cJSON_AddArrayToObject(r, "photos");
	c.best = v.photo;
	if ((b64 = photo_base64(h->a, v.photo)) != NULL) {
		cJSON_AddItemToArray(c.list, cJSON_CreateString(b64));
		free(b64);
	}
	if (store_visit_photos(h->a->store, id, visit_photo_item, &c,
	    &cause) == -1) {
		log_warnx("visit %lld: %s", (long long)id, cause);
		free(cause);
	}
	/* The nearest enrolled person as the gallery is now. */
	if (v.has_descriptor) {
		gallery_search(h->a->gallery, v.descriptor, &best, &second,
		    NULL);
		p = agent_person(h->a, best.identity);
	}
	if (p != NULL && p->name != NULL) {
		cJSON_AddStringToObject(r, "nearest", p->name);
		cJSON_AddNumberToObject(r, "distance",
		    round(best.distance * 1e4) / 1e4);
	} else {
		cJSON_AddNullToObject(r, "nearest");
		cJSON_AddNullToObject(r, "distance");
	}
	store_visit_clear(&v);
	reply_ok(h, r);
}

/* visitor and watch: the kiosk */

static void
handler_VISITOR(struct handlers_ctx *h)
{
	struct store_visit	 v;
	const char		*name = arg_string(h, "name");
	const char		*email = arg_string(h, "email");
	const char		*phone = arg_string(h, "phone");
	int64_t			 id = arg_int(h, "visit");
	char			*cause = NULL, *line;
	cJSON			*r, *extra;
	int			 rc;

	if ((name == NULL && email == NULL && phone == NULL) ||
	    !field_ok(name) || !field_ok(email) || !field_ok(phone) ||
	    (email != NULL && (strchr(email, '@') == NULL ||
	    strpbrk(email, " <>,;\"") != NULL))) {
		reply_error(h, PROTO_ERR_BAD_REQUEST, "a name, e-mail or "
		    "phone is needed, not empty, too long or malformed");
		return;
	}
	/* A kiosk speaks for the visitor at the door now, not for others. */
	memset(&v, 0, sizeof v);
	rc = store_visit_find(h->a->store, id, &v, &cause);
	if (rc == 0 && (strcmp(v.state, "pending") != 0 ||
	    now_wall() - v.last_seen > HANDLERS_VISITOR_RECENT))
		rc = 1;
	store_visit_clear(&v);
	if (rc == 0)
		rc = store_visit_visitor(h->a->store, id, name, email, phone,
		    &cause);
	if (rc != 0) {
		if (rc == -1)
			reply_store_error(h, cause);
		else
			reply_error(h, PROTO_ERR_NOT_FOUND, "no visitor %lld "
			    "waiting at the door", (long long)id);
		return;
	}
	/* Consoles reload the request; the details stay out of the log. */
	extra = cJSON_CreateObject();
	cJSON_AddNumberToObject(extra, "visit", (double)id);
	cJSON_AddBoolToObject(extra, "updated", 1);
	line = proto_event("pending", now_wall(), h->a->conf.door_name, NULL,
	    extra);
	control_event(h->control, line);
	free(line);
	r = cJSON_CreateObject();
	cJSON_AddNumberToObject(r, "visit", (double)id);
	reply_ok(h, r);
}

static void
handler_WATCH(struct handlers_ctx *h)
{
	cJSON	*r = cJSON_CreateObject();

	cJSON_AddStringToObject(r, "door", h->a->conf.door_name);
	control_follow(h->control, h->peer->id);
	reply_ok(h, r);
}

/* approve, deny, enroll */

/*
 * Decides visit ID with the outbox rows NR (may be NULL; freed) besides
 * those of its event; 0, or -1 with the reply sent.
 */
static int
decide_visit(struct handlers_ctx *h, int64_t id,
    const struct store_decision *d, const char *type, cJSON *details,
    struct notify_rows *nr)
{
	struct store_event	 ev;
	struct notify_rows	 none;
	char			*cause = NULL, *text;
	int64_t			 eid;
	int			 r;

	cJSON_AddStringToObject(details, "state", d->state);
	cJSON_AddStringToObject(details, "by", d->by);
	if (d->reason != NULL)
		cJSON_AddStringToObject(details, "reason", d->reason);
	text = cJSON_PrintUnformatted(details);
	cJSON_Delete(details);
	memset(&ev, 0, sizeof ev);
	ev.time = now_wall();
	ev.type = type;
	ev.door = h->a->conf.door_name;
	ev.person_id = d->person_id;
	ev.visit_id = id;
	ev.details = text;
	if (nr == NULL) {
		memset(&none, 0, sizeof none);
		nr = &none;
	}
	notify_event(h->a, &ev, nr);
	r = store_visit_decide_outbox(h->a->store, id, d, &ev, nr->rows,
	    nr->n, &eid, &cause);
	notify_rows_free(nr);
	if (r == 0) {
		agent_event_sent(h->a, &ev, eid);
		agent_outbox_kick(h->a);
	}
	free(text);
	switch (r) {
	case 0:
		return 0;
	case 1:
		reply_error(h, PROTO_ERR_NOT_FOUND, "no visit %lld",
		    (long long)id);
		return -1;
	case 2:
		reply_error(h, PROTO_ERR_CONFLICT, "visit %lld is already "
		    "decided", (long long)id);
		return -1;
	default:
		reply_store_error(h, cause);
		return -1;
	}
}

/* Parses an RFC 3339 time (UTC "Z" or an offset) into ms. */
static int
parse_time(const char *s, int64_t *ms)
{
	struct tm	 tm;
	const char	*p;
	int		 sign, oh, om, n = 0;
	int64_t		 t, frac = 0, scale = 100;

	memset(&tm, 0, sizeof tm);
	if ((p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm)) == NULL)
		return -1;
	if (*p == '.') {
		for (p++; isdigit((unsigned char)*p); p++) {
			frac += (*p - '0') * scale;
			scale /= 10;
		}
	}
	t = (int64_t)timegm(&tm);
	if (*p == 'Z' && p[1] == '\0') {
		*ms = t * 1000 + frac;
		return 0;
	}
	if ((*p != '+' && *p != '-') ||
	    sscanf(p + 1, "%2d:%2d%n", &oh, &om, &n) != 2 || p[1 + n] != '\0')
		return -1;
	sign = *p == '+' ? 1 : -1;
	*ms = (t - sign * (oh * 3600 + om * 60)) * 1000 + frac;
	return 0;
}

/* A time argument: RFC 3339, or a duration back from now. */
static int
parse_since(const char *s, int64_t *ms)
{
	int64_t	d;

	if (config_parse_duration(s, &d) == 0) {
		*ms = now_wall() - d;
		return 0;
	}
	return parse_time(s, ms);
}

/*
 * A pass being issued (approve, pass issue): its window and uses from the
 * request, then its signature, PIN and store row. The PIN goes to the
 * guard and the holder once; only its scrypt hash is kept.
 */
struct issue {
	struct pass		 pass;
	struct store_pass	 sp;
	char			*token;
	char			*pin_hash;
	char			 pin[PASS_PIN_MAX + 1];
	cJSON			*doors;
};

static void
issue_clear(struct issue *is)
{
	free(is->token);
	free(is->pin_hash);
	free(is->sp.doors);
	cJSON_Delete(is->doors);
	explicit_bzero(is, sizeof *is);
}

/*
 * The window of a new pass from "valid" or "valid_for", else pass_valid
 * from now, in whole seconds (doc/PASSES): from the start of FROM's
 * second to the end of TO's, and a duration keeps its length. 0, or -1
 * with the reply sent.
 */
static int
issue_window(struct handlers_ctx *h, struct pass *p)
{
	const char	*valid = arg_string(h, "valid");
	const char	*valid_for = arg_string(h, "valid_for");
	int64_t		 from = now_wall(), to = 0, dur = 0;
	char		*copy, *sep;
	int		 ok;

	if (valid != NULL && valid_for != NULL) {
		reply_error(h, PROTO_ERR_BAD_REQUEST, "valid and valid_for "
		    "together");
		return -1;
	}
	if (valid != NULL) {
		copy = xstrdup(valid);
		ok = (sep = strstr(copy, "..")) != NULL;
		if (ok) {
			*sep = '\0';
			ok = parse_time(copy, &from) == 0 &&
			    parse_time(sep + 2, &to) == 0 && to > from;
		}
		free(copy);
		if (!ok) {
			reply_error(h, PROTO_ERR_BAD_REQUEST, "valid \"%s\" is "
			    "not FROM..TO, two RFC 3339 times in order", valid);
			return -1;
		}
		if (from < 0) {
			reply_error(h, PROTO_ERR_BAD_REQUEST, "valid \"%s\" "
			    "starts before 1970", valid);
			return -1;
		}
		p->not_before = from / 1000;
		p->expiry = to / 1000 + (to % 1000 != 0);
		return 0;
	}
	if (valid_for != NULL) {
		if (config_parse_duration(valid_for, &dur) != 0 || dur <= 0) {
			reply_error(h, PROTO_ERR_BAD_REQUEST, "valid_for "
			    "\"%s\" is not a duration", valid_for);
			return -1;
		}
	} else
		dur = h->a->conf.pass_valid;
	p->not_before = from / 1000;
	p->expiry = p->not_before + dur / 1000 + (dur % 1000 != 0);
	return 0;
}

/*
 * Signs the pass of IS (window, uses, visit and person set) for this door
 * and makes its PIN and store row. Hashing the PIN takes some 40 ms on
 * the main loop, once per pass a person issues: a pause nobody at the
 * door notices, and far simpler than a thread. 0, or -1 with the reply
 * sent.
 */
static int
issue_sign(struct handlers_ctx *h, struct issue *is)
{
	struct pass	*p = &is->pass;
	char		*cause = NULL;

	p->ndoors = 1;
	snprintf(p->doors[0], sizeof p->doors[0], "%s", h->a->conf.door_name);
	if (pass_issue(h->a->keyring, p, &is->token, &cause) != 0 ||
	    pass_pin_new((int)h->a->conf.pin_digits, is->pin,
	    sizeof is->pin) != 0 ||
	    pass_pin_hash(is->pin, &is->pin_hash, &cause) != 0) {
		reply_error(h, PROTO_ERR_INTERNAL, "pass: %s", cause != NULL ?
		    cause : "no random bytes");
		free(cause);
		return -1;
	}
	pass_id_hex(p->id, is->sp.id);
	is->doors = cJSON_CreateArray();
	cJSON_AddItemToArray(is->doors, cJSON_CreateString(p->doors[0]));
	is->sp.key_id = p->key_id;
	is->sp.visit_id = p->visit;
	is->sp.person_id = p->person;
	is->sp.doors = cJSON_PrintUnformatted(is->doors);
	is->sp.not_before = p->not_before * 1000;
	is->sp.expires = p->expiry * 1000;
	is->sp.uses = p->uses;
	is->sp.pin_hash = is->pin_hash;
	return 0;
}

/* The mail or SMS that carries the pass of IS to its holder, into NR. */
static void
issue_rows(struct handlers_ctx *h, const struct issue *is, const char *name,
    const char *email, const char *phone, struct notify_rows *nr)
{
	struct notify_pass	np;

	memset(&np, 0, sizeof np);
	np.name = name;
	np.email = email;
	np.phone = phone;
	np.token = is->token;
	np.pin = is->pin;
	np.not_before = is->sp.not_before;
	np.expires = is->sp.expires;
	np.uses = is->sp.uses;
	notify_pass(h->a, &np, nr);
}

/* The pass in a reply (PROTOCOL 4.4, 4.22): the token and PIN, once. */
static void
issue_result(struct issue *is, cJSON *res)
{
	cJSON_AddStringToObject(res, "id", is->sp.id);
	cJSON_AddStringToObject(res, "pass", is->sp.id);
	cJSON_AddStringToObject(res, "token", is->token);
	cJSON_AddStringToObject(res, "pin", is->pin);
	cJSON_AddNumberToObject(res, "not_before", (double)is->sp.not_before);
	cJSON_AddNumberToObject(res, "expires", (double)is->sp.expires);
	cJSON_AddItemToObject(res, "doors", is->doors);
	is->doors = NULL;
}

/* Whether an address can be mailed: the checks of the outbox. */
static int
issue_contacts_ok(struct handlers_ctx *h, const char *name, const char *email,
    const char *phone)
{
	if (!field_ok(name) || !field_ok(email) || !field_ok(phone)) {
		reply_error(h, PROTO_ERR_BAD_REQUEST, "a name, e-mail or "
		    "phone is empty, too long or holds control characters");
		return 0;
	}
	if (email != NULL && !outbox_address_valid(email)) {
		reply_error(h, PROTO_ERR_BAD_REQUEST, "bad e-mail address "
		    "\"%s\"", email);
		return 0;
	}
	if (phone != NULL && !outbox_phone_valid(phone)) {
		reply_error(h, PROTO_ERR_BAD_REQUEST, "bad phone number \"%s\" "
		    "(E.164: + and 6 to 15 digits)", phone);
		return 0;
	}
	return 1;
}

static void
handler_APPROVE(struct handlers_ctx *h)
{
	struct store_decision	 d;
	struct store_visit	 v;
	struct issue		 is;
	struct notify_rows	 nr;
	const char		*name = arg_string(h, "name");
	const char		*email = arg_string(h, "email");
	const char		*phone = arg_string(h, "phone");
	int64_t			 id = arg_int(h, "visit"), person = 0;
	int			 enroll = arg_bool(h, "enroll"), added = 0, r;
	char			*cause = NULL;
	cJSON			*res, *details;

	memset(&is, 0, sizeof is);
	if (!issue_contacts_ok(h, name, email, phone) ||
	    issue_window(h, &is.pass) != 0)
		return;
	if (enroll && name == NULL) {
		reply_error(h, PROTO_ERR_BAD_REQUEST, "enroll needs a name");
		return;
	}
	if (find_visit(h, id, &v) != 0)
		return;
	r = strcmp(v.state, "pending") != 0;
	if (email == NULL && v.email != NULL)
		email = v.email;
	if (phone == NULL && v.phone != NULL)
		phone = v.phone;
	if (name == NULL && v.name != NULL)
		name = v.name;
	if (r) {
		reply_error(h, PROTO_ERR_CONFLICT, "visit %lld is already "
		    "decided", (long long)id);
		goto out;
	}
	if (enroll) {
		if ((r = store_person_add(h->a->store, name, email, phone,
		    &person, &cause)) != 0) {
			reply_error(h, PROTO_ERR_CONFLICT, "%s", cause);
			free(cause);
			goto out;
		}
		/* So that the decision's event names the new person. */
		if (agent_people_load(h->a, &cause) != 0) {
			log_warnx("people: %s", cause);
			free(cause);
		}
	}

	is.pass.visit = id;
	is.pass.person = person;
	is.pass.uses = 1;
	if (issue_sign(h, &is) != 0)
		goto out;
	memset(&d, 0, sizeof d);
	d.state = "approved";
	d.by = h->peer->who;
	d.name = arg_string(h, "name");
	d.email = arg_string(h, "email");
	d.phone = arg_string(h, "phone");
	d.person_id = person;
	d.pass = &is.sp;
	/* The event names the pass; its token and PIN stay out of the log. */
	details = cJSON_CreateObject();
	cJSON_AddStringToObject(details, "pass", is.sp.id);
	cJSON_AddNumberToObject(details, "not_before",
	    (double)is.sp.not_before);
	cJSON_AddNumberToObject(details, "expires", (double)is.sp.expires);
	memset(&nr, 0, sizeof nr);
	issue_rows(h, &is, name, email, phone, &nr);
	if (decide_visit(h, id, &d, "visit", details, &nr) != 0)
		goto out;
	if (enroll) {
		if (store_visit_enroll(h->a->store, id, person, &added,
		    &cause) == -1) {
			log_warnx("enroll visit %lld: %s", (long long)id,
			    cause);
			free(cause);
		}
		people_changed(h, "added", person);
	}

	res = cJSON_CreateObject();
	cJSON_AddNumberToObject(res, "visit", (double)id);
	if (arg_string(h, "name") != NULL)
		cJSON_AddStringToObject(res, "person", arg_string(h, "name"));
	else
		cJSON_AddNullToObject(res, "person");
	if (enroll)
		cJSON_AddNumberToObject(res, "templates", added);
	issue_result(&is, res);
	reply_ok(h, res);
out:
	issue_clear(&is);
	store_visit_clear(&v);
}

/*
 * Deny-lists the face of visit ID: a deny-listed person "visit-ID" made
 * from the visit's descriptors. Returns the entry (the person's id), 0 if
 * the visit has no face, or -1 with *CAUSE.
 */
static int64_t
deny_list_visit(struct handlers_ctx *h, int64_t id, const char *reason,
    char **cause)
{
	char	*name;
	int64_t	 person;
	int	 added = 0;
	cJSON	*d;

	xasprintf(&name, "visit-%lld", (long long)id);
	if (store_person_add(h->a->store, name, NULL, NULL, &person,
	    cause) != 0) {
		free(name);
		return -1;
	}
	free(name);
	if (store_person_deny(h->a->store, person, 1, cause) != 0 ||
	    store_visit_enroll(h->a->store, id, person, &added, cause) == -1)
		return -1;
	if (agent_people_load(h->a, cause) != 0)
		return -1;
	d = cJSON_CreateObject();
	cJSON_AddStringToObject(d, "action", "deny-listed");
	cJSON_AddStringToObject(d, "by", h->peer->who);
	if (reason != NULL)
		cJSON_AddStringToObject(d, "reason", reason);
	cJSON_AddNumberToObject(d, "templates", added);
	agent_event(h->a, "person", now_wall(), person, id, d, NULL);
	return added > 0 ? person : 0;
}

static void
handler_DENY(struct handlers_ctx *h)
{
	struct store_decision	 d;
	int64_t			 id = arg_int(h, "visit"), entry = 0;
	char			*cause = NULL;
	cJSON			*res;

	memset(&d, 0, sizeof d);
	d.state = "denied";
	d.by = h->peer->who;
	if (decide_visit(h, id, &d, "visit", cJSON_CreateObject(),
	    NULL) != 0)
		return;
	if (arg_bool(h, "deny_list") &&
	    (entry = deny_list_visit(h, id, NULL, &cause)) == -1) {
		reply_error(h, PROTO_ERR_INTERNAL, "deny list: %s", cause);
		free(cause);
		return;
	}
	res = cJSON_CreateObject();
	cJSON_AddNumberToObject(res, "visit", (double)id);
	if (entry > 0)
		cJSON_AddNumberToObject(res, "entry", (double)entry);
	else
		cJSON_AddNullToObject(res, "entry");
	reply_ok(h, res);
}

static void
handler_ENROLL(struct handlers_ctx *h)
{
	struct store_person	 p;
	int64_t			 id = arg_int(h, "visit");
	int			 added = 0, r;
	char			*cause = NULL;
	cJSON			*res, *warnings;

	if (find_person(h, arg_string(h, "person"), &p) != 0)
		return;
	if ((r = store_visit_enroll(h->a->store, id, p.id, &added,
	    &cause)) != 0) {
		if (r == 1)
			reply_error(h, PROTO_ERR_NOT_FOUND, "no visit %lld, or "
			    "%s can no longer be enrolled", (long long)id,
			    p.name);
		else
			reply_store_error(h, cause);
		store_person_clear(&p);
		return;
	}
	people_changed(h, "enrolled", p.id);
	res = cJSON_CreateObject();
	cJSON_AddStringToObject(res, "person", p.name);
	cJSON_AddNumberToObject(res, "templates", added);
	warnings = cJSON_AddArrayToObject(res, "warnings");
	if (added == 0)
		cJSON_AddItemToArray(warnings, cJSON_CreateString("the visit "
		    "has no face descriptor"));
	store_person_clear(&p);
	reply_ok(h, res);
}

/* people */

struct people_ctx {
	struct agent	*a;
	cJSON		*list;
	int		 deny_list;
};

static int
people_item(const struct store_person *p, void *arg)
{
	struct people_ctx	*c = arg;
	cJSON			*o;
	int			 n = 0;
	char			*cause = NULL;

	if (p->name == NULL || p->removed != 0 ||
	    p->deny_listed != c->deny_list)
		return 0;
	if (store_person_templates(c->a->store, p->id, &n, &cause) == -1)
		free(cause);
	o = cJSON_CreateObject();
	if (c->deny_list) {
		cJSON_AddNumberToObject(o, "entry", (double)p->id);
		cJSON_AddStringToObject(o, "name", p->name);
	} else {
		cJSON_AddNumberToObject(o, "id", (double)p->id);
		cJSON_AddStringToObject(o, "name", p->name);
	}
	cJSON_AddNumberToObject(o, "templates", n);
	cJSON_AddNumberToObject(o, "added", (double)p->created);
	cJSON_AddItemToArray(c->list, o);
	return 0;
}

static void
list_people(struct handlers_ctx *h, int deny_list, const char *key)
{
	struct people_ctx	 c = { h->a, cJSON_CreateArray(), deny_list };
	char			*cause = NULL;
	cJSON			*r;

	if (store_people_list(h->a->store, people_item, &c, &cause) != 0) {
		cJSON_Delete(c.list);
		reply_store_error(h, cause);
		return;
	}
	r = cJSON_CreateObject();
	cJSON_AddItemToObject(r, key, c.list);
	reply_ok(h, r);
}

static void
handler_PEOPLE(struct handlers_ctx *h)
{
	list_people(h, 0, "people");
}

static void
handler_DENY_LIST(struct handlers_ctx *h)
{
	list_people(h, 1, "entries");
}

/* people add: the worker analyses each photo, then the person is added. */

static struct agent_enroll *
enroll_find(struct agent *a, uint64_t req)
{
	struct agent_enroll	*e;

	for (e = a->enrolls; e != NULL; e = e->next) {
		if (req >= e->first_req &&
		    req < e->first_req + (uint64_t)e->nphotos)
			return e;
	}
	return NULL;
}

static void
enroll_free(struct agent *a, struct agent_enroll *e)
{
	struct agent_enroll	**pp;
	int			  i;

	for (pp = &a->enrolls; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == e) {
			*pp = e->next;
			break;
		}
	}
	for (i = 0; i < e->nphotos; i++) {
		free(e->results[i].jpeg);
		free(e->labels[i]);
	}
	free(e->results);
	free(e->labels);
	free(e->name);
	free(e->who);
	free(e);
}

static void
enroll_reply(struct agent *a, struct agent_enroll *e, char *line)
{
	control_reply(a->control, e->peer, line);
	enroll_free(a, e);
}

/* Every photo answered: add the person with the photos that passed. */
static void
enroll_finish(struct agent *a, struct agent_enroll *e)
{
	struct gallery_match		 best, second;
	const struct agent_person	*p;
	char				 hash[STORE_HASH_LEN + 1];
	char				*cause = NULL, *w;
	int64_t				 person;
	int				 i, ok = 0, added = 0;
	cJSON				*res, *refused, *warnings, *o, *d;

	for (i = 0; i < e->nphotos; i++)
		ok += e->results[i].ok;
	if (ok == 0) {
		w = xstrdup("no usable photo:");
		for (i = 0; i < e->nphotos; i++) {
			char	*nw;

			xasprintf(&nw, "%s %s: %s;", w, e->labels[i],
			    e->results[i].reason);
			free(w);
			w = nw;
		}
		w[strlen(w) - 1] = '\0';
		enroll_reply(a, e, proto_reply_error(e->request,
		    PROTO_ERR_BAD_REQUEST, "%s", w));
		free(w);
		return;
	}
	if (store_person_add(a->store, e->name, NULL, NULL, &person,
	    &cause) != 0) {
		enroll_reply(a, e, proto_reply_error(e->request,
		    PROTO_ERR_CONFLICT, "%s", cause));
		free(cause);
		return;
	}
	res = cJSON_CreateObject();
	refused = cJSON_CreateArray();
	warnings = cJSON_CreateArray();
	for (i = 0; i < e->nphotos; i++) {
		struct worker_enroll_result	*r = &e->results[i];

		if (!r->ok) {
			o = cJSON_CreateObject();
			cJSON_AddNumberToObject(o, "photo", i);
			cJSON_AddStringToObject(o, "reason", r->reason);
			cJSON_AddItemToArray(refused, o);
			continue;
		}
		/*
		 * A look-alike: someone enrolled is nearer than the match
		 * threshold plus the margin, so a vote for one of the two
		 * could go either way.
		 */
		gallery_search(a->gallery, r->descriptor, &best, &second,
		    NULL);
		if (best.identity != -1 && best.distance <
		    a->conf.match_threshold + a->conf.match_margin &&
		    (p = agent_person(a, best.identity)) != NULL &&
		    p->name != NULL) {
			xasprintf(&w, "photo %d looks like %s (distance "
			    "%.3f)", i, p->name, best.distance);
			cJSON_AddItemToArray(warnings, cJSON_CreateString(w));
			free(w);
		}
		if (store_photo_put(a->store, r->jpeg, r->jpeg_len, hash,
		    &cause) != 0 || store_template_add(a->store, person,
		    r->descriptor, hash, NULL, &cause) != 0) {
			log_warnx("people add %s: %s", e->name, cause);
			free(cause);
			cause = NULL;
			continue;
		}
		added++;
	}
	if (agent_people_load(a, &cause) != 0) {
		log_warnx("people: %s", cause);
		free(cause);
	}
	d = cJSON_CreateObject();
	cJSON_AddStringToObject(d, "action", "added");
	cJSON_AddStringToObject(d, "by", e->who);
	cJSON_AddNumberToObject(d, "templates", added);
	agent_event(a, "person", agent_wall_ms(loop_now_ms()), person, 0, d,
	    NULL);
	cJSON_AddNumberToObject(res, "person", (double)person);
	cJSON_AddStringToObject(res, "name", e->name);
	cJSON_AddNumberToObject(res, "templates", added);
	cJSON_AddItemToObject(res, "refused", refused);
	cJSON_AddItemToObject(res, "warnings", warnings);
	enroll_reply(a, e, proto_reply_ok(e->request, res));
}

void
handlers_enroll_result(struct agent *a, struct worker_enroll_result *r)
{
	struct agent_enroll		*e;
	struct worker_enroll_result	*slot;

	if ((e = enroll_find(a, r->req)) == NULL)
		return;
	slot = &e->results[r->req - e->first_req];
	free(slot->jpeg);
	*slot = *r;
	r->jpeg = NULL;	/* taken */
	if (++e->answered == e->nphotos)
		enroll_finish(a, e);
}

void
handlers_enroll_abort(struct agent *a, const char *why)
{
	while (a->enrolls != NULL) {
		enroll_reply(a, a->enrolls, proto_reply_error(
		    a->enrolls->request, PROTO_ERR_UNAVAILABLE, "%s", why));
	}
}

static void
handler_PEOPLE_ADD(struct handlers_ctx *h)
{
	struct agent		*a = h->a;
	struct agent_enroll	*e;
	struct worker_msg	 m;
	struct store_person	 p;
	const char		*name = arg_string(h, "name");
	cJSON			*photos, *c;
	uint8_t			*buf;
	size_t			 len;
	char			*cause = NULL;
	int			 i, n, r;

	if (!field_ok(name) || strspn(name, "0123456789") == strlen(name)) {
		reply_error(h, PROTO_ERR_BAD_REQUEST, "a name is 1 to %d "
		    "printable characters, not all digits", HANDLERS_FIELD_MAX);
		return;
	}
	memset(&p, 0, sizeof p);
	if ((r = store_person_find(a->store, name, &p, &cause)) != 1) {
		if (r == 0) {
			store_person_clear(&p);
			reply_error(h, PROTO_ERR_CONFLICT, "%s is already "
			    "enrolled", name);
		} else
			reply_store_error(h, cause);
		return;
	}
	if (!a->worker_ready) {
		reply_error(h, PROTO_ERR_UNAVAILABLE, "the vision worker is "
		    "not running");
		return;
	}
	photos = cJSON_GetObjectItemCaseSensitive(h->req->args, "photos");
	n = cJSON_GetArraySize(photos);
	e = xcalloc(1, sizeof *e);
	e->peer = h->peer->id;
	e->request = h->req->id;
	e->name = xstrdup(name);
	e->who = xstrdup(h->peer->who);
	e->nphotos = n;
	e->results = xcalloc((size_t)n, sizeof *e->results);
	e->labels = xcalloc((size_t)n, sizeof *e->labels);
	e->first_req = a->next_worker_req + 1;
	a->next_worker_req += (uint64_t)n;
	e->next = a->enrolls;
	a->enrolls = e;
	i = 0;
	cJSON_ArrayForEach(c, photos) {
		if (strncmp(c->valuestring, "base64:", 7) == 0 ||
		    strncmp(c->valuestring, "data:", 5) == 0)
			xasprintf(&e->labels[i], "photo %d", i);
		else
			e->labels[i] = xstrdup(c->valuestring);
		if (photo_bytes(c->valuestring, &buf, &len, &cause) == 0) {
			memset(&m, 0, sizeof m);
			m.type = WORKER_MSG_ENROLL;
			m.u.enroll.req = e->first_req + (uint64_t)i;
			m.u.enroll.photo = buf;
			m.u.enroll.len = len;
			if (agent_worker_send(a, &m) != 0)
				cause = xstrdup("the vision worker cannot take "
				    "it");
			free(buf);
		}
		if (cause != NULL) {
			/* Answered here, as the worker would have. */
			e->results[i].req = e->first_req + (uint64_t)i;
			snprintf(e->results[i].reason,
			    sizeof e->results[i].reason, "%s", cause);
			free(cause);
			cause = NULL;
			e->answered++;
		}
		i++;
	}
	if (e->answered == e->nphotos)
		enroll_finish(a, e);
}

/*
 * Applies FN (store_person_remove or store_forget_person) to the person of
 * the request; FN returning 1 means it was already done.
 */
static void
person_change(struct handlers_ctx *h,
    int (*fn)(struct store *, int64_t, char **), const char *action)
{
	struct store_person	 p;
	char			*cause = NULL;
	cJSON			*res;
	int			 r;

	if (find_person(h, arg_string(h, "person"), &p) != 0)
		return;
	if ((r = fn(h->a->store, p.id, &cause)) != 0) {
		if (r == 1)
			reply_error(h, PROTO_ERR_NOT_FOUND, "%s is already "
			    "%s", p.name, action);
		else
			reply_store_error(h, cause);
		store_person_clear(&p);
		return;
	}
	people_changed(h, action, p.id);
	res = cJSON_CreateObject();
	cJSON_AddNumberToObject(res, "person", (double)p.id);
	store_person_clear(&p);
	reply_ok(h, res);
}

static void
handler_PEOPLE_REMOVE(struct handlers_ctx *h)
{
	person_change(h, store_person_remove, "removed");
}

static void
handler_PEOPLE_FORGET(struct handlers_ctx *h)
{
	person_change(h, store_forget_person, "forgotten");
}

static void
handler_DENY_LIST_ADD(struct handlers_ctx *h)
{
	struct store_visit	 v;
	int64_t			 id = arg_int(h, "visit"), entry;
	char			*cause = NULL;
	cJSON			*res;

	if (find_visit(h, id, &v) != 0)
		return;
	store_visit_clear(&v);
	if ((entry = deny_list_visit(h, id, arg_string(h, "reason"),
	    &cause)) == -1) {
		reply_error(h, PROTO_ERR_CONFLICT, "%s", cause);
		free(cause);
		return;
	}
	if (entry == 0) {
		reply_error(h, PROTO_ERR_BAD_REQUEST, "visit %lld has no face "
		    "descriptor", (long long)id);
		return;
	}
	res = cJSON_CreateObject();
	cJSON_AddNumberToObject(res, "entry", (double)entry);
	reply_ok(h, res);
}

/*
 * A deny-list entry is a face, not a person one lets in: taking it off the
 * list forgets the face (its templates go), so that the same face is an
 * unknown visitor again, never a match for the entry.
 */
static void
handler_DENY_LIST_REMOVE(struct handlers_ctx *h)
{
	const struct agent_person	*p;
	int64_t				 id = arg_int(h, "entry");
	char				*cause = NULL;
	cJSON				*res;

	if ((p = agent_person(h->a, id)) == NULL || !p->deny_listed ||
	    p->removed) {
		reply_error(h, PROTO_ERR_NOT_FOUND, "no deny-list entry %lld",
		    (long long)id);
		return;
	}
	if (store_person_remove(h->a->store, id, &cause) == -1) {
		reply_store_error(h, cause);
		return;
	}
	people_changed(h, "deny-list removed", id);
	res = cJSON_CreateObject();
	cJSON_AddNumberToObject(res, "entry", (double)id);
	reply_ok(h, res);
}

/* events */

struct events_ctx {
	struct agent	*a;
	cJSON		*list;
};

static int
events_item(const struct store_event *ev, void *arg)
{
	struct events_ctx	*c = arg;
	cJSON			*o;

	if ((o = agent_event_json(c->a, ev)) != NULL)
		cJSON_AddItemToArray(c->list, o);
	return 0;
}

static void
handler_EVENTS(struct handlers_ctx *h)
{
	struct events_ctx	 c = { h->a, NULL };
	const char		*since = arg_string(h, "since");
	int64_t			 t, first, head;
	int			 limit = HANDLERS_EVENTS_MAX;
	char			*cause = NULL;
	cJSON			*r;

	if (since != NULL) {
		if (parse_since(since, &t) != 0) {
			reply_error(h, PROTO_ERR_BAD_REQUEST, "since \"%s\" "
			    "is neither an RFC 3339 time nor a duration",
			    since);
			return;
		}
		if (store_event_first_after(h->a->store, t, &first,
		    &cause) != 0) {
			reply_store_error(h, cause);
			return;
		}
	} else {
		/* The last HANDLERS_EVENTS_DEFAULT. */
		if (store_event_first_after(h->a->store, INT64_MAX, &head,
		    &cause) != 0) {
			reply_store_error(h, cause);
			return;
		}
		first = head - HANDLERS_EVENTS_DEFAULT;
		if (first < 1)
			first = 1;
		limit = HANDLERS_EVENTS_DEFAULT;
	}
	c.list = cJSON_CreateArray();
	if (store_events_each(h->a->store, first - 1, limit, events_item, &c,
	    &cause) != 0) {
		cJSON_Delete(c.list);
		reply_store_error(h, cause);
		return;
	}
	r = cJSON_CreateObject();
	cJSON_AddItemToObject(r, "events", c.list);
	/* Following starts before the reply: nothing falls in between. */
	if (arg_bool(h, "follow"))
		control_follow(h->control, h->peer->id);
	reply_ok(h, r);
}

/* passes */

struct passes_ctx {
	cJSON	*list;
};

static int
passes_item(const struct store_pass *p, void *arg)
{
	struct passes_ctx	*c = arg;
	cJSON			*o = cJSON_CreateObject(), *doors;

	cJSON_AddStringToObject(o, "pass", p->id);
	add_string_or_null(o, "person", p->person_name);
	if (p->visit_id != 0)
		cJSON_AddNumberToObject(o, "visit", (double)p->visit_id);
	else
		cJSON_AddNullToObject(o, "visit");
	cJSON_AddNumberToObject(o, "not_before", (double)p->not_before);
	cJSON_AddNumberToObject(o, "expires", (double)p->expires);
	cJSON_AddNumberToObject(o, "uses", p->uses);
	if ((doors = cJSON_Parse(p->doors)) == NULL || !cJSON_IsArray(doors)) {
		cJSON_Delete(doors);
		doors = cJSON_CreateArray();
	}
	cJSON_AddItemToObject(o, "doors", doors);
	cJSON_AddItemToArray(c->list, o);
	return 0;
}

static void
handler_PASSES(struct handlers_ctx *h)
{
	struct passes_ctx	 c = { cJSON_CreateArray() };
	char			*cause = NULL;
	cJSON			*r;

	if (store_passes_list(h->a->store, now_wall(), passes_item, &c,
	    &cause) != 0) {
		cJSON_Delete(c.list);
		reply_store_error(h, cause);
		return;
	}
	r = cJSON_CreateObject();
	cJSON_AddItemToObject(r, "passes", c.list);
	reply_ok(h, r);
}

static void
handler_PASS_REVOKE(struct handlers_ctx *h)
{
	struct store_pass	 p;
	const char		*arg = arg_string(h, "pass");
	uint8_t			 bin[PASS_ID_LEN];
	char			 id[PASS_ID_HEX], *cause = NULL;
	int64_t			 person, visit;
	int			 r;
	cJSON			*d, *res;

	if (arg == NULL || pass_id_parse(arg, bin) != 0) {
		reply_error(h, PROTO_ERR_BAD_REQUEST, "\"%s\" is not a pass "
		    "id (32 hex digits)", arg != NULL ? arg : "");
		return;
	}
	pass_id_hex(bin, id);
	if ((r = store_pass_find(h->a->store, id, &p, &cause)) == -1) {
		reply_store_error(h, cause);
		return;
	}
	person = r == 0 ? p.person_id : 0;
	visit = r == 0 ? p.visit_id : 0;
	if (r == 0)
		store_pass_clear(&p);
	if (r == 0 && (r = store_pass_revoke(h->a->store, id, &cause)) == -1) {
		reply_store_error(h, cause);
		return;
	}
	if (r == 1) {
		reply_error(h, PROTO_ERR_NOT_FOUND, "no pass %s, or it is "
		    "revoked already", id);
		return;
	}
	d = cJSON_CreateObject();
	cJSON_AddStringToObject(d, "pass", id);
	cJSON_AddStringToObject(d, "action", "revoked");
	cJSON_AddStringToObject(d, "by", h->peer->who);
	agent_event(h->a, "pass", now_wall(), person, visit, d, NULL);
	res = cJSON_CreateObject();
	cJSON_AddStringToObject(res, "pass", id);
	reply_ok(h, res);
}

/* The most uses "pass issue" gives a pass: a pass is not a badge. */
#define HANDLERS_PASS_USES_MAX	100

static void
handler_PASS_ISSUE(struct handlers_ctx *h)
{
	struct store_person	 p;
	struct store_event	 ev;
	struct notify_rows	 nr;
	struct issue		 is;
	const char		*who = arg_string(h, "person");
	const char		*name = arg_string(h, "name");
	const char		*email = arg_string(h, "email");
	const char		*phone = arg_string(h, "phone");
	int64_t			 uses = arg_int(h, "uses"), eid;
	char			*cause = NULL, *text;
	cJSON			*d, *res;
	int			 r;

	memset(&is, 0, sizeof is);
	memset(&p, 0, sizeof p);
	if (!issue_contacts_ok(h, name, email, phone) ||
	    issue_window(h, &is.pass) != 0)
		return;
	if (who == NULL && name == NULL) {
		reply_error(h, PROTO_ERR_BAD_REQUEST, "a pass is for a person "
		    "or a visitor with a name");
		return;
	}
	if (cJSON_GetObjectItemCaseSensitive(h->req->args, "uses") == NULL)
		uses = 1;
	if (uses < 1 || uses > HANDLERS_PASS_USES_MAX) {
		reply_error(h, PROTO_ERR_BAD_REQUEST, "uses is 1 to %d",
		    HANDLERS_PASS_USES_MAX);
		return;
	}
	if (who != NULL) {
		if (find_person(h, who, &p) != 0)
			return;
		is.pass.person = p.id;
		if (name == NULL)
			name = p.name;
		if (email == NULL)
			email = p.email;
		if (phone == NULL)
			phone = p.phone;
	}
	is.pass.uses = (uint16_t)uses;
	if (issue_sign(h, &is) != 0)
		goto out;

	d = cJSON_CreateObject();
	cJSON_AddStringToObject(d, "pass", is.sp.id);
	cJSON_AddStringToObject(d, "action", "issued");
	cJSON_AddStringToObject(d, "by", h->peer->who);
	cJSON_AddNumberToObject(d, "not_before", (double)is.sp.not_before);
	cJSON_AddNumberToObject(d, "expires", (double)is.sp.expires);
	cJSON_AddNumberToObject(d, "uses", (double)uses);
	text = cJSON_PrintUnformatted(d);
	cJSON_Delete(d);
	memset(&ev, 0, sizeof ev);
	ev.time = now_wall();
	ev.type = "pass";
	ev.door = h->a->conf.door_name;
	ev.person_id = is.pass.person;
	ev.details = text;
	memset(&nr, 0, sizeof nr);
	issue_rows(h, &is, name, email, phone, &nr);
	notify_event(h->a, &ev, &nr);
	r = store_pass_issue(h->a->store, &is.sp, &ev, nr.rows, nr.n, &eid,
	    &cause);
	notify_rows_free(&nr);
	if (r != 0) {
		free(text);
		reply_store_error(h, cause);
		goto out;
	}
	agent_event_sent(h->a, &ev, eid);
	agent_outbox_kick(h->a);
	free(text);

	res = cJSON_CreateObject();
	if (who != NULL)
		cJSON_AddStringToObject(res, "person", p.name);
	else
		cJSON_AddNullToObject(res, "person");
	if (arg_string(h, "name") != NULL)
		cJSON_AddStringToObject(res, "name", arg_string(h, "name"));
	issue_result(&is, res);
	reply_ok(h, res);
out:
	issue_clear(&is);
	store_person_clear(&p);
}

/* The most keys a keyring lists (keys live until their passes expire). */
#define HANDLERS_KEYS_MAX	64

static void
handler_KEYS(struct handlers_ctx *h)
{
	uint32_t	 ids[HANDLERS_KEYS_MAX], current;
	size_t		 n, i;
	int64_t		 last;
	char		 hex[9], *cause = NULL;
	cJSON		*list = cJSON_CreateArray(), *o, *res;

	current = pass_keyring_current(h->a->keyring);
	n = pass_keyring_ids(h->a->keyring, ids, HANDLERS_KEYS_MAX);
	for (i = 0; i < n && i < HANDLERS_KEYS_MAX; i++) {
		if (store_key_last_expiry(h->a->store, ids[i], &last,
		    &cause) == -1) {
			cJSON_Delete(list);
			reply_store_error(h, cause);
			return;
		}
		o = cJSON_CreateObject();
		snprintf(hex, sizeof hex, "%08x", ids[i]);
		cJSON_AddStringToObject(o, "key", hex);
		cJSON_AddBoolToObject(o, "current", ids[i] == current);
		if (last > 0)
			cJSON_AddNumberToObject(o, "last_expiry", (double)last);
		else
			cJSON_AddNullToObject(o, "last_expiry");
		cJSON_AddItemToArray(list, o);
	}
	res = cJSON_CreateObject();
	cJSON_AddItemToObject(res, "keys", list);
	reply_ok(h, res);
}

static void
handler_KEYS_ROTATE(struct handlers_ctx *h)
{
	uint32_t	 old = pass_keyring_current(h->a->keyring);
	char		 was[9], now[9], *cause = NULL;
	cJSON		*d, *res;

	if (pass_keyring_rotate(h->a->keyring, &cause) != 0) {
		reply_error(h, PROTO_ERR_INTERNAL, "keys: %s", cause);
		free(cause);
		return;
	}
	snprintf(was, sizeof was, "%08x", old);
	snprintf(now, sizeof now, "%08x", pass_keyring_current(h->a->keyring));
	d = cJSON_CreateObject();
	cJSON_AddStringToObject(d, "action", "key-rotated");
	cJSON_AddStringToObject(d, "key", now);
	cJSON_AddStringToObject(d, "previous", was);
	cJSON_AddStringToObject(d, "by", h->peer->who);
	agent_event(h->a, "pass", now_wall(), 0, 0, d, NULL);
	res = cJSON_CreateObject();
	cJSON_AddStringToObject(res, "key", now);
	cJSON_AddStringToObject(res, "previous", was);
	reply_ok(h, res);
}

static void
handler_PIN(struct handlers_ctx *h)
{
	const struct agent_person	*p;
	const char			*result, *reason;
	int64_t				 who;
	cJSON				*res;

	if (access_pin(h->a, arg_string(h, "pin"), &result, &reason,
	    &who) != 0) {
		reply_error(h, PROTO_ERR_BAD_REQUEST, "a PIN is %d to %d "
		    "digits", PASS_PIN_MIN, PASS_PIN_MAX);
		return;
	}
	res = cJSON_CreateObject();
	cJSON_AddStringToObject(res, "result", result);
	cJSON_AddStringToObject(res, "reason", reason);
	if ((p = agent_person(h->a, who)) != NULL && p->name != NULL)
		cJSON_AddStringToObject(res, "person", p->name);
	else
		cJSON_AddNullToObject(res, "person");
	reply_ok(h, res);
}

/* The most rows one "outbox" reply lists. */
#define HANDLERS_OUTBOX_MAX	200

static int
outbox_item(const struct store_outbox_row *row, void *arg)
{
	cJSON	*list = arg, *o = cJSON_CreateObject();

	cJSON_AddNumberToObject(o, "row", (double)row->id);
	cJSON_AddNumberToObject(o, "event", (double)row->event_id);
	cJSON_AddStringToObject(o, "kind", row->kind);
	cJSON_AddStringToObject(o, "destination", row->destination);
	cJSON_AddStringToObject(o, "state", row->state);
	cJSON_AddNumberToObject(o, "attempts", row->attempts);
	cJSON_AddNumberToObject(o, "next_try", (double)row->next_try);
	if (row->last_try != 0)
		cJSON_AddNumberToObject(o, "last_try", (double)row->last_try);
	else
		cJSON_AddNullToObject(o, "last_try");
	if (row->last_error != NULL)
		cJSON_AddStringToObject(o, "last_error", row->last_error);
	else
		cJSON_AddNullToObject(o, "last_error");
	cJSON_AddItemToArray(list, o);
	return 0;
}

static void
handler_OUTBOX(struct handlers_ctx *h)
{
	const char	*state = arg_string(h, "state");
	char		*cause = NULL;
	cJSON		*list, *res;

	if (state != NULL && strcmp(state, "queued") != 0 &&
	    strcmp(state, "sent") != 0 && strcmp(state, "failed") != 0) {
		reply_error(h, PROTO_ERR_BAD_REQUEST, "state is queued, sent "
		    "or failed");
		return;
	}
	list = cJSON_CreateArray();
	if (store_outbox_list(h->a->store, state, HANDLERS_OUTBOX_MAX,
	    outbox_item, list, &cause) != 0) {
		cJSON_Delete(list);
		reply_store_error(h, cause);
		return;
	}
	res = cJSON_CreateObject();
	cJSON_AddItemToObject(res, "rows", list);
	reply_ok(h, res);
}

static void
handler_OUTBOX_RETRY(struct handlers_ctx *h)
{
	int64_t	 id = arg_int(h, "row");
	char	*cause = NULL;
	int	 r;
	cJSON	*res;

	if ((r = store_outbox_retry(h->a->store, id, now_wall(),
	    &cause)) == -1) {
		reply_store_error(h, cause);
		return;
	}
	if (r == 1) {
		reply_error(h, PROTO_ERR_NOT_FOUND, "no failed row %lld",
		    (long long)id);
		return;
	}
	log_info("outbox: row %lld queued again by %s", (long long)id,
	    h->peer->who);
	agent_outbox_kick(h->a);
	res = cJSON_CreateObject();
	cJSON_AddNumberToObject(res, "row", (double)id);
	reply_ok(h, res);
}

/* The most alarms one "alarms" reply holds (photos are in it). */
#define HANDLERS_ALARMS_MAX	100

struct alarms_ctx {
	struct agent	*a;
	cJSON		*list;
};

static int
alarms_item(const struct store_alarm *al, void *arg)
{
	struct alarms_ctx		*c = arg;
	const struct agent_person	*p = agent_person(c->a, al->person_id);
	cJSON				*d, *o = cJSON_CreateObject();
	const cJSON			*kind, *reason, *photo;
	char				*jpeg = NULL;

	d = al->details != NULL ? cJSON_Parse(al->details) : NULL;
	kind = cJSON_GetObjectItemCaseSensitive(d, "kind");
	reason = cJSON_GetObjectItemCaseSensitive(d, "reason");
	photo = cJSON_GetObjectItemCaseSensitive(d, "photo");
	cJSON_AddNumberToObject(o, "alarm", (double)al->id);
	cJSON_AddNumberToObject(o, "time", (double)al->time);
	cJSON_AddStringToObject(o, "kind", cJSON_IsString(kind) ?
	    kind->valuestring : "alarm");
	if (cJSON_IsString(reason))
		cJSON_AddStringToObject(o, "reason", reason->valuestring);
	else
		cJSON_AddNullToObject(o, "reason");
	if (p != NULL && p->name != NULL)
		cJSON_AddStringToObject(o, "person", p->name);
	else
		cJSON_AddNullToObject(o, "person");
	/* The face that raised it, for the guard to see (not acknowledged). */
	if (al->acked_by == NULL && cJSON_IsString(photo))
		jpeg = photo_base64(c->a, photo->valuestring);
	if (jpeg != NULL)
		cJSON_AddStringToObject(o, "photo", jpeg);
	else
		cJSON_AddNullToObject(o, "photo");
	free(jpeg);
	if (al->acked_by != NULL) {
		cJSON_AddStringToObject(o, "acked_by", al->acked_by);
		cJSON_AddNumberToObject(o, "acked_at", (double)al->acked_at);
	} else {
		cJSON_AddNullToObject(o, "acked_by");
		cJSON_AddNullToObject(o, "acked_at");
	}
	if (al->note != NULL)
		cJSON_AddStringToObject(o, "note", al->note);
	else
		cJSON_AddNullToObject(o, "note");
	cJSON_Delete(d);
	cJSON_AddItemToArray(c->list, o);
	return 0;
}

static void
handler_ALARMS(struct handlers_ctx *h)
{
	struct alarms_ctx	 c = { h->a, cJSON_CreateArray() };
	char			*cause = NULL;
	cJSON			*res;

	if (store_alarms_list(h->a->store, arg_bool(h, "all"),
	    HANDLERS_ALARMS_MAX, alarms_item, &c, &cause) != 0) {
		cJSON_Delete(c.list);
		reply_store_error(h, cause);
		return;
	}
	res = cJSON_CreateObject();
	cJSON_AddItemToObject(res, "alarms", c.list);
	reply_ok(h, res);
}

static void
handler_ACK(struct handlers_ctx *h)
{
	struct store_event	 ev;
	const char		*note = arg_string(h, "note");
	int64_t			 id = arg_int(h, "alarm"), eid;
	char			*cause = NULL, *text;
	cJSON			*d, *res;
	int			 r;

	if (!field_ok(note)) {
		reply_error(h, PROTO_ERR_BAD_REQUEST, "a note is 1 to %d "
		    "printable characters", HANDLERS_FIELD_MAX);
		return;
	}
	d = cJSON_CreateObject();
	cJSON_AddNumberToObject(d, "alarm", (double)id);
	cJSON_AddStringToObject(d, "by", h->peer->who);
	if (note != NULL)
		cJSON_AddStringToObject(d, "note", note);
	text = cJSON_PrintUnformatted(d);
	cJSON_Delete(d);
	memset(&ev, 0, sizeof ev);
	ev.time = now_wall();
	ev.type = "ack";
	ev.door = h->a->conf.door_name;
	ev.details = text;
	r = store_alarm_ack(h->a->store, id, h->peer->who, note, &ev, &eid,
	    &cause);
	if (r == 0)
		agent_event_sent(h->a, &ev, eid);
	free(text);
	switch (r) {
	case 0:
		res = cJSON_CreateObject();
		cJSON_AddNumberToObject(res, "alarm", (double)id);
		reply_ok(h, res);
		break;
	case 1:
		reply_error(h, PROTO_ERR_NOT_FOUND, "no alarm %lld",
		    (long long)id);
		break;
	case 2:
		reply_error(h, PROTO_ERR_CONFLICT, "alarm %lld is "
		    "acknowledged already", (long long)id);
		break;
	default:
		reply_store_error(h, cause);
		break;
	}
}

static void
handler_DOOR_OPEN(struct handlers_ctx *h)
{
	const char	*reason = arg_string(h, "reason");
	char		*cause = NULL;
	cJSON		*d, *r;

	if (!field_ok(reason)) {
		reply_error(h, PROTO_ERR_BAD_REQUEST, "a reason is 1 to %d "
		    "printable characters", HANDLERS_FIELD_MAX);
		return;
	}
	if (h->a->keeper.fd == -1) {
		reply_error(h, PROTO_ERR_UNAVAILABLE, "the door keeper is not "
		    "running");
		return;
	}
	d = cJSON_CreateObject();
	cJSON_AddStringToObject(d, "reason", "manual");
	cJSON_AddStringToObject(d, "by", h->peer->who);
	cJSON_AddStringToObject(d, "note", reason);
	if (agent_event(h->a, "granted", now_wall(), 0, 0, d, NULL) != 0) {
		reply_error(h, PROTO_ERR_UNAVAILABLE, "the store cannot record "
		    "the opening");
		return;
	}
	if (agent_door_pulse(h->a, h->a->conf.door_pulse, &cause) != 0) {
		reply_error(h, PROTO_ERR_UNAVAILABLE, "%s", cause);
		free(cause);
		return;
	}
	r = cJSON_CreateObject();
	cJSON_AddNumberToObject(r, "pulse", (double)h->a->conf.door_pulse);
	reply_ok(h, r);
}

static void
handler_CONFIG(struct handlers_ctx *h)
{
	char	*text = NULL, *line, *next, *sp;
	size_t	 len = 0;
	FILE	*f;
	cJSON	*conf = cJSON_CreateObject(), *r, *v;

	if ((f = open_memstream(&text, &len)) == NULL) {
		cJSON_Delete(conf);
		reply_error(h, PROTO_ERR_INTERNAL, "%s", strerror(errno));
		return;
	}
	config_print(f, &h->a->conf);
	fclose(f);
	for (line = text; line != NULL && *line != '\0'; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		if ((sp = strchr(line, ' ')) == NULL)
			continue;
		*sp++ = '\0';
		/* Quoted values are unquoted (config_print quotes blanks). */
		if (*sp == '"' && sp[strlen(sp) - 1] == '"' && strlen(sp) >= 2) {
			sp[strlen(sp) - 1] = '\0';
			sp++;
		}
		v = cJSON_CreateString(sp);
		cJSON_AddItemToObject(conf, line, v);
	}
	free(text);
	r = cJSON_CreateObject();
	cJSON_AddItemToObject(r, "config", conf);
	reply_ok(h, r);
}

static void
handler_HELLO(struct handlers_ctx *h)
{
	/* control.c answers hello itself. */
	reply_error(h, PROTO_ERR_BAD_REQUEST, "hello was already said");
}

/* The handlers, in the order of the command table. */
static handler_fn *const handlers[PROTO_NCOMMANDS] = {
#define CMD(id, name, role, usage, summary) [PROTO_CMD_##id] = handler_##id,
#define CMD_ARG(cmd, key, type, required, option)
#include "commands.def"
#undef CMD
#undef CMD_ARG
};

void
handlers_request(struct control *control, const struct control_peer *peer,
    const struct proto_request *req, void *arg)
{
	struct handlers_ctx	h = { arg, control, peer, req };

	log_debug("%s: %s", peer->who, req->cmd->name);
	handlers[req->cmd->id](&h);
}
