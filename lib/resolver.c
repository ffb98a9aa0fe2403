#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <unbound.h>

#include "mem.h"
#include "resolver.h"

/* One asynchronous query in flight: the user's callback and its argument. */
struct resolver_pending {
	struct resolver		*r;
	struct resolver_pending	*next;
	int			 id;
	resolver_cb		 cb;
	void			*arg;
};

struct resolver {
	struct ub_ctx		*ub;
	struct resolver_pending	*pending;	/* so cancel and free can release them */
};

static void
resolver_pending_unlink(struct resolver *r, struct resolver_pending *p)
{
	struct resolver_pending **pp;

	for (pp = &r->pending; *pp != NULL; pp = &(*pp)->next)
		if (*pp == p) {
			*pp = p->next;
			return;
		}
}

static int
resolver_configure(struct ub_ctx *ub, const char *forwarder,
    const char *trust_anchor_file, struct s2s_err *err)
{
	int rc;

	if (forwarder != NULL) {
		/* A test resolver on 127.0.0.1 must be allowed as forwarder. */
		if ((rc = ub_ctx_set_option(ub, "do-not-query-localhost:", "no")) != 0)
			return err_set(err, S2S_EINVAL, "resolver: %s", ub_strerror(rc));
		if ((rc = ub_ctx_set_fwd(ub, forwarder)) != 0)
			return err_set(err, S2S_EINVAL, "resolver %s: %s", forwarder,
			    ub_strerror(rc));
		/*
		 * libunbound answers names under the special-use "test." itself
		 * (NXDOMAIN, RFC 6761); a chosen resolver (e.g. a test server for
		 * example.test zones) must get those queries too.
		 */
		if ((rc = ub_ctx_set_option(ub, "local-zone:", "test. transparent")) != 0)
			return err_set(err, S2S_EINVAL, "resolver: %s", ub_strerror(rc));
	} else {
		if ((rc = ub_ctx_resolvconf(ub, NULL)) != 0)
			return err_set(err, S2S_EIO, "resolv.conf: %s", ub_strerror(rc));
		/* a system without /etc/hosts (a minimal root) has no local
		 * names to add; any other failure is an error */
		if ((rc = ub_ctx_hosts(ub, NULL)) != 0 && access("/etc/hosts", F_OK) == 0)
			return err_set(err, S2S_EIO, "/etc/hosts: %s", ub_strerror(rc));
	}
	if (trust_anchor_file != NULL &&
	    (rc = ub_ctx_add_ta_file(ub, trust_anchor_file)) != 0)
		return err_set(err, S2S_EIO, "%s: %s", trust_anchor_file, ub_strerror(rc));
	if ((rc = ub_ctx_async(ub, 1)) != 0)
		return err_set(err, S2S_EINVAL, "resolver: %s", ub_strerror(rc));
	return 0;
}

/* "ADDR@PORT" is what libunbound takes; accept "[v6]@PORT" too. */
static int
resolver_forwarder_norm(const char *in, char *out, size_t outlen, struct s2s_err *err)
{
	const char *close;
	int n;

	if (in[0] == '[' && (close = strchr(in, ']')) != NULL)
		n = snprintf(out, outlen, "%.*s%s", (int)(close - in - 1), in + 1, close + 1);
	else
		n = snprintf(out, outlen, "%s", in);
	if (n < 0 || (size_t)n >= outlen || out[0] == '\0')
		return err_set(err, S2S_EINVAL, "resolver %s: bad address", in);
	return 0;
}

int
resolver_new(const char *forwarder, const char *trust_anchor_file,
    struct resolver **out, struct s2s_err *err)
{
	struct resolver *r;
	char fwd[128];
	int rc;

