/* s2sguard.conf: what a valid file yields, and that each mistake is named with its line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "config.h"
#include "mem.h"

static const char good[] =
	"# example\n"
	"[s2sguard]\n"
	"state_dir = /tmp/s2s-state\n"
	"probe_user = prosody\n"
	"deadline = 90\n"
	"policy = hold\n"
	"hold_min_days = 10\n"
	"\n"
	"[mail]\n"
	"to = ops@example.test, admin@example.test\n"
	"smtp = smtp://127.0.0.1:2525\n"
	"user = bot\n"
	"password = s3cret\n"
	"\n"
	"[webhook chat]\n"
	"url = https://hooks.example.test/T0/B0\n"
	"format = slack\n"
	"\n"
	"[domain example.test]\n"
	"target = prosody\n"
	"certs_dir = /etc/prosody/certs\n"
	"group = root\n"
	"reload = prosodyctl reload ; logger done\n"
	"peers = a.test b.test\n"
	"  c.test\n"
	"critical_peers = b.test\n"
	"\n"
	"[domain other.test]\n"
	"target = ejabberd\n"
	"policy = warn\n"
	"match = xmpp.other.test\n";

static void
test_good_file(void **state)
{
	struct s2s_err err = { 0 };
	struct config *cfg;
	struct cfg_domain *d;

	assert_int_equal(config_parse(good, "t.conf", &cfg, &err), 0);
	assert_string_equal(cfg->state_dir, "/tmp/s2s-state");
	assert_string_equal(cfg->probe_user, "prosody");
	assert_int_equal(cfg->deadline, 90);
	assert_int_equal(cfg->mail.enabled, 1);
	assert_int_equal(cfg->mail.to.n, 2);
	assert_int_equal(cfg->mail.starttls, 1);
	assert_int_equal(cfg->nwebhooks, 1);
	assert_int_equal(cfg->webhooks[0].format, WEBHOOK_SLACK);
	assert_int_equal(cfg->ndomains, 2);

	d = config_domain_get(cfg, "EXAMPLE.test");
	assert_non_null(d);
	assert_int_equal(d->target, TARGET_PROSODY);
	assert_string_equal(d->cert_path, "/etc/prosody/certs/example.test.crt");
	assert_string_equal(d->key_path, "/etc/prosody/certs/example.test.key");
	/* a ";" inside a value is not a comment */
	assert_string_equal(d->reload, "prosodyctl reload ; logger done");
	assert_int_equal(d->peers.n, 3);
	assert_string_equal(d->peers.v[2], "c.test");
	assert_int_equal(d->critical_peers.n, 1);
	/* defaults from [s2sguard] */
	assert_int_equal(d->policy, POLICY_HOLD);
	assert_int_equal(d->hold_min_days, 10);
	assert_int_equal(d->key_mode, 0640);

	d = config_domain_get(cfg, "xmpp.other.test");
	assert_non_null(d);
	assert_string_equal(d->name, "other.test");
	assert_string_equal(d->pem_path, "/etc/ejabberd/certs/other.test.pem");
	assert_int_equal(d->policy, POLICY_WARN);
	assert_int_equal(d->hold_min_days, 10);
	assert_null(config_domain_get(cfg, "nope.test"));
	config_free(cfg);
}

static void
test_defaults(void **state)
{
	struct s2s_err err = { 0 };
	struct config *cfg;

	assert_int_equal(config_parse("[domain a.test]\npeers = x.test\n", "t", &cfg, &err), 0);
	assert_int_equal(cfg->deadline, 120);
	assert_int_equal(cfg->domains[0].hold_min_days, 7);
	assert_int_equal(cfg->domains[0].policy, POLICY_WARN);
	assert_int_equal(cfg->domains[0].probe, PROBE_AUTO);
	assert_int_equal(cfg->domains[0].target, TARGET_NONE);
	assert_int_equal(cfg->domains[0].verify_served, 1);
	assert_int_equal(cfg->domains[0].nservers, 0);
	assert_int_equal(cfg->probe_interval, 86400);
	assert_int_equal(cfg->exit_codes, EXIT_CODES_CLIENT);
	config_free(cfg);
	assert_int_equal(config_parse("[s2sguard]\nexit_codes = detailed\n", "t", &cfg, &err), 0);
	assert_int_equal(cfg->exit_codes, EXIT_CODES_DETAILED);
	config_free(cfg);
}

