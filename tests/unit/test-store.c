/*
 * The store on real SQLite files, each test in its own data directory:
 * migrations (also from a version-1 database), people, templates, photos,
 * the event chain and its tampering, visits and their decisions, removing
 * and forgetting, retention and the outbox transaction.
 */
#include <sys/stat.h>
#include <sys/wait.h>

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

/* A descriptor made from SEED, different for every seed. */
static void
t_desc(float desc[STORE_DESCRIPTOR], unsigned seed)
{
	int	i;

	for (i = 0; i < STORE_DESCRIPTOR; i++)
		desc[i] = (float)(seed * 1000 + (unsigned)i) / 4096.0f;
}

/* An event of TYPE at TIME, at the front door, with no details. */
static struct store_event
t_visit_event(const char *type, int64_t time)
{
	struct store_event	ev;

	memset(&ev, 0, sizeof ev);
	ev.time = time;
	ev.type = type;
	ev.door = "front";
	ev.visit_id = 424242;		/* ignored: the visit's own id wins */
	return ev;
}

/* The last event listed, and how many. */
struct t_last {
	int	n;
	int64_t	id;
	int64_t	visit_id;
	int64_t	person_id;
	char	type[32];
};

/* Remembers the last event seen. */
static int
t_last_cb(const struct store_event *e, void *arg)
{
	struct t_last	*l = arg;

	l->n++;
	l->id = e->id;
	l->visit_id = e->visit_id;
	l->person_id = e->person_id;
	snprintf(l->type, sizeof l->type, "%s", e->type);
	return 0;
}

/* The last of the events of ST. */
static struct t_last
t_last_event(struct store *st)
{
	struct t_last	 l;
	char		*cause = NULL;

	memset(&l, 0, sizeof l);
	CHECK_INT(store_events_each(st, 0, 0, t_last_cb, &l, &cause), 0);
	free(cause);
	return l;
}

/* The photos of a visit, in the order listed. */
struct t_vphotos {
	int	n;
	char	hash[8][STORE_HASH_LEN + 1];
	int	has_desc[8];
	float	first[8];		/* desc[0] if any */
	int64_t	time[8];
};

/* Remembers the visit photos listed. */
static int
t_vphotos_cb(const char *hash, const float *desc, int64_t time, void *arg)
{
	struct t_vphotos	*v = arg;

	if (v->n < 8) {
		snprintf(v->hash[v->n], sizeof v->hash[v->n], "%s", hash);
		v->has_desc[v->n] = desc != NULL;
		v->first[v->n] = desc != NULL ? desc[0] : -1;
		v->time[v->n] = time;
	}
	v->n++;
	return 0;
}

/* The photos of visit ID. */
static struct t_vphotos
t_vphotos(struct store *st, int64_t id)
{
	struct t_vphotos	 v;
	char			*cause = NULL;

	memset(&v, 0, sizeof v);
	CHECK_INT(store_visit_photos(st, id, t_vphotos_cb, &v, &cause), 0);
	free(cause);
	return v;
}

/* Finds visit ID into V, which must exist. */
static void
t_visit(struct store *st, int64_t id, struct store_visit *v)
{
	char	*cause = NULL;

	CHECK_INT(store_visit_find(st, id, v, &cause), 0);
	free(cause);
}

