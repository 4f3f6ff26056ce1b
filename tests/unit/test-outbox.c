/*
 * The outbox sender against real sinks on 127.0.0.1: an SMTP server
 * (Debian's python3-aiosmtpd) and an HTTP server (Python's http.server),
 * both saving what they get to a directory, with a real store and a real
 * loop. Mail (headers, RFC 2047 subject and name, Message-ID, the inline
 * QR PNG that zbar reads back, the photo), SMS (form fields, basic auth,
 * Idempotency-Key), webhooks (HMAC signature); retries while the mail
 * server is down and delivery once each when it is up; permanent failures
 * and header injection dead-lettered and never sent; a stalled server
 * that leaves the loop running; rows in flight at a stop sent by the next
 * sender. Skips with a reason when python3-aiosmtpd is missing.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <netinet/in.h>

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cJSON.h>
#include <openssl/evp.h>
#include <zbar.h>

#include "image.h"
#include "loop.h"
#include "outbox.h"
#include "store.h"
#include "test.h"
#include "xmalloc.h"

#define T_PYTHON	"/usr/bin/python3"
/* The sinks and the mail parser (run from the top of the tree). */
#define T_SINK		"tests/tools/sink.py"
#define T_MAIL_PARSE	"tests/tools/mail-parse.py"
/* A bound on every wait, so a broken build fails instead of hanging. */
#define T_WAIT_MS	30000


/* Parses a saved mail with Python's email module into JSON on stdout. */

struct t_sink {
	pid_t	 pid;
	int	 port;
	char	 dir[512];
};

static int	t_have_smtp = -1;

/* A free TCP port on 127.0.0.1 (the kernel's pick). */
static int
t_port(void)
{
	struct sockaddr_in	sin;
	socklen_t		len = sizeof sin;
	int			fd, port;

	fd = socket(AF_INET, SOCK_STREAM, 0);
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&sin, sizeof sin) != 0 ||
	    getsockname(fd, (struct sockaddr *)&sin, &len) != 0) {
		close(fd);
		return -1;
	}
	port = ntohs(sin.sin_port);
	close(fd);
	return port;
}

/* Writes TEXT to PATH. */
static void
t_write(const char *path, const char *text)
{
	FILE	*f = fopen(path, "w");

	CHECK(f != NULL);
	if (f == NULL)
		return;
	fputs(text, f);
	fclose(f);
}

/* A path under the test directory (static, one at a time per SLOT). */
static const char *
t_path(int slot, const char *name)
{
	static char	buf[4][512];

	snprintf(buf[slot], sizeof buf[slot], "%s/%s", test_tmpdir(), name);
	return buf[slot];
}

/* Whether python3-aiosmtpd is there. */
static int
t_smtp_available(void)
{
	if (t_have_smtp == -1)
		t_have_smtp = system(T_PYTHON " -c 'import aiosmtpd' "
		    ">/dev/null 2>&1") == 0;
	return t_have_smtp;
}

/* Starts a sink of MODE ("smtp" or "http") saving to DIR on PORT. */
static int
t_sink_start(struct t_sink *k, const char *mode, const char *name, int port)
{
	char	ready[600];
	int	i;

	snprintf(k->dir, sizeof k->dir, "%s/%s", test_tmpdir(), name);
	k->port = port;
	snprintf(ready, sizeof ready, "%s/.ready", k->dir);
	unlink(ready);
	if ((k->pid = fork()) == 0) {
		char	p[16];

		snprintf(p, sizeof p, "%d", port);
		execl(T_PYTHON, T_PYTHON, T_SINK, mode, k->dir,
		    p, (char *)NULL);
		_exit(127);
	}
	for (i = 0; i < 300; i++) {
		if (access(ready, F_OK) == 0)
			return 0;
		usleep(50 * 1000);
	}
	fprintf(stderr, "sink %s did not start\n", mode);
	CHECK(0);
	return -1;
}

/* Stops a sink. */
static void
t_sink_stop(struct t_sink *k)
{
	if (k->pid > 0) {
		kill(k->pid, SIGTERM);
		waitpid(k->pid, NULL, 0);
		k->pid = 0;
	}
}

/* The number of files with suffix EXT in DIR. */
static int
t_count(const char *dir, const char *ext)
{
	DIR		*d;
	struct dirent	*e;
	size_t		 n, m = strlen(ext);
	int		 count = 0;

	if ((d = opendir(dir)) == NULL)
		return 0;
	while ((e = readdir(d)) != NULL) {
		n = strlen(e->d_name);
		if (e->d_name[0] != '.' && n > m &&
		    strcmp(e->d_name + n - m, ext) == 0)
			count++;
	}
	closedir(d);
	return count;
}

/* The path of the Nth (from 1) saved file of DIR (static). */
static const char *
t_saved(const struct t_sink *k, int n, const char *ext)
{
	static char	buf[600];

	snprintf(buf, sizeof buf, "%s/%04d.%s", k->dir, n, ext);
	return buf;
}

/* Reads JSON file PATH. */
static cJSON *
t_json_file(const char *path)
{
	char	*text;
	size_t	 len;
	cJSON	*j;

	if ((text = test_read_file(path, &len)) == NULL)
		return NULL;
	j = cJSON_Parse(text);
	free(text);
	return j;
}

