#include <stdlib.h>
#include <string.h>

#include "mem.h"

/* Test-only failure injection; never touched by the binaries. */
static long fail_countdown = -1;

static int
mem_should_fail(void)
{
	if (fail_countdown < 0)
		return 0;
	if (fail_countdown == 0)
		return 1;
	fail_countdown--;
	return 0;
}

void *
mem_alloc(size_t n)
{
	return mem_should_fail() ? NULL : malloc(n == 0 ? 1 : n);
}

void *
mem_calloc(size_t nmemb, size_t size)
{
	return mem_should_fail() ? NULL : calloc(nmemb == 0 ? 1 : nmemb, size == 0 ? 1 : size);
}

void *
mem_realloc(void *p, size_t n)
{
	return mem_should_fail() ? NULL : realloc(p, n == 0 ? 1 : n);
}

char *
mem_strndup(const char *s, size_t n)
{
	size_t len;
	char *copy;

	if (s == NULL)
		return NULL;
	len = strnlen(s, n);
	if ((copy = mem_alloc(len + 1)) == NULL)
		return NULL;
	memcpy(copy, s, len);
	copy[len] = '\0';
	return copy;
}

char *
mem_strdup(const char *s)
{
	return s == NULL ? NULL : mem_strndup(s, strlen(s));
}

void
mem_free(void *p)
{
	free(p);
}

void
mem_fail_after(long n)
{
	fail_countdown = n;
}
