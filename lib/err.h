/*
 * err.h: the caller-owned error every fallible function fills.
 *
 * Functions return 0 on success and a negative S2S_E* code on failure and
 * write a one-line message that names the input and the problem into err.
 * Library code never prints and never exits.
 */
#ifndef S2S_ERR_H
#define S2S_ERR_H

#include <stddef.h>

enum s2s_errcode {
	S2S_OK = 0,
	S2S_EIO = -1,		/* could not read or write a file or socket */
	S2S_EPARSE = -2,	/* input is not what it claims to be */
	S2S_ENOMEM = -3,	/* allocation failed */
	S2S_EINVAL = -4,	/* bad argument or configuration value */
	S2S_ETOOBIG = -5,	/* input exceeds a documented ceiling */
	S2S_ETIMEOUT = -6,	/* deadline passed */
	S2S_ENET = -7,		/* network failure */
	S2S_ETLS = -8,		/* TLS failure */
	S2S_EPROTO = -9,	/* peer or server broke the protocol */
	S2S_ENOTFOUND = -10,	/* a looked-up thing does not exist */
	S2S_EPERM = -11,	/* permission or privilege problem */
	S2S_EBUSY = -12,	/* locked by another run */
};

struct s2s_err {
	int	code;
	char	msg[512];
};

/* Fill err (if not NULL) and return code, so callers can `return err_set(...)`. */
int	err_set(struct s2s_err *err, int code, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));

/* Prefix err->msg with "what: " (e.g. a file name) keeping the code. */
int	err_prefix(struct s2s_err *err, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));

/* Append OpenSSL's oldest queued error reason (if any) to err->msg and clear the queue. */
int	err_ssl(struct s2s_err *err, int code, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));

void	err_clear(struct s2s_err *err);

#endif
