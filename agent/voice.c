/*
 * The door's voice: espeak-ng synthesis into memory, then a WAV file, a
 * PortAudio stream or nothing. See voice.h for the backends' behaviour.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <alsa/asoundlib.h>
#include <espeak-ng/speak_lib.h>
#include <portaudio.h>

#include "file.h"
#include "log.h"
#include "voice.h"
#include "xmalloc.h"

/* espeak-ng's voice and speed: plain English, a little slower than its 175
 * words a minute so a visitor at a door hears it through street noise. */
#define VOICE_ESPEAK_VOICE	"en"
#define VOICE_ESPEAK_RATE	160

/*
 * The most audio one prompt may make. A 512-byte text is about 40 s at
 * 160 words a minute; the cap bounds memory (2.6 MB) whatever the text.
 */
#define VOICE_MAX_SECONDS	60

/* The size of the canonical RIFF/WAVE header in front of PCM data. */
#define VOICE_WAV_HEADER	44

enum voice_kind {
	VOICE_NONE,
	VOICE_WAV,
	VOICE_PORTAUDIO,
};

struct voice {
	enum voice_kind	 kind;

	char		*dir;		/* wav: the folder */
	unsigned	 seq;		/* wav: the next file's number */

	int		 pa_up;		/* portaudio: Pa_Initialize() worked */
	int		 pa_device;	/* portaudio: default output or -1 */
	int		 pa_warned;	/* portaudio: warned since last play */
};

/* Samples being synthesised: the espeak callback appends to it. */
struct voice_pcm {
	int16_t	*samples;
	size_t	 n;
	size_t	 size;
	size_t	 max;
	int	 overflow;
};

/*
 * espeak-ng's one initialisation per process: the sample rate it gave, 0
 * before, -1 after a failure (which is not retried: its data is missing).
 */
static int	voice_espeak_rate;

/* Appends what espeak-ng has synthesised so far to the voice_pcm. */
static int
voice_espeak_cb(short *wav, int n, espeak_EVENT *events)
{
	struct voice_pcm	*pcm = events != NULL ? events->user_data : NULL;

	if (pcm == NULL || wav == NULL || n <= 0)
		return 0;
	if (pcm->n + (size_t)n > pcm->max) {
		pcm->overflow = 1;
		return 1;	/* abort the synthesis */
	}
	if (pcm->n + (size_t)n > pcm->size) {
		while (pcm->n + (size_t)n > pcm->size)
			pcm->size = pcm->size == 0 ? 16384 : pcm->size * 2;
		pcm->samples = xreallocarray(pcm->samples, pcm->size,
		    sizeof *pcm->samples);
	}
	memcpy(pcm->samples + pcm->n, wav, (size_t)n * sizeof *wav);
	pcm->n += (size_t)n;
	return 0;
}

/* Frees espeak-ng's tables at exit, so leak checkers see a clean process. */
static void
voice_espeak_exit(void)
{
	espeak_Terminate();
}

/* Starts espeak-ng once per process. Returns 0, or -1 with *cause. */
static int
voice_espeak_init(char **cause)
{
	int	rate;

	if (voice_espeak_rate > 0)
		return 0;
	if (voice_espeak_rate < 0) {
		xasprintf(cause, "espeak-ng failed to start earlier");
		return -1;
	}
	/*
	 * SYNCHRONOUS: espeak_Synth() returns when the text is synthesised
	 * and needs no sound device (SYNCH_PLAYBACK fails without one).
	 * DONT_EXIT: missing voice data must be an error, not exit(1).
	 */
	rate = espeak_Initialize(AUDIO_OUTPUT_SYNCHRONOUS, 0, NULL,
	    espeakINITIALIZE_DONT_EXIT);
	if (rate <= 0) {
		voice_espeak_rate = -1;
		xasprintf(cause, "espeak-ng cannot start (is espeak-ng-data "
		    "installed?)");
		return -1;
	}
	espeak_SetSynthCallback(voice_espeak_cb);
	if (espeak_SetVoiceByName(VOICE_ESPEAK_VOICE) != EE_OK) {
		espeak_Terminate();
		voice_espeak_rate = -1;
		xasprintf(cause, "espeak-ng has no voice \"%s\"",
		    VOICE_ESPEAK_VOICE);
		return -1;
	}
	espeak_SetParameter(espeakRATE, VOICE_ESPEAK_RATE, 0);
	voice_espeak_rate = rate;
	atexit(voice_espeak_exit);
	return 0;
}

