/* Templates are filled from the report; the decision to notify follows `when`. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "mem.h"
#include "notify.h"

static json_t *
sample(const char *action, int exit_status)
{
	return json_pack("{s:s, s:s, s:{s:s, s:s, s:[s, s]}, s:[{s:s, s:s, s:s, s:b}, {s:s, s:s, s:s, s:b}],"
	    " s:[{s:s, s:b, s:s}], s:i}",
	    "domain", "xmpp.example.test", "tool", "s2sguard-hook",
	    "decision", "action", action, "policy", "hold", "reasons",
	    "ej.peer.test accepted the deployed certificate but not the new one", "holding",
	    "probes", "peer", "ej.peer.test", "verdict", "rejected", "reason", "unsupported certificate purpose",
	    "regression", 1, "peer", "pr.peer.test", "verdict", "accepted", "reason", "", "regression", 0,
	    "actions", "action", "hold", "ok", 1, "detail", "kept",
	    "exit", exit_status);
}

static void
test_render(void **state)
{
	struct s2s_err err = { 0 };
	json_t *r = sample("hold", 2);
	char *out;

	assert_int_equal(notify_render("{{domain}}: {{decision.action}} exit {{exit}} {{nope.x}}|\n"
	    "{{#reasons}}\n{{#peers}}\n{{#actions}}\nend", r, &out, &err), 0);
	assert_non_null(strstr(out, "xmpp.example.test: hold exit 2 |\n"));
	assert_non_null(strstr(out, "  - ej.peer.test accepted the deployed certificate but not the new one\n  - holding\n"));
	assert_non_null(strstr(out, "  ej.peer.test: rejected (unsupported certificate purpose) REGRESSION\n"));
	assert_non_null(strstr(out, "  pr.peer.test: accepted\n"));
	assert_non_null(strstr(out, "  ok   hold: kept\nend"));
	mem_free(out);
	/* an unterminated placeholder is left as text */
	assert_int_equal(notify_render("a {{domain", r, &out, &err), 0);
	assert_string_equal(out, "a {{domain");
	mem_free(out);
	json_decref(r);
}

static void
test_when(void **state)
{
	json_t *hold = sample("hold", 2), *deploy = sample("deploy", 0), *warn = sample("deploy-warn", 1);

	assert_true(notify_wanted(hold, NOTIFY_PROBLEMS));
	assert_true(notify_wanted(warn, NOTIFY_PROBLEMS));
	/* a clean deploy only with when = always; a failed action always counts */
	json_object_set_new(deploy, "actions", json_pack("[{s:s, s:b, s:s}]", "action", "deploy", "ok", 1, "detail", ""));
	assert_false(notify_wanted(deploy, NOTIFY_PROBLEMS));
	assert_true(notify_wanted(deploy, NOTIFY_ALWAYS));
	json_object_set_new(deploy, "actions", json_pack("[{s:s, s:b, s:s}]", "action", "reload", "ok", 0, "detail", ""));
	assert_true(notify_wanted(deploy, NOTIFY_PROBLEMS));
	json_decref(hold);
	json_decref(deploy);
	json_decref(warn);
}

static void
test_summary(void **state)
{
	json_t *r = sample("hold", 2);
	char buf[200];

	notify_summary(r, buf, sizeof(buf));
	assert_string_equal(buf, "xmpp.example.test: hold, 0 peer regression(s), exit 2");
	json_decref(r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_render),
		cmocka_unit_test(test_when),
		cmocka_unit_test(test_summary),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
