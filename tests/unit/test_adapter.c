/* Each ACME client's hook contract, from env/argv fixtures, into one renewal. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "adapter.h"
#include "guard.h"
#include "unit.h"

static char dir[256];

static int
setup(void **state)
{
	return unit_tmpdir_new("adapter", dir, sizeof(dir));
}

static int
teardown(void **state)
{
	return unit_tmpdir_remove(dir);
}

static void
touch(const char *path)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs("x\n", f);
	fclose(f);
}

/* certbot layout: live/NAME/KIND.pem links to ../../archive/NAME/KINDn.pem */
static void
make_lineage(int versions)
{
	char path[512], target[512];
	const char *kinds[] = { "cert", "chain", "fullchain", "privkey" };
	int v;
	size_t k;

	snprintf(path, sizeof(path), "%s/archive", dir);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/archive/x.test", dir);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/live", dir);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/live/x.test", dir);
	mkdir(path, 0755);
	for (v = 1; v <= versions; v++)
		for (k = 0; k < 4; k++) {
			snprintf(path, sizeof(path), "%s/archive/x.test/%s%d.pem", dir, kinds[k], v);
			touch(path);
		}
	for (k = 0; k < 4; k++) {
		snprintf(path, sizeof(path), "%s/live/x.test/%s.pem", dir, kinds[k]);
		snprintf(target, sizeof(target), "../../archive/x.test/%s%d.pem", kinds[k], versions);
		assert_int_equal(symlink(target, path), 0);
	}
}

static void
test_certbot(void **state)
{
	struct adapter_args a = { 0 };
	struct renewal r;
	struct s2s_err err = { 0 };
	char lineage[300], want[400];
	char *env[] = { lineage, "RENEWED_DOMAINS=x.test conference.x.test", "HOME=/root", NULL };

	make_lineage(3);
	snprintf(lineage, sizeof(lineage), "RENEWED_LINEAGE=%s/live/x.test", dir);
	assert_int_equal(adapter_detect(&a, env, &r, &err), 0);
	assert_int_equal(r.client, CLIENT_CERTBOT);
	assert_string_equal(r.domain, "x.test");
	assert_int_equal(r.domains.n, 2);
	/* links resolved once, to the archive files of the current version */
	snprintf(want, sizeof(want), "%s/archive/x.test/fullchain3.pem", dir);
	assert_string_equal(r.cert_path, want);
	snprintf(want, sizeof(want), "%s/archive/x.test/privkey3.pem", dir);
	assert_string_equal(r.key_path, want);
	/* the version before is the baseline when nothing is configured */
	snprintf(want, sizeof(want), "%s/archive/x.test/fullchain2.pem", dir);
	assert_string_equal(r.prev_cert_path, want);
	assert_null(r.wrapped);
	renewal_clear(&r);
}

static void
test_certbot_first_version(void **state)
{
	struct adapter_args a = { 0 };
	struct renewal r;
	struct s2s_err err = { 0 };
	char lineage[300];
	char *env[] = { lineage, NULL };	/* no RENEWED_DOMAINS: the lineage name */

	make_lineage(1);
	snprintf(lineage, sizeof(lineage), "RENEWED_LINEAGE=%s/live/x.test", dir);
	assert_int_equal(adapter_detect(&a, env, &r, &err), 0);
	assert_string_equal(r.domain, "x.test");
	assert_string_equal(r.prev_cert_path, "");
	renewal_clear(&r);
}

static void
test_acmesh_wrapped_reload(void **state)
{
	char *argv[] = { "systemctl", "reload", "ejabberd", NULL };
	struct adapter_args a = { 0 };
	struct renewal r;
	struct s2s_err err = { 0 };
	char *env[] = { "CERT_PATH=/h/x.test_ecc/x.test.cer", "CERT_KEY_PATH=/h/x.test_ecc/x.test.key",
	    "CA_CERT_PATH=/h/x.test_ecc/ca.cer", "CERT_FULLCHAIN_PATH=/h/x.test_ecc/fullchain.cer",
	    "Le_Domain=x.test", "DOMAIN_PATH=/h/x.test_ecc", NULL };

	a.positional = argv;
	a.npositional = 3;
	a.after_dashdash = 1;
	assert_int_equal(adapter_detect(&a, env, &r, &err), 0);
	assert_int_equal(r.client, CLIENT_ACMESH);
	assert_string_equal(r.cert_path, "/h/x.test_ecc/fullchain.cer");
	assert_string_equal(r.chain_path, "");
	assert_string_equal(r.key_path, "/h/x.test_ecc/x.test.key");
	assert_string_equal(r.domain, "x.test");
	assert_ptr_equal(r.wrapped, argv);
	renewal_clear(&r);
}

