/*
 * guard.c: the pipeline for one domain (see guard.h). Each stage is a
 * function taking the run; main flow in guard_run() at the bottom.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cert.h"
#include "deploy.h"
#include "guard.h"
#include "guard_dane.h"
#include "guard_served.h"
#include "inspect.h"
#include "mem.h"
#include "policy.h"
#include "probe.h"
#include "queue.h"
#include "report.h"
#include "state.h"

struct run {
	const struct guard_opts	*o;
	const char		*sdir;
	json_t			*report, *actions, *st;
	struct state_lock	*lock;
	struct deploy_pair	 cand;
	char			 cand_cert[PATH_MAX], cand_key[PATH_MAX];
	struct deploy_target	 target;
	struct deploy_undo	 undo;		/* how to put the target back */
	int			 have_target;
	int			 have_prev, prev_is_deployed, already_in_place;
	char			 prev_cert[PATH_MAX], prev_key[PATH_MAX];
	struct inspection	*ins, *prev_ins;
	struct probe_results	*probes;
	struct strlist		 peers;
	struct policy_peer	*ppeers;
	struct policy_input	 in;
	struct decision		 dec;
	struct guard_dane	*dane;
	int			 reissued;	/* the candidate now is a re-issue */
	int			 stale;		/* check: pending dropped, nothing to do */
	int			 queued;	/* the lock stayed busy: the candidate is queued */
	int			 gone;		/* the queued entry was processed meanwhile */
	int			 exit;
	char			 probed_sha[65], probed_base_sha[65];	/* last stage_probe's pair */
};

static void	action(struct run *r, const char *what, int ok, const char *fmt, ...)
		    __attribute__((format(printf, 4, 5)));

static void
action(struct run *r, const char *what, int ok, const char *fmt, ...)
{
	char detail[768];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	json_array_append_new(r->actions, json_pack("{s:s, s:b, s:s}", "action", what,
	    "ok", ok, "detail", detail));
	log_msg(r->o->log, ok ? LOG_INFO : LOG_ERR, "%s: %s: %s", r->o->domain, what, detail);
}

/* Command output as one short line for the report. */
static void
oneline(char *s)
{
	char *p;

	for (p = s; *p != '\0'; p++)
		if (*p == '\n' || *p == '\r' || *p == '\t')
			*p = ' ';
	while (p > s && p[-1] == ' ')
		*--p = '\0';
}

/* ---- candidate and deployed pairs ------------------------------------- */

/* Read the candidate as full chain + key; append the chain file to a lone leaf. */
static int
load_candidate(struct run *r, struct s2s_err *err)
{
	const struct guard_opts *o = r->o;
	struct cert_chain *chain = NULL;
	unsigned char *extra = NULL, *joined;
	size_t elen = 0;
	int rc;

	if ((rc = deploy_pair_load(o->cert_path, o->key_path, &r->cand, err)) != 0)
		return rc;
	if (o->chain_path == NULL || o->chain_path[0] == '\0')
		return 0;
	if ((rc = cert_chain_load(o->cert_path, &chain, err)) != 0)
		return rc;
	rc = cert_chain_count(chain) == 1;
	cert_chain_free(chain);
	if (!rc)
		return 0;
	if ((rc = cert_read_file(o->chain_path, CERT_MAX_FILE_BYTES, &extra, &elen, err)) != 0)
		return rc;
	if ((joined = mem_alloc(r->cand.cert_len + elen + 2)) == NULL) {
		mem_free(extra);
		return err_set(err, S2S_ENOMEM, "out of memory");
	}
	memcpy(joined, r->cand.cert, r->cand.cert_len);
	if (r->cand.cert_len > 0 && joined[r->cand.cert_len - 1] != '\n')
		joined[r->cand.cert_len++] = '\n';
	memcpy(joined + r->cand.cert_len, extra, elen);
	mem_free(r->cand.cert);
	mem_free(extra);
	r->cand.cert = joined;
	r->cand.cert_len += elen;
	return 0;
}

static int
same_pair(const struct deploy_pair *a, const struct deploy_pair *b)
{
	return a->cert_len == b->cert_len && memcmp(a->cert, b->cert, a->cert_len) == 0 &&
	    a->key_len == b->key_len && memcmp(a->key, b->key, a->key_len) == 0;
}

/*
 * Deploying onto the ACME client's own files (e.g. target cert =
 * /etc/letsencrypt/live/NAME/fullchain.pem) would replace the client's
 * links with s2sguard's and could never hold anything: refuse.
 */
static int
target_is_not_source(const struct run *r, struct s2s_err *err)
{
	const char *targets[3] = { r->target.cert_path, r->target.key_path, r->target.pem_path };
	const char *sources[2] = { r->o->cert_path, r->o->key_path };
	char a[PATH_MAX], b[PATH_MAX];
	size_t i, j;

	for (i = 0; i < 3; i++) {
		if (targets[i] == NULL || realpath(targets[i], a) == NULL)
			continue;
		for (j = 0; j < 2; j++)
			if (sources[j] != NULL && realpath(sources[j], b) != NULL && strcmp(a, b) == 0)
				return err_set(err, S2S_EINVAL,
				    "[domain %s]: the deploy target %s is the ACME client's own file; "
				    "deploy to a copy the XMPP server reads instead", r->o->domain, targets[i]);
	}
	return 0;
}

/*
 * The target holds no complete pair s2sguard may read (nothing yet, half a
 * pair, or a link leading outside its store, which is never followed): the
 * baseline is s2sguard's own last-good copy, when there is one.
 */
static int
baseline_from_last_good(struct run *r, int why, struct s2s_err *err)
{
	if (why == S2S_EPERM)
		action(r, "target", 0, "%s", err->msg);
	if (state_stash_paths(r->sdir, r->o->domain, "last-good", r->prev_cert, r->prev_key, err) != 0)
		return 0;
	r->have_prev = r->prev_is_deployed = 1;
	action(r, "baseline", 1, "the target holds no complete pair s2sguard reads: "
	    "the baseline is its last-good copy %s", r->prev_cert);
	return 0;
}

