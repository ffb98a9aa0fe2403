/*
 * check_metrics.h: s2sguard-check's Prometheus textfile. The metrics
 * describe, for every configured domain, the certificate deployed when the
 * file is written: peer verdicts only from a probe of that certificate
 * (the state's last_probe names what it probed), with the probe's time;
 * regressions only while a renewal is held; whether the server presents
 * it. Names and labels are an interface (templates/s2sguard.rules.yml and
 * s2sguard-check(1) use them).
 */
#ifndef S2S_CHECK_METRICS_H
#define S2S_CHECK_METRICS_H

#include <stddef.h>
#include <time.h>

#include "config.h"
#include "err.h"
#include "probe.h"

/* What the metrics say about one domain. */
struct dstat {
	const char	*name;
	int		 have_cert;		/* the deployed certificate was read */
	long		 days_left;
	int		 client_ok;
	char		 cert_sha256[65];	/* its fingerprint */
	int		 pending;		/* a renewal is held */
	int		 hold_min_days;		/* the domain's; a hold ends at this many days left */
	int		 have_probe;		/* a probe of the deployed certificate */
	long long	 probe_time;		/* its time (epoch) */
	size_t		 counts[PROBE_VERDICT_COUNT];
	size_t		 regressed;		/* peers refusing the held renewal */
	int		 served;		/* 1 served, 0 another one, -1 unknown */
	int		 exit;
};

/* One doctor check result for s2sguard_doctor_check (see check.c). */
struct doctor_metric {
	char	name[48];
	char	domain[256];
	char	status[8];		/* ok, warn, fail, skip */
};

/* Fill pending, probe counts, regressions and served from DOMAIN.json. */
void	check_view_from_state(const struct config *cfg, struct dstat *ds);

/* Write the textfile atomically (0644). */
int	check_metrics_write(const char *path, const struct dstat *ds, size_t n,
	    const struct doctor_metric *doc, size_t ndoc, time_t now, struct s2s_err *err);

#endif