static void
test_dehydrated(void **state)
{
	char *deploy[] = { "deploy_cert", "x.test", "/d/certs/x.test/privkey.pem",
	    "/d/certs/x.test/cert.pem", "/d/certs/x.test/fullchain.pem",
	    "/d/certs/x.test/chain.pem", "1700000000", NULL };
	char *other[] = { "deploy_challenge", "x.test", "tok", "val", NULL };
	char *broken[] = { "this_hookscript_is_broken__dehydrated_is_working_fine__please_ignore_unknown_hooks_in_your_script", NULL };
	char *env[] = { "BASEDIR=/d", NULL };
	struct adapter_args a = { 0 };
	struct renewal r;
	struct s2s_err err = { 0 };

	a.positional = deploy;
	a.npositional = 7;
	assert_int_equal(adapter_detect(&a, env, &r, &err), 0);
	assert_int_equal(r.client, CLIENT_DEHYDRATED);
	assert_int_equal(r.ignore, 0);
	assert_string_equal(r.cert_path, "/d/certs/x.test/fullchain.pem");
	assert_string_equal(r.key_path, "/d/certs/x.test/privkey.pem");
	assert_string_equal(r.domain, "x.test");
	renewal_clear(&r);
	/* every other verb, and the self-test: ignored */
	a.positional = other;
	a.npositional = 4;
	assert_int_equal(adapter_detect(&a, env, &r, &err), 0);
	assert_int_equal(r.ignore, 1);
	renewal_clear(&r);
	a.positional = broken;
	a.npositional = 1;
	assert_int_equal(adapter_detect(&a, env, &r, &err), 0);
	assert_int_equal(r.ignore, 1);
	renewal_clear(&r);
}

static void
test_lego4_and_5(void **state)
{
	struct adapter_args a = { 0 };
	struct renewal r;
	struct s2s_err err = { 0 };
	char issuer[300], issuer5[300];
	char *env4[] = { "LEGO_CERT_DOMAIN=x.test", "LEGO_CERT_PATH=/l/certificates/x.test.crt",
	    "LEGO_CERT_KEY_PATH=/l/certificates/x.test.key", "LEGO_ACCOUNT_EMAIL=a@x.test", issuer, NULL };
	char *env5[] = { "LEGO_HOOK_CERT_DOMAINS=x.test,conference.x.test",
	    "LEGO_HOOK_CERT_PATH=/l/x.test.crt", "LEGO_HOOK_CERT_KEY_PATH=/l/x.test.key",
	    issuer5, NULL };

	snprintf(issuer, sizeof(issuer), "LEGO_ISSUER_CERT_PATH=%s/x.test.issuer.crt", dir);
	snprintf(issuer5, sizeof(issuer5), "LEGO_HOOK_ISSUER_CERT_PATH=%s/missing.crt", dir);
	assert_int_equal(adapter_detect(&a, env4, &r, &err), 0);
	assert_int_equal(r.client, CLIENT_LEGO4);
	assert_string_equal(r.cert_path, "/l/certificates/x.test.crt");
	/* an issuer file that does not exist (lego 4.9) is not used */
	assert_string_equal(r.chain_path, "");
	renewal_clear(&r);
	snprintf(issuer, sizeof(issuer), "%s/x.test.issuer.crt", dir);
	touch(issuer);
	snprintf(issuer, sizeof(issuer), "LEGO_ISSUER_CERT_PATH=%s/x.test.issuer.crt", dir);
	assert_int_equal(adapter_detect(&a, env4, &r, &err), 0);
	assert_non_null(strstr(r.chain_path, "x.test.issuer.crt"));
	renewal_clear(&r);

	assert_int_equal(adapter_detect(&a, env5, &r, &err), 0);
	assert_int_equal(r.client, CLIENT_LEGO5);
	assert_string_equal(r.domain, "x.test");
	assert_int_equal(r.domains.n, 2);
	assert_string_equal(r.key_path, "/l/x.test.key");
	renewal_clear(&r);
}

