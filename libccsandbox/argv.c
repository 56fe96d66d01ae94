/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Policy -> bwrap command line. Pure: no host state is read here, so the
 * same policy always gives the same argv (golden tests, --print). */
#include "internal.h"
#include "plan.h"

#include <errno.h>
#include <limits.h>
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

static void pushu(struct strv *s, unsigned long long v)
{
	char buf[32];
	snprintf(buf, sizeof(buf), "%llu", v);
	push(s, buf);
}

/* bwrap makes some of /proc read-only, but decides by whether the directory
 * is writable, and /proc/sys is mode 0555 while its files are writable by
 * host root: a sandbox started by root (its uid maps to host uid 0, which
 * the sysctl and procfs permission checks honour without any capability)
 * could set kernel.core_pattern. Cover every part of /proc that writes
 * kernel-wide state with a read-only bind of the host's view (sysctls still
 * read per the reader's namespaces). Only then: for any other caller these
 * files are owned by a uid the sandbox does not have, and the covers would
 * cost something, because the kernel refuses a new proc mount in a nested
 * user namespace while locked mounts hide parts of the existing one ("too
 * revealing"), which breaks tools that sandbox themselves with bwrap. */
static void proc_covers(struct strv *s, const char *dest)
{
	static const char *const covers[] = { "sys", "sysrq-trigger", "acpi", "scsi",
					      "fs",  "driver",	      "irq",  "bus" };
	for (size_t i = 0; i < sizeof(covers) / sizeof(*covers); i++) {
		char src[64], dst[PATH_MAX];
		snprintf(src, sizeof(src), "/proc/%s", covers[i]);
		snprintf(dst, sizeof(dst), "%s/%s", strcmp(dest, "/") ? dest : "", covers[i]);
		push(s, "--ro-bind-try");
		push(s, src);
		push(s, dst);
	}
}

/* bwrap's --size for the next --tmpfs; nothing for 0 (no bound). */
static void push_size(struct strv *s, uint64_t size)
{
	if (!size)
		return;
	push(s, "--size");
	pushu(s, size);
}

static const char *bind_opt(unsigned flags)
{
	static const char *const opts[] = {
		"--ro-bind",	 "--bind",     "--dev-bind",	 "--dev-bind",
		"--ro-bind-try", "--bind-try", "--dev-bind-try", "--dev-bind-try",
	};
	return opts[flags & 7];
}

size_t ccsb__nfiles(const ccsb_sandbox *sb)
{
	size_t n = 0;
	for (size_t i = 0; i < sb->nmounts; i++)
		n += sb->mounts[i].kind == CCSB_M_FILE;
	return n;
}

int ccsb__seccomp_fdnum(const ccsb_sandbox *sb)
{
	return CCSB_FD_FIRST_DATA + (int)ccsb__nfiles(sb);
}

int ccsb__job_fdnum(const ccsb_sandbox *sb)
{
	return ccsb__seccomp_fdnum(sb) + (sb->seccomp ? 1 : 0);
}

/* Every mount of one run: the policy's, then those added for the run. */
struct plan_view {
	const ccsb_sandbox *sb;
	const struct ccsb_mount *extra;
	size_t nextra;
};

/* Whether a file at `dest` would be made in bwrap's root tmpfs, which ends
 * read-only: no mount of the run (a bind, a tmpfs, /proc, /dev) is at or
 * above it, and no symlink leads through it. Elsewhere a --file would be
 * written into a host directory or left writable in a tmpfs; there the
 * file is bound (--ro-bind-data) instead. */
static bool on_root(const struct plan_view *pv, const char *dest)
{
	size_t n = pv->sb->nmounts + pv->nextra;
	for (size_t i = 0; i < n; i++) {
		const struct ccsb_mount *m =
			i < pv->sb->nmounts ? &pv->sb->mounts[i] : &pv->extra[i - pv->sb->nmounts];
		if (m->kind == CCSB_M_FILE || m->kind == CCSB_M_DIR)
			continue;
		if (ccsb__path_under(dest, m->dest, strlen(m->dest)))
			return false;
	}
	return !ccsb__path_under(dest, CCSB_EXEC_INSIDE, strlen(CCSB_EXEC_INSIDE));
}

