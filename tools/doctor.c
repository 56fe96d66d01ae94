/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "doctor.h"
#include "ports.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/filter.h>
#include <linux/nsfs.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ccsandbox.h"
#include "cli.h"
#include "config.h"
#include "hostenv.h"
#include "netdefaults.h"

#ifndef LANDLOCK_CREATE_RULESET_VERSION
#define LANDLOCK_CREATE_RULESET_VERSION (1U << 0)
#endif

enum level {
	OK,
	WARNING,
	FAILURE
};

static int failures;

/* One check: "LEVEL    what", then the fix, one step a line. */
static void say(enum level lv, const char *fix, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void say(enum level lv, const char *fix, const char *fmt, ...)
{
	static const char *const word[] = { "ok", "warning", "failure" };
	va_list ap;
	printf("%-8s ", word[lv]);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	for (const char *p = fix, *first = fix; p && *p;) {
		const char *nl = strchr(p, '\n');
		int n = nl ? (int)(nl - p) : (int)strlen(p);
		printf("         %s%.*s\n", p == first ? "fix: " : "     ", n, p);
		p = nl ? nl + 1 : p + n;
	}
	if (lv == FAILURE)
		failures++;
}

/* Run `argv` with standard input from /dev/null and both outputs captured
 * into `out` (truncated). Returns its exit status (128+N for signal N), -1
 * when it could not be started, -2 when it ran out of time and was killed. */
static int run_capture(char *const argv[], char *out, size_t len, int timeout_ms)
{
	int p[2];
	out[0] = '\0';
	if (pipe2(p, O_CLOEXEC) < 0)
		return -1;
	pid_t pid = fork();
	if (pid < 0) {
		close(p[0]);
		close(p[1]);
		return -1;
	}
	if (pid == 0) {
		int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
		if (null < 0 || dup2(null, 0) < 0 || dup2(p[1], 1) < 0 || dup2(p[1], 2) < 0)
			_exit(127);
		execv(argv[0], argv);
		dprintf(2, "cannot run %s: %s", argv[0], strerror(errno));
		_exit(127);
	}
	close(p[1]);
	size_t got = 0;
	bool timed_out = false;
	struct timespec t0, t;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		clock_gettime(CLOCK_MONOTONIC, &t);
		long spent = (t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000;
		struct pollfd pfd = { .fd = p[0], .events = POLLIN };
		int r = spent >= timeout_ms ? 0 : poll(&pfd, 1, (int)(timeout_ms - spent));
		if (r < 0 && errno == EINTR)
			continue;
		if (r == 0) {
			kill(pid, SIGKILL);
			timed_out = true;
			break;
		}
		char buf[512];
		ssize_t n = r < 0 ? -1 : read(p[0], buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		size_t k = (size_t)n < len - 1 - got ? (size_t)n : len - 1 - got;
		memcpy(out + got, buf, k);
		got += k;
		out[got] = '\0';
	}
	close(p[0]);
	int st;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -1;
	if (timed_out)
		return -2;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* The first line of `s`, without leading blanks, at most `max` bytes. */
static const char *first_line(char *s, size_t max)
{
	while (*s == ' ' || *s == '\n')
		s++;
	s[strcspn(s, "\n")] = '\0';
	if (strlen(s) > max)
		s[max] = '\0';
	return s;
}

/* Version "A.B.C" found in `s` as a comparable number, or -1. */
static long version_of(const char *s)
{
	for (; *s; s++) {
		unsigned a, b, c = 0;
		if (*s >= '0' && *s <= '9' && sscanf(s, "%u.%u.%u", &a, &b, &c) >= 2)
			return (long)a * 1000000 + b * 1000 + c;
	}
	return -1;
}

/* Run `fn` in a child process, so that what it changes (namespaces, seccomp
 * filters) stays there. Returns fn's result (0: success, else the number of
 * the step that failed) with that step's errno in *err; -1 when no child
 * could run. */
static int probe(int (*fn)(void), int *err)
{
	int p[2], res[2] = { -1, 0 };
	*err = 0;
	if (pipe2(p, O_CLOEXEC) < 0)
		return -1;
	fflush(stdout);
	pid_t pid = fork();
	if (pid < 0) {
		close(p[0]);
		close(p[1]);
		return -1;
	}
	if (pid == 0) {
		res[0] = fn();
		res[1] = res[0] ? errno : 0;
		_exit(write(p[1], res, sizeof(res)) == sizeof(res) ? 0 : 1);
	}
	close(p[1]);
	ssize_t n;
	do
		n = read(p[0], res, sizeof(res));
	while (n < 0 && errno == EINTR);
	close(p[0]);
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
	if (n != sizeof(res))
		return -1;
	*err = res[1];
	return res[0];
}

static int write_file(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = write(fd, s, strlen(s));
	int e = errno;
	close(fd);
	errno = e;
	return n == (ssize_t)strlen(s) ? 0 : -1;
}

static uid_t probe_uid;
static gid_t probe_gid;

/* What bwrap does first: a user namespace with our ids mapped to root. */
static int userns_steps(void)
{
	char map[64];
	if (unshare(CLONE_NEWUSER) < 0)
		return 1;
	if (write_file("/proc/self/setgroups", "deny") < 0 && errno != ENOENT)
		return 2;
	snprintf(map, sizeof(map), "0 %u 1", (unsigned)probe_uid);
	if (write_file("/proc/self/uid_map", map) < 0)
		return 3;
	snprintf(map, sizeof(map), "0 %u 1", (unsigned)probe_gid);
	if (write_file("/proc/self/gid_map", map) < 0)
		return 4;
	return 0;
}

static int seccomp_steps(void)
{
	struct sock_filter allow[] = { BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW) };
	struct sock_fprog prog = { .len = 1, .filter = allow };
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return 1;
	if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0) < 0)
		return 2;
	return 0;
}

