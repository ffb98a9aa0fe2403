/*
 * deadline.h: absolute deadlines on the monotonic clock. Callers pass one
 * down; every connect, read, handshake and transfer gets the time remaining.
 */
#ifndef S2S_DEADLINE_H
#define S2S_DEADLINE_H

#include <stdint.h>

struct deadline {
	int64_t	at_ms;		/* CLOCK_MONOTONIC milliseconds; 0 = none */
};

int64_t		deadline_now_ms(void);
struct deadline	deadline_in_ms(int64_t ms);
/* Milliseconds left (>= 0); INT32_MAX-ish for "no deadline". */
int		deadline_left_ms(const struct deadline *d);
int		deadline_expired(const struct deadline *d);
/* The earlier of two deadlines. */
struct deadline	deadline_min(struct deadline a, struct deadline b);

#endif
