/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Policy -> bwrap command line. Pure: no host state is read here, so the
 * same policy always gives the same argv (golden tests, --print). */
#include "internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct strv {
	char **v;
	size_t n, cap;
	bool oom;
};

static void push(struct strv *s, const char *str)
{
	if (s->oom)
		return;
	if (s->n + 2 > s->cap) {
		size_t ncap = s->cap ? s->cap * 2 : 64;
		char **nv = reallocarray(s->v, ncap, sizeof(*nv));
		if (!nv) {
			s->oom = true;
			return;
		}
		s->v = nv;
		s->cap = ncap;
	}
	if (!(s->v[s->n] = strdup(str))) {
		s->oom = true;
		return;
	}
	s->v[++s->n] = NULL;
}

static void pushu(struct strv *s, unsigned long v)
{
	char buf[32];
	snprintf(buf, sizeof(buf), "%lu", v);
	push(s, buf);
}

static const char *bind_opt(unsigned flags)
{
	static const char *const opts[] = {
		"--ro-bind", "--bind", "--dev-bind", "--dev-bind",
		"--ro-bind-try", "--bind-try", "--dev-bind-try", "--dev-bind-try",
	};
	return opts[flags & 7];
}

/* `with_sync`: include the info/block descriptors the launcher uses. */
static int build(const ccsb_sandbox *sb, char *const cmd[], bool with_sync, char ***out,
		 ccsb_error **err)
{
	if (!cmd || !cmd[0] || !*cmd[0])
		return ccsb__err(err, EINVAL, "no command to run");
	struct strv s = { 0 };
	push(&s, sb->bwrap);
	/* --unshare-user is explicit so that a root caller gets a user
	 * namespace too (--unshare-all only tries it); --cap-drop ALL because
	 * bwrap keeps every capability for a uid-0 caller (pitfall 7). */
	push(&s, "--unshare-all");
	push(&s, "--unshare-user");
	push(&s, "--die-with-parent");
	push(&s, "--new-session");
	push(&s, "--cap-drop");
	push(&s, "ALL");
	/* Our ccsb-exec is pid 1: it forwards signals to the command, which
	 * bwrap's own reaper does not. */
	push(&s, "--as-pid-1");
	push(&s, "--uid");
	pushu(&s, (unsigned long)sb->uid);
	push(&s, "--gid");
	pushu(&s, (unsigned long)sb->gid);
	push(&s, "--hostname");
	push(&s, sb->hostname);
	if (with_sync) {
		push(&s, "--info-fd");
		pushu(&s, CCSB_FD_INFO);
		push(&s, "--block-fd");
		pushu(&s, CCSB_FD_BLOCK);
		push(&s, "--json-status-fd");
		pushu(&s, CCSB_FD_STATUS);
	}
	unsigned long datafd = CCSB_FD_FIRST_DATA;
	for (size_t i = 0; i < sb->nmounts; i++) {
		const struct ccsb_mount *m = &sb->mounts[i];
		switch (m->kind) {
		case CCSB_M_BIND:
			push(&s, bind_opt(m->flags));
			push(&s, m->src);
			push(&s, m->dest);
			break;
		case CCSB_M_TMPFS:
			push(&s, "--tmpfs");
			push(&s, m->dest);
			break;
		case CCSB_M_DIR:
			push(&s, "--dir");
			push(&s, m->dest);
			break;
		case CCSB_M_SYMLINK:
			push(&s, "--symlink");
			push(&s, m->src);
			push(&s, m->dest);
			break;
		case CCSB_M_FILE:
			push(&s, "--ro-bind-data");
			pushu(&s, datafd++);
			push(&s, m->dest);
			break;
		case CCSB_M_PROC:
			push(&s, "--proc");
			push(&s, m->dest);
			break;
		case CCSB_M_DEV:
			push(&s, "--dev");
			push(&s, m->dest);
			break;
		}
	}
	push(&s, "--ro-bind");
	push(&s, sb->exec_helper);
	push(&s, CCSB_EXEC_INSIDE);
	push(&s, "--chdir");
	push(&s, sb->cwd);
	push(&s, "--");
	push(&s, CCSB_EXEC_INSIDE);
	push(&s, "--");
	for (size_t i = 0; cmd[i]; i++)
		push(&s, cmd[i]);
	if (s.oom) {
		ccsb__strv_free(s.v);
		return ccsb__err(err, ENOMEM, "out of memory");
	}
	*out = s.v;
	return 0;
}

