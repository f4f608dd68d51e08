/* Structured logging on stderr: one line per event, `ts level component[pid]: message`, or
 * with LOG_JSON one JSON object per line {"time","level","component","pid","msg"} as
 * journald and Loki read it.
 * fatal() is for a state the program cannot go on from (a store that cannot commit, out of
 * memory): it logs and aborts, as running out of memory does; log_* never fail. */
#ifndef JG_LOG_H
#define JG_LOG_H

#include <jansson.h>

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR };
enum log_format { LOG_TEXT, LOG_JSON };

/* Component name printed on each line ("server", "worker"); a static string. */
void log_init(const char *component, enum log_level min);
void log_msg(enum log_level lvl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The line format, for the whole process (set once, before the loop starts). */
void log_set_format(enum log_format f);
enum log_format log_get_format(void);
/* "text" or "json" into *f: 0, or -1 when NAME is neither. */
int log_format_parse(const char *name, enum log_format *f);
const char *log_format_name(enum log_format f);
/* Sends libevent's own warnings through log_msg, so they keep the line format. */
void log_route_libevent(void);
/* text as a new JSON string; a byte that is not UTF-8 (a message cut mid-character)
 * becomes '?', so the document stays JSON any reader takes. */
json_t *json_string_lossy(const char *text);
_Noreturn void fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARN, __VA_ARGS__)
#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)
#endif
