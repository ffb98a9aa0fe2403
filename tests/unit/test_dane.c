/*
 * test_dane.c: the pure half of lib/dane.c: verdicts from TLSA answers
 * (built from certificates of the test PKI), the domain summary, the
 * rollover rule and the "dane" report object. The lookups themselves run
 * against real signed zones in tests/integration/9*-dane-*.sh.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <openssl/pem.h>

#include "dane.h"
#include "mem.h"
#include "unit.h"

/* deployed: leaf-both (under inter-both); new: leaf-server (new key, under inter-server) */
struct fixture {
	struct cert_chain	*deployed, *renewed;
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct s2s_err err;

	if (f == NULL || getenv("S2S_PKI") == NULL)
		return -1;
	if (cert_chain_load(unit_pki("leaf-both.fullchain.pem"), &f->deployed, &err) != 0 ||
	    cert_chain_load(unit_pki("leaf-server.fullchain.pem"), &f->renewed, &err) != 0)
		return -1;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	cert_chain_free(f->deployed);
	cert_chain_free(f->renewed);
	free(f);
	return 0;
}

/* An answer holding the given records, each "U S M" of a certificate. */
struct spec {
	const char	*cert;	/* "new-leaf" "new-ca" "old-leaf" "old-ca" "other" */
	unsigned	 u, s, m;
};

static X509 *
cert_of(struct fixture *f, const char *which, X509 **other)
{
	if (strcmp(which, "new-leaf") == 0)
		return cert_chain_get(f->renewed, 0);
	if (strcmp(which, "new-ca") == 0)
		return cert_chain_get(f->renewed, 1);
	if (strcmp(which, "old-leaf") == 0)
		return cert_chain_get(f->deployed, 0);
	if (strcmp(which, "old-ca") == 0)
		return cert_chain_get(f->deployed, 1);
	return *other;
}

static struct resolver_answer *
answer(struct fixture *f, enum resolver_security sec, uint32_t ttl, const struct spec *sp,
    size_t n)
{
	struct resolver_answer *a = mem_calloc(1, sizeof(*a));
	struct tlsa_record rec;
	struct s2s_err err;
	X509 *other = NULL;
	FILE *fp;
	size_t i;

	assert_non_null(a);
	assert_non_null(fp = fopen(unit_pki("leaf-client.pem"), "r"));
	assert_non_null(other = PEM_read_X509(fp, NULL, NULL, NULL));
	fclose(fp);
	a->security = sec;
	a->ttl = ttl;
	a->n = n;
	a->rr = mem_calloc(n ? n : 1, sizeof(*a->rr));
	for (i = 0; i < n; i++) {
		assert_int_equal(tlsa_record_make(cert_of(f, sp[i].cert, &other), sp[i].u % 4,
		    sp[i].s % 2, sp[i].m % 3, &rec, &err), 0);
		a->rr[i].len = 3 + rec.len;
		a->rr[i].data = mem_alloc(a->rr[i].len);
		a->rr[i].data[0] = (unsigned char)sp[i].u;	/* 4..: unusable usage */
		a->rr[i].data[1] = (unsigned char)sp[i].s;
		a->rr[i].data[2] = (unsigned char)sp[i].m;
		memcpy(a->rr[i].data + 3, rec.data, rec.len);
		tlsa_record_clear(&rec);
	}
	X509_free(other);
	return a;
}

static enum dane_verdict
judge(struct fixture *f, struct dane_name *n, const struct resolver_answer *a, int with_deployed)
{
	struct s2s_err err;

	memset(n, 0, sizeof(*n));
	snprintf(n->name, sizeof(n->name), "_5269._tcp.xmpp.example.test");
	assert_int_equal(dane_judge_answer(n, a, "timed out",
	    cert_chain_get(f->renewed, 0), cert_chain_extra_get(f->renewed),
	    with_deployed ? cert_chain_get(f->deployed, 0) : NULL,
	    with_deployed ? cert_chain_extra_get(f->deployed) : NULL, &err), 0);
	return n->verdict;
}

