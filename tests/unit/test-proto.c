/*
 * Tests of shared/proto.c: the command table, strict request parsing with
 * the right error code and echoed id for each malformed case, roles, the
 * builders (single lines that parse back) and the console's parsing of
 * replies and events; and that doc/PROTOCOL documents exactly the table.
 */
#include <stdlib.h>

#include "protocol.h"
#include "test.h"
#include "xmalloc.h"

#define DOC	"doc/PROTOCOL"

/* Parses LINE as a request; returns the code and sets *ID. */
static enum proto_error
parse(const char *line, size_t len, int64_t *id)
{
	struct proto_request	 req;
	enum proto_error	 code;
	char			*message;
	int			 r;

	r = proto_parse_request(line, len, &req, &code, &message);
	CHECK_INT(r, code == PROTO_OK ? 0 : -1);
	CHECK(r == 0 ? message == NULL : message != NULL && *message != '\0');
	CHECK(r != 0 || (req.cmd != NULL && cJSON_IsObject(req.args)));
	*id = req.id;
	free(message);
	proto_request_clear(&req);
	return code;
}

/* A value of the right type for an argument. */
static cJSON *
sample_value(const struct proto_arg *a)
{
	cJSON	*arr;

	switch (a->type) {
	case PROTO_ARG_INT:
		return cJSON_CreateNumber(42);
	case PROTO_ARG_BOOL:
		return cJSON_CreateTrue();
	case PROTO_ARG_STRINGS:
		arr = cJSON_CreateArray();
		cJSON_AddItemToArray(arr, cJSON_CreateString("/tmp/a.jpg"));
		cJSON_AddItemToArray(arr, cJSON_CreateString("base64:/9j/4A=="));
		return arr;
	case PROTO_ARG_STRING:
	default:
		return cJSON_CreateString("Ann \xc3\xa9 \"q\"\n");
	}
}

TEST(t_table)
{
	const struct proto_command	*c, *d;
	const char			*w1[] = { "people", "add", "Ann", "x.jpg" };
	const char			*w2[] = { "people" };
	const char			*w3[] = { "door" };
	const char			*w4[] = { "pass", "revoke", "abc" };
	const char			*w5[] = { "deny-list", "remove", "3" };
	size_t				 i, j, used;

	for (i = 0; (c = proto_command_at(i)) != NULL; i++) {
		CHECK_INT(c->id, i);
		CHECK(proto_command_find(c->name) == c);
		CHECK(c->summary[0] != '\0');
		for (j = 0; j < i; j++)
			CHECK(strcmp(proto_command_at(j)->name, c->name) != 0);
	}
	CHECK_INT(i, PROTO_NCOMMANDS);
	CHECK(proto_command_find("Status") == NULL);
	CHECK(proto_command_find("people  add") == NULL);

	c = proto_command_match(w1, 4, &used);
	CHECK(c != NULL && strcmp(c->name, "people add") == 0);
	CHECK_INT(used, 2);
	c = proto_command_match(w2, 1, &used);
	CHECK(c != NULL && strcmp(c->name, "people") == 0);
	CHECK_INT(used, 1);
	CHECK(proto_command_match(w3, 1, &used) == NULL);
	CHECK_INT(used, 0);
	c = proto_command_match(w4, 3, &used);
	CHECK(c != NULL && c->id == PROTO_CMD_PASS_REVOKE);
	CHECK_INT(used, 2);
	c = proto_command_match(w5, 3, &used);
	CHECK(c != NULL && c->id == PROTO_CMD_DENY_LIST_REMOVE);

	/* The names scripts rely on (issues 3 and 4). */
	d = proto_command_find("approve");
	CHECK(d != NULL && proto_command_arg(d, 0) != NULL &&
	    strcmp(proto_command_arg(d, 0)->key, "visit") == 0);
	CHECK(proto_command_find("status") && proto_command_find("pending") &&
	    proto_command_find("deny") && proto_command_find("people") &&
	    proto_command_find("people add") &&
	    proto_command_find("people forget") &&
	    proto_command_find("events") && proto_command_find("passes") &&
	    proto_command_find("pass revoke") &&
	    proto_command_find("door open") && proto_command_find("enroll") &&
	    proto_command_find("deny-list") && proto_command_find("config") &&
	    proto_command_find("hello"));
}

