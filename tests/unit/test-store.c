/*
 * The store on real SQLite files, each test in its own data directory:
 * migrations, people, templates, photos, the event chain and its tampering,
 * forgetting, retention and the outbox transaction.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <sqlite3.h>

#include "store.h"
#include "test.h"
#include "xmalloc.h"

#define T_EVENTS	20

/* A fresh data directory named NAME under the test directory (static). */
static const char *
t_dir(const char *name)
{
	static char	buf[512];

	snprintf(buf, sizeof buf, "%s/%s", test_tmpdir(), name);
	return buf;
}

/* Opens the store in DIR; NULL (and a failed check) on error. */
static struct store *
t_open(const char *dir)
{
	struct store	*st = NULL;
	char		*cause = NULL;

	if (store_open(dir, &st, &cause) != 0) {
		fprintf(stderr, "store_open: %s\n", cause);
		CHECK(0);
	}
	free(cause);
	return st;
}

/* Runs SQL on DIR's database through a connection of its own. */
static void
t_raw(const char *dir, const char *sql)
{
	sqlite3	*db;
	char	 path[600], *err = NULL;

	snprintf(path, sizeof path, "%s/gatehouse.db", dir);
	CHECK(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL) ==
	    SQLITE_OK);
	sqlite3_busy_timeout(db, 5000);
	if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK) {
		fprintf(stderr, "%s: %s\n", sql, err);
		CHECK(0);
	}
	sqlite3_free(err);
	sqlite3_close(db);
}

/* The first column of the first row of SQL on DIR's database, or -1. */
static int64_t
t_raw_int(const char *dir, const char *sql)
{
	sqlite3		*db;
	sqlite3_stmt	*stmt;
	char		 path[600];
	int64_t		 v = -1;

	snprintf(path, sizeof path, "%s/gatehouse.db", dir);
	CHECK(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) ==
	    SQLITE_OK);
	if (sqlite3_prepare_v2(db, sql, -1, &stmt, NULL) == SQLITE_OK) {
		if (sqlite3_step(stmt) == SQLITE_ROW)
			v = sqlite3_column_int64(stmt, 0);
		sqlite3_finalize(stmt);
	} else {
		fprintf(stderr, "%s: %s\n", sql, sqlite3_errmsg(db));
		CHECK(0);
	}
	sqlite3_close(db);
	return v;
}

/* Appends an event at TIME; returns its id. */
static int64_t
t_event(struct store *st, int64_t time, int64_t person_id)
{
	struct store_event	 ev;
	char			*cause = NULL, details[64];
	int64_t			 id = -1;

	memset(&ev, 0, sizeof ev);
	ev.time = time;
	ev.type = person_id != 0 ? "granted" : "pending";
	ev.door = time % 3 == 0 ? NULL : "front";
	ev.person_id = person_id;
	snprintf(details, sizeof details, "{\"distance\":0.%lld}",
	    (long long)(time % 97));
	ev.details = details;
	if (store_event_append(st, &ev, &id, &cause) != 0) {
		fprintf(stderr, "store_event_append: %s\n", cause);
		CHECK(0);
	}
	free(cause);
	return id;
}

/*
 * Verifies the log: returns store_verify_log's result, with *COUNT and
 * *BAD_ID; says why when the result is not WANT.
 */
static int
t_verify_want(struct store *st, int64_t *count, int64_t *bad_id, int want)
{
	char	*cause = NULL;
	int	 r;

	*count = *bad_id = -1;
	r = store_verify_log(st, count, bad_id, &cause);
	if (r != want)
		fprintf(stderr, "verify: %d, event %lld: %s\n", r,
		    (long long)*bad_id, cause != NULL ? cause : "");
	free(cause);
	return r;
}
#define t_verify(st, count, bad)	t_verify_want(st, count, bad, 0)

/* The mode bits of PATH, or -1. */
static int
t_mode(const char *path)
{
	struct stat	sb;

	return stat(path, &sb) == 0 ? (int)(sb.st_mode & 07777) : -1;
}

