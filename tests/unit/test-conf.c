/*
 * Tests of the console's configuration file (console/conf.c): doors with
 * socket and SSH addresses, quoting and comments, every error with its
 * FILE:LINE, the default file's place. Then the keys table of the
 * interactive console (console/tui.c) against the one gatehouse.1 shows.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "test.h"
#include "tui.h"
#include "xmalloc.h"

#define MAN_PAGE	"doc/gatehouse.1"

/* Parses TEXT as "console.conf": 0 or -1, with *CAUSE on error. */
static int
parse(struct conf *c, const char *text, char **cause)
{
	memset(c, 0, sizeof *c);
	*cause = NULL;
	return conf_parse(c, "console.conf", text, strlen(text), cause);
}

TEST(test_doors)
{
	struct conf	 c;
	char		*cause;

	CHECK_INT(parse(&c,
	    "# the doors of the site\n"
	    "\n"
	    "door front /run/gatehouse/agent.sock\n"
	    "  door\tback gate@back.example.org:2222   # comment\n"
	    "door 'side' \"[fe80::1]\"\r\n"
	    "door yard 192.168.1.7\n"
	    "door attic \"/tmp/with space/agent.sock\"", &cause), 0);
	CHECK_INT(c.ndoors, 5);
	CHECK_STR(c.file, "console.conf");
	CHECK_STR(c.doors[0].name, "front");
	CHECK_INT(c.doors[0].ssh, 0);
	CHECK_STR(c.doors[0].path, "/run/gatehouse/agent.sock");
	CHECK_STR(c.doors[0].where, "console.conf:3");
	CHECK_STR(c.doors[1].name, "back");
	CHECK_INT(c.doors[1].ssh, 1);
	CHECK_STR(c.doors[1].address, "gate@back.example.org:2222");
	CHECK_STR(c.doors[1].user, "gate");
	CHECK_STR(c.doors[1].host, "back.example.org");
	CHECK_INT(c.doors[1].port, 2222);
	CHECK(c.doors[1].path == NULL);
	CHECK_STR(c.doors[2].name, "side");
	CHECK(c.doors[2].user == NULL);
	CHECK_STR(c.doors[2].host, "fe80::1");
	CHECK_INT(c.doors[2].port, 0);
	CHECK_STR(c.doors[3].host, "192.168.1.7");
	CHECK_STR(c.doors[4].path, "/tmp/with space/agent.sock");
	CHECK_STR(c.doors[4].where, "console.conf:7");
	conf_clear(&c);
	CHECK_INT(c.ndoors, 0);
	CHECK(c.doors == NULL);
}

TEST(test_addresses)
{
	static const struct {
		const char	*address;
		int		 ok;
		const char	*user, *host;
		int		 port;
	} cases[] = {
		{ "doorbox", 1, NULL, "doorbox", 0 },
		{ "a@b:1", 1, "a", "b", 1 },
		{ "a@b:65535", 1, "a", "b", 65535 },
		{ "[::1]:22", 1, NULL, "::1", 22 },
		{ "u@[2001:db8::2]", 1, "u", "2001:db8::2", 0 },
		{ "a@b:0", 0, NULL, NULL, 0 },
		{ "a@b:65536", 0, NULL, NULL, 0 },
		{ "a@b:", 0, NULL, NULL, 0 },
		{ "a@b:2x", 0, NULL, NULL, 0 },
		{ "@b", 0, NULL, NULL, 0 },
		{ "a@", 0, NULL, NULL, 0 },
		{ "-oProxyCommand=x", 0, NULL, NULL, 0 },
		{ "-u@host", 0, NULL, NULL, 0 },
		{ "host name", 0, NULL, NULL, 0 },
		{ "fe80::1", 0, NULL, NULL, 0 },
		{ "[fe80::1", 0, NULL, NULL, 0 },
		{ "[]", 0, NULL, NULL, 0 },
		{ "[::1]x", 0, NULL, NULL, 0 },
		{ "[g::1]", 0, NULL, NULL, 0 },
		{ "agent.sock/", 0, NULL, NULL, 0 },
		{ "run/agent.sock", 0, NULL, NULL, 0 },
		{ "./agent.sock", 0, NULL, NULL, 0 },
		{ "~/agent.sock", 0, NULL, NULL, 0 },
		{ ".hidden", 0, NULL, NULL, 0 },
		{ "", 0, NULL, NULL, 0 },
	};
	struct conf_door	 d;
	char			*cause, long_path[200];
	size_t			 i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		memset(&d, 0, sizeof d);
		cause = NULL;
		if (conf_parse_address(cases[i].address, &d, &cause) !=
		    (cases[i].ok ? 0 : -1)) {
			fprintf(stderr, "address \"%s\": %s\n",
			    cases[i].address, cause != NULL ? cause : "ok");
			CHECK(0);
		} else if (cases[i].ok) {
			CHECK_INT(d.ssh, 1);
			if (cases[i].user == NULL)
				CHECK(d.user == NULL);
			else
				CHECK_STR(d.user, cases[i].user);
			CHECK_STR(d.host, cases[i].host);
			CHECK_INT(d.port, cases[i].port);
		} else
			CHECK(cause != NULL && *cause != '\0');
		free(cause);
		free(d.user);
		free(d.host);
		free(d.path);
	}

	/* A socket path must fit a sockaddr_un. */
	memset(long_path, 'a', sizeof long_path - 1);
	long_path[0] = '/';
	long_path[sizeof long_path - 1] = '\0';
	memset(&d, 0, sizeof d);
	CHECK_INT(conf_parse_address(long_path, &d, &cause), -1);
	CHECK(strstr(cause, "too long") != NULL);
	free(cause);
}