static const char apparmor_fix[] =
	"allow user namespaces for bwrap only, with an AppArmor profile:\n"
	"sudo tee /etc/apparmor.d/bwrap <<'EOF'\n"
	"abi <abi/4.0>,\n"
	"include <tunables/global>\n"
	"\n"
	"profile bwrap %s flags=(unconfined) {\n"
	"  userns,\n"
	"\n"
	"  # Site-specific additions and overrides. See local/README for details.\n"
	"  include if exists <local/bwrap>\n"
	"}\n"
	"EOF\n"
	"sudo apparmor_parser -r /etc/apparmor.d/bwrap";

static const char install_bwrap[] = "sudo apt-get install bubblewrap    (Debian, Ubuntu)\n"
				    "sudo dnf install bubblewrap        (Fedora)";
static const char install_slirp[] = "sudo apt-get install slirp4netns   (Debian, Ubuntu)\n"
				    "sudo dnf install slirp4netns       (Fedora)";

/* Results that later checks' advice depends on. */
struct state {
	bool root;
	/* Where ccsb's environment puts the programs (hostenv_apply()); the
	 * library finds them. */
	ccsb_sandbox *sb;
	char bwrap[PATH_MAX];
	bool have_bwrap, bwrap_runs;
	char bwrap_err[512];
	/* What keeps user namespaces from working, as the library sees it,
	 * and its message (with the fix). */
	ccsb_userns_block block;
	char block_msg[512];
	int userns_step, userns_errno;
};

/* The helper `which` as the library finds it: 0 with its path in `out`, or
 * -1 with the library's message there. */
static int find_helper(const struct state *s, ccsb_helper which, char *out, size_t len)
{
	ccsb_error *e = NULL;
	char *p = NULL;
	int r = s->sb ? ccsb_sandbox_find_helper(s->sb, which, &p, &e) : -ENOMEM;
	snprintf(out, len, "%s", r == 0 ? p : e ? ccsb_error_message(e) : strerror(-r));
	free(p);
	ccsb_error_free(e);
	return r < 0 ? -1 : 0;
}

static void check_bwrap(struct state *s)
{
	const char *env = getenv("CCSB_BWRAP");
	const char *name = env && *env ? env : "bwrap";
	char out[512], fix[512];
	if (find_helper(s, CCSB_HELPER_BWRAP, s->bwrap, sizeof(s->bwrap)) < 0) {
		if (env && *env)
			snprintf(fix, sizeof(fix),
				 "point CCSB_BWRAP at bwrap, or unset it to use bwrap from PATH; "
				 "to install bwrap:\n%s",
				 install_bwrap);
		else
			snprintf(fix, sizeof(fix), "%s", install_bwrap);
		say(FAILURE, fix, "bwrap: %s not found%s", name,
		    env && *env ? " (CCSB_BWRAP)" : " on PATH");
		return;
	}
	s->have_bwrap = true;
	char *const argv[] = { s->bwrap, (char *)"--version", NULL };
	int st = run_capture(argv, out, sizeof(out), 10000);
	if (st != 0) {
		say(FAILURE, install_bwrap, "bwrap: %s --version fails: %s", s->bwrap,
		    first_line(out, 200));
		s->have_bwrap = false;
		return;
	}
	const char *v = first_line(out, 100);
	/* --disable-userns, in every default run, came with 0.8.0. */
	if (version_of(v) >= 0 && version_of(v) < 8000)
		say(FAILURE, install_bwrap,
		    "bwrap: %s (%s) is older than 0.8.0: it lacks --disable-userns, which ccsb "
		    "passes unless --nested-userns is given",
		    v, s->bwrap);
	else
		say(OK, NULL, "bwrap: %s (%s)", v, s->bwrap);
}

/* "Seccomp:" of /proc/self/status: 2 when a filter is installed (a
 * container runtime's, systemd's RestrictNamespaces=); -1 unknown. */
