/*
 * What is shown at the door besides a face, in main: QR passes the worker
 * decoded, PINs and one-time codes typed at the kiosk.
 *
 * A QR code is checked in this order, and the first failure refuses it
 * with its word (doc/PASSES, section 5), in an event "denied" with "via"
 * "qr" and the pass id when it is known:
 *
 *	locked-out	the door (or, once the pass is known, the pass) is
 *			locked out or backing off after failures
 *	clock-untrusted	the clock is earlier than the newest stored event
 *	bad-signature, expired, not-yet-valid, wrong-door   pass_verify
 *	revoked, replay	the store: revoked, or no use left (also a pass
 *			this store never issued: "revoked")
 *	policy		the door's policy takes no pass (face+pin,
 *			face+otp, pin)
 *
 * A pass that passes goes to the decider of the track in front of the
 * camera (the live track seen last without a verdict), so the deny list
 * and qr+face's face check apply; the grant consumes the pass in the
 * transaction of its event (agent_grant). With no such track, a face or
 * qr door lets the holder in at once, and a qr+face door holds the pass
 * for AGENT_HOLD_MS for the face that comes with it.
 *
 * The same code is decoded in frame after frame while it is held up: a
 * text seen again within AGENT_CODE_REPEAT_MS of its last sighting is the
 * same showing and is ignored, so one showing is one decision, one event
 * and one failure at most.
 *
 * A PIN is matched against the passes that may open this door now (each
 * check is a scrypt of some 40 ms: a site with many passes valid at once
 * should prefer QR codes), at pin doors (with allow_pin_only) and at
 * face+pin doors (to the pass of the person whose face is in front of the
 * camera). At face+otp doors the input is matched against the one-time
 * codes sent: when K votes of a track hold for an enrolled person, a code
 * of pin_digits digits goes to their phone (SMS) or else their mail,
 * valid for otp_valid and once; typed at the kiosk while the track lasts
 * it completes the track's decision, and after the track ended (the
 * person looked down at the phone) it lets that person in by itself: the
 * face was checked when the code was sent.
 *
 * Failures (every refusal but "policy", and every denied or uncertain
 * face track: sighting.c) count against the door, and refused passes and
 * codes against the pass or person too (ratelimit.h, fail_limit in
 * fail_window); the failure that locks a key out raises an alarm
 * "lockout", and a door locked out takes no pass or PIN until it ends.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "daemon.h"
#include "log.h"
#include "loop.h"
#include "notify.h"
#include "pass.h"
#include "ratelimit.h"
#include "xmalloc.h"

/*
 * The same QR text within 5 s of its last sighting is one showing: zbar
 * misses a code in a frame now and then (motion, glare), and a person
 * holding up a phone does so for a few seconds.
 */
#define AGENT_CODE_REPEAT_MS	5000
/*
 * How long a verified pass waits for its face at a qr+face door: the time
 * to lower a phone and look at the camera.
 */
#define AGENT_HOLD_MS		10000

void
access_init(struct agent *a)
{
	a->limits = ratelimit_new();
	memset(a->codes, 0, sizeof a->codes);
	memset(&a->held, 0, sizeof a->held);
	memset(a->otps, 0, sizeof a->otps);
}

void
access_free(struct agent *a)
{
	int	i;

	for (i = 0; i < AGENT_CODES; i++)
		free(a->codes[i].text);
	memset(a->codes, 0, sizeof a->codes);
	explicit_bzero(a->otps, sizeof a->otps);
	ratelimit_free(a->limits);
	a->limits = NULL;
}

/* The rate limits of the configuration. */
static void
access_params(const struct agent *a, struct ratelimit_params *p)
{
	p->limit = (int)a->conf.fail_limit;
	p->window_ms = a->conf.fail_window;
	p->lockout_ms = a->conf.lockout;
}

/* Counts a failure against KEY; its lockout raises an alarm. */
static void
access_fail_key(struct agent *a, const char *key, int64_t now)
{
	struct ratelimit_params	 p;
	cJSON			*d;

	access_params(a, &p);
	if (!ratelimit_fail(a->limits, &p, key, now))
		return;
	d = cJSON_CreateObject();
	cJSON_AddStringToObject(d, "reason",
	    "too many failures: passes, PINs, denied or uncertain faces");
	cJSON_AddStringToObject(d, "key", key);
	agent_alarm(a, "lockout", d);
}

void
access_track_failed(struct agent *a)
{
	access_fail_key(a, "door", loop_now_ms());
}

/* Whether KEY may not try now (locked out or backing off). */
static int
access_locked(struct agent *a, const char *key, int64_t now)
{
	int	locked;

	return ratelimit_wait(a->limits, key, now, &locked) > 0;
}

