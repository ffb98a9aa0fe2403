/*
 * fsat.c: directory-descriptor-relative file primitives (see fsat.h).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "fsat.h"
#include "mem.h"

#define FSAT_TRIES	16

static const char *
name_of(const char *what, const char *name)
{
	return what != NULL ? what : name;
}

static const char *
kind_of(mode_t m)
{
	if (S_ISFIFO(m))
		return "a FIFO";
	if (S_ISSOCK(m))
		return "a socket";
	if (S_ISCHR(m) || S_ISBLK(m))
		return "a device";
	if (S_ISDIR(m))
		return "a directory";
	if (S_ISLNK(m))
		return "a symbolic link";
	return "not a regular file";
}

static int
open_error(const char *what, unsigned flags, int e, struct s2s_err *err)
{
	if (e == ENOENT)
		return err_set(err, S2S_ENOTFOUND, "%s: %s", what, strerror(e));
	if ((flags & FSAT_NOFOLLOW) && (e == ELOOP || e == ENOTDIR))
		return err_set(err, S2S_EPERM, "%s: a symbolic link or not a directory; not followed", what);
	return err_set(err, S2S_EIO, "%s: %s", what, strerror(e));
}

static int
check_ours(const struct stat *st, const char *what, struct s2s_err *err)
{
	if (st->st_uid != geteuid() || (st->st_mode & (S_IWGRP | S_IWOTH)) != 0)
		return err_set(err, S2S_EPERM, "%s: owned by uid %ld or writable by others; refusing",
		    what, (long)st->st_uid);
	return 0;
}

/* Read everything from a regular file's descriptor, within max and the deadline. */
static int
read_fd(int fd, const char *what, size_t max, const struct deadline *dl, unsigned char **out,
    size_t *len, struct s2s_err *err)
{
	unsigned char *buf = NULL, *nbuf;
	size_t used = 0, cap = 0, ncap;
	ssize_t n;
	int rc;

	for (;;) {
		if (dl != NULL && deadline_expired(dl)) {
			rc = err_set(err, S2S_ETIMEOUT, "%s: the deadline passed while reading", what);
			goto fail;
		}
		if (used == cap) {
			ncap = cap == 0 ? 16384 : cap * 2;
			if (ncap > max + 1)
				ncap = max + 1;
			if (ncap <= used) {
				rc = err_set(err, S2S_ETOOBIG, "%s: more than the %zu bytes allowed", what, max);
				goto fail;
			}
			if ((nbuf = mem_alloc(ncap + 1)) == NULL) {
				rc = err_set(err, S2S_ENOMEM, "%s: out of memory", what);
				goto fail;
			}
			if (buf != NULL) {
				memcpy(nbuf, buf, used);
				OPENSSL_cleanse(buf, cap);
				mem_free(buf);
			}
			buf = nbuf;
			cap = ncap;
		}
		n = read(fd, buf + used, cap - used);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			rc = err_set(err, S2S_EIO, "%s: %s", what, strerror(errno));
			goto fail;
		}
		if (n == 0)
			break;
		used += (size_t)n;
	}
	if (used > max) {
		rc = err_set(err, S2S_ETOOBIG, "%s: more than the %zu bytes allowed", what, max);
		goto fail;
	}
	if (buf == NULL && (buf = mem_alloc(1)) == NULL)
		return err_set(err, S2S_ENOMEM, "%s: out of memory", what);
	buf[used] = '\0';
	*out = buf;
	*len = used;
	return 0;
fail:
	if (buf != NULL) {
		OPENSSL_cleanse(buf, cap);
		mem_free(buf);
	}
	return rc;
}

int
fsat_read(int at, const char *name, const char *what, unsigned flags, size_t max,
    const struct deadline *dl, unsigned char **out, size_t *len, struct s2s_err *err)
{
	int oflags = O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY, fd, rc;
	struct stat st;

	what = name_of(what, name);
	*out = NULL;
	*len = 0;
	if (flags & FSAT_NOFOLLOW)
		oflags |= O_NOFOLLOW;
	if ((fd = openat(at, name, oflags)) == -1)
		return open_error(what, flags, errno, err);
	if (fstat(fd, &st) == -1)
		rc = err_set(err, S2S_EIO, "%s: %s", what, strerror(errno));
	else if (!S_ISREG(st.st_mode))
		rc = err_set(err, S2S_EINVAL, "%s: %s, not a regular file; not read", what,
		    kind_of(st.st_mode));
	else if ((flags & FSAT_ONE_LINK) && st.st_nlink != 1)
		rc = err_set(err, S2S_EPERM, "%s: has %lu hard links; not read", what,
		    (unsigned long)st.st_nlink);
	else if ((flags & FSAT_OURS) && (rc = check_ours(&st, what, err)) != 0)
		;
	else if ((size_t)st.st_size > max)
		rc = err_set(err, S2S_ETOOBIG, "%s: %lld bytes, more than the %zu allowed",
		    what, (long long)st.st_size, max);
	else
		rc = read_fd(fd, what, max, dl, out, len, err);
	close(fd);
	return rc;
}

