/*
 * queue.h: renewals that arrived while another run held the domain's lock.
 * A hook run that cannot get the lock within its deadline does not lose
 * its certificate: it queues it, outside the lock's data, as
 *
 *   STATE/queue/DOMAIN/ID/{cert,key}.pem      (0600; directories 0700)
 *
 * where ID sorts by arrival ("SECONDS.NANOSECONDS-PID"). An entry is
 * written under a temporary name and renamed into place, so a reader sees
 * it complete or not at all. Whoever next holds the lock (the run that
 * held it, a later hook run, s2sguard-check) processes the entries oldest
 * first through the normal pipeline and then drops them.
 */
#ifndef S2S_QUEUE_H
#define S2S_QUEUE_H

#include <stddef.h>

#include "config.h"
#include "deploy.h"
#include "err.h"

#define QUEUE_MAX_ENTRIES	64

/* Queue a pair for DOMAIN; the entry's directory into path_out (PATH_MAX). */
int	queue_add(const char *dir, const char *domain, const struct deploy_pair *p,
	    char *path_out, struct s2s_err *err);
/* The entries' directories, oldest first (at most QUEUE_MAX_ENTRIES); none is fine. */
int	queue_list(const char *dir, const char *domain, struct strlist *out,
	    struct s2s_err *err);
/* Is the entry still there (not yet processed by another run)? */
int	queue_entry_exists(const char *entry);
/* Remove an entry (its two files and directory); absent is fine. */
int	queue_drop(const char *entry, struct s2s_err *err);

#endif
