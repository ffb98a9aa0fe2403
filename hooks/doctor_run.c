/*
 * doctor_run.c: the list of results, its JSON and its table, and the order
 * the checks run in.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "doctor.h"
#include "doctor_int.h"
#include "mem.h"

static const char *const status_names[] = {
	[DOCTOR_OK] = "ok", [DOCTOR_SKIP] = "skip", [DOCTOR_WARN] = "warn", [DOCTOR_FAIL] = "fail",
};

const char *
doctor_status_name(enum doctor_status st)
{
	return status_names[st];
}

int
doctor_add(struct doctor_results *r, const char *name, const char *domain,
    enum doctor_status st, const char *fix, const char *fmt, ...)
{
	struct doctor_result *res;
	va_list ap;

	if (r->n == r->cap) {
		size_t cap = r->cap == 0 ? 16 : r->cap * 2;
		struct doctor_result *v = mem_realloc(r->v, cap * sizeof(*v));

		if (v == NULL)
			return S2S_ENOMEM;
		r->v = v;
		r->cap = cap;
	}
	res = &r->v[r->n++];
	memset(res, 0, sizeof(*res));
	res->name = name;
	res->status = st;
	snprintf(res->domain, sizeof(res->domain), "%s", domain != NULL ? domain : "");
	snprintf(res->fix, sizeof(res->fix), "%s", fix != NULL ? fix : "");
	va_start(ap, fmt);
	vsnprintf(res->detail, sizeof(res->detail), fmt, ap);
	va_end(ap);
	return 0;
}

void
doctor_results_clear(struct doctor_results *r)
{
	mem_free(r->v);
	memset(r, 0, sizeof(*r));
}

int
doctor_exit_status(const struct doctor_results *r)
{
	int worst = 0;
	size_t i;

	for (i = 0; i < r->n; i++) {
		if (r->v[i].status == DOCTOR_FAIL)
			return 2;
		if (r->v[i].status == DOCTOR_WARN)
			worst = 1;
	}
	return worst;
}

json_t *
doctor_results_to_json(const struct doctor_results *r)
{
	json_t *arr = json_array(), *obj;
	size_t i;

	if (arr == NULL)
		return NULL;
	for (i = 0; i < r->n; i++) {
		const struct doctor_result *x = &r->v[i];

		obj = json_pack("{s:s, s:s, s:s, s:s, s:s}", "name", x->name, "domain", x->domain,
		    "status", doctor_status_name(x->status), "detail", x->detail, "fix", x->fix);
		if (obj == NULL || json_array_append_new(arr, obj) != 0) {
			json_decref(arr);
			return NULL;
		}
	}
	return json_pack("{s:o}", "checks", arr);
}

void
doctor_render_text(FILE *fp, const struct doctor_results *r)
{
	size_t i, count[4] = { 0 }, dw = 6;

	for (i = 0; i < r->n; i++)
		if (strlen(r->v[i].domain) > dw)
			dw = strlen(r->v[i].domain);
	fprintf(fp, "%-18s  %-*s  %-6s  %s\n", "CHECK", (int)dw, "DOMAIN", "STATUS",
	    "WHAT IT SAW / FIX");
	for (i = 0; i < r->n; i++) {
		const struct doctor_result *x = &r->v[i];

		count[x->status]++;
		fprintf(fp, "%-18s  %-*s  %-6s  %s\n", x->name, (int)dw,
		    x->domain[0] != '\0' ? x->domain : "-", doctor_status_name(x->status), x->detail);
		if (x->fix[0] != '\0')
			fprintf(fp, "%-18s  %-*s  %-6s  fix: %s\n", "", (int)dw, "", "", x->fix);
	}
	fprintf(fp, "\n%zu ok, %zu warning(s), %zu failure(s), %zu skipped\n",
	    count[DOCTOR_OK], count[DOCTOR_WARN], count[DOCTOR_FAIL], count[DOCTOR_SKIP]);
}

int
doctor_path(const struct doctor_opts *o, const char *path, char *buf, size_t bufsz)
{
	const char *root = o->root != NULL ? o->root : "";
	size_t rl = strlen(root);

	while (rl > 0 && root[rl - 1] == '/')
		rl--;
	if (snprintf(buf, bufsz, "%.*s%s", (int)rl, root, path) >= (int)bufsz)
		return -1;
	return 0;
}

int
doctor_wants_domain(const struct doctor_opts *o, const char *name)
{
	size_t i;

	if (o->ndomains == 0)
		return 1;
	for (i = 0; i < o->ndomains; i++)
		if (strcasecmp(o->domains[i], name) == 0)
			return 1;
	return 0;
}

int
doctor_read_text(const char *path, size_t max, char **out, struct s2s_err *err)
{
	struct stat st;
	char *buf = NULL;
	size_t len = 0;
	ssize_t n;
	int fd, rc = 0;

	*out = NULL;
	if ((fd = open(path, O_RDONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC)) == -1)
		return err_set(err, errno == ENOENT || errno == ENOTDIR ? S2S_ENOTFOUND : S2S_EIO,
		    "%s: %s", path, strerror(errno));
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		rc = err_set(err, S2S_EIO, "%s: not a regular file", path);
		goto out;
	}
	if ((size_t)st.st_size > max) {
		rc = err_set(err, S2S_ETOOBIG, "%s: larger than %zu bytes", path, max);
		goto out;
	}
	if ((buf = mem_alloc((size_t)st.st_size + 1)) == NULL) {
		rc = err_set(err, S2S_ENOMEM, "%s: out of memory", path);
		goto out;
	}
	while (len < (size_t)st.st_size && (n = read(fd, buf + len, (size_t)st.st_size - len)) > 0)
		len += (size_t)n;
	buf[len] = '\0';
	*out = buf;
	buf = NULL;
out:
	mem_free(buf);
	close(fd);
	return rc;
}

static int
run_domain(const struct doctor_opts *o, const struct cfg_domain *d, struct doctor_results *r)
{
	int rc;

	if ((rc = doctor_check_served(o, d, r)) != 0 ||
	    (rc = doctor_check_acme_hook(o, d, r)) != 0 ||
	    (rc = doctor_check_server(o, d, r)) != 0 ||
	    (rc = doctor_check_dane_anchor(o, d, r)) != 0 ||
	    (rc = doctor_check_expiry(o, d, r)) != 0)
		return rc;
	return 0;
}

int
doctor_run(const struct doctor_opts *o, struct doctor_results *out, struct s2s_err *err)
{
	size_t i;
	int rc;

	if ((rc = doctor_check_config(o, out)) != 0)
		goto out;
	if (o->cfg == NULL)
		return 0;
	for (i = 0; i < o->cfg->ndomains; i++)
		if (doctor_wants_domain(o, o->cfg->domains[i].name) &&
		    (rc = run_domain(o, &o->cfg->domains[i], out)) != 0)
			goto out;
	if ((rc = doctor_check_probe_user(o, out)) != 0 ||
	    (rc = doctor_check_state_dir(o, out)) != 0 ||
	    (rc = doctor_check_timer(o, out)) != 0)
		goto out;
	return 0;
out:
	return err_set(err, rc, "out of memory");
}