TEST(visit_add_seen_photos)
{
	const char		*dir = t_dir("visits");
	struct store		*st;
	struct store_visit	 v;
	struct store_event	 ev;
	struct store_outbox	 ob[2];
	struct t_vphotos	 vp;
	struct t_last		 l;
	float			 d1[STORE_DESCRIPTOR], d2[STORE_DESCRIPTOR];
	char			 p1[STORE_HASH_LEN + 1], p2[STORE_HASH_LEN + 1];
	char			 p3[STORE_HASH_LEN + 1], *cause = NULL;
	int64_t			 vid, vid2, eid, count, bad;
	const char		*missing = "00000000000000000000000000000000"
				    "000000000000000000000000000000ab";

	if ((st = t_open(dir)) == NULL)
		return;
	t_photo(st, 1, p1);
	t_photo(st, 2, p2);
	t_photo(st, 3, p3);
	t_desc(d1, 1);
	t_desc(d2, 2);

	/* A new visit and its event: the event names the new visit. */
	ev = t_visit_event("pending", 1000);
	CHECK_INT(store_visit_add(st, "front", 1000, p1, d1, &ev, &vid, &eid,
	    &cause), 0);
	CHECK(vid > 0);
	CHECK_INT(eid, 1);
	l = t_last_event(st);
	CHECK_INT(l.n, 1);
	CHECK_INT(l.visit_id, vid);
	CHECK_STR(l.type, "pending");
	t_visit(st, vid, &v);
	CHECK_INT(v.id, vid);
	CHECK_STR(v.state, "pending");
	CHECK_STR(v.door, "front");
	CHECK_INT(v.person_id, 0);
	CHECK_INT(v.first_seen, 1000);
	CHECK_INT(v.last_seen, 1000);
	CHECK_INT(v.seen_count, 1);
	CHECK_STR(v.photo, p1);
	CHECK(v.name == NULL && v.email == NULL && v.phone == NULL);
	CHECK(v.decided_by == NULL && v.decided_at == 0 && v.reason == NULL);
	CHECK_INT(v.has_descriptor, 1);
	CHECK(memcmp(v.descriptor, d1, sizeof d1) == 0);
	store_visit_clear(&v);
	vp = t_vphotos(st, vid);
	CHECK_INT(vp.n, 1);
	CHECK_STR(vp.hash[0], p1);
	CHECK_INT(vp.has_desc[0], 1);
	CHECK_INT(vp.time[0], 1000);

	/* Seen again, not best: counts and photos grow, the best stays. */
	CHECK_INT(store_visit_seen(st, vid, 1500, p2, d2, 0, &cause), 0);
	t_visit(st, vid, &v);
	CHECK_INT(v.last_seen, 1500);
	CHECK_INT(v.seen_count, 2);
	CHECK_STR(v.photo, p1);
	CHECK(memcmp(v.descriptor, d1, sizeof d1) == 0);
	store_visit_clear(&v);

	/* Best with a photo only: an older time does not move last_seen. */
	CHECK_INT(store_visit_seen(st, vid, 1200, p3, NULL, 1, &cause), 0);
	t_visit(st, vid, &v);
	CHECK_INT(v.last_seen, 1500);
	CHECK_INT(v.seen_count, 3);
	CHECK_STR(v.photo, p3);
	CHECK(memcmp(v.descriptor, d1, sizeof d1) == 0);
	store_visit_clear(&v);

	/* Best with a descriptor only. */
	CHECK_INT(store_visit_seen(st, vid, 1600, NULL, d2, 1, &cause), 0);
	t_visit(st, vid, &v);
	CHECK_INT(v.last_seen, 1600);
	CHECK_INT(v.seen_count, 4);
	CHECK_STR(v.photo, p3);
	CHECK_INT(v.has_descriptor, 1);
	CHECK(memcmp(v.descriptor, d2, sizeof d2) == 0);
	store_visit_clear(&v);

	/* The same photo twice is one row; the first stays. */
	CHECK_INT(store_visit_seen(st, vid, 1700, p2, NULL, 0, &cause), 0);
	CHECK_INT(store_visit_photo_add(st, vid, p1, NULL, 1800, &cause), 0);
	vp = t_vphotos(st, vid);
	CHECK_INT(vp.n, 3);
	CHECK_STR(vp.hash[0], p1);
	CHECK_STR(vp.hash[1], p3);
	CHECK_STR(vp.hash[2], p2);
	CHECK_INT(vp.time[1], 1200);
	CHECK_INT(vp.has_desc[0], 1);
	CHECK_INT(vp.has_desc[1], 0);
	CHECK_INT(vp.has_desc[2], 1);
	CHECK(vp.first[2] == d2[0]);
	CHECK_INT(vp.time[2], 1500);

	/* Unknown visits and photos. */
	CHECK_INT(store_visit_seen(st, 999, 2000, NULL, NULL, 0, &cause), 1);
	CHECK_INT(store_visit_photo_add(st, 999, p1, NULL, 2000, &cause), 1);
	CHECK_INT(store_visit_find(st, 999, &v, &cause), 1);
	CHECK_INT(store_visit_photo_add(st, vid, missing, NULL, 2000, &cause),
	    -1);
	CHECK(cause != NULL && strstr(cause, "no photo") != NULL);
	free(cause);
	cause = NULL;
	CHECK_INT(store_visit_photo_add(st, vid, "../x", NULL, 2000, &cause),
	    -1);
	free(cause);
	cause = NULL;
	d1[3] = INFINITY;
	CHECK_INT(store_visit_seen(st, vid, 2000, NULL, d1, 1, &cause), -1);
	free(cause);
	cause = NULL;
	t_desc(d1, 1);
	CHECK_INT(store_visit_seen(st, vid, 2000, missing, NULL, 1, &cause),
	    -1);
	free(cause);
	cause = NULL;
	t_visit(st, vid, &v);
	CHECK_INT(v.seen_count, 5);
	CHECK_INT(v.last_seen, 1700);
	store_visit_clear(&v);

	/* A visit with nothing: no photo row, no event. */
	CHECK_INT(store_visit_add(st, NULL, 3000, NULL, NULL, NULL, &vid2,
	    &eid, &cause), 0);
	CHECK(vid2 > vid);
	CHECK_INT(eid, 0);
	t_visit(st, vid2, &v);
	CHECK(v.door == NULL);
	CHECK_STR(v.photo, "");
	CHECK_INT(v.has_descriptor, 0);
	store_visit_clear(&v);
	CHECK_INT(t_vphotos(st, vid2).n, 0);

	/* All or nothing: a bad event or outbox row leaves no visit. */
	ev.details = "not json";
	CHECK_INT(store_visit_add(st, "front", 4000, p1, d1, &ev, &vid2, &eid,
	    &cause), -1);
	free(cause);
	cause = NULL;
	ev.details = NULL;
	CHECK_INT(store_visit_add(st, "front", 4000, missing, d1, &ev, &vid2,
	    &eid, &cause), -1);
	CHECK(cause != NULL && strstr(cause, "no photo") != NULL);
	free(cause);
	cause = NULL;
	ob[0].kind = "email";
	ob[0].destination = "guard@example.org";
	ob[0].payload = "A visitor";
	ob[0].next_try = 4000;
	ob[1] = ob[0];
	ob[1].kind = "pigeon";
	CHECK_INT(store_visit_add_outbox(st, "front", 4000, p1, d1, &ev, ob, 2,
	    &vid2, &eid, &cause), -1);
	free(cause);
	cause = NULL;
	CHECK_INT(store_visit_add_outbox(st, "front", 4000, p1, d1, NULL, ob,
	    1, &vid2, &eid, &cause), -1);
	free(cause);
	cause = NULL;
	CHECK_INT(t_raw_int(dir, "SELECT count(*) FROM visits"), 2);
	CHECK_INT(t_raw_int(dir, "SELECT count(*) FROM visit_photos"), 3);
	CHECK_INT(t_raw_int(dir, "SELECT count(*) FROM events"), 1);
	CHECK_INT(t_raw_int(dir, "SELECT count(*) FROM outbox"), 0);
	/* A webhook's event gets the ids of the event and the new visit. */
	ob[1].kind = "webhook";
	ob[1].destination = "webhook";
	ob[1].payload = "{\"event\":{\"type\":\"pending\",\"event\":0}}";
	CHECK_INT(store_visit_add_outbox(st, "front", 4000, p1, d1, &ev, ob, 2,
	    &vid2, &eid, &cause), 0);
	CHECK_INT(eid, 2);
	CHECK_INT(t_raw_int(dir, "SELECT count(*) FROM outbox WHERE "
	    "event_id = 2"), 2);
	CHECK_INT(t_raw_int(dir, "SELECT payload ->> '$.event.event' FROM "
	    "outbox WHERE kind = 'webhook'"), 2);
	CHECK_INT(t_raw_int(dir, "SELECT payload ->> '$.event.visit' = "
	    "(SELECT max(id) FROM visits) FROM outbox WHERE kind = 'webhook'"),
	    1);
	CHECK_INT(t_raw_int(dir, "SELECT count(*) FROM outbox WHERE kind = "
	    "'email' AND payload = 'A visitor'"), 1);
	l = t_last_event(st);
	CHECK_INT(l.visit_id, vid2);
	CHECK_INT(t_verify(st, &count, &bad), 0);
	CHECK_INT(count, 2);
	store_close(st);
}

/* The ids of the pending visits, in the order listed. */
struct t_pending {
	int	n;
	int64_t	id[8];
};

/* Remembers the pending visits listed. */
static int
t_pending_cb(const struct store_visit *v, void *arg)
{
	struct t_pending	*p = arg;

	CHECK_STR(v->state, "pending");
	if (p->n < 8)
		p->id[p->n] = v->id;
	p->n++;
	return 0;
}

/* The pending visits of ST. */
static struct t_pending
t_pending(struct store *st)
{
	struct t_pending	 p;
	char			*cause = NULL;

	memset(&p, 0, sizeof p);
	CHECK_INT(store_visits_pending(st, t_pending_cb, &p, &cause), 0);
	free(cause);
	return p;
}

/* Adds a visit at TIME with no photo and no event; returns its id. */
static int64_t
t_add_visit(struct store *st, int64_t time)
{
	char	*cause = NULL;
	int64_t	 id = -1;

	CHECK_INT(store_visit_add(st, "front", time, NULL, NULL, NULL, &id,
	    NULL, &cause), 0);
	free(cause);
	return id;
}

