/*
 * test_tlsa.c: TLSA records matched against chains from the test PKI
 * (tests/pki/mkpki.sh, generated per run). The expected association data is
 * computed by the openssl command line, independently of lib/tlsa.c, for
 * every usage, selector and matching type.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <openssl/pem.h>
#include <openssl/x509.h>

#include "mem.h"
#include "tlsa.h"

static char pki[64];

/* openssl CLI: NAME.sS.mM.hex = hex association data of NAME.pem. */
static const char hexgen[] =
    "cd \"$1\" && for n in leaf-both inter-both inter-server root leaf-server; do "
    "openssl x509 -in $n.pem -outform DER > $n.s0.der && "
    "openssl x509 -in $n.pem -noout -pubkey | openssl pkey -pubin -outform DER > $n.s1.der && "
    "for s in 0 1; do "
    "od -An -v -tx1 $n.s$s.der | tr -d ' \\n' > $n.s$s.m0.hex; "
    "openssl dgst -sha256 -binary $n.s$s.der | od -An -v -tx1 | tr -d ' \\n' > $n.s$s.m1.hex; "
    "openssl dgst -sha512 -binary $n.s$s.der | od -An -v -tx1 | tr -d ' \\n' > $n.s$s.m2.hex; "
    "done; done";

static int
run(const char *fmt, ...)
{
	char cmd[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	return system(cmd);
}

static int
write_file(const char *name, const char *text)
{
	char path[256];
	FILE *f;
	int rc;

	snprintf(path, sizeof(path), "%s/%s", pki, name);
	if ((f = fopen(path, "w")) == NULL)
		return -1;
	rc = fputs(text, f) < 0 ? -1 : 0;
	return fclose(f) != 0 ? -1 : rc;
}

/*
 * A private copy of the run's PKI ($S2S_PKI, or a fresh one), plus two
 * renewals of leaf-both and the CLI's association data.
 */
static int
setup_pki(void **state)
{
	const char *top = getenv("TOP") ? getenv("TOP") : ".";
	const char *shared = getenv("S2S_PKI");

	snprintf(pki, sizeof(pki), "/tmp/s2s-tlsa.XXXXXX");
	if (mkdtemp(pki) == NULL)
		return -1;
	if (shared != NULL && shared[0] != '\0') {
		if (run("cp -p '%s'/* %s/", shared, pki) != 0)
			return -1;
	} else if (run("sh %s/tests/pki/mkpki.sh %s", top, pki) != 0) {
		return -1;
	}
	/* the same key in a new certificate: a --reuse-key renewal */
	if (run("sh %s/tests/pki/mkpki.sh leaf %s leaf-reuse --domain xmpp.example.test"
		" --key %s/leaf-both.key", top, pki, pki) != 0 ||
	    /* the same key under another intermediate: a CA chain change */
	    run("sh %s/tests/pki/mkpki.sh resign %s %s/leaf-both.pem %s/leaf-both.key"
		" leaf-newca --issuer inter-server", top, pki, pki, pki) != 0 ||
	    write_file("hexgen.sh", hexgen) < 0 || run("sh %s/hexgen.sh %s", pki, pki) != 0)
		return -1;
	return 0;
}

static int
teardown_pki(void **state)
{
	run("rm -rf %s", pki);
	return 0;
}

static X509 *
load(const char *name)
{
	char path[256];
	X509 *x;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s.pem", pki, name);
	assert_non_null(f = fopen(path, "r"));
	x = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	assert_non_null(x);
	return x;
}

/* A chain: leaf then the named certificates, as sent in TLS. */
struct chain {
	X509		*leaf;
	STACK_OF(X509)	*extra;
};

static struct chain
chain_of(const char *leaf, ...)
{
	struct chain c = { load(leaf), sk_X509_new_null() };
	const char *n;
	va_list ap;

	va_start(ap, leaf);
	while ((n = va_arg(ap, const char *)) != NULL)
		sk_X509_push(c.extra, load(n));
	va_end(ap);
	return c;
}

static void
chain_free(struct chain *c)
{
	X509_free(c->leaf);
	sk_X509_pop_free(c->extra, X509_free);
}

/* The record "U S M <hex the openssl CLI computed for NAME>". */
static void
record_of(const char *name, unsigned u, unsigned s, unsigned m, struct tlsa_record *rec)
{
	char path[256], *text;
	struct s2s_err err;
	long size;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s.s%u.m%u.hex", pki, name, s, m);
	assert_non_null(f = fopen(path, "r"));
	fseek(f, 0, SEEK_END);
	size = ftell(f);
	rewind(f);
	text = malloc((size_t)size + 32);
	assert_non_null(text);
	snprintf(text, 32, "%u %u %u ", u, s, m);
	assert_int_equal(fread(text + strlen(text), 1, (size_t)size, f), (size_t)size);
	text[strlen("0 0 0 ") + (size_t)size] = '\0';
	fclose(f);
	assert_int_equal(tlsa_record_from_text(text, rec, &err), 0);
	free(text);
}

static void
expect_match(struct chain *c, const char *name, unsigned u, unsigned s, unsigned m,
    int matched, int depth)
{
	struct tlsa_record rec;
	struct tlsa_match res;
	struct s2s_err err;

	record_of(name, u, s, m, &rec);
	assert_int_equal(tlsa_match_chain(&rec, c->leaf, c->extra, &res, &err), 0);
	if (res.matched != matched || res.depth != depth)
		fail_msg("%u %u %u of %s: matched %d depth %d, want %d %d",
		    u, s, m, name, res.matched, res.depth, matched, depth);
	assert_int_equal(res.pkix_bound, u < 2);
	assert_false(res.unusable);
	tlsa_record_clear(&rec);
}

/* Every usage x selector x matching type against leaf-both + inter-both. */
static void
test_every_combination(void **state)
{
	struct chain c = chain_of("leaf-both", "inter-both", NULL);
	unsigned u, s, m;

	for (u = 0; u < 4; u++)
		for (s = 0; s < 2; s++)
			for (m = 0; m < 3; m++) {
				int ee = u == TLSA_USAGE_DANE_EE || u == TLSA_USAGE_PKIX_EE;

				/* the right certificate for the usage matches */
				expect_match(&c, ee ? "leaf-both" : "inter-both", u, s, m, 1, ee ? 0 : 1);
				/* an EE record of the issuer, a TA record of the leaf: no */
				expect_match(&c, ee ? "inter-both" : "leaf-both", u, s, m, 0, -1);
				/* another leaf and another CA: no */
				expect_match(&c, ee ? "leaf-server" : "inter-server", u, s, m, 0, -1);
			}
	chain_free(&c);
}

/* lib/tlsa.c computes the same data as the openssl CLI for every combination. */
static void
test_make_equals_cli(void **state)
{
	const char *names[] = { "leaf-both", "inter-both" };
	struct tlsa_record mine, cli;
	struct s2s_err err;
	unsigned s, m, i;
	X509 *x;

	for (i = 0; i < 2; i++) {
		x = load(names[i]);
		for (s = 0; s < 2; s++)
			for (m = 0; m < 3; m++) {
				assert_int_equal(tlsa_record_make(x, 3, s, m, &mine, &err), 0);
				record_of(names[i], 3, s, m, &cli);
				assert_true(tlsa_record_equal(&mine, &cli));
				tlsa_record_clear(&mine);
				tlsa_record_clear(&cli);
			}
		X509_free(x);
	}
}

/* Key reuse keeps 3 1 x valid; 3 0 x pins the certificate and breaks. */
static void
test_key_reuse(void **state)
{
	struct chain c = chain_of("leaf-reuse", "inter-both", NULL);
	unsigned m;

	for (m = 0; m < 3; m++) {
		expect_match(&c, "leaf-both", 3, 1, m, 1, 0);
		expect_match(&c, "leaf-both", 3, 0, m, 0, -1);
		expect_match(&c, "inter-both", 2, 1, m, 1, 1);
	}
	chain_free(&c);
}

/* A new issuing CA breaks 2 x x of the old one even with the same key. */
static void
test_chain_change(void **state)
{
	struct chain c = chain_of("leaf-newca", "inter-server", NULL);

	expect_match(&c, "inter-both", 2, 1, 1, 0, -1);
	expect_match(&c, "inter-server", 2, 1, 1, 1, 1);
	expect_match(&c, "leaf-both", 3, 1, 1, 1, 0);
	chain_free(&c);
}

/* The root, when sent, matches at depth 2; a TA that did not sign is ignored. */
static void
test_ta_must_be_an_issuer(void **state)
{
	struct chain full = chain_of("leaf-both", "inter-both", "root", NULL);
	struct chain stray = chain_of("leaf-both", "inter-server", "inter-both", NULL);
	struct chain bare = chain_of("leaf-both", NULL);
	struct chain reversed = chain_of("leaf-both", "root", "inter-both", NULL);

	expect_match(&full, "root", 2, 1, 1, 1, 2);
	expect_match(&full, "root", 2, 0, 2, 1, 2);
	expect_match(&reversed, "root", 2, 1, 1, 1, 2);
	/* inter-server is in the chain but did not issue leaf-both */
	expect_match(&stray, "inter-server", 2, 1, 1, 0, -1);
	expect_match(&stray, "inter-both", 2, 1, 1, 1, 1);
	/* nothing but the leaf: no TA to match, EE still does */
	expect_match(&bare, "inter-both", 2, 1, 1, 0, -1);
	expect_match(&bare, "leaf-both", 3, 1, 1, 1, 0);
	chain_free(&full);
	chain_free(&stray);
	chain_free(&bare);
	chain_free(&reversed);
}

static void
test_unusable(void **state)
{
	static const unsigned bad[][3] = { { 4, 1, 1 }, { 3, 2, 1 }, { 3, 1, 3 }, { 255, 255, 255 } };
	struct chain c = chain_of("leaf-both", "inter-both", NULL);
	struct tlsa_record rec;
	struct tlsa_match res;
	struct s2s_err err;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		record_of("leaf-both", 3, 1, 1, &rec);
		rec.usage = (uint8_t)bad[i][0];
		rec.selector = (uint8_t)bad[i][1];
		rec.mtype = (uint8_t)bad[i][2];
		assert_int_equal(tlsa_match_chain(&rec, c.leaf, c.extra, &res, &err), 0);
		assert_true(res.unusable);
		assert_false(res.matched);
		tlsa_record_clear(&rec);
	}
	assert_int_not_equal(tlsa_record_make(c.leaf, 3, 2, 1, &rec, &err), 0);
	assert_non_null(strstr(err.msg, "3 2 1"));
	chain_free(&c);
}

