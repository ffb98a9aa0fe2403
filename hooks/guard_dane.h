/*
 * guard_dane.h: the DANE stage of the guard (hook and check). After
 * inspection, the domain's TLSA records are looked up with DNSSEC
 * validation and matched against the candidate and the deployed chain
 * (lib/dane.h); the verdict joins the report's "dane" array, and at the
 * decision it is combined with the policy's:
 *
 *   DANE says deploy       the policy decides alone
 *   DANE says deploy-warn  deploy becomes deploy-warn
 *   DANE says hold         hold, only while a deployed certificate exists
 *                          and has more than hold_min_days left; otherwise
 *                          deploy-warn (never let the deployed certificate
 *                          expire while a newer valid one exists). A
 *                          refusal or a re-issue stays what it is.
 *
 * The rollover wait (the new records must have been visible, secure, for
 * twice their TTL) is kept in the domain's state as
 *   "dane": {"spki_sha256", "first_seen", "first_seen_time", "ttl"}
 * and forgotten when the candidate's key changes.
 */
#ifndef S2S_GUARD_DANE_H
#define S2S_GUARD_DANE_H

#include <time.h>

#include <jansson.h>

#include "dane.h"
#include "guard.h"
#include "policy.h"

struct guard_dane;

/*
 * Check the domain's TLSA records for the candidate (cand_path, a full
 * chain) against the deployed chain (deployed_path, NULL for none). Never
 * fails the run: a problem (no trust anchor, a resolver that cannot do
 * DNSSEC) is kept in *gd and reported. Replaces an earlier *gd. Adds the
 * "dane" array to the report and, on a problem, an action to actions.
 */
void	guard_dane_check(const struct guard_opts *o, const char *cand_path,
	    const char *deployed_path, struct guard_dane **gd, json_t *report, json_t *actions);

/*
 * Decide the DANE part for the candidate whose leaf key is spki (hex) and
 * combine it into dec. st is the domain's state (its "dane" object is
 * read and updated). Does nothing without a check or with dane = off.
 */
void	guard_dane_decide(struct guard_dane *gd, json_t *st, const char *spki, time_t now,
	    const struct policy_input *in, struct decision *dec);

void	guard_dane_free(struct guard_dane *gd);

/* The pure combination rule above (tests/unit/test_guard_dane.c). */
void	guard_dane_combine(const struct dane_decision *dd, const struct policy_input *in,
	    struct decision *dec);

/* The domain's "dane" state <-> struct dane_state, for a candidate key. */
void	guard_dane_state_get(const json_t *st, const char *spki, struct dane_state *out);
int	guard_dane_state_set(json_t *st, const char *spki, const struct dane_state *ds);

#endif
