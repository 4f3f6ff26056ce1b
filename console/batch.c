/*
 * Batch mode and the console's command line (batch.h): words to requests
 * from the shared command table, results to JSON lines or text for people,
 * error codes to exit statuses, and the loop over commands on stdin.
 */
#include <sys/stat.h>

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base64.h"
#include "batch.h"
#include "client.h"
#include "file.h"
#include "log.h"
#include "xmalloc.h"

/*
 * Text output. A table cell shows at most TEXT_CELL_MAX characters; a
 * string longer than TEXT_PAYLOAD is data (a base64 photo), not text: its
 * column is left out of a table and a "key: value" line shows its size.
 */
#define TEXT_CELL_MAX	48
#define TEXT_PAYLOAD	1024

/*
 * Milliseconds since the epoch from 2001-09-09 to the year 5138: no count,
 * id or score of the protocol comes near, so such an integer is a time.
 */
#define TEXT_TIME_MIN	1e12
#define TEXT_TIME_MAX	1e14

/*
 * The largest photo sent as bytes: its data URI (4 base64 characters per
 * 3 bytes) must fit in a request line.
 */
#define PHOTO_MAX	((size_t)PROTO_LINE_MAX / 4 * 3)

/* How often a follow checks for SIGINT or SIGTERM between events. */
#define FOLLOW_TICK_MS	1000

static volatile sig_atomic_t batch_interrupted;

/* Adds word BUF[0 .. LEN) to *WORDS. */
static void
split_add(char ***words, size_t *n, const char *buf, size_t len)
{
	char	*w;

	w = xmalloc(len + 1);
	memcpy(w, buf, len);
	w[len] = '\0';
	*words = xreallocarray(*words, *n + 2, sizeof **words);
	(*words)[(*n)++] = w;
	(*words)[*n] = NULL;
}

int
batch_split(const char *line, char ***words, size_t *nwords, char **cause)
{
	const char	*p = line;
	char		*buf;
	size_t		 len;

	*nwords = 0;
	*words = xcalloc(1, sizeof **words);
	buf = xmalloc(strlen(line) + 1);
	for (;;) {
		while (*p != '\0' && strchr(" \t\r\n\v\f", *p) != NULL)
			p++;
		if (*p == '\0' || *p == '#')
			break;
		len = 0;
		while (*p != '\0' && strchr(" \t\r\n\v\f", *p) == NULL) {
			if (*p == '\'') {
				for (p++; *p != '\''; p++) {
					if (*p == '\0')
						goto unterminated;
					buf[len++] = *p;
				}
				p++;
			} else if (*p == '"') {
				for (p++; *p != '"'; p++) {
					if (*p == '\0')
						goto unterminated;
					if (*p == '\\' && p[1] != '\0' &&
					    strchr("\\\"$`", p[1]) != NULL)
						p++;
					buf[len++] = *p;
				}
				p++;
			} else if (*p == '\\') {
				if (p[1] == '\0') {
					*cause = xstrdup("backslash at the "
					    "end of the line");
					goto fail;
				}
				buf[len++] = p[1];
				p += 2;
			} else
				buf[len++] = *p++;
		}
		split_add(words, nwords, buf, len);
	}
	free(buf);
	return 0;

unterminated:
	*cause = xstrdup("unterminated quote");
fail:
	free(buf);
	batch_words_free(*words);
	*words = NULL;
	*nwords = 0;
	return -1;
}

void
batch_words_free(char **words)
{
	size_t	i;

	if (words == NULL)
		return;
	for (i = 0; words[i] != NULL; i++)
		free(words[i]);
	free(words);
}

/* A usage error of CMD: REASON, then the command's usage line. */
static int __attribute__((format(printf, 3, 4)))
parse_error(const struct proto_command *cmd, char **cause, const char *fmt,
    ...)
{
	va_list	 ap;
	char	*reason;

	va_start(ap, fmt);
	if (vasprintf(&reason, fmt, ap) == -1)
		fatalx("out of memory");
	va_end(ap);
	xasprintf(cause, "%s: %s\nusage: gatehouse %s%s%s", cmd->name, reason,
	    cmd->name, *cmd->usage != '\0' ? " " : "", cmd->usage);
	free(reason);
	return -1;
}

/* How an argument is named to people: its option, or its key. */
static const char *
arg_label(const struct proto_arg *a)
{
	return *a->option != '\0' ? a->option : a->key;
}

