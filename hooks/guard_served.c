/*
 * guard_served.c: fetch what the server presents (served.h), compare it
 * with what s2sguard deployed, retry while a reload settles, and say in one
 * line what was found.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cert.h"
#include "guard_served.h"
#include "served.h"

#define GS_MAX_UNANSWERED_TRIES	3	/* a restarting server: a few seconds */

const char *
guard_served_outcome_name(enum guard_served_outcome o)
{
	switch (o) {
	case GUARD_SERVED_OK: return "served";
	case GUARD_SERVED_WRONG: return "not-served";
	default: return "skipped";
	}
}

static void
sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static int
fetch_once(const struct guard_served_in *in, const struct deadline *dl,
    struct served_results **out, struct s2s_err *err)
{
	struct served_opts so;

	memset(&so, 0, sizeof(so));
	so.domain = in->domain;
	so.specs = in->dom->servers;
	so.nspecs = in->dom->nservers;
	so.c2s = 1;
	so.resolver = in->cfg->resolver;
	so.timeout_ms = in->cfg->probe_timeout * 1000;
	so.deadline = *dl;
	return served_fetch_as_user(&so, in->cfg->probe_user, out, err);
}

static int
any_resolved(const struct served_results *r)
{
	for (size_t i = 0; i < r->n; i++)
		if (r->v[i].resolved)
			return 1;
	return 0;
}

/* Append "; HOST:PORT (transport): what" to buf. */
static void
append(char *buf, size_t len, const struct served_endpoint *e, const char *what)
{
	size_t used = strlen(buf);

	snprintf(buf + used, len - used, "%s%s:%d (%s) %s", used > 0 ? "; " : "", e->host,
	    e->port, served_transport_name(e->transport), what);
}

/* Why nothing answered, endpoint by endpoint. */
static void
why_unanswered(const struct served_results *r, char *buf, size_t len)
{
	buf[0] = '\0';
	if (r->n == 0) {
		snprintf(buf, len, "%s", r->note[0] ? r->note : "no endpoint to connect to");
		return;
	}
	for (size_t i = 0; i < r->n; i++) {
		char what[SERVED_DETAIL_MAX + 16];

		snprintf(what, sizeof(what), "%s: %s", served_status_name(r->v[i].status),
		    r->v[i].detail);
		append(buf, len, &r->v[i], what);
	}
}

/* Which endpoints present another leaf, and what that leaf is. */
static void
describe_wrong(const struct guard_served_in *in, const struct served_results *r, X509 *want,
    char *buf, size_t len)
{
	const char *paths[8];
	size_t n = in->ncands < 8 ? in->ncands : 8;

	for (size_t i = 0; i < n; i++)
		paths[i] = in->cands[i].path;
	buf[0] = '\0';
	for (size_t i = 0; i < r->n; i++) {
		const struct served_endpoint *e = &r->v[i];
		char what[400];
		long idx = -1;

		if (e->status != SERVED_OK || served_leaf_equal(e->leaf, want))
			continue;
		served_match_files(e->leaf, paths, n, &idx);
		if (idx >= 0)
			snprintf(what, sizeof(what), "presents %s", in->cands[idx].what);
		else
			snprintf(what, sizeof(what), "presents a certificate s2sguard did not deploy "
			    "(sha256 %.16s...)", e->leaf_sha256);
		append(buf, len, e, what);
	}
}

static X509 *
want_leaf(const struct guard_served_in *in)
{
	struct cert_chain *chain = NULL;
	struct s2s_err err;
	X509 *x = NULL;

	if (cert_chain_parse(in->want_pem, in->want_len, "deployed certificate", &chain, &err) == 0) {
		x = cert_chain_get(chain, 0);
		X509_up_ref(x);
	}
	cert_chain_free(chain);
	return x;
}

