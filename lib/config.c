/*
 * config.c: parse and validate s2sguard.conf with inih.
 *
 * inih calls handle_pair() once per "key = value" (and once more per
 * continuation line of a multi-line value). The first problem is kept in
 * the parse context and parsing stops; config_load() then frees whatever
 * was built, so a bad file changes nothing.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <ini.h>

#include "config.h"
#include "config_dane.h"
#include "fsat.h"
#include "mem.h"

struct parse_ctx {
	struct config	*cfg;
	const char	*what;
	char		 section[128];	/* last section seen by inih */
	char		 last_key[64];	/* for multi-line list values */
	int		 line;		/* current line (counted by the reader) */
	int		 section_line;	/* line of the last [section] header */
	int		 opened_line;	/* section_line of the section opened */
	int		 failed;
	struct s2s_err	*err;
	/* which scalar keys were set in the current section (duplicates) */
	struct strlist	 seen;
	const char	*text;		/* reader position */
};

int
strlist_add(struct strlist *l, const char *s)
{
	char **v, *copy;

	if ((copy = mem_strdup(s)) == NULL)
		return S2S_ENOMEM;
	v = mem_realloc(l->v, (l->n + 1) * sizeof(*v));
	if (v == NULL) {
		mem_free(copy);
		return S2S_ENOMEM;
	}
	l->v = v;
	l->v[l->n++] = copy;
	return 0;
}

int
strlist_add_words(struct strlist *l, const char *s)
{
	const char *p = s, *start;
	char *w;
	int rc;

	while (*p != '\0') {
		while (*p == ' ' || *p == '\t' || *p == ',' || *p == '\n')
			p++;
		if (*p == '\0')
			break;
		start = p;
		while (*p != '\0' && *p != ' ' && *p != '\t' && *p != ',' && *p != '\n')
			p++;
		if ((w = mem_strndup(start, (size_t)(p - start))) == NULL)
			return S2S_ENOMEM;
		rc = strlist_has(l, w) ? 0 : strlist_add(l, w);
		mem_free(w);
		if (rc != 0)
			return rc;
	}
	return 0;
}

int
strlist_has(const struct strlist *l, const char *s)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (strcasecmp(l->v[i], s) == 0)
			return 1;
	return 0;
}

void
strlist_clear(struct strlist *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		mem_free(l->v[i]);
	mem_free(l->v);
	l->v = NULL;
	l->n = 0;
}

int
config_domain_name_ok(const char *name)
{
	const char *p;

	if (name == NULL || name[0] == '\0' || name[0] == '.' || strlen(name) > 253)
		return 0;
	if (strstr(name, "..") != NULL)
		return 0;
	for (p = name; *p != '\0'; p++)
		if (!isalnum((unsigned char)*p) && *p != '.' && *p != '-' && *p != '_')
			return 0;
	return 1;
}

const char *
config_policy_name(enum policy_kind p)
{
	switch (p) {
	case POLICY_WARN: return "warn";
	case POLICY_HOLD: return "hold";
	case POLICY_REISSUE: return "reissue";
	}
	return "?";
}

const char *
config_target_name(enum target_kind t)
{
	switch (t) {
	case TARGET_NONE: return "none";
	case TARGET_PROSODY: return "prosody";
	case TARGET_EJABBERD: return "ejabberd";
	case TARGET_FILES: return "files";
	}
	return "?";
}

static int
set_str(char **dst, const char *v)
{
	char *copy;

	if ((copy = mem_strdup(v)) == NULL)
		return S2S_ENOMEM;
	mem_free(*dst);
	*dst = copy;
	return 0;
}

int
config_default_new(struct config **out, struct s2s_err *err)
{
	struct config *cfg;

	*out = NULL;
	if ((cfg = mem_calloc(1, sizeof(*cfg))) == NULL)
		return err_set(err, S2S_ENOMEM, "config: out of memory");
	cfg->deadline = 120;
	cfg->probe_timeout = 10;
	cfg->probe_interval = 86400;
	cfg->mail.starttls = 1;
	cfg->dane = -1;
	if (set_str(&cfg->state_dir, S2S_LOCALSTATEDIR "/lib/s2sguard") != 0 ||
	    set_str(&cfg->probe_user, "nobody") != 0 ||
	    set_str(&cfg->templates_dir, S2S_DATADIR "/templates") != 0 ||
	    set_str(&cfg->reissue_command, "s2sguard-reissue") != 0) {
		config_free(cfg);
		return err_set(err, S2S_ENOMEM, "config: out of memory");
	}
	*out = cfg;
	return 0;
}

