#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmocka.h>

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
