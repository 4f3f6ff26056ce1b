/*
 * The vision worker (worker.h): a child of the agent that owns the camera
 * and the face engine. It follows the discipline of the agent's children
 * (child.h): signals back to their defaults, every inherited fd but its own
 * end closed, SIGTERM at its parent's death, and an end with _exit(), never
 * a return into main's code.
 *
 * The loop is a plain poll(2) on main's socket and, for a source that has
 * one, the camera's fd; analysis runs in between, so a frame being analysed
 * delays the next poll (an ENROLL waits for the frame in hand, at most one
 * analysis). Capture never waits on analysis:
 *
 * - A live source with an fd (v4l2): when it polls readable every ready
 *   frame is read, and only the newest is analysed; the others are dropped.
 * - A source without an fd is asked for a frame one interval after the
 *   last one's time. For a file source that time is the frame's intended
 *   display time, so a slow machine asks at once, and a frame whose time
 *   was already more than an interval past when it was asked for (its
 *   successor was due) is dropped unanalysed. Lateness counts from the
 *   ask, not from the end of the decode, so the frame asked for on time is
 *   analysed whatever the decode costs. A frame for the future waits for
 *   its time while the socket is served.
 *
 * Writes to main block: main's loop reads all the time, and a worker
 * that cannot send has nothing better to do (the camera's frames are
 * dropped meanwhile, not queued).
 *
 * QR codes are decoded here too (libzbar, on a grey copy of every analysed
 * frame), so the untrusted bytes a stranger holds up stay in the worker:
 * main only ever gets a CODE of printable ASCII that fits, and a symbol
 * with anything else in it is dropped unsaid.
 */
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <zbar.h>

#include "camera.h"
#include "child.h"
#include "log.h"
#include "loop.h"
#include "track.h"
#include "worker.h"
#include "xmalloc.h"

/* STATS about this often while frames flow. */
#define WORKER_STATS_MS		1000
/*
 * Camera warnings at most this often: a live camera that is unplugged
 * fails on every call, and the errors count in STATS anyway.
 */
#define WORKER_WARN_MS		1000
/*
 * JPEG qualities tried for a crop, best first: 90 is what a guard looks
 * at; the lower ones only serve a crop so large (a close-up of a 50 Mpx
 * photo) that it would not fit a frame at 90.
 */
static const int worker_jpeg_quality[] = { 90, 75, 60, 40 };
/* The largest crop JPEG: a frame less the room for the other fields. */
#define WORKER_JPEG_MAX		(WORKER_MSG_MAX - 65536)

/* The worker's state, in the child. */
struct worker {
	const struct worker_opts *opts;
	int			 fd;		/* the worker's end */
	struct worker_reader	*in;
	struct face_engine	*engine;
	struct camera		*camera;	/* NULL at a file's end */
	struct tracker		*tracker;
	size_t			 max_pixels;
	int			 live;		/* not a file source */
	int64_t			 interval;	/* ms between frames */
	int64_t			 next_ms;	/* no fd: when to ask next */
	struct image		*held;		/* a frame early for its time */
	int64_t			 held_ms;
	zbar_image_scanner_t	*scanner;	/* QR codes only */
	uint8_t			*gray;		/* the frame in grey, for it */
	size_t			 gray_size;

	struct worker_stats	 stats;		/* totals; analyse_ms unused */
	double			 period_ms;	/* analysis since last STATS */
	uint64_t		 period_n;
	int64_t			 stats_ms;	/* when STATS was last sent */
	int64_t			 warn_ms;	/* when last a warning was */
	uint64_t		 warn_skipped;
};

/* Milliseconds on CLOCK_MONOTONIC with a fraction, to time analyses. */
static double
worker_clock(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000.0 + ts.tv_nsec / 1e6;
}

/*
 * Ends the worker with STATUS, the scanner and its buffer freed (_exit()
 * would drop them anyway; this keeps each create beside its destroy).
 */
