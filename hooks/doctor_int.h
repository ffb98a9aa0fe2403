/*
 * doctor_int.h: the checks behind doctor_run(), one file per concern
 * (doctor_checks.c, doctor_acme.c, doctor_server.c, doctor_served.c), and
 * the pieces they share. Each check returns 0, or S2S_ENOMEM when it could
 * not record its result.
 */
#ifndef S2S_DOCTOR_INT_H
#define S2S_DOCTOR_INT_H

#include "config.h"
#include "doctor.h"

int	doctor_check_config(const struct doctor_opts *o, struct doctor_results *r);
int	doctor_check_probe_user(const struct doctor_opts *o, struct doctor_results *r);
int	doctor_check_state_dir(const struct doctor_opts *o, struct doctor_results *r);
int	doctor_check_timer(const struct doctor_opts *o, struct doctor_results *r);
int	doctor_check_served(const struct doctor_opts *o, const struct cfg_domain *d,
	    struct doctor_results *r);
int	doctor_check_acme_hook(const struct doctor_opts *o, const struct cfg_domain *d,
	    struct doctor_results *r);
/* inbound-purpose and dialback */
int	doctor_check_server(const struct doctor_opts *o, const struct cfg_domain *d,
	    struct doctor_results *r);
int	doctor_check_dane_anchor(const struct doctor_opts *o, const struct cfg_domain *d,
	    struct doctor_results *r);
int	doctor_check_expiry(const struct doctor_opts *o, const struct cfg_domain *d,
	    struct doctor_results *r);

/*
 * Read a whole small file (at most max bytes, regular files only) as a
 * NUL-terminated string. S2S_ENOTFOUND when absent. The caller frees *out
 * with mem_free.
 */
int	doctor_read_text(const char *path, size_t max, char **out, struct s2s_err *err);

/* The local XMPP server software, as the doctor finds it. */
enum srv_kind {
	SRV_NONE = 0,
	SRV_PROSODY,
	SRV_EJABBERD,
	SRV_METRONOME,
};

/* What a server's configuration file says about the things the doctor checks. */
struct srvconf {
	enum srv_kind	 kind;
	int		 dialback;	/* 1 on, 0 off, -1 cannot tell */
	char		 dialback_why[256];	/* "modules_disabled in VirtualHost \"x\"" */
	int		 ignore_purpose;	/* Metronome: verifyext has lsec_ignore_purpose */
	struct strlist	 cert_paths;	/* certificate files and directories it names */
};

/*
 * Parse Prosody's or Metronome's Lua configuration (kind SRV_PROSODY or
 * SRV_METRONOME) or ejabberd's YAML, for the VirtualHost/host DOMAIN. Not
 * a Lua or YAML parser: a scanner that skips comments and strings and
 * finds the few settings above, global or in DOMAIN's section.
 */
int	srvconf_parse(enum srv_kind kind, const char *text, const char *domain,
	    struct srvconf *out, struct s2s_err *err);
void	srvconf_clear(struct srvconf *c);
const char	*srv_kind_name(enum srv_kind k);

/*
 * Installed version of a Debian package from dpkg-query, with the admin
 * directory under the doctor's root. S2S_ENOTFOUND when not installed (or
 * no dpkg); the version into buf.
 */
int	doctor_dpkg_version(const struct doctor_opts *o, const char *pkg, char *buf,
	    size_t bufsz, struct s2s_err *err);

#endif
