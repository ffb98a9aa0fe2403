/*
 * privsep.h: run network code that talks to strangers without root. When
 * the process is root, privsep_fork_json() forks a child that does its
 * work (normally: load what needs privileges, privsep_drop(), then talk),
 * and hands the parent one JSON message over a pipe; the parent only
 * parses that JSON. Used by probe_run_as_user() and served_fetch_as_user().
 */
#ifndef S2S_PRIVSEP_H
#define S2S_PRIVSEP_H

#include <pwd.h>

#include <jansson.h>

#include "err.h"

/* The unprivileged user's entry: unknown or uid 0 is S2S_EPERM. */
int	privsep_user(const char *user, struct passwd **out, struct s2s_err *err);

/*
 * Drop to pw for good: supplementary groups, gid, uid; then check that
 * root cannot be regained. S2S_EPERM naming the user when anything fails.
 */
int	privsep_drop(const struct passwd *pw, struct s2s_err *err);

/*
 * The child's work: return the message for the parent (a new reference;
 * NULL counts as a failure). Runs in the forked child only.
 */
typedef json_t	*(*privsep_child_fn)(void *arg, const struct passwd *pw);

/*
 * Fork, run fn in the child, and return its message in *out (a new
 * reference). `what` names the work in messages ("probe", "served
 * certificate"). A message over 64 MiB, a child that dies without a
 * message or one that is not JSON: S2S_EIO / S2S_ETOOBIG / S2S_EPROTO.
 */
int	privsep_fork_json(const struct passwd *pw, const char *what, privsep_child_fn fn,
	    void *arg, json_t **out, struct s2s_err *err);

#endif
