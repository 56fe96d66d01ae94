/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The policy object: setters and pure helpers. Nothing here touches the
 * host. */
#include "internal.h"
#include "events.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

void ccsb__strv_free(char **v)
{
	if (!v)
		return;
	for (char **p = v; *p; p++)
		free(*p);
	free(v);
}

char **ccsb__strv_dup(char *const v[])
{
	size_t n = 0;
	while (v && v[n])
		n++;
	char **c = calloc(n + 1, sizeof(*c));
	for (size_t i = 0; c && i < n; i++) {
		if (!(c[i] = strdup(v[i]))) {
			ccsb__strv_free(c);
			return NULL;
		}
	}
	return c;
}

CCSB_EXPORT void ccsb_argv_free(char **argv)
{
	ccsb__strv_free(argv);
}

bool ccsb__path_ok(const char *p)
{
	if (!p || p[0] != '/' || strlen(p) >= PATH_MAX)
		return false;
	/* ".." could climb out of a destination bwrap creates, and "." hides
	 * nothing useful; both are refused so paths compare literally. */
	for (const char *c = p; *c;) {
		while (*c == '/')
			c++;
		size_t n = strcspn(c, "/");
		if ((n == 1 && c[0] == '.') || (n == 2 && c[0] == '.' && c[1] == '.'))
			return false;
		c += n;
	}
	return true;
}

CCSB_EXPORT ccsb_sandbox *ccsb_sandbox_new(void)
{
	ccsb_sandbox *sb = calloc(1, sizeof(*sb));
	if (!sb)
		return NULL;
	sb->uid = getuid();
	sb->gid = getgid();
	sb->user = strdup("claude");
	sb->home = strdup("/home/claude");
	sb->hostname = strdup("ccsb");
	sb->cwd = strdup("/");
	sb->bwrap = strdup("bwrap");
	sb->slirp = strdup("slirp4netns");
	/* No environment variable: the caller sets another (host.c). */
	sb->exec_helper = strdup(CCSB_LIBEXECDIR "/ccsb-exec");
	sb->net = CCSB_NET_NONE;
	sb->tty = CCSB_TTY_AUTO;
	sb->seccomp = true;
	sb->nested_userns = false;
	/* See proc_covers() in argv.c: they protect something only when the
	 * sandbox's uid is host root. */
	sb->proc_covers = getuid() == 0;
	sb->dns_log_fd = -1;
	sb->dns_summary_fd = -1;
	sb->report_fd = -1;
	ccsb__bounds_init(sb);
	sb->bounds_fd = -1;
	if (!sb->user || !sb->home || !sb->hostname || !sb->cwd || !sb->bwrap || !sb->slirp ||
	    !sb->exec_helper) {
		ccsb_sandbox_free(sb);
		return NULL;
	}
	return sb;
}

static void mount_clear(struct ccsb_mount *m)
{
	free(m->src);
	free(m->dest);
	free(m->data);
}

CCSB_EXPORT void ccsb_sandbox_free(ccsb_sandbox *sb)
{
	if (!sb)
		return;
	ccsb__broker_stop(sb);
	ccsb__relay_stop(sb);
	ccsb__etc_cache_release(sb);
	/* Any slirp4netns of earlier runs that has exited by now. */
	ccsb__reap_late();
	for (size_t i = 0; i < sb->nmounts; i++)
		mount_clear(&sb->mounts[i]);
	free(sb->mounts);
	ccsb_sandbox_env_clear(sb);
	free(sb->env);
	free(sb->user);
	free(sb->home);
	free(sb->hostname);
	free(sb->cwd);
	ccsb__session_stop(sb);
	free(sb->session_name);
	free(sb->bwrap);
	free(sb->slirp);
	free(sb->exec_helper);
	free(sb->net_helper);
	free(sb->state_helper);
	free(sb->search_path);
	ccsb__allowlist_free(&sb->allow);
	ccsb__allowlist_free(&sb->merged);
	ccsb__report_clear(sb);
	free(sb->report);
	ccsb__guard_free(sb);
	ccsb__broker_free_policy(sb);
	ccsb__relay_free_policy(sb);
	ccsb__state_free(sb->state);
	ccsb__events_free(sb->events);
	free(sb);
}

