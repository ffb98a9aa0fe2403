/*
 * probe_json.c: probe results as the shared report's "probes" array and
 * back, verdict names, counts, and --peer override parsing.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mem.h"
#include "probe.h"

static const char *const verdict_names[PROBE_VERDICT_COUNT] = {
	[PROBE_PENDING] = "pending",
	[PROBE_ACCEPTED] = "accepted",
	[PROBE_REJECTED] = "rejected",
	[PROBE_DIALBACK_ONLY] = "dialback-only",
	[PROBE_DIALBACK_REFUSED] = "dialback-refused",
	[PROBE_DIALBACK_UNVERIFIED] = "dialback-unverified",
	[PROBE_NO_AUTH] = "no-auth",
	[PROBE_TLS_FAILED] = "tls-failed",
	[PROBE_STREAM_ERROR] = "stream-error",
	[PROBE_PROTOCOL_ERROR] = "protocol-error",
	[PROBE_NO_SERVICE] = "no-service",
	[PROBE_UNREACHABLE] = "unreachable",
};

static const char *const peer_cert_names[] = {
	[PROBE_PEER_CERT_UNKNOWN] = "unknown",
	[PROBE_PEER_CERT_TRUSTED] = "trusted",
	[PROBE_PEER_CERT_UNTRUSTED] = "untrusted",
	[PROBE_PEER_CERT_NAME_MISMATCH] = "name-mismatch",
};

/* Feature bits and their JSON names inside "features". */
static const struct {
	unsigned	 bit;
	const char	*name;
} feature_names[] = {
	{ PROBE_FEAT_STARTTLS, "starttls" },
	{ PROBE_FEAT_STARTTLS_REQUIRED, "starttls_required" },
	{ PROBE_FEAT_PRE_DIALBACK, "dialback_before_tls" },
	{ PROBE_FEAT_CERT_REQUESTED, "client_cert_requested" },
	{ PROBE_FEAT_EXTERNAL, "external" },
	{ PROBE_FEAT_DIALBACK, "dialback" },
	{ PROBE_FEAT_BIDI, "bidi" },
};

static const struct {
	size_t		 off;
	const char	*name;
} timing_names[] = {
	{ offsetof(struct probe_timing, resolve_ms), "resolve" },
	{ offsetof(struct probe_timing, connect_ms), "connect" },
	{ offsetof(struct probe_timing, tls_ms), "tls" },
	{ offsetof(struct probe_timing, features_ms), "features" },
	{ offsetof(struct probe_timing, auth_ms), "auth" },
	{ offsetof(struct probe_timing, dialback_ms), "dialback" },
	{ offsetof(struct probe_timing, total_ms), "total" },
};

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

const char *
probe_verdict_name(enum probe_verdict v)
{
	return (unsigned)v < PROBE_VERDICT_COUNT ? verdict_names[v] : "invalid";
}

int
probe_verdict_from_name(const char *name)
{
	for (int i = 0; i < PROBE_VERDICT_COUNT; i++)
		if (name != NULL && strcmp(verdict_names[i], name) == 0)
			return i;
	return -1;
}

const char *
probe_peer_cert_name(enum probe_peer_cert c)
{
	return (unsigned)c < NELEM(peer_cert_names) ? peer_cert_names[c] : "unknown";
}

void
probe_results_free(struct probe_results *res)
{
	if (res == NULL)
		return;
	mem_free(res->v);
	mem_free(res);
}

size_t
probe_results_count(const struct probe_results *res, enum probe_verdict v)
{
	size_t n = 0;

	for (size_t i = 0; i < res->n; i++)
		n += res->v[i].probe.verdict == v;
	return n;
}

size_t
probe_results_regressions(const struct probe_results *res)
{
	size_t n = 0;

	for (size_t i = 0; i < res->n; i++)
		n += res->v[i].regression != 0;
	return n;
}

/* ---- to JSON ------------------------------------------------------------- */

static json_t *
attempt_features(const struct probe_attempt *a)
{
	json_t *f = json_object();

	if (f == NULL)
		return NULL;
	for (size_t i = 0; i < NELEM(feature_names); i++)
		json_object_set_new(f, feature_names[i].name,
		    json_boolean((a->features & feature_names[i].bit) != 0));
	json_object_set_new(f, "mechanisms", json_string(a->mechanisms));
	return f;
}

static json_t *
attempt_timing(const struct probe_attempt *a)
{
	json_t *t = json_object();

	if (t == NULL)
		return NULL;
	for (size_t i = 0; i < NELEM(timing_names); i++) {
		int v = *(const int *)((const char *)&a->timing + timing_names[i].off);

		json_object_set_new(t, timing_names[i].name, v < 0 ? json_null() : json_integer(v));
	}
	return t;
}

