/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Minimal TAP producer for the unit tests, read by automake's tap-driver.sh.
 *
 *     plan(3);                 // or no plan and done_testing() prints it
 *     ok(x == 1, "x is %d", x);
 *     is_int(f(), 0, "f works");
 *     is_str(s, "abc", "s");
 *     return done_testing();   // 0 when everything passed
 *
 * One test program is one translation unit, so the state is file-static. */
#ifndef CCSB_TAP_H
#define CCSB_TAP_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int tap_planned = -1;
static int tap_run;
static int tap_failed;

static inline void tap_plan(int n)
{
	tap_planned = n;
	printf("1..%d\n", n);
	fflush(stdout);
}
#define plan(n) tap_plan(n)

/* The whole program is skipped: exit 0, since tap-driver.sh reads 77 as an
 * error. */
static inline __attribute__((noreturn)) void skip_all(const char *reason)
{
	printf("1..0 # SKIP %s\n", reason);
	fflush(stdout);
	exit(0);
}

static inline __attribute__((noreturn)) void bail_out(const char *reason)
{
	printf("Bail out! %s\n", reason);
	fflush(stdout);
	exit(1);
}

static inline __attribute__((format(printf, 1, 2))) void diag(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("# ", stdout);
	vprintf(fmt, ap);
	fputc('\n', stdout);
	va_end(ap);
	fflush(stdout);
}

/* A '#' in a description would start a directive, a newline a new line. */
static inline void tap_put_desc(const char *s)
{
	for (; *s; s++) {
		if (*s == '#')
			fputs("\\#", stdout);
		else if (*s == '\n' || *s == '\r')
			fputc(' ', stdout);
		else
			fputc(*s, stdout);
	}
}

static inline __attribute__((format(printf, 4, 0))) bool tap_vok(bool cond, const char *file,
								 int line, const char *fmt,
								 va_list ap)
{
	char desc[512];
	vsnprintf(desc, sizeof(desc), fmt, ap);
	tap_run++;
	printf("%sok %d - ", cond ? "" : "not ", tap_run);
	tap_put_desc(desc);
	fputc('\n', stdout);
	if (!cond) {
		tap_failed++;
		printf("#   Failed test at %s line %d\n", file, line);
	}
	fflush(stdout);
	return cond;
}

static inline __attribute__((format(printf, 4, 5))) bool tap_ok(bool cond, const char *file,
								int line, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	bool r = tap_vok(cond, file, line, fmt, ap);
	va_end(ap);
	return r;
}

static inline __attribute__((format(printf, 5, 6))) bool tap_is_int(long long got, long long want,
								    const char *file, int line,
								    const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	bool r = tap_vok(got == want, file, line, fmt, ap);
	va_end(ap);
	if (!r)
		printf("#          got: %lld\n#     expected: %lld\n", got, want);
	return r;
}

static inline __attribute__((format(printf, 5, 6))) bool tap_is_str(const char *got,
								    const char *want,
								    const char *file, int line,
								    const char *fmt, ...)
{
	bool same = (!got && !want) || (got && want && strcmp(got, want) == 0);
	va_list ap;
	va_start(ap, fmt);
	bool r = tap_vok(same, file, line, fmt, ap);
	va_end(ap);
	if (!r) {
		printf("#          got: %s%s%s\n", got ? "'" : "", got ? got : "NULL",
		       got ? "'" : "");
		printf("#     expected: %s%s%s\n", want ? "'" : "", want ? want : "NULL",
		       want ? "'" : "");
	}
	return r;
}

#define ok(cond, ...) tap_ok(!!(cond), __FILE__, __LINE__, __VA_ARGS__)
#define is_int(got, want, ...) \
	tap_is_int((long long)(got), (long long)(want), __FILE__, __LINE__, __VA_ARGS__)
#define is_str(got, want, ...) tap_is_str((got), (want), __FILE__, __LINE__, __VA_ARGS__)

/* Report `n` tests as skipped, for a part that cannot run here. */
static inline void skip(int n, const char *reason)
{
	for (int i = 0; i < n; i++)
		printf("ok %d # SKIP %s\n", ++tap_run, reason);
	fflush(stdout);
}

/* Print the plan if none was given; the exit status for main(). */
static inline int done_testing(void)
{
	if (tap_planned < 0) {
		printf("1..%d\n", tap_run);
	} else if (tap_planned != tap_run) {
		diag("planned %d tests but ran %d", tap_planned, tap_run);
		return 1;
	}
	fflush(stdout);
	if (tap_failed)
		diag("failed %d of %d tests", tap_failed, tap_run);
	return tap_failed ? 1 : 0;
}

#endif