int
fsat_dir_open(int at, const char *name, const char *what, unsigned flags, int *fd_out,
    struct s2s_err *err)
{
	int oflags = O_RDONLY | O_DIRECTORY | O_CLOEXEC, fd, rc;
	struct stat st;

	what = name_of(what, name);
	*fd_out = -1;
	if (flags & FSAT_NOFOLLOW)
		oflags |= O_NOFOLLOW;
	if ((fd = openat(at, name, oflags)) == -1)
		return open_error(what, flags, errno, err);
	if (fstat(fd, &st) == -1) {
		rc = err_set(err, S2S_EIO, "%s: %s", what, strerror(errno));
		close(fd);
		return rc;
	}
	if ((flags & FSAT_OURS) && (rc = check_ours(&st, what, err)) != 0) {
		close(fd);
		return rc;
	}
	*fd_out = fd;
	return 0;
}

int
fsat_dir_make(int at, const char *name, const char *what, mode_t mode, int *fd_out,
    int *created, struct s2s_err *err)
{
	int made = 0, rc;

	what = name_of(what, name);
	if (mkdirat(at, name, 0700) == 0)
		made = 1;
	else if (errno != EEXIST)
		return err_set(err, S2S_EIO, "%s: %s", what, strerror(errno));
	if (created != NULL)
		*created = made;
	if ((rc = fsat_dir_open(at, name, what, FSAT_NOFOLLOW | FSAT_OURS, fd_out, err)) != 0)
		return rc;
	if (fchmod(*fd_out, mode) == -1) {
		rc = err_set(err, S2S_EIO, "%s: chmod: %s", what, strerror(errno));
		close(*fd_out);
		*fd_out = -1;
		return rc;
	}
	return 0;
}

/* PREFIX followed by 6 random letters and digits. */
static int
random_name(const char *prefix, char *out, size_t outsz)
{
	static const char set[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
	unsigned char r[6];
	size_t i, n;

	if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r))
		return -1;
	n = (size_t)snprintf(out, outsz, "%s", prefix);
	if (n + sizeof(r) + 1 > outsz)
		return -1;
	for (i = 0; i < sizeof(r); i++)
		out[n + i] = set[r[i] % (sizeof(set) - 1)];
	out[n + sizeof(r)] = '\0';
	return 0;
}

int
fsat_dir_make_temp(int at, const char *prefix, const char *what, mode_t mode,
    char *name_out, size_t namesz, int *fd_out, struct s2s_err *err)
{
	int i, rc;

	for (i = 0; i < FSAT_TRIES; i++) {
		if (random_name(prefix, name_out, namesz) != 0)
			return err_set(err, S2S_EINVAL, "%s: name too long", what);
		if (mkdirat(at, name_out, 0700) == 0)
			break;
		if (errno != EEXIST)
			return err_set(err, S2S_EIO, "%s/%s: %s", what, name_out, strerror(errno));
	}
	if (i == FSAT_TRIES)
		return err_set(err, S2S_EIO, "%s: no free temporary name", what);
	if ((rc = fsat_dir_open(at, name_out, what, FSAT_NOFOLLOW | FSAT_OURS, fd_out, err)) != 0)
		return rc;
	if (fchmod(*fd_out, mode) == -1) {
		rc = err_set(err, S2S_EIO, "%s/%s: chmod: %s", what, name_out, strerror(errno));
		close(*fd_out);
		*fd_out = -1;
		unlinkat(at, name_out, AT_REMOVEDIR);
		return rc;
	}
	return 0;
}

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