static int grow(void **v, size_t *cap, size_t n, size_t size)
{
	if (n < *cap)
		return 0;
	size_t ncap = *cap ? *cap * 2 : 16;
	void *nv = reallocarray(*v, ncap, size);
	if (!nv)
		return -ENOMEM;
	*v = nv;
	*cap = ncap;
	return 0;
}

static int add_mount(ccsb_sandbox *sb, enum ccsb_mount_kind kind, unsigned flags, const char *src,
		     const char *dest, const void *data, size_t len, ccsb_error **err)
{
	/* The source first: when no destination was given it is the source,
	 * and the message must name the host path. */
	if (kind == CCSB_M_BIND && !ccsb__path_ok(src))
		return ccsb__err(err, EINVAL,
				 "bad host path '%s': must be absolute, without '.' or '..'",
				 src ? src : "");
	if (!ccsb__path_ok(dest))
		return ccsb__err(err, EINVAL,
				 "bad sandbox path '%s': must be absolute, without '.' or '..'",
				 dest ? dest : "");
	if (kind == CCSB_M_SYMLINK && (!src || !*src))
		return ccsb__err(err, EINVAL, "empty symlink target for '%s'", dest);
	if (grow((void **)&sb->mounts, &sb->capmounts, sb->nmounts, sizeof(*sb->mounts)) < 0)
		return ccsb__err(err, ENOMEM, "out of memory");
	struct ccsb_mount m = { .kind = kind, .flags = flags, .len = len };
	m.dest = strdup(dest);
	m.src = src ? strdup(src) : NULL;
	if (data) {
		/* NUL-terminated too, so the data can be searched as text. */
		m.data = malloc(len + 1);
		if (m.data) {
			memcpy(m.data, data, len);
			m.data[len] = '\0';
		}
	}
	if (!m.dest || (src && !m.src) || (data && !m.data)) {
		mount_clear(&m);
		return ccsb__err(err, ENOMEM, "out of memory");
	}
	sb->mounts[sb->nmounts++] = m;
	return 0;
}

CCSB_EXPORT int ccsb_sandbox_add_bind(ccsb_sandbox *sb, const char *src, const char *dest,
				      unsigned flags, ccsb_error **err)
{
	if (!sb)
		return CCSB_NULL_SB(err);
	if (flags & ~(unsigned)(CCSB_BIND_RW | CCSB_BIND_DEV | CCSB_BIND_TRY))
		return ccsb__err(err, EINVAL, "unknown bind flags 0x%x", flags);
	/* A file already visible through a bind of its directory needs no
	 * mount of its own (each bind costs bwrap ~0.2 ms). */
	if (src && ccsb__path_ok(src) && ccsb__bind_redundant(sb, src, dest ? dest : src, flags))
		return 0;
	return add_mount(sb, CCSB_M_BIND, flags, src, dest ? dest : src, NULL, 0, err);
}

CCSB_EXPORT int ccsb_sandbox_add_tmpfs(ccsb_sandbox *sb, const char *dest, ccsb_error **err)
{
	if (!sb)
		return CCSB_NULL_SB(err);
	return add_mount(sb, CCSB_M_TMPFS, 0, NULL, dest, NULL, 0, err);
}

CCSB_EXPORT int ccsb_sandbox_add_dir(ccsb_sandbox *sb, const char *dest, ccsb_error **err)
{
	if (!sb)
		return CCSB_NULL_SB(err);
	return add_mount(sb, CCSB_M_DIR, 0, NULL, dest, NULL, 0, err);
}

CCSB_EXPORT int ccsb_sandbox_add_proc(ccsb_sandbox *sb, const char *dest, ccsb_error **err)
{
	if (!sb)
		return CCSB_NULL_SB(err);
	return add_mount(sb, CCSB_M_PROC, 0, NULL, dest, NULL, 0, err);
}

