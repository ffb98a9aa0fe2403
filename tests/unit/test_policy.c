/* The decision table: every rule of policy.h, one row each. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "policy.h"

#define A PEER_ACCEPTED
#define D PEER_DEGRADED
#define F PEER_FAILED
#define U PEER_UNREACHABLE
#define N PEER_NOT_PROBED

struct row {
	const char		*what;
	int			 invalid, new_client, prev_client, have_deployed;
	long			 days_left;
	int			 probed;
	enum peer_state		 ej_now, ej_base, pr_now, pr_base;
	int			 ej_critical, have_critical;
	enum policy_kind	 policy, fallback;
	int			 reissue_tried;
	enum decision_action	 want;
	int			 want_regressions;
};

static const struct row rows[] = {
	{ "clientAuth kept, all accept", 0, 1, 1, 1, 60, 1, A, A, A, A, 0, 0, POLICY_HOLD, POLICY_HOLD, 0, DECIDE_DEPLOY, 0 },
	{ "clientAuth kept, not probed", 0, 1, 1, 1, 60, 0, N, N, N, N, 0, 0, POLICY_HOLD, POLICY_HOLD, 0, DECIDE_DEPLOY, 0 },
	{ "invalid new certificate", 1, 1, 1, 1, 60, 0, N, N, N, N, 0, 0, POLICY_WARN, POLICY_HOLD, 0, DECIDE_REFUSE, 0 },
	{ "server-only, ejabberd regresses, hold", 0, 0, 1, 1, 60, 1, F, A, A, A, 0, 0, POLICY_HOLD, POLICY_HOLD, 0, DECIDE_HOLD, 1 },
	{ "server-only, ejabberd regresses, warn", 0, 0, 1, 1, 60, 1, F, A, A, A, 0, 0, POLICY_WARN, POLICY_HOLD, 0, DECIDE_DEPLOY_WARN, 1 },
	{ "server-only, ejabberd regresses, reissue", 0, 0, 1, 1, 60, 1, F, A, A, A, 0, 0, POLICY_REISSUE, POLICY_HOLD, 0, DECIDE_REISSUE, 1 },
	{ "reissue tried, still regressed, fallback hold", 0, 0, 1, 1, 60, 1, F, A, A, A, 0, 0, POLICY_REISSUE, POLICY_HOLD, 1, DECIDE_HOLD, 1 },
	{ "reissue tried, still regressed, fallback warn", 0, 0, 1, 1, 60, 1, F, A, A, A, 0, 0, POLICY_REISSUE, POLICY_WARN, 1, DECIDE_DEPLOY_WARN, 1 },
	{ "hold refused: 7 days left = hold_min_days", 0, 0, 1, 1, 7, 1, F, A, A, A, 0, 0, POLICY_HOLD, POLICY_HOLD, 0, DECIDE_DEPLOY_WARN, 1 },
	{ "hold allowed: 8 days left", 0, 0, 1, 1, 8, 1, F, A, A, A, 0, 0, POLICY_HOLD, POLICY_HOLD, 0, DECIDE_HOLD, 1 },
	{ "hold refused: deployed expired", 0, 0, 1, 1, -3, 1, F, A, A, A, 0, 0, POLICY_HOLD, POLICY_HOLD, 0, DECIDE_DEPLOY_WARN, 1 },
	{ "hold refused: nothing deployed", 0, 0, 0, 0, 0, 1, F, N, A, N, 0, 0, POLICY_HOLD, POLICY_HOLD, 0, DECIDE_DEPLOY_WARN, 0 },
	{ "peer already failing is not blamed", 0, 0, 1, 1, 60, 1, F, F, A, A, 0, 0, POLICY_HOLD, POLICY_HOLD, 0, DECIDE_DEPLOY_WARN, 0 },
	{ "peer already unreachable is not blamed", 0, 0, 1, 1, 60, 1, U, U, A, A, 0, 0, POLICY_HOLD, POLICY_HOLD, 0, DECIDE_DEPLOY_WARN, 0 },
	{ "no peer answered at all: decide as unprobed (suspected)", 0, 0, 1, 1, 60, 1, U, U, U, U, 0, 0, POLICY_HOLD, POLICY_HOLD, 0, DECIDE_HOLD, 1 },
	{ "no peer answered, clientAuth kept: deploy", 0, 1, 1, 1, 60, 1, U, U, U, U, 0, 0, POLICY_HOLD, POLICY_HOLD, 0, DECIDE_DEPLOY, 0 },
	{ "dialback-only after accepted is a regression", 0, 0, 1, 1, 60, 1, D, A, A, A, 0, 0, POLICY_HOLD, POLICY_HOLD, 0, DECIDE_HOLD, 1 },
	{ "unreachable now, accepted before: regression", 0, 0, 1, 1, 60, 1, U, A, A, A, 0, 0, POLICY_HOLD, POLICY_HOLD, 0, DECIDE_HOLD, 1 },
	{ "non-critical regression only warns", 0, 0, 1, 1, 60, 1, F, A, A, A, 0, 1, POLICY_HOLD, POLICY_HOLD, 0, DECIDE_DEPLOY_WARN, 0 },
	{ "critical regression decides", 0, 0, 1, 1, 60, 1, F, A, A, A, 1, 1, POLICY_HOLD, POLICY_HOLD, 0, DECIDE_HOLD, 1 },
	{ "server-only but nobody regresses", 0, 0, 1, 1, 60, 1, A, A, A, A, 0, 0, POLICY_HOLD, POLICY_HOLD, 0, DECIDE_DEPLOY_WARN, 0 },
	{ "server-only, not probed: suspected, hold", 0, 0, 1, 1, 60, 0, N, N, N, N, 0, 0, POLICY_HOLD, POLICY_HOLD, 0, DECIDE_HOLD, 1 },
	{ "server-only, not probed, was server-only: deploy-warn", 0, 0, 0, 1, 60, 0, N, N, N, N, 0, 0, POLICY_HOLD, POLICY_HOLD, 0, DECIDE_DEPLOY_WARN, 0 },
	{ "clientAuth regained after reissue: deploy", 0, 1, 1, 1, 60, 1, A, A, A, A, 0, 0, POLICY_REISSUE, POLICY_HOLD, 1, DECIDE_DEPLOY, 0 },
	{ "clientAuth chain but a peer regresses anyway: hold", 0, 1, 1, 1, 60, 1, F, A, A, A, 0, 0, POLICY_HOLD, POLICY_HOLD, 0, DECIDE_HOLD, 1 },
};

static void
test_table(void **state)
{
	struct policy_peer peers[2];
	struct policy_input in;
	struct decision d;
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct row *r = &rows[i];

		memset(&in, 0, sizeof(in));
		peers[0] = (struct policy_peer){ "ej.peer.test", r->ej_now, r->ej_base, r->ej_critical,
		    "unsupported certificate purpose", 0 };
		peers[1] = (struct policy_peer){ "pr.peer.test", r->pr_now, r->pr_base, 0, NULL, 0 };
		in.new_invalid = r->invalid;
		in.invalid_reason = "key does not match";
		in.new_client_ok = r->new_client;
		in.prev_client_ok = r->prev_client;
		in.have_deployed = r->have_deployed;
		in.deployed_days_left = r->days_left;
		in.probed = r->probed;
		in.peers = peers;
		in.npeers = 2;
		in.have_critical = r->have_critical;
		in.policy = r->policy;
		in.fallback = r->fallback;
		in.reissue_tried = r->reissue_tried;
		in.hold_min_days = 7;
		policy_decide(&in, &d);
		if (d.action != r->want || d.regressions != r->want_regressions)
			fail_msg("row %zu \"%s\": got %s/%d, want %s/%d", i, r->what,
			    policy_action_name(d.action), d.regressions,
			    policy_action_name(r->want), r->want_regressions);
		if (d.action != DECIDE_DEPLOY && d.nreasons == 0)
			fail_msg("row %zu \"%s\": no reason given", i, r->what);
	}
}

static void
test_reason_names_peer(void **state)
{
	struct policy_peer p = { "ej.peer.test", F, A, 0, "unsupported certificate purpose", 0 };
	struct policy_input in = { 0 };
	struct decision d;
	size_t i;
	int found = 0;

	in.have_deployed = 1;
	in.deployed_days_left = 40;
	in.prev_client_ok = 1;
	in.probed = 1;
	in.peers = &p;
	in.npeers = 1;
	in.policy = POLICY_HOLD;
	in.hold_min_days = 7;
	policy_decide(&in, &d);
	assert_int_equal(d.action, DECIDE_HOLD);
	for (i = 0; i < d.nreasons; i++)
		if (strstr(d.reasons[i], "ej.peer.test") && strstr(d.reasons[i], "unsupported certificate purpose"))
			found = 1;
	assert_true(found);
}

static void
test_json(void **state)
{
	struct policy_input in = { 0 };
	struct decision d;
	json_t *j;

	in.new_invalid = 1;
	in.policy = POLICY_WARN;
	policy_decide(&in, &d);
	j = policy_decision_to_json(&d, &in);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "action")), "refuse");
	assert_int_equal(json_array_size(json_object_get(j, "reasons")), 1);
	json_decref(j);
}

static void
test_many_reasons_bounded(void **state)
{
	struct policy_peer peers[20];
	struct policy_input in = { 0 };
	struct decision d;
	size_t i;

	for (i = 0; i < 20; i++)
		peers[i] = (struct policy_peer){ "p.test", F, A, 0, NULL, 0 };
	in.have_deployed = 1;
	in.deployed_days_left = 30;
	in.probed = 1;
	in.peers = peers;
	in.npeers = 20;
	in.policy = POLICY_HOLD;
	in.hold_min_days = 7;
	policy_decide(&in, &d);
	assert_int_equal(d.regressions, 20);
	assert_int_equal(d.nreasons, POLICY_MAX_REASONS);
}

/*
 * A hold ends only when the peer that refused the held certificate
 * accepts it: down (unreachable, timeout, pending: U) or failing TLS (F)
 * with either certificate changes nothing, whatever another peer says;
 * hold_min_days still ends the hold.
 */
