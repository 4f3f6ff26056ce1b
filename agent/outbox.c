/*
 * The outbox sender (outbox.h): curl multi on the agent's loop, one easy
 * handle per try, the outcome of each try recorded in the store.
 *
 * The life of a try: a pump (a zero-delay loop timer, so outbox_kick never
 * re-enters anything) reads the due rows, skips those in flight, builds a
 * request for each (or dead-letters the row if it cannot be built) and adds
 * it to the multi handle; curl then runs on loop events; when it reports a
 * transfer done, the outcome is recorded and the pump runs again. Between
 * rows the pump sleeps until the earliest next_try, and at most
 * OUTBOX_RESCAN_MS, so rows queued by another process are found too.
 */
#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cJSON.h>
#include <curl/curl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <qrencode.h>

#include "file.h"
#include "image.h"
#include "log.h"
#include "loop.h"
#include "outbox.h"
#include "store.h"
#include "xmalloc.h"

/* The longest sleep between looks at the store. */
#define OUTBOX_RESCAN_MS	(60 * 1000)
/* Connecting is a part of a try that should never take long. */
#define OUTBOX_CONNECT_MS	(15 * 1000)
/* How much of an HTTP answer is kept, for the error text. */
#define OUTBOX_RESPONSE_MAX	512
/* The longest subject and display name (bytes), far below 998. */
#define OUTBOX_HEADER_MAX	200
/* RFC 5321's limit on an address. */
#define OUTBOX_ADDRESS_MAX	254
/* A Twilio message may have 1600 characters. */
#define OUTBOX_SMS_MAX		1600
/* QR rendering: pixels per module and the quiet zone in modules. */
#define OUTBOX_QR_SCALE		8
#define OUTBOX_QR_QUIET		4
/* The longest QR text: past this a QR code stops scanning well. */
#define OUTBOX_QR_MAX		512
#define OUTBOX_USER_AGENT	"gatehouse-agent"

enum outbox_kind {
	OUTBOX_EMAIL,
	OUTBOX_SMS,
	OUTBOX_WEBHOOK,
};

enum outbox_outcome {
	OUTBOX_SENT,
	OUTBOX_TEMPORARY,
	OUTBOX_PERMANENT,
};

/* The settings in force, secrets read. */
struct outbox_settings {
	char		*smtp_url;
	char		*smtp_user;
	char		*smtp_password;
	char		*mail_from;
	char		*mail_domain;	/* after the @ of mail_from */
	char		*sms_url;
	char		*sms_user;
	char		*sms_token;
	char		*sms_from;
	char		*webhook_url;
	char		*webhook_secret;
	int		 max_attempts;
	int		 concurrency;
	int64_t		 backoff_ms;
	int64_t		 backoff_max_ms;
	int64_t		 timeout_ms;
};

/* One try of one row. */
struct outbox_xfer {
	struct outbox		*ob;
	struct outbox_xfer	*next;
	int64_t			 id;
	int64_t			 event_id;
	int			 attempts;	/* before this try */
	int64_t			 next_try;
	enum outbox_kind	 kind;
	CURL			*easy;
	curl_mime		*mime;
	struct curl_slist	*headers;
	struct curl_slist	*rcpt;
	char			*response;
	size_t			 response_len;
	char			 errbuf[CURL_ERROR_SIZE];
};

struct outbox {
	struct loop		*loop;
	struct store		*store;
	struct outbox_settings	 set;
	CURLM			*multi;
	uint64_t		 curl_timer;	/* loop timer for curl, or 0 */
	uint64_t		 pump_timer;	/* loop timer for the pump, or 0 */
	int64_t			 pump_due;	/* monotonic ms */
	struct outbox_xfer	*xfers;
	int			 inflight;
	int			 fd_marker;	/* curl_multi_assign's token */
	int			*fds;		/* curl's sockets on the loop */
	size_t			 nfds;
};

/* A copy of a due row, made before the walk ends. */
struct outbox_due {
	int64_t	 id;
	int64_t	 event_id;
	char	 kind[16];
	char	*destination;
	char	*payload;
	int	 attempts;
	int64_t	 next_try;
};

struct outbox_due_list {
	struct outbox		*ob;
	struct outbox_due	*v;
	size_t			 n;
	size_t			 want;
};

static void	outbox_pump_soon(struct outbox *, int64_t);

/* The time now in ms since the epoch, as the store keeps next_try. */
static int64_t
outbox_wall_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Frees the strings of S. */
static void
outbox_settings_clear(struct outbox_settings *s)
{
	free(s->smtp_url);
	free(s->smtp_user);
	if (s->smtp_password != NULL)
		OPENSSL_cleanse(s->smtp_password, strlen(s->smtp_password));
	free(s->smtp_password);
	free(s->mail_from);
	free(s->mail_domain);
	free(s->sms_url);
	free(s->sms_user);
	if (s->sms_token != NULL)
		OPENSSL_cleanse(s->sms_token, strlen(s->sms_token));
	free(s->sms_token);
	free(s->sms_from);
	free(s->webhook_url);
	if (s->webhook_secret != NULL)
		OPENSSL_cleanse(s->webhook_secret, strlen(s->webhook_secret));
	free(s->webhook_secret);
	memset(s, 0, sizeof *s);
}

/* A copy of S, or NULL if S is NULL or empty. */
static char *
outbox_strdup_set(const char *s)
{
	return s == NULL || *s == '\0' ? NULL : xstrdup(s);
}

/*
 * Whether S is an address we put in a header and an SMTP command:
 * printable ASCII with no blank, quote, bracket or separator, one @ with
 * something on both sides, at most OUTBOX_ADDRESS_MAX bytes.
 */
int
outbox_address_valid(const char *s)
{
	const char	*at = NULL, *p;

	if (s == NULL || *s == '\0' || strlen(s) > OUTBOX_ADDRESS_MAX)
		return 0;
	for (p = s; *p != '\0'; p++) {
		if (*p <= ' ' || *p >= 0x7f)
			return 0;
		if (strchr("<>()[],;:\"\\", *p) != NULL)
			return 0;
		if (*p == '@') {
			if (at != NULL)
				return 0;
			at = p;
		}
	}
	return at != NULL && at != s && at[1] != '\0';
}

