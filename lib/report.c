#include <stdlib.h>
#include <string.h>

#include "mem.h"
#include "report.h"

#ifndef S2S_VERSION
#define S2S_VERSION "dev"
#endif

void
report_time_iso(time_t t, char *buf, size_t bufsz)
{
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL || strftime(buf, bufsz, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, bufsz, "?");
}

json_t *
report_new(const char *tool)
{
	char now[32];

	report_time_iso(time(NULL), now, sizeof(now));
	return json_pack("{s:s, s:s, s:s}", "s2sguard", S2S_VERSION, "tool", tool,
	    "time", now);
}

json_t *
report_split(const char *s, char sep)
{
	json_t *a = json_array();
	const char *p = s, *e;

	while (a != NULL && p != NULL && *p != '\0') {
		e = strchr(p, sep);
		if (e == NULL)
			e = p + strlen(p);
		if (e > p)
			json_array_append_new(a, json_stringn(p, (size_t)(e - p)));
		p = *e ? e + 1 : e;
	}
	return a;
}

int
report_print_json(FILE *fp, const json_t *report)
{
	if (json_dumpf(report, fp, JSON_INDENT(2) | JSON_PRESERVE_ORDER) != 0)
		return -1;
	return fputc('\n', fp) == EOF ? -1 : 0;
}

int
report_emit(FILE *fp, const json_t *report, int as_json)
{
	char *text = NULL;
	size_t len = 0;
	FILE *mem;
	int rc = -1;

	if ((mem = open_memstream(&text, &len)) == NULL)
		return -1;
	if (as_json)
		report_print_json(mem, report);
	else
		report_render_text(mem, report);
	if (fclose(mem) == 0 && fwrite(text, 1, len, fp) == len && fflush(fp) == 0)
		rc = 0;
	free(text);
	return rc;
}

void
report_render_text(FILE *fp, const json_t *report)
{
	const json_t *ins = json_object_get(report, "inspection");
	const json_t *probes = json_object_get(report, "probes");
	const json_t *dane = json_object_get(report, "dane");
	size_t i;

	if (ins != NULL)
		report_render_inspection(fp, ins);
	/* "dane": one object per domain checked */
	for (i = 0; i < json_array_size(dane); i++)
		report_render_dane(fp, json_array_get(dane, i));
	if (probes != NULL)
		report_render_probes(fp, probes, json_object_get(report, "summary"));
}
