/*
 * doctor_checks.c: the checks that read only s2sguard's own things: the
 * configuration, the probe user, the state directory, the timer, the DANE
 * trust anchor, and how long the deployed and the pending certificate
 * have left.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/x509.h>

#include "cert.h"
#include "config_dane.h"
#include "dane.h"
#include "deploy.h"
#include "doctor_int.h"
#include "mem.h"
#include "report.h"
#include "state.h"

#define TEXT_MAX	(256 * 1024)

/* ---- config ------------------------------------------------------------ */

static int
config_domain(const struct cfg_domain *d, struct doctor_results *r)
{
	char saw[DOCTOR_TEXT_MAX] = "", fix[DOCTOR_TEXT_MAX] = "";
	enum doctor_status st = DOCTOR_OK;
	int has_peers = d->peers.n > 0 || d->peers_file != NULL || d->peers_command != NULL;

	if (d->target == TARGET_NONE) {
		st = DOCTOR_WARN;
		snprintf(saw, sizeof(saw), "no target: the hook inspects and probes, but deploys "
		    "nothing and cannot hold");
		snprintf(fix, sizeof(fix), "set target = prosody or ejabberd (or cert/key or pem) "
		    "to the files your server reads");
	} else if (d->reload == NULL) {
		st = DOCTOR_FAIL;
		snprintf(saw, sizeof(saw), "target %s but no reload command: a deployed certificate "
		    "is not loaded until the server restarts", config_target_name(d->target));
		snprintf(fix, sizeof(fix), "set reload = (e.g. systemctl reload prosody)");
	} else if (!has_peers) {
		st = DOCTOR_WARN;
		snprintf(saw, sizeof(saw), "target %s, reload set, but no peers, peers_file or "
		    "peers_command: nothing to probe", config_target_name(d->target));
		snprintf(fix, sizeof(fix), "list the servers you federate with in peers = "
		    "(or peers_command = for discovery)");
	} else {
		snprintf(saw, sizeof(saw), "target %s, reload set, %s%s", config_target_name(d->target),
		    d->peers_command != NULL ? "peers from a command" : "peers configured",
		    d->critical_peers.n > 0 ? ", critical peers set" : "");
	}
	return doctor_add(r, "config", d->name, st, fix, "%s", saw);
}

int
doctor_check_config(const struct doctor_opts *o, struct doctor_results *r)
{
	const struct config *cfg = o->cfg;
	size_t i;
	int rc;

	if (cfg == NULL)
		return doctor_add(r, "config", NULL, DOCTOR_FAIL,
		    "correct what the message names (s2sguard.conf(5); an example is in "
		    "templates/s2sguard.conf)", "%s", o->config_error != NULL ? o->config_error :
		    "the configuration could not be read");
	if (cfg->ndomains == 0)
		return doctor_add(r, "config", NULL, DOCTOR_WARN,
		    "add a [domain NAME] section for each XMPP domain you serve (s2sguard.conf(5))",
		    "%s parses, but has no [domain] section: nothing is guarded", o->config_path);
	if ((rc = doctor_add(r, "config", NULL, DOCTOR_OK, NULL, "%s parses: %zu [domain] "
	    "section(s)", o->config_path, cfg->ndomains)) != 0)
		return rc;
	for (i = 0; i < cfg->ndomains; i++)
		if (doctor_wants_domain(o, cfg->domains[i].name) &&
		    (rc = config_domain(&cfg->domains[i], r)) != 0)
			return rc;
	return 0;
}

/* ---- probe-user -------------------------------------------------------- */

int
doctor_check_probe_user(const struct doctor_opts *o, struct doctor_results *r)
{
	static const char *const servers[] = { "prosody", "ejabberd", "metronome" };
	const char *u = o->cfg->probe_user;
	struct passwd *pw;
	size_t i;

	errno = 0;
	if ((pw = getpwnam(u)) == NULL)
		return doctor_add(r, "probe-user", NULL, DOCTOR_FAIL,
		    "adduser --system --group --no-create-home --home /nonexistent s2sguard, or set "
		    "probe_user", "probe_user '%s' does not exist: the prober cannot drop root, so "
		    "no peer is probed", u);
	if (pw->pw_uid == 0)
		return doctor_add(r, "probe-user", NULL, DOCTOR_FAIL,
		    "set probe_user to an unprivileged system user (the package creates s2sguard)",
		    "probe_user '%s' has uid 0: peers' XML would be parsed as root", u);
	for (i = 0; i < sizeof(servers) / sizeof(servers[0]); i++)
		if (strcmp(u, servers[i]) == 0)
			return doctor_add(r, "probe-user", NULL, DOCTOR_WARN,
			    "use a user of its own (the package creates s2sguard)",
			    "probe_user '%s' is the XMPP server's account: a subverted prober could "
			    "read the server's keys", u);
	return doctor_add(r, "probe-user", NULL, DOCTOR_OK, NULL,
	    "probe_user '%s' (uid %ld): probes run unprivileged", u, (long)pw->pw_uid);
}