int
config_server_parse(const char *word, struct cfg_server *out, struct s2s_err *err)
{
	char buf[CFG_SERVER_HOST_MAX + 16], *host = buf, *port, *suffix, *end;
	long p;

	memset(out, 0, sizeof(*out));
	if (snprintf(buf, sizeof(buf), "%s", word) >= (int)sizeof(buf))
		return err_set(err, S2S_EINVAL, "server '%s': too long", word);
	out->transport = SERVER_S2S_STARTTLS;
	if ((suffix = strchr(buf, '/')) != NULL) {
		*suffix++ = '\0';
		if (strcmp(suffix, "tls") == 0)
			out->transport = SERVER_S2S_DIRECT_TLS;
		else if (strcmp(suffix, "c2s") == 0)
			out->transport = SERVER_C2S_STARTTLS;
		else
			return err_set(err, S2S_EINVAL,
			    "server '%s': want HOST:PORT, HOST:PORT/tls or HOST:PORT/c2s", word);
	}
	if (*host == '[') {
		if ((end = strchr(++host, ']')) == NULL || end[1] != ':')
			return err_set(err, S2S_EINVAL, "server '%s': bad [IPv6]:PORT", word);
		*end = '\0';
		port = end + 2;
	} else {
		if ((port = strrchr(host, ':')) == NULL)
			return err_set(err, S2S_EINVAL, "server '%s': want HOST:PORT", word);
		*port++ = '\0';
	}
	errno = 0;
	p = strtol(port, &end, 10);
	if (*host == '\0' || *port == '\0' || *end != '\0' || errno != 0 || p < 1 || p > 65535)
		return err_set(err, S2S_EINVAL, "server '%s': want HOST:PORT with a port 1-65535",
		    word);
	snprintf(out->host, sizeof(out->host), "%s", host);
	out->port = (int)p;
	return 0;
}

static void
domain_free(struct cfg_domain *d)
{
	mem_free(d->name);
	strlist_clear(&d->match);
	mem_free(d->cert_path);
	mem_free(d->key_path);
	mem_free(d->pem_path);
	mem_free(d->owner);
	mem_free(d->group);
	mem_free(d->reload);
	strlist_clear(&d->peers);
	mem_free(d->peers_file);
	mem_free(d->peers_command);
	strlist_clear(&d->critical_peers);
	strlist_clear(&d->connect);
	mem_free(d->reissue_command);
	mem_free(d->reissue_directory);
	mem_free(d->reissue_profile);
	mem_free(d->reissue_account_key);
	mem_free(d->reissue_email);
	mem_free(d->reissue_ca_bundle);
	mem_free(d->reissue_eab_kid);
	mem_free(d->reissue_eab_hmac_key_file);
	strlist_clear(&d->reissue_args);
	mem_free(d->dane_resolver);
	mem_free(d->dane_trust_anchor);
	mem_free(d->servers);
}

void
config_free(struct config *cfg)
{
	size_t i;

	if (cfg == NULL)
		return;
	mem_free(cfg->path);
	mem_free(cfg->state_dir);
	mem_free(cfg->probe_user);
	mem_free(cfg->templates_dir);
	mem_free(cfg->metrics_path);
	mem_free(cfg->reissue_command);
	mem_free(cfg->ca_file);
	mem_free(cfg->resolver);
	mem_free(cfg->dane_resolver);
	mem_free(cfg->dane_trust_anchor);
	strlist_clear(&cfg->mail.to);
	mem_free(cfg->mail.from);
	mem_free(cfg->mail.smtp_url);
	mem_free(cfg->mail.user);
	mem_free(cfg->mail.password);
	mem_free(cfg->mail.sendmail);
	mem_free(cfg->mail.ca_bundle);
	mem_free(cfg->mail.template);
	for (i = 0; i < cfg->nwebhooks; i++) {
		mem_free(cfg->webhooks[i].name);
		mem_free(cfg->webhooks[i].url);
		mem_free(cfg->webhooks[i].token);
		mem_free(cfg->webhooks[i].template);
		mem_free(cfg->webhooks[i].ca_bundle);
	}
	mem_free(cfg->webhooks);
	for (i = 0; i < cfg->ndomains; i++)
		domain_free(&cfg->domains[i]);
	mem_free(cfg->domains);
	mem_free(cfg);
}

struct cfg_domain *
config_domain_get(const struct config *cfg, const char *name)
{
	size_t i;

	if (cfg == NULL || name == NULL)
		return NULL;
	for (i = 0; i < cfg->ndomains; i++)
		if (strcasecmp(cfg->domains[i].name, name) == 0 ||
		    strlist_has(&cfg->domains[i].match, name))
			return &cfg->domains[i];
	return NULL;
}

/* ---- value parsers ---------------------------------------------------- */

static int	fail(struct parse_ctx *c, const char *fmt, ...)
		    __attribute__((format(printf, 2, 3)));

static int
fail(struct parse_ctx *c, const char *fmt, ...)
{
	char msg[300];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (!c->failed)
		err_set(c->err, S2S_EINVAL, "%s:%d: %s", c->what, c->line, msg);
	c->failed = 1;
	return 0;
}

static int
parse_int(const char *v, long min, long max, int *out)
{
	char *end;
	long n;

	errno = 0;
	n = strtol(v, &end, 10);
	if (errno != 0 || end == v || *end != '\0' || n < min || n > max)
		return -1;
	*out = (int)n;
	return 0;
}