static int seccomp_mode(void)
{
	FILE *f = fopen("/proc/self/status", "re");
	char line[256];
	int mode = -1;
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "Seccomp: %d", &mode) == 1)
			break;
	if (f)
		fclose(f);
	return mode;
}

/* The kernel refuses user namespaces to a chrooted process (its root is not
 * its mount namespace's). pid 1's root, when we may look at it, is the
 * namespace's; otherwise a root directory that is no mount point in
 * mountinfo is a chroot into a plain directory. */
static bool chrooted(void)
{
	struct stat a, b;
	if (stat("/", &a) == 0 && stat("/proc/1/root/", &b) == 0)
		return a.st_dev != b.st_dev || a.st_ino != b.st_ino;
	FILE *f = fopen("/proc/self/mountinfo", "re");
	if (!f)
		return false;
	char line[4096], mnt[PATH_MAX];
	bool root_mounted = false;
	while (!root_mounted && fgets(line, sizeof(line), f))
		root_mounted =
			sscanf(line, "%*s %*s %*s %*s %4095s", mnt) == 1 && strcmp(mnt, "/") == 0;
	fclose(f);
	return !root_mounted;
}

/* Signs of a container runtime around us. */
static const char *container_kind(void)
{
	if (access("/.dockerenv", F_OK) == 0)
		return "Docker";
	if (access("/run/.containerenv", F_OK) == 0)
		return "Podman";
	const char *c = getenv("container");
	if (c && *c)
		return c;
	return NULL;
}

/* EPERM from unshare(CLONE_NEWUSER) with no sysctl or AppArmor to blame:
 * name what usually does it, most likely first. */
static void userns_eperm_fix(char *fix, size_t len)
{
	const char *ct = container_kind();
	size_t n = 0;
#define ADD(...) (n += (size_t)snprintf(fix + n, n < len ? len - n : 0, __VA_ARGS__))
	if (seccomp_mode() == 2)
		ADD("a seccomp filter on this process denies them (Docker's and Podman's default "
		    "profiles do,\nand systemd's RestrictNamespaces=): run the container with "
		    "--security-opt seccomp=unconfined\n(or a profile that allows unshare/clone "
		    "with CLONE_NEWUSER), or the unit without RestrictNamespaces=\n");
	if (chrooted())
		ADD("this process is in a chroot, where the kernel refuses user namespaces: run "
		    "ccsb outside it,\nor replace the chroot with a container that pivots its "
		    "root (systemd-nspawn -D DIR)\n");
	if (ct)
		ADD("inside a container (%s): its runtime must allow nested user namespaces "
		    "(Docker/Podman:\n--security-opt seccomp=unconfined --security-opt "
		    "apparmor=unconfined; LXC/Incus: security.nesting=true),\nor run ccsb on "
		    "the host\n",
		    ct);
	ADD("%s: kernel.unprivileged_userns_clone=0, user.max_user_namespaces=0, an LSM "
	    "policy\n(AppArmor, SELinux), a hardened kernel (kernel.userns_restrict=1); "
	    "`unshare --user --map-root-user true`\nshows the same error until it is fixed",
	    n ? "otherwise" : "something forbids unprivileged user namespaces here; usually");
#undef ADD
}

static void check_userns(struct state *s)
{
	static const char *const step[] = { "", "unshare(CLONE_NEWUSER)", "writing setgroups",
					    "writing uid_map", "writing gid_map" };
	char fix[2048];
	probe_uid = getuid();
	probe_gid = getgid();
	int e, r = probe(userns_steps, &e);
	s->userns_step = r;
	s->userns_errno = e;
	if (r == 0) {
		say(OK, NULL,
		    "user namespaces: an unprivileged process can create one and map "
		    "its ids");
		return;
	}
	if (r < 0) {
		say(FAILURE, NULL, "user namespaces: cannot run the test (fork failed)");
		return;
	}
	if (s->block == CCSB_USERNS_APPARMOR && s->bwrap_runs) {
		say(OK, NULL,
		    "user namespaces: AppArmor denies them to ccsb itself (%s: %s), "
		    "but allows them to bwrap, which is what needs them",
		    step[r], strerror(e));
		return;
	}
	if (s->block == CCSB_USERNS_APPARMOR && e == EPERM && r >= 2)
		snprintf(fix, sizeof(fix), "see the AppArmor line below");
	else if (s->block == CCSB_USERNS_CLONE_OFF)
		snprintf(fix, sizeof(fix), "see the unprivileged_userns_clone line below");
	else if (s->block == CCSB_USERNS_MAX_ZERO || e == ENOSPC)
		snprintf(fix, sizeof(fix), "see the max_user_namespaces line below");
	else if (e == EINVAL)
		snprintf(fix, sizeof(fix), "use a kernel built with CONFIG_USER_NS=y");
	else if (e == EPERM && r == 1)
		userns_eperm_fix(fix, sizeof(fix));
	else
		snprintf(fix, sizeof(fix),
			 "allow unprivileged user namespaces (a sysctl, a security module or a "
			 "container runtime forbids them here)");
	say(FAILURE, fix, "user namespaces: %s fails: %s", step[r], strerror(e));
}

