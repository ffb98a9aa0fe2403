/*
 * s2sguard-inspect: inspect certificate files the way XMPP peers judge them.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "dane.h"
#include "help-s2sguard-inspect.h"
#include "inspect.h"
#include "mem.h"
#include "report.h"

#define EXIT_DANE_REGRESSION	4	/* a TLSA name matches only the deployed chain */
#define EXIT_DANE_BOGUS		5	/* a TLSA or SRV answer is bogus or failed */
#define MAX_DOMAINS	64
#define DANE_TIMEOUT_MS	10000

struct args {
	struct inspect_opts	 opts;
	const char		*domains[MAX_DOMAINS];
	const char		*dane[MAX_DOMAINS];
	size_t			 ndane;
	const char		*resolver;
	const char		*trust_anchor;
	int			 json;
};

static const struct option longopts[] = {
	{ "key",	required_argument,	NULL, 'k' },
	{ "chain",	required_argument,	NULL, 'c' },
	{ "ca-file",	required_argument,	NULL, 'a' },
	{ "previous",	required_argument,	NULL, 'p' },
	{ "domain",	required_argument,	NULL, 'd' },
	{ "now",	required_argument,	NULL, 'n' },
	{ "dane",	required_argument,	NULL, 'D' },
	{ "resolver",	required_argument,	NULL, 'r' },
	{ "trust-anchor", required_argument,	NULL, 't' },
	{ "json",	no_argument,		NULL, 'j' },
	{ "help",	no_argument,		NULL, 'h' },
	{ "version",	no_argument,		NULL, 'V' },
	{ NULL,		0,			NULL, 0 },
};

#define usage_error(msg, arg)	cli_usage_error("s2sguard-inspect", (msg), (arg))

/* Returns -1 to go on, or an exit status. */
static int
parse_args(int argc, char **argv, struct args *a)
{
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'k': a->opts.key_path = optarg; break;
		case 'c': a->opts.chain_path = optarg; break;
		case 'a': a->opts.ca_file = optarg; break;
		case 'p': a->opts.previous_path = optarg; break;
		case 'd':
			if (a->opts.ndomains == MAX_DOMAINS)
				return usage_error("too many --domain options", NULL);
			a->domains[a->opts.ndomains++] = optarg;
			break;
		case 'n':
			if (cli_parse_epoch(optarg, &a->opts.now) != 0)
				return usage_error("--now wants seconds since 1970", optarg);
			break;
		case 'D':
			if (a->ndane == MAX_DOMAINS)
				return usage_error("too many --dane options", NULL);
			a->dane[a->ndane++] = optarg;
			break;
		case 'r': a->resolver = optarg; break;
		case 't': a->trust_anchor = optarg; break;
		case 'j': a->json = 1; break;
		case 'h': fputs(HELP_TEXT, stdout); return 0;
		case 'V': printf("s2sguard-inspect %s\n", S2S_VERSION); return 0;
		default: return usage_error("unknown option or missing argument",
		    argv[optind - 1]);
		}
	}
	if (optind != argc - 1)
		return usage_error(optind >= argc ? "no certificate file given" :
		    "one certificate file at a time", NULL);
	a->opts.cert_path = argv[optind];
	a->opts.domains = a->domains;
	return -1;
}

/* Render everything first, then write once: no partial output on stdout. */
static int
emit(const struct inspection *ins, json_t *dane, int exit_code, int as_json)
{
	json_t *report = report_new("s2sguard-inspect");
	int rc = -1;

	if (report == NULL || json_object_set_new(report, "inspection", inspect_to_json(ins)) != 0 ||
	    (dane != NULL && json_object_set(report, "dane", dane) != 0) ||
	    json_object_set_new(report, "exit", json_integer(exit_code)) != 0)
		goto out;
	rc = report_emit(stdout, report, as_json);
out:
	json_decref(report);
	return rc;
}

static int
load_chains(const struct args *a, struct cert_chain **renewed, struct cert_chain **deployed,
    struct s2s_err *err)
{
	int rc;

