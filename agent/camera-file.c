/*
 * The file camera: replays the images of a directory, one per call, in
 * strcmp order of their names (so the names decide the order), then ends
 * or starts over. Only regular files named *.jpg, *.jpeg, *.png or *.ppm
 * (any case) count; hidden files and subdirectories are ignored. The
 * caller paces the calls; the source stamps each frame with the time it
 * is meant for.
 */

#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "camera.h"
#include "loop.h"
#include "xmalloc.h"

/*
 * Most images a directory may hold: a day of frames at 1 fps is 86400, and
 * a list much longer than that is a wrong directory (a photo archive), not
 * a test replay.
 */
#define CAMERA_FILE_MAX		100000

struct camera_file {
	char		 *dir;
	char		**names;
	size_t		  n;
	size_t		  next;		/* index of the next file */
	int		  loop;
	size_t		  max_pixels;
	int64_t		  start_ms;
	int64_t		  interval_ms;
	int64_t		  frames;	/* frames handed out, errors too */
};

static const char *camera_file_exts[] = { ".jpg", ".jpeg", ".png", ".ppm" };

/* Returns if NAME is a visible file name with an image extension. */
static int
camera_file_wanted(const char *name)
{
	const char	*dot;
	size_t		 i;

	if (name[0] == '.' || (dot = strrchr(name, '.')) == NULL)
		return 0;
	for (i = 0; i < sizeof camera_file_exts / sizeof *camera_file_exts; i++)
		if (strcasecmp(dot, camera_file_exts[i]) == 0)
			return 1;
	return 0;
}

/* Orders two names with strcmp, for qsort. */
static int
camera_file_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Frees a file source. */
static void
camera_file_close(void *arg)
{
	struct camera_file	*f = arg;
	size_t			 i;

	if (f == NULL)
		return;
	for (i = 0; i < f->n; i++)
		free(f->names[i]);
	free(f->names);
	free(f->dir);
	free(f);
}

/* Lists the images of DIR; see camera.h. */
void *
camera_file_open(const char *dir, int64_t interval_ms, int loop,
    size_t max_pixels, char **cause)
{
	struct camera_file	*f;
	struct dirent		*de;
	struct stat		 sb;
	DIR			*d;
	char			*path;
	size_t			 cap = 0;

	if ((d = opendir(dir)) == NULL) {
		xasprintf(cause, "camera file:%s: %s", dir, strerror(errno));
		return NULL;
	}
	f = xcalloc(1, sizeof *f);
	f->dir = xstrdup(dir);
	f->loop = loop;
	f->max_pixels = max_pixels;
	f->interval_ms = interval_ms;
	while ((de = readdir(d)) != NULL) {
		if (!camera_file_wanted(de->d_name))
			continue;
		xasprintf(&path, "%s/%s", dir, de->d_name);
		if (stat(path, &sb) != 0 || !S_ISREG(sb.st_mode)) {
			free(path);
			continue;
		}
		free(path);
		if (f->n == CAMERA_FILE_MAX) {
			xasprintf(cause, "camera file:%s: more than %d images",
			    dir, CAMERA_FILE_MAX);
			closedir(d);
			camera_file_close(f);
			return NULL;
		}
		if (f->n == cap) {
			cap = cap == 0 ? 64 : cap * 2;
			f->names = xreallocarray(f->names, cap,
			    sizeof *f->names);
		}
		f->names[f->n++] = xstrdup(de->d_name);
	}
	closedir(d);
	if (f->n == 0) {
		xasprintf(cause, "camera file:%s: no images (*.jpg, *.jpeg, "
		    "*.png, *.ppm) in the directory", dir);
		camera_file_close(f);
		return NULL;
	}
	qsort(f->names, f->n, sizeof *f->names, camera_file_cmp);
	f->start_ms = loop_now_ms();
	return f;
}

/* Loads the next image; a bad file is -1 and the next call moves on. */
static int
camera_file_next(void *arg, struct image **frame, int64_t *time_ms,
    char **cause)
{
	struct camera_file	*f = arg;
	char			*path, *why;
	int			 r;

	if (f->next == f->n) {
		if (!f->loop)
			return 0;
		f->next = 0;
	}
	xasprintf(&path, "%s/%s", f->dir, f->names[f->next++]);
	*time_ms = f->start_ms + f->frames++ * f->interval_ms;
	r = image_load(path, f->max_pixels, frame, &why);
	free(path);
	if (r != 0) {
		/* image_load's cause names the file already. */
		xasprintf(cause, "camera file: %s", why);
		free(why);
		return -1;
	}
	return 1;
}

/* A file source has nothing to poll. */
static int
camera_file_fd(void *arg)
{
	(void)arg;
	return -1;
}

const struct camera_ops camera_file_ops = {
	camera_file_next, camera_file_fd, camera_file_close
};
