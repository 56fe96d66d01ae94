/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer target: any bytes as a session packet (sessproto.h), as ccsb-exec
 * reads them from a connection and the client reads ccsb-exec's answers.
 * Beyond crashes, checks what ccsb-exec relies on: an accepted EXEC has
 * argc arguments and envc settings inside the packet, each NUL-terminated,
 * argv[0] non-empty, every setting NAME=VALUE with a name, the working
 * directory empty or absolute, the lists NULL-terminated within the limits;
 * and it encodes back to the very same bytes. */
#include "sessproto.h"
#include "fuzz.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static bool inside(const char *s, const uint8_t *buf, size_t len)
{
	return (const uint8_t *)s >= buf && (const uint8_t *)s + strlen(s) < buf + len;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* An exact-size copy, so that ASan sees any read past the packet. */
	uint8_t *buf = malloc(size ? size : 1);
	if (!buf)
		return 0;
	memcpy(buf, data, size);
	uint16_t type;
	uint32_t arg;
	if (ccsb__sess_check(buf, size, &type, &arg) == 0) {
		check(type >= CCSB_SESS_CONN && type <= CCSB_SESS_EXIT, "type in range");
		check(size - sizeof(struct ccsb_sess_hdr) <= CCSB_SESS_MAX_PAYLOAD, "length bound");
	}
	static struct ccsb_sess_exec e;
	if (ccsb__sess_parse_exec(buf, size, &e) == 0) {
		check(e.argc >= 1 && e.argc <= CCSB_SESS_MAX_ARGS && e.envc <= CCSB_SESS_MAX_ENV,
		      "counts within limits");
		check(e.argv[e.argc] == NULL && e.envp[e.envc] == NULL, "lists terminated");
		check(inside(e.cwd, buf, size) && (!*e.cwd || *e.cwd == '/'), "cwd");
		check(*e.argv[0] != '\0', "argv[0] non-empty");
		for (uint32_t i = 0; i < e.argc; i++)
			check(inside(e.argv[i], buf, size), "argument inside the packet");
		for (uint32_t i = 0; i < e.envc; i++)
			check(inside(e.envp[i], buf, size) && e.envp[i][0] != '=' &&
				      strchr(e.envp[i], '='),
			      "setting NAME=VALUE inside the packet");
		void *again;
		size_t alen;
		check(ccsb__sess_encode_exec(e.flags, e.cwd, e.argv, e.envp, &again, &alen) == 0,
		      "accepted request encodes");
		check(alen == size && memcmp(again, buf, size) == 0, "encodes to the same bytes");
		free(again);
	}
	free(buf);
	return 0;
}
