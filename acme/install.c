/*
 * install.c: see install.h.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "install.h"
#include "mem.h"

#define MAX_STAGES	8

struct stage {
	char	 dst[PATH_MAX];
	char	 tmp[PATH_MAX];
	char	 old_link[PATH_MAX];	/* previous link target, for rollback */
	int	 is_link, committed;
};

struct txn {
	struct stage	s[MAX_STAGES];
	size_t		n;
};

struct fmeta {
	uid_t	uid;
	gid_t	gid;
	mode_t	mode;
	int	known;
};

static void
meta_of(const char *path, mode_t dflt, struct fmeta *m)
{
	struct stat st;

	memset(m, 0, sizeof(*m));
	m->mode = dflt;
	if (stat(path, &st) == 0) {
		m->uid = st.st_uid;
		m->gid = st.st_gid;
		m->mode = st.st_mode & 07777;
		m->known = 1;
	}
}

static int
dir_of(const char *path, char *buf, size_t bufsz)
{
	const char *slash = strrchr(path, '/');

	if (slash == NULL)
		return snprintf(buf, bufsz, ".") >= (int)bufsz ? -1 : 0;
	if (slash == path)
		return snprintf(buf, bufsz, "/") >= (int)bufsz ? -1 : 0;
	return snprintf(buf, bufsz, "%.*s", (int)(slash - path), path) >= (int)bufsz ? -1 : 0;
}

static int
write_all(int fd, const char *data, size_t len)
{
	ssize_t w;

	while (len > 0) {
		if ((w = write(fd, data, len)) < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		data += w;
		len -= (size_t)w;
	}
	return 0;
}

static int
stage_file(struct txn *t, const char *dst, const char *data, const struct fmeta *m,
    struct s2s_err *err)
{
	struct stage *s = &t->s[t->n];
	int fd, rc = 0;

	memset(s, 0, sizeof(*s));
	if (snprintf(s->dst, sizeof(s->dst), "%s", dst) >= (int)sizeof(s->dst) ||
	    snprintf(s->tmp, sizeof(s->tmp), "%s.s2sguard-XXXXXX", dst) >= (int)sizeof(s->tmp))
		return err_set(err, S2S_ETOOBIG, "%s: path too long", dst);
	if ((fd = mkstemp(s->tmp)) < 0)
		return err_set(err, S2S_EIO, "%s: cannot create a temporary file beside it: %s",
		    dst, strerror(errno));
	t->n++;
	if (m->known && fchown(fd, m->uid, m->gid) != 0 && errno != EPERM)
		rc = err_set(err, S2S_EIO, "%s: fchown: %s", s->tmp, strerror(errno));
	else if (fchmod(fd, m->mode) != 0)
		rc = err_set(err, S2S_EIO, "%s: fchmod: %s", s->tmp, strerror(errno));
	else if (write_all(fd, data, strlen(data)) != 0 || fsync(fd) != 0)
		rc = err_set(err, S2S_EIO, "%s: write: %s", s->tmp, strerror(errno));
	if (close(fd) != 0 && rc == 0)
		rc = err_set(err, S2S_EIO, "%s: close: %s", s->tmp, strerror(errno));
	return rc;
}

static int
stage_link(struct txn *t, const char *dst, const char *target, struct s2s_err *err)
{
	struct stage *s = &t->s[t->n];
	ssize_t n;

	memset(s, 0, sizeof(*s));
	s->is_link = 1;
	if (snprintf(s->dst, sizeof(s->dst), "%s", dst) >= (int)sizeof(s->dst) ||
	    snprintf(s->tmp, sizeof(s->tmp), "%s.s2sguard-%ld", dst, (long)getpid()) >=
	    (int)sizeof(s->tmp))
		return err_set(err, S2S_ETOOBIG, "%s: path too long", dst);
	if ((n = readlink(dst, s->old_link, sizeof(s->old_link) - 1)) < 0)
		return err_set(err, S2S_EIO, "%s: not a symbolic link: %s", dst, strerror(errno));
	s->old_link[n] = '\0';
	unlink(s->tmp);
	if (symlink(target, s->tmp) != 0)
		return err_set(err, S2S_EIO, "%s: cannot create a link beside it: %s", dst,
		    strerror(errno));
	t->n++;
	return 0;
}

static void
dir_sync(const char *path)
{
	char dir[PATH_MAX];
	int fd;

	if (dir_of(path, dir, sizeof(dir)) != 0)
		return;
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
		fsync(fd);
		close(fd);
	}
}

