/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The library's inputs are explicit (host.c): where its programs are and
 * the search path come from setters, never from the environment, which
 * here names decoys that must be ignored. Also the shared facts ccsb and
 * its doctor take from the library: the default ids, the user-namespace
 * diagnosis, and ccsb_error_set(). */
#include "ccsandbox.h"
#include "tap.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[64];

/* An executable file `name` in dir; its path in `out`. */
static void program(const char *name, char *out, size_t len)
{
	snprintf(out, len, "%s/%s", dir, name);
	int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);
	if (fd < 0 || write(fd, "#!/bin/sh\n", 10) != 10 || close(fd) < 0)
		bail_out("cannot write a program in the test directory");
}

/* *path from ccsb_sandbox_find_helper(), or NULL. */
static char *found(const ccsb_sandbox *sb, ccsb_helper which, int *r, ccsb_error **e)
{
	char *p = NULL;
	*r = ccsb_sandbox_find_helper(sb, which, &p, e);
	return p;
}

static void test_env_ignored(void)
{
	char bwrap[128], slirp[128], ex[128], net[128], state[128], prog[128];
	program("bwrap", bwrap, sizeof(bwrap));
	program("slirp4netns", slirp, sizeof(slirp));
	program("ccsb-exec", ex, sizeof(ex));
	program("ccsb-net", net, sizeof(net));
	program("ccsb-state", state, sizeof(state));
	program("ccsb-test-only-prog", prog, sizeof(prog));

	/* Decoys: everything the library used to read. */
	setenv("PATH", dir, 1);
	setenv("CCSB_EXEC_HELPER", ex, 1);
	setenv("CCSB_NET_HELPER", net, 1);
	setenv("CCSB_STATE_HELPER", state, 1);
	setenv("CCSB_BWRAP", bwrap, 1);
	setenv("CCSB_SLIRP4NETNS", slirp, 1);

	ccsb_sandbox *sb = ccsb_sandbox_new();
	ccsb_error *e = NULL;
	int r;
	char *p;
	if (!sb)
		bail_out("out of memory");

	p = found(sb, CCSB_HELPER_EXEC, &r, &e);
	ok(r < 0 || strcmp(p, ex) != 0, "CCSB_EXEC_HELPER is not read: %s",
	   p ? p : ccsb_error_message(e));
	free(p);
	ccsb_error_free(e);
	e = NULL;
	p = found(sb, CCSB_HELPER_NET, &r, &e);
	ok(r < 0 || strcmp(p, net) != 0, "CCSB_NET_HELPER is not read: %s",
	   p ? p : ccsb_error_message(e));
	free(p);
	ccsb_error_free(e);
	e = NULL;
	p = found(sb, CCSB_HELPER_STATE, &r, &e);
	ok(r < 0 || strcmp(p, state) != 0, "CCSB_STATE_HELPER is not read: %s",
	   p ? p : ccsb_error_message(e));
	free(p);
	ccsb_error_free(e);
	e = NULL;
	p = found(sb, CCSB_HELPER_BWRAP, &r, &e);
	ok(r < 0 || strcmp(p, bwrap) != 0, "neither CCSB_BWRAP nor PATH is read for bwrap: %s",
	   p ? p : ccsb_error_message(e));
	free(p);
	ccsb_error_free(e);
	e = NULL;
	p = NULL;
	is_int(ccsb_sandbox_find_program(sb, "ccsb-test-only-prog", &p, &e), -ENOENT,
	       "a program only on $PATH is not found");
	ok(p == NULL, "... no path");
	ok(e && strstr(ccsb_error_message(e), "/usr/local/bin:/usr/bin:/bin"),
	   "... the message names the default search path: %s", ccsb_error_message(e));
	ccsb_error_free(e);
	e = NULL;
	is_int(ccsb_sandbox_add_program(sb, "ccsb-test-only-prog", NULL, &e), -ENOENT,
	       "ccsb_sandbox_add_program() does not look on $PATH either");
	ccsb_error_free(e);
	e = NULL;

	/* The prepared /etc's switches are a setter's too (the tool reads
	 * CCSB_ETC_CACHE and CCSB_DEBUG); unknown bits are refused. */
	is_int(ccsb_sandbox_set_etc_cache(sb, CCSB_ETC_CACHE_OFF | CCSB_ETC_CACHE_EXPLAIN, &e), 0,
	       "set_etc_cache(OFF | EXPLAIN)");
	is_int(ccsb_sandbox_set_etc_cache(sb, 4, &e), -EINVAL,
	       "set_etc_cache: unknown bits refused");
	ok(e && strstr(ccsb_error_message(e), "unknown bits"), "... said so: %s",
	   e ? ccsb_error_message(e) : "(no error)");
	ccsb_error_free(e);
	e = NULL;
	is_int(ccsb_sandbox_set_etc_cache(sb, 0, &e), 0, "set_etc_cache(0): the default again");

	/* The same values through the setters are honoured. */
	is_int(ccsb_sandbox_set_search_path(sb, dir, &e), 0, "set_search_path");
	is_int(ccsb_sandbox_find_program(sb, "ccsb-test-only-prog", &p, &e), 0,
	       "the search path finds the program");
	is_str(p, prog, "... there");
	free(p);
	p = found(sb, CCSB_HELPER_BWRAP, &r, &e);
	is_str(p, bwrap, "bwrap by name on the search path");
	free(p);
	is_int(ccsb_sandbox_set_helper(sb, CCSB_HELPER_EXEC, ex, &e), 0, "set_helper(EXEC)");
	p = found(sb, CCSB_HELPER_EXEC, &r, &e);
	is_str(p, ex, "the exec helper as set");
	free(p);
	p = found(sb, CCSB_HELPER_NET, &r, &e);
	is_str(p, net, "ccsb-net: beside the exec helper by default");
	free(p);
	p = found(sb, CCSB_HELPER_STATE, &r, &e);
	is_str(p, state, "ccsb-state: beside the exec helper by default");
	free(p);
	char **argv = NULL;
	char *const cmd[] = { "true", NULL };
	if (is_int(ccsb_sandbox_build_argv(sb, cmd, &argv, &e), 0, "build_argv")) {
		bool bound = false;
		for (size_t i = 0; argv[i]; i++)
			bound = bound || strcmp(argv[i], ex) == 0;
		ok(bound, "the plan binds the exec helper that was set");
		ccsb_argv_free(argv);
	}

	is_int(ccsb_sandbox_set_helper(sb, CCSB_HELPER_NET, "/nonexistent/ccsb-net", &e), 0,
	       "set_helper(NET) elsewhere");
	p = found(sb, CCSB_HELPER_NET, &r, &e);
	is_int(r, -ENOENT, "... missing: -ENOENT");
	ok(p == NULL && e && strstr(ccsb_error_message(e), "/nonexistent/ccsb-net"),
	   "... naming it: %s", ccsb_error_message(e));
	ccsb_error_free(e);
	e = NULL;
	is_int(ccsb_sandbox_set_helper(sb, CCSB_HELPER_NET, NULL, &e), 0, "set_helper(NET, NULL)");
	p = found(sb, CCSB_HELPER_NET, &r, &e);
	is_str(p, net, "... back beside the exec helper");
	free(p);
	is_int(ccsb_sandbox_set_helper(sb, CCSB_HELPER_STATE, "relative/ccsb-state", &e), -EINVAL,
	       "a relative helper path is refused");
	ok(e && strstr(ccsb_error_message(e), "must be absolute"), "... saying so: %s",
	   ccsb_error_message(e));
	ccsb_error_free(e);
	e = NULL;
	is_int(ccsb_sandbox_set_helper(sb, (ccsb_helper)99, "/x", &e), -EINVAL,
	       "an unknown helper is refused");
	ccsb_error_free(e);
	e = NULL;
	is_int(ccsb_sandbox_set_helper(sb, CCSB_HELPER_BWRAP, "", &e), -EINVAL,
	       "an empty path is refused");
	ccsb_error_free(e);
	e = NULL;
	is_int(ccsb_sandbox_set_search_path(sb, NULL, &e), 0, "set_search_path(NULL)");
	p = NULL;
	is_int(ccsb_sandbox_find_program(sb, "ccsb-test-only-prog", &p, NULL), -ENOENT,
	       "... the default again");
	free(p);
	ccsb_sandbox_free(sb);
}