static void
name_clear(struct dane_name *n)
{
	size_t i;

	for (i = 0; i < n->nrecords; i++)
		tlsa_record_clear(&n->records[i].rec);
	mem_free(n->records);
	n->records = NULL;
	n->nrecords = 0;
}

#define CASE(sec, specs, with, want) do {					\
	struct resolver_answer *a_ = answer(f, sec, 300, specs,		\
	    sizeof(specs) / sizeof(specs[0]));					\
	struct dane_name n_;							\
	enum dane_verdict v_ = judge(f, &n_, a_, with);			\
	if (v_ != (want))							\
		fail_msg("line %d: %s, want %s", __LINE__,			\
		    dane_verdict_name(v_), dane_verdict_name(want));		\
	name_clear(&n_);							\
	resolver_answer_free(a_);						\
} while (0)

static void
test_verdicts(void **state)
{
	struct fixture *f = *state;
	static const struct spec new_ee[] = { { "new-leaf", 3, 1, 1 } };
	static const struct spec old_ee[] = { { "old-leaf", 3, 1, 1 } };
	static const struct spec old_ta[] = { { "old-ca", 2, 1, 1 } };
	static const struct spec new_ta[] = { { "new-ca", 2, 1, 1 } };
	static const struct spec other[] = { { "other", 3, 1, 1 } };
	static const struct spec one_of_many[] = {
		{ "other", 3, 1, 1 }, { "old-leaf", 3, 1, 1 }, { "new-leaf", 3, 0, 2 },
		{ "old-ca", 2, 1, 1 },
	};
	static const struct spec both[] = { { "old-leaf", 3, 1, 1 }, { "new-leaf", 3, 1, 1 } };
	static const struct spec unusable[] = { { "new-leaf", 4, 1, 1 }, { "new-leaf", 3, 2, 1 } };
	static const struct spec pkix_ee[] = { { "old-leaf", 1, 1, 1 } };

	CASE(RESOLVER_SECURE, new_ee, 1, DANE_MATCHES_NEW);
	CASE(RESOLVER_SECURE, old_ee, 1, DANE_MATCHES_DEPLOYED_ONLY);
	CASE(RESOLVER_SECURE, old_ta, 1, DANE_MATCHES_DEPLOYED_ONLY);	/* CA change */
	CASE(RESOLVER_SECURE, new_ta, 1, DANE_MATCHES_NEW);
	CASE(RESOLVER_SECURE, other, 1, DANE_MATCHES_NEITHER);
	CASE(RESOLVER_SECURE, one_of_many, 1, DANE_MATCHES_NEW);
	CASE(RESOLVER_SECURE, both, 1, DANE_MATCHES_NEW);
	CASE(RESOLVER_SECURE, unusable, 1, DANE_NO_TLSA);
	CASE(RESOLVER_SECURE, pkix_ee, 1, DANE_MATCHES_DEPLOYED_ONLY);
	/* without a deployed chain nothing is blamed on the renewal */
	CASE(RESOLVER_SECURE, old_ee, 0, DANE_MATCHES_NEITHER);
	/* unsigned: DANE not in force, whatever the records say */
	CASE(RESOLVER_INSECURE, old_ee, 1, DANE_INSECURE);
	CASE(RESOLVER_BOGUS, new_ee, 1, DANE_BOGUS);
}

static void
test_failures_and_empty(void **state)
{
	struct fixture *f = *state;
	struct resolver_answer *a;
	struct dane_name n;

	assert_int_equal(judge(f, &n, NULL, 1), DANE_BOGUS);
	assert_non_null(strstr(n.why, "timed out"));
	a = answer(f, RESOLVER_INSECURE, 0, NULL, 0);
	a->rcode = 2;
	assert_int_equal(judge(f, &n, a, 1), DANE_BOGUS);
	assert_non_null(strstr(n.why, "SERVFAIL"));
	a->rcode = 3;	/* NXDOMAIN, secure: no TLSA, DANE not in force */
	a->security = RESOLVER_SECURE;
	assert_int_equal(judge(f, &n, a, 1), DANE_NO_TLSA);
	assert_string_equal(n.why, "");
	a->security = RESOLVER_BOGUS;
	assert_int_equal(judge(f, &n, a, 1), DANE_BOGUS);
	assert_string_equal(n.why, "DNSSEC validation failed");
	resolver_answer_free(a);
}