static void
txn_abort(struct txn *t)
{
	size_t i;

	for (i = t->n; i-- > 0;) {
		struct stage *s = &t->s[i];

		if (!s->committed) {
			unlink(s->tmp);
			continue;
		}
		if (s->is_link) {
			unlink(s->tmp);
			if (symlink(s->old_link, s->tmp) == 0)
				rename(s->tmp, s->dst);
		} else {
			unlink(s->dst);		/* a new archive file: must not stay */
		}
		dir_sync(s->dst);
	}
	t->n = 0;
}

/* no_replace: the target must not exist (archive versions are never overwritten). */
static int
txn_commit(struct txn *t, int no_replace, struct s2s_err *err)
{
	size_t i;
	int rc;

	for (i = 0; i < t->n; i++) {
		struct stage *s = &t->s[i];

		if (!s->is_link && no_replace)
			rc = renameat2(AT_FDCWD, s->tmp, AT_FDCWD, s->dst, RENAME_NOREPLACE);
		else
			rc = rename(s->tmp, s->dst);
		if (rc != 0) {
			err_set(err, S2S_EIO, "%s: cannot rename into place: %s (rolled back)",
			    s->dst, strerror(errno));
			txn_abort(t);
			return err->code;
		}
		s->committed = 1;
	}
	for (i = 0; i < t->n; i++)
		dir_sync(t->s[i].dst);
	return 0;
}

static int
stage_pair(struct txn *t, const char *path, const char *data, int is_key, struct s2s_err *err)
{
	struct fmeta m;

	if (path == NULL || data == NULL)
		return 0;
	meta_of(path, is_key ? 0600 : 0644, &m);
	if (is_key)
		m.mode &= 0640;		/* never world-readable, never writable by group */
	return stage_file(t, path, data, &m, err);
}

int
install_plain(const char *out_cert, const char *out_chain, const char *out_fullchain,
    const char *out_key, const struct install_files *f, struct s2s_err *err)
{
	struct txn t = { .n = 0 };
	int rc;

	if ((rc = stage_pair(&t, out_key, f->key, 1, err)) != 0 ||
	    (rc = stage_pair(&t, out_cert, f->cert, 0, err)) != 0 ||
	    (rc = stage_pair(&t, out_chain, f->chain, 0, err)) != 0 ||
	    (rc = stage_pair(&t, out_fullchain, f->fullchain, 0, err)) != 0) {
		txn_abort(&t);
		return rc;
	}
	return txn_commit(&t, 0, err);
}

static const char *const kinds[] = { "cert", "chain", "fullchain", "privkey" };

static int
version_of(const char *name)
{
	size_t i, k;
	char *end;
	long v;

	for (k = 0; k < 4; k++) {
		size_t kl = strlen(kinds[k]);

		if (strncmp(name, kinds[k], kl) != 0 || name[kl] < '1' || name[kl] > '9')
			continue;
		v = strtol(name + kl, &end, 10);
		if (strcmp(end, ".pem") != 0 || v <= 0 || v > 1000000)
			continue;
		for (i = kl; name + i < end; i++)
			if (name[i] < '0' || name[i] > '9')
				break;
		if (name + i == end)
			return (int)v;
	}
	return 0;
}

int
install_certbot_max_version(const char *archive_dir, struct s2s_err *err)
{
	struct dirent *de;
	DIR *d;
	int max = 0, v;

	if ((d = opendir(archive_dir)) == NULL)
		return err_set(err, S2S_EIO, "%s: %s", archive_dir, strerror(errno));
	while ((de = readdir(d)) != NULL)
		if ((v = version_of(de->d_name)) > max)
			max = v;
	closedir(d);
	return max;
}

/* The live link's target with its file name's version replaced by v. */
static int
link_target(const char *link, const char *kind, int v, char *buf, size_t bufsz,
    struct s2s_err *err)
{
	char old[PATH_MAX], *slash;
	ssize_t n;

