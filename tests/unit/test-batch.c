/*
 * Tests of the console's command line and batch mode (console/batch.c) as
 * pure functions: command words to request lines for every command of the
 * table, usage errors, stdin line splitting, photos as paths and as data
 * URIs, text rendering, exit statuses. Then the client (console/client.c)
 * as a transport only, over real sockets whose other end the test serves
 * with canned lines: hello, events between replies, a wrong id, EOF, a
 * line over the limit. The commands against the real agent are regress
 * tests.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "batch.h"
#include "client.h"
#include "protocol.h"
#include "test.h"
#include "xmalloc.h"

/* Whether HAYSTACK holds NEEDLE (both may be NULL). */
static int
contains(const char *haystack, const char *needle)
{
	return haystack != NULL && needle != NULL &&
	    strstr(haystack, needle) != NULL;
}

/*
 * Splits LINE, parses it and returns the request line with id 1
 * (malloc'd), or NULL with *CAUSE (malloc'd) for a usage error.
 */
static char *
request_of(const char *line, char **cause)
{
	struct batch_cmd	 bc;
	char			**words, *req;
	size_t			 n;

	*cause = NULL;
	if (batch_split(line, &words, &n, cause) != 0)
		return NULL;
	if (batch_parse((const char *const *)words, n, &bc, cause) != 0) {
		batch_words_free(words);
		return NULL;
	}
	batch_words_free(words);
	req = proto_request(1, bc.cmd->name, bc.args);
	bc.args = NULL;
	batch_cmd_clear(&bc);
	return req;
}

static const struct {
	const char	*line;
	const char	*request;
} parse_cases[] = {
	{ "status", "{\"id\":1,\"cmd\":\"status\"}" },
	{ "pending", "{\"id\":1,\"cmd\":\"pending\"}" },
	{ "visit 4", "{\"id\":1,\"cmd\":\"visit\",\"args\":"
	    "{\"visit\":4}}" },
	{ "visitor 4 --email kit@example.org --name 'Kit H'",
	    "{\"id\":1,\"cmd\":\"visitor\",\"args\":{\"visit\":4,"
	    "\"name\":\"Kit H\",\"email\":\"kit@example.org\"}}" },
	{ "watch", "{\"id\":1,\"cmd\":\"watch\"}" },
	{ "approve 17", "{\"id\":1,\"cmd\":\"approve\",\"args\":"
	    "{\"visit\":17}}" },
	/* Every option, "=" and " " values, a flag; JSON in table order. */
	{ "approve --enroll 17 --phone '+44 20' --name 'Ann Lee' "
	    "--email=ann@example.org --valid-for 2h",
	    "{\"id\":1,\"cmd\":\"approve\",\"args\":{\"visit\":17,"
	    "\"name\":\"Ann Lee\",\"email\":\"ann@example.org\","
	    "\"phone\":\"+44 20\",\"valid_for\":\"2h\",\"enroll\":true}}" },
	{ "approve 3 --valid=2024-05-01T09:00:00Z..2024-05-01T17:00:00Z",
	    "{\"id\":1,\"cmd\":\"approve\",\"args\":{\"visit\":3,"
	    "\"valid\":\"2024-05-01T09:00:00Z..2024-05-01T17:00:00Z\"}}" },
	/* The bounds of an integer; leading zeros are still decimal. */
	{ "approve 0", "{\"id\":1,\"cmd\":\"approve\",\"args\":"
	    "{\"visit\":0}}" },
	{ "approve 9007199254740991", "{\"id\":1,\"cmd\":\"approve\","
	    "\"args\":{\"visit\":9007199254740991}}" },
	{ "approve 007", "{\"id\":1,\"cmd\":\"approve\",\"args\":"
	    "{\"visit\":7}}" },
	{ "deny 4", "{\"id\":1,\"cmd\":\"deny\",\"args\":{\"visit\":4}}" },
	{ "deny 4 --deny-list", "{\"id\":1,\"cmd\":\"deny\",\"args\":"
	    "{\"visit\":4,\"deny_list\":true}}" },
	{ "enroll 5 \"Ann Lee\"", "{\"id\":1,\"cmd\":\"enroll\",\"args\":"
	    "{\"visit\":5,\"person\":\"Ann Lee\"}}" },
	{ "people", "{\"id\":1,\"cmd\":\"people\"}" },
	/* A list positional takes every positional word that remains. */
	{ "people add Bob /srv/a.jpg /srv/b.jpg /srv/c.png",
	    "{\"id\":1,\"cmd\":\"people add\",\"args\":{\"name\":\"Bob\","
	    "\"photos\":[\"/srv/a.jpg\",\"/srv/b.jpg\",\"/srv/c.png\"]}}" },
	/* "--" ends the options: a name may start with dashes. */
	{ "people add -- --odd /srv/a.jpg",
	    "{\"id\":1,\"cmd\":\"people add\",\"args\":{\"name\":\"--odd\","
	    "\"photos\":[\"/srv/a.jpg\"]}}" },
	{ "people remove 12", "{\"id\":1,\"cmd\":\"people remove\","
	    "\"args\":{\"person\":\"12\"}}" },
	{ "people forget 'Ann Lee'", "{\"id\":1,\"cmd\":\"people forget\","
	    "\"args\":{\"person\":\"Ann Lee\"}}" },
	{ "deny-list", "{\"id\":1,\"cmd\":\"deny-list\"}" },
	{ "deny-list add 6 --reason tailgating", "{\"id\":1,\"cmd\":"
	    "\"deny-list add\",\"args\":{\"visit\":6,\"reason\":"
	    "\"tailgating\"}}" },
	{ "deny-list remove 2", "{\"id\":1,\"cmd\":\"deny-list remove\","
	    "\"args\":{\"entry\":2}}" },
	{ "events", "{\"id\":1,\"cmd\":\"events\"}" },
	{ "events --since 1h --follow", "{\"id\":1,\"cmd\":\"events\","
	    "\"args\":{\"follow\":true,\"since\":\"1h\"}}" },
	{ "passes", "{\"id\":1,\"cmd\":\"passes\"}" },
	{ "pass revoke 9f86d081884c7d659a2feaa0c55ad015", "{\"id\":1,"
	    "\"cmd\":\"pass revoke\",\"args\":{\"pass\":"
	    "\"9f86d081884c7d659a2feaa0c55ad015\"}}" },
	{ "keys", "{\"id\":1,\"cmd\":\"keys\"}" },
	/* "keys rotate" is one command, not keys with a word. */
	{ "keys rotate", "{\"id\":1,\"cmd\":\"keys rotate\"}" },
	/* PERSON is optional: a pre-registered visitor is named instead. */
	{ "pass issue --name 'Kit H' --email kit@example.org",
	    "{\"id\":1,\"cmd\":\"pass issue\",\"args\":{\"name\":"
	    "\"Kit H\",\"email\":\"kit@example.org\"}}" },
	{ "pass issue", "{\"id\":1,\"cmd\":\"pass issue\"}" },
	/* A person by id is still a string; --uses an integer. */
	{ "pass issue 12 --uses 3 --valid-for 2h", "{\"id\":1,\"cmd\":"
	    "\"pass issue\",\"args\":{\"person\":\"12\","
	    "\"valid_for\":\"2h\",\"uses\":3}}" },
	/* Every option, in any order; JSON in table order. */
	{ "pass issue --uses=100 --phone '+44 20' "
	    "--valid 2024-05-01T09:00:00Z..2024-05-01T17:00:00Z "
	    "'Ann Lee' --email ann@example.org --name Ann",
	    "{\"id\":1,\"cmd\":\"pass issue\",\"args\":{\"person\":"
	    "\"Ann Lee\",\"name\":\"Ann\",\"email\":\"ann@example.org\","
	    "\"phone\":\"+44 20\",\"valid\":"
	    "\"2024-05-01T09:00:00Z..2024-05-01T17:00:00Z\",\"uses\":100}}" },
	/* A PIN is a string: its leading zeros are digits of it. */
	{ "pin 004821", "{\"id\":1,\"cmd\":\"pin\",\"args\":"
	    "{\"pin\":\"004821\"}}" },
	{ "pin 123456", "{\"id\":1,\"cmd\":\"pin\",\"args\":"
	    "{\"pin\":\"123456\"}}" },
	{ "outbox", "{\"id\":1,\"cmd\":\"outbox\"}" },
	{ "outbox --state failed", "{\"id\":1,\"cmd\":\"outbox\","
	    "\"args\":{\"state\":\"failed\"}}" },
	/* "outbox retry" is one command, not outbox with a word. */
	{ "outbox retry 3", "{\"id\":1,\"cmd\":\"outbox retry\","
	    "\"args\":{\"row\":3}}" },
	{ "alarms", "{\"id\":1,\"cmd\":\"alarms\"}" },
	{ "alarms --all", "{\"id\":1,\"cmd\":\"alarms\",\"args\":"
	    "{\"all\":true}}" },
	{ "ack 12", "{\"id\":1,\"cmd\":\"ack\",\"args\":{\"alarm\":12}}" },
	{ "ack 12 --note \"delivery\"", "{\"id\":1,\"cmd\":\"ack\","
	    "\"args\":{\"alarm\":12,\"note\":\"delivery\"}}" },
	/* The note first, or with "=": JSON in table order. */
	{ "ack --note='van at the gate' 7", "{\"id\":1,\"cmd\":\"ack\","
	    "\"args\":{\"alarm\":7,\"note\":\"van at the gate\"}}" },
	{ "door open --reason 'parcel at the gate'", "{\"id\":1,\"cmd\":"
	    "\"door open\",\"args\":{\"reason\":\"parcel at the gate\"}}" },
	{ "config", "{\"id\":1,\"cmd\":\"config\"}" },
	/* A value may be empty, or look like an option. */
	{ "deny-list add 6 --reason ''", "{\"id\":1,\"cmd\":"
	    "\"deny-list add\",\"args\":{\"visit\":6,\"reason\":\"\"}}" },
	{ "door open --reason --now", "{\"id\":1,\"cmd\":\"door open\","
	    "\"args\":{\"reason\":\"--now\"}}" },
};

