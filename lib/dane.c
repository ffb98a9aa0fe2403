/*
 * dane.c: TLSA names, validated lookups and verdicts for one domain.
 * See dane.h.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "dane.h"
#include "fsat.h"
#include "mem.h"
#include "report.h"
#include "srv.h"

#define DANE_ANCHOR_MAX		(1024 * 1024)	/* a trust anchor file */
#define DANE_RCODE_NXDOMAIN	3
#define DANE_TYPE_DNSKEY	48

/* One lookup of a parallel batch. */
struct dane_query {
	char			 name[DANE_NAME_MAX];
	int			 type;
	int			 id;
	int			 done;
	int			 status;
	struct resolver_answer	*ans;
	char			 msg[200];
};

const char *
dane_verdict_name(enum dane_verdict v)
{
	switch (v) {
	case DANE_NO_TLSA: return "no-tlsa";
	case DANE_INSECURE: return "insecure";
	case DANE_MATCHES_NEW: return "matches-new";
	case DANE_MATCHES_NEITHER: return "matches-neither";
	case DANE_MATCHES_DEPLOYED_ONLY: return "matches-deployed-only";
	case DANE_BOGUS: return "bogus";
	}
	return "unknown";
}

const char *
dane_security_name(enum resolver_security s)
{
	switch (s) {
	case RESOLVER_SECURE: return "secure";
	case RESOLVER_INSECURE: return "insecure";
	case RESOLVER_BOGUS: return "bogus";
	}
	return "unknown";
}

int
dane_rollover_ready(time_t first_seen, uint32_t ttl, time_t now)
{
	if (first_seen <= 0)
		return 0;
	return (int64_t)now >= dane_rollover_at(first_seen, ttl);
}

time_t
dane_rollover_at(time_t first_seen, uint32_t ttl)
{
	if (first_seen <= 0)
		return 0;
	return (time_t)((int64_t)first_seen + 2 * (int64_t)ttl);
}

void
dane_rollover_text(uint32_t ttl, char *buf, size_t len)
{
	snprintf(buf, len, "publish the new TLSA records beside the current ones; once they are "
	    "visible with a secure answer, wait at least twice their TTL (2 x %u s = %llu s), "
	    "then deploy the new certificate; remove the old records only after that",
	    ttl, 2ULL * ttl);
}

const char *
dane_key_advice(void)
{
	return "the private key changed with this renewal, so every 3 1 x record must change "
	    "too; keep the key across renewals instead: certbot --reuse-key (reuse_key = True "
	    "in the renewal configuration), acme.sh keeps it by default (do not use "
	    "--always-force-new-domain-key), dehydrated PRIVATE_KEY_RENEW=\"no\", "
	    "lego renew --reuse-key";
}

const char *
dane_issuer_advice(void)
{
	return "the issuing CA changed with this renewal, so every 2 x x record must change "
	    "too; CAs rotate their intermediates (Let's Encrypt issues from several at random), "
	    "so publish a 2 1 1 record for each intermediate the CA may use, or rely on "
	    "3 1 1 with a key kept across renewals";
}

void
dane_result_free(struct dane_result *res)
{
	size_t i, j;

	if (res == NULL)
		return;
	for (i = 0; i < res->nnames; i++) {
		for (j = 0; j < res->names[i].nrecords; j++)
			tlsa_record_clear(&res->names[i].records[j].rec);
		mem_free(res->names[i].records);
	}
	tlsa_record_clear(&res->publish[0]);
	tlsa_record_clear(&res->publish[1]);
	mem_free(res);
}

/* Does the anchor file anchor the root (a record owned by ".")? */
static int
dane_anchor_is_root(const char *path)
{
	unsigned char *text;
	const char *line;
	size_t len;
	int root = 0;

	if (fsat_read(AT_FDCWD, path, NULL, 0, DANE_ANCHOR_MAX, NULL, &text, &len, NULL) != 0)
		return 0;
	for (line = (const char *)text; line != NULL && !root;) {
		root = line[0] == '.' && (line[1] == ' ' || line[1] == '\t');
		if ((line = strchr(line, '\n')) != NULL)
			line++;
	}
	mem_free(text);
	return root;
}

/*
 * With the root anchored, the root DNSKEY must validate. A resolver that
 * strips or breaks DNSSEC would make every answer bogus, which says nothing
 * about what DANE peers see: refuse to judge instead.
 */
static int
dane_resolver_validates(struct resolver *r, const char *forwarder, const struct deadline *dl,
    struct s2s_err *err)
{
	struct resolver_answer *a;
	int rc;

