/*
 * The agent's main process (daemon.h): start-up, the children, events, the
 * door, reload and shutdown.
 *
 * Children. The door keeper, the speaker and the vision worker each hold
 * one end of a socket or pipe to main. A child is gone when main has both
 * seen its fd end (EOF or an error) and reaped it (SIGCHLD); only then is
 * it restarted, after a backoff that doubles from one second to a minute
 * and starts over once a child has run for a minute. Main never waits for
 * a child: a worker that sends garbage is killed and its death comes back
 * through SIGCHLD like any other.
 *
 * The door. A grant is an event committed to the store first, then a
 * "pulse" line to the keeper: if the store cannot record it, the door does
 * not open. The keeper tells back when the relay is energised and dropped,
 * and what the door contact and the exit button do; a contact that opens
 * with no pulse running (or just ended) is a forced door, one that stays
 * open past held_open_after is held open: both are alarms.
 */
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "control.h"
#include "daemon.h"
#include "door.h"
#include "gallery.h"
#include "lineio.h"
#include "log.h"
#include "loop.h"
#include "notify.h"
#include "outbox.h"
#include "pass.h"
#include "protocol.h"
#include "xmalloc.h"

/* Restart backoff of a child, in ms. */
#define AGENT_BACKOFF_MIN	1000
#define AGENT_BACKOFF_MAX	60000
/* A child that ran this long starts its backoff over. */
#define AGENT_CHILD_HEALTHY	60000
/*
 * After a pulse, how long faces still count as following the entry: the
 * time to walk through the door once it is open.
 */
#define AGENT_ENTRY_GRACE_MS	3000
/* A contact opening this soon after a pulse ended is not forced. */
#define AGENT_DOOR_GRACE	2000
/* Prompts queued for the speaker beyond this are dropped. */
#define AGENT_SPEAKER_QUEUE	4096
/* How often pending requests expire and retention runs. */
#define AGENT_HOUSEKEEPING_MS	60000

static void	agent_worker_start(struct agent *);
static void	agent_keeper_start(struct agent *);
static void	agent_speaker_start(struct agent *);

int64_t
agent_wall_ms(int64_t mono_ms)
{
	struct timespec	ts;
	int64_t		now;

	clock_gettime(CLOCK_REALTIME, &ts);
	now = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	return now - (loop_now_ms() - mono_ms);
}

static int
agent_person_cmp(const void *a, const void *b)
{
	const struct agent_person	*pa = a, *pb = b;

	return (pa->id > pb->id) - (pa->id < pb->id);
}

const struct agent_person *
agent_person(const struct agent *a, int64_t id)
{
	struct agent_person	key = { .id = id };

	if (a->npeople == 0)
		return NULL;
	return bsearch(&key, a->people, a->npeople, sizeof *a->people,
	    agent_person_cmp);
}

size_t
agent_people_active(const struct agent *a)
{
	size_t	i, n = 0;

	for (i = 0; i < a->npeople; i++) {
		if (a->people[i].name != NULL && !a->people[i].deny_listed &&
		    !a->people[i].removed)
			n++;
	}
	return n;
}

static void
agent_people_free(struct agent_person *people, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		free(people[i].name);
	free(people);
}

struct agent_load {
	struct agent_person	*people;
	size_t			 n;
	struct gallery		*gallery;
};

static int
agent_load_person(const struct store_person *p, void *arg)
{
	struct agent_load	*l = arg;
	struct agent_person	*ap;

	l->people = xreallocarray(l->people, l->n + 1, sizeof *l->people);
	ap = &l->people[l->n++];
	ap->id = p->id;
	ap->name = p->name != NULL ? xstrdup(p->name) : NULL;
	ap->deny_listed = p->deny_listed;
	ap->removed = p->removed != 0;
	return 0;
}

static int
agent_load_template(int64_t person_id, int64_t template_id,
    const float desc[STORE_DESCRIPTOR], void *arg)
{
	struct agent_load	*l = arg;

	(void)template_id;
	gallery_add(l->gallery, person_id, desc);
	return 0;
}

/*
 * People and templates change only through the control socket, a few
 * times a day: reloading them whole keeps one source of truth (the store)
 * and costs milliseconds even for thousands of templates.
 */
int
agent_people_load(struct agent *a, char **cause)
{
	struct agent_load	l = { NULL, 0, gallery_new() };

	if (store_people_list(a->store, agent_load_person, &l, cause) != 0 ||
	    store_templates_each(a->store, agent_load_template, &l,
	    cause) != 0) {
		agent_people_free(l.people, l.n);
		gallery_free(l.gallery);
		return -1;
	}
	if (l.n > 0)
		qsort(l.people, l.n, sizeof *l.people, agent_person_cmp);
	agent_people_free(a->people, a->npeople);
	gallery_free(a->gallery);
	a->people = l.people;
	a->npeople = l.n;
	a->gallery = l.gallery;
	return 0;
}

