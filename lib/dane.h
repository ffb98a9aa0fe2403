/*
 * dane.h: will a new certificate still match the domain's DANE TLSA
 * records? Finds the TLSA names the way a DANE peer does (RFC 7673), looks
 * them up with DNSSEC validation and matches every record against the new
 * chain and the deployed one (lib/tlsa.h). Network only through
 * lib/resolver.h; writes nothing.
 *
 * TLSA names: for each _xmpp-server._tcp and _xmpps-server._tcp SRV target
 * of a DNSSEC-secure SRV answer, _PORT._tcp.TARGET; with no SRV records at
 * all, _5269._tcp.DOMAIN. An insecure SRV answer means peers use no DANE
 * for its targets (one "insecure" entry, named after the SRV owner); a bogus
 * or failed SRV lookup makes peers give up (one "bogus" entry).
 *
 * Verdict per name, from harmless to alarming (enum order):
 *   no-tlsa                secure answer without (usable) TLSA records
 *   insecure               unsigned answer: DANE not in force there
 *   matches-new            a record matches the new chain: safe to deploy
 *   matches-neither        nothing matches the deployed chain either: already
 *                          broken, not the renewal's fault
 *   matches-deployed-only  deploying now breaks DANE peers: a regression
 *   bogus                  validation failed, or the lookup failed (SERVFAIL,
 *                          timeout): a DANE peer cannot connect; change nothing
 * The domain's verdict is the worst of its names.
 *
 * Rollover rule (RFC 7671 §8.1): publish the new records beside the old
 * ones, wait until they are visible with a secure answer and at least twice
 * the TLSA TTL has passed since, then deploy. The caller (hook, check)
 * records when the new records were first seen (result->new_visible at
 * result->checked_at) and asks dane_rollover_ready().
 */
#ifndef S2S_DANE_H
#define S2S_DANE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <jansson.h>
#include <openssl/x509.h>

#include "cert.h"
#include "deadline.h"
#include "err.h"
#include "resolver.h"
#include "tlsa.h"

#define DANE_DEFAULT_TRUST_ANCHOR	"/usr/share/dns/root.key"
#define DANE_MAX_NAMES		16	/* TLSA names looked up for one domain */
#define DANE_MAX_RECORDS	32	/* TLSA records kept per name */
#define DANE_NAME_MAX		320	/* "_65535._tcp." + a 253-byte host name */

enum dane_verdict {
	DANE_NO_TLSA = 0,
	DANE_INSECURE,
	DANE_MATCHES_NEW,
	DANE_MATCHES_NEITHER,
	DANE_MATCHES_DEPLOYED_ONLY,
	DANE_BOGUS,
};

struct dane_record {
	struct tlsa_record	rec;
	struct tlsa_match	new_match;
	struct tlsa_match	deployed_match;	/* all 0 without a deployed chain */
};

struct dane_name {
	char			 name[DANE_NAME_MAX];	/* "_5269._tcp.xmpp.example.org" */
	char			 via[DANE_NAME_MAX];	/* SRV owner it came from; "" = no SRV */
	enum resolver_security	 security;
	uint32_t		 ttl;
	enum dane_verdict	 verdict;
	char			 why[256];		/* bogus / failure / note; "" */
	size_t			 nrecords;
	struct dane_record	*records;
};

struct dane_result {
	char			 domain[256];
	enum dane_verdict	 verdict;	/* the worst of names[] */
	size_t			 nnames;
	struct dane_name	 names[DANE_MAX_NAMES];
	/* Records for the new chain: [0] 3 1 1 of the leaf, [1] 2 1 1 of its issuer. */
	struct tlsa_record	 publish[2];
	size_t			 npublish;
	int			 deployed_given; /* a deployed chain was compared */
	int			 key_changed;	 /* new leaf key != deployed leaf key */
	int			 issuer_changed; /* new issuing CA key != deployed one */
	/*
	 * Every name where DANE is in force (secure, usable records) has a
	 * record matching the new chain, and there is at least one such name.
	 */
	int			 new_visible;
	/*
	 * Every name with new_visible has a record that matches both chains
	 * (e.g. 3 1 1 after a key-reusing renewal): nothing new was published,
	 * so the rollover wait does not apply.
	 */
	int			 new_preexisting;
	uint32_t		 ttl;		/* largest TTL of the secure TLSA answers */
	time_t			 checked_at;	/* wall clock of the lookups */
};

