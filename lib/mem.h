/*
 * mem.h: every allocation in s2sguard goes through these, so a unit test can
 * make the Nth one fail (mem_fail_after) and reach each out-of-memory path.
 */
#ifndef S2S_MEM_H
#define S2S_MEM_H

#include <stddef.h>

void	*mem_alloc(size_t n);
void	*mem_calloc(size_t nmemb, size_t size);
void	*mem_realloc(void *p, size_t n);
char	*mem_strdup(const char *s);
char	*mem_strndup(const char *s, size_t n);
void	 mem_free(void *p);

/*
 * Test hook: let n more allocations succeed, then fail every one until
 * mem_fail_after(-1) (the default) switches failures off again.
 */
void	 mem_fail_after(long n);

#endif