	*out = NULL;
	if (forwarder != NULL &&
	    (rc = resolver_forwarder_norm(forwarder, fwd, sizeof(fwd), err)) < 0)
		return rc;
	if ((r = mem_calloc(1, sizeof(*r))) == NULL)
		return err_set(err, S2S_ENOMEM, "resolver: out of memory");
	if ((r->ub = ub_ctx_create()) == NULL) {
		mem_free(r);
		return err_set(err, S2S_ENOMEM, "resolver: cannot create libunbound context");
	}
	rc = resolver_configure(r->ub, forwarder != NULL ? fwd : NULL, trust_anchor_file, err);
	if (rc < 0) {
		resolver_free(r);
		return rc;
	}
	*out = r;
	return 0;
}

void
resolver_free(struct resolver *r)
{
	struct resolver_pending *p;

	if (r == NULL)
		return;
	if (r->ub != NULL)
		ub_ctx_delete(r->ub);
	while ((p = r->pending) != NULL) {
		r->pending = p->next;
		mem_free(p);
	}
	mem_free(r);
}

void
resolver_answer_free(struct resolver_answer *ans)
{
	size_t i;

	if (ans == NULL)
		return;
	for (i = 0; i < ans->n; i++)
		mem_free(ans->rr[i].data);
	mem_free(ans->rr);
	mem_free(ans->why_bogus);
	mem_free(ans);
}

static struct resolver_answer *
resolver_answer_new(const struct ub_result *res)
{
	struct resolver_answer *ans;
	size_t n = 0, i;

	if ((ans = mem_calloc(1, sizeof(*ans))) == NULL)
		return NULL;
	ans->rcode = res->rcode;
	ans->nxdomain = res->nxdomain;
	ans->ttl = res->ttl < 0 ? 0 : (uint32_t)res->ttl;
	ans->security = res->bogus ? RESOLVER_BOGUS :
	    res->secure ? RESOLVER_SECURE : RESOLVER_INSECURE;
	if (res->bogus && res->why_bogus != NULL &&
	    (ans->why_bogus = mem_strdup(res->why_bogus)) == NULL)
		goto fail;
	if (res->havedata)
		while (res->data[n] != NULL)
			n++;
	if (n > 0 && (ans->rr = mem_calloc(n, sizeof(*ans->rr))) == NULL)
		goto fail;
	for (i = 0; i < n; i++) {
		size_t len = res->len[i] < 0 ? 0 : (size_t)res->len[i];

		if ((ans->rr[i].data = mem_alloc(len)) == NULL)
			goto fail;
		memcpy(ans->rr[i].data, res->data[i], len);
		ans->rr[i].len = len;
		ans->n = i + 1;
	}
	return ans;
fail:
	resolver_answer_free(ans);
	return NULL;
}

static void
resolver_deliver(void *arg, int ubrc, struct ub_result *res)
{
	struct resolver_pending *p = arg;
	struct resolver_answer *ans = NULL;

	resolver_pending_unlink(p->r, p);
	if (ubrc != 0)
		p->cb(p->arg, S2S_ENET, NULL, ub_strerror(ubrc));
	else if ((ans = resolver_answer_new(res)) == NULL)
		p->cb(p->arg, S2S_ENOMEM, NULL, "out of memory");
	else
		p->cb(p->arg, 0, ans, NULL);
	if (res != NULL)
		ub_resolve_free(res);
	mem_free(p);
}

int
resolver_query_async(struct resolver *r, const char *name, int rrtype,
    resolver_cb cb, void *arg, int *id, struct s2s_err *err)
{
	struct resolver_pending *p;
	int rc, qid = 0;

	if ((p = mem_alloc(sizeof(*p))) == NULL)
		return err_set(err, S2S_ENOMEM, "%s: out of memory", name);
	p->r = r;
	p->cb = cb;
	p->arg = arg;
	rc = ub_resolve_async(r->ub, name, rrtype, RESOLVER_CLASS_IN, p,
	    resolver_deliver, &qid);
	if (rc != 0) {
		mem_free(p);
		return err_set(err, S2S_ENET, "%s: %s", name, ub_strerror(rc));
	}
	p->id = qid;
	p->next = r->pending;
	r->pending = p;
	if (id != NULL)
		*id = qid;
	return 0;
}

