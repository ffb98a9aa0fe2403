/*
 * notify.c: send a finished report (see notify.h). Mail goes out through
 * libcurl's SMTP (STARTTLS required unless turned off, AUTH when a user is
 * configured) or the local sendmail; webhooks are libcurl POSTs. Bodies
 * are templates filled from the report. Error messages name the channel
 * ("[mail]", "[webhook NAME]"), never a URL, user or password.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "fsat.h"
#include "mem.h"
#include "notify.h"

#define NOTIFY_TIMEOUT_S	20
#define TEMPLATE_MAX		(64 * 1024)

/* Built-in bodies, used when the template file cannot be read. */
static const char default_mail[] =
	"Subject: [s2sguard] {{domain}}: {{decision.action}} (exit {{exit}})\n"
	"\n"
	"s2sguard ran {{tool}} for {{domain}} at {{time}}.\n"
	"\n"
	"Decision: {{decision.action}} (policy {{decision.policy}})\n"
	"{{#reasons}}\n"
	"New certificate: {{inspection.verdict}}\n"
	"\n"
	"Peers:\n"
	"{{#peers}}\n"
	"What s2sguard did:\n"
	"{{#actions}}\n";
static const char default_chat[] =
	"s2sguard: {{domain}}: {{decision.action}} (exit {{exit}})\n"
	"{{#reasons}}";

/* ---- summary and policy ------------------------------------------------ */

void
notify_summary(const json_t *report, char *buf, size_t bufsz)
{
	const json_t *d = json_object_get(report, "decision");
	const char *action = json_string_value(json_object_get(d, "action"));
	const char *dom = json_string_value(json_object_get(report, "domain"));

	snprintf(buf, bufsz, "%s: %s, %lld peer regression(s)%s, exit %lld",
	    dom != NULL ? dom : "?", action != NULL ? action : "no decision",
	    (long long)json_integer_value(json_object_get(d, "regressions")),
	    json_is_true(json_object_get(d, "suspected")) ? " (suspected: not probed)" : "",
	    (long long)json_integer_value(json_object_get(report, "exit")));
}

int
notify_wanted(const json_t *report, enum notify_when when)
{
	const char *a = json_string_value(json_object_get(json_object_get(report, "decision"), "action"));
	const json_t *v;
	size_t i;

	if (when == NOTIFY_ALWAYS)
		return 1;
	json_array_foreach(json_object_get(report, "actions"), i, v)
		if (json_is_false(json_object_get(v, "ok")))
			return 1;
	/* a quiet check with nothing pending has no decision and nothing to say */
	if (a == NULL)
		return json_object_get(report, "error") != NULL;
	return strcmp(a, "deploy") != 0 || json_integer_value(json_object_get(report, "exit")) != 0;
}

/* ---- templates -------------------------------------------------------- */

static const json_t *
lookup(const json_t *report, const char *path)
{
	char key[128];
	const char *p = path, *dot;
	const json_t *v = report;

	while (v != NULL && *p != '\0') {
		dot = strchr(p, '.');
		snprintf(key, sizeof(key), "%.*s", (int)(dot ? dot - p : (long)strlen(p)), p);
		v = json_object_get(v, key);
		p = dot ? dot + 1 : p + strlen(p);
	}
	return v;
}

static void
put_value(FILE *f, const json_t *v)
{
	if (json_is_string(v))
		fputs(json_string_value(v), f);
	else if (json_is_integer(v))
		fprintf(f, "%lld", (long long)json_integer_value(v));
	else if (json_is_boolean(v))
		fputs(json_is_true(v) ? "yes" : "no", f);
}

