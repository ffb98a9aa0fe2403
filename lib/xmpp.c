#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <expat.h>
#include <openssl/evp.h>

#include "mem.h"
#include "xmpp.h"

#define NS_SEP	' '

/* What the depth-1 child being parsed is. */
enum xmpp_kind {
	KIND_NONE = 0,
	KIND_FEATURES,
	KIND_PROCEED,
	KIND_TLS_FAILURE,
	KIND_SASL_SUCCESS,
	KIND_SASL_FAILURE,
	KIND_STREAM_ERROR,
	KIND_DB_RESULT,
	KIND_OTHER,
};

/* Inside <stream:features>: which feature we are in (depth 3). */
enum xmpp_sub {
	SUB_NONE = 0,
	SUB_STARTTLS,
	SUB_MECHANISMS,
	SUB_DB_ERROR,		/* <error/> inside <db:result type='error'> */
};

struct xmpp_stream {
	XML_Parser		 p;
	struct xmpp_limits	 lim;
	xmpp_event_fn		 fn;
	void			*arg;
	unsigned		 depth;
	size_t			 fed;		/* bytes given to this parser */
	size_t			 elem_start;	/* offset of the current depth-2 start tag */
	size_t			 last_event;	/* offset of the latest parser event */
	enum xmpp_kind		 kind;
	enum xmpp_sub		 sub;
	char			*collect;	/* character data goes here ... */
	size_t			 collect_cap;
	size_t			 collect_len;
	unsigned		 collect_depth;	/* ... while inside this depth */
	char			 mech[64];
	int			 failed;	/* a handler refused the input */
	int			 stopped;	/* the callback asked to stop */
	struct s2s_err		 perr;		/* the handler's reason */
	struct xmpp_event	 ev;
};

/* Stop the parser from inside a handler with our own reason. */
static void
xmpp_fail(struct xmpp_stream *s, int code, const char *what)
{
	if (!s->failed) {
		s->failed = 1;
		err_set(&s->perr, code, "%s", what);
	}
	XML_StopParser(s->p, XML_FALSE);
}

/*
 * Where the parser is, in bytes from the start of the stream; -1 on error.
 * Expat 2.9.0 added XML_GetCurrentByteIndex64 and deprecated the XML_Index
 * one (a long, 32 bits on some builds); older headers have only that one.
 */
static int64_t
xmpp_byte_index(XML_Parser p)
{
#if XML_MAJOR_VERSION > 2 || (XML_MAJOR_VERSION == 2 && XML_MINOR_VERSION >= 9)
	return XML_GetCurrentByteIndex64(p);
#else
	return (int64_t)XML_GetCurrentByteIndex(p);
#endif
}

static void
xmpp_mark(struct xmpp_stream *s)
{
	int64_t at = xmpp_byte_index(s->p);

	if (at >= 0)
		s->last_event = (size_t)at;
}

/* Split "ns local" (expat's joined name); ns is "" without a namespace. */
static int
xmpp_is(const char *name, const char *ns, const char *local)
{
	size_t n = strlen(ns);

	if (n == 0)
		return strcmp(name, local) == 0;
	return strncmp(name, ns, n) == 0 && name[n] == NS_SEP &&
	    strcmp(name + n + 1, local) == 0;
}

static int
xmpp_in_ns(const char *name, const char *ns, const char **local)
{
	size_t n = strlen(ns);

	if (strncmp(name, ns, n) != 0 || name[n] != NS_SEP)
		return 0;
	*local = name + n + 1;
	return 1;
}

static void
xmpp_copy(char *dst, size_t cap, const char *src)
{
	snprintf(dst, cap, "%s", src);
}

static void
xmpp_emit(struct xmpp_stream *s)
{
	if (s->stopped || s->failed)
		return;
	if (s->fn(s->arg, &s->ev) != 0) {
		s->stopped = 1;
		XML_StopParser(s->p, XML_FALSE);
	}
}

static void
xmpp_collect_start(struct xmpp_stream *s, char *buf, size_t cap)
{
	s->collect = buf;
	s->collect_cap = cap;
	s->collect_len = strlen(buf);
	s->collect_depth = s->depth;
}

static void XMLCALL
xmpp_on_chardata(void *ud, const XML_Char *text, int len)
{
	struct xmpp_stream *s = ud;
	size_t room;

	xmpp_mark(s);
	if (s->collect == NULL || s->depth != s->collect_depth || len <= 0)
		return;
	room = s->collect_cap - 1 - s->collect_len;
	if ((size_t)len < room)
		room = (size_t)len;
	memcpy(s->collect + s->collect_len, text, room);
	s->collect_len += room;
	s->collect[s->collect_len] = '\0';
}

