/*
 * doctor_srvconf.c: read the few settings the doctor needs out of a
 * Prosody or Metronome configuration (Lua) or an ejabberd one (YAML).
 * Neither is parsed as a language: a small tokenizer skips comments and
 * reads strings, and tracks which section (VirtualHost, Component; YAML
 * nesting) a setting sits in. Pure: text in, struct srvconf out.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "doctor_int.h"
#include "mem.h"

#define KEY_MAX		64
#define VAL_MAX		1024
#define DEPTH_MAX	32

const char *
srv_kind_name(enum srv_kind k)
{
	static const char *const names[] = { [SRV_NONE] = "none", [SRV_PROSODY] = "Prosody",
	    [SRV_EJABBERD] = "ejabberd", [SRV_METRONOME] = "Metronome" };

	return names[k];
}

void
srvconf_clear(struct srvconf *c)
{
	strlist_clear(&c->cert_paths);
	memset(c, 0, sizeof(*c));
}

/* ---- Lua (Prosody, Metronome) ----------------------------------------- */

struct lua_scan {
	const char	*p;
	char		 section[VAL_MAX];	/* "" = global */
	int		 in_other;		/* in a section that is not ours */
	char		 keys[DEPTH_MAX][KEY_MAX];	/* the key of each open table */
	int		 depth;
	char		 pending_key[KEY_MAX];	/* "name =" seen, value next */
};

/* Level of a long bracket "[==[" at p (0 for "[["), or -1. */
static int
long_bracket(const char *p)
{
	int level = 0;

	if (*p++ != '[')
		return -1;
	while (*p == '=') {
		level++;
		p++;
	}
	return *p == '[' ? level : -1;
}

/* Skip past the closing "]==]" of the given level. */
static const char *
skip_long(const char *p, int level)
{
	p += level + 2;
	for (; *p != '\0'; p++) {
		int i;

		if (*p != ']')
			continue;
		for (i = 0; i < level && p[1 + i] == '='; i++)
			;
		if (i == level && p[1 + level] == ']')
			return p + level + 2;
	}
	return p;
}

/* A quoted string at p (after the quote) into buf; returns past the closing quote. */
static const char *
read_quoted(const char *p, char q, char *buf, size_t sz)
{
	size_t n = 0;

	for (; *p != '\0' && *p != q && *p != '\n'; p++) {
		if (*p == '\\' && p[1] != '\0')
			p++;
		if (n + 1 < sz)
			buf[n++] = *p;
	}
	buf[n] = '\0';
	return *p == q ? p + 1 : p;
}

static int
lua_value(struct srvconf *c, struct lua_scan *s, const char *key, const char *val,
    const char *domain)
{
	int ours = !s->in_other;

	(void)domain;
	if (!ours)
		return 0;
	if (strcmp(key, "modules_disabled") == 0 && strcmp(val, "dialback") == 0) {
		c->dialback = 0;
		snprintf(c->dialback_why, sizeof(c->dialback_why), "\"dialback\" in modules_disabled%s%s%s",
		    s->section[0] != '\0' ? " of VirtualHost \"" : "", s->section,
		    s->section[0] != '\0' ? "\"" : "");
	} else if (strcmp(key, "modules_enabled") == 0 && strcmp(val, "dialback") == 0 &&
	    c->dialback != 0) {
		c->dialback = 1;
		snprintf(c->dialback_why, sizeof(c->dialback_why), "\"dialback\" in modules_enabled");
	} else if (strcmp(key, "verifyext") == 0 && strcmp(val, "lsec_ignore_purpose") == 0) {
		c->ignore_purpose = 1;
	} else if (strcmp(key, "certificate") == 0 || strcmp(key, "certificates") == 0 ||
	    strcmp(key, "key") == 0) {
		if (strlist_add(&c->cert_paths, val) != 0)
			return S2S_ENOMEM;
	}
	return 0;
}

/* The key a value belongs to: "name =" just before, else the open table's. */
static const char *
lua_key(const struct lua_scan *s)
{
	if (s->pending_key[0] != '\0')
		return s->pending_key;
	return s->depth > 0 ? s->keys[s->depth - 1] : "";
}

