/*
 * inspect.c: summaries and verdicts for one certificate chain.
 */
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "inspect.h"
#include "mem.h"
#include "names.h"

/* What one X509_verify_cert run found; the callback lets it go on past errors. */
struct verify_result {
	STACK_OF(X509)	*chain;		/* built chain, leaf first (owned) */
	int		 num_untrusted;	/* certificates not from the store */
	int		 trust_error;	/* first error other than purpose and time */
	int		 trust_depth;
	int		 purpose_depth;	/* first depth failing the purpose, -1 */
};

static time_t
asn1_time_get(const ASN1_TIME *t)
{
	struct tm tm;

	if (t == NULL || ASN1_TIME_to_tm(t, &tm) != 1)
		return 0;
	return timegm(&tm);
}

static void
name_text(const X509_NAME *n, char *buf, size_t bufsz)
{
	BIO *bio = BIO_new(BIO_s_mem());
	int len;

	buf[0] = '\0';
	if (bio == NULL)
		return;
	X509_NAME_print_ex(bio, n, 0, XN_FLAG_ONELINE & ~ASN1_STRFLGS_ESC_MSB);
	len = BIO_read(bio, buf, (int)bufsz - 1);
	buf[len > 0 ? len : 0] = '\0';
	BIO_free(bio);
}

static void
serial_text(X509 *x, char *buf, size_t bufsz)
{
	BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL);
	char *hex = bn ? BN_bn2hex(bn) : NULL;

	snprintf(buf, bufsz, "%s", hex ? hex : "?");
	OPENSSL_free(hex);
	BN_free(bn);
}

static void
key_text(X509 *x, struct cert_summary *s)
{
	EVP_PKEY *pk = X509_get0_pubkey(x);
	char group[32];
	size_t glen = 0;

	if (pk == NULL) {
		snprintf(s->key_type, sizeof(s->key_type), "unknown");
		return;
	}
	s->key_bits = EVP_PKEY_get_bits(pk);
	snprintf(s->key_type, sizeof(s->key_type), "%s", EVP_PKEY_get0_type_name(pk));
	if (EVP_PKEY_get_group_name(pk, group, sizeof(group), &glen) == 1) {
		int nid = OBJ_sn2nid(group);
		const char *nist = nid != NID_undef ? EC_curve_nid2nist(nid) : NULL;

		snprintf(s->key_detail, sizeof(s->key_detail), "%s", nist ? nist : group);
	}
}

static void
eku_text(X509 *x, struct cert_summary *s)
{
	EXTENDED_KEY_USAGE *eku = X509_get_ext_d2i(x, NID_ext_key_usage, NULL, NULL);
	size_t used = 0;
	int i;

	s->eku[0] = '\0';
	s->eku_present = eku != NULL;
	for (i = 0; i < sk_ASN1_OBJECT_num(eku); i++) {
		const ASN1_OBJECT *o = sk_ASN1_OBJECT_value(eku, i);
		char name[80];
		int nid = OBJ_obj2nid(o), n;

		if (nid != NID_undef)
			snprintf(name, sizeof(name), "%s", OBJ_nid2sn(nid));
		else
			OBJ_obj2txt(name, sizeof(name), o, 1);
		n = snprintf(s->eku + used, sizeof(s->eku) - used, "%s%s", used ? "," : "", name);
		if (n < 0 || (size_t)n >= sizeof(s->eku) - used)
			break;
		used += (size_t)n;
	}
	EXTENDED_KEY_USAGE_free(eku);
}

static void
summarize(X509 *x, time_t now, int depth, struct cert_summary *s)
{
	memset(s, 0, sizeof(*s));
	name_text(X509_get_subject_name(x), s->subject, sizeof(s->subject));
	name_text(X509_get_issuer_name(x), s->issuer, sizeof(s->issuer));
	serial_text(x, s->serial, sizeof(s->serial));
	s->not_before = asn1_time_get(X509_get0_notBefore(x));
	s->not_after = asn1_time_get(X509_get0_notAfter(x));
	s->days_left = (long)((s->not_after - now) / 86400);
	if (s->not_after < now && (s->not_after - now) % 86400 != 0)
		s->days_left--;
	key_text(x, s);
	cert_spki_sha256_hex(x, s->spki_sha256);
	eku_text(x, s);
	s->is_ca = X509_check_ca(x) > 0;
	s->client_ok = X509_check_purpose(x, X509_PURPOSE_SSL_CLIENT, depth > 0) == 1;
	s->server_ok = X509_check_purpose(x, X509_PURPOSE_SSL_SERVER, depth > 0) == 1;
}

