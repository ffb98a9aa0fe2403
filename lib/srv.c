#include <string.h>

#include <openssl/rand.h>

#include "resolver.h"
#include "srv.h"

int
srv_parse(const unsigned char *rdata, size_t len, int direct_tls,
    struct srv_record *out, struct s2s_err *err)
{
	size_t off = 6;

	memset(out, 0, sizeof(*out));
	if (len < 7)
		return err_set(err, S2S_EPARSE, "SRV record: %zu bytes, too short", len);
	out->priority = (uint16_t)(rdata[0] << 8 | rdata[1]);
	out->weight = (uint16_t)(rdata[2] << 8 | rdata[3]);
	out->port = (uint16_t)(rdata[4] << 8 | rdata[5]);
	out->direct_tls = direct_tls;
	if (resolver_name_decode(rdata, len, &off, out->target, sizeof(out->target)) < 0)
		return err_set(err, S2S_EPARSE, "SRV record: malformed target name");
	if (off != len)
		return err_set(err, S2S_EPARSE, "SRV record: %zu trailing bytes", len - off);
	return 0;
}

static uint32_t
srv_rand_default(void *arg)
{
	uint32_t v = 0;

	(void)arg;
	if (RAND_bytes((unsigned char *)&v, sizeof(v)) != 1)
		v = 0;
	return v;
}

static void
srv_sort_priority(struct srv_record *recs, size_t n)
{
	/* Insertion sort: stable, n is small; weight-0 records move first. */
	for (size_t i = 1; i < n; i++) {
		struct srv_record tmp = recs[i];
		size_t j = i;

		while (j > 0 && (recs[j - 1].priority > tmp.priority ||
		    (recs[j - 1].priority == tmp.priority &&
		    recs[j - 1].weight != 0 && tmp.weight == 0))) {
			recs[j] = recs[j - 1];
			j--;
		}
		recs[j] = tmp;
	}
}

/* Order recs[lo..hi) (one priority) by weighted random selection. */
static void
srv_order_group(struct srv_record *recs, size_t lo, size_t hi,
    uint32_t (*rnd)(void *), void *arg)
{
	for (size_t pos = lo; pos + 1 < hi; pos++) {
		uint64_t sum = 0, pick, run = 0;
		size_t k;

		for (k = pos; k < hi; k++)
			sum += recs[k].weight;
		pick = sum == 0 ? 0 : (uint64_t)rnd(arg) % (sum + 1);
		for (k = pos; k < hi; k++) {
			run += recs[k].weight;
			if (run >= pick)
				break;
		}
		if (k >= hi)
			k = hi - 1;
		if (k != pos) {
			struct srv_record tmp = recs[k];

			memmove(&recs[pos + 1], &recs[pos], (k - pos) * sizeof(*recs));
			recs[pos] = tmp;
		}
	}
}

void
srv_order(struct srv_record *recs, size_t n, uint32_t (*rnd)(void *), void *arg)
{
	size_t lo = 0;

	if (rnd == NULL)
		rnd = srv_rand_default;
	srv_sort_priority(recs, n);
	while (lo < n) {
		size_t hi = lo + 1;

		while (hi < n && recs[hi].priority == recs[lo].priority)
			hi++;
		srv_order_group(recs, lo, hi, rnd, arg);
		lo = hi;
	}
}

int
srv_is_no_service(const struct srv_record *recs, size_t n)
{
	return n == 1 && strcmp(recs[0].target, ".") == 0;
}

size_t
srv_drop_dot(struct srv_record *recs, size_t n)
{
	size_t w = 0;

	for (size_t i = 0; i < n; i++)
		if (strcmp(recs[i].target, ".") != 0)
			recs[w++] = recs[i];
	return w;
}