/* Every command of the table but hello, to its request line. */
TEST(parse_every_command)
{
	struct proto_request	 req;
	enum proto_error	 code;
	const struct proto_command *cmd;
	char			*line, *cause, *message;
	int			 seen[PROTO_NCOMMANDS];
	size_t			 i;

	memset(seen, 0, sizeof seen);
	for (i = 0; i < sizeof parse_cases / sizeof parse_cases[0]; i++) {
		line = request_of(parse_cases[i].line, &cause);
		if (line == NULL) {
			fprintf(stderr, "%s: %s\n", parse_cases[i].line,
			    cause);
			CHECK(line != NULL);
			free(cause);
			continue;
		}
		CHECK_STR(line, parse_cases[i].request);
		/* What the agent's own strict parser accepts. */
		CHECK_INT(proto_parse_request(line, strlen(line), &req, &code,
		    &message), 0);
		if (req.cmd != NULL)
			seen[req.cmd->id] = 1;
		free(message);
		proto_request_clear(&req);
		free(line);
	}
	for (i = 0; (cmd = proto_command_at(i)) != NULL; i++) {
		if (cmd->id == PROTO_CMD_HELLO)
			continue;
		if (!seen[cmd->id])
			fprintf(stderr, "not covered: %s\n", cmd->name);
		CHECK(seen[cmd->id]);
	}
}

static const struct {
	const char	*line;
	const char	*reason;
	const char	*usage;		/* NULL: no usage line */
} usage_cases[] = {
	{ "approve", "approve: missing argument \"visit\"",
	    "usage: gatehouse approve ID [--name N]" },
	{ "approve x", "visit must be an integer from 0 to "
	    "9007199254740991, not \"x\"", "usage: gatehouse approve ID" },
	{ "approve 9007199254740992", "not \"9007199254740992\"",
	    "usage: gatehouse approve ID" },
	{ "approve 99999999999999999999999", "must be an integer",
	    "usage: gatehouse approve ID" },
	{ "approve -1", "not \"-1\"", "usage: gatehouse approve ID" },
	{ "approve +1", "not \"+1\"", "usage: gatehouse approve ID" },
	{ "approve 1.5", "not \"1.5\"", "usage: gatehouse approve ID" },
	{ "approve 0x10", "not \"0x10\"", "usage: gatehouse approve ID" },
	{ "approve ''", "not \"\"", "usage: gatehouse approve ID" },
	{ "approve 1 2", "unexpected argument \"2\"",
	    "usage: gatehouse approve ID" },
	{ "approve 1 --bogus", "unknown option --bogus",
	    "usage: gatehouse approve ID" },
	{ "approve 1 --bogus=3", "unknown option --bogus",
	    "usage: gatehouse approve ID" },
	{ "approve 1 --name", "--name needs a value",
	    "usage: gatehouse approve ID" },
	{ "approve 1 --enroll=yes", "--enroll takes no value",
	    "usage: gatehouse approve ID" },
	{ "approve 1 --name a --name b", "--name given twice",
	    "usage: gatehouse approve ID" },
	{ "deny-list remove --entry 3", "unknown option --entry",
	    "usage: gatehouse deny-list remove ENTRY" },
	{ "door open", "door open: --reason is required",
	    "usage: gatehouse door open --reason R" },
	{ "people add Bob", "missing argument \"photos\"",
	    "usage: gatehouse people add NAME PHOTO..." },
	{ "people add", "missing argument \"name\"",
	    "usage: gatehouse people add NAME PHOTO..." },
	{ "status now", "status: unexpected argument \"now\"",
	    "usage: gatehouse status" },
	{ "people list", "people: unexpected argument \"list\"",
	    "usage: gatehouse people" },
	{ "events --follow=1", "--follow takes no value",
	    "usage: gatehouse events [--follow] [--since T]" },
	{ "pass issue 'Ann Lee' Bob", "unexpected argument \"Bob\"",
	    "usage: gatehouse pass issue [PERSON] [--name N]" },
	{ "pass issue --uses", "--uses needs a value",
	    "usage: gatehouse pass issue [PERSON]" },
	{ "pass issue --uses two", "--uses must be an integer from 0 to "
	    "9007199254740991, not \"two\"", "usage: gatehouse pass issue" },
	{ "pass issue --uses -1", "not \"-1\"",
	    "usage: gatehouse pass issue" },
	{ "pass issue --uses 1.5", "not \"1.5\"",
	    "usage: gatehouse pass issue" },
	{ "pass issue --enroll", "unknown option --enroll",
	    "usage: gatehouse pass issue" },
	{ "pass issue --name a --name b", "--name given twice",
	    "usage: gatehouse pass issue" },
	{ "pass", "unknown command \"pass\"", NULL },
	{ "pin", "pin: missing argument \"pin\"", "usage: gatehouse pin CODE" },
	{ "pin 1234 5678", "unexpected argument \"5678\"",
	    "usage: gatehouse pin CODE" },
	{ "outbox failed", "outbox: unexpected argument \"failed\"",
	    "usage: gatehouse outbox [--state queued|sent|failed]" },
	{ "outbox --state", "--state needs a value",
	    "usage: gatehouse outbox [--state" },
	{ "outbox retry", "outbox retry: missing argument \"row\"",
	    "usage: gatehouse outbox retry ID" },
	{ "outbox retry x", "row must be an integer from 0 to "
	    "9007199254740991, not \"x\"", "usage: gatehouse outbox retry ID" },
	{ "outbox retry 3 --state failed", "unknown option --state",
	    "usage: gatehouse outbox retry ID" },
	{ "keys rotate now", "keys rotate: unexpected argument \"now\"",
	    "usage: gatehouse keys rotate" },
	{ "alarms 3", "alarms: unexpected argument \"3\"",
	    "usage: gatehouse alarms [--all]" },
	{ "alarms --all=yes", "--all takes no value",
	    "usage: gatehouse alarms [--all]" },
	{ "alarms --unacked", "unknown option --unacked",
	    "usage: gatehouse alarms [--all]" },
	{ "ack", "ack: missing argument \"alarm\"",
	    "usage: gatehouse ack ID [--note N]" },
	{ "ack x", "alarm must be an integer from 0 to 9007199254740991, "
	    "not \"x\"", "usage: gatehouse ack ID [--note N]" },
	{ "ack -3", "not \"-3\"", "usage: gatehouse ack ID" },
	{ "ack 12 13", "unexpected argument \"13\"",
	    "usage: gatehouse ack ID" },
	{ "ack 12 --note", "--note needs a value", "usage: gatehouse ack ID" },
	{ "ack 12 --note a --note b", "--note given twice",
	    "usage: gatehouse ack ID" },
	{ "ack 12 --all", "unknown option --all", "usage: gatehouse ack ID" },
	{ "hello", "unknown command \"hello\"", NULL },
	{ "fly", "unknown command \"fly\"", NULL },
	{ "Status", "unknown command \"Status\"", NULL },
};

