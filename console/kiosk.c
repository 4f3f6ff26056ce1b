/*
 * The kiosk on the door's screen (kiosk.h): what the camera sees and what
 * the door decided, in big letters, a form for a waiting visitor, and a
 * keypad for the PIN of a pass.
 *
 * Screens. The kiosk shows one screen at a time (enum kiosk_screen_id,
 * the table kiosk_screens): idle, a hint about the face ("step closer"),
 * a result (welcome, sorry), the visitor's form, thanks, the PIN entry, a
 * refused PIN, out of order. A hint or a result goes back by itself after
 * its timeout; what it goes back to is the form while one is open, else
 * idle. The form belongs to one pending visit and stays open, under any
 * result that comes over it, until it is sent, its visit is decided, or
 * no key was pressed for KIOSK_FORM_IDLE_MS. The PIN entry does not stay
 * under anything: what was typed is wiped whenever another screen shows
 * (kiosk_show), so digits never outlive the screen that hides them.
 *
 *   idle --sighting--> closer/still/light/moment --timeout--> idle
 *   any  --granted/denied--> welcome/sorry --timeout--> form or idle
 *   any  --pending/uncertain--> form --Enter on the last field--> thanks
 *   form --2 min without a key--> idle
 *   idle, hint or result --digit--> pin
 *   pin  --Enter--> welcome (granted) or pin refused --timeout--> form or idle
 *   pin  --Escape, or 30 s without a key--> form or idle
 *   any  --connection lost--> out of order --reconnected--> form or idle
 *
 * A pending visitor seen while a PIN is typed gets their form under the
 * PIN screen, shown when it is done; a result the door announces
 * meanwhile (a welcome, a sorry, a guard's decision) replaces the PIN
 * screen. The agent also announces the answer to a PIN as a "granted" or
 * "denied" event with the PIN's reason; while the kiosk shows that
 * answer, such an event is its echo and is dropped, so that "This code
 * has expired" is not replaced by a plain "Sorry".
 *
 * Keys. The terminal's bytes are read here, not by curses (which only
 * draws): kiosk_input_byte() decodes UTF-8 and swallows every escape
 * sequence (CSI, SS3, OSC and other strings, X10 mouse reports) and turns
 * the rest into keys (enum kiosk_key); an ESC that nothing follows within
 * KIOSK_ESC_MS is the Escape key, and the keypad's application-mode
 * digits and Enter (SS3 p to y, SS3 M) are digits and Enter. Each screen
 * names its key handler in the table: the form is a line editor per
 * field; the PIN screen takes digits (at most KIOSK_PIN_MAX), Backspace,
 * Ctrl-U, Enter and Escape; idle, the hints and the results take only a
 * digit, which opens the PIN screen with it; out of order takes nothing.
 * Everything else typed is dropped.
 *
 * Time. One loop timer wakes the loop at the earliest deadline (a
 * screen's timeout, the form's idle limit, the next reconnection, a lone
 * ESC becoming Escape); kiosk_check() runs the deadlines that have passed
 * before each draw.
 */
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>

#include <errno.h>
#include <langinfo.h>
#include <locale.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <wchar.h>
#include <wctype.h>

#include <curses.h>

#include "client.h"
#include "kiosk.h"
#include "render.h"
#include "log.h"
#include "loop.h"
#include "protocol.h"
#include "xmalloc.h"

/* The most characters a field takes: a long name or address fits. */
#define KIOSK_FIELD_MAX		100
/* A form no one types into for 2 minutes belongs to no one any more. */
#define KIOSK_FORM_IDLE_MS	(2 * 60 * 1000)
/* A welcome or a refusal, long enough to read while walking. */
#define KIOSK_RESULT_MS		5000
/* Thanks and "please wait": read, then the screen is free for the next. */
#define KIOSK_THANKS_MS		15000
/*
 * A hint about the face. The agent says only when the word changes and
 * never when the face leaves, so a hint no event renewed is stale.
 */
#define KIOSK_HINT_MS		8000
/* Reconnection: the first wait and the longest. */
#define KIOSK_BACKOFF_MIN	1000
#define KIOSK_BACKOFF_MAX	30000
/*
 * A terminal writes an escape sequence in one go: bytes after a pause
 * this long start afresh, so a lone Escape key does not eat what is typed
 * next.
 */
#define KIOSK_ESC_MS		100
/* The longest escape sequence or string kept swallowing. */
#define KIOSK_SEQ_MAX		64
#define KIOSK_STRING_MAX	512
/*
 * The longest a request may take. The kiosk's calls block (client.h), and
 * an agent that hangs (stopped, a disk that does not answer) must show up
 * as out of order, not freeze the screen and the signals with it.
 */
#define KIOSK_CALL_S		10
/* The largest scale of the big letters (each pixel s x s half cells). */
#define KIOSK_SCALE_MAX		3
/*
 * What the agent takes as a PIN (doc/PASSES, section 7): 4 to 10 digits.
 * The PIN screen takes no more than the longest, and sends no fewer than
 * the shortest: a shorter code is refused as bad-request and still counts
 * as a failed attempt towards the door's lockout.
 */
#define KIOSK_PIN_MIN		4
#define KIOSK_PIN_MAX		10
/*
 * A PIN screen no one types into for 30 s is given up: long enough to find
 * a code in a mail, short enough that a half-typed code does not wait for
 * the next person.
 */
#define KIOSK_PIN_IDLE_MS	30000

/* Keys other than characters: above every code point. */
enum kiosk_key {
	KIOSK_KEY_ENTER = 0x110000,
	KIOSK_KEY_BACKSPACE,
	KIOSK_KEY_KILL,		/* Ctrl-U: erase the field */
	KIOSK_KEY_NEXT,		/* Tab, Down */
	KIOSK_KEY_PREV,		/* Shift-Tab, Up */
	KIOSK_KEY_ESCAPE,	/* a lone ESC */
};

/* Where the decoder of the terminal's bytes is. */
enum kiosk_input_state {
	KIOSK_IN_GROUND,
	KIOSK_IN_UTF8,		/* NEED more continuation bytes */
	KIOSK_IN_ESC,		/* after ESC */
	KIOSK_IN_CSI,		/* ESC [ */
	KIOSK_IN_SS3,		/* ESC O */
	KIOSK_IN_STRING,	/* ESC ] P X ^ _: up to BEL or ESC \ */
	KIOSK_IN_STRING_ESC,
	KIOSK_IN_SKIP,		/* COUNT more bytes: an X10 mouse report */
};

struct kiosk_input {
	enum kiosk_input_state	 state;
	uint32_t		 cp;
	uint32_t		 min;	/* the smallest code point, no overlong */
	int			 need;
	int			 params; /* CSI parameter bytes seen */
	int			 count;	/* bytes of the sequence */
	int64_t			 last;	/* when the last bytes came */
};

enum kiosk_screen_id {
	KIOSK_IDLE,
	KIOSK_CLOSER,		/* too-small */
	KIOSK_STILL,		/* blurry, turned, tilted, pitched */
	KIOSK_LIGHT,		/* too-dark, too-bright */
	KIOSK_MOMENT,		/* ok: deciding */
	KIOSK_GRANTED,
	KIOSK_DENIED,
	KIOSK_FORM,
	KIOSK_THANKS,
	KIOSK_WAIT,		/* a visitor who has sent the form, again */
	KIOSK_APPROVED,
	KIOSK_EXPIRED,		/* the visit is no longer pending */
	KIOSK_PIN,		/* typing a PIN */
	KIOSK_PIN_REFUSED,	/* the agent's answer: why not */
	KIOSK_OFFLINE,
};

/* The colour of a screen's headline. */
enum kiosk_tone {
	KIOSK_TONE_PLAIN = 1,	/* colour pair numbers */
	KIOSK_TONE_GOOD,
	KIOSK_TONE_WAIT,
	KIOSK_TONE_BAD,
};

struct kiosk;
typedef void	 kiosk_key_fn(struct kiosk *, uint32_t key);

/*
 * A screen. Texts with "%s" are used when the screen is shown with an
 * argument (the door's name, a person's name), the others without. The
 * headline is drawn in big letters when it fits, the lines in plain bold.
 */
struct kiosk_screen {
	const char	*headline;
	const char	*headline_arg;
	const char	*line;
	const char	*line_arg;
	const char	*line2;
	enum kiosk_tone	 tone;
	int64_t		 timeout_ms;	/* 0: stays */
	kiosk_key_fn	*key;		/* NULL: keys are dropped */
};

static kiosk_key_fn kiosk_form_key, kiosk_pin_key, kiosk_idle_key;

