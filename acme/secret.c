/*
 * secret.c: see secret.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "mem.h"
#include "secret.h"

static int
secret_fd_check(int fd, const char *path, struct s2s_err *err)
{
	struct stat st;

	if (fstat(fd, &st) != 0)
		return err_set(err, S2S_EIO, "%s: %s", path, strerror(errno));
	if (!S_ISREG(st.st_mode))
		return err_set(err, S2S_EINVAL, "%s: not a regular file", path);
	if (st.st_size > SECRET_MAX_BYTES)
		return err_set(err, S2S_EINVAL, "%s: larger than %d bytes", path, SECRET_MAX_BYTES);
	if ((st.st_mode & (S_IROTH | S_IWOTH | S_IWGRP)) != 0)
		return err_set(err, S2S_EPERM, "%s: mode %04o lets other users read or change it; "
		    "chmod 600 it", path, (unsigned)(st.st_mode & 07777));
	return 0;
}

static int
secret_fd_read(int fd, const char *path, char *buf, size_t *len, struct s2s_err *err)
{
	ssize_t got;

	*len = 0;
	for (;;) {
		got = read(fd, buf + *len, SECRET_MAX_BYTES + 1 - *len);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			return err_set(err, S2S_EIO, "%s: %s", path, strerror(errno));
		if (got == 0)
			break;
		*len += (size_t)got;
		if (*len > SECRET_MAX_BYTES)
			return err_set(err, S2S_EINVAL, "%s: larger than %d bytes", path,
			    SECRET_MAX_BYTES);
	}
	while (*len > 0 && strchr(" \t\r\n", buf[*len - 1]) != NULL)
		(*len)--;
	buf[*len] = '\0';
	if (*len == 0)
		return err_set(err, S2S_EINVAL, "%s: empty", path);
	if (memchr(buf, '\0', *len) != NULL || strpbrk(buf, "\r\n") != NULL)
		return err_set(err, S2S_EINVAL, "%s: not one line of text", path);
	return 0;
}

int
secret_file_read(const char *path, char **out, size_t *len, struct s2s_err *err)
{
	char *buf;
	int fd, rc;

	*out = NULL;
	*len = 0;
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return err_set(err, errno == ENOENT ? S2S_ENOTFOUND : S2S_EIO, "%s: %s", path,
		    errno == ELOOP ? "is a symbolic link" : strerror(errno));
	if ((buf = mem_alloc(SECRET_MAX_BYTES + 2)) == NULL) {
		close(fd);
		return err_set(err, S2S_ENOMEM, "out of memory");
	}
	if ((rc = secret_fd_check(fd, path, err)) == 0)
		rc = secret_fd_read(fd, path, buf, len, err);
	close(fd);
	if (rc != 0) {
		secret_free(buf);
		*len = 0;
		return rc;
	}
	*out = buf;
	return 0;
}

void
secret_free(char *s)
{
	if (s == NULL)
		return;
	OPENSSL_cleanse(s, SECRET_MAX_BYTES + 2);
	mem_free(s);
}
