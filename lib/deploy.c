/*
 * deploy.c: atomic deployment of a certificate and key; the reload
 * command. See deploy.h for the layouts and why they are safe.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pem.h>

#include "cert.h"
#include "deploy.h"
#include "mem.h"

#define STORE_PREFIX	".s2sguard-"

/* ---- small file helpers ----------------------------------------------- */

static int
write_all(int fd, const void *data, size_t len)
{
	const unsigned char *p = data;
	ssize_t n;

	while (len > 0) {
		n = write(fd, p, len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int
fsync_dir(const char *dir)
{
	int fd, rc;

	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return -1;
	rc = fsync(fd);
	close(fd);
	return rc;
}

/* Split "a/b/c" into dir "a/b" (or ".") and base "c". */
static int
split_path(const char *path, char *dir, size_t dirsz, const char **base)
{
	const char *slash = strrchr(path, '/');

	if (slash == NULL) {
		*base = path;
		return snprintf(dir, dirsz, ".") >= (int)dirsz ? -1 : 0;
	}
	*base = slash + 1;
	if (slash == path)
		return snprintf(dir, dirsz, "/") >= (int)dirsz ? -1 : 0;
	if ((size_t)(slash - path) >= dirsz)
		return -1;
	memcpy(dir, path, (size_t)(slash - path));
	dir[slash - path] = '\0';
	return 0;
}

/* Create a new file (0600) with owner and mode set before any byte. */
static int
create_owned(const char *path, uid_t uid, gid_t gid, mode_t mode)
{
	int fd;

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd == -1)
		return -1;
	if ((uid != (uid_t)-1 || gid != (gid_t)-1) && fchown(fd, uid, gid) == -1)
		goto fail;
	if (fchmod(fd, mode) == -1)
		goto fail;
	return fd;
fail:
	close(fd);
	unlink(path);
	return -1;
}

static int
write_new_file(const char *path, const void *data, size_t len, uid_t uid, gid_t gid,
    mode_t mode, struct s2s_err *err)
{
	int fd;

	if ((fd = create_owned(path, uid, gid, mode)) == -1)
		return err_set(err, S2S_EIO, "%s: %s", path, strerror(errno));
	if (write_all(fd, data, len) == -1 || fsync(fd) == -1) {
		err_set(err, S2S_EIO, "%s: write: %s", path, strerror(errno));
		close(fd);
		unlink(path);
		return S2S_EIO;
	}
	if (close(fd) == -1) {
		unlink(path);
		return err_set(err, S2S_EIO, "%s: close: %s", path, strerror(errno));
	}
	return 0;
}

int
deploy_write_file(const char *path, const void *data, size_t len, uid_t uid, gid_t gid,
    mode_t mode, struct s2s_err *err)
{
	char dir[PATH_MAX], tmp[PATH_MAX];
	const char *base;
	int fd;

	if (split_path(path, dir, sizeof(dir), &base) != 0 ||
	    snprintf(tmp, sizeof(tmp), "%s/.%s.XXXXXX", dir, base) >= (int)sizeof(tmp))
		return err_set(err, S2S_EINVAL, "%s: path too long", path);
	if ((fd = mkstemp(tmp)) == -1)
		return err_set(err, S2S_EIO, "%s: cannot create a temporary file beside it: %s",
		    path, strerror(errno));
	if (((uid != (uid_t)-1 || gid != (gid_t)-1) && fchown(fd, uid, gid) == -1) ||
	    fchmod(fd, mode) == -1) {
		err_set(err, S2S_EPERM, "%s: set owner/mode: %s", tmp, strerror(errno));
		goto fail;
	}
	if (write_all(fd, data, len) == -1 || fsync(fd) == -1) {
		err_set(err, S2S_EIO, "%s: write: %s", tmp, strerror(errno));
		goto fail;
	}
	if (close(fd) == -1) {
		fd = -1;
		err_set(err, S2S_EIO, "%s: close: %s", tmp, strerror(errno));
		goto fail;
	}
	fd = -1;
	if (rename(tmp, path) == -1) {
		err_set(err, S2S_EIO, "%s: rename: %s", path, strerror(errno));
		goto fail;
	}
	if (fsync_dir(dir) == -1)
		return err_set(err, S2S_EIO, "%s: fsync: %s", dir, strerror(errno));
	return 0;
fail:
	if (fd != -1)
		close(fd);
	unlink(tmp);
	return err != NULL ? err->code : S2S_EIO;
}

/* ---- pairs ------------------------------------------------------------ */

void
deploy_pair_clear(struct deploy_pair *p)
{
	if (p == NULL)
		return;
	if (p->key != NULL)
		OPENSSL_cleanse(p->key, p->key_len);
	mem_free(p->key);
	mem_free(p->cert);
	memset(p, 0, sizeof(*p));
}

int
deploy_pair_load(const char *cert_path, const char *key_path, struct deploy_pair *out,
    struct s2s_err *err)
{
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = cert_read_file(cert_path, CERT_MAX_FILE_BYTES, &out->cert, &out->cert_len, err)) != 0)
		return rc;
	if ((rc = cert_read_file(key_path, CERT_MAX_FILE_BYTES, &out->key, &out->key_len, err)) != 0) {
		deploy_pair_clear(out);
		return rc;
	}
	return 0;
}