static const struct kiosk_screen kiosk_screens[] = {
	[KIOSK_IDLE] = { "WELCOME", NULL, "Welcome", "Welcome to %s",
	    "Please look at the camera", KIOSK_TONE_PLAIN, 0,
	    kiosk_idle_key },
	[KIOSK_CLOSER] = { "STEP CLOSER", NULL, "Please step closer", NULL,
	    NULL, KIOSK_TONE_PLAIN, KIOSK_HINT_MS, kiosk_idle_key },
	[KIOSK_STILL] = { "HOLD STILL", NULL,
	    "Please look at the camera and hold still", NULL, NULL,
	    KIOSK_TONE_PLAIN, KIOSK_HINT_MS, kiosk_idle_key },
	[KIOSK_LIGHT] = { "STEP INTO THE LIGHT", NULL,
	    "Please step into the light", NULL, NULL, KIOSK_TONE_PLAIN,
	    KIOSK_HINT_MS, kiosk_idle_key },
	[KIOSK_MOMENT] = { "ONE MOMENT", NULL, "One moment...", NULL, NULL,
	    KIOSK_TONE_PLAIN, KIOSK_HINT_MS, kiosk_idle_key },
	[KIOSK_GRANTED] = { "WELCOME", "WELCOME, %s", "Welcome",
	    "Welcome, %s", "Please come in", KIOSK_TONE_GOOD,
	    KIOSK_RESULT_MS, kiosk_idle_key },
	[KIOSK_DENIED] = { "SORRY", NULL, "Sorry, you cannot come in", NULL,
	    NULL, KIOSK_TONE_BAD, KIOSK_RESULT_MS, kiosk_idle_key },
	[KIOSK_FORM] = { "PLEASE WAIT", NULL,
	    "Please wait, a guard has been called", NULL,
	    "While you wait, please type your name and e-mail",
	    KIOSK_TONE_WAIT, 0, kiosk_form_key },
	[KIOSK_THANKS] = { "THANK YOU", NULL,
	    "Thank you, a guard will be with you shortly", NULL, NULL,
	    KIOSK_TONE_GOOD, KIOSK_THANKS_MS, kiosk_idle_key },
	[KIOSK_WAIT] = { "PLEASE WAIT", NULL,
	    "Please wait, a guard has been called", NULL, NULL,
	    KIOSK_TONE_WAIT, KIOSK_THANKS_MS, kiosk_idle_key },
	[KIOSK_APPROVED] = { "APPROVED", NULL,
	    "Your visit has been approved", NULL,
	    "A guard will be with you shortly", KIOSK_TONE_GOOD,
	    2 * KIOSK_RESULT_MS, kiosk_idle_key },
	[KIOSK_EXPIRED] = { "SORRY", NULL, "Sorry, this request has expired",
	    NULL, "Please look at the camera again", KIOSK_TONE_WAIT,
	    2 * KIOSK_RESULT_MS, kiosk_idle_key },
	[KIOSK_PIN] = { "PIN", NULL,
	    "Please type your PIN or one-time code", NULL, NULL,
	    KIOSK_TONE_PLAIN, KIOSK_PIN_IDLE_MS, kiosk_pin_key },
	[KIOSK_PIN_REFUSED] = { "SORRY", NULL,
	    "Sorry, this code cannot be used", "%s", NULL, KIOSK_TONE_BAD,
	    KIOSK_RESULT_MS, kiosk_idle_key },
	[KIOSK_OFFLINE] = { "OUT OF ORDER", NULL,
	    "Out of order \xe2\x80\x94 please call reception", NULL, NULL,
	    KIOSK_TONE_BAD, 0, NULL },
};

/* The form's fields. */
enum {
	KIOSK_FIELD_NAME,
	KIOSK_FIELD_EMAIL,
	KIOSK_FIELD_PHONE,
	KIOSK_NFIELDS
};
static const char *kiosk_field_labels[KIOSK_NFIELDS] = {
	"Your name:", "Your e-mail:", "Phone (optional):"
};

struct kiosk_field {
	wchar_t		 text[KIOSK_FIELD_MAX + 1];
	size_t		 len;
};

struct kiosk {
	struct loop		*loop;
	const char		*socket;
	struct client		*client;
	char			*door;		/* the agent's door, or NULL */
	int64_t			 backoff_ms;
	int64_t			 retry_at;	/* 0: not waiting */

	enum kiosk_screen_id	 screen;
	char			*headline;	/* the screen's texts */
	char			*fallback;	/* headline without argument */
	char			*line;
	int64_t			 screen_until;	/* 0: no timeout */

	int64_t			 visit;		/* the form's, 0: none */
	struct kiosk_field	 fields[KIOSK_NFIELDS];
	size_t			 field;
	char			*error;		/* what is wrong with it */
	int64_t			 last_key;
	int64_t			 submitted;	/* the last visit sent */

	char			 pin[KIOSK_PIN_MAX + 1]; /* the PIN screen's */
	size_t			 pin_len;
	const char		*pin_error;	/* what is wrong with it */
	int			 pin_answer;	/* the screen answers a PIN */

	struct kiosk_input	 in;
	uint64_t		 timer;
	int			 dirty;
	int			 colour;
	int			 utf8;
	int			 status;
	char			*cause;
};

/* The big letters: 5 x 7 pixels, a row a byte, bit 4 the leftmost. */
struct kiosk_glyph {
	char		ch;
	uint8_t		rows[7];
};
static const struct kiosk_glyph kiosk_font[] = {
	{ ' ', { 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00 } },
	{ 'A', { 0x0e, 0x11, 0x11, 0x1f, 0x11, 0x11, 0x11 } },
	{ 'B', { 0x1e, 0x11, 0x11, 0x1e, 0x11, 0x11, 0x1e } },
	{ 'C', { 0x0e, 0x11, 0x10, 0x10, 0x10, 0x11, 0x0e } },
	{ 'D', { 0x1e, 0x11, 0x11, 0x11, 0x11, 0x11, 0x1e } },
	{ 'E', { 0x1f, 0x10, 0x10, 0x1e, 0x10, 0x10, 0x1f } },
	{ 'F', { 0x1f, 0x10, 0x10, 0x1e, 0x10, 0x10, 0x10 } },
	{ 'G', { 0x0e, 0x11, 0x10, 0x17, 0x11, 0x11, 0x0f } },
	{ 'H', { 0x11, 0x11, 0x11, 0x1f, 0x11, 0x11, 0x11 } },
	{ 'I', { 0x0e, 0x04, 0x04, 0x04, 0x04, 0x04, 0x0e } },
	{ 'J', { 0x07, 0x02, 0x02, 0x02, 0x02, 0x12, 0x0c } },
	{ 'K', { 0x11, 0x12, 0x14, 0x18, 0x14, 0x12, 0x11 } },
	{ 'L', { 0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x1f } },
	{ 'M', { 0x11, 0x1b, 0x15, 0x15, 0x11, 0x11, 0x11 } },
	{ 'N', { 0x11, 0x11, 0x19, 0x15, 0x13, 0x11, 0x11 } },
	{ 'O', { 0x0e, 0x11, 0x11, 0x11, 0x11, 0x11, 0x0e } },
	{ 'P', { 0x1e, 0x11, 0x11, 0x1e, 0x10, 0x10, 0x10 } },
	{ 'Q', { 0x0e, 0x11, 0x11, 0x11, 0x15, 0x12, 0x0d } },
	{ 'R', { 0x1e, 0x11, 0x11, 0x1e, 0x14, 0x12, 0x11 } },
	{ 'S', { 0x0f, 0x10, 0x10, 0x0e, 0x01, 0x01, 0x1e } },
	{ 'T', { 0x1f, 0x04, 0x04, 0x04, 0x04, 0x04, 0x04 } },
	{ 'U', { 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x0e } },
	{ 'V', { 0x11, 0x11, 0x11, 0x11, 0x11, 0x0a, 0x04 } },
	{ 'W', { 0x11, 0x11, 0x11, 0x15, 0x15, 0x15, 0x0a } },
	{ 'X', { 0x11, 0x11, 0x0a, 0x04, 0x0a, 0x11, 0x11 } },
	{ 'Y', { 0x11, 0x11, 0x0a, 0x04, 0x04, 0x04, 0x04 } },
	{ 'Z', { 0x1f, 0x01, 0x02, 0x04, 0x08, 0x10, 0x1f } },
	{ '0', { 0x0e, 0x11, 0x13, 0x15, 0x19, 0x11, 0x0e } },
	{ '1', { 0x04, 0x0c, 0x04, 0x04, 0x04, 0x04, 0x0e } },
	{ '2', { 0x0e, 0x11, 0x01, 0x02, 0x04, 0x08, 0x1f } },
	{ '3', { 0x1f, 0x02, 0x04, 0x02, 0x01, 0x11, 0x0e } },
	{ '4', { 0x02, 0x06, 0x0a, 0x12, 0x1f, 0x02, 0x02 } },
	{ '5', { 0x1f, 0x10, 0x1e, 0x01, 0x01, 0x11, 0x0e } },
	{ '6', { 0x06, 0x08, 0x10, 0x1e, 0x11, 0x11, 0x0e } },
	{ '7', { 0x1f, 0x01, 0x02, 0x04, 0x08, 0x08, 0x08 } },
	{ '8', { 0x0e, 0x11, 0x11, 0x0e, 0x11, 0x11, 0x0e } },
	{ '9', { 0x0e, 0x11, 0x11, 0x0f, 0x01, 0x02, 0x0c } },
	{ '.', { 0x00, 0x00, 0x00, 0x00, 0x00, 0x0c, 0x0c } },
	{ ',', { 0x00, 0x00, 0x00, 0x00, 0x0c, 0x04, 0x08 } },
	{ '!', { 0x04, 0x04, 0x04, 0x04, 0x04, 0x00, 0x04 } },
	{ '?', { 0x0e, 0x11, 0x01, 0x02, 0x04, 0x00, 0x04 } },
	{ '\'', { 0x04, 0x04, 0x08, 0x00, 0x00, 0x00, 0x00 } },
	{ '-', { 0x00, 0x00, 0x00, 0x1f, 0x00, 0x00, 0x00 } },
	{ ':', { 0x00, 0x0c, 0x0c, 0x00, 0x0c, 0x0c, 0x00 } },
	{ '(', { 0x02, 0x04, 0x08, 0x08, 0x08, 0x04, 0x02 } },
	{ ')', { 0x08, 0x04, 0x02, 0x02, 0x02, 0x04, 0x08 } },
	{ '/', { 0x00, 0x01, 0x02, 0x04, 0x08, 0x10, 0x00 } },
	{ '&', { 0x0c, 0x12, 0x14, 0x08, 0x15, 0x12, 0x0d } },
	{ '@', { 0x0e, 0x11, 0x01, 0x0d, 0x15, 0x15, 0x0e } },
	{ '+', { 0x00, 0x04, 0x04, 0x1f, 0x04, 0x04, 0x00 } },
	{ '"', { 0x0a, 0x0a, 0x0a, 0x00, 0x00, 0x00, 0x00 } },
};
#define KIOSK_GLYPH_W	5
#define KIOSK_GLYPH_H	7

