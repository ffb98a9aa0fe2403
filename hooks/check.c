/*
 * s2sguard-check: the timer job. For every configured domain: a pending
 * (held) certificate goes through the guard again (inspect, re-probe,
 * decide) and is deployed once its regressions clear, or in any case
 * before the deployed one drops under hold_min_days; then the Prometheus
 * textfile metrics are written.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "check_deployed.h"
#include "check_metrics.h"
#include "cli.h"
#include "cert.h"
#include "config.h"
#include "doctor.h"
#include "deploy.h"
#include "guard.h"
#include "help-s2sguard-check.h"
#include "inspect.h"
#include "log.h"
#include "mem.h"
#include "notify.h"
#include "probe.h"
#include "report.h"
#include "state.h"


struct args {
	const char	*config;
	const char	*state_dir;
	const char	*metrics;
	const char	*domain;
	time_t		 now;
	int		 json, dry_run, verbose, quiet;
};

static const struct option longopts[] = {
	{ "config",	required_argument,	NULL, 'c' },
	{ "state-dir",	required_argument,	NULL, 's' },
	{ "metrics",	required_argument,	NULL, 'm' },
	{ "domain",	required_argument,	NULL, 'd' },
	{ "now",	required_argument,	NULL, 'n' },
	{ "dry-run",	no_argument,		NULL, 'D' },
	{ "json",	no_argument,		NULL, 'j' },
	{ "quiet",	no_argument,		NULL, 'q' },
	{ "verbose",	no_argument,		NULL, 'v' },
	{ "help",	no_argument,		NULL, 'h' },
	{ "version",	no_argument,		NULL, 'V' },
	{ NULL,		0,			NULL, 0 },
};

#define usage_error(msg, arg)	cli_usage_error("s2sguard-check", (msg), (arg))

static int
parse_args(int argc, char **argv, struct args *a)
{
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'c': a->config = optarg; break;
		case 's': a->state_dir = optarg; break;
		case 'm': a->metrics = optarg; break;
		case 'd': a->domain = optarg; break;
		case 'n':
			if (cli_parse_epoch(optarg, &a->now) != 0)
				return usage_error("--now wants seconds since 1970", optarg);
			break;
		case 'D': a->dry_run = 1; break;
		case 'j': a->json = 1; break;
		case 'q': a->quiet = 1; break;
		case 'v': a->verbose++; break;
		case 'h': fputs(HELP_TEXT, stdout); return 0;
		case 'V': printf("s2sguard-check %s\n", S2S_VERSION); return 0;
		default: return usage_error("unknown option or missing argument", argv[optind - 1]);
		}
	}
	if (optind != argc)
		return usage_error("unexpected argument", argv[optind]);
	return -1;
}


/*
 * The deployed pair cannot be read: a broken target (a file missing while
 * something was deployed) or an unreadable one is an error the check
 * reports (exit 3), never a silent 0. Nothing deployed yet is fine.
 */
static int
deployed_unreadable(const struct config *cfg, const struct cfg_domain *d,
    const struct deploy_target *t, int rc, const struct s2s_err *err, struct s2s_log *log)
{
	char c[PATH_MAX], k[PATH_MAX], why[3 * PATH_MAX / 2];
	struct s2s_err e2 = { 0 };
	int lg = state_stash_paths(cfg->state_dir, d->name, "last-good", c, k, &e2) == 0;

	if (rc == S2S_ENOTFOUND && !guard_target_incomplete(t, lg, why, sizeof(why)))
		return 0;
	if (rc != S2S_ENOTFOUND)
		snprintf(why, sizeof(why), "%s", err->msg);
	log_msg(log, LOG_ERR, "%s: the deployed pair cannot be read: %s; %s", d->name, why,
	    lg ? "renewals are judged against s2sguard's last-good copy until it is repaired" :
	    "repair the target or deploy by hand");
	return GUARD_ERROR;
}

/* Inspect the deployed pair (for the metrics) without changing anything. */
static int
inspect_deployed(const struct config *cfg, const struct cfg_domain *d, time_t now,
    struct dstat *ds, struct s2s_log *log)
{
	struct deploy_target t;
	struct deploy_pair p;
	struct cert_chain *chain = NULL;
	struct inspection *ins = NULL;
	struct inspect_opts io;
	struct s2s_err err = { 0 };
	X509_STORE *store = NULL;
	const char *domains[1] = { d->name };

	int rc;

