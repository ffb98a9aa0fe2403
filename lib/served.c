/*
 * served.c: find a domain's own endpoints (SRV or `server =`), connect to
 * each in turn, do STARTTLS (xmpp.c) or direct TLS (tls.c), and keep the
 * leaf the server presents. One blocking connection at a time, every step
 * bounded by the endpoint's deadline: a server has a handful of endpoints,
 * not thousands of peers.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>

#include "cert.h"
#include "mem.h"
#include "resolver.h"
#include "served.h"
#include "srv.h"
#include "tls.h"
#include "xmpp.h"

#define SV_MAX_ADDRS	8

/* ---- endpoints ------------------------------------------------------------ */

static struct served_endpoint *
sv_add(struct served_results *r, enum server_transport t, const char *source,
    const char *host, int port)
{
	struct served_endpoint *e;

	for (size_t i = 0; i < r->n; i++)
		if (r->v[i].transport == t && r->v[i].port == port &&
		    strcasecmp(r->v[i].host, host) == 0)
			return NULL;
	if (r->n >= SERVED_MAX_ENDPOINTS)
		return NULL;
	e = &r->v[r->n++];
	memset(e, 0, sizeof(*e));
	e->transport = t;
	snprintf(e->source, sizeof(e->source), "%s", source);
	snprintf(e->host, sizeof(e->host), "%s", host);
	e->port = port;
	e->status = SERVED_UNREACHABLE;
	snprintf(e->detail, sizeof(e->detail), "not tried: the deadline passed");
	return e;
}

/* The SRV records of one service name; -1 when the lookup failed. */
static int
sv_srv(struct resolver *res, const char *service, const char *domain, int direct,
    const struct deadline *dl, struct srv_record *recs, size_t *n)
{
	struct resolver_answer *ans = NULL;
	struct s2s_err e;
	char name[SERVED_HOST_MAX + 32];

	*n = 0;
	snprintf(name, sizeof(name), "%s.%s", service, domain);
	if (resolver_query(res, name, RESOLVER_TYPE_SRV, dl, &ans, &e) < 0)
		return -1;
	for (size_t i = 0; i < ans->n && *n < SRV_MAX_RECORDS; i++)
		if (srv_parse(ans->rr[i].data, ans->rr[i].len, direct, &recs[*n], &e) == 0)
			(*n)++;
	resolver_answer_free(ans);
	return 0;
}

static void
sv_add_srv(struct served_results *r, struct srv_record *recs, size_t n,
    enum server_transport t, const char *source)
{
	n = srv_drop_dot(recs, n);
	srv_order(recs, n, NULL, NULL);
	for (size_t i = 0; i < n; i++)
		sv_add(r, t, source, recs[i].target, recs[i].port);
}

static void
sv_discover(struct resolver *res, const struct served_opts *o, struct served_results *r)
{
	struct srv_record plain[SRV_MAX_RECORDS], direct[SRV_MAX_RECORDS];
	size_t np = 0, nd = 0;
	const struct deadline *dl = &o->deadline;

	sv_srv(res, "_xmpp-server._tcp", o->domain, 0, dl, plain, &np);
	sv_srv(res, "_xmpps-server._tcp", o->domain, 1, dl, direct, &nd);
	if (srv_is_no_service(plain, np) && srv_drop_dot(direct, nd) == 0) {
		snprintf(r->note, sizeof(r->note),
		    "_xmpp-server._tcp.%s has target \".\": no s2s service", o->domain);
	} else if (!srv_is_no_service(plain, np) && np + nd == 0) {
		sv_add(r, SERVER_S2S_STARTTLS, "no SRV: port 5269", o->domain, XMPP_S2S_PORT);
	} else {
		if (!srv_is_no_service(plain, np))
			sv_add_srv(r, plain, np, SERVER_S2S_STARTTLS, "_xmpp-server._tcp");
		sv_add_srv(r, direct, nd, SERVER_S2S_DIRECT_TLS, "_xmpps-server._tcp");
	}
	if (!o->c2s)
		return;
	sv_srv(res, "_xmpp-client._tcp", o->domain, 0, dl, plain, &np);
	if (srv_is_no_service(plain, np))
		return;
	if (np == 0)
		sv_add(r, SERVER_C2S_STARTTLS, "no SRV: port 5222", o->domain, XMPP_C2S_PORT);
	else
		sv_add_srv(r, plain, np, SERVER_C2S_STARTTLS, "_xmpp-client._tcp");
}

