/*
 * srv.h: SRV records (RFC 2782) for XMPP s2s: parse raw rdata, merge
 * _xmpps-server (direct TLS, XEP-0368) with _xmpp-server (STARTTLS), and
 * order by priority, then weighted random within one priority.
 * Pure: no network, unit-testable on captured rdata.
 */
#ifndef S2S_SRV_H
#define S2S_SRV_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define SRV_TARGET_MAX	256
#define SRV_MAX_RECORDS	32	/* per run of records for one peer */
#define XMPP_S2S_PORT	5269

struct srv_record {
	uint16_t	priority;
	uint16_t	weight;
	uint16_t	port;
	int		direct_tls;		/* from _xmpps-server */
	char		target[SRV_TARGET_MAX];	/* "." = service not offered */
};

/* Parse one SRV rdata (priority, weight, port, uncompressed target). */
int	srv_parse(const unsigned char *rdata, size_t len, int direct_tls,
	    struct srv_record *out, struct s2s_err *err);

/*
 * Put `recs` in RFC 2782 order in place: ascending priority; within one
 * priority, repeatedly pick a record with probability proportional to its
 * weight (weight-0 records first in the running sums, so they are picked
 * rarely but not never). `rnd(arg)` returns a uniform 32-bit value; NULL
 * uses OpenSSL's RAND_bytes.
 */
void	srv_order(struct srv_record *recs, size_t n, uint32_t (*rnd)(void *), void *arg);

/*
 * The "." rule (RFC 6120 section 3.2.1): a lone record with target "."
 * means the service is decidedly not offered. Returns 1 for that.
 */
int	srv_is_no_service(const struct srv_record *recs, size_t n);

/*
 * Drop "." records (a "." among _xmpps-server records only means no direct
 * TLS). Returns the new count.
 */
size_t	srv_drop_dot(struct srv_record *recs, size_t n);

#endif