static int
bio_take(BIO *b, unsigned char **out, size_t *len)
{
	char *data;
	long n = BIO_get_mem_data(b, &data);

	if (n < 0 || (*out = mem_alloc((size_t)n + 1)) == NULL)
		return -1;
	memcpy(*out, data, (size_t)n);
	(*out)[n] = '\0';
	*len = (size_t)n;
	return 0;
}

/* Split a combined PEM into its certificates and its key (OpenSSL's PEM reader). */
static int
pem_split(const unsigned char *data, size_t len, const char *what, struct deploy_pair *out,
    struct s2s_err *err)
{
	BIO *in, *certs, *key;
	char *name = NULL, *header = NULL;
	unsigned char *body = NULL;
	long blen;
	int rc = S2S_ENOMEM, nkeys = 0;

	in = BIO_new_mem_buf(data, (int)len);
	certs = BIO_new(BIO_s_mem());
	key = BIO_new(BIO_s_secmem());
	if (in == NULL || certs == NULL || key == NULL) {
		err_set(err, rc, "%s: out of memory", what);
		goto out;
	}
	while (PEM_read_bio(in, &name, &header, &body, &blen) == 1) {
		BIO *to = strstr(name, "PRIVATE KEY") != NULL ? key : certs;

		if (to == key)
			nkeys++;
		PEM_write_bio(to, name, header, body, blen);
		OPENSSL_free(name);
		OPENSSL_free(header);
		OPENSSL_clear_free(body, (size_t)blen);
		name = header = NULL;
		body = NULL;
	}
	ERR_clear_error();
	if (nkeys != 1 || BIO_pending(certs) == 0) {
		rc = err_set(err, S2S_EPARSE, "%s: want certificates and exactly one private key, found %d key(s)",
		    what, nkeys);
		goto out;
	}
	if (bio_take(certs, &out->cert, &out->cert_len) != 0 ||
	    bio_take(key, &out->key, &out->key_len) != 0) {
		deploy_pair_clear(out);
		err_set(err, rc, "%s: out of memory", what);
		goto out;
	}
	rc = 0;
out:
	BIO_free(in);
	BIO_free(certs);
	BIO_free(key);
	return rc;
}

int
deploy_pair_load_target(const struct deploy_target *t, struct deploy_pair *out,
    struct s2s_err *err)
{
	unsigned char *data;
	size_t len;
	int rc;

