/*
 * Logging to stderr. fatal() and fatalx() are only for start-up and broken
 * invariants: nothing a peer, a camera or a file does may reach them.
 */
#ifndef LOG_H
#define LOG_H

#include <stdnoreturn.h>

enum log_level {
	LOG_LEVEL_ERROR,
	LOG_LEVEL_WARN,
	LOG_LEVEL_INFO,
	LOG_LEVEL_DEBUG,
};

void	log_init(const char *progname, enum log_level);
enum log_level log_get_level(void);
void	log_warnx(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_info(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_debug(const char *, ...) __attribute__((format(printf, 1, 2)));
noreturn void fatal(const char *, ...) __attribute__((format(printf, 1, 2)));
noreturn void fatalx(const char *, ...) __attribute__((format(printf, 1, 2)));

#endif
