/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The policy object and its rendering: golden bwrap argv, --print output,
 * environment resolution, validation messages, and the default policy. */
#include "internal.h"
#include "tap.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* A string literal and its length, for the data arguments. */
#define S(lit) lit, sizeof(lit) - 1

#define PATH_RULE "must be absolute, without '.' or '..'"

/* The fixed part of every argv built for mk()'s policy, before the mounts. */
#define HEAD_NOSYNC                                                                            \
	"bwrap\n--unshare-all\n--unshare-user\n--die-with-parent\n--new-session\n--cap-drop\n" \
	"ALL\n--as-pid-1\n--uid\n1000\n--gid\n1000\n--hostname\nccsb\n"
#define SYNC "--info-fd\n3\n--block-fd\n4\n--json-status-fd\n5\n"
#define HEAD HEAD_NOSYNC SYNC
/* The seccomp filter (on by default) comes after the data files. */
#define SECCOMP(fd) "--seccomp\n" #fd "\n"
/* After the mounts: the helper, the working directory, the command. */
#define TAIL_CWD(cwd)                                                             \
	"--ro-bind\n/x/ccsb-exec\n/run/ccsb/exec\n--remount-ro\n/\n--chdir\n" cwd \
	"\n--\n/run/ccsb/exec\n--\n"
#define TAIL TAIL_CWD("/")

static size_t strv_len(char *const *v)
{
	size_t n = 0;
	while (v && v[n])
		n++;
	return n;
}

/* Elements joined with '\n', so that a whole argv compares as one string. */
static char *join(char *const *v, const char *sep)
{
	size_t len = 1;
	for (size_t i = 0; v[i]; i++)
		len += strlen(v[i]) + strlen(sep);
	char *s = calloc(1, len);
	if (!s)
		bail_out("out of memory");
	for (size_t i = 0; v[i]; i++) {
		if (i)
			strcat(s, sep);
		strcat(s, v[i]);
	}
	return s;
}

static size_t count_lines(const char *s)
{
	size_t n = 1;
	for (; *s; s++)
		n += *s == '\n';
	return n;
}

/* A policy that does not depend on the host or the test environment:
 * nested user namespaces allowed (no --disable-userns in HEAD) and the /proc
 * covers on whoever runs the test (test_argv_defaults() checks the real
 * defaults). The resource bounds' defaults depend on the host's RAM and
 * CPUs: they are off here (tests/unit/test-bounds.c sets them). */
static ccsb_sandbox *mk(void)
{
	ccsb_sandbox *sb = ccsb_sandbox_new();
	if (!sb || ccsb_sandbox_set_memory_max(sb, CCSB_BOUND_NONE, NULL) < 0 ||
	    ccsb_sandbox_set_pids_max(sb, CCSB_BOUND_NONE, NULL) < 0 ||
	    ccsb_sandbox_set_identity(sb, 1000, 1000, NULL, NULL, NULL) < 0 ||
	    ccsb_sandbox_set_exec_helper(sb, "/x/ccsb-exec", NULL) < 0 ||
	    ccsb_sandbox_set_bwrap(sb, "bwrap", NULL) < 0)
		bail_out("cannot make a policy");
	ccsb_sandbox_set_nested_userns(sb, true);
	sb->proc_covers = true;
	return sb;
}

/* Build the argv for `cmd` and compare it, element by element, with `want`
 * (elements separated by '\n'). */
static void argv_is_(const ccsb_sandbox *sb, bool sync, char *const cmd[], const char *want,
		     const char *desc)
{
	char **argv = NULL;
	ccsb_error *e = NULL;
	int r = sync ? ccsb_sandbox_build_argv(sb, cmd, &argv, &e)
		     : ccsb__build_argv(sb, cmd, false, &argv, &e);
	if (!is_int(r, 0, "%s: builds", desc)) {
		diag("error: %s", ccsb_error_message(e));
		ccsb_error_free(e);
		skip(2, "no argv");
		return;
	}
	is_int(strv_len(argv), count_lines(want), "%s: number of elements", desc);
	char *got = join(argv, "\n");
	is_str(got, want, "%s: argv", desc);
	free(got);
	ccsb_argv_free(argv);
}
#define argv_is(sb, cmd, want, desc) argv_is_(sb, true, cmd, want, desc)

/* r and *e are the result of a failing call. Frees e. */
static void fails_(int r, ccsb_error *e, int code, const char *msg, const char *desc)
{
	is_int(r, -code, "%s: returns -%d", desc, code);
	is_int(ccsb_error_code(e), code, "%s: error code", desc);
	is_str(e ? ccsb_error_message(e) : NULL, msg, "%s: message", desc);
	ccsb_error_free(e);
}

/* Call `expr` (which uses `&e`) and expect it to fail. */
#define FAILS(expr, code, msg, desc)            \
	do {                                    \
		ccsb_error *e = NULL;           \
		int r_ = (expr);                \
		fails_(r_, e, code, msg, desc); \
	} while (0)

#define SUCCEEDS(expr, desc)                                      \
	do {                                                      \
		ccsb_error *e = NULL;                             \
		int r_ = (expr);                                  \
		if (!is_int(r_, 0, "%s", desc))                   \
			diag("error: %s", ccsb_error_message(e)); \
		ccsb_error_free(e);                               \
	} while (0)

static bool strv_has_substr(char *const *v, const char *needle)
{
	for (size_t i = 0; v && v[i]; i++)
		if (strstr(v[i], needle))
			return true;
	return false;
}

/* ---- error object and trivial API ------------------------------------ */

static void test_error_basics(void)
{
	is_int(ccsb_error_code(NULL), 0, "ccsb_error_code(NULL) is 0");
	is_str(ccsb_error_message(NULL), "", "ccsb_error_message(NULL) is empty");
	ccsb_error_free(NULL);
	ccsb_sandbox_free(NULL);
	ccsb_argv_free(NULL);
	ok(1, "the _free functions accept NULL");
	is_str(ccsb_version(), PACKAGE_VERSION, "ccsb_version is the package version");

	ccsb_error *e = NULL;
	is_int(ccsb__err(&e, -ENOENT, "x %d", 1), -ENOENT, "ccsb__err accepts a negative code");
	is_int(ccsb_error_code(e), ENOENT, "and stores it positive");
	is_str(ccsb_error_message(e), "x 1", "formats the message");
	ccsb_error_free(e);
	e = NULL;
	is_int(ccsb__err(&e, 0, "zero"), -EIO, "code 0 becomes EIO");
	ccsb_error_free(e);
	e = NULL;
	is_int(ccsb__errno(&e, EACCES, "cannot open %s", "f"), -EACCES, "ccsb__errno");
	is_str(ccsb_error_message(e), "cannot open f: Permission denied", "appends strerror");
	ccsb_error_free(e);
}

static void test_new_defaults(void)
{
	char *saved = getenv("CCSB_EXEC_HELPER") ? strdup(getenv("CCSB_EXEC_HELPER")) : NULL;

	unsetenv("CCSB_EXEC_HELPER");
	ccsb_sandbox *sb = ccsb_sandbox_new();
	ok(sb != NULL, "ccsb_sandbox_new");
	is_str(sb->exec_helper, CCSB_LIBEXECDIR "/ccsb-exec",
	       "helper: the installed one by default");
	is_int(sb->uid, getuid(), "uid: the caller's");
	is_int(sb->gid, getgid(), "gid: the caller's");
	is_str(sb->user, "claude", "user: claude");
	is_str(sb->home, "/home/claude", "home: /home/claude");
	is_str(sb->hostname, "ccsb", "hostname: ccsb");
	is_str(sb->cwd, "/", "cwd: /");
	is_str(sb->bwrap, "bwrap", "bwrap: looked up on the search path");
	is_str(sb->slirp, "slirp4netns", "slirp4netns: looked up on the search path");
	is_int(ccsb_sandbox_get_net(sb), CCSB_NET_NONE, "network: none");
	is_int(sb->nmounts, 0, "no mounts");
	is_int(sb->nenv, 0, "empty environment");
	size_t given = 99, merged = 99;
	ccsb_sandbox_allowlist_count(sb, &given, &merged);
	ok(given == 0 && merged == 0, "empty allowlist");

	/* The caller's ids appear in the argv of an untouched policy. */
	char **argv = NULL;
	char *const cmd[] = { "true", NULL };
	if (ccsb_sandbox_build_argv(sb, cmd, &argv, NULL) == 0) {
		char ids[64];
		snprintf(ids, sizeof(ids), "%u\n--gid\n%u\n", (unsigned)getuid(),
			 (unsigned)getgid());
		char *got = join(argv, "\n");
		ok(strstr(got, ids) != NULL, "new policy maps the caller's uid and gid");
		ok(strstr(got, "--ro-bind\n" CCSB_LIBEXECDIR "/ccsb-exec\n/run/ccsb/exec\n") !=
			   NULL,
		   "and binds the installed helper");
		free(got);
		ccsb_argv_free(argv);
	} else {
		skip(2, "no argv");
	}
	ccsb_sandbox_free(sb);

	/* The library reads no environment for its helpers: the tool does. */
	setenv("CCSB_EXEC_HELPER", "/opt/h/ccsb-exec", 1);
	sb = ccsb_sandbox_new();
	is_str(sb->exec_helper, CCSB_LIBEXECDIR "/ccsb-exec", "helper: $CCSB_EXEC_HELPER ignored");
	ccsb_sandbox_free(sb);

	if (saved) {
		setenv("CCSB_EXEC_HELPER", saved, 1);
		free(saved);
	} else {
		unsetenv("CCSB_EXEC_HELPER");
	}
}

/* ---- golden argv ----------------------------------------------------- */

