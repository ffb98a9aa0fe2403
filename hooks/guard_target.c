/*
 * guard_target.c: is the deploy target broken? (see guard.h)
 */
#include <errno.h>
#include <stdio.h>
#include <unistd.h>

#include "guard.h"

static int
present(const char *path)
{
	return path != NULL && access(path, F_OK) == 0;
}

int
guard_target_incomplete(const struct deploy_target *t, int have_last_good, char *why, size_t len)
{
	int cert, key;

	if (t->pem_path != NULL) {
		if (present(t->pem_path) || !have_last_good)
			return 0;
		snprintf(why, len, "the deployed file %s is missing", t->pem_path);
		return 1;
	}
	cert = present(t->cert_path);
	key = present(t->key_path);
	if (cert && key)
		return 0;
	if (cert)
		snprintf(why, len, "the deployed key %s is missing (the certificate %s is there)",
		    t->key_path, t->cert_path);
	else if (key)
		snprintf(why, len, "the deployed certificate %s is missing (the key %s is there)",
		    t->cert_path, t->key_path);
	else if (have_last_good)
		snprintf(why, len, "the deployed certificate %s and key %s are missing",
		    t->cert_path, t->key_path);
	else
		return 0;	/* nothing deployed yet */
	return 1;
}
