/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ccsandbox.h"
#include "ports.h"

#define N_ELEMENTS(a) (sizeof(a) / sizeof((a)[0]))

static const char usage_head[] =
	"Usage: ccsb [OPTION...] [--] COMMAND [ARG...]\n"
	"       ccsb [OPTION...] claude [ARG...]\n"
	"       ccsb [OPTION...] bash\n"
	"       ccsb doctor\n"
	"       ccsb ps [-v]\n"
	"       ccsb events [--follow] NAME\n"
	"       ccsb exec [OPTION...] NAME [--] COMMAND [ARG...]\n"
	"Run a command in a sandbox: the current directory and Claude Code's state\n"
	"are writable, the system is read-only, the rest of your home is hidden.\n"
	"`ccsb doctor` checks what ccsb needs and prints the fix for each problem.\n"
	"`ccsb ps` lists your sandboxes started with --name and what their events say\n"
	"(-v: the last few); `ccsb events NAME` prints a sandbox's event stream;\n"
	"`ccsb exec NAME CMD` runs CMD inside the running sandbox NAME, with its policy.\n"
	"\n";

static const char usage_tail[] =
	"\n"
	"Configuration: ~/.config/ccsb/config (or $XDG_CONFIG_HOME/ccsb/config),\n"
	"lines like \"net = full\" or \"ro = ~/data\": the keys are the long options\n"
	"above (a flag takes true or false); command-line options come after.\n"
	"Exit status: the command's; 128+N if it died of signal N; 127 not found;\n"
	"126 not executable; 125 when ccsb itself fails.\n";

int cli_fail(char *errbuf, size_t len, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(errbuf, len, fmt, ap);
	va_end(ap);
	return -1;
}

int cli_push(const char ***v, size_t *n, const char *s)
{
	const char **nv = reallocarray(*v, *n + 1, sizeof(*nv));
	if (!nv)
		return -1;
	nv[(*n)++] = s;
	*v = nv;
	return 0;
}

/* Record `s` as owned by `c`; on failure `s` is freed. */
static char *own(struct cli *c, char *s)
{
	if (!s)
		return NULL;
	char **v = reallocarray(c->owned, c->nowned + 1, sizeof(*v));
	if (!v) {
		free(s);
		return NULL;
	}
	c->owned = v;
	c->owned[c->nowned++] = s;
	return s;
}

static int oom(const struct cli_ctx *x)
{
	return cli_fail(x->err, x->errlen, "out of memory");
}

/* `val` for keeping in `c`: borrowed from argv, which outlives it; a copy
 * owned by `c` when it comes from the file. NULL when out of memory. */
static const char *keep(struct cli *c, const char *val, const struct cli_ctx *x)
{
	return x->src == CLI_SRC_ARGV ? val : own(c, strdup(val));
}

/* A host path, allocated: as given on the command line (ccsb resolves it
 * against the current directory); in the file absolute or "~/..." below
 * the home, since a relative path would depend on where ccsb starts.
 * NULL with the message in x->err. */
static char *host_path(const char *v, const struct cli_ctx *x)
{
	char *out = NULL;
	if (x->src == CLI_SRC_ARGV || v[0] == '/')
		out = strdup(v);
	else if (v[0] == '~' && (v[1] == '/' || v[1] == '\0')) {
		if (!x->home) {
			cli_fail(x->err, x->errlen, "'~' used but there is no home directory");
			return NULL;
		}
		if (asprintf(&out, "%s%s", x->home, v + 1) < 0)
			out = NULL;
	} else {
		cli_fail(x->err, x->errlen, "must be an absolute path or start with ~/");
		return NULL;
	}
	if (!out)
		oom(x);
	return out;
}

/* host_path(), kept by `c` (borrowed from argv, else owned). */
static const char *keep_path(struct cli *c, const char *v, const struct cli_ctx *x)
{
	if (x->src == CLI_SRC_ARGV)
		return v;
	char *p = host_path(v, x);
	return p ? own(c, p) : NULL;
}

/* A flag's value: given on the command line, or "true" in the file
 * (cli_apply() has refused anything but "true" and "false"). */
static bool on(const char *val)
{
	return !val || strcmp(val, "true") == 0;
}

