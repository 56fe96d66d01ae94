/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* sh("mkdir -p %s/a", top): a shell command for a unit test's fixtures;
 * the test bails out when it fails. Include after tap.h. */
#ifndef CCSB_TEST_SH_H
#define CCSB_TEST_SH_H

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

static inline void sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static inline void sh(const char *fmt, ...)
{
	char cmd[4 * PATH_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	if (system(cmd) != 0)
		bail_out(cmd);
}

#endif