/* Whether host path `path` is visible inside at the same path and
 * read-only whatever the sandbox does: the last mount of the run over it is
 * a read-only bind of the same path (not -try: it must be there), and no
 * mount over it is writable. */
static bool helper_in_place(const struct plan_view *pv, const char *path)
{
	const struct ccsb_mount *last = NULL;
	size_t n = pv->sb->nmounts + pv->nextra;
	for (size_t i = 0; i < n; i++) {
		const struct ccsb_mount *m =
			i < pv->sb->nmounts ? &pv->sb->mounts[i] : &pv->extra[i - pv->sb->nmounts];
		if (m->kind == CCSB_M_FILE || m->kind == CCSB_M_DIR ||
		    !ccsb__path_under(path, m->dest, strlen(m->dest)))
			continue;
		if (m->kind == CCSB_M_BIND && (m->flags & CCSB_BIND_RW))
			return false;
		last = m;
	}
	return last && last->kind == CCSB_M_BIND &&
	       !(last->flags & (CCSB_BIND_TRY | CCSB_BIND_DEV)) &&
	       strcmp(last->src, last->dest) == 0;
}

static void emit_file(struct strv *s, const struct plan_view *pv, const struct ccsb_mount *m,
		      unsigned long *datafd)
{
	/* A copy costs bwrap a write; a bind, a mount and a remount. */
	bool copy = on_root(pv, m->dest);
	unsigned perms = m->perms ? m->perms : 0600;
	/* --file's default mode is 0666 less the umask: always said; that of
	 * --ro-bind-data is 0600. */
	if (copy || perms != 0600) {
		char buf[16];
		snprintf(buf, sizeof(buf), "%04o", perms & 0777);
		push(s, "--perms");
		push(s, buf);
	}
	push(s, copy ? "--file" : "--ro-bind-data");
	pushu(s, (*datafd)++);
	push(s, m->dest);
}

static void emit_mount(struct strv *s, const struct plan_view *pv, const struct ccsb_mount *m,
		       unsigned long *datafd, bool covers)
{
	const ccsb_sandbox *sb = pv->sb;
	switch (m->kind) {
	case CCSB_M_BIND:
		push(s, bind_opt(m->flags));
		push(s, m->src);
		push(s, m->dest);
		break;
	case CCSB_M_TMPFS:
		/* A read-only one cannot fill up. */
		if (!(m->flags & CCSB_MOUNT_RDONLY))
			push_size(s, ccsb__bounds_tmpfs_size(sb, m->dest));
		push(s, "--tmpfs");
		push(s, m->dest);
		if (m->flags & CCSB_MOUNT_RDONLY) {
			push(s, "--remount-ro");
			push(s, m->dest);
		}
		break;
	case CCSB_M_DIR:
		/* bwrap's default is 0755. */
		if (m->perms && m->perms != 0755) {
			char buf[16];
			snprintf(buf, sizeof(buf), "%04o", m->perms & 0777);
			push(s, "--perms");
			push(s, buf);
		}
		push(s, "--dir");
		push(s, m->dest);
		break;
	case CCSB_M_SYMLINK:
		push(s, "--symlink");
		push(s, m->src);
		push(s, m->dest);
		break;
	case CCSB_M_FILE:
		emit_file(s, pv, m, datafd);
		break;
	case CCSB_M_PROC:
		push(s, "--proc");
		push(s, m->dest);
		if (covers)
			proc_covers(s, m->dest);
		break;
	case CCSB_M_DEV:
		push(s, "--dev");
		push(s, m->dest);
		/* bwrap's /dev tmpfs has no size: /dev/shm gets one of its
		 * own, and /dev is made read-only at the end. */
		if (ccsb__bounds_shm_size(sb)) {
			char shm[PATH_MAX];
			snprintf(shm, sizeof(shm), "%s/shm", strcmp(m->dest, "/") ? m->dest : "");
			push_size(s, ccsb__bounds_shm_size(sb));
			push(s, "--tmpfs");
			push(s, shm);
		}
		break;
	}
}

