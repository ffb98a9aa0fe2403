/*
 * challenge.c: see challenge.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "challenge.h"
#include "jws.h"
#include "mem.h"

static int
token_ok(const char *t)
{
	size_t i;

	if (t == NULL || t[0] == '\0' || strlen(t) > 256)
		return 0;
	for (i = 0; t[i] != '\0'; i++)
		if (!((t[i] >= 'A' && t[i] <= 'Z') || (t[i] >= 'a' && t[i] <= 'z') ||
		    (t[i] >= '0' && t[i] <= '9') || t[i] == '-' || t[i] == '_'))
			return 0;
	return 1;
}

int
challenge_auth_new(const char *type, const char *token, const char *thumb, char **out,
    struct s2s_err *err)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	size_t n = strlen(token) + strlen(thumb) + 2;
	char *ka;

	*out = NULL;
	if ((ka = mem_alloc(n)) == NULL)
		return err_set(err, S2S_ENOMEM, "out of memory");
	snprintf(ka, n, "%s.%s", token, thumb);
	if (strcmp(type, "dns-01") != 0) {
		*out = ka;
		return 0;
	}
	if (!EVP_Digest(ka, n - 1, md, &mdlen, EVP_sha256(), NULL))
		*out = NULL;
	else
		*out = b64url_encode(md, mdlen);
	mem_free(ka);
	return *out ? 0 : err_set(err, S2S_ENOMEM, "out of memory");
}

static const char *
webroot_for(const struct solver *s, const char *ident)
{
	size_t i;

	for (i = 0; i < s->nmap; i++)
		if (strcmp(s->map_names[i], ident) == 0)
			return s->map_paths[i];
	return s->webroot;
}

static const json_t *
challenge_find(const json_t *challenges, const char *type)
{
	const json_t *c;
	size_t i;

	json_array_foreach((json_t *)challenges, i, c) {
		const char *t = json_string_value(json_object_get(c, "type"));

		if (t != NULL && strcmp(t, type) == 0)
			return c;
	}
	return NULL;
}

/*
 * The webroot is walked with directory descriptors from the configured
 * directory down: .well-known and acme-challenge are opened with
 * O_NOFOLLOW|O_DIRECTORY (created with mkdirat where missing), the token
 * is created O_EXCL|O_NOFOLLOW with mode 0644, and everything is removed
 * relative to the same descriptors. A link planted by whoever can write
 * the webroot is refused, never followed.
 */
static int
webroot_subdir(int parent, const char *root, const char *rel, const char *name, int *fd,
    int *created, struct s2s_err *err)
{
	*created = 0;
	if (mkdirat(parent, name, 0755) == 0)
		*created = 1;
	else if (errno != EEXIST)
		return err_set(err, S2S_EIO, "%s/%s: cannot create it: %s", root, rel,
		    strerror(errno));
	if ((*fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) >= 0)
		return 0;
	if (errno == ELOOP || errno == ENOTDIR) {
		struct stat st;
		int link = errno == ELOOP || (fstatat(parent, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		    S_ISLNK(st.st_mode));

		err_set(err, S2S_EINVAL, "%s/%s: %s; refusing to write the http-01 token through "
		    "it", root, rel, link ? "is a symbolic link" : "is not a directory");
	} else
		err_set(err, S2S_EIO, "%s/%s: %s", root, rel, strerror(errno));
	if (*created)
		unlinkat(parent, name, AT_REMOVEDIR);
	*created = 0;
	return S2S_EINVAL;
}

static int
webroot_token(struct solved *sv, const char *root, struct s2s_err *err)
{
	size_t len = strlen(sv->auth);
	int fd, rc = 0;

	fd = openat(sv->ac_fd, sv->token, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	    0644);
	if (fd < 0 || fchmod(fd, 0644) != 0 || write(fd, sv->auth, len) != (ssize_t)len ||
	    fsync(fd) != 0)
		rc = err_set(err, S2S_EIO, "%s/.well-known/acme-challenge/%s: cannot write the "
		    "http-01 file: %s", root, sv->token, strerror(errno));
	if (fd >= 0 && rc != 0)
		unlinkat(sv->ac_fd, sv->token, 0);
	sv->wrote_token = fd >= 0 && rc == 0;
	if (fd >= 0)
		close(fd);
	return rc;
}

static int
webroot_write(const char *root, struct solved *sv, struct s2s_err *err)
{
	int rc;

	sv->root_fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	sv->have_fds = 1;
	if (sv->root_fd < 0)
		return err_set(err, S2S_EIO, "%s: cannot open the webroot: %s", root,
		    strerror(errno));
	if ((rc = webroot_subdir(sv->root_fd, root, ".well-known", ".well-known", &sv->wk_fd,
	    &sv->made_wk, err)) != 0 ||
	    (rc = webroot_subdir(sv->wk_fd, root, ".well-known/acme-challenge", "acme-challenge",
	    &sv->ac_fd, &sv->made_ac, err)) != 0)
		return rc;
	return webroot_token(sv, root, err);
}

/* Remove what webroot_write made, through the same descriptors. */
static void
webroot_clean(struct solved *sv)
{
	if (!sv->have_fds)
		return;
	if (sv->wrote_token)
		unlinkat(sv->ac_fd, sv->token, 0);
	if (sv->made_ac)
		unlinkat(sv->wk_fd, "acme-challenge", AT_REMOVEDIR);
	if (sv->made_wk)
		unlinkat(sv->root_fd, ".well-known", AT_REMOVEDIR);
	if (sv->ac_fd >= 0)
		close(sv->ac_fd);
	if (sv->wk_fd >= 0)
		close(sv->wk_fd);
	if (sv->root_fd >= 0)
		close(sv->root_fd);
	sv->have_fds = 0;
}

static int
solved_fill(struct solved *sv, const char *type, const char *ident, const json_t *c,
    const char *thumb, struct s2s_err *err)
{
	const char *token = json_string_value(json_object_get(c, "token"));

	memset(sv, 0, sizeof(*sv));
	sv->root_fd = sv->wk_fd = sv->ac_fd = -1;
	if (!token_ok(token))
		return err_set(err, S2S_EPROTO, "%s: %s challenge token is not base64url", ident, type);
	sv->url = json_string_value(json_object_get(c, "url"));
	if (sv->url == NULL)
		return err_set(err, S2S_EPROTO, "%s: %s challenge has no url", ident, type);
	snprintf(sv->type, sizeof(sv->type), "%s", type);
	sv->ident = mem_strdup(ident);
	sv->token = mem_strdup(token);
	if (sv->ident == NULL || sv->token == NULL)
		return err_set(err, S2S_ENOMEM, "out of memory");
	return challenge_auth_new(type, token, thumb, &sv->auth, err);
}

static void
solved_clear(struct solved *sv)
{
	mem_free(sv->ident);
	mem_free(sv->token);
	mem_free(sv->auth);
	memset(sv, 0, sizeof(*sv));
}

static void
hook_child(const struct solver *s, const char *method, const struct solved *sv)
{
	int fd = open("/dev/null", O_RDONLY);

	if (fd >= 0) {
		dup2(fd, 0);
		close(fd);
	}
	dup2(2, 1);		/* keep stdout for the --json report */
	setenv("UACME_METHOD", method, 1);
	setenv("UACME_TYPE", sv->type, 1);
	setenv("UACME_IDENT", sv->ident, 1);
	setenv("UACME_TOKEN", sv->token, 1);
	setenv("UACME_AUTH", sv->auth, 1);
	execl(s->hook, s->hook, method, sv->type, sv->ident, sv->token, sv->auth, (char *)NULL);
	_exit(127);
}

int
solver_hook_run(const struct solver *s, const char *method, const struct solved *sv,
    struct s2s_err *err)
{
	struct timespec ts = { 0, 50 * 1000000L };
	int status;
	pid_t pid, w;

	if ((pid = fork()) < 0)
		return err_set(err, S2S_EIO, "%s: cannot fork: %s", s->hook, strerror(errno));
	if (pid == 0)
		hook_child(s, method, sv);
	while ((w = waitpid(pid, &status, WNOHANG)) == 0) {
		if (deadline_expired(&s->deadline)) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			return err_set(err, S2S_ETIMEOUT, "%s %s: killed at the deadline", s->hook,
			    method);
		}
		nanosleep(&ts, NULL);
	}
	if (w < 0)
		return err_set(err, S2S_EIO, "%s: waitpid: %s", s->hook, strerror(errno));
	if (WIFEXITED(status)) {
		if (WEXITSTATUS(status) == 127)
			return err_set(err, S2S_EINVAL, "%s: cannot run the challenge hook", s->hook);
		return WEXITSTATUS(status);
	}
	return err_set(err, S2S_EIO, "%s %s: killed by signal %d", s->hook, method,
	    WTERMSIG(status));
}