/* KEY for the rate limits of pass ID or person ID. */
static void
access_key(char *buf, size_t len, const char *pass, int64_t person)
{
	if (pass != NULL && *pass != '\0')
		snprintf(buf, len, "pass:%s", pass);
	else
		snprintf(buf, len, "person:%lld", (long long)person);
}

/*
 * Refuses what was shown VIA ("qr", "pin", "otp") at TIME_MS (monotonic)
 * with REASON: the event "denied", the failure counted (but for "policy")
 * and the refusal prompt.
 */
static void
access_refuse(struct agent *a, const char *via, const char *reason,
    const char *pass, int64_t person, int64_t time_ms)
{
	cJSON	*d = cJSON_CreateObject();
	char	 key[RATELIMIT_KEY_MAX];
	int64_t	 now = loop_now_ms();

	cJSON_AddStringToObject(d, "reason", reason);
	cJSON_AddStringToObject(d, "via", via);
	if (pass != NULL && *pass != '\0')
		cJSON_AddStringToObject(d, "pass", pass);
	agent_event(a, "denied", agent_wall_ms(time_ms), person > 0 ? person :
	    0, 0, d, NULL);
	if (strcmp(reason, "policy") != 0 && strcmp(reason,
	    "locked-out") != 0) {
		access_fail_key(a, "door", now);
		if ((pass != NULL && *pass != '\0') || person > 0) {
			access_key(key, sizeof key, pass, person);
			access_fail_key(a, key, now);
		}
	}
	agent_say(a, "refused", a->conf.voice_refused);
}

/* Whether the clock can be trusted: not before the newest event. */
static int
access_clock_trusted(struct agent *a, int64_t wall)
{
	int64_t	 last;
	char	*cause = NULL;

	if (store_event_last_time(a->store, &last, &cause) != 0) {
		log_warnx("clock: %s", cause);
		free(cause);
		return 0;
	}
	return wall >= last;
}

/*
 * Looks pass ID up in the store: PASS_OK with its person in *PERSON, or
 * PASS_REVOKED (revoked, or not ours) or PASS_REPLAY (no use left).
 */
static enum pass_refusal
access_stored(struct agent *a, const char *id, int64_t *person)
{
	struct store_pass	 sp;
	enum pass_refusal	 why = PASS_OK;
	char			*cause = NULL;
	int			 r;

	memset(&sp, 0, sizeof sp);
	if ((r = store_pass_find(a->store, id, &sp, &cause)) != 0) {
		if (r == -1) {
			log_warnx("pass %s: %s", id, cause);
			free(cause);
		}
		return PASS_REVOKED;
	}
	if (sp.revoked != 0)
		why = PASS_REVOKED;
	else if (sp.uses <= 0)
		why = PASS_REPLAY;
	*person = sp.person_id;
	store_pass_clear(&sp);
	return why;
}

/*
 * A verified pass ID of HOLDER (DECIDE_NOBODY: a visitor) at TIME_MS: to
 * the track in front of the camera, or straight in, or held for a face.
 */
static void
access_pass_use(struct agent *a, const char *via, const char *id,
    int64_t holder, int64_t time_ms)
{
	struct agent_track	*t;
	enum pass_refusal	 why;
	enum decide_verdict	 v;
	char			 key[RATELIMIT_KEY_MAX];
	int64_t			 person = holder > 0 ? holder : 0;
	cJSON			*d;

	access_key(key, sizeof key, id, 0);
	if (a->conf.policy != CONFIG_POLICY_FACE &&
	    a->conf.policy != CONFIG_POLICY_QR &&
	    a->conf.policy != CONFIG_POLICY_QR_FACE) {
		access_refuse(a, via, "policy", id, person, time_ms);
		return;
	}
	if ((t = sighting_current(a)) != NULL) {
		snprintf(t->pass, sizeof t->pass, "%s", id);
		t->pass_via = via;
		v = decider_pass(t->decider, time_ms, holder);
		if (v == DECIDE_NONE)
			return;	/* qr+face: the face is still to come */
		if (sighting_verdict(a, t, &why) != 0 && why != PASS_OK)
			access_refuse(a, via, pass_refusal_name(why), id,
			    person, time_ms);
		else if (v == DECIDE_GRANTED)
			ratelimit_clear(a->limits, key);
		return;
	}
	switch (a->conf.policy) {
	case CONFIG_POLICY_FACE:
	case CONFIG_POLICY_QR:
		d = cJSON_CreateObject();
		cJSON_AddStringToObject(d, "via", via);
		if (agent_grant(a, holder, "pass", time_ms, id, d, &why) == 0)
			ratelimit_clear(a->limits, key);
		else if (why != PASS_OK)
			access_refuse(a, via, pass_refusal_name(why), id,
			    person, time_ms);
		break;
	default:
		/* qr+face: the holder's face is still to come. */
		snprintf(a->held.pass, sizeof a->held.pass, "%s", id);
		a->held.holder = holder;
		a->held.until_ms = loop_now_ms() + AGENT_HOLD_MS;
		break;
	}
}

