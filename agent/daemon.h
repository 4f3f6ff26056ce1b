/*
 * The agent's main process: one single-threaded poll loop that owns the
 * store, the decisions, the control socket and the children (the vision
 * worker, the door keeper and the speaker). Nothing here parses a camera
 * frame or a photo: the worker does, and main only checks its messages.
 *
 *	daemon.c	start, reload, stop, children, events, the door
 *	sighting.c	the worker's observations: tracks, decisions, visits
 *	access.c	what is shown at the door besides a face: QR passes,
 *			PINs, one-time codes; rate limits and lockouts
 *	notify.c	the outbox rows of events, passes and codes
 *	handlers.c	the control socket's commands
 *	speaker.c	the speaker child (PortAudio blocks while it plays)
 */
#ifndef DAEMON_H
#define DAEMON_H

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>

#include <cJSON.h>

#include "config.h"
#include "decide.h"
#include "liveness.h"
#include "pass.h"
#include "store.h"
#include "worker.h"

struct control;
struct control_peer;
struct gallery;
struct line_in;
struct line_out;
struct loop;
struct outbox;
struct pass_keyring;
struct ratelimit;
struct proto_request;

#define AGENT_NAME		"gatehouse-agent"
#define AGENT_VERSION		"0.3"

/* Photos kept per track for its visit (the best first). */
#define AGENT_TRACK_PHOTOS	5
/* QR texts remembered, to know a code still held up (access.c). */
#define AGENT_CODES		8
/* One-time codes outstanding at once (face+otp). */
#define AGENT_OTPS		16

/* An enrolled person as the decisions need them. */
struct agent_person {
	int64_t	 id;
	char	*name;		/* NULL once forgotten */
	int	 deny_listed;
	int	 removed;
};

/* A photo of a track: the worker's JPEG crop and its descriptor. */
struct agent_photo {
	uint8_t	*jpeg;
	size_t	 len;
	int64_t	 time_ms;
	double	 score;		/* quality score, to rank */
	int	 has_desc;
	float	 desc[STORE_DESCRIPTOR];
};

/* Main's side of one of the worker's tracks. */
struct agent_track {
	uint64_t		 id;
	int64_t			 first_ms;	/* CLOCK_MONOTONIC */
	int64_t			 last_ms;
	struct decider		*decider;
	enum decide_verdict	 verdict;	/* DECIDE_NONE until final */
	char			 quality[16];	/* the last quality word sent */
	int64_t			 visit_id;	/* once it made or joined one */

	/* The nearest person over the track, for uncertain visits. */
	int64_t			 nearest;
	double			 nearest_distance;

	/*
	 * The pass fed to the decider (its QR code, or the pass of a PIN),
	 * consumed by the grant it leads to; "" if none. OTP_PERSON: the
	 * person a one-time code was sent to for this track (0 if none).
	 */
	char			 pass[STORE_PASS_ID_LEN + 1];
	const char		*pass_via;	/* "qr" or "pin" */
	int64_t			 otp_person;

	struct liveness		 live;		/* liveness.h */
	int			 loitered;	/* its alarm was raised */

	struct agent_photo	 photos[AGENT_TRACK_PHOTOS];
	int			 nphotos;

	struct agent_track	*next;
};

/* A child process and its restart backoff. */
struct agent_child {
	const char	*name;
	pid_t		 pid;		/* -1 when not running */
	int		 fd;		/* -1 when not running */
	int64_t		 started_ms;
	int64_t		 backoff_ms;	/* before the next restart */
	uint64_t	 timer;		/* restart timer, 0 if none */
	unsigned	 restarts;
};

/* A "people add" waiting for the worker's answers. */
struct agent_enroll {
	uint64_t		 peer;
	int64_t			 request;
	char			*name;
	char			*who;		/* who asked, for the log */
	int			 nphotos;
	int			 answered;
	uint64_t		 first_req;	/* worker request ids */
	struct worker_enroll_result *results;
	char			**labels;	/* what each photo was called */
	struct agent_enroll	*next;
};

