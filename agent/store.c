/*
 * The store: SQLite schema and migrations, people, templates, photos,
 * visits, the hash-chained event log, the outbox and retention.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <sqlite3.h>

#include "file.h"
#include "store.h"
#include "xmalloc.h"

/* Long enough to ride out another writer's transaction, short for a door. */
#define STORE_BUSY_MS		5000
#define STORE_DB_NAME		"gatehouse.db"
#define STORE_NAME_MAX		200

struct store {
	sqlite3	*db;
	char	*dir;
	char	*photos;	/* DIR/photos */
};

/*
 * The migrations: migration I takes user_version I to I + 1 in one
 * transaction. Append only; never edit a step that has shipped.
 *
 * The tables are STRICT so a column holds its declared type, which the
 * event hash relies on. people.name is NULL once forgotten (UNIQUE allows
 * many NULLs). chain has exactly one row: anchor_* is the event the oldest
 * remaining event chains from (0 and 64 '0's until events expire), head_*
 * the newest event, so deleting the newest row is found too.
 *
 * Migration 2: people.removed (a person no longer recognised, whose name
 * and history stay), visits.descriptor (the best descriptor of a visit, to
 * know a waiting face again) and visit_photos (the photos of a visit's
 * track with their descriptors, for enrolling an approved visitor; one row
 * per photo, and the index on photo serves the "still used?" check before
 * a photo file is deleted).
 *
 * Migration 3: the outbox's delivery record, for the sender (outbox.c) and
 * the console's dead-letter view: last_error (why the last try failed,
 * NULL if it did not or there was none) and last_try (ms since the epoch,
 * NULL before the first try). The index on (state, id) serves the console's
 * list of one state, newest first.
 *
 * Migration 4: passes, the signed tokens issued on approval (agent/pass.h
 * and doc/PASSES). The token holds the window, doors and uses as signed;
 * the row holds the uses left, the revocation and the PIN's scrypt hash,
 * which only the store knows. Times are ms like everything else here.
 */
static const char *store_migrations[] = {
	"CREATE TABLE people ("
	"  id INTEGER PRIMARY KEY,"
	"  name TEXT UNIQUE,"
	"  email TEXT,"
	"  phone TEXT,"
	"  deny_listed INTEGER NOT NULL DEFAULT 0 CHECK (deny_listed IN (0, 1)),"
	"  created INTEGER NOT NULL,"
	"  forgotten INTEGER"
	") STRICT;"
	"CREATE TABLE photos ("
	"  hash TEXT PRIMARY KEY CHECK (length(hash) = 64),"
	"  created INTEGER NOT NULL"
	") STRICT;"
	"CREATE TABLE templates ("
	"  id INTEGER PRIMARY KEY,"
	"  person_id INTEGER NOT NULL REFERENCES people(id),"
	"  descriptor BLOB NOT NULL CHECK (length(descriptor) = 512),"
	"  photo TEXT REFERENCES photos(hash),"
	"  created INTEGER NOT NULL"
	") STRICT;"
	"CREATE INDEX templates_person ON templates(person_id);"
	"CREATE INDEX templates_photo ON templates(photo);"
	"CREATE TABLE visits ("
	"  id INTEGER PRIMARY KEY,"
	"  state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN"
	"    ('pending', 'approved', 'denied', 'expired')),"
	"  door TEXT,"
	"  person_id INTEGER REFERENCES people(id),"
	"  first_seen INTEGER NOT NULL,"
	"  last_seen INTEGER NOT NULL,"
	"  seen_count INTEGER NOT NULL DEFAULT 1,"
	"  photo TEXT REFERENCES photos(hash),"
	"  name TEXT,"
	"  email TEXT,"
	"  phone TEXT,"
	"  decided_by TEXT,"
	"  decided_at INTEGER,"
	"  reason TEXT"
	") STRICT;"
	"CREATE INDEX visits_person ON visits(person_id);"
	"CREATE INDEX visits_photo ON visits(photo);"
	"CREATE INDEX visits_state ON visits(state, last_seen);"
	"CREATE TABLE events ("
	"  id INTEGER PRIMARY KEY,"
	"  time INTEGER NOT NULL,"
	"  type TEXT NOT NULL CHECK (length(type) > 0),"
	"  door TEXT,"
	"  person_id INTEGER REFERENCES people(id),"
	"  visit_id INTEGER REFERENCES visits(id),"
	"  details TEXT NOT NULL CHECK (json_valid(details)),"
	"  prev_hash TEXT NOT NULL,"
	"  hash TEXT NOT NULL"
	") STRICT;"
	"CREATE INDEX events_person ON events(person_id);"
	"CREATE INDEX events_time ON events(time);"
	"CREATE TABLE chain ("
	"  id INTEGER PRIMARY KEY CHECK (id = 1),"
	"  anchor_id INTEGER NOT NULL,"
	"  anchor_hash TEXT NOT NULL,"
	"  head_id INTEGER NOT NULL,"
	"  head_hash TEXT NOT NULL"
	") STRICT;"
	"INSERT INTO chain VALUES (1, 0,"
	"  '0000000000000000000000000000000000000000000000000000000000000000',"
	"  0,"
	"  '0000000000000000000000000000000000000000000000000000000000000000');"
	"CREATE TABLE outbox ("
	"  id INTEGER PRIMARY KEY,"
	"  event_id INTEGER NOT NULL REFERENCES events(id) ON DELETE CASCADE,"
	"  kind TEXT NOT NULL CHECK (kind IN ('email', 'webhook', 'sms')),"
	"  destination TEXT NOT NULL,"
	"  payload TEXT NOT NULL,"
	"  attempts INTEGER NOT NULL DEFAULT 0,"
	"  next_try INTEGER NOT NULL,"
	"  state TEXT NOT NULL DEFAULT 'queued' CHECK (state IN"
	"    ('queued', 'sent', 'failed'))"
	") STRICT;"
	"CREATE INDEX outbox_event ON outbox(event_id);"
	"CREATE INDEX outbox_due ON outbox(state, next_try);",

	"ALTER TABLE people ADD COLUMN removed INTEGER;"
	"ALTER TABLE visits ADD COLUMN descriptor BLOB CHECK"
	"  (descriptor IS NULL OR length(descriptor) = 512);"
	"CREATE TABLE visit_photos ("
	"  visit_id INTEGER NOT NULL REFERENCES visits(id),"
	"  photo TEXT NOT NULL REFERENCES photos(hash),"
	"  descriptor BLOB CHECK"
	"    (descriptor IS NULL OR length(descriptor) = 512),"
	"  time INTEGER NOT NULL,"
	"  PRIMARY KEY (visit_id, photo)"
	") STRICT;"
	"CREATE INDEX visit_photos_photo ON visit_photos(photo);",

	"ALTER TABLE outbox ADD COLUMN last_error TEXT;"
	"ALTER TABLE outbox ADD COLUMN last_try INTEGER;"
	"CREATE INDEX outbox_state ON outbox(state, id);",

	"CREATE TABLE passes ("
	"  id TEXT PRIMARY KEY CHECK (length(id) = 32 AND"
	"    id NOT GLOB '*[^0-9a-f]*'),"
	"  key_id INTEGER NOT NULL,"
	"  visit_id INTEGER REFERENCES visits(id),"
	"  person_id INTEGER REFERENCES people(id),"
	"  doors TEXT NOT NULL CHECK (json_valid(doors) AND"
	"    json_type(doors) = 'array'),"
	"  not_before INTEGER NOT NULL,"
	"  expires INTEGER NOT NULL CHECK (expires > not_before),"
	"  uses INTEGER NOT NULL CHECK (uses >= 0),"
	"  pin_hash TEXT,"
	"  revoked INTEGER,"
	"  created INTEGER NOT NULL"
	") STRICT;"
	"CREATE INDEX passes_visit ON passes(visit_id);"
	"CREATE INDEX passes_person ON passes(person_id);"
	"CREATE INDEX passes_expires ON passes(expires);",

	"CREATE TABLE acks ("
	"  alarm INTEGER PRIMARY KEY REFERENCES events(id) ON DELETE CASCADE,"
	"  by TEXT NOT NULL,"
	"  time INTEGER NOT NULL,"
	"  note TEXT"
	") STRICT;",
};
#define STORE_VERSION \
	((int)(sizeof store_migrations / sizeof store_migrations[0]))

