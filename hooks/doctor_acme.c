/*
 * doctor_acme.c: acme-hook. Find the ACME client that renews the domain's
 * certificate (certbot, acme.sh, dehydrated; lego keeps its hook on the
 * command line) and check that it calls s2sguard-hook, and that no other
 * hook of it copies into the server's certificate files or reloads the
 * server behind s2sguard's back (reference/acme-clients.md).
 */
#include <ctype.h>
#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ini.h>
#include <openssl/evp.h>
#include <openssl/x509v3.h>

#include "cert.h"
#include "doctor_int.h"
#include "mem.h"

#define TEXT_MAX	(256 * 1024)
#define HOOK_NAME	"s2sguard-hook"

/* What the client's hooks say; a hook that is not ours but touches the server. */
struct hooks_seen {
	char	ours[PATH_MAX + 32];	/* where s2sguard-hook is called, or "" */
	char	other[PATH_MAX + 64];	/* another hook that copies or reloads, or "" */
};

/* ---- what a hook does --------------------------------------------------- */

static int
mentions(const char *text, const char *what)
{
	return what != NULL && *what != '\0' && strstr(text, what) != NULL;
}

/* Does a hook's text copy into the domain's target or reload the server? */
static const char *
touches_server(const char *text, const struct cfg_domain *d, int deploy)
{
	static const char *const copiers[] = { "cert import", "/etc/prosody/certs",
	    "/etc/ejabberd/", "/etc/metronome/certs" };
	static const char *const reloaders[] = { "reload prosody", "restart prosody",
	    "prosodyctl reload", "ejabberdctl reload", "reload ejabberd", "restart ejabberd",
	    "reload metronome", "restart metronome", "metronomectl" };
	char dir[PATH_MAX];
	const char *slash;
	size_t i;

	if (mentions(text, d->cert_path) || mentions(text, d->key_path) || mentions(text, d->pem_path))
		return "copies into the server's certificate files";
	if (d->cert_path != NULL && (slash = strrchr(d->cert_path, '/')) != NULL &&
	    slash != d->cert_path) {
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - d->cert_path), d->cert_path);
		if (mentions(text, dir))
			return "copies into the server's certificate directory";
	}
	for (i = 0; i < sizeof(copiers) / sizeof(copiers[0]); i++)
		if (mentions(text, copiers[i]))
			return "copies into the server's certificate files";
	if (!deploy)
		return NULL;
	if (mentions(text, d->reload))
		return "runs the server's reload command";
	for (i = 0; i < sizeof(reloaders) / sizeof(reloaders[0]); i++)
		if (mentions(text, reloaders[i]))
			return "reloads the XMPP server";
	return NULL;
}

/* Look at one hook (a command line, or a file's text); what names it. */
static void
judge_hook(const char *text, const char *what, const struct cfg_domain *d, int deploy,
    struct hooks_seen *h)
{
	const char *does;

	if (strstr(text, HOOK_NAME) != NULL) {
		if (h->ours[0] == '\0')
			snprintf(h->ours, sizeof(h->ours), "%s", what);
		return;
	}
	if (h->other[0] == '\0' && (does = touches_server(text, d, deploy)) != NULL)
		snprintf(h->other, sizeof(h->other), "%s %s", what, does);
}

/* An executable in a hook directory: a link to s2sguard-hook, or a script. */
static void
judge_hook_file(const char *path, const char *shown, const struct cfg_domain *d, int deploy,
    struct hooks_seen *h)
{
	char target[PATH_MAX], *text = NULL;
	struct s2s_err err;
	struct stat st;
	ssize_t n;

	if (lstat(path, &st) != 0)
		return;
	if (S_ISLNK(st.st_mode) && (n = readlink(path, target, sizeof(target) - 1)) > 0) {
		target[n] = '\0';
		judge_hook(target, shown, d, deploy, h);
		return;
	}
	if (!S_ISREG(st.st_mode) || (st.st_mode & 0111) == 0)
		return;		/* certbot runs executables only */
	if (doctor_read_text(path, TEXT_MAX, &text, &err) == 0)
		judge_hook(text, shown, d, deploy, h);
	mem_free(text);
}