static void
xmpp_on_header(struct xmpp_stream *s, const XML_Char *name, const XML_Char **atts)
{
	if (!xmpp_is(name, XMPP_NS_STREAM, "stream")) {
		xmpp_fail(s, S2S_EPROTO, "not an XMPP stream (first element is not <stream:stream>)");
		return;
	}
	memset(&s->ev, 0, sizeof(s->ev));
	s->ev.type = XMPP_EV_HEADER;
	for (size_t i = 0; atts[i] != NULL && atts[i + 1] != NULL; i += 2) {
		if (strcmp(atts[i], "id") == 0)
			xmpp_copy(s->ev.id, sizeof(s->ev.id), atts[i + 1]);
		else if (strcmp(atts[i], "from") == 0)
			xmpp_copy(s->ev.from, sizeof(s->ev.from), atts[i + 1]);
		else if (strcmp(atts[i], "version") == 0)
			xmpp_copy(s->ev.version, sizeof(s->ev.version), atts[i + 1]);
	}
	xmpp_emit(s);
}

static enum xmpp_kind
xmpp_kind_of(const char *name)
{
	if (xmpp_is(name, XMPP_NS_STREAM, "features"))
		return KIND_FEATURES;
	if (xmpp_is(name, XMPP_NS_STREAM, "error"))
		return KIND_STREAM_ERROR;
	if (xmpp_is(name, XMPP_NS_TLS, "proceed"))
		return KIND_PROCEED;
	if (xmpp_is(name, XMPP_NS_TLS, "failure"))
		return KIND_TLS_FAILURE;
	if (xmpp_is(name, XMPP_NS_SASL, "success"))
		return KIND_SASL_SUCCESS;
	if (xmpp_is(name, XMPP_NS_SASL, "failure"))
		return KIND_SASL_FAILURE;
	if (xmpp_is(name, XMPP_NS_DIALBACK, "result"))
		return KIND_DB_RESULT;
	return KIND_OTHER;
}

static void
xmpp_on_feature(struct xmpp_stream *s, const char *name)
{
	struct xmpp_features *f = &s->ev.features;

	if (s->depth == 3) {
		s->sub = SUB_NONE;
		if (xmpp_is(name, XMPP_NS_TLS, "starttls")) {
			f->starttls = 1;
			s->sub = SUB_STARTTLS;
		} else if (xmpp_is(name, XMPP_NS_SASL, "mechanisms")) {
			f->has_mechanisms = 1;
			s->sub = SUB_MECHANISMS;
		} else if (xmpp_is(name, XMPP_NS_DIALBACK_FEAT, "dialback")) {
			f->dialback = 1;
		} else if (xmpp_is(name, XMPP_NS_BIDI_FEAT, "bidi")) {
			f->bidi = 1;
		}
	} else if (s->depth == 4) {
		if (s->sub == SUB_STARTTLS && xmpp_is(name, XMPP_NS_TLS, "required"))
			f->starttls_required = 1;
		else if (s->sub == SUB_MECHANISMS && xmpp_is(name, XMPP_NS_SASL, "mechanism")) {
			s->mech[0] = '\0';
			xmpp_collect_start(s, s->mech, sizeof(s->mech));
		}
	}
}

/*
 * <failure/> or <stream:error/> (children at depth 3), or the <error/> of
 * a <db:result/> (depth 4): the first child other than <text/> names the
 * condition.
 */
static void
xmpp_on_error_child(struct xmpp_stream *s, const char *name, const char *ns,
    unsigned depth)
{
	const char *local;

	if (s->depth != depth || !xmpp_in_ns(name, ns, &local))
		return;
	if (strcmp(local, "text") == 0) {
		s->ev.text[0] = '\0';
		xmpp_collect_start(s, s->ev.text, sizeof(s->ev.text));
	} else if (s->ev.condition[0] == '\0') {
		xmpp_copy(s->ev.condition, sizeof(s->ev.condition), local);
	}
}

/* <db:result type='error'><error type='cancel'><CONDITION/><text/></error> */
static void
xmpp_on_db_child(struct xmpp_stream *s, const char *name)
{
	const char *sep = strrchr(name, NS_SEP);

	if (s->depth == 3) {
		/* unprefixed, so in the stream's default namespace */
		s->sub = strcmp(sep != NULL ? sep + 1 : name, "error") == 0 ?
		    SUB_DB_ERROR : SUB_NONE;
	} else if (s->sub == SUB_DB_ERROR) {
		xmpp_on_error_child(s, name, XMPP_NS_STANZAS, 4);
	}
}