/* Set *out to the value of the choice named `val`, or fail listing them. */
static int choose(const char *val, int *out, const struct cli_ctx *x)
{
	const struct cli_choice *ch = x->opt->choices;
	char list[256] = "";
	size_t n = 0;
	for (size_t i = 0; ch[i].word; i++) {
		if (strcmp(ch[i].word, val) == 0) {
			*out = ch[i].value;
			return 0;
		}
		n++;
	}
	for (size_t i = 0; i < n; i++) {
		size_t l = strlen(list);
		snprintf(list + l, sizeof(list) - l, "%s%s", ch[i].word,
			 i + 2 < n    ? ", "
			 : i + 2 == n ? " or "
				      : "");
	}
	return cli_fail(x->err, x->errlen, "unknown mode (use %s)", list);
}

static int push(struct cli *c, const char ***v, size_t *n, const char *s, const struct cli_ctx *x)
{
	if (!s)
		return x->err[0] ? -1 : oom(x);
	return cli_push(v, n, s) < 0 ? oom(x) : 0;
}

/* --ro, --rw: PATH[:DEST]. */
static int apply_bind(struct cli *c, const char *val, const struct cli_ctx *x)
{
	const char *colon = strchr(val, ':');
	size_t srclen = colon ? (size_t)(colon - val) : strlen(val);
	if (srclen == 0)
		return cli_fail(x->err, x->errlen, "empty path");
	if (colon && colon[1] != '/')
		return cli_fail(x->err, x->errlen, "destination must be an absolute path");
	struct cli_bind *nb = reallocarray(c->binds, c->nbinds + 1, sizeof(*nb));
	if (!nb)
		return oom(x);
	c->binds = nb;
	char *src0 = strndup(val, srclen);
	char *src = src0 ? host_path(src0, x) : NULL;
	char *dest = colon && src ? strdup(colon + 1) : NULL;
	free(src0);
	if (!src || (colon && !dest)) {
		free(src);
		return x->err[0] ? -1 : oom(x);
	}
	c->binds[c->nbinds++] = (struct cli_bind){ .src = src,
						   .dest = dest,
						   .rw = strcmp(x->opt->name, "rw") == 0 };
	return 0;
}

static int apply_tmpfs(struct cli *c, const char *val, const struct cli_ctx *x)
{
	if (val[0] != '/')
		return cli_fail(x->err, x->errlen, "must be an absolute path");
	return push(c, &c->tmpfs, &c->ntmpfs, keep(c, val, x), x);
}

static int apply_env(struct cli *c, const char *val, const struct cli_ctx *x)
{
	if (!val[0] || val[0] == '=')
		return cli_fail(x->err, x->errlen, "missing variable name");
	return push(c, &c->env, &c->nenv, keep(c, val, x), x);
}

static int apply_path(struct cli *c, const char *val, const struct cli_ctx *x)
{
	if (!*val)
		return cli_fail(x->err, x->errlen, "empty directory name");
	return push(c, &c->paths, &c->npaths, keep_path(c, val, x), x);
}

static int apply_net(struct cli *c, const char *val, const struct cli_ctx *x)
{
	return choose(val, &c->net, x);
}

/* Checked now, so that a bad entry is reported with its option or line. */
static int apply_allow(struct cli *c, const char *val, const struct cli_ctx *x)
{
	ccsb_sandbox *sb = ccsb_sandbox_new();
	ccsb_error *e = NULL;
	if (!sb)
		return oom(x);
	int r = ccsb_sandbox_allow(sb, val, &e);
	ccsb_sandbox_free(sb);
	if (r < 0) {
		cli_fail(x->err, x->errlen, "%s", e ? ccsb_error_message(e) : "bad entry");
		ccsb_error_free(e);
		return -1;
	}
	return push(c, &c->allow, &c->nallow, keep(c, val, x), x);
}

static int apply_allow_file(struct cli *c, const char *val, const struct cli_ctx *x)
{
	if (!*val)
		return cli_fail(x->err, x->errlen, "empty file name");
	return push(c, &c->allow_files, &c->nallow_files, keep_path(c, val, x), x);
}

/* Both checked now, so that a bad value is reported with its option or
 * line; ccsb adds them to the policy with ports_apply(). */
static int apply_publish(struct cli *c, const char *val, const struct cli_ctx *x)
{
	ccsb_sandbox *sb = ccsb_sandbox_new();
	ccsb_error *e = NULL;
	if (!sb)
		return oom(x);
	int r = ccsb_sandbox_add_publish(sb, val, &e);
	ccsb_sandbox_free(sb);
	if (r < 0) {
		cli_fail(x->err, x->errlen, "%s", e ? ccsb_error_message(e) : "bad value");
		ccsb_error_free(e);
		return -1;
	}
	return push(c, &c->publish, &c->npublish, keep(c, val, x), x);
}

