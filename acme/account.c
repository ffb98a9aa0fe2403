/*
 * account.c: account import; see account.h. Key bytes never reach a
 * message: errors name the file and the member, not the value.
 */
#include <string.h>

#include <jansson.h>
#include <openssl/core_names.h>
#include <openssl/param_build.h>

#include "account.h"
#include "cert.h"
#include "conf_kv.h"
#include "jws.h"
#include "mem.h"

static const char *const rsa_members[][2] = {
	{ "n", OSSL_PKEY_PARAM_RSA_N }, { "e", OSSL_PKEY_PARAM_RSA_E },
	{ "d", OSSL_PKEY_PARAM_RSA_D }, { "p", OSSL_PKEY_PARAM_RSA_FACTOR1 },
	{ "q", OSSL_PKEY_PARAM_RSA_FACTOR2 }, { "dp", OSSL_PKEY_PARAM_RSA_EXPONENT1 },
	{ "dq", OSSL_PKEY_PARAM_RSA_EXPONENT2 }, { "qi", OSSL_PKEY_PARAM_RSA_COEFFICIENT1 },
};
#define NMEMBERS (sizeof(rsa_members) / sizeof(rsa_members[0]))

static BIGNUM *
jwk_bn(json_t *jwk, const char *name)
{
	const char *s = json_string_value(json_object_get(jwk, name));
	unsigned char *bin;
	size_t len;
	BIGNUM *bn;

	if (s == NULL || b64url_decode(s, &bin, &len) != 0)
		return NULL;
	bn = len > 0 ? BN_bin2bn(bin, (int)len, NULL) : NULL;
	OPENSSL_cleanse(bin, len);
	mem_free(bin);
	return bn;
}

static int
rsa_from_bns(BIGNUM **bn, EVP_PKEY **out)
{
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	size_t i;
	int ok = bld != NULL;

	for (i = 0; ok && i < NMEMBERS; i++)
		ok = OSSL_PARAM_BLD_push_BN(bld, rsa_members[i][1], bn[i]) == 1;
	ok = ok && (params = OSSL_PARAM_BLD_to_param(bld)) != NULL &&
	    (ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL)) != NULL &&
	    EVP_PKEY_fromdata_init(ctx) == 1 &&
	    EVP_PKEY_fromdata(ctx, out, EVP_PKEY_KEYPAIR, params) == 1;
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	EVP_PKEY_CTX_free(ctx);
	return ok ? 0 : -1;
}

static int
rsa_check(EVP_PKEY *k)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, k, NULL);
	int ok = ctx != NULL && EVP_PKEY_pairwise_check(ctx) == 1;

	EVP_PKEY_CTX_free(ctx);
	return ok ? 0 : -1;
}

int
account_jwk_parse(const char *text, size_t len, const char *what, EVP_PKEY **out,
    struct s2s_err *err)
{
	BIGNUM *bn[NMEMBERS] = { 0 };
	json_error_t je;
	json_t *jwk;
	size_t i;
	int rc = 0;

	*out = NULL;
	if ((jwk = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je)) == NULL)
		return err_set(err, S2S_EPARSE, "%s: not JSON (line %d: %s)", what, je.line, je.text);
	if (!json_is_object(jwk) ||
	    strcmp(json_string_value(json_object_get(jwk, "kty")) ?: "", "RSA") != 0) {
		rc = err_set(err, S2S_EPARSE, "%s: not an RSA JWK (kty must be \"RSA\")", what);
		goto out;
	}
	for (i = 0; i < NMEMBERS; i++)
		if ((bn[i] = jwk_bn(jwk, rsa_members[i][0])) == NULL) {
			rc = err_set(err, S2S_EPARSE, "%s: JWK member \"%s\" missing or not base64url",
			    what, rsa_members[i][0]);
			goto out;
		}
	if (rsa_from_bns(bn, out) != 0 || rsa_check(*out) != 0) {
		EVP_PKEY_free(*out);
		*out = NULL;
		rc = err_ssl(err, S2S_EPARSE, "%s: JWK is not a consistent RSA private key", what);
	}
out:
	for (i = 0; i < NMEMBERS; i++)
		BN_clear_free(bn[i]);
	json_decref(jwk);
	return rc;
}

/* Split "https://host[:port]/path" into host[:port] and path (without '/'). */
static int
url_split(const char *url, const char **host, size_t *hostlen, const char **path,
    struct s2s_err *err)
{
	const char *p;

	if (strncmp(url, "https://", 8) != 0)
		return err_set(err, S2S_EINVAL, "%s: ACME server URL must start with https://", url);
	*host = url + 8;
	p = strchr(*host, '/');
	*hostlen = p ? (size_t)(p - *host) : strlen(*host);
	*path = p ? p + 1 : "";
	if (*hostlen == 0 || memchr(*host, '@', *hostlen) != NULL)
		return err_set(err, S2S_EINVAL, "%s: bad host in ACME server URL", url);
	if (strstr(*path, "..") != NULL)
		return err_set(err, S2S_EINVAL, "%s: bad path in ACME server URL", url);
	return 0;
}

int
account_certbot_server_path(const char *server, char *buf, size_t bufsz, struct s2s_err *err)
{
	const char *host, *path;
	size_t hostlen;
	int n;

	if (url_split(server, &host, &hostlen, &path, err) != 0)
		return err->code;
	n = snprintf(buf, bufsz, "%.*s/%s", (int)hostlen, host, path);
	if (n < 0 || (size_t)n >= bufsz)
		return err_set(err, S2S_ETOOBIG, "%s: URL too long", server);
	return 0;
}