/* The library's diagnosis (ccsb_check_userns()), with the fix made
 * permanent. */
static void check_sysctls(struct state *s)
{
	if (s->block == CCSB_USERNS_MAX_ZERO)
		say(FAILURE,
		    "sudo sysctl -w user.max_user_namespaces=15000\n"
		    "echo user.max_user_namespaces=15000 | "
		    "sudo tee /etc/sysctl.d/90-ccsb-userns.conf",
		    "user.max_user_namespaces is 0: no user namespace can be created (%s)",
		    s->block_msg);
	else
		say(OK, NULL, "user.max_user_namespaces: not 0");

	/* Debian's and Ubuntu's older kernels carry this extra switch. */
	if (s->block == CCSB_USERNS_CLONE_OFF)
		say(FAILURE,
		    "sudo sysctl -w kernel.unprivileged_userns_clone=1\n"
		    "echo kernel.unprivileged_userns_clone=1 | sudo tee "
		    "/etc/sysctl.d/90-ccsb-userns.conf",
		    "kernel.unprivileged_userns_clone is 0: unprivileged user namespaces are off");
}

static void check_apparmor(struct state *s)
{
	char fix[sizeof(apparmor_fix) + PATH_MAX];
	char real[PATH_MAX];
	if (s->block != CCSB_USERNS_APPARMOR) {
		say(OK, NULL,
		    "AppArmor: kernel.apparmor_restrict_unprivileged_userns is not 1: no "
		    "restriction on unprivileged user namespaces");
		return;
	}
	if (s->bwrap_runs) {
		say(OK, NULL,
		    "AppArmor: unprivileged user namespaces are restricted, but a "
		    "profile allows them to bwrap");
		return;
	}
	const char *bw = s->have_bwrap && realpath(s->bwrap, real) ? real : "/usr/bin/bwrap";
	snprintf(fix, sizeof(fix), apparmor_fix, bw);
	say(FAILURE, fix,
	    "AppArmor: kernel.apparmor_restrict_unprivileged_userns is 1 and no profile "
	    "allows bwrap to use user namespaces (bwrap: \"setting up uid map: Permission "
	    "denied\")");
}

/* What ccsb's sandbox needs of bwrap, without ccsb's policy. */
static void try_bwrap(struct state *s)
{
	if (!s->have_bwrap)
		return;
	char *const argv[] = { s->bwrap,
			       (char *)"--unshare-all",
			       (char *)"--die-with-parent",
			       (char *)"--ro-bind",
			       (char *)"/",
			       (char *)"/",
			       (char *)"--proc",
			       (char *)"/proc",
			       (char *)"--dev",
			       (char *)"/dev",
			       (char *)"true",
			       NULL };
	int st = run_capture(argv, s->bwrap_err, sizeof(s->bwrap_err), 20000);
	s->bwrap_runs = st == 0;
	if (st == -2)
		snprintf(s->bwrap_err, sizeof(s->bwrap_err), "timed out after 20 s");
}

static void report_bwrap(struct state *s)
{
	if (!s->have_bwrap)
		return;
	if (s->bwrap_runs) {
		say(OK, NULL, "bwrap sandbox: bwrap --unshare-all ... true runs");
		return;
	}
	const char *fix = "see the lines above";
	if (s->userns_step == 0 && s->block != CCSB_USERNS_APPARMOR)
		fix = "run it by hand to see why (a container or a security module may forbid "
		      "namespaces or mounts):\n"
		      "bwrap --unshare-all --die-with-parent --ro-bind / / --proc /proc "
		      "--dev /dev true";
	say(FAILURE, fix, "bwrap sandbox: bwrap --unshare-all ... true fails: %s",
	    first_line(s->bwrap_err, 200));
}

/* A sandbox with ccsb's default policy, as the checks below run it: as
 * uid 1000 under root, the bwrap found above, the terminal left alone.
 * *out is set even on failure (NULL only when out of memory). */
static int default_sandbox(const struct state *s, ccsb_sandbox **out, ccsb_error **err)
{
	ccsb_sandbox *sb = ccsb_sandbox_new();
	uid_t uid;
	gid_t gid;
	ccsb_default_ids(&uid, &gid);
	int r = sb ? hostenv_apply(sb, err) : -ENOMEM;
	if (r == 0)
		r = ccsb_sandbox_set_identity(sb, uid, gid, NULL, NULL, err);
	if (r == 0 && s->have_bwrap)
		r = ccsb_sandbox_set_bwrap(sb, s->bwrap, err);
	if (r == 0)
		r = ccsb_sandbox_apply_defaults(sb, 0, err);
	if (r == 0)
		r = ccsb_sandbox_set_tty(sb, CCSB_TTY_OFF, err);
	*out = sb;
	return r;
}

