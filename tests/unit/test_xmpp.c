/* The XMPP stream handler on captured byte sequences, split anywhere. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "xmpp.h"

#define MAX_EV 16

struct seen {
	int			n;
	struct xmpp_event	ev[MAX_EV];
	int			stop_on;	/* event type that stops parsing */
};

static int
collect(void *arg, const struct xmpp_event *ev)
{
	struct seen *s = arg;

	if (s->n < MAX_EV)
		s->ev[s->n++] = *ev;
	return (int)ev->type == s->stop_on;
}

/* Feed `text` in chunks of `step` bytes; returns the last feed status. */
static int
feed_split(const char *text, size_t len, size_t step, struct seen *s, struct s2s_err *err)
{
	struct xmpp_stream *xs;
	int rc = 0;

	assert_int_equal(xmpp_stream_new(NULL, collect, s, &xs, err), 0);
	for (size_t off = 0; off < len && rc == 0; off += step) {
		size_t n = len - off < step ? len - off : step;

		rc = xmpp_stream_feed(xs, text + off, n, err);
	}
	xmpp_stream_free(xs);
	return rc;
}

/* ejabberd 23.01, pre-TLS, as seen on the wire. */
static const char ejabberd_pre[] =
	"<?xml version='1.0'?><stream:stream id='1234567' version='1.0' xml:lang='en' "
	"xmlns:stream='http://etherx.jabber.org/streams' from='ej.peer.test' "
	"to='xmpp.example.test' xmlns='jabber:server'>"
	"<stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'><required/>"
	"</starttls><dialback xmlns='urn:xmpp:features:dialback'><errors/></dialback>"
	"</stream:features>";

/* Prosody 0.12, post-TLS. */
static const char prosody_post[] =
	"<?xml version='1.0'?><stream:stream xmlns:db='jabber:server:dialback' "
	"xmlns:stream='http://etherx.jabber.org/streams' xml:lang='en' "
	"from='pr.peer.test' id='a5c7a0b6-56e9' version='1.0' xmlns='jabber:server' "
	"to='xmpp.example.test'><stream:features>"
	"<mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>EXTERNAL</mechanism>"
	"</mechanisms><bidi xmlns='urn:xmpp:features:bidi'/></stream:features>";

static const char ejabberd_failure[] =
	"<failure xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><not-authorized/>"
	"<text xml:lang='en'>unsupported certificate purpose</text></failure>";

static const char prosody_stream_error[] =
	"<stream:error><not-authorized xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>"
	"<text xmlns='urn:ietf:params:xml:ns:xmpp-streams'>Your server&apos;s certificate "
	"is not trusted</text></stream:error></stream:stream>";

static void
test_ejabberd_features_any_split(void **state)
{
	size_t len = strlen(ejabberd_pre);

	for (size_t step = 1; step <= len; step++) {
		struct seen s = { 0 };
		struct s2s_err err;

		assert_int_equal(feed_split(ejabberd_pre, len, step, &s, &err), 0);
		assert_int_equal(s.n, 2);
		assert_int_equal(s.ev[0].type, XMPP_EV_HEADER);
		assert_string_equal(s.ev[0].from, "ej.peer.test");
		assert_string_equal(s.ev[0].id, "1234567");
		assert_string_equal(s.ev[0].version, "1.0");
		assert_int_equal(s.ev[1].type, XMPP_EV_FEATURES);
		assert_true(s.ev[1].features.starttls);
		assert_true(s.ev[1].features.starttls_required);
		assert_true(s.ev[1].features.dialback);
		assert_false(s.ev[1].features.has_mechanisms);
	}
}

static void
test_prosody_features_mechanisms(void **state)
{
	for (size_t step = 1; step <= 7; step++) {
		struct seen s = { 0 };
		struct s2s_err err;

		assert_int_equal(feed_split(prosody_post, strlen(prosody_post), step, &s, &err), 0);
		assert_int_equal(s.n, 2);
		assert_true(s.ev[1].features.external);
		assert_true(s.ev[1].features.bidi);
		assert_false(s.ev[1].features.dialback);
		assert_false(s.ev[1].features.starttls);
		assert_string_equal(s.ev[1].features.mechanisms, "EXTERNAL");
	}
}

