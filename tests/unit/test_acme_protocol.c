/*
 * ACME protocol logic on answers shaped like real CAs': profile choice
 * against Let's Encrypt's and pebble 2.4's directories, problem documents
 * (invalidProfile, subproblems, alreadyReplaced), directory checks, the
 * RFC 9773 CertID test vector, Retry-After.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/x509v3.h>

#include "acme.h"
#include "mem.h"
#include "profile.h"
#include "unit.h"

#define FIX "tests/unit/fixtures/acme/"

static json_t *
fixture(const char *name)
{
	char path[256];
	json_error_t je;
	json_t *j;

	snprintf(path, sizeof(path), FIX "%s", name);
	j = json_load_file(path, 0, &je);
	if (j == NULL)
		fail_msg("%s: %s", path, je.text);
	return j;
}

static void
test_profile_advertised(void **state)
{
	json_t *dir = fixture("letsencrypt-directory.json");
	struct s2s_err err = { 0 };
	const char *send = "x";
	char note[200];

	assert_int_equal(profile_choose(dir, "tlsserver", 0, &send, note, sizeof(note), &err), 0);
	assert_string_equal(send, "tlsserver");
	assert_int_equal(profile_choose(dir, NULL, 0, &send, note, sizeof(note), &err), 0);
	assert_null(send);
	json_decref(dir);
}

static void
test_profile_unknown_lists_advertised(void **state)
{
	json_t *dir = fixture("letsencrypt-directory.json");
	struct s2s_err err = { 0 };
	const char *send = "x";
	char note[200];

	assert_int_equal(profile_choose(dir, "tlsclient", 1, &send, note, sizeof(note), &err),
	    S2S_ENOTFOUND);
	assert_null(send);
	assert_non_null(strstr(err.msg, "\"tlsclient\""));
	assert_non_null(strstr(err.msg, "classic, shortlived, tlsserver"));
	json_decref(dir);
}

static void
test_profile_unlisted(void **state)
{
	json_t *dir = fixture("pebble24-directory.json");
	struct s2s_err err = { 0 };
	const char *send = "x";
	char note[200], list[100];

	assert_int_equal(profile_choose(dir, "tlsclient", 0, &send, note, sizeof(note), &err),
	    S2S_ENOTFOUND);
	assert_null(send);
	assert_non_null(strstr(err.msg, "lists no profiles"));
	assert_non_null(strstr(err.msg, "--allow-unlisted-profile"));
	assert_int_equal(profile_choose(dir, "tlsclient", 1, &send, note, sizeof(note), &err), 0);
	assert_string_equal(send, "tlsclient");
	assert_non_null(strstr(note, "lists no profiles"));
	profile_list(dir, list, sizeof(list));
	assert_string_equal(list, "");
	json_decref(dir);
}

static struct http_resp
resp_of(long status, const char *fixture_name)
{
	struct http_resp r;
	char path[256];
	FILE *fp;
	long n;

	memset(&r, 0, sizeof(r));
	r.status = status;
	r.retry_after = -1;
	snprintf(path, sizeof(path), FIX "%s", fixture_name);
	assert_non_null(fp = fopen(path, "rb"));
	fseek(fp, 0, SEEK_END);
	n = ftell(fp);
	rewind(fp);
	r.body = mem_alloc((size_t)n + 1);
	assert_int_equal(fread(r.body, 1, (size_t)n, fp), (size_t)n);
	r.body[n] = '\0';
	r.len = (size_t)n;
	fclose(fp);
	return r;
}

static void
test_problem_invalid_profile(void **state)
{
	struct http_resp r = resp_of(400, "problem-invalid-profile.json");
	struct acme a = { 0 };
	struct s2s_err err = { 0 };

	assert_int_equal(acme_problem_set(&a, &r, "https://ca.example/new-order", &err), S2S_EPROTO);
	assert_string_equal(acme_problem_type(&a), "invalidProfile");
	assert_non_null(strstr(err.msg, "https://ca.example/new-order: HTTP 400 invalidProfile: "));
	assert_non_null(strstr(err.msg, "profile \"tlsclient\" is not recognized"));
	json_decref(a.problem);
	http_resp_clear(&r);
}

static void
test_problem_subproblems(void **state)
{
	struct http_resp r = resp_of(400, "problem-rejected-subproblems.json");
	struct acme a = { 0 };
	struct s2s_err err = { 0 };

	assert_int_equal(acme_problem_set(&a, &r, "https://ca.example/new-order", &err), S2S_EPROTO);
	assert_string_equal(acme_problem_type(&a), "malformed");
	assert_non_null(strstr(err.msg, "Some of the identifiers requested were rejected"));
	assert_non_null(strstr(err.msg, "_example.org: malformed: Invalid underscore"));
	assert_non_null(strstr(err.msg, "example.net: rejectedIdentifier: This CA will not issue"));
	/* the whole document is kept for the JSON report */
	assert_int_equal(json_array_size(json_object_get(a.problem, "subproblems")), 2);
	json_decref(a.problem);
	http_resp_clear(&r);
}