static noreturn void
worker_end(struct worker *w, int status)
{
	if (w->scanner != NULL)
		zbar_image_scanner_destroy(w->scanner);
	free(w->gray);
	_exit(status);
}

/*
 * Sends M to main. A message that cannot be encoded (a degenerate face
 * with a non-finite number) is dropped with a warning; a failed write
 * means main is gone, and so is the worker.
 */
static void
worker_send(struct worker *w, const struct worker_msg *m)
{
	char	*cause;

	if (worker_msg_write(w->fd, m, &cause) == 0)
		return;
	if (errno == EINVAL) {
		log_warnx("%s", cause);
		free(cause);
		return;
	}
	worker_end(w, 0);
}

/* Sends FATAL with CAUSE (freed) and exits 1: the worker cannot start. */
static noreturn void
worker_fatal(int fd, char *cause)
{
	struct worker_msg	 m;
	char			*ignore;

	memset(&m, 0, sizeof m);
	m.type = WORKER_MSG_FATAL;
	worker_msg_text(m.u.text, sizeof m.u.text, cause);
	log_warnx("%s", cause);
	free(cause);
	if (worker_msg_write(fd, &m, &ignore) != 0)
		free(ignore);
	_exit(1);
}

/* Counts an error and logs it, at most one line per WORKER_WARN_MS. */
static void
worker_error(struct worker *w, char *cause)
{
	int64_t	now = loop_now_ms();

	w->stats.errors++;
	if (w->warn_ms != 0 && now - w->warn_ms < WORKER_WARN_MS)
		w->warn_skipped++;
	else {
		if (w->warn_skipped > 0)
			log_warnx("%s (and %llu more errors)", cause,
			    (unsigned long long)w->warn_skipped);
		else
			log_warnx("%s", cause);
		w->warn_ms = now;
		w->warn_skipped = 0;
	}
	free(cause);
}

/* Sends STATS, and starts a new period for the mean analysis time. */
static void
worker_stats(struct worker *w)
{
	struct worker_msg	m;

	memset(&m, 0, sizeof m);
	m.type = WORKER_MSG_STATS;
	m.u.stats = w->stats;
	m.u.stats.analyse_ms = w->period_n > 0 ?
	    w->period_ms / w->period_n : 0;
	w->period_ms = 0;
	w->period_n = 0;
	w->stats_ms = loop_now_ms();
	worker_send(w, &m);
}

/* Sends STATS when the last was a period ago: called as frames flow. */
static void
worker_tick(struct worker *w)
{
	if (loop_now_ms() - w->stats_ms >= WORKER_STATS_MS)
		worker_stats(w);
}

/*
 * Encodes the crop IMG as JPEG for a message: quality 90, less only if
 * it would not fit a frame. Returns 0, or -1 with *cause.
 */
static int
worker_jpeg(const struct image *img, uint8_t **buf, size_t *len,
    char **cause)
{
	size_t	i;

	for (i = 0; i < sizeof worker_jpeg_quality /
	    sizeof *worker_jpeg_quality; i++) {
		if (image_encode_jpeg(img, worker_jpeg_quality[i], buf, len,
		    cause) != 0)
			return -1;
		if (*len <= WORKER_JPEG_MAX)
			return 0;
		free(*buf);
	}
	*buf = NULL;
	*len = 0;
	xasprintf(cause, "a face crop of %dx%d is too large to send",
	    img->w, img->h);
	return -1;
}

/* Sends TRACK_END for every ended track the tracker holds. */
static void
worker_ended(struct worker *w)
{
	struct worker_msg	 m;
	struct track		*t;

	while ((t = tracker_take_ended(w->tracker)) != NULL) {
		memset(&m, 0, sizeof m);
		m.type = WORKER_MSG_TRACK_END;
		m.u.end.track = t->id;
		m.u.end.first_ms = t->first_ms;
		m.u.end.last_ms = t->last_ms;
		m.u.end.frames = t->frames;
		track_free(t);
		worker_send(w, &m);
	}
}