/* Whether S is an E.164 number: + and 6 to 15 digits. */
int
outbox_phone_valid(const char *s)
{
	size_t	n = 0;

	if (s == NULL || *s++ != '+')
		return 0;
	for (; *s != '\0'; s++, n++) {
		if (*s < '0' || *s > '9')
			return 0;
	}
	return n >= 6 && n <= 15;
}

/* Reads a one-line secret from PATH into *OUT (malloc'd). */
static int
outbox_secret_read(const char *what, const char *path, char **out,
    char **cause)
{
	uint8_t	*buf;
	size_t	 len;
	char	*why;

	if (path == NULL || *path == '\0') {
		xasprintf(cause, "%s is not set", what);
		return -1;
	}
	if (file_read(path, OUTBOX_SECRET_MAX, &buf, &len, &why) != 0) {
		xasprintf(cause, "%s %s: %s", what, path, why);
		free(why);
		return -1;
	}
	while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
		buf[--len] = '\0';
	if (len == 0 || strlen((char *)buf) != len ||
	    strpbrk((char *)buf, "\r\n") != NULL) {
		OPENSSL_cleanse(buf, len);
		free(buf);
		xasprintf(cause, "%s %s: not one line of text", what, path);
		return -1;
	}
	*out = (char *)buf;
	return 0;
}

/* Checks CFG and reads its secrets into S. */
static int
outbox_settings_load(const struct outbox_config *cfg,
    struct outbox_settings *s, char **cause)
{
	const char	*at;

	memset(s, 0, sizeof *s);
	s->smtp_url = outbox_strdup_set(cfg->smtp_url);
	s->smtp_user = outbox_strdup_set(cfg->smtp_user);
	s->sms_url = outbox_strdup_set(cfg->sms_url);
	s->sms_user = outbox_strdup_set(cfg->sms_user);
	s->sms_from = outbox_strdup_set(cfg->sms_from);
	s->webhook_url = outbox_strdup_set(cfg->webhook_url);
	s->max_attempts = cfg->max_attempts > 0 ? cfg->max_attempts :
	    OUTBOX_MAX_ATTEMPTS;
	s->concurrency = cfg->concurrency > 0 ? cfg->concurrency :
	    OUTBOX_CONCURRENCY;
	s->backoff_ms = cfg->backoff_ms > 0 ? cfg->backoff_ms :
	    OUTBOX_BACKOFF_MS;
	s->backoff_max_ms = cfg->backoff_max_ms > 0 ? cfg->backoff_max_ms :
	    OUTBOX_BACKOFF_MAX_MS;
	if (s->backoff_max_ms < s->backoff_ms)
		s->backoff_max_ms = s->backoff_ms;
	s->timeout_ms = cfg->timeout_ms > 0 ? cfg->timeout_ms :
	    OUTBOX_TIMEOUT_MS;

	if (s->smtp_url != NULL) {
		if (strncmp(s->smtp_url, "smtp://", 7) != 0 &&
		    strncmp(s->smtp_url, "smtps://", 8) != 0) {
			xasprintf(cause, "smtp_url: not smtp:// or smtps://");
			goto fail;
		}
		if (!outbox_address_valid(cfg->mail_from)) {
			xasprintf(cause, "mail_from: not a valid address");
			goto fail;
		}
		s->mail_from = xstrdup(cfg->mail_from);
		at = strchr(s->mail_from, '@');
		s->mail_domain = xstrdup(at + 1);
		if (s->smtp_user != NULL && outbox_secret_read(
		    "smtp_password_file", cfg->smtp_password_file,
		    &s->smtp_password, cause) != 0)
			goto fail;
	}
	if (s->sms_url != NULL) {
		if (strncmp(s->sms_url, "http://", 7) != 0 &&
		    strncmp(s->sms_url, "https://", 8) != 0) {
			xasprintf(cause, "sms_url: not http:// or https://");
			goto fail;
		}
		if (s->sms_from == NULL) {
			xasprintf(cause, "sms_from is not set");
			goto fail;
		}
		if (s->sms_user != NULL && outbox_secret_read("sms_token_file",
		    cfg->sms_token_file, &s->sms_token, cause) != 0)
			goto fail;
	}
	if (s->webhook_url != NULL) {
		if (strncmp(s->webhook_url, "http://", 7) != 0 &&
		    strncmp(s->webhook_url, "https://", 8) != 0) {
			xasprintf(cause, "webhook_url: not http:// or https://");
			goto fail;
		}
		if (outbox_secret_read("webhook_secret_file",
		    cfg->webhook_secret_file, &s->webhook_secret, cause) != 0)
			goto fail;
	}
	return 0;
fail:
	outbox_settings_clear(s);
	return -1;
}

/* Whether the LEN bytes at S are valid UTF-8 (no overlongs, no NUL). */
static int
outbox_utf8_valid(const unsigned char *s, size_t len)
{
	size_t		i = 0, n, k;
	uint32_t	c;

	while (i < len) {
		c = s[i];
		if (c == 0)
			return 0;
		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf)
			n = 1, c &= 0x1f;
		else if (c >= 0xe0 && c <= 0xef)
			n = 2, c &= 0x0f;
		else if (c >= 0xf0 && c <= 0xf4)
			n = 3, c &= 0x07;
		else
			return 0;
		if (i + n >= len)
			return 0;
		for (k = 1; k <= n; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return 0;
			c = c << 6 | (s[i + k] & 0x3f);
		}
		if ((n == 2 && c < 0x800) || (n == 3 && c < 0x10000) ||
		    c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
			return 0;
		i += n + 1;
	}
	return 1;
}

/*
 * Checks S for a header (a subject or a display name) and returns it
 * encoded (malloc'd) in *OUT: as is if it is printable ASCII, else as RFC
 * 2047 encoded words (base64 UTF-8, each at most 75 characters, split
 * only between characters). A control character anywhere, invalid UTF-8
 * or more than OUTBOX_HEADER_MAX bytes is refused: no header line can
 * come out of it. QUOTE puts a printable ASCII S in a quoted string (for
 * a display name).
 */