/* A string member, or "" (never NULL, for CHECK_STR). */
static const char *
t_str(const cJSON *o, const char *key)
{
	const cJSON	*c = cJSON_GetObjectItemCaseSensitive(o, key);

	return cJSON_IsString(c) ? c->valuestring : "";
}

/* A header of an HTTP record (the sink keeps http.server's spelling). */
static const char *
t_header(const cJSON *rec, const char *name)
{
	const cJSON	*h = cJSON_GetObjectItemCaseSensitive(rec, "headers");
	const cJSON	*c;

	cJSON_ArrayForEach(c, h) {
		if (strcasecmp(c->string, name) == 0 && cJSON_IsString(c))
			return c->valuestring;
	}
	return "";
}

/* Parses saved mail PATH, the PNG part (if any) to PNG. */
static cJSON *
t_mail_parse(const char *path, const char *png)
{
	char	 cmd[2048], buf[65536];
	FILE	*p;
	size_t	 n;

	snprintf(cmd, sizeof cmd, T_PYTHON " %s %s %s", T_MAIL_PARSE,
	    path, png);
	if ((p = popen(cmd, "r")) == NULL)
		return NULL;
	n = fread(buf, 1, sizeof buf - 1, p);
	buf[n] = '\0';
	pclose(p);
	return cJSON_Parse(buf);
}

/* The text zbar reads in PNG file PATH (malloc'd), or NULL. */
static char *
t_qr_read(const char *path)
{
	struct image		*img;
	zbar_image_scanner_t	*sc;
	zbar_image_t		*im;
	const zbar_symbol_t	*sym;
	uint8_t			*grey;
	char			*cause = NULL, *text = NULL;
	size_t			 i, n;

	if (image_load(path, IMAGE_MAX_PIXELS, &img, &cause) != 0) {
		fprintf(stderr, "%s: %s\n", path, cause);
		free(cause);
		return NULL;
	}
	n = (size_t)img->w * img->h;
	grey = xmalloc(n);
	for (i = 0; i < n; i++)
		grey[i] = img->rgb[3 * i + 1];
	sc = zbar_image_scanner_create();
	zbar_image_scanner_set_config(sc, ZBAR_NONE, ZBAR_CFG_ENABLE, 0);
	zbar_image_scanner_set_config(sc, ZBAR_QRCODE, ZBAR_CFG_ENABLE, 1);
	im = zbar_image_create();
	zbar_image_set_format(im, zbar_fourcc('Y', '8', '0', '0'));
	zbar_image_set_size(im, (unsigned)img->w, (unsigned)img->h);
	zbar_image_set_data(im, grey, n, NULL);
	if (zbar_scan_image(sc, im) > 0 &&
	    (sym = zbar_image_first_symbol(im)) != NULL)
		text = xstrdup(zbar_symbol_get_data(sym));
	zbar_image_destroy(im);
	zbar_image_scanner_destroy(sc);
	free(grey);
	image_free(img);
	return text;
}

/* Opens a fresh store in the test directory under NAME. */
static struct store *
t_store(const char *name)
{
	struct store	*st = NULL;
	char		*cause = NULL;

	if (store_open(t_path(2, name), &st, &cause) != 0) {
		fprintf(stderr, "store_open: %s\n", cause);
		free(cause);
		CHECK(0);
		return NULL;
	}
	return st;
}

/* Queues one outbox row with an event (its id in *EVENT_ID). */
static int
t_queue(struct store *st, const char *kind, const char *dest,
    const char *payload, int64_t *event_id)
{
	struct store_event	ev;
	struct store_outbox	ob;
	char			*cause = NULL;
	int64_t			 id = 0;

	memset(&ev, 0, sizeof ev);
	ev.time = 1000;
	ev.type = "granted";
	ev.door = "front";
	memset(&ob, 0, sizeof ob);
	ob.kind = kind;
	ob.destination = dest;
	ob.payload = payload;
	ob.next_try = 0;
	if (store_event_append_outbox(st, &ev, &ob, 1, &id, &cause) != 0) {
		fprintf(stderr, "append: %s\n", cause);
		free(cause);
		CHECK(0);
		return -1;
	}
	if (event_id != NULL)
		*event_id = id;
	return 0;
}

/* Copies the row the list calls back with. */
struct t_row {
	int64_t	 id;
	char	 state[16];
	int	 attempts;
	int64_t	 next_try;
	char	 error[512];
	int	 found;
};

static int
t_row_cb(const struct store_outbox_row *r, void *arg)
{
	struct t_row	*t = arg;

	if (t->id != 0 && r->id != t->id)
		return 0;
	t->id = r->id;
	snprintf(t->state, sizeof t->state, "%s", r->state);
	t->attempts = r->attempts;
	t->next_try = r->next_try;
	snprintf(t->error, sizeof t->error, "%s",
	    r->last_error != NULL ? r->last_error : "");
	t->found = 1;
	return 1;
}

/* Row ID (0: the newest) into *T. */
static int
t_row(struct store *st, int64_t id, struct t_row *t)
{
	char	*cause = NULL;

	memset(t, 0, sizeof *t);
	t->id = id;
	if (store_outbox_list(st, NULL, 0, t_row_cb, t, &cause) < 0) {
		fprintf(stderr, "list: %s\n", cause);
		free(cause);
		return -1;
	}
	return t->found ? 0 : -1;
}

