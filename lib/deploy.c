/*
 * deploy.c: atomic deployment of a certificate and key, and putting the
 * target back when the reload fails. See deploy.h for the layouts and why
 * they are safe. Every file step goes through fsat (directory descriptors,
 * no link followed outside s2sguard's own store).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pem.h>

#include "cert.h"
#include "deploy.h"
#include "fsat.h"
#include "mem.h"

#define STORE_PREFIX	".s2sguard-"
#define STORE_MODE	0755	/* the server's account must traverse it */
#define TARGET_READ	(FSAT_NOFOLLOW | FSAT_ONE_LINK)

/* Open the directory of `path` (the operator's own path: its links are followed). */
static int
dir_of(const char *path, int *fd, const char **base, struct s2s_err *err)
{
	char dir[PATH_MAX];

	if (fsat_split(path, dir, sizeof(dir), base) != 0 || (*base)[0] == '\0')
		return err_set(err, S2S_EINVAL, "%s: not a usable file path", path);
	return fsat_dir_open(AT_FDCWD, dir, NULL, 0, fd, err);
}

int
deploy_write_file(const char *path, const void *data, size_t len, uid_t uid, gid_t gid,
    mode_t mode, struct s2s_err *err)
{
	const char *base;
	int dfd, rc;

	if ((rc = dir_of(path, &dfd, &base, err)) != 0)
		return rc;
	rc = fsat_write_atomic(dfd, base, path, data, len, uid, gid, mode, err);
	close(dfd);
	return rc;
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


/* ---- what a target path holds ------------------------------------------ */

/*
 * Look at dfd/base without following it, and keep a plain file's content
 * (read O_NOFOLLOW, one hard link only). A link is only ours when it reads
 * exactly `ours`; anything but a link, a regular file or nothing is an
 * error naming the path (a FIFO, a device, a directory).
 */
static int
path_look(int dfd, const char *base, const char *path, const char *ours,
    struct deploy_was *out, struct s2s_err *err)
{
	struct stat st;
	unsigned char *junk;
	size_t len;

	memset(out, 0, sizeof(*out));
	if (fstatat(dfd, base, &st, AT_SYMLINK_NOFOLLOW) == -1) {
		if (errno != ENOENT)
			return err_set(err, S2S_EIO, "%s: %s", path, strerror(errno));
		out->was = DEPLOY_WAS_ABSENT;
		return 0;
	}
	out->uid = st.st_uid;
	out->gid = st.st_gid;
	out->mode = st.st_mode & 07777;
	if (S_ISLNK(st.st_mode)) {
		if (fsat_readlink(dfd, base, out->link, sizeof(out->link)) != 0)
			return err_set(err, S2S_EIO, "%s: unreadable link", path);
		out->was = ours != NULL && strcmp(out->link, ours) == 0 ? DEPLOY_WAS_OURS : DEPLOY_WAS_LINK;
		return 0;
	}
	if (S_ISREG(st.st_mode)) {
		out->was = DEPLOY_WAS_FILE;
		return fsat_read(dfd, base, path, TARGET_READ, CERT_MAX_FILE_BYTES, NULL, &out->bytes,
		    &out->len, err);
	}
	/* fsat_read names what it is; it cannot hang (O_NONBLOCK) */
	if (fsat_read(dfd, base, path, TARGET_READ, 0, NULL, &junk, &len, err) == 0) {
		mem_free(junk);
		return err_set(err, S2S_EINVAL, "%s: not a regular file", path);
	}
	return err->code;
}

/* The combined file: read with O_NOFOLLOW, never through a link. */
static int
combined_load(const struct deploy_target *t, struct deploy_pair *out, struct s2s_err *err)
{
	const char *base;
	unsigned char *data;
	size_t len;
	int dfd, rc;

	if ((rc = dir_of(t->pem_path, &dfd, &base, err)) != 0)
		return rc;
	rc = fsat_read(dfd, base, t->pem_path, TARGET_READ, CERT_MAX_FILE_BYTES, NULL, &data, &len, err);
	close(dfd);
	if (rc == S2S_ENOTFOUND)
		return err_set(err, S2S_ENOTFOUND, "%s: nothing deployed yet", t->pem_path);
	if (rc == S2S_EPERM)
		return err_prefix(err, "not read, not followed");
	if (rc != 0)
		return rc;
	rc = pem_split(data, len, t->pem_path, out, err);
	OPENSSL_cleanse(data, len);
	mem_free(data);
	return rc;
}

/* ---- separate files: the store beside the certificate ------------------- */

struct store {
	int		 cfd, kfd, sfd;	/* the cert's and key's directories; the store */
	const char	*cbase, *kbase;
	char		 name[NAME_MAX + 1];	/* .s2sguard-NAME.crt */
	char		 path[PATH_MAX];	/* its absolute path, for links and messages */
	char		 cert_link[PATH_MAX];	/* what NAME.crt must read */
	char		 key_link[PATH_MAX];
	int		 made;			/* this run created it */
};

static void
store_close(struct store *s)
{
	if (s->sfd != -1)
		close(s->sfd);
	if (s->kfd != -1 && s->kfd != s->cfd)
		close(s->kfd);
	if (s->cfd != -1)
		close(s->cfd);
	s->cfd = s->kfd = s->sfd = -1;
}

/*
 * Open both directories and the store (created with `create`; a missing
 * store leaves sfd -1). The store must be a directory we own, opened
 * without following a link: a link or another user's directory planted
 * in its place is refused, and renaming it later changes nothing for us.
 */
static int
store_open(const struct deploy_target *t, struct store *s, int create, struct s2s_err *err)
{
	char dir[PATH_MAX], abs[PATH_MAX];
	const char *base;
	int rc;

	memset(s, 0, sizeof(*s));
	s->cfd = s->kfd = s->sfd = -1;
	if ((rc = dir_of(t->cert_path, &s->cfd, &s->cbase, err)) != 0 ||
	    (rc = dir_of(t->key_path, &s->kfd, &s->kbase, err)) != 0)
		goto fail;
	fsat_split(t->cert_path, dir, sizeof(dir), &base);
	if (realpath(dir, abs) == NULL) {
		rc = err_set(err, S2S_EIO, "%s: %s", dir, strerror(errno));
		goto fail;
	}
	if (snprintf(s->name, sizeof(s->name), STORE_PREFIX "%s", s->cbase) >= (int)sizeof(s->name) ||
	    snprintf(s->path, sizeof(s->path), "%s/%s", strcmp(abs, "/") == 0 ? "" : abs, s->name) >= (int)sizeof(s->path) ||
	    snprintf(s->cert_link, sizeof(s->cert_link), "%s/current/cert.pem", s->path) >= (int)sizeof(s->cert_link) ||
	    snprintf(s->key_link, sizeof(s->key_link), "%s/current/key.pem", s->path) >= (int)sizeof(s->key_link)) {
		rc = err_set(err, S2S_EINVAL, "%s: path too long", t->cert_path);
		goto fail;
	}
	if (create)
		rc = fsat_dir_make(s->cfd, s->name, s->path, STORE_MODE, &s->sfd, &s->made, err);
	else if ((rc = fsat_dir_open(s->cfd, s->name, s->path, FSAT_NOFOLLOW | FSAT_OURS, &s->sfd, err)) == S2S_ENOTFOUND)
		rc = 0;
	if (rc == 0)
		return 0;
fail:
	store_close(s);
	return rc;
}

/* The version directory `current` names: "v.*", no slash. */
static int
store_current(const struct store *s, char *name, size_t namesz)
{
	if (s->sfd == -1 || fsat_readlink(s->sfd, "current", name, namesz) != 0)
		return -1;
	return strncmp(name, "v.", 2) == 0 && strchr(name, '/') == NULL ? 0 : -1;
}

/* Read FILE (cert.pem or key.pem) of the current version, through directory descriptors. */
static int
store_read(const struct store *s, const char *file, unsigned char **out, size_t *len,
    struct s2s_err *err)
{
	char cur[NAME_MAX + 1], what[PATH_MAX + 300];
	int vfd, rc;

	if (store_current(s, cur, sizeof(cur)) != 0)
		return err_set(err, S2S_ENOTFOUND, "%s: no current version", s->path);
	snprintf(what, sizeof(what), "%s/%s/%s", s->path, cur, file);
	if ((rc = fsat_dir_open(s->sfd, cur, what, FSAT_NOFOLLOW | FSAT_OURS, &vfd, err)) != 0)
		return rc;
	rc = fsat_read(vfd, file, what, TARGET_READ, CERT_MAX_FILE_BYTES, NULL, out, len, err);
	close(vfd);
	return rc;
}

/*
 * One of the two paths: a link that reads exactly our store path is read
 * from the store; a plain file with O_NOFOLLOW; any other link is never
 * followed (S2S_EPERM).
 */
static int
path_read(const struct store *s, int dfd, const char *base, const char *path, const char *ours,
    const char *file, unsigned char **out, size_t *len, struct s2s_err *err)
{
	struct deploy_was w;
	int rc;

	if ((rc = path_look(dfd, base, path, ours, &w, err)) != 0)
		return rc;
	switch (w.was) {
	case DEPLOY_WAS_ABSENT:
		return err_set(err, S2S_ENOTFOUND, "%s: nothing deployed yet", path);
	case DEPLOY_WAS_LINK:
		return err_set(err, S2S_EPERM, "%s: a link to %.200s, outside s2sguard's store: not followed",
		    path, w.link);
	case DEPLOY_WAS_OURS:
		return store_read(s, file, out, len, err);
	default:
		*out = w.bytes;		/* handed over */
		*len = w.len;
		return 0;
	}
}

static int
separate_load(const struct deploy_target *t, struct deploy_pair *out, struct s2s_err *err)
{
	struct store s;
	int rc;

	if ((rc = store_open(t, &s, 0, err)) != 0)
		return rc;
	rc = path_read(&s, s.cfd, s.cbase, t->cert_path, s.cert_link, "cert.pem", &out->cert,
	    &out->cert_len, err);
	if (rc == 0)
		rc = path_read(&s, s.kfd, s.kbase, t->key_path, s.key_link, "key.pem", &out->key,
		    &out->key_len, err);
	store_close(&s);
	if (rc != 0)
		deploy_pair_clear(out);
	return rc;
}

int
deploy_pair_load_target(const struct deploy_target *t, struct deploy_pair *out,
    struct s2s_err *err)
{
	memset(out, 0, sizeof(*out));
	if (t->pem_path != NULL)
		return combined_load(t, out, err);
	return separate_load(t, out, err);
}

/* A complete, fsynced version directory holding the pair; removed again on failure. */
static int
version_write(const struct deploy_target *t, const struct store *s, const struct deploy_pair *p,
    char *name, size_t namesz, struct s2s_err *err)
{
	char what[PATH_MAX + 300];
	int vfd, rc;

	if ((rc = fsat_dir_make_temp(s->sfd, "v.", s->path, STORE_MODE, name, namesz, &vfd, err)) != 0)
		return rc;
	snprintf(what, sizeof(what), "%s/%s/cert.pem", s->path, name);
	rc = fsat_write_new(vfd, "cert.pem", what, p->cert, p->cert_len, t->uid, t->gid, t->cert_mode, err);
	snprintf(what, sizeof(what), "%s/%s/key.pem", s->path, name);
	if (rc == 0)
		rc = fsat_write_new(vfd, "key.pem", what, p->key, p->key_len, t->uid, t->gid, t->key_mode, err);
	if (rc == 0 && (fsync(vfd) == -1 || fsync(s->sfd) == -1))
		rc = err_set(err, S2S_EIO, "%s: fsync: %s", s->path, strerror(errno));
	close(vfd);
	if (rc != 0)
		fsat_remove_flat_dir(s->sfd, name);
	return rc;
}

/* Remove version directories other than keep1/keep2, and stray temporary links. */
static void
store_prune(const struct store *s, const char *keep1, const char *keep2)
{
	struct dirent *de;
	DIR *d;
	int fd;

	if ((fd = openat(s->sfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return;
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return;
	}
	while ((de = readdir(d)) != NULL) {
		if (strncmp(de->d_name, "v.", 2) == 0) {
			if (strcmp(de->d_name, keep1) != 0 && (keep2 == NULL || strcmp(de->d_name, keep2) != 0))
				fsat_remove_flat_dir(s->sfd, de->d_name);
		} else if (strncmp(de->d_name, ".current.", 9) == 0)
			unlinkat(s->sfd, de->d_name, 0);
	}
	closedir(d);
}

/* Point both paths at the store (each a single rename; skipped when already there). */
static int
point_paths(const struct store *s, const struct deploy_target *t, struct s2s_err *err)
{
	char link[PATH_MAX];
	int rc;

	if ((fsat_readlink(s->cfd, s->cbase, link, sizeof(link)) != 0 || strcmp(link, s->cert_link) != 0) &&
	    (rc = fsat_link_swap(s->cfd, s->cbase, t->cert_path, s->cert_link, err)) != 0)
		return rc;
	if ((fsat_readlink(s->kfd, s->kbase, link, sizeof(link)) != 0 || strcmp(link, s->key_link) != 0) &&
	    (rc = fsat_link_swap(s->kfd, s->kbase, t->key_path, s->key_link, err)) != 0)
		return rc;
	return 0;
}

/* Put one path back the way a first deploy found it. */
static int
path_restore(int dfd, const char *base, const char *path, const struct deploy_was *w,
    struct s2s_err *err)
{
	switch (w->was) {
	case DEPLOY_WAS_ABSENT:
		if (unlinkat(dfd, base, 0) == -1 && errno != ENOENT)
			return err_set(err, S2S_EIO, "%s: %s", path, strerror(errno));
		return fsync(dfd) == 0 ? 0 : err_set(err, S2S_EIO, "%s: fsync: %s", path, strerror(errno));
	case DEPLOY_WAS_LINK:
		return fsat_link_swap(dfd, base, path, w->link, err);
	case DEPLOY_WAS_FILE:
		return fsat_write_atomic(dfd, base, path, w->bytes, w->len, w->uid, w->gid, w->mode, err);
	default:
		return 0;	/* ours */
	}
}

static int
separate_revert(const struct deploy_target *t, struct store *s, const struct deploy_undo *u,
    struct s2s_err *err)
{
	int rc = 0;

	if (u->prev_version[0] != '\0')
		rc = fsat_link_swap(s->sfd, "current", s->path, u->prev_version, err);
	if (rc == 0 && u->first)
		rc = path_restore(s->cfd, s->cbase, t->cert_path, &u->was[0], err);
	if (rc == 0 && u->first)
		rc = path_restore(s->kfd, s->kbase, t->key_path, &u->was[1], err);
	if (rc == 0 && u->first && u->prev_version[0] == '\0' &&
	    u->was[0].was != DEPLOY_WAS_OURS && u->was[1].was != DEPLOY_WAS_OURS) {
		/* no pair of ours was there: the store goes too */
		unlinkat(s->sfd, "current", 0);
		fsat_remove_flat_dir(s->sfd, u->new_version);
		if (u->made_store)
			unlinkat(s->cfd, s->name, AT_REMOVEDIR);
	}
	return rc;
}

/*
 * A first deploy (no `current` yet): note what each path holds; when both
 * are plain files, their pair (a view of the undo's bytes) is kept as a
 * version, so that the paths can become links without changing content.
 */
static int
first_look(const struct store *s, const struct deploy_target *t, struct deploy_undo *u,
    struct deploy_pair *old, struct s2s_err *err)
{
	int rc;

	if ((rc = path_look(s->cfd, s->cbase, t->cert_path, s->cert_link, &u->was[0], err)) != 0 ||
	    (rc = path_look(s->kfd, s->kbase, t->key_path, s->key_link, &u->was[1], err)) != 0)
		return rc;
	if (u->was[0].was == DEPLOY_WAS_FILE && u->was[1].was == DEPLOY_WAS_FILE &&
	    u->was[0].len > 0 && u->was[1].len > 0) {
		old->cert = u->was[0].bytes;
		old->cert_len = u->was[0].len;
		old->key = u->was[1].bytes;
		old->key_len = u->was[1].len;
	}
	return 0;
}

/*
 * Write everything first (the new version, and on a first deploy over
 * plain files a copy of the old pair), then switch: `current`, the two
 * paths, `current` again. A failure before the switch removes what was
 * written; a failure during it puts the paths back.
 */
static int
install_separate(const struct deploy_target *t, const struct deploy_pair *p,
    struct deploy_undo *u, struct s2s_err *err)
{
	struct deploy_pair old = { 0 };	/* a view of u's bytes */
	char vold[NAME_MAX + 1] = "";
	struct store s;
	int rc;

	if ((rc = store_open(t, &s, 1, err)) != 0)
		return rc;
	u->made_store = s.made;
	u->first = store_current(&s, u->prev_version, sizeof(u->prev_version)) != 0;
	if (u->first) {
		u->prev_version[0] = '\0';
		if ((rc = first_look(&s, t, u, &old, err)) != 0)
			goto unwrite;
	}
	if ((rc = version_write(t, &s, p, u->new_version, sizeof(u->new_version), err)) != 0)
		goto unwrite;
	if (old.cert != NULL && (rc = version_write(t, &s, &old, vold, sizeof(vold), err)) != 0)
		goto unwrite;
	if (vold[0] != '\0')
		snprintf(u->prev_version, sizeof(u->prev_version), "%s", vold);
	/* everything is on disk: switch */
	if ((u->first && (rc = fsat_link_swap(s.sfd, "current", s.path,
	    vold[0] != '\0' ? vold : u->new_version, err)) != 0) ||
	    (rc = point_paths(&s, t, err)) != 0 ||
	    (rc = fsat_link_swap(s.sfd, "current", s.path, u->new_version, err)) != 0) {
		struct s2s_err ignored = { 0 };

		separate_revert(t, &s, u, &ignored);
		goto out;
	}
	store_prune(&s, u->new_version, u->prev_version[0] != '\0' ? u->prev_version : NULL);
	u->valid = 1;
	goto out;
unwrite:
	if (u->new_version[0] != '\0')
		fsat_remove_flat_dir(s.sfd, u->new_version);
	if (vold[0] != '\0')
		fsat_remove_flat_dir(s.sfd, vold);
	if (s.made)
		unlinkat(s.cfd, s.name, AT_REMOVEDIR);
out:
	store_close(&s);
	return rc;
}

/* ---- one combined file ------------------------------------------------ */

static int
install_combined(const struct deploy_target *t, const struct deploy_pair *p,
    struct deploy_undo *u, struct s2s_err *err)
{
	unsigned char *buf;
	const char *base;
	size_t len = p->cert_len + p->key_len + 1;
	int dfd, rc;

	if ((rc = dir_of(t->pem_path, &dfd, &base, err)) != 0)
		return rc;
	if ((rc = path_look(dfd, base, t->pem_path, NULL, &u->was[0], err)) != 0)
		goto out;
	u->first = 1;
	if ((buf = mem_alloc(len)) == NULL) {
		rc = err_set(err, S2S_ENOMEM, "%s: out of memory", t->pem_path);
		goto out;
	}
	memcpy(buf, p->cert, p->cert_len);
	len = p->cert_len;
	if (len > 0 && buf[len - 1] != '\n')
		buf[len++] = '\n';
	memcpy(buf + len, p->key, p->key_len);
	len += p->key_len;
	rc = fsat_write_atomic(dfd, base, t->pem_path, buf, len, t->uid, t->gid, t->key_mode, err);
	OPENSSL_cleanse(buf, len);
	mem_free(buf);
	u->valid = rc == 0;
out:
	close(dfd);
	return rc;
}

static int
combined_revert(const struct deploy_target *t, const struct deploy_undo *u, struct s2s_err *err)
{
	const char *base;
	int dfd, rc;

	if ((rc = dir_of(t->pem_path, &dfd, &base, err)) != 0)
		return rc;
	rc = path_restore(dfd, base, t->pem_path, &u->was[0], err);
	close(dfd);
	return rc;
}

/* ---- both layouts ------------------------------------------------------- */

int
deploy_install(const struct deploy_target *t, const struct deploy_pair *p,
    struct deploy_undo *undo, struct s2s_err *err)
{
	struct deploy_undo mine;
	int rc;

	if (p->cert == NULL || p->key == NULL || p->cert_len == 0 || p->key_len == 0)
		return err_set(err, S2S_EINVAL, "deploy: empty certificate or key");
	if (undo == NULL)
		undo = &mine;
	memset(undo, 0, sizeof(*undo));
	if (t->pem_path != NULL)
		rc = install_combined(t, p, undo, err);
	else
		rc = install_separate(t, p, undo, err);
	if (undo == &mine || rc != 0)
		deploy_undo_clear(undo);
	return rc;
}

int
deploy_revert(const struct deploy_target *t, const struct deploy_undo *undo, struct s2s_err *err)
{
	struct store s;
	int rc;

	if (!undo->valid)
		return err_set(err, S2S_EINVAL, "deploy: nothing to put back");
	if (t->pem_path != NULL)
		return combined_revert(t, undo, err);
	if ((rc = store_open(t, &s, 0, err)) != 0)
		return rc;
	if (s.sfd == -1)
		rc = err_set(err, S2S_ENOTFOUND, "%s: gone", s.path);
	else
		rc = separate_revert(t, &s, undo, err);
	store_close(&s);
	return rc;
}

int
deploy_undo_nothing_before(const struct deploy_undo *undo)
{
	return undo->valid && undo->first &&
	    (undo->was[0].was == DEPLOY_WAS_ABSENT || undo->was[0].was == DEPLOY_WAS_LINK) &&
	    (undo->was[1].was == DEPLOY_WAS_ABSENT || undo->was[1].was == DEPLOY_WAS_LINK);
}

void
deploy_undo_clear(struct deploy_undo *undo)
{
	size_t i;

	for (i = 0; i < 2; i++) {
		if (undo->was[i].bytes != NULL)
			OPENSSL_cleanse(undo->was[i].bytes, undo->was[i].len);
		mem_free(undo->was[i].bytes);
	}
	memset(undo, 0, sizeof(*undo));
}