/* Reads decimal S, 0 to PROTO_ID_MAX, into *V: 0, or -1. */
static int
parse_int(const char *s, int64_t *v)
{
	int64_t	n = 0;

	if (*s == '\0')
		return -1;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		n = n * 10 + (*s - '0');
		if (n > PROTO_ID_MAX)
			return -1;
	}
	*v = n;
	return 0;
}

/* Checks cJSON did not run out of memory. */
static cJSON *
batch_check(cJSON *item)
{
	if (item == NULL)
		fatalx("out of memory");
	return item;
}

/* Sets the value of argument A (in *SLOT) from word VALUE. */
static int
parse_value(const struct proto_command *cmd, const struct proto_arg *a,
    const char *value, cJSON **slot, char **cause)
{
	int64_t	 v;
	char	*digits;

	switch (a->type) {
	case PROTO_ARG_STRING:
		*slot = batch_check(cJSON_CreateString(value));
		break;
	case PROTO_ARG_INT:
		if (parse_int(value, &v) != 0) {
			return parse_error(cmd, cause, "%s must be an integer "
			    "from 0 to %lld, not \"%s\"", arg_label(a),
			    (long long)PROTO_ID_MAX, value);
		}
		/*
		 * Raw digits, not a number: cJSON prints a double with 15
		 * significant digits when that reads back within an ulp,
		 * which changes integers above 10^15.
		 */
		xasprintf(&digits, "%lld", (long long)v);
		*slot = batch_check(cJSON_CreateRaw(digits));
		free(digits);
		break;
	case PROTO_ARG_BOOL:
		*slot = batch_check(cJSON_CreateTrue());
		break;
	case PROTO_ARG_STRINGS:
		if (*slot == NULL)
			*slot = batch_check(cJSON_CreateArray());
		if (cJSON_GetArraySize(*slot) == PROTO_ARRAY_MAX) {
			return parse_error(cmd, cause, "at most %d of %s",
			    PROTO_ARRAY_MAX, arg_label(a));
		}
		cJSON_AddItemToArray(*slot,
		    batch_check(cJSON_CreateString(value)));
		break;
	}
	return 0;
}

/* The index of the first positional argument of CMD from FROM, or -1. */
static long
next_positional(const struct proto_command *cmd, size_t from)
{
	const struct proto_arg	*a;

	for (; (a = proto_command_arg(cmd, from)) != NULL; from++) {
		if (*a->option == '\0')
			return (long)from;
	}
	return -1;
}

/* Parses the words after the command's name into VALS, one per arg. */
static int
parse_words(const struct proto_command *cmd, const char *const *words,
    size_t nwords, cJSON **vals, char **cause)
{
	const struct proto_arg	*a;
	const char		*w, *eq, *value;
	size_t			 i, k, namelen;
	long			 pos;
	int			 options = 1;

	pos = next_positional(cmd, 0);
	for (i = 0; i < nwords; i++) {
		w = words[i];
		if (options && strcmp(w, "--") == 0) {
			options = 0;
			continue;
		}
		if (options && strncmp(w, "--", 2) == 0) {
			eq = strchr(w, '=');
			namelen = eq != NULL ? (size_t)(eq - w) : strlen(w);
			for (k = 0; (a = proto_command_arg(cmd, k)) != NULL;
			    k++) {
				if (*a->option != '\0' &&
				    strlen(a->option) == namelen &&
				    strncmp(a->option, w, namelen) == 0)
					break;
			}
			if (a == NULL) {
				return parse_error(cmd, cause,
				    "unknown option %.*s", (int)namelen, w);
			}
			if (vals[k] != NULL && a->type != PROTO_ARG_STRINGS) {
				return parse_error(cmd, cause,
				    "%s given twice", a->option);
			}
			if (a->type == PROTO_ARG_BOOL) {
				if (eq != NULL) {
					return parse_error(cmd, cause,
					    "%s takes no value", a->option);
				}
				value = "";
			} else if (eq != NULL)
				value = eq + 1;
			else if (i + 1 < nwords)
				value = words[++i];
			else {
				return parse_error(cmd, cause,
				    "%s needs a value", a->option);
			}
			if (parse_value(cmd, a, value, &vals[k], cause) != 0)
				return -1;
			continue;
		}
		if (pos == -1) {
			return parse_error(cmd, cause,
			    "unexpected argument \"%s\"", w);
		}
		a = proto_command_arg(cmd, (size_t)pos);
		if (parse_value(cmd, a, w, &vals[pos], cause) != 0)
			return -1;
		/* A list takes every positional word that follows. */
		if (a->type != PROTO_ARG_STRINGS)
			pos = next_positional(cmd, (size_t)pos + 1);
	}
	for (k = 0; (a = proto_command_arg(cmd, k)) != NULL; k++) {
		if (a->required && vals[k] == NULL) {
			if (*a->option != '\0') {
				return parse_error(cmd, cause,
				    "%s is required", a->option);
			}
			return parse_error(cmd, cause,
			    "missing argument \"%s\"", a->key);
		}
	}
	return 0;
}

