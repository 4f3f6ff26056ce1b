/*
 * The agent's store: one SQLite database, DATA_DIR/gatehouse.db (WAL,
 * synchronous=FULL so a committed event survives power loss, foreign keys
 * on), and the photos beside it as content-addressed JPEG files,
 * DATA_DIR/photos/AB/HASH.jpg where HASH is the SHA-256 of the bytes in
 * lowercase hex and AB its first two characters.
 *
 * Events are hash-chained (store.c documents the exact serialization): each
 * row holds the hash of the one before, and the table "chain" holds the
 * anchor (the id and hash the oldest remaining event chains from: 0 and 64
 * '0's until events expire) and the head (the id and hash of the newest
 * event). An edited, deleted, reordered or truncated log is therefore found
 * by store_verify_log. Someone able to rewrite every row from the edit on
 * and the head as well is not: publish the head hash off the box for that.
 *
 * Events carry no personal data, only ids (of people and visits) and
 * compact JSON details. So store_forget_person can erase a person (their
 * templates, the photos and descriptors of their visits, their photo files
 * unless another row still uses them, the personal fields of their people
 * row and of their visits, their outbox rows) and the chain still verifies.
 *
 * A visit is one visitor at a door: an unknown face waits as a pending
 * visit until a guard approves or denies it, or it expires. It keeps its
 * best photo and descriptor (to know the face again while it waits) and the
 * photos of its track (visit photos), from which an approved visitor can be
 * enrolled. A photo file stays while a template, a visit or a visit photo
 * names it.
 *
 * Errors are -1 with a malloc'd *cause for a person to read.
 */
#ifndef STORE_H
#define STORE_H

#include <stddef.h>
#include <stdint.h>

#define STORE_DESCRIPTOR	128	/* FACE_DESCRIPTOR floats per template */
#define STORE_HASH_LEN		64	/* SHA-256 in lowercase hex */
#define STORE_PHOTO_MAX		(16 * 1024 * 1024)

struct store;

/* A row of people. Strings are malloc'd; store_person_clear frees them. */
struct store_person {
	int64_t	 id;
	char	*name;		/* NULL once forgotten */
	char	*email;		/* NULL if none or forgotten */
	char	*phone;		/* NULL if none or forgotten */
	int	 deny_listed;
	int64_t	 created;	/* ms since the epoch */
	int64_t	 forgotten;	/* ms since the epoch; 0 if not forgotten */
	int64_t	 removed;	/* ms since the epoch; 0 while active */
};

/*
 * A visit: one visitor at the door, pending until a guard decides. Strings
 * are malloc'd; store_visit_clear frees them.
 */
struct store_visit {
	int64_t	 id;
	char	 state[16];		/* "pending", "approved", "denied",
					   "expired" */
	char	*door;			/* NULL if none */
	int64_t	 person_id;		/* 0 if none */
	int64_t	 first_seen;		/* ms since the epoch */
	int64_t	 last_seen;
	int	 seen_count;
	char	 photo[STORE_HASH_LEN + 1];	/* best photo, "" if none */
	char	*name;			/* visitor's details, NULL if none */
	char	*email;
	char	*phone;
	char	*decided_by;		/* NULL while pending */
	int64_t	 decided_at;		/* 0 while pending */
	char	*reason;		/* NULL if none */
	int	 has_descriptor;
	float	 descriptor[STORE_DESCRIPTOR];	/* best, if has_descriptor */
};

/*
 * A pass as the store keeps it (agent/pass.h is what the signed token
 * says): its uses left, revocation and PIN hash live here only. Strings
 * are malloc'd in what the store returns; store_pass_clear frees them.
 */
#define STORE_PASS_ID_LEN	32	/* the pass id in lower case hex */
struct store_pass {
	char		 id[STORE_PASS_ID_LEN + 1];
	int64_t		 key_id;	/* the signing key */
	int64_t		 visit_id;	/* 0 if none */
	int64_t		 person_id;	/* 0 if none */
	char		*doors;		/* JSON array of door names */
	int64_t		 not_before;	/* ms since the epoch */
	int64_t		 expires;	/* ms since the epoch, > not_before */
	int		 uses;		/* entries left, >= 0 */
	char		*pin_hash;	/* NULL if none (or forgotten) */
	int64_t		 revoked;	/* ms since the epoch; 0 if not */
	int64_t		 created;	/* ms since the epoch (set by the store) */
	char		*person_name;	/* read only: NULL if none/forgotten */
};