static void
test_server_parse(void **state)
{
	struct cfg_server s;
	struct s2s_err err;

	assert_int_equal(config_server_parse("127.0.0.1:5269", &s, &err), 0);
	assert_string_equal(s.host, "127.0.0.1");
	assert_int_equal(s.port, 5269);
	assert_int_equal(s.transport, SERVER_S2S_STARTTLS);
	assert_int_equal(config_server_parse("xmpp.example.org:5223/tls", &s, &err), 0);
	assert_int_equal(s.transport, SERVER_S2S_DIRECT_TLS);
	assert_int_equal(config_server_parse("[::1]:5222/c2s", &s, &err), 0);
	assert_string_equal(s.host, "::1");
	assert_int_equal(s.transport, SERVER_C2S_STARTTLS);
	assert_int_equal(config_server_parse("host", &s, &err), S2S_EINVAL);
	assert_non_null(strstr(err.msg, "server 'host'"));
	assert_int_equal(config_server_parse("host:0", &s, &err), S2S_EINVAL);
	assert_int_equal(config_server_parse("host:65536", &s, &err), S2S_EINVAL);
	assert_int_equal(config_server_parse("host:52x", &s, &err), S2S_EINVAL);
	assert_int_equal(config_server_parse(":5269", &s, &err), S2S_EINVAL);
	assert_int_equal(config_server_parse("[::1:5269", &s, &err), S2S_EINVAL);
}

/* server = (several words, continuation lines), verify_served, probe_interval. */
static void
test_served_keys(void **state)
{
	struct s2s_err err = { 0 };
	struct config *cfg;
	const struct cfg_domain *d;

	assert_int_equal(config_parse("[s2sguard]\nverify_served = no\nprobe_interval = 12h\n"
	    "[domain a.test]\nserver = 127.0.0.1:5269 [::1]:5270/tls\n  xmpp.a.test:5222/c2s\n"
	    "verify_served = yes\n[domain b.test]\npeers = x.test\n", "t", &cfg, &err), 0);
	assert_int_equal(cfg->probe_interval, 12 * 3600);
	d = &cfg->domains[0];
	assert_int_equal(d->verify_served, 1);
	assert_int_equal(d->nservers, 3);
	assert_string_equal(d->servers[0].host, "127.0.0.1");
	assert_int_equal(d->servers[0].port, 5269);
	assert_int_equal(d->servers[0].transport, SERVER_S2S_STARTTLS);
	assert_string_equal(d->servers[1].host, "::1");
	assert_int_equal(d->servers[1].transport, SERVER_S2S_DIRECT_TLS);
	assert_string_equal(d->servers[2].host, "xmpp.a.test");
	assert_int_equal(d->servers[2].port, 5222);
	assert_int_equal(d->servers[2].transport, SERVER_C2S_STARTTLS);
	assert_int_equal(cfg->domains[1].verify_served, 0);	/* [s2sguard]'s default */
	config_free(cfg);
}

struct bad {
	const char	*text;
	const char	*want;	/* substring of the message, with line */
};

static const struct bad bads[] = {
	{ "[domain a.test]\npolcy = hold\n", "t.conf:2: unknown key 'polcy' in [domain a.test]" },
	{ "[domain a.test]\npolicy = maybe\n", "t.conf:2: policy 'maybe'" },
	{ "[domain a.test]\ntarget = prosody\nmode = 0644\n", "t.conf:3: mode '0644': the key must not be world-readable" },
	{ "[domain a.test]\npeers = x\n[domain a.test]\npeers = y\n", "t.conf:3: [domain a.test] appears twice" },
	{ "[domain ../etc]\npeers = x\n", "t.conf:1: [domain ../etc]: not a valid domain name" },
	{ "[s2sguard]\ndeadline = soon\n", "t.conf:2: deadline 'soon'" },
	{ "[s2sguard]\nexit_codes = quiet\n", "t.conf:2: exit_codes 'quiet': want client or detailed" },
	{ "[frobs]\nx = 1\n", "t.conf:1: unknown section [frobs]" },
	{ "x = 1\n", "t.conf:1: 'x' outside any section" },
	{ "[domain a.test]\npolicy = hold\n", "t.conf:1: [domain a.test]: policy hold needs a deploy target" },
	{ "[domain a.test]\ntarget = files\ncert = /x\n", "t.conf:1: [domain a.test]: target files needs cert and key" },
	{ "[domain a.test]\ntarget = prosody\npolicy = reissue\n", "policy reissue needs reissue_directory and reissue_account_key" },
	{ "[domain a.test]\ntarget = prosody\nreload = a\nreload = b\n", "t.conf:4: 'reload' set twice" },
	{ "[webhook w]\nformat = json\n", "[webhook w] has no url" },
	{ "[mail]\nfrom = a@b\n", "[mail] has no 'to'" },
	{ "[domain a.test]\nthis line is wrong\n", "t.conf:2: not a 'key = value' line" },
	{ "[webhook w]\nurl = ftp://x\n", "t.conf:2: url in [webhook w]" },
	{ "[domain a.test]\ntarget = ejabberd\nfallback = reissue\n", "t.conf:3: fallback 'reissue'" },
	{ "[domain a.test]\nserver = 127.0.0.1:5269 xmpp.a.test\n", "t.conf:2: server 'xmpp.a.test': want HOST:PORT" },
	{ "[domain a.test]\nserver = h:5269/udp\n", "t.conf:2: server 'h:5269/udp'" },
	{ "[domain a.test]\nverify_served = maybe\n", "t.conf:2: verify_served 'maybe'" },
	{ "[s2sguard]\nprobe_interval = 1w\n", "t.conf:2: probe_interval '1w'" },
	{ "[s2sguard]\nprobe_interval = 10s\n", "t.conf:2: probe_interval '10s'" },
	{ "[domain a.test]\nreissue_eab_kid = k\n",
	    "[domain a.test]: reissue_eab_kid and reissue_eab_hmac_key_file go together" },
	{ "[domain a.test]\nreissue_eab_kid = k\nreissue_eab_hmac_key_file = eab.key\n",
	    "reissue_eab_hmac_key_file 'eab.key': want an absolute path" },
};