/* "N", "Ns", "Nm", "Nh" or "Nd" in seconds, within [min, max]. */
static int
parse_duration(const char *v, long min, long max, long *out)
{
	static const struct { char unit; long secs; } units[] = {
		{ 's', 1 }, { 'm', 60 }, { 'h', 3600 }, { 'd', 86400 },
	};
	char *end;
	long n, mult = 0;

	errno = 0;
	n = strtol(v, &end, 10);
	if (errno != 0 || end == v || n < 0 || n > max)
		return -1;
	if (*end == '\0')
		mult = 1;
	for (size_t i = 0; mult == 0 && i < sizeof(units) / sizeof(*units); i++)
		if (end[0] == units[i].unit && end[1] == '\0')
			mult = units[i].secs;
	if (mult == 0 || n * mult < min || n * mult > max)
		return -1;
	*out = n * mult;
	return 0;
}

static int
parse_mode(const char *v, mode_t *out)
{
	char *end;
	long n;

	errno = 0;
	n = strtol(v, &end, 8);
	if (errno != 0 || end == v || *end != '\0' || n < 0 || n > 07777)
		return -1;
	*out = (mode_t)n;
	return 0;
}

/* A word of the configuration language and the value it stands for. */
struct keyword {
	const char	*word;
	int		 value;
};

static const struct keyword BOOLS[] = {
	{ "yes", 1 }, { "true", 1 }, { "on", 1 }, { "1", 1 },
	{ "no", 0 }, { "false", 0 }, { "off", 0 }, { "0", 0 }, { NULL, 0 },
};
static const struct keyword POLICIES[] = {
	{ "warn", POLICY_WARN }, { "hold", POLICY_HOLD }, { "reissue", POLICY_REISSUE },
	{ NULL, 0 },
};
static const struct keyword EXIT_CODE_STYLES[] = {
	{ "client", EXIT_CODES_CLIENT }, { "detailed", EXIT_CODES_DETAILED }, { NULL, 0 },
};
static const struct keyword PROBE_MODES[] = {
	{ "auto", PROBE_AUTO }, { "always", PROBE_ALWAYS }, { "never", PROBE_NEVER },
	{ NULL, 0 },
};
static const struct keyword NOTIFY_WHENS[] = {
	{ "problems", NOTIFY_PROBLEMS }, { "always", NOTIFY_ALWAYS }, { NULL, 0 },
};
static const struct keyword TARGETS[] = {
	{ "prosody", TARGET_PROSODY }, { "ejabberd", TARGET_EJABBERD },
	{ "files", TARGET_FILES }, { "none", TARGET_NONE }, { NULL, 0 },
};
static const struct keyword WEBHOOK_FORMATS[] = {
	{ "json", WEBHOOK_JSON }, { "slack", WEBHOOK_SLACK },
	{ "matrix", WEBHOOK_MATRIX }, { "ntfy", WEBHOOK_NTFY }, { NULL, 0 },
};

/* The value of v in table k (booleans ignore case), or -1. */
static int
keyword_value(const char *v, const struct keyword *k)
{
	int nocase = k == BOOLS;

	for (; k->word != NULL; k++)
		if ((nocase ? strcasecmp(v, k->word) : strcmp(v, k->word)) == 0)
			return k->value;
	return -1;
}

/* ---- sections ---------------------------------------------------------- */

/* Defaults a [domain] takes from [s2sguard] keys seen before it. */
struct domain_defaults {
	enum policy_kind policy;
	int		 hold_min_days;
	enum probe_mode	 probe;
	int		 verify_served;
};

static int
is_list_key(const char *key)
{
	return strcmp(key, "peers") == 0 || strcmp(key, "critical_peers") == 0 ||
	    strcmp(key, "match") == 0 || strcmp(key, "to") == 0 ||
	    strcmp(key, "reissue_args") == 0 || strcmp(key, "connect") == 0 ||
	    strcmp(key, "server") == 0;
}

/* A scalar key set twice in one section is an error (a typo, usually). */
static int
check_duplicate(struct parse_ctx *c, const char *key)
{
	if (is_list_key(key))
		return 1;
	if (strlist_has(&c->seen, key))
		return fail(c, "'%s' set twice in [%s]", key, c->section);
	if (strlist_add(&c->seen, key) != 0)
		return fail(c, "out of memory");
	return 1;
}

static int
global_pair(struct parse_ctx *c, const char *k, const char *v,
    struct domain_defaults *dd)
{
	struct config *cfg = c->cfg;
	char msg[300];
	int rc = 0, x;

