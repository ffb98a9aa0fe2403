/*
 * queue.c: see queue.h.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "mem.h"
#include "queue.h"

static int
queue_dir(const char *dir, const char *domain, char *out, struct s2s_err *err)
{
	if (!config_domain_name_ok(domain))
		return err_set(err, S2S_EINVAL, "'%s': not usable as a domain name", domain);
	if (snprintf(out, PATH_MAX, "%s/queue/%s", dir, domain) >= PATH_MAX)
		return err_set(err, S2S_EINVAL, "%s: path too long", dir);
	return 0;
}

static int
mkdir_0700(const char *path, struct s2s_err *err)
{
	struct stat st;

	if (mkdir(path, 0700) != 0 && errno != EEXIST)
		return err_set(err, S2S_EIO, "%s: %s", path, strerror(errno));
	if (lstat(path, &st) != 0 || !S_ISDIR(st.st_mode))
		return err_set(err, S2S_EIO, "%s: not a directory", path);
	return 0;
}

static int
entry_write(const char *tmp, const struct deploy_pair *p, struct s2s_err *err)
{
	char path[PATH_MAX];
	int rc;

	snprintf(path, sizeof(path), "%s/cert.pem", tmp);
	if ((rc = deploy_write_file(path, p->cert, p->cert_len, (uid_t)-1, (gid_t)-1, 0600,
	    err)) != 0)
		return rc;
	snprintf(path, sizeof(path), "%s/key.pem", tmp);
	return deploy_write_file(path, p->key, p->key_len, (uid_t)-1, (gid_t)-1, 0600, err);
}

int
queue_add(const char *dir, const char *domain, const struct deploy_pair *p, char *path_out,
    struct s2s_err *err)
{
	char qdir[PATH_MAX], tmp[PATH_MAX];
	struct timespec ts;
	int rc;

	path_out[0] = '\0';
	if ((rc = queue_dir(dir, domain, qdir, err)) != 0)
		return rc;
	snprintf(tmp, sizeof(tmp), "%s/queue", dir);
	if ((rc = mkdir_0700(tmp, err)) != 0 || (rc = mkdir_0700(qdir, err)) != 0)
		return rc;
	if (snprintf(tmp, sizeof(tmp), "%s/.new-XXXXXX", qdir) >= (int)sizeof(tmp) ||
	    mkdtemp(tmp) == NULL)
		return err_set(err, S2S_EIO, "%s: cannot create a queue entry: %s", qdir,
		    strerror(errno));
	clock_gettime(CLOCK_REALTIME, &ts);
	snprintf(path_out, PATH_MAX, "%s/%011lld.%09ld-%ld", qdir, (long long)ts.tv_sec,
	    ts.tv_nsec, (long)getpid());
	if ((rc = entry_write(tmp, p, err)) == 0 && rename(tmp, path_out) != 0)
		rc = err_set(err, S2S_EIO, "%s: %s", path_out, strerror(errno));
	if (rc != 0) {
		queue_drop(tmp, err);
		path_out[0] = '\0';
	}
	return rc;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int
queue_list(const char *dir, const char *domain, struct strlist *out, struct s2s_err *err)
{
	char qdir[PATH_MAX], path[PATH_MAX];
	struct dirent *de;
	DIR *d;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	if ((rc = queue_dir(dir, domain, qdir, err)) != 0)
		return rc;
	if ((d = opendir(qdir)) == NULL)
		return errno == ENOENT ? 0 : err_set(err, S2S_EIO, "%s: %s", qdir, strerror(errno));
	while (rc == 0 && (de = readdir(d)) != NULL && out->n < QUEUE_MAX_ENTRIES) {
		if (de->d_name[0] == '.')
			continue;	/* ".", "..", entries still being written */
		if (snprintf(path, sizeof(path), "%s/%s", qdir, de->d_name) >= (int)sizeof(path))
			continue;
		if (strlist_add(out, path) != 0)
			rc = err_set(err, S2S_ENOMEM, "out of memory");
	}
	closedir(d);
	if (rc != 0)
		strlist_clear(out);
	else if (out->n > 1)
		qsort(out->v, out->n, sizeof(out->v[0]), cmp_str);
	return rc;
}

int
queue_entry_exists(const char *entry)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/cert.pem", entry);
	return access(path, F_OK) == 0;
}

int
queue_drop(const char *entry, struct s2s_err *err)
{
	static const char *const files[] = { "cert.pem", "key.pem" };
	char path[PATH_MAX];
	size_t i;

	for (i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "%s/%s", entry, files[i]);
		if (unlink(path) != 0 && errno != ENOENT)
			return err_set(err, S2S_EIO, "%s: %s", path, strerror(errno));
	}
	if (rmdir(entry) != 0 && errno != ENOENT)
		return err_set(err, S2S_EIO, "%s: %s", entry, strerror(errno));
	return 0;
}
