/*
 * state.h: what s2sguard remembers between runs, under the state
 * directory (default /var/lib/s2sguard, mode 0700):
 *
 *   DOMAIN.json            per-domain state, indented JSON a person can read:
 *                          {"domain", "updated", "deployed": {...},
 *                           "pending": {...} | absent, "last_good": {...},
 *                           "last_probe": {"time", "probes": [...]},
 *                           "first_seen": {"PEER": "TIME", ...},
 *                           "holds": N}
 *   DOMAIN.lock            flock(2)ed by the run working on DOMAIN
 *   DOMAIN/pending/        the held certificate (cert.pem, key.pem; 0600)
 *   DOMAIN/last-good/      the pair deployed now (what a hold restores)
 *   DOMAIN/previous/       the pair the last deploy replaced
 *   DOMAIN/candidate/      this run's new pair (full chain + key)
 *   DOMAIN/reissued/       the pair a re-issue produced
 *   reports/TIME-DOMAIN-TOOL.json   every run's report (newest 50 per domain)
 *   queue/DOMAIN/ID/       renewals queued while the lock was busy (queue.h)
 *
 * Every write is atomic (deploy_write_file). The JSON is jansson's; the
 * shape above is documented in s2sguard-check(1).
 */
#ifndef S2S_STATE_H
#define S2S_STATE_H

#include <jansson.h>

#include "deploy.h"
#include "err.h"

#define STATE_REPORTS_KEEP	50

struct state_lock;

/* Create the state directory (0700) if needed. */
int	state_dir_ensure(const char *dir, struct s2s_err *err);

/*
 * Take DOMAIN's lock, waiting up to wait_ms (0: do not wait). Another run
 * holding it is S2S_EBUSY.
 */
int	state_lock_acquire(const char *dir, const char *domain, int wait_ms,
	    struct state_lock **out, struct s2s_err *err);
void	state_lock_release(struct state_lock *lk);

/* DOMAIN.json (a new object; an empty one when none exists yet). */
int	state_load(const char *dir, const char *domain, json_t **out, struct s2s_err *err);
/* Write DOMAIN.json atomically, setting "domain" and "updated". */
int	state_save(const char *dir, const char *domain, json_t *st, struct s2s_err *err);

/*
 * Store a pair as DOMAIN/SLOT/{cert,key}.pem (0600), SLOT "pending",
 * "last-good", "previous", "candidate" or "reissued". The paths are written into cert_out/key_out (PATH_MAX).
 */
int	state_stash_pair(const char *dir, const char *domain, const char *slot,
	    const struct deploy_pair *p, char *cert_out, char *key_out, struct s2s_err *err);
/* Paths of a stashed pair; S2S_ENOTFOUND when the slot is empty. */
int	state_stash_paths(const char *dir, const char *domain, const char *slot,
	    char *cert_out, char *key_out, struct s2s_err *err);
/* Remove a slot (both files); absent is fine. */
int	state_stash_drop(const char *dir, const char *domain, const char *slot,
	    struct s2s_err *err);

/* Write a run's report under reports/ and prune old ones; path_out (PATH_MAX) may be NULL. */
int	state_report_write(const char *dir, const char *domain, const char *tool,
	    const json_t *report, char *path_out, struct s2s_err *err);

/* Record first-seen times for failing peers: st.first_seen[peer] = now if absent. */
int	state_note_first_seen(json_t *st, const char *peer, const char *now_iso);

#endif
