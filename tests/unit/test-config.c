/*
 * gatehouse.conf (agent/config.c): the defaults, every type's good and bad
 * values with their edges and overflows, quoting and comments, an error
 * with FILE:LINE for every broken line, the checks between keywords, the
 * -T dump parsing back to the same configuration, the reload check, and
 * that the table, doc/gatehouse.conf.5 and etc/gatehouse.conf agree (run
 * from the top of the source tree).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "test.h"
#include "xmalloc.h"

#define NAME		"test.conf"
#define MAN_PAGE	"doc/gatehouse.conf.5"
#define SAMPLE		"etc/gatehouse.conf"
/* What the man page and the sample say models_dir is by default. */
#define DOC_MODELS_DIR	"/usr/local/share/gatehouse/models"

/* The table, as the test sees it. */
static const struct {
	const char	*name;
	const char	*def;
	int		 reload;
} table[] = {
#define TABLE_ROW(name, type, def, lo, hi, choices, check, reload, desc) \
	{ #name, def, reload },
	CONFIG_KEYWORDS(TABLE_ROW)
#undef TABLE_ROW
};
#define NTABLE	(sizeof table / sizeof table[0])

/* Parses the NUL-terminated TEXT as the file "test.conf". */
static int
parse(const char *text, struct config *c, char **cause)
{
	*cause = NULL;
	return config_parse(text, strlen(text), NAME, c, cause);
}

/* Returns the -T dump of C (malloc'd). */
static char *
dump(const struct config *c)
{
	FILE	*f;
	char	*s = NULL;
	size_t	 len = 0;

	if ((f = open_memstream(&s, &len)) == NULL) {
		perror("open_memstream");
		exit(1);
	}
	config_print(f, c);
	fclose(f);
	return s;
}

/* Returns the value KEYWORD has in the dump of C (malloc'd), or NULL. */
static char *
dump_value(const struct config *c, const char *keyword)
{
	char	*d = dump(c), *line, *next, *v = NULL;
	size_t	 n = strlen(keyword);

	for (line = d; line != NULL && *line != '\0'; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		if (strncmp(line, keyword, n) == 0 && line[n] == ' ') {
			v = xstrdup(line + n + 1);
			break;
		}
	}
	free(d);
	return v;
}

/*
 * Parses "KEYWORD VALUE" and checks that it is accepted and dumps as
 * EXPECT (NULL: as VALUE).
 */
static void
check_good(const char *keyword, const char *value, const char *expect,
    int line)
{
	struct config	 c;
	char		*text, *cause, *v;

	xasprintf(&text, "%s %s\n", keyword, value);
	if (parse(text, &c, &cause) != 0) {
		fprintf(stderr, "%s:%d: %s: \"%s\" refused: %s\n", __FILE__,
		    line, test_current, text, cause);
		test_failed_checks++;
		free(cause);
		free(text);
		return;
	}
	v = dump_value(&c, keyword);
	if (v == NULL || strcmp(v, expect != NULL ? expect : value) != 0) {
		fprintf(stderr, "%s:%d: %s: %s dumps as \"%s\", expected "
		    "\"%s\"\n", __FILE__, line, test_current, text,
		    v ? v : "(null)", expect != NULL ? expect : value);
		test_failed_checks++;
	}
	free(v);
	config_free(&c);
	free(text);
}

/*
 * Parses TEXT and checks that it is refused with a cause starting
 * "test.conf:LINENO: " and containing WHAT.
 */
static void
check_error(const char *text, size_t len, unsigned int lineno,
    const char *what, int line)
{
	struct config	 c, before;
	char		*cause = NULL, *prefix;

	/* A failed parse leaves *OUT as it was. */
	memset(&c, 0xa5, sizeof c);
	memcpy(&before, &c, sizeof c);
	xasprintf(&prefix, NAME ":%u: ", lineno);
	if (config_parse(text, len, NAME, &c, &cause) == 0) {
		fprintf(stderr, "%s:%d: %s: \"%.*s\" accepted\n", __FILE__,
		    line, test_current, (int)len, text);
		test_failed_checks++;
		config_free(&c);
	} else if (cause == NULL ||
	    strncmp(cause, prefix, strlen(prefix)) != 0 ||
	    strstr(cause, what) == NULL) {
		fprintf(stderr, "%s:%d: %s: cause \"%s\", expected \"%s...%s"
		    "...\"\n", __FILE__, line, test_current,
		    cause ? cause : "(null)", prefix, what);
		test_failed_checks++;
	} else if (memcmp(&c, &before, sizeof c) != 0) {
		fprintf(stderr, "%s:%d: %s: output written on failure\n",
		    __FILE__, line, test_current);
		test_failed_checks++;
	}
	free(prefix);
	free(cause);
}

#define GOOD(k, v)	check_good(k, v, NULL, __LINE__)
#define GOOD_AS(k, v, e) check_good(k, v, e, __LINE__)
#define ERROR(text, lineno, what)					\
	check_error(text, strlen(text), lineno, what, __LINE__)
#define ERRORN(text, len, lineno, what)					\
	check_error(text, len, lineno, what, __LINE__)
/* A bad value for K on line 1. */
#define BAD(k, v, what)		ERROR(k " " v "\n", 1, what)

TEST(test_defaults)
{
	struct config	c;

	config_defaults(&c);
	CHECK_STR(c.data_dir, "/var/lib/gatehouse");
	CHECK_STR(c.control_socket, "/run/gatehouse/agent.sock");
	CHECK_STR(c.models_dir, GATEHOUSE_MODELS_DIR);
	CHECK_STR(c.camera, "v4l2:/dev/video0");
	CHECK_NEAR(c.camera_fps, 15, 0);
	CHECK_INT(c.camera_loop, 0);
	CHECK_STR(c.door, "sim:/run/gatehouse/door");
	CHECK_INT(c.door_pulse, 3000);
	CHECK_INT(c.door_max_pulse, 10000);
	CHECK_STR(c.voice, "none");
	CHECK_INT(c.policy, CONFIG_POLICY_FACE);
	CHECK_INT(c.allow_pin_only, 0);
	CHECK_NEAR(c.match_threshold, 0.5, 0);
	CHECK_NEAR(c.match_margin, 0.05, 0);
	CHECK_NEAR(c.unknown_threshold, 0.6, 0);
	CHECK_INT(c.match_votes.k, 3);
	CHECK_INT(c.match_votes.n, 5);
	CHECK_INT(c.unknown_merge_window, 5 * 60 * 1000);
	CHECK_INT(c.pending_expire, 60 * 60 * 1000);
	CHECK_INT(c.pass_valid, 8 * 60 * 60 * 1000);
	CHECK_INT(c.pin_digits, 6);
	CHECK_INT(c.detector, CONFIG_DETECTOR_TINY);
	CHECK_INT(c.detector_input_size, 416);
	CHECK_NEAR(c.min_score, 0.5, 0);
	CHECK_INT(c.inference_threads, 0);
	CHECK_INT(c.max_pixels, 67108864);
	CHECK_STR(c.viewer_users, "");
	CHECK_STR(c.guard_users, "");
	CHECK_STR(c.admin_users, "root");
	CHECK_INT(c.retain_events, 365LL * 86400 * 1000);
	CHECK_INT(c.retain_photos, 30LL * 86400 * 1000);
	CHECK_INT(c.retain_pending, 30LL * 86400 * 1000);
	CHECK_INT(c.log_level, CONFIG_LOG_INFO);
	config_free(&c);
	CHECK(c.data_dir == NULL && c.admin_users == NULL);
	/* Freeing twice is harmless. */
	config_free(&c);
}

/* An empty file, and one of comments, are the defaults. */
TEST(test_empty)
{
	static const char *const texts[] = {
		"", "\n", "\n\n\n", "# nothing\n", "   # indented\n\t\n",
		"#data_dir /x\n# unknown_keyword z\n", "\r\n",
	};
	struct config	 c, d;
	char		*cause, *a, *b;
	size_t		 i;

	config_defaults(&d);
	b = dump(&d);
	for (i = 0; i < sizeof texts / sizeof texts[0]; i++) {
		if (parse(texts[i], &c, &cause) != 0) {
			fprintf(stderr, "text %zu: %s\n", i, cause);
			CHECK(0);
			free(cause);
			continue;
		}
		a = dump(&c);
		CHECK_STR(a, b);
		free(a);
		config_free(&c);
	}
	free(b);
	config_free(&d);
}

TEST(test_paths)
{
	GOOD("data_dir", "/srv/gatehouse");
	GOOD("data_dir", "/");
	GOOD("control_socket", "/tmp/a.sock");
	GOOD_AS("models_dir", "\"/opt/my models\"", "\"/opt/my models\"");
	GOOD_AS("data_dir", "\"/x\"", "/x");
	GOOD("data_dir", "/caf\xc3\xa9");
	BAD("data_dir", "relative/dir", "expected an absolute path");
	BAD("data_dir", "./x", "expected an absolute path");
	BAD("data_dir", "\"\"", "expected an absolute path");
	BAD("control_socket", "~/x", "bad value \"~/x\" for control_socket");
}

TEST(test_path_length)
{
	char	*text, *v;

	/* "data_dir " and 4087 bytes of path are the longest line. */
	v = xmalloc(4097);
	memset(v, 'a', 4096);
	v[0] = '/';
	v[4087] = '\0';
	check_good("data_dir", v, NULL, __LINE__);
	v[4087] = 'a';
	v[4088] = '\0';
	xasprintf(&text, "data_dir %s\n", v);
	ERROR(text, 1, "line too long");
	free(text);
	free(v);
}

TEST(test_doubles)
{
	GOOD("camera_fps", "0.1");
	GOOD("camera_fps", "120");
	GOOD_AS("camera_fps", "15.0", "15");
	GOOD_AS("camera_fps", "1e2", "100");
	GOOD_AS("camera_fps", "2.5E1", "25");
	GOOD_AS("camera_fps", ".5", "0.5");
	GOOD_AS("camera_fps", "7.", "7");
	GOOD("match_threshold", "0");
	GOOD_AS("match_threshold", "-0", "0");
	GOOD_AS("match_threshold", "0.000", "0");
	GOOD("unknown_threshold", "2");
	GOOD("match_margin", "1");
	GOOD("min_score", "0.123456789");
	GOOD_AS("min_score", "0.30000000000000004", "0.30000000000000004");
	BAD("camera_fps", "0.09", "expected a number from 0.1 to 120");
	BAD("camera_fps", "120.0001", "expected a number from 0.1 to 120");
	BAD("camera_fps", "0", "from 0.1 to 120");
	BAD("match_threshold", "-0.1", "from 0 to 2");
	BAD("match_threshold", "2.0000001", "from 0 to 2");
	BAD("match_margin", "1.5", "from 0 to 1");
	BAD("min_score", "nan", "from 0 to 1");
	BAD("min_score", "inf", "from 0 to 1");
	BAD("min_score", "0x1p-1", "from 0 to 1");
	BAD("min_score", "1e999", "from 0 to 1");
	BAD("min_score", "1e-999", "from 0 to 1");
	BAD("min_score", ".", "from 0 to 1");
	BAD("min_score", "-", "from 0 to 1");
	BAD("min_score", "0.5x", "from 0 to 1");
	BAD("min_score", "1e", "from 0 to 1");
	BAD("min_score", "+0.5", "from 0 to 1");
	BAD("min_score", "0,5", "from 0 to 1");
}

TEST(test_ints)
{
	GOOD("detector_input_size", "128");
	GOOD("detector_input_size", "1024");
	GOOD("detector_input_size", "608");
	GOOD_AS("detector_input_size", "0416", "416");
	GOOD("inference_threads", "0");
	GOOD("inference_threads", "64");
	GOOD("pin_digits", "4");
	GOOD("pin_digits", "10");
	GOOD_AS("inference_threads", "-0", "0");
	GOOD("max_pixels", "4096");
	GOOD("max_pixels", "1073741824");
	BAD("detector_input_size", "96",
	    "expected an integer from 128 to 1024");
	BAD("detector_input_size", "1056", "from 128 to 1024");
	BAD("detector_input_size", "400", "expected a multiple of 32");
	BAD("detector_input_size", "4e2", "from 128 to 1024");
	BAD("detector_input_size", "0x1a0", "from 128 to 1024");
	BAD("inference_threads", "-1", "from 0 to 64");
	BAD("pin_digits", "3", "from 4 to 10");
	BAD("pin_digits", "11", "from 4 to 10");
	GOOD("smtp_url", "smtp://127.0.0.1:2525");
	GOOD("smtp_url", "\"\"");
	BAD("smtp_url", "http://mail", "expected smtp://");
	BAD("sms_url", "smtp://x", "expected https://");
	GOOD("notify_email", "a@b.org,c@d.org");
	BAD("notify_email", "\"a@b.org, c@d.org\"", "is not a mail address");
	BAD("notify_email", "a@b.org,Bcc:x@y", "is not a mail address");
	BAD("mail_from", "door", "expected a mail address");
	GOOD("notify_sms", "+4930123456");
	BAD("notify_sms", "030123456", "is not an E.164 number");
	BAD("notify_webhook", "granted,opened", "is not an event type");
	BAD("smtp_password_file", "secret.txt", "absolute path");
	BAD("smtp_user", "\"a b\"", "without blanks");
	BAD("inference_threads", "65", "from 0 to 64");
	BAD("inference_threads", "1.0", "from 0 to 64");
	BAD("max_pixels", "4095", "from 4096 to 1073741824");
	BAD("max_pixels", "1073741825", "from 4096 to 1073741824");
	BAD("max_pixels", "9223372036854775807", "from 4096 to 1073741824");
	BAD("max_pixels", "9223372036854775808", "from 4096 to 1073741824");
	BAD("max_pixels", "-9223372036854775808", "from 4096 to 1073741824");
	BAD("max_pixels", "99999999999999999999999999", "from 4096");
}

TEST(test_bools)
{
	GOOD("camera_loop", "yes");
	GOOD("camera_loop", "no");
	GOOD("allow_pin_only", "yes");
	BAD("camera_loop", "Yes", "expected yes or no");
	BAD("camera_loop", "1", "expected yes or no");
	BAD("camera_loop", "true", "expected yes or no");
	BAD("allow_pin_only", "yess", "expected yes or no");
}

TEST(test_durations)
{
	GOOD("door_pulse", "100ms");
	GOOD("door_pulse", "500ms");
	GOOD_AS("door_pulse", "1000ms", "1s");
	GOOD_AS("door_pulse", "1500ms", "1500ms");
	GOOD_AS("door_max_pulse", "60s", "1m");
	GOOD("door_max_pulse", "1m");
	GOOD_AS("door_max_pulse", "45000ms", "45s");
	GOOD_AS("door_max_pulse", "59999ms", "59999ms");
	GOOD_AS("unknown_merge_window", "0ms", "0s");
	GOOD("unknown_merge_window", "0s");
	GOOD("unknown_merge_window", "1d");
	GOOD_AS("unknown_merge_window", "24h", "1d");
	GOOD_AS("unknown_merge_window", "1440m", "1d");
	GOOD("pending_expire", "1m");
	GOOD("pending_expire", "30d");
	GOOD_AS("pending_expire", "720h", "30d");
	GOOD("pass_valid", "1m");
	GOOD_AS("pass_valid", "480m", "8h");
	GOOD("retain_events", "36500d");
	GOOD("retain_photos", "1d");
	GOOD("retain_pending", "25h");
	GOOD_AS("retain_pending", "007d", "7d");
	BAD("door_pulse", "99ms", "expected a duration from 100ms to 1m");
	BAD("door_pulse", "3", "expected a duration");
	BAD("door_pulse", "3S", "expected a duration");
	BAD("door_pulse", "3sec", "expected a duration");
	BAD("door_pulse", "-1s", "expected a duration");
	BAD("door_pulse", "+1s", "expected a duration");
	BAD("door_pulse", "1.5s", "expected a duration");
	BAD("door_pulse", "s", "expected a duration");
	BAD("door_pulse", "1s1", "expected a duration");
	BAD("door_pulse", "1h", "expected a duration from 100ms to 1m");
	BAD("door_max_pulse", "60001ms", "from 100ms to 1m");
	BAD("unknown_merge_window", "0", "expected a duration");
	BAD("unknown_merge_window", "1441m", "from 0s to 1d");
	BAD("pending_expire", "59s", "from 1m to 30d");
	BAD("pass_valid", "59s", "from 1m to 30d");
	BAD("pass_valid", "31d", "from 1m to 30d");
	BAD("retain_events", "23h", "from 1d to 36500d");
	BAD("retain_events", "36501d", "from 1d to 36500d");
	/* INT64_MAX ms parses and is out of range; one more overflows. */
	BAD("retain_events", "9223372036854775807ms", "from 1d to 36500d");
	BAD("retain_events", "9223372036854775808ms", "from 1d to 36500d");
	/* Overflows in the multiplication by the unit. */
	BAD("retain_events", "106751991167301d", "from 1d to 36500d");
	BAD("retain_events", "2562047788015216h", "from 1d to 36500d");
	BAD("retain_events", "9223372036854776s", "from 1d to 36500d");
	BAD("retain_events", "99999999999999999999999d", "from 1d");
}

TEST(test_choices)
{
	GOOD("policy", "face");
	GOOD("policy", "face+pin");
	GOOD("policy", "face+otp");
	GOOD("policy", "qr");
	GOOD("policy", "qr+face");
	GOOD("detector", "ssd");
	GOOD("detector", "tiny");
	GOOD("log_level", "error");
	GOOD("log_level", "warn");
	GOOD("log_level", "debug");
	BAD("policy", "Face",
	    "expected one of face, face+pin, face+otp, qr, qr+face, pin");
	BAD("policy", "face+qr", "expected one of face, face+pin");
	BAD("detector", "mtcnn", "expected one of tiny, ssd");
	BAD("log_level", "warning",
	    "expected one of error, warn, info, debug");
}

TEST(test_choice_enums)
{
	struct config	 c;
	char		*cause;

	if (parse("policy qr+face\ndetector ssd\nlog_level debug\n", &c,
	    &cause) != 0) {
		fprintf(stderr, "%s\n", cause);
		CHECK(0);
		free(cause);
		return;
	}
	CHECK_INT(c.policy, CONFIG_POLICY_QR_FACE);
	CHECK_INT(c.detector, CONFIG_DETECTOR_SSD);
	CHECK_INT(c.log_level, CONFIG_LOG_DEBUG);
	config_free(&c);
}

TEST(test_votes)
{
	GOOD("match_votes", "1/1");
	GOOD("match_votes", "32/32");
	GOOD("match_votes", "1/32");
	GOOD_AS("match_votes", "03/05", "3/5");
	BAD("match_votes", "0/5", "expected K/N with 1 <= K <= N <= 32");
	BAD("match_votes", "6/5", "expected K/N");
	BAD("match_votes", "1/33", "expected K/N");
	BAD("match_votes", "33/33", "expected K/N");
	BAD("match_votes", "3/", "expected K/N");
	BAD("match_votes", "/5", "expected K/N");
	BAD("match_votes", "3/5/7", "expected K/N");
	BAD("match_votes", "3", "expected K/N");
	BAD("match_votes", "+3/5", "expected K/N");
	BAD("match_votes", "3/-5", "expected K/N");
	BAD("match_votes", "99999999999999999999/5", "expected K/N");
}

TEST(test_users)
{
	struct config	 c;
	char		*cause;
	char		 name[40];

	GOOD("admin_users", "root");
	GOOD_AS("admin_users", "\"root, @wheel ,1000\"", "root,@wheel,1000");
	GOOD_AS("guard_users", "\" alice \"", "alice");
	GOOD("guard_users", "\"\"");
	GOOD_AS("guard_users", "\"  \"", "\"\"");
	GOOD("viewer_users", "_x,a.b-c,m$,@g_1,0,4294967294");
	BAD("admin_users", "root,,alice", "expected user names, uids or "
	    "@groups separated by commas");
	BAD("admin_users", "root,", "expected user names");
	BAD("admin_users", ",root", "expected user names");
	BAD("admin_users", "@", "expected user names");
	BAD("admin_users", "-root", "expected user names");
	BAD("admin_users", "4294967295", "expected user names");
	BAD("admin_users", "\"alice bob\"", "expected user names");
	BAD("admin_users", "1x", "expected user names");
	BAD("admin_users", "@1", "expected user names");
	BAD("admin_users", "a$b", "expected user names");

	/* 32 bytes of name is the most. */
	memset(name, 'u', 32);
	name[32] = '\0';
	GOOD("admin_users", name);
	name[32] = 'u';
	name[33] = '\0';
	check_error("admin_users uuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuu\n", 46, 1,
	    "expected user names", __LINE__);

	if (parse("admin_users \"root, 0\"\n", &c, &cause) == 0) {
		CHECK_STR(c.admin_users, "root,0");
		config_free(&c);
	} else {
		CHECK(0);
		free(cause);
	}
}

TEST(test_camera)
{
	GOOD("camera", "v4l2:/dev/video0");
	GOOD("camera", "v4l2:/dev/video255");
	GOOD("camera", "v4l2:/dev/video1,640x480");
	GOOD("camera", "v4l2:/dev/video1,1280x720@30");
	GOOD("camera", "v4l2:/dev/video1,1x1@1");
	GOOD("camera", "v4l2:/dev/video1,8192x8192@240");
	GOOD("camera", "http://10.0.0.9/mjpg/video.mjpg");
	GOOD("camera", "https://cam.example:8443/snapshot.jpg?user=x");
	GOOD("camera", "file:/var/lib/gatehouse/camera");
	GOOD("camera", "\"file:/tmp/my frames\"");
	BAD("camera", "v4l2:/dev/video256", "expected v4l2:/dev/videoN with N "
	    "from 0 to 255");
	BAD("camera", "v4l2:/dev/video", "expected v4l2:/dev/videoN");
	BAD("camera", "v4l2:/dev/sda", "expected v4l2:/dev/videoN");
	BAD("camera", "v4l2:/dev/video0,", "sides from 1 to 16384");
	BAD("camera", "v4l2:/dev/video0,640", "sides from 1 to 16384");
	BAD("camera", "v4l2:/dev/video0,640x", "sides from 1 to 16384");
	BAD("camera", "v4l2:/dev/video0,0x480", "sides from 1 to 16384");
	BAD("camera", "v4l2:/dev/video0,16385x1", "sides from 1 to 16384");
	BAD("camera", "v4l2:/dev/video0,640x480@", "FPS from 1 to 240");
	BAD("camera", "v4l2:/dev/video0,640x480@0", "FPS from 1 to 240");
	BAD("camera", "v4l2:/dev/video0,640x480@241", "FPS from 1 to 240");
	BAD("camera", "v4l2:/dev/video0,640x480@30x", "FPS from 1 to 240");
	BAD("camera", "v4l2:/dev/video0x", "expected v4l2:/dev/videoN");
	BAD("camera", "http://", "expected a URL with a host");
	BAD("camera", "https:///x", "expected a URL with a host");
	BAD("camera", "\"http://a b\"", "expected a URL with a host");
	BAD("camera", "file:relative", "expected file: and an absolute path");
	BAD("camera", "file:", "expected file: and an absolute path");
	BAD("camera", "rtsp://cam/", "expected v4l2:/dev/videoN[,WIDTHxHEIGHT"
	    "[@FPS]], http://URL, https://URL or file:DIR");
	BAD("camera", "/dev/video0", "expected v4l2:");
}

TEST(test_door)
{
	GOOD("door", "sim:/tmp/door");
	GOOD("door", "gpiod:gpiochip0:17");
	GOOD("door", "gpiod:/dev/gpiochip1:0,active_low");
	GOOD("door", "gpiod:gpiochip0:17,contact=27,exit=22");
	GOOD("door", "gpiod:gpiochip0:17,exit=22,active_low,contact=27");
	GOOD("door", "gpiod:pinctrl-bcm2711:65535");
	BAD("door", "sim:door", "expected sim: and an absolute path");
	BAD("door", "relay:1", "expected sim:FILE or gpiod:CHIP:LINE");
	BAD("door", "gpiod:gpiochip0", "expected gpiod:CHIP:LINE");
	BAD("door", "gpiod::17", "expected gpiod:CHIP:LINE");
	BAD("door", "gpiod:gpiochip0:", "expected a GPIO line offset");
	BAD("door", "gpiod:gpiochip0:65536", "from 0 to 65535");
	BAD("door", "gpiod:gpiochip0:x", "expected a GPIO line offset");
	BAD("door", "gpiod:gpiochip0:17,", "expected options active_low");
	BAD("door", "gpiod:gpiochip0:17,active_high", "expected options");
	BAD("door", "gpiod:gpiochip0:17,active_lowx", "expected options");
	BAD("door", "gpiod:gpiochip0:17,contact=", "GPIO line offset");
	BAD("door", "gpiod:gpiochip0:17,contact=17", "lines must differ");
	BAD("door", "gpiod:gpiochip0:17,contact=3,exit=3", "lines must differ");
	BAD("door", "gpiod:gpiochip0:17,exit=17", "lines must differ");
	BAD("door", "gpiod:gpiochip0:17,active_low,active_low", "twice");
	BAD("door", "gpiod:gpiochip0:17,contact=1,contact=2", "twice");
	BAD("door", "gpiod:gpiochip0:17,exit=1,exit=2", "twice");
	BAD("door", "gpiod:gpiochip0:17x", "expected options");
	BAD("door", "gpiod:gpio:chip:1", "expected a GPIO line offset");
}

TEST(test_voice)
{
	GOOD("voice", "none");
	GOOD("voice", "portaudio");
	GOOD("voice", "wav:/tmp/voice");
	BAD("voice", "wav:rel", "expected wav:DIR (an absolute path), "
	    "portaudio or none");
	BAD("voice", "alsa", "expected wav:DIR");
	BAD("voice", "None", "expected wav:DIR");
}

TEST(test_syntax)
{
	struct config	 c;
	char		*cause;
	static const char text[] =
	    "# a comment\n"
	    "\n"
	    "   \t# an indented comment\n"
	    "\tdoor_pulse\t\t5s   \n"
	    "camera_fps 30\r\n"
	    "data_dir \"/srv/gate house\"\n"
	    "  voice   \"none\"\t\n"
	    "#door_pulse 9s\n"
	    "# caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x9a\xaa\n"
	    "log_level debug";

	if (parse(text, &c, &cause) != 0) {
		fprintf(stderr, "%s\n", cause);
		CHECK(0);
		free(cause);
		return;
	}
	CHECK_INT(c.door_pulse, 5000);
	CHECK_NEAR(c.camera_fps, 30, 0);
	CHECK_STR(c.data_dir, "/srv/gate house");
	CHECK_STR(c.voice, "none");
	CHECK_INT(c.log_level, CONFIG_LOG_DEBUG);
	config_free(&c);
}

TEST(test_syntax_errors)
{
	static const char	nul[] = "door_pulse 3s\ncamera_fps 1\0 5\n";
	char			long_line[CONFIG_MAX_LINE + 100];
	size_t			n;

	ERROR("camera #x\n", 1, "bad value \"#x\" for camera");
	ERROR("door_pulse 3s # three seconds\n", 1,
	    "unexpected text after the value of door_pulse");
	ERROR("\n\ndoor_pulse 3s 4s\n", 3, "unexpected text after the value");
	ERROR("data_dir \"/a b\"c\n", 1, "unexpected text after the value");
	ERROR("data_dir \"/a b\" c\n", 1, "unexpected text after the value");
	ERROR("data_dir \"/a b\n", 1, "unterminated quote in the value of "
	    "data_dir");
	ERROR("data_dir /a\"b\"\n", 1, "quote inside the value of data_dir");
	ERROR("data_dir /a\"\n", 1, "quote inside the value");
	ERROR("# ok\nfoo bar\n", 2, "unknown keyword \"foo\"");
	ERROR("Data_Dir /x\n", 1, "unknown keyword \"Data_Dir\"");
	ERROR("DATA_DIR /x\n", 1, "unknown keyword");
	ERROR("data_dir=/x\n", 1, "unknown keyword \"data_dir=/x\"");
	ERROR("\"data_dir\" /x\n", 1, "unknown keyword");
	ERROR("door_pulse\n", 1, "missing value for door_pulse");
	ERROR("door_pulse   \t\n", 1, "missing value for door_pulse");
	ERROR("door_pulse", 1, "missing value for door_pulse");
	ERROR("door_pulse 3s\n\n# x\ndoor_pulse 3s\n", 4,
	    "duplicate keyword door_pulse (first on line 1)");
	ERROR("camera_fps 5\nx\n", 2, "unknown keyword \"x\"");

	/* 4096 bytes is the longest line; the newline is not counted. */
	memset(long_line, ' ', sizeof long_line);
	memcpy(long_line, "# ", 2);
	long_line[CONFIG_MAX_LINE] = '\n';
	n = CONFIG_MAX_LINE + 1;
	memcpy(long_line + n, "door_pulse 1\n", 13);
	ERRORN(long_line, n + 13, 2, "bad value \"1\" for door_pulse");
	long_line[CONFIG_MAX_LINE] = ' ';
	long_line[CONFIG_MAX_LINE + 1] = '\n';
	ERRORN(long_line, CONFIG_MAX_LINE + 2, 1,
	    "line too long (limit 4096 bytes)");
	/* Also without a newline, or with CR LF (the CR is not counted). */
	ERRORN(long_line, CONFIG_MAX_LINE + 1, 1, "line too long");
	long_line[CONFIG_MAX_LINE] = '\r';
	long_line[CONFIG_MAX_LINE + 1] = '\n';
	memcpy(long_line + CONFIG_MAX_LINE + 2, "x\n", 2);
	ERRORN(long_line, CONFIG_MAX_LINE + 4, 2, "unknown keyword \"x\"");

	ERRORN(nul, sizeof nul - 1, 2, "NUL byte");
	ERROR("# \xff\n", 1, "invalid UTF-8");
	ERROR("\n# \xc0\x80\n", 2, "invalid UTF-8");
	ERROR("# \xc3\n", 1, "invalid UTF-8");
	ERROR("# \xc3", 1, "invalid UTF-8");
	ERROR("# \xe2\x82\n", 1, "invalid UTF-8");
	ERROR("# \xed\xa0\x80\n", 1, "invalid UTF-8");
	ERROR("# \xf4\x90\x80\x80\n", 1, "invalid UTF-8");
	ERROR("# \xe0\x80\xaf\n", 1, "invalid UTF-8");
	ERROR("# \xf8\x88\x80\x80\x80\n", 1, "invalid UTF-8");
	ERROR("data_dir /\xc3\x28\n", 1, "invalid UTF-8");
	ERROR("# \x01\n", 1, "control character");
	ERROR("# \x7f\n", 1, "control character");
	ERROR("# \xc2\x85\n", 1, "control character");
	ERROR("door_pulse 3s\rcamera_fps 1\n", 1, "control character");
	ERROR("data_dir /x\r\r\n", 1, "control character");
	ERROR("data_dir \x1b[31m\n", 1, "control character");
}

TEST(test_cross_checks)
{
	struct config	 c;
	char		*cause;

	ERROR("door_pulse 20s\n", 1,
	    "door_pulse 20s is longer than door_max_pulse 10s");
	ERROR("door_max_pulse 1s\n", 1, "door_pulse 3s is longer than "
	    "door_max_pulse 1s");
	ERROR("door_max_pulse 1s\n# x\ndoor_pulse 2s\n", 3,
	    "door_pulse 2s is longer than door_max_pulse 1s");
	ERROR("door_pulse 2s\n\ndoor_max_pulse 1500ms\n", 3,
	    "door_pulse 2s is longer than door_max_pulse 1500ms");
	ERROR("unknown_threshold 0.4\n", 1,
	    "unknown_threshold 0.4 is below match_threshold 0.5");
	ERROR("unknown_threshold 0.4\nmatch_threshold 0.45\n", 2,
	    "unknown_threshold 0.4 is below match_threshold 0.45");
	ERROR("match_threshold 0.7\n", 1, "is below match_threshold 0.7");
	ERROR("policy pin\n", 1, "policy pin needs allow_pin_only yes");
	ERROR("\npolicy pin\nallow_pin_only no\n", 3,
	    "policy pin needs allow_pin_only yes");
	ERROR("camera v4l2:/dev/video0,16384x16384\n", 1,
	    "camera frames of 16384x16384 are larger than max_pixels "
	    "67108864");
	ERROR("camera v4l2:/dev/video0,640x480\nmax_pixels 300000\n", 2,
	    "larger than max_pixels 300000");

	/* The limits themselves are fine. */
	if (parse("door_pulse 10s\nunknown_threshold 0.5\n"
	    "camera v4l2:/dev/video0,8192x8192\n"
	    "allow_pin_only yes\npolicy pin\n", &c, &cause) != 0) {
		fprintf(stderr, "%s\n", cause);
		CHECK(0);
		free(cause);
		return;
	}
	CHECK_INT(c.policy, CONFIG_POLICY_PIN);
	CHECK_INT(c.door_pulse, c.door_max_pulse);
	config_free(&c);
}

/* The dump of C parses back to a configuration that dumps the same. */
static void
check_round_trip(const struct config *c, int line)
{
	struct config	 back;
	char		*a, *b, *cause, *la, *lb, *na, *nb;

	a = dump(c);
	if (config_parse(a, strlen(a), "dump", &back, &cause) != 0) {
		fprintf(stderr, "%s:%d: %s: the dump does not parse: %s\n",
		    __FILE__, line, test_current, cause);
		test_failed_checks++;
		free(cause);
		free(a);
		return;
	}
	b = dump(&back);
	/* Keyword by keyword, so a failure names the field. */
	for (la = a, lb = b; *la != '\0' && *lb != '\0'; la = na, lb = nb) {
		na = strchr(la, '\n');
		nb = strchr(lb, '\n');
		*na++ = '\0';
		*nb++ = '\0';
		if (strcmp(la, lb) != 0) {
			fprintf(stderr, "%s:%d: %s: \"%s\" dumps back as "
			    "\"%s\"\n", __FILE__, line, test_current, la, lb);
			test_failed_checks++;
		}
	}
	CHECK(*la == '\0' && *lb == '\0');
	free(a);
	free(b);
	config_free(&back);
}

TEST(test_dump)
{
	struct config	 c;
	char		*d, *cause, *line, *next;
	size_t		 i, n = 0;
	static const char text[] =
	    "data_dir \"/srv/gate house\"\n"
	    "control_socket /tmp/g.sock\n"
	    "models_dir /opt/models\n"
	    "camera v4l2:/dev/video2,1280x720@25\n"
	    "camera_fps 0.30000000000000004\n"
	    "camera_loop yes\n"
	    "door gpiod:gpiochip0:17,active_low,contact=27,exit=22\n"
	    "door_name front-door.2\n"
	    "door_pulse 1500ms\n"
	    "door_max_pulse 1m\n"
	    "held_open_after 90s\n"
	    "voice wav:/tmp/voice\n"
	    "voice_welcome \"Hello %n, 100%% welcome\"\n"
	    "voice_wait \"One moment please\"\n"
	    "voice_refused \"No entry\"\n"
	    "voice_code \"Type the code\"\n"
	    "voice_alarm \"Alarm\"\n"
	    "loiter_after 1h\n"
	    "policy pin\n"
	    "liveness require\n"
	    "allow_pin_only yes\n"
	    "match_threshold 0.1\n"
	    "match_margin 1e-3\n"
	    "unknown_threshold 1.9999999999999998\n"
	    "match_votes 7/32\n"
	    "unknown_merge_window 0ms\n"
	    "pending_expire 36h\n"
	    "pass_valid 90m\n"
	    "pin_digits 10\n"
	    "pass_skew 0s\n"
	    "otp_valid 1h\n"
	    "fail_limit 100\n"
	    "fail_window 1d\n"
	    "lockout 24h\n"
	    "detector ssd\n"
	    "detector_input_size 1024\n"
	    "min_score 0.987654321\n"
	    "inference_threads 64\n"
	    "worker_user 65534\n"
	    "max_pixels 1000000\n"
	    "kiosk_users kiosk\n"
	    "viewer_users \"a, b ,@c\"\n"
	    "guard_users 1000\n"
	    "admin_users \"\"\n"
	    "smtp_url smtps://mail.example.org:465\n"
	    "smtp_user door\n"
	    "smtp_password_file /etc/gatehouse/smtp-password\n"
	    "mail_from door@example.org\n"
	    "sms_url https://api.example.org/sms\n"
	    "sms_user AC123\n"
	    "sms_token_file /etc/gatehouse/sms-token\n"
	    "sms_from +4930123456\n"
	    "webhook_url http://127.0.0.1:8080/hook\n"
	    "webhook_secret_file /etc/gatehouse/webhook-secret\n"
	    "notify_email a@example.org,b@example.org\n"
	    "notify_sms +4930123457\n"
	    "notify_webhook alarm\n"
	    "outbox_attempts 100\n"
	    "outbox_backoff 1h\n"
	    "retain_events 36500d\n"
	    "retain_photos 86400s\n"
	    "retain_pending 1441m\n"
	    "log_level error\n";

	config_defaults(&c);
	d = dump(&c);
	/* Every keyword once, in table order, as "keyword value". */
	for (line = d; *line != '\0'; line = next) {
		next = strchr(line, '\n');
		*next++ = '\0';
		if (n < NTABLE) {
			CHECK(strncmp(line, table[n].name,
			    strlen(table[n].name)) == 0 &&
			    line[strlen(table[n].name)] == ' ');
		}
		n++;
	}
	CHECK_INT(n, NTABLE);
	free(d);
	check_round_trip(&c, __LINE__);
	config_free(&c);

	if (parse(text, &c, &cause) != 0) {
		fprintf(stderr, "%s\n", cause);
		CHECK(0);
		free(cause);
		return;
	}
	check_round_trip(&c, __LINE__);
	d = dump(&c);
	CHECK(strstr(d, "data_dir \"/srv/gate house\"\n") != NULL);
	CHECK(strstr(d, "viewer_users a,b,@c\n") != NULL);
	CHECK(strstr(d, "admin_users \"\"\n") != NULL);
	CHECK(strstr(d, "door_max_pulse 1m\n") != NULL);
	CHECK(strstr(d, "retain_photos 1d\n") != NULL);
	CHECK(strstr(d, "retain_pending 1441m\n") != NULL);
	CHECK(strstr(d, "unknown_merge_window 0s\n") != NULL);
	CHECK(strstr(d, "match_margin 0.001\n") != NULL);
	CHECK(strstr(d, "unknown_threshold 1.9999999999999998\n") != NULL);
	CHECK(strstr(d, "policy pin\n") != NULL);
	free(d);
	/* Each keyword's value differs from its default. */
	for (i = 0; i < NTABLE; i++) {
		struct config	 def;
		char		*a, *b;

		config_defaults(&def);
		a = dump_value(&c, table[i].name);
		b = dump_value(&def, table[i].name);
		if (a == NULL || b == NULL || strcmp(a, b) == 0) {
			fprintf(stderr, "%s: %s is its default in the test\n",
			    test_current, table[i].name);
			CHECK(0);
		}
		free(a);
		free(b);
		config_free(&def);
	}
	config_free(&c);
}

TEST(test_reload)
{
	struct config	 old, new;
	char		*cause = NULL;

	config_defaults(&old);
	config_defaults(&new);
	CHECK_INT(config_reload_check(&old, &new, &cause), 0);
	config_free(&new);

	if (parse("door_pulse 5s\npolicy qr\nadmin_users \"root, @adm\"\n"
	    "log_level debug\nmatch_votes 2/3\nretain_events 10d\n", &new,
	    &cause) != 0) {
		CHECK(0);
		free(cause);
		config_free(&old);
		return;
	}
	CHECK_INT(config_reload_check(&old, &new, &cause), 0);
	CHECK(cause == NULL);
	config_free(&new);

	/* The first keyword in table order that may not change is named. */
	if (parse("detector ssd\ncamera file:/tmp/c\ndoor_pulse 5s\n", &new,
	    &cause) != 0) {
		CHECK(0);
		free(cause);
		config_free(&old);
		return;
	}
	CHECK_INT(config_reload_check(&old, &new, &cause), -1);
	CHECK_STR(cause, "camera cannot change on reload (from "
	    "v4l2:/dev/video0 to file:/tmp/c); restart the agent");
	free(cause);
	cause = NULL;
	config_free(&new);

	if (parse("data_dir \"/a b\"\n", &new, &cause) != 0) {
		CHECK(0);
		free(cause);
		config_free(&old);
		return;
	}
	CHECK_INT(config_reload_check(&old, &new, &cause), -1);
	CHECK(cause != NULL && strncmp(cause, "data_dir cannot change",
	    22) == 0 && strstr(cause, "\"/a b\"") != NULL);
	free(cause);
	cause = NULL;
	config_free(&new);

	/* Written differently but the same value is no change. */
	if (parse("door_max_pulse 10000ms\ndetector_input_size 0416\n", &new,
	    &cause) != 0) {
		CHECK(0);
		free(cause);
		config_free(&old);
		return;
	}
	CHECK_INT(config_reload_check(&old, &new, &cause), 0);
	config_free(&new);

	if (parse("door_max_pulse 20s\n", &new, &cause) != 0) {
		CHECK(0);
		free(cause);
		config_free(&old);
		return;
	}
	CHECK_INT(config_reload_check(&old, &new, &cause), -1);
	CHECK(cause != NULL && strstr(cause, "door_max_pulse") == cause);
	free(cause);
	config_free(&new);
	config_free(&old);
}

TEST(test_load)
{
	struct config	 c;
	char		*path, *cause = NULL, *big;
	FILE		*f;
	size_t		 i;

	xasprintf(&path, "%s/gatehouse.conf", test_tmpdir());
	if ((f = fopen(path, "w")) == NULL) {
		perror(path);
		exit(1);
	}
	fputs("# test\ndoor_pulse 4s\n", f);
	fclose(f);
	if (config_load(path, &c, &cause) != 0) {
		fprintf(stderr, "%s\n", cause);
		CHECK(0);
		free(cause);
		cause = NULL;
	} else {
		CHECK_INT(c.door_pulse, 4000);
		config_free(&c);
	}

	/* Errors name the path. */
	if ((f = fopen(path, "w")) == NULL) {
		perror(path);
		exit(1);
	}
	fputs("# test\ndoor_pulse 4\n", f);
	fclose(f);
	CHECK_INT(config_load(path, &c, &cause), -1);
	CHECK(cause != NULL && strncmp(cause, path, strlen(path)) == 0 &&
	    strncmp(cause + strlen(path), ":2: bad value", 13) == 0);
	free(cause);
	cause = NULL;

	/* A file past the limit is refused before it is parsed. */
	if ((f = fopen(path, "w")) == NULL) {
		perror(path);
		exit(1);
	}
	big = xmalloc(1024);
	memset(big, '#', 1023);
	big[1023] = '\n';
	for (i = 0; i <= CONFIG_MAX_FILE / 1024; i++)
		fwrite(big, 1, 1024, f);
	fclose(f);
	free(big);
	CHECK_INT(config_load(path, &c, &cause), -1);
	CHECK(cause != NULL && strstr(cause, "too large") != NULL);
	free(cause);
	cause = NULL;
	free(path);

	xasprintf(&path, "%s/no-such.conf", test_tmpdir());
	CHECK_INT(config_load(path, &c, &cause), -1);
	CHECK(cause != NULL && strncmp(cause, path, strlen(path)) == 0);
	free(cause);
	cause = NULL;
	CHECK_INT(config_load(test_tmpdir(), &c, &cause), -1);
	CHECK(cause != NULL);
	free(cause);
	free(path);
}

/*
 * Checks that "KEYWORD VALUE", read from a document at FILE:LINE, gives
 * KEYWORD the table's default. models_dir's default is the installation's,
 * which the documents give for PREFIX=/usr/local.
 */
static void
check_doc_default(const char *file, int line, const char *keyword,
    const char *value)
{
	struct config	 c, def;
	char		*text, *cause, *a, *b;

	if (strcmp(keyword, "models_dir") == 0 &&
	    strcmp(GATEHOUSE_MODELS_DIR, DOC_MODELS_DIR) != 0) {
		CHECK_STR(value, DOC_MODELS_DIR);
		return;
	}
	xasprintf(&text, "%s %s\n", keyword, value);
	if (parse(text, &c, &cause) != 0) {
		fprintf(stderr, "%s:%d: \"%s %s\": %s\n", file, line, keyword,
		    value, cause);
		test_failed_checks++;
		free(cause);
		free(text);
		return;
	}
	config_defaults(&def);
	a = dump_value(&c, keyword);
	b = dump_value(&def, keyword);
	if (a == NULL || b == NULL || strcmp(a, b) != 0) {
		fprintf(stderr, "%s:%d: %s default %s, the table says %s\n",
		    file, line, keyword, value, b ? b : "(null)");
		test_failed_checks++;
	}
	free(a);
	free(b);
	config_free(&c);
	config_free(&def);
	free(text);
}

/* The index of KEYWORD in the table, or -1. */
static int
table_find(const char *keyword)
{
	size_t	i;

	for (i = 0; i < NTABLE; i++) {
		if (strcmp(table[i].name, keyword) == 0)
			return (int)i;
	}
	return -1;
}

/*
 * Removes mdoc's escapes and trailing punctuation from a macro argument:
 * \&"\&" is "", and "x ;" is x.
 */
static void
man_unescape(char *s)
{
	char	*p, *q;
	size_t	 n;

	for (p = q = s; *p != '\0'; p++) {
		if (p[0] == '\\' && p[1] == '&') {
			p++;
			continue;
		}
		*q++ = *p;
	}
	*q = '\0';
	n = strlen(s);
	while (n > 0 && strchr(" ;,.", s[n - 1]) != NULL)
		s[--n] = '\0';
}

/*
 * Cuts a macro argument after the value: at the first blank, or after the
 * closing \&" of a quoted value holding blanks (\&"a b\&").
 */
static void
man_cut_value(char *s)
{
	char	*end;

	if (strncmp(s, "\\&\"", 3) == 0 &&
	    (end = strstr(s + 3, "\\&\"")) != NULL)
		end[3] = '\0';
	else
		s[strcspn(s, " ")] = '\0';
}

/*
 * The man page: every keyword of the table has one ".It Cm keyword" in the
 * keyword list and no other, its default ("Default X" or "Default" then
 * ".Pa X", ".Ql X" or ".Cm X") is the table's, and it says "reloadable" or
 * "restart" as the table does.
 */
TEST(test_man_page)
{
	char		*text, *line, *next, *v, *word;
	size_t		 len, i;
	int		 seen[NTABLE], depth = 0, cur = -1, lineno = 0;
	int		 reloadable = 0, restart = 0, want_default = 0;
	int		 defaults = 0;

	if ((text = test_read_file(MAN_PAGE, &len)) == NULL) {
		test_skip("no %s (run from the top of the tree)", MAN_PAGE);
		return;
	}
	memset(seen, 0, sizeof seen);
	for (line = text; line != NULL; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		lineno++;
		if (strncmp(line, ".Bl ", 4) == 0)
			depth++;
		/* The end of an entry: check what it said. */
		if (cur >= 0 && ((depth == 1 && strncmp(line, ".It ", 4) == 0)
		    || (depth == 1 && strcmp(line, ".El") == 0))) {
			if (reloadable == restart || reloadable !=
			    table[cur].reload) {
				fprintf(stderr, "%s: %s: reloadable %d, "
				    "restart %d, the table says reload %d\n",
				    MAN_PAGE, table[cur].name, reloadable,
				    restart, table[cur].reload);
				CHECK(0);
			}
			if (defaults != 1) {
				fprintf(stderr, "%s: %s: %d defaults\n",
				    MAN_PAGE, table[cur].name, defaults);
				CHECK(0);
			}
			cur = -1;
		}
		if (strcmp(line, ".El") == 0) {
			depth--;
			continue;
		}
		if (depth == 1 && strncmp(line, ".It Cm ", 7) == 0) {
			word = xstrdup(line + 7);
			word[strcspn(word, " ")] = '\0';
			if ((cur = table_find(word)) == -1) {
				fprintf(stderr, "%s:%d: %s is not in the "
				    "table\n", MAN_PAGE, lineno, word);
				CHECK(0);
			} else
				seen[cur]++;
			free(word);
			reloadable = restart = want_default = defaults = 0;
			continue;
		}
		if (cur < 0)
			continue;
		if (strstr(line, "reloadable") != NULL)
			reloadable = 1;
		if (strstr(line, "restart") != NULL)
			restart = 1;
		if (want_default) {
			want_default = 0;
			if (line[0] != '.' || strchr(line, ' ') == NULL) {
				fprintf(stderr, "%s:%d: no default value\n",
				    MAN_PAGE, lineno);
				CHECK(0);
				continue;
			}
			v = xstrdup(strchr(line, ' ') + 1);
			man_cut_value(v);
			man_unescape(v);
			check_doc_default(MAN_PAGE, lineno, table[cur].name, v);
			defaults++;
			free(v);
		} else if (strcmp(line, "Default") == 0)
			want_default = 1;
		else if ((word = strstr(line, "Default ")) != NULL) {
			v = xstrdup(word + 8);
			v[strcspn(v, " ;")] = '\0';
			man_unescape(v);
			check_doc_default(MAN_PAGE, lineno, table[cur].name, v);
			defaults++;
			free(v);
		}
	}
	for (i = 0; i < NTABLE; i++) {
		if (seen[i] != 1) {
			fprintf(stderr, "%s: %s is listed %d times\n",
			    MAN_PAGE, table[i].name, seen[i]);
			CHECK(0);
		}
	}
	free(text);
}

/*
 * The sample: every "#keyword value" line (a '#' then a lower-case
 * letter, no blank) names a keyword of the table, once, with the table's
 * default, and every keyword has one. Uncommented, the lines are a valid
 * file, and the sample as it stands parses to the defaults.
 */
TEST(test_sample)
{
	struct config	 c, def;
	char		*text, *line, *next, *kw, *value, *cause, *a, *b;
	size_t		 len, i;
	int		 seen[NTABLE], k, lineno = 0;

	if ((text = test_read_file(SAMPLE, &len)) == NULL) {
		test_skip("no %s (run from the top of the tree)", SAMPLE);
		return;
	}
	if (config_load(SAMPLE, &c, &cause) != 0) {
		fprintf(stderr, "%s\n", cause);
		CHECK(0);
		free(cause);
	} else {
		config_defaults(&def);
		a = dump(&c);
		b = dump(&def);
		CHECK_STR(a, b);
		free(a);
		free(b);
		config_free(&c);
		config_free(&def);
	}

	memset(seen, 0, sizeof seen);
	for (line = text; line != NULL && *line != '\0'; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		lineno++;
		if (line[0] != '#' || line[1] < 'a' || line[1] > 'z')
			continue;
		kw = line + 1;
		if ((value = strchr(kw, ' ')) == NULL) {
			fprintf(stderr, "%s:%d: no value\n", SAMPLE, lineno);
			CHECK(0);
			continue;
		}
		*value++ = '\0';
		if ((k = table_find(kw)) == -1) {
			fprintf(stderr, "%s:%d: %s is not in the table\n",
			    SAMPLE, lineno, kw);
			CHECK(0);
			continue;
		}
		seen[k]++;
		check_doc_default(SAMPLE, lineno, kw, value);
	}
	for (i = 0; i < NTABLE; i++) {
		if (seen[i] != 1) {
			fprintf(stderr, "%s: %s is there %d times\n", SAMPLE,
			    table[i].name, seen[i]);
			CHECK(0);
		}
	}
	free(text);
}

/* Every default in the table parses as a value of the file. */
TEST(test_table_defaults)
{
	size_t	i;

	for (i = 0; i < NTABLE; i++) {
		if (table[i].def[0] == '\0')
			check_good(table[i].name, "\"\"", NULL, __LINE__);
		else if (strchr(table[i].def, ' ') == NULL)
			check_good(table[i].name, table[i].def, NULL,
			    __LINE__);
	}
}

int
main(void)
{
	RUN(test_defaults);
	RUN(test_empty);
	RUN(test_paths);
	RUN(test_path_length);
	RUN(test_doubles);
	RUN(test_ints);
	RUN(test_bools);
	RUN(test_durations);
	RUN(test_choices);
	RUN(test_choice_enums);
	RUN(test_votes);
	RUN(test_users);
	RUN(test_camera);
	RUN(test_door);
	RUN(test_voice);
	RUN(test_syntax);
	RUN(test_syntax_errors);
	RUN(test_cross_checks);
	RUN(test_dump);
	RUN(test_reload);
	RUN(test_load);
	RUN(test_man_page);
	RUN(test_sample);
	RUN(test_table_defaults);
	return test_main_end("test-config");
}
