/*
 * config_dane.c: the dane, dane_resolver and dane_trust_anchor keys (see
 * config_dane.h).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_dane.h"
#include "dane.h"
#include "mem.h"

/* "ADDR" or "ADDR@PORT", ADDR an IPv4 or IPv6 literal (what libunbound forwards to). */
static int
resolver_ok(const char *v)
{
	unsigned char buf[sizeof(struct in6_addr)];
	char addr[64], *end;
	const char *at = strchr(v, '@');
	size_t n = at != NULL ? (size_t)(at - v) : strlen(v);
	long port;

	if (n == 0 || n >= sizeof(addr))
		return 0;
	memcpy(addr, v, n);
	addr[n] = '\0';
	if (inet_pton(AF_INET, addr, buf) != 1 && inet_pton(AF_INET6, addr, buf) != 1)
		return 0;
	if (at == NULL)
		return 1;
	errno = 0;
	port = strtol(at + 1, &end, 10);
	return errno == 0 && end != at + 1 && *end == '\0' && port >= 1 && port <= 65535;
}

static int
replace(char **dst, const char *v, char *msg, size_t len)
{
	char *copy;

	if ((copy = mem_strdup(v)) == NULL) {
		snprintf(msg, len, "out of memory");
		return -1;
	}
	mem_free(*dst);
	*dst = copy;
	return 1;
}

int
config_dane_pair(const char *key, const char *value, int *mode, char **resolver,
    char **anchor, char *msg, size_t len)
{
	int m;

	if (strcmp(key, "dane") == 0) {
		if ((m = dane_mode_parse(value)) < 0) {
			snprintf(msg, len, "dane '%s': want off, warn or hold", value);
			return -1;
		}
		*mode = m;
		return 1;
	}
	if (strcmp(key, "dane_resolver") == 0) {
		if (!resolver_ok(value)) {
			snprintf(msg, len, "dane_resolver '%s': want an IP address, "
			    "optionally with @PORT (127.0.0.1@5353)", value);
			return -1;
		}
		return replace(resolver, value, msg, len);
	}
	if (strcmp(key, "dane_trust_anchor") == 0) {
		if (value[0] != '/') {
			snprintf(msg, len, "dane_trust_anchor '%s': want an absolute path", value);
			return -1;
		}
		return replace(anchor, value, msg, len);
	}
	return 0;
}

void
config_dane_get(const struct config *cfg, const struct cfg_domain *dom, struct cfg_dane *out)
{
	memset(out, 0, sizeof(*out));
	out->mode = DANE_MODE_HOLD;
	if (cfg != NULL && cfg->dane >= 0) {
		out->mode = cfg->dane;
		out->configured = 1;
	}
	if (dom != NULL && dom->dane >= 0) {
		out->mode = dom->dane;
		out->configured = 1;
	}
	if (cfg != NULL) {
		out->resolver = cfg->dane_resolver;
		out->trust_anchor = cfg->dane_trust_anchor;
	}
	if (dom != NULL && dom->dane_resolver != NULL)
		out->resolver = dom->dane_resolver;
	if (dom != NULL && dom->dane_trust_anchor != NULL)
		out->trust_anchor = dom->dane_trust_anchor;
}