static int
outbox_header_encode(const char *what, const char *s, int quote, char **out,
    char **cause)
{
	const unsigned char	*u = (const unsigned char *)s;
	size_t			 len = strlen(s), i, start, end, olen;
	unsigned char		 b64[64 + 1];
	char			*buf, *p;
	int			 ascii = 1;

	if (len > OUTBOX_HEADER_MAX) {
		xasprintf(cause, "%s longer than %d bytes", what,
		    OUTBOX_HEADER_MAX);
		return -1;
	}
	for (i = 0; i < len; i++) {
		if (u[i] < 0x20 || u[i] == 0x7f) {
			xasprintf(cause, "%s has a control character", what);
			return -1;
		}
		if (u[i] >= 0x80)
			ascii = 0;
	}
	if (!outbox_utf8_valid(u, len)) {
		xasprintf(cause, "%s is not valid UTF-8", what);
		return -1;
	}
	if (ascii && !quote) {
		*out = xstrdup(s);
		return 0;
	}
	if (ascii) {
		/* A quoted string: backslash before " and \. */
		buf = p = xmalloc(2 * len + 3);
		*p++ = '"';
		for (i = 0; i < len; i++) {
			if (s[i] == '"' || s[i] == '\\')
				*p++ = '\\';
			*p++ = s[i];
		}
		*p++ = '"';
		*p = '\0';
		*out = buf;
		return 0;
	}
	/* 45 bytes are 60 base64 characters: 72 with =?UTF-8?B? and ?=. */
	olen = (len / 30 + 1) * 80 + 1;
	buf = p = xmalloc(olen);
	for (start = 0; start < len; start = end) {
		end = start + 45 > len ? len : start + 45;
		while (end < len && (u[end] & 0xc0) == 0x80)
			end--;
		EVP_EncodeBlock(b64, u + start, (int)(end - start));
		p += snprintf(p, olen - (size_t)(p - buf), "%s=?UTF-8?B?%s?=",
		    start == 0 ? "" : " ", b64);
	}
	*out = buf;
	return 0;
}

/* A string member of JSON object O, or NULL. */
static const char *
outbox_json_string(const cJSON *o, const char *key)
{
	const cJSON	*c = cJSON_GetObjectItemCaseSensitive(o, key);

	return cJSON_IsString(c) ? c->valuestring : NULL;
}

/* The row's recipient: DESTINATION, or the payload's "to". */
static const char *
outbox_recipient(const struct outbox_due *d, const cJSON *payload)
{
	if (d->destination != NULL && *d->destination != '\0')
		return d->destination;
	return outbox_json_string(payload, "to");
}

/* Collects up to OUTBOX_RESPONSE_MAX bytes of an HTTP answer. */
static size_t
outbox_write_cb(char *data, size_t size, size_t n, void *arg)
{
	struct outbox_xfer	*x = arg;
	size_t			 len = size * n, keep;

	if (x->response == NULL)
		x->response = xmalloc(OUTBOX_RESPONSE_MAX + 1);
	keep = OUTBOX_RESPONSE_MAX - x->response_len;
	if (keep > len)
		keep = len;
	memcpy(x->response + x->response_len, data, keep);
	x->response_len += keep;
	x->response[x->response_len] = '\0';
	return len;
}

/* Sets the options every try shares. */
static void
outbox_easy_common(struct outbox *ob, struct outbox_xfer *x)
{
	CURL	*e = x->easy;

	curl_easy_setopt(e, CURLOPT_PRIVATE, x);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, x->errbuf);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS,
	    (long)(ob->set.timeout_ms < OUTBOX_CONNECT_MS ?
	    ob->set.timeout_ms : OUTBOX_CONNECT_MS));
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)ob->set.timeout_ms);
}

/* Appends header "NAME: VALUE" to *LIST; VALUE has been checked. */
static void
outbox_header_add(struct curl_slist **list, const char *name,
    const char *value)
{
	char	*line;

	xasprintf(&line, "%s: %s", name, value);
	/* outbox_header_encode and the address checks keep these out. */
	if (strpbrk(line, "\r\n") != NULL)
		fatalx("outbox: header %s with a line break", name);
	*list = curl_slist_append(*list, line);
	free(line);
}