/* A QR text seen lately: the same code again soon is the same showing. */
struct agent_code {
	char		*text;
	int64_t		 last_ms;	/* CLOCK_MONOTONIC */
};

/* A verified pass waiting for a face (qr+face, no track yet). */
struct agent_held {
	char		 pass[STORE_PASS_ID_LEN + 1];	/* "" if none */
	int64_t		 holder;	/* DECIDE_NOBODY: a visitor */
	int64_t		 until_ms;	/* CLOCK_MONOTONIC */
};

/* A one-time code sent at a face+otp door, kept only in memory. */
struct agent_otp {
	int64_t		 person;	/* 0: a free slot */
	char		 code[16];
	int64_t		 until_ms;	/* CLOCK_MONOTONIC */
	uint64_t	 track;
};

struct agent {
	struct loop		*loop;
	char			*conf_path;
	struct config		 conf;
	int64_t			 started_ms;
	int			 stopping;

	struct store		*store;
	struct pass_keyring	*keyring;	/* signs passes (DATA_DIR/keys) */
	struct gallery		*gallery;
	struct agent_person	*people;	/* by id */
	size_t			 npeople;
	struct decide_params	 decide;

	struct control		*control;
	struct outbox		*outbox;	/* NULL if it could not start */

	/* access.c */
	struct ratelimit	*limits;
	struct agent_code	 codes[AGENT_CODES];
	struct agent_held	 held;
	struct agent_otp	 otps[AGENT_OTPS];

	/* The door keeper, and the door as it last told. */
	struct agent_child	 keeper;
	struct line_in		*keeper_in;
	struct line_out		*keeper_out;
	int			 relay;		/* energised */
	int			 contact;	/* 1 open, 0 closed, -1 unknown */
	int64_t			 pulse_end_ms;	/* when the last pulse ends */
	uint64_t		 held_timer;

	/* The speaker. */
	struct agent_child	 speaker;
	struct line_out		*speaker_out;

	/* The vision worker. */
	struct agent_child	 worker;
	struct worker_reader	*worker_in;
	struct worker_writer	*worker_out;
	int			 worker_ready;
	int			 camera_ended;
	struct worker_stats	 stats;
	uint64_t		 frames_total;	/* since the agent started */
	uint64_t		 dropped_total;
	uint64_t		 frames_base;	/* of the workers before */
	uint64_t		 dropped_base;
	uint64_t		 next_worker_req;

	struct agent_track	*tracks;
	struct agent_enroll	*enrolls;

	/*
	 * The entry under way (sighting.c: tailgating): the track let in
	 * (0 until known, for a pass shown without a face), until when
	 * others count as following it (CLOCK_MONOTONIC), and whether the
	 * alarm was raised.
	 */
	uint64_t		 entry_track;
	int64_t			 entry_until_ms;
	int			 entry_alarmed;
	char			 entry_photo[STORE_HASH_LEN + 1];
};

/* daemon.c */
int	 agent_run(const char *conf_path);
/* Reloads people and the gallery from the store. */
int	 agent_people_load(struct agent *, char **cause);
const struct agent_person *agent_person(const struct agent *, int64_t id);
/* Enrolled people recognised now: not removed, forgotten or deny-listed. */
size_t	 agent_people_active(const struct agent *);
/* Wall-clock ms for a CLOCK_MONOTONIC time. */
int64_t	 agent_wall_ms(int64_t mono_ms);
/*
 * Appends an event (DETAILS consumed, may be NULL) to the store with the
 * notifications it causes (notify.c) and sends it to the consoles that
 * follow events. Returns 0 and its id, or -1.
 */
int	 agent_event(struct agent *, const char *type, int64_t time,
	     int64_t person_id, int64_t visit_id, cJSON *details,
	     int64_t *id);
/*
 * As agent_event, with the outbox rows NR (freed) besides those the event
 * causes: all are stored or none.
 */
struct notify_rows;
int	 agent_event_rows(struct agent *, const char *type, int64_t time,
	     int64_t person_id, cJSON *details, struct notify_rows *nr);
