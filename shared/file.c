#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "file.h"
#include "xmalloc.h"

int
file_read(const char *path, size_t max, uint8_t **buf, size_t *len,
    char **cause)
{
	struct stat	 sb;
	uint8_t		*p = NULL;
	size_t		 size, used = 0;
	ssize_t		 n;
	int		 fd, r = -1;

	if ((fd = open(path, O_RDONLY|O_CLOEXEC)) == -1) {
		*cause = xstrdup(strerror(errno));
		return -1;
	}
	if (fstat(fd, &sb) != 0) {
		*cause = xstrdup(strerror(errno));
		goto out;
	}
	if (S_ISDIR(sb.st_mode)) {
		*cause = xstrdup(strerror(EISDIR));
		goto out;
	}
	if (S_ISREG(sb.st_mode) && (uintmax_t)sb.st_size > max)
		goto too_large;

	/* st_size is only a hint: the file may grow, or be a pipe. */
	size = 65536;
	if (S_ISREG(sb.st_mode) && (size_t)sb.st_size >= size)
		size = (size_t)sb.st_size + 1;
	p = xmalloc(size);
	for (;;) {
		if (used == size) {
			if (size > max)
				goto too_large;
			size *= 2;
			if (size > max + 1)
				size = max + 1;
			p = xreallocarray(p, size, 1);
		}
		n = read(fd, p + used, size - used);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			*cause = xstrdup(strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		used += (size_t)n;
	}
	if (used > max)
		goto too_large;
	/* One byte more than the data, for a NUL. */
	if (used == size)
		p = xreallocarray(p, size + 1, 1);
	p[used] = '\0';
	*buf = p;
	*len = used;
	p = NULL;
	r = 0;
	goto out;

too_large:
	xasprintf(cause, "file too large (limit %zu bytes)", max);
out:
	free(p);
	close(fd);
	return r;
}

int
file_fsync_dir(const char *path, char **cause)
{
	int	fd, r = -1;

	if ((fd = open(path, O_RDONLY|O_DIRECTORY|O_CLOEXEC)) == -1) {
		if (cause != NULL)
			xasprintf(cause, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (fsync(fd) != 0) {
		if (cause != NULL)
			xasprintf(cause, "%s: fsync: %s", path,
			    strerror(errno));
		goto out;
	}
	r = 0;
out:
	close(fd);
	return r;
}

int
file_write_atomic(const char *path, const void *data, size_t len,
    mode_t mode, int durable, char **cause)
{
	const uint8_t	*p = data;
	char		*dir, *tmp, *slash;
	size_t		 done = 0;
	ssize_t		 n;
	int		 fd, r = -1;

	dir = xstrdup(path);
	if ((slash = strrchr(dir, '/')) == NULL)
		strcpy(dir, ".");
	else if (slash == dir)
		slash[1] = '\0';
	else
		*slash = '\0';
	xasprintf(&tmp, "%s/.tmp.XXXXXX", dir);
	if ((fd = mkostemp(tmp, O_CLOEXEC)) == -1) {
		xasprintf(cause, "%s: %s", tmp, strerror(errno));
		free(tmp);
		free(dir);
		return -1;
	}
	if (fchmod(fd, mode) != 0) {
		xasprintf(cause, "%s: %s", tmp, strerror(errno));
		goto out;
	}
	while (done < len) {
		if ((n = write(fd, p + done, len - done)) == -1) {
			if (errno == EINTR)
				continue;
			xasprintf(cause, "%s: %s", tmp, strerror(errno));
			goto out;
		}
		done += (size_t)n;
	}
	if (durable && fsync(fd) != 0) {
		xasprintf(cause, "%s: fsync: %s", tmp, strerror(errno));
		goto out;
	}
	n = close(fd);
	fd = -1;
	if (n != 0) {
		xasprintf(cause, "%s: %s", tmp, strerror(errno));
		goto out;
	}
	if (rename(tmp, path) != 0) {
		xasprintf(cause, "%s: %s", path, strerror(errno));
		goto out;
	}
	r = durable ? file_fsync_dir(dir, cause) : 0;
out:
	if (fd != -1)
		close(fd);
	if (r != 0)
		unlink(tmp);
	free(tmp);
	free(dir);
	return r;
}
