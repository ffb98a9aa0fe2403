/*
 * probe.c: the event loop. Every (peer, certificate) pair is a job, a small
 * state machine driven by poll(2) readiness on its socket and by
 * asynchronous libunbound answers:
 *
 *   SRV -> ADDR -> CONNECT -> [STREAM pre-TLS -> <proceed/>] -> TLS
 *       -> STREAM post-TLS -> <auth/> [-> <db:result/>] -> CLOSING -> DONE
 *
 * When SASL EXTERNAL is not offered or fails and the peer offers dialback,
 * the job asks for dialback (XEP-0220) with a random key that no server
 * would call valid, and classifies the peer's answer: refused at once,
 * verified with our domain's server (answered invalid), or the callback
 * failed or did not finish within the job's deadline.
 *
 * At most `concurrency` jobs are active; each owns a socket, an SSL and an
 * expat parser only while active, so memory follows concurrency, not the
 * number of peers.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/rand.h>

#include "mem.h"
#include "probe.h"
#include "probe_int.h"
#include "resolver.h"
#include "srv.h"
#include "tls.h"
#include "xmpp.h"

#define PROBE_MAX_ADDRS		16
#define PROBE_CLOSE_GRACE_MS	1000
#define PROBE_IOBUF		16384

enum job_state {
	JS_SRV = 1, JS_ADDR, JS_CONNECT, JS_TLS, JS_STREAM, JS_CLOSING, JS_DONE
};

enum job_phase {
	PH_HEADER_PRE = 1, PH_FEATURES_PRE, PH_PROCEED,
	PH_HEADER_POST, PH_FEATURES_POST, PH_AUTH, PH_DIALBACK, PH_FINISHED
};

/* Which DNS query a callback answers. */
enum job_query { Q_SRV = 0, Q_SRVS, Q_AAAA, Q_A, Q_COUNT };

struct job;

struct job_qctx {
	struct job	*job;
	enum job_query	 q;
	int		 id;
	int		 pending;
	int		 status;
	struct resolver_answer *ans;
	char		 msg[96];
};

struct job {
	struct probe_runner	*run;
	SSL_CTX			*ctx;		/* lent: new or baseline pair */
	const char		*domain;	/* lent: opts->peers[i] */
	struct probe_attempt	*out;
	enum job_state		 state;
	enum job_phase		 phase;
	struct deadline		 dl;		/* per job */
	struct deadline		 step_dl;	/* connect attempt or close grace */
	int64_t			 t_start, t_conn, t_tls, t_auth, t_db;
	struct job_qctx		 q[Q_COUNT];
	int			 dns_ready;
	struct srv_record	 targets[SRV_MAX_RECORDS];
	size_t			 ntargets, ti;
	struct sockaddr_storage	 addrs[PROBE_MAX_ADDRS];
	size_t			 naddrs, ai;
	int			 fd;
	SSL			*ssl;
	struct tls_conn_info	 tinfo;
	int			 ssl_want_write;
	struct xmpp_stream	*xs;
	int			 xs_stop;	/* what the event callback asked for */
	int			 in_feed;	/* inside xmpp_stream_feed() */
	char			 obuf[1024];
	char			 db_why[PROBE_REASON_MAX / 2];	/* why dialback was tried */
	size_t			 olen, ooff;
	char			 last_error[200];
};

struct probe_runner {
	const struct probe_opts	*opts;
	SSL_CTX			*ctx_new, *ctx_base;
	struct resolver		*res;
	struct job		**active;
	size_t			 nactive, cap;
	size_t			 next, total, done;
	struct probe_results	*results;
	unsigned char		 iobuf[PROBE_IOBUF];
	int			 timeout_ms;
};

enum { STOP_NONE = 0, STOP_STARTTLS, STOP_FINISHED };

static void job_next_target(struct job *j);
static void job_next_addr(struct job *j);
static void job_io(struct job *j, short revents);
static int job_flush(struct job *j, struct s2s_err *e);

/* ---- finishing ---------------------------------------------------------- */

static int
ms_since(int64_t t)
{
	return t == 0 ? -1 : (int)(deadline_now_ms() - t);
}

static void
job_close_fd(struct job *j)
{
	if (j->ssl != NULL) {
		if (SSL_is_init_finished(j->ssl))
			SSL_shutdown(j->ssl);	/* close_notify, best effort */
		SSL_free(j->ssl);
		j->ssl = NULL;
	}
	if (j->fd >= 0) {
		close(j->fd);
		j->fd = -1;
	}
	xmpp_stream_free(j->xs);
	j->xs = NULL;
	j->olen = j->ooff = 0;
}

static void
job_cancel_dns(struct job *j)
{
	for (int i = 0; i < Q_COUNT; i++) {
		if (j->q[i].pending)
			resolver_cancel(j->run->res, j->q[i].id);
		j->q[i].pending = 0;
		resolver_answer_free(j->q[i].ans);
		j->q[i].ans = NULL;
	}
}

/* Release everything; deferred while expat is calling us back. */
static void
job_done(struct job *j)
{
	j->state = JS_DONE;
	if (j->in_feed)
		return;
	job_cancel_dns(j);
	job_close_fd(j);
}

static void
job_queue(struct job *j, const char *s, size_t n)
{
	if (j->olen + n > sizeof(j->obuf))
		return;		/* cannot happen: our messages are short */
	memcpy(j->obuf + j->olen, s, n);
	j->olen += n;
}

/*
 * Record the verdict. `polite`: the stream is healthy, so send
 * </stream:stream> and wait briefly for the peer's before closing.
 */
static void
job_finish(struct job *j, enum probe_verdict v, int polite, const char *fmt, ...)
{
	va_list ap;

	if (j->out->verdict == PROBE_PENDING) {
		j->out->verdict = v;
		va_start(ap, fmt);
		vsnprintf(j->out->reason, sizeof(j->out->reason), fmt, ap);
		va_end(ap);
		j->out->timing.total_ms = ms_since(j->t_start);
	}
	j->phase = PH_FINISHED;
	j->xs_stop = STOP_FINISHED;
	if (polite && j->fd >= 0 && (j->state == JS_STREAM)) {
		char buf[32];
		struct s2s_err e;
		int n = xmpp_format_close(buf, sizeof(buf), &e);

		if (n > 0)
			job_queue(j, buf, (size_t)n);
		j->state = JS_CLOSING;
		j->step_dl = deadline_in_ms(PROBE_CLOSE_GRACE_MS);
		return;		/* the loop flushes it */
	}
	job_done(j);
}

