/*
 * doctor.h: s2sguard-doctor's checks, callable from any main (s2sguard-check
 * exports their failures as metrics). Every check only reads: files,
 * dpkg's database, the state; the served-certificate check also connects
 * to the domain's own server as a peer would. Nothing is ever written.
 *
 * Check names (the JSON "name" and the first column of the table):
 *   config, served-certificate, acme-hook, inbound-purpose, dialback,
 *   probe-user, state-dir, dane-anchor, timer, expiry
 */
#ifndef S2S_DOCTOR_H
#define S2S_DOCTOR_H

#include <stddef.h>
#include <stdio.h>
#include <time.h>

#include <jansson.h>

#include "config.h"
#include "err.h"

enum doctor_status {
	DOCTOR_OK = 0,		/* "ok" */
	DOCTOR_SKIP,		/* "skip": does not apply, or cannot be known */
	DOCTOR_WARN,		/* "warn": works, but worth fixing */
	DOCTOR_FAIL,		/* "fail": the guard would not work */
};

#define DOCTOR_TEXT_MAX	640

struct doctor_result {
	const char		*name;			/* a check name above (static) */
	char			 domain[256];		/* "" when not about one domain */
	enum doctor_status	 status;
	char			 detail[DOCTOR_TEXT_MAX];	/* what it saw */
	char			 fix[DOCTOR_TEXT_MAX];		/* one line; "" when ok */
};

struct doctor_results {
	struct doctor_result	*v;
	size_t			 n, cap;
};

struct doctor_opts {
	const struct config	*cfg;		/* NULL: the configuration did not load */
	const char		*config_path;	/* what was (or was to be) read */
	const char		*config_error;	/* why it did not load, or NULL */
	const char *const	*domains;	/* only these [domain]s; ndomains 0 = all */
	size_t			 ndomains;
	time_t			 now;
	const char		*root;		/* other software's files under here; "" = / */
	int			 served_timeout_ms;	/* per connection; 0 = default */
};

/*
 * Run every check, appending one or more results per check and domain.
 * Fails only when it could not run at all (out of memory): S2S_ENOMEM.
 */
int	doctor_run(const struct doctor_opts *o, struct doctor_results *out, struct s2s_err *err);

/* Append a result; detail is printf-formatted. 0 or S2S_ENOMEM. */
int	doctor_add(struct doctor_results *r, const char *name, const char *domain,
	    enum doctor_status st, const char *fix, const char *fmt, ...)
	    __attribute__((format(printf, 6, 7)));
void	doctor_results_clear(struct doctor_results *r);

const char	*doctor_status_name(enum doctor_status st);
/* 0 all ok or skipped, 1 warnings only, 2 at least one failure. */
int		 doctor_exit_status(const struct doctor_results *r);
/* {"checks": [{"name", "domain", "status", "detail", "fix"}]}; NULL on ENOMEM. */
json_t		*doctor_results_to_json(const struct doctor_results *r);
/* The table, then one summary line. */
void		 doctor_render_text(FILE *fp, const struct doctor_results *r);

/* ROOT + path into buf (PATH_MAX); -1 when too long. */
int	doctor_path(const struct doctor_opts *o, const char *path, char *buf, size_t bufsz);
/* Whether the [domain] is one the run looks at. */
int	doctor_wants_domain(const struct doctor_opts *o, const char *name);

#endif