/*
 * The target lacks a file (the key removed, the certificate link kept):
 * the baseline is s2sguard's own last-good pair, so a broken target
 * never turns a hold into a deploy, and the report says so. Half a pair
 * and no last-good copy: nothing to hold on to or compare with, an error.
 */
static int
baseline_when_incomplete(struct run *r, struct s2s_err *err)
{
	char why[3 * PATH_MAX / 2];
	int lg;

	lg = state_stash_paths(r->sdir, r->o->domain, "last-good", r->prev_cert, r->prev_key, err) == 0;
	if (!guard_target_incomplete(&r->target, lg, why, sizeof(why)))
		return 0;	/* nothing deployed yet */
	if (!lg)
		return err_set(err, S2S_EINVAL, "%s, and there is no last-good copy to compare with "
		    "or hold on to: repair the target or deploy by hand", why);
	action(r, "target", 0, "%s", why);
	r->have_prev = r->prev_is_deployed = 1;
	action(r, "baseline", 1, "the baseline is s2sguard's last-good copy %s (what the target "
	    "held when s2sguard last deployed)", r->prev_cert);
	return 0;
}

/*
 * What is deployed now becomes the last-good copy, unless it already is the
 * candidate (acme.sh with --key-file/--fullchain-file wrote it there before
 * calling us): then the last-good copy from an earlier run is the baseline.
 */
static int
load_deployed(struct run *r, struct s2s_err *err)
{
	const struct guard_opts *o = r->o;
	struct deploy_pair cur;
	int rc;

	if (o->dom != NULL && o->dom->target != TARGET_NONE) {
		if ((rc = deploy_target_from_config(o->dom, &r->target, err)) != 0)
			return rc;
		if ((rc = target_is_not_source(r, err)) != 0)
			return rc;
		r->have_target = 1;
		rc = deploy_pair_load_target(&r->target, &cur, err);
		if (rc == S2S_EPERM)
			return baseline_from_last_good(r, rc, err);
		if (rc == S2S_ENOTFOUND)
			return baseline_when_incomplete(r, err);
		if (rc != 0)
			return rc;
		if (same_pair(&cur, &r->cand)) {
			r->already_in_place = 1;
			deploy_pair_clear(&cur);
			if (state_stash_paths(r->sdir, o->domain, "last-good", r->prev_cert,
			    r->prev_key, err) == 0)
				r->have_prev = r->prev_is_deployed = 1;
			return 0;
		}
		rc = state_stash_pair(r->sdir, o->domain, "last-good", &cur, r->prev_cert,
		    r->prev_key, err);
		deploy_pair_clear(&cur);
		if (rc != 0)
			return rc;
		r->have_prev = r->prev_is_deployed = 1;
		return 0;
	}
	if (o->prev_cert_path != NULL && o->prev_cert_path[0] != '\0' && o->prev_key_path != NULL) {
		snprintf(r->prev_cert, sizeof(r->prev_cert), "%s", o->prev_cert_path);
		snprintf(r->prev_key, sizeof(r->prev_key), "%s", o->prev_key_path);
		r->have_prev = 1;
	}
	return 0;
}

/* ---- inspect ---------------------------------------------------------- */

static int
inspect_pair(struct run *r, const char *cert, const char *key, const char *previous,
    struct inspection **out, struct s2s_err *err)
{
	const char *domains[1] = { r->o->domain };
	struct inspect_opts io;

	memset(&io, 0, sizeof(io));
	io.cert_path = cert;
	io.key_path = key;
	io.previous_path = previous;
	io.ca_file = r->o->cfg->ca_file;
	io.domains = domains;
	io.ndomains = 1;
	io.now = r->o->now;
	return inspect_files(&io, out, err);
}

static int
stage_inspect(struct run *r, struct s2s_err *err)
{
	int rc;

	inspection_free(r->ins);
	r->ins = NULL;
	if ((rc = inspect_pair(r, r->cand_cert, r->cand_key, r->have_prev ? r->prev_cert : NULL,
	    &r->ins, err)) != 0)
		return rc;
	if (r->have_prev && r->prev_ins == NULL &&
	    inspect_pair(r, r->prev_cert, r->prev_key, NULL, &r->prev_ins, err) != 0) {
		log_msg(r->o->log, LOG_WARNING, "%s: the deployed pair cannot be inspected: %s",
		    r->o->domain, err->msg);
		r->have_prev = 0;
	}
	guard_dane_check(r->o, r->cand_cert, r->have_prev ? r->prev_cert : NULL, &r->dane,
	    r->report, r->actions);
	return 0;
}

/* ---- probe ------------------------------------------------------------ */

/*
 * Probes and the re-issue may use the run's deadline only up to a reserve
 * kept for what must still happen after them: deploy, reload, and a
 * rollback with a second reload.
 */
static struct deadline
stage_deadline(const struct run *r)
{
	int64_t left = deadline_left_ms(&r->o->dl), reserve;

	if (r->o->dl.at_ms == 0)
		return r->o->dl;
	reserve = r->o->dom != NULL ? 2 * (int64_t)r->o->dom->reload_timeout * 1000 + 2000 : 2000;
	if (reserve > left / 2)
		reserve = left / 2;
	return deadline_in_ms(left - reserve);
}

static int
want_probe(const struct run *r)
{
	enum probe_mode m = r->o->dom != NULL ? r->o->dom->probe : PROBE_AUTO;

	if (r->peers.n == 0 || m == PROBE_NEVER)
		return 0;
	/* either rule may be the peers': client purpose (ejabberd before
	 * 25.07, Metronome), server purpose (Debian 13's ejabberd, Prosody) */
	return m == PROBE_ALWAYS || !r->ins->client.ok || !r->ins->server.ok;
}

static void	leaf_sha256_file(const char *path, char out[65]);