/* The live track with ID, or NULL. */
static const struct track *
worker_track(struct worker *w, uint64_t id)
{
	const struct track	*t;
	int			 i;

	for (i = 0; i < tracker_count(w->tracker); i++) {
		t = tracker_track(w->tracker, i);
		if (t->id == id)
			return t;
	}
	return NULL;
}

/* Sends FACE for face F (quality Q) of the frame at TIME_MS, in track ID. */
static void
worker_face(struct worker *w, int64_t time_ms, const struct face *f,
    const struct quality *q, uint64_t id)
{
	struct worker_msg	 m;
	struct worker_face	*wf = &m.u.face;
	const struct track	*t;
	const struct track_frame *best;
	char			*cause;

	if ((t = worker_track(w, id)) == NULL)
		return;
	memset(&m, 0, sizeof m);
	m.type = WORKER_MSG_FACE;
	wf->track = id;
	wf->time_ms = time_ms;
	wf->first_ms = t->first_ms;
	wf->box = f->box;
	wf->quality_pass = q->pass;
	worker_msg_text(wf->reason, sizeof wf->reason, q->reason);
	wf->quality_score = q->score;
	memcpy(wf->descriptor, f->descriptor, sizeof wf->descriptor);
	memcpy(wf->landmarks, f->landmarks, sizeof wf->landmarks);

	/* This frame just became the track's best: the photo changes. */
	best = t->nbest > 0 ? &t->best[0] : NULL;
	if (best != NULL && best->time_ms == time_ms && best->crop != NULL &&
	    memcmp(&best->face.box, &f->box, sizeof f->box) == 0) {
		if (worker_jpeg(best->crop, &wf->jpeg, &wf->jpeg_len,
		    &cause) != 0)
			worker_error(w, cause);
	}
	worker_send(w, &m);
	free(wf->jpeg);
}

/*
 * The frame IMG in 8-bit grey in the worker's buffer, grown as needed: an
 * integer luma with the BT.601 weights in 8 bits (77 + 150 + 29 = 256, so
 * white stays 255), which is all zbar looks at.
 */
static const uint8_t *
worker_gray(struct worker *w, const struct image *img)
{
	const uint8_t	*s = img->rgb;
	uint8_t		*d;
	size_t		 n = (size_t)img->w * (size_t)img->h, i;

	if (n > w->gray_size) {
		w->gray = xreallocarray(w->gray, n, 1);
		w->gray_size = n;
	}
	d = w->gray;
	for (i = 0; i < n; i++, s += 3)
		d[i] = (uint8_t)((77 * s[0] + 150 * s[1] + 29 * s[2]) >> 8);
	return d;
}

/* Whether the LEN bytes at P are printable ASCII, as CODE's text must be. */
static int
worker_code_ok(const char *p, size_t len)
{
	size_t	i;

	for (i = 0; i < len; i++)
		if ((unsigned char)p[i] < 0x20 || (unsigned char)p[i] > 0x7e)
			return 0;
	return 1;
}

/*
 * Scans the frame IMG taken at TIME_MS for QR codes and sends CODE for
 * each whose text is 1 to WORKER_CODE_MAX - 1 bytes of printable ASCII;
 * any other symbol is no pass and is ignored, counted nowhere.
 */
