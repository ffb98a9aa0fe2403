/*
 * guard_peers.c: which peers to probe. The configured list, a file (one
 * domain per line, # comments), and a command printing one domain per
 * line (templates/peers-prosody.sh, templates/peers-ejabberd.sh). Without
 * a [domain] section the shipped discovery scripts run for whichever
 * server is installed.
 */
#include <ctype.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "deploy.h"
#include "fsat.h"
#include "guard.h"
#include "mem.h"

#define PEERS_MAX	2000
#define PEERS_OUTPUT	(256 * 1024)

static void
note(json_t *notes, int ok, const char *what, size_t n)
{
	char detail[512];

	if (ok)
		snprintf(detail, sizeof(detail), "%s: %zu peer(s)", what, n);
	else
		snprintf(detail, sizeof(detail), "%s", what);
	if (notes != NULL)
		json_array_append_new(notes, json_pack("{s:s, s:b, s:s}", "action", "peers",
		    "ok", ok, "detail", detail));
}

static int
peer_name_ok(const char *s)
{
	const char *p;

	if (s[0] == '\0' || strlen(s) > 253 || s[0] == '.' || s[0] == '-')
		return 0;
	for (p = s; *p != '\0'; p++)
		if (!isalnum((unsigned char)*p) && *p != '.' && *p != '-' && *p != '_')
			return 0;
	return strchr(s, '.') != NULL;
}

/* Add each line's first word; skip comments, blanks and non-names. */
static size_t
add_lines(struct strlist *out, char *text, const char *self)
{
	char *line, *next, *end;
	size_t added = 0;

	for (line = text; line != NULL && *line != '\0'; line = next) {
		next = strchr(line, '\n');
		if (next != NULL)
			*next++ = '\0';
		while (*line == ' ' || *line == '\t')
			line++;
		end = line + strcspn(line, " \t\r#");
		*end = '\0';
		if (!peer_name_ok(line) || strcasecmp(line, self) == 0 || strlist_has(out, line))
			continue;
		if (out->n >= PEERS_MAX || strlist_add(out, line) != 0)
			break;
		added++;
	}
	return added;
}

static int
from_file(const char *path, struct strlist *out, const char *self, json_t *notes,
    struct s2s_err *err)
{
	unsigned char *text;
	size_t n;
	int rc;

	if ((rc = fsat_read(AT_FDCWD, path, NULL, 0, PEERS_OUTPUT, NULL, &text, &n, err)) != 0)
		return err_prefix(err, "peers_file");
	note(notes, 1, path, add_lines(out, (char *)text, self));
	mem_free(text);
	return 0;
}

static int
from_command(const char *cmd, const struct deadline *dl, struct strlist *out, const char *self,
    json_t *notes, struct s2s_err *err)
{
	char *text;
	int status = -1, rc;

	if ((text = mem_alloc(PEERS_OUTPUT)) == NULL)
		return err_set(err, S2S_ENOMEM, "out of memory");
	rc = deploy_run_shell(cmd, 30000, dl, text, PEERS_OUTPUT, &status, err);
	if (rc == 0 && status != 0)
		rc = err_set(err, S2S_EIO, "peers_command '%s' exited %d", cmd, status);
	if (rc == 0)
		note(notes, 1, cmd, add_lines(out, text, self));
	else
		note(notes, 0, err->msg, 0);
	mem_free(text);
	return rc;
}

static int
in_path(const char *prog)
{
	const char *path = getenv("PATH");
	char buf[4096];
	const char *p, *e;

	for (p = path; p != NULL && *p != '\0'; p = *e ? e + 1 : e) {
		e = p + strcspn(p, ":");
		snprintf(buf, sizeof(buf), "%.*s/%s", (int)(e - p), p, prog);
		if (access(buf, X_OK) == 0)
			return 1;
	}
	return 0;
}

/* No [domain]: ask whichever local server is installed who it federates with. */
static void
discover(const struct config *cfg, const struct deadline *dl, struct strlist *out,
    const char *self, json_t *notes)
{
	static const struct { const char *ctl, *script; } servers[] = {
		{ "prosodyctl", "peers-prosody.sh" },
		{ "ejabberdctl", "peers-ejabberd.sh" },
	};
	char cmd[4096];
	struct s2s_err err = { 0 };
	size_t i;

	for (i = 0; i < sizeof(servers) / sizeof(servers[0]); i++) {
		if (!in_path(servers[i].ctl))
			continue;
		snprintf(cmd, sizeof(cmd), "sh '%s/%s'", cfg->templates_dir, servers[i].script);
		from_command(cmd, dl, out, self, notes, &err);
	}
}

int
guard_peers(const struct config *cfg, const struct cfg_domain *dom, const char *domain,
    const struct deadline *dl, struct strlist *out, json_t *notes, struct s2s_err *err)
{
	int rc = 0;
	size_t i;

	if (dom == NULL) {
		discover(cfg, dl, out, domain, notes);
		return 0;
	}
	for (i = 0; i < dom->peers.n; i++)
		if (strcasecmp(dom->peers.v[i], domain) != 0 && !strlist_has(out, dom->peers.v[i]) &&
		    strlist_add(out, dom->peers.v[i]) != 0)
			return err_set(err, S2S_ENOMEM, "out of memory");
	if (dom->peers_file != NULL && (rc = from_file(dom->peers_file, out, domain, notes, err)) != 0)
		return rc;
	if (dom->peers_command != NULL)
		rc = from_command(dom->peers_command, dl, out, domain, notes, err);
	return rc;
}