/* The time now in ms since the epoch. */
static int64_t
store_now(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Sets *CAUSE to WHAT and SQLite's last error. */
static void
store_error(struct store *st, char **cause, const char *what)
{
	xasprintf(cause, "%s: %s", what, sqlite3_errmsg(st->db));
}

/* Runs SQL (one or more statements without results). */
static int
store_exec(struct store *st, const char *sql, char **cause)
{
	if (sqlite3_exec(st->db, sql, NULL, NULL, NULL) != SQLITE_OK) {
		store_error(st, cause, "database");
		return -1;
	}
	return 0;
}

/* Prepares SQL into *STMT. */
static int
store_prepare(struct store *st, const char *sql, sqlite3_stmt **stmt,
    char **cause)
{
	if (sqlite3_prepare_v2(st->db, sql, -1, stmt, NULL) != SQLITE_OK) {
		store_error(st, cause, "database");
		*stmt = NULL;
		return -1;
	}
	return 0;
}

/*
 * Starts a write transaction. IMMEDIATE takes the write lock at once, so
 * what the transaction reads (the chain head) cannot change under it.
 */
static int
store_begin(struct store *st, char **cause)
{
	return store_exec(st, "BEGIN IMMEDIATE", cause);
}

/* Commits, or rolls back if the commit fails. */
static int
store_commit(struct store *st, char **cause)
{
	if (store_exec(st, "COMMIT", cause) != 0) {
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
		return -1;
	}
	return 0;
}

/* Rolls back the open transaction, if any. */
static void
store_rollback(struct store *st)
{
	if (!sqlite3_get_autocommit(st->db))
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
}

/* Binds S as text, or NULL. */
static int
store_bind_text(sqlite3_stmt *stmt, int i, const char *s)
{
	if (s == NULL)
		return sqlite3_bind_null(stmt, i);
	return sqlite3_bind_text(stmt, i, s, -1, SQLITE_TRANSIENT);
}

/* Binds an id, with 0 as NULL. */
static int
store_bind_id(sqlite3_stmt *stmt, int i, int64_t id)
{
	if (id == 0)
		return sqlite3_bind_null(stmt, i);
	return sqlite3_bind_int64(stmt, i, id);
}

/* Column I as a malloc'd string, or NULL. */
static char *
store_column_strdup(sqlite3_stmt *stmt, int i)
{
	const unsigned char	*s = sqlite3_column_text(stmt, i);

	return s == NULL ? NULL : xstrdup((const char *)s);
}

/* Whether S is a 64-character lowercase hex hash. */
static int
store_hash_valid(const char *s)
{
	size_t	i;

	for (i = 0; i < STORE_HASH_LEN; i++) {
		if (!((s[i] >= '0' && s[i] <= '9') ||
		    (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	}
	return s[i] == '\0';
}

/* Writes the SHA-256 digest in MD as lowercase hex into OUT. */
static void
store_hex(const unsigned char *md, char out[STORE_HASH_LEN + 1])
{
	static const char	hex[] = "0123456789abcdef";
	int			i;

	for (i = 0; i < 32; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 15];
	}
	out[STORE_HASH_LEN] = '\0';
}

/* Checks that HASH is NULL or a well-formed photo hash. */
static int
store_photo_check(const char *hash, char **cause)
{
	if (hash != NULL && !store_hash_valid(hash)) {
		xasprintf(cause, "bad photo hash");
		return -1;
	}
	return 0;
}

/*
 * Encodes DESC as a descriptor blob: 128 little-endian float32, so the
 * bytes are the same on every host and a value comes back bit-exact.
 */
static int
store_desc_encode(const float *desc, uint8_t blob[STORE_DESCRIPTOR * 4],
    char **cause)
{
	uint32_t	u;
	int		i;

	for (i = 0; i < STORE_DESCRIPTOR; i++) {
		if (!isfinite(desc[i])) {
			xasprintf(cause, "descriptor value %d is not finite",
			    i);
			return -1;
		}
		memcpy(&u, &desc[i], 4);
		blob[4 * i] = u & 0xff;
		blob[4 * i + 1] = (u >> 8) & 0xff;
		blob[4 * i + 2] = (u >> 16) & 0xff;
		blob[4 * i + 3] = u >> 24;
	}
	return 0;
}

/* Decodes a descriptor blob into DESC. */
static void
store_desc_decode(const uint8_t *b, float desc[STORE_DESCRIPTOR])
{
	uint32_t	u;
	int		i;

	for (i = 0; i < STORE_DESCRIPTOR; i++) {
		u = (uint32_t)b[4 * i] | (uint32_t)b[4 * i + 1] << 8 |
		    (uint32_t)b[4 * i + 2] << 16 | (uint32_t)b[4 * i + 3] << 24;
		memcpy(&desc[i], &u, 4);
	}
}

/* Binds descriptor blob BLOB, or NULL. */
static int
store_bind_desc(sqlite3_stmt *stmt, int i, const uint8_t *blob)
{
	if (blob == NULL)
		return sqlite3_bind_null(stmt, i);
	return sqlite3_bind_blob(stmt, i, blob, STORE_DESCRIPTOR * 4,
	    SQLITE_TRANSIENT);
}

/*
 * Column I as a descriptor into DESC: 1 if there is one, 0 if it is NULL,
 * -1 if it is not 512 bytes.
 */
static int
store_column_desc(sqlite3_stmt *stmt, int i, float desc[STORE_DESCRIPTOR])
{
	const uint8_t	*b;

	if (sqlite3_column_type(stmt, i) == SQLITE_NULL)
		return 0;
	b = sqlite3_column_blob(stmt, i);
	if (b == NULL || sqlite3_column_bytes(stmt, i) != STORE_DESCRIPTOR * 4)
		return -1;
	store_desc_decode(b, desc);
	return 1;
}

/*
 * Runs SQL binding ARG as ?1 and puts the first column of the first row in
 * *V. Returns 0, 1 if there is no row or the value is NULL, -1 on error.
 */
static int
store_get_int(struct store *st, const char *sql, int64_t arg, int64_t *v,
    char **cause)
{
	sqlite3_stmt	*stmt;
	int		 rc, r = -1;

	if (store_prepare(st, sql, &stmt, cause) != 0)
		return -1;
	sqlite3_bind_int64(stmt, 1, arg);
	if ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		if (sqlite3_column_type(stmt, 0) == SQLITE_NULL)
			r = 1;
		else {
			*v = sqlite3_column_int64(stmt, 0);
			r = 0;
		}
	} else if (rc == SQLITE_DONE)
		r = 1;
	else
		store_error(st, cause, "database");
	sqlite3_finalize(stmt);
	return r;
}

/* Creates directory PATH 0700 unless it exists as a directory. */
static int
store_mkdir(const char *path, char **cause)
{
	struct stat	sb;

	if (mkdir(path, 0700) == 0)
		return 0;
	if (errno == EEXIST && stat(path, &sb) == 0 && S_ISDIR(sb.st_mode))
		return 0;
	if (errno == EEXIST)
		errno = ENOTDIR;
	xasprintf(cause, "%s: %s", path, strerror(errno));
	return -1;
}

/* Reads PRAGMA user_version into *V. */
static int
store_user_version(struct store *st, int *v, char **cause)
{
	sqlite3_stmt	*stmt;
	int		 r = -1;

	if (store_prepare(st, "PRAGMA user_version", &stmt, cause) != 0)
		return -1;
	if (sqlite3_step(stmt) != SQLITE_ROW) {
		store_error(st, cause, "user_version");
		goto out;
	}
	*v = sqlite3_column_int(stmt, 0);
	r = 0;
out:
	sqlite3_finalize(stmt);
	return r;
}

/*
 * Brings the schema to STORE_VERSION, one transaction per step. The
 * version is read again inside each transaction, so two agents opening the
 * same new database do not both apply a step.
 */
static int
store_migrate(struct store *st, char **cause)
{
	char	*sql = NULL;
	int	 v = 0, r = -1;

	for (;;) {
		if (store_begin(st, cause) != 0)
			goto out;
		if (store_user_version(st, &v, cause) != 0)
			goto out;
		if (v > STORE_VERSION) {
			xasprintf(cause, "database version %d is newer than "
			    "this agent's (%d)", v, STORE_VERSION);
			goto out;
		}
		if (v == STORE_VERSION)
			break;
		if (store_exec(st, store_migrations[v], cause) != 0)
			goto out;
		free(sql);
		xasprintf(&sql, "PRAGMA user_version = %d", v + 1);
		if (store_exec(st, sql, cause) != 0 ||
		    store_commit(st, cause) != 0)
			goto out;
	}
	r = store_commit(st, cause);
out:
	store_rollback(st);
	free(sql);
	return r;
}

/* Sets a pragma and checks the value it reports, if EXPECT is not NULL. */
static int
store_pragma(struct store *st, const char *sql, const char *expect,
    char **cause)
{
	sqlite3_stmt		*stmt;
	const unsigned char	*v;
	int			 rc, r = -1;

	if (store_prepare(st, sql, &stmt, cause) != 0)
		return -1;
	rc = sqlite3_step(stmt);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		store_error(st, cause, sql);
		goto out;
	}
	if (expect != NULL && (rc != SQLITE_ROW ||
	    (v = sqlite3_column_text(stmt, 0)) == NULL ||
	    strcmp((const char *)v, expect) != 0)) {
		xasprintf(cause, "%s: not %s", sql, expect);
		goto out;
	}
	r = 0;
out:
	sqlite3_finalize(stmt);
	return r;
}

/* The schema version this program writes. */
int
store_version(void)
{
	return STORE_VERSION;
}

/* Opens the store in DATA_DIR. */
int
store_open(const char *data_dir, struct store **out, char **cause)
{
	struct store	*st;
	char		*path = NULL;
	int		 fd, r = -1;

	*out = NULL;
	st = xcalloc(1, sizeof *st);
	st->dir = xstrdup(data_dir);
	xasprintf(&st->photos, "%s/photos", data_dir);
	if (store_mkdir(data_dir, cause) != 0 ||
	    store_mkdir(st->photos, cause) != 0)
		goto out;

	/*
	 * Create the file ourselves so it is 0600 whatever the umask; SQLite
	 * gives the -wal and -shm files the database file's mode.
	 */
	xasprintf(&path, "%s/" STORE_DB_NAME, data_dir);
	fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd == -1) {
		xasprintf(cause, "%s: %s", path, strerror(errno));
		goto out;
	}
	close(fd);
	if (sqlite3_open_v2(path, &st->db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_NOFOLLOW, NULL) != SQLITE_OK) {
		if (st->db == NULL)
			xasprintf(cause, "%s: cannot open", path);
		else
			store_error(st, cause, path);
		goto out;
	}
	sqlite3_extended_result_codes(st->db, 1);
	if (sqlite3_busy_timeout(st->db, STORE_BUSY_MS) != SQLITE_OK ||
	    store_pragma(st, "PRAGMA journal_mode = WAL", "wal", cause) != 0 ||
	    store_pragma(st, "PRAGMA synchronous = FULL", NULL, cause) != 0 ||
	    store_pragma(st, "PRAGMA foreign_keys = ON", NULL, cause) != 0 ||
	    store_pragma(st, "PRAGMA foreign_keys", "1", cause) != 0)
		goto out;
	if (store_migrate(st, cause) != 0)
		goto out;
	*out = st;
	st = NULL;
	r = 0;
out:
	free(path);
	store_close(st);
	return r;
}

/* Closes the store; NULL is fine. */
void
store_close(struct store *st)
{
	if (st == NULL)
		return;
	sqlite3_close(st->db);
	free(st->photos);
	free(st->dir);
	free(st);
}

/*
 * Adds a person. A removed person's name stays taken: their events and
 * visits go on naming them, and a new person of the same name would be
 * mistaken for them; the message says so, for the operator to choose.
 */
int
store_person_add(struct store *st, const char *name, const char *email,
    const char *phone, int64_t *id, char **cause)
{
	sqlite3_stmt	*stmt = NULL;
	size_t		 len = strlen(name);
	int		 rc, r = -1;
	int		 removed = 0;

	if (len == 0 || len > STORE_NAME_MAX ||
	    strspn(name, "0123456789") == len) {
		xasprintf(cause, "bad name '%s': empty, too long or a number",
		    name);
		return -1;
	}
	if (store_prepare(st, "INSERT INTO people (name, email, phone, "
	    "created) VALUES (?, ?, ?, ?)", &stmt, cause) != 0)
		return -1;
	store_bind_text(stmt, 1, name);
	store_bind_text(stmt, 2, email);
	store_bind_text(stmt, 3, phone);
	sqlite3_bind_int64(stmt, 4, store_now());
	if ((rc = sqlite3_step(stmt)) != SQLITE_DONE) {
		if (rc == SQLITE_CONSTRAINT_UNIQUE) {
			sqlite3_finalize(stmt);
			if (store_prepare(st, "SELECT removed IS NOT NULL FROM "
			    "people WHERE name = ?", &stmt, cause) != 0)
				goto out;
			store_bind_text(stmt, 1, name);
			if (sqlite3_step(stmt) == SQLITE_ROW)
				removed = sqlite3_column_int(stmt, 0);
			xasprintf(cause, "a person named '%s' already exists%s",
			    name, removed ? " (removed)" : "");
		} else
			store_error(st, cause, "add person");
		goto out;
	}
	if (id != NULL)
		*id = sqlite3_last_insert_rowid(st->db);
	r = 0;
out:
	sqlite3_finalize(stmt);
	return r;
}

/* Fills P from the people columns of STMT. */
static void
store_person_read(sqlite3_stmt *stmt, struct store_person *p)
{
	p->id = sqlite3_column_int64(stmt, 0);
	p->name = store_column_strdup(stmt, 1);
	p->email = store_column_strdup(stmt, 2);
	p->phone = store_column_strdup(stmt, 3);
	p->deny_listed = sqlite3_column_int(stmt, 4);
	p->created = sqlite3_column_int64(stmt, 5);
	p->forgotten = sqlite3_column_int64(stmt, 6);
	p->removed = sqlite3_column_int64(stmt, 7);
}

#define STORE_PERSON_COLUMNS \
	"SELECT id, name, email, phone, deny_listed, created, forgotten, " \
	"removed FROM people "

/* Finds a person by name or id. */
int
store_person_find(struct store *st, const char *name_or_id,
    struct store_person *out, char **cause)
{
	sqlite3_stmt	*stmt;
	size_t		 len = strlen(name_or_id);
	int		 by_id, rc, r = -1;

	memset(out, 0, sizeof *out);
	by_id = len > 0 && len < 19 && strspn(name_or_id, "0123456789") == len;
	if (store_prepare(st, by_id ? STORE_PERSON_COLUMNS "WHERE id = ?" :
	    STORE_PERSON_COLUMNS "WHERE name = ?", &stmt, cause) != 0)
		return -1;
	if (by_id)
		sqlite3_bind_int64(stmt, 1, strtoll(name_or_id, NULL, 10));
	else
		store_bind_text(stmt, 1, name_or_id);
	if ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		store_person_read(stmt, out);
		r = 0;
	} else if (rc == SQLITE_DONE)
		r = 1;
	else
		store_error(st, cause, "find person");
	sqlite3_finalize(stmt);
	return r;
}

/* Frees the strings of P. */
void
store_person_clear(struct store_person *p)
{
	free(p->name);
	free(p->email);
	free(p->phone);
	memset(p, 0, sizeof *p);
}

/* Calls CB for every person. */
int
store_people_list(struct store *st,
    int (*cb)(const struct store_person *, void *), void *arg, char **cause)
{
	sqlite3_stmt		*stmt;
	struct store_person	 p;
	int			 rc, r = -1;

	if (store_prepare(st, STORE_PERSON_COLUMNS "ORDER BY id", &stmt,
	    cause) != 0)
		return -1;
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		store_person_read(stmt, &p);
		r = cb(&p, arg);
		store_person_clear(&p);
		if (r != 0)
			goto out;
	}
	if (rc != SQLITE_DONE) {
		store_error(st, cause, "list people");
		r = -1;
		goto out;
	}
	r = 0;
out:
	sqlite3_finalize(stmt);
	return r;
}

/* Runs SQL, binding ID and then INT_ARG, and wants it to change one row. */
static int
store_update_one(struct store *st, const char *sql, int64_t id,
    int64_t int_arg, const char *what, char **cause)
{
	sqlite3_stmt	*stmt;
	int		 r = -1;

	if (store_prepare(st, sql, &stmt, cause) != 0)
		return -1;
	sqlite3_bind_int64(stmt, 1, id);
	sqlite3_bind_int64(stmt, 2, int_arg);
	if (sqlite3_step(stmt) != SQLITE_DONE) {
		store_error(st, cause, what);
		goto out;
	}
	if (sqlite3_changes(st->db) != 1) {
		xasprintf(cause, "%s: no such row %lld", what, (long long)id);
		goto out;
	}
	r = 0;
out:
	sqlite3_finalize(stmt);
	return r;
}

/* Puts a person on or off the deny list. */
int
store_person_deny(struct store *st, int64_t id, int on, char **cause)
{
	return store_update_one(st, "UPDATE people SET deny_listed = ?2 "
	    "WHERE id = ?1", id, on != 0, "deny person", cause);
}

/*
 * Inserts a template from descriptor blob BLOB. Nothing biometric may come
 * back for a forgotten person, nor be added to a removed one, whom the
 * gallery no longer holds.
 */