/* Missing, extra, unknown and bad arguments: the usage of the command. */
TEST(parse_usage_errors)
{
	char	*line, *cause;
	size_t	 i;

	for (i = 0; i < sizeof usage_cases / sizeof usage_cases[0]; i++) {
		line = request_of(usage_cases[i].line, &cause);
		CHECK(line == NULL);
		free(line);
		if (!contains(cause, usage_cases[i].reason))
			fprintf(stderr, "%s: %s\n", usage_cases[i].line, cause);
		CHECK(contains(cause, usage_cases[i].reason));
		if (usage_cases[i].usage != NULL)
			CHECK(contains(cause, usage_cases[i].usage));
		else
			CHECK(!contains(cause, "usage:"));
		free(cause);
	}
}

/* More than PROTO_ARRAY_MAX photos is a usage error, the limit is not. */
TEST(parse_photo_count)
{
	char	 line[4096], *req, *cause;
	size_t	 len;
	int	 i;

	len = (size_t)snprintf(line, sizeof line, "people add Bob");
	for (i = 0; i < PROTO_ARRAY_MAX; i++)
		len += (size_t)snprintf(line + len, sizeof line - len,
		    " /p/%d.jpg", i);
	req = request_of(line, &cause);
	CHECK(req != NULL);
	free(req);
	free(cause);
	snprintf(line + len, sizeof line - len, " /p/extra.jpg");
	req = request_of(line, &cause);
	CHECK(req == NULL);
	CHECK(contains(cause, "at most 64 of photos"));
	CHECK(contains(cause, "usage: gatehouse people add NAME PHOTO..."));
	free(cause);
}

/* Splits LINE, expecting the words of EXPECT joined with '|'. */
static void
check_split(const char *line, const char *expect)
{
	char	**words, *cause, joined[512];
	size_t	  n, i, len = 0;

	if (batch_split(line, &words, &n, &cause) != 0) {
		fprintf(stderr, "split \"%s\": %s\n", line, cause);
		CHECK(0);
		free(cause);
		return;
	}
	joined[0] = '\0';
	for (i = 0; i < n; i++)
		len += (size_t)snprintf(joined + len, sizeof joined - len,
		    "%s%s", i == 0 ? "" : "|", words[i]);
	CHECK(words[n] == NULL);
	CHECK_STR(joined, expect);
	batch_words_free(words);
}

/* Shell-like words: blanks, quotes, escapes, comments. */
TEST(split_words)
{
	char	**words, *cause;
	size_t	  n;

	check_split("status", "status");
	check_split("  approve\t17   --enroll \r", "approve|17|--enroll");
	check_split("people add 'Ann Lee' \"/srv/my photos/a.jpg\"",
	    "people|add|Ann Lee|/srv/my photos/a.jpg");
	check_split("a\\ b c\\'d \\\"e\\\\", "a b|c'd|\"e\\");
	/* In double quotes only \ " $ ` are escaped. */
	check_split("\"a\\\"b\\\\c\\$d\\`e\\xf\"", "a\"b\\c$d`e\\xf");
	/* Single quotes keep everything, backslashes too. */
	check_split("'\\n \"x\"'", "\\n \"x\"");
	/* Adjacent quoted parts make one word; '' is an empty word. */
	check_split("it'''s' a\"b\"'c'd", "its|abcd");
	check_split("x '' y", "x||y");
	check_split("x # a comment 'with an open quote", "x");
	check_split("a#b '#c' \\#d", "a#b|#c|#d");
	check_split("caf\xc3\xa9 \"\xe9\x96\x80\"", "caf\xc3\xa9|\xe9\x96\x80");

	/* Blank and comment lines have no words. */
	CHECK_INT(batch_split("", &words, &n, &cause), 0);
	CHECK_INT(n, 0);
	CHECK(words != NULL && words[0] == NULL);
	batch_words_free(words);
	CHECK_INT(batch_split("  \t ", &words, &n, &cause), 0);
	CHECK_INT(n, 0);
	batch_words_free(words);
	CHECK_INT(batch_split("# status", &words, &n, &cause), 0);
	CHECK_INT(n, 0);
	batch_words_free(words);
}

/* An unterminated quote or a trailing backslash is an error. */
TEST(split_errors)
{
	static const char *const bad[] = { "people add 'Ann", "x \"abc",
	    "x \"abc\\\"", "trailing\\", "'" };
	char	**words, *cause;
	size_t	  n, i;

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		cause = NULL;
		CHECK_INT(batch_split(bad[i], &words, &n, &cause), -1);
		CHECK(words == NULL);
		CHECK(cause != NULL);
		free(cause);
	}
	CHECK_INT(batch_split("'abc", &words, &n, &cause), -1);
	CHECK(contains(cause, "unterminated quote"));
	free(cause);
	CHECK_INT(batch_split("abc\\", &words, &n, &cause), -1);
	CHECK(contains(cause, "backslash"));
	free(cause);
}

static const unsigned char jpeg_bytes[] = { 0xff, 0xd8, 0xff, 0xe0, 0x00,
    0x10, 0x4a, 0x46 };
static const unsigned char png_bytes[] = { 0x89, 0x50, 0x4e, 0x47, 0x0d,
    0x0a, 0x1a, 0x0a, 0x00 };

/* Writes LEN bytes to DIR/NAME; returns the path (malloc'd). */
static char *
write_temp(const char *dir, const char *name, const void *data, size_t len)
{
	char	*path;
	FILE	*f;

	xasprintf(&path, "%s/%s", dir, name);
	if ((f = fopen(path, "wb")) == NULL) {
		perror(path);
		exit(1);
	}
	if (len > 0)
		CHECK_INT(fwrite(data, 1, len, f), len);
	fclose(f);
	return path;
}

