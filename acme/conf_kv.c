/*
 * conf_kv.c: see conf_kv.h. inih does the parsing; this keeps the entries.
 */
#include <string.h>

#include <ini.h>

#include "cert.h"
#include "conf_kv.h"
#include "mem.h"

#define CONF_KV_MAX_ENTRIES	4096

struct conf_entry {
	char	*section, *key, *value;
};

struct conf_kv {
	struct conf_entry	*e;
	size_t			 n, cap;
	int			 failed;
	int			 skipped;	/* lines too long for inih */
};

/*
 * inih reads lines of at most INI_MAX_LINE bytes and would split a longer
 * one (acme.sh's base64 Le_ReloadCmd, a long certbot hook command) into
 * garbage. Such lines are handed over as empty lines: none of the keys
 * s2sguard needs is that long, and a needed key that is missing is
 * reported by the caller.
 */
struct line_reader {
	const char	*p, *end;
	int		 skipped;
};

static char *
line_read(char *buf, int num, void *arg)
{
	struct line_reader *r = arg;
	const char *nl;
	size_t len;

	if (r->p >= r->end || num < 2)
		return NULL;
	nl = memchr(r->p, '\n', (size_t)(r->end - r->p));
	len = nl ? (size_t)(nl - r->p) + 1 : (size_t)(r->end - r->p);
	if (len > (size_t)num - 1) {
		buf[0] = '\n';
		buf[1] = '\0';
		r->skipped++;
	} else {
		memcpy(buf, r->p, len);
		buf[len] = '\0';
	}
	r->p += len;
	return buf;
}

static char *
unquote(const char *v)
{
	size_t n = strlen(v);

	if (n >= 2 && (v[0] == '\'' || v[0] == '"') && v[n - 1] == v[0])
		return mem_strndup(v + 1, n - 2);
	return mem_strdup(v);
}

/* certbot's "[[webroot_map]]" reaches inih as section "[webroot_map". */
static char *
section_name(const char *s)
{
	while (*s == '[')
		s++;
	return mem_strdup(s);
}

static int
on_entry(void *arg, const char *section, const char *key, const char *value)
{
	struct conf_kv *kv = arg;
	struct conf_entry *e;

	if (kv->n == kv->cap) {
		size_t cap = kv->cap ? kv->cap * 2 : 32;

		if (cap > CONF_KV_MAX_ENTRIES || (e = mem_realloc(kv->e, cap * sizeof(*e))) == NULL) {
			kv->failed = 1;
			return 0;
		}
		kv->e = e;
		kv->cap = cap;
	}
	e = &kv->e[kv->n];
	e->section = section_name(section ? section : "");
	e->key = mem_strdup(key ? key : "");
	e->value = unquote(value ? value : "");
	kv->n++;
	if (e->section == NULL || e->key == NULL || e->value == NULL) {
		kv->failed = 1;
		return 0;
	}
	return 1;
}

int
conf_kv_parse(const char *text, const char *what, struct conf_kv **out, struct s2s_err *err)
{
	struct line_reader rd;
	struct conf_kv *kv;
	int line;

	*out = NULL;
	if ((kv = mem_calloc(1, sizeof(*kv))) == NULL)
		return err_set(err, S2S_ENOMEM, "out of memory");
	rd.p = text;
	rd.end = text + strlen(text);
	rd.skipped = 0;
	line = ini_parse_stream(line_read, &rd, on_entry, kv);
	kv->skipped = rd.skipped;
	if (kv->failed) {
		conf_kv_free(kv);
		return err_set(err, S2S_ETOOBIG, "%s: too many entries or out of memory", what);
	}
	if (line != 0) {
		conf_kv_free(kv);
		return err_set(err, S2S_EPARSE, "%s: line %d: not \"key = value\"", what, line);
	}
	*out = kv;
	return 0;
}

int
conf_kv_load(const char *path, struct conf_kv **out, struct s2s_err *err)
{
	unsigned char *data;
	size_t len;
	int rc;

	*out = NULL;
	if ((rc = cert_read_file(path, CONF_KV_MAX_FILE, &data, &len, err)) != 0)
		return rc;
	if (memchr(data, '\0', len) != NULL)
		rc = err_set(err, S2S_EPARSE, "%s: contains NUL bytes", path);
	else
		rc = conf_kv_parse((char *)data, path, out, err);
	mem_free(data);
	return rc;
}

const char *
conf_kv_get(const struct conf_kv *kv, const char *section, const char *key)
{
	const char *v = NULL;
	size_t i;

	for (i = 0; kv != NULL && i < kv->n; i++)
		if (strcmp(kv->e[i].section, section) == 0 && strcmp(kv->e[i].key, key) == 0)
			v = kv->e[i].value;
	return v;
}

size_t
conf_kv_count(const struct conf_kv *kv)
{
	return kv ? kv->n : 0;
}

void
conf_kv_entry(const struct conf_kv *kv, size_t i, const char **section, const char **key,
    const char **value)
{
	*section = kv->e[i].section;
	*key = kv->e[i].key;
	*value = kv->e[i].value;
}

void
conf_kv_free(struct conf_kv *kv)
{
	size_t i;

	if (kv == NULL)
		return;
	for (i = 0; i < kv->n; i++) {
		mem_free(kv->e[i].section);
		mem_free(kv->e[i].key);
		mem_free(kv->e[i].value);
	}
	mem_free(kv->e);
	mem_free(kv);
}