int
batch_parse(const char *const *words, size_t nwords, struct batch_cmd *bc,
    char **cause)
{
	const struct proto_command	*cmd;
	const struct proto_arg		*a;
	cJSON				**vals;
	size_t				 used, nargs, k;
	int				 r;

	memset(bc, 0, sizeof *bc);
	if (nwords == 0) {
		*cause = xstrdup("no command given");
		return -1;
	}
	cmd = proto_command_match(words, nwords, &used);
	if (cmd == NULL || cmd->id == PROTO_CMD_HELLO) {
		/* hello is the console's own: the session opens with it. */
		xasprintf(cause, "unknown command \"%s\" (\"gatehouse help\" "
		    "lists them)", words[0]);
		return -1;
	}
	for (nargs = 0; proto_command_arg(cmd, nargs) != NULL; nargs++)
		/* nothing */;
	vals = xcalloc(nargs + 1, sizeof *vals);
	r = parse_words(cmd, words + used, nwords - used, vals, cause);
	if (r == 0) {
		bc->cmd = cmd;
		/* In table order, whatever the order of the words. */
		for (k = 0; k < nargs; k++) {
			if (vals[k] == NULL)
				continue;
			if (bc->args == NULL)
				bc->args = batch_check(cJSON_CreateObject());
			a = proto_command_arg(cmd, k);
			cJSON_AddItemToObject(bc->args, a->key, vals[k]);
			vals[k] = NULL;
		}
	}
	for (k = 0; k < nargs; k++)
		cJSON_Delete(vals[k]);
	free(vals);
	return r;
}

void
batch_cmd_clear(struct batch_cmd *bc)
{
	cJSON_Delete(bc->args);
	memset(bc, 0, sizeof *bc);
}