TEST(t_names)
{
	enum proto_error	code;
	enum proto_role		role;
	int			i;

	for (i = PROTO_ERR_BAD_REQUEST; i <= PROTO_ERR_INTERNAL; i++) {
		CHECK_INT(proto_error_from_name(proto_error_name(
		    (enum proto_error)i), &code), 0);
		CHECK_INT(code, i);
	}
	CHECK_STR(proto_error_name(PROTO_ERR_BAD_REQUEST), "bad-request");
	CHECK_STR(proto_error_name(PROTO_ERR_UNKNOWN_COMMAND),
	    "unknown-command");
	CHECK_STR(proto_error_name(PROTO_ERR_PERMISSION_DENIED),
	    "permission-denied");
	CHECK_STR(proto_error_name(PROTO_ERR_TOO_LARGE), "too-large");
	CHECK_STR(proto_error_name(PROTO_ERR_INTERNAL), "internal");
	CHECK_INT(proto_error_from_name("ok", &code), -1);
	CHECK_INT(proto_error_from_name("Bad-Request", &code), -1);
	CHECK_INT(proto_role_from_name("guard", &role), 0);
	CHECK_INT(role, PROTO_ROLE_GUARD);
	CHECK_INT(proto_role_from_name("root", &role), -1);
	CHECK_STR(proto_role_name(PROTO_ROLE_ADMIN), "admin");
}

/* Every command, built with every argument and with the required only. */
TEST(t_good_requests)
{
	const struct proto_command	*c;
	const struct proto_arg		*a;
	cJSON				*args;
	char				*line;
	int64_t				 id;
	size_t				 i, j;
	int				 all;

	for (i = 0; (c = proto_command_at(i)) != NULL; i++) {
		for (all = 0; all < 2; all++) {
			args = cJSON_CreateObject();
			for (j = 0; (a = proto_command_arg(c, j)) != NULL;
			    j++) {
				if (all || a->required)
					cJSON_AddItemToObject(args, a->key,
					    sample_value(a));
			}
			line = proto_request((int64_t)i * 1000 + 7, c->name,
			    args);
			CHECK(strchr(line, '\n') == NULL);
			CHECK_INT(parse(line, strlen(line), &id), PROTO_OK);
			CHECK_INT(id, (int64_t)i * 1000 + 7);
			free(line);
		}
	}

#define GOOD(s, want) do {						\
	CHECK_INT(parse(s, strlen(s), &id), PROTO_OK);			\
	CHECK_INT(id, want);						\
} while (0)
	GOOD("{\"id\":0,\"cmd\":\"hello\",\"args\":{\"version\":1,"
	    "\"client\":\"gatehouse 0.1\"}}", 0);
	GOOD(" {\"cmd\":\"status\", \"id\":9007199254740991}\r", 
	    9007199254740991LL);
	GOOD("{\"id\":1,\"cmd\":\"status\",\"args\":{}}", 1);
	GOOD("{\"id\":2,\"cmd\":\"approve\",\"args\":{\"visit\":17,"
	    "\"name\":\"Ann\",\"email\":\"ann@example.org\",\"valid_for\":"
	    "\"2h\",\"enroll\":false}}", 2);
	GOOD("{\"id\":3,\"cmd\":\"people add\",\"args\":{\"name\":"
	    "\"Bo \\u00e9\\ud83d\\ude00\",\"photos\":[\"/srv/bo1.jpg\","
	    "\"/srv/bo2.jpg\"]}}", 3);
	GOOD("{\"id\":4,\"cmd\":\"door open\",\"args\":{\"reason\":"
	    "\"delivery\"}}", 4);
	GOOD("{\"id\":5,\"cmd\":\"events\",\"args\":{\"follow\":true,"
	    "\"since\":\"2024-05-01T09:00:00Z\"}}", 5);
	GOOD("{\"id\":6,\"cmd\":\"pass revoke\",\"args\":{\"pass\":"
	    "\"9f86d081884c7d659a2feaa0c55ad015\"}}", 6);
	GOOD("{\"id\":1e3,\"cmd\":\"pending\"}", 1000);
