/*
 * The interactive console (gatehouse.1 INTERACTIVE CONSOLE): one ncurses
 * screen over the agents of one or more doors.
 *
 * One poll(2) loop (shared/loop.h) watches the terminal, each agent's
 * connection and the signals (SIGWINCH, SIGTERM, SIGHUP, SIGINT, through
 * the loop's self-pipe). Nothing is drawn on a timer: the screen is drawn
 * again before the loop sleeps when a key, an event, a reply or a resize
 * changed something (or, once a second, when it shows an age or a
 * countdown), and curses sends only the cells that differ.
 *
 * Each agent has one connection: after hello the console asks for
 * "status", "people", "pending", "events" with follow and "alarms", and
 * keeps using the same connection for requests; the events that arrive
 * while a request waits are queued by the client (client.h) and handled
 * before the loop sleeps. A connection that fails is opened again after
 * 1 s, 2 s, 4 s ... up to 30 s.
 *
 * Every key is a row of one table (tui_key_at): its context, the text the
 * help screen and gatehouse.1 show, and its handler.
 *
 * Alarms: every door's unacknowledged alarms (its "alarms") are kept, and
 * the newest of all is a banner at the foot of every screen but the
 * alarms page, which the screens are laid out above, until a guard
 * acknowledges it ("ack", here or at any other console: its "ack" event
 * takes it away).
 *
 * Files: tui.c (the loop and the keys table), tui-act.c (what the keys
 * do), tui-agent.c (the connections and what the agents said), tui-draw.c
 * (the screens), tui-form.c (dialogs: forms, pickers, questions, notes),
 * tui-term.c (curses: start and end, styles, text, keys).
 */
#ifndef TUI_H
#define TUI_H

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>
#include <wchar.h>

#include <cJSON.h>

#include "conf.h"
#include "protocol.h"
#include "render.h"

struct client;
struct loop;

/*
 * Runs the interactive console on the terminal over the doors of CONF
 * until the user quits or a signal (SIGTERM, SIGHUP, SIGINT) ends it; the
 * terminal is restored on every way out, a fatal error's too. Returns the
 * exit status: 0, or 1 with *CAUSE when the terminal cannot be used.
 */
int	 tui_main(const struct conf *, char **cause);

/*
 * The transport of SSH doors, set before tui_main() by a build that has
 * one; while tui_ssh is NULL such a door shows "ssh: not supported by this
 * build". OPEN makes a session with the agent of DOOR (its address, user,
 * host and port), as client_connect_unix() does for a socket, and sets
 * *LINK to what CLOSE ends once the client is freed; NULL with *CAUSE on
 * failure. OPEN may block, as connecting to a socket does.
 */
struct tui_ssh {
	struct client	*(*open)(const struct conf_door *door, void **link,
			    char **cause);
	void		 (*close)(void *link);
};
extern const struct tui_ssh *tui_ssh;

/*
 * Asks the guard, over the console's screen, whether to trust the SSH host
 * key FINGERPRINT of HOST, which known_hosts does not know (ssh.h's ask).
 * Blocks until y (1) or n, Escape or a minute without an answer (0).
 */
int	 tui_ask_host_key(const char *host, const char *fingerprint,
	     void *arg);

/* Where a key works: a mix of these. */
#define TUI_CTX_ANY	0x001	/* every screen, not in a dialog */
#define TUI_CTX_MAIN	0x002	/* the main screen */
#define TUI_CTX_VISIT	0x004	/* a visitor's page */
#define TUI_CTX_LIST	0x008	/* people, log, outbox, alarms, help pages */
#define TUI_CTX_LOG	0x010	/* the event log */
#define TUI_CTX_FORM	0x020	/* a form */
#define TUI_CTX_PICK	0x040	/* a list to choose from */
#define TUI_CTX_CONFIRM	0x080	/* a yes or no question */
#define TUI_CTX_NOTE	0x100	/* a result to read */
#define TUI_CTX_OUTBOX	0x200	/* the outbox */
#define TUI_CTX_ALARMS	0x400	/* the alarms page */
#define TUI_CTX_DIALOGS	\
	(TUI_CTX_FORM|TUI_CTX_PICK|TUI_CTX_CONFIRM|TUI_CTX_NOTE)

/*
 * Key codes: a character is its code point; a curses function key
 * (KEY_UP, ...) is TUI_FKEY(KEY_UP), above every code point.
 */
#define TUI_FKEY(k)	(0x1000000 | (k))
#define TUI_CTRL(c)	((c) & 0x1f)
#define TUI_ESC		0x1b

struct tui;
typedef void	 tui_key_fn(struct tui *, int arg);

