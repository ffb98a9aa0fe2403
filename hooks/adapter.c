/*
 * adapter.c: one function per ACME client, each reading only that client's
 * documented variables or arguments (reference/acme-clients.md).
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "adapter.h"
#include "guard.h"

static const char *
env_get(char *const *envp, const char *name)
{
	size_t n = strlen(name);

	for (; envp != NULL && *envp != NULL; envp++)
		if (strncmp(*envp, name, n) == 0 && (*envp)[n] == '=')
			return *envp + n + 1;
	return NULL;
}

static const char *
env_nonempty(char *const *envp, const char *name)
{
	const char *v = env_get(envp, name);

	return v != NULL && v[0] != '\0' ? v : NULL;
}

const char *
adapter_client_name(enum acme_client c)
{
	switch (c) {
	case CLIENT_CERTBOT: return "certbot";
	case CLIENT_ACMESH: return "acme.sh";
	case CLIENT_DEHYDRATED: return "dehydrated";
	case CLIENT_LEGO4: return "lego";
	case CLIENT_LEGO5: return "lego5";
	case CLIENT_FILES: return "files";
	case CLIENT_UNKNOWN: break;
	}
	return "unknown";
}

int
adapter_client_folds_exit(enum acme_client c)
{
	return c == CLIENT_ACMESH || c == CLIENT_DEHYDRATED || c == CLIENT_LEGO4 ||
	    c == CLIENT_LEGO5;
}

int
adapter_exit_status(enum acme_client c, enum exit_codes_style style, int detailed)
{
	if (style == EXIT_CODES_DETAILED || !adapter_client_folds_exit(c))
		return detailed;
	switch (detailed) {
	case GUARD_DEPLOYED: case GUARD_WARNED: case GUARD_HELD: case GUARD_NOTHING:
	case GUARD_QUEUED:
		return 0;
	default:
		return detailed;
	}
}

enum acme_client
adapter_client_from_name(const char *name)
{
	static const enum acme_client all[] = { CLIENT_CERTBOT, CLIENT_ACMESH,
	    CLIENT_DEHYDRATED, CLIENT_LEGO4, CLIENT_LEGO5, CLIENT_FILES };
	size_t i;

	for (i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		if (strcmp(name, adapter_client_name(all[i])) == 0)
			return all[i];
	if (strcmp(name, "acmesh") == 0 || strcmp(name, "lego4") == 0)
		return name[0] == 'a' ? CLIENT_ACMESH : CLIENT_LEGO4;
	return CLIENT_UNKNOWN;
}

void
renewal_clear(struct renewal *r)
{
	strlist_clear(&r->domains);
	memset(r, 0, sizeof(*r));
}

static int
copy(char *dst, size_t sz, const char *src, const char *what, struct s2s_err *err)
{
	if (src == NULL)
		return err_set(err, S2S_EINVAL, "%s is not set", what);
	if (snprintf(dst, sz, "%s", src) >= (int)sz)
		return err_set(err, S2S_EINVAL, "%s: too long", what);
	return 0;
}

static int
set_domain(struct renewal *r, const char *primary, const char *all, struct s2s_err *err)
{
	int rc;

	if (primary == NULL || primary[0] == '\0')
		return err_set(err, S2S_EINVAL, "%s: no domain given", adapter_client_name(r->client));
	if ((rc = copy(r->domain, sizeof(r->domain), primary, "domain", err)) != 0)
		return rc;
	if (strlist_add_words(&r->domains, primary) != 0 ||
	    (all != NULL && strlist_add_words(&r->domains, all) != 0))
		return err_set(err, S2S_ENOMEM, "out of memory");
	return 0;
}

/* certbot: resolve live/ links once, then work on the archive files. */
static int
resolve_link(const char *dir, const char *name, char *out, struct s2s_err *err)
{
	char path[PATH_MAX + 64];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (realpath(path, out) == NULL)
		return err_set(err, S2S_EIO, "%s: %s", path, strerror(errno));
	return 0;
}

/*
 * The version before the current one in certbot's archive: for
 * .../archive/NAME/fullchainN.pem, fullchainM.pem with the largest M < N.
 */