	memset(out, 0, sizeof(*out));
	if (t->pem_path == NULL) {
		/*
		 * Only one of the two: a first deploy was interrupted between
		 * its two links; nothing complete is deployed, and the next
		 * deploy creates the missing link.
		 */
		if (access(t->cert_path, F_OK) != 0 || access(t->key_path, F_OK) != 0)
			return err_set(err, S2S_ENOTFOUND, "%s: nothing deployed yet", t->cert_path);
		return deploy_pair_load(t->cert_path, t->key_path, out, err);
	}
	if (access(t->pem_path, F_OK) != 0)
		return err_set(err, S2S_ENOTFOUND, "%s: nothing deployed yet", t->pem_path);
	if ((rc = cert_read_file(t->pem_path, CERT_MAX_FILE_BYTES, &data, &len, err)) != 0)
		return rc;
	rc = pem_split(data, len, t->pem_path, out, err);
	OPENSSL_cleanse(data, len);
	mem_free(data);
	return rc;
}

int
deploy_target_from_config(const struct cfg_domain *d, struct deploy_target *out,
    struct s2s_err *err)
{
	struct passwd *pw;
	struct group *gr;

	memset(out, 0, sizeof(*out));
	out->cert_path = d->cert_path;
	out->key_path = d->key_path;
	out->pem_path = d->pem_path;
	out->key_mode = d->key_mode;
	out->cert_mode = d->cert_mode;
	out->uid = (uid_t)-1;
	out->gid = (gid_t)-1;
	if (d->owner != NULL) {
		if ((pw = getpwnam(d->owner)) == NULL)
			return err_set(err, S2S_EINVAL, "[domain %s]: owner '%s': no such user",
			    d->name, d->owner);
		out->uid = pw->pw_uid;
	}
	if (d->group != NULL) {
		if ((gr = getgrnam(d->group)) == NULL)
			return err_set(err, S2S_EINVAL, "[domain %s]: group '%s': no such group",
			    d->name, d->group);
		out->gid = gr->gr_gid;
	}
	if (out->pem_path == NULL && (out->cert_path == NULL || out->key_path == NULL))
		return err_set(err, S2S_EINVAL, "[domain %s]: no deploy target", d->name);
	return 0;
}

/* ---- separate files: the symlinked version directory ------------------ */

struct store {
	char	dir[PATH_MAX];		/* .../.s2sguard-NAME.crt */
	char	current[PATH_MAX];	/* dir/current */
	char	cert_link[PATH_MAX];	/* dir/current/cert.pem */
	char	key_link[PATH_MAX];	/* dir/current/key.pem */
};

static int
store_paths(const struct deploy_target *t, struct store *s, struct s2s_err *err)
{
	char dir[PATH_MAX], absdir[PATH_MAX];
	const char *base;

	if (split_path(t->cert_path, dir, sizeof(dir), &base) != 0)
		return err_set(err, S2S_EINVAL, "%s: path too long", t->cert_path);
	if (realpath(dir, absdir) == NULL)
		return err_set(err, S2S_EIO, "%s: %s", dir, strerror(errno));
	if (snprintf(s->dir, sizeof(s->dir), "%s/" STORE_PREFIX "%s", absdir, base) >= (int)sizeof(s->dir) ||
	    snprintf(s->current, sizeof(s->current), "%s/current", s->dir) >= (int)sizeof(s->current) ||
	    snprintf(s->cert_link, sizeof(s->cert_link), "%s/cert.pem", s->current) >= (int)sizeof(s->cert_link) ||
	    snprintf(s->key_link, sizeof(s->key_link), "%s/key.pem", s->current) >= (int)sizeof(s->key_link))
		return err_set(err, S2S_EINVAL, "%s: path too long", t->cert_path);
	return 0;
}

