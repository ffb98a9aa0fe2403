/*
 * probe: option parsing, JSON round trip (the hook stores and re-reads
 * results), counts and regressions, input errors, and the verdict for a
 * peer nobody listens for (loopback only).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "probe.h"

static void
test_override_parse(void **state)
{
	char a[] = "ej.peer.test=127.0.0.1:5269", b[] = "x.test=[::1]:5270/tls";
	char c[] = "x.test=host.example:99999", d[] = "x.test=h:1/udp", e[] = "=h:1";
	char f[] = "x.test=h";
	struct probe_override o;
	struct s2s_err err;

	assert_int_equal(probe_override_parse(a, &o, &err), 0);
	assert_string_equal(o.domain, "ej.peer.test");
	assert_string_equal(o.host, "127.0.0.1");
	assert_int_equal(o.port, 5269);
	assert_false(o.direct_tls);
	assert_int_equal(probe_override_parse(b, &o, &err), 0);
	assert_string_equal(o.host, "::1");
	assert_int_equal(o.port, 5270);
	assert_true(o.direct_tls);
	assert_int_equal(probe_override_parse(c, &o, &err), S2S_EINVAL);
	assert_int_equal(probe_override_parse(d, &o, &err), S2S_EINVAL);
	assert_int_equal(probe_override_parse(e, &o, &err), S2S_EINVAL);
	assert_int_equal(probe_override_parse(f, &o, &err), S2S_EINVAL);
}

static void
test_verdict_names(void **state)
{
	for (int v = 0; v < PROBE_VERDICT_COUNT; v++)
		assert_int_equal(probe_verdict_from_name(probe_verdict_name(v)), v);
	assert_string_equal(probe_verdict_name(PROBE_DIALBACK_ONLY), "dialback-only");
	assert_string_equal(probe_verdict_name(PROBE_DIALBACK_REFUSED), "dialback-refused");
	assert_string_equal(probe_verdict_name(PROBE_DIALBACK_UNVERIFIED), "dialback-unverified");
	assert_int_equal(probe_verdict_from_name("bogus"), -1);
}

static struct probe_results *
sample(void)
{
	struct probe_results *r = calloc(1, sizeof(*r));

	r->n = 2;
	r->v = calloc(2, sizeof(*r->v));
	snprintf(r->v[0].peer, sizeof(r->v[0].peer), "ej.peer.test");
	r->v[0].probe.verdict = PROBE_DIALBACK_REFUSED;
	snprintf(r->v[0].probe.reason, sizeof(r->v[0].probe.reason),
	    "not-authorized: unsupported certificate purpose (SASL EXTERNAL failed); "
	    "dialback refused: forbidden: Access denied by service policy");
	snprintf(r->v[0].probe.db_result, sizeof(r->v[0].probe.db_result), "error");
	snprintf(r->v[0].probe.db_condition, sizeof(r->v[0].probe.db_condition), "forbidden");
	snprintf(r->v[0].probe.db_text, sizeof(r->v[0].probe.db_text),
	    "Access denied by service policy");
	snprintf(r->v[0].probe.condition, sizeof(r->v[0].probe.condition), "not-authorized");
	snprintf(r->v[0].probe.address, sizeof(r->v[0].probe.address), "::1");
	r->v[0].probe.port = 5269;
	r->v[0].probe.peer_cert = PROBE_PEER_CERT_NAME_MISMATCH;
	r->v[0].probe.features = PROBE_FEAT_EXTERNAL | PROBE_FEAT_CERT_REQUESTED;
	r->v[0].probe.timing = (struct probe_timing){ 1, 2, 3, 4, 5, 6, 21 };
	r->v[0].has_baseline = 1;
	r->v[0].baseline.verdict = PROBE_ACCEPTED;
	r->v[0].baseline.timing = (struct probe_timing){ -1, 2, 3, 4, 5, -1, 14 };
	r->v[0].regression = 1;
	snprintf(r->v[1].peer, sizeof(r->v[1].peer), "pr.peer.test");
	r->v[1].probe.verdict = PROBE_ACCEPTED;
	r->v[1].probe.direct_tls = 1;
	return r;
}

static void
test_json_round_trip(void **state)
{
	struct probe_results *r = sample(), *back = NULL;
	struct s2s_err err;
	json_t *j = probe_results_to_json(r), *s = probe_summary_to_json(r);

	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(json_array_get(j, 0), "transport")),
	    "starttls");
	assert_string_equal(json_string_value(json_object_get(json_array_get(j, 1), "transport")),
	    "direct-tls");
	assert_true(json_is_null(json_object_get(json_object_get(json_object_get(
	    json_array_get(j, 0), "baseline"), "timing_ms"), "resolve")));
	assert_int_equal(json_integer_value(json_object_get(s, "regressions")), 1);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(s, "verdicts"),
	    "dialback-refused")), 1);
	assert_string_equal(json_string_value(json_object_get(json_object_get(
	    json_array_get(j, 0), "dialback"), "condition")), "forbidden");
	assert_int_equal(json_integer_value(json_object_get(json_object_get(
	    json_array_get(j, 0), "timing_ms"), "dialback")), 6);
	/* no dialback request sent: null, not an empty object */
	assert_true(json_is_null(json_object_get(json_array_get(j, 1), "dialback")));
	assert_int_equal(probe_results_from_json(j, &back, &err), 0);
	assert_int_equal(back->n, 2);
	assert_memory_equal(&back->v[0], &r->v[0], sizeof(r->v[0]));
	assert_memory_equal(&back->v[1], &r->v[1], sizeof(r->v[1]));
	assert_int_equal(probe_results_regressions(back), 1);
	assert_int_equal(probe_results_count(back, PROBE_ACCEPTED), 1);
	json_decref(j);
	json_decref(s);
	probe_results_free(back);
	free(r->v);
	free(r);
}

