/*
 * s2sguard-doctor: check the setup, read-only. Does the server serve what
 * s2sguard deployed, does the ACME client call the hook, does the local
 * server refuse peers without clientAuth, is dialback on, are the probe
 * user, the state directory and the timer right, how long do the
 * certificates last. Changes nothing, ever.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "config.h"
#include "doctor.h"
#include "help-s2sguard-doctor.h"
#include "mem.h"

#define EXIT_CANNOT_RUN	3
#define MAX_DOMAINS	64

struct args {
	const char	*config;
	const char	*root;
	const char	*domains[MAX_DOMAINS];
	size_t		 ndomains;
	time_t		 now;
	int		 json;
	int		 timeout;
};

static const struct option longopts[] = {
	{ "config",	required_argument,	NULL, 'c' },
	{ "domain",	required_argument,	NULL, 'd' },
	{ "json",	no_argument,		NULL, 'j' },
	{ "now",	required_argument,	NULL, 'n' },
	{ "root",	required_argument,	NULL, 'r' },
	{ "timeout",	required_argument,	NULL, 't' },
	{ "help",	no_argument,		NULL, 'h' },
	{ "version",	no_argument,		NULL, 'V' },
	{ NULL,		0,			NULL, 0 },
};

#define usage_error(msg, arg)	cli_usage_error("s2sguard-doctor", (msg), (arg))

static int
parse_args(int argc, char **argv, struct args *a)
{
	time_t t;
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'c': a->config = optarg; break;
		case 'd':
			if (a->ndomains == MAX_DOMAINS)
				return usage_error("too many --domain options", optarg);
			a->domains[a->ndomains++] = optarg;
			break;
		case 'j': a->json = 1; break;
		case 'n':
			if (cli_parse_epoch(optarg, &a->now) != 0)
				return usage_error("--now wants seconds since 1970", optarg);
			break;
		case 'r':
			if (optarg[0] != '/')
				return usage_error("--root wants an absolute directory", optarg);
			a->root = optarg;
			break;
		case 't':
			if (cli_parse_epoch(optarg, &t) != 0 || t > 300)
				return usage_error("--timeout wants 1 to 300 seconds", optarg);
			a->timeout = (int)t;
			break;
		case 'h': fputs(HELP_TEXT, stdout); return 0;
		case 'V': printf("s2sguard-doctor %s\n", S2S_VERSION); return 0;
		default: return usage_error("unknown option or missing argument", argv[optind - 1]);
		}
	}
	if (optind != argc)
		return usage_error("unexpected argument", argv[optind]);
	return -1;
}

/* Every --domain must be configured. */
static int
domains_known(const struct args *a, const struct config *cfg, const char *path)
{
	size_t i;

	for (i = 0; i < a->ndomains; i++)
		if (config_domain_get(cfg, a->domains[i]) == NULL) {
			fprintf(stderr, "s2sguard-doctor: no [domain %s] in %s\n", a->domains[i], path);
			return 0;
		}
	return 1;
}

static int
emit(const struct args *a, const struct doctor_results *res)
{
	json_t *j;
	int rc = 0;

	if (!a->json) {
		doctor_render_text(stdout, res);
	} else if ((j = doctor_results_to_json(res)) == NULL ||
	    json_dumpf(j, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER) != 0) {
		rc = -1;
		json_decref(j);
	} else {
		json_decref(j);
		fputc('\n', stdout);
	}
	if (fflush(stdout) != 0 || ferror(stdout))
		rc = -1;
	return rc;
}

int
main(int argc, char **argv)
{
	struct args a;
	struct config *cfg = NULL;
	struct doctor_opts o;
	struct doctor_results res = { 0 };
	struct s2s_err err = { 0 }, cerr = { 0 };
	int rc, status;

	memset(&a, 0, sizeof(a));
	if ((rc = parse_args(argc, argv, &a)) >= 0)
		return rc;
	memset(&o, 0, sizeof(o));
	o.config_path = a.config != NULL ? a.config : CONFIG_DEFAULT_PATH;
	if ((rc = config_load(o.config_path, &cfg, &cerr)) != 0)
		o.config_error = cerr.msg;
	if (cfg != NULL && !domains_known(&a, cfg, o.config_path)) {
		config_free(cfg);
		return EXIT_CANNOT_RUN;
	}
	o.cfg = cfg;
	o.domains = a.domains;
	o.ndomains = a.ndomains;
	o.now = a.now != 0 ? a.now : time(NULL);
	o.root = a.root != NULL ? a.root : "";
	o.served_timeout_ms = a.timeout * 1000;
	if (doctor_run(&o, &res, &err) != 0) {
		fprintf(stderr, "s2sguard-doctor: %s\n", err.msg);
		status = EXIT_CANNOT_RUN;
	} else if (emit(&a, &res) != 0) {
		fprintf(stderr, "s2sguard-doctor: cannot write the report\n");
		status = EXIT_CANNOT_RUN;
	} else {
		/* no configuration at all: nothing could be checked */
		status = rc == S2S_ENOTFOUND ? EXIT_CANNOT_RUN : doctor_exit_status(&res);
	}
	doctor_results_clear(&res);
	config_free(cfg);
	return status;
}