/* ---- XMPP events --------------------------------------------------------- */

static void
job_send_header(struct job *j)
{
	char buf[1024];
	struct s2s_err e;
	/* after TLS declare dialback, which the job may ask for */
	int n = xmpp_format_header(buf, sizeof(buf), j->run->opts->from, j->domain,
	    j->phase == PH_HEADER_POST, &e);

	if (n > 0)
		job_queue(j, buf, (size_t)n);
}

static void
job_copy(char *dst, size_t cap, const char *src)
{
	snprintf(dst, cap, "%s", src);
}

static void
job_on_features_pre(struct job *j, const struct xmpp_features *f)
{
	char buf[96];
	struct s2s_err e;
	int n;

	if (f->dialback)
		j->out->features |= PROBE_FEAT_PRE_DIALBACK;
	if (!f->starttls) {
		job_finish(j, PROBE_TLS_FAILED, 1,
		    "peer offers no STARTTLS: certificate not tested");
		return;
	}
	j->out->features |= PROBE_FEAT_STARTTLS;
	if (f->starttls_required)
		j->out->features |= PROBE_FEAT_STARTTLS_REQUIRED;
	if ((n = xmpp_format_starttls(buf, sizeof(buf), &e)) > 0)
		job_queue(j, buf, (size_t)n);
	j->phase = PH_PROCEED;
}

/* Ask for dialback with a key of 64 random hex digits: never a valid one. */
static void
job_try_dialback(struct job *j)
{
	unsigned char raw[32];
	char key[2 * sizeof(raw) + 1], buf[1024];
	struct s2s_err e;
	int n;

	if (RAND_bytes(raw, sizeof(raw)) != 1) {
		job_finish(j, PROBE_DIALBACK_UNVERIFIED, 1,
		    "%s; dialback offered, not tried: no random bytes", j->db_why);
		return;
	}
	for (size_t i = 0; i < sizeof(raw); i++)
		snprintf(key + 2 * i, 3, "%02x", raw[i]);
	if ((n = xmpp_format_db_result(buf, sizeof(buf), j->run->opts->from, j->domain,
	    key, &e)) < 0) {
		job_finish(j, PROBE_DIALBACK_UNVERIFIED, 1, "%s; dialback not tried: %s",
		    j->db_why, e.msg);
		return;
	}
	job_queue(j, buf, (size_t)n);
	j->t_db = deadline_now_ms();
	j->phase = PH_DIALBACK;
}

static void
job_on_features_post(struct job *j, const struct xmpp_features *f)
{
	struct probe_attempt *a = j->out;
	const char *nocert = (a->features & PROBE_FEAT_CERT_REQUESTED) ? "" :
	    " (the peer did not ask for a client certificate)";
	char buf[512];
	struct s2s_err e;
	int n;

	a->timing.features_ms = ms_since(j->t_tls);
	job_copy(a->mechanisms, sizeof(a->mechanisms), f->mechanisms);
	if (f->external)
		a->features |= PROBE_FEAT_EXTERNAL;
	if (f->dialback)
		a->features |= PROBE_FEAT_DIALBACK;
	if (f->bidi)
		a->features |= PROBE_FEAT_BIDI;
	if (f->external) {
		if ((n = xmpp_format_auth_external(buf, sizeof(buf), j->run->opts->from, &e)) > 0)
			job_queue(j, buf, (size_t)n);
		j->t_auth = deadline_now_ms();
		j->phase = PH_AUTH;
	} else if (f->dialback) {
		snprintf(j->db_why, sizeof(j->db_why), "no SASL EXTERNAL offered (mechanisms: %s)%s",
		    f->mechanisms[0] ? f->mechanisms : "none", nocert);
		job_try_dialback(j);
	} else {
		job_finish(j, PROBE_NO_AUTH, 1,
		    "neither SASL EXTERNAL nor dialback offered (mechanisms: %s)%s",
		    f->mechanisms[0] ? f->mechanisms : "none", nocert);
	}
}

static void
job_keep_words(struct job *j, const struct xmpp_event *ev)
{
	job_copy(j->out->condition, sizeof(j->out->condition),
	    ev->condition[0] ? ev->condition : "undefined-condition");
	job_copy(j->out->text, sizeof(j->out->text), ev->text);
}

static void
job_on_sasl_failure(struct job *j, const struct xmpp_event *ev)
{
	j->out->timing.auth_ms = ms_since(j->t_auth);
	job_keep_words(j, ev);
	if ((j->out->features & PROBE_FEAT_DIALBACK) == 0) {
		job_finish(j, PROBE_REJECTED, 1, "%s%s%s", j->out->condition,
		    ev->text[0] ? ": " : "", ev->text);
		return;
	}
	snprintf(j->db_why, sizeof(j->db_why), "%s%s%s (SASL EXTERNAL failed)",
	    j->out->condition, ev->text[0] ? ": " : "", ev->text);
	job_try_dialback(j);
}

/* A failed callback to our domain, not a refusal (XEP-0220 section 2.4). */
static int
db_callback_failed(const char *condition)
{
	return strcmp(condition, "remote-server-not-found") == 0 ||
	    strcmp(condition, "remote-server-timeout") == 0 ||
	    strcmp(condition, "remote-connection-failed") == 0;
}

static void
job_on_db_result(struct job *j, const struct xmpp_event *ev)
{
	struct probe_attempt *a = j->out;
	const char *cond = ev->condition[0] ? ev->condition : "undefined-condition";

	a->timing.dialback_ms = ms_since(j->t_db);
	job_copy(a->db_result, sizeof(a->db_result), ev->db_type[0] ? ev->db_type : "none");
	if (strcmp(ev->db_type, "error") == 0) {
		job_copy(a->db_condition, sizeof(a->db_condition), cond);
		job_copy(a->db_text, sizeof(a->db_text), ev->text);
	}
	if (strcmp(ev->db_type, "invalid") == 0 || strcmp(ev->db_type, "valid") == 0)
		job_finish(j, PROBE_DIALBACK_ONLY, 1,
		    "%s; dialback verified: the peer asked %s's server about our key and "
		    "answered %s (a probe's key is never valid)", j->db_why,
		    j->run->opts->from, ev->db_type);
	else if (strcmp(ev->db_type, "error") == 0 && db_callback_failed(cond))
		job_finish(j, PROBE_DIALBACK_UNVERIFIED, 1,
		    "%s; dialback unverified: the peer could not reach %s's server: %s%s%s",
		    j->db_why, j->run->opts->from, cond, ev->text[0] ? ": " : "", ev->text);
	else if (strcmp(ev->db_type, "error") == 0)
		job_finish(j, PROBE_DIALBACK_REFUSED, 1, "%s; dialback refused: %s%s%s",
		    j->db_why, cond, ev->text[0] ? ": " : "", ev->text);
	else
		job_finish(j, PROBE_DIALBACK_UNVERIFIED, 1,
		    "%s; dialback unverified: the peer answered with type '%s'",
		    j->db_why, ev->db_type);
}