/* One row of the keys table. */
struct tui_key {
	const char	*label;		/* "Down, j": help and gatehouse.1 */
	int		 codes[3];	/* the key codes, 0 after the last */
	int		 ctx;		/* TUI_CTX_* */
	const char	*hint;		/* its word on the key bar, or NULL */
	const char	*description;
	tui_key_fn	*fn;
	int		 arg;
};

/* The row at index I of the keys table, or NULL past its end. */
const struct tui_key *tui_key_at(size_t);
/* The contexts of KEY as the help shows them: "main, visit" (static). */
const char	*tui_key_where(const struct tui_key *);

/* What a console keeps of the event log: the newest events. */
#define TUI_LOG_MAX	2000
/* The longest text typed into a field, in characters. */
#define TUI_FIELD_MAX	200
#define TUI_FIELDS_MAX	6
/*
 * How long the camera's word on a face shows: there is no event when the
 * face goes, and tracks end within seconds of it.
 */
#define TUI_SIGHTING_MS	10000
/* Reconnection: the first wait and the longest, in milliseconds. */
#define TUI_BACKOFF_MIN	1000
#define TUI_BACKOFF_MAX	30000

enum tui_agent_state {
	TUI_AGENT_IDLE,		/* not tried yet */
	TUI_AGENT_UP,		/* connected and following events */
	TUI_AGENT_RETRY,	/* failed; tries again at retry_at */
	TUI_AGENT_UNSUPPORTED,	/* an SSH door without SSH */
};

/* A visitor waiting at a door, from the agent's "pending". */
struct tui_visit {
	struct tui_agent	*agent;
	int64_t			 id;
	int64_t			 first_seen;	/* ms since the epoch */
	int64_t			 last_seen;
	int			 seen;
	char			*name;		/* or NULL */
	char			*email;		/* or NULL */
};

/*
 * An alarm of a door, from its "alarms": one still waiting for a guard
 * (the banner), or any on the alarms page.
 */
struct tui_alarm {
	struct tui_agent	*agent;
	int64_t			 id;		/* the alarm's event id */
	int64_t			 time;		/* ms since the epoch */
	char			*kind;		/* "forced", "deny-list", ... */
	char			*reason;	/* or NULL */
	char			*person;	/* or NULL */
	char			*acked_by;	/* NULL while it waits */
	int64_t			 acked_at;
	char			*note;		/* or NULL */
	uint8_t			*photo;		/* a JPEG, or NULL */
	size_t			 photo_len;
};

/* One door's agent and the connection to it. */
struct tui_agent {
	struct tui		*tui;
	const struct conf_door	*door;
	char			*name;		/* as shown */
	enum tui_agent_state	 state;
	struct client		*client;
	void			*link;		/* tui_ssh's */
	enum proto_role		 role;
	char			*agent;		/* "gatehouse-agent 0.1" */
	char			*error;		/* why the last try failed */
	int64_t			 backoff_ms;
	int64_t			 retry_at;	/* loop_now_ms() */
	int64_t			 up_since;
	uint64_t		 timer;

	cJSON			*status;	/* the last "status" result */
	cJSON			*people;	/* the last "people" list */
	struct tui_visit	*visits;	/* the last "pending" */
	size_t			 nvisits;
	struct tui_alarm	*alarms;	/* the last "alarms": waiting */
	size_t			 nalarms;
	int64_t			 last_event;	/* highest "event" id seen */
	char			*sighting;	/* the camera's last word */
	int64_t			 sighting_at;	/* loop_now_ms() */
	int			 stale_pending;
	int			 stale_status;
	int			 stale_people;
	int			 stale_alarms;
};

/* An event kept for the log and the recent decisions. */
struct tui_entry {
	struct tui_agent	*agent;
	cJSON			*ev;		/* owned */
	int64_t			 time;
	const char		*type;		/* in ev */
	char			*line;		/* the log's text */
};

enum tui_screen {
	TUI_SCREEN_MAIN,
	TUI_SCREEN_VISIT,
	TUI_SCREEN_PEOPLE,
	TUI_SCREEN_LOG,
	TUI_SCREEN_HELP,
	TUI_SCREEN_OUTBOX,
	TUI_SCREEN_ALARMS,
};

/* A row of an agent's outbox (a notification), from its "outbox". */
struct tui_outbox_row {
	struct tui_agent	*agent;
	cJSON			*row;		/* owned */
};