static int
stage_probe(struct run *r, struct s2s_err *err)
{
	const struct guard_opts *o = r->o;

	probe_results_free(r->probes);
	r->probes = NULL;
	/* what was probed, for the state's last_probe (the files may go before) */
	leaf_sha256_file(r->cand_cert, r->probed_sha);
	r->probed_base_sha[0] = '\0';
	if (r->have_prev)
		leaf_sha256_file(r->prev_cert, r->probed_base_sha);
	return guard_probe(o->cfg, o->dom, o->domain, r->cand_cert, r->cand_key,
	    r->have_prev ? r->prev_cert : NULL, r->have_prev ? r->prev_key : NULL, &r->peers,
	    stage_deadline(r), o->log, &r->probes, err);
}

static enum peer_state
peer_state_of(enum probe_verdict v)
{
	switch (v) {
	case PROBE_ACCEPTED: return PEER_ACCEPTED;
	case PROBE_DIALBACK_ONLY: case PROBE_DIALBACK_UNVERIFIED: return PEER_DEGRADED;
	/* a peer that refuses our dialback request refuses us */
	case PROBE_REJECTED: case PROBE_DIALBACK_REFUSED: case PROBE_NO_AUTH: case PROBE_TLS_FAILED:
	case PROBE_STREAM_ERROR: case PROBE_PROTOCOL_ERROR: return PEER_FAILED;
	default: return PEER_UNREACHABLE;
	}
}

/* ---- decide ----------------------------------------------------------- */

/* Did PEER refuse the held certificate in an earlier run (pending.regressed_peers)? */
static int
refused_held(const json_t *st, const char *peer)
{
	const json_t *v;
	size_t i;

	json_array_foreach(json_object_get(json_object_get(st, "pending"), "regressed_peers"), i, v)
		if (json_is_string(v) && strcasecmp(json_string_value(v), peer) == 0)
			return 1;
	return 0;
}

static void
stage_decide(struct run *r)
{
	const struct cfg_domain *d = r->o->dom;
	struct policy_input *in = &r->in;
	size_t i, n = r->probes != NULL ? r->probes->n : 0;

	mem_free(r->ppeers);
	r->ppeers = n > 0 ? mem_calloc(n, sizeof(*r->ppeers)) : NULL;
	memset(in, 0, sizeof(*in));
	for (i = 0; r->ppeers != NULL && i < n; i++) {
		const struct probe_result *p = &r->probes->v[i];

		r->ppeers[i].name = p->peer;
		r->ppeers[i].now = peer_state_of(p->probe.verdict);
		r->ppeers[i].baseline = p->has_baseline ? peer_state_of(p->baseline.verdict) : PEER_NOT_PROBED;
		r->ppeers[i].critical = d != NULL && strlist_has(&d->critical_peers, p->peer);
		r->ppeers[i].reason = p->probe.reason;
		r->ppeers[i].held = refused_held(r->st, p->peer);
	}
	in->new_invalid = r->ins->verdict == INSPECT_INVALID;
	in->invalid_reason = r->ins->verdict_reason;
	in->new_client_ok = r->ins->client.ok;
	in->have_deployed = r->have_prev && r->prev_ins != NULL && r->prev_is_deployed;
	in->prev_client_ok = r->prev_ins != NULL ? r->prev_ins->client.ok : 0;
	in->deployed_days_left = r->prev_ins != NULL ? r->prev_ins->certs[0].days_left : 0;
	in->probed = r->ppeers != NULL;
	in->peers = r->ppeers;
	in->npeers = r->ppeers != NULL ? n : 0;
	in->have_critical = d != NULL && d->critical_peers.n > 0;
	in->policy = d != NULL ? d->policy : POLICY_WARN;
	in->fallback = d != NULL ? d->fallback : POLICY_HOLD;
	in->reissue_tried = r->reissued || !r->o->allow_reissue;
	in->hold_min_days = d != NULL ? d->hold_min_days : 7;
	policy_decide(in, &r->dec);
	guard_dane_decide(r->dane, r->st, r->ins->certs[0].spki_sha256, r->o->now, in, &r->dec);
}

/* ---- re-issue ----------------------------------------------------------- */

static int
add_arg(const char **argv, size_t *n, size_t max, const char *a, const char *b)
{
	if (*n + 3 > max)
		return -1;
	argv[(*n)++] = a;
	if (b != NULL)
		argv[(*n)++] = b;
	return 0;
}

/*
 * s2sguard-reissue in its plain-files mode (s2sguard-reissue(1)):
 *   --server URL --account-key FILE --cert CAND --key CANDKEY
 *   --out-fullchain DIR/fullchain.pem [--profile P] [--contact mailto:E
 *   --agree-tos] [--tls-ca-file F] [--eab-kid K --eab-hmac-key-file F]
 *   [--ca-file F] [reissue_args...]
 * It verifies the new chain (trust, clientAuth, names, key) before writing.
 */