/* Queues a row and returns its id (the newest row). */
static int64_t
t_add(struct store *st, const char *kind, const char *dest,
    const char *payload, int64_t *event_id)
{
	struct t_row	t;

	t_queue(st, kind, dest, payload, event_id);
	if (t_row(st, 0, &t) != 0)
		return -1;
	return t.id;
}

/* Counts the rows in a state. */
static int
t_state_cb(const struct store_outbox_row *r, void *arg)
{
	(void)r;
	(*(int *)arg)++;
	return 0;
}

static int
t_in_state(struct store *st, const char *state)
{
	int	n = 0;

	store_outbox_list(st, state, 0, t_state_cb, &n, NULL);
	return n;
}

/* Runs LOOP until DONE(ARG) holds (checked every 20 ms) or T_WAIT_MS. */
struct t_until {
	int	(*done)(void *);
	void	 *arg;
	int64_t	  deadline;
	int	  met;
	int	  ticks;
};

static int64_t
t_until_cb(struct loop *loop, uint64_t id, void *arg)
{
	struct t_until	*u = arg;

	(void)id;
	u->ticks++;
	if (u->done(u->arg)) {
		u->met = 1;
		loop_stop(loop);
		return -1;
	}
	if (loop_now_ms() > u->deadline) {
		loop_stop(loop);
		return -1;
	}
	return 20;
}

static int
t_until(struct loop *loop, int (*done)(void *), void *arg)
{
	struct t_until	u;

	memset(&u, 0, sizeof u);
	u.done = done;
	u.arg = arg;
	u.deadline = loop_now_ms() + T_WAIT_MS;
	loop_add_timer(loop, 0, t_until_cb, &u);
	loop_run(loop);
	return u.met;
}

/* Never true: t_until then only runs the loop. */
static int
t_never(void *arg)
{
	(void)arg;
	return 0;
}

/* Runs LOOP for about MS milliseconds. */
static void
t_spin(struct loop *loop, int64_t ms)
{
	struct t_until	u;

	memset(&u, 0, sizeof u);
	u.done = t_never;
	u.deadline = loop_now_ms() + ms;
	loop_add_timer(loop, 0, t_until_cb, &u);
	loop_run(loop);
}

/* Predicates for t_until. */
struct t_wait {
	struct store	*st;
	struct outbox	*ob;
	const char	*state;
	int		 n;
	int		 min_attempts;
	int		 ticks;
};

static int
t_wait_state(void *arg)
{
	struct t_wait	*w = arg;

	return t_in_state(w->st, w->state) >= w->n;
}

static int
t_wait_attempts_cb(const struct store_outbox_row *r, void *arg)
{
	struct t_wait	*w = arg;

	if (r->attempts < w->min_attempts)
		w->n++;
	return 0;
}

/* All queued rows have failed at least min_attempts times. */
static int
t_wait_attempts(void *arg)
{
	struct t_wait	*w = arg;

	w->n = 0;
	store_outbox_list(w->st, "queued", 0, t_wait_attempts_cb, w, NULL);
	return w->n == 0;
}

static int
t_wait_inflight(void *arg)
{
	struct t_wait	*w = arg;

	return outbox_inflight(w->ob) >= 1 && ++w->ticks >= 10;
}

/* A config for the sinks: SMTP on SMTP_PORT, HTTP on HTTP_PORT. */
static void
t_config(struct outbox_config *c, int smtp_port, int http_port)
{
	static char	smtp[64], sms[64], hook[64], token[512], secret[512];

	memset(c, 0, sizeof *c);
	if (smtp_port > 0) {
		snprintf(smtp, sizeof smtp, "smtp://127.0.0.1:%d", smtp_port);
		c->smtp_url = smtp;
		c->mail_from = "door@example.org";
	}
	if (http_port > 0) {
		snprintf(sms, sizeof sms, "http://127.0.0.1:%d/sms", http_port);
		snprintf(hook, sizeof hook, "http://127.0.0.1:%d/hook",
		    http_port);
		snprintf(token, sizeof token, "%s", t_path(3, "sms-token"));
		t_write(token, "t0ken-secret\n");
		c->sms_url = sms;
		c->sms_user = "AC0123";
		c->sms_token_file = token;
		c->sms_from = "+15550001111";
		c->webhook_url = hook;
		snprintf(secret, sizeof secret, "%s", t_path(3, "hook-secret"));
		t_write(secret, "hook-key\n");
		c->webhook_secret_file = secret;
	}
	c->backoff_ms = 100;
	c->backoff_max_ms = 400;
	c->max_attempts = 50;
	c->timeout_ms = 10000;
}

/* A small JPEG stored as a photo; its hash into HASH. */
static int
t_photo(struct store *st, char hash[STORE_HASH_LEN + 1], size_t *len)
{
	struct image	*img = image_new(32, 24);
	uint8_t		*jpeg;
	char		*cause = NULL;
	int		 r;

	memset(img->rgb, 0x80, 32 * 24 * 3);
	r = image_encode_jpeg(img, 80, &jpeg, len, &cause);
	image_free(img);
	if (r != 0) {
		free(cause);
		return -1;
	}
	r = store_photo_put(st, jpeg, *len, hash, &cause);
	free(jpeg);
	free(cause);
	return r;
}

