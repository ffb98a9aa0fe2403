/*
 * s2sguard-hook: the deploy hook for certbot, acme.sh, dehydrated, lego,
 * or plain files. Adapter -> for each configured domain: guard_run()
 * (inspect, probe, decide, act) -> print and send the report.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "adapter.h"
#include "config.h"
#include "guard.h"
#include "help-s2sguard-hook.h"
#include "log.h"
#include "mem.h"
#include "notify.h"
#include "report.h"

#define MAX_TARGETS	16

extern char **environ;

struct args {
	struct adapter_args	 ad;
	const char		*config;
	const char		*state_dir;
	time_t			 now;
	int			 json, dry_run, verbose, quiet;
	int			 exit_codes;	/* enum exit_codes_style; -1 = the configuration's */
};

static const struct option longopts[] = {
	{ "config",	required_argument,	NULL, 'c' },
	{ "from",	required_argument,	NULL, 'f' },
	{ "cert",	required_argument,	NULL, 'C' },
	{ "key",	required_argument,	NULL, 'k' },
	{ "chain",	required_argument,	NULL, 'a' },
	{ "domain",	required_argument,	NULL, 'd' },
	{ "state-dir",	required_argument,	NULL, 's' },
	{ "now",	required_argument,	NULL, 'n' },
	{ "dry-run",	no_argument,		NULL, 'D' },
	{ "exit-codes",	required_argument,	NULL, 'e' },
	{ "json",	no_argument,		NULL, 'j' },
	{ "quiet",	no_argument,		NULL, 'q' },
	{ "verbose",	no_argument,		NULL, 'v' },
	{ "help",	no_argument,		NULL, 'h' },
	{ "version",	no_argument,		NULL, 'V' },
	{ NULL,		0,			NULL, 0 },
};

#define usage_error(msg, arg)	cli_usage_error("s2sguard-hook", (msg), (arg))

static int
parse_args(int argc, char **argv, struct args *a)
{
	int c;

	opterr = 0;
	/* "+": stop at the first non-option (dehydrated's verb, acme.sh's "--") */
	while ((c = getopt_long(argc, argv, "+", longopts, NULL)) != -1) {
		switch (c) {
		case 'c': a->config = optarg; break;
		case 'f': a->ad.from = optarg; break;
		case 'C': a->ad.cert = optarg; break;
		case 'k': a->ad.key = optarg; break;
		case 'a': a->ad.chain = optarg; break;
		case 'd': a->ad.domain = optarg; break;
		case 's': a->state_dir = optarg; break;
		case 'n':
			if (cli_parse_epoch(optarg, &a->now) != 0)
				return usage_error("--now wants seconds since 1970", optarg);
			break;
		case 'D': a->dry_run = 1; break;
		case 'e':
			if (strcmp(optarg, "client") == 0)
				a->exit_codes = EXIT_CODES_CLIENT;
			else if (strcmp(optarg, "detailed") == 0)
				a->exit_codes = EXIT_CODES_DETAILED;
			else
				return usage_error("--exit-codes wants client or detailed", optarg);
			break;
		case 'j': a->json = 1; break;
		case 'q': a->quiet = 1; break;
		case 'v': a->verbose++; break;
		case 'h': fputs(HELP_TEXT, stdout); return 0;
		case 'V': printf("s2sguard-hook %s\n", S2S_VERSION); return 0;
		default: return usage_error("unknown option or missing argument", argv[optind - 1]);
		}
	}
	a->ad.after_dashdash = optind > 1 && strcmp(argv[optind - 1], "--") == 0;
	a->ad.positional = argv + optind;
	a->ad.npositional = argc - optind;
	return -1;
}

/*
 * Worse outcomes win when several domains ran:
 * error > rollback > queued > held > warned > nothing > deployed.
 */
static int
worse(int a, int b)
{
	static const int rank[] = { [GUARD_DEPLOYED] = 0, [GUARD_NOTHING] = 1, [GUARD_WARNED] = 2,
	    [GUARD_HELD] = 3, [GUARD_QUEUED] = 4, [GUARD_ROLLED_BACK] = 5, [GUARD_ERROR] = 6,
	    [GUARD_UNCONFIRMED] = 7 };

	return rank[b] > rank[a] ? b : a;
}

static int
load_config(const struct args *a, struct config **cfg, struct s2s_log *log)
{
	struct s2s_err err = { 0 };
	const char *path = a->config != NULL ? a->config : CONFIG_DEFAULT_PATH;
	int rc;

	rc = config_load(path, cfg, &err);
	if (rc == S2S_ENOTFOUND && a->config == NULL) {
		log_msg(log, LOG_INFO, "no %s: inspecting and probing only", path);
		rc = config_default_new(cfg, &err);
	}
	if (rc != 0) {
		log_msg(log, LOG_ERR, "%s", err.msg);
		return -1;
	}
	if (a->state_dir != NULL) {
		char *s = mem_strdup(a->state_dir);

		if (s == NULL)
			return -1;
		mem_free((*cfg)->state_dir);
		(*cfg)->state_dir = s;
	}
	return 0;
}

/* The configured [domain]s this certificate serves (by name or match). */
static size_t
find_domains(const struct config *cfg, const struct renewal *r, const struct cfg_domain **out)
{
	const struct cfg_domain *d;
	size_t i, j, n = 0;

	for (i = 0; i < r->domains.n && n < MAX_TARGETS; i++) {
		if ((d = config_domain_get(cfg, r->domains.v[i])) == NULL)
			continue;
		for (j = 0; j < n && out[j] != d; j++)
			;
		if (j == n)
			out[n++] = d;
	}
	return n;
}

