/* stderr logger with RFC 3339 timestamps. */
#include "base/log.h"
#include "base/clock.h"
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static const char *log_component = "jobgrid";
static enum log_level log_min = LOG_INFO;
static const char *const level_names[] = {"debug", "info", "warn", "error"};

void log_init(const char *component, enum log_level min)
{
	log_component = component;
	log_min = min;
}

__attribute__((format(printf, 2, 0)))
static void vlog(enum log_level lvl, const char *fmt, va_list ap)
{
	char ts[40], line[2048];
	clock_format_rfc3339(clock_wall_ms(), ts, sizeof ts);
	int n = snprintf(line, sizeof line, "%s %s %s[%d]: ", ts, level_names[lvl],
			 log_component, (int)getpid());
	if (n < 0 || (size_t)n >= sizeof line)
		n = 0;
	int m = vsnprintf(line + n, sizeof line - (size_t)n - 1, fmt, ap);
	size_t len = (size_t)n + (m < 0 ? 0 : (size_t)m);
	if (len > sizeof line - 2)
		len = sizeof line - 2;
	line[len++] = '\n';
	/* One write so lines from several processes do not interleave. */
	ssize_t w = write(STDERR_FILENO, line, len);
	(void)w;
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