static void
put_block(FILE *f, const json_t *report, const char *name)
{
	const json_t *v;
	size_t i;

	if (strcmp(name, "reasons") == 0) {
		json_array_foreach(json_object_get(json_object_get(report, "decision"), "reasons"), i, v)
			fprintf(f, "  - %s\n", json_string_value(v));
	} else if (strcmp(name, "peers") == 0) {
		json_array_foreach(json_object_get(report, "probes"), i, v) {
			const json_t *b = json_object_get(v, "baseline");

			fprintf(f, "  %s: %s%s%s%s%s\n", json_string_value(json_object_get(v, "peer")),
			    json_string_value(json_object_get(v, "verdict")),
			    json_string_length(json_object_get(v, "reason")) ? " (" : "",
			    json_string_length(json_object_get(v, "reason")) ?
			    json_string_value(json_object_get(v, "reason")) : "",
			    json_string_length(json_object_get(v, "reason")) ? ")" : "",
			    json_is_true(json_object_get(v, "regression")) ? " REGRESSION" :
			    b != NULL && json_object_get(b, "verdict") ? "" : "");
		}
		if (json_array_size(json_object_get(report, "probes")) == 0)
			fputs("  (none probed)\n", f);
	} else if (strcmp(name, "actions") == 0) {
		json_array_foreach(json_object_get(report, "actions"), i, v)
			fprintf(f, "  %s %s: %s\n", json_is_true(json_object_get(v, "ok")) ? "ok  " : "FAIL",
			    json_string_value(json_object_get(v, "action")),
			    json_string_value(json_object_get(v, "detail")));
	}
}

int
notify_render(const char *tmpl, const json_t *report, char **out, struct s2s_err *err)
{
	char *text = NULL, name[128];
	const char *p = tmpl, *open, *close;
	size_t len = 0;
	FILE *f;

	*out = NULL;
	if ((f = open_memstream(&text, &len)) == NULL)
		return err_set(err, S2S_ENOMEM, "template: out of memory");
	while ((open = strstr(p, "{{")) != NULL && (close = strstr(open + 2, "}}")) != NULL) {
		fwrite(p, 1, (size_t)(open - p), f);
		snprintf(name, sizeof(name), "%.*s", (int)(close - open - 2), open + 2);
		if (name[0] == '#') {
			put_block(f, report, name + 1);
			/* a block owns its line: swallow the newline after it */
			if (close[2] == '\n')
				close++;
		} else
			put_value(f, lookup(report, name));
		p = close + 2;
	}
	fputs(p, f);
	if (fclose(f) != 0) {
		free(text);
		return err_set(err, S2S_ENOMEM, "template: out of memory");
	}
	*out = mem_strdup(text);
	free(text);
	return *out != NULL ? 0 : err_set(err, S2S_ENOMEM, "template: out of memory");
}

/* The template file (name under templates_dir, or a path), else the default. */
static int
render_named(const struct config *cfg, const char *name, const char *fallback,
    const json_t *report, char **out, struct s2s_err *err)
{
	char path[PATH_MAX];
	unsigned char *tmpl;
	size_t n;
	int rc;

	if (name == NULL)
		return notify_render(fallback, report, out, err);
	if (name[0] == '/')
		snprintf(path, sizeof(path), "%s", name);
	else
		snprintf(path, sizeof(path), "%s/%s", cfg->templates_dir, name);
	if ((rc = fsat_read(AT_FDCWD, path, NULL, 0, TEMPLATE_MAX, NULL, &tmpl, &n, err)) != 0)
		return err_prefix(err, "template");
	rc = notify_render((char *)tmpl, report, out, err);
	mem_free(tmpl);
	return rc;
}

/* ---- mail ----------------------------------------------------------------- */

struct upload {
	const char	*data;
	size_t		 len, off;
};

static size_t
read_cb(char *buf, size_t size, size_t nmemb, void *arg)
{
	struct upload *u = arg;
	size_t n = size * nmemb;

	if (n > u->len - u->off)
		n = u->len - u->off;
	memcpy(buf, u->data + u->off, n);
	u->off += n;
	return n;
}

static size_t
discard_cb(char *buf, size_t size, size_t nmemb, void *arg)
{
	(void)buf;
	(void)arg;
	return size * nmemb;
}