static int
store_template_insert(struct store *st, int64_t person_id,
    const uint8_t *blob, const char *photo_hash, int64_t *id, char **cause)
{
	sqlite3_stmt	*stmt;
	int		 rc, r = -1;

	if (store_prepare(st, "INSERT INTO templates (person_id, descriptor, "
	    "photo, created) SELECT ?1, ?2, ?3, ?4 WHERE EXISTS (SELECT 1 "
	    "FROM people WHERE id = ?1 AND forgotten IS NULL AND removed IS "
	    "NULL)", &stmt, cause) != 0)
		return -1;
	sqlite3_bind_int64(stmt, 1, person_id);
	store_bind_desc(stmt, 2, blob);
	store_bind_text(stmt, 3, photo_hash);
	sqlite3_bind_int64(stmt, 4, store_now());
	if ((rc = sqlite3_step(stmt)) != SQLITE_DONE) {
		if (rc == SQLITE_CONSTRAINT_FOREIGNKEY)
			xasprintf(cause, "no photo %s", photo_hash);
		else
			store_error(st, cause, "add template");
		goto out;
	}
	if (sqlite3_changes(st->db) != 1) {
		xasprintf(cause, "no person %lld (or forgotten or removed)",
		    (long long)person_id);
		goto out;
	}
	if (id != NULL)
		*id = sqlite3_last_insert_rowid(st->db);
	r = 0;
out:
	sqlite3_finalize(stmt);
	return r;
}

/* Adds a template. */
int
store_template_add(struct store *st, int64_t person_id,
    const float desc[STORE_DESCRIPTOR], const char *photo_hash, int64_t *id,
    char **cause)
{
	uint8_t	blob[STORE_DESCRIPTOR * 4];

	if (store_desc_encode(desc, blob, cause) != 0 ||
	    store_photo_check(photo_hash, cause) != 0)
		return -1;
	return store_template_insert(st, person_id, blob, photo_hash, id,
	    cause);
}

/* Calls CB for every template. */
int
store_templates_each(struct store *st, int (*cb)(int64_t, int64_t,
    const float *, void *), void *arg, char **cause)
{
	sqlite3_stmt	*stmt;
	float		 desc[STORE_DESCRIPTOR];
	int		 rc, r = -1;

	if (store_prepare(st, "SELECT person_id, id, descriptor FROM "
	    "templates ORDER BY id", &stmt, cause) != 0)
		return -1;
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		if (store_column_desc(stmt, 2, desc) != 1) {
			xasprintf(cause, "template %lld: bad descriptor",
			    (long long)sqlite3_column_int64(stmt, 1));
			r = -1;
			goto out;
		}
		r = cb(sqlite3_column_int64(stmt, 0),
		    sqlite3_column_int64(stmt, 1), desc, arg);
		if (r != 0)
			goto out;
	}
	if (rc != SQLITE_DONE) {
		store_error(st, cause, "templates");
		r = -1;
		goto out;
	}
	r = 0;
out:
	sqlite3_finalize(stmt);
	return r;
}

/* The path of a photo. */
char *
store_photo_path(struct store *st, const char *hash)
{
	char	*path;

	if (hash == NULL || !store_hash_valid(hash))
		return NULL;
	xasprintf(&path, "%s/%.2s/%s.jpg", st->photos, hash, hash);
	return path;
}

/*
 * Stores a photo. The file is written before the row, so a row never
 * names a missing file; a crash between leaves a file without a row, which
 * the next put of the same bytes adopts.
 */
int
store_photo_put(struct store *st, const uint8_t *jpeg, size_t len,
    char hash[STORE_HASH_LEN + 1], char **cause)
{
	sqlite3_stmt	*stmt = NULL;
	unsigned char	 md[32];
	char		*dir = NULL, *path = NULL;
	struct stat	 sb;
	int		 created = 0, r = -1;

	if (len < 3 || len > STORE_PHOTO_MAX || jpeg[0] != 0xff ||
	    jpeg[1] != 0xd8 || jpeg[2] != 0xff) {
		xasprintf(cause, "not a JPEG or larger than %d bytes",
		    STORE_PHOTO_MAX);
		return -1;
	}
	if (EVP_Digest(jpeg, len, md, NULL, EVP_sha256(), NULL) != 1) {
		xasprintf(cause, "SHA-256 failed");
		return -1;
	}
	store_hex(md, hash);
	xasprintf(&dir, "%s/%.2s", st->photos, hash);
	path = store_photo_path(st, hash);
	if (mkdir(dir, 0700) == 0)
		created = 1;
	else if (errno != EEXIST) {
		xasprintf(cause, "%s: %s", dir, strerror(errno));
		goto out;
	}
	if (created && file_fsync_dir(st->photos, cause) != 0)
		goto out;
	if (lstat(path, &sb) != 0 || !S_ISREG(sb.st_mode) ||
	    (size_t)sb.st_size != len) {
		if (file_write_atomic(path, jpeg, len, 0600, 1, cause) != 0)
			goto out;
	}
	if (store_prepare(st, "INSERT OR IGNORE INTO photos (hash, created) "
	    "VALUES (?, ?)", &stmt, cause) != 0)
		goto out;
	store_bind_text(stmt, 1, hash);
	sqlite3_bind_int64(stmt, 2, store_now());
	if (sqlite3_step(stmt) != SQLITE_DONE) {
		store_error(st, cause, "add photo");
		goto out;
	}
	r = 0;
out:
	sqlite3_finalize(stmt);
	free(path);
	free(dir);
	return r;
}

/*
 * The event hash. The SHA-256, in lowercase hex, of these bytes:
 *
 *	"gatehouse event v1\n"
 *	PREV_HASH "\n"		64 lowercase hex characters
 *	ID "\n"			decimal, "-" sign if negative, no leading 0s
 *	TIME "\n"		the same
 *	N ":" TYPE "\n"		N the length of TYPE in bytes, in decimal
 *	N ":" DOOR "\n"		or "-\n" when DOOR is NULL
 *	PERSON_ID "\n"		decimal, or "-\n" when NULL
 *	VISIT_ID "\n"		the same
 *	N ":" DETAILS "\n"
 *
 * Numbers cannot contain "\n" and strings are prefixed with their length,
 * so every field ends where the reader can tell and no two different rows
 * give the same bytes; NULL ("-") differs from every number and string.
 * The version line lets a later format be told apart.
 */
struct store_hash_row {
	int64_t		 id;
	int64_t		 time;
	const char	*type;
	size_t		 type_len;
	const char	*door;		/* NULL for NULL */
	size_t		 door_len;
	int64_t		 person_id;
	int		 person_null;
	int64_t		 visit_id;
	int		 visit_null;
	const char	*details;
	size_t		 details_len;
};

/* Adds a length-prefixed string, or "-" for NULL, to the hash. */
static void
store_hash_string(EVP_MD_CTX *ctx, const char *s, size_t len)
{
	char	buf[32];
	int	n;

	if (s == NULL) {
		EVP_DigestUpdate(ctx, "-\n", 2);
		return;
	}
	n = snprintf(buf, sizeof buf, "%zu:", len);
	EVP_DigestUpdate(ctx, buf, (size_t)n);
	EVP_DigestUpdate(ctx, s, len);
	EVP_DigestUpdate(ctx, "\n", 1);
}

/* Adds a decimal number, or "-" for NULL, to the hash. */
static void
store_hash_number(EVP_MD_CTX *ctx, int64_t v, int null)
{
	char	buf[32];
	int	n;

	if (null)
		n = snprintf(buf, sizeof buf, "-\n");
	else
		n = snprintf(buf, sizeof buf, "%lld\n", (long long)v);
	EVP_DigestUpdate(ctx, buf, (size_t)n);
}

/* Computes the hash of row E chained from PREV into OUT. */
static int
store_event_hash(const char *prev, const struct store_hash_row *e,
    char out[STORE_HASH_LEN + 1], char **cause)
{
	EVP_MD_CTX	*ctx;
	unsigned char	 md[32];
	unsigned int	 mdlen = 0;
	int		 r = -1;

	if ((ctx = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1) {
		xasprintf(cause, "SHA-256 failed");
		goto out;
	}
	EVP_DigestUpdate(ctx, "gatehouse event v1\n", 19);
	EVP_DigestUpdate(ctx, prev, strlen(prev));
	EVP_DigestUpdate(ctx, "\n", 1);
	store_hash_number(ctx, e->id, 0);
	store_hash_number(ctx, e->time, 0);
	store_hash_string(ctx, e->type, e->type_len);
	store_hash_string(ctx, e->door, e->door_len);
	store_hash_number(ctx, e->person_id, e->person_null);
	store_hash_number(ctx, e->visit_id, e->visit_null);
	store_hash_string(ctx, e->details, e->details_len);
	if (EVP_DigestFinal_ex(ctx, md, &mdlen) != 1 || mdlen != 32) {
		xasprintf(cause, "SHA-256 failed");
		goto out;
	}
	store_hex(md, out);
	r = 0;
out:
	EVP_MD_CTX_free(ctx);
	return r;
}

/* Reads the chain row: anchor and head. */
static int
store_chain_get(struct store *st, int64_t *anchor_id,
    char anchor_hash[STORE_HASH_LEN + 1], int64_t *head_id,
    char head_hash[STORE_HASH_LEN + 1], char **cause)
{
	sqlite3_stmt		*stmt;
	const unsigned char	*a, *h;
	int			 r = -1;

	if (store_prepare(st, "SELECT anchor_id, anchor_hash, head_id, "
	    "head_hash FROM chain WHERE id = 1", &stmt, cause) != 0)
		return -1;
	if (sqlite3_step(stmt) != SQLITE_ROW) {
		xasprintf(cause, "the chain row is missing");
		goto out;
	}
	a = sqlite3_column_text(stmt, 1);
	h = sqlite3_column_text(stmt, 3);
	if (a == NULL || h == NULL || !store_hash_valid((const char *)a) ||
	    !store_hash_valid((const char *)h)) {
		xasprintf(cause, "the chain row is damaged");
		goto out;
	}
	*anchor_id = sqlite3_column_int64(stmt, 0);
	memcpy(anchor_hash, a, STORE_HASH_LEN + 1);
	*head_id = sqlite3_column_int64(stmt, 2);
	memcpy(head_hash, h, STORE_HASH_LEN + 1);
	r = 0;
out:
	sqlite3_finalize(stmt);
	return r;
}

/* Inserts the event and its outbox rows; inside a transaction. */
static int
store_event_insert(struct store *st, const struct store_event *ev,
    const struct store_outbox *ob, size_t nob, int64_t *id, char **cause)
{
	struct store_hash_row	 row;
	sqlite3_stmt		*stmt = NULL;
	char			 anchor[STORE_HASH_LEN + 1];
	char			 head[STORE_HASH_LEN + 1];
	char			 hash[STORE_HASH_LEN + 1];
	int64_t			 anchor_id, head_id;
	size_t			 i;
	int			 r = -1;

	if (store_chain_get(st, &anchor_id, anchor, &head_id, head,
	    cause) != 0)
		return -1;
	memset(&row, 0, sizeof row);
	row.id = head_id + 1;
	row.time = ev->time;
	row.type = ev->type;
	row.type_len = strlen(ev->type);
	row.door = ev->door;
	row.door_len = ev->door != NULL ? strlen(ev->door) : 0;
	row.person_id = ev->person_id;
	row.person_null = ev->person_id == 0;
	row.visit_id = ev->visit_id;
	row.visit_null = ev->visit_id == 0;
	row.details = ev->details != NULL ? ev->details : "{}";
	row.details_len = strlen(row.details);
	if (store_event_hash(head, &row, hash, cause) != 0)
		return -1;

	if (store_prepare(st, "INSERT INTO events (id, time, type, door, "
	    "person_id, visit_id, details, prev_hash, hash) VALUES "
	    "(?, ?, ?, ?, ?, ?, ?, ?, ?)", &stmt, cause) != 0)
		return -1;
	sqlite3_bind_int64(stmt, 1, row.id);
	sqlite3_bind_int64(stmt, 2, row.time);
	store_bind_text(stmt, 3, row.type);
	store_bind_text(stmt, 4, row.door);
	store_bind_id(stmt, 5, row.person_id);
	store_bind_id(stmt, 6, row.visit_id);
	store_bind_text(stmt, 7, row.details);
	store_bind_text(stmt, 8, head);
	store_bind_text(stmt, 9, hash);
	if (sqlite3_step(stmt) != SQLITE_DONE) {
		store_error(st, cause, "add event");
		goto out;
	}
	sqlite3_finalize(stmt);

	if (store_prepare(st, "UPDATE chain SET head_id = ?, head_hash = ? "
	    "WHERE id = 1", &stmt, cause) != 0)
		goto out;
	sqlite3_bind_int64(stmt, 1, row.id);
	store_bind_text(stmt, 2, hash);
	if (sqlite3_step(stmt) != SQLITE_DONE) {
		store_error(st, cause, "chain head");
		goto out;
	}
	sqlite3_finalize(stmt);

	/*
	 * A webhook carries its event as the consoles see it, whose id (and
	 * a new visit's) only this transaction knows: they are set here.
	 */
	if (store_prepare(st, "INSERT INTO outbox (event_id, kind, "
	    "destination, payload, next_try) VALUES (?1, ?2, ?3, CASE WHEN "
	    "?2 = 'webhook' AND json_valid(?4) AND json_type(?4, '$.event') = "
	    "'object' THEN CASE WHEN ?6 IS NULL THEN json_set(?4, "
	    "'$.event.event', ?1) ELSE json_set(?4, '$.event.event', ?1, "
	    "'$.event.visit', ?6) END ELSE ?4 END, ?5)", &stmt, cause) != 0)
		goto out;
	for (i = 0; i < nob; i++) {
		sqlite3_reset(stmt);
		sqlite3_bind_int64(stmt, 1, row.id);
		store_bind_text(stmt, 2, ob[i].kind);
		store_bind_text(stmt, 3, ob[i].destination);
		store_bind_text(stmt, 4, ob[i].payload);
		sqlite3_bind_int64(stmt, 5, ob[i].next_try);
		store_bind_id(stmt, 6, row.visit_id);
		if (sqlite3_step(stmt) != SQLITE_DONE) {
			store_error(st, cause, "add outbox row");
			goto out;
		}
	}
	if (id != NULL)
		*id = row.id;
	r = 0;
out:
	sqlite3_finalize(stmt);
	return r;
}

/* Checks EV and its NOB outbox rows before a transaction: rows need EV. */
static int
store_event_check(const struct store_event *ev, size_t nob, char **cause)
{
	if (ev == NULL) {
		if (nob == 0)
			return 0;
		xasprintf(cause, "outbox rows without an event");
		return -1;
	}
	if (ev->type == NULL || *ev->type == '\0') {
		xasprintf(cause, "event without a type");
		return -1;
	}
	return 0;
}

/* Appends an event with its outbox rows, all or nothing. */
int
store_event_append_outbox(struct store *st, const struct store_event *ev,
    const struct store_outbox *ob, size_t nob, int64_t *id, char **cause)
{
	if (ev == NULL) {
		xasprintf(cause, "no event");
		return -1;
	}
	if (store_event_check(ev, nob, cause) != 0)
		return -1;
	if (store_begin(st, cause) != 0)
		return -1;
	if (store_event_insert(st, ev, ob, nob, id, cause) != 0) {
		store_rollback(st);
		return -1;
	}
	return store_commit(st, cause);
}

/* Appends an event. */
int
store_event_append(struct store *st, const struct store_event *ev,
    int64_t *id, char **cause)
{
	return store_event_append_outbox(st, ev, NULL, 0, id, cause);
}

#define STORE_EVENT_COLUMNS \
	"SELECT id, time, type, door, person_id, visit_id, details, " \
	"prev_hash, hash FROM events "

/* Fills E from the event columns of STMT; strings are borrowed. */
static void
store_event_read(sqlite3_stmt *stmt, struct store_event *e)
{
	const unsigned char	*s;

	e->id = sqlite3_column_int64(stmt, 0);
	e->time = sqlite3_column_int64(stmt, 1);
	e->type = (const char *)sqlite3_column_text(stmt, 2);
	e->door = (const char *)sqlite3_column_text(stmt, 3);
	e->person_id = sqlite3_column_int64(stmt, 4);
	e->visit_id = sqlite3_column_int64(stmt, 5);
	e->details = (const char *)sqlite3_column_text(stmt, 6);
	s = sqlite3_column_text(stmt, 7);
	snprintf(e->prev_hash, sizeof e->prev_hash, "%s",
	    s != NULL ? (const char *)s : "");
	s = sqlite3_column_text(stmt, 8);
	snprintf(e->hash, sizeof e->hash, "%s",
	    s != NULL ? (const char *)s : "");
}

/* Calls CB for events after SINCE_ID. */
int
store_events_each(struct store *st, int64_t since_id, int limit,
    int (*cb)(const struct store_event *, void *), void *arg, char **cause)
{
	sqlite3_stmt		*stmt;
	struct store_event	 e;
	int			 rc, r = -1;

	if (store_prepare(st, STORE_EVENT_COLUMNS "WHERE id > ? ORDER BY id "
	    "LIMIT ?", &stmt, cause) != 0)
		return -1;
	sqlite3_bind_int64(stmt, 1, since_id);
	sqlite3_bind_int(stmt, 2, limit > 0 ? limit : -1);
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		store_event_read(stmt, &e);
		if ((r = cb(&e, arg)) != 0)
			goto out;
	}
	if (rc != SQLITE_DONE) {
		store_error(st, cause, "events");
		r = -1;
		goto out;
	}
	r = 0;
out:
	sqlite3_finalize(stmt);
	return r;
}