/* The real thing, through the library: what `ccsb --net=none -- true` does. */
static void check_run(struct state *s)
{
	char helper[PATH_MAX];
	if (find_helper(s, CCSB_HELPER_EXEC, helper, sizeof(helper)) < 0) {
		say(FAILURE, "reinstall ccsb (make install), or set CCSB_EXEC_HELPER to ccsb-exec",
		    "%s", helper);
		return;
	}
	if (!s->bwrap_runs)
		return; /* already reported; the run would fail the same way */
	ccsb_error *err = NULL;
	ccsb_sandbox *sb;
	char *const cmd[] = { (char *)"true", NULL };
	int r = default_sandbox(s, &sb, &err);
	if (r == 0)
		r = ccsb_sandbox_set_net(sb, CCSB_NET_NONE, &err);
	if (r == 0) {
		fflush(stdout);
		r = ccsb_sandbox_run(sb, cmd, &err);
	}
	if (r == 0)
		say(OK, NULL,
		    "sandbox: a command runs under ccsb's policy (--net=none, with the "
		    "seccomp filter)");
	else if (r > 0)
		say(FAILURE, "run `ccsb --net=none -- true` to see the command's own error",
		    "sandbox: `true` exits with status %d under ccsb's policy", r);
	else
		say(FAILURE, "run `ccsb --net=none -- true`; the message names the cause",
		    "sandbox: %s", err ? ccsb_error_message(err) : strerror(-r));
	ccsb_error_free(err);
	ccsb_sandbox_free(sb);
}

static void check_seccomp(void)
{
	char line[256];
	long mode = -1;
	FILE *f = fopen("/proc/self/status", "re");
	while (f && fgets(line, sizeof(line), f))
		if (strncmp(line, "Seccomp:", 8) == 0)
			mode = strtol(line + 8, NULL, 10);
	if (f)
		fclose(f);
	if (prctl(PR_GET_SECCOMP, 0, 0, 0, 0) < 0 && errno == EINVAL) {
		say(FAILURE, "use a kernel built with CONFIG_SECCOMP=y and CONFIG_SECCOMP_FILTER=y",
		    "seccomp: not supported by this kernel");
		return;
	}
	int e, r = probe(seccomp_steps, &e);
	if (r == 0)
		say(OK, NULL, "seccomp: a filter can be loaded (this process: %s)",
		    mode == 2	? "already filtered"
		    : mode == 0 ? "no filter"
				: "unknown mode");
	else
		say(FAILURE, "use a kernel built with CONFIG_SECCOMP_FILTER=y",
		    "seccomp: cannot load a filter: %s: %s",
		    r == 1 ? "PR_SET_NO_NEW_PRIVS" : "PR_SET_SECCOMP", strerror(e));
}

static void check_ns_get_userns(void)
{
	int fd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		say(FAILURE, "mount /proc", "NS_GET_USERNS: cannot open /proc/self/ns/net: %s",
		    strerror(errno));
		return;
	}
	int u = ioctl(fd, NS_GET_USERNS);
	int e = errno;
	close(fd);
	if (u >= 0)
		close(u);
	if (u >= 0 || e == EPERM)
		say(OK, NULL, "NS_GET_USERNS: supported");
	else
		say(FAILURE, "use Linux 4.9 or later",
		    "NS_GET_USERNS: not supported (%s): ccsb cannot find the owner of the "
		    "sandbox's network namespace",
		    strerror(e));
}

static void check_slirp(const struct state *s)
{
	const char *env = getenv("CCSB_SLIRP4NETNS");
	const char *name = env && *env ? env : "slirp4netns";
	char path[PATH_MAX], out[512], fix[512];
	if (find_helper(s, CCSB_HELPER_SLIRP4NETNS, path, sizeof(path)) < 0) {
		if (env && *env)
			snprintf(fix, sizeof(fix),
				 "point CCSB_SLIRP4NETNS at slirp4netns, or unset it; to install "
				 "slirp4netns:\n%s",
				 install_slirp);
		else
			snprintf(fix, sizeof(fix), "%s", install_slirp);
		say(FAILURE, fix,
		    "slirp4netns: %s not found%s: --net=full and --net=allowlist (the default) "
		    "cannot work",
		    name, env && *env ? " (CCSB_SLIRP4NETNS)" : " on PATH");
		return;
	}
	char *const argv[] = { path, (char *)"--version", NULL };
	int st = run_capture(argv, out, sizeof(out), 10000);
	const char *v = first_line(out, 100);
	if (st != 0)
		say(FAILURE, install_slirp, "slirp4netns: %s --version fails: %s", path, v);
	else if (version_of(v) >= 0 && version_of(v) < 4000)
		say(FAILURE, install_slirp,
		    "slirp4netns: %s (%s) is too old: ccsb needs 0.4.0 or later (--enable-seccomp)",
		    v, path);
	else
		say(OK, NULL, "slirp4netns: %s (%s)", v, path);
}