/* The stream ended (error, close, EOF) while our dialback request was open. */
static void
job_db_ended(struct job *j, const char *how)
{
	j->out->timing.dialback_ms = ms_since(j->t_db);
	job_copy(j->out->db_result, sizeof(j->out->db_result), "none");
	job_finish(j, PROBE_DIALBACK_REFUSED, 0, "%s; dialback refused: %s", j->db_why, how);
}

static void
job_on_stream_error(struct job *j, const struct xmpp_event *ev)
{
	int post_tls = j->phase >= PH_HEADER_POST;
	char how[PROBE_REASON_MAX / 2];

	if (j->phase == PH_DIALBACK) {
		snprintf(how, sizeof(how), "stream error %s%s%s",
		    ev->condition[0] ? ev->condition : "undefined-condition",
		    ev->text[0] ? ": " : "", ev->text);
		job_copy(j->out->db_condition, sizeof(j->out->db_condition),
		    ev->condition[0] ? ev->condition : "undefined-condition");
		job_copy(j->out->db_text, sizeof(j->out->db_text), ev->text);
		job_db_ended(j, how);
		return;
	}
	job_keep_words(j, ev);
	/* Prosody with s2s_secure_auth refuses an untrusted certificate so. */
	job_finish(j, post_tls && strcmp(j->out->condition, "not-authorized") == 0 ?
	    PROBE_REJECTED : PROBE_STREAM_ERROR, 1, "stream error %s%s%s",
	    j->out->condition, ev->text[0] ? ": " : "", ev->text);
}

static const char *
job_waiting_for(const struct job *j)
{
	switch (j->phase) {
	case PH_HEADER_PRE:
	case PH_HEADER_POST:
		return j->phase == PH_HEADER_POST ? "the stream header after TLS" :
		    "the stream header";
	case PH_FEATURES_PRE:
		return "stream features";
	case PH_PROCEED:
		return "<proceed/>";
	case PH_FEATURES_POST:
		return "stream features after TLS";
	case PH_AUTH:
		return "the SASL EXTERNAL answer";
	case PH_DIALBACK:
		return "the answer to our dialback request";
	default:
		return "nothing";
	}
}

static int
job_on_event(void *arg, const struct xmpp_event *ev)
{
	struct job *j = arg;

	if (j->phase == PH_FINISHED)
		return ev->type == XMPP_EV_STREAM_END;
	switch (ev->type) {
	case XMPP_EV_HEADER:
		if (ev->version[0] == '\0') {
			job_finish(j, PROBE_PROTOCOL_ERROR, 1,
			    "peer stream has no version='1.0' (no STARTTLS, no SASL)");
			break;
		}
		if (j->phase == PH_HEADER_PRE)
			j->phase = PH_FEATURES_PRE;
		else if (j->phase == PH_HEADER_POST)
			j->phase = PH_FEATURES_POST;
		break;
	case XMPP_EV_FEATURES:
		if (j->phase == PH_FEATURES_PRE)
			job_on_features_pre(j, &ev->features);
		else if (j->phase == PH_FEATURES_POST)
			job_on_features_post(j, &ev->features);
		break;
	case XMPP_EV_PROCEED:
		if (j->phase == PH_PROCEED)
			j->xs_stop = STOP_STARTTLS;
		break;
	case XMPP_EV_TLS_FAILURE:
		job_finish(j, PROBE_TLS_FAILED, 0, "peer answered <starttls/> with <failure/>");
		break;
	case XMPP_EV_SASL_SUCCESS:
		if (j->phase == PH_AUTH) {
			j->out->timing.auth_ms = ms_since(j->t_auth);
			job_finish(j, PROBE_ACCEPTED, 1, "SASL EXTERNAL succeeded");
		}
		break;
	case XMPP_EV_SASL_FAILURE:
		if (j->phase == PH_AUTH)
			job_on_sasl_failure(j, ev);
		break;
	case XMPP_EV_STREAM_ERROR:
		job_on_stream_error(j, ev);
		break;
	case XMPP_EV_STREAM_END:
		if (j->phase == PH_DIALBACK)
			job_db_ended(j, "the peer closed the stream");
		else
			job_finish(j, PROBE_PROTOCOL_ERROR, 0,
			    "peer closed the stream while we waited for %s", job_waiting_for(j));
		break;
	case XMPP_EV_DB_RESULT:
		if (j->phase == PH_DIALBACK)
			job_on_db_result(j, ev);
		break;
	case XMPP_EV_OTHER:
		break;
	}
	return j->xs_stop == STOP_STARTTLS;
}

/* ---- TLS ----------------------------------------------------------------- */

static void
job_tls_done(struct job *j)
{
	struct probe_attempt *a = j->out;
	enum tls_peer_verdict pv;
	struct s2s_err e;

	a->timing.tls_ms = ms_since(j->t_tls);
	j->t_tls = deadline_now_ms();
	if (j->tinfo.cert_requested)
		a->features |= PROBE_FEAT_CERT_REQUESTED;
	pv = tls_peer_verdict(j->ssl, a->peer_cert_detail, sizeof(a->peer_cert_detail));
	a->peer_cert = pv == TLS_PEER_TRUSTED ? PROBE_PEER_CERT_TRUSTED :
	    pv == TLS_PEER_NAME_MISMATCH ? PROBE_PEER_CERT_NAME_MISMATCH :
	    PROBE_PEER_CERT_UNTRUSTED;
	if (xmpp_stream_reset(j->xs, &e) < 0) {
		job_finish(j, PROBE_PROTOCOL_ERROR, 0, "%s", e.msg);
		return;
	}
	j->state = JS_STREAM;
	j->phase = PH_HEADER_POST;
	job_send_header(j);
	job_io(j, POLLOUT);
}

