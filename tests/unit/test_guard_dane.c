/*
 * The DANE part of the guard: how a DANE decision combines with the
 * policy's (hooks/guard_dane.h), the rollover wait kept in the state, and
 * the dane* configuration keys (lib/config_dane.h).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "config.h"
#include "config_dane.h"
#include "guard_dane.h"
#include "mem.h"

struct row {
	const char		*what;
	enum dane_action	 dane;
	enum decision_action	 policy;
	int			 have_deployed;
	long			 days_left;
	enum decision_action	 want;
	int			 want_hold_refused;
};

static const struct row rows[] = {
	{ "DANE deploy leaves deploy", DANE_ACT_DEPLOY, DECIDE_DEPLOY, 1, 60, DECIDE_DEPLOY, 0 },
	{ "DANE deploy leaves a peer hold", DANE_ACT_DEPLOY, DECIDE_HOLD, 1, 60, DECIDE_HOLD, 0 },
	{ "DANE warn turns deploy into deploy-warn", DANE_ACT_DEPLOY_WARN, DECIDE_DEPLOY, 1, 60, DECIDE_DEPLOY_WARN, 0 },
	{ "DANE warn keeps a peer hold", DANE_ACT_DEPLOY_WARN, DECIDE_HOLD, 1, 60, DECIDE_HOLD, 0 },
	{ "DANE hold holds", DANE_ACT_HOLD, DECIDE_DEPLOY, 1, 60, DECIDE_HOLD, 0 },
	{ "DANE hold over deploy-warn", DANE_ACT_HOLD, DECIDE_DEPLOY_WARN, 1, 60, DECIDE_HOLD, 0 },
	{ "DANE hold, 8 days left, hold_min_days 7", DANE_ACT_HOLD, DECIDE_DEPLOY, 1, 8, DECIDE_HOLD, 0 },
	{ "DANE hold, 7 days left: deploy so it never expires", DANE_ACT_HOLD, DECIDE_DEPLOY, 1, 7, DECIDE_DEPLOY_WARN, 1 },
	{ "DANE hold, nothing deployed", DANE_ACT_HOLD, DECIDE_DEPLOY, 0, 0, DECIDE_DEPLOY_WARN, 0 },
	{ "DANE hold never un-refuses", DANE_ACT_HOLD, DECIDE_REFUSE, 1, 60, DECIDE_REFUSE, 0 },
	{ "DANE hold lets a re-issue run first", DANE_ACT_HOLD, DECIDE_REISSUE, 1, 60, DECIDE_REISSUE, 0 },
};

static void
test_combine(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct row *r = &rows[i];
		struct dane_decision dd;
		struct policy_input in;
		struct decision dec;

		memset(&dd, 0, sizeof(dd));
		memset(&in, 0, sizeof(in));
		memset(&dec, 0, sizeof(dec));
		dd.action = r->dane;
		snprintf(dd.reason, sizeof(dd.reason), "DANE: because");
		in.have_deployed = r->have_deployed;
		in.deployed_days_left = r->days_left;
		in.hold_min_days = 7;
		dec.action = r->policy;
		guard_dane_combine(&dd, &in, &dec);
		if (dec.action != r->want || dec.hold_refused != r->want_hold_refused)
			fail_msg("%s: got %s (hold_refused %d)", r->what,
			    policy_action_name(dec.action), dec.hold_refused);
		/* every DANE objection is explained in the decision */
		if (r->dane != DANE_ACT_DEPLOY)
			assert_string_equal(dec.reasons[0], "DANE: because");
		else
			assert_int_equal(dec.nreasons, 0);
	}
}

static void
test_combine_reasons_bounded(void **state)
{
	struct dane_decision dd;
	struct policy_input in;
	struct decision dec;

	(void)state;
	memset(&dd, 0, sizeof(dd));
	memset(&in, 0, sizeof(in));
	memset(&dec, 0, sizeof(dec));
	memset(dd.reason, 'x', sizeof(dd.reason) - 1);
	dd.action = DANE_ACT_HOLD;
	in.have_deployed = 1;
	in.deployed_days_left = 2;
	in.hold_min_days = 7;
	dec.nreasons = POLICY_MAX_REASONS;
	guard_dane_combine(&dd, &in, &dec);
	assert_int_equal(dec.nreasons, POLICY_MAX_REASONS);
	assert_int_equal(dec.action, DECIDE_DEPLOY_WARN);
	/* the last word is the DANE one, truncated to the reason's size */
	assert_non_null(strstr(dec.reasons[POLICY_MAX_REASONS - 1], "DANE hold refused"));
}

