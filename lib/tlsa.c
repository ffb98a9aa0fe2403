/*
 * tlsa.c: TLSA records against certificate chains. See tlsa.h.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "mem.h"
#include "tlsa.h"

#define TLSA_MAX_PATH	17	/* the leaf and up to 16 issuers */
#define TLSA_TEXT_SHOWN	40	/* characters of a bad text quoted in messages */

const char *
tlsa_usage_name(unsigned usage)
{
	static const char *const names[] = { "PKIX-TA", "PKIX-EE", "DANE-TA", "DANE-EE" };

	return usage < 4 ? names[usage] : "unknown";
}

void
tlsa_record_clear(struct tlsa_record *rec)
{
	if (rec == NULL)
		return;
	mem_free(rec->data);
	memset(rec, 0, sizeof(*rec));
}

int
tlsa_record_equal(const struct tlsa_record *a, const struct tlsa_record *b)
{
	return a->usage == b->usage && a->selector == b->selector &&
	    a->mtype == b->mtype && a->len == b->len &&
	    (a->len == 0 || memcmp(a->data, b->data, a->len) == 0);
}

static int
tlsa_record_set(struct tlsa_record *out, unsigned usage, unsigned selector, unsigned mtype,
    const unsigned char *data, size_t len, struct s2s_err *err)
{
	memset(out, 0, sizeof(*out));
	if ((out->data = mem_alloc(len)) == NULL)
		return err_set(err, S2S_ENOMEM, "TLSA record: out of memory");
	memcpy(out->data, data, len);
	out->len = len;
	out->usage = (uint8_t)usage;
	out->selector = (uint8_t)selector;
	out->mtype = (uint8_t)mtype;
	return 0;
}

int
tlsa_record_from_rdata(const unsigned char *rdata, size_t len, struct tlsa_record *out,
    struct s2s_err *err)
{
	memset(out, 0, sizeof(*out));
	if (len < 4)
		return err_set(err, S2S_EPARSE, "TLSA rdata: %zu bytes, need at least 4", len);
	if (len - 3 > TLSA_MAX_DATA)
		return err_set(err, S2S_ETOOBIG, "TLSA rdata: %zu bytes of data, over %d",
		    len - 3, TLSA_MAX_DATA);
	return tlsa_record_set(out, rdata[0], rdata[1], rdata[2], rdata + 3, len - 3, err);
}

/* One decimal field 0-255 at *p; advances *p past it and following blanks. */
static int
tlsa_text_field(const char **p, unsigned *out)
{
	unsigned long v;
	char *end;

	if (!isdigit((unsigned char)**p))
		return -1;
	errno = 0;
	v = strtoul(*p, &end, 10);
	if (errno != 0 || v > 255 || (*end != '\0' && !isspace((unsigned char)*end)))
		return -1;
	*out = (unsigned)v;
	*p = end;
	while (isspace((unsigned char)**p))
		(*p)++;
	return 0;
}

static int
tlsa_hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Hex digits (blanks ignored) into buf; *n gets the byte count. */
static int
tlsa_text_hex(const char *p, unsigned char *buf, size_t max, size_t *n)
{
	int hi = -1, v;

	*n = 0;
	for (; *p != '\0'; p++) {
		if (isspace((unsigned char)*p))
			continue;
		if ((v = tlsa_hexval((unsigned char)*p)) < 0)
			return -1;
		if (hi < 0) {
			hi = v;
			continue;
		}
		if (*n == max)
			return -1;
		buf[(*n)++] = (unsigned char)(hi << 4 | v);
		hi = -1;
	}
	return hi < 0 && *n > 0 ? 0 : -1;
}