static void
worker_codes(struct worker *w, const struct image *img, int64_t time_ms)
{
	struct worker_msg	 m;
	zbar_image_t		*zimg;
	const zbar_symbol_t	*sym;
	const char		*data;
	unsigned int		 len;

	if (img->w <= 0 || img->h <= 0)
		return;
	if ((zimg = zbar_image_create()) == NULL) {
		worker_error(w, xstrdup("zbar_image_create failed"));
		return;
	}
	zbar_image_set_format(zimg, zbar_fourcc('Y', '8', '0', '0'));
	zbar_image_set_size(zimg, (unsigned int)img->w, (unsigned int)img->h);
	/* Borrowed: no cleanup handler, the buffer stays the worker's. */
	zbar_image_set_data(zimg, worker_gray(w, img),
	    (unsigned long)img->w * (unsigned long)img->h, NULL);
	if (zbar_scan_image(w->scanner, zimg) == -1) {
		zbar_image_destroy(zimg);
		worker_error(w, xstrdup("zbar_scan_image failed"));
		return;
	}
	for (sym = zbar_image_first_symbol(zimg); sym != NULL;
	    sym = zbar_symbol_next(sym)) {
		if (zbar_symbol_get_type(sym) != ZBAR_QRCODE)
			continue;
		data = zbar_symbol_get_data(sym);
		len = zbar_symbol_get_data_length(sym);
		if (data == NULL || len == 0 || len >= sizeof m.u.code.text ||
		    !worker_code_ok(data, len))
			continue;
		memset(&m, 0, sizeof m);
		m.type = WORKER_MSG_CODE;
		m.u.code.time_ms = time_ms;
		memcpy(m.u.code.text, data, len);
		worker_send(w, &m);
	}
	zbar_image_destroy(zimg);
}

/* Analyses the frame IMG (freed) taken at TIME_MS and sends what it shows. */
static void
worker_analyse(struct worker *w, struct image *img, int64_t time_ms)
{
	struct face	*faces = NULL;
	struct quality	*q;
	uint64_t	*ids;
	char		*cause;
	double		 start = worker_clock();
	int		 n, i;

	/*
	 * Codes first: they cost the same before or after the faces (about
	 * 8 ms a 640x480 frame), and so a code reaches main one face analysis
	 * sooner, and even from a frame whose face analysis fails.
	 */
	worker_codes(w, img, time_ms);
	if (face_engine_analyze(w->engine, img, &faces, &n, &cause) != 0) {
		image_free(img);
		worker_error(w, cause);
		return;
	}
	q = xcalloc(n > 0 ? n : 1, sizeof *q);
	ids = xcalloc(n > 0 ? n : 1, sizeof *ids);
	for (i = 0; i < n; i++)
		quality_check(img, &faces[i], NULL, &q[i]);
	tracker_update(w->tracker, time_ms, img, faces, n, q, ids);
	w->stats.analysed++;
	w->period_ms += worker_clock() - start;
	w->period_n++;

	for (i = 0; i < n; i++)
		if (ids[i] != 0)
			worker_face(w, time_ms, &faces[i], &q[i], ids[i]);
	worker_ended(w);
	free(ids);
	free(q);
	free(faces);
	image_free(img);
}

/*
 * A file source without loop has run out: every track ends, then a last
 * STATS and CAMERA_END. The socket is still served until EOF.
 */
static void
worker_camera_end(struct worker *w)
{
	struct worker_msg	m;

	tracker_end_all(w->tracker);
	worker_ended(w);
	worker_stats(w);
	memset(&m, 0, sizeof m);
	m.type = WORKER_MSG_CAMERA_END;
	worker_send(w, &m);
	camera_close(w->camera);
	w->camera = NULL;
}

/* A live source's fd is readable: reads every frame, analyses the newest. */
static void
worker_drain(struct worker *w)
{
	struct pollfd	 pfd;
	struct image	*img, *newest = NULL;
	int64_t		 t, newest_ms = 0;
	char		*cause;
	int		 r;

	for (;;) {
		if ((r = camera_next(w->camera, &img, &t, &cause)) == 1) {
			w->stats.frames++;
			if (newest != NULL) {
				image_free(newest);
				w->stats.dropped++;
			}
			newest = img;
			newest_ms = t;
		} else if (r == -1) {
			worker_error(w, cause);
			break;
		} else
			break;
		/* The fd may change after an error, so ask each time. */
		pfd.fd = camera_fd(w->camera);
		pfd.events = POLLIN;
		if (pfd.fd < 0 || poll(&pfd, 1, 0) != 1 ||
		    (pfd.revents & POLLIN) == 0)
			break;
	}
	if (camera_fd(w->camera) < 0)
		w->next_ms = loop_now_ms() + w->interval;
	if (newest != NULL)
		worker_analyse(w, newest, newest_ms);
	worker_tick(w);
}