/* ---- state-dir --------------------------------------------------------- */

/* A stashed key under DIR/DOMAIN/SLOT/key.pem that others may read. */
static int
loose_key(const char *dir, char *which, size_t whichsz)
{
	static const char *const slots[] = { "pending", "last-good", "previous", "candidate",
	    "reissued" };
	char path[PATH_MAX];
	struct dirent *de;
	struct stat st;
	DIR *dp;
	size_t i;
	int found = 0;

	if ((dp = opendir(dir)) == NULL)
		return 0;
	while (!found && (de = readdir(dp)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		for (i = 0; i < sizeof(slots) / sizeof(slots[0]) && !found; i++) {
			if (snprintf(path, sizeof(path), "%s/%s/%s/key.pem", dir, de->d_name,
			    slots[i]) >= (int)sizeof(path))
				continue;
			if (lstat(path, &st) == 0 && (st.st_mode & 077) != 0) {
				snprintf(which, whichsz, "%s", path);
				found = 1;
			}
		}
	}
	closedir(dp);
	return found;
}

int
doctor_check_state_dir(const struct doctor_opts *o, struct doctor_results *r)
{
	const char *dir = o->cfg->state_dir;
	char fix[DOCTOR_TEXT_MAX], key[PATH_MAX];
	struct stat st;

	if (lstat(dir, &st) != 0) {
		snprintf(fix, sizeof(fix), "install -d -m 0700 %s (the first run also creates it)", dir);
		return doctor_add(r, "state-dir", NULL, errno == ENOENT ? DOCTOR_WARN : DOCTOR_FAIL,
		    fix, "%s: %s", dir, strerror(errno));
	}
	snprintf(fix, sizeof(fix), "chown root:root %s && chmod 0700 %s", dir, dir);
	if (S_ISLNK(st.st_mode) || !S_ISDIR(st.st_mode))
		return doctor_add(r, "state-dir", NULL, DOCTOR_FAIL, fix,
		    "%s is %s, not a directory", dir, S_ISLNK(st.st_mode) ? "a symlink" : "a file");
	if (st.st_uid != 0 && st.st_uid != geteuid())
		return doctor_add(r, "state-dir", NULL, DOCTOR_FAIL, fix,
		    "%s belongs to uid %ld: that user could change the pair a hold restores",
		    dir, (long)st.st_uid);
	if ((st.st_mode & 022) != 0)
		return doctor_add(r, "state-dir", NULL, DOCTOR_FAIL, fix,
		    "%s is mode %04o: others can write into it", dir, (unsigned)(st.st_mode & 07777));
	if (loose_key(dir, key, sizeof(key))) {
		snprintf(fix, sizeof(fix), "chmod 0600 %s", key);
		return doctor_add(r, "state-dir", NULL, DOCTOR_FAIL, fix,
		    "%s can be read by others", key);
	}
	if ((st.st_mode & 007) != 0)
		return doctor_add(r, "state-dir", NULL, DOCTOR_WARN, fix,
		    "%s is mode %04o: everyone can read the reports", dir,
		    (unsigned)(st.st_mode & 07777));
	return doctor_add(r, "state-dir", NULL, DOCTOR_OK, NULL, "%s: uid %ld, mode %04o", dir,
	    (long)st.st_uid, (unsigned)(st.st_mode & 07777));
}

/* ---- timer ------------------------------------------------------------- */

/* Does FILE have an uncommented line naming s2sguard-check? */
static int
cron_names_check(const char *file)
{
	struct s2s_err err;
	char *text = NULL, *line, *save = NULL;
	int found = 0;

	if (doctor_read_text(file, TEXT_MAX, &text, &err) != 0)
		return 0;
	for (line = strtok_r(text, "\n", &save); line != NULL && !found;
	    line = strtok_r(NULL, "\n", &save)) {
		line += strspn(line, " \t");
		found = *line != '#' && strstr(line, "s2sguard-check") != NULL;
	}
	mem_free(text);
	return found;
}

/* The first cron file under ROOT that runs s2sguard-check, into where. */
static int
cron_entry(const struct doctor_opts *o, char *where, size_t wsz)
{
	static const char *const dirs[] = { "/etc/cron.d", "/etc/cron.hourly", "/etc/cron.daily",
	    "/etc/cron.weekly", "/var/spool/cron/crontabs" };
	char path[PATH_MAX], file[PATH_MAX];
	struct dirent *de;
	DIR *dp;
	size_t i;

	if (doctor_path(o, "/etc/crontab", path, sizeof(path)) == 0 && cron_names_check(path)) {
		snprintf(where, wsz, "/etc/crontab");
		return 1;
	}
	for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		if (doctor_path(o, dirs[i], path, sizeof(path)) != 0 || (dp = opendir(path)) == NULL)
			continue;
		while ((de = readdir(dp)) != NULL) {
			if (de->d_name[0] == '.' ||
			    snprintf(file, sizeof(file), "%s/%s", path, de->d_name) >= (int)sizeof(file))
				continue;
			if (cron_names_check(file)) {
				snprintf(where, wsz, "%s/%s", dirs[i], de->d_name);
				closedir(dp);
				return 1;
			}
		}
		closedir(dp);
	}
	return 0;
}

