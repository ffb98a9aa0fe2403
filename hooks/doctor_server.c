/*
 * doctor_server.c: the local XMPP server. inbound-purpose: does it refuse
 * peers whose chain lacks clientAuth (from its installed Debian package
 * and its configuration)? dialback: is dialback on, the fallback that keeps
 * federation with strict peers (reference/xmpp-s2s.md, sections 2 and 7)?
 */
#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "debver.h"
#include "deadline.h"
#include "deploy.h"
#include "doctor_int.h"
#include "mem.h"
#include "probe.h"
#include "state.h"

#define CONF_MAX	(1024 * 1024)
#define DPKG_TIMEOUT_MS	10000

struct server {
	enum srv_kind	kind;
	char		conf[PATH_MAX];		/* as shown: without the root */
	char		pkg_version[DEBVER_MAX];	/* "" = not installed from a package */
	struct srvconf	sc;
};

static const struct {
	enum srv_kind	 kind;
	const char	*conf;
	const char	*confd;		/* included directory, or NULL */
	const char	*pkg;
} servers[] = {
	{ SRV_PROSODY, "/etc/prosody/prosody.cfg.lua", "/etc/prosody/conf.d", "prosody" },
	{ SRV_EJABBERD, "/etc/ejabberd/ejabberd.yml", NULL, "ejabberd" },
	{ SRV_METRONOME, "/etc/metronome/metronome.cfg.lua", "/etc/metronome/conf.d", "metronome" },
};
#define NSERVERS	(sizeof(servers) / sizeof(servers[0]))

int
doctor_dpkg_version(const struct doctor_opts *o, const char *pkg, char *buf, size_t bufsz,
    struct s2s_err *err)
{
	char admin[PATH_MAX + 16], dir[PATH_MAX], out[512];
	const char *argv[] = { "dpkg-query", admin, "-W", "-f=${db:Status-Abbrev}${Version}",
	    pkg, NULL };
	struct deadline dl = deadline_in_ms(DPKG_TIMEOUT_MS);
	int status = 0, rc;

	if (doctor_path(o, "/var/lib/dpkg", dir, sizeof(dir)) != 0)
		return err_set(err, S2S_EINVAL, "path too long");
	snprintf(admin, sizeof(admin), "--admindir=%s", dir);
	if ((rc = deploy_run(argv, DPKG_TIMEOUT_MS, &dl, out, sizeof(out), &status, err)) != 0)
		return rc;
	/* "ii 23.01-1": want, status (i = installed), error flag, then the version */
	out[strcspn(out, "\n")] = '\0';
	if (status != 0 || strlen(out) < 4 || out[1] != 'i' || !debver_valid(out + 3))
		return err_set(err, S2S_ENOTFOUND, "%s: not installed", pkg);
	snprintf(buf, bufsz, "%s", out + 3);
	return 0;
}

/* The configuration text: the main file, then the *.cfg.lua files of conf.d (Prosody, Metronome). */
static int
read_conf(const struct doctor_opts *o, size_t i, char **text, struct s2s_err *err)
{
	char path[PATH_MAX], dir[PATH_MAX];
	struct dirent **names = NULL;
	char *more = NULL, *all;
	int n, k, rc;

	if (doctor_path(o, servers[i].conf, path, sizeof(path)) != 0)
		return err_set(err, S2S_EINVAL, "path too long");
	if ((rc = doctor_read_text(path, CONF_MAX, text, err)) != 0 || servers[i].confd == NULL ||
	    doctor_path(o, servers[i].confd, dir, sizeof(dir)) != 0 ||
	    (n = scandir(dir, &names, NULL, alphasort)) < 0)
		return rc;
	for (k = 0; k < n; k++) {
		size_t l = strlen(names[k]->d_name);

		if (rc == 0 && l > 8 && strcmp(names[k]->d_name + l - 8, ".cfg.lua") == 0 &&
		    snprintf(path, sizeof(path), "%s/%s", dir, names[k]->d_name) < (int)sizeof(path) &&
		    doctor_read_text(path, CONF_MAX, &more, err) == 0) {
			if ((all = mem_alloc(strlen(*text) + strlen(more) + 2)) == NULL)
				rc = err_set(err, S2S_ENOMEM, "out of memory");
			else {
				snprintf(all, strlen(*text) + strlen(more) + 2, "%s\n%s", *text, more);
				mem_free(*text);
				*text = all;
			}
			mem_free(more);
			more = NULL;
		}
		free(names[k]);
	}
	free(names);
	return rc;
}

/* Which server's configuration exists: the target's kind first. */
static int
find_server(const struct doctor_opts *o, const struct cfg_domain *d, size_t *which)
{
	enum srv_kind want = d->target == TARGET_EJABBERD ? SRV_EJABBERD :
	    d->target == TARGET_PROSODY ? SRV_PROSODY : SRV_NONE;
	char path[PATH_MAX];
	struct stat st;
	size_t i;
	int found = 0;

	for (i = 0; i < NSERVERS; i++) {
		if (doctor_path(o, servers[i].conf, path, sizeof(path)) != 0 || stat(path, &st) != 0)
			continue;
		if (!found || servers[i].kind == want)
			*which = i;
		found = 1;
	}
	return found;
}

