#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"

int
cli_usage_error(const char *prog, const char *msg, const char *arg)
{
	fprintf(stderr, "%s: %s%s%s\n", prog, msg, arg ? ": " : "", arg ? arg : "");
	fprintf(stderr, "Try '%s --help'.\n", prog);
	return EXIT_USAGE;
}

int
cli_parse_epoch(const char *s, time_t *out)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v <= 0)
		return -1;
	*out = (time_t)v;
	return 0;
}