TEST(migrate_empty_and_reopen)
{
	const char	*dir = t_dir("migrate");
	struct store	*st;
	char		 path[600];
	int64_t		 count, bad;

	CHECK((st = t_open(dir)) != NULL);
	store_close(st);
	CHECK_INT(t_mode(dir), 0700);
	snprintf(path, sizeof path, "%s/gatehouse.db", dir);
	CHECK_INT(t_mode(path), 0600);
	snprintf(path, sizeof path, "%s/photos", dir);
	CHECK_INT(t_mode(path), 0700);
	CHECK_INT(t_raw_int(dir, "PRAGMA user_version"), store_version());
	CHECK_INT(t_raw_int(dir, "SELECT count(*) FROM sqlite_master WHERE "
	    "type = 'table' AND name IN ('people', 'templates', 'photos', "
	    "'visits', 'events', 'outbox', 'chain')"), 7);

	/* Reopening migrates nothing and loses nothing. */
	CHECK((st = t_open(dir)) != NULL);
	if (st == NULL)
		return;
	t_event(st, 1000, 0);
	/* SQLite gives the write-ahead log the database file's mode. */
	snprintf(path, sizeof path, "%s/gatehouse.db-wal", dir);
	CHECK_INT(t_mode(path), 0600);
	store_close(st);
	CHECK((st = t_open(dir)) != NULL);
	if (st == NULL)
		return;
	CHECK_INT(t_verify(st, &count, &bad), 0);
	CHECK_INT(count, 1);
	store_close(st);
	CHECK_INT(t_raw_int(dir, "PRAGMA user_version"), store_version());
	CHECK_INT(t_raw_int(dir, "SELECT journal_mode = 'wal' FROM "
	    "pragma_journal_mode"), 1);
}

TEST(newer_version_refused)
{
	const char	*dir = t_dir("newer");
	struct store	*st;
	char		*cause = NULL;

	CHECK((st = t_open(dir)) != NULL);
	store_close(st);
	t_raw(dir, "PRAGMA user_version = 999");
	st = NULL;
	CHECK_INT(store_open(dir, &st, &cause), -1);
	CHECK(st == NULL);
	CHECK(cause != NULL && strstr(cause, "newer") != NULL);
	free(cause);
}

/* Counts the people listed. */
static int
t_count_people(const struct store_person *p, void *arg)
{
	int	*n = arg;

	CHECK(p->name != NULL);
	(*n)++;
	return 0;
}

TEST(people)
{
	const char		*dir = t_dir("people");
	struct store		*st;
	struct store_person	 p;
	char			*cause = NULL, idstr[32];
	int64_t			 alice, bob, id;
	int			 n = 0;

	if ((st = t_open(dir)) == NULL)
		return;
	CHECK_INT(store_person_add(st, "Alice", "alice@example.org",
	    "+15550001", &alice, &cause), 0);
	CHECK_INT(store_person_add(st, "Bob", NULL, NULL, &bob, &cause), 0);
	CHECK(alice > 0 && bob > alice);

	CHECK_INT(store_person_add(st, "Alice", NULL, NULL, &id, &cause), -1);
	CHECK(cause != NULL && strstr(cause, "already exists") != NULL);
	free(cause);
	cause = NULL;
	CHECK_INT(store_person_add(st, "", NULL, NULL, &id, &cause), -1);
	free(cause);
	cause = NULL;
	CHECK_INT(store_person_add(st, "1234", NULL, NULL, &id, &cause), -1);
	free(cause);
	cause = NULL;

	CHECK_INT(store_person_find(st, "Alice", &p, &cause), 0);
	CHECK_INT(p.id, alice);
	CHECK_STR(p.email, "alice@example.org");
	CHECK_STR(p.phone, "+15550001");
	CHECK_INT(p.deny_listed, 0);
	CHECK(p.created > 0 && p.forgotten == 0);
	store_person_clear(&p);
	snprintf(idstr, sizeof idstr, "%lld", (long long)bob);
	CHECK_INT(store_person_find(st, idstr, &p, &cause), 0);
	CHECK_STR(p.name, "Bob");
	CHECK(p.email == NULL);
	store_person_clear(&p);
	CHECK_INT(store_person_find(st, "Carol", &p, &cause), 1);
	CHECK_INT(store_person_find(st, "999", &p, &cause), 1);

	CHECK_INT(store_people_list(st, t_count_people, &n, &cause), 0);
	CHECK_INT(n, 2);

	CHECK_INT(store_person_deny(st, bob, 1, &cause), 0);
	CHECK_INT(store_person_find(st, "Bob", &p, &cause), 0);
	CHECK_INT(p.deny_listed, 1);
	store_person_clear(&p);
	CHECK_INT(store_person_deny(st, bob, 0, &cause), 0);
	CHECK_INT(store_person_find(st, "Bob", &p, &cause), 0);
	CHECK_INT(p.deny_listed, 0);
	store_person_clear(&p);
	CHECK_INT(store_person_deny(st, 999, 1, &cause), -1);
	free(cause);
	store_close(st);
}

