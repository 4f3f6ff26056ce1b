/*
 * Tests of agent/voice.c: the WAV files the wav backend writes (header
 * fields checked by hand, real speech of a plausible length, ordered
 * names), bad folders and names, the none backend, synthesis time, and
 * PortAudio both with no sound device and through an ALSA file PCM (each
 * in a child process, since ALSA reads its configuration from HOME once).
 */
#include <sys/stat.h>
#include <sys/wait.h>

#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "test.h"
#include "voice.h"

/* What check_wav() found in a WAV file. */
struct wav_info {
	size_t	samples;
	int	peak;		/* largest absolute sample */
	double	seconds;
};

/* The little-endian 16-bit number at P. */
static uint32_t
le16(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8;
}

/* The little-endian 32-bit number at P. */
static uint32_t
le32(const uint8_t *p)
{
	return le16(p) | le16(p + 2) << 16;
}

/* Checks that PATH is a 44-byte-header mono 16-bit 22050 Hz PCM WAV. */
static int
check_wav(const char *path, struct wav_info *wi)
{
	uint8_t	*buf;
	size_t	 len, i;
	int	 s, before = test_failed_checks;

	memset(wi, 0, sizeof *wi);
	if ((buf = (uint8_t *)test_read_file(path, &len)) == NULL) {
		fprintf(stderr, "%s: cannot read %s\n", test_current, path);
		test_failed_checks++;
		return -1;
	}
	CHECK(len >= 44);
	if (len < 44) {
		free(buf);
		return -1;
	}
	CHECK(memcmp(buf, "RIFF", 4) == 0);
	CHECK_INT(le32(buf + 4), len - 8);
	CHECK(memcmp(buf + 8, "WAVE", 4) == 0);
	CHECK(memcmp(buf + 12, "fmt ", 4) == 0);
	CHECK_INT(le32(buf + 16), 16);
	CHECK_INT(le16(buf + 20), 1);		/* PCM */
	CHECK_INT(le16(buf + 22), 1);		/* mono */
	CHECK_INT(le32(buf + 24), 22050);
	CHECK_INT(le32(buf + 28), 22050 * 2);
	CHECK_INT(le16(buf + 32), 2);
	CHECK_INT(le16(buf + 34), 16);
	CHECK(memcmp(buf + 36, "data", 4) == 0);
	CHECK_INT(le32(buf + 40), len - 44);
	CHECK_INT((len - 44) % 2, 0);
	wi->samples = (len - 44) / 2;
	wi->seconds = (double)wi->samples / 22050;
	for (i = 0; i < wi->samples; i++) {
		s = (int16_t)le16(buf + 44 + 2 * i);
		if (abs(s) > wi->peak)
			wi->peak = abs(s);
	}
	free(buf);
	return test_failed_checks == before ? 0 : -1;
}

/* Makes DIR under the test's temporary folder; returns its path. */
static const char *
make_dir(const char *name)
{
	static char	path[4][512];
	static int	next;
	char		*p = path[next++ % 4];

	snprintf(p, sizeof path[0], "%s/%s", test_tmpdir(), name);
	if (mkdir(p, 0755) != 0) {
		perror(p);
		exit(1);
	}
	return p;
}

/* How many entries other than . and .. DIR holds. */
static int
count_entries(const char *dir)
{
	DIR		*d;
	struct dirent	*de;
	int		 n = 0;

	if ((d = opendir(dir)) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") != 0 &&
		    strcmp(de->d_name, "..") != 0)
			n++;
	}
	closedir(d);
	return n;
}

/* Opens SPEC or fails the test with the cause. */
static struct voice *
open_or_fail(const char *spec)
{
	struct voice	*v;
	char		*cause = NULL;

	if ((v = voice_open(spec, &cause)) == NULL) {
		fprintf(stderr, "%s: voice_open(%s): %s\n", test_current,
		    spec, cause);
		free(cause);
		test_failed_checks++;
	}
	return v;
}

/* Says TEXT as PROMPT on V, failing the test on an error. */
static void
say_or_fail(struct voice *v, const char *prompt, const char *text)
{
	char	*cause = NULL;

	if (voice_say(v, prompt, text, &cause) != 0) {
		fprintf(stderr, "%s: voice_say(%s): %s\n", test_current,
		    prompt, cause);
		free(cause);
		test_failed_checks++;
	}
}

