/*
 * guard_dane.c: the DANE stage of the guard (see guard_dane.h).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cert.h"
#include "config_dane.h"
#include "guard_dane.h"
#include "mem.h"
#include "report.h"

#define GUARD_DANE_MAX_MS	15000	/* DANE lookups' share of the run's deadline */

struct guard_dane {
	struct cfg_dane		 cfg;
	struct dane_result	*res;
	json_t			*json;		/* lent: the entry in the report's "dane" */
	char			 problem[300];
};

void
guard_dane_free(struct guard_dane *gd)
{
	if (gd == NULL)
		return;
	dane_result_free(gd->res);
	mem_free(gd);
}

static struct deadline
dane_deadline(const struct deadline *run)
{
	int64_t ms = GUARD_DANE_MAX_MS;

	if (run->at_ms != 0 && deadline_left_ms(run) / 3 < ms)
		ms = deadline_left_ms(run) / 3;
	return deadline_in_ms(ms > 0 ? ms : 1);
}

static int
dane_run(const struct guard_opts *o, struct guard_dane *gd, const char *cand_path,
    const char *deployed_path, struct s2s_err *err)
{
	struct cert_chain *nc = NULL, *dc = NULL;
	struct resolver *r = NULL;
	struct deadline dl = dane_deadline(&o->dl);
	int rc;

	if ((rc = cert_chain_load(cand_path, &nc, err)) != 0)
		goto out;
	if (deployed_path != NULL && cert_chain_load(deployed_path, &dc, err) != 0)
		dc = NULL;	/* compared without it: every record is then "new" or not */
	if ((rc = dane_resolver_new(gd->cfg.resolver, gd->cfg.trust_anchor, &dl, &r, err)) != 0)
		goto out;
	rc = dane_check(r, o->domain, nc, dc, &dl, o->now, &gd->res, err);
out:
	resolver_free(r);
	cert_chain_free(nc);
	cert_chain_free(dc);
	return rc;
}

/*
 * DANE is on (dane = hold is the default) but the trust anchor file is
 * missing (dns-root-data not installed, a Recommends skipped): every
 * report says so, configured or not, since TLSA records go unchecked.
 */
static void
anchor_missing_warning(const struct guard_dane *gd, json_t *report)
{
	const char *ta = gd->cfg.trust_anchor != NULL ? gd->cfg.trust_anchor :
	    DANE_DEFAULT_TRUST_ANCHOR;
	json_t *w, *v;
	char msg[512];
	size_t i;

	if (access(ta, F_OK) == 0 || errno != ENOENT)
		return;
	snprintf(msg, sizeof(msg), "DANE (dane = %s%s) is on, but the DNSSEC trust anchor %s is "
	    "missing, so TLSA records are not checked: install dns-root-data, set "
	    "dane_trust_anchor, or set dane = off", gd->cfg.mode == DANE_MODE_HOLD ? "hold" : "warn",
	    gd->cfg.configured ? "" : ", the default", ta);
	json_array_foreach(json_object_get(report, "warnings"), i, v)
		if (strcmp(json_string_value(v), msg) == 0)
			return;	/* checked again after a re-issue */
	if ((w = json_object_get(report, "warnings")) == NULL) {
		w = json_array();
		json_object_set_new(report, "warnings", w);
	}
	json_array_append_new(w, json_string(msg));
}

void
guard_dane_check(const struct guard_opts *o, const char *cand_path, const char *deployed_path,
    struct guard_dane **gdp, json_t *report, json_t *actions)
{
	struct guard_dane *gd;
	struct s2s_err err = { 0 };
	json_t *arr, *entry;
	char detail[400];

	guard_dane_free(*gdp);
	*gdp = NULL;
	json_object_del(report, "dane");
	if (o->dom == NULL || (gd = mem_calloc(1, sizeof(*gd))) == NULL)
		return;
	*gdp = gd;
	config_dane_get(o->cfg, o->dom, &gd->cfg);
	if (gd->cfg.mode == DANE_MODE_OFF)
		return;
	if (dane_run(o, gd, cand_path, deployed_path, &err) != 0) {
		snprintf(gd->problem, sizeof(gd->problem), "%s", err.msg);
		anchor_missing_warning(gd, report);
		snprintf(detail, sizeof(detail), "TLSA records not checked: %s", err.msg);
		/*
		 * Nobody asked for DANE here (the default) and the system has
		 * no trust anchor or no validating resolver: a note in the log,
		 * not a failure in every report.
		 */
		if (gd->cfg.configured)
			json_array_append_new(actions, json_pack("{s:s, s:b, s:s}", "action",
			    "dane", "ok", 0, "detail", detail));
		log_msg(o->log, gd->cfg.configured ? LOG_WARNING : LOG_INFO, "%s: dane: %s",
		    o->domain, detail);
		return;
	}
	if ((arr = json_array()) == NULL || (entry = dane_to_json(gd->res)) == NULL) {
		json_decref(arr);
		return;
	}
	json_array_append_new(arr, entry);
	gd->json = entry;
	json_object_set_new(report, "dane", arr);
	log_msg(o->log, LOG_INFO, "%s: dane: %s", o->domain, dane_verdict_name(gd->res->verdict));
}

