/*
 * state.c: per-domain state, locks, stashed pairs and reports. See state.h.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "fsat.h"
#include "mem.h"
#include "report.h"
#include "state.h"

#define STATE_MAX_BYTES	(4 * 1024 * 1024)	/* DOMAIN.json */

struct state_lock {
	int	fd;
};

static int
check_domain(const char *domain, struct s2s_err *err)
{
	if (!config_domain_name_ok(domain))
		return err_set(err, S2S_EINVAL, "'%s': not usable as a domain name", domain);
	return 0;
}

static int
mkdir_private(const char *path, struct s2s_err *err)
{
	struct stat st;

	if (mkdir(path, 0700) == -1 && errno != EEXIST)
		return err_set(err, S2S_EIO, "%s: %s", path, strerror(errno));
	if (lstat(path, &st) == -1 || !S_ISDIR(st.st_mode))
		return err_set(err, S2S_EIO, "%s: not a directory", path);
	return 0;
}

int
state_dir_ensure(const char *dir, struct s2s_err *err)
{
	char path[PATH_MAX];
	const char *p;
	int rc;

	/* parents as 0755, the state directory itself 0700 */
	for (p = strchr(dir + 1, '/'); p != NULL; p = strchr(p + 1, '/')) {
		if ((size_t)(p - dir) >= sizeof(path))
			return err_set(err, S2S_EINVAL, "%s: path too long", dir);
		memcpy(path, dir, (size_t)(p - dir));
		path[p - dir] = '\0';
		if (mkdir(path, 0755) == -1 && errno != EEXIST)
			return err_set(err, S2S_EIO, "%s: %s", path, strerror(errno));
	}
	if ((rc = mkdir_private(dir, err)) != 0)
		return rc;
	if (snprintf(path, sizeof(path), "%s/reports", dir) >= (int)sizeof(path))
		return err_set(err, S2S_EINVAL, "%s: path too long", dir);
	return mkdir_private(path, err);
}

int
state_lock_acquire(const char *dir, const char *domain, int wait_ms,
    struct state_lock **out, struct s2s_err *err)
{
	char path[PATH_MAX];
	struct state_lock *lk;
	int fd, rc;

	*out = NULL;
	if ((rc = check_domain(domain, err)) != 0)
		return rc;
	if (snprintf(path, sizeof(path), "%s/%s.lock", dir, domain) >= (int)sizeof(path))
		return err_set(err, S2S_EINVAL, "%s: path too long", dir);
	if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600)) == -1)
		return err_set(err, S2S_EIO, "%s: %s", path, strerror(errno));
	for (;;) {
		if (flock(fd, LOCK_EX | LOCK_NB) == 0)
			break;
		if (errno != EWOULDBLOCK && errno != EINTR) {
			close(fd);
			return err_set(err, S2S_EIO, "%s: flock: %s", path, strerror(errno));
		}
		if (wait_ms <= 0) {
			close(fd);
			return err_set(err, S2S_EBUSY, "%s: another s2sguard run holds this domain", path);
		}
		usleep(100000);
		wait_ms -= 100;
	}
	if ((lk = mem_alloc(sizeof(*lk))) == NULL) {
		close(fd);
		return err_set(err, S2S_ENOMEM, "%s: out of memory", path);
	}
	lk->fd = fd;
	*out = lk;
	return 0;
}

void
state_lock_release(struct state_lock *lk)
{
	if (lk == NULL)
		return;
	close(lk->fd);	/* releases the flock */
	mem_free(lk);
}

int
state_load(const char *dir, const char *domain, json_t **out, struct s2s_err *err)
{
	char path[PATH_MAX];
	unsigned char *text;
	json_error_t jerr;
	size_t len;
	json_t *st;
	int rc;

	*out = NULL;
	if ((rc = check_domain(domain, err)) != 0)
		return rc;
	if (snprintf(path, sizeof(path), "%s/%s.json", dir, domain) >= (int)sizeof(path))
		return err_set(err, S2S_EINVAL, "%s: path too long", dir);
	rc = fsat_read(AT_FDCWD, path, NULL, FSAT_NOFOLLOW, STATE_MAX_BYTES, NULL, &text, &len, err);
	if (rc == S2S_ENOTFOUND) {
		if ((*out = json_object()) == NULL)
			return err_set(err, S2S_ENOMEM, "%s: out of memory", path);
		return 0;
	}
	if (rc != 0)
		return rc;
	st = json_loadb((const char *)text, len, JSON_REJECT_DUPLICATES, &jerr);
	mem_free(text);
	if (st == NULL)
		return err_set(err, S2S_EPARSE, "%s:%d: %s", path, jerr.line, jerr.text);
	if (!json_is_object(st)) {
		json_decref(st);
		return err_set(err, S2S_EPARSE, "%s: not a JSON object", path);
	}
	*out = st;
	return 0;
}

