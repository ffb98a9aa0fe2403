/*
 * report_inspect.c: the human rendering of an "inspection" section.
 */
#include <string.h>

#include "report.h"

static const char *
str(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : "";
}

static void
join(const json_t *arr, const char *sep, char *buf, size_t bufsz)
{
	size_t i, used = 0;
	int n;

	buf[0] = '\0';
	for (i = 0; i < json_array_size(arr); i++) {
		n = snprintf(buf + used, bufsz - used, "%s%s", i ? sep : "",
		    json_string_value(json_array_get(arr, i)));
		if (n < 0 || (size_t)n >= bufsz - used)
			return;
		used += (size_t)n;
	}
}

static void
render_cert(FILE *fp, size_t i, const json_t *c)
{
	const json_t *eku = json_object_get(c, "eku");
	char ekus[256];

	if (json_is_array(eku))
		join(eku, ", ", ekus, sizeof(ekus));
	else
		snprintf(ekus, sizeof(ekus), "(none: any purpose)");
	fprintf(fp, "  [%zu] %s%s\n", i, str(c, "subject"),
	    json_is_true(json_object_get(c, "trust_anchor")) ? "  (trust anchor)" : "");
	fprintf(fp, "      issuer   %s\n", str(c, "issuer"));
	fprintf(fp, "      serial   %s\n", str(c, "serial"));
	fprintf(fp, "      valid    %s .. %s (%lld days left)\n", str(c, "not_before"),
	    str(c, "not_after"), (long long)json_integer_value(json_object_get(c, "days_left")));
	fprintf(fp, "      key      %s %s %lld bits\n", str(c, "key_type"), str(c, "key_curve"),
	    (long long)json_integer_value(json_object_get(c, "key_bits")));
	fprintf(fp, "      spki     %s  (DANE 3 1 1)\n", str(c, "spki_sha256"));
	fprintf(fp, "      eku      %s\n", ekus);
}

static void
render_purpose(FILE *fp, const char *label, const json_t *p)
{
	int ok = json_is_true(json_object_get(p, "ok"));

	fprintf(fp, "  %-28s %s%s%s\n", label, ok ? "ok" : "FAIL", ok ? "" : ": ",
	    ok ? "" : str(p, "reason"));
}

/* One line per peer family: what it does when we connect with this chain. */
static void
render_families(FILE *fp, const json_t *fams)
{
	size_t i;

	if (json_array_size(fams) == 0)
		return;
	fprintf(fp, "Peer families (when this server connects to them with this chain):\n");
	for (i = 0; i < json_array_size(fams); i++) {
		const json_t *f = json_array_get(fams, i);
		int ok = json_is_true(json_object_get(f, "accepts"));
		char label[64];
		const char *p;

		snprintf(label, sizeof(label), "%s", str(f, "family"));
		if ((p = strchr(label, '-')) != NULL)
			label[p - label] = ' ';
		fprintf(fp, "  %-28s %s%s%s\n", label, ok ? "accepts" : "REFUSES",
		    ok ? "" : ": ", ok ? "" : str(f, "reason"));
		fprintf(fp, "  %-28s %s (%s)\n", "", str(f, "peers"), str(f, "check"));
	}
}

static void
render_names(FILE *fp, const json_t *names)
{
	size_t i;

	for (i = 0; i < json_array_size(names); i++) {
		const json_t *n = json_array_get(names, i);
		char how[64] = "";

		snprintf(how, sizeof(how), "%s%s%s%s",
		    json_is_true(json_object_get(n, "dns_id")) ? " DNS-ID" : "",
		    json_is_true(json_object_get(n, "srv_id")) ? " SRV-ID" : "",
		    json_is_true(json_object_get(n, "xmpp_addr")) ? " XmppAddr" : "",
		    json_is_true(json_object_get(n, "cn_id")) ? " CN" : "");
		fprintf(fp, "  %-28s %s%s\n", str(n, "domain"),
		    json_is_true(json_object_get(n, "covered")) ? "ok:" : "FAIL: not covered",
		    how);
	}
}

static void
render_changes(FILE *fp, const json_t *d)
{
	char list[512];

	if (!json_is_object(d))
		return;
	fprintf(fp, "Changes against the deployed certificate:\n");
	if (json_is_true(json_object_get(d, "client_auth_lost")))
		fprintf(fp, "  clientAuth LOST: peers that check the client purpose (ejabberd < 25.07 unpatched, Metronome) will refuse it\n");
	if (json_is_true(json_object_get(d, "client_auth_gained")))
		fprintf(fp, "  clientAuth gained\n");
	if (json_is_true(json_object_get(d, "key_changed")))
		fprintf(fp, "  key changed: DANE 3 1 1 records for %s stop matching\n",
		    str(d, "old_spki_sha256"));
	if (json_is_true(json_object_get(d, "issuer_changed")))
		fprintf(fp, "  issuer changed (was %s): DANE 2 x x records may stop matching\n",
		    str(d, "old_issuer"));
	join(json_object_get(d, "names_added"), " ", list, sizeof(list));
	if (list[0])
		fprintf(fp, "  names added: %s\n", list);
	join(json_object_get(d, "names_removed"), " ", list, sizeof(list));
	if (list[0])
		fprintf(fp, "  names REMOVED: %s\n", list);
	fprintf(fp, "  lifetime: %lld days (was %lld)\n",
	    (long long)json_integer_value(json_object_get(d, "new_lifetime_days")),
	    (long long)json_integer_value(json_object_get(d, "old_lifetime_days")));
}

void
report_render_inspection(FILE *fp, const json_t *ins)
{
	const json_t *certs = json_object_get(ins, "certificates"), *km;
	char ids[1024];
	size_t i;

	fprintf(fp, "Certificate chain (as a peer builds it, leaf first):\n");
	for (i = 0; i < json_array_size(certs); i++)
		render_cert(fp, i, json_array_get(certs, i));
	join(json_object_get(ins, "identities"), " ", ids, sizeof(ids));
	fprintf(fp, "  identities %s\n", ids);
	fprintf(fp, "Verdicts:\n");
	render_purpose(fp, "TLS client (s2s outbound)", json_object_get(ins, "tls_client"));
	render_purpose(fp, "TLS server (s2s inbound)", json_object_get(ins, "tls_server"));
	fprintf(fp, "  %-28s %s%s\n", "chain", json_is_true(json_object_get(ins, "trusted")) ?
	    "trusted" : "NOT TRUSTED: ", str(ins, "trust_reason"));
	if (!json_is_true(json_object_get(ins, "leaf_first")))
		fprintf(fp, "  %-28s FAIL: a CA certificate comes first in the file\n", "order");
	render_names(fp, json_object_get(ins, "names"));
	km = json_object_get(ins, "key_match");
	if (json_is_boolean(km))
		fprintf(fp, "  %-28s %s\n", "private key", json_is_true(km) ? "matches" :
		    "DOES NOT MATCH the certificate");
	fprintf(fp, "  %-28s %s\n", "validity", json_is_true(json_object_get(ins, "time_valid")) ?
	    "ok" : str(ins, "time_reason"));
	render_families(fp, json_object_get(ins, "peer_families"));
	render_changes(fp, json_object_get(ins, "changes"));
	fprintf(fp, "Verdict: %s: %s\n", str(ins, "verdict"), str(ins, "reason"));
}
