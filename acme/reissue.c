/*
 * s2sguard-reissue: re-order a certificate under an alternate ACME profile
 * or CA, verify it, then install it into a certbot lineage, an acme.sh
 * domain directory or plain files. See doc/s2sguard-reissue.1.
 */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/pem.h>

#include "acme.h"
#include "help-s2sguard-reissue.h"
#include "inspect.h"
#include "install.h"
#include "jws.h"
#include "mem.h"
#include "order.h"
#include "profile.h"
#include "report.h"
#include "secret.h"
#include "target.h"

#define PROG "s2sguard-reissue"

enum {
	EX_INSTALLED = 0, EX_REFUSED = 1, EX_VERIFY = 2, EX_INPUT = 3, EX_NETWORK = 4,
	EX_INSTALL = 5, EX_USAGE = 64
};

#define MAX_CONTACTS 8

struct args {
	struct target_opts	 t;
	const char		*profile, *tls_ca_file, *ca_file, *hook, *preferred_chain;
	const char		*out_cert, *out_chain, *out_fullchain, *out_key;
	const char		*contacts[MAX_CONTACTS];
	size_t			 ncontacts;
	const char		*eab_kid, *eab_hmac_key, *eab_hmac_key_file;
	const char		*user;
	int			 allow_unlisted, no_ari, new_key, no_client_auth, dry_run;
	int			 json, verbose, agree_tos;
	long			 timeout_s;
};

/* Results of one run, for the report. */
struct run {
	struct s2s_log		 log;
	struct target		 t;
	struct acme		 a;
	struct order_result	 res;
	struct inspection	*ins;
	EVP_PKEY		*new_key;
	unsigned char		*eab_key;	/* decoded EAB HMAC key, wiped at exit */
	size_t			 eab_keylen;
	char			*replaces;
	const char		*profile_sent;
	char			 profile_note[300];
	char			 advertised[512];
	int			 account_created, installed_version;
	char			 installed[64];
	const char		*stage;
	struct s2s_err		 err;
};

static const struct option longopts[] = {
	{ "certbot-lineage",	required_argument,	NULL, 'L' },
	{ "certbot-config-dir",	required_argument,	NULL, 'C' },
	{ "acmesh-domain-dir",	required_argument,	NULL, 'A' },
	{ "acmesh-config-home",	required_argument,	NULL, 'H' },
	{ "server",		required_argument,	NULL, 's' },
	{ "account-key",	required_argument,	NULL, 'a' },
	{ "contact",		required_argument,	NULL, 'm' },
	{ "agree-tos",		no_argument,		NULL, 'T' },
	{ "eab-kid",		required_argument,	NULL, 'E' },
	{ "eab-hmac-key",	required_argument,	NULL, 'K' },
	{ "eab-hmac-key-file",	required_argument,	NULL, 'G' },
	{ "cert",		required_argument,	NULL, 'c' },
	{ "key",		required_argument,	NULL, 'k' },
	{ "domain",		required_argument,	NULL, 'd' },
	{ "profile",		required_argument,	NULL, 'p' },
	{ "allow-unlisted-profile", no_argument,	NULL, 'U' },
	{ "no-ari",		no_argument,		NULL, 'N' },
	{ "new-key",		no_argument,		NULL, 'n' },
	{ "webroot",		required_argument,	NULL, 'w' },
	{ "challenge-hook",	required_argument,	NULL, 'h' },
	{ "preferred-chain",	required_argument,	NULL, 'P' },
	{ "out-cert",		required_argument,	NULL, '1' },
	{ "out-chain",		required_argument,	NULL, '2' },
	{ "out-fullchain",	required_argument,	NULL, '3' },
	{ "out-key",		required_argument,	NULL, '4' },
	{ "tls-ca-file",	required_argument,	NULL, 'S' },
	{ "ca-file",		required_argument,	NULL, 'R' },
	{ "no-require-client-auth", no_argument,	NULL, 'X' },
	{ "timeout",		required_argument,	NULL, 't' },
	{ "dry-run",		no_argument,		NULL, 'D' },
	{ "user",		required_argument,	NULL, 'u' },
	{ "json",		no_argument,		NULL, 'j' },
	{ "verbose",		no_argument,		NULL, 'v' },
	{ "help",		no_argument,		NULL, '?' + 256 },
	{ "version",		no_argument,		NULL, 'V' },
	{ NULL, 0, NULL, 0 }
};

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int
usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", PROG);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry '%s --help'.\n", PROG);
	return EX_USAGE;
}