int
tlsa_record_from_text(const char *text, struct tlsa_record *out, struct s2s_err *err)
{
	unsigned usage, selector, mtype;
	unsigned char *buf = NULL;
	const char *p = text;
	size_t n;
	int rc;

	memset(out, 0, sizeof(*out));
	while (isspace((unsigned char)*p))
		p++;
	if (strncasecmp(p, "TLSA", 4) == 0 && isspace((unsigned char)p[4]))
		for (p += 4; isspace((unsigned char)*p); p++)
			;
	if (tlsa_text_field(&p, &usage) < 0 || tlsa_text_field(&p, &selector) < 0 ||
	    tlsa_text_field(&p, &mtype) < 0)
		return err_set(err, S2S_EPARSE,
		    "TLSA \"%.*s\": want \"USAGE SELECTOR MTYPE HEX\" with numbers 0-255",
		    TLSA_TEXT_SHOWN, text);
	if ((buf = mem_alloc(TLSA_MAX_DATA)) == NULL)
		return err_set(err, S2S_ENOMEM, "TLSA record: out of memory");
	if (tlsa_text_hex(p, buf, TLSA_MAX_DATA, &n) < 0) {
		rc = err_set(err, S2S_EPARSE, "TLSA \"%.*s\": data is not an even number of hex digits",
		    TLSA_TEXT_SHOWN, text);
		goto out;
	}
	if ((mtype == TLSA_MATCH_SHA256 && n != 32) || (mtype == TLSA_MATCH_SHA512 && n != 64)) {
		rc = err_set(err, S2S_EPARSE, "TLSA \"%.*s\": %zu bytes of data for matching type %u",
		    TLSA_TEXT_SHOWN, text, n, mtype);
		goto out;
	}
	rc = tlsa_record_set(out, usage, selector, mtype, buf, n, err);
out:
	mem_free(buf);
	return rc;
}

char *
tlsa_record_text_new(const struct tlsa_record *rec)
{
	static const char hex[] = "0123456789abcdef";
	size_t i, head, size = 16 + 2 * rec->len;
	char *s;
	int w;

	if ((s = mem_alloc(size)) == NULL)
		return NULL;
	w = snprintf(s, size, "%u %u %u ", rec->usage, rec->selector, rec->mtype);
	if (w < 0 || (size_t)w >= 16) {
		mem_free(s);
		return NULL;
	}
	head = (size_t)w;
	for (i = 0; i < rec->len; i++) {
		s[head + 2 * i] = hex[rec->data[i] >> 4];
		s[head + 2 * i + 1] = hex[rec->data[i] & 0xf];
	}
	s[head + 2 * rec->len] = '\0';
	return s;
}

/* The DER bytes a selector picks from a certificate; OPENSSL_free *der. */
static int
tlsa_selected_der(X509 *x, unsigned selector, unsigned char **der, size_t *len,
    struct s2s_err *err)
{
	int n;

	*der = NULL;
	if (selector == TLSA_SEL_CERT)
		n = i2d_X509(x, der);
	else
		n = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(x), der);
	if (n <= 0)
		return err_ssl(err, S2S_EPARSE, "TLSA: cannot encode certificate %s",
		    selector == TLSA_SEL_CERT ? "" : "public key");
	*len = (size_t)n;
	return 0;
}

/* The association data of one certificate into out (EVP_MAX_MD_SIZE or whole DER). */
static int
tlsa_cert_data(X509 *x, unsigned selector, unsigned mtype, unsigned char **out,
    size_t *len, struct s2s_err *err)
{
	unsigned char *der = NULL;
	unsigned int mdlen;
	size_t derlen = 0;
	int rc;

	*out = NULL;
	if ((rc = tlsa_selected_der(x, selector, &der, &derlen, err)) < 0)
		return rc;
	if (mtype == TLSA_MATCH_FULL) {
		*out = mem_alloc(derlen);
		*len = derlen;
		if (*out != NULL)
			memcpy(*out, der, derlen);
	} else {
		*out = mem_alloc(EVP_MAX_MD_SIZE);
		if (*out != NULL && !EVP_Digest(der, derlen, *out, &mdlen,
		    mtype == TLSA_MATCH_SHA256 ? EVP_sha256() : EVP_sha512(), NULL)) {
			rc = err_ssl(err, S2S_EPARSE, "TLSA: digest failed");
			mem_free(*out);
			*out = NULL;
			goto out;
		}
		*len = mdlen;
	}
	if (*out == NULL)
		rc = err_set(err, S2S_ENOMEM, "TLSA: out of memory");
out:
	OPENSSL_free(der);
	return rc;
}

static int
tlsa_usable(unsigned usage, unsigned selector, unsigned mtype)
{
	return usage <= TLSA_USAGE_DANE_EE && selector <= TLSA_SEL_SPKI &&
	    mtype <= TLSA_MATCH_SHA512;
}

int
tlsa_record_make(X509 *cert, unsigned usage, unsigned selector, unsigned mtype,
    struct tlsa_record *out, struct s2s_err *err)
{
	unsigned char *data;
	size_t len;
	int rc;

	memset(out, 0, sizeof(*out));
	if (!tlsa_usable(usage, selector, mtype))
		return err_set(err, S2S_EINVAL, "TLSA %u %u %u: not a usable record type",
		    usage, selector, mtype);
	if ((rc = tlsa_cert_data(cert, selector, mtype, &data, &len, err)) < 0)
		return rc;
	out->usage = (uint8_t)usage;
	out->selector = (uint8_t)selector;
	out->mtype = (uint8_t)mtype;
	out->data = data;
	out->len = len;
	return 0;
}