static void
test_from_json_refuses_garbage(void **state)
{
	struct probe_results *back = NULL;
	struct s2s_err err;
	json_t *j = json_loads("[{\"peer\":\"x\",\"verdict\":\"great\"}]", 0, NULL);

	assert_int_equal(probe_results_from_json(j, &back, &err), S2S_EPARSE);
	assert_null(back);
	json_decref(j);
	j = json_object();
	assert_int_equal(probe_results_from_json(j, &back, &err), S2S_EPARSE);
	json_decref(j);
}

/* A throw-away self-signed P-256 pair in dir (cert.pem, key.pem). */
static void
make_pair(const char *dir)
{
	char path[512];
	EVP_PKEY *k = EVP_EC_gen("P-256");
	X509 *x = X509_new();
	FILE *f;

	assert_non_null(k);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_gmtime_adj(X509_getm_notBefore(x), 0);
	X509_gmtime_adj(X509_getm_notAfter(x), 3600);
	X509_set_pubkey(x, k);
	X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
	    (const unsigned char *)"unit.example", -1, -1, 0);
	X509_set_issuer_name(x, X509_get_subject_name(x));
	assert_true(X509_sign(x, k, EVP_sha256()) > 0);
	snprintf(path, sizeof(path), "%s/cert.pem", dir);
	assert_non_null(f = fopen(path, "w"));
	PEM_write_X509(f, x);
	fclose(f);
	snprintf(path, sizeof(path), "%s/key.pem", dir);
	assert_non_null(f = fopen(path, "w"));
	PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL);
	fclose(f);
	X509_free(x);
	EVP_PKEY_free(k);
}

static void
test_inputs_and_unreachable(void **state)
{
	char dir[] = "/tmp/s2s-unit-probe.XXXXXX", cert[600], key[600];
	const char *peers[] = { "closed.example.test" };
	struct probe_override ov = { "closed.example.test", "127.0.0.1", 1, 0 };
	struct probe_opts o = { 0 };
	struct probe_results *res = NULL;
	struct s2s_err err;

	assert_non_null(mkdtemp(dir));
	make_pair(dir);
	snprintf(cert, sizeof(cert), "%s/cert.pem", dir);
	snprintf(key, sizeof(key), "%s/key.pem", dir);
	o.from = "xmpp.example.test";
	o.cert_path = "/nonexistent/cert.pem";
	o.key_path = key;
	o.peers = peers;
	o.npeers = 1;
	o.overrides = &ov;
	o.noverrides = 1;
	o.timeout_ms = 2000;
	o.resolver = "127.0.0.1@1";	/* never asked: the peer has an override */
	assert_int_equal(probe_run(&o, &res, &err), S2S_ENOTFOUND);
	assert_non_null(strstr(err.msg, "/nonexistent/cert.pem"));
	o.cert_path = cert;
	o.from = "bad domain";
	assert_int_equal(probe_run(&o, &res, &err), S2S_EINVAL);
	o.from = "xmpp.example.test";
	assert_int_equal(probe_run(&o, &res, &err), 0);
	assert_int_equal(res->n, 1);
	assert_int_equal(res->v[0].probe.verdict, PROBE_UNREACHABLE);
	assert_non_null(strstr(res->v[0].probe.reason, "127.0.0.1 port 1: Connection refused"));
	assert_int_equal(res->v[0].probe.timing.tls_ms, -1);
	probe_results_free(res);
	unlink(cert);
	unlink(key);
	rmdir(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_override_parse),
		cmocka_unit_test(test_verdict_names),
		cmocka_unit_test(test_json_round_trip),
		cmocka_unit_test(test_from_json_refuses_garbage),
		cmocka_unit_test(test_inputs_and_unreachable),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