	if ((n = readlink(link, old, sizeof(old) - 1)) < 0)
		return err_set(err, S2S_EIO, "%s: not a symbolic link: %s", link, strerror(errno));
	old[n] = '\0';
	slash = strrchr(old, '/');
	if (slash == NULL ||
	    snprintf(buf, bufsz, "%.*s/%s%d.pem", (int)(slash - old), old, kind, v) >= (int)bufsz)
		return err_set(err, S2S_EPARSE, "%s: unexpected link target \"%s\"", link, old);
	return 0;
}

static int
stage_certbot_files(struct txn *t, const char *archive_dir, const char *live_dir, int v,
    const struct install_files *f, struct s2s_err *err)
{
	const char *data[4] = { f->cert, f->chain, f->fullchain, f->key };
	char dst[PATH_MAX], live[PATH_MAX];
	struct fmeta m;
	size_t k;
	int rc;

	for (k = 0; k < 4; k++) {
		snprintf(live, sizeof(live), "%s/%s.pem", live_dir, kinds[k]);
		if (snprintf(dst, sizeof(dst), "%s/%s%d.pem", archive_dir, kinds[k], v) >=
		    (int)sizeof(dst))
			return err_set(err, S2S_ETOOBIG, "%s: path too long", archive_dir);
		meta_of(live, k == 3 ? 0600 : 0644, &m);
		if (k == 3)
			m.mode &= 0640;
		if (access(dst, F_OK) == 0)
			return err_set(err, S2S_EIO, "%s: already exists", dst);
		if ((rc = stage_file(t, dst, data[k], &m, err)) != 0)
			return rc;
	}
	return 0;
}

int
install_certbot(const char *archive_dir, const char *live_dir, const struct install_files *f,
    int *version, struct s2s_err *err)
{
	struct txn files = { .n = 0 }, links = { .n = 0 };
	char live[PATH_MAX], target[PATH_MAX];
	size_t k;
	int v, rc;

	if ((v = install_certbot_max_version(archive_dir, err)) < 0)
		return v;
	if (v == 0)
		return err_set(err, S2S_ENOTFOUND, "%s: no certificate versions", archive_dir);
	v++;
	if ((rc = stage_certbot_files(&files, archive_dir, live_dir, v, f, err)) != 0)
		goto fail;
	for (k = 0; k < 4; k++) {
		snprintf(live, sizeof(live), "%s/%s.pem", live_dir, kinds[k]);
		if ((rc = link_target(live, kinds[k], v, target, sizeof(target), err)) != 0 ||
		    (rc = stage_link(&links, live, target, err)) != 0)
			goto fail;
	}
	if ((rc = txn_commit(&files, 1, err)) != 0)
		goto fail;
	if ((rc = txn_commit(&links, 0, err)) != 0) {
		files.n = 4;
		for (k = 0; k < 4; k++)
			files.s[k].committed = 1;
		txn_abort(&files);
		return rc;
	}
	*version = v;
	return 0;
fail:
	txn_abort(&links);
	txn_abort(&files);
	return rc;
}

int
install_acmesh(const char *domain_dir, const char *domain, const struct install_files *f,
    struct s2s_err *err)
{
	char cer[PATH_MAX], key[PATH_MAX], ca[PATH_MAX], full[PATH_MAX];

	if (strchr(domain, '/') != NULL)
		return err_set(err, S2S_EINVAL, "%s: not a domain name", domain);
	if (snprintf(cer, sizeof(cer), "%s/%s.cer", domain_dir, domain) >= (int)sizeof(cer) ||
	    snprintf(key, sizeof(key), "%s/%s.key", domain_dir, domain) >= (int)sizeof(key) ||
	    snprintf(ca, sizeof(ca), "%s/ca.cer", domain_dir) >= (int)sizeof(ca) ||
	    snprintf(full, sizeof(full), "%s/fullchain.cer", domain_dir) >= (int)sizeof(full))
		return err_set(err, S2S_ETOOBIG, "%s: path too long", domain_dir);
	return install_plain(cer, ca, full, key, f, err);
}
