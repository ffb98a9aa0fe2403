/*
 * guard_text.c: the decision and actions of a report, for a person.
 * (report_render_text prints the inspection and probes before this.)
 */
#include <stdio.h>
#include <string.h>

#include "guard.h"

/* Did the run deploy (or, dry, decide to)? */
static int
deployed_something(const json_t *report)
{
	const json_t *v;
	size_t i;

	json_array_foreach(json_object_get(report, "actions"), i, v)
		if (strcmp(json_string_value(json_object_get(v, "action")), "deploy") == 0 ||
		    strncmp(json_string_value(json_object_get(v, "detail")), "dry run: would deploy", 21) == 0)
			return 1;
	return 0;
}

static const char *
exit_meaning(json_int_t e, const json_t *report)
{
	switch (e) {
	case GUARD_DEPLOYED: return deployed_something(report) ? "deployed" : "nothing to do";
	case GUARD_WARNED: return "deployed, with warnings";
	case GUARD_HELD: return "held: the deployed certificate stays";
	case GUARD_ERROR: return "error: nothing changed";
	case GUARD_NOTHING: return "nothing deployed (report only)";
	case GUARD_ROLLED_BACK: return "reload failed: the server's files are back as they were";
	case GUARD_UNCONFIRMED: return "reload failed, and the server's files could not be put back: they hold the new certificate";
	case GUARD_QUEUED: return "queued: another run holds the domain and processes it next";
	}
	return "?";
}

static int
any_regression(const json_t *report)
{
	const json_t *d = json_object_get(report, "decision");

	return json_integer_value(json_object_get(d, "regressions")) > 0 ||
	    json_integer_value(json_object_get(d, "other_regressions")) > 0;
}

void
guard_render_text(FILE *fp, const json_t *report)
{
	const json_t *d = json_object_get(report, "decision");
	const json_t *v, *acts = json_object_get(report, "actions");
	size_t i;

	fprintf(fp, "\n%s: ", json_string_value(json_object_get(report, "domain")));
	if (d != NULL)
		fprintf(fp, "decision %s (policy %s)\n",
		    json_string_value(json_object_get(d, "action")),
		    json_string_value(json_object_get(d, "policy")));
	else
		fprintf(fp, "no decision: %s\n", json_string_value(json_object_get(report, "error")) ?
		    json_string_value(json_object_get(report, "error")) : "stopped early");
	json_array_foreach(json_object_get(d, "reasons"), i, v)
		fprintf(fp, "  - %s\n", json_string_value(v));
	json_array_foreach(acts, i, v)
		fprintf(fp, "  %-4s %s: %s\n", json_is_true(json_object_get(v, "ok")) ? "ok" : "FAIL",
		    json_string_value(json_object_get(v, "action")),
		    json_string_value(json_object_get(v, "detail")));
	json_array_foreach(json_object_get(report, "warnings"), i, v)
		fprintf(fp, "  warning: %s\n", json_string_value(v));
	if (any_regression(report))
		fprintf(fp, "  fix: the refusing peers should upgrade (ejabberd 25.07 or later accepts\n"
		    "       serverAuth-only certificates) or enable dialback; keep dialback enabled\n"
		    "       on this server so federation limps on meanwhile.\n");
	fprintf(fp, "exit %lld: %s\n", (long long)json_integer_value(json_object_get(report, "exit")),
	    exit_meaning(json_integer_value(json_object_get(report, "exit")), report));
}
