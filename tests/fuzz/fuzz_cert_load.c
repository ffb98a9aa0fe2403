/*
 * libFuzzer target: arbitrary bytes as a certificate file and as a key file,
 * then a full inspection of whatever chain parsed. Nothing may crash, leak
 * or read out of bounds.
 */
#include <stddef.h>
#include <stdint.h>

#include "cert.h"
#include "inspect.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static X509_STORE *store;
	struct inspect_opts opts = { 0 };
	struct s2s_err err;
	struct cert_chain *chain = NULL;
	struct inspection *ins = NULL;
	static const char *const domains[] = { "xmpp.example.test" };
	EVP_PKEY *key = NULL;

	if (store == NULL && (store = X509_STORE_new()) == NULL)
		return 0;
	cert_key_parse(data, size, "fuzz.key", &key, &err);
	if (cert_chain_parse(data, size, "fuzz.pem", &chain, &err) == 0) {
		opts.domains = domains;
		opts.ndomains = 1;
		opts.now = 1798761600;	/* fixed: runs stay reproducible */
		if (inspect_chain(chain, key, chain, store, &opts, &ins, &err) == 0) {
			json_decref(inspect_to_json(ins));
			inspection_free(ins);
		}
		cert_chain_free(chain);
	}
	EVP_PKEY_free(key);
	return 0;
}