static void
now_iso(char *buf, size_t sz)
{
	report_time_iso(time(NULL), buf, sz);
}

static int
write_json(const char *path, const json_t *j, struct s2s_err *err)
{
	char *text;
	int rc;

	if ((text = json_dumps(j, JSON_INDENT(2) | JSON_SORT_KEYS)) == NULL)
		return err_set(err, S2S_ENOMEM, "%s: out of memory", path);
	{
		size_t len = strlen(text);
		char *withnl = mem_alloc(len + 2);

		if (withnl == NULL) {
			free(text);
			return err_set(err, S2S_ENOMEM, "%s: out of memory", path);
		}
		memcpy(withnl, text, len);
		withnl[len] = '\n';
		withnl[len + 1] = '\0';
		free(text);
		rc = deploy_write_file(path, withnl, len + 1, (uid_t)-1, (gid_t)-1, 0600, err);
		mem_free(withnl);
	}
	return rc;
}

int
state_save(const char *dir, const char *domain, json_t *st, struct s2s_err *err)
{
	char path[PATH_MAX], now[32];
	int rc;

	if ((rc = check_domain(domain, err)) != 0)
		return rc;
	if (snprintf(path, sizeof(path), "%s/%s.json", dir, domain) >= (int)sizeof(path))
		return err_set(err, S2S_EINVAL, "%s: path too long", dir);
	now_iso(now, sizeof(now));
	json_object_set_new(st, "domain", json_string(domain));
	json_object_set_new(st, "updated", json_string(now));
	return write_json(path, st, err);
}

static int
slot_dir(const char *dir, const char *domain, const char *slot, char *out, struct s2s_err *err)
{
	int rc;

	if ((rc = check_domain(domain, err)) != 0)
		return rc;
	if (strcmp(slot, "pending") != 0 && strcmp(slot, "last-good") != 0 &&
	    strcmp(slot, "candidate") != 0 && strcmp(slot, "reissued") != 0 &&
	    strcmp(slot, "previous") != 0)
		return err_set(err, S2S_EINVAL, "state: unknown slot '%s'", slot);
	if (snprintf(out, PATH_MAX, "%s/%s/%s", dir, domain, slot) >= PATH_MAX)
		return err_set(err, S2S_EINVAL, "%s: path too long", dir);
	return 0;
}

int
state_stash_paths(const char *dir, const char *domain, const char *slot,
    char *cert_out, char *key_out, struct s2s_err *err)
{
	char sdir[PATH_MAX];
	int rc;

	if ((rc = slot_dir(dir, domain, slot, sdir, err)) != 0)
		return rc;
	if (snprintf(cert_out, PATH_MAX, "%s/cert.pem", sdir) >= PATH_MAX ||
	    snprintf(key_out, PATH_MAX, "%s/key.pem", sdir) >= PATH_MAX)
		return err_set(err, S2S_EINVAL, "%s: path too long", sdir);
	if (access(cert_out, F_OK) != 0 || access(key_out, F_OK) != 0)
		return err_set(err, S2S_ENOTFOUND, "%s: empty", sdir);
	return 0;
}