static void test_argv_golden(void)
{
	ccsb_sandbox *sb = mk();
	char *const cmd_true[] = { "true", NULL };
	argv_is(sb, cmd_true, HEAD SECCOMP(6) TAIL "true", "empty policy");
	argv_is_(sb, false, cmd_true, HEAD_NOSYNC SECCOMP(5) TAIL "true",
		 "empty policy, without sync fds");

	char *const cmd_args[] = { "sh", "-c", "echo \"$HOME\" 'x'", "", "--", NULL };
	argv_is(sb, cmd_args, HEAD SECCOMP(6) TAIL "sh\n-c\necho \"$HOME\" 'x'\n\n--",
		"command arguments passed verbatim, empty ones included");
	ccsb_sandbox_free(sb);

	sb = mk();
	SUCCEEDS(ccsb_sandbox_add_bind(sb, "/a", NULL, CCSB_BIND_RO, &e), "bind ro");
	SUCCEEDS(ccsb_sandbox_add_bind(sb, "/b", "/B", CCSB_BIND_RW, &e),
		 "bind rw at another path");
	SUCCEEDS(ccsb_sandbox_add_bind(sb, "/c", NULL, CCSB_BIND_DEV, &e), "bind dev");
	SUCCEEDS(ccsb_sandbox_add_bind(sb, "/d", NULL, CCSB_BIND_RW | CCSB_BIND_DEV, &e),
		 "bind rw dev");
	SUCCEEDS(ccsb_sandbox_add_bind(sb, "/e", NULL, CCSB_BIND_TRY, &e), "bind ro try");
	SUCCEEDS(ccsb_sandbox_add_bind(sb, "/f", "/F", CCSB_BIND_RW | CCSB_BIND_TRY, &e),
		 "bind rw try");
	SUCCEEDS(ccsb_sandbox_add_bind(sb, "/g", NULL, CCSB_BIND_DEV | CCSB_BIND_TRY, &e),
		 "bind dev try");
	SUCCEEDS(ccsb_sandbox_add_bind(sb, "/h", "/H", CCSB_BIND_RW | CCSB_BIND_DEV | CCSB_BIND_TRY,
				       &e),
		 "bind rw dev try");
	SUCCEEDS(ccsb_sandbox_add_tmpfs(sb, "/tmp", &e), "tmpfs");
	SUCCEEDS(ccsb_sandbox_add_dir(sb, "/d1", &e), "dir");
	SUCCEEDS(ccsb_sandbox_add_symlink(sb, "usr/bin", "/bin", &e), "relative symlink");
	SUCCEEDS(ccsb_sandbox_add_symlink(sb, "/usr/lib", "/lib", &e), "absolute symlink");
	SUCCEEDS(ccsb_sandbox_add_symlink(sb, "../x/./y", "/z", &e),
		 "symlink target is not checked");
	SUCCEEDS(ccsb_sandbox_add_file(sb, "/etc/passwd", S("root:x:0:0::/root:/bin/sh\n"), &e),
		 "file");
	SUCCEEDS(ccsb__add_special(sb, CCSB_M_PROC, "/proc", &e), "proc");
	SUCCEEDS(ccsb_sandbox_add_file(sb, "/etc/group", "g", 1, &e), "second file");
	SUCCEEDS(ccsb_sandbox_add_dev(sb, "/dev", &e), "dev");
	SUCCEEDS(ccsb_sandbox_add_file(sb, "/etc/empty", NULL, 0, &e), "empty file (NULL, 0)");
	SUCCEEDS(ccsb_sandbox_add_file(sb, "/etc/empty2", "", 0, &e), "empty file (\"\", 0)");
	SUCCEEDS(ccsb_sandbox_add_bind(sb, "//a b/", "/x/a b", CCSB_BIND_RO, &e),
		 "bind with spaces, double and trailing slash");
	argv_is(sb, cmd_true,
		HEAD SECCOMP(
			10) "--ro-bind\n/a\n/a\n"
			    "--bind\n/b\n/B\n"
			    "--dev-bind\n/c\n/c\n"
			    "--dev-bind\n/d\n/d\n"
			    "--ro-bind-try\n/e\n/e\n"
			    "--bind-try\n/f\n/F\n"
			    "--dev-bind-try\n/g\n/g\n"
			    "--dev-bind-try\n/h\n/H\n"
			    "--tmpfs\n/tmp\n"
			    "--dir\n/d1\n"
			    "--symlink\nusr/bin\n/bin\n"
			    "--symlink\n/usr/lib\n/lib\n"
			    "--symlink\n../x/./y\n/z\n"
			    "--perms\n0600\n--file\n6\n/etc/passwd\n"
			    "--proc\n/proc\n"
			    "--ro-bind-try\n/proc/sys\n/proc/sys\n--ro-bind-try\n/proc/sysrq-trigger\n/proc/sysrq-trigger\n"
			    "--ro-bind-try\n/proc/acpi\n/proc/acpi\n--ro-bind-try\n/proc/scsi\n/proc/scsi\n"
			    "--ro-bind-try\n/proc/fs\n/proc/fs\n--ro-bind-try\n/proc/driver\n/proc/driver\n"
			    "--ro-bind-try\n/proc/irq\n/proc/irq\n--ro-bind-try\n/proc/bus\n/proc/bus\n"
			    "--perms\n0600\n--file\n7\n/etc/group\n"
			    "--dev\n/dev\n"
			    "--perms\n0600\n--file\n8\n/etc/empty\n"
			    "--perms\n0600\n--file\n9\n/etc/empty2\n"
			    "--ro-bind\n//a b/\n/x/a b\n" TAIL "true",
		"every mount kind");
	argv_is_(
		sb, false, cmd_true,
		HEAD_NOSYNC SECCOMP(
			5) "--ro-bind\n/a\n/a\n"
			   "--bind\n/b\n/B\n"
			   "--dev-bind\n/c\n/c\n"
			   "--dev-bind\n/d\n/d\n"
			   "--ro-bind-try\n/e\n/e\n"
			   "--bind-try\n/f\n/F\n"
			   "--dev-bind-try\n/g\n/g\n"
			   "--dev-bind-try\n/h\n/H\n"
			   "--tmpfs\n/tmp\n"
			   "--dir\n/d1\n"
			   "--symlink\nusr/bin\n/bin\n"
			   "--symlink\n/usr/lib\n/lib\n"
			   "--symlink\n../x/./y\n/z\n"
			   "--perms\n0600\n--file\n6\n/etc/passwd\n"
			   "--proc\n/proc\n"
			   "--ro-bind-try\n/proc/sys\n/proc/sys\n--ro-bind-try\n/proc/sysrq-trigger\n/proc/sysrq-trigger\n"
			   "--ro-bind-try\n/proc/acpi\n/proc/acpi\n--ro-bind-try\n/proc/scsi\n/proc/scsi\n"
			   "--ro-bind-try\n/proc/fs\n/proc/fs\n--ro-bind-try\n/proc/driver\n/proc/driver\n"
			   "--ro-bind-try\n/proc/irq\n/proc/irq\n--ro-bind-try\n/proc/bus\n/proc/bus\n"
			   "--perms\n0600\n--file\n7\n/etc/group\n"
			   "--dev\n/dev\n"
			   "--perms\n0600\n--file\n8\n/etc/empty\n"
			   "--perms\n0600\n--file\n9\n/etc/empty2\n"
			   "--ro-bind\n//a b/\n/x/a b\n" TAIL "true",
		"every mount kind, without sync fds: same data fd numbers");
	is_int(sb->mounts[17].len, 0, "NULL data: length 0");
	ok(sb->mounts[17].data && sb->mounts[17].data[0] == '\0', "NULL data: stored as empty");
	is_int(sb->mounts[13].len, strlen("root:x:0:0::/root:/bin/sh\n"), "file data length kept");
	ok(memcmp(sb->mounts[13].data, "root:x:0:0::/root:/bin/sh\n",
		  sizeof("root:x:0:0::/root:/bin/sh\n")) == 0,
	   "file data copied and NUL-terminated");
	ccsb_sandbox_free(sb);

	/* Without the covers (any caller but root), /proc is bwrap's alone, so
	 * that a nested procfs mount is not "too revealing". */
	sb = mk();
	sb->proc_covers = false;
	SUCCEEDS(ccsb__add_special(sb, CCSB_M_PROC, "/proc", &e), "proc without covers");
	argv_is(sb, cmd_true, HEAD SECCOMP(6) "--proc\n/proc\n" TAIL "true",
		"no /proc covers unless run by root");
	ccsb_sandbox_free(sb);

	/* Order is kept as given, duplicates included. */
	sb = mk();
	SUCCEEDS(ccsb_sandbox_add_tmpfs(sb, "/home/claude", &e), "order: tmpfs");
	SUCCEEDS(ccsb_sandbox_add_bind(sb, "/src", "/home/claude/src", CCSB_BIND_RW, &e),
		 "order: bind under it");
	SUCCEEDS(ccsb_sandbox_add_tmpfs(sb, "/home/claude", &e), "order: tmpfs again");
	SUCCEEDS(ccsb_sandbox_add_bind(sb, "/usr", NULL, CCSB_BIND_RO, &e), "order: /usr");
	SUCCEEDS(ccsb_sandbox_add_dir(sb, "/usr/x", &e), "order: dir on top");
	SUCCEEDS(ccsb_sandbox_add_bind(sb, "/usr", NULL, CCSB_BIND_RO, &e), "order: /usr again");
	ccsb_sandbox_set_seccomp(sb, false);
	argv_is(sb, cmd_true,
		HEAD "--tmpfs\n/home/claude\n"
		     "--bind\n/src\n/home/claude/src\n"
		     "--tmpfs\n/home/claude\n"
		     "--ro-bind\n/usr\n/usr\n"
		     "--dir\n/usr/x\n"
		     "--ro-bind\n/usr\n/usr\n" TAIL "true",
		"mount order preserved");
	ccsb_sandbox_free(sb);

	/* Identity, host name, working directory, programs. */
	sb = mk();
	SUCCEEDS(ccsb_sandbox_set_identity(sb, 0, 4294967294u, "root", "/root", &e),
		 "identity 0/4294967294");
	SUCCEEDS(ccsb_sandbox_set_hostname(sb, "box.example", &e), "hostname");
	SUCCEEDS(ccsb_sandbox_set_cwd(sb, "/work/p q", &e), "cwd with a space");
	SUCCEEDS(ccsb_sandbox_set_bwrap(sb, "/opt/bw/bwrap", &e), "bwrap path");
	SUCCEEDS(ccsb_sandbox_set_exec_helper(sb, "/opt/h/ccsb-exec", &e), "helper path");
	ccsb_sandbox_set_seccomp(sb, false);
	argv_is(sb, cmd_true,
		"/opt/bw/bwrap\n--unshare-all\n--unshare-user\n--die-with-parent\n--new-session\n"
		"--cap-drop\nALL\n--as-pid-1\n--uid\n0\n--gid\n4294967294\n--hostname\nbox.example\n"
		"--info-fd\n3\n--block-fd\n4\n--json-status-fd\n5\n"
		"--ro-bind\n/opt/h/ccsb-exec\n/run/ccsb/exec\n--remount-ro\n/\n--chdir\n/work/p q\n--\n/run/ccsb/exec\n--\n"
		"true",
		"uid, gid, hostname, cwd, bwrap, helper");
	SUCCEEDS(ccsb_sandbox_set_identity(sb, (uid_t)-1, (gid_t)-1, NULL, NULL, &e),
		 "identity: keep all");
	is_int(sb->uid, 0, "(uid_t)-1 keeps the uid");
	is_int(sb->gid, 4294967294u, "(gid_t)-1 keeps the gid");
	is_str(sb->user, "root", "NULL keeps the user");
	is_str(sb->home, "/root", "NULL keeps the home");
	SUCCEEDS(ccsb_sandbox_set_identity(sb, 5, (gid_t)-1, NULL, NULL, &e), "identity: uid only");
	SUCCEEDS(ccsb_sandbox_set_identity(sb, (uid_t)-1, 6, NULL, NULL, &e), "identity: gid only");
	SUCCEEDS(ccsb_sandbox_set_bwrap(sb, "my-bwrap", &e), "bwrap: a name");
	argv_is(sb, cmd_true,
		"my-bwrap\n--unshare-all\n--unshare-user\n--die-with-parent\n--new-session\n"
		"--cap-drop\nALL\n--as-pid-1\n--uid\n5\n--gid\n6\n--hostname\nbox.example\n"
		"--info-fd\n3\n--block-fd\n4\n--json-status-fd\n5\n"
		"--ro-bind\n/opt/h/ccsb-exec\n/run/ccsb/exec\n--remount-ro\n/\n--chdir\n/work/p q\n--\n/run/ccsb/exec\n--\n"
		"true",
		"ids changed one at a time");

	/* Environment and allowlist never reach the argv; a network mode
	 * only adds its resolv.conf, as a data file. */
	SUCCEEDS(ccsb_sandbox_env_set(sb, "A", "1", &e), "env set");
	SUCCEEDS(ccsb_sandbox_env_pass(sb, "TERM", &e), "env pass");
	SUCCEEDS(ccsb_sandbox_set_net(sb, CCSB_NET_ALLOWLIST, &e), "net allowlist");
	SUCCEEDS(ccsb_sandbox_allow(sb, "192.0.2.0/24", &e), "allow");
	static const char with_resolv[] =
		"my-bwrap\n--unshare-all\n--unshare-user\n--die-with-parent\n--new-session\n"
		"--cap-drop\nALL\n--as-pid-1\n--uid\n5\n--gid\n6\n--hostname\nbox.example\n"
		"--info-fd\n3\n--block-fd\n4\n--json-status-fd\n5\n"
		"--perms\n0600\n--file\n6\n/etc/resolv.conf\n"
		"--ro-bind\n/opt/h/ccsb-exec\n/run/ccsb/exec\n--remount-ro\n/\n--chdir\n/work/p q\n--\n/run/ccsb/exec\n--\n"
		"true";
	argv_is(sb, cmd_true, with_resolv, "environment and allowlist do not change the argv");
	is_str(sb->mounts[sb->nmounts - 1].data, "nameserver 127.0.0.1\n",
	       "allowlist: resolv.conf names ccsb's filtering resolver");
	SUCCEEDS(ccsb_sandbox_set_net(sb, CCSB_NET_FULL, &e), "net full");
	argv_is(sb, cmd_true, with_resolv, "changing the mode replaces resolv.conf, not adds one");
	is_str(sb->mounts[sb->nmounts - 1].data, "nameserver 10.0.2.3\n",
	       "full: resolv.conf names slirp's DNS");
	SUCCEEDS(ccsb_sandbox_set_net(sb, CCSB_NET_NONE, &e), "net none");
	argv_is(sb, cmd_true, with_resolv,
		"--net=none: a resolv.conf of its own, in place of the other");
	is_str(sb->mounts[sb->nmounts - 1].data,
	       "# ccsb --net=none: no network; this address has no route, so that\n"
	       "# name lookups fail at once.\nnameserver 192.0.2.1\n",
	       "none: resolv.conf names an unroutable server (lookups fail at once)");
	ccsb_sandbox_free(sb);
}

/* What a run refuses, the plan refuses: build_argv and --print
 * (format_shell) must not show a command that the run would not start. */
static void test_plan_refuses_all(void)
{
	char *const cmd[] = { "true", NULL };
	static const char *const everything[][2] = {
		{ "0.0.0.0/0", NULL },
		{ "::/0", NULL },
		/* two halves merge into a /0 */
		{ "0.0.0.0/1", "128.0.0.0/1" },
	};
	for (size_t i = 0; i < sizeof(everything) / sizeof(*everything); i++) {
		ccsb_sandbox *sb = ccsb_sandbox_new();
		char **argv = NULL, *sh = NULL;
		SUCCEEDS(ccsb_sandbox_set_net(sb, CCSB_NET_ALLOWLIST, &e), "net allowlist");
		for (size_t k = 0; k < 2 && everything[i][k]; k++)
			SUCCEEDS(ccsb_sandbox_allow(sb, everything[i][k], &e), "allow");
		const char *v6 = strchr(everything[i][0], ':') ? "IPv6" : "IPv4";
		char msg[128];
		snprintf(
			msg, sizeof(msg),
			"the allowlist covers every %s address: use --net=full (CCSB_NET_FULL) instead",
			v6);
		FAILS(ccsb_sandbox_build_argv(sb, cmd, &argv, &e), EINVAL, msg,
		      "build_argv refuses an allowlist of everything");
		ok(argv == NULL, "... and returns no argv");
		FAILS(ccsb_sandbox_format_shell(sb, cmd, &sh, &e), EINVAL, msg,
		      "--print (format_shell) refuses it too");
		ok(sh == NULL, "... and prints nothing");
		/* The same policy in full mode is what the message asks for. */
		SUCCEEDS(ccsb_sandbox_set_net(sb, CCSB_NET_FULL, &e), "net full");
		SUCCEEDS(ccsb_sandbox_build_argv(sb, cmd, &argv, &e), "--net=full builds");
		ccsb_argv_free(argv);
		ccsb_sandbox_free(sb);
	}
}

/* With names in the list, a prefix overlapping the synthetic pool
 * (198.18.0.0/15) is refused by the plan; without names it is an ordinary
 * prefix (network.sh routes 10,000 of them). */
static void test_plan_refuses_pool_overlap(void)
{
	char *const cmd[] = { "true", NULL };
	static const struct {
		const char *prefix;
		bool refused;
	} cases[] = {
		{ "198.18.5.0/24", true },    { "198.19.255.255/32", true },
		{ "198.18.0.0/15", true },    { "198.16.0.0/13", true },
		{ "128.0.0.0/1", true },      { "198.20.0.0/16", false },
		{ "198.17.255.0/24", false }, { "2001:db8::/32", false },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		for (int names = 0; names < 2; names++) {
			ccsb_sandbox *sb = ccsb_sandbox_new();
			char **argv = NULL;
			ccsb_error *err = NULL;
			SUCCEEDS(ccsb_sandbox_set_net(sb, CCSB_NET_ALLOWLIST, &e), "net allowlist");
			SUCCEEDS(ccsb_sandbox_allow(sb, cases[i].prefix, &e), "allow the prefix");
			if (names)
				SUCCEEDS(ccsb_sandbox_allow(sb, "a.example", &e), "allow a name");
			int r = ccsb_sandbox_build_argv(sb, cmd, &argv, &err);
			bool want = names && cases[i].refused;
			ok(want ? r == -EINVAL && argv == NULL &&
					   strstr(ccsb_error_message(err), "overlaps 198.18.0.0/15")
				: r == 0,
			   "%s with%s a name: %s", cases[i].prefix, names ? "" : "out",
			   want ? "refused, naming the pool" : "accepted");
			ccsb_error_free(err);
			ccsb_argv_free(argv);
			ccsb_sandbox_free(sb);
		}
	}
}

static void test_argv_secrets(void)
{
	static const char host_secret[] = "h0st-s3cr3t-Qz9";
	static const char set_secret[] = "s3t-s3cr3t-Wx7";
	static const char file_secret[] = "f1le-s3cr3t-Jk4";
	setenv("CCSB_TEST_SECRET", host_secret, 1);
	setenv("LC_CCSBTEST", host_secret, 1);

	ccsb_sandbox *sb = mk();
	SUCCEEDS(ccsb_sandbox_env_pass(sb, "CCSB_TEST_SECRET", &e), "pass a secret");
	SUCCEEDS(ccsb_sandbox_env_pass(sb, "LC_*", &e), "pass a pattern");
	SUCCEEDS(ccsb_sandbox_env_pass(sb, "CCSB_*", &e), "pass another pattern");
	SUCCEEDS(ccsb_sandbox_env_set(sb, "TOKEN", set_secret, &e), "set a secret");
	char data[64];
	snprintf(data, sizeof(data), "line\n%s\n", file_secret);
	SUCCEEDS(ccsb_sandbox_add_file(sb, "/etc/f", data, strlen(data), &e),
		 "a file with a secret");

	char *const cmd[] = { "env", NULL };
	char **argv = NULL;
	SUCCEEDS(ccsb_sandbox_build_argv(sb, cmd, &argv, &e), "build");
	ok(!strv_has_substr(argv, host_secret), "a passed host value is not in the argv");
	ok(!strv_has_substr(argv, set_secret), "a set value is not in the argv");
	ok(!strv_has_substr(argv, file_secret), "file data is not in the argv");
	ok(!strv_has_substr(argv, "TOKEN") && !strv_has_substr(argv, "CCSB_TEST_SECRET"),
	   "variable names are not in the argv either");
	ccsb_argv_free(argv);

	char *sh = NULL;
	SUCCEEDS(ccsb_sandbox_format_shell(sb, cmd, &sh, &e), "format_shell");
	ok(sh && !strstr(sh, host_secret), "--print output does not show a passed host value");
	ok(sh && strstr(sh, set_secret), "--print output shows set values (they are the policy)");
	free(sh);
	ccsb_sandbox_free(sb);
	unsetenv("CCSB_TEST_SECRET");
	unsetenv("LC_CCSBTEST");
}

/* ---- validation ------------------------------------------------------ */

static void test_path_ok(void)
{
	static const struct {
		const char *p;
		bool ok;
	} t[] = {
		{ "/", true },	     { "/a", true },	  { "/a/b", true },	{ "//a", true },
		{ "/a/", true },     { "/a//b", true },	  { "/a/..b", true },	{ "/a/b..", true },
		{ "/.a", true },     { "/...", true },	  { "/a/.b/c", true },	{ "/a b", true },
		{ "/a/.", false },   { "/a/..", false },  { "/.", false },	{ "/..", false },
		{ "/./a", false },   { "/../a", false },  { "/a/../b", false }, { "/a/./b", false },
		{ "/a/.//", false }, { "//..//", false }, { "a", false },	{ "a/b", false },
		{ "./a", false },    { "../a", false },	  { ".", false },	{ "..", false },
		{ "", false },	     { " /a", false },	  { "~/a", false },
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(*t); i++)
		is_int(ccsb__path_ok(t[i].p), t[i].ok, "path_ok('%s') is %s", t[i].p,
		       t[i].ok ? "true" : "false");
	ok(!ccsb__path_ok(NULL), "path_ok(NULL) is false");

	char *p = malloc(PATH_MAX + 1);
	memset(p, 'a', PATH_MAX);
	p[0] = '/';
	p[PATH_MAX - 1] = '\0';
	ok(ccsb__path_ok(p), "path of length PATH_MAX-1 is fine");
	p[PATH_MAX - 1] = 'a';
	p[PATH_MAX] = '\0';
	ok(!ccsb__path_ok(p), "path of length PATH_MAX is refused");
	ccsb_sandbox *sb = mk();
	char msg[PATH_MAX + 128];
	snprintf(msg, sizeof(msg), "bad sandbox path '%s': " PATH_RULE, p);
	FAILS(ccsb_sandbox_add_tmpfs(sb, p, &e), EINVAL, msg, "tmpfs with a PATH_MAX path");
	ccsb_sandbox_free(sb);
	free(p);
}

