/* notify.c: see notify.h. (Channels other than the log follow.) */
#include <stdio.h>
#include <string.h>

#include "notify.h"

void
notify_summary(const json_t *report, char *buf, size_t bufsz)
{
	const json_t *d = json_object_get(report, "decision");
	const char *action = json_string_value(json_object_get(d, "action"));

	snprintf(buf, bufsz, "%s: %s, %lld peer regression(s), exit %lld",
	    json_string_value(json_object_get(report, "domain")) ?
	    json_string_value(json_object_get(report, "domain")) : "?",
	    action != NULL ? action : "no decision",
	    (long long)json_integer_value(json_object_get(d, "regressions")),
	    (long long)json_integer_value(json_object_get(report, "exit")));
}

int
notify_wanted(const json_t *report, enum notify_when when)
{
	const char *a = json_string_value(json_object_get(json_object_get(report, "decision"), "action"));

	if (when == NOTIFY_ALWAYS)
		return 1;
	return a == NULL || strcmp(a, "deploy") != 0 ||
	    json_integer_value(json_object_get(report, "exit")) != 0;
}

void
notify_report(const struct config *cfg, const json_t *report, const struct s2s_log *log)
{
	char line[512];

	notify_summary(report, line, sizeof(line));
	log_msg(log, notify_wanted(report, NOTIFY_PROBLEMS) ? LOG_WARNING : LOG_INFO, "%s", line);
	(void)cfg;
}