/*
 * The first event at or after TIME. Times need not rise with ids (the
 * clock may step back), so this is the lowest id with a time at or after
 * TIME: what follows it may hold an earlier time, never the reverse.
 */
int
store_event_first_after(struct store *st, int64_t time, int64_t *id,
    char **cause)
{
	char	anchor[STORE_HASH_LEN + 1], head[STORE_HASH_LEN + 1];
	int64_t	anchor_id, head_id, v;
	int	r;

	if ((r = store_get_int(st, "SELECT min(id) FROM events WHERE time >= "
	    "?1", time, &v, cause)) == 0) {
		*id = v;
		return 0;
	}
	if (r < 0)
		return -1;
	if (store_chain_get(st, &anchor_id, anchor, &head_id, head,
	    cause) != 0)
		return -1;
	*id = head_id + 1;
	return 0;
}

/* The time of the newest event, 0 if none. */
int
store_event_last_time(struct store *st, int64_t *time, char **cause)
{
	int64_t	v;
	int	r;

	if ((r = store_get_int(st, "SELECT time FROM events WHERE id = "
	    "(SELECT head_id FROM chain WHERE id = 1)", 0, &v, cause)) < 0)
		return -1;
	*time = r == 0 ? v : 0;
	return 0;
}

/*
 * Walks the chain from the anchor through event UPTO (the head if UPTO is
 * negative, and then the head must match too). Returns 0 with the number
 * of events and the hash of the last; 1 with the first bad id and the
 * reason in *CAUSE; -1 on error. Every event's id must follow the one
 * before, its prev_hash must be the hash before, and its hash must be that
 * of its contents; so an edit shows at the edited row, a deleted row at
 * its id, and swapped rows at the first of them.
 */
static int
store_chain_walk(struct store *st, int64_t upto, int64_t *count,
    char last[STORE_HASH_LEN + 1], int64_t *bad_id, char **cause)
{
	struct store_hash_row	 row;
	sqlite3_stmt		*stmt;
	const char		*prev_hash, *hash;
	char			 anchor[STORE_HASH_LEN + 1];
	char			 head[STORE_HASH_LEN + 1];
	char			 want[STORE_HASH_LEN + 1];
	int64_t			 anchor_id, head_id, expect, n = 0;
	int			 rc = SQLITE_DONE, r = -1;

	if (store_chain_get(st, &anchor_id, anchor, &head_id, head,
	    cause) != 0)
		return -1;
	if (upto < 0)
		upto = head_id;
	if (store_prepare(st, STORE_EVENT_COLUMNS "ORDER BY id", &stmt,
	    cause) != 0)
		return -1;
	expect = anchor_id + 1;
	memcpy(last, anchor, sizeof anchor);
	while (expect <= upto && (rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		memset(&row, 0, sizeof row);
		row.id = sqlite3_column_int64(stmt, 0);
		if (row.id < expect) {
			xasprintf(cause, "before the anchor (event %lld)",
			    (long long)anchor_id);
			goto broken;
		}
		if (row.id > expect) {
			row.id = expect;
			xasprintf(cause, "missing");
			goto broken;
		}
		row.time = sqlite3_column_int64(stmt, 1);
		row.type = (const char *)sqlite3_column_text(stmt, 2);
		row.type_len = (size_t)sqlite3_column_bytes(stmt, 2);
		row.door = (const char *)sqlite3_column_text(stmt, 3);
		row.door_len = (size_t)sqlite3_column_bytes(stmt, 3);
		row.person_id = sqlite3_column_int64(stmt, 4);
		row.person_null = sqlite3_column_type(stmt, 4) == SQLITE_NULL;
		row.visit_id = sqlite3_column_int64(stmt, 5);
		row.visit_null = sqlite3_column_type(stmt, 5) == SQLITE_NULL;
		row.details = (const char *)sqlite3_column_text(stmt, 6);
		row.details_len = (size_t)sqlite3_column_bytes(stmt, 6);
		prev_hash = (const char *)sqlite3_column_text(stmt, 7);
		hash = (const char *)sqlite3_column_text(stmt, 8);
		if (row.type == NULL || row.details == NULL ||
		    prev_hash == NULL || hash == NULL) {
			xasprintf(cause, "a column is NULL");
			goto broken;
		}
		if (strcmp(prev_hash, last) != 0) {
			xasprintf(cause, "does not chain from event %lld",
			    (long long)expect - 1);
			goto broken;
		}
		if (store_event_hash(last, &row, want, cause) != 0)
			goto out;
		if (strcmp(hash, want) != 0) {
			xasprintf(cause, "contents do not match the hash");
			goto broken;
		}
		memcpy(last, want, sizeof want);
		expect++;
		n++;
	}
	if (expect <= upto) {
		if (rc != SQLITE_DONE) {
			store_error(st, cause, "events");
			goto out;
		}
		row.id = expect;
		xasprintf(cause, "missing (the head is event %lld)",
		    (long long)head_id);
		goto broken;
	}
	if (upto == head_id) {
		if ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
			row.id = sqlite3_column_int64(stmt, 0);
			xasprintf(cause, "after the head (event %lld)",
			    (long long)head_id);
			goto broken;
		}
		if (strcmp(last, head) != 0) {
			row.id = head_id;
			xasprintf(cause, "does not match the head hash");
			goto broken;
		}
	}
	*count = n;
	r = 0;
	goto out;
broken:
	*bad_id = row.id;
	r = 1;
out:
	sqlite3_finalize(stmt);
	return r;
}

/*
 * Verifies the whole log. The walk runs in a read transaction so it sees
 * one snapshot, whatever writers do meanwhile.
 */
int
store_verify_log(struct store *st, int64_t *count, int64_t *bad_id,
    char **cause)
{
	char	last[STORE_HASH_LEN + 1];
	int64_t	n = 0;
	int	r;

	*bad_id = 0;
	if (store_exec(st, "BEGIN", cause) != 0)
		return -1;
	r = store_chain_walk(st, -1, &n, last, bad_id, cause);
	store_rollback(st);
	if (count != NULL)
		*count = n;
	return r;
}

/*
 * Appends EV, if not NULL, as an event of visit ID with its NOB outbox
 * rows; inside a transaction. *EVENT_ID is 0 without EV.
 */
static int
store_visit_event(struct store *st, int64_t id, const struct store_event *ev,
    const struct store_outbox *ob, size_t nob, int64_t *event_id,
    char **cause)
{
	struct store_event	e;

	if (ev == NULL) {
		if (event_id != NULL)
			*event_id = 0;
		return 0;
	}
	e = *ev;
	e.visit_id = id;
	return store_event_insert(st, &e, ob, nob, event_id, cause);
}

/*
 * Adds photo HASH with descriptor blob BLOB (may be NULL) to visit ID,
 * which exists; the first row of a photo stays. Inside a transaction.
 */
static int
store_visit_photo_insert(struct store *st, int64_t id, const char *hash,
    const uint8_t *blob, int64_t time, char **cause)
{
	sqlite3_stmt	*stmt;
	int		 rc, r = -1;

	if (store_prepare(st, "INSERT INTO visit_photos (visit_id, photo, "
	    "descriptor, time) VALUES (?, ?, ?, ?) ON CONFLICT (visit_id, "
	    "photo) DO NOTHING", &stmt, cause) != 0)
		return -1;
	sqlite3_bind_int64(stmt, 1, id);
	store_bind_text(stmt, 2, hash);
	store_bind_desc(stmt, 3, blob);
	sqlite3_bind_int64(stmt, 4, time);
	if ((rc = sqlite3_step(stmt)) != SQLITE_DONE) {
		if (rc == SQLITE_CONSTRAINT_FOREIGNKEY)
			xasprintf(cause, "no photo %s", hash);
		else
			store_error(st, cause, "add visit photo");
		goto out;
	}
	r = 0;
out:
	sqlite3_finalize(stmt);
	return r;
}