/* A malformed rdata is skipped; the others still count. */
static void
test_malformed_rdata(void **state)
{
	static const struct spec specs[] = { { "new-leaf", 3, 1, 1 }, { "new-leaf", 3, 1, 1 } };
	struct fixture *f = *state;
	struct resolver_answer *a = answer(f, RESOLVER_SECURE, 60, specs, 2);
	struct dane_name n;

	a->rr[0].len = 2;
	assert_int_equal(judge(f, &n, a, 1), DANE_MATCHES_NEW);
	assert_int_equal(n.nrecords, 1);
	name_clear(&n);
	a->rr[1].len = 3;
	assert_int_equal(judge(f, &n, a, 1), DANE_NO_TLSA);
	name_clear(&n);
	resolver_answer_free(a);
}

static void
add_name(struct fixture *f, struct dane_result *res, enum resolver_security sec, uint32_t ttl,
    const struct spec *sp, size_t n)
{
	struct resolver_answer *a = answer(f, sec, ttl, sp, n);

	judge(f, &res->names[res->nnames++], a, 1);
	resolver_answer_free(a);
}

static void
result_clear(struct dane_result *res)
{
	size_t i;

	for (i = 0; i < res->nnames; i++)
		name_clear(&res->names[i]);
	memset(res, 0, sizeof(*res));
}

static void
test_summary(void **state)
{
	static const struct spec new_ee[] = { { "new-leaf", 3, 1, 1 } };
	static const struct spec old_ee[] = { { "old-leaf", 3, 1, 1 } };
	struct fixture *f = *state;
	struct dane_result *res = mem_calloc(1, sizeof(*res));

	dane_summarize(res);
	assert_int_equal(res->verdict, DANE_NO_TLSA);
	assert_false(res->new_visible);

	add_name(f, res, RESOLVER_SECURE, 300, new_ee, 1);
	add_name(f, res, RESOLVER_INSECURE, 9000, old_ee, 1);
	dane_summarize(res);
	assert_int_equal(res->verdict, DANE_MATCHES_NEW);
	assert_true(res->new_visible);
	assert_int_equal(res->ttl, 300);	/* the insecure TTL does not count */

	add_name(f, res, RESOLVER_SECURE, 3600, old_ee, 1);
	dane_summarize(res);
	assert_int_equal(res->verdict, DANE_MATCHES_DEPLOYED_ONLY);
	assert_false(res->new_visible);	/* one name still lacks the new record */
	assert_int_equal(res->ttl, 3600);

	add_name(f, res, RESOLVER_BOGUS, 10, new_ee, 1);
	dane_summarize(res);
	assert_int_equal(res->verdict, DANE_BOGUS);
	result_clear(res);
	mem_free(res);
}

static void
test_rollover(void **state)
{
	char text[400];

	assert_false(dane_rollover_ready(0, 300, 1000000));
	assert_false(dane_rollover_ready(1000, 300, 1599));
	assert_true(dane_rollover_ready(1000, 300, 1600));
	assert_true(dane_rollover_ready(1000, 0, 1000));
	assert_int_equal(dane_rollover_at(1000, 300), 1600);
	assert_int_equal(dane_rollover_at(0, 300), 0);
	/* the largest TTL a zone may have does not overflow */
	assert_true(dane_rollover_ready(1700000000, UINT32_MAX,
	    (time_t)(1700000000LL + 2LL * UINT32_MAX)));
	dane_rollover_text(300, text, sizeof(text));
	assert_non_null(strstr(text, "2 x 300 s = 600 s"));
	assert_non_null(strstr(dane_key_advice(), "--reuse-key"));
	assert_non_null(strstr(dane_key_advice(), "PRIVATE_KEY_RENEW"));
}

