/*
 * order.c: see order.h.
 */
#include <string.h>

#include <openssl/x509v3.h>

#include "cert.h"
#include "jws.h"
#include "mem.h"
#include "order.h"

static const char *const busy_pending[] = { "pending", NULL };
static const char *const busy_processing[] = { "processing", NULL };

static void
take_str(char **dst, char **src)
{
	mem_free(*dst);
	*dst = *src;
	*src = NULL;
}

static json_t *
order_payload(const struct order_req *req, int with_replaces)
{
	json_t *p = json_object(), *ids = json_array();
	size_t i;

	if (p == NULL || ids == NULL) {
		json_decref(p);
		json_decref(ids);
		return NULL;
	}
	for (i = 0; i < req->nnames; i++)
		json_array_append_new(ids, json_pack("{s:s, s:s}", "type", "dns",
		    "value", req->names[i]));
	json_object_set_new(p, "identifiers", ids);
	if (req->profile != NULL)
		json_object_set_new(p, "profile", json_string(req->profile));
	if (with_replaces && req->replaces != NULL)
		json_object_set_new(p, "replaces", json_string(req->replaces));
	return p;
}

static int
order_create(struct acme *a, const struct order_req *req, struct order_result *res,
    json_t **order, struct s2s_err *err)
{
	const char *url = acme_dir_url(a, "newOrder"), *echo;
	int with_replaces = req->replaces != NULL, rc;
	struct http_resp r;
	json_t *p;

	for (;;) {
		if ((p = order_payload(req, with_replaces)) == NULL)
			return err_set(err, S2S_ENOMEM, "out of memory");
		rc = acme_post(a, url, p, 0, &r, order, err);
		json_decref(p);
		if (rc == 0)
			break;
		if (with_replaces && strcmp(acme_problem_type(a), "alreadyReplaced") == 0) {
			log_msg(a->log, LOG_WARNING, "the CA says the certificate was already "
			    "replaced (%s); ordering again without \"replaces\"", err->msg);
			with_replaces = 0;
			res->replaces_dropped = 1;
			continue;
		}
		/* a CA that did not issue the certificate (another CA's, pebble
		 * 2.6 in Debian 13: "no known issuer matches the provided
		 * Authority Key Identifier") refuses "replaces" as malformed */
		if (with_replaces && strcmp(acme_problem_type(a), "malformed") == 0) {
			log_msg(a->log, LOG_INFO, "the CA does not know the certificate "
			    "to replace (%s); ordering again without \"replaces\"", err->msg);
			with_replaces = 0;
			res->replaces_dropped = 1;
			continue;
		}
		if (strcmp(acme_problem_type(a), "invalidProfile") == 0)
			err_prefix(err, "the CA refused profile \"%s\"", req->profile ? req->profile : "");
		return rc;
	}
	res->replaces_sent = with_replaces;
	if (r.location == NULL || strncmp(r.location, "https://", 8) != 0)
		rc = err_set(err, S2S_EPROTO, "%s: newOrder answer has no https Location "
		    "(HTTP %ld)", url, r.status);
	else
		take_str(&res->order_url, &r.location);
	if ((echo = json_string_value(json_object_get(*order, "profile"))) != NULL)
		snprintf(res->profile_echo, sizeof(res->profile_echo), "%s", echo);
	http_resp_clear(&r);
	if (rc != 0) {
		json_decref(*order);
		*order = NULL;
	}
	return rc;
}

/* "TYPE: detail" of an embedded problem (challenge or order "error"). */
static void
problem_text(const json_t *p, char *buf, size_t bufsz)
{
	const char *t = json_string_value(json_object_get(p, "type")) ?: "(no type)";
	const char *d = json_string_value(json_object_get(p, "detail")) ?: "(no detail)";
	size_t i;

	if (strncmp(t, ACME_PROBLEM_PREFIX, strlen(ACME_PROBLEM_PREFIX)) == 0)
		t += strlen(ACME_PROBLEM_PREFIX);
	snprintf(buf, bufsz, "%s: %s", t, d);
	for (i = 0; buf[i] != '\0'; i++)
		if ((unsigned char)buf[i] < 0x20)
			buf[i] = ' ';
}

