/*
 * The outbox sender: delivers the store's queued outbox rows (mail, SMS,
 * webhooks) with libcurl's multi interface driven by the agent's loop, so
 * no network I/O ever blocks it: curl's sockets are loop fds
 * (CURLMOPT_SOCKETFUNCTION), curl's timeout is a loop timer
 * (CURLMOPT_TIMERFUNCTION), and name resolution is curl's threaded
 * resolver. What still runs on the loop is local: a small SQLite update
 * per try, reading a row's photo file, a QR code and its PNG.
 *
 * Delivery is at least once. A row is committed with the event that
 * causes it (store_event_append_outbox) and stays "queued" in the store
 * until a try ends: a row in flight when the agent dies is sent again after
 * a restart. So every message carries an idempotency key made of the
 * event id and the row id: mail as its Message-ID
 * (<gatehouse.EVENT.ROW@DOMAIN-OF-MAIL-FROM>), SMS and webhooks as an
 * Idempotency-Key header (gatehouse-EVENT-ROW). In the normal case each
 * row is sent once.
 *
 * A try ends in one of three ways:
 *	sent		SMTP 250, HTTP 2xx: the row becomes "sent".
 *	temporary	no connection, a timeout, SMTP 4xx, HTTP 408, 429,
 *			5xx: attempts goes up by one and the row waits
 *			backoff_ms * 2^(attempts - 1) (at most backoff_max_ms),
 *			the wait drawn at random between half and all of that
 *			(so a fleet of doors does not retry in step), then
 *			is tried again; after max_attempts tries it is
 *			dead-lettered.
 *	permanent	SMTP 5xx, HTTP other 4xx or 3xx (redirects are not
 *			followed), a payload that cannot be sent (a malformed
 *			address, a header with a control character, invalid
 *			JSON), or a channel that is not configured: the row
 *			is dead-lettered at once.
 * A dead-lettered row is "failed" with the reason in last_error, for the
 * console (store_outbox_list, store_outbox_retry).
 *
 * Payloads (the payload column, JSON objects):
 *	email	{"subject": S, "text": T, "name": N, "qr": Q, "photo": H}:
 *		to the row's destination, an address (or "to" in the
 *		payload when destination is empty). "text" is the plain-text
 *		body (UTF-8; the door, PIN and validity are main's to write);
 *		"name" (optional) is the recipient's display name; "qr"
 *		(optional) is encoded as a QR code and sent as an inline PNG
 *		(Content-ID, shown by an HTML alternative, mentioned in the
 *		text); "photo" (optional) is a store photo hash attached as
 *		JPEG (left out if the photo has expired).
 *	sms	{"text": T}: a Twilio-compatible form POST (To, From, Body,
 *		HTTP basic auth) to sms_url; To is the row's destination (or
 *		"to" in the payload), an E.164 number (+ and 6 to 15 digits).
 *	webhook	{"event": E}: E, printed as compact JSON, is POSTed to
 *		webhook_url (the row's destination is only a label) as
 *		application/json, with X-Gatehouse-Signature:
 *		sha256=HEX(HMAC-SHA256(secret, body)).
 *
 * Mail headers cannot be injected: addresses must be printable ASCII
 * without blanks, quotes, brackets or separators and with one @; a
 * subject or name with any control character (CR, LF, ...) is refused;
 * non-ASCII subjects and names are RFC 2047 encoded words. A refused row
 * is never sent. smtp:// uses STARTTLS when the server offers it, and
 * requires it when smtp_user is set (a password never goes in clear);
 * smtps:// is TLS from the start.
 */
#ifndef OUTBOX_H
#define OUTBOX_H

#include <stdint.h>

#define OUTBOX_MAX_ATTEMPTS	10
#define OUTBOX_CONCURRENCY	4
#define OUTBOX_BACKOFF_MS	(30 * 1000)
#define OUTBOX_BACKOFF_MAX_MS	(60 * 60 * 1000)
#define OUTBOX_TIMEOUT_MS	(120 * 1000)
/* The largest secret file read. */
#define OUTBOX_SECRET_MAX	4096

struct loop;
struct store;
struct outbox;

/*
 * The sender's settings. An empty or NULL URL turns its channel off: its
 * rows are dead-lettered with "channel not configured". The *_file
 * members name files holding a secret (one line; a trailing newline is
 * ignored), read by outbox_new and outbox_configure: secrets stay out of
 * gatehouse.conf. Numbers <= 0 take the defaults above.
 */
struct outbox_config {
	const char	*smtp_url;		/* smtp://host:port, smtps:// */
	const char	*smtp_user;		/* NULL or "": no AUTH */
	const char	*smtp_password_file;
	const char	*mail_from;		/* an address; needs smtp_url */
	const char	*sms_url;
	const char	*sms_user;		/* basic auth user (account) */
	const char	*sms_token_file;	/* basic auth password */
	const char	*sms_from;
	const char	*webhook_url;
	const char	*webhook_secret_file;	/* needed with webhook_url */
	int		 max_attempts;
	int		 concurrency;		/* transfers at once */
	int64_t		 backoff_ms;		/* the first retry's wait */
	int64_t		 backoff_max_ms;	/* the longest wait */
	int64_t		 timeout_ms;		/* one whole try; connecting
						   (for mail, up to the
						   server's greeting) gets
						   15 s of it at most */
};

/*
 * Starts a sender of ST's outbox on LOOP (both borrowed, outliving it);
 * it looks for due rows at once. Returns NULL with *CAUSE if CFG is
 * invalid (a malformed mail_from, a channel without its secret, an
 * unreadable secret file) or libcurl cannot start.
 */
struct outbox	*outbox_new(struct loop *, struct store *,
		     const struct outbox_config *, char **cause);
/*
 * Replaces the settings (a reload). Tries under way finish with the old
 * ones. Returns 0, or -1 with *CAUSE and the old settings kept.
 */
int		 outbox_configure(struct outbox *,
		     const struct outbox_config *, char **cause);
/* New rows were committed: look for due rows on the next loop pass. */
void		 outbox_kick(struct outbox *);
/*
 * Whether S is an address the sender puts in a header and an SMTP
 * command (the rules above), and an E.164 number (+ and 6 to 15 digits).
 */
int		 outbox_address_valid(const char *);
int		 outbox_phone_valid(const char *);
/* The number of tries under way. */
int		 outbox_inflight(struct outbox *);
/*
 * Stops: tries under way are abandoned and their rows stay queued, to be
 * sent by the next sender. outbox_free(NULL) is fine. Never call it from
 * inside an outbox callback (there are none to the caller).
 */
void		 outbox_free(struct outbox *);

#endif
