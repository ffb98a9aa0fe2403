/*
 * http.h: the one place s2sguard-reissue talks HTTP (libcurl), in the
 * spirit of uacme's curlwrap.c. One struct holds a response's status,
 * body and the headers ACME needs. Every transfer gets the time left on
 * the caller's deadline and a ceiling on the body size; only https is
 * allowed.
 */
#ifndef S2S_ACME_HTTP_H
#define S2S_ACME_HTTP_H

#include <stddef.h>

#include "deadline.h"
#include "err.h"

#define HTTP_MAX_BODY		(1024 * 1024)	/* default response ceiling */
#define HTTP_MAX_ALTERNATES	8

struct http_resp;
struct s2s_err;
/* Fuzz/test hook: answers requests instead of the network when set. */
typedef int (*http_fake_fn)(void *arg, const char *method, const char *url,
	    const char *body, struct http_resp *resp, struct s2s_err *err);

struct http_client {
	http_fake_fn	 fake;
	void		*fake_arg;
	void		*curl;		/* CURL *, opaque here */
	char		*ca_file;	/* trust for the server's TLS; NULL: system */
	struct deadline	 deadline;	/* the whole run's deadline */
	size_t		 max_body;
	char		 user_agent[64];
};

struct http_resp {
	long	 status;
	char	*body;			/* NUL-terminated; len excludes the NUL */
	size_t	 len;
	char	*location;		/* Location header, or NULL */
	char	*nonce;			/* Replay-Nonce header, or NULL */
	char	*content_type;
	long	 retry_after;		/* seconds; -1 when absent */
	char	*alternates[HTTP_MAX_ALTERNATES];	/* Link: <...>;rel="alternate" */
	size_t	 nalternates;
};

int	http_client_init(struct http_client *h, const char *ca_file,
	    struct deadline deadline, struct s2s_err *err);
void	http_client_cleanup(struct http_client *h);

/*
 * method is "GET", "HEAD" or "POST" (body sent as application/jose+json).
 * Fills *resp (cleared first) whatever the status; returns negative only
 * when no HTTP answer arrived or it broke a ceiling: S2S_ETIMEOUT,
 * S2S_ENET, S2S_ETLS, S2S_ETOOBIG.
 */
int	http_request(struct http_client *h, const char *method, const char *url,
	    const char *body, struct http_resp *resp, struct s2s_err *err);
void	http_resp_clear(struct http_resp *resp);

/* Parse a Retry-After value (delta seconds or HTTP date); -1 when invalid. */
long	http_retry_after_parse(const char *value, long now);

#endif
