/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Resource bounds (libccsandbox/bounds.c): defaults, setters, what they add
 * to bwrap's and ccsb-exec's command lines, and the status line. The
 * effects are tested on real sandboxes by tests/security/bounds.sh. */
#include "internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysinfo.h>
#include <unistd.h>

#include "tap.h"

static ccsb_sandbox *mk(uint64_t mem, uint64_t pids)
{
	ccsb_sandbox *sb = ccsb_sandbox_new();
	if (!sb || ccsb_sandbox_set_memory_max(sb, mem, NULL) < 0 ||
	    ccsb_sandbox_set_pids_max(sb, pids, NULL) < 0 ||
	    ccsb_sandbox_set_identity(sb, 1000, 1000, NULL, NULL, NULL) < 0 ||
	    ccsb_sandbox_set_exec_helper(sb, "/x/ccsb-exec", NULL) < 0 ||
	    ccsb_sandbox_set_bwrap(sb, "bwrap", NULL) < 0)
		bail_out("cannot make a policy");
	ccsb_sandbox_set_seccomp(sb, false);
	return sb;
}

static char *argv_str(const ccsb_sandbox *sb)
{
	char **argv = NULL;
	ccsb_error *e = NULL;
	if (ccsb__build_argv(sb, (char *[]){ "true", NULL }, false, &argv, &e) < 0) {
		diag("error: %s", ccsb_error_message(e));
		ccsb_error_free(e);
		return strdup("");
	}
	size_t len = 1;
	for (size_t i = 0; argv[i]; i++)
		len += strlen(argv[i]) + 1;
	char *s = calloc(1, len);
	for (size_t i = 0; s && argv[i]; i++) {
		if (i)
			strcat(s, " ");
		strcat(s, argv[i]);
	}
	ccsb_argv_free(argv);
	return s;
}

static void test_defaults(void)
{
	ccsb_sandbox *sb = ccsb_sandbox_new();
	struct sysinfo si;
	if (sysinfo(&si) < 0)
		bail_out("sysinfo");
	uint64_t ram = (uint64_t)si.totalram * si.mem_unit;
	is_int(ccsb_sandbox_get_memory_max(sb) == ram / 2, 1, "default memory: half the RAM");
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	uint64_t want = cpus > 64 ? 64 * (uint64_t)cpus : 4096;
	is_int(ccsb_sandbox_get_pids_max(sb) == want, 1,
	       "default tasks: 4096 (64 per CPU past 64)");

	is_int(ccsb_sandbox_set_memory_max(sb, CCSB_BOUND_NONE, NULL), 0, "memory none");
	is_int(ccsb_sandbox_get_memory_max(sb) == CCSB_BOUND_NONE, 1, "memory none: kept");
	is_int(ccsb_sandbox_set_pids_max(sb, 123, NULL), 0, "tasks 123");
	is_int(ccsb_sandbox_set_memory_max(sb, CCSB_BOUND_DEFAULT, NULL), 0, "memory default");
	is_int(ccsb_sandbox_get_memory_max(sb) == ram / 2, 1, "memory default: half the RAM again");
	is_int(ccsb_sandbox_get_pids_max(sb) == 123, 1, "memory default leaves the tasks alone");
	is_int(ccsb_sandbox_set_pids_max(sb, CCSB_BOUND_DEFAULT, NULL), 0, "tasks default");
	is_int(ccsb_sandbox_get_pids_max(sb) == want, 1, "tasks default: back");

	ccsb_error *e = NULL;
	is_int(ccsb_sandbox_set_memory_max(sb, (16 << 20) - 1, &e), -EINVAL, "memory below 16M");
	is_str(e ? ccsb_error_message(e) : NULL,
	       "memory bound 16777215 bytes is too small: the least is 16M", "memory: message");
	ccsb_error_free(e);
	e = NULL;
	is_int(ccsb_sandbox_set_pids_max(sb, 7, &e), -EINVAL, "tasks below 8");
	is_str(e ? ccsb_error_message(e) : NULL, "task bound 7 is too small: the least is 8",
	       "tasks: message");
	ccsb_error_free(e);
	is_int(ccsb_sandbox_get_memory_max(sb) == ram / 2, 1, "a refused value changes nothing");
	is_int(ccsb_sandbox_set_memory_max(sb, 16 << 20, NULL), 0, "memory 16M accepted");
	is_int(ccsb_sandbox_set_pids_max(sb, 8, NULL), 0, "tasks 8 accepted");
	ccsb_sandbox_free(sb);
}

