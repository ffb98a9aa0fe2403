/*
 * Deploying: both layouts put a matching pair in place, converting plain
 * files keeps them matching, and SIGKILL at random points of a deploy
 * never leaves a mismatched or partial pair. The reload runner's timeout
 * and output capture.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/x509.h>

#include "cert.h"
#include "deploy.h"
#include "unit.h"

static char dir[256];

static int
setup(void **state)
{
	return unit_tmpdir_new("deploy", dir, sizeof(dir));
}

static int
teardown(void **state)
{
	return unit_tmpdir_remove(dir);
}

static void
load_pki_pair(const char *name, struct deploy_pair *p)
{
	char c[300], k[300];
	struct s2s_err err = { 0 };

	snprintf(c, sizeof(c), "%s.fullchain.pem", name);
	snprintf(c, sizeof(c), "%s", unit_pki(c));
	snprintf(k, sizeof(k), "%s.key", name);
	snprintf(k, sizeof(k), "%s", unit_pki(k));
	if (deploy_pair_load(c, k, p, &err) != 0)
		fail_msg("%s", err.msg);
}

/* 1 = a complete pair whose key matches the leaf; the leaf's SPKI hash into `spki` */
static int
pair_matches(const char *cert_path, const char *key_path, char *spki)
{
	struct cert_chain *chain = NULL;
	struct s2s_err err = { 0 };
	EVP_PKEY *key = NULL;
	int ok;

	if (cert_chain_load(cert_path, &chain, &err) != 0)
		return 0;
	if (cert_key_load(key_path, &key, &err) != 0) {
		cert_chain_free(chain);
		return 0;
	}
	ok = X509_check_private_key(cert_chain_get(chain, 0), key) == 1;
	if (spki != NULL)
		cert_spki_sha256_hex(cert_chain_get(chain, 0), spki);
	EVP_PKEY_free(key);
	cert_chain_free(chain);
	return ok;
}