	if ((rc = config_dane_pair(k, v, &cfg->dane, &cfg->dane_resolver,
	    &cfg->dane_trust_anchor, msg, sizeof(msg))) != 0)
		return rc > 0 ? 1 : fail(c, "%s", msg);
	if (strcmp(k, "state_dir") == 0)
		rc = set_str(&cfg->state_dir, v);
	else if (strcmp(k, "probe_user") == 0)
		rc = set_str(&cfg->probe_user, v);
	else if (strcmp(k, "templates_dir") == 0)
		rc = set_str(&cfg->templates_dir, v);
	else if (strcmp(k, "metrics") == 0)
		rc = set_str(&cfg->metrics_path, v);
	else if (strcmp(k, "reissue_command") == 0)
		rc = set_str(&cfg->reissue_command, v);
	else if (strcmp(k, "ca_file") == 0)
		rc = set_str(&cfg->ca_file, v);
	else if (strcmp(k, "resolver") == 0)
		rc = set_str(&cfg->resolver, v);
	else if (strcmp(k, "probe_timeout") == 0) {
		if (parse_int(v, 1, 600, &cfg->probe_timeout) != 0)
			return fail(c, "probe_timeout '%s': want seconds, 1 to 600", v);
	} else if (strcmp(k, "deadline") == 0) {
		if (parse_int(v, 5, 3600, &cfg->deadline) != 0)
			return fail(c, "deadline '%s': want seconds, 5 to 3600", v);
	} else if (strcmp(k, "exit_codes") == 0) {
		if ((x = keyword_value(v, EXIT_CODE_STYLES)) < 0)
			return fail(c, "exit_codes '%s': want client or detailed", v);
		cfg->exit_codes = x;
	} else if (strcmp(k, "policy") == 0) {
		if ((x = keyword_value(v, POLICIES)) < 0)
			return fail(c, "policy '%s': want warn, hold or reissue", v);
		dd->policy = x;
	} else if (strcmp(k, "hold_min_days") == 0) {
		if (parse_int(v, 1, 365, &dd->hold_min_days) != 0)
			return fail(c, "hold_min_days '%s': want 1 to 365", v);
	} else if (strcmp(k, "probe") == 0) {
		if ((x = keyword_value(v, PROBE_MODES)) < 0)
			return fail(c, "probe '%s': want auto, always or never", v);
		dd->probe = x;
	} else if (strcmp(k, "verify_served") == 0) {
		if ((x = keyword_value(v, BOOLS)) < 0)
			return fail(c, "verify_served '%s': want yes or no", v);
		dd->verify_served = x;
	} else if (strcmp(k, "probe_interval") == 0) {
		if (parse_duration(v, 60, 365L * 86400, &cfg->probe_interval) != 0)
			return fail(c, "probe_interval '%s': want a duration like 1d, 12h or 30m "
			    "(1 minute to 365 days)", v);
	} else
		return fail(c, "unknown key '%s' in [%s]", k, c->section);
	if (rc != 0)
		return fail(c, "out of memory");
	return 1;
}

static int
mail_pair(struct parse_ctx *c, const char *k, const char *v)
{
	struct cfg_mail *m = &c->cfg->mail;
	int rc = 0, x;

	m->enabled = 1;
	if (strcmp(k, "to") == 0)
		rc = strlist_add_words(&m->to, v);
	else if (strcmp(k, "from") == 0)
		rc = set_str(&m->from, v);
	else if (strcmp(k, "smtp") == 0) {
		if (strncmp(v, "smtp://", 7) != 0 && strncmp(v, "smtps://", 8) != 0)
			return fail(c, "smtp '%s': want smtp://HOST[:PORT] or smtps://...", v);
		rc = set_str(&m->smtp_url, v);
	} else if (strcmp(k, "starttls") == 0) {
		if ((x = keyword_value(v, BOOLS)) < 0)
			return fail(c, "starttls '%s': want yes or no", v);
		m->starttls = x;
	} else if (strcmp(k, "user") == 0)
		rc = set_str(&m->user, v);
	else if (strcmp(k, "password") == 0)
		rc = set_str(&m->password, v);
	else if (strcmp(k, "sendmail") == 0)
		rc = set_str(&m->sendmail, v);
	else if (strcmp(k, "ca_bundle") == 0)
		rc = set_str(&m->ca_bundle, v);
	else if (strcmp(k, "template") == 0)
		rc = set_str(&m->template, v);
	else if (strcmp(k, "when") == 0) {
		if ((x = keyword_value(v, NOTIFY_WHENS)) < 0)
			return fail(c, "when '%s': want problems or always", v);
		m->when = x;
	} else
		return fail(c, "unknown key '%s' in [%s]", k, c->section);
	if (rc != 0)
		return fail(c, "out of memory");
	return 1;
}