cJSON *
agent_event_json(struct agent *a, const struct store_event *ev)
{
	const struct agent_person	*p = NULL;
	cJSON				*extra = NULL, *obj;
	char				*line;

	if (ev->details != NULL)
		extra = cJSON_Parse(ev->details);
	if (extra == NULL || !cJSON_IsObject(extra)) {
		cJSON_Delete(extra);
		extra = cJSON_CreateObject();
	}
	cJSON_AddNumberToObject(extra, "event", (double)ev->id);
	if (ev->visit_id != 0)
		cJSON_AddNumberToObject(extra, "visit", (double)ev->visit_id);
	if (ev->person_id != 0) {
		cJSON_AddNumberToObject(extra, "person_id",
		    (double)ev->person_id);
		p = agent_person(a, ev->person_id);
	}
	line = proto_event(ev->type, ev->time, ev->door != NULL ? ev->door :
	    a->conf.door_name, p != NULL ? p->name : NULL, extra);
	obj = cJSON_Parse(line);
	free(line);
	return obj;
}

void
agent_event_sent(struct agent *a, const struct store_event *ev, int64_t id)
{
	struct store_event	 e = *ev;
	cJSON			*obj;
	char			*line;

	e.id = id;
	if ((obj = agent_event_json(a, &e)) == NULL)
		return;
	line = cJSON_PrintUnformatted(obj);
	cJSON_Delete(obj);
	if (line == NULL)
		return;
	if (a->control != NULL)
		control_event(a->control, line);
	log_info("event %s", line);
	free(line);
}

void
agent_outbox_kick(struct agent *a)
{
	if (a->outbox != NULL)
		outbox_kick(a->outbox);
}

/*
 * Fills EV for an event of this door; its details are DETAILS printed
 * (consumed), in *TEXT (malloc'd, the caller frees it).
 */
static void
agent_event_fill(struct agent *a, struct store_event *ev, const char *type,
    int64_t time, int64_t person_id, int64_t visit_id, cJSON *details,
    char **text)
{
	*text = NULL;
	if (details != NULL) {
		*text = cJSON_PrintUnformatted(details);
		cJSON_Delete(details);
	}
	memset(ev, 0, sizeof *ev);
	ev->time = time;
	ev->type = type;
	ev->door = a->conf.door_name;
	ev->person_id = person_id;
	ev->visit_id = visit_id;
	ev->details = *text;
}

/*
 * Stores EV with its notifications and NR's rows (freed), using a use of
 * pass PASS in the same transaction when it is not NULL, and sends it.
 * Returns 0, or store_pass_use's 1 to 3 (the pass could not be used:
 * nothing stored), or -1.
 */
static int
agent_event_store(struct agent *a, struct store_event *ev,
    struct notify_rows *nr, const char *pass, int64_t *id)
{
	char	*cause = NULL;
	int64_t	 eid;
	int	 r;

	notify_event(a, ev, nr);
	if (pass != NULL)
		r = store_pass_use(a->store, pass, ev, nr->rows, nr->n, &eid,
		    &cause);
	else
		r = store_event_append_outbox(a->store, ev, nr->rows, nr->n,
		    &eid, &cause);
	if (r == -1) {
		log_warnx("event %s: %s", ev->type, cause);
		free(cause);
	} else if (r == 0) {
		agent_event_sent(a, ev, eid);
		if (nr->n > 0)
			agent_outbox_kick(a);
		if (id != NULL)
			*id = eid;
	}
	notify_rows_free(nr);
	return r;
}

int
agent_event(struct agent *a, const char *type, int64_t time,
    int64_t person_id, int64_t visit_id, cJSON *details, int64_t *id)
{
	struct store_event	 ev;
	struct notify_rows	 nr;
	char			*text;
	int			 r;

	agent_event_fill(a, &ev, type, time, person_id, visit_id, details,
	    &text);
	memset(&nr, 0, sizeof nr);
	r = agent_event_store(a, &ev, &nr, NULL, id);
	free(text);
	return r;
}

int
agent_event_rows(struct agent *a, const char *type, int64_t time,
    int64_t person_id, cJSON *details, struct notify_rows *nr)
{
	struct store_event	 ev;
	char			*text;
	int			 r;

	agent_event_fill(a, &ev, type, time, person_id, 0, details, &text);
	r = agent_event_store(a, &ev, nr, NULL, NULL);
	free(text);
	return r;
}

void
agent_alarm(struct agent *a, const char *kind, cJSON *details)
{
	if (details == NULL)
		details = cJSON_CreateObject();
	cJSON_AddStringToObject(details, "kind", kind);
	agent_event(a, "alarm", agent_wall_ms(loop_now_ms()), 0, 0, details,
	    NULL);
	/* Someone is at the door who should hear that a guard comes. */
	if (strcmp(kind, "deny-list") == 0 || strcmp(kind, "tailgating") == 0 ||
	    strcmp(kind, "forced") == 0)
		agent_say(a, "alarm", a->conf.voice_alarm);
}

