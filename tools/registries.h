/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The package registries the user's own tools are configured for, as host
 * names for the allowlist: npm's registry= and @scope:registry= lines,
 * pip's index-url and extra-index-url, cargo's registries and source
 * replacement, and the environment variables that set them.
 *
 * Only the host of each URL is kept. The files may hold credentials (npm
 * auth tokens, user:password@ in URLs): those are never copied out of the
 * read buffer, which is wiped before it is freed. Files the sandbox could
 * write (the project, a --rw bind) are never read: a name found there would
 * widen the next sandbox. Project-level files (./.npmrc, a venv's pip.conf,
 * ./.cargo/config.toml) are therefore not read at all. */
#ifndef CCSB_REGISTRIES_H
#define CCSB_REGISTRIES_H

#include <stddef.h>

struct reg_host {
	char *host; /* lower case, no trailing dot */
	char *from; /* the file or variable it came from */
};

struct reg_list {
	struct reg_host *v;
	size_t n;
};

/* The host of `url` (len bytes, need not be NUL-terminated): http:// or
 * https://, optionally after a cargo-style "sparse+" or "registry+"
 * prefix, and optionally quoted; user information and port are skipped;
 * brackets around an IPv6 literal removed. Written lower case into `host`
 * (hostlen bytes). Returns 0, or -1 when `url` is not such a URL, the host
 * is empty, too long or holds other characters than letters, digits, '.',
 * '-', '_' and ':' (IPv6). Pure. */
int reg_url_host(const char *url, size_t len, char *host, size_t hostlen);

/* Append to `out` the hosts named by the contents of one file (`buf`,
 * `len` bytes; `from` is copied into each entry). Lines whose value uses
 * ${VAR} are skipped (npm would expand them; ccsb does not guess). Returns
 * 0, or -1 when out of memory. Pure. */
int reg_parse_npmrc(const char *buf, size_t len, const char *from, struct reg_list *out);
int reg_parse_pipconf(const char *buf, size_t len, const char *from, struct reg_list *out);
int reg_parse_cargo(const char *buf, size_t len, const char *from, struct reg_list *out);
/* The variables: NPM_CONFIG_REGISTRY (and npm_config_registry),
 * PIP_INDEX_URL, PIP_EXTRA_INDEX_URL (space-separated),
 * CARGO_REGISTRIES_<NAME>_INDEX. `envp` is a NULL-terminated environment.
 * Pure. */
int reg_parse_env(char *const *envp, struct reg_list *out);

/* Read the standard locations: $NPM_CONFIG_USERCONFIG or ~/.npmrc,
 * $NPM_CONFIG_GLOBALCONFIG, /etc/npmrc, /usr/local/etc/npmrc; pip's
 * /etc/pip.conf, /etc/xdg/pip/pip.conf and $XDG_CONFIG_DIRS, ~/.pip/pip.conf,
 * $XDG_CONFIG_HOME/pip/pip.conf (~/.config/pip/pip.conf), $PIP_CONFIG_FILE;
 * $CARGO_HOME (~/.cargo)/config.toml and config; then reg_parse_env().
 * `home` may be NULL (then no ~ file is read). A file whose canonical path
 * lies at or below one of `roots` (canonical absolute paths: the current
 * directory, --rw binds) is skipped and named in `skipped` (a
 * newline-separated list; may be NULL). Missing and unreadable files are
 * skipped silently. Returns 0, or -1 when out of memory. */
int reg_collect(const char *home, char *const *envp, const char *const *roots, size_t nroots,
		struct reg_list *out, char *skipped, size_t skippedlen);

void reg_list_free(struct reg_list *l);

#endif
