/* The doctor's results: exit status by the worst one, the JSON shape, the table. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "doctor.h"
#include "mem.h"

static void
test_exit_status(void **state)
{
	struct doctor_results r = { 0 };

	assert_int_equal(doctor_exit_status(&r), 0);
	assert_int_equal(doctor_add(&r, "config", NULL, DOCTOR_OK, NULL, "fine"), 0);
	assert_int_equal(doctor_add(&r, "acme-hook", "a.test", DOCTOR_SKIP, "note", "lego"), 0);
	assert_int_equal(doctor_exit_status(&r), 0);
	assert_int_equal(doctor_add(&r, "dialback", "a.test", DOCTOR_WARN, "fix it", "off"), 0);
	assert_int_equal(doctor_exit_status(&r), 1);
	assert_int_equal(doctor_add(&r, "timer", NULL, DOCTOR_FAIL, "enable", "%s %d", "off", 2), 0);
	assert_int_equal(doctor_exit_status(&r), 2);
	assert_string_equal(r.v[3].detail, "off 2");
	doctor_results_clear(&r);
}

static void
test_json_shape(void **state)
{
	struct doctor_results r = { 0 };
	json_t *j, *c;

	assert_int_equal(doctor_add(&r, "expiry", "a.test", DOCTOR_WARN, "renew", "5 days"), 0);
	assert_int_equal(doctor_add(&r, "timer", NULL, DOCTOR_OK, NULL, "enabled"), 0);
	assert_non_null(j = doctor_results_to_json(&r));
	assert_int_equal(json_array_size(json_object_get(j, "checks")), 2);
	c = json_array_get(json_object_get(j, "checks"), 0);
	assert_string_equal(json_string_value(json_object_get(c, "name")), "expiry");
	assert_string_equal(json_string_value(json_object_get(c, "domain")), "a.test");
	assert_string_equal(json_string_value(json_object_get(c, "status")), "warn");
	assert_string_equal(json_string_value(json_object_get(c, "detail")), "5 days");
	assert_string_equal(json_string_value(json_object_get(c, "fix")), "renew");
	c = json_array_get(json_object_get(j, "checks"), 1);
	assert_string_equal(json_string_value(json_object_get(c, "domain")), "");
	assert_string_equal(json_string_value(json_object_get(c, "fix")), "");
	json_decref(j);
	doctor_results_clear(&r);
}

static void
test_text_table(void **state)
{
	struct doctor_results r = { 0 };
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	assert_int_equal(doctor_add(&r, "dialback", "xmpp.example.test", DOCTOR_WARN,
	    "enable it", "off"), 0);
	assert_int_equal(doctor_add(&r, "timer", NULL, DOCTOR_OK, NULL, "enabled"), 0);
	assert_non_null(f = open_memstream(&buf, &len));
	doctor_render_text(f, &r);
	fclose(f);
	assert_non_null(strstr(buf, "CHECK "));
	assert_non_null(strstr(buf, "dialback            xmpp.example.test  warn    off\n"));
	assert_non_null(strstr(buf, "fix: enable it\n"));
	assert_non_null(strstr(buf, "timer               -                  ok      enabled\n"));
	assert_non_null(strstr(buf, "\n1 ok, 1 warning(s), 0 failure(s), 0 skipped\n"));
	free(buf);
	doctor_results_clear(&r);
}

static void
test_out_of_memory(void **state)
{
	struct doctor_results r = { 0 };

	mem_fail_after(0);
	assert_int_equal(doctor_add(&r, "config", NULL, DOCTOR_OK, NULL, "x"), S2S_ENOMEM);
	mem_fail_after(-1);
	assert_int_equal(r.n, 0);
	doctor_results_clear(&r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exit_status),
		cmocka_unit_test(test_json_shape),
		cmocka_unit_test(test_text_table),
		cmocka_unit_test(test_out_of_memory),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