char *
batch_photo_path(const char *file, char **cause)
{
	struct stat	 sb;
	char		*path;

	if ((path = realpath(file, NULL)) == NULL) {
		xasprintf(cause, "%s: %s", file, strerror(errno));
		return NULL;
	}
	if (stat(path, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		xasprintf(cause, "%s: not a regular file", file);
		free(path);
		return NULL;
	}
	return path;
}

char *
batch_photo_data(const char *file, char **cause)
{
	static const uint8_t	 jpeg[] = { 0xff, 0xd8, 0xff };
	static const uint8_t	 png[] = { 0x89, 'P', 'N', 'G', '\r', '\n',
	    0x1a, '\n' };
	const char		*prefix;
	uint8_t			*buf;
	char			*uri, *why, *b64;
	size_t			 len;

	if (file_read(file, PHOTO_MAX, &buf, &len, &why) != 0) {
		xasprintf(cause, "%s: %s", file, why);
		free(why);
		return NULL;
	}
	if (len >= sizeof jpeg && memcmp(buf, jpeg, sizeof jpeg) == 0)
		prefix = "data:image/jpeg;base64,";
	else if (len >= sizeof png && memcmp(buf, png, sizeof png) == 0)
		prefix = "data:image/png;base64,";
	else {
		xasprintf(cause, "%s: not a JPEG or PNG image", file);
		free(buf);
		return NULL;
	}
	b64 = base64_encode(buf, len);
	free(buf);
	xasprintf(&uri, "%s%s", prefix, b64);
	free(b64);
	return uri;
}

int
batch_photos(struct batch_cmd *bc, int remote, char **cause)
{
	cJSON	*photos, *item;
	char	*s;
	int	 i, n;

	if (bc->cmd == NULL || bc->cmd->id != PROTO_CMD_PEOPLE_ADD)
		return 0;
	photos = cJSON_GetObjectItemCaseSensitive(bc->args, "photos");
	n = cJSON_GetArraySize(photos);
	for (i = 0; i < n; i++) {
		item = cJSON_GetArrayItem(photos, i);
		if (!cJSON_IsString(item))
			continue;
		if (remote)
			s = batch_photo_data(item->valuestring, cause);
		else
			s = batch_photo_path(item->valuestring, cause);
		if (s == NULL)
			return -1;
		cJSON_ReplaceItemInArray(photos, i,
		    batch_check(cJSON_CreateString(s)));
		free(s);
	}
	return 0;
}

int
batch_exit_status(enum proto_error code)
{
	switch (code) {
	case PROTO_OK:
		return BATCH_EXIT_OK;
	case PROTO_ERR_BAD_REQUEST:
	case PROTO_ERR_UNKNOWN_COMMAND:
		return BATCH_EXIT_USAGE;
	case PROTO_ERR_NOT_FOUND:
		return BATCH_EXIT_NOT_FOUND;
	case PROTO_ERR_PERMISSION_DENIED:
		return BATCH_EXIT_DENIED;
	case PROTO_ERR_VERSION:
		return BATCH_EXIT_UNREACHABLE;
	case PROTO_ERR_CONFLICT:
	case PROTO_ERR_TOO_LARGE:
	case PROTO_ERR_UNAVAILABLE:
	case PROTO_ERR_INTERNAL:
		break;
	}
	return BATCH_EXIT_ERROR;
}

void
batch_print_json(FILE *f, const cJSON *item)
{
	char	*s;

	if ((s = cJSON_PrintUnformatted(item)) == NULL)
		fatalx("out of memory");
	fprintf(f, "%s\n", s);
	cJSON_free(s);
}

/* The width of UTF-8 S on a terminal, one column per character. */
static size_t
text_width(const char *s)
{
	size_t	n = 0;

	for (; *s != '\0'; s++) {
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	}
	return n;
}

/*
 * S made safe to print: control characters (C0, DEL and C1, which a
 * terminal would obey; a visitor types names at the kiosk) become '?',
 * and more than MAX characters (0: no limit) are cut to end in "...".
 */
static char *
text_clean(const char *s, size_t max)
{
	const unsigned char	*p = (const unsigned char *)s;
	char			*out, *q;
	size_t			 chars = 0;

	q = out = xmalloc(strlen(s) + 4);
	while (*p != '\0') {
		if (max > 3 && chars == max - 3 &&
		    text_width((const char *)p) > 3) {
			memcpy(q, "...", 3);
			q += 3;
			break;
		}
		if (*p < 0x20 || *p == 0x7f) {
			*q++ = '?';
			p++;
		} else if (*p == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f) {
			*q++ = '?';
			p += 2;
		} else {
			/* A whole character: its lead byte and the rest. */
			do
				*q++ = (char)*p++;
			while ((*p & 0xc0) == 0x80);
		}
		chars++;
	}
	*q = '\0';
	return out;
}

/* Whether number D reads as milliseconds since the epoch. */
static int
text_is_time(double d)
{
	return d >= TEXT_TIME_MIN && d < TEXT_TIME_MAX && d == floor(d);
}

/* The local time of MS milliseconds since the epoch. */
static char *
text_time(double ms)
{
	struct tm	tm;
	time_t		t = (time_t)(ms / 1000);
	char		buf[64];

	if (localtime_r(&t, &tm) == NULL ||
	    strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm) == 0)
		return xstrdup("?");
	return xstrdup(buf);
}

/* Whether ITEM is a non-empty array of objects only: a table. */
static int
text_is_table(const cJSON *item)
{
	const cJSON	*e;

	if (!cJSON_IsArray(item) || item->child == NULL)
		return 0;
	cJSON_ArrayForEach(e, item) {
		if (!cJSON_IsObject(e))
			return 0;
	}
	return 1;
}

/* Whether ITEM holds arrays or objects. */
static int
text_is_nested(const cJSON *item)
{
	const cJSON	*e;

	cJSON_ArrayForEach(e, item) {
		if (cJSON_IsArray(e) || cJSON_IsObject(e))
			return 1;
	}
	return 0;
}

/* Any value as text for people, cut to MAX characters (0: not cut). */
static char *
text_value(const cJSON *v, size_t max)
{
	const cJSON	*e;
	char		*s, *part, *joined;
	double		 d;

	if (v == NULL || cJSON_IsNull(v))
		return xstrdup("-");
	if (cJSON_IsBool(v))
		return xstrdup(cJSON_IsTrue(v) ? "true" : "false");
	if (cJSON_IsNumber(v)) {
		d = v->valuedouble;
		if (text_is_time(d))
			return text_time(d);
		if (d == floor(d) && fabs(d) <= (double)PROTO_ID_MAX)
			xasprintf(&s, "%lld", (long long)d);
		else
			xasprintf(&s, "%g", d);
		return s;
	}
	if (cJSON_IsString(v)) {
		if (strlen(v->valuestring) > TEXT_PAYLOAD) {
			xasprintf(&s, "(%zu bytes)", strlen(v->valuestring));
			return s;
		}
		return text_clean(v->valuestring, max);
	}
	if (cJSON_IsArray(v) && v->child == NULL)
		return xstrdup("none");
	if (cJSON_IsArray(v) && !text_is_nested(v)) {
		joined = NULL;
		cJSON_ArrayForEach(e, v) {
			part = text_value(e, 0);
			if (joined == NULL)
				joined = part;
			else {
				xasprintf(&s, "%s, %s", joined, part);
				free(joined);
				free(part);
				joined = s;
			}
		}
		s = text_clean(joined, max);
		free(joined);
		return s;
	}
	if ((part = cJSON_PrintUnformatted(v)) == NULL)
		fatalx("out of memory");
	s = text_clean(part, max);
	cJSON_free(part);
	return s;
}