/* How a guard decided a pending visit. */
struct store_decision {
	const char	*state;		/* "approved" or "denied" */
	const char	*by;		/* who, e.g. "uid 1000 (alice)" */
	const char	*reason;	/* may be NULL */
	const char	*name;		/* visitor's details, may be NULL */
	const char	*email;
	const char	*phone;
	int64_t		 person_id;	/* 0, or the visit's person from now */
	/*
	 * The pass issued with an approval, or NULL: stored in the
	 * decision's transaction (its visit_id is set to the visit's).
	 */
	const struct store_pass *pass;
};

/*
 * An event. To append, fill time to details; the store sets the rest. In
 * store_events_each the strings are borrowed for the callback only.
 */
struct store_event {
	int64_t		 id;
	int64_t		 time;		/* ms since the epoch */
	const char	*type;		/* "granted", "denied", "pending", ... */
	const char	*door;		/* NULL if not about a door */
	int64_t		 person_id;	/* 0 if none */
	int64_t		 visit_id;	/* 0 if none */
	const char	*details;	/* compact JSON, no personal data; NULL: {} */
	char		 prev_hash[STORE_HASH_LEN + 1];
	char		 hash[STORE_HASH_LEN + 1];
};

/*
 * A notification to queue with the event that caused it. A webhook's
 * payload {"event": E} gets E's "event" (the event's id) and "visit" (its
 * visit's id, when it has one) set as it is stored.
 */
struct store_outbox {
	const char	*kind;		/* "email", "webhook" or "sms" */
	const char	*destination;
	const char	*payload;
	int64_t		 next_try;	/* ms since the epoch */
};

/*
 * An alarm (an event of type "alarm") and its acknowledgement. Strings
 * are borrowed for the callback only.
 */
struct store_alarm {
	int64_t		 id;		/* the event */
	int64_t		 time;
	int64_t		 person_id;	/* 0 if none */
	int64_t		 visit_id;	/* 0 if none */
	const char	*details;	/* JSON: "kind", "reason", "photo" */
	const char	*acked_by;	/* NULL while not acknowledged */
	int64_t		 acked_at;	/* ms since the epoch, 0 if not */
	const char	*note;		/* NULL if none */
};

/*
 * An outbox row as the sender and the console see it. Strings are
 * borrowed for the callback only.
 */
struct store_outbox_row {
	int64_t		 id;
	int64_t		 event_id;
	const char	*kind;		/* "email", "webhook" or "sms" */
	const char	*destination;
	const char	*payload;	/* JSON, see outbox.h */
	int		 attempts;	/* tries that failed so far */
	int64_t		 next_try;	/* ms since the epoch */
	const char	*state;		/* "queued", "sent" or "failed" */
	const char	*last_error;	/* why the last try failed, or NULL */
	int64_t		 last_try;	/* ms since the epoch; 0 before any */
};

/*
 * Opens (creating DATA_DIR 0700 and the database 0600 if needed) and
 * migrates the store. A database newer than this program is an error.
 */
int	 store_open(const char *data_dir, struct store **, char **cause);
void	 store_close(struct store *);
/* The schema version this program writes. */
int	 store_version(void);

/*
 * Adds a person. NAME must be new, not empty and not all digits (so a
 * name and an id never look alike); EMAIL and PHONE may be NULL. A removed
 * person keeps their name, so it stays taken (history names them); only a
 * forgotten person's name is free again.
 */
int	 store_person_add(struct store *, const char *name, const char *email,
	     const char *phone, int64_t *id, char **cause);
/*
 * Finds a person by name, or by id when NAME_OR_ID is all digits. Returns
 * 0 and fills OUT, 1 if there is no such person, -1 on error.
 */
int	 store_person_find(struct store *, const char *name_or_id,
	     struct store_person *out, char **cause);
void	 store_person_clear(struct store_person *);
/*
 * Calls CB for every person in id order; a non-zero return from CB stops
 * the walk and is returned.
 */
int	 store_people_list(struct store *,
	     int (*cb)(const struct store_person *, void *), void *arg,
	     char **cause);
/* Puts the person on the deny list (ON 1) or takes them off (ON 0). */
int	 store_person_deny(struct store *, int64_t id, int on, char **cause);
/*
 * Erases a person's templates, photos and personal fields, and those of
 * their visits (details, reason, photos, visit photos, descriptors); keeps
 * the id. Their passes and those of their visits are revoked and lose
 * their PIN hash: a forgotten person's pass opens no door.
 */