static int
authz_failed(struct acme *a, const char *ident, const json_t *authz, const char *chall_url,
    struct s2s_err *err)
{
	char why[300] = "no error given";
	const json_t *c;
	size_t i;

	json_array_foreach(json_object_get(authz, "challenges"), i, c) {
		const char *u = json_string_value(json_object_get(c, "url"));

		if (u != NULL && chall_url != NULL && strcmp(u, chall_url) == 0 &&
		    json_object_get(c, "error") != NULL) {
			problem_text(json_object_get(c, "error"), why, sizeof(why));
			json_decref(a->problem);
			a->problem = json_incref(json_object_get(c, "error"));
		}
	}
	return err_set(err, S2S_EPROTO, "%s: authorization %s: %s", ident,
	    json_string_value(json_object_get(authz, "status")) ?: "?", why);
}

static int
authz_solve(struct acme *a, const char *url, const json_t *authz, const struct solver *s,
    const char *thumb, struct s2s_err *err)
{
	const char *ident = json_string_value(json_object_get(json_object_get(authz, "identifier"),
	    "value"));
	struct http_resp r;
	struct solved sv;
	json_t *empty = json_object(), *after = NULL, *ch = NULL;
	int rc;

	if (ident == NULL) {
		json_decref(empty);
		return err_set(err, S2S_EPROTO, "%s: authorization has no identifier", url);
	}
	if ((rc = solver_begin(s, ident, json_object_get(authz, "challenges"), thumb, &sv, err)) != 0) {
		json_decref(empty);
		return rc;
	}
	log_msg(a->log, LOG_INFO, "%s: answering %s", ident, sv.type);
	rc = acme_post(a, sv.url, empty, 0, &r, &ch, err);
	json_decref(empty);
	json_decref(ch);
	http_resp_clear(&r);
	if (rc == 0 && (rc = acme_poll(a, url, busy_pending, &after, err)) == 0) {
		if (strcmp(json_string_value(json_object_get(after, "status")), "valid") != 0)
			rc = authz_failed(a, ident, after, sv.url, err);
	}
	json_decref(after);
	solver_end(s, &sv, rc == 0);
	return rc;
}

/* DNS names compare case-insensitively, in ASCII only (RFC 4343). */
static int
dns_name_eq(const char *a, const char *b)
{
	for (; *a != '\0' && *b != '\0'; a++, b++) {
		unsigned char x = (unsigned char)*a, y = (unsigned char)*b;

		if (x >= 'A' && x <= 'Z')
			x = (unsigned char)(x - 'A' + 'a');
		if (y >= 'A' && y <= 'Z')
			y = (unsigned char)(y - 'A' + 'a');
		if (x != y)
			return 0;
	}
	return *a == '\0' && *b == '\0';
}

int
order_ident_ordered(const char *const *names, size_t nnames, const char *value, int wildcard)
{
	size_t i;

	for (i = 0; i < nnames; i++) {
		const char *n = names[i];
		int nwild = strncmp(n, "*.", 2) == 0;

		if (nwild == wildcard && dns_name_eq(nwild ? n + 2 : n, value))
			return 1;
	}
	return 0;
}

/* What the CA sent, shown safely on one line: escapes, at most 64 bytes. */
static void
ident_shown(const char *v, char *buf, size_t bufsz)
{
	size_t i, n = 0;

	for (i = 0; v[i] != '\0' && n + 8 < bufsz; i++) {
		unsigned char c = (unsigned char)v[i];

		if (i == 64) {
			n += (size_t)snprintf(buf + n, bufsz - n, "...");
			break;
		}
		if (c == '\\' || c == '"')
			n += (size_t)snprintf(buf + n, bufsz - n, "\\%c", c);
		else if (c < 0x20 || c >= 0x7f)
			n += (size_t)snprintf(buf + n, bufsz - n, c == '\n' ? "\\n" : "\\x%02x", c);
		else
			buf[n++] = (char)c;
	}
	buf[n] = '\0';
}

