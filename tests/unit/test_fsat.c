/*
 * The dirfd-relative primitives: the one safe read refuses FIFOs, links
 * (when asked), hard links (when asked) and oversize files without
 * blocking; directories are opened without following links and must be
 * ours; writes set their mode whatever the umask; a directory descriptor
 * keeps pointing at the directory it opened after a rename.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "fsat.h"
#include "mem.h"
#include "unit.h"

static char dir[256];
static int dfd = -1;

static int
setup(void **state)
{
	if (unit_tmpdir_new("fsat", dir, sizeof(dir)) != 0)
		return -1;
	return (dfd = open(dir, O_RDONLY | O_DIRECTORY)) == -1 ? -1 : 0;
}

static int
teardown(void **state)
{
	close(dfd);
	return unit_tmpdir_remove(dir);
}

static void
put(const char *name, const char *text)
{
	struct s2s_err err = { 0 };

	assert_int_equal(fsat_write_atomic(dfd, name, NULL, text, strlen(text), (uid_t)-1, (gid_t)-1,
	    0600, &err), 0);
}

/* fsat_read's code, and its message containing `want` */
static void
read_fails(const char *name, unsigned flags, size_t max, const struct deadline *dl, int code,
    const char *want)
{
	struct s2s_err err = { 0 };
	unsigned char *data = NULL;
	size_t len;

	assert_int_equal(fsat_read(dfd, name, NULL, flags, max, dl, &data, &len, &err), code);
	assert_null(data);
	if (strstr(err.msg, want) == NULL)
		fail_msg("'%s' not in '%s'", want, err.msg);
	assert_non_null(strstr(err.msg, name));	/* names the file */
}

static void
test_read(void **state)
{
	struct s2s_err err = { 0 };
	struct deadline past = { 1 };
	unsigned char *data;
	size_t len;

	put("a", "hello\n");
	assert_int_equal(fsat_read(dfd, "a", NULL, FSAT_NOFOLLOW | FSAT_ONE_LINK, 100, NULL, &data, &len, &err), 0);
	assert_int_equal(len, 6);
	assert_string_equal((char *)data, "hello\n");
	mem_free(data);
	read_fails("missing", 0, 100, NULL, S2S_ENOTFOUND, "No such file");
	read_fails("a", 0, 3, NULL, S2S_ETOOBIG, "more than the 3 allowed");
	read_fails("a", 0, 100, &past, S2S_ETIMEOUT, "deadline");
	assert_int_equal(mkdirat(dfd, "d", 0700), 0);
	read_fails("d", 0, 100, NULL, S2S_EINVAL, "a directory, not a regular file");
}

/* A FIFO nobody writes to: an error at once, not a hang. */
static void
test_read_fifo(void **state)
{
	assert_int_equal(mkfifoat(dfd, "fifo", 0600), 0);
	alarm(10);
	read_fails("fifo", 0, 100, NULL, S2S_EINVAL, "a FIFO, not a regular file");
	read_fails("fifo", FSAT_NOFOLLOW, 100, NULL, S2S_EINVAL, "a FIFO");
	alarm(0);
}

static void
test_read_links(void **state)
{
	struct s2s_err err = { 0 };
	unsigned char *data;
	size_t len;

	put("a", "secret");
	assert_int_equal(symlinkat("a", dfd, "l"), 0);
	read_fails("l", FSAT_NOFOLLOW, 100, NULL, S2S_EPERM, "not followed");
	assert_int_equal(fsat_read(dfd, "l", NULL, 0, 100, NULL, &data, &len, &err), 0);
	mem_free(data);
	assert_int_equal(linkat(dfd, "a", dfd, "h", 0), 0);
	read_fails("h", FSAT_NOFOLLOW | FSAT_ONE_LINK, 100, NULL, S2S_EPERM, "has 2 hard links");
}

static void
test_dirs(void **state)
{
	struct s2s_err err = { 0 };
	struct stat st;
	mode_t old = umask(077);
	int fd, created = 0, fd2;
	char name[64];

	assert_int_equal(fsat_dir_make(dfd, "store", NULL, 0755, &fd, &created, &err), 0);
	assert_true(created);
	assert_int_equal(fstat(fd, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0755);	/* not the umask's 0700 */
	/* a descriptor follows the directory, not its name */
	assert_int_equal(renameat(dfd, "store", dfd, "moved"), 0);
	assert_int_equal(symlinkat("/", dfd, "store"), 0);
	assert_int_equal(fsat_dir_make_temp(fd, "v.", "store", 0755, name, sizeof(name), &fd2, &err), 0);
	assert_int_equal(strncmp(name, "v.", 2), 0);
	assert_int_equal(fstatat(dfd, "moved", &st, 0), 0);
	assert_int_equal(fstatat(fd, name, &st, AT_SYMLINK_NOFOLLOW), 0);
	assert_int_equal(st.st_mode & 07777, 0755);
	assert_int_equal(fsat_write_new(fd2, "f", NULL, "x", 1, (uid_t)-1, (gid_t)-1, 0644, &err), 0);
	assert_int_equal(fstatat(fd2, "f", &st, 0), 0);
	assert_int_equal(st.st_mode & 07777, 0644);
	close(fd2);
	assert_int_equal(fsat_remove_flat_dir(fd, name), 0);
	assert_int_not_equal(fstatat(fd, name, &st, AT_SYMLINK_NOFOLLOW), 0);
	close(fd);
	/* the planted link is refused, never followed */
	assert_int_equal(fsat_dir_make(dfd, "store", NULL, 0755, &fd, NULL, &err), S2S_EPERM);
	assert_int_equal(fd, -1);
	/* so is a directory others may write to */
	assert_int_equal(mkdirat(dfd, "open", 0700), 0);
	assert_int_equal(fchmodat(dfd, "open", 0777, 0), 0);
	assert_int_equal(fsat_dir_open(dfd, "open", NULL, FSAT_NOFOLLOW | FSAT_OURS, &fd, &err), S2S_EPERM);
	umask(old);
}

static void
test_write_atomic_and_links(void **state)
{
	struct s2s_err err = { 0 };
	char buf[64];
	struct stat st;
	mode_t old = umask(077);

	put("f", "one");
	assert_int_equal(fsat_write_atomic(dfd, "f", NULL, "two", 3, (uid_t)-1, (gid_t)-1, 0644, &err), 0);
	assert_int_equal(fstatat(dfd, "f", &st, 0), 0);
	assert_int_equal(st.st_mode & 07777, 0644);
	assert_int_equal(st.st_size, 3);
	/* a link swapped over a file, in one rename; nothing temporary left */
	assert_int_equal(fsat_link_swap(dfd, "f", NULL, "elsewhere", &err), 0);
	assert_int_equal(fsat_readlink(dfd, "f", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "elsewhere");
	assert_int_equal(fsat_readlink(dfd, "missing", buf, sizeof(buf)), -1);
	{
		char cmd[400];

		snprintf(cmd, sizeof(cmd), "test \"$(ls -A %s | wc -l)\" = 1", dir);
		assert_int_equal(system(cmd), 0);
	}
	umask(old);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_read, setup, teardown),
		cmocka_unit_test_setup_teardown(test_read_fifo, setup, teardown),
		cmocka_unit_test_setup_teardown(test_read_links, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dirs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_atomic_and_links, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
