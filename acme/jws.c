/*
 * jws.c: see jws.h. Base64 is OpenSSL's; only the url alphabet and the
 * padding are adjusted here.
 */
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>

#include "jws.h"
#include "mem.h"

char *
b64url_encode(const unsigned char *data, size_t len)
{
	size_t cap = 4 * ((len + 2) / 3) + 1, i, n;
	char *s;

	if (len > (1u << 28) || (s = mem_alloc(cap)) == NULL)
		return NULL;
	n = (size_t)EVP_EncodeBlock((unsigned char *)s, data, (int)len);
	while (n > 0 && s[n - 1] == '=')
		n--;
	s[n] = '\0';
	for (i = 0; i < n; i++) {
		if (s[i] == '+')
			s[i] = '-';
		else if (s[i] == '/')
			s[i] = '_';
	}
	return s;
}

int
b64url_decode(const char *in, unsigned char **out, size_t *outlen)
{
	size_t n = strlen(in), i, pad;
	unsigned char *std, *buf;
	int got;

	*out = NULL;
	*outlen = 0;
	while (n > 0 && in[n - 1] == '=')
		n--;
	if (n % 4 == 1 || n > (1u << 28))
		return S2S_EPARSE;
	pad = (4 - n % 4) % 4;
	if ((std = mem_alloc(n + pad + 1)) == NULL)
		return S2S_ENOMEM;
	for (i = 0; i < n; i++) {
		char c = in[i];

		if (c == '+' || c == '/')
			c = '!';		/* not base64url: make it fail */
		std[i] = c == '-' ? '+' : c == '_' ? '/' : (unsigned char)c;
	}
	memset(std + n, '=', pad);
	std[n + pad] = '\0';
	if ((buf = mem_alloc((n + pad) / 4 * 3 + 1)) == NULL) {
		mem_free(std);
		return S2S_ENOMEM;
	}
	got = n + pad == 0 ? 0 : EVP_DecodeBlock(buf, std, (int)(n + pad));
	mem_free(std);
	if (got < 0 || (size_t)got < pad) {
		mem_free(buf);
		return S2S_EPARSE;
	}
	*out = buf;
	*outlen = (size_t)got - pad;
	return 0;
}

static int
ec_size(EVP_PKEY *key)
{
	char group[32];
	size_t glen = 0;

	if (EVP_PKEY_get_group_name(key, group, sizeof(group), &glen) != 1)
		return 0;
	if (strcmp(group, "prime256v1") == 0 || strcmp(group, "P-256") == 0)
		return 32;
	if (strcmp(group, "secp384r1") == 0 || strcmp(group, "P-384") == 0)
		return 48;
	if (strcmp(group, "secp521r1") == 0 || strcmp(group, "P-521") == 0)
		return 66;
	return 0;
}

const char *
jws_alg(EVP_PKEY *key)
{
	if (EVP_PKEY_is_a(key, "RSA"))
		return EVP_PKEY_get_bits(key) >= 2048 ? "RS256" : NULL;
	if (EVP_PKEY_is_a(key, "EC")) {
		switch (ec_size(key)) {
		case 32: return "ES256";
		case 48: return "ES384";
		case 66: return "ES512";
		}
	}
	return NULL;
}

static const EVP_MD *
alg_md(const char *alg)
{
	if (strcmp(alg + 2, "384") == 0)
		return EVP_sha384();
	if (strcmp(alg + 2, "512") == 0)
		return EVP_sha512();
	return EVP_sha256();
}

static int
json_set_bn(json_t *o, const char *name, const BIGNUM *bn, int width)
{
	unsigned char buf[1024];
	int n = width > 0 ? width : BN_num_bytes(bn);
	char *s;

	if (n <= 0 || n > (int)sizeof(buf) || BN_bn2binpad(bn, buf, n) != n)
		return -1;
	if ((s = b64url_encode(buf, (size_t)n)) == NULL)
		return -1;
	n = json_object_set_new(o, name, json_string(s));
	mem_free(s);
	return n;
}