/* The date as RFC 5322 writes it, independent of the locale. */
static void
outbox_date(char *buf, size_t len)
{
	static const char	*days[] = { "Sun", "Mon", "Tue", "Wed", "Thu",
				    "Fri", "Sat" };
	static const char	*months[] = { "Jan", "Feb", "Mar", "Apr",
				    "May", "Jun", "Jul", "Aug", "Sep", "Oct",
				    "Nov", "Dec" };
	time_t			 t = time(NULL);
	struct tm		 tm;

	gmtime_r(&t, &tm);
	snprintf(buf, len, "%s, %02d %s %04d %02d:%02d:%02d +0000",
	    days[tm.tm_wday], tm.tm_mday, months[tm.tm_mon],
	    tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/* Renders TEXT as a QR code PNG (malloc'd) into *PNG, *LEN. */
static int
outbox_qr_png(const char *text, uint8_t **png, size_t *len, char **cause)
{
	QRcode		*q;
	struct image	*img;
	int		 side, x, y, dx, dy, r;
	uint8_t		*px;

	if (strlen(text) > OUTBOX_QR_MAX) {
		xasprintf(cause, "QR text longer than %d bytes", OUTBOX_QR_MAX);
		return -1;
	}
	if ((q = QRcode_encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8,
	    1)) == NULL) {
		xasprintf(cause, "QR code: %s", strerror(errno));
		return -1;
	}
	side = (q->width + 2 * OUTBOX_QR_QUIET) * OUTBOX_QR_SCALE;
	img = image_new(side, side);
	memset(img->rgb, 0xff, (size_t)side * side * 3);
	for (y = 0; y < q->width; y++) {
		for (x = 0; x < q->width; x++) {
			if (!(q->data[y * q->width + x] & 1))
				continue;
			for (dy = 0; dy < OUTBOX_QR_SCALE; dy++) {
				px = img->rgb + (((size_t)(y + OUTBOX_QR_QUIET) *
				    OUTBOX_QR_SCALE + dy) * side +
				    (size_t)(x + OUTBOX_QR_QUIET) *
				    OUTBOX_QR_SCALE) * 3;
				for (dx = 0; dx < OUTBOX_QR_SCALE * 3; dx++)
					px[dx] = 0;
			}
		}
	}
	QRcode_free(q);
	r = image_encode_png(img, png, len, cause);
	image_free(img);
	return r;
}

/* TEXT escaped for HTML (malloc'd). */
static char *
outbox_html_escape(const char *text)
{
	size_t		 len = strlen(text), i;
	char		*buf, *p;

	buf = p = xmalloc(6 * len + 1);
	for (i = 0; i < len; i++) {
		switch (text[i]) {
		case '<':
			p = stpcpy(p, "&lt;");
			break;
		case '>':
			p = stpcpy(p, "&gt;");
			break;
		case '&':
			p = stpcpy(p, "&amp;");
			break;
		case '"':
			p = stpcpy(p, "&quot;");
			break;
		default:
			*p++ = text[i];
			break;
		}
	}
	*p = '\0';
	return buf;
}

/*
 * Adds a text part of TYPE with DATA to MIME, its line ends made CRLF:
 * curl's quoted-printable encoder keeps only CRLF as a line break (a bare
 * LF would come out as =0A, one endless line).
 */
static void
outbox_mime_text(curl_mime *mime, const char *type, const char *data)
{
	curl_mimepart	*part = curl_mime_addpart(mime);
	size_t		 len = strlen(data), i;
	char		*buf, *p;

	buf = p = xmalloc(2 * len + 1);
	for (i = 0; i < len; i++) {
		if (data[i] == '\n' && (i == 0 || data[i - 1] != '\r'))
			*p++ = '\r';
		*p++ = data[i];
	}
	*p = '\0';
	curl_mime_data(part, buf, CURL_ZERO_TERMINATED);
	free(buf);
	curl_mime_type(part, type);
	curl_mime_encoder(part, "quoted-printable");
}

/*
 * Attaches the photo HASH as JPEG if it is still stored; a photo that has
 * expired or cannot be read leaves the mail without it.
 */
static void
outbox_mail_photo(struct outbox *ob, struct outbox_xfer *x, const char *hash)
{
	curl_mimepart	*part;
	uint8_t		*buf;
	size_t		 len;
	char		*path, *why;

	if ((path = store_photo_path(ob->store, hash)) == NULL) {
		log_warnx("outbox: row %lld: bad photo hash", (long long)x->id);
		return;
	}
	if (file_read(path, STORE_PHOTO_MAX, &buf, &len, &why) != 0) {
		log_info("outbox: row %lld: photo left out: %s",
		    (long long)x->id, why);
		free(why);
		free(path);
		return;
	}
	free(path);
	part = curl_mime_addpart(x->mime);
	curl_mime_data(part, (const char *)buf, len);
	curl_mime_type(part, "image/jpeg");
	curl_mime_encoder(part, "base64");
	curl_mime_filename(part, "visitor.jpg");
	free(buf);
}

/* Builds a mail try for row D; -1 with *CAUSE is a permanent failure. */
static int
outbox_build_email(struct outbox *ob, struct outbox_xfer *x,
    const struct outbox_due *d, const cJSON *payload, char **cause)
{
	struct outbox_settings	*s = &ob->set;
	curl_mime		*rel, *alt;
	curl_mimepart		*part;
	struct curl_slist	*ph = NULL;
	const char		*to, *subject, *text, *name, *qr, *photo;
	char			*esubject = NULL, *ename = NULL, *v = NULL;
	char			*body = NULL, *html = NULL, *etext = NULL;
	char			 date[64];
	uint8_t			*png = NULL;
	size_t			 pnglen = 0;
	int			 r = -1;

	to = outbox_recipient(d, payload);
	subject = outbox_json_string(payload, "subject");
	text = outbox_json_string(payload, "text");
	name = outbox_json_string(payload, "name");
	qr = outbox_json_string(payload, "qr");
	photo = outbox_json_string(payload, "photo");
	if (!outbox_address_valid(to)) {
		xasprintf(cause, "not a valid address");
		return -1;
	}
	if (subject == NULL || text == NULL) {
		xasprintf(cause, "payload without subject or text");
		return -1;
	}
	if (!outbox_utf8_valid((const unsigned char *)text, strlen(text))) {
		xasprintf(cause, "text is not valid UTF-8");
		return -1;
	}
	if (outbox_header_encode("subject", subject, 0, &esubject,
	    cause) != 0)
		goto out;
	if (name != NULL && *name != '\0' && outbox_header_encode("name",
	    name, 1, &ename, cause) != 0)
		goto out;
	if (qr != NULL && outbox_qr_png(qr, &png, &pnglen, cause) != 0)
		goto out;

	outbox_header_add(&x->headers, "From", s->mail_from);
	xasprintf(&v, "%s%s<%s>", ename != NULL ? ename : "",
	    ename != NULL ? " " : "", to);
	outbox_header_add(&x->headers, "To", v);
	free(v);
	outbox_header_add(&x->headers, "Subject", esubject);
	outbox_date(date, sizeof date);
	outbox_header_add(&x->headers, "Date", date);
	xasprintf(&v, "<gatehouse.%lld.%lld@%s>", (long long)d->event_id,
	    (long long)d->id, s->mail_domain);
	outbox_header_add(&x->headers, "Message-ID", v);
	free(v);
	outbox_header_add(&x->headers, "Auto-Submitted", "auto-generated");

	xasprintf(&v, "<%s>", to);
	x->rcpt = curl_slist_append(NULL, v);
	free(v);
	xasprintf(&v, "<%s>", s->mail_from);
	curl_easy_setopt(x->easy, CURLOPT_MAIL_FROM, v);
	free(v);

	x->mime = curl_mime_init(x->easy);
	if (png == NULL)
		outbox_mime_text(x->mime, "text/plain; charset=utf-8", text);
	else {
		/*
		 * mixed { related { alternative { plain, html }, png } }:
		 * the HTML shows the code in place, the plain text names the
		 * image for a reader without HTML.
		 */
		xasprintf(&body, "%s\n\nYour pass is the QR code in the "
		    "attached image pass.png.\n", text);
		etext = outbox_html_escape(text);
		xasprintf(&html, "<html><body><pre>%s</pre>\n<p><img "
		    "src=\"cid:qr.%lld.%lld@%s\" alt=\"QR code\"></p>"
		    "</body></html>\n", etext, (long long)d->event_id,
		    (long long)d->id, s->mail_domain);
		alt = curl_mime_init(x->easy);
		outbox_mime_text(alt, "text/plain; charset=utf-8", body);
		outbox_mime_text(alt, "text/html; charset=utf-8", html);
		rel = curl_mime_init(x->easy);
		part = curl_mime_addpart(rel);
		curl_mime_subparts(part, alt);
		curl_mime_type(part, "multipart/alternative");
		part = curl_mime_addpart(rel);
		curl_mime_data(part, (const char *)png, pnglen);
		curl_mime_type(part, "image/png");
		curl_mime_encoder(part, "base64");
		xasprintf(&v, "Content-ID: <qr.%lld.%lld@%s>",
		    (long long)d->event_id, (long long)d->id, s->mail_domain);
		ph = curl_slist_append(ph, v);
		free(v);
		ph = curl_slist_append(ph, "Content-Disposition: inline; "
		    "filename=\"pass.png\"");
		curl_mime_headers(part, ph, 1);
		part = curl_mime_addpart(x->mime);
		curl_mime_subparts(part, rel);
		curl_mime_type(part, "multipart/related; "
		    "type=\"multipart/alternative\"");
	}
	if (photo != NULL)
		outbox_mail_photo(ob, x, photo);

	curl_easy_setopt(x->easy, CURLOPT_URL, s->smtp_url);
	curl_easy_setopt(x->easy, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
	curl_easy_setopt(x->easy, CURLOPT_MAIL_RCPT, x->rcpt);
	curl_easy_setopt(x->easy, CURLOPT_HTTPHEADER, x->headers);
	curl_easy_setopt(x->easy, CURLOPT_MIMEPOST, x->mime);
	if (s->smtp_user != NULL) {
		curl_easy_setopt(x->easy, CURLOPT_USERNAME, s->smtp_user);
		curl_easy_setopt(x->easy, CURLOPT_PASSWORD, s->smtp_password);
		curl_easy_setopt(x->easy, CURLOPT_USE_SSL, (long)CURLUSESSL_ALL);
	} else
		curl_easy_setopt(x->easy, CURLOPT_USE_SSL, (long)CURLUSESSL_TRY);
	r = 0;
out:
	free(esubject);
	free(ename);
	free(body);
	free(html);
	free(etext);
	free(png);
	return r;
}

/* Sets an HTTP POST of BODY (LEN bytes) to URL. */
static void
outbox_http_post(struct outbox_xfer *x, const char *url, const char *body,
    size_t len)
{
	curl_easy_setopt(x->easy, CURLOPT_URL, url);
	curl_easy_setopt(x->easy, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(x->easy, CURLOPT_USERAGENT, OUTBOX_USER_AGENT);
	curl_easy_setopt(x->easy, CURLOPT_POSTFIELDSIZE, (long)len);
	curl_easy_setopt(x->easy, CURLOPT_COPYPOSTFIELDS, body);
	curl_easy_setopt(x->easy, CURLOPT_WRITEFUNCTION, outbox_write_cb);
	curl_easy_setopt(x->easy, CURLOPT_WRITEDATA, x);
	curl_easy_setopt(x->easy, CURLOPT_HTTPHEADER, x->headers);
}

/* The Idempotency-Key header of row D. */
static void
outbox_idempotency(struct outbox_xfer *x, const struct outbox_due *d)
{
	char	*v;

	xasprintf(&v, "gatehouse-%lld-%lld", (long long)d->event_id,
	    (long long)d->id);
	outbox_header_add(&x->headers, "Idempotency-Key", v);
	free(v);
}

/* Builds an SMS try for row D; -1 with *CAUSE is a permanent failure. */
static int
outbox_build_sms(struct outbox *ob, struct outbox_xfer *x,
    const struct outbox_due *d, const cJSON *payload, char **cause)
{
	struct outbox_settings	*s = &ob->set;
	const char		*to, *text;
	char			*eto, *efrom, *etext, *body;

	to = outbox_recipient(d, payload);
	text = outbox_json_string(payload, "text");
	if (!outbox_phone_valid(to)) {
		xasprintf(cause, "not an E.164 phone number");
		return -1;
	}
	if (text == NULL || *text == '\0') {
		xasprintf(cause, "payload without text");
		return -1;
	}
	if (strlen(text) > OUTBOX_SMS_MAX ||
	    !outbox_utf8_valid((const unsigned char *)text, strlen(text))) {
		xasprintf(cause, "text too long or not valid UTF-8");
		return -1;
	}
	eto = curl_easy_escape(x->easy, to, 0);
	efrom = curl_easy_escape(x->easy, s->sms_from, 0);
	etext = curl_easy_escape(x->easy, text, 0);
	if (eto == NULL || efrom == NULL || etext == NULL)
		fatalx("outbox: out of memory");
	xasprintf(&body, "To=%s&From=%s&Body=%s", eto, efrom, etext);
	curl_free(eto);
	curl_free(efrom);
	curl_free(etext);

	outbox_idempotency(x, d);
	outbox_header_add(&x->headers, "Content-Type",
	    "application/x-www-form-urlencoded");
	outbox_http_post(x, s->sms_url, body, strlen(body));
	free(body);
	if (s->sms_user != NULL) {
		curl_easy_setopt(x->easy, CURLOPT_HTTPAUTH,
		    (long)CURLAUTH_BASIC);
		curl_easy_setopt(x->easy, CURLOPT_USERNAME, s->sms_user);
		curl_easy_setopt(x->easy, CURLOPT_PASSWORD, s->sms_token);
	}
	return 0;
}

/* Builds a webhook try for row D; -1 with *CAUSE is a permanent failure. */
static int
outbox_build_webhook(struct outbox *ob, struct outbox_xfer *x,
    const struct outbox_due *d, const cJSON *payload, char **cause)
{
	struct outbox_settings	*s = &ob->set;
	const cJSON		*event;
	unsigned char		 mac[EVP_MAX_MD_SIZE];
	char			 hex[2 * EVP_MAX_MD_SIZE + 8], *body;
	size_t			 maclen = 0, i;

	event = cJSON_GetObjectItemCaseSensitive(payload, "event");
	if (!cJSON_IsObject(event)) {
		xasprintf(cause, "payload without an event object");
		return -1;
	}
	if ((body = cJSON_PrintUnformatted(event)) == NULL)
		fatalx("outbox: out of memory");
	if (EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, s->webhook_secret,
	    strlen(s->webhook_secret), (unsigned char *)body, strlen(body),
	    mac, sizeof mac, &maclen) == NULL) {
		cJSON_free(body);
		xasprintf(cause, "HMAC-SHA256 failed");
		return -1;
	}
	memcpy(hex, "sha256=", 7);
	for (i = 0; i < maclen; i++)
		snprintf(hex + 7 + 2 * i, 3, "%02x", mac[i]);
	outbox_idempotency(x, d);
	outbox_header_add(&x->headers, "Content-Type", "application/json");
	outbox_header_add(&x->headers, "X-Gatehouse-Signature", hex);
	outbox_http_post(x, s->webhook_url, body, strlen(body));
	cJSON_free(body);
	return 0;
}

/* Frees a try (removed from the multi handle already). */
static void
outbox_xfer_free(struct outbox_xfer *x)
{
	if (x == NULL)
		return;
	if (x->easy != NULL)
		curl_easy_cleanup(x->easy);
	curl_mime_free(x->mime);
	curl_slist_free_all(x->headers);
	curl_slist_free_all(x->rcpt);
	free(x->response);
	free(x);
}

/* The wait before try ATTEMPTS + 1, after ATTEMPTS failed tries. */
static int64_t
outbox_backoff(const struct outbox_settings *s, int attempts)
{
	int64_t	d = s->backoff_ms;
	int	i;

	for (i = 1; i < attempts && d < s->backoff_max_ms; i++)
		d *= 2;
	if (d > s->backoff_max_ms)
		d = s->backoff_max_ms;
	/* Between half and all of it. */
	return d / 2 + (int64_t)arc4random_uniform((uint32_t)(d / 2 + 1));
}

/* Records the outcome of a try of row ID after ATTEMPTS earlier ones. */
static void
outbox_record(struct outbox *ob, int64_t id, const char *kind, int attempts,
    int64_t next_try, enum outbox_outcome outcome, const char *error)
{
	const char	*state;
	char		*cause = NULL, *msg = NULL;
	int64_t		 wait = 0;
	int		 n = attempts + 1;

	switch (outcome) {
	case OUTBOX_SENT:
		state = "sent";
		log_info("outbox: %s row %lld sent", kind, (long long)id);
		break;
	case OUTBOX_TEMPORARY:
		if (n >= ob->set.max_attempts) {
			state = "failed";
			xasprintf(&msg, "gave up after %d tries: %s", n,
			    error);
			error = msg;
			log_warnx("outbox: %s row %lld dead-lettered: %s",
			    kind, (long long)id, error);
			break;
		}
		state = "queued";
		wait = outbox_backoff(&ob->set, n);
		next_try = outbox_wall_ms() + wait;
		log_info("outbox: %s row %lld: %s; try %d in %lld ms", kind,
		    (long long)id, error, n + 1, (long long)wait);
		break;
	default:
		state = "failed";
		log_warnx("outbox: %s row %lld dead-lettered: %s", kind,
		    (long long)id, error);
		break;
	}
	if (store_outbox_done(ob->store, id, state, n, next_try,
	    outcome == OUTBOX_SENT ? NULL : error, &cause) < 0) {
		/* It stays queued and is tried again: at least once. */
		log_warnx("outbox: row %lld: %s", (long long)id, cause);
		free(cause);
	}
	free(msg);
}

/* The kind's name, as the store writes it. */
static const char *
outbox_kind_name(enum outbox_kind k)
{
	switch (k) {
	case OUTBOX_EMAIL:
		return "email";
	case OUTBOX_SMS:
		return "sms";
	default:
		return "webhook";
	}
}

/* Whether row ID is being tried. */
static int
outbox_busy(struct outbox *ob, int64_t id)
{
	struct outbox_xfer	*x;

	for (x = ob->xfers; x != NULL; x = x->next) {
		if (x->id == id)
			return 1;
	}
	return 0;
}

/* Starts a try of due row D, or dead-letters it if it cannot be sent. */
static void
outbox_start(struct outbox *ob, const struct outbox_due *d)
{
	struct outbox_settings	*s = &ob->set;
	struct outbox_xfer	*x;
	cJSON			*payload = NULL;
	char			*cause = NULL;
	int			 r;

	x = xcalloc(1, sizeof *x);
	x->ob = ob;
	x->id = d->id;
	x->event_id = d->event_id;
	x->attempts = d->attempts;
	x->next_try = d->next_try;
	if (strcmp(d->kind, "email") == 0)
		x->kind = OUTBOX_EMAIL;
	else if (strcmp(d->kind, "sms") == 0)
		x->kind = OUTBOX_SMS;
	else if (strcmp(d->kind, "webhook") == 0)
		x->kind = OUTBOX_WEBHOOK;
	else {
		xasprintf(&cause, "unknown kind %s", d->kind);
		goto refuse;
	}
	if ((x->kind == OUTBOX_EMAIL && s->smtp_url == NULL) ||
	    (x->kind == OUTBOX_SMS && s->sms_url == NULL) ||
	    (x->kind == OUTBOX_WEBHOOK && s->webhook_url == NULL)) {
		xasprintf(&cause, "channel not configured");
		goto refuse;
	}
	if ((payload = cJSON_Parse(d->payload)) == NULL ||
	    !cJSON_IsObject(payload)) {
		xasprintf(&cause, "payload is not a JSON object");
		goto refuse;
	}
	if ((x->easy = curl_easy_init()) == NULL) {
		/* Out of memory or the like: not the row's fault. */
		outbox_record(ob, d->id, d->kind, d->attempts, d->next_try,
		    OUTBOX_TEMPORARY, "cannot start libcurl");
		goto out;
	}
	outbox_easy_common(ob, x);
	switch (x->kind) {
	case OUTBOX_EMAIL:
		r = outbox_build_email(ob, x, d, payload, &cause);
		break;
	case OUTBOX_SMS:
		r = outbox_build_sms(ob, x, d, payload, &cause);
		break;
	default:
		r = outbox_build_webhook(ob, x, d, payload, &cause);
		break;
	}
	if (r != 0)
		goto refuse;
	if (curl_multi_add_handle(ob->multi, x->easy) != CURLM_OK) {
		outbox_record(ob, d->id, d->kind, d->attempts, d->next_try,
		    OUTBOX_TEMPORARY, "cannot start libcurl");
		goto out;
	}
	log_debug("outbox: %s row %lld: try %d", d->kind, (long long)d->id,
	    d->attempts + 1);
	x->next = ob->xfers;
	ob->xfers = x;
	ob->inflight++;
	cJSON_Delete(payload);
	return;

refuse:
	outbox_record(ob, d->id, d->kind, d->attempts, d->next_try,
	    OUTBOX_PERMANENT, cause);
out:
	free(cause);
	cJSON_Delete(payload);
	outbox_xfer_free(x);
}

/* Replaces what is not printable ASCII in S with '?' (for messages). */
static void
outbox_printable(char *s)
{
	for (; *s != '\0'; s++) {
		if (*s < ' ' || *s >= 0x7f)
			*s = '?';
	}
}

/* Judges a finished try of X: CURL result RES, protocol response CODE. */
static enum outbox_outcome
outbox_judge(struct outbox_xfer *x, CURLcode res, long code, char **error)
{
	const char	*what = x->errbuf[0] != '\0' ? x->errbuf :
			    curl_easy_strerror(res);

	if (x->kind == OUTBOX_EMAIL) {
		if (res == CURLE_OK)
			return OUTBOX_SENT;
		if (code != 0)
			xasprintf(error, "SMTP %ld: %s", code, what);
		else
			xasprintf(error, "SMTP: %s", what);
		outbox_printable(*error);
		if ((code >= 500 && code < 600) ||
		    res == CURLE_URL_MALFORMAT ||
		    res == CURLE_UNSUPPORTED_PROTOCOL)
			return OUTBOX_PERMANENT;
		return OUTBOX_TEMPORARY;
	}
	if (res != CURLE_OK) {
		xasprintf(error, "%s", what);
		outbox_printable(*error);
		if (res == CURLE_URL_MALFORMAT ||
		    res == CURLE_UNSUPPORTED_PROTOCOL)
			return OUTBOX_PERMANENT;
		return OUTBOX_TEMPORARY;
	}
	if (code >= 200 && code < 300)
		return OUTBOX_SENT;
	xasprintf(error, "HTTP %ld%s%s", code, x->response != NULL ? ": " : "",
	    x->response != NULL ? x->response : "");
	outbox_printable(*error);
	if (code == 408 || code == 429 || code >= 500 || code < 200)
		return OUTBOX_TEMPORARY;
	return OUTBOX_PERMANENT;
}

/* Handles the tries curl has finished. */
static void
outbox_check_done(struct outbox *ob)
{
	struct outbox_xfer	*x, **xp;
	CURLMsg			*msg;
	CURL			*easy;
	CURLcode		 res;
	enum outbox_outcome	 outcome;
	char			*error = NULL;
	long			 code = 0;
	int			 left, any = 0;

	while ((msg = curl_multi_info_read(ob->multi, &left)) != NULL) {
		if (msg->msg != CURLMSG_DONE)
			continue;
		easy = msg->easy_handle;
		res = msg->data.result;
		x = NULL;
		curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&x);
		code = 0;
		curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &code);
		curl_multi_remove_handle(ob->multi, easy);
		if (x == NULL)
			continue;
		for (xp = &ob->xfers; *xp != NULL; xp = &(*xp)->next) {
			if (*xp == x) {
				*xp = x->next;
				break;
			}
		}
		ob->inflight--;
		outcome = outbox_judge(x, res, code, &error);
		outbox_record(ob, x->id, outbox_kind_name(x->kind),
		    x->attempts, x->next_try, outcome, error);
		free(error);
		error = NULL;
		outbox_xfer_free(x);
		any = 1;
	}
	if (any)
		outbox_pump_soon(ob, 0);
}

