/*
 * gatehouse.conf: the agent's configuration (see gatehouse.conf(5)). The
 * keywords, their types, defaults and ranges are in config-keywords.h.
 *
 * A configuration is parsed into a fresh struct config and handed back
 * only when the whole file is valid, so a broken file never partly
 * applies: a reload parses into a new struct, calls config_reload_check()
 * against the running one and swaps it in only if both succeed.
 */
#ifndef CONFIG_H
#define CONFIG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "config-keywords.h"

/* The largest file config_load() reads. */
#define CONFIG_MAX_FILE		(1024 * 1024)
/* The longest line, in bytes, without its newline. */
#define CONFIG_MAX_LINE		4096

#define CONFIG_ENUM(id, name)	CONFIG_##id,
enum config_policy { CONFIG_POLICIES(CONFIG_ENUM) };
enum config_liveness { CONFIG_LIVENESS(CONFIG_ENUM) };
enum config_detector { CONFIG_DETECTORS(CONFIG_ENUM) };
enum config_log_level { CONFIG_LOG_LEVELS(CONFIG_ENUM) };
#undef CONFIG_ENUM

/* match_votes: K of the last N descriptors. */
struct config_votes {
	int	k;
	int	n;
};

/* The C type of each kind of keyword. */
#define CONFIG_CTYPE_PATH	char *
#define CONFIG_CTYPE_STRING	char *
#define CONFIG_CTYPE_USERS	char *
#define CONFIG_CTYPE_BOOL	int
#define CONFIG_CTYPE_INT	int64_t
#define CONFIG_CTYPE_DOUBLE	double
#define CONFIG_CTYPE_DURATION	int64_t
#define CONFIG_CTYPE_CHOICE	int
#define CONFIG_CTYPE_VOTES	struct config_votes

/*
 * One field per keyword, of the same name. Strings are owned by the
 * struct (config_free). USERS are kept as written, without blanks around
 * the commas ("root,@wheel,1000"); durations are milliseconds; CHOICE
 * keywords hold an enum config_policy, config_detector or
 * config_log_level; BOOL is 0 or 1.
 */
struct config {
#define CONFIG_FIELD(name, type, def, lo, hi, choices, check, reload, desc) \
	CONFIG_CTYPE_##type	name;
	CONFIG_KEYWORDS(CONFIG_FIELD)
#undef CONFIG_FIELD
};

/* Fills C with the defaults, without freeing what it held. */
void	config_defaults(struct config *c);
/*
 * Parses LEN bytes of TEXT (from the file NAME, used in messages) over the
 * defaults. Returns 0 and fills *OUT (without freeing what it held), or -1
 * with *CAUSE ("NAME:LINE: message") and *OUT untouched.
 */
int	config_parse(const char *text, size_t len, const char *name,
	    struct config *out, char **cause);
/* config_parse() on the file PATH, at most CONFIG_MAX_FILE bytes. */
int	config_load(const char *path, struct config *out, char **cause);
/*
 * Prints every keyword with its value in table order, as lines of the
 * file, so that the output parses back to the same configuration (-T).
 */
void	config_print(FILE *f, const struct config *c);
/*
 * Returns 0 if NEW may replace OLD by a reload, or -1 with *CAUSE naming
 * the first keyword that only a restart may change.
 */
int	config_reload_check(const struct config *old,
	    const struct config *new, char **cause);
/*
 * Parses a duration as gatehouse.conf writes them (a whole number and a
 * unit: ms, s, m, h or d) into *MS. Returns 0, or -1.
 */
int	config_parse_duration(const char *, int64_t *ms);
/* Frees the strings of C (not C itself). */
void	config_free(struct config *c);

#endif