static int
begin_hook(const struct solver *s, const char *ident, const json_t *challenges,
    const char *thumb, struct solved *sv, struct s2s_err *err)
{
	static const char *const types[] = { "http-01", "dns-01" };
	const json_t *c;
	size_t i;
	int rc;

	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		if ((c = challenge_find(challenges, types[i])) == NULL)
			continue;
		if ((rc = solved_fill(sv, types[i], ident, c, thumb, err)) != 0 ||
		    (rc = solver_hook_run(s, "begin", sv, err)) < 0) {
			solved_clear(sv);
			return rc;
		}
		if (rc == 0)
			return 0;
		log_msg(s->log, LOG_INFO, "%s: challenge hook declined %s (exit %d)", ident,
		    types[i], rc);
		solved_clear(sv);
	}
	return err_set(err, S2S_EINVAL, "%s: the challenge hook accepted none of the offered "
	    "challenges", ident);
}

int
solver_begin(const struct solver *s, const char *ident, const json_t *challenges,
    const char *thumb, struct solved *sv, struct s2s_err *err)
{
	const char *root;
	const json_t *c;
	int rc;

	memset(sv, 0, sizeof(*sv));
	if (s->hook != NULL)
		return begin_hook(s, ident, challenges, thumb, sv, err);
	if ((root = webroot_for(s, ident)) == NULL)
		return err_set(err, S2S_EINVAL, "%s: needs validation but no webroot or challenge "
		    "hook is configured (--webroot, --challenge-hook)", ident);
	if ((c = challenge_find(challenges, "http-01")) == NULL)
		return err_set(err, S2S_EPROTO, "%s: the CA offers no http-01 challenge "
		    "(use --challenge-hook for dns-01)", ident);
	if ((rc = solved_fill(sv, "http-01", ident, c, thumb, err)) != 0 ||
	    (rc = webroot_write(root, sv, err)) != 0) {
		solver_end(s, sv, 0);
		return rc;
	}
	return 0;
}

void
solver_end(const struct solver *s, struct solved *sv, int ok)
{
	struct s2s_err err = { 0 };
	int rc;

	webroot_clean(sv);
	if (s->hook != NULL && sv->auth != NULL &&
	    (rc = solver_hook_run(s, ok ? "done" : "failed", sv, &err)) != 0)
		log_msg(s->log, LOG_WARNING, "%s: challenge hook \"%s\" exited %d %s", sv->ident,
		    ok ? "done" : "failed", rc, err.msg);
	solved_clear(sv);
}
