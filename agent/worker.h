/*
 * The vision worker: a child of the agent that owns the camera and the face
 * engine, so that no camera byte or photo is parsed in main. It captures,
 * analyses, tracks and sends observations to main over a socketpair, and
 * analyses photos for enrolment when main asks.
 *
 * Wire format (worker-msg.c). Both ways, a stream of frames:
 *
 *	u32 N		length of the rest of the frame, little-endian
 *	u8 TYPE		enum worker_msg_type
 *	fields		in the fixed order of the message, little-endian
 *
 * Integers are little-endian of their size; int fields (flags) are one u8,
 * 0 or 1; doubles and floats are their IEEE 754 bits as u64 and u32 and must
 * be finite; strings are u16 LEN + LEN bytes of printable UTF-8 (no control
 * bytes, no NUL) shorter than the C field; blobs are u32 LEN + LEN bytes
 * (LEN 0: none). The fields, by type:
 *
 *	READY		(none)
 *	FATAL		str text
 *	FACE		u64 track (>= 1), i64 time_ms, i64 first_ms,
 *			f64 box x, y, w (>= 0), h (>= 0), score (0..1),
 *			u8 quality_pass, str reason, f64 quality_score,
 *			f32 descriptor[128], f64 landmarks[68][2], blob jpeg
 *	TRACK_END	u64 track (>= 1), i64 first_ms, i64 last_ms, u32 frames
 *	CAMERA_END	(none)
 *	STATS		u64 frames, analysed, dropped, errors, f64 analyse_ms
 *			(>= 0)
 *	ENROLL		u64 req, blob photo (at most WORKER_ENROLL_PHOTO_MAX)
 *	ENROLL_RESULT	u64 req, u8 ok, str reason, f64 quality_score,
 *			f32 descriptor[128], blob jpeg (present iff ok)
 *	CODE		i64 time_ms, str text (1 to WORKER_CODE_MAX - 1
 *			bytes of printable ASCII)
 *
 * A frame is at most WORKER_MSG_MAX bytes, its u32 included, except ENROLL
 * (at most WORKER_MSG_MAX_ENROLL). The decoder is strict: the frame must be
 * consumed exactly and every field be in range, or it is refused with a
 * cause. Main treats the worker as untrusted: a worker that sends a frame
 * that does not decode is killed and restarted.
 *
 * Order of the worker's messages: READY (or FATAL, then the worker exits 1)
 * first; then FACE for every tracked face of each analysed frame, in face
 * order, followed by TRACK_END of the tracks that ended at that frame; STATS
 * about once a second while frames flow. When a file source without loop
 * runs out: TRACK_END of every track still live, a last STATS, CAMERA_END.
 * The worker exits 0 at EOF on its socket.
 */
#ifndef WORKER_H
#define WORKER_H

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>

#include "face.h"

/* The largest frame from the worker, length included. */
#define WORKER_MSG_MAX		(4UL * 1024 * 1024)
/* The largest photo main may send for enrolment. */
#define WORKER_ENROLL_PHOTO_MAX	(16UL * 1024 * 1024)
/* The largest frame the worker reads: an ENROLL with its photo. */
#define WORKER_MSG_MAX_ENROLL	(17UL * 1024 * 1024)
/* A reader reads at least this much at a time. */
#define WORKER_READ_CHUNK	65536

enum worker_msg_type {
	WORKER_MSG_READY = 1,	/* w->m: models loaded, camera open; first */
	WORKER_MSG_FATAL,	/* w->m: text; the worker could not start */
	WORKER_MSG_FACE,	/* w->m: one face of an analysed frame */
	WORKER_MSG_TRACK_END,	/* w->m: a track ended */
	WORKER_MSG_CAMERA_END,	/* w->m: a file camera ran out of frames */
	WORKER_MSG_STATS,	/* w->m: counters */
	WORKER_MSG_ENROLL,	/* m->w: analyse a photo for enrolment */
	WORKER_MSG_ENROLL_RESULT, /* w->m: the answer, same req */
	WORKER_MSG_CODE,	/* w->m: a QR code's text seen in a frame */
};
#define WORKER_MSG_TYPE_MAX	WORKER_MSG_CODE