static void
test_errors_name_line(void **state)
{
	struct s2s_err err;
	struct config *cfg;
	size_t i;

	for (i = 0; i < sizeof(bads) / sizeof(bads[0]); i++) {
		memset(&err, 0, sizeof(err));
		cfg = (struct config *)1;
		if (config_parse(bads[i].text, "t.conf", &cfg, &err) != S2S_EINVAL)
			fail_msg("case %zu: accepted", i);
		assert_null(cfg);
		if (strstr(err.msg, bads[i].want) == NULL)
			fail_msg("case %zu: got \"%s\", want \"%s\"", i, err.msg, bads[i].want);
	}
}

static void
test_secret_not_in_errors(void **state)
{
	struct s2s_err err = { 0 };
	struct config *cfg;

	assert_int_not_equal(config_parse("[mail]\nto = a@b\nuser = u\npassword = hunter2\nbogus = 1\n",
	    "t.conf", &cfg, &err), 0);
	assert_null(strstr(err.msg, "hunter2"));
}

static void
test_missing_file(void **state)
{
	struct s2s_err err = { 0 };
	struct config *cfg;

	assert_int_equal(config_load("/nonexistent/s2sguard.conf", &cfg, &err), S2S_ENOTFOUND);
	assert_non_null(strstr(err.msg, "/nonexistent/s2sguard.conf"));
}

static void
test_oom_paths(void **state)
{
	struct s2s_err err;
	struct config *cfg;
	long n;
	int rc;

	/* fail the Nth allocation for rising N until parsing succeeds: no leak, no crash */
	for (n = 0; n < 400; n++) {
		memset(&err, 0, sizeof(err));
		mem_fail_after(n);
		rc = config_parse(good, "t.conf", &cfg, &err);
		mem_fail_after(-1);
		if (rc == 0) {
			config_free(cfg);
			return;
		}
		assert_null(cfg);
	}
	fail_msg("config_parse never succeeded");
}

static void
test_strlist_words(void **state)
{
	struct strlist l = { 0 };

	assert_int_equal(strlist_add_words(&l, " a.test,b.test\tc.test ,, a.test"), 0);
	assert_int_equal(l.n, 3);
	assert_true(strlist_has(&l, "B.TEST"));
	strlist_clear(&l);
}

/* templates/s2sguard.conf with every example line uncommented is a valid file. */
static void
test_shipped_example(void **state)
{
	char line[1024], *text = NULL;
	size_t len = 0;
	struct s2s_err err = { 0 };
	struct config *cfg;
	FILE *in, *out;

	if ((in = fopen("templates/s2sguard.conf", "r")) == NULL)
		skip();
	out = open_memstream(&text, &len);
	while (fgets(line, sizeof(line), in) != NULL)
		if (line[0] == '[')
			fputs(line, out);
		else if (line[0] == '#' && (line[1] == '[' || (line[1] >= 'a' && line[1] <= 'z')))
			fputs(line + 1, out);
	fclose(in);
	fclose(out);
	if (config_parse(text, "templates/s2sguard.conf", &cfg, &err) != 0)
		fail_msg("%s", err.msg);
	assert_int_equal(cfg->ndomains, 2);
	assert_int_equal(cfg->nwebhooks, 2);
	config_free(cfg);
	free(text);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_file),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_served_keys),
		cmocka_unit_test(test_server_parse),
		cmocka_unit_test(test_errors_name_line),
		cmocka_unit_test(test_secret_not_in_errors),
		cmocka_unit_test(test_missing_file),
		cmocka_unit_test(test_oom_paths),
		cmocka_unit_test(test_strlist_words),
		cmocka_unit_test(test_shipped_example),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
