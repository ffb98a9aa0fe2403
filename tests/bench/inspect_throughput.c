/*
 * inspect_throughput FULLCHAIN CAFILE [SECONDS]: in-process inspections per
 * second: parse the chain from memory, build and judge it, free it. Then
 * OpenSSL's own floor for the same work: PEM decoding plus one
 * X509_verify_cert with the SSL client purpose, nothing of s2sguard.
 * Prints figures; asserts nothing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "cert.h"
#include "inspect.h"
#include "mem.h"

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* One round of OpenSSL alone: decode every PEM block, verify for sslclient. */
static int
openssl_floor_once(const unsigned char *data, size_t len, X509_STORE *store)
{
	STACK_OF(X509) *extra = sk_X509_new_null();
	BIO *bio = BIO_new_mem_buf(data, (int)len);
	X509 *leaf = PEM_read_bio_X509(bio, NULL, NULL, NULL), *x;
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	int ok;

	while ((x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL)
		sk_X509_push(extra, x);
	X509_STORE_CTX_init(ctx, store, leaf, extra);
	X509_STORE_CTX_set_purpose(ctx, X509_PURPOSE_SSL_CLIENT);
	ok = X509_verify_cert(ctx);
	X509_STORE_CTX_free(ctx);
	X509_free(leaf);
	sk_X509_pop_free(extra, X509_free);
	BIO_free(bio);
	ERR_clear_error();
	return ok >= 0;
}

static void
openssl_floor(const unsigned char *data, size_t len, X509_STORE *store, double limit)
{
	double start = now_s(), secs;
	long n = 0;

	do {
		if (!openssl_floor_once(data, len, store))
			return;
		n++;
	} while ((secs = now_s() - start) < limit);
	printf("openssl floor (PEM decode + X509_verify_cert): %.0f chains/s (%.1f us each)\n",
	    (double)n / secs, secs * 1e6 / (double)n);
}

int
main(int argc, char **argv)
{
	static const char *const domains[] = { "xmpp.example.test" };
	struct inspect_opts opts = { .domains = domains, .ndomains = 1 };
	struct s2s_err err;
	struct cert_chain *chain;
	struct inspection *ins;
	X509_STORE *store;
	unsigned char *data;
	double start, secs, limit = argc > 3 ? strtod(argv[3], NULL) : 3.0;
	size_t len;
	long n = 0;

	if (argc < 3) {
		fprintf(stderr, "usage: inspect_throughput FULLCHAIN CAFILE [SECONDS]\n");
		return 64;
	}
	if (cert_read_file(argv[1], CERT_MAX_FILE_BYTES, &data, &len, &err) != 0 ||
	    inspect_store_new(argv[2], &store, &err) != 0) {
		fprintf(stderr, "%s\n", err.msg);
		return 1;
	}
	start = now_s();
	do {
		if (cert_chain_parse(data, len, argv[1], &chain, &err) != 0 ||
		    inspect_chain(chain, NULL, NULL, store, &opts, &ins, &err) != 0) {
			fprintf(stderr, "%s\n", err.msg);
			return 1;
		}
		inspection_free(ins);
		cert_chain_free(chain);
		n++;
	} while ((secs = now_s() - start) < limit);
	printf("in-process: %ld inspections in %.2f s = %.0f chains/s (%.1f us each)\n",
	    n, secs, (double)n / secs, secs * 1e6 / (double)n);
	openssl_floor(data, len, store, limit);
	X509_STORE_free(store);
	mem_free(data);
	return 0;
}