struct t_templates {
	int	n;
	int64_t	person_id;
	int64_t	template_id;
	float	desc[STORE_DESCRIPTOR];
};

/* Remembers the templates seen. */
static int
t_template_cb(int64_t person_id, int64_t template_id,
    const float desc[STORE_DESCRIPTOR], void *arg)
{
	struct t_templates	*t = arg;

	t->n++;
	t->person_id = person_id;
	t->template_id = template_id;
	memcpy(t->desc, desc, sizeof t->desc);
	return 0;
}

TEST(template_round_trip)
{
	const char		*dir = t_dir("templates");
	struct store		*st;
	struct t_templates	 t;
	float			 desc[STORE_DESCRIPTOR];
	char			*cause = NULL;
	int64_t			 alice, id;
	uint32_t		 u;
	int			 i;

	if ((st = t_open(dir)) == NULL)
		return;
	CHECK_INT(store_person_add(st, "Alice", NULL, NULL, &alice, &cause),
	    0);
	/* Every bit pattern must come back: signs, -0, denormals, extremes. */
	for (i = 0; i < STORE_DESCRIPTOR; i++) {
		u = 0x9e3779b9u * (uint32_t)(i + 1);
		if (((u >> 23) & 0xff) == 0xff)
			u &= ~(1u << 30);	/* no NaN or infinity */
		memcpy(&desc[i], &u, 4);
	}
	desc[0] = 1.0f;
	desc[1] = -0.0f;
	desc[2] = 1e-45f;
	desc[3] = 3.4028235e38f;
	CHECK_INT(store_template_add(st, alice, desc, NULL, &id, &cause), 0);
	memset(&t, 0, sizeof t);
	CHECK_INT(store_templates_each(st, t_template_cb, &t, &cause), 0);
	CHECK_INT(t.n, 1);
	CHECK_INT(t.person_id, alice);
	CHECK_INT(t.template_id, id);
	CHECK(memcmp(t.desc, desc, sizeof desc) == 0);
	CHECK_INT(t_raw_int(dir, "SELECT hex(substr(descriptor, 1, 4)) = "
	    "'0000803F' AND length(descriptor) = 512 FROM templates"), 1);

	CHECK_INT(store_template_add(st, 999, desc, NULL, &id, &cause), -1);
	free(cause);
	cause = NULL;
	CHECK_INT(store_template_add(st, alice, desc, "00", &id, &cause), -1);
	free(cause);
	cause = NULL;
	desc[5] = NAN;
	CHECK_INT(store_template_add(st, alice, desc, NULL, &id, &cause), -1);
	free(cause);
	store_close(st);
}

