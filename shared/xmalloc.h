/*
 * Allocation wrappers that never return NULL: running out of memory is a
 * broken invariant for a door box, so they abort with a message instead.
 */
#ifndef XMALLOC_H
#define XMALLOC_H

#include <stddef.h>

void	*xmalloc(size_t);
void	*xcalloc(size_t, size_t);
void	*xreallocarray(void *, size_t, size_t);
char	*xstrdup(const char *);
int	 xasprintf(char **, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
/* Allocates SIZE bytes aligned to ALIGN (a power of two, >= sizeof(void *)). */
void	*xaligned_alloc(size_t align, size_t size);

#endif