TEST(visit_pending_and_decide)
{
	const char		*dir = t_dir("decide");
	struct store		*st;
	struct store_visit	 v;
	struct store_event	 ev;
	struct store_decision	 d;
	struct store_outbox	 ob;
	struct t_pending	 p;
	struct t_last		 l;
	char			*cause = NULL;
	int64_t			 a, b, c, e, bob, eid, count, bad;

	if ((st = t_open(dir)) == NULL)
		return;
	CHECK_INT(store_person_add(st, "Bob", NULL, NULL, &bob, &cause), 0);
	a = t_add_visit(st, 1000);
	b = t_add_visit(st, 2000);
	c = t_add_visit(st, 2000);
	e = t_add_visit(st, 500);
	p = t_pending(st);
	CHECK_INT(p.n, 4);
	CHECK_INT(p.id[0], c);		/* a tie: the higher id first */
	CHECK_INT(p.id[1], b);
	CHECK_INT(p.id[2], a);
	CHECK_INT(p.id[3], e);
	CHECK_INT(store_visit_seen(st, a, 3000, NULL, NULL, 0, &cause), 0);
	p = t_pending(st);
	CHECK_INT(p.id[0], a);
	CHECK_INT(p.id[1], c);

	/* Approved, with the visitor's details and an event. */
	memset(&d, 0, sizeof d);
	d.state = "approved";
	d.by = "uid 1000 (alice)";
	d.reason = "expected";
	d.name = "Carol";
	d.email = "carol@example.org";
	d.phone = "+1555";
	ev = t_visit_event("approved", 3100);
	CHECK_INT(store_visit_decide(st, a, &d, &ev, &eid, &cause), 0);
	CHECK_INT(eid, 1);
	l = t_last_event(st);
	CHECK_INT(l.visit_id, a);
	CHECK_STR(l.type, "approved");
	t_visit(st, a, &v);
	CHECK_STR(v.state, "approved");
	CHECK_STR(v.decided_by, "uid 1000 (alice)");
	CHECK(v.decided_at > 0);
	CHECK_STR(v.reason, "expected");
	CHECK_STR(v.name, "Carol");
	CHECK_STR(v.email, "carol@example.org");
	CHECK_STR(v.phone, "+1555");
	CHECK_INT(v.person_id, 0);
	CHECK_INT(v.seen_count, 2);
	store_visit_clear(&v);

	/* Decided already: nothing changes, no event; seen is refused. */
	d.state = "denied";
	d.reason = "too late";
	ev = t_visit_event("denied", 3200);
	CHECK_INT(store_visit_decide(st, a, &d, &ev, &eid, &cause), 2);
	CHECK_INT(store_visit_decide(st, 999, &d, &ev, &eid, &cause), 1);
	CHECK_INT(store_visit_seen(st, a, 4000, NULL, NULL, 0, &cause), 1);
	t_visit(st, a, &v);
	CHECK_STR(v.state, "approved");
	CHECK_STR(v.reason, "expected");
	CHECK_INT(v.seen_count, 2);
	CHECK_INT(v.last_seen, 3000);
	store_visit_clear(&v);
	CHECK_INT(t_last_event(st).n, 1);

	/* Denied as a known person, with a notification. */
	memset(&d, 0, sizeof d);
	d.state = "denied";
	d.by = "uid 0 (root)";
	d.person_id = bob;
	ev = t_visit_event("denied", 3300);
	ev.person_id = bob;
	ob.kind = "webhook";
	ob.destination = "http://localhost/hook";
	ob.payload = "{}";
	ob.next_try = 3300;
	CHECK_INT(store_visit_decide_outbox(st, b, &d, &ev, &ob, 1, &eid,
	    &cause), 0);
	CHECK_INT(eid, 2);
	CHECK_INT(t_raw_int(dir, "SELECT count(*) FROM outbox WHERE "
	    "event_id = 2"), 1);
	t_visit(st, b, &v);
	CHECK_STR(v.state, "denied");
	CHECK_INT(v.person_id, bob);
	CHECK(v.name == NULL && v.reason == NULL);
	store_visit_clear(&v);
	l = t_last_event(st);
	CHECK_INT(l.visit_id, b);
	CHECK_INT(l.person_id, bob);

	/* Failed decisions append nothing and leave the visit pending. */
	d.person_id = 999;
	ev = t_visit_event("denied", 3400);
	CHECK_INT(store_visit_decide(st, c, &d, &ev, &eid, &cause), -1);
	CHECK(cause != NULL && strstr(cause, "no person") != NULL);
	free(cause);
	cause = NULL;
	d.person_id = 0;
	d.state = "maybe";
	CHECK_INT(store_visit_decide(st, c, &d, &ev, &eid, &cause), -1);
	free(cause);
	cause = NULL;
	d.state = "approved";
	d.by = NULL;
	CHECK_INT(store_visit_decide(st, c, &d, &ev, &eid, &cause), -1);
	free(cause);
	cause = NULL;
	d.by = "uid 1000 (alice)";
	ev.details = "not json";
	CHECK_INT(store_visit_decide(st, c, &d, &ev, &eid, &cause), -1);
	free(cause);
	cause = NULL;
	t_visit(st, c, &v);
	CHECK_STR(v.state, "pending");
	CHECK(v.decided_by == NULL && v.decided_at == 0);
	store_visit_clear(&v);
	CHECK_INT(t_last_event(st).n, 2);

	/* Without an event. */
	CHECK_INT(store_visit_decide(st, c, &d, NULL, &eid, &cause), 0);
	CHECK_INT(eid, 0);
	p = t_pending(st);
	CHECK_INT(p.n, 1);
	CHECK_INT(p.id[0], e);
	CHECK_INT(t_verify(st, &count, &bad), 0);
	CHECK_INT(count, 2);
	store_close(st);
}

/* Checks the templates of one person, in id order, against WANT. */
struct t_person_templates {
	int64_t		 person_id;
	int		 n;
	const float	*want[4];
	int		 bad;
};

/* Compares each template of the person with the next of WANT. */
static int
t_person_templates_cb(int64_t person_id, int64_t template_id,
    const float desc[STORE_DESCRIPTOR], void *arg)
{
	struct t_person_templates	*t = arg;

	(void)template_id;
	if (person_id != t->person_id)
		return 0;
	if (t->n >= 4 || t->want[t->n] == NULL ||
	    memcmp(desc, t->want[t->n], STORE_DESCRIPTOR * sizeof *desc) != 0)
		t->bad++;
	t->n++;
	return 0;
}

TEST(visit_enroll)
{
	const char			*dir = t_dir("enroll");
	struct store			*st;
	struct store_person		 p;
	struct t_person_templates	 t;
	float				 d1[STORE_DESCRIPTOR];
	float				 d2[STORE_DESCRIPTOR];
	char				 p1[STORE_HASH_LEN + 1];
	char				 p2[STORE_HASH_LEN + 1];
	char				 p3[STORE_HASH_LEN + 1];
	char				 p4[STORE_HASH_LEN + 1];
	char				 sql[512], *cause = NULL;
	int64_t				 carol, dave, vid, empty;
	int				 added, n;

	if ((st = t_open(dir)) == NULL)
		return;
	CHECK_INT(store_person_add(st, "Carol", NULL, NULL, &carol, &cause),
	    0);
	CHECK_INT(store_person_add(st, "Dave", NULL, NULL, &dave, &cause), 0);
	t_photo(st, 1, p1);
	t_photo(st, 2, p2);
	t_photo(st, 3, p3);
	t_photo(st, 4, p4);
	t_desc(d1, 1);
	t_desc(d2, 2);
	/* The best (d1, p1) again as p3's, and p4 without a descriptor. */
	CHECK_INT(store_visit_add(st, "front", 1000, p1, d1, NULL, &vid, NULL,
	    &cause), 0);
	CHECK_INT(store_visit_seen(st, vid, 1100, p2, d2, 0, &cause), 0);
	CHECK_INT(store_visit_photo_add(st, vid, p3, d1, 1200, &cause), 0);
	CHECK_INT(store_visit_photo_add(st, vid, p4, NULL, 1300, &cause), 0);

	CHECK_INT(store_visit_enroll(st, vid, carol, &added, &cause), 0);
	CHECK_INT(added, 2);
	memset(&t, 0, sizeof t);
	t.person_id = carol;
	t.want[0] = d1;
	t.want[1] = d2;
	CHECK_INT(store_templates_each(st, t_person_templates_cb, &t, &cause),
	    0);
	CHECK_INT(t.n, 2);
	CHECK_INT(t.bad, 0);
	CHECK_INT(store_person_templates(st, carol, &n, &cause), 0);
	CHECK_INT(n, 2);
	snprintf(sql, sizeof sql, "SELECT count(*) FROM templates WHERE "
	    "person_id = %lld AND photo IN ('%s', '%s')", (long long)carol,
	    p1, p2);
	CHECK_INT(t_raw_int(dir, sql), 2);

	/* A visit without descriptors adds nothing. */
	CHECK_INT(store_visit_add(st, "front", 2000, p4, NULL, NULL, &empty,
	    NULL, &cause), 0);
	CHECK_INT(store_visit_enroll(st, empty, carol, &added, &cause), 0);
	CHECK_INT(added, 0);

	/* No such visit or person, or a person gone. */
	CHECK_INT(store_visit_enroll(st, 999, carol, &added, &cause), 1);
	CHECK_INT(store_visit_enroll(st, vid, 999, &added, &cause), 1);
	CHECK_INT(store_person_remove(st, dave, &cause), 0);
	CHECK_INT(store_visit_enroll(st, vid, dave, &added, &cause), 1);
	CHECK_INT(added, 0);
	CHECK_INT(store_forget_person(st, carol, &cause), 0);
	CHECK_INT(store_visit_enroll(st, vid, carol, &added, &cause), 1);
	CHECK_INT(store_person_templates(st, carol, &n, &cause), 0);
	CHECK_INT(n, 0);
	CHECK_INT(store_person_find(st, "Dave", &p, &cause), 0);
	CHECK(p.removed > 0);
	store_person_clear(&p);
	/* The photos still used by the visit stay. */
	CHECK(t_photo_exists(st, p1));
	CHECK(t_photo_exists(st, p2));
	store_close(st);
}