/* A fake JPEG of LEN bytes made from SEED. */
static uint8_t *
t_jpeg(size_t len, unsigned seed)
{
	uint8_t	*b = xmalloc(len);
	size_t	 i;

	for (i = 0; i < len; i++)
		b[i] = (uint8_t)(i * 31 + seed);
	b[0] = 0xff;
	b[1] = 0xd8;
	b[2] = 0xff;
	return b;
}

/* Puts a fake JPEG; its hash goes in HASH. */
static void
t_photo(struct store *st, unsigned seed, char hash[STORE_HASH_LEN + 1])
{
	uint8_t	*b = t_jpeg(1000 + seed, seed);
	char	*cause = NULL;

	CHECK_INT(store_photo_put(st, b, 1000 + seed, hash, &cause), 0);
	free(cause);
	free(b);
}

/* Whether the file of photo HASH exists. */
static int
t_photo_exists(struct store *st, const char *hash)
{
	char	*path = store_photo_path(st, hash);
	int	 r = t_mode(path) != -1;

	free(path);
	return r;
}

TEST(photos_content_addressed)
{
	const char	*dir = t_dir("photos");
	struct store	*st;
	uint8_t		*b, md[32];
	char		 hash[STORE_HASH_LEN + 1], again[STORE_HASH_LEN + 1];
	char		 want[STORE_HASH_LEN + 1], sub[600], *path, *data;
	char		*cause = NULL;
	struct dirent	*de;
	DIR		*d;
	size_t		 len, i;
	int		 n = 0;

	if ((st = t_open(dir)) == NULL)
		return;
	b = t_jpeg(5000, 7);
	CHECK_INT(store_photo_put(st, b, 5000, hash, &cause), 0);
	CHECK(EVP_Digest(b, 5000, md, NULL, EVP_sha256(), NULL) == 1);
	for (i = 0; i < 32; i++)
		snprintf(want + 2 * i, 3, "%02x", md[i]);
	CHECK_STR(hash, want);
	CHECK_INT(store_photo_put(st, b, 5000, again, &cause), 0);
	CHECK_STR(again, hash);
	CHECK_INT(t_raw_int(dir, "SELECT count(*) FROM photos"), 1);

	path = store_photo_path(st, hash);
	snprintf(sub, sizeof sub, "%s/photos/%.2s", dir, hash);
	CHECK(path != NULL && strncmp(path, sub, strlen(sub)) == 0);
	CHECK_INT(t_mode(path), 0600);
	CHECK_INT(t_mode(sub), 0700);
	data = test_read_file(path, &len);
	CHECK(data != NULL && len == 5000 && memcmp(data, b, len) == 0);
	free(data);
	free(path);

	/* One file, no temporary left behind. */
	if ((d = opendir(sub)) != NULL) {
		while ((de = readdir(d)) != NULL)
			n += de->d_name[0] != '.';
		closedir(d);
	}
	CHECK_INT(n, 1);

	b[0] = 'x';
	CHECK_INT(store_photo_put(st, b, 5000, again, &cause), -1);
	free(cause);
	CHECK(store_photo_path(st, "../etc/passwd") == NULL);
	CHECK(store_photo_path(st, "ABCDEF") == NULL);
	free(b);
	store_close(st);
}

/* Checks that the events run on in id order and chain. */
static int
t_event_cb(const struct store_event *e, void *arg)
{
	struct store_event	*last = arg;

	if (last->id != 0) {
		CHECK_INT(e->id, last->id + 1);
		CHECK_STR(e->prev_hash, last->hash);
	}
	CHECK(e->type != NULL && e->details != NULL);
	last->id = e->id;
	memcpy(last->hash, e->hash, sizeof last->hash);
	last->time++;			/* the count */
	return 0;
}