static int
stage_reissue(struct run *r, struct s2s_err *err)
{
	const struct cfg_domain *d = r->o->dom;
	const char *argv[64];
	char outdir[PATH_MAX], full[PATH_MAX + 16], contact[300], out[2048], tmo[16];
	struct deploy_pair np;
	struct deadline dl;
	size_t n = 0, i;
	int status = -1, rc;

	snprintf(outdir, sizeof(outdir), "%s/%s/reissue-out", r->sdir, r->o->domain);
	if (mkdir(outdir, 0700) == -1 && errno != EEXIST)
		return err_set(err, S2S_EIO, "%s: %s", outdir, strerror(errno));
	snprintf(full, sizeof(full), "%s/fullchain.pem", outdir);
	unlink(full);
	add_arg(argv, &n, 64, d->reissue_command, NULL);
	add_arg(argv, &n, 64, "--server", d->reissue_directory);
	add_arg(argv, &n, 64, "--cert", r->cand_cert);
	add_arg(argv, &n, 64, "--key", r->cand_key);
	add_arg(argv, &n, 64, "--out-fullchain", full);
	/* its own deadline, a little inside ours, so it cleans up before we kill it */
	dl = stage_deadline(r);
	snprintf(tmo, sizeof(tmo), "%d", deadline_left_ms(&dl) > 4000 ?
	    deadline_left_ms(&dl) / 1000 - 2 : 1);
	add_arg(argv, &n, 64, "--timeout", tmo);
	if (d->reissue_account_key != NULL)
		add_arg(argv, &n, 64, "--account-key", d->reissue_account_key);
	if (d->reissue_profile != NULL)
		add_arg(argv, &n, 64, "--profile", d->reissue_profile);
	if (d->reissue_email != NULL) {
		snprintf(contact, sizeof(contact), "mailto:%s", d->reissue_email);
		add_arg(argv, &n, 64, "--contact", contact);
		add_arg(argv, &n, 64, "--agree-tos", NULL);
	}
	if (d->reissue_ca_bundle != NULL)
		add_arg(argv, &n, 64, "--tls-ca-file", d->reissue_ca_bundle);
	if (d->reissue_eab_kid != NULL) {	/* the key as a file: a command line is public */
		add_arg(argv, &n, 64, "--eab-kid", d->reissue_eab_kid);
		add_arg(argv, &n, 64, "--eab-hmac-key-file", d->reissue_eab_hmac_key_file);
	}
	if (r->o->cfg->ca_file != NULL)
		add_arg(argv, &n, 64, "--ca-file", r->o->cfg->ca_file);
	for (i = 0; i < d->reissue_args.n; i++)
		if (add_arg(argv, &n, 64, d->reissue_args.v[i], NULL) != 0)
			return err_set(err, S2S_EINVAL, "too many reissue_args");
	argv[n] = NULL;
	rc = deploy_run(argv, deadline_left_ms(&dl), &dl, out, sizeof(out), &status, err);
	oneline(out);
	if (rc == 0 && status != 0)
		rc = err_set(err, S2S_EIO, "%s exited %d: %.300s", d->reissue_command, status, out);
	if (rc != 0)
		return rc;
	if ((rc = deploy_pair_load(full, r->cand_key, &np, err)) != 0)
		return rc;
	rc = state_stash_pair(r->sdir, r->o->domain, "reissued", &np, r->cand_cert, r->cand_key, err);
	deploy_pair_clear(&r->cand);
	r->cand = np;
	return rc;
}

/* ---- act -------------------------------------------------------------- */

static int
reload(struct run *r, const char *why)
{
	const struct guard_opts *o = r->o;
	struct s2s_err err = { 0 };
	char out[2048];
	int status = -1, rc, timeout = (o->dom != NULL ? o->dom->reload_timeout : 60) * 1000;

	if (o->wrapped_reload != NULL)
		rc = deploy_run((const char *const *)o->wrapped_reload, timeout, &o->dl, out,
		    sizeof(out), &status, &err);
	else if (o->dom != NULL && o->dom->reload != NULL)
		rc = deploy_run_shell(o->dom->reload, timeout, &o->dl, out, sizeof(out), &status, &err);
	else {
		action(r, "reload", 1, "no reload command configured (%s)", why);
		return 0;
	}
	if (rc != 0) {
		action(r, "reload", 0, "%s", err.msg);
		return -1;
	}
	oneline(out);
	action(r, "reload", status == 0, "%s: exit %d%s%.300s", why, status, out[0] ? ": " : "", out);
	return status == 0 ? 0 : -1;
}

/*
 * Does the server present what it should: after a deploy's reload the new
 * certificate (retrying while the reload settles), during a hold the
 * deployed one? The outcome goes into the report, the state (for the
 * metrics) and the actions; a wrong certificate is a failed action.
 */
static enum guard_served_outcome
verify_served(struct run *r, int after_reload)
{
	const struct guard_opts *o = r->o;
	struct guard_served_candidate cands[1];
	struct guard_served_in in;
	struct deploy_pair held = { 0 };
	struct s2s_err err = { 0 };
	enum guard_served_outcome out;
	char msg[1400], what[PATH_MAX + 64], now[32];
	json_t *rep = NULL;

	memset(&in, 0, sizeof(in));
	in.cfg = o->cfg;
	in.dom = o->dom;
	in.domain = o->domain;
	in.after_reload = after_reload;
	in.dl = o->dl;
	in.log = o->log;
	in.cands = cands;
	if (after_reload) {
		in.want_pem = r->cand.cert;
		in.want_len = r->cand.cert_len;
		cands[0].path = r->have_prev && r->prev_is_deployed ? r->prev_cert : NULL;
		cands[0].what = "the certificate deployed before";
	} else {
		if (!r->have_prev || !r->prev_is_deployed ||
		    deploy_pair_load(r->prev_cert, r->prev_key, &held, &err) != 0)
			return GUARD_SERVED_SKIPPED;
		in.want_pem = held.cert;
		in.want_len = held.cert_len;
		snprintf(what, sizeof(what), o->candidate_is_pending ? "the held certificate (%s)" :
		    "the new certificate from %s, the ACME client's file", o->cert_path);
		cands[0].path = o->cert_path;
		cands[0].what = what;
	}
	in.ncands = cands[0].path != NULL;
	out = guard_served_check(&in, &rep, msg, sizeof(msg));
	deploy_pair_clear(&held);
	action(r, "verify-served", out != GUARD_SERVED_WRONG, "%s", msg);
	if (rep != NULL) {
		report_time_iso(time(NULL), now, sizeof(now));
		json_object_set_new(rep, "time", json_string(now));
		json_object_set_new(rep, "after", json_string(after_reload ? "reload" : "hold"));
		json_object_set(r->report, "served", rep);
		json_object_set_new(r->st, "served", rep);
	}
	return out;
}

/* The reload after a rollback, while the run's deadline still allows one. */
static void
reload_again(struct run *r)
{
	if (deadline_expired(&r->o->dl)) {
		action(r, "reload", 0, "after rollback: not run, the run's deadline (%d s) has passed",
		    r->o->cfg->deadline);
		return;
	}
	reload(r, "after rollback");
}

/* Put back what deploy_install replaced: no new bytes needed, whatever the disk. */
static int
rollback_undo(struct run *r)
{
	struct s2s_err err = { 0 };
	int nothing = deploy_undo_nothing_before(&r->undo);

	if (deploy_revert(&r->target, &r->undo, &err) != 0) {
		action(r, "rollback", 0, "%s: the server's files hold the new certificate (serial %s), "
		    "which the server may not have loaded", err.msg, r->ins->certs[0].serial);
		return GUARD_UNCONFIRMED;
	}
	action(r, "rollback", 1, "%s", nothing ?
	    "first deploy: the server's paths are back as they were before it" :
	    "previous certificate restored");
	reload_again(r);
	return GUARD_ROLLED_BACK;
}