/* ccsb-net configures every network: present, and able to start (run
 * without its descriptors it only prints its usage, exit 2). */
static bool check_net_helper(const struct state *s)
{
	char path[PATH_MAX], out[512];
	if (find_helper(s, CCSB_HELPER_NET, path, sizeof(path)) < 0) {
		say(FAILURE, "reinstall ccsb (make install), or set CCSB_NET_HELPER to ccsb-net",
		    "%s: --net=full and --net=allowlist (the default) cannot work", path);
		return false;
	}
	char *const argv[] = { path, NULL };
	int st = run_capture(argv, out, sizeof(out), 10000);
	if (st == 2 && strstr(out, "internal helper")) {
		say(OK, NULL, "ccsb-net: %s (starts)", path);
		return true;
	}
	say(FAILURE, "reinstall ccsb (make install), or set CCSB_NET_HELPER to ccsb-net",
	    "ccsb-net: %s does not start: %s", path, first_line(out, 200));
	return false;
}

/* Name-bound connections (an allowlist with names, as the default one)
 * need nf_tables with NAT in the kernel: ccsb-net tries the same set-up in
 * a throwaway namespace. */
static void check_names(const struct state *s)
{
	char path[PATH_MAX], out[512];
	/* Without a working ccsb-net, check_net_helper has said it. */
	if (!check_net_helper(s) || find_helper(s, CCSB_HELPER_NET, path, sizeof(path)) < 0)
		return;
	char *const argv[] = { path, "--probe-names", NULL };
	int st = run_capture(argv, out, sizeof(out), 10000);
	if (st == 0 && strncmp(out, "ok", 2) == 0)
		say(OK, NULL,
		    "name-bound connections: nf_tables NAT works in a namespace of yours");
	else
		say(FAILURE,
		    "use a kernel with nf_tables and NAT (CONFIG_NF_TABLES, CONFIG_NFT_REDIR, "
		    "as Debian's, Ubuntu's and Fedora's), or sudo modprobe nft_redir; "
		    "--no-default-allowlist with addresses only needs neither",
		    "name-bound connections: %s; an allowlist with names (the default) cannot start",
		    first_line(out, 300));
}

static void check_tun(void)
{
	static const char tun[] = "/dev/net/tun";
	char what[128] = "", fix[512];
	int fd = open(tun, O_RDWR | O_CLOEXEC);
	if (fd >= 0) {
		close(fd);
		say(OK, NULL, "%s: can be opened read-write", tun);
		return;
	}
	int e = errno;
	struct stat st;
	if (stat(tun, &st) == 0)
		snprintf(what, sizeof(what), " (mode %04o, owner uid %u)",
			 (unsigned)(st.st_mode & 07777), (unsigned)st.st_uid);
	if (e == EACCES || e == EPERM)
		snprintf(fix, sizeof(fix),
			 "sudo chmod 0666 %s\n"
			 "(lasting, with udev: echo 'KERNEL==\"tun\", MODE=\"0666\"' | "
			 "sudo tee /etc/udev/rules.d/60-tun.rules)",
			 tun);
	else if (e == ENOENT)
		snprintf(fix, sizeof(fix),
			 "sudo modprobe tun\n"
			 "(if %s is still missing: sudo mkdir -p /dev/net && "
			 "sudo mknod -m 0666 %s c 10 200)",
			 tun, tun);
	else
		snprintf(fix, sizeof(fix), "sudo modprobe tun");
	say(FAILURE, fix, "%s: cannot open it read-write: %s%s; slirp4netns needs it", tun,
	    strerror(e), what);
}

static void check_landlock(void)
{
	long abi = -1;
	int e = ENOSYS;
#ifdef SYS_landlock_create_ruleset
	abi = syscall(SYS_landlock_create_ruleset, NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);
	e = errno;
#endif
	if (abi > 0)
		say(OK, NULL, "Landlock: ABI version %ld (informational; ccsb does not use it)",
		    abi);
	else if (e == EOPNOTSUPP)
		say(OK, NULL,
		    "Landlock: built in but disabled at boot (informational; ccsb "
		    "does not use it)");
	else
		say(OK, NULL, "Landlock: not available (informational; ccsb does not use it)");
}

static void check_allowlist(void)
{
	const char *env = getenv("CCSB_ALLOWLIST");
	const char *path = env && *env ? env : CCSB_PKGDATADIR "/ip-ranges.txt";
	ccsb_error *err = NULL;
	ccsb_sandbox *sb = ccsb_sandbox_new();
	int r = sb ? ccsb_sandbox_allow_file(sb, path, &err) : -ENOMEM;
	if (r == 0) {
		size_t given = 0, merged = 0;
		ccsb_sandbox_allowlist_count(sb, &given, &merged);
		say(OK, NULL, "default allowlist: %s, %zu prefixes (%zu as given)", path, merged,
		    given);
	} else {
		say(FAILURE,
		    "reinstall ccsb, fix the file, or run with --no-default-allowlist "
		    "--allow-file=FILE",
		    "default allowlist: %s", err ? ccsb_error_message(err) : strerror(-r));
	}
	ccsb_error_free(err);
	ccsb_sandbox_free(sb);
}