static void test_mount_errors(void)
{
	static const char *const bad[] = { "rel",  "",	  "a/b", "./a",	    "/a/..",
					   "/a/.", "/..", "/.",	 "/a/../b", "/./a" };
	char msg[256], desc[128];
	ccsb_sandbox *sb = mk();
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		const char *p = bad[i];
		snprintf(msg, sizeof(msg), "bad host path '%s': " PATH_RULE, p);
		snprintf(desc, sizeof(desc), "bind src '%s'", p);
		FAILS(ccsb_sandbox_add_bind(sb, p, "/ok", CCSB_BIND_RO, &e), EINVAL, msg, desc);

		snprintf(msg, sizeof(msg), "bad sandbox path '%s': " PATH_RULE, p);
		snprintf(desc, sizeof(desc), "bind dest '%s'", p);
		FAILS(ccsb_sandbox_add_bind(sb, "/ok", p, CCSB_BIND_RW, &e), EINVAL, msg, desc);
		snprintf(desc, sizeof(desc), "tmpfs '%s'", p);
		FAILS(ccsb_sandbox_add_tmpfs(sb, p, &e), EINVAL, msg, desc);
		snprintf(desc, sizeof(desc), "dir '%s'", p);
		FAILS(ccsb_sandbox_add_dir(sb, p, &e), EINVAL, msg, desc);
		snprintf(desc, sizeof(desc), "symlink dest '%s'", p);
		FAILS(ccsb_sandbox_add_symlink(sb, "/t", p, &e), EINVAL, msg, desc);
		snprintf(desc, sizeof(desc), "file dest '%s'", p);
		FAILS(ccsb_sandbox_add_file(sb, p, "x", 1, &e), EINVAL, msg, desc);
		snprintf(desc, sizeof(desc), "proc '%s'", p);
		FAILS(ccsb__add_special(sb, CCSB_M_PROC, p, &e), EINVAL, msg, desc);
		snprintf(desc, sizeof(desc), "add_proc '%s'", p);
		FAILS(ccsb_sandbox_add_proc(sb, p, &e), EINVAL, msg, desc);
		snprintf(desc, sizeof(desc), "add_dev '%s'", p);
		FAILS(ccsb_sandbox_add_dev(sb, p, &e), EINVAL, msg, desc);

		if (*p) {
			snprintf(msg, sizeof(msg), "bad working directory '%s': " PATH_RULE, p);
			snprintf(desc, sizeof(desc), "cwd '%s'", p);
			FAILS(ccsb_sandbox_set_cwd(sb, p, &e), EINVAL, msg, desc);
			snprintf(msg, sizeof(msg), "bad exec helper path '%s': " PATH_RULE, p);
			snprintf(desc, sizeof(desc), "exec helper '%s'", p);
			FAILS(ccsb_sandbox_set_exec_helper(sb, p, &e), EINVAL, msg, desc);
		}

		/* A bad source with no destination names the host path. */
		ccsb_error *e = NULL;
		snprintf(msg, sizeof(msg), "bad host path '%s': " PATH_RULE, p);
		snprintf(desc, sizeof(desc), "bind src '%s' without dest: message says 'host path'",
			 p);
		int r = ccsb_sandbox_add_bind(sb, p, NULL, CCSB_BIND_RO, &e);
		is_int(r, -EINVAL, "bind src '%s' without dest: -EINVAL", p);
		is_str(ccsb_error_message(e), msg, "%s", desc);
		ccsb_error_free(e);
	}

	FAILS(ccsb_sandbox_add_bind(sb, NULL, "/ok", CCSB_BIND_RO, &e), EINVAL,
	      "bad host path '': " PATH_RULE, "bind src NULL");
	FAILS(ccsb_sandbox_add_tmpfs(sb, NULL, &e), EINVAL, "bad sandbox path '': " PATH_RULE,
	      "tmpfs NULL");
	FAILS(ccsb_sandbox_add_dir(sb, NULL, &e), EINVAL, "bad sandbox path '': " PATH_RULE,
	      "dir NULL");
	FAILS(ccsb_sandbox_add_symlink(sb, "/t", NULL, &e), EINVAL,
	      "bad sandbox path '': " PATH_RULE, "symlink dest NULL");
	FAILS(ccsb_sandbox_add_file(sb, NULL, "x", 1, &e), EINVAL,
	      "bad sandbox path '': " PATH_RULE, "file dest NULL");
	FAILS(ccsb_sandbox_add_symlink(sb, "", "/l", &e), EINVAL, "empty symlink target for '/l'",
	      "empty symlink target");
	FAILS(ccsb_sandbox_add_symlink(sb, NULL, "/l", &e), EINVAL, "empty symlink target for '/l'",
	      "NULL symlink target");
	FAILS(ccsb_sandbox_add_file(sb, "/f", NULL, 3, &e), EINVAL, "no data for '/f'",
	      "file: NULL data with a length");
	FAILS(ccsb_sandbox_add_file(sb, NULL, NULL, 3, &e), EINVAL, "no data for ''",
	      "file: NULL data and dest");

	FAILS(ccsb_sandbox_add_bind(sb, "/a", NULL, 8, &e), EINVAL, "unknown bind flags 0x8",
	      "bind flag 8");
	FAILS(ccsb_sandbox_add_bind(sb, "/a", NULL, CCSB_BIND_RW | 0x100, &e), EINVAL,
	      "unknown bind flags 0x101", "bind flags RW|0x100");
	FAILS(ccsb_sandbox_add_bind(sb, "/a", NULL, ~0u, &e), EINVAL,
	      "unknown bind flags 0xffffffff", "bind flags ~0");
	FAILS(ccsb_sandbox_add_bind(sb, "rel", NULL, 8, &e), EINVAL, "unknown bind flags 0x8",
	      "flags are checked before paths");

	FAILS(ccsb_sandbox_set_cwd(sb, "", &e), EINVAL, "empty working directory", "cwd ''");
	FAILS(ccsb_sandbox_set_cwd(sb, NULL, &e), EINVAL, "empty working directory", "cwd NULL");
	FAILS(ccsb_sandbox_set_cwd(sb, "/a\nb", &e), EINVAL,
	      "bad working directory: contains a newline", "cwd with a newline");
	FAILS(ccsb_sandbox_set_hostname(sb, "", &e), EINVAL, "empty host name", "hostname ''");
	FAILS(ccsb_sandbox_set_hostname(sb, NULL, &e), EINVAL, "empty host name", "hostname NULL");
	FAILS(ccsb_sandbox_set_hostname(sb, "a\nb", &e), EINVAL,
	      "bad host name: use letters, digits, '-' and '.'", "hostname with a newline");
	FAILS(ccsb_sandbox_set_hostname(sb, "it's", &e), EINVAL,
	      "bad host name: use letters, digits, '-' and '.'", "hostname with a quote");
	FAILS(ccsb_sandbox_set_hostname(sb, "a b", &e), EINVAL,
	      "bad host name: use letters, digits, '-' and '.'", "hostname with a space");
	FAILS(ccsb_sandbox_set_hostname(sb, "-x", &e), EINVAL,
	      "bad host name: must not start with '-'", "hostname starting with '-'");
	FAILS(ccsb_sandbox_set_bwrap(sb, "", &e), EINVAL, "empty bwrap path", "bwrap ''");
	FAILS(ccsb_sandbox_set_bwrap(sb, "bw\nrap", &e), EINVAL,
	      "bad bwrap path: contains a newline", "bwrap with a newline");
	FAILS(ccsb_sandbox_set_slirp(sb, NULL, &e), EINVAL, "empty slirp4netns path", "slirp NULL");
	FAILS(ccsb_sandbox_set_exec_helper(sb, "", &e), EINVAL, "empty exec helper path",
	      "helper ''");
	FAILS(ccsb_sandbox_set_exec_helper(sb, "ccsb-exec", &e), EINVAL,
	      "bad exec helper path 'ccsb-exec': " PATH_RULE, "helper must be absolute");
	FAILS(ccsb_sandbox_set_net(sb, (ccsb_net_mode)3, &e), EINVAL, "unknown network mode 3",
	      "net mode 3");
	FAILS(ccsb_sandbox_set_net(sb, (ccsb_net_mode)-1, &e), EINVAL, "unknown network mode -1",
	      "net mode -1");
	SUCCEEDS(ccsb_sandbox_set_net(sb, CCSB_NET_FULL, &e), "net full");
	is_int(ccsb_sandbox_get_net(sb), CCSB_NET_FULL, "get_net: full");
	SUCCEEDS(ccsb_sandbox_set_net(sb, CCSB_NET_ALLOWLIST, &e), "net allowlist");
	is_int(ccsb_sandbox_get_net(sb), CCSB_NET_ALLOWLIST, "get_net: allowlist");
	SUCCEEDS(ccsb_sandbox_set_net(sb, CCSB_NET_NONE, &e), "net none");
	is_int(ccsb_sandbox_get_net(sb), CCSB_NET_NONE, "get_net: none");

	is_int(sb->nmounts, 1, "no failed call added a mount (one: the mode's resolv.conf)");
	is_str(sb->cwd, "/", "no failed call changed the cwd");
	is_str(sb->hostname, "ccsb", "no failed call changed the hostname");
	is_str(sb->bwrap, "bwrap", "no failed call changed bwrap");
	is_str(sb->exec_helper, "/x/ccsb-exec", "no failed call changed the helper");

	/* err may be NULL; a set *err is never overwritten. */
	is_int(ccsb_sandbox_add_tmpfs(sb, "rel", NULL), -EINVAL, "err NULL: tmpfs");
	is_int(ccsb_sandbox_add_bind(sb, "/a", NULL, 8, NULL), -EINVAL, "err NULL: bind flags");
	is_int(ccsb_sandbox_set_cwd(sb, NULL, NULL), -EINVAL, "err NULL: cwd");
	is_int(ccsb_sandbox_env_set(sb, "1A", "v", NULL), -EINVAL, "err NULL: env name");
	is_int(ccsb_sandbox_set_identity(sb, 1, 1, "a:b", NULL, NULL), -EINVAL,
	       "err NULL: identity");
	char *const nocmd[] = { NULL };
	char **argv = NULL;
	is_int(ccsb_sandbox_build_argv(sb, nocmd, &argv, NULL), -EINVAL, "err NULL: build_argv");
	ok(argv == NULL, "argv untouched on failure");
	ccsb_error *e = NULL;
	ccsb_sandbox_add_tmpfs(sb, "first", &e);
	int r = ccsb_sandbox_add_dir(sb, "second", &e);
	is_int(r, -EINVAL, "a second failure still returns its code");
	is_str(ccsb_error_message(e), "bad sandbox path 'first': " PATH_RULE,
	       "the first error is kept");
	r = ccsb_sandbox_add_bind(sb, "/a", NULL, 0, &e);
	is_int(r, 0, "success with *err set");
	is_str(ccsb_error_message(e), "bad sandbox path 'first': " PATH_RULE,
	       "success leaves *err alone");
	ccsb_error_free(e);
	ccsb_sandbox_free(sb);
}

static void test_cmd_errors(void)
{
	ccsb_sandbox *sb = mk();
	char **argv = NULL;
	char *sh = NULL;
	char *const empty[] = { NULL };
	char *const blank[] = { "", "x", NULL };
	FAILS(ccsb_sandbox_build_argv(sb, NULL, &argv, &e), EINVAL, "no command to run",
	      "cmd NULL");
	FAILS(ccsb_sandbox_build_argv(sb, empty, &argv, &e), EINVAL, "no command to run", "cmd {}");
	FAILS(ccsb_sandbox_build_argv(sb, blank, &argv, &e), EINVAL, "no command to run",
	      "cmd {\"\", ...}");
	FAILS(ccsb_sandbox_format_shell(sb, NULL, &sh, &e), EINVAL, "no command to run",
	      "format_shell: cmd NULL");
	FAILS(ccsb_sandbox_format_shell(sb, empty, &sh, &e), EINVAL, "no command to run",
	      "format_shell: cmd {}");
	ok(argv == NULL && sh == NULL, "outputs untouched on failure");
	ccsb_sandbox_free(sb);
}

static void test_identity(void)
{
	char *s = ccsb__passwd_line("claude", 1000, 1001, "/home/claude", "/bin/bash");
	is_str(s, "claude:x:1000:1001:claude:/home/claude:/bin/bash\n", "passwd line");
	free(s);
	s = ccsb__passwd_line("u", 0, 4294967294u, "/", "/bin/sh");
	is_str(s, "u:x:0:4294967294:u:/:/bin/sh\n", "passwd line: ids printed unsigned");
	free(s);
	s = ccsb__group_line("claude", 1001);
	is_str(s, "claude:x:1001:\n", "group line");
	free(s);
	s = ccsb__group_line("g", 4294967294u);
	is_str(s, "g:x:4294967294:\n", "group line: id printed unsigned");
	free(s);

	ccsb_sandbox *sb = mk();
	static const char *const bad_users[] = { "a:b", "a\nb", "a b", "a\tb", "a/b",
						 "é",	"a$",	"a,b", "a#",   "\n" };
	for (size_t i = 0; i < sizeof(bad_users) / sizeof(*bad_users); i++) {
		char msg[64], desc[64];
		snprintf(msg, sizeof(msg), "bad user name '%s'", bad_users[i]);
		snprintf(desc, sizeof(desc), "user name '%s' refused", bad_users[i]);
		FAILS(ccsb_sandbox_set_identity(sb, 1, 1, bad_users[i], NULL, &e), EINVAL, msg,
		      desc);
	}
	FAILS(ccsb_sandbox_set_identity(sb, 1, 1, "", NULL, &e), EINVAL, "empty user name",
	      "empty user name");
	FAILS(ccsb_sandbox_set_identity(sb, 1, 1, NULL, "/a:b", &e), EINVAL,
	      "bad home '/a:b': contains ':'", "home with ':'");
	FAILS(ccsb_sandbox_set_identity(sb, 1, 1, NULL, "home", &e), EINVAL,
	      "bad home directory 'home': " PATH_RULE, "relative home");
	FAILS(ccsb_sandbox_set_identity(sb, 1, 1, NULL, "/h/../x", &e), EINVAL,
	      "bad home directory '/h/../x': " PATH_RULE, "home with '..'");
	FAILS(ccsb_sandbox_set_identity(sb, 1, 1, NULL, "", &e), EINVAL, "empty home directory",
	      "empty home");
	FAILS(ccsb_sandbox_set_identity(sb, 1, 1, NULL, "/h\nx", &e), EINVAL,
	      "bad home directory: contains a newline", "home with a newline");
	is_int(sb->uid, 1000, "failed calls keep the uid");
	is_int(sb->gid, 1000, "failed calls keep the gid");
	is_str(sb->user, "claude", "failed calls keep the user");
	is_str(sb->home, "/home/claude", "failed calls keep the home");

	SUCCEEDS(ccsb_sandbox_set_identity(sb, 7, 8, "A.b-c_9", "/srv/h", &e),
		 "good name and home");
	is_str(sb->user, "A.b-c_9", "user set");
	is_str(sb->home, "/srv/h", "home set");
	ok(sb->uid == 7 && sb->gid == 8, "ids set");

	/* The ids are applied last: a bad name or home leaves them alone (the
	 * name may already be applied, as the header says). */
	FAILS(ccsb_sandbox_set_identity(sb, 9, 9, "bob", "relative", &e), EINVAL,
	      "bad home directory 'relative': " PATH_RULE, "user ok, home bad");
	ok(sb->uid == 7 && sb->gid == 8, "user ok, home bad: ids kept");
	is_str(sb->home, "/srv/h", "user ok, home bad: home kept");
	ccsb_sandbox_free(sb);
}

/* ---- environment ----------------------------------------------------- */

static void env_is(const ccsb_sandbox *sb, char *const host[], const char *want, const char *desc)
{
	char **v = NULL;
	int r = ccsb__env_build(sb, host, &v);
	if (!is_int(r, 0, "%s: env_build", desc)) {
		skip(1, "no environment");
		return;
	}
	char *got = join(v, "\n");
	is_str(got, want, "%s", desc);
	free(got);
	ccsb__strv_free(v);
}