void
access_track_new(struct agent *a, struct agent_track *t)
{
	struct agent_held	h = a->held;
	enum pass_refusal	why;

	if (h.pass[0] == '\0')
		return;
	memset(&a->held, 0, sizeof a->held);
	if (h.until_ms < loop_now_ms())
		return;
	snprintf(t->pass, sizeof t->pass, "%s", h.pass);
	t->pass_via = "qr";
	if (decider_pass(t->decider, t->last_ms, h.holder) != DECIDE_NONE &&
	    sighting_verdict(a, t, &why) != 0 && why != PASS_OK)
		access_refuse(a, "qr", pass_refusal_name(why), h.pass,
		    h.holder > 0 ? h.holder : 0, t->last_ms);
}

/* Returns 1 if TEXT was seen within AGENT_CODE_REPEAT_MS; remembers it. */
static int
access_seen(struct agent *a, const char *text, int64_t now)
{
	struct agent_code	*c, *oldest = &a->codes[0];
	int			 i, again;

	for (i = 0; i < AGENT_CODES; i++) {
		c = &a->codes[i];
		if (c->text != NULL && strcmp(c->text, text) == 0) {
			again = now - c->last_ms <= AGENT_CODE_REPEAT_MS;
			c->last_ms = now;
			return again;
		}
		if (c->text == NULL || c->last_ms < oldest->last_ms)
			oldest = c;
	}
	free(oldest->text);
	oldest->text = xstrdup(text);
	oldest->last_ms = now;
	return 0;
}

void
access_code(struct agent *a, const struct worker_code *code)
{
	struct pass		 p;
	enum pass_refusal	 why;
	char			 id[PASS_ID_HEX], key[RATELIMIT_KEY_MAX];
	int64_t			 now = loop_now_ms(), wall, person = 0;
	int			 trusted;

	if (access_seen(a, code->text, now))
		return;
	wall = agent_wall_ms(code->time_ms);
	if (access_locked(a, "door", now)) {
		access_refuse(a, "qr", "locked-out", NULL, 0, code->time_ms);
		return;
	}
	trusted = access_clock_trusted(a, wall);
	if (pass_verify(a->keyring, code->text, wall / 1000,
	    a->conf.door_name, a->conf.pass_skew / 1000, trusted, &p,
	    &why) != 0) {
		if (why == PASS_BAD_SIGNATURE)
			id[0] = '\0';
		else
			pass_id_hex(p.id, id);
		access_refuse(a, "qr", pass_refusal_name(why), id,
		    why == PASS_BAD_SIGNATURE ? 0 : p.person, code->time_ms);
		return;
	}
	pass_id_hex(p.id, id);
	access_key(key, sizeof key, id, 0);
	if (access_locked(a, key, now)) {
		access_refuse(a, "qr", "locked-out", id, p.person,
		    code->time_ms);
		return;
	}
	if ((why = access_stored(a, id, &person)) != PASS_OK) {
		access_refuse(a, "qr", pass_refusal_name(why), id, person,
		    code->time_ms);
		return;
	}
	access_pass_use(a, "qr", id, p.person > 0 ? p.person : DECIDE_NOBODY,
	    code->time_ms);
}

/* What a PIN search found. */
struct access_pin_search {
	struct agent	*a;
	const char	*pin;
	int64_t		 now;		/* wall ms */
	char		 id[STORE_PASS_ID_LEN + 1];
	int64_t		 person;
	int64_t		 not_before;
	int		 checked;
};

/* Whether the JSON array DOORS names this door (empty: every door). */
static int
access_door_in(const struct agent *a, const char *doors)
{
	cJSON		*arr = cJSON_Parse(doors);
	const cJSON	*d;
	int		 in = 0;

	if (!cJSON_IsArray(arr)) {
		cJSON_Delete(arr);
		return 0;
	}
	in = cJSON_GetArraySize(arr) == 0;
	cJSON_ArrayForEach(d, arr) {
		if (cJSON_IsString(d) && strcmp(d->valuestring,
		    a->conf.door_name) == 0)
			in = 1;
	}
	cJSON_Delete(arr);
	return in;
}

