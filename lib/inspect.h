/*
 * inspect.h: judge a certificate chain the way XMPP peers will.
 *
 * The TLS-client verdict is OpenSSL's own purpose check (X509_PURPOSE_SSL_CLIENT,
 * as ejabberd < 25.07 unpatched and Metronome apply it) across the chain it
 * builds, so an intermediate without clientAuth fails a leaf that has it.
 * Peers judge our outbound chain by one of two rules (peer families): the
 * client purpose, or the server purpose (Prosody, ejabberd >= 25.07 and
 * Debian 13's patched 24.12); the inspection says what each family does.
 * No network, writes nothing.
 */
#ifndef S2S_INSPECT_H
#define S2S_INSPECT_H

#include <stddef.h>
#include <time.h>

#include <jansson.h>
#include <openssl/x509.h>

#include "cert.h"
#include "err.h"

/* Also the exit status of s2sguard-inspect. */
enum inspect_verdict {
	INSPECT_USABLE = 0,		/* fine for s2s in both directions */
	INSPECT_SERVER_ONLY = 1,	/* no clientAuth along the chain */
	INSPECT_INVALID = 2,		/* expired, names, key, broken chain */
	INSPECT_UNREADABLE = 3,		/* could not read the input */
};

struct inspect_opts {
	const char		*cert_path;	/* leaf or full chain, PEM or DER */
	const char		*chain_path;	/* optional extra chain file */
	const char		*key_path;	/* optional private key */
	const char		*previous_path;	/* optional: the deployed certificate */
	const char		*ca_file;	/* NULL: the system trust store */
	const char *const	*domains;	/* XMPP domains it must serve */
	size_t			 ndomains;
	time_t			 now;		/* 0: the current time */
};

struct cert_summary {
	char	subject[256];
	char	issuer[256];
	char	serial[100];		/* hex, colon-free */
	time_t	not_before, not_after;
	long	days_left;		/* floor((not_after - now) / 86400) */
	char	key_type[16];		/* "EC", "RSA", "ED25519", ... */
	char	key_detail[24];		/* curve name, e.g. "P-256" */
	int	key_bits;
	char	spki_sha256[65];	/* DANE 3 1 1 */
	char	eku[200];		/* "serverAuth,clientAuth"; "" when absent */
	int	eku_present;
	int	is_ca;
	int	client_ok;		/* passes SSL client purpose at its place */
	int	server_ok;		/* passes SSL server purpose at its place */
	int	from_store;		/* added by chain building (trust anchor) */
};

struct purpose_verdict {
	int	ok;
	int	broken_at;		/* index in certs[], -1 if none */
	char	reason[256];
};

/* The two rules peers apply to the chain of a server connecting to them. */
enum peer_family {
	PEER_FAMILY_CLIENT_PURPOSE = 0,	/* X509_PURPOSE_SSL_CLIENT along the chain */
	PEER_FAMILY_SERVER_PURPOSE = 1,	/* X509_PURPOSE_SSL_SERVER along the chain */
};
#define INSPECT_NFAMILIES	2

struct peer_family_info {
	const char	*name;		/* "client-purpose", "server-purpose" */
	const char	*check;		/* the OpenSSL purpose */
	const char	*peers;		/* which servers judge this way */
};

struct family_verdict {
	int	accepts;		/* the chain passes this family's check */
	char	reason[512];		/* why not; "" when it accepts */
};

struct name_verdict {
	char	domain[256];
	int	dns_id, srv_id, xmpp_addr, cn_id;
	int	covered;
};

struct inspect_diff {
	int	present;		/* a previous certificate was given */
	int	client_lost, client_gained;
	int	key_changed;		/* SPKI differs: DANE 3 1 1 stops matching */
	int	issuer_changed;
	long	old_lifetime_days, new_lifetime_days;
	long	old_days_left;
	char	old_spki_sha256[65];
	char	old_issuer[256];
	char	names_added[512];	/* space separated */
	char	names_removed[512];
};

struct inspection {
	struct cert_summary	 certs[CERT_MAX_CHAIN + 4];
	size_t			 ncerts;	/* built chain, leaf first */
	size_t			 nunused;	/* file certificates not in the chain */
	int			 trusted;
	char			 trust_reason[256];
	int			 order_ok;	/* leaf first in the file */
	struct purpose_verdict	 client, server;
	struct family_verdict	 families[INSPECT_NFAMILIES];	/* by enum peer_family */
	struct name_verdict	*names;
	size_t			 nnames;
	char			 leaf_names[1024];	/* all identifiers, space separated */
	int			 key_checked, key_match;
	int			 time_ok;
	char			 time_reason[256];
	struct inspect_diff	 diff;
	enum inspect_verdict	 verdict;
	char			 verdict_reason[512];
};

/* A trust store from a CA file, or the system's default paths when NULL. */
int	inspect_store_new(const char *ca_file, X509_STORE **out, struct s2s_err *err);

/* Inspect already loaded parts; key and previous may be NULL. */
int	inspect_chain(const struct cert_chain *chain, EVP_PKEY *key,
	    const struct cert_chain *previous, X509_STORE *store,
	    const struct inspect_opts *opts, struct inspection **out, struct s2s_err *err);

/*
 * Load the files named in opts and inspect them. On a read error returns
 * negative with err set (the caller's verdict is INSPECT_UNREADABLE).
 */
int	inspect_files(const struct inspect_opts *opts, struct inspection **out,
	    struct s2s_err *err);

void	inspection_free(struct inspection *ins);

const char *inspect_verdict_name(enum inspect_verdict v);

/* The fixed description of a peer family. */
const struct peer_family_info *inspect_family_info(enum peer_family f);

/* The "inspection" object of the shared report (new reference). */
json_t	*inspect_to_json(const struct inspection *ins);

#endif