/* A regression's report: what to publish where, what to keep, rule and advice. */
static void
test_json(void **state)
{
	static const struct spec old_ee_ta[] = { { "old-leaf", 3, 1, 1 }, { "old-ca", 2, 1, 1 } };
	struct fixture *f = *state;
	struct dane_result *res = mem_calloc(1, sizeof(*res));
	struct s2s_err err;
	json_t *j, *pub;
	size_t n;

	snprintf(res->domain, sizeof(res->domain), "xmpp.example.test");
	assert_int_equal(tlsa_records_for_chain(cert_chain_get(f->renewed, 0),
	    cert_chain_extra_get(f->renewed), res->publish, &res->npublish, &err), 0);
	res->deployed_given = res->key_changed = res->issuer_changed = 1;
	add_name(f, res, RESOLVER_SECURE, 300, old_ee_ta, 2);
	dane_summarize(res);
	assert_non_null(j = dane_to_json(res));
	assert_string_equal(json_string_value(json_object_get(j, "verdict")),
	    "matches-deployed-only");
	assert_true(json_is_true(json_object_get(j, "regression")));
	pub = json_object_get(j, "publish");
	assert_int_equal(json_array_size(pub), 2);
	assert_string_equal(json_string_value(json_object_get(json_array_get(pub, 0), "name")),
	    "_5269._tcp.xmpp.example.test");
	assert_int_equal(strncmp(json_string_value(json_object_get(json_array_get(pub, 0),
	    "record")), "3 1 1 ", 6), 0);
	assert_int_equal(strncmp(json_string_value(json_object_get(json_array_get(pub, 1),
	    "record")), "2 1 1 ", 6), 0);
	assert_int_equal(json_array_size(json_object_get(j, "keep")), 2);
	assert_non_null(strstr(json_string_value(json_object_get(j, "rollover")), "600 s"));
	/* key and CA changed, EE and TA records in use: both pieces of advice */
	assert_non_null(strstr(json_string_value(json_object_get(j, "advice")), "--reuse-key"));
	assert_non_null(strstr(json_string_value(json_object_get(j, "advice")), "intermediate"));
	n = json_array_size(json_object_get(j, "names"));
	assert_int_equal(n, 1);
	json_decref(j);

	/* every allocation failure gives NULL, never a half object or a leak */
	for (long i = 0;; i++) {
		mem_fail_after(i);
		j = dane_to_json(res);
		mem_fail_after(-1);
		if (j != NULL)
			break;
	}
	json_decref(j);
	tlsa_record_clear(&res->publish[0]);
	tlsa_record_clear(&res->publish[1]);
	result_clear(res);
	mem_free(res);
}

/* One-name result with the given records, judged and summarized. */
static struct dane_result *
result_of(struct fixture *f, enum resolver_security sec, const struct spec *sp, size_t n,
    time_t checked_at)
{
	struct dane_result *res = mem_calloc(1, sizeof(*res));

	snprintf(res->domain, sizeof(res->domain), "xmpp.example.test");
	res->deployed_given = 1;
	res->checked_at = checked_at;
	add_name(f, res, sec, 300, sp, n);
	dane_summarize(res);
	return res;
}

static void
result_free(struct dane_result *res)
{
	result_clear(res);
	mem_free(res);
}

#define DECIDE(mode, res, st, now, want) do {					\
	dane_decide(mode, res, st, now, &d);					\
	if (d.action != (want))							\
		fail_msg("line %d: %s (%s), want %s", __LINE__,			\
		    dane_action_name(d.action), d.reason, dane_action_name(want));	\
} while (0)