/* The outbox has new rows (committed): it looks for them soon. */
void	 agent_outbox_kick(struct agent *);
/* Sends an event already in the store (store_event_append'ed elsewhere). */
void	 agent_event_sent(struct agent *, const struct store_event *,
	     int64_t id);
/* The protocol form of a stored event (malloc'd JSON object). */
cJSON	*agent_event_json(struct agent *, const struct store_event *);
/* Releases the door for MS milliseconds. */
int	 agent_door_pulse(struct agent *, int64_t ms, char **cause);
/* Speaks TEXT as PROMPT (never blocks; dropped if the speaker lags). */
void	 agent_say(struct agent *, const char *prompt, const char *text);
/* Sends a message to the worker; -1 if it is not running. */
int	 agent_worker_send(struct agent *, const struct worker_msg *);
/*
 * An alarm: an event "alarm" of KIND with DETAILS (consumed, may be NULL);
 * a deny-listed face, tailgating and a forced door also sound voice_alarm.
 */
void	 agent_alarm(struct agent *, const char *kind, cJSON *details);
/*
 * Lets IDENTITY (DECIDE_NOBODY: a visitor) in at TIME_MS (CLOCK_MONOTONIC)
 * for REASON: the event "granted" (DETAILS consumed; may be NULL) is
 * committed, consuming a use of pass PASS when not NULL or "" in the same
 * transaction, then the door is pulsed and the person welcomed. Returns 0,
 * or -1 with *WHY: PASS_REPLAY or PASS_REVOKED (the pass could not be
 * used: nothing was recorded but the caller's refusal), PASS_OK for a
 * store error.
 */
int	 agent_grant(struct agent *, int64_t identity, const char *reason,
	     int64_t time_ms, const char *pass, cJSON *details,
	     enum pass_refusal *why);

/* sighting.c */
void	 sighting_message(struct agent *, struct worker_msg *);
/*
 * Acts on the final verdict the track's decider just made. Returns 0, or
 * -1 if a grant could not use its pass (*WHY, see agent_grant).
 */
int	 sighting_verdict(struct agent *, struct agent_track *,
	     enum pass_refusal *why);
/* The live track seen last that has no verdict yet, or NULL. */
struct agent_track *sighting_current(struct agent *);

/* access.c */
void	 access_init(struct agent *);
void	 access_free(struct agent *);
/* A QR code the worker decoded. */
void	 access_code(struct agent *, const struct worker_code *);
/*
 * A PIN or one-time code typed at the kiosk. *RESULT is "granted" or
 * "refused", *REASON its word (PROTOCOL 4.23), *PERSON who was let in
 * (0 if nobody or a visitor). Returns 0, or -1 if INPUT is not a PIN.
 */
int	 access_pin(struct agent *, const char *input, const char **result,
	     const char **reason, int64_t *person);
/* A track was denied or uncertain: a failure at the door. */
void	 access_track_failed(struct agent *);
/* A new track: a held pass goes to it. */
void	 access_track_new(struct agent *, struct agent_track *);
/* After each descriptor of track T: face+otp sends the code once. */
void	 access_track_face(struct agent *, struct agent_track *);
/* Ends every track (worker gone, shutdown): their last chance to decide. */
void	 sighting_end_all(struct agent *, int64_t now_ms);
void	 sighting_free_all(struct agent *);

/* handlers.c */
void	 handlers_request(struct control *, const struct control_peer *,
	     const struct proto_request *, void *);
void	 handlers_enroll_result(struct agent *,
	     struct worker_enroll_result *);
/* The worker went away: every waiting enrolment fails. */
void	 handlers_enroll_abort(struct agent *, const char *why);

/* speaker.c */
/* Forks the speaker on the voice SPEC; its pid, and its input in *FD. */
pid_t	 speaker_spawn(const char *spec, int *fd, char **cause);
/* A line for the speaker: "PROMPT TEXT" with TEXT on one line. */
char	*speaker_line(const char *prompt, const char *text);

#endif
