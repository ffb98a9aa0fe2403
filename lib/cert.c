/*
 * cert.c: load certificate chains and private keys from files or memory.
 *
 * PEM files are split into blocks by hand only to find their boundaries, so
 * that a truncated block, text between or after blocks, and oversize inputs
 * get a message naming the file and line; each block is then decoded by
 * OpenSSL. A file without any PEM header is tried as one DER certificate.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "cert.h"
#include "fsat.h"
#include "mem.h"

struct cert_chain {
	STACK_OF(X509)	*certs;		/* [0] is the leaf */
	STACK_OF(X509)	*extra;		/* lazily built view of certs[1..] */
};

static const char PEM_BEGIN[] = "-----BEGIN ";
static const char PEM_END[] = "-----END ";

/* Follows links: the ACME client's files are links (certbot's live/). Never a FIFO. */
int
cert_read_file(const char *path, size_t max, unsigned char **out, size_t *len,
    struct s2s_err *err)
{
	return fsat_read(AT_FDCWD, path, NULL, 0, max, NULL, out, len, err);
}

/* Count lines up to p, for messages. */
static int
line_of(const unsigned char *data, const unsigned char *p)
{
	int line = 1;

	for (; data < p; data++)
		if (*data == '\n')
			line++;
	return line;
}

static const unsigned char *
find(const unsigned char *p, const unsigned char *end, const char *needle)
{
	return memmem(p, (size_t)(end - p), needle, strlen(needle));
}

static int
only_space(const unsigned char *p, const unsigned char *end)
{
	for (; p < end; p++)
		if (*p != ' ' && *p != '\t' && *p != '\r' && *p != '\n')
			return 0;
	return 1;
}

/*
 * Find the next PEM block at or after *pos: [*bstart, *bend) covers it from
 * "-----BEGIN " through the end of its "-----END ...-----" line. label gets
 * the label (e.g. "CERTIFICATE"). Returns 1 found, 0 none, -1 error.
 */
static int
pem_next_block(const unsigned char *data, const unsigned char *end,
    const unsigned char *pos, const unsigned char **bstart,
    const unsigned char **bend, char *label, size_t labelsz,
    const char *what, struct s2s_err *err)
{
	const unsigned char *b, *lend, *e, *eend;
	size_t l;

	if ((b = find(pos, end, PEM_BEGIN)) == NULL)
		return 0;
	lend = find(b + strlen(PEM_BEGIN), end, "-----");
	if (lend == NULL || memchr(b, '\n', (size_t)(lend - b)) != NULL) {
		err_set(err, S2S_EPARSE, "%s: line %d: malformed PEM header", what,
		    line_of(data, b));
		return -1;
	}
	l = (size_t)(lend - (b + strlen(PEM_BEGIN)));
	if (l == 0 || l >= labelsz) {
		err_set(err, S2S_EPARSE, "%s: line %d: malformed PEM label", what,
		    line_of(data, b));
		return -1;
	}
	memcpy(label, b + strlen(PEM_BEGIN), l);
	label[l] = '\0';
	e = find(lend, end, PEM_END);
	if (e == NULL || ((eend = find(e + strlen(PEM_END), end, "-----")) == NULL)) {
		err_set(err, S2S_EPARSE, "%s: line %d: truncated PEM: %s block has no END line",
		    what, line_of(data, b), label);
		return -1;
	}
	{
		const unsigned char *nb = find(lend, e, PEM_BEGIN);

		if (nb != NULL) {
			err_set(err, S2S_EPARSE,
			    "%s: line %d: truncated PEM: %s block ends where another begins",
			    what, line_of(data, b), label);
			return -1;
		}
	}
	*bstart = b;
	*bend = eend + 5;
	return 1;
}

static int
chain_new(struct cert_chain **out)
{
	struct cert_chain *c;

	if ((c = mem_calloc(1, sizeof(*c))) == NULL)
		return S2S_ENOMEM;
	if ((c->certs = sk_X509_new_null()) == NULL) {
		mem_free(c);
		return S2S_ENOMEM;
	}
	*out = c;
	return 0;
}

static int
chain_push(struct cert_chain *c, X509 *x, const char *what, struct s2s_err *err)
{
	if (sk_X509_num(c->certs) >= CERT_MAX_CHAIN) {
		X509_free(x);
		return err_set(err, S2S_ETOOBIG, "%s: more than %d certificates", what,
		    CERT_MAX_CHAIN);
	}
	if (sk_X509_push(c->certs, x) <= 0) {
		X509_free(x);
		return err_set(err, S2S_ENOMEM, "%s: out of memory", what);
	}
	sk_X509_free(c->extra);
	c->extra = NULL;
	return 0;
}