/* ---- state --------------------------------------------------------------- */

void
guard_dane_state_get(const json_t *st, const char *spki, struct dane_state *out)
{
	const json_t *d = json_object_get(st, "dane");
	const char *k = json_string_value(json_object_get(d, "spki_sha256"));

	memset(out, 0, sizeof(*out));
	/* a new pending certificate starts its own wait */
	if (k == NULL || spki == NULL || strcmp(k, spki) != 0)
		return;
	out->first_seen = (time_t)json_integer_value(json_object_get(d, "first_seen"));
	out->ttl = (uint32_t)json_integer_value(json_object_get(d, "ttl"));
}

int
guard_dane_state_set(json_t *st, const char *spki, const struct dane_state *ds)
{
	char when[32];

	if (ds->first_seen == 0 && ds->ttl == 0) {
		json_object_del(st, "dane");
		return 0;
	}
	report_time_iso(ds->first_seen, when, sizeof(when));
	return json_object_set_new(st, "dane", json_pack("{s:s, s:I, s:s?, s:I}",
	    "spki_sha256", spki != NULL ? spki : "", "first_seen", (json_int_t)ds->first_seen,
	    "first_seen_time", ds->first_seen != 0 ? when : NULL, "ttl", (json_int_t)ds->ttl));
}

/* ---- decision ------------------------------------------------------------- */

static void
add_reason(struct decision *dec, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
add_reason(struct decision *dec, const char *fmt, ...)
{
	size_t i = dec->nreasons < POLICY_MAX_REASONS ? dec->nreasons++ : POLICY_MAX_REASONS - 1;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(dec->reasons[i], sizeof(dec->reasons[i]), fmt, ap);
	va_end(ap);
}

void
guard_dane_combine(const struct dane_decision *dd, const struct policy_input *in,
    struct decision *dec)
{
	if (dd->action == DANE_ACT_DEPLOY)
		return;
	add_reason(dec, "%s", dd->reason);
	if (dec->action == DECIDE_REFUSE || dec->action == DECIDE_HOLD ||
	    dec->action == DECIDE_REISSUE)
		return;
	if (dd->action == DANE_ACT_DEPLOY_WARN) {
		dec->action = DECIDE_DEPLOY_WARN;
		return;
	}
	if (!in->have_deployed) {
		dec->action = DECIDE_DEPLOY_WARN;
		add_reason(dec, "DANE hold impossible: no certificate is deployed to keep");
	} else if (in->deployed_days_left <= in->hold_min_days) {
		dec->action = DECIDE_DEPLOY_WARN;
		dec->hold_refused = 1;
		add_reason(dec, "DANE hold refused: the deployed certificate has %ld day(s) left "
		    "(hold_min_days %d); deploying so it does not expire", in->deployed_days_left,
		    in->hold_min_days);
	} else
		dec->action = DECIDE_HOLD;
}

void
guard_dane_decide(struct guard_dane *gd, json_t *st, const char *spki, time_t now,
    const struct policy_input *in, struct decision *dec)
{
	struct dane_decision dd;
	struct dane_state ds;
	char when[32];

	if (gd == NULL || gd->cfg.mode == DANE_MODE_OFF)
		return;
	if (gd->res == NULL) {
		if (gd->cfg.configured && gd->problem[0] != '\0') {
			add_reason(dec, "DANE not checked: %s", gd->problem);
			if (dec->action == DECIDE_DEPLOY)
				dec->action = DECIDE_DEPLOY_WARN;
		}
		return;
	}
	if (now == 0)
		now = time(NULL);
	guard_dane_state_get(st, spki, &ds);
	dane_decide((enum dane_mode)gd->cfg.mode, gd->res, &ds, now, &dd);
	guard_dane_state_set(st, spki, &ds);
	if (dd.action == DANE_ACT_DEPLOY && gd->res->verdict >= DANE_MATCHES_NEW)
		add_reason(dec, "%s", dd.reason);
	guard_dane_combine(&dd, in, dec);
	if (gd->json == NULL)
		return;
	report_time_iso(dd.ready_at, when, sizeof(when));
	json_object_set_new(gd->json, "decision", json_pack("{s:s, s:s, s:s, s:s?}",
	    "mode", gd->cfg.mode == DANE_MODE_HOLD ? "hold" : "warn",
	    "action", dane_action_name(dd.action), "reason", dd.reason,
	    "ready_at", dd.ready_at != 0 ? when : NULL));
}
