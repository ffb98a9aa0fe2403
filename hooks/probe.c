/*
 * s2sguard-probe: test outbound s2s federation with a given certificate
 * against real XMPP servers.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "cli.h"
#include "cert.h"
#include "help-s2sguard-probe.h"
#include "mem.h"
#include "probe.h"
#include "report.h"

#define EXIT_ALL_ACCEPTED	0
#define EXIT_NOT_ACCEPTED	1
#define EXIT_REGRESSION		2
#define EXIT_INPUT		3
#define EXIT_FAILED		4

#define MAX_PEERS		100000
#define PEERS_FILE_MAX		(4 * 1024 * 1024)

struct args {
	struct probe_opts	 opts;
	const char		**peers;
	size_t			 npeers, peers_cap;
	struct probe_override	*ovr;
	size_t			 novr;
	const char		*peers_file;
	const char		*user;
	int			 json;
	unsigned char		*peers_text;	/* --peers-file contents; peers point here */
};

static const struct option longopts[] = {
	{ "from",		required_argument,	NULL, 'f' },
	{ "cert",		required_argument,	NULL, 'c' },
	{ "key",		required_argument,	NULL, 'k' },
	{ "peers-file",		required_argument,	NULL, 'P' },
	{ "peer",		required_argument,	NULL, 'p' },
	{ "baseline-cert",	required_argument,	NULL, 'C' },
	{ "baseline-key",	required_argument,	NULL, 'K' },
	{ "concurrency",	required_argument,	NULL, 'n' },
	{ "timeout",		required_argument,	NULL, 't' },
	{ "deadline",		required_argument,	NULL, 'd' },
	{ "ca-file",		required_argument,	NULL, 'a' },
	{ "resolver",		required_argument,	NULL, 'r' },
	{ "user",		required_argument,	NULL, 'u' },
	{ "json",		no_argument,		NULL, 'j' },
	{ "help",		no_argument,		NULL, 'h' },
	{ "version",		no_argument,		NULL, 'V' },
	{ NULL,			0,			NULL, 0 },
};

#define usage_error(msg, arg)	cli_usage_error("s2sguard-probe", (msg), (arg))

/* Seconds (decimals allowed) to milliseconds; -1 when not a positive number. */
static long
parse_seconds(const char *s)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || end == s || *end != '\0' || !(v > 0) || v > 86400.0 * 365)
		return -1;
	return (long)(v * 1000.0 + 0.999);
}

static int
add_peer(struct args *a, const char *domain)
{
	for (size_t i = 0; i < a->npeers; i++)
		if (strcasecmp(a->peers[i], domain) == 0)
			return 0;
	if (a->npeers == MAX_PEERS)
		return -1;
	if (a->npeers == a->peers_cap) {
		size_t cap = a->peers_cap ? a->peers_cap * 2 : 64;
		const char **np = mem_realloc(a->peers, cap * sizeof(*np));

		if (np == NULL)
			return -1;
		a->peers = np;
		a->peers_cap = cap;
	}
	a->peers[a->npeers++] = domain;
	return 0;
}

static int
add_override(struct args *a, char *spec)
{
	struct probe_override *n;
	struct s2s_err err;

	if ((n = mem_realloc(a->ovr, (a->novr + 1) * sizeof(*n))) == NULL)
		return usage_error("out of memory", NULL);
	a->ovr = n;
	if (probe_override_parse(spec, &a->ovr[a->novr], &err) < 0)
		return usage_error(err.msg, NULL);
	a->novr++;
	return -1;
}

/* Returns -1 to go on, or an exit status. */
static int
parse_number(const char *opt, const char *s, long lo, long hi, long *out)
{
	char *end;
	long v = 0;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < lo || v > hi)
		return usage_error(opt, s);
	*out = v;
	return -1;
}

static int
parse_option(struct args *a, int c, char *arg, const char *opt)
{
	long v = 0;
	int rc;

	switch (c) {
	case 'f': a->opts.from = arg; break;
	case 'c': a->opts.cert_path = arg; break;
	case 'k': a->opts.key_path = arg; break;
	case 'P': a->peers_file = arg; break;
	case 'p': return add_override(a, arg);
	case 'C': a->opts.baseline_cert_path = arg; break;
	case 'K': a->opts.baseline_key_path = arg; break;
	case 'n':
		if ((rc = parse_number("--concurrency wants 1..10000", arg, 1, 10000, &v)) >= 0)
			return rc;
		a->opts.concurrency = (int)v;
		break;
	case 't':
		if ((v = parse_seconds(arg)) < 0 || v > 3600000)
			return usage_error("--timeout wants seconds", arg);
		a->opts.timeout_ms = (int)v;
		break;
	case 'd':
		if ((v = parse_seconds(arg)) < 0)
			return usage_error("--deadline wants seconds", arg);
		a->opts.deadline = deadline_in_ms(v);
		break;
	case 'a': a->opts.ca_file = arg; break;
	case 'r': a->opts.resolver = arg; break;
	case 'u': a->user = arg; break;
	case 'j': a->json = 1; break;
	case 'h': fputs(HELP_TEXT, stdout); return 0;
	case 'V': printf("s2sguard-probe %s\n", S2S_VERSION); return 0;
	default: return usage_error("unknown option or missing argument", opt);
	}
	return -1;
}

