#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "cert.h"
#include "tls.h"

/* Accept every peer certificate; tls_peer_verdict() reads the result. */
static int
tls_verify_record(int ok, X509_STORE_CTX *x)
{
	return 1;
}

static void
tls_msg_cb(int write_p, int version, int content_type, const void *buf,
    size_t len, SSL *ssl, void *arg)
{
	struct tls_conn_info *info = SSL_get_app_data(ssl);
	const unsigned char *b = buf;

	if (info == NULL || write_p)
		return;
	if (content_type == SSL3_RT_HANDSHAKE && len > 0 && b[0] == 13)
		info->cert_requested = 1;
	if (content_type == SSL3_RT_ALERT && len >= 2 && b[0] == 2) {
		info->alert_received = 1;
		snprintf(info->alert, sizeof(info->alert), "%s",
		    SSL_alert_desc_string_long(b[1]));
	}
}

static int
tls_load_pair(SSL_CTX *ctx, const char *cert_path, const char *key_path,
    struct s2s_err *err)
{
	struct cert_chain *chain = NULL;
	EVP_PKEY *key = NULL;
	size_t i;
	int rc;

	if ((rc = cert_chain_load(cert_path, &chain, err)) < 0)
		return rc;
	if ((rc = cert_key_load(key_path, &key, err)) < 0)
		goto out;
	rc = S2S_EPARSE;
	if (SSL_CTX_use_certificate(ctx, cert_chain_get(chain, 0)) != 1) {
		err_ssl(err, rc, "%s: certificate not usable", cert_path);
		goto out;
	}
	for (i = 1; i < cert_chain_count(chain); i++)
		if (SSL_CTX_add1_chain_cert(ctx, cert_chain_get(chain, i)) != 1) {
			err_ssl(err, rc, "%s: chain certificate %zu not usable", cert_path, i);
			goto out;
		}
	if (SSL_CTX_use_PrivateKey(ctx, key) != 1 || SSL_CTX_check_private_key(ctx) != 1) {
		err_ssl(err, rc, "%s: key does not match %s", key_path, cert_path);
		goto out;
	}
	rc = 0;
out:
	EVP_PKEY_free(key);
	cert_chain_free(chain);
	return rc;
}

int
tls_client_new(const char *cert_path, const char *key_path, const char *ca_file,
    SSL_CTX **out, struct s2s_err *err)
{
	SSL_CTX *ctx;
	int rc;

	*out = NULL;
	if ((ctx = SSL_CTX_new(TLS_client_method())) == NULL)
		return err_ssl(err, S2S_ENOMEM, "TLS context");
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, tls_verify_record);
	SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS | SSL_MODE_ENABLE_PARTIAL_WRITE |
	    SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_msg_callback(ctx, tls_msg_cb);
	if (ca_file != NULL) {
		if (SSL_CTX_load_verify_locations(ctx, ca_file, NULL) != 1) {
			rc = err_ssl(err, S2S_EIO, "%s: cannot load CA certificates", ca_file);
			goto fail;
		}
	} else if (SSL_CTX_set_default_verify_paths(ctx) != 1) {
		rc = err_ssl(err, S2S_EIO, "system CA store");
		goto fail;
	}
	if (cert_path != NULL && (rc = tls_load_pair(ctx, cert_path, key_path, err)) < 0)
		goto fail;
	*out = ctx;
	return 0;
fail:
	SSL_CTX_free(ctx);
	return rc;
}

int
tls_session_new(SSL_CTX *ctx, int fd, const char *domain, int alpn,
    struct tls_conn_info *info, SSL **out, struct s2s_err *err)
{
	static const unsigned char alpn_xmpp[] = "\x0bxmpp-server";
	SSL *ssl;

	*out = NULL;
	memset(info, 0, sizeof(*info));
	if ((ssl = SSL_new(ctx)) == NULL)
		return err_ssl(err, S2S_ENOMEM, "%s: TLS session", domain);
	SSL_set_app_data(ssl, info);
	if (SSL_set_fd(ssl, fd) != 1 ||
	    SSL_set_tlsext_host_name(ssl, domain) != 1 ||
	    SSL_set1_host(ssl, domain) != 1 ||
	    (alpn && SSL_set_alpn_protos(ssl, alpn_xmpp, sizeof(alpn_xmpp) - 1) != 0)) {
		SSL_free(ssl);
		return err_ssl(err, S2S_ETLS, "%s: TLS session setup", domain);
	}
	X509_VERIFY_PARAM_set_hostflags(SSL_get0_param(ssl),
	    X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
	SSL_set_connect_state(ssl);
	*out = ssl;
	return 0;
}

enum tls_peer_verdict
tls_peer_verdict(SSL *ssl, char *detail, size_t len)
{
	X509 *peer = SSL_get0_peer_certificate(ssl);
	long v;

	if (peer == NULL) {
		snprintf(detail, len, "no certificate");
		return TLS_PEER_UNTRUSTED;
	}
	v = SSL_get_verify_result(ssl);
	if (v == X509_V_OK) {
		detail[0] = '\0';
		return TLS_PEER_TRUSTED;
	}
	snprintf(detail, len, "%s", X509_verify_cert_error_string(v));
	return v == X509_V_ERR_HOSTNAME_MISMATCH ? TLS_PEER_NAME_MISMATCH :
	    TLS_PEER_UNTRUSTED;
}

int
tls_describe_error(SSL *ssl, int sslerr, const struct tls_conn_info *info,
    const char *when, struct s2s_err *err)
{
	unsigned long e = ERR_peek_error();
	char reason[200] = "";

	if (e != 0)
		ERR_error_string_n(e, reason, sizeof(reason));
	ERR_clear_error();
	if (info != NULL && info->alert_received)
		return err_set(err, S2S_ETLS, "%s: peer sent alert \"%s\"", when, info->alert);
	if (sslerr == SSL_ERROR_SYSCALL && e == 0) {
		if (errno == 0 || errno == EAGAIN)
			return err_set(err, S2S_ETLS, "%s: connection closed by peer", when);
		return err_set(err, S2S_ETLS, "%s: %s", when, strerror(errno));
	}
	if (sslerr == SSL_ERROR_ZERO_RETURN)
		return err_set(err, S2S_ETLS, "%s: peer closed TLS", when);
	if (reason[0] != '\0') {
		const char *r = ERR_reason_error_string(e);

		return err_set(err, S2S_ETLS, "%s: %s", when, r != NULL ? r : reason);
	}
	return err_set(err, S2S_ETLS, "%s: TLS error %d", when, sslerr);
}