/* Whether curses is on: the exit handler ends it on a fatal error. */
static int	 kiosk_curses_on;
/* The connection a blocking call waits on, for the watchdog (SIGALRM). */
static volatile sig_atomic_t kiosk_watch_fd = -1;

static void	 kiosk_show(struct kiosk *, enum kiosk_screen_id, const char *);
static void	 kiosk_resume(struct kiosk *);

/* Text. */

/*
 * Decodes the UTF-8 string S into a malloc'd wide string of the
 * characters a screen can show: what does not decode, and characters of
 * no width (controls, format characters), become '?'.
 */
static wchar_t *
kiosk_wide(const char *s)
{
	mbstate_t	 mbs;
	wchar_t		*w, wc;
	size_t		 len = strlen(s), n = 0, r;

	w = xreallocarray(NULL, len + 1, sizeof *w);
	memset(&mbs, 0, sizeof mbs);
	while (len > 0) {
		r = mbrtowc(&wc, s, len, &mbs);
		if (r == (size_t)-1 || r == (size_t)-2 || r == 0) {
			memset(&mbs, 0, sizeof mbs);
			wc = L'?';
			r = 1;
		} else if (wc == L'\t' || wc == L'\n')
			wc = L' ';
		else if (wcwidth(wc) < 1)
			wc = L'?';
		w[n++] = wc;
		s += r;
		len -= r;
	}
	w[n] = L'\0';
	return w;
}

/* The columns the N characters of W take. */
static int
kiosk_wwidth(const wchar_t *w, size_t n)
{
	int	width = 0, cw;

	for (; n > 0 && *w != L'\0'; w++, n--) {
		if ((cw = wcwidth(*w)) > 0)
			width += cw;
	}
	return width;
}

/* FMT with its "%s" (if any) replaced by ARG, malloc'd. */
static char *
kiosk_subst(const char *fmt, const char *arg)
{
	const char	*p;
	char		*s;

	if ((p = strstr(fmt, "%s")) == NULL)
		return xstrdup(fmt);
	xasprintf(&s, "%.*s%s%s", (int)(p - fmt), fmt, arg, p + 2);
	return s;
}

