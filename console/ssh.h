/*
 * The console's SSH transport: a session with an agent on another host
 * (gatehouse -H). One SSH connection runs "gatehouse-agent dial-stdio" on
 * the door box, which joins the channel to the agent's control socket; the
 * agent gives the role of the remote user (the peer's uid), so who may do
 * what over SSH is decided by the door box's accounts, with no password or
 * token of Gatehouse's own.
 *
 * client.h speaks the protocol over a pair of fds, so the channel is
 * bridged to one: ssh_link_open() connects, checks the host key,
 * authenticates and starts the remote command, then hands the session to a
 * pump thread that owns it from then on (a libssh session must only be
 * used by one thread at a time) and copies bytes between the channel and
 * one end of a socketpair; the caller gets the other end. The thread ends
 * when both sides have closed, when the channel fails, or on
 * ssh_link_close().
 *
 * Host keys are checked against ~/.ssh/known_hosts as OpenSSH does: a
 * known key goes on, a changed key (or a key of another type than the one
 * known) is always refused, and an unknown host is asked about (ASK), or
 * refused unless ACCEPT_NEW. Authentication is by public key only: the
 * ssh-agent and the key files of ~/.ssh/config (IdentityFile) and ~/.ssh;
 * no password is ever asked for. ~ is $HOME when it is set (libssh alone
 * would take the passwd entry's home).
 */
#ifndef SSH_H
#define SSH_H

struct client;

/* What runs on the door box; SSH_OPTIONS.socket adds " -S SOCKET". */
#define SSH_REMOTE_COMMAND	"gatehouse-agent dial-stdio"

/* A running SSH connection carrying one dial-stdio channel. */
struct ssh_link;

struct ssh_options {
	const char	*destination;	/* [user@]host[:port], [v6]:port */
	/*
	 * The remote command; NULL: $GATEHOUSE_REMOTE_COMMAND if set, else
	 * SSH_REMOTE_COMMAND.
	 */
	const char	*remote_command;
	/* The agent's socket on the door box (-S), quoted, or NULL. */
	const char	*socket;
	int		 accept_new;	/* add an unknown host key (batch) */
	/*
	 * Asks the user whether to trust the unknown host HOST with key
	 * FINGERPRINT ("ED25519 SHA256:..."): 1 to accept (the key is then
	 * added to known_hosts). NULL: refuse unless accept_new.
	 */
	int		(*ask)(const char *host, const char *fingerprint,
			    void *arg);
	void		*ask_arg;
};

/*
 * Connects to the destination, verifies its host key, authenticates,
 * opens a channel running the remote command and starts the pump. *IN
 * (replies) and *OUT (requests) are then the same socket, for
 * client_open_fds(), which owns it. NULL with *CAUSE (for a person: which
 * host, what failed, what to do) on failure.
 */
struct ssh_link	*ssh_link_open(const struct ssh_options *, int *in, int *out,
		     char **cause);
/*
 * What the remote side said when it ended: the exit status or signal of
 * the remote command and the last of its standard error, e.g.
 * "gatehouse-agent: /run/gatehouse/agent.sock: No such file or directory
 * (exit status 1)". Malloc'd, or NULL when nothing is known (yet).
 */
char		*ssh_link_cause(struct ssh_link *);
/* Stops the pump, closes the channel and the connection; NULL is fine. */
void		 ssh_link_close(struct ssh_link *);

/*
 * ssh_link_open() and client_open_fds() in one, marked remote: NULL with
 * *CAUSE, which includes what the remote command said if it ended before
 * the hello. Free the client first, then the link.
 */
struct client	*ssh_client_open(const struct ssh_options *,
		     struct ssh_link **, char **cause);

#endif
