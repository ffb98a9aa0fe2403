/*
 * target.c: see target.h.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <openssl/x509v3.h>

#include "conf_kv.h"
#include "mem.h"
#include "target.h"

#define DEFAULT_CERTBOT_DIR	"/etc/letsencrypt"

static int set_path(char *buf, size_t bufsz, struct s2s_err *err, const char *fmt, ...)
	    __attribute__((format(printf, 4, 5)));

static int
set_path(char *buf, size_t bufsz, struct s2s_err *err, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, bufsz, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= bufsz)
		return err_set(err, S2S_ETOOBIG, "%.200s...: path too long", buf);
	return 0;
}

int
target_cert_names(X509 *x, char **names, size_t max, size_t *n)
{
	GENERAL_NAMES *gens = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
	int i;

	*n = 0;
	for (i = 0; gens != NULL && i < sk_GENERAL_NAME_num(gens) && *n < max; i++) {
		const GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);

		if (g->type != GEN_DNS)
			continue;
		names[*n] = mem_strndup((const char *)ASN1_STRING_get0_data(g->d.dNSName),
		    (size_t)ASN1_STRING_length(g->d.dNSName));
		if (names[*n] == NULL)
			break;
		(*n)++;
	}
	GENERAL_NAMES_free(gens);
	return *n > 0 ? 0 : -1;
}

static int
names_fill(const struct target_opts *o, struct target *t, struct s2s_err *err)
{
	size_t i;

	if (o->nnames > 0) {
		for (i = 0; i < o->nnames; i++)
			if ((t->names[i] = mem_strdup(o->names[i])) == NULL)
				return err_set(err, S2S_ENOMEM, "out of memory");
		t->nnames = o->nnames;
		return 0;
	}
	if (t->current == NULL)
		return err_set(err, S2S_EINVAL, "no names to order: give --domain or the current "
		    "certificate (--cert)");
	if (target_cert_names(cert_chain_get(t->current, 0), t->names, TARGET_MAX_NAMES,
	    &t->nnames) != 0)
		return err_set(err, S2S_EINVAL, "the current certificate has no DNS names; "
		    "give --domain");
	return 0;
}

static int
key_load(const char *path, struct target *t, struct s2s_err *err)
{
	int rc;

	if ((rc = cert_read_file(path, CERT_MAX_FILE_BYTES, &t->key_pem, &t->key_pem_len, err)) != 0)
		return rc;
	return cert_key_parse(t->key_pem, t->key_pem_len, path, &t->key, err);
}

static int
account_for(const struct target_opts *o, struct target *t, struct s2s_err *err)
{
	if (o->account_key != NULL)
		return account_load_key(o->account_key, &t->account, err);
	return err_set(err, S2S_EINVAL, "no ACME account: give --account-key (or use "
	    "--certbot-lineage/--acmesh-domain-dir to reuse the client's account)");
}

static int
server_set(struct target *t, const char *server, struct s2s_err *err)
{
	if (server == NULL || strncmp(server, "https://", 8) != 0)
		return err_set(err, S2S_EINVAL, "no https ACME directory URL (--server)");
	snprintf(t->server, sizeof(t->server), "%s", server);
	return 0;
}

static int
load_plain(const struct target_opts *o, struct target *t, struct s2s_err *err)
{
	int rc;

	if ((rc = server_set(t, o->server, err)) != 0)
		return rc;
	if (o->cert != NULL && (rc = cert_chain_load(o->cert, &t->current, err)) != 0)
		return rc;
	if (o->key != NULL && (rc = key_load(o->key, t, err)) != 0)
		return rc;
	return account_for(o, t, err);
}

/* certbot's --certbot-lineage: "NAME" or ".../live/NAME". */
static int
certbot_paths(const struct target_opts *o, struct target *t, struct s2s_err *err)
{
	const char *arg = o->certbot_lineage, *slash;
	char live[PATH_MAX];
	size_t n = strlen(arg);

	while (n > 1 && arg[n - 1] == '/')
		n--;
	if (snprintf(live, sizeof(live), "%.*s", (int)n, arg) >= (int)sizeof(live))
		return err_set(err, S2S_ETOOBIG, "%s: path too long", arg);
	if ((slash = strrchr(live, '/')) == NULL) {
		snprintf(t->name, sizeof(t->name), "%s", live);
		snprintf(t->config_dir, sizeof(t->config_dir), "%s",
		    o->certbot_config_dir ? o->certbot_config_dir : DEFAULT_CERTBOT_DIR);
	} else {
		snprintf(t->name, sizeof(t->name), "%s", slash + 1);
		if (o->certbot_config_dir != NULL)
			snprintf(t->config_dir, sizeof(t->config_dir), "%s", o->certbot_config_dir);
		else {
			/* .../CONFIG/live/NAME */
			char *p = mem_strndup(live, (size_t)(slash - live));
			char *q = p ? strrchr(p, '/') : NULL;

			if (p != NULL && strcmp(p, "live") == 0) {
				snprintf(t->config_dir, sizeof(t->config_dir), ".");
				mem_free(p);
				goto named;
			}
			if (q == NULL || strcmp(q, "/live") != 0) {
				mem_free(p);
				return err_set(err, S2S_EINVAL, "%s: not a certbot live/NAME directory",
				    arg);
			}
			*q = '\0';
			snprintf(t->config_dir, sizeof(t->config_dir), "%s", p[0] ? p : "/");
			mem_free(p);
		}
	}
named:
	if (t->name[0] == '\0' || t->name[0] == '.')
		return err_set(err, S2S_EINVAL, "%s: bad certbot lineage name", arg);
	return set_path(t->live_dir, sizeof(t->live_dir), err, "%s/live/%s", t->config_dir,
	    t->name);
}