TEST(test_errors)
{
	static const struct {
		const char	*text;
		const char	*cause;
	} cases[] = {
		{ "doors front /a.sock\n",
		    "console.conf:1: unknown keyword \"doors\"" },
		{ "\n\ndoor front\n",
		    "console.conf:3: expected \"door NAME ADDRESS\"" },
		{ "door front /a.sock extra\n",
		    "console.conf:1: expected \"door NAME ADDRESS\"" },
		{ "door front agent.sock/x\n",
		    "console.conf:1: \"agent.sock/x\": a socket path must be "
		    "absolute" },
		{ "door front /a.sock\n# x\ndoor front /b.sock\n",
		    "console.conf:3: door \"front\" is already defined at "
		    "console.conf:1" },
		{ "door 'front door' /a.sock\n",
		    "console.conf:1: bad door name \"front door\": up to 32 "
		    "letters, digits, '.', '_' or '-', not starting with '-'" },
		{ "door abcdefghijklmnopqrstuvwxyz0123456 /a.sock\n",
		    "console.conf:1: bad door name "
		    "\"abcdefghijklmnopqrstuvwxyz0123456\": up to 32 letters, "
		    "digits, '.', '_' or '-', not starting with '-'" },
		{ "door front 'x@y:99999'\n",
		    "console.conf:1: \"x@y:99999\": the port is a number from "
		    "1 to 65535" },
		{ "door front \"/a.sock\n",
		    "console.conf:1: unterminated quote" },
		{ "door front /a.sock \\",
		    "console.conf:1: backslash at the end of the line" },
		{ "# nothing\n\n", "console.conf: no door" },
		{ "", "console.conf: no door" },
	};
	struct conf	 c;
	char		*cause;
	size_t		 i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		CHECK_INT(parse(&c, cases[i].text, &cause), -1);
		CHECK_STR(cause, cases[i].cause);
		CHECK_INT(c.ndoors, 0);
		free(cause);
	}

	/* A NUL byte inside a line. */
	memset(&c, 0, sizeof c);
	CHECK_INT(conf_parse(&c, "x.conf", "door a /s\ndoor b\0 /t\n", 20,
	    &cause), -1);
	CHECK_STR(cause, "x.conf:2: a NUL byte");
	free(cause);
	CHECK_INT(c.ndoors, 0);
}

TEST(test_add_door)
{
	struct conf	 c;
	char		*cause;

	/* -S: one unnamed door, which names no other. */
	memset(&c, 0, sizeof c);
	CHECK_INT(conf_add_door(&c, NULL, "/tmp/agent.sock", NULL, &cause),
	    0);
	CHECK_INT(conf_add_door(&c, "x", "/tmp/b.sock", NULL, &cause), 0);
	CHECK_INT(conf_add_door(&c, "x", "/tmp/c.sock", NULL, &cause), -1);
	CHECK_STR(cause, "door \"x\" is already defined");
	free(cause);
	CHECK_INT(conf_add_door(&c, NULL, "rel.sock/", NULL, &cause), -1);
	free(cause);
	CHECK_INT(c.ndoors, 2);
	CHECK(c.doors[0].name == NULL);
	CHECK_STR(c.doors[0].path, "/tmp/agent.sock");
	conf_clear(&c);
}

TEST(test_load)
{
	struct conf	 c;
	char		*path, *cause, *file;
	FILE		*f;

	xasprintf(&path, "%s/console.conf", test_tmpdir());
	memset(&c, 0, sizeof c);
	CHECK_INT(conf_load(&c, path, 0, &cause), 1);
	CHECK_INT(c.ndoors, 0);
	CHECK_INT(conf_load(&c, path, 1, &cause), -1);
	CHECK(strncmp(cause, path, strlen(path)) == 0);
	free(cause);

	f = fopen(path, "w");
	CHECK(f != NULL);
	if (f == NULL)
		return;
	fputs("door a /a.sock\ndoor b b.example.org\nbad\n", f);
	fclose(f);
	CHECK_INT(conf_load(&c, path, 0, &cause), -1);
	xasprintf(&file, "%s:3: unknown keyword \"bad\"", path);
	CHECK_STR(cause, file);
	free(file);
	free(cause);

	f = fopen(path, "w");
	fputs("door a /a.sock\ndoor b b.example.org\n", f);
	fclose(f);
	CHECK_INT(conf_load(&c, path, 1, &cause), 0);
	CHECK_INT(c.ndoors, 2);
	CHECK_STR(c.file, path);
	xasprintf(&file, "%s:2", path);
	CHECK_STR(c.doors[1].where, file);
	free(file);
	conf_clear(&c);
	free(path);
}