/* Every hook in ROOT/DIR (certbot skips names ending in "~"). */
static void
judge_hook_dir(const struct doctor_opts *o, const char *dir, const struct cfg_domain *d,
    int deploy, struct hooks_seen *h)
{
	char path[PATH_MAX], file[PATH_MAX], shown[PATH_MAX];
	struct dirent *de;
	DIR *dp;

	if (doctor_path(o, dir, path, sizeof(path)) != 0 || (dp = opendir(path)) == NULL)
		return;
	while ((de = readdir(dp)) != NULL) {
		size_t l = strlen(de->d_name);

		if (de->d_name[0] == '.' || de->d_name[l - 1] == '~' ||
		    snprintf(file, sizeof(file), "%s/%s", path, de->d_name) >= (int)sizeof(file))
			continue;
		snprintf(shown, sizeof(shown), "%s/%s", dir, de->d_name);
		judge_hook_file(file, shown, d, deploy, h);
	}
	closedir(dp);
}

/* ---- certbot ----------------------------------------------------------- */

#define CERTBOT_DIR	"/etc/letsencrypt"

struct certbot_conf {
	char	renew_hook[2048];	/* [renewalparams] renew_hook (= --deploy-hook) */
	char	post_hook[2048];
};

static int
certbot_pair(void *user, const char *section, const char *name, const char *value)
{
	struct certbot_conf *c = user;

	if (strcmp(section, "renewalparams") != 0)
		return 1;
	if (strcmp(name, "renew_hook") == 0 || strcmp(name, "deploy_hook") == 0)
		snprintf(c->renew_hook, sizeof(c->renew_hook), "%s", value);
	else if (strcmp(name, "post_hook") == 0)
		snprintf(c->post_hook, sizeof(c->post_hook), "%s", value);
	return 1;
}

/* Does the lineage's certificate name the domain (or one of its match names)? */
static int
lineage_covers(const char *cert_path, const struct cfg_domain *d)
{
	struct cert_chain *chain = NULL;
	struct s2s_err err;
	X509 *leaf;
	size_t i;
	int yes = 0;

	if (cert_chain_load(cert_path, &chain, &err) != 0)
		return 0;
	leaf = cert_chain_get(chain, 0);
	yes = X509_check_host(leaf, d->name, 0, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS, NULL) == 1;
	for (i = 0; i < d->match.n && !yes; i++)
		yes = X509_check_host(leaf, d->match.v[i], 0, 0, NULL) == 1;
	cert_chain_free(chain);
	return yes;
}

/* The lineage (renewal/NAME.conf) that renews d, into name; 0 when none. */
static int
certbot_lineage(const struct doctor_opts *o, const struct cfg_domain *d, char *name, size_t sz)
{
	char dir[PATH_MAX], cert[PATH_MAX];
	struct dirent **names = NULL;
	int n, k, found = 0;

	if (doctor_path(o, CERTBOT_DIR "/renewal", dir, sizeof(dir)) != 0 ||
	    (n = scandir(dir, &names, NULL, alphasort)) < 0)
		return 0;
	for (k = 0; k < n; k++) {
		const char *f = names[k]->d_name;
		size_t l = strlen(f);

		if (!found && l > 5 && strcmp(f + l - 5, ".conf") == 0 &&
		    doctor_path(o, CERTBOT_DIR "/live/", cert, sizeof(cert)) == 0 &&
		    strlen(cert) + l + 16 < sizeof(cert)) {
			snprintf(cert + strlen(cert), sizeof(cert) - strlen(cert), "%.*s/cert.pem",
			    (int)(l - 5), f);
			if (strncasecmp(f, d->name, l - 5) == 0 && strlen(d->name) == l - 5)
				found = 1;
			else
				found = lineage_covers(cert, d);
			if (found)
				snprintf(name, sz, "%.*s", (int)(l - 5), f);
		}
		free(names[k]);
	}
	free(names);
	return found;
}