/* Does one certificate carry the record's association data? */
static int
tlsa_cert_matches(const struct tlsa_record *rec, X509 *x, int *yes, struct s2s_err *err)
{
	unsigned char *data;
	size_t len;
	int rc;

	*yes = 0;
	if ((rc = tlsa_cert_data(x, rec->selector, rec->mtype, &data, &len, err)) < 0)
		return rc;
	*yes = len == rec->len && CRYPTO_memcmp(data, rec->data, len) == 0;
	mem_free(data);
	return 0;
}

/* Did issuer sign subject (names, key identifiers and the signature itself)? */
static int
tlsa_issued(X509 *issuer, X509 *subject)
{
	EVP_PKEY *pk;
	int ok;

	if (X509_check_issued(issuer, subject) != X509_V_OK)
		return 0;
	pk = X509_get0_pubkey(issuer);
	ok = pk != NULL && X509_verify(subject, pk) == 1;
	ERR_clear_error();
	return ok;
}

/*
 * The issuance path a peer would build from what was sent: path[0] is the
 * leaf, path[i] the certificate of extra that signed path[i-1]. Stops at a
 * self-issued certificate or when no sent certificate signed the last one.
 */
static size_t
tlsa_issuer_path(X509 *leaf, STACK_OF(X509) *extra, X509 *path[TLSA_MAX_PATH])
{
	size_t n = 1, k;
	int i, found, count = extra == NULL ? 0 : sk_X509_num(extra);
	X509 *cand;

	path[0] = leaf;
	while (n < TLSA_MAX_PATH) {
		found = 0;
		for (i = 0; i < count && !found; i++) {
			cand = sk_X509_value(extra, i);
			for (k = 0; k < n && path[k] != cand && X509_cmp(path[k], cand) != 0; k++)
				;
			if (k == n && tlsa_issued(cand, path[n - 1])) {
				path[n++] = cand;
				found = 1;
			}
		}
		if (!found)
			break;
	}
	return n;
}

int
tlsa_match_chain(const struct tlsa_record *rec, X509 *leaf, STACK_OF(X509) *extra,
    struct tlsa_match *out, struct s2s_err *err)
{
	X509 *path[TLSA_MAX_PATH];
	size_t n, i;
	int yes, rc;

	memset(out, 0, sizeof(*out));
	out->depth = -1;
	if (!tlsa_usable(rec->usage, rec->selector, rec->mtype)) {
		out->unusable = 1;
		return 0;
	}
	out->pkix_bound = rec->usage == TLSA_USAGE_PKIX_TA || rec->usage == TLSA_USAGE_PKIX_EE;
	if (rec->usage == TLSA_USAGE_DANE_EE || rec->usage == TLSA_USAGE_PKIX_EE) {
		if ((rc = tlsa_cert_matches(rec, leaf, &yes, err)) < 0)
			return rc;
		if (yes) {
			out->matched = 1;
			out->depth = 0;
		}
		return 0;
	}
	n = tlsa_issuer_path(leaf, extra, path);
	for (i = 1; i < n; i++) {
		if ((rc = tlsa_cert_matches(rec, path[i], &yes, err)) < 0)
			return rc;
		if (yes) {
			out->matched = 1;
			out->depth = (int)i;
			return 0;
		}
	}
	return 0;
}

int
tlsa_records_for_chain(X509 *leaf, STACK_OF(X509) *extra, struct tlsa_record out[2],
    size_t *n, struct s2s_err *err)
{
	X509 *path[TLSA_MAX_PATH];
	int rc;

	*n = 0;
	memset(out, 0, 2 * sizeof(*out));
	if ((rc = tlsa_record_make(leaf, TLSA_USAGE_DANE_EE, TLSA_SEL_SPKI, TLSA_MATCH_SHA256,
	    &out[0], err)) < 0)
		return rc;
	*n = 1;
	if (tlsa_issuer_path(leaf, extra, path) < 2)
		return 0;
	if ((rc = tlsa_record_make(path[1], TLSA_USAGE_DANE_TA, TLSA_SEL_SPKI,
	    TLSA_MATCH_SHA256, &out[1], err)) < 0) {
		tlsa_record_clear(&out[0]);
		*n = 0;
		return rc;
	}
	*n = 2;
	return 0;
}