	if ((rc = resolver_query(r, ".", DANE_TYPE_DNSKEY, dl, &a, err)) < 0)
		return err_prefix(err, "DNSSEC check of the resolver");
	if (a->security != RESOLVER_SECURE)
		rc = err_set(err, S2S_ENET, "resolver %s cannot serve DNSSEC for validation "
		    "(root DNSKEY: %s%s%s); DANE cannot be checked", forwarder ? forwarder :
		    "from /etc/resolv.conf", a->rcode == 2 ? "SERVFAIL" :
		    dane_security_name(a->security), a->why_bogus ? ": " : "",
		    a->why_bogus ? a->why_bogus : "");
	resolver_answer_free(a);
	return rc;
}

int
dane_resolver_new(const char *forwarder, const char *trust_anchor, const struct deadline *dl,
    struct resolver **out, struct s2s_err *err)
{
	const char *ta = trust_anchor != NULL ? trust_anchor : DANE_DEFAULT_TRUST_ANCHOR;
	int rc;

	*out = NULL;
	if (access(ta, R_OK) != 0)
		return err_set(err, errno == ENOENT ? S2S_ENOTFOUND : S2S_EIO,
		    "DNSSEC trust anchor %s: %s%s", ta, strerror(errno),
		    trust_anchor == NULL ? " (install dns-root-data or set the trust anchor)" : "");
	if ((rc = resolver_new(forwarder, ta, out, err)) < 0 || !dane_anchor_is_root(ta))
		return rc;
	if ((rc = dane_resolver_validates(*out, forwarder, dl, err)) < 0) {
		resolver_free(*out);
		*out = NULL;
	}
	return rc;
}

/* ---- judging one TLSA answer (pure) ---- */

static int
dane_match_records(struct dane_name *n, const struct resolver_answer *ans, X509 *new_leaf,
    STACK_OF(X509) *new_extra, X509 *dep_leaf, STACK_OF(X509) *dep_extra,
    struct s2s_err *err)
{
	size_t i, max = ans->n < DANE_MAX_RECORDS ? ans->n : DANE_MAX_RECORDS;
	struct dane_record *d;
	int rc;

	if (max == 0)
		return 0;
	if ((n->records = mem_calloc(max, sizeof(*n->records))) == NULL)
		return err_set(err, S2S_ENOMEM, "%s: out of memory", n->name);
	for (i = 0; i < max; i++) {
		d = &n->records[n->nrecords];
		if (tlsa_record_from_rdata(ans->rr[i].data, ans->rr[i].len, &d->rec, NULL) < 0)
			continue;	/* malformed: no peer can use it either */
		n->nrecords++;
		if ((rc = tlsa_match_chain(&d->rec, new_leaf, new_extra, &d->new_match, err)) < 0)
			return rc;
		if (dep_leaf != NULL && (rc = tlsa_match_chain(&d->rec, dep_leaf, dep_extra,
		    &d->deployed_match, err)) < 0)
			return rc;
	}
	return 0;
}

static enum dane_verdict
dane_records_verdict(const struct dane_name *n)
{
	int usable = 0, new_any = 0, dep_any = 0;
	size_t i;

	for (i = 0; i < n->nrecords; i++) {
		if (n->records[i].new_match.unusable)
			continue;
		usable = 1;
		new_any |= n->records[i].new_match.matched;
		dep_any |= n->records[i].deployed_match.matched;
	}
	if (!usable)
		return DANE_NO_TLSA;
	if (new_any)
		return DANE_MATCHES_NEW;
	return dep_any ? DANE_MATCHES_DEPLOYED_ONLY : DANE_MATCHES_NEITHER;
}

int
dane_judge_answer(struct dane_name *n, const struct resolver_answer *ans, const char *failure,
    X509 *new_leaf, STACK_OF(X509) *new_extra, X509 *dep_leaf, STACK_OF(X509) *dep_extra,
    struct s2s_err *err)
{
	int rc;

