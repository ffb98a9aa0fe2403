/*
 * s2sguard-inspect: inspect certificate files the way XMPP peers judge them.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "help-s2sguard-inspect.h"
#include "inspect.h"
#include "mem.h"
#include "report.h"

#define EXIT_USAGE	64
#define MAX_DOMAINS	64

struct args {
	struct inspect_opts	 opts;
	const char		*domains[MAX_DOMAINS];
	int			 json;
};

static const struct option longopts[] = {
	{ "key",	required_argument,	NULL, 'k' },
	{ "chain",	required_argument,	NULL, 'c' },
	{ "ca-file",	required_argument,	NULL, 'a' },
	{ "previous",	required_argument,	NULL, 'p' },
	{ "domain",	required_argument,	NULL, 'd' },
	{ "now",	required_argument,	NULL, 'n' },
	{ "json",	no_argument,		NULL, 'j' },
	{ "help",	no_argument,		NULL, 'h' },
	{ "version",	no_argument,		NULL, 'V' },
	{ NULL,		0,			NULL, 0 },
};

static int
usage_error(const char *msg, const char *arg)
{
	fprintf(stderr, "s2sguard-inspect: %s%s%s\n", msg, arg ? ": " : "", arg ? arg : "");
	fprintf(stderr, "Try 's2sguard-inspect --help'.\n");
	return EXIT_USAGE;
}

static int
parse_time(const char *s, time_t *out)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v <= 0)
		return -1;
	*out = (time_t)v;
	return 0;
}

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
			if (parse_time(optarg, &a->opts.now) != 0)
				return usage_error("--now wants seconds since 1970", optarg);
			break;
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
emit(const struct inspection *ins, int as_json)
{
	json_t *report = report_new("s2sguard-inspect");
	char *text = NULL;
	size_t len = 0;
	FILE *mem;
	int rc = -1;

	if (report == NULL || json_object_set_new(report, "inspection", inspect_to_json(ins)) != 0 ||
	    json_object_set_new(report, "exit", json_integer(ins->verdict)) != 0)
		goto out;
	if ((mem = open_memstream(&text, &len)) == NULL)
		goto out;
	if (as_json)
		report_print_json(mem, report);
	else
		report_render_text(mem, report);
	if (fclose(mem) != 0)
		goto out;
	if (fwrite(text, 1, len, stdout) == len && fflush(stdout) == 0)
		rc = 0;
out:
	free(text);
	json_decref(report);
	return rc;
}

int
main(int argc, char **argv)
{
	struct args a = { 0 };
	struct inspection *ins = NULL;
	struct s2s_err err = { 0 };
	int rc;

	if ((rc = parse_args(argc, argv, &a)) >= 0)
		return rc;
	if (inspect_files(&a.opts, &ins, &err) != 0) {
		fprintf(stderr, "s2sguard-inspect: %s\n", err.msg);
		return INSPECT_UNREADABLE;
	}
	rc = (int)ins->verdict;
	if (emit(ins, a.json) != 0) {
		fprintf(stderr, "s2sguard-inspect: cannot write the report: %s\n", strerror(errno));
		rc = INSPECT_UNREADABLE;
	}
	inspection_free(ins);
	return rc;
}
