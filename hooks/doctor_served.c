/*
 * doctor_served.c: served-certificate. Connect to the domain's own server
 * as a peer would and compare the leaf it presents with s2sguard's target.
 */
#include "doctor_int.h"

int
doctor_check_served(const struct doctor_opts *o, const struct cfg_domain *d,
    struct doctor_results *r)
{
	(void)o;
	return doctor_add(r, "served-certificate", d->name, DOCTOR_SKIP, NULL,
	    "not checked yet");
}