/*
 * The longest QR text sent, with its NUL: a pass's text is at most 1028
 * characters (doc/PASSES); anything longer is no pass and is not sent.
 */
#define WORKER_CODE_MAX		1100

/* One tracked face of an analysed frame. */
struct worker_face {
	uint64_t	 track;		/* track id, from 1 */
	int64_t		 time_ms;	/* the frame's time (camera.h) */
	int64_t		 first_ms;	/* the track's first frame */
	struct face_box	 box;
	int		 quality_pass;
	char		 reason[16];	/* quality_check's word, "ok" */
	double		 quality_score;
	float		 descriptor[FACE_DESCRIPTOR];
	double		 landmarks[FACE_LANDMARKS][2];
	/*
	 * The track's crop (box + 25% margin) as JPEG, only when this frame
	 * just became the track's best frame; else NULL.
	 */
	uint8_t		*jpeg;
	size_t		 jpeg_len;
};

struct worker_track_end {
	uint64_t	track;
	int64_t		first_ms;
	int64_t		last_ms;
	uint32_t	frames;
};

/*
 * The counts are totals since the worker started: frames read from the
 * camera (errors not included), frames analysed, frames dropped unanalysed
 * (late or superseded) and errors (unreadable frames, failed analyses).
 * analyse_ms is the mean analysis time of the frames analysed since the
 * previous STATS (0 if none).
 */
struct worker_stats {
	uint64_t	frames;
	uint64_t	analysed;
	uint64_t	dropped;
	uint64_t	errors;
	double		analyse_ms;
};

struct worker_enroll {
	uint64_t	 req;
	uint8_t		*photo;
	size_t		 len;
};

struct worker_enroll_result {
	uint64_t	 req;
	int		 ok;	/* exactly one face, passing the quality gate */
	char		 reason[128];	/* why not, in words; "ok" */
	double		 quality_score;
	float		 descriptor[FACE_DESCRIPTOR];	/* when ok, else 0 */
	uint8_t		*jpeg;		/* the face crop, when ok */
	size_t		 jpeg_len;
};

/*
 * A QR code decoded (libzbar) in an analysed frame. The worker sends one
 * CODE per code per analysed frame in which it decodes: main, not the
 * worker, decides when a code shown for a while is one showing.
 */
struct worker_code {
	int64_t	 time_ms;	/* the frame's time (camera.h) */
	char	 text[WORKER_CODE_MAX];
};

struct worker_msg {
	enum worker_msg_type	type;
	union {
		char			text[256];	/* FATAL */
		struct worker_face	face;
		struct worker_track_end	end;
		struct worker_stats	stats;
		struct worker_enroll	enroll;
		struct worker_enroll_result result;
		struct worker_code	code;
	} u;
};

/* worker-msg.c */
/*
 * Encodes M into a malloc'd frame. Returns 0, or -1 if M would not decode
 * (a non-finite number, a field out of range, a string too long or not
 * printable UTF-8, a frame over its limit).
 */
int	 worker_msg_encode(const struct worker_msg *, uint8_t **buf,
	    size_t *len);
/*
 * Decodes one whole frame (its u32 length included) of LEN bytes. Returns
 * 0 and fills M (which owns its malloc'd blobs: worker_msg_clear), or -1
 * with *cause (M is left empty).
 */
int	 worker_msg_decode(const uint8_t *buf, size_t len, struct worker_msg *,
	    char **cause);
/* Frees the blobs of M and zeroes it. */
void	 worker_msg_clear(struct worker_msg *);
/* The name of a type ("FACE"), or "unknown". */
const char *worker_msg_name(int type);
/*
 * Copies SRC into DST (SIZE bytes) as a string the codec accepts: control
 * bytes and broken UTF-8 become '?', cut on a character boundary.
 */
void	 worker_msg_text(char *dst, size_t size, const char *src);

