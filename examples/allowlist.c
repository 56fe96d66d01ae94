/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * An embedder with its own policy, built from scratch rather than from
 * ccsb_sandbox_apply_defaults(): the system directories read-only, fresh
 * /proc, /dev and /tmp, a fixed PATH and nothing else of the host, with a
 * network that reaches only the addresses given on the command line.
 *
 *     cc allowlist.c $(pkg-config --cflags --libs libccsandbox) -o allowlist
 *     ./allowlist 192.0.2.0/24 2001:db8::/32 -- curl https://192.0.2.10/
 */
#include <ccsandbox.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* /usr, and the top-level directories that merged-/usr systems make symlinks
 * into it: recreate the symlinks, bind the real directories. */
static int add_system(ccsb_sandbox *sb, ccsb_error **err)
{
	static const char *const top[] = { "/bin", "/sbin", "/lib", "/lib64", "/lib32" };
	int r = ccsb_sandbox_add_bind(sb, "/usr", NULL, CCSB_BIND_RO, err);

	for (size_t i = 0; r == 0 && i < sizeof(top) / sizeof(*top); i++) {
		struct stat st;
		char target[PATH_MAX];
		ssize_t n;

		if (lstat(top[i], &st) < 0)
			continue;
		if (S_ISLNK(st.st_mode)) {
			n = readlink(top[i], target, sizeof(target) - 1);
			if (n <= 0)
				continue;
			target[n] = '\0';
			r = ccsb_sandbox_add_symlink(sb, target, top[i], err);
		} else if (S_ISDIR(st.st_mode)) {
			r = ccsb_sandbox_add_bind(sb, top[i], NULL, CCSB_BIND_RO, err);
		}
	}
	return r;
}

static int configure(ccsb_sandbox *sb, char **entries, int nentries, ccsb_error **err)
{
	int r = add_system(sb, err);

	if (r == 0)
		r = ccsb_sandbox_add_proc(sb, "/proc", err);
	if (r == 0)
		r = ccsb_sandbox_add_dev(sb, "/dev", err);
	if (r == 0)
		r = ccsb_sandbox_add_tmpfs(sb, "/tmp", err);
	if (r == 0)
		r = ccsb_sandbox_set_cwd(sb, "/tmp", err);
	if (r == 0)
		r = ccsb_sandbox_env_set(sb, "PATH", "/usr/bin:/bin", err);
	if (r == 0)
		r = ccsb_sandbox_set_net(sb, CCSB_NET_ALLOWLIST, err);
	for (int i = 0; r == 0 && i < nentries; i++)
		r = ccsb_sandbox_allow(sb, entries[i], err);
	return r;
}

int main(int argc, char *argv[])
{
	int sep = 1;

	while (sep < argc && strcmp(argv[sep], "--") != 0)
		sep++;
	if (sep + 1 >= argc) {
		fprintf(stderr, "usage: %s [ADDRESS[/LEN]...] -- COMMAND [ARG...]\n", argv[0]);
		return 125;
	}

	ccsb_error *err = NULL;
	ccsb_sandbox *sb = ccsb_sandbox_new();
	if (!sb) {
		fprintf(stderr, "%s: out of memory\n", argv[0]);
		return 125;
	}
	/* The library reads no environment variable: the embedder says where
	 * its helper is (here from CCSB_EXEC_HELPER, as ccsb does; unset: the
	 * installed one). */
	const char *helper = getenv("CCSB_EXEC_HELPER");
	int r = ccsb_sandbox_set_helper(sb, CCSB_HELPER_EXEC, helper && *helper ? helper : NULL,
					&err);
	if (r == 0)
		r = configure(sb, argv + 1, sep - 1, &err);
	if (r == 0) {
		size_t given, merged;

		ccsb_sandbox_allowlist_count(sb, &given, &merged);
		printf("allowlist: %zu entries, %zu routes\n", given, merged);
		/* The command writes to the same stdout. */
		fflush(stdout);
		r = ccsb_sandbox_run(sb, argv + sep + 1, &err);
	}
	if (r < 0) {
		fprintf(stderr, "%s: %s\n", argv[0], ccsb_error_message(err));
		r = 125;
	}
	ccsb_error_free(err);
	ccsb_sandbox_free(sb);
	return r;
}