/* The CA is not trusted with names: an authorization is for an ordered name. */
static int
authz_ident_check(const struct order_req *req, const char *url, const json_t *authz,
    struct s2s_err *err)
{
	const json_t *id = json_object_get(authz, "identifier");
	const char *type = json_string_value(json_object_get(id, "type"));
	const char *value = json_string_value(json_object_get(id, "value"));
	const json_t *w = json_object_get(authz, "wildcard");
	char shown[300];

	if (type == NULL || strcmp(type, "dns") != 0 || value == NULL)
		return err_set(err, S2S_EPROTO, "%s: the authorization has no dns identifier", url);
	if ((w == NULL || json_is_boolean(w)) && order_ident_ordered(req->names, req->nnames, value, json_is_true(w)))
		return 0;
	ident_shown(value, shown, sizeof(shown));
	return err_set(err, S2S_EPROTO, "%s: the CA sent an authorization for \"%s%s\", which "
	    "is not a name of this order", url, json_is_true(w) ? "*." : "", shown);
}

static int
authz_do(struct acme *a, const char *url, const struct order_req *req, const char *thumb,
    struct order_result *res, struct s2s_err *err)
{
	const struct solver *s = req->solver;
	struct http_resp r;
	json_t *authz;
	const char *st;
	int rc;

	if ((rc = acme_post(a, url, NULL, 0, &r, &authz, err)) != 0)
		return rc;
	http_resp_clear(&r);
	if ((rc = authz_ident_check(req, url, authz, err)) != 0) {
		json_decref(authz);
		return rc;
	}
	st = json_string_value(json_object_get(authz, "status"));
	if (st != NULL && strcmp(st, "valid") == 0)
		res->authz_reused++;
	else if (st != NULL && strcmp(st, "pending") == 0) {
		if ((rc = authz_solve(a, url, authz, s, thumb, err)) == 0)
			res->authz_solved++;
	} else
		rc = authz_failed(a, json_string_value(json_object_get(json_object_get(authz,
		    "identifier"), "value")) ?: url, authz, NULL, err);
	json_decref(authz);
	return rc;
}

static int
san_add(X509_REQ *req, const char *const *names, size_t n)
{
	GENERAL_NAMES *gens = GENERAL_NAMES_new();
	STACK_OF(X509_EXTENSION) *exts = sk_X509_EXTENSION_new_null();
	X509_EXTENSION *ext = NULL;
	size_t i;
	int ok = gens != NULL && exts != NULL;

	for (i = 0; ok && i < n; i++) {
		GENERAL_NAME *g = GENERAL_NAME_new();
		ASN1_IA5STRING *s = ASN1_IA5STRING_new();

		ok = g != NULL && s != NULL && ASN1_STRING_set(s, names[i], -1) == 1;
		if (ok) {
			GENERAL_NAME_set0_value(g, GEN_DNS, s);
			s = NULL;
			ok = sk_GENERAL_NAME_push(gens, g) > 0;
		}
		if (!ok) {
			GENERAL_NAME_free(g);
			ASN1_IA5STRING_free(s);
		}
	}
	ok = ok && (ext = X509V3_EXT_i2d(NID_subject_alt_name, 0, gens)) != NULL &&
	    sk_X509_EXTENSION_push(exts, ext) > 0 && X509_REQ_add_extensions(req, exts) == 1;
	if (!ok || sk_X509_EXTENSION_num(exts) == 0)
		X509_EXTENSION_free(ext);
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	GENERAL_NAMES_free(gens);
	return ok ? 0 : -1;
}