static int
parse_opt(struct args *a, int c, const char *arg)
{
	char *end;

	switch (c) {
	case 'L': a->t.certbot_lineage = arg; break;
	case 'C': a->t.certbot_config_dir = arg; break;
	case 'A': a->t.acmesh_domain_dir = arg; break;
	case 'H': a->t.acmesh_config_home = arg; break;
	case 's': a->t.server = arg; break;
	case 'a': a->t.account_key = arg; break;
	case 'c': a->t.cert = arg; break;
	case 'k': a->t.key = arg; break;
	case 'w': a->t.webroot = arg; break;
	case 'd':
		if (a->t.nnames >= TARGET_MAX_NAMES)
			return usage_error("too many --domain (at most %s)", "100");
		a->t.names[a->t.nnames++] = arg;
		break;
	case 'm':
		if (a->ncontacts >= MAX_CONTACTS)
			return usage_error("too many --contact (at most %s)", "8");
		a->contacts[a->ncontacts++] = arg;
		break;
	case 'T': a->agree_tos = 1; break;
	case 'E': a->eab_kid = arg; break;
	case 'K': a->eab_hmac_key = arg; break;
	case 'G': a->eab_hmac_key_file = arg; break;
	case 'p': a->profile = arg; break;
	case 'U': a->allow_unlisted = 1; break;
	case 'N': a->no_ari = 1; break;
	case 'n': a->new_key = 1; break;
	case 'h': a->hook = arg; break;
	case 'P': a->preferred_chain = arg; break;
	case '1': a->out_cert = arg; break;
	case '2': a->out_chain = arg; break;
	case '3': a->out_fullchain = arg; break;
	case '4': a->out_key = arg; break;
	case 'S': a->tls_ca_file = arg; break;
	case 'R': a->ca_file = arg; break;
	case 'X': a->no_client_auth = 1; break;
	case 'D': a->dry_run = 1; break;
	case 'u': a->user = arg; break;
	case 'j': a->json = 1; break;
	case 'v': a->verbose++; break;
	case 't':
		errno = 0;
		a->timeout_s = strtol(arg, &end, 10);
		if (errno != 0 || *end != '\0' || a->timeout_s < 1 || a->timeout_s > 86400)
			return usage_error("--timeout: \"%s\" is not 1..86400 seconds", arg);
		break;
	default:
		return EX_USAGE;
	}
	return 0;
}

static int
check_args(const struct args *a)
{
	int kinds = (a->t.certbot_lineage != NULL) + (a->t.acmesh_domain_dir != NULL);
	int plain = a->out_cert || a->out_chain || a->out_fullchain || a->out_key;

	if (kinds > 1)
		return usage_error("%s", "--certbot-lineage and --acmesh-domain-dir exclude each other");
	if (kinds == 1 && (plain || a->t.cert || a->t.key))
		return usage_error("%s", "--out-*, --cert and --key are for plain files, not for a "
		    "certbot lineage or acme.sh directory");
	if (kinds == 0 && !plain && !a->dry_run)
		return usage_error("%s", "nothing to install: give --certbot-lineage, "
		    "--acmesh-domain-dir, --out-* files, or --dry-run");
	if (kinds == 0 && a->t.key == NULL && !a->new_key)
		return usage_error("%s", "give --key (the current private key) or --new-key");
	if (kinds == 0 && a->new_key && a->out_key == NULL && !a->dry_run)
		return usage_error("%s", "--new-key with plain files needs --out-key");
	if (a->eab_hmac_key != NULL && a->eab_hmac_key_file != NULL)
		return usage_error("%s", "--eab-hmac-key and --eab-hmac-key-file exclude each other");
	if ((a->eab_kid == NULL) != (a->eab_hmac_key == NULL && a->eab_hmac_key_file == NULL))
		return usage_error("%s", "--eab-kid and --eab-hmac-key-file (or --eab-hmac-key) "
		    "go together");
	if (a->hook != NULL && a->t.webroot != NULL)
		return usage_error("%s", "--webroot and --challenge-hook exclude each other");
	return 0;
}

