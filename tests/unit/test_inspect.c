/* Inspection verdicts on the generated test PKI. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "inspect.h"
#include "mem.h"
#include "unit.h"

static const char *const DOMAIN[] = { "xmpp.example.test" };

static struct inspection *
inspect_named(const char *name, const char *key, const char *previous,
    const char *const *domains, size_t ndomains)
{
	char cert[4096], keyp[4096], prev[4096], ca[4096];
	struct inspect_opts o = { 0 };
	struct s2s_err err = { 0 };
	struct inspection *ins = NULL;

	snprintf(cert, sizeof(cert), "%s", unit_pki(name));
	snprintf(ca, sizeof(ca), "%s", unit_pki("root.pem"));
	o.cert_path = cert;
	o.ca_file = ca;
	if (key != NULL) {
		snprintf(keyp, sizeof(keyp), "%s", unit_pki(key));
		o.key_path = keyp;
	}
	if (previous != NULL) {
		snprintf(prev, sizeof(prev), "%s", unit_pki(previous));
		o.previous_path = prev;
	}
	o.domains = domains;
	o.ndomains = ndomains;
	if (inspect_files(&o, &ins, &err) != 0)
		fail_msg("%s", err.msg);
	return ins;
}

static void
expect(const char *name, enum inspect_verdict v, const char *reason_part)
{
	char fullchain[256], key[256];
	struct inspection *ins;

	snprintf(fullchain, sizeof(fullchain), "%s.fullchain.pem", name);
	snprintf(key, sizeof(key), "%s.key", name);
	ins = inspect_named(fullchain, key, NULL, DOMAIN, 1);
	if (ins->verdict != v || strstr(ins->verdict_reason, reason_part) == NULL)
		fail_msg("%s: got %s (%s), want %s (%s)", name, inspect_verdict_name(ins->verdict),
		    ins->verdict_reason, inspect_verdict_name(v), reason_part);
	inspection_free(ins);
}

static void
test_verdict_table(void **state)
{
	expect("leaf-both", INSPECT_USABLE, "both directions");
	expect("leaf-noeku", INSPECT_USABLE, "both directions");
	expect("leaf-both-under-noeku", INSPECT_USABLE, "both directions");
	expect("leaf-p384", INSPECT_USABLE, "");
	expect("leaf-rsa", INSPECT_USABLE, "");
	expect("leaf-ed25519", INSPECT_USABLE, "");
	expect("leaf-server", INSPECT_SERVER_ONLY, "leaf CN = xmpp.example.test");
	expect("leaf-both-under-server", INSPECT_SERVER_ONLY,
	    "CA certificate CN = s2sguard test inter-server");
	expect("leaf-client", INSPECT_INVALID, "not usable as TLS server");
	expect("leaf-anyeku", INSPECT_INVALID, "not usable as TLS server");
	expect("leaf-expired", INSPECT_INVALID, "has expired");
	expect("leaf-notyet", INSPECT_INVALID, "not valid yet");
	expect("leaf-wrongname", INSPECT_INVALID, "does not cover xmpp.example.test");
}

/* The intermediate, not the leaf, is named when it breaks clientAuth. */
static void
test_intermediate_breaks_client(void **state)
{
	struct inspection *ins = inspect_named("leaf-both-under-server.fullchain.pem", NULL,
	    NULL, DOMAIN, 1);

	assert_false(ins->client.ok);
	assert_int_equal(ins->client.broken_at, 1);
	assert_true(ins->certs[0].client_ok);	/* the leaf alone has clientAuth */
	assert_false(ins->certs[1].client_ok);
	assert_true(ins->server.ok);
	assert_int_equal(ins->ncerts, 3);
	assert_true(ins->certs[2].from_store);
	inspection_free(ins);
}

static void
test_chain_problems(void **state)
{
	struct inspection *ins;

	ins = inspect_named("leaf-both.reversed.pem", NULL, NULL, DOMAIN, 1);
	assert_int_equal(ins->verdict, INSPECT_INVALID);
	assert_false(ins->order_ok);
	inspection_free(ins);

	ins = inspect_named("leaf-both.missing-inter.pem", NULL, NULL, DOMAIN, 1);
	assert_int_equal(ins->verdict, INSPECT_INVALID);
	assert_false(ins->trusted);
	assert_non_null(strstr(ins->trust_reason, "unable to get local issuer"));
	inspection_free(ins);

	ins = inspect_named("mismatch.pem", "mismatch.key", NULL, DOMAIN, 1);
	assert_true(ins->key_checked);
	assert_false(ins->key_match);
	assert_int_equal(ins->verdict, INSPECT_INVALID);
	inspection_free(ins);
}

static void
test_names(void **state)
{
	static const char *const three[] = { "xmpp.example.test", "conference.xmpp.example.test",
	    "other.example.test" };
	static const char *const wild[] = { "a.example.test", "b.a.example.test", "example.test" };
	struct inspection *ins;

	ins = inspect_named("leaf-xmppaddr.fullchain.pem", NULL, NULL, three, 3);
	assert_true(ins->names[0].covered);
	assert_false(ins->names[0].dns_id);
	assert_true(ins->names[0].xmpp_addr);
	assert_true(ins->names[0].srv_id);
	assert_true(ins->names[1].dns_id);
	assert_false(ins->names[2].covered);
	inspection_free(ins);

	ins = inspect_named("leaf-wildcard.fullchain.pem", NULL, NULL, wild, 3);
	assert_true(ins->names[0].covered);	/* one label under the wildcard */
	assert_false(ins->names[1].covered);	/* never two */
	assert_true(ins->names[2].covered);
	inspection_free(ins);
}