/* "Subject: ..." first line of the rendered body becomes the header. */
static int
mail_message(const struct config *cfg, const char *body, char **out, size_t *outlen)
{
	const struct cfg_mail *m = &cfg->mail;
	char date[64], subject[512] = "[s2sguard] report";
	const char *text = body;
	struct tm tm;
	time_t now = time(NULL);
	size_t i, len = 0;
	FILE *f;

	if (strncmp(body, "Subject: ", 9) == 0) {
		size_t sl = strcspn(body + 9, "\n");

		snprintf(subject, sizeof(subject), "%.*s", (int)sl, body + 9);
		text = body + 9 + sl;
		while (*text == '\n')
			text++;
	}
	gmtime_r(&now, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000", &tm);
	*out = NULL;
	if ((f = open_memstream(out, &len)) == NULL)
		return -1;
	fprintf(f, "From: %s\r\nTo: ", m->from);
	for (i = 0; i < m->to.n; i++)
		fprintf(f, "%s%s", i ? ", " : "", m->to.v[i]);
	fprintf(f, "\r\nSubject: %s\r\nDate: %s\r\nMIME-Version: 1.0\r\n"
	    "Content-Type: text/plain; charset=utf-8\r\nAuto-Submitted: auto-generated\r\n\r\n",
	    subject, date);
	for (; *text != '\0'; text++) {
		if (*text == '\n')
			fputc('\r', f);
		fputc(*text, f);
	}
	if (fclose(f) != 0)
		return -1;
	*outlen = len;
	return 0;
}

static int
send_smtp(const struct config *cfg, const char *msg, size_t len, struct s2s_err *err)
{
	const struct cfg_mail *m = &cfg->mail;
	struct curl_slist *rcpt = NULL;
	struct upload u = { msg, len, 0 };
	CURLcode cc;
	CURL *c;
	size_t i;

	if ((c = curl_easy_init()) == NULL)
		return err_set(err, S2S_ENOMEM, "[mail]: out of memory");
	for (i = 0; i < m->to.n; i++)
		rcpt = curl_slist_append(rcpt, m->to.v[i]);
	curl_easy_setopt(c, CURLOPT_URL, m->smtp_url);
	curl_easy_setopt(c, CURLOPT_MAIL_FROM, m->from);
	curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpt);
	curl_easy_setopt(c, CURLOPT_READFUNCTION, read_cb);
	curl_easy_setopt(c, CURLOPT_READDATA, &u);
	curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, (long)NOTIFY_TIMEOUT_S);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	if (m->starttls && strncmp(m->smtp_url, "smtp://", 7) == 0)
		curl_easy_setopt(c, CURLOPT_USE_SSL, (long)CURLUSESSL_ALL);
	if (m->ca_bundle != NULL)
		curl_easy_setopt(c, CURLOPT_CAINFO, m->ca_bundle);
	if (m->user != NULL) {
		curl_easy_setopt(c, CURLOPT_USERNAME, m->user);
		curl_easy_setopt(c, CURLOPT_PASSWORD, m->password);
	}
	cc = curl_easy_perform(c);
	curl_slist_free_all(rcpt);
	curl_easy_cleanup(c);
	if (cc != CURLE_OK)
		return err_set(err, S2S_ENET, "[mail]: SMTP: %s", curl_easy_strerror(cc));
	return 0;
}

