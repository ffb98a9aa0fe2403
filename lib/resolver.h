/*
 * resolver.h: a thin libunbound wrapper. One context per run, optional
 * forwarder ("ADDR[@PORT]", e.g. a test unbound on a loopback port), optional
 * DNSSEC trust anchor file; answers are the raw rdata of each record plus
 * the DNSSEC status. Parsing rdata is the caller's business (srv.h for SRV).
 *
 * Synchronous queries take a deadline; asynchronous ones deliver to a
 * callback from resolver_process(), to be called when resolver_fd() is
 * readable (an event loop polls it next to its sockets).
 */
#ifndef S2S_RESOLVER_H
#define S2S_RESOLVER_H

#include <stddef.h>
#include <stdint.h>

#include "deadline.h"
#include "err.h"

/* RR types and class used around s2sguard. */
#define RESOLVER_TYPE_A		1
#define RESOLVER_TYPE_AAAA	28
#define RESOLVER_TYPE_SRV	33
#define RESOLVER_TYPE_TLSA	52
#define RESOLVER_CLASS_IN	1

enum resolver_security {
	RESOLVER_INSECURE = 0,	/* no DNSSEC (or no trust anchor configured) */
	RESOLVER_SECURE,	/* validated */
	RESOLVER_BOGUS,		/* validation failed: treat as an attack */
};

struct resolver_rr {
	unsigned char	*data;
	size_t		 len;
};

struct resolver_answer {
	int			 rcode;		/* DNS rcode (0 NOERROR, 3 NXDOMAIN, ...) */
	int			 nxdomain;
	enum resolver_security	 security;
	char			*why_bogus;	/* NULL unless BOGUS */
	uint32_t		 ttl;
	size_t			 n;		/* 0: no data (NODATA or NXDOMAIN) */
	struct resolver_rr	*rr;
};

struct resolver;

/*
 * forwarder: NULL for the system's resolv.conf and /etc/hosts, else
 * "ADDR" or "ADDR@PORT" (IPv4 or IPv6 literal). trust_anchor_file: NULL
 * for none (every answer INSECURE), else an unbound auto-trust-anchor file
 * (e.g. /usr/share/dns/root.key) or a file of DS/DNSKEY records.
 */
int	resolver_new(const char *forwarder, const char *trust_anchor_file,
	    struct resolver **out, struct s2s_err *err);
void	resolver_free(struct resolver *r);

/* Blocking query bounded by `dl` (S2S_ETIMEOUT when it passes). */
int	resolver_query(struct resolver *r, const char *name, int rrtype,
	    const struct deadline *dl, struct resolver_answer **out, struct s2s_err *err);

/*
 * Asynchronous query. The callback owns `ans` (NULL when status < 0, then
 * `msg` says why) and must free it with resolver_answer_free().
 */
typedef void	(*resolver_cb)(void *arg, int status, struct resolver_answer *ans,
		    const char *msg);
int	resolver_query_async(struct resolver *r, const char *name, int rrtype,
	    resolver_cb cb, void *arg, int *id, struct s2s_err *err);
/* Stop a pending query; its callback will not be called. */
void	resolver_cancel(struct resolver *r, int id);
/* The descriptor to poll for readability. */
int	resolver_fd(struct resolver *r);
/* Deliver finished answers to their callbacks (non-blocking). */
int	resolver_process(struct resolver *r, struct s2s_err *err);

void	resolver_answer_free(struct resolver_answer *ans);

struct sockaddr_storage;
/* HOST is a literal IPv6 or IPv4 address: fill SS with it and PORT, return
 * 1; otherwise 0 (a name to resolve). */
int	resolver_parse_ip(const char *host, int port, struct sockaddr_storage *ss);

/*
 * Decode an uncompressed wire-format domain name at data[*off] into
 * "a.b.c" ("." for the root) and advance *off. -1 on malformed input.
 */
int	resolver_name_decode(const unsigned char *data, size_t len, size_t *off,
	    char *out, size_t outlen);

#endif
