/*
 * install.h: put a verified certificate where the ACME client's users
 * expect it. Every file is staged first (mkstemp beside the target,
 * fchown/fchmod before any byte, write, fsync); only when all are staged
 * are they renamed in and the directories fsynced. A failure before the
 * renames leaves nothing behind; a failure during them is rolled back.
 */
#ifndef S2S_ACME_INSTALL_H
#define S2S_ACME_INSTALL_H

#include <stddef.h>

#include "err.h"

struct install_files {
	const char	*cert, *chain, *fullchain, *key;	/* PEM text */
};

/* Plain files; NULL paths are skipped. An existing file keeps owner and mode. */
int	install_plain(const char *out_cert, const char *out_chain, const char *out_fullchain,
	    const char *out_key, const struct install_files *f, struct s2s_err *err);

/*
 * certbot lineage: archive/NAME/{cert,chain,fullchain,privkey}M.pem with
 * M = highest existing version + 1 (owner and mode of the current files;
 * privkey never group-writable or world-readable), then each live/NAME
 * link repointed by symlink-to-temp + rename. *version gets M.
 */
int	install_certbot(const char *archive_dir, const char *live_dir,
	    const struct install_files *f, int *version, struct s2s_err *err);

/* acme.sh domain directory: DOMAIN.cer, DOMAIN.key, ca.cer, fullchain.cer. */
int	install_acmesh(const char *domain_dir, const char *domain,
	    const struct install_files *f, struct s2s_err *err);

/* Highest N of archive_dir/{cert,chain,fullchain,privkey}N.pem, 0 if none. */
int	install_certbot_max_version(const char *archive_dir, struct s2s_err *err);

#endif
