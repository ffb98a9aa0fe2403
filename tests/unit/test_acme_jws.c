/*
 * JWS and keys for ACME: signatures verified with OpenSSL (RS256, ES256,
 * ES384 with raw r||s), the RFC 7638 thumbprint vector, EAB HMAC, certbot's
 * RSA JWK import, the CSR, and the account paths of certbot and acme.sh.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/param_build.h>
#include <openssl/x509v3.h>

#include "account.h"
#include "challenge.h"
#include "conf_kv.h"
#include "jws.h"
#include "mem.h"
#include "order.h"
#include "unit.h"

static json_t *
b64json(const char *s)
{
	unsigned char *raw;
	size_t len;
	json_t *j;

	assert_int_equal(b64url_decode(s, &raw, &len), 0);
	j = json_loadb((char *)raw, len, 0, NULL);
	mem_free(raw);
	assert_non_null(j);
	return j;
}

/* Verify a flattened JWS with key; the JWS signature is raw r||s for EC. */
static void
jws_verify(const char *text, EVP_PKEY *key, const char *alg, json_t **prot_out)
{
	json_t *jws = json_loads(text, 0, NULL), *prot;
	const char *p64 = json_string_value(json_object_get(jws, "protected"));
	const char *pay64 = json_string_value(json_object_get(jws, "payload"));
	unsigned char *sig, *der = NULL;
	size_t siglen, n = strlen(p64) + strlen(pay64) + 2;
	char *input = mem_alloc(n);
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	const EVP_MD *md = strcmp(alg + 2, "384") == 0 ? EVP_sha384() : EVP_sha256();
	int derlen;

	snprintf(input, n, "%s.%s", p64, pay64);
	assert_int_equal(b64url_decode(json_string_value(json_object_get(jws, "signature")),
	    &sig, &siglen), 0);
	prot = b64json(p64);
	assert_string_equal(json_string_value(json_object_get(prot, "alg")), alg);
	if (alg[0] == 'E') {
		ECDSA_SIG *es = ECDSA_SIG_new();
		size_t w = siglen / 2;

		assert_int_equal(siglen, strcmp(alg, "ES256") == 0 ? 64 : 96);
		ECDSA_SIG_set0(es, BN_bin2bn(sig, (int)w, NULL), BN_bin2bn(sig + w, (int)w, NULL));
		derlen = i2d_ECDSA_SIG(es, &der);
		ECDSA_SIG_free(es);
		mem_free(sig);
		siglen = (size_t)derlen;
		sig = mem_alloc(siglen);
		memcpy(sig, der, siglen);
		OPENSSL_free(der);
	}
	assert_int_equal(EVP_DigestVerifyInit(ctx, NULL, md, NULL, key), 1);
	assert_int_equal(EVP_DigestVerify(ctx, sig, siglen, (unsigned char *)input, n - 1), 1);
	EVP_MD_CTX_free(ctx);
	mem_free(sig);
	mem_free(input);
	json_decref(jws);
	*prot_out = prot;
}

static void
sign_and_verify(EVP_PKEY *k, const char *alg)
{
	json_t *payload = json_pack("{s:s}", "csr", "abc"), *prot;
	struct s2s_err err = { 0 };
	char *text;

	assert_string_equal(jws_alg(k), alg);
	assert_int_equal(jws_new(k, "https://ca.example/acct/1", "nonce-1",
	    "https://ca.example/new-order", payload, &text, &err), 0);
	jws_verify(text, k, alg, &prot);
	assert_string_equal(json_string_value(json_object_get(prot, "kid")),
	    "https://ca.example/acct/1");
	assert_string_equal(json_string_value(json_object_get(prot, "nonce")), "nonce-1");
	assert_string_equal(json_string_value(json_object_get(prot, "url")),
	    "https://ca.example/new-order");
	assert_null(json_object_get(prot, "jwk"));
	json_decref(prot);
	mem_free(text);
	/* newAccount: jwk instead of kid; POST-as-GET: empty payload */
	assert_int_equal(jws_new(k, NULL, "n2", "https://ca.example/new-acct", NULL, &text, &err), 0);
	jws_verify(text, k, alg, &prot);
	assert_null(json_object_get(prot, "kid"));
	assert_non_null(json_object_get(prot, "jwk"));
	assert_non_null(strstr(text, "\"payload\":\"\""));
	json_decref(prot);
	mem_free(text);
	json_decref(payload);
}

