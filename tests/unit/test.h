/*
 * A tiny unit-test harness. Each test binary defines its tests with TEST()
 * and lists them in main() through test_run(); test_main_end() prints the
 * closing line "NAME: N passed, N failed" and returns the exit status.
 * A test may call test_skip() with a visible reason (missing data).
 */
#ifndef TEST_H
#define TEST_H

#include <math.h>
#include <stdio.h>
#include <string.h>

extern int	 test_failed_checks;
extern int	 test_passed, test_failed, test_skipped;
extern const char *test_current;

#define TEST(name)	static void name(void)

#define CHECK(cond) do {						\
	if (!(cond)) {							\
		fprintf(stderr, "%s:%d: %s: CHECK(%s) failed\n",	\
		    __FILE__, __LINE__, test_current, #cond);		\
		test_failed_checks++;					\
	}								\
} while (0)

#define CHECK_INT(a, b) do {						\
	long long _a = (long long)(a), _b = (long long)(b);		\
	if (_a != _b) {							\
		fprintf(stderr, "%s:%d: %s: %s == %lld, expected %lld\n",\
		    __FILE__, __LINE__, test_current, #a, _a, _b);	\
		test_failed_checks++;					\
	}								\
} while (0)

#define CHECK_NEAR(a, b, tol) do {					\
	double _a = (double)(a), _b = (double)(b);			\
	if (!(fabs(_a - _b) <= (tol))) {				\
		fprintf(stderr, "%s:%d: %s: %s == %.9g, expected %.9g "	\
		    "(tolerance %g)\n", __FILE__, __LINE__,		\
		    test_current, #a, _a, _b, (double)(tol));		\
		test_failed_checks++;					\
	}								\
} while (0)

#define CHECK_STR(a, b) do {						\
	const char *_a = (a), *_b = (b);				\
	if (_a == NULL || _b == NULL || strcmp(_a, _b) != 0) {		\
		fprintf(stderr, "%s:%d: %s: %s == \"%s\", expected "	\
		    "\"%s\"\n", __FILE__, __LINE__, test_current, #a,	\
		    _a ? _a : "(null)", _b ? _b : "(null)");		\
		test_failed_checks++;					\
	}								\
} while (0)

void	test_run(const char *, void (*)(void));
void	test_skip(const char *, ...) __attribute__((format(printf, 1, 2)));
int	test_main_end(const char *);

/* The folder holding the unpacked models (env GATEHOUSE_MODELS, else models). */
const char *test_models_dir(void);
/* The labelled photos (env GATEHOUSE_FACES, else ../shared/faces); NULL if absent. */
const char *test_faces_dir(void);
/* The whole of PATH, NUL-terminated, in *LEN bytes; NULL if unreadable. */
char	*test_read_file(const char *path, size_t *len);
/* A fresh temporary directory, removed at exit. */
const char *test_tmpdir(void);

#define RUN(name)	test_run(#name, name)

#endif
