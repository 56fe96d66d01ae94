/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer target: any bytes through the terminal escape filter, with the
 * flags from the first byte. Beyond crashes, checks what the relay relies
 * on: the output fits the documented bound, is the same however the input
 * is split, passes the filter again unchanged (everything it lets through is
 * an allowed, well-formed sequence), and never holds the sequences the
 * filter exists to stop. */
#include "escfilter.h"
#include "fuzz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool has(const unsigned char *p, size_t n, const char *needle)
{
	size_t k = strlen(needle);
	for (size_t i = 0; i + k <= n; i++)
		if (memcmp(p + i, needle, k) == 0)
			return true;
	return false;
}

static size_t filter(unsigned flags, const uint8_t *in, size_t n, size_t split, unsigned char *out)
{
	struct ccsb_escfilter f;
	ccsb__escf_init(&f, flags);
	size_t k = ccsb__escf_run(&f, in, split, out);
	check(k <= split + CCSB_ESCF_SLACK, "first run within n + SLACK");
	size_t k2 = ccsb__escf_run(&f, in + split, n - split, out + k);
	check(k2 <= n - split + CCSB_ESCF_SLACK, "second run within n + SLACK");
	k += k2;
	size_t k3 = ccsb__escf_finish(&f, out + k);
	check(k3 <= CCSB_ESCF_SLACK, "finish within SLACK");
	return k + k3;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2)
		return 0;
	unsigned flags = data[0] & (CCSB_ESCF_ALLOW_CLIPBOARD | CCSB_ESCF_8BIT);
	size_t split = data[1] % (size - 1);
	data += 2;
	size -= 2;
	size_t cap = 2 * size + 3 * CCSB_ESCF_SLACK;
	unsigned char *a = malloc(cap), *b = malloc(cap), *c = malloc(cap);
	check(a && b && c, "malloc");

	size_t na = filter(flags, data, size, size, a);
	size_t nb = filter(flags, data, size, split, b);
	check(na == nb && memcmp(a, b, na) == 0, "the same output however the input is split");

	struct ccsb_escfilter g;
	ccsb__escf_init(&g, flags);
	size_t nc = ccsb__escf_run(&g, a, na, c);
	nc += ccsb__escf_finish(&g, c + nc);
	check(nc == na && memcmp(a, c, na) == 0, "the output passes the filter unchanged");
	check(ccsb__escf_dropped(&g) == 0, "nothing in the output is dropped");

	if (!(flags & CCSB_ESCF_ALLOW_CLIPBOARD))
		check(!has(a, na, "\x1b]52;"), "no clipboard write");
	check(!has(a, na, "\x1b]52;c;?") && !has(a, na, "\x1b]52;;?"), "no clipboard read");
	check(!has(a, na, "\x1b_") && !has(a, na, "\x1b^") && !has(a, na, "\x1bX"),
	      "no APC/PM/SOS");
	check(!has(a, na, "\x1bP$q") && !has(a, na, "\x1bPtmux"), "no DECRQSS, no passthrough");
	check(!has(a, na, "\x1b[21t") && !has(a, na, "\x1b[20t"), "no title report");
	check(!has(a, na, "\x1b]50;") && !has(a, na, "\x1b]1337;"), "no font, no iTerm2 extension");
	free(a);
	free(b);
	free(c);
	return 0;
}