static void test_env_names(void)
{
	ccsb_sandbox *sb = mk();
	static const char *const bad[] = { "1ABC", "A-B", "A=B", "",	"*",  "A B",
					   "A.B",  "É",	  "A*B", "A**", "*A", "1*" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		char msg[64], desc[64];
		snprintf(msg, sizeof(msg), "bad environment variable name '%s'", bad[i]);
		snprintf(desc, sizeof(desc), "set '%s' refused", bad[i]);
		FAILS(ccsb_sandbox_env_set(sb, bad[i], "v", &e), EINVAL, msg, desc);
		snprintf(desc, sizeof(desc), "pass '%s' refused", bad[i]);
		FAILS(ccsb_sandbox_env_pass(sb, bad[i], &e), EINVAL, msg, desc);
	}
	FAILS(ccsb_sandbox_env_set(sb, NULL, "v", &e), EINVAL, "bad environment variable name ''",
	      "set NULL name");
	FAILS(ccsb_sandbox_env_pass(sb, NULL, &e), EINVAL, "bad environment variable name ''",
	      "pass NULL name");
	FAILS(ccsb_sandbox_env_set(sb, "LC_*", "v", &e), EINVAL,
	      "bad environment variable name 'LC_*'", "a pattern cannot be set");
	FAILS(ccsb_sandbox_env_set(sb, "A", NULL, &e), EINVAL,
	      "no value for environment variable 'A'", "set with a NULL value");
	FAILS(ccsb_sandbox_env_set(sb, NULL, NULL, &e), EINVAL,
	      "no value for environment variable ''", "set NULL, NULL");
	is_int(sb->nenv, 0, "failed calls add nothing");

	static const char *const good[] = { "A", "_", "a", "_1", "A1_b", "lower", "PATH" };
	for (size_t i = 0; i < sizeof(good) / sizeof(*good); i++) {
		SUCCEEDS(ccsb_sandbox_env_set(sb, good[i], "v", &e), good[i]);
		SUCCEEDS(ccsb_sandbox_env_pass(sb, good[i], &e), good[i]);
	}
	SUCCEEDS(ccsb_sandbox_env_pass(sb, "LC_*", &e), "pattern LC_* can be passed");
	SUCCEEDS(ccsb_sandbox_env_pass(sb, "A*", &e), "pattern A* can be passed");
	SUCCEEDS(ccsb_sandbox_env_set(sb, "E", "", &e), "empty value is fine");
	SUCCEEDS(ccsb_sandbox_env_set(sb, "N", "a\nb=c", &e), "value with newline and '='");
	is_int(sb->nenv, 11, "one entry per name");
	ccsb_sandbox_env_clear(sb);
	is_int(sb->nenv, 0, "env_clear empties it");
	ccsb_sandbox_env_clear(sb);
	is_int(sb->nenv, 0, "env_clear twice");
	SUCCEEDS(ccsb_sandbox_env_set(sb, "A", "1", &e), "set after clear");
	env_is(sb, NULL, "A=1", "set after clear");
	ccsb_sandbox_free(sb);
}

static void test_env_build(void)
{
	char *const host[] = { "TERM=xterm-256color",
			       "LC_ALL=C",
			       "LC_TIME=en_DK.UTF-8",
			       "LANG=en_US.UTF-8",
			       "HOMEX=1",
			       "PATH=/host/bin",
			       "NOEQUALS",
			       "LC_=weird",
			       "TERM=second",
			       "SECRET=s",
			       "lc_lower=1",
			       "TERMINAL=x",
			       "EMPTY=",
			       NULL };
	ccsb_sandbox *sb = mk();
	env_is(sb, host, "", "empty policy: empty environment");
	SUCCEEDS(ccsb_sandbox_env_set(sb, "PATH", "/usr/bin", &e), "set PATH");
	SUCCEEDS(ccsb_sandbox_env_pass(sb, "TERM", &e), "pass TERM");
	SUCCEEDS(ccsb_sandbox_env_pass(sb, "LC_*", &e), "pass LC_*");
	SUCCEEDS(ccsb_sandbox_env_set(sb, "LC_TIME", "C.UTF-8", &e), "set LC_TIME");
	SUCCEEDS(ccsb_sandbox_env_pass(sb, "MISSING", &e), "pass MISSING");
	SUCCEEDS(ccsb_sandbox_env_pass(sb, "HOME", &e), "pass HOME");
	SUCCEEDS(ccsb_sandbox_env_pass(sb, "NOEQUALS", &e), "pass NOEQUALS");
	SUCCEEDS(ccsb_sandbox_env_pass(sb, "EMPTY", &e), "pass EMPTY");
	env_is(sb, host,
	       "PATH=/usr/bin\n"
	       "TERM=xterm-256color\n"
	       "LC_ALL=C\n"
	       "LC_=weird\n"
	       "LC_TIME=C.UTF-8\n"
	       "EMPTY=",
	       "sets, passes and patterns in policy order; a set beats a pattern; first host "
	       "duplicate; no prefix match; unset and malformed not passed");
	env_is(sb, NULL, "PATH=/usr/bin\nLC_TIME=C.UTF-8", "NULL host: sets only");

	/* Later settings replace earlier ones and move to the end. */
	SUCCEEDS(ccsb_sandbox_env_set(sb, "PATH", "/bin", &e), "set PATH again");
	SUCCEEDS(ccsb_sandbox_env_set(sb, "LC_ALL", "POSIX", &e), "set LC_ALL after the pattern");
	env_is(sb, host,
	       "TERM=xterm-256color\n"
	       "LC_=weird\n"
	       "LC_TIME=C.UTF-8\n"
	       "EMPTY=\n"
	       "PATH=/bin\n"
	       "LC_ALL=POSIX",
	       "last setting wins and moves to the end; a later set also beats an earlier pattern");
	ccsb_sandbox_free(sb);

	sb = mk();
	SUCCEEDS(ccsb_sandbox_env_set(sb, "TERM", "dumb", &e), "set TERM");
	SUCCEEDS(ccsb_sandbox_env_pass(sb, "TERM", &e), "then pass TERM");
	env_is(sb, host, "TERM=xterm-256color", "pass after set: the pass wins");
	SUCCEEDS(ccsb_sandbox_env_set(sb, "TERM", "dumb", &e), "set TERM again");
	env_is(sb, host, "TERM=dumb", "set after pass: the set wins");
	SUCCEEDS(ccsb_sandbox_env_pass(sb, "TERM*", &e), "pass TERM*");
	env_is(sb, host, "TERM=dumb\nTERMINAL=x", "pattern does not re-add an explicitly set name");
	SUCCEEDS(ccsb_sandbox_env_pass(sb, "LC_ALL", &e), "pass LC_ALL");
	SUCCEEDS(ccsb_sandbox_env_pass(sb, "LC_*", &e), "pass LC_*");
	SUCCEEDS(ccsb_sandbox_env_pass(sb, "LC_*", &e), "pass LC_* twice");
	env_is(sb, host, "TERM=dumb\nTERMINAL=x\nLC_ALL=C\nLC_TIME=en_DK.UTF-8\nLC_=weird",
	       "a pattern does not duplicate an earlier pass; a repeated pattern counts once");
	is_int(sb->nenv, 4, "four entries");
	ccsb_sandbox_free(sb);
}

/* ---- --print --------------------------------------------------------- */

static void test_format_shell(void)
{
	ccsb_sandbox *sb = mk();
	/* The filter's bytes depend on libseccomp: see test_format_shell_seccomp(). */
	ccsb_sandbox_set_seccomp(sb, false);
	char *const cmd[] = { "sh", "-c", "echo 'hi' $HOME", "", "a*b", "~", NULL };
	char *out = NULL;
	SUCCEEDS(ccsb_sandbox_format_shell(sb, cmd, &out, &e), "format_shell: empty policy");
	is_str(out,
	       "env -i bwrap --unshare-all --unshare-user --die-with-parent --new-session --cap-drop "
	       "ALL --as-pid-1 --uid 1000 --gid 1000 --hostname ccsb --ro-bind /x/ccsb-exec "
	       "/run/ccsb/exec --remount-ro / --chdir / -- /run/ccsb/exec -- sh -c 'echo '\\''hi'\\'' $HOME' '' "
	       "'a*b' '~'\n",
	       "format_shell: empty policy, no sync fds, args quoted when needed");
	free(out);

	SUCCEEDS(ccsb_sandbox_env_set(sb, "HOME", "/home/claude", &e), "set HOME");
	SUCCEEDS(ccsb_sandbox_env_set(sb, "GREETING", "hello world", &e), "set GREETING");
	SUCCEEDS(ccsb_sandbox_env_set(sb, "QUOTE", "it's", &e), "set QUOTE");
	SUCCEEDS(ccsb_sandbox_env_set(sb, "EMPTY", "", &e), "set EMPTY");
	SUCCEEDS(ccsb_sandbox_env_pass(sb, "TERM", &e), "pass TERM");
	SUCCEEDS(ccsb_sandbox_env_pass(sb, "LC_*", &e), "pass LC_*");
	SUCCEEDS(ccsb_sandbox_env_set(sb, "DOLLAR", "$x`y`\"z\\", &e), "set DOLLAR");
	SUCCEEDS(ccsb_sandbox_env_set(sb, "PLAIN", "a_b-c.d/e:f,g+h=i@j%k", &e), "set PLAIN");
	SUCCEEDS(ccsb_sandbox_env_set(sb, "NL", "1\n2", &e), "set NL");
	SUCCEEDS(ccsb_sandbox_add_bind(sb, "/usr", NULL, CCSB_BIND_RO, &e), "bind /usr");
	SUCCEEDS(ccsb_sandbox_add_file(sb, "/etc/passwd", S("root:x:0:0::/root:/bin/sh\n"), &e),
		 "file passwd");
	SUCCEEDS(ccsb_sandbox_add_tmpfs(sb, "/tmp", &e), "tmpfs");
	SUCCEEDS(ccsb_sandbox_add_file(sb, "/etc/hostname", S("box"), &e), "file without newline");
	SUCCEEDS(ccsb_sandbox_add_file(sb, "/etc/empty", NULL, 0, &e), "empty file");
	SUCCEEDS(ccsb_sandbox_add_file(sb, "/etc/x", S("$HOME `id` \\\nCCSB_EOF_6\n"), &e),
		 "file with shell syntax and another file's delimiter");
	SUCCEEDS(ccsb_sandbox_add_bind(sb, "/my dir", NULL, CCSB_BIND_RW, &e), "bind with a space");
	SUCCEEDS(ccsb_sandbox_set_cwd(sb, "/my dir", &e), "cwd with a space");
	SUCCEEDS(ccsb_sandbox_set_hostname(sb, "my-box.test", &e), "hostname with '-' and '.'");
	FAILS(ccsb_sandbox_apply_defaults(sb, 0x80, &e), EINVAL, "unknown defaults flags 0x80",
	      "apply_defaults rejects unknown flags (and changes nothing)");
	char *const cmd2[] = { "true", NULL };
	SUCCEEDS(ccsb_sandbox_format_shell(sb, cmd2, &out, &e), "format_shell: full policy");
	is_str(out,
	       "env -i HOME=/home/claude 'GREETING=hello world' 'QUOTE=it'\\''s' EMPTY= "
	       "${TERM+\"TERM=$TERM\"} 'DOLLAR=$x`y`\"z\\' PLAIN=a_b-c.d/e:f,g+h=i@j%k 'NL=1\n2' "
	       "bwrap --unshare-all --unshare-user --die-with-parent --new-session --cap-drop ALL "
	       "--as-pid-1 --uid 1000 --gid 1000 --hostname my-box.test --ro-bind /usr /usr "
	       "--perms 0600 --file 6 /etc/passwd --tmpfs /tmp --perms 0600 --file 7 /etc/hostname "
	       "--perms 0600 --file 8 /etc/empty --perms 0600 --file 9 /etc/x --bind '/my dir' '/my dir' "
	       "--ro-bind /x/ccsb-exec /run/ccsb/exec --remount-ro / --chdir '/my dir' -- /run/ccsb/exec -- true "
	       "6<<'CCSB_EOF_6' 7<<'CCSB_EOF_7' 8<<'CCSB_EOF_8' 9<<'CCSB_EOF_9'\n"
	       "root:x:0:0::/root:/bin/sh\n"
	       "CCSB_EOF_6\n"
	       "box\n"
	       "CCSB_EOF_7\n"
	       "CCSB_EOF_8\n"
	       "$HOME `id` \\\n"
	       "CCSB_EOF_6\n"
	       "CCSB_EOF_9\n",
	       "format_shell: golden output");
	free(out);
	ccsb_sandbox_free(sb);

	/* Data that would end its own here-document cannot be rendered. */
	static const struct {
		const char *data;
		size_t len;
		const char *what;
	} bad[] = {
		{ "a\nCCSB_EOF_7\nb\n", 15, "the delimiter line" },
		{ "CCSB_EOF_7", 10, "the delimiter without newline" },
		{ "xCCSB_EOF_7y\n", 13, "the delimiter inside a line" },
		{ "a\0b", 3, "a NUL byte" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		sb = mk();
		ccsb_sandbox_set_seccomp(sb, i % 2);
		SUCCEEDS(ccsb_sandbox_add_file(sb, "/etc/a", "CCSB_EOF_7\n", 11, &e),
			 "fd 6 may hold fd 7's delimiter");
		SUCCEEDS(ccsb_sandbox_add_file(sb, "/etc/b", bad[i].data, bad[i].len, &e), "fd 7");
		char desc[96];
		snprintf(desc, sizeof(desc), "format_shell: data with %s", bad[i].what);
		out = NULL;
		FAILS(ccsb_sandbox_format_shell(sb, cmd2, &out, &e), EINVAL,
		      "cannot render /etc/b as a here-document", desc);
		ok(out == NULL, "%s: no output", desc);
		char **argv = NULL;
		SUCCEEDS(ccsb_sandbox_build_argv(sb, cmd2, &argv, &e), "build_argv still works");
		ccsb_argv_free(argv);
		ccsb_sandbox_free(sb);
	}
}

static void test_argv_hardening(void)
{
	char *const cmd[] = { "true", NULL };
	ccsb_sandbox *sb = mk();
	ok(sb->seccomp, "seccomp filter on by default");
	ccsb_sandbox *fresh = ccsb_sandbox_new();
	ok(fresh && !fresh->nested_userns, "nested user namespaces refused by default");
	ok(fresh && fresh->proc_covers == (getuid() == 0),
	   "/proc covers by default exactly when the caller is uid 0");
	if (fresh) {
		char **dv = NULL;
		ok(ccsb_sandbox_build_argv(fresh, cmd, &dv, NULL) == 0 &&
			   strv_has_substr(dv, "--disable-userns"),
		   "a fresh policy's argv has --disable-userns");
		ccsb_argv_free(dv);
	}
	ccsb_sandbox_free(fresh);
	is_int(sb->tty, CCSB_TTY_AUTO, "tty auto by default");
	is_int(ccsb__nfiles(sb), 0, "no data files");
	is_int(ccsb__seccomp_fdnum(sb), 6, "seccomp fd 6 without data files");

	ccsb_sandbox_set_nested_userns(sb, false);
	argv_is(sb, cmd,
		"bwrap\n--unshare-all\n--unshare-user\n--disable-userns\n--die-with-parent\n"
		"--new-session\n--cap-drop\nALL\n--as-pid-1\n--uid\n1000\n--gid\n1000\n--hostname\n"
		"ccsb\n" SYNC SECCOMP(6) TAIL "true",
		"nested user namespaces off: --disable-userns");
	ccsb_sandbox_set_nested_userns(sb, true);
	ccsb_sandbox_set_seccomp(sb, false);
	argv_is(sb, cmd, HEAD TAIL "true", "seccomp off: no --seccomp");
	ccsb_sandbox_set_seccomp(sb, true);

	SUCCEEDS(ccsb_sandbox_set_tty(sb, CCSB_TTY_ON, &e), "tty on");
	argv_is(sb, cmd,
		HEAD SECCOMP(
			6) "--ro-bind\n/x/ccsb-exec\n/run/ccsb/exec\n--remount-ro\n/\n--chdir\n/\n--\n/run/ccsb/exec\n"
			   "--tty\n--job-fd\n7\n--\ntrue",
		"tty on: ccsb-exec --tty, and the job socket after the filter's descriptor");
	is_int(ccsb__job_fdnum(sb), 7, "job fd 7 after the filter's 6");
	ccsb_sandbox_set_seccomp(sb, false);
	is_int(ccsb__job_fdnum(sb), 6, "job fd 6 without a filter");
	ccsb_sandbox_set_seccomp(sb, true);
	char **argv = NULL;
	SUCCEEDS(ccsb__build_argv_tty(sb, cmd, true, false, &argv, &e), "build_argv_tty(false)");
	ok(argv && !strv_has_substr(argv, "--tty"),
	   "the run's resolved choice overrides the policy");
	ccsb_argv_free(argv);
	SUCCEEDS(ccsb_sandbox_set_tty(sb, CCSB_TTY_OFF, &e), "tty off");
	argv_is(sb, cmd, HEAD SECCOMP(6) TAIL "true", "tty off: no --tty");
	argv = NULL;
	SUCCEEDS(ccsb__build_argv_tty(sb, cmd, false, true, &argv, &e), "build_argv_tty(true)");
	char *got = argv ? join(argv, "\n") : NULL;
	is_str(got,
	       HEAD_NOSYNC SECCOMP(
		       5) "--ro-bind\n/x/ccsb-exec\n/run/ccsb/exec\n--remount-ro\n/\n--chdir\n/\n--\n"
			  "/run/ccsb/exec\n--tty\n--\ntrue",
	       "build_argv_tty(true) without sync fds");
	free(got);
	ccsb_argv_free(argv);
	SUCCEEDS(ccsb_sandbox_set_tty(sb, CCSB_TTY_AUTO, &e), "tty auto");
	argv_is(sb, cmd, HEAD SECCOMP(6) TAIL "true", "tty auto: no --tty in the plan");
	FAILS(ccsb_sandbox_set_tty(sb, (ccsb_tty_mode)3, &e), EINVAL, "unknown terminal mode 3",
	      "tty mode 3");
	FAILS(ccsb_sandbox_set_tty(sb, (ccsb_tty_mode)-1, &e), EINVAL, "unknown terminal mode -1",
	      "tty mode -1");
	is_int(sb->tty, CCSB_TTY_AUTO, "a bad mode changes nothing");

	/* Everything at once; the filter's descriptor follows the data files. */
	ccsb_sandbox_set_nested_userns(sb, false);
	SUCCEEDS(ccsb_sandbox_set_tty(sb, CCSB_TTY_ON, &e), "tty on");
	SUCCEEDS(ccsb_sandbox_add_file(sb, "/a", S("a"), &e), "file a");
	SUCCEEDS(ccsb_sandbox_add_tmpfs(sb, "/t", &e), "tmpfs");
	SUCCEEDS(ccsb_sandbox_add_file(sb, "/b", S("b"), &e), "file b");
	SUCCEEDS(ccsb_sandbox_add_file(sb, "/c", S("c"), &e), "file c");
	is_int(ccsb__nfiles(sb), 3, "three data files");
	is_int(ccsb__seccomp_fdnum(sb), 9, "seccomp fd 9 after three data files");
	argv_is(sb, cmd,
		"bwrap\n--unshare-all\n--unshare-user\n--disable-userns\n--die-with-parent\n"
		"--new-session\n--cap-drop\nALL\n--as-pid-1\n--uid\n1000\n--gid\n1000\n--hostname\n"
		"ccsb\n" SYNC SECCOMP(
			9) "--perms\n0600\n--file\n6\n/a\n--tmpfs\n/t\n--perms\n0600\n--file\n7\n/b\n"
			   "--perms\n0600\n--file\n8\n/c\n--ro-bind\n/x/ccsb-exec\n/run/ccsb/exec\n--remount-ro\n/\n--chdir\n/\n--\n"
			   "/run/ccsb/exec\n--tty\n--job-fd\n10\n--\ntrue",
		"all hardening options with data files");
	ccsb_sandbox_free(sb);
}

/* Decode the `printf '...'` lines of --print's seccomp part. */
static unsigned char *decode_printf(const char *s, const char *end, size_t *len, bool *lines_ok)
{
	unsigned char *out = malloc(strlen(s) + 1);
	size_t n = 0;
	*lines_ok = true;
	while (s < end) {
		if (strncmp(s, "printf '", 8) != 0) {
			*lines_ok = false;
			break;
		}
		s += 8;
		size_t bytes = 0;
		while (*s && *s != '\'') {
			if (*s == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' &&
			    s[2] <= '7' && s[3] >= '0' && s[3] <= '7') {
				out[n++] = (unsigned char)((s[1] - '0') * 64 + (s[2] - '0') * 8 +
							   (s[3] - '0'));
				s += 4;
			} else if ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
				   (*s >= '0' && *s <= '9')) {
				out[n++] = (unsigned char)*s++;
			} else {
				*lines_ok = false;
				s++;
			}
			bytes++;
		}
		if (bytes > 48 || strncmp(s, "'\n", 2) != 0)
			*lines_ok = false;
		s += 2;
	}
	*len = n;
	return out;
}

