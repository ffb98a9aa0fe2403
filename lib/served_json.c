/*
 * served_json.c: the served-certificate results as JSON (report and the
 * privilege-separated pipe), comparing leaves, and running served_fetch()
 * as the probe user.
 */
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/pem.h>

#include "cert.h"
#include "mem.h"
#include "privsep.h"
#include "served.h"

static const char *const status_names[] = {
	[SERVED_OK] = "ok", [SERVED_UNREACHABLE] = "unreachable",
	[SERVED_CLOSED] = "closed", [SERVED_FAILED] = "failed",
};
static const char *const transport_names[] = {
	[SERVER_S2S_STARTTLS] = "s2s-starttls", [SERVER_S2S_DIRECT_TLS] = "s2s-direct-tls",
	[SERVER_C2S_STARTTLS] = "c2s-starttls",
};
static const char *const cmp_names[] = {
	[SERVED_CMP_NONE] = "none", [SERVED_CMP_SAME] = "same",
	[SERVED_CMP_DIFFERS] = "differs",
};

const char *
served_status_name(enum served_status s)
{
	return (unsigned)s < sizeof(status_names) / sizeof(*status_names) ?
	    status_names[s] : "failed";
}

const char *
served_transport_name(enum server_transport t)
{
	return (unsigned)t < sizeof(transport_names) / sizeof(*transport_names) ?
	    transport_names[t] : "s2s-starttls";
}

const char *
served_cmp_name(enum served_cmp c)
{
	return (unsigned)c < sizeof(cmp_names) / sizeof(*cmp_names) ? cmp_names[c] : "none";
}

static int
name_index(const char *const *names, size_t n, const char *s)
{
	for (size_t i = 0; s != NULL && i < n; i++)
		if (names[i] != NULL && strcmp(names[i], s) == 0)
			return (int)i;
	return -1;
}

/* ---- comparing ------------------------------------------------------------ */

int
served_leaf_equal(X509 *a, X509 *b)
{
	unsigned char *da = NULL, *db = NULL;
	int la, lb, same;

	if (a == NULL || b == NULL)
		return 0;
	la = i2d_X509(a, &da);
	lb = i2d_X509(b, &db);
	same = la > 0 && la == lb && memcmp(da, db, (size_t)la) == 0;
	OPENSSL_free(da);
	OPENSSL_free(db);
	return same;
}

enum served_cmp
served_compare(const struct served_results *r, X509 *want, size_t *nsame, size_t *ndiffer)
{
	size_t same = 0, differ = 0;

	for (size_t i = 0; r != NULL && i < r->n; i++) {
		if (r->v[i].status != SERVED_OK)
			continue;
		if (served_leaf_equal(r->v[i].leaf, want))
			same++;
		else
			differ++;
	}
	if (nsame != NULL)
		*nsame = same;
	if (ndiffer != NULL)
		*ndiffer = differ;
	return differ > 0 ? SERVED_CMP_DIFFERS : same > 0 ? SERVED_CMP_SAME : SERVED_CMP_NONE;
}

int
served_match_files(X509 *leaf, const char *const *paths, size_t n, long *index)
{
	*index = -1;
	for (size_t i = 0; i < n; i++) {
		struct cert_chain *chain = NULL;
		struct s2s_err e;
		int same;

		if (paths[i] == NULL || cert_chain_load(paths[i], &chain, &e) < 0)
			continue;
		same = served_leaf_equal(leaf, cert_chain_get(chain, 0));
		cert_chain_free(chain);
		if (same) {
			*index = (long)i;
			return 0;
		}
	}
	return 0;
}

/* ---- JSON ----------------------------------------------------------------- */

static json_t *
leaf_pem(X509 *x)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *data;
	long len;
	json_t *s = NULL;

	if (b != NULL && PEM_write_bio_X509(b, x) == 1 && (len = BIO_get_mem_data(b, &data)) > 0)
		s = json_stringn(data, (size_t)len);
	BIO_free(b);
	return s;
}

static void
leaf_describe(X509 *x, json_t *o)
{
	char subject[256] = "", when[32] = "";
	struct tm tm;

	X509_NAME_oneline(X509_get_subject_name(x), subject, sizeof(subject));
	if (ASN1_TIME_to_tm(X509_get0_notAfter(x), &tm) == 1)
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	json_object_set_new(o, "leaf_subject", json_string(subject));
	json_object_set_new(o, "leaf_not_after", json_string(when));
}

static json_t *
endpoint_json(const struct served_endpoint *e, int with_pem)
{
	json_t *o = json_pack("{s:s, s:s, s:s, s:i, s:s, s:s, s:s}",
	    "transport", served_transport_name(e->transport), "source", e->source,
	    "host", e->host, "port", e->port, "address", e->address,
	    "status", served_status_name(e->status), "detail", e->detail);

	if (o != NULL)
		json_object_set_new(o, "resolved", json_boolean(e->resolved));
	if (o == NULL || e->leaf == NULL)
		return o;
	json_object_set_new(o, "leaf_sha256", json_string(e->leaf_sha256));
	json_object_set_new(o, "chain_length", json_integer((json_int_t)e->chain_len));
	leaf_describe(e->leaf, o);
	if (with_pem)
		json_object_set_new(o, "leaf_pem", leaf_pem(e->leaf));
	return o;
}

