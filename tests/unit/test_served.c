/*
 * served.h: comparing leaves, the JSON round trip, and
 * served_fetch() against a small XMPP server forked on loopback (STARTTLS,
 * direct TLS, no STARTTLS, silence, a closed c2s port).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/ssl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cert.h"
#include "served.h"
#include "unit.h"

/* ---- a scripted server ------------------------------------------------------ */

enum mini_mode { MINI_STARTTLS, MINI_DIRECT, MINI_NO_STARTTLS, MINI_SILENT };

struct mini {
	pid_t	pid;
	int	port;
};

static void
mini_read_until(int fd, const char *what)
{
	char buf[4096];
	size_t len = 0;
	ssize_t n;

	while (len + 1 < sizeof(buf) && (n = read(fd, buf + len, sizeof(buf) - 1 - len)) > 0) {
		len += (size_t)n;
		buf[len] = '\0';
		if (strstr(buf, what) != NULL)
			return;
	}
	_exit(3);
}

static void
mini_write(int fd, const char *s)
{
	if (write(fd, s, strlen(s)) != (ssize_t)strlen(s))
		_exit(3);
}

static void
mini_tls(int fd, const char *cert, const char *key)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
	SSL *ssl;
	char b[16];

	if (ctx == NULL || SSL_CTX_use_certificate_chain_file(ctx, cert) != 1 ||
	    SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1)
		_exit(4);
	ssl = SSL_new(ctx);
	SSL_set_fd(ssl, fd);
	if (SSL_accept(ssl) == 1)
		(void)SSL_read(ssl, b, sizeof(b));	/* until the client closes */
	SSL_free(ssl);
	SSL_CTX_free(ctx);
}

static void
mini_serve(int lfd, enum mini_mode mode, const char *cert, const char *key)
{
	int fd = accept(lfd, NULL, NULL);

	if (fd < 0)
		_exit(2);
	if (mode == MINI_SILENT) {
		sleep(5);
		_exit(0);
	}
	if (mode == MINI_DIRECT) {
		mini_tls(fd, cert, key);
		_exit(0);
	}
	mini_read_until(fd, "version='1.0'>");
	mini_write(fd, "<?xml version='1.0'?><stream:stream xmlns='jabber:server' "
	    "xmlns:stream='http://etherx.jabber.org/streams' id='x1' version='1.0'>"
	    "<stream:features>");
	if (mode == MINI_STARTTLS)
		mini_write(fd, "<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'><required/></starttls>");
	mini_write(fd, "<dialback xmlns='urn:xmpp:features:dialback'/></stream:features>");
	if (mode == MINI_NO_STARTTLS) {
		sleep(5);
		_exit(0);
	}
	mini_read_until(fd, "<starttls");
	mini_write(fd, "<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>");
	mini_tls(fd, cert, key);
	_exit(0);
}

static struct mini
mini_start(enum mini_mode mode, const char *cert, const char *key)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t sl = sizeof(sa);
	struct mini m = { 0 };
	int lfd = socket(AF_INET, SOCK_STREAM, 0);

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_true(lfd >= 0);
	assert_int_equal(bind(lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(lfd, 4), 0);
	assert_int_equal(getsockname(lfd, (struct sockaddr *)&sa, &sl), 0);
	m.port = ntohs(sa.sin_port);
	fflush(NULL);
	m.pid = fork();
	assert_true(m.pid >= 0);
	if (m.pid == 0)
		mini_serve(lfd, mode, cert, key);
	close(lfd);
	return m;
}

static void
mini_stop(struct mini *m)
{
	int st;

	kill(m->pid, SIGKILL);
	waitpid(m->pid, &st, 0);
}

/* A closed port: bind, learn the port, close. */
static int
closed_port(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t sl = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port;

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &sl), 0);
	port = ntohs(sa.sin_port);
	close(fd);
	return port;
}

static X509 *
load_leaf(const char *name)
{
	struct cert_chain *c = NULL;
	struct s2s_err err;
	X509 *x;

	assert_int_equal(cert_chain_load(unit_pki(name), &c, &err), 0);
	x = cert_chain_get(c, 0);
	X509_up_ref(x);
	cert_chain_free(c);
	return x;
}

static struct served_results *
fetch(const struct cfg_server *specs, size_t n, int timeout_ms)
{
	struct served_opts o = {
		.domain = "xmpp.example.test", .specs = specs, .nspecs = n,
		.timeout_ms = timeout_ms,
	};
	struct served_results *r = NULL;
	struct s2s_err err;

	o.deadline = deadline_in_ms(20000);
	if (served_fetch(&o, &r, &err) != 0)
		fail_msg("served_fetch: %s", err.msg);
	assert_non_null(r);
	return r;
}

/* ---- tests ---------------------------------------------------------------- */

static void
test_leaf_equal_and_files(void **state)
{
	X509 *both = load_leaf("leaf-both.pem"), *server = load_leaf("leaf-server.pem");
	char p0[4096], p1[4096], p2[4096];
	const char *paths[4];
	long idx;

	assert_true(served_leaf_equal(both, both));
	assert_false(served_leaf_equal(both, server));
	assert_false(served_leaf_equal(both, NULL));
	snprintf(p0, sizeof(p0), "%s", unit_pki("garbage.bin"));
	snprintf(p1, sizeof(p1), "%s", unit_pki("leaf-server.fullchain.pem"));
	snprintf(p2, sizeof(p2), "%s", unit_pki("leaf-both.fullchain.pem"));
	paths[0] = "/nonexistent/cert.pem";
	paths[1] = p0;
	paths[2] = p1;
	paths[3] = p2;
	assert_int_equal(served_match_files(both, paths, 4, &idx), 0);
	assert_int_equal(idx, 3);
	assert_int_equal(served_match_files(server, paths, 4, &idx), 0);
	assert_int_equal(idx, 2);
	assert_int_equal(served_match_files(server, paths, 2, &idx), 0);
	assert_int_equal(idx, -1);
	X509_free(both);
	X509_free(server);
}

