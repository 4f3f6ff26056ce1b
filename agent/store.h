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
 * templates, their photo files unless another row still uses them, the
 * personal fields of their people row and of their visits, their outbox
 * rows) and the chain still verifies.
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

/* A notification to queue with the event that caused it. */
struct store_outbox {
	const char	*kind;		/* "email", "webhook" or "sms" */
	const char	*destination;
	const char	*payload;
	int64_t		 next_try;	/* ms since the epoch */
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
 * name and an id never look alike); EMAIL and PHONE may be NULL.
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
/* Erases a person's templates, photos and personal fields; keeps the id. */
int	 store_forget_person(struct store *, int64_t id, char **cause);

/*
 * Adds a face template of a person not forgotten, stored bit-exact as 128
 * little-endian float32 (512 bytes). PHOTO_HASH, if not NULL, must be a
 * stored photo.
 */
int	 store_template_add(struct store *, int64_t person_id,
	     const float desc[STORE_DESCRIPTOR], const char *photo_hash,
	     int64_t *id, char **cause);
/* Calls CB for every template (to build the gallery); as store_people_list. */
int	 store_templates_each(struct store *, int (*cb)(int64_t person_id,
	     int64_t template_id, const float desc[STORE_DESCRIPTOR], void *),
	     void *arg, char **cause);

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
 * Checks the whole chain from the anchor to the head. Returns 0 with the
 * number of events in *COUNT if it holds; 1 if not, with the first bad
 * event's id in *BAD_ID (for a missing event, its id) and the reason in
 * *CAUSE; -1 on error.
 */
int	 store_verify_log(struct store *, int64_t *count, int64_t *bad_id,
	     char **cause);

/*
 * Applies retention to KIND of data older than BEFORE (ms since the
 * epoch): "events" deletes the oldest events (keeping the rest verifiable),
 * "photos" the photos no template uses, "pending" expires pending visits.
 * Returns the number of rows affected, or -1.
 */
int64_t	 store_expire(struct store *, const char *kind, int64_t before,
	     char **cause);

#endif
