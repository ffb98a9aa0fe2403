/*
 * profile.h: ACME profiles (draft-ietf-acme-profiles) and ARI CertIDs
 * (RFC 9773). Pure functions over the directory and certificates, so the
 * units can feed them captured CA answers.
 */
#ifndef S2S_ACME_PROFILE_H
#define S2S_ACME_PROFILE_H

#include <stddef.h>

#include <jansson.h>
#include <openssl/x509.h>

#include "err.h"

/*
 * Decide which profile to put in newOrder. want NULL: none (*send = NULL).
 * The directory's meta.profiles lists want: send it. It lists others: an
 * S2S_ENOTFOUND error naming the advertised ones. It lists none: an error,
 * unless allow_unlisted, then send want and explain in note.
 */
int	profile_choose(const json_t *dir, const char *want, int allow_unlisted,
	    const char **send, char *note, size_t notesz, struct s2s_err *err);

/* The advertised profile names, comma separated, sorted ("" if none). */
void	profile_list(const json_t *dir, char *buf, size_t bufsz);

/*
 * RFC 9773 CertID: base64url(AKI keyIdentifier) "." base64url(serial DER
 * content bytes). *out is mem_free'd. S2S_ENOTFOUND without an AKI.
 */
int	ari_cert_id(X509 *x, char **out, struct s2s_err *err);

#endif