/* Whether any row of table ROWS has a string payload under KEY. */
static int
text_is_payload(const cJSON *rows, const char *key)
{
	const cJSON	*row, *v;

	cJSON_ArrayForEach(row, rows) {
		v = cJSON_GetObjectItemCaseSensitive(row, key);
		if (cJSON_IsString(v) && strlen(v->valuestring) > TEXT_PAYLOAD)
			return 1;
	}
	return 0;
}

/* Prints array of objects ROWS as aligned columns with a header. */
static void
text_table(FILE *f, const cJSON *rows, int indent)
{
	const cJSON	 *row, *v;
	const char	**keys = NULL;
	char		**cells, *s;
	size_t		  nkeys = 0, nrows = 0, ncols, i, j, k, *width, w;

	/* The columns: the keys of every row, in order of appearance. */
	cJSON_ArrayForEach(row, rows) {
		nrows++;
		cJSON_ArrayForEach(v, row) {
			for (k = 0; k < nkeys; k++) {
				if (strcmp(keys[k], v->string) == 0)
					break;
			}
			if (k == nkeys && !text_is_payload(rows, v->string)) {
				keys = xreallocarray(keys, nkeys + 1,
				    sizeof *keys);
				keys[nkeys++] = v->string;
			}
		}
	}
	ncols = nkeys;
	if (ncols == 0)
		goto out;

	/* Row 0 is the header. */
	cells = xcalloc((nrows + 1) * ncols, sizeof *cells);
	width = xcalloc(ncols, sizeof *width);
	for (k = 0; k < ncols; k++) {
		s = text_clean(keys[k], TEXT_CELL_MAX);
		for (j = 0; s[j] != '\0'; j++) {
			if (s[j] >= 'a' && s[j] <= 'z')
				s[j] = (char)(s[j] - 'a' + 'A');
		}
		cells[k] = s;
	}
	i = 1;
	cJSON_ArrayForEach(row, rows) {
		for (k = 0; k < ncols; k++) {
			v = cJSON_GetObjectItemCaseSensitive(row, keys[k]);
			cells[i * ncols + k] = text_value(v, TEXT_CELL_MAX);
		}
		i++;
	}
	for (i = 0; i <= nrows; i++) {
		for (k = 0; k < ncols; k++) {
			if ((w = text_width(cells[i * ncols + k])) > width[k])
				width[k] = w;
		}
	}
	for (i = 0; i <= nrows; i++) {
		fprintf(f, "%*s", indent, "");
		for (k = 0; k < ncols; k++) {
			s = cells[i * ncols + k];
			fputs(s, f);
			if (k + 1 < ncols) {
				for (w = text_width(s); w < width[k] + 2; w++)
					fputc(' ', f);
			}
		}
		fputc('\n', f);
	}
	for (i = 0; i < (nrows + 1) * ncols; i++)
		free(cells[i]);
	free(cells);
	free(width);
out:
	free(keys);
}

/* Prints an object as "key: value" lines, tables and nested blocks. */
static void
text_object(FILE *f, const cJSON *obj, int indent)
{
	const cJSON	*m;
	char		*key, *value;
	size_t		 n = 0, w, keyw = 0;
	int		 block;

	cJSON_ArrayForEach(m, obj) {
		n++;
		if ((w = text_width(m->string)) > keyw)
			keyw = w;
	}
	cJSON_ArrayForEach(m, obj) {
		block = text_is_table(m) ||
		    (cJSON_IsObject(m) && m->child != NULL);
		/* A lone list or object is the whole result: no title. */
		if (block && n == 1) {
			if (text_is_table(m))
				text_table(f, m, indent);
			else
				text_object(f, m, indent);
			continue;
		}
		key = text_clean(m->string, 0);
		if (block) {
			fprintf(f, "%*s%s:\n", indent, "", key);
			if (text_is_table(m))
				text_table(f, m, indent + 2);
			else
				text_object(f, m, indent + 2);
		} else {
			value = text_value(m, 0);
			fprintf(f, "%*s%s:%*s %s\n", indent, "", key,
			    (int)(keyw - text_width(key)), "", value);
			free(value);
		}
		free(key);
	}
}

