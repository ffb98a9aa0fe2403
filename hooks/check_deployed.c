/*
 * check_deployed.c: s2sguard-check for a domain that holds nothing. So that
 * its metrics describe what is deployed now, it re-probes the peers with
 * the deployed pair when the state's last probe was of another certificate
 * or is older than probe_interval, and checks which certificate the server
 * presents (verify_served). Both results go into the state under the
 * domain's lock.
 */
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cert.h"
#include "check_deployed.h"
#include "deploy.h"
#include "guard.h"
#include "guard_served.h"
#include "report.h"
#include "state.h"

struct refresh {
	const struct config	*cfg;
	const struct cfg_domain	*d;
	const struct s2s_log	*log;
	struct deadline		 dl;
	json_t			*st;
	struct deploy_pair	 pair;
	char			 sha[65];
	time_t			 now;
};

static int
probe_due(const struct refresh *f)
{
	const json_t *lp = json_object_get(f->st, "last_probe");
	const char *sha = json_string_value(json_object_get(lp, "cert_sha256"));
	json_int_t at = json_integer_value(json_object_get(lp, "epoch"));

	if (sha == NULL || strcmp(sha, f->sha) != 0)
		return 1;
	return (long long)f->now - (long long)at >= f->cfg->probe_interval;
}

static void
reprobe(struct refresh *f)
{
	const struct cfg_domain *d = f->d;
	struct probe_results *res = NULL;
	struct strlist peers = { 0 };
	struct s2s_err err = { 0 };
	char cert[PATH_MAX], key[PATH_MAX], when[32];
	json_t *notes = json_array();

	if (guard_peers(f->cfg, d, d->name, &f->dl, &peers, notes, &err) != 0)
		log_msg(f->log, LOG_WARNING, "%s: peers: %s", d->name, err.msg);
	if (peers.n == 0 || !probe_due(f))
		goto out;
	if (state_stash_pair(f->cfg->state_dir, d->name, "candidate", &f->pair, cert, key,
	    &err) != 0 ||
	    guard_probe(f->cfg, d, d->name, cert, key, NULL, NULL, &peers, f->dl, f->log, &res,
	    &err) != 0) {
		log_msg(f->log, LOG_ERR, "%s: probing the deployed certificate: %s", d->name, err.msg);
		goto out;
	}
	report_time_iso(time(NULL), when, sizeof(when));
	json_object_set_new(f->st, "last_probe", json_pack("{s:s, s:I, s:s, s:s, s:o}",
	    "time", when, "epoch", (json_int_t)f->now, "cert_sha256", f->sha,
	    "baseline_sha256", "", "probes", probe_results_to_json(res)));
	log_msg(f->log, LOG_INFO, "%s: re-probed %zu peer(s) with the deployed certificate: "
	    "%zu accept it", d->name, res->n, probe_results_count(res, PROBE_ACCEPTED));
out:
	probe_results_free(res);
	strlist_clear(&peers);
	json_decref(notes);
}

static void
reverify(struct refresh *f)
{
	struct guard_served_in in;
	struct guard_served_candidate prev;
	enum guard_served_outcome out;
	char msg[1400], when[32], pc[PATH_MAX], pk[PATH_MAX];
	struct s2s_err err = { 0 };
	json_t *rep = NULL;

	memset(&in, 0, sizeof(in));
	prev.path = pc;
	prev.what = "the certificate deployed before";
	if (state_stash_paths(f->cfg->state_dir, f->d->name, "previous", pc, pk, &err) == 0) {
		in.cands = &prev;
		in.ncands = 1;
	}
	in.in_check = 1;
	in.cfg = f->cfg;
	in.dom = f->d;
	in.domain = f->d->name;
	in.want_pem = f->pair.cert;
	in.want_len = f->pair.cert_len;
	in.dl = f->dl;
	in.log = f->log;
	out = guard_served_check(&in, &rep, msg, sizeof(msg));
	log_msg(f->log, out == GUARD_SERVED_WRONG ? LOG_WARNING : LOG_INFO, "%s: %s",
	    f->d->name, msg);
	if (rep == NULL)
		return;
	report_time_iso(time(NULL), when, sizeof(when));
	json_object_set_new(rep, "time", json_string(when));
	json_object_set_new(rep, "after", json_string("check"));
	json_object_set_new(f->st, "served", rep);
}

int
check_deployed_refresh(const struct config *cfg, const struct cfg_domain *d, time_t now,
    const struct s2s_log *log)
{
	struct refresh f = { .cfg = cfg, .d = d, .log = log, .now = now };
	struct state_lock *lock = NULL;
	struct deploy_target t;
	struct cert_chain *chain = NULL;
	struct s2s_err err = { 0 };
	int rc = 0;

	f.dl = deadline_in_ms((int64_t)cfg->deadline * 1000);
	if (d->target == TARGET_NONE || deploy_target_from_config(d, &t, &err) != 0 ||
	    deploy_pair_load_target(&t, &f.pair, &err) != 0)
		return 0;	/* nothing deployed: the check reports that elsewhere */
	if (cert_chain_parse(f.pair.cert, f.pair.cert_len, d->name, &chain, &err) != 0 ||
	    cert_sha256_hex(cert_chain_get(chain, 0), f.sha) != 0)
		goto out;
	if ((rc = state_dir_ensure(cfg->state_dir, &err)) != 0 ||
	    (rc = state_lock_acquire(cfg->state_dir, d->name, 10000, &lock, &err)) != 0 ||
	    (rc = state_load(cfg->state_dir, d->name, &f.st, &err)) != 0) {
		log_msg(log, LOG_ERR, "%s: %s", d->name, err.msg);
		goto out;
	}
	if (json_object_get(f.st, "pending") != NULL)
		goto out;	/* the guard run of the held renewal probed and verified */
	reprobe(&f);
	reverify(&f);
	if ((rc = state_save(cfg->state_dir, d->name, f.st, &err)) != 0)
		log_msg(log, LOG_ERR, "%s: %s", d->name, err.msg);
out:
	json_decref(f.st);
	state_lock_release(lock);
	cert_chain_free(chain);
	deploy_pair_clear(&f.pair);
	return rc;
}