	n->records = NULL;
	n->nrecords = 0;
	n->why[0] = '\0';
	if (ans == NULL) {
		n->security = RESOLVER_BOGUS;
		n->verdict = DANE_BOGUS;
		snprintf(n->why, sizeof(n->why), "lookup failed: %s", failure ? failure : "?");
		return 0;
	}
	n->security = ans->security;
	n->ttl = ans->ttl;
	if (ans->security == RESOLVER_BOGUS) {
		n->verdict = DANE_BOGUS;
		snprintf(n->why, sizeof(n->why), "%s",
		    ans->why_bogus ? ans->why_bogus : "DNSSEC validation failed");
		return 0;
	}
	if (ans->rcode != 0 && ans->rcode != DANE_RCODE_NXDOMAIN) {
		n->verdict = DANE_BOGUS;
		snprintf(n->why, sizeof(n->why), "lookup failed: DNS rcode %d%s", ans->rcode,
		    ans->rcode == 2 ? " (SERVFAIL: a validating resolver's answer to bogus data)" : "");
		return 0;
	}
	if ((rc = dane_match_records(n, ans, new_leaf, new_extra, dep_leaf, dep_extra, err)) < 0)
		return rc;
	if (ans->security == RESOLVER_INSECURE) {
		n->verdict = DANE_INSECURE;
		if (n->nrecords > 0)
			snprintf(n->why, sizeof(n->why), "TLSA records are not DNSSEC-signed: "
			    "DANE peers ignore them");
		return 0;
	}
	n->verdict = dane_records_verdict(n);
	if (n->verdict == DANE_NO_TLSA && n->nrecords > 0)
		snprintf(n->why, sizeof(n->why), "no usable TLSA record");
	return 0;
}

/* A record of n matches both chains: the new one is covered by what was there. */
static int
dane_name_preexisting(const struct dane_name *n)
{
	size_t i;

	for (i = 0; i < n->nrecords; i++)
		if (n->records[i].new_match.matched && n->records[i].deployed_match.matched)
			return 1;
	return 0;
}

void
dane_summarize(struct dane_result *res)
{
	size_t i, in_force = 0, new_ok = 0, pre = 0;
	struct dane_name *n;

	res->verdict = DANE_NO_TLSA;
	res->ttl = 0;
	for (i = 0; i < res->nnames; i++) {
		n = &res->names[i];
		if (n->verdict > res->verdict)
			res->verdict = n->verdict;
		if (n->verdict == DANE_MATCHES_NEW || n->verdict == DANE_MATCHES_NEITHER ||
		    n->verdict == DANE_MATCHES_DEPLOYED_ONLY) {
			in_force++;
			new_ok += n->verdict == DANE_MATCHES_NEW;
			pre += n->verdict == DANE_MATCHES_NEW && dane_name_preexisting(n);
		}
		if (n->security == RESOLVER_SECURE && n->nrecords > 0 && n->ttl > res->ttl)
			res->ttl = n->ttl;
	}
	res->new_visible = in_force > 0 && new_ok == in_force;
	res->new_preexisting = res->new_visible && pre == in_force;
}

/* ---- the hook/check decision (pure) ---- */

int
dane_mode_parse(const char *s)
{
	if (strcmp(s, "off") == 0)
		return DANE_MODE_OFF;
	if (strcmp(s, "warn") == 0)
		return DANE_MODE_WARN;
	if (strcmp(s, "hold") == 0)
		return DANE_MODE_HOLD;
	return -1;
}

const char *
dane_action_name(enum dane_action a)
{
	switch (a) {
	case DANE_ACT_DEPLOY: return "deploy";
	case DANE_ACT_DEPLOY_WARN: return "deploy-warn";
	case DANE_ACT_HOLD: return "hold";
	}
	return "unknown";
}

/* The first name with the domain's verdict, for the reason text. */
static const struct dane_name *
dane_worst_name(const struct dane_result *res)
{
	size_t i;

	for (i = 0; i < res->nnames; i++)
		if (res->names[i].verdict == res->verdict)
			return &res->names[i];
	return NULL;
}

static void
dane_decide_problem(enum dane_mode mode, const struct dane_result *res,
    struct dane_decision *out)
{
	const struct dane_name *n = dane_worst_name(res);
	const char *name = n != NULL ? n->name : res->domain;

	out->action = mode == DANE_MODE_HOLD ? DANE_ACT_HOLD : DANE_ACT_DEPLOY_WARN;
	if (res->verdict == DANE_BOGUS)
		snprintf(out->reason, sizeof(out->reason), "DANE: %s is bogus (%s)", name,
		    n != NULL && n->why[0] ? n->why : "validation failed");
	else
		snprintf(out->reason, sizeof(out->reason), "DANE: %s matches only the deployed "
		    "certificate; publish the new TLSA records first", name);
}

/*
 * Names whose match for the new chain is a record that did not match the
 * deployed one: freshly published, so resolver caches may still hold the
 * RRset without it. 0 when nothing is deployed (nothing to break).
 */