/* Adds a pending visit, with its event and outbox rows, all or nothing. */
int
store_visit_add_outbox(struct store *st, const char *door, int64_t time,
    const char *photo_hash, const float *desc, const struct store_event *ev,
    const struct store_outbox *ob, size_t nob, int64_t *visit_id,
    int64_t *event_id, char **cause)
{
	sqlite3_stmt	*stmt = NULL;
	uint8_t		 blob[STORE_DESCRIPTOR * 4];
	int64_t		 id;
	int		 rc, r = -1;

	if (store_photo_check(photo_hash, cause) != 0 ||
	    (desc != NULL && store_desc_encode(desc, blob, cause) != 0) ||
	    store_event_check(ev, nob, cause) != 0)
		return -1;
	if (store_begin(st, cause) != 0)
		return -1;
	if (store_prepare(st, "INSERT INTO visits (door, first_seen, "
	    "last_seen, photo, descriptor) VALUES (?1, ?2, ?2, ?3, ?4)", &stmt,
	    cause) != 0)
		goto out;
	store_bind_text(stmt, 1, door);
	sqlite3_bind_int64(stmt, 2, time);
	store_bind_text(stmt, 3, photo_hash);
	store_bind_desc(stmt, 4, desc != NULL ? blob : NULL);
	if ((rc = sqlite3_step(stmt)) != SQLITE_DONE) {
		if (rc == SQLITE_CONSTRAINT_FOREIGNKEY)
			xasprintf(cause, "no photo %s", photo_hash);
		else
			store_error(st, cause, "add visit");
		goto out;
	}
	id = sqlite3_last_insert_rowid(st->db);
	if (photo_hash != NULL && store_visit_photo_insert(st, id, photo_hash,
	    desc != NULL ? blob : NULL, time, cause) != 0)
		goto out;
	if (store_visit_event(st, id, ev, ob, nob, event_id, cause) != 0)
		goto out;
	if (store_commit(st, cause) != 0)
		goto out;
	if (visit_id != NULL)
		*visit_id = id;
	r = 0;
out:
	sqlite3_finalize(stmt);
	if (r != 0)
		store_rollback(st);
	return r;
}

/* Adds a pending visit and its event. */
int
store_visit_add(struct store *st, const char *door, int64_t time,
    const char *photo_hash, const float *desc, const struct store_event *ev,
    int64_t *visit_id, int64_t *event_id, char **cause)
{
	return store_visit_add_outbox(st, door, time, photo_hash, desc, ev,
	    NULL, 0, visit_id, event_id, cause);
}

/*
 * A pending visit seen again. A NULL photo or descriptor leaves the best
 * one as it was, so a frame without a usable face cannot erase it.
 */
int
store_visit_seen(struct store *st, int64_t id, int64_t time,
    const char *photo_hash, const float *desc, int best, char **cause)
{
	sqlite3_stmt	*stmt = NULL;
	uint8_t		 blob[STORE_DESCRIPTOR * 4];
	const uint8_t	*b = NULL;
	int		 rc, r = -1;

	if (store_photo_check(photo_hash, cause) != 0)
		return -1;
	if (desc != NULL) {
		if (store_desc_encode(desc, blob, cause) != 0)
			return -1;
		b = blob;
	}
	if (store_begin(st, cause) != 0)
		return -1;
	if (store_prepare(st, "UPDATE visits SET last_seen = max(last_seen, "
	    "?2), seen_count = seen_count + 1, photo = CASE WHEN ?3 THEN "
	    "coalesce(?4, photo) ELSE photo END, descriptor = CASE WHEN ?3 "
	    "THEN coalesce(?5, descriptor) ELSE descriptor END WHERE id = ?1 "
	    "AND state = 'pending'", &stmt, cause) != 0)
		goto out;
	sqlite3_bind_int64(stmt, 1, id);
	sqlite3_bind_int64(stmt, 2, time);
	sqlite3_bind_int(stmt, 3, best != 0);
	store_bind_text(stmt, 4, photo_hash);
	store_bind_desc(stmt, 5, b);
	if ((rc = sqlite3_step(stmt)) != SQLITE_DONE) {
		if (rc == SQLITE_CONSTRAINT_FOREIGNKEY)
			xasprintf(cause, "no photo %s", photo_hash);
		else
			store_error(st, cause, "visit seen");
		goto out;
	}
	if (sqlite3_changes(st->db) != 1) {
		r = 1;
		goto out;
	}
	if (photo_hash != NULL && store_visit_photo_insert(st, id, photo_hash,
	    b, time, cause) != 0)
		goto out;
	if (store_commit(st, cause) != 0)
		goto out;
	r = 0;
out:
	sqlite3_finalize(stmt);
	if (r != 0)
		store_rollback(st);
	return r;
}

/* Adds a photo of a visit's track. */
int
store_visit_photo_add(struct store *st, int64_t id, const char *photo_hash,
    const float *desc, int64_t time, char **cause)
{
	uint8_t	blob[STORE_DESCRIPTOR * 4];
	int64_t	v;
	int	r = -1;

	if (photo_hash == NULL) {
		xasprintf(cause, "visit photo without a photo");
		return -1;
	}
	if (store_photo_check(photo_hash, cause) != 0 ||
	    (desc != NULL && store_desc_encode(desc, blob, cause) != 0))
		return -1;
	if (store_begin(st, cause) != 0)
		return -1;
	if ((r = store_get_int(st, "SELECT 1 FROM visits WHERE id = ?1", id,
	    &v, cause)) != 0)
		goto out;
	r = -1;
	if (store_visit_photo_insert(st, id, photo_hash, desc != NULL ? blob :
	    NULL, time, cause) != 0 || store_commit(st, cause) != 0)
		goto out;
	r = 0;
out:
	if (r != 0)
		store_rollback(st);
	return r;
}

/* Calls CB for each photo of a visit, oldest first. */
int
store_visit_photos(struct store *st, int64_t id, int (*cb)(const char *,
    const float *, int64_t, void *), void *arg, char **cause)
{
	sqlite3_stmt	*stmt;
	float		 desc[STORE_DESCRIPTOR];
	int		 rc, has, r = -1;

	if (store_prepare(st, "SELECT photo, descriptor, time FROM "
	    "visit_photos WHERE visit_id = ? ORDER BY time, rowid", &stmt,
	    cause) != 0)
		return -1;
	sqlite3_bind_int64(stmt, 1, id);
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		if ((has = store_column_desc(stmt, 1, desc)) < 0) {
			xasprintf(cause, "visit %lld: bad descriptor",
			    (long long)id);
			r = -1;
			goto out;
		}
		r = cb((const char *)sqlite3_column_text(stmt, 0),
		    has ? desc : NULL, sqlite3_column_int64(stmt, 2), arg);
		if (r != 0)
			goto out;
	}
	if (rc != SQLITE_DONE) {
		store_error(st, cause, "visit photos");
		r = -1;
		goto out;
	}
	r = 0;
out:
	sqlite3_finalize(stmt);
	return r;
}

#define STORE_VISIT_COLUMNS \
	"SELECT id, state, door, person_id, first_seen, last_seen, " \
	"seen_count, photo, name, email, phone, decided_by, decided_at, " \
	"reason, descriptor FROM visits "

/* Fills V from the visit columns of STMT. */
static void
store_visit_read(sqlite3_stmt *stmt, struct store_visit *v)
{
	const unsigned char	*s;

	memset(v, 0, sizeof *v);
	v->id = sqlite3_column_int64(stmt, 0);
	s = sqlite3_column_text(stmt, 1);
	snprintf(v->state, sizeof v->state, "%s",
	    s != NULL ? (const char *)s : "");
	v->door = store_column_strdup(stmt, 2);
	v->person_id = sqlite3_column_int64(stmt, 3);
	v->first_seen = sqlite3_column_int64(stmt, 4);
	v->last_seen = sqlite3_column_int64(stmt, 5);
	v->seen_count = sqlite3_column_int(stmt, 6);
	s = sqlite3_column_text(stmt, 7);
	if (s != NULL && store_hash_valid((const char *)s))
		memcpy(v->photo, s, sizeof v->photo);
	v->name = store_column_strdup(stmt, 8);
	v->email = store_column_strdup(stmt, 9);
	v->phone = store_column_strdup(stmt, 10);
	v->decided_by = store_column_strdup(stmt, 11);
	v->decided_at = sqlite3_column_int64(stmt, 12);
	v->reason = store_column_strdup(stmt, 13);
	/* The CHECK keeps any other length out. */
	v->has_descriptor = store_column_desc(stmt, 14, v->descriptor) == 1;
}

/* Finds a visit by id. */
int
store_visit_find(struct store *st, int64_t id, struct store_visit *out,
    char **cause)
{
	sqlite3_stmt	*stmt;
	int		 rc, r = -1;

	memset(out, 0, sizeof *out);
	if (store_prepare(st, STORE_VISIT_COLUMNS "WHERE id = ?", &stmt,
	    cause) != 0)
		return -1;
	sqlite3_bind_int64(stmt, 1, id);
	if ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		store_visit_read(stmt, out);
		r = 0;
	} else if (rc == SQLITE_DONE)
		r = 1;
	else
		store_error(st, cause, "find visit");
	sqlite3_finalize(stmt);
	return r;
}

/* Frees the strings of V. */
void
store_visit_clear(struct store_visit *v)
{
	free(v->door);
	free(v->name);
	free(v->email);
	free(v->phone);
	free(v->decided_by);
	free(v->reason);
	memset(v, 0, sizeof *v);
}

/* Calls CB for the pending visits, the most recently seen first. */
int
store_visits_pending(struct store *st,
    int (*cb)(const struct store_visit *, void *), void *arg, char **cause)
{
	sqlite3_stmt		*stmt;
	struct store_visit	 v;
	int			 rc, r = -1;

	if (store_prepare(st, STORE_VISIT_COLUMNS "WHERE state = 'pending' "
	    "ORDER BY last_seen DESC, id DESC", &stmt, cause) != 0)
		return -1;
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		store_visit_read(stmt, &v);
		r = cb(&v, arg);
		store_visit_clear(&v);
		if (r != 0)
			goto out;
	}
	if (rc != SQLITE_DONE) {
		store_error(st, cause, "pending visits");
		r = -1;
		goto out;
	}
	r = 0;
out:
	sqlite3_finalize(stmt);
	return r;
}

