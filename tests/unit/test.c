#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "test.h"

int		 test_failed_checks;
int		 test_passed, test_failed, test_skipped;
const char	*test_current = "";

static int	 test_was_skipped;
static char	 test_tmp[256];

/* Runs one test and counts it as passed, failed or skipped. */
void
test_run(const char *name, void (*fn)(void))
{
	int	before = test_failed_checks;

	test_current = name;
	test_was_skipped = 0;
	fn();
	if (test_failed_checks != before) {
		fprintf(stderr, "FAIL %s\n", name);
		test_failed++;
	} else if (test_was_skipped)
		test_skipped++;
	else
		test_passed++;
}

/* Marks the current test skipped, saying why. */
void
test_skip(const char *fmt, ...)
{
	va_list	ap;

	fprintf(stderr, "SKIP %s: ", test_current);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	test_was_skipped = 1;
}

/* Prints the closing line and returns the exit status. */
int
test_main_end(const char *suite)
{
	if (test_skipped != 0)
		printf("%s: %d passed, %d failed, %d skipped\n", suite,
		    test_passed, test_failed, test_skipped);
	else
		printf("%s: %d passed, %d failed\n", suite, test_passed,
		    test_failed);
	return test_failed == 0 ? 0 : 1;
}

char *
test_read_file(const char *path, size_t *len)
{
	FILE	*f;
	char	*buf;
	long	 size;

	if ((f = fopen(path, "rb")) == NULL)
		return NULL;
	if (fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) != 0) {
		fclose(f);
		return NULL;
	}
	if ((buf = malloc((size_t)size + 1)) == NULL ||
	    fread(buf, 1, (size_t)size, f) != (size_t)size) {
		fclose(f);
		free(buf);
		return NULL;
	}
	fclose(f);
	buf[size] = '\0';
	*len = (size_t)size;
	return buf;
}

const char *
test_models_dir(void)
{
	const char	*d = getenv("GATEHOUSE_MODELS");

	return d != NULL ? d : "models";
}

const char *
test_faces_dir(void)
{
	const char	*d = getenv("GATEHOUSE_FACES");
	struct stat	 sb;

	if (d == NULL)
		d = "../shared/faces";
	if (stat(d, &sb) != 0 || !S_ISDIR(sb.st_mode))
		return NULL;
	return d;
}

static void
test_tmp_cleanup(void)
{
	char	cmd[300];

	if (test_tmp[0] != '\0') {
		snprintf(cmd, sizeof cmd, "rm -rf '%s'", test_tmp);
		if (system(cmd) != 0)
			fprintf(stderr, "cannot remove %s\n", test_tmp);
	}
}

const char *
test_tmpdir(void)
{
	const char	*base = getenv("TMPDIR");

	if (test_tmp[0] != '\0')
		return test_tmp;
	snprintf(test_tmp, sizeof test_tmp, "%s/gatehouse-test.XXXXXX",
	    base != NULL ? base : "/tmp");
	if (mkdtemp(test_tmp) == NULL) {
		perror("mkdtemp");
		exit(1);
	}
	atexit(test_tmp_cleanup);
	return test_tmp;
}