static void
certbot_webroots(const struct conf_kv *kv, struct target *t)
{
	const char *wp = conf_kv_get(kv, "renewalparams", "webroot_path"), *sec, *key, *val;
	size_t i, n;

	if (wp != NULL) {
		n = strcspn(wp, ",");
		snprintf(t->webroot, sizeof(t->webroot), "%.*s", (int)n, wp);
	}
	for (i = 0; i < conf_kv_count(kv) && t->nmap < SOLVER_MAX_MAP; i++) {
		conf_kv_entry(kv, i, &sec, &key, &val);
		if (strcmp(sec, "webroot_map") != 0)
			continue;
		t->map_names[t->nmap] = mem_strdup(key);
		t->map_paths[t->nmap] = mem_strdup(val);
		if (t->map_names[t->nmap] == NULL || t->map_paths[t->nmap] == NULL)
			break;
		t->nmap++;
	}
}

static int
certbot_account(const struct target_opts *o, const struct conf_kv *kv, struct target *t,
    const char *conf, struct s2s_err *err)
{
	const char *server = conf_kv_get(kv, "renewalparams", "server");
	const char *id = conf_kv_get(kv, "renewalparams", "account");
	int rc;

	if (o->account_key != NULL)
		return server_set(t, o->server ? o->server : server, err) ||
		    account_load_key(o->account_key, &t->account, err) ? err->code : 0;
	if (server == NULL || id == NULL)
		return err_set(err, S2S_EPARSE, "%s: no server or account in [renewalparams]", conf);
	if (o->server != NULL && strcmp(o->server, server) != 0)
		return err_set(err, S2S_EINVAL, "--server %s differs from the lineage's CA %s: the "
		    "certbot account belongs to the latter; give --account-key for the new CA",
		    o->server, server);
	if ((rc = server_set(t, server, err)) != 0)
		return rc;
	return account_load_certbot(t->config_dir, server, id, &t->account, err);
}

static int
load_certbot(const struct target_opts *o, struct target *t, struct s2s_err *err)
{
	char conf[PATH_MAX], path[PATH_MAX];
	struct conf_kv *kv = NULL;
	const char *archive;
	int rc;

	if ((rc = certbot_paths(o, t, err)) != 0 ||
	    (rc = set_path(conf, sizeof(conf), err, "%s/renewal/%s.conf", t->config_dir,
	    t->name)) != 0 || (rc = conf_kv_load(conf, &kv, err)) != 0)
		return rc;
	archive = conf_kv_get(kv, "", "archive_dir");
	if (archive != NULL)
		snprintf(t->archive_dir, sizeof(t->archive_dir), "%s", archive);
	else if ((rc = set_path(t->archive_dir, sizeof(t->archive_dir), err, "%s/archive/%s",
	    t->config_dir, t->name)) != 0)
		goto out;
	certbot_webroots(kv, t);
	if ((rc = certbot_account(o, kv, t, conf, err)) != 0)
		goto out;
	if ((rc = set_path(path, sizeof(path), err, "%s/%s", t->live_dir, "cert.pem")) != 0 ||
	    (rc = cert_chain_load(path, &t->current, err)) != 0 ||
	    (rc = set_path(path, sizeof(path), err, "%s/%s", t->live_dir, "privkey.pem")) != 0 ||
	    (rc = key_load(path, t, err)) != 0)
		goto out;
out:
	conf_kv_free(kv);
	return rc;
}