/* ---- addresses ------------------------------------------------------------ */

static size_t
sv_resolve(struct resolver *res, const struct served_endpoint *e, const struct deadline *dl,
    struct sockaddr_storage *out, size_t cap)
{
	static const int types[2] = { RESOLVER_TYPE_AAAA, RESOLVER_TYPE_A };
	size_t n = 0;

	if (resolver_parse_ip(e->host, e->port, &out[0]))
		return 1;
	for (int t = 0; t < 2; t++) {
		struct resolver_answer *ans = NULL;
		struct s2s_err err;
		size_t want = types[t] == RESOLVER_TYPE_A ? 4 : 16;

		if (resolver_query(res, e->host, types[t], dl, &ans, &err) < 0)
			continue;
		for (size_t i = 0; i < ans->n && n < cap; i++) {
			char text[SERVED_ADDR_MAX];

			if (ans->rr[i].len != want ||
			    inet_ntop(want == 4 ? AF_INET : AF_INET6, ans->rr[i].data, text,
			    sizeof(text)) == NULL)
				continue;
			if (resolver_parse_ip(text, e->port, &out[n]))
				n++;
		}
		resolver_answer_free(ans);
	}
	return n;
}

/* ---- one connection ------------------------------------------------------- */

struct sv_conn {
	struct served_endpoint	*e;
	const char		*domain;
	struct deadline		 dl;
	int			 fd;
	SSL			*ssl;
	struct tls_conn_info	 tinfo;
};

/* 1 ready, 0 deadline, -1 poll error. */
static int
sv_wait(int fd, short events, const struct deadline *dl)
{
	struct pollfd p = { .fd = fd, .events = events };
	int rc;

	do {
		rc = poll(&p, 1, deadline_left_ms(dl));
	} while (rc < 0 && errno == EINTR);
	return rc < 0 ? -1 : rc > 0;
}

static void
sv_set(struct served_endpoint *e, enum served_status s, const char *why)
{
	e->status = s;
	snprintf(e->detail, sizeof(e->detail), "%s", why);
}

static int
sv_connect_one(struct sv_conn *c, const struct sockaddr_storage *ss, char *why, size_t len,
    int *refused)
{
	socklen_t sl = ss->ss_family == AF_INET6 ? sizeof(struct sockaddr_in6) :
	    sizeof(struct sockaddr_in);
	int soerr = 0;
	socklen_t el = sizeof(soerr);

	c->fd = socket(ss->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0) {
		snprintf(why, len, "socket: %s", strerror(errno));
		return -1;
	}
	if (connect(c->fd, (const struct sockaddr *)ss, sl) < 0) {
		if (errno != EINPROGRESS)
			soerr = errno;
		else if (sv_wait(c->fd, POLLOUT, &c->dl) <= 0)
			soerr = ETIMEDOUT;
		else if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &soerr, &el) < 0)
			soerr = errno;
	}
	if (soerr == 0)
		return 0;
	*refused |= soerr == ECONNREFUSED;
	snprintf(why, len, "%s", soerr == ETIMEDOUT ? "connect timed out" : strerror(soerr));
	close(c->fd);
	c->fd = -1;
	return -1;
}

