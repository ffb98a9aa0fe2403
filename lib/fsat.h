/*
 * fsat.h: file access that a hostile directory cannot turn against root.
 *
 * s2sguard runs as root and writes into directories the XMPP server's
 * account may own. Every step here works relative to a directory file
 * descriptor (openat and friends), never follows a link it was not asked
 * to follow, and checks what it opened with fstat before trusting it:
 *
 *  - fsat_read: the one function that reads a whole file, everywhere
 *    (certificates, keys, configuration, state). It opens with O_NONBLOCK
 *    (a FIFO cannot hang the run), refuses anything but a regular file,
 *    caps the size, and checks the deadline between reads.
 *  - fsat_dir_open / fsat_dir_make: a directory opened O_DIRECTORY |
 *    O_NOFOLLOW; FSAT_OURS further requires it to be owned by us (root)
 *    and writable by nobody else, so a planted link or a directory
 *    swapped in by another user is refused.
 *  - the writers create files O_EXCL|O_NOFOLLOW under random names, set
 *    owner and mode on the descriptor before any byte, fsync, and rename
 *    within the same directory descriptor. Modes are always set
 *    explicitly: the caller's umask never decides who may read a file.
 *
 * All functions return 0 or a negative S2S_E* code with a one-line
 * message naming the file in err.
 */
#ifndef S2S_FSAT_H
#define S2S_FSAT_H

#include <stddef.h>
#include <sys/types.h>

#include "deadline.h"
#include "err.h"

/* fsat_read / fsat_dir_open flags */
#define FSAT_NOFOLLOW	0x1	/* a link as the last component is an error */
#define FSAT_ONE_LINK	0x2	/* a regular file with other hard links is an error */
#define FSAT_OURS	0x4	/* owned by our euid, not group/world-writable */

/*
 * Read at/name (at = AT_FDCWD for a plain path) into *out, NUL-
 * terminated, at most max bytes; free with mem_free (the buffer is
 * cleansed on failure: it may hold a key). `what` names the file in
 * messages (NULL: name). dl may be NULL. A link refused by FSAT_NOFOLLOW
 * is S2S_EPERM; a missing file S2S_ENOTFOUND.
 */
int	fsat_read(int at, const char *name, const char *what, unsigned flags, size_t max,
	    const struct deadline *dl, unsigned char **out, size_t *len, struct s2s_err *err);

/* Open at/name as a directory (O_DIRECTORY|O_NOFOLLOW unless flags lack FSAT_NOFOLLOW). */
int	fsat_dir_open(int at, const char *name, const char *what, unsigned flags, int *fd_out,
	    struct s2s_err *err);
/*
 * Create at/name if missing, open it FSAT_NOFOLLOW|FSAT_OURS and set
 * its mode to `mode` (whatever the umask). *created (may be NULL) says
 * whether this call made it.
 */
int	fsat_dir_make(int at, const char *name, const char *what, mode_t mode, int *fd_out,
	    int *created, struct s2s_err *err);
/* A new directory at/PREFIXxxxxxx (random), mode set; its name into name_out. */
int	fsat_dir_make_temp(int at, const char *prefix, const char *what, mode_t mode,
	    char *name_out, size_t namesz, int *fd_out, struct s2s_err *err);

/*
 * Create at/name (it must not exist), owner (-1: unchanged) and mode
 * set before the first byte, write, fsync. Removed again on failure.
 */
int	fsat_write_new(int at, const char *name, const char *what, const void *data,
	    size_t len, uid_t uid, gid_t gid, mode_t mode, struct s2s_err *err);
/* Replace at/name atomically: fsat_write_new to a temporary name, renameat, fsync of at. */
int	fsat_write_atomic(int at, const char *name, const char *what, const void *data,
	    size_t len, uid_t uid, gid_t gid, mode_t mode, struct s2s_err *err);
/* Make at/name a symbolic link to target with one renameat (temporary link first). */
int	fsat_link_swap(int at, const char *name, const char *what, const char *target,
	    struct s2s_err *err);
/* readlinkat into buf (NUL-terminated); -1 if not a link or too long. */
int	fsat_readlink(int at, const char *name, char *buf, size_t bufsz);

/* Remove at/name, a directory of plain entries (no subdirectories), without following links. */
int	fsat_remove_flat_dir(int at, const char *name);

/* Split "a/b/c" into "a/b" (or "." / "/") and "c". -1 when too long. */
int	fsat_split(const char *path, char *dir, size_t dirsz, const char **base);

#endif