static int
check_certbot(const struct doctor_opts *o, const struct cfg_domain *d, struct doctor_results *r,
    int *handled)
{
	struct certbot_conf cc;
	struct hooks_seen h;
	struct s2s_err err;
	char lineage[256], conf[PATH_MAX], shown[PATH_MAX], fix[DOCTOR_TEXT_MAX];
	char *text = NULL;

	if (!certbot_lineage(o, d, lineage, sizeof(lineage)))
		return 0;
	*handled = 1;
	memset(&cc, 0, sizeof(cc));
	memset(&h, 0, sizeof(h));
	snprintf(shown, sizeof(shown), CERTBOT_DIR "/renewal/%s.conf", lineage);
	if (doctor_path(o, shown, conf, sizeof(conf)) == 0 &&
	    doctor_read_text(conf, TEXT_MAX, &text, &err) == 0)
		ini_parse_string(text, certbot_pair, &cc);
	mem_free(text);
	judge_hook_dir(o, CERTBOT_DIR "/renewal-hooks/deploy", d, 1, &h);
	if (cc.renew_hook[0] != '\0')
		judge_hook(cc.renew_hook, "renew_hook in renewal/NAME.conf", d, 1, &h);
	judge_hook_dir(o, CERTBOT_DIR "/renewal-hooks/post", d, 0, &h);
	if (cc.post_hook[0] != '\0')
		judge_hook(cc.post_hook, "post_hook in renewal/NAME.conf", d, 0, &h);
	if (h.ours[0] == '\0') {
		snprintf(fix, sizeof(fix), "%s/enable-certbot-hook (links "
		    CERTBOT_DIR "/renewal-hooks/deploy/00-s2sguard to s2sguard-hook)", S2S_DATADIR);
		return doctor_add(r, "acme-hook", d->name, DOCTOR_FAIL, fix, "certbot renews it "
		    "(lineage %s), but neither renewal-hooks/deploy/ nor renew_hook in %s calls "
		    "s2sguard-hook: renewals are not guarded", lineage, shown);
	}
	if (h.other[0] != '\0')
		return doctor_add(r, "acme-hook", d->name, DOCTOR_WARN,
		    "remove that hook: s2sguard deploys and reloads", "certbot (lineage %s) calls "
		    "s2sguard-hook from %s, but %s: the server can get a certificate s2sguard held",
		    lineage, h.ours, h.other);
	return doctor_add(r, "acme-hook", d->name, DOCTOR_OK, NULL,
	    "certbot (lineage %s) calls s2sguard-hook from %s", lineage, h.ours);
}

/* ---- acme.sh ----------------------------------------------------------- */

/* Value of KEY='...' in an acme.sh domain conf, base64 wrapping undone. */
static int
acmesh_value(const char *text, const char *key, char *buf, size_t sz)
{
	static const char pre[] = "__ACME_BASE64__START_", post[] = "__ACME_BASE64__END_";
	const char *p = text, *v, *e;
	size_t kl = strlen(key), n;
	int len;

	buf[0] = '\0';
	for (; p != NULL && *p != '\0'; p = strchr(p, '\n'), p = p != NULL ? p + 1 : NULL) {
		if (strncmp(p, key, kl) != 0 || p[kl] != '=')
			continue;
		v = p + kl + 1;
		n = strcspn(v, "\n");
		if (n >= 2 && (*v == '\'' || *v == '"') && v[n - 1] == *v) {
			v++;
			n -= 2;
		}
		if (n > strlen(pre) + strlen(post) && strncmp(v, pre, strlen(pre)) == 0 &&
		    (e = strstr(v, post)) != NULL && e < v + n) {
			unsigned char out[4096];
			size_t bl = (size_t)(e - v) - strlen(pre);

			if (bl > 4 * (sizeof(out) / 3) ||
			    (len = EVP_DecodeBlock(out, (const unsigned char *)v + strlen(pre), (int)bl)) < 0)
				return -1;
			while (len > 0 && out[len - 1] == '\0')
				len--;	/* padding decodes to NULs */
			snprintf(buf, sz, "%.*s", len, (const char *)out);
		} else {
			snprintf(buf, sz, "%.*s", (int)n, v);
		}
		return 1;
	}
	return 0;
}

