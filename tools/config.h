/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* ccsb's configuration file, $XDG_CONFIG_HOME/ccsb/config (default
 * ~/.config/ccsb/config): "key = value" lines with the meaning of the
 * command-line options of the same name, applied before them.
 *
 * The file widens the sandbox, so it must be out of the sandbox's reach: a
 * file that the sandboxed command could write (inside the current directory,
 * a --rw bind, ~/.claude, ~/.npm, ~/.claude.json, or reached through a
 * symlink or directory that lies there) is refused, never read. */
#ifndef CCSB_CONFIG_H
#define CCSB_CONFIG_H

#include <stddef.h>

#include "cli.h"

/* Parse `len` bytes of `buf`; `name` is the file name used in messages.
 * Each key is a long option of the table in cli.c, applied by its handler.
 * `out` is overwritten: an empty struct cli (net -1, uid/gid -1) plus what
 * the file sets, its strings owned by `out` (freed by cli_free()). `home`
 * expands a leading "~/" in paths; NULL makes "~/" an error. Returns 0, or
 * -1 with "NAME:LINE: problem" in errbuf and `out` empty. Pure. */
int config_parse(const char *buf, size_t len, const char *name, const char *home, struct cli *out,
		 char *errbuf, size_t errlen);

/* Put `conf` (a parsed configuration) under `c` (the command line): the
 * command line's options are applied again, in order, over the file's, by
 * the same handlers (cli_apply()), so lists (binds, tmpfs, env, paths,
 * allowlist entries) get the file's entries first and a value set by both
 * comes from the command line; an --allow or --allow-file on the command
 * line selects the allowlist whatever the file says. `conf` is left empty;
 * its strings now belong to `c`. Returns 0, or -1 with a message (out of
 * memory; `c` is then unchanged). */
int config_merge(struct cli *c, struct cli *conf, char *errbuf, size_t errlen);

/* The configuration file's path from the environment: $XDG_CONFIG_HOME
 * when it is absolute (the XDG rule), else the home directory ($HOME, or the
 * password database) + "/.config". Returns 0, or -1 when there is no home. */
int config_path(char *out, size_t len);

/* Resolve absolute `path` component by component, as the kernel would, and
 * refuse it when any directory entry consulted on the way (a directory, a
 * symlink, the file itself) is one of `roots` or lies below one. `roots`
 * must be canonical (realpath) absolute paths. Returns 0 with the canonical
 * path in `resolved` (PATH_MAX bytes), 1 when a component does not exist,
 * -1 with a message otherwise. `what` names the file in messages. */
int config_check_path(const char *path, const char *const *roots, size_t nroots, const char *what,
		      char *resolved, char *errbuf, size_t errlen);

/* Refuse (-1 with a message) a file any directory of whose canonical path
 * `real`, or the file itself, belongs to another user than the caller or
 * root, or is writable by its group or others (a root-owned sticky
 * directory such as /tmp excepted). */
int config_check_owner(const char *real, char *errbuf, size_t errlen);

/* What main() does: find the file (config_path()), check that it is out of
 * the sandbox's reach (the current directory, ~/.claude, ~/.npm,
 * ~/.claude.json, and the --rw binds of `c` and of the file itself), read
 * it, parse it and merge it into `c`. The allow-file entries it names are
 * checked the same way, and every one must belong to the caller (or root)
 * and be writable by nobody else, along its whole canonical path
 * (config_check_owner()). No file is not an error. `used` (may be NULL)
 * receives the file's canonical path, or "" when there was none. Returns 0, or -1
 * with a message (ccsb exits 125). */
int config_load(struct cli *c, char *used, size_t usedlen, char *errbuf, size_t errlen);

/* When the configuration file's path (it need not exist) leads into a
 * directory the sandbox will share read-write (the current directory, the
 * --rw binds of `c`), the first entry on it below that directory must be
 * read-only inside, or the sandbox could write itself a configuration for
 * the next run elsewhere (~/.config/ccsb -> ~/dotfiles/ccsb, a session in
 * ~/dotfiles). Returns 1 with that entry's host path in `src` and its path
 * inside in `dest` (both `len` bytes), creating it empty when missing (the
 * directory, or the file when it is the last component); 0 when the path
 * does not lead into a shared directory; -1 with a message when it goes
 * through a symlink there (the sandbox could re-point it). An existing file
 * in such a place is refused by config_load() already. */
int config_protect(const struct cli *c, char *src, char *dest, size_t len, char *errbuf,
		   size_t errlen);

#endif
