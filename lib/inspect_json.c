/*
 * inspect_json.c: the "inspection" object of the shared JSON report.
 * Documented in s2sguard-inspect(1), REPORT.
 */
#include <time.h>

#include "inspect.h"
#include "report.h"

static json_t *
summary_to_json(const struct cert_summary *s)
{
	char nb[32], na[32];

	report_time_iso(s->not_before, nb, sizeof(nb));
	report_time_iso(s->not_after, na, sizeof(na));
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:I, s:s, s:s*, s:i, s:s, s:o, s:b, s:b, s:b, s:b}",
	    "subject", s->subject, "issuer", s->issuer, "serial", s->serial,
	    "not_before", nb, "not_after", na, "days_left", (json_int_t)s->days_left,
	    "key_type", s->key_type, "key_curve", s->key_detail[0] ? s->key_detail : NULL,
	    "key_bits", s->key_bits, "spki_sha256", s->spki_sha256,
	    "eku", s->eku_present ? report_split(s->eku, ',') : json_null(),
	    "ca", s->is_ca, "client_purpose_ok", s->client_ok,
	    "server_purpose_ok", s->server_ok, "trust_anchor", s->from_store);
}

static json_t *
purpose_to_json(const struct purpose_verdict *p)
{
	return json_pack("{s:b, s:o, s:s*}", "ok", p->ok,
	    "broken_at", p->broken_at >= 0 ? json_integer(p->broken_at) : json_null(),
	    "reason", p->ok ? NULL : p->reason);
}

static json_t *
families_to_json(const struct inspection *ins)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; a != NULL && i < INSPECT_NFAMILIES; i++) {
		const struct peer_family_info *f = inspect_family_info((enum peer_family)i);
		const struct family_verdict *v = &ins->families[i];

		json_array_append_new(a, json_pack("{s:s, s:s, s:s, s:b, s:s*}",
		    "family", f->name, "check", f->check, "peers", f->peers,
		    "accepts", v->accepts, "reason", v->accepts ? NULL : v->reason));
	}
	return a;
}

static json_t *
names_to_json(const struct inspection *ins)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; a != NULL && i < ins->nnames; i++) {
		const struct name_verdict *n = &ins->names[i];

		json_array_append_new(a, json_pack("{s:s, s:b, s:b, s:b, s:b, s:b}",
		    "domain", n->domain, "covered", n->covered, "dns_id", n->dns_id,
		    "srv_id", n->srv_id, "xmpp_addr", n->xmpp_addr, "cn_id", n->cn_id));
	}
	return a;
}

static json_t *
diff_to_json(const struct inspect_diff *d)
{
	if (!d->present)
		return json_null();
	return json_pack("{s:b, s:b, s:b, s:s, s:b, s:s, s:I, s:I, s:I, s:o, s:o}",
	    "client_auth_lost", d->client_lost, "client_auth_gained", d->client_gained,
	    "key_changed", d->key_changed, "old_spki_sha256", d->old_spki_sha256,
	    "issuer_changed", d->issuer_changed, "old_issuer", d->old_issuer,
	    "old_lifetime_days", (json_int_t)d->old_lifetime_days,
	    "new_lifetime_days", (json_int_t)d->new_lifetime_days,
	    "old_days_left", (json_int_t)d->old_days_left,
	    "names_added", report_split(d->names_added, ' '),
	    "names_removed", report_split(d->names_removed, ' '));
}

json_t *
inspect_to_json(const struct inspection *ins)
{
	json_t *certs = json_array();
	size_t i;

	for (i = 0; certs != NULL && i < ins->ncerts; i++)
		json_array_append_new(certs, summary_to_json(&ins->certs[i]));
	return json_pack("{s:s, s:i, s:s, s:o, s:I, s:b, s:b, s:s*, s:o, s:o, s:o, s:o, s:o, s:o, s:b, s:s*, s:o}",
	    "verdict", inspect_verdict_name(ins->verdict), "exit", (int)ins->verdict,
	    "reason", ins->verdict_reason, "certificates", certs,
	    "unused_certificates", (json_int_t)ins->nunused,
	    "leaf_first", ins->order_ok, "trusted", ins->trusted,
	    "trust_reason", ins->trusted ? NULL : ins->trust_reason,
	    "tls_client", purpose_to_json(&ins->client),
	    "tls_server", purpose_to_json(&ins->server),
	    "peer_families", families_to_json(ins),
	    "identities", report_split(ins->leaf_names, ' '),
	    "names", names_to_json(ins),
	    "key_match", ins->key_checked ? json_boolean(ins->key_match) : json_null(),
	    "time_valid", ins->time_ok, "time_reason", ins->time_ok ? NULL : ins->time_reason,
	    "changes", diff_to_json(&ins->diff));
}
