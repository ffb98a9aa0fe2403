/*
 * challenge.h: solve one authorization's challenge, then clean up.
 * http-01 into a webroot (.well-known/acme-challenge/TOKEN, walked with
 * O_NOFOLLOW directory descriptors: a planted link is refused), or a
 * challenge hook with uacme's convention:
 *   HOOK begin|done|failed TYPE IDENT TOKEN AUTH
 * (also in UACME_METHOD/TYPE/IDENT/TOKEN/AUTH). The hook accepts a type by
 * exiting 0 from "begin"; types are offered http-01 first, then dns-01.
 * AUTH is the key authorization (http-01) or its base64url SHA-256
 * (dns-01), so existing uacme hooks work.
 */
#ifndef S2S_ACME_CHALLENGE_H
#define S2S_ACME_CHALLENGE_H

#include <stddef.h>

#include <jansson.h>

#include "deadline.h"
#include "err.h"
#include "log.h"

#define SOLVER_MAX_MAP	64

struct solver {
	const char		*webroot;		/* for names not in the map */
	const char		*map_names[SOLVER_MAX_MAP];	/* certbot webroot_map */
	const char		*map_paths[SOLVER_MAX_MAP];
	size_t			 nmap;
	const char		*hook;
	const struct s2s_log	*log;
	struct deadline		 deadline;
};

/* What solver_begin set up, for solver_end. */
struct solved {
	char	 type[16];
	char	*ident, *token, *auth;
	/* webroot: descriptors of the webroot, .well-known, acme-challenge */
	int	 have_fds, root_fd, wk_fd, ac_fd;
	int	 made_wk, made_ac, wrote_token;	/* what solver_end removes */
	const char *url;		/* the chosen challenge's URL (lent from authz) */
};

/* The key authorization "TOKEN.THUMBPRINT" for type; dns-01 is hashed. */
int	challenge_auth_new(const char *type, const char *token, const char *thumbprint,
	    char **out, struct s2s_err *err);

/* Pick and prepare a challenge of authz for ident. */
int	solver_begin(const struct solver *s, const char *ident, const json_t *challenges,
	    const char *thumbprint, struct solved *sv, struct s2s_err *err);
/* Remove the file, or call the hook with done/failed. Clears sv. */
void	solver_end(const struct solver *s, struct solved *sv, int ok);

/* Run the hook (argv[1..]) within the deadline; its exit status, or negative. */
int	solver_hook_run(const struct solver *s, const char *method, const struct solved *sv,
	    struct s2s_err *err);

#endif