/* The removed times of the people listed, by id (ids 1 and 2). */
static int
t_removed_cb(const struct store_person *p, void *arg)
{
	int64_t	*removed = arg;

	if (p->id >= 1 && p->id <= 2)
		removed[p->id - 1] = p->removed;
	return 0;
}

TEST(person_remove)
{
	const char		*dir = t_dir("remove");
	struct store		*st;
	struct store_person	 p;
	struct t_templates	 t;
	float			 desc[STORE_DESCRIPTOR];
	char			 own[STORE_HASH_LEN + 1];
	char			 shared[STORE_HASH_LEN + 1];
	char			 seen[STORE_HASH_LEN + 1];
	char			*cause = NULL;
	int64_t			 alice, bob, id, vid, removed[2];
	int			 n;

	if ((st = t_open(dir)) == NULL)
		return;
	CHECK_INT(store_person_add(st, "Alice", "alice@example.org", NULL,
	    &alice, &cause), 0);
	CHECK_INT(store_person_add(st, "Bob", NULL, NULL, &bob, &cause), 0);
	CHECK(alice == 1 && bob == 2);
	t_desc(desc, 1);
	t_photo(st, 1, own);
	t_photo(st, 2, shared);
	t_photo(st, 3, seen);
	CHECK_INT(store_template_add(st, alice, desc, own, &id, &cause), 0);
	CHECK_INT(store_template_add(st, alice, desc, shared, &id, &cause), 0);
	CHECK_INT(store_template_add(st, alice, desc, seen, &id, &cause), 0);
	CHECK_INT(store_template_add(st, bob, desc, shared, &id, &cause), 0);
	/* SEEN is also a photo of a visit: it must stay. */
	CHECK_INT(store_visit_add(st, "front", 1000, NULL, NULL, NULL, &vid,
	    NULL, &cause), 0);
	CHECK_INT(store_visit_photo_add(st, vid, seen, NULL, 1000, &cause), 0);
	CHECK_INT(store_person_deny(st, alice, 1, &cause), 0);
	CHECK_INT(store_person_templates(st, alice, &n, &cause), 0);
	CHECK_INT(n, 3);
	t_event(st, 1000, alice);

	CHECK_INT(store_person_remove(st, alice, &cause), 0);
	CHECK_INT(store_person_templates(st, alice, &n, &cause), 0);
	CHECK_INT(n, 0);
	memset(&t, 0, sizeof t);
	CHECK_INT(store_templates_each(st, t_template_cb, &t, &cause), 0);
	CHECK_INT(t.n, 1);
	CHECK_INT(t.person_id, bob);
	CHECK(!t_photo_exists(st, own));
	CHECK(t_photo_exists(st, shared));
	CHECK(t_photo_exists(st, seen));
	CHECK_INT(t_raw_int(dir, "SELECT count(*) FROM photos"), 2);

	/* Name, details, deny-list flag and history stay. */
	CHECK_INT(store_person_find(st, "Alice", &p, &cause), 0);
	CHECK_INT(p.id, alice);
	CHECK_STR(p.email, "alice@example.org");
	CHECK_INT(p.deny_listed, 1);
	CHECK(p.removed > 0 && p.forgotten == 0);
	store_person_clear(&p);
	removed[0] = removed[1] = -1;
	CHECK_INT(store_people_list(st, t_removed_cb, removed, &cause), 0);
	CHECK(removed[0] > 0);
	CHECK_INT(removed[1], 0);
	CHECK_INT(t_raw_int(dir, "SELECT count(*) FROM events"), 1);

	/* Removed once; no templates come back; the name stays taken. */
	CHECK_INT(store_person_remove(st, alice, &cause), 1);
	CHECK_INT(store_person_remove(st, 999, &cause), 1);
	CHECK_INT(store_template_add(st, alice, desc, NULL, &id, &cause), -1);
	free(cause);
	cause = NULL;
	CHECK_INT(store_person_add(st, "Alice", NULL, NULL, &id, &cause), -1);
	CHECK(cause != NULL && strstr(cause, "already exists (removed)") !=
	    NULL);
	free(cause);
	cause = NULL;
	CHECK_INT(store_person_add(st, "Bob", NULL, NULL, &id, &cause), -1);
	CHECK(cause != NULL && strstr(cause, "removed") == NULL);
	free(cause);
	cause = NULL;
	CHECK_INT(store_person_deny(st, alice, 0, &cause), 0);

	/* A removed person can still be forgotten; forgotten is final. */
	CHECK_INT(store_forget_person(st, alice, &cause), 0);
	CHECK_INT(store_forget_person(st, bob, &cause), 0);
	CHECK_INT(store_person_remove(st, bob, &cause), 1);
	CHECK(t_photo_exists(st, seen));
	CHECK(!t_photo_exists(st, shared));
	store_close(st);
}

