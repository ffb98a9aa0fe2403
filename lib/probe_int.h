/*
 * probe_int.h: probe internals shared by probe.c and probe_priv.c (the
 * privilege-separated runner): the inputs loaded before any network I/O.
 */
#ifndef S2S_PROBE_INT_H
#define S2S_PROBE_INT_H

#include <openssl/ssl.h>

#include "probe.h"
#include "resolver.h"

struct probe_prepared {
	SSL_CTX		*ctx_new;
	SSL_CTX		*ctx_base;	/* NULL without a baseline */
	struct resolver	*res;
};

/* Check options, load certificates, keys and CA, set up the resolver. */
int	probe_prepare(const struct probe_opts *o, struct probe_prepared **out,
	    struct s2s_err *err);
void	probe_prepared_free(struct probe_prepared *p);
/* Run the event loop over every peer. */
int	probe_run_prepared(const struct probe_opts *o, struct probe_prepared *p,
	    struct probe_results **out, struct s2s_err *err);

#endif
