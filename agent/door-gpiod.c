/*
 * The door on GPIO lines, "gpiod:CHIP:LINE[,active_low][,contact=N]
 * [,exit=N]", through libgpiod 1.6 (the v1 API; 2.x is a different API, so
 * all of it stays in this file).
 *
 * LINE drives the relay: 1 energises it, or 0 with active_low (the line is
 * requested with GPIOD_LINE_REQUEST_FLAG_ACTIVE_LOW and the kernel inverts
 * it). The inputs are requested for both edges, consumer "gatehouse", and
 * their event fds are polled:
 *
 *   contact=N   high: "contact closed" (the reed switch is held by the
 *               magnet of a shut door), low: "contact open"; the state at
 *               open is reported too, as the first change
 *   exit=N      a rising edge: "exit pressed"; falling edges are ignored
 */
#include <errno.h>
#include <gpiod.h>
#include <stdlib.h>
#include <string.h>

#include "door.h"
#include "xmalloc.h"

/* The consumer name the kernel shows for our lines (gpioinfo). */
#define DOOR_GPIOD_CONSUMER	"gatehouse"

/* An open GPIO door. */
struct door_gpiod {
	struct door_gpiod_spec	 spec;
	struct gpiod_chip	*chip;
	struct gpiod_line	*relay;
	struct gpiod_line	*contact;	/* NULL when absent */
	struct gpiod_line	*exit;		/* NULL when absent */
	int			 contact_initial; /* -1 once reported */
};

/* Parses decimal digits into *V, at most DOOR_GPIOD_MAX_LINE; the count. */
static size_t
door_gpiod_digits(const char *p, int *v)
{
	size_t	n = 0;
	long	x = 0;

	while (p[n] >= '0' && p[n] <= '9') {
		x = x * 10 + (p[n++] - '0');
		if (x > DOOR_GPIOD_MAX_LINE)
			return 0;
	}
	*v = (int)x;
	return n;
}

/* Parses CHIP:LINE[,active_low][,contact=N][,exit=N]. */
int
door_gpiod_parse(const char *s, struct door_gpiod_spec *spec, char **cause)
{
	const char	*p;
	size_t		 n;
	int		 relay, *slot;

	memset(spec, 0, sizeof *spec);
	spec->contact = spec->exit = -1;
	n = strcspn(s, ":");
	if (n == 0 || n > DOOR_GPIOD_MAX_CHIP || s[n] != ':') {
		xasprintf(cause, "gpiod:%s: expected gpiod:CHIP:LINE", s);
		return -1;
	}
	memcpy(spec->chip, s, n);
	p = s + n + 1;
	if ((n = door_gpiod_digits(p, &relay)) == 0)
		goto bad;
	spec->relay = (unsigned int)relay;
	p += n;
	while (*p == ',') {
		p++;
		if (strncmp(p, "active_low", 10) == 0 &&
		    (p[10] == ',' || p[10] == '\0') && !spec->active_low) {
			spec->active_low = 1;
			p += 10;
			continue;
		}
		if (strncmp(p, "contact=", 8) == 0) {
			slot = &spec->contact;
			p += 8;
		} else if (strncmp(p, "exit=", 5) == 0) {
			slot = &spec->exit;
			p += 5;
		} else
			goto bad;
		if (*slot != -1 || (n = door_gpiod_digits(p, slot)) == 0)
			goto bad;
		p += n;
	}
	if (*p != '\0')
		goto bad;
	if (spec->contact == relay || spec->exit == relay ||
	    (spec->contact != -1 && spec->contact == spec->exit)) {
		xasprintf(cause, "gpiod:%s: the relay, contact and exit lines "
		    "must differ", s);
		return -1;
	}
	return 0;

bad:
	xasprintf(cause, "gpiod:%s: expected gpiod:CHIP:LINE[,active_low]"
	    "[,contact=N][,exit=N] with lines from 0 to %d", s,
	    DOOR_GPIOD_MAX_LINE);
	return -1;
}

/* Requests input line OFFSET for both edges; NULL with *CAUSE. */
static struct gpiod_line *
door_gpiod_input(struct door_gpiod *g, int offset, char **cause)
{
	struct gpiod_line	*line;

	line = gpiod_chip_get_line(g->chip, (unsigned int)offset);
	if (line == NULL || gpiod_line_request_both_edges_events(line,
	    DOOR_GPIOD_CONSUMER) == -1) {
		xasprintf(cause, "%s: line %d: %s", g->spec.chip, offset,
		    strerror(errno));
		return NULL;
	}
	return line;
}

