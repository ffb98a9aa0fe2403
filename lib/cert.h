/*
 * cert.h: load certificate chains and keys, and inspect them the way a
 * strict XMPP peer would. No network, writes nothing.
 *
 * Ownership: *_new / *_load return objects the caller frees with the
 * matching *_free; *_get lends a pointer owned by its container.
 */
#ifndef S2S_CERT_H
#define S2S_CERT_H

#include <stddef.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "err.h"

/* Ceilings on input files. */
#define CERT_MAX_FILE_BYTES	(1024 * 1024)	/* a PEM/DER file */
#define CERT_MAX_CHAIN		16		/* certificates in one chain */

/* A leaf followed by the certificates that came with it, in file order. */
struct cert_chain;

/*
 * Load every certificate of a PEM file (or one DER certificate). The first
 * is the leaf. Trailing non-PEM text after the last certificate, a
 * truncated block, an empty file, more than CERT_MAX_CHAIN certificates or
 * a file over CERT_MAX_FILE_BYTES are errors naming the file.
 */
int	cert_chain_load(const char *path, struct cert_chain **out, struct s2s_err *err);
/* Parse the same from memory; `what` names the input in messages. */
int	cert_chain_parse(const unsigned char *data, size_t len, const char *what,
	    struct cert_chain **out, struct s2s_err *err);
/* Append the certificates of another file (e.g. --chain) after the leaf's. */
int	cert_chain_append_file(struct cert_chain *chain, const char *path, struct s2s_err *err);
void	cert_chain_free(struct cert_chain *chain);

size_t	 cert_chain_count(const struct cert_chain *chain);
X509	*cert_chain_get(const struct cert_chain *chain, size_t i);	/* lent; 0 = leaf */
/* The certificates after the leaf, as an OpenSSL stack (lent). */
STACK_OF(X509) *cert_chain_extra_get(const struct cert_chain *chain);

/*
 * Load a private key (PEM, PKCS#8 or traditional; or DER). An encrypted key
 * is refused with a clear message (s2sguard never asks for a passphrase).
 * The key's bytes never appear in err.
 */
int	cert_key_load(const char *path, EVP_PKEY **out, struct s2s_err *err);
int	cert_key_parse(const unsigned char *data, size_t len, const char *what,
	    EVP_PKEY **out, struct s2s_err *err);

/* Read a whole file with a ceiling; *out is NUL-terminated, free with mem_free. */
int	cert_read_file(const char *path, size_t max, unsigned char **out, size_t *len,
	    struct s2s_err *err);

/* Lowercase hex SHA-256 of the DER SubjectPublicKeyInfo (DANE 3 1 1). */
int	cert_spki_sha256_hex(X509 *x, char out[65]);

/* Lowercase hex SHA-256 of the whole certificate (DER): its fingerprint. */
int	cert_sha256_hex(X509 *x, char out[65]);

/* EKU bits (OpenSSL's X509_get_extended_key_usage) and presence. */
#define CERT_EKU_NONE		0u	/* no EKU extension: any purpose */
int	cert_has_eku(X509 *x);

#endif
