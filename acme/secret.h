/*
 * secret.h: read a small secret (an EAB HMAC key) from a file, so that it
 * never has to be on a command line, where every local user sees it.
 */
#ifndef S2S_ACME_SECRET_H
#define S2S_ACME_SECRET_H

#include <stddef.h>

#include "err.h"

#define SECRET_MAX_BYTES	4096

/*
 * The file's text without trailing white space, in *out (NUL-terminated;
 * secret_free it). The file is opened without following a link or
 * blocking on a FIFO, must be a regular file of at most SECRET_MAX_BYTES,
 * and must not be readable or writable by other users, nor writable by
 * its group. Errors name the file; the content is never in a message.
 */
int	secret_file_read(const char *path, char **out, size_t *len, struct s2s_err *err);
/* Wipe and free what secret_file_read returned. */
void	secret_free(char *s);

#endif