static int
parse_args(int argc, char **argv, struct args *a)
{
	int c, rc;

	opterr = 0;
	a->user = "nobody";
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1)
		if ((rc = parse_option(a, c, optarg, argv[optind - 1])) >= 0)
			return rc;
	if (a->opts.from == NULL)
		return usage_error("--from DOMAIN is required", NULL);
	if (a->opts.cert_path == NULL || a->opts.key_path == NULL)
		return usage_error("--cert and --key are required", NULL);
	if ((a->opts.baseline_cert_path == NULL) != (a->opts.baseline_key_path == NULL))
		return usage_error("--baseline-cert and --baseline-key go together", NULL);
	for (; optind < argc; optind++)
		if (add_peer(a, argv[optind]) < 0)
			return usage_error("too many peers", NULL);
	return -1;
}

/* --peers-file: one domain per line, '#' starts a comment. */
static int
read_peers_file(struct args *a, struct s2s_err *err)
{
	size_t len;
	char *line, *next;
	int rc;

	if ((rc = cert_read_file(a->peers_file, PEERS_FILE_MAX, &a->peers_text, &len, err)) < 0)
		return rc;
	for (line = (char *)a->peers_text; line != NULL && *line != '\0'; line = next) {
		char *hash, *end;

		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		if ((hash = strchr(line, '#')) != NULL)
			*hash = '\0';
		while (*line == ' ' || *line == '\t' || *line == '\r')
			line++;
		end = line + strlen(line);
		while (end > line && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
			*--end = '\0';
		if (*line == '\0')
			continue;
		if (strpbrk(line, " \t") != NULL)
			return err_set(err, S2S_EPARSE, "%s: one domain per line: %s",
			    a->peers_file, line);
		if (add_peer(a, line) < 0)
			return err_set(err, S2S_ETOOBIG, "%s: too many peers", a->peers_file);
	}
	return 0;
}

struct progress {
	int64_t	start;
	int	shown;
};

static void
show_progress(void *arg, size_t done, size_t total)
{
	struct progress *p = arg;

	if (deadline_now_ms() - p->start < 1000 && done < total)
		return;
	if (done >= total) {
		if (p->shown)
			fputs("\r\033[K", stderr);
		return;
	}
	fprintf(stderr, "\rs2sguard-probe: %zu of %zu probes done\033[K", done, total);
	p->shown = 1;
}

static int
emit(const struct args *a, const struct probe_results *res, int status)
{
	json_t *report = report_new("s2sguard-probe");
	int rc = -1;

	if (report == NULL ||
	    json_object_set_new(report, "from", json_string(a->opts.from)) != 0 ||
	    json_object_set_new(report, "probes", probe_results_to_json(res)) != 0 ||
	    json_object_set_new(report, "summary", probe_summary_to_json(res)) != 0 ||
	    json_object_set_new(report, "exit", json_integer(status)) != 0)
		goto out;
	rc = report_emit(stdout, report, a->json);
out:
	json_decref(report);
	return rc;
}

static int
exit_status(const struct probe_results *res)
{
	if (probe_results_regressions(res) > 0)
		return EXIT_REGRESSION;
	if (probe_results_count(res, PROBE_ACCEPTED) != res->n)
		return EXIT_NOT_ACCEPTED;
	return EXIT_ALL_ACCEPTED;
}

static int
run(struct args *a)
{
	struct probe_results *res = NULL;
	struct s2s_err err = { 0 };
	struct progress prog = { deadline_now_ms(), 0 };
	int rc;

	if (a->peers_file != NULL && read_peers_file(a, &err) < 0) {
		fprintf(stderr, "s2sguard-probe: %s\n", err.msg);
		return EXIT_INPUT;
	}
	for (size_t i = 0; i < a->novr; i++)
		if (add_peer(a, a->ovr[i].domain) < 0)
			return usage_error("too many peers", NULL);
	if (a->npeers == 0)
		return usage_error("no peers given", NULL);
	a->opts.peers = a->peers;
	a->opts.npeers = a->npeers;
	a->opts.overrides = a->ovr;
	a->opts.noverrides = a->novr;
	if (isatty(STDERR_FILENO)) {
		a->opts.progress = show_progress;
		a->opts.progress_arg = &prog;
	}
	if ((rc = probe_run_as_user(&a->opts, a->user, &res, &err)) < 0) {
		fprintf(stderr, "s2sguard-probe: %s\n", err.msg);
		return rc == S2S_EINVAL ? EXIT_USAGE :
		    (rc == S2S_EIO || rc == S2S_ENOTFOUND || rc == S2S_EPARSE ||
		     rc == S2S_ETOOBIG) ? EXIT_INPUT :
		    EXIT_FAILED;
	}
	rc = exit_status(res);
	if (emit(a, res, rc) != 0) {
		fprintf(stderr, "s2sguard-probe: cannot write the report: %s\n", strerror(errno));
		rc = EXIT_FAILED;
	}
	probe_results_free(res);
	return rc;
}

int
main(int argc, char **argv)
{
	struct args a = { 0 };
	int rc;

	if ((rc = parse_args(argc, argv, &a)) < 0)
		rc = run(&a);
	mem_free(a.peers);
	mem_free(a.ovr);
	mem_free(a.peers_text);
	return rc;
}
