/*
 * profile.c: see profile.h.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/x509v3.h>

#include "jws.h"
#include "mem.h"
#include "profile.h"

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

void
profile_list(const json_t *dir, char *buf, size_t bufsz)
{
	const json_t *profiles = json_object_get(json_object_get(dir, "meta"), "profiles");
	const char *names[64], *key;
	size_t n = 0, i, used = 0;
	json_t *v;

	buf[0] = '\0';
	json_object_foreach((json_t *)profiles, key, v) {
		if (n < sizeof(names) / sizeof(names[0]))
			names[n++] = key;
	}
	qsort(names, n, sizeof(names[0]), cmp_str);
	for (i = 0; i < n && used < bufsz; i++) {
		int w = snprintf(buf + used, bufsz - used, "%s%s", i ? ", " : "", names[i]);

		if (w < 0)
			break;
		used += (size_t)w;
	}
}

int
profile_choose(const json_t *dir, const char *want, int allow_unlisted, const char **send,
    char *note, size_t notesz, struct s2s_err *err)
{
	const json_t *profiles = json_object_get(json_object_get(dir, "meta"), "profiles");
	char list[512];

	*send = NULL;
	note[0] = '\0';
	if (want == NULL)
		return 0;
	if (json_is_object(profiles) && json_object_size(profiles) > 0) {
		if (json_object_get(profiles, want) == NULL) {
			profile_list(dir, list, sizeof(list));
			return err_set(err, S2S_ENOTFOUND, "the CA does not offer profile \"%s\"; "
			    "its directory lists: %s", want, list);
		}
		*send = want;
		snprintf(note, notesz, "profile \"%s\" is advertised by the CA", want);
		return 0;
	}
	if (!allow_unlisted)
		return err_set(err, S2S_ENOTFOUND, "the ACME directory lists no profiles (this CA "
		    "may not support them), so profile \"%s\" cannot be checked; "
		    "--allow-unlisted-profile sends it anyway", want);
	*send = want;
	snprintf(note, notesz, "the ACME directory lists no profiles; sending \"%s\" anyway "
	    "(--allow-unlisted-profile): the CA may ignore it", want);
	return 0;
}

int
ari_cert_id(X509 *x, char **out, struct s2s_err *err)
{
	const ASN1_OCTET_STRING *aki = X509_get0_authority_key_id(x);
	const ASN1_INTEGER *serial = X509_get0_serialNumber(x);
	const unsigned char *sp = ASN1_STRING_get0_data(serial);
	int slen = ASN1_STRING_length(serial);
	unsigned char sbuf[64];
	char *a64 = NULL, *s64 = NULL;
	size_t n, off = 0;
	int rc = 0;

	*out = NULL;
	if (aki == NULL || ASN1_STRING_length(aki) <= 0)
		return err_set(err, S2S_ENOTFOUND, "certificate has no authority key identifier");
	if (slen <= 0 || slen > (int)sizeof(sbuf) - 1 || ASN1_STRING_type(serial) != V_ASN1_INTEGER)
		return err_set(err, S2S_EPARSE, "certificate serial number is empty, negative "
		    "or too long");
	if (sp[0] & 0x80)
		sbuf[off++] = 0x00;	/* DER INTEGER content of a positive number */
	memcpy(sbuf + off, sp, (size_t)slen);
	a64 = b64url_encode(ASN1_STRING_get0_data(aki), (size_t)ASN1_STRING_length(aki));
	s64 = b64url_encode(sbuf, off + (size_t)slen);
	if (a64 == NULL || s64 == NULL) {
		rc = err_set(err, S2S_ENOMEM, "out of memory");
		goto out;
	}
	n = strlen(a64) + strlen(s64) + 2;
	if ((*out = mem_alloc(n)) == NULL) {
		rc = err_set(err, S2S_ENOMEM, "out of memory");
		goto out;
	}
	snprintf(*out, n, "%s.%s", a64, s64);
out:
	mem_free(a64);
	mem_free(s64);
	return rc;
}