void
batch_print_text(FILE *f, const cJSON *result)
{
	char	*s;

	if (cJSON_IsObject(result))
		text_object(f, result, 0);
	else if (text_is_table(result))
		text_table(f, result, 0);
	else {
		s = text_value(result, 0);
		fprintf(f, "%s\n", s);
		free(s);
	}
}

void
batch_print_event_text(FILE *f, const cJSON *ev)
{
	static const char *const fixed[] = { "time", "type", "door",
	    "person", NULL };
	const cJSON	*m;
	char		*s, *key;
	size_t		 i;

	for (i = 0; fixed[i] != NULL; i++) {
		s = text_value(cJSON_GetObjectItemCaseSensitive(ev, fixed[i]),
		    0);
		fprintf(f, "%s%s", i == 0 ? "" : "  ", s);
		free(s);
	}
	cJSON_ArrayForEach(m, ev) {
		for (i = 0; fixed[i] != NULL; i++) {
			if (strcmp(m->string, fixed[i]) == 0)
				break;
		}
		if (fixed[i] != NULL)
			continue;
		key = text_clean(m->string, 0);
		s = text_value(m, TEXT_CELL_MAX);
		fprintf(f, "  %s=%s", key, s);
		free(key);
		free(s);
	}
	fputc('\n', f);
}

/* The kinds of alarm (doc/PROTOCOL 4.26) in words. */
static const struct {
	const char	*kind;
	const char	*words;
} batch_alarm_kinds[] = {
	{ "deny-list",		"Deny-listed face" },
	{ "spoof-suspected",	"Possible spoof (photo or screen)" },
	{ "tailgating",		"Tailgating" },
	{ "loitering",		"Loitering" },
	{ "lockout",		"Repeated failures: door locked out" },
	{ "forced",		"Door forced" },
	{ "held-open",		"Door held open" },
};

const char *
batch_alarm_kind(const char *kind)
{
	size_t	i;

	if (kind == NULL)
		return "Alarm";
	for (i = 0; i < sizeof batch_alarm_kinds / sizeof batch_alarm_kinds[0];
	    i++) {
		if (strcmp(kind, batch_alarm_kinds[i].kind) == 0)
			return batch_alarm_kinds[i].words;
	}
	return kind;
}

void
batch_print_alarms_text(FILE *f, const cJSON *result, const char *door)
{
	static const char *const keys[] = { "alarm", "time", "reason",
	    "person", "acked_by", "note" };
	const cJSON	*list, *al, *kind;
	cJSON		*rows, *row, *v;
	size_t		 i;

	list = cJSON_GetObjectItemCaseSensitive(result, "alarms");
	if (!text_is_table(list)) {
		batch_print_text(f, result);
		return;
	}
	/* The columns of a table, in this order; the photo left out. */
	rows = batch_check(cJSON_CreateArray());
	cJSON_ArrayForEach(al, list) {
		row = batch_check(cJSON_CreateObject());
		for (i = 0; i < sizeof keys / sizeof keys[0]; i++) {
			v = cJSON_GetObjectItemCaseSensitive(al, keys[i]);
			v = v != NULL ? cJSON_Duplicate(v, 1) :
			    cJSON_CreateNull();
			cJSON_AddItemToObject(row, keys[i], batch_check(v));
			if (i != 1)
				continue;
			cJSON_AddItemToObject(row, "door", batch_check(
			    door != NULL && *door != '\0' ?
			    cJSON_CreateString(door) : cJSON_CreateNull()));
			kind = cJSON_GetObjectItemCaseSensitive(al, "kind");
			cJSON_AddItemToObject(row, "kind", batch_check(
			    cJSON_CreateString(batch_alarm_kind(
			    cJSON_IsString(kind) ? kind->valuestring : NULL))));
		}
		cJSON_AddItemToArray(rows, row);
	}
	text_table(f, rows, 0);
	cJSON_Delete(rows);
}

