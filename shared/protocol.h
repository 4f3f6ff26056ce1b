/*
 * The control protocol between gatehouse-agent and gatehouse: the whole
 * contract in one header. doc/PROTOCOL describes every message in prose.
 *
 * BUMP PROTO_VERSION ON ANY CHANGE to a message, a key, a command, an
 * argument, a role or an error code, here or in commands.def.
 *
 * Framing: one JSON object per line, UTF-8, ended by '\n' (shared/lineio.h).
 * A sender never puts a raw newline inside a message (JSON escapes it).
 *
 * Request (console -> agent):
 *	{"id":N,"cmd":"NAME","args":{...}}
 *	id	integer 0 .. 2^53-1 chosen by the client, echoed in the reply
 *	cmd	a command name from commands.def ("people add" is one name)
 *	args	object, optional (absent = {}); keys and types per command
 *		(the CMD_ARG lines of commands.def); no other top-level key
 *
 * Reply (agent -> console), exactly one per request, in request order:
 *	{"id":N,"ok":true,"result":{...}}
 *	{"id":N,"ok":false,"error":{"code":"CODE","message":"TEXT"}}
 *	id	the request's id; absent only in an error reply to a request
 *		whose id could not be read (not JSON, no or a bad "id")
 *	ok	true or false
 *	result	object, present iff ok is true
 *	error	object, present iff ok is false: code (one of PROTO_ERRORS
 *		below, stable for scripts) and message (for a person)
 *
 * Event (agent -> console, after "events" with follow):
 *	{"type":"TYPE","time":MS,"door":"NAME","person":"NAME"|null,...}
 *	type	granted, denied, pending, visit, uncertain, alarm, door,
 *		pass, person, config, sighting (PROTO_EVENTS below); a line with "type" and
 *		no "ok" is an event. Events carry no id.
 *	time	milliseconds since the Unix epoch (integer)
 *	door	the agent's door name
 *	person	the person's name, or null (unknown visitor, no person)
 *	...	other keys per type (score, reason, visit, pass, ...)
 *
 * Handshake: the first request must be "hello" with args
 * {"version":PROTO_VERSION,"client":"NAME VERSION"}; anything else first is
 * refused with "bad-request". The reply's result is
 *	{"version":N,"agent":"NAME VERSION","role":"kiosk"|"viewer"|"guard"|"admin",
 *	 "door":"NAME"}
 * On a version mismatch the agent replies with error code "version"
 * (message naming both versions) and closes the connection.
 *
 * Roles: kiosk < viewer < guard < admin. The agent maps the peer (SO_PEERCRED uid,
 * or the SSH user through dial-stdio) to a role; a command whose min_role
 * is above it is refused with "permission-denied".
 */
#ifndef PROTOCOL_H
#define PROTOCOL_H

#include <stddef.h>
#include <stdint.h>

#include <cJSON.h>

#define PROTO_VERSION		1

/*
 * The longest request line, not counting '\n'. Photos travel as paths on
 * the agent's host, or as base64 JPEG for a console elsewhere: a face crop
 * or a 640x480 frame is 30 to 150 KB of JPEG, 40 to 200 KB in base64, so
 * 1 MiB carries an enrolment of a handful of photos while keeping what one
 * peer can make the agent hold (limit + a read chunk per connection) small.
 */
#define PROTO_LINE_MAX		(1024 * 1024)
/*
 * The longest reply or event line the console accepts: "pending" and
 * "people" lists may carry base64 thumbnails, so replies get more room.
 */
#define PROTO_REPLY_LINE_MAX	(16 * 1024 * 1024)
/*
 * The deepest nesting of objects and arrays in any message (the top-level
 * object is depth 1). Requests need 3 ({"args":{"photos":[...]}}), replies
 * about 5; 16 leaves room and keeps cJSON's recursion shallow. It is
 * checked on the raw bytes before cJSON parses anything.
 */
#define PROTO_DEPTH_MAX		16
/* The largest request id: every id is exact in a double (JavaScript). */
#define PROTO_ID_MAX		((int64_t)9007199254740991)	/* 2^53-1 */

/* Roles, in increasing power. */
enum proto_role {
	PROTO_ROLE_KIOSK,	/* the door's own screen: what it sees, visitors */
	PROTO_ROLE_VIEWER,	/* status, lists, events */
	PROTO_ROLE_GUARD,	/* approve, deny, enroll, revoke passes */
	PROTO_ROLE_ADMIN,	/* people, door open, config */
};

/* Error codes: X(enum, "wire name"). Stable: scripts match the names. */
#define PROTO_ERRORS(X)							\
	X(PROTO_ERR_BAD_REQUEST, "bad-request")	/* malformed, bad args */ \
	X(PROTO_ERR_UNKNOWN_COMMAND, "unknown-command")			\
	X(PROTO_ERR_PERMISSION_DENIED, "permission-denied") /* role */	\
	X(PROTO_ERR_NOT_FOUND, "not-found")	/* no such visit/person */ \
	X(PROTO_ERR_CONFLICT, "conflict")	/* already decided, exists */ \
	X(PROTO_ERR_TOO_LARGE, "too-large")	/* line over the limit */ \
	X(PROTO_ERR_VERSION, "version")		/* hello: version mismatch */ \
	X(PROTO_ERR_UNAVAILABLE, "unavailable")	/* door/camera/store busy */ \
	X(PROTO_ERR_INTERNAL, "internal")	/* the agent's fault */

