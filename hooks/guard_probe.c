/*
 * guard_probe.c: one probe run for the guard and the check: the domain's
 * connect overrides parsed, the configured resolver, CA, timeout and
 * probe_user applied.
 */
#include <string.h>

#include "guard.h"
#include "mem.h"

static int
overrides_parse(const struct cfg_domain *d, struct probe_override **ov, char ***specs,
    size_t *nov, struct s2s_err *err)
{
	size_t i;
	int rc;

	*nov = 0;
	if (d == NULL || d->connect.n == 0)
		return 0;
	*ov = mem_calloc(d->connect.n, sizeof(**ov));
	*specs = mem_calloc(d->connect.n, sizeof(**specs));
	if (*ov == NULL || *specs == NULL)
		return err_set(err, S2S_ENOMEM, "out of memory");
	for (i = 0; i < d->connect.n; i++) {
		if (((*specs)[i] = mem_strdup(d->connect.v[i])) == NULL)
			return err_set(err, S2S_ENOMEM, "out of memory");
		if ((rc = probe_override_parse((*specs)[i], &(*ov)[*nov], err)) != 0)
			return rc;
		(*nov)++;
	}
	return 0;
}

int
guard_probe(const struct config *cfg, const struct cfg_domain *d, const char *domain,
    const char *cert, const char *key, const char *base_cert, const char *base_key,
    const struct strlist *peers, struct deadline dl, const struct s2s_log *log,
    struct probe_results **out, struct s2s_err *err)
{
	struct probe_override *ov = NULL;
	char **specs = NULL;
	struct probe_opts po;
	size_t i, nov = 0;
	int rc;

	*out = NULL;
	memset(&po, 0, sizeof(po));
	if ((rc = overrides_parse(d, &ov, &specs, &nov, err)) == 0) {
		po.from = domain;
		po.cert_path = cert;
		po.key_path = key;
		po.baseline_cert_path = base_cert;
		po.baseline_key_path = base_key;
		po.peers = (const char *const *)peers->v;
		po.npeers = peers->n;
		po.overrides = ov;
		po.noverrides = nov;
		po.timeout_ms = cfg->probe_timeout * 1000;
		po.deadline = dl;
		po.resolver = cfg->resolver;
		po.ca_file = cfg->ca_file;
		po.log = log;
		rc = probe_run_as_user(&po, cfg->probe_user, out, err);
	}
	for (i = 0; specs != NULL && i < d->connect.n; i++)
		mem_free(specs[i]);
	mem_free(specs);
	mem_free(ov);
	return rc;
}