/* Expands voice_welcome's %n (the name) and %%. */
static char *
agent_welcome(const char *fmt, const char *name)
{
	size_t	 len = strlen(fmt) + (name != NULL ? strlen(name) : 0) + 1;
	char	*out = xmalloc(len), *o = out;

	for (; *fmt != '\0'; fmt++) {
		if (fmt[0] == '%' && fmt[1] == 'n') {
			if (name != NULL) {
				strcpy(o, name);
				o += strlen(name);
			}
			fmt++;
		} else if (fmt[0] == '%' && fmt[1] == '%') {
			*o++ = '%';
			fmt++;
		} else
			*o++ = *fmt;
	}
	*o = '\0';
	return out;
}

int
agent_grant(struct agent *a, int64_t identity, const char *reason,
    int64_t time_ms, const char *pass, cJSON *details,
    enum pass_refusal *why)
{
	const struct agent_person	*p = agent_person(a, identity);
	struct store_event		 ev;
	struct notify_rows		 nr;
	char				*cause = NULL, *text;
	char				 photo[STORE_HASH_LEN + 1];
	const cJSON			*item;
	int64_t				 person;
	int				 r;

	*why = PASS_OK;
	if (details == NULL)
		details = cJSON_CreateObject();
	item = cJSON_GetObjectItemCaseSensitive(details, "photo");
	snprintf(photo, sizeof photo, "%s", cJSON_IsString(item) ?
	    item->valuestring : "");
	cJSON_DeleteItemFromObjectCaseSensitive(details, "reason");
	cJSON_AddStringToObject(details, "reason", reason);
	if (pass != NULL && *pass != '\0')
		cJSON_AddStringToObject(details, "pass", pass);
	person = identity != DECIDE_NOBODY ? identity : 0;
	/* Committed, with the pass used, before the relay moves. */
	agent_event_fill(a, &ev, "granted", agent_wall_ms(time_ms), person, 0,
	    details, &text);
	memset(&nr, 0, sizeof nr);
	r = agent_event_store(a, &ev, &nr, pass != NULL && *pass != '\0' ?
	    pass : NULL, NULL);
	free(text);
	if (r != 0) {
		if (r > 0)
			*why = r == 3 ? PASS_REPLAY : PASS_REVOKED;
		return -1;
	}
	if (agent_door_pulse(a, a->conf.door_pulse, &cause) != 0) {
		log_warnx("door: %s", cause);
		free(cause);
		return 0;	/* recorded: the guard sees the door failed */
	}
	/* Who else comes through while it is open follows (sighting.c). */
	a->entry_track = 0;
	a->entry_until_ms = loop_now_ms() + a->conf.door_pulse +
	    AGENT_ENTRY_GRACE_MS;
	a->entry_alarmed = 0;
	snprintf(a->entry_photo, sizeof a->entry_photo, "%s", photo);
	text = agent_welcome(a->conf.voice_welcome, p != NULL ? p->name : NULL);
	agent_say(a, "welcome", text);
	free(text);
	return 0;
}

/* The sender's settings from the configuration (borrowed strings). */
static void
agent_outbox_config(const struct config *c, struct outbox_config *oc)
{
	memset(oc, 0, sizeof *oc);
	oc->smtp_url = c->smtp_url;
	oc->smtp_user = c->smtp_user;
	oc->smtp_password_file = c->smtp_password_file;
	oc->mail_from = c->mail_from;
	oc->sms_url = c->sms_url;
	oc->sms_user = c->sms_user;
	oc->sms_token_file = c->sms_token_file;
	oc->sms_from = c->sms_from;
	oc->webhook_url = c->webhook_url;
	oc->webhook_secret_file = c->webhook_secret_file;
	oc->max_attempts = (int)c->outbox_attempts;
	oc->backoff_ms = c->outbox_backoff;
}

/*
 * Starts the outbox's sender, or gives it the reloaded settings. A sender
 * that cannot start (an unreadable secret) is a warning, not a stop: the
 * door works without mail, and the rows wait in the store for a reload
 * that fixes it.
 */
static void
agent_outbox_start(struct agent *a)
{
	struct outbox_config	 oc;
	char			*cause = NULL;

	agent_outbox_config(&a->conf, &oc);
	if (a->outbox != NULL) {
		if (outbox_configure(a->outbox, &oc, &cause) != 0) {
			log_warnx("outbox: %s; keeping its settings", cause);
			free(cause);
		}
		return;
	}
	if ((a->outbox = outbox_new(a->loop, a->store, &oc, &cause)) == NULL) {
		log_warnx("outbox: %s; notifications wait in the store",
		    cause);
		free(cause);
	}
}

/* A door event sent to consoles only (the relay, which grants explain). */
static void
agent_door_live(struct agent *a, const char *state)
{
	cJSON	*extra = cJSON_CreateObject();
	char	*line;

	cJSON_AddStringToObject(extra, "state", state);
	line = proto_event("door", agent_wall_ms(loop_now_ms()),
	    a->conf.door_name, NULL, extra);
	if (a->control != NULL)
		control_event(a->control, line);
	free(line);
}

/* A door event kept in the store (the contact, the exit button). */
static void
agent_door_event(struct agent *a, const char *state)
{
	cJSON	*d = cJSON_CreateObject();

	cJSON_AddStringToObject(d, "state", state);
	agent_event(a, "door", agent_wall_ms(loop_now_ms()), 0, 0, d, NULL);
}