/* Appends code point CP to BUF (at least 5 bytes free) as UTF-8. */
static size_t
kiosk_utf8_put(char *buf, uint32_t cp)
{
	if (cp < 0x80) {
		buf[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		buf[0] = (char)(0xc0 | (cp >> 6));
		buf[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		buf[0] = (char)(0xe0 | (cp >> 12));
		buf[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		buf[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	buf[0] = (char)(0xf0 | (cp >> 18));
	buf[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	buf[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	buf[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/* A field's text as UTF-8 without the blanks around it, malloc'd. */
static char *
kiosk_field_text(const struct kiosk_field *f)
{
	size_t	 start = 0, end = f->len, i, n = 0;
	char	*s;

	while (start < end && iswspace((wint_t)f->text[start]))
		start++;
	while (end > start && iswspace((wint_t)f->text[end - 1]))
		end--;
	s = xmalloc((end - start) * 4 + 1);
	for (i = start; i < end; i++)
		n += kiosk_utf8_put(s + n, (uint32_t)f->text[i]);
	s[n] = '\0';
	return s;
}

/*
 * Whether S looks like an e-mail address a pass can be sent to: one '@'
 * with something before it, a domain with a dot inside, nothing an
 * address header would choke on.
 */
static int
kiosk_email_ok(const char *s)
{
	const char	*at, *dot;

	if ((at = strchr(s, '@')) == NULL || at == s ||
	    strchr(at + 1, '@') != NULL)
		return 0;
	if (strpbrk(s, " <>()[]\\,;:\"") != NULL)
		return 0;
	dot = strrchr(at + 1, '.');
	if (dot == NULL || dot == at + 1 || dot[1] == '\0' ||
	    strstr(at + 1, "..") != NULL || at[1] == '.')
		return 0;
	return 1;
}

/* Whether S is a phone number: digits (at least 5) and + - ( ) . / space. */
static int
kiosk_phone_ok(const char *s)
{
	int	digits = 0;

	for (; *s != '\0'; s++) {
		if (*s >= '0' && *s <= '9')
			digits++;
		else if (strchr("+-()./ ", *s) == NULL)
			return 0;
	}
	return digits >= 5;
}

/* Screens. */

/* Whether the form is open (maybe under another screen). */
static int
kiosk_form_open(struct kiosk *k)
{
	return k->visit != 0;
}

/* Closes the form, forgetting what was typed. */
static void
kiosk_form_close(struct kiosk *k)
{
	k->visit = 0;
	memset(k->fields, 0, sizeof k->fields);
	k->field = 0;
	free(k->error);
	k->error = NULL;
}

/* Opens the form for VISIT, empty. */
static void
kiosk_form_start(struct kiosk *k, int64_t visit)
{
	kiosk_form_close(k);
	k->visit = visit;
	k->last_key = loop_now_ms();
}

/* Whether anything has been typed into the form. */
static int
kiosk_form_typed(struct kiosk *k)
{
	size_t	i;

	for (i = 0; i < KIOSK_NFIELDS; i++) {
		if (k->fields[i].len != 0)
			return 1;
	}
	return 0;
}

/* Forgets the PIN being typed. */
static void
kiosk_pin_clear(struct kiosk *k)
{
	explicit_bzero(k->pin, sizeof k->pin);
	k->pin_len = 0;
	k->pin_error = NULL;
}

/*
 * Shows screen ID; ARG (the door, a person's name, a reason) fills its
 * "%s". Any screen but the PIN screen wipes the PIN being typed.
 */
static void
kiosk_show(struct kiosk *k, enum kiosk_screen_id id, const char *arg)
{
	const struct kiosk_screen	*s = &kiosk_screens[id];

	if (id != KIOSK_PIN)
		kiosk_pin_clear(k);
	k->pin_answer = 0;
	k->screen = id;
	free(k->headline);
	free(k->fallback);
	free(k->line);
	k->fallback = xstrdup(s->headline);
	if (arg != NULL && *arg != '\0' && s->headline_arg != NULL)
		k->headline = kiosk_subst(s->headline_arg, arg);
	else
		k->headline = xstrdup(s->headline);
	if (arg != NULL && *arg != '\0' && s->line_arg != NULL)
		k->line = kiosk_subst(s->line_arg, arg);
	else
		k->line = xstrdup(s->line);
	k->screen_until = 0;
	if (s->timeout_ms != 0)
		k->screen_until = loop_now_ms() + s->timeout_ms;
	k->dirty = 1;
}

/* Goes back to the form if one is open, else to idle. */
static void
kiosk_resume(struct kiosk *k)
{
	if (k->client == NULL)
		kiosk_show(k, KIOSK_OFFLINE, NULL);
	else if (kiosk_form_open(k))
		kiosk_show(k, KIOSK_FORM, NULL);
	else
		kiosk_show(k, KIOSK_IDLE, k->door);
}

static void	 kiosk_key(struct kiosk *, uint32_t);

/*
 * The terminal said nothing for KIOSK_ESC_MS: a sequence it was in the
 * middle of is over, and an ESC that nothing followed was the Escape key.
 */
static void
kiosk_input_pause(struct kiosk *k, int64_t now)
{
	enum kiosk_input_state	 was = k->in.state;

	if (was == KIOSK_IN_GROUND || now - k->in.last < KIOSK_ESC_MS)
		return;
	k->in.state = KIOSK_IN_GROUND;
	if (was == KIOSK_IN_ESC)
		kiosk_key(k, KIOSK_KEY_ESCAPE);
}

/* Runs the deadlines that have passed. */
static void
kiosk_check(struct kiosk *k)
{
	int64_t	now = loop_now_ms();

	kiosk_input_pause(k, now);
	if (kiosk_form_open(k) && now - k->last_key >= KIOSK_FORM_IDLE_MS) {
		kiosk_form_close(k);
		if (k->screen == KIOSK_FORM)
			kiosk_resume(k);
		k->dirty = 1;
	}
	if (k->screen_until != 0 && now >= k->screen_until)
		kiosk_resume(k);
}

/* The earliest deadline, or 0 for none. */
static int64_t
kiosk_deadline(struct kiosk *k)
{
	int64_t	when = 0, t[4];
	size_t	i;

	t[0] = k->screen_until;
	t[1] = kiosk_form_open(k) ? k->last_key + KIOSK_FORM_IDLE_MS : 0;
	t[2] = k->retry_at;
	t[3] = k->in.state == KIOSK_IN_ESC ? k->in.last + KIOSK_ESC_MS : 0;
	for (i = 0; i < 4; i++) {
		if (t[i] != 0 && (when == 0 || t[i] < when))
			when = t[i];
	}
	return when;
}

/* The agent. */

static void	 kiosk_lost(struct kiosk *, const char *);

/*
 * SIGALRM: a call took too long. Shutting the socket down ends the wait
 * as if the agent had closed it (shutdown is async-signal-safe); a
 * connect() in progress fails with EINTR instead.
 */
static void
kiosk_alarm(int signo)
{
	int	saved = errno;

	(void)signo;
	if (kiosk_watch_fd != -1)
		shutdown(kiosk_watch_fd, SHUT_RDWR);
	errno = saved;
}

/* Arms the watchdog over a blocking call on FD, or disarms it (-1). */
static void
kiosk_watchdog(int fd)
{
	struct itimerval	it;

	kiosk_watch_fd = -1;
	memset(&it, 0, sizeof it);
	if (fd != -1)
		it.it_value.tv_sec = KIOSK_CALL_S;
	setitimer(ITIMER_REAL, &it, NULL);
	kiosk_watch_fd = fd;
}

/*
 * Connects to the agent's socket and says hello under the watchdog (as
 * client_connect_unix, with the fd known before the hello); NULL with
 * *CAUSE.
 */
static struct client *
kiosk_dial(const char *path, char **cause)
{
	struct sockaddr_un	 sun;
	struct client		*c;
	int			 fd;

	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof sun.sun_path) {
		xasprintf(cause, "%s: socket path too long", path);
		return NULL;
	}
	memcpy(sun.sun_path, path, strlen(path) + 1);
	if ((fd = socket(AF_UNIX, SOCK_STREAM|SOCK_CLOEXEC, 0)) == -1) {
		xasprintf(cause, "socket: %s", strerror(errno));
		return NULL;
	}
	kiosk_watchdog(fd);
	if (connect(fd, (struct sockaddr *)&sun, sizeof sun) == -1) {
		kiosk_watchdog(-1);
		xasprintf(cause, "%s: %s", path, strerror(errno));
		close(fd);
		return NULL;
	}
	c = client_open_fds(fd, fd, cause);
	kiosk_watchdog(-1);
	return c;
}

/* A request under the watchdog: client_call() that cannot hang. */
static int
kiosk_call(struct kiosk *k, const char *cmd, cJSON *args,
    struct proto_reply *rep, char **cause)
{
	int	r;

	kiosk_watchdog(client_fd(k->client));
	r = client_call(k->client, cmd, args, rep, cause);
	kiosk_watchdog(-1);
	return r;
}

/* The integer member KEY of OBJ, or 0 when it is not a positive integer. */
static int64_t
kiosk_int(const cJSON *obj, const char *key)
{
	const cJSON	*item = cJSON_GetObjectItemCaseSensitive(obj, key);

	if (!cJSON_IsNumber(item) || item->valuedouble < 1 ||
	    item->valuedouble > (double)PROTO_ID_MAX ||
	    item->valuedouble != (double)(int64_t)item->valuedouble)
		return 0;
	return (int64_t)item->valuedouble;
}

/* The string member KEY of OBJ, or NULL. */
static const char *
kiosk_string(const cJSON *obj, const char *key)
{
	const cJSON	*item = cJSON_GetObjectItemCaseSensitive(obj, key);

	return cJSON_IsString(item) ? item->valuestring : NULL;
}

/* Whether the screen shows a hint about the face (or idle). */
static int
kiosk_hinting(struct kiosk *k)
{
	switch (k->screen) {
	case KIOSK_IDLE:
	case KIOSK_CLOSER:
	case KIOSK_STILL:
	case KIOSK_LIGHT:
	case KIOSK_MOMENT:
		return 1;
	default:
		return 0;
	}
}

/* What the camera sees: a hint, unless something more important shows. */
static void
kiosk_sighting(struct kiosk *k, const char *quality)
{
	enum kiosk_screen_id	id;

	if (!kiosk_hinting(k) || quality == NULL)
		return;
	if (strcmp(quality, "ok") == 0)
		id = KIOSK_MOMENT;
	else if (strcmp(quality, "too-small") == 0)
		id = KIOSK_CLOSER;
	else if (strcmp(quality, "too-dark") == 0 ||
	    strcmp(quality, "too-bright") == 0)
		id = KIOSK_LIGHT;
	else
		id = KIOSK_STILL;	/* blurry, turned, tilted, pitched */
	kiosk_show(k, id, NULL);
}

/* An unknown or uncertain visitor waits: the form, for their visit. */
static void
kiosk_pending(struct kiosk *k, const cJSON *ev)
{
	const cJSON	*updated = cJSON_GetObjectItemCaseSensitive(ev,
			    "updated");
	int64_t		 visit = kiosk_int(ev, "visit");

	/* A kiosk's own "visitor" (or another's) is not a new visitor. */
	if (visit == 0 || cJSON_IsTrue(updated))
		return;
	if (visit == k->submitted) {
		if (k->screen != KIOSK_THANKS && k->screen != KIOSK_PIN)
			kiosk_show(k, KIOSK_WAIT, NULL);
		return;
	}
	/* Someone typing keeps their form; a new face is not them. */
	if (visit != k->visit &&
	    !(kiosk_form_open(k) && kiosk_form_typed(k)))
		kiosk_form_start(k, visit);
	/* Someone typing a PIN keeps the screen: the form comes after. */
	if (k->screen != KIOSK_PIN)
		kiosk_show(k, KIOSK_FORM, NULL);
}

/* A guard decided a visit: if it is the visitor here, tell them. */
static void
kiosk_decided(struct kiosk *k, const cJSON *ev)
{
	const char	*state = kiosk_string(ev, "state");
	int64_t		 visit = kiosk_int(ev, "visit");

	if (visit == 0 || state == NULL ||
	    (visit != k->visit && visit != k->submitted))
		return;
	if (visit == k->visit)
		kiosk_form_close(k);
	if (visit == k->submitted)
		k->submitted = 0;
	if (strcmp(state, "approved") == 0)
		kiosk_show(k, KIOSK_APPROVED, NULL);
	else
		kiosk_show(k, KIOSK_DENIED, NULL);
}

/*
 * The agent's reasons for refusing a PIN (doc/PROTOCOL 4.23), in words for
 * a visitor.
 */
static const struct {
	const char	*reason;
	const char	*text;
} kiosk_pin_reasons[] = {
	{ "bad-pin", "Code not recognised" },
	{ "expired", "This code has expired" },
	{ "not-yet-valid", "This code is not valid yet" },
	{ "wrong-door", "This code is not for this door" },
	{ "revoked", "This code has been cancelled" },
	{ "replay", "This code has already been used" },
	{ "locked-out", "Too many attempts, please wait" },
	{ "clock-untrusted", "Codes cannot be checked just now, please call "
	    "reception" },
	{ "policy", "PINs are not accepted at this door" },
};

/* The words of the agent's refusal REASON, or NULL when it is none. */
static const char *
kiosk_pin_refusal(const char *reason)
{
	size_t	i;

	for (i = 0; reason != NULL &&
	    i < sizeof kiosk_pin_reasons / sizeof *kiosk_pin_reasons; i++) {
		if (strcmp(reason, kiosk_pin_reasons[i].reason) == 0)
			return kiosk_pin_reasons[i].text;
	}
	return NULL;
}

/*
 * Whether event EV is the agent's announcement of the answer to this
 * kiosk's PIN (its "granted" or "denied" event, with a PIN's reason)
 * while the screen shows that answer.
 */
static int
kiosk_pin_echo(struct kiosk *k, const struct proto_reply *ev)
{
	const char	*reason = kiosk_string(ev->root, "reason");

	if (!k->pin_answer || reason == NULL)
		return 0;
	if (strcmp(ev->type, "granted") == 0)
		return strcmp(reason, "pin") == 0 || strcmp(reason, "otp") == 0;
	if (strcmp(ev->type, "denied") == 0)
		return kiosk_pin_refusal(reason) != NULL;
	return 0;
}

/* One event from the agent. */
static void
kiosk_event(struct kiosk *k, const struct proto_reply *ev)
{
	const cJSON	*root = ev->root;

	if (kiosk_pin_echo(k, ev))
		return;
	if (strcmp(ev->type, "sighting") == 0)
		kiosk_sighting(k, kiosk_string(root, "quality"));
	else if (strcmp(ev->type, "granted") == 0)
		kiosk_show(k, KIOSK_GRANTED, ev->person);
	else if (strcmp(ev->type, "denied") == 0)
		kiosk_show(k, KIOSK_DENIED, NULL);
	else if (strcmp(ev->type, "pending") == 0 ||
	    strcmp(ev->type, "uncertain") == 0)
		kiosk_pending(k, root);
	else if (strcmp(ev->type, "visit") == 0)
		kiosk_decided(k, root);
	/* Door, alarm, person, pass, config: nothing for a visitor. */
}

/*
 * Handles the events the client has queued (they may come with a reply
 * too); a connection that ended is lost.
 */
static void
kiosk_drain(struct kiosk *k)
{
	struct proto_reply	 ev;
	char			*cause;
	int			 r;

	while (k->client != NULL) {
		r = client_next_event(k->client, 0, &ev, &cause);
		if (r == 0)
			break;
		if (r == -1) {
			kiosk_lost(k, cause);
			free(cause);
			break;
		}
		kiosk_event(k, &ev);
		proto_reply_clear(&ev);
	}
}

/* The agent's connection is readable. */
static void
kiosk_client_cb(struct loop *l, int fd, int events, void *arg)
{
	struct kiosk	*k = arg;
	char		*cause;

	(void)l;
	(void)fd;
	(void)events;
	if (client_pump(k->client, &cause) != 0) {
		/* Events that came before the end are still shown. */
		kiosk_drain(k);
		if (k->client != NULL)
			kiosk_lost(k, cause);
		free(cause);
		return;
	}
	kiosk_drain(k);
}

/* The connection failed: out of order, and a try again later. */
static void
kiosk_lost(struct kiosk *k, const char *cause)
{
	if (k->client != NULL) {
		loop_del_fd(k->loop, client_fd(k->client));
		client_free(k->client);
		k->client = NULL;
	}
	free(k->cause);
	k->cause = xstrdup(cause);
	k->retry_at = loop_now_ms() + k->backoff_ms;
	k->backoff_ms *= 2;
	if (k->backoff_ms > KIOSK_BACKOFF_MAX)
		k->backoff_ms = KIOSK_BACKOFF_MAX;
	kiosk_show(k, KIOSK_OFFLINE, NULL);
}

/* Connects to the agent and follows what the door sees. */
static void
kiosk_connect(struct kiosk *k)
{
	struct proto_reply	 rep;
	char			*cause = NULL;

	k->retry_at = 0;
	if ((k->client = kiosk_dial(k->socket, &cause)) == NULL) {
		kiosk_lost(k, cause);
		free(cause);
		return;
	}
	if (kiosk_call(k, "watch", NULL, &rep, &cause) != 0) {
		kiosk_lost(k, cause);
		free(cause);
		return;
	}
	if (!rep.ok) {
		xasprintf(&cause, "watch: %s", rep.message);
		proto_reply_clear(&rep);
		kiosk_lost(k, cause);
		free(cause);
		return;
	}
	proto_reply_clear(&rep);
	free(k->door);
	k->door = xstrdup(client_door(k->client));
	if (loop_add_fd(k->loop, client_fd(k->client), LOOP_READ,
	    kiosk_client_cb, k) == -1) {
		kiosk_lost(k, strerror(errno));
		return;
	}
	k->backoff_ms = KIOSK_BACKOFF_MIN;
	free(k->cause);
	k->cause = NULL;
	kiosk_resume(k);
	kiosk_drain(k);
}

/* The form. */

/* Sets the form's error (NULL: none). */
static void
kiosk_form_error(struct kiosk *k, const char *error)
{
	free(k->error);
	k->error = error != NULL ? xstrdup(error) : NULL;
}

/*
 * Sends what the visitor typed onto their pending request. A field that
 * is wrong keeps the form open with a message; a visit that is no longer
 * pending closes it.
 */
static void
kiosk_form_send(struct kiosk *k)
{
	struct proto_reply	 rep;
	char			*name, *email, *phone, *cause;
	cJSON			*args;
	int64_t			 visit = k->visit;

	name = kiosk_field_text(&k->fields[KIOSK_FIELD_NAME]);
	email = kiosk_field_text(&k->fields[KIOSK_FIELD_EMAIL]);
	phone = kiosk_field_text(&k->fields[KIOSK_FIELD_PHONE]);
	if (*name == '\0') {
		kiosk_form_error(k, "Please type your name");
		k->field = KIOSK_FIELD_NAME;
		goto out;
	}
	if (!kiosk_email_ok(email)) {
		kiosk_form_error(k, "Please check your e-mail address");
		k->field = KIOSK_FIELD_EMAIL;
		goto out;
	}
	if (*phone != '\0' && !kiosk_phone_ok(phone)) {
		kiosk_form_error(k, "Please check your phone number, "
		    "or leave it empty");
		k->field = KIOSK_FIELD_PHONE;
		goto out;
	}
	if (k->client == NULL)
		goto out;

	args = cJSON_CreateObject();
	if (args == NULL ||
	    cJSON_AddNumberToObject(args, "visit", (double)visit) == NULL ||
	    cJSON_AddStringToObject(args, "name", name) == NULL ||
	    cJSON_AddStringToObject(args, "email", email) == NULL ||
	    (*phone != '\0' &&
	    cJSON_AddStringToObject(args, "phone", phone) == NULL))
		fatalx("out of memory");
	if (kiosk_call(k, "visitor", args, &rep, &cause) != 0) {
		/* The form stays for when the agent is back. */
		kiosk_lost(k, cause);
		free(cause);
		goto out;
	}
	if (rep.ok) {
		kiosk_form_close(k);
		k->submitted = visit;
		kiosk_show(k, KIOSK_THANKS, NULL);
	} else if (rep.code == PROTO_ERR_NOT_FOUND) {
		kiosk_form_close(k);
		kiosk_show(k, KIOSK_EXPIRED, NULL);
	} else if (rep.code == PROTO_ERR_BAD_REQUEST)
		kiosk_form_error(k, "Please check what you typed");
	else
		kiosk_form_error(k, "Sorry, that did not work; please try "
		    "again");
	proto_reply_clear(&rep);
	kiosk_drain(k);
out:
	free(name);
	free(email);
	free(phone);
	k->dirty = 1;
}

/* The form's keys: a line editor per field, Enter to go on and send. */
static void
kiosk_form_key(struct kiosk *k, uint32_t key)
{
	struct kiosk_field	*f = &k->fields[k->field];

	switch (key) {
	case KIOSK_KEY_ENTER:
		if (k->field + 1 < KIOSK_NFIELDS)
			k->field++;
		else
			kiosk_form_send(k);
		break;
	case KIOSK_KEY_NEXT:
		if (k->field + 1 < KIOSK_NFIELDS)
			k->field++;
		break;
	case KIOSK_KEY_PREV:
		if (k->field > 0)
			k->field--;
		break;
	case KIOSK_KEY_BACKSPACE:
		if (f->len > 0)
			f->text[--f->len] = L'\0';
		kiosk_form_error(k, NULL);
		break;
	case KIOSK_KEY_KILL:
		f->len = 0;
		f->text[0] = L'\0';
		kiosk_form_error(k, NULL);
		break;
	default:
		/* Only what a screen can show, and only so much of it. */
		if (key >= 0x110000 || !iswprint((wint_t)key) ||
		    wcwidth((wchar_t)key) < 1 || f->len >= KIOSK_FIELD_MAX)
			return;
		f->text[f->len++] = (wchar_t)key;
		f->text[f->len] = L'\0';
		kiosk_form_error(k, NULL);
		break;
	}
	k->dirty = 1;
}

/* The PIN. */

/*
 * The words for an error reply CODE to "pin": an agent that knows no
 * "pin" takes no PINs; input it does not take as a PIN (the kiosk sends
 * only 4 to 10 digits) is a code not recognised; anything else is the
 * agent's trouble, not the visitor's code.
 */
static const char *
kiosk_pin_error(enum proto_error code)
{
	switch (code) {
	case PROTO_ERR_UNKNOWN_COMMAND:
		return kiosk_pin_refusal("policy");
	case PROTO_ERR_BAD_REQUEST:
		return kiosk_pin_refusal("bad-pin");
	default:
		return kiosk_pin_refusal("clock-untrusted");
	}
}

/*
 * Sends the PIN typed and shows the answer: the welcome (with the name
 * greeted, if any) or why not. The digits are wiped as they are sent; a
 * connection lost on the way is out of order, the PIN forgotten.
 */
static void
kiosk_pin_send(struct kiosk *k)
{
	struct proto_reply	 rep;
	const char		*result;
	char			*cause;
	cJSON			*args;

	if (k->pin_len < KIOSK_PIN_MIN) {
		k->pin_error = "Please type all the digits of your code";
		k->dirty = 1;
		return;
	}
	if (k->client == NULL) {
		kiosk_resume(k);
		return;
	}
	args = cJSON_CreateObject();
	if (args == NULL || cJSON_AddStringToObject(args, "pin", k->pin) ==
	    NULL)
		fatalx("out of memory");
	kiosk_pin_clear(k);
	if (kiosk_call(k, "pin", args, &rep, &cause) != 0) {
		kiosk_lost(k, cause);
		free(cause);
		return;
	}
	result = rep.ok ? kiosk_string(rep.result, "result") : NULL;
	if (result != NULL && strcmp(result, "granted") == 0)
		kiosk_show(k, KIOSK_GRANTED, kiosk_string(rep.result,
		    "person"));
	else if (rep.ok)
		kiosk_show(k, KIOSK_PIN_REFUSED, kiosk_pin_refusal(
		    kiosk_string(rep.result, "reason")));
	else
		kiosk_show(k, KIOSK_PIN_REFUSED, kiosk_pin_error(rep.code));
	k->pin_answer = 1;
	proto_reply_clear(&rep);
	kiosk_drain(k);
}

/*
 * The PIN screen's keys: digits (up to KIOSK_PIN_MAX), Backspace, Ctrl-U,
 * Enter to send, Escape to give up. Any key keeps the screen a while
 * longer.
 */
static void
kiosk_pin_key(struct kiosk *k, uint32_t key)
{
	k->screen_until = loop_now_ms() + KIOSK_PIN_IDLE_MS;
	switch (key) {
	case KIOSK_KEY_ENTER:
		kiosk_pin_send(k);
		return;
	case KIOSK_KEY_ESCAPE:
		kiosk_resume(k);
		return;
	case KIOSK_KEY_BACKSPACE:
		if (k->pin_len > 0)
			k->pin[--k->pin_len] = '\0';
		break;
	case KIOSK_KEY_KILL:
		kiosk_pin_clear(k);
		break;
	default:
		if (key < '0' || key > '9' || k->pin_len >= KIOSK_PIN_MAX)
			return;
		k->pin[k->pin_len++] = (char)key;
		k->pin[k->pin_len] = '\0';
		break;
	}
	k->pin_error = NULL;
	k->dirty = 1;
}

/* Idle, a hint or a result: a digit opens the PIN screen, typed into it. */
static void
kiosk_idle_key(struct kiosk *k, uint32_t key)
{
	if (key < '0' || key > '9' || k->client == NULL)
		return;
	kiosk_show(k, KIOSK_PIN, NULL);
	kiosk_pin_key(k, key);
}

/* The keyboard. */

/* A key: the screen's handler has it, if the screen has one. */
static void
kiosk_key(struct kiosk *k, uint32_t key)
{
	const struct kiosk_screen	*s = &kiosk_screens[k->screen];

	/* Any key shows someone is at the form, even one it ignores. */
	k->last_key = loop_now_ms();
	if (s->key != NULL)
		s->key(k, key);
}

/* The end of a CSI sequence: the keys the kiosk knows, the rest nothing. */
static void
kiosk_input_csi(struct kiosk *k, uint8_t final)
{
	switch (final) {
	case 'A':
	case 'Z':
		kiosk_key(k, KIOSK_KEY_PREV);
		break;
	case 'B':
		kiosk_key(k, KIOSK_KEY_NEXT);
		break;
	case 'M':
		/* ESC [ M and three bytes: an X10 mouse report. */
		if (k->in.params == 0) {
			k->in.state = KIOSK_IN_SKIP;
			k->in.count = 3;
			return;
		}
		break;
	}
	k->in.state = KIOSK_IN_GROUND;
}

/*
 * One byte from the terminal. Bytes that are not printable text or one
 * of the few keys the form uses are dropped; a sequence that runs too
 * long or is cut by a control character ends, so no byte can stop the
 * decoder for good.
 */
static void
kiosk_input_byte(struct kiosk *k, uint8_t b)
{
	struct kiosk_input	*in = &k->in;

again:
	switch (in->state) {
	case KIOSK_IN_GROUND:
		if (b == 0x1b) {
			in->state = KIOSK_IN_ESC;
			in->count = 0;
		} else if (b == '\r' || b == '\n')
			kiosk_key(k, KIOSK_KEY_ENTER);
		else if (b == 0x7f || b == 0x08)
			kiosk_key(k, KIOSK_KEY_BACKSPACE);
		else if (b == '\t')
			kiosk_key(k, KIOSK_KEY_NEXT);
		else if (b == 0x15)
			kiosk_key(k, KIOSK_KEY_KILL);
		else if (b < 0x20)
			kiosk_key(k, 0);	/* a control: nothing */
		else if (b < 0x80)
			kiosk_key(k, b);
		else if (b >= 0xc2 && b <= 0xdf) {
			in->state = KIOSK_IN_UTF8;
			in->cp = b & 0x1f;
			in->need = 1;
			in->min = 0x80;
		} else if (b >= 0xe0 && b <= 0xef) {
			in->state = KIOSK_IN_UTF8;
			in->cp = b & 0x0f;
			in->need = 2;
			in->min = 0x800;
		} else if (b >= 0xf0 && b <= 0xf4) {
			in->state = KIOSK_IN_UTF8;
			in->cp = b & 0x07;
			in->need = 3;
			in->min = 0x10000;
		}
		/* Other bytes above 0x7f cannot start a character. */
		break;
	case KIOSK_IN_UTF8:
		if ((b & 0xc0) != 0x80) {
			in->state = KIOSK_IN_GROUND;
			goto again;
		}
		in->cp = (in->cp << 6) | (b & 0x3f);
		if (--in->need > 0)
			break;
		in->state = KIOSK_IN_GROUND;
		if (in->cp >= in->min && in->cp <= 0x10ffff &&
		    (in->cp < 0xd800 || in->cp > 0xdfff))
			kiosk_key(k, in->cp);
		break;
	case KIOSK_IN_ESC:
		if (b == '[') {
			in->state = KIOSK_IN_CSI;
			in->params = 0;
		} else if (b == 'O')
			in->state = KIOSK_IN_SS3;
		else if (b == ']' || b == 'P' || b == 'X' || b == '^' ||
		    b == '_')
			in->state = KIOSK_IN_STRING;
		else if (b == 0x1b)
			break;
		else if (b < 0x20) {
			in->state = KIOSK_IN_GROUND;
			goto again;
		} else {
			/* Alt and a key: neither is typed. */
			in->state = KIOSK_IN_GROUND;
		}
		break;
	case KIOSK_IN_CSI:
		if (++in->count > KIOSK_SEQ_MAX || b >= 0x80) {
			in->state = KIOSK_IN_GROUND;
			break;
		}
		if (b == 0x1b) {
			in->state = KIOSK_IN_ESC;
			in->count = 0;
		} else if (b < 0x20) {
			in->state = KIOSK_IN_GROUND;
			goto again;
		} else if (b >= 0x30 && b <= 0x3f)
			in->params++;
		else if (b >= 0x40 && b <= 0x7e)
			kiosk_input_csi(k, b);
		/* 0x20 to 0x2f: intermediate bytes. */
		break;
	case KIOSK_IN_SS3:
		in->state = KIOSK_IN_GROUND;
		if (b == 'A')
			kiosk_key(k, KIOSK_KEY_PREV);
		else if (b == 'B')
			kiosk_key(k, KIOSK_KEY_NEXT);
		else if (b == 'M')
			kiosk_key(k, KIOSK_KEY_ENTER);	/* keypad Enter */
		else if (b >= 'p' && b <= 'y')
			kiosk_key(k, '0' + (uint32_t)(b - 'p')); /* keypad */
		else if (b < 0x20 || b == 0x1b)
			goto again;
		break;
	case KIOSK_IN_STRING:
		if (++in->count > KIOSK_STRING_MAX || b == 0x07)
			in->state = KIOSK_IN_GROUND;
		else if (b == 0x1b)
			in->state = KIOSK_IN_STRING_ESC;
		break;
	case KIOSK_IN_STRING_ESC:
		in->state = b == '\\' ? KIOSK_IN_GROUND : KIOSK_IN_STRING;
		break;
	case KIOSK_IN_SKIP:
		if (--in->count <= 0)
			in->state = KIOSK_IN_GROUND;
		break;
	}
}

/* The terminal is readable. */
static void
kiosk_tty_cb(struct loop *l, int fd, int events, void *arg)
{
	struct kiosk	*k = arg;
	uint8_t		 buf[4096];
	ssize_t		 n, i;
	int64_t		 now;

	(void)events;
	n = read(fd, buf, sizeof buf);
	if (n == -1 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n <= 0) {
		/* The terminal is gone (a hangup): no one can see the kiosk. */
		free(k->cause);
		xasprintf(&k->cause, "the terminal %s",
		    n == 0 ? "closed" : strerror(errno));
		k->status = 1;
		loop_del_fd(l, fd);
		loop_stop(l);
		return;
	}
	now = loop_now_ms();
	kiosk_input_pause(k, now);
	k->in.last = now;
	for (i = 0; i < n; i++)
		kiosk_input_byte(k, buf[i]);
}

/* Drawing. */

/* The glyph of C (upper case), or NULL when the font has none. */
static const struct kiosk_glyph *
kiosk_glyph(wchar_t c)
{
	size_t	i;

	if (c >= L'a' && c <= L'z')
		c = c - L'a' + L'A';
	for (i = 0; i < sizeof kiosk_font / sizeof *kiosk_font; i++) {
		if ((wchar_t)(unsigned char)kiosk_font[i].ch == c)
			return &kiosk_font[i];
	}
	return NULL;
}

/* A line of text: a span of a wide string. */
struct kiosk_span {
	const wchar_t	*s;
	size_t		 n;
};

/*
 * Breaks W into lines of at most WIDTH columns (in characters of CW
 * columns each if CW > 0, else by wcwidth), at spaces where it can and
 * inside a word where it must. Fills at most MAX spans; returns how many
 * lines there are, or -1 when BREAK_WORDS is 0 and a word does not fit.
 */
static int
kiosk_wrap(const wchar_t *w, int width, int cw, int break_words,
    struct kiosk_span *spans, int max)
{
	const wchar_t	*p = w, *end, *brk;
	int		 n = 0, used, c;

	if (width < 1)
		return -1;
	while (*p == L' ')
		p++;
	while (*p != L'\0') {
		used = 0;
		brk = NULL;
		for (end = p; *end != L'\0'; end++) {
			c = cw > 0 ? cw : wcwidth(*end);
			if (c < 0)
				c = 1;
			if (used + c > width)
				break;
			if (*end == L' ')
				brk = end;
			used += c;
		}
		if (*end != L'\0') {
			if (*end == L' ')
				brk = end;
			if (brk != NULL && brk > p)
				end = brk;
			else if (!break_words)
				return -1;
			else if (end == p)
				end = p + 1;	/* wider than the screen */
		}
		if (n < max) {
			spans[n].s = p;
			spans[n].n = (size_t)(end - p);
			while (spans[n].n > 0 && p[spans[n].n - 1] == L' ')
				spans[n].n--;
		}
		n++;
		p = end;
		while (*p == L' ')
			p++;
	}
	return n;
}

/*
 * The columns from one big letter to the next at SCALE: the glyph and a
 * gap that grows slower than it, so that a word like WELCOME is two
 * pixels a column on a screen of 80.
 */
static int
kiosk_big_advance(int scale)
{
	return KIOSK_GLYPH_W * scale + (scale + 1) / 2;
}

/* The rows a line of big letters takes at SCALE. */
static int
kiosk_big_rows(struct kiosk *k, int scale)
{
	if (k->utf8)
		return (KIOSK_GLYPH_H * scale + 1) / 2;	/* half blocks */
	return KIOSK_GLYPH_H * scale;
}

/*
 * How TEXT fits in big letters into COLS x ROWS: the largest scale (0 if
 * none, or a character has no glyph), its lines in SPANS and the rows.
 */
static int
kiosk_big_fit(struct kiosk *k, const wchar_t *text, int cols, int rows,
    struct kiosk_span *spans, int max, int *nspans, int *height)
{
	const wchar_t	*p;
	int		 scale, n, h;

	for (p = text; *p != L'\0'; p++) {
		if (kiosk_glyph(*p) == NULL)
			return 0;
	}
	for (scale = KIOSK_SCALE_MAX; scale >= 1; scale--) {
		n = kiosk_wrap(text, (cols + (scale + 1) / 2) /
		    kiosk_big_advance(scale), 1, 0, spans, max);
		if (n < 1 || n > max)
			continue;
		h = n * kiosk_big_rows(k, scale) + (n - 1);
		if (h <= rows) {
			*nspans = n;
			*height = h;
			return scale;
		}
	}
	return 0;
}

/* Whether pixel (X, Y) of the big line SPAN at SCALE is set. */
static int
kiosk_big_pixel(const struct kiosk_span *span, int scale, int x, int y)
{
	const struct kiosk_glyph	*g;
	int				 col, row;
	size_t				 i;

	if (x < 0 || y < 0 || y >= KIOSK_GLYPH_H * scale)
		return 0;
	i = (size_t)(x / kiosk_big_advance(scale));
	col = (x % kiosk_big_advance(scale)) / scale;
	row = y / scale;
	if (i >= span->n || col >= KIOSK_GLYPH_W)
		return 0;
	if ((g = kiosk_glyph(span->s[i])) == NULL)
		return 0;
	return (g->rows[row] >> (KIOSK_GLYPH_W - 1 - col)) & 1;
}

/* Draws the big line SPAN at SCALE, centred, from row Y. */
static void
kiosk_big_draw(struct kiosk *k, const struct kiosk_span *span, int scale,
    int y)
{
	static const char	*cells[4] = { " ", "\xe2\x96\x80",
				    "\xe2\x96\x84", "\xe2\x96\x88" };
	int			 width, x0, row, x, top, bottom;
	char			*buf;
	size_t			 len;

	width = (int)span->n * kiosk_big_advance(scale) - (scale + 1) / 2;
	if (width > COLS)
		width = COLS;
	x0 = (COLS - width) / 2;
	buf = xmalloc((size_t)width * 3 + 1);
	for (row = 0; row < kiosk_big_rows(k, scale); row++) {
		if (y + row >= LINES)
			break;
		len = 0;
		for (x = 0; x < width; x++) {
			if (k->utf8) {
				top = kiosk_big_pixel(span, scale, x, row * 2);
				bottom = kiosk_big_pixel(span, scale, x,
				    row * 2 + 1);
				memcpy(buf + len, cells[top | bottom << 1],
				    strlen(cells[top | bottom << 1]));
				len += strlen(cells[top | bottom << 1]);
			} else
				buf[len++] = kiosk_big_pixel(span, scale, x,
				    row) ? '#' : ' ';
		}
		buf[len] = '\0';
		mvaddstr(y + row, x0, buf);
	}
	free(buf);
}

/* Draws the wide text SPAN centred on row Y. */
static void
kiosk_centre(const struct kiosk_span *span, int y)
{
	int	width = kiosk_wwidth(span->s, span->n);

	if (y < 0 || y >= LINES)
		return;
	mvaddnwstr(y, width < COLS ? (COLS - width) / 2 : 0, span->s,
	    (int)span->n);
}

/* The attribute of colour pair PAIR, or none without colour. */
static attr_t
kiosk_colour(struct kiosk *k, int pair)
{
	return k->colour ? (attr_t)COLOR_PAIR(pair) : A_NORMAL;
}

/* The form's fields, from row Y; the cursor goes into the current one. */
static void
kiosk_draw_form(struct kiosk *k, int y, int *cy, int *cx)
{
	const struct kiosk_field	*f;
	int				 lw = 0, fw, x0, w, i, gap;
	size_t				 start;

	for (i = 0; i < KIOSK_NFIELDS; i++) {
		w = (int)strlen(kiosk_field_labels[i]);
		if (w > lw)
			lw = w;
	}
	fw = COLS - lw - 5;
	if (fw > 50)
		fw = 50;
	if (fw < 8)
		fw = 8;
	x0 = (COLS - (lw + 1 + fw)) / 2;
	if (x0 < 0)
		x0 = 0;
	gap = LINES >= 24 ? 2 : 1;
	for (i = 0; i < KIOSK_NFIELDS; i++, y += gap) {
		if (y >= LINES)
			break;
		f = &k->fields[i];
		attrset(A_BOLD);
		mvaddstr(y, x0 + lw - (int)strlen(kiosk_field_labels[i]),
		    kiosk_field_labels[i]);
		attrset((size_t)i == k->field ? A_REVERSE : A_UNDERLINE);
		mvhline(y, x0 + lw + 1, ' ', fw);
		/* The end of a long text: what is being typed. */
		start = 0;
		while (kiosk_wwidth(f->text + start, f->len - start) >
		    fw - 1)
			start++;
		mvaddnwstr(y, x0 + lw + 1, f->text + start,
		    (int)(f->len - start));
		if ((size_t)i == k->field) {
			*cy = y;
			*cx = x0 + lw + 1 + kiosk_wwidth(f->text + start,
			    f->len - start);
		}
	}
	attrset(A_NORMAL);
}

/*
 * The PIN typed, on row Y: a dot for each digit, never the digit, in a
 * field as wide as the longest PIN; the cursor after the last dot.
 */
static void
kiosk_draw_pin(struct kiosk *k, int y, int *cy, int *cx)
{
	const char	*dot = k->utf8 ? "\xe2\x97\x8f" : "*";
	int		 w = 2 * KIOSK_PIN_MAX + 1, x0 = (COLS - w) / 2;
	size_t		 i;

	if (x0 < 0)
		x0 = 0;
	if (y >= LINES)
		return;
	attrset(A_REVERSE);
	mvhline(y, x0, ' ', w);
	attrset(A_REVERSE | A_BOLD);
	for (i = 0; i < k->pin_len; i++)
		mvaddstr(y, x0 + 1 + 2 * (int)i, dot);
	attrset(A_NORMAL);
	*cy = y;
	*cx = x0 + 1 + 2 * (int)(k->pin_len < KIOSK_PIN_MAX ? k->pin_len :
	    KIOSK_PIN_MAX - 1);
}

/* N lines of which at most MAX were kept, none if the text did not fit. */
static int
kiosk_clamp(int n, int max)
{
	if (n < 0)
		return 0;
	return n > max ? max : n;
}

/*
 * Draws the screen: the headline in the largest letters that fit above
 * the lines and the form or the PIN, the whole centred; on a screen too
 * small for big letters the headline is plain bold text.
 */
static void
kiosk_draw(struct kiosk *k)
{
	const struct kiosk_screen	*s = &kiosk_screens[k->screen];
	struct kiosk_span		 head[16], lines[16], error[4];
	wchar_t				*wh, *wf, *wl, *wl2 = NULL, *we = NULL;
	int				 nhead = 0, nlines, n2 = 0, nerr = 0;
	int				 scale, head_h = 0, body_h, y, i;
	int				 form = k->screen == KIOSK_FORM;
	int				 pin = k->screen == KIOSK_PIN;
	int				 cy = -1, cx = -1, bottom, entry_h;
	const char			*hint, *err;

	erase();
	wh = kiosk_wide(k->headline);
	wf = kiosk_wide(k->fallback);
	wl = kiosk_wide(k->line);
	nlines = kiosk_clamp(kiosk_wrap(wl, COLS - 2, 0, 1, lines, 8), 8);
	if (s->line2 != NULL) {
		wl2 = kiosk_wide(s->line2);
		n2 = kiosk_clamp(kiosk_wrap(wl2, COLS - 2, 0, 1,
		    lines + nlines, 8), 8);
	}
	err = form ? k->error : pin ? k->pin_error : NULL;
	if (err != NULL) {
		we = kiosk_wide(err);
		nerr = kiosk_clamp(kiosk_wrap(we, COLS - 2, 0, 1, error, 4), 4);
	}

	/*
	 * Below the headline: the lines, then the form's fields or the PIN,
	 * what is wrong with them, a hint.
	 */
	body_h = nlines + n2;
	bottom = LINES;
	entry_h = form ? (LINES >= 24 ? 5 : 3) : 1;
	if (form || pin) {
		body_h += 1 + entry_h + 1 + (nerr > 0 ? nerr : 1);
		bottom = LINES - 1;	/* the hint's row */
		/* On a small screen the fields matter more than advice. */
		if (body_h > bottom) {
			body_h -= n2;
			n2 = 0;
		}
	}
	scale = kiosk_big_fit(k, wh, COLS - 2, bottom - body_h - 3, head, 16,
	    &nhead, &head_h);
	if (scale == 0) {
		free(wh);
		wh = NULL;
		scale = kiosk_big_fit(k, wf, COLS - 2, bottom - body_h - 3,
		    head, 16, &nhead, &head_h);
	}
	if (scale == 0) {
		/* Plain text: the line says it all. */
		nhead = 0;
		head_h = 0;
	}
	y = (bottom - (head_h + (head_h > 0) + body_h)) / 2;
	if (y < 0)
		y = 0;

	attrset(A_BOLD | kiosk_colour(k, (int)s->tone));
	for (i = 0; i < nhead; i++) {
		kiosk_big_draw(k, &head[i], scale, y);
		y += kiosk_big_rows(k, scale) + 1;
	}
	if (nhead == 0)
		attrset(A_BOLD | kiosk_colour(k, (int)s->tone));
	else
		attrset(A_BOLD);
	for (i = 0; i < nlines; i++)
		kiosk_centre(&lines[i], y++);
	attrset(A_NORMAL);
	for (i = nlines; i < nlines + n2; i++)
		kiosk_centre(&lines[i], y++);

	if (form || pin) {
		y++;
		if (form)
			kiosk_draw_form(k, y, &cy, &cx);
		else
			kiosk_draw_pin(k, y, &cy, &cx);
		y += entry_h;
		y++;
		attrset(A_BOLD | kiosk_colour(k, KIOSK_TONE_BAD));
		for (i = 0; i < nerr; i++)
			kiosk_centre(&error[i], y++);
		attrset(A_DIM);
		if (pin)
			hint = "Enter: send    Backspace: erase    Esc: cancel";
		else if (k->field + 1 < KIOSK_NFIELDS)
			hint = "Enter: next line    Backspace: erase";
		else
			hint = "Enter: send    Backspace: erase";
		if ((int)strlen(hint) <= COLS)
			mvaddstr(LINES - 1, (COLS - (int)strlen(hint)) / 2,
			    hint);
		attrset(A_NORMAL);
	}
	if (cy >= 0 && cy < LINES && cx < COLS) {
		curs_set(1);
		move(cy, cx);
	} else {
		curs_set(0);
		move(LINES - 1, 0);
	}
	refresh();
	free(wh);
	free(wf);
	free(wl);
	free(wl2);
	free(we);
}

/* The loop. */

/* Wakes the loop for a deadline; kiosk_before_sleep() does the work. */
static int64_t
kiosk_timer_cb(struct loop *l, uint64_t id, void *arg)
{
	struct kiosk	*k = arg;

	(void)l;
	(void)id;
	k->timer = 0;
	return -1;
}

/* Before the loop sleeps: deadlines, the screen, the next wake-up. */
static void
kiosk_before_sleep(struct loop *l, void *arg)
{
	struct kiosk	*k = arg;
	int64_t		 when, now;

	if (k->retry_at != 0 && loop_now_ms() >= k->retry_at)
		kiosk_connect(k);
	kiosk_check(k);
	if (k->dirty && kiosk_curses_on) {
		kiosk_draw(k);
		k->dirty = 0;
	}
	if (k->timer != 0)
		loop_del_timer(l, k->timer);
	k->timer = 0;
	if ((when = kiosk_deadline(k)) != 0) {
		now = loop_now_ms();
		k->timer = loop_add_timer(l, when > now ? when - now : 0,
		    kiosk_timer_cb, k);
	}
}

/* SIGTERM and SIGHUP end the kiosk; SIGINT does nothing (a door screen). */
static void
kiosk_signal_cb(struct loop *l, int signo, void *arg)
{
	struct kiosk	*k = arg;
	struct winsize	 ws;

	switch (signo) {
	case SIGWINCH:
		if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 &&
		    ws.ws_row > 0 && ws.ws_col > 0)
			resizeterm(ws.ws_row, ws.ws_col);
		k->dirty = 1;
		break;
	case SIGTERM:
	case SIGHUP:
		loop_stop(l);
		break;
	}
}

/* Restores the terminal on a way out that does not return (fatalx). */
static void
kiosk_atexit(void)
{
	if (kiosk_curses_on) {
		kiosk_curses_on = 0;
		endwin();
	}
}

/* Starts curses on the terminal: the screen, or NULL with *CAUSE. */
static SCREEN *
kiosk_term_start(struct kiosk *k, char **cause)
{
	static int	 registered;
	SCREEN		*sp;

	if ((sp = newterm(NULL, stdout, stdin)) == NULL) {
		xasprintf(cause, "cannot use the terminal (TERM=%s)",
		    getenv("TERM") != NULL ? getenv("TERM") : "");
		return NULL;
	}
	kiosk_curses_on = 1;
	if (!registered) {
		atexit(kiosk_atexit);
		registered = 1;
	}
	/* raw: Ctrl-C, Ctrl-Z, Ctrl-\ and Ctrl-S are bytes like others. */
	raw();
	noecho();
	nonl();
	intrflush(stdscr, FALSE);
	keypad(stdscr, FALSE);
	curs_set(0);
	if (has_colors() && !render_no_color() && start_color() == OK) {
		use_default_colors();
		init_pair(KIOSK_TONE_PLAIN, COLOR_CYAN, -1);
		init_pair(KIOSK_TONE_GOOD, COLOR_GREEN, -1);
		init_pair(KIOSK_TONE_WAIT, COLOR_YELLOW, -1);
		init_pair(KIOSK_TONE_BAD, COLOR_RED, -1);
		k->colour = 1;
	}
	return sp;
}

int
kiosk_main(const char *socket_path, char **cause)
{
	static const int	 signals[] = { SIGTERM, SIGHUP, SIGINT,
				    SIGWINCH };
	struct kiosk		 k;
	struct sigaction	 sa, old_alrm;
	SCREEN			*sp = NULL;
	const char		*cs;
	size_t			 i;

	*cause = NULL;
	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
		*cause = xstrdup("the kiosk needs a terminal");
		return 1;
	}
	/* A visitor's name may not be ASCII: UTF-8 if there is any. */
	setlocale(LC_ALL, "");
	cs = nl_langinfo(CODESET);
	if (strcmp(cs, "UTF-8") != 0 &&
	    setlocale(LC_CTYPE, "C.UTF-8") == NULL)
		setlocale(LC_CTYPE, "");

	memset(&k, 0, sizeof k);
	k.socket = socket_path;
	k.backoff_ms = KIOSK_BACKOFF_MIN;
	k.utf8 = strcmp(nl_langinfo(CODESET), "UTF-8") == 0;
	k.loop = loop_new();
	/* No SA_RESTART: the watchdog must interrupt a connect(). */
	memset(&sa, 0, sizeof sa);
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = kiosk_alarm;
	sigaction(SIGALRM, &sa, &old_alrm);
	/*
	 * The signals before curses: ncurses then leaves them to us and
	 * installs no handler of its own for SIGWINCH or SIGTERM.
	 */
	for (i = 0; i < sizeof signals / sizeof *signals; i++) {
		if (loop_add_signal(k.loop, signals[i], kiosk_signal_cb,
		    &k) == -1) {
			xasprintf(cause, "signal: %s", strerror(errno));
			k.status = 1;
			goto out;
		}
	}
	if ((sp = kiosk_term_start(&k, cause)) == NULL) {
		k.status = 1;
		goto out;
	}
	loop_add_fd(k.loop, STDIN_FILENO, LOOP_READ, kiosk_tty_cb, &k);
	loop_set_before_sleep(k.loop, kiosk_before_sleep, &k);

	kiosk_show(&k, KIOSK_IDLE, NULL);
	kiosk_connect(&k);
	if (loop_run(k.loop) == -1 && k.status == 0) {
		xasprintf(&k.cause, "poll: %s", strerror(errno));
		k.status = 1;
	}
	if (k.status != 0)
		*cause = xstrdup(k.cause != NULL ? k.cause : "failed");

out:
	if (kiosk_curses_on) {
		kiosk_curses_on = 0;
		endwin();
	}
	if (sp != NULL)
		delscreen(sp);
	kiosk_watchdog(-1);
	sigaction(SIGALRM, &old_alrm, NULL);
	client_free(k.client);
	loop_free(k.loop);
	kiosk_form_close(&k);
	free(k.door);
	free(k.headline);
	free(k.fallback);
	free(k.line);
	free(k.cause);
	return k.status;
}