int
doctor_check_timer(const struct doctor_opts *o, struct doctor_results *r)
{
	char path[PATH_MAX], where[PATH_MAX];
	struct stat st;

	if (doctor_path(o, "/etc/systemd/system/timers.target.wants/s2sguard-check.timer", path,
	    sizeof(path)) == 0 && lstat(path, &st) == 0)
		return doctor_add(r, "timer", NULL, DOCTOR_OK, NULL,
		    "s2sguard-check.timer is enabled (timers.target wants it)");
	if (cron_entry(o, where, sizeof(where)))
		return doctor_add(r, "timer", NULL, DOCTOR_OK, NULL,
		    "%s runs s2sguard-check", where);
	return doctor_add(r, "timer", NULL, DOCTOR_FAIL,
	    "systemctl enable --now s2sguard-check.timer (or run s2sguard-check daily from cron)",
	    "s2sguard-check.timer is not enabled and no cron entry runs s2sguard-check: a held "
	    "certificate is never deployed");
}

/* ---- dane-anchor ------------------------------------------------------- */

/* Does the anchor file hold a DS or DNSKEY record? */
static int
anchor_has_key(const char *text)
{
	return strstr(text, "DNSKEY") != NULL || strstr(text, " DS ") != NULL ||
	    strstr(text, "\tDS\t") != NULL || strstr(text, " DS\t") != NULL ||
	    strstr(text, "\tDS ") != NULL;
}

int
doctor_check_dane_anchor(const struct doctor_opts *o, const struct cfg_domain *d,
    struct doctor_results *r)
{
	struct cfg_dane dc;
	struct s2s_err err = { 0 };
	char path[PATH_MAX], fix[DOCTOR_TEXT_MAX];
	char *text = NULL;
	int rc, ok;

	config_dane_get(o->cfg, d, &dc);
	if (dc.mode == DANE_MODE_OFF)
		return doctor_add(r, "dane-anchor", d->name, DOCTOR_SKIP, NULL, "dane = off");
	if (dc.trust_anchor != NULL)
		snprintf(path, sizeof(path), "%s", dc.trust_anchor);
	else if (doctor_path(o, DANE_DEFAULT_TRUST_ANCHOR, path, sizeof(path)) != 0)
		return doctor_add(r, "dane-anchor", d->name, DOCTOR_FAIL, NULL, "path too long");
	rc = doctor_read_text(path, TEXT_MAX, &text, &err);
	ok = rc == 0 && anchor_has_key(text);
	mem_free(text);
	if (ok)
		return doctor_add(r, "dane-anchor", d->name, DOCTOR_OK, NULL,
		    "dane = %s, trust anchor %s", dc.mode == DANE_MODE_HOLD ? "hold" : "warn", path);
	snprintf(fix, sizeof(fix), "%s", dc.trust_anchor == NULL ?
	    "apt install dns-root-data, or set dane_trust_anchor (dane = off if you publish no TLSA)" :
	    "point dane_trust_anchor at a file with the root's DS or DNSKEY record");
	if (!dc.configured)
		return doctor_add(r, "dane-anchor", d->name, DOCTOR_SKIP, fix,
		    "dane not set and no trust anchor at %s: TLSA records are not checked", path);
	return doctor_add(r, "dane-anchor", d->name, DOCTOR_FAIL, fix,
	    "dane = %s, but the trust anchor %s %s: TLSA records cannot be validated, the hook "
	    "skips them", dc.mode == DANE_MODE_HOLD ? "hold" : "warn", path,
	    rc == 0 ? "holds no DS or DNSKEY record" : "cannot be read");
}