#undef GOOD
}

TEST(t_bad_requests)
{
	static const struct {
		const char		*line;
		enum proto_error	 code;
		int64_t			 id;
	} t[] = {
		{ "", PROTO_ERR_BAD_REQUEST, -1 },
		{ " \t", PROTO_ERR_BAD_REQUEST, -1 },
		{ "hello", PROTO_ERR_BAD_REQUEST, -1 },
		{ "[1,2]", PROTO_ERR_BAD_REQUEST, -1 },
		{ "42", PROTO_ERR_BAD_REQUEST, -1 },
		{ "\"status\"", PROTO_ERR_BAD_REQUEST, -1 },
		{ "{\"id\":1,\"cmd\":\"status\"", PROTO_ERR_BAD_REQUEST, -1 },
		{ "{\"cmd\":\"status\"}", PROTO_ERR_BAD_REQUEST, -1 },
		{ "{\"id\":-1,\"cmd\":\"status\"}", PROTO_ERR_BAD_REQUEST, -1 },
		{ "{\"id\":1.5,\"cmd\":\"status\"}", PROTO_ERR_BAD_REQUEST, -1 },
		{ "{\"id\":9007199254740992,\"cmd\":\"status\"}",
		    PROTO_ERR_BAD_REQUEST, -1 },
		{ "{\"id\":1e300,\"cmd\":\"status\"}", PROTO_ERR_BAD_REQUEST,
		    -1 },
		{ "{\"id\":\"7\",\"cmd\":\"status\"}", PROTO_ERR_BAD_REQUEST,
		    -1 },
		{ "{\"id\":true,\"cmd\":\"status\"}", PROTO_ERR_BAD_REQUEST,
		    -1 },
		{ "{\"id\":null,\"cmd\":\"status\"}", PROTO_ERR_BAD_REQUEST,
		    -1 },
		{ "{\"id\":7,\"id\":8,\"cmd\":\"status\"}",
		    PROTO_ERR_BAD_REQUEST, -1 },
		{ "{\"id\":7}", PROTO_ERR_BAD_REQUEST, 7 },
		{ "{\"id\":7,\"cmd\":\"fly\"}", PROTO_ERR_UNKNOWN_COMMAND, 7 },
		{ "{\"id\":7,\"cmd\":\"Status\"}", PROTO_ERR_UNKNOWN_COMMAND,
		    7 },
		{ "{\"id\":7,\"cmd\":\"people\",\"args\":{\"name\":\"x\"}}",
		    PROTO_ERR_BAD_REQUEST, 7 },
		{ "{\"id\":7,\"cmd\":3}", PROTO_ERR_BAD_REQUEST, 7 },
		{ "{\"id\":7,\"cmd\":null}", PROTO_ERR_BAD_REQUEST, 7 },
		{ "{\"id\":7,\"cmd\":[\"status\"]}", PROTO_ERR_BAD_REQUEST, 7 },
		{ "{\"id\":7,\"cmd\":\"status\",\"args\":[]}",
		    PROTO_ERR_BAD_REQUEST, 7 },
		{ "{\"id\":7,\"cmd\":\"status\",\"args\":null}",
		    PROTO_ERR_BAD_REQUEST, 7 },
		{ "{\"id\":7,\"cmd\":\"status\",\"extra\":1}",
		    PROTO_ERR_BAD_REQUEST, 7 },
		{ "{\"id\":7,\"cmd\":\"status\",\"ID\":1}",
		    PROTO_ERR_BAD_REQUEST, 7 },
		{ "{\"id\":7,\"cmd\":\"status\",\"cmd\":\"status\"}",
		    PROTO_ERR_BAD_REQUEST, 7 },
		{ "{\"id\":7,\"cmd\":\"deny\",\"args\":{\"visit\":1,"
		    "\"visit\":2}}", PROTO_ERR_BAD_REQUEST, 7 },
		{ "{\"id\":7,\"cmd\":\"status\"} x", PROTO_ERR_BAD_REQUEST, 7 },
		{ "{\"id\":7,\"cmd\":\"status\"}{\"id\":8,\"cmd\":\"status\"}",
		    PROTO_ERR_BAD_REQUEST, 7 },
		{ "{\"id\":7,\"cmd\":\"status\",\"args\":{\"a\":[[[[[[[[[[[[["
		    "[[[1]]]]]]]]]]]]]]]}}", PROTO_ERR_BAD_REQUEST, -1 },
		{ "{\"id\":7,\"cmd\":\"people add\",\"args\":{\"name\":\"\xff"
		    "\",\"photos\":[\"/a\"]}}", PROTO_ERR_BAD_REQUEST, -1 },
		{ "{\"id\":7,\"cmd\":\"people add\",\"args\":{\"name\":\"\xc0"
		    "\xaf\",\"photos\":[\"/a\"]}}", PROTO_ERR_BAD_REQUEST, -1 },
		{ "{\"id\":7,\"cmd\":\"people add\",\"args\":{\"name\":\"\xed"
		    "\xa0\x80\",\"photos\":[\"/a\"]}}", PROTO_ERR_BAD_REQUEST,
		    -1 },
		{ "{\"id\":7,\"cmd\":\"people add\",\"args\":{\"name\":\"a"
		    "\\u0000b\",\"photos\":[\"/a\"]}}", PROTO_ERR_BAD_REQUEST,
		    -1 },
		{ "{\"id\":7,\"cmd\":\"people add\",\"args\":{\"name\":"
		    "\"\\ud800\",\"photos\":[\"/a\"]}}", PROTO_ERR_BAD_REQUEST,
		    -1 },
		{ "{\"id\":7,\"cmd\":\"deny\",\"args\":{\"visit\":\"3\"}}",
		    PROTO_ERR_BAD_REQUEST, 7 },
		{ "{\"id\":7,\"cmd\":\"deny\",\"args\":{\"visit\":-3}}",
		    PROTO_ERR_BAD_REQUEST, 7 },
		{ "{\"id\":7,\"cmd\":\"deny\",\"args\":{}}",
		    PROTO_ERR_BAD_REQUEST, 7 },
		{ "{\"id\":7,\"cmd\":\"deny\",\"args\":{\"visit\":3,"
		    "\"deny_list\":1}}", PROTO_ERR_BAD_REQUEST, 7 },
		{ "{\"id\":7,\"cmd\":\"people add\",\"args\":{\"name\":\"a\","
		    "\"photos\":[]}}", PROTO_ERR_BAD_REQUEST, 7 },
		{ "{\"id\":7,\"cmd\":\"people add\",\"args\":{\"name\":\"a\","
		    "\"photos\":[\"/a\",1]}}", PROTO_ERR_BAD_REQUEST, 7 },
		{ "{\"id\":7,\"cmd\":\"people add\",\"args\":{\"name\":\"a\","
		    "\"photos\":\"/a\"}}", PROTO_ERR_BAD_REQUEST, 7 },
		{ "{\"id\":7,\"cmd\":\"door open\"}", PROTO_ERR_BAD_REQUEST, 7 },
		{ "{\"id\":7,\"cmd\":\"hello\",\"args\":{\"version\":1}}",
		    PROTO_ERR_BAD_REQUEST, 7 },
	};
	enum proto_error code;
	char		*big;
	int64_t		 id;
	size_t		 i;

	for (i = 0; i < sizeof t / sizeof t[0]; i++) {
		id = -2;
		code = parse(t[i].line, strlen(t[i].line), &id);
		if (code != t[i].code || id != t[i].id)
			fprintf(stderr, "case %zu: %s\n", i, t[i].line);
		CHECK_INT(code, t[i].code);
		CHECK_INT(id, t[i].id);
	}

	/* A NUL byte inside the line (lineio refuses it too). */
	CHECK_INT(parse("{\"id\":7,\"cmd\":\"status\"}\0", 24, &id),
	    PROTO_ERR_BAD_REQUEST);
	CHECK_INT(id, -1);

	/* Too large: refused on the length alone, before any parsing. */
	big = xmalloc(PROTO_LINE_MAX + 2);
	memset(big, ' ', PROTO_LINE_MAX + 1);
	memcpy(big, "{\"id\":7,\"cmd\":\"status\"}", 23);
	big[PROTO_LINE_MAX + 1] = '\0';
	CHECK_INT(parse(big, PROTO_LINE_MAX + 1, &id), PROTO_ERR_TOO_LARGE);
	CHECK_INT(id, -1);
	CHECK_INT(parse(big, PROTO_LINE_MAX, &id), PROTO_OK);
	free(big);
}

