/*
 * debver.c: Debian version comparison (deb-version(7)), written from the
 * rules in the manual page.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "debver.h"

struct debver {
	unsigned long	epoch;
	char		upstream[DEBVER_MAX];
	char		revision[DEBVER_MAX];
};

/* Characters dpkg allows in the upstream part and the revision. */
static int
allowed(int c, int upstream)
{
	if (isalnum(c) || c == '.' || c == '+' || c == '~')
		return 1;
	return upstream && (c == '-' || c == ':');
}

static int
split(const char *v, struct debver *out)
{
	const char *colon, *up, *dash;
	char *end;
	size_t len;

	if (v == NULL || *v == '\0' || strlen(v) >= DEBVER_MAX)
		return -1;
	out->epoch = 0;
	up = v;
	if ((colon = strchr(v, ':')) != NULL) {
		if (colon == v || !isdigit((unsigned char)*v))
			return -1;
		out->epoch = strtoul(v, &end, 10);
		if (end != colon)
			return -1;
		up = colon + 1;
	}
	dash = strrchr(up, '-');
	len = dash != NULL ? (size_t)(dash - up) : strlen(up);
	if (len == 0 || !isdigit((unsigned char)*up))
		return -1;
	memcpy(out->upstream, up, len);
	out->upstream[len] = '\0';
	if (dash != NULL && dash[1] == '\0')
		return -1;
	memcpy(out->revision, dash != NULL ? dash + 1 : "", strlen(dash != NULL ? dash + 1 : "") + 1);
	for (const char *p = out->upstream; *p; p++)
		if (!allowed((unsigned char)*p, 1))
			return -1;
	for (const char *p = out->revision; *p; p++)
		if (!allowed((unsigned char)*p, 0))
			return -1;
	return 0;
}

/* Sort weight of one character of a non-digit run; 0 is the end of the run. */
static int
weight(int c)
{
	if (c == '~')
		return -1;
	if (c == '\0' || isdigit(c))
		return 0;
	if (isalpha(c))
		return c;
	return c + 256;
}

static int
cmp_part(const char *a, const char *b)
{
	while (*a != '\0' || *b != '\0') {
		int lead = 0;

		/* non-digit runs, character by character */
		while ((*a != '\0' && !isdigit((unsigned char)*a)) ||
		    (*b != '\0' && !isdigit((unsigned char)*b))) {
			int wa = weight((unsigned char)*a), wb = weight((unsigned char)*b);

			if (wa != wb)
				return wa < wb ? -1 : 1;
			a++;
			b++;
		}
		/* digit runs, as numbers: skip leading zeros, longer is larger */
		while (*a == '0')
			a++;
		while (*b == '0')
			b++;
		while (isdigit((unsigned char)*a) && isdigit((unsigned char)*b)) {
			if (lead == 0 && *a != *b)
				lead = *a < *b ? -1 : 1;
			a++;
			b++;
		}
		if (isdigit((unsigned char)*a))
			return 1;
		if (isdigit((unsigned char)*b))
			return -1;
		if (lead != 0)
			return lead;
	}
	return 0;
}

int
debver_valid(const char *v)
{
	struct debver d;

	return split(v, &d) == 0;
}

int
debver_cmp(const char *a, const char *b, int *out, struct s2s_err *err)
{
	struct debver da, db;
	int c;

	if (split(a, &da) != 0)
		return err_set(err, S2S_EPARSE, "'%s': not a Debian version", a != NULL ? a : "");
	if (split(b, &db) != 0)
		return err_set(err, S2S_EPARSE, "'%s': not a Debian version", b != NULL ? b : "");
	if (da.epoch != db.epoch)
		c = da.epoch < db.epoch ? -1 : 1;
	else if ((c = cmp_part(da.upstream, db.upstream)) == 0)
		c = cmp_part(da.revision, db.revision);
	*out = c;
	return 0;
}
