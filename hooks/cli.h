/*
 * cli.h: what every s2sguard main says the same way: usage errors (exit 64)
 * and the --now option.
 */
#ifndef S2S_CLI_H
#define S2S_CLI_H

#include <time.h>

#define EXIT_USAGE	64

/* "PROG: MSG[: ARG]" and a pointer to --help on stderr; returns EXIT_USAGE. */
int	cli_usage_error(const char *prog, const char *msg, const char *arg);

/* Seconds since 1970, a positive whole number; 0 or -1. */
int	cli_parse_epoch(const char *s, time_t *out);

#endif