int
account_acmesh_server_path(const char *server, char *buf, size_t bufsz, struct s2s_err *err)
{
	const char *host, *path, *colon;
	size_t hostlen;
	int n;

	if (url_split(server, &host, &hostlen, &path, err) != 0)
		return err->code;
	if ((colon = memchr(host, ':', hostlen)) != NULL)
		hostlen = (size_t)(colon - host);
	n = snprintf(buf, bufsz, "%.*s/%s", (int)hostlen, host, path);
	if (n < 0 || (size_t)n >= bufsz)
		return err_set(err, S2S_ETOOBIG, "%s: URL too long", server);
	return 0;
}

static int
path_join(char *buf, size_t bufsz, const char *dir, const char *name, struct s2s_err *err)
{
	int n = snprintf(buf, bufsz, "%s/%s", dir, name);

	if (n < 0 || (size_t)n >= bufsz)
		return err_set(err, S2S_ETOOBIG, "%s/%s: path too long", dir, name);
	return 0;
}

static int
certbot_regr_uri(const char *path, char **out, struct s2s_err *err)
{
	unsigned char *data;
	json_error_t je;
	const char *uri;
	size_t len;
	json_t *j;
	int rc;

	if ((rc = cert_read_file(path, ACCOUNT_MAX_FILE, &data, &len, err)) != 0)
		return rc;
	j = json_loadb((char *)data, len, 0, &je);
	mem_free(data);
	if (j == NULL)
		return err_set(err, S2S_EPARSE, "%s: not JSON (line %d: %s)", path, je.line, je.text);
	uri = json_string_value(json_object_get(j, "uri"));
	if (uri == NULL || strncmp(uri, "https://", 8) != 0)
		rc = err_set(err, S2S_EPARSE, "%s: no \"uri\" with the account URL", path);
	else if ((*out = mem_strdup(uri)) == NULL)
		rc = err_set(err, S2S_ENOMEM, "out of memory");
	json_decref(j);
	return rc;
}

int
account_load_certbot(const char *config_dir, const char *server, const char *id,
    struct acme_account *a, struct s2s_err *err)
{
	char sp[512], dir[1024], path[1200];
	unsigned char *data = NULL;
	size_t len = 0;
	int rc;

	memset(a, 0, sizeof(*a));
	if (id == NULL || id[0] == '\0' || strchr(id, '/') != NULL || strstr(id, ".."))
		return err_set(err, S2S_EINVAL, "certbot account id \"%s\" is not valid", id ? id : "");
	if ((rc = account_certbot_server_path(server, sp, sizeof(sp), err)) != 0)
		return rc;
	if (snprintf(dir, sizeof(dir), "%s/accounts/%s/%s", config_dir, sp, id) >= (int)sizeof(dir))
		return err_set(err, S2S_ETOOBIG, "%s: path too long", config_dir);
	if ((rc = path_join(path, sizeof(path), dir, "private_key.json", err)) != 0 ||
	    (rc = cert_read_file(path, ACCOUNT_MAX_FILE, &data, &len, err)) != 0)
		return rc;
	rc = account_jwk_parse((char *)data, len, path, &a->key, err);
	OPENSSL_cleanse(data, len);
	mem_free(data);
	if (rc != 0)
		return rc;
	if ((rc = path_join(path, sizeof(path), dir, "regr.json", err)) != 0 ||
	    (rc = certbot_regr_uri(path, &a->url, err)) != 0) {
		account_clear(a);
		return rc;
	}
	snprintf(a->source, sizeof(a->source), "certbot");
	snprintf(a->dir, sizeof(a->dir), "%s", dir);
	return 0;
}

int
account_load_acmesh(const char *ca_dir, struct acme_account *a, struct s2s_err *err)
{
	char path[1200];
	struct conf_kv *kv = NULL;
	const char *url;
	int rc;

	memset(a, 0, sizeof(*a));
	if ((rc = path_join(path, sizeof(path), ca_dir, "account.key", err)) != 0 ||
	    (rc = cert_key_load(path, &a->key, err)) != 0)
		return rc;
	if ((rc = path_join(path, sizeof(path), ca_dir, "ca.conf", err)) != 0 ||
	    (rc = conf_kv_load(path, &kv, err)) != 0)
		goto fail;
	url = conf_kv_get(kv, "", "ACCOUNT_URL");
	if (url == NULL || strncmp(url, "https://", 8) != 0) {
		rc = err_set(err, S2S_EPARSE, "%s: no ACCOUNT_URL", path);
		goto fail;
	}
	if ((a->url = mem_strdup(url)) == NULL) {
		rc = err_set(err, S2S_ENOMEM, "out of memory");
		goto fail;
	}
	conf_kv_free(kv);
	snprintf(a->source, sizeof(a->source), "acme.sh");
	snprintf(a->dir, sizeof(a->dir), "%s", ca_dir);
	return 0;
fail:
	conf_kv_free(kv);
	account_clear(a);
	return rc;
}

int
account_load_key(const char *path, struct acme_account *a, struct s2s_err *err)
{
	int rc;

	memset(a, 0, sizeof(*a));
	if ((rc = cert_key_load(path, &a->key, err)) != 0)
		return rc;
	if (jws_alg(a->key) == NULL) {
		account_clear(a);
		return err_set(err, S2S_EINVAL, "%s: unsupported account key type (need RSA >= 2048 "
		    "or EC P-256/P-384/P-521)", path);
	}
	snprintf(a->source, sizeof(a->source), "key-file");
	snprintf(a->dir, sizeof(a->dir), "%s", path);
	return 0;
}

void
account_clear(struct acme_account *a)
{
	EVP_PKEY_free(a->key);
	mem_free(a->url);
	memset(a, 0, sizeof(*a));
}