TEST(config_checked)
{
	struct outbox_config	 c;
	struct loop		*loop = loop_new();
	struct store		*st = t_store("config");
	struct outbox		*ob;
	char			*cause = NULL;

	if (st == NULL)
		return;
	t_config(&c, 2525, 0);
	c.mail_from = "door\r\nBcc: x@example.org";
	CHECK((ob = outbox_new(loop, st, &c, &cause)) == NULL);
	CHECK(cause != NULL && strstr(cause, "mail_from") != NULL);
	free(cause);
	cause = NULL;

	t_config(&c, 2525, 0);
	c.smtp_url = "http://127.0.0.1:2525";
	CHECK(outbox_new(loop, st, &c, &cause) == NULL);
	free(cause);
	cause = NULL;

	t_config(&c, 0, 8080);
	c.webhook_secret_file = t_path(3, "no-such-secret");
	CHECK(outbox_new(loop, st, &c, &cause) == NULL);
	CHECK(cause != NULL && strstr(cause, "webhook_secret_file") != NULL);
	free(cause);
	cause = NULL;

	/* Nothing configured is valid: every row is dead-lettered. */
	memset(&c, 0, sizeof c);
	ob = outbox_new(loop, st, &c, &cause);
	CHECK(ob != NULL);
	outbox_free(ob);
	outbox_free(NULL);
	store_close(st);
	loop_free(loop);
}

TEST(mail_delivered)
{
	static const char	 subject[] = "Your pass for the front door "
				     "\xe2\x80\x94 Zo\xc3\xab's visit on "
				     "Tuesday \xe2\x9c\x93";
	static const char	 qr[] = "GH1:7f3a9c0e5b2d4e6f8a1b3c5d7e9f0a2b";
	struct outbox_config	 c;
	struct t_sink		 k = { 0 };
	struct t_wait		 w;
	struct t_row		 t;
	struct loop		*loop;
	struct store		*st;
	struct outbox		*ob;
	cJSON			*m, *p;
	char			 hash[STORE_HASH_LEN + 1], *payload, *cause;
	char			*text, expect[256];
	const char		*png = t_path(1, "got.png");
	int64_t			 id1, id2, ev1, ev2;
	size_t			 jpeg_len = 0;

	if (!t_smtp_available()) {
		test_skip("python3-aiosmtpd is not installed");
		return;
	}
	if ((st = t_store("mail")) == NULL)
		return;
	loop = loop_new();
	if (t_sink_start(&k, "smtp", "mail-sink", t_port()) != 0)
		goto out;
	CHECK_INT(t_photo(st, hash, &jpeg_len), 0);

	p = cJSON_CreateObject();
	cJSON_AddStringToObject(p, "subject", subject);
	cJSON_AddStringToObject(p, "name", "Zo\xc3\xab Example");
	cJSON_AddStringToObject(p, "text", "Door: front\nPIN: 4711\n"
	    "Valid: 2024-05-07 09:00 to 17:00\n<b>not html</b>");
	cJSON_AddStringToObject(p, "qr", qr);
	cJSON_AddStringToObject(p, "photo", hash);
	payload = cJSON_PrintUnformatted(p);
	cJSON_Delete(p);
	id1 = t_add(st, "email", "alice@example.org", payload, &ev1);
	cJSON_free(payload);
	id2 = t_add(st, "email", "", "{\"to\": \"bob@example.org\", "
	    "\"name\": \"Bob \\\"B\\\" Smith\", \"subject\": \"Plain\", "
	    "\"text\": \"Hello Bob\"}", &ev2);

	t_config(&c, k.port, 0);
	cause = NULL;
	ob = outbox_new(loop, st, &c, &cause);
	CHECK(ob != NULL);
	if (ob == NULL) {
		fprintf(stderr, "%s\n", cause);
		free(cause);
		goto out;
	}
	memset(&w, 0, sizeof w);
	w.st = st;
	w.state = "sent";
	w.n = 2;
	CHECK(t_until(loop, t_wait_state, &w));
	outbox_free(ob);
	CHECK_INT(t_count(k.dir, ".eml"), 2);

	CHECK_INT(t_row(st, id1, &t), 0);
	CHECK_STR(t.state, "sent");
	CHECK_INT(t.attempts, 1);
	CHECK_STR(t.error, "");

	/* The pump is oldest first and one row per try: file 1 is row 1. */
	unlink(png);
	m = t_mail_parse(t_saved(&k, 1, "eml"), png);
	CHECK(m != NULL);
	if (m != NULL) {
		CHECK_STR(t_str(m, "subject"), subject);
		CHECK_STR(t_str(m, "from"), "door@example.org");
		CHECK_STR(t_str(m, "to_addr"), "alice@example.org");
		CHECK_STR(t_str(m, "to_name"), "Zo\xc3\xab Example");
		CHECK_STR(t_str(m, "x-envelope-to"), "alice@example.org");
		CHECK_STR(t_str(m, "x-envelope-from"), "door@example.org");
		CHECK_STR(t_str(m, "auto-submitted"), "auto-generated");
		snprintf(expect, sizeof expect,
		    "<gatehouse.%lld.%lld@example.org>", (long long)ev1,
		    (long long)id1);
		CHECK_STR(t_str(m, "message-id"), expect);
		CHECK(*t_str(m, "date") != '\0');
		CHECK(strstr(t_str(m, "text"), "PIN: 4711") != NULL);
		CHECK(strstr(t_str(m, "text"), "pass.png") != NULL);
		CHECK(strstr(t_str(m, "html"), "&lt;b&gt;not html") != NULL);
		snprintf(expect, sizeof expect, "<qr.%lld.%lld@example.org>",
		    (long long)ev1, (long long)id1);
		CHECK_STR(t_str(m, "png_cid"), expect);
		CHECK_STR(t_str(m, "png_disposition"), "inline");
		CHECK(strstr(t_str(m, "html"), "cid:qr.") != NULL);
		CHECK_INT(cJSON_GetNumberValue(cJSON_GetObjectItem(m,
		    "jpeg_len")), jpeg_len);
		text = t_qr_read(png);
		CHECK_STR(text, qr);
		free(text);
		cJSON_Delete(m);
	}
	m = t_mail_parse(t_saved(&k, 2, "eml"), png);
	CHECK(m != NULL);
	if (m != NULL) {
		CHECK_STR(t_str(m, "subject"), "Plain");
		CHECK_STR(t_str(m, "to_addr"), "bob@example.org");
		CHECK_STR(t_str(m, "to_name"), "Bob \"B\" Smith");
		/* Python's get_content ends the text with a newline. */
		CHECK(strncmp(t_str(m, "text"), "Hello Bob", 9) == 0);
		snprintf(expect, sizeof expect,
		    "<gatehouse.%lld.%lld@example.org>", (long long)ev2,
		    (long long)id2);
		CHECK_STR(t_str(m, "message-id"), expect);
		cJSON_Delete(m);
	}
out:
	t_sink_stop(&k);
	store_close(st);
	loop_free(loop);
}