int
state_stash_pair(const char *dir, const char *domain, const char *slot,
    const struct deploy_pair *p, char *cert_out, char *key_out, struct s2s_err *err)
{
	char sdir[PATH_MAX], ddir[PATH_MAX];
	int rc;

	if ((rc = slot_dir(dir, domain, slot, sdir, err)) != 0)
		return rc;
	snprintf(ddir, sizeof(ddir), "%s/%s", dir, domain);
	if ((rc = mkdir_private(ddir, err)) != 0 || (rc = mkdir_private(sdir, err)) != 0)
		return rc;
	snprintf(cert_out, PATH_MAX, "%s/cert.pem", sdir);
	snprintf(key_out, PATH_MAX, "%s/key.pem", sdir);
	/*
	 * Key first, then certificate: a crash in between leaves a new key
	 * beside an old certificate, which every reader verifies (inspection
	 * checks the key match) before using a stash.
	 */
	if ((rc = deploy_write_file(key_out, p->key, p->key_len, (uid_t)-1, (gid_t)-1, 0600, err)) != 0)
		return rc;
	return deploy_write_file(cert_out, p->cert, p->cert_len, (uid_t)-1, (gid_t)-1, 0600, err);
}

int
state_stash_drop(const char *dir, const char *domain, const char *slot, struct s2s_err *err)
{
	char sdir[PATH_MAX], path[PATH_MAX];
	int rc;

	if ((rc = slot_dir(dir, domain, slot, sdir, err)) != 0)
		return rc;
	snprintf(path, sizeof(path), "%s/cert.pem", sdir);
	if (unlink(path) == -1 && errno != ENOENT)
		return err_set(err, S2S_EIO, "%s: %s", path, strerror(errno));
	snprintf(path, sizeof(path), "%s/key.pem", sdir);
	if (unlink(path) == -1 && errno != ENOENT)
		return err_set(err, S2S_EIO, "%s: %s", path, strerror(errno));
	rmdir(sdir);
	return 0;
}

static int
cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Keep the newest STATE_REPORTS_KEEP reports of this domain (names sort by time). */
static void
reports_prune(const char *rdir, const char *domain)
{
	char **names = NULL, suffix[300], path[PATH_MAX];
	size_t n = 0, cap = 0, i;
	struct dirent *de;
	DIR *d;

	snprintf(suffix, sizeof(suffix), "-%s-", domain);
	if ((d = opendir(rdir)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (strstr(de->d_name, suffix) == NULL)
			continue;
		if (n == cap) {
			char **g = mem_realloc(names, (cap = cap ? cap * 2 : 64) * sizeof(*names));

			if (g == NULL)
				break;
			names = g;
		}
		if ((names[n] = mem_strdup(de->d_name)) == NULL)
			break;
		n++;
	}
	closedir(d);
	if (names != NULL)
		qsort(names, n, sizeof(*names), cmp_names);
	for (i = 0; i < n; i++) {
		if (n - i > STATE_REPORTS_KEEP) {
			snprintf(path, sizeof(path), "%s/%s", rdir, names[i]);
			unlink(path);
		}
		mem_free(names[i]);
	}
	mem_free(names);
}

int
state_report_write(const char *dir, const char *domain, const char *tool,
    const json_t *report, char *path_out, struct s2s_err *err)
{
	char rdir[PATH_MAX], path[PATH_MAX], stamp[32];
	struct timespec ts;
	struct tm tm;
	int rc;

	if ((rc = check_domain(domain, err)) != 0)
		return rc;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%S", &tm);
	if (snprintf(rdir, sizeof(rdir), "%s/reports", dir) >= (int)sizeof(rdir) ||
	    snprintf(path, sizeof(path), "%s/%s.%06ldZ-%s-%s.json", rdir, stamp,
	    ts.tv_nsec / 1000, domain, tool) >= (int)sizeof(path))
		return err_set(err, S2S_EINVAL, "%s: path too long", dir);
	if ((rc = mkdir_private(rdir, err)) != 0)
		return rc;
	if ((rc = write_json(path, report, err)) != 0)
		return rc;
	if (path_out != NULL)
		snprintf(path_out, PATH_MAX, "%s", path);
	reports_prune(rdir, domain);
	return 0;
}

int
state_note_first_seen(json_t *st, const char *peer, const char *now)
{
	json_t *fs = json_object_get(st, "first_seen");

	if (!json_is_object(fs)) {
		fs = json_object();
		if (fs == NULL || json_object_set_new(st, "first_seen", fs) != 0)
			return S2S_ENOMEM;
	}
	if (json_object_get(fs, peer) != NULL)
		return 0;
	return json_object_set_new(fs, peer, json_string(now)) == 0 ? 0 : S2S_ENOMEM;
}