static int
webhook_pair(struct parse_ctx *c, const char *k, const char *v)
{
	struct cfg_webhook *w = &c->cfg->webhooks[c->cfg->nwebhooks - 1];
	int rc = 0, x;

	if (strcmp(k, "url") == 0) {
		if (strncmp(v, "http://", 7) != 0 && strncmp(v, "https://", 8) != 0)
			return fail(c, "url in [%s]: want http:// or https://", c->section);
		rc = set_str(&w->url, v);
	} else if (strcmp(k, "format") == 0) {
		if ((x = keyword_value(v, WEBHOOK_FORMATS)) < 0)
			return fail(c, "format '%s': want json, slack, matrix or ntfy", v);
		w->format = x;
	} else if (strcmp(k, "token") == 0)
		rc = set_str(&w->token, v);
	else if (strcmp(k, "template") == 0)
		rc = set_str(&w->template, v);
	else if (strcmp(k, "ca_bundle") == 0)
		rc = set_str(&w->ca_bundle, v);
	else if (strcmp(k, "when") == 0) {
		if ((x = keyword_value(v, NOTIFY_WHENS)) < 0)
			return fail(c, "when '%s': want problems or always", v);
		w->when = x;
	} else
		return fail(c, "unknown key '%s' in [%s]", k, c->section);
	if (rc != 0)
		return fail(c, "out of memory");
	return 1;
}

static int
domain_str_key(struct cfg_domain *d, const char *k, char ***dst)
{
	static const struct { const char *key; size_t off; } keys[] = {
		{ "cert", offsetof(struct cfg_domain, cert_path) },
		{ "key", offsetof(struct cfg_domain, key_path) },
		{ "pem", offsetof(struct cfg_domain, pem_path) },
		{ "owner", offsetof(struct cfg_domain, owner) },
		{ "group", offsetof(struct cfg_domain, group) },
		{ "reload", offsetof(struct cfg_domain, reload) },
		{ "peers_file", offsetof(struct cfg_domain, peers_file) },
		{ "peers_command", offsetof(struct cfg_domain, peers_command) },
		{ "reissue_command", offsetof(struct cfg_domain, reissue_command) },
		{ "reissue_directory", offsetof(struct cfg_domain, reissue_directory) },
		{ "reissue_profile", offsetof(struct cfg_domain, reissue_profile) },
		{ "reissue_account_key", offsetof(struct cfg_domain, reissue_account_key) },
		{ "reissue_email", offsetof(struct cfg_domain, reissue_email) },
		{ "reissue_ca_bundle", offsetof(struct cfg_domain, reissue_ca_bundle) },
		{ "reissue_eab_kid", offsetof(struct cfg_domain, reissue_eab_kid) },
		{ "reissue_eab_hmac_key_file", offsetof(struct cfg_domain, reissue_eab_hmac_key_file) },
	};
	size_t i;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (strcmp(k, keys[i].key) == 0) {
			*dst = (char **)((char *)d + keys[i].off);
			return 1;
		}
	return 0;
}

/* `server = HOST:PORT[/tls|/c2s] ...`: one or more words, on continuation lines too. */
static int
domain_servers(struct parse_ctx *c, struct cfg_domain *d, const char *v)
{
	struct strlist words = { 0 };
	struct cfg_server one, *grown;
	struct s2s_err e;
	int ok = 1;

	if (strlist_add_words(&words, v) != 0)
		return fail(c, "out of memory");
	for (size_t i = 0; ok && i < words.n; i++) {
		if (config_server_parse(words.v[i], &one, &e) < 0)
			ok = fail(c, "%s", e.msg);
		else if ((grown = mem_realloc(d->servers, (d->nservers + 1) * sizeof(*grown))) == NULL)
			ok = fail(c, "out of memory");
		else {
			d->servers = grown;
			d->servers[d->nservers++] = one;
		}
	}
	strlist_clear(&words);
	return ok;
}

