/*
 * config.h: /etc/s2sguard/s2sguard.conf, an INI file parsed with inih.
 *
 *   [s2sguard]            (or [global]) state_dir, probe_user, deadline,
 *                          and defaults for every domain
 *   [mail]                one mail channel (SMTP via libcurl, or sendmail)
 *   [webhook NAME]        any number of webhooks
 *   [domain NAME]         one XMPP domain: deploy target, reload, peers,
 *                          policy
 *
 * config_load() validates everything (unknown keys and sections too) and
 * either returns a complete struct config or fails with "FILE:LINE: problem"
 * in err, having changed nothing. The strings are owned by the config.
 * doc/s2sguard.conf.5 documents every key.
 */
#ifndef S2S_CONFIG_H
#define S2S_CONFIG_H

#include <stddef.h>
#include <sys/types.h>

#include "err.h"

#define CONFIG_DEFAULT_PATH	S2S_SYSCONFDIR "/s2sguard/s2sguard.conf"
#define CONFIG_MAX_BYTES	(256 * 1024)

struct strlist {
	char	**v;
	size_t	  n;
};

enum target_kind {
	TARGET_NONE = 0,	/* not configured: inspect/probe/warn only */
	TARGET_PROSODY,		/* certs_dir/NAME.crt + certs_dir/NAME.key */
	TARGET_EJABBERD,	/* one PEM: full chain + key */
	TARGET_FILES,		/* explicit cert + key, or one pem */
};

enum policy_kind {
	POLICY_WARN = 0,
	POLICY_HOLD,
	POLICY_REISSUE,
};

enum probe_mode {
	PROBE_AUTO = 0,		/* probe when the new chain lacks clientAuth */
	PROBE_ALWAYS,
	PROBE_NEVER,
};

/* The hook's exit status toward the ACME client (s2sguard-hook(1)). */
enum exit_codes_style {
	EXIT_CODES_CLIENT = 0,	/* per client: held/warned are success where it matters */
	EXIT_CODES_DETAILED,	/* always the detailed codes */
};

enum notify_when {
	NOTIFY_PROBLEMS = 0,	/* warn, hold, reissue, rollback, error */
	NOTIFY_ALWAYS,
};

/*
 * One word of `server =` in a [domain]: where the domain's own XMPP server
 * listens, for checking which certificate it presents (served.h).
 */
#define CFG_SERVER_HOST_MAX	256
enum server_transport {
	SERVER_S2S_STARTTLS = 0,	/* "HOST:PORT" */
	SERVER_S2S_DIRECT_TLS,		/* "HOST:PORT/tls" (XEP-0368) */
	SERVER_C2S_STARTTLS,		/* "HOST:PORT/c2s" */
};

struct cfg_server {
	char			host[CFG_SERVER_HOST_MAX];
	int			port;
	enum server_transport	transport;
};

struct cfg_domain {
	char		*name;		/* the XMPP domain */
	int		 line;		/* where the section starts */
	struct strlist	 match;		/* certificate names that select it */
	enum target_kind target;
	char		*cert_path;	/* full chain (prosody: NAME.crt) */
	char		*key_path;
	char		*pem_path;	/* key + full chain in one file */
	char		*owner;		/* NULL = root */
	char		*group;		/* NULL = root */
	mode_t		 key_mode;	/* key or combined pem; default 0640 */
	mode_t		 cert_mode;	/* certificate file; default 0644 */
	char		*reload;	/* /bin/sh -c command; NULL = none */
	int		 reload_timeout;	/* seconds */
	struct strlist	 peers;
	char		*peers_file;
	char		*peers_command;
	struct strlist	 critical_peers;
	struct strlist	 connect;	/* "PEER=HOST:PORT[/tls]": skip DNS for PEER */
	enum policy_kind policy;
	enum policy_kind fallback;	/* after a failed reissue: warn|hold */
	int		 hold_min_days;
	enum probe_mode	 probe;
	char		*reissue_command;	/* default: s2sguard-reissue */
	char		*reissue_directory;	/* alternate CA's directory URL */
	char		*reissue_profile;
	char		*reissue_account_key;
	char		*reissue_email;
	char		*reissue_ca_bundle;	/* trust for the alternate CA */
	char		*reissue_eab_kid;	/* External Account Binding key id */
	char		*reissue_eab_hmac_key_file;	/* its HMAC key, passed as a file */
	struct strlist	 reissue_args;		/* extra arguments, verbatim */
	int		 dane;			/* enum dane_mode; -1 = [s2sguard]'s (config_dane.h) */
	char		*dane_resolver;
	char		*dane_trust_anchor;
	struct cfg_server *servers;	/* `server =`; none: SRV of the domain */
	size_t		 nservers;
	int		 verify_served;	/* check the served leaf after a reload (1) */
};

