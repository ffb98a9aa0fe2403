/*
 * s2sguard-check's metrics describe the deployed certificate: peer verdicts
 * only from a probe of it (as the probed certificate or as the baseline of
 * a held one), regressions only while something is held, the served
 * check only when it expected the deployed certificate; and the textfile
 * names them as templates/s2sguard.rules.yml expects.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "check_metrics.h"
#include "config.h"
#include "state.h"
#include "unit.h"

#define DEPLOYED	"aaaa"
#define HELD		"bbbb"

struct fx {
	char		 dir[256];
	struct config	*cfg;
};

static int
setup(void **state)
{
	static struct fx f;
	struct s2s_err err;
	char text[512];

	if (unit_tmpdir_new("metrics", f.dir, sizeof(f.dir)) != 0)
		return -1;
	snprintf(text, sizeof(text), "[s2sguard]\nstate_dir = %s\n[domain x.test]\npeers = p.test\n",
	    f.dir);
	if (config_parse(text, "t", &f.cfg, &err) != 0)
		return -1;
	*state = &f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	config_free(f->cfg);
	return unit_tmpdir_remove(f->dir);
}

/* One peer, p.test: verdict of the probed certificate and of the baseline. */
static void
save_state(struct fx *f, const char *probed, const char *base, const char *now_v,
    const char *base_v, int pending, const char *served_sha, const char *outcome)
{
	struct s2s_err err;
	char text[2048];
	json_error_t je;
	json_t *st;

	snprintf(text, sizeof(text),
	    "{\"last_probe\": {\"time\": \"t\", \"epoch\": 1700000000, \"cert_sha256\": \"%s\","
	    " \"baseline_sha256\": \"%s\", \"probes\": [{\"peer\": \"p.test\", \"verdict\": \"%s\","
	    " \"reason\": \"\", \"address\": \"\", \"port\": 0, \"transport\": \"starttls\","
	    " \"peer_cert\": \"unknown\", \"features\": [], \"timing_ms\": {}%s%s%s}]}"
	    "%s, \"served\": {\"outcome\": \"%s\", \"expected_sha256\": \"%s\"}}",
	    probed, base, now_v,
	    base_v != NULL ? ", \"baseline\": {\"verdict\": \"" : "", base_v != NULL ? base_v : "",
	    base_v != NULL ? "\", \"reason\": \"\", \"address\": \"\", \"port\": 0, "
	    "\"transport\": \"starttls\", \"peer_cert\": \"unknown\", \"features\": [], "
	    "\"timing_ms\": {}}, \"regression\": true" : "",
	    pending ? ", \"pending\": {\"since\": \"t\"}" : "", outcome, served_sha);
	st = json_loads(text, 0, &je);
	if (st == NULL)
		fail_msg("bad fixture: %s", je.text);
	assert_int_equal(state_save(f->dir, "x.test", st, &err), 0);
	json_decref(st);
}

static struct dstat
view(struct fx *f)
{
	struct dstat ds;

	memset(&ds, 0, sizeof(ds));
	ds.name = "x.test";
	ds.have_cert = 1;
	snprintf(ds.cert_sha256, sizeof(ds.cert_sha256), "%s", DEPLOYED);
	check_view_from_state(f->cfg, &ds);
	return ds;
}

static void
test_probe_of_deployed(void **state)
{
	struct dstat ds;

	/* the deployed certificate itself was probed (after a warned deploy) */
	save_state(*state, DEPLOYED, "cccc", "rejected", "accepted", 0, DEPLOYED, "served");
	ds = view(*state);
	assert_true(ds.have_probe);
	assert_int_equal(ds.probe_time, 1700000000);
	assert_int_equal(ds.counts[PROBE_REJECTED], 1);
	assert_int_equal(ds.counts[PROBE_ACCEPTED], 0);
	assert_int_equal(ds.regressed, 0);	/* nothing held: no regression left over */
	assert_int_equal(ds.served, 1);
}

static void
test_held_beside_deployed(void **state)
{
	struct dstat ds;

	/* a held renewal probed with the deployed one as baseline */
	save_state(*state, HELD, DEPLOYED, "rejected", "accepted", 1, DEPLOYED, "not-served");
	ds = view(*state);
	assert_true(ds.pending);
	assert_true(ds.have_probe);
	assert_int_equal(ds.counts[PROBE_ACCEPTED], 1);	/* the deployed one's verdicts */
	assert_int_equal(ds.counts[PROBE_REJECTED], 0);
	assert_int_equal(ds.regressed, 1);
	assert_int_equal(ds.served, 0);
}

static void
test_probe_of_another_certificate(void **state)
{
	struct dstat ds;

	/* replaced since: neither probed nor baseline, the served check was of another */
	save_state(*state, HELD, "cccc", "rejected", "accepted", 0, HELD, "served");
	ds = view(*state);
	assert_false(ds.have_probe);
	assert_int_equal(ds.counts[PROBE_REJECTED], 0);
	assert_int_equal(ds.regressed, 0);
	assert_int_equal(ds.served, -1);
}

static void
test_textfile(void **state)
{
	struct fx *f = *state;
	struct dstat ds[1];
	struct doctor_metric doc[1] = { { "served-certificate", "x.test", "fail" } };
	struct s2s_err err;
	char path[300], *text = NULL;
	size_t len = 0;
	FILE *in;

	save_state(f, DEPLOYED, "", "accepted", NULL, 0, DEPLOYED, "not-served");
	ds[0] = view(f);
	ds[0].days_left = 30;
	ds[0].hold_min_days = 7;
	snprintf(path, sizeof(path), "%s/s2sguard.prom", f->dir);
	assert_int_equal(check_metrics_write(path, ds, 1, doc, 1, 1700000100, &err), 0);
	assert_non_null(in = fopen(path, "r"));
	assert_int_equal(getdelim(&text, &len, '\0', in) > 0, 1);
	fclose(in);
	assert_non_null(strstr(text, "\ns2sguard_peers{domain=\"x.test\",verdict=\"accepted\"} 1\n"));
	assert_non_null(strstr(text, "\ns2sguard_probe_timestamp_seconds{domain=\"x.test\"} 1700000000\n"));
	assert_non_null(strstr(text, "\ns2sguard_served_matches_deployed{domain=\"x.test\"} 0\n"));
	assert_non_null(strstr(text, "\ns2sguard_hold_min_days{domain=\"x.test\"} 7\n"));
	assert_non_null(strstr(text, "\ns2sguard_peers_regressed{domain=\"x.test\"} 0\n"));
	assert_non_null(strstr(text,
	    "\ns2sguard_doctor_check{name=\"served-certificate\",domain=\"x.test\",status=\"fail\"} 1\n"));
	assert_non_null(strstr(text,
	    "\ns2sguard_doctor_check{name=\"served-certificate\",domain=\"x.test\",status=\"ok\"} 0\n"));
	assert_non_null(strstr(text, "\ns2sguard_check_timestamp_seconds 1700000100\n"));
	free(text);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_probe_of_deployed),
		cmocka_unit_test(test_held_beside_deployed),
		cmocka_unit_test(test_probe_of_another_certificate),
		cmocka_unit_test(test_textfile),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