static void
emit(const json_t *report, const struct args *a)
{
	if (a->quiet)
		return;
	if (a->json)
		report_print_json(stdout, report);
	else {
		report_render_text(stdout, report);
		guard_render_text(stdout, report);
	}
	fflush(stdout);
}

struct drain_ctx {
	const struct args	*a;
	const struct config	*cfg;
	struct s2s_log		*log;
};

static void
emit_queued(const json_t *report, void *arg)
{
	const struct drain_ctx *c = arg;

	emit(report, c->a);
	notify_report(c->cfg, report, c->log);
}

static int
run_one(const struct args *a, const struct config *cfg, const struct cfg_domain *dom,
    const struct renewal *r, struct s2s_log *log)
{
	struct guard_opts o;
	struct s2s_err err = { 0 };
	json_t *report = NULL;
	int status;

	memset(&o, 0, sizeof(o));
	o.cfg = cfg;
	o.dom = dom;
	o.domain = dom != NULL ? dom->name : r->domain;
	o.log = log;
	o.dl = deadline_in_ms((int64_t)cfg->deadline * 1000);
	o.now = a->now;
	o.tool = "s2sguard-hook";
	o.client = adapter_client_name(r->client);
	o.cert_path = r->cert_path;
	o.chain_path = r->chain_path;
	o.key_path = r->key_path;
	o.prev_cert_path = r->prev_cert_path;
	o.prev_key_path = r->prev_key_path;
	o.wrapped_reload = r->wrapped;
	o.allow_reissue = 1;
	o.dry_run = a->dry_run;
	if (guard_run(&o, &report, &status, &err) != 0)
		log_msg(log, LOG_ERR, "%s: %s", o.domain, err.msg);
	if (report != NULL) {
		emit(report, a);
		notify_report(cfg, report, log);
	}
	/*
	 * Renewals queued while this run held the domain (or, after a run
	 * that queued its own, one the holder has not taken yet): processed
	 * now, each with its own report. This run's status stays its own.
	 */
	if (dom != NULL && !a->dry_run) {
		struct drain_ctx c = { a, cfg, log };

		guard_drain_queue(&o, emit_queued, &c);
	}
	if (dom == NULL)
		log_msg(log, LOG_WARNING, "%s: no [domain %s] in the configuration: inspected%s, deployed nothing",
		    o.domain, o.domain, json_object_get(report, "probes") ? " and probed" : "");
	json_decref(report);
	return status;
}

/*
 * The detailed status, folded for the client that called (adapter.h):
 * dehydrated, acme.sh and lego see 0 for deployed, warned, held and
 * not configured. Says so, so nobody wonders why a hold "succeeded".
 */
static int
client_status(const struct args *a, const struct config *cfg, const struct renewal *r,
    int status, struct s2s_log *log)
{
	enum exit_codes_style style = a->exit_codes >= 0 ? (enum exit_codes_style)a->exit_codes :
	    cfg->exit_codes;
	int out = adapter_exit_status(r->client, style, status);

	if (out != status) {
		log_msg(log, LOG_INFO, "exit %d toward %s (exit_codes = client); the detailed status is %d",
		    out, adapter_client_name(r->client), status);
		if (!a->quiet && !a->json)
			printf("exit status toward %s: %d (exit_codes = client; detailed status %d)\n",
			    adapter_client_name(r->client), out, status);
	}
	return out;
}

/*
 * acme.sh's reload command is "s2sguard-hook -- RELOAD...": with the
 * configuration gone (the package removed or purged, the file deleted),
 * run RELOAD alone so the server is still reloaded after every renewal.
 */
static int
pass_through(const struct args *a, char **argv, int argc)
{
	const char *path = a->config != NULL ? a->config : CONFIG_DEFAULT_PATH;
	struct stat sb;

	if (!a->ad.after_dashdash || a->ad.npositional == 0 ||
	    stat(path, &sb) == 0 || errno != ENOENT)
		return -1;
	fprintf(stderr, "s2sguard-hook: no %s: running the wrapped command '%s' alone\n",
	    path, argv[argc - a->ad.npositional]);
	fflush(stderr);
	execvp(argv[argc - a->ad.npositional], argv + argc - a->ad.npositional);
	fprintf(stderr, "s2sguard-hook: %s: %s\n", argv[argc - a->ad.npositional], strerror(errno));
	return errno == ENOENT ? 127 : 126;
}

int
main(int argc, char **argv)
{
	const struct cfg_domain *doms[MAX_TARGETS];
	struct args a;
	struct renewal r;
	struct config *cfg = NULL;
	struct s2s_err err = { 0 };
	struct s2s_log log;
	size_t n, i;
	int rc, status;

	memset(&a, 0, sizeof(a));
	a.exit_codes = -1;
	if ((rc = parse_args(argc, argv, &a)) >= 0)
		return rc;
	if ((rc = pass_through(&a, argv, argc)) >= 0)
		return rc;
	if (adapter_detect(&a.ad, environ, &r, &err) != 0)
		return usage_error(err.msg, NULL);
	if (r.ignore)
		return 0;	/* dehydrated's other hook verbs: silently nothing */
	log_open(&log, "s2sguard-hook", 1);
	log.verbosity = a.verbose;
	if (load_config(&a, &cfg, &log) != 0) {
		renewal_clear(&r);
		log_close(&log);
		return GUARD_ERROR;
	}
	n = find_domains(cfg, &r, doms);
	if (n == 0)
		status = run_one(&a, cfg, NULL, &r, &log);
	else
		for (i = 0, status = GUARD_DEPLOYED; i < n; i++)
			status = worse(status, run_one(&a, cfg, doms[i], &r, &log));
	status = client_status(&a, cfg, &r, status, &log);
	config_free(cfg);
	renewal_clear(&r);
	log_close(&log);
	return status;
}
