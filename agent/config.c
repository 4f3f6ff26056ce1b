/*
 * gatehouse.conf: parsing, defaults, checks and the -T dump, all driven by
 * the keyword table of config-keywords.h.
 */
#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "file.h"
#include "log.h"
#include "outbox.h"
#include "xmalloc.h"

/* The longest path a value may name (PATH_MAX, with its NUL). */
#define CONFIG_MAX_PATH		4095
/*
 * User and group names: POSIX's portable set, at most 32 bytes (the limit
 * of useradd on Debian); uids up to 2^32 - 2 ((uid_t)-1 means none).
 */
#define CONFIG_MAX_USER		32
/* The longest door_name. */
#define CONFIG_MAX_NAME		64
/* The longest spoken prompt, in bytes (a name may be added to it). */
#define CONFIG_MAX_PROMPT	200
#define CONFIG_MAX_UID		4294967294LL
/* V4L2 devices are /dev/video0 to /dev/video255. */
#define CONFIG_MAX_VIDEO	255
/* The largest frame side any V4L2 driver offers, and its frame rate. */
#define CONFIG_MAX_SIDE		16384
#define CONFIG_MAX_V4L2_FPS	240
/* GPIO line offsets on one chip (libgpiod uses an unsigned int). */
#define CONFIG_MAX_GPIO_LINE	65535
/* The longest GPIO chip name or path. */
#define CONFIG_MAX_CHIP		64

enum config_type {
	CONFIG_TYPE_PATH,
	CONFIG_TYPE_STRING,
	CONFIG_TYPE_USERS,
	CONFIG_TYPE_BOOL,
	CONFIG_TYPE_INT,
	CONFIG_TYPE_DOUBLE,
	CONFIG_TYPE_DURATION,
	CONFIG_TYPE_CHOICE,
	CONFIG_TYPE_VOTES,
};

/* One keyword of the table. */
struct config_keyword {
	const char		 *name;
	enum config_type	  type;
	const char		 *def;
	double			  lo, hi;	/* DOUBLE */
	int64_t			  ilo, ihi;	/* INT, DURATION (ms), VOTES */
	const char *const	 *choices;	/* CHOICE, NULL-terminated */
	int			(*check)(const char *, int64_t, char **);
	int			  reload;
	size_t			  off;		/* of the field */
};

enum config_index {
#define CONFIG_INDEX(name, type, def, lo, hi, choices, check, reload, desc) \
	CONFIG_K_##name,
	CONFIG_KEYWORDS(CONFIG_INDEX)
#undef CONFIG_INDEX
	CONFIG_NKEYWORDS
};

#define CONFIG_NAME(id, name)	name,
static const char *const config_policies[] = {
	CONFIG_POLICIES(CONFIG_NAME) NULL
};
static const char *const config_liveness[] = {
	CONFIG_LIVENESS(CONFIG_NAME) NULL
};
static const char *const config_detectors[] = {
	CONFIG_DETECTORS(CONFIG_NAME) NULL
};
static const char *const config_log_levels[] = {
	CONFIG_LOG_LEVELS(CONFIG_NAME) NULL
};
#undef CONFIG_NAME

static int	config_check_camera(const char *, int64_t, char **);
static int	config_check_door(const char *, int64_t, char **);
static int	config_check_voice(const char *, int64_t, char **);
static int	config_check_input_size(const char *, int64_t, char **);
static int	config_check_name(const char *, int64_t, char **);
static int	config_check_user(const char *, int64_t, char **);
static int	config_check_welcome(const char *, int64_t, char **);
static int	config_check_prompt(const char *, int64_t, char **);
static int	config_check_smtp_url(const char *, int64_t, char **);
static int	config_check_http_url(const char *, int64_t, char **);
static int	config_check_word(const char *, int64_t, char **);
static int	config_check_file(const char *, int64_t, char **);
static int	config_check_address(const char *, int64_t, char **);
static int	config_check_addresses(const char *, int64_t, char **);
static int	config_check_phone(const char *, int64_t, char **);
static int	config_check_phones(const char *, int64_t, char **);
static int	config_check_event_types(const char *, int64_t, char **);

static const struct config_keyword config_table[] = {
#define CONFIG_ENTRY(name, type, def, lo, hi, choices, check, reload, desc) \
	{ #name, CONFIG_TYPE_##type, def, (double)(lo), (double)(hi),	\
	    (int64_t)(lo), (int64_t)(hi), choices, check, reload,	\
	    offsetof(struct config, name) },
	CONFIG_KEYWORDS(CONFIG_ENTRY)
#undef CONFIG_ENTRY
};

/* The units of a duration, largest first: -T uses the first exact one. */
static const struct {
	const char	*name;
	int64_t		 ms;
} config_units[] = {
	{ "d", CONFIG_DAY(1) },
	{ "h", CONFIG_HOUR(1) },
	{ "m", CONFIG_MIN(1) },
	{ "s", CONFIG_SEC(1) },
	{ "ms", CONFIG_MSEC(1) },
};
#define CONFIG_NUNITS	(sizeof config_units / sizeof config_units[0])

