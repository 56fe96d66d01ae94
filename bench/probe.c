/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * probe: the sandboxed command of the release-time benchmark.
 *
 * Its first instructions read CLOCK_MONOTONIC (shared by every namespace:
 * Linux has no time namespace in play here) and write it to stdout as
 * "<nanoseconds>\n"; then it exits 0. No libc, no dynamic loader, no
 * startup code: built with -nostdlib -static, so the timestamp is taken a
 * few hundred instructions after execve() returns. The launcher compares it
 * with its own CLOCK_MONOTONIC reading taken just before fork().
 *
 * x86_64 and aarch64 only (raw system calls); elsewhere run.sh falls back
 * to a static libc build (-DPROBE_LIBC).
 */
#ifdef PROBE_LIBC
#include <time.h>
#include <unistd.h>
#endif

#define CLOCK_MONO 1

struct ts {
	long sec, nsec;
};

#ifndef PROBE_LIBC
#if defined(__x86_64__)
static long sys3(long n, long a, long b, long c)
{
	long r;
	__asm__ volatile("syscall"
			 : "=a"(r)
			 : "a"(n), "D"(a), "S"(b), "d"(c)
			 : "rcx", "r11", "memory");
	return r;
}
#define NR_WRITE 1
#define NR_EXIT 60
#define NR_CLOCK_GETTIME 228
#elif defined(__aarch64__)
static long sys3(long n, long a, long b, long c)
{
	register long x8 __asm__("x8") = n;
	register long x0 __asm__("x0") = a;
	register long x1 __asm__("x1") = b;
	register long x2 __asm__("x2") = c;
	__asm__ volatile("svc 0" : "+r"(x0) : "r"(x8), "r"(x1), "r"(x2) : "memory");
	return x0;
}
#define NR_WRITE 64
#define NR_EXIT 93
#define NR_CLOCK_GETTIME 113
#else
#error "raw probe: x86_64 or aarch64 only; build with -DPROBE_LIBC"
#endif
#endif

static int fmt(char *out, unsigned long long v)
{
	char tmp[24];
	int n = 0, k = 0;
	do
		tmp[n++] = (char)('0' + v % 10);
	while ((v /= 10) != 0);
	while (n)
		out[k++] = tmp[--n];
	out[k++] = '\n';
	return k;
}

#ifdef PROBE_LIBC
int main(void)
{
	struct timespec t;
	char buf[32];
	clock_gettime(CLOCK_MONOTONIC, &t);
	int n = fmt(buf,
		    (unsigned long long)t.tv_sec * 1000000000ULL + (unsigned long long)t.tv_nsec);
	return write(1, buf, (size_t)n) == n ? 0 : 1;
}
#else
#if defined(__x86_64__)
__attribute__((force_align_arg_pointer))
#endif
void _start(void) __attribute__((noreturn, used));
void _start(void)
{
	struct ts t;
	char buf[32];
	sys3(NR_CLOCK_GETTIME, CLOCK_MONO, (long)&t, 0);
	int n = fmt(buf, (unsigned long long)t.sec * 1000000000ULL + (unsigned long long)t.nsec);
	long w = sys3(NR_WRITE, 1, (long)buf, n);
	sys3(NR_EXIT, w == n ? 0 : 1, 0, 0);
	__builtin_unreachable();
}
#endif