int	 store_forget_person(struct store *, int64_t id, char **cause);
/*
 * Stops recognising a person: deletes their templates (and the photo files
 * no other row uses) and sets removed; name, history and deny-list flag
 * stay. Returns 0, 1 if there is no such person or they are removed or
 * forgotten already, -1 on error.
 */
int	 store_person_remove(struct store *, int64_t id, char **cause);
/* The number of templates of person ID in *COUNT (for lists). */
int	 store_person_templates(struct store *, int64_t id, int *count,
	     char **cause);

/*
 * Adds a face template of a person neither forgotten nor removed, stored
 * bit-exact as 128 little-endian float32 (512 bytes). PHOTO_HASH, if not
 * NULL, must be a stored photo.
 */
int	 store_template_add(struct store *, int64_t person_id,
	     const float desc[STORE_DESCRIPTOR], const char *photo_hash,
	     int64_t *id, char **cause);
/* Calls CB for every template (to build the gallery); as store_people_list. */
int	 store_templates_each(struct store *, int (*cb)(int64_t person_id,
	     int64_t template_id, const float desc[STORE_DESCRIPTOR], void *),
	     void *arg, char **cause);

/*
 * Adds a pending visit at DOOR (may be NULL) first seen at TIME, with its
 * best photo PHOTO_HASH (a stored photo, may be NULL), which is also its
 * first visit photo, and descriptor DESC (may be NULL). EV, if not NULL, is
 * appended to the chain in the same transaction with its visit_id set to
 * the new visit (EV's own visit_id is ignored); *EVENT_ID gets its id, 0
 * without EV. The _outbox form also queues NOUTBOX outbox rows with EV
 * (which it then needs); all are stored or none.
 */
int	 store_visit_add(struct store *, const char *door, int64_t time,
	     const char *photo_hash, const float *desc,
	     const struct store_event *ev, int64_t *visit_id,
	     int64_t *event_id, char **cause);
int	 store_visit_add_outbox(struct store *, const char *door,
	     int64_t time, const char *photo_hash, const float *desc,
	     const struct store_event *ev, const struct store_outbox *,
	     size_t noutbox, int64_t *visit_id, int64_t *event_id,
	     char **cause);
/*
 * A pending visit seen again at TIME: last_seen becomes max(last_seen,
 * TIME) and seen_count goes up by one. PHOTO_HASH (may be NULL) is added as
 * a visit photo with DESC (may be NULL); when BEST is non-zero, each of
 * PHOTO_HASH and DESC that is not NULL also becomes the visit's best.
 * Returns 0, 1 if there is no such visit or it is no longer pending
 * (nothing changed), -1 on error.
 */
int	 store_visit_seen(struct store *, int64_t id, int64_t time,
	     const char *photo_hash, const float *desc, int best,
	     char **cause);
/*
 * Adds photo PHOTO_HASH of visit ID's track with its descriptor DESC (may
 * be NULL), taken at TIME; the same photo twice is one row (the first).
 * Returns 0, 1 if there is no such visit, -1 on error.
 */
int	 store_visit_photo_add(struct store *, int64_t id,
	     const char *photo_hash, const float *desc, int64_t time,
	     char **cause);
/*
 * Calls CB for each photo of visit ID, oldest first (DESC NULL when the
 * photo has none); a non-zero return from CB stops and is returned.
 */
int	 store_visit_photos(struct store *, int64_t id,
	     int (*cb)(const char *hash, const float *desc, int64_t time,
	     void *), void *arg, char **cause);
/* Returns 0 and fills OUT, 1 if there is no such visit, -1 on error. */
int	 store_visit_find(struct store *, int64_t id, struct store_visit *out,
	     char **cause);
void	 store_visit_clear(struct store_visit *);
/*
 * Calls CB for the pending visits, newest last_seen first (ties: higher id
 * first); as store_people_list.
 */
int	 store_visits_pending(struct store *,
	     int (*cb)(const struct store_visit *, void *), void *arg,
	     char **cause);
/*
 * Sets the details a waiting visitor gave (at the kiosk) on pending visit
 * ID; a NULL keeps what was there. Returns 0, 1 if there is no such
 * pending visit, -1.
 */
int	 store_visit_visitor(struct store *, int64_t id, const char *name,
	     const char *email, const char *phone, char **cause);
/*
 * Decides pending visit ID as D says (D's details and person_id, when not
 * NULL or 0, replace the visit's), stores D->pass (an approval only) and
 * appends EV (may be NULL; its visit_id set to ID) in the same
 * transaction; *EVENT_ID as store_visit_add. Returns 0, 1 if there is no
 * such visit, 2 if it is not pending (nothing changed, no event, no
 * pass), -1 on error. The _outbox form also queues NOUTBOX outbox rows
 * with EV.
 */