static int apply_host_port(struct cli *c, const char *val, const struct cli_ctx *x)
{
	unsigned ports[64];
	if (ports_parse_list(val, ports, N_ELEMENTS(ports), x->err, x->errlen) < 0)
		return -1;
	return push(c, &c->host_ports, &c->nhost_ports, keep(c, val, x), x);
}

static int apply_no_default_allowlist(struct cli *c, const char *val, const struct cli_ctx *x)
{
	(void)x;
	c->no_default_allowlist = on(val);
	return 0;
}

static int apply_log_net(struct cli *c, const char *val, const struct cli_ctx *x)
{
	if (!*val)
		return cli_fail(x->err, x->errlen, "empty file name");
	const char *p = keep_path(c, val, x);
	if (!p)
		return x->err[0] ? -1 : oom(x);
	c->log_net = p;
	return 0;
}

/* A file (a path, "~/" expanded in the configuration) or fd:N, N a
 * descriptor number other than 0 (standard input); whether N is open is
 * checked when the run starts. */
static int apply_events(struct cli *c, const char *val, const struct cli_ctx *x)
{
	if (!*val)
		return cli_fail(x->err, x->errlen, "empty; give a file name or fd:N");
	if (strncmp(val, "fd:", 3) == 0) {
		const char *d = val + 3;
		char *end;
		errno = 0;
		long fd = strtol(d, &end, 10);
		if (*d < '0' || *d > '9' || *end || errno || fd > INT_MAX)
			return cli_fail(x->err, x->errlen,
					"not a descriptor number (fd:3, or a file name)");
		if (fd == 0)
			return cli_fail(x->err, x->errlen,
					"descriptor 0 is standard input; give another "
					"(ccsb --events=fd:3 ... 3>FILE)");
		c->events = keep(c, val, x);
		return c->events ? 0 : oom(x);
	}
	const char *p = keep_path(c, val, x);
	if (!p)
		return x->err[0] ? -1 : oom(x);
	c->events = p;
	return 0;
}

/* No value: every key; "true"/"false" (the file's spelling) on or off;
 * else a key filter, checked now. */
static int apply_ssh_agent(struct cli *c, const char *val, const struct cli_ctx *x)
{
	if (val && !*val)
		return cli_fail(x->err, x->errlen,
				"empty key filter (leave out '=' for every key)");
	if (val && strcmp(val, "false") == 0) {
		c->ssh_agent = NULL;
		return 0;
	}
	if (!val || strcmp(val, "true") == 0) {
		c->ssh_agent = "";
		return 0;
	}
	ccsb_sandbox *sb = ccsb_sandbox_new();
	ccsb_error *e = NULL;
	if (!sb)
		return oom(x);
	int r = ccsb_sandbox_set_ssh_agent(sb, val, 0, &e);
	ccsb_sandbox_free(sb);
	if (r < 0) {
		cli_fail(x->err, x->errlen, "%s", e ? ccsb_error_message(e) : "bad key filter");
		ccsb_error_free(e);
		return -1;
	}
	const char *s = keep(c, val, x);
	if (!s)
		return oom(x);
	c->ssh_agent = s;
	return 0;
}

static int apply_git_credentials(struct cli *c, const char *val, const struct cli_ctx *x)
{
	(void)x;
	c->git_credentials = on(val);
	return 0;
}

static int apply_id(struct cli *c, const char *val, const struct cli_ctx *x)
{
	char *end;
	errno = 0;
	long v = strtol(val, &end, 10);
	/* strtol() would skip leading blanks and accept a sign. */
	if (errno || end == val || *end || v < 0 || v >= 65535 * 65536L || val[0] < '0' ||
	    val[0] > '9')
		return cli_fail(x->err, x->errlen, "not a valid id");
	*(strcmp(x->opt->name, "uid") == 0 ? &c->uid : &c->gid) = v;
	return 0;
}

static int apply_tty(struct cli *c, const char *val, const struct cli_ctx *x)
{
	return choose(val, &c->tty, x);
}

static int apply_no_seccomp(struct cli *c, const char *val, const struct cli_ctx *x)
{
	(void)x;
	c->no_seccomp = on(val);
	return 0;
}