/* Whether S is a pass id: 32 lower case hex digits. */
static int
store_pass_id_valid(const char *s)
{
	size_t	i;

	for (i = 0; i < STORE_PASS_ID_LEN; i++) {
		if (!((s[i] >= '0' && s[i] <= '9') ||
		    (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	}
	return s[i] == '\0';
}

/* Inserts pass P (its created is now). Inside a transaction or not. */
static int
store_pass_insert(struct store *st, const struct store_pass *p, char **cause)
{
	sqlite3_stmt	*stmt;
	int		 rc, r = -1;

	if (!store_pass_id_valid(p->id)) {
		xasprintf(cause, "bad pass id");
		return -1;
	}
	if (p->doors == NULL || p->expires <= p->not_before || p->uses < 0) {
		xasprintf(cause, "bad pass %s: no doors, an empty window or "
		    "negative uses", p->id);
		return -1;
	}
	if (store_prepare(st, "INSERT INTO passes (id, key_id, visit_id, "
	    "person_id, doors, not_before, expires, uses, pin_hash, revoked, "
	    "created) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", &stmt,
	    cause) != 0)
		return -1;
	store_bind_text(stmt, 1, p->id);
	sqlite3_bind_int64(stmt, 2, p->key_id);
	store_bind_id(stmt, 3, p->visit_id);
	store_bind_id(stmt, 4, p->person_id);
	store_bind_text(stmt, 5, p->doors);
	sqlite3_bind_int64(stmt, 6, p->not_before);
	sqlite3_bind_int64(stmt, 7, p->expires);
	sqlite3_bind_int(stmt, 8, p->uses);
	store_bind_text(stmt, 9, p->pin_hash);
	store_bind_id(stmt, 10, p->revoked);
	sqlite3_bind_int64(stmt, 11, store_now());
	if ((rc = sqlite3_step(stmt)) != SQLITE_DONE) {
		if (rc == SQLITE_CONSTRAINT_PRIMARYKEY)
			xasprintf(cause, "pass %s exists already", p->id);
		else if (rc == SQLITE_CONSTRAINT_FOREIGNKEY)
			xasprintf(cause, "pass %s: no visit %lld or person "
			    "%lld", p->id, (long long)p->visit_id,
			    (long long)p->person_id);
		else
			store_error(st, cause, "add pass");
		goto out;
	}
	r = 0;
out:
	sqlite3_finalize(stmt);
	return r;
}

/* Adds a pass on its own. */
int
store_pass_add(struct store *st, const struct store_pass *p, char **cause)
{
	return store_pass_insert(st, p, cause);
}

#define STORE_PASS_COLUMNS \
	"SELECT p.id, p.key_id, p.visit_id, p.person_id, p.doors, " \
	"p.not_before, p.expires, p.uses, p.pin_hash, p.revoked, p.created, " \
	"h.name FROM passes p LEFT JOIN people h ON p.person_id = h.id "

/* Fills P from the pass columns of STMT. */
static void
store_pass_read(sqlite3_stmt *stmt, struct store_pass *p)
{
	const unsigned char	*s;

	memset(p, 0, sizeof *p);
	s = sqlite3_column_text(stmt, 0);
	/* The CHECK keeps any other id out. */
	if (s != NULL && store_pass_id_valid((const char *)s))
		memcpy(p->id, s, sizeof p->id);
	p->key_id = sqlite3_column_int64(stmt, 1);
	p->visit_id = sqlite3_column_int64(stmt, 2);
	p->person_id = sqlite3_column_int64(stmt, 3);
	p->doors = store_column_strdup(stmt, 4);
	p->not_before = sqlite3_column_int64(stmt, 5);
	p->expires = sqlite3_column_int64(stmt, 6);
	p->uses = sqlite3_column_int(stmt, 7);
	p->pin_hash = store_column_strdup(stmt, 8);
	p->revoked = sqlite3_column_int64(stmt, 9);
	p->created = sqlite3_column_int64(stmt, 10);
	p->person_name = store_column_strdup(stmt, 11);
}

/* Finds a pass by id. */
int
store_pass_find(struct store *st, const char *id, struct store_pass *out,
    char **cause)
{
	sqlite3_stmt	*stmt;
	int		 rc, r = -1;

	memset(out, 0, sizeof *out);
	if (!store_pass_id_valid(id))
		return 1;
	if (store_prepare(st, STORE_PASS_COLUMNS "WHERE p.id = ?", &stmt,
	    cause) != 0)
		return -1;
	store_bind_text(stmt, 1, id);
	if ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		store_pass_read(stmt, out);
		r = 0;
	} else if (rc == SQLITE_DONE)
		r = 1;
	else
		store_error(st, cause, "find pass");
	sqlite3_finalize(stmt);
	return r;
}

/* Frees the strings of P. */
void
store_pass_clear(struct store_pass *p)
{
	free(p->doors);
	free(p->pin_hash);
	free(p->person_name);
	memset(p, 0, sizeof *p);
}

/* Calls CB for the passes that may still open a door, newest first. */
int
store_passes_list(struct store *st, int64_t now,
    int (*cb)(const struct store_pass *, void *), void *arg, char **cause)
{
	sqlite3_stmt		*stmt;
	struct store_pass	 p;
	int			 rc, r = -1;

	if (store_prepare(st, STORE_PASS_COLUMNS "WHERE p.expires >= ? AND "
	    "p.revoked IS NULL AND p.uses > 0 ORDER BY p.created DESC, "
	    "p.rowid DESC", &stmt, cause) != 0)
		return -1;
	sqlite3_bind_int64(stmt, 1, now);
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		store_pass_read(stmt, &p);
		r = cb(&p, arg);
		store_pass_clear(&p);
		if (r != 0)
			goto out;
	}
	if (rc != SQLITE_DONE) {
		store_error(st, cause, "list passes");
		r = -1;
		goto out;
	}
	r = 0;
out:
	sqlite3_finalize(stmt);
	return r;
}

/* Adds a pass with the event that issues it and its outbox rows. */
int
store_pass_issue(struct store *st, const struct store_pass *p,
    const struct store_event *ev, const struct store_outbox *ob, size_t nob,
    int64_t *event_id, char **cause)
{
	if (ev == NULL) {
		xasprintf(cause, "no event");
		return -1;
	}
	if (store_event_check(ev, nob, cause) != 0)
		return -1;
	if (store_begin(st, cause) != 0)
		return -1;
	if (store_pass_insert(st, p, cause) != 0 ||
	    store_event_insert(st, ev, ob, nob, event_id, cause) != 0) {
		store_rollback(st);
		return -1;
	}
	return store_commit(st, cause);
}

/*
 * Appends EV with its NOB outbox rows if the state CHECK reads is 0, and
 * applies CHANGE first, all in one IMMEDIATE transaction: what CHECK read
 * cannot change before CHANGE, so two agents racing for the same row get
 * one event. CHECK is a SELECT of one integer (no row: 1, "no such"; 0:
 * go on; another value: returned as it is); BIND binds ARG to both
 * statements (numbered parameters; CHECK may use fewer). Returns 0, 1 or
 * CHECK's value with nothing changed, or -1.
 */
static int
store_event_if(struct store *st, const char *check, const char *change,
    void (*bind)(sqlite3_stmt *, const void *), const void *arg,
    const struct store_event *ev, const struct store_outbox *ob, size_t nob,
    int64_t *event_id, char **cause)
{
	sqlite3_stmt	*stmt = NULL;
	int		 rc, r = -1;

	if (ev == NULL) {
		xasprintf(cause, "no event");
		return -1;
	}
	if (store_event_check(ev, nob, cause) != 0 || store_begin(st, cause) != 0)
		return -1;
	if (store_prepare(st, check, &stmt, cause) != 0)
		goto out;
	bind(stmt, arg);
	if ((rc = sqlite3_step(stmt)) == SQLITE_DONE) {
		r = 1;
		goto out;
	}
	if (rc != SQLITE_ROW) {
		store_error(st, cause, "database");
		goto out;
	}
	if ((rc = sqlite3_column_int(stmt, 0)) != 0) {
		r = rc;
		goto out;
	}
	sqlite3_finalize(stmt);
	stmt = NULL;
	if (store_prepare(st, change, &stmt, cause) != 0)
		goto out;
	bind(stmt, arg);
	if (sqlite3_step(stmt) != SQLITE_DONE) {
		store_error(st, cause, "database");
		goto out;
	}
	if (store_event_insert(st, ev, ob, nob, event_id, cause) != 0)
		goto out;
	sqlite3_finalize(stmt);
	return store_commit(st, cause);

out:
	sqlite3_finalize(stmt);
	store_rollback(st);
	return r;
}

static void
store_bind_pass_id(sqlite3_stmt *stmt, const void *arg)
{
	store_bind_text(stmt, 1, arg);
}

/* Uses pass ID once with the event that records the entry. */
int
store_pass_use(struct store *st, const char *id, const struct store_event *ev,
    const struct store_outbox *ob, size_t nob, int64_t *event_id,
    char **cause)
{
	if (!store_pass_id_valid(id))
		return 1;
	return store_event_if(st, "SELECT CASE WHEN revoked IS NOT NULL THEN 2 "
	    "WHEN uses <= 0 THEN 3 ELSE 0 END FROM passes WHERE id = ?1",
	    "UPDATE passes SET uses = uses - 1 WHERE id = ?1",
	    store_bind_pass_id, id, ev, ob, nob, event_id, cause);
}

/* Calls CB for the alarms, newest first: all, or those not acknowledged. */
int
store_alarms_list(struct store *st, int all, int limit,
    int (*cb)(const struct store_alarm *, void *), void *arg, char **cause)
{
	sqlite3_stmt	*stmt;
	struct store_alarm a;
	int		 rc, r = -1;

	if (store_prepare(st, "SELECT e.id, e.time, e.person_id, e.visit_id, "
	    "e.details, k.by, k.time, k.note FROM events e LEFT JOIN acks k "
	    "ON k.alarm = e.id WHERE e.type = 'alarm' AND (?1 OR k.alarm IS "
	    "NULL) ORDER BY e.id DESC LIMIT ?2", &stmt, cause) != 0)
		return -1;
	sqlite3_bind_int(stmt, 1, all != 0);
	sqlite3_bind_int(stmt, 2, limit > 0 ? limit : -1);
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		memset(&a, 0, sizeof a);
		a.id = sqlite3_column_int64(stmt, 0);
		a.time = sqlite3_column_int64(stmt, 1);
		a.person_id = sqlite3_column_int64(stmt, 2);
		a.visit_id = sqlite3_column_int64(stmt, 3);
		a.details = (const char *)sqlite3_column_text(stmt, 4);
		a.acked_by = (const char *)sqlite3_column_text(stmt, 5);
		a.acked_at = sqlite3_column_int64(stmt, 6);
		a.note = (const char *)sqlite3_column_text(stmt, 7);
		if ((r = cb(&a, arg)) != 0)
			goto out;
	}
	if (rc != SQLITE_DONE) {
		store_error(st, cause, "alarms");
		r = -1;
		goto out;
	}
	r = 0;
out:
	sqlite3_finalize(stmt);
	return r;
}

struct store_ack {
	int64_t		 alarm;
	const char	*by;
	const char	*note;
	int64_t		 time;
};

static void
store_bind_ack(sqlite3_stmt *stmt, const void *arg)
{
	const struct store_ack	*k = arg;

	sqlite3_bind_int64(stmt, 1, k->alarm);
	/* The check has ?1 only: the others are SQLITE_RANGE there. */
	store_bind_text(stmt, 2, k->by);
	sqlite3_bind_int64(stmt, 3, k->time);
	store_bind_text(stmt, 4, k->note);
}

/* Acknowledges alarm ALARM with the event EV that records it. */
int
store_alarm_ack(struct store *st, int64_t alarm, const char *by,
    const char *note, const struct store_event *ev, int64_t *event_id,
    char **cause)
{
	struct store_ack	k;

	if (ev == NULL || by == NULL) {
		xasprintf(cause, "no event or no one acknowledging");
		return -1;
	}
	k.alarm = alarm;
	k.by = by;
	k.note = note;
	k.time = ev->time;
	return store_event_if(st, "SELECT CASE WHEN k.alarm IS NOT NULL THEN 2 "
	    "ELSE 0 END FROM events e LEFT JOIN acks k ON k.alarm = e.id "
	    "WHERE e.id = ?1 AND e.type = 'alarm'",
	    "INSERT INTO acks (alarm, by, time, note) VALUES (?1, ?2, ?3, ?4)",
	    store_bind_ack, &k, ev, NULL, 0, event_id, cause);
}

/* The latest expiry of the passes key KEY_ID signed, 0 if none. */
int
store_key_last_expiry(struct store *st, int64_t key_id, int64_t *ms,
    char **cause)
{
	return store_get_int(st, "SELECT coalesce(max(expires), 0) FROM "
	    "passes WHERE key_id = ?", key_id, ms, cause);
}

/* Revokes a pass that is not revoked yet. */
int
store_pass_revoke(struct store *st, const char *id, char **cause)
{
	sqlite3_stmt	*stmt;
	int		 r = -1;

	if (!store_pass_id_valid(id))
		return 1;
	if (store_prepare(st, "UPDATE passes SET revoked = ? WHERE id = ? AND "
	    "revoked IS NULL", &stmt, cause) != 0)
		return -1;
	sqlite3_bind_int64(stmt, 1, store_now());
	store_bind_text(stmt, 2, id);
	if (sqlite3_step(stmt) != SQLITE_DONE)
		store_error(st, cause, "revoke pass");
	else
		r = sqlite3_changes(st->db) == 1 ? 0 : 1;
	sqlite3_finalize(stmt);
	return r;
}

/*
 * Decides a pending visit, with its event and outbox rows, all or nothing.
 * The state is read inside the IMMEDIATE transaction, so two guards
 * deciding the same visit at once get one 0 and one 2.
 */
int
store_visit_decide_outbox(struct store *st, int64_t id,
    const struct store_decision *d, const struct store_event *ev,
    const struct store_outbox *ob, size_t nob, int64_t *event_id,
    char **cause)
{
	sqlite3_stmt		*stmt = NULL;
	const unsigned char	*state;
	int			 rc, r = -1;

	if (d->state == NULL || (strcmp(d->state, "approved") != 0 &&
	    strcmp(d->state, "denied") != 0)) {
		xasprintf(cause, "bad decision '%s'",
		    d->state != NULL ? d->state : "");
		return -1;
	}
	if (d->by == NULL || *d->by == '\0') {
		xasprintf(cause, "a decision without who made it");
		return -1;
	}
	if (d->pass != NULL && strcmp(d->state, "approved") != 0) {
		xasprintf(cause, "a pass with a denial");
		return -1;
	}
	if (store_event_check(ev, nob, cause) != 0)
		return -1;
	if (store_begin(st, cause) != 0)
		return -1;
	if (store_prepare(st, "SELECT state FROM visits WHERE id = ?", &stmt,
	    cause) != 0)
		goto out;
	sqlite3_bind_int64(stmt, 1, id);
	if ((rc = sqlite3_step(stmt)) == SQLITE_DONE) {
		r = 1;
		goto out;
	}
	if (rc != SQLITE_ROW) {
		store_error(st, cause, "decide visit");
		goto out;
	}
	state = sqlite3_column_text(stmt, 0);
	if (state == NULL || strcmp((const char *)state, "pending") != 0) {
		r = 2;
		goto out;
	}
	sqlite3_finalize(stmt);

	if (store_prepare(st, "UPDATE visits SET state = ?2, decided_by = ?3, "
	    "decided_at = ?4, reason = ?5, name = coalesce(?6, name), email = "
	    "coalesce(?7, email), phone = coalesce(?8, phone), person_id = "
	    "coalesce(?9, person_id) WHERE id = ?1", &stmt, cause) != 0)
		goto out;
	sqlite3_bind_int64(stmt, 1, id);
	store_bind_text(stmt, 2, d->state);
	store_bind_text(stmt, 3, d->by);
	sqlite3_bind_int64(stmt, 4, store_now());
	store_bind_text(stmt, 5, d->reason);
	store_bind_text(stmt, 6, d->name);
	store_bind_text(stmt, 7, d->email);
	store_bind_text(stmt, 8, d->phone);
	store_bind_id(stmt, 9, d->person_id);
	if ((rc = sqlite3_step(stmt)) != SQLITE_DONE) {
		if (rc == SQLITE_CONSTRAINT_FOREIGNKEY)
			xasprintf(cause, "no person %lld",
			    (long long)d->person_id);
		else
			store_error(st, cause, "decide visit");
		goto out;
	}
	if (d->pass != NULL) {
		struct store_pass	p = *d->pass;

		p.visit_id = id;
		if (store_pass_insert(st, &p, cause) != 0)
			goto out;
	}
	if (store_visit_event(st, id, ev, ob, nob, event_id, cause) != 0 ||
	    store_commit(st, cause) != 0)
		goto out;
	r = 0;
out:
	sqlite3_finalize(stmt);
	if (r != 0)
		store_rollback(st);
	return r;
}

