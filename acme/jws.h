/*
 * jws.h: JSON Web Signatures for ACME (RFC 7515, RFC 8555 §6.2):
 * base64url, public JWKs and their RFC 7638 thumbprints, RS256 for RSA
 * account keys, ES256/ES384/ES512 for EC (raw r||s, not DER), and the
 * HS256 External Account Binding.
 */
#ifndef S2S_ACME_JWS_H
#define S2S_ACME_JWS_H

#include <stddef.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "err.h"

/* Unpadded base64url; returns a new string (mem_free) or NULL. */
char	*b64url_encode(const unsigned char *data, size_t len);
/* Decode unpadded (or padded) base64url; *out is mem_free'd. 0 or S2S_EPARSE. */
int	 b64url_decode(const char *s, unsigned char **out, size_t *len);

/* "RS256", "ES256", "ES384", "ES512", or NULL for an unsupported key. */
const char *jws_alg(EVP_PKEY *key);

/* The public JWK of key (new reference), members as RFC 7638 orders them. */
json_t	*jws_jwk_new(EVP_PKEY *key, struct s2s_err *err);

/* RFC 7638 thumbprint, base64url (mem_free). */
int	 jws_thumbprint(EVP_PKEY *key, char **out, struct s2s_err *err);

/* Sign in with the JWS algorithm of key; *sig in JWS form (mem_free). */
int	 jws_sign(EVP_PKEY *key, const unsigned char *in, size_t len,
	    unsigned char **sig, size_t *siglen, struct s2s_err *err);

/*
 * The flattened JWS JSON text for one ACME request. kid NULL puts the JWK
 * in the protected header (newAccount); payload NULL means POST-as-GET
 * (empty payload). *out is mem_free'd.
 */
int	 jws_new(EVP_PKEY *key, const char *kid, const char *nonce, const char *url,
	    const json_t *payload, char **out, struct s2s_err *err);

/* External Account Binding JWS object (RFC 8555 §7.3.4), new reference. */
int	 jws_eab_new(const char *eab_kid, const unsigned char *hmac_key, size_t keylen,
	    EVP_PKEY *account_key, const char *url, json_t **out, struct s2s_err *err);

#endif
