/*
 * served.h: which certificate does a domain's own XMPP server present?
 *
 * served_fetch() connects to the domain's server the way a federating peer
 * would and reads the leaf certificate each endpoint presents in the TLS
 * handshake. No client certificate is sent and no stream is authenticated:
 * the connection ends right after the handshake. SNI (and the stream's
 * `to`) is the domain.
 *
 * Endpoints, each tried on its own:
 *   - s2s STARTTLS: the targets of _xmpp-server._tcp.DOMAIN SRV;
 *   - s2s direct TLS (XEP-0368): the targets of _xmpps-server._tcp.DOMAIN;
 *     with neither record, DOMAIN port 5269 (RFC 6120 3.2.2); a lone "."
 *     target means no s2s service;
 *   - c2s STARTTLS, when opts->c2s: the targets of _xmpp-client._tcp.DOMAIN,
 *     else DOMAIN port 5222. c2s is optional: a closed port is "closed",
 *     not a failure.
 * or, instead of DNS, the endpoints of a `server =` list (struct cfg_server,
 * config_server_parse(): "HOST:PORT" s2s STARTTLS, "HOST:PORT/tls" s2s
 * direct TLS, "HOST:PORT/c2s" client STARTTLS).
 *
 * Network only: writes nothing, prints nothing. served_fetch_as_user() runs
 * the network part as an unprivileged user when called as root (privsep.h),
 * exactly like probe_run_as_user().
 *
 * Comparing: served_compare() says whether every endpoint that answered
 * presents a given certificate (DER equality of the leaf);
 * served_match_files() names which of some candidate files (the target, the
 * ACME client's live/ copy, ...) holds the leaf a server presents.
 *
 * Ownership: results from served_fetch*() and served_results_from_json()
 * are freed with served_results_free(); endpoints own their X509 leaf.
 */
#ifndef S2S_SERVED_H
#define S2S_SERVED_H

#include <stddef.h>

#include <jansson.h>
#include <openssl/x509.h>

#include "config.h"
#include "deadline.h"
#include "err.h"

#define SERVED_HOST_MAX		256
#define SERVED_ADDR_MAX		48
#define SERVED_DETAIL_MAX	256
#define SERVED_MAX_ENDPOINTS	24
#define SERVED_DEFAULT_TIMEOUT_MS	10000
#define XMPP_C2S_PORT		5222

/* The name s2sguard gives in the s2s stream header's `from`. */
#define SERVED_FROM		"served-check.s2sguard.invalid"

enum served_status {
	SERVED_OK = 0,		/* "ok": handshake done, leaf read */
	SERVED_UNREACHABLE,	/* "unreachable": DNS, refused, timeout */
	SERVED_CLOSED,		/* "closed": c2s port refused (optional endpoint) */
	SERVED_FAILED,		/* "failed": connected, but no certificate: no
				   STARTTLS offered, TLS failed, bad XML */
};

struct served_endpoint {
	enum server_transport	 transport;
	char			 source[40];	/* "_xmpp-server._tcp", "server =", "port 5269" ... */
	char			 host[SERVED_HOST_MAX];
	int			 port;
	int			 resolved;	/* an address was found */
	char			 address[SERVED_ADDR_MAX];	/* "" when never connected */
	enum served_status	 status;
	char			 detail[SERVED_DETAIL_MAX];	/* why, when not ok */
	X509			*leaf;		/* owned; NULL unless ok */
	char			 leaf_sha256[65];	/* hex SHA-256 of the leaf's DER */
	size_t			 chain_len;	/* certificates the server sent */
};

struct served_results {
	char			 domain[SERVED_HOST_MAX];
	size_t			 n;
	struct served_endpoint	*v;
	char			 note[SERVED_DETAIL_MAX];	/* e.g. "no s2s service (SRV .)" */
};

struct served_opts {
	const char		*domain;
	const struct cfg_server *specs;	/* NULL/0: discover through DNS */
	size_t			 nspecs;
	int			 c2s;		/* also try the client port (DNS mode) */
	const char		*resolver;	/* "ADDR[@PORT]"; NULL = system */
	int			 timeout_ms;	/* per endpoint; <= 0: default */
	struct deadline		 deadline;	/* whole fetch; at_ms 0 = none */
};

/*
 * Fetch every endpoint's leaf. Returns < 0 only for bad options or the
 * machine (S2S_EINVAL, S2S_ENOMEM, resolver setup); what the server does
 * is in the results. An endpoint list that DNS leaves empty is a result
 * with n == 0 and a note.
 */
int	served_fetch(const struct served_opts *o, struct served_results **out,
	    struct s2s_err *err);
/* served_fetch, as `user` when running as root (S2S_EPERM if that fails). */
int	served_fetch_as_user(const struct served_opts *o, const char *user,
	    struct served_results **out, struct s2s_err *err);
void	served_results_free(struct served_results *r);

/* Endpoints with status ok. */
size_t	served_count_ok(const struct served_results *r);

enum served_cmp {
	SERVED_CMP_NONE = 0,	/* "none": no endpoint presented a certificate */
	SERVED_CMP_SAME,	/* "same": every answering endpoint presents `want` */
	SERVED_CMP_DIFFERS,	/* "differs": at least one presents another leaf */
};

/*
 * Compare each ok endpoint's leaf with `want` (DER). *nsame / *ndiffer may
 * be NULL.
 */
enum served_cmp	served_compare(const struct served_results *r, X509 *want,
		    size_t *nsame, size_t *ndiffer);
/* 1 when the two certificates have the same DER encoding. */
int		served_leaf_equal(X509 *a, X509 *b);

/*
 * Which file holds `leaf` as its first certificate: the index into
 * paths[] in *index, or -1 when none does. Unreadable or bad candidate
 * files are skipped (they cannot be what the server reads).
 */
int	served_match_files(X509 *leaf, const char *const *paths, size_t n,
	    long *index);

/*
 * For the report: {"domain", "note", "endpoints": [{"transport", "source",
 * "host", "port", "address", "status", "detail", "leaf_sha256",
 * "leaf_subject", "leaf_not_after", "leaf_pem"}]}. The PEM is included only
 * with `with_pem` (for the privilege-separated pipe). NULL on ENOMEM.
 */
json_t	*served_results_to_json(const struct served_results *r, int with_pem);
int	served_results_from_json(const json_t *j, struct served_results **out,
	    struct s2s_err *err);

const char	*served_status_name(enum served_status s);
const char	*served_transport_name(enum server_transport t);
const char	*served_cmp_name(enum served_cmp c);

#endif