TEST(chain_1000_and_reopen)
{
	const char		*dir = t_dir("chain");
	struct store		*st;
	struct store_event	 last;
	char			*cause = NULL;
	int64_t			 count, bad, person, i;

	if ((st = t_open(dir)) == NULL)
		return;
	CHECK_INT(store_person_add(st, "Alice", NULL, NULL, &person, &cause),
	    0);
	for (i = 1; i <= 1000; i++)
		CHECK_INT(t_event(st, 1700000000000 + i, i % 2 ? person : 0),
		    i);
	CHECK_INT(t_verify(st, &count, &bad), 0);
	CHECK_INT(count, 1000);
	CHECK_INT(t_raw_int(dir, "SELECT prev_hash = '0000000000000000000000"
	    "000000000000000000000000000000000000000000' FROM events WHERE "
	    "id = 1"), 1);
	store_close(st);

	if ((st = t_open(dir)) == NULL)
		return;
	CHECK_INT(t_verify(st, &count, &bad), 0);
	CHECK_INT(count, 1000);
	CHECK_INT(t_event(st, 1800000000000, 0), 1001);
	CHECK_INT(t_verify(st, &count, &bad), 0);
	CHECK_INT(count, 1001);

	memset(&last, 0, sizeof last);
	CHECK_INT(store_events_each(st, 990, 5, t_event_cb, &last, &cause),
	    0);
	CHECK_INT(last.time, 5);
	CHECK_INT(last.id, 995);
	memset(&last, 0, sizeof last);
	CHECK_INT(store_events_each(st, 0, 0, t_event_cb, &last, &cause), 0);
	CHECK_INT(last.time, 1001);
	store_close(st);
}

/* Builds a log of T_EVENTS events in DIR, runs SQL on it, verifies. */
static void
t_tamper(const char *name, const char *sql, int64_t want_bad)
{
	const char	*dir = t_dir(name);
	struct store	*st;
	int64_t		 count, bad, person, i;
	char		*cause = NULL;

	if ((st = t_open(dir)) == NULL)
		return;
	CHECK_INT(store_person_add(st, "Alice", NULL, NULL, &person, &cause),
	    0);
	CHECK_INT(store_person_add(st, "Bob", NULL, NULL, &person, &cause),
	    0);
	for (i = 1; i <= T_EVENTS; i++)
		t_event(st, 1000 + i, i % 2);
	CHECK_INT(t_verify(st, &count, &bad), 0);
	t_raw(dir, sql);
	CHECK_INT(t_verify_want(st, &count, &bad, 1), 1);
	if (bad != want_bad)
		fprintf(stderr, "tamper %s\n", name);
	CHECK_INT(bad, want_bad);
	store_close(st);
}

TEST(tamper_detected)
{
	t_tamper("t-details", "UPDATE events SET details = "
	    "'{\"distance\":0.9}' WHERE id = 7", 7);
	t_tamper("t-time", "UPDATE events SET time = time + 1 WHERE id = 8",
	    8);
	t_tamper("t-type", "UPDATE events SET type = 'deny' WHERE id = 9", 9);
	t_tamper("t-person", "UPDATE events SET person_id = 2 WHERE id = 3",
	    3);
	t_tamper("t-person-null", "UPDATE events SET person_id = NULL "
	    "WHERE id = 5", 5);
	t_tamper("t-door", "UPDATE events SET door = 'back' WHERE id = 4", 4);
	t_tamper("t-delete-middle", "DELETE FROM events WHERE id = 11", 11);
	t_tamper("t-delete-first", "DELETE FROM events WHERE id = 1", 1);
	t_tamper("t-delete-last", "DELETE FROM events WHERE id = 20", 20);
	t_tamper("t-delete-tail", "DELETE FROM events WHERE id >= 15", 15);
	t_tamper("t-swap",
	    "CREATE TEMP TABLE t AS SELECT * FROM events WHERE id IN (12, 13);"
	    "UPDATE events SET (time, type, door, person_id, visit_id, "
	    "details, prev_hash, hash) = (SELECT time, type, door, person_id, "
	    "visit_id, details, prev_hash, hash FROM t WHERE t.id = "
	    "25 - events.id) WHERE id IN (12, 13)", 12);
	t_tamper("t-append", "INSERT INTO events SELECT 21, time, type, door, "
	    "person_id, visit_id, details, hash, hash FROM events WHERE "
	    "id = 20", 21);
	t_tamper("t-hash", "UPDATE events SET hash = (SELECT hash FROM "
	    "events WHERE id = 3) WHERE id = 6", 6);
}