static void
xmpp_db_type(struct xmpp_stream *s, const XML_Char **atts)
{
	for (size_t i = 0; atts[i] != NULL && atts[i + 1] != NULL; i += 2)
		if (strcmp(atts[i], "type") == 0)
			xmpp_copy(s->ev.db_type, sizeof(s->ev.db_type), atts[i + 1]);
}

static void XMLCALL
xmpp_on_start(void *ud, const XML_Char *name, const XML_Char **atts)
{
	struct xmpp_stream *s = ud;

	xmpp_mark(s);
	if (++s->depth > s->lim.max_depth) {
		xmpp_fail(s, S2S_ETOOBIG, "XML nested too deep");
		return;
	}
	if (s->depth == 1) {
		xmpp_on_header(s, name, atts);
		return;
	}
	if (s->depth == 2) {
		memset(&s->ev, 0, sizeof(s->ev));
		s->elem_start = s->last_event;
		s->kind = xmpp_kind_of(name);
		s->sub = SUB_NONE;
		s->collect = NULL;
		if (s->kind == KIND_OTHER)
			xmpp_copy(s->ev.name, sizeof(s->ev.name), name);
		else if (s->kind == KIND_DB_RESULT)
			xmpp_db_type(s, atts);
		return;
	}
	if (s->kind == KIND_FEATURES)
		xmpp_on_feature(s, name);
	else if (s->kind == KIND_SASL_FAILURE)
		xmpp_on_error_child(s, name, XMPP_NS_SASL, 3);
	else if (s->kind == KIND_STREAM_ERROR)
		xmpp_on_error_child(s, name, XMPP_NS_STREAMS, 3);
	else if (s->kind == KIND_DB_RESULT)
		xmpp_on_db_child(s, name);
}

static void
xmpp_mech_done(struct xmpp_stream *s)
{
	struct xmpp_features *f = &s->ev.features;
	size_t used = strlen(f->mechanisms);

	if (s->mech[0] == '\0')
		return;
	if (strcmp(s->mech, "EXTERNAL") == 0)
		f->external = 1;
	snprintf(f->mechanisms + used, sizeof(f->mechanisms) - used, "%s%s",
	    used > 0 ? " " : "", s->mech);
}

static const enum xmpp_event_type kind_event[] = {
	[KIND_FEATURES] = XMPP_EV_FEATURES,
	[KIND_PROCEED] = XMPP_EV_PROCEED,
	[KIND_TLS_FAILURE] = XMPP_EV_TLS_FAILURE,
	[KIND_SASL_SUCCESS] = XMPP_EV_SASL_SUCCESS,
	[KIND_SASL_FAILURE] = XMPP_EV_SASL_FAILURE,
	[KIND_STREAM_ERROR] = XMPP_EV_STREAM_ERROR,
	[KIND_DB_RESULT] = XMPP_EV_DB_RESULT,
	[KIND_OTHER] = XMPP_EV_OTHER,
};

static void XMLCALL
xmpp_on_end(void *ud, const XML_Char *name)
{
	struct xmpp_stream *s = ud;

	xmpp_mark(s);
	if (s->collect != NULL && s->depth == s->collect_depth) {
		if (s->collect == s->mech)
			xmpp_mech_done(s);
		s->collect = NULL;
	}
	if (s->depth == 2 && s->kind != KIND_NONE) {
		s->ev.type = kind_event[s->kind];
		s->kind = KIND_NONE;
		xmpp_emit(s);
	} else if (s->depth == 1) {
		memset(&s->ev, 0, sizeof(s->ev));
		s->ev.type = XMPP_EV_STREAM_END;
		xmpp_emit(s);
	}
	s->depth--;
}

static void XMLCALL
xmpp_on_doctype(void *ud, const XML_Char *name, const XML_Char *sysid,
    const XML_Char *pubid, int has_internal_subset)
{
	xmpp_fail(ud, S2S_EPROTO, "restricted XML: DOCTYPE");
}

static void XMLCALL
xmpp_on_entity_decl(void *ud, const XML_Char *name, int is_param,
    const XML_Char *value, int value_len, const XML_Char *base,
    const XML_Char *sysid, const XML_Char *pubid, const XML_Char *notation)
{
	xmpp_fail(ud, S2S_EPROTO, "restricted XML: entity declaration");
}

static void XMLCALL
xmpp_on_notation(void *ud, const XML_Char *name, const XML_Char *base,
    const XML_Char *sysid, const XML_Char *pubid)
{
	xmpp_fail(ud, S2S_EPROTO, "restricted XML: notation declaration");
}

