/*
 * report_probe.c: the human rendering of a "probes" section (and its
 * "summary"): one row per peer, the peer's own words under it.
 */
#include <string.h>

#include "report.h"

static const char *
pstr(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : "";
}

static void
render_row(FILE *fp, const json_t *p)
{
	const json_t *b = json_object_get(p, "baseline");
	const json_t *total = json_object_get(json_object_get(p, "timing_ms"), "total");
	char addr[80] = "-";

	if (pstr(p, "address")[0] != '\0')
		snprintf(addr, sizeof(addr), strchr(pstr(p, "address"), ':') ? "[%s]:%d" : "%s:%d",
		    pstr(p, "address"), (int)json_integer_value(json_object_get(p, "port")));
	fprintf(fp, "%-28s %-24s %-10s %-14s %6lld ms%s\n", pstr(p, "peer"), addr,
	    pstr(p, "address")[0] != '\0' ? pstr(p, "transport") : "-", pstr(p, "verdict"),
	    json_is_integer(total) ? (long long)json_integer_value(total) : -1LL,
	    json_is_true(json_object_get(p, "regression")) ? "  REGRESSION" : "");
	if (pstr(p, "reason")[0] != '\0' && strcmp(pstr(p, "verdict"), "accepted") != 0)
		fprintf(fp, "    %s\n", pstr(p, "reason"));
	if (strcmp(pstr(p, "peer_cert"), "trusted") != 0 &&
	    strcmp(pstr(p, "peer_cert"), "unknown") != 0)
		fprintf(fp, "    peer's own certificate: %s%s%s\n", pstr(p, "peer_cert"),
		    pstr(p, "peer_cert_detail")[0] ? ": " : "", pstr(p, "peer_cert_detail"));
	if (json_is_object(b))
		fprintf(fp, "    baseline certificate: %s%s%s\n", pstr(b, "verdict"),
		    strcmp(pstr(b, "verdict"), "accepted") != 0 ? ": " : "",
		    strcmp(pstr(b, "verdict"), "accepted") != 0 ? pstr(b, "reason") : "");
}

void
report_render_probes(FILE *fp, const json_t *probes, const json_t *summary)
{
	const json_t *by = json_object_get(summary, "verdicts"), *v;
	const char *name;
	size_t i;
	int first = 1;

	fprintf(fp, "%-28s %-24s %-10s %-14s %9s\n", "PEER", "ADDRESS", "TRANSPORT",
	    "VERDICT", "TIME");
	for (i = 0; i < json_array_size(probes); i++)
		render_row(fp, json_array_get(probes, i));
	if (!json_is_object(summary))
		return;
	fprintf(fp, "\n%lld peers:", (long long)json_integer_value(json_object_get(summary, "peers")));
	json_object_foreach((json_t *)by, name, v) {
		if (json_integer_value(v) == 0)
			continue;
		fprintf(fp, "%s %lld %s", first ? "" : ",", (long long)json_integer_value(v), name);
		first = 0;
	}
	fprintf(fp, "; %lld regressions%s\n",
	    (long long)json_integer_value(json_object_get(summary, "regressions")),
	    json_is_true(json_object_get(summary, "deadline_hit")) ? "; deadline hit" : "");
}
