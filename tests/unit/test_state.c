/* State: one run per domain, atomic readable JSON, private stashes, bounded reports. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <limits.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "state.h"
#include "unit.h"

static char dir[256];

static int
setup(void **state)
{
	struct s2s_err err = { 0 };
	char base[64];

	if (unit_tmpdir_new("state", base, sizeof(base)) != 0)
		return -1;
	snprintf(dir, sizeof(dir), "%s/var/lib/s2sguard", base);
	return state_dir_ensure(dir, &err);
}

static int
teardown(void **state)
{
	char base[sizeof(dir)];

	snprintf(base, sizeof(base), "%.*s", (int)(strstr(dir, "/var/lib") - dir), dir);
	return unit_tmpdir_remove(base);
}

static void
test_dir_private(void **state)
{
	struct stat st;

	assert_int_equal(stat(dir, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
}

static void
test_lock_one_run_at_a_time(void **state)
{
	struct s2s_err err = { 0 };
	struct state_lock *a, *b;
	int status;
	pid_t pid;

	assert_int_equal(state_lock_acquire(dir, "x.test", 0, &a, &err), 0);
	/* another process (flock is per open file) cannot take it */
	if ((pid = fork()) == 0)
		_exit(state_lock_acquire(dir, "x.test", 200, &b, &err) == S2S_EBUSY ? 0 : 1);
	waitpid(pid, &status, 0);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	/* another domain is independent */
	assert_int_equal(state_lock_acquire(dir, "y.test", 0, &b, &err), 0);
	state_lock_release(b);
	state_lock_release(a);
	assert_int_equal(state_lock_acquire(dir, "x.test", 0, &a, &err), 0);
	state_lock_release(a);
	assert_int_equal(state_lock_acquire(dir, "../x", 0, &a, &err), S2S_EINVAL);
}

static void
test_save_load(void **state)
{
	struct s2s_err err = { 0 };
	json_t *st;
	char path[PATH_MAX];
	FILE *f;
	char line[200];
	int indented = 0;

	assert_int_equal(state_load(dir, "x.test", &st, &err), 0);
	assert_int_equal(json_object_size(st), 0);
	json_object_set_new(st, "holds", json_integer(2));
	assert_int_equal(state_note_first_seen(st, "ej.peer.test", "2026-11-27T00:00:00Z"), 0);
	assert_int_equal(state_note_first_seen(st, "ej.peer.test", "2026-12-01T00:00:00Z"), 0);
	assert_int_equal(state_save(dir, "x.test", st, &err), 0);
	json_decref(st);
	assert_int_equal(state_load(dir, "x.test", &st, &err), 0);
	assert_int_equal(json_integer_value(json_object_get(st, "holds")), 2);
	assert_string_equal(json_string_value(json_object_get(json_object_get(st, "first_seen"), "ej.peer.test")),
	    "2026-11-27T00:00:00Z");
	assert_string_equal(json_string_value(json_object_get(st, "domain")), "x.test");
	json_decref(st);
	/* readable by a person: indented, one key per line */
	snprintf(path, sizeof(path), "%s/x.test.json", dir);
	assert_non_null(f = fopen(path, "r"));
	while (fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, "  \"holds\": 2", 12) == 0)
			indented = 1;
	fclose(f);
	assert_true(indented);
	/* a corrupt file is an error naming it, not an empty state */
	f = fopen(path, "w");
	fputs("{\"holds\": ", f);
	fclose(f);
	assert_int_equal(state_load(dir, "x.test", &st, &err), S2S_EPARSE);
	assert_non_null(strstr(err.msg, "x.test.json"));
}

static void
test_stash_private(void **state)
{
	struct s2s_err err = { 0 };
	struct deploy_pair p = { (unsigned char *)"CERT\n", 5, (unsigned char *)"KEY\n", 4 };
	char c[PATH_MAX], k[PATH_MAX];
	struct stat st;

	assert_int_equal(state_stash_paths(dir, "x.test", "pending", c, k, &err), S2S_ENOTFOUND);
	assert_int_equal(state_stash_pair(dir, "x.test", "pending", &p, c, k, &err), 0);
	assert_int_equal(stat(k, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(state_stash_paths(dir, "x.test", "pending", c, k, &err), 0);
	assert_int_equal(state_stash_drop(dir, "x.test", "pending", &err), 0);
	assert_int_equal(state_stash_paths(dir, "x.test", "pending", c, k, &err), S2S_ENOTFOUND);
	assert_int_equal(state_stash_pair(dir, "x.test", "nonsense", &p, c, k, &err), S2S_EINVAL);
}

static void
test_reports_pruned(void **state)
{
	struct s2s_err err = { 0 };
	char rdir[PATH_MAX], path[PATH_MAX];
	struct dirent *de;
	json_t *r = json_pack("{s:s}", "tool", "s2sguard-hook");
	int i, n = 0;
	DIR *d;

	for (i = 0; i < STATE_REPORTS_KEEP + 5; i++)
		assert_int_equal(state_report_write(dir, "x.test", "hook", r, path, &err), 0);
	assert_int_equal(access(path, R_OK), 0);
	json_decref(r);
	snprintf(rdir, sizeof(rdir), "%s/reports", dir);
	assert_non_null(d = opendir(rdir));
	while ((de = readdir(d)) != NULL)
		if (strstr(de->d_name, "x.test") != NULL)
			n++;
	closedir(d);
	assert_int_equal(n, STATE_REPORTS_KEEP);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_dir_private, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lock_one_run_at_a_time, setup, teardown),
		cmocka_unit_test_setup_teardown(test_save_load, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stash_private, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reports_pruned, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