static int apply_nested_userns(struct cli *c, const char *val, const struct cli_ctx *x)
{
	bool yes = on(val) == (strcmp(x->opt->name, "nested-userns") == 0);
	c->nested_userns = yes ? 1 : 0;
	return 0;
}

static int apply_allow_clipboard(struct cli *c, const char *val, const struct cli_ctx *x)
{
	(void)x;
	c->allow_clipboard = on(val) ? 1 : 0;
	return 0;
}

/* Digits only: strtoull() would skip blanks and take a sign. */
static bool digits(const char *s, size_t n)
{
	if (!n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

/* "none", or a number of bytes with an optional K, M, G or T suffix
 * (powers of 1024, "KiB" and "KB" spellings too). */
static int apply_memory(struct cli *c, const char *val, const struct cli_ctx *x)
{
	if (strcmp(val, "none") == 0) {
		c->memory = CCSB_BOUND_NONE;
		return 0;
	}
	size_t n = strspn(val, "0123456789");
	const char *suf = val + n;
	unsigned shift = 0;
	if (*suf) {
		const char *u = strchr("KMGT", suf[0] & ~0x20);
		if (!u || !*u ||
		    !(suf[1] == '\0' || strcmp(suf + 1, "iB") == 0 || strcmp(suf + 1, "B") == 0))
			n = 0;
		else
			shift = 10 * (unsigned)(u - "KMGT" + 1);
	}
	errno = 0;
	unsigned long long v = digits(val, n) ? strtoull(val, NULL, 10) : 0;
	if (!digits(val, n) || errno || v == 0 || (shift && v > (~0ull >> shift)) ||
	    (v << shift) == CCSB_BOUND_NONE)
		return cli_fail(x->err, x->errlen, "not a size (use e.g. 512M, 8G, or none)");
	c->memory = v << shift;
	return 0;
}

static int apply_pids(struct cli *c, const char *val, const struct cli_ctx *x)
{
	if (strcmp(val, "none") == 0) {
		c->pids = CCSB_BOUND_NONE;
		return 0;
	}
	errno = 0;
	unsigned long long v = digits(val, strlen(val)) ? strtoull(val, NULL, 10) : 0;
	if (!digits(val, strlen(val)) || errno || v == 0 || v == CCSB_BOUND_NONE)
		return cli_fail(x->err, x->errlen,
				"not a number of tasks (use e.g. 4096, or none)");
	c->pids = v;
	return 0;
}

static int apply_print(struct cli *c, const char *val, const struct cli_ctx *x)
{
	(void)x;
	c->print = on(val);
	return 0;
}

/* Checked by ccsb_sandbox_set_name(), which names the rule. */
static int apply_name(struct cli *c, const char *val, const struct cli_ctx *x)
{
	if (!*val)
		return cli_fail(x->err, x->errlen, "empty name");
	if (!(c->name = keep(c, val, x)))
		return oom(x);
	return 0;
}

static int apply_quiet(struct cli *c, const char *val, const struct cli_ctx *x)
{
	(void)x;
	c->quiet = on(val);
	return 0;
}

static int apply_action(struct cli *c, const char *val, const struct cli_ctx *x)
{
	(void)val;
	c->action = x->opt->short_name == 'h'	? CLI_HELP
		    : x->opt->short_name == 'V' ? CLI_VERSION
						: CLI_COMPLETE;
	return 0;
}

static const struct cli_choice net_modes[] = {
	{ "none", CCSB_NET_NONE },
	{ "full", CCSB_NET_FULL },
	{ "allowlist", CCSB_NET_ALLOWLIST },
	{ NULL, 0 },
};

static const struct cli_choice tty_modes[] = {
	{ "auto", CCSB_TTY_AUTO },
	{ "on", CCSB_TTY_ON },
	{ "off", CCSB_TTY_OFF },
	{ NULL, 0 },
};

#define BOTH (CLI_ARGV | CLI_CONFIG)

int cli_tty_mode(const char *word)
{
	for (size_t i = 0; tty_modes[i].word; i++)
		if (strcmp(tty_modes[i].word, word) == 0)
			return tty_modes[i].value;
	return -1;
}

/* In --help order. Adding an option: an entry here and its handler above
 * (the command line, the configuration key, --help and the bash completion
 * follow); a sample value in tests/unit/test-config.c (test_table(), which
 * also needs a dump() line for a new field of struct cli), and a paragraph
 * in man/ccsb.1 (test_documented() checks both). */
const struct cli_option cli_options[] = {
	{ "ro", 0, required_argument, BOTH, "Files", "=PATH[:DEST]",
	  "bind PATH read-only (at DEST inside)", NULL, "file", apply_bind },
	{ "rw", 0, required_argument, BOTH, NULL, "=PATH[:DEST]",
	  "bind PATH read-write (at DEST inside)", NULL, "file", apply_bind },
	{ "tmpfs", 0, required_argument, BOTH, NULL, "=DEST", "an empty writable tmpfs at DEST",
	  NULL, "dir", apply_tmpfs },
	{ "path", 0, required_argument, BOTH, NULL, "=DIR",
	  "bind a tool directory read-only and put it on\n"
	  "PATH (~/.cargo/bin, ~/.local/bin, nvm, pyenv,\n"
	  "mise, asdf, ~/.nix-profile/bin); repeatable",
	  NULL, "dir", apply_path },
	{ "env", 0, required_argument, BOTH, "Environment", "=NAME[=VALUE]",
	  "pass NAME from here, or set it to VALUE", NULL, "var", apply_env },
	{ "net", 0, required_argument, BOTH, "Network", "=MODE",
	  "none, full or allowlist (default: allowlist)", net_modes, NULL, apply_net },
	{ "allow", 0, required_argument, BOTH, NULL, "=ENTRY",
	  "allow an address, CIDR prefix, name (example.com)\n"
	  "or pattern (*.example.com); repeatable",
	  NULL, NULL, apply_allow },
	{ "allow-file", 0, required_argument, BOTH, NULL, "=FILE", "allow every entry of FILE",
	  NULL, "file", apply_allow_file },
	{ "no-default-allowlist", 0, no_argument, BOTH, NULL, NULL,
	  "do not load the installed ip-ranges.txt", NULL, NULL, apply_no_default_allowlist },
	{ "log-net", 0, required_argument, BOTH, NULL, "=FILE",
	  "append one line per refused DNS query to FILE", NULL, "file", apply_log_net },
	{ "publish", 0, required_argument, BOTH, NULL, "=[ADDR:]PORT[:PORT]",
	  "listen on the host (ADDR: 127.0.0.1),\n"
	  "relay to the sandbox's own 127.0.0.1:PORT (the\n"
	  "last PORT when two are given); TCP; repeatable",
	  NULL, NULL, apply_publish },
	{ "host-port", 0, required_argument, BOTH, NULL, "=PORT[,PORT...]",
	  "the host's 127.0.0.1:PORT as the\n"
	  "sandbox's own 127.0.0.1:PORT (and localhost),\n"
	  "nothing else of the host; a proxy on the host's\n"
	  "loopback that HTTP(S)_PROXY names is relayed so\n"
	  "by itself",
	  NULL, NULL, apply_host_port },
	{ "events", 0, required_argument, BOTH, NULL, "=FILE|fd:N",
	  "write the event stream (JSON lines: start, DNS\n"
	  "refusals, routes, guard actions, exit) to FILE\n"
	  "(appended) or to descriptor N",
	  NULL, "file", apply_events },
	{ "ssh-agent", 0, optional_argument, BOTH, "Credentials", "[=KEYFILTER]",
	  "relay your ssh-agent: list keys and sign only;\n"
	  "KEYFILTER: comma-separated comment globs or\n"
	  "SHA256: fingerprints (default: every key); also\n"
	  "binds ~/.ssh/known_hosts read-only",
	  NULL, "ssh-keys", apply_ssh_agent },
	{ "git-credentials", 0, no_argument, BOTH, NULL, NULL,
	  "answer git's HTTPS credential requests from your\n"
	  "git credential fill, for allowlisted names only",
	  NULL, NULL, apply_git_credentials },
	{ "uid", 0, required_argument, BOTH, "Identity", "=UID",
	  "uid inside (default: yours; 1000 when run as root)", NULL, NULL, apply_id },
	{ "gid", 0, required_argument, BOTH, NULL, "=GID",
	  "gid inside (default: yours; 1000 when run as root)", NULL, NULL, apply_id },
	{ "tty", 0, required_argument, BOTH, "Terminal and kernel", "=WHEN",
	  "run the command on a pty of its own: auto (when\n"
	  "stdin is a terminal, the default), on or off",
	  tty_modes, NULL, apply_tty },
	{ "allow-clipboard", 0, no_argument, BOTH, NULL, NULL,
	  "let the command set your clipboard (OSC 52); the\n"
	  "terminal relay drops it by default, as it drops\n"
	  "sequences a terminal answers with chosen text",
	  NULL, NULL, apply_allow_clipboard },
	{ "no-seccomp", 0, no_argument, BOTH, NULL, NULL, "do not install the seccomp filter", NULL,
	  NULL, apply_no_seccomp },
	{ "nested-userns", 0, no_argument, BOTH, NULL, NULL,
	  "allow user namespaces inside, for tools that sandbox\n"
	  "themselves (Claude Code's own sandbox, bwrap, podman)",
	  NULL, NULL, apply_nested_userns },
	{ "no-nested-userns", 0, no_argument, BOTH, NULL, NULL, "refuse them (the default)", NULL,
	  NULL, apply_nested_userns },
	{ "memory", 0, required_argument, BOTH,
	  "Resource bounds (on by default; the status line says what enforces them)", "=SIZE",
	  "memory the sandbox may take from the host, sizing\n"
	  "its tmpfs mounts (512M, 8G; none; default: half\n"
	  "the RAM)",
	  NULL, "words none 512M 1G 2G 4G 8G 16G", apply_memory },
	{ "pids", 0, required_argument, BOTH, NULL, "=N",
	  "most tasks (processes and threads) inside (none;\n"
	  "default: 4096)",
	  NULL, "words none 1024 4096 16384", apply_pids },
	{ "print", 0, no_argument, CLI_ARGV, "Other", NULL,
	  "print the bwrap command line and run nothing", NULL, NULL, apply_print },
	/* Not a configuration key: every run would claim the same name. */
	{ "name", 0, required_argument, CLI_ARGV, NULL, "=NAME",
	  "register the running sandbox as NAME, for\n"
	  "`ccsb exec`, `ccsb ps` and `ccsb events`",
	  NULL, NULL, apply_name },
	{ "quiet", 'q', no_argument, BOTH, NULL, NULL, "no status line on stderr", NULL, NULL,
	  apply_quiet },
	{ "help", 'h', no_argument, CLI_ARGV, NULL, NULL, "show this help", NULL, NULL,
	  apply_action },
	{ "version", 'V', no_argument, CLI_ARGV, NULL, NULL, "show versions", NULL, NULL,
	  apply_action },
	/* For contrib/bash-completion/ccsb. */
	{ "complete-options", 0, no_argument, CLI_ARGV | CLI_HIDDEN, NULL, NULL, NULL, NULL, NULL,
	  apply_action },
};

const size_t cli_noptions = N_ELEMENTS(cli_options);

const struct cli_option *cli_option_find(const char *name)
{
	for (size_t i = 0; i < N_ELEMENTS(cli_options); i++)
		if (strcmp(cli_options[i].name, name) == 0)
			return &cli_options[i];
	return NULL;
}

int cli_apply(struct cli *c, const struct cli_option *o, const char *val, enum cli_src src,
	      const char *home, const char *where, char *errbuf, size_t len)
{
	char why[PATH_MAX + 256] = "";
	struct cli_ctx x = {
		.opt = o, .src = src, .home = home, .err = why, .errlen = sizeof(why)
	};
	if (src == CLI_SRC_CONFIG && o->has_arg == no_argument && strcmp(val, "true") != 0 &&
	    strcmp(val, "false") != 0)
		return cli_fail(errbuf, len, "%s: %s '%s': use true or false", where, o->name, val);
	if (o->apply(c, val, &x) == 0)
		return 0;
	if (!why[0])
		snprintf(why, sizeof(why), "out of memory");
	/* The library's messages quote the value already. */
	char quoted[PATH_MAX];
	bool named = val && snprintf(quoted, sizeof(quoted), "'%s'", val) < (int)sizeof(quoted) &&
		     strstr(why, quoted);
	if (src == CLI_SRC_CONFIG && named)
		return cli_fail(errbuf, len, "%s: %s: %s", where, o->name, why);
	if (src == CLI_SRC_CONFIG)
		return cli_fail(errbuf, len, "%s: %s '%s': %s", where, o->name, val, why);
	if (named)
		return cli_fail(errbuf, len, "--%s: %s", o->name, why);
	if (val)
		return cli_fail(errbuf, len, "--%s=%s: %s", o->name, val, why);
	return cli_fail(errbuf, len, "--%s: %s", o->name, why);
}

/* Edits (insert, delete, change one letter) from a to b: Levenshtein's
 * distance, one row at a time; words longer than 63 bytes are far. */
static size_t distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), row[64];
	if (la >= N_ELEMENTS(row) || lb >= N_ELEMENTS(row))
		return SIZE_MAX;
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t diag = row[0];
		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t up = row[j];
			size_t best = diag + (a[i - 1] != b[j - 1]);
			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diag = up;
		}
	}
	return row[lb];
}