static void
sv_addr_text(const struct sockaddr_storage *ss, char *buf, size_t len)
{
	const void *a = ss->ss_family == AF_INET6 ?
	    (const void *)&((const struct sockaddr_in6 *)(const void *)ss)->sin6_addr :
	    (const void *)&((const struct sockaddr_in *)(const void *)ss)->sin_addr;

	if (inet_ntop(ss->ss_family, a, buf, (socklen_t)len) == NULL)
		snprintf(buf, len, "?");
}

static int
sv_connect(struct sv_conn *c, struct resolver *res)
{
	struct sockaddr_storage addrs[SV_MAX_ADDRS];
	size_t n = sv_resolve(res, c->e, &c->dl, addrs, SV_MAX_ADDRS);
	char why[160] = "";
	int refused = 0;

	if (n == 0) {
		snprintf(why, sizeof(why), "%.100s: no A or AAAA record", c->e->host);
		sv_set(c->e, SERVED_UNREACHABLE, why);
		return -1;
	}
	c->e->resolved = 1;
	for (size_t i = 0; i < n && !deadline_expired(&c->dl); i++) {
		if (sv_connect_one(c, &addrs[i], why, sizeof(why), &refused) == 0) {
			sv_addr_text(&addrs[i], c->e->address, sizeof(c->e->address));
			return 0;
		}
	}
	sv_set(c->e, refused && c->e->transport == SERVER_C2S_STARTTLS ? SERVED_CLOSED :
	    SERVED_UNREACHABLE, why[0] ? why : "connect timed out");
	return -1;
}

static int
sv_send(struct sv_conn *c, const char *buf, int n)
{
	size_t off = 0;

	while (n > 0 && off < (size_t)n) {
		ssize_t w = send(c->fd, buf + off, (size_t)n - off, MSG_NOSIGNAL);

		if (w < 0 && (errno == EAGAIN || errno == EINTR)) {
			if (sv_wait(c->fd, POLLOUT, &c->dl) <= 0)
				return -1;
			continue;
		}
		if (w <= 0)
			return -1;
		off += (size_t)w;
	}
	return n > 0 ? 0 : -1;
}

/* ---- STARTTLS ------------------------------------------------------------- */

enum sv_phase { SV_HEADER = 0, SV_FEATURES, SV_PROCEED, SV_GO, SV_STOP };

struct sv_stream {
	enum sv_phase	phase;
	int		starttls;
	char		why[SERVED_DETAIL_MAX];
};

static int
sv_on_event(void *arg, const struct xmpp_event *ev)
{
	struct sv_stream *s = arg;

	switch (ev->type) {
	case XMPP_EV_HEADER:
		if (ev->version[0] == '\0') {
			snprintf(s->why, sizeof(s->why), "stream without version='1.0' (no STARTTLS)");
			s->phase = SV_STOP;
		} else {
			s->phase = SV_FEATURES;
		}
		break;
	case XMPP_EV_FEATURES:
		if (s->phase == SV_FEATURES) {
			s->starttls = ev->features.starttls;
			s->phase = SV_PROCEED;
		}
		break;
	case XMPP_EV_PROCEED:
		s->phase = SV_GO;
		break;
	case XMPP_EV_TLS_FAILURE:
		snprintf(s->why, sizeof(s->why), "server answered <starttls/> with <failure/>");
		s->phase = SV_STOP;
		break;
	case XMPP_EV_STREAM_ERROR:
		snprintf(s->why, sizeof(s->why), "stream error %s%s%.200s", ev->condition,
		    ev->text[0] ? ": " : "", ev->text);
		s->phase = SV_STOP;
		break;
	case XMPP_EV_STREAM_END:
		snprintf(s->why, sizeof(s->why), "server closed the stream");
		s->phase = SV_STOP;
		break;
	default:
		break;
	}
	return s->phase == SV_GO || s->phase == SV_STOP;
}

/* Read and parse until the stream reaches phase `until` (or stops). */
static int
sv_read_until(struct sv_conn *c, struct xmpp_stream *xs, struct sv_stream *s,
    enum sv_phase until)
{
	unsigned char buf[4096];
	struct s2s_err e;

