/*
 * The configuration example in README.md ("## Configuration", the first
 * ```ini block) is a valid s2sguard.conf and means what the README says:
 * a Prosody target under /etc/prosody/certs, the hold policy, a critical
 * peer. Run from the top of the tree (tests/run does).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "config.h"
#include "mem.h"

/* The text of the first ```ini block after "## Configuration"; NULL if none. */
static char *
readme_ini_block(void)
{
	static char text[8192];
	char line[1024];
	size_t len = 0;
	int section = 0, in_block = 0;
	FILE *f;

	if ((f = fopen("README.md", "r")) == NULL)
		return NULL;
	while (fgets(line, sizeof(line), f) != NULL) {
		if (strncmp(line, "## ", 3) == 0)
			section = strcmp(line, "## Configuration\n") == 0;
		else if (section && !in_block && strcmp(line, "```ini\n") == 0)
			in_block = 1;
		else if (in_block && strcmp(line, "```\n") == 0)
			break;
		else if (in_block) {
			size_t n = strlen(line);

			if (len + n >= sizeof(text))
				break;
			memcpy(text + len, line, n);
			len += n;
		}
	}
	fclose(f);
	text[len] = '\0';
	return len > 0 ? text : NULL;
}

static void
test_readme_example_parses(void **state)
{
	struct s2s_err err = { 0 };
	struct config *cfg = NULL;
	struct cfg_domain *d;
	char *text;

	(void)state;
	text = readme_ini_block();
	assert_non_null(text);
	if (config_parse(text, "README.md", &cfg, &err) != 0)
		fail_msg("README example: %s", err.msg);
	assert_string_equal(cfg->probe_user, "s2sguard");
	d = config_domain_get(cfg, "example.org");
	assert_non_null(d);
	assert_int_equal(d->target, TARGET_PROSODY);
	assert_string_equal(d->cert_path, "/etc/prosody/certs/example.org.crt");
	assert_string_equal(d->key_path, "/etc/prosody/certs/example.org.key");
	assert_string_equal(d->group, "prosody");
	assert_int_equal(d->key_mode, 0640);
	assert_string_equal(d->reload, "systemctl reload prosody");
	assert_int_equal(d->policy, POLICY_HOLD);
	assert_int_equal(d->hold_min_days, 10);
	assert_true(strlist_has(&d->peers, "conversations.im"));
	assert_true(strlist_has(&d->critical_peers, "jabber.org"));
	assert_int_equal(d->critical_peers.n, 1);
	config_free(cfg);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_readme_example_parses),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
