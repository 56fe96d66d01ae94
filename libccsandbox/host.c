/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The host programs the library runs and where they are, the ids a
 * sandbox gets by default, and what keeps user namespaces from working:
 * facts the run, ccsb and `ccsb doctor` share. The library reads no
 * environment variable for any of them; the caller passes them in. */
#include "internal.h"
#include "proc.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char default_search_path[] = "/usr/local/bin:/usr/bin:/bin";

const char *ccsb__search_path(const ccsb_sandbox *sb)
{
	return sb->search_path ? sb->search_path : default_search_path;
}

int ccsb__search_program(const ccsb_sandbox *sb, const char *name, char *out, size_t len)
{
	return ccsb__find_program(name, ccsb__search_path(sb), out, len);
}

CCSB_EXPORT int ccsb_sandbox_set_search_path(ccsb_sandbox *sb, const char *path, ccsb_error **err)
{
	char *p = NULL;
	if (path && !(p = strdup(path)))
		return ccsb__err(err, ENOMEM, "out of memory");
	free(sb->search_path);
	sb->search_path = p;
	return 0;
}

static const char *const helper_names[] = {
	[CCSB_HELPER_BWRAP] = "bwrap",	    [CCSB_HELPER_SLIRP4NETNS] = "slirp4netns",
	[CCSB_HELPER_EXEC] = "ccsb-exec",   [CCSB_HELPER_NET] = "ccsb-net",
	[CCSB_HELPER_STATE] = "ccsb-state",
};

static bool known(ccsb_helper which)
{
	return (unsigned)which < N_ELEMENTS(helper_names);
}

CCSB_EXPORT int ccsb_sandbox_set_helper(ccsb_sandbox *sb, ccsb_helper which, const char *path,
					ccsb_error **err)
{
	if (!known(which))
		return ccsb__err(err, EINVAL, "unknown helper %d", (int)which);
	if (path && !*path)
		return ccsb__err(err, EINVAL, "%s: empty path", helper_names[which]);
	char **slot = NULL;
	switch (which) {
	case CCSB_HELPER_BWRAP:
		slot = &sb->bwrap;
		break;
	case CCSB_HELPER_SLIRP4NETNS:
		slot = &sb->slirp;
		break;
	case CCSB_HELPER_EXEC:
		slot = &sb->exec_helper;
		break;
	case CCSB_HELPER_NET:
		slot = &sb->net_helper;
		break;
	case CCSB_HELPER_STATE:
		slot = &sb->state_helper;
		break;
	}
	/* The ccsb helpers are bound into the sandbox or run by absolute
	 * path: a relative one would depend on the current directory. */
	if (path && which >= CCSB_HELPER_EXEC && path[0] != '/')
		return ccsb__err(err, EINVAL, "%s path '%s' must be absolute", helper_names[which],
				 path);
	const char *p = path;
	if (!p && which == CCSB_HELPER_EXEC)
		p = CCSB_LIBEXECDIR "/ccsb-exec";
	else if (!p && which <= CCSB_HELPER_SLIRP4NETNS)
		p = helper_names[which];
	char *copy = NULL;
	if (p && !(copy = strdup(p)))
		return ccsb__err(err, ENOMEM, "out of memory");
	free(*slot);
	*slot = copy;
	return 0;
}

int ccsb__helper_path(const ccsb_sandbox *sb, ccsb_helper which, char *buf, size_t len)
{
	const char *set = NULL;
	int n;
	switch (which) {
	case CCSB_HELPER_BWRAP:
		set = sb->bwrap;
		break;
	case CCSB_HELPER_SLIRP4NETNS:
		set = sb->slirp;
		break;
	case CCSB_HELPER_EXEC:
		set = sb->exec_helper;
		break;
	case CCSB_HELPER_NET:
		set = sb->net_helper;
		break;
	case CCSB_HELPER_STATE:
		set = sb->state_helper;
		break;
	default:
		return -EINVAL;
	}
	if (which <= CCSB_HELPER_SLIRP4NETNS)
		return ccsb__search_program(sb, set, buf, len);
	if (set) {
		n = snprintf(buf, len, "%s", set);
	} else {
		/* Installed in one directory, and a build's tests point the
		 * exec helper at the build tree. */
		const char *slash = strrchr(sb->exec_helper, '/');
		n = snprintf(buf, len, "%.*s/%s", slash ? (int)(slash - sb->exec_helper) : 0,
			     sb->exec_helper, helper_names[which]);
	}
	if (n < 0 || (size_t)n >= len)
		return -ENAMETOOLONG;
	return access(buf, X_OK) == 0 ? 0 : -errno;
}