static void
lua_section(struct lua_scan *s, const char *ident, const char *name, const char *domain)
{
	snprintf(s->section, sizeof(s->section), "%s", name);
	/* VirtualHost settings apply to that host only; a Component is another host */
	s->in_other = strcmp(ident, "Component") == 0 || strcasecmp(name, domain) != 0;
}

static int
lua_scan(const char *text, const char *domain, struct srvconf *c)
{
	struct lua_scan s;
	char ident[KEY_MAX] = "", str[VAL_MAX];
	int lvl = 0, rc;

	memset(&s, 0, sizeof(s));
	s.p = text;
	while (*s.p != '\0') {
		const char *p = s.p;

		if (p[0] == '-' && p[1] == '-') {
			if ((lvl = long_bracket(p + 2)) >= 0)
				s.p = skip_long(p + 2, lvl);
			else
				s.p = p + 2 + strcspn(p + 2, "\n");
		} else if (*p == '"' || *p == '\'' || (lvl = long_bracket(p)) >= 0) {
			if (*p == '"' || *p == '\'')
				s.p = read_quoted(p + 1, *p, str, sizeof(str));
			else {
				const char *e = skip_long(p, lvl);
				size_t n = (size_t)(e - p) > (size_t)(2 * lvl + 4) ?
				    (size_t)(e - p) - (size_t)(2 * lvl + 4) : 0;

				snprintf(str, sizeof(str), "%.*s", (int)n, p + lvl + 2);
				s.p = e;
			}
			if (strcmp(ident, "VirtualHost") == 0 || strcmp(ident, "Host") == 0 ||
			    strcmp(ident, "Component") == 0) {
				if (s.depth == 0)
					lua_section(&s, ident, str, domain);
			} else if ((rc = lua_value(c, &s, lua_key(&s), str, domain)) != 0)
				return rc;
			s.pending_key[0] = '\0';
			ident[0] = '\0';
		} else if (isalpha((unsigned char)*p) || *p == '_') {
			size_t n = 0;

			while (isalnum((unsigned char)*s.p) || *s.p == '_') {
				if (n + 1 < sizeof(ident))
					ident[n++] = *s.p;
				s.p++;
			}
			ident[n] = '\0';
			s.pending_key[0] = '\0';	/* "name = true": the value was a word */
		} else if (*p == '=' && p[1] != '=') {
			snprintf(s.pending_key, sizeof(s.pending_key), "%s", ident);
			ident[0] = '\0';
			s.p++;
		} else if (*p == '{') {
			if (s.depth < DEPTH_MAX)
				snprintf(s.keys[s.depth], KEY_MAX, "%s", lua_key(&s));
			s.depth++;
			s.pending_key[0] = '\0';
			s.p++;
		} else if (*p == '}') {
			if (s.depth > 0)
				s.depth--;
			s.p++;
		} else {
			if (*p == ',' || *p == ';')
				s.pending_key[0] = '\0';
			s.p++;
		}
	}
	return 0;
}

/* ---- YAML (ejabberd) ---------------------------------------------------- */

struct yaml_level {
	int	indent;
	char	key[KEY_MAX];
};

/* Cut a comment ("#" at the start or after a blank, outside quotes). */
static void
yaml_uncomment(char *line)
{
	char q = 0;
	char *p;

	for (p = line; *p != '\0'; p++) {
		if (q != 0) {
			if (*p == q)
				q = 0;
		} else if (*p == '"' || *p == '\'') {
			q = *p;
		} else if (*p == '#' && (p == line || isspace((unsigned char)p[-1]))) {
			*p = '\0';
			return;
		}
	}
}

static void
yaml_unquote(char *s)
{
	size_t n = strlen(s);

	while (n > 0 && isspace((unsigned char)s[n - 1]))
		s[--n] = '\0';
	if (n >= 2 && (s[0] == '"' || s[0] == '\'') && s[n - 1] == s[0]) {
		memmove(s, s + 1, n - 2);
		s[n - 2] = '\0';
	}
}