int
fsat_write_new(int at, const char *name, const char *what, const void *data, size_t len,
    uid_t uid, gid_t gid, mode_t mode, struct s2s_err *err)
{
	int fd, rc;

	what = name_of(what, name);
	fd = openat(at, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd == -1)
		return err_set(err, S2S_EIO, "%s: %s", what, strerror(errno));
	if ((uid != (uid_t)-1 || gid != (gid_t)-1) && fchown(fd, uid, gid) == -1)
		rc = err_set(err, S2S_EPERM, "%s: chown: %s", what, strerror(errno));
	else if (fchmod(fd, mode) == -1)
		rc = err_set(err, S2S_EPERM, "%s: chmod: %s", what, strerror(errno));
	else if (write_all(fd, data, len) == -1 || fsync(fd) == -1)
		rc = err_set(err, S2S_EIO, "%s: write: %s", what, strerror(errno));
	else
		rc = 0;
	if (close(fd) == -1 && rc == 0)
		rc = err_set(err, S2S_EIO, "%s: close: %s", what, strerror(errno));
	if (rc != 0)
		unlinkat(at, name, 0);
	return rc;
}

/* Rename the temporary TMP over NAME (TMP is removed if that fails), then
 * make the rename durable with an fsync of the directory. */
static int
rename_into(int at, const char *tmp, const char *name, const char *what,
    struct s2s_err *err)
{
	int rc;

	if (renameat(at, tmp, at, name) == -1) {
		rc = err_set(err, S2S_EIO, "%s: rename: %s", what, strerror(errno));
		unlinkat(at, tmp, 0);
		return rc;
	}
	if (fsync(at) == -1)
		return err_set(err, S2S_EIO, "%s: fsync of its directory: %s", what, strerror(errno));
	return 0;
}

int
fsat_write_atomic(int at, const char *name, const char *what, const void *data, size_t len,
    uid_t uid, gid_t gid, mode_t mode, struct s2s_err *err)
{
	char prefix[300], tmp[320];
	int i, rc = S2S_EIO;

	what = name_of(what, name);
	if (snprintf(prefix, sizeof(prefix), ".%s.", name) >= (int)sizeof(prefix))
		return err_set(err, S2S_EINVAL, "%s: name too long", what);
	for (i = 0; i < FSAT_TRIES; i++) {
		if (random_name(prefix, tmp, sizeof(tmp)) != 0)
			return err_set(err, S2S_EINVAL, "%s: name too long", what);
		rc = fsat_write_new(at, tmp, what, data, len, uid, gid, mode, err);
		if (rc == 0 || faccessat(at, tmp, F_OK, AT_SYMLINK_NOFOLLOW) != 0)
			break;	/* done, or failed for another reason than a taken name */
	}
	if (rc != 0)
		return rc;
	return rename_into(at, tmp, name, what, err);
}

int
fsat_link_swap(int at, const char *name, const char *what, const char *target,
    struct s2s_err *err)
{
	char prefix[300], tmp[320];
	int i;

	what = name_of(what, name);
	if (snprintf(prefix, sizeof(prefix), ".%s.s2sguard-", name) >= (int)sizeof(prefix))
		return err_set(err, S2S_EINVAL, "%s: name too long", what);
	for (i = 0; i < FSAT_TRIES; i++) {
		if (random_name(prefix, tmp, sizeof(tmp)) != 0)
			return err_set(err, S2S_EINVAL, "%s: name too long", what);
		if (symlinkat(target, at, tmp) == 0)
			break;
		if (errno != EEXIST)
			return err_set(err, S2S_EIO, "%s: symlink: %s", what, strerror(errno));
	}
	if (i == FSAT_TRIES)
		return err_set(err, S2S_EIO, "%s: no free temporary name", what);
	return rename_into(at, tmp, name, what, err);
}

int
fsat_readlink(int at, const char *name, char *buf, size_t bufsz)
{
	ssize_t n = readlinkat(at, name, buf, bufsz);

	if (n < 0 || (size_t)n >= bufsz)
		return -1;
	buf[n] = '\0';
	return 0;
}

int
fsat_remove_flat_dir(int at, const char *name)
{
	struct dirent *de;
	DIR *d;
	int fd;

	if ((fd = openat(at, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) == -1)
		return errno == ENOENT ? 0 : -1;
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return -1;
	}
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			unlinkat(dirfd(d), de->d_name, 0);
	closedir(d);
	return unlinkat(at, name, AT_REMOVEDIR);
}

int
fsat_split(const char *path, char *dir, size_t dirsz, const char **base)
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