/* acme.sh wrote the new pair itself: the last-good copy goes back. */
static int
rollback_last_good(struct run *r)
{
	struct s2s_err err = { 0 };
	struct deploy_pair lg;

	if (!r->have_prev) {
		action(r, "rollback", 0, "no previous pair to restore: the server's files hold the new "
		    "certificate (serial %s), which the server may not have loaded", r->ins->certs[0].serial);
		return GUARD_UNCONFIRMED;
	}
	if (deploy_pair_load(r->prev_cert, r->prev_key, &lg, &err) != 0 ||
	    deploy_install(&r->target, &lg, NULL, &err) != 0) {
		deploy_pair_clear(&lg);
		action(r, "rollback", 0, "%s: the server's files hold the new certificate (serial %s)",
		    err.msg, r->ins->certs[0].serial);
		return GUARD_UNCONFIRMED;
	}
	deploy_pair_clear(&lg);
	action(r, "rollback", 1, "previous certificate restored");
	reload_again(r);
	return GUARD_ROLLED_BACK;
}

static int
act_deploy(struct run *r)
{
	struct s2s_err err = { 0 };

	if (!r->already_in_place) {
		if (deploy_install(&r->target, &r->cand, &r->undo, &err) != 0) {
			action(r, "deploy", 0, "%s; the server's files are as they were", err.msg);
			return GUARD_ERROR;
		}
		action(r, "deploy", 1, "%s installed", r->reissued ? "re-issued certificate" : "new certificate");
	} else
		action(r, "deploy", 1, "the new certificate was already in place");
	if (reload(r, "after deploy") == 0) {
		int ex = r->dec.action == DECIDE_DEPLOY && !r->reissued ? GUARD_DEPLOYED : GUARD_WARNED;

		if (verify_served(r, 1) == GUARD_SERVED_WRONG)
			ex = GUARD_WARNED;
		return ex;
	}
	return r->already_in_place ? rollback_last_good(r) : rollback_undo(r);
}

/* acme.sh may have put the refused/held certificate in place already: undo it. */
static void
restore_if_overwritten(struct run *r)
{
	struct s2s_err err = { 0 };
	struct deploy_pair lg;

	if (!r->already_in_place)
		return;
	if (!r->have_prev) {
		action(r, "restore", 0, "the new certificate is already in the server's files and no last-good copy exists");
		return;
	}
	if (deploy_pair_load(r->prev_cert, r->prev_key, &lg, &err) != 0 ||
	    deploy_install(&r->target, &lg, NULL, &err) != 0) {
		action(r, "restore", 0, "%s", err.msg);
	} else {
		/* no reload: the server never loaded what the client wrote */
		action(r, "restore", 1, "the ACME client had installed the new certificate; last-good pair restored");
	}
	deploy_pair_clear(&lg);
}

static void
record_pending(struct run *r)
{
	char c[PATH_MAX], k[PATH_MAX], since[32];
	struct s2s_err err = { 0 };
	json_t *old = json_object_get(r->st, "pending"), *p, *regressed;
	const char *spki = r->ins->certs[0].spki_sha256;
	size_t i;

	if (!r->o->candidate_is_pending &&
	    state_stash_pair(r->sdir, r->o->domain, "pending", &r->cand, c, k, &err) != 0) {
		action(r, "hold", 0, "%s", err.msg);
		return;
	}
	state_stash_paths(r->sdir, r->o->domain, "pending", c, k, &err);
	report_time_iso(time(NULL), since, sizeof(since));
	if (old != NULL && json_is_string(json_object_get(old, "spki_sha256")) &&
	    strcmp(json_string_value(json_object_get(old, "spki_sha256")), spki) == 0 &&
	    json_is_string(json_object_get(old, "since")))
		snprintf(since, sizeof(since), "%s", json_string_value(json_object_get(old, "since")));
	regressed = json_array();
	for (i = 0; i < r->in.npeers; i++)
		if (policy_peer_regressed(&r->ppeers[i]))
			json_array_append_new(regressed, json_string(r->ppeers[i].name));
	p = json_pack("{s:s, s:s, s:s, s:I, s:s, s:o}", "cert", c, "key", k, "spki_sha256", spki,
	    "not_after", (json_int_t)r->ins->certs[0].not_after, "since", since,
	    "regressed_peers", regressed);
	json_object_set_new(r->st, "pending", p);
	if (!r->o->candidate_is_pending)
		json_object_set_new(r->st, "holds",
		    json_integer(json_integer_value(json_object_get(r->st, "holds")) + 1));
	action(r, "hold", 1, "kept the deployed certificate (%ld day(s) left); the new one waits in %s",
	    r->in.deployed_days_left, c);
}

static void
record_deployed(struct run *r)
{
	struct s2s_err err = { 0 };
	char now[32];

	report_time_iso(time(NULL), now, sizeof(now));
	json_object_set_new(r->st, "deployed", json_pack("{s:s, s:I, s:s, s:b}",
	    "spki_sha256", r->ins->certs[0].spki_sha256,
	    "not_after", (json_int_t)r->ins->certs[0].not_after, "time", now,
	    "client_auth", r->ins->client.ok));
	if (json_object_get(r->st, "pending") != NULL) {
		json_object_del(r->st, "pending");
		state_stash_drop(r->sdir, r->o->domain, "pending", &err);
	}
	/* the pair it replaced stays available for a manual rollback */
	if (r->have_prev && r->prev_is_deployed && !r->already_in_place) {
		struct deploy_pair old;
		char c[PATH_MAX], k[PATH_MAX];

		if (deploy_pair_load(r->prev_cert, r->prev_key, &old, &err) == 0) {
			if (state_stash_pair(r->sdir, r->o->domain, "previous", &old, c, k, &err) == 0)
				json_object_set_new(r->st, "previous", json_pack("{s:s, s:s}", "cert", c, "key", k));
			deploy_pair_clear(&old);
		}
	}
	/*
	 * What is deployed now is the last good pair from here on: if an ACME
	 * client later overwrites the server's files in place (acme.sh's
	 * --fullchain-file), this copy is the baseline and what a hold restores.
	 */
	if (state_stash_pair(r->sdir, r->o->domain, "last-good", &r->cand, r->prev_cert,
	    r->prev_key, &err) == 0)
		json_object_set_new(r->st, "last_good", json_pack("{s:s, s:s}", "cert", r->prev_cert,
		    "key", r->prev_key));
}