/*
 * A validating resolver for DANE: forwarder "ADDR[@PORT]" or NULL (system
 * resolver); trust_anchor a DS/DNSKEY or unbound-anchor file, NULL for
 * DANE_DEFAULT_TRUST_ANCHOR. A missing anchor file is an error (without
 * one every answer would look insecure and DANE would silently be "off").
 * When the anchor is the root's, the root DNSKEY must validate through the
 * forwarder (one query, bounded by dl): a resolver that strips or breaks
 * DNSSEC is an error (S2S_ENET), not a reason to call every domain bogus.
 */
int	dane_resolver_new(const char *forwarder, const char *trust_anchor,
	    const struct deadline *dl, struct resolver **out, struct s2s_err *err);

/*
 * Check `domain`'s TLSA records against new_chain and (when not NULL) the
 * deployed chain. Lookups run in parallel and are bounded by dl; a lookup
 * that fails or times out becomes a "bogus" name, not an error. Errors:
 * bad arguments, out of memory. now = 0 means time(NULL) (checked_at).
 */
int	dane_check(struct resolver *r, const char *domain,
	    const struct cert_chain *new_chain, const struct cert_chain *deployed,
	    const struct deadline *dl, time_t now, struct dane_result **out,
	    struct s2s_err *err);
void	dane_result_free(struct dane_result *res);

/*
 * The pure step of dane_check: judge one TLSA answer (NULL = the lookup
 * failed, `failure` says why) for name `n` (name/via already set) against
 * the chains (deployed: NULL leaf for none). Fills security, ttl, records,
 * verdict, why.
 */
int	dane_judge_answer(struct dane_name *n, const struct resolver_answer *ans,
	    const char *failure, X509 *new_leaf, STACK_OF(X509) *new_extra,
	    X509 *dep_leaf, STACK_OF(X509) *dep_extra, struct s2s_err *err);
/* Domain verdict, new_visible and ttl from the judged names. */
void	dane_summarize(struct dane_result *res);

/*
 * The rollover rule: 1 once the new records, first seen (secure) at
 * first_seen, have been visible for at least twice the TLSA TTL at `now`.
 * 0 while waiting, or when first_seen is 0 (never seen).
 */
int	dane_rollover_ready(time_t first_seen, uint32_t ttl, time_t now);
/* Earliest time dane_rollover_ready() says yes; 0 when first_seen is 0. */
time_t	dane_rollover_at(time_t first_seen, uint32_t ttl);

/*
 * The hook/check decision for one domain, pure. mode is the domain's
 * "dane = off|warn|hold" setting. st is what the caller keeps in its state
 * between runs (zero it for a new pending certificate) and is updated here:
 * first_seen is set when the new records are first seen secure and reset
 * when they disappear; ttl keeps the largest TLSA TTL seen.
 *   off                        deploy
 *   a name bogus or matches-deployed-only
 *                              hold (warn: deploy with a warning)
 *   a name matches-new through a record that did not match the deployed
 *   chain (freshly published)  hold until dane_rollover_ready() (warn:
 *                              deploy with a warning)
 *   otherwise, a name matches-neither
 *                              deploy with a warning (already broken)
 *   otherwise                  deploy (matches-new through records that were
 *                              there already, no-tlsa, insecure)
 */
enum dane_mode {
	DANE_MODE_OFF = 0,
	DANE_MODE_WARN,
	DANE_MODE_HOLD,
};

enum dane_action {
	DANE_ACT_DEPLOY = 0,
	DANE_ACT_DEPLOY_WARN,
	DANE_ACT_HOLD,
};

struct dane_state {
	time_t		first_seen;	/* new records first seen secure; 0 = not yet */
	uint32_t	ttl;		/* largest TLSA TTL seen while waiting */
};

struct dane_decision {
	enum dane_action	action;
	time_t			ready_at;	/* a rollover wait ends then; 0 otherwise */
	char			reason[300];
};

void	dane_decide(enum dane_mode mode, const struct dane_result *res, struct dane_state *st,
	    time_t now, struct dane_decision *out);
/* "off" "warn" "hold" <-> mode; -1 for anything else. */
int	dane_mode_parse(const char *s);
const char *dane_action_name(enum dane_action a);

/* "matches-new" ... "bogus"; "secure" "insecure" "bogus". */
const char *dane_verdict_name(enum dane_verdict v);
const char *dane_security_name(enum resolver_security s);

/* The rollover rule as one sentence with the TTL filled in, into buf. */
void	dane_rollover_text(uint32_t ttl, char *buf, size_t len);
/* How to keep the key across renewals, per ACME client (constant text). */
const char *dane_key_advice(void);
/* Why a CA change breaks 2 x x records and what to publish (constant text). */
const char *dane_issuer_advice(void);

/*
 * The "dane" object of the shared JSON report (new reference; NULL when
 * out of memory). Documented in s2sguard-inspect(1), REPORT.
 */
json_t	*dane_to_json(const struct dane_result *res);

#endif