TEST(wav_header)
{
	const char	*dir = make_dir("header");
	char		 spec[600], path[600];
	struct voice	*v;
	struct wav_info	 wi;

	snprintf(spec, sizeof spec, "wav:%s", dir);
	if ((v = open_or_fail(spec)) == NULL)
		return;
	say_or_fail(v, "granted", "Access granted");
	voice_close(v);
	snprintf(path, sizeof path, "%s/000000-granted.wav", dir);
	if (check_wav(path, &wi) != 0)
		return;
	/* Speech, not silence or a click: espeak peaks near 0.7 here. */
	CHECK(wi.peak > 32767 / 4);
	CHECK(wi.seconds >= 0.8 && wi.seconds <= 1.5);
	CHECK_INT(count_entries(dir), 1);	/* no temporary left */
}

TEST(wav_duration)
{
	const char	*dir = make_dir("duration");
	char		 spec[600], path[600];
	struct voice	*v;
	struct wav_info	 shorter, longer;

	snprintf(spec, sizeof spec, "wav:%s", dir);
	if ((v = open_or_fail(spec)) == NULL)
		return;
	say_or_fail(v, "granted", "Access granted");
	say_or_fail(v, "unknown", "Please wait, a guard has been called");
	voice_close(v);
	snprintf(path, sizeof path, "%s/000000-granted.wav", dir);
	if (check_wav(path, &shorter) != 0)
		return;
	snprintf(path, sizeof path, "%s/000001-unknown.wav", dir);
	if (check_wav(path, &longer) != 0)
		return;
	/* 36 characters against 14: well over half as long again. */
	CHECK(longer.seconds > 1.5 * shorter.seconds);
	CHECK(longer.seconds < 4.0);
	CHECK(longer.peak > 32767 / 4);
}

TEST(wav_sequence)
{
	const char	*dir = make_dir("sequence");
	char		 spec[600], path[600];
	struct voice	*v;

	snprintf(spec, sizeof spec, "wav:%s", dir);
	if ((v = open_or_fail(spec)) == NULL)
		return;
	say_or_fail(v, "welcome", "Welcome, Ada");
	say_or_fail(v, "wait", "Please wait");
	voice_close(v);
	snprintf(path, sizeof path, "%s/000000-welcome.wav", dir);
	CHECK(access(path, F_OK) == 0);
	snprintf(path, sizeof path, "%s/000001-wait.wav", dir);
	CHECK(access(path, F_OK) == 0);

	/* A new voice on the same folder goes on after the highest number. */
	if ((v = open_or_fail(spec)) == NULL)
		return;
	say_or_fail(v, "granted", "Access granted");
	voice_close(v);
	snprintf(path, sizeof path, "%s/000002-granted.wav", dir);
	CHECK(access(path, F_OK) == 0);
	CHECK_INT(count_entries(dir), 3);
}

TEST(wav_bad_dir)
{
	char		 spec[700], file[600];
	char		*cause = NULL;
	const char	*dir;
	struct voice	*v;
	FILE		*f;

	snprintf(spec, sizeof spec, "wav:%s/missing", test_tmpdir());
	CHECK((v = voice_open(spec, &cause)) == NULL);
	CHECK(cause != NULL && strstr(cause, "missing") != NULL &&
	    strstr(cause, "No such file") != NULL);
	free(cause);
	cause = NULL;
	voice_close(v);

	snprintf(file, sizeof file, "%s/plain-file", test_tmpdir());
	if ((f = fopen(file, "w")) != NULL)
		fclose(f);
	snprintf(spec, sizeof spec, "wav:%s", file);
	CHECK((v = voice_open(spec, &cause)) == NULL);
	CHECK(cause != NULL && strstr(cause, "not a directory") != NULL);
	free(cause);
	cause = NULL;
	voice_close(v);

	CHECK((v = voice_open("wav:relative/dir", &cause)) == NULL);
	CHECK(cause != NULL && strstr(cause, "absolute") != NULL);
	free(cause);
	cause = NULL;
	voice_close(v);

	CHECK((v = voice_open("speaker", &cause)) == NULL);
	CHECK(cause != NULL && strstr(cause, "unknown voice") != NULL);
	free(cause);
	cause = NULL;
	voice_close(v);

	/* root writes through any mode bits, so only others can test this. */
	dir = make_dir("read-only");
	if (geteuid() != 0 && chmod(dir, 0555) == 0) {
		snprintf(spec, sizeof spec, "wav:%s", dir);
		CHECK((v = voice_open(spec, &cause)) == NULL);
		CHECK(cause != NULL && strstr(cause, "Permission") != NULL);
		free(cause);
		cause = NULL;
		voice_close(v);
		chmod(dir, 0755);
	}

	/* A folder removed after open: voice_say() reports it. */
	dir = make_dir("vanishing");
	snprintf(spec, sizeof spec, "wav:%s", dir);
	if ((v = open_or_fail(spec)) == NULL)
		return;
	rmdir(dir);
	CHECK(voice_say(v, "granted", "Access granted", &cause) == -1);
	CHECK(cause != NULL && strstr(cause, "vanishing") != NULL);
	free(cause);
	voice_close(v);
}

