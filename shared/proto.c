/*
 * The control protocol (protocol.h, doc/PROTOCOL): the command table,
 * strict parsing of requests (agent) and of replies and events (console),
 * and the builders of every line either side sends.
 *
 * Strictness, beyond what cJSON checks: the line must be valid UTF-8 (no
 * overlong forms, no surrogates) with no NUL byte and no "\u0000" escape
 * (cJSON would cut the string there); nesting is limited on the raw bytes
 * before cJSON recurses; nothing but whitespace may follow the object; no
 * object anywhere may hold the same key twice (cJSON keeps both, and two
 * readers could disagree on which one counts); unknown keys are refused.
 */
#include <assert.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "protocol.h"
#include "xmalloc.h"

static const struct proto_command proto_commands[] = {
#define CMD(id, name, role, usage, summary)				\
	{ PROTO_CMD_##id, name, role, usage, summary },
#define CMD_ARG(cmd, key, type, required, option)
#include "commands.def"
#undef CMD
#undef CMD_ARG
};

static const struct proto_arg proto_args[] = {
#define CMD(id, name, role, usage, summary)
#define CMD_ARG(cmd, key, type, required, option)			\
	{ PROTO_CMD_##cmd, key, type, required, option },
#include "commands.def"
#undef CMD
#undef CMD_ARG
};

static const char *const proto_error_names[] = {
	[PROTO_OK] = "ok",
#define PROTO_X(e, s) [e] = s,
	PROTO_ERRORS(PROTO_X)
#undef PROTO_X
};

static const char *const proto_event_names[] = {
#define PROTO_X(e, s) s,
	PROTO_EVENTS(PROTO_X)
#undef PROTO_X
};

static const char *const proto_role_names[] = {
	[PROTO_ROLE_KIOSK] = "kiosk",
	[PROTO_ROLE_VIEWER] = "viewer",
	[PROTO_ROLE_GUARD] = "guard",
	[PROTO_ROLE_ADMIN] = "admin",
};

#define nitems(a)	(sizeof (a) / sizeof (a)[0])

/* How much of a peer's string goes into an error message. */
#define QUOTE_MAX	48

/* The wire name of an error code. */
const char *
proto_error_name(enum proto_error code)
{
	if ((size_t)code >= nitems(proto_error_names))
		return "internal";
	return proto_error_names[code];
}

/* The error code of a wire name (never PROTO_OK): 0, or -1 if unknown. */
int
proto_error_from_name(const char *name, enum proto_error *code)
{
	size_t	i;

	for (i = 1; i < nitems(proto_error_names); i++) {
		if (strcmp(proto_error_names[i], name) == 0) {
			*code = (enum proto_error)i;
			return 0;
		}
	}
	return -1;
}

/* The wire name of a role. */
const char *
proto_role_name(enum proto_role role)
{
	if ((size_t)role >= nitems(proto_role_names))
		return "viewer";
	return proto_role_names[role];
}

/* The role of a wire (and config) name: 0, or -1 if unknown. */
int
proto_role_from_name(const char *name, enum proto_role *role)
{
	size_t	i;

	for (i = 0; i < nitems(proto_role_names); i++) {
		if (strcmp(proto_role_names[i], name) == 0) {
			*role = (enum proto_role)i;
			return 0;
		}
	}
	return -1;
}

const struct proto_command *
proto_command_find(const char *name)
{
	size_t	i;

	for (i = 0; i < nitems(proto_commands); i++) {
		if (strcmp(proto_commands[i].name, name) == 0)
			return &proto_commands[i];
	}
	return NULL;
}

const struct proto_command *
proto_command_at(size_t i)
{
	if (i >= nitems(proto_commands))
		return NULL;
	return &proto_commands[i];
}

/* Whether NAME is WORDS[0] " " WORDS[1] ..., giving its word count. */
static int
name_matches(const char *name, const char *const *words, size_t nwords,
    size_t *used)
{
	size_t	i, n;

	for (i = 0; i < nwords; i++) {
		n = strlen(words[i]);
		if (strncmp(name, words[i], n) != 0)
			return 0;
		name += n;
		if (*name == '\0') {
			*used = i + 1;
			return 1;
		}
		if (*name++ != ' ')
			return 0;
	}
	return 0;
}

const struct proto_command *
proto_command_match(const char *const *words, size_t nwords, size_t *used)
{
	const struct proto_command	*best = NULL;
	size_t				 i, n, best_n = 0;

	for (i = 0; i < nitems(proto_commands); i++) {
		if (name_matches(proto_commands[i].name, words, nwords, &n) &&
		    n > best_n) {
			best = &proto_commands[i];
			best_n = n;
		}
	}
	*used = best_n;
	return best;
}

const struct proto_arg *
proto_command_arg(const struct proto_command *cmd, size_t i)
{
	size_t	j;

	for (j = 0; j < nitems(proto_args); j++) {
		if (proto_args[j].cmd == cmd->id && i-- == 0)
			return &proto_args[j];
	}
	return NULL;
}

int
proto_role_allows(enum proto_role role, const struct proto_command *cmd)
{
	return role >= cmd->min_role;
}

/* The length of one valid UTF-8 sequence at P (< END), or 0 if invalid. */
static size_t
utf8_len(const unsigned char *p, const unsigned char *end)
{
	size_t		n, i;
	uint32_t	c;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf) {
		n = 2;
		c = p[0] & 0x1f;
	} else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		n = 3;
		c = p[0] & 0x0f;
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		n = 4;
		c = p[0] & 0x07;
	} else
		return 0;
	if ((size_t)(end - p) < n)
		return 0;
	for (i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (p[i] & 0x3f);
	}
	if ((n == 3 && c < 0x800) || (n == 4 && c < 0x10000) ||
	    c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	return n;
}

/* Replaces each byte of S that is not valid UTF-8 with '?', in place. */
static void
utf8_sanitise(char *s)
{
	unsigned char	*p = (unsigned char *)s, *end = p + strlen(s);
	size_t		 n;

	while (p < end) {
		if ((n = utf8_len(p, end)) == 0) {
			*p++ = '?';
			continue;
		}
		p += n;
	}
}

/* Sanitises every string and key of a tree (see utf8_sanitise). */
static void
sanitise_tree(cJSON *item, int depth)
{
	cJSON	*c;

	if (item->string != NULL && (item->type & cJSON_StringIsConst) == 0)
		utf8_sanitise(item->string);
	if (cJSON_IsString(item) && item->valuestring != NULL &&
	    (item->type & cJSON_IsReference) == 0)
		utf8_sanitise(item->valuestring);
	if (depth > PROTO_DEPTH_MAX)
		return;
	cJSON_ArrayForEach(c, item)
		sanitise_tree(c, depth + 1);
}

/* How many bytes of S, at most QUOTE_MAX, end on a character boundary. */
static int
quote_len(const char *s)
{
	const unsigned char	*p = (const unsigned char *)s;
	const unsigned char	*end = p + strlen(s);
	size_t			 n, len = 0;

	while (p + len < end) {
		if ((n = utf8_len(p + len, end)) == 0 || len + n > QUOTE_MAX)
			break;
		len += n;
	}
	return (int)len;
}

/*
 * Checks the raw bytes before cJSON sees them: no NUL, valid UTF-8, no
 * "\u0000" inside a string, nesting at most PROTO_DEPTH_MAX. The string
 * tracking follows JSON; on bytes that are not JSON it may be wrong, but
 * cJSON then stops at or before the same place.
 */
static const char *
prescan(const char *line, size_t len)
{
	const unsigned char	*p = (const unsigned char *)line;
	const unsigned char	*end = p + len;
	size_t			 n;
	int			 depth = 0, in_string = 0;

	while (p < end) {
		if (*p == '\0')
			return "NUL byte in the line";
		if ((n = utf8_len(p, end)) == 0)
			return "the line is not valid UTF-8";
		if (in_string) {
			if (*p == '"')
				in_string = 0;
			else if (*p == '\\' && p + 1 < end) {
				if (p[1] == 'u' && end - p >= 6 &&
				    memcmp(p + 2, "0000", 4) == 0)
					return "\\u0000 in a string";
				n = 2;
			}
		} else if (*p == '"')
			in_string = 1;
		else if (*p == '{' || *p == '[') {
			if (++depth > PROTO_DEPTH_MAX)
				return "nested too deeply";
		} else if (*p == '}' || *p == ']')
			depth--;
		p += n;
	}
	return NULL;
}

static int
compare_keys(const void *a, const void *b)
{
	const cJSON	*const *x = a, *const *y = b;

	return strcmp((*x)->string, (*y)->string);
}

/* The first key held twice by an object in the tree of ITEM, or NULL. */
static const char *
duplicate_key(const cJSON *item)
{
	const cJSON	*c, **keys;
	const char	*dup = NULL;
	size_t		 n = 0, i;

	cJSON_ArrayForEach(c, item) {
		if ((dup = duplicate_key(c)) != NULL)
			return dup;
		n++;
	}
	if (!cJSON_IsObject(item) || n < 2)
		return NULL;
	keys = xreallocarray(NULL, n, sizeof *keys);
	i = 0;
	cJSON_ArrayForEach(c, item)
		keys[i++] = c;
	qsort(keys, n, sizeof *keys, compare_keys);
	for (i = 1; i < n && dup == NULL; i++) {
		if (strcmp(keys[i - 1]->string, keys[i]->string) == 0)
			dup = keys[i]->string;
	}
	free(keys);
	return dup;
}

/*
 * Parses LINE as one JSON object, strictly but for duplicate keys (see
 * check_duplicates); NULL with *MESSAGE if not. With bytes after the
 * object, the object comes back with *MESSAGE set: refuse it after
 * reading its id.
 */
static cJSON *
parse_object(const char *line, size_t len, char **message)
{
	const char	*end, *why;
	cJSON		*root;
	size_t		 i;

	for (i = 0; i < len && strchr(" \t\r", line[i]) != NULL; i++)
		/* nothing */;
	if (i == len) {
		*message = xstrdup("empty line");
		return NULL;
	}
	if ((why = prescan(line, len)) != NULL) {
		*message = xstrdup(why);
		return NULL;
	}
	root = cJSON_ParseWithLengthOpts(line, len, &end, 0);
	if (root == NULL) {
		*message = xstrdup("not JSON");
		return NULL;
	}
	if (!cJSON_IsObject(root)) {
		cJSON_Delete(root);
		*message = xstrdup("not a JSON object");
		return NULL;
	}
	/* Refused, but the caller may still read the id to echo. */
	while (end < line + len && strchr(" \t\r", *end) != NULL)
		end++;
	if (end != line + len)
		*message = xstrdup("garbage after the JSON object");
	return root;
}

/* NULL, or a message naming a key held twice by one object of ROOT. */
static char *
check_duplicates(const cJSON *root)
{
	const char	*dup;
	char		*message;

	if ((dup = duplicate_key(root)) == NULL)
		return NULL;
	xasprintf(&message, "duplicate key \"%.*s\"", quote_len(dup), dup);
	return message;
}

/* Reads a JSON integer 0 .. PROTO_ID_MAX: 0, or -1 if it is not one. */
static int
read_count(const cJSON *item, int64_t *value)
{
	double	d;

	if (!cJSON_IsNumber(item))
		return -1;
	d = item->valuedouble;
	if (!isfinite(d) || d < 0 || d > (double)PROTO_ID_MAX || d != floor(d))
		return -1;
	*value = (int64_t)d;
	return 0;
}

/* The member KEY of OBJ if it has exactly one (dups are refused later). */
static cJSON *
member(const cJSON *obj, const char *key)
{
	return cJSON_GetObjectItemCaseSensitive(obj, key);
}

/* Whether every key of OBJ is one of KEYS (NULL-terminated). */
static const char *
unknown_key(const cJSON *obj, const char *const *keys)
{
	const cJSON	*c;
	size_t		 i;

	cJSON_ArrayForEach(c, obj) {
		for (i = 0; keys[i] != NULL; i++) {
			if (strcmp(c->string, keys[i]) == 0)
				break;
		}
		if (keys[i] == NULL)
			return c->string;
	}
	return NULL;
}

/* Checks ARGS against the CMD_ARG lines of CMD; NULL or a message. */
static char *
check_args(const struct proto_command *cmd, const cJSON *args)
{
	const struct proto_arg	*a;
	const cJSON		*c, *e;
	char			*message = NULL;
	size_t			 i;
	int64_t			 v;
	int			 bad, n;

	cJSON_ArrayForEach(c, args) {
		for (i = 0; (a = proto_command_arg(cmd, i)) != NULL; i++) {
			if (strcmp(a->key, c->string) == 0)
				break;
		}
		if (a == NULL) {
			xasprintf(&message, "%s: unknown argument \"%.*s\"",
			    cmd->name, quote_len(c->string), c->string);
			return message;
		}
		switch (a->type) {
		case PROTO_ARG_STRING:
			bad = !cJSON_IsString(c);
			break;
		case PROTO_ARG_INT:
			bad = read_count(c, &v) != 0;
			break;
		case PROTO_ARG_BOOL:
			bad = !cJSON_IsBool(c);
			break;
		case PROTO_ARG_STRINGS:
			bad = !cJSON_IsArray(c);
			n = 0;
			cJSON_ArrayForEach(e, c) {
				if (!cJSON_IsString(e))
					bad = 1;
				n++;
			}
			if (n == 0 || n > PROTO_ARRAY_MAX)
				bad = 1;
			break;
		default:
			bad = 1;
			break;
		}
		if (bad) {
			xasprintf(&message, "%s: argument \"%s\" must be %s",
			    cmd->name, a->key,
			    a->type == PROTO_ARG_STRING ? "a string" :
			    a->type == PROTO_ARG_INT ? "an integer >= 0" :
			    a->type == PROTO_ARG_BOOL ? "true or false" :
			    "an array of 1 to 64 strings");
			return message;
		}
	}
	for (i = 0; (a = proto_command_arg(cmd, i)) != NULL; i++) {
		if (a->required && member(args, a->key) == NULL) {
			xasprintf(&message, "%s: argument \"%s\" is missing",
			    cmd->name, a->key);
			return message;
		}
	}
	return NULL;
}

/*
 * Parses one request line. 0 with REQ filled (free with
 * proto_request_clear), or -1 with *CODE and a malloc'd *MESSAGE for the
 * error reply; REQ->id then holds the id to echo, or -1 when none could be
 * read (the reply then has no id). Either way REQ must be cleared.
 */
int
proto_parse_request(const char *line, size_t len, struct proto_request *req,
    enum proto_error *code, char **message)
{
	static const char *const keys[] = { "id", "cmd", "args", NULL };
	const char	*key;
	cJSON		*item;
	int64_t		 id;
	int		 n;

	memset(req, 0, sizeof *req);
	req->id = -1;
	*code = PROTO_ERR_BAD_REQUEST;
	*message = NULL;

	if (len > PROTO_LINE_MAX) {
		*code = PROTO_ERR_TOO_LARGE;
		xasprintf(message, "request longer than %d bytes",
		    PROTO_LINE_MAX);
		return -1;
	}
	if ((req->root = parse_object(line, len, message)) == NULL)
		return -1;
	/* The id to echo, unless it is bad or there are two "id" keys. */
	n = 0;
	cJSON_ArrayForEach(item, req->root)
		n += strcmp(item->string, "id") == 0;
	item = member(req->root, "id");
	if (n == 1 && read_count(item, &id) == 0)
		req->id = id;
	if (*message != NULL ||
	    (*message = check_duplicates(req->root)) != NULL)
		return -1;
	if (item == NULL) {
		*message = xstrdup("no \"id\"");
		return -1;
	}
	if (read_count(item, &id) != 0) {
		xasprintf(message, "\"id\" must be an integer 0 to %lld",
		    (long long)PROTO_ID_MAX);
		return -1;
	}
	if ((key = unknown_key(req->root, keys)) != NULL) {
		xasprintf(message, "unknown key \"%.*s\"", quote_len(key), key);
		return -1;
	}
	item = member(req->root, "cmd");
	if (!cJSON_IsString(item)) {
		*message = xstrdup("\"cmd\" must be a string");
		return -1;
	}
	if ((req->cmd = proto_command_find(item->valuestring)) == NULL) {
		*code = PROTO_ERR_UNKNOWN_COMMAND;
		xasprintf(message, "unknown command \"%.*s\"",
		    quote_len(item->valuestring), item->valuestring);
		return -1;
	}
	req->args = member(req->root, "args");
	if (req->args == NULL) {
		req->args = cJSON_AddObjectToObject(req->root, "args");
		if (req->args == NULL)
			fatalx("out of memory");
	} else if (!cJSON_IsObject(req->args)) {
		req->cmd = NULL;
		*message = xstrdup("\"args\" must be an object");
		return -1;
	}
	if ((*message = check_args(req->cmd, req->args)) != NULL) {
		req->cmd = NULL;
		return -1;
	}
	*code = PROTO_OK;
	return 0;
}

void
proto_request_clear(struct proto_request *req)
{
	cJSON_Delete(req->root);
	memset(req, 0, sizeof *req);
	req->id = -1;
}

/* Whether NAME is one of the event types. */
static int
event_known(const char *name)
{
	size_t	i;

	for (i = 0; i < nitems(proto_event_names); i++) {
		if (strcmp(proto_event_names[i], name) == 0)
			return 1;
	}
	return 0;
}

/* Fills REP from a reply object; NULL or a message. */
static const char *
parse_reply_object(struct proto_reply *rep)
{
	static const char *const keys[] = { "id", "ok", "result", "error",
	    NULL };
	static const char *const error_keys[] = { "code", "message", NULL };
	const cJSON	*ok, *id, *err, *c, *m;

	rep->kind = PROTO_REPLY;
	ok = member(rep->root, "ok");
	if (unknown_key(rep->root, keys) != NULL)
		return "unknown key in a reply";
	if (!cJSON_IsBool(ok))
		return "\"ok\" must be true or false";
	rep->ok = cJSON_IsTrue(ok);
	if ((id = member(rep->root, "id")) != NULL &&
	    read_count(id, &rep->id) != 0)
		return "bad \"id\" in a reply";
	err = member(rep->root, "error");
	rep->result = member(rep->root, "result");
	if (rep->ok) {
		if (id == NULL)
			return "no \"id\" in a reply";
		if (!cJSON_IsObject(rep->result) || err != NULL)
			return "a good reply needs \"result\", an object, only";
		return NULL;
	}
	if (rep->result != NULL || !cJSON_IsObject(err))
		return "an error reply needs \"error\", an object, only";
	c = member(err, "code");
	m = member(err, "message");
	if (unknown_key(err, error_keys) != NULL || !cJSON_IsString(c) ||
	    !cJSON_IsString(m))
		return "\"error\" needs \"code\" and \"message\" strings";
	if (proto_error_from_name(c->valuestring, &rep->code) != 0)
		return "unknown error code";
	rep->message = m->valuestring;
	return NULL;
}

/* Fills REP from an event object; NULL or a message. */
static const char *
parse_event_object(struct proto_reply *rep)
{
	const cJSON	*type, *time, *door, *person;

	rep->kind = PROTO_EVENT;
	type = member(rep->root, "type");
	time = member(rep->root, "time");
	door = member(rep->root, "door");
	person = member(rep->root, "person");
	if (member(rep->root, "id") != NULL)
		return "an event has no \"id\"";
	if (!cJSON_IsString(type) || !event_known(type->valuestring))
		return "unknown event type";
	if (read_count(time, &rep->time) != 0)
		return "an event needs \"time\", an integer";
	if (!cJSON_IsString(door))
		return "an event needs \"door\", a string";
	if (cJSON_IsString(person))
		rep->person = person->valuestring;
	else if (!cJSON_IsNull(person))
		return "an event needs \"person\", a string or null";
	rep->type = type->valuestring;
	rep->door = door->valuestring;
	return NULL;
}

/*
 * Parses one line from the agent: a reply (it has "ok") or an event (it
 * has "type"). 0 with REP filled, or -1 with a malloc'd *MESSAGE. Either
 * way REP must be cleared with proto_reply_clear().
 */
int
proto_parse_reply(const char *line, size_t len, struct proto_reply *rep,
    char **message)
{
	const char	*why;

	memset(rep, 0, sizeof *rep);
	rep->id = -1;
	*message = NULL;
	if (len > PROTO_REPLY_LINE_MAX) {
		xasprintf(message, "reply longer than %d bytes",
		    PROTO_REPLY_LINE_MAX);
		return -1;
	}
	if ((rep->root = parse_object(line, len, message)) == NULL)
		return -1;
	if (*message != NULL ||
	    (*message = check_duplicates(rep->root)) != NULL)
		return -1;
	if (member(rep->root, "ok") != NULL)
		why = parse_reply_object(rep);
	else if (member(rep->root, "type") != NULL)
		why = parse_event_object(rep);
	else
		why = "neither a reply nor an event";
	if (why != NULL) {
		*message = xstrdup(why);
		return -1;
	}
	return 0;
}

void
proto_reply_clear(struct proto_reply *rep)
{
	cJSON_Delete(rep->root);
	memset(rep, 0, sizeof *rep);
	rep->id = -1;
}

/* Checks that cJSON did not fail. */
static cJSON *
check(cJSON *item)
{
	if (item == NULL)
		fatalx("out of memory");
	return item;
}

/* Adds a string member, with bytes that are not UTF-8 made '?'. */
static void
add_string(cJSON *obj, const char *key, const char *value)
{
	char	*copy = xstrdup(value);

	utf8_sanitise(copy);
	check(cJSON_AddStringToObject(obj, key, copy));
	free(copy);
}

/* Prints OBJ on one line and frees it. */
static char *
finish(cJSON *obj)
{
	char	*line;

	sanitise_tree(obj, 0);
	line = cJSON_PrintUnformatted(obj);
	cJSON_Delete(obj);
	if (line == NULL)
		fatalx("out of memory");
	/* cJSON escapes control characters: a message is one line. */
	assert(strchr(line, '\n') == NULL);
	return line;
}

/* Adds "id" unless ID is negative (no id to echo). */
static void
add_id(cJSON *obj, int64_t id)
{
	if (id >= 0)
		check(cJSON_AddNumberToObject(obj, "id", (double)id));
}

/* A request line; ARGS (an object or NULL for none) is consumed. */
char *
proto_request(int64_t id, const char *cmd, cJSON *args)
{
	cJSON	*obj = check(cJSON_CreateObject());

	add_id(obj, id);
	add_string(obj, "cmd", cmd);
	if (args != NULL)
		cJSON_AddItemToObject(obj, "args", args);
	return finish(obj);
}

/* A good reply; RESULT (an object, or NULL for {}) is consumed. */
char *
proto_reply_ok(int64_t id, cJSON *result)
{
	cJSON	*obj = check(cJSON_CreateObject());

	add_id(obj, id);
	check(cJSON_AddTrueToObject(obj, "ok"));
	if (result == NULL)
		result = check(cJSON_CreateObject());
	cJSON_AddItemToObject(obj, "result", result);
	return finish(obj);
}

/* An error reply; ID -1 leaves out the id. The message is cut at 1 KB. */
char *
proto_reply_error(int64_t id, enum proto_error code, const char *fmt, ...)
{
	cJSON	*obj = check(cJSON_CreateObject()), *err;
	char	 message[1024];
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(message, sizeof message, fmt, ap);
	va_end(ap);
	if (code == PROTO_OK)
		code = PROTO_ERR_INTERNAL;

	add_id(obj, id);
	check(cJSON_AddFalseToObject(obj, "ok"));
	err = check(cJSON_AddObjectToObject(obj, "error"));
	add_string(err, "code", proto_error_name(code));
	add_string(err, "message", message);
	return finish(obj);
}

/*
 * An event line; PERSON NULL is null. The members of EXTRA (an object or
 * NULL; consumed) follow the four fixed ones; any of EXTRA's named like
 * those (or "id", "ok") is dropped so the line stays an event.
 */
char *
proto_event(const char *type, int64_t time_ms, const char *door,
    const char *person, cJSON *extra)
{
	static const char *const fixed[] = { "type", "time", "door",
	    "person", "id", "ok", NULL };
	cJSON	*obj = check(cJSON_CreateObject()), *c;
	size_t	 i;

	add_string(obj, "type", type);
	check(cJSON_AddNumberToObject(obj, "time",
	    (double)(time_ms < 0 ? 0 : time_ms)));
	add_string(obj, "door", door);
	if (person != NULL)
		add_string(obj, "person", person);
	else
		check(cJSON_AddNullToObject(obj, "person"));
	if (extra != NULL) {
		for (i = 0; fixed[i] != NULL; i++) {
			while ((c = cJSON_DetachItemFromObjectCaseSensitive(
			    extra, fixed[i])) != NULL)
				cJSON_Delete(c);
		}
		/* Moved with their keys: an object is a list of named items. */
		while ((c = extra->child) != NULL) {
			cJSON_DetachItemViaPointer(extra, c);
			cJSON_AddItemToArray(obj, c);
		}
		cJSON_Delete(extra);
	}
	return finish(obj);
}