static void
test_changes(void **state)
{
	struct inspection *ins;

	ins = inspect_named("leaf-server.fullchain.pem", NULL, "leaf-both.fullchain.pem", DOMAIN, 1);
	assert_true(ins->diff.present);
	assert_true(ins->diff.client_lost);
	assert_false(ins->diff.client_gained);
	assert_true(ins->diff.key_changed);
	assert_true(ins->diff.issuer_changed);
	inspection_free(ins);

	ins = inspect_named("leaf-both.fullchain.pem", NULL, "leaf-server.fullchain.pem", DOMAIN, 1);
	assert_true(ins->diff.client_gained);
	inspection_free(ins);

	ins = inspect_named("leaf-both.fullchain.pem", NULL, "leaf-wrongname.fullchain.pem", DOMAIN, 1);
	assert_non_null(strstr(ins->diff.names_added, "dns:xmpp.example.test"));
	assert_non_null(strstr(ins->diff.names_removed, "dns:other.example.test"));
	assert_false(ins->diff.issuer_changed);
	inspection_free(ins);
}

/* accepts by the client-purpose family, by the server-purpose family */
static void
expect_families(const char *name, int client, int server, const char *reason_part)
{
	char fullchain[256];
	struct inspection *ins;
	const struct family_verdict *c, *s;

	snprintf(fullchain, sizeof(fullchain), "%s.fullchain.pem", name);
	ins = inspect_named(fullchain, NULL, NULL, DOMAIN, 1);
	c = &ins->families[PEER_FAMILY_CLIENT_PURPOSE];
	s = &ins->families[PEER_FAMILY_SERVER_PURPOSE];
	if (c->accepts != client || s->accepts != server)
		fail_msg("%s: client-purpose %d (%s), server-purpose %d (%s); want %d, %d", name,
		    c->accepts, c->reason, s->accepts, s->reason, client, server);
	if (reason_part != NULL && strstr(client ? s->reason : c->reason, reason_part) == NULL)
		fail_msg("%s: refusal '%s' lacks '%s'", name, client ? s->reason : c->reason,
		    reason_part);
	if ((c->accepts && c->reason[0] != '\0') || (s->accepts && s->reason[0] != '\0'))
		fail_msg("%s: a reason for a family that accepts", name);
	inspection_free(ins);
}

/* Each one-sided chain is refused by exactly one family, and says why. */
static void
test_peer_families(void **state)
{
	expect_families("leaf-both", 1, 1, NULL);
	expect_families("leaf-noeku", 1, 1, NULL);
	expect_families("leaf-server", 0, 1, "EKU serverAuth without clientAuth");
	expect_families("leaf-both-under-server", 0, 1, "CA certificate CN = s2sguard test inter-server");
	expect_families("leaf-client", 1, 0, "EKU clientAuth without serverAuth");
	/* a problem every peer refuses is given to both */
	expect_families("leaf-expired", 0, 0, "has expired");
	expect_families("leaf-wrongname", 0, 0, "does not cover xmpp.example.test");
	assert_string_equal(inspect_family_info(PEER_FAMILY_CLIENT_PURPOSE)->name, "client-purpose");
	assert_string_equal(inspect_family_info(PEER_FAMILY_SERVER_PURPOSE)->check,
	    "X509_PURPOSE_SSL_SERVER");
}

static void
test_json_shape(void **state)
{
	struct inspection *ins = inspect_named("leaf-server.fullchain.pem", "leaf-server.key",
	    "leaf-both.fullchain.pem", DOMAIN, 1);
	json_t *j = inspect_to_json(ins), *fams;

	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "verdict")), "server-only");
	assert_int_equal(json_integer_value(json_object_get(j, "exit")), 1);
	assert_true(json_is_true(json_object_get(json_object_get(j, "changes"), "client_auth_lost")));
	assert_int_equal(json_array_size(json_object_get(j, "certificates")), 3);
	assert_true(json_is_true(json_object_get(j, "key_match")));
	fams = json_object_get(j, "peer_families");
	assert_int_equal(json_array_size(fams), 2);
	assert_string_equal(json_string_value(json_object_get(json_array_get(fams, 0), "family")),
	    "client-purpose");
	assert_true(json_is_false(json_object_get(json_array_get(fams, 0), "accepts")));
	assert_non_null(json_string_value(json_object_get(json_array_get(fams, 0), "reason")));
	assert_true(json_is_true(json_object_get(json_array_get(fams, 1), "accepts")));
	assert_null(json_object_get(json_array_get(fams, 1), "reason"));
	json_decref(j);
	inspection_free(ins);
}

static void
test_unreadable_names_the_file(void **state)
{
	struct inspect_opts o = { 0 };
	struct s2s_err err = { 0 };
	struct inspection *ins = NULL;
	char cert[4096];

	snprintf(cert, sizeof(cert), "%s", unit_pki("leaf-both.pem"));
	o.cert_path = cert;
	o.key_path = "/nonexistent/key.pem";
	assert_int_equal(inspect_files(&o, &ins, &err), S2S_ENOTFOUND);
	assert_null(ins);
	assert_non_null(strstr(err.msg, "/nonexistent/key.pem"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_verdict_table),
		cmocka_unit_test(test_intermediate_breaks_client),
		cmocka_unit_test(test_chain_problems),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_changes),
		cmocka_unit_test(test_peer_families),
		cmocka_unit_test(test_json_shape),
		cmocka_unit_test(test_unreadable_names_the_file),
	};

	return cmocka_run_group_tests_name("inspect", tests, NULL, NULL);
}