TEST(bad_prompt)
{
	const char	*dir = make_dir("prompt");
	char		 spec[600], text[VOICE_TEXT_MAX + 2];
	char		*cause = NULL;
	struct voice	*v;

	snprintf(spec, sizeof spec, "wav:%s", dir);
	if ((v = open_or_fail(spec)) == NULL)
		return;
	CHECK(voice_say(v, "../escape", "Hello", &cause) == -1);
	CHECK(cause != NULL && strstr(cause, "prompt name") != NULL);
	free(cause);
	cause = NULL;
	CHECK(voice_say(v, "", "Hello", &cause) == -1);
	free(cause);
	cause = NULL;
	memset(text, 'a', sizeof text - 1);
	text[sizeof text - 1] = '\0';
	CHECK(voice_say(v, "long", text, &cause) == -1);
	CHECK(cause != NULL && strstr(cause, "longer") != NULL);
	free(cause);
	voice_close(v);
	CHECK_INT(count_entries(dir), 0);
	voice_close(NULL);
}

TEST(none)
{
	const char	*dir = make_dir("none");
	char		 cwd[512];
	struct voice	*v;

	if (getcwd(cwd, sizeof cwd) == NULL || chdir(dir) != 0) {
		test_skip("cannot change directory");
		return;
	}
	if ((v = open_or_fail("none")) != NULL) {
		say_or_fail(v, "granted", "Access granted");
		voice_close(v);
	}
	CHECK(chdir(cwd) == 0);
	CHECK_INT(count_entries(dir), 0);
}

/* Milliseconds on the monotonic clock. */
static double
now_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

TEST(synth_time)
{
	const char	*dir = make_dir("time");
	char		 spec[600];
	struct voice	*v;
	double		 t, best = 1e9;
	int		 i;

	snprintf(spec, sizeof spec, "wav:%s", dir);
	if ((v = open_or_fail(spec)) == NULL)
		return;
	/* The first prompt after espeak-ng starts loads its dictionary. */
	t = now_ms();
	say_or_fail(v, "first", "Access granted");
	fprintf(stderr, "%s: first prompt %.1f ms\n", test_current,
	    now_ms() - t);
	for (i = 0; i < 5; i++) {
		t = now_ms();
		say_or_fail(v, "granted", "Access granted");
		t = now_ms() - t;
		if (t < best)
			best = t;
	}
	voice_close(v);
	fprintf(stderr, "%s: \"Access granted\" synthesised and written in "
	    "%.1f ms (best of 5)\n", test_current, best);
	CHECK(best < 100);
}