/* A source without an fd is due: asks it for a frame. */
static void
worker_ask(struct worker *w)
{
	struct image	*img;
	int64_t		 asked = loop_now_ms(), t;
	char		*cause;
	int		 r;

	r = camera_next(w->camera, &img, &t, &cause);
	if (r == 0) {
		worker_camera_end(w);
		return;
	}
	if (r == -1) {
		/* A bad file is skipped at once; a live source is retried. */
		worker_error(w, cause);
		w->next_ms = w->live ? asked + w->interval : asked;
		worker_tick(w);
		return;
	}
	w->stats.frames++;
	if (w->live) {
		w->next_ms = asked + w->interval;
		worker_analyse(w, img, t);
	} else if (asked - t > w->interval) {
		w->next_ms = t + w->interval;
		w->stats.dropped++;
		image_free(img);
	} else {
		w->next_ms = t + w->interval;
		if (t > loop_now_ms()) {
			w->held = img;
			w->held_ms = t;
			return;
		}
		worker_analyse(w, img, t);
	}
	worker_tick(w);
}

/*
 * Analyses a photo for enrolment: one face, passing the quality gate. The
 * crop is the tracker's (box + 25%, clipped), taken from a tracker of its
 * own, so an enrolment photo and a visit's photo are cut by one rule.
 */
static void
worker_enroll(struct worker *w, const struct worker_enroll *e)
{
	struct worker_msg		 m;
	struct worker_enroll_result	*r = &m.u.result;
	struct tracker			*tr;
	const struct track		*t;
	struct image			*img = NULL;
	struct face			*faces = NULL;
	struct quality			 q;
	char				*cause, *text;
	int				 n = 0;

	memset(&m, 0, sizeof m);
	m.type = WORKER_MSG_ENROLL_RESULT;
	r->req = e->req;
	if (image_decode(e->photo, e->len, w->max_pixels, &img, &cause) != 0) {
		xasprintf(&text, "not an image: %s", cause);
		free(cause);
		goto refuse;
	}
	if (face_engine_analyze(w->engine, img, &faces, &n, &cause) != 0) {
		xasprintf(&text, "analysis failed: %s", cause);
		free(cause);
		goto refuse;
	}
	if (n == 0) {
		text = xstrdup("no face");
		goto refuse;
	}
	if (n > 1) {
		xasprintf(&text, "%d faces: one face per photo", n);
		goto refuse;
	}
	if (quality_check(img, &faces[0], NULL, &q) != 0) {
		r->quality_score = q.score;
		text = xstrdup(q.reason);
		goto refuse;
	}
	r->quality_score = q.score;

	tr = tracker_new(NULL);
	tracker_update(tr, 0, img, faces, 1, &q, NULL);
	t = tracker_track(tr, 0);
	if (t == NULL || t->nbest == 0 || t->best[0].crop == NULL) {
		tracker_free(tr);
		text = xstrdup("cut-off");
		goto refuse;
	}
	if (worker_jpeg(t->best[0].crop, &r->jpeg, &r->jpeg_len,
	    &cause) != 0) {
		tracker_free(tr);
		text = cause;
		goto refuse;
	}
	tracker_free(tr);
	r->ok = 1;
	worker_msg_text(r->reason, sizeof r->reason, "ok");
	memcpy(r->descriptor, faces[0].descriptor, sizeof r->descriptor);
	worker_send(w, &m);
	free(r->jpeg);
	free(faces);
	image_free(img);
	return;

refuse:
	worker_msg_text(r->reason, sizeof r->reason, text);
	free(text);
	worker_send(w, &m);
	free(faces);
	image_free(img);
}