void
batch_usage(FILE *f)
{
	fprintf(f,
	    "usage: gatehouse [-b] [--text] [-S socket] [command [argument ...]]\n"
	    "       gatehouse -H [user@]host[:port] [--accept-new] "
	    "[--remote-command cmd]\n"
	    "                 [-b] [--text] [-S socket] "
	    "[command [argument ...]]\n"
	    "       gatehouse help [command]\n");
}

/* What an argument takes, for help. */
static const char *
help_type(const struct proto_arg *a)
{
	switch (a->type) {
	case PROTO_ARG_STRING:
		return "a string";
	case PROTO_ARG_INT:
		return "an integer";
	case PROTO_ARG_BOOL:
		return "a flag";
	case PROTO_ARG_STRINGS:
		return "one or more strings";
	}
	return "";
}

int
batch_help(FILE *f, const char *const *words, size_t nwords, char **cause)
{
	const struct proto_command	*cmd;
	const struct proto_arg		*a;
	size_t				 i, used;

	if (nwords == 0) {
		batch_usage(f);
		fprintf(f, "\ncommands (and the role they need):\n");
		for (i = 0; (cmd = proto_command_at(i)) != NULL; i++) {
			if (cmd->id == PROTO_CMD_HELLO)
				continue;
			fprintf(f, "  %s%s%s\n      %s (%s)\n", cmd->name,
			    *cmd->usage != '\0' ? " " : "", cmd->usage,
			    cmd->summary, proto_role_name(cmd->min_role));
		}
		return 0;
	}
	cmd = proto_command_match(words, nwords, &used);
	if (cmd == NULL || cmd->id == PROTO_CMD_HELLO || used != nwords) {
		xasprintf(cause, "help: unknown command \"%s%s\"", words[0],
		    nwords > 1 ? " ..." : "");
		return -1;
	}
	fprintf(f, "usage: gatehouse %s%s%s\n%s.\nrole: %s\n", cmd->name,
	    *cmd->usage != '\0' ? " " : "", cmd->usage, cmd->summary,
	    proto_role_name(cmd->min_role));
	for (i = 0; (a = proto_command_arg(cmd, i)) != NULL; i++) {
		if (i == 0)
			fprintf(f, "arguments:\n");
		fprintf(f, "  %-14s %s%s", arg_label(a), help_type(a),
		    a->required ? ", required" : "");
		/* Scripts writing JSON need the key of an option. */
		if (*a->option != '\0')
			fprintf(f, " (\"%s\")", a->key);
		fputc('\n', f);
	}
	return 0;
}

/* Notes SIGINT or SIGTERM during a follow. */
static void
batch_signal(int signo)
{
	(void)signo;
	batch_interrupted = 1;
}

/* Flushes the output; the exit status, with a message on failure. */
static int
batch_flush(struct batch *b)
{
	if (fflush(b->out) == 0 && !ferror(b->out))
		return BATCH_EXIT_OK;
	/* A reader that went away (| head) needs no message. */
	if (errno != EPIPE)
		fprintf(b->err, "gatehouse: write error: %s\n",
		    strerror(errno));
	b->done = 1;
	return BATCH_EXIT_ERROR;
}

/* Prints the events that follow an "events --follow" reply. */
static int
batch_follow(struct batch *b)
{
	struct sigaction	 sa, old_int, old_term;
	struct proto_reply	 ev;
	char			*cause;
	int			 r, status = BATCH_EXIT_OK;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = batch_signal;
	sigemptyset(&sa.sa_mask);
	batch_interrupted = 0;
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	/* A signal ignored on entry (a background job's SIGINT) stays so. */
	if (old_int.sa_handler == SIG_IGN)
		sigaction(SIGINT, &old_int, NULL);
	if (old_term.sa_handler == SIG_IGN)
		sigaction(SIGTERM, &old_term, NULL);
	/*
	 * The wait is cut into ticks: a signal between the check and the
	 * poll would otherwise go unseen until the next event.
	 */
	while (!batch_interrupted) {
		r = client_next_event(b->client, FOLLOW_TICK_MS, &ev, &cause);
		if (r == 0)
			continue;
		if (r == -1) {
			if (!client_closed(b->client)) {
				fprintf(b->err, "gatehouse: events: %s\n",
				    cause);
				status = BATCH_EXIT_UNREACHABLE;
			}
			free(cause);
			break;
		}
		if (b->text)
			batch_print_event_text(b->out, ev.root);
		else
			batch_print_json(b->out, ev.root);
		proto_reply_clear(&ev);
		if ((status = batch_flush(b)) != BATCH_EXIT_OK)
			break;
	}
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	/* The connection now carries events only, or is gone. */
	b->done = 1;
	return status;
}