static int
verify_cb(int ok, X509_STORE_CTX *ctx)
{
	struct verify_result *r = X509_STORE_CTX_get_app_data(ctx);
	int e = X509_STORE_CTX_get_error(ctx), depth = X509_STORE_CTX_get_error_depth(ctx);

	if (ok)
		return 1;
	switch (e) {
	case X509_V_ERR_INVALID_PURPOSE:
		if (r->purpose_depth < 0)
			r->purpose_depth = depth;
		break;
	case X509_V_ERR_CERT_HAS_EXPIRED:
	case X509_V_ERR_CERT_NOT_YET_VALID:
		break;		/* judged apart, for every certificate */
	default:
		if (r->trust_error == 0) {
			r->trust_error = e;
			r->trust_depth = depth;
		}
	}
	return 1;	/* go on: we want every verdict, not the first failure */
}

static int
verify_run(X509_STORE *store, X509 *leaf, STACK_OF(X509) *untrusted, time_t now,
    struct verify_result *r, struct s2s_err *err)
{
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	int rc = 0;

	memset(r, 0, sizeof(*r));
	r->purpose_depth = -1;
	if (ctx == NULL || !X509_STORE_CTX_init(ctx, store, leaf, untrusted)) {
		rc = err_ssl(err, S2S_ENOMEM, "cannot set up chain verification");
		goto out;
	}
	X509_STORE_CTX_set_app_data(ctx, r);
	X509_STORE_CTX_set_verify_cb(ctx, verify_cb);
	X509_STORE_CTX_set_purpose(ctx, X509_PURPOSE_SSL_CLIENT);
	X509_VERIFY_PARAM_set_time(X509_STORE_CTX_get0_param(ctx), now);
	if (X509_verify_cert(ctx) < 0) {
		rc = err_ssl(err, S2S_EPARSE, "chain verification failed to run");
		goto out;
	}
	r->chain = X509_STORE_CTX_get1_chain(ctx);
	r->num_untrusted = X509_STORE_CTX_get_num_untrusted(ctx);
	if (r->chain == NULL)
		rc = err_set(err, S2S_ENOMEM, "out of memory");
out:
	ERR_clear_error();
	X509_STORE_CTX_free(ctx);
	return rc;
}

static void
verify_result_clear(struct verify_result *r)
{
	sk_X509_pop_free(r->chain, X509_free);
	r->chain = NULL;
}

/* Client purpose holds along the file's own chain, as a strict peer would see it. */
static int
chain_client_ok(const struct verify_result *r)
{
	return r->purpose_depth < 0;
}

static STACK_OF(X509) *
untrusted_of(const struct cert_chain *a, const struct cert_chain *b)
{
	const struct cert_chain *both[2] = { a, b };
	STACK_OF(X509) *s = sk_X509_new_null();
	size_t i, j;

	for (j = 0; s != NULL && j < 2; j++)
		for (i = 1; both[j] != NULL && i < cert_chain_count(both[j]); i++)
			if (sk_X509_push(s, cert_chain_get(both[j], i)) <= 0) {
				sk_X509_free(s);	/* lent certificates: free the stack only */
				return NULL;
			}
	return s;
}

static void
judge_trust(struct inspection *ins, const struct verify_result *r)
{
	ins->trusted = r->trust_error == 0;
	if (ins->trusted)
		return;
	snprintf(ins->trust_reason, sizeof(ins->trust_reason), "%s (at %s)",
	    X509_verify_cert_error_string(r->trust_error),
	    r->trust_depth >= 0 && (size_t)r->trust_depth < ins->ncerts ?
	    ins->certs[r->trust_depth].subject : "?");
}