CCSB_EXPORT int ccsb_sandbox_find_helper(const ccsb_sandbox *sb, ccsb_helper which, char **path,
					 ccsb_error **err)
{
	char buf[PATH_MAX];
	*path = NULL;
	if (!known(which))
		return ccsb__err(err, EINVAL, "unknown helper %d", (int)which);
	int r = ccsb__helper_path(sb, which, buf, sizeof(buf));
	if (r == -ENOENT && which <= CCSB_HELPER_SLIRP4NETNS &&
	    !strchr(which == CCSB_HELPER_BWRAP ? sb->bwrap : sb->slirp, '/'))
		return ccsb__err(err, ENOENT, "%s not found on the search path (%s)",
				 which == CCSB_HELPER_BWRAP ? sb->bwrap : sb->slirp,
				 ccsb__search_path(sb));
	if (r < 0)
		return ccsb__errno(err, -r, "%s: %s", helper_names[which], buf);
	if (!(*path = strdup(buf)))
		return ccsb__err(err, ENOMEM, "out of memory");
	return 0;
}

CCSB_EXPORT int ccsb_sandbox_find_program(const ccsb_sandbox *sb, const char *name, char **path,
					  ccsb_error **err)
{
	char buf[PATH_MAX];
	*path = NULL;
	if (!name || !*name)
		return ccsb__err(err, EINVAL, "empty program name");
	int r = ccsb__search_program(sb, name, buf, sizeof(buf));
	if (r == -ENOENT && !strchr(name, '/'))
		return ccsb__err(err, ENOENT, "%s not found on the search path (%s)", name,
				 ccsb__search_path(sb));
	if (r < 0)
		return ccsb__errno(err, -r, "%s", name);
	if (!(*path = strdup(buf)))
		return ccsb__err(err, ENOMEM, "out of memory");
	return 0;
}

CCSB_EXPORT void ccsb_default_ids(uid_t *uid, gid_t *gid)
{
	/* Claude Code refuses to run as root. */
	*uid = getuid() == 0 ? 1000 : getuid();
	*gid = getgid() == 0 ? 1000 : getgid();
}

static int read_int_file(const char *path)
{
	FILE *f = fopen(path, "re");
	int v = -1;
	if (f) {
		if (fscanf(f, "%d", &v) != 1)
			v = -1;
		fclose(f);
	}
	return v;
}

CCSB_EXPORT int ccsb_check_userns(ccsb_userns_block *which, ccsb_error **err)
{
	ccsb_userns_block b = CCSB_USERNS_OK;
	if (read_int_file("/proc/sys/kernel/apparmor_restrict_unprivileged_userns") == 1)
		b = CCSB_USERNS_APPARMOR;
	else if (read_int_file("/proc/sys/user/max_user_namespaces") == 0)
		b = CCSB_USERNS_MAX_ZERO;
	else if (read_int_file("/proc/sys/kernel/unprivileged_userns_clone") == 0)
		b = CCSB_USERNS_CLONE_OFF;
	if (which)
		*which = b;
	switch (b) {
	case CCSB_USERNS_APPARMOR:
		return ccsb__err(
			err, EPERM,
			"AppArmor restricts unprivileged user namespaces "
			"(kernel.apparmor_restrict_unprivileged_userns=1); allow bwrap with an "
			"AppArmor profile (see 'ccsb doctor' / README, Troubleshooting)");
	case CCSB_USERNS_MAX_ZERO:
		return ccsb__err(
			err, EPERM,
			"user namespaces are disabled (user.max_user_namespaces=0); enable "
			"them with 'sysctl -w user.max_user_namespaces=15000'");
	case CCSB_USERNS_CLONE_OFF:
		return ccsb__err(
			err, EPERM,
			"unprivileged user namespaces are disabled "
			"(kernel.unprivileged_userns_clone=0); enable them with 'sysctl -w "
			"kernel.unprivileged_userns_clone=1'");
	case CCSB_USERNS_OK:
		break;
	}
	return 0;
}