static void
test_jws_es256(void **state)
{
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");

	for (int i = 0; i < 20; i++)	/* short r or s must still pad to 32 bytes */
		sign_and_verify(k, "ES256");
	EVP_PKEY_free(k);
}

static void
test_jws_es384(void **state)
{
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");

	sign_and_verify(k, "ES384");
	EVP_PKEY_free(k);
}

static void
test_jws_rs256(void **state)
{
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);

	sign_and_verify(k, "RS256");
	EVP_PKEY_free(k);
}

static void
test_jws_refuses_weak_keys(void **state)
{
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024);
	struct s2s_err err = { 0 };
	char *text = NULL;

	assert_null(jws_alg(k));
	assert_int_equal(jws_new(k, "kid", "n", "https://u", NULL, &text, &err), S2S_EINVAL);
	assert_null(text);
	EVP_PKEY_free(k);
}

/* RFC 7638 section 3.1. */
static void
test_thumbprint_rfc7638(void **state)
{
	static const char n64[] = "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86z"
	    "wu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN"
	    "5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91C"
	    "bOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-k"
	    "EgU8awapJzKnqDKgw";
	unsigned char *nb, e[] = { 1, 0, 1 };
	size_t nlen;
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	BIGNUM *n, *be;
	OSSL_PARAM *params;
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
	EVP_PKEY *k = NULL;
	struct s2s_err err = { 0 };
	char *tp;

	assert_int_equal(b64url_decode(n64, &nb, &nlen), 0);
	n = BN_bin2bn(nb, (int)nlen, NULL);
	be = BN_bin2bn(e, 3, NULL);
	OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n);
	OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, be);
	params = OSSL_PARAM_BLD_to_param(bld);
	assert_int_equal(EVP_PKEY_fromdata_init(ctx), 1);
	assert_int_equal(EVP_PKEY_fromdata(ctx, &k, EVP_PKEY_PUBLIC_KEY, params), 1);
	assert_int_equal(jws_thumbprint(k, &tp, &err), 0);
	assert_string_equal(tp, "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");
	mem_free(tp);
	mem_free(nb);
	BN_free(n);
	BN_free(be);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(k);
}

static void
test_eab_hmac(void **state)
{
	static const unsigned char hk[] = "0123456789abcdef0123456789abcdef";
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	unsigned char mac[EVP_MAX_MD_SIZE], *sig;
	size_t maclen, siglen, n;
	struct s2s_err err = { 0 };
	json_t *eab, *prot, *pay, *jwk;
	char input[4096];

	assert_int_equal(jws_eab_new("kid-42", hk, 32, k, "https://ca.example/new-acct", &eab,
	    &err), 0);
	prot = b64json(json_string_value(json_object_get(eab, "protected")));
	assert_string_equal(json_string_value(json_object_get(prot, "alg")), "HS256");
	assert_string_equal(json_string_value(json_object_get(prot, "kid")), "kid-42");
	assert_string_equal(json_string_value(json_object_get(prot, "url")),
	    "https://ca.example/new-acct");
	pay = b64json(json_string_value(json_object_get(eab, "payload")));
	jwk = jws_jwk_new(k, &err);
	assert_true(json_equal(pay, jwk));	/* the payload is the account's JWK */
	n = (size_t)snprintf(input, sizeof(input), "%s.%s",
	    json_string_value(json_object_get(eab, "protected")),
	    json_string_value(json_object_get(eab, "payload")));
	assert_non_null(EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, hk, 32,
	    (unsigned char *)input, n, mac, sizeof(mac), &maclen));
	assert_int_equal(b64url_decode(json_string_value(json_object_get(eab, "signature")), &sig,
	    &siglen), 0);
	assert_int_equal(siglen, maclen);
	assert_memory_equal(sig, mac, maclen);
	mem_free(sig);
	json_decref(eab);
	json_decref(prot);
	json_decref(pay);
	json_decref(jwk);
	EVP_PKEY_free(k);
}