/* Returns the field of keyword K in C. */
static void *
config_field(struct config *c, const struct config_keyword *k)
{
	return (char *)c + k->off;
}

/* Returns the field of keyword K in C, read-only. */
static const void *
config_cfield(const struct config *c, const struct config_keyword *k)
{
	return (const char *)c + k->off;
}

/* Finds a keyword by name; NULL if there is none. */
static const struct config_keyword *
config_find(const char *name)
{
	size_t	i;

	for (i = 0; i < CONFIG_NKEYWORDS; i++) {
		if (strcmp(config_table[i].name, name) == 0)
			return &config_table[i];
	}
	return NULL;
}

/*
 * Parses an unsigned decimal number of at most MAX into *V: digits only,
 * at least one. Returns the number of bytes read, 0 if there was no
 * number or it was larger than MAX.
 */
static size_t
config_digits(const char *s, int64_t max, int64_t *v)
{
	size_t	n = 0;
	int64_t	x = 0;

	while (s[n] >= '0' && s[n] <= '9') {
		if (x > (max - (s[n] - '0')) / 10)
			return 0;
		x = x * 10 + (s[n] - '0');
		n++;
	}
	*v = x;
	return n;
}

/* Parses a whole signed decimal integer. */
static int
config_parse_int(const char *s, int64_t *v)
{
	size_t	n;
	int	neg = 0;

	if (*s == '-') {
		neg = 1;
		s++;
	}
	/* INT64_MIN itself is out of every range in the table. */
	if ((n = config_digits(s, INT64_MAX, v)) == 0 || s[n] != '\0')
		return -1;
	if (neg)
		*v = -*v;
	return 0;
}

/*
 * Parses a whole decimal number: [-]digits[.digits][e[+-]digits], finite.
 * strtod alone would also take hex, inf, nan and leading blanks.
 */
static int
config_parse_double(const char *s, double *v)
{
	const char	*p = s;
	char		*end;
	int		 digits = 0;

	if (*p == '-')
		p++;
	for (; *p >= '0' && *p <= '9'; p++)
		digits++;
	if (*p == '.') {
		for (p++; *p >= '0' && *p <= '9'; p++)
			digits++;
	}
	if (digits == 0)
		return -1;
	if (*p == 'e' || *p == 'E') {
		p++;
		if (*p == '+' || *p == '-')
			p++;
		if (*p < '0' || *p > '9')
			return -1;
		while (*p >= '0' && *p <= '9')
			p++;
	}
	if (*p != '\0')
		return -1;
	errno = 0;
	*v = strtod(s, &end);
	if (*end != '\0' || errno == ERANGE || !isfinite(*v))
		return -1;
	/* -0 prints as "-0"; keep one zero. */
	if (*v == 0)
		*v = 0;
	return 0;
}

/* Parses a duration: digits and a unit, into milliseconds. */
int
config_parse_duration(const char *s, int64_t *v)
{
	size_t	n, i;
	int64_t	x;

	if ((n = config_digits(s, INT64_MAX, &x)) == 0)
		return -1;
	for (i = 0; i < CONFIG_NUNITS; i++) {
		if (strcmp(s + n, config_units[i].name) != 0)
			continue;
		if (x > INT64_MAX / config_units[i].ms)
			return -1;
		*v = x * config_units[i].ms;
		return 0;
	}
	return -1;
}

/* Formats a duration in the largest unit that holds it exactly. */
static char *
config_format_duration(int64_t v)
{
	char	*s;
	size_t	 i;

	for (i = 0; i < CONFIG_NUNITS - 1; i++) {
		if (v % config_units[i].ms == 0)
			break;
	}
	if (v == 0)
		i = CONFIG_NUNITS - 2;	/* "0s" */
	xasprintf(&s, "%lld%s", (long long)(v / config_units[i].ms),
	    config_units[i].name);
	return s;
}

/*
 * Formats a double with the fewest digits that read back to it, without
 * an exponent when some precision does without ("120", not "1.2e+02").
 */
static char *
config_format_double(double v)
{
	char	*s, *e = NULL;
	int	 prec;

	for (prec = 1; prec <= 17; prec++) {
		xasprintf(&s, "%.*g", prec, v);
		if (strtod(s, NULL) != v) {
			free(s);
			continue;
		}
		if (strchr(s, 'e') == NULL) {
			free(e);
			return s;
		}
		if (e == NULL)
			e = s;
		else
			free(s);
	}
	/* %.17g always reads back. */
	return e;
}

/* Whether S is an absolute path that fits a path buffer. */
static int
config_is_path(const char *s)
{
	return s[0] == '/' && strlen(s) <= CONFIG_MAX_PATH;
}

/* Whether S holds a blank (possible only in a quoted value). */
static int
config_has_blank(const char *s)
{
	return strpbrk(s, " \t") != NULL;
}

/* The size of a V4L2 camera value (0 x 0 when it names none). */
static void
config_camera_size(const char *s, int64_t *w, int64_t *h)
{
	const char	*p;
	size_t		 n;

	*w = *h = 0;
	if (strncmp(s, "v4l2:", 5) != 0 || (p = strchr(s, ',')) == NULL)
		return;
	p++;
	if ((n = config_digits(p, CONFIG_MAX_SIDE, w)) == 0 || p[n] != 'x' ||
	    config_digits(p + n + 1, CONFIG_MAX_SIDE, h) == 0)
		*w = *h = 0;
}

