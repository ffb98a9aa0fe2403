#include <string.h>
#include <strings.h>

#include <openssl/x509v3.h>

#include "inspect.h"
#include "names.h"

#define OID_XMPPADDR	"1.3.6.1.5.5.7.8.5"
#define OID_SRVNAME	"1.3.6.1.5.5.7.8.7"

/* otherName value as text if its type-id is oid and its value a string. */
static int
othername_text(const GENERAL_NAME *gn, const char *oid, char *buf, size_t bufsz)
{
	const OTHERNAME *on = gn->d.otherName;
	const ASN1_STRING *s;
	char got[64];
	int len;

	if (gn->type != GEN_OTHERNAME || on == NULL || on->value == NULL)
		return 0;
	if (OBJ_obj2txt(got, sizeof(got), on->type_id, 1) <= 0 || strcmp(got, oid) != 0)
		return 0;
	if (on->value->type != V_ASN1_UTF8STRING && on->value->type != V_ASN1_IA5STRING)
		return 0;
	s = on->value->value.asn1_string;
	len = ASN1_STRING_length(s);
	if (len <= 0 || (size_t)len >= bufsz || memchr(ASN1_STRING_get0_data(s), '\0', (size_t)len))
		return 0;
	memcpy(buf, ASN1_STRING_get0_data(s), (size_t)len);
	buf[len] = '\0';
	return 1;
}

static int
has_dns_id(GENERAL_NAMES *sans)
{
	int i;

	for (i = 0; i < sk_GENERAL_NAME_num(sans); i++)
		if (sk_GENERAL_NAME_value(sans, i)->type == GEN_DNS)
			return 1;
	return 0;
}

static int
srv_matches(const char *srvname, const char *domain)
{
	static const char *const services[] = { "_xmpp-server.", "_xmpps-server." };
	size_t i, n;

	for (i = 0; i < sizeof(services) / sizeof(services[0]); i++) {
		n = strlen(services[i]);
		if (strncasecmp(srvname, services[i], n) == 0 &&
		    strcasecmp(srvname + n, domain) == 0)
			return 1;
	}
	return 0;
}

void
names_match(X509 *x, const char *domain, struct name_verdict *v)
{
	const unsigned int flags = X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS |
	    X509_CHECK_FLAG_NEVER_CHECK_SUBJECT;
	GENERAL_NAMES *sans;
	char buf[256];
	int i;

	memset(v, 0, sizeof(*v));
	snprintf(v->domain, sizeof(v->domain), "%s", domain);
	v->dns_id = X509_check_host(x, domain, 0, flags, NULL) == 1;
	sans = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
	for (i = 0; i < sk_GENERAL_NAME_num(sans); i++) {
		const GENERAL_NAME *gn = sk_GENERAL_NAME_value(sans, i);

		if (othername_text(gn, OID_XMPPADDR, buf, sizeof(buf)) &&
		    strcasecmp(buf, domain) == 0)
			v->xmpp_addr = 1;
		if (othername_text(gn, OID_SRVNAME, buf, sizeof(buf)) && srv_matches(buf, domain))
			v->srv_id = 1;
	}
	if (!has_dns_id(sans))	/* RFC 6125 6.4.4: CN only without DNS-IDs */
		v->cn_id = X509_check_host(x, domain, 0,
		    X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS | X509_CHECK_FLAG_ALWAYS_CHECK_SUBJECT,
		    NULL) == 1;
	GENERAL_NAMES_free(sans);
	v->covered = v->dns_id || v->srv_id || v->xmpp_addr || v->cn_id;
}

static void
list_add(char *buf, size_t bufsz, const char *kind, const char *name)
{
	size_t used = strlen(buf);
	int n;

	if (used + 4 >= bufsz)
		return;
	n = snprintf(buf + used, bufsz - used, "%s%s:%s", used ? " " : "", kind, name);
	if (n < 0 || (size_t)n >= bufsz - used)
		snprintf(buf + bufsz - 4, 4, "...");
}

void
names_list(X509 *x, char *buf, size_t bufsz)
{
	GENERAL_NAMES *sans;
	char tmp[256];
	int i;

	buf[0] = '\0';
	sans = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
	for (i = 0; i < sk_GENERAL_NAME_num(sans); i++) {
		const GENERAL_NAME *gn = sk_GENERAL_NAME_value(sans, i);

		if (gn->type == GEN_DNS) {
			const ASN1_STRING *s = gn->d.dNSName;
			int len = ASN1_STRING_length(s);

			if (len > 0 && (size_t)len < sizeof(tmp)) {
				memcpy(tmp, ASN1_STRING_get0_data(s), (size_t)len);
				tmp[len] = '\0';
				list_add(buf, bufsz, "dns", tmp);
			}
		} else if (othername_text(gn, OID_XMPPADDR, tmp, sizeof(tmp))) {
			list_add(buf, bufsz, "xmpp", tmp);
		} else if (othername_text(gn, OID_SRVNAME, tmp, sizeof(tmp))) {
			list_add(buf, bufsz, "srv", tmp);
		}
	}
	if (!has_dns_id(sans)) {
		X509_NAME *subj = X509_get_subject_name(x);

		if (X509_NAME_get_text_by_NID(subj, NID_commonName, tmp, sizeof(tmp)) > 0)
			list_add(buf, bufsz, "cn", tmp);
	}
	GENERAL_NAMES_free(sans);
}