	while (s->phase < until) {
		ssize_t n;

		if (sv_wait(c->fd, POLLIN, &c->dl) <= 0) {
			snprintf(s->why, sizeof(s->why), "timed out waiting for the server's %s",
			    until == SV_PROCEED ? "stream features" : "<proceed/>");
			return -1;
		}
		n = recv(c->fd, buf, sizeof(buf), 0);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (n <= 0) {
			snprintf(s->why, sizeof(s->why), "connection closed before %s",
			    until == SV_PROCEED ? "stream features" : "<proceed/>");
			return -1;
		}
		if (xmpp_stream_feed(xs, buf, (size_t)n, &e) < 0) {
			snprintf(s->why, sizeof(s->why), "server sent bad XML: %.200s", e.msg);
			return -1;
		}
	}
	return s->phase == SV_STOP ? -1 : 0;
}

static int
sv_starttls(struct sv_conn *c)
{
	struct sv_stream s = { 0 };
	struct xmpp_stream *xs = NULL;
	struct s2s_err e;
	char buf[640];
	int n, rc = -1;

	if (xmpp_stream_new(NULL, sv_on_event, &s, &xs, &e) < 0) {
		sv_set(c->e, SERVED_FAILED, e.msg);
		return -1;
	}
	n = c->e->transport == SERVER_C2S_STARTTLS ?
	    xmpp_format_client_header(buf, sizeof(buf), c->domain, &e) :
	    xmpp_format_header(buf, sizeof(buf), SERVED_FROM, c->domain, 0, &e);
	if (sv_send(c, buf, n) < 0)
		snprintf(s.why, sizeof(s.why), "could not send the stream header");
	else if (sv_read_until(c, xs, &s, SV_PROCEED) == 0 && !s.starttls)
		snprintf(s.why, sizeof(s.why), "the server offers no STARTTLS");
	else if (s.why[0] == '\0' &&
	    sv_send(c, buf, xmpp_format_starttls(buf, sizeof(buf), &e)) < 0)
		snprintf(s.why, sizeof(s.why), "could not send <starttls/>");
	else if (s.why[0] == '\0' && sv_read_until(c, xs, &s, SV_GO) == 0)
		rc = 0;
	xmpp_stream_free(xs);
	if (rc < 0)
		sv_set(c->e, SERVED_FAILED, s.why);
	return rc;
}

/* ---- TLS ------------------------------------------------------------------ */

static int
sv_handshake(struct sv_conn *c, SSL_CTX *ctx)
{
	struct s2s_err e;

	if (tls_session_new(ctx, c->fd, c->domain, c->e->transport == SERVER_S2S_DIRECT_TLS,
	    &c->tinfo, &c->ssl, &e) < 0) {
		sv_set(c->e, SERVED_FAILED, e.msg);
		return -1;
	}
	for (;;) {
		int rc, se, w;

		ERR_clear_error();
		errno = 0;
		if ((rc = SSL_do_handshake(c->ssl)) == 1)
			return 0;
		se = SSL_get_error(c->ssl, rc);
		if (se != SSL_ERROR_WANT_READ && se != SSL_ERROR_WANT_WRITE) {
			tls_describe_error(c->ssl, se, &c->tinfo, "TLS handshake", &e);
			sv_set(c->e, SERVED_FAILED, e.msg);
			return -1;
		}
		if ((w = sv_wait(c->fd, se == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, &c->dl)) <= 0) {
			sv_set(c->e, SERVED_FAILED, "TLS handshake timed out");
			return -1;
		}
	}
}

static void
sv_keep_leaf(struct sv_conn *c)
{
	struct served_endpoint *e = c->e;
	STACK_OF(X509) *chain = SSL_get_peer_cert_chain(c->ssl);

	if ((e->leaf = SSL_get1_peer_certificate(c->ssl)) == NULL) {
		sv_set(e, SERVED_FAILED, "the server presented no certificate");
		return;
	}
	e->chain_len = chain != NULL ? (size_t)sk_X509_num(chain) : 1;
	cert_sha256_hex(e->leaf, e->leaf_sha256);
	e->status = SERVED_OK;
	e->detail[0] = '\0';
}