/* bwrap's namespaces, identity, launcher descriptors and seccomp. */
static void emit_namespaces(struct strv *s, const ccsb_sandbox *sb, bool with_sync)
{
	push(s, sb->bwrap);
	/* --unshare-user is explicit so that a root caller gets a user
	 * namespace too (--unshare-all only tries it); --cap-drop ALL because
	 * bwrap keeps every capability for a uid-0 caller (pitfall 7). */
	push(s, "--unshare-all");
	push(s, "--unshare-user");
	/* The kernel's own limit, on top of the seccomp rule, so that it also
	 * holds with the filter off. */
	if (!sb->nested_userns)
		push(s, "--disable-userns");
	push(s, "--die-with-parent");
	push(s, "--new-session");
	push(s, "--cap-drop");
	push(s, "ALL");
	/* Our ccsb-exec is pid 1: it forwards signals to the command, which
	 * bwrap's own reaper does not. */
	push(s, "--as-pid-1");
	push(s, "--uid");
	pushu(s, (unsigned long)sb->uid);
	push(s, "--gid");
	pushu(s, (unsigned long)sb->gid);
	push(s, "--hostname");
	push(s, sb->hostname);
	if (with_sync) {
		push(s, "--info-fd");
		pushu(s, CCSB_FD_INFO);
		push(s, "--block-fd");
		pushu(s, CCSB_FD_BLOCK);
		push(s, "--json-status-fd");
		pushu(s, CCSB_FD_STATUS);
	}
	if (sb->seccomp) {
		push(s, "--seccomp");
		pushu(s,
		      (unsigned long)(with_sync ? ccsb__seccomp_fdnum(sb) : CCSB_FD_PRINT_SECCOMP));
	}
}

/* The policy's mounts, the extra ones, the exec helper, and the read-only
 * remounts that close the tree. */
static void emit_tree(struct strv *s, const struct plan_view *pv)
{
	const ccsb_sandbox *sb = pv->sb;
	unsigned long datafd = CCSB_FD_FIRST_DATA;
	for (size_t i = 0; i < sb->nmounts; i++)
		emit_mount(s, pv, &sb->mounts[i], &datafd, sb->proc_covers);
	/* After every bind of the policy, so that they cover it. */
	for (size_t i = 0; i < pv->nextra; i++)
		emit_mount(s, pv, &pv->extra[i], &datafd, sb->proc_covers);
	/* An installed helper (/usr/local/libexec/...) is already there,
	 * read-only, at its own path: a symlink costs bwrap no mount. */
	push(s, helper_in_place(pv, sb->exec_helper) ? "--symlink" : "--ro-bind");
	push(s, sb->exec_helper);
	push(s, CCSB_EXEC_INSIDE);
	/* The root tmpfs bwrap builds (and the directories it made for mount
	 * points, /etc among them) becomes read-only: only the mounts meant to
	 * be writable are. */
	/* Last, so that binds below /dev could still make their mount
	 * points. */
	for (size_t i = 0; i < sb->nmounts && ccsb__bounds_shm_size(sb); i++) {
		if (sb->mounts[i].kind != CCSB_M_DEV)
			continue;
		push(s, "--remount-ro");
		push(s, sb->mounts[i].dest);
	}
	push(s, "--remount-ro");
	push(s, "/");
}

/* ccsb-exec, pid 1 inside, its options and the command. */
static void emit_exec(struct strv *s, const ccsb_sandbox *sb, char *const cmd[], bool with_sync,
		      bool tty)
{
	push(s, CCSB_EXEC_INSIDE);
	if (tty)
		push(s, "--tty");
	if (ccsb__bounds_nproc(sb)) {
		push(s, "--nproc");
		pushu(s, ccsb__bounds_nproc(sb));
	}
	if (ccsb__bounds_oom(sb)) {
		push(s, "--oom-score-adj");
		pushu(s, CCSB_OOM_SCORE_ADJ);
	}
	/* Where ccsb-exec says that the command stopped (job.c). */
	if (tty && with_sync) {
		push(s, "--job-fd");
		pushu(s, (unsigned long)ccsb__job_fdnum(sb));
	}
	/* A session's control socket (session.c); a started one has no
	 * command of its own. */
	if (with_sync && sb->sess) {
		push(s, "--session-fd");
		pushu(s, (unsigned long)ccsb__session_fdnum(sb));
	}
	if (with_sync && ccsb__session_idle(sb)) {
		push(s, "--idle");
	} else {
		push(s, "--");
		for (size_t i = 0; cmd[i]; i++)
			push(s, cmd[i]);
	}
}