static int
jwk_fill(json_t *jwk, EVP_PKEY *key)
{
	BIGNUM *a = NULL, *b = NULL;
	int rc = -1, w;

	if (EVP_PKEY_is_a(key, "RSA")) {
		if (EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_RSA_E, &a) != 1 ||
		    EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_RSA_N, &b) != 1)
			goto out;
		rc = json_set_bn(jwk, "e", a, 0) | json_object_set_new(jwk, "kty", json_string("RSA")) |
		    json_set_bn(jwk, "n", b, 0);
	} else if ((w = ec_size(key)) > 0) {
		if (EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_EC_PUB_X, &a) != 1 ||
		    EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_EC_PUB_Y, &b) != 1)
			goto out;
		rc = json_object_set_new(jwk, "crv", json_string(w == 32 ? "P-256" :
		    w == 48 ? "P-384" : "P-521")) |
		    json_object_set_new(jwk, "kty", json_string("EC")) |
		    json_set_bn(jwk, "x", a, w) | json_set_bn(jwk, "y", b, w);
	}
out:
	BN_free(a);
	BN_free(b);
	return rc == 0 ? 0 : -1;
}

json_t *
jws_jwk_new(EVP_PKEY *key, struct s2s_err *err)
{
	json_t *jwk = json_object();

	if (jwk == NULL || jws_alg(key) == NULL || jwk_fill(jwk, key) != 0) {
		json_decref(jwk);
		err_ssl(err, S2S_EINVAL, "account key: unsupported type (need RSA >= 2048 "
		    "or EC P-256/P-384/P-521)");
		return NULL;
	}
	return jwk;
}

int
jws_thumbprint(EVP_PKEY *key, char **out, struct s2s_err *err)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	json_t *jwk;
	char *text;
	int ok;

	*out = NULL;
	if ((jwk = jws_jwk_new(key, err)) == NULL)
		return err->code;
	text = json_dumps(jwk, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(jwk);
	if (text == NULL)
		return err_set(err, S2S_ENOMEM, "out of memory");
	ok = EVP_Digest(text, strlen(text), md, &mdlen, EVP_sha256(), NULL);
	free(text);
	if (!ok || (*out = b64url_encode(md, mdlen)) == NULL)
		return err_ssl(err, S2S_ENOMEM, "cannot compute the JWK thumbprint");
	return 0;
}

/* DER ECDSA-Sig-Value -> r||s, each padded to the curve size (RFC 7518 §3.4). */
static int
ecdsa_raw(const unsigned char *der, size_t derlen, int w, unsigned char *out)
{
	const unsigned char *p = der;
	ECDSA_SIG *s = d2i_ECDSA_SIG(NULL, &p, (long)derlen);
	int ok;

	if (s == NULL)
		return -1;
	ok = BN_bn2binpad(ECDSA_SIG_get0_r(s), out, w) == w &&
	    BN_bn2binpad(ECDSA_SIG_get0_s(s), out + w, w) == w;
	ECDSA_SIG_free(s);
	return ok ? 0 : -1;
}