/* The certbot case end to end: rotated key, hold, publish, wait 2 x TTL, deploy. */
static void
test_decide_rollover(void **state)
{
	static const struct spec old_only[] = { { "old-leaf", 3, 1, 1 } };
	static const struct spec both[] = { { "old-leaf", 3, 1, 1 }, { "new-leaf", 3, 1, 1 } };
	struct fixture *f = *state;
	struct dane_state st = { 0 };
	struct dane_decision d;
	struct dane_result *res;

	res = result_of(f, RESOLVER_SECURE, old_only, 1, 1000);
	DECIDE(DANE_MODE_HOLD, res, &st, 1000, DANE_ACT_HOLD);
	assert_non_null(strstr(d.reason, "matches only the deployed"));
	assert_int_equal(st.first_seen, 0);
	DECIDE(DANE_MODE_WARN, res, &st, 1000, DANE_ACT_DEPLOY_WARN);
	DECIDE(DANE_MODE_OFF, res, &st, 1000, DANE_ACT_DEPLOY);
	result_free(res);

	/* the operator published the new record at ~2000: seen first at 2000 */
	res = result_of(f, RESOLVER_SECURE, both, 2, 2000);
	assert_false(res->new_preexisting);
	DECIDE(DANE_MODE_HOLD, res, &st, 2000, DANE_ACT_HOLD);
	assert_int_equal(st.first_seen, 2000);
	assert_int_equal(st.ttl, 300);
	assert_int_equal(d.ready_at, 2600);
	DECIDE(DANE_MODE_WARN, res, &st, 2000, DANE_ACT_DEPLOY_WARN);
	result_free(res);
	/* a later check does not move first_seen */
	res = result_of(f, RESOLVER_SECURE, both, 2, 2300);
	DECIDE(DANE_MODE_HOLD, res, &st, 2599, DANE_ACT_HOLD);
	assert_int_equal(st.first_seen, 2000);
	DECIDE(DANE_MODE_HOLD, res, &st, 2600, DANE_ACT_DEPLOY);
	result_free(res);

	/* the record vanished again: start over */
	res = result_of(f, RESOLVER_SECURE, old_only, 1, 2700);
	DECIDE(DANE_MODE_HOLD, res, &st, 2700, DANE_ACT_HOLD);
	assert_int_equal(st.first_seen, 0);
	result_free(res);
}

/* One name with a fresh record, another already broken: the wait still applies. */
static void
test_decide_mixed(void **state)
{
	static const struct spec both[] = { { "old-leaf", 3, 1, 1 }, { "new-leaf", 3, 1, 1 } };
	static const struct spec other[] = { { "other", 3, 1, 1 } };
	struct fixture *f = *state;
	struct dane_state st = { 0 };
	struct dane_decision d;
	struct dane_result *res = result_of(f, RESOLVER_SECURE, both, 2, 5000);

	add_name(f, res, RESOLVER_SECURE, 300, other, 1);
	dane_summarize(res);
	assert_int_equal(res->verdict, DANE_MATCHES_NEITHER);
	DECIDE(DANE_MODE_HOLD, res, &st, 5000, DANE_ACT_HOLD);
	assert_int_equal(st.first_seen, 5000);
	assert_int_equal(d.ready_at, 5600);
	DECIDE(DANE_MODE_HOLD, res, &st, 5600, DANE_ACT_DEPLOY_WARN);
	assert_non_null(strstr(d.reason, "neither"));
	assert_int_equal(st.first_seen, 5000);
	result_free(res);
}

