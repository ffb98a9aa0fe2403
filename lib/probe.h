/*
 * probe.h: open real server-to-server XMPP streams to peers, present a
 * certificate, and record how each peer answers SASL EXTERNAL.
 *
 * One process probes many peers at once: an event loop over per-peer state
 * machines (non-blocking sockets, poll, asynchronous libunbound lookups).
 * Network only: never writes files, never prints.
 *
 * Ownership: probe_run() and probe_run_as_user() return results the caller
 * frees with probe_results_free(); probe_results_to_json() returns a new
 * jansson reference.
 */
#ifndef S2S_PROBE_H
#define S2S_PROBE_H

#include <stddef.h>

#include <jansson.h>

#include "deadline.h"
#include "err.h"
#include "log.h"

#define PROBE_DOMAIN_MAX	256	/* a DNS name, NUL included */
#define PROBE_ADDR_MAX		48	/* textual IPv6 address, NUL included */
#define PROBE_REASON_MAX	512
#define PROBE_COND_MAX		64
#define PROBE_TEXT_MAX		384
#define PROBE_MECHS_MAX		128	/* "EXTERNAL SCRAM-SHA-1 ..." */

#define PROBE_DEFAULT_CONCURRENCY	64
#define PROBE_DEFAULT_TIMEOUT_MS	10000

/* What a peer did with our certificate. The names are the JSON strings. */
enum probe_verdict {
	PROBE_PENDING = 0,	/* "pending": not finished (deadline hit first) */
	PROBE_ACCEPTED,		/* "accepted": SASL EXTERNAL <success/> */
	PROBE_REJECTED,		/* "rejected": <failure>, or post-TLS not-authorized */
	PROBE_DIALBACK_ONLY,	/* "dialback-only": no EXTERNAL for us; our dialback request
				   was verified with our domain's server */
	PROBE_DIALBACK_REFUSED,	/* "dialback-refused": dialback offered, our request refused */
	PROBE_DIALBACK_UNVERIFIED, /* "dialback-unverified": request taken, but the peer could
				   not call our domain back, or no answer in time */
	PROBE_NO_AUTH,		/* "no-auth": neither EXTERNAL nor dialback offered */
	PROBE_TLS_FAILED,	/* "tls-failed": handshake alert, no STARTTLS, ... */
	PROBE_STREAM_ERROR,	/* "stream-error": <stream:error> (condition: text) */
	PROBE_PROTOCOL_ERROR,	/* "protocol-error": bad XML, limits, early close */
	PROBE_NO_SERVICE,	/* "no-service": SRV target "." */
	PROBE_UNREACHABLE,	/* "unreachable": DNS, refused, connect timeout, silence */
	PROBE_VERDICT_COUNT
};

/* The peer's own certificate, judged against --ca-file (or the system's). */
enum probe_peer_cert {
	PROBE_PEER_CERT_UNKNOWN = 0,	/* "unknown": no TLS reached */
	PROBE_PEER_CERT_TRUSTED,	/* "trusted" */
	PROBE_PEER_CERT_UNTRUSTED,	/* "untrusted" */
	PROBE_PEER_CERT_NAME_MISMATCH,	/* "name-mismatch" */
};

/* Feature bits seen after TLS (and PROBE_FEAT_PRE_* before it). */
#define PROBE_FEAT_STARTTLS		0x01u	/* pre-TLS <starttls/> */
#define PROBE_FEAT_STARTTLS_REQUIRED	0x02u
#define PROBE_FEAT_PRE_DIALBACK		0x04u	/* dialback offered before TLS */
#define PROBE_FEAT_EXTERNAL		0x10u	/* post-TLS SASL EXTERNAL */
#define PROBE_FEAT_DIALBACK		0x20u	/* post-TLS dialback */
#define PROBE_FEAT_BIDI			0x40u
#define PROBE_FEAT_CERT_REQUESTED	0x80u	/* TLS CertificateRequest seen */

/* Milliseconds per step; -1 = step not reached. */
struct probe_timing {
	int	resolve_ms;
	int	connect_ms;
	int	tls_ms;
	int	features_ms;	/* TLS done -> post-TLS features */
	int	auth_ms;	/* <auth/> -> answer */
	int	dialback_ms;	/* <db:result/> -> answer */
	int	total_ms;
};