int	 store_visit_decide(struct store *, int64_t id,
	     const struct store_decision *d, const struct store_event *ev,
	     int64_t *event_id, char **cause);
int	 store_visit_decide_outbox(struct store *, int64_t id,
	     const struct store_decision *d, const struct store_event *ev,
	     const struct store_outbox *, size_t noutbox, int64_t *event_id,
	     char **cause);
/*
 * Passes. store_pass_add stores P (its created and person_name are
 * ignored): P->id must be 32 lower case hex digits not already used,
 * DOORS a JSON array, EXPIRES > NOT_BEFORE, USES >= 0, and the visit and
 * person, when not 0, must exist. store_visit_decide stores a pass with
 * the approval instead (struct store_decision), so no approved visit is
 * left without the pass its guard was shown.
 *
 * store_pass_find fills OUT with pass ID; returns 0, 1 if there is no
 * such pass, -1. store_passes_list calls CB for the passes that may still
 * open a door at NOW (ms): not expired (valid or not yet valid), not
 * revoked, with a use left; newest first, as store_people_list (OUT's
 * strings are borrowed for the callback only). store_pass_revoke revokes
 * pass ID now; returns 0, 1 if there is no such pass or it is revoked
 * already, -1.
 */
int	 store_pass_add(struct store *, const struct store_pass *p,
	     char **cause);
int	 store_pass_find(struct store *, const char *id,
	     struct store_pass *out, char **cause);
void	 store_pass_clear(struct store_pass *);
int	 store_passes_list(struct store *, int64_t now,
	     int (*cb)(const struct store_pass *, void *), void *arg,
	     char **cause);
int	 store_pass_revoke(struct store *, const char *id, char **cause);
/*
 * The latest expiry (ms) of the passes signing key KEY_ID signed, in *MS
 * (0 if none): once it is past, the key can be retired.
 */
int	 store_key_last_expiry(struct store *, int64_t key_id, int64_t *ms,
	     char **cause);
/*
 * store_pass_issue stores pass P (as store_pass_add) with the event EV
 * that issues it and NOUTBOX outbox rows (the mail that carries it), all
 * or none. store_pass_use takes one use of pass ID and appends EV (the
 * grant) with its outbox rows in the same transaction: returns 0, 1 if
 * there is no such pass, 2 if it is revoked, 3 if it has no use left
 * (nothing changed, no event), -1 on error.
 */
int	 store_pass_issue(struct store *, const struct store_pass *p,
	     const struct store_event *ev, const struct store_outbox *,
	     size_t noutbox, int64_t *event_id, char **cause);
int	 store_pass_use(struct store *, const char *id,
	     const struct store_event *ev, const struct store_outbox *,
	     size_t noutbox, int64_t *event_id, char **cause);

/*
 * Adds a template to PERSON_ID from every descriptor of visit ID (its best
 * descriptor, then each visit photo's oldest first; each distinct
 * descriptor once, with its photo) in one transaction, the count in
 * *ADDED. Returns 0, 1 if there is no such visit or person (or the person
 * is forgotten or removed), -1 on error.
 */
int	 store_visit_enroll(struct store *, int64_t visit_id,
	     int64_t person_id, int *added, char **cause);

/*
 * Stores a JPEG (once: the same bytes give the same file) and returns its
 * hash. The file is complete or absent, even across a power loss.
 */
int	 store_photo_put(struct store *, const uint8_t *jpeg, size_t len,
	     char hash[STORE_HASH_LEN + 1], char **cause);
/* The path of photo HASH (malloc'd), or NULL if HASH is malformed. */
char	*store_photo_path(struct store *, const char *hash);

/*
 * Appends an event to the chain in one IMMEDIATE transaction, so two
 * writers cannot fork it, with NOUTBOX outbox rows in the same transaction:
 * all are stored or none.
 */
int	 store_event_append(struct store *, const struct store_event *,
	     int64_t *id, char **cause);
int	 store_event_append_outbox(struct store *, const struct store_event *,
	     const struct store_outbox *, size_t noutbox, int64_t *id,
	     char **cause);
/*
 * Calls CB for the events after SINCE_ID in id order, at most LIMIT of
 * them (all if LIMIT <= 0); as store_people_list.
 */
int	 store_events_each(struct store *, int64_t since_id, int limit,
	     int (*cb)(const struct store_event *, void *), void *arg,
	     char **cause);
