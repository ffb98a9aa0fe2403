/*
 * target.h: what s2sguard-reissue re-orders and where the result goes: a
 * certbot lineage (renewal/NAME.conf, live/, archive/, its account), an
 * acme.sh domain directory (DOMAIN.conf, DOMAIN.cer/.key, its account) or
 * plain files. Loading reads only; nothing here writes.
 */
#ifndef S2S_ACME_TARGET_H
#define S2S_ACME_TARGET_H

#include <limits.h>
#include <stddef.h>

#include <openssl/evp.h>

#include "account.h"
#include "cert.h"
#include "challenge.h"
#include "err.h"

#define TARGET_MAX_NAMES	100

enum target_kind { TARGET_PLAIN, TARGET_CERTBOT, TARGET_ACMESH };

struct target_opts {
	const char	*certbot_lineage;	/* NAME or path of live/NAME */
	const char	*certbot_config_dir;
	const char	*acmesh_domain_dir;
	const char	*acmesh_config_home;
	const char	*server;		/* overrides the client's CA */
	const char	*account_key;
	const char	*cert;			/* plain: the current certificate */
	const char	*key;			/* plain: the current private key */
	const char	*webroot;
	const char	*names[TARGET_MAX_NAMES];	/* --domain */
	size_t		 nnames;
};

struct target {
	enum target_kind	 kind;
	char			 server[1024];
	struct acme_account	 account;
	struct cert_chain	*current;	/* NULL when unknown (plain, no --cert) */
	EVP_PKEY		*key;		/* current private key, or NULL */
	unsigned char		*key_pem;	/* its file bytes, reinstalled as they are */
	size_t			 key_pem_len;
	char			*names[TARGET_MAX_NAMES];
	size_t			 nnames;
	char			 webroot[PATH_MAX];
	char			*map_names[SOLVER_MAX_MAP], *map_paths[SOLVER_MAX_MAP];
	size_t			 nmap;
	/* certbot */
	char			 name[256], config_dir[PATH_MAX];
	char			 live_dir[PATH_MAX], archive_dir[PATH_MAX];
	/* acme.sh */
	char			 domain_dir[PATH_MAX], domain[256];
};

int	target_load(const struct target_opts *o, struct target *t, struct s2s_err *err);
void	target_clear(struct target *t);

/* DNS names of a certificate's subjectAltName, in order (mem_strdup each). */
int	target_cert_names(X509 *x, char **names, size_t max, size_t *n);

#endif