TEST(forget_with_visits)
{
	const char		*dir = t_dir("forget-visits");
	struct store		*st;
	struct store_visit	 v;
	struct store_event	 ev;
	struct store_decision	 d;
	float			 d1[STORE_DESCRIPTOR], d2[STORE_DESCRIPTOR];
	char			 best[STORE_HASH_LEN + 1];
	char			 track[STORE_HASH_LEN + 1];
	char			 tmpl[STORE_HASH_LEN + 1];
	char			 other[STORE_HASH_LEN + 1];
	char			 sql[256], *cause = NULL;
	int64_t			 alice, bob, v1, v2, id, count, bad;

	if ((st = t_open(dir)) == NULL)
		return;
	CHECK_INT(store_person_add(st, "Alice", NULL, NULL, &alice, &cause),
	    0);
	CHECK_INT(store_person_add(st, "Bob", NULL, NULL, &bob, &cause), 0);
	t_photo(st, 1, best);
	t_photo(st, 2, track);
	t_photo(st, 3, tmpl);
	t_photo(st, 4, other);
	t_desc(d1, 1);
	t_desc(d2, 2);
	CHECK_INT(store_template_add(st, bob, d2, tmpl, &id, &cause), 0);

	/* Alice's visit: its photos, one also Bob's, one also a stranger's. */
	ev = t_visit_event("pending", 1000);
	CHECK_INT(store_visit_add(st, "front", 1000, best, d1, &ev, &v1, NULL,
	    &cause), 0);
	CHECK_INT(store_visit_photo_add(st, v1, track, d2, 1100, &cause), 0);
	CHECK_INT(store_visit_photo_add(st, v1, tmpl, NULL, 1200, &cause), 0);
	CHECK_INT(store_visit_photo_add(st, v1, other, NULL, 1300, &cause), 0);
	memset(&d, 0, sizeof d);
	d.state = "approved";
	d.by = "uid 1000 (guard)";
	d.reason = "Alice from accounts";
	d.name = "Alice";
	d.email = "alice@example.org";
	d.person_id = alice;
	ev = t_visit_event("approved", 1400);
	ev.person_id = alice;
	CHECK_INT(store_visit_decide(st, v1, &d, &ev, NULL, &cause), 0);
	CHECK_INT(store_visit_enroll(st, v1, alice, NULL, &cause), 0);
	ev = t_visit_event("pending", 2000);
	CHECK_INT(store_visit_add(st, "front", 2000, other, d2, &ev, &v2, NULL,
	    &cause), 0);

	CHECK_INT(store_forget_person(st, alice, &cause), 0);
	CHECK(!t_photo_exists(st, best));
	CHECK(!t_photo_exists(st, track));
	CHECK(t_photo_exists(st, tmpl));
	CHECK(t_photo_exists(st, other));
	CHECK_INT(t_raw_int(dir, "SELECT count(*) FROM photos"), 2);
	snprintf(sql, sizeof sql, "SELECT count(*) FROM visit_photos WHERE "
	    "visit_id = %lld", (long long)v1);
	CHECK_INT(t_raw_int(dir, sql), 0);
	snprintf(sql, sizeof sql, "SELECT count(*) FROM visit_photos WHERE "
	    "visit_id = %lld", (long long)v2);
	CHECK_INT(t_raw_int(dir, sql), 1);
	CHECK_INT(t_raw_int(dir, "SELECT count(*) FROM templates"), 1);
	t_visit(st, v1, &v);
	CHECK_STR(v.state, "approved");
	CHECK_INT(v.person_id, alice);
	CHECK(v.name == NULL && v.email == NULL && v.reason == NULL);
	CHECK_STR(v.photo, "");
	CHECK_INT(v.has_descriptor, 0);
	CHECK_STR(v.decided_by, "uid 1000 (guard)");
	store_visit_clear(&v);
	t_visit(st, v2, &v);
	CHECK_STR(v.photo, other);
	CHECK_INT(v.has_descriptor, 1);
	store_visit_clear(&v);
	CHECK_INT(t_verify(st, &count, &bad), 0);
	CHECK_INT(count, 3);
	store_close(st);
}

/* The passes listed, newest first. */
struct t_passes {
	int	n;
	char	id[8][STORE_PASS_ID_LEN + 1];
};

static int
t_passes_cb(const struct store_pass *p, void *arg)
{
	struct t_passes	*t = arg;

	if (t->n < 8)
		memcpy(t->id[t->n], p->id, sizeof t->id[0]);
	t->n++;
	return 0;
}

static struct t_passes
t_passes(struct store *st, int64_t now)
{
	struct t_passes	 t;
	char		*cause = NULL;

	memset(&t, 0, sizeof t);
	CHECK_INT(store_passes_list(st, now, t_passes_cb, &t, &cause), 0);
	free(cause);
	return t;
}

static char t_front[] = "[\"front\"]";
static char t_not_array[] = "\"front\"";
static char t_pin_hash[] = "scrypt$16384$8$1$00$00";

/* A pass with id "0...0N" for the window FROM..TO (ms). */
static struct store_pass
t_pass(int n, int64_t from, int64_t to)
{
	struct store_pass	p;

	memset(&p, 0, sizeof p);
	snprintf(p.id, sizeof p.id, "%032x", n);
	p.key_id = 0xabcdef01;
	p.doors = t_front;
	p.not_before = from;
	p.expires = to;
	p.uses = 1;
	return p;
}

TEST(passes)
{
	const char		*dir = t_dir("passes");
	struct store		*st;
	struct store_pass	 p, q;
	struct store_decision	 d;
	struct store_event	 ev;
	struct t_passes		 t;
	char			*cause = NULL, sql[256];
	int64_t			 alice, v1, v2, v3, eid, count, bad;

	if ((st = t_open(dir)) == NULL)
		return;
	CHECK_INT(store_person_add(st, "Alice", NULL, NULL, &alice, &cause),
	    0);
	v1 = t_add_visit(st, 1000);
	v2 = t_add_visit(st, 1000);
	v3 = t_add_visit(st, 1000);

	/* Approved with a pass: one transaction, the visit's id wins. */
	p = t_pass(1, 5000, 20000);
	p.visit_id = 424242;
	p.person_id = alice;
	p.pin_hash = t_pin_hash;
	memset(&d, 0, sizeof d);
	d.state = "approved";
	d.by = "uid 1000 (guard)";
	d.person_id = alice;
	d.pass = &p;
	ev = t_visit_event("visit", 3000);
	CHECK_INT(store_visit_decide(st, v1, &d, &ev, &eid, &cause), 0);
	CHECK_INT(eid, 1);
	CHECK_INT(store_pass_find(st, p.id, &q, &cause), 0);
	CHECK_STR(q.id, "00000000000000000000000000000001");
	CHECK_INT(q.key_id, 0xabcdef01);
	CHECK_INT(q.visit_id, v1);
	CHECK_INT(q.person_id, alice);
	CHECK_STR(q.doors, "[\"front\"]");
	CHECK_INT(q.not_before, 5000);
	CHECK_INT(q.expires, 20000);
	CHECK_INT(q.uses, 1);
	CHECK_STR(q.pin_hash, "scrypt$16384$8$1$00$00");
	CHECK_INT(q.revoked, 0);
	CHECK(q.created > 0);
	CHECK_STR(q.person_name, "Alice");
	store_pass_clear(&q);

	/*
	 * A pass that cannot be stored undoes the decision and its event; a
	 * denial carries no pass.
	 */
	memset(&d, 0, sizeof d);
	d.state = "approved";
	d.by = "uid 1000 (guard)";
	d.pass = &p;			/* the same id again */
	ev = t_visit_event("visit", 3100);
	CHECK_INT(store_visit_decide(st, v2, &d, &ev, &eid, &cause), -1);
	CHECK(cause != NULL && strstr(cause, "exists") != NULL);
	free(cause);
	cause = NULL;
	snprintf(sql, sizeof sql, "SELECT state = 'pending' FROM visits "
	    "WHERE id = %lld", (long long)v2);
	CHECK_INT(t_raw_int(dir, sql), 1);
	CHECK_INT(t_raw_int(dir, "SELECT count(*) FROM events"), 1);
	d.state = "denied";
	CHECK_INT(store_visit_decide(st, v2, &d, &ev, &eid, &cause), -1);
	free(cause);
	cause = NULL;
	/* Decided already: no second pass. */
	q = t_pass(9, 5000, 20000);
	d.state = "approved";
	d.pass = &q;
	CHECK_INT(store_visit_decide(st, v1, &d, &ev, &eid, &cause), 2);
	CHECK_INT(store_pass_find(st, q.id, &q, &cause), 1);

	/* Bad passes. */
	q = t_pass(2, 5000, 5000);
	CHECK_INT(store_pass_add(st, &q, &cause), -1);
	free(cause);
	cause = NULL;
	q = t_pass(2, 5000, 6000);
	snprintf(q.id, sizeof q.id, "%032X", 0xab);
	CHECK_INT(store_pass_add(st, &q, &cause), -1);
	free(cause);
	cause = NULL;
	q = t_pass(2, 5000, 6000);
	q.doors = t_not_array;
	CHECK_INT(store_pass_add(st, &q, &cause), -1);
	free(cause);
	cause = NULL;
	q = t_pass(2, 5000, 6000);
	q.visit_id = 999;
	CHECK_INT(store_pass_add(st, &q, &cause), -1);
	CHECK(cause != NULL && strstr(cause, "no visit 999") != NULL);
	free(cause);
	cause = NULL;
	CHECK_INT(store_pass_find(st, "zz", &q, &cause), 1);
	CHECK_INT(store_pass_find(st, "00000000000000000000000000000002", &q,
	    &cause), 1);

	/*
	 * At 10000: 1 is valid, 2 not yet (listed), 3 expired, 4 used up,
	 * 5 valid to the ms (listed: expiry is inclusive).
	 */
	q = t_pass(2, 15000, 30000);
	q.visit_id = v3;
	CHECK_INT(store_pass_add(st, &q, &cause), 0);
	q = t_pass(3, 1000, 9999);
	CHECK_INT(store_pass_add(st, &q, &cause), 0);
	q = t_pass(4, 1000, 20000);
	q.uses = 0;
	CHECK_INT(store_pass_add(st, &q, &cause), 0);
	q = t_pass(5, 1000, 10000);
	CHECK_INT(store_pass_add(st, &q, &cause), 0);
	t = t_passes(st, 10000);
	CHECK_INT(t.n, 3);
	CHECK_STR(t.id[0], "00000000000000000000000000000005");
	CHECK_STR(t.id[1], "00000000000000000000000000000002");
	CHECK_STR(t.id[2], "00000000000000000000000000000001");
	CHECK_INT(t_passes(st, 10001).n, 2);

	/* Revoked once; unknown, malformed or again is 1. */
	CHECK_INT(store_pass_revoke(st, "00000000000000000000000000000002",
	    &cause), 0);
	CHECK_INT(store_pass_revoke(st, "00000000000000000000000000000002",
	    &cause), 1);
	CHECK_INT(store_pass_revoke(st, "000000000000000000000000000000ff",
	    &cause), 1);
	CHECK_INT(store_pass_revoke(st, "not a pass", &cause), 1);
	CHECK_INT(store_pass_find(st, "00000000000000000000000000000002", &q,
	    &cause), 0);
	CHECK(q.revoked > 0);
	CHECK(q.person_name == NULL);
	store_pass_clear(&q);
	t = t_passes(st, 10000);
	CHECK_INT(t.n, 2);
	CHECK_STR(t.id[1], "00000000000000000000000000000001");

	/* Forgotten: Alice's pass is revoked and loses its PIN hash. */
	CHECK_INT(store_forget_person(st, alice, &cause), 0);
	CHECK_INT(store_pass_find(st, "00000000000000000000000000000001", &q,
	    &cause), 0);
	CHECK(q.revoked > 0);
	CHECK(q.pin_hash == NULL);
	CHECK(q.person_name == NULL);
	CHECK_INT(q.person_id, alice);
	store_pass_clear(&q);
	t = t_passes(st, 10000);
	CHECK_INT(t.n, 1);
	CHECK_STR(t.id[0], "00000000000000000000000000000005");

	/* A visit a pass names outlives its retention (the foreign key). */
	memset(&d, 0, sizeof d);
	d.state = "denied";
	d.by = "uid 1000 (guard)";
	CHECK_INT(store_visit_decide(st, v3, &d, NULL, NULL, &cause), 0);
	CHECK_INT(store_visit_decide(st, v2, &d, NULL, NULL, &cause), 0);
	CHECK_INT(store_expire(st, "visits", INT64_MAX, &cause), 1);
	snprintf(sql, sizeof sql, "SELECT count(*) FROM visits WHERE id = "
	    "%lld", (long long)v3);
	CHECK_INT(t_raw_int(dir, sql), 1);
	snprintf(sql, sizeof sql, "SELECT count(*) FROM visits WHERE id = "
	    "%lld", (long long)v2);
	CHECK_INT(t_raw_int(dir, sql), 0);
	CHECK_INT(t_verify(st, &count, &bad), 0);
	CHECK_INT(count, 1);
	free(cause);
	store_close(st);
}