static int
parse_args(int argc, char **argv, struct args *a)
{
	int c, rc;

	memset(a, 0, sizeof(*a));
	a->timeout_s = 300;
	while ((c = getopt_long(argc, argv, "v", longopts, NULL)) != -1) {
		if (c == '?' + 256) {
			fputs(HELP_TEXT, stdout);
			exit(EX_INSTALLED);
		}
		if (c == 'V') {
			printf("%s %s\n", PROG, S2S_VERSION);
			exit(EX_INSTALLED);
		}
		if ((rc = parse_opt(a, c, optarg)) != 0)
			return rc;
	}
	if (optind < argc)
		return usage_error("unexpected argument \"%s\"", argv[optind]);
	return check_args(a);
}

/* A new key of the same kind as old (EC curve or RSA size), or EC P-256. */
static EVP_PKEY *
key_new_like(EVP_PKEY *old)
{
	char group[32];
	size_t glen = 0;

	if (old != NULL && EVP_PKEY_is_a(old, "RSA"))
		return EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)EVP_PKEY_get_bits(old));
	if (old != NULL && EVP_PKEY_is_a(old, "EC") &&
	    EVP_PKEY_get_group_name(old, group, sizeof(group), &glen) == 1)
		return EVP_PKEY_Q_keygen(NULL, NULL, "EC", group);
	if (old != NULL && EVP_PKEY_is_a(old, "ED25519"))
		return EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	return EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
}

/* The EAB HMAC key, from --eab-hmac-key-file or --eab-hmac-key, decoded. */
static int
eab_key_load(const struct args *a, struct run *r, struct s2s_err *err)
{
	const char *what = a->eab_hmac_key_file ? a->eab_hmac_key_file : "--eab-hmac-key";
	char *text = NULL;
	size_t len = 0;
	int rc = 0;

	if (a->eab_hmac_key_file != NULL &&
	    (rc = secret_file_read(a->eab_hmac_key_file, &text, &len, err)) != 0)
		return err_prefix(err, "--eab-hmac-key-file");
	if (a->eab_hmac_key == NULL && text == NULL)
		return 0;
	if (b64url_decode(text ? text : a->eab_hmac_key, &r->eab_key, &r->eab_keylen) != 0 ||
	    r->eab_keylen == 0)
		rc = err_set(err, S2S_EINVAL, "%s: the EAB HMAC key is not base64url", what);
	secret_free(text);
	return rc;
}

static void
eab_key_free(struct run *r)
{
	if (r->eab_key != NULL)
		OPENSSL_cleanse(r->eab_key, r->eab_keylen);
	mem_free(r->eab_key);
	r->eab_key = NULL;
	r->eab_keylen = 0;
}

static int
account_setup(const struct args *a, struct run *r, struct s2s_err *err)
{
	struct acme_new_account na = { 0 };

	r->a.key = r->t.account.key;
	if (r->t.account.url != NULL)
		return (r->a.kid = mem_strdup(r->t.account.url)) ? 0 :
		    err_set(err, S2S_ENOMEM, "out of memory");
	na.contacts = a->contacts;
	na.ncontacts = a->ncontacts;
	na.agree_tos = a->agree_tos;
	na.eab_kid = a->eab_kid;
	na.eab_key = r->eab_key;
	na.eab_keylen = r->eab_keylen;
	return acme_account_register(&r->a, &na, &r->account_created, err);
}