static void
test_records_for_chain(void **state)
{
	struct chain c = chain_of("leaf-both", "inter-both", NULL);
	struct chain bare = chain_of("leaf-both", NULL);
	struct tlsa_record out[2], want;
	struct s2s_err err;
	char *text;
	size_t n;

	assert_int_equal(tlsa_records_for_chain(c.leaf, c.extra, out, &n, &err), 0);
	assert_int_equal(n, 2);
	record_of("leaf-both", 3, 1, 1, &want);
	assert_true(tlsa_record_equal(&out[0], &want));
	tlsa_record_clear(&want);
	record_of("inter-both", 2, 1, 1, &want);
	assert_true(tlsa_record_equal(&out[1], &want));
	tlsa_record_clear(&want);
	assert_non_null(text = tlsa_record_text_new(&out[0]));
	assert_int_equal(strncmp(text, "3 1 1 ", 6), 0);
	assert_int_equal(strlen(text), 6 + 64);
	mem_free(text);
	assert_non_null(text = tlsa_record_text_new(&out[1]));
	assert_int_equal(strncmp(text, "2 1 1 ", 6), 0);
	mem_free(text);
	tlsa_record_clear(&out[0]);
	tlsa_record_clear(&out[1]);

	assert_int_equal(tlsa_records_for_chain(bare.leaf, bare.extra, out, &n, &err), 0);
	assert_int_equal(n, 1);
	tlsa_record_clear(&out[0]);
	chain_free(&c);
	chain_free(&bare);
}