TEST(forget_person)
{
	const char		*dir = t_dir("forget");
	struct store		*st;
	struct store_person	 p;
	struct t_templates	 t;
	struct store_event	 ev;
	struct store_outbox	 ob;
	float			 desc[STORE_DESCRIPTOR];
	char			 own[STORE_HASH_LEN + 1];
	char			 shared[STORE_HASH_LEN + 1];
	char			 visit[STORE_HASH_LEN + 1];
	char			*cause = NULL, sql[512], idstr[32];
	int64_t			 alice, bob, id, count, bad;
	int			 i;

	if ((st = t_open(dir)) == NULL)
		return;
	CHECK_INT(store_person_add(st, "Alice", "alice@example.org", "+1555",
	    &alice, &cause), 0);
	CHECK_INT(store_person_add(st, "Bob", NULL, NULL, &bob, &cause), 0);
	for (i = 0; i < STORE_DESCRIPTOR; i++)
		desc[i] = (float)i / 1000;
	t_photo(st, 1, own);
	t_photo(st, 2, shared);
	t_photo(st, 3, visit);
	CHECK_INT(store_template_add(st, alice, desc, own, &id, &cause), 0);
	CHECK_INT(store_template_add(st, alice, desc, shared, &id, &cause), 0);
	CHECK_INT(store_template_add(st, bob, desc, shared, &id, &cause), 0);
	snprintf(sql, sizeof sql, "INSERT INTO visits (id, door, person_id, "
	    "first_seen, last_seen, photo, name, email, phone) VALUES "
	    "(1, 'front', %lld, 1, 1, '%s', 'Alice', 'alice@example.org', "
	    "'+1555')", (long long)alice, visit);
	t_raw(dir, sql);

	memset(&ev, 0, sizeof ev);
	ev.time = 5000;
	ev.type = "granted";
	ev.door = "front";
	ev.person_id = alice;
	ev.visit_id = 1;
	ob.kind = "email";
	ob.destination = "alice@example.org";
	ob.payload = "Welcome, Alice";
	ob.next_try = 5000;
	CHECK_INT(store_event_append_outbox(st, &ev, &ob, 1, &id, &cause), 0);
	t_event(st, 5001, bob);
	CHECK_INT(t_raw_int(dir, "SELECT count(*) FROM outbox"), 1);

	CHECK_INT(store_forget_person(st, alice, &cause), 0);
	CHECK_INT(t_raw_int(dir, "SELECT count(*) FROM templates"), 1);
	CHECK(!t_photo_exists(st, own));
	CHECK(!t_photo_exists(st, visit));
	CHECK(t_photo_exists(st, shared));
	CHECK_INT(t_raw_int(dir, "SELECT count(*) FROM photos"), 1);
	CHECK_INT(t_raw_int(dir, "SELECT count(*) FROM visits WHERE name IS "
	    "NULL AND email IS NULL AND phone IS NULL AND photo IS NULL"), 1);
	CHECK_INT(t_raw_int(dir, "SELECT count(*) FROM outbox"), 0);
	CHECK_INT(store_person_find(st, "Alice", &p, &cause), 1);
	snprintf(idstr, sizeof idstr, "%lld", (long long)alice);
	CHECK_INT(store_person_find(st, idstr, &p, &cause), 0);
	CHECK(p.name == NULL && p.email == NULL && p.phone == NULL);
	CHECK(p.forgotten > 0);
	store_person_clear(&p);
	memset(&t, 0, sizeof t);
	CHECK_INT(store_templates_each(st, t_template_cb, &t, &cause), 0);
	CHECK_INT(t.n, 1);
	CHECK_INT(t.person_id, bob);

	/* The chain does not notice; nothing biometric comes back. */
	CHECK_INT(t_verify(st, &count, &bad), 0);
	CHECK_INT(count, 2);
	CHECK_INT(store_template_add(st, alice, desc, NULL, &id, &cause), -1);
	free(cause);
	cause = NULL;
	CHECK_INT(store_person_add(st, "Alice", NULL, NULL, &id, &cause), 0);
	CHECK_INT(store_forget_person(st, 999, &cause), -1);
	free(cause);
	store_close(st);
}