/* A local agent gets absolute paths, a remote one the bytes. */
TEST(photo_conversions)
{
	char	*dir, *jpg, *png, *txt, *big, *expect, *s, *cause, *old;
	char	*bigdata;
	size_t	 bigsize = (size_t)PROTO_LINE_MAX / 4 * 3 + 1;

	if ((dir = realpath(test_tmpdir(), NULL)) == NULL) {
		CHECK(0);
		return;
	}
	jpg = write_temp(dir, "face.jpg", jpeg_bytes, sizeof jpeg_bytes);
	png = write_temp(dir, "face.png", png_bytes, sizeof png_bytes);
	txt = write_temp(dir, "notes.txt", "hello", 5);
	bigdata = xcalloc(1, bigsize);
	memcpy(bigdata, jpeg_bytes, sizeof jpeg_bytes);
	big = write_temp(dir, "big.jpg", bigdata, bigsize);
	free(bigdata);

	/* A relative path becomes absolute. */
	old = getcwd(NULL, 0);
	CHECK_INT(chdir(dir), 0);
	s = batch_photo_path("face.jpg", &cause);
	CHECK_STR(s, jpg);
	free(s);
	s = batch_photo_path("./sub/../face.png", &cause);
	CHECK(s == NULL);	/* no "sub" directory */
	CHECK(contains(cause, "./sub/../face.png: No such file"));
	free(cause);
	s = batch_photo_path(".", &cause);
	CHECK(s == NULL);
	CHECK(contains(cause, "not a regular file"));
	free(cause);

	/* The data URI, its type sniffed from the bytes, not the name. */
	s = batch_photo_data("face.jpg", &cause);
	CHECK_STR(s, "data:image/jpeg;base64,/9j/4AAQSkY=");
	free(s);
	s = batch_photo_data(png, &cause);
	CHECK_STR(s, "data:image/png;base64,iVBORw0KGgoA");
	free(s);
	s = batch_photo_data(txt, &cause);
	CHECK(s == NULL);
	CHECK(contains(cause, "not a JPEG or PNG image"));
	free(cause);
	s = batch_photo_data("missing.jpg", &cause);
	CHECK(s == NULL);
	CHECK(contains(cause, "missing.jpg"));
	free(cause);
	/* One byte more than a request line can carry once encoded. */
	s = batch_photo_data(big, &cause);
	CHECK(s == NULL);
	CHECK(contains(cause, "too large"));
	free(cause);

	/* In a "people add" request, for either kind of agent. */
	{
		struct batch_cmd	 bc;
		const char *const	 w[] = { "people", "add", "Bob",
		    "face.jpg", "face.png" };
		char			*line;

		CHECK_INT(batch_parse(w, 5, &bc, &cause), 0);
		CHECK_INT(batch_photos(&bc, 0, &cause), 0);
		line = proto_request(1, bc.cmd->name, bc.args);
		bc.args = NULL;
		xasprintf(&expect, "{\"id\":1,\"cmd\":\"people add\",\"args\":"
		    "{\"name\":\"Bob\",\"photos\":[\"%s\",\"%s\"]}}", jpg, png);
		CHECK_STR(line, expect);
		free(expect);
		free(line);
		batch_cmd_clear(&bc);

		CHECK_INT(batch_parse(w, 5, &bc, &cause), 0);
		CHECK_INT(batch_photos(&bc, 1, &cause), 0);
		line = proto_request(1, bc.cmd->name, bc.args);
		bc.args = NULL;
		CHECK_STR(line, "{\"id\":1,\"cmd\":\"people add\",\"args\":"
		    "{\"name\":\"Bob\",\"photos\":["
		    "\"data:image/jpeg;base64,/9j/4AAQSkY=\","
		    "\"data:image/png;base64,iVBORw0KGgoA\"]}}");
		free(line);
		batch_cmd_clear(&bc);

		/* A missing photo fails the command before it is sent. */
		{
			const char *const w2[] = { "people", "add", "Bob",
			    "face.jpg", "nope.jpg" };

			CHECK_INT(batch_parse(w2, 5, &bc, &cause), 0);
			CHECK_INT(batch_photos(&bc, 0, &cause), -1);
			CHECK(contains(cause, "nope.jpg"));
			free(cause);
			batch_cmd_clear(&bc);
		}
		/* Other commands' strings are not photos. */
		{
			const char *const w3[] = { "people", "remove",
			    "face.jpg" };

			CHECK_INT(batch_parse(w3, 3, &bc, &cause), 0);
			CHECK_INT(batch_photos(&bc, 1, &cause), 0);
			CHECK_STR(cJSON_GetObjectItem(bc.args,
			    "person")->valuestring, "face.jpg");
			batch_cmd_clear(&bc);
		}
	}

	if (old != NULL)
		CHECK_INT(chdir(old), 0);
	free(old);
	free(jpg);
	free(png);
	free(txt);
	free(big);
	free(dir);
}

/* Renders JSON text JS with FN into a string (malloc'd). */
static char *
render(void (*fn)(FILE *, const cJSON *), const char *js)
{
	cJSON	*item;
	char	*buf = NULL;
	size_t	 len = 0;
	FILE	*f;

	item = cJSON_Parse(js);
	CHECK(item != NULL);
	if ((f = open_memstream(&buf, &len)) == NULL) {
		perror("open_memstream");
		exit(1);
	}
	if (item != NULL)
		fn(f, item);
	fclose(f);
	cJSON_Delete(item);
	return buf;
}

/* A list is a table, its columns the keys; photos are left out. */
TEST(text_list)
{
	char	*photo, *js, *out;

	photo = xmalloc(3001);
	memset(photo, 'A', 3000);
	photo[3000] = '\0';
	xasprintf(&js, "{\"visits\":["
	    "{\"visit\":17,\"first_seen\":1714554000123,\"seen\":3,"
	    "\"door\":\"front\",\"score\":0.31,\"nearest\":null,"
	    "\"photo\":\"%s\",\"name\":\"Ann Lee\",\"email\":null},"
	    "{\"visit\":9,\"first_seen\":1714557600000,\"seen\":12,"
	    "\"door\":\"front\",\"score\":null,\"nearest\":\"Bob\","
	    "\"photo\":\"%s\",\"name\":\"\\u001b[31mEve\",\"email\":"
	    "\"eve@example.org\",\"extra\":[1,2]}]}", photo, photo);
	out = render(batch_print_text, js);
	CHECK_STR(out,
	    "VISIT  FIRST_SEEN           SEEN  DOOR   SCORE  NEAREST  NAME      "
	    "EMAIL            EXTRA\n"
	    "17     2024-05-01 09:00:00  3     front  0.31   -        Ann Lee   "
	    "-                -\n"
	    "9      2024-05-01 10:00:00  12    front  -      Bob      ?[31mEve "
	    " eve@example.org  1, 2\n");
	free(out);
	free(js);
	free(photo);

	/* An empty list; a lone list of people. */
	out = render(batch_print_text, "{\"visits\":[]}");
	CHECK_STR(out, "visits: none\n");
	free(out);
	out = render(batch_print_text, "{\"people\":[{\"id\":1,\"name\":"
	    "\"Zo\xc3\xab\",\"templates\":2},{\"id\":12,\"name\":\"Al\","
	    "\"templates\":10}]}");
	CHECK_STR(out,
	    "ID  NAME  TEMPLATES\n"
	    "1   Zo\xc3\xab   2\n"
	    "12  Al    10\n");
	free(out);

	/* A long cell is cut to 48 characters. */
	out = render(batch_print_text, "{\"entries\":[{\"entry\":1,\"reason\":"
	    "\"0123456789012345678901234567890123456789012345678901234\"}]}");
	CHECK_STR(out,
	    "ENTRY  REASON\n"
	    "1      012345678901234567890123456789012345678901234...\n");
	free(out);
}

