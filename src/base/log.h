/* Structured logging on stderr: one line per event, `ts level component: message`.
 * fatal() is for a state the program cannot go on from (a store that cannot commit, out of
 * memory): it logs and aborts, as running out of memory does; log_* never fail. */
#ifndef JG_LOG_H
#define JG_LOG_H

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR };

/* Component name printed on each line ("server", "worker"); a static string. */
void log_init(const char *component, enum log_level min);
void log_msg(enum log_level lvl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
_Noreturn void fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARN, __VA_ARGS__)
#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)
#endif
