/*
 * libFuzzer target: arbitrary bytes into the XMPP stream handler, split into
 * chunks at positions taken from the input itself, with a restart (fresh
 * parser) whenever the handler stops, as the prober does after <proceed/>.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "xmpp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
on_event(void *arg, const struct xmpp_event *ev)
{
	size_t *n = arg;

	(*n)++;
	/* touch every field the prober reads */
	if (strlen(ev->condition) >= sizeof(ev->condition) ||
	    strlen(ev->text) >= sizeof(ev->text) ||
	    strlen(ev->features.mechanisms) >= sizeof(ev->features.mechanisms))
		__builtin_trap();
	return ev->type == XMPP_EV_PROCEED || ev->type == XMPP_EV_SASL_SUCCESS;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct xmpp_limits lim = { 4096, 32768, 16 };
	struct xmpp_stream *xs;
	struct s2s_err err;
	size_t off = 0, events = 0;
	unsigned step;

	if (size < 1)
		return 0;
	step = data[0] % 64 + 1;
	data++;
	size--;
	if (xmpp_stream_new(&lim, on_event, &events, &xs, &err) < 0)
		return 0;
	while (off < size) {
		size_t n = size - off < step ? size - off : step;
		int rc = xmpp_stream_feed(xs, data + off, n, &err);

		off += n;
		if (rc != 0 && xmpp_stream_reset(xs, &err) < 0)
			break;
	}
	xmpp_stream_free(xs);
	return 0;
}
