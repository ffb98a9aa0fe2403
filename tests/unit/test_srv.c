/* SRV parsing and RFC 2782 ordering, on raw rdata as libunbound hands it over. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "resolver.h"
#include "srv.h"

/* priority, weight, port, then a wire-format target. */
static size_t
rdata(unsigned char *buf, unsigned prio, unsigned weight, unsigned port, const char *target)
{
	size_t n = 0;
	const char *p = target;

	buf[n++] = prio >> 8; buf[n++] = prio & 0xff;
	buf[n++] = weight >> 8; buf[n++] = weight & 0xff;
	buf[n++] = port >> 8; buf[n++] = port & 0xff;
	if (strcmp(target, ".") != 0) {
		while (*p != '\0') {
			const char *dot = strchr(p, '.');
			size_t l = dot != NULL ? (size_t)(dot - p) : strlen(p);

			buf[n++] = (unsigned char)l;
			memcpy(buf + n, p, l);
			n += l;
			p += l;
			if (*p == '.')
				p++;
		}
	}
	buf[n++] = 0;
	return n;
}

static void
test_parse_record(void **state)
{
	unsigned char b[300];
	struct srv_record r;
	struct s2s_err err;
	size_t n = rdata(b, 10, 20, 5269, "xmpp.example.org");

	assert_int_equal(srv_parse(b, n, 1, &r, &err), 0);
	assert_int_equal(r.priority, 10);
	assert_int_equal(r.weight, 20);
	assert_int_equal(r.port, 5269);
	assert_int_equal(r.direct_tls, 1);
	assert_string_equal(r.target, "xmpp.example.org");
}

static void
test_parse_dot_means_no_service(void **state)
{
	unsigned char b[32];
	struct srv_record r;
	struct s2s_err err;
	size_t n = rdata(b, 0, 0, 0, ".");

	assert_int_equal(srv_parse(b, n, 0, &r, &err), 0);
	assert_string_equal(r.target, ".");
	assert_true(srv_is_no_service(&r, 1));
	assert_int_equal(srv_drop_dot(&r, 1), 0);
}

static void
test_parse_refuses_malformed(void **state)
{
	unsigned char b[64];
	struct srv_record r;
	struct s2s_err err;
	size_t n = rdata(b, 1, 1, 1, "a.b");

	assert_int_equal(srv_parse(b, 5, 0, &r, &err), S2S_EPARSE);
	assert_int_equal(srv_parse(b, n - 1, 0, &r, &err), S2S_EPARSE);	/* no root label */
	b[6] = 0xc0;	/* a compression pointer */
	assert_int_equal(srv_parse(b, n, 0, &r, &err), S2S_EPARSE);
	n = rdata(b, 1, 1, 1, "a.b");
	b[n++] = 0;	/* trailing byte */
	assert_int_equal(srv_parse(b, n, 0, &r, &err), S2S_EPARSE);
}

static uint32_t
rnd_seq(void *arg)
{
	uint32_t **p = arg;

	return *(*p)++;
}

static void
fill(struct srv_record *r, unsigned prio, unsigned weight, const char *t)
{
	memset(r, 0, sizeof(*r));
	r->priority = (uint16_t)prio;
	r->weight = (uint16_t)weight;
	snprintf(r->target, sizeof(r->target), "%s", t);
}

static void
test_order_priority_first(void **state)
{
	struct srv_record r[4];
	uint32_t seq[] = { 0, 0, 0, 0, 0, 0 }, *p = seq;

	fill(&r[0], 20, 0, "c");
	fill(&r[1], 5, 0, "a");
	fill(&r[2], 10, 100, "b");
	fill(&r[3], 30, 0, "d");
	srv_order(r, 4, rnd_seq, &p);
	assert_string_equal(r[0].target, "a");
	assert_string_equal(r[1].target, "b");
	assert_string_equal(r[2].target, "c");
	assert_string_equal(r[3].target, "d");
}

static void
test_order_weight_selection(void **state)
{
	struct srv_record r[3];
	/* sum = 0+10+90 = 100; pick 50 -> running sums 0,10,100: third record. */
	uint32_t seq[] = { 50, 5 }, *p = seq;

	fill(&r[0], 1, 10, "ten");
	fill(&r[1], 1, 90, "ninety");
	fill(&r[2], 1, 0, "zero");
	srv_order(r, 3, rnd_seq, &p);
	assert_string_equal(r[0].target, "ninety");
	/* then sum = 0+10 = 10, pick 5 % 11 = 5 -> "ten" (running 0, 10) */
	assert_string_equal(r[1].target, "ten");
	assert_string_equal(r[2].target, "zero");
}

static void
test_order_weight_zero_can_win(void **state)
{
	struct srv_record r[2];
	uint32_t seq[] = { 0 }, *p = seq;

	fill(&r[0], 1, 10, "ten");
	fill(&r[1], 1, 0, "zero");
	srv_order(r, 2, rnd_seq, &p);
	assert_string_equal(r[0].target, "zero");
}

static void
test_order_weights_distribution(void **state)
{
	int first_heavy = 0;

	for (int i = 0; i < 2000; i++) {
		struct srv_record r[2];

		fill(&r[0], 1, 1, "light");
		fill(&r[1], 1, 9, "heavy");
		srv_order(r, 2, NULL, NULL);
		first_heavy += strcmp(r[0].target, "heavy") == 0;
	}
	/* RFC 2782 picks in [0, sum]: heavy wins 9 of 11 (1636 of 2000; sd ~17) */
	assert_in_range(first_heavy, 1540, 1730);
}

static void
test_no_service_needs_a_lone_dot(void **state)
{
	struct srv_record r[2];

	fill(&r[0], 0, 0, ".");
	fill(&r[1], 5, 0, "xmpp.example.org");
	assert_false(srv_is_no_service(r, 2));
	assert_int_equal(srv_drop_dot(r, 2), 1);
	assert_string_equal(r[0].target, "xmpp.example.org");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_record),
		cmocka_unit_test(test_parse_dot_means_no_service),
		cmocka_unit_test(test_parse_refuses_malformed),
		cmocka_unit_test(test_order_priority_first),
		cmocka_unit_test(test_order_weight_selection),
		cmocka_unit_test(test_order_weight_zero_can_win),
		cmocka_unit_test(test_order_weights_distribution),
		cmocka_unit_test(test_no_service_needs_a_lone_dot),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
