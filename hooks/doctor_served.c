/*
 * doctor_served.c: served-certificate. Connect to the domain's own server
 * as a peer would (served.h: its SRV records or `server =`, s2s STARTTLS,
 * direct TLS, and c2s) and compare the leaf each endpoint presents with
 * the one in s2sguard's target. Another leaf fails; when it is the ACME
 * client's own file, or the certificate deployed before, the line says so.
 */
#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cert.h"
#include "deploy.h"
#include "doctor_int.h"
#include "mem.h"
#include "served.h"
#include "state.h"

#define SERVED_FETCH_MS		60000
#define MAX_CANDIDATES		64

/* Candidate files whose leaf the server might present, and what each is. */
struct candidates {
	char		*path[MAX_CANDIDATES];	/* as found (under the root) */
	char		*shown[MAX_CANDIDATES];	/* as named in the line */
	int		 acme[MAX_CANDIDATES];	/* 1: an ACME client's file */
	size_t		 n;
};

static void
cand_clear(struct candidates *c)
{
	size_t i;

	for (i = 0; i < c->n; i++) {
		mem_free(c->path[i]);
		mem_free(c->shown[i]);
	}
	c->n = 0;
}

static int
cand_add(struct candidates *c, const char *path, const char *shown, int acme)
{
	if (c->n == MAX_CANDIDATES)
		return 0;
	if ((c->path[c->n] = mem_strdup(path)) == NULL ||
	    (c->shown[c->n] = mem_strdup(shown)) == NULL) {
		mem_free(c->path[c->n]);
		return S2S_ENOMEM;
	}
	c->acme[c->n++] = acme;
	return 0;
}

/* An ACME client's file, named without the root, found under it. */
static int
cand_acme(const struct doctor_opts *o, struct candidates *c, const char *shown)
{
	char path[PATH_MAX];

	if (doctor_path(o, shown, path, sizeof(path)) != 0 || access(path, R_OK) != 0)
		return 0;
	return cand_add(c, path, shown, 1);
}

/* Every certbot lineage's cert.pem and fullchain.pem. */
static int
cand_certbot(const struct doctor_opts *o, struct candidates *c)
{
	char dir[PATH_MAX], shown[PATH_MAX];
	struct dirent *de;
	DIR *dp;
	int rc = 0;

	if (doctor_path(o, "/etc/letsencrypt/live", dir, sizeof(dir)) != 0 ||
	    (dp = opendir(dir)) == NULL)
		return 0;
	while (rc == 0 && (de = readdir(dp)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(shown, sizeof(shown), "/etc/letsencrypt/live/%s/cert.pem", de->d_name);
		rc = cand_acme(o, c, shown);
	}
	closedir(dp);
	return rc;
}

static int
candidates_fill(const struct doctor_opts *o, const struct cfg_domain *d, struct candidates *c)
{
	/* PREFIX DOMAIN MID [DOMAIN] SUFFIX */
	static const struct { const char *prefix, *mid, *suffix; int twice; } files[] = {
		{ "/root/.acme.sh/", "_ecc/", ".cer", 1 }, { "/root/.acme.sh/", "/", ".cer", 1 },
		{ "/etc/acme.sh/", "_ecc/", ".cer", 1 }, { "/etc/acme.sh/", "/", ".cer", 1 },
		{ "/var/lib/dehydrated/certs/", "/cert.pem", "", 0 },
		{ "/etc/dehydrated/certs/", "/cert.pem", "", 0 },
		{ "/root/.lego/certificates/", ".crt", "", 0 },
		{ "/etc/lego/certificates/", ".crt", "", 0 },
		{ "/var/lib/lego/certificates/", ".crt", "", 0 },
	};
	char shown[PATH_MAX], cert[PATH_MAX], key[PATH_MAX];
	size_t i;
	int rc;

	if ((rc = cand_certbot(o, c)) != 0)
		return rc;
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(shown, sizeof(shown), "%s%s%s%s%s", files[i].prefix, d->name, files[i].mid,
		    files[i].twice ? d->name : "", files[i].suffix);
		if ((rc = cand_acme(o, c, shown)) != 0)
			return rc;
	}
	/* s2sguard's own earlier pair: the reload did not take */
	if (state_stash_paths(o->cfg->state_dir, d->name, "previous", cert, key, NULL) == 0 &&
	    (rc = cand_add(c, cert, "the certificate deployed before (state: previous/)", 0)) != 0)
		return rc;
	if (state_stash_paths(o->cfg->state_dir, d->name, "pending", cert, key, NULL) == 0 &&
	    (rc = cand_add(c, cert, "the held renewal (state: pending/)", 0)) != 0)
		return rc;
	return 0;
}

/* The leaf in s2sguard's target (a new reference), or NULL with err set. */
static X509 *
target_leaf(const struct cfg_domain *d, struct s2s_err *err)
{
	struct deploy_target t;
	struct deploy_pair p = { 0 };
	struct cert_chain *chain = NULL;
	X509 *leaf = NULL;

	if (deploy_target_from_config(d, &t, err) == 0 && deploy_pair_load_target(&t, &p, err) == 0 &&
	    cert_chain_parse(p.cert, p.cert_len, d->pem_path != NULL ? d->pem_path : d->cert_path,
	    &chain, err) == 0) {
		leaf = cert_chain_get(chain, 0);
		X509_up_ref(leaf);
	}
	cert_chain_free(chain);
	deploy_pair_clear(&p);
	return leaf;
}