/* Loop fd events for one of curl's sockets. */
static void
outbox_fd_cb(struct loop *loop, int fd, int events, void *arg)
{
	struct outbox	*ob = arg;
	int		 flags = 0, running;

	(void)loop;
	if (events & (LOOP_READ|LOOP_HUP))
		flags |= CURL_CSELECT_IN;
	if (events & LOOP_WRITE)
		flags |= CURL_CSELECT_OUT;
	if (events & LOOP_ERR)
		flags |= CURL_CSELECT_ERR;
	curl_multi_socket_action(ob->multi, fd, flags, &running);
	outbox_check_done(ob);
}

/* Drops FD from the list of curl's sockets on the loop. */
static void
outbox_fd_forget(struct outbox *ob, int fd)
{
	size_t	i;

	for (i = 0; i < ob->nfds; i++) {
		if (ob->fds[i] == fd) {
			ob->fds[i] = ob->fds[--ob->nfds];
			return;
		}
	}
}

/* CURLMOPT_SOCKETFUNCTION: which of its sockets curl waits on, for what. */
static int
outbox_socket_cb(CURL *easy, curl_socket_t s, int what, void *arg,
    void *socketp)
{
	struct outbox	*ob = arg;
	int		 mask = 0;

	(void)easy;
	if (what == CURL_POLL_REMOVE) {
		if (socketp != NULL) {
			loop_del_fd(ob->loop, s);
			curl_multi_assign(ob->multi, s, NULL);
			outbox_fd_forget(ob, s);
		}
		return 0;
	}
	if (what == CURL_POLL_IN || what == CURL_POLL_INOUT)
		mask |= LOOP_READ;
	if (what == CURL_POLL_OUT || what == CURL_POLL_INOUT)
		mask |= LOOP_WRITE;
	if (socketp != NULL)
		loop_set_mask(ob->loop, s, mask);
	else if (loop_add_fd(ob->loop, s, mask, outbox_fd_cb, ob) == 0) {
		curl_multi_assign(ob->multi, s, &ob->fd_marker);
		ob->fds = xreallocarray(ob->fds, ob->nfds + 1,
		    sizeof *ob->fds);
		ob->fds[ob->nfds++] = s;
	} else {
		log_warnx("outbox: cannot watch socket %d: %s", s,
		    strerror(errno));
		return -1;
	}
	return 0;
}