static int
store_open(const struct deploy_target *t, const struct store *s, struct s2s_err *err)
{
	struct stat st;

	if (mkdir(s->dir, 0755) == -1 && errno != EEXIST)
		return err_set(err, S2S_EIO, "%s: %s", s->dir, strerror(errno));
	if (lstat(s->dir, &st) == -1)
		return err_set(err, S2S_EIO, "%s: %s", s->dir, strerror(errno));
	if (!S_ISDIR(st.st_mode) || st.st_uid != geteuid())
		return err_set(err, S2S_EPERM, "%s: not a directory owned by us; refusing", s->dir);
	return 0;
}

/* A complete version directory holding the pair; *name gets its base name. */
static int
version_write(const struct deploy_target *t, const struct store *s,
    const struct deploy_pair *p, char *name, size_t namesz, struct s2s_err *err)
{
	char vdir[PATH_MAX], path[PATH_MAX];
	int rc;

	if (snprintf(vdir, sizeof(vdir), "%s/v.XXXXXX", s->dir) >= (int)sizeof(vdir))
		return err_set(err, S2S_EINVAL, "%s: path too long", s->dir);
	if (mkdtemp(vdir) == NULL)
		return err_set(err, S2S_EIO, "%s: %s", vdir, strerror(errno));
	if (chmod(vdir, 0755) == -1)
		return err_set(err, S2S_EIO, "%s: %s", vdir, strerror(errno));
	snprintf(path, sizeof(path), "%s/cert.pem", vdir);
	if ((rc = write_new_file(path, p->cert, p->cert_len, t->uid, t->gid, t->cert_mode, err)) != 0)
		return rc;
	snprintf(path, sizeof(path), "%s/key.pem", vdir);
	if ((rc = write_new_file(path, p->key, p->key_len, t->uid, t->gid, t->key_mode, err)) != 0)
		return rc;
	if (fsync_dir(vdir) == -1 || fsync_dir(s->dir) == -1)
		return err_set(err, S2S_EIO, "%s: fsync: %s", vdir, strerror(errno));
	snprintf(name, namesz, "%s", strrchr(vdir, '/') + 1);
	return 0;
}

/* Point `link` at `target` with one rename (symlink to a temp name first). */
static int
link_swap(const char *target, const char *link, struct s2s_err *err)
{
	char tmp[PATH_MAX], dir[PATH_MAX];
	const char *base;

	if (split_path(link, dir, sizeof(dir), &base) != 0 ||
	    snprintf(tmp, sizeof(tmp), "%s/.%s.s2sguard-%ld", dir, base, (long)getpid()) >= (int)sizeof(tmp))
		return err_set(err, S2S_EINVAL, "%s: path too long", link);
	unlink(tmp);
	if (symlink(target, tmp) == -1)
		return err_set(err, S2S_EIO, "%s: symlink: %s", tmp, strerror(errno));
	if (rename(tmp, link) == -1) {
		err_set(err, S2S_EIO, "%s: rename: %s", link, strerror(errno));
		unlink(tmp);
		return S2S_EIO;
	}
	if (fsync_dir(dir) == -1)
		return err_set(err, S2S_EIO, "%s: fsync: %s", dir, strerror(errno));
	return 0;
}

static int
link_points_to(const char *link, const char *target)
{
	char buf[PATH_MAX];
	ssize_t n = readlink(link, buf, sizeof(buf) - 1);

	if (n < 0)
		return 0;
	buf[n] = '\0';
	return strcmp(buf, target) == 0;
}