/* A private JWK as certbot writes private_key.json. */
static char *
certbot_jwk_of(EVP_PKEY *k, const char *drop, const char *kty)
{
	static const char *const m[][2] = {
		{ "n", OSSL_PKEY_PARAM_RSA_N }, { "e", OSSL_PKEY_PARAM_RSA_E },
		{ "d", OSSL_PKEY_PARAM_RSA_D }, { "p", OSSL_PKEY_PARAM_RSA_FACTOR1 },
		{ "q", OSSL_PKEY_PARAM_RSA_FACTOR2 }, { "dp", OSSL_PKEY_PARAM_RSA_EXPONENT1 },
		{ "dq", OSSL_PKEY_PARAM_RSA_EXPONENT2 }, { "qi", OSSL_PKEY_PARAM_RSA_COEFFICIENT1 },
	};
	json_t *j = json_pack("{s:s}", "kty", kty);
	unsigned char buf[1024];
	char *s, *text;
	size_t i;

	for (i = 0; i < 8; i++) {
		BIGNUM *bn = NULL;
		int len;

		assert_int_equal(EVP_PKEY_get_bn_param(k, m[i][1], &bn), 1);
		len = BN_bn2bin(bn, buf);
		s = b64url_encode(buf, (size_t)len);
		if (drop == NULL || strcmp(drop, m[i][0]) != 0)
			json_object_set_new(j, m[i][0], json_string(s));
		mem_free(s);
		BN_free(bn);
	}
	text = json_dumps(j, 0);
	json_decref(j);
	return text;
}

static void
test_jwk_import(void **state)
{
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048), *got = NULL;
	struct s2s_err err = { 0 };
	char *text = certbot_jwk_of(k, NULL, "RSA");

	assert_int_equal(account_jwk_parse(text, strlen(text), "private_key.json", &got, &err), 0);
	assert_int_equal(EVP_PKEY_eq(k, got), 1);
	assert_string_equal(jws_alg(got), "RS256");
	EVP_PKEY_free(got);
	free(text);

	text = certbot_jwk_of(k, "qi", "RSA");
	assert_int_equal(account_jwk_parse(text, strlen(text), "pk.json", &got, &err), S2S_EPARSE);
	assert_null(got);
	assert_non_null(strstr(err.msg, "pk.json: JWK member \"qi\" missing"));
	free(text);

	text = certbot_jwk_of(k, NULL, "EC");
	assert_int_equal(account_jwk_parse(text, strlen(text), "pk.json", &got, &err), S2S_EPARSE);
	assert_non_null(strstr(err.msg, "not an RSA JWK"));
	free(text);

	assert_int_equal(account_jwk_parse("{\"kty\":", 7, "pk.json", &got, &err), S2S_EPARSE);
	assert_non_null(strstr(err.msg, "pk.json: not JSON"));
	EVP_PKEY_free(k);
}

static void
test_jwk_inconsistent_key_refused(void **state)
{
	EVP_PKEY *a = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	EVP_PKEY *b = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048), *got = NULL;
	char *ta = certbot_jwk_of(a, NULL, "RSA"), *tb = certbot_jwk_of(b, NULL, "RSA");
	json_t *ja = json_loads(ta, 0, NULL), *jb = json_loads(tb, 0, NULL);
	struct s2s_err err = { 0 };
	const char *d;
	char *mixed;

	json_object_set(ja, "d", json_object_get(jb, "d"));	/* d of another key */
	d = json_string_value(json_object_get(jb, "d"));
	mixed = json_dumps(ja, 0);
	assert_int_equal(account_jwk_parse(mixed, strlen(mixed), "pk.json", &got, &err), S2S_EPARSE);
	assert_null(got);
	assert_null(strstr(err.msg, d));		/* never key bytes in messages */
	assert_null(strstr(err.msg, "AQAB"));
	free(mixed);
	free(ta);
	free(tb);
	json_decref(ja);
	json_decref(jb);
	EVP_PKEY_free(a);
	EVP_PKEY_free(b);
}

static void
test_b64url(void **state)
{
	unsigned char *out;
	size_t len;
	char *s = b64url_encode((const unsigned char *)"\xfb\xff\x01", 3);

	assert_string_equal(s, "-_8B");
	mem_free(s);
	s = b64url_encode((const unsigned char *)"ab", 2);
	assert_string_equal(s, "YWI");			/* no padding */
	assert_int_equal(b64url_decode(s, &out, &len), 0);
	assert_int_equal(len, 2);
	assert_memory_equal(out, "ab", 2);
	mem_free(out);
	mem_free(s);
	assert_int_equal(b64url_decode("+/8B", &out, &len), S2S_EPARSE);	/* not url alphabet */
	assert_int_equal(b64url_decode("A", &out, &len), S2S_EPARSE);
	assert_int_equal(b64url_decode("a$b=", &out, &len), S2S_EPARSE);
}

