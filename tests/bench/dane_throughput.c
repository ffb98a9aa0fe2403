/*
 * dane_throughput RESOLVER ANCHORS NEW OLD N: DANE checks of the domains
 * xmpp0000.bench.test .. xmpp(N-1).bench.test (3 lookups each: two SRV, one
 * TLSA) against a validating resolver. Three passes: cold (one libunbound
 * context, empty caches), warm (the same context again), and per renewal
 * (a fresh context per domain, as each hook run has, with the recursive
 * resolver's cache warm). Prints figures; asserts nothing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "cert.h"
#include "dane.h"
#include "mem.h"

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
check_one(struct resolver *r, int i, struct cert_chain *renewed, struct cert_chain *deployed,
    int *verdicts)
{
	struct deadline dl = deadline_in_ms(10000);
	struct dane_result *res;
	struct s2s_err err;
	char domain[64];

	snprintf(domain, sizeof(domain), "xmpp%04d.bench.test", i);
	if (dane_check(r, domain, renewed, deployed, &dl, 0, &res, &err) < 0) {
		fprintf(stderr, "dane_throughput: %s\n", err.msg);
		return -1;
	}
	verdicts[res->verdict]++;
	dane_result_free(res);
	return 0;
}

static int
pass_shared(const char *label, struct resolver *r, int n, struct cert_chain *renewed,
    struct cert_chain *deployed)
{
	int verdicts[DANE_BOGUS + 1] = { 0 }, i;
	double t0 = now_s(), dt;

	for (i = 0; i < n; i++)
		if (check_one(r, i, renewed, deployed, verdicts) < 0)
			return -1;
	dt = now_s() - t0;
	printf("%-34s %5d domains in %7.3f s: %8.0f checks/s, %8.0f lookups/s, %.3f ms/check"
	    " (matches-new %d, deployed-only %d, other %d)\n", label, n, dt, n / dt, 3 * n / dt,
	    1e3 * dt / n, verdicts[DANE_MATCHES_NEW], verdicts[DANE_MATCHES_DEPLOYED_ONLY],
	    n - verdicts[DANE_MATCHES_NEW] - verdicts[DANE_MATCHES_DEPLOYED_ONLY]);
	return 0;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static int
pass_fresh(const char *fwd, const char *anchors, int n, struct cert_chain *renewed,
    struct cert_chain *deployed)
{
	int verdicts[DANE_BOGUS + 1] = { 0 }, i;
	double t0 = now_s(), t, dt, *ms;
	struct deadline dl = deadline_in_ms(600000);
	struct resolver *r;
	struct s2s_err err;

	if ((ms = calloc((size_t)n, sizeof(*ms))) == NULL)
		return -1;
	for (i = 0; i < n; i++) {
		t = now_s();
		if (dane_resolver_new(fwd, anchors, &dl, &r, &err) < 0) {
			fprintf(stderr, "dane_throughput: %s\n", err.msg);
			free(ms);
			return -1;
		}
		if (check_one(r, i, renewed, deployed, verdicts) < 0) {
			free(ms);
			return -1;
		}
		resolver_free(r);
		ms[i] = 1e3 * (now_s() - t);
	}
	dt = now_s() - t0;
	qsort(ms, (size_t)n, sizeof(*ms), cmp_double);
	printf("%-34s %5d domains in %7.3f s: per renewal median %.2f ms, p90 %.2f ms, "
	    "mean %.2f ms, max %.2f ms\n", "per renewal (new context, warm):", n, dt,
	    ms[n / 2], ms[n * 9 / 10], 1e3 * dt / n, ms[n - 1]);
	free(ms);
	return 0;
}

int
main(int argc, char **argv)
{
	struct deadline dl = deadline_in_ms(10000);
	struct cert_chain *renewed, *deployed;
	struct resolver *r;
	struct s2s_err err;
	int n;

	if (argc != 6 || (n = (int)strtol(argv[5], NULL, 10)) <= 0 || n > 10000) {
		fprintf(stderr, "usage: dane_throughput RESOLVER ANCHORS NEW OLD N\n");
		return 2;
	}
	if (cert_chain_load(argv[3], &renewed, &err) < 0 ||
	    cert_chain_load(argv[4], &deployed, &err) < 0 ||
	    dane_resolver_new(argv[1], argv[2], &dl, &r, &err) < 0) {
		fprintf(stderr, "dane_throughput: %s\n", err.msg);
		return 1;
	}
	if (pass_shared("cold (both caches empty):", r, n, renewed, deployed) < 0 ||
	    pass_shared("warm (same context):", r, n, renewed, deployed) < 0 ||
	    pass_fresh(argv[1], argv[2], n, renewed, deployed) < 0)
		return 1;
	resolver_free(r);
	cert_chain_free(renewed);
	cert_chain_free(deployed);
	return 0;
}