static void
ari_setup(const struct args *a, struct run *r)
{
	struct s2s_err e;

	if (a->no_ari || r->t.current == NULL || acme_dir_url(&r->a, "renewalInfo") == NULL)
		return;
	if (ari_cert_id(cert_chain_get(r->t.current, 0), &r->replaces, &e) != 0)
		log_msg(&r->log, LOG_WARNING, "ARI: not sending \"replaces\": %s", e.msg);
}

static int
acme_stage(const struct args *a, struct run *r, struct s2s_err *err)
{
	struct solver s = { 0 };
	struct order_req req = { 0 };
	size_t i;
	int rc;

	r->stage = "acme";
	if ((rc = acme_init(&r->a, a->tls_ca_file, deadline_in_ms(a->timeout_s * 1000), &r->log,
	    err)) != 0 || (rc = acme_directory_get(&r->a, r->t.server, err)) != 0)
		return rc;
	profile_list(r->a.dir, r->advertised, sizeof(r->advertised));
	if ((rc = profile_choose(r->a.dir, a->profile, a->allow_unlisted, &r->profile_sent,
	    r->profile_note, sizeof(r->profile_note), err)) != 0)
		return rc;
	if (r->profile_note[0] != '\0')
		log_msg(&r->log, r->advertised[0] ? LOG_INFO : LOG_WARNING, "%s", r->profile_note);
	if ((rc = account_setup(a, r, err)) != 0)
		return rc;
	ari_setup(a, r);
	s.webroot = r->t.webroot[0] ? r->t.webroot : NULL;
	for (i = 0; i < r->t.nmap; i++) {
		s.map_names[i] = r->t.map_names[i];
		s.map_paths[i] = r->t.map_paths[i];
	}
	s.nmap = r->t.nmap;
	s.hook = a->hook;
	s.log = &r->log;
	s.deadline = r->a.http.deadline;
	req.names = (const char *const *)r->t.names;
	req.nnames = r->t.nnames;
	req.profile = r->profile_sent;
	req.replaces = r->replaces;
	req.solver = &s;
	req.cert_key = r->new_key ? r->new_key : r->t.key;
	req.preferred_chain = a->preferred_chain;
	if ((rc = order_run(&r->a, &req, &r->res, err)) != 0)
		return rc;
	if (r->profile_sent != NULL && strcmp(r->res.profile_echo, r->profile_sent) != 0)
		log_msg(&r->log, LOG_WARNING, "the order does not echo profile \"%s\" (got \"%s\"): "
		    "the CA may have ignored it", r->profile_sent, r->res.profile_echo);
	return 0;
}

/*
 * Privilege separation ("open, then restrict"): keys and files are loaded
 * by the caller; a child that has dropped to --user does all network work
 * and the challenges, and hands back the chain and the facts for the report
 * as one JSON object over a pipe. Only the parent verifies and installs.
 */
#define PRIVSEP_MAX	(4 * 1024 * 1024)

static int
privsep_drop(const struct passwd *pw, struct s2s_err *err)
{
	if (setgroups(0, NULL) != 0 || setgid(pw->pw_gid) != 0 || setuid(pw->pw_uid) != 0)
		return err_set(err, S2S_EPERM, "--user %s: cannot drop privileges: %s",
		    pw->pw_name, strerror(errno));
	if (pw->pw_uid != 0 && (setuid(0) == 0 || seteuid(0) == 0))
		return err_set(err, S2S_EPERM, "--user %s: could regain root", pw->pw_name);
	return 0;
}

