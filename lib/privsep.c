/*
 * privsep.c: fork, drop privileges, talk to the network in the child, and
 * pass one JSON message back over a pipe.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mem.h"
#include "privsep.h"

#define PRIVSEP_IPC_MAX	(64u * 1024 * 1024)

int
privsep_user(const char *user, struct passwd **out, struct s2s_err *err)
{
	struct passwd *pw;

	*out = NULL;
	if (user == NULL || (pw = getpwnam(user)) == NULL)
		return err_set(err, S2S_EPERM, "user %s: no such user", user ? user : "(none)");
	if (pw->pw_uid == 0)
		return err_set(err, S2S_EPERM, "user %s: refusing to probe as root", user);
	*out = pw;
	return 0;
}

int
privsep_drop(const struct passwd *pw, struct s2s_err *err)
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
privsep_write_all(int fd, const char *buf, size_t len)
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

static void
privsep_child(privsep_child_fn fn, void *arg, const struct passwd *pw, int fd)
{
	json_t *msg = fn(arg, pw);
	char *text = msg != NULL ? json_dumps(msg, JSON_COMPACT) : NULL;
	int rc = text != NULL && privsep_write_all(fd, text, strlen(text)) == 0 ? 0 : 1;

	free(text);
	json_decref(msg);
	close(fd);
	_exit(rc);
}

static int
privsep_read_all(int fd, const char *what, char **out, size_t *outlen, struct s2s_err *err)
{
	size_t len = 0, cap = 65536;
	char *buf = mem_alloc(cap);

	if (buf == NULL)
		return err_set(err, S2S_ENOMEM, "%s: out of memory", what);
	for (;;) {
		ssize_t n;

		if (len + 1 >= cap) {
			char *nb;

			if (cap >= PRIVSEP_IPC_MAX) {
				mem_free(buf);
				return err_set(err, S2S_ETOOBIG, "%s child: results over %u bytes",
				    what, PRIVSEP_IPC_MAX);
			}
			if ((nb = mem_realloc(buf, cap * 2)) == NULL) {
				mem_free(buf);
				return err_set(err, S2S_ENOMEM, "%s: out of memory", what);
			}
			buf = nb;
			cap *= 2;
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			mem_free(buf);
			return err_set(err, S2S_EIO, "%s child pipe: %s", what, strerror(errno));
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

int
privsep_fork_json(const struct passwd *pw, const char *what, privsep_child_fn fn,
    void *arg, json_t **out, struct s2s_err *err)
{
	int fds[2], status = 0, rc;
	char *text = NULL;
	size_t len = 0;
	json_error_t je;
	pid_t pid;

	*out = NULL;
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
		privsep_child(fn, arg, pw, fds[1]);
	}
	close(fds[1]);
	rc = privsep_read_all(fds[0], what, &text, &len, err);
	close(fds[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (rc == 0 && len == 0)
		rc = err_set(err, S2S_EIO, "%s child died (%s %d) without results", what,
		    WIFSIGNALED(status) ? "signal" : "exit",
		    WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
	if (rc == 0 && (*out = json_loadb(text, len, 0, &je)) == NULL)
		rc = err_set(err, S2S_EPROTO, "%s child: bad results (%s)", what, je.text);
	mem_free(text);
	return rc;
}