/* Passes and their uses in the concurrency test. */
#define T_RACE_PASSES	100
#define T_RACE_USES	3	/* of the last pass; the others have 1 */

/*
 * One of two racing agents: opens the store in DIR on its own and tries
 * to use every pass once more than it can be (pass 1 is revoked); writes
 * how many uses it
 * got, of the single-use passes and of the last one, to FD.
 */
static void
t_race_child(const char *dir, int fd)
{
	struct store		*st;
	struct store_event	 ev;
	char			 id[STORE_PASS_ID_LEN + 1], *cause = NULL;
	int			 got[2] = { 0, 0 }, n, k, r;
	int64_t			 eid;

	if (store_open(dir, &st, &cause) != 0) {
		fprintf(stderr, "store_open: %s\n", cause);
		_exit(2);
	}
	memset(&ev, 0, sizeof ev);
	ev.time = 5000;
	ev.type = "granted";
	ev.door = "front";
	ev.details = "{\"reason\":\"pass\"}";
	for (k = 0; k < T_RACE_USES + 1; k++) {
		for (n = 1; n <= T_RACE_PASSES; n++) {
			snprintf(id, sizeof id, "%032x", n);
			r = store_pass_use(st, id, &ev, NULL, 0, &eid, &cause);
			if (r == 0)
				got[n == T_RACE_PASSES]++;
			else if (r != 3 && !(r == 2 && n == 1)) {
				fprintf(stderr, "pass %s: %d %s\n", id, r,
				    cause != NULL ? cause : "");
				_exit(3);
			}
		}
	}
	store_close(st);
	if (write(fd, got, sizeof got) != (ssize_t)sizeof got)
		_exit(4);
	_exit(0);
}

/*
 * Two processes, as two agents on one store would, use the same passes at
 * the same time: each use is granted exactly once (uses of them in all),
 * the rest are replays, and the log holds one event per use and verifies.
 */
