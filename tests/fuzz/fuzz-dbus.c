/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer target: any bytes as the stream a session bus sends back to
 * ccsb's systemd scope client (libccsandbox/scope.c reads exactly this way:
 * parse, consume, repeat). Beyond crashes, checks that a complete message
 * is never longer than the input, strings stay NUL-terminated within their
 * fields, and the counts stay within their arrays. */
#include "dbus.h"
#include "fuzz.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* A copy of exactly `size` bytes, so that ASan sees any read past. */
	unsigned char *p = malloc(size ? size : 1);
	if (!p)
		return 0;
	memcpy(p, data, size);
	size_t off = 0;
	for (;;) {
		struct ccsb_dbus_msg m;
		ssize_t r = ccsb__dbus_parse(p + off, size - off, &m);
		check(r == 0 || r == -EBADMSG || (r >= 16 && (size_t)r <= size - off),
		      "result is 0, -EBADMSG or a length within the input");
		if (r <= 0)
			break;
		check(m.nstr <= CCSB_DBUS_NSTR && m.nu <= CCSB_DBUS_NU, "counts within arrays");
		check(memchr(m.member, 0, sizeof(m.member)) &&
			      memchr(m.error, 0, sizeof(m.error)) &&
			      memchr(m.path, 0, sizeof(m.path)) &&
			      memchr(m.signature, 0, sizeof(m.signature)),
		      "header strings terminated");
		for (size_t i = 0; i < m.nstr; i++)
			check(memchr(m.str[i], 0, sizeof(m.str[i])) != NULL,
			      "body strings terminated");
		off += (size_t)r;
	}
	free(p);
	return 0;
}
