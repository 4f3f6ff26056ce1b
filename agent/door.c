/*
 * Opening a door by its spec and calling its backend.
 */
#include <stdlib.h>
#include <string.h>

#include "door.h"
#include "xmalloc.h"

/* Every backend, chosen by the prefix of the spec. */
static const struct door_backend *door_backends[] = {
	&door_sim_backend,
	&door_gpiod_backend
};

/* The protocol text of each input, in enum order. */
static const char *door_input_names[] = {
	"contact open",
	"contact closed",
	"exit pressed"
};

/* Opens the door SPEC: sim:FILE or gpiod:CHIP:LINE[,...]. */
struct door *
door_open(const char *spec, char **cause)
{
	const struct door_backend	*b;
	struct door			*d;
	void				*state;
	size_t				 i, n;

	for (i = 0; i < sizeof door_backends / sizeof *door_backends; i++) {
		b = door_backends[i];
		n = strlen(b->prefix);
		if (strncmp(spec, b->prefix, n) != 0)
			continue;
		if ((state = b->open(spec + n, cause)) == NULL)
			return NULL;
		d = xmalloc(sizeof *d);
		d->backend = b;
		d->state = state;
		return d;
	}
	xasprintf(cause, "%s: expected sim:FILE or gpiod:CHIP:LINE", spec);
	return NULL;
}

/* Energises the relay for MS milliseconds (ON 1) or drops it (ON 0). */
int
door_relay(struct door *d, int on, int64_t ms, char **cause)
{
	return d->backend->relay(d->state, on, ms, cause);
}

/* The fds to poll for input changes, at most MAX; returns the count. */
int
door_fds(struct door *d, int *fds, int max)
{
	return d->backend->fds(d->state, fds, max);
}

/* Reports the input changes waiting on FD through CB. */
int
door_read(struct door *d, int fd, door_input_cb *cb, void *arg,
    char **cause)
{
	return d->backend->read(d->state, fd, cb, arg, cause);
}

/* Closes the door; the caller has dropped the relay. */
void
door_close(struct door *d)
{
	if (d == NULL)
		return;
	d->backend->close(d->state);
	free(d);
}

/* The protocol text of an input. */
const char *
door_input_name(enum door_input input)
{
	return door_input_names[input];
}

/* Parses the protocol text of an input. */
int
door_input_parse(const char *s, enum door_input *input)
{
	size_t	i;

	for (i = 0; i < sizeof door_input_names / sizeof *door_input_names;
	    i++) {
		if (strcmp(s, door_input_names[i]) == 0) {
			*input = (enum door_input)i;
			return 0;
		}
	}
	return -1;
}
