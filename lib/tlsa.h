/*
 * tlsa.h: DANE TLSA records (RFC 6698, RFC 7671) matched against a
 * certificate chain, the way a DANE-validating peer matches what it is
 * presented. Pure: no network, no files, writes nothing.
 *
 * Usages: 3 DANE-EE is matched against the leaf; 2 DANE-TA against the CA
 * certificates of the chain that actually issued the leaf (each one checked
 * by name and signature, as a peer building the chain would). Usages 1
 * PKIX-EE and 0 PKIX-TA are matched the same way and flagged pkix_bound:
 * such a peer also requires ordinary PKIX validation, which is not judged
 * here. Selectors 0 (whole certificate) and 1 (SubjectPublicKeyInfo);
 * matching types 0 (exact), 1 (SHA-256), 2 (SHA-512). A record with any
 * other value is "unusable" and, as RFC 6698 §4.1 says, never matches.
 *
 * Ownership: tlsa_record_from_* and tlsa_record_make fill a caller-owned
 * struct whose data tlsa_record_clear frees; tlsa_record_text_new returns a
 * string the caller frees with mem_free.
 */
#ifndef S2S_TLSA_H
#define S2S_TLSA_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/x509.h>

#include "err.h"

#define TLSA_MAX_DATA		16384	/* bytes of association data (a whole certificate) */

enum tlsa_usage {
	TLSA_USAGE_PKIX_TA = 0,
	TLSA_USAGE_PKIX_EE = 1,
	TLSA_USAGE_DANE_TA = 2,
	TLSA_USAGE_DANE_EE = 3,
};

enum tlsa_selector {
	TLSA_SEL_CERT = 0,
	TLSA_SEL_SPKI = 1,
};

enum tlsa_mtype {
	TLSA_MATCH_FULL = 0,
	TLSA_MATCH_SHA256 = 1,
	TLSA_MATCH_SHA512 = 2,
};

struct tlsa_record {
	uint8_t		 usage;
	uint8_t		 selector;
	uint8_t		 mtype;
	size_t		 len;
	unsigned char	*data;		/* owned: tlsa_record_clear */
};

struct tlsa_match {
	int	matched;	/* 1: the record matches a certificate of the chain */
	int	depth;		/* that certificate's place (0 = leaf, 1 = its issuer ...); -1 */
	int	pkix_bound;	/* usage 0/1: the peer also requires PKIX validation */
	int	unusable;	/* unknown usage, selector or matching type: ignored */
};

/* A record from its DNS rdata (wire format: usage, selector, mtype, data). */
int	tlsa_record_from_rdata(const unsigned char *rdata, size_t len,
	    struct tlsa_record *out, struct s2s_err *err);
/*
 * A record from presentation text, "3 1 1 0a1b..." (hex may contain spaces
 * and is case-insensitive; an optional "TLSA" word before the numbers is
 * accepted). The message names the text.
 */
int	tlsa_record_from_text(const char *text, struct tlsa_record *out,
	    struct s2s_err *err);
/* "3 1 1 0a1b..." in lowercase hex; NULL when out of memory. */
char	*tlsa_record_text_new(const struct tlsa_record *rec);
void	 tlsa_record_clear(struct tlsa_record *rec);
/* 1 if both records have the same four fields. */
int	 tlsa_record_equal(const struct tlsa_record *a, const struct tlsa_record *b);

/* "PKIX-TA" "PKIX-EE" "DANE-TA" "DANE-EE", or "unknown". */
const char *tlsa_usage_name(unsigned usage);

/*
 * The record of one certificate with the given usage, selector and
 * matching type (e.g. 3 1 1 of the leaf).
 */
int	tlsa_record_make(X509 *cert, unsigned usage, unsigned selector, unsigned mtype,
	    struct tlsa_record *out, struct s2s_err *err);

/*
 * Match one record against a chain as presented in TLS: the leaf and the
 * certificates sent after it (extra, may be NULL or empty). *out is always
 * filled; an error is returned only for a failure of OpenSSL itself
 * (encoding, digest, memory).
 */
int	tlsa_match_chain(const struct tlsa_record *rec, X509 *leaf, STACK_OF(X509) *extra,
	    struct tlsa_match *out, struct s2s_err *err);

/*
 * The records to publish for a chain: [0] "3 1 1" of the leaf and, when the
 * chain holds the leaf's issuer, [1] "2 1 1" of that issuer. *n is 1 or 2.
 * Clear each with tlsa_record_clear.
 */
int	tlsa_records_for_chain(X509 *leaf, STACK_OF(X509) *extra,
	    struct tlsa_record out[2], size_t *n, struct s2s_err *err);

#endif