/* The loop timer standing for curl's timeout. */
static int64_t
outbox_curl_timer_cb(struct loop *loop, uint64_t id, void *arg)
{
	struct outbox	*ob = arg;
	int		 running;

	(void)loop;
	(void)id;
	/* curl may set a new timer from inside the call: this one is done. */
	ob->curl_timer = 0;
	curl_multi_socket_action(ob->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	outbox_check_done(ob);
	return -1;
}

/* CURLMOPT_TIMERFUNCTION: curl wants to be called after MS (-1: never). */
static int
outbox_timer_cb(CURLM *multi, long ms, void *arg)
{
	struct outbox	*ob = arg;

	(void)multi;
	if (ob->curl_timer != 0) {
		loop_del_timer(ob->loop, ob->curl_timer);
		ob->curl_timer = 0;
	}
	if (ms >= 0)
		ob->curl_timer = loop_add_timer(ob->loop, ms,
		    outbox_curl_timer_cb, ob);
	return 0;
}

/* Copies a due row for outbox_pump; stops at the list's size. */
static int
outbox_due_cb(const struct store_outbox_row *row, void *arg)
{
	struct outbox_due_list	*l = arg;
	struct outbox_due	*d;

	if (outbox_busy(l->ob, row->id))
		return 0;
	if (l->n == l->want)
		return 1;
	d = &l->v[l->n++];
	d->id = row->id;
	d->event_id = row->event_id;
	snprintf(d->kind, sizeof d->kind, "%s", row->kind);
	d->destination = xstrdup(row->destination != NULL ?
	    row->destination : "");
	d->payload = xstrdup(row->payload != NULL ? row->payload : "");
	d->attempts = row->attempts;
	d->next_try = row->next_try;
	return 0;
}

/* Starts tries of the due rows while there is room; plans the next look. */
static void
outbox_pump(struct outbox *ob)
{
	struct outbox_due_list	 l;
	char			*cause = NULL;
	int64_t			 now, when, delay = OUTBOX_RESCAN_MS;
	size_t			 i;
	int			 r = 0;

	now = outbox_wall_ms();
	if (ob->inflight < ob->set.concurrency) {
		memset(&l, 0, sizeof l);
		l.ob = ob;
		l.want = (size_t)(ob->set.concurrency - ob->inflight);
		l.v = xcalloc(l.want, sizeof *l.v);
		/* One row more than room: the walk stops there if it is. */
		r = store_outbox_due(ob->store, now, (int)l.want +
		    ob->inflight + 1, outbox_due_cb, &l, &cause);
		if (r < 0) {
			log_warnx("outbox: %s", cause);
			free(cause);
			cause = NULL;
		}
		for (i = 0; i < l.n; i++) {
			outbox_start(ob, &l.v[i]);
			free(l.v[i].destination);
			free(l.v[i].payload);
		}
		free(l.v);
		/* Filled to the brim: more may be due now. */
		if (r == 1 && ob->inflight < ob->set.concurrency)
			delay = 0;
	}
	if (delay > 0 && (r = store_outbox_next_try(ob->store, now, &when,
	    &cause)) == 0) {
		if (when - now < delay)
			delay = when - now;
	} else if (delay > 0 && r < 0) {
		log_warnx("outbox: %s", cause);
		free(cause);
	}
	outbox_pump_soon(ob, delay);
}

/* The pump's timer. */
static int64_t
outbox_pump_cb(struct loop *loop, uint64_t id, void *arg)
{
	struct outbox	*ob = arg;

	(void)loop;
	(void)id;
	ob->pump_timer = 0;
	outbox_pump(ob);
	return -1;
}

/* Runs the pump in MS milliseconds, unless it runs sooner already. */
static void
outbox_pump_soon(struct outbox *ob, int64_t ms)
{
	int64_t	due = loop_now_ms() + (ms < 0 ? 0 : ms);

	if (ob->pump_timer != 0) {
		if (ob->pump_due <= due)
			return;
		loop_del_timer(ob->loop, ob->pump_timer);
	}
	ob->pump_due = due;
	ob->pump_timer = loop_add_timer(ob->loop, ms, outbox_pump_cb, ob);
}

/* Starts a sender. */
struct outbox *
outbox_new(struct loop *loop, struct store *st,
    const struct outbox_config *cfg, char **cause)
{
	static int	 init;
	struct outbox	*ob;

	if (!init) {
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
			xasprintf(cause, "outbox: cannot initialise libcurl");
			return NULL;
		}
		init = 1;
	}
	ob = xcalloc(1, sizeof *ob);
	ob->loop = loop;
	ob->store = st;
	if (outbox_settings_load(cfg, &ob->set, cause) != 0) {
		free(ob);
		return NULL;
	}
	if ((ob->multi = curl_multi_init()) == NULL) {
		outbox_settings_clear(&ob->set);
		free(ob);
		xasprintf(cause, "outbox: cannot start libcurl");
		return NULL;
	}
	curl_multi_setopt(ob->multi, CURLMOPT_SOCKETFUNCTION,
	    outbox_socket_cb);
	curl_multi_setopt(ob->multi, CURLMOPT_SOCKETDATA, ob);
	curl_multi_setopt(ob->multi, CURLMOPT_TIMERFUNCTION, outbox_timer_cb);
	curl_multi_setopt(ob->multi, CURLMOPT_TIMERDATA, ob);
	outbox_pump_soon(ob, 0);
	return ob;
}

