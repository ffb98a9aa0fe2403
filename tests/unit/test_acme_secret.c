/* A secret read from a file: only a private regular file, bounded, never blocking. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "secret.h"
#include "unit.h"

static char dir[256], path[512];

static int
setup(void **state)
{
	return unit_tmpdir_new("secret", dir, sizeof(dir));
}

static int
teardown(void **state)
{
	return unit_tmpdir_remove(dir);
}

static void
write_file(const char *name, const char *text, size_t len, mode_t mode)
{
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	assert_true((fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600)) >= 0);
	assert_int_equal(write(fd, text, len), (ssize_t)len);
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
}

static int
read_rc(const char *name, char **out, size_t *len)
{
	struct s2s_err err = { 0 };
	int rc;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	rc = secret_file_read(path, out, len, &err);
	if (rc != 0) {
		assert_non_null(strstr(err.msg, path));	/* names the file */
		assert_null(strstr(err.msg, "c2VjcmV0"));	/* never the content */
	}
	return rc;
}

static void
test_private_file(void **state)
{
	char *s;
	size_t len;

	write_file("ok", "c2VjcmV0\r\n", 10, 0600);
	assert_int_equal(read_rc("ok", &s, &len), 0);
	assert_string_equal(s, "c2VjcmV0");
	assert_int_equal(len, 8);
	secret_free(s);
	write_file("group", "c2VjcmV0\n", 9, 0640);	/* the group may read, not change it */
	assert_int_equal(read_rc("group", &s, &len), 0);
	secret_free(s);
}

static void
test_refused(void **state)
{
	static char big[SECRET_MAX_BYTES + 10];
	char *s = NULL;
	size_t len;

	write_file("world", "c2VjcmV0\n", 9, 0644);
	assert_int_equal(read_rc("world", &s, &len), S2S_EPERM);
	write_file("gw", "c2VjcmV0\n", 9, 0620);
	assert_int_equal(read_rc("gw", &s, &len), S2S_EPERM);
	write_file("empty", "\n\n", 2, 0600);
	assert_int_equal(read_rc("empty", &s, &len), S2S_EINVAL);
	write_file("two", "c2VjcmV0\nc2VjcmV0\n", 18, 0600);
	assert_int_equal(read_rc("two", &s, &len), S2S_EINVAL);
	memset(big, 'A', sizeof(big));
	write_file("big", big, sizeof(big), 0600);
	assert_int_equal(read_rc("big", &s, &len), S2S_EINVAL);
	snprintf(path, sizeof(path), "%s/link", dir);
	assert_int_equal(symlink("ok", path), 0);
	assert_int_not_equal(read_rc("link", &s, &len), 0);
	snprintf(path, sizeof(path), "%s/fifo", dir);
	assert_int_equal(mkfifo(path, 0600), 0);
	assert_int_equal(read_rc("fifo", &s, &len), S2S_EINVAL);	/* and it returned */
	assert_int_equal(read_rc("absent", &s, &len), S2S_ENOTFOUND);
	assert_null(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_private_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refused, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
