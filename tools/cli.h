/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* ccsb's option parser: fills a struct and reports errors instead of
 * exiting, so every case is unit-tested. */
#ifndef CCSB_CLI_H
#define CCSB_CLI_H

#include <stdbool.h>
#include <stddef.h>

enum cli_action { CLI_RUN, CLI_HELP, CLI_VERSION };

struct cli_bind {
	char *src;        /* as given, without ":DEST"; owned */
	char *dest;       /* NULL: same as src */
	bool rw;
};

struct cli {
	enum cli_action action;
	bool print, quiet, no_default_allowlist;
	int net;          /* -1: not given; else a ccsb_net_mode */
	struct cli_bind *binds;
	size_t nbinds;
	const char **tmpfs, **env, **allow, **allow_files; /* borrowed from argv */
	size_t ntmpfs, nenv, nallow, nallow_files;
	long uid, gid;    /* -1: not given */
	int tty;          /* -1: not given; else a ccsb_tty_mode */
	bool no_seccomp;
	int nested_userns;   /* -1: not given; 0: --no-nested-userns; 1: --nested-userns */
	int allow_clipboard; /* -1: not given; 1: --allow-clipboard */
	const char *log_net; /* --log-net=FILE; borrowed; NULL: none */
	/* --ssh-agent[=KEYFILTER]: NULL off, "" every key, else the filter;
	 * borrowed (from argv, or owned by `owned`). */
	const char *ssh_agent;
	bool git_credentials; /* --git-credentials */
	const char **paths; /* --path=DIR, in order; borrowed (or owned via `owned`) */
	size_t npaths;
	/* --memory, --pids: 0 not given, else a value for
	 * ccsb_sandbox_set_memory_max()/_set_pids_max() (CCSB_BOUND_NONE
	 * for "none"). */
	unsigned long long memory, pids;
	char **cmd;       /* borrowed: the rest of argv */
	bool dashdash;    /* a "--" came before the command ("ccsb -- doctor") */
	char **owned;     /* strings that cli_free() frees (the config file's) */
	size_t nowned;
};

/* Parse argv. Returns 0, or -1 with a one-line message in errbuf. On
 * success free the result with cli_free(). */
int cli_parse(int argc, char **argv, struct cli *out, char *errbuf, size_t errlen);
void cli_free(struct cli *c);
/* Append a borrowed string to a list of the struct; -1 when out of memory. */
int cli_push(const char ***v, size_t *n, const char *s);
/* Parse a --memory/--pids value (`opt` names it in messages): "none", or
 * for memory a number of bytes with an optional K, M, G or T suffix
 * (powers of 1024, "KiB" and "KB" spellings too), for pids a number.
 * 0 or -1 with a message. */
int cli_parse_memory(const char *opt, const char *arg, unsigned long long *out, char *errbuf,
		     size_t len);
int cli_parse_pids(const char *opt, const char *arg, unsigned long long *out, char *errbuf,
		   size_t len);
/* Format a one-line message into errbuf; returns -1, for `return cli_fail(...)`. */
int cli_fail(char *errbuf, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
extern const char cli_usage[];

#endif
