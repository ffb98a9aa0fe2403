/*
 * acme.c: RFC 8555 transport and account steps; see acme.h.
 */
#include <errno.h>
#include <string.h>
#include <time.h>

#include "acme.h"
#include "jws.h"
#include "mem.h"

#define ACME_MAX_RETRIES	3	/* 429/503 retries within the deadline */
static int retry_wait(struct acme *a, const struct http_resp *r, const char *url,
    struct s2s_err *err);

#define ACME_MAX_BADNONCE	3	/* badNonce retries, each with the fresh nonce */

int
acme_init(struct acme *a, const char *tls_ca_file, struct deadline dl,
    const struct s2s_log *log, struct s2s_err *err)
{
	memset(a, 0, sizeof(*a));
	a->log = log;
	a->max_poll_ms = 10000;
	return http_client_init(&a->http, tls_ca_file, dl, err);
}

void
acme_cleanup(struct acme *a)
{
	http_client_cleanup(&a->http);
	json_decref(a->dir);
	json_decref(a->problem);
	mem_free(a->nonce);
	mem_free(a->kid);
	memset(a, 0, sizeof(*a));
}

static int
is_https(const char *u)
{
	return u != NULL && strncmp(u, "https://", 8) == 0;
}

int
acme_directory_set(struct acme *a, json_t *dir, const char *what, struct s2s_err *err)
{
	static const char *const need[] = { "newNonce", "newAccount", "newOrder" };
	size_t i;

	if (!json_is_object(dir))
		return err_set(err, S2S_EPARSE, "%s: the ACME directory is not a JSON object", what);
	for (i = 0; i < sizeof(need) / sizeof(need[0]); i++)
		if (!is_https(json_string_value(json_object_get(dir, need[i]))))
			return err_set(err, S2S_EPARSE, "%s: the ACME directory has no https "
			    "\"%s\" URL", what, need[i]);
	json_decref(a->dir);
	a->dir = json_incref(dir);
	return 0;
}

static int
json_body(const struct http_resp *r, const char *url, json_t **out, struct s2s_err *err)
{
	json_error_t je;

	*out = json_loadb(r->body, r->len, JSON_REJECT_DUPLICATES, &je);
	if (*out == NULL)
		return err_set(err, S2S_EPARSE, "%s: answer is not JSON (HTTP %ld, line %d: %s)",
		    url, r->status, je.line, je.text);
	return 0;
}

int
acme_directory_get(struct acme *a, const char *url, struct s2s_err *err)
{
	struct http_resp r;
	struct s2s_err serr;
	json_t *dir = NULL;
	int rc, tries;

	if (!is_https(url))
		return err_set(err, S2S_EINVAL, "%s: the ACME directory URL must be https", url);
	for (tries = 0;; tries++) {
		if ((rc = http_request(&a->http, "GET", url, NULL, &r, err)) != 0)
			goto out;
		if (r.status == 200)
			break;
		rc = acme_problem_set(a, &r, url, err);
		if ((r.status != 429 && r.status != 503) || r.retry_after < 0 ||
		    tries >= ACME_MAX_RETRIES || retry_wait(a, &r, url, &serr) != 0)
			goto out;
		http_resp_clear(&r);
	}
	if ((rc = json_body(&r, url, &dir, err)) == 0)
		rc = acme_directory_set(a, dir, url, err);
out:
	json_decref(dir);
	http_resp_clear(&r);
	return rc;
}

const char *
acme_dir_url(const struct acme *a, const char *name)
{
	return json_string_value(json_object_get(a->dir, name));
}

const char *
acme_problem_type(const struct acme *a)
{
	const char *t = json_string_value(json_object_get(a->problem, "type"));

	if (t == NULL)
		return "";
	return strncmp(t, ACME_PROBLEM_PREFIX, strlen(ACME_PROBLEM_PREFIX)) == 0 ?
	    t + strlen(ACME_PROBLEM_PREFIX) : t;
}

static const char *
short_type(const json_t *p)
{
	const char *t = json_string_value(json_object_get(p, "type"));

	if (t == NULL)
		return "(no type)";
	return strncmp(t, ACME_PROBLEM_PREFIX, strlen(ACME_PROBLEM_PREFIX)) == 0 ?
	    t + strlen(ACME_PROBLEM_PREFIX) : t;
}

/* Printable: the CA's text goes to a terminal and syslog. */
static void
clean_copy(char *dst, size_t dstsz, const char *src)
{
	size_t i;

	for (i = 0; src != NULL && src[i] != '\0' && i + 1 < dstsz; i++)
		dst[i] = (unsigned char)src[i] < 0x20 || src[i] == 0x7f ? ' ' : src[i];
	dst[dstsz ? (i < dstsz ? i : dstsz - 1) : 0] = '\0';
}