const char *cli_suggest(const char *word, unsigned where)
{
	const char *best = NULL;
	size_t bd = SIZE_MAX;
	char w[64];
	size_t n = 0;
	/* "--ro" or "RO" in the file, "--nett=x" on the command line. */
	while (*word == '-')
		word++;
	for (; word[n] && word[n] != '=' && n < sizeof(w) - 1; n++)
		w[n] = (char)(word[n] >= 'A' && word[n] <= 'Z' ? word[n] - 'A' + 'a' : word[n]);
	w[n] = '\0';
	for (size_t i = 0; i < N_ELEMENTS(cli_options); i++) {
		const struct cli_option *o = &cli_options[i];
		if (!(o->where & where) || (o->where & CLI_HIDDEN))
			continue;
		size_t d = distance(w, o->name);
		/* A typo, not another word: one edit in a short name, two in a
		 * longer one. */
		if (d <= (strlen(o->name) <= 4 ? 1u : 2u) && d < bd) {
			bd = d;
			best = o->name;
		}
	}
	return best;
}

/* Over 80 lines on purpose: one getopt loop whose every branch (an option
 * of the table, a missing value, an unknown or misspelt option) ends in
 * the same error exit; the work per option is in cli_apply(), the table
 * in cli_options[]. Splitting the loop would split getopt's state
 * (optind, optopt, optarg) across functions that must read it at the
 * same moment. */