static void
test_separate_files(void **state)
{
	struct deploy_pair a, b, back;
	struct s2s_err err = { 0 };
	struct deploy_target t = { 0 };
	char cp[300], kp[300];
	struct stat st;

	load_pki_pair("leaf-both", &a);
	load_pki_pair("leaf-p384", &b);
	snprintf(cp, sizeof(cp), "%s/x.test.crt", dir);
	snprintf(kp, sizeof(kp), "%s/x.test.key", dir);
	t.cert_path = cp;
	t.key_path = kp;
	t.uid = (uid_t)-1;
	t.gid = (gid_t)-1;
	t.key_mode = 0640;
	t.cert_mode = 0644;
	assert_int_equal(deploy_pair_load_target(&t, &back, &err), S2S_ENOTFOUND);
	assert_int_equal(deploy_install(&t, &a, NULL, &err), 0);
	assert_true(pair_matches(cp, kp, NULL));
	assert_int_equal(lstat(cp, &st), 0);
	assert_true(S_ISLNK(st.st_mode));
	assert_int_equal(stat(kp, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0640);
	assert_int_equal(deploy_install(&t, &b, NULL, &err), 0);
	assert_true(pair_matches(cp, kp, NULL));
	assert_int_equal(deploy_pair_load_target(&t, &back, &err), 0);
	assert_int_equal(back.cert_len, b.cert_len);
	assert_memory_equal(back.key, b.key, b.key_len);
	deploy_pair_clear(&back);
	deploy_pair_clear(&a);
	deploy_pair_clear(&b);
}

static void
test_adopt_plain_files(void **state)
{
	struct deploy_pair a, b, back;
	struct s2s_err err = { 0 };
	struct deploy_target t = { 0 };
	char cp[300], kp[300], store[300];
	struct stat st;

	load_pki_pair("leaf-both", &a);
	load_pki_pair("leaf-rsa", &b);
	snprintf(cp, sizeof(cp), "%s/y.crt", dir);
	snprintf(kp, sizeof(kp), "%s/y.key", dir);
	assert_int_equal(deploy_write_file(cp, a.cert, a.cert_len, (uid_t)-1, (gid_t)-1, 0644, &err), 0);
	assert_int_equal(deploy_write_file(kp, a.key, a.key_len, (uid_t)-1, (gid_t)-1, 0600, &err), 0);
	t.cert_path = cp;
	t.key_path = kp;
	t.uid = (uid_t)-1;
	t.gid = (gid_t)-1;
	t.key_mode = 0600;
	t.cert_mode = 0644;
	assert_int_equal(deploy_install(&t, &b, NULL, &err), 0);
	assert_int_equal(deploy_pair_load_target(&t, &back, &err), 0);
	assert_memory_equal(back.key, b.key, b.key_len);
	deploy_pair_clear(&back);
	/* the old pair is kept as the previous version directory */
	snprintf(store, sizeof(store), "%s/.s2sguard-y.crt", dir);
	assert_int_equal(stat(store, &st), 0);
	deploy_pair_clear(&a);
	deploy_pair_clear(&b);
}

static void
test_combined_pem(void **state)
{
	struct deploy_pair a, back;
	struct s2s_err err = { 0 };
	struct deploy_target t = { 0 };
	char pp[300];
	struct stat st;

	load_pki_pair("leaf-both", &a);
	snprintf(pp, sizeof(pp), "%s/z.pem", dir);
	t.pem_path = pp;
	t.uid = (uid_t)-1;
	t.gid = (gid_t)-1;
	t.key_mode = 0640;
	assert_int_equal(deploy_install(&t, &a, NULL, &err), 0);
	assert_int_equal(stat(pp, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0640);
	assert_true(pair_matches(pp, pp, NULL));
	assert_int_equal(deploy_pair_load_target(&t, &back, &err), 0);
	assert_non_null(strstr((char *)back.key, "PRIVATE KEY"));
	assert_null(strstr((char *)back.cert, "PRIVATE KEY"));
	deploy_pair_clear(&back);
	deploy_pair_clear(&a);
}

static void
separate_target(struct deploy_target *t, char *cp, char *kp, const char *name)
{
	snprintf(cp, 300, "%s/%s.crt", dir, name);
	snprintf(kp, 300, "%s/%s.key", dir, name);
	memset(t, 0, sizeof(*t));
	t->cert_path = cp;
	t->key_path = kp;
	t->uid = (uid_t)-1;
	t->gid = (gid_t)-1;
	t->key_mode = 0640;
	t->cert_mode = 0644;
}

/* A link in the target that leads elsewhere is never read, and a first deploy's rollback puts it back. */
static void
test_foreign_link_not_followed(void **state)
{
	struct deploy_pair a, back;
	struct deploy_undo u;
	struct s2s_err err = { 0 };
	struct deploy_target t;
	char cp[300], kp[300], secret[300], buf[300], cmd[700];

	load_pki_pair("leaf-both", &a);
	separate_target(&t, cp, kp, "f");
	snprintf(secret, sizeof(secret), "%s/secret", dir);
	assert_int_equal(deploy_write_file(secret, "SECRET-BYTES\n", 13, (uid_t)-1, (gid_t)-1, 0600, &err), 0);
	assert_int_equal(symlink(secret, kp), 0);
	assert_int_equal(symlink(unit_pki("leaf-rsa.fullchain.pem"), cp), 0);
	assert_int_equal(deploy_pair_load_target(&t, &back, &err), S2S_EPERM);
	assert_non_null(strstr(err.msg, "not followed"));
	assert_int_equal(deploy_install(&t, &a, &u, &err), 0);
	assert_true(pair_matches(cp, kp, NULL));
	snprintf(cmd, sizeof(cmd), "! grep -rq SECRET-BYTES %s/.s2sguard-f.crt", dir);
	assert_int_equal(system(cmd), 0);
	assert_true(deploy_undo_nothing_before(&u));
	assert_int_equal(deploy_revert(&t, &u, &err), 0);
	assert_int_equal(readlink(kp, buf, sizeof(buf) - 1), (ssize_t)strlen(secret));
	assert_int_equal(readlink(cp, buf, sizeof(buf) - 1), (ssize_t)strlen(unit_pki("leaf-rsa.fullchain.pem")));
	deploy_undo_clear(&u);
	deploy_pair_clear(&a);
}

/* Nothing there before: the rollback removes the paths and the store. */
static void
test_revert_first_deploy(void **state)
{
	struct deploy_pair a;
	struct deploy_undo u;
	struct s2s_err err = { 0 };
	struct deploy_target t;
	char cp[300], kp[300], store[300];
	struct stat st;
	mode_t old = umask(077);

	load_pki_pair("leaf-both", &a);
	separate_target(&t, cp, kp, "n");
	assert_int_equal(deploy_install(&t, &a, &u, &err), 0);
	snprintf(store, sizeof(store), "%s/.s2sguard-n.crt", dir);
	assert_int_equal(stat(store, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0755);	/* whatever the umask */
	assert_true(deploy_undo_nothing_before(&u));
	assert_int_equal(deploy_revert(&t, &u, &err), 0);
	assert_int_not_equal(lstat(cp, &st), 0);
	assert_int_not_equal(lstat(kp, &st), 0);
	assert_int_not_equal(lstat(store, &st), 0);
	deploy_undo_clear(&u);
	deploy_pair_clear(&a);
	umask(old);
}

/* A later deploy's rollback swaps `current` back: the previous pair, no bytes written. */
static void
test_revert_to_previous(void **state)
{
	struct deploy_pair a, b, back;
	struct deploy_undo u;
	struct s2s_err err = { 0 };
	struct deploy_target t;
	char cp[300], kp[300];

	load_pki_pair("leaf-both", &a);
	load_pki_pair("leaf-p384", &b);
	separate_target(&t, cp, kp, "r");
	assert_int_equal(deploy_install(&t, &a, NULL, &err), 0);
	assert_int_equal(deploy_install(&t, &b, &u, &err), 0);
	assert_false(deploy_undo_nothing_before(&u));
	assert_int_equal(deploy_revert(&t, &u, &err), 0);
	assert_int_equal(deploy_pair_load_target(&t, &back, &err), 0);
	assert_int_equal(back.key_len, a.key_len);
	assert_memory_equal(back.key, a.key, a.key_len);
	deploy_pair_clear(&back);
	deploy_undo_clear(&u);
	deploy_pair_clear(&a);
	deploy_pair_clear(&b);
}

/* The combined file: a rollback writes back the bytes it replaced. */
static void
test_revert_combined(void **state)
{
	struct deploy_pair a, b, back;
	struct deploy_undo u;
	struct s2s_err err = { 0 };
	struct deploy_target t = { 0 };
	char pp[300];

	load_pki_pair("leaf-both", &a);
	load_pki_pair("leaf-p384", &b);
	snprintf(pp, sizeof(pp), "%s/c.pem", dir);
	t.pem_path = pp;
	t.uid = (uid_t)-1;
	t.gid = (gid_t)-1;
	t.key_mode = 0640;
	assert_int_equal(deploy_install(&t, &a, NULL, &err), 0);
	assert_int_equal(deploy_install(&t, &b, &u, &err), 0);
	assert_int_equal(deploy_revert(&t, &u, &err), 0);
	assert_int_equal(deploy_pair_load_target(&t, &back, &err), 0);
	assert_non_null(strstr((char *)back.key, "PRIVATE KEY"));
	assert_true(pair_matches(pp, pp, NULL));
	assert_int_equal(back.key_len, a.key_len);
	deploy_pair_clear(&back);
	deploy_undo_clear(&u);
	deploy_pair_clear(&a);
	deploy_pair_clear(&b);
}

/*
 * A child deploys pair A and pair B alternately, forever; the parent kills
 * it with SIGKILL after a random delay and checks what a server would read.
 */
static void
kill_loop(struct deploy_target *t, const char *cert_path, const char *key_path, int rounds)
{
	struct deploy_pair p[2];
	struct s2s_err err = { 0 };
	int i, seen_a = 0, seen_b = 0;
	char spki[65], spki_a[65];
	pid_t pid;

	load_pki_pair("leaf-both", &p[0]);
	load_pki_pair("leaf-p384", &p[1]);
	assert_int_equal(deploy_install(t, &p[0], NULL, &err), 0);
	assert_true(pair_matches(cert_path, key_path, spki_a));
	srand((unsigned)time(NULL));
	for (i = 0; i < rounds; i++) {
		if ((pid = fork()) == 0) {
			unsigned n;

			for (n = 1;; n++)
				if (deploy_install(t, &p[n % 2], NULL, &err) != 0)
					_exit(3);
		}
		usleep((useconds_t)(rand() % 20000));
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		if (!pair_matches(cert_path, key_path, spki))
			fail_msg("round %d: %s and %s do not hold a matching pair", i, cert_path, key_path);
		if (strcmp(spki, spki_a) == 0)
			seen_a++;
		else
			seen_b++;
	}
	print_message("%d kills: %d times pair A, %d times pair B, always matching\n", rounds, seen_a, seen_b);
	deploy_pair_clear(&p[0]);
	deploy_pair_clear(&p[1]);
}

static void
test_sigkill_separate(void **state)
{
	struct deploy_target t = { 0 };
	char cp[300], kp[300];

	snprintf(cp, sizeof(cp), "%s/k.crt", dir);
	snprintf(kp, sizeof(kp), "%s/k.key", dir);
	t.cert_path = cp;
	t.key_path = kp;
	t.uid = (uid_t)-1;
	t.gid = (gid_t)-1;
	t.key_mode = 0600;
	t.cert_mode = 0644;
	kill_loop(&t, cp, kp, 150);
}

static void
test_sigkill_combined(void **state)
{
	struct deploy_target t = { 0 };
	char pp[300];

	snprintf(pp, sizeof(pp), "%s/k.pem", dir);
	t.pem_path = pp;
	t.uid = (uid_t)-1;
	t.gid = (gid_t)-1;
	t.key_mode = 0600;
	kill_loop(&t, pp, pp, 150);
}

static void
test_run_output_and_status(void **state)
{
	struct s2s_err err = { 0 };
	char out[64];
	int status = -1;

	assert_int_equal(deploy_run_shell("echo reloaded; echo oops >&2; exit 3", 5000, NULL,
	    out, sizeof(out), &status, &err), 0);
	assert_int_equal(status, 3);
	assert_non_null(strstr(out, "reloaded"));
	assert_non_null(strstr(out, "oops"));
	/* output beyond the buffer is dropped, not overflowing it */
	assert_int_equal(deploy_run_shell("yes | head -c 100000", 5000, NULL, out, sizeof(out), &status, &err), 0);
	assert_int_equal(strlen(out), sizeof(out) - 1);
	assert_int_equal(status, 0);
}

static void
test_run_timeout_kills_group(void **state)
{
	struct s2s_err err = { 0 };
	char out[64], marker[300], cmd[600];
	int status = -1;
	time_t t0 = time(NULL);

	snprintf(marker, sizeof(marker), "%s/survived", dir);
	snprintf(cmd, sizeof(cmd), "(sleep 2; touch %s) & sleep 30", marker);
	assert_int_equal(deploy_run_shell(cmd, 300, NULL, out, sizeof(out), &status, &err), S2S_ETIMEOUT);
	assert_true(time(NULL) - t0 < 5);
	sleep(3);
	assert_int_not_equal(access(marker, F_OK), 0);	/* the background child died too */
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_separate_files, setup, teardown),
		cmocka_unit_test_setup_teardown(test_adopt_plain_files, setup, teardown),
		cmocka_unit_test_setup_teardown(test_combined_pem, setup, teardown),
		cmocka_unit_test_setup_teardown(test_foreign_link_not_followed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_revert_first_deploy, setup, teardown),
		cmocka_unit_test_setup_teardown(test_revert_to_previous, setup, teardown),
		cmocka_unit_test_setup_teardown(test_revert_combined, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sigkill_separate, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sigkill_combined, setup, teardown),
		cmocka_unit_test_setup_teardown(test_run_output_and_status, setup, teardown),
		cmocka_unit_test_setup_teardown(test_run_timeout_kills_group, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