static void
test_problem_already_replaced_and_junk(void **state)
{
	struct http_resp r = resp_of(409, "problem-already-replaced.json");
	struct acme a = { 0 };
	struct s2s_err err = { 0 };

	acme_problem_set(&a, &r, "https://ca.example/new-order", &err);
	assert_string_equal(acme_problem_type(&a), "alreadyReplaced");
	http_resp_clear(&r);
	r.status = 502;
	r.body = mem_strdup("<html>Bad gateway</html>");
	r.len = strlen(r.body);
	assert_int_equal(acme_problem_set(&a, &r, "https://ca.example/x", &err), S2S_EPROTO);
	assert_non_null(strstr(err.msg, "HTTP 502 without an ACME problem document"));
	assert_string_equal(acme_problem_type(&a), "");
	http_resp_clear(&r);
}

static void
test_directory_checks(void **state)
{
	json_t *le = fixture("letsencrypt-directory.json");
	struct acme a = { 0 };
	struct s2s_err err = { 0 };
	json_t *bad;

	assert_int_equal(acme_directory_set(&a, le, "le", &err), 0);
	assert_string_equal(acme_dir_url(&a, "renewalInfo"),
	    "https://acme-v02.api.letsencrypt.org/draft-ietf-acme-ari-03/renewalInfo");
	bad = json_deep_copy(le);
	json_object_del(bad, "newOrder");
	assert_int_equal(acme_directory_set(&a, bad, "x", &err), S2S_EPARSE);
	assert_non_null(strstr(err.msg, "\"newOrder\""));
	json_object_set_new(bad, "newOrder", json_string("http://plain.example/new-order"));
	assert_int_equal(acme_directory_set(&a, bad, "x", &err), S2S_EPARSE);
	json_decref(bad);
	bad = json_array();
	assert_int_equal(acme_directory_set(&a, bad, "arr", &err), S2S_EPARSE);
	json_decref(bad);
	json_decref(le);
	json_decref(a.dir);
}

/* RFC 9773 Appendix A: AKI 69:88:5B:...:C8:D4, serial 00:87:65:43:21. */
static X509 *
ari_vector_cert(void)
{
	static const unsigned char keyid[] = {
		0x69, 0x88, 0x5B, 0x6B, 0x87, 0x46, 0x40, 0x41, 0xE1, 0xB3,
		0x7B, 0x84, 0x7B, 0xA0, 0xAE, 0x2C, 0xDE, 0x01, 0xC8, 0xD4,
	};
	AUTHORITY_KEYID *akid = AUTHORITY_KEYID_new();
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	X509 *x = X509_new();

	assert_non_null(akid);
	akid->keyid = ASN1_OCTET_STRING_new();
	ASN1_OCTET_STRING_set(akid->keyid, keyid, sizeof(keyid));
	ASN1_INTEGER_set_uint64(X509_get_serialNumber(x), 0x87654321u);
	X509_set_version(x, 2);
	X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
	    (const unsigned char *)"ari.example", -1, -1, 0);
	X509_set_issuer_name(x, X509_get_subject_name(x));
	X509_gmtime_adj(X509_getm_notBefore(x), 0);
	X509_gmtime_adj(X509_getm_notAfter(x), 86400);
	X509_set_pubkey(x, k);
	assert_int_equal(X509_add1_ext_i2d(x, NID_authority_key_identifier, akid, 0, 0), 1);
	assert_true(X509_sign(x, k, EVP_sha256()) > 0);
	AUTHORITY_KEYID_free(akid);
	EVP_PKEY_free(k);
	return x;
}

static void
test_ari_cert_id_vector(void **state)
{
	X509 *x = ari_vector_cert();
	struct s2s_err err = { 0 };
	char *id = NULL;

	assert_int_equal(ari_cert_id(x, &id, &err), 0);
	assert_string_equal(id, "aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE");
	mem_free(id);
	X509_free(x);
}

static void
test_ari_no_aki(void **state)
{
	X509 *x = X509_new();
	struct s2s_err err = { 0 };
	char *id = NULL;

	ASN1_INTEGER_set(X509_get_serialNumber(x), 5);
	assert_int_equal(ari_cert_id(x, &id, &err), S2S_ENOTFOUND);
	assert_null(id);
	X509_free(x);
}

static void
test_retry_after(void **state)
{
	assert_int_equal(http_retry_after_parse("120", 0), 120);
	assert_int_equal(http_retry_after_parse("0", 0), 0);
	assert_int_equal(http_retry_after_parse("Wed, 21 Oct 2015 07:28:00 GMT", 1445412400L), 80);
	assert_int_equal(http_retry_after_parse("Wed, 21 Oct 2015 07:28:00 GMT", 1445412500L), 0);
	assert_int_equal(http_retry_after_parse("soon", 0), -1);
	assert_int_equal(http_retry_after_parse("-5", 0), -1);
	assert_int_equal(http_retry_after_parse(NULL, 0), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_profile_advertised),
		cmocka_unit_test(test_profile_unknown_lists_advertised),
		cmocka_unit_test(test_profile_unlisted),
		cmocka_unit_test(test_problem_invalid_profile),
		cmocka_unit_test(test_problem_subproblems),
		cmocka_unit_test(test_problem_already_replaced_and_junk),
		cmocka_unit_test(test_directory_checks),
		cmocka_unit_test(test_ari_cert_id_vector),
		cmocka_unit_test(test_ari_no_aki),
		cmocka_unit_test(test_retry_after),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
