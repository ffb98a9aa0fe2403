/*
 * check_metrics.c: read what the state says about the deployed
 * certificate, and write the Prometheus textfile.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_metrics.h"
#include "deploy.h"
#include "state.h"

static const char *
str_of(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s != NULL ? s : "";
}

static size_t
count_baseline(const struct probe_results *res, enum probe_verdict v)
{
	size_t n = 0;

	for (size_t i = 0; i < res->n; i++)
		n += res->v[i].has_baseline && res->v[i].baseline.verdict == v;
	return n;
}

/*
 * Peer verdicts about the deployed certificate: the last probe's own when
 * it probed that certificate, its baseline's when the deployed one was
 * the baseline (a held renewal was probed beside it); else none.
 */
static void
probe_view(const json_t *lp, struct dstat *ds)
{
	struct probe_results *res = NULL;
	struct s2s_err err = { 0 };
	int as_probe, as_base;

	if (!ds->have_cert || lp == NULL)
		return;
	as_probe = strcmp(str_of(lp, "cert_sha256"), ds->cert_sha256) == 0;
	as_base = strcmp(str_of(lp, "baseline_sha256"), ds->cert_sha256) == 0;
	if ((!as_probe && !as_base) ||
	    probe_results_from_json(json_object_get(lp, "probes"), &res, &err) != 0)
		return;
	ds->have_probe = 1;
	ds->probe_time = json_integer_value(json_object_get(lp, "epoch"));
	for (size_t v = 0; v < PROBE_VERDICT_COUNT; v++)
		ds->counts[v] = as_probe ? probe_results_count(res, (enum probe_verdict)v) :
		    count_baseline(res, (enum probe_verdict)v);
	/* a regression is a peer that accepts the deployed one but not the held one */
	if (ds->pending && as_base)
		ds->regressed = probe_results_regressions(res);
	probe_results_free(res);
}

void
check_view_from_state(const struct config *cfg, struct dstat *ds)
{
	struct s2s_err err = { 0 };
	const json_t *sv;
	json_t *st = NULL;

	ds->served = -1;
	if (state_load(cfg->state_dir, ds->name, &st, &err) != 0)
		return;
	ds->pending = json_object_get(st, "pending") != NULL;
	probe_view(json_object_get(st, "last_probe"), ds);
	sv = json_object_get(st, "served");
	if (ds->have_cert && strcmp(str_of(sv, "expected_sha256"), ds->cert_sha256) == 0) {
		if (strcmp(str_of(sv, "outcome"), "served") == 0)
			ds->served = 1;
		else if (strcmp(str_of(sv, "outcome"), "not-served") == 0)
			ds->served = 0;
	}
	json_decref(st);
}

/* ---- the textfile ------------------------------------------------------- */

static void
head(FILE *f, const char *name, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s gauge\n", name, help, name);
}

static void
metric(FILE *f, const char *name, const char *domain, const char *label, long long v)
{
	if (label != NULL)
		fprintf(f, "%s{domain=\"%s\",%s} %lld\n", name, domain, label, v);
	else
		fprintf(f, "%s{domain=\"%s\"} %lld\n", name, domain, v);
}

static void
write_cert(FILE *f, const struct dstat *ds, size_t n)
{
	head(f, "s2sguard_cert_days_left", "Days until the deployed certificate expires.");
	for (size_t i = 0; i < n; i++)
		if (ds[i].have_cert)
			metric(f, "s2sguard_cert_days_left", ds[i].name, NULL, ds[i].days_left);
	head(f, "s2sguard_cert_client_auth", "1 when the deployed chain allows TLS client use.");
	for (size_t i = 0; i < n; i++)
		if (ds[i].have_cert)
			metric(f, "s2sguard_cert_client_auth", ds[i].name, NULL, ds[i].client_ok);
	head(f, "s2sguard_hold", "1 while a renewed certificate is held back.");
	for (size_t i = 0; i < n; i++)
		metric(f, "s2sguard_hold", ds[i].name, NULL, ds[i].pending);
	head(f, "s2sguard_hold_min_days",
	    "A hold ends when the deployed certificate has this many days left.");
	for (size_t i = 0; i < n; i++)
		metric(f, "s2sguard_hold_min_days", ds[i].name, NULL, ds[i].hold_min_days);
	head(f, "s2sguard_served_matches_deployed",
	    "1 when the XMPP server presents the deployed certificate, 0 when another one.");
	for (size_t i = 0; i < n; i++)
		if (ds[i].served >= 0)
			metric(f, "s2sguard_served_matches_deployed", ds[i].name, NULL, ds[i].served);
}

static void
write_peers(FILE *f, const struct dstat *ds, size_t n)
{
	char label[64];

	head(f, "s2sguard_peers", "Peers by verdict on the deployed certificate, in the probe "
	    "at s2sguard_probe_timestamp_seconds.");
	for (size_t i = 0; i < n; i++)
		for (size_t v = 1; ds[i].have_probe && v < PROBE_VERDICT_COUNT; v++) {
			snprintf(label, sizeof(label), "verdict=\"%s\"",
			    probe_verdict_name((enum probe_verdict)v));
			metric(f, "s2sguard_peers", ds[i].name, label, (long long)ds[i].counts[v]);
		}
	head(f, "s2sguard_probe_timestamp_seconds",
	    "When the peers were last probed with the deployed certificate.");
	for (size_t i = 0; i < n; i++)
		if (ds[i].have_probe)
			metric(f, "s2sguard_probe_timestamp_seconds", ds[i].name, NULL, ds[i].probe_time);
	head(f, "s2sguard_peers_regressed",
	    "Peers that accept the deployed certificate but refuse the held one.");
	for (size_t i = 0; i < n; i++)
		metric(f, "s2sguard_peers_regressed", ds[i].name, NULL, (long long)ds[i].regressed);
}

static void
write_doctor(FILE *f, const struct doctor_metric *doc, size_t ndoc)
{
	static const char *const statuses[] = { "ok", "warn", "fail", "skip" };

	if (ndoc == 0)
		return;
	head(f, "s2sguard_doctor_check", "1 for the status each s2sguard-doctor check has now.");
	for (size_t i = 0; i < ndoc; i++)
		for (size_t s = 0; s < 4; s++)
			fprintf(f, "s2sguard_doctor_check{name=\"%s\",domain=\"%s\",status=\"%s\"} %d\n",
			    doc[i].name, doc[i].domain, statuses[s],
			    strcmp(doc[i].status, statuses[s]) == 0);
}

int
check_metrics_write(const char *path, const struct dstat *ds, size_t n,
    const struct doctor_metric *doc, size_t ndoc, time_t now, struct s2s_err *err)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f;
	int rc;

	if ((f = open_memstream(&text, &len)) == NULL)
		return err_set(err, S2S_ENOMEM, "out of memory");
	write_cert(f, ds, n);
	write_peers(f, ds, n);
	write_doctor(f, doc, ndoc);
	head(f, "s2sguard_check_status", "Exit status of the last check per domain.");
	for (size_t i = 0; i < n; i++)
		metric(f, "s2sguard_check_status", ds[i].name, NULL, ds[i].exit);
	fprintf(f, "# HELP s2sguard_check_timestamp_seconds When the check last ran.\n"
	    "# TYPE s2sguard_check_timestamp_seconds gauge\n"
	    "s2sguard_check_timestamp_seconds %lld\n", (long long)now);
	if (fclose(f) != 0) {
		free(text);
		return err_set(err, S2S_ENOMEM, "out of memory");
	}
	rc = deploy_write_file(path, text, len, (uid_t)-1, (gid_t)-1, 0644, err);
	free(text);
	return rc;
}