/* Other results are "key: value" lines; nested ones are indented. */
TEST(text_object)
{
	char	*out;

	out = render(batch_print_text, "{\"door\":\"front\","
	    "\"door_state\":\"closed\",\"camera\":\"ok\",\"pending\":2,"
	    "\"uptime\":3600}");
	CHECK_STR(out,
	    "door:       front\n"
	    "door_state: closed\n"
	    "camera:     ok\n"
	    "pending:    2\n"
	    "uptime:     3600\n");
	free(out);

	out = render(batch_print_text, "{\"visit\":17,\"person\":\"Ann Lee\","
	    "\"pass\":null,\"pin\":\"482913\",\"not_before\":1714554000000,"
	    "\"enrolled\":true}");
	CHECK_STR(out,
	    "visit:      17\n"
	    "person:     Ann Lee\n"
	    "pass:       -\n"
	    "pin:        482913\n"
	    "not_before: 2024-05-01 09:00:00\n"
	    "enrolled:   true\n");
	free(out);

	out = render(batch_print_text, "{\"person\":4,\"templates\":2,"
	    "\"refused\":[{\"photo\":1,\"reason\":\"no face\"}],"
	    "\"warnings\":[\"looks like Bob\",\"small face\"],\"x\":[]}");
	CHECK_STR(out,
	    "person:    4\n"
	    "templates: 2\n"
	    "refused:\n"
	    "  PHOTO  REASON\n"
	    "  1      no face\n"
	    "warnings:  looks like Bob, small face\n"
	    "x:         none\n");
	free(out);

	/* A lone object (config) is the whole result. */
	out = render(batch_print_text, "{\"config\":{\"door\":\"front\","
	    "\"match_threshold\":0.5}}");
	CHECK_STR(out,
	    "door:            front\n"
	    "match_threshold: 0.5\n");
	free(out);

	/* Control characters in keys and values never reach a terminal. */
	out = render(batch_print_text, "{\"a\\u0007\":\"x\\ny\\u009bz\"}");
	CHECK_STR(out, "a?: x?y?z\n");
	free(out);

	out = render(batch_print_text, "{}");
	CHECK_STR(out, "");
	free(out);
}

/* An event on one line; JSON output compact. */
TEST(text_event_and_json)
{
	char	*out;

	out = render(batch_print_event_text, "{\"type\":\"granted\","
	    "\"time\":1714554000123,\"door\":\"front\",\"person\":"
	    "\"Ann Lee\",\"score\":0.31,\"by\":\"face\"}");
	CHECK_STR(out, "2024-05-01 09:00:00  granted  front  Ann Lee  "
	    "score=0.31  by=face\n");
	free(out);
	out = render(batch_print_event_text, "{\"type\":\"pending\","
	    "\"time\":1714554000123,\"door\":\"front\",\"person\":null,"
	    "\"visit\":17}");
	CHECK_STR(out, "2024-05-01 09:00:00  pending  front  -  visit=17\n");
	free(out);
	out = render(batch_print_json, "{ \"visits\" : [ {\"visit\": 17,"
	    "\"time\":1714554000123} ],\"n\":null }");
	CHECK_STR(out, "{\"visits\":[{\"visit\":17,\"time\":1714554000123}],"
	    "\"n\":null}\n");
	free(out);
}

/*
 * The results of "pass issue" and "outbox" for people: the pass's id, PIN
 * and window as lines; the outbox one row a line with its state, kind,
 * destination, attempts and last error (cut to a cell's 48 characters).
 */
TEST(text_pass_and_outbox)
{
	char	*out;

	out = render(batch_print_text, "{\"id\":"
	    "\"9f86d081884c7d659a2feaa0c55ad015\",\"pass\":"
	    "\"9f86d081884c7d659a2feaa0c55ad015\",\"person\":null,"
	    "\"token\":\"GH1:AEHR4LJ4\",\"pin\":\"004821\","
	    "\"not_before\":1714554000000,\"expires\":1714561200000,"
	    "\"doors\":[\"front\"]}");
	CHECK_STR(out,
	    "id:         9f86d081884c7d659a2feaa0c55ad015\n"
	    "pass:       9f86d081884c7d659a2feaa0c55ad015\n"
	    "person:     -\n"
	    "token:      GH1:AEHR4LJ4\n"
	    "pin:        004821\n"
	    "not_before: 2024-05-01 09:00:00\n"
	    "expires:    2024-05-01 11:00:00\n"
	    "doors:      front\n");
	free(out);

	out = render(batch_print_text, "{\"rows\":["
	    "{\"row\":7,\"event\":41,\"kind\":\"email\","
	    "\"destination\":\"ann@example.org\",\"state\":\"failed\","
	    "\"attempts\":10,\"next_try\":1714554000000,"
	    "\"last_try\":1714554000000,\"last_error\":"
	    "\"550 5.1.1 <ann@example.org>: mailbox unavailable, user "
	    "unknown\"},"
	    "{\"row\":6,\"event\":40,\"kind\":\"webhook\","
	    "\"destination\":\"webhook\",\"state\":\"queued\","
	    "\"attempts\":0,\"next_try\":1714557600000,\"last_try\":null,"
	    "\"last_error\":null}]}");
	CHECK_STR(out,
	    "ROW  EVENT  KIND     DESTINATION      STATE   ATTEMPTS  "
	    "NEXT_TRY             LAST_TRY             LAST_ERROR\n"
	    "7    41     email    ann@example.org  failed  10        "
	    "2024-05-01 09:00:00  2024-05-01 09:00:00  "
	    "550 5.1.1 <ann@example.org>: mailbox unavaila...\n"
	    "6    40     webhook  webhook          queued  0         "
	    "2024-05-01 10:00:00  -                    -\n");
	free(out);
	out = render(batch_print_text, "{\"rows\":[]}");
	CHECK_STR(out, "rows: none\n");
	free(out);
}

/* The "alarms" result for people, at the door "front". */
static void
alarms_front(FILE *f, const cJSON *result)
{
	batch_print_alarms_text(f, result, "front");
}

/*
 * The result of "alarms" for people: one alarm a line, with the door, the
 * kind in words and who acknowledged it; the photo is left out. An empty
 * list or another shape is as any other result.
 */
TEST(text_alarms)
{
	char	*photo, *js, *out;

	photo = xmalloc(3001);
	memset(photo, 'A', 3000);
	photo[3000] = '\0';
	xasprintf(&js, "{\"alarms\":["
	    "{\"alarm\":12,\"time\":1714557600000,\"kind\":\"forced\","
	    "\"reason\":null,\"person\":null,\"photo\":null,"
	    "\"acked_by\":null,\"acked_at\":null,\"note\":null},"
	    "{\"alarm\":9,\"time\":1714554000000,\"kind\":\"deny-list\","
	    "\"reason\":\"deny-list\",\"person\":\"Eve\",\"photo\":\"%s\","
	    "\"acked_by\":\"uid 0 (root)\",\"acked_at\":1714554060000,"
	    "\"note\":\"delivery\"},"
	    "{\"alarm\":3,\"time\":1714550400000,\"kind\":\"sabotage\","
	    "\"reason\":\"\\u001b[2J\",\"person\":null,\"photo\":null,"
	    "\"acked_by\":null,\"acked_at\":null,\"note\":null}]}", photo);
	out = render(alarms_front, js);
	CHECK_STR(out,
	    "ALARM  TIME                 DOOR   KIND              REASON     "
	    "PERSON  ACKED_BY      NOTE\n"
	    "12     2024-05-01 10:00:00  front  Door forced       -          "
	    "-       -             -\n"
	    "9      2024-05-01 09:00:00  front  Deny-listed face  deny-list  "
	    "Eve     uid 0 (root)  delivery\n"
	    "3      2024-05-01 08:00:00  front  sabotage          ?[2J       "
	    "-       -             -\n");
	free(out);
	free(js);
	free(photo);

	out = render(alarms_front, "{\"alarms\":[]}");
	CHECK_STR(out, "alarms: none\n");
	free(out);
	out = render(alarms_front, "{\"alarm\":12}");
	CHECK_STR(out, "alarm: 12\n");
	free(out);

	CHECK_STR(batch_alarm_kind("deny-list"), "Deny-listed face");
	CHECK_STR(batch_alarm_kind("spoof-suspected"),
	    "Possible spoof (photo or screen)");
	CHECK_STR(batch_alarm_kind("tailgating"), "Tailgating");
	CHECK_STR(batch_alarm_kind("loitering"), "Loitering");
	CHECK_STR(batch_alarm_kind("lockout"),
	    "Repeated failures: door locked out");
	CHECK_STR(batch_alarm_kind("forced"), "Door forced");
	CHECK_STR(batch_alarm_kind("held-open"), "Door held open");
	CHECK_STR(batch_alarm_kind("sabotage"), "sabotage");
	CHECK_STR(batch_alarm_kind(NULL), "Alarm");
}