	*renewed = *deployed = NULL;
	if ((rc = cert_chain_load(a->opts.cert_path, renewed, err)) < 0 ||
	    (a->opts.chain_path != NULL &&
	    (rc = cert_chain_append_file(*renewed, a->opts.chain_path, err)) < 0) ||
	    (a->opts.previous_path != NULL &&
	    (rc = cert_chain_load(a->opts.previous_path, deployed, err)) < 0))
		return rc;
	return 0;
}

/*
 * --dane: check each domain's TLSA records; *dane gets the report array and
 * *worst the worst domain verdict. Returns an exit status on failure, else -1.
 */
static int
check_dane(const struct args *a, json_t **dane, enum dane_verdict *worst)
{
	struct cert_chain *renewed = NULL, *deployed = NULL;
	struct deadline dl = deadline_in_ms(DANE_TIMEOUT_MS);
	struct dane_result *res;
	struct resolver *r = NULL;
	struct s2s_err err = { 0 };
	int rc = -1;
	size_t i;

	*worst = DANE_NO_TLSA;
	if ((*dane = json_array()) == NULL)
		return INSPECT_UNREADABLE;
	if (load_chains(a, &renewed, &deployed, &err) < 0 ||
	    dane_resolver_new(a->resolver, a->trust_anchor, &dl, &r, &err) < 0) {
		fprintf(stderr, "s2sguard-inspect: %s\n", err.msg);
		rc = err.code == S2S_EINVAL ? EXIT_USAGE : INSPECT_UNREADABLE;
		goto out;
	}
	for (i = 0; i < a->ndane && rc < 0; i++) {
		if (dane_check(r, a->dane[i], renewed, deployed, &dl, a->opts.now, &res, &err) < 0) {
			fprintf(stderr, "s2sguard-inspect: %s\n", err.msg);
			rc = err.code == S2S_EINVAL ? EXIT_USAGE : INSPECT_UNREADABLE;
			break;
		}
		if (res->verdict > *worst)
			*worst = res->verdict;
		if (json_array_append_new(*dane, dane_to_json(res)) != 0)
			rc = INSPECT_UNREADABLE;
		dane_result_free(res);
	}
out:
	resolver_free(r);
	cert_chain_free(renewed);
	cert_chain_free(deployed);
	return rc;
}

/* The inspection's verdict, unless a DANE finding is worse for deploying. */
static int
exit_status(const struct inspection *ins, int have_dane, enum dane_verdict worst)
{
	if (ins->verdict >= INSPECT_INVALID || !have_dane)
		return (int)ins->verdict;
	if (worst == DANE_BOGUS)
		return EXIT_DANE_BOGUS;
	if (worst == DANE_MATCHES_DEPLOYED_ONLY)
		return EXIT_DANE_REGRESSION;
	return (int)ins->verdict;
}

int
main(int argc, char **argv)
{
	struct args a = { 0 };
	struct inspection *ins = NULL;
	struct s2s_err err = { 0 };
	enum dane_verdict worst = DANE_NO_TLSA;
	json_t *dane = NULL;
	int rc;

	if ((rc = parse_args(argc, argv, &a)) >= 0)
		return rc;
	if ((a.resolver != NULL || a.trust_anchor != NULL) && a.ndane == 0)
		return usage_error("--resolver and --trust-anchor go with --dane", NULL);
	if (inspect_files(&a.opts, &ins, &err) != 0) {
		fprintf(stderr, "s2sguard-inspect: %s\n", err.msg);
		return INSPECT_UNREADABLE;
	}
	if (a.ndane > 0 && (rc = check_dane(&a, &dane, &worst)) >= 0)
		goto out;
	rc = exit_status(ins, dane != NULL, worst);
	if (emit(ins, dane, rc, a.json) != 0) {
		fprintf(stderr, "s2sguard-inspect: cannot write the report: %s\n", strerror(errno));
		rc = INSPECT_UNREADABLE;
	}
out:
	json_decref(dane);
	inspection_free(ins);
	return rc;
}