static json_t *
privsep_result(const struct run *r, int rc)
{
	const struct order_result *o = &r->res;
	json_t *j = json_pack("{s:i, s:i, s:s, s:s?, s:s?, s:s?, s:s, s:b, s:b, s:i, s:i, s:s,"
	    " s:i, s:s?, s:b, s:b, s:s, s:s, s:s?}",
	    "rc", rc, "code", r->err.code, "msg", r->err.msg, "pem", o->pem,
	    "order_url", o->order_url, "cert_url", o->cert_url, "profile_echo", o->profile_echo,
	    "replaces_sent", o->replaces_sent, "replaces_dropped", o->replaces_dropped,
	    "authz_reused", (int)o->authz_reused, "authz_solved", (int)o->authz_solved,
	    "chain_top_issuer", o->chain_top_issuer, "alternates", (int)o->alternates,
	    "kid", r->a.kid, "account_created", r->account_created,
	    "profile_sent", r->profile_sent != NULL, "advertised", r->advertised,
	    "profile_note", r->profile_note, "replaces", r->replaces);

	if (j != NULL && r->a.problem != NULL)
		json_object_set(j, "problem", r->a.problem);
	return j;
}

static char *
jdup(const json_t *j, const char *name)
{
	const char *v = json_string_value(json_object_get(j, name));

	return v ? mem_strdup(v) : NULL;
}

static void
jcopy(const json_t *j, const char *name, char *buf, size_t bufsz)
{
	snprintf(buf, bufsz, "%s", json_string_value(json_object_get(j, name)) ?: "");
}

static int
privsep_take(const struct args *a, struct run *r, const json_t *j, struct s2s_err *err)
{
	struct order_result *o = &r->res;
	const char *msg = json_string_value(json_object_get(j, "msg"));
	int rc = (int)json_integer_value(json_object_get(j, "rc"));

	o->pem = jdup(j, "pem");
	o->len = o->pem ? strlen(o->pem) : 0;
	o->order_url = jdup(j, "order_url");
	o->cert_url = jdup(j, "cert_url");
	jcopy(j, "profile_echo", o->profile_echo, sizeof(o->profile_echo));
	jcopy(j, "chain_top_issuer", o->chain_top_issuer, sizeof(o->chain_top_issuer));
	o->replaces_sent = json_is_true(json_object_get(j, "replaces_sent"));
	o->replaces_dropped = json_is_true(json_object_get(j, "replaces_dropped"));
	o->authz_reused = (size_t)json_integer_value(json_object_get(j, "authz_reused"));
	o->authz_solved = (size_t)json_integer_value(json_object_get(j, "authz_solved"));
	o->alternates = (size_t)json_integer_value(json_object_get(j, "alternates"));
	r->a.kid = jdup(j, "kid");
	r->account_created = json_is_true(json_object_get(j, "account_created"));
	r->profile_sent = json_is_true(json_object_get(j, "profile_sent")) ? a->profile : NULL;
	jcopy(j, "advertised", r->advertised, sizeof(r->advertised));
	jcopy(j, "profile_note", r->profile_note, sizeof(r->profile_note));
	r->replaces = jdup(j, "replaces");
	if (json_object_get(j, "problem") != NULL)
		r->a.problem = json_incref(json_object_get(j, "problem"));
	if (rc == 0 && o->pem == NULL)
		return err_set(err, S2S_EPROTO, "the network process returned no certificate");
	if (rc != 0)
		err_set(err, (int)json_integer_value(json_object_get(j, "code")), "%s",
		    msg ? msg : "the network process failed");
	return rc;
}

static int
privsep_read(int fd, char **out, size_t *len)
{
	size_t cap = 65536, n = 0;
	char *buf = mem_alloc(cap), *p;
	ssize_t got;

	while (buf != NULL) {
		if (n + 1 >= cap) {
			if (cap >= PRIVSEP_MAX || (p = mem_realloc(buf, cap * 2)) == NULL)
				break;
			buf = p;
			cap *= 2;
		}
		got = read(fd, buf + n, cap - n - 1);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0) {
			*out = buf;
			*len = n;
			return got == 0 ? 0 : -1;
		}
		n += (size_t)got;
	}
	mem_free(buf);
	return -1;
}