/* The BPF generated at build time is exactly what libseccomp compiles from
 * the same rules now (the cross-build path), for both policies. */
static void test_seccomp_generated(void)
{
	for (int nested = 0; nested <= 1; nested++) {
		ccsb_sandbox *sb = mk();
		ccsb_sandbox_set_nested_userns(sb, nested);
		int a = memfd_create("gen", 0), b = memfd_create("now", 0);
		SUCCEEDS(ccsb__seccomp_export(sb, a, &e),
			 nested ? "generated BPF, nested userns"
				: "generated BPF, no nested userns");
		SUCCEEDS(ccsb__seccomp_compile(nested, b, &e),
			 nested ? "compiled now, nested userns" : "compiled now, no nested userns");
		off_t na = lseek(a, 0, SEEK_END), nb = lseek(b, 0, SEEK_END);
		ok(na > 0 && na == nb, "same length: %lld and %lld bytes", (long long)na,
		   (long long)nb);
		unsigned char *pa = malloc(na > 0 ? (size_t)na : 1),
			      *pb = malloc(nb > 0 ? (size_t)nb : 1);
		bool same = na == nb && pa && pb && pread(a, pa, (size_t)na, 0) == na &&
			    pread(b, pb, (size_t)nb, 0) == nb && memcmp(pa, pb, (size_t)na) == 0;
		ok(same, "same bytes (nested userns %d, CCSB_SECCOMP_PRECOMPILED=%d)", nested,
		   CCSB_SECCOMP_PRECOMPILED);
		free(pa);
		free(pb);
		close(a);
		close(b);
		ccsb_sandbox_free(sb);
	}
}

static void test_format_shell_seccomp(void)
{
	ccsb_sandbox *sb = mk();
	SUCCEEDS(ccsb_sandbox_add_file(sb, "/etc/a", S("data\n"), &e), "file");
	unsigned char *bpf = NULL;
	size_t nbpf = 0;
	SUCCEEDS(ccsb__seccomp_bpf(sb, &bpf, &nbpf, &e), "the filter builds");
	ok(nbpf > 0 && nbpf % 8 == 0, "BPF is whole instructions (%zu bytes)", nbpf);
	char *const cmd[] = { "true", NULL };
	char *out = NULL;
	SUCCEEDS(ccsb_sandbox_format_shell(sb, cmd, &out, &e), "format_shell with seccomp");
	char head[128];
	snprintf(head, sizeof(head),
		 "# seccomp filter: %zu bytes of BPF, piped to bwrap on fd 5\n{ {\n", nbpf);
	ok(out && strncmp(out, head, strlen(head)) == 0, "starts with the comment and the group");
	const char *mid = out ? strstr(out, "} | env -i bwrap --unshare-all ") : NULL;
	ok(mid != NULL, "the printf group is piped into env -i bwrap");
	if (mid) {
		size_t len = 0;
		bool lines_ok = false;
		unsigned char *got = decode_printf(out + strlen(head), mid, &len, &lines_ok);
		ok(lines_ok,
		   "printf lines of at most 48 bytes, octal escapes for non-alphanumerics");
		ok(len == nbpf && memcmp(got, bpf, nbpf) == 0, "printf writes exactly the filter");
		free(got);
		is_str(mid,
		       "} | env -i bwrap --unshare-all --unshare-user --die-with-parent --new-session "
		       "--cap-drop ALL --as-pid-1 --uid 1000 --gid 1000 --hostname ccsb --seccomp 5 "
		       "--perms 0600 --file 6 /etc/a --ro-bind /x/ccsb-exec /run/ccsb/exec --remount-ro / --chdir / -- "
		       "/run/ccsb/exec -- true 6<<'CCSB_EOF_6' 5<&0 0<&3 3<&-; } 3<&0\n"
		       "data\n"
		       "CCSB_EOF_6\n",
		       "the command line and the here-document after the filter");
	} else {
		skip(3, "unexpected output");
	}
	free(out);

	/* The filter differs with nested user namespaces refused. */
	unsigned char *bpf2 = NULL;
	size_t nbpf2 = 0;
	ccsb_sandbox_set_nested_userns(sb, false);
	SUCCEEDS(ccsb__seccomp_bpf(sb, &bpf2, &nbpf2, &e),
		 "the filter builds without nested userns");
	ok(bpf && bpf2 && (nbpf2 != nbpf || memcmp(bpf, bpf2, nbpf) != 0),
	   "refusing nested user namespaces changes the filter");
	free(bpf2);
	free(bpf);
	ccsb_sandbox_free(sb);
}

static char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "re");
	if (!f)
		return NULL;
	char *buf = NULL;
	size_t cap = 0, n = 0;
	for (;;) {
		if (n + 4096 + 1 > cap) {
			cap = cap ? cap * 2 : 8192;
			char *nb = realloc(buf, cap);
			if (!nb)
				bail_out("out of memory");
			buf = nb;
		}
		size_t k = fread(buf + n, 1, 4096, f);
		n += k;
		if (k == 0)
			break;
	}
	fclose(f);
	buf[n] = '\0';
	if (len)
		*len = n;
	return buf;
}

static void write_file(const char *path, const char *s, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0 || write(fd, s, strlen(s)) != (ssize_t)strlen(s))
		bail_out("cannot write a test file");
	close(fd);
}

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (flag == FTW_DP)
		rmdir(p);
	else
		unlink(p);
	return 0;
}