static int
check_acmesh(const struct doctor_opts *o, const struct cfg_domain *d, struct doctor_results *r,
    int *handled)
{
	static const char *const homes[] = { "/root/.acme.sh", "/etc/acme.sh" };
	static const char *const suffixes[] = { "_ecc", "" };
	static const char *const paths[] = { "Le_RealCertPath", "Le_RealKeyPath",
	    "Le_RealFullChainPath" };
	char shown[PATH_MAX], path[PATH_MAX], reload[2048], val[PATH_MAX];
	struct s2s_err err;
	char *text = NULL;
	size_t i, j;

	for (i = 0; i < 2 && text == NULL; i++)
		for (j = 0; j < 2 && text == NULL; j++) {
			snprintf(shown, sizeof(shown), "%s/%s%s/%s.conf", homes[i], d->name,
			    suffixes[j], d->name);
			if (doctor_path(o, shown, path, sizeof(path)) != 0 ||
			    doctor_read_text(path, TEXT_MAX, &text, &err) != 0)
				text = NULL;
		}
	if (text == NULL)
		return 0;
	*handled = 1;
	if (acmesh_value(text, "Le_ReloadCmd", reload, sizeof(reload)) < 0)
		snprintf(reload, sizeof(reload), "(undecodable)");
	for (i = 0; i < sizeof(paths) / sizeof(paths[0]) && strstr(reload, HOOK_NAME) != NULL; i++)
		if (acmesh_value(text, paths[i], val, sizeof(val)) > 0 && val[0] != '\0' &&
		    touches_server(val, d, 0) != NULL) {
			mem_free(text);
			return doctor_add(r, "acme-hook", d->name, DOCTOR_WARN, "install without "
			    "--cert-file/--key-file/--fullchain-file and let s2sguard deploy",
			    "acme.sh (%s) reloads through s2sguard-hook, but also copies into the "
			    "server's files (%s=%s): a hold must restore them", shown, paths[i], val);
		}
	mem_free(text);
	if (strstr(reload, HOOK_NAME) == NULL)
		return doctor_add(r, "acme-hook", d->name, DOCTOR_FAIL, "acme.sh --install-cert -d "
		    "DOMAIN --reloadcmd \"s2sguard-hook -- YOUR RELOAD\"", "acme.sh renews it (%s), "
		    "but its reload command is %s%s%s: renewals are not guarded", shown,
		    reload[0] != '\0' ? "'" : "empty", reload, reload[0] != '\0' ? "'" : "");
	return doctor_add(r, "acme-hook", d->name, DOCTOR_OK, NULL,
	    "acme.sh (%s) reloads through s2sguard-hook", shown);
}

/* ---- dehydrated -------------------------------------------------------- */

/* NAME=value (or "export NAME=value") from a dehydrated config (shell). */
static void
shell_assign(const char *text, const char *name, char *buf, size_t sz)
{
	const char *p = text, *v;
	size_t nl = strlen(name), n;

	for (; p != NULL && *p != '\0'; p = strchr(p, '\n'), p = p != NULL ? p + 1 : NULL) {
		p += strspn(p, " \t");
		if (strncmp(p, "export ", 7) == 0)
			p += 7;
		if (strncmp(p, name, nl) != 0 || p[nl] != '=')
			continue;
		v = p + nl + 1;
		n = strcspn(v, "\n#");
		while (n > 0 && isspace((unsigned char)v[n - 1]))
			n--;
		if (n >= 2 && (*v == '"' || *v == '\'') && v[n - 1] == *v) {
			v++;
			n -= 2;
		}
		snprintf(buf, sz, "%.*s", (int)n, v);	/* the last assignment wins */
	}
}

static int
check_dehydrated(const struct doctor_opts *o, const struct cfg_domain *d,
    struct doctor_results *r, int *handled)
{
	static const char *const files[] = { "/etc/dehydrated/config" };
	char path[PATH_MAX], dir[PATH_MAX], hook[PATH_MAX] = "", base[PATH_MAX] = "/var/lib/dehydrated";
	char certdir[PATH_MAX] = "", shown[PATH_MAX];
	struct dirent **names = NULL;
	struct s2s_err err;
	struct stat st;
	struct hooks_seen h;
	char *text = NULL;
	int n, k;