TEST(sms_and_webhook)
{
	struct outbox_config	 c;
	struct t_sink		 k = { 0 };
	struct t_wait		 w;
	struct loop		*loop;
	struct store		*st;
	struct outbox		*ob;
	cJSON			*rec;
	unsigned char		 mac[32];
	char			 hex[80], expect[128], *cause = NULL;
	const char		*body;
	size_t			 maclen, i;
	int64_t			 sms_id, hook_id, ev_sms, ev_hook;
	int			 n, got_sms = 0, got_hook = 0;

	if ((st = t_store("http")) == NULL)
		return;
	loop = loop_new();
	if (t_sink_start(&k, "http", "http-sink", t_port()) != 0)
		goto out;
	sms_id = t_add(st, "sms", "+15551234567", "{\"text\": \"PIN 4711 "
	    "for the front door \xe2\x9c\x93 & more\"}", &ev_sms);
	hook_id = t_add(st, "webhook", "ops", "{\"event\": {\"type\": "
	    "\"granted\", \"door\": \"front\", \"id\": 7}}", &ev_hook);
	t_config(&c, 0, k.port);
	if ((ob = outbox_new(loop, st, &c, &cause)) == NULL) {
		fprintf(stderr, "%s\n", cause);
		free(cause);
		CHECK(0);
		goto out;
	}
	memset(&w, 0, sizeof w);
	w.st = st;
	w.state = "sent";
	w.n = 2;
	CHECK(t_until(loop, t_wait_state, &w));
	outbox_free(ob);
	CHECK_INT(t_count(k.dir, ".json"), 2);

	for (n = 1; n <= 2; n++) {
		if ((rec = t_json_file(t_saved(&k, n, "json"))) == NULL) {
			CHECK(0);
			continue;
		}
		if (strcmp(t_str(rec, "path"), "/sms") == 0) {
			const cJSON *f = cJSON_GetObjectItem(rec, "form");

			got_sms++;
			CHECK_STR(t_str(f, "To"), "+15551234567");
			CHECK_STR(t_str(f, "From"), "+15550001111");
			CHECK_STR(t_str(f, "Body"), "PIN 4711 for the front "
			    "door \xe2\x9c\x93 & more");
			/* base64("AC0123:t0ken-secret") */
			CHECK_STR(t_header(rec, "Authorization"),
			    "Basic QUMwMTIzOnQwa2VuLXNlY3JldA==");
			snprintf(expect, sizeof expect, "gatehouse-%lld-%lld",
			    (long long)ev_sms, (long long)sms_id);
			CHECK_STR(t_header(rec, "Idempotency-Key"), expect);
		} else if (strcmp(t_str(rec, "path"), "/hook") == 0) {
			got_hook++;
			body = t_str(rec, "body");
			/* The store gave the event its id. */
			snprintf(expect, sizeof expect, "{\"type\":\"granted\","
			    "\"door\":\"front\",\"id\":7,\"event\":%lld}",
			    (long long)ev_hook);
			CHECK_STR(body, expect);
			CHECK_STR(t_header(rec, "Content-Type"),
			    "application/json");
			maclen = 0;
			EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL,
			    "hook-key", 8, (const unsigned char *)body,
			    strlen(body), mac, sizeof mac, &maclen);
			CHECK_INT(maclen, 32);
			strcpy(hex, "sha256=");
			for (i = 0; i < maclen; i++)
				snprintf(hex + 7 + 2 * i, 3, "%02x", mac[i]);
			CHECK_STR(t_header(rec, "X-Gatehouse-Signature"), hex);
			snprintf(expect, sizeof expect, "gatehouse-%lld-%lld",
			    (long long)ev_hook, (long long)hook_id);
			CHECK_STR(t_header(rec, "Idempotency-Key"), expect);
		}
		cJSON_Delete(rec);
	}
	CHECK_INT(got_sms, 1);
	CHECK_INT(got_hook, 1);