static int
access_pin_cb(const struct store_pass *sp, void *arg)
{
	struct access_pin_search	*s = arg;

	if (sp->pin_hash == NULL || !access_door_in(s->a, sp->doors))
		return 0;
	s->checked++;
	if (pass_pin_check(s->pin, sp->pin_hash) != 1)
		return 0;
	snprintf(s->id, sizeof s->id, "%s", sp->id);
	s->person = sp->person_id;
	s->not_before = sp->not_before;
	return 1;
}

/* The one-time code PIN, taken (used once), or NULL. */
static struct agent_otp *
access_otp_find(struct agent *a, const char *pin, int64_t now)
{
	struct agent_otp	*o;
	size_t			 n = strlen(pin);
	int			 i;

	for (i = 0; i < AGENT_OTPS; i++) {
		o = &a->otps[i];
		if (o->person == 0)
			continue;
		if (o->until_ms < now) {
			explicit_bzero(o, sizeof *o);
			continue;
		}
		if (strlen(o->code) == n && CRYPTO_memcmp(o->code, pin, n) == 0)
			return o;
	}
	return NULL;
}

/* The live track without a verdict that K votes hold for PERSON, or NULL. */
static struct agent_track *
access_track_of(struct agent *a, int64_t person)
{
	struct agent_track	*t;

	for (t = a->tracks; t != NULL; t = t->next) {
		if (t->verdict == DECIDE_NONE &&
		    decider_face(t->decider) == person)
			return t;
	}
	return NULL;
}

/* A one-time code typed at a face+otp door. */
static void
access_otp(struct agent *a, const char *pin, int64_t now, const char **result,
    const char **reason, int64_t *who)
{
	struct agent_otp	*o;
	struct agent_track	*t;
	enum pass_refusal	 why;
	char			 key[RATELIMIT_KEY_MAX];
	int64_t			 person;
	cJSON			*d;

	if ((o = access_otp_find(a, pin, now)) == NULL) {
		*reason = "bad-pin";
		access_refuse(a, "otp", *reason, NULL, 0, now);
		return;
	}
	person = o->person;
	explicit_bzero(o, sizeof *o);
	access_key(key, sizeof key, NULL, person);
	if (access_locked(a, key, now)) {
		*reason = "locked-out";
		access_refuse(a, "otp", *reason, NULL, person, now);
		return;
	}
	if ((t = access_track_of(a, person)) != NULL) {
		if (decider_pin(t->decider, now, person) == DECIDE_GRANTED &&
		    sighting_verdict(a, t, &why) == 0) {
			*result = "granted";
			*reason = "otp";
			*who = person;
		} else
			*reason = "policy";
	} else {
		d = cJSON_CreateObject();
		cJSON_AddStringToObject(d, "via", "otp");
		if (agent_grant(a, person, "otp", now, NULL, d, &why) == 0) {
			*result = "granted";
			*reason = "otp";
			*who = person;
		} else
			*reason = "policy";
	}
	if (*who != 0)
		ratelimit_clear(a->limits, key);
}

