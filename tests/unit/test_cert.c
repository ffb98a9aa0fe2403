/* Loading certificates and keys: every bad input is a clear error. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "cert.h"
#include "mem.h"
#include "unit.h"

static void
load_fails(const char *file, int code, const char *needle)
{
	struct s2s_err err = { 0 };
	struct cert_chain *c = (struct cert_chain *)1;
	const char *path = file[0] == '/' ? file : unit_pki(file);

	assert_int_equal(cert_chain_load(path, &c, &err), code);
	assert_null(c);
	assert_non_null(strstr(err.msg, needle));
	assert_non_null(strstr(err.msg, path));	/* the message names the file */
}

static void
test_fullchain_in_order(void **state)
{
	struct s2s_err err = { 0 };
	struct cert_chain *c;
	char hex[65];

	assert_int_equal(cert_chain_load(unit_pki("leaf-both.fullchain.pem"), &c, &err), 0);
	assert_int_equal(cert_chain_count(c), 2);
	assert_int_equal(sk_X509_num(cert_chain_extra_get(c)), 1);
	assert_int_equal(cert_spki_sha256_hex(cert_chain_get(c, 0), hex), 0);
	assert_int_equal(strlen(hex), 64);
	assert_null(cert_chain_get(c, 2));
	cert_chain_free(c);
}

static void
test_der_and_append(void **state)
{
	struct s2s_err err = { 0 };
	struct cert_chain *c;

	assert_int_equal(cert_chain_load(unit_pki("leaf-both.der"), &c, &err), 0);
	assert_int_equal(cert_chain_count(c), 1);
	assert_int_equal(cert_chain_append_file(c, unit_pki("leaf-both.chain.pem"), &err), 0);
	assert_int_equal(cert_chain_count(c), 2);
	cert_chain_free(c);
}

static void
test_combined_file_skips_key(void **state)
{
	struct s2s_err err = { 0 };
	struct cert_chain *c;
	EVP_PKEY *k;

	assert_int_equal(cert_chain_load(unit_pki("ej.peer.test.combined.pem"), &c, &err), 0);
	assert_int_equal(cert_chain_count(c), 2);
	assert_int_equal(cert_key_load(unit_pki("ej.peer.test.combined.pem"), &k, &err), 0);
	assert_int_equal(X509_check_private_key(cert_chain_get(c, 0), k), 1);
	EVP_PKEY_free(k);
	cert_chain_free(c);
}

static void
test_bad_inputs(void **state)
{
	load_fails("empty.pem", S2S_EPARSE, "empty file");
	load_fails("garbage.bin", S2S_EPARSE, "neither PEM nor a DER");
	load_fails("text.pem", S2S_EPARSE, "neither PEM nor a DER");
	load_fails("leaf-both.junk.pem", S2S_EPARSE, "junk after the last PEM block");
	load_fails("leaf-both.truncated.pem", S2S_EPARSE, "truncated PEM");
	load_fails("leaf-both.key", S2S_EPARSE, "no certificate in PEM file");
	load_fails("does-not-exist.pem", S2S_ENOTFOUND, "No such file");
	load_fails("/", S2S_EINVAL, "a directory, not a regular file");
}

static void
test_oversize_file(void **state)
{
	char path[] = "/tmp/s2s-unit-big.XXXXXX";
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (off_t)CERT_MAX_FILE_BYTES + 1), 0);
	close(fd);
	load_fails(path, S2S_ETOOBIG, "more than the 1048576 allowed");
	unlink(path);
}

static void
test_too_many_certs(void **state)
{
	struct s2s_err err = { 0 };
	struct cert_chain *c;
	unsigned char *one;
	size_t len, i;
	char *many;

	assert_int_equal(cert_read_file(unit_pki("leaf-both.pem"), CERT_MAX_FILE_BYTES, &one, &len, &err), 0);
	many = mem_alloc(len * (CERT_MAX_CHAIN + 1) + 1);
	for (i = 0; i <= CERT_MAX_CHAIN; i++)
		memcpy(many + i * len, one, len);
	assert_int_equal(cert_chain_parse((unsigned char *)many, len * (CERT_MAX_CHAIN + 1),
	    "many.pem", &c, &err), S2S_ETOOBIG);
	assert_non_null(strstr(err.msg, "many.pem: more than 16 certificates"));
	mem_free(many);
	mem_free(one);
}

static void
test_keys(void **state)
{
	struct s2s_err err = { 0 };
	EVP_PKEY *k;
	static const char *const ok[] = { "leaf-both.key", "leaf-rsa.key", "leaf-ed25519.key",
	    "leaf-p384.key" };
	size_t i;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		assert_int_equal(cert_key_load(unit_pki(ok[i]), &k, &err), 0);
		EVP_PKEY_free(k);
	}
	assert_int_equal(cert_key_load(unit_pki("leaf-both.enc.key"), &k, &err), S2S_EPARSE);
	assert_non_null(strstr(err.msg, "encrypted"));
	assert_int_equal(cert_key_load(unit_pki("leaf-both.pem"), &k, &err), S2S_EPARSE);
	assert_non_null(strstr(err.msg, "no readable private key"));
	assert_int_equal(cert_key_load(unit_pki("empty.pem"), &k, &err), S2S_EPARSE);
	assert_int_equal(cert_key_load(unit_pki("garbage.bin"), &k, &err), S2S_EPARSE);
}

/* Every allocation failure while loading is a clean error, never a crash or leak. */
static void
test_out_of_memory(void **state)
{
	struct s2s_err err = { 0 };
	struct cert_chain *c;
	long n;
	int rc;

	for (n = 0; n < 64; n++) {
		mem_fail_after(n);
		rc = cert_chain_load(unit_pki("leaf-both.fullchain.pem"), &c, &err);
		mem_fail_after(-1);
		if (rc == 0) {
			cert_chain_free(c);
			return;
		}
		assert_int_equal(rc, S2S_ENOMEM);
		assert_null(c);
	}
	fail_msg("loading never succeeded within 64 allocations");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fullchain_in_order),
		cmocka_unit_test(test_der_and_append),
		cmocka_unit_test(test_combined_file_skips_key),
		cmocka_unit_test(test_bad_inputs),
		cmocka_unit_test(test_oversize_file),
		cmocka_unit_test(test_too_many_certs),
		cmocka_unit_test(test_keys),
		cmocka_unit_test(test_out_of_memory),
	};

	return cmocka_run_group_tests_name("cert", tests, NULL, NULL);
}
