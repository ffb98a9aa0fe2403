/*
 * tls.h: the TLS client side of an s2s probe. One context per certificate
 * (our chain and key as client certificate, the CA to judge the peer
 * with); one session per connection with SNI, optional ALPN xmpp-server,
 * and a note of whether the peer asked for a client certificate.
 *
 * The peer's certificate never stops a handshake: its verdict is read
 * afterwards with tls_peer_verdict().
 */
#ifndef S2S_TLS_H
#define S2S_TLS_H

#include <stddef.h>

#include <openssl/ssl.h>

#include "err.h"

enum tls_peer_verdict {
	TLS_PEER_TRUSTED = 1,
	TLS_PEER_UNTRUSTED,
	TLS_PEER_NAME_MISMATCH,
};

/* Per connection: filled in by the handshake's message callback. */
struct tls_conn_info {
	int	cert_requested;		/* a CertificateRequest arrived */
	int	alert_received;		/* a fatal alert from the peer */
	char	alert[64];		/* its description, e.g. "bad certificate" */
};

/*
 * Load chain (leaf first) and key, check they match, and build the client
 * context: TLS 1.2+, peer verification recorded but not enforced, CA from
 * ca_file or the system store. Unreadable files: S2S_EIO; bad content:
 * S2S_EPARSE; both with the file name in err. cert_path NULL: no client
 * certificate (key_path is then ignored), e.g. to read what a server
 * presents.
 */
int	tls_client_new(const char *cert_path, const char *key_path,
	    const char *ca_file, SSL_CTX **out, struct s2s_err *err);

/*
 * A session on connected socket fd: SNI and expected peer name = domain,
 * ALPN "xmpp-server" when alpn is set, info filled as the handshake runs
 * (it must outlive the SSL). Read buffers are released when idle.
 */
int	tls_session_new(SSL_CTX *ctx, int fd, const char *domain, int alpn,
	    struct tls_conn_info *info, SSL **out, struct s2s_err *err);

/* After the handshake: trusted, untrusted or name mismatch, and why. */
enum tls_peer_verdict	tls_peer_verdict(SSL *ssl, char *detail, size_t len);

/*
 * Describe a failed SSL_* call (ret, SSL_get_error value) in err: an
 * alert from the peer, a reset, EOF or OpenSSL's reason.
 */
int	tls_describe_error(SSL *ssl, int sslerr, const struct tls_conn_info *info,
	    const char *when, struct s2s_err *err);

#endif