static int
domain_pair(struct parse_ctx *c, struct cfg_domain *d, const char *k, const char *v)
{
	char **dst, msg[300];
	int rc = 0, x;

	if ((rc = config_dane_pair(k, v, &d->dane, &d->dane_resolver, &d->dane_trust_anchor,
	    msg, sizeof(msg))) != 0)
		return rc > 0 ? 1 : fail(c, "%s", msg);
	if (domain_str_key(d, k, &dst))
		rc = set_str(dst, v);
	else if (strcmp(k, "target") == 0) {
		if ((x = keyword_value(v, TARGETS)) < 0)
			return fail(c, "target '%s': want prosody, ejabberd, files or none", v);
		d->target = x;
	} else if (strcmp(k, "certs_dir") == 0) {
		/* prosody convenience: DIR/NAME.crt and DIR/NAME.key */
		char cp[PATH_MAX], kp[PATH_MAX];

		if (snprintf(cp, sizeof(cp), "%s/%s.crt", v, d->name) >= (int)sizeof(cp) ||
		    snprintf(kp, sizeof(kp), "%s/%s.key", v, d->name) >= (int)sizeof(kp))
			return fail(c, "certs_dir '%s': path too long", v);
		rc = set_str(&d->cert_path, cp);
		if (rc == 0)
			rc = set_str(&d->key_path, kp);
	} else if (strcmp(k, "mode") == 0 || strcmp(k, "key_mode") == 0) {
		if (parse_mode(v, &d->key_mode) != 0)
			return fail(c, "%s '%s': want an octal mode like 0640", k, v);
		if (d->key_mode & 07)
			return fail(c, "%s '%s': the key must not be world-readable", k, v);
	} else if (strcmp(k, "cert_mode") == 0) {
		if (parse_mode(v, &d->cert_mode) != 0)
			return fail(c, "cert_mode '%s': want an octal mode like 0644", v);
	} else if (strcmp(k, "reload_timeout") == 0) {
		if (parse_int(v, 1, 3600, &d->reload_timeout) != 0)
			return fail(c, "reload_timeout '%s': want seconds, 1 to 3600", v);
	} else if (strcmp(k, "peers") == 0)
		rc = strlist_add_words(&d->peers, v);
	else if (strcmp(k, "critical_peers") == 0)
		rc = strlist_add_words(&d->critical_peers, v);
	else if (strcmp(k, "match") == 0)
		rc = strlist_add_words(&d->match, v);
	else if (strcmp(k, "connect") == 0) {
		if (strchr(v, '=') == NULL || strchr(v, ':') == NULL)
			return fail(c, "connect '%s': want PEER=HOST:PORT", v);
		rc = strlist_add_words(&d->connect, v);
	}
	else if (strcmp(k, "reissue_args") == 0)
		rc = strlist_add_words(&d->reissue_args, v);
	else if (strcmp(k, "server") == 0)
		return domain_servers(c, d, v);
	else if (strcmp(k, "verify_served") == 0) {
		if ((x = keyword_value(v, BOOLS)) < 0)
			return fail(c, "verify_served '%s': want yes or no", v);
		d->verify_served = x;
	}
	else if (strcmp(k, "policy") == 0) {
		if ((x = keyword_value(v, POLICIES)) < 0)
			return fail(c, "policy '%s': want warn, hold or reissue", v);
		d->policy = x;
	} else if (strcmp(k, "fallback") == 0) {
		if ((x = keyword_value(v, POLICIES)) < 0 || x == POLICY_REISSUE)
			return fail(c, "fallback '%s': want warn or hold", v);
		d->fallback = x;
	} else if (strcmp(k, "hold_min_days") == 0) {
		if (parse_int(v, 1, 365, &d->hold_min_days) != 0)
			return fail(c, "hold_min_days '%s': want 1 to 365", v);
	} else if (strcmp(k, "probe") == 0) {
		if ((x = keyword_value(v, PROBE_MODES)) < 0)
			return fail(c, "probe '%s': want auto, always or never", v);
		d->probe = x;
	} else
		return fail(c, "unknown key '%s' in [%s]", k, c->section);
	if (rc != 0)
		return fail(c, "out of memory");
	return 1;
}

static int
open_section(struct parse_ctx *c, const char *section)
{
	struct config *cfg = c->cfg;
	const char *name;
	void *grown;

	strlist_clear(&c->seen);
	if (strcmp(section, "s2sguard") == 0 || strcmp(section, "global") == 0 ||
	    strcmp(section, "mail") == 0)
		return 1;
	if (strncmp(section, "webhook ", 8) == 0) {
		name = section + 8;
		if (*name == '\0')
			return fail(c, "[webhook] needs a name: [webhook NAME]");
		grown = mem_realloc(cfg->webhooks, (cfg->nwebhooks + 1) * sizeof(*cfg->webhooks));
		if (grown == NULL)
			return fail(c, "out of memory");
		cfg->webhooks = grown;
		memset(&cfg->webhooks[cfg->nwebhooks], 0, sizeof(*cfg->webhooks));
		cfg->webhooks[cfg->nwebhooks].name = mem_strdup(name);
		cfg->nwebhooks++;
		return cfg->webhooks[cfg->nwebhooks - 1].name ? 1 : fail(c, "out of memory");
	}
	if (strncmp(section, "domain ", 7) == 0) {
		name = section + 7;
		if (!config_domain_name_ok(name))
			return fail(c, "[domain %s]: not a valid domain name", name);
		if (config_domain_get(cfg, name) != NULL)
			return fail(c, "[domain %s] appears twice", name);
		grown = mem_realloc(cfg->domains, (cfg->ndomains + 1) * sizeof(*cfg->domains));
		if (grown == NULL)
			return fail(c, "out of memory");
		cfg->domains = grown;
		memset(&cfg->domains[cfg->ndomains], 0, sizeof(*cfg->domains));
		cfg->domains[cfg->ndomains].name = mem_strdup(name);
		cfg->domains[cfg->ndomains].line = c->section_line;
		cfg->domains[cfg->ndomains].policy = (enum policy_kind)-1;
		cfg->domains[cfg->ndomains].hold_min_days = -1;
		cfg->domains[cfg->ndomains].probe = (enum probe_mode)-1;
		cfg->domains[cfg->ndomains].fallback = POLICY_HOLD;
		cfg->domains[cfg->ndomains].dane = -1;
		cfg->domains[cfg->ndomains].verify_served = -1;
		cfg->ndomains++;
		return cfg->domains[cfg->ndomains - 1].name ? 1 : fail(c, "out of memory");
	}
	return fail(c, "unknown section [%s]", section);
}