static void check_config(void)
{
	struct cli c;
	char used[PATH_MAX], msg[1024], path[PATH_MAX];
	memset(&c, 0, sizeof(c));
	cli_free(&c);
	if (config_load(&c, used, sizeof(used), msg, sizeof(msg)) < 0)
		say(FAILURE, "fix or move the file (see ccsb(1), CONFIGURATION)",
		    "configuration: %s", msg);
	else if (used[0])
		say(OK, NULL, "configuration: %s", used);
	else if (config_path(path, sizeof(path)) == 0)
		say(OK, NULL, "configuration: none (%s does not exist)", path);
	else
		say(OK, NULL, "configuration: none (no home directory)");
	cli_free(&c);
}

/* The policy, not the machine: can `ccsb claude` reach its API? */
static void check_policy(void)
{
	char what[1024], fix[1024];
	int lv = netdefaults_check_api(what, sizeof(what), fix, sizeof(fix));
	say(lv == 0 ? OK : lv == 1 ? WARNING : FAILURE, fix[0] ? fix : NULL, "%s", what);
}

/* A proxy the environment names: tools inside use it, so it must be allowed. */
static void check_proxy(void)
{
	char what[1024], fix[1024];
	int lv = netdefaults_check_proxy(what, sizeof(what), fix, sizeof(fix));
	if (lv >= 0)
		say(lv == 0 ? OK : WARNING, fix[0] ? fix : NULL, "%s", what);
}

/* Published and host ports the configuration asks for, and the proxy
 * relayed by itself. */
static void check_ports(void)
{
	struct cli c;
	char used[PATH_MAX], msg[PATH_MAX + 512], line[1024];
	ccsb_error *e = NULL;
	ccsb_sandbox *sb = ccsb_sandbox_new();
	int r;

	cli_init(&c);
	if (!sb || config_load(&c, used, sizeof(used), msg, sizeof(msg)) < 0) {
		cli_free(&c);
		ccsb_sandbox_free(sb);
		return; /* check_config() says why */
	}
	r = ccsb_sandbox_set_net(sb, c.net >= 0 ? (ccsb_net_mode)c.net : CCSB_NET_ALLOWLIST, &e);
	if (r == 0)
		r = ports_apply(sb, c.publish, c.npublish, c.host_ports, c.nhost_ports, &e);
	if (r < 0) {
		say(FAILURE, "fix the publish or host-port line of the configuration", "ports: %s",
		    e ? ccsb_error_message(e) : strerror(-r));
	} else if (!ccsb_sandbox_describe_ports(sb, line, sizeof(line))) {
		say(OK, NULL, "ports: none published, no host ports");
	} else {
		char *text = NULL;
		size_t n = 0;
		FILE *f = open_memstream(&text, &n);
		if (f) {
			ports_describe(sb, f, "");
			fclose(f);
		}
		if (text && n && text[n - 1] == '\n')
			text[n - 1] = '\0';
		say(OK, NULL, "%s", text ? text : "ports");
		free(text);
	}
	ccsb_error_free(e);
	ccsb_sandbox_free(sb);
	cli_free(&c);
}

static void check_claude(const struct state *s)
{
	char path[PATH_MAX], real[PATH_MAX];
	static const char install[] =
		"sudo npm install -g @anthropic-ai/claude-code\n"
		"(without sudo when npm's global prefix is yours, e.g. nvm's; no npm: sudo apt-get install nodejs npm;\n"
		"or Anthropic's native installer: curl -fsSL https://claude.ai/install.sh | bash)";
	char *found = NULL;
	ccsb_error *err = NULL;
	if (!s->sb || ccsb_sandbox_find_program(s->sb, "claude", &found, NULL) < 0) {
		say(WARNING, install, "claude: not found on PATH; `ccsb claude` needs it");
		return;
	}
	snprintf(path, sizeof(path), "%s", found);
	free(found);
	const char *r = realpath(path, real) ? real : path;
	ccsb_sandbox *sb = ccsb_sandbox_new();
	int k = sb ? hostenv_apply(sb, &err) : -ENOMEM;
	if (k == 0)
		k = ccsb_sandbox_add_program(sb, "claude", NULL, &err);
	if (k == 0 && strcmp(r, path) != 0)
		say(OK, NULL, "claude: %s -> %s", path, r);
	else if (k == 0)
		say(OK, NULL, "claude: %s", path);
	else
		say(WARNING, install, "claude: %s found, but ccsb cannot bind its installation: %s",
		    path, err ? ccsb_error_message(err) : strerror(-k));
	ccsb_error_free(err);
	ccsb_sandbox_free(sb);
}

