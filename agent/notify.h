/*
 * What the agent's events send through the outbox (gatehouse.conf(5),
 * NOTIFICATIONS): main builds the rows here and stores them in the same
 * transaction as the event that causes them, so a notification is never
 * lost for an event kept, nor sent for one that was not.
 *
 *	pending, uncertain	mail to notify_email, with the visitor's photo
 *	alarm			mail to notify_email (photo), SMS to notify_sms
 *	any type listed in	a webhook to webhook_url, the event as the
 *	notify_webhook		consoles see it
 *	a pass issued		mail to the visitor (QR code as an inline
 *				PNG, PIN, window, door), or the PIN by SMS
 *	a one-time code		SMS to the person's phone, else mail
 *
 * A channel that is not configured gets no rows: an agent without a mail
 * server queues no mail. Texts hold no personal data beyond what the
 * recipient may see: the admins' mail says where and when a visitor
 * waits, not who they said they are.
 */
#ifndef NOTIFY_H
#define NOTIFY_H

#include <stddef.h>
#include <stdint.h>

#include "store.h"

struct agent;

/* Rows for one event; the strings are owned here. */
struct notify_rows {
	struct store_outbox	*rows;
	size_t			 n;
	size_t			 size;
};

/* A pass on its way to its holder. */
struct notify_pass {
	const char	*name;		/* may be NULL */
	const char	*email;		/* may be NULL */
	const char	*phone;		/* may be NULL */
	const char	*token;		/* the QR code's text */
	const char	*pin;
	int64_t		 not_before;	/* ms */
	int64_t		 expires;	/* ms */
	int		 uses;
};

/* Appends the rows event EV sends (EV->id is not known yet). */
void	notify_event(struct agent *, const struct store_event *,
	    struct notify_rows *);
/* Appends the mail (or SMS) that carries pass P to its holder. */
void	notify_pass(struct agent *, const struct notify_pass *,
	    struct notify_rows *);
/* Appends the message that carries one-time CODE to EMAIL or PHONE. */
void	notify_otp(struct agent *, const char *email, const char *phone,
	    const char *code, struct notify_rows *);
void	notify_rows_free(struct notify_rows *);

#endif