static void
privsep_child(const struct args *a, struct run *r, const struct passwd *pw, int fd)
{
	json_t *res;
	int rc;

	if ((rc = privsep_drop(pw, &r->err)) == 0)
		rc = acme_stage(a, r, &r->err);
	res = privsep_result(r, rc);
	if (res == NULL || json_dumpfd(res, fd, JSON_COMPACT) != 0)
		_exit(1);
	_exit(0);
}

static int
acme_stage_as(const struct args *a, struct run *r, struct s2s_err *err)
{
	struct passwd *pw = getpwnam(a->user);
	int fds[2], status, rc;
	char *text = NULL;
	json_t *j;
	size_t len = 0;
	pid_t pid;

	r->stage = "acme";
	if (pw == NULL)
		return err_set(err, S2S_EINVAL, "--user %s: no such user", a->user);
	if (pipe(fds) != 0 || (pid = fork()) < 0)
		return err_set(err, S2S_EIO, "cannot start the network process: %s", strerror(errno));
	if (pid == 0) {
		close(fds[0]);
		privsep_child(a, r, pw, fds[1]);
	}
	close(fds[1]);
	rc = privsep_read(fds[0], &text, &len);
	close(fds[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	j = rc == 0 ? json_loadb(text, len, 0, NULL) : NULL;
	mem_free(text);
	if (j == NULL)
		return err_set(err, S2S_EIO, "the network process (as %s) failed without a result",
		    a->user);
	rc = privsep_take(a, r, j, err);
	json_decref(j);
	return rc;
}

static int
verify_stage(const struct args *a, struct run *r, struct cert_chain *chain, struct s2s_err *err)
{
	struct inspect_opts io = { 0 };
	X509_STORE *store = NULL;
	int rc;

	r->stage = "verify";
	io.ca_file = a->ca_file;
	io.domains = (const char *const *)r->t.names;
	io.ndomains = r->t.nnames;
	if ((rc = inspect_store_new(a->ca_file, &store, err)) != 0)
		return rc;
	rc = inspect_chain(chain, r->new_key ? r->new_key : r->t.key, NULL, store, &io, &r->ins,
	    err);
	X509_STORE_free(store);
	if (rc != 0)
		return rc;
	if (r->ins->verdict == INSPECT_USABLE ||
	    (r->ins->verdict == INSPECT_SERVER_ONLY && a->no_client_auth))
		return 0;
	return err_set(err, S2S_EINVAL, "the new certificate fails verification: %s%s",
	    r->ins->verdict_reason, r->ins->verdict == INSPECT_SERVER_ONLY ?
	    " (--no-require-client-auth accepts it)" : "");
}

static char *
pem_of(struct cert_chain *c, size_t from, size_t to, EVP_PKEY *key)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *data, *out = NULL;
	size_t i;
	long n;
	int ok = b != NULL;

	for (i = from; ok && i < to; i++)
		ok = PEM_write_bio_X509(b, cert_chain_get(c, i)) == 1;
	if (ok && key != NULL)
		ok = PEM_write_bio_PrivateKey(b, key, NULL, NULL, 0, NULL, NULL) == 1;
	if (ok && (n = BIO_get_mem_data(b, &data)) >= 0)
		out = mem_strndup(data, (size_t)n);
	if (b != NULL && key != NULL) {
		if ((n = BIO_get_mem_data(b, &data)) > 0)
			OPENSSL_cleanse(data, (size_t)n);
	}
	BIO_free(b);
	return out;
}

static int
install_stage(const struct args *a, struct run *r, struct cert_chain *chain, struct s2s_err *err)
{
	struct install_files f = { 0 };
	size_t n = cert_chain_count(chain);
	char *keypem = NULL;
	int rc;

	r->stage = "install";
	f.cert = pem_of(chain, 0, 1, NULL);
	f.chain = pem_of(chain, 1, n, NULL);
	f.fullchain = pem_of(chain, 0, n, NULL);
	if (r->new_key != NULL)
		keypem = pem_of(chain, 0, 0, r->new_key);
	else if (r->t.key_pem != NULL)
		keypem = mem_strndup((char *)r->t.key_pem, r->t.key_pem_len);
	f.key = keypem;
	if (f.cert == NULL || f.chain == NULL || f.fullchain == NULL || f.key == NULL)
		rc = err_set(err, S2S_ENOMEM, "out of memory (or no private key to install)");
	else if (r->t.kind == TARGET_CERTBOT) {
		rc = install_certbot(r->t.archive_dir, r->t.live_dir, &f, &r->installed_version, err);
		snprintf(r->installed, sizeof(r->installed), "certbot");
	} else if (r->t.kind == TARGET_ACMESH) {
		rc = install_acmesh(r->t.domain_dir, r->t.domain, &f, err);
		snprintf(r->installed, sizeof(r->installed), "acme.sh");
	} else {
		if (r->new_key == NULL)
			f.key = NULL;	/* the key did not change: leave --out-key alone */
		rc = install_plain(a->out_cert, a->out_chain, a->out_fullchain,
		    r->new_key ? a->out_key : NULL, &f, err);
		snprintf(r->installed, sizeof(r->installed), "files");
	}
	if (keypem != NULL)
		OPENSSL_cleanse(keypem, strlen(keypem));
	mem_free(keypem);
	mem_free((char *)f.cert);
	mem_free((char *)f.chain);
	mem_free((char *)f.fullchain);
	if (rc != 0)
		r->installed[0] = '\0';
	return rc;
}

static int
exit_for(const char *stage, int code)
{
	if (strcmp(stage, "input") == 0)
		return EX_INPUT;
	if (strcmp(stage, "verify") == 0)
		return EX_VERIFY;
	if (strcmp(stage, "install") == 0)
		return EX_INSTALL;
	switch (code) {
	case S2S_ETIMEOUT: case S2S_ENET: case S2S_ETLS:
		return EX_NETWORK;
	case S2S_EINVAL: case S2S_EIO: case S2S_EPERM: case S2S_ENOMEM:
		return EX_INPUT;
	default:
		return EX_REFUSED;
	}
}

static json_t *
names_json(const struct target *t)
{
	json_t *arr = json_array();
	size_t i;

	for (i = 0; i < t->nnames; i++)
		json_array_append_new(arr, json_string(t->names[i]));
	return arr;
}

static json_t *
reissue_json(const struct args *a, const struct run *r, int status)
{
	static const char *const kinds[] = { "files", "certbot", "acme.sh" };
	json_t *o = json_object();

	json_object_set_new(o, "target", json_string(kinds[r->t.kind]));
	json_object_set_new(o, "server", json_string(r->t.server));
	json_object_set_new(o, "account", json_pack("{s:s, s:s?, s:b}", "source",
	    r->t.account.source, "url", r->a.kid, "created", r->account_created));
	json_object_set_new(o, "names", names_json(&r->t));
	json_object_set_new(o, "profile", json_pack("{s:s?, s:s?, s:s, s:s}", "requested",
	    a->profile, "sent", r->profile_sent, "echoed", r->res.profile_echo, "advertised",
	    r->advertised));
	json_object_set_new(o, "ari", json_pack("{s:s?, s:b, s:b}", "replaces", r->replaces,
	    "sent", r->res.replaces_sent, "already_replaced", r->res.replaces_dropped));
	json_object_set_new(o, "order", json_pack("{s:s?, s:s?, s:i, s:i, s:s, s:i}", "url",
	    r->res.order_url, "certificate", r->res.cert_url, "authz_reused",
	    (int)r->res.authz_reused, "authz_solved", (int)r->res.authz_solved,
	    "chain_top_issuer", r->res.chain_top_issuer, "alternates", (int)r->res.alternates));
	json_object_set_new(o, "new_key", json_boolean(r->new_key != NULL));
	json_object_set_new(o, "dry_run", json_boolean(a->dry_run));
	if (r->installed[0] != '\0')
		json_object_set_new(o, "installed", json_pack("{s:s, s:i}", "kind", r->installed,
		    "version", r->installed_version));
	if (status != 0) {
		json_object_set_new(o, "error", json_pack("{s:s, s:s}", "stage", r->stage,
		    "message", r->err.msg));
		if (r->a.problem != NULL)
			json_object_set(o, "problem", r->a.problem);
	}
	return o;
}

static void
report(const struct args *a, struct run *r, int status)
{
	json_t *rep;

	if (status != 0)
		fprintf(stderr, "%s: %s\n", PROG, r->err.msg);
	if (!a->json) {
		if (status == 0 && a->dry_run)
			printf("dry run: ordered and verified %s, installed nothing\n", r->t.names[0]);
		else if (status == 0 && r->t.kind == TARGET_CERTBOT)
			printf("installed %s as version %d of certbot lineage %s\n", r->t.names[0],
			    r->installed_version, r->t.name);
		else if (status == 0)
			printf("installed %s (%s)\n", r->t.names[0], r->installed);
		return;
	}
	if ((rep = report_new(PROG)) == NULL)
		return;
	json_object_set_new(rep, "reissue", reissue_json(a, r, status));
	if (r->ins != NULL)
		json_object_set_new(rep, "inspection", inspect_to_json(r->ins));
	json_object_set_new(rep, "exit", json_integer(status));
	report_print_json(stdout, rep);
	json_decref(rep);
}

static int
run(const struct args *a, struct run *r)
{
	struct cert_chain *chain = NULL;
	int rc;

	r->stage = "input";
	if ((rc = target_load(&a->t, &r->t, &r->err)) != 0 ||
	    (rc = eab_key_load(a, r, &r->err)) != 0)
		return rc;
	if (a->new_key && (r->new_key = key_new_like(r->t.key)) == NULL)
		return err_ssl(&r->err, S2S_ENOMEM, "cannot generate a new key");
	if (r->t.key == NULL && r->new_key == NULL)
		return err_set(&r->err, S2S_EINVAL, "no private key for the CSR");
	if ((rc = a->user ? acme_stage_as(a, r, &r->err) : acme_stage(a, r, &r->err)) != 0)
		return rc;
	r->stage = "verify";
	if ((rc = cert_chain_parse((unsigned char *)r->res.pem, r->res.len, r->res.cert_url,
	    &chain, &r->err)) != 0 || (rc = verify_stage(a, r, chain, &r->err)) != 0)
		goto out;
	if (!a->dry_run)
		rc = install_stage(a, r, chain, &r->err);
out:
	cert_chain_free(chain);
	return rc;
}

int
main(int argc, char **argv)
{
	struct args a;
	struct run r;
	int rc, status;

	if ((rc = parse_args(argc, argv, &a)) != 0)
		return rc;
	memset(&r, 0, sizeof(r));
	log_open(&r.log, PROG, 0);
	r.log.verbosity = a.verbose;
	rc = run(&a, &r);
	status = rc == 0 ? EX_INSTALLED : exit_for(r.stage, rc);
	report(&a, &r, status);
	inspection_free(r.ins);
	order_result_clear(&r.res);
	acme_cleanup(&r.a);
	target_clear(&r.t);
	EVP_PKEY_free(r.new_key);
	eab_key_free(&r);
	mem_free(r.replaces);
	log_close(&r.log);
	return status;
}