static void test_argv(void)
{
	ccsb_sandbox *sb = mk(1ull << 30, 100);
	ccsb_sandbox_add_proc(sb, "/proc", NULL);
	ccsb_sandbox_add_dev(sb, "/dev", NULL);
	ccsb_sandbox_add_tmpfs(sb, "/tmp", NULL);
	ccsb_sandbox_add_tmpfs(sb, "/home/claude", NULL);
	ccsb_sandbox_add_tmpfs(sb, "/scratch", NULL);
	ccsb_sandbox_add_bind(sb, "/dev/kvm", "/dev/kvm", CCSB_BIND_DEV | CCSB_BIND_TRY, NULL);
	char *s = argv_str(sb);
	ok(strstr(s, " --dev /dev --size 134217728 --tmpfs /dev/shm --size 536870912 --tmpfs /tmp "
		     "--size 268435456 --tmpfs /home/claude --size 134217728 --tmpfs /scratch "
		     "--dev-bind-try /dev/kvm /dev/kvm --ro-bind /x/ccsb-exec /run/ccsb/exec "
		     "--remount-ro /dev --remount-ro / ") != NULL,
	   "sizes: /tmp 1/2, home 1/4, others and /dev/shm 1/8; /dev read-only after its binds");
	ok(strstr(s, " -- /run/ccsb/exec --nproc 100 --oom-score-adj 500 -- true") != NULL,
	   "ccsb-exec: --nproc and --oom-score-adj");
	if (!strstr(s, "--nproc 100 --oom"))
		diag("argv: %s", s);
	free(s);

	char *d = ccsb_sandbox_describe_bounds(sb);
	is_str(d,
	       "bounds: memory 1G for tmpfs: 128M /dev/shm, 512M /tmp, 256M /home/claude, "
	       "128M /scratch (bwrap --size); process memory: a systemd scope if the user's "
	       "manager gives one (decided at run time), OOM killer takes the sandbox first "
	       "(oom_score_adj 500); tasks 100 (RLIMIT_NPROC, sandbox's user namespace)",
	       "status line before a run: the plan");
	free(d);
	/* After a run: what the scope gave (scope.c fills these). */
	sb->scope = (struct ccsb_scope){ .applied = true,
					 .tried = true,
					 .ok = true,
					 .memory = true,
					 .tasks = true,
					 .unit = "ccsb-1-2.scope" };
	d = ccsb_sandbox_describe_bounds(sb);
	is_str(d,
	       "bounds: memory 1G for tmpfs: 128M /dev/shm, 512M /tmp, 256M /home/claude, "
	       "128M /scratch (bwrap --size); process memory bounded too (systemd scope "
	       "ccsb-1-2.scope: MemoryMax); tasks 100 (systemd scope: TasksMax; and RLIMIT_NPROC)",
	       "status line with the scope in force");
	free(d);
	sb->scope = (struct ccsb_scope){ .applied = true, .why = "no user session bus" };
	d = ccsb_sandbox_describe_bounds(sb);
	ok(d && strstr(d, "; process memory not bounded (no systemd scope: no user session bus), "
			  "OOM killer takes the sandbox first (oom_score_adj 500); tasks 100 "
			  "(RLIMIT_NPROC, sandbox's user namespace)"),
	   "status line without a scope: why, and the weaker mechanisms");
	free(d);
	ccsb_sandbox_free(sb);

	/* A /dev elsewhere, no /proc: no oom_score_adj (ccsb-exec would fail). */
	sb = mk(64ull << 20, CCSB_BOUND_NONE);
	ccsb_sandbox_add_dev(sb, "/sb/dev", NULL);
	s = argv_str(sb);
	ok(strstr(s, " --dev /sb/dev --size 8388608 --tmpfs /sb/dev/shm ") != NULL,
	   "/dev/shm under another /dev");
	ok(strstr(s, " --remount-ro /sb/dev --remount-ro / ") != NULL, "that /dev read-only");
	ok(strstr(s, " -- /run/ccsb/exec -- true") != NULL, "no --nproc, no --oom-score-adj");
	free(s);
	d = ccsb_sandbox_describe_bounds(sb);
	is_str(d,
	       "bounds: memory 64M for tmpfs: 8M /sb/dev/shm (bwrap --size); process memory: "
	       "a systemd scope if the user's manager gives one (decided at run time); tasks "
	       "not bounded (--pids=none)",
	       "status line without /proc, tasks none");
	free(d);
	ccsb_sandbox_free(sb);

	sb = mk(CCSB_BOUND_NONE, CCSB_BOUND_NONE);
	ccsb_sandbox_add_proc(sb, "/proc", NULL);
	ccsb_sandbox_add_dev(sb, "/dev", NULL);
	ccsb_sandbox_add_tmpfs(sb, "/tmp", NULL);
	s = argv_str(sb);
	ok(!strstr(s, "--size") && !strstr(s, "/dev/shm") && !strstr(s, "--remount-ro /dev") &&
		   !strstr(s, "--nproc") && !strstr(s, "--oom"),
	   "none: the command line of before");
	free(s);
	d = ccsb_sandbox_describe_bounds(sb);
	is_str(d,
	       "bounds: memory and tmpfs not bounded (--memory=none); tasks not bounded "
	       "(--pids=none)",
	       "status line: none");
	free(d);
	ccsb_sandbox_free(sb);
}

static void test_format_size(void)
{
	static const struct {
		uint64_t v;
		const char *want;
	} cases[] = {
		{ 0, "0B" },
		{ 1023, "1023B" },
		{ 1024, "1K" },
		{ 1536, "1.5K" },
		{ 16ull << 20, "16M" },
		{ (1ull << 30) + (1ull << 29), "1.5G" },
		{ (1ull << 30) - 1, "1024M" },
		{ 12632887296ull, "11.8G" },
		{ 3ull << 40, "3T" },
		{ 150ull << 30, "150G" },
		{ UINT64_MAX, "16E" },
	};
	char buf[32];
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		ccsb__format_size(cases[i].v, buf, sizeof(buf));
		is_str(buf, cases[i].want, "format_size %llu", (unsigned long long)cases[i].v);
	}
}

int main(void)
{
	test_defaults();
	test_argv();
	test_format_size();
	return done_testing();
}
