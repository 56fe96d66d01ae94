/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ccsandbox.h"

const char cli_usage[] =
	"Usage: ccsb [OPTION...] [--] COMMAND [ARG...]\n"
	"       ccsb [OPTION...] claude [ARG...]\n"
	"       ccsb [OPTION...] bash\n"
	"       ccsb doctor\n"
	"Run a command in a sandbox: the current directory and Claude Code's state\n"
	"are writable, the system is read-only, the rest of your home is hidden.\n"
	"`ccsb doctor` checks what ccsb needs and prints the fix for each problem.\n"
	"\n"
	"Files:\n"
	"  --ro=PATH[:DEST]       bind PATH read-only (at DEST inside)\n"
	"  --rw=PATH[:DEST]       bind PATH read-write (at DEST inside)\n"
	"  --tmpfs=DEST           an empty writable tmpfs at DEST\n"
	"  --path=DIR             bind a tool directory read-only and put it on\n"
	"                         PATH (~/.cargo/bin, ~/.local/bin, nvm, pyenv,\n"
	"                         mise, asdf, ~/.nix-profile/bin); repeatable\n"
	"Environment:\n"
	"  --env=NAME[=VALUE]     pass NAME from here, or set it to VALUE\n"
	"Network:\n"
	"  --net=MODE             none, full or allowlist (default: allowlist)\n"
	"  --allow=ENTRY          allow an address, CIDR prefix, name (example.com)\n"
	"                         or pattern (*.example.com); repeatable\n"
	"  --allow-file=FILE      allow every entry of FILE\n"
	"  --no-default-allowlist do not load the installed ip-ranges.txt\n"
	"  --log-net=FILE         append one line per refused DNS query to FILE\n"
	"Credentials:\n"
	"  --ssh-agent[=KEYFILTER] relay your ssh-agent: list keys and sign only;\n"
	"                         KEYFILTER: comma-separated comment globs or\n"
	"                         SHA256: fingerprints (default: every key); also\n"
	"                         binds ~/.ssh/known_hosts read-only\n"
	"  --git-credentials      answer git's HTTPS credential requests from your\n"
	"                         git credential fill, for allowlisted names only\n"
	"Identity:\n"
	"  --uid=UID --gid=GID    ids inside (default: yours; 1000 when run as root)\n"
	"Terminal and kernel:\n"
	"  --tty=WHEN             run the command on a pty of its own: auto (when\n"
	"                         stdin is a terminal, the default), on or off\n"
	"  --allow-clipboard      let the command set your clipboard (OSC 52); the\n"
	"                         terminal relay drops it by default, as it drops\n"
	"                         sequences a terminal answers with chosen text\n"
	"  --no-seccomp           do not install the seccomp filter\n"
	"  --nested-userns        allow user namespaces inside, for tools that sandbox\n"
	"                         themselves (Claude Code's own sandbox, bwrap, podman)\n"
	"  --no-nested-userns     refuse them (the default)\n"
	"Resource bounds (on by default; the status line says what enforces them):\n"
	"  --memory=SIZE          memory the sandbox may take from the host, sizing\n"
	"                         its tmpfs mounts (512M, 8G; none; default: half\n"
	"                         the RAM)\n"
	"  --pids=N               most tasks (processes and threads) inside (none;\n"
	"                         default: 4096)\n"
	"Other:\n"
	"  --print                print the bwrap command line and run nothing\n"
	"  -q, --quiet            no status line on stderr\n"
	"  -h, --help             show this help\n"
	"  -V, --version          show versions\n"
	"\n"
	"Configuration: ~/.config/ccsb/config (or $XDG_CONFIG_HOME/ccsb/config),\n"
	"lines like \"net = full\" or \"ro = ~/data\"; command-line options come after.\n"
	"Exit status: the command's; 128+N if it died of signal N; 127 not found;\n"
	"126 not executable; 125 when ccsb itself fails.\n";