static struct domain_defaults
defaults_init(void)
{
	struct domain_defaults dd = { POLICY_WARN, 7, PROBE_AUTO, 1 };

	return dd;
}

struct handler_ctx {
	struct parse_ctx	*c;
	struct domain_defaults	 dd;
};

static int
handle_pair(void *user, const char *section, const char *key, const char *value)
{
	struct handler_ctx *h = user;
	struct parse_ctx *c = h->c;
	int continuation;

	if (c->failed)
		return 0;
	continuation = c->section_line == c->opened_line && strcmp(key, c->last_key) == 0;
	if (c->section_line != c->opened_line) {
		c->opened_line = c->section_line;
		if (snprintf(c->section, sizeof(c->section), "%s", section) >= (int)sizeof(c->section))
			return fail(c, "section name too long");
		int line = c->line;

		c->line = c->section_line;
		if (!open_section(c, section))
			return 0;
		c->line = line;
	}
	snprintf(c->last_key, sizeof(c->last_key), "%s", key);
	if (section[0] == '\0')
		return fail(c, "'%s' outside any section", key);
	if (continuation && !is_list_key(key))
		return fail(c, "'%s' set twice in [%s] (or a continuation line)", key, section);
	if (!continuation && !check_duplicate(c, key))
		return 0;
	if (strcmp(section, "s2sguard") == 0 || strcmp(section, "global") == 0)
		return global_pair(c, key, value, &h->dd);
	if (strcmp(section, "mail") == 0)
		return mail_pair(c, key, value);
	if (strncmp(section, "webhook ", 8) == 0)
		return webhook_pair(c, key, value);
	return domain_pair(c, &c->cfg->domains[c->cfg->ndomains - 1], key, value);
}

/*
 * inih reports sections only through pairs, so an empty section would go
 * unnoticed, and it gives no line numbers to handlers: this reader feeds it
 * line by line, counting, and notes section headers itself.
 */
static char *
reader(char *str, int num, void *stream)
{
	struct handler_ctx *h = stream;
	struct parse_ctx *c = h->c;
	const char *p = c->text, *nl;
	size_t len;

	if (*p == '\0' || num < 2)
		return NULL;
	nl = strchr(p, '\n');
	len = nl != NULL ? (size_t)(nl - p) + 1 : strlen(p);
	if (len > (size_t)num - 1)
		len = (size_t)num - 1;
	memcpy(str, p, len);
	str[len] = '\0';
	c->text = p + len;
	c->line++;
	while (*p == ' ' || *p == '\t')
		p++;
	if (*p == '[')
		c->section_line = c->line;
	return str;
}

static int
validate_domain(struct parse_ctx *c, struct cfg_domain *d, const struct domain_defaults *dd)
{
	c->line = d->line;
	snprintf(c->section, sizeof(c->section), "domain %s", d->name);
	if ((int)d->policy == -1)
		d->policy = dd->policy;
	if (d->hold_min_days == -1)
		d->hold_min_days = dd->hold_min_days;
	if ((int)d->probe == -1)
		d->probe = dd->probe;
	if (d->verify_served == -1)
		d->verify_served = dd->verify_served;
	if (d->key_mode == 0)
		d->key_mode = 0640;
	if (d->cert_mode == 0)
		d->cert_mode = 0644;
	if (d->reload_timeout == 0)
		d->reload_timeout = 60;
	switch (d->target) {
	case TARGET_PROSODY:
		if (d->cert_path == NULL) {
			char cp[PATH_MAX], kp[PATH_MAX];

			snprintf(cp, sizeof(cp), "/etc/prosody/certs/%s.crt", d->name);
			snprintf(kp, sizeof(kp), "/etc/prosody/certs/%s.key", d->name);
			if (set_str(&d->cert_path, cp) != 0 || set_str(&d->key_path, kp) != 0)
				return fail(c, "out of memory");
		}
		if (d->pem_path != NULL)
			return fail(c, "[domain %s]: target prosody takes cert and key (or certs_dir), not pem", d->name);
		/* the server must be able to read its key */
		if (d->group == NULL && set_str(&d->group, "prosody") != 0)
			return fail(c, "out of memory");
		break;
	case TARGET_EJABBERD:
		if (d->pem_path == NULL) {
			char pp[PATH_MAX];

			snprintf(pp, sizeof(pp), "/etc/ejabberd/certs/%s.pem", d->name);
			if (set_str(&d->pem_path, pp) != 0)
				return fail(c, "out of memory");
		}
		if (d->cert_path != NULL || d->key_path != NULL)
			return fail(c, "[domain %s]: target ejabberd takes one pem, not cert/key", d->name);
		if (d->group == NULL && set_str(&d->group, "ejabberd") != 0)
			return fail(c, "out of memory");
		break;
	case TARGET_FILES:
		if (d->pem_path == NULL && (d->cert_path == NULL || d->key_path == NULL))
			return fail(c, "[domain %s]: target files needs cert and key, or pem", d->name);
		if (d->pem_path != NULL && (d->cert_path != NULL || d->key_path != NULL))
			return fail(c, "[domain %s]: give cert and key, or pem, not both", d->name);
		break;
	case TARGET_NONE:
		break;
	}
	if ((d->cert_path != NULL) != (d->key_path != NULL))
		return fail(c, "[domain %s]: cert and key go together", d->name);
	if (d->policy == POLICY_REISSUE &&
	    (d->reissue_directory == NULL || d->reissue_account_key == NULL))
		return fail(c, "[domain %s]: policy reissue needs reissue_directory and reissue_account_key", d->name);
	if ((d->reissue_eab_kid == NULL) != (d->reissue_eab_hmac_key_file == NULL))
		return fail(c, "[domain %s]: reissue_eab_kid and reissue_eab_hmac_key_file go together",
		    d->name);
	if (d->reissue_eab_hmac_key_file != NULL && d->reissue_eab_hmac_key_file[0] != '/')
		return fail(c, "[domain %s]: reissue_eab_hmac_key_file '%s': want an absolute path",
		    d->name, d->reissue_eab_hmac_key_file);
	if (d->target == TARGET_NONE && d->policy != POLICY_WARN)
		return fail(c, "[domain %s]: policy %s needs a deploy target", d->name,
		    config_policy_name(d->policy));
	if (d->reissue_command == NULL && set_str(&d->reissue_command, c->cfg->reissue_command) != 0)
		return fail(c, "out of memory");
	return 1;
}