/* "s2s STARTTLS 127.0.0.1:5269" for one endpoint. */
static void
endpoint_name(const struct served_endpoint *e, char *buf, size_t sz)
{
	snprintf(buf, sz, "%s %s:%d", served_transport_name(e->transport),
	    e->address[0] != '\0' ? e->address : e->host, e->port);
}

/* The first endpoint presenting another leaf: say whose it is. */
static int
report_differs(const struct doctor_opts *o, const struct cfg_domain *d,
    const struct served_results *res, X509 *want, struct doctor_results *r)
{
	struct candidates c = { 0 };
	char ep[SERVED_HOST_MAX + 64], fix[DOCTOR_TEXT_MAX];
	const struct served_endpoint *e = NULL;
	const char *target = d->pem_path != NULL ? d->pem_path : d->cert_path;
	long idx = -1;
	size_t i;
	int rc;

	for (i = 0; i < res->n && e == NULL; i++)
		if (res->v[i].status == SERVED_OK && !served_leaf_equal(res->v[i].leaf, want))
			e = &res->v[i];
	endpoint_name(e, ep, sizeof(ep));
	if ((rc = candidates_fill(o, d, &c)) != 0)
		goto out;
	served_match_files(e->leaf, (const char *const *)c.path, c.n, &idx);
	if (idx >= 0 && c.acme[idx]) {
		snprintf(fix, sizeof(fix), "point the server's certificate at s2sguard's target (%s) "
		    "and reload it", target);
		rc = doctor_add(r, "served-certificate", d->name, DOCTOR_FAIL, fix,
		    "%s presents %s: the server reads the ACME client's files: a hold cannot hold",
		    ep, c.shown[idx]);
	} else if (idx >= 0) {
		rc = doctor_add(r, "served-certificate", d->name, DOCTOR_FAIL,
		    "make reload reload the certificates (e.g. systemctl reload prosody), or restart "
		    "the server", "%s presents %s, not the one in %s: the reload did not make the "
		    "server use the new certificate", ep, c.shown[idx], target);
	} else {
		snprintf(fix, sizeof(fix), "point the server's certificate at s2sguard's target (%s)",
		    target);
		rc = doctor_add(r, "served-certificate", d->name, DOCTOR_FAIL, fix,
		    "%s presents a certificate (sha256 %.16s...) that is not the one in %s: the server "
		    "does not read s2sguard's target", ep, e->leaf_sha256, target);
	}
out:
	cand_clear(&c);
	return rc;
}

static int
report_unreached(const struct cfg_domain *d, const struct served_results *res,
    struct doctor_results *r)
{
	char ep[SERVED_HOST_MAX + 64] = "";
	const char *why = res->note[0] != '\0' ? res->note : "no endpoint found";
	size_t i;

	for (i = 0; i < res->n; i++)
		if (res->v[i].status != SERVED_CLOSED) {
			endpoint_name(&res->v[i], ep, sizeof(ep));
			why = res->v[i].detail;
			break;
		}
	return doctor_add(r, "served-certificate", d->name, DOCTOR_WARN,
	    "set server = HOST:PORT (or HOST:PORT/tls) in the [domain] when DNS does not lead to "
	    "this machine's server", "could not read the certificate the server presents%s%s: %s",
	    ep[0] != '\0' ? " at " : "", ep, why);
}

int
doctor_check_served(const struct doctor_opts *o, const struct cfg_domain *d,
    struct doctor_results *r)
{
	struct served_opts so;
	struct served_results *res = NULL;
	struct s2s_err err = { 0 };
	size_t same = 0, differ = 0;
	X509 *want;
	int rc;

	if (d->target == TARGET_NONE)
		return doctor_add(r, "served-certificate", d->name, DOCTOR_SKIP, NULL,
		    "no target: nothing deployed to compare with");
	if (!d->verify_served)
		return doctor_add(r, "served-certificate", d->name, DOCTOR_SKIP,
		    "set server = HOST:PORT (and verify_served = yes) to have it checked",
		    "verify_served = no");
	if ((want = target_leaf(d, &err)) == NULL)
		return doctor_add(r, "served-certificate", d->name, DOCTOR_SKIP, NULL,
		    "nothing deployed to compare with: %s", err.msg);
	memset(&so, 0, sizeof(so));
	so.domain = d->name;
	so.specs = d->servers;
	so.nspecs = d->nservers;
	so.c2s = 1;
	so.resolver = o->cfg->resolver;
	so.timeout_ms = o->served_timeout_ms;
	so.deadline = deadline_in_ms(SERVED_FETCH_MS);
	if (served_fetch_as_user(&so, o->cfg->probe_user, &res, &err) != 0) {
		rc = err.code == S2S_ENOMEM ? S2S_ENOMEM :
		    doctor_add(r, "served-certificate", d->name, DOCTOR_WARN, NULL,
		    "could not connect to the server: %s", err.msg);
	} else if (served_compare(res, want, &same, &differ) == SERVED_CMP_NONE) {
		rc = report_unreached(d, res, r);
	} else if (differ > 0) {
		rc = report_differs(o, d, res, want, r);
	} else {
		rc = doctor_add(r, "served-certificate", d->name, DOCTOR_OK, NULL,
		    "%zu endpoint(s) present the certificate in %s", same,
		    d->pem_path != NULL ? d->pem_path : d->cert_path);
	}
	served_results_free(res);
	X509_free(want);
	return rc;
}
