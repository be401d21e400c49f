/* airlock/error.h - error values returned by every core call.
 *
 * The caller owns a struct airlock_err, usually on the stack. The first
 * failure recorded wins (the most specific story, told where it happened);
 * a success leaves it untouched. The core never prints: front-ends show
 * msg, then hint ("what to do"), and exit with airlock_exit_code(code). */
#ifndef AIRLOCK_ERROR_H
#define AIRLOCK_ERROR_H

#include <stddef.h>

/* The values are the documented exit codes of the programs (0-5); the
 * last two map to 1 there. */
enum airlock_code {
	AIRLOCK_OK = 0,
	AIRLOCK_E_FAILED = 1,    /* I/O, disk full, bad input file, anything else */
	AIRLOCK_E_USAGE = 2,     /* bad arguments */
	AIRLOCK_E_VERIFY = 3,    /* signature, hash, decryption, manifest, tree hash */
	AIRLOCK_E_POLICY = 4,    /* untrusted signer, expired, replay, rollback, ... */
	AIRLOCK_E_GAP = 5,       /* bundle base is not what the store holds */
	AIRLOCK_E_NOMEM = 6,
	AIRLOCK_E_CANCELLED = 7,
};

struct airlock_err {
	enum airlock_code code;
	int sys_errno;           /* errno of the failing call, or 0 */
	char msg[512];           /* "cannot open 'x': No such file or directory" */
	char hint[256];          /* "check the path and try again", or "" */
};

/* Resets err to "no error". */
void airlock_err_init(struct airlock_err *err);

/* Records a failure unless one is already recorded; returns err->code (the
 * first one), so a caller can write `return airlock_fail(err, ...)`. */
enum airlock_code airlock_fail(struct airlock_err *err, enum airlock_code code,
    const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* As airlock_fail, appending ": strerror(errnum)" and keeping errnum. */
enum airlock_code airlock_fail_errno(struct airlock_err *err, enum airlock_code code,
    int errnum, const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Sets the hint of the recorded failure if it has none yet. */
void airlock_hint(struct airlock_err *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Exit status for a code: 0..5 as documented, anything else 1. */
int airlock_exit_code(enum airlock_code code);

/* A short fixed name for a code ("ok", "verify", "policy", ...) for --json. */
const char *airlock_code_name(enum airlock_code code);

/* Copies untrusted bytes into out as printable ASCII (escaping the rest as
 * \xNN), truncated to fit; for quoting names from bundles in messages. */
void airlock_escape(char *out, size_t outlen, const char *in, size_t inlen);

#endif
