#include <limits.h>
#include <time.h>

#include "deadline.h"

int64_t
deadline_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct deadline
deadline_in_ms(int64_t ms)
{
	struct deadline d = { deadline_now_ms() + (ms < 0 ? 0 : ms) };

	return d;
}

int
deadline_left_ms(const struct deadline *d)
{
	int64_t left;

	if (d == NULL || d->at_ms == 0)
		return INT_MAX;
	left = d->at_ms - deadline_now_ms();
	if (left < 0)
		return 0;
	return left > INT_MAX ? INT_MAX : (int)left;
}

int
deadline_expired(const struct deadline *d)
{
	return d != NULL && d->at_ms != 0 && deadline_left_ms(d) == 0;
}

struct deadline
deadline_min(struct deadline a, struct deadline b)
{
	if (a.at_ms == 0)
		return b;
	if (b.at_ms == 0)
		return a;
	return a.at_ms < b.at_ms ? a : b;
}