/* Children. */

static void
agent_child_init(struct agent_child *c, const char *name)
{
	memset(c, 0, sizeof *c);
	c->name = name;
	c->pid = -1;
	c->fd = -1;
	c->backoff_ms = AGENT_BACKOFF_MIN;
}

static int64_t
agent_restart_timer(struct loop *l, uint64_t id, void *arg)
{
	struct agent	*a = arg;

	(void)l;
	if (id == a->worker.timer) {
		a->worker.timer = 0;
		agent_worker_start(a);
	} else if (id == a->keeper.timer) {
		a->keeper.timer = 0;
		agent_keeper_start(a);
	} else if (id == a->speaker.timer) {
		a->speaker.timer = 0;
		agent_speaker_start(a);
	}
	return -1;
}

/* Schedules a restart of a child that is fully gone (fd closed, reaped). */
static void
agent_child_restart(struct agent *a, struct agent_child *c)
{
	if (c->pid != -1 || c->fd != -1 || c->timer != 0 || a->stopping)
		return;
	if (loop_now_ms() - c->started_ms >= AGENT_CHILD_HEALTHY)
		c->backoff_ms = AGENT_BACKOFF_MIN;
	log_info("%s: restarting in %lld ms", c->name,
	    (long long)c->backoff_ms);
	c->timer = loop_add_timer(a->loop, c->backoff_ms,
	    agent_restart_timer, a);
	c->backoff_ms *= 2;
	if (c->backoff_ms > AGENT_BACKOFF_MAX)
		c->backoff_ms = AGENT_BACKOFF_MAX;
	c->restarts++;
}

/* Closes main's end of a child; it ends on EOF, or is killed if KILL. */
static void
agent_child_close(struct agent *a, struct agent_child *c, int kill_it)
{
	if (c->fd != -1) {
		loop_del_fd(a->loop, c->fd);
		close(c->fd);
		c->fd = -1;
	}
	if (kill_it && c->pid != -1)
		kill(c->pid, SIGKILL);
}

static void
agent_child_status(const struct agent_child *c, int status)
{
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		log_info("%s (pid %ld) exited", c->name, (long)c->pid);
	else if (WIFEXITED(status))
		log_warnx("%s (pid %ld) exited with status %d", c->name,
		    (long)c->pid, WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		log_warnx("%s (pid %ld) killed by signal %d (%s)", c->name,
		    (long)c->pid, WTERMSIG(status),
		    strsignal(WTERMSIG(status)));
}

static void
agent_sigchld(struct loop *l, int signo, void *arg)
{
	struct agent		*a = arg;
	struct agent_child	*children[] = { &a->worker, &a->keeper,
				    &a->speaker };
	pid_t			 pid;
	size_t			 i;
	int			 status;

	(void)l;
	(void)signo;
	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		for (i = 0; i < sizeof children / sizeof children[0]; i++) {
			if (children[i]->pid != pid)
				continue;
			agent_child_status(children[i], status);
			children[i]->pid = -1;
			/* A pipe's write end never sees its reader go. */
			if (children[i] == &a->speaker)
				agent_child_close(a, children[i], 0);
			agent_child_restart(a, children[i]);
		}
	}
}

/* The vision worker. */

int
agent_worker_send(struct agent *a, const struct worker_msg *m)
{
	if (a->worker.fd == -1 || !a->worker_ready ||
	    worker_writer_add(a->worker_out, m) != 0)
		return -1;
	if (worker_writer_flush(a->worker_out, a->worker.fd) == 0)
		loop_set_mask(a->loop, a->worker.fd, LOOP_READ|LOOP_WRITE);
	return 0;
}

static void
agent_worker_lost(struct agent *a, const char *why)
{
	log_warnx("worker: %s", why);
	agent_child_close(a, &a->worker, 1);
	a->worker_ready = 0;
	a->frames_base = a->frames_total;
	a->dropped_base = a->dropped_total;
	worker_reader_free(a->worker_in);
	worker_writer_free(a->worker_out);
	a->worker_in = NULL;
	a->worker_out = NULL;
	sighting_end_all(a, loop_now_ms());
	handlers_enroll_abort(a, "the vision worker stopped");
	agent_child_restart(a, &a->worker);
}

static void
agent_worker_message(struct agent *a, struct worker_msg *m)
{
	switch (m->type) {
	case WORKER_MSG_READY:
		log_info("worker: ready (camera %s)", a->conf.camera);
		a->worker_ready = 1;
		a->camera_ended = 0;
		break;
	case WORKER_MSG_FATAL:
		log_warnx("worker: %s", m->u.text);
		break;
	case WORKER_MSG_FACE:
	case WORKER_MSG_TRACK_END:
		sighting_message(a, m);
		break;
	case WORKER_MSG_CODE:
		access_code(a, &m->u.code);
		break;
	case WORKER_MSG_CAMERA_END:
		log_info("worker: camera %s has no more frames",
		    a->conf.camera);
		a->camera_ended = 1;
		break;
	case WORKER_MSG_STATS:
		/* Running totals of this worker, on top of its forerunners'. */
		a->stats = m->u.stats;
		a->frames_total = a->frames_base + m->u.stats.frames;
		a->dropped_total = a->dropped_base + m->u.stats.dropped;
		break;
	case WORKER_MSG_ENROLL_RESULT:
		handlers_enroll_result(a, &m->u.result);
		break;
	default:
		break;
	}
}