static void
test_mechanisms_list_without_external(void **state)
{
	static const char t[] =
		"<stream:stream xmlns='jabber:server' xmlns:stream='http://etherx.jabber.org/streams' "
		"version='1.0'><stream:features><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>"
		"<mechanism>SCRAM-SHA-1</mechanism><mechanism>PLAIN</mechanism></mechanisms>"
		"<mechanism>EXTERNAL</mechanism></stream:features>";
	struct seen s = { 0 };
	struct s2s_err err;

	assert_int_equal(feed_split(t, strlen(t), 5, &s, &err), 0);
	assert_int_equal(s.ev[1].type, XMPP_EV_FEATURES);
	assert_false(s.ev[1].features.external);	/* outside <mechanisms> */
	assert_string_equal(s.ev[1].features.mechanisms, "SCRAM-SHA-1 PLAIN");
}

static void
test_sasl_failure_keeps_text(void **state)
{
	char buf[1024];
	struct seen s = { 0 };
	struct s2s_err err;

	snprintf(buf, sizeof(buf), "%s%s", prosody_post, ejabberd_failure);
	assert_int_equal(feed_split(buf, strlen(buf), 3, &s, &err), 0);
	assert_int_equal(s.n, 3);
	assert_int_equal(s.ev[2].type, XMPP_EV_SASL_FAILURE);
	assert_string_equal(s.ev[2].condition, "not-authorized");
	assert_string_equal(s.ev[2].text, "unsupported certificate purpose");
}

static void
test_stream_error_then_end(void **state)
{
	char buf[1024];
	struct seen s = { 0 };
	struct s2s_err err;

	snprintf(buf, sizeof(buf), "%s%s", prosody_post, prosody_stream_error);
	assert_int_equal(feed_split(buf, strlen(buf), 11, &s, &err), 0);
	assert_int_equal(s.n, 4);
	assert_int_equal(s.ev[2].type, XMPP_EV_STREAM_ERROR);
	assert_string_equal(s.ev[2].condition, "not-authorized");
	assert_string_equal(s.ev[2].text, "Your server's certificate is not trusted");
	assert_int_equal(s.ev[3].type, XMPP_EV_STREAM_END);
}

static void
test_proceed_stops_and_reset_restarts(void **state)
{
	static const char pre[] =
		"<stream:stream xmlns='jabber:server' xmlns:stream='http://etherx.jabber.org/streams' "
		"version='1.0'><proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>";
	struct seen s = { .stop_on = XMPP_EV_PROCEED };
	struct xmpp_stream *xs;
	struct s2s_err err;

	assert_int_equal(xmpp_stream_new(NULL, collect, &s, &xs, &err), 0);
	assert_int_equal(xmpp_stream_feed(xs, pre, strlen(pre), &err), 1);
	assert_int_equal(s.ev[s.n - 1].type, XMPP_EV_PROCEED);
	/* a stopped stream refuses more bytes until it is reset */
	assert_true(xmpp_stream_feed(xs, "x", 1, &err) < 0);
	assert_int_equal(xmpp_stream_reset(xs, &err), 0);
	s.n = 0;
	assert_int_equal(xmpp_stream_feed(xs, prosody_post, strlen(prosody_post), &err), 0);
	assert_int_equal(s.n, 2);
	assert_int_equal(s.ev[0].type, XMPP_EV_HEADER);
	xmpp_stream_free(xs);
}

static void
expect_refused(const char *t, int code, const char *msg_part)
{
	struct seen s = { 0 };
	struct s2s_err err = { 0 };

	assert_int_equal(feed_split(t, strlen(t), 4096, &s, &err), code);
	if (strstr(err.msg, msg_part) == NULL)
		fail_msg("'%s' not in '%s'", msg_part, err.msg);
}

static void
test_restricted_xml_refused(void **state)
{
	expect_refused("<?xml version='1.0'?><!DOCTYPE lol [<!ENTITY a 'aaaa'>]>"
	    "<stream:stream xmlns:stream='http://etherx.jabber.org/streams'>&a;",
	    S2S_EPROTO, "DOCTYPE");
	expect_refused("<stream:stream xmlns:stream='http://etherx.jabber.org/streams'>"
	    "<!-- hi -->", S2S_EPROTO, "comment");
	expect_refused("<stream:stream xmlns:stream='http://etherx.jabber.org/streams'>"
	    "<?php echo 1; ?>", S2S_EPROTO, "processing instruction");
	expect_refused("<stream:stream xmlns:stream='http://etherx.jabber.org/streams'>"
	    "<a>&undefined;</a>", S2S_EPROTO, "XML error");
}

static void
test_not_a_stream(void **state)
{
	expect_refused("<html><body>", S2S_EPROTO, "not an XMPP stream");
	expect_refused("HTTP/1.1 400 Bad Request\r\n\r\n", S2S_EPROTO, "XML error");
}

