/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* ccsb_sandbox_has_program(): a path inside followed through the policy's
 * mounts and symlinks back to host files; ccsb_sandbox_add_path(): what it
 * binds and refuses. On a scratch tree in /tmp; no sandbox is started. */
#include "internal.h"
#include "tap.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char top[] = "/tmp/ccsb-toolchain-XXXXXX";

static void mk(const char *rel, const char *content, mode_t mode)
{
	char p[PATH_MAX];
	snprintf(p, sizeof(p), "%s/%s", top, rel);
	for (char *s = p + strlen(top) + 1; (s = strchr(s, '/')); s++) {
		*s = '\0';
		mkdir(p, 0755);
		*s = '/';
	}
	if (!content) {
		mkdir(p, mode);
		return;
	}
	FILE *f = fopen(p, "w");
	if (!f)
		bail_out("cannot create a scratch file");
	fputs(content, f);
	fclose(f);
	chmod(p, mode);
}

static void ln(const char *target, const char *rel)
{
	char p[PATH_MAX];
	snprintf(p, sizeof(p), "%s/%s", top, rel);
	if (symlink(target, p) < 0)
		bail_out("symlink");
}

static char *at(const char *rel)
{
	static char buf[4][PATH_MAX];
	static int i;
	i = (i + 1) % 4;
	snprintf(buf[i], PATH_MAX, "%s/%s", top, rel);
	return buf[i];
}

static bool has_mount(const ccsb_sandbox *sb, enum ccsb_mount_kind k, const char *dest)
{
	for (size_t i = 0; i < sb->nmounts; i++)
		if (sb->mounts[i].kind == k && strcmp(sb->mounts[i].dest, dest) == 0)
			return true;
	return false;
}

static const char *env_value(const ccsb_sandbox *sb, const char *name)
{
	for (size_t i = 0; i < sb->nenv; i++)
		if (strcmp(sb->env[i].name, name) == 0)
			return sb->env[i].value;
	return NULL;
}

static void test_has_program(void)
{
	ccsb_sandbox *sb = ccsb_sandbox_new();
	mk("sys/usr/bin/tool", "#!/bin/sh\n", 0755);
	mk("sys/usr/bin/data", "x", 0644);
	mk("sys/usr/lib/real-ed", "#!/bin/sh\n", 0755);
	ln("../lib/real-ed", "sys/usr/bin/ed");
	ln("/etc/alternatives-test/vi", "sys/usr/bin/vi");
	mk("alt/vi-impl", "#!/bin/sh\n", 0755);
	mk("alt/dir/vi", "#!/bin/sh\n", 0755);
	mk("hidden/secret-ed", "#!/bin/sh\n", 0755);
	ccsb_sandbox_add_bind(sb, at("sys/usr"), "/usr", CCSB_BIND_RO, NULL);
	ccsb_sandbox_add_symlink(sb, "usr/bin", "/bin", NULL);
	ccsb_sandbox_add_tmpfs(sb, "/home/claude", NULL);
	ccsb_sandbox_add_bind(sb, at("alt/dir"), "/home/claude/tools", CCSB_BIND_RO, NULL);
	ccsb_sandbox_env_set(sb, "PATH", "/usr/bin:/home/claude/tools", NULL);

	ok(ccsb_sandbox_has_program(sb, "tool"), "a name on PATH, in a bind");
	ok(ccsb_sandbox_has_program(sb, "/usr/bin/tool"), "an absolute path in a bind");
	ok(ccsb_sandbox_has_program(sb, "/bin/tool"),
	   "through a symlink the policy adds (/bin -> usr/bin)");
	ok(ccsb_sandbox_has_program(sb, "ed"), "through a relative symlink on the host");
	ok(!ccsb_sandbox_has_program(sb, "/usr/bin/vi"),
	   "a host symlink pointing where the sandbox has nothing");
	ok(ccsb_sandbox_has_program(sb, "/home/claude/tools/vi"), "a bind below a tmpfs");
	ok(ccsb_sandbox_has_program(sb, "vi"),
	   "a dangling /usr/bin/vi: the next PATH entry has it");
	ok(!ccsb_sandbox_has_program(sb, "data"), "a file that is not executable");
	ok(!ccsb_sandbox_has_program(sb, "nothing"), "a missing name");
	ok(!ccsb_sandbox_has_program(sb, at("hidden/secret-ed")),
	   "a host path the policy does not show");
	ok(!ccsb_sandbox_has_program(sb, "/home/claude/other"), "a path in a tmpfs");
	ok(!ccsb_sandbox_has_program(sb, "/usr/bin"), "a directory");
	ok(!ccsb_sandbox_has_program(sb, ""), "an empty name");
	ok(!ccsb_sandbox_has_program(NULL, "tool"), "no policy");
	ccsb_sandbox_set_cwd(sb, "/usr", NULL);
	ok(ccsb_sandbox_has_program(sb, "bin/tool"), "a relative path, from the working directory");
	ccsb_sandbox_env_set(sb, "PATH", "/home/claude/tools", NULL);
	ok(ccsb_sandbox_has_program(sb, "vi") && !ccsb_sandbox_has_program(sb, "tool"),
	   "the policy's PATH decides");
	ccsb_sandbox_free(sb);
}

