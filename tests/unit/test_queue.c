/* The renewal queue: complete private entries, listed oldest first, dropped once processed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <dirent.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "mem.h"
#include "queue.h"
#include "unit.h"

static char dir[256];

static int
setup(void **state)
{
	return unit_tmpdir_new("queue", dir, sizeof(dir));
}

static int
teardown(void **state)
{
	return unit_tmpdir_remove(dir);
}

static void
pair_of(struct deploy_pair *p, const char *cert, const char *key)
{
	p->cert = (unsigned char *)mem_strdup(cert);
	p->cert_len = strlen(cert);
	p->key = (unsigned char *)mem_strdup(key);
	p->key_len = strlen(key);
}

static void
assert_file(const char *entry, const char *name, const char *want)
{
	char path[PATH_MAX + 16], buf[64] = "";
	struct stat st;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", entry, name);
	assert_int_equal(lstat(path, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_non_null(f = fopen(path, "r"));
	assert_non_null(fgets(buf, sizeof(buf), f));
	fclose(f);
	assert_string_equal(buf, want);
}

static void
test_add_list_drop(void **state)
{
	char first[PATH_MAX], second[PATH_MAX], qdir[PATH_MAX];
	struct deploy_pair a = { 0 }, b = { 0 };
	struct s2s_err err = { 0 };
	struct strlist l;
	struct dirent *de;
	struct stat st;
	DIR *d;

	assert_int_equal(queue_list(dir, "x.test", &l, &err), 0);	/* no queue yet */
	assert_int_equal(l.n, 0);
	pair_of(&a, "CERT A", "KEY A");
	pair_of(&b, "CERT B", "KEY B");
	assert_int_equal(queue_add(dir, "x.test", &a, first, &err), 0);
	assert_int_equal(queue_add(dir, "x.test", &b, second, &err), 0);
	assert_int_equal(queue_list(dir, "x.test", &l, &err), 0);
	assert_int_equal(l.n, 2);
	assert_string_equal(l.v[0], first);	/* oldest first */
	assert_string_equal(l.v[1], second);
	strlist_clear(&l);
	assert_file(first, "cert.pem", "CERT A");
	assert_file(first, "key.pem", "KEY A");
	snprintf(qdir, sizeof(qdir), "%s/queue/x.test", dir);
	assert_int_equal(stat(qdir, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	assert_non_null(d = opendir(qdir));
	while ((de = readdir(d)) != NULL)	/* nothing half-written left behind */
		assert_true(strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0 ||
		    de->d_name[0] != '.');
	closedir(d);
	assert_true(queue_entry_exists(first));
	assert_int_equal(queue_drop(first, &err), 0);
	assert_false(queue_entry_exists(first));
	assert_int_equal(queue_drop(first, &err), 0);	/* absent is fine */
	assert_int_equal(queue_list(dir, "x.test", &l, &err), 0);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.v[0], second);
	strlist_clear(&l);
	deploy_pair_clear(&a);
	deploy_pair_clear(&b);
}

static void
test_bad_domain(void **state)
{
	struct deploy_pair a = { 0 };
	struct s2s_err err = { 0 };
	char path[PATH_MAX];
	struct strlist l;

	pair_of(&a, "C", "K");
	assert_int_equal(queue_add(dir, "../x", &a, path, &err), S2S_EINVAL);
	assert_int_equal(queue_list(dir, "a/b", &l, &err), S2S_EINVAL);
	deploy_pair_clear(&a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_add_list_drop, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_domain, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