/* One probe of one peer with one certificate. */
struct probe_attempt {
	enum probe_verdict	verdict;
	char			reason[PROBE_REASON_MAX];	/* the peer's words where it gave any */
	char			condition[PROBE_COND_MAX];	/* SASL or stream error condition */
	char			text[PROBE_TEXT_MAX];		/* its <text/>, verbatim */
	char			address[PROBE_ADDR_MAX];	/* "" when never connected */
	int			port;
	int			direct_tls;			/* XEP-0368 */
	enum probe_peer_cert	peer_cert;
	char			peer_cert_detail[PROBE_TEXT_MAX];
	unsigned		features;			/* PROBE_FEAT_* */
	char			mechanisms[PROBE_MECHS_MAX];	/* post-TLS, space separated */
	/* The peer's answer to our dialback request; "" when none was sent. */
	char			db_result[16];			/* valid, invalid, error, none */
	char			db_condition[PROBE_COND_MAX];	/* its stanza error condition */
	char			db_text[PROBE_TEXT_MAX];
	struct probe_timing	timing;
};

struct probe_result {
	char			peer[PROBE_DOMAIN_MAX];
	struct probe_attempt	probe;		/* with the new certificate */
	int			has_baseline;
	struct probe_attempt	baseline;	/* with the deployed certificate */
	int			regression;	/* baseline accepted, new not */
};

struct probe_results {
	size_t			 n;
	struct probe_result	*v;
	int			 deadline_hit;	/* some peers are still PROBE_PENDING */
};

/* --peer DOMAIN=HOST:PORT[/tls]: connect here instead of resolving DOMAIN. */
struct probe_override {
	const char	*domain;
	const char	*host;		/* address literal or a name to resolve (A/AAAA) */
	int		 port;
	int		 direct_tls;
};

struct probe_opts {
	const char	*from;			/* our domain */
	const char	*cert_path;		/* full chain, leaf first */
	const char	*key_path;
	const char	*baseline_cert_path;	/* NULL: no baseline */
	const char	*baseline_key_path;
	const char *const *peers;
	size_t		 npeers;
	const struct probe_override *overrides;
	size_t		 noverrides;
	int		 concurrency;		/* <= 0: PROBE_DEFAULT_CONCURRENCY */
	int		 timeout_ms;		/* per peer; <= 0: PROBE_DEFAULT_TIMEOUT_MS */
	struct deadline	 deadline;		/* whole run; at_ms 0 = none */
	const char	*resolver;		/* "ADDR[@PORT]"; NULL = system resolver */
	const char	*ca_file;		/* NULL = system trust store */
	const struct s2s_log *log;		/* may be NULL */
	/* Called from the event loop now and then; may be NULL. */
	void		(*progress)(void *arg, size_t done, size_t total);
	void		*progress_arg;
};

/*
 * Parse "DOMAIN=HOST:PORT" or "DOMAIN=HOST:PORT/tls" ("[v6]:PORT" too).
 * The strings point into `spec`, which is modified and must outlive `out`.
 */
int	probe_override_parse(char *spec, struct probe_override *out, struct s2s_err *err);

/*
 * Load certificate(s) and key(s), probe every peer, return one result per
 * peer in opts->peers order. Errors (return < 0) are about the inputs or
 * the machine: S2S_EIO / S2S_EPARSE for an unreadable or bad certificate,
 * key or CA file, S2S_EINVAL for bad options, S2S_ENOMEM. What peers do is
 * never an error: it is in the results.
 */
int	probe_run(const struct probe_opts *opts, struct probe_results **out, struct s2s_err *err);

/*
 * probe_run with privilege separation: when running as root, fork a child
 * that loads certificates and keys, drops to `user` (supplementary groups,
 * gid, uid, then checks it cannot regain root), probes, and sends its
 * results back over a pipe as JSON; peer XML is never parsed as root.
 * Not root: the same as probe_run. Errors as probe_run, plus S2S_EPERM
 * (unknown user, drop failed).
 */
int	probe_run_as_user(const struct probe_opts *opts, const char *user,
	    struct probe_results **out, struct s2s_err *err);

void	probe_results_free(struct probe_results *res);

/* Counts for the summary and the exit status. */
size_t	probe_results_count(const struct probe_results *res, enum probe_verdict v);
size_t	probe_results_regressions(const struct probe_results *res);

/*
 * The shared report's "probes" array (new reference): one object per peer
 * with peer, address, port, transport ("starttls" | "direct-tls"), verdict,
 * reason, condition, text, peer_cert, features, timing_ms, baseline (when
 * probed) and regression. NULL on allocation failure.
 */
json_t	*probe_results_to_json(const struct probe_results *res);
/* The report's "summary" object: counts per verdict, regressions. */
json_t	*probe_summary_to_json(const struct probe_results *res);
/* The inverse of probe_results_to_json (for IPC and stored state). */
int	probe_results_from_json(const json_t *probes, struct probe_results **out,
	    struct s2s_err *err);

const char	*probe_verdict_name(enum probe_verdict v);
/* -1 when `name` is no verdict name. */
int		 probe_verdict_from_name(const char *name);
const char	*probe_peer_cert_name(enum probe_peer_cert c);

#endif
