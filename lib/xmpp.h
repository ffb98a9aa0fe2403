/*
 * xmpp.h: the XMPP stream handler for s2s probing. Bytes in, events out:
 * no sockets, no clock, so it is unit-tested on captured dialogues and
 * fuzzed as is.
 *
 * Input goes through expat (XML_ParserCreateNS, UTF-8 only), incrementally,
 * split anywhere. RFC 6120 section 11 restrictions are enforced: a DOCTYPE,
 * entity or notation declaration, comment or processing instruction ends
 * the stream with an error, as do more than max_depth levels, a depth-1
 * element (or any single token) over max_element bytes, and more than
 * max_stream bytes in one stream. After STARTTLS and SASL success the stream
 * restarts: call xmpp_stream_reset() for a fresh parser.
 *
 * What we write is fixed text around validated domain names; nothing
 * peer-supplied is ever echoed back.
 */
#ifndef S2S_XMPP_H
#define S2S_XMPP_H

#include <stddef.h>

#include "err.h"

#define XMPP_NS_STREAM		"http://etherx.jabber.org/streams"
#define XMPP_NS_TLS		"urn:ietf:params:xml:ns:xmpp-tls"
#define XMPP_NS_SASL		"urn:ietf:params:xml:ns:xmpp-sasl"
#define XMPP_NS_STREAMS		"urn:ietf:params:xml:ns:xmpp-streams"
#define XMPP_NS_DIALBACK_FEAT	"urn:xmpp:features:dialback"
#define XMPP_NS_BIDI_FEAT	"urn:xmpp:features:bidi"
#define XMPP_NS_DIALBACK	"jabber:server:dialback"
#define XMPP_NS_STANZAS		"urn:ietf:params:xml:ns:xmpp-stanzas"
#define XMPP_DB_KEY_MAX		128	/* hex digits of a dialback key we send */

#define XMPP_DEFAULT_MAX_ELEMENT	(64 * 1024)
#define XMPP_DEFAULT_MAX_STREAM		(1024 * 1024)
#define XMPP_DEFAULT_MAX_DEPTH		16

struct xmpp_limits {
	size_t		max_element;	/* bytes of one depth-1 child or token */
	size_t		max_stream;	/* bytes per stream (between restarts) */
	unsigned	max_depth;	/* element nesting, the stream itself is 1 */
};

enum xmpp_event_type {
	XMPP_EV_HEADER = 1,	/* <stream:stream ...>: id, from, version */
	XMPP_EV_FEATURES,	/* <stream:features/> */
	XMPP_EV_PROCEED,	/* <proceed xmlns=tls/> */
	XMPP_EV_TLS_FAILURE,	/* <failure xmlns=tls/> */
	XMPP_EV_SASL_SUCCESS,	/* <success xmlns=sasl/> */
	XMPP_EV_SASL_FAILURE,	/* <failure xmlns=sasl>: condition, text */
	XMPP_EV_STREAM_ERROR,	/* <stream:error>: condition, text */
	XMPP_EV_STREAM_END,	/* </stream:stream> */
	XMPP_EV_DB_RESULT,	/* <db:result type=...>: type, condition, text */
	XMPP_EV_OTHER,		/* any other depth-1 child: name */
};

struct xmpp_features {
	int	starttls;
	int	starttls_required;
	int	has_mechanisms;
	int	external;		/* EXTERNAL among the mechanisms */
	int	dialback;
	int	bidi;
	char	mechanisms[128];	/* space separated, truncated if long */
};

struct xmpp_event {
	enum xmpp_event_type	type;
	char			condition[64];	/* local name of the error condition */
	char			db_type[16];	/* DB_RESULT: valid, invalid, error or "" */
	char			text[384];	/* <text/>, verbatim, truncated */
	struct xmpp_features	features;
	char			id[128];	/* header */
	char			from[256];	/* header */
	char			version[16];	/* header; "" when absent */
	char			name[128];	/* OTHER: "namespace local" */
};

/* Return non-zero to stop parsing this stream (feed then returns 1). */
typedef int	(*xmpp_event_fn)(void *arg, const struct xmpp_event *ev);

struct xmpp_stream;

/* limits NULL: the XMPP_DEFAULT_* values. */
int	xmpp_stream_new(const struct xmpp_limits *limits, xmpp_event_fn fn, void *arg,
	    struct xmpp_stream **out, struct s2s_err *err);
void	xmpp_stream_free(struct xmpp_stream *s);
/* A fresh parser for the restarted stream (never from inside the callback). */
int	xmpp_stream_reset(struct xmpp_stream *s, struct s2s_err *err);
/*
 * Parse the next bytes. 0: want more; 1: the callback asked to stop (the
 * rest of buf is not parsed); < 0: S2S_EPROTO (not well-formed or
 * restricted XML) or S2S_ETOOBIG (a limit), with err saying which. After
 * 1 or an error, only xmpp_stream_reset() makes the stream usable again.
 */
int	xmpp_stream_feed(struct xmpp_stream *s, const void *buf, size_t len,
	    struct s2s_err *err);
/* Bytes fed since the last reset. */
size_t	xmpp_stream_bytes(const struct xmpp_stream *s);

/* 1 when `d` is a plausible domain (LDH labels, dots, 1..253 bytes). */
int	xmpp_domain_valid(const char *d);

/*
 * The initiating stream header, jabber:server, version 1.0. `dialback`:
 * also declare the db prefix (jabber:server:dialback), as servers that
 * speak dialback do; ejabberd ignores a <db:result/> on a stream whose
 * header did not declare it.
 */
int	xmpp_format_header(char *buf, size_t len, const char *from, const char *to,
	    int dialback, struct s2s_err *err);
/* The initiating client stream header (jabber:client, no from), version 1.0. */
int	xmpp_format_client_header(char *buf, size_t len, const char *to,
	    struct s2s_err *err);
int	xmpp_format_starttls(char *buf, size_t len, struct s2s_err *err);
/* <auth mechanism='EXTERNAL'>base64(authzid)</auth> (EVP_EncodeBlock). */
int	xmpp_format_auth_external(char *buf, size_t len, const char *authzid,
	    struct s2s_err *err);
int	xmpp_format_close(char *buf, size_t len, struct s2s_err *err);
/*
 * XEP-0220 step 1: <db:result from to>KEY</db:result>, on a stream whose
 * header declared the db prefix. KEY: 1..XMPP_DB_KEY_MAX hex digits.
 */
int	xmpp_format_db_result(char *buf, size_t len, const char *from, const char *to,
	    const char *key, struct s2s_err *err);

#endif