/* Every error code to its exit status. */
TEST(exit_statuses)
{
	CHECK_INT(batch_exit_status(PROTO_OK), 0);
	CHECK_INT(batch_exit_status(PROTO_ERR_BAD_REQUEST), 2);
	CHECK_INT(batch_exit_status(PROTO_ERR_UNKNOWN_COMMAND), 2);
	CHECK_INT(batch_exit_status(PROTO_ERR_PERMISSION_DENIED), 4);
	CHECK_INT(batch_exit_status(PROTO_ERR_NOT_FOUND), 3);
	CHECK_INT(batch_exit_status(PROTO_ERR_CONFLICT), 1);
	CHECK_INT(batch_exit_status(PROTO_ERR_TOO_LARGE), 1);
	CHECK_INT(batch_exit_status(PROTO_ERR_VERSION), 5);
	CHECK_INT(batch_exit_status(PROTO_ERR_UNAVAILABLE), 1);
	CHECK_INT(batch_exit_status(PROTO_ERR_INTERNAL), 1);
	CHECK_INT(BATCH_EXIT_UNREACHABLE, 5);
}

/* help lists every command but hello; help COMMAND shows one. */
TEST(help)
{
	const struct proto_command	*cmd;
	const char *const		 one[] = { "deny-list", "add" };
	const char *const		 bad[] = { "people", "nope" };
	const char *const		 hello[] = { "hello" };
	char				*buf = NULL, *cause, *want;
	size_t				 len = 0, i;
	FILE				*f;

	f = open_memstream(&buf, &len);
	CHECK_INT(batch_help(f, NULL, 0, &cause), 0);
	fclose(f);
	for (i = 0; (cmd = proto_command_at(i)) != NULL; i++) {
		xasprintf(&want, "\n  %s%s%s\n      %s (%s)\n", cmd->name,
		    *cmd->usage != '\0' ? " " : "", cmd->usage, cmd->summary,
		    proto_role_name(cmd->min_role));
		if (cmd->id == PROTO_CMD_HELLO)
			CHECK(!contains(buf, "hello"));
		else
			CHECK(contains(buf, want));
		free(want);
	}
	free(buf);

	buf = NULL;
	f = open_memstream(&buf, &len);
	CHECK_INT(batch_help(f, one, 2, &cause), 0);
	fclose(f);
	CHECK_STR(buf,
	    "usage: gatehouse deny-list add ID [--reason R]\n"
	    "Deny-list the face of a visit.\n"
	    "role: guard\n"
	    "arguments:\n"
	    "  visit          an integer, required\n"
	    "  --reason       a string (\"reason\")\n");
	free(buf);

	f = fopen("/dev/null", "w");
	CHECK_INT(batch_help(f, bad, 2, &cause), -1);
	CHECK(contains(cause, "unknown command"));
	free(cause);
	CHECK_INT(batch_help(f, hello, 1, &cause), -1);
	free(cause);
	fclose(f);
}

/*
 * Batch mode without an agent: it goes on after a usage error, stops when
 * the agent cannot be reached, and exits with the first failure.
 */
TEST(stream_without_agent)
{
	struct batch	 b;
	char		*err = NULL, *out = NULL, *input;
	size_t		 errlen = 0, outlen = 0;
	FILE		*in;

	input = xstrdup("# a script\n\nfly\napprove x\nstatus\nfly again\n");
	memset(&b, 0, sizeof b);
	b.socket = "/nonexistent/agent.sock";
	b.out = open_memstream(&out, &outlen);
	b.err = open_memstream(&err, &errlen);
	in = fmemopen(input, strlen(input), "r");
	CHECK_INT(batch_stream(&b, in), 2);
	fclose(in);
	fclose(b.out);
	fclose(b.err);
	CHECK_STR(out, "");
	CHECK(contains(err, "gatehouse: line 3: unknown command \"fly\""));
	CHECK(contains(err, "gatehouse: line 4: approve: visit must be"));
	CHECK(contains(err, "gatehouse: cannot connect to the agent: "
	    "/nonexistent/agent.sock: No such file or directory\n"));
	CHECK(!contains(err, "line 6"));
	batch_close(&b);
	free(out);
	free(err);
	free(input);

	/* A bad quote is a usage error of its line. */
	input = xstrdup("people add 'Ann\n");
	memset(&b, 0, sizeof b);
	b.socket = "/nonexistent/agent.sock";
	b.err = open_memstream(&err, &errlen);
	in = fmemopen(input, strlen(input), "r");
	CHECK_INT(batch_stream(&b, in), 2);
	fclose(in);
	fclose(b.err);
	CHECK_STR(err, "gatehouse: line 1: unterminated quote\n");
	free(err);
	free(input);

	/* One command whose agent is unreachable: 5. */
	{
		const char *const w[] = { "status" };

		memset(&b, 0, sizeof b);
		b.socket = "/nonexistent/agent.sock";
		b.err = fopen("/dev/null", "w");
		b.out = b.err;
		CHECK_INT(batch_command(&b, w, 1), 5);
		fclose(b.err);
	}
}

/* The client's transport, over a socketpair served by the test. */

static const char hello_reply[] = "{\"id\":1,\"ok\":true,\"result\":"
    "{\"version\":1,\"agent\":\"gatehouse-agent 0.1\",\"role\":\"guard\","
    "\"door\":\"front\"}}\n";
static const char hello_request[] = "{\"id\":1,\"cmd\":\"hello\",\"args\":"
    "{\"version\":1,\"client\":\"gatehouse " GATEHOUSE_VERSION "\"}}\n";

/* A socketpair: sv[0] for the client, sv[1] the test's agent end. */
static void
make_pair(int sv[2])
{
	if (socketpair(AF_UNIX, SOCK_STREAM|SOCK_CLOEXEC, 0, sv) != 0) {
		perror("socketpair");
		exit(1);
	}
}

/* Writes all of S to FD (it fits in the socket buffer). */
static void
put(int fd, const char *s)
{
	CHECK_INT(write(fd, s, strlen(s)), strlen(s));
}

/* What the client has written so far to the agent end FD (static). */
static const char *
sent(int fd)
{
	static char	buf[8192];
	static size_t	len;
	ssize_t		n;

	len = 0;
	while (len < sizeof buf - 1 &&
	    (n = recv(fd, buf + len, sizeof buf - 1 - len, MSG_DONTWAIT)) > 0)
		len += (size_t)n;
	buf[len] = '\0';
	return buf;
}

/* A client over a socketpair whose hello reply is already waiting. */
static struct client *
open_client(int sv[2])
{
	struct client	*c;
	char		*cause = NULL;

	make_pair(sv);
	put(sv[1], hello_reply);
	c = client_open_fds(sv[0], sv[0], &cause);
	if (c == NULL) {
		fprintf(stderr, "client_open_fds: %s\n", cause);
		free(cause);
		exit(1);
	}
	return c;
}

/* The hello request and what the client keeps of its reply. */
TEST(client_hello_exchange)
{
	struct client	*c;
	int		 sv[2];

	c = open_client(sv);
	CHECK_STR(sent(sv[1]), hello_request);
	CHECK_STR(client_role(c), "guard");
	CHECK_STR(client_agent(c), "gatehouse-agent 0.1");
	CHECK_STR(client_door(c), "front");
	CHECK_INT(client_remote(c), 0);
	client_set_remote(c, 1);
	CHECK_INT(client_remote(c), 1);
	CHECK_INT(client_fd(c), sv[0]);
	client_free(c);
	close(sv[1]);
}