/* ---- expiry ------------------------------------------------------------ */

/* Days from now to the leaf's notAfter (negative when expired). */
static int
leaf_days_left(const unsigned char *pem, size_t len, const char *what, time_t now, int *days,
    struct s2s_err *err)
{
	struct cert_chain *chain = NULL;
	int sec = 0, rc;

	if ((rc = cert_chain_parse(pem, len, what, &chain, err)) != 0)
		return rc;
	if (ASN1_TIME_diff(days, &sec, X509_time_adj(NULL, 0, &now),
	    X509_get0_notAfter(cert_chain_get(chain, 0))) != 1)
		rc = err_set(err, S2S_EPARSE, "%s: unreadable notAfter", what);
	else if (*days == 0 && sec < 0)
		*days = -1;
	cert_chain_free(chain);
	return rc;
}

/* ", pending (held since X): N days left" or "" into buf. */
static void
pending_note(const struct doctor_opts *o, const struct cfg_domain *d, char *buf, size_t sz,
    int *pending_days)
{
	char cert[PATH_MAX], key[PATH_MAX];
	struct s2s_err err = { 0 };
	unsigned char *pem = NULL;
	const char *since = NULL;
	json_t *st = NULL;
	size_t len = 0;

	buf[0] = '\0';
	*pending_days = INT_MAX;
	if (state_stash_paths(o->cfg->state_dir, d->name, "pending", cert, key, &err) != 0)
		return;
	if (state_load(o->cfg->state_dir, d->name, &st, &err) == 0)
		since = json_string_value(json_object_get(json_object_get(st, "pending"), "since"));
	if (cert_read_file(cert, CERT_MAX_FILE_BYTES, &pem, &len, &err) == 0 &&
	    leaf_days_left(pem, len, cert, o->now, pending_days, &err) == 0)
		snprintf(buf, sz, "; pending certificate (held since %s): %d day(s) left",
		    since != NULL ? since : "?", *pending_days);
	else
		snprintf(buf, sz, "; pending certificate unreadable: %s", err.msg);
	mem_free(pem);
	json_decref(st);
}

int
doctor_check_expiry(const struct doctor_opts *o, const struct cfg_domain *d,
    struct doctor_results *r)
{
	struct deploy_target t;
	struct deploy_pair p = { 0 };
	struct s2s_err err = { 0 };
	char note[300], fix[DOCTOR_TEXT_MAX];
	const char *path;
	int days = 0, pdays;

	if (d->target == TARGET_NONE)
		return doctor_add(r, "expiry", d->name, DOCTOR_SKIP, NULL,
		    "no target: nothing deployed to look at");
	path = d->pem_path != NULL ? d->pem_path : d->cert_path;
	pending_note(o, d, note, sizeof(note), &pdays);
	if (deploy_target_from_config(d, &t, &err) != 0 ||
	    deploy_pair_load_target(&t, &p, &err) != 0 ||
	    leaf_days_left(p.cert, p.cert_len, path, o->now, &days, &err) != 0) {
		deploy_pair_clear(&p);
		snprintf(fix, sizeof(fix), "deploy the current certificate once: s2sguard-hook "
		    "--domain %s --cert FULLCHAIN --key KEY", d->name);
		return doctor_add(r, "expiry", d->name, DOCTOR_WARN, fix,
		    "nothing usable deployed: %s%s", err.msg, note);
	}
	deploy_pair_clear(&p);
	if (days < 0)
		return doctor_add(r, "expiry", d->name, DOCTOR_FAIL,
		    "renew now, and check that the ACME client runs (and calls s2sguard-hook)",
		    "the deployed certificate %s has expired%s", path, note);
	if (days <= d->hold_min_days || days < 14)
		return doctor_add(r, "expiry", d->name, DOCTOR_WARN,
		    "check why the renewal has not arrived (ACME client logs) or why it is held",
		    "the deployed certificate has %d day(s) left (hold_min_days %d)%s", days,
		    d->hold_min_days, note);
	if (pdays < 0)
		return doctor_add(r, "expiry", d->name, DOCTOR_WARN,
		    "s2sguard-check drops it; the next renewal replaces it",
		    "deployed: %d day(s) left%s (expired)", days, note);
	return doctor_add(r, "expiry", d->name, DOCTOR_OK, NULL, "deployed: %d day(s) left%s",
	    days, note);
}
