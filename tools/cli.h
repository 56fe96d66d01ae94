/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* ccsb's option parser: fills a struct and reports errors instead of
 * exiting, so every case is unit-tested. */
#ifndef CCSB_CLI_H
#define CCSB_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

enum cli_action {
	CLI_RUN,
	CLI_HELP,
	CLI_VERSION,
	CLI_COMPLETE
};

struct cli_bind {
	char *src;  /* as given, without ":DEST"; owned */
	char *dest; /* NULL: same as src */
	bool rw;
};

struct cli {
	enum cli_action action;
	bool print, quiet, no_default_allowlist;
	int net; /* -1: not given; else a ccsb_net_mode */
	struct cli_bind *binds;
	size_t nbinds;
	const char **tmpfs, **env, **allow, **allow_files; /* borrowed from argv */
	size_t ntmpfs, nenv, nallow, nallow_files;
	long uid, gid; /* -1: not given */
	int tty;       /* -1: not given; else a ccsb_tty_mode */
	bool no_seccomp;
	int nested_userns;   /* -1: not given; 0: --no-nested-userns; 1: --nested-userns */
	int allow_clipboard; /* -1: not given; 1: --allow-clipboard */
	const char *log_net; /* --log-net=FILE; borrowed; NULL: none */
	const char *name;    /* --name=NAME; borrowed; NULL: none */
	const char *events;  /* --events=FILE|fd:N; borrowed; NULL: none */
	/* --ssh-agent[=KEYFILTER]: NULL off, "" every key, else the filter;
	 * borrowed (from argv, or owned by `owned`). */
	const char *ssh_agent;
	bool git_credentials; /* --git-credentials */
	const char **paths;   /* --path=DIR, in order; borrowed (or owned via `owned`) */
	size_t npaths;
	/* --memory, --pids: 0 not given, else a value for
	 * ccsb_sandbox_set_memory_max()/_set_pids_max() (CCSB_BOUND_NONE
	 * for "none"). */
	unsigned long long memory, pids;
	/* --publish=SPEC and --host-port=PORT[,PORT...], as given (checked);
	 * borrowed (or owned via `owned`). */
	const char **publish, **host_ports;
	size_t npublish, nhost_ports;
	char **cmd;    /* borrowed: the rest of argv */
	bool dashdash; /* a "--" came before the command ("ccsb -- doctor") */
	char **owned;  /* strings that cli_free() frees (the config file's) */
	size_t nowned;
	/* The command line's options in order, values borrowed from argv:
	 * config_merge() applies them again over the configuration. */
	struct cli_item {
		const struct cli_option *opt;
		const char *val;
	} * items;
	size_t nitems;
};

/* Where a value comes from: messages and "~/" expansion depend on it. */
enum cli_src {
	CLI_SRC_ARGV,
	CLI_SRC_CONFIG
};

/* What a handler gets besides the value. */
struct cli_ctx {
	const struct cli_option *opt;
	enum cli_src src;
	const char *home; /* config: expands a leading "~/"; NULL makes it an error */
	char *err;	  /* the handler's message: the problem only, the caller */
	size_t errlen;	  /* prefixes the option (cli_fail()) */
};

/* A value of an option that takes one of a few words (--net=MODE). */
struct cli_choice {
	const char *word;
	int value;
};

/* Where an option is accepted. */
#define CLI_ARGV 1u
#define CLI_CONFIG 2u
#define CLI_HIDDEN 4u /* left out of --help and the man page */

/* One option: the command line (getopt_long), the configuration file (the
 * key is the long name; a flag takes "true" or "false" there), --help and
 * the bash completion (ccsb --complete-options) are all made from this
 * table. Adding an option is one entry and its handler. */
struct cli_option {
	const char *name;    /* long name without "--", and the configuration key */
	char short_name;     /* 0: none */
	int has_arg;	     /* no_argument, required_argument, optional_argument */
	unsigned where;	     /* CLI_ARGV, CLI_CONFIG, CLI_HIDDEN */
	const char *section; /* not NULL: --help starts this section before it */
	const char *metavar; /* --help: "=PATH[:DEST]", "[=KEYFILTER]"; NULL for flags */
	const char *help;    /* --help text; '\n' continues it on the next line */
	/* The values: `choices` (NULL-terminated) are checked by
	 * cli_choose() and completed; else `complete`: "file", "dir", "var",
	 * "ssh-keys", or "words W1 W2..." (suggestions), or NULL. */
	const struct cli_choice *choices;
	const char *complete;
	/* Apply `val` to `c`: NULL for a flag given on the command line, or
	 * an optional value left out; "true"/"false" for a flag in the
	 * configuration file. Returns 0, or -1 with cli_fail(x->err, ...). */
	int (*apply)(struct cli *c, const char *val, const struct cli_ctx *x);
};

extern const struct cli_option cli_options[];
extern const size_t cli_noptions;

/* Parse argv. Returns 0, or -1 with a one-line message in errbuf. On
 * success free the result with cli_free(). */
int cli_parse(int argc, char **argv, struct cli *out, char *errbuf, size_t errlen);
void cli_free(struct cli *c);
/* Append a borrowed string to a list of the struct; -1 when out of memory. */
int cli_push(const char ***v, size_t *n, const char *s);
/* The option named `name` (a long name, no "--"), or NULL. */
const struct cli_option *cli_option_find(const char *name);
/* Apply one value of option `o` from `src` (see struct cli_option's
 * apply): checks a flag's "true"/"false" in the configuration, and
 * prefixes the handler's message with "--NAME=VALUE: " (command line) or
 * "WHERE: NAME 'VALUE': " (configuration; `where` is "FILE:LINE").
 * Returns 0 or -1 with the whole message in errbuf. */
int cli_apply(struct cli *c, const struct cli_option *o, const char *val, enum cli_src src,
	      const char *home, const char *where, char *errbuf, size_t len);
/* The visible option of `where` (CLI_ARGV, CLI_CONFIG) nearest to `word`
 * (up to "="), for "did you mean"; NULL when none is close. */
const char *cli_suggest(const char *word, unsigned where);
/* The ccsb_tty_mode that --tty's WORD names (the option table's words, also
 * for `ccsb exec --tty`), or -1. */
int cli_tty_mode(const char *word);

/* Set the "not given" values (net, ids, tty... -1), as cli_free() leaves them. */
void cli_init(struct cli *c);
/* The --help text, made from the table; free() it. NULL when out of memory. */
char *cli_usage(void);
/* What the bash completion reads (ccsb --complete-options): one line per
 * visible option, "--NAME", "--NAME=" when it takes a value, then " KIND"
 * as in struct cli_option's complete, or " words" and the choices. */
void cli_print_completion(FILE *f);
/* Format a one-line message into errbuf; returns -1, for `return cli_fail(...)`. */
int cli_fail(char *errbuf, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