/* Main's socket is readable: requests, or EOF, which ends the worker. */
static void
worker_socket(struct worker *w)
{
	struct worker_msg	 m;
	char			*cause;
	int			 n, r;

	n = worker_reader_read(w->in, w->fd);
	if (n == -1 && errno == EAGAIN)
		return;
	if (n == 0)
		worker_end(w, 0);
	if (n == -1) {
		log_warnx("read from main: %s", strerror(errno));
		worker_end(w, 1);
	}
	while ((r = worker_reader_next(w->in, &m, &cause)) == 1) {
		if (m.type == WORKER_MSG_ENROLL)
			worker_enroll(w, &m.u.enroll);
		else
			log_warnx("unexpected %s from main",
			    worker_msg_name(m.type));
		worker_msg_clear(&m);
	}
	if (r == -1) {
		/* Main is trusted: a bad frame from it is a bug, not input. */
		log_warnx("bad message from main: %s", cause);
		worker_end(w, 1);
	}
}

/* The worker's loop: never returns. */
static noreturn void
worker_loop(struct worker *w)
{
	struct pollfd	pfd[2];
	int64_t		now, wait;
	int		nfd, cfd, timeout;

	for (;;) {
		now = loop_now_ms();
		timeout = -1;
		cfd = -1;
		if (w->camera != NULL) {
			if (w->held != NULL)
				wait = w->held_ms - now;
			else if ((cfd = camera_fd(w->camera)) == -1)
				wait = w->next_ms - now;
			else
				wait = -1;
			if (cfd == -1)
				timeout = wait < 0 ? 0 : wait > INT_MAX ?
				    INT_MAX : (int)wait;
		}
		pfd[0].fd = w->fd;
		pfd[0].events = POLLIN;
		pfd[0].revents = 0;
		nfd = 1;
		if (cfd >= 0) {
			pfd[1].fd = cfd;
			pfd[1].events = POLLIN;
			pfd[1].revents = 0;
			nfd = 2;
		}
		if (poll(pfd, nfd, timeout) == -1) {
			if (errno == EINTR)
				continue;
			log_warnx("poll: %s", strerror(errno));
			worker_end(w, 1);
		}
		if (pfd[0].revents != 0)
			worker_socket(w);
		if (w->camera == NULL)
			continue;
		now = loop_now_ms();
		if (w->held != NULL) {
			if (now >= w->held_ms) {
				worker_analyse(w, w->held, w->held_ms);
				w->held = NULL;
				worker_tick(w);
			}
		} else if (cfd >= 0) {
			if (pfd[1].revents != 0)
				worker_drain(w);
		} else if (now >= w->next_ms)
			worker_ask(w);
	}
}

/*
 * Changes to UID and GID for good: no supplementary groups, real, effective
 * and saved ids all changed, and a check that root cannot come back.
 * Returns 0, or -1 with *cause.
 */
static int
worker_drop(uid_t uid, gid_t gid, char **cause)
{
	uid_t	ru, eu, su;
	gid_t	rg, eg, sg;

	if (uid == 0 || gid == 0) {
		xasprintf(cause, "will not run the worker as root (%lu:%lu)",
		    (unsigned long)uid, (unsigned long)gid);
		return -1;
	}
	if (setgroups(0, NULL) == -1) {
		xasprintf(cause, "setgroups: %s", strerror(errno));
		return -1;
	}
	if (setresgid(gid, gid, gid) == -1) {
		xasprintf(cause, "setresgid %lu: %s", (unsigned long)gid,
		    strerror(errno));
		return -1;
	}
	if (setresuid(uid, uid, uid) == -1) {
		xasprintf(cause, "setresuid %lu: %s", (unsigned long)uid,
		    strerror(errno));
		return -1;
	}
	if (getresuid(&ru, &eu, &su) == -1 || ru != uid || eu != uid ||
	    su != uid || getresgid(&rg, &eg, &sg) == -1 || rg != gid ||
	    eg != gid || sg != gid || getgroups(0, NULL) != 0) {
		xasprintf(cause, "the ids did not change to %lu:%lu",
		    (unsigned long)uid, (unsigned long)gid);
		return -1;
	}
	if (setuid(0) != -1 || seteuid(0) != -1 || setgid(0) != -1 ||
	    setegid(0) != -1) {
		xasprintf(cause, "root could be regained after changing to "
		    "%lu:%lu", (unsigned long)uid, (unsigned long)gid);
		return -1;
	}
	return 0;
}