out:
	t_sink_stop(&k);
	store_close(st);
	loop_free(loop);
}

/* The mail server is down, then up: every row is delivered once. */
TEST(down_then_up)
{
	struct outbox_config	 c;
	struct t_sink		 k = { 0 };
	struct t_wait		 w;
	struct t_row		 t;
	struct loop		*loop;
	struct store		*st;
	struct outbox		*ob;
	char			*cause = NULL;
	char			 payload[128];
	int64_t			 ids[3];
	int			 port, i;

	if (!t_smtp_available()) {
		test_skip("python3-aiosmtpd is not installed");
		return;
	}
	if ((st = t_store("down")) == NULL)
		return;
	loop = loop_new();
	port = t_port();
	for (i = 0; i < 3; i++) {
		snprintf(payload, sizeof payload, "{\"subject\": \"Row %d\", "
		    "\"text\": \"row %d\"}", i, i);
		ids[i] = t_add(st, "email", "carol@example.org", payload,
		    NULL);
	}
	t_config(&c, port, 0);
	c.concurrency = 2;
	if ((ob = outbox_new(loop, st, &c, &cause)) == NULL) {
		fprintf(stderr, "%s\n", cause);
		free(cause);
		CHECK(0);
		goto out;
	}
	memset(&w, 0, sizeof w);
	w.st = st;
	w.min_attempts = 3;
	CHECK(t_until(loop, t_wait_attempts, &w));
	for (i = 0; i < 3; i++) {
		CHECK_INT(t_row(st, ids[i], &t), 0);
		CHECK_STR(t.state, "queued");
		CHECK(t.attempts >= 3);
		CHECK(t.error[0] != '\0');
	}

	if (t_sink_start(&k, "smtp", "down-sink", port) != 0)
		goto out_free;
	memset(&w, 0, sizeof w);
	w.st = st;
	w.state = "sent";
	w.n = 3;
	CHECK(t_until(loop, t_wait_state, &w));
	CHECK_INT(t_in_state(st, "queued"), 0);
	/* And nothing more goes out: the queue is empty. */
	outbox_kick(ob);
	t_spin(loop, 500);
	CHECK_INT(t_in_state(st, "sent"), 3);
	CHECK_INT(t_count(k.dir, ".eml"), 3);
out_free:
	outbox_free(ob);
out:
	t_sink_stop(&k);
	store_close(st);
	loop_free(loop);
}

/*
 * Permanent failures are dead-lettered after one try with the reason, and
 * a refused row never reaches a server: header injection through the
 * subject, the name or the address; an SMTP 550; an HTTP 400; a channel
 * that is off (then configured by a reload and retried from the console).
 */