static int
load_server(const struct doctor_opts *o, const struct cfg_domain *d, struct server *s,
    struct s2s_err *err)
{
	char *text = NULL;
	size_t i = 0;
	int rc;

	memset(s, 0, sizeof(*s));
	if (!find_server(o, d, &i))
		return err_set(err, S2S_ENOTFOUND, "no configuration of Prosody (%s), ejabberd (%s) "
		    "or Metronome (%s)%s%s", servers[0].conf, servers[1].conf, servers[2].conf,
		    o->root != NULL && o->root[0] != '\0' ? " under " : "",
		    o->root != NULL ? o->root : "");
	s->kind = servers[i].kind;
	snprintf(s->conf, sizeof(s->conf), "%s", servers[i].conf);
	if ((rc = read_conf(o, i, &text, err)) != 0)
		return rc;
	rc = srvconf_parse(s->kind, text, d->name, &s->sc, err);
	mem_free(text);
	if (rc != 0)
		return rc;
	if (doctor_dpkg_version(o, servers[i].pkg, s->pkg_version, sizeof(s->pkg_version), err) != 0)
		s->pkg_version[0] = '\0';
	return 0;
}

/* v >= ref, by Debian's rules; 0 when v is no version. */
static int
at_least(const char *v, const char *ref)
{
	struct s2s_err err;
	int c;

	return debver_cmp(v, ref, &c, &err) == 0 && c >= 0;
}

/* ---- inbound-purpose --------------------------------------------------- */

/* fast_tls with override_cert_purpose: upstream 1.1.24, or Debian 13's backport. */
static int
p1_tls_has_option(const char *v)
{
	return at_least(v, "1.1.24") || (at_least(v, "1.1.22-1+deb13u1") && !at_least(v, "1.1.23~"));
}

static int
purpose_ejabberd(const struct doctor_opts *o, const struct cfg_domain *d, const struct server *s,
    struct doctor_results *r)
{
	static const char upgrade[] = "upgrade ejabberd to 25.08 or later (Debian 13: "
	    "24.12-3+deb13u2 or later); until then keep mod_s2s_dialback in modules:";
	char p1[DEBVER_MAX];
	struct s2s_err err = { 0 };
	int have_p1;

	if (s->pkg_version[0] == '\0')
		return doctor_add(r, "inbound-purpose", d->name, DOCTOR_WARN,
		    "make sure it is 25.08 or later with fast_tls 1.1.24 or later, and keep "
		    "mod_s2s_dialback until you know", "ejabberd (%s) is not installed from a Debian "
		    "package: its version is unknown, and before 25.07 it refuses every peer whose "
		    "chain lacks clientAuth", s->conf);
	if (!at_least(s->pkg_version, "24.12-3+deb13u2"))
		return doctor_add(r, "inbound-purpose", d->name, DOCTOR_FAIL, upgrade,
		    "ejabberd %s checks the TLS client purpose of incoming s2s chains: it refuses "
		    "SASL EXTERNAL from every peer that renewed with a serverAuth-only certificate "
		    "(\"unsupported certificate purpose\")", s->pkg_version);
	have_p1 = doctor_dpkg_version(o, "erlang-p1-tls", p1, sizeof(p1), &err) == 0;
	if (have_p1 && !p1_tls_has_option(p1))
		return doctor_add(r, "inbound-purpose", d->name, DOCTOR_FAIL,
		    "upgrade erlang-p1-tls to 1.1.24 or later (Debian 13: 1.1.22-1+deb13u1)",
		    "ejabberd %s asks fast_tls to ignore the client purpose, but erlang-p1-tls %s "
		    "cannot: peers with serverAuth-only chains are refused", s->pkg_version, p1);
	return doctor_add(r, "inbound-purpose", d->name, DOCTOR_OK, NULL,
	    "ejabberd %s with %s%s judges incoming chains by the server purpose: serverAuth-only "
	    "peers are accepted", s->pkg_version, have_p1 ? "erlang-p1-tls " : "its own fast_tls",
	    have_p1 ? p1 : "");
}

static int
purpose_metronome(const struct cfg_domain *d, const struct server *s, struct doctor_results *r)
{
	const char *v = s->pkg_version[0] != '\0' ? s->pkg_version : "(version unknown)";

	if (s->sc.ignore_purpose)
		return doctor_add(r, "inbound-purpose", d->name, DOCTOR_OK, NULL,
		    "Metronome %s with verifyext lsec_ignore_purpose: the client purpose is not "
		    "checked", v);
	if (s->pkg_version[0] != '\0' && !at_least(s->pkg_version, "4.0.6~"))
		return doctor_add(r, "inbound-purpose", d->name, DOCTOR_FAIL,
		    "add ssl = { verifyext = { \"lsec_continue\", \"lsec_ignore_purpose\" } }, or keep "
		    "dialback on (maranda/metronome#560)", "Metronome %s checks the TLS client purpose: "
		    "peers whose chain lacks clientAuth are refused (invalid-mechanism)", v);
	return doctor_add(r, "inbound-purpose", d->name, DOCTOR_WARN,
	    "test it: XMPP ping le-tlsserver.badxmpp.eu from an account on your server",
	    "Metronome %s: versions up to 4.0.5 refuse peers whose chain lacks clientAuth; "
	    "later ones are not measured", v);
}