static void
agent_worker_io(struct loop *l, int fd, int events, void *arg)
{
	struct agent		*a = arg;
	struct worker_msg	 m;
	char			*cause = NULL;
	int			 r;

	(void)l;
	if (events & LOOP_WRITE) {
		if ((r = worker_writer_flush(a->worker_out, fd)) == -1) {
			agent_worker_lost(a, strerror(errno));
			return;
		}
		if (r == 1)
			loop_set_mask(a->loop, fd, LOOP_READ);
	}
	if (!(events & (LOOP_READ|LOOP_HUP|LOOP_ERR)))
		return;
	r = worker_reader_read(a->worker_in, fd);
	if (r == 0 || (r == -1 && errno != EAGAIN)) {
		agent_worker_lost(a, r == 0 ? "connection closed" :
		    strerror(errno));
		return;
	}
	while (a->worker.fd == fd &&
	    (r = worker_reader_next(a->worker_in, &m, &cause)) == 1) {
		agent_worker_message(a, &m);
		worker_msg_clear(&m);
	}
	if (r == -1 && a->worker.fd == fd) {
		char	*why;

		xasprintf(&why, "bad message: %s", cause);
		agent_worker_lost(a, why);
		free(why);
		free(cause);
	}
}

static void
agent_worker_start(struct agent *a)
{
	struct worker_opts	 o;
	struct passwd		*pw;
	char			*cause = NULL;
	int			 fd;

	memset(&o, 0, sizeof o);
	o.camera = a->conf.camera;
	o.fps = a->conf.camera_fps;
	o.loop = a->conf.camera_loop;
	o.max_pixels = (size_t)a->conf.max_pixels;
	o.models_dir = a->conf.models_dir;
	o.detector = a->conf.detector == CONFIG_DETECTOR_SSD ?
	    FACE_DETECTOR_SSD : FACE_DETECTOR_TINY;
	o.input_size = (int)a->conf.detector_input_size;
	o.min_score = a->conf.min_score;
	o.threads = (int)a->conf.inference_threads;
	o.recent = a->conf.match_votes.n;
	if (geteuid() == 0) {
		if ((pw = getpwnam(a->conf.worker_user)) == NULL) {
			log_warnx("worker: no user %s", a->conf.worker_user);
			a->worker.started_ms = loop_now_ms();
			agent_child_restart(a, &a->worker);
			return;
		}
		o.drop = 1;
		o.uid = pw->pw_uid;
		o.gid = pw->pw_gid;
	}
	a->worker.started_ms = loop_now_ms();
	if ((a->worker.pid = worker_spawn(&o, &fd, &cause)) == -1) {
		log_warnx("worker: %s", cause);
		free(cause);
		agent_child_restart(a, &a->worker);
		return;
	}
	a->worker.fd = fd;
	a->worker_in = worker_reader_new(WORKER_MSG_MAX);
	a->worker_out = worker_writer_new();
	loop_add_fd(a->loop, fd, LOOP_READ, agent_worker_io, a);
	log_info("worker: started (pid %ld)", (long)a->worker.pid);
}

/* The door keeper. */

static int64_t
agent_held_timer(struct loop *l, uint64_t id, void *arg)
{
	struct agent	*a = arg;
	cJSON		*d = cJSON_CreateObject();

	(void)l;
	(void)id;
	a->held_timer = 0;
	cJSON_AddNumberToObject(d, "after_ms",
	    (double)a->conf.held_open_after);
	agent_alarm(a, "held-open", d);
	return -1;
}

static void
agent_door_input(struct agent *a, enum door_input in)
{
	char	*cause = NULL;
	int64_t	 now = loop_now_ms();

	switch (in) {
	case DOOR_CONTACT_OPEN:
		if (a->contact == 1)
			break;
		a->contact = 1;
		agent_door_event(a, "open");
		if (!a->relay && now > a->pulse_end_ms + AGENT_DOOR_GRACE)
			agent_alarm(a, "forced", NULL);
		if (a->held_timer == 0) {
			a->held_timer = loop_add_timer(a->loop,
			    a->conf.held_open_after, agent_held_timer, a);
		}
		break;
	case DOOR_CONTACT_CLOSED:
		if (a->contact == 0)
			break;
		a->contact = 0;
		agent_door_event(a, "closed");
		if (a->held_timer != 0) {
			loop_del_timer(a->loop, a->held_timer);
			a->held_timer = 0;
		}
		break;
	case DOOR_EXIT_PRESSED:
		/* Request to exit: the button inside opens the door. */
		agent_door_event(a, "exit");
		if (agent_door_pulse(a, a->conf.door_pulse, &cause) != 0) {
			log_warnx("exit button: %s", cause);
			free(cause);
		}
		break;
	}
}