/* Synthesises TEXT into PCM. Returns 0, or -1 with *cause. */
static int
voice_synth(const char *text, struct voice_pcm *pcm, char **cause)
{
	espeak_ERROR	err;

	memset(pcm, 0, sizeof *pcm);
	pcm->max = (size_t)voice_espeak_rate * VOICE_MAX_SECONDS;
	err = espeak_Synth(text, strlen(text) + 1, 0, POS_CHARACTER, 0,
	    espeakCHARS_UTF8, NULL, pcm);
	if (err != EE_OK) {
		free(pcm->samples);
		xasprintf(cause, "espeak-ng synthesis failed (%d)", (int)err);
		return -1;
	}
	if (pcm->overflow) {
		free(pcm->samples);
		xasprintf(cause, "prompt longer than %d s", VOICE_MAX_SECONDS);
		return -1;
	}
	if (pcm->n == 0) {
		free(pcm->samples);
		xasprintf(cause, "espeak-ng made no sound");
		return -1;
	}
	return 0;
}

/* Stores V little-endian in the 2 bytes at P. */
static void
voice_le16(uint8_t *p, uint32_t v)
{
	p[0] = v & 0xff;
	p[1] = (v >> 8) & 0xff;
}

/* Stores V little-endian in the 4 bytes at P. */
static void
voice_le32(uint8_t *p, uint32_t v)
{
	voice_le16(p, v & 0xffff);
	voice_le16(p + 2, v >> 16);
}

/* The number a wav file name starts with ("000042-..."), or -1. */
static long
voice_wav_number(const char *name)
{
	long	n = 0;
	int	i;

	for (i = 0; i < 6; i++) {
		if (name[i] < '0' || name[i] > '9')
			return -1;
		n = n * 10 + (name[i] - '0');
	}
	if (name[6] != '-')
		return -1;
	return n;
}

