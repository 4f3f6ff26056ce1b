/*
 * The agent's control socket: the server end of the control protocol
 * (shared/protocol.h, doc/PROTOCOL) on a Unix stream socket, and the byte
 * copier behind "gatehouse-agent dial-stdio".
 *
 * Socket. AF_UNIX, SOCK_STREAM, non-blocking and close-on-exec, bound
 * under umask 0117 (so the file is mode 0660; the umask is restored after
 * bind) in a directory that must exist; listen backlog 16. A path longer
 * than sun_path is an error. A file already at the path is handled like
 * this: a socket nobody accepts on (connect gives ECONNREFUSED) is stale,
 * left by a crash, and is unlinked; a socket an agent answers on is an
 * error ("another agent is listening on PATH"); anything else is an error
 * and is never unlinked. control_free() removes the file if it is still
 * the socket this control bound.
 *
 * Peers and roles. SO_PEERCRED gives a peer's uid, gid and pid. Uid 0 and
 * the agent's own euid are admin; anyone else gets the highest role whose
 * list (admin_users, guard_users, viewer_users) names them: by the user
 * name of the uid, by numeric uid, or by "@group" when the group's gid is
 * the peer's gid or the user is a member (getgrouplist). Names are looked
 * up when a peer connects, so a user or group created after the lists
 * were set counts. A peer with no role gets one "permission-denied" error
 * (no id) and is closed; so does, with "unavailable", any peer past
 * CONTROL_PEERS_MAX. Over SSH, dial-stdio runs as the remote user: the
 * peer's uid is that user's, with no special case.
 *
 * Session. The first request must be "hello" (anything else: "bad-request",
 * "hello first"); it is answered here and never reaches the callback. A
 * hello of another protocol version is answered with error "version" and
 * the connection is closed after that reply; a second hello is
 * "bad-request". A peer that has not said hello within CONTROL_HELLO_MS is
 * dropped. Lines are at most PROTO_LINE_MAX bytes: a longer one is answered
 * "too-large" (no id) and the session goes on; a line that does not parse
 * gets the error proto_parse_request() gives, with the id when it could be
 * read; a command above the peer's role is "permission-denied" and does
 * not reach the callback either. CONTROL_BAD_MAX bad lines in a row (a good
 * request resets the count) drop the peer.
 *
 * One request at a time per peer: while a request is outstanding (the
 * callback has not yet called control_reply()), the peer's further lines
 * stay unread and unprocessed, so replies come in request order however
 * long one takes. Nor are requests taken while more than CONTROL_OUT_PAUSE
 * bytes of the peer's output wait. A peer that ends its side (EOF, e.g.
 * dial-stdio after its stdin ended) still gets the replies to every request
 * it sent, then the connection is closed.
 *
 * Output is written at once when the socket takes it, else kept and
 * written as the peer reads. A peer whose unwritten output passes
 * CONTROL_OUT_MAX (a console that stopped reading while following events)
 * is dropped, as is a peer whose socket fails or hangs up. Writes to a
 * peer that has gone raise SIGPIPE: the program must ignore it.
 *
 * Dropping is safe anywhere, including inside the callback: the peer's fd
 * is closed and taken off the loop at once, and its memory is freed later
 * from a loop timer; control_reply() and control_follow() for a peer that
 * is gone do nothing harmful.
 */
#ifndef CONTROL_H
#define CONTROL_H

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>

#include "loop.h"
#include "protocol.h"

/* At most this many peers at once; the next is refused "unavailable". */
#define CONTROL_PEERS_MAX	64
/* A peer must say hello within this long (milliseconds). */
#define CONTROL_HELLO_MS	10000
/* Bad lines in a row that drop a peer. */
#define CONTROL_BAD_MAX		16
/* Unwritten output that drops a peer. */
#define CONTROL_OUT_MAX		((size_t)64 * 1024 * 1024)
/* Unwritten output above which a peer's next request waits. */
#define CONTROL_OUT_PAUSE	((size_t)1024 * 1024)

struct control;

/* Copied by control_new(). */
struct control_params {
	const char	*path;		/* the socket's path */
	const char	*agent;		/* "gatehouse-agent VERSION" (hello) */
	const char	*door;		/* the door's name (hello) */
};

/* The peer of a request, valid for the callback only. */
struct control_peer {
	uint64_t	 id;		/* from 1, never reused */
	uid_t		 uid;
	gid_t		 gid;
	pid_t		 pid;
	enum proto_role	 role;
	const char	*who;		/* "uid 1000 (alice)", for logs */
};

/*
 * Called for each request after hello, once the role allows its command
 * (cmd is never hello). REQ is valid for the callback only (keep req->id to
 * answer later). The callee must answer with control_reply() exactly once,
 * now or later (e.g. after a worker round trip); the peer's next request
 * waits until then. For "events" with follow, call control_reply() then
 * control_follow(), so the reply comes before the first event. The callback
 * must not call control_free().
 */
typedef void	 control_request_cb(struct control *,
		     const struct control_peer *,
		     const struct proto_request *, void *arg);

/* Binds the socket and serves it from LOOP; NULL with *CAUSE on failure. */
struct control	*control_new(struct loop *, const struct control_params *,
		     control_request_cb *, void *arg, char **cause);
/* Closes every peer and the socket, and removes the socket file; NULL is
 * fine. */
void		 control_free(struct control *);
/*
 * Sets the role lists (config's viewer_users, guard_users, admin_users;
 * NULL is an empty list). 0, or -1 with *CAUSE for a malformed list, the
 * old lists then staying. Unknown user or group names are not errors
 * (logged at debug): they may be created later. Connected peers get the
 * role the new lists give them; one left with none is dropped.
 */
int		 control_set_roles(struct control *, const char *kiosks,
		    const char *viewers, const char *guards,
		    const char *admins, char **cause);
/*
 * The role of a peer with UID and GID under the current lists: 0 with
 * *ROLE, or -1 when it has none.
 */
int		 control_role_of(struct control *, uid_t, gid_t,
		     enum proto_role *);
/*
 * Answers the outstanding request of PEER with LINE (malloc'd, from
 * proto_reply_ok/proto_reply_error; consumed). A peer gone meanwhile: LINE
 * is freed, nothing else. Then the peer's next buffered request is
 * processed (from the loop, never recursively inside this call).
 */
void		 control_reply(struct control *, uint64_t peer, char *line);
/* From now on PEER receives events (events --follow). 0, or -1 if the
 * peer is gone. */
int		 control_follow(struct control *, uint64_t peer);
/* Queues the event LINE (from proto_event) to every following peer. */
void		 control_event(struct control *, const char *line);
/* Connected peers. */
size_t		 control_peers(const struct control *);

/*
 * dial-stdio: connects to the socket at PATH (blocking), then copies IN to
 * the socket and the socket to OUT until the socket's EOF. IN's EOF shuts
 * the socket's sending side down and copying towards OUT goes on. Each
 * direction has one bounded buffer, and nothing more is read from a side
 * while its bytes wait to be written to the other. Returns 0 at the
 * socket's EOF, or -1 with *CAUSE (a connect failure is the bare reason,
 * for "PATH: cause"). SIGPIPE must be ignored (OUT may be a pipe).
 */
int		 control_dial(const char *path, int in, int out, char **cause);

#endif