/* camera: v4l2:/dev/videoN[,WxH[@FPS]], http(s)://..., file:DIR. */
static int
config_check_camera(const char *s, int64_t unused, char **why)
{
	const char	*p;
	int64_t		 x;
	size_t		 n;

	(void)unused;
	if (strncmp(s, "v4l2:", 5) == 0) {
		p = s + 5;
		if (strncmp(p, "/dev/video", 10) != 0 ||
		    (n = config_digits(p + 10, CONFIG_MAX_VIDEO, &x)) == 0) {
			xasprintf(why, "expected v4l2:/dev/videoN with N from "
			    "0 to %d", CONFIG_MAX_VIDEO);
			return -1;
		}
		p += 10 + n;
		if (*p == '\0')
			return 0;
		if (*p != ',')
			goto bad_size;
		p++;
		if ((n = config_digits(p, CONFIG_MAX_SIDE, &x)) == 0 || x < 1)
			goto bad_size;
		p += n;
		if (*p++ != 'x')
			goto bad_size;
		if ((n = config_digits(p, CONFIG_MAX_SIDE, &x)) == 0 || x < 1)
			goto bad_size;
		p += n;
		if (*p == '\0')
			return 0;
		if (*p++ != '@' ||
		    (n = config_digits(p, CONFIG_MAX_V4L2_FPS, &x)) == 0 ||
		    x < 1 || p[n] != '\0')
			goto bad_size;
		return 0;
	}
	if (strncmp(s, "http://", 7) == 0 || strncmp(s, "https://", 8) == 0) {
		p = strchr(s, ':') + 3;
		if (*p == '\0' || *p == '/' || config_has_blank(s)) {
			xasprintf(why, "expected a URL with a host and no "
			    "blanks");
			return -1;
		}
		return 0;
	}
	if (strncmp(s, "file:", 5) == 0) {
		if (!config_is_path(s + 5)) {
			xasprintf(why, "expected file: and an absolute path");
			return -1;
		}
		return 0;
	}
	xasprintf(why, "expected v4l2:/dev/videoN[,WIDTHxHEIGHT[@FPS]], "
	    "http://URL, https://URL or file:DIR");
	return -1;

bad_size:
	xasprintf(why, "expected v4l2:/dev/videoN[,WIDTHxHEIGHT[@FPS]] with "
	    "sides from 1 to %d and FPS from 1 to %d", CONFIG_MAX_SIDE,
	    CONFIG_MAX_V4L2_FPS);
	return -1;
}

