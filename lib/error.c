/* error.c - first-failure-wins error values. */
#include "airlock/error.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void airlock_err_init(struct airlock_err *err)
{
	memset(err, 0, sizeof *err);
}

__attribute__((format(printf, 4, 0)))
static enum airlock_code vfail(struct airlock_err *err, enum airlock_code code, int errnum,
    const char *fmt, va_list ap)
{
	if (err->code != AIRLOCK_OK)
		return err->code;
	err->code = code;
	err->sys_errno = errnum;
	vsnprintf(err->msg, sizeof err->msg, fmt, ap);
	if (errnum != 0) {
		size_t used = strlen(err->msg);
		snprintf(err->msg + used, sizeof err->msg - used, ": %s", strerror(errnum));
	}
	return code;
}

enum airlock_code airlock_fail(struct airlock_err *err, enum airlock_code code,
    const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vfail(err, code, 0, fmt, ap);
	va_end(ap);
	return err->code;
}

enum airlock_code airlock_fail_errno(struct airlock_err *err, enum airlock_code code,
    int errnum, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vfail(err, code, errnum, fmt, ap);
	va_end(ap);
	return err->code;
}

void airlock_hint(struct airlock_err *err, const char *fmt, ...)
{
	va_list ap;
	if (err->hint[0] != '\0')
		return;
	va_start(ap, fmt);
	vsnprintf(err->hint, sizeof err->hint, fmt, ap);
	va_end(ap);
}

int airlock_exit_code(enum airlock_code code)
{
	if (code >= AIRLOCK_OK && code <= AIRLOCK_E_GAP)
		return (int)code;
	return 1;
}

const char *airlock_code_name(enum airlock_code code)
{
	static const char *const names[] = {
		[AIRLOCK_OK] = "ok", [AIRLOCK_E_FAILED] = "failed",
		[AIRLOCK_E_USAGE] = "usage", [AIRLOCK_E_VERIFY] = "verify",
		[AIRLOCK_E_POLICY] = "policy", [AIRLOCK_E_GAP] = "gap",
		[AIRLOCK_E_NOMEM] = "nomem", [AIRLOCK_E_CANCELLED] = "cancelled",
	};
	if ((unsigned)code < sizeof names / sizeof names[0])
		return names[code];
	return "failed";
}

void airlock_escape(char *out, size_t outlen, const char *in, size_t inlen)
{
	size_t o = 0;
	if (outlen == 0)
		return;
	for (size_t i = 0; i < inlen; i++) {
		unsigned char c = (unsigned char)in[i];
		int printable = c >= 0x20 && c < 0x7f && c != '\\';
		size_t need = printable ? 1 : 4;
		if (o + need + 1 > outlen)
			break;
		if (printable)
			out[o++] = (char)c;
		else
			o += (size_t)snprintf(out + o, outlen - o, "\\x%02x", c);
	}
	out[o] = '\0';
}