static void
judge_purposes(struct inspection *ins, const struct verify_result *r)
{
	size_t i;

	ins->client.ok = r->purpose_depth < 0;
	ins->client.broken_at = r->purpose_depth;
	if (!ins->client.ok && (size_t)r->purpose_depth < ins->ncerts) {
		const struct cert_summary *b = &ins->certs[r->purpose_depth];

		snprintf(ins->client.reason, sizeof(ins->client.reason),
		    "%s %s has EKU %s without clientAuth",
		    r->purpose_depth == 0 ? "leaf" : "CA certificate", b->subject,
		    b->eku_present ? b->eku : "(none)");
	}
	ins->server.ok = 1;
	ins->server.broken_at = -1;
	for (i = 0; i < ins->ncerts; i++) {
		if (ins->certs[i].server_ok || ins->certs[i].from_store)
			continue;
		ins->server.ok = 0;
		ins->server.broken_at = (int)i;
		snprintf(ins->server.reason, sizeof(ins->server.reason),
		    "%s %s has EKU %s without serverAuth", i == 0 ? "leaf" : "CA certificate",
		    ins->certs[i].subject, ins->certs[i].eku);
		break;
	}
}

static void
judge_time(struct inspection *ins, time_t now)
{
	size_t i;

	ins->time_ok = 1;
	for (i = 0; i < ins->ncerts; i++) {
		const struct cert_summary *s = &ins->certs[i];
		const char *what = now < s->not_before ? "is not valid yet" :
		    now > s->not_after ? "has expired" : NULL;

		if (what == NULL)
			continue;
		ins->time_ok = 0;
		snprintf(ins->time_reason, sizeof(ins->time_reason), "%s %s",
		    s->subject, what);
		return;
	}
}

static int
judge_names(struct inspection *ins, X509 *leaf, const struct inspect_opts *opts)
{
	size_t i;

	names_list(leaf, ins->leaf_names, sizeof(ins->leaf_names));
	if (opts->ndomains == 0)
		return 0;
	if ((ins->names = mem_calloc(opts->ndomains, sizeof(*ins->names))) == NULL)
		return S2S_ENOMEM;
	ins->nnames = opts->ndomains;
	for (i = 0; i < opts->ndomains; i++)
		names_match(leaf, opts->domains[i], &ins->names[i]);
	return 0;
}

/* Words of a that are not in b, space separated, into out. */
static void
words_missing(const char *a, const char *b, char *out, size_t outsz)
{
	const char *p = a, *e;
	size_t used = 0;
	char w[256];

	out[0] = '\0';
	while (*p != '\0') {
		size_t n;

		e = strchr(p, ' ');
		n = e ? (size_t)(e - p) : strlen(p);
		if (n > 0 && n < sizeof(w)) {
			const char *hit;
			int found = 0;

			memcpy(w, p, n);
			w[n] = '\0';
			for (hit = strstr(b, w); hit != NULL && !found; hit = strstr(hit + 1, w))
				found = (hit == b || hit[-1] == ' ') &&
				    (hit[n] == ' ' || hit[n] == '\0');
			if (!found && used + n + 2 < outsz) {
				used += (size_t)snprintf(out + used, outsz - used, "%s%s",
				    used ? " " : "", w);
			}
		}
		p += n;
		while (*p == ' ')
			p++;
	}
}

static int
judge_diff(struct inspection *ins, const struct cert_chain *previous,
    const struct cert_chain *chain, X509_STORE *store, time_t now, struct s2s_err *err)
{
	struct inspect_diff *d = &ins->diff;
	X509 *old = cert_chain_get(previous, 0);
	struct cert_summary olds;
	struct verify_result r;
	STACK_OF(X509) *untrusted;
	char oldnames[1024];
	int rc;

	d->present = 1;
	summarize(old, now, 0, &olds);
	if ((untrusted = untrusted_of(previous, chain)) == NULL)
		return err_set(err, S2S_ENOMEM, "out of memory");
	rc = verify_run(store, old, untrusted, now, &r, err);
	sk_X509_free(untrusted);
	if (rc != 0)
		return rc;
	d->client_lost = chain_client_ok(&r) && !ins->client.ok;
	d->client_gained = !chain_client_ok(&r) && ins->client.ok;
	verify_result_clear(&r);
	snprintf(d->old_spki_sha256, sizeof(d->old_spki_sha256), "%s", olds.spki_sha256);
	snprintf(d->old_issuer, sizeof(d->old_issuer), "%s", olds.issuer);
	d->key_changed = strcmp(olds.spki_sha256, ins->certs[0].spki_sha256) != 0;
	d->issuer_changed = strcmp(olds.issuer, ins->certs[0].issuer) != 0;
	d->old_lifetime_days = (long)((olds.not_after - olds.not_before) / 86400);
	d->new_lifetime_days = (long)((ins->certs[0].not_after - ins->certs[0].not_before) / 86400);
	d->old_days_left = olds.days_left;
	names_list(old, oldnames, sizeof(oldnames));
	words_missing(ins->leaf_names, oldnames, d->names_added, sizeof(d->names_added));
	words_missing(oldnames, ins->leaf_names, d->names_removed, sizeof(d->names_removed));
	return 0;
}