int ccsb__build_argv(const ccsb_sandbox *sb, char *const cmd[], bool with_sync, char ***out,
		     ccsb_error **err)
{
	return build(sb, cmd, with_sync, out, err);
}

CCSB_EXPORT int ccsb_sandbox_build_argv(const ccsb_sandbox *sb, char *const cmd[],
					char ***argv_out, ccsb_error **err)
{
	return build(sb, cmd, true, argv_out, err);
}

/* ---- shell rendering (--print) --------------------------------------- */

struct buf {
	char *p;
	size_t n, cap;
	bool oom;
};

static void put(struct buf *b, const char *s, size_t len)
{
	if (b->oom)
		return;
	if (b->n + len + 1 > b->cap) {
		size_t ncap = b->cap ? b->cap : 256;
		while (ncap < b->n + len + 1)
			ncap *= 2;
		char *np = realloc(b->p, ncap);
		if (!np) {
			b->oom = true;
			return;
		}
		b->p = np;
		b->cap = ncap;
	}
	memcpy(b->p + b->n, s, len);
	b->n += len;
	b->p[b->n] = '\0';
}

static void puts_(struct buf *b, const char *s)
{
	put(b, s, strlen(s));
}

/* Quote only when needed, so the common case stays readable. */
static void put_quoted(struct buf *b, const char *s)
{
	bool plain = *s != '\0';
	for (const char *c = s; *c && plain; c++)
		plain = strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
			       "_-./:,+=@%",
			       *c) != NULL;
	if (plain) {
		puts_(b, s);
		return;
	}
	put(b, "'", 1);
	for (const char *c = s; *c; c++) {
		if (*c == '\'')
			puts_(b, "'\\''");
		else
			put(b, c, 1);
	}
	put(b, "'", 1);
}

CCSB_EXPORT int ccsb_sandbox_format_shell(const ccsb_sandbox *sb, char *const cmd[], char **out,
					  ccsb_error **err)
{
	char **argv = NULL;
	int r = build(sb, cmd, false, &argv, err);
	if (r < 0)
		return r;
	struct buf b = { 0 };
	puts_(&b, "env -i");
	for (size_t i = 0; i < sb->nenv; i++) {
		const struct ccsb_envent *e = &sb->env[i];
		size_t n = strlen(e->name);
		if (e->value) {
			char *kv = NULL;
			if (asprintf(&kv, "%s=%s", e->name, e->value) < 0) {
				b.oom = true;
				break;
			}
			puts_(&b, " ");
			put_quoted(&b, kv);
			free(kv);
		} else if (e->name[n - 1] != '*') {
			/* Passed variables refer to the pasting shell's own
			 * value, so --print never shows a secret. */
			puts_(&b, " ${");
			puts_(&b, e->name);
			puts_(&b, "+\"");
			puts_(&b, e->name);
			puts_(&b, "=$");
			puts_(&b, e->name);
			puts_(&b, "\"}");
		}
	}
	for (size_t i = 0; argv[i]; i++) {
		puts_(&b, i ? " " : " ");
		put_quoted(&b, argv[i]);
	}
	/* Data files come from here-documents on the same descriptors the
	 * run uses; the delimiter is chosen not to occur in the data. */
	unsigned long fd = CCSB_FD_FIRST_DATA;
	char delim[48];
	for (size_t i = 0; i < sb->nmounts; i++) {
		if (sb->mounts[i].kind != CCSB_M_FILE)
			continue;
		snprintf(delim, sizeof(delim), " %lu<<'CCSB_EOF_%lu'", fd, fd);
		puts_(&b, delim);
		fd++;
	}
	puts_(&b, "\n");
	fd = CCSB_FD_FIRST_DATA;
	for (size_t i = 0; i < sb->nmounts; i++) {
		const struct ccsb_mount *m = &sb->mounts[i];
		if (m->kind != CCSB_M_FILE)
			continue;
		snprintf(delim, sizeof(delim), "CCSB_EOF_%lu", fd++);
		if (memchr(m->data, '\0', m->len) || strstr(m->data, delim)) {
			free(b.p);
			ccsb__strv_free(argv);
			return ccsb__err(err, EINVAL, "cannot render %s as a here-document", m->dest);
		}
		put(&b, m->data, m->len);
		if (m->len && m->data[m->len - 1] != '\n')
			puts_(&b, "\n");
		puts_(&b, delim);
		puts_(&b, "\n");
	}
	ccsb__strv_free(argv);
	if (b.oom) {
		free(b.p);
		return ccsb__err(err, ENOMEM, "out of memory");
	}
	*out = b.p;
	return 0;
}
