/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The exit report: what the run's guards blocked, quarantined or dropped.
 * Each part of the library that acts on what the sandbox wrote adds its
 * items with ccsb__report(); ccsb_sandbox_run() writes them as one block when
 * the run ends, and nothing at all when there is none. */
#include "internal.h"
#include "events.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int ccsb__report_at(ccsb_sandbox *sb, const char *file, const char *fmt, ...)
{
	if (sb->nreport == sb->capreport) {
		size_t cap = sb->capreport ? 2 * sb->capreport : 8;
		char **v = reallocarray(sb->report, cap, sizeof(*v));
		if (!v)
			return -ENOMEM;
		sb->report = v;
		sb->capreport = cap;
	}
	va_list ap;
	va_start(ap, fmt);
	int n = vasprintf(&sb->report[sb->nreport], fmt, ap);
	va_end(ap);
	if (n < 0)
		return -ENOMEM;
	/* The event has the text as written: its encoding escapes it. */
	ccsb__event_report(sb->events, file, sb->report[sb->nreport]);
	/* One item a line, whatever the sandbox named its files. */
	for (char *p = sb->report[sb->nreport]; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	sb->nreport++;
	return 0;
}

void ccsb__report_clear(ccsb_sandbox *sb)
{
	for (size_t i = 0; i < sb->nreport; i++)
		free(sb->report[i]);
	sb->nreport = 0;
}

void ccsb__report_write(const ccsb_sandbox *sb)
{
	if (sb->report_fd < 0 || sb->nreport == 0)
		return;
	dprintf(sb->report_fd, "ccsb: after the run, %zu item%s:\n", sb->nreport,
		sb->nreport == 1 ? "" : "s");
	for (size_t i = 0; i < sb->nreport; i++)
		dprintf(sb->report_fd, "ccsb:   %s\n", sb->report[i]);
}

CCSB_EXPORT void ccsb_sandbox_set_report_fd(ccsb_sandbox *sb, int fd)
{
	if (sb)
		sb->report_fd = fd;
}

CCSB_EXPORT size_t ccsb_sandbox_report_count(const ccsb_sandbox *sb)
{
	return sb ? sb->nreport : 0;
}

CCSB_EXPORT const char *ccsb_sandbox_report_item(const ccsb_sandbox *sb, size_t i)
{
	return sb && i < sb->nreport ? sb->report[i] : NULL;
}
