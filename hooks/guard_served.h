/*
 * guard_served.h: is the XMPP server presenting what s2sguard deployed?
 * After a deploy's reload (retrying until reload_timeout: the server may
 * take a moment) and during a hold (once), the guard connects to the
 * domain's own server (served.h, as probe_user) and compares the leaf it
 * presents with the expected one. verify_served = no, or no endpoint that
 * answers, skips the check; the report says so and why.
 */
#ifndef S2S_GUARD_SERVED_H
#define S2S_GUARD_SERVED_H

#include <stddef.h>

#include <jansson.h>

#include "config.h"
#include "deadline.h"
#include "log.h"

enum guard_served_outcome {
	GUARD_SERVED_SKIPPED = 0,	/* "skipped": verify_served = no, nothing answered */
	GUARD_SERVED_OK,		/* "served": every endpoint presents the expected leaf */
	GUARD_SERVED_WRONG,		/* "not-served": some endpoint presents another */
};

/* Files the presented leaf is looked for in, to name what the server reads. */
struct guard_served_candidate {
	const char	*path;
	const char	*what;		/* e.g. "the certificate deployed before" */
};

struct guard_served_in {
	const struct config	*cfg;
	const struct cfg_domain	*dom;
	const char		*domain;
	const unsigned char	*want_pem;	/* the chain that should be served */
	size_t			 want_len;
	const struct guard_served_candidate *cands;
	size_t			 ncands;
	int			 after_reload;	/* retry until reload_timeout */
	int			 in_check;	/* s2sguard-check, nothing held: no hold to speak of */
	struct deadline		 dl;		/* the run's */
	const struct s2s_log	*log;
};

/*
 * Run the check. *report_out (new reference, may be NULL on ENOMEM) is the
 * report's "served" object: {"outcome", "expected_sha256", "tries",
 * "detail", "endpoints": [...]}. msg gets one line for the actions list.
 */
enum guard_served_outcome guard_served_check(const struct guard_served_in *in,
			    json_t **report_out, char *msg, size_t msglen);

const char	*guard_served_outcome_name(enum guard_served_outcome o);

#endif