TEST(expire_keeps_chain)
{
	const char	*dir = t_dir("expire");
	struct store	*st;
	char		*cause = NULL;
	int64_t		 count, bad, i;

	if ((st = t_open(dir)) == NULL)
		return;
	for (i = 1; i <= 30; i++)
		t_event(st, 1000 + 10 * i, 0);
	/* Events 1..9 are before 1100. */
	CHECK_INT(store_expire(st, "events", 1100, &cause), 9);
	CHECK_INT(t_verify(st, &count, &bad), 0);
	CHECK_INT(count, 21);
	CHECK_INT(store_expire(st, "events", 1100, &cause), 0);
	CHECK_INT(t_event(st, 5000, 0), 31);
	CHECK_INT(t_verify(st, &count, &bad), 0);
	CHECK_INT(count, 22);
	store_close(st);
	if ((st = t_open(dir)) == NULL)
		return;
	CHECK_INT(t_verify(st, &count, &bad), 0);
	CHECK_INT(count, 22);

	/* The new oldest event still may not go missing. */
	t_raw(dir, "DELETE FROM events WHERE id = 10");
	CHECK_INT(t_verify_want(st, &count, &bad, 1), 1);
	CHECK_INT(bad, 10);
	/* And expiry refuses to bury a broken stretch. */
	CHECK_INT(store_expire(st, "events", 1200, &cause), -1);
	CHECK(cause != NULL && strstr(cause, "not expiring") != NULL);
	free(cause);
	cause = NULL;
	store_close(st);

	/* Everything expired: the anchor is the head and appends go on. */
	dir = t_dir("expire-all");
	if ((st = t_open(dir)) == NULL)
		return;
	for (i = 1; i <= 5; i++)
		t_event(st, 1000 + i, 0);
	CHECK_INT(store_expire(st, "events", 1000000, &cause), 5);
	CHECK_INT(t_verify(st, &count, &bad), 0);
	CHECK_INT(count, 0);
	CHECK_INT(t_event(st, 2000000, 0), 6);
	CHECK_INT(t_verify(st, &count, &bad), 0);
	CHECK_INT(count, 1);
	/* A clock step back stops expiry at the first newer event. */
	t_event(st, 10, 0);
	CHECK_INT(store_expire(st, "events", 1000000, &cause), 0);
	CHECK_INT(store_expire(st, "gossip", 0, &cause), -1);
	free(cause);
	store_close(st);
}

TEST(expire_photos_and_pending)
{
	const char	*dir = t_dir("expire-other");
	struct store	*st;
	float		 desc[STORE_DESCRIPTOR] = { 0 };
	char		 kept[STORE_HASH_LEN + 1], lone[STORE_HASH_LEN + 1];
	char		 seen[STORE_HASH_LEN + 1], sql[512], *cause = NULL;
	int64_t		 person, id;

	if ((st = t_open(dir)) == NULL)
		return;
	CHECK_INT(store_person_add(st, "Alice", NULL, NULL, &person, &cause),
	    0);
	t_photo(st, 1, kept);
	t_photo(st, 2, lone);
	t_photo(st, 3, seen);
	CHECK_INT(store_template_add(st, person, desc, kept, &id, &cause), 0);
	snprintf(sql, sizeof sql, "INSERT INTO visits (first_seen, last_seen, "
	    "photo) VALUES (1, 5, '%s'), (1, 500, NULL);"
	    "INSERT INTO visits (state, first_seen, last_seen) VALUES "
	    "('approved', 1, 5)", seen);
	t_raw(dir, sql);

	CHECK_INT(store_expire(st, "pending", 100, &cause), 1);
	CHECK_INT(t_raw_int(dir, "SELECT count(*) FROM visits WHERE state = "
	    "'expired' AND last_seen = 5 AND decided_at > 0"), 1);
	CHECK_INT(t_raw_int(dir, "SELECT count(*) FROM visits WHERE state = "
	    "'pending'"), 1);

	CHECK_INT(store_expire(st, "photos", INT64_MAX, &cause), 2);
	CHECK(t_photo_exists(st, kept));
	CHECK(!t_photo_exists(st, lone));
	CHECK(!t_photo_exists(st, seen));
	CHECK_INT(t_raw_int(dir, "SELECT count(*) FROM visits WHERE photo IS "
	    "NOT NULL"), 0);
	CHECK_INT(t_raw_int(dir, "SELECT count(*) FROM photos"), 1);
	store_close(st);
}