static void
agent_keeper_line(struct agent *a, char *line)
{
	enum door_input	 in;
	long long	 ms;

	if (sscanf(line, "pulse %lld", &ms) == 1) {
		if (!a->relay)
			agent_door_live(a, "released");
		a->relay = 1;
		a->pulse_end_ms = loop_now_ms() + ms;
	} else if (strcmp(line, "release") == 0) {
		a->relay = 0;
		a->pulse_end_ms = loop_now_ms();
		agent_door_live(a, "locked");
	} else if (door_input_parse(line, &in) == 0)
		agent_door_input(a, in);
	else if (strncmp(line, "error ", 6) == 0)
		log_warnx("door: %s", line + 6);
	else
		log_warnx("door keeper: unexpected \"%s\"", line);
}

static void
agent_keeper_lost(struct agent *a, const char *why)
{
	log_warnx("door keeper: %s", why);
	agent_child_close(a, &a->keeper, 1);
	line_in_free(a->keeper_in);
	line_out_free(a->keeper_out);
	a->keeper_in = NULL;
	a->keeper_out = NULL;
	a->relay = 0;
	agent_child_restart(a, &a->keeper);
}

static void
agent_keeper_io(struct loop *l, int fd, int events, void *arg)
{
	struct agent	*a = arg;
	char		*line;
	size_t		 len;
	int		 r;

	(void)l;
	if (events & LOOP_WRITE) {
		if ((r = line_out_flush(a->keeper_out, fd)) == -1) {
			agent_keeper_lost(a, strerror(errno));
			return;
		}
		if (r == 1)
			loop_set_mask(a->loop, fd, LOOP_READ);
	}
	if (!(events & (LOOP_READ|LOOP_HUP|LOOP_ERR)))
		return;
	r = line_in_read(a->keeper_in, fd);
	while (a->keeper.fd == fd &&
	    line_in_next(a->keeper_in, &line, &len) == 1)
		agent_keeper_line(a, line);
	if (a->keeper.fd == fd && (r == 0 || (r == -1 && errno != EAGAIN)))
		agent_keeper_lost(a, r == 0 ? "exited" : strerror(errno));
}

static void
agent_keeper_start(struct agent *a)
{
	char	*cause = NULL;
	int	 fd;

	a->keeper.started_ms = loop_now_ms();
	a->keeper.pid = door_keeper_spawn(a->conf.door,
	    a->conf.door_max_pulse, &fd, &cause);
	if (a->keeper.pid == -1) {
		log_warnx("door keeper: %s", cause);
		free(cause);
		agent_child_restart(a, &a->keeper);
		return;
	}
	a->keeper.fd = fd;
	a->keeper_in = line_in_new(DOOR_KEEPER_LINE_MAX);
	a->keeper_out = line_out_new();
	a->contact = -1;
	loop_add_fd(a->loop, fd, LOOP_READ, agent_keeper_io, a);
	log_info("door keeper: started (pid %ld) on %s", (long)a->keeper.pid,
	    a->conf.door);
}

int
agent_door_pulse(struct agent *a, int64_t ms, char **cause)
{
	char	line[64];
	int	r;

	if (a->keeper.fd == -1) {
		xasprintf(cause, "the door keeper is not running");
		return -1;
	}
	snprintf(line, sizeof line, "pulse %lld", (long long)ms);
	line_out_add(a->keeper_out, line, strlen(line));
	if ((r = line_out_flush(a->keeper_out, a->keeper.fd)) == -1) {
		xasprintf(cause, "door keeper: %s", strerror(errno));
		return -1;
	}
	if (r == 0)
		loop_set_mask(a->loop, a->keeper.fd, LOOP_READ|LOOP_WRITE);
	return 0;
}

/* The speaker. */

static void
agent_speaker_io(struct loop *l, int fd, int events, void *arg)
{
	struct agent	*a = arg;
	int		 r;

	(void)l;
	(void)events;
	if ((r = line_out_flush(a->speaker_out, fd)) == -1) {
		log_warnx("speaker: %s", strerror(errno));
		agent_child_close(a, &a->speaker, 1);
		return;
	}
	loop_set_mask(a->loop, fd, r == 1 ? 0 : LOOP_WRITE);
}

static void
agent_speaker_start(struct agent *a)
{
	char	*cause = NULL;
	int	 fd;

	if (strcmp(a->conf.voice, "none") == 0)
		return;
	a->speaker.started_ms = loop_now_ms();
	if ((a->speaker.pid = speaker_spawn(a->conf.voice, &fd,
	    &cause)) == -1) {
		log_warnx("speaker: %s", cause);
		free(cause);
		agent_child_restart(a, &a->speaker);
		return;
	}
	a->speaker.fd = fd;
	line_out_free(a->speaker_out);
	a->speaker_out = line_out_new();
	loop_add_fd(a->loop, fd, 0, agent_speaker_io, a);
}