static int
check_purpose(const struct doctor_opts *o, const struct cfg_domain *d, const struct server *s,
    struct doctor_results *r)
{
	switch (s->kind) {
	case SRV_EJABBERD:
		return purpose_ejabberd(o, d, s, r);
	case SRV_METRONOME:
		return purpose_metronome(d, s, r);
	default:
		return doctor_add(r, "inbound-purpose", d->name, DOCTOR_OK, NULL,
		    "Prosody %s judges incoming chains by the server purpose (lsec_ignore_purpose): "
		    "serverAuth-only peers are accepted", s->pkg_version[0] != '\0' ?
		    s->pkg_version : "(version unknown)");
	}
}

/* ---- dialback ---------------------------------------------------------- */

/* The peer federates with us through dialback only: it took our dialback
 * request, whether or not it could verify it from where the probe ran. */
static int
relies_on_dialback(enum probe_verdict v)
{
	return v == PROBE_DIALBACK_ONLY || v == PROBE_DIALBACK_UNVERIFIED;
}

/* A peer that answered dialback-only (or dialback-unverified) in the last
 * probe: its name and that verdict (into peer), and when. */
static int
dialback_only_peer(const struct doctor_opts *o, const struct cfg_domain *d, char *peer,
    size_t peersz, char *when, size_t whensz)
{
	struct s2s_err err = { 0 };
	struct probe_results *res = NULL;
	json_t *st = NULL, *lp;
	size_t i;
	int found = 0;

	if (state_load(o->cfg->state_dir, d->name, &st, &err) != 0)
		return 0;
	lp = json_object_get(st, "last_probe");
	if (probe_results_from_json(json_object_get(lp, "probes"), &res, &err) == 0) {
		for (i = 0; i < res->n && !found; i++) {
			const struct probe_result *p = &res->v[i];

			enum probe_verdict v = p->probe.verdict;

			if (!relies_on_dialback(v) && p->has_baseline)
				v = p->baseline.verdict;
			if (relies_on_dialback(v)) {
				snprintf(peer, peersz, "%s answered %s", p->peer, probe_verdict_name(v));
				snprintf(when, whensz, "%s", json_string_value(json_object_get(lp, "time")) != NULL ?
				    json_string_value(json_object_get(lp, "time")) : "?");
				found = 1;
			}
		}
		probe_results_free(res);
	}
	json_decref(st);
	return found;
}

static int
check_dialback(const struct doctor_opts *o, const struct cfg_domain *d, const struct server *s,
    struct doctor_results *r)
{
	char peer[PROBE_DOMAIN_MAX + 64], when[64];
	const char *fix = s->kind == SRV_EJABBERD ? "add mod_s2s_dialback: {} under modules: in "
	    "ejabberd.yml, then reload" : "remove \"dialback\" from modules_disabled (or add it to "
	    "modules_enabled), then reload";

	if (s->sc.dialback == 1)
		return doctor_add(r, "dialback", d->name, DOCTOR_OK, NULL, "%s: %s",
		    srv_kind_name(s->kind), s->sc.dialback_why);
	if (s->sc.dialback == 0 && dialback_only_peer(o, d, peer, sizeof(peer), when, sizeof(when)))
		return doctor_add(r, "dialback", d->name, DOCTOR_FAIL, fix,
		    "%s has dialback off (%s), and %s in the last probe (%s): "
		    "federation with it needs dialback", srv_kind_name(s->kind), s->sc.dialback_why,
		    peer, when);
	return doctor_add(r, "dialback", d->name, DOCTOR_WARN, fix,
	    "%s: dialback %s (%s): a peer that refuses your renewed certificate, or whose "
	    "certificate your server refuses, has no fallback", srv_kind_name(s->kind),
	    s->sc.dialback == 0 ? "is off" : "may be off", s->sc.dialback_why);
}

int
doctor_check_server(const struct doctor_opts *o, const struct cfg_domain *d,
    struct doctor_results *r)
{
	struct server s;
	struct s2s_err err = { 0 };
	int rc;

	if ((rc = load_server(o, d, &s, &err)) != 0) {
		if (rc == S2S_ENOMEM)
			return rc;
		if ((rc = doctor_add(r, "inbound-purpose", d->name, DOCTOR_SKIP, NULL,
		    "%s", err.msg)) != 0)
			return rc;
		return doctor_add(r, "dialback", d->name, DOCTOR_SKIP, NULL, "%s", err.msg);
	}
	if ((rc = check_purpose(o, d, &s, r)) == 0)
		rc = check_dialback(o, d, &s, r);
	srvconf_clear(&s.sc);
	return rc;
}