	if (doctor_path(o, files[0], path, sizeof(path)) != 0 ||
	    doctor_read_text(path, TEXT_MAX, &text, &err) != 0)
		return 0;
	shell_assign(text, "HOOK", hook, sizeof(hook));
	shell_assign(text, "BASEDIR", base, sizeof(base));
	shell_assign(text, "CERTDIR", certdir, sizeof(certdir));
	mem_free(text);
	if (doctor_path(o, "/etc/dehydrated/conf.d", dir, sizeof(dir)) == 0 &&
	    (n = scandir(dir, &names, NULL, alphasort)) >= 0) {
		for (k = 0; k < n; k++) {
			size_t l = strlen(names[k]->d_name);

			if (l > 3 && strcmp(names[k]->d_name + l - 3, ".sh") == 0 &&
			    snprintf(path, sizeof(path), "%s/%s", dir, names[k]->d_name) < (int)sizeof(path) &&
			    doctor_read_text(path, TEXT_MAX, &text, &err) == 0) {
				shell_assign(text, "HOOK", hook, sizeof(hook));
				shell_assign(text, "BASEDIR", base, sizeof(base));
				shell_assign(text, "CERTDIR", certdir, sizeof(certdir));
				mem_free(text);
			}
			free(names[k]);
		}
		free(names);
	}
	if (certdir[0] == '\0' || strncmp(certdir, "${BASEDIR}", 10) == 0 ||
	    strncmp(certdir, "$BASEDIR", 8) == 0)
		snprintf(certdir, sizeof(certdir), "%s/certs", base);
	snprintf(shown, sizeof(shown), "%s/%s", certdir, d->name);
	if ((doctor_path(o, shown, path, sizeof(path)) != 0 || stat(path, &st) != 0) &&
	    stat(shown, &st) != 0)
		return 0;
	*handled = 1;
	memset(&h, 0, sizeof(h));
	if (hook[0] != '\0') {
		judge_hook(hook, "HOOK", d, 1, &h);
		/* the hook script under the root, else as named */
		if (h.ours[0] == '\0' && doctor_path(o, hook, path, sizeof(path)) == 0 &&
		    stat(path, &st) != 0)
			snprintf(path, sizeof(path), "%s", hook);
		if (h.ours[0] == '\0')
			judge_hook_file(path, hook, d, 1, &h);
	}
	if (h.ours[0] == '\0')
		return doctor_add(r, "acme-hook", d->name, DOCTOR_FAIL, "set HOOK=/usr/bin/s2sguard-hook "
		    "in /etc/dehydrated/conf.d/s2sguard.sh (or call it from your hook's deploy_cert)",
		    "dehydrated renews it (%s), but HOOK%s%s does not call s2sguard-hook: renewals "
		    "are not guarded", shown, hook[0] != '\0' ? "=" : " is not set and", hook);
	if (h.other[0] != '\0')
		return doctor_add(r, "acme-hook", d->name, DOCTOR_WARN,
		    "let s2sguard deploy and reload alone", "dehydrated's %s calls s2sguard-hook, "
		    "but %s", h.ours, h.other);
	return doctor_add(r, "acme-hook", d->name, DOCTOR_OK, NULL,
	    "dehydrated (%s) calls s2sguard-hook through HOOK=%s", shown, hook);
}

int
doctor_check_acme_hook(const struct doctor_opts *o, const struct cfg_domain *d,
    struct doctor_results *r)
{
	int handled = 0, rc;

	if ((rc = check_certbot(o, d, r, &handled)) != 0 || handled ||
	    (rc = check_acmesh(o, d, r, &handled)) != 0 || handled ||
	    (rc = check_dehydrated(o, d, r, &handled)) != 0 || handled)
		return rc;
	return doctor_add(r, "acme-hook", d->name, DOCTOR_SKIP,
	    "lego and uacme keep their hook on the command line: make sure it runs s2sguard-hook",
	    "no certbot lineage (" CERTBOT_DIR "), acme.sh domain (/root/.acme.sh) or dehydrated "
	    "certificate (/etc/dehydrated) renews it");
}
