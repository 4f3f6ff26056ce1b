#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "xmalloc.h"

/* Allocates SIZE bytes; SIZE 0 gives a valid unique pointer. */
void *
xmalloc(size_t size)
{
	void	*p;

	if (size == 0)
		size = 1;
	if ((p = malloc(size)) == NULL)
		fatalx("xmalloc: out of memory (%zu bytes)", size);
	return p;
}

/* Allocates N zeroed elements of SIZE bytes, checking for overflow. */
void *
xcalloc(size_t n, size_t size)
{
	void	*p;

	if (n == 0 || size == 0)
		n = size = 1;
	if ((p = calloc(n, size)) == NULL)
		fatalx("xcalloc: out of memory (%zu * %zu bytes)", n, size);
	return p;
}

/* Resizes P to N elements of SIZE bytes, checking for overflow. */
void *
xreallocarray(void *p, size_t n, size_t size)
{
	void	*q;

	if (n == 0 || size == 0)
		n = size = 1;
	if (SIZE_MAX / n < size)
		fatalx("xreallocarray: %zu * %zu overflows", n, size);
	if ((q = realloc(p, n * size)) == NULL)
		fatalx("xreallocarray: out of memory (%zu * %zu bytes)", n, size);
	return q;
}

/* Copies the string S. */
char *
xstrdup(const char *s)
{
	char	*p;

	if ((p = strdup(s)) == NULL)
		fatalx("xstrdup: out of memory");
	return p;
}

/* Formats into a newly allocated string stored in *RET; returns its length. */
int
xasprintf(char **ret, const char *fmt, ...)
{
	va_list	 ap;
	int	 n;

	va_start(ap, fmt);
	n = vasprintf(ret, fmt, ap);
	va_end(ap);
	if (n < 0 || *ret == NULL)
		fatalx("xasprintf: out of memory");
	return n;
}

/* Allocates SIZE bytes aligned to ALIGN; free with free(). */
void *
xaligned_alloc(size_t align, size_t size)
{
	void	*p;

	if (size == 0)
		size = align;
	if (posix_memalign(&p, align, size) != 0)
		fatalx("xaligned_alloc: out of memory (%zu bytes)", size);
	return p;
}
