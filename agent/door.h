/*
 * The door: a relay (the strike) and two inputs (the door contact and the
 * exit button), behind a small backend interface so that tests and regress
 * scripts run against a file while a door box drives GPIO lines.
 *
 * Only the door keeper (door-keeper.c), a tiny child of the agent, opens a
 * door; main speaks to it over a socketpair with newline-delimited text:
 *
 *   main -> keeper   pulse MS      energise the relay for MS milliseconds,
 *                                  clamped to the maximum; a pulse during a
 *                                  pulse extends it, up to the maximum
 *                                  counted from the first pulse's start
 *                    release       drop the relay now (idle: nothing
 *                                  happens and nothing is said)
 *   keeper -> main   ready         once, first: the door is open (read by
 *                                  door_keeper_spawn(), never seen by main)
 *                    pulse MS      the relay is energised for MS more ms
 *                                  (the answer to every accepted pulse)
 *                    release       the relay has dropped
 *                    contact open|contact closed
 *                    exit pressed
 *                    error TEXT    a refused command or a failing door
 *
 * The keeper fails closed: a pulse always ends by the keeper's own timer;
 * EOF or an error on the socketpair (main died or closed it), SIGTERM,
 * SIGINT, SIGHUP, SIGQUIT and the death of its parent drop the relay at
 * once and end the keeper. Lines longer than DOOR_KEEPER_LINE_MAX, bad
 * numbers and unknown commands get an error line, not a disconnect.
 */
#ifndef DOOR_H
#define DOOR_H

#include <sys/types.h>

#include <stdint.h>

/* What an input reported; door_input_name() gives its protocol text. */
enum door_input {
	DOOR_CONTACT_OPEN,
	DOOR_CONTACT_CLOSED,
	DOOR_EXIT_PRESSED
};

typedef void	 door_input_cb(enum door_input, void *);

/*
 * A backend. open() takes the spec after its prefix and returns the
 * backend's state, or NULL with *CAUSE. relay() energises (ON 1, for MS
 * milliseconds, which the backend may only record) or drops the relay.
 * fds() fills at most MAX fds to poll for input changes and returns how
 * many. read() is called when one of them is readable and reports every
 * input change it finds through CB; with FD -1 it reports the state of
 * the inputs at open, when the backend knows it (the keeper calls it once
 * so). relay() and read() return 0, or -1 with *CAUSE. close() does not
 * drop the relay: the keeper does first.
 */
struct door_backend {
	const char	*prefix;
	void		*(*open)(const char *, char **);
	int		 (*relay)(void *, int on, int64_t ms, char **);
	int		 (*fds)(void *, int *fds, int max);
	int		 (*read)(void *, int fd, door_input_cb *, void *,
			     char **);
	void		 (*close)(void *);
};

/* An open door: its backend and the backend's state. */
struct door {
	const struct door_backend	*backend;
	void				*state;
};

/* The most fds a backend polls (gpiod: the contact and the exit lines). */
#define DOOR_MAX_FDS	2

/* door.c */
struct door	*door_open(const char *spec, char **cause);
int		 door_relay(struct door *, int on, int64_t ms, char **cause);
int		 door_fds(struct door *, int *fds, int max);
int		 door_read(struct door *, int fd, door_input_cb *, void *,
		     char **cause);
void		 door_close(struct door *);
const char	*door_input_name(enum door_input);
/* 0 with *INPUT for "contact open", "contact closed" or "exit pressed". */
int		 door_input_parse(const char *, enum door_input *input);

/* door-sim.c */
extern const struct door_backend door_sim_backend;

/* door-gpiod.c */
/* The longest chip name or path, as config.c allows. */
#define DOOR_GPIOD_MAX_CHIP	64
/* The highest line offset. */
#define DOOR_GPIOD_MAX_LINE	65535
/* gpiod:CHIP:LINE[,active_low][,contact=N][,exit=N], parsed. */
struct door_gpiod_spec {
	char		chip[DOOR_GPIOD_MAX_CHIP + 1];
	unsigned int	relay;
	int		active_low;	/* the relay line only */
	int		contact;	/* -1 when absent */
	int		exit;		/* -1 when absent */
};
/* Parses the spec after "gpiod:"; 0, or -1 with *CAUSE. */
int		 door_gpiod_parse(const char *, struct door_gpiod_spec *,
		     char **cause);
extern const struct door_backend door_gpiod_backend;

/* door-keeper.c */
/*
 * The keeper's own ceiling on a pulse, whatever it is given: the same 60 s
 * as door_max_pulse's range, past which a door held open is an open door,
 * not a pulse.
 */
#define DOOR_KEEPER_MAX_PULSE	60000
/* The longest protocol line either way; longer ones are refused. */
#define DOOR_KEEPER_LINE_MAX	256
/*
 * Forks the keeper on the door SPEC (the door keyword) with pulses capped
 * at MAX_PULSE ms (door_max_pulse; 0 or above DOOR_KEEPER_MAX_PULSE means
 * that). Returns the child's pid and main's end of the socketpair in *FD
 * (non-blocking, close-on-exec), once the keeper has opened the door; or
 * -1 with *CAUSE (the door did not open, or fork failed). Any other child
 * main forks must close *FD, or the keeper cannot see main die.
 */
pid_t		 door_keeper_spawn(const char *spec, int64_t max_pulse,
		     int *fd, char **cause);

#endif