/* door: sim:FILE or gpiod:CHIP:LINE[,active_low][,contact=N][,exit=N]. */
static int
config_check_door(const char *s, int64_t unused, char **why)
{
	const char	*p, *opt;
	int64_t		 relay, line, contact = -1, exit_line = -1;
	size_t		 n;
	int		 active_low = 0;

	(void)unused;
	if (strncmp(s, "sim:", 4) == 0) {
		if (!config_is_path(s + 4)) {
			xasprintf(why, "expected sim: and an absolute path");
			return -1;
		}
		return 0;
	}
	if (strncmp(s, "gpiod:", 6) != 0) {
		xasprintf(why, "expected sim:FILE or gpiod:CHIP:LINE"
		    "[,active_low][,contact=LINE][,exit=LINE]");
		return -1;
	}
	p = s + 6;
	n = strspn(p, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789_./-");
	if (n == 0 || n > CONFIG_MAX_CHIP || p[n] != ':')
		goto bad_chip;
	p += n + 1;
	if ((n = config_digits(p, CONFIG_MAX_GPIO_LINE, &relay)) == 0)
		goto bad_line;
	p += n;
	while (*p != '\0') {
		if (*p++ != ',')
			goto bad_option;
		opt = p;
		if (strncmp(p, "active_low", 10) == 0 &&
		    (p[10] == ',' || p[10] == '\0')) {
			if (active_low++)
				goto twice;
			p += 10;
			continue;
		}
		if (strncmp(p, "contact=", 8) == 0) {
			if (contact != -1)
				goto twice;
			p += 8;
		} else if (strncmp(p, "exit=", 5) == 0) {
			if (exit_line != -1)
				goto twice;
			p += 5;
		} else
			goto bad_option;
		if ((n = config_digits(p, CONFIG_MAX_GPIO_LINE, &line)) == 0)
			goto bad_line;
		p += n;
		if (*opt == 'c')
			contact = line;
		else
			exit_line = line;
		if (line == relay || (contact == exit_line)) {
			xasprintf(why, "the relay, contact and exit lines must "
			    "differ");
			return -1;
		}
	}
	return 0;

bad_chip:
	xasprintf(why, "expected gpiod:CHIP:LINE with CHIP a gpiochip name "
	    "or path");
	return -1;
bad_line:
	xasprintf(why, "expected a GPIO line offset from 0 to %d",
	    CONFIG_MAX_GPIO_LINE);
	return -1;
bad_option:
	xasprintf(why, "expected options active_low, contact=LINE or "
	    "exit=LINE after gpiod:CHIP:LINE");
	return -1;
twice:
	xasprintf(why, "an option of gpiod: is given twice");
	return -1;
}

/* voice: wav:DIR, portaudio or none. */
static int
config_check_voice(const char *s, int64_t unused, char **why)
{
	(void)unused;
	if (strcmp(s, "none") == 0 || strcmp(s, "portaudio") == 0)
		return 0;
	if (strncmp(s, "wav:", 4) == 0 && config_is_path(s + 4))
		return 0;
	xasprintf(why, "expected wav:DIR (an absolute path), portaudio or "
	    "none");
	return -1;
}

/* detector_input_size: TinyFaceDetector's grid is in cells of 32 pixels. */
static int
config_check_input_size(const char *unused, int64_t v, char **why)
{
	(void)unused;
	if (v % 32 != 0) {
		xasprintf(why, "expected a multiple of 32");
		return -1;
	}
	return 0;
}

/*
 * door_name: it names the door in events, logs and every console's list,
 * so it is short and plain: letters, digits, '-', '_' and '.'.
 */
static int
config_check_name(const char *s, int64_t unused, char **why)
{
	size_t	n = strspn(s, "abcdefghijklmnopqrstuvwxyz"
		    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.");

	(void)unused;
	if (*s == '\0' || s[n] != '\0' || n > CONFIG_MAX_NAME) {
		xasprintf(why, "expected 1 to %d letters, digits, '-', '_' "
		    "or '.'", CONFIG_MAX_NAME);
		return -1;
	}
	return 0;
}

/*
 * Checks a spoken prompt: printable text of at most CONFIG_MAX_PROMPT
 * bytes, where "%%" is a '%' and "%n" (only if NAME_OK) the person's name.
 */
static int
config_check_spoken(const char *s, int name_ok, char **why)
{
	const char	*p;

	if (*s == '\0' || strlen(s) > CONFIG_MAX_PROMPT)
		goto bad;
	for (p = s; *p != '\0'; p++) {
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			goto bad;
		if (*p == '%') {
			if (p[1] == '%' || (p[1] == 'n' && name_ok))
				p++;
			else
				goto bad;
		}
	}
	return 0;

bad:
	xasprintf(why, "expected 1 to %d bytes of printable text%s",
	    CONFIG_MAX_PROMPT, name_ok ? " (%n is the name, %% a '%')" :
	    " (%% is a '%'; no name is ever spoken here)");
	return -1;
}

/* voice_welcome: may name the person. */
static int
config_check_welcome(const char *s, int64_t unused, char **why)
{
	(void)unused;
	return config_check_spoken(s, 1, why);
}

/*
 * Notifications. Every keyword may be empty: that channel is off. URLs are
 * checked for their scheme only (curl parses the rest when it sends);
 * addresses and numbers by the outbox's own rules, so a configuration
 * that passes -t never has its mail refused for its own sender.
 */
static int
config_check_url(const char *s, const char *const *schemes, char **why)
{
	size_t	i, n;

	if (*s == '\0')
		return 0;
	for (i = 0; schemes[i] != NULL; i++) {
		n = strlen(schemes[i]);
		if (strncmp(s, schemes[i], n) == 0 && s[n] != '\0' &&
		    strpbrk(s, " \t\"") == NULL)
			return 0;
	}
	xasprintf(why, "expected %s//HOST[:PORT]... or \"\"", schemes[0]);
	return -1;
}

/* smtp_url. */
static int
config_check_smtp_url(const char *s, int64_t unused, char **why)
{
	static const char *const schemes[] = { "smtp://", "smtps://", NULL };

	(void)unused;
	return config_check_url(s, schemes, why);
}

/* sms_url and webhook_url. */
static int
config_check_http_url(const char *s, int64_t unused, char **why)
{
	static const char *const schemes[] = { "https://", "http://", NULL };

	(void)unused;
	return config_check_url(s, schemes, why);
}

/* smtp_user, sms_user: printable, no blanks (they go into headers). */
static int
config_check_word(const char *s, int64_t unused, char **why)
{
	const char	*p;

	(void)unused;
	for (p = s; *p != '\0'; p++) {
		if ((unsigned char)*p <= ' ' || *p == 0x7f) {
			xasprintf(why, "expected printable text without "
			    "blanks");
			return -1;
		}
	}
	return 0;
}

/* A secret's file: an absolute path, or "" for none. */
static int
config_check_file(const char *s, int64_t unused, char **why)
{
	(void)unused;
	if (*s == '\0' || config_is_path(s))
		return 0;
	xasprintf(why, "expected an absolute path or \"\"");
	return -1;
}

/* mail_from. */
static int
config_check_address(const char *s, int64_t unused, char **why)
{
	(void)unused;
	if (*s == '\0' || outbox_address_valid(s))
		return 0;
	xasprintf(why, "expected a mail address (user@example.org)");
	return -1;
}

/* sms_from. */
static int
config_check_phone(const char *s, int64_t unused, char **why)
{
	(void)unused;
	if (*s == '\0' || outbox_phone_valid(s))
		return 0;
	xasprintf(why, "expected a number in E.164 form (+ and 6 to 15 "
	    "digits)");
	return -1;
}

/*
 * A comma-separated list, each item passing VALID; "" is an empty list.
 * WHAT names one item in the message.
 */
static int
config_check_list(const char *s, int (*valid)(const char *),
    const char *what, char **why)
{
	char	*copy, *item, *next;
	int	 r = 0;

	if (*s == '\0')
		return 0;
	next = copy = xstrdup(s);
	while (r == 0 && (item = strsep(&next, ",")) != NULL) {
		if (!valid(item)) {
			xasprintf(why, "\"%s\" is not %s (a list is "
			    "comma-separated, without blanks)", item, what);
			r = -1;
		}
	}
	free(copy);
	return r;
}

/* notify_email. */
static int
config_check_addresses(const char *s, int64_t unused, char **why)
{
	(void)unused;
	return config_check_list(s, outbox_address_valid, "a mail address",
	    why);
}

/* notify_sms. */
static int
config_check_phones(const char *s, int64_t unused, char **why)
{
	(void)unused;
	return config_check_list(s, outbox_phone_valid, "an E.164 number",
	    why);
}

/* Whether S is an event type the agent keeps (protocol.h). */
static int
config_event_type_valid(const char *s)
{
	static const char *const types[] = { "granted", "denied", "pending",
	    "visit", "uncertain", "alarm", "door", "pass", "person", "config",
	    "otp", "ack", NULL };
	size_t	i;

	for (i = 0; types[i] != NULL; i++) {
		if (strcmp(s, types[i]) == 0)
			return 1;
	}
	return 0;
}

/* notify_webhook. */
static int
config_check_event_types(const char *s, int64_t unused, char **why)
{
	(void)unused;
	return config_check_list(s, config_event_type_valid, "an event type",
	    why);
}

/* voice_wait and voice_refused: never a name (see voice.h). */
static int
config_check_prompt(const char *s, int64_t unused, char **why)
{
	(void)unused;
	return config_check_spoken(s, 0, why);
}

/* Whether C may be in a user or group name. */
static int
config_user_char(char c, int first)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_')
		return 1;
	return !first && ((c >= '0' && c <= '9') || c == '.' || c == '-');
}

/*
 * Checks a list of users: names, uids and @groups separated by commas,
 * blanks around them allowed. Returns it without the blanks in *OUT.
 */
static int
config_parse_users(const char *s, char **out, char **why)
{
	char		*o, *q;
	const char	*p = s, *item;
	size_t		 n, i;
	int64_t		 uid;

	o = q = xmalloc(strlen(s) + 1);
	p += strspn(p, " \t");
	if (*p == '\0') {
		*q = '\0';
		*out = o;
		return 0;
	}
	for (;;) {
		p += strspn(p, " \t");
		item = p;
		if (*p == '@')
			p++;
		if (*item != '@' && *p >= '0' && *p <= '9') {
			if ((n = config_digits(p, CONFIG_MAX_UID, &uid)) == 0)
				goto bad;
			p += n;
		} else {
			for (n = 0; config_user_char(p[n], n == 0); n++)
				;
			if (n == 0)
				goto bad;
			if (p[n] == '$')
				n++;	/* Samba machine accounts */
			if (n > CONFIG_MAX_USER)
				goto bad;
			p += n;
		}
		for (i = 0; item + i < p; i++)
			*q++ = item[i];
		p += strspn(p, " \t");
		if (*p == '\0')
			break;
		if (*p++ != ',')
			goto bad;
		*q++ = ',';
	}
	*q = '\0';
	*out = o;
	return 0;

bad:
	free(o);
	xasprintf(why, "expected user names, uids or @groups separated by "
	    "commas");
	return -1;
}

/* worker_user: one user name or uid. */
static int
config_check_user(const char *s, int64_t unused, char **why)
{
	char	*out = NULL, *ignored = NULL;
	int	 ok;

	(void)unused;
	ok = *s != '@' && strchr(s, ',') == NULL &&
	    config_parse_users(s, &out, &ignored) == 0 && *out != '\0';
	free(out);
	free(ignored);
	if (!ok) {
		xasprintf(why, "expected one user name or uid");
		return -1;
	}
	return 0;
}

/* Describes what keyword K accepts, for an error message. */
static char *
config_expected(const struct config_keyword *k)
{
	char	*s, *lo, *hi, *t;
	size_t	 i;

	switch (k->type) {
	case CONFIG_TYPE_PATH:
		return xstrdup("expected an absolute path");
	case CONFIG_TYPE_BOOL:
		return xstrdup("expected yes or no");
	case CONFIG_TYPE_INT:
		xasprintf(&s, "expected an integer from %lld to %lld",
		    (long long)k->ilo, (long long)k->ihi);
		return s;
	case CONFIG_TYPE_DOUBLE:
		lo = config_format_double(k->lo);
		hi = config_format_double(k->hi);
		xasprintf(&s, "expected a number from %s to %s", lo, hi);
		free(lo);
		free(hi);
		return s;
	case CONFIG_TYPE_DURATION:
		lo = config_format_duration(k->ilo);
		hi = config_format_duration(k->ihi);
		xasprintf(&s, "expected a duration from %s to %s (a whole "
		    "number with a unit: ms, s, m, h or d)", lo, hi);
		free(lo);
		free(hi);
		return s;
	case CONFIG_TYPE_CHOICE:
		s = xstrdup("expected one of");
		for (i = 0; k->choices[i] != NULL; i++) {
			xasprintf(&t, "%s%s %s", s, i == 0 ? "" : ",",
			    k->choices[i]);
			free(s);
			s = t;
		}
		return s;
	case CONFIG_TYPE_VOTES:
		xasprintf(&s, "expected K/N with %lld <= K <= N <= %lld",
		    (long long)k->ilo, (long long)k->ihi);
		return s;
	case CONFIG_TYPE_STRING:
	case CONFIG_TYPE_USERS:
		break;
	}
	return xstrdup("bad value");
}

/*
 * Sets keyword K of C from the text S. Returns 0, or -1 with *WHY saying
 * what was expected.
 */
static int
config_set(struct config *c, const struct config_keyword *k, const char *s,
    char **why)
{
	void		*f = config_field(c, k);
	char		*str, *slash;
	int64_t		 iv, kv, nv;
	double		 dv;
	size_t		 i, n;

	*why = NULL;
	switch (k->type) {
	case CONFIG_TYPE_PATH:
		if (!config_is_path(s))
			goto expected;
		free(*(char **)f);
		*(char **)f = xstrdup(s);
		return 0;
	case CONFIG_TYPE_STRING:
		if (k->check != NULL && k->check(s, 0, why) != 0)
			return -1;
		free(*(char **)f);
		*(char **)f = xstrdup(s);
		return 0;
	case CONFIG_TYPE_USERS:
		if (config_parse_users(s, &str, why) != 0)
			return -1;
		free(*(char **)f);
		*(char **)f = str;
		return 0;
	case CONFIG_TYPE_BOOL:
		if (strcmp(s, "yes") == 0)
			*(int *)f = 1;
		else if (strcmp(s, "no") == 0)
			*(int *)f = 0;
		else
			goto expected;
		return 0;
	case CONFIG_TYPE_INT:
		if (config_parse_int(s, &iv) != 0 || iv < k->ilo ||
		    iv > k->ihi)
			goto expected;
		if (k->check != NULL && k->check(s, iv, why) != 0)
			return -1;
		*(int64_t *)f = iv;
		return 0;
	case CONFIG_TYPE_DOUBLE:
		if (config_parse_double(s, &dv) != 0 || dv < k->lo ||
		    dv > k->hi)
			goto expected;
		*(double *)f = dv;
		return 0;
	case CONFIG_TYPE_DURATION:
		if (config_parse_duration(s, &iv) != 0 || iv < k->ilo ||
		    iv > k->ihi)
			goto expected;
		*(int64_t *)f = iv;
		return 0;
	case CONFIG_TYPE_CHOICE:
		for (i = 0; k->choices[i] != NULL; i++) {
			if (strcmp(s, k->choices[i]) == 0) {
				*(int *)f = (int)i;
				return 0;
			}
		}
		goto expected;
	case CONFIG_TYPE_VOTES:
		if ((slash = strchr(s, '/')) == NULL ||
		    (n = config_digits(s, k->ihi, &kv)) == 0 ||
		    s + n != slash ||
		    (n = config_digits(slash + 1, k->ihi, &nv)) == 0 ||
		    slash[1 + n] != '\0' || kv < k->ilo || kv > nv)
			goto expected;
		((struct config_votes *)f)->k = (int)kv;
		((struct config_votes *)f)->n = (int)nv;
		return 0;
	}

expected:
	*why = config_expected(k);
	return -1;
}

/*
 * Formats the value of keyword K in C as it is written in the file,
 * quoted when it is empty or holds a blank.
 */
static char *
config_format(const struct config *c, const struct config_keyword *k)
{
	const void	*f = config_cfield(c, k);
	const struct config_votes *v;
	const char	*str;
	char		*s;

	switch (k->type) {
	case CONFIG_TYPE_PATH:
	case CONFIG_TYPE_STRING:
	case CONFIG_TYPE_USERS:
		str = *(char *const *)f;
		if (*str == '\0' || config_has_blank(str))
			xasprintf(&s, "\"%s\"", str);
		else
			s = xstrdup(str);
		return s;
	case CONFIG_TYPE_BOOL:
		return xstrdup(*(const int *)f ? "yes" : "no");
	case CONFIG_TYPE_INT:
		xasprintf(&s, "%lld", (long long)*(const int64_t *)f);
		return s;
	case CONFIG_TYPE_DOUBLE:
		return config_format_double(*(const double *)f);
	case CONFIG_TYPE_DURATION:
		return config_format_duration(*(const int64_t *)f);
	case CONFIG_TYPE_CHOICE:
		return xstrdup(k->choices[*(const int *)f]);
	case CONFIG_TYPE_VOTES:
		v = f;
		xasprintf(&s, "%d/%d", v->k, v->n);
		return s;
	}
	return xstrdup("");
}

/* Fills C with the table's defaults (see config.h). */
void
config_defaults(struct config *c)
{
	const struct config_keyword	*k;
	char				*why;
	size_t				 i;

	memset(c, 0, sizeof *c);
	for (i = 0; i < CONFIG_NKEYWORDS; i++) {
		k = &config_table[i];
		if (config_set(c, k, k->def, &why) != 0)
			fatalx("default of %s: %s", k->name, why);
	}
}

/* Frees the strings of C. */
void
config_free(struct config *c)
{
	const struct config_keyword	*k;
	size_t				 i;

	for (i = 0; i < CONFIG_NKEYWORDS; i++) {
		k = &config_table[i];
		if (k->type == CONFIG_TYPE_PATH ||
		    k->type == CONFIG_TYPE_STRING ||
		    k->type == CONFIG_TYPE_USERS) {
			free(*(char **)config_field(c, k));
			*(char **)config_field(c, k) = NULL;
		}
	}
}

/*
 * Checks that the LEN bytes at S are UTF-8 (RFC 3629: no overlong forms,
 * surrogates or code points past U+10FFFF) without NUL or other control
 * bytes but tab. Returns NULL or what is wrong.
 */
static const char *
config_check_text(const char *text, size_t len)
{
	const unsigned char	*s = (const unsigned char *)text;
	size_t			 i = 0, n, j;
	unsigned int		 cp, min;

	while (i < len) {
		if (s[i] == '\0')
			return "NUL byte";
		if (s[i] < 0x80) {
			if ((s[i] < 0x20 && s[i] != '\t') || s[i] == 0x7f)
				return "control character";
			i++;
			continue;
		}
		if ((s[i] & 0xe0) == 0xc0) {
			n = 1;
			cp = s[i] & 0x1f;
			min = 0x80;
		} else if ((s[i] & 0xf0) == 0xe0) {
			n = 2;
			cp = s[i] & 0x0f;
			min = 0x800;
		} else if ((s[i] & 0xf8) == 0xf0) {
			n = 3;
			cp = s[i] & 0x07;
			min = 0x10000;
		} else
			return "invalid UTF-8";
		if (len - i <= n)
			return "invalid UTF-8";
		for (j = 1; j <= n; j++) {
			if ((s[i + j] & 0xc0) != 0x80)
				return "invalid UTF-8";
			cp = cp << 6 | (s[i + j] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return "invalid UTF-8";
		/* C1 controls. */
		if (cp >= 0x80 && cp < 0xa0)
			return "control character";
		i += n + 1;
	}
	return NULL;
}

/*
 * The checks between keywords, after the whole file is read. LINES holds
 * the line of each keyword (0 for a default); an error names the later
 * of the two lines.
 */
static int
config_cross_check(const struct config *c, const char *name,
    const unsigned int *lines, char **cause)
{
	char		*a, *b;
	unsigned int	 line;
	int64_t		 w, h;

#define CONFIG_LATER(x, y)						\
	(lines[CONFIG_K_##x] > lines[CONFIG_K_##y] ?			\
	    lines[CONFIG_K_##x] : lines[CONFIG_K_##y])
	if (c->door_pulse > c->door_max_pulse) {
		line = CONFIG_LATER(door_pulse, door_max_pulse);
		a = config_format_duration(c->door_pulse);
		b = config_format_duration(c->door_max_pulse);
		xasprintf(cause, "%s:%u: door_pulse %s is longer than "
		    "door_max_pulse %s", name, line, a, b);
		free(a);
		free(b);
		return -1;
	}
	if (c->unknown_threshold < c->match_threshold) {
		line = CONFIG_LATER(unknown_threshold, match_threshold);
		a = config_format_double(c->unknown_threshold);
		b = config_format_double(c->match_threshold);
		xasprintf(cause, "%s:%u: unknown_threshold %s is below "
		    "match_threshold %s", name, line, a, b);
		free(a);
		free(b);
		return -1;
	}
	if (c->policy == CONFIG_POLICY_PIN && !c->allow_pin_only) {
		line = CONFIG_LATER(policy, allow_pin_only);
		xasprintf(cause, "%s:%u: policy pin needs allow_pin_only yes",
		    name, line);
		return -1;
	}
	config_camera_size(c->camera, &w, &h);
	if (w * h > c->max_pixels) {
		line = CONFIG_LATER(camera, max_pixels);
		xasprintf(cause, "%s:%u: camera frames of %lldx%lld are larger "
		    "than max_pixels %lld", name, line, (long long)w,
		    (long long)h, (long long)c->max_pixels);
		return -1;
	}
#undef CONFIG_LATER
	return 0;
}

/*
 * Parses one line (NUL-terminated, checked) into C. Returns 0, or -1 with
 * *CAUSE.
 */
static int
config_parse_line(struct config *c, char *s, const char *name,
    unsigned int lineno, unsigned int *lines, char **cause)
{
	const struct config_keyword	*k;
	char				*kw, *value, *q, *why;
	size_t				 n;

	s += strspn(s, " \t");
	if (*s == '\0' || *s == '#')
		return 0;
	kw = s;
	s += strcspn(s, " \t");
	if (*s != '\0')
		*s++ = '\0';
	if ((k = config_find(kw)) == NULL) {
		xasprintf(cause, "%s:%u: unknown keyword \"%s\"", name, lineno,
		    kw);
		return -1;
	}
	s += strspn(s, " \t");
	if (*s == '\0') {
		xasprintf(cause, "%s:%u: missing value for %s", name, lineno,
		    kw);
		return -1;
	}
	if (*s == '"') {
		value = s + 1;
		if ((q = strchr(value, '"')) == NULL) {
			xasprintf(cause, "%s:%u: unterminated quote in the "
			    "value of %s", name, lineno, kw);
			return -1;
		}
		*q = '\0';
		s = q + 1;
	} else {
		value = s;
		n = strcspn(s, " \t\"");
		if (s[n] == '"') {
			xasprintf(cause, "%s:%u: quote inside the value of %s",
			    name, lineno, kw);
			return -1;
		}
		s += n;
		if (*s != '\0')
			*s++ = '\0';
	}
	s += strspn(s, " \t");
	if (*s != '\0') {
		xasprintf(cause, "%s:%u: unexpected text after the value of %s",
		    name, lineno, kw);
		return -1;
	}
	if (lines[k - config_table] != 0) {
		xasprintf(cause, "%s:%u: duplicate keyword %s (first on line "
		    "%u)", name, lineno, kw, lines[k - config_table]);
		return -1;
	}
	lines[k - config_table] = lineno;
	if (config_set(c, k, value, &why) != 0) {
		xasprintf(cause, "%s:%u: bad value \"%s\" for %s: %s", name,
		    lineno, value, kw, why);
		free(why);
		return -1;
	}
	return 0;
}

/* Parses a whole file over the defaults; *OUT only on success. */
int
config_parse(const char *text, size_t len, const char *name,
    struct config *out, char **cause)
{
	struct config	 c;
	unsigned int	 lines[CONFIG_NKEYWORDS], lineno = 0;
	const char	*p = text, *end = text + len, *nl, *problem;
	char		 buf[CONFIG_MAX_LINE + 1];
	size_t		 n;

	config_defaults(&c);
	memset(lines, 0, sizeof lines);
	while (p < end) {
		lineno++;
		nl = memchr(p, '\n', (size_t)(end - p));
		n = (size_t)((nl != NULL ? nl : end) - p);
		/* CRLF files from Windows editors: the CR goes with the LF. */
		if (n > 0 && p[n - 1] == '\r')
			n--;
		if (n > CONFIG_MAX_LINE) {
			xasprintf(cause, "%s:%u: line too long (limit %d "
			    "bytes)", name, lineno, CONFIG_MAX_LINE);
			goto fail;
		}
		if ((problem = config_check_text(p, n)) != NULL) {
			xasprintf(cause, "%s:%u: %s", name, lineno, problem);
			goto fail;
		}
		memcpy(buf, p, n);
		buf[n] = '\0';
		if (config_parse_line(&c, buf, name, lineno, lines, cause) != 0)
			goto fail;
		p = nl != NULL ? nl + 1 : end;
	}
	if (config_cross_check(&c, name, lines, cause) != 0)
		goto fail;
	*out = c;
	return 0;

fail:
	config_free(&c);
	return -1;
}

/* Reads and parses the file PATH. */
int
config_load(const char *path, struct config *out, char **cause)
{
	uint8_t	*buf;
	size_t	 len;
	char	*why;
	int	 r;

	if (file_read(path, CONFIG_MAX_FILE, &buf, &len, &why) != 0) {
		xasprintf(cause, "%s: %s", path, why);
		free(why);
		return -1;
	}
	r = config_parse((const char *)buf, len, path, out, cause);
	free(buf);
	return r;
}

/* Prints the effective configuration in the file's syntax (-T). */
void
config_print(FILE *f, const struct config *c)
{
	char	*s;
	size_t	 i;

	for (i = 0; i < CONFIG_NKEYWORDS; i++) {
		s = config_format(c, &config_table[i]);
		fprintf(f, "%s %s\n", config_table[i].name, s);
		free(s);
	}
}

/* Whether NEW changes only keywords a reload may change. */
int
config_reload_check(const struct config *old, const struct config *new,
    char **cause)
{
	const struct config_keyword	*k;
	char				*a, *b;
	size_t				 i;
	int				 same;

	for (i = 0; i < CONFIG_NKEYWORDS; i++) {
		k = &config_table[i];
		if (k->reload)
			continue;
		/* Values that print alike are alike (see config_format). */
		a = config_format(old, k);
		b = config_format(new, k);
		same = strcmp(a, b) == 0;
		if (!same)
			xasprintf(cause, "%s cannot change on reload (from %s "
			    "to %s); restart the agent", k->name, a, b);
		free(a);
		free(b);
		if (!same)
			return -1;
	}
	return 0;
}
