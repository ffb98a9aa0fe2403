/*
 * conf_kv.h: read the ACME clients' own configuration files through inih:
 * certbot's renewal/NAME.conf (configobj: "key = value", [renewalparams],
 * [[webroot_map]]) and acme.sh's "Key='value'" files. Values lose one
 * pair of surrounding quotes. Never sourced, never evaluated.
 */
#ifndef S2S_ACME_CONF_KV_H
#define S2S_ACME_CONF_KV_H

#include <stddef.h>

#include "err.h"

#define CONF_KV_MAX_FILE	(256 * 1024)

struct conf_kv;

int	 conf_kv_load(const char *path, struct conf_kv **out, struct s2s_err *err);
int	 conf_kv_parse(const char *text, const char *what, struct conf_kv **out,
	    struct s2s_err *err);
/* The last value of key in section ("" = before any section); lent. */
const char *conf_kv_get(const struct conf_kv *kv, const char *section, const char *key);
/* Entries in file order, for walking a section (e.g. certbot's webroot_map). */
size_t	 conf_kv_count(const struct conf_kv *kv);
void	 conf_kv_entry(const struct conf_kv *kv, size_t i, const char **section,
	    const char **key, const char **value);
void	 conf_kv_free(struct conf_kv *kv);

#endif