static void
certbot_previous(struct renewal *r)
{
	char dir[PATH_MAX], path[PATH_MAX + 64];
	const char *slash = strrchr(r->cert_path, '/');
	long cur, best = -1, v;
	struct dirent *de;
	char *end;
	DIR *d;

	if (slash == NULL || sscanf(slash + 1, "fullchain%ld.pem", &cur) != 1)
		return;
	snprintf(dir, sizeof(dir), "%.*s", (int)(slash - r->cert_path), r->cert_path);
	if ((d = opendir(dir)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (strncmp(de->d_name, "fullchain", 9) != 0)
			continue;
		v = strtol(de->d_name + 9, &end, 10);
		if (strcmp(end, ".pem") == 0 && v < cur && v > best)
			best = v;
	}
	closedir(d);
	if (best < 0)
		return;
	snprintf(path, sizeof(path), "%s/fullchain%ld.pem", dir, best);
	if (access(path, R_OK) != 0)
		return;
	snprintf(r->prev_cert_path, sizeof(r->prev_cert_path), "%s", path);
	snprintf(path, sizeof(path), "%s/privkey%ld.pem", dir, best);
	if (realpath(path, r->prev_key_path) == NULL)	/* --reuse-key: a link */
		r->prev_cert_path[0] = r->prev_key_path[0] = '\0';
}

static int
from_certbot(char *const *envp, struct renewal *r, struct s2s_err *err)
{
	const char *lineage = env_nonempty(envp, "RENEWED_LINEAGE");
	const char *domains = env_get(envp, "RENEWED_DOMAINS");
	const char *base;
	char first[256] = "";
	int rc;

	if (lineage == NULL)
		return err_set(err, S2S_EINVAL, "certbot: RENEWED_LINEAGE is not set");
	if ((rc = resolve_link(lineage, "fullchain.pem", r->cert_path, err)) != 0 ||
	    (rc = resolve_link(lineage, "privkey.pem", r->key_path, err)) != 0)
		return rc;
	if (domains != NULL)
		sscanf(domains, "%255s", first);
	if (first[0] == '\0') {
		base = strrchr(lineage, '/');
		snprintf(first, sizeof(first), "%s", base != NULL ? base + 1 : lineage);
	}
	if ((rc = set_domain(r, first, domains, err)) != 0)
		return rc;
	certbot_previous(r);
	return 0;
}

static int
from_acmesh(char *const *envp, const struct adapter_args *a, struct renewal *r,
    struct s2s_err *err)
{
	const char *full = env_nonempty(envp, "CERT_FULLCHAIN_PATH");
	int rc;

	if (full != NULL)
		rc = copy(r->cert_path, sizeof(r->cert_path), full, "CERT_FULLCHAIN_PATH", err);
	else {
		rc = copy(r->cert_path, sizeof(r->cert_path), env_nonempty(envp, "CERT_PATH"),
		    "CERT_PATH", err);
		if (rc == 0 && env_nonempty(envp, "CA_CERT_PATH") != NULL)
			rc = copy(r->chain_path, sizeof(r->chain_path),
			    env_nonempty(envp, "CA_CERT_PATH"), "CA_CERT_PATH", err);
	}
	if (rc == 0)
		rc = copy(r->key_path, sizeof(r->key_path), env_nonempty(envp, "CERT_KEY_PATH"),
		    "CERT_KEY_PATH", err);
	if (rc == 0)
		rc = set_domain(r, env_nonempty(envp, "Le_Domain"), NULL, err);
	if (rc == 0 && a->after_dashdash && a->npositional > 0)
		r->wrapped = a->positional;
	return rc;
}

static int
from_dehydrated(const struct adapter_args *a, struct renewal *r, struct s2s_err *err)
{
	char *const *v = a->positional;
	int rc;

	if (a->npositional < 1 || strcmp(v[0], "deploy_cert") != 0) {
		r->ignore = 1;	/* every other verb: exit 0, print nothing */
		return 0;
	}
	if (a->npositional < 6)
		return err_set(err, S2S_EINVAL,
		    "dehydrated: deploy_cert wants DOMAIN KEY CERT FULLCHAIN CHAIN [TIMESTAMP]");
	if ((rc = copy(r->key_path, sizeof(r->key_path), v[2], "KEYFILE", err)) != 0 ||
	    (rc = copy(r->cert_path, sizeof(r->cert_path), v[4], "FULLCHAINFILE", err)) != 0)
		return rc;
	return set_domain(r, v[1], NULL, err);
}

static int
from_lego(char *const *envp, struct renewal *r, struct s2s_err *err)
{
	const char *p = r->client == CLIENT_LEGO5 ? "LEGO_HOOK_" : "LEGO_";
	char name[64], dom[64];
	const char *issuer, *domain, *all = NULL;
	int rc;

	snprintf(name, sizeof(name), "%sCERT_PATH", p);
	if ((rc = copy(r->cert_path, sizeof(r->cert_path), env_nonempty(envp, name), name, err)) != 0)
		return rc;
	snprintf(name, sizeof(name), "%sCERT_KEY_PATH", p);
	if ((rc = copy(r->key_path, sizeof(r->key_path), env_nonempty(envp, name), name, err)) != 0)
		return rc;
	/* used only when the certificate file holds the leaf alone (--no-bundle) */
	snprintf(name, sizeof(name), "%sISSUER_CERT_PATH", p);
	issuer = env_nonempty(envp, name);
	if (issuer != NULL && access(issuer, R_OK) == 0)
		snprintf(r->chain_path, sizeof(r->chain_path), "%s", issuer);
	if (r->client == CLIENT_LEGO5) {
		all = env_nonempty(envp, "LEGO_HOOK_CERT_DOMAINS");
		domain = env_nonempty(envp, "LEGO_HOOK_CERT_NAME");
		if (all != NULL && domain == NULL) {
			snprintf(dom, sizeof(dom), "%.*s", (int)strcspn(all, ","), all);
			domain = dom;
		}
	} else
		domain = env_nonempty(envp, "LEGO_CERT_DOMAIN");
	return set_domain(r, domain, all, err);
}

static int
from_files(const struct adapter_args *a, struct renewal *r, struct s2s_err *err)
{
	int rc;

	if (a->cert == NULL || a->key == NULL || a->domain == NULL)
		return err_set(err, S2S_EINVAL, "--from files needs --cert, --key and --domain");
	if ((rc = copy(r->cert_path, sizeof(r->cert_path), a->cert, "--cert", err)) != 0 ||
	    (rc = copy(r->key_path, sizeof(r->key_path), a->key, "--key", err)) != 0)
		return rc;
	if (a->chain != NULL &&
	    (rc = copy(r->chain_path, sizeof(r->chain_path), a->chain, "--chain", err)) != 0)
		return rc;
	return set_domain(r, a->domain, NULL, err);
}

static enum acme_client
detect(const struct adapter_args *a, char *const *envp)
{
	if (a->cert != NULL)
		return CLIENT_FILES;
	if (!a->after_dashdash && a->npositional > 0)
		return CLIENT_DEHYDRATED;
	if (env_nonempty(envp, "RENEWED_LINEAGE") != NULL)
		return CLIENT_CERTBOT;
	if (env_nonempty(envp, "LEGO_HOOK_CERT_PATH") != NULL)
		return CLIENT_LEGO5;
	if (env_nonempty(envp, "LEGO_CERT_PATH") != NULL)
		return CLIENT_LEGO4;
	if (env_nonempty(envp, "Le_Domain") != NULL &&
	    (env_nonempty(envp, "CERT_PATH") != NULL || env_nonempty(envp, "CERT_FULLCHAIN_PATH") != NULL))
		return CLIENT_ACMESH;
	return CLIENT_UNKNOWN;
}

int
adapter_detect(const struct adapter_args *a, char *const *envp, struct renewal *r,
    struct s2s_err *err)
{
	int rc;

	memset(r, 0, sizeof(*r));
	r->client = a->from != NULL ? adapter_client_from_name(a->from) : detect(a, envp);
	switch (r->client) {
	case CLIENT_CERTBOT: rc = from_certbot(envp, r, err); break;
	case CLIENT_ACMESH: rc = from_acmesh(envp, a, r, err); break;
	case CLIENT_DEHYDRATED: rc = from_dehydrated(a, r, err); break;
	case CLIENT_LEGO4:
	case CLIENT_LEGO5: rc = from_lego(envp, r, err); break;
	case CLIENT_FILES: rc = from_files(a, r, err); break;
	default:
		return err_set(err, S2S_EINVAL, a->from != NULL ?
		    "--from: want certbot, acme.sh, dehydrated, lego, lego5 or files" :
		    "cannot tell which ACME client called: no RENEWED_LINEAGE (certbot), "
		    "Le_Domain (acme.sh), LEGO_CERT_PATH (lego), deploy_cert (dehydrated) or --cert");
	}
	if (rc != 0)
		renewal_clear(r);
	/* a domain a different client passed must not become a path */
	else if (!r->ignore && !config_domain_name_ok(r->domain)) {
		rc = err_set(err, S2S_EINVAL, "'%s': not a usable domain name", r->domain);
		renewal_clear(r);
	}
	return rc;
}