TEST(event_and_outbox_one_transaction)
{
	const char		*dir = t_dir("outbox");
	struct store		*st;
	struct store_event	 ev;
	struct store_outbox	 ob[2];
	char			*cause = NULL;
	int64_t			 id = 0, count, bad;

	if ((st = t_open(dir)) == NULL)
		return;
	memset(&ev, 0, sizeof ev);
	ev.time = 1000;
	ev.type = "pending";
	ev.door = "front";
	ev.details = "{\"pending\":true}";
	ob[0].kind = "email";
	ob[0].destination = "guard@example.org";
	ob[0].payload = "A visitor at the front door";
	ob[0].next_try = 1000;
	ob[1] = ob[0];
	ob[1].kind = "webhook";
	CHECK_INT(store_event_append_outbox(st, &ev, ob, 2, &id, &cause), 0);
	CHECK_INT(id, 1);
	CHECK_INT(t_raw_int(dir, "SELECT count(*) FROM outbox WHERE "
	    "event_id = 1 AND state = 'queued' AND attempts = 0"), 2);

	/* The second outbox row fails its CHECK: nothing of it stays. */
	ob[1].kind = "pigeon";
	id = 0;
	CHECK_INT(store_event_append_outbox(st, &ev, ob, 2, &id, &cause), -1);
	CHECK(cause != NULL && strstr(cause, "CHECK") != NULL);
	free(cause);
	cause = NULL;
	CHECK_INT(t_raw_int(dir, "SELECT count(*) FROM events"), 1);
	CHECK_INT(t_raw_int(dir, "SELECT count(*) FROM outbox"), 2);
	CHECK_INT(t_raw_int(dir, "SELECT head_id FROM chain"), 1);
	CHECK_INT(t_verify(st, &count, &bad), 0);
	CHECK_INT(count, 1);

	/* Details must be JSON; the chain is unharmed by the refusal. */
	ev.details = "not json";
	CHECK_INT(store_event_append(st, &ev, &id, &cause), -1);
	free(cause);
	cause = NULL;
	CHECK_INT(t_event(st, 2000, 0), 2);
	CHECK_INT(t_verify(st, &count, &bad), 0);
	CHECK_INT(count, 2);

	/* Expiring an event takes its outbox rows with it. */
	CHECK_INT(store_expire(st, "events", 1500, &cause), 1);
	CHECK_INT(t_raw_int(dir, "SELECT count(*) FROM outbox"), 0);
	store_close(st);
}

int
main(void)
{
	RUN(migrate_empty_and_reopen);
	RUN(newer_version_refused);
	RUN(people);
	RUN(template_round_trip);
	RUN(photos_content_addressed);
	RUN(chain_1000_and_reopen);
	RUN(tamper_detected);
	RUN(forget_person);
	RUN(expire_keeps_chain);
	RUN(expire_photos_and_pending);
	RUN(event_and_outbox_one_transaction);
	return test_main_end("test-store");
}
