/*
 * acme.h: the RFC 8555 client: directory, nonces, signed POSTs (kid, or
 * jwk for newAccount), problem documents, polling, and the order steps.
 * Everything runs within the http client's deadline. Never prints: the
 * caller gets results, an error, and the last problem document.
 */
#ifndef S2S_ACME_ACME_H
#define S2S_ACME_ACME_H

#include <stddef.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "err.h"
#include "http.h"
#include "log.h"

#define ACME_MAX_IDENTS		100
#define ACME_PROBLEM_PREFIX	"urn:ietf:params:acme:error:"

struct acme {
	struct http_client	 http;
	const struct s2s_log	*log;
	json_t			*dir;		/* the directory object */
	char			*nonce;
	EVP_PKEY		*key;		/* account key (lent) */
	char			*kid;		/* account URL */
	json_t			*problem;	/* last problem document received */
	int			 max_poll_ms;	/* ceiling on one poll wait */
};

int	acme_init(struct acme *a, const char *tls_ca_file, struct deadline dl,
	    const struct s2s_log *log, struct s2s_err *err);
void	acme_cleanup(struct acme *a);

/* GET and check the directory (newNonce, newAccount, newOrder URLs). */
int	acme_directory_get(struct acme *a, const char *url, struct s2s_err *err);
/* Validate a directory object (new reference taken on success). */
int	acme_directory_set(struct acme *a, json_t *dir, const char *what, struct s2s_err *err);
/* A resource URL of the directory, or NULL (lent). */
const char *acme_dir_url(const struct acme *a, const char *name);

/*
 * Turn an error response into err: "TYPE: detail [ident: TYPE: detail; ...]"
 * with TYPE shortened when it has the ACME prefix. Keeps the document in
 * a->problem. Returns S2S_EPROTO (or S2S_ETOOBIG/S2S_EPARSE for junk).
 */
int	acme_problem_set(struct acme *a, const struct http_resp *r, const char *url,
	    struct s2s_err *err);
/* The last problem's type without prefix ("badNonce"), or "". */
const char *acme_problem_type(const struct acme *a);

/*
 * Signed POST; payload NULL = POST-as-GET. with_jwk for newAccount. On a
 * 2xx answer fills resp and, when json is not NULL, the parsed body.
 * Retries on badNonce (up to 3 times, with the error's fresh nonce), and on 429/503 when Retry-After fits the deadline.
 */
int	acme_post(struct acme *a, const char *url, const json_t *payload, int with_jwk,
	    struct http_resp *resp, json_t **json, struct s2s_err *err);

/* Find or register the account of a->key; sets a->kid from Location. */
struct acme_new_account {
	const char *const	*contacts;
	size_t			 ncontacts;
	int			 agree_tos;
	const char		*eab_kid;
	const unsigned char	*eab_key;
	size_t			 eab_keylen;
};
int	acme_account_register(struct acme *a, const struct acme_new_account *na,
	    int *created, struct s2s_err *err);

/* Poll url (POST-as-GET) while status is one of the `busy` states. */
int	acme_poll(struct acme *a, const char *url, const char *const *busy, json_t **out,
	    struct s2s_err *err);

/* Wait for ms (bounded by the deadline); S2S_ETIMEOUT when it would pass it. */
int	acme_sleep(struct acme *a, long ms, const char *what, struct s2s_err *err);

#endif