/* Remove version directories other than `keep1`/`keep2` and stray temp links. */
static void
store_prune(const struct store *s, const char *keep1, const char *keep2)
{
	char path[PATH_MAX];
	struct dirent *de;
	DIR *d;

	if ((d = opendir(s->dir)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (strncmp(de->d_name, "v.", 2) == 0) {
			if (strcmp(de->d_name, keep1) == 0 ||
			    (keep2 != NULL && strcmp(de->d_name, keep2) == 0))
				continue;
			snprintf(path, sizeof(path), "%s/%s/cert.pem", s->dir, de->d_name);
			unlink(path);
			snprintf(path, sizeof(path), "%s/%s/key.pem", s->dir, de->d_name);
			unlink(path);
			snprintf(path, sizeof(path), "%s/%s", s->dir, de->d_name);
			rmdir(path);
		} else if (strncmp(de->d_name, ".current.s2sguard-", 18) == 0) {
			snprintf(path, sizeof(path), "%s/%s", s->dir, de->d_name);
			unlink(path);
		}
	}
	closedir(d);
}

/*
 * First deploy onto plain files: copy them into a version directory, point
 * `current` there, then turn each path into a link to the same content.
 */
static int
store_adopt(const struct deploy_target *t, const struct store *s, const struct deploy_pair *newp,
    struct s2s_err *err)
{
	struct deploy_pair old;
	char name[64];
	struct stat st;
	int rc;

	if (lstat(s->current, &st) == 0)
		return 0;
	rc = deploy_pair_load_target(t, &old, err);
	if (rc == S2S_ENOTFOUND)
		rc = version_write(t, s, newp, name, sizeof(name), err);
	else if (rc == 0) {
		rc = version_write(t, s, &old, name, sizeof(name), err);
		deploy_pair_clear(&old);
	}
	if (rc != 0)
		return rc;
	return link_swap(name, s->current, err);
}

static int
install_separate(const struct deploy_target *t, const struct deploy_pair *p, struct s2s_err *err)
{
	char name[64], prev[PATH_MAX] = "";
	struct store s;
	ssize_t n;
	int rc;

	if ((rc = store_paths(t, &s, err)) != 0 || (rc = store_open(t, &s, err)) != 0)
		return rc;
	if ((rc = store_adopt(t, &s, p, err)) != 0)
		return rc;
	if (!link_points_to(t->cert_path, s.cert_link) &&
	    (rc = link_swap(s.cert_link, t->cert_path, err)) != 0)
		return rc;
	if (!link_points_to(t->key_path, s.key_link) &&
	    (rc = link_swap(s.key_link, t->key_path, err)) != 0)
		return rc;
	if ((rc = version_write(t, &s, p, name, sizeof(name), err)) != 0)
		return rc;
	if ((n = readlink(s.current, prev, sizeof(prev) - 1)) >= 0)
		prev[n] = '\0';
	if ((rc = link_swap(name, s.current, err)) != 0)
		return rc;
	store_prune(&s, name, prev[0] != '\0' ? prev : NULL);
	return 0;
}

static int
install_combined(const struct deploy_target *t, const struct deploy_pair *p, struct s2s_err *err)
{
	unsigned char *buf;
	size_t len = p->cert_len + p->key_len + 1;
	int rc;

	if ((buf = mem_alloc(len)) == NULL)
		return err_set(err, S2S_ENOMEM, "%s: out of memory", t->pem_path);
	memcpy(buf, p->cert, p->cert_len);
	len = p->cert_len;
	if (len > 0 && buf[len - 1] != '\n')
		buf[len++] = '\n';
	memcpy(buf + len, p->key, p->key_len);
	len += p->key_len;
	rc = deploy_write_file(t->pem_path, buf, len, t->uid, t->gid, t->key_mode, err);
	OPENSSL_cleanse(buf, len);
	mem_free(buf);
	return rc;
}

int
deploy_install(const struct deploy_target *t, const struct deploy_pair *p, struct s2s_err *err)
{
	if (p->cert == NULL || p->key == NULL || p->cert_len == 0 || p->key_len == 0)
		return err_set(err, S2S_EINVAL, "deploy: empty certificate or key");
	if (t->pem_path != NULL)
		return install_combined(t, p, err);
	return install_separate(t, p, err);
}

/* ---- commands ----------------------------------------------------------- */

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
	size_t used = 0;
	int fds[2], wst, open_pipe = 1;
	pid_t pid;

	if (dl != NULL)
		mine = deadline_min(mine, *dl);
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
			return err_set(err, S2S_ETIMEOUT, "%s: killed after %d ms", argv[0], timeout_ms);
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
