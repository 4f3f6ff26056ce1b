/*
 * The keywords of gatehouse.conf, in one table. config.h makes the fields
 * of struct config from it; config.c makes the parser, the defaults, the
 * check (-t), the reload check and the effective-config dump (-T). The
 * keyword list of doc/gatehouse.conf.5 and the sample etc/gatehouse.conf
 * are written by hand; tests/unit/test-config.c checks that they agree with
 * this table. The order here is the order of the -T dump.
 *
 *	X(name, type, default, lo, hi, choices, check, reload, description)
 *
 * type		PATH (an absolute path), STRING (checked by CHECK), BOOL
 *		(yes or no), INT, DOUBLE, DURATION (milliseconds, written
 *		with a unit), CHOICE (one of CHOICES, stored as its index),
 *		VOTES (K/N) or USERS (a list of user names, uids and @groups)
 * default	the value as written in gatehouse.conf; config_defaults()
 *		parses it like a value in the file, so it is checked too
 * lo, hi	the inclusive range of INT, DOUBLE and DURATION (in ms)
 * choices	for CHOICE, the array of the choices' names (config.c)
 * check	for STRING and INT, a further check (config.c), else NULL
 * reload	1 if a reload (SIGHUP) may change it, 0 if only a restart may
 *
 * Only config.c expands the choices and check columns, so the names in
 * them need to exist only there.
 */
#ifndef CONFIG_KEYWORDS_H
#define CONFIG_KEYWORDS_H

#include <stdint.h>

#ifndef GATEHOUSE_MODELS_DIR
#define GATEHOUSE_MODELS_DIR	"/usr/local/share/gatehouse/models"
#endif

/* Durations in the table, in milliseconds. */
#define CONFIG_MSEC(n)	((int64_t)(n))
#define CONFIG_SEC(n)	((int64_t)(n) * 1000)
#define CONFIG_MIN(n)	((int64_t)(n) * 60 * 1000)
#define CONFIG_HOUR(n)	((int64_t)(n) * 60 * 60 * 1000)
#define CONFIG_DAY(n)	((int64_t)(n) * 24 * 60 * 60 * 1000)

/*
 * The choices of the CHOICE keywords: C(identifier, name). config.h makes
 * enums of them (CONFIG_POLICY_FACE, ...), config.c the names.
 */
#define CONFIG_POLICIES(C)						\
	C(POLICY_FACE, "face")						\
	C(POLICY_FACE_PIN, "face+pin")					\
	C(POLICY_FACE_OTP, "face+otp")					\
	C(POLICY_QR, "qr")						\
	C(POLICY_QR_FACE, "qr+face")					\
	C(POLICY_PIN, "pin")
#define CONFIG_LIVENESS(C)						\
	C(LIVENESS_OFF, "off")						\
	C(LIVENESS_WARN, "warn")					\
	C(LIVENESS_REQUIRE, "require")
#define CONFIG_DETECTORS(C)						\
	C(DETECTOR_TINY, "tiny")					\
	C(DETECTOR_SSD, "ssd")
/* In the order of enum log_level (shared/log.h). */
#define CONFIG_LOG_LEVELS(C)						\
	C(LOG_ERROR, "error")						\
	C(LOG_WARN, "warn")						\
	C(LOG_INFO, "info")						\
	C(LOG_DEBUG, "debug")