/* The answer to our dialback request: null when none was sent. */
static json_t *
attempt_dialback(const struct probe_attempt *a)
{
	if (a->db_result[0] == '\0')
		return json_null();
	return json_pack("{s:s, s:s, s:s}", "result", a->db_result,
	    "condition", a->db_condition, "text", a->db_text);
}

/* Add one attempt's fields to obj; -1 on allocation failure. */
static int
attempt_to_json(const struct probe_attempt *a, json_t *obj)
{
	int rc = 0;

	rc |= json_object_set_new(obj, "address", json_string(a->address));
	rc |= json_object_set_new(obj, "port", json_integer(a->port));
	rc |= json_object_set_new(obj, "transport",
	    json_string(a->direct_tls ? "direct-tls" : "starttls"));
	rc |= json_object_set_new(obj, "verdict", json_string(probe_verdict_name(a->verdict)));
	rc |= json_object_set_new(obj, "reason", json_string(a->reason));
	rc |= json_object_set_new(obj, "condition", json_string(a->condition));
	rc |= json_object_set_new(obj, "text", json_string(a->text));
	rc |= json_object_set_new(obj, "peer_cert", json_string(probe_peer_cert_name(a->peer_cert)));
	rc |= json_object_set_new(obj, "peer_cert_detail", json_string(a->peer_cert_detail));
	rc |= json_object_set_new(obj, "dialback", attempt_dialback(a));
	rc |= json_object_set_new(obj, "features", attempt_features(a));
	rc |= json_object_set_new(obj, "timing_ms", attempt_timing(a));
	return rc == 0 ? 0 : -1;
}

static json_t *
result_to_json(const struct probe_result *r)
{
	json_t *o = json_object(), *b = NULL;

	if (o == NULL || json_object_set_new(o, "peer", json_string(r->peer)) < 0 ||
	    attempt_to_json(&r->probe, o) < 0)
		goto fail;
	if (r->has_baseline) {
		if ((b = json_object()) == NULL || attempt_to_json(&r->baseline, b) < 0 ||
		    json_object_set_new(o, "baseline", b) < 0) {
			b = NULL;
			goto fail;
		}
	}
	if (json_object_set_new(o, "regression", json_boolean(r->regression)) < 0)
		goto fail;
	return o;
fail:
	json_decref(o);
	return NULL;
}

json_t *
probe_results_to_json(const struct probe_results *res)
{
	json_t *arr = json_array();

	if (arr == NULL)
		return NULL;
	for (size_t i = 0; i < res->n; i++)
		if (json_array_append_new(arr, result_to_json(&res->v[i])) < 0) {
			json_decref(arr);
			return NULL;
		}
	return arr;
}

json_t *
probe_summary_to_json(const struct probe_results *res)
{
	json_t *s = json_object(), *by = json_object();

	if (s == NULL || by == NULL) {
		json_decref(s);
		json_decref(by);
		return NULL;
	}
	for (int v = PROBE_PENDING; v < PROBE_VERDICT_COUNT; v++) {
		size_t n = probe_results_count(res, (enum probe_verdict)v);

		if (n > 0 || v != PROBE_PENDING)
			json_object_set_new(by, probe_verdict_name((enum probe_verdict)v),
			    json_integer((json_int_t)n));
	}
	json_object_set_new(s, "peers", json_integer((json_int_t)res->n));
	json_object_set_new(s, "verdicts", by);
	json_object_set_new(s, "regressions",
	    json_integer((json_int_t)probe_results_regressions(res)));
	json_object_set_new(s, "deadline_hit", json_boolean(res->deadline_hit));
	return s;
}

/* ---- from JSON ----------------------------------------------------------- */

static void
json_str_copy(const json_t *obj, const char *key, char *dst, size_t cap)
{
	const char *v = json_string_value(json_object_get(obj, key));

	snprintf(dst, cap, "%s", v != NULL ? v : "");
}