/* Sets what a waiting visitor said about themselves (the kiosk). */
int
store_visit_visitor(struct store *st, int64_t id, const char *name,
    const char *email, const char *phone, char **cause)
{
	sqlite3_stmt	*stmt;
	int		 r = -1;

	if (store_prepare(st, "UPDATE visits SET name = coalesce(?2, name), "
	    "email = coalesce(?3, email), phone = coalesce(?4, phone) "
	    "WHERE id = ?1 AND state = 'pending'", &stmt, cause) != 0)
		return -1;
	sqlite3_bind_int64(stmt, 1, id);
	store_bind_text(stmt, 2, name);
	store_bind_text(stmt, 3, email);
	store_bind_text(stmt, 4, phone);
	if (sqlite3_step(stmt) != SQLITE_DONE)
		store_error(st, cause, "visitor details");
	else
		r = sqlite3_changes(st->db) == 0 ? 1 : 0;
	sqlite3_finalize(stmt);
	return r;
}

/* Decides a pending visit and appends its event. */
int
store_visit_decide(struct store *st, int64_t id,
    const struct store_decision *d, const struct store_event *ev,
    int64_t *event_id, char **cause)
{
	return store_visit_decide_outbox(st, id, d, ev, NULL, 0, event_id,
	    cause);
}

/* A descriptor of a visit to enroll, with its photo ("" if none). */
struct store_enroll {
	uint8_t	blob[STORE_DESCRIPTOR * 4];
	char	photo[STORE_HASH_LEN + 1];
};

/*
 * Enrolls a visitor from their visit. The descriptors are read first and
 * then inserted, the best first; a descriptor met again (the best is
 * usually also a visit photo's) is skipped, so no template is doubled.
 */
int
store_visit_enroll(struct store *st, int64_t visit_id, int64_t person_id,
    int *added, char **cause)
{
	sqlite3_stmt		*stmt = NULL;
	struct store_enroll	*list = NULL;
	const void		*b;
	const unsigned char	*photo;
	size_t			 n = 0, i, j;
	int64_t			 v;
	int			 rc, r = -1;

	if (added != NULL)
		*added = 0;
	if (store_begin(st, cause) != 0)
		return -1;
	if ((r = store_get_int(st, "SELECT 1 FROM visits WHERE id = ?1",
	    visit_id, &v, cause)) != 0 || (r = store_get_int(st, "SELECT 1 "
	    "FROM people WHERE id = ?1 AND forgotten IS NULL AND removed IS "
	    "NULL", person_id, &v, cause)) != 0)
		goto out;
	r = -1;
	if (store_prepare(st, "SELECT 0, 0, 0, descriptor, photo FROM visits "
	    "WHERE id = ?1 AND descriptor IS NOT NULL UNION ALL SELECT 1, "
	    "time, rowid, descriptor, photo FROM visit_photos WHERE visit_id "
	    "= ?1 AND descriptor IS NOT NULL ORDER BY 1, 2, 3", &stmt,
	    cause) != 0)
		goto out;
	sqlite3_bind_int64(stmt, 1, visit_id);
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		b = sqlite3_column_blob(stmt, 3);
		if (b == NULL || sqlite3_column_bytes(stmt, 3) !=
		    STORE_DESCRIPTOR * 4) {
			xasprintf(cause, "visit %lld: bad descriptor",
			    (long long)visit_id);
			goto out;
		}
		for (j = 0; j < n; j++) {
			if (memcmp(list[j].blob, b, sizeof list[j].blob) == 0)
				break;
		}
		if (j < n)
			continue;
		list = xreallocarray(list, n + 1, sizeof *list);
		memcpy(list[n].blob, b, sizeof list[n].blob);
		photo = sqlite3_column_text(stmt, 4);
		snprintf(list[n].photo, sizeof list[n].photo, "%s",
		    photo != NULL ? (const char *)photo : "");
		n++;
	}
	if (rc != SQLITE_DONE) {
		store_error(st, cause, "visit descriptors");
		goto out;
	}
	for (i = 0; i < n; i++) {
		if (store_template_insert(st, person_id, list[i].blob,
		    *list[i].photo != '\0' ? list[i].photo : NULL, NULL,
		    cause) != 0)
			goto out;
	}
	if (store_commit(st, cause) != 0)
		goto out;
	if (added != NULL)
		*added = (int)n;
	r = 0;
out:
	sqlite3_finalize(stmt);
	if (r != 0)
		store_rollback(st);
	free(list);
	return r;
}

/* Collects the hashes STMT returns into *LIST (NULL-terminated). */
static int
store_collect(struct store *st, sqlite3_stmt *stmt, char ***list,
    size_t *n, char **cause)
{
	int	rc;

	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		*list = xreallocarray(*list, *n + 2, sizeof **list);
		(*list)[(*n)++] = store_column_strdup(stmt, 0);
		(*list)[*n] = NULL;
	}
	if (rc != SQLITE_DONE) {
		store_error(st, cause, "photos");
		return -1;
	}
	return 0;
}

/*
 * Removes the files of the N photos in LIST, whose rows are gone, and
 * frees LIST. The rows go first: a crash between leaves an orphan file,
 * harmless, never a row naming a missing file.
 */
static void
store_unlink_photos(struct store *st, char **list, size_t n)
{
	char	*path, *dir;
	size_t	 i;

	for (i = 0; i < n; i++) {
		if ((path = store_photo_path(st, list[i])) != NULL) {
			unlink(path);
			xasprintf(&dir, "%s/%.2s", st->photos, list[i]);
			file_fsync_dir(dir, NULL);
			free(dir);
			free(path);
		}
		free(list[i]);
	}
	free(list);
}

/* Adds the photo hashes SQL selects (binding ARG as ?1) to *LIST. */
static int
store_photos_select(struct store *st, const char *sql, int64_t arg,
    char ***list, size_t *n, char **cause)
{
	sqlite3_stmt	*stmt;
	int		 r;

	if (store_prepare(st, sql, &stmt, cause) != 0)
		return -1;
	sqlite3_bind_int64(stmt, 1, arg);
	r = store_collect(st, stmt, list, n, cause);
	sqlite3_finalize(stmt);
	return r;
}

/*
 * Deletes the rows of the photos in LIST that no template, visit or visit
 * photo uses any more, and keeps only those in LIST. Inside a transaction.
 */
static int
store_photos_drop(struct store *st, char **list, size_t *n, char **cause)
{
	sqlite3_stmt	*stmt;
	size_t		 i = 0;
	int		 r = -1;

	if (store_prepare(st, "DELETE FROM photos WHERE hash = ?1 AND NOT "
	    "EXISTS (SELECT 1 FROM templates WHERE photo = ?1) AND NOT EXISTS "
	    "(SELECT 1 FROM visits WHERE photo = ?1) AND NOT EXISTS (SELECT 1 "
	    "FROM visit_photos WHERE photo = ?1)", &stmt, cause) != 0)
		return -1;
	while (i < *n) {
		sqlite3_reset(stmt);
		store_bind_text(stmt, 1, list[i]);
		if (sqlite3_step(stmt) != SQLITE_DONE) {
			store_error(st, cause, "delete photo");
			goto out;
		}
		if (sqlite3_changes(st->db) == 0) {
			/* Still used: keep the file. */
			free(list[i]);
			list[i] = list[--(*n)];
			list[*n] = NULL;
		} else
			i++;
	}
	r = 0;
out:
	sqlite3_finalize(stmt);
	return r;
}

/* Runs SQL binding ID as ?1 and NOW as ?2, in a transaction. */
static int
store_run_id(struct store *st, const char *sql, int64_t id, int64_t now,
    char **cause)
{
	sqlite3_stmt	*stmt;
	int		 r = -1;

	if (store_prepare(st, sql, &stmt, cause) != 0)
		return -1;
	sqlite3_bind_int64(stmt, 1, id);
	sqlite3_bind_int64(stmt, 2, now);
	if (sqlite3_step(stmt) != SQLITE_DONE) {
		store_error(st, cause, "database");
		goto out;
	}
	r = sqlite3_changes(st->db);
out:
	sqlite3_finalize(stmt);
	return r;
}

/*
 * Forgets a person: one transaction for the rows, then the files. The
 * people row stays (events name its id) with its personal fields NULL, and
 * so do their visits' rows, without details, the reason a guard typed
 * (which may name or describe them), photos and descriptors.
 */
int
store_forget_person(struct store *st, int64_t id, char **cause)
{
	static const char *steps[] = {
		"DELETE FROM templates WHERE person_id = ?1",
		"DELETE FROM visit_photos WHERE visit_id IN "
		"  (SELECT id FROM visits WHERE person_id = ?1)",
		"UPDATE visits SET name = NULL, email = NULL, phone = NULL, "
		"  reason = NULL, photo = NULL, descriptor = NULL "
		"  WHERE person_id = ?1",
		/* Queued notifications carry addresses. */
		"DELETE FROM outbox WHERE event_id IN "
		"  (SELECT id FROM events WHERE person_id = ?1) OR event_id IN "
		"  (SELECT e.id FROM events e JOIN visits v ON e.visit_id = "
		"  v.id WHERE v.person_id = ?1)",
		/* Their passes open no door, and keep no PIN hash. */
		"UPDATE passes SET pin_hash = NULL, revoked = "
		"  coalesce(revoked, ?2) WHERE person_id = ?1 OR visit_id IN "
		"  (SELECT id FROM visits WHERE person_id = ?1)",
		"UPDATE people SET name = NULL, email = NULL, phone = NULL, "
		"  forgotten = ?2 WHERE id = ?1",
	};
	char	**list = NULL;
	size_t	  n = 0, i;
	int	  r = -1, changed = 0;

	if (store_begin(st, cause) != 0)
		return -1;
	if (store_photos_select(st, "SELECT photo FROM templates WHERE "
	    "person_id = ?1 AND photo IS NOT NULL UNION SELECT photo FROM "
	    "visits WHERE person_id = ?1 AND photo IS NOT NULL UNION SELECT "
	    "p.photo FROM visit_photos p JOIN visits v ON p.visit_id = v.id "
	    "WHERE v.person_id = ?1", id, &list, &n, cause) != 0)
		goto out;
	for (i = 0; i < sizeof steps / sizeof steps[0]; i++) {
		if ((changed = store_run_id(st, steps[i], id, store_now(),
		    cause)) < 0)
			goto out;
	}
	if (changed != 1) {
		xasprintf(cause, "no person %lld", (long long)id);
		goto out;
	}
	if (store_photos_drop(st, list, &n, cause) != 0)
		goto out;
	if (store_commit(st, cause) != 0) {
		n = 0;
		goto out;
	}
	r = 0;
out:
	if (r != 0) {
		store_rollback(st);
		for (i = 0; i < n; i++)
			free(list[i]);
		free(list);
	} else
		store_unlink_photos(st, list, n);
	return r;
}

/*
 * Removes a person: one transaction for the rows, then the files of their
 * templates' photos that nothing else uses. Unlike forgetting, the person
 * and their history stay as they were.
 */
int
store_person_remove(struct store *st, int64_t id, char **cause)
{
	char	**list = NULL;
	size_t	  n = 0, i;
	int	  changed, r = -1;

	if (store_begin(st, cause) != 0)
		return -1;
	if ((changed = store_run_id(st, "UPDATE people SET removed = ?2 WHERE "
	    "id = ?1 AND removed IS NULL AND forgotten IS NULL", id,
	    store_now(), cause)) < 0)
		goto out;
	if (changed == 0) {
		r = 1;
		goto out;
	}
	if (store_photos_select(st, "SELECT photo FROM templates WHERE "
	    "person_id = ?1 AND photo IS NOT NULL", id, &list, &n,
	    cause) != 0 ||
	    store_run_id(st, "DELETE FROM templates WHERE person_id = ?1", id,
	    0, cause) < 0 ||
	    store_photos_drop(st, list, &n, cause) != 0)
		goto out;
	if (store_commit(st, cause) != 0) {
		n = 0;
		goto out;
	}
	r = 0;
out:
	if (r != 0) {
		store_rollback(st);
		for (i = 0; i < n; i++)
			free(list[i]);
		free(list);
	} else
		store_unlink_photos(st, list, n);
	return r;
}

