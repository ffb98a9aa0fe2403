/*
 * adapter.h: turn what an ACME client hands its hook (environment and
 * arguments) into one `struct renewal`. See reference/acme-clients.md and
 * s2sguard-hook(1) for each contract:
 *
 *   certbot     RENEWED_LINEAGE, RENEWED_DOMAINS (deploy hook, no argv)
 *   acme.sh     CERT_PATH CERT_KEY_PATH CA_CERT_PATH CERT_FULLCHAIN_PATH
 *               Le_Domain (reload command: s2sguard-hook -- RELOAD...)
 *   dehydrated  deploy_cert DOMAIN KEY CERT FULLCHAIN CHAIN TIMESTAMP;
 *               every other verb: nothing to do, silently
 *   lego v4     LEGO_CERT_DOMAIN LEGO_CERT_PATH LEGO_CERT_KEY_PATH
 *               LEGO_ISSUER_CERT_PATH;  v5: LEGO_HOOK_CERT_* and friends
 *   files       --cert --key [--chain] --domain
 */
#ifndef S2S_ADAPTER_H
#define S2S_ADAPTER_H

#include <limits.h>

#include "config.h"
#include "err.h"

enum acme_client {
	CLIENT_UNKNOWN = 0,
	CLIENT_CERTBOT,
	CLIENT_ACMESH,
	CLIENT_DEHYDRATED,
	CLIENT_LEGO4,
	CLIENT_LEGO5,
	CLIENT_FILES,
};

struct renewal {
	enum acme_client client;
	int		 ignore;		/* dehydrated verb other than deploy_cert */
	char		 domain[256];		/* primary name */
	struct strlist	 domains;		/* every name of the certificate */
	char		 cert_path[PATH_MAX];	/* leaf, or leaf + chain */
	char		 chain_path[PATH_MAX];	/* "" when cert_path holds the chain */
	char		 key_path[PATH_MAX];
	/* a previous version the client kept (certbot archive N-1); "" if none */
	char		 prev_cert_path[PATH_MAX];
	char		 prev_key_path[PATH_MAX];
	char *const	*wrapped;		/* acme.sh: the reload after "--" */
};

/* Command-line values for --from files (and overrides for any client). */
struct adapter_args {
	const char	*from;		/* NULL = detect */
	const char	*cert, *key, *chain, *domain;
	char *const	*positional;	/* argv after options (dehydrated verbs, or after --) */
	int		 npositional;
	int		 after_dashdash;	/* positional came after "--" */
};

/*
 * Fill r from the arguments and envp (NULL-terminated "NAME=value").
 * S2S_EINVAL with a message saying what is missing when nothing matches.
 */
int	adapter_detect(const struct adapter_args *a, char *const *envp, struct renewal *r,
	    struct s2s_err *err);
void	renewal_clear(struct renewal *r);

/*
 * The status to exit with toward client c for the detailed status
 * (enum guard_exit): dehydrated aborts its whole run, lego and acme.sh
 * report a failed renewal on any non-zero status, so for them deployed,
 * warned, held and not-configured are 0 and only an error (3) or a
 * rollback (5) stays non-zero. certbot (which only logs the status),
 * files and an unknown caller get the detailed status, as does every
 * client with style EXIT_CODES_DETAILED.
 */
int	adapter_exit_status(enum acme_client c, enum exit_codes_style style, int detailed);
/* Does client c turn detailed statuses into success (style "client")? */
int	adapter_client_folds_exit(enum acme_client c);

const char	*adapter_client_name(enum acme_client c);
/* "certbot" ... -> enum; CLIENT_UNKNOWN for an unknown name. */
enum acme_client adapter_client_from_name(const char *name);

#endif