json_t *
served_results_to_json(const struct served_results *r, int with_pem)
{
	json_t *eps = json_array(), *o;

	if (eps == NULL)
		return NULL;
	for (size_t i = 0; i < r->n; i++)
		if (json_array_append_new(eps, endpoint_json(&r->v[i], with_pem)) < 0) {
			json_decref(eps);
			return NULL;
		}
	o = json_pack("{s:s, s:o}", "domain", r->domain, "endpoints", eps);
	if (o != NULL && r->note[0] != '\0')
		json_object_set_new(o, "note", json_string(r->note));
	return o;
}

static void
copy_str(char *dst, size_t cap, const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	snprintf(dst, cap, "%s", s != NULL ? s : "");
}

static int
endpoint_from_json(const json_t *o, struct served_endpoint *e, struct s2s_err *err)
{
	const char *pem = json_string_value(json_object_get(o, "leaf_pem"));
	int t = name_index(transport_names, 3, json_string_value(json_object_get(o, "transport")));
	int s = name_index(status_names, 4, json_string_value(json_object_get(o, "status")));

	if (!json_is_object(o) || t < 0 || s < 0)
		return err_set(err, S2S_EPARSE, "served certificate: bad endpoint");
	e->transport = (enum server_transport)t;
	e->status = (enum served_status)s;
	copy_str(e->source, sizeof(e->source), o, "source");
	copy_str(e->host, sizeof(e->host), o, "host");
	copy_str(e->address, sizeof(e->address), o, "address");
	copy_str(e->detail, sizeof(e->detail), o, "detail");
	copy_str(e->leaf_sha256, sizeof(e->leaf_sha256), o, "leaf_sha256");
	e->port = (int)json_integer_value(json_object_get(o, "port"));
	e->resolved = json_is_true(json_object_get(o, "resolved"));
	e->chain_len = (size_t)json_integer_value(json_object_get(o, "chain_length"));
	if (pem != NULL) {
		BIO *b = BIO_new_mem_buf(pem, -1);

		e->leaf = b != NULL ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;
		BIO_free(b);
		if (e->leaf == NULL)
			return err_set(err, S2S_EPARSE, "served certificate: bad leaf PEM");
	}
	if (e->status == SERVED_OK && e->leaf == NULL)
		return err_set(err, S2S_EPARSE, "served certificate: ok endpoint without a leaf");
	return 0;
}

int
served_results_from_json(const json_t *j, struct served_results **out, struct s2s_err *err)
{
	const json_t *eps = json_object_get(j, "endpoints");
	struct served_results *r;
	size_t n = json_array_size(eps);

	*out = NULL;
	if (!json_is_array(eps) || n > SERVED_MAX_ENDPOINTS)
		return err_set(err, S2S_EPARSE, "served certificate: bad results");
	if ((r = mem_calloc(1, sizeof(*r))) == NULL ||
	    (r->v = mem_calloc(SERVED_MAX_ENDPOINTS, sizeof(*r->v))) == NULL) {
		mem_free(r);
		return err_set(err, S2S_ENOMEM, "served certificate: out of memory");
	}
	copy_str(r->domain, sizeof(r->domain), j, "domain");
	copy_str(r->note, sizeof(r->note), j, "note");
	for (size_t i = 0; i < n; i++) {
		int rc = endpoint_from_json(json_array_get(eps, i), &r->v[i], err);

		r->n = i + 1;	/* freed below with what it holds */
		if (rc < 0) {
			served_results_free(r);
			return rc;
		}
	}
	*out = r;
	return 0;
}

/* ---- as the probe user ------------------------------------------------------ */

static json_t *
served_child(void *arg, const struct passwd *pw)
{
	const struct served_opts *o = arg;
	struct served_results *r = NULL;
	struct s2s_err err = { 0 };
	json_t *msg;
	int rc;

	if ((rc = privsep_drop(pw, &err)) == 0)
		rc = served_fetch(o, &r, &err);
	if (rc == 0)
		msg = json_pack("{s:o}", "served", served_results_to_json(r, 1));
	else
		msg = json_pack("{s:s, s:i}", "error", err.msg, "code", rc);
	served_results_free(r);
	return msg;
}

int
served_fetch_as_user(const struct served_opts *o, const char *user,
    struct served_results **out, struct s2s_err *err)
{
	struct passwd *pw;
	json_t *msg = NULL;
	const char *emsg;
	int rc;

	*out = NULL;
	if (geteuid() != 0)
		return served_fetch(o, out, err);
	if ((rc = privsep_user(user, &pw, err)) < 0)
		return rc;
	if ((rc = privsep_fork_json(pw, "served certificate", served_child, (void *)o,
	    &msg, err)) < 0)
		return rc;
	if ((emsg = json_string_value(json_object_get(msg, "error"))) != NULL) {
		rc = (int)json_integer_value(json_object_get(msg, "code"));
		rc = err_set(err, rc < 0 && rc >= S2S_EBUSY ? rc : S2S_EIO, "%s", emsg);
	} else {
		rc = served_results_from_json(json_object_get(msg, "served"), out, err);
	}
	json_decref(msg);
	return rc;
}
