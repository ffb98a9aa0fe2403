#include <stdarg.h>
#include <stdio.h>

#include "log.h"

void
log_open(struct s2s_log *log, const char *ident, int use_syslog)
{
	log->ident = ident;
	log->stream = stderr;
	log->use_syslog = use_syslog;
	log->verbosity = 0;
	if (use_syslog)
		openlog(ident, LOG_PID, LOG_DAEMON);
}

void
log_close(struct s2s_log *log)
{
	if (log->use_syslog)
		closelog();
}

static int
log_wanted(const struct s2s_log *log, int prio)
{
	if (prio <= LOG_WARNING)
		return 1;
	if (prio <= LOG_INFO)
		return log->verbosity >= 1;
	return log->verbosity >= 2;
}

void
log_msg(const struct s2s_log *log, int prio, const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	if (log == NULL || !log_wanted(log, prio))
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (log->stream != NULL)
		fprintf(log->stream, "%s: %s\n", log->ident, line);
	if (log->use_syslog)
		syslog(prio, "%s", line);
}