static int
dane_fresh_records(const struct dane_result *res)
{
	size_t i;

	if (!res->deployed_given)
		return 0;
	for (i = 0; i < res->nnames; i++)
		if (res->names[i].verdict == DANE_MATCHES_NEW &&
		    !dane_name_preexisting(&res->names[i]))
			return 1;
	return 0;
}

/* Fresh records: deploy once they have been visible for 2 x TTL. 1 = wait. */
static int
dane_decide_wait(enum dane_mode mode, const struct dane_result *res, struct dane_state *st,
    time_t now, struct dane_decision *out)
{
	if (st->first_seen == 0)
		st->first_seen = res->checked_at;
	if (res->ttl > st->ttl)
		st->ttl = res->ttl;
	if (dane_rollover_ready(st->first_seen, st->ttl, now)) {
		snprintf(out->reason, sizeof(out->reason), "DANE: the new TLSA records have been "
		    "visible for at least 2 x %u s", st->ttl);
		return 0;
	}
	out->ready_at = dane_rollover_at(st->first_seen, st->ttl);
	out->action = mode == DANE_MODE_HOLD ? DANE_ACT_HOLD : DANE_ACT_DEPLOY_WARN;
	snprintf(out->reason, sizeof(out->reason), "DANE: the new TLSA records appeared "
	    "recently; caches may hold the old ones for %lld s more (2 x TTL %u s)",
	    (long long)(out->ready_at - now), st->ttl);
	return 1;
}

void
dane_decide(enum dane_mode mode, const struct dane_result *res, struct dane_state *st,
    time_t now, struct dane_decision *out)
{
	memset(out, 0, sizeof(*out));
	out->action = DANE_ACT_DEPLOY;
	if (mode == DANE_MODE_OFF) {
		snprintf(out->reason, sizeof(out->reason), "DANE check off");
		return;
	}
	if (res->verdict == DANE_MATCHES_DEPLOYED_ONLY || res->verdict == DANE_BOGUS) {
		st->first_seen = 0;	/* the new records are gone (or never came) */
		dane_decide_problem(mode, res, out);
		return;
	}
	/* from here every name is no-tlsa, insecure, matches-new or matches-neither */
	if (!dane_fresh_records(res))
		st->first_seen = 0;
	else if (dane_decide_wait(mode, res, st, now, out))
		return;
	if (res->verdict == DANE_MATCHES_NEITHER) {
		out->action = DANE_ACT_DEPLOY_WARN;
		snprintf(out->reason, sizeof(out->reason), "DANE: TLSA records match neither "
		    "certificate; DANE peers fail already, not because of this renewal");
	} else if (res->verdict == DANE_MATCHES_NEW && out->reason[0] == '\0') {
		snprintf(out->reason, sizeof(out->reason), "DANE: the TLSA records in place "
		    "match the new certificate");
	} else if (out->reason[0] == '\0') {
		snprintf(out->reason, sizeof(out->reason), "DANE not in force (%s)",
		    dane_verdict_name(res->verdict));
	}
}

/* ---- lookups ---- */

static void
dane_query_cb(void *arg, int status, struct resolver_answer *ans, const char *msg)
{
	struct dane_query *q = arg;

	q->done = 1;
	q->status = status;
	q->ans = ans;
	if (msg != NULL)
		snprintf(q->msg, sizeof(q->msg), "%s", msg);
}

static void
dane_query_fail(struct dane_query *q, int status, const char *msg)
{
	q->done = 1;
	q->status = status;
	snprintf(q->msg, sizeof(q->msg), "%s", msg);
}

/* Run the queries in parallel until all answered or dl passes. */
static void
dane_query_all(struct resolver *r, struct dane_query *q, size_t n, const struct deadline *dl)
{
	struct s2s_err e = { 0 };
	struct pollfd pfd;
	size_t i, pending = 0;
	int left;

	for (i = 0; i < n; i++) {
		if (resolver_query_async(r, q[i].name, q[i].type, dane_query_cb, &q[i], &q[i].id,
		    &e) < 0)
			dane_query_fail(&q[i], e.code, e.msg);
	}
	pfd.fd = resolver_fd(r);
	pfd.events = POLLIN;
	for (;;) {
		for (pending = 0, i = 0; i < n; i++)
			pending += !q[i].done;
		if (pending == 0)
			return;
		left = deadline_left_ms(dl);
		if (left == 0 || (poll(&pfd, 1, left) < 0 && errno != EINTR) ||
		    resolver_process(r, &e) < 0)
			break;
	}
	for (i = 0; i < n; i++)
		if (!q[i].done) {
			resolver_cancel(r, q[i].id);
			dane_query_fail(&q[i], left == 0 ? S2S_ETIMEOUT : S2S_ENET,
			    left == 0 ? "timed out" : "resolver failed");
		}
}