static void
test_invalid_utf8_refused(void **state)
{
	expect_refused("<stream:stream xmlns:stream='http://etherx.jabber.org/streams'>"
	    "<stream:features><x>\xff\xfe</x>", S2S_EPROTO, "XML error");
	/* declared Latin-1 changes nothing: UTF-8 only */
	expect_refused("<?xml version='1.0' encoding='ISO-8859-1'?>"
	    "<stream:stream xmlns:stream='http://etherx.jabber.org/streams'>caf\xe9 au lait<a/>",
	    S2S_EPROTO, "XML error");
}

static void
test_oversize_element_refused(void **state)
{
	struct xmpp_limits lim = { 4096, 1 << 20, 16 };
	static const char head[] =
		"<stream:stream xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>"
		"<stream:features>";
	char chunk[1024];
	struct seen s = { 0 };
	struct xmpp_stream *xs;
	struct s2s_err err;
	int rc = 0, i;

	memset(chunk, 0, sizeof(chunk));
	for (i = 0; i + 16 < (int)sizeof(chunk); i += 16)
		memcpy(chunk + i, "<dialback/>     ", 16);
	assert_int_equal(xmpp_stream_new(&lim, collect, &s, &xs, &err), 0);
	assert_int_equal(xmpp_stream_feed(xs, head, strlen(head), &err), 0);
	for (i = 0; i < 100 && rc == 0; i++)
		rc = xmpp_stream_feed(xs, chunk, strlen(chunk), &err);
	assert_int_equal(rc, S2S_ETOOBIG);
	assert_true(i <= 6);
	assert_non_null(strstr(err.msg, "element over 4096"));
	xmpp_stream_free(xs);
}

static void
test_oversize_token_refused(void **state)
{
	struct xmpp_limits lim = { 4096, 1 << 20, 16 };
	char chunk[1000];
	struct seen s = { 0 };
	struct xmpp_stream *xs;
	struct s2s_err err;
	int rc, i;

	assert_int_equal(xmpp_stream_new(&lim, collect, &s, &xs, &err), 0);
	rc = xmpp_stream_feed(xs, "<stream:stream a='", 18, &err);
	memset(chunk, 'a', sizeof(chunk));
	for (i = 0; i < 100 && rc == 0; i++)
		rc = xmpp_stream_feed(xs, chunk, sizeof(chunk), &err);
	assert_int_equal(rc, S2S_ETOOBIG);
	assert_true(i <= 6);
	xmpp_stream_free(xs);
}

static void
test_stream_total_and_depth(void **state)
{
	struct xmpp_limits lim = { 4096, 2000, 4 };
	static const char head[] =
		"<stream:stream xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>";
	struct seen s = { 0 };
	struct xmpp_stream *xs;
	struct s2s_err err;
	int rc = 0, i;

	assert_int_equal(xmpp_stream_new(&lim, collect, &s, &xs, &err), 0);
	assert_int_equal(xmpp_stream_feed(xs, head, strlen(head), &err), 0);
	for (i = 0; i < 100 && rc == 0; i++)
		rc = xmpp_stream_feed(xs, "<r/>                ", 20, &err);
	assert_int_equal(rc, S2S_ETOOBIG);
	assert_non_null(strstr(err.msg, "stream over 2000"));
	assert_int_equal(xmpp_stream_reset(xs, &err), 0);
	assert_int_equal(xmpp_stream_feed(xs, head, strlen(head), &err), 0);
	assert_int_equal(xmpp_stream_feed(xs, "<a><b><c><d>", 12, &err), S2S_ETOOBIG);
	assert_non_null(strstr(err.msg, "deep"));
	xmpp_stream_free(xs);
}

/* ejabberd 23.01 answers a dialback request it refuses by policy so. */
static const char ejabberd_db_forbidden[] =
	"<db:result from='ej.peer.test' to='xmpp.example.test' type='error'>"
	"<error type='cancel'><forbidden xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>"
	"<text xml:lang='en' xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'>Access denied by "
	"service policy</text></error></db:result>";

static void
test_db_result_error(void **state)
{
	char buf[2048];

	snprintf(buf, sizeof(buf), "%s%s", prosody_post, ejabberd_db_forbidden);
	for (size_t step = 1; step <= 9; step++) {
		struct seen s = { 0 };
		struct s2s_err err;

		assert_int_equal(feed_split(buf, strlen(buf), step, &s, &err), 0);
		assert_int_equal(s.n, 3);
		assert_int_equal(s.ev[2].type, XMPP_EV_DB_RESULT);
		assert_string_equal(s.ev[2].db_type, "error");
		assert_string_equal(s.ev[2].condition, "forbidden");
		assert_string_equal(s.ev[2].text, "Access denied by service policy");
	}
}