static void
test_decide_other_verdicts(void **state)
{
	static const struct spec same_key[] = { { "new-leaf", 3, 1, 1 } };
	static const struct spec other[] = { { "other", 3, 1, 1 } };
	struct fixture *f = *state;
	struct dane_state st = { 0 };
	struct dane_decision d;
	struct dane_result *res;

	/* the record in place matches both chains (key reused): no wait */
	res = result_of(f, RESOLVER_SECURE, same_key, 1, 1000);
	res->names[0].records[0].deployed_match.matched = 1;
	dane_summarize(res);
	assert_true(res->new_preexisting);
	DECIDE(DANE_MODE_HOLD, res, &st, 1000, DANE_ACT_DEPLOY);
	assert_int_equal(st.first_seen, 0);
	/* first deployment: nothing deployed to break */
	res->names[0].records[0].deployed_match.matched = 0;
	res->deployed_given = 0;
	dane_summarize(res);
	DECIDE(DANE_MODE_HOLD, res, &st, 1000, DANE_ACT_DEPLOY);
	result_free(res);

	res = result_of(f, RESOLVER_SECURE, other, 1, 1000);
	DECIDE(DANE_MODE_HOLD, res, &st, 1000, DANE_ACT_DEPLOY_WARN);
	assert_non_null(strstr(d.reason, "neither"));
	result_free(res);
	res = result_of(f, RESOLVER_INSECURE, other, 1, 1000);
	DECIDE(DANE_MODE_HOLD, res, &st, 1000, DANE_ACT_DEPLOY);
	result_free(res);
	res = result_of(f, RESOLVER_BOGUS, other, 1, 1000);
	DECIDE(DANE_MODE_HOLD, res, &st, 1000, DANE_ACT_HOLD);
	assert_non_null(strstr(d.reason, "bogus"));
	DECIDE(DANE_MODE_WARN, res, &st, 1000, DANE_ACT_DEPLOY_WARN);
	result_free(res);

	assert_int_equal(dane_mode_parse("hold"), DANE_MODE_HOLD);
	assert_int_equal(dane_mode_parse("warn"), DANE_MODE_WARN);
	assert_int_equal(dane_mode_parse("off"), DANE_MODE_OFF);
	assert_int_equal(dane_mode_parse("Hold"), -1);
}

static void
test_names(void **state)
{
	assert_string_equal(dane_verdict_name(DANE_MATCHES_DEPLOYED_ONLY), "matches-deployed-only");
	assert_string_equal(dane_verdict_name(DANE_NO_TLSA), "no-tlsa");
	assert_string_equal(dane_security_name(RESOLVER_BOGUS), "bogus");
	/* enum order is severity order: the domain verdict is the maximum */
	assert_true(DANE_BOGUS > DANE_MATCHES_DEPLOYED_ONLY);
	assert_true(DANE_MATCHES_DEPLOYED_ONLY > DANE_MATCHES_NEITHER);
	assert_true(DANE_MATCHES_NEITHER > DANE_MATCHES_NEW);
	assert_true(DANE_MATCHES_NEW > DANE_INSECURE);
}

/* Names that are not host names never reach the resolver. */
static void
test_bad_domains(void **state)
{
	static const char *bad[] = { "", ".", "a..b", "xmpp example.test", "xmpp.example.test/x",
	    "é.example", ".example.test",
	    "a234567890123456789012345678901234567890123456789012345678901234.test" };
	struct fixture *f = *state;
	struct dane_result *res = NULL;
	struct s2s_err err;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (dane_check(NULL, bad[i], f->renewed, NULL, NULL, 0, &res, &err) != S2S_EINVAL)
			fail_msg("accepted \"%s\"", bad[i]);
		assert_null(res);
		assert_non_null(strstr(err.msg, "not a domain name"));
	}
}

static void
test_missing_trust_anchor(void **state)
{
	struct deadline dl = deadline_in_ms(1000);
	struct resolver *r = NULL;
	struct s2s_err err;

	assert_int_equal(dane_resolver_new("127.0.0.1@53", "/nonexistent/root.key", &dl, &r, &err),
	    S2S_ENOTFOUND);
	assert_null(r);
	assert_non_null(strstr(err.msg, "/nonexistent/root.key"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_verdicts),
		cmocka_unit_test(test_failures_and_empty),
		cmocka_unit_test(test_malformed_rdata),
		cmocka_unit_test(test_summary),
		cmocka_unit_test(test_rollover),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_decide_rollover),
		cmocka_unit_test(test_decide_mixed),
		cmocka_unit_test(test_decide_other_verdicts),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_bad_domains),
		cmocka_unit_test(test_missing_trust_anchor),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