static int
exit_of(enum decision_action a)
{
	switch (a) {
	case DECIDE_DEPLOY: return GUARD_DEPLOYED;
	case DECIDE_DEPLOY_WARN: return GUARD_WARNED;
	case DECIDE_HOLD: return GUARD_HELD;
	case DECIDE_REISSUE: case DECIDE_REFUSE: break;
	}
	return GUARD_ERROR;
}

/*
 * A dry run exits with what the real run would. A re-issue is not
 * ordered, so its outcome is unknown: the exit is the fallback's, what
 * the real run ends with when the re-issued certificate does not help.
 */
static int
dry_run_exit(struct run *r)
{
	struct policy_input in = r->in;
	struct decision fb;

	if (r->dec.action != DECIDE_REISSUE) {
		action(r, "none", 1, "dry run: would %s (exit %d)", policy_action_name(r->dec.action),
		    exit_of(r->dec.action));
		return exit_of(r->dec.action);
	}
	in.reissue_tried = 1;
	policy_decide(&in, &fb);
	action(r, "none", 1, "dry run: would reissue; if the re-issued certificate does not help, "
	    "would %s (exit %d)", policy_action_name(fb.action), exit_of(fb.action));
	return exit_of(fb.action);
}

static int
stage_act(struct run *r)
{
	if (!r->have_target) {
		action(r, "none", 1, "no deploy target configured for %s: nothing was deployed (report only)",
		    r->o->domain);
		/*
		 * acme.sh already copied the files and handed us its reload:
		 * not configured means not in the way, so pass it through.
		 */
		if (r->o->wrapped_reload != NULL && !r->o->dry_run &&
		    reload(r, "passed through (not configured)") != 0)
			return GUARD_ERROR;	/* a failed reload must not look fine */
		return GUARD_NOTHING;
	}
	if (r->dec.action == DECIDE_REFUSE) {
		restore_if_overwritten(r);
		return GUARD_ERROR;
	}
	if (r->o->dry_run)
		return dry_run_exit(r);
	if (r->dec.action == DECIDE_HOLD) {
		record_pending(r);
		restore_if_overwritten(r);
		verify_served(r, 0);
		return GUARD_HELD;
	}
	r->exit = act_deploy(r);
	/* what the server's files hold is recorded, loaded or not */
	if (r->exit == GUARD_DEPLOYED || r->exit == GUARD_WARNED || r->exit == GUARD_UNCONFIRMED)
		record_deployed(r);
	return r->exit;
}

/* ---- state and report ------------------------------------------------- */

/* Hex SHA-256 of the first certificate of a file; "" when unreadable. */
static void
leaf_sha256_file(const char *path, char out[65])
{
	struct cert_chain *c = NULL;
	struct s2s_err err;

	out[0] = '\0';
	if (cert_chain_load(path, &c, &err) == 0)
		cert_sha256_hex(cert_chain_get(c, 0), out);
	cert_chain_free(c);
}

/*
 * The state's last_probe: when, which certificate was probed (cert_sha256)
 * and, with a baseline, which deployed one beside it (baseline_sha256), so
 * that s2sguard-check's metrics only use verdicts about the certificate
 * deployed when they are written.
 */
static void
note_probes(struct run *r)
{
	char now[32];
	time_t t = time(NULL);
	size_t i;

	if (r->probes == NULL)
		return;
	report_time_iso(t, now, sizeof(now));
	json_object_set_new(r->st, "last_probe", json_pack("{s:s, s:I, s:s, s:s, s:o}",
	    "time", now, "epoch", (json_int_t)(r->o->now != 0 ? r->o->now : t),
	    "cert_sha256", r->probed_sha, "baseline_sha256", r->probed_base_sha,
	    "probes", probe_results_to_json(r->probes)));
	/* when each failing peer was first seen failing; forgotten once it accepts */
	for (i = 0; i < r->probes->n; i++)
		if (r->probes->v[i].probe.verdict != PROBE_ACCEPTED)
			state_note_first_seen(r->st, r->probes->v[i].peer, now);
		else if (json_is_object(json_object_get(r->st, "first_seen")))
			json_object_del(json_object_get(r->st, "first_seen"), r->probes->v[i].peer);
}

static void
fill_report(struct run *r)
{
	json_t *rep = r->report;

	json_object_set_new(rep, "domain", json_string(r->o->domain));
	if (r->o->client != NULL)
		json_object_set_new(rep, "client", json_string(r->o->client));
	json_object_set_new(rep, "configured", json_boolean(r->have_target));
	if (r->ins != NULL)
		json_object_set_new(rep, "inspection", inspect_to_json(r->ins));
	if (r->prev_ins != NULL)
		json_object_set_new(rep, "deployed", inspect_to_json(r->prev_ins));
	json_object_set_new(rep, "peers", json_integer((json_int_t)r->peers.n));
	if (r->probes != NULL) {
		json_object_set_new(rep, "probes", probe_results_to_json(r->probes));
		json_object_set_new(rep, "summary", probe_summary_to_json(r->probes));
	}
	if (r->ins != NULL && !r->stale)
		json_object_set_new(rep, "decision", policy_decision_to_json(&r->dec, &r->in));
	json_object_set_new(rep, "actions", json_incref(r->actions));
	json_object_set_new(rep, "exit", json_integer(r->exit));
}