/* `with_sync`: include the info/block descriptors the launcher uses. */
static int build(const ccsb_sandbox *sb, char *const cmd[], bool with_sync, bool tty,
		 const struct ccsb_mount *extra, size_t nextra, char ***out, ccsb_error **err)
{
	if (!cmd || !cmd[0] || !*cmd[0])
		return ccsb__err(err, EINVAL, "no command to run");
	if (!ccsb__path_ok(sb->exec_helper))
		return ccsb__err(err, EINVAL, "bad exec helper path '%s': must be absolute",
				 sb->exec_helper);
	if (ccsb__check_programs(sb, err) < 0)
		return -EPERM;
	struct strv s = { 0 };
	const struct plan_view pv = { sb, extra, nextra };
	emit_namespaces(&s, sb, with_sync);
	emit_tree(&s, &pv);
	push(&s, "--chdir");
	push(&s, sb->cwd);
	push(&s, "--");
	emit_exec(&s, sb, cmd, with_sync, tty);
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
	return build(sb, cmd, with_sync, sb->tty == CCSB_TTY_ON, NULL, 0, out, err);
}

int ccsb__build_argv_tty(const ccsb_sandbox *sb, char *const cmd[], bool with_sync, bool tty,
			 char ***out, ccsb_error **err)
{
	return build(sb, cmd, with_sync, tty, NULL, 0, out, err);
}

int ccsb__build_argv_extra(const ccsb_sandbox *sb, char *const cmd[], bool with_sync, bool tty,
			   const struct ccsb_mount *extra, size_t nextra, char ***out,
			   ccsb_error **err)
{
	return build(sb, cmd, with_sync, tty, extra, nextra, out, err);
}

CCSB_EXPORT int ccsb_sandbox_build_argv(const ccsb_sandbox *sb, char *const cmd[], char ***argv_out,
					ccsb_error **err)
{
	if (!sb)
		return CCSB_NULL_SB(err);
	const struct ccsb_plan_opts o = { .with_sync = true, .tty = sb->tty == CCSB_TTY_ON };
	struct ccsb_plan p;
	int r = ccsb__plan_make(sb, cmd, &o, &p, err);
	if (r == 0) {
		*argv_out = p.argv;
		p.argv = NULL;
	}
	ccsb__plan_free(&p);
	return r;
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

/* `printf '...'` lines that write `len` bytes exactly: octal escapes for
 * everything but plain characters, always three digits so that a digit
 * after an escape stays a digit. */
static void put_printf_bytes(struct buf *b, const unsigned char *p, size_t len)
{
	char esc[8];
	for (size_t i = 0; i < len; i += 48) {
		puts_(b, "printf '");
		for (size_t k = i; k < len && k < i + 48; k++) {
			unsigned char c = p[k];
			if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			    (c >= '0' && c <= '9')) {
				put(b, (const char *)&c, 1);
			} else {
				snprintf(esc, sizeof(esc), "\\%03o", c);
				puts_(b, esc);
			}
		}
		puts_(b, "'\n");
	}
}

/* `env -i NAME=VALUE ...`: set values quoted, passed ones as the pasting
 * shell's own. */
static void put_env(struct buf *b, const ccsb_sandbox *sb)
{
	puts_(b, "env -i");
	for (size_t i = 0; i < sb->nenv; i++) {
		const struct ccsb_envent *e = &sb->env[i];
		size_t n = strlen(e->name);
		if (e->value) {
			char *kv = NULL;
			if (asprintf(&kv, "%s=%s", e->name, e->value) < 0) {
				b->oom = true;
				return;
			}
			puts_(b, " ");
			put_quoted(b, kv);
			free(kv);
		} else if (e->name[n - 1] != '*') {
			/* Passed variables refer to the pasting shell's own
			 * value, so --print never shows a secret. */
			puts_(b, " ${");
			puts_(b, e->name);
			puts_(b, "+\"");
			puts_(b, e->name);
			puts_(b, "=$");
			puts_(b, e->name);
			puts_(b, "\"}");
		}
	}
}