/* A problem every peer refuses, whatever purpose it checks; 0 when none. */
static int
chain_problem(const struct inspection *ins, char *why, size_t sz)
{
	size_t i;

	if (!ins->order_ok)
		snprintf(why, sz, "the first certificate in the file is a CA certificate: the leaf must come first");
	else if (!ins->time_ok)
		snprintf(why, sz, "%s", ins->time_reason);
	else if (ins->key_checked && !ins->key_match)
		snprintf(why, sz, "the private key does not belong to the certificate");
	else if (!ins->trusted)
		snprintf(why, sz, "chain not trusted: %s", ins->trust_reason);
	else {
		for (i = 0; i < ins->nnames; i++)
			if (!ins->names[i].covered) {
				snprintf(why, sz, "does not cover %s", ins->names[i].domain);
				return 1;
			}
		return 0;
	}
	return 1;
}

static void
judge_verdict(struct inspection *ins)
{
	char *why = ins->verdict_reason;
	size_t sz = sizeof(ins->verdict_reason);

	ins->verdict = INSPECT_INVALID;
	if (chain_problem(ins, why, sz))
		return;
	if (!ins->server.ok) {
		snprintf(why, sz, "not usable as TLS server, and refused outbound by peers "
		    "judging the server purpose (Prosody, ejabberd >= 25.07 or patched): %s",
		    ins->server.reason);
	} else if (!ins->client.ok) {
		ins->verdict = INSPECT_SERVER_ONLY;
		snprintf(why, sz, "no clientAuth along the chain: %s", ins->client.reason);
	} else {
		ins->verdict = INSPECT_USABLE;
		snprintf(why, sz, "usable for s2s in both directions");
	}
}

/* What each peer family does when we connect with this chain. */
static void
judge_families(struct inspection *ins)
{
	const struct purpose_verdict *by[INSPECT_NFAMILIES] = {
		[PEER_FAMILY_CLIENT_PURPOSE] = &ins->client,
		[PEER_FAMILY_SERVER_PURPOSE] = &ins->server,
	};
	char why[sizeof(ins->families[0].reason)];
	int bad = chain_problem(ins, why, sizeof(why));
	size_t i;

	for (i = 0; i < INSPECT_NFAMILIES; i++) {
		struct family_verdict *f = &ins->families[i];

		f->accepts = !bad && by[i]->ok;
		snprintf(f->reason, sizeof(f->reason), "%s",
		    bad ? why : by[i]->ok ? "" : by[i]->reason);
	}
}

int
inspect_store_new(const char *ca_file, X509_STORE **out, struct s2s_err *err)
{
	X509_STORE *store = X509_STORE_new();

	*out = NULL;
	if (store == NULL)
		return err_set(err, S2S_ENOMEM, "out of memory");
	if (ca_file != NULL ? X509_STORE_load_file(store, ca_file) != 1 :
	    X509_STORE_set_default_paths(store) != 1) {
		X509_STORE_free(store);
		return err_ssl(err, S2S_EIO, "%s: cannot load CA certificates",
		    ca_file ? ca_file : "system trust store");
	}
	*out = store;
	return 0;
}

static int
fill_chain(struct inspection *ins, const struct verify_result *r, time_t now)
{
	int i, n = sk_X509_num(r->chain);

	if (n > (int)(sizeof(ins->certs) / sizeof(ins->certs[0])))
		n = (int)(sizeof(ins->certs) / sizeof(ins->certs[0]));
	for (i = 0; i < n; i++) {
		summarize(sk_X509_value(r->chain, i), now, i, &ins->certs[i]);
		ins->certs[i].from_store = i >= r->num_untrusted;
	}
	ins->ncerts = (size_t)n;
	return 0;
}