TEST(t_roles)
{
	const struct proto_command	*c;
	size_t				 i;

	CHECK(proto_role_allows(PROTO_ROLE_VIEWER,
	    proto_command_find("status")));
	CHECK(proto_role_allows(PROTO_ROLE_VIEWER,
	    proto_command_find("hello")));
	CHECK(!proto_role_allows(PROTO_ROLE_VIEWER,
	    proto_command_find("approve")));
	CHECK(proto_role_allows(PROTO_ROLE_GUARD,
	    proto_command_find("approve")));
	CHECK(proto_role_allows(PROTO_ROLE_GUARD, proto_command_find("deny")));
	CHECK(!proto_role_allows(PROTO_ROLE_GUARD,
	    proto_command_find("door open")));
	CHECK(!proto_role_allows(PROTO_ROLE_GUARD,
	    proto_command_find("people add")));
	CHECK(!proto_role_allows(PROTO_ROLE_GUARD,
	    proto_command_find("people forget")));
	for (i = 0; (c = proto_command_at(i)) != NULL; i++) {
		CHECK(proto_role_allows(PROTO_ROLE_ADMIN, c));
		/* Monotonic: what a role may do, a higher one may too. */
		CHECK(!proto_role_allows(PROTO_ROLE_VIEWER, c) ||
		    proto_role_allows(PROTO_ROLE_GUARD, c));
	}
}