/* A visitor's page: the "visit" result and its photos. */
struct tui_detail {
	struct tui_agent	*agent;
	int64_t			 id;
	cJSON			*visit;
	uint8_t			**photos;	/* decoded JPEGs */
	size_t			*sizes;
	size_t			 nphotos;
	size_t			 index;		/* the photo shown */
	struct render_grid	*grid;		/* index's at grid_w x grid_h */
	size_t			 grid_index;
	int			 grid_w;
	int			 grid_h;
	char			*grid_error;
	int			 stale;
};

enum tui_modal_kind {
	TUI_MODAL_FORM,
	TUI_MODAL_PICK,
	TUI_MODAL_CONFIRM,
	TUI_MODAL_NOTE,
};

/* Field flags. */
#define TUI_FIELD_REQUIRED	0x1
#define TUI_FIELD_EMAIL		0x2
#define TUI_FIELD_DURATION	0x4

/* A line of text being typed. */
struct tui_field {
	const char	*label;
	int		 flags;
	wchar_t		 text[TUI_FIELD_MAX + 1];
	size_t		 len;
	size_t		 cur;
};

/* What the dialog keys do (tui_modal_key). */
enum tui_form_action {
	TUI_FORM_NEXT,		/* the next field or item */
	TUI_FORM_PREV,
	TUI_FORM_ENTER,		/* next field, submit, choose, close */
	TUI_FORM_CANCEL,
	TUI_FORM_LEFT,		/* the cursor in a field */
	TUI_FORM_RIGHT,
	TUI_FORM_ERASE,		/* the character before the cursor */
	TUI_FORM_KILL,		/* the whole field */
	TUI_FORM_YES,
	TUI_FORM_NO,
};

struct tui_modal;
/* Called when a dialog is answered (not when it is cancelled). */
typedef void	 tui_modal_fn(struct tui *, struct tui_modal *);

/*
 * A dialog over the screen. A form's fields are typed; a picker chooses
 * one of ITEMS, narrowed by what is typed into FILTER; a question is
 * answered y or n; a note (a result, maybe with a QR code) is read and
 * closed.
 */
struct tui_modal {
	enum tui_modal_kind	 kind;
	char			*title;
	char			*text;		/* question or note, '\n's */
	char			*error;		/* what is wrong with a form */
	struct tui_field	 fields[TUI_FIELDS_MAX];
	size_t			 nfields;
	size_t			 field;		/* with the cursor */
	char			**items;	/* picker: malloc'd */
	int64_t			*ids;		/* picker: what they are */
	size_t			 nitems;
	size_t			 sel;		/* among the matching items */
	struct tui_field	 filter;
	struct render_grid	*qr;		/* note: a pass's code */
	tui_modal_fn		*done;
	/* What the dialog acts on. */
	struct tui_agent	*agent;
	int64_t			 visit;
	int			 flags;
	int64_t			 alarm;		/* an alarm's id, or 0 */
	char			*saved;		/* a value from a step before */
};

/* The photo of the banner's alarm, made for one alarm at one size. */
struct tui_banner {
	struct tui_agent	*agent;
	int64_t			 id;
	int			 w;
	int			 h;
	struct render_grid	*grid;
	char			*error;
};

struct tui {
	struct loop		*loop;
	struct tui_agent	*agents;
	size_t			 nagents;
	int			 quit;
	int			 dirty;
	int			 drawing;	/* curses is on */
	enum render_mode	 mode;

	/* Every agent's visitors, newest first (tui_pending_sort). */
	struct tui_visit	**pending;
	size_t			 npending;
	struct tui_agent	*sel_agent;	/* the selected visitor */
	int64_t			 sel_visit;
	size_t			 pending_top;	/* first row shown */

	struct tui_entry	*log;		/* oldest first */
	size_t			 nlog;

	enum tui_screen		 screen;
	struct tui_detail	 detail;
	char			**lines;	/* people and help pages */
	size_t			 nlines;
	char			*header;	/* their column names */
	enum tui_screen		 help_from;	/* back from help to */
	size_t			 top;		/* first row of a page */
	size_t			 cursor;	/* log, outbox: row selected */
	char			*search;

	/* The outbox page: the failed rows, then the queued ones. */
	struct tui_outbox_row	*outbox;
	size_t			 noutbox;
	size_t			 outbox_unread;	/* doors it could not read */

	/* Every door's waiting alarms, newest first: the banner's is [0]. */
	struct tui_alarm	**alarms;
	size_t			 nalarms;
	struct tui_banner	 banner;
	/* The alarms page: the waiting ones, then those acknowledged. */
	struct tui_alarm	*alarm_rows;	/* owned copies */
	size_t			 nalarm_rows;
	size_t			 alarm_unread;	/* doors it could not read */
	int			 alarm_rows_stale;

