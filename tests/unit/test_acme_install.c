/*
 * Installing a re-issued certificate: all files or none. Plain files keep
 * owner and mode and leave no temporary files; a certbot lineage gets
 * version max+1 and its live/ links repointed; any failure leaves the
 * directory exactly as it was.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <dirent.h>

#include <cmocka.h>

#include "install.h"
#include "unit.h"

static const struct install_files files = {
	"CERT\n", "CHAIN\n", "CERT\nCHAIN\n", "-----BEGIN PRIVATE KEY-----\nK\n",
};

static char *
tmpdir(void)
{
	char *d = strdup("/tmp/s2s-install.XXXXXX");

	assert_non_null(mkdtemp(d));
	return d;
}

static void
put(const char *dir, const char *name, const char *text, mode_t mode)
{
	char p[512];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	assert_non_null(f = fopen(p, "w"));
	fputs(text, f);
	fclose(f);
	chmod(p, mode);
}

static char *
get(const char *dir, const char *name)
{
	static char buf[256];
	char p[512];
	FILE *f;
	size_t n;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	if ((f = fopen(p, "r")) == NULL)
		return NULL;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static int
mode_of(const char *dir, const char *name)
{
	char p[512];
	struct stat st;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	return stat(p, &st) == 0 ? (int)(st.st_mode & 0777) : -1;
}

static int
entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	while (d != NULL && (de = readdir(d)) != NULL)
		n += de->d_name[0] != '.';
	if (d != NULL)
		closedir(d);
	return n;
}

static void
rmrf(const char *dir)
{
	assert_int_equal(unit_tmpdir_remove(dir), 0);
}

static void
test_plain_keeps_mode(void **state)
{
	char *d = tmpdir(), c[512], f[512], k[512];
	struct s2s_err err = { 0 };

	put(d, "cert.pem", "old\n", 0640);
	snprintf(c, sizeof(c), "%s/cert.pem", d);
	snprintf(f, sizeof(f), "%s/full.pem", d);
	snprintf(k, sizeof(k), "%s/key.pem", d);
	assert_int_equal(install_plain(c, NULL, f, k, &files, &err), 0);
	assert_string_equal(get(d, "cert.pem"), "CERT\n");
	assert_int_equal(mode_of(d, "cert.pem"), 0640);	/* kept */
	assert_int_equal(mode_of(d, "full.pem"), 0644);	/* new file */
	assert_int_equal(mode_of(d, "key.pem"), 0600);	/* new key */
	assert_int_equal(entries(d), 3);		/* no temporary files */
	rmrf(d);
	free(d);
}

static void
test_plain_all_or_nothing(void **state)
{
	char *d = tmpdir(), c[512], ch[512];
	struct s2s_err err = { 0 };

	put(d, "cert.pem", "old\n", 0644);
	snprintf(c, sizeof(c), "%s/cert.pem", d);
	snprintf(ch, sizeof(ch), "%s/missing-dir/chain.pem", d);
	assert_int_equal(install_plain(c, ch, NULL, NULL, &files, &err), S2S_EIO);
	assert_non_null(strstr(err.msg, "missing-dir/chain.pem"));
	assert_string_equal(get(d, "cert.pem"), "old\n");	/* untouched */
	assert_int_equal(entries(d), 1);			/* temporaries removed */
	rmrf(d);
	free(d);
}

/* A lineage with versions 1..3 in archive/, live/ on version 2. */
static char *
lineage(void)
{
	static const char *const kinds[] = { "cert", "chain", "fullchain", "privkey" };
	char *d = tmpdir(), p[512], t[512];
	int k, v;

	snprintf(p, sizeof(p), "%s/archive", d);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/archive/x", d);
	mkdir(p, 0700);
	snprintf(p, sizeof(p), "%s/live", d);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/live/x", d);
	mkdir(p, 0755);
	for (k = 0; k < 4; k++) {
		for (v = 1; v <= 3; v++) {
			snprintf(t, sizeof(t), "%s/archive/x", d);
			snprintf(p, sizeof(p), "%s%d.pem", kinds[k], v);
			put(t, p, "old\n", k == 3 ? 0640 : 0644);
		}
		snprintf(p, sizeof(p), "%s/live/x/%s.pem", d, kinds[k]);
		snprintf(t, sizeof(t), "../../archive/x/%s2.pem", kinds[k]);
		assert_int_equal(symlink(t, p), 0);
	}
	return d;
}

static void
test_certbot_next_version(void **state)
{
	char *d = lineage(), a[512], l[512], link[512];
	struct s2s_err err = { 0 };
	ssize_t n;
	int v = 0;

	snprintf(a, sizeof(a), "%s/archive/x", d);
	snprintf(l, sizeof(l), "%s/live/x", d);
	assert_int_equal(install_certbot(a, l, &files, &v, &err), 0);
	assert_int_equal(v, 4);
	assert_string_equal(get(a, "fullchain4.pem"), "CERT\nCHAIN\n");
	assert_int_equal(mode_of(a, "privkey4.pem"), 0640);
	snprintf(a, sizeof(a), "%s/live/x/privkey.pem", d);
	n = readlink(a, link, sizeof(link) - 1);
	link[n > 0 ? n : 0] = '\0';
	assert_string_equal(link, "../../archive/x/privkey4.pem");
	assert_int_equal(entries(l), 4);
	rmrf(d);
	free(d);
}

static void
test_certbot_failure_leaves_nothing(void **state)
{
	char *d = lineage(), a[512], l[512], p[512];
	struct s2s_err err = { 0 };
	int v = 0;

	snprintf(a, sizeof(a), "%s/archive/x", d);
	snprintf(l, sizeof(l), "%s/live/x", d);
	snprintf(p, sizeof(p), "%s/chain.pem", l);
	unlink(p);
	put(l, "chain.pem", "not a link\n", 0644);	/* live/ damaged */
	assert_int_equal(install_certbot(a, l, &files, &v, &err), S2S_EIO);
	assert_non_null(strstr(err.msg, "chain.pem: not a symbolic link"));
	assert_int_equal(entries(a), 12);		/* no version 4, no temporaries */
	assert_int_equal(entries(l), 4);
	assert_null(get(a, "cert4.pem"));
	rmrf(d);
	free(d);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain_keeps_mode),
		cmocka_unit_test(test_plain_all_or_nothing),
		cmocka_unit_test(test_certbot_next_version),
		cmocka_unit_test(test_certbot_failure_leaves_nothing),
	};

	umask(022);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
