/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What the libFuzzer targets share: the entry point's prototype (for
 * -Wmissing-prototypes), check() for the invariants a target asserts
 * beyond crashes, and printable() for text the sandbox may see. */
#ifndef CCSB_FUZZ_H
#define CCSB_FUZZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A broken invariant is a finding: abort() makes libFuzzer keep the input. */
static inline void check(bool cond, const char *what)
{
	if (!cond) {
		fprintf(stderr, "invariant broken: %s\n", what);
		abort();
	}
}

/* No control character (C0 or DEL). */
static inline bool printable(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return false;
	return true;
}

#endif
