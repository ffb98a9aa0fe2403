/*
 * config_dane.h: the DANE keys of s2sguard.conf, in [s2sguard] (defaults)
 * and in [domain NAME]:
 *
 *   dane = off | warn | hold          default hold (changes nothing for a
 *                                     domain without signed TLSA records)
 *   dane_resolver = ADDR[@PORT]       validating resolver; default: system
 *   dane_trust_anchor = FILE          default /usr/share/dns/root.key
 *
 * Parsing lives here so lib/config.c only forwards the keys.
 */
#ifndef S2S_CONFIG_DANE_H
#define S2S_CONFIG_DANE_H

#include <stddef.h>

#include "config.h"

/*
 * One "key = value" pair: 1 when it was a DANE key and is stored, 0 when
 * it is not a DANE key, -1 when the value is wrong (problem written into
 * msg, "dane 'maybe': want off, warn or hold"). *mode is -1 until set;
 * resolver and anchor are replaced (owned by the config). S2S_ENOMEM is
 * reported as -1 with "out of memory".
 */
int	config_dane_pair(const char *key, const char *value, int *mode, char **resolver,
	    char **anchor, char *msg, size_t len);

/* A domain's effective DANE settings: its own, else [s2sguard]'s, else the defaults. */
struct cfg_dane {
	int		 mode;		/* enum dane_mode */
	int		 configured;	/* "dane" was set (domain or global) */
	const char	*resolver;	/* NULL: the system resolver */
	const char	*trust_anchor;	/* NULL: DANE_DEFAULT_TRUST_ANCHOR */
};

void	config_dane_get(const struct config *cfg, const struct cfg_domain *dom,
	    struct cfg_dane *out);

#endif