static void
test_state_roundtrip(void **state)
{
	struct dane_state ds = { 1800000000, 300 }, got;
	json_t *st = json_object();

	(void)state;
	assert_int_equal(guard_dane_state_set(st, "aa11", &ds), 0);
	guard_dane_state_get(st, "aa11", &got);
	assert_int_equal(got.first_seen, 1800000000);
	assert_int_equal(got.ttl, 300);
	assert_string_equal(json_string_value(json_object_get(json_object_get(st, "dane"),
	    "first_seen_time")), "2027-01-15T08:00:00Z");
	/* another pending key starts its own wait */
	guard_dane_state_get(st, "bb22", &got);
	assert_int_equal(got.first_seen, 0);
	assert_int_equal(got.ttl, 0);
	guard_dane_state_get(st, NULL, &got);
	assert_int_equal(got.first_seen, 0);
	/* nothing to wait for: the entry goes */
	memset(&ds, 0, sizeof(ds));
	assert_int_equal(guard_dane_state_set(st, "aa11", &ds), 0);
	assert_null(json_object_get(st, "dane"));
	json_decref(st);
}

static void
test_config_pair(void **state)
{
	char *res = NULL, *anchor = NULL, msg[300];
	int mode = -1;

	(void)state;
	assert_int_equal(config_dane_pair("policy", "hold", &mode, &res, &anchor, msg, sizeof(msg)), 0);
	assert_int_equal(config_dane_pair("dane", "warn", &mode, &res, &anchor, msg, sizeof(msg)), 1);
	assert_int_equal(mode, DANE_MODE_WARN);
	assert_int_equal(config_dane_pair("dane", "on", &mode, &res, &anchor, msg, sizeof(msg)), -1);
	assert_string_equal(msg, "dane 'on': want off, warn or hold");
	assert_int_equal(mode, DANE_MODE_WARN);
	assert_int_equal(config_dane_pair("dane_resolver", "127.0.0.1@5353", &mode, &res, &anchor,
	    msg, sizeof(msg)), 1);
	assert_string_equal(res, "127.0.0.1@5353");
	assert_int_equal(config_dane_pair("dane_resolver", "::1", &mode, &res, &anchor,
	    msg, sizeof(msg)), 1);
	assert_string_equal(res, "::1");
	assert_int_equal(config_dane_pair("dane_resolver", "127.0.0.1@0", &mode, &res, &anchor,
	    msg, sizeof(msg)), -1);
	assert_int_equal(config_dane_pair("dane_resolver", "127.0.0.1@70000", &mode, &res, &anchor,
	    msg, sizeof(msg)), -1);
	assert_int_equal(config_dane_pair("dane_resolver", "dns.example", &mode, &res, &anchor,
	    msg, sizeof(msg)), -1);
	assert_int_equal(config_dane_pair("dane_resolver", "@53", &mode, &res, &anchor,
	    msg, sizeof(msg)), -1);
	assert_string_equal(res, "::1");
	assert_int_equal(config_dane_pair("dane_trust_anchor", "root.key", &mode, &res, &anchor,
	    msg, sizeof(msg)), -1);
	assert_null(anchor);
	assert_int_equal(config_dane_pair("dane_trust_anchor", "/etc/unbound/root.key", &mode, &res,
	    &anchor, msg, sizeof(msg)), 1);
	assert_string_equal(anchor, "/etc/unbound/root.key");
	mem_free(res);
	mem_free(anchor);
}

static void
test_config_inherit(void **state)
{
	struct config *cfg = NULL;
	struct s2s_err err = { 0 };
	struct cfg_dane cd;

	(void)state;
	assert_int_equal(config_parse(
	    "[s2sguard]\nstate_dir = /tmp/x\ndane = warn\ndane_resolver = 127.0.0.1@53\n"
	    "[domain a.example]\n"
	    "[domain b.example]\ndane = off\ndane_trust_anchor = /b.key\n",
	    "t.conf", &cfg, &err), 0);
	config_dane_get(cfg, config_domain_get(cfg, "a.example"), &cd);
	assert_int_equal(cd.mode, DANE_MODE_WARN);
	assert_true(cd.configured);
	assert_string_equal(cd.resolver, "127.0.0.1@53");
	assert_null(cd.trust_anchor);
	config_dane_get(cfg, config_domain_get(cfg, "b.example"), &cd);
	assert_int_equal(cd.mode, DANE_MODE_OFF);
	assert_string_equal(cd.trust_anchor, "/b.key");
	config_free(cfg);

	/* nothing said: hold, but not "configured" */
	assert_int_equal(config_parse("[domain a.example]\n", "t.conf", &cfg, &err), 0);
	config_dane_get(cfg, config_domain_get(cfg, "a.example"), &cd);
	assert_int_equal(cd.mode, DANE_MODE_HOLD);
	assert_false(cd.configured);
	assert_null(cd.resolver);
	config_free(cfg);

	assert_int_not_equal(config_parse("[domain a.example]\ndane = hold\nprobe = never\ndane = warn\n",
	    "t.conf", &cfg, &err), 0);
	assert_string_equal(err.msg, "t.conf:4: 'dane' set twice in [domain a.example]");
	assert_int_not_equal(config_parse("[s2sguard]\n\ndane_resolver = x\n", "t.conf", &cfg,
	    &err), 0);
	assert_non_null(strstr(err.msg, "t.conf:3: dane_resolver 'x': want an IP address"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_combine),
		cmocka_unit_test(test_combine_reasons_bounded),
		cmocka_unit_test(test_state_roundtrip),
		cmocka_unit_test(test_config_pair),
		cmocka_unit_test(test_config_inherit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