static void
job_tls_step(struct job *j)
{
	struct s2s_err e;
	int rc, se;

	ERR_clear_error();
	errno = 0;
	rc = SSL_do_handshake(j->ssl);
	if (rc == 1) {
		job_tls_done(j);
		return;
	}
	se = SSL_get_error(j->ssl, rc);
	if (se == SSL_ERROR_WANT_READ || se == SSL_ERROR_WANT_WRITE) {
		j->ssl_want_write = se == SSL_ERROR_WANT_WRITE;
		return;
	}
	tls_describe_error(j->ssl, se, &j->tinfo, "TLS handshake", &e);
	job_finish(j, PROBE_TLS_FAILED, 0, "%s", e.msg);
}

static void
job_tls_start(struct job *j)
{
	struct s2s_err e;

	if (tls_session_new(j->ctx, j->fd, j->domain, j->out->direct_tls, &j->tinfo,
	    &j->ssl, &e) < 0) {
		job_finish(j, PROBE_TLS_FAILED, 0, "%s", e.msg);
		return;
	}
	j->t_tls = deadline_now_ms();
	j->state = JS_TLS;
	job_tls_step(j);
}

/* ---- stream I/O ----------------------------------------------------------- */

/* Write what is queued. 0 ok (maybe partial), -1 connection broken. */
static int
job_flush(struct job *j, struct s2s_err *e)
{
	while (j->ooff < j->olen) {
		size_t left = j->olen - j->ooff;
		ssize_t n;

		if (j->ssl != NULL) {
			int rc, se;

			ERR_clear_error();
			errno = 0;
			rc = SSL_write(j->ssl, j->obuf + j->ooff, (int)left);
			if (rc <= 0) {
				se = SSL_get_error(j->ssl, rc);
				if (se == SSL_ERROR_WANT_WRITE || se == SSL_ERROR_WANT_READ) {
					j->ssl_want_write = se == SSL_ERROR_WANT_WRITE;
					return 0;
				}
				return tls_describe_error(j->ssl, se, &j->tinfo, "TLS write", e);
			}
			n = rc;
		} else {
			n = send(j->fd, j->obuf + j->ooff, left, MSG_NOSIGNAL);
			if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
				return 0;
			if (n < 0)
				return err_set(e, S2S_ENET, "write: %s", strerror(errno));
		}
		j->ooff += (size_t)n;
	}
	j->olen = j->ooff = 0;
	return 0;
}

/* Read once. > 0 bytes, 0 nothing now, -1 EOF, -2 error (in e). */
static ssize_t
job_read(struct job *j, unsigned char *buf, size_t cap, struct s2s_err *e)
{
	if (j->ssl != NULL) {
		int rc, se;

		ERR_clear_error();
		errno = 0;
		rc = SSL_read(j->ssl, buf, (int)cap);
		if (rc > 0)
			return rc;
		se = SSL_get_error(j->ssl, rc);
		if (se == SSL_ERROR_WANT_READ || se == SSL_ERROR_WANT_WRITE) {
			j->ssl_want_write = se == SSL_ERROR_WANT_WRITE;
			return 0;
		}
		if (se == SSL_ERROR_ZERO_RETURN ||
		    (se == SSL_ERROR_SYSCALL && ERR_peek_error() == 0 && errno == 0))
			return -1;
		tls_describe_error(j->ssl, se, &j->tinfo, "TLS", e);
		return -2;
	} else {
		ssize_t n = recv(j->fd, buf, cap, 0);

		if (n > 0)
			return n;
		if (n == 0)
			return -1;
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
			return 0;
		err_set(e, S2S_ENET, "read: %s", strerror(errno));
		return -2;
	}
}

static void
job_on_eof(struct job *j)
{
	if (j->state == JS_CLOSING) {
		job_done(j);
		return;
	}
	if (j->phase == PH_DIALBACK)
		job_db_ended(j, "the peer closed the connection");
	else if (j->phase == PH_HEADER_PRE && xmpp_stream_bytes(j->xs) == 0)
		job_finish(j, PROBE_PROTOCOL_ERROR, 0,
		    "connection closed before any stream data");
	else if (j->phase == PH_HEADER_POST && xmpp_stream_bytes(j->xs) == 0)
		/* TLS 1.3: the peer judges our certificate after its Finished. */
		job_finish(j, PROBE_TLS_FAILED, 0,
		    "connection closed right after the TLS handshake");
	else
		job_finish(j, PROBE_PROTOCOL_ERROR, 0,
		    "connection closed while waiting for %s", job_waiting_for(j));
}

static void
job_on_read_error(struct job *j, const struct s2s_err *e)
{
	if (j->state == JS_CLOSING) {
		job_done(j);
		return;
	}
	if (j->phase == PH_DIALBACK) {
		char how[PROBE_REASON_MAX / 2];

		snprintf(how, sizeof(how), "connection failed: %s", e->msg);
		job_db_ended(j, how);
		return;
	}
	/* A TLS alert on the first read after the handshake: cert rejected. */
	if (j->ssl != NULL && j->phase == PH_HEADER_POST &&
	    xmpp_stream_bytes(j->xs) == 0 && j->tinfo.alert_received)
		job_finish(j, PROBE_TLS_FAILED, 0, "peer rejected our certificate: %s", e->msg);
	else if (j->ssl != NULL)
		job_finish(j, PROBE_TLS_FAILED, 0, "%s", e->msg);
	else if (j->phase == PH_HEADER_PRE && xmpp_stream_bytes(j->xs) == 0)
		job_finish(j, PROBE_PROTOCOL_ERROR, 0,
		    "connection closed before any stream data (%s)", e->msg);
	else
		job_finish(j, PROBE_PROTOCOL_ERROR, 0, "%s while waiting for %s", e->msg,
		    job_waiting_for(j));
}