/* A queued entry the run got the lock for is done with: drop it (not in a dry run). */
static void
queued_done(struct run *r)
{
	struct s2s_err err = { 0 };

	if (r->o->queued_entry == NULL || r->lock == NULL || r->gone || r->o->dry_run)
		return;
	if (queue_drop(r->o->queued_entry, &err) != 0)
		log_msg(r->o->log, LOG_ERR, "%s: queue: %s", r->o->domain, err.msg);
}

static void
run_free(struct run *r)
{
	deploy_pair_clear(&r->cand);
	deploy_undo_clear(&r->undo);
	inspection_free(r->ins);
	inspection_free(r->prev_ins);
	probe_results_free(r->probes);
	strlist_clear(&r->peers);
	mem_free(r->ppeers);
	guard_dane_free(r->dane);
	json_decref(r->actions);
	json_decref(r->st);
	state_lock_release(r->lock);
}

/*
 * check: a pending certificate that is no newer than the deployed one (it
 * was deployed by hand, or a later renewal went through) is dropped.
 */
static int
stale_pending(struct run *r)
{
	struct s2s_err err = { 0 };

	const struct cert_summary *c, *p;

	if (!(r->o->candidate_is_pending || r->o->queued_entry != NULL) || r->prev_ins == NULL ||
	    !r->prev_is_deployed)
		return 0;
	c = &r->ins->certs[0];
	p = &r->prev_ins->certs[0];
	/*
	 * Older means issued earlier, not expiring earlier: a renewal from a
	 * CA with shorter lifetimes (a 1-year certificate replaced by a
	 * 90-day one) expires first and is still the newer certificate.
	 */
	if (c->not_before > p->not_before ||
	    (c->not_before == p->not_before && strcmp(c->serial, p->serial) != 0))
		return 0;
	r->stale = 1;
	if (r->o->queued_entry != NULL) {
		action(r, "drop-queued", 1, "%sthe queued certificate is older than, or the same "
		    "as, the deployed one", r->o->dry_run ? "dry run: would drop it: " : "");
		return 1;
	}
	if (r->o->dry_run) {
		action(r, "none", 1, "dry run: would drop the pending certificate, older than or the same as the deployed one");
		return 1;
	}
	json_object_del(r->st, "pending");
	state_stash_drop(r->sdir, r->o->domain, "pending", &err);
	action(r, "drop-pending", 1, "the pending certificate is older than, or the same as, the deployed one");
	return 1;
}

/* ---- the domain's lock, and the queue when it stays busy ---------------- */

/* A queued entry tries once; any other run waits up to half its deadline. */
static int
lock_wait_ms(const struct run *r)
{
	int left;

	if (r->o->queued_entry != NULL)
		return 0;
	left = deadline_left_ms(&r->o->dl) / 2;
	return left < 1000 ? 1000 : left;
}

static int
queue_candidate(struct run *r, int waited_ms, struct s2s_err *err)
{
	char path[PATH_MAX];
	struct s2s_err qerr = { 0 };

	if (queue_add(r->sdir, r->o->domain, &r->cand, path, &qerr) != 0) {
		action(r, "queue", 0, "another s2sguard run held %s for %d s, and the new "
		    "certificate could not be queued: %s", r->o->domain, (waited_ms + 500) / 1000, qerr.msg);
		return err_set(err, S2S_EBUSY, "%s: another s2sguard run holds this domain; "
		    "queueing failed: %s", r->o->domain, qerr.msg);
	}
	r->queued = 1;
	action(r, "queue", 1, "another s2sguard run held %s for %d s: the new certificate is "
	    "queued in %s; that run processes it when it ends, or the next s2sguard-check does",
	    r->o->domain, (waited_ms + 500) / 1000, path);
	return 0;
}

/*
 * Take the domain's lock. When it stays busy, a new renewal of a
 * configured domain is queued and a queued entry stays where it is: both
 * return 0 with r->queued set. A queued entry that is gone was processed
 * by another run: r->gone.
 */
static int
lock_or_queue(struct run *r, struct s2s_err *err)
{
	const struct guard_opts *o = r->o;
	int wait = lock_wait_ms(r), rc;

	rc = state_lock_acquire(r->sdir, o->domain, wait, &r->lock, err);
	if (rc == S2S_EBUSY && o->queued_entry != NULL) {
		r->queued = 1;
		action(r, "queue", 1, "another s2sguard run holds %s: the queued certificate %s "
		    "stays queued for it", o->domain, o->queued_entry);
		return 0;
	}
	if (rc == S2S_EBUSY && o->dom != NULL && !o->candidate_is_pending && !o->dry_run)
		return queue_candidate(r, wait, err);
	if (rc != 0)
		return rc;
	if (o->queued_entry != NULL && !queue_entry_exists(o->queued_entry)) {
		r->gone = 1;
		action(r, "none", 1, "the queued certificate %s was processed by another run",
		    o->queued_entry);
	}
	return 0;
}

/* Steps up to the decision; returns 0 or an error (nothing changed yet). */
static int
prepare(struct run *r, struct s2s_err *err)
{
	const struct guard_opts *o = r->o;
	int rc;

	if ((rc = state_dir_ensure(r->sdir, err)) != 0)
		return rc;
	/* a new renewal is read first, so that it can be queued if the lock stays busy */
	if (o->queued_entry == NULL && (rc = load_candidate(r, err)) != 0)
		return rc;
	if ((rc = lock_or_queue(r, err)) != 0 || r->queued || r->gone)
		return rc;
	if (o->queued_entry != NULL && (rc = load_candidate(r, err)) != 0)
		return rc;
	if ((rc = state_load(r->sdir, o->domain, &r->st, err)) != 0)
		return rc;
	if (o->candidate_is_pending) {
		snprintf(r->cand_cert, sizeof(r->cand_cert), "%s", o->cert_path);
		snprintf(r->cand_key, sizeof(r->cand_key), "%s", o->key_path);
	} else if ((rc = state_stash_pair(r->sdir, o->domain, "candidate", &r->cand,
	    r->cand_cert, r->cand_key, err)) != 0)
		return rc;
	if ((rc = load_deployed(r, err)) != 0)
		return rc;
	if ((rc = stage_inspect(r, err)) != 0)
		return rc;
	if (stale_pending(r))
		return 0;
	if ((rc = guard_peers(o->cfg, o->dom, o->domain, &o->dl, &r->peers, r->actions, err)) != 0)
		log_msg(o->log, LOG_WARNING, "%s: peers: %s", o->domain, err->msg);
	if (want_probe(r) && (rc = stage_probe(r, err)) != 0) {
		action(r, "probe", 0, "%s", err->msg);
		return rc;
	}
	stage_decide(r);
	return 0;
}

