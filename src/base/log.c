/* stderr logger with RFC 3339 timestamps, as text or JSON lines. */
#include "base/log.h"
#include "base/clock.h"
#include "base/xalloc.h"
#include <event2/event.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *log_component = "jobgrid";
static enum log_level log_min = LOG_INFO;
static enum log_format log_fmt = LOG_TEXT;
static const char *const level_names[] = {"debug", "info", "warn", "error"};
static const char *const format_names[] = {"text", "json"};

void log_init(const char *component, enum log_level min)
{
	log_component = component;
	log_min = min;
}

void log_set_format(enum log_format f)
{
	log_fmt = f;
}

enum log_format log_get_format(void)
{
	return log_fmt;
}

int log_format_parse(const char *name, enum log_format *f)
{
	for (int i = LOG_TEXT; i <= LOG_JSON; i++)
		if (strcmp(name, format_names[i]) == 0) {
			*f = (enum log_format)i;
			return 0;
		}
	return -1;
}

const char *log_format_name(enum log_format f)
{
	return format_names[f];
}

json_t *json_string_lossy(const char *text)
{
	json_t *s = json_string(text);
	if (s)
		return s;
	char *copy = xstrdup(text);
	for (char *p = copy; *p; p++)
		if ((unsigned char)*p >= 0x80)
			*p = '?';
	s = json_string(copy);
	free(copy);
	return s;
}

/* One write so lines from several processes do not interleave. */
static void put_line(const char *line, size_t len)
{
	ssize_t w = write(STDERR_FILENO, line, len);
	(void)w;
}

/* {"time","level","component","pid","msg"} on one line, built by jansson: a message may
 * hold any byte (a command, a path), and hand-escaping is how logs stop parsing. */
static void put_json(const char *ts, enum log_level lvl, const char *msg)
{
	json_t *o = json_pack("{s:s, s:s, s:s, s:i, s:o}", "time", ts, "level",
			      level_names[lvl], "component", log_component, "pid", (int)getpid(),
			      "msg", json_string_lossy(msg));
	char *text = o ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	json_decref(o);
	if (text == NULL)	/* out of memory: the event still shows, as a fixed line */
		text = strdup("{\"level\":\"error\",\"msg\":\"out of memory while logging\"}");
	if (text == NULL)
		return;
	size_t len = strlen(text);
	char *line = realloc(text, len + 2);
	if (line == NULL) {
		free(text);
		return;
	}
	line[len] = '\n';
	put_line(line, len + 1);
	free(line);
}

__attribute__((format(printf, 2, 0)))
static void vlog(enum log_level lvl, const char *fmt, va_list ap)
{
	char ts[40], line[2048];
	clock_format_rfc3339(clock_wall_ms(), ts, sizeof ts);
	if (log_fmt == LOG_JSON) {
		vsnprintf(line, sizeof line, fmt, ap);
		put_json(ts, lvl, line);
		return;
	}
	int n = snprintf(line, sizeof line, "%s %s %s[%d]: ", ts, level_names[lvl],
			 log_component, (int)getpid());
	if (n < 0 || (size_t)n >= sizeof line)
		n = 0;
	int m = vsnprintf(line + n, sizeof line - (size_t)n - 1, fmt, ap);
	size_t len = (size_t)n + (m < 0 ? 0 : (size_t)m);
	if (len > sizeof line - 2)
		len = sizeof line - 2;
	line[len++] = '\n';
	put_line(line, len);
}

/* libevent's severities onto ours; its messages are otherwise bare "[warn] …" lines. */
static void from_libevent(int severity, const char *msg)
{
	enum log_level lvl = severity == EVENT_LOG_DEBUG ? LOG_DEBUG
			     : severity == EVENT_LOG_MSG ? LOG_INFO
			     : severity == EVENT_LOG_WARN ? LOG_WARN : LOG_ERROR;
	log_msg(lvl, "libevent: %s", msg);
}

void log_route_libevent(void)
{
	event_set_log_callback(from_libevent);
}

void log_msg(enum log_level lvl, const char *fmt, ...)
{
	if (lvl < log_min)
		return;
	va_list ap;
	va_start(ap, fmt);
	vlog(lvl, fmt, ap);
	va_end(ap);
}

/* _exit(), not exit(): a fatal error may strike on a helper thread (the store's writer)
 * while the loop thread runs, and exit() would run exit handlers and free shared state
 * under it. The line is already written (vlog writes whole lines, unbuffered); the status
 * stays 1 as it always was. Library code never ends the process otherwise. */
void fatal(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vlog(LOG_ERROR, fmt, ap);
	va_end(ap);
	_exit(1);
}