TEST(pass_use_concurrent)
{
	const char		*dir = t_dir("race");
	struct store		*st;
	struct store_pass	 p;
	struct store_event	 ev;
	char			*cause = NULL;
	int			 fds[2], got[2], total[2] = { 0, 0 }, i, n, status;
	int64_t			 count, bad, eid;
	pid_t			 pid[2];

	if ((st = t_open(dir)) == NULL)
		return;
	for (n = 1; n <= T_RACE_PASSES; n++) {
		p = t_pass(n, 1000, 100000);
		if (n == T_RACE_PASSES)
			p.uses = T_RACE_USES;
		CHECK_INT(store_pass_add(st, &p, &cause), 0);
	}
	/* A revoked pass and an unknown one are refused, untouched. */
	ev = t_visit_event("granted", 2000);
	CHECK_INT(store_pass_revoke(st, "00000000000000000000000000000001",
	    &cause), 0);
	CHECK_INT(store_pass_use(st, "00000000000000000000000000000001", &ev,
	    NULL, 0, &eid, &cause), 2);
	CHECK_INT(store_pass_use(st, "ffffffffffffffffffffffffffffffff", &ev,
	    NULL, 0, &eid, &cause), 1);
	CHECK_INT(store_pass_use(st, "not a pass id", &ev, NULL, 0, &eid,
	    &cause), 1);
	store_close(st);

	CHECK(pipe(fds) == 0);
	for (i = 0; i < 2; i++) {
		if ((pid[i] = fork()) == 0) {
			close(fds[0]);
			t_race_child(dir, fds[1]);
		}
	}
	close(fds[1]);
	for (i = 0; i < 2; i++) {
		CHECK(read(fds[0], got, sizeof got) == (ssize_t)sizeof got);
		total[0] += got[0];
		total[1] += got[1];
	}
	close(fds[0]);
	for (i = 0; i < 2; i++) {
		CHECK(waitpid(pid[i], &status, 0) == pid[i]);
		CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	/* Pass 1 was revoked: the other single-use passes, once each. */
	CHECK_INT(total[0], T_RACE_PASSES - 2);
	CHECK_INT(total[1], T_RACE_USES);
	if ((st = t_open(dir)) == NULL)
		return;
	CHECK_INT(t_verify_want(st, &count, &bad, 0), 0);
	CHECK_INT(count, T_RACE_PASSES - 2 + T_RACE_USES);
	store_close(st);
}

struct t_alarms {
	int	n;
	int64_t	ids[8];
	int	acked[8];
};

static int
t_alarm_cb(const struct store_alarm *a, void *arg)
{
	struct t_alarms	*t = arg;

	if (t->n < 8) {
		t->ids[t->n] = a->id;
		t->acked[t->n] = a->acked_by != NULL;
	}
	t->n++;
	return 0;
}

/*
 * Alarms and their acknowledgement: the open ones are listed newest first,
 * an acknowledgement is stored with its event once, a second one is a
 * conflict, and an event that is no alarm is not found.
 */
TEST(alarms_ack)
{
	const char		*dir = t_dir("alarms");
	struct store		*st;
	struct store_event	 ev;
	struct t_alarms		 t;
	char			*cause = NULL;
	int64_t			 a1, a2, other, eid, count, bad;

	if ((st = t_open(dir)) == NULL)
		return;
	memset(&ev, 0, sizeof ev);
	ev.time = 1000;
	ev.type = "alarm";
	ev.door = "front";
	ev.details = "{\"kind\":\"deny-list\"}";
	CHECK_INT(store_event_append(st, &ev, &a1, &cause), 0);
	ev.details = "{\"kind\":\"forced\"}";
	CHECK_INT(store_event_append(st, &ev, &a2, &cause), 0);
	ev.type = "door";
	ev.details = NULL;
	CHECK_INT(store_event_append(st, &ev, &other, &cause), 0);

	memset(&t, 0, sizeof t);
	CHECK_INT(store_alarms_list(st, 0, 0, t_alarm_cb, &t, &cause), 0);
	CHECK_INT(t.n, 2);
	CHECK_INT(t.ids[0], a2);
	CHECK_INT(t.ids[1], a1);

	ev.type = "ack";
	ev.time = 2000;
	CHECK_INT(store_alarm_ack(st, a1, "uid 1000 (guard)", "a delivery",
	    &ev, &eid, &cause), 0);
	CHECK_INT(store_alarm_ack(st, a1, "uid 1001 (other)", NULL, &ev, &eid,
	    &cause), 2);
	CHECK_INT(store_alarm_ack(st, other, "uid 1000 (guard)", NULL, &ev,
	    &eid, &cause), 1);
	CHECK_INT(store_alarm_ack(st, 999, "uid 1000 (guard)", NULL, &ev,
	    &eid, &cause), 1);
	memset(&t, 0, sizeof t);
	CHECK_INT(store_alarms_list(st, 0, 0, t_alarm_cb, &t, &cause), 0);
	CHECK_INT(t.n, 1);
	CHECK_INT(t.ids[0], a2);
	memset(&t, 0, sizeof t);
	CHECK_INT(store_alarms_list(st, 1, 0, t_alarm_cb, &t, &cause), 0);
	CHECK_INT(t.n, 2);
	CHECK_INT(t.acked[1], 1);
	CHECK_INT(t_raw_int(dir, "SELECT count(*) FROM events WHERE type = "
	    "'ack'"), 1);
	CHECK_INT(t_verify(st, &count, &bad), 0);
	CHECK_INT(count, 4);
	store_close(st);
}

TEST(event_time_queries)
{
	const char	*dir = t_dir("event-time");
	struct store	*st;
	char		*cause = NULL;
	int64_t		 id, time;
	static const int64_t times[] = { 1000, 2000, 3000, 1500, 4000 };
	size_t		 i;

	if ((st = t_open(dir)) == NULL)
		return;
	CHECK_INT(store_event_last_time(st, &time, &cause), 0);
	CHECK_INT(time, 0);
	CHECK_INT(store_event_first_after(st, 0, &id, &cause), 0);
	CHECK_INT(id, 1);
	for (i = 0; i < sizeof times / sizeof times[0]; i++)
		t_event(st, times[i], 0);
	CHECK_INT(store_event_first_after(st, 0, &id, &cause), 0);
	CHECK_INT(id, 1);
	CHECK_INT(store_event_first_after(st, 1000, &id, &cause), 0);
	CHECK_INT(id, 1);
	CHECK_INT(store_event_first_after(st, 1001, &id, &cause), 0);
	CHECK_INT(id, 2);
	CHECK_INT(store_event_first_after(st, 2500, &id, &cause), 0);
	CHECK_INT(id, 3);
	/* After a clock step back: the first event at or after the time. */
	CHECK_INT(store_event_first_after(st, 3500, &id, &cause), 0);
	CHECK_INT(id, 5);
	CHECK_INT(store_event_first_after(st, 5000, &id, &cause), 0);
	CHECK_INT(id, 6);
	CHECK_INT(store_event_last_time(st, &time, &cause), 0);
	CHECK_INT(time, 4000);
	/* The newest event is the head, whatever its time. */
	t_event(st, 10, 0);
	CHECK_INT(store_event_last_time(st, &time, &cause), 0);
	CHECK_INT(time, 10);

	/* Everything expired: none, and the ids go on from the head. */
	CHECK_INT(store_expire(st, "events", INT64_MAX, &cause), 6);
	CHECK_INT(store_event_last_time(st, &time, &cause), 0);
	CHECK_INT(time, 0);
	CHECK_INT(store_event_first_after(st, 0, &id, &cause), 0);
	CHECK_INT(id, 7);
	CHECK_INT(t_event(st, 5000, 0), 7);
	CHECK_INT(store_event_first_after(st, 0, &id, &cause), 0);
	CHECK_INT(id, 7);
	store_close(st);
}

TEST(expire_visits)
{
	const char		*dir = t_dir("expire-visits");
	struct store		*st;
	struct store_visit	 v;
	struct store_event	 ev;
	struct store_decision	 d;
	float			 d1[STORE_DESCRIPTOR];
	char			 p1[STORE_HASH_LEN + 1], p2[STORE_HASH_LEN + 1];
	char			 p3[STORE_HASH_LEN + 1], p4[STORE_HASH_LEN + 1];
	char			*cause = NULL;
	int64_t			 named, quiet, recent, count, bad;

	if ((st = t_open(dir)) == NULL)
		return;
	t_photo(st, 1, p1);
	t_photo(st, 2, p2);
	t_photo(st, 3, p3);
	t_photo(st, 4, p4);
	t_desc(d1, 1);
	/* NAMED has an event, QUIET none; RECENT is still pending. */
	ev = t_visit_event("pending", 5);
	CHECK_INT(store_visit_add(st, "front", 5, p1, d1, &ev, &named, NULL,
	    &cause), 0);
	CHECK_INT(store_visit_photo_add(st, named, p2, d1, 6, &cause), 0);
	CHECK_INT(store_visit_add(st, "front", 10, p3, d1, NULL, &quiet, NULL,
	    &cause), 0);
	CHECK_INT(store_visit_photo_add(st, quiet, p4, NULL, 11, &cause), 0);
	memset(&d, 0, sizeof d);
	d.state = "approved";
	d.by = "uid 0 (root)";
	d.name = "Erin";
	CHECK_INT(store_visit_decide(st, quiet, &d, NULL, NULL, &cause), 0);
	CHECK_INT(store_visit_add(st, "front", 500, p4, d1, NULL, &recent,
	    NULL, &cause), 0);

	/* Pending visits expire: they stay, with what they had. */
	CHECK_INT(store_expire(st, "pending", 100, &cause), 1);
	t_visit(st, named, &v);
	CHECK_STR(v.state, "expired");
	CHECK(v.decided_at > 0);
	CHECK_STR(v.photo, p1);
	CHECK_INT(v.has_descriptor, 1);
	store_visit_clear(&v);
	CHECK_INT(t_raw_int(dir, "SELECT count(*) FROM visit_photos"), 5);

	/* Answered visits go; a visit an event names stays, emptied. */
	CHECK_INT(store_expire(st, "visits", 100, &cause), 2);
	CHECK_INT(store_visit_find(st, quiet, &v, &cause), 1);
	t_visit(st, named, &v);
	CHECK_STR(v.state, "expired");
	CHECK_STR(v.photo, "");
	CHECK_INT(v.has_descriptor, 0);
	CHECK(v.reason == NULL);
	store_visit_clear(&v);
	t_visit(st, recent, &v);
	CHECK_STR(v.state, "pending");
	CHECK_STR(v.photo, p4);
	store_visit_clear(&v);
	CHECK_INT(t_raw_int(dir, "SELECT count(*) FROM visit_photos"), 1);
	CHECK(!t_photo_exists(st, p1));
	CHECK(!t_photo_exists(st, p2));
	CHECK(!t_photo_exists(st, p3));
	CHECK(t_photo_exists(st, p4));
	CHECK_INT(t_raw_int(dir, "SELECT count(*) FROM photos"), 1);
	CHECK_INT(store_expire(st, "visits", 100, &cause), 0);
	CHECK_INT(t_verify(st, &count, &bad), 0);
	CHECK_INT(count, 1);

	/* Old photos leave visit photos too. */
	CHECK_INT(store_expire(st, "photos", INT64_MAX, &cause), 1);
	CHECK(!t_photo_exists(st, p4));
	CHECK_INT(t_raw_int(dir, "SELECT count(*) FROM visit_photos"), 0);
	t_visit(st, recent, &v);
	CHECK_STR(v.photo, "");
	CHECK_INT(v.has_descriptor, 1);
	store_visit_clear(&v);
	store_close(st);
}

/*
 * Migration 1 as it shipped, frozen here: a version-1 database must be
 * built without this program, which only writes the newest version. The
 * test compares the migrated schema with a fresh one, so a drift of this
 * copy from store.c shows.
 */
static const char t_schema_v1[] =
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
	"CREATE INDEX outbox_due ON outbox(state, next_try);";

/* The schema of DIR's database as one string (malloc'd), or NULL. */
static char *
t_schema(const char *dir)
{
	sqlite3		*db;
	sqlite3_stmt	*stmt;
	char		 path[600], *s = NULL;

	snprintf(path, sizeof path, "%s/gatehouse.db", dir);
	CHECK(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) ==
	    SQLITE_OK);
	if (sqlite3_prepare_v2(db, "SELECT group_concat(type || ' ' || name "
	    "|| ': ' || coalesce(sql, ''), char(10)) FROM (SELECT * FROM "
	    "sqlite_master ORDER BY type, name)", -1, &stmt, NULL) ==
	    SQLITE_OK) {
		if (sqlite3_step(stmt) == SQLITE_ROW &&
		    sqlite3_column_text(stmt, 0) != NULL)
			s = xstrdup((const char *)sqlite3_column_text(stmt, 0));
		sqlite3_finalize(stmt);
	}
	sqlite3_close(db);
	return s;
}

