/*
 * probe_priv.c: probe_run_as_user. As root, fork (privsep.h); the child
 * loads the certificates and keys (open, then restrict), drops to the
 * unprivileged user, probes, and writes its results to a pipe as JSON. The
 * parent only parses that JSON: peer XML is never parsed as root.
 */
#include <unistd.h>

#include "privsep.h"
#include "probe.h"
#include "probe_int.h"

/* The child's message: {"probes": [...]} or {"error": MSG, "code": N}. */
static json_t *
priv_child(void *arg, const struct passwd *pw)
{
	const struct probe_opts *o = arg;
	struct probe_prepared *p = NULL;
	struct probe_results *res = NULL;
	struct s2s_err err = { 0 };
	json_t *msg;
	int rc;

	if ((rc = probe_prepare(o, &p, &err)) == 0 &&
	    (rc = privsep_drop(pw, &err)) == 0)
		rc = probe_run_prepared(o, p, &res, &err);
	if (rc == 0)
		msg = json_pack("{s:o, s:b}", "probes", probe_results_to_json(res),
		    "deadline_hit", res->deadline_hit);
	else
		msg = json_pack("{s:s, s:i}", "error", err.msg, "code", rc);
	probe_results_free(res);
	probe_prepared_free(p);
	return msg;
}

static int
priv_parse(const json_t *msg, struct probe_results **out, struct s2s_err *err)
{
	const char *emsg;
	int rc;

	if ((emsg = json_string_value(json_object_get(msg, "error"))) != NULL) {
		rc = (int)json_integer_value(json_object_get(msg, "code"));
		if (rc >= 0 || rc < S2S_EBUSY)
			rc = S2S_EIO;
		return err_set(err, rc, "%s", emsg);
	}
	if ((rc = probe_results_from_json(json_object_get(msg, "probes"), out, err)) == 0)
		(*out)->deadline_hit |= json_is_true(json_object_get(msg, "deadline_hit"));
	return rc;
}

int
probe_run_as_user(const struct probe_opts *o, const char *user,
    struct probe_results **out, struct s2s_err *err)
{
	struct passwd *pw;
	json_t *msg = NULL;
	int rc;

	*out = NULL;
	if (geteuid() != 0)
		return probe_run(o, out, err);
	if ((rc = privsep_user(user, &pw, err)) < 0)
		return rc;
	if ((rc = privsep_fork_json(pw, "probe", priv_child, (void *)o, &msg, err)) == 0)
		rc = priv_parse(msg, out, err);
	json_decref(msg);
	return rc;
}
