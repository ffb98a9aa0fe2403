/*
 * report_dane.c: the human rendering of a "dane" section (dane_to_json).
 */
#include <string.h>

#include "report.h"

static const char *
dstr(const json_t *o, const char *key, const char *dflt)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : dflt;
}

static const char *
dane_meaning(const char *verdict)
{
	static const struct { const char *v, *m; } m[] = {
		{ "no-tlsa", "no TLSA records: DANE not in force" },
		{ "insecure", "not DNSSEC-signed: DANE not in force" },
		{ "matches-new", "the new certificate matches: safe to deploy" },
		{ "matches-neither", "matches neither certificate: already broken, "
		    "not by this renewal" },
		{ "matches-deployed-only", "only the deployed certificate matches: "
		    "deploying now breaks DANE peers" },
		{ "bogus", "DNSSEC validation or lookup failed: DANE peers cannot connect" },
	};
	size_t i;

	for (i = 0; i < sizeof(m) / sizeof(m[0]); i++)
		if (strcmp(m[i].v, verdict) == 0)
			return m[i].m;
	return "";
}

static void
render_record(FILE *fp, const json_t *r)
{
	const json_t *dep = json_object_get(r, "matches_deployed");
	const char *rec = dstr(r, "record", "?");
	int n = (int)strlen(rec);

	fprintf(fp, "      %.*s%s  %s%s%s%s\n", n > 80 ? 77 : n, rec, n > 80 ? "..." : "",
	    json_is_true(json_object_get(r, "matches_new")) ? "new" : "",
	    json_is_true(json_object_get(r, "matches_new")) && json_is_true(dep) ? "+" : "",
	    json_is_true(dep) ? "deployed" : "",
	    json_is_true(json_object_get(r, "unusable")) ? "(unusable)" :
	    (!json_is_true(json_object_get(r, "matches_new")) && !json_is_true(dep)) ?
	    "no match" : "");
}

static void
render_name(FILE *fp, const json_t *n)
{
	const json_t *recs = json_object_get(n, "records");
	size_t i;

	fprintf(fp, "  %-40s %-9s %6lld  %s\n", dstr(n, "name", "?"), dstr(n, "security", "?"),
	    (long long)json_integer_value(json_object_get(n, "ttl")), dstr(n, "verdict", "?"));
	if (json_is_string(json_object_get(n, "via")))
		fprintf(fp, "      via SRV %s\n", dstr(n, "via", ""));
	if (json_is_string(json_object_get(n, "why")))
		fprintf(fp, "      %s\n", dstr(n, "why", ""));
	for (i = 0; i < json_array_size(recs); i++)
		render_record(fp, json_array_get(recs, i));
}

static void
render_list(FILE *fp, const char *title, const json_t *a)
{
	size_t i;

	if (json_array_size(a) == 0)
		return;
	fprintf(fp, "  %s\n", title);
	for (i = 0; i < json_array_size(a); i++)
		fprintf(fp, "    %s. IN TLSA %s\n", dstr(json_array_get(a, i), "name", "?"),
		    dstr(json_array_get(a, i), "record", "?"));
}

void
report_render_dane(FILE *fp, const json_t *dane)
{
	const json_t *names = json_object_get(dane, "names");
	const char *verdict = dstr(dane, "verdict", "?");
	size_t i;

	fprintf(fp, "DANE %s: %s (%s)\n", dstr(dane, "domain", "?"), verdict,
	    dane_meaning(verdict));
	fprintf(fp, "  %-40s %-9s %6s  %s\n", "TLSA NAME", "DNSSEC", "TTL", "VERDICT");
	for (i = 0; i < json_array_size(names); i++)
		render_name(fp, json_array_get(names, i));
	render_list(fp, "Publish now, beside the current records:", json_object_get(dane, "publish"));
	render_list(fp, "Keep until the new certificate is deployed:", json_object_get(dane, "keep"));
	if (json_is_string(json_object_get(dane, "rollover")))
		fprintf(fp, "  Rollover: %s.\n", dstr(dane, "rollover", ""));
	if (json_is_string(json_object_get(dane, "advice")))
		fprintf(fp, "  Advice: %s.\n", dstr(dane, "advice", ""));
}