/* Runs a parsed command and prints its result or error. */
static int
batch_run(struct batch *b, struct batch_cmd *bc)
{
	struct proto_reply	 rep;
	const cJSON		*follow;
	const char		*name = bc->cmd->name;
	char			*cause, *message;
	cJSON			*args;
	int			 status, following;

	if (b->client == NULL) {
		b->client = client_connect_unix(b->socket, &cause);
		if (b->client == NULL) {
			fprintf(b->err, "gatehouse: cannot connect to the "
			    "agent: %s\n", cause);
			free(cause);
			b->done = 1;
			/* No role at all is a refusal, not an absence. */
			if (client_hello_refusal() ==
			    PROTO_ERR_PERMISSION_DENIED)
				return BATCH_EXIT_DENIED;
			return BATCH_EXIT_UNREACHABLE;
		}
	}
	if (batch_photos(bc, client_remote(b->client), &cause) != 0) {
		fprintf(b->err, "gatehouse: %s: %s\n", name, cause);
		free(cause);
		return BATCH_EXIT_ERROR;
	}
	follow = cJSON_GetObjectItemCaseSensitive(bc->args, "follow");
	following = bc->cmd->id == PROTO_CMD_EVENTS && cJSON_IsTrue(follow);
	args = bc->args;
	bc->args = NULL;
	if (client_call(b->client, name, args, &rep, &cause) != 0) {
		fprintf(b->err, "gatehouse: %s: %s\n", name, cause);
		free(cause);
		b->done = 1;
		return BATCH_EXIT_UNREACHABLE;
	}
	if (!rep.ok) {
		message = text_clean(rep.message, 0);
		fprintf(b->err, "gatehouse: %s: %s: %s\n", name,
		    proto_error_name(rep.code), message);
		free(message);
		status = batch_exit_status(rep.code);
		if (rep.code == PROTO_ERR_VERSION)
			b->done = 1;
		proto_reply_clear(&rep);
		return status;
	}
	if (b->text && bc->cmd->id == PROTO_CMD_ALARMS)
		batch_print_alarms_text(b->out, rep.result,
		    client_door(b->client));
	else if (b->text)
		batch_print_text(b->out, rep.result);
	else
		batch_print_json(b->out, rep.result);
	proto_reply_clear(&rep);
	if ((status = batch_flush(b)) != BATCH_EXIT_OK)
		return status;
	if (following)
		return batch_follow(b);
	return BATCH_EXIT_OK;
}

/* Parses and runs one command line; WHERE prefixes usage errors. */
static int
batch_line(struct batch *b, const char *const *words, size_t nwords,
    const char *where)
{
	struct batch_cmd	 bc;
	char			*cause;
	int			 status;

	if (b->out == NULL)
		b->out = stdout;
	if (b->err == NULL)
		b->err = stderr;
	if (nwords == 0)
		return BATCH_EXIT_OK;
	if (batch_parse(words, nwords, &bc, &cause) != 0) {
		fprintf(b->err, "gatehouse: %s%s\n", where, cause);
		free(cause);
		return BATCH_EXIT_USAGE;
	}
	status = batch_run(b, &bc);
	batch_cmd_clear(&bc);
	return status;
}

int
batch_command(struct batch *b, const char *const *words, size_t nwords)
{
	return batch_line(b, words, nwords, "");
}

int
batch_stream(struct batch *b, FILE *in)
{
	char	*line = NULL, *cause, **words, where[64];
	size_t	 size = 0, lineno = 0, nwords;
	ssize_t	 len;
	int	 r, status = BATCH_EXIT_OK;

	if (b->err == NULL)
		b->err = stderr;
	while (!b->done && (len = getline(&line, &size, in)) != -1) {
		lineno++;
		snprintf(where, sizeof where, "line %zu: ", lineno);
		if (strlen(line) != (size_t)len) {
			fprintf(b->err, "gatehouse: %sa NUL byte\n", where);
			r = BATCH_EXIT_USAGE;
		} else if (batch_split(line, &words, &nwords, &cause) != 0) {
			fprintf(b->err, "gatehouse: %s%s\n", where, cause);
			free(cause);
			r = BATCH_EXIT_USAGE;
		} else {
			r = batch_line(b, (const char *const *)words, nwords,
			    where);
			batch_words_free(words);
		}
		if (status == BATCH_EXIT_OK)
			status = r;
	}
	free(line);
	return status;
}

void
batch_close(struct batch *b)
{
	client_free(b->client);
	b->client = NULL;
}