/* A version error, or a hello reply with another version, fails. */
TEST(client_hello_refused)
{
	struct client	*c;
	char		*cause = NULL;
	int		 sv[2];

	make_pair(sv);
	put(sv[1], "{\"id\":1,\"ok\":false,\"error\":{\"code\":\"version\","
	    "\"message\":\"agent protocol 2, console 1\"}}\n");
	close(sv[1]);
	c = client_open_fds(sv[0], sv[0], &cause);
	CHECK(c == NULL);
	CHECK_STR(cause, "version mismatch: agent protocol 2, console 1");
	free(cause);

	make_pair(sv);
	put(sv[1], "{\"id\":1,\"ok\":true,\"result\":{\"version\":2,"
	    "\"agent\":\"a\",\"role\":\"guard\",\"door\":\"d\"}}\n");
	c = client_open_fds(sv[0], sv[0], &cause);
	CHECK(c == NULL);
	CHECK(contains(cause, "version mismatch"));
	free(cause);
	close(sv[1]);

	make_pair(sv);
	put(sv[1], "{\"id\":1,\"ok\":false,\"error\":{\"code\":"
	    "\"bad-request\",\"message\":\"no\"}}\n");
	c = client_open_fds(sv[0], sv[0], &cause);
	CHECK(c == NULL);
	CHECK_STR(cause, "hello refused: bad-request: no");
	free(cause);
	close(sv[1]);
}

/* Two events before a reply are queued; the reply is the call's. */
TEST(client_events_between_replies)
{
	struct proto_reply	 rep, ev;
	struct client		*c;
	cJSON			*args;
	char			*cause = NULL;
	int			 sv[2];

	c = open_client(sv);
	(void)sent(sv[1]);
	put(sv[1], "{\"type\":\"granted\",\"time\":1714554000123,"
	    "\"door\":\"front\",\"person\":\"Ann Lee\",\"score\":0.31}\n"
	    "{\"type\":\"pending\",\"time\":1714554000200,\"door\":\"front\","
	    "\"person\":null,\"visit\":17}\n"
	    "{\"id\":2,\"ok\":true,\"result\":{\"events\":[]}}\n");
	args = cJSON_CreateObject();
	cJSON_AddTrueToObject(args, "follow");
	CHECK_INT(client_call(c, "events", args, &rep, &cause), 0);
	CHECK_INT(rep.kind, PROTO_REPLY);
	CHECK_INT(rep.id, 2);
	CHECK(rep.ok);
	CHECK(cJSON_IsArray(cJSON_GetObjectItem(rep.result, "events")));
	proto_reply_clear(&rep);
	CHECK_STR(sent(sv[1]), "{\"id\":2,\"cmd\":\"events\",\"args\":"
	    "{\"follow\":true}}\n");

	CHECK_INT(client_next_event(c, 0, &ev, &cause), 1);
	CHECK_STR(ev.type, "granted");
	CHECK_STR(ev.person, "Ann Lee");
	CHECK_INT(ev.time, 1714554000123LL);
	proto_reply_clear(&ev);
	CHECK_INT(client_next_event(c, 0, &ev, &cause), 1);
	CHECK_STR(ev.type, "pending");
	CHECK(ev.person == NULL);
	proto_reply_clear(&ev);
	CHECK_INT(client_next_event(c, 0, &ev, &cause), 0);

	/* Later events, through the pump or a blocking wait. */
	put(sv[1], "{\"type\":\"door\",\"time\":1,\"door\":\"front\","
	    "\"person\":null,\"state\":\"open\"}\n");
	CHECK_INT(client_pump(c, &cause), 0);
	CHECK_INT(client_next_event(c, 0, &ev, &cause), 1);
	CHECK_STR(ev.type, "door");
	proto_reply_clear(&ev);
	put(sv[1], "{\"type\":\"alarm\",\"time\":2,\"door\":\"front\","
	    "\"person\":null}\n");
	CHECK_INT(client_next_event(c, -1, &ev, &cause), 1);
	CHECK_STR(ev.type, "alarm");
	proto_reply_clear(&ev);

	/* The agent closes: queued events first, then the end. */
	put(sv[1], "{\"type\":\"config\",\"time\":3,\"door\":\"front\","
	    "\"person\":null}\n");
	shutdown(sv[1], SHUT_WR);
	CHECK_INT(client_next_event(c, -1, &ev, &cause), 1);
	CHECK_STR(ev.type, "config");
	proto_reply_clear(&ev);
	CHECK_INT(client_next_event(c, -1, &ev, &cause), -1);
	CHECK_STR(cause, "connection closed");
	free(cause);
	CHECK(client_closed(c));
	CHECK_INT(client_pump(c, &cause), -1);
	free(cause);
	client_free(c);
	close(sv[1]);
}

/* Error replies are replies; one without id answers the request. */
TEST(client_error_replies)
{
	struct proto_reply	 rep;
	struct client		*c;
	cJSON			*args;
	char			*cause = NULL, *big;
	int			 sv[2];

	c = open_client(sv);
	put(sv[1], "{\"id\":2,\"ok\":false,\"error\":{\"code\":"
	    "\"not-found\",\"message\":\"no visit 9\"}}\n");
	CHECK_INT(client_call(c, "deny", NULL, &rep, &cause), 0);
	CHECK(!rep.ok);
	CHECK_INT(rep.code, PROTO_ERR_NOT_FOUND);
	CHECK_STR(rep.message, "no visit 9");
	proto_reply_clear(&rep);

	put(sv[1], "{\"ok\":false,\"error\":{\"code\":\"too-large\","
	    "\"message\":\"request longer than 1048576 bytes\"}}\n");
	CHECK_INT(client_call(c, "status", NULL, &rep, &cause), 0);
	CHECK_INT(rep.code, PROTO_ERR_TOO_LARGE);
	proto_reply_clear(&rep);

	/* A request over the limit is answered here, not sent. */
	(void)sent(sv[1]);
	big = xmalloc(PROTO_LINE_MAX + 1);
	memset(big, 'x', PROTO_LINE_MAX);
	big[PROTO_LINE_MAX] = '\0';
	args = cJSON_CreateObject();
	cJSON_AddStringToObject(args, "reason", big);
	free(big);
	CHECK_INT(client_call(c, "door open", args, &rep, &cause), 0);
	CHECK(!rep.ok);
	CHECK_INT(rep.code, PROTO_ERR_TOO_LARGE);
	CHECK_INT(rep.id, 4);
	proto_reply_clear(&rep);
	CHECK_STR(sent(sv[1]), "");

	/* The session goes on with the next id. */
	put(sv[1], "{\"id\":5,\"ok\":true,\"result\":{}}\n");
	CHECK_INT(client_call(c, "status", NULL, &rep, &cause), 0);
	CHECK(rep.ok);
	proto_reply_clear(&rep);
	CHECK_STR(sent(sv[1]), "{\"id\":5,\"cmd\":\"status\"}\n");
	client_free(c);
	close(sv[1]);
}

/* Runs one call expecting a transport failure whose cause holds WANT. */
static void
check_call_fails(struct client *c, const char *want)
{
	struct proto_reply	 rep;
	char			*cause = NULL;

	CHECK_INT(client_call(c, "status", NULL, &rep, &cause), -1);
	if (!contains(cause, want))
		fprintf(stderr, "cause \"%s\", expected \"%s\"\n", cause,
		    want);
	CHECK(contains(cause, want));
	free(cause);
	/* Every later call fails the same way, without waiting. */
	CHECK_INT(client_call(c, "status", NULL, &rep, &cause), -1);
	CHECK(contains(cause, want));
	free(cause);
}

