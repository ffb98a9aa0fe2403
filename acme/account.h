/*
 * account.h: the ACME account s2sguard-reissue signs with. Reuse the one an
 * ACME client already registered (certbot: an RSA private JWK plus
 * regr.json's URI; acme.sh: a PEM key plus ca.conf's ACCOUNT_URL), so ARI
 * "replaces" works with the same account; or an own key file, registered
 * (or found) with newAccount.
 */
#ifndef S2S_ACME_ACCOUNT_H
#define S2S_ACME_ACCOUNT_H

#include <stddef.h>

#include <openssl/evp.h>

#include "err.h"

#define ACCOUNT_MAX_FILE	(64 * 1024)

struct acme_account {
	EVP_PKEY	*key;
	char		*url;		/* the JWS kid; NULL until registered */
	char		 source[16];	/* "certbot", "acme.sh", "key-file" */
	char		 dir[1024];	/* where it was found (no key bytes) */
};

/* An RSA private JWK (kty n e d p q dp dq qi) as certbot stores it. */
int	account_jwk_parse(const char *text, size_t len, const char *what, EVP_PKEY **out,
	    struct s2s_err *err);

/* "https://h:p/dir" -> "h:p/dir", certbot's accounts/ sub-path. */
int	account_certbot_server_path(const char *server, char *buf, size_t bufsz,
	    struct s2s_err *err);
/* "https://h:p/a/b" -> "h/a/b", acme.sh's ca/ sub-path (port dropped). */
int	account_acmesh_server_path(const char *server, char *buf, size_t bufsz,
	    struct s2s_err *err);

/* certbot: CONFIG_DIR/accounts/<server path>/<id>/{private_key.json,regr.json}. */
int	account_load_certbot(const char *config_dir, const char *server, const char *id,
	    struct acme_account *a, struct s2s_err *err);
/* acme.sh: CA_DIR/{account.key,ca.conf}; CA_DIR = CONFIG_HOME/ca/<server path>. */
int	account_load_acmesh(const char *ca_dir, struct acme_account *a, struct s2s_err *err);
/* A PEM/DER private key file; the URL is learnt from newAccount. */
int	account_load_key(const char *path, struct acme_account *a, struct s2s_err *err);

void	account_clear(struct acme_account *a);

#endif