static void
test_text(void **state)
{
	static const char *bad[] = {
		"", "3 1", "3 1 1", "3 1 1 abc", "3 1 1 zz", "256 1 1 00", "-1 1 1 00",
		"3 1 1 0011",	/* 2 bytes for SHA-256 */
		"3 1 2 " "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff",
		"3x 1 1 00", "TLSA", "IN TLSA 3 1 1 00",
	};
	const char *good = "  TLSA 3 1 1 00112233 44556677 8899AABB CCDDEEFF"
	    "00112233445566778899aabbccddeeff\n";
	struct tlsa_record rec, again;
	struct s2s_err err;
	char *text;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (tlsa_record_from_text(bad[i], &rec, &err) == 0)
			fail_msg("accepted \"%s\"", bad[i]);
		assert_int_equal(err.code, S2S_EPARSE);
		assert_null(rec.data);
	}
	assert_int_equal(tlsa_record_from_text(good, &rec, &err), 0);
	assert_int_equal(rec.usage, 3);
	assert_int_equal(rec.len, 32);
	assert_int_equal(rec.data[5], 0x55);
	assert_non_null(text = tlsa_record_text_new(&rec));
	assert_string_equal(text, "3 1 1 00112233445566778899aabbccddeeff"
	    "00112233445566778899aabbccddeeff");
	assert_int_equal(tlsa_record_from_text(text, &again, &err), 0);
	assert_true(tlsa_record_equal(&rec, &again));
	assert_string_equal(tlsa_usage_name(rec.usage), "DANE-EE");
	assert_string_equal(tlsa_usage_name(7), "unknown");
	/* matching type 0 takes data of any length */
	tlsa_record_clear(&again);
	assert_int_equal(tlsa_record_from_text("2 0 0 ab", &again, &err), 0);
	assert_int_equal(again.len, 1);
	mem_free(text);
	tlsa_record_clear(&rec);
	tlsa_record_clear(&again);
}