	if (d->target == TARGET_NONE || deploy_target_from_config(d, &t, &err) != 0)
		return 0;
	if ((rc = deploy_pair_load_target(&t, &p, &err)) != 0)
		return deployed_unreadable(cfg, d, &t, rc, &err, log);
	memset(&io, 0, sizeof(io));
	io.domains = domains;
	io.ndomains = 1;
	io.now = now;
	if (cert_chain_parse(p.cert, p.cert_len, d->name, &chain, &err) == 0 &&
	    inspect_store_new(cfg->ca_file, &store, &err) == 0 &&
	    inspect_chain(chain, NULL, NULL, store, &io, &ins, &err) == 0) {
		ds->have_cert = 1;
		cert_sha256_hex(cert_chain_get(chain, 0), ds->cert_sha256);
		ds->days_left = ins->certs[0].days_left;
		ds->client_ok = ins->client.ok;
	}
	inspection_free(ins);
	X509_STORE_free(store);
	cert_chain_free(chain);
	deploy_pair_clear(&p);
	return 0;
}


struct print_ctx {
	const struct args	*a;
	const struct config	*cfg;
	struct s2s_log		*log;
};

static void
print_report(const json_t *report, void *arg)
{
	const struct print_ctx *c = arg;

	if (!c->a->quiet && c->a->json)
		report_print_json(stdout, report);
	else if (!c->a->quiet) {
		report_render_text(stdout, report);
		guard_render_text(stdout, report);
	}
	notify_report(c->cfg, report, c->log);
}

/*
 * Renewals a hook run queued because another run held the domain (and
 * that run did not process, e.g. it was killed): through the pipeline as
 * the hook would. A queue still locked by a running s2sguard is that
 * run's to drain: nothing to report here.
 */
static int
run_queued(const struct args *a, const struct config *cfg, const struct cfg_domain *d,
    struct s2s_log *log)
{
	struct print_ctx c = { a, cfg, log };
	struct guard_opts o;
	int status;

	memset(&o, 0, sizeof(o));
	o.cfg = cfg;
	o.dom = d;
	o.domain = d->name;
	o.log = log;
	o.now = a->now;
	o.tool = "s2sguard-check";
	o.dry_run = a->dry_run;
	status = guard_drain_queue(&o, print_report, &c);
	return status == GUARD_QUEUED ? GUARD_NOTHING : status;
}

static int
run_pending(const struct args *a, const struct config *cfg, const struct cfg_domain *d,
    struct s2s_log *log)
{
	char cert[PATH_MAX], key[PATH_MAX];
	struct guard_opts o;
	struct s2s_err err = { 0 };
	json_t *report = NULL;
	int status;

	if (state_stash_paths(cfg->state_dir, d->name, "pending", cert, key, &err) != 0)
		return GUARD_NOTHING;
	memset(&o, 0, sizeof(o));
	o.cfg = cfg;
	o.dom = d;
	o.domain = d->name;
	o.log = log;
	o.dl = deadline_in_ms((int64_t)cfg->deadline * 1000);
	o.now = a->now;
	o.tool = "s2sguard-check";
	o.cert_path = cert;
	o.key_path = key;
	o.candidate_is_pending = 1;
	o.dry_run = a->dry_run;
	if (guard_run(&o, &report, &status, &err) != 0)
		log_msg(log, LOG_ERR, "%s: %s", d->name, err.msg);
	if (report != NULL) {
		if (!a->quiet && a->json)
			report_print_json(stdout, report);
		else if (!a->quiet) {
			report_render_text(stdout, report);
			guard_render_text(stdout, report);
		}
		notify_report(cfg, report, log);
	}
	json_decref(report);
	return status;
}

/* For merging results of one check and domain: the worst status wins. */
static int
doctor_rank(enum doctor_status st)
{
	switch (st) {
	case DOCTOR_FAIL: return 3;
	case DOCTOR_WARN: return 2;
	case DOCTOR_OK: return 1;
	default: return 0;
	}
}

/*
 * s2sguard-doctor's checks (read-only) for the metrics: one entry per
 * check and domain (a check with several results for one domain counts
 * with its worst). *out NULL and 0 entries when they could not run.
 */
static size_t
doctor_metrics(const struct config *cfg, const char *only, time_t now,
    struct doctor_metric **out)
{
	struct doctor_results res = { 0 };
	struct doctor_opts o;
	struct s2s_err err = { 0 };
	int *rank = NULL;
	size_t n = 0, i, k;

	*out = NULL;
	memset(&o, 0, sizeof(o));
	o.cfg = cfg;
	o.config_path = cfg->path;
	o.domains = only != NULL ? &only : NULL;
	o.ndomains = only != NULL;
	o.now = now;
	o.root = "";
	if (doctor_run(&o, &res, &err) != 0 || res.n == 0 ||
	    (*out = mem_calloc(res.n, sizeof(**out))) == NULL ||
	    (rank = mem_calloc(res.n, sizeof(*rank))) == NULL)
		goto done;
	for (i = 0; i < res.n; i++) {
		const struct doctor_result *d = &res.v[i];

		for (k = 0; k < n; k++)
			if (strcmp((*out)[k].name, d->name) == 0 && strcmp((*out)[k].domain, d->domain) == 0)
				break;
		if (k == n) {
			snprintf((*out)[k].name, sizeof((*out)[k].name), "%s", d->name);
			snprintf((*out)[k].domain, sizeof((*out)[k].domain), "%s", d->domain);
			rank[k] = -1;
			n++;
		}
		if (doctor_rank(d->status) > rank[k]) {
			rank[k] = doctor_rank(d->status);
			snprintf((*out)[k].status, sizeof((*out)[k].status), "%s",
			    doctor_status_name(d->status));
		}
	}
done:
	mem_free(rank);
	doctor_results_clear(&res);
	return *out != NULL ? n : 0;
}