TEST(migrate_from_v1)
{
	const char		*dir = t_dir("migrate-v1");
	struct store		*st;
	struct store_person	 p;
	struct store_visit	 v;
	struct t_templates	 t;
	float			 desc[STORE_DESCRIPTOR];
	char			 path[600], *old, *fresh, *cause = NULL;
	char			 photo[STORE_HASH_LEN + 1];
	sqlite3			*db;
	int64_t			 count, bad, vid;

	CHECK(mkdir(dir, 0700) == 0);
	snprintf(path, sizeof path, "%s/gatehouse.db", dir);
	CHECK(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE, NULL) == SQLITE_OK);
	sqlite3_close(db);
	t_raw(dir, t_schema_v1);
	t_raw(dir, "INSERT INTO people (id, name, email, created) VALUES "
	    "(1, 'Alice', 'alice@example.org', 7);"
	    "INSERT INTO photos VALUES ('aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', 7);"
	    "INSERT INTO templates (person_id, descriptor, photo, created) "
	    "VALUES (1, zeroblob(512), 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', 7);"
	    "INSERT INTO visits (id, door, first_seen, last_seen, photo) "
	    "VALUES (1, 'front', 100, 200, 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa');"
	    "PRAGMA user_version = 1");
	CHECK_INT(t_raw_int(dir, "PRAGMA user_version"), 1);

	if ((st = t_open(dir)) == NULL)
		return;
	CHECK_INT(t_raw_int(dir, "PRAGMA user_version"), store_version());
	CHECK_INT(store_version(), 5);
	CHECK_INT(store_person_find(st, "Alice", &p, &cause), 0);
	CHECK_STR(p.email, "alice@example.org");
	CHECK_INT(p.created, 7);
	CHECK_INT(p.removed, 0);
	store_person_clear(&p);
	memset(&t, 0, sizeof t);
	CHECK_INT(store_templates_each(st, t_template_cb, &t, &cause), 0);
	CHECK_INT(t.n, 1);
	t_visit(st, 1, &v);
	CHECK_STR(v.state, "pending");
	CHECK_INT(v.first_seen, 100);
	CHECK_INT(v.has_descriptor, 0);
	CHECK_INT(v.photo[0], 'a');
	store_visit_clear(&v);

	/* The new columns and table work on the old rows. */
	t_photo(st, 1, photo);
	t_desc(desc, 1);
	CHECK_INT(store_visit_seen(st, 1, 300, photo, desc, 1, &cause), 0);
	t_visit(st, 1, &v);
	CHECK_INT(v.has_descriptor, 1);
	CHECK_STR(v.photo, photo);
	store_visit_clear(&v);
	CHECK_INT(t_vphotos(st, 1).n, 1);
	CHECK_INT(store_person_remove(st, 1, &cause), 0);
	t_event(st, 1000, 1);
	CHECK_INT(store_visit_add(st, NULL, 400, NULL, NULL, NULL, &vid, NULL,
	    &cause), 0);
	CHECK_INT(vid, 2);
	CHECK_INT(t_verify(st, &count, &bad), 0);
	CHECK_INT(count, 1);
	store_close(st);

	/* The same schema as a database made new. */
	if ((st = t_open(t_dir("migrate-fresh"))) == NULL)
		return;
	store_close(st);
	old = t_schema(dir);
	fresh = t_schema(t_dir("migrate-fresh"));
	CHECK(old != NULL && fresh != NULL);
	if (old != NULL && fresh != NULL && strcmp(old, fresh) != 0) {
		fprintf(stderr, "migrated:\n%s\nfresh:\n%s\n", old, fresh);
		CHECK(0);
	}
	CHECK(fresh != NULL && strstr(fresh, "table visit_photos") != NULL);
	free(old);
	free(fresh);
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
	RUN(visit_add_seen_photos);
	RUN(visit_pending_and_decide);
	RUN(visit_enroll);
	RUN(person_remove);
	RUN(forget_with_visits);
	RUN(passes);
	RUN(pass_use_concurrent);
	RUN(alarms_ack);
	RUN(event_time_queries);
	RUN(expire_visits);
	RUN(migrate_from_v1);
	return test_main_end("test-store");
}