void
resolver_cancel(struct resolver *r, int id)
{
	struct resolver_pending *p;

	for (p = r->pending; p != NULL; p = p->next)
		if (p->id == id)
			break;
	if (p == NULL)
		return;
	/* libunbound forgets the query but frees nothing of ours. */
	ub_cancel(r->ub, id);
	resolver_pending_unlink(r, p);
	mem_free(p);
}

int
resolver_fd(struct resolver *r)
{
	return ub_fd(r->ub);
}

int
resolver_process(struct resolver *r, struct s2s_err *err)
{
	int rc;

	if ((rc = ub_process(r->ub)) != 0)
		return err_set(err, S2S_ENET, "resolver: %s", ub_strerror(rc));
	return 0;
}

struct resolver_sync {
	int			 done;
	int			 status;
	struct resolver_answer	*ans;
	char			 msg[128];
};

static void
resolver_sync_cb(void *arg, int status, struct resolver_answer *ans, const char *msg)
{
	struct resolver_sync *s = arg;

	s->done = 1;
	s->status = status;
	s->ans = ans;
	if (msg != NULL)
		snprintf(s->msg, sizeof(s->msg), "%s", msg);
}

int
resolver_query(struct resolver *r, const char *name, int rrtype,
    const struct deadline *dl, struct resolver_answer **out, struct s2s_err *err)
{
	struct resolver_sync s = { 0 };
	struct pollfd pfd;
	int rc, id;

	*out = NULL;
	if ((rc = resolver_query_async(r, name, rrtype, resolver_sync_cb, &s, &id, err)) < 0)
		return rc;
	pfd.fd = resolver_fd(r);
	pfd.events = POLLIN;
	while (!s.done) {
		int left = deadline_left_ms(dl);

		if (left == 0) {
			resolver_cancel(r, id);
			return err_set(err, S2S_ETIMEOUT, "%s: DNS query timed out", name);
		}
		if (poll(&pfd, 1, left) < 0 && errno != EINTR)
			return err_set(err, S2S_ENET, "%s: poll: %s", name, strerror(errno));
		if ((rc = resolver_process(r, err)) < 0)
			return rc;
	}
	if (s.status < 0)
		return err_set(err, s.status, "%s: %s", name, s.msg);
	*out = s.ans;
	return 0;
}

int
resolver_name_decode(const unsigned char *data, size_t len, size_t *off,
    char *out, size_t outlen)
{
	size_t o = *off, w = 0;
	unsigned labels = 0;

	if (outlen < 2)
		return -1;
	for (;;) {
		unsigned l;

		if (o >= len)
			return -1;
		l = data[o++];
		if (l == 0)
			break;
		if (l > 63 || o + l > len || ++labels > 127)
			return -1;	/* compression pointers are not allowed here */
		if (w != 0) {
			if (w + 1 >= outlen)
				return -1;
			out[w++] = '.';
		}
		if (w + l >= outlen)
			return -1;
		for (unsigned i = 0; i < l; i++) {
			unsigned char c = data[o + i];

			/* Keep names printable; anything else is not a host name. */
			if (c <= 0x20 || c >= 0x7f || c == '.')
				return -1;
			out[w++] = (char)c;
		}
		o += l;
	}
	if (w == 0)
		out[w++] = '.';
	out[w] = '\0';
	*off = o;
	return 0;
}

int
resolver_parse_ip(const char *host, int port, struct sockaddr_storage *ss)
{
	struct sockaddr_in *s4 = (void *)ss;
	struct sockaddr_in6 *s6 = (void *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET6, host, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		return 1;
	}
	if (inet_pton(AF_INET, host, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)port);
		return 1;
	}
	return 0;
}