static void
test_db_result_invalid_and_stray(void **state)
{
	char buf[2048];
	struct seen s = { 0 };
	struct s2s_err err;

	/* a db:result in no dialback namespace is just another element */
	snprintf(buf, sizeof(buf), "%s%s%s", prosody_post,
	    "<db:result xmlns:db='urn:example:other' type='valid'/>",
	    "<db:result from='pr.peer.test' to='xmpp.example.test' type='invalid'/>");
	assert_int_equal(feed_split(buf, strlen(buf), 4, &s, &err), 0);
	assert_int_equal(s.n, 4);
	assert_int_equal(s.ev[2].type, XMPP_EV_OTHER);
	assert_int_equal(s.ev[3].type, XMPP_EV_DB_RESULT);
	assert_string_equal(s.ev[3].db_type, "invalid");
	assert_string_equal(s.ev[3].condition, "");
}

static void
test_db_formats(void **state)
{
	char buf[1024];
	struct s2s_err err;

	assert_true(xmpp_format_header(buf, sizeof(buf), "a.example", "b.example", 1, &err) > 0);
	assert_non_null(strstr(buf, " xmlns:db='jabber:server:dialback' "));
	assert_true(xmpp_format_header(buf, sizeof(buf), "a.example", "b.example", 0, &err) > 0);
	assert_null(strstr(buf, "xmlns:db"));
	assert_true(xmpp_format_db_result(buf, sizeof(buf), "a.example", "b.example", "00ff", &err) > 0);
	assert_string_equal(buf, "<db:result from='a.example' to='b.example'>00ff</db:result>");
	assert_int_equal(xmpp_format_db_result(buf, sizeof(buf), "a.example", "b.example",
	    "00FF", &err), S2S_EINVAL);
	assert_int_equal(xmpp_format_db_result(buf, sizeof(buf), "a.example", "b.example",
	    "", &err), S2S_EINVAL);
	assert_int_equal(xmpp_format_db_result(buf, sizeof(buf), "a.example", "b.example",
	    "<x/>", &err), S2S_EINVAL);
	assert_int_equal(xmpp_format_db_result(buf, sizeof(buf), "a'", "b.example",
	    "00", &err), S2S_EINVAL);
	assert_int_equal(xmpp_format_db_result(buf, 20, "a.example", "b.example",
	    "00", &err), S2S_ETOOBIG);
}

static void
test_output_formats(void **state)
{
	char buf[512];
	struct s2s_err err;

	assert_true(xmpp_format_auth_external(buf, sizeof(buf), "example.org", &err) > 0);
	assert_non_null(strstr(buf, "mechanism='EXTERNAL'>ZXhhbXBsZS5vcmc=</auth>"));
	assert_true(xmpp_format_header(buf, sizeof(buf), "a.example", "b.example", 0, &err) > 0);
	assert_non_null(strstr(buf, "from='a.example' to='b.example' version='1.0'"));
	assert_int_equal(xmpp_format_header(buf, sizeof(buf), "a'><x", "b", 0, &err), S2S_EINVAL);
	assert_int_equal(xmpp_format_header(buf, 20, "a.example", "b.example", 0, &err), S2S_ETOOBIG);
	assert_false(xmpp_domain_valid("a..b"));
	assert_false(xmpp_domain_valid(""));
	assert_true(xmpp_domain_valid("xn--bcher-kva.example"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ejabberd_features_any_split),
		cmocka_unit_test(test_prosody_features_mechanisms),
		cmocka_unit_test(test_mechanisms_list_without_external),
		cmocka_unit_test(test_sasl_failure_keeps_text),
		cmocka_unit_test(test_stream_error_then_end),
		cmocka_unit_test(test_proceed_stops_and_reset_restarts),
		cmocka_unit_test(test_restricted_xml_refused),
		cmocka_unit_test(test_not_a_stream),
		cmocka_unit_test(test_invalid_utf8_refused),
		cmocka_unit_test(test_oversize_element_refused),
		cmocka_unit_test(test_oversize_token_refused),
		cmocka_unit_test(test_stream_total_and_depth),
		cmocka_unit_test(test_output_formats),
		cmocka_unit_test(test_db_result_error),
		cmocka_unit_test(test_db_result_invalid_and_stray),
		cmocka_unit_test(test_db_formats),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