static void
subproblems_append(const json_t *subs, char *buf, size_t bufsz)
{
	size_t i, n, used;
	json_t *s;

	json_array_foreach(subs, i, s) {
		char detail[200], ident[120];

		clean_copy(detail, sizeof(detail), json_string_value(json_object_get(s, "detail")));
		clean_copy(ident, sizeof(ident),
		    json_string_value(json_object_get(json_object_get(s, "identifier"), "value")));
		used = strlen(buf);
		if (used + 1 >= bufsz)
			break;
		n = (size_t)snprintf(buf + used, bufsz - used, "%s%s: %s: %s", i ? "; " : " [",
		    ident[0] ? ident : "?", short_type(s), detail);
		(void)n;
	}
	used = strlen(buf);
	if (json_array_size(subs) > 0 && used + 1 < bufsz)
		snprintf(buf + used, bufsz - used, "]");
}

int
acme_problem_set(struct acme *a, const struct http_resp *r, const char *url,
    struct s2s_err *err)
{
	char detail[300], msg[sizeof(err->msg)];
	json_error_t je;
	json_t *p;

	json_decref(a->problem);
	a->problem = NULL;
	p = json_loadb(r->body, r->len, 0, &je);
	if (!json_is_object(p)) {
		json_decref(p);
		return err_set(err, S2S_EPROTO, "%s: HTTP %ld without an ACME problem document",
		    url, r->status);
	}
	a->problem = p;
	clean_copy(detail, sizeof(detail), json_string_value(json_object_get(p, "detail")));
	snprintf(msg, sizeof(msg), "%s: HTTP %ld %s: %s", url, r->status, short_type(p),
	    detail[0] ? detail : "(no detail)");
	subproblems_append(json_object_get(p, "subproblems"), msg, sizeof(msg));
	return err_set(err, S2S_EPROTO, "%s", msg);
}

int
acme_sleep(struct acme *a, long ms, const char *what, struct s2s_err *err)
{
	struct timespec ts;

	if (ms < 0)
		ms = 0;
	if (ms >= deadline_left_ms(&a->http.deadline))
		return err_set(err, S2S_ETIMEOUT, "%s: deadline reached (would wait %ld ms more)",
		    what, ms);
	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (ms % 1000) * 1000000L;
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
	return 0;
}

static int
nonce_get(struct acme *a, struct s2s_err *err)
{
	const char *url = acme_dir_url(a, "newNonce");
	struct http_resp r;
	int rc;

	if (a->nonce != NULL)
		return 0;
	if ((rc = http_request(&a->http, "HEAD", url, NULL, &r, err)) != 0)
		return rc;
	if (r.nonce == NULL || r.nonce[0] == '\0')
		rc = err_set(err, S2S_EPROTO, "%s: no Replay-Nonce (HTTP %ld)", url, r.status);
	else {
		a->nonce = r.nonce;
		r.nonce = NULL;
	}
	http_resp_clear(&r);
	return rc;
}

/* One signed POST, consuming the current nonce and keeping the next one. */
static int
post_once(struct acme *a, const char *url, const json_t *payload, int with_jwk,
    struct http_resp *r, struct s2s_err *err)
{
	char *body = NULL;
	int rc;

	if ((rc = nonce_get(a, err)) != 0)
		return rc;
	rc = jws_new(a->key, with_jwk ? NULL : a->kid, a->nonce, url, payload, &body, err);
	mem_free(a->nonce);
	a->nonce = NULL;
	if (rc != 0)
		return rc;
	rc = http_request(&a->http, "POST", url, body, r, err);
	mem_free(body);
	if (rc == 0 && r->nonce != NULL) {
		a->nonce = r->nonce;
		r->nonce = NULL;
	}
	return rc;
}

static int
retry_wait(struct acme *a, const struct http_resp *r, const char *url, struct s2s_err *err)
{
	long secs = r->retry_after >= 0 ? r->retry_after : 1;

	log_msg(a->log, LOG_INFO, "%s: HTTP %ld, retrying after %ld s", url, r->status, secs);
	return acme_sleep(a, secs * 1000, url, err);
}

int
acme_post(struct acme *a, const char *url, const json_t *payload, int with_jwk,
    struct http_resp *resp, json_t **json, struct s2s_err *err)
{
	int rc, bad_nonces = 0, retries = 0;
	struct s2s_err serr;

	memset(resp, 0, sizeof(*resp));	/* callers may clear it on any path */
	resp->retry_after = -1;
	if (json != NULL)
		*json = NULL;
	if (!is_https(url))
		return err_set(err, S2S_EPROTO, "the ACME server gave a non-https URL \"%.200s\"",
		    url ? url : "");
	for (;;) {
		if ((rc = post_once(a, url, payload, with_jwk, resp, err)) != 0)
			return rc;
		if (resp->status >= 200 && resp->status < 300)
			break;
		rc = acme_problem_set(a, resp, url, err);
		if (strcmp(acme_problem_type(a), "badNonce") == 0 && bad_nonces < ACME_MAX_BADNONCE) {
			bad_nonces++;
			log_msg(a->log, LOG_INFO, "%s: badNonce, retrying with the fresh nonce", url);
		} else if ((resp->status == 429 || resp->status == 503) && resp->retry_after >= 0 &&
		    retries < ACME_MAX_RETRIES) {
			retries++;
			if (retry_wait(a, resp, url, &serr) != 0) {
				http_resp_clear(resp);
				return rc;	/* the CA's refusal says more than the deadline */
			}
		} else {
			http_resp_clear(resp);
			return rc;
		}
		http_resp_clear(resp);
	}
	if (json != NULL && (rc = json_body(resp, url, json, err)) != 0) {
		http_resp_clear(resp);
		return rc;
	}
	return 0;
}