/* The child: never returns. */
static noreturn void
worker_main(int fd, const struct worker_opts *o, pid_t parent)
{
	struct worker		 w;
	struct face_engine_opts	 eo;
	struct tracker_params	 tp;
	struct worker_msg	 m;
	char			*cause;

	/*
	 * Signals back to their defaults (SIGPIPE ignored: a write to a main
	 * that has gone fails with EPIPE and the worker exits 0), nothing
	 * blocked, every fd but ours closed.
	 */
	child_setup(fd, parent);
	log_init("gatehouse-agent[worker]", log_get_level());

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1) {
		xasprintf(&cause, "PR_SET_NO_NEW_PRIVS: %s", strerror(errno));
		worker_fatal(fd, cause);
	}
	if (o->drop && worker_drop(o->uid, o->gid, &cause) != 0)
		worker_fatal(fd, cause);
	/*
	 * Again after the drop: changing credentials clears the death
	 * signal child_setup() asked for.
	 */
	if (o->drop && (prctl(PR_SET_PDEATHSIG, SIGTERM) == -1 ||
	    getppid() != parent))
		_exit(1);

	memset(&w, 0, sizeof w);
	w.opts = o;
	w.fd = fd;
	w.max_pixels = o->max_pixels != 0 ? o->max_pixels : IMAGE_MAX_PIXELS;
	face_engine_default_opts(&eo);
	eo.detector = o->detector;
	if (o->input_size != 0)
		eo.input_size = o->input_size;
	if (o->min_score != 0)
		eo.min_score = o->min_score;
	eo.threads = o->threads;
	if ((w.engine = face_engine_new(o->models_dir, &eo, &cause)) == NULL)
		worker_fatal(fd, cause);
	if ((w.scanner = zbar_image_scanner_create()) == NULL)
		worker_fatal(fd, xstrdup("zbar_image_scanner_create failed"));
	zbar_image_scanner_set_config(w.scanner, ZBAR_NONE, ZBAR_CFG_ENABLE, 0);
	zbar_image_scanner_set_config(w.scanner, ZBAR_QRCODE, ZBAR_CFG_ENABLE,
	    1);
	/* Opened last: a file source's clock starts at its open. */
	if ((w.camera = camera_open(o->camera, o->fps, o->loop, w.max_pixels,
	    &cause)) == NULL)
		worker_fatal(fd, cause);
	w.live = strncmp(o->camera, "file:", 5) != 0;
	w.interval = camera_interval_ms(w.camera);
	tp = tracker_default_params;
	if (o->recent > 0)
		tp.recent = o->recent;
	w.tracker = tracker_new(&tp);
	w.in = worker_reader_new(WORKER_MSG_MAX_ENROLL);
	w.stats_ms = w.next_ms = loop_now_ms();

	memset(&m, 0, sizeof m);
	m.type = WORKER_MSG_READY;
	worker_send(&w, &m);
	worker_loop(&w);
}

/* Forks the worker; see worker.h. */
pid_t
worker_spawn(const struct worker_opts *o, int *fd, char **cause)
{
	pid_t	pid, parent = getpid();
	int	sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM|SOCK_CLOEXEC, 0, sv) == -1) {
		xasprintf(cause, "socketpair: %s", strerror(errno));
		return -1;
	}
	if (fcntl(sv[0], F_SETFL, fcntl(sv[0], F_GETFL) | O_NONBLOCK) == -1) {
		xasprintf(cause, "fcntl: %s", strerror(errno));
		close(sv[0]);
		close(sv[1]);
		return -1;
	}
	/* What main has buffered must not be written twice. */
	fflush(NULL);
	if ((pid = fork()) == -1) {
		xasprintf(cause, "fork: %s", strerror(errno));
		close(sv[0]);
		close(sv[1]);
		return -1;
	}
	if (pid == 0) {
		close(sv[0]);
		worker_main(sv[1], o, parent);
	}
	close(sv[1]);
	*fd = sv[0];
	return pid;
}
