/*
 * log.h: the log sink travels in a struct passed down; library modules that
 * must say something take a const struct s2s_log *. Messages go to stderr
 * and, when enabled, to syslog. Never pass key material to these.
 */
#ifndef S2S_LOG_H
#define S2S_LOG_H

#include <stdio.h>
#include <syslog.h>

struct s2s_log {
	const char	*ident;		/* program name, e.g. "s2sguard-hook" */
	FILE		*stream;	/* usually stderr; NULL = quiet */
	int		 use_syslog;
	int		 verbosity;	/* 0 = warnings+, 1 = info, 2 = debug */
};

void	log_open(struct s2s_log *log, const char *ident, int use_syslog);
void	log_close(struct s2s_log *log);
void	log_msg(const struct s2s_log *log, int prio, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));

#endif