static void
test_files_and_errors(void **state)
{
	struct adapter_args a = { 0 };
	struct renewal r;
	struct s2s_err err = { 0 };
	char *env[] = { "PATH=/bin", NULL };
	char *evil[] = { "Le_Domain=../../etc", "CERT_PATH=/a", "CERT_KEY_PATH=/b", NULL };

	a.cert = "/c.pem";
	a.key = "/k.pem";
	a.domain = "x.test";
	assert_int_equal(adapter_detect(&a, env, &r, &err), 0);
	assert_int_equal(r.client, CLIENT_FILES);
	renewal_clear(&r);
	a.domain = NULL;
	assert_int_equal(adapter_detect(&a, env, &r, &err), S2S_EINVAL);
	assert_non_null(strstr(err.msg, "--domain"));
	/* nothing recognisable */
	memset(&a, 0, sizeof(a));
	assert_int_equal(adapter_detect(&a, env, &r, &err), S2S_EINVAL);
	assert_non_null(strstr(err.msg, "cannot tell which ACME client"));
	/* a domain that would escape the state directory */
	assert_int_equal(adapter_detect(&a, evil, &r, &err), S2S_EINVAL);
	/* --from forces a client: certbot without its variables is an error */
	a.from = "certbot";
	assert_int_equal(adapter_detect(&a, env, &r, &err), S2S_EINVAL);
	assert_non_null(strstr(err.msg, "RENEWED_LINEAGE"));
	a.from = "nonsense";
	assert_int_equal(adapter_detect(&a, env, &r, &err), S2S_EINVAL);
}

/*
 * dehydrated, acme.sh and lego see success for deployed, warned, held and
 * not configured (a hold is s2sguard working, not a failed renewal);
 * errors and rollbacks stay non-zero; certbot and files keep the detailed
 * codes; exit_codes = detailed keeps them for everyone.
 */
static void
test_exit_status_per_client(void **state)
{
	static const enum acme_client folded[] = { CLIENT_ACMESH, CLIENT_DEHYDRATED,
	    CLIENT_LEGO4, CLIENT_LEGO5 };
	static const enum acme_client kept[] = { CLIENT_CERTBOT, CLIENT_FILES, CLIENT_UNKNOWN };
	static const int codes[] = { GUARD_DEPLOYED, GUARD_WARNED, GUARD_HELD, GUARD_ERROR,
	    GUARD_NOTHING, GUARD_ROLLED_BACK, GUARD_QUEUED };
	size_t i, j;

	for (i = 0; i < sizeof(folded) / sizeof(folded[0]); i++)
		for (j = 0; j < sizeof(codes) / sizeof(codes[0]); j++) {
			int want = codes[j] == GUARD_ERROR || codes[j] == GUARD_ROLLED_BACK ? codes[j] : 0;

			assert_int_equal(adapter_exit_status(folded[i], EXIT_CODES_CLIENT, codes[j]), want);
			assert_int_equal(adapter_exit_status(folded[i], EXIT_CODES_DETAILED, codes[j]),
			    codes[j]);
		}
	for (i = 0; i < sizeof(kept) / sizeof(kept[0]); i++)
		for (j = 0; j < sizeof(codes) / sizeof(codes[0]); j++)
			assert_int_equal(adapter_exit_status(kept[i], EXIT_CODES_CLIENT, codes[j]), codes[j]);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_certbot, setup, teardown),
		cmocka_unit_test_setup_teardown(test_certbot_first_version, setup, teardown),
		cmocka_unit_test_setup_teardown(test_acmesh_wrapped_reload, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dehydrated, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lego4_and_5, setup, teardown),
		cmocka_unit_test_setup_teardown(test_files_and_errors, setup, teardown),
		cmocka_unit_test(test_exit_status_per_client),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
