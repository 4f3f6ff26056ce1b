/*
 * The console's commands without a screen: command words to a request,
 * replies to output lines, help, exit statuses, and batch mode (commands
 * one per line on stdin). Everything about the command line comes from the
 * shared command table (commands.def), so the console cannot drift from
 * the agent. The parsing and printing are pure functions; only
 * batch_command() and batch_stream() talk to an agent, through client.h.
 */
#ifndef BATCH_H
#define BATCH_H

#include <stddef.h>
#include <stdio.h>

#include <cJSON.h>

#include "protocol.h"

struct client;

/* Exit statuses (gatehouse.1 EXIT STATUS). */
#define BATCH_EXIT_OK		0
#define BATCH_EXIT_ERROR	1	/* another error reply, a local error */
#define BATCH_EXIT_USAGE	2	/* also bad-request, unknown-command */
#define BATCH_EXIT_NOT_FOUND	3
#define BATCH_EXIT_DENIED	4	/* permission-denied */
#define BATCH_EXIT_UNREACHABLE	5	/* no connection, lost, version */

/* A command line made into a request. */
struct batch_cmd {
	const struct proto_command	*cmd;
	cJSON				*args;	/* an object, NULL if empty */
};

/* A batch session: where to connect, how to print, what it ran. */
struct batch {
	const char	*socket;	/* connected on the first command */
	struct client	*client;	/* or given already connected */
	int		 text;		/* --text: for people, not JSON */
	FILE		*out;
	FILE		*err;
	int		 done;		/* stop reading commands */
};

/*
 * Splits LINE into words like a shell does for simple quoting: words are
 * separated by blanks; '...' is literal; in "..." a backslash escapes
 * only \ " $ and `; elsewhere a backslash escapes any character; an
 * unquoted # that opens a word starts a comment. 0 with *WORDS (malloc'd,
 * NULL-terminated, free with batch_words_free) and *NWORDS (0 for a blank
 * or comment line), or -1 with *CAUSE (unterminated quote, backslash at
 * the end).
 */
int	 batch_split(const char *line, char ***words, size_t *nwords,
	     char **cause);
void	 batch_words_free(char **);

/*
 * Makes the request of a command line (the words after any options of
 * gatehouse itself), following the command's CMD_ARG rows: positional
 * arguments in order, a PROTO_ARG_STRINGS positional taking all that
 * remain; "--name VALUE" or "--name=VALUE"; flags for PROTO_ARG_BOOL;
 * decimal integers 0 to 2^53-1. 0 with *BC filled (clear it with
 * batch_cmd_clear), or -1 with a usage error in *CAUSE: a first line with
 * the reason, a second "usage: gatehouse NAME USAGE" from the table.
 */
int	 batch_parse(const char *const *words, size_t nwords,
	     struct batch_cmd *bc, char **cause);
void	 batch_cmd_clear(struct batch_cmd *);
/*
 * Turns the photos of a "people add" request into what the agent reads:
 * absolute paths for an agent on this host, or data URIs of the bytes
 * when REMOTE. 0, or -1 with *CAUSE (an unreadable or unknown file).
 */
int	 batch_photos(struct batch_cmd *, int remote, char **cause);
/* The absolute path of FILE (malloc'd), or NULL with *CAUSE. */
char	*batch_photo_path(const char *file, char **cause);
/*
 * FILE as "data:image/jpeg;base64,..." (or image/png, by its magic
 * bytes), malloc'd; NULL with *CAUSE if unreadable, not JPEG or PNG, or
 * too large for a request.
 */
char	*batch_photo_data(const char *file, char **cause);

/* The exit status for an error reply's code (PROTO_OK is 0). */
int	 batch_exit_status(enum proto_error);

/* A result or event as one compact JSON line. */
void	 batch_print_json(FILE *, const cJSON *);
/*
 * A result for people, driven by its shape only: an array of objects is
 * a table with a column per key (the first object's keys in order, then
 * any others as they appear), the rest "key: value" lines. Integers that
 * can only be milliseconds since the epoch are shown as local times,
 * control characters as '?', and strings too long for a screen (base64
 * photos) are left out of tables.
 */
void	 batch_print_text(FILE *, const cJSON *);
/* An event for people on one line: time, type, door, person, the rest. */
void	 batch_print_event_text(FILE *, const cJSON *);
/*
 * The result of "alarms" for people: one alarm a line, with its id, time,
 * DOOR (the agent's, from hello), what happened in words, the reason, the
 * person, who acknowledged it and the note. Another shape is printed as
 * batch_print_text() does.
 */
void	 batch_print_alarms_text(FILE *, const cJSON *, const char *door);
/*
 * What an alarm's kind ("forced", "deny-list", ...) means, in words for a
 * guard ("Door forced"); a kind it does not know is itself.
 */
const char *batch_alarm_kind(const char *kind);

/* The usage of gatehouse itself. */
void	 batch_usage(FILE *);
/*
 * "gatehouse help [COMMAND]": every user command (all but hello) with its
 * usage, summary and role, or one of them with its arguments. 0, or -1
 * with *CAUSE for an unknown command.
 */
int	 batch_help(FILE *, const char *const *words, size_t nwords,
	     char **cause);

/*
 * Runs one command line against the agent (connecting first if needed)
 * and prints its result; "events --follow" then prints events until the
 * connection ends or SIGINT/SIGTERM. Returns the exit status. Sets
 * B->done when no further command can run (the connection is lost or the
 * user interrupted).
 */
int	 batch_command(struct batch *, const char *const *words,
	     size_t nwords);
/*
 * Runs the commands of IN, one per line, going on after a failed one.
 * Returns the exit status of the first failure, or 0.
 */
int	 batch_stream(struct batch *, FILE *in);
/* Closes the session's connection. */
void	 batch_close(struct batch *);

#endif