int
order_csr_new(EVP_PKEY *key, const char *const *names, size_t n, unsigned char **der,
    size_t *len, struct s2s_err *err)
{
	X509_REQ *req = X509_REQ_new();
	X509_NAME *subj = X509_NAME_new();
	unsigned char *p;
	int dlen, ok;
	const EVP_MD *md = EVP_PKEY_is_a(key, "ED25519") || EVP_PKEY_is_a(key, "ED448") ?
	    NULL : EVP_sha256();

	*der = NULL;
	ok = req != NULL && subj != NULL && n > 0 && X509_REQ_set_version(req, 0) == 1 &&
	    (strlen(names[0]) > 64 || X509_NAME_add_entry_by_NID(subj, NID_commonName,
	    MBSTRING_UTF8, (const unsigned char *)names[0], -1, -1, 0) == 1) &&
	    X509_REQ_set_subject_name(req, subj) == 1 && X509_REQ_set_pubkey(req, key) == 1 &&
	    san_add(req, names, n) == 0 && X509_REQ_sign(req, key, md) > 0 &&
	    (dlen = i2d_X509_REQ(req, NULL)) > 0 && (*der = mem_alloc((size_t)dlen)) != NULL;
	if (ok) {
		p = *der;
		*len = (size_t)i2d_X509_REQ(req, &p);
	}
	X509_NAME_free(subj);
	X509_REQ_free(req);
	if (!ok) {
		mem_free(*der);
		*der = NULL;
		return err_ssl(err, S2S_EINVAL, "cannot build the certificate signing request");
	}
	return 0;
}

static int
order_finalize(struct acme *a, const struct order_req *req, const json_t *order,
    struct s2s_err *err)
{
	const char *url = json_string_value(json_object_get(order, "finalize"));
	unsigned char *der;
	struct http_resp r;
	json_t *p, *o = NULL;
	size_t len;
	char *csr;
	int rc;

	if (url == NULL)
		return err_set(err, S2S_EPROTO, "the order has no \"finalize\" URL");
	if ((rc = order_csr_new(req->cert_key, req->names, req->nnames, &der, &len, err)) != 0)
		return rc;
	csr = b64url_encode(der, len);
	mem_free(der);
	if (csr == NULL || (p = json_pack("{s:s}", "csr", csr)) == NULL) {
		mem_free(csr);
		return err_set(err, S2S_ENOMEM, "out of memory");
	}
	mem_free(csr);
	rc = acme_post(a, url, p, 0, &r, &o, err);
	json_decref(p);
	json_decref(o);
	http_resp_clear(&r);
	return rc;
}

static int
order_status_is(const json_t *o, const char *s)
{
	const char *st = json_string_value(json_object_get(o, "status"));

	return st != NULL && strcmp(st, s) == 0;
}

static int
order_bad(struct acme *a, const json_t *o, const char *url, struct s2s_err *err)
{
	char why[300] = "no error given";

	if (json_object_get(o, "error") != NULL) {
		problem_text(json_object_get(o, "error"), why, sizeof(why));
		json_decref(a->problem);
		a->problem = json_incref(json_object_get(o, "error"));
	}
	return err_set(err, S2S_EPROTO, "%s: order is \"%s\": %s", url,
	    json_string_value(json_object_get(o, "status")) ?: "?", why);
}

void
order_chain_top_issuer(const char *pem, size_t len, char *buf, size_t bufsz)
{
	struct cert_chain *c = NULL;
	struct s2s_err err;
	X509 *top;

	buf[0] = '\0';
	if (cert_chain_parse((const unsigned char *)pem, len, "chain", &c, &err) != 0)
		return;
	top = cert_chain_get(c, cert_chain_count(c) - 1);
	if (X509_NAME_get_text_by_NID(X509_get_issuer_name(top), NID_commonName, buf,
	    (int)bufsz) < 0)
		buf[0] = '\0';
	cert_chain_free(c);
}

static int
chain_download(struct acme *a, const char *url, struct http_resp *r, struct s2s_err *err)
{
	int rc = acme_post(a, url, NULL, 0, r, NULL, err);

	if (rc == 0 && strstr(r->body, "-----BEGIN CERTIFICATE-----") == NULL) {
		http_resp_clear(r);
		rc = err_set(err, S2S_EPROTO, "%s: the certificate download is not PEM", url);
	}
	return rc;
}

static int
order_download(struct acme *a, const struct order_req *req, struct order_result *res,
    struct s2s_err *err)
{
	struct http_resp r, alt;
	char top[256];
	size_t i;
	int rc;