static struct dane_name *
dane_name_add(struct dane_result *res, const char *name, const char *via)
{
	struct dane_name *n;
	size_t i;
	int w;

	for (i = 0; i < res->nnames; i++)
		if (strcasecmp(res->names[i].name, name) == 0)
			return NULL;
	if (res->nnames == DANE_MAX_NAMES)
		return NULL;
	n = &res->names[res->nnames];
	memset(n, 0, sizeof(*n));
	w = snprintf(n->name, sizeof(n->name), "%s", name);
	if (w < 0 || (size_t)w >= sizeof(n->name))
		return NULL;
	snprintf(n->via, sizeof(n->via), "%s", via);
	res->nnames++;
	return n;
}

/* An SRV answer that stops DANE for its targets: one judged entry named after it. */
static int
dane_srv_problem(struct dane_result *res, const struct dane_query *q)
{
	struct dane_name *n;

	if (q->ans != NULL && q->ans->security != RESOLVER_BOGUS &&
	    (q->ans->rcode == 0 || q->ans->rcode == DANE_RCODE_NXDOMAIN)) {
		if (q->ans->n == 0 || q->ans->security == RESOLVER_SECURE)
			return 0;	/* no such SRV, or usable targets */
		if ((n = dane_name_add(res, q->name, "")) != NULL) {
			n->verdict = DANE_INSECURE;
			n->security = RESOLVER_INSECURE;
			n->ttl = q->ans->ttl;
			snprintf(n->why, sizeof(n->why), "SRV answer is not DNSSEC-signed: "
			    "peers use no DANE for its targets");
		}
		return 1;
	}
	/* bogus, SERVFAIL or no answer: peers give up (dane_judge_answer sets why) */
	if ((n = dane_name_add(res, q->name, "")) != NULL)
		dane_judge_answer(n, q->ans, q->msg, NULL, NULL, NULL, NULL, NULL);
	return 1;
}

/*
 * TLSA names of a secure SRV answer. Returns 1 when the answer settles where
 * peers connect: any _xmpp-server record (a lone "." means no s2s service at
 * all), or an _xmpps-server record other than "." (which only means no
 * direct TLS, RFC 6120 3.2.1 and XEP-0368).
 */
static int
dane_srv_targets(struct dane_result *res, const struct dane_query *q, int direct)
{
	struct srv_record rec;
	char name[DANE_NAME_MAX];
	int w, settles = !direct && q->ans->n > 0;
	size_t i;

	for (i = 0; i < q->ans->n; i++) {
		if (srv_parse(q->ans->rr[i].data, q->ans->rr[i].len, direct, &rec, NULL) < 0 ||
		    strcmp(rec.target, ".") == 0)
			continue;
		settles = 1;
		w = snprintf(name, sizeof(name), "_%u._tcp.%s", (unsigned)rec.port, rec.target);
		if (w > 0 && (size_t)w < sizeof(name))
			dane_name_add(res, name, q->name);
	}
	return settles;
}

/*
 * Fill res->names. The _5269._tcp.DOMAIN TLSA lookup runs beside the SRV
 * lookups (one round trip less without SRV); when that fallback name is the
 * one peers use, its lookup is handed to the caller in *fb (fb->done set).
 */
static void
dane_find_names(struct resolver *r, struct dane_result *res, const struct deadline *dl,
    struct dane_query *fb)
{
	struct dane_query q[3];
	int any_srv = 0, problem = 0;
	size_t i;

	memset(q, 0, sizeof(q));
	memset(fb, 0, sizeof(*fb));
	snprintf(q[0].name, sizeof(q[0].name), "_xmpp-server._tcp.%s", res->domain);
	snprintf(q[1].name, sizeof(q[1].name), "_xmpps-server._tcp.%s", res->domain);
	snprintf(q[2].name, sizeof(q[2].name), "_%d._tcp.%s", XMPP_S2S_PORT, res->domain);
	q[0].type = q[1].type = RESOLVER_TYPE_SRV;
	q[2].type = RESOLVER_TYPE_TLSA;
	dane_query_all(r, q, 3, dl);
	for (i = 0; i < 2; i++) {
		if (dane_srv_problem(res, &q[i]))
			problem = 1;
		else if (q[i].ans->security == RESOLVER_SECURE)
			any_srv |= dane_srv_targets(res, &q[i], i == 1);
		resolver_answer_free(q[i].ans);
	}
	if (!any_srv && !problem && dane_name_add(res, q[2].name, "") != NULL) {
		*fb = q[2];
		return;
	}
	resolver_answer_free(q[2].ans);
}

