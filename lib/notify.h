/*
 * notify.h: send a finished report. Always a one-line summary to stderr and
 * syslog (through the log); then, when configured and the report calls for
 * it ([mail] / [webhook NAME] `when`), mail (SMTP via libcurl with STARTTLS
 * and auth, or the local sendmail) and webhooks (generic JSON; text for
 * Slack-, Matrix- and ntfy-style receivers). Bodies come from templates
 * filled from the report. Decides nothing; secrets never appear in output.
 */
#ifndef S2S_NOTIFY_H
#define S2S_NOTIFY_H

#include <jansson.h>

#include "config.h"
#include "err.h"
#include "log.h"

/* Send on every configured channel; failures are logged, never fatal. */
void	notify_report(const struct config *cfg, const json_t *report, const struct s2s_log *log);

/* Does this report call for a notification under `when`? */
int	notify_wanted(const json_t *report, enum notify_when when);

/*
 * Fill a template: {{path.to.value}} is replaced by the report's value at
 * that path (strings verbatim, numbers as digits), {{#reasons}} by the
 * decision's reasons one per line, {{#peers}} by one line per probed peer,
 * {{#actions}} by one line per action. Unknown paths become "". *out is
 * mem_free'd by the caller.
 */
int	notify_render(const char *tmpl, const json_t *report, char **out, struct s2s_err *err);

/* A one-line summary ("xmpp.example.test: hold: 1 peer regressed ..."). */
void	notify_summary(const json_t *report, char *buf, size_t bufsz);

#endif