static void
sv_close(struct sv_conn *c)
{
	if (c->ssl != NULL) {
		if (SSL_is_init_finished(c->ssl))
			SSL_shutdown(c->ssl);
		SSL_free(c->ssl);
		c->ssl = NULL;
	}
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
}

static void
sv_fetch_one(struct served_endpoint *e, const struct served_opts *o, struct resolver *res,
    SSL_CTX *ctx)
{
	int timeout = o->timeout_ms > 0 ? o->timeout_ms : SERVED_DEFAULT_TIMEOUT_MS;
	struct sv_conn c = { .e = e, .domain = o->domain, .fd = -1 };

	if (deadline_expired(&o->deadline))
		return;		/* stays "not tried: the deadline passed" */
	c.dl = deadline_min(deadline_in_ms(timeout), o->deadline);
	if (sv_connect(&c, res) == 0 &&
	    (e->transport == SERVER_S2S_DIRECT_TLS || sv_starttls(&c) == 0) &&
	    sv_handshake(&c, ctx) == 0)
		sv_keep_leaf(&c);
	sv_close(&c);
}

/* ---- the run -------------------------------------------------------------- */

static int
sv_results_new(const struct served_opts *o, struct served_results **out, struct s2s_err *err)
{
	struct served_results *r;

	if ((r = mem_calloc(1, sizeof(*r))) == NULL ||
	    (r->v = mem_calloc(SERVED_MAX_ENDPOINTS, sizeof(*r->v))) == NULL) {
		mem_free(r);
		return err_set(err, S2S_ENOMEM, "served certificate: out of memory");
	}
	snprintf(r->domain, sizeof(r->domain), "%s", o->domain);
	*out = r;
	return 0;
}

int
served_fetch(const struct served_opts *o, struct served_results **out, struct s2s_err *err)
{
	struct served_results *r = NULL;
	struct resolver *res = NULL;
	SSL_CTX *ctx = NULL;
	struct sigaction ign, old;
	int rc;

	*out = NULL;
	if (o->domain == NULL || !xmpp_domain_valid(o->domain))
		return err_set(err, S2S_EINVAL, "domain %s: not a valid domain",
		    o->domain != NULL ? o->domain : "(missing)");
	if ((rc = sv_results_new(o, &r, err)) < 0)
		return rc;
	if ((rc = resolver_new(o->resolver, NULL, &res, err)) < 0 ||
	    (rc = tls_client_new(NULL, NULL, NULL, &ctx, err)) < 0)
		goto out;
	if (o->nspecs > 0)
		for (size_t i = 0; i < o->nspecs; i++)
			sv_add(r, o->specs[i].transport, "server =", o->specs[i].host,
			    o->specs[i].port);
	else
		sv_discover(res, o, r);
	memset(&ign, 0, sizeof(ign));
	ign.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &ign, &old);
	for (size_t i = 0; i < r->n; i++)
		sv_fetch_one(&r->v[i], o, res, ctx);
	sigaction(SIGPIPE, &old, NULL);
	*out = r;
	r = NULL;
out:
	SSL_CTX_free(ctx);
	resolver_free(res);
	served_results_free(r);
	return rc;
}

void
served_results_free(struct served_results *r)
{
	if (r == NULL)
		return;
	for (size_t i = 0; i < r->n; i++)
		X509_free(r->v[i].leaf);
	mem_free(r->v);
	mem_free(r);
}

size_t
served_count_ok(const struct served_results *r)
{
	size_t n = 0;

	for (size_t i = 0; r != NULL && i < r->n; i++)
		n += r->v[i].status == SERVED_OK;
	return n;
}