static void XMLCALL
xmpp_on_comment(void *ud, const XML_Char *data)
{
	xmpp_fail(ud, S2S_EPROTO, "restricted XML: comment");
}

static void XMLCALL
xmpp_on_pi(void *ud, const XML_Char *target, const XML_Char *data)
{
	xmpp_fail(ud, S2S_EPROTO, "restricted XML: processing instruction");
}

/*
 * Expat 2.6.0, and Debian 12's 2.5.0-1+deb12u2 and later (CVE-2023-52425),
 * defer re-parsing a token that arrived split over several reads until
 * enough new bytes come. A peer that sends its features and then waits for
 * us would never have its last element delivered. Switch that off wherever
 * the library that is running has the switch, whatever the headers said at
 * build time: hence a weak reference, NULL on older libraries.
 */
#pragma weak XML_SetReparseDeferralEnabled
XML_Bool XML_SetReparseDeferralEnabled(XML_Parser parser, XML_Bool enabled);

static void
xmpp_parser_no_deferral(XML_Parser p)
{
	if (XML_SetReparseDeferralEnabled != NULL)
		XML_SetReparseDeferralEnabled(p, XML_FALSE);
}

static int
xmpp_parser_new(struct xmpp_stream *s, struct s2s_err *err)
{
	XML_Parser p;

	if ((p = XML_ParserCreateNS("UTF-8", NS_SEP)) == NULL)
		return err_set(err, S2S_ENOMEM, "XML parser: out of memory");
	XML_SetUserData(p, s);
	XML_SetElementHandler(p, xmpp_on_start, xmpp_on_end);
	XML_SetCharacterDataHandler(p, xmpp_on_chardata);
	XML_SetStartDoctypeDeclHandler(p, xmpp_on_doctype);
	XML_SetEntityDeclHandler(p, xmpp_on_entity_decl);
	XML_SetNotationDeclHandler(p, xmpp_on_notation);
	XML_SetCommentHandler(p, xmpp_on_comment);
	XML_SetProcessingInstructionHandler(p, xmpp_on_pi);
	XML_SetParamEntityParsing(p, XML_PARAM_ENTITY_PARSING_NEVER);
	xmpp_parser_no_deferral(p);
	if (s->p != NULL)
		XML_ParserFree(s->p);
	s->p = p;
	s->depth = 0;
	s->fed = s->elem_start = s->last_event = 0;
	s->kind = KIND_NONE;
	s->sub = SUB_NONE;
	s->collect = NULL;
	s->failed = s->stopped = 0;
	err_clear(&s->perr);
	return 0;
}

int
xmpp_stream_new(const struct xmpp_limits *limits, xmpp_event_fn fn, void *arg,
    struct xmpp_stream **out, struct s2s_err *err)
{
	struct xmpp_stream *s;
	int rc;

	*out = NULL;
	if ((s = mem_calloc(1, sizeof(*s))) == NULL)
		return err_set(err, S2S_ENOMEM, "XML stream: out of memory");
	if (limits != NULL)
		s->lim = *limits;
	else {
		s->lim.max_element = XMPP_DEFAULT_MAX_ELEMENT;
		s->lim.max_stream = XMPP_DEFAULT_MAX_STREAM;
		s->lim.max_depth = XMPP_DEFAULT_MAX_DEPTH;
	}
	s->fn = fn;
	s->arg = arg;
	if ((rc = xmpp_parser_new(s, err)) < 0) {
		mem_free(s);
		return rc;
	}
	*out = s;
	return 0;
}

void
xmpp_stream_free(struct xmpp_stream *s)
{
	if (s == NULL)
		return;
	if (s->p != NULL)
		XML_ParserFree(s->p);
	mem_free(s);
}

int
xmpp_stream_reset(struct xmpp_stream *s, struct s2s_err *err)
{
	return xmpp_parser_new(s, err);
}

size_t
xmpp_stream_bytes(const struct xmpp_stream *s)
{
	return s->fed;
}

/* After a chunk: is an element, or a token expat still buffers, too big? */
static int
xmpp_check_sizes(struct xmpp_stream *s, struct s2s_err *err)
{
	if (s->depth >= 2 && s->fed - s->elem_start > s->lim.max_element)
		return err_set(err, S2S_ETOOBIG, "XML element over %zu bytes",
		    s->lim.max_element);
	if (s->fed - s->last_event > s->lim.max_element)
		return err_set(err, S2S_ETOOBIG, "XML token over %zu bytes",
		    s->lim.max_element);
	return 0;
}

int
xmpp_stream_feed(struct xmpp_stream *s, const void *buf, size_t len,
    struct s2s_err *err)
{
	enum XML_Status st;