static int
attempt_from_json(const json_t *o, struct probe_attempt *a, struct s2s_err *err)
{
	const char *v = json_string_value(json_object_get(o, "verdict"));
	const char *pc = json_string_value(json_object_get(o, "peer_cert"));
	const json_t *f = json_object_get(o, "features"), *t = json_object_get(o, "timing_ms");
	const json_t *db = json_object_get(o, "dialback");
	int vi = probe_verdict_from_name(v);

	if (vi < 0)
		return err_set(err, S2S_EPARSE, "probe results: bad verdict");
	memset(a, 0, sizeof(*a));
	a->verdict = (enum probe_verdict)vi;
	json_str_copy(o, "reason", a->reason, sizeof(a->reason));
	json_str_copy(o, "condition", a->condition, sizeof(a->condition));
	json_str_copy(o, "text", a->text, sizeof(a->text));
	json_str_copy(o, "address", a->address, sizeof(a->address));
	json_str_copy(o, "peer_cert_detail", a->peer_cert_detail, sizeof(a->peer_cert_detail));
	json_str_copy(f, "mechanisms", a->mechanisms, sizeof(a->mechanisms));
	json_str_copy(db, "result", a->db_result, sizeof(a->db_result));
	json_str_copy(db, "condition", a->db_condition, sizeof(a->db_condition));
	json_str_copy(db, "text", a->db_text, sizeof(a->db_text));
	a->port = (int)json_integer_value(json_object_get(o, "port"));
	a->direct_tls = json_is_string(json_object_get(o, "transport")) &&
	    strcmp(json_string_value(json_object_get(o, "transport")), "direct-tls") == 0;
	for (size_t i = 0; i < NELEM(peer_cert_names); i++)
		if (pc != NULL && strcmp(pc, peer_cert_names[i]) == 0)
			a->peer_cert = (enum probe_peer_cert)i;
	for (size_t i = 0; i < NELEM(feature_names); i++)
		if (json_is_true(json_object_get(f, feature_names[i].name)))
			a->features |= feature_names[i].bit;
	for (size_t i = 0; i < NELEM(timing_names); i++) {
		const json_t *x = json_object_get(t, timing_names[i].name);

		*(int *)((char *)&a->timing + timing_names[i].off) =
		    json_is_integer(x) ? (int)json_integer_value(x) : -1;
	}
	return 0;
}

int
probe_results_from_json(const json_t *probes, struct probe_results **out,
    struct s2s_err *err)
{
	struct probe_results *res;
	size_t n = json_array_size(probes);
	int rc;

	*out = NULL;
	if (!json_is_array(probes))
		return err_set(err, S2S_EPARSE, "probe results: not an array");
	if ((res = mem_calloc(1, sizeof(*res))) == NULL ||
	    (res->v = mem_calloc(n, sizeof(*res->v))) == NULL) {
		mem_free(res);
		return err_set(err, S2S_ENOMEM, "probe results: out of memory");
	}
	res->n = n;
	for (size_t i = 0; i < n; i++) {
		const json_t *o = json_array_get(probes, i), *b = json_object_get(o, "baseline");
		struct probe_result *r = &res->v[i];

		json_str_copy(o, "peer", r->peer, sizeof(r->peer));
		if ((rc = attempt_from_json(o, &r->probe, err)) < 0)
			goto fail;
		if (json_is_object(b)) {
			r->has_baseline = 1;
			if ((rc = attempt_from_json(b, &r->baseline, err)) < 0)
				goto fail;
		}
		r->regression = json_is_true(json_object_get(o, "regression"));
		if (r->probe.verdict == PROBE_PENDING ||
		    (r->has_baseline && r->baseline.verdict == PROBE_PENDING))
			res->deadline_hit = 1;
	}
	*out = res;
	return 0;
fail:
	probe_results_free(res);
	return rc;
}

/* ---- --peer DOMAIN=HOST:PORT[/tls] ------------------------------------------ */

int
probe_override_parse(char *spec, struct probe_override *out, struct s2s_err *err)
{
	char *eq = strchr(spec, '='), *host, *colon, *slash, *end;
	long port;

	memset(out, 0, sizeof(*out));
	if (eq == NULL || eq == spec)
		return err_set(err, S2S_EINVAL, "--peer %s: want DOMAIN=HOST:PORT[/tls]", spec);
	*eq = '\0';
	host = eq + 1;
	if ((slash = strrchr(host, '/')) != NULL) {
		if (strcmp(slash, "/tls") != 0)
			return err_set(err, S2S_EINVAL, "--peer %s: only /tls may follow the port", spec);
		*slash = '\0';
		out->direct_tls = 1;
	}
	if (host[0] == '[') {
		char *close = strchr(host, ']');

		if (close == NULL || close[1] != ':')
			return err_set(err, S2S_EINVAL, "--peer %s: bad [IPv6]:PORT", spec);
		*close = '\0';
		colon = close + 1;
		host++;
	} else if ((colon = strrchr(host, ':')) == NULL) {
		return err_set(err, S2S_EINVAL, "--peer %s: missing :PORT", spec);
	}
	*colon = '\0';
	errno = 0;
	port = strtol(colon + 1, &end, 10);
	if (errno != 0 || *end != '\0' || end == colon + 1 || port <= 0 || port > 65535)
		return err_set(err, S2S_EINVAL, "--peer %s: bad port", spec);
	if (host[0] == '\0')
		return err_set(err, S2S_EINVAL, "--peer %s: empty host", spec);
	out->domain = spec;
	out->host = host;
	out->port = (int)port;
	return 0;
}