/* A wrong id, a reply without id to a good one, garbage: failures. */
TEST(client_protocol_errors)
{
	static const struct {
		const char	*lines;
		const char	*cause;
	} cases[] = {
		{ "{\"id\":3,\"ok\":true,\"result\":{}}\n",
		    "reply id 3, expected 2" },
		{ "{\"id\":1,\"ok\":true,\"result\":{}}\n",
		    "reply id 1, expected 2" },
		{ "{\"ok\":true,\"result\":{}}\n", "protocol error" },
		{ "not json\n", "protocol error: not JSON" },
		{ "{\"id\":2}\n", "neither a reply nor an event" },
		{ "{\"id\":2,\"ok\":true,\"result\":{},\"id\":2}\n",
		    "duplicate key" },
		{ "{\"id\":2,\"ok\":false,\"error\":{\"code\":\"oops\","
		    "\"message\":\"m\"}}\n", "unknown error code" },
		{ "{\"type\":\"nope\",\"time\":1,\"door\":\"d\","
		    "\"person\":null}\n", "unknown event type" },
	};
	struct client	*c;
	size_t		 i;
	int		 sv[2];

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		c = open_client(sv);
		put(sv[1], cases[i].lines);
		check_call_fails(c, cases[i].cause);
		client_free(c);
		close(sv[1]);
	}
}

/* EOF before the reply, or inside it, is a failure. */
TEST(client_eof)
{
	struct proto_reply	 ev;
	struct client		*c;
	char			*cause;
	int			 sv[2];

	c = open_client(sv);
	shutdown(sv[1], SHUT_WR);
	check_call_fails(c, "connection closed by the agent");
	CHECK(!client_closed(c));
	client_free(c);
	close(sv[1]);

	c = open_client(sv);
	put(sv[1], "{\"id\":2,\"ok\":tr");
	shutdown(sv[1], SHUT_WR);
	check_call_fails(c, "connection closed inside a message");
	client_free(c);
	close(sv[1]);

	/* An agent that is gone entirely. */
	c = open_client(sv);
	close(sv[1]);
	check_call_fails(c, "connection");
	CHECK_INT(client_next_event(c, 0, &ev, &cause), -1);
	free(cause);
	client_free(c);

	/* A reply that no request asked for. */
	c = open_client(sv);
	put(sv[1], "{\"id\":9,\"ok\":true,\"result\":{}}\n");
	CHECK_INT(client_next_event(c, 1000, &ev, &cause), -1);
	CHECK(contains(cause, "a reply with no request"));
	free(cause);
	client_free(c);
	close(sv[1]);
}

/* Writes N bytes of C to blocking FD in chunks; stops if it fails. */
static int
put_many(int fd, int ch, size_t n)
{
	char	buf[65536];
	size_t	k;
	ssize_t	w;

	memset(buf, ch, sizeof buf);
	while (n > 0) {
		k = n < sizeof buf ? n : sizeof buf;
		if ((w = write(fd, buf, k)) <= 0)
			return -1;
		n -= (size_t)w;
	}
	return 0;
}

/* A line over PROTO_REPLY_LINE_MAX fails the call, even if a good one follows. */
TEST(client_oversized_reply)
{
	struct client	*c;
	char		*cause = NULL;
	pid_t		 pid;
	int		 sv[2], status;

	make_pair(sv);
	put(sv[1], hello_reply);
	if ((pid = fork()) == -1) {
		perror("fork");
		exit(1);
	}
	if (pid == 0) {
		/* The agent end: a line one byte over the limit. */
		signal(SIGPIPE, SIG_IGN);
		close(sv[0]);
		if (put_many(sv[1], 'x', PROTO_REPLY_LINE_MAX + 1) == 0)
			(void)!write(sv[1], "\n{\"id\":2,\"ok\":true,"
			    "\"result\":{}}\n", 33);
		_exit(0);
	}
	close(sv[1]);
	c = client_open_fds(sv[0], sv[0], &cause);
	CHECK(c != NULL);
	if (c != NULL) {
		check_call_fails(c, "longer than 16777216 bytes");
		client_free(c);
	} else
		free(cause);
	CHECK_INT(waitpid(pid, &status, 0), pid);
}

static const char status_request[] = "{\"id\":2,\"cmd\":\"status\"}\n";
static const char status_reply[] = "{\"id\":2,\"ok\":true,\"result\":"
    "{\"door\":\"front\"}}\n";

/* The same through client_connect_unix against a listening socket. */
TEST(client_unix_socket)
{
	struct sockaddr_un	 sun;
	struct proto_reply	 rep;
	struct client		*c;
	char			*cause = NULL, *path, buf[4096];
	size_t			 len;
	ssize_t			 n;
	pid_t			 pid;
	int			 lfd, fd, status;

	c = client_connect_unix("/nonexistent/agent.sock", &cause);
	CHECK(c == NULL);
	CHECK_STR(cause, "/nonexistent/agent.sock: No such file or directory");
	free(cause);

	xasprintf(&path, "%s/agent.sock", test_tmpdir());
	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof sun.sun_path, "%s", path);
	lfd = socket(AF_UNIX, SOCK_STREAM|SOCK_CLOEXEC, 0);
	CHECK(lfd != -1);
	CHECK_INT(bind(lfd, (struct sockaddr *)&sun, sizeof sun), 0);
	CHECK_INT(listen(lfd, 1), 0);
	if ((pid = fork()) == -1) {
		perror("fork");
		exit(1);
	}
	if (pid == 0) {
		/* Answers hello and one request after reading each. */
		if ((fd = accept(lfd, NULL, NULL)) == -1)
			_exit(1);
		len = 0;
		while (len < sizeof buf && memchr(buf, '\n', len) == NULL &&
		    (n = read(fd, buf + len, sizeof buf - len)) > 0)
			len += (size_t)n;
		if (len != strlen(hello_request) ||
		    memcmp(buf, hello_request, len) != 0)
			_exit(2);
		(void)!write(fd, hello_reply, strlen(hello_reply));
		len = 0;
		while (len < sizeof buf && memchr(buf, '\n', len) == NULL &&
		    (n = read(fd, buf + len, sizeof buf - len)) > 0)
			len += (size_t)n;
		if (len != strlen(status_request) ||
		    memcmp(buf, status_request, len) != 0)
			_exit(3);
		(void)!write(fd, status_reply, strlen(status_reply));
		_exit(0);
	}
	close(lfd);
	c = client_connect_unix(path, &cause);
	CHECK(c != NULL);
	if (c != NULL) {
		CHECK_STR(client_door(c), "front");
		if (client_call(c, "status", NULL, &rep, &cause) == 0) {
			CHECK(rep.ok);
			CHECK(cJSON_IsString(cJSON_GetObjectItem(rep.result,
			    "door")));
			proto_reply_clear(&rep);
		} else {
			fprintf(stderr, "client_call: %s\n", cause);
			CHECK(0);
			free(cause);
		}
		client_free(c);
	} else {
		fprintf(stderr, "client_connect_unix: %s\n", cause);
		free(cause);
	}
	CHECK_INT(waitpid(pid, &status, 0), pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	unlink(path);
	free(path);
}

int
main(void)
{
	/* Times in the text tests are shown in UTC. */
	setenv("TZ", "UTC", 1);
	tzset();
	signal(SIGPIPE, SIG_IGN);

	RUN(parse_every_command);
	RUN(parse_usage_errors);
	RUN(parse_photo_count);
	RUN(split_words);
	RUN(split_errors);
	RUN(photo_conversions);
	RUN(text_list);
	RUN(text_object);
	RUN(text_event_and_json);
	RUN(text_pass_and_outbox);
	RUN(text_alarms);
	RUN(exit_statuses);
	RUN(help);
	RUN(stream_without_agent);
	RUN(client_hello_exchange);
	RUN(client_hello_refused);
	RUN(client_events_between_replies);
	RUN(client_error_replies);
	RUN(client_protocol_errors);
	RUN(client_eof);
	RUN(client_oversized_reply);
	RUN(client_unix_socket);
	return test_main_end("test-batch");
}