/* Fetch until the expected leaf is served, or tries and time run out. */
static enum served_cmp
fetch_until(const struct guard_served_in *in, X509 *want, struct served_results **res,
    int *tries, char *err_msg, size_t len)
{
	int64_t settle = (int64_t)in->dom->reload_timeout * 1000;
	struct deadline dl = in->after_reload ?
	    deadline_min(in->dl, deadline_in_ms(settle)) : in->dl;
	enum served_cmp cmp = SERVED_CMP_NONE;
	int pause = 500, unanswered = 0;

	for (;;) {
		struct s2s_err err = { 0 };

		served_results_free(*res);
		*res = NULL;
		(*tries)++;
		if (fetch_once(in, &dl, res, &err) != 0) {
			snprintf(err_msg, len, "%s", err.msg);
			return SERVED_CMP_NONE;
		}
		cmp = served_compare(*res, want, NULL, NULL);
		if (cmp == SERVED_CMP_SAME || !in->after_reload)
			return cmp;
		if (cmp == SERVED_CMP_NONE &&
		    (!any_resolved(*res) || ++unanswered >= GS_MAX_UNANSWERED_TRIES))
			return cmp;
		if (deadline_left_ms(&dl) <= pause)
			return cmp;
		sleep_ms(pause);
		pause = pause < 2000 ? pause * 2 : 2000;
	}
}

static void
outcome_line(const struct guard_served_in *in, enum served_cmp cmp, const char *detail,
    size_t nok, char *msg, size_t len)
{
	const char *which = in->after_reload ? "the new certificate" : "the deployed certificate";

	if (cmp == SERVED_CMP_SAME)
		snprintf(msg, len, "the server presents %s on %zu endpoint(s)", which, nok);
	else if (cmp == SERVED_CMP_DIFFERS && in->after_reload)
		snprintf(msg, len, "the reload did not make the server use the new certificate: %s",
		    detail);
	else if (cmp == SERVED_CMP_DIFFERS && in->in_check)
		snprintf(msg, len, "the server does not present the deployed certificate (reload "
		    "it, and check that it reads s2sguard's target): %s", detail);
	else if (cmp == SERVED_CMP_DIFFERS)
		snprintf(msg, len, "the server does not present the deployed certificate, so it "
		    "does not read s2sguard's target and a hold cannot hold: %s", detail);
	else
		snprintf(msg, len, "not checked whether the server presents %s: nothing answered "
		    "(%s); set server = in [domain %s], or verify_served = no", which, detail,
		    in->domain);
}

enum guard_served_outcome
guard_served_check(const struct guard_served_in *in, json_t **report_out, char *msg,
    size_t msglen)
{
	struct served_results *res = NULL;
	enum served_cmp cmp = SERVED_CMP_NONE;
	char detail[1024] = "", sha[65] = "";
	X509 *want;
	int tries = 0;
	json_t *rep;

	*report_out = NULL;
	if (in->dom == NULL || !in->dom->verify_served) {
		snprintf(msg, msglen, "not checked whether the server presents the certificate: "
		    "verify_served = no");
		*report_out = json_pack("{s:s, s:s}", "outcome", "skipped", "detail", msg);
		return GUARD_SERVED_SKIPPED;
	}
	if ((want = want_leaf(in)) == NULL) {
		snprintf(msg, msglen, "not checked: the deployed certificate cannot be read");
		*report_out = json_pack("{s:s, s:s}", "outcome", "skipped", "detail", msg);
		return GUARD_SERVED_SKIPPED;
	}
	cmp = fetch_until(in, want, &res, &tries, detail, sizeof(detail));
	if (res != NULL && cmp == SERVED_CMP_DIFFERS)
		describe_wrong(in, res, want, detail, sizeof(detail));
	else if (res != NULL && cmp == SERVED_CMP_NONE)
		why_unanswered(res, detail, sizeof(detail));
	outcome_line(in, cmp, detail, served_count_ok(res), msg, msglen);
	cert_sha256_hex(want, sha);
	rep = json_pack("{s:s, s:s, s:i, s:s}", "outcome", cmp == SERVED_CMP_SAME ? "served" :
	    cmp == SERVED_CMP_DIFFERS ? "not-served" : "skipped", "expected_sha256", sha,
	    "tries", tries, "detail", msg);
	if (rep != NULL && res != NULL) {
		json_t *all = served_results_to_json(res, 0);

		json_object_set(rep, "endpoints", json_object_get(all, "endpoints"));
		json_decref(all);
	}
	*report_out = rep;
	served_results_free(res);
	X509_free(want);
	return cmp == SERVED_CMP_SAME ? GUARD_SERVED_OK :
	    cmp == SERVED_CMP_DIFFERS ? GUARD_SERVED_WRONG : GUARD_SERVED_SKIPPED;
}