/* Runs FN in a child with HOME set and stderr to LOG; its exit status. */
static int
run_child(const char *home, const char *log, int (*fn)(void))
{
	pid_t	pid;
	int	status, fd;

	fflush(stdout);
	fflush(stderr);
	if ((pid = fork()) == -1) {
		perror("fork");
		return -1;
	}
	if (pid == 0) {
		if ((fd = open(log, O_WRONLY|O_CREAT|O_TRUNC, 0644)) == -1 ||
		    dup2(fd, 2) == -1)
			_exit(2);
		close(fd);
		setenv("HOME", home, 1);
		status = fn();
		/* _exit: the parent's atexit handlers own the temp folder. */
		fflush(stderr);
		_exit(status);
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

/* In a child: PortAudio with no device. 0 if open and say behave. */
static int
child_no_device(void)
{
	struct voice	*v;
	char		*cause = NULL;
	int		 r = 0;

	if ((v = voice_open("portaudio", &cause)) == NULL) {
		fprintf(stderr, "voice_open: %s\n", cause);
		return 1;
	}
	if (voice_say(v, "granted", "Access granted", &cause) != 0 ||
	    voice_say(v, "unknown", "Please wait", &cause) != 0) {
		fprintf(stderr, "voice_say: %s\n", cause);
		r = 1;
	}
	voice_close(v);
	return r;
}

/* Whether the machine has an ALSA PCM device (/dev/snd/pcmC*). */
static int
has_sound_card(void)
{
	DIR		*d;
	struct dirent	*de;
	int		 found = 0;

	if ((d = opendir("/dev/snd")) == NULL)
		return 0;
	while ((de = readdir(d)) != NULL) {
		if (strncmp(de->d_name, "pcmC", 4) == 0)
			found = 1;
	}
	closedir(d);
	return found;
}

TEST(portaudio_no_device)
{
	const char	*home = make_dir("pa-none");
	char		 log[600], *text;
	const char	*p;
	size_t		 len;
	int		 status, n = 0;

	/*
	 * An empty HOME (no .asoundrc) on a machine without a card. An empty
	 * ALSA_CONFIG_PATH would hide a card too, but PortAudio 19.6 then
	 * fails an assertion in BuildDeviceList().
	 */
	if (has_sound_card()) {
		test_skip("this machine has a sound card (/dev/snd/pcmC*)");
		return;
	}
	snprintf(log, sizeof log, "%s/stderr", home);
	status = run_child(home, log, child_no_device);
	text = test_read_file(log, &len);
	if (status != 0 && text != NULL)
		fprintf(stderr, "%s: child said:\n%s", test_current, text);
	CHECK_INT(status, 0);
	CHECK(text != NULL);
	if (text == NULL)
		return;
	for (p = text; (p = strstr(p, "not played")) != NULL; p++)
		n++;
	CHECK_INT(n, 1);			/* warned once for two prompts */
	CHECK(strstr(text, "no sound output device") != NULL);
	/* The probe's noise is hidden: the warning is all there is. */
	CHECK(strstr(text, "ALSA lib") == NULL);
	CHECK(strstr(text, "jack") == NULL && strstr(text, "Jack") == NULL);
	free(text);
}

/* In a child: PortAudio through the `default` of $HOME/.asoundrc. */
static int
child_file_pcm(void)
{
	struct voice	*v;
	char		*cause = NULL;
	int		 r = 0;

	if ((v = voice_open("portaudio", &cause)) == NULL) {
		fprintf(stderr, "voice_open: %s\n", cause);
		return 1;
	}
	if (voice_say(v, "granted", "Access granted", &cause) != 0) {
		fprintf(stderr, "voice_say: %s\n", cause);
		r = 1;
	}
	voice_close(v);
	return r;
}

TEST(portaudio_file_pcm)
{
	const char	*home = make_dir("pa-file");
	char		 rc[600], log[600], played[600], *text;
	struct wav_info	 wi;
	size_t		 len;
	int		 status;
	FILE		*f;

	snprintf(played, sizeof played, "%s/played.wav", home);
	snprintf(rc, sizeof rc, "%s/.asoundrc", home);
	if ((f = fopen(rc, "w")) == NULL) {
		test_skip("cannot write %s", rc);
		return;
	}
	/* A file PCM over the null PCM: a `default` that writes a WAV. */
	fprintf(f, "pcm.!default {\n\ttype file\n\tslave.pcm \"null\"\n"
	    "\tfile \"%s\"\n\tformat \"wav\"\n}\n", played);
	fclose(f);
	snprintf(log, sizeof log, "%s/stderr", home);
	status = run_child(home, log, child_file_pcm);
	text = test_read_file(log, &len);
	if (text != NULL && text[0] != '\0')
		fprintf(stderr, "%s: child said:\n%s", test_current, text);
	CHECK_INT(status, 0);
	CHECK(text != NULL && strstr(text, "not played") == NULL);
	free(text);
	if (check_wav(played, &wi) != 0)
		return;
	/* All of "Access granted" (0.8 s or more) and real speech. */
	CHECK(wi.seconds >= 0.8 && wi.seconds <= 2.0);
	CHECK(wi.peak > 32767 / 4);
}

int
main(void)
{
	RUN(wav_header);
	RUN(wav_duration);
	RUN(wav_sequence);
	RUN(wav_bad_dir);
	RUN(bad_prompt);
	RUN(none);
	RUN(synth_time);
	RUN(portaudio_no_device);
	RUN(portaudio_file_pcm);
	return test_main_end("test-voice");
}