int cli_parse(int argc, char **argv, struct cli *c, char *errbuf, size_t len)
{
	static struct option longopts[N_ELEMENTS(cli_options) + 1];
	char shorts[2 + N_ELEMENTS(cli_options) + 1] = "+:";
	size_t ns = 2;
	for (size_t i = 0; i < N_ELEMENTS(cli_options); i++) {
		const struct cli_option *o = &cli_options[i];
		longopts[i] = (struct option){ o->name, o->has_arg, NULL, 256 + (int)i };
		if (o->short_name)
			shorts[ns++] = o->short_name;
	}
	shorts[ns] = '\0';

	cli_init(c);
	errbuf[0] = '\0';
	optind = 0; /* reset getopt, so the parser can run more than once */
	opterr = 0;
	int opt;
	/* "+": options stop at the first non-option word (the command). */
	const char *last_arg = NULL; /* tells "--" apart from "--env --" */
	while ((opt = getopt_long(argc, argv, shorts, longopts, NULL)) != -1) {
		const struct cli_option *o = NULL;
		last_arg = optarg;
		if (opt >= 256 && (size_t)(opt - 256) < N_ELEMENTS(cli_options))
			o = &cli_options[opt - 256];
		for (size_t i = 0; !o && opt > 0 && opt < 256 && i < N_ELEMENTS(cli_options); i++)
			if (cli_options[i].short_name == opt)
				o = &cli_options[i];
		int r;
		if (o) {
			r = cli_apply(c, o, optarg, CLI_SRC_ARGV, NULL, NULL, errbuf, len);
			struct cli_item *v =
				r ? NULL : reallocarray(c->items, c->nitems + 1, sizeof(*v));
			if (v) {
				c->items = v;
				c->items[c->nitems++] = (struct cli_item){ o, optarg };
			} else if (!r) {
				r = cli_fail(errbuf, len, "out of memory");
			}
			if (!r && c->action != CLI_RUN)
				return 0;
		} else if (opt == ':') {
			r = cli_fail(errbuf, len, "option '%s' needs a value", argv[optind - 1]);
		} else {
			/* glibc sets optopt to the option's value for a long
			 * flag given a value, and to 0 for an unknown long
			 * option; only a short option has it as a character. */
			const char *word = argv[optind - 1];
			const char *near = strncmp(word, "--", 2) == 0
						   ? cli_suggest(word + 2, CLI_ARGV)
						   : NULL;
			if (strncmp(word, "--", 2) == 0 && optopt)
				r = cli_fail(errbuf, len, "option '%.*s' takes no value",
					     (int)strcspn(word, "="), word);
			else if (near)
				r = cli_fail(
					errbuf, len,
					"unknown option '%s'; did you mean '--%s'? (see 'ccsb --help')",
					word, near);
			else if (strncmp(word, "--", 2) == 0)
				r = cli_fail(errbuf, len, "unknown option '%s'; see 'ccsb --help'",
					     word);
			else
				r = cli_fail(errbuf, len, "unknown option '-%c'; see 'ccsb --help'",
					     optopt);
		}
		if (r < 0) {
			cli_free(c);
			return -1;
		}
	}
	/* A network option other than --net implies the allowlist. */
	if (c->net == CCSB_NET_NONE || c->net == CCSB_NET_FULL) {
		if (c->nallow || c->nallow_files) {
			cli_free(c);
			return cli_fail(errbuf, len,
					"--allow and --allow-file need --net=allowlist");
		}
	}
	if (optind >= argc) {
		cli_free(c);
		return cli_fail(errbuf, len,
				"no command given; try 'ccsb bash' or 'ccsb claude' (see --help)");
	}
	c->cmd = &argv[optind];
	c->dashdash =
		optind > 1 && strcmp(argv[optind - 1], "--") == 0 && argv[optind - 1] != last_arg;
	return 0;
}