/* Records to publish for the new chain; what changed against the deployed one. */
static int
dane_compare_chains(struct dane_result *res, X509 *new_leaf, STACK_OF(X509) *new_extra,
    X509 *dep_leaf, STACK_OF(X509) *dep_extra, struct s2s_err *err)
{
	struct tlsa_record dep[2];
	size_t ndep;
	int rc;

	if ((rc = tlsa_records_for_chain(new_leaf, new_extra, res->publish, &res->npublish,
	    err)) < 0 || dep_leaf == NULL)
		return rc;
	if ((rc = tlsa_records_for_chain(dep_leaf, dep_extra, dep, &ndep, err)) < 0)
		return rc;
	res->key_changed = !tlsa_record_equal(&res->publish[0], &dep[0]);
	res->issuer_changed = res->npublish != ndep ||
	    (ndep == 2 && !tlsa_record_equal(&res->publish[1], &dep[1]));
	tlsa_record_clear(&dep[0]);
	tlsa_record_clear(&dep[1]);
	return 0;
}

struct dane_chains {
	X509		*new_leaf, *dep_leaf;
	STACK_OF(X509)	*new_extra, *dep_extra;
};

/* Look up and judge every TLSA name (SRV problem entries come judged, with a why). */
static int
dane_lookup_tlsa(struct resolver *r, struct dane_result *res, const struct dane_chains *c,
    const struct deadline *dl, struct s2s_err *err)
{
	struct dane_query q[DANE_MAX_NAMES];
	size_t i, n = 0, idx[DANE_MAX_NAMES];
	int rc = 0;

	memset(q, 0, sizeof(q));
	for (i = 0; i < res->nnames; i++) {
		if (res->names[i].why[0] != '\0')
			continue;
		snprintf(q[n].name, sizeof(q[n].name), "%s", res->names[i].name);
		q[n].type = RESOLVER_TYPE_TLSA;
		idx[n++] = i;
	}
	dane_query_all(r, q, n, dl);
	for (i = 0; i < n; i++) {
		if (rc == 0)
			rc = dane_judge_answer(&res->names[idx[i]], q[i].ans, q[i].msg,
			    c->new_leaf, c->new_extra, c->dep_leaf, c->dep_extra, err);
		resolver_answer_free(q[i].ans);
	}
	return rc;
}

/* The names, their lookups and verdicts. */
static int
dane_resolve_and_judge(struct resolver *r, struct dane_result *res, const struct dane_chains *c,
    const struct deadline *dl, struct s2s_err *err)
{
	struct dane_query fb;
	int rc;

	dane_find_names(r, res, dl, &fb);
	if (!fb.done)
		return dane_lookup_tlsa(r, res, c, dl, err);
	/* no SRV: the one name is the fallback, already looked up */
	rc = dane_judge_answer(&res->names[0], fb.ans, fb.msg, c->new_leaf, c->new_extra,
	    c->dep_leaf, c->dep_extra, err);
	resolver_answer_free(fb.ans);
	return rc;
}

/* A host name in ASCII (A-labels for IDN): labels of letters, digits, '-' and '_'. */
static int
dane_domain_ok(const char *d)
{
	size_t label = 0, i, len = strlen(d);

	if (len == 0 || len > 253 || d[0] == '.')
		return 0;
	for (i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)d[i];

		if (ch == '.') {
			if (label == 0 && i + 1 < len)
				return 0;	/* empty label */
			label = 0;
		} else if (isalnum(ch) || ch == '-' || ch == '_') {
			if (++label > 63)
				return 0;
		} else {
			return 0;
		}
	}
	return 1;
}

int
dane_check(struct resolver *r, const char *domain, const struct cert_chain *new_chain,
    const struct cert_chain *deployed, const struct deadline *dl, time_t now,
    struct dane_result **out, struct s2s_err *err)
{
	struct dane_chains c = { 0 };
	struct dane_result *res;
	int rc, w;

