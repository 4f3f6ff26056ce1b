/*
 * The console's end of the control protocol (doc/PROTOCOL): one session
 * with an agent over a pair of file descriptors. The transport is only
 * those fds, so the local Unix socket and (later) an SSH channel bridged
 * to pipes are the same client; the commands above it (batch.c, the TUI)
 * never see which one it is.
 *
 * Requests are numbered from 1 ("hello" is 1) and a session has at most
 * one request in flight: client_call() blocks until its reply. Events
 * (after "events" with follow) may arrive at any time, also while a call
 * waits; they are queued for client_next_event(), so a reply is never
 * mistaken for an event nor lost behind one.
 *
 * Anything that breaks the session (read or write error, EOF before a
 * reply, a line over PROTO_REPLY_LINE_MAX, a line that is not a reply or
 * event, a reply with the wrong id) is a transport failure: the call fails
 * with a cause, and so does every later one with the same cause.
 */
#ifndef CLIENT_H
#define CLIENT_H

#include <cJSON.h>

#include "protocol.h"

#ifndef GATEHOUSE_VERSION
#define GATEHOUSE_VERSION	"0.1"
#endif

/* Where the agent listens unless told otherwise (control_socket). */
#define CLIENT_SOCKET		"/run/gatehouse/agent.sock"

struct client;

/*
 * Connects to the Unix socket PATH and says hello (client name "gatehouse
 * VERSION"). NULL with *CAUSE on failure: connect failed, the connection
 * was lost, or the agent refused the hello (a version mismatch names both
 * versions).
 */
struct client	*client_connect_unix(const char *path, char **cause);
/*
 * The same over an existing pair of fds (IN read, OUT written; they may be
 * one socket), e.g. an SSH channel bridged to pipes. The client owns them
 * and makes them non-blocking; they are closed on failure too.
 */
struct client	*client_open_fds(int in, int out, char **cause);
/*
 * Says hello and keeps the reply's role, agent and door: what the two
 * constructors above do. 0, or -1 with *CAUSE.
 */
/*
 * The agent's error code when the last hello was refused (a connection
 * closed before it, or no refusal, is PROTO_OK): permission-denied for a
 * user the agent gives no role at all.
 */
enum proto_error client_hello_refusal(void);
int		 client_hello(struct client *, char **cause);
/* The hello reply's role ("viewer", "guard", "admin"), agent and door. */
const char	*client_role(struct client *);
const char	*client_agent(struct client *);
const char	*client_door(struct client *);
/*
 * Whether the agent is on another host (set for SSH): then a photo is sent
 * as its bytes, not as a path the agent could not open.
 */
void		 client_set_remote(struct client *, int);
int		 client_remote(struct client *);
/*
 * Sends a request (ARGS, an object or NULL, is consumed) and waits for its
 * reply; events arriving meanwhile are queued for client_next_event(). 0
 * with *REPLY filled (the caller clears it with proto_reply_clear), which
 * may be an error reply; -1 with *CAUSE on a transport failure. A request
 * longer than PROTO_LINE_MAX is not sent: it gets a "too-large" error
 * reply made here, as the agent would answer.
 */
int		 client_call(struct client *, const char *cmd, cJSON *args,
		     struct proto_reply *reply, char **cause);
/*
 * The next event, waiting up to TIMEOUT_MS (-1 forever): 1 with *EV filled
 * (cleared by the caller), 0 on timeout or when a signal interrupted the
 * wait, -1 with *CAUSE when the connection has ended (EOF after the
 * queued events) or failed.
 */
int		 client_next_event(struct client *, int timeout_ms,
		     struct proto_reply *ev, char **cause);
/* Whether the agent closed the connection cleanly (EOF, no error). */
int		 client_closed(struct client *);
/* The fd to poll for readability (the TUI's loop). */
int		 client_fd(struct client *);
/*
 * Reads what the fd has without blocking and queues the events in it; for
 * a loop that polls client_fd(). 0, or -1 with *CAUSE once the connection
 * has ended or failed.
 */
int		 client_pump(struct client *, char **cause);
void		 client_free(struct client *);

#endif
