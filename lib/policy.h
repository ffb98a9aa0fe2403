/*
 * policy.h: the decision, and nothing else. Plain values in (what
 * inspection found, how each peer answered the new and the deployed
 * certificate, what the operator configured), one decision out. No I/O,
 * so every row of the table is a unit test (tests/unit/test_policy.c).
 *
 * The rules, in order:
 *  1. A new certificate that inspection calls invalid (expired, wrong
 *     names, key mismatch, broken chain) is refused: nothing is deployed.
 *  2. A peer "regressed" when it accepted the deployed pair (the baseline)
 *     and does not accept the new one. Peers that were already failing, or
 *     that had no baseline, are reported but never blamed on the renewal.
 *     With critical_peers set, only their regressions decide; the others
 *     are warnings. A peer that refused the held certificate in an earlier
 *     run (the state's pending.regressed_peers) stays regressed until it
 *     accepts: unreachable, a timeout, a TLS failure change nothing.
 *  3. Without probes (probe = never, no peers, or no peer answered at
 *     all) a chain that lost clientAuth counts as a suspected regression.
 *  4. No deciding regression: deploy (deploy-warn when something is worth
 *     saying: non-critical regressions, a server-only chain, failed peers).
 *  5. A deciding regression, by policy:
 *       warn    -> deploy-warn
 *       hold    -> hold, but only while the deployed certificate has more
 *                  than hold_min_days left; otherwise deploy-warn
 *       reissue -> reissue (first pass); after a reissue was tried the
 *                  fallback (warn or hold) applies as above
 *     Nothing deployed yet (no deployed certificate) cannot be held.
 */
#ifndef S2S_POLICY_H
#define S2S_POLICY_H

#include <stddef.h>

#include <jansson.h>

#include "config.h"

enum peer_state {
	PEER_NOT_PROBED = 0,
	PEER_ACCEPTED,		/* SASL EXTERNAL succeeded */
	PEER_DEGRADED,		/* dialback only: federation limps on */
	PEER_FAILED,		/* rejected, TLS failed, stream error, ... */
	PEER_UNREACHABLE,	/* unreachable, no service, pending */
};

struct policy_peer {
	const char	*name;
	enum peer_state	 now;		/* with the new certificate */
	enum peer_state	 baseline;	/* with the deployed one */
	int		 critical;
	const char	*reason;	/* the peer's words; may be NULL */
	int		 held;		/* it refused the held certificate before */
};

struct policy_input {
	int			 new_invalid;	/* inspection verdict "invalid" */
	const char		*invalid_reason;
	int			 new_client_ok;	/* chain allows clientAuth */
	int			 prev_client_ok;	/* the deployed chain did */
	int			 have_deployed;	/* a deployed certificate exists */
	long			 deployed_days_left;
	int			 probed;	/* peers were probed */
	const struct policy_peer *peers;
	size_t			 npeers;
	int			 have_critical;	/* critical_peers configured */
	enum policy_kind	 policy;
	enum policy_kind	 fallback;	/* warn | hold, after a reissue */
	int			 reissue_tried;
	int			 hold_min_days;
};

enum decision_action {
	DECIDE_DEPLOY = 0,
	DECIDE_DEPLOY_WARN,
	DECIDE_HOLD,
	DECIDE_REISSUE,
	DECIDE_REFUSE,		/* the new certificate is unusable */
};

#define POLICY_MAX_REASONS	8

struct decision {
	enum decision_action	action;
	int			regressions;		/* deciding regressions */
	int			other_regressions;	/* non-critical ones */
	int			suspected;		/* clientAuth lost, not probed */
	int			hold_refused;		/* hold wanted, too close to expiry */
	size_t			nreasons;
	char			reasons[POLICY_MAX_REASONS][256];
};

/* Never fails: every input maps to exactly one action. */
void		policy_decide(const struct policy_input *in, struct decision *out);

/* Does this peer count as regressed (rule 2, ignoring criticality)? */
int		policy_peer_regressed(const struct policy_peer *p);

const char	*policy_action_name(enum decision_action a);
/* The report's "decision" object (new reference; NULL on allocation failure). */
json_t		*policy_decision_to_json(const struct decision *d, const struct policy_input *in);

#endif