/* Opens wav:DIR: checks DIR and finds the next sequence number. */
static int
voice_wav_open(struct voice *v, const char *dir, char **cause)
{
	struct stat	 sb;
	struct dirent	*de;
	DIR		*d;
	long		 n, top = -1;

	if (*dir != '/') {
		xasprintf(cause, "wav: %s: not an absolute path", dir);
		return -1;
	}
	if (stat(dir, &sb) != 0) {
		xasprintf(cause, "wav: %s: %s", dir, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(sb.st_mode)) {
		xasprintf(cause, "wav: %s: not a directory", dir);
		return -1;
	}
	if (access(dir, W_OK|X_OK) != 0) {
		xasprintf(cause, "wav: %s: %s", dir, strerror(errno));
		return -1;
	}
	if ((d = opendir(dir)) == NULL) {
		xasprintf(cause, "wav: %s: %s", dir, strerror(errno));
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		if ((n = voice_wav_number(de->d_name)) > top)
			top = n;
	}
	closedir(d);
	v->dir = xstrdup(dir);
	v->seq = (unsigned)(top + 1);
	return 0;
}

/* Writes PCM as DIR/NNNNNN-PROMPT.wav, whole or not at all. */
static int
voice_wav_say(struct voice *v, const char *prompt,
    const struct voice_pcm *pcm, char **cause)
{
	uint32_t	 data = (uint32_t)(pcm->n * sizeof *pcm->samples);
	uint8_t		*h;
	char		*path;
	size_t		 i;
	int		 r;

	h = xmalloc(VOICE_WAV_HEADER + (size_t)data);
	memcpy(h, "RIFF", 4);
	voice_le32(h + 4, 36 + data);
	memcpy(h + 8, "WAVE", 4);
	memcpy(h + 12, "fmt ", 4);
	voice_le32(h + 16, 16);			/* fmt chunk size */
	voice_le16(h + 20, 1);			/* PCM */
	voice_le16(h + 22, 1);			/* channels */
	voice_le32(h + 24, (uint32_t)voice_espeak_rate);
	voice_le32(h + 28, (uint32_t)voice_espeak_rate * 2); /* bytes/s */
	voice_le16(h + 32, 2);			/* bytes per frame */
	voice_le16(h + 34, 16);			/* bits per sample */
	memcpy(h + 36, "data", 4);
	voice_le32(h + 40, data);

	/* The samples in file order, whatever the host's byte order. */
	for (i = 0; i < pcm->n; i++)
		voice_le16(h + VOICE_WAV_HEADER + 2 * i,
		    (uint16_t)pcm->samples[i]);

	xasprintf(&path, "%s/%06u-%s.wav", v->dir, v->seq, prompt);
	r = file_write_atomic(path, h, VOICE_WAV_HEADER + (size_t)data, 0644,
	    0, cause);
	if (r == 0)
		v->seq++;
	free(path);
	free(h);
	return r;
}

/* Sends ALSA's own messages to the debug log instead of stderr. */
static void __attribute__((format(printf, 5, 6)))
voice_pa_alsa_error(const char *file, int line, const char *function,
    int err, const char *fmt, ...)
{
	char	msg[256];
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	log_debug("voice: alsa: %s:%d (%s): %s%s%s", file, line, function,
	    msg, err != 0 ? ": " : "", err != 0 ? snd_strerror(err) : "");
}

/*
 * Opens portaudio: starts PortAudio and notes the default output. Only a
 * PortAudio that cannot start at all is an error; no device is not.
 */
static int
voice_pa_open(struct voice *v, char **cause)
{
	PaError	err;
	int	saved, null;

	/*
	 * Pa_Initialize() probes every ALSA and JACK device and both print
	 * about 65 lines to stderr when there is no card; ALSA's handler is
	 * set for later calls, and fd 2 is pointed at /dev/null around the
	 * probe for JACK, which prints on its own.
	 */
	snd_lib_error_set_handler(voice_pa_alsa_error);
	fflush(stderr);
	saved = dup(2);
	null = open("/dev/null", O_WRONLY|O_CLOEXEC);
	if (saved != -1 && null != -1)
		dup2(null, 2);
	err = Pa_Initialize();
	fflush(stderr);
	if (saved != -1 && null != -1)
		dup2(saved, 2);
	if (null != -1)
		close(null);
	if (saved != -1)
		close(saved);
	if (err != paNoError) {
		xasprintf(cause, "portaudio: %s", Pa_GetErrorText(err));
		return -1;
	}
	v->pa_up = 1;
	v->pa_device = Pa_GetDefaultOutputDevice();
	if (v->pa_device == paNoDevice)
		v->pa_device = -1;
	else {
		log_debug("voice: portaudio output \"%s\"",
		    Pa_GetDeviceInfo(v->pa_device)->name);
	}
	return 0;
}

/* Warns that PROMPT was not played, once until a prompt plays again. */
static void
voice_pa_warn(struct voice *v, const char *prompt, const char *why)
{
	if (v->pa_warned)
		return;
	log_warnx("voice: prompt %s not played: %s (further prompts are "
	    "dropped silently until one plays)", prompt, why);
	v->pa_warned = 1;
}

/* Plays PCM on the default output, blocking until it is played. */
static void
voice_pa_say(struct voice *v, const char *prompt, const struct voice_pcm *pcm)
{
	PaStream	*s = NULL;
	PaError		 err;

	err = Pa_OpenDefaultStream(&s, 0, 1, paInt16, voice_espeak_rate,
	    paFramesPerBufferUnspecified, NULL, NULL);
	if (err != paNoError) {
		voice_pa_warn(v, prompt, Pa_GetErrorText(err));
		return;
	}
	if ((err = Pa_StartStream(s)) != paNoError) {
		voice_pa_warn(v, prompt, Pa_GetErrorText(err));
		Pa_CloseStream(s);
		return;
	}
	/* An underflow only means a gap was heard; the prompt was played. */
	err = Pa_WriteStream(s, pcm->samples, pcm->n);
	if (err != paNoError && err != paOutputUnderflowed) {
		voice_pa_warn(v, prompt, Pa_GetErrorText(err));
		Pa_AbortStream(s);
		Pa_CloseStream(s);
		return;
	}
	Pa_StopStream(s);	/* waits for the last buffers to play */
	Pa_CloseStream(s);
	v->pa_warned = 0;
}

/* Checks a prompt name, which becomes part of a file name. */
static int
voice_check_prompt(const char *name, char **cause)
{
	const char	*p;

	if (*name == '\0' || strlen(name) > VOICE_PROMPT_MAX) {
		xasprintf(cause, "prompt name must be 1 to %d characters",
		    VOICE_PROMPT_MAX);
		return -1;
	}
	for (p = name; *p != '\0'; p++) {
		if ((*p < 'a' || *p > 'z') && (*p < 'A' || *p > 'Z') &&
		    (*p < '0' || *p > '9') && *p != '-' && *p != '_') {
			xasprintf(cause, "prompt name \"%s\": only letters, "
			    "digits, '-' and '_'", name);
			return -1;
		}
	}
	return 0;
}

/* Opens the voice backend SPEC. */
struct voice *
voice_open(const char *spec, char **cause)
{
	struct voice	*v;

	v = xcalloc(1, sizeof *v);
	v->pa_device = -1;
	if (strcmp(spec, "none") == 0) {
		v->kind = VOICE_NONE;
		return v;
	}
	if (strncmp(spec, "wav:", 4) == 0) {
		v->kind = VOICE_WAV;
		if (voice_wav_open(v, spec + 4, cause) != 0)
			goto fail;
	} else if (strcmp(spec, "portaudio") == 0) {
		v->kind = VOICE_PORTAUDIO;
		if (voice_pa_open(v, cause) != 0)
			goto fail;
	} else {
		xasprintf(cause, "unknown voice \"%s\" (expected wav:DIR, "
		    "portaudio or none)", spec);
		goto fail;
	}
	if (voice_espeak_init(cause) != 0)
		goto fail;
	return v;
fail:
	voice_close(v);
	return NULL;
}

/* Says TEXT as the prompt PROMPT_NAME. */
int
voice_say(struct voice *v, const char *prompt_name, const char *text,
    char **cause)
{
	struct voice_pcm	pcm;
	int			r = 0;

	if (voice_check_prompt(prompt_name, cause) != 0)
		return -1;
	if (strlen(text) > VOICE_TEXT_MAX) {
		xasprintf(cause, "prompt %s: text longer than %d bytes",
		    prompt_name, VOICE_TEXT_MAX);
		return -1;
	}
	if (v->kind == VOICE_NONE)
		return 0;
	if (v->kind == VOICE_PORTAUDIO && v->pa_device == -1) {
		voice_pa_warn(v, prompt_name, "no sound output device");
		return 0;
	}
	if (voice_synth(text, &pcm, cause) != 0)
		return -1;
	switch (v->kind) {
	case VOICE_WAV:
		r = voice_wav_say(v, prompt_name, &pcm, cause);
		break;
	case VOICE_PORTAUDIO:
		voice_pa_say(v, prompt_name, &pcm);
		break;
	case VOICE_NONE:
		break;
	}
	free(pcm.samples);
	return r;
}

/* Closes a voice. */
void
voice_close(struct voice *v)
{
	if (v == NULL)
		return;
	if (v->pa_up)
		Pa_Terminate();
	free(v->dir);
	free(v);
}