	struct tui_modal	*modal;
	char			*message;
	int			 message_bad;
};

/* tui.c */
void		 tui_message(struct tui *, int bad, const char *, ...)
		     __attribute__((format(printf, 3, 4)));
const char	*tui_hints(struct tui *, char *, size_t);

/* tui-act.c */
tui_key_fn	 tui_key_move, tui_key_open, tui_key_approve, tui_key_deny;
tui_key_fn	 tui_key_enroll, tui_key_people, tui_key_log, tui_key_door;
tui_key_fn	 tui_key_photo, tui_key_back, tui_key_search, tui_key_next;
tui_key_fn	 tui_key_help, tui_key_outbox, tui_key_retry;
tui_key_fn	 tui_key_alarms, tui_key_ack;
int		 tui_detail_open(struct tui *, struct tui_agent *, int64_t);
void		 tui_main_screen(struct tui *);
void		 tui_alarms_read(struct tui *);

/* tui-agent.c */
void		 tui_agent_init(struct tui *, struct tui_agent *,
		     const struct conf_door *);
void		 tui_agent_free(struct tui_agent *);
void		 tui_agent_start(struct tui_agent *);
int		 tui_agent_call(struct tui_agent *, const char *cmd,
		     cJSON *args, struct proto_reply *);
void		 tui_agent_work(struct tui *);
const char	*tui_agent_door_state(struct tui_agent *);
const char	*tui_person_name(struct tui_agent *, int64_t, char *,
		     size_t);
struct tui_visit *tui_visit_find(struct tui *, struct tui_agent *,
		     int64_t);
int		 tui_alarm_parse(struct tui_agent *, const cJSON *,
		     struct tui_alarm *);
void		 tui_alarm_clear(struct tui_alarm *);
void		 tui_alarm_gone(struct tui_agent *, int64_t);
void		 tui_log_clear(struct tui *);
int		 tui_decision(const struct tui_entry *);
int		 tui_log_match(const struct tui_entry *, const char *);

/* tui-draw.c */
void		 tui_draw(struct tui *);
int		 tui_draw_timed(struct tui *);
void		 tui_detail_clear(struct tui_detail *);
size_t		 tui_page_rows(struct tui *);
int		 tui_banner_rows(struct tui *);
void		 tui_banner_clear(struct tui_banner *);

/* tui-form.c */
struct tui_modal *tui_form_new(const char *title, tui_modal_fn *);
void		 tui_form_field(struct tui_modal *, const char *label,
		     int flags, const char *value);
char		*tui_form_value(struct tui_modal *, size_t);
struct tui_modal *tui_pick_new(const char *title, char **items, size_t,
		     tui_modal_fn *);
ssize_t		 tui_pick_index(struct tui_modal *);
struct tui_modal *tui_confirm_new(const char *title, const char *text,
		     tui_modal_fn *);
struct tui_modal *tui_note_new(const char *title, const char *text);
void		 tui_modal_open(struct tui *, struct tui_modal *);
void		 tui_modal_free(struct tui_modal *);
void		 tui_modal_key(struct tui *, int action);
void		 tui_modal_input(struct tui *, int key);
void		 tui_modal_draw(struct tui *);

/* tui-term.c */
enum tui_style {
	TUI_STYLE_NORMAL,
	TUI_STYLE_TITLE,	/* the top line */
	TUI_STYLE_HEADER,	/* a section's name */
	TUI_STYLE_SELECTED,	/* the row under the cursor */
	TUI_STYLE_OK,		/* connected, granted */
	TUI_STYLE_WARN,		/* pending, uncertain, reconnecting */
	TUI_STYLE_BAD,		/* denied, alarms, errors */
	TUI_STYLE_DIM,		/* what is old or offline */
	TUI_STYLE_KEY,		/* a key on the key bar */
	TUI_STYLE_FIELD,	/* a form's input */
	TUI_STYLE_ALARM,	/* the alarm banner: white on red, or reverse */
	TUI_NSTYLES
};
int		 tui_term_start(char **cause);
void		 tui_term_end(void);
void		 tui_term_begin(void);
void		 tui_term_resize(void);
int		 tui_term_key(void);
int		 tui_term_put(int y, int x, int width, enum tui_style,
		     const char *);
int		 tui_term_printf(int y, int x, int width, enum tui_style,
		     const char *, ...) __attribute__((format(printf, 5, 6)));
int		 tui_term_wput(int y, int x, int width, enum tui_style,
		     const wchar_t *, size_t);
void		 tui_term_fill(int y, int x, int width, enum tui_style);
void		 tui_term_box(int y, int x, int h, int w);

#endif