/* Counts a person's templates. */
int
store_person_templates(struct store *st, int64_t id, int *count,
    char **cause)
{
	int64_t	v = 0;

	if (store_get_int(st, "SELECT count(*) FROM templates WHERE "
	    "person_id = ?1", id, &v, cause) < 0)
		return -1;
	*count = (int)v;
	return 0;
}

/*
 * Expires the answered visits last seen before BEFORE, adding the photos
 * they used to *LIST. A visit no event or pass names goes; one an event
 * names must stay, since events.visit_id refers to it and the chain
 * forbids editing the event (and one a pass names, for passes.visit_id),
 * so it keeps only what is not personal: its state, door, times, person
 * id and who decided. Inside a transaction.
 */
static int64_t
store_expire_visits(struct store *st, int64_t before, char ***list,
    size_t *n, char **cause)
{
	int	deleted, cleared;

	if (store_photos_select(st, "SELECT photo FROM visits WHERE state <> "
	    "'pending' AND last_seen < ?1 AND photo IS NOT NULL UNION SELECT "
	    "p.photo FROM visit_photos p JOIN visits v ON p.visit_id = v.id "
	    "WHERE v.state <> 'pending' AND v.last_seen < ?1", before, list,
	    n, cause) != 0)
		return -1;
	if (store_run_id(st, "DELETE FROM visit_photos WHERE visit_id IN "
	    "(SELECT id FROM visits WHERE state <> 'pending' AND last_seen < "
	    "?1)", before, 0, cause) < 0)
		return -1;
	if ((deleted = store_run_id(st, "DELETE FROM visits WHERE state <> "
	    "'pending' AND last_seen < ?1 AND NOT EXISTS (SELECT 1 FROM events "
	    "WHERE visit_id = visits.id) AND NOT EXISTS (SELECT 1 FROM passes "
	    "WHERE visit_id = visits.id)", before, 0, cause)) < 0)
		return -1;
	if ((cleared = store_run_id(st, "UPDATE visits SET name = NULL, "
	    "email = NULL, phone = NULL, reason = NULL, photo = NULL, "
	    "descriptor = NULL WHERE state <> 'pending' AND last_seen < ?1 AND "
	    "(name IS NOT NULL OR email IS NOT NULL OR phone IS NOT NULL OR "
	    "reason IS NOT NULL OR photo IS NOT NULL OR descriptor IS NOT "
	    "NULL)", before, 0, cause)) < 0)
		return -1;
	if (store_photos_drop(st, *list, n, cause) != 0)
		return -1;
	return (int64_t)deleted + cleared;
}

/*
 * Deletes the oldest events: the longest run from the anchor whose times
 * are all before BEFORE (an event with a later time, say after a clock
 * step, stops it, so the log stays one contiguous chain). The run is
 * verified first, so expiry cannot hide tampering; its last event becomes
 * the anchor the oldest remaining event chains from.
 */
static int64_t
store_expire_events(struct store *st, int64_t before, char **cause)
{
	sqlite3_stmt	*stmt = NULL;
	char		 anchor[STORE_HASH_LEN + 1];
	char		 head[STORE_HASH_LEN + 1];
	char		 last[STORE_HASH_LEN + 1];
	int64_t		 anchor_id, head_id, upto, n = 0, bad;
	int64_t		 r = -1;
	int		 rc;

	if (store_chain_get(st, &anchor_id, anchor, &head_id, head,
	    cause) != 0)
		return -1;
	if (store_prepare(st, "SELECT min(id) FROM events WHERE time >= ?",
	    &stmt, cause) != 0)
		return -1;
	sqlite3_bind_int64(stmt, 1, before);
	if (sqlite3_step(stmt) != SQLITE_ROW) {
		store_error(st, cause, "expire events");
		goto out;
	}
	if (sqlite3_column_type(stmt, 0) == SQLITE_NULL)
		upto = head_id;
	else
		upto = sqlite3_column_int64(stmt, 0) - 1;
	sqlite3_finalize(stmt);
	stmt = NULL;
	if (upto <= anchor_id) {
		r = 0;
		goto out;
	}
	if ((rc = store_chain_walk(st, upto, &n, last, &bad, cause)) != 0) {
		if (rc == 1) {
			char	*reason = *cause;

			xasprintf(cause, "not expiring: log broken at event "
			    "%lld: %s", (long long)bad, reason);
			free(reason);
		}
		goto out;
	}
	if ((n = store_run_id(st, "DELETE FROM events WHERE id <= ?1", upto,
	    0, cause)) < 0)
		goto out;
	if (store_prepare(st, "UPDATE chain SET anchor_id = ?, anchor_hash = ? "
	    "WHERE id = 1", &stmt, cause) != 0)
		goto out;
	sqlite3_bind_int64(stmt, 1, upto);
	store_bind_text(stmt, 2, last);
	if (sqlite3_step(stmt) != SQLITE_DONE) {
		store_error(st, cause, "chain anchor");
		goto out;
	}
	r = n;
out:
	sqlite3_finalize(stmt);
	return r;
}

/* Applies retention to one kind of data. */
int64_t
store_expire(struct store *st, const char *kind, int64_t before,
    char **cause)
{
	char	**list = NULL;
	size_t	  n = 0, i;
	int64_t	  r = -1;

	if (strcmp(kind, "events") != 0 && strcmp(kind, "photos") != 0 &&
	    strcmp(kind, "pending") != 0 && strcmp(kind, "visits") != 0) {
		xasprintf(cause, "unknown kind of data: %s", kind);
		return -1;
	}
	if (store_begin(st, cause) != 0)
		return -1;
	if (strcmp(kind, "events") == 0)
		r = store_expire_events(st, before, cause);
	else if (strcmp(kind, "pending") == 0) {
		r = store_run_id(st, "UPDATE visits SET state = 'expired', "
		    "decided_at = ?2, reason = 'expired' WHERE state = "
		    "'pending' AND last_seen < ?1", before, store_now(), cause);
	} else if (strcmp(kind, "visits") == 0)
		r = store_expire_visits(st, before, &list, &n, cause);
	else {
		/*
		 * Visits and visit photos lose an old photo; templates
		 * keep theirs.
		 */
		if (store_run_id(st, "UPDATE visits SET photo = NULL WHERE "
		    "photo IN (SELECT hash FROM photos WHERE created < ?1)",
		    before, 0, cause) >= 0 &&
		    store_run_id(st, "DELETE FROM visit_photos WHERE photo IN "
		    "(SELECT hash FROM photos WHERE created < ?1)", before, 0,
		    cause) >= 0 &&
		    store_photos_select(st, "SELECT hash FROM photos WHERE "
		    "created < ?1", before, &list, &n, cause) == 0 &&
		    store_photos_drop(st, list, &n, cause) == 0)
			r = (int64_t)n;
	}
	if (r < 0 || store_commit(st, cause) != 0) {
		store_rollback(st);
		for (i = 0; i < n; i++)
			free(list[i]);
		free(list);
		return -1;
	}
	store_unlink_photos(st, list, n);
	return r;
}

#define STORE_OUTBOX_COLUMNS \
	"SELECT id, event_id, kind, destination, payload, attempts, " \
	"next_try, state, last_error, last_try FROM outbox "

/* Fills R from the outbox columns of STMT; strings are borrowed. */
static void
store_outbox_read(sqlite3_stmt *stmt, struct store_outbox_row *r)
{
	memset(r, 0, sizeof *r);
	r->id = sqlite3_column_int64(stmt, 0);
	r->event_id = sqlite3_column_int64(stmt, 1);
	r->kind = (const char *)sqlite3_column_text(stmt, 2);
	r->destination = (const char *)sqlite3_column_text(stmt, 3);
	r->payload = (const char *)sqlite3_column_text(stmt, 4);
	r->attempts = sqlite3_column_int(stmt, 5);
	r->next_try = sqlite3_column_int64(stmt, 6);
	r->state = (const char *)sqlite3_column_text(stmt, 7);
	r->last_error = (const char *)sqlite3_column_text(stmt, 8);
	r->last_try = sqlite3_column_int64(stmt, 9);
}

/* Steps STMT, calling CB for each outbox row; as store_people_list. */
static int
store_outbox_walk(struct store *st, sqlite3_stmt *stmt,
    int (*cb)(const struct store_outbox_row *, void *), void *arg,
    char **cause)
{
	struct store_outbox_row	 row;
	int			 rc, r;

	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		store_outbox_read(stmt, &row);
		if ((r = cb(&row, arg)) != 0)
			return r;
	}
	if (rc != SQLITE_DONE) {
		store_error(st, cause, "outbox");
		return -1;
	}
	return 0;
}

/* Calls CB for the queued outbox rows due at NOW, oldest first. */
int
store_outbox_due(struct store *st, int64_t now, int limit,
    int (*cb)(const struct store_outbox_row *, void *), void *arg,
    char **cause)
{
	sqlite3_stmt	*stmt;
	int		 r;

	if (store_prepare(st, STORE_OUTBOX_COLUMNS "WHERE state = 'queued' "
	    "AND next_try <= ? ORDER BY next_try, id LIMIT ?", &stmt,
	    cause) != 0)
		return -1;
	sqlite3_bind_int64(stmt, 1, now);
	sqlite3_bind_int(stmt, 2, limit > 0 ? limit : -1);
	r = store_outbox_walk(st, stmt, cb, arg, cause);
	sqlite3_finalize(stmt);
	return r;
}

/* The earliest next_try after AFTER among the queued rows. */
int
store_outbox_next_try(struct store *st, int64_t after, int64_t *when,
    char **cause)
{
	return store_get_int(st, "SELECT min(next_try) FROM outbox WHERE "
	    "state = 'queued' AND next_try > ?1", after, when, cause);
}

/* Records the outcome of a try of a queued outbox row. */
int
store_outbox_done(struct store *st, int64_t id, const char *state,
    int attempts, int64_t next_try, const char *last_error, char **cause)
{
	sqlite3_stmt	*stmt;
	int		 r = -1;

	if (state == NULL || (strcmp(state, "queued") != 0 &&
	    strcmp(state, "sent") != 0 && strcmp(state, "failed") != 0)) {
		xasprintf(cause, "bad outbox state");
		return -1;
	}
	/*
	 * A sent message's text and QR code may hold a pass and its PIN:
	 * once delivered they have no use here, and the store keeps no
	 * PIN it need not (doc/PASSES, section 7).
	 */
	if (store_prepare(st, "UPDATE outbox SET state = ?1, attempts = ?2, "
	    "next_try = ?3, last_error = ?4, last_try = ?5, payload = "
	    "CASE WHEN ?1 = 'sent' AND json_valid(payload) THEN "
	    "json_remove(payload, '$.text', '$.qr') ELSE payload END "
	    "WHERE id = ?6 AND state = 'queued'", &stmt, cause) != 0)
		return -1;
	store_bind_text(stmt, 1, state);
	sqlite3_bind_int(stmt, 2, attempts);
	sqlite3_bind_int64(stmt, 3, next_try);
	store_bind_text(stmt, 4, last_error);
	sqlite3_bind_int64(stmt, 5, store_now());
	sqlite3_bind_int64(stmt, 6, id);
	if (sqlite3_step(stmt) != SQLITE_DONE) {
		store_error(st, cause, "outbox");
		goto out;
	}
	r = sqlite3_changes(st->db) == 1 ? 0 : 1;
out:
	sqlite3_finalize(stmt);
	return r;
}

/* Calls CB for the outbox rows in STATE (all if NULL), newest first. */
int
store_outbox_list(struct store *st, const char *state, int limit,
    int (*cb)(const struct store_outbox_row *, void *), void *arg,
    char **cause)
{
	sqlite3_stmt	*stmt;
	int		 r;

	if (store_prepare(st, STORE_OUTBOX_COLUMNS "WHERE ?1 IS NULL OR "
	    "state = ?1 ORDER BY id DESC LIMIT ?2", &stmt, cause) != 0)
		return -1;
	store_bind_text(stmt, 1, state);
	sqlite3_bind_int(stmt, 2, limit > 0 ? limit : -1);
	r = store_outbox_walk(st, stmt, cb, arg, cause);
	sqlite3_finalize(stmt);
	return r;
}

/* Puts a dead-lettered outbox row back in the queue, due at NOW. */
int
store_outbox_retry(struct store *st, int64_t id, int64_t now, char **cause)
{
	sqlite3_stmt	*stmt;
	int		 r = -1;

	if (store_prepare(st, "UPDATE outbox SET state = 'queued', "
	    "attempts = 0, next_try = ? WHERE id = ? AND state = 'failed'",
	    &stmt, cause) != 0)
		return -1;
	sqlite3_bind_int64(stmt, 1, now);
	sqlite3_bind_int64(stmt, 2, id);
	if (sqlite3_step(stmt) != SQLITE_DONE) {
		store_error(st, cause, "outbox");
		goto out;
	}
	r = sqlite3_changes(st->db) == 1 ? 0 : 1;
out:
	sqlite3_finalize(stmt);
	return r;
}