enum proto_error {
	PROTO_OK = 0,
#define PROTO_X(e, s) e,
	PROTO_ERRORS(PROTO_X)
#undef PROTO_X
};

/* Event types: X(enum, "wire name"). */
#define PROTO_EVENTS(X)							\
	X(PROTO_EV_GRANTED, "granted")	/* door opened for a person/pass */ \
	X(PROTO_EV_DENIED, "denied")	/* refused: deny list, bad pass */ \
	X(PROTO_EV_PENDING, "pending")	/* unknown visitor waits: visit */ \
	X(PROTO_EV_VISIT, "visit")	/* a guard decided a visit */	\
	X(PROTO_EV_UNCERTAIN, "uncertain") /* between the thresholds */	\
	X(PROTO_EV_ALARM, "alarm")	/* deny list, forced/held open */ \
	X(PROTO_EV_DOOR, "door")	/* contact/relay state: state */ \
	X(PROTO_EV_PASS, "pass")	/* issued or revoked: pass */	\
	X(PROTO_EV_PERSON, "person")	/* added, removed, forgotten */	\
	X(PROTO_EV_CONFIG, "config")	/* reloaded */			\
	X(PROTO_EV_OTP, "otp")		/* a one-time code was sent */	\
	X(PROTO_EV_ACK, "ack")		/* a guard acknowledged an alarm */ \
	X(PROTO_EV_SIGHTING, "sighting") /* a face's quality changed */

/* Argument value types (commands.def CMD_ARG). */
enum proto_arg_type {
	PROTO_ARG_STRING,	/* JSON string */
	PROTO_ARG_INT,		/* JSON integer 0 .. 2^53-1 */
	PROTO_ARG_BOOL,		/* JSON true or false */
	PROTO_ARG_STRINGS,	/* JSON array of 1 .. PROTO_ARRAY_MAX strings */
};
#define PROTO_ARRAY_MAX		64

#define PROTO_REQUIRED		1
#define PROTO_OPTIONAL		0

/* Command ids, from commands.def. */
enum proto_cmd {
#define CMD(id, name, role, usage, summary) PROTO_CMD_##id,
#define CMD_ARG(cmd, key, type, required, option)
#include "commands.def"
#undef CMD
#undef CMD_ARG
	PROTO_NCOMMANDS
};

/* One argument of a command: its JSON key and the console's option. */
struct proto_arg {
	enum proto_cmd		 cmd;
	const char		*key;
	enum proto_arg_type	 type;
	int			 required;
	const char		*option;	/* "--name", or "" positional */
};

/* One command of the table. */
struct proto_command {
	enum proto_cmd		 id;
	const char		*name;		/* "people add" */
	enum proto_role		 min_role;
	const char		*usage;		/* console arguments */
	const char		*summary;
};

/* A parsed request; root owns everything, the rest is borrowed from it. */
struct proto_request {
	int64_t				 id;	/* -1 if not readable */
	const struct proto_command	*cmd;	/* NULL unless parsed */
	cJSON				*root;
	cJSON				*args;	/* an object, never NULL */
};

enum proto_reply_kind {
	PROTO_REPLY,
	PROTO_EVENT,
};

/* A parsed reply or event; root owns it, the rest is borrowed from it. */
struct proto_reply {
	enum proto_reply_kind	 kind;
	cJSON			*root;
	/* PROTO_REPLY */
	int64_t			 id;		/* -1 if absent */
	int			 ok;
	cJSON			*result;	/* ok: an object */
	enum proto_error	 code;		/* !ok */
	const char		*message;	/* !ok */
	/* PROTO_EVENT */
	const char		*type;
	int64_t			 time;
	const char		*door;
	const char		*person;	/* NULL for null */
};

/* proto.c */
const char	*proto_error_name(enum proto_error);
int		 proto_error_from_name(const char *, enum proto_error *);
const char	*proto_role_name(enum proto_role);
int		 proto_role_from_name(const char *, enum proto_role *);
/* The command of that exact name, or NULL. */
const struct proto_command *proto_command_find(const char *);
/* The command at index I (0 .. PROTO_NCOMMANDS-1), or NULL. */
const struct proto_command *proto_command_at(size_t);
/* The longest command whose words open WORDS; *USED gets its word count. */
const struct proto_command *proto_command_match(const char *const *,
		    size_t, size_t *);
/* The argument at index I of a command, or NULL past its last. */
const struct proto_arg *proto_command_arg(const struct proto_command *,
		    size_t);
int		 proto_role_allows(enum proto_role,
		    const struct proto_command *);
int		 proto_parse_request(const char *, size_t,
		    struct proto_request *, enum proto_error *, char **);
void		 proto_request_clear(struct proto_request *);
int		 proto_parse_reply(const char *, size_t, struct proto_reply *,
		    char **);
void		 proto_reply_clear(struct proto_reply *);
/* Builders: a malloc'd single line without '\n'; a cJSON given is consumed. */
char		*proto_request(int64_t, const char *, cJSON *);
char		*proto_reply_ok(int64_t, cJSON *);
char		*proto_reply_error(int64_t, enum proto_error, const char *, ...)
		    __attribute__((format(printf, 3, 4)));
char		*proto_event(const char *, int64_t, const char *,
		    const char *, cJSON *);

#endif