static void test_add_path(void)
{
	char *in = NULL;
	ccsb_error *e = NULL;
	mk("home/.cargo/bin/cargo", "#!/bin/sh\n", 0755);
	mk("home/.cargo/credentials.toml", "token\n", 0600);
	mk("home/.rustup/toolchains/stable/bin/rustc", "#!/bin/sh\n", 0755);
	mk("home/.local/bin/x", "#!/bin/sh\n", 0755);
	mk("home/.local/bin/.netrc", "machine x password y\n", 0600);
	mk("home/.ssh/bin", NULL, 0755);
	setenv("HOME", at("home"), 1);
	unsetenv("CARGO_HOME");
	unsetenv("RUSTUP_HOME");

	ccsb_sandbox *sb = ccsb_sandbox_new();
	is_int(ccsb_sandbox_add_path(sb, at("home/.cargo/bin"), &in, &e), 0, "cargo: added");
	is_str(in, at("home/.cargo/bin"), "cargo: its bin/ goes on PATH");
	ok(has_mount(sb, CCSB_M_BIND, at("home/.cargo/bin")), "cargo: bin/ bound");
	ok(!has_mount(sb, CCSB_M_BIND, at("home/.cargo")), "cargo: never ~/.cargo itself");
	ok(has_mount(sb, CCSB_M_BIND, at("home/.rustup")), "cargo: ~/.rustup bound");
	is_str(env_value(sb, "CARGO_HOME"), "/home/claude/.cargo", "cargo: a private CARGO_HOME");
	is_str(env_value(sb, "RUSTUP_HOME"), at("home/.rustup"), "cargo: RUSTUP_HOME");
	free(in);
	in = NULL;
	ccsb_sandbox_free(sb);

	sb = ccsb_sandbox_new();
	is_int(ccsb_sandbox_add_path(sb, at("home/.local/bin"), &in, &e), 0, "~/.local/bin: added");
	ok(has_mount(sb, CCSB_M_FILE, at("home/.local/bin/.netrc")),
	   "... its .netrc covered by a file");
	free(in);
	in = NULL;
	ccsb_sandbox_free(sb);

	static const char *const refused[] = { "home", "", "home/.ssh/bin" };
	for (size_t i = 0; i < 3; i++) {
		sb = ccsb_sandbox_new();
		const char *d = refused[i][0] ? at(refused[i]) : top;
		is_int(ccsb_sandbox_add_path(sb, d, &in, &e), -EPERM, "refused: %s", d);
		ok(e && strstr(ccsb_error_message(e), "refusing --path="), "... %s",
		   ccsb_error_message(e));
		ok(in == NULL && sb->nmounts == 0, "... nothing added");
		ccsb_error_free(e);
		e = NULL;
		ccsb_sandbox_free(sb);
	}
	sb = ccsb_sandbox_new();
	is_int(ccsb_sandbox_add_path(sb, "/", &in, &e), -EPERM, "refused: /");
	ccsb_error_free(e);
	e = NULL;
	is_int(ccsb_sandbox_add_path(sb, "relative/bin", &in, &e), -EINVAL,
	       "a relative path: EINVAL");
	ccsb_error_free(e);
	e = NULL;
	is_int(ccsb_sandbox_add_path(sb, at("nonexistent"), &in, &e), -ENOENT,
	       "a missing directory: ENOENT");
	ccsb_error_free(e);
	e = NULL;
	is_int(ccsb_sandbox_add_path(sb, at("home/.local/bin/x"), &in, &e), -ENOTDIR,
	       "a file: ENOTDIR");
	ccsb_error_free(e);
	ccsb_sandbox_free(sb);
}

int main(void)
{
	if (!mkdtemp(top))
		bail_out("mkdtemp");
	test_has_program();
	test_add_path();
	char cmd[PATH_MAX + 16];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", top);
	if (system(cmd) != 0)
		diag("could not remove %s", top);
	return done_testing();
}
