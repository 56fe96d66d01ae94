/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer target: any buffer through the readers of the user's npmrc,
 * pip.conf and cargo configuration, and through the URL host extraction.
 * Beyond crashes, checks that a host is only ever a host: non-empty, lower
 * case, made of host characters, never user information or a path. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../tools/registries.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

static void check_host(const char *h)
{
	size_t n = strlen(h);
	if (n == 0 || n > 253) {
		fprintf(stderr, "invariant broken: host length %zu\n", n);
		abort();
	}
	for (size_t i = 0; i < n; i++) {
		char c = h[i];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-' ||
		      c == '_' || c == ':')) {
			fprintf(stderr, "invariant broken: host '%s' holds byte 0x%02x\n", h,
				(unsigned char)c);
			abort();
		}
	}
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	const char *buf = (const char *)data;
	int (*parsers[])(const char *, size_t, const char *,
			 struct reg_list *) = { reg_parse_npmrc, reg_parse_pipconf,
						reg_parse_cargo };
	for (size_t k = 0; k < 3; k++) {
		struct reg_list l = { 0 };
		if (parsers[k](buf, size, "fuzz", &l) < 0)
			abort(); /* only out of memory fails */
		for (size_t i = 0; i < l.n; i++) {
			check_host(l.v[i].host);
			for (size_t j = 0; j < i; j++)
				if (strcmp(l.v[i].host, l.v[j].host) == 0)
					abort(); /* duplicates are merged */
		}
		reg_list_free(&l);
	}
	char host[256];
	if (reg_url_host(buf, size, host, sizeof(host)) == 0)
		check_host(host);
	return 0;
}