static void
test_held_peer_stays_regressed(void **state)
{
	static const struct {
		enum peer_state	 now, base;
		long		 days_left;
		enum decision_action want;
	} cases[] = {
		{ U, U, 60, DECIDE_HOLD },
		{ F, F, 60, DECIDE_HOLD },
		{ F, U, 60, DECIDE_HOLD },
		{ D, U, 60, DECIDE_HOLD },
		{ A, U, 60, DECIDE_DEPLOY_WARN },	/* accepts now: the hold ends */
		{ A, A, 60, DECIDE_DEPLOY_WARN },
		{ U, U, 7, DECIDE_DEPLOY_WARN },	/* the hold limit still ends it */
	};
	struct policy_peer peers[2];
	struct policy_input in;
	struct decision d;
	size_t i, j, onlyone;

	for (onlyone = 0; onlyone < 2; onlyone++)
		for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
			peers[0] = (struct policy_peer){ "ej.peer.test", cases[i].now, cases[i].base, 0,
			    NULL, 1 };
			peers[1] = (struct policy_peer){ "pr.peer.test", A, A, 0, NULL, 0 };
			memset(&in, 0, sizeof(in));
			in.have_deployed = 1;
			in.prev_client_ok = 1;
			in.deployed_days_left = cases[i].days_left;
			in.probed = 1;
			in.peers = peers;
			in.npeers = onlyone ? 1 : 2;
			in.policy = POLICY_HOLD;
			in.hold_min_days = 7;
			policy_decide(&in, &d);
			if (d.action != cases[i].want)
				fail_msg("case %zu (%zu peer(s)): got %s, want %s", i, in.npeers,
				    policy_action_name(d.action), policy_action_name(cases[i].want));
			if (cases[i].now == A)
				continue;
			for (j = 0; j < d.nreasons; j++)
				if (strstr(d.reasons[j], "ej.peer.test refused the held certificate") != NULL ||
				    strstr(d.reasons[j], "ej.peer.test accepted the deployed") != NULL)
					break;
			if (j == d.nreasons)
				fail_msg("case %zu: no reason names ej.peer.test", i);
		}
	/* the same states without the earlier refusal: not this renewal's fault */
	peers[0] = (struct policy_peer){ "ej.peer.test", U, U, 0, NULL, 0 };
	in.deployed_days_left = 60;
	in.npeers = 2;
	policy_decide(&in, &d);
	assert_int_equal(d.action, DECIDE_DEPLOY_WARN);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_reason_names_peer),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_many_reasons_bounded),
		cmocka_unit_test(test_held_peer_stays_regressed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