static void
test_dns01_auth(void **state)
{
	struct s2s_err err = { 0 };
	unsigned char md[32];
	char *auth, *want;

	assert_int_equal(challenge_auth_new("http-01", "tok", "thumb", &auth, &err), 0);
	assert_string_equal(auth, "tok.thumb");
	mem_free(auth);
	assert_int_equal(challenge_auth_new("dns-01", "tok", "thumb", &auth, &err), 0);
	SHA256((const unsigned char *)"tok.thumb", 9, md);
	want = b64url_encode(md, 32);
	assert_string_equal(auth, want);
	assert_int_equal(strlen(auth), 43);
	mem_free(auth);
	mem_free(want);
}

static void
test_csr(void **state)
{
	static const char *const names[] = { "xmpp.example.org", "conference.xmpp.example.org" };
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	struct s2s_err err = { 0 };
	const unsigned char *p;
	unsigned char *der;
	STACK_OF(X509_EXTENSION) *exts;
	GENERAL_NAMES *gens;
	X509_REQ *req;
	size_t len;

	assert_int_equal(order_csr_new(k, names, 2, &der, &len, &err), 0);
	p = der;
	assert_non_null(req = d2i_X509_REQ(NULL, &p, (long)len));
	assert_int_equal(X509_REQ_verify(req, k), 1);
	exts = X509_REQ_get_extensions(req);
	gens = X509V3_get_d2i(exts, NID_subject_alt_name, NULL, NULL);
	assert_int_equal(sk_GENERAL_NAME_num(gens), 2);
	assert_string_equal((const char *)ASN1_STRING_get0_data(sk_GENERAL_NAME_value(gens, 1)->d.dNSName),
	    "conference.xmpp.example.org");
	GENERAL_NAMES_free(gens);
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	X509_REQ_free(req);
	mem_free(der);
	EVP_PKEY_free(k);
}

/* RFC 8555 §7.1.4: which authorization identifiers belong to an order. */
static void
test_ident_ordered(void **state)
{
	static const char *const names[] = { "xmpp.Example.org", "*.muc.example.org" };

	assert_true(order_ident_ordered(names, 2, "XMPP.example.ORG", 0));
	assert_true(order_ident_ordered(names, 2, "muc.example.org", 1));
	/* the wildcard flag must match the ordered name's kind */
	assert_false(order_ident_ordered(names, 2, "xmpp.example.org", 1));
	assert_false(order_ident_ordered(names, 2, "muc.example.org", 0));
	assert_false(order_ident_ordered(names, 2, "*.muc.example.org", 0));
	assert_false(order_ident_ordered(names, 2, "*.muc.example.org", 1));
	/* no prefix, suffix, trailing dot or appended text */
	assert_false(order_ident_ordered(names, 2, "xmpp.example.org.", 0));
	assert_false(order_ident_ordered(names, 2, "xmpp.example.or", 0));
	assert_false(order_ident_ordered(names, 2, "xmpp.example.org$(id)\nevil", 0));
	assert_false(order_ident_ordered(names, 2, "", 0));
	assert_false(order_ident_ordered(names, 0, "xmpp.example.org", 0));
}

static void
test_account_paths(void **state)
{
	struct s2s_err err = { 0 };
	char buf[256];

	assert_int_equal(account_certbot_server_path("https://localhost:14000/dir", buf,
	    sizeof(buf), &err), 0);
	assert_string_equal(buf, "localhost:14000/dir");
	assert_int_equal(account_certbot_server_path(
	    "https://acme-v02.api.letsencrypt.org/directory", buf, sizeof(buf), &err), 0);
	assert_string_equal(buf, "acme-v02.api.letsencrypt.org/directory");
	assert_int_equal(account_acmesh_server_path("https://localhost:14000/dir", buf,
	    sizeof(buf), &err), 0);
	assert_string_equal(buf, "localhost/dir");
	assert_int_equal(account_certbot_server_path("http://ca.example/dir", buf, sizeof(buf),
	    &err), S2S_EINVAL);
	assert_int_equal(account_certbot_server_path("https://ca.example/../../etc", buf,
	    sizeof(buf), &err), S2S_EINVAL);
}