static int
validate(struct parse_ctx *c, const struct domain_defaults *dd)
{
	struct config *cfg = c->cfg;
	size_t i;

	for (i = 0; i < cfg->ndomains; i++)
		if (!validate_domain(c, &cfg->domains[i], dd))
			return 0;
	c->line = 0;
	for (i = 0; i < cfg->nwebhooks; i++)
		if (cfg->webhooks[i].url == NULL)
			return fail(c, "[webhook %s] has no url", cfg->webhooks[i].name);
	if (cfg->mail.enabled) {
		if (cfg->mail.to.n == 0)
			return fail(c, "[mail] has no 'to'");
		if (cfg->mail.from == NULL && set_str(&cfg->mail.from, "s2sguard@localhost") != 0)
			return fail(c, "out of memory");
		if (cfg->mail.smtp_url == NULL && cfg->mail.sendmail == NULL &&
		    set_str(&cfg->mail.sendmail, "/usr/sbin/sendmail") != 0)
			return fail(c, "out of memory");
		if ((cfg->mail.user != NULL) != (cfg->mail.password != NULL))
			return fail(c, "[mail]: user and password go together");
	}
	if (cfg->state_dir[0] != '/')
		return fail(c, "state_dir '%s': want an absolute path", cfg->state_dir);
	return 1;
}

int
config_parse(const char *text, const char *what, struct config **out, struct s2s_err *err)
{
	struct parse_ctx c;
	struct handler_ctx h;
	struct config *cfg;
	int rc;

	*out = NULL;
	if ((rc = config_default_new(&cfg, err)) != 0)
		return rc;
	memset(&c, 0, sizeof(c));
	c.cfg = cfg;
	c.what = what;
	c.err = err;
	c.text = text;
	h.c = &c;
	h.dd = defaults_init();
	/* inline ";" would cut reload commands; long lines are allowed */
	ini_allow_inline_comments = false;
	ini_use_stack = false;
	ini_allow_realloc = true;
	ini_max_line = 8192;
	rc = ini_parse_stream(reader, &h, handle_pair, &h);
	if (rc != 0 && !c.failed) {
		c.line = rc;
		fail(&c, "not a 'key = value' line or a [section]");
	}
	if (!c.failed)
		validate(&c, &h.dd);
	strlist_clear(&c.seen);
	if (c.failed) {
		config_free(cfg);
		return S2S_EINVAL;
	}
	*out = cfg;
	return 0;
}

int
config_load(const char *path, struct config **out, struct s2s_err *err)
{
	unsigned char *data;
	char *text;
	size_t n;
	int rc;

	*out = NULL;
	if ((rc = fsat_read(AT_FDCWD, path, NULL, 0, CONFIG_MAX_BYTES, NULL, &data, &n, err)) != 0)
		return rc;
	text = (char *)data;
	if (memchr(text, '\0', n) != NULL) {
		mem_free(text);
		return err_set(err, S2S_EPARSE, "%s: contains a NUL byte", path);
	}
	rc = config_parse(text, path, out, err);
	mem_free(text);
	if (rc == 0 && set_str(&(*out)->path, path) != 0) {
		config_free(*out);
		*out = NULL;
		return err_set(err, S2S_ENOMEM, "%s: out of memory", path);
	}
	return rc;
}