void
agent_say(struct agent *a, const char *prompt, const char *text)
{
	char	*line;

	if (a->speaker.fd == -1)
		return;
	if (line_out_pending(a->speaker_out) > AGENT_SPEAKER_QUEUE) {
		log_info("speaker busy: \"%s\" not said", text);
		return;
	}
	line = speaker_line(prompt, text);
	line_out_add(a->speaker_out, line, strlen(line));
	free(line);
	agent_speaker_io(a->loop, a->speaker.fd, LOOP_WRITE, a);
}

/* Signals, reload, housekeeping. */

static void
agent_sigterm(struct loop *l, int signo, void *arg)
{
	struct agent	*a = arg;

	log_info("%s: shutting down", strsignal(signo));
	a->stopping = 1;
	loop_stop(l);
}

/* Whether a reload changed what the worker was started with. */
static int
agent_worker_changed(const struct config *o, const struct config *n)
{
	return o->camera_fps != n->camera_fps ||
	    o->camera_loop != n->camera_loop ||
	    o->min_score != n->min_score ||
	    o->match_votes.n != n->match_votes.n;
}

static void
agent_sighup(struct loop *l, int signo, void *arg)
{
	struct agent	*a = arg;
	struct config	 c;
	char		*cause = NULL;
	int		 worker, voice;
	cJSON		*d;

	(void)l;
	(void)signo;
	memset(&c, 0, sizeof c);
	if (config_load(a->conf_path, &c, &cause) != 0 ||
	    config_reload_check(&a->conf, &c, &cause) != 0 ||
	    control_set_roles(a->control, c.kiosk_users, c.viewer_users,
	    c.guard_users, c.admin_users, &cause) != 0) {
		log_warnx("reload: %s; keeping the running configuration",
		    cause);
		d = cJSON_CreateObject();
		cJSON_AddStringToObject(d, "result", "refused");
		cJSON_AddStringToObject(d, "reason", cause);
		agent_event(a, "config", agent_wall_ms(loop_now_ms()), 0, 0, d,
		    NULL);
		free(cause);
		config_free(&c);
		return;
	}
	worker = agent_worker_changed(&a->conf, &c);
	voice = strcmp(a->conf.voice, c.voice) != 0;
	config_free(&a->conf);
	a->conf = c;
	log_init("gatehouse-agent", (enum log_level)a->conf.log_level);
	decide_params_from_config(&a->decide, &a->conf);
	if (voice) {
		agent_child_close(a, &a->speaker, 0);
		if (a->speaker.pid == -1 && a->speaker.timer == 0)
			agent_speaker_start(a);
	}
	if (worker && a->worker.fd != -1)
		agent_worker_lost(a, "restarting for the new configuration");
	agent_outbox_start(a);
	log_info("reload: %s", a->conf_path);
	d = cJSON_CreateObject();
	cJSON_AddStringToObject(d, "result", "reloaded");
	agent_event(a, "config", agent_wall_ms(loop_now_ms()), 0, 0, d, NULL);
}

/* Applies retention to KIND of data older than KEEP ms. */
static void
agent_expire(struct agent *a, const char *kind, int64_t keep)
{
	char	*cause = NULL;
	int64_t	 n;

	n = store_expire(a->store, kind, agent_wall_ms(loop_now_ms()) - keep,
	    &cause);
	if (n == -1) {
		log_warnx("expire %s: %s", kind, cause);
		free(cause);
	} else if (n > 0)
		log_info("expired %lld %s", (long long)n, kind);
}

/*
 * Retires the signing keys no pass can need any more: not the current
 * one, and only once the latest expiry of the passes each signed, plus
 * pass_skew, is past (doc/PASSES, section 6).
 */
static void
agent_retire_keys(struct agent *a)
{
	uint32_t	 ids[64], current = pass_keyring_current(a->keyring);
	size_t		 n, i;
	int64_t		 last, now = agent_wall_ms(loop_now_ms());
	char		*cause = NULL;
	cJSON		*d;
	char		 hex[9];

	n = pass_keyring_ids(a->keyring, ids, sizeof ids / sizeof ids[0]);
	for (i = 0; i < n && i < sizeof ids / sizeof ids[0]; i++) {
		if (ids[i] == current)
			continue;
		if (store_key_last_expiry(a->store, ids[i], &last,
		    &cause) == -1) {
			log_warnx("keys: %s", cause);
			free(cause);
			return;
		}
		if (last + a->conf.pass_skew >= now)
			continue;
		if (pass_keyring_retire(a->keyring, ids[i], &cause) != 0) {
			log_warnx("keys: %s", cause);
			free(cause);
			continue;
		}
		snprintf(hex, sizeof hex, "%08x", ids[i]);
		log_info("keys: key %s retired: no pass it signed is valid",
		    hex);
		d = cJSON_CreateObject();
		cJSON_AddStringToObject(d, "action", "key-retired");
		cJSON_AddStringToObject(d, "key", hex);
		agent_event(a, "pass", now, 0, 0, d, NULL);
	}
}