static void
test_certbot_renewal_conf(void **state)
{
	static const char conf[] =
	    "# renew_before_expiry = 30 days\n"
	    "version = 2.1.0\n"
	    "archive_dir = /etc/letsencrypt/archive/xmpp.example.org\n"
	    "cert = /etc/letsencrypt/live/xmpp.example.org/cert.pem\n"
	    "\n"
	    "# Options used in the renewal process\n"
	    "[renewalparams]\n"
	    "account = 394d2d82decb9fefe861810ff1198eb7\n"
	    "authenticator = webroot\n"
	    "webroot_path = /var/www/a,\n"
	    "server = https://acme-v02.api.letsencrypt.org/directory\n"
	    "key_type = ecdsa\n"
	    "[[webroot_map]]\n"
	    "xmpp.example.org = /var/www/a\n"
	    "conference.xmpp.example.org = /var/www/b\n";
	static const char acmesh[] =
	    "Le_Domain='xmpp.example.org'\n"
	    "Le_Alt='no'\n"
	    "Le_Webroot='/var/www/a'\n"
	    "Le_API='https://acme-v02.api.letsencrypt.org/directory'\n"
	    "Le_ReloadCmd='__ACME_BASE64__START_cHJvc29keWN0bCByZWxvYWQ=__ACME_BASE64__END_'\n";
	static char longline[2200];
	struct conf_kv *kv;
	struct s2s_err err = { 0 };

	assert_int_equal(conf_kv_parse(conf, "renewal.conf", &kv, &err), 0);
	assert_string_equal(conf_kv_get(kv, "", "archive_dir"),
	    "/etc/letsencrypt/archive/xmpp.example.org");
	assert_string_equal(conf_kv_get(kv, "renewalparams", "account"),
	    "394d2d82decb9fefe861810ff1198eb7");
	assert_string_equal(conf_kv_get(kv, "webroot_map", "conference.xmpp.example.org"),
	    "/var/www/b");
	assert_null(conf_kv_get(kv, "renewalparams", "missing"));
	conf_kv_free(kv);
	assert_int_equal(conf_kv_parse(acmesh, "x.conf", &kv, &err), 0);
	assert_string_equal(conf_kv_get(kv, "", "Le_Webroot"), "/var/www/a");
	conf_kv_free(kv);
	/* a line longer than inih's buffer (a long Le_ReloadCmd) is skipped, not split */
	memset(longline, 'A', sizeof(longline));
	memcpy(longline, "Le_ReloadCmd='", 14);
	snprintf(longline + 1500, sizeof(longline) - 1500, "'\n%s", acmesh);
	assert_int_equal(conf_kv_parse(longline, "x.conf", &kv, &err), 0);
	assert_int_equal(conf_kv_count(kv), 5);		/* only the short lines */
	assert_string_equal(conf_kv_get(kv, "", "Le_ReloadCmd"),
	    "__ACME_BASE64__START_cHJvc29keWN0bCByZWxvYWQ=__ACME_BASE64__END_");
	assert_string_equal(conf_kv_get(kv, "", "Le_Webroot"), "/var/www/a");
	assert_string_equal(conf_kv_get(kv, "", "Le_API"),
	    "https://acme-v02.api.letsencrypt.org/directory");
	conf_kv_free(kv);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_jws_es256),
		cmocka_unit_test(test_jws_es384),
		cmocka_unit_test(test_jws_rs256),
		cmocka_unit_test(test_jws_refuses_weak_keys),
		cmocka_unit_test(test_thumbprint_rfc7638),
		cmocka_unit_test(test_eab_hmac),
		cmocka_unit_test(test_jwk_import),
		cmocka_unit_test(test_jwk_inconsistent_key_refused),
		cmocka_unit_test(test_b64url),
		cmocka_unit_test(test_dns01_auth),
		cmocka_unit_test(test_csr),
		cmocka_unit_test(test_ident_ordered),
		cmocka_unit_test(test_account_paths),
		cmocka_unit_test(test_certbot_renewal_conf),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