static json_t *
account_payload(struct acme *a, const struct acme_new_account *na, struct s2s_err *err)
{
	json_t *p = json_object(), *contacts = json_array(), *eab;
	size_t i;

	if (p == NULL || contacts == NULL) {
		json_decref(p);
		json_decref(contacts);
		err_set(err, S2S_ENOMEM, "out of memory");
		return NULL;
	}
	for (i = 0; i < na->ncontacts; i++)
		json_array_append_new(contacts, json_string(na->contacts[i]));
	if (na->ncontacts > 0)
		json_object_set(p, "contact", contacts);
	json_decref(contacts);
	if (na->agree_tos)
		json_object_set_new(p, "termsOfServiceAgreed", json_true());
	if (na->eab_kid != NULL) {
		if (jws_eab_new(na->eab_kid, na->eab_key, na->eab_keylen, a->key,
		    acme_dir_url(a, "newAccount"), &eab, err) != 0) {
			json_decref(p);
			return NULL;
		}
		json_object_set_new(p, "externalAccountBinding", eab);
	}
	return p;
}

static int
account_precheck(struct acme *a, const struct acme_new_account *na, struct s2s_err *err)
{
	json_t *meta = json_object_get(a->dir, "meta");

	if (json_is_true(json_object_get(meta, "externalAccountRequired")) && na->eab_kid == NULL)
		return err_set(err, S2S_EINVAL, "the CA requires External Account Binding: "
		    "give --eab-kid and --eab-hmac-key-file");
	if (json_object_get(meta, "termsOfService") != NULL && !na->agree_tos)
		return err_set(err, S2S_EINVAL, "the CA has terms of service (%.200s): "
		    "creating an account needs --agree-tos",
		    json_string_value(json_object_get(meta, "termsOfService")) ?: "?");
	return 0;
}

int
acme_account_register(struct acme *a, const struct acme_new_account *na, int *created,
    struct s2s_err *err)
{
	const char *url = acme_dir_url(a, "newAccount");
	struct http_resp r;
	json_t *payload, *acct = NULL;
	const char *status;
	int rc;

	*created = 0;
	if ((rc = account_precheck(a, na, err)) != 0)
		return rc;
	if ((payload = account_payload(a, na, err)) == NULL)
		return err->code;
	rc = acme_post(a, url, payload, 1, &r, &acct, err);
	json_decref(payload);
	if (rc != 0)
		return rc;
	status = json_string_value(json_object_get(acct, "status"));
	if (!is_https(r.location))
		rc = err_set(err, S2S_EPROTO, "%s: newAccount answer has no https Location", url);
	else if (status != NULL && strcmp(status, "valid") != 0)
		rc = err_set(err, S2S_EPROTO, "%s: account status is \"%.40s\"", url, status);
	else {
		mem_free(a->kid);
		a->kid = r.location;
		r.location = NULL;
		*created = r.status == 201;
	}
	json_decref(acct);
	http_resp_clear(&r);
	return rc;
}

static int
status_in(const char *s, const char *const *set)
{
	for (; s != NULL && *set != NULL; set++)
		if (strcmp(s, *set) == 0)
			return 1;
	return 0;
}

int
acme_poll(struct acme *a, const char *url, const char *const *busy, json_t **out,
    struct s2s_err *err)
{
	long wait_ms = 500;
	struct http_resp r;
	json_t *j;
	int rc;

	*out = NULL;
	for (;;) {
		if ((rc = acme_post(a, url, NULL, 0, &r, &j, err)) != 0)
			return rc;
		const char *st = json_string_value(json_object_get(j, "status"));

		if (st == NULL) {
			rc = err_set(err, S2S_EPROTO, "%s: answer has no \"status\"", url);
		} else if (!status_in(st, busy)) {
			*out = j;
			http_resp_clear(&r);
			return 0;
		} else {
			long ms = r.retry_after >= 0 ? r.retry_after * 1000 : wait_ms;

			if (ms < 250)
				ms = 250;	/* "Retry-After: 0" must not make a busy loop */
			if (ms > a->max_poll_ms)
				ms = a->max_poll_ms;
			wait_ms = wait_ms * 2 > a->max_poll_ms ? a->max_poll_ms : wait_ms * 2;
			if ((rc = acme_sleep(a, ms, url, err)) != 0)
				err_set(err, S2S_ETIMEOUT, "%s: still \"%.20s\" when the deadline came",
				    url, st);
		}
		json_decref(j);
		http_resp_clear(&r);
		if (rc != 0)
			return rc;
	}
}