/* Replaces the settings. */
int
outbox_configure(struct outbox *ob, const struct outbox_config *cfg,
    char **cause)
{
	struct outbox_settings	s;

	if (outbox_settings_load(cfg, &s, cause) != 0)
		return -1;
	outbox_settings_clear(&ob->set);
	ob->set = s;
	outbox_pump_soon(ob, 0);
	return 0;
}

/* Looks for due rows soon. */
void
outbox_kick(struct outbox *ob)
{
	outbox_pump_soon(ob, 0);
}

/* The tries under way. */
int
outbox_inflight(struct outbox *ob)
{
	return ob->inflight;
}

/* Stops; rows in flight stay queued. */
void
outbox_free(struct outbox *ob)
{
	struct outbox_xfer	*x;
	size_t			 i;

	if (ob == NULL)
		return;
	while ((x = ob->xfers) != NULL) {
		ob->xfers = x->next;
		/* Removing calls outbox_socket_cb: it drops the loop fds. */
		curl_multi_remove_handle(ob->multi, x->easy);
		outbox_xfer_free(x);
	}
	curl_multi_cleanup(ob->multi);
	/* Sockets of cached connections curl closed without a word. */
	for (i = 0; i < ob->nfds; i++)
		loop_del_fd(ob->loop, ob->fds[i]);
	free(ob->fds);
	if (ob->curl_timer != 0)
		loop_del_timer(ob->loop, ob->curl_timer);
	if (ob->pump_timer != 0)
		loop_del_timer(ob->loop, ob->pump_timer);
	outbox_settings_clear(&ob->set);
	free(ob);
}