/* Split "key: value" (value may be empty); 0 when the line is no mapping. */
static int
yaml_split(char *content, char **key, char **val)
{
	char *colon = content;
	char q = 0;

	for (; *colon != '\0'; colon++) {
		if (q != 0) {
			if (*colon == q)
				q = 0;
		} else if (*colon == '"' || *colon == '\'') {
			q = *colon;
		} else if (*colon == ':' && (colon[1] == '\0' || isspace((unsigned char)colon[1]))) {
			break;
		}
	}
	if (*colon != ':')
		return 0;
	*colon = '\0';
	*key = content;
	*val = colon + 1;
	*val += strspn(*val, " \t");
	yaml_unquote(*key);
	yaml_unquote(*val);
	return 1;
}

static int
yaml_line(struct srvconf *c, struct yaml_level *stack, int *depth, char *line)
{
	int indent = (int)strspn(line, " ");
	char *content = line + indent, *key = NULL, *val = NULL;
	const char *parent;

	if (*content == '\0')
		return 0;
	if (content[0] == '-' && (content[1] == ' ' || content[1] == '\0')) {
		content++;
		indent += 1 + (int)strspn(content, " ");
		content += strspn(content, " ");
	}
	while (*depth > 0 && stack[*depth - 1].indent >= indent)
		(*depth)--;
	parent = *depth > 0 ? stack[*depth - 1].key : "";
	if (!yaml_split(content, &key, &val)) {
		yaml_unquote(content);
		if (strcmp(parent, "certfiles") == 0 && *content != '\0')
			return strlist_add(&c->cert_paths, content) != 0 ? S2S_ENOMEM : 0;
		return 0;
	}
	if (strcmp(key, "mod_s2s_dialback") == 0 && strcmp(parent, "modules") == 0) {
		c->dialback = 1;
		snprintf(c->dialback_why, sizeof(c->dialback_why), "mod_s2s_dialback under modules:");
	} else if (strcmp(key, "modules") == 0 && strstr(val, "mod_s2s_dialback") != NULL) {
		c->dialback = 1;
		snprintf(c->dialback_why, sizeof(c->dialback_why), "mod_s2s_dialback in modules:");
	}
	if (*depth < DEPTH_MAX) {
		stack[*depth].indent = indent;
		snprintf(stack[*depth].key, KEY_MAX, "%s", key);
		(*depth)++;
	}
	return 0;
}

static int
yaml_scan(const char *text, struct srvconf *c)
{
	struct yaml_level stack[DEPTH_MAX];
	char *copy, *line, *save = NULL;
	int depth = 0, rc = 0;

	if ((copy = mem_strdup(text)) == NULL)
		return S2S_ENOMEM;
	c->dialback = 0;
	snprintf(c->dialback_why, sizeof(c->dialback_why), "no mod_s2s_dialback under modules:");
	for (line = strtok_r(copy, "\n", &save); line != NULL && rc == 0;
	    line = strtok_r(NULL, "\n", &save)) {
		line[strcspn(line, "\r")] = '\0';
		yaml_uncomment(line);
		rc = yaml_line(c, stack, &depth, line);
	}
	mem_free(copy);
	return rc;
}

int
srvconf_parse(enum srv_kind kind, const char *text, const char *domain, struct srvconf *out,
    struct s2s_err *err)
{
	int rc;

	memset(out, 0, sizeof(*out));
	out->kind = kind;
	if (kind == SRV_EJABBERD) {
		rc = yaml_scan(text, out);
	} else {
		/* Prosody loads mod_dialback unless disabled; Metronome: only when listed */
		out->dialback = kind == SRV_PROSODY ? 1 : -1;
		snprintf(out->dialback_why, sizeof(out->dialback_why), "%s",
		    kind == SRV_PROSODY ? "mod_dialback is loaded by default and not disabled" :
		    "\"dialback\" is neither in modules_enabled nor in modules_disabled");
		rc = lua_scan(text, domain, out);
	}
	if (rc != 0) {
		srvconf_clear(out);
		return err_set(err, rc, "out of memory");
	}
	return 0;
}