static int64_t
agent_housekeeping(struct loop *l, uint64_t id, void *arg)
{
	struct agent	*a = arg;

	(void)l;
	(void)id;
	agent_retire_keys(a);
	agent_expire(a, "pending", a->conf.pending_expire);
	agent_expire(a, "events", a->conf.retain_events);
	agent_expire(a, "photos", a->conf.retain_photos);
	agent_expire(a, "visits", a->conf.retain_pending);
	return AGENT_HOUSEKEEPING_MS;
}

static void
agent_free(struct agent *a)
{
	struct agent_child	*children[] = { &a->worker, &a->speaker,
				    &a->keeper };
	size_t			 i;
	int			 status;

	control_free(a->control);
	a->control = NULL;
	handlers_enroll_abort(a, "the agent is stopping");
	sighting_free_all(a);
	outbox_free(a->outbox);
	a->outbox = NULL;
	access_free(a);
	/*
	 * Closing main's ends is enough: each child ends on EOF (the keeper
	 * drops the relay first). Then they are reaped, the keeper last.
	 */
	for (i = 0; i < sizeof children / sizeof children[0]; i++)
		agent_child_close(a, children[i], 0);
	for (i = 0; i < sizeof children / sizeof children[0]; i++) {
		if (children[i]->pid == -1)
			continue;
		while (waitpid(children[i]->pid, &status, 0) == -1 &&
		    errno == EINTR)
			;
		children[i]->pid = -1;
	}
	worker_reader_free(a->worker_in);
	worker_writer_free(a->worker_out);
	line_in_free(a->keeper_in);
	line_out_free(a->keeper_out);
	line_out_free(a->speaker_out);
	agent_people_free(a->people, a->npeople);
	gallery_free(a->gallery);
	pass_keyring_free(a->keyring);
	store_close(a->store);
	loop_free(a->loop);
	config_free(&a->conf);
	free(a->conf_path);
}

int
agent_run(const char *conf_path)
{
	struct agent		 a;
	struct control_params	 cp;
	char			*cause = NULL, *agent_name = NULL;
	char			*keys = NULL;
	struct sigaction	 sa;
	int			 status = 1;

	memset(&a, 0, sizeof a);
	agent_child_init(&a.worker, "worker");
	agent_child_init(&a.keeper, "door keeper");
	agent_child_init(&a.speaker, "speaker");
	a.contact = -1;
	a.conf_path = xstrdup(conf_path);
	a.started_ms = loop_now_ms();
	if (config_load(conf_path, &a.conf, &cause) != 0) {
		log_warnx("%s", cause);
		free(cause);
		free(a.conf_path);
		return 1;
	}
	log_init("gatehouse-agent", (enum log_level)a.conf.log_level);
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);

	a.loop = loop_new();
	if (store_open(a.conf.data_dir, &a.store, &cause) != 0 ||
	    agent_people_load(&a, &cause) != 0) {
		log_warnx("store: %s", cause);
		goto out;
	}
	/* A keyring that cannot be trusted stops the agent (doc/PASSES). */
	xasprintf(&keys, "%s/keys", a.conf.data_dir);
	if (pass_keyring_open(keys, &a.keyring, &cause) != 0)
		goto out;
	log_debug("keys: %s, signing with key %08x", keys,
	    pass_keyring_current(a.keyring));
	decide_params_from_config(&a.decide, &a.conf);
	access_init(&a);

	/* The door first: without it, nothing else is worth starting. */
	agent_keeper_start(&a);
	if (a.keeper.pid == -1) {
		xasprintf(&cause, "the door %s did not open", a.conf.door);
		goto out;
	}
	agent_speaker_start(&a);
	agent_worker_start(&a);

	xasprintf(&agent_name, "%s %s", AGENT_NAME, AGENT_VERSION);
	cp.path = a.conf.control_socket;
	cp.agent = agent_name;
	cp.door = a.conf.door_name;
	if ((a.control = control_new(a.loop, &cp, handlers_request, &a,
	    &cause)) == NULL ||
	    control_set_roles(a.control, a.conf.kiosk_users,
	    a.conf.viewer_users, a.conf.guard_users, a.conf.admin_users,
	    &cause) != 0)
		goto out;

	loop_add_signal(a.loop, SIGTERM, agent_sigterm, &a);
	loop_add_signal(a.loop, SIGINT, agent_sigterm, &a);
	loop_add_signal(a.loop, SIGHUP, agent_sighup, &a);
	loop_add_signal(a.loop, SIGCHLD, agent_sigchld, &a);
	loop_add_timer(a.loop, 0, agent_housekeeping, &a);
	agent_outbox_start(&a);

	log_info("started: door %s, control socket %s, data %s",
	    a.conf.door_name, a.conf.control_socket, a.conf.data_dir);
	if (loop_run(a.loop) == 0)
		status = 0;
	else
		xasprintf(&cause, "poll: %s", strerror(errno));

out:
	a.stopping = 1;
	if (cause != NULL) {
		log_warnx("%s", cause);
		free(cause);
	}
	free(agent_name);
	free(keys);
	agent_free(&a);
	return status;
}