	if ((rc = chain_download(a, res->cert_url, &r, err)) != 0)
		return rc;
	res->alternates = r.nalternates;
	order_chain_top_issuer(r.body, r.len, res->chain_top_issuer, sizeof(res->chain_top_issuer));
	for (i = 0; req->preferred_chain != NULL && i < r.nalternates &&
	    strcmp(res->chain_top_issuer, req->preferred_chain) != 0; i++) {
		if (chain_download(a, r.alternates[i], &alt, err) != 0) {
			log_msg(a->log, LOG_WARNING, "alternate chain: %s", err->msg);
			continue;
		}
		order_chain_top_issuer(alt.body, alt.len, top, sizeof(top));
		if (strcmp(top, req->preferred_chain) == 0) {
			take_str(&r.body, &alt.body);
			r.len = alt.len;
			snprintf(res->chain_top_issuer, sizeof(res->chain_top_issuer), "%s", top);
		}
		http_resp_clear(&alt);
	}
	if (req->preferred_chain != NULL && strcmp(res->chain_top_issuer, req->preferred_chain) != 0)
		log_msg(a->log, LOG_WARNING, "no chain whose top certificate is issued by \"%s\"; "
		    "using the default chain (top issuer \"%s\")", req->preferred_chain,
		    res->chain_top_issuer);
	res->len = r.len;
	take_str(&res->pem, &r.body);
	http_resp_clear(&r);
	return 0;
}

static int
order_authorize(struct acme *a, const struct order_req *req, const json_t *order,
    struct order_result *res, struct s2s_err *err)
{
	const json_t *authzs = json_object_get(order, "authorizations");
	char *thumb = NULL;
	const json_t *u;
	size_t i;
	int rc;

	if (!json_is_array(authzs) || json_array_size(authzs) == 0)
		return err_set(err, S2S_EPROTO, "%s: the order lists no authorizations",
		    res->order_url);
	if ((rc = jws_thumbprint(a->key, &thumb, err)) != 0)
		return rc;
	json_array_foreach(authzs, i, u) {
		if (!json_is_string(u)) {
			rc = err_set(err, S2S_EPROTO, "%s: authorization URL is not a string",
			    res->order_url);
			break;
		}
		if ((rc = authz_do(a, json_string_value(u), req, thumb, res, err)) != 0)
			break;
	}
	mem_free(thumb);
	return rc;
}

int
order_run(struct acme *a, const struct order_req *req, struct order_result *res,
    struct s2s_err *err)
{
	json_t *order = NULL, *o = NULL;
	const char *cu;
	int rc;

	memset(res, 0, sizeof(*res));
	if ((rc = order_create(a, req, res, &order, err)) != 0)
		return rc;
	if (order_status_is(order, "pending") &&
	    (rc = order_authorize(a, req, order, res, err)) != 0)
		goto out;
	if ((rc = acme_poll(a, res->order_url, busy_pending, &o, err)) != 0)
		goto out;
	if (order_status_is(o, "ready")) {
		if ((rc = order_finalize(a, req, o, err)) != 0)
			goto out;
		json_decref(o);
		if ((rc = acme_poll(a, res->order_url, busy_processing, &o, err)) != 0) {
			o = NULL;
			goto out;
		}
	}
	if (!order_status_is(o, "valid")) {
		rc = order_bad(a, o, res->order_url, err);
		goto out;
	}
	if ((cu = json_string_value(json_object_get(o, "certificate"))) == NULL ||
	    (res->cert_url = mem_strdup(cu)) == NULL) {
		rc = err_set(err, S2S_EPROTO, "%s: valid order without a certificate URL",
		    res->order_url);
		goto out;
	}
	rc = order_download(a, req, res, err);
out:
	json_decref(order);
	json_decref(o);
	return rc;
}

void
order_result_clear(struct order_result *res)
{
	mem_free(res->order_url);
	mem_free(res->cert_url);
	mem_free(res->pem);
	memset(res, 0, sizeof(*res));
}