int
jws_sign(EVP_PKEY *key, const unsigned char *in, size_t len, unsigned char **sig,
    size_t *siglen, struct s2s_err *err)
{
	const char *alg = jws_alg(key);
	EVP_MD_CTX *ctx = NULL;
	unsigned char *der = NULL, *raw = NULL;
	size_t derlen = 0;
	int rc = 0, w;

	*sig = NULL;
	if (alg == NULL)
		return err_set(err, S2S_EINVAL, "account key: unsupported type");
	if ((ctx = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestSignInit(ctx, NULL, alg_md(alg), NULL, key) != 1 ||
	    EVP_DigestSign(ctx, NULL, &derlen, in, len) != 1 ||
	    (der = mem_alloc(derlen)) == NULL ||
	    EVP_DigestSign(ctx, der, &derlen, in, len) != 1) {
		rc = err_ssl(err, S2S_EINVAL, "cannot sign with the account key");
		goto out;
	}
	if (alg[0] == 'R') {
		*sig = der;
		*siglen = derlen;
		der = NULL;
		goto out;
	}
	w = ec_size(key);
	if ((raw = mem_alloc((size_t)w * 2)) == NULL || ecdsa_raw(der, derlen, w, raw) != 0) {
		mem_free(raw);
		rc = err_ssl(err, S2S_EINVAL, "cannot encode the ECDSA signature");
		goto out;
	}
	*sig = raw;
	*siglen = (size_t)w * 2;
out:
	mem_free(der);
	EVP_MD_CTX_free(ctx);
	return rc;
}

/* protected + "." + payload, both already base64url; returns the JWS object. */
static json_t *
jws_assemble(const char *prot64, const char *pay64, const unsigned char *sig, size_t siglen)
{
	char *sig64 = b64url_encode(sig, siglen);
	json_t *o;

	if (sig64 == NULL)
		return NULL;
	o = json_pack("{s:s, s:s, s:s}", "protected", prot64, "payload", pay64,
	    "signature", sig64);
	mem_free(sig64);
	return o;
}

static char *
b64url_json(const json_t *j)
{
	char *text = json_dumps(j, JSON_COMPACT);
	char *s;

	if (text == NULL)
		return NULL;
	s = b64url_encode((unsigned char *)text, strlen(text));
	free(text);
	return s;
}

static json_t *
protected_new(EVP_PKEY *key, const char *kid, const char *nonce, const char *url,
    struct s2s_err *err)
{
	json_t *p = json_pack("{s:s, s:s, s:s}", "alg", jws_alg(key), "nonce", nonce, "url", url);
	json_t *jwk;

	if (p == NULL) {
		err_set(err, S2S_ENOMEM, "out of memory");
		return NULL;
	}
	if (kid != NULL) {
		json_object_set_new(p, "kid", json_string(kid));
		return p;
	}
	if ((jwk = jws_jwk_new(key, err)) == NULL) {
		json_decref(p);
		return NULL;
	}
	json_object_set_new(p, "jwk", jwk);
	return p;
}

int
jws_new(EVP_PKEY *key, const char *kid, const char *nonce, const char *url,
    const json_t *payload, char **out, struct s2s_err *err)
{
	char *prot64 = NULL, *pay64 = NULL, *input = NULL;
	unsigned char *sig = NULL;
	size_t siglen = 0, n;
	json_t *prot = NULL, *jws = NULL;
	int rc;

	*out = NULL;
	if (jws_alg(key) == NULL)
		return err_set(err, S2S_EINVAL, "account key: unsupported type");
	if ((prot = protected_new(key, kid, nonce, url, err)) == NULL)
		return err->code;
	prot64 = b64url_json(prot);
	pay64 = payload ? b64url_json(payload) : mem_strdup("");
	if (prot64 == NULL || pay64 == NULL) {
		rc = err_set(err, S2S_ENOMEM, "out of memory");
		goto out;
	}
	n = strlen(prot64) + strlen(pay64) + 2;
	if ((input = mem_alloc(n)) == NULL) {
		rc = err_set(err, S2S_ENOMEM, "out of memory");
		goto out;
	}
	snprintf(input, n, "%s.%s", prot64, pay64);
	if ((rc = jws_sign(key, (unsigned char *)input, n - 1, &sig, &siglen, err)) != 0)
		goto out;
	if ((jws = jws_assemble(prot64, pay64, sig, siglen)) == NULL ||
	    (*out = json_dumps(jws, JSON_COMPACT)) == NULL)
		rc = err_set(err, S2S_ENOMEM, "out of memory");
out:
	json_decref(prot);
	json_decref(jws);
	mem_free(prot64);
	mem_free(pay64);
	mem_free(input);
	mem_free(sig);
	return rc;
}

int
jws_eab_new(const char *eab_kid, const unsigned char *hmac_key, size_t keylen,
    EVP_PKEY *account_key, const char *url, json_t **out, struct s2s_err *err)
{
	unsigned char mac[EVP_MAX_MD_SIZE];
	size_t maclen = 0, n;
	char *prot64 = NULL, *pay64 = NULL, *input = NULL;
	json_t *prot, *jwk;
	int rc = 0;

	*out = NULL;
	if ((jwk = jws_jwk_new(account_key, err)) == NULL)
		return err->code;
	prot = json_pack("{s:s, s:s, s:s}", "alg", "HS256", "kid", eab_kid, "url", url);
	prot64 = prot ? b64url_json(prot) : NULL;
	pay64 = b64url_json(jwk);
	n = (prot64 ? strlen(prot64) : 0) + (pay64 ? strlen(pay64) : 0) + 2;
	if (prot64 == NULL || pay64 == NULL || (input = mem_alloc(n)) == NULL) {
		rc = err_set(err, S2S_ENOMEM, "out of memory");
		goto out;
	}
	snprintf(input, n, "%s.%s", prot64, pay64);
	if (EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, hmac_key, keylen,
	    (unsigned char *)input, n - 1, mac, sizeof(mac), &maclen) == NULL) {
		rc = err_ssl(err, S2S_EINVAL, "cannot compute the EAB HMAC");
		goto out;
	}
	if ((*out = jws_assemble(prot64, pay64, mac, maclen)) == NULL)
		rc = err_set(err, S2S_ENOMEM, "out of memory");
out:
	json_decref(prot);
	json_decref(jwk);
	mem_free(prot64);
	mem_free(pay64);
	mem_free(input);
	return rc;
}