	*out = NULL;
	if (new_chain == NULL)
		return err_set(err, S2S_EINVAL, "DANE check: no new certificate");
	if (domain == NULL || !dane_domain_ok(domain))
		return err_set(err, S2S_EINVAL, "DANE check: \"%.80s\" is not a domain name "
		    "(IDNs in their xn-- form)", domain ? domain : "");
	c.new_leaf = cert_chain_get(new_chain, 0);
	c.new_extra = cert_chain_extra_get(new_chain);
	if (deployed != NULL) {
		c.dep_leaf = cert_chain_get(deployed, 0);
		c.dep_extra = cert_chain_extra_get(deployed);
	}
	if (c.new_leaf == NULL || c.new_extra == NULL || (deployed != NULL &&
	    (c.dep_leaf == NULL || c.dep_extra == NULL)))
		return err_set(err, S2S_ENOMEM, "%s: DANE check: out of memory", domain);
	if ((res = mem_calloc(1, sizeof(*res))) == NULL)
		return err_set(err, S2S_ENOMEM, "%s: DANE check: out of memory", domain);
	w = snprintf(res->domain, sizeof(res->domain), "%s", domain);
	if (w > 0 && res->domain[w - 1] == '.')
		res->domain[w - 1] = '\0';
	res->checked_at = now != 0 ? now : time(NULL);
	res->deployed_given = deployed != NULL;
	if ((rc = dane_compare_chains(res, c.new_leaf, c.new_extra, c.dep_leaf, c.dep_extra,
	    err)) < 0 || (rc = dane_resolve_and_judge(r, res, &c, dl, err)) < 0)
		goto fail;
	dane_summarize(res);
	*out = res;
	return 0;
fail:
	err_prefix(err, "%s", domain);
	dane_result_free(res);
	return rc;
}

/* ---- the "dane" report object ---- */

/* A JSON string, or null for NULL (jansson's "s*" would drop the key). */
static json_t *
dane_str_or_null(const char *s)
{
	return s != NULL ? json_string(s) : json_null();
}

static json_t *
dane_record_json(const struct dane_record *d, int with_deployed)
{
	char *text = tlsa_record_text_new(&d->rec);
	json_t *o;

	if (text == NULL)
		return NULL;
	o = json_pack("{s:s, s:s, s:b, s:o, s:o, s:b, s:b}",
	    "record", text, "usage", tlsa_usage_name(d->rec.usage),
	    "matches_new", d->new_match.matched,
	    "matches_deployed", with_deployed ? json_boolean(d->deployed_match.matched) : json_null(),
	    "depth", d->new_match.matched ? json_integer(d->new_match.depth) : json_null(),
	    "pkix_bound", d->new_match.pkix_bound, "unusable", d->new_match.unusable);
	mem_free(text);
	return o;
}

static json_t *
dane_name_json(const struct dane_name *n, int with_deployed)
{
	json_t *recs = json_array(), *o;
	size_t i;

	for (i = 0; recs != NULL && i < n->nrecords; i++)
		if (json_array_append_new(recs, dane_record_json(&n->records[i], with_deployed)) != 0) {
			json_decref(recs);
			return NULL;
		}
	if (recs == NULL)
		return NULL;
	o = json_pack("{s:s, s:o, s:s, s:I, s:s, s:o, s:o}",
	    "name", n->name, "via", dane_str_or_null(n->via[0] ? n->via : NULL),
	    "security", dane_security_name(n->security), "ttl", (json_int_t)n->ttl,
	    "verdict", dane_verdict_name(n->verdict),
	    "why", dane_str_or_null(n->why[0] ? n->why : NULL),
	    "records", recs);
	return o;
}

/* The new chain's records as text: ["3 1 1 ...", "2 1 1 ..."]. */
static json_t *
dane_new_records_json(const struct dane_result *res)
{
	json_t *a = json_array();
	char *text;
	size_t i;

	for (i = 0; a != NULL && i < res->npublish; i++) {
		if ((text = tlsa_record_text_new(&res->publish[i])) == NULL ||
		    json_array_append_new(a, json_string(text)) != 0) {
			mem_free(text);
			json_decref(a);
			return NULL;
		}
		mem_free(text);
	}
	return a;
}

/*
 * What to add now at each name where DANE is in force: 3 1 1 of the new
 * leaf where EE records are used and none matches it yet, 2 1 1 of the new
 * issuer where TA records are used and none matches the new chain.
 */