void cli_init(struct cli *c)
{
	memset(c, 0, sizeof(*c));
	c->net = -1;
	c->uid = c->gid = -1;
	c->tty = -1;
	c->nested_userns = c->allow_clipboard = -1;
}

void cli_free(struct cli *c)
{
	for (size_t i = 0; i < c->nbinds; i++) {
		free(c->binds[i].src);
		free(c->binds[i].dest);
	}
	free(c->binds);
	free(c->tmpfs);
	free(c->env);
	free(c->allow);
	free(c->allow_files);
	free(c->paths);
	free(c->publish);
	free(c->host_ports);
	for (size_t i = 0; i < c->nowned; i++)
		free(c->owned[i]);
	free(c->owned);
	free(c->items);
	cli_init(c);
}

/* "-q, --quiet", "--net=MODE". */
static void usage_left(const struct cli_option *o, char *buf, size_t len)
{
	if (o->short_name)
		snprintf(buf, len, "-%c, --%s%s", o->short_name, o->name,
			 o->metavar ? o->metavar : "");
	else
		snprintf(buf, len, "--%s%s", o->name, o->metavar ? o->metavar : "");
}

char *cli_usage(void)
{
	char *out = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&out, &n);
	if (!f)
		return NULL;
	fputs(usage_head, f);
	for (size_t i = 0; i < N_ELEMENTS(cli_options); i++) {
		const struct cli_option *o = &cli_options[i];
		char left[128];
		if (!(o->where & CLI_ARGV) || (o->where & CLI_HIDDEN))
			continue;
		if (o->section)
			fprintf(f, "%s:\n", o->section);
		usage_left(o, left, sizeof(left));
		/* The help column starts at 25, or after one space. */
		fprintf(f, "  %-22s ", left);
		for (const char *h = o->help; *h; h++) {
			fputc(*h, f);
			if (*h == '\n')
				fprintf(f, "%25s", "");
		}
		fputc('\n', f);
	}
	fputs(usage_tail, f);
	if (fclose(f) != 0) {
		free(out);
		return NULL;
	}
	return out;
}

void cli_print_completion(FILE *f)
{
	for (size_t i = 0; i < N_ELEMENTS(cli_options); i++) {
		const struct cli_option *o = &cli_options[i];
		if (!(o->where & CLI_ARGV) || (o->where & CLI_HIDDEN))
			continue;
		/* An optional value must be joined with '=': the next word is
		 * not its value. */
		fprintf(f, "--%s%s", o->name, o->has_arg == required_argument ? "=" : "");
		if (o->choices) {
			fputs(" words", f);
			for (const struct cli_choice *ch = o->choices; ch->word; ch++)
				fprintf(f, " %s", ch->word);
		} else if (o->complete) {
			fprintf(f, " %s", o->complete);
		}
		fputc('\n', f);
	}
}