TEST(dead_letters)
{
	static const struct {
		const char	*kind;
		const char	*dest;
		const char	*payload;
		const char	*error;
	} rows[] = {
		{ "email", "dave@example.org", "{\"subject\": \"Hi\\r\\nBcc: "
		    "evil@example.org\", \"text\": \"x\"}", "control" },
		{ "email", "dave@example.org\r\nBcc: evil@example.org",
		    "{\"subject\": \"Hi\", \"text\": \"x\"}", "not a valid" },
		{ "email", "dave@example.org", "{\"subject\": \"Hi\", "
		    "\"name\": \"Dave\\nBcc: evil@example.org\", \"text\": "
		    "\"x\"}", "control" },
		{ "email", "dave@example.org>, <evil@example.org",
		    "{\"subject\": \"Hi\", \"text\": \"x\"}", "not a valid" },
		{ "email", "dave@example.org", "{\"subject\": \"\\u00e9\\r"
		    "Bcc: evil@example.org\", \"text\": \"x\"}", "control" },
		{ "email", "dave@example.org", "not json", "JSON" },
		{ "email", "reject@example.org", "{\"subject\": \"Hi\", "
		    "\"text\": \"x\"}", "550" },
		{ "sms", "+15551234567", "{\"text\": \"hi\"}",
		    "channel not configured" },
		{ "webhook", "ops", "{\"event\": {\"type\": \"granted\"}}",
		    "HTTP 400" },
	};
	size_t			 n = sizeof rows / sizeof rows[0];
	struct outbox_config	 c;
	struct t_sink		 mail = { 0 }, http = { 0 };
	struct t_wait		 w;
	struct t_row		 t;
	struct loop		*loop;
	struct store		*st;
	struct outbox		*ob;
	char			*cause = NULL, hook[64], sms[64];
	int64_t			 ids[16];
	size_t			 i;

	if (!t_smtp_available()) {
		test_skip("python3-aiosmtpd is not installed");
		return;
	}
	if ((st = t_store("dead")) == NULL)
		return;
	loop = loop_new();
	if (t_sink_start(&mail, "smtp", "dead-mail", t_port()) != 0 ||
	    t_sink_start(&http, "http", "dead-http", t_port()) != 0)
		goto out;
	for (i = 0; i < n; i++)
		ids[i] = t_add(st, rows[i].kind, rows[i].dest,
		    rows[i].payload, NULL);
	t_config(&c, mail.port, http.port);
	c.sms_url = NULL;
	snprintf(hook, sizeof hook, "http://127.0.0.1:%d/bad", http.port);
	c.webhook_url = hook;
	if ((ob = outbox_new(loop, st, &c, &cause)) == NULL) {
		fprintf(stderr, "%s\n", cause);
		free(cause);
		CHECK(0);
		goto out;
	}
	memset(&w, 0, sizeof w);
	w.st = st;
	w.state = "failed";
	w.n = (int)n;
	CHECK(t_until(loop, t_wait_state, &w));
	for (i = 0; i < n; i++) {
		CHECK_INT(t_row(st, ids[i], &t), 0);
		CHECK_STR(t.state, "failed");
		CHECK_INT(t.attempts, 1);
		if (strstr(t.error, rows[i].error) == NULL) {
			fprintf(stderr, "row %zu: \"%s\" lacks \"%s\"\n", i,
			    t.error, rows[i].error);
			CHECK(0);
		}
	}
	/* Nothing was delivered; the server saw only the 400. */
	CHECK_INT(t_count(mail.dir, ".eml"), 0);
	CHECK_INT(t_count(http.dir, ".json"), 1);

	/* The SMS channel is configured, the guard retries the row. */
	snprintf(sms, sizeof sms, "http://127.0.0.1:%d/sms", http.port);
	c.sms_url = sms;
	CHECK_INT(outbox_configure(ob, &c, &cause), 0);
	CHECK_INT(store_outbox_retry(st, ids[7], 0, &cause), 0);
	CHECK_INT(store_outbox_retry(st, ids[7], 0, &cause), 1);
	outbox_kick(ob);
	memset(&w, 0, sizeof w);
	w.st = st;
	w.state = "sent";
	w.n = 1;
	CHECK(t_until(loop, t_wait_state, &w));
	CHECK_INT(t_row(st, ids[7], &t), 0);
	CHECK_STR(t.state, "sent");
	CHECK_INT(t_count(http.dir, ".json"), 2);
	outbox_free(ob);
out:
	t_sink_stop(&mail);
	t_sink_stop(&http);
	store_close(st);
	loop_free(loop);
}

/* A server that keeps failing: backoff, then the dead letter. */
TEST(gives_up)
{
	struct outbox_config	 c;
	struct t_sink		 http = { 0 };
	struct t_wait		 w;
	struct t_row		 t;
	struct loop		*loop;
	struct store		*st;
	struct outbox		*ob;
	char			*cause = NULL, hook[64];
	int64_t			 id;

	if ((st = t_store("busy")) == NULL)
		return;
	loop = loop_new();
	if (t_sink_start(&http, "http", "busy-http", t_port()) != 0)
		goto out;
	id = t_add(st, "webhook", "ops", "{\"event\": {\"type\": \"x\"}}",
	    NULL);
	t_config(&c, 0, http.port);
	snprintf(hook, sizeof hook, "http://127.0.0.1:%d/busy", http.port);
	c.webhook_url = hook;
	c.max_attempts = 3;
	if ((ob = outbox_new(loop, st, &c, &cause)) == NULL) {
		fprintf(stderr, "%s\n", cause);
		free(cause);
		CHECK(0);
		goto out;
	}
	memset(&w, 0, sizeof w);
	w.st = st;
	w.state = "failed";
	w.n = 1;
	CHECK(t_until(loop, t_wait_state, &w));
	outbox_free(ob);
	CHECK_INT(t_row(st, id, &t), 0);
	CHECK_STR(t.state, "failed");
	CHECK_INT(t.attempts, 3);
	CHECK(strstr(t.error, "gave up after 3 tries: HTTP 503") != NULL);
	CHECK_INT(t_count(http.dir, ".json"), 3);
out:
	t_sink_stop(&http);
	store_close(st);
	loop_free(loop);
}

/*
 * A mail server that accepts the connection and never answers: the loop
 * goes on (its timers run) while the try waits. The agent stops with the
 * try in flight, and a row never tried at all: both stay queued and the
 * next sender delivers them, once each.
 */
