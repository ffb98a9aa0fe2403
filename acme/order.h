/*
 * order.h: one certificate order from newOrder to the downloaded chain:
 * profile and ARI "replaces" in newOrder (retried without "replaces" on
 * alreadyReplaced), authorizations (valid ones reused, others solved),
 * finalize with a CSR, polling, download and alternate-chain choice.
 */
#ifndef S2S_ACME_ORDER_H
#define S2S_ACME_ORDER_H

#include <stddef.h>

#include <openssl/evp.h>

#include "acme.h"
#include "challenge.h"
#include "err.h"

struct order_req {
	const char *const	*names;		/* DNS identifiers */
	size_t			 nnames;
	const char		*profile;	/* to send, or NULL */
	const char		*replaces;	/* ARI CertID, or NULL */
	const struct solver	*solver;
	EVP_PKEY		*cert_key;	/* the key the CSR is signed with */
	const char		*preferred_chain;	/* issuer CN of the top cert, or NULL */
};

struct order_result {
	char	*order_url, *cert_url;
	char	*pem;			/* the chosen chain as the CA sent it */
	size_t	 len;
	char	 profile_echo[64];	/* the order's "profile", "" when absent */
	int	 replaces_sent;		/* accepted with "replaces" */
	int	 replaces_dropped;	/* alreadyReplaced: ordered without it */
	size_t	 authz_reused, authz_solved;
	char	 chain_top_issuer[256];
	size_t	 alternates;
};

/* A DER CSR for names, signed by key; *der is mem_free'd. */
int	order_csr_new(EVP_PKEY *key, const char *const *names, size_t n,
	    unsigned char **der, size_t *len, struct s2s_err *err);

/*
 * Is an authorization's dns identifier one of the ordered names? RFC 8555
 * §7.1.4: the authorization for an ordered "*.NAME" carries "NAME" with
 * "wildcard": true; any other carries the ordered name itself. Names
 * compare case-insensitively in ASCII.
 */
int	order_ident_ordered(const char *const *names, size_t nnames, const char *value,
	    int wildcard);

int	order_run(struct acme *a, const struct order_req *req, struct order_result *res,
	    struct s2s_err *err);
void	order_result_clear(struct order_result *res);

/* Issuer CN of the last certificate of a PEM chain ("" if none). */
void	order_chain_top_issuer(const char *pem, size_t len, char *buf, size_t bufsz);

#endif
