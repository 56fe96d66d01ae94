/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "internal.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int verr(ccsb_error **err, int code, bool with_errno, const char *fmt, va_list ap)
{
	if (code < 0)
		code = -code;
	if (code == 0)
		code = EIO;
	if (!err || *err)
		return -code;
	ccsb_error *e = calloc(1, sizeof(*e));
	if (!e)
		return -code;
	char *msg = NULL;
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	if (msg && with_errno) {
		char *full = NULL;
		if (asprintf(&full, "%s: %s", msg, strerror(code)) >= 0) {
			free(msg);
			msg = full;
		}
	}
	e->code = code;
	e->msg = msg ? msg : strdup(strerror(code));
	*err = e;
	return -code;
}

int ccsb__err(ccsb_error **err, int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int r = verr(err, code, false, fmt, ap);
	va_end(ap);
	return r;
}

int ccsb__errno(ccsb_error **err, int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int r = verr(err, code, true, fmt, ap);
	va_end(ap);
	return r;
}

CCSB_EXPORT int ccsb_error_code(const ccsb_error *e)
{
	return e ? e->code : 0;
}

CCSB_EXPORT const char *ccsb_error_message(const ccsb_error *e)
{
	return e && e->msg ? e->msg : "";
}

CCSB_EXPORT int ccsb_error_set(ccsb_error **err, int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int r = verr(err, code, false, fmt, ap);
	va_end(ap);
	return r;
}

CCSB_EXPORT void ccsb_error_free(ccsb_error *e)
{
	if (!e)
		return;
	free(e->msg);
	free(e);
}

CCSB_EXPORT const char *ccsb_version(void)
{
	return PACKAGE_VERSION;
}