static int
acmesh_account(const struct target_opts *o, struct target *t, struct s2s_err *err)
{
	char home[PATH_MAX], sp[512], cadir[PATH_MAX];
	const char *slash;
	int rc;

	if (o->account_key != NULL)
		return account_load_key(o->account_key, &t->account, err);
	if (o->acmesh_config_home != NULL)
		snprintf(home, sizeof(home), "%s", o->acmesh_config_home);
	else if ((slash = strrchr(t->domain_dir, '/')) != NULL)
		snprintf(home, sizeof(home), "%.*s", (int)(slash - t->domain_dir), t->domain_dir);
	else
		snprintf(home, sizeof(home), ".");
	if ((rc = account_acmesh_server_path(t->server, sp, sizeof(sp), err)) != 0 ||
	    (rc = set_path(cadir, sizeof(cadir), err, "%s/ca/%s", home, sp)) != 0)
		return rc;
	return account_load_acmesh(cadir, &t->account, err);
}

static int
load_acmesh(const struct target_opts *o, struct target *t, struct s2s_err *err)
{
	const char *dir = o->acmesh_domain_dir, *base, *v;
	char conf[PATH_MAX], path[PATH_MAX];
	struct conf_kv *kv = NULL;
	size_t n = strlen(dir);
	int rc;

	while (n > 1 && dir[n - 1] == '/')
		n--;
	snprintf(t->domain_dir, sizeof(t->domain_dir), "%.*s", (int)n, dir);
	base = strrchr(t->domain_dir, '/') ? strrchr(t->domain_dir, '/') + 1 : t->domain_dir;
	n = strlen(base);
	if (n > 4 && strcmp(base + n - 4, "_ecc") == 0)
		n -= 4;
	snprintf(t->domain, sizeof(t->domain), "%.*s", (int)n, base);
	if ((rc = set_path(conf, sizeof(conf), err, "%s/%s.conf", t->domain_dir, t->domain)) != 0 ||
	    (rc = conf_kv_load(conf, &kv, err)) != 0)
		return rc;
	v = conf_kv_get(kv, "", "Le_API");
	if ((rc = server_set(t, o->server ? o->server : v, err)) != 0) {
		err_prefix(err, "%s: Le_API", conf);
		goto out;
	}
	if ((v = conf_kv_get(kv, "", "Le_Webroot")) != NULL && v[0] == '/')
		snprintf(t->webroot, sizeof(t->webroot), "%.*s", (int)strcspn(v, ","), v);
	if (o->server != NULL && o->account_key == NULL &&
	    strcmp(o->server, conf_kv_get(kv, "", "Le_API") ?: "") != 0) {
		rc = err_set(err, S2S_EINVAL, "--server differs from the domain's Le_API: give "
		    "--account-key for the new CA");
		goto out;
	}
	if ((rc = acmesh_account(o, t, err)) != 0 ||
	    (rc = set_path(path, sizeof(path), err, "%s/%s.cer", t->domain_dir, t->domain)) != 0 ||
	    (rc = cert_chain_load(path, &t->current, err)) != 0 ||
	    (rc = set_path(path, sizeof(path), err, "%s/%s.key", t->domain_dir, t->domain)) != 0)
		goto out;
	rc = key_load(path, t, err);
out:
	conf_kv_free(kv);
	return rc;
}

int
target_load(const struct target_opts *o, struct target *t, struct s2s_err *err)
{
	int rc;

	memset(t, 0, sizeof(*t));
	if (o->certbot_lineage != NULL) {
		t->kind = TARGET_CERTBOT;
		rc = load_certbot(o, t, err);
	} else if (o->acmesh_domain_dir != NULL) {
		t->kind = TARGET_ACMESH;
		rc = load_acmesh(o, t, err);
	} else {
		t->kind = TARGET_PLAIN;
		rc = load_plain(o, t, err);
	}
	if (rc == 0)
		rc = names_fill(o, t, err);
	if (rc == 0 && o->webroot != NULL)
		snprintf(t->webroot, sizeof(t->webroot), "%s", o->webroot);
	return rc;
}

void
target_clear(struct target *t)
{
	size_t i;

	account_clear(&t->account);
	cert_chain_free(t->current);
	EVP_PKEY_free(t->key);
	if (t->key_pem != NULL)
		OPENSSL_cleanse(t->key_pem, t->key_pem_len);
	mem_free(t->key_pem);
	for (i = 0; i < t->nnames; i++)
		mem_free(t->names[i]);
	for (i = 0; i < t->nmap; i++) {
		mem_free(t->map_names[i]);
		mem_free(t->map_paths[i]);
	}
	memset(t, 0, sizeof(*t));
}
