/*
 * probe_priv.c: probe_run_as_user. As root, fork; the child loads the
 * certificates and keys (open, then restrict), drops to the unprivileged
 * user, probes, and writes its results to a pipe as JSON. The parent only
 * parses that JSON: peer XML is never parsed as root.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mem.h"
#include "probe.h"
#include "probe_int.h"

#define PROBE_IPC_MAX	(64u * 1024 * 1024)

static int
priv_drop(const struct passwd *pw, struct s2s_err *err)
{
	if (setgroups(1, &pw->pw_gid) < 0 ||
	    setresgid(pw->pw_gid, pw->pw_gid, pw->pw_gid) < 0 ||
	    setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid) < 0)
		return err_set(err, S2S_EPERM, "dropping privileges to %s: %s",
		    pw->pw_name, strerror(errno));
	/* It must not be possible to go back. */
	if (pw->pw_uid != 0 && (setuid(0) == 0 || seteuid(0) == 0))
		return err_set(err, S2S_EPERM, "dropping privileges to %s: could regain root",
		    pw->pw_name);
	if (getuid() != pw->pw_uid || geteuid() != pw->pw_uid ||
	    getgid() != pw->pw_gid || getegid() != pw->pw_gid)
		return err_set(err, S2S_EPERM, "dropping privileges to %s: ids did not change",
		    pw->pw_name);
	return 0;
}

static int
priv_write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* The child's message: {"probes": [...]} or {"error": MSG, "code": N}. */
static void
priv_child(const struct probe_opts *o, const struct passwd *pw, int fd)
{
	struct probe_prepared *p = NULL;
	struct probe_results *res = NULL;
	struct s2s_err err = { 0 };
	json_t *msg = NULL;
	char *text;
	int rc;

	if ((rc = probe_prepare(o, &p, &err)) == 0 &&
	    (rc = priv_drop(pw, &err)) == 0)
		rc = probe_run_prepared(o, p, &res, &err);
	if (rc == 0)
		msg = json_pack("{s:o, s:b}", "probes", probe_results_to_json(res),
		    "deadline_hit", res->deadline_hit);
	else
		msg = json_pack("{s:s, s:i}", "error", err.msg, "code", rc);
	text = msg != NULL ? json_dumps(msg, JSON_COMPACT) : NULL;
	rc = text != NULL && priv_write_all(fd, text, strlen(text)) == 0 ? 0 : 1;
	free(text);
	json_decref(msg);
	probe_results_free(res);
	probe_prepared_free(p);
	close(fd);
	_exit(rc);
}

static int
priv_read_all(int fd, char **out, size_t *outlen, struct s2s_err *err)
{
	size_t len = 0, cap = 65536;
	char *buf = mem_alloc(cap);

	if (buf == NULL)
		return err_set(err, S2S_ENOMEM, "probe: out of memory");
	for (;;) {
		ssize_t n;

		if (len + 1 >= cap) {
			char *nb;

			if (cap >= PROBE_IPC_MAX) {
				mem_free(buf);
				return err_set(err, S2S_ETOOBIG, "probe child: results over %u bytes",
				    PROBE_IPC_MAX);
			}
			if ((nb = mem_realloc(buf, cap * 2)) == NULL) {
				mem_free(buf);
				return err_set(err, S2S_ENOMEM, "probe: out of memory");
			}
			buf = nb;
			cap *= 2;
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			mem_free(buf);
			return err_set(err, S2S_EIO, "probe child pipe: %s", strerror(errno));
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	*out = buf;
	*outlen = len;
	return 0;
}

static int
priv_parse(const char *text, size_t len, struct probe_results **out, struct s2s_err *err)
{
	json_error_t je;
	json_t *msg = json_loadb(text, len, 0, &je);
	const char *emsg;
	int rc;

	if (msg == NULL)
		return err_set(err, S2S_EPROTO, "probe child: bad results (%s)", je.text);
	if ((emsg = json_string_value(json_object_get(msg, "error"))) != NULL) {
		rc = (int)json_integer_value(json_object_get(msg, "code"));
		if (rc >= 0 || rc < S2S_EBUSY)
			rc = S2S_EIO;
		err_set(err, rc, "%s", emsg);
	} else if ((rc = probe_results_from_json(json_object_get(msg, "probes"), out, err)) == 0) {
		(*out)->deadline_hit |= json_is_true(json_object_get(msg, "deadline_hit"));
	}
	json_decref(msg);
	return rc;
}

int
probe_run_as_user(const struct probe_opts *o, const char *user,
    struct probe_results **out, struct s2s_err *err)
{
	struct passwd *pw;
	int fds[2], status, rc;
	char *text = NULL;
	size_t len = 0;
	pid_t pid;

	*out = NULL;
	if (geteuid() != 0)
		return probe_run(o, out, err);
	if (user == NULL || (pw = getpwnam(user)) == NULL)
		return err_set(err, S2S_EPERM, "user %s: no such user", user ? user : "(none)");
	if (pw->pw_uid == 0)
		return err_set(err, S2S_EPERM, "user %s: refusing to probe as root", user);
	if (pipe2(fds, O_CLOEXEC) < 0)
		return err_set(err, S2S_EIO, "pipe: %s", strerror(errno));
	fflush(NULL);
	if ((pid = fork()) < 0) {
		close(fds[0]);
		close(fds[1]);
		return err_set(err, S2S_EIO, "fork: %s", strerror(errno));
	}
	if (pid == 0) {
		close(fds[0]);
		priv_child(o, pw, fds[1]);
	}
	close(fds[1]);
	rc = priv_read_all(fds[0], &text, &len, err);
	close(fds[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (rc == 0 && len == 0)
		rc = err_set(err, S2S_EIO, "probe child died (%s %d) without results",
		    WIFSIGNALED(status) ? "signal" : "exit",
		    WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
	if (rc == 0)
		rc = priv_parse(text, len, out, err);
	mem_free(text);
	return rc;
}