/* Parses LINE as a reply or event, expecting success. */
static void
reparse(const char *line, struct proto_reply *rep)
{
	char	*message;

	CHECK(strchr(line, '\n') == NULL);
	CHECK_INT(proto_parse_reply(line, strlen(line), rep, &message), 0);
	if (message != NULL)
		fprintf(stderr, "%s: %s\n", line, message);
	free(message);
}

TEST(t_builders)
{
	struct proto_reply	 rep;
	cJSON			*result, *extra;
	char			*line;

	result = cJSON_CreateObject();
	cJSON_AddNumberToObject(result, "version", PROTO_VERSION);
	cJSON_AddStringToObject(result, "role", "guard");
	cJSON_AddStringToObject(result, "door", "front\nside");
	line = proto_reply_ok(3, result);
	reparse(line, &rep);
	CHECK_INT(rep.kind, PROTO_REPLY);
	CHECK_INT(rep.id, 3);
	CHECK(rep.ok);
	CHECK_STR(cJSON_GetObjectItemCaseSensitive(rep.result,
	    "door")->valuestring, "front\nside");
	proto_reply_clear(&rep);
	free(line);

	line = proto_reply_ok(4, NULL);
	CHECK_STR(line, "{\"id\":4,\"ok\":true,\"result\":{}}");
	free(line);

	/* A message with newlines and bytes that are not UTF-8. */
	line = proto_reply_error(5, PROTO_ERR_NOT_FOUND, "no visit %s\n%d",
	    "\xff\xfe\xc3", 12);
	reparse(line, &rep);
	CHECK(!rep.ok);
	CHECK_INT(rep.id, 5);
	CHECK_INT(rep.code, PROTO_ERR_NOT_FOUND);
	CHECK_STR(rep.message, "no visit ???\n12");
	proto_reply_clear(&rep);
	free(line);

	line = proto_reply_error(-1, PROTO_ERR_BAD_REQUEST, "not JSON");
	CHECK_STR(line, "{\"ok\":false,\"error\":{\"code\":\"bad-request\","
	    "\"message\":\"not JSON\"}}");
	reparse(line, &rep);
	CHECK_INT(rep.id, -1);
	proto_reply_clear(&rep);
	free(line);

	extra = cJSON_CreateObject();
	cJSON_AddNumberToObject(extra, "score", 0.42);
	cJSON_AddStringToObject(extra, "type", "forged");
	cJSON_AddNumberToObject(extra, "id", 9);
	cJSON_AddNumberToObject(extra, "visit", 17);
	line = proto_event("granted", 1714554000123LL, "front", "Ann", extra);
	CHECK_STR(line, "{\"type\":\"granted\",\"time\":1714554000123,"
	    "\"door\":\"front\",\"person\":\"Ann\",\"score\":0.42,"
	    "\"visit\":17}");
	reparse(line, &rep);
	CHECK_INT(rep.kind, PROTO_EVENT);
	CHECK_STR(rep.type, "granted");
	CHECK_INT(rep.time, 1714554000123LL);
	CHECK_STR(rep.door, "front");
	CHECK_STR(rep.person, "Ann");
	proto_reply_clear(&rep);
	free(line);

	line = proto_event("pending", 5, "back", NULL, NULL);
	reparse(line, &rep);
	CHECK_INT(rep.kind, PROTO_EVENT);
	CHECK(rep.person == NULL);
	proto_reply_clear(&rep);
	free(line);

	line = proto_request(8, "status", NULL);
	CHECK_STR(line, "{\"id\":8,\"cmd\":\"status\"}");
	free(line);
}