/* The here-documents of the data files that are not host-file copies, in
 * descriptor order. */
static int put_here_docs(struct buf *b, const struct ccsb_plan *plan, ccsb_error **err)
{
	unsigned long fd = CCSB_FD_FIRST_DATA;
	char delim[48];
	for (size_t i = 0; i < plan->nfiles; i++) {
		const struct ccsb_mount *m = plan->files[i];
		if (m->src) {
			fd++;
			continue;
		}
		snprintf(delim, sizeof(delim), "CCSB_EOF_%lu", fd++);
		if (memchr(m->data, '\0', m->len) || strstr(m->data, delim))
			return ccsb__err(err, EINVAL, "cannot render %s as a here-document",
					 m->dest);
		put(b, m->data, m->len);
		if (m->len && m->data[m->len - 1] != '\n')
			puts_(b, "\n");
		puts_(b, delim);
		puts_(b, "\n");
	}
	return 0;
}

CCSB_EXPORT int ccsb_sandbox_format_shell(const ccsb_sandbox *sb, char *const cmd[], char **out,
					  ccsb_error **err)
{
	if (!sb)
		return CCSB_NULL_SB(err);
	const struct ccsb_plan_opts o = { .tty = sb->tty == CCSB_TTY_ON, .guard = true };
	struct ccsb_plan plan;
	unsigned char *bpf = NULL;
	size_t nbpf = 0;
	int r = ccsb__plan_make(sb, cmd, &o, &plan, err);
	char **argv = plan.argv;
	if (r < 0 || (sb->seccomp && (r = ccsb__seccomp_bpf(sb, &bpf, &nbpf, err)) < 0)) {
		ccsb__plan_free(&plan);
		return r;
	}
	struct buf b = { 0 };
	/* POSIX shells need only take descriptors 0-9 in redirections, and
	 * dash takes no more. */
	if (CCSB_FD_FIRST_DATA + ccsb__nfiles(sb) > 10)
		puts_(&b,
		      "# run it with bash, zsh or ksh: it uses descriptors above 9, which dash cannot\n");
	if (bpf) {
		/* The filter is binary, which a here-document cannot carry:
		 * printf writes it into a pipe that becomes bwrap's seccomp
		 * descriptor, while descriptor 3 keeps the real stdin. */
		char line[96];
		snprintf(line, sizeof(line),
			 "# seccomp filter: %zu bytes of BPF, piped to bwrap on fd %d\n{ {\n", nbpf,
			 CCSB_FD_PRINT_SECCOMP);
		puts_(&b, line);
		put_printf_bytes(&b, bpf, nbpf);
		puts_(&b, "} | ");
	}
	put_env(&b, sb);
	for (size_t i = 0; argv[i]; i++) {
		puts_(&b, " ");
		put_quoted(&b, argv[i]);
	}
	/* Data files come from here-documents on the same descriptors the
	 * run uses; the delimiter is chosen not to occur in the data. */
	unsigned long fd = CCSB_FD_FIRST_DATA;
	char delim[48];
	for (size_t i = 0; i < plan.nfiles; i++) {
		if (plan.files[i]->src) {
			/* A copy of a host file: read from it as the run does. */
			snprintf(delim, sizeof(delim), " %lu<", fd);
			puts_(&b, delim);
			put_quoted(&b, plan.files[i]->src);
		} else {
			snprintf(delim, sizeof(delim), " %lu<<'CCSB_EOF_%lu'", fd, fd);
			puts_(&b, delim);
		}
		fd++;
	}
	if (bpf) {
		snprintf(delim, sizeof(delim), " %d<&0 0<&3 3<&-; } 3<&0", CCSB_FD_PRINT_SECCOMP);
		puts_(&b, delim);
	}
	free(bpf);
	puts_(&b, "\n");
	r = put_here_docs(&b, &plan, err);
	ccsb__plan_free(&plan);
	if (r < 0) {
		free(b.p);
		return r;
	}
	if (b.oom) {
		free(b.p);
		return ccsb__err(err, ENOMEM, "out of memory");
	}
	*out = b.p;
	return 0;
}
