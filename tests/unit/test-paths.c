/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* paths.c: ccsb__realpath() gives realpath()'s answer (and error) for real
 * trees with symlinks, missing components, unnamed objects and removed
 * files; ccsb__bind_redundant() drops only binds that show nothing new. */
#include "internal.h"
#include "tap.h"
#include "sh.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char top[64];

/* Both resolvers on `rel` (under top, or absolute when abs): same result
 * or same errno. */
static void same(const char *rel, bool abs)
{
	char p[PATH_MAX], a[PATH_MAX], b[PATH_MAX];
	snprintf(p, sizeof(p), "%s%s", abs ? "" : top, rel);
	errno = 0;
	char *ra = realpath(p, a);
	int ea = errno;
	errno = 0;
	char *rb = ccsb__realpath(p, b);
	int eb = errno;
	if (ra)
		ok(rb && strcmp(a, b) == 0, "%s: %s (got %s)", rel, a, rb ? b : strerror(eb));
	else
		ok(!rb && ea == eb, "%s: fails with %s (got %s)", rel, strerror(ea),
		   rb ? b : strerror(eb));
}

static void test_realpath(void)
{
	sh("cd %s && mkdir -p a/b/c && touch a/b/c/f && ln -s a/b l1 && ln -s %s/a/b/c l2 && "
	   "ln -s ../../l1 a/b/up && ln -s missing dangling && ln -s loop2 loop1 && "
	   "ln -s loop1 loop2 && ln -s a/b/c/f 'f (deleted)' && mkfifo fifo",
	   top, top);
	static const char *const rels[] = {
		"",	    "/a",	 "/a/b/c/f",	 "/l1",	       "/l1/c/f",     "/l2/f",
		"/a/b/up",  "/a/b/up/c", "/dangling",	 "/loop1",     "/a/b/c/f/",   "/nope/x",
		"/l1/../a", "/fifo",	 "/f (deleted)", "/a/b/c/f/x", "/l2/../../.."
	};
	for (size_t i = 0; i < sizeof(rels) / sizeof(*rels); i++)
		same(rels[i], false);
	same("/", true);
	same("/proc/self", true);
	char b[PATH_MAX];
	/* A descriptor of a pipe names no path: realpath()'s answer. */
	int fds[2];
	if (pipe(fds) < 0)
		bail_out("pipe");
	char link[64];
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fds[0]);
	errno = 0;
	char *ra = realpath(link, (char[PATH_MAX]){ 0 });
	int ea = errno;
	errno = 0;
	ok(!ccsb__realpath(link, b) == !ra && (ra || errno == ea),
	   "a pipe's descriptor: as realpath() (%s)", ra ? ra : strerror(ea));
	close(fds[0]);
	close(fds[1]);
	/* A file removed while open: the kernel's " (deleted)" is not taken. */
	char p[PATH_MAX];
	snprintf(p, sizeof(p), "%s/gone", top);
	int fd = open(p, O_CREAT | O_WRONLY, 0600);
	unlink(p);
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	errno = 0;
	char *rg = ccsb__realpath(link, b);
	int eg = errno;
	ok(!rg && eg == ENOENT, "a removed file: ENOENT (got %s)", rg ? rg : strerror(eg));
	close(fd);
	char *d = ccsb__realpath_dup(top);
	ok(d && strcmp(d, ccsb__realpath(top, b)) == 0, "allocated: %s", d ? d : "NULL");
	free(d);
}

static size_t binds(ccsb_sandbox *sb)
{
	size_t n = 0;
	for (size_t i = 0; i < sb->nmounts; i++)
		n += sb->mounts[i].kind == CCSB_M_BIND;
	return n;
}

/* ccsb_sandbox_add_bind(sb, src, NULL, flags) added a mount (want) or not. */
static void bind_case(ccsb_sandbox *sb, const char *src, unsigned flags, bool want,
		      const char *what)
{
	ccsb_error *e = NULL;
	size_t n = binds(sb);
	int r = ccsb_sandbox_add_bind(sb, src, NULL, flags, &e);
	ok(r == 0 && binds(sb) == n + want, "%s: %s", what, want ? "bound" : "not bound again");
	ccsb_error_free(e);
}

static void test_redundant(void)
{
	char dir[PATH_MAX], file[PATH_MAX], sub[PATH_MAX], viadir[PATH_MAX];
	snprintf(dir, sizeof(dir), "%s/a/b", top);
	snprintf(file, sizeof(file), "%s/a/b/c/f", top);
	snprintf(sub, sizeof(sub), "%s/a/b/c", top);
	/* a/b/up is a symlink (to top/l1, itself to a/b) */
	snprintf(viadir, sizeof(viadir), "%s/a/b/up/c/f", top);
	ccsb_sandbox *sb = ccsb_sandbox_new();
	ccsb_error *e = NULL;
	if (!sb || ccsb_sandbox_add_bind(sb, dir, NULL, CCSB_BIND_RO | CCSB_BIND_TRY, &e) < 0)
		bail_out("sandbox");
	bind_case(sb, file, CCSB_BIND_RO, false, "a file under a read-only bind of its directory");
	bind_case(sb, file, CCSB_BIND_RO, false, "the same file again");
	bind_case(sb, file, CCSB_BIND_RW, true, "read-write over read-only");
	bind_case(sb, file, CCSB_BIND_RO, true, "read-only over that read-write bind");
	bind_case(sb, viadir, CCSB_BIND_RO, true, "a path through a symlink");
	char missing[PATH_MAX];
	snprintf(missing, sizeof(missing), "%s/a/b/none", top);
	bind_case(sb, missing, CCSB_BIND_RO | CCSB_BIND_TRY, true, "a missing file");
	ccsb_sandbox_free(sb);

	sb = ccsb_sandbox_new();
	if (!sb || ccsb_sandbox_add_bind(sb, dir, NULL, CCSB_BIND_RO, &e) < 0 ||
	    ccsb_sandbox_add_tmpfs(sb, sub, &e) < 0)
		bail_out("sandbox");
	bind_case(sb, file, CCSB_BIND_RO, true, "under a tmpfs mounted over its directory");
	bind_case(sb, dir, CCSB_BIND_RO, true, "a directory with a mount below it since");
	bind_case(sb, sub, CCSB_BIND_RO, false, "a directory, nothing mounted below since");
	ccsb_sandbox_free(sb);

	sb = ccsb_sandbox_new();
	if (!sb || ccsb_sandbox_add_bind(sb, dir, "/elsewhere", CCSB_BIND_RO, &e) < 0)
		bail_out("sandbox");
	bind_case(sb, file, CCSB_BIND_RO, true, "under a bind at another path");
	ccsb_sandbox_free(sb);
}

int main(void)
{
	snprintf(top, sizeof(top), "/tmp/ccsb-test-paths.XXXXXX");
	if (!mkdtemp(top))
		bail_out("mkdtemp");
	test_realpath();
	test_redundant();
	sh("rm -rf %s", top);
	return done_testing();
}
