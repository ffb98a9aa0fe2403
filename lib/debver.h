/*
 * debver.h: Debian package versions ([epoch:]upstream[-revision]) compared
 * the way dpkg compares them (deb-version(7)): epochs numerically, then the
 * upstream part, then the revision, each by alternating runs of non-digits
 * (letters before other characters, '~' before everything, even the end)
 * and digits (numerically). Pure: no I/O.
 */
#ifndef S2S_DEBVER_H
#define S2S_DEBVER_H

#include "err.h"

#define DEBVER_MAX	256	/* longest version string accepted */

/*
 * *out < 0, 0 or > 0 as a is older, equal or newer than b. S2S_EPARSE (and
 * *out unchanged) when either is empty, too long, has a bad epoch or a
 * character dpkg does not allow.
 */
int	debver_cmp(const char *a, const char *b, int *out, struct s2s_err *err);

/* 1 when the version is well-formed; for callers that only check. */
int	debver_valid(const char *v);

#endif