/*
 * The ranges, and why:
 *
 * camera_fps: 0.1 frames per second still sees a person who waits at the
 * door; more than 120 is beyond USB cameras and only burns CPU.
 *
 * door_pulse and door_max_pulse: under 100 ms a strike may not release;
 * the door keeper's hard ceiling is 60 s, past which a door held open is
 * an open door, not a pulse. door_pulse must also stay under
 * door_max_pulse (a check after parsing).
 *
 * match_threshold and unknown_threshold: descriptors are unit-length
 * 128-D vectors, so their euclidean distance lies in [0, 2].
 * match_margin: a margin above 1 would never grant anybody.
 *
 * match_votes: K of the last N descriptors of a track; 32 descriptors are
 * about two seconds of a track at 15 fps, past which a track is stale.
 *
 * unknown_merge_window: sightings of one unknown face this close are one
 * visit; a day is the longest that can still be called one visit.
 * pending_expire: a visitor does not wait at a door for more than a day
 * and less than a minute gives a guard no time to answer; 30 days allows a
 * request left for a guard's next shift without ever keeping one forever.
 *
 * pass_valid: the window of a pass when the guard gives none; under a
 * minute a visitor cannot reach the door, and a pass is for a visit, not
 * a standing badge, so a month is the longest default.
 *
 * pin_digits: PASS_PIN_MIN to PASS_PIN_MAX of agent/pass.h (the kiosk
 * accepts no other length); 4 digits are the fewest a keypad lockout
 * still protects.
 *
 * detector_input_size: TinyFaceDetector's grid needs a multiple of 32;
 * under 128 it finds almost nothing, over 1024 it is slower than SSD.
 *
 * pass_skew: a door box without a network drifts by seconds a day; an
 * hour is the most that is still a clock and not a wrong date.
 *
 * otp_valid: long enough to read an SMS and type it, short enough that a
 * code read over a shoulder is stale; an hour at most.
 *
 * fail_limit, fail_window and lockout: a keypad of 6 digits and 5
 * failures per 10 minutes, the lockout doubling, leaves a guesser years
 * (doc/PASSES, section 7); a day is the longest lockout a door should
 * need a guard for.
 *
 * outbox_attempts, outbox_backoff: with the default 30 s doubling (at most
 * an hour between tries), 10 tries cover about five hours of a mail server
 * being down before a message is dead-lettered.
 *
 * loiter_after: a visitor waits for a guard for a minute or two; five
 * seconds is for tests and busy doorways, an hour the longest anybody
 * would want to be told about late.
 *
 * held_open_after: a door held open for a second is someone walking
 * through; an hour is the longest wait that is still an alarm.
 *
 * inference_threads: 0 is one per core; 64 bounds a typo.
 *
 * max_pixels: the largest image decoded; 64 Mpx (the default, as
 * gatehouse-agent analyze) is past any camera, 1 Gpx would be 3 GiB of
 * RGB. 4096 px is the smallest useful frame (64 x 64).
 *
 * retain_*: at least a day, so a typo never erases yesterday; at most
 * a hundred years.
 */