/*
 * Frames in from a non-blocking fd, at most MAX bytes each. Use: on
 * readable call worker_reader_read() once, then worker_reader_next() until
 * it returns 0; drained like that, the reader never holds more than MAX +
 * WORKER_READ_CHUNK bytes, and an oversized frame is refused as soon as its
 * length is read.
 */
struct worker_reader;
struct worker_reader *worker_reader_new(size_t max);
void	 worker_reader_free(struct worker_reader *);
/*
 * Reads what the fd has: bytes read (> 0), 0 at EOF, or -1 with errno
 * (EAGAIN: nothing now; ENOBUFS: not drained; EBADMSG: the stream is
 * unusable after a bad frame). EINTR is retried.
 */
int	 worker_reader_read(struct worker_reader *, int fd);
/* As worker_reader_read() from memory: takes what fits, returns the count. */
ssize_t	 worker_reader_feed(struct worker_reader *, const void *, size_t);
/*
 * 1 with the next message in M (worker_msg_clear it), 0 if no whole frame
 * is held, -1 with *cause for an oversized or undecodable frame: the stream
 * is unusable after it, every later call fails too.
 */
int	 worker_reader_next(struct worker_reader *, struct worker_msg *,
	    char **cause);
/* Bytes allocated for the buffer, for tests of the bound. */
size_t	 worker_reader_capacity(const struct worker_reader *);

/*
 * Frames out to a non-blocking fd, for main: worker_writer_add() queues,
 * worker_writer_flush() writes what the fd takes. The queue is unbounded:
 * the owner checks worker_writer_pending(). Writing to a closed peer raises
 * SIGPIPE: programs ignore it.
 */
struct worker_writer;
struct worker_writer *worker_writer_new(void);
void	 worker_writer_free(struct worker_writer *);
/* 0, or -1 if the message cannot be encoded (nothing queued). */
int	 worker_writer_add(struct worker_writer *, const struct worker_msg *);
/* 1 when empty, 0 when the fd would block with data left, -1 with errno. */
int	 worker_writer_flush(struct worker_writer *, int fd);
size_t	 worker_writer_pending(const struct worker_writer *);

/*
 * Writes a whole frame to FD, waiting as long as it takes (the worker's
 * side). EINTR is retried, EAGAIN waited out. Returns 0, or -1 with *cause
 * and errno: EINVAL when M cannot be encoded (nothing written), else the
 * write's (EPIPE: the peer is gone).
 */
int	 worker_msg_write(int fd, const struct worker_msg *, char **cause);

/* worker.c */
struct worker_opts {
	const char		*camera;	/* the camera keyword's spec */
	double			 fps;
	int			 loop;		/* restart a file source */
	size_t			 max_pixels;	/* 0: IMAGE_MAX_PIXELS */
	const char		*models_dir;
	enum face_detector	 detector;
	int			 input_size;	/* 0: the default */
	double			 min_score;	/* 0: the default */
	int			 threads;	/* 0: one per core */
	int			 recent;	/* descriptors kept per track */
	int			 drop;		/* change to UID/GID */
	uid_t			 uid;
	gid_t			 gid;
};

/*
 * Forks the worker. Returns its pid and main's end of a SOCK_STREAM
 * socketpair in *FD (non-blocking, close-on-exec), without waiting for it
 * to load: READY or FATAL comes as its first message. -1 with *cause if
 * the socketpair or fork fails.
 *
 * The child sets itself up as child.h says (signals, fds, SIGTERM at its
 * parent's death), logs as "gatehouse-agent[worker]" at main's level, sets
 * no_new_privs and, when DROP, changes to UID/GID (neither may be 0) with
 * no supplementary groups and checks it cannot get root back, or sends
 * FATAL: the models, the camera directory or device (a v4l2 device is
 * reopened after an unplug) must be readable by UID or GID themselves.
 * It never returns into main's code: it ends with _exit(), 0 at EOF from
 * main.
 */
pid_t	 worker_spawn(const struct worker_opts *, int *fd, char **cause);

#endif
