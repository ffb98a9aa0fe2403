/*
 * unit.h: shared helpers for the cmocka unit programs (tests/unit/unit.c).
 * Include after <setjmp.h>, <stdarg.h>, <stddef.h>, <stdint.h> and <cmocka.h>.
 */
#ifndef S2S_UNIT_H
#define S2S_UNIT_H

/*
 * Path of a file of the test PKI ($S2S_PKI, made by tests/pki/mkpki.sh),
 * in a static buffer overwritten by the next call; the test is skipped
 * when S2S_PKI is not set.
 */
const char	*unit_pki(const char *name);

#endif
