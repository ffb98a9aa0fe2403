/*
 * check_deployed.h: keep the state's view of the deployed certificate
 * current for a domain that holds nothing (s2sguard-check): re-probe it at
 * most once per probe_interval, or at once when the last probe was of
 * another certificate; check which certificate the server presents.
 */
#ifndef S2S_CHECK_DEPLOYED_H
#define S2S_CHECK_DEPLOYED_H

#include <time.h>

#include "config.h"
#include "log.h"

/*
 * 0, or < 0 when the state could not be locked, read or written (logged;
 * the metrics then show what the state still says).
 */
int	check_deployed_refresh(const struct config *cfg, const struct cfg_domain *d, time_t now,
	    const struct s2s_log *log);

#endif
