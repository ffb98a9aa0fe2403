/*
 * deploy_run.c: the reload command (and any other command the hook runs):
 * its own process group, output captured, killed at its timeout or the
 * run's deadline, whichever comes first. See deploy.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "deploy.h"

static void
child_exec(const char *const *argv, int outfd)
{
	int devnull = open("/dev/null", O_RDONLY);

	setpgid(0, 0);
	if (devnull != -1)
		dup2(devnull, 0);
	dup2(outfd, 1);
	dup2(outfd, 2);
	signal(SIGPIPE, SIG_DFL);
	execvp(argv[0], (char *const *)argv);
	dprintf(2, "%s: %s\n", argv[0], strerror(errno));
	_exit(127);
}

static void
kill_group(pid_t pid)
{
	int i;

	kill(-pid, SIGTERM);
	for (i = 0; i < 20; i++) {
		if (waitpid(pid, NULL, WNOHANG) == pid)
			return;
		usleep(50000);
	}
	kill(-pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

int
deploy_run(const char *const *argv, int timeout_ms, const struct deadline *dl,
    char *out, size_t outsz, int *status, struct s2s_err *err)
{
	struct deadline mine = deadline_in_ms(timeout_ms);
	int64_t start = deadline_now_ms();
	int by_run = 0;		/* the run's deadline comes before our own timeout */
	size_t used = 0;
	int fds[2], wst, open_pipe = 1;
	pid_t pid;

	if (dl != NULL && dl->at_ms != 0 && dl->at_ms < mine.at_ms) {
		mine = *dl;
		by_run = 1;
	}
	if (outsz > 0)
		out[0] = '\0';
	if (pipe2(fds, O_CLOEXEC) == -1)
		return err_set(err, S2S_EIO, "%s: pipe: %s", argv[0], strerror(errno));
	if ((pid = fork()) == -1) {
		close(fds[0]);
		close(fds[1]);
		return err_set(err, S2S_EIO, "%s: fork: %s", argv[0], strerror(errno));
	}
	if (pid == 0) {
		close(fds[0]);
		child_exec(argv, fds[1]);
	}
	setpgid(pid, pid);
	close(fds[1]);
	for (;;) {
		struct pollfd pfd = { fds[0], POLLIN, 0 };
		char buf[1024];
		ssize_t n;
		int left = deadline_left_ms(&mine);

		if (left == 0) {
			close(fds[0]);
			kill_group(pid);
			if (by_run)
				return err_set(err, S2S_ETIMEOUT, "%s: killed after %lld ms: the run's deadline passed",
				    argv[0], (long long)(deadline_now_ms() - start));
			return err_set(err, S2S_ETIMEOUT, "%s: killed after %d ms: its timeout passed",
			    argv[0], timeout_ms);
		}
		if (!open_pipe) {
			pid_t w = waitpid(pid, &wst, WNOHANG);

			if (w == pid)
				break;
			usleep(20000);
			continue;
		}
		if (poll(&pfd, 1, left > 200 ? 200 : left) <= 0)
			continue;
		n = read(fds[0], buf, sizeof(buf));
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			open_pipe = 0;
			close(fds[0]);
			continue;
		}
		if (outsz > 1 && used < outsz - 1) {
			size_t take = (size_t)n < outsz - 1 - used ? (size_t)n : outsz - 1 - used;

			memcpy(out + used, buf, take);
			used += take;
			out[used] = '\0';
		}
	}
	if (WIFEXITED(wst))
		*status = WEXITSTATUS(wst);
	else
		*status = 128 + (WIFSIGNALED(wst) ? WTERMSIG(wst) : 0);
	return 0;
}

int
deploy_run_shell(const char *cmd, int timeout_ms, const struct deadline *dl,
    char *out, size_t outsz, int *status, struct s2s_err *err)
{
	const char *argv[] = { "/bin/sh", "-c", cmd, NULL };

	return deploy_run(argv, timeout_ms, dl, out, outsz, status, err);
}