static int
pem_decode_cert(const unsigned char *b, const unsigned char *e, X509 **out,
    const char *what, int line, struct s2s_err *err)
{
	BIO *bio;
	X509 *x = NULL;

	if ((bio = BIO_new_mem_buf(b, (int)(e - b))) == NULL)
		return err_set(err, S2S_ENOMEM, "%s: out of memory", what);
	x = PEM_read_bio_X509(bio, NULL, NULL, NULL);
	BIO_free(bio);
	if (x == NULL)
		return err_ssl(err, S2S_EPARSE, "%s: line %d: bad certificate", what, line);
	*out = x;
	return 0;
}

static int
chain_add_pem(struct cert_chain *c, const unsigned char *data, size_t len,
    const char *what, struct s2s_err *err)
{
	const unsigned char *end = data + len, *pos = data, *b, *e;
	char label[64];
	int found, rc;
	X509 *x = NULL;

	while ((found = pem_next_block(data, end, pos, &b, &e, label, sizeof(label),
	    what, err)) == 1) {
		if (!only_space(pos, b))
			return err_set(err, S2S_EPARSE, "%s: line %d: text outside PEM blocks",
			    what, line_of(data, pos + strspn((const char *)pos, " \t\r\n")));
		pos = e;
		if (strstr(label, "PRIVATE KEY") != NULL)
			continue;	/* a combined file (ejabberd): the key is loaded apart */
		if (strcmp(label, "CERTIFICATE") != 0 && strcmp(label, "TRUSTED CERTIFICATE") != 0)
			return err_set(err, S2S_EPARSE, "%s: line %d: unexpected PEM block %s",
			    what, line_of(data, b), label);
		if ((rc = pem_decode_cert(b, e, &x, what, line_of(data, b), err)) != 0)
			return rc;
		if ((rc = chain_push(c, x, what, err)) != 0)
			return rc;
	}
	if (found < 0)
		return err->code;
	if (!only_space(pos, end))
		return err_set(err, S2S_EPARSE, "%s: line %d: junk after the last PEM block",
		    what, line_of(data, pos + strspn((const char *)pos, " \t\r\n")));
	if (sk_X509_num(c->certs) == 0)
		return err_set(err, S2S_EPARSE, "%s: no certificate in PEM file", what);
	return 0;
}

static int
chain_add_der(struct cert_chain *c, const unsigned char *data, size_t len,
    const char *what, struct s2s_err *err)
{
	const unsigned char *p = data;
	X509 *x = NULL;

	x = d2i_X509(NULL, &p, (long)len);
	if (x == NULL || p != data + len) {
		X509_free(x);
		ERR_clear_error();
		return err_set(err, S2S_EPARSE, "%s: neither PEM nor a DER certificate", what);
	}
	return chain_push(c, x, what, err);
}

static int
chain_add(struct cert_chain *c, const unsigned char *data, size_t len,
    const char *what, struct s2s_err *err)
{
	if (len == 0)
		return err_set(err, S2S_EPARSE, "%s: empty file", what);
	if (len > CERT_MAX_FILE_BYTES)
		return err_set(err, S2S_ETOOBIG, "%s: more than the %d bytes allowed", what,
		    CERT_MAX_FILE_BYTES);
	if (find(data, data + len, PEM_BEGIN) != NULL)
		return chain_add_pem(c, data, len, what, err);
	return chain_add_der(c, data, len, what, err);
}

int
cert_chain_parse(const unsigned char *data, size_t len, const char *what,
    struct cert_chain **out, struct s2s_err *err)
{
	struct cert_chain *c = NULL;
	int rc;

	*out = NULL;
	if (chain_new(&c) != 0)
		return err_set(err, S2S_ENOMEM, "%s: out of memory", what);
	if ((rc = chain_add(c, data, len, what, err)) != 0) {
		cert_chain_free(c);
		return rc;
	}
	*out = c;
	return 0;
}

int
cert_chain_load(const char *path, struct cert_chain **out, struct s2s_err *err)
{
	unsigned char *data;
	size_t len;
	int rc;

	*out = NULL;
	if ((rc = cert_read_file(path, CERT_MAX_FILE_BYTES, &data, &len, err)) != 0)
		return rc;
	rc = cert_chain_parse(data, len, path, out, err);
	mem_free(data);
	return rc;
}