static void
try_reissue(struct run *r)
{
	struct s2s_err err = { 0 };

	if (stage_reissue(r, &err) != 0) {
		action(r, "reissue", 0, "%s", err.msg);
		r->reissued = 1;	/* tried: the fallback applies to the original */
		stage_decide(r);
		r->reissued = 0;
		return;
	}
	r->reissued = 1;
	action(r, "reissue", 1, "re-issued from %s", r->o->dom->reissue_directory);
	inspection_free(r->prev_ins);
	r->prev_ins = NULL;
	if (stage_inspect(r, &err) != 0) {
		action(r, "reissue", 0, "the re-issued certificate cannot be inspected: %s", err.msg);
		return;
	}
	/* the issue asked for proof: probe the re-issued pair whatever its EKU */
	if (r->peers.n > 0 && stage_probe(r, &err) != 0) {
		action(r, "probe", 0, "%s", err.msg);
		probe_results_free(r->probes);
		r->probes = NULL;
	}
	stage_decide(r);
}

int
guard_run(const struct guard_opts *o, json_t **report, int *exit_status, struct s2s_err *err)
{
	struct run r;
	int rc;

	memset(&r, 0, sizeof(r));
	r.o = o;
	r.sdir = o->cfg->state_dir;
	r.report = report_new(o->tool);
	r.actions = json_array();
	r.exit = GUARD_ERROR;
	*report = r.report;
	*exit_status = GUARD_ERROR;
	if (r.report == NULL || r.actions == NULL) {
		run_free(&r);
		return err_set(err, S2S_ENOMEM, "out of memory");
	}
	if ((rc = prepare(&r, err)) != 0) {
		json_object_set_new(r.report, "error", json_string(err->msg));
		fill_report(&r);
		queued_done(&r);
		run_free(&r);
		return rc;
	}
	if (r.queued)
		r.exit = GUARD_QUEUED;
	else if (r.gone)
		r.exit = GUARD_NOTHING;
	else if (r.stale)	/* check: nothing to do is a clean run (s2sguard-check(1)) */
		r.exit = o->candidate_is_pending ? GUARD_DEPLOYED : GUARD_NOTHING;
	else {
		if (r.dec.action == DECIDE_REISSUE && !o->dry_run)
			try_reissue(&r);	/* a dry run orders nothing */
		r.exit = stage_act(&r);
	}
	note_probes(&r);
	fill_report(&r);
	if (r.st != NULL && !o->dry_run && state_save(r.sdir, o->domain, r.st, err) != 0)
		log_msg(o->log, LOG_ERR, "%s: %s", o->domain, err->msg);
	/* an entry that merely stays queued has nothing to report */
	if (!(r.queued && o->queued_entry != NULL) &&
	    state_report_write(r.sdir, o->domain, o->tool + (strncmp(o->tool, "s2sguard-", 9) == 0 ? 9 : 0),
	    r.report, NULL, err) != 0)
		log_msg(o->log, LOG_ERR, "%s: report: %s", o->domain, err->msg);
	*exit_status = r.exit;
	queued_done(&r);
	run_free(&r);
	return 0;
}

static int
drain_rank(int e)
{
	static const int rank[] = { [GUARD_DEPLOYED] = 0, [GUARD_NOTHING] = 1, [GUARD_WARNED] = 2,
	    [GUARD_HELD] = 3, [GUARD_QUEUED] = 4, [GUARD_ROLLED_BACK] = 5, [GUARD_ERROR] = 6 };

	return e >= 0 && e <= GUARD_QUEUED ? rank[e] : 6;
}

int
guard_drain_queue(const struct guard_opts *base,
    void (*emit)(const json_t *report, void *arg), void *arg)
{
	char entry[PATH_MAX] = "", cert[PATH_MAX + 16], key[PATH_MAX + 16];
	struct s2s_err err = { 0 };
	struct guard_opts o;
	struct strlist l;
	json_t *report;
	int worst = GUARD_NOTHING, status, i;

	for (i = 0; i < QUEUE_MAX_ENTRIES; i++) {
		if (queue_list(base->cfg->state_dir, base->domain, &l, &err) != 0) {
			log_msg(base->log, LOG_ERR, "%s: queue: %s", base->domain, err.msg);
			break;
		}
		/* empty, or the oldest was not dropped (a dry run): done */
		if (l.n == 0 || strcmp(l.v[0], entry) == 0) {
			strlist_clear(&l);
			break;
		}
		snprintf(entry, sizeof(entry), "%s", l.v[0]);
		strlist_clear(&l);
		snprintf(cert, sizeof(cert), "%s/cert.pem", entry);
		snprintf(key, sizeof(key), "%s/key.pem", entry);
		o = *base;
		o.queued_entry = entry;
		o.cert_path = cert;
		o.key_path = key;
		o.chain_path = NULL;
		o.prev_cert_path = o.prev_key_path = NULL;
		o.client = NULL;
		o.candidate_is_pending = 0;
		o.allow_reissue = 1;	/* a queued renewal is treated as the hook would */
		o.dl = deadline_in_ms((int64_t)base->cfg->deadline * 1000);
		report = NULL;
		if (guard_run(&o, &report, &status, &err) != 0)
			log_msg(base->log, LOG_ERR, "%s: %s", base->domain, err.msg);
		if (report != NULL && status != GUARD_QUEUED)
			emit(report, arg);
		json_decref(report);
		if (status == GUARD_QUEUED)
			break;		/* another run holds the lock: it drains after its own */
		if (drain_rank(status) > drain_rank(worst))
			worst = status;
	}
	return worst;
}