static int
send_sendmail(const struct config *cfg, const char *msg, size_t len, struct s2s_err *err)
{
	int fds[2], status;
	pid_t pid;

	if (pipe(fds) == -1)
		return err_set(err, S2S_EIO, "[mail]: pipe: %s", strerror(errno));
	if ((pid = fork()) == -1) {
		close(fds[0]);
		close(fds[1]);
		return err_set(err, S2S_EIO, "[mail]: fork: %s", strerror(errno));
	}
	if (pid == 0) {
		int devnull = open("/dev/null", O_WRONLY);

		dup2(fds[0], 0);
		if (devnull != -1)
			dup2(devnull, 1);
		close(fds[0]);
		close(fds[1]);
		execl(cfg->mail.sendmail, cfg->mail.sendmail, "-t", "-i", (char *)NULL);
		_exit(127);
	}
	close(fds[0]);
	signal(SIGPIPE, SIG_IGN);
	while (len > 0) {
		ssize_t n = write(fds[1], msg, len);

		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		msg += n;
		len -= (size_t)n;
	}
	close(fds[1]);
	if (waitpid(pid, &status, 0) == -1 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return err_set(err, S2S_EIO, "[mail]: %s failed", cfg->mail.sendmail);
	return 0;
}

static int
send_mail(const struct config *cfg, const json_t *report, struct s2s_err *err)
{
	char *body = NULL, *msg = NULL;
	size_t len = 0;
	int rc;

	if ((rc = render_named(cfg, cfg->mail.template, default_mail, report, &body, err)) != 0)
		return rc;
	if (mail_message(cfg, body, &msg, &len) != 0) {
		mem_free(body);
		return err_set(err, S2S_ENOMEM, "[mail]: out of memory");
	}
	if (cfg->mail.smtp_url != NULL)
		rc = send_smtp(cfg, msg, len, err);
	else
		rc = send_sendmail(cfg, msg, len, err);
	free(msg);
	mem_free(body);
	return rc;
}

/* ---- webhooks --------------------------------------------------------------- */

static char *
webhook_payload(const struct cfg_webhook *w, const char *text, const json_t *report)
{
	json_t *o;
	char *s;

	switch (w->format) {
	case WEBHOOK_JSON:
		return json_dumps(report, JSON_COMPACT);
	case WEBHOOK_SLACK:
		o = json_pack("{s:s}", "text", text);
		break;
	case WEBHOOK_MATRIX:
		o = json_pack("{s:s, s:s, s:s}", "msgtype", "m.text", "body", text, "text", text);
		break;
	case WEBHOOK_NTFY:
	default:
		return strdup(text);
	}
	s = o != NULL ? json_dumps(o, JSON_COMPACT) : NULL;
	json_decref(o);
	return s;
}

static int
send_webhook(const struct config *cfg, const struct cfg_webhook *w, const json_t *report,
    struct s2s_err *err)
{
	struct curl_slist *hdr = NULL;
	char *text = NULL, *payload, line[600], title[300];
	long code = 0;
	CURLcode cc;
	CURL *c;
	int rc;

	if ((rc = render_named(cfg, w->template, default_chat, report, &text, err)) != 0)
		return rc;
	payload = webhook_payload(w, text, report);
	if (payload == NULL || (c = curl_easy_init()) == NULL) {
		free(payload);
		mem_free(text);
		return err_set(err, S2S_ENOMEM, "[webhook %s]: out of memory", w->name);
	}
	if (w->format == WEBHOOK_NTFY) {
		hdr = curl_slist_append(hdr, "Content-Type: text/plain; charset=utf-8");
		snprintf(title, sizeof(title), "%.*s", (int)strcspn(text, "\n"), text);
		snprintf(line, sizeof(line), "Title: %s", title);
		hdr = curl_slist_append(hdr, line);
		hdr = curl_slist_append(hdr, "Tags: warning");
	} else
		hdr = curl_slist_append(hdr, "Content-Type: application/json");
	if (w->token != NULL) {
		snprintf(line, sizeof(line), "Authorization: Bearer %s", w->token);
		hdr = curl_slist_append(hdr, line);
		explicit_bzero(line, sizeof(line));
	}
	curl_easy_setopt(c, CURLOPT_URL, w->url);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdr);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, payload);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, (long)NOTIFY_TIMEOUT_S);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard_cb);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "s2sguard/" S2S_VERSION);
	if (w->ca_bundle != NULL)
		curl_easy_setopt(c, CURLOPT_CAINFO, w->ca_bundle);
	cc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	curl_easy_cleanup(c);
	curl_slist_free_all(hdr);
	free(payload);
	mem_free(text);
	if (cc != CURLE_OK)
		return err_set(err, S2S_ENET, "[webhook %s]: %s", w->name, curl_easy_strerror(cc));
	if (code < 200 || code > 299)
		return err_set(err, S2S_EPROTO, "[webhook %s]: HTTP status %ld", w->name, code);
	return 0;
}

void
notify_report(const struct config *cfg, const json_t *report, const struct s2s_log *log)
{
	struct s2s_err err = { 0 };
	char line[512];
	size_t i;

	notify_summary(report, line, sizeof(line));
	log_msg(log, notify_wanted(report, NOTIFY_PROBLEMS) ? LOG_WARNING : LOG_INFO, "%s", line);
	if (cfg->mail.enabled && notify_wanted(report, cfg->mail.when)) {
		if (send_mail(cfg, report, &err) != 0)
			log_msg(log, LOG_ERR, "%s", err.msg);
		else
			log_msg(log, LOG_INFO, "[mail]: sent");
	}
	for (i = 0; i < cfg->nwebhooks; i++) {
		if (!notify_wanted(report, cfg->webhooks[i].when))
			continue;
		if (send_webhook(cfg, &cfg->webhooks[i], report, &err) != 0)
			log_msg(log, LOG_ERR, "%s", err.msg);
		else
			log_msg(log, LOG_INFO, "[webhook %s]: sent", cfg->webhooks[i].name);
	}
}