int
inspect_chain(const struct cert_chain *chain, EVP_PKEY *key,
    const struct cert_chain *previous, X509_STORE *store,
    const struct inspect_opts *opts, struct inspection **out, struct s2s_err *err)
{
	time_t now = opts->now ? opts->now : time(NULL);
	X509 *leaf = cert_chain_get(chain, 0);
	struct inspection *ins;
	struct verify_result r;
	int rc;

	*out = NULL;
	if ((ins = mem_calloc(1, sizeof(*ins))) == NULL)
		return err_set(err, S2S_ENOMEM, "out of memory");
	if ((rc = verify_run(store, leaf, cert_chain_extra_get(chain), now, &r, err)) != 0)
		goto out;
	fill_chain(ins, &r, now);
	ins->nunused = cert_chain_count(chain) - (size_t)(r.num_untrusted < 1 ? 1 : r.num_untrusted);
	ins->order_ok = !(X509_check_ca(leaf) > 0 && cert_chain_count(chain) > 1);
	judge_trust(ins, &r);
	judge_purposes(ins, &r);
	verify_result_clear(&r);
	judge_time(ins, now);
	if ((rc = judge_names(ins, leaf, opts)) != 0) {
		err_set(err, rc, "out of memory");
		goto out;
	}
	if (key != NULL) {
		ins->key_checked = 1;
		ins->key_match = X509_check_private_key(leaf, key) == 1;
		ERR_clear_error();
	}
	if (previous != NULL && (rc = judge_diff(ins, previous, chain, store, now, err)) != 0)
		goto out;
	judge_verdict(ins);
	judge_families(ins);
	*out = ins;
	ins = NULL;
out:
	inspection_free(ins);
	return rc;
}

int
inspect_files(const struct inspect_opts *opts, struct inspection **out, struct s2s_err *err)
{
	struct cert_chain *chain = NULL, *previous = NULL;
	X509_STORE *store = NULL;
	EVP_PKEY *key = NULL;
	int rc;

	*out = NULL;
	if ((rc = cert_chain_load(opts->cert_path, &chain, err)) != 0)
		goto out;
	if (opts->chain_path != NULL &&
	    (rc = cert_chain_append_file(chain, opts->chain_path, err)) != 0)
		goto out;
	if (opts->key_path != NULL && (rc = cert_key_load(opts->key_path, &key, err)) != 0)
		goto out;
	if (opts->previous_path != NULL &&
	    (rc = cert_chain_load(opts->previous_path, &previous, err)) != 0)
		goto out;
	if ((rc = inspect_store_new(opts->ca_file, &store, err)) != 0)
		goto out;
	rc = inspect_chain(chain, key, previous, store, opts, out, err);
out:
	X509_STORE_free(store);
	EVP_PKEY_free(key);
	cert_chain_free(previous);
	cert_chain_free(chain);
	return rc;
}

void
inspection_free(struct inspection *ins)
{
	if (ins == NULL)
		return;
	mem_free(ins->names);
	mem_free(ins);
}

const char *
inspect_verdict_name(enum inspect_verdict v)
{
	switch (v) {
	case INSPECT_USABLE:
		return "usable";
	case INSPECT_SERVER_ONLY:
		return "server-only";
	case INSPECT_INVALID:
		return "invalid";
	case INSPECT_UNREADABLE:
		return "unreadable";
	}
	return "unknown";
}

static const struct peer_family_info families[INSPECT_NFAMILIES] = {
	[PEER_FAMILY_CLIENT_PURPOSE] = { "client-purpose", "X509_PURPOSE_SSL_CLIENT",
	    "ejabberd < 25.07 unpatched (Debian 12: 23.01, bookworm-backports 24.12-3~bpo12+1), "
	    "Metronome <= 4.0.5" },
	[PEER_FAMILY_SERVER_PURPOSE] = { "server-purpose", "X509_PURPOSE_SSL_SERVER",
	    "ejabberd >= 25.07, Debian 13's ejabberd 24.12-3+deb13u2, Prosody 0.12 and 13" },
};

const struct peer_family_info *
inspect_family_info(enum peer_family f)
{
	return &families[f];
}