static void
test_rdata(void **state)
{
	unsigned char rdata[3 + 32] = { 3, 1, 1 }, *big;
	struct tlsa_record rec;
	struct s2s_err err;

	assert_int_equal(tlsa_record_from_rdata(rdata, 3, &rec, &err), S2S_EPARSE);
	assert_int_equal(tlsa_record_from_rdata(rdata, sizeof(rdata), &rec, &err), 0);
	assert_int_equal(rec.selector, 1);
	assert_int_equal(rec.len, 32);
	tlsa_record_clear(&rec);
	big = calloc(1, 3 + TLSA_MAX_DATA + 1);
	assert_non_null(big);
	assert_int_equal(tlsa_record_from_rdata(big, 3 + TLSA_MAX_DATA + 1, &rec, &err),
	    S2S_ETOOBIG);
	assert_int_equal(tlsa_record_from_rdata(big, 3 + TLSA_MAX_DATA, &rec, &err), 0);
	tlsa_record_clear(&rec);
	free(big);
}

/* Every allocation failure is reported, leaks nothing (ASan) and never matches. */
static void
test_out_of_memory(void **state)
{
	struct chain c = chain_of("leaf-both", "inter-both", NULL);
	struct tlsa_record out[2], rec;
	struct tlsa_match res;
	struct s2s_err err;
	long i;
	size_t n;
	int rc;

	record_of("inter-both", 2, 1, 1, &rec);
	for (i = 0;; i++) {
		mem_fail_after(i);
		rc = tlsa_records_for_chain(c.leaf, c.extra, out, &n, &err);
		mem_fail_after(-1);
		if (rc == 0) {
			tlsa_record_clear(&out[0]);
			tlsa_record_clear(&out[1]);
			break;
		}
		assert_int_equal(rc, S2S_ENOMEM);
		assert_int_equal(n, 0);
	}
	assert_true(i > 0);
	for (i = 0;; i++) {
		mem_fail_after(i);
		rc = tlsa_match_chain(&rec, c.leaf, c.extra, &res, &err);
		mem_fail_after(-1);
		if (rc == 0)
			break;
		assert_int_equal(rc, S2S_ENOMEM);
		assert_false(res.matched);
	}
	assert_true(res.matched);
	tlsa_record_clear(&rec);
	chain_free(&c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_combination),
		cmocka_unit_test(test_make_equals_cli),
		cmocka_unit_test(test_key_reuse),
		cmocka_unit_test(test_chain_change),
		cmocka_unit_test(test_ta_must_be_an_issuer),
		cmocka_unit_test(test_unusable),
		cmocka_unit_test(test_records_for_chain),
		cmocka_unit_test(test_text),
		cmocka_unit_test(test_rdata),
		cmocka_unit_test(test_out_of_memory),
	};

	return cmocka_run_group_tests(tests, setup_pki, teardown_pki);
}
