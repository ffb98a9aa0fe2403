/*
 * unit.h: shared helpers for the cmocka unit programs (tests/unit/unit.c).
 * Include after <setjmp.h>, <stdarg.h>, <stddef.h>, <stdint.h> and <cmocka.h>.
 */
#ifndef S2S_UNIT_H
#define S2S_UNIT_H

#include <stddef.h>

/*
 * Path of a file of the test PKI ($S2S_PKI, made by tests/pki/mkpki.sh),
 * in a static buffer overwritten by the next call; the test is skipped
 * when S2S_PKI is not set.
 */
const char	*unit_pki(const char *name);

/* A fresh private directory /tmp/s2s-NAME.XXXXXX, its path into dir; 0 or -1. */
int		 unit_tmpdir_new(const char *name, char *dir, size_t dirsz);

/* Remove a directory tree (one unit_tmpdir_new made); 0 or -1. */
int		 unit_tmpdir_remove(const char *dir);

#endif