CCSB_EXPORT int ccsb_sandbox_add_dev(ccsb_sandbox *sb, const char *dest, ccsb_error **err)
{
	if (!sb)
		return CCSB_NULL_SB(err);
	return add_mount(sb, CCSB_M_DEV, 0, NULL, dest, NULL, 0, err);
}

CCSB_EXPORT int ccsb_sandbox_add_symlink(ccsb_sandbox *sb, const char *target, const char *dest,
					 ccsb_error **err)
{
	if (!sb)
		return CCSB_NULL_SB(err);
	return add_mount(sb, CCSB_M_SYMLINK, 0, target, dest, NULL, 0, err);
}

CCSB_EXPORT int ccsb_sandbox_add_file(ccsb_sandbox *sb, const char *dest, const void *data,
				      size_t len, ccsb_error **err)
{
	if (!sb)
		return CCSB_NULL_SB(err);
	if (!data && len)
		return ccsb__err(err, EINVAL, "no data for '%s'", dest ? dest : "");
	return add_mount(sb, CCSB_M_FILE, 0, NULL, dest, data ? data : "", len, err);
}

int ccsb__add_file_copy(ccsb_sandbox *sb, const char *src, const char *dest, unsigned perms,
			ccsb_error **err)
{
	if (!ccsb__path_ok(src))
		return ccsb__err(err, EINVAL,
				 "bad host path '%s': must be absolute, without '.' or '..'",
				 src ? src : "");
	int r = add_mount(sb, CCSB_M_FILE, 0, src, dest, NULL, 0, err);
	if (r == 0)
		sb->mounts[sb->nmounts - 1].perms = perms & 0777;
	return r;
}

int ccsb__add_special(ccsb_sandbox *sb, enum ccsb_mount_kind kind, const char *dest,
		      ccsb_error **err)
{
	return add_mount(sb, kind, 0, NULL, dest, NULL, 0, err);
}

int ccsb__add_ro_empty_dir(ccsb_sandbox *sb, const char *dest, ccsb_error **err)
{
	return add_mount(sb, CCSB_M_TMPFS, CCSB_MOUNT_RDONLY, NULL, dest, NULL, 0, err);
}

/* ---- environment ----------------------------------------------------- */

static bool env_name_ok(const char *name, bool pattern)
{
	if (!name || !*name)
		return false;
	for (const char *c = name; *c; c++) {
		if (pattern && *c == '*' && c[1] == '\0' && c != name)
			return true;
		if (!(*c == '_' || (*c >= 'A' && *c <= 'Z') || (*c >= 'a' && *c <= 'z') ||
		      (c != name && *c >= '0' && *c <= '9')))
			return false;
	}
	return true;
}

CCSB_EXPORT void ccsb_sandbox_env_clear(ccsb_sandbox *sb)
{
	if (!sb)
		return;
	for (size_t i = 0; i < sb->nenv; i++) {
		free(sb->env[i].name);
		free(sb->env[i].value);
	}
	sb->nenv = 0;
}

static int env_put(ccsb_sandbox *sb, const char *name, const char *value, ccsb_error **err)
{
	if (!env_name_ok(name, value == NULL))
		return ccsb__err(err, EINVAL, "bad environment variable name '%s'",
				 name ? name : "");
	/* The last word wins: drop an earlier entry with the same name. */
	for (size_t i = 0; i < sb->nenv; i++) {
		if (strcmp(sb->env[i].name, name) == 0) {
			free(sb->env[i].name);
			free(sb->env[i].value);
			memmove(&sb->env[i], &sb->env[i + 1],
				(sb->nenv - i - 1) * sizeof(*sb->env));
			sb->nenv--;
			break;
		}
	}
	if (grow((void **)&sb->env, &sb->capenv, sb->nenv, sizeof(*sb->env)) < 0)
		return ccsb__err(err, ENOMEM, "out of memory");
	struct ccsb_envent e = { strdup(name), value ? strdup(value) : NULL };
	if (!e.name || (value && !e.value)) {
		free(e.name);
		free(e.value);
		return ccsb__err(err, ENOMEM, "out of memory");
	}
	sb->env[sb->nenv++] = e;
	return 0;
}

