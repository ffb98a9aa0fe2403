/*
 * deploy.h: put a certificate and its key where the XMPP server reads
 * them, atomically, and run the reload command with a timeout.
 *
 * Two layouts:
 *  - one combined file (ejabberd, or `pem =`): full chain then key, written
 *    to a temporary file beside the target and renamed over it. One
 *    rename: a reader sees the old file or the new one.
 *  - separate certificate and key files (Prosody's NAME.crt/NAME.key,
 *    `cert =`/`key =`): two renames can never be atomic together, so the
 *    two paths become symlinks into a directory s2sguard owns beside the
 *    certificate:
 *
 *        NAME.crt -> .s2sguard-NAME.crt/current/cert.pem
 *        NAME.key -> .s2sguard-NAME.crt/current/key.pem
 *        .s2sguard-NAME.crt/current -> v.XXXXXX     (one version directory)
 *
 *    A deploy writes a complete new version directory (fsynced), then
 *    swaps the single `current` link with rename(2). Whoever resolves the
 *    two paths sees the old pair or the new pair: there is no instant at
 *    which the paths lead to a certificate and a key that do not match.
 *    Converting plain files into this layout first copies the old pair
 *    into a version directory and points the paths at it, one at a time;
 *    each step keeps the paths on the same (old, matching) content.
 *    (A reader that opens the certificate before and the key after the
 *    single swap instant could still mix them; the server only reloads
 *    when s2sguard's reload command runs, after the swap.)
 *
 * Files are created 0600, then fchown()ed and fchmod()ed before a key
 * byte is written, fsynced, renamed, and the directory is fsynced. Every
 * mode is set explicitly (store and version directories 0755), so the
 * caller's umask (dehydrated's 077, the timer's UMask=0077) never decides
 * whether the server can read its certificate.
 *
 * Hostile directories: the server's account may own the directory of the
 * target. Everything here works through directory descriptors (fsat.h):
 * the store is opened O_NOFOLLOW and must be ours, what the target paths
 * hold is read with O_NOFOLLOW, and a link there is followed only when it
 * reads exactly the store's own path (and then through the store's
 * descriptors). A link leading anywhere else is never followed: it is not
 * a baseline, and a first deploy replaces it (and puts it back on a
 * rollback). A deploy writes everything before it switches anything; a
 * failure (ENOSPC) removes what it wrote and leaves the target as it was.
 */
#ifndef S2S_DEPLOY_H
#define S2S_DEPLOY_H

#include <limits.h>
#include <stddef.h>
#include <sys/types.h>

#include "config.h"
#include "deadline.h"
#include "err.h"

struct deploy_target {
	const char	*cert_path;	/* separate files: full chain ... */
	const char	*key_path;	/* ... and key */
	const char	*pem_path;	/* or one combined file */
	uid_t		 uid;		/* (uid_t)-1: leave to the process */
	gid_t		 gid;
	mode_t		 key_mode;	/* key and combined file */
	mode_t		 cert_mode;
};

/* PEM bytes: full chain (leaf first) and the private key. */
struct deploy_pair {
	unsigned char	*cert;
	size_t		 cert_len;
	unsigned char	*key;
	size_t		 key_len;
};

/* Fill a target from a [domain] (owner/group looked up); S2S_EINVAL on unknown names. */
int	deploy_target_from_config(const struct cfg_domain *d, struct deploy_target *out,
	    struct s2s_err *err);

/* Read a certificate file and a key file into a pair. */
int	deploy_pair_load(const char *cert_path, const char *key_path,
	    struct deploy_pair *out, struct s2s_err *err);
/*
 * Read what the target holds now, never following a link outside the store
 * (see above). S2S_ENOTFOUND when nothing (complete) is deployed,
 * S2S_EPERM when a path is a link elsewhere or a hard link (not read),
 * S2S_EINVAL for a FIFO, device or directory in its place.
 */
int	deploy_pair_load_target(const struct deploy_target *t, struct deploy_pair *out,
	    struct s2s_err *err);
/* Zero the key bytes and free both. */
void	deploy_pair_clear(struct deploy_pair *p);

/* What a target path held before a deploy. */
struct deploy_was {
	enum {
		DEPLOY_WAS_ABSENT,
		DEPLOY_WAS_FILE,	/* a plain file */
		DEPLOY_WAS_OURS,	/* a link into s2sguard's store */
		DEPLOY_WAS_LINK,	/* a link elsewhere: link holds its text */
	}		 was;
	char		 link[PATH_MAX];
	uid_t		 uid;		/* a plain file's owner, mode ... */
	gid_t		 gid;
	mode_t		 mode;
	unsigned char	*bytes;		/* ... and content (read O_NOFOLLOW) */
	size_t		 len;
};

/* How to put the target back after deploy_install (deploy_revert). */
struct deploy_undo {
	int			 valid;		/* deploy_install succeeded */
	int			 first;		/* separate files: no version before */
	int			 made_store;
	char			 prev_version[NAME_MAX + 1];	/* what `current` showed; "" */
	char			 new_version[NAME_MAX + 1];
	struct deploy_was	 was[2];	/* first deploy: cert (or combined) path, key path */
};

/*
 * Put the pair in place, as described above; undo (may be NULL) says how
 * to put the target back. On failure the target is as it was.
 */
int	deploy_install(const struct deploy_target *t, const struct deploy_pair *p,
	    struct deploy_undo *undo, struct s2s_err *err);
/*
 * Put the target back as deploy_install found it: `current` to the
 * previous version (no new bytes written); on a first deploy (and always
 * for the combined file) each path as it was: absent, the same link, or
 * the plain file with its content, owner and mode.
 */
int	deploy_revert(const struct deploy_target *t, const struct deploy_undo *undo,
	    struct s2s_err *err);
/* Nothing was deployed before this install (the paths were absent or foreign links). */
int	deploy_undo_nothing_before(const struct deploy_undo *undo);
void	deploy_undo_clear(struct deploy_undo *undo);

/*
 * Atomic write of one file: temp beside it, owner and mode set before any
 * byte, fsync, rename, fsync of the directory. uid/gid (uid_t)-1 = unchanged.
 */
int	deploy_write_file(const char *path, const void *data, size_t len,
	    uid_t uid, gid_t gid, mode_t mode, struct s2s_err *err);

/*
 * Run argv (argv[0] looked up in PATH) in its own process group with
 * stdin from /dev/null, stdout+stderr captured into out (truncated to
 * outsz-1, NUL-terminated). Killed (TERM, then KILL) when timeout_ms or
 * the deadline passes: S2S_ETIMEOUT. *status is the exit status, or 128+N
 * for a signal. Returns 0 whenever the command ran, whatever its status.
 */
int	deploy_run(const char *const *argv, int timeout_ms, const struct deadline *dl,
	    char *out, size_t outsz, int *status, struct s2s_err *err);
/* deploy_run of "/bin/sh -c CMD". */
int	deploy_run_shell(const char *cmd, int timeout_ms, const struct deadline *dl,
	    char *out, size_t outsz, int *status, struct s2s_err *err);

#endif
