/*
 * Debian version comparison: each pair below was checked with
 * `dpkg --compare-versions A lt B` on Debian 12 (dpkg 1.21).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "debver.h"

/* a < b in each row */
static const char *const older[][2] = {
	{ "23.01-1", "24.12-3+deb13u2" },
	{ "24.12-3", "24.12-3+deb13u2" },
	{ "24.12-3+deb13u1", "24.12-3+deb13u2" },
	{ "24.12-3~bpo12+1", "24.12-3" },
	{ "24.12-3~bpo12+1", "24.12-3+deb13u2" },
	{ "24.12-3+deb13u2", "25.07" },
	{ "25.07", "25.08-1" },
	{ "24.12-3+deb13u9", "25.07-1" },
	{ "1.1.16-2", "1.1.22-1+deb13u1" },
	{ "1.1.22-1", "1.1.22-1+deb13u1" },
	{ "1.1.22-1+deb13u1", "1.1.24" },
	{ "1.1.23", "1.1.24" },
	{ "1.1.9", "1.1.10" },
	{ "4.0.5", "4.0.6" },
	{ "4.0.5", "4.0.10" },
	{ "4.0.5~rc1", "4.0.5" },
	{ "1.0", "1.0a" },
	{ "1.0a", "1.0+" },
	{ "1.0", "1.0.1" },
	{ "1.0-1", "1.0-1.1" },
	{ "1.0~~", "1.0~" },
	{ "1.0~", "1.0" },
	{ "9.9", "1:0.1" },
	{ "1:2.0", "2:1.0" },
	{ "0.12.3-1+deb12u1", "13.0.1-1" },
	{ "1.0-1", "1.0-2" },
	{ "2.1.0-4", "2.1.0-4+b1" },
	{ "1.001", "1.2" },
};

/* a == b */
static const char *const equal[][2] = {
	{ "1.0", "1.0" },
	{ "0:1.0", "1.0" },
	{ "1.01", "1.1" },
	{ "1.0-1", "1.0-01" },
	{ "1.0-0", "1.0" },
};

static void
test_older(void **state)
{
	struct s2s_err err;
	size_t i;
	int c;

	for (i = 0; i < sizeof(older) / sizeof(older[0]); i++) {
		c = 0;
		assert_int_equal(debver_cmp(older[i][0], older[i][1], &c, &err), 0);
		if (c >= 0)
			fail_msg("%s should be older than %s", older[i][0], older[i][1]);
		assert_int_equal(debver_cmp(older[i][1], older[i][0], &c, &err), 0);
		if (c <= 0)
			fail_msg("%s should be newer than %s", older[i][1], older[i][0]);
	}
}

static void
test_equal(void **state)
{
	struct s2s_err err;
	size_t i;
	int c;

	for (i = 0; i < sizeof(equal) / sizeof(equal[0]); i++) {
		c = 7;
		assert_int_equal(debver_cmp(equal[i][0], equal[i][1], &c, &err), 0);
		if (c != 0)
			fail_msg("%s should equal %s", equal[i][0], equal[i][1]);
	}
}

static void
test_bad_versions(void **state)
{
	static const char *const bad[] = { "", "a1.0", ":1.0", "x:1.0", "1.0-", "1.0 1",
	    "1.0-1_2", "1:", "-1" };
	struct s2s_err err;
	size_t i;
	int c = 5;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(debver_valid(bad[i]), 0);
		assert_int_equal(debver_cmp(bad[i], "1.0", &c, &err), S2S_EPARSE);
		assert_non_null(strstr(err.msg, "not a Debian version"));
		assert_int_equal(c, 5);
	}
	assert_int_equal(debver_cmp(NULL, "1.0", &c, &err), S2S_EPARSE);
	assert_int_equal(debver_valid("1:2.3-4+deb13u1"), 1);
	assert_int_equal(debver_valid("2.0-1-2"), 1);	/* revision is after the last '-' */
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_older),
		cmocka_unit_test(test_equal),
		cmocka_unit_test(test_bad_versions),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