static int
worse(int a, int b)
{
	static const int rank[] = { [GUARD_DEPLOYED] = 0, [GUARD_NOTHING] = 0, [GUARD_WARNED] = 2,
	    [GUARD_HELD] = 3, [GUARD_QUEUED] = 0, [GUARD_ROLLED_BACK] = 4, [GUARD_ERROR] = 5,
	    [GUARD_UNCONFIRMED] = 7 };

	return rank[b] > rank[a] ? b : a;
}

static int
load(const struct args *a, struct config **cfg, struct s2s_log *log)
{
	struct s2s_err err = { 0 };
	char *s;

	if (config_load(a->config != NULL ? a->config : CONFIG_DEFAULT_PATH, cfg, &err) != 0) {
		log_msg(log, LOG_ERR, "%s", err.msg);
		return -1;
	}
	if (a->state_dir != NULL) {
		if ((s = mem_strdup(a->state_dir)) == NULL)
			return -1;
		mem_free((*cfg)->state_dir);
		(*cfg)->state_dir = s;
	}
	if (a->metrics != NULL) {
		if ((s = mem_strdup(a->metrics)) == NULL)
			return -1;
		mem_free((*cfg)->metrics_path);
		(*cfg)->metrics_path = s;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	struct args a;
	struct config *cfg = NULL;
	struct dstat *ds = NULL;
	struct s2s_err err = { 0 };
	struct s2s_log log;
	size_t i, n = 0;
	int rc, status = GUARD_DEPLOYED;
	time_t now;

	memset(&a, 0, sizeof(a));
	if ((rc = parse_args(argc, argv, &a)) >= 0)
		return rc;
	log_open(&log, "s2sguard-check", 1);
	log.verbosity = a.verbose;
	if (load(&a, &cfg, &log) != 0) {
		log_close(&log);
		return GUARD_ERROR;
	}
	now = a.now != 0 ? a.now : time(NULL);
	if (a.domain != NULL && config_domain_get(cfg, a.domain) == NULL) {
		log_msg(&log, LOG_ERR, "no [domain %s] in %s", a.domain, cfg->path);
		status = GUARD_ERROR;
		goto out;
	}
	if (cfg->ndomains > 0 && (ds = mem_calloc(cfg->ndomains, sizeof(*ds))) == NULL) {
		status = GUARD_ERROR;
		goto out;
	}
	for (i = 0; i < cfg->ndomains; i++) {
		const struct cfg_domain *d = &cfg->domains[i];

		if (a.domain != NULL && strcasecmp(a.domain, d->name) != 0)
			continue;
		ds[n].name = d->name;
		ds[n].exit = run_pending(&a, cfg, d, &log);
		ds[n].exit = worse(ds[n].exit, run_queued(&a, cfg, d, &log));
		if (ds[n].exit == GUARD_NOTHING)
			ds[n].exit = GUARD_DEPLOYED;
		status = worse(status, ds[n].exit);
		if (inspect_deployed(cfg, d, a.now, &ds[n], &log) != 0) {
			ds[n].exit = GUARD_ERROR;
			status = worse(status, GUARD_ERROR);
		}
		/* nothing held: keep the view of the deployed certificate current */
		if (ds[n].exit == GUARD_DEPLOYED && !a.dry_run)
			check_deployed_refresh(cfg, d, now, &log);
		ds[n].hold_min_days = d->hold_min_days;
		check_view_from_state(cfg, &ds[n]);
		if (ds[n].have_cert && ds[n].days_left <= d->hold_min_days)
			log_msg(&log, LOG_WARNING, "%s: the deployed certificate has %ld day(s) left",
			    d->name, ds[n].days_left);
		n++;
	}
	if (cfg->metrics_path != NULL && !a.dry_run) {
		struct doctor_metric *doc = NULL;
		size_t ndoc = doctor_metrics(cfg, a.domain, now, &doc);

		if (check_metrics_write(cfg->metrics_path, ds, n, doc, ndoc, now, &err) != 0) {
			log_msg(&log, LOG_ERR, "metrics: %s", err.msg);
			status = worse(status, GUARD_ERROR);
		}
		mem_free(doc);
	}
out:
	mem_free(ds);
	config_free(cfg);
	log_close(&log);
	return status == GUARD_NOTHING ? GUARD_DEPLOYED : status;
}