TEST(stall_and_restart)
{
	struct outbox_config	 c;
	struct sockaddr_in	 sin;
	struct t_sink		 k = { 0 };
	struct t_wait		 w;
	struct t_row		 t;
	struct loop		*loop;
	struct store		*st;
	struct outbox		*ob;
	socklen_t		 len = sizeof sin;
	char			*cause = NULL;
	int64_t			 id1, id2;
	int			 fd, stall_port;

	if (!t_smtp_available()) {
		test_skip("python3-aiosmtpd is not installed");
		return;
	}
	if ((st = t_store("stall")) == NULL)
		return;
	loop = loop_new();
	/* Listening, never accepting: the kernel completes the handshake. */
	fd = socket(AF_INET, SOCK_STREAM, 0);
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	CHECK(bind(fd, (struct sockaddr *)&sin, sizeof sin) == 0);
	CHECK(listen(fd, 8) == 0);
	CHECK(getsockname(fd, (struct sockaddr *)&sin, &len) == 0);
	stall_port = ntohs(sin.sin_port);

	id1 = t_add(st, "email", "erin@example.org", "{\"subject\": "
	    "\"Stalled\", \"text\": \"x\"}", NULL);
	t_config(&c, stall_port, 0);
	if ((ob = outbox_new(loop, st, &c, &cause)) == NULL) {
		fprintf(stderr, "%s\n", cause);
		free(cause);
		CHECK(0);
		goto out;
	}
	memset(&w, 0, sizeof w);
	w.st = st;
	w.ob = ob;
	CHECK(t_until(loop, t_wait_inflight, &w));
	CHECK_INT(outbox_inflight(ob), 1);
	/* Queued behind the stalled one; then the agent stops. */
	id2 = t_add(st, "email", "frank@example.org", "{\"subject\": "
	    "\"Never tried\", \"text\": \"x\"}", NULL);
	outbox_free(ob);
	close(fd);
	CHECK_INT(t_row(st, id1, &t), 0);
	CHECK_STR(t.state, "queued");
	CHECK_INT(t.attempts, 0);
	CHECK_INT(t_row(st, id2, &t), 0);
	CHECK_STR(t.state, "queued");

	if (t_sink_start(&k, "smtp", "stall-sink", t_port()) != 0)
		goto out;
	t_config(&c, k.port, 0);
	if ((ob = outbox_new(loop, st, &c, &cause)) == NULL) {
		fprintf(stderr, "%s\n", cause);
		free(cause);
		CHECK(0);
		goto out;
	}
	memset(&w, 0, sizeof w);
	w.st = st;
	w.state = "sent";
	w.n = 2;
	CHECK(t_until(loop, t_wait_state, &w));
	t_spin(loop, 300);
	outbox_free(ob);
	CHECK_INT(t_count(k.dir, ".eml"), 2);
	CHECK_INT(t_row(st, id1, &t), 0);
	CHECK_STR(t.state, "sent");
	CHECK_INT(t.attempts, 1);
out:
	t_sink_stop(&k);
	store_close(st);
	loop_free(loop);
}

/* The store's outbox queries: due order, the next try, done and retry. */
TEST(store_queries)
{
	struct store	*st;
	struct t_row	 t;
	char		*cause = NULL;
	int64_t		 a, b, when = 0;

	if ((st = t_store("queries")) == NULL)
		return;
	a = t_add(st, "email", "a@example.org", "{}", NULL);
	b = t_add(st, "email", "b@example.org", "{}", NULL);
	CHECK_INT(store_outbox_next_try(st, 0, &when, &cause), 1);
	CHECK_INT(store_outbox_done(st, a, "queued", 1, 5000, "down",
	    &cause), 0);
	CHECK_INT(store_outbox_next_try(st, 0, &when, &cause), 0);
	CHECK_INT(when, 5000);
	CHECK_INT(store_outbox_next_try(st, 5000, &when, &cause), 1);
	memset(&t, 0, sizeof t);
	CHECK_INT(store_outbox_due(st, 4999, 0, t_row_cb, &t, &cause), 1);
	CHECK_INT(t.id, b);
	memset(&t, 0, sizeof t);
	CHECK_INT(store_outbox_due(st, 5000, 0, t_row_cb, &t, &cause), 1);
	CHECK_INT(t.id, b);
	CHECK_INT(store_outbox_done(st, b, "sent", 1, 0, NULL, &cause), 0);
	/* A row no longer queued is not changed. */
	CHECK_INT(store_outbox_done(st, b, "failed", 2, 0, "x", &cause), 1);
	CHECK_INT(store_outbox_done(st, a, "bogus", 2, 0, "x", &cause), -1);
	free(cause);
	cause = NULL;
	CHECK_INT(t_row(st, a, &t), 0);
	CHECK_STR(t.error, "down");
	CHECK_INT(t.attempts, 1);
	CHECK_INT(store_outbox_retry(st, a, 0, &cause), 1);
	CHECK_INT(store_outbox_done(st, a, "failed", 2, 5000, "dead",
	    &cause), 0);
	CHECK_INT(t_in_state(st, "failed"), 1);
	CHECK_INT(t_in_state(st, "sent"), 1);
	CHECK_INT(store_outbox_retry(st, a, 10, &cause), 0);
	CHECK_INT(t_row(st, a, &t), 0);
	CHECK_STR(t.state, "queued");
	CHECK_INT(t.attempts, 0);
	CHECK_INT(t.next_try, 10);
	store_close(st);
}

int
main(void)
{
	signal(SIGPIPE, SIG_IGN);
	RUN(config_checked);
	RUN(store_queries);
	RUN(mail_delivered);
	RUN(sms_and_webhook);
	RUN(down_then_up);
	RUN(dead_letters);
	RUN(gives_up);
	RUN(stall_and_restart);
	return test_main_end("test-outbox");
}
