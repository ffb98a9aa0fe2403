/*
 * guard.h: one domain through the pipeline, shared by s2sguard-hook and
 * s2sguard-check: inspect the candidate (and the deployed pair), probe the
 * peers with both, decide, act (deploy, hold, re-issue, roll back), record
 * state, and produce the run's JSON report.
 */
#ifndef S2S_GUARD_H
#define S2S_GUARD_H

#include <time.h>

#include <jansson.h>

#include "config.h"
#include "deadline.h"
#include "deploy.h"
#include "err.h"
#include "log.h"
#include "probe.h"

/* Exit status of s2sguard-hook (documented in s2sguard-hook(1)). */
enum guard_exit {
	GUARD_DEPLOYED = 0,	/* deployed (and reloaded); nothing to report */
	GUARD_WARNED = 1,	/* deployed, with warnings */
	GUARD_HELD = 2,		/* kept the deployed pair; pending recorded */
	GUARD_ERROR = 3,	/* error or refused certificate; nothing changed */
	GUARD_NOTHING = 4,	/* not configured / nothing to do: report only */
	GUARD_ROLLED_BACK = 5,	/* reload failed; the target put back as it was */
	GUARD_QUEUED = 6,	/* another run held the domain: the certificate is queued */
	GUARD_UNCONFIRMED = 7,	/* reload failed, could not put back: the new pair is in the files */
};

struct guard_opts {
	const struct config	*cfg;
	const struct cfg_domain	*dom;		/* NULL: not configured (report only) */
	const char		*domain;	/* the XMPP domain */
	const struct s2s_log	*log;
	struct deadline		 dl;
	time_t			 now;		/* 0 = the clock; --now for tests */
	const char		*tool;		/* "s2sguard-hook", "s2sguard-check" */
	const char		*client;	/* ACME client, for the report; may be NULL */
	/* the candidate certificate */
	const char		*cert_path;	/* leaf or full chain */
	const char		*chain_path;	/* appended when cert_path is a lone leaf */
	const char		*key_path;
	/* a previous version the ACME client kept, for an unconfigured baseline */
	const char		*prev_cert_path;
	const char		*prev_key_path;
	char *const		*wrapped_reload;	/* acme.sh: argv to run as the reload */
	int			 candidate_is_pending;	/* check: the candidate is the held one */
	const char		*queued_entry;	/* the candidate is this queue entry (queue.h) */
	int			 allow_reissue;	/* hook: 1; check: 0 */
	int			 dry_run;	/* decide and report; change nothing */
};

/*
 * Run the pipeline. Always returns a report (new reference) in *report
 * unless allocation fails; *exit is a guard_exit. A negative return is a
 * problem before anything could be decided (unreadable input, lock busy
 * where nothing can be queued); the report then says so and *exit is
 * GUARD_ERROR.
 *
 * The domain's lock is waited for up to half of what is left of o->dl. A
 * new renewal of a configured domain that still cannot get it is queued
 * (queue.h): *exit GUARD_QUEUED, the report's "queue" action says where.
 * A queued entry (o->queued_entry) only tries the lock once: whoever
 * holds it drains the queue after its own run (guard_drain_queue). Once
 * processed, the entry is dropped.
 */
int	guard_run(const struct guard_opts *o, json_t **report, int *exit_status,
	    struct s2s_err *err);

/*
 * Process DOMAIN's queued renewals, oldest first, each through guard_run
 * (base: the options to use, cert/key and queued_entry are filled in);
 * each report goes to emit(report, arg). Stops when the queue is empty or
 * another run holds the lock (that run drains it after its own). Returns
 * the worst status among the entries processed, GUARD_NOTHING if none.
 */
int	guard_drain_queue(const struct guard_opts *base,
	    void (*emit)(const json_t *report, void *arg), void *arg);

/* Gather the peer list of a domain: peers, peers_file, peers_command (or discovery). */
int	guard_peers(const struct config *cfg, const struct cfg_domain *dom, const char *domain,
	    const struct deadline *dl, struct strlist *out, json_t *notes, struct s2s_err *err);

/*
 * Is the target broken, i.e. missing files while something was deployed:
 * half a pair (one of certificate and key), or nothing at all while
 * s2sguard has a last-good copy? Then 1 and a sentence naming the missing
 * file in why; 0 when complete or nothing was ever deployed.
 */
int	guard_target_incomplete(const struct deploy_target *t, int have_last_good,
	    char *why, size_t len);

/*
 * Probe `peers` with cert/key (and base_cert/base_key as the baseline, or
 * NULL), as the configured probe_user, through the domain's connect
 * overrides (dom may be NULL). Results as probe_run().
 */
int	guard_probe(const struct config *cfg, const struct cfg_domain *dom, const char *domain,
	    const char *cert, const char *key, const char *base_cert, const char *base_key,
	    const struct strlist *peers, struct deadline dl, const struct s2s_log *log,
	    struct probe_results **out, struct s2s_err *err);

/* Render the decision and actions for a person (after report_render_text). */
void	guard_render_text(FILE *fp, const json_t *report);

#endif