int
cert_chain_append_file(struct cert_chain *chain, const char *path, struct s2s_err *err)
{
	unsigned char *data;
	size_t len;
	int rc;

	if ((rc = cert_read_file(path, CERT_MAX_FILE_BYTES, &data, &len, err)) != 0)
		return rc;
	rc = chain_add(chain, data, len, path, err);
	mem_free(data);
	return rc;
}

void
cert_chain_free(struct cert_chain *chain)
{
	if (chain == NULL)
		return;
	sk_X509_free(chain->extra);
	sk_X509_pop_free(chain->certs, X509_free);
	mem_free(chain);
}

size_t
cert_chain_count(const struct cert_chain *chain)
{
	return (size_t)sk_X509_num(chain->certs);
}

X509 *
cert_chain_get(const struct cert_chain *chain, size_t i)
{
	if (i >= cert_chain_count(chain))
		return NULL;
	return sk_X509_value(chain->certs, (int)i);
}

STACK_OF(X509) *
cert_chain_extra_get(const struct cert_chain *chain)
{
	struct cert_chain *c = (struct cert_chain *)chain;	/* cache only */
	int i;

	if (c->extra != NULL)
		return c->extra;
	if ((c->extra = sk_X509_new_null()) == NULL)
		return NULL;
	for (i = 1; i < sk_X509_num(c->certs); i++)
		if (sk_X509_push(c->extra, sk_X509_value(c->certs, i)) <= 0) {
			sk_X509_free(c->extra);
			c->extra = NULL;
			return NULL;
		}
	return c->extra;
}

static int
no_passphrase(char *buf, int size, int rwflag, void *u)
{
	return -1;	/* never prompt: an encrypted key is refused */
}

static int
key_is_encrypted(const unsigned char *data, size_t len)
{
	const unsigned char *end = data + len;

	return find(data, end, "-----BEGIN ENCRYPTED PRIVATE KEY-----") != NULL ||
	    find(data, end, "Proc-Type: 4,ENCRYPTED") != NULL;
}

int
cert_key_parse(const unsigned char *data, size_t len, const char *what,
    EVP_PKEY **out, struct s2s_err *err)
{
	const unsigned char *p = data;
	EVP_PKEY *k = NULL;
	BIO *bio;

	*out = NULL;
	if (len == 0)
		return err_set(err, S2S_EPARSE, "%s: empty file", what);
	if (key_is_encrypted(data, len))
		return err_set(err, S2S_EPARSE,
		    "%s: the private key is encrypted; s2sguard needs the unencrypted key the server uses",
		    what);
	if (find(data, data + len, PEM_BEGIN) != NULL) {
		if ((bio = BIO_new_mem_buf(data, (int)len)) == NULL)
			return err_set(err, S2S_ENOMEM, "%s: out of memory", what);
		k = PEM_read_bio_PrivateKey(bio, NULL, no_passphrase, NULL);
		BIO_free(bio);
	} else {
		k = d2i_AutoPrivateKey(NULL, &p, (long)len);
	}
	ERR_clear_error();	/* never pass key parser details on */
	if (k == NULL)
		return err_set(err, S2S_EPARSE, "%s: no readable private key", what);
	*out = k;
	return 0;
}

int
cert_key_load(const char *path, EVP_PKEY **out, struct s2s_err *err)
{
	unsigned char *data;
	size_t len;
	int rc;

	*out = NULL;
	if ((rc = cert_read_file(path, CERT_MAX_FILE_BYTES, &data, &len, err)) != 0)
		return rc;
	rc = cert_key_parse(data, len, path, out, err);
	OPENSSL_cleanse(data, len);
	mem_free(data);
	return rc;
}

int
cert_spki_sha256_hex(X509 *x, char out[65])
{
	unsigned char *der = NULL, md[32];
	unsigned int mdlen = 0;
	int n, i;

	out[0] = '\0';
	if ((n = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(x), &der)) <= 0)
		return S2S_EPARSE;
	i = EVP_Digest(der, (size_t)n, md, &mdlen, EVP_sha256(), NULL);
	OPENSSL_free(der);
	if (i != 1 || mdlen != sizeof(md))
		return S2S_EPARSE;
	for (i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
	return 0;
}

int
cert_sha256_hex(X509 *x, char out[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	out[0] = '\0';
	if (X509_digest(x, EVP_sha256(), md, &mdlen) != 1 || mdlen != 32)
		return S2S_EPARSE;
	for (unsigned int i = 0; i < mdlen; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
	return 0;
}

int
cert_has_eku(X509 *x)
{
	return X509_get_ext_by_NID(x, NID_ext_key_usage, -1) >= 0;
}