TEST(test_default_file)
{
	char	*old_xdg, *old_home, *path;

	old_xdg = getenv("XDG_CONFIG_HOME");
	old_xdg = old_xdg != NULL ? xstrdup(old_xdg) : NULL;
	old_home = getenv("HOME");
	old_home = old_home != NULL ? xstrdup(old_home) : NULL;

	setenv("XDG_CONFIG_HOME", "/xdg", 1);
	setenv("HOME", "/home/guard", 1);
	path = conf_default_file();
	CHECK_STR(path, "/xdg/gatehouse/console.conf");
	free(path);
	/* A relative XDG_CONFIG_HOME is ignored, as the spec says. */
	setenv("XDG_CONFIG_HOME", "xdg", 1);
	path = conf_default_file();
	CHECK_STR(path, "/home/guard/.config/gatehouse/console.conf");
	free(path);
	unsetenv("XDG_CONFIG_HOME");
	path = conf_default_file();
	CHECK_STR(path, "/home/guard/.config/gatehouse/console.conf");
	free(path);

	if (old_xdg != NULL)
		setenv("XDG_CONFIG_HOME", old_xdg, 1);
	if (old_home != NULL)
		setenv("HOME", old_home, 1);
	else
		unsetenv("HOME");
	free(old_xdg);
	free(old_home);
}

/* Every row of the keys table is whole; a key is on one row per context. */
TEST(test_keys_table)
{
	const struct tui_key	*k, *o;
	size_t			 i, j, a, b, n = 0;

	for (i = 0; (k = tui_key_at(i)) != NULL; i++) {
		n++;
		CHECK(k->label != NULL && *k->label != '\0');
		CHECK(k->description != NULL && *k->description != '\0');
		CHECK(k->fn != NULL);
		CHECK(k->ctx != 0 && k->codes[0] != 0);
		CHECK(*tui_key_where(k) != '\0');
		/* The help page has 44 columns for it at 80. */
		CHECK(strlen(k->description) <= 44);
		CHECK(strlen(tui_key_where(k)) <= 20);
		CHECK(strlen(k->label) <= 12);
		for (j = 0; j < i; j++) {
			o = tui_key_at(j);
			if ((o->ctx & k->ctx) == 0)
				continue;
			for (a = 0; a < 3 && k->codes[a] != 0; a++) {
				for (b = 0; b < 3 && o->codes[b] != 0; b++) {
					if (k->codes[a] != o->codes[b])
						continue;
					fprintf(stderr, "key \"%s\" of \"%s\" "
					    "and \"%s\" in one context\n",
					    k->label, k->description,
					    o->description);
					CHECK(0);
				}
			}
		}
	}
	CHECK(n > 20);
}

/*
 * gatehouse.1 lists the keys as rows of one table, in the order of the
 * program's table:
 *
 *	.It Li "LABEL" Ta WHERE Ta DESCRIPTION
 */
TEST(test_keys_man_page)
{
	const struct tui_key	*k;
	char			*text, *line, *next, *want;
	size_t			 len, i = 0;
	int			 bad = 0;

	if ((text = test_read_file(MAN_PAGE, &len)) == NULL) {
		CHECK(!MAN_PAGE " is readable");
		return;
	}
	for (line = text; line != NULL && *line != '\0'; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		if (strncmp(line, ".It Li \"", 8) != 0)
			continue;
		k = tui_key_at(i++);
		if (k == NULL) {
			fprintf(stderr, "%s: a key too many: %s\n", MAN_PAGE,
			    line);
			bad = 1;
			continue;
		}
		xasprintf(&want, ".It Li \"%s\" Ta %s Ta %s", k->label,
		    tui_key_where(k), k->description);
		if (strcmp(line, want) != 0) {
			fprintf(stderr, "%s: key %zu is\n  %s\nnot\n  %s\n",
			    MAN_PAGE, i, line, want);
			bad = 1;
		}
		free(want);
	}
	for (; (k = tui_key_at(i)) != NULL; i++) {
		fprintf(stderr, "%s: missing key\n.It Li \"%s\" Ta %s Ta %s\n",
		    MAN_PAGE, k->label, tui_key_where(k), k->description);
		bad = 1;
	}
	CHECK(!bad);
	free(text);
}

int
main(void)
{
	RUN(test_doors);
	RUN(test_addresses);
	RUN(test_errors);
	RUN(test_add_door);
	RUN(test_load);
	RUN(test_default_file);
	RUN(test_keys_table);
	RUN(test_keys_man_page);
	return test_main_end("test-conf");
}