TEST(t_bad_replies)
{
	static const char *const t[] = {
		"",
		"[]",
		"{}",
		"{\"id\":1}",
		"{\"id\":1,\"ok\":true}",
		"{\"id\":1,\"ok\":true,\"result\":[]}",
		"{\"ok\":true,\"result\":{}}",
		"{\"id\":1,\"ok\":1,\"result\":{}}",
		"{\"id\":1,\"ok\":true,\"result\":{},\"x\":1}",
		"{\"id\":1,\"ok\":true,\"result\":{},\"error\":{}}",
		"{\"id\":1,\"ok\":false}",
		"{\"id\":1,\"ok\":false,\"error\":{\"code\":\"nope\","
		    "\"message\":\"m\"}}",
		"{\"id\":1,\"ok\":false,\"error\":{\"code\":\"ok\","
		    "\"message\":\"m\"}}",
		"{\"id\":1,\"ok\":false,\"error\":{\"code\":\"internal\"}}",
		"{\"id\":1,\"ok\":false,\"error\":{\"code\":\"internal\","
		    "\"message\":\"m\",\"x\":1}}",
		"{\"id\":1,\"ok\":true,\"ok\":true,\"result\":{}}",
		"{\"id\":1,\"ok\":true,\"result\":{\"a\":1,\"a\":2}}",
		"{\"id\":1.5,\"ok\":true,\"result\":{}}",
		"{\"id\":1,\"ok\":true,\"result\":{}} {}",
		"{\"type\":\"granted\",\"time\":1,\"door\":\"d\"}",
		"{\"type\":\"granted\",\"time\":1,\"door\":\"d\",\"person\":1}",
		"{\"type\":\"granted\",\"time\":-1,\"door\":\"d\","
		    "\"person\":null}",
		"{\"type\":\"granted\",\"time\":1,\"door\":null,"
		    "\"person\":null}",
		"{\"type\":\"party\",\"time\":1,\"door\":\"d\","
		    "\"person\":null}",
		"{\"type\":\"granted\",\"time\":1,\"door\":\"d\","
		    "\"person\":null,\"id\":3}",
	};
	struct proto_reply	 rep;
	char			*message;
	size_t			 i;

	for (i = 0; i < sizeof t / sizeof t[0]; i++) {
		if (proto_parse_reply(t[i], strlen(t[i]), &rep, &message) !=
		    -1 || message == NULL) {
			fprintf(stderr, "reply case %zu: %s\n", i, t[i]);
			test_failed_checks++;
		}
		free(message);
		proto_reply_clear(&rep);
	}
}

