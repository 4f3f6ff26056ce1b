/*
 * The door's voice: a prompt's text is synthesised with espeak-ng (voice
 * "en", about 160 words a minute) into 16-bit mono samples at the
 * library's rate (22050 Hz), then handed to one of three backends, chosen
 * by the `voice` keyword:
 *
 *   wav:DIR    writes DIR/NNNNNN-PROMPT.wav, NNNNNN a sequence number
 *              that goes on from the highest already in DIR, so a listing
 *              sorted by name is the order the prompts were spoken (up to
 *              999999 in one folder). Each file appears whole (written to
 *              a temporary name, then renamed; not fsync'd: a prompt is
 *              not worth a disk flush).
 *              DIR must exist and be a writable directory: voice_open()
 *              fails otherwise, and voice_say() fails if writing does.
 *   portaudio  plays through PortAudio's default output, blocking until
 *              the prompt has been played (about a second for a short
 *              prompt: the caller's loop waits that long). A missing
 *              sound device is not an error: voice_open() succeeds, and
 *              voice_say() warns once and returns 0 without playing, as
 *              it does when the device fails later, because the door must
 *              keep working when its speaker is gone. The devices are
 *              those present at voice_open(); a reload opens them again.
 *   none       says nothing.
 *
 * What is said is the caller's policy, not this module's, but it is this:
 * a granted person is greeted by name ("Welcome, NAME"); an unknown,
 * uncertain or denied visitor hears only a neutral prompt ("Please wait, a
 * guard has been called") and never a name, so the door does not tell a
 * stranger whom it took them for or who is enrolled.
 *
 * espeak-ng keeps global state and is not reentrant: it is initialised
 * once per process, by the first voice_open() that needs it, and every
 * voice is used from one thread only (the agent's main loop).
 */
#ifndef VOICE_H
#define VOICE_H

/* The longest text voice_say() takes, in bytes. */
#define VOICE_TEXT_MAX		512
/* The longest prompt name (letters, digits, '-' and '_'). */
#define VOICE_PROMPT_MAX	64

struct voice;

/*
 * Opens the backend SPEC ("wav:/DIR", "portaudio" or "none"). Returns
 * NULL with *cause on a bad SPEC, an unusable DIR or when espeak-ng cannot
 * start (no voice data).
 */
struct voice	*voice_open(const char *spec, char **cause);

/*
 * Says TEXT (UTF-8, plain text: no SSML) as the prompt PROMPT_NAME, which
 * names the file of the wav backend. Returns 0, or -1 with *cause for a
 * bad name or text, a failed synthesis or a failed write; a missing or
 * failing sound device is only a warning (0).
 */
int		 voice_say(struct voice *, const char *prompt_name,
		    const char *text, char **cause);

/* Closes a voice; NULL is fine. */
void		 voice_close(struct voice *);

#endif
