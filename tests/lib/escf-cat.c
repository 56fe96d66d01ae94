/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* escf-cat [--allow-clipboard]: standard input through the terminal escape
 * filter to standard output, as the pty relay does; the count of dropped
 * sequences on standard error. For tests that check a program's recorded
 * output passes unchanged. */
#include "escfilter.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	static unsigned char in[65536], out[65536 + CCSB_ESCF_SLACK];
	struct ccsb_escfilter f;
	ccsb__escf_init(&f, argc > 1 && strcmp(argv[1], "--allow-clipboard") == 0
				    ? CCSB_ESCF_ALLOW_CLIPBOARD
				    : 0);
	ssize_t k;
	while ((k = read(0, in, sizeof(in))) > 0) {
		size_t n = ccsb__escf_run(&f, in, (size_t)k, out);
		if (fwrite(out, 1, n, stdout) != n)
			return 1;
	}
	size_t n = ccsb__escf_finish(&f, out);
	if (fwrite(out, 1, n, stdout) != n || fflush(stdout) != 0)
		return 1;
	fprintf(stderr, "dropped %lu\n", ccsb__escf_dropped(&f));
	return k < 0;
}