/* Feed one chunk; returns 1 when the job left the read loop's state. */
static int
job_feed(struct job *j, const unsigned char *buf, size_t n)
{
	struct s2s_err e;
	int rc;

	j->in_feed = 1;
	rc = xmpp_stream_feed(j->xs, buf, n, &e);
	j->in_feed = 0;
	if (j->state == JS_DONE) {
		job_done(j);
		return 1;
	}
	if (rc < 0) {
		if (j->state == JS_CLOSING)
			job_done(j);
		else
			job_finish(j, PROBE_PROTOCOL_ERROR, 0, "peer sent bad XML: %s", e.msg);
		return 1;
	}
	if (j->xs_stop == STOP_STARTTLS) {
		j->xs_stop = STOP_NONE;
		if (xmpp_stream_reset(j->xs, &e) < 0) {
			job_finish(j, PROBE_PROTOCOL_ERROR, 0, "%s", e.msg);
			return 1;
		}
		job_tls_start(j);
		return 1;
	}
	if (j->state == JS_CLOSING && rc == 1) {
		/* The peer's </stream:stream>: say ours if still queued, then go. */
		job_flush(j, &e);
		job_done(j);
		return 1;
	}
	return j->state != JS_STREAM && j->state != JS_CLOSING;
}

static void
job_stream_io(struct job *j)
{
	struct s2s_err e;

	if (job_flush(j, &e) < 0) {
		if (j->state == JS_CLOSING)
			job_done(j);
		else
			job_finish(j, j->ssl != NULL ? PROBE_TLS_FAILED : PROBE_PROTOCOL_ERROR,
			    0, "%s", e.msg);
		return;
	}
	for (;;) {
		ssize_t n = job_read(j, j->run->iobuf, sizeof(j->run->iobuf), &e);

		if (n == 0)
			return;
		if (n == -1) {
			job_on_eof(j);
			return;
		}
		if (n < 0) {
			job_on_read_error(j, &e);
			return;
		}
		if (job_feed(j, j->run->iobuf, (size_t)n))
			return;
		if (j->olen > 0 && job_flush(j, &e) < 0) {
			job_finish(j, j->ssl != NULL ? PROBE_TLS_FAILED : PROBE_PROTOCOL_ERROR,
			    0, "%s", e.msg);
			return;
		}
	}
}

/* ---- connecting ----------------------------------------------------------- */

static void
job_addr_text(const struct sockaddr_storage *ss, char *buf, size_t len, int *port)
{
	if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const void *)ss;

		inet_ntop(AF_INET6, &s6->sin6_addr, buf, (socklen_t)len);
		*port = ntohs(s6->sin6_port);
	} else {
		const struct sockaddr_in *s4 = (const void *)ss;

		inet_ntop(AF_INET, &s4->sin_addr, buf, (socklen_t)len);
		*port = ntohs(s4->sin_port);
	}
}

static void
job_connected(struct job *j)
{
	struct probe_attempt *a = j->out;
	const struct srv_record *t = &j->targets[j->ti - 1];
	struct s2s_err e;

	job_addr_text(&j->addrs[j->ai], a->address, sizeof(a->address), &a->port);
	a->direct_tls = t->direct_tls;
	a->timing.connect_ms = ms_since(j->t_conn);
	if (xmpp_stream_new(NULL, job_on_event, j, &j->xs, &e) < 0) {
		job_finish(j, PROBE_PROTOCOL_ERROR, 0, "%s", e.msg);
		return;
	}
	if (t->direct_tls) {
		job_tls_start(j);
		return;
	}
	j->state = JS_STREAM;
	j->phase = PH_HEADER_PRE;
	job_send_header(j);
	job_stream_io(j);
}

static void
job_connect_failed(struct job *j, const char *why)
{
	char addr[PROBE_ADDR_MAX];
	int port;

	job_addr_text(&j->addrs[j->ai], addr, sizeof(addr), &port);
	snprintf(j->last_error, sizeof(j->last_error), "%s port %d: %s", addr, port, why);
	job_close_fd(j);
	j->ai++;
	job_next_addr(j);
}

static int
job_connect_cap_ms(const struct job *j)
{
	int cap = j->run->timeout_ms / 3;

	return cap < 1000 ? 1000 : cap;
}