static void test_ids_and_userns(void)
{
	uid_t u = 7;
	gid_t g = 7;
	ccsb_default_ids(&u, &g);
	is_int(u, getuid() == 0 ? 1000 : getuid(), "default uid: the caller's, 1000 for root");
	is_int(g, getgid() == 0 ? 1000 : getgid(), "default gid: the caller's, 1000 for root");

	ccsb_userns_block b = 99;
	ccsb_error *e = NULL;
	int r = ccsb_check_userns(&b, &e);
	ok((r == 0 && b == CCSB_USERNS_OK && !e) || (r == -EPERM && b != CCSB_USERNS_OK && e &&
						     strstr(ccsb_error_message(e), "sysctl")),
	   "check_userns: OK, or a setting named with its fix (%d: %s)", (int)b,
	   ccsb_error_message(e));
	ccsb_error_free(e);
	is_int(ccsb_check_userns(NULL, NULL), r, "... the same without out parameters");
}

static void test_error_set(void)
{
	ccsb_error *e = NULL;
	is_int(ccsb_error_set(&e, ENOENT, "%s: %d", "x", 3), -ENOENT, "error_set returns -code");
	is_int(ccsb_error_code(e), ENOENT, "... the code");
	is_str(ccsb_error_message(e), "x: 3", "... the message");
	is_int(ccsb_error_set(&e, EINVAL, "second"), -EINVAL, "a second error returns its code");
	is_str(ccsb_error_message(e), "x: 3", "... and keeps the first");
	ccsb_error_free(e);
	is_int(ccsb_error_set(NULL, EPERM, "nowhere"), -EPERM, "NULL err: the code only");
	e = NULL;
	is_int(ccsb_error_set(&e, 0, "zero"), -EIO, "code 0 is EIO");
	ccsb_error_free(e);
}

int main(void)
{
	snprintf(dir, sizeof(dir), "/tmp/ccsb-test-host-XXXXXX");
	if (!mkdtemp(dir))
		bail_out("mkdtemp");
	chmod(dir, 0755);
	test_env_ignored();
	test_ids_and_userns();
	test_error_set();
	static const char *const names[] = { "bwrap",	 "slirp4netns", "ccsb-exec",
					     "ccsb-net", "ccsb-state",	"ccsb-test-only-prog" };
	for (size_t i = 0; i < sizeof(names) / sizeof(*names); i++) {
		char p[128];
		snprintf(p, sizeof(p), "%s/%s", dir, names[i]);
		unlink(p);
	}
	rmdir(dir);
	return done_testing();
}