/* The text of the section of DOC after HEAD, up to the next heading. */
static int
section_has(const char *head, const char *what)
{
	const char	*end = head + 1;

	while ((end = strchr(end, '\n')) != NULL) {
		end++;
		if (end[0] >= '0' && end[0] <= '9')
			break;
	}
	if (end == NULL)
		end = head + strlen(head);
	return memmem(head, (size_t)(end - head), what, strlen(what)) != NULL;
}

/*
 * doc/PROTOCOL documents each command under a heading line
 * "4.N. NAME (ROLE)"; every heading names a command with that role, every
 * command has one, and its section quotes each of its argument keys.
 */
TEST(t_doc)
{
	const struct proto_command	*c;
	const struct proto_arg		*a;
	char				*doc, *p, *q, *nl, name[64], key[64];
	int				 seen[PROTO_NCOMMANDS] = { 0 };
	size_t				 i, j, len;

	if ((doc = test_read_file(DOC, &len)) == NULL) {
		CHECK(!"doc/PROTOCOL is readable");
		return;
	}
	for (p = doc; p != NULL && *p != '\0'; p = nl ? nl + 1 : NULL) {
		nl = strchr(p, '\n');
		if (strncmp(p, "4.", 2) != 0 || !(p[2] >= '1' && p[2] <= '9'))
			continue;
		q = p + 2;
		while (*q >= '0' && *q <= '9')
			q++;
		if (strncmp(q, ". ", 2) != 0)
			continue;
		q += 2;
		len = (size_t)((nl ? nl : q + strlen(q)) - q);
		if (len >= sizeof name) {
			CHECK(!"heading too long");
			continue;
		}
		memcpy(name, q, len);
		name[len] = '\0';
		if ((q = strrchr(name, '(')) == NULL || q == name ||
		    q[-1] != ' ' || name[strlen(name) - 1] != ')') {
			fprintf(stderr, "bad heading: %s\n", name);
			CHECK(!"heading is NAME (ROLE)");
			continue;
		}
		q[-1] = '\0';
		if ((c = proto_command_find(name)) == NULL) {
			fprintf(stderr, "%s: no command \"%s\"\n", DOC, name);
			CHECK(!"documented command exists");
			continue;
		}
		seen[c->id]++;
		q[strlen(q) - 1] = '\0';
		CHECK_STR(q + 1, proto_role_name(c->min_role));
		for (j = 0; (a = proto_command_arg(c, j)) != NULL; j++) {
			snprintf(key, sizeof key, "\"%s\"", a->key);
			if (!section_has(p, key)) {
				fprintf(stderr, "%s: %s: no %s\n", DOC, name,
				    key);
				CHECK(!"argument documented");
			}
		}
	}
	for (i = 0; i < PROTO_NCOMMANDS; i++) {
		if (seen[i] != 1)
			fprintf(stderr, "%s: \"%s\" documented %d times\n",
			    DOC, proto_command_at(i)->name, seen[i]);
		CHECK_INT(seen[i], 1);
	}
	/* And the error codes. */
	for (i = PROTO_ERR_BAD_REQUEST; i <= PROTO_ERR_INTERNAL; i++)
		CHECK(strstr(doc, proto_error_name((enum proto_error)i)));
	free(doc);
}

int
main(void)
{
	RUN(t_table);
	RUN(t_names);
	RUN(t_good_requests);
	RUN(t_bad_requests);
	RUN(t_roles);
	RUN(t_builders);
	RUN(t_bad_replies);
	RUN(t_doc);
	return test_main_end("test-proto");
}