#define CONFIG_KEYWORDS(X)						\
	X(data_dir, PATH, "/var/lib/gatehouse", 0, 0, NULL, NULL, 0,	\
	    "where the store, photos and keys live")			\
	X(control_socket, PATH, "/run/gatehouse/agent.sock", 0, 0,	\
	    NULL, NULL, 0, "the agent's Unix control socket")		\
	X(models_dir, PATH, GATEHOUSE_MODELS_DIR, 0, 0, NULL, NULL, 0,	\
	    "where the face-api model files are")			\
	X(camera, STRING, "v4l2:/dev/video0", 0, 0, NULL,		\
	    config_check_camera, 0, "the camera at the door")		\
	X(camera_fps, DOUBLE, "15", 0.1, 120, NULL, NULL, 1,		\
	    "frames analysed per second")				\
	X(camera_loop, BOOL, "no", 0, 0, NULL, NULL, 1,			\
	    "start a file camera over when its frames run out")		\
	X(door, STRING, "sim:/run/gatehouse/door", 0, 0, NULL,		\
	    config_check_door, 0, "the door relay and its sensors")	\
	X(door_name, STRING, "door", 0, 0, NULL, config_check_name, 0,	\
	    "the door's name in events and consoles")			\
	X(door_pulse, DURATION, "3s", CONFIG_MSEC(100), CONFIG_SEC(60),	\
	    NULL, NULL, 1, "how long a grant releases the door")	\
	X(door_max_pulse, DURATION, "10s", CONFIG_MSEC(100),		\
	    CONFIG_SEC(60), NULL, NULL, 0,				\
	    "the longest pulse the door keeper allows")			\
	X(held_open_after, DURATION, "30s", CONFIG_SEC(1), CONFIG_HOUR(1), \
	    NULL, NULL, 1, "a door open longer than this raises an alarm") \
	X(loiter_after, DURATION, "2m", CONFIG_SEC(5), CONFIG_HOUR(1),	\
	    NULL, NULL, 1,						\
	    "a face not let in and in view this long raises an alarm")	\
	X(voice, STRING, "none", 0, 0, NULL, config_check_voice, 1,	\
	    "how the door speaks to visitors")				\
	X(voice_welcome, STRING, "Welcome, %n", 0, 0, NULL,		\
	    config_check_welcome, 1, "what a granted person hears")	\
	X(voice_wait, STRING, "Please wait, a guard has been called", 0, \
	    0, NULL, config_check_prompt, 1,				\
	    "what an unknown or uncertain visitor hears")		\
	X(voice_refused, STRING, "Sorry, I cannot let you in", 0, 0,	\
	    NULL, config_check_prompt, 1, "what a refused visitor hears") \
	X(voice_code, STRING, "Please type the code we sent you", 0, 0,	\
	    NULL, config_check_prompt, 1,				\
	    "what a person hears when a one-time code is sent")	\
	X(voice_alarm, STRING, "Security alert. A guard has been called", \
	    0, 0, NULL, config_check_prompt, 1,				\
	    "what the door says at a deny-listed face, tailgating or a "	\
	    "forced door")						\
	X(policy, CHOICE, "face", 0, 0, config_policies, NULL, 1,	\
	    "what lets a person in")					\
	X(allow_pin_only, BOOL, "no", 0, 0, NULL, NULL, 1,		\
	    "whether policy pin is allowed")				\
	X(liveness, CHOICE, "warn", 0, 0, config_liveness, NULL, 1,	\
	    "whether a face must show it is alive: off, warn, require")	\
	X(match_threshold, DOUBLE, "0.5", 0, 2, NULL, NULL, 1,		\
	    "the largest descriptor distance that is a match")		\
	X(match_margin, DOUBLE, "0.05", 0, 1, NULL, NULL, 1,		\
	    "how much the best person must beat the second")		\
	X(unknown_threshold, DOUBLE, "0.6", 0, 2, NULL, NULL, 1,	\
	    "the smallest distance that is an unknown person")		\
	X(match_votes, VOTES, "3/5", 1, 32, NULL, NULL, 1,		\
	    "K of the last N descriptors must agree")			\
	X(unknown_merge_window, DURATION, "5m", 0, CONFIG_DAY(1), NULL,	\
	    NULL, 1, "sightings of one unknown face this close merge")	\
	X(pending_expire, DURATION, "1h", CONFIG_MIN(1), CONFIG_DAY(30), \
	    NULL, NULL, 1, "how long a visitor's request waits")	\
	X(pass_valid, DURATION, "8h", CONFIG_MIN(1), CONFIG_DAY(30),	\
	    NULL, NULL, 1, "how long an approved visitor's pass is valid") \
	X(pin_digits, INT, "6", 4, 10, NULL, NULL, 1,			\
	    "the digits of a visitor's PIN and of a one-time code")	\
	X(pass_skew, DURATION, "1m", 0, CONFIG_HOUR(1), NULL, NULL, 1,	\
	    "how far off the clock may be at a pass's ends")		\
	X(otp_valid, DURATION, "5m", CONFIG_SEC(30), CONFIG_HOUR(1),	\
	    NULL, NULL, 1, "how long a face+otp one-time code is valid") \
	X(fail_limit, INT, "5", 1, 100, NULL, NULL, 1,			\
	    "failed passes or PINs within fail_window that lock out")	\
	X(fail_window, DURATION, "10m", CONFIG_MIN(1), CONFIG_DAY(1),	\
	    NULL, NULL, 1, "the window fail_limit counts in")		\
	X(lockout, DURATION, "5m", CONFIG_SEC(10), CONFIG_HOUR(24),	\
	    NULL, NULL, 1, "the first lockout; each next one doubles")	\
	X(detector, CHOICE, "tiny", 0, 0, config_detectors, NULL, 0,	\
	    "the face detector")					\
	X(detector_input_size, INT, "416", 128, 1024, NULL,		\
	    config_check_input_size, 0,					\
	    "TinyFaceDetector's input size")				\
	X(min_score, DOUBLE, "0.5", 0, 1, NULL, NULL, 1,		\
	    "the detection score a face must exceed")			\
	X(inference_threads, INT, "0", 0, 64, NULL, NULL, 0,		\
	    "inference threads, 0 for one per core")			\
	X(worker_user, STRING, "nobody", 0, 0, NULL, config_check_user,	\
	    0, "the user the vision worker runs as, when started as root") \
	X(max_pixels, INT, "67108864", 4096, 1073741824, NULL, NULL, 0,	\
	    "the largest image decoded, in pixels")			\
	X(kiosk_users, USERS, "", 0, 0, NULL, NULL, 1,			\
	    "who may run the kiosk on the door's screen")		\
	X(viewer_users, USERS, "", 0, 0, NULL, NULL, 1,			\
	    "who may watch")						\
	X(guard_users, USERS, "", 0, 0, NULL, NULL, 1,			\
	    "who may approve and deny visitors")			\
	X(admin_users, USERS, "root", 0, 0, NULL, NULL, 1,		\
	    "who may change people, passes and doors")			\
	X(smtp_url, STRING, "", 0, 0, NULL, config_check_smtp_url, 1,	\
	    "the mail server: smtp://HOST:PORT or smtps://, empty for none") \
	X(smtp_user, STRING, "", 0, 0, NULL, config_check_word, 1,	\
	    "the mail server's user, empty for no login")		\
	X(smtp_password_file, STRING, "", 0, 0, NULL, config_check_file, \
	    1, "a file holding the mail server's password")		\
	X(mail_from, STRING, "", 0, 0, NULL, config_check_address, 1,	\
	    "the sender of the agent's mail")				\
	X(sms_url, STRING, "", 0, 0, NULL, config_check_http_url, 1,	\
	    "the SMS gateway (Twilio-compatible), empty for none")	\
	X(sms_user, STRING, "", 0, 0, NULL, config_check_word, 1,	\
	    "the SMS gateway's account")				\
	X(sms_token_file, STRING, "", 0, 0, NULL, config_check_file, 1,	\
	    "a file holding the SMS gateway's token")			\
	X(sms_from, STRING, "", 0, 0, NULL, config_check_phone, 1,	\
	    "the number SMS come from")					\
	X(webhook_url, STRING, "", 0, 0, NULL, config_check_http_url, 1, \
	    "where events are POSTed as JSON, empty for none")		\
	X(webhook_secret_file, STRING, "", 0, 0, NULL, config_check_file, \
	    1, "a file holding the webhooks' HMAC key")			\
	X(notify_email, STRING, "", 0, 0, NULL, config_check_addresses,	\
	    1, "who is mailed about visitors and alarms")		\
	X(notify_sms, STRING, "", 0, 0, NULL, config_check_phones, 1,	\
	    "who gets an SMS about alarms")				\
	X(notify_webhook, STRING, "pending,uncertain,denied,alarm", 0, 0, \
	    NULL, config_check_event_types, 1,				\
	    "the event types sent to webhook_url")			\
	X(outbox_attempts, INT, "10", 1, 100, NULL, NULL, 1,		\
	    "tries before a notification is dead-lettered")		\
	X(outbox_backoff, DURATION, "30s", CONFIG_SEC(1),		\
	    CONFIG_HOUR(1), NULL, NULL, 1,				\
	    "the wait before a notification's first retry")		\
	X(retain_events, DURATION, "365d", CONFIG_DAY(1),		\
	    CONFIG_DAY(36500), NULL, NULL, 1, "how long events are kept") \
	X(retain_photos, DURATION, "30d", CONFIG_DAY(1),		\
	    CONFIG_DAY(36500), NULL, NULL, 1, "how long photos are kept") \
	X(retain_pending, DURATION, "30d", CONFIG_DAY(1),		\
	    CONFIG_DAY(36500), NULL, NULL, 1,				\
	    "how long answered requests are kept")			\
	X(log_level, CHOICE, "info", 0, 0, config_log_levels, NULL, 1,	\
	    "the most verbose messages logged")

#endif
