/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The public API's one NULL rule (ccsandbox.h, "NULL"): every function
 * takes a NULL policy object (or process handle) without crashing: int
 * functions fail with -EINVAL and an error naming the function, void ones
 * do nothing, getters give their default. Before the rule,
 * ccsb_sandbox_get_net(NULL) and ccsb_sandbox_set_seccomp(NULL, ...)
 * crashed. */
#include "ccsandbox.h"
#include "tap.h"

#include <errno.h>

#define EINVAL_WITH_ERROR(call, what)                                                           \
	do {                                                                                    \
		ccsb_error *e = NULL;                                                           \
		int r_ = (call);                                                                \
		is_int(r_, -EINVAL, "%s(NULL, ...): -EINVAL", what);                            \
		if (e)                                                                          \
			ok(strstr(ccsb_error_message(e), "NULL") != NULL, "... saying so (%s)", \
			   ccsb_error_message(e));                                              \
		ccsb_error_free(e);                                                             \
	} while (0)

static void ignore_event(const char *line, size_t len, void *data)
{
	(void)line;
	(void)len;
	(void)data;
}

int main(void)
{
	char *const cmd[] = { "true", NULL };
	char **argv = NULL, *s = NULL;
	size_t given = 7, merged = 7;
	EINVAL_WITH_ERROR(ccsb_sandbox_add_bind(NULL, "/usr", NULL, 0, &e), "add_bind");
	EINVAL_WITH_ERROR(ccsb_sandbox_add_tmpfs(NULL, "/tmp", &e), "add_tmpfs");
	EINVAL_WITH_ERROR(ccsb_sandbox_add_dir(NULL, "/d", &e), "add_dir");
	EINVAL_WITH_ERROR(ccsb_sandbox_add_proc(NULL, "/proc", &e), "add_proc");
	EINVAL_WITH_ERROR(ccsb_sandbox_add_dev(NULL, "/dev", &e), "add_dev");
	EINVAL_WITH_ERROR(ccsb_sandbox_add_symlink(NULL, "a", "/b", &e), "add_symlink");
	EINVAL_WITH_ERROR(ccsb_sandbox_add_file(NULL, "/f", "x", 1, &e), "add_file");
	EINVAL_WITH_ERROR(ccsb_sandbox_env_pass(NULL, "TERM", &e), "env_pass");
	EINVAL_WITH_ERROR(ccsb_sandbox_env_set(NULL, "A", "1", &e), "env_set");
	EINVAL_WITH_ERROR(ccsb_sandbox_set_identity(NULL, 1, 1, NULL, NULL, &e), "set_identity");
	EINVAL_WITH_ERROR(ccsb_sandbox_set_hostname(NULL, "h", &e), "set_hostname");
	EINVAL_WITH_ERROR(ccsb_sandbox_set_cwd(NULL, "/", &e), "set_cwd");
	EINVAL_WITH_ERROR(ccsb_sandbox_set_bwrap(NULL, "bwrap", &e), "set_bwrap");
	EINVAL_WITH_ERROR(ccsb_sandbox_set_slirp(NULL, "slirp4netns", &e), "set_slirp");
	EINVAL_WITH_ERROR(ccsb_sandbox_set_etc_cache(NULL, CCSB_ETC_CACHE_OFF, &e),
			  "set_etc_cache");
	EINVAL_WITH_ERROR(ccsb_sandbox_set_exec_helper(NULL, "/x", &e), "set_exec_helper");
	EINVAL_WITH_ERROR(ccsb_sandbox_set_net(NULL, CCSB_NET_NONE, &e), "set_net");
	EINVAL_WITH_ERROR(ccsb_sandbox_allow(NULL, "192.0.2.1", &e), "allow");
	EINVAL_WITH_ERROR(ccsb_sandbox_allow_file(NULL, "/dev/null", &e), "allow_file");
	EINVAL_WITH_ERROR(ccsb_sandbox_set_tty(NULL, CCSB_TTY_OFF, &e), "set_tty");
	EINVAL_WITH_ERROR(ccsb_sandbox_set_memory_max(NULL, 1 << 30, &e), "set_memory_max");
	EINVAL_WITH_ERROR(ccsb_sandbox_set_pids_max(NULL, 100, &e), "set_pids_max");
	EINVAL_WITH_ERROR(ccsb_sandbox_set_ssh_agent(NULL, NULL, 0, &e), "set_ssh_agent");
	EINVAL_WITH_ERROR(ccsb_sandbox_set_git_credentials(NULL, true, &e), "set_git_credentials");
	EINVAL_WITH_ERROR(ccsb_sandbox_apply_defaults(NULL, 0, &e), "apply_defaults");
	EINVAL_WITH_ERROR(ccsb_sandbox_add_program(NULL, "sh", NULL, &e), "add_program");
	EINVAL_WITH_ERROR(ccsb_sandbox_add_git_config(NULL, &e), "add_git_config");
	EINVAL_WITH_ERROR(ccsb_sandbox_add_path(NULL, "/usr/bin", NULL, &e), "add_path");
	EINVAL_WITH_ERROR(ccsb_sandbox_build_argv(NULL, cmd, &argv, &e), "build_argv");
	EINVAL_WITH_ERROR(ccsb_sandbox_format_shell(NULL, cmd, &s, &e), "format_shell");
	EINVAL_WITH_ERROR(ccsb_sandbox_run(NULL, cmd, &e), "run");
	ccsb_process *p = (ccsb_process *)1;
	EINVAL_WITH_ERROR(ccsb_sandbox_spawn(NULL, cmd, 0, &p, &e), "spawn");
	ok(p == NULL, "spawn(NULL): no handle");
	is_int(ccsb_sandbox_allowlist_match(NULL, "192.0.2.1"), -EINVAL,
	       "allowlist_match: -EINVAL");
	is_int(ccsb_sandbox_add_publish(NULL, "8080", NULL), -EINVAL, "add_publish: -EINVAL");
	is_int(ccsb_sandbox_add_host_port(NULL, 8080, NULL), -EINVAL, "add_host_port: -EINVAL");
	char ports[8] = "x";
	ok(ccsb_sandbox_describe_ports(NULL, ports, sizeof(ports)) == 0 && ports[0] == '\0',
	   "describe_ports: 0, empty");
	is_int(ccsb_sandbox_set_events_fd(NULL, 1), -EINVAL, "set_events_fd: -EINVAL");
	is_int(ccsb_sandbox_set_event_callback(NULL, ignore_event, NULL), -EINVAL,
	       "set_event_callback: -EINVAL");

	/* void functions: nothing happens. */
	ccsb_sandbox_env_clear(NULL);
	ccsb_sandbox_set_dns_log(NULL, 1, 2);
	ccsb_sandbox_set_report_fd(NULL, 2);
	ccsb_sandbox_set_seccomp(NULL, false);
	ccsb_sandbox_set_nested_userns(NULL, true);
	ccsb_sandbox_set_bounds_fd(NULL, 2);
	ccsb_sandbox_set_allow_clipboard(NULL, true);
	ccsb_sandbox_allowlist_count(NULL, &given, &merged);
	ccsb_sandbox_free(NULL);
	ccsb_argv_free(NULL);
	ccsb_process_free(NULL);
	ok(1, "void functions with NULL return");

	/* Getters: their default. */
	is_int((int)ccsb_sandbox_get_net(NULL), (int)CCSB_NET_NONE, "get_net: CCSB_NET_NONE");
	ok(given == 0 && merged == 0, "allowlist_count: 0 and 0");
	is_int((int)ccsb_sandbox_allowlist_name_count(NULL), 0, "allowlist_name_count: 0");
	is_int((int)ccsb_sandbox_report_count(NULL), 0, "report_count: 0");
	ok(ccsb_sandbox_report_item(NULL, 0) == NULL, "report_item: NULL");
	ok(ccsb_sandbox_events_dropped(NULL) == 0, "events_dropped: 0");
	ok(ccsb_sandbox_get_memory_max(NULL) == 0, "get_memory_max: 0");
	ok(ccsb_sandbox_get_pids_max(NULL) == 0, "get_pids_max: 0");
	ok(ccsb_sandbox_describe_bounds(NULL) == NULL, "describe_bounds: NULL");
	ok(!ccsb_sandbox_has_program(NULL, "sh"), "has_program: false");
	is_int(ccsb_process_pidfd(NULL), -EINVAL, "process_pidfd: -EINVAL");
	is_int(ccsb_process_kill(NULL, 15), -EINVAL, "process_kill: -EINVAL");
	EINVAL_WITH_ERROR(ccsb_process_wait(NULL, &e), "process_wait");
	return done_testing();
}