static void
job_next_addr(struct job *j)
{
	while (j->ai < j->naddrs) {
		const struct sockaddr_storage *ss = &j->addrs[j->ai];
		socklen_t sl = ss->ss_family == AF_INET6 ? sizeof(struct sockaddr_in6) :
		    sizeof(struct sockaddr_in);

		if (j->t_conn == 0) {
			j->t_conn = deadline_now_ms();
			j->out->timing.resolve_ms = ms_since(j->t_start);
		}
		j->fd = socket(ss->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (j->fd < 0) {
			snprintf(j->last_error, sizeof(j->last_error), "socket: %s", strerror(errno));
			j->ai++;
			continue;
		}
		if (connect(j->fd, (const struct sockaddr *)ss, sl) == 0) {
			job_connected(j);
			return;
		}
		if (errno == EINPROGRESS) {
			j->state = JS_CONNECT;
			j->step_dl = deadline_min(j->dl, deadline_in_ms(job_connect_cap_ms(j)));
			return;
		}
		job_connect_failed(j, strerror(errno));
		return;
	}
	job_next_target(j);
}

static void
job_connect_ready(struct job *j)
{
	int soerr = 0;
	socklen_t len = sizeof(soerr);

	if (getsockopt(j->fd, SOL_SOCKET, SO_ERROR, &soerr, &len) < 0)
		soerr = errno;
	if (soerr != 0) {
		job_connect_failed(j, strerror(soerr));
		return;
	}
	job_connected(j);
}

/* ---- resolving ------------------------------------------------------------ */

static void
job_dns_cb(void *arg, int status, struct resolver_answer *ans, const char *msg)
{
	struct job_qctx *q = arg;

	q->pending = 0;
	q->status = status;
	q->ans = ans;
	if (msg != NULL)
		snprintf(q->msg, sizeof(q->msg), "%s", msg);
	q->job->dns_ready = 1;
}

static int
job_query(struct job *j, enum job_query qi, const char *name, int type)
{
	struct job_qctx *q = &j->q[qi];
	struct s2s_err e;

	q->job = j;
	q->q = qi;
	q->status = 0;
	q->ans = NULL;
	q->msg[0] = '\0';
	q->pending = 1;
	if (resolver_query_async(j->run->res, name, type, job_dns_cb, q, &q->id, &e) < 0) {
		q->pending = 0;
		q->status = e.code;
		snprintf(q->msg, sizeof(q->msg), "%s", e.msg);
		return -1;
	}
	return 0;
}

static void
job_next_target(struct job *j)
{
	const struct srv_record *t;
	char name[SRV_TARGET_MAX];

	if (j->ti >= j->ntargets) {
		job_finish(j, PROBE_UNREACHABLE, 0, "%s",
		    j->last_error[0] ? j->last_error : "no address to connect to");
		return;
	}
	t = &j->targets[j->ti++];
	j->naddrs = j->ai = 0;
	if (resolver_parse_ip(t->target, t->port, &j->addrs[0])) {
		j->naddrs = 1;
		job_next_addr(j);
		return;
	}
	snprintf(name, sizeof(name), "%s", t->target);
	j->state = JS_ADDR;
	job_query(j, Q_AAAA, name, RESOLVER_TYPE_AAAA);
	job_query(j, Q_A, name, RESOLVER_TYPE_A);
	j->dns_ready = 1;	/* failures to start count as answered */
}

static void
job_addr_collect(struct job *j, struct job_qctx *q, int family)
{
	struct resolver_answer *ans = q->ans;

	if (q->status < 0 || ans == NULL)
		return;
	for (size_t i = 0; i < ans->n && j->naddrs < PROBE_MAX_ADDRS; i++) {
		struct sockaddr_storage *ss = &j->addrs[j->naddrs];
		int port = j->targets[j->ti - 1].port;

		memset(ss, 0, sizeof(*ss));
		if (family == AF_INET6 && ans->rr[i].len == 16) {
			struct sockaddr_in6 *s6 = (void *)ss;

			s6->sin6_family = AF_INET6;
			s6->sin6_port = htons((uint16_t)port);
			memcpy(&s6->sin6_addr, ans->rr[i].data, 16);
			j->naddrs++;
		} else if (family == AF_INET && ans->rr[i].len == 4) {
			struct sockaddr_in *s4 = (void *)ss;

			s4->sin_family = AF_INET;
			s4->sin_port = htons((uint16_t)port);
			memcpy(&s4->sin_addr, ans->rr[i].data, 4);
			j->naddrs++;
		}
	}
}

static void
job_addr_answered(struct job *j)
{
	const char *target = j->targets[j->ti - 1].target;

	job_addr_collect(j, &j->q[Q_AAAA], AF_INET6);
	job_addr_collect(j, &j->q[Q_A], AF_INET);
	if (j->naddrs == 0) {
		const char *why = j->q[Q_A].msg[0] ? j->q[Q_A].msg :
		    (j->q[Q_A].ans != NULL && j->q[Q_A].ans->nxdomain) ? "NXDOMAIN" :
		    "no A or AAAA record";

		snprintf(j->last_error, sizeof(j->last_error), "%s: %s", target, why);
	}
	job_cancel_dns(j);
	job_next_addr(j);
}

static size_t
job_srv_collect(struct job *j, struct job_qctx *q, int direct, struct srv_record *recs,
    size_t n)
{
	struct s2s_err e;

	if (q->status < 0 || q->ans == NULL)
		return n;
	for (size_t i = 0; i < q->ans->n && n < SRV_MAX_RECORDS; i++)
		if (srv_parse(q->ans->rr[i].data, q->ans->rr[i].len, direct, &recs[n], &e) == 0)
			n++;
	return n;
}

static void
job_srv_answered(struct job *j)
{
	size_t n_plain, n_direct;

	if (j->q[Q_SRV].status < 0 && j->q[Q_SRVS].status < 0) {
		job_finish(j, PROBE_UNREACHABLE, 0, "DNS: %s", j->q[Q_SRV].msg);
		return;
	}
	n_plain = job_srv_collect(j, &j->q[Q_SRV], 0, j->targets, 0);
	if (srv_is_no_service(j->targets, n_plain)) {
		j->ntargets = 0;
		n_direct = job_srv_collect(j, &j->q[Q_SRVS], 1, j->targets, 0);
		j->ntargets = srv_drop_dot(j->targets, n_direct);
		if (j->ntargets == 0) {
			job_finish(j, PROBE_NO_SERVICE, 0,
			    "_xmpp-server._tcp.%s has target \".\": no s2s service", j->domain);
			return;
		}
	} else {
		n_direct = job_srv_collect(j, &j->q[Q_SRVS], 1, j->targets, n_plain);
		j->ntargets = srv_drop_dot(j->targets, n_direct);
	}
	if (j->ntargets == 0) {
		/* No SRV at all: the domain itself on 5269 (RFC 6120 3.2.2). */
		memset(&j->targets[0], 0, sizeof(j->targets[0]));
		snprintf(j->targets[0].target, sizeof(j->targets[0].target), "%s", j->domain);
		j->targets[0].port = XMPP_S2S_PORT;
		j->ntargets = 1;
	} else {
		srv_order(j->targets, j->ntargets, NULL, NULL);
	}
	job_cancel_dns(j);
	j->ti = 0;
	job_next_target(j);
}

static void
job_dns_progress(struct job *j)
{
	if (!j->dns_ready)
		return;
	j->dns_ready = 0;
	if (j->state == JS_SRV && !j->q[Q_SRV].pending && !j->q[Q_SRVS].pending)
		job_srv_answered(j);
	else if (j->state == JS_ADDR && !j->q[Q_A].pending && !j->q[Q_AAAA].pending)
		job_addr_answered(j);
}

/* ---- job lifecycle -------------------------------------------------------- */

static const struct probe_override *
job_override(const struct probe_opts *o, const char *domain)
{
	for (size_t i = 0; i < o->noverrides; i++)
		if (strcasecmp(o->overrides[i].domain, domain) == 0)
			return &o->overrides[i];
	return NULL;
}

static void
job_start(struct job *j)
{
	const struct probe_opts *o = j->run->opts;
	const struct probe_override *ov = job_override(o, j->domain);
	char name[PROBE_DOMAIN_MAX + 32];

	j->t_start = deadline_now_ms();
	j->dl = deadline_min(deadline_in_ms(j->run->timeout_ms), o->deadline);
	j->fd = -1;
	memset(&j->out->timing, 0xff, sizeof(j->out->timing));	/* all -1 */
	if (ov != NULL) {
		snprintf(j->targets[0].target, sizeof(j->targets[0].target), "%s", ov->host);
		j->targets[0].port = (uint16_t)ov->port;
		j->targets[0].direct_tls = ov->direct_tls;
		j->ntargets = 1;
		job_next_target(j);
		return;
	}
	j->state = JS_SRV;
	snprintf(name, sizeof(name), "_xmpp-server._tcp.%s", j->domain);
	job_query(j, Q_SRV, name, RESOLVER_TYPE_SRV);
	snprintf(name, sizeof(name), "_xmpps-server._tcp.%s", j->domain);
	job_query(j, Q_SRVS, name, RESOLVER_TYPE_SRV);
	j->dns_ready = 1;
}

static void
job_timeout(struct job *j)
{
	switch (j->state) {
	case JS_SRV:
	case JS_ADDR:
		job_finish(j, PROBE_UNREACHABLE, 0, "DNS lookup timed out");
		break;
	case JS_CONNECT:
		job_finish(j, PROBE_UNREACHABLE, 0, "%s%sconnect timed out",
		    j->last_error, j->last_error[0] ? "; then " : "");
		break;
	case JS_TLS:
		job_finish(j, PROBE_TLS_FAILED, 0, "TLS handshake timed out");
		break;
	case JS_STREAM:
		if (j->phase == PH_DIALBACK) {
			j->out->timing.dialback_ms = ms_since(j->t_db);
			job_copy(j->out->db_result, sizeof(j->out->db_result), "none");
			job_finish(j, PROBE_DIALBACK_UNVERIFIED, 0,
			    "%s; dialback unverified: no answer to our request within the "
			    "deadline (%d ms; the peer may still be calling %s's server)",
			    j->db_why, j->out->timing.dialback_ms, j->run->opts->from);
		} else if (j->ssl == NULL)
			job_finish(j, PROBE_UNREACHABLE, 0, "timed out waiting for %s (connected)",
			    job_waiting_for(j));
		else
			job_finish(j, PROBE_PROTOCOL_ERROR, 0, "timed out waiting for %s",
			    job_waiting_for(j));
		break;
	default:
		job_done(j);
		break;
	}
}

/* A step deadline (connect attempt, close grace) or the job's passed? */
static void
job_check_time(struct job *j)
{
	if (j->state == JS_DONE)
		return;
	if (j->state == JS_CLOSING) {
		if (deadline_expired(&j->step_dl))
			job_done(j);
		return;
	}
	if (deadline_expired(&j->dl)) {
		job_timeout(j);
		return;
	}
	if (j->state == JS_CONNECT && deadline_expired(&j->step_dl))
		job_connect_failed(j, "connect timed out");
}

static void
job_io(struct job *j, short revents)
{
	switch (j->state) {
	case JS_CONNECT:
		if (revents & (POLLOUT | POLLERR | POLLHUP))
			job_connect_ready(j);
		break;
	case JS_TLS:
		job_tls_step(j);
		break;
	case JS_STREAM:
	case JS_CLOSING:
		job_stream_io(j);
		break;
	default:
		break;
	}
}

static short
job_events(const struct job *j)
{
	switch (j->state) {
	case JS_CONNECT:
		return POLLOUT;
	case JS_TLS:
		return j->ssl_want_write ? POLLOUT : POLLIN;
	case JS_STREAM:
	case JS_CLOSING:
		return POLLIN | ((j->olen > 0 || j->ssl_want_write) ? POLLOUT : 0);
	default:
		return 0;
	}
}

static int
job_wait_ms(const struct job *j)
{
	int left = deadline_left_ms(&j->dl);

	if (j->state == JS_CONNECT || j->state == JS_CLOSING) {
		int step = deadline_left_ms(&j->step_dl);

		if (j->state == JS_CLOSING || step < left)
			left = step;
	}
	return left;
}

/* ---- the runner ------------------------------------------------------------ */

static int
runner_spawn(struct probe_runner *r)
{
	const struct probe_opts *o = r->opts;

	while (r->nactive < r->cap && r->next < r->total) {
		struct job *j;
		size_t peer = r->ctx_base != NULL ? r->next / 2 : r->next;
		int base = r->ctx_base != NULL && (r->next % 2) == 1;

		if (deadline_expired(&o->deadline))
			return 0;
		if ((j = mem_calloc(1, sizeof(*j))) == NULL)
			return S2S_ENOMEM;
		j->run = r;
		j->domain = o->peers[peer];
		j->ctx = base ? r->ctx_base : r->ctx_new;
		j->out = base ? &r->results->v[peer].baseline : &r->results->v[peer].probe;
		r->active[r->nactive++] = j;
		r->next++;
		job_start(j);
	}
	return 0;
}

/* Drop finished jobs from the active list. */
static void
runner_reap(struct probe_runner *r)
{
	size_t w = 0;

	for (size_t i = 0; i < r->nactive; i++) {
		if (r->active[i]->state == JS_DONE) {
			job_done(r->active[i]);
			mem_free(r->active[i]);
			r->done++;
		} else {
			r->active[w] = r->active[i];
			w++;
		}
	}
	r->nactive = w;
}

static void
runner_progress(struct probe_runner *r, int64_t *last)
{
	int64_t now = deadline_now_ms();

	if (r->opts->progress == NULL || now - *last < 200)
		return;
	*last = now;
	r->opts->progress(r->opts->progress_arg, r->done, r->total);
}

static int
runner_poll(struct probe_runner *r, struct pollfd *pfd)
{
	size_t n = 0;
	int wait = 250, rfd = resolver_fd(r->res);

	for (size_t i = 0; i < r->nactive; i++) {
		struct job *j = r->active[i];
		int w = job_wait_ms(j);

		pfd[n].fd = j->fd;
		pfd[n].events = j->fd >= 0 ? job_events(j) : 0;
		pfd[n].revents = 0;
		n++;
		if (w < wait)
			wait = w;
	}
	pfd[n].fd = rfd;
	pfd[n].events = POLLIN;
	pfd[n].revents = 0;
	if (poll(pfd, n + 1, wait) < 0 && errno != EINTR)
		return S2S_EIO;
	return 0;
}

static int
runner_loop(struct probe_runner *r, struct pollfd *pfd)
{
	int64_t last = 0;
	struct s2s_err e;
	int rc;

	while (r->nactive > 0 || (r->next < r->total && !deadline_expired(&r->opts->deadline))) {
		if ((rc = runner_spawn(r)) < 0)
			return rc;
		if (r->nactive == 0)
			break;
		if ((rc = runner_poll(r, pfd)) < 0)
			return rc;
		if (pfd[r->nactive].revents & POLLIN)
			resolver_process(r->res, &e);
		for (size_t i = 0; i < r->nactive; i++) {
			struct job *j = r->active[i];

			job_dns_progress(j);
			if (pfd[i].revents != 0 && j->fd == pfd[i].fd && j->state != JS_DONE)
				job_io(j, pfd[i].revents);
			job_check_time(j);
		}
		runner_reap(r);
		runner_progress(r, &last);
	}
	if (r->opts->progress != NULL)
		r->opts->progress(r->opts->progress_arg, r->done, r->total);
	return 0;
}

static void
runner_mark_unprobed(struct probe_runner *r)
{
	for (size_t i = 0; i < r->results->n; i++) {
		struct probe_result *res = &r->results->v[i];
		struct probe_attempt *a[2] = { &res->probe, &res->baseline };

		for (int k = 0; k < (res->has_baseline ? 2 : 1); k++)
			if (a[k]->verdict == PROBE_PENDING) {
				r->results->deadline_hit = 1;
				snprintf(a[k]->reason, sizeof(a[k]->reason),
				    "not probed: the run's deadline passed");
			}
		res->regression = res->has_baseline &&
		    res->baseline.verdict == PROBE_ACCEPTED &&
		    res->probe.verdict != PROBE_ACCEPTED;
	}
}

static int
runner_results_new(const struct probe_opts *o, int baseline, struct probe_results **out,
    struct s2s_err *err)
{
	struct probe_results *res;

	if ((res = mem_calloc(1, sizeof(*res))) == NULL ||
	    (res->v = mem_calloc(o->npeers, sizeof(*res->v))) == NULL) {
		mem_free(res);
		return err_set(err, S2S_ENOMEM, "probe results: out of memory");
	}
	res->n = o->npeers;
	for (size_t i = 0; i < o->npeers; i++) {
		snprintf(res->v[i].peer, sizeof(res->v[i].peer), "%s", o->peers[i]);
		res->v[i].has_baseline = baseline;
	}
	*out = res;
	return 0;
}

static int
probe_opts_check(const struct probe_opts *o, struct s2s_err *err)
{
	if (o->from == NULL || !xmpp_domain_valid(o->from))
		return err_set(err, S2S_EINVAL, "--from %s: not a valid domain",
		    o->from != NULL ? o->from : "(missing)");
	if (o->cert_path == NULL || o->key_path == NULL)
		return err_set(err, S2S_EINVAL, "a certificate and a key are required");
	if ((o->baseline_cert_path == NULL) != (o->baseline_key_path == NULL))
		return err_set(err, S2S_EINVAL, "--baseline-cert and --baseline-key go together");
	for (size_t i = 0; i < o->npeers; i++)
		if (!xmpp_domain_valid(o->peers[i]))
			return err_set(err, S2S_EINVAL, "peer %s: not a valid domain", o->peers[i]);
	for (size_t i = 0; i < o->noverrides; i++)
		if (o->overrides[i].port <= 0 || o->overrides[i].port > 65535)
			return err_set(err, S2S_EINVAL, "--peer %s: bad port", o->overrides[i].domain);
	return 0;
}

int
probe_prepare(const struct probe_opts *o, struct probe_prepared **out, struct s2s_err *err)
{
	struct probe_prepared *p;
	int rc;

	*out = NULL;
	if ((rc = probe_opts_check(o, err)) < 0)
		return rc;
	if ((p = mem_calloc(1, sizeof(*p))) == NULL)
		return err_set(err, S2S_ENOMEM, "probe: out of memory");
	if ((rc = tls_client_new(o->cert_path, o->key_path, o->ca_file, &p->ctx_new, err)) < 0)
		goto fail;
	if (o->baseline_cert_path != NULL &&
	    (rc = tls_client_new(o->baseline_cert_path, o->baseline_key_path, o->ca_file,
	    &p->ctx_base, err)) < 0)
		goto fail;
	if ((rc = resolver_new(o->resolver, NULL, &p->res, err)) < 0)
		goto fail;
	*out = p;
	return 0;
fail:
	probe_prepared_free(p);
	return rc;
}

void
probe_prepared_free(struct probe_prepared *p)
{
	if (p == NULL)
		return;
	SSL_CTX_free(p->ctx_new);
	SSL_CTX_free(p->ctx_base);
	resolver_free(p->res);
	mem_free(p);
}

int
probe_run_prepared(const struct probe_opts *o, struct probe_prepared *p,
    struct probe_results **out, struct s2s_err *err)
{
	struct probe_runner *r;
	struct pollfd *pfd = NULL;
	struct sigaction ign, old;
	int rc;

	*out = NULL;
	if ((r = mem_calloc(1, sizeof(*r))) == NULL)
		return err_set(err, S2S_ENOMEM, "probe: out of memory");
	r->opts = o;
	r->ctx_new = p->ctx_new;
	r->ctx_base = p->ctx_base;
	r->res = p->res;
	r->timeout_ms = o->timeout_ms > 0 ? o->timeout_ms : PROBE_DEFAULT_TIMEOUT_MS;
	r->cap = o->concurrency > 0 ? (size_t)o->concurrency : PROBE_DEFAULT_CONCURRENCY;
	r->total = o->npeers * (p->ctx_base != NULL ? 2 : 1);
	if ((rc = runner_results_new(o, p->ctx_base != NULL, &r->results, err)) < 0)
		goto out;
	if ((r->active = mem_calloc(r->cap, sizeof(*r->active))) == NULL ||
	    (pfd = mem_calloc(r->cap + 1, sizeof(*pfd))) == NULL) {
		rc = err_set(err, S2S_ENOMEM, "probe: out of memory");
		goto out;
	}
	/* SSL_write to a peer that went away must not kill us. */
	memset(&ign, 0, sizeof(ign));
	ign.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &ign, &old);
	rc = runner_loop(r, pfd);
	sigaction(SIGPIPE, &old, NULL);
	if (rc < 0) {
		err_set(err, rc, "probe: event loop failed: %s", strerror(errno));
		goto out;
	}
	runner_mark_unprobed(r);
	*out = r->results;
	r->results = NULL;
out:
	for (size_t i = 0; i < r->nactive; i++) {
		job_done(r->active[i]);
		mem_free(r->active[i]);
	}
	probe_results_free(r->results);
	mem_free(r->active);
	mem_free(pfd);
	mem_free(r);
	return rc;
}

int
probe_run(const struct probe_opts *o, struct probe_results **out, struct s2s_err *err)
{
	struct probe_prepared *p;
	int rc;

	*out = NULL;
	if ((rc = probe_prepare(o, &p, err)) < 0)
		return rc;
	rc = probe_run_prepared(o, p, out, err);
	probe_prepared_free(p);
	return rc;
}