enum {
	OPT_RO = 256, OPT_RW, OPT_TMPFS, OPT_ENV, OPT_NET, OPT_ALLOW, OPT_ALLOW_FILE,
	OPT_NO_DEFAULT_ALLOWLIST, OPT_PRINT, OPT_UID, OPT_GID, OPT_TTY, OPT_NO_SECCOMP,
	OPT_NO_NESTED_USERNS, OPT_LOG_NET,
	OPT_SSH_AGENT, OPT_NESTED_USERNS, OPT_PATH, OPT_MEMORY, OPT_PIDS, OPT_GIT_CREDENTIALS,
	OPT_ALLOW_CLIPBOARD,
};

static const struct option longopts[] = {
	{ "ro", required_argument, NULL, OPT_RO },
	{ "rw", required_argument, NULL, OPT_RW },
	{ "tmpfs", required_argument, NULL, OPT_TMPFS },
	{ "env", required_argument, NULL, OPT_ENV },
	{ "net", required_argument, NULL, OPT_NET },
	{ "allow", required_argument, NULL, OPT_ALLOW },
	{ "allow-file", required_argument, NULL, OPT_ALLOW_FILE },
	{ "no-default-allowlist", no_argument, NULL, OPT_NO_DEFAULT_ALLOWLIST },
	{ "print", no_argument, NULL, OPT_PRINT },
	{ "uid", required_argument, NULL, OPT_UID },
	{ "gid", required_argument, NULL, OPT_GID },
	{ "tty", required_argument, NULL, OPT_TTY },
	{ "no-seccomp", no_argument, NULL, OPT_NO_SECCOMP },
	{ "no-nested-userns", no_argument, NULL, OPT_NO_NESTED_USERNS },
	{ "nested-userns", no_argument, NULL, OPT_NESTED_USERNS },
	{ "allow-clipboard", no_argument, NULL, OPT_ALLOW_CLIPBOARD },
	{ "log-net", required_argument, NULL, OPT_LOG_NET },
	{ "ssh-agent", optional_argument, NULL, OPT_SSH_AGENT },
	{ "git-credentials", no_argument, NULL, OPT_GIT_CREDENTIALS },
	{ "path", required_argument, NULL, OPT_PATH },
	{ "memory", required_argument, NULL, OPT_MEMORY },
	{ "pids", required_argument, NULL, OPT_PIDS },
	{ "quiet", no_argument, NULL, 'q' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

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

static int add_bind(struct cli *c, const char *arg, bool rw, char *errbuf, size_t len)
{
	const char *opt = rw ? "--rw" : "--ro";
	const char *colon = strchr(arg, ':');
	size_t srclen = colon ? (size_t)(colon - arg) : strlen(arg);
	if (srclen == 0)
		return cli_fail(errbuf, len, "%s: empty path", opt);
	char *dest = NULL;
	if (colon) {
		if (colon[1] != '/')
			return cli_fail(errbuf, len, "%s=%s: destination must be an absolute path", opt, arg);
		if (!(dest = strdup(colon + 1)))
			return cli_fail(errbuf, len, "out of memory");
	}
	struct cli_bind *nb = reallocarray(c->binds, c->nbinds + 1, sizeof(*nb));
	if (!nb) {
		free(dest);
		return cli_fail(errbuf, len, "out of memory");
	}
	c->binds = nb;
	/* The source keeps its colon-free prefix: store it separately. */
	char *src = strndup(arg, srclen);
	if (!src) {
		free(dest);
		return cli_fail(errbuf, len, "out of memory");
	}
	c->binds[c->nbinds++] = (struct cli_bind){ .src = src, .dest = dest, .rw = rw };
	return 0;
}

static int parse_id(const char *opt, const char *arg, long *out, char *errbuf, size_t len)
{
	char *end;
	errno = 0;
	long v = strtol(arg, &end, 10);
	/* strtol() would skip leading blanks and accept a sign. */
	if (errno || end == arg || *end || v < 0 || v >= 65535 * 65536L || arg[0] < '0' ||
	    arg[0] > '9')
		return cli_fail(errbuf, len, "%s=%s: not a valid id", opt, arg);
	*out = v;
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

int cli_parse_memory(const char *opt, const char *arg, unsigned long long *out, char *errbuf,
		     size_t len)
{
	if (strcmp(arg, "none") == 0) {
		*out = CCSB_BOUND_NONE;
		return 0;
	}
	size_t n = strspn(arg, "0123456789");
	const char *suf = arg + n;
	unsigned shift = 0;
	if (*suf) {
		const char *u = strchr("KMGT", suf[0] & ~0x20);
		if (!u || !*u || !(suf[1] == '\0' || strcmp(suf + 1, "iB") == 0 ||
				   strcmp(suf + 1, "B") == 0))
			n = 0;
		else
			shift = 10 * (unsigned)(u - "KMGT" + 1);
	}
	errno = 0;
	unsigned long long v = digits(arg, n) ? strtoull(arg, NULL, 10) : 0;
	if (!digits(arg, n) || errno || v == 0 || (shift && v > (~0ull >> shift)) ||
	    (v << shift) == CCSB_BOUND_NONE)
		return cli_fail(errbuf, len, "%s=%s: not a size (use e.g. 512M, 8G, or none)", opt,
				arg);
	*out = v << shift;
	return 0;
}

int cli_parse_pids(const char *opt, const char *arg, unsigned long long *out, char *errbuf,
		   size_t len)
{
	if (strcmp(arg, "none") == 0) {
		*out = CCSB_BOUND_NONE;
		return 0;
	}
	errno = 0;
	unsigned long long v = digits(arg, strlen(arg)) ? strtoull(arg, NULL, 10) : 0;
	if (!digits(arg, strlen(arg)) || errno || v == 0 || v == CCSB_BOUND_NONE)
		return cli_fail(errbuf, len, "%s=%s: not a number of tasks (use e.g. 4096, or none)",
				opt, arg);
	*out = v;
	return 0;
}

int cli_parse(int argc, char **argv, struct cli *c, char *errbuf, size_t len)
{
	memset(c, 0, sizeof(*c));
	c->net = -1;
	c->uid = c->gid = -1;
	c->tty = -1;
	c->nested_userns = c->allow_clipboard = -1;
	errbuf[0] = '\0';
	optind = 0; /* reset getopt, so the parser can run more than once */
	opterr = 0;
	int opt;
	/* "+": options stop at the first non-option word (the command). */
	const char *last_arg = NULL; /* tells "--" apart from "--env --" */
	while ((opt = getopt_long(argc, argv, "+:qhV", longopts, NULL)) != -1) {
		int r = 0;
		last_arg = optarg;
		switch (opt) {
		case OPT_RO:
		case OPT_RW:
			r = add_bind(c, optarg, opt == OPT_RW, errbuf, len);
			break;
		case OPT_TMPFS:
			if (optarg[0] != '/')
				r = cli_fail(errbuf, len, "--tmpfs=%s: must be an absolute path", optarg);
			else
				r = cli_push(&c->tmpfs, &c->ntmpfs, optarg);
			break;
		case OPT_ENV:
			if (!optarg[0] || optarg[0] == '=')
				r = cli_fail(errbuf, len, "--env=%s: missing variable name", optarg);
			else
				r = cli_push(&c->env, &c->nenv, optarg);
			break;
		case OPT_NET:
			if (strcmp(optarg, "none") == 0)
				c->net = CCSB_NET_NONE;
			else if (strcmp(optarg, "full") == 0)
				c->net = CCSB_NET_FULL;
			else if (strcmp(optarg, "allowlist") == 0)
				c->net = CCSB_NET_ALLOWLIST;
			else
				r = cli_fail(errbuf, len, "--net=%s: unknown mode (use none, full or allowlist)",
					 optarg);
			break;
		case OPT_ALLOW:
			r = cli_push(&c->allow, &c->nallow, optarg);
			break;
		case OPT_ALLOW_FILE:
			r = cli_push(&c->allow_files, &c->nallow_files, optarg);
			break;
		case OPT_NO_DEFAULT_ALLOWLIST:
			c->no_default_allowlist = true;
			break;
		case OPT_PRINT:
			c->print = true;
			break;
		case OPT_UID:
			r = parse_id("--uid", optarg, &c->uid, errbuf, len);
			break;
		case OPT_GID:
			r = parse_id("--gid", optarg, &c->gid, errbuf, len);
			break;
		case OPT_TTY:
			if (strcmp(optarg, "auto") == 0)
				c->tty = CCSB_TTY_AUTO;
			else if (strcmp(optarg, "on") == 0)
				c->tty = CCSB_TTY_ON;
			else if (strcmp(optarg, "off") == 0)
				c->tty = CCSB_TTY_OFF;
			else
				r = cli_fail(errbuf, len, "--tty=%s: use auto, on or off", optarg);
			break;
		case OPT_NO_SECCOMP:
			c->no_seccomp = true;
			break;
		case OPT_NO_NESTED_USERNS:
			c->nested_userns = 0;
			break;
		case OPT_NESTED_USERNS:
			c->nested_userns = 1;
			break;
		case OPT_ALLOW_CLIPBOARD:
			c->allow_clipboard = 1;
			break;
		case OPT_LOG_NET:
			if (!*optarg)
				r = cli_fail(errbuf, len, "--log-net: empty file name");
			c->log_net = optarg;
			break;
		case OPT_SSH_AGENT:
			if (optarg && !*optarg)
				r = cli_fail(errbuf, len, "--ssh-agent=: empty key filter (give none for "
					     "every key)");
			c->ssh_agent = optarg ? optarg : "";
			break;
		case OPT_PATH:
			if (!*optarg)
				r = cli_fail(errbuf, len, "--path: empty directory name");
			else
				r = cli_push(&c->paths, &c->npaths, optarg);
			break;
		case OPT_MEMORY:
			r = cli_parse_memory("--memory", optarg, &c->memory, errbuf, len);
			break;
		case OPT_PIDS:
			r = cli_parse_pids("--pids", optarg, &c->pids, errbuf, len);
			break;
		case OPT_GIT_CREDENTIALS:
			c->git_credentials = true;
			break;
		case 'q':
			c->quiet = true;
			break;
		case 'h':
			c->action = CLI_HELP;
			return 0;
		case 'V':
			c->action = CLI_VERSION;
			return 0;
		case ':':
			r = cli_fail(errbuf, len, "option '%s' needs a value", argv[optind - 1]);
			break;
		default: {
			/* glibc sets optopt to the option's value for a long
			 * flag given a value, and to 0 for an unknown long
			 * option; only a short option has it as a character. */
			const char *word = argv[optind - 1];
			if (strncmp(word, "--", 2) == 0 && optopt)
				r = cli_fail(errbuf, len, "option '%.*s' takes no value", (int)strcspn(word, "="),
					 word);
			else if (strncmp(word, "--", 2) == 0)
				r = cli_fail(errbuf, len, "unknown option '%s'; see 'ccsb --help'", word);
			else
				r = cli_fail(errbuf, len, "unknown option '-%c'; see 'ccsb --help'", optopt);
			break;
		}
		}
		if (r < 0) {
			if (!errbuf[0])
				cli_fail(errbuf, len, "out of memory");
			cli_free(c);
			return -1;
		}
	}
	/* A network option other than --net implies the allowlist. */
	if (c->net == CCSB_NET_NONE || c->net == CCSB_NET_FULL) {
		if (c->nallow || c->nallow_files) {
			cli_free(c);
			return cli_fail(errbuf, len, "--allow and --allow-file need --net=allowlist");
		}
	}
	if (optind >= argc) {
		cli_free(c);
		return cli_fail(errbuf, len, "no command given; try 'ccsb bash' or 'ccsb claude' (see --help)");
	}
	c->cmd = &argv[optind];
	c->dashdash = optind > 1 && strcmp(argv[optind - 1], "--") == 0 &&
		      argv[optind - 1] != last_arg;
	return 0;
}

void cli_free(struct cli *c)
{
	for (size_t i = 0; i < c->nbinds; i++) {
		free((char *)c->binds[i].src);
		free(c->binds[i].dest);
	}
	free(c->binds);
	free(c->tmpfs);
	free(c->env);
	free(c->allow);
	free(c->allow_files);
	free(c->paths);
	for (size_t i = 0; i < c->nowned; i++)
		free(c->owned[i]);
	free(c->owned);
	memset(c, 0, sizeof(*c));
	c->net = -1;
	c->uid = c->gid = -1;
	c->tty = -1;
	c->nested_userns = c->allow_clipboard = -1;
}