struct cfg_mail {
	int		 enabled;
	struct strlist	 to;
	char		*from;
	char		*smtp_url;	/* smtp://host:port or smtps:// */
	int		 starttls;	/* 1 = required (default), 0 = off */
	char		*user;
	char		*password;	/* secret: never printed */
	char		*sendmail;	/* used when smtp_url is NULL */
	char		*ca_bundle;
	char		*template;	/* file name under templates_dir or a path */
	enum notify_when when;
};

enum webhook_format {
	WEBHOOK_JSON = 0,	/* the run's report as JSON */
	WEBHOOK_SLACK,		/* {"text": ...} */
	WEBHOOK_MATRIX,		/* {"msgtype":"m.text","body":...} (+"text") */
	WEBHOOK_NTFY,		/* text/plain with a Title header */
};

struct cfg_webhook {
	char			*name;
	char			*url;		/* may hold a secret: never printed */
	enum webhook_format	 format;
	char			*token;		/* Authorization: Bearer (secret) */
	char			*template;
	char			*ca_bundle;
	enum notify_when	 when;
};

struct config {
	char			*path;		/* the file read, or NULL */
	char			*state_dir;
	char			*probe_user;
	char			*templates_dir;
	char			*metrics_path;	/* Prometheus textfile; NULL = off */
	char			*reissue_command;
	char			*ca_file;	/* trust anchors for inspection and probes */
	char			*resolver;	/* "ADDR[@PORT]"; NULL = system */
	int			 probe_timeout;	/* seconds per peer */
	int			 deadline;	/* seconds, whole run */
	long			 probe_interval;	/* seconds between re-probes of
							   the deployed certificate */
	enum exit_codes_style	 exit_codes;
	int			 dane;		/* default dane mode; -1 = unset (config_dane.h) */
	char			*dane_resolver;
	char			*dane_trust_anchor;
	struct cfg_mail		 mail;
	struct cfg_webhook	*webhooks;
	size_t			 nwebhooks;
	struct cfg_domain	*domains;
	size_t			 ndomains;
};

/*
 * Read and validate PATH. A missing file is S2S_ENOTFOUND (callers decide
 * whether that is fine); any other problem is "PATH:LINE: problem".
 */
int	config_load(const char *path, struct config **out, struct s2s_err *err);
/* Parse from memory (`what` names the input); for tests. */
int	config_parse(const char *text, const char *what, struct config **out,
	    struct s2s_err *err);
/* A config with the built-in defaults and no domains. */
int	config_default_new(struct config **out, struct s2s_err *err);
void	config_free(struct config *cfg);

/* The [domain] whose name or match list equals NAME (case-insensitive); lent. */
struct cfg_domain *config_domain_get(const struct config *cfg, const char *name);

const char	*config_policy_name(enum policy_kind p);
const char	*config_target_name(enum target_kind t);

/* Append a copy of s; 0 or S2S_ENOMEM. */
int	strlist_add(struct strlist *l, const char *s);
/* Split on spaces, tabs and commas, appending each word. */
int	strlist_add_words(struct strlist *l, const char *s);
int	strlist_has(const struct strlist *l, const char *s);	/* case-insensitive */
void	strlist_clear(struct strlist *l);

/*
 * Parse a `server =` word: "HOST:PORT", "HOST:PORT/tls", "HOST:PORT/c2s",
 * "[IPv6]:PORT..." too. S2S_EINVAL naming the word.
 */
int	config_server_parse(const char *word, struct cfg_server *out, struct s2s_err *err);

/* A domain name safe as a file name component: [A-Za-z0-9.-_], no "..". */
int	config_domain_name_ok(const char *name);

#endif