static void
test_fetch_starttls_and_direct(void **state)
{
	char cert[4096], key[4096];
	struct mini a, b;
	struct cfg_server specs[2];
	struct served_results *r;
	struct s2s_err err;
	X509 *both = load_leaf("leaf-both.pem"), *server = load_leaf("leaf-server.pem");
	size_t same, differ;

	snprintf(cert, sizeof(cert), "%s", unit_pki("leaf-both.fullchain.pem"));
	snprintf(key, sizeof(key), "%s", unit_pki("leaf-both.key"));
	a = mini_start(MINI_STARTTLS, cert, key);
	b = mini_start(MINI_DIRECT, cert, key);
	snprintf(specs[0].host, sizeof(specs[0].host), "127.0.0.1");
	specs[0].port = a.port;
	specs[0].transport = SERVER_S2S_STARTTLS;
	snprintf(specs[1].host, sizeof(specs[1].host), "127.0.0.1");
	specs[1].port = b.port;
	specs[1].transport = SERVER_S2S_DIRECT_TLS;
	r = fetch(specs, 2, 5000);
	mini_stop(&a);
	mini_stop(&b);
	assert_int_equal(r->n, 2);
	for (size_t i = 0; i < 2; i++) {
		assert_int_equal(r->v[i].status, SERVED_OK);
		assert_string_equal(r->v[i].address, "127.0.0.1");
		assert_int_equal(r->v[i].chain_len, 2);
		assert_int_equal(strlen(r->v[i].leaf_sha256), 64);
	}
	assert_int_equal(served_count_ok(r), 2);
	assert_int_equal(served_compare(r, both, &same, &differ), SERVED_CMP_SAME);
	assert_int_equal(same, 2);
	assert_int_equal(served_compare(r, server, &same, &differ), SERVED_CMP_DIFFERS);
	assert_int_equal(differ, 2);

	/* through JSON (the privilege-separated pipe) and back */
	{
		json_t *j = served_results_to_json(r, 1);
		struct served_results *back = NULL;

		assert_non_null(j);
		assert_int_equal(served_results_from_json(j, &back, &err), 0);
		assert_int_equal(back->n, 2);
		assert_int_equal(back->v[1].transport, SERVER_S2S_DIRECT_TLS);
		assert_string_equal(back->v[0].leaf_sha256, r->v[0].leaf_sha256);
		assert_int_equal(served_compare(back, both, NULL, NULL), SERVED_CMP_SAME);
		served_results_free(back);
		json_decref(j);
		j = served_results_to_json(r, 0);
		assert_null(json_object_get(json_array_get(json_object_get(j, "endpoints"), 0),
		    "leaf_pem"));
		assert_int_equal(served_results_from_json(j, &back, &err), S2S_EPARSE);
		json_decref(j);
	}
	served_results_free(r);
	X509_free(both);
	X509_free(server);
}

static void
test_fetch_failures(void **state)
{
	char cert[4096], key[4096];
	struct mini nostls, silent;
	struct cfg_server specs[3];
	struct served_results *r;
	int64_t t0;

	snprintf(cert, sizeof(cert), "%s", unit_pki("leaf-both.fullchain.pem"));
	snprintf(key, sizeof(key), "%s", unit_pki("leaf-both.key"));
	nostls = mini_start(MINI_NO_STARTTLS, cert, key);
	silent = mini_start(MINI_SILENT, cert, key);
	memset(specs, 0, sizeof(specs));
	for (int i = 0; i < 3; i++)
		snprintf(specs[i].host, sizeof(specs[i].host), "127.0.0.1");
	specs[0].port = nostls.port;
	specs[1].port = silent.port;
	specs[2].port = closed_port();
	specs[2].transport = SERVER_C2S_STARTTLS;
	t0 = deadline_now_ms();
	r = fetch(specs, 3, 500);
	mini_stop(&nostls);
	mini_stop(&silent);
	assert_true(deadline_now_ms() - t0 < 8000);	/* bounded by the timeouts */
	assert_int_equal(r->v[0].status, SERVED_FAILED);
	assert_string_equal(r->v[0].detail, "the server offers no STARTTLS");
	assert_int_equal(r->v[1].status, SERVED_FAILED);
	assert_non_null(strstr(r->v[1].detail, "timed out"));
	assert_int_equal(r->v[2].status, SERVED_CLOSED);
	assert_int_equal(served_count_ok(r), 0);
	assert_int_equal(served_compare(r, NULL, NULL, NULL), SERVED_CMP_NONE);
	served_results_free(r);
}

static void
test_fetch_bad_domain(void **state)
{
	struct served_opts o = { .domain = "bad domain" };
	struct served_results *r = NULL;
	struct s2s_err err;

	assert_int_equal(served_fetch(&o, &r, &err), S2S_EINVAL);
	assert_null(r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_leaf_equal_and_files),
		cmocka_unit_test(test_fetch_starttls_and_direct),
		cmocka_unit_test(test_fetch_failures),
		cmocka_unit_test(test_fetch_bad_domain),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
