/*
 * Whole-file reading with a size limit, for files that come from people or
 * the network: images, model files, configuration.
 */
#ifndef FILE_H
#define FILE_H

#include <stddef.h>
#include <stdint.h>

/*
 * Reads the whole of PATH, at most MAX bytes, into *BUF (malloc'd, with a
 * NUL after the data, which is *LEN bytes). Pipes and growing files are
 * read to their end. Returns 0, or -1 with *cause (without the path).
 */
int	file_read(const char *path, size_t max, uint8_t **buf, size_t *len,
	    char **cause);

#endif