CCSB_EXPORT int ccsb_sandbox_env_pass(ccsb_sandbox *sb, const char *name, ccsb_error **err)
{
	if (!sb)
		return CCSB_NULL_SB(err);
	return env_put(sb, name, NULL, err);
}

CCSB_EXPORT int ccsb_sandbox_env_set(ccsb_sandbox *sb, const char *name, const char *value,
				     ccsb_error **err)
{
	if (!sb)
		return CCSB_NULL_SB(err);
	if (!value)
		return ccsb__err(err, EINVAL, "no value for environment variable '%s'",
				 name ? name : "");
	return env_put(sb, name, value, err);
}

static bool env_matches(const struct ccsb_envent *e, const char *hostvar)
{
	size_t n = strlen(e->name);
	if (n && e->name[n - 1] == '*')
		return strncmp(hostvar, e->name, n - 1) == 0 && strchr(hostvar, '=');
	return strncmp(hostvar, e->name, n) == 0 && hostvar[n] == '=';
}

int ccsb__env_build(const ccsb_sandbox *sb, char *const host[], char ***out)
{
	size_t nhost = 0;
	while (host && host[nhost])
		nhost++;
	/* Upper bound: every setting plus every host variable. */
	char **v = calloc(sb->nenv + nhost + 1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	size_t n = 0;
	for (size_t i = 0; i < sb->nenv; i++) {
		const struct ccsb_envent *e = &sb->env[i];
		if (e->value) {
			if (asprintf(&v[n], "%s=%s", e->name, e->value) < 0)
				goto oom;
			n++;
			continue;
		}
		for (size_t h = 0; h < nhost; h++) {
			if (!env_matches(e, host[h]))
				continue;
			/* A pattern must not re-add what an explicit setting owns. */
			size_t len = strcspn(host[h], "=");
			bool dup = false;
			for (size_t k = 0; k < n && !dup; k++)
				dup = strncmp(v[k], host[h], len + 1) == 0;
			for (size_t k = 0; k < sb->nenv && !dup; k++)
				dup = sb->env[k].value && strlen(sb->env[k].name) == len &&
				      strncmp(sb->env[k].name, host[h], len) == 0;
			if (dup)
				continue;
			if (!(v[n] = strdup(host[h])))
				goto oom;
			n++;
		}
	}
	*out = v;
	return 0;
oom:
	ccsb__strv_free(v);
	return -ENOMEM;
}

/* ---- identity and the rest ------------------------------------------- */

static int set_str(char **slot, const char *value, const char *what, bool path, ccsb_error **err)
{
	if (!value || !*value)
		return ccsb__err(err, EINVAL, "empty %s", what);
	if (path && !ccsb__path_ok(value))
		return ccsb__err(err, EINVAL, "bad %s '%s': must be absolute, without '.' or '..'",
				 what, value);
	if (strchr(value, '\n'))
		return ccsb__err(err, EINVAL, "bad %s: contains a newline", what);
	char *c = strdup(value);
	if (!c)
		return ccsb__err(err, ENOMEM, "out of memory");
	free(*slot);
	*slot = c;
	return 0;
}

CCSB_EXPORT int ccsb_sandbox_set_identity(ccsb_sandbox *sb, uid_t uid, gid_t gid, const char *user,
					  const char *home, ccsb_error **err)
{
	if (!sb)
		return CCSB_NULL_SB(err);
	if (user) {
		/* The name lands in passwd and group: keep it to a portable set. */
		bool digits = *user != '\0';
		for (const char *c = user; *c; c++) {
			if (!(*c == '_' || *c == '-' || *c == '.' || (*c >= 'a' && *c <= 'z') ||
			      (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9')))
				return ccsb__err(err, EINVAL, "bad user name '%s'", user);
			digits = digits && *c >= '0' && *c <= '9';
		}
		/* All digits would read as a uid; a leading '-' as an option;
		 * "." and ".." as paths. */
		if (digits || user[0] == '-' || strcmp(user, ".") == 0 || strcmp(user, "..") == 0)
			return ccsb__err(err, EINVAL, "bad user name '%s'", user);
		int r = set_str(&sb->user, user, "user name", false, err);
		if (r < 0)
			return r;
	}
	if (home) {
		if (strchr(home, ':'))
			return ccsb__err(err, EINVAL, "bad home '%s': contains ':'", home);
		int r = set_str(&sb->home, home, "home directory", true, err);
		if (r < 0)
			return r;
	}
	if (uid != (uid_t)-1)
		sb->uid = uid;
	if (gid != (gid_t)-1)
		sb->gid = gid;
	return 0;
}

CCSB_EXPORT int ccsb_sandbox_set_hostname(ccsb_sandbox *sb, const char *name, ccsb_error **err)
{
	if (!sb)
		return CCSB_NULL_SB(err);
	/* It lands in /etc/hosts and /etc/hostname: one RFC 1123 name. */
	for (const char *c = name ? name : ""; *c; c++)
		if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
		      (*c >= '0' && *c <= '9') || *c == '-' || *c == '.') ||
		    c - name >= 63)
			return ccsb__err(err, EINVAL,
					 "bad host name: use letters, digits, '-' and '.'");
	if (name && name[0] == '-')
		return ccsb__err(err, EINVAL, "bad host name: must not start with '-'");
	return set_str(&sb->hostname, name, "host name", false, err);
}

CCSB_EXPORT int ccsb_sandbox_set_cwd(ccsb_sandbox *sb, const char *path, ccsb_error **err)
{
	if (!sb)
		return CCSB_NULL_SB(err);
	return set_str(&sb->cwd, path, "working directory", true, err);
}

CCSB_EXPORT int ccsb_sandbox_set_bwrap(ccsb_sandbox *sb, const char *path, ccsb_error **err)
{
	if (!sb)
		return CCSB_NULL_SB(err);
	return set_str(&sb->bwrap, path, "bwrap path", false, err);
}

CCSB_EXPORT int ccsb_sandbox_set_name_ttl_floor(ccsb_sandbox *sb, unsigned seconds,
						ccsb_error **err)
{
	if (!sb || seconds > 86400)
		return ccsb__err(err, EINVAL, "name binding TTL floor %u: at most 86400 seconds",
				 seconds);
	sb->name_ttl_floor = seconds;
	return 0;
}

CCSB_EXPORT int ccsb_sandbox_set_etc_cache(ccsb_sandbox *sb, unsigned flags, ccsb_error **err)
{
	if (!sb)
		return CCSB_NULL_SB(err);
	if (flags & ~(CCSB_ETC_CACHE_OFF | CCSB_ETC_CACHE_EXPLAIN))
		return ccsb__err(err, EINVAL, "etc cache flags %#x: unknown bits", flags);
	sb->etc_cache_flags = flags;
	return 0;
}

CCSB_EXPORT int ccsb_sandbox_set_slirp(ccsb_sandbox *sb, const char *path, ccsb_error **err)
{
	if (!sb)
		return CCSB_NULL_SB(err);
	return set_str(&sb->slirp, path, "slirp4netns path", false, err);
}

CCSB_EXPORT int ccsb_sandbox_set_exec_helper(ccsb_sandbox *sb, const char *path, ccsb_error **err)
{
	if (!sb)
		return CCSB_NULL_SB(err);
	return set_str(&sb->exec_helper, path, "exec helper path", true, err);
}

/* The sandbox's resolv.conf follows the network mode: replace the one an
 * earlier call made. */
static int set_resolv(ccsb_sandbox *sb, ccsb_net_mode mode, ccsb_error **err)
{
	for (size_t i = 0; i < sb->nmounts; i++) {
		if (sb->mounts[i].kind == CCSB_M_FILE && (sb->mounts[i].flags & CCSB_MOUNT_AUTO)) {
			mount_clear(&sb->mounts[i]);
			memmove(&sb->mounts[i], &sb->mounts[i + 1],
				(sb->nmounts - i - 1) * sizeof(*sb->mounts));
			sb->nmounts--;
			break;
		}
	}
	/* The allowlist mode's names are resolved by the library's filter,
	 * listening on the sandbox's own loopback; slirp's forwarder would
	 * resolve any name (pitfall 4). --net=none gets an unroutable
	 * server, so that lookups fail fast (see CCSB_NONE_DNS). */
	static const char resolv_slirp[] = "nameserver " CCSB_SLIRP_DNS "\n";
	static const char resolv_filter[] = "nameserver " CCSB_FILTER_DNS "\n";
	static const char resolv_none[] =
		"# ccsb --net=none: no network; this address has no route, so that\n"
		"# name lookups fail at once.\n"
		"nameserver " CCSB_NONE_DNS "\n";
	const char *resolv = mode == CCSB_NET_ALLOWLIST ? resolv_filter
			     : mode == CCSB_NET_FULL	? resolv_slirp
							: resolv_none;
	return add_mount(sb, CCSB_M_FILE, CCSB_MOUNT_AUTO, NULL, "/etc/resolv.conf", resolv,
			 strlen(resolv), err);
}

CCSB_EXPORT int ccsb_sandbox_set_net(ccsb_sandbox *sb, ccsb_net_mode mode, ccsb_error **err)
{
	if (!sb)
		return CCSB_NULL_SB(err);
	if (mode != CCSB_NET_NONE && mode != CCSB_NET_FULL && mode != CCSB_NET_ALLOWLIST)
		return ccsb__err(err, EINVAL, "unknown network mode %d", (int)mode);
	int r = set_resolv(sb, mode, err);
	if (r < 0)
		return r;
	sb->net = mode;
	return 0;
}

CCSB_EXPORT void ccsb_sandbox_set_dns_log(ccsb_sandbox *sb, int log_fd, int summary_fd)
{
	if (!sb)
		return;
	sb->dns_log_fd = log_fd;
	sb->dns_summary_fd = summary_fd;
}

CCSB_EXPORT ccsb_net_mode ccsb_sandbox_get_net(const ccsb_sandbox *sb)
{
	if (!sb)
		return CCSB_NET_NONE;
	return sb->net;
}

CCSB_EXPORT int ccsb_sandbox_set_tty(ccsb_sandbox *sb, ccsb_tty_mode mode, ccsb_error **err)
{
	if (!sb)
		return CCSB_NULL_SB(err);
	if (mode != CCSB_TTY_AUTO && mode != CCSB_TTY_ON && mode != CCSB_TTY_OFF)
		return ccsb__err(err, EINVAL, "unknown terminal mode %d", (int)mode);
	sb->tty = mode;
	return 0;
}

CCSB_EXPORT void ccsb_sandbox_set_seccomp(ccsb_sandbox *sb, bool enable)
{
	if (!sb)
		return;
	sb->seccomp = enable;
}

CCSB_EXPORT void ccsb_sandbox_set_nested_userns(ccsb_sandbox *sb, bool allow)
{
	if (!sb)
		return;
	sb->nested_userns = allow;
}

CCSB_EXPORT void ccsb_sandbox_set_allow_clipboard(ccsb_sandbox *sb, bool allow)
{
	if (!sb)
		return;
	sb->allow_clipboard = allow;
}

char *ccsb__passwd_line(const char *user, uid_t uid, gid_t gid, const char *home, const char *shell)
{
	char *s = NULL;
	if (asprintf(&s, "%s:x:%u:%u:%s:%s:%s\n", user, (unsigned)uid, (unsigned)gid, user, home,
		     shell) < 0)
		return NULL;
	return s;
}

char *ccsb__group_line(const char *user, gid_t gid)
{
	char *s = NULL;
	if (asprintf(&s, "%s:x:%u:\n", user, (unsigned)gid) < 0)
		return NULL;
	return s;
}