	if (s->failed || s->stopped)
		return err_set(err, S2S_EINVAL, "XML stream used after it ended");
	if (len > s->lim.max_stream || s->fed + len > s->lim.max_stream) {
		s->failed = 1;
		return err_set(err, S2S_ETOOBIG, "XML stream over %zu bytes",
		    s->lim.max_stream);
	}
	s->fed += len;
	st = XML_Parse(s->p, buf, (int)len, XML_FALSE);
	if (s->stopped)
		return 1;
	if (s->failed) {
		*err = s->perr;
		return err->code;
	}
	if (st != XML_STATUS_OK) {
		s->failed = 1;
		return err_set(err, S2S_EPROTO, "XML error at byte %lld: %s",
		    (long long)xmpp_byte_index(s->p),
		    XML_ErrorString(XML_GetErrorCode(s->p)));
	}
	if (xmpp_check_sizes(s, err) < 0) {
		s->failed = 1;
		return err->code;
	}
	return 0;
}

int
xmpp_domain_valid(const char *d)
{
	size_t n = strlen(d), label = 0;

	if (n == 0 || n > 253 || d[0] == '.' || d[n - 1] == '.')
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = d[i];

		if (c == '.') {
			if (label == 0)
				return 0;
			label = 0;
			continue;
		}
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '_'))
			return 0;
		if (++label > 63)
			return 0;
	}
	return 1;
}

static int
xmpp_out(char *buf, size_t len, int n, struct s2s_err *err)
{
	if (n < 0 || (size_t)n >= len)
		return err_set(err, S2S_ETOOBIG, "XMPP output over %zu bytes", len);
	return n;
}

int
xmpp_format_header(char *buf, size_t len, const char *from, const char *to,
    int dialback, struct s2s_err *err)
{
	if (!xmpp_domain_valid(from) || !xmpp_domain_valid(to))
		return err_set(err, S2S_EINVAL, "stream header: invalid domain name");
	return xmpp_out(buf, len, snprintf(buf, len,
	    "<?xml version='1.0'?><stream:stream xmlns='jabber:server' "
	    "xmlns:stream='" XMPP_NS_STREAM "'%s from='%s' to='%s' version='1.0'>",
	    dialback ? " xmlns:db='" XMPP_NS_DIALBACK "'" : "", from, to), err);
}

int
xmpp_format_client_header(char *buf, size_t len, const char *to, struct s2s_err *err)
{
	if (!xmpp_domain_valid(to))
		return err_set(err, S2S_EINVAL, "stream header: invalid domain name");
	return xmpp_out(buf, len, snprintf(buf, len,
	    "<?xml version='1.0'?><stream:stream xmlns='jabber:client' "
	    "xmlns:stream='" XMPP_NS_STREAM "' to='%s' version='1.0'>", to), err);
}

int
xmpp_format_starttls(char *buf, size_t len, struct s2s_err *err)
{
	return xmpp_out(buf, len, snprintf(buf, len,
	    "<starttls xmlns='" XMPP_NS_TLS "'/>"), err);
}

int
xmpp_format_auth_external(char *buf, size_t len, const char *authzid,
    struct s2s_err *err)
{
	unsigned char b64[4 * ((253 + 2) / 3) + 1];
	size_t n = strlen(authzid);

	if (!xmpp_domain_valid(authzid))
		return err_set(err, S2S_EINVAL, "SASL EXTERNAL: invalid authzid");
	EVP_EncodeBlock(b64, (const unsigned char *)authzid, (int)n);
	return xmpp_out(buf, len, snprintf(buf, len,
	    "<auth xmlns='" XMPP_NS_SASL "' mechanism='EXTERNAL'>%s</auth>",
	    (const char *)b64), err);
}

int
xmpp_format_close(char *buf, size_t len, struct s2s_err *err)
{
	return xmpp_out(buf, len, snprintf(buf, len, "</stream:stream>"), err);
}

int
xmpp_format_db_result(char *buf, size_t len, const char *from, const char *to,
    const char *key, struct s2s_err *err)
{
	size_t n = strlen(key);

	if (!xmpp_domain_valid(from) || !xmpp_domain_valid(to))
		return err_set(err, S2S_EINVAL, "dialback request: invalid domain name");
	if (n == 0 || n > XMPP_DB_KEY_MAX || strspn(key, "0123456789abcdef") != n)
		return err_set(err, S2S_EINVAL, "dialback request: the key is not 1..%d hex digits",
		    XMPP_DB_KEY_MAX);
	return xmpp_out(buf, len, snprintf(buf, len,
	    "<db:result from='%s' to='%s'>%s</db:result>",
	    from, to, key), err);
}
