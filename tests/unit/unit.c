#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <ftw.h>
#include <unistd.h>

#include "unit.h"

const char *
unit_pki(const char *name)
{
	static char path[4096];
	const char *dir = getenv("S2S_PKI");

	if (dir == NULL || dir[0] == '\0') {
		print_message("S2S_PKI not set: run through tests/run\n");
		skip();
	}
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return path;
}

int
unit_tmpdir_new(const char *name, char *dir, size_t dirsz)
{
	int n = snprintf(dir, dirsz, "/tmp/s2s-%s.XXXXXX", name);

	if (n < 0 || (size_t)n >= dirsz)
		return -1;
	return mkdtemp(dir) == NULL ? -1 : 0;
}

static int
remove_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	return remove(path);
}

int
unit_tmpdir_remove(const char *dir)
{
	return nftw(dir, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}