int
access_pin(struct agent *a, const char *input, const char **result,
    const char **reason, int64_t *who)
{
	struct access_pin_search	 s;
	struct agent_track		*t;
	enum pass_refusal		 why;
	char				 pin[PASS_PIN_MAX + 1];
	char				 key[RATELIMIT_KEY_MAX];
	char				*cause = NULL;
	int64_t				 now = loop_now_ms();
	int64_t				 wall = agent_wall_ms(now);
	int				 r;

	*result = "refused";
	*reason = "bad-pin";
	*who = 0;
	if (pass_pin_parse(input, pin, sizeof pin) != 0) {
		access_fail_key(a, "door", now);
		return -1;
	}
	if (a->conf.policy != CONFIG_POLICY_FACE_PIN &&
	    a->conf.policy != CONFIG_POLICY_FACE_OTP &&
	    (a->conf.policy != CONFIG_POLICY_PIN || !a->conf.allow_pin_only)) {
		*reason = "policy";
		access_refuse(a, "pin", *reason, NULL, 0, now);
		goto out;
	}
	if (access_locked(a, "door", now)) {
		*reason = "locked-out";
		access_refuse(a, "pin", *reason, NULL, 0, now);
		goto out;
	}
	if (a->conf.policy == CONFIG_POLICY_FACE_OTP) {
		access_otp(a, pin, now, result, reason, who);
		goto out;
	}
	if (!access_clock_trusted(a, wall)) {
		*reason = "clock-untrusted";
		access_refuse(a, "pin", *reason, NULL, 0, now);
		goto out;
	}

	memset(&s, 0, sizeof s);
	s.a = a;
	s.pin = pin;
	s.now = wall;
	if ((r = store_passes_list(a->store, wall - a->conf.pass_skew,
	    access_pin_cb, &s, &cause)) == -1) {
		log_warnx("passes: %s", cause);
		free(cause);
		*reason = "bad-pin";
		goto out;
	}
	if (r != 1) {
		access_refuse(a, "pin", *reason, NULL, 0, now);
		goto out;
	}
	access_key(key, sizeof key, s.id, 0);
	if (access_locked(a, key, now)) {
		*reason = "locked-out";
		access_refuse(a, "pin", *reason, s.id, s.person, now);
		goto out;
	}
	if (wall + a->conf.pass_skew < s.not_before) {
		*reason = "not-yet-valid";
		access_refuse(a, "pin", *reason, s.id, s.person, now);
		goto out;
	}

	if (a->conf.policy == CONFIG_POLICY_FACE_PIN) {
		/* The PIN of the person whose face is at the door. */
		if (s.person == 0 || (t = access_track_of(a,
		    s.person)) == NULL) {
			*reason = "policy";
			access_refuse(a, "pin", *reason, s.id, s.person, now);
			goto out;
		}
		snprintf(t->pass, sizeof t->pass, "%s", s.id);
		t->pass_via = "pin";
		if (decider_pin(t->decider, now, s.person) != DECIDE_GRANTED) {
			*reason = "policy";
			goto out;
		}
		r = sighting_verdict(a, t, &why);
	} else {
		cJSON *d = cJSON_CreateObject();

		cJSON_AddStringToObject(d, "via", "pin");
		r = agent_grant(a, s.person > 0 ? s.person : DECIDE_NOBODY,
		    "pin", now, s.id, d, &why);
	}
	if (r != 0) {
		*reason = why != PASS_OK ? pass_refusal_name(why) : "bad-pin";
		if (why != PASS_OK)
			access_refuse(a, "pin", *reason, s.id, s.person, now);
		goto out;
	}
	ratelimit_clear(a->limits, key);
	*result = "granted";
	*reason = "pin";
	*who = s.person;
out:
	explicit_bzero(pin, sizeof pin);
	return 0;
}

void
access_track_face(struct agent *a, struct agent_track *t)
{
	struct store_person	 p;
	struct agent_otp	*o = NULL;
	struct notify_rows	 nr;
	char			*cause = NULL, idbuf[32];
	int64_t			 person, now = loop_now_ms();
	cJSON			*d;
	int			 i, r;

	if (a->conf.policy != CONFIG_POLICY_FACE_OTP || t->otp_person != 0 ||
	    t->verdict != DECIDE_NONE)
		return;
	if ((person = decider_face(t->decider)) == DECIDE_NOBODY)
		return;
	t->otp_person = person;

	memset(&p, 0, sizeof p);
	snprintf(idbuf, sizeof idbuf, "%lld", (long long)person);
	if ((r = store_person_find(a->store, idbuf, &p, &cause)) != 0) {
		if (r == -1) {
			log_warnx("person %lld: %s", (long long)person, cause);
			free(cause);
		}
		return;
	}
	for (i = 0; i < AGENT_OTPS; i++) {
		if (a->otps[i].person == 0 || a->otps[i].until_ms < now) {
			o = &a->otps[i];
			break;
		}
		if (o == NULL || a->otps[i].until_ms < o->until_ms)
			o = &a->otps[i];
	}
	explicit_bzero(o, sizeof *o);
	if (pass_pin_new((int)a->conf.pin_digits, o->code,
	    sizeof o->code) != 0) {
		store_person_clear(&p);
		return;
	}
	memset(&nr, 0, sizeof nr);
	notify_otp(a, p.email, p.phone, o->code, &nr);
	if (nr.n == 0) {
		/* Nowhere to send it: the guard decides at the track's end. */
		log_warnx("person %lld has no phone or mail for a one-time "
		    "code", (long long)person);
		explicit_bzero(o, sizeof *o);
		store_person_clear(&p);
		return;
	}
	o->person = person;
	o->until_ms = now + a->conf.otp_valid;
	o->track = t->id;

	d = cJSON_CreateObject();
	cJSON_AddNumberToObject(d, "track", (double)t->id);
	cJSON_AddStringToObject(d, "via", nr.rows[0].kind);
	if (agent_event_rows(a, "otp", agent_wall_ms(now), person, d, &nr) != 0)
		explicit_bzero(o, sizeof *o);
	else
		agent_say(a, "code", a->conf.voice_code);
	notify_rows_free(&nr);
	store_person_clear(&p);
}