static int
dane_publish_name(json_t *a, const struct dane_result *res, const struct dane_name *n)
{
	int ee = 0, ta = 0, ee_ok = 0, ta_ok = 0, rc = 0;
	const struct dane_record *d;
	char *text;
	size_t i;

	for (i = 0; i < n->nrecords; i++) {
		d = &n->records[i];
		if (d->new_match.unusable)
			continue;
		if (d->rec.usage == TLSA_USAGE_DANE_EE || d->rec.usage == TLSA_USAGE_PKIX_EE) {
			ee = 1;
			ee_ok |= d->new_match.matched;
		} else {
			ta = 1;
			ta_ok |= d->new_match.matched;
		}
	}
	for (i = 0; i < res->npublish && rc == 0; i++) {
		if (i == 0 ? !(ee && !ee_ok) : !(ta && !ta_ok))
			continue;
		if ((text = tlsa_record_text_new(&res->publish[i])) == NULL)
			return -1;
		rc = json_array_append_new(a, json_pack("{s:s, s:s}", "name", n->name,
		    "record", text));
		mem_free(text);
	}
	return rc;
}

static json_t *
dane_publish_json(const struct dane_result *res)
{
	json_t *a = json_array();
	const struct dane_name *n;
	size_t i;

	for (i = 0; a != NULL && i < res->nnames; i++) {
		n = &res->names[i];
		if (n->verdict != DANE_MATCHES_DEPLOYED_ONLY && n->verdict != DANE_MATCHES_NEITHER)
			continue;
		if (dane_publish_name(a, res, n) != 0) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

static json_t *
dane_keep_json(const struct dane_result *res)
{
	json_t *a = json_array();
	const struct dane_record *d;
	char *text;
	size_t i, j;

	for (i = 0; a != NULL && i < res->nnames; i++)
		for (j = 0; j < res->names[i].nrecords; j++) {
			d = &res->names[i].records[j];
			if (!d->deployed_match.matched)
				continue;
			if ((text = tlsa_record_text_new(&d->rec)) == NULL) {
				json_decref(a);
				return NULL;
			}
			json_array_append_new(a, json_pack("{s:s, s:s}", "name",
			    res->names[i].name, "record", text));
			mem_free(text);
		}
	return a;
}

/* Any usable TA record (usage 0 or 2) at a name? */
static int
dane_uses_ta(const struct dane_result *res)
{
	const struct dane_record *d;
	size_t i, j;

	for (i = 0; i < res->nnames; i++)
		for (j = 0; j < res->names[i].nrecords; j++) {
			d = &res->names[i].records[j];
			if (!d->new_match.unusable && (d->rec.usage == TLSA_USAGE_DANE_TA ||
			    d->rec.usage == TLSA_USAGE_PKIX_TA))
				return 1;
		}
	return 0;
}

/* What changed and how to avoid it next time, for a regression; else null. */
static json_t *
dane_advice_json(const struct dane_result *res, int regression)
{
	int key = regression && res->key_changed;
	int ca = regression && res->issuer_changed && dane_uses_ta(res);
	char buf[1024];

	if (!key && !ca)
		return json_null();
	snprintf(buf, sizeof(buf), "%s%s%s", key ? dane_key_advice() : "",
	    key && ca ? "; " : "", ca ? dane_issuer_advice() : "");
	return json_string(buf);
}

json_t *
dane_to_json(const struct dane_result *res)
{
	int with_deployed = res->deployed_given;
	int regression = res->verdict == DANE_MATCHES_DEPLOYED_ONLY;
	json_t *names = json_array(), *o;
	char when[32], rule[400];
	size_t i;

	for (i = 0; names != NULL && i < res->nnames; i++)
		if (json_array_append_new(names, dane_name_json(&res->names[i], with_deployed)) != 0) {
			json_decref(names);
			return NULL;
		}
	if (names == NULL)
		return NULL;
	report_time_iso(res->checked_at, when, sizeof(when));
	dane_rollover_text(res->ttl, rule, sizeof(rule));
	o = json_pack("{s:s, s:s, s:b, s:o, s:o, s:o, s:o, s:b, s:b, s:b, s:b, s:I, s:s, s:o, s:o}",
	    "domain", res->domain, "verdict", dane_verdict_name(res->verdict),
	    "regression", regression, "names", names, "new_records", dane_new_records_json(res),
	    "publish", dane_publish_json(res), "keep", dane_keep_json(res),
	    "key_changed", res->key_changed, "issuer_changed", res->issuer_changed,
	    "new_visible", res->new_visible, "new_preexisting", res->new_preexisting,
	    "ttl", (json_int_t)res->ttl,
	    "checked_at", when, "rollover", dane_str_or_null(regression ? rule : NULL),
	    "advice", dane_advice_json(res, regression));
	return o;
}