/* Resource bounds: what the default policy bounds, with which mechanism,
 * and what it does not (libccsandbox/bounds.c). A real run, since whether
 * the user's systemd manager gives a scope with the memory and pids
 * controllers is only known by asking it. */
static void check_bounds(struct state *s)
{
	if (s->have_bwrap) {
		char out[8192];
		char *const argv[] = { s->bwrap, (char *)"--help", NULL };
		run_capture(argv, out, sizeof(out), 10000);
		if (!strstr(out, "--size")) {
			say(FAILURE,
			    "upgrade bubblewrap to 0.7.0 or later; or run ccsb with "
			    "--memory=none (tmpfs mounts then unbounded, as big as half "
			    "the RAM each)",
			    "bounds: %s has no --size, which sizes the sandbox's tmpfs mounts "
			    "(bwrap: \"Unknown option --size\")",
			    s->bwrap);
			return;
		}
	}
	struct utsname u;
	unsigned maj = 0, min = 0;
	if (uname(&u) == 0)
		sscanf(u.release, "%u.%u", &maj, &min);
	if (maj && (maj < 5 || (maj == 5 && min < 14)))
		say(WARNING, "upgrade the kernel to 5.14 or later, or raise the bound with --pids",
		    "bounds: kernel %s counts RLIMIT_NPROC over all your processes, not only "
		    "the sandbox's: the task bound also counts those outside",
		    u.release);
	ccsb_error *err = NULL;
	ccsb_sandbox *sb;
	char *const cmd[] = { (char *)"true", NULL };
	int r = default_sandbox(s, &sb, &err);
	if (r == 0 && s->bwrap_runs) {
		fflush(stdout);
		r = ccsb_sandbox_run(sb, cmd, &err);
	}
	char *line = r == 0 ? ccsb_sandbox_describe_bounds(sb) : NULL;
	if (!line) {
		/* The plan, when no sandbox can run here (said above). */
		line = sb ? ccsb_sandbox_describe_bounds(sb) : NULL;
		say(OK, NULL, "%s", line ? line : "bounds: (out of memory)");
	} else {
		say(OK, NULL, "%s", line);
		if (!strstr(line, "MemoryMax"))
			/* A real gap, and the fix is the user's. */
			say(WARNING,
			    "log in to a systemd session whose user manager has the memory "
			    "and pids controllers (cgroup v2: systemd.unified_cgroup_hierarchy=1), "
			    "or start ccsb in a cgroup with a limit, e.g. `systemd-run --user "
			    "--scope -p MemoryMax=8G ccsb ...`",
			    "bounds: the memory of the sandbox's processes is not bounded (no "
			    "systemd scope with a memory controller); the OOM killer takes them "
			    "first (oom_score_adj 500)");
	}
	free(line);
	ccsb_error_free(err);
	ccsb_sandbox_free(sb);
}

int doctor_main(char *const args[])
{
	if (args[0]) {
		fprintf(stderr, "ccsb: doctor takes no arguments (to run a program named "
				"doctor: ccsb -- doctor)\n");
		return 125;
	}
	struct state s = {
		.root = getuid() == 0,
		.sb = ccsb_sandbox_new(),
	};
	ccsb_error *e = NULL;
	if (ccsb_check_userns(&s.block, &e) < 0)
		snprintf(s.block_msg, sizeof(s.block_msg), "%s", ccsb_error_message(e));
	ccsb_error_free(e);
	e = NULL;
	if (s.sb && hostenv_apply(s.sb, &e) < 0) {
		printf("%s\n", ccsb_error_message(e));
		ccsb_error_free(e);
		ccsb_sandbox_free(s.sb);
		return 125;
	}
	failures = 0;
	if (s.root)
		say(WARNING, "run `ccsb doctor` as the user who runs ccsb",
		    "running as root: root passes checks that users fail, and ccsb started by "
		    "root runs the command as uid 1000");
	check_bwrap(&s);
	try_bwrap(&s);
	check_userns(&s);
	check_sysctls(&s);
	check_apparmor(&s);
	report_bwrap(&s);
	check_run(&s);
	check_bounds(&s);
	check_seccomp();
	check_ns_get_userns();
	check_slirp(&s);
	check_names(&s);
	check_tun();
	check_landlock();
	check_allowlist();
	check_config();
	check_policy();
	check_proxy();
	check_ports();
	check_claude(&s);
	if (failures)
		printf("%d check%s failed: ccsb cannot run with full protection until %s fixed\n",
		       failures, failures == 1 ? "" : "s", failures == 1 ? "it is" : "they are");
	else
		printf("ccsb can run with full protection\n");
	ccsb_sandbox_free(s.sb);
	return failures ? 1 : 0;
}
