/*
 * names.h: which XMPP domains a certificate serves (RFC 6125, RFC 6120
 * §13.7.1.2, RFC 7673): DNS-ID (with RFC 6125 whole-label wildcards),
 * SRV-ID `_xmpp-server.DOMAIN` / `_xmpps-server.DOMAIN`, id-on-xmppAddr,
 * and the subject CN only when the certificate has no DNS-ID at all.
 */
#ifndef S2S_NAMES_H
#define S2S_NAMES_H

#include <stddef.h>

#include <openssl/x509.h>

struct name_verdict;

/* Fill v for one domain. */
void	names_match(X509 *x, const char *domain, struct name_verdict *v);

/*
 * Every identifier of x, space separated, each prefixed by its kind:
 * "dns:a.example xmpp:a.example srv:_xmpp-server.a.example". Truncation is
 * marked with a trailing "...".
 */
void	names_list(X509 *x, char *buf, size_t bufsz);

#endif