/*
 * The id of the first event (lowest id) at or after TIME (ms) in *ID, or
 * the head id + 1 if there is none: so store_events_each(st, *ID - 1, ...)
 * lists the events since TIME.
 */
int	 store_event_first_after(struct store *, int64_t time, int64_t *id,
	     char **cause);
/*
 * The time of the newest event (the head) in *TIME, 0 if there is none:
 * a clock earlier than it is not to be trusted.
 */
int	 store_event_last_time(struct store *, int64_t *time, char **cause);
/*
 * Checks the whole chain from the anchor to the head. Returns 0 with the
 * number of events in *COUNT if it holds; 1 if not, with the first bad
 * event's id in *BAD_ID (for a missing event, its id) and the reason in
 * *CAUSE; -1 on error.
 */
int	 store_verify_log(struct store *, int64_t *count, int64_t *bad_id,
	     char **cause);

/*
 * Alarms. store_alarms_list calls CB for the alarms, newest first, at
 * most LIMIT (all if LIMIT <= 0): every one if ALL, else those not
 * acknowledged; as store_people_list. store_alarm_ack acknowledges alarm
 * ALARM for BY (with NOTE, may be NULL) and appends EV (the
 * acknowledgement's event) in the same transaction: returns 0, 1 if there
 * is no such alarm, 2 if it is acknowledged already (nothing changed), -1.
 * An acknowledgement goes with its alarm when retention deletes it.
 */
int	 store_alarms_list(struct store *, int all, int limit,
	     int (*cb)(const struct store_alarm *, void *), void *arg,
	     char **cause);
int	 store_alarm_ack(struct store *, int64_t alarm, const char *by,
	     const char *note, const struct store_event *ev, int64_t *event_id,
	     char **cause);

/*
 * The outbox (outbox.h sends it). A row is "queued" until a try delivers
 * it ("sent") or it is dead-lettered ("failed"); a row being sent stays
 * "queued" in the database, so one in flight when the agent dies is sent
 * again after a restart.
 *
 * store_outbox_due calls CB for the queued rows whose next_try is at or
 * before NOW, earliest next_try first (ties: lower id first), at most
 * LIMIT of them (all if LIMIT <= 0); a non-zero return from CB stops the
 * walk and is returned. store_outbox_next_try puts in *WHEN the earliest
 * next_try after AFTER among the queued rows; returns 0, 1 if there is
 * none, -1. store_outbox_done records a try of queued row ID: its new
 * STATE ("queued" to try again at NEXT_TRY, "sent" or "failed"), ATTEMPTS
 * and LAST_ERROR (may be NULL), and the time of the try (a row that
 * becomes "sent" loses its payload's "text" and "qr", which may hold a
 * pass and its PIN); returns 0, 1 if
 * there is no such queued row (forgotten or expired meanwhile; nothing
 * changed), -1. store_outbox_list calls CB for the rows in STATE (all if
 * NULL), newest first, at most LIMIT (all if LIMIT <= 0), as
 * store_outbox_due. store_outbox_retry queues failed row ID again, due at
 * NOW with no attempts; returns 0, 1 if there is no such failed row, -1.
 */
int	 store_outbox_due(struct store *, int64_t now, int limit,
	     int (*cb)(const struct store_outbox_row *, void *), void *arg,
	     char **cause);
int	 store_outbox_next_try(struct store *, int64_t after, int64_t *when,
	     char **cause);
int	 store_outbox_done(struct store *, int64_t id, const char *state,
	     int attempts, int64_t next_try, const char *last_error,
	     char **cause);
int	 store_outbox_list(struct store *, const char *state, int limit,
	     int (*cb)(const struct store_outbox_row *, void *), void *arg,
	     char **cause);
int	 store_outbox_retry(struct store *, int64_t id, int64_t now,
	     char **cause);

/*
 * Applies retention to KIND of data older than BEFORE (ms since the
 * epoch): "events" deletes the oldest events (keeping the rest verifiable);
 * "photos" deletes the photos no template uses (visits and visit photos
 * lose theirs); "pending" sets pending visits last seen before BEFORE to
 * "expired" (they stay, for the guard to see what was missed); "visits"
 * deletes the answered (approved, denied or expired) visits last seen
 * before BEFORE with their visit photos, except that a visit an event
 * still names keeps its row (the chain needs it) and loses only its
 * details, reason, photos and descriptor. Returns the number of rows
 * affected (for "visits", visits deleted or cleared), or -1.
 */
int64_t	 store_expire(struct store *, const char *kind, int64_t before,
	     char **cause);

#endif
