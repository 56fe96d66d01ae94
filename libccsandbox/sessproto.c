/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The session channel's packets (sessproto.h): pure, libc only. */
#include "sessproto.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int ccsb__sess_check(const void *buf, size_t len, uint16_t *type, uint32_t *arg)
{
	struct ccsb_sess_hdr h;
	if (len < sizeof(h))
		return -EPROTO;
	memcpy(&h, buf, sizeof(h));
	if (h.magic != CCSB_SESS_MAGIC)
		return -EPROTO;
	if (h.version != CCSB_SESS_VERSION)
		return -EPROTONOSUPPORT;
	if (h.type < CCSB_SESS_CONN || h.type > CCSB_SESS_EXIT)
		return -EPROTO;
	if (h.len > CCSB_SESS_MAX_PAYLOAD || h.len != len - sizeof(h))
		return -EPROTO;
	/* Only EXEC has a payload. */
	if ((h.type == CCSB_SESS_EXEC) != (h.len > 0))
		return -EPROTO;
	*type = h.type;
	*arg = h.arg;
	return 0;
}

void ccsb__sess_simple(void *buf, uint16_t type, uint32_t arg)
{
	struct ccsb_sess_hdr h = { .magic = CCSB_SESS_MAGIC,
				   .version = CCSB_SESS_VERSION,
				   .type = type,
				   .len = 0,
				   .arg = arg };
	memcpy(buf, &h, sizeof(h));
}

/* The next NUL-terminated string at *p, within end; NULL when none. */
static const char *take(const char **p, const char *end)
{
	const char *s = *p;
	if (s >= end)
		return NULL;
	const char *nul = memchr(s, '\0', (size_t)(end - s));
	if (!nul)
		return NULL;
	*p = nul + 1;
	return s;
}

int ccsb__sess_parse_exec(const void *buf, size_t len, struct ccsb_sess_exec *out)
{
	uint16_t type;
	uint32_t arg;
	int r = ccsb__sess_check(buf, len, &type, &arg);
	if (r < 0)
		return r;
	struct ccsb_sess_exec_hdr e;
	size_t off = sizeof(struct ccsb_sess_hdr);
	if (type != CCSB_SESS_EXEC || arg != 0 || len - off < sizeof(e))
		return -EPROTO;
	memcpy(&e, (const char *)buf + off, sizeof(e));
	off += sizeof(e);
	if (e.flags & ~CCSB_SESS_FLAG_TTY || e.reserved)
		return -EPROTO;
	if (e.argc == 0)
		return -EPROTO;
	if (e.argc > CCSB_SESS_MAX_ARGS || e.envc > CCSB_SESS_MAX_ENV)
		return -E2BIG;
	const char *p = (const char *)buf + off, *end = (const char *)buf + len;
	out->flags = e.flags;
	out->argc = e.argc;
	out->envc = e.envc;
	if (!(out->cwd = take(&p, end)))
		return -EPROTO;
	if (*out->cwd && *out->cwd != '/')
		return -EPROTO;
	for (uint32_t i = 0; i < e.argc; i++)
		if (!(out->argv[i] = take(&p, end)))
			return -EPROTO;
	out->argv[e.argc] = NULL;
	if (!*out->argv[0])
		return -EPROTO;
	for (uint32_t i = 0; i < e.envc; i++) {
		const char *s = take(&p, end);
		if (!s || s[0] == '=' || !strchr(s, '='))
			return -EPROTO;
		out->envp[i] = s;
	}
	out->envp[e.envc] = NULL;
	return p == end ? 0 : -EPROTO;
}

int ccsb__sess_encode_exec(uint32_t flags, const char *cwd, const char *const *argv,
			   const char *const *envp, void **out, size_t *outlen)
{
	if (!argv || !argv[0] || !*argv[0] || (flags & ~CCSB_SESS_FLAG_TTY) ||
	    (cwd && *cwd && *cwd != '/'))
		return -EINVAL;
	size_t argc = 0, envc = 0;
	size_t n = sizeof(struct ccsb_sess_exec_hdr) + strlen(cwd ? cwd : "") + 1;
	for (; argv[argc]; argc++)
		n += strlen(argv[argc]) + 1;
	for (; envp && envp[envc]; envc++) {
		if (envp[envc][0] == '=' || !strchr(envp[envc], '='))
			return -EINVAL;
		n += strlen(envp[envc]) + 1;
	}
	if (argc > CCSB_SESS_MAX_ARGS || envc > CCSB_SESS_MAX_ENV || n > CCSB_SESS_MAX_PAYLOAD)
		return -E2BIG;
	size_t total = sizeof(struct ccsb_sess_hdr) + n;
	char *b = malloc(total);
	if (!b)
		return -ENOMEM;
	struct ccsb_sess_hdr h = { .magic = CCSB_SESS_MAGIC,
				   .version = CCSB_SESS_VERSION,
				   .type = CCSB_SESS_EXEC,
				   .len = (uint32_t)n,
				   .arg = 0 };
	struct ccsb_sess_exec_hdr e = { .flags = flags,
					.argc = (uint32_t)argc,
					.envc = (uint32_t)envc };
	memcpy(b, &h, sizeof(h));
	memcpy(b + sizeof(h), &e, sizeof(e));
	char *p = b + sizeof(h) + sizeof(e);
	size_t l = strlen(cwd ? cwd : "") + 1;
	memcpy(p, cwd ? cwd : "", l);
	p += l;
	for (size_t i = 0; i < argc; i++) {
		l = strlen(argv[i]) + 1;
		memcpy(p, argv[i], l);
		p += l;
	}
	for (size_t i = 0; i < envc; i++) {
		l = strlen(envp[i]) + 1;
		memcpy(p, envp[i], l);
		p += l;
	}
	*out = b;
	*outlen = total;
	return 0;
}
