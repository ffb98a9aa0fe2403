/*
 * The doctor's reading of XMPP server configurations: dialback on or off,
 * Metronome's verifyext, the certificate paths, with comments, strings and
 * sections in the way. The Prosody and ejabberd texts follow Debian 12's
 * /etc/prosody/prosody.cfg.lua and /etc/ejabberd/ejabberd.yml.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "doctor_int.h"

static void
parse(enum srv_kind k, const char *text, const char *domain, struct srvconf *c)
{
	struct s2s_err err;

	assert_int_equal(srvconf_parse(k, text, domain, c, &err), 0);
}

static void
test_prosody_default_has_dialback(void **state)
{
	static const char text[] =
	    "-- Prosody's Debian configuration\n"
	    "modules_enabled = {\n"
	    "\t\"roster\"; -- Allow users to have a roster\n"
	    "\t\"dialback\"; -- Support for verifying remote servers using DNS\n"
	    "}\n"
	    "modules_disabled = {\n"
	    "\t-- \"offline\"; -- Store offline messages\n"
	    "\t-- \"dialback\";\n"
	    "}\n"
	    "certificates = \"certs\"\n"
	    "Include \"conf.d/*.cfg.lua\"\n";
	struct srvconf c;

	parse(SRV_PROSODY, text, "example.org", &c);
	assert_int_equal(c.dialback, 1);
	assert_int_equal(c.cert_paths.n, 1);
	assert_string_equal(c.cert_paths.v[0], "certs");
	srvconf_clear(&c);
}

static void
test_prosody_disabled_globally(void **state)
{
	static const char text[] =
	    "modules_enabled = { \"tls\", \"saslauth\", \"disco\" }\n"
	    "modules_disabled = { 'dialback' }\n"
	    "s2s_secure_auth = true\n"
	    "VirtualHost \"example.org\"\n"
	    "    ssl = { certificate = \"/etc/letsencrypt/live/example.org/fullchain.pem\";\n"
	    "            key = [[/etc/letsencrypt/live/example.org/privkey.pem]] }\n";
	struct srvconf c;

	parse(SRV_PROSODY, text, "example.org", &c);
	assert_int_equal(c.dialback, 0);
	assert_non_null(strstr(c.dialback_why, "modules_disabled"));
	assert_int_equal(c.cert_paths.n, 2);
	assert_string_equal(c.cert_paths.v[0], "/etc/letsencrypt/live/example.org/fullchain.pem");
	assert_string_equal(c.cert_paths.v[1], "/etc/letsencrypt/live/example.org/privkey.pem");
	srvconf_clear(&c);
}

static void
test_prosody_other_hosts_do_not_count(void **state)
{
	static const char text[] =
	    "VirtualHost \"other.example\"\n"
	    "    modules_disabled = { \"dialback\" }\n"
	    "Component \"muc.example.org\" \"muc\"\n"
	    "    modules_disabled = { \"dialback\" }\n"
	    "--[[ VirtualHost \"example.org\"\n"
	    "    modules_disabled = { \"dialback\" } ]]\n"
	    "VirtualHost \"example.org\"\n"
	    "    s2s_secure_auth = true\n";
	struct srvconf c;

	parse(SRV_PROSODY, text, "example.org", &c);
	assert_int_equal(c.dialback, 1);
	srvconf_clear(&c);
	parse(SRV_PROSODY, "VirtualHost \"Example.ORG\"\nmodules_disabled = {\"dialback\"}\n",
	    "example.org", &c);
	assert_int_equal(c.dialback, 0);
	assert_non_null(strstr(c.dialback_why, "VirtualHost \"Example.ORG\""));
	srvconf_clear(&c);
}

static void
test_prosody_strings_are_not_settings(void **state)
{
	static const char text[] =
	    "motd_text = \"modules_disabled = { 'dialback' }\"\n"
	    "admins = { \"dialback\" }\n";
	struct srvconf c;

	parse(SRV_PROSODY, text, "example.org", &c);
	assert_int_equal(c.dialback, 1);
	srvconf_clear(&c);
}

static void
test_metronome(void **state)
{
	static const char text[] =
	    "modules_enabled = { \"tls\", \"dialback\" }\n"
	    "ssl = { key = \"/etc/metronome/certs/x.key\",\n"
	    "        verifyext = { \"lsec_continue\", \"lsec_ignore_purpose\" } }\n";
	struct srvconf c;

	parse(SRV_METRONOME, text, "example.org", &c);
	assert_int_equal(c.dialback, 1);
	assert_int_equal(c.ignore_purpose, 1);
	srvconf_clear(&c);
	parse(SRV_METRONOME, "ssl = { verifyext = { \"lsec_continue\" } } -- lsec_ignore_purpose\n",
	    "example.org", &c);
	assert_int_equal(c.dialback, -1);
	assert_int_equal(c.ignore_purpose, 0);
	srvconf_clear(&c);
}

static void
test_ejabberd_dialback(void **state)
{
	static const char on[] =
	    "hosts:\n"
	    "  - localhost\n"
	    "certfiles:\n"
	    "  - \"/etc/ejabberd/ejabberd.pem\"\n"
	    "  - /etc/letsencrypt/live/*/*.pem   # comment\n"
	    "listen:\n"
	    "  -\n"
	    "    port: 5269\n"
	    "    module: ejabberd_s2s_in\n"
	    "modules:\n"
	    "  mod_adhoc: {}\n"
	    "  mod_s2s_dialback: {}\n"
	    "  mod_stream_mgmt:\n"
	    "    resend_on_timeout: if_offline\n";
	static const char off[] =
	    "modules:\n"
	    "  mod_adhoc: {}\n"
	    "  # mod_s2s_dialback: {}\n"
	    "  mod_disco:\n"
	    "    mod_s2s_dialback: {}\n"
	    "acl:\n"
	    "  mod_s2s_dialback: {}\n"
	    "welcome: \"mod_s2s_dialback: {}\"\n";
	struct srvconf c;

	parse(SRV_EJABBERD, on, "localhost", &c);
	assert_int_equal(c.dialback, 1);
	assert_int_equal(c.cert_paths.n, 2);
	assert_string_equal(c.cert_paths.v[0], "/etc/ejabberd/ejabberd.pem");
	assert_string_equal(c.cert_paths.v[1], "/etc/letsencrypt/live/*/*.pem");
	srvconf_clear(&c);
	parse(SRV_EJABBERD, off, "localhost", &c);
	assert_int_equal(c.dialback, 0);
	assert_non_null(strstr(c.dialback_why, "no mod_s2s_dialback"));
	srvconf_clear(&c);
	parse(SRV_EJABBERD, "modules: {mod_s2s_dialback: {}}\n", "localhost", &c);
	assert_int_equal(c.dialback, 1);
	srvconf_clear(&c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_prosody_default_has_dialback),
		cmocka_unit_test(test_prosody_disabled_globally),
		cmocka_unit_test(test_prosody_other_hosts_do_not_count),
		cmocka_unit_test(test_prosody_strings_are_not_settings),
		cmocka_unit_test(test_metronome),
		cmocka_unit_test(test_ejabberd_dialback),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
