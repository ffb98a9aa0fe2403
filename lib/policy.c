/*
 * policy.c: see policy.h for the rules; this file is their literal
 * translation. Pure: no I/O, no allocation except in the JSON export.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "policy.h"

static void	add_reason(struct decision *d, const char *fmt, ...)
		    __attribute__((format(printf, 2, 3)));

static void
add_reason(struct decision *d, const char *fmt, ...)
{
	va_list ap;

	if (d->nreasons >= POLICY_MAX_REASONS)
		return;
	va_start(ap, fmt);
	vsnprintf(d->reasons[d->nreasons], sizeof(d->reasons[0]), fmt, ap);
	va_end(ap);
	d->nreasons++;
}

const char *
policy_action_name(enum decision_action a)
{
	switch (a) {
	case DECIDE_DEPLOY: return "deploy";
	case DECIDE_DEPLOY_WARN: return "deploy-warn";
	case DECIDE_HOLD: return "hold";
	case DECIDE_REISSUE: return "reissue";
	case DECIDE_REFUSE: return "refuse";
	}
	return "?";
}

int
policy_peer_regressed(const struct policy_peer *p)
{
	if (p->now == PEER_ACCEPTED || p->now == PEER_NOT_PROBED)
		return 0;
	/* a hold ends when the refusing peer accepts, not when it is down */
	return p->baseline == PEER_ACCEPTED || p->held;
}

static const char *
peer_state_words(enum peer_state s)
{
	switch (s) {
	case PEER_ACCEPTED: return "accepts";
	case PEER_DEGRADED: return "accepts by dialback only";
	case PEER_FAILED: return "refuses";
	case PEER_UNREACHABLE: return "cannot be reached";
	case PEER_NOT_PROBED: break;
	}
	return "was not probed";
}

static void
regression_reason(struct decision *d, const struct policy_peer *p, int deciding)
{
	const char *who = !deciding ? " (not critical)" : "";
	const char *crit = deciding && p->critical ? "critical peer " : "";
	const char *sep = p->reason != NULL && p->reason[0] ? ": " : "";

	if (p->baseline != PEER_ACCEPTED)
		add_reason(d, "%s%s%s refused the held certificate and has not accepted it since (it %s now%s%s)",
		    crit, p->name, who, peer_state_words(p->now), sep, p->reason != NULL ? p->reason : "");
	else
		add_reason(d, "%s%s%s accepted the deployed certificate but not the new one%s%s",
		    crit, p->name, who, sep, p->reason != NULL ? p->reason : "");
}

/* Hold if the deployed certificate can carry it; else deploy with a warning. */
static void
hold_or_deploy(const struct policy_input *in, struct decision *d)
{
	if (!in->have_deployed) {
		d->hold_refused = 1;
		d->action = DECIDE_DEPLOY_WARN;
		add_reason(d, "nothing is deployed yet, so there is nothing to hold on to");
	} else if (in->deployed_days_left <= in->hold_min_days) {
		d->hold_refused = 1;
		d->action = DECIDE_DEPLOY_WARN;
		add_reason(d, "the deployed certificate has %ld day(s) left (hold_min_days %d): deploying rather than letting it expire",
		    in->deployed_days_left, in->hold_min_days);
	} else {
		d->action = DECIDE_HOLD;
		add_reason(d, "holding the deployed certificate (%ld day(s) left)",
		    in->deployed_days_left);
	}
}

static void
count_regressions(const struct policy_input *in, struct decision *d)
{
	size_t i;

	for (i = 0; i < in->npeers; i++) {
		const struct policy_peer *p = &in->peers[i];

		if (!policy_peer_regressed(p))
			continue;
		if (!in->have_critical || p->critical) {
			d->regressions++;
			regression_reason(d, p, 1);
		} else {
			d->other_regressions++;
			regression_reason(d, p, 0);
		}
	}
}

/*
 * Did any peer say anything, with either certificate? A peer still
 * standing by its earlier refusal of the held certificate counts.
 */
static int
any_answer(const struct policy_input *in)
{
	size_t i;

	for (i = 0; i < in->npeers; i++) {
		enum peer_state a = in->peers[i].now, b = in->peers[i].baseline;

		if (policy_peer_regressed(&in->peers[i]) ||
		    a == PEER_ACCEPTED || a == PEER_DEGRADED || a == PEER_FAILED ||
		    b == PEER_ACCEPTED || b == PEER_DEGRADED || b == PEER_FAILED)
			return 1;
	}
	return 0;
}

void
policy_decide(const struct policy_input *in, struct decision *d)
{
	enum policy_kind policy;
	int probed;

	memset(d, 0, sizeof(*d));
	if (in->new_invalid) {
		d->action = DECIDE_REFUSE;
		add_reason(d, "the new certificate is unusable: %s",
		    in->invalid_reason != NULL ? in->invalid_reason : "inspection failed");
		return;
	}
	probed = in->probed && any_answer(in);
	if (in->probed && !probed)
		add_reason(d, "no peer answered the probes (unreachable or silent): deciding on the inspection alone");
	if (probed)
		count_regressions(in, d);
	else if (!in->new_client_ok && (in->prev_client_ok || !in->have_deployed)) {
		d->suspected = 1;
		d->regressions = 1;
		add_reason(d, "the new chain does not allow clientAuth (TLS client use) and peers were not probed");
	}
	if (d->regressions == 0) {
		d->action = DECIDE_DEPLOY;
		if (d->other_regressions > 0)
			d->action = DECIDE_DEPLOY_WARN;
		else if (!in->new_client_ok) {
			d->action = DECIDE_DEPLOY_WARN;
			add_reason(d, "the new chain does not allow clientAuth; no peer that accepted the deployed certificate refuses it");
		}
		return;
	}
	policy = in->policy;
	if (policy == POLICY_REISSUE && in->reissue_tried) {
		policy = in->fallback;
		add_reason(d, "the re-issued certificate did not fix it; falling back to %s",
		    config_policy_name(policy));
	}
	switch (policy) {
	case POLICY_WARN:
		d->action = DECIDE_DEPLOY_WARN;
		break;
	case POLICY_HOLD:
		hold_or_deploy(in, d);
		break;
	case POLICY_REISSUE:
		d->action = DECIDE_REISSUE;
		add_reason(d, "re-issuing from the alternate CA or profile");
		break;
	}
}

json_t *
policy_decision_to_json(const struct decision *d, const struct policy_input *in)
{
	json_t *o, *reasons;
	size_t i;

	o = json_object();
	reasons = json_array();
	if (o == NULL || reasons == NULL) {
		json_decref(o);
		json_decref(reasons);
		return NULL;
	}
	for (i = 0; i < d->nreasons; i++)
		json_array_append_new(reasons, json_string(d->reasons[i]));
	json_object_set_new(o, "action", json_string(policy_action_name(d->action)));
	json_object_set_new(o, "policy", json_string(config_policy_name(in->policy)));
	json_object_set_new(o, "regressions", json_integer(d->regressions));
	json_object_set_new(o, "other_regressions", json_integer(d->other_regressions));
	json_object_set_new(o, "suspected", json_boolean(d->suspected));
	json_object_set_new(o, "hold_refused", json_boolean(d->hold_refused));
	json_object_set_new(o, "reissue_tried", json_boolean(in->reissue_tried));
	if (in->have_deployed)
		json_object_set_new(o, "deployed_days_left", json_integer(in->deployed_days_left));
	json_object_set_new(o, "hold_min_days", json_integer(in->hold_min_days));
	json_object_set_new(o, "reasons", reasons);
	return o;
}
