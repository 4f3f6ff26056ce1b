/*
 * The gallery: every enrolled template (a 128-D face descriptor) with the
 * identity it belongs to, searched by brute force. A search returns the
 * nearest template and the nearest template of any other identity, which
 * is what the match margin ("beats the second-best person") needs.
 *
 * Templates are kept in float32 rows of FACE_DESCRIPTOR, contiguous and
 * aligned to 64 bytes. Where the CPU has AVX2, FMA and F16C, a binary16
 * copy is scanned instead (half the memory traffic, for 50% more memory:
 * 780 bytes a template) and the few rows that could still be the best or
 * the second-best are measured again from the float32 rows. Either way
 * the answer is that of a scalar double scan: same identities, same
 * indices (ties go to the lower index), distances from the same double
 * arithmetic as face_distance().
 */
#ifndef GALLERY_H
#define GALLERY_H

#include <stddef.h>
#include <stdint.h>

#include <pthreadpool.h>

#include "face.h"

/* A search result: identity -1, distance INFINITY, index SIZE_MAX if none. */
struct gallery_match {
	int64_t	identity;
	double	distance;	/* euclidean */
	size_t	index;		/* template row, valid until the next change */
};

/* How rows are scanned; gallery_new() takes the fastest the CPU runs. */
enum gallery_kernel {
	GALLERY_KERNEL_AUTO,
	GALLERY_KERNEL_FLOAT,		/* float32 rows, SSE2: any x86-64 */
	GALLERY_KERNEL_HALF,		/* binary16 copy: AVX2, FMA and F16C */
};

struct gallery;

struct gallery	*gallery_new(void);
/* A gallery scanned by KERNEL, or by FLOAT if the CPU cannot run it. */
struct gallery	*gallery_new_kernel(enum gallery_kernel);
void		 gallery_free(struct gallery *);
enum gallery_kernel gallery_kernel(const struct gallery *);

/*
 * Adds a template of IDENTITY (any value but -1); rows keep their order.
 * Any finite values are searched exactly; values beyond binary16 range
 * (65504) or whose squares overflow float (1e19) only make searches slower.
 */
void		 gallery_add(struct gallery *, int64_t identity,
		     const float desc[FACE_DESCRIPTOR]);
/* Removes every template of IDENTITY; returns how many there were. */
int		 gallery_remove(struct gallery *, int64_t identity);
size_t		 gallery_size(const struct gallery *);

/*
 * Finds the template nearest to DESC (BEST) and the nearest template of
 * an identity other than BEST's (SECOND). Rows are split across TP, which
 * may be NULL to search on the caller's thread; galleries under 4096
 * templates always are. pthreadpool waits for every worker to wake, so
 * when the other cores are busy a pool can cost a scheduler tick (4 to
 * 8 ms) instead of saving a fraction of a millisecond. Searches may run
 * concurrently with each other, not with changes to the gallery.
 */
void		 gallery_search(const struct gallery *,
		     const float desc[FACE_DESCRIPTOR],
		     struct gallery_match *best, struct gallery_match *second,
		     pthreadpool_t tp);

#endif