/* Opens the chip and requests the relay (dropped) and the inputs. */
static void *
door_gpiod_open(const char *s, char **cause)
{
	struct door_gpiod	*g;
	int			 flags;

	g = xcalloc(1, sizeof *g);
	g->contact_initial = -1;
	if (door_gpiod_parse(s, &g->spec, cause) == -1)
		goto fail;
	if ((g->chip = gpiod_chip_open_lookup(g->spec.chip)) == NULL) {
		xasprintf(cause, "%s: %s", g->spec.chip, strerror(errno));
		goto fail;
	}
	flags = g->spec.active_low ? GPIOD_LINE_REQUEST_FLAG_ACTIVE_LOW : 0;
	g->relay = gpiod_chip_get_line(g->chip, g->spec.relay);
	if (g->relay == NULL || gpiod_line_request_output_flags(g->relay,
	    DOOR_GPIOD_CONSUMER, flags, 0) == -1) {
		xasprintf(cause, "%s: line %u: %s", g->spec.chip,
		    g->spec.relay, strerror(errno));
		goto fail;
	}
	if (g->spec.contact != -1) {
		g->contact = door_gpiod_input(g, g->spec.contact, cause);
		if (g->contact == NULL)
			goto fail;
		g->contact_initial = gpiod_line_get_value(g->contact);
	}
	if (g->spec.exit != -1) {
		if ((g->exit = door_gpiod_input(g, g->spec.exit, cause)) ==
		    NULL)
			goto fail;
	}
	return g;

fail:
	if (g->chip != NULL)
		gpiod_chip_close(g->chip);
	free(g);
	return NULL;
}

/* Sets the relay line; MS is the keeper's business. */
static int
door_gpiod_relay(void *state, int on, int64_t ms, char **cause)
{
	struct door_gpiod	*g = state;

	(void)ms;
	if (gpiod_line_set_value(g->relay, on ? 1 : 0) == -1) {
		xasprintf(cause, "%s: line %u: %s", g->spec.chip,
		    g->spec.relay, strerror(errno));
		return -1;
	}
	return 0;
}

/* The event fds of the inputs. */
static int
door_gpiod_fds(void *state, int *fds, int max)
{
	struct door_gpiod	*g = state;
	int			 n = 0;

	if (g->contact != NULL && n < max)
		fds[n++] = gpiod_line_event_get_fd(g->contact);
	if (g->exit != NULL && n < max)
		fds[n++] = gpiod_line_event_get_fd(g->exit);
	return n;
}

/* Reads one edge event from the input whose event fd is FD. */
static int
door_gpiod_read(void *state, int fd, door_input_cb *cb, void *arg,
    char **cause)
{
	struct door_gpiod	*g = state;
	struct gpiod_line_event	 ev;
	struct gpiod_line	*line;
	int			 rising;

	if (g->contact_initial != -1) {
		cb(g->contact_initial ? DOOR_CONTACT_CLOSED :
		    DOOR_CONTACT_OPEN, arg);
		g->contact_initial = -1;
	}
	if (g->contact != NULL && fd == gpiod_line_event_get_fd(g->contact))
		line = g->contact;
	else if (g->exit != NULL && fd == gpiod_line_event_get_fd(g->exit))
		line = g->exit;
	else
		return 0;
	if (gpiod_line_event_read(line, &ev) == -1) {
		xasprintf(cause, "%s: line %u: %s", g->spec.chip,
		    gpiod_line_offset(line), strerror(errno));
		return -1;
	}
	rising = ev.event_type == GPIOD_LINE_EVENT_RISING_EDGE;
	if (line == g->contact)
		cb(rising ? DOOR_CONTACT_CLOSED : DOOR_CONTACT_OPEN, arg);
	else if (rising)
		cb(DOOR_EXIT_PRESSED, arg);
	return 0;
}

/* Drops the relay once more, then releases every line with the chip. */
static void
door_gpiod_close(void *state)
{
	struct door_gpiod	*g = state;

	gpiod_line_set_value(g->relay, 0);
	gpiod_chip_close(g->chip);
	free(g);
}

const struct door_backend door_gpiod_backend = {
	.prefix = "gpiod:",
	.open = door_gpiod_open,
	.relay = door_gpiod_relay,
	.fds = door_gpiod_fds,
	.read = door_gpiod_read,
	.close = door_gpiod_close
};
