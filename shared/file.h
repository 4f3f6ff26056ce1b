/*
 * Whole-file reading with a size limit, for files that come from people or
 * the network: images, model files, configuration.
 */
#ifndef FILE_H
#define FILE_H

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>

/*
 * Reads the whole of PATH, at most MAX bytes, into *BUF (malloc'd, with a
 * NUL after the data, which is *LEN bytes). Pipes and growing files are
 * read to their end. Returns 0, or -1 with *cause (without the path).
 */
int	file_read(const char *path, size_t max, uint8_t **buf, size_t *len,
	    char **cause);

/*
 * Writes LEN bytes at DATA to PATH whole or not at all: a temporary file
 * in the same directory, given MODE, then renamed over PATH. DURABLE adds
 * an fsync of the file before the rename and of the directory after, so
 * the file survives power loss once this returns. Returns 0, or -1 with
 * *cause naming the file.
 */
int	file_write_atomic(const char *path, const void *data, size_t len,
	    mode_t mode, int durable, char **cause);
/* Makes the entries of directory PATH durable; CAUSE may be NULL. */
int	file_fsync_dir(const char *path, char **cause);

#endif