static void rm_rf(const char *dir)
{
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* Run the rendered command with /bin/sh, with a fake bwrap that records its
 * arguments, environment and data descriptors: the shell must hand over
 * exactly what ccsb__build_argv() and ccsb__env_build() produce. */
static void test_format_shell_runs(void)
{
	char dir[] = "/tmp/ccsb-test-sh-XXXXXX";
	if (!mkdtemp(dir)) {
		skip(12, "cannot make a temporary directory");
		return;
	}
	char fake[PATH_MAX];
	snprintf(fake, sizeof(fake), "%s/fake bwrap", dir);
	write_file(fake,
		   "#!/bin/sh\n"
		   "printf '%s\\0' \"$@\" > \"$OUT/args\"\n"
		   "env > \"$OUT/env\"\n"
		   "cat <&6 > \"$OUT/fd6\"\n"
		   "cat <&7 > \"$OUT/fd7\"\n"
		   "cat <&5 > \"$OUT/fd5\"\n"
		   "cat > \"$OUT/stdin\"\n"
		   "[ ! -e /dev/fd/3 ] && echo closed > \"$OUT/fd3\"\n",
		   0755);

	setenv("CCSB_T_PASS", "passed 'value' $x", 1);
	unsetenv("CCSB_T_UNSET");
	ccsb_sandbox *sb = mk();
	SUCCEEDS(ccsb_sandbox_set_bwrap(sb, fake, &e), "fake bwrap");
	SUCCEEDS(ccsb_sandbox_env_set(sb, "OUT", dir, &e), "OUT");
	SUCCEEDS(ccsb_sandbox_env_set(sb, "PATH", "/usr/bin:/bin", &e), "PATH");
	SUCCEEDS(ccsb_sandbox_env_set(sb, "Q", "it's \"x\" $HOME `id`\nline2", &e), "Q");
	SUCCEEDS(ccsb_sandbox_env_pass(sb, "CCSB_T_PASS", &e), "pass CCSB_T_PASS");
	SUCCEEDS(ccsb_sandbox_env_pass(sb, "CCSB_T_UNSET", &e), "pass CCSB_T_UNSET");
	SUCCEEDS(ccsb_sandbox_add_file(sb, "/etc/a", S("$HOME `id` \\\nx\n"), &e), "file 6");
	SUCCEEDS(ccsb_sandbox_add_file(sb, "/etc/b", S("no newline"), &e), "file 7");
	SUCCEEDS(ccsb_sandbox_add_bind(sb, "/a 'b'", "/c\"d", CCSB_BIND_RW, &e), "odd bind");
	char *const cmd[] = { "sh", "-c", "echo \"$1\" '$2'", "", "*", "a\nb", NULL };
	char *out = NULL;
	SUCCEEDS(ccsb_sandbox_format_shell(sb, cmd, &out, &e), "render");
	char in[PATH_MAX + 16];
	snprintf(in, sizeof(in), "%s/in", dir);
	write_file(in, "the caller's stdin\n", 0644);
	char *script = NULL;
	if (asprintf(&script, "exec <'%s'\n%s", in, out ? out : "false") < 0)
		bail_out("out of memory");
	int st = system(script);
	free(script);
	is_int(st, 0, "the rendered command runs in /bin/sh");

	char path[PATH_MAX + 16];
	size_t len = 0;
	snprintf(path, sizeof(path), "%s/args", dir);
	char *args = read_file(path, &len);
	char **argv = NULL;
	ccsb__build_argv(sb, cmd, false, &argv, NULL);
	size_t wlen = 0;
	for (size_t i = 1; argv && argv[i]; i++)
		wlen += strlen(argv[i]) + 1;
	char *want = calloc(1, wlen + 1);
	for (size_t i = 1, o = 0; argv && argv[i]; i++) {
		memcpy(want + o, argv[i], strlen(argv[i]) + 1);
		o += strlen(argv[i]) + 1;
	}
	ok(args && len == wlen && memcmp(args, want, wlen) == 0,
	   "the shell passes exactly the planned argv");
	free(want);
	free(args);
	ccsb_argv_free(argv);

	snprintf(path, sizeof(path), "%s/env", dir);
	char *env = read_file(path, NULL);
	char **v = NULL;
	char *host[] = { "CCSB_T_PASS=passed 'value' $x", NULL };
	ccsb__env_build(sb, host, &v);
	bool all = env != NULL;
	for (size_t i = 0; all && v && v[i]; i++) {
		char line[512];
		snprintf(line, sizeof(line), "%s\n", v[i]);
		all = strstr(env, line) != NULL;
		if (!all)
			diag("missing from the environment: %s", v[i]);
	}
	ok(all, "every planned variable reaches the command, with its value");
	ok(env && !strstr(env, "CCSB_T_UNSET"), "an unset passed variable stays unset");
	ok(env && !strstr(env, "HOME="), "nothing else is inherited (env -i)");
	free(env);
	ccsb__strv_free(v);

	snprintf(path, sizeof(path), "%s/fd6", dir);
	char *d = read_file(path, NULL);
	is_str(d, "$HOME `id` \\\nx\n", "here-document 6 is taken literally");
	free(d);
	snprintf(path, sizeof(path), "%s/fd7", dir);
	d = read_file(path, NULL);
	is_str(d, "no newline\n", "here-document 7 (a newline is added: the one difference)");
	free(d);
	snprintf(path, sizeof(path), "%s/fd5", dir);
	size_t nfilter = 0, nbpf = 0;
	d = read_file(path, &nfilter);
	unsigned char *bpf = NULL;
	ccsb__seccomp_bpf(sb, &bpf, &nbpf, NULL);
	ok(d && bpf && nfilter == nbpf && memcmp(d, bpf, nbpf) == 0,
	   "the seccomp filter arrives on fd 5, byte for byte");
	free(d);
	free(bpf);
	snprintf(path, sizeof(path), "%s/stdin", dir);
	d = read_file(path, NULL);
	is_str(d, "the caller's stdin\n", "bwrap's stdin is still the caller's");
	free(d);
	snprintf(path, sizeof(path), "%s/fd3", dir);
	d = read_file(path, NULL);
	is_str(d, "closed\n", "the saved stdin (fd 3) is closed for bwrap");
	free(d);

	free(out);
	ccsb_sandbox_free(sb);
	unsetenv("CCSB_T_PASS");
	rm_rf(dir);
}

/* ---- the default policy (inspects the host) -------------------------- */

static const char *const etc_allowed[] = {
	"/etc/ssl/certs",
	"/etc/ssl/openssl.cnf",
	"/etc/ca-certificates",
	"/etc/ca-certificates.conf",
	"/etc/pki",
	"/etc/crypto-policies",
	"/etc/ld.so.cache",
	"/etc/ld.so.conf",
	"/etc/ld.so.conf.d",
	"/etc/nsswitch.conf",
	"/etc/localtime",
	"/etc/timezone",
	"/etc/alternatives",
	"/etc/host.conf",
	"/etc/networks",
	"/etc/terminfo",
	"/etc/profile",
	"/etc/profile.d",
	"/etc/bash.bashrc",
	"/etc/bashrc",
	"/etc/inputrc",
	"/etc/shells",
	"/etc/mime.types",
	"/etc/mailcap",
	"/etc/protocols",
	"/etc/services",
	"/etc/rpc",
	"/etc/gitconfig",
	"/etc/os-release",
	"/etc/lsb-release",
	"/etc/debian_version",
	"/etc/locale.alias",
	"/etc/locale.conf",
	"/etc/default/locale",
	"/etc/perl",
	"/etc/python3",
	"/etc/vim",
	"/etc/gai.conf",
	"/etc/magic",
	"/etc/manpath.config",
	"/etc/claude-code",
};

static bool under(const char *path, const char *dir)
{
	size_t n = strlen(dir);
	return strncmp(path, dir, n) == 0 && (path[n] == '/' || path[n] == '\0');
}

/* One line per mount: "kind flags src dest". */
static char *describe_mounts(const ccsb_sandbox *sb, size_t from)
{
	static const char *const kinds[] = { "bind", "tmpfs", "dir", "symlink",
					     "file", "proc",  "dev" };
	size_t cap = 256, n = 0;
	char *s = calloc(1, cap);
	for (size_t i = from; i < sb->nmounts; i++) {
		const struct ccsb_mount *m = &sb->mounts[i];
		char line[2 * PATH_MAX + 64];
		int k = snprintf(line, sizeof(line), "%s %u %s %s\n", kinds[m->kind], m->flags,
				 m->src ? m->src : "-", m->dest);
		while (n + (size_t)k + 1 > cap) {
			cap *= 2;
			s = realloc(s, cap);
		}
		memcpy(s + n, line, (size_t)k + 1);
		n += (size_t)k;
	}
	return s;
}

static void append(char **s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void append(char **s, const char *fmt, ...)
{
	char *add = NULL, *joined = NULL;
	va_list ap;
	va_start(ap, fmt);
	if (vasprintf(&add, fmt, ap) < 0)
		bail_out("out of memory");
	va_end(ap);
	if (asprintf(&joined, "%s%s", *s ? *s : "", add) < 0)
		bail_out("out of memory");
	free(add);
	free(*s);
	*s = joined;
}

static const struct ccsb_mount *find_mount(const ccsb_sandbox *sb, const char *dest)
{
	for (size_t i = 0; i < sb->nmounts; i++)
		if (strcmp(sb->mounts[i].dest, dest) == 0)
			return &sb->mounts[i];
	return NULL;
}

/* A small curated directory is rebuilt (etc.c): when it has at most 32
 * entries, 3 levels, and only directories, files and symlinks, its entries
 * in directory order, then each subdirectory's the same way. */
static bool expect_small(char **out, size_t *n, const char *dir, int depth)
{
	char names[32][256];
	size_t k = 0;
	DIR *d = opendir(dir);
	struct dirent *e;
	bool ok = d != NULL;
	while (ok && (e = readdir(d))) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		ok = ++*n <= 32;
		if (ok)
			snprintf(names[k++], sizeof(names[0]), "%s", e->d_name);
	}
	if (d)
		closedir(d);
	char *subs = NULL;
	for (size_t i = 0; ok && i < k; i++) {
		char p[PATH_MAX], t[PATH_MAX];
		struct stat st;
		snprintf(p, sizeof(p), "%s/%s", dir, names[i]);
		if (lstat(p, &st) < 0) {
			ok = false;
		} else if (S_ISDIR(st.st_mode)) {
			append(out, "dir 0 - %s\n", p);
			ok = depth < 3 && expect_small(&subs, n, p, depth + 1);
		} else if (S_ISLNK(st.st_mode)) {
			ssize_t l = readlink(p, t, sizeof(t) - 1);
			ok = l > 0;
			if (ok) {
				t[l] = '\0';
				append(out, "symlink 0 %s %s\n", t, p);
			}
		} else if (!S_ISREG(st.st_mode)) {
			ok = false;
		} else if (access(p, R_OK) == 0) {
			append(out, "file 0 %s %s\n", p, p);
		}
	}
	if (ok && subs)
		append(out, "%s", subs);
	free(subs);
	return ok;
}

static void test_defaults(void)
{
	const char *shell = access("/bin/bash", X_OK) == 0 ? "/bin/bash" : "/bin/sh";

	/* What the host should give, computed independently. */
	char *want = NULL;
	append(&want, "bind 0 /usr /usr\n");
	static const char *const merged[] = { "/bin", "/sbin", "/lib", "/lib64", "/lib32" };
	for (size_t i = 0; i < 5; i++) {
		struct stat st;
		char target[PATH_MAX];
		if (lstat(merged[i], &st) < 0)
			continue;
		if (S_ISLNK(st.st_mode)) {
			ssize_t n = readlink(merged[i], target, sizeof(target) - 1);
			if (n <= 0)
				continue;
			target[n] = '\0';
			append(&want, "symlink 0 %s %s\n", target, merged[i]);
		} else if (S_ISDIR(st.st_mode)) {
			append(&want, "bind 0 %s %s\n", merged[i], merged[i]);
		}
	}
	/* Those present: regular files copied, symlinks into /usr kept,
	 * directories bound. */
	for (size_t i = 0; i < sizeof(etc_allowed) / sizeof(*etc_allowed); i++) {
		const char *p = etc_allowed[i];
		struct stat st;
		char real[PATH_MAX];
		if (lstat(p, &st) < 0)
			continue;
		if (S_ISLNK(st.st_mode)) {
			if (!realpath(p, real) || stat(real, &st) < 0)
				continue;
			if (strncmp(real, "/usr/", 5) == 0 &&
			    (S_ISREG(st.st_mode) || S_ISDIR(st.st_mode))) {
				append(&want, "symlink 0 %s %s\n", real, p);
				continue;
			}
		}
		char *tree = NULL;
		size_t n = 0;
		if (S_ISDIR(st.st_mode) && expect_small(&tree, &n, p, 1)) {
			append(&want, "dir 0 - %s\n%s", p, tree ? tree : "");
		} else if (!S_ISREG(st.st_mode))
			append(&want, "bind %u %s %s\n", CCSB_BIND_TRY | CCSB_MOUNT_ETC, p, p);
		else if (access(p, R_OK) == 0) /* one we cannot read is left out */
			append(&want, "file 0 %s %s\n", p, p);
		free(tree);
	}
	append(&want, "file 0 - /etc/passwd\nfile 0 - /etc/group\nfile 0 - /etc/hosts\n"
		      "file 0 - /etc/hostname\nproc 0 - /proc\ndev 0 - /dev\ntmpfs 0 - /tmp\n"
		      "tmpfs 0 - /home/claude\n");

	ccsb_sandbox *sb = mk();
	SUCCEEDS(ccsb_sandbox_apply_defaults(sb, 0, &e), "apply_defaults(0)");
	char *got = describe_mounts(sb, 0);
	is_str(got, want, "default mounts match the host");
	free(got);
	free(want);

	const struct ccsb_mount *m = find_mount(sb, "/usr");
	ok(m && m->kind == CCSB_M_BIND && m->flags == CCSB_BIND_RO, "/usr is bound read-only");
	bool all_ro = true;
	for (size_t i = 0; i < sb->nmounts; i++) {
		m = &sb->mounts[i];
		if (m->kind == CCSB_M_BIND &&
		    (m->flags & ~(unsigned)(CCSB_BIND_TRY | CCSB_MOUNT_ETC)) != CCSB_BIND_RO)
			all_ro = false;
	}
	ok(all_ro, "every default bind is read-only");

	char passwd[512];
	snprintf(passwd, sizeof(passwd),
		 "root:x:0:0:root:/root:/usr/sbin/nologin\n"
		 "claude:x:1000:1000:claude:/home/claude:%s\n"
		 "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n",
		 shell);
	m = find_mount(sb, "/etc/passwd");
	is_str(m && m->kind == CCSB_M_FILE ? m->data : NULL, passwd, "/etc/passwd content");
	is_int(m ? m->len : 0, strlen(passwd), "/etc/passwd length");
	m = find_mount(sb, "/etc/group");
	is_str(m && m->kind == CCSB_M_FILE ? m->data : NULL,
	       "root:x:0:\nclaude:x:1000:\nnogroup:x:65534:\n", "/etc/group content");
	m = find_mount(sb, "/etc/hosts");
	is_str(m && m->kind == CCSB_M_FILE ? m->data : NULL,
	       "127.0.0.1\tlocalhost\n127.0.1.1\tccsb\n::1\tlocalhost ip6-localhost ip6-loopback\n",
	       "/etc/hosts content");
	m = find_mount(sb, "/etc/hostname");
	is_str(m && m->kind == CCSB_M_FILE ? m->data : NULL, "ccsb\n", "/etc/hostname content");
	ok(m && !m->src && m->perms == 0, "/etc/hostname: data, mode 0600");
	/* A host file is copied when the sandbox starts, with its mode. */
	struct stat nss;
	m = find_mount(sb, "/etc/nsswitch.conf");
	if (lstat("/etc/nsswitch.conf", &nss) == 0 && S_ISREG(nss.st_mode))
		ok(m && m->kind == CCSB_M_FILE && m->src &&
			   strcmp(m->src, "/etc/nsswitch.conf") == 0 && !m->data &&
			   m->perms == (nss.st_mode & 0777),
		   "/etc/nsswitch.conf: a copy of the host's, its mode kept");
	else
		ok(!m, "/etc/nsswitch.conf: absent on the host, absent inside");
	ok(find_mount(sb, "/proc") && find_mount(sb, "/proc")->kind == CCSB_M_PROC,
	   "/proc is a proc");
	ok(find_mount(sb, "/dev") && find_mount(sb, "/dev")->kind == CCSB_M_DEV, "/dev is a dev");
	ok(find_mount(sb, "/tmp") && find_mount(sb, "/tmp")->kind == CCSB_M_TMPFS,
	   "/tmp is a tmpfs");
	ok(find_mount(sb, "/home/claude") && find_mount(sb, "/home/claude")->kind == CCSB_M_TMPFS,
	   "home is a tmpfs");
	is_str(sb->cwd, "/", "cwd untouched without CCSB_DEFAULTS_CWD");
	is_str(sb->hostname, "ccsb", "hostname ccsb");

	/* Nothing private from the host. */
	struct passwd *pw = getpwuid(getuid());
	const char *forbidden[] = { "/root",
				    "/run",
				    "/var",
				    "/media",
				    "/mnt",
				    "/srv",
				    "/sys",
				    "/home",
				    "/etc/shadow",
				    "/etc/gshadow",
				    "/etc/ssh",
				    "/etc/sudoers",
				    "/etc/machine-id",
				    "/boot",
				    pw ? pw->pw_dir : "/root" };
	bool clean = true, etc_ok = true;
	for (size_t i = 0; i < sb->nmounts; i++) {
		m = &sb->mounts[i];
		for (size_t f = 0; f < sizeof(forbidden) / sizeof(*forbidden); f++) {
			bool home_tmpfs =
				m->kind == CCSB_M_TMPFS && strcmp(m->dest, "/home/claude") == 0;
			if ((under(m->dest, forbidden[f]) && !home_tmpfs &&
			     !under(m->dest, "/run/ccsb")) ||
			    (m->kind == CCSB_M_BIND && under(m->src, forbidden[f]))) {
				diag("private path exposed: %s %s", m->src ? m->src : "", m->dest);
				clean = false;
			}
		}
		if (under(m->dest, "/etc")) {
			bool listed = strcmp(m->dest, "/etc/passwd") == 0 ||
				      strcmp(m->dest, "/etc/group") == 0 ||
				      strcmp(m->dest, "/etc/hosts") == 0 ||
				      strcmp(m->dest, "/etc/hostname") == 0;
			/* Or inside one: a small directory rebuilt entry by
			 * entry, each a copy of the same host path. */
			for (size_t k = 0;
			     !listed && k < sizeof(etc_allowed) / sizeof(*etc_allowed); k++)
				listed = under(m->dest, etc_allowed[k]) &&
					 (m->kind != CCSB_M_FILE || !m->src ||
					  strcmp(m->src, m->dest) == 0);
			if (!listed) {
				diag("unexpected /etc entry: %s", m->dest);
				etc_ok = false;
			}
		}
	}
	ok(clean,
	   "no mount under /root, /run, /var, /media, /mnt, /srv, /sys, /home or the host home");
	ok(etc_ok, "every /etc entry is in the allowed set");

	/* The environment, exactly. */
	char envwant[512];
	snprintf(envwant, sizeof(envwant),
		 "SHELL=%s\nHOME=/home/claude\nUSER=claude\nLOGNAME=claude\n"
		 "PATH=/usr/local/bin:/usr/bin:/bin:/usr/local/sbin:/usr/sbin:/sbin",
		 shell);
	env_is(sb, NULL, envwant, "default environment (sets)");
	char *envnames = NULL;
	for (size_t i = 0; i < sb->nenv; i++)
		append(&envnames, "%s%s%s", i ? " " : "", sb->env[i].name,
		       sb->env[i].value ? "=" : "");
	is_str(envnames,
	       "SHELL= HOME= USER= LOGNAME= PATH= TERM COLORTERM LANG LANGUAGE LC_* TZ NO_COLOR",
	       "default environment: sets then passes, in this order");
	free(envnames);
	char *const host[] = { "TERM=xterm",	   "LC_ALL=C",	 "HOME=/root", "PATH=/x",
			       "SSH_AUTH_SOCK=/s", "NO_COLOR=1", NULL };
	char *envlist = NULL;
	char **v = NULL;
	ccsb__env_build(sb, host, &v);
	for (size_t i = 0; v && v[i]; i++)
		append(&envlist, "%s%s", i ? "\n" : "", v[i]);
	char envwant2[1024];
	snprintf(envwant2, sizeof(envwant2), "%s\nTERM=xterm\nLC_ALL=C\nNO_COLOR=1", envwant);
	is_str(envlist, envwant2, "host HOME/PATH do not leak; TERM, LC_*, NO_COLOR pass");
	free(envlist);
	ccsb__strv_free(v);

	setenv("LC_CCSBTEST", "l0cale-s3cr3t", 1);
	char *const cmd[] = { "bash", NULL };
	char **argv = NULL;
	SUCCEEDS(ccsb_sandbox_build_argv(sb, cmd, &argv, &e), "defaults: argv");
	ok(!strv_has_substr(argv, "l0cale-s3cr3t"), "defaults: a host value is not in the argv");
	ok(!strv_has_substr(argv, "nobody:x:65534"), "defaults: passwd data is not in the argv");
	ccsb_argv_free(argv);
	char *sh = NULL;
	SUCCEEDS(ccsb_sandbox_format_shell(sb, cmd, &sh, &e), "defaults: format_shell");
	ok(sh && !strstr(sh, "l0cale-s3cr3t"), "defaults: a host value is not in --print");
	free(sh);
	unsetenv("LC_CCSBTEST");
	ccsb_sandbox_free(sb);

	/* Identity and host name feed the synthesized files. */
	sb = mk();
	SUCCEEDS(ccsb_sandbox_set_identity(sb, 0, 0, "me", "/home/me", &e), "identity 0/0 me");
	SUCCEEDS(ccsb_sandbox_set_hostname(sb, "box", &e), "hostname box");
	SUCCEEDS(ccsb_sandbox_apply_defaults(sb, 0, &e), "apply_defaults as root");
	snprintf(
		passwd, sizeof(passwd),
		"me:x:0:0:me:/home/me:%s\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n",
		shell);
	m = find_mount(sb, "/etc/passwd");
	is_str(m ? m->data : NULL, passwd, "uid 0: no separate root line");
	m = find_mount(sb, "/etc/group");
	is_str(m ? m->data : NULL, "me:x:0:\nnogroup:x:65534:\n", "gid 0: no separate root group");
	m = find_mount(sb, "/etc/hosts");
	is_str(m ? m->data : NULL,
	       "127.0.0.1\tlocalhost\n127.0.1.1\tbox\n::1\tlocalhost ip6-localhost ip6-loopback\n",
	       "hosts names the host name");
	m = find_mount(sb, "/etc/hostname");
	is_str(m ? m->data : NULL, "box\n", "hostname file");
	ok(find_mount(sb, "/home/me") && find_mount(sb, "/home/me")->kind == CCSB_M_TMPFS,
	   "the tmpfs home follows the identity");
	snprintf(passwd, sizeof(passwd),
		 "SHELL=%s\nHOME=/home/me\nUSER=me\nLOGNAME=me\n"
		 "PATH=/usr/local/bin:/usr/bin:/bin:/usr/local/sbin:/usr/sbin:/sbin",
		 shell);
	env_is(sb, NULL, passwd, "HOME, USER and LOGNAME follow the identity");
	ccsb_sandbox_free(sb);

	sb = mk();
	SUCCEEDS(ccsb_sandbox_set_identity(sb, 65534, 65534, NULL, NULL, &e), "identity nobody");
	SUCCEEDS(ccsb_sandbox_apply_defaults(sb, 0, &e), "apply_defaults as 65534");
	snprintf(passwd, sizeof(passwd),
		 "root:x:0:0:root:/root:/usr/sbin/nologin\n"
		 "claude:x:65534:65534:claude:/home/claude:%s\n",
		 shell);
	m = find_mount(sb, "/etc/passwd");
	is_str(m ? m->data : NULL, passwd, "uid 65534: no separate nobody line");
	m = find_mount(sb, "/etc/group");
	is_str(m ? m->data : NULL, "root:x:0:\nclaude:x:65534:\n", "gid 65534: no nogroup line");
	ccsb_sandbox_free(sb);

	sb = mk();
	FAILS(ccsb_sandbox_apply_defaults(sb, 4, &e), EINVAL, "unknown defaults flags 0x4",
	      "apply_defaults: unknown flag");
	is_int(sb->nmounts, 0, "unknown flag: nothing applied");
	ccsb_sandbox_free(sb);
}

static mode_t mode_of(const char *p)
{
	struct stat st;
	return lstat(p, &st) < 0 ? (mode_t)-1 : st.st_mode;
}

static void test_defaults_claude_state(void)
{
	char *saved_home = getenv("HOME") ? strdup(getenv("HOME")) : NULL;
	mode_t saved_umask = umask(022);
	char dir[] = "/tmp/ccsb-test-home-XXXXXX";
	if (!mkdtemp(dir))
		bail_out("cannot make a temporary directory");
	char real[PATH_MAX];
	if (!realpath(dir, real))
		bail_out("realpath");
	char p[PATH_MAX + 64];
	setenv("HOME", real, 1);
	/* The defaults of the XDG directories are what is checked. */
	unsetenv("XDG_CACHE_HOME");
	unsetenv("XDG_DATA_HOME");
	unsetenv("XDG_RUNTIME_DIR");

	ccsb_sandbox *sb = mk();
	SUCCEEDS(ccsb_sandbox_apply_defaults(sb, CCSB_DEFAULTS_CLAUDE_STATE, &e),
		 "claude state in an empty home");
	snprintf(p, sizeof(p), "%s/.claude", real);
	is_int(mode_of(p), S_IFDIR | 0700, ".claude/ created, mode 0700");
	snprintf(p, sizeof(p), "%s/.cache/ccsb/npm", real);
	is_int(mode_of(p), S_IFDIR | 0700, "the sandbox's npm cache created, mode 0700");
	snprintf(p, sizeof(p), "%s/.npm", real);
	is_int(mode_of(p), (mode_t)-1, "no ~/.npm created: the host's npm cache is never shared");
	snprintf(p, sizeof(p), "%s/.claude.json", real);
	is_int(mode_of(p), S_IFREG | 0600, ".claude.json created, mode 0600");
	char *c = read_file(p, NULL);
	is_str(c, "{}\n", ".claude.json holds {}");
	free(c);
	/* The state binds come last among the mounts, after the tmpfs home:
	 * private copies, Claude Code's data read-write, the npm cache. */
	const struct ccsb_mount *pm = find_mount(sb, "/home/claude/.claude.json");
	char priv[PATH_MAX] = "";
	if (pm && strlen(pm->src) > 12)
		snprintf(priv, sizeof(priv), "%.*s", (int)(strlen(pm->src) - 12), pm->src);
	ok(pm && strstr(pm->src, "/.cache/ccsb/state-") &&
		   strcmp(pm->src + strlen(priv), "/claude.json") == 0,
	   ".claude.json is a private copy under ~/.cache/ccsb (no XDG_RUNTIME_DIR): %s",
	   pm ? pm->src : "none");
	char *want = NULL;
	append(&want, "tmpfs 0 - /home/claude\n");
	append(&want, "bind 5 %s/claude.json /home/claude/.claude.json\n", priv);
	append(&want, "bind 5 %s/settings.json /home/claude/.claude/settings.json\n", priv);
	/* Per project (the project is "/" here: Claude Code's key "-"). */
	append(&want, "bind 1 %s/.claude/projects/- /home/claude/.claude/projects/-\n", real);
	static const char *const rw[] = { "todos", "file-history", "plans", "tasks" };
	for (size_t i = 0; i < 4; i++)
		append(&want, "symlink 0 .ccsb-project/%s /home/claude/.claude/%s\n", rw[i], rw[i]);
	append(&want, "bind 1 %s/.local/share/ccsb/claude/- /home/claude/.claude/.ccsb-project\n",
	       real);
	append(&want,
	       "bind 1 %s/.local/share/ccsb/claude/-/history.jsonl "
	       "/home/claude/.claude/history.jsonl\n",
	       real);
	append(&want,
	       "bind 1 %s/.claude/.credentials.json /home/claude/.claude/.credentials.json\n",
	       real);
	append(&want, "bind 1 %s/.cache/ccsb/npm /home/claude/.npm\n", real);
	char *got = describe_mounts(sb, sb->nmounts - 12);
	is_str(got, want, "state bound at the sandbox home");
	free(got);
	free(want);
	ccsb_sandbox_free(sb);

	/* What the host's Claude Code runs or obeys is read-only; pid-keyed
	 * and session-local state is private (not bound at all). */
	static const char *const ro[] = { "CLAUDE.md", "agents",  "commands", "hooks",
					  "local",     "plugins", "skills",   "statusline.sh" };
	for (size_t i = 0; i < 8; i++) {
		snprintf(p, sizeof(p), "%s/.claude/%s", real, ro[i]);
		if (strchr(ro[i], '.'))
			write_file(p, "x", 0644);
		else if (mkdir(p, 0700) < 0)
			bail_out("mkdir");
	}
	static const char *const priv_entries[] = { "sessions", "ide", "shell-snapshots",
						    "session-env", "backups" };
	for (size_t i = 0; i < 5; i++) {
		snprintf(p, sizeof(p), "%s/.claude/%s", real, priv_entries[i]);
		if (mkdir(p, 0700) < 0)
			bail_out("mkdir");
	}
	snprintf(p, sizeof(p), "%s/.claude/settings.local.json", real);
	write_file(p, "{}", 0600);
	snprintf(p, sizeof(p), "%s/.claude/evil-link", real);
	if (symlink("/etc/shadow", p) < 0)
		bail_out("symlink");
	sb = mk();
	SUCCEEDS(ccsb_sandbox_apply_defaults(sb, CCSB_DEFAULTS_CLAUDE_STATE, &e),
		 "a full ~/.claude");
	for (size_t i = 0; i < 8; i++) {
		char d[PATH_MAX];
		snprintf(d, sizeof(d), "/home/claude/.claude/%s", ro[i]);
		const struct ccsb_mount *m = find_mount(sb, d);
		ok(m && m->kind == CCSB_M_BIND && m->flags == CCSB_BIND_RO, "%s is read-only",
		   ro[i]);
	}
	for (size_t i = 0; i < 5; i++) {
		char d[PATH_MAX];
		snprintf(d, sizeof(d), "/home/claude/.claude/%s", priv_entries[i]);
		ok(!find_mount(sb, d), "%s is the sandbox's own", priv_entries[i]);
	}
	pm = find_mount(sb, "/home/claude/.claude/settings.local.json");
	ok(pm && pm->flags == (CCSB_BIND_RW | CCSB_BIND_TRY) &&
		   strstr(pm->src, "/.cache/ccsb/state-"),
	   "settings.local.json: a private copy");
	pm = find_mount(sb, "/home/claude/.claude/evil-link");
	ok(pm && pm->kind == CCSB_M_SYMLINK && strcmp(pm->src, "/etc/shadow") == 0,
	   "a symlink is recreated inside, not followed on the host");
	ccsb_sandbox_free(sb);
	rm_rf(real);
	if (mkdir(real, 0700) < 0)
		bail_out("mkdir");
	snprintf(p, sizeof(p), "%s/.claude", real);
	if (mkdir(p, 0700) < 0)
		bail_out("mkdir");

	/* Existing state is left alone. */
	snprintf(p, sizeof(p), "%s/.claude.json", real);
	write_file(p, "{\"x\":1}", 0644);
	chmod(p, 0644);
	snprintf(p, sizeof(p), "%s/.claude", real);
	chmod(p, 0755);
	sb = mk();
	SUCCEEDS(ccsb_sandbox_set_identity(sb, (uid_t)-1, (gid_t)-1, NULL, "/home/x", &e),
		 "home /home/x");
	SUCCEEDS(ccsb_sandbox_apply_defaults(sb, CCSB_DEFAULTS_CLAUDE_STATE, &e), "existing state");
	snprintf(p, sizeof(p), "%s/.claude.json", real);
	c = read_file(p, NULL);
	is_str(c, "{\"x\":1}", "an existing .claude.json is not rewritten");
	free(c);
	is_int(mode_of(p), S_IFREG | 0644, "nor its mode changed");
	snprintf(p, sizeof(p), "%s/.claude", real);
	is_int(mode_of(p), S_IFDIR | 0755, "an existing .claude/ keeps its mode");
	const struct ccsb_mount *m = find_mount(sb, "/home/x/.claude.json");
	ok(m && m->kind == CCSB_M_BIND && (m->flags & CCSB_BIND_RW),
	   "binds follow the sandbox home");
	m = find_mount(sb, "/home/x/.npm");
	ok(m && m->kind == CCSB_M_BIND && m->flags == CCSB_BIND_RW, "npm cache too");
	ccsb_sandbox_free(sb);
	rm_rf(real);

	/* A symlink at .claude.json is neither followed nor replaced. */
	if (mkdir(real, 0700) < 0)
		bail_out("mkdir");
	char target[PATH_MAX + 32];
	snprintf(target, sizeof(target), "%s/target", real);
	snprintf(p, sizeof(p), "%s/.claude.json", real);
	if (symlink(target, p) < 0)
		bail_out("symlink");
	sb = mk();
	SUCCEEDS(ccsb_sandbox_apply_defaults(sb, CCSB_DEFAULTS_CLAUDE_STATE, &e),
		 "dangling symlink");
	is_int(mode_of(target), (mode_t)-1, "dangling symlink: its target is not created");
	ok(S_ISLNK(mode_of(p)), "dangling symlink: still a symlink");
	ccsb_sandbox_free(sb);
	write_file(target, "orig", 0644);
	sb = mk();
	SUCCEEDS(ccsb_sandbox_apply_defaults(sb, CCSB_DEFAULTS_CLAUDE_STATE, &e),
		 "symlink to a file");
	c = read_file(target, NULL);
	is_str(c, "orig", "symlink: its target is not written");
	free(c);
	ok(S_ISLNK(mode_of(p)), "symlink: still a symlink");
	ccsb_sandbox_free(sb);
	rm_rf(real);

	/* A home that cannot hold the state. */
	setenv("HOME", "/nonexistent-ccsb-test", 1);
	sb = mk();
	FAILS(ccsb_sandbox_apply_defaults(sb, CCSB_DEFAULTS_CLAUDE_STATE, &e), ENOENT,
	      "cannot create /nonexistent-ccsb-test/.claude: No such file or directory",
	      "missing home");
	ccsb_sandbox_free(sb);

	if (saved_home) {
		setenv("HOME", saved_home, 1);
		free(saved_home);
	} else {
		unsetenv("HOME");
	}
	umask(saved_umask);
}

static void test_defaults_cwd(void)
{
	char *saved_home = getenv("HOME") ? strdup(getenv("HOME")) : NULL;
	char saved_cwd[PATH_MAX];
	if (!getcwd(saved_cwd, sizeof(saved_cwd)))
		bail_out("getcwd");
	char dir[] = "/tmp/ccsb-test-cwd-XXXXXX";
	if (!mkdtemp(dir))
		bail_out("cannot make a temporary directory");
	char top[PATH_MAX], home[PATH_MAX + 8], sub[PATH_MAX + 16], sibling[PATH_MAX + 16];
	if (!realpath(dir, top))
		bail_out("realpath");
	snprintf(home, sizeof(home), "%s/h", top);
	snprintf(sub, sizeof(sub), "%s/h/proj", top);
	snprintf(sibling, sizeof(sibling), "%s/hh", top);
	if (mkdir(home, 0700) < 0 || mkdir(sub, 0700) < 0 || mkdir(sibling, 0700) < 0)
		bail_out("mkdir");
	setenv("HOME", home, 1);
	char msg[4 * PATH_MAX];

	ccsb_sandbox *sb = mk();
	if (chdir("/") < 0)
		bail_out("chdir");
	FAILS(ccsb_sandbox_apply_defaults(sb, CCSB_DEFAULTS_CWD, &e), EPERM,
	      "refusing to share / read-write: run ccsb from a project directory", "cwd /");
	ccsb_sandbox_free(sb);

	sb = mk();
	if (chdir(home) < 0)
		bail_out("chdir");
	snprintf(msg, sizeof(msg),
		 "refusing to share %s read-write: it holds your whole home directory; run ccsb "
		 "from a project directory, or pass --rw=%s if you really mean it",
		 home, home);
	FAILS(ccsb_sandbox_apply_defaults(sb, CCSB_DEFAULTS_CWD, &e), EPERM, msg, "cwd = home");
	ok(strstr(msg, "refusing") != NULL, "the message says 'refusing'");
	ccsb_sandbox_free(sb);

	sb = mk();
	if (chdir(top) < 0)
		bail_out("chdir");
	snprintf(msg, sizeof(msg),
		 "refusing to share %s read-write: it holds your whole home directory; run ccsb "
		 "from a project directory, or pass --rw=%s if you really mean it",
		 top, top);
	FAILS(ccsb_sandbox_apply_defaults(sb, CCSB_DEFAULTS_CWD, &e), EPERM, msg, "cwd above home");
	ccsb_sandbox_free(sb);

	FAILS(ccsb__check_shared_dir("/", &e), EPERM,
	      "refusing to share / read-write: run ccsb from a project directory", "check: /");
	SUCCEEDS(ccsb__check_shared_dir(sibling, &e),
		 "check: a sibling sharing a name prefix is fine");
	SUCCEEDS(ccsb__check_shared_dir("/usr", &e), "check: an unrelated directory is fine");
	is_int(ccsb__check_shared_dir("/", NULL), -EPERM, "check: err NULL");

	/* HOME given through a symlink is compared by its real path. */
	char link[PATH_MAX + 16];
	snprintf(link, sizeof(link), "%s/homelink", top);
	if (symlink(home, link) == 0) {
		setenv("HOME", link, 1);
		is_int(ccsb__check_shared_dir(home, NULL), -EPERM, "check: HOME through a symlink");
		setenv("HOME", home, 1);
	} else {
		skip(1, "cannot make a symlink");
	}

	sb = mk();
	if (chdir(sub) < 0)
		bail_out("chdir");
	SUCCEEDS(ccsb_sandbox_apply_defaults(sb, CCSB_DEFAULTS_CWD, &e), "cwd below home");
	is_str(sb->cwd, sub, "the working directory is set");
	const struct ccsb_mount *m = find_mount(sb, sub);
	ok(m && m->kind == CCSB_M_BIND && m->flags == CCSB_BIND_RW && strcmp(m->src, sub) == 0,
	   "the current directory is bound read-write at the same path");
	ok(m && m > find_mount(sb, "/home/claude") && m > find_mount(sb, "/tmp"),
	   "after the tmpfs mounts");
	char *const cmd[] = { "true", NULL };
	char **argv = NULL;
	SUCCEEDS(ccsb_sandbox_build_argv(sb, cmd, &argv, &e), "cwd: argv");
	char *got = argv ? join(argv, "\n") : NULL;
	char w[4 * PATH_MAX + 128];
	snprintf(
		w, sizeof(w),
		"\n--bind\n%s\n%s\n--ro-bind\n/x/ccsb-exec\n/run/ccsb/exec\n--remount-ro\n/\n--chdir\n%s\n--\n",
		sub, sub, sub);
	ok(got && strstr(got, w), "argv binds and enters the current directory");
	free(got);
	ccsb_argv_free(argv);
	ccsb_sandbox_free(sb);

	sb = mk();
	if (chdir(sibling) < 0)
		bail_out("chdir");
	SUCCEEDS(
		ccsb_sandbox_apply_defaults(sb, CCSB_DEFAULTS_CWD | CCSB_DEFAULTS_CLAUDE_STATE, &e),
		"cwd next to home, with claude state");
	char *want = NULL;
	append(&want, "tmpfs 0 - /home/claude\n");
	append(&want, "bind 1 %s %s\n", sibling, sibling);
	got = describe_mounts(sb, (size_t)(find_mount(sb, "/home/claude") - sb->mounts));
	if (strlen(got) > strlen(want))
		got[strlen(want)] = '\0';
	is_str(got, want, "cwd bind comes before the claude state");
	free(got);
	free(want);
	ccsb_sandbox_free(sb);

	if (chdir(saved_cwd) < 0)
		bail_out("chdir back");
	if (saved_home) {
		setenv("HOME", saved_home, 1);
		free(saved_home);
	} else {
		unsetenv("HOME");
	}
	rm_rf(top);
}

/* ccsb_sandbox_add_program() never binds the home, a whole directory of
 * it, a directory the sandbox can write, or a directory named by #!. */
static void test_add_program(void)
{
	char *saved_home = getenv("HOME") ? strdup(getenv("HOME")) : NULL;
	/* Where the program is looked up: the search path, not $PATH. */
	char search[PATH_MAX + 64];
	char saved_cwd[PATH_MAX], dir[] = "/tmp/ccsb-test-prog-XXXXXX", real[PATH_MAX];
	char p[PATH_MAX + 64], q[PATH_MAX + 128];
	if (!getcwd(saved_cwd, sizeof(saved_cwd)) || !mkdtemp(dir) || !realpath(dir, real) ||
	    chdir("/") < 0)
		bail_out("setup");
	static const char *const dirs[] = { "home", "home/bin", "home/.local", "home/.local/bin",
					    "opt",  "opt/tool", "opt/bad" };
	for (size_t i = 0; i < 7; i++) {
		snprintf(p, sizeof(p), "%s/%s", real, dirs[i]);
		if (mkdir(p, 0755) < 0)
			bail_out("mkdir");
	}
	static const char *const progs[] = { "home/bin/prog", "home/.local/bin/prog",
					     "opt/tool/prog" };
	for (size_t i = 0; i < 3; i++) {
		snprintf(p, sizeof(p), "%s/%s", real, progs[i]);
		write_file(p, "#!/bin/sh\n", 0755);
	}
	snprintf(p, sizeof(p), "%s/opt/bad/prog", real);
	snprintf(q, sizeof(q), "#!%s/home\n", real);
	write_file(p, q, 0755);
	snprintf(p, sizeof(p), "%s/home", real);
	setenv("HOME", p, 1);
	char **argv = NULL;
	char *const cmd[] = { "prog", NULL };
	ccsb_error *er = NULL;

	snprintf(p, sizeof(p), "%s/opt/tool", real);
	snprintf(search, sizeof(search), "%s", p);
	ccsb_sandbox *sb = mk();
	ccsb_sandbox_set_search_path(sb, search, NULL);
	SUCCEEDS(ccsb_sandbox_add_program(sb, "prog", NULL, &e), "a program in its own directory");
	const struct ccsb_mount *m = find_mount(sb, p);
	ok(m && m->kind == CCSB_M_BIND && !(m->flags & CCSB_BIND_RW),
	   "its directory bound read-only");
	snprintf(q, sizeof(q), "%s/opt", real);
	SUCCEEDS(ccsb_sandbox_add_bind(sb, q, NULL, CCSB_BIND_RW, &e),
		 "then a read-write bind above it");
	is_int(ccsb_sandbox_build_argv(sb, cmd, &argv, &er), -EPERM,
	       "a read-write bind added afterwards over the program: the plan is refused");
	ok(er && strstr(ccsb_error_message(er), "holds a program"), "... saying why: %s",
	   er ? ccsb_error_message(er) : "");
	ccsb_error_free(er);
	er = NULL;
	ccsb_sandbox_free(sb);

	sb = mk();
	ccsb_sandbox_set_search_path(sb, search, NULL);
	SUCCEEDS(ccsb_sandbox_add_bind(sb, p, NULL, CCSB_BIND_RW, &e), "a read-write bind first");
	is_int(ccsb_sandbox_add_program(sb, "prog", NULL, &er), -EPERM,
	       "a program the sandbox could rewrite is refused");
	ok(er && strstr(ccsb_error_message(er), "which the sandbox can write"),
	   "... saying why: %s", er ? ccsb_error_message(er) : "");
	ccsb_error_free(er);
	er = NULL;
	ccsb_sandbox_free(sb);

	snprintf(p, sizeof(p), "%s/opt/bad", real);
	snprintf(search, sizeof(search), "%s", p);
	sb = mk();
	ccsb_sandbox_set_search_path(sb, search, NULL);
	is_int(ccsb_sandbox_add_program(sb, "prog", NULL, &er), -EPERM,
	       "#! naming a directory: refused");
	ok(er && strstr(ccsb_error_message(er), "not a regular file"), "... saying why: %s",
	   er ? ccsb_error_message(er) : "");
	snprintf(q, sizeof(q), "%s/home", real);
	ok(!find_mount(sb, q) && !find_mount(sb, real),
	   "... and neither the home nor its parent bound");
	ccsb_error_free(er);
	er = NULL;
	ccsb_sandbox_free(sb);

	static const char *const wide[] = { "home/bin", "home/.local/bin" };
	for (size_t i = 0; i < 2; i++) {
		snprintf(p, sizeof(p), "%s/%s", real, wide[i]);
		snprintf(search, sizeof(search), "%s", p);
		sb = mk();
		ccsb_sandbox_set_search_path(sb, search, NULL);
		is_int(ccsb_sandbox_add_program(sb, "prog", NULL, &er), -EPERM,
		       "~/%s/prog: refused", wide[i] + 5);
		snprintf(q, sizeof(q), "--ro=%s", p);
		ok(er && strstr(ccsb_error_message(er), q), "... naming %s: %s", q,
		   er ? ccsb_error_message(er) : "");
		is_int(sb->nmounts, 0, "... and nothing bound");
		ccsb_error_free(er);
		er = NULL;
		SUCCEEDS(ccsb_sandbox_add_bind(sb, p, NULL, CCSB_BIND_RO, &e),
			 "--ro of its directory");
		SUCCEEDS(ccsb_sandbox_add_program(sb, "prog", NULL, &e), "... then it is visible");
		ccsb_sandbox_free(sb);
	}

	rm_rf(real);
	if (chdir(saved_cwd) < 0)
		bail_out("chdir back");
	if (saved_home)
		setenv("HOME", saved_home, 1);
	free(saved_home);
}

/* A data file or a host file's copy is written into bwrap's root tmpfs
 * (--file, made read-only by the final --remount-ro /) only where no mount
 * of the run is at or above it; elsewhere --file would write through a
 * bind into the host's directory or leave it writable in a tmpfs, so it is
 * bound (--ro-bind-data). */
static void test_file_placement(void)
{
	char *cmd_true[] = { "true", NULL };
	ccsb_sandbox *sb = mk();
	sb->seccomp = false;
	SUCCEEDS(ccsb_sandbox_add_bind(sb, "/host/proj", "/proj", CCSB_BIND_RW, &e), "rw bind");
	SUCCEEDS(ccsb_sandbox_add_tmpfs(sb, "/home/claude", &e), "tmpfs");
	SUCCEEDS(ccsb_sandbox_add_symlink(sb, "usr/bin", "/bin", &e), "symlink");
	SUCCEEDS(ccsb_sandbox_add_dir(sb, "/etc/d", &e), "dir");
	SUCCEEDS(ccsb_sandbox_add_dir(sb, "/etc/d700", &e), "dir 0700");
	sb->mounts[sb->nmounts - 1].perms = 0700; /* as etc.c sets a host directory's mode */
	SUCCEEDS(ccsb_sandbox_add_file(sb, "/proj/.git/config.worktree", "", 0, &e),
		 "in a rw bind");
	SUCCEEDS(ccsb_sandbox_add_file(sb, "/home/claude/.gitconfig", S("x"), &e), "in a tmpfs");
	SUCCEEDS(ccsb_sandbox_add_file(sb, "/bin/x", S("x"), &e), "through a symlink");
	SUCCEEDS(ccsb_sandbox_add_file(sb, "/proj", S("x"), &e), "at a bind's own path");
	SUCCEEDS(ccsb_sandbox_add_file(sb, "/etc/d/f", S("x"), &e), "in a directory of the root");
	SUCCEEDS(ccsb__add_file_copy(sb, "/etc/hosts.allow", "/etc/hosts.allow", 0644, &e),
		 "a host file's copy");
	SUCCEEDS(ccsb__add_file_copy(sb, "/etc/motd", "/home/claude/motd", 0640, &e),
		 "a host file's copy in a tmpfs");
	/* Binds added for the run (the guard's) count too. */
	SUCCEEDS(ccsb_sandbox_add_file(sb, "/run/ccsb/exec", S("x"), &e), "at the helper");
	argv_is(sb, cmd_true,
		HEAD "--bind\n/host/proj\n/proj\n--tmpfs\n/home/claude\n--symlink\nusr/bin\n/bin\n"
		     "--dir\n/etc/d\n--perms\n0700\n--dir\n/etc/d700\n"
		     "--ro-bind-data\n6\n/proj/.git/config.worktree\n"
		     "--ro-bind-data\n7\n/home/claude/.gitconfig\n"
		     "--ro-bind-data\n8\n/bin/x\n"
		     "--ro-bind-data\n9\n/proj\n"
		     "--perms\n0600\n--file\n10\n/etc/d/f\n"
		     "--perms\n0644\n--file\n11\n/etc/hosts.allow\n"
		     "--perms\n0640\n--ro-bind-data\n12\n/home/claude/motd\n"
		     "--ro-bind-data\n13\n/run/ccsb/exec\n" TAIL "true",
		"files: copied into the root, bound elsewhere");
	const struct ccsb_mount *m = &sb->mounts[sb->nmounts - 3];
	ok(m->kind == CCSB_M_FILE && m->src && strcmp(m->src, "/etc/hosts.allow") == 0 && !m->data,
	   "a copy keeps its source, no data");

	/* --print reads the copies from the host files, as the run does. */
	char *out = NULL;
	SUCCEEDS(ccsb_sandbox_format_shell(sb, cmd_true, &out, &e), "format_shell");
	ok(out && strstr(out, " 11</etc/hosts.allow 12</etc/motd 13<<'CCSB_EOF_13'") != NULL,
	   "--print: copies are redirections from the host files");
	ok(out && !strstr(out, "CCSB_EOF_11") && !strstr(out, "CCSB_EOF_12"),
	   "--print: no here-document for a copy");
	free(out);
	ccsb_sandbox_free(sb);

	/* ccsb-exec: a symlink when it is in place, read-only, at its own
	 * path; bound otherwise. */
	struct {
		const char *desc;
		const char *mounts; /* "r SRC DEST" ro bind, "w" rw, "t" -try, "m" tmpfs */
		const char *want;
	} helper[] = {
		{ "under a read-only bind of the same path", "r /usr /usr", "--symlink" },
		{ "and a deeper one of the same path", "r /usr /usr r /usr/local /usr/local",
		  "--symlink" },
		{ "no bind over it", "r /opt /opt", "--ro-bind" },
		{ "a bind from elsewhere", "r /opt/h /usr/local", "--ro-bind" },
		{ "a -try bind (may be absent)", "t /usr /usr", "--ro-bind" },
		{ "a writable bind over it", "w /usr/local /usr/local r /usr /usr", "--ro-bind" },
		{ "a tmpfs over it", "r /usr /usr m /usr/local", "--ro-bind" },
	};
	for (size_t i = 0; i < sizeof(helper) / sizeof(*helper); i++) {
		sb = mk();
		SUCCEEDS(ccsb_sandbox_set_exec_helper(sb, "/usr/local/libexec/ccsb-exec", &e),
			 "helper");
		char spec[128], *save = NULL;
		snprintf(spec, sizeof(spec), "%s", helper[i].mounts);
		for (char *k = strtok_r(spec, " ", &save); k; k = strtok_r(NULL, " ", &save)) {
			if (*k == 'm') {
				SUCCEEDS(ccsb_sandbox_add_tmpfs(sb, strtok_r(NULL, " ", &save), &e),
					 "tmpfs");
				continue;
			}
			char *src = strtok_r(NULL, " ", &save), *dst = strtok_r(NULL, " ", &save);
			unsigned fl = *k == 'w'	  ? CCSB_BIND_RW
				      : *k == 't' ? CCSB_BIND_RO | CCSB_BIND_TRY
						  : CCSB_BIND_RO;
			SUCCEEDS(ccsb_sandbox_add_bind(sb, src, dst, fl, &e), "bind");
		}
		char **v = NULL;
		char w[128];
		snprintf(w, sizeof(w), "\n%s\n/usr/local/libexec/ccsb-exec\n/run/ccsb/exec\n",
			 helper[i].want);
		if (ccsb_sandbox_build_argv(sb, cmd_true, &v, NULL) == 0) {
			char *got = join(v, "\n");
			ok(strstr(got, w) != NULL, "exec helper %s: %s", helper[i].desc,
			   helper[i].want);
			free(got);
			ccsb_argv_free(v);
		} else {
			ok(false, "exec helper %s: builds", helper[i].desc);
		}
		ccsb_sandbox_free(sb);
	}
	sb = mk();
	FAILS(ccsb__add_file_copy(sb, "etc/x", "/etc/x", 0644, &e), EINVAL,
	      "bad host path 'etc/x': must be absolute, without '.' or '..'",
	      "relative source refused");
	ccsb_sandbox_free(sb);

	/* At run time: the host file's bytes, or an empty file once it is
	 * gone. */
	char dir[] = "/tmp/ccsb-t-copy.XXXXXX", path[64];
	if (!mkdtemp(dir))
		bail_out("mkdtemp");
	snprintf(path, sizeof(path), "%s/f", dir);
	FILE *f = fopen(path, "w");
	fputs("hello\n", f);
	fclose(f);
	struct ccsb_mount cm = { .kind = CCSB_M_FILE, .src = path, .dest = "/etc/f" };
	char buf[16] = "";
	int fd = ccsb__file_fd(&cm, NULL);
	ok(fd >= 0 && read(fd, buf, sizeof(buf) - 1) == 6 && strcmp(buf, "hello\n") == 0,
	   "file_fd: the host file's content");
	ok(fd >= 0 && (fcntl(fd, F_GETFD) & FD_CLOEXEC), "file_fd: close-on-exec");
	if (fd >= 0)
		close(fd);
	unlink(path);
	fd = ccsb__file_fd(&cm, NULL);
	ok(fd >= 0 && read(fd, buf, sizeof(buf)) == 0,
	   "file_fd: a vanished file gives an empty one");
	if (fd >= 0)
		close(fd);
	mkfifo(path, 0600);
	fd = ccsb__file_fd(&cm, NULL);
	ok(fd >= 0 && read(fd, buf, sizeof(buf)) == 0,
	   "file_fd: a FIFO in its place neither blocks nor is read");
	if (fd >= 0)
		close(fd);
	unlink(path);
	rmdir(dir);
}

int main(void)
{
	test_error_basics();
	test_new_defaults();
	test_argv_golden();
	test_file_placement();
	test_argv_secrets();
	test_plan_refuses_all();
	test_plan_refuses_pool_overlap();
	test_path_ok();
	test_mount_errors();
	test_cmd_errors();
	test_identity();
	test_env_names();
	test_env_build();
	test_argv_hardening();
	test_format_shell();
	test_format_shell_seccomp();
	test_seccomp_generated();
	test_format_shell_runs();
	test_defaults();
	test_defaults_claude_state();
	test_defaults_cwd();
	test_add_program();
	return done_testing();
}
