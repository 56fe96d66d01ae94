/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* ccsb's option parser: every option, every error message. */
#include "../../tools/cli.h"
#include "../../tools/toolenv.h"
#include "tap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ccsandbox.h"

#define ERRLEN 512

/* The --help text (cli_usage()), made once in main(). */
static char *usage;
#define NO_CMD "no command given; try 'ccsb bash' or 'ccsb claude' (see --help)"

/* A NULL-terminated argv starting with "ccsb"; lives in the enclosing block. */
#define ARGS(...) ((char *[]){ "ccsb", __VA_ARGS__, NULL })
#define ARGS0 ((char *[]){ "ccsb", NULL })

static int argc_of(char **argv)
{
	int n = 0;
	while (argv[n])
		n++;
	return n;
}

/* "ccsb a b" for descriptions; newlines are shown as \n. */
static const char *show(char **argv)
{
	static char buf[512];
	size_t o = 0;
	for (int i = 0; argv[i] && o < sizeof(buf) - 8; i++) {
		if (i)
			buf[o++] = ' ';
		for (const char *c = argv[i]; *c && o < sizeof(buf) - 8; c++) {
			if (*c == '\n') {
				buf[o++] = '\\';
				buf[o++] = 'n';
			} else {
				buf[o++] = *c;
			}
		}
	}
	buf[o] = '\0';
	return buf;
}

static int parse(char **argv, struct cli *c, char *err)
{
	return cli_parse(argc_of(argv), argv, c, err, ERRLEN);
}

static bool is_reset(const struct cli *c)
{
	return c->action == CLI_RUN && !c->print && !c->quiet && !c->no_default_allowlist &&
	       c->net == -1 && !c->binds && !c->nbinds && !c->tmpfs && !c->ntmpfs && !c->env &&
	       !c->nenv && !c->allow && !c->nallow && !c->allow_files && !c->nallow_files &&
	       c->uid == -1 && c->gid == -1 && c->tty == -1 && !c->no_seccomp &&
	       c->nested_userns == -1 && c->allow_clipboard == -1 && !c->cmd && !c->memory &&
	       !c->pids && !c->name;
}

/* The command words after parsing, joined with '|'. */
static const char *cmd_of(const struct cli *c)
{
	static char buf[512];
	buf[0] = '\0';
	for (size_t i = 0; c->cmd && c->cmd[i]; i++) {
		if (i)
			strcat(buf, "|");
		strcat(buf, c->cmd[i]);
	}
	return buf;
}

static void fails(char **argv, const char *want)
{
	struct cli c;
	char err[ERRLEN];
	memset(&c, 0x5a, sizeof(c));
	int r = parse(argv, &c, err);
	is_int(r, -1, "%s: fails", show(argv));
	is_str(err, want, "%s: message", show(argv));
	ok(is_reset(&c), "%s: the struct is freed and reset", show(argv));
	cli_free(&c); /* harmless after a failure */
}

/* Parse successfully and check the command; the caller frees. */
static bool parses(char **argv, struct cli *c, const char *want_cmd)
{
	char err[ERRLEN];
	int r = parse(argv, c, err);
	if (!is_int(r, 0, "%s: parses", show(argv))) {
		diag("error: %s", err);
		memset(c, 0, sizeof(*c));
		return false;
	}
	is_str(err, "", "%s: no message", show(argv));
	if (want_cmd)
		is_str(cmd_of(c), want_cmd, "%s: command", show(argv));
	return true;
}

static void test_minimal(void)
{
	struct cli c;
	char **argv = ARGS("bash");
	if (parses(argv, &c, "bash")) {
		is_int(c.action, CLI_RUN, "action run");
		ok(c.cmd == &argv[1], "cmd borrows argv");
		ok(!c.print && !c.quiet && !c.no_default_allowlist, "flags off");
		is_int(c.net, -1, "net not given");
		ok(c.uid == -1 && c.gid == -1, "ids not given");
		ok(c.nbinds == 0 && c.ntmpfs == 0 && c.nenv == 0 && c.nallow == 0 &&
			   c.nallow_files == 0,
		   "nothing accumulated");
	}
	cli_free(&c);
	ok(is_reset(&c), "cli_free resets the struct");
	cli_free(&c);
	ok(is_reset(&c), "cli_free twice is harmless");
}

static void test_every_option(void)
{
	struct cli c;
	char **argv =
		ARGS("--ro=/a", "--rw=/b:/c", "--ro=rel", "--rw=rel2", "--ro=/x:/y:/z", "--rw",
		     "./sep", "--tmpfs=/t1", "--tmpfs", "/t2", "--env=TERM", "--env=A=B=C", "--env",
		     "E=", "--net=allowlist", "--allow=10.0.0.0/8", "--allow", "::1",
		     "--allow=example.com", "--allow-file=f1", "--allow-file", "/f2",
		     "--no-default-allowlist", "--print", "-q", "--uid=1000", "--gid", "100",
		     "--tty=on", "--no-seccomp", "--no-nested-userns", "cmd", "arg", "--ro=/after");
	if (!parses(argv, &c, "cmd|arg|--ro=/after"))
		return;
	ok(c.cmd == &argv[32], "cmd points at the first non-option word");
	is_int(c.action, CLI_RUN, "action run");
	is_int(c.nbinds, 6, "six binds, in order");
	static const struct {
		const char *src, *dest;
		bool rw;
	} b[] = {
		{ "/a", NULL, false },	{ "/b", "/c", true },	  { "rel", NULL, false },
		{ "rel2", NULL, true }, { "/x", "/y:/z", false }, { "./sep", NULL, true },
	};
	for (size_t i = 0; i < 6 && i < c.nbinds; i++) {
		is_str(c.binds[i].src, b[i].src, "bind %zu src", i);
		is_str(c.binds[i].dest, b[i].dest, "bind %zu dest", i);
		is_int(c.binds[i].rw, b[i].rw, "bind %zu rw", i);
	}
	is_int(c.ntmpfs, 2, "two tmpfs");
	is_str(c.ntmpfs > 0 ? c.tmpfs[0] : NULL, "/t1", "tmpfs 0");
	is_str(c.ntmpfs > 1 ? c.tmpfs[1] : NULL, "/t2", "tmpfs 1 (separate value)");
	ok(c.ntmpfs > 1 && c.tmpfs[1] == argv[10], "tmpfs borrowed from argv");
	is_int(c.nenv, 3, "three env");
	is_str(c.nenv > 0 ? c.env[0] : NULL, "TERM", "--env=NAME kept as given");
	is_str(c.nenv > 1 ? c.env[1] : NULL, "A=B=C", "--env=NAME=VALUE kept as given");
	is_str(c.nenv > 2 ? c.env[2] : NULL, "E=", "--env NAME= (separate value)");
	is_int(c.net, CCSB_NET_ALLOWLIST, "net allowlist");
	is_int(c.nallow, 3, "three allow");
	is_str(c.nallow > 0 ? c.allow[0] : NULL, "10.0.0.0/8", "allow 0");
	is_str(c.nallow > 1 ? c.allow[1] : NULL, "::1", "allow 1");
	is_str(c.nallow > 2 ? c.allow[2] : NULL, "example.com", "allow 2: a name");
	is_int(c.nallow_files, 2, "two allow files");
	is_str(c.nallow_files > 0 ? c.allow_files[0] : NULL, "f1", "allow file 0");
	is_str(c.nallow_files > 1 ? c.allow_files[1] : NULL, "/f2", "allow file 1");
	ok(c.no_default_allowlist, "--no-default-allowlist");
	ok(c.print, "--print");
	ok(c.quiet, "-q");
	is_int(c.uid, 1000, "--uid");
	is_int(c.gid, 100, "--gid (separate value)");
	is_int(c.tty, CCSB_TTY_ON, "--tty=on");
	ok(c.no_seccomp, "--no-seccomp");
	is_int(c.nested_userns, 0, "--no-nested-userns");
	cli_free(&c);
}

static void test_options_one_by_one(void)
{
	struct cli c;
	if (parses(ARGS("--quiet", "x"), &c, "x"))
		ok(c.quiet && !c.print, "--quiet");
	cli_free(&c);
	if (parses(ARGS("-q", "-q", "x"), &c, "x"))
		ok(c.quiet, "-q twice");
	cli_free(&c);
	if (parses(ARGS("--print", "x"), &c, "x"))
		ok(c.print && !c.quiet, "--print");
	cli_free(&c);
	if (parses(ARGS("--no-default-allowlist", "x"), &c, "x"))
		ok(c.no_default_allowlist && c.net == -1, "--no-default-allowlist alone");
	cli_free(&c);
	if (parses(ARGS("--no-seccomp", "x"), &c, "x"))
		ok(c.no_seccomp && c.nested_userns == -1 && c.tty == -1, "--no-seccomp alone");
	cli_free(&c);
	if (parses(ARGS("--no-nested-userns", "x"), &c, "x"))
		ok(c.nested_userns == 0 && !c.no_seccomp, "--no-nested-userns alone");
	cli_free(&c);
	if (parses(ARGS("--nested-userns", "x"), &c, "x"))
		ok(c.nested_userns == 1 && !c.no_seccomp && c.allow_clipboard == -1,
		   "--nested-userns alone");
	cli_free(&c);
	if (parses(ARGS("--allow-clipboard", "x"), &c, "x"))
		ok(c.allow_clipboard == 1 && c.nested_userns == -1, "--allow-clipboard alone");
	cli_free(&c);
	if (parses(ARGS("--nested-userns", "--no-nested-userns", "x"), &c, "x"))
		is_int(c.nested_userns, 0,
		       "--no-nested-userns after --nested-userns: the last wins");
	cli_free(&c);
	if (parses(ARGS("--no-nested-userns", "--nested-userns", "x"), &c, "x"))
		is_int(c.nested_userns, 1,
		       "--nested-userns after --no-nested-userns: the last wins");
	cli_free(&c);
	static const struct {
		const char *arg;
		int mode;
	} ttys[] = {
		{ "--tty=auto", CCSB_TTY_AUTO },
		{ "--tty=on", CCSB_TTY_ON },
		{ "--tty=off", CCSB_TTY_OFF },
	};
	for (size_t i = 0; i < 3; i++) {
		if (parses(ARGS((char *)ttys[i].arg, "x"), &c, "x"))
			is_int(c.tty, ttys[i].mode, "%s", ttys[i].arg);
		cli_free(&c);
	}
	if (parses(ARGS("--tty", "off", "--tty=on", "x"), &c, "x"))
		is_int(c.tty, CCSB_TTY_ON, "last --tty wins");
	cli_free(&c);
	if (parses(ARGS("--pr", "x"), &c, "x"))
		ok(c.print, "unambiguous abbreviation --pr is --print");
	cli_free(&c);

	static const struct {
		const char *arg;
		int mode;
	} nets[] = {
		{ "--net=none", CCSB_NET_NONE },
		{ "--net=full", CCSB_NET_FULL },
		{ "--net=allowlist", CCSB_NET_ALLOWLIST },
	};
	for (size_t i = 0; i < 3; i++) {
		if (parses(ARGS((char *)nets[i].arg, "x"), &c, "x"))
			is_int(c.net, nets[i].mode, "%s", nets[i].arg);
		cli_free(&c);
	}
	if (parses(ARGS("--net", "full", "x"), &c, "x"))
		is_int(c.net, CCSB_NET_FULL, "--net full (separate value)");
	cli_free(&c);
	if (parses(ARGS("--net=none", "--net=full", "x"), &c, "x"))
		is_int(c.net, CCSB_NET_FULL, "last --net wins");
	cli_free(&c);
	if (parses(ARGS("--net=none", "--allow=1.2.3.4", "--net=allowlist", "x"), &c, "x"))
		ok(c.net == CCSB_NET_ALLOWLIST && c.nallow == 1,
		   "--allow is checked against the last --net");
	cli_free(&c);
	if (parses(ARGS("--allow=1.2.3.4", "--allow-file=f", "x"), &c, "x"))
		ok(c.net == -1 && c.nallow == 1 && c.nallow_files == 1,
		   "--allow without --net leaves the mode to main");
	cli_free(&c);
	if (parses(ARGS("--net=none", "--no-default-allowlist", "x"), &c, "x"))
		ok(c.net == CCSB_NET_NONE && c.no_default_allowlist,
		   "--no-default-allowlist with --net=none is accepted");
	cli_free(&c);

	/* ids */
	static const struct {
		const char *arg;
		long v;
	} ids[] = {
		{ "0", 0 },	    { "1", 1 },		{ "007", 7 },
		{ "65534", 65534 }, { "65535", 65535 }, { "4294901759", 4294901759L },
	};
	for (size_t i = 0; i < sizeof(ids) / sizeof(*ids); i++) {
		char u[64], g[64];
		snprintf(u, sizeof(u), "--uid=%s", ids[i].arg);
		snprintf(g, sizeof(g), "--gid=%s", ids[i].arg);
		if (parses(ARGS(u, g, "x"), &c, "x")) {
			is_int(c.uid, ids[i].v, "%s", u);
			is_int(c.gid, ids[i].v, "%s", g);
		}
		cli_free(&c);
	}
	if (parses(ARGS("--uid=1", "--uid=2", "x"), &c, "x"))
		is_int(c.uid, 2, "last --uid wins");
	cli_free(&c);

	/* binds */
	char **argv = ARGS("--ro=/a:/b", "--rw=rel", "--rw", "", "x");
	char err[ERRLEN];
	is_int(parse(argv, &c, err), -1, "--rw with an empty separate value fails");
	is_str(err, "--rw=: empty path", "--rw '': message");
	argv = ARGS("--ro=/a:/b", "--rw=rel", "x");
	if (parses(argv, &c, "x") && c.nbinds == 2) {
		is_str(c.binds[0].src, "/a", "--ro=/a:/b: src");
		is_str(c.binds[0].dest, "/b", "--ro=/a:/b: dest");
		ok(!c.binds[0].rw, "--ro is read-only");
		is_str(c.binds[1].src, "rel", "--rw=rel: kept relative (main resolves it)");
		ok(c.binds[1].dest == NULL, "--rw=rel: no dest");
		ok(c.binds[1].rw, "--rw is read-write");
		is_str(argv[1], "--ro=/a:/b", "argv is not modified by the split");
	}
	cli_free(&c);
	if (parses(ARGS("--ro", "--rw=/x", "y"), &c, "y") && c.nbinds == 1) {
		is_str(c.binds[0].src, "--rw=/x",
		       "--ro takes the next word as its value, whatever it is");
		ok(!c.binds[0].rw, "and it is a read-only bind");
	}
	cli_free(&c);
	if (parses(ARGS("--tmpfs=/", "x"), &c, "x"))
		is_str(c.ntmpfs ? c.tmpfs[0] : NULL, "/", "--tmpfs=/ is absolute");
	cli_free(&c);
	if (parses(ARGS("--env=lower", "--env=1BAD", "x"), &c, "x"))
		ok(c.nenv == 2, "--env names are validated later by the library");
	cli_free(&c);
}

static void test_actions(void)
{
	struct cli c;
	static const struct {
		const char *arg;
		enum cli_action action;
	} t[] = {
		{ "-h", CLI_HELP },	      { "--help", CLI_HELP }, { "-V", CLI_VERSION },
		{ "--version", CLI_VERSION }, { "--he", CLI_HELP },   { "--vers", CLI_VERSION },
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(*t); i++) {
		char **argv = ARGS((char *)t[i].arg);
		if (parses(argv, &c, NULL)) {
			is_int(c.action, t[i].action, "%s: action", t[i].arg);
			ok(c.cmd == NULL, "%s: no command needed", t[i].arg);
		}
		cli_free(&c);
		argv = ARGS((char *)t[i].arg, "bash");
		if (parses(argv, &c, NULL))
			is_int(c.action, t[i].action, "%s bash: action", t[i].arg);
		cli_free(&c);
	}
	if (parses(ARGS("-qV"), &c, NULL))
		ok(c.action == CLI_VERSION && c.quiet, "-qV: clustered short options");
	cli_free(&c);
	if (parses(ARGS("-hV"), &c, NULL))
		is_int(c.action, CLI_HELP, "-hV: the first action wins");
	cli_free(&c);
	if (parses(ARGS("-h", "--bogus"), &c, NULL))
		is_int(c.action, CLI_HELP, "-h stops parsing before a bad option");
	cli_free(&c);
	if (parses(ARGS("--net=none", "--allow=1.2.3.4", "-h"), &c, NULL))
		is_int(c.action, CLI_HELP, "-h skips the --allow/--net check");
	cli_free(&c);
	if (parses(ARGS("--ro=/a", "--env=X", "-V"), &c, NULL))
		ok(c.action == CLI_VERSION && c.nbinds == 1 && c.nenv == 1,
		   "options before -V are kept (and freed by cli_free)");
	cli_free(&c);
	if (parses(ARGS("bash", "-h"), &c, "bash|-h"))
		is_int(c.action, CLI_RUN, "-h after the command belongs to the command");
	cli_free(&c);
	fails(ARGS("--bogus", "-h"), "unknown option '--bogus'; see 'ccsb --help'");
}

static void test_stop_at_command(void)
{
	struct cli c;
	if (parses(ARGS("bash", "--rw=/x"), &c, "bash|--rw=/x"))
		ok(c.nbinds == 0, "options after the command are not parsed");
	cli_free(&c);
	if (parses(ARGS("--print", "bash", "-q", "--print"), &c, "bash|-q|--print"))
		ok(c.print && !c.quiet, "only the options before the command count");
	cli_free(&c);
	char **argv = ARGS("--", "--weird-cmd");
	if (parses(argv, &c, "--weird-cmd"))
		ok(c.cmd == &argv[2], "--: the command starts after it");
	cli_free(&c);
	parses(ARGS("--print", "--", "bash", "-c", "x"), &c, "bash|-c|x");
	cli_free(&c);
	parses(ARGS("bash", "--", "x"), &c, "bash|--|x");
	cli_free(&c);
	parses(ARGS("--", "--", "x"), &c, "--|x");
	cli_free(&c);
	parses(ARGS("--", "-h"), &c, "-h");
	cli_free(&c);
	parses(ARGS("-"), &c, "-");
	cli_free(&c);
	parses(ARGS("-q", "-", "-q"), &c, "-|-q");
	cli_free(&c);
	parses(ARGS(""), &c, "");
	cli_free(&c);
	parses(ARGS("a b", "c\nd"), &c, "a b|c\nd");
	cli_free(&c);

	/* The parser does not permute argv. */
	argv = ARGS("--ro=/a", "cmd", "--rw=/b", "-q");
	char *copy[6];
	memcpy(copy, argv, sizeof(copy));
	parses(argv, &c, "cmd|--rw=/b|-q");
	ok(memcmp(copy, argv, sizeof(copy)) == 0, "argv is left in its order");
	cli_free(&c);
}

static void test_errors(void)
{
	fails(ARGS0, NO_CMD);
	fails(ARGS("--"), NO_CMD);
	fails(ARGS("--print"), NO_CMD);
	fails(ARGS("-q", "--ro=/a", "--env=A"), NO_CMD);

	fails(ARGS("--bogus", "x"), "unknown option '--bogus'; see 'ccsb --help'");
	fails(ARGS("--bogus=1", "x"), "unknown option '--bogus=1'; see 'ccsb --help'");
	fails(ARGS("-x", "bash"), "unknown option '-x'; see 'ccsb --help'");
	fails(ARGS("-qx", "bash"), "unknown option '-x'; see 'ccsb --help'");
	fails(ARGS("-Z"), "unknown option '-Z'; see 'ccsb --help'");
	fails(ARGS("--r=/x", "bash"),
	      "unknown option '--r=/x'; did you mean '--ro'? (see 'ccsb --help')");
	fails(ARGS("--zzzzzzzz", "bash"), "unknown option '--zzzzzzzz'; see 'ccsb --help'");
	fails(ARGS("--PRINT", "bash"),
	      "unknown option '--PRINT'; did you mean '--print'? (see 'ccsb --help')");

	fails(ARGS("--ro"), "option '--ro' needs a value");
	fails(ARGS("--rw"), "option '--rw' needs a value");
	fails(ARGS("--tmpfs"), "option '--tmpfs' needs a value");
	fails(ARGS("--env"), "option '--env' needs a value");
	fails(ARGS("--net"), "option '--net' needs a value");
	fails(ARGS("--allow"), "option '--allow' needs a value");
	fails(ARGS("--allow-file"), "option '--allow-file' needs a value");
	fails(ARGS("--uid"), "option '--uid' needs a value");
	fails(ARGS("--gid"), "option '--gid' needs a value");
	fails(ARGS("--tty"), "option '--tty' needs a value");
	fails(ARGS("--print", "--tm"), "option '--tm' needs a value");

	fails(ARGS("--ro=", "x"), "--ro=: empty path");
	fails(ARGS("--rw=", "x"), "--rw=: empty path");
	fails(ARGS("--ro=:/x", "x"), "--ro=:/x: empty path");
	fails(ARGS("--rw=:", "x"), "--rw=:: empty path");
	fails(ARGS("--ro=/a:rel", "x"), "--ro=/a:rel: destination must be an absolute path");
	fails(ARGS("--rw=/a:rel", "x"), "--rw=/a:rel: destination must be an absolute path");
	fails(ARGS("--ro=/a:", "x"), "--ro=/a:: destination must be an absolute path");
	fails(ARGS("--ro=/a::/b", "x"), "--ro=/a::/b: destination must be an absolute path");
	fails(ARGS("--tmpfs=rel", "x"), "--tmpfs=rel: must be an absolute path");
	fails(ARGS("--tmpfs=", "x"), "--tmpfs=: must be an absolute path");
	fails(ARGS("--tmpfs=./t", "x"), "--tmpfs=./t: must be an absolute path");
	fails(ARGS("--env=", "x"), "--env=: missing variable name");
	fails(ARGS("--env==x", "x"), "--env==x: missing variable name");
	fails(ARGS("--net=bogus", "x"), "--net=bogus: unknown mode (use none, full or allowlist)");
	fails(ARGS("--net=", "x"), "--net=: unknown mode (use none, full or allowlist)");
	fails(ARGS("--net=None", "x"), "--net=None: unknown mode (use none, full or allowlist)");
	fails(ARGS("--net=allow", "x"), "--net=allow: unknown mode (use none, full or allowlist)");
	fails(ARGS("--tty=yes", "x"), "--tty=yes: unknown mode (use auto, on or off)");
	fails(ARGS("--tty=", "x"), "--tty=: unknown mode (use auto, on or off)");
	fails(ARGS("--tty=ON", "x"), "--tty=ON: unknown mode (use auto, on or off)");

	static const char *const bad_ids[] = { "-1",	     "abc",	   "1x",
					       "",	     "+5",	   "0x10",
					       "1.5",	     "1 ",	   "4294901760",
					       "4294967295", "4294967296", "99999999999999999999",
					       "-0" };
	for (size_t i = 0; i < sizeof(bad_ids) / sizeof(*bad_ids); i++) {
		char arg[64], msg[128];
		snprintf(arg, sizeof(arg), "--uid=%s", bad_ids[i]);
		snprintf(msg, sizeof(msg), "--uid=%s: not a valid id", bad_ids[i]);
		fails(ARGS(arg, "x"), msg);
		snprintf(arg, sizeof(arg), "--gid=%s", bad_ids[i]);
		snprintf(msg, sizeof(msg), "--gid=%s: not a valid id", bad_ids[i]);
		fails(ARGS(arg, "x"), msg);
	}

	static const char allow_msg[] = "--allow and --allow-file need --net=allowlist";
	fails(ARGS("--allow=1.2.3.4", "--net=none", "x"), allow_msg);
	fails(ARGS("--net=none", "--allow=1.2.3.4", "x"), allow_msg);
	fails(ARGS("--net=full", "--allow=1.2.3.4", "x"), allow_msg);
	fails(ARGS("--net=none", "--allow-file=f", "x"), allow_msg);
	fails(ARGS("--net=full", "--allow-file=f", "x"), allow_msg);
	fails(ARGS("--net=allowlist", "--allow=1.2.3.4", "--net=full", "x"), allow_msg);
	fails(ARGS("--net=none", "--allow=1.2.3.4"), allow_msg);

	/* An error after options that allocated: everything is freed. */
	fails(ARGS("--ro=/a:/b", "--rw=/c", "--env=X", "--tmpfs=/t", "--allow=a.example",
		   "--allow-file=f", "--uid=5", "-q", "--print", "--tmpfs=rel", "x"),
	      "--tmpfs=rel: must be an absolute path");
	fails(ARGS("--ro=/a:/b", "--rw=/c:/d", "--ro=/e:rel", "x"),
	      "--ro=/e:rel: destination must be an absolute path");
	fails(ARGS("--ro=/a:/b", "--net=full", "--allow=x.example", "y"), allow_msg);
	fails(ARGS("--allow=x", "y"),
	      "--allow: bad allowlist entry 'x': not an address or a full domain name");
	fails(ARGS("--allow=", "y"), "--allow: bad allowlist entry '': empty entry");
	fails(ARGS("--ro=/a:/b", "--env=A=1"), NO_CMD);
}

/* Behaviour that looks wrong; TODO until fixed. */
static void test_known_bugs(void)
{
	struct cli c;
	char err[ERRLEN];

	/* A value given to a flag. */
	static const char *const with_value[] = { "--print=1",
						  "--quiet=1",
						  "--help=1",
						  "--no-default-allowlist=x",
						  "--no-seccomp=1",
						  "--nested-userns=1",
						  "--allow-clipboard=yes" };
	for (size_t i = 0; i < sizeof(with_value) / sizeof(*with_value); i++) {
		char **argv = ARGS((char *)with_value[i], "x");
		int r = parse(argv, &c, err);
		is_int(r, -1, "%s: fails", with_value[i]);
		char want[64];
		snprintf(want, sizeof(want), "option '%.*s' takes no value",
			 (int)strcspn(with_value[i], "="), with_value[i]);
		is_str(err, want, "%s: says the option takes no value", with_value[i]);
		cli_free(&c);
	}

	/* strtol would skip leading blanks. */
	static const char *const blank_ids[] = { " 5", "\t5", "\n5" };
	for (size_t i = 0; i < sizeof(blank_ids) / sizeof(*blank_ids); i++) {
		char arg[32];
		snprintf(arg, sizeof(arg), "--uid=%s", blank_ids[i]);
		int r = parse(ARGS(arg, "x"), &c, err);
		is_int(r, -1, "--uid with leading white space is refused");
		cli_free(&c);
	}
}

static void test_reparse(void)
{
	struct cli c;
	char err[ERRLEN];
	parses(ARGS("--ro=/a", "bash"), &c, "bash");
	ok(c.nbinds == 1, "first parse");
	cli_free(&c);
	parses(ARGS("--rw=/b", "--rw=/c", "zsh", "-l"), &c, "zsh|-l");
	ok(c.nbinds == 2 && c.binds[0].rw, "second parse starts from scratch");
	cli_free(&c);

	/* Stopped in the middle of "-hq": the next parse must not resume it. */
	parses(ARGS("-hq"), &c, NULL);
	ok(c.action == CLI_HELP && !c.quiet, "-hq stops at -h");
	cli_free(&c);
	parses(ARGS("x"), &c, "x");
	ok(!c.quiet && c.action == CLI_RUN, "after -hq: nothing left over");
	cli_free(&c);
	fails(ARGS("-qZ", "x"), "unknown option '-Z'; see 'ccsb --help'");
	parses(ARGS("y"), &c, "y");
	ok(!c.quiet, "after an error in a cluster: nothing left over");
	cli_free(&c);
	fails(ARGS("--ro"), "option '--ro' needs a value");
	parses(ARGS("--ro", "/x", "y"), &c, "y");
	ok(c.nbinds == 1 && strcmp(c.binds[0].src, "/x") == 0, "after a missing value");
	cli_free(&c);

	/* A shorter argv after a longer one. */
	parses(ARGS("-q", "-q", "-q", "-q", "a"), &c, "a");
	cli_free(&c);
	is_int(parse(ARGS0, &c, err), -1, "then no arguments at all");
	is_str(err, NO_CMD, "no command");

	/* The message is truncated to the buffer. */
	char small[10];
	memset(small, 'x', sizeof(small));
	char **argv = ARGS("--bogus", "x");
	is_int(cli_parse(argc_of(argv), argv, &c, small, sizeof(small)), -1, "small buffer");
	is_str(small, "unknown o", "message truncated and terminated");
}

static void test_usage(void)
{
	static const char *const documented[] = {
		"--ro=PATH[:DEST]",   "--rw=PATH[:DEST]",
		"--tmpfs=DEST",	      "--env=NAME[=VALUE]",
		"--net=MODE",	      "--allow=ENTRY",
		"--allow-file=FILE",  "--no-default-allowlist",
		"--uid=UID",	      "--gid=GID",
		"--tty=WHEN",	      "--no-seccomp",
		"--no-nested-userns", "--nested-userns",
		"--allow-clipboard",  "--print",
		"-q, --quiet",	      "-h, --help",
		"-V, --version",      "--path=DIR",
	};
	for (size_t i = 0; i < sizeof(documented) / sizeof(*documented); i++)
		ok(strstr(usage, documented[i]) != NULL, "usage documents %s", documented[i]);
	ok(strncmp(usage, "Usage: ccsb ", 12) == 0, "usage starts with Usage:");
	size_t n = strlen(usage);
	ok(n > 0 && usage[n - 1] == '\n', "usage ends with a newline");
	bool narrow = true;
	for (const char *l = usage; *l;) {
		size_t len = strcspn(l, "\n");
		if (len > 79)
			narrow = false;
		l += len + (l[len] == '\n');
	}
	ok(narrow, "usage lines fit in 79 columns");
}

/* --name registers the sandbox; ps and exec are subcommands (ccsb.c). */
static void test_session_name(void)
{
	struct cli c;
	if (parses(ARGS("--name=work", "bash"), &c, "bash")) {
		is_str(c.name, "work", "--name: the name");
		cli_free(&c);
	}
	if (parses(ARGS("bash"), &c, "bash")) {
		ok(c.name == NULL, "no --name: no name");
		cli_free(&c);
	}
	fails(ARGS("--name=", "bash"), "--name=: empty name");
	if (parses(ARGS("exec", "work", "--", "ls"), &c, "exec|work|--|ls")) {
		ok(!c.dashdash, "exec is the command word, handled by ccsb.c");
		cli_free(&c);
	}
	ok(strstr(usage, "--name=NAME") != NULL, "usage documents --name=NAME");
	ok(strstr(usage, "ccsb ps [-v]\n") != NULL, "usage documents ccsb ps [-v]");
	ok(strstr(usage, "ccsb events [--follow] NAME\n") != NULL, "usage documents ccsb events");
	if (parses(ARGS("events", "-f", "work"), &c, "events|-f|work")) {
		ok(!c.dashdash, "events is the command word, handled by ccsb.c");
		cli_free(&c);
	}
	ok(strstr(usage, "ccsb exec [OPTION...] NAME") != NULL, "usage documents ccsb exec");
}

static void test_ssh_agent(void)
{
	struct cli c;
	if (parses(ARGS("x"), &c, "x"))
		ok(c.ssh_agent == NULL, "no --ssh-agent: off");
	cli_free(&c);
	if (parses(ARGS("--ssh-agent", "bash"), &c, "bash"))
		ok(c.ssh_agent && !*c.ssh_agent,
		   "--ssh-agent: every key; the next word is the command");
	cli_free(&c);
	if (parses(ARGS("--ssh-agent=work*,other", "bash"), &c, "bash"))
		is_str(c.ssh_agent, "work*,other", "--ssh-agent=KEYFILTER kept as given");
	cli_free(&c);
	if (parses(ARGS("--ssh-agent=a", "--ssh-agent", "x"), &c, "x"))
		ok(c.ssh_agent && !*c.ssh_agent, "the last --ssh-agent wins");
	cli_free(&c);
	fails(ARGS("--ssh-agent=", "x"),
	      "--ssh-agent=: empty key filter (leave out '=' for every key)");
	if (parses(ARGS("x"), &c, "x"))
		ok(!c.git_credentials, "no --git-credentials: off");
	cli_free(&c);
	if (parses(ARGS("--git-credentials", "x"), &c, "x"))
		ok(c.git_credentials, "--git-credentials");
	cli_free(&c);
	fails(ARGS("--git-credentials=1", "x"), "option '--git-credentials' takes no value");
	ok(strstr(usage, "--git-credentials") != NULL, "usage documents --git-credentials");
	ok(strstr(usage, "--ssh-agent[=KEYFILTER]") != NULL, "usage documents --ssh-agent");
}

static void test_events(void)
{
	struct cli c;
	if (parses(ARGS("x"), &c, "x"))
		ok(c.events == NULL, "no --events: none");
	cli_free(&c);
	if (parses(ARGS("--events=/tmp/e.jsonl", "x"), &c, "x"))
		is_str(c.events, "/tmp/e.jsonl", "--events=FILE kept as given");
	cli_free(&c);
	if (parses(ARGS("--events=fd:3", "x"), &c, "x"))
		is_str(c.events, "fd:3", "--events=fd:3");
	cli_free(&c);
	if (parses(ARGS("--events=rel/e.jsonl", "x"), &c, "x"))
		is_str(c.events, "rel/e.jsonl",
		       "a relative FILE on the command line is the shell's");
	cli_free(&c);
	if (parses(ARGS("--events=fd:3", "--events=fd:4", "x"), &c, "x"))
		is_str(c.events, "fd:4", "the last --events wins");
	cli_free(&c);
	fails(ARGS("--events=", "x"), "--events=: empty; give a file name or fd:N");
	fails(ARGS("--events"), "option '--events' needs a value");
	static const char *const bad[] = { "fd:",   "fd:x",  "fd:-1",	      "fd:+3",
					   "fd: 3", "fd:3x", "fd:99999999999" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		char arg[64], msg[128];
		snprintf(arg, sizeof(arg), "--events=%s", bad[i]);
		snprintf(msg, sizeof(msg), "%s: not a descriptor number (fd:3, or a file name)",
			 arg);
		fails(ARGS(arg, "x"), msg);
	}
	fails(ARGS("--events=fd:0", "x"),
	      "--events=fd:0: descriptor 0 is standard input; give another (ccsb --events=fd:3 ... "
	      "3>FILE)");
	ok(strstr(usage, "--events=FILE|fd:N") != NULL, "usage documents --events");
}

static void test_path(void)
{
	struct cli c;
	if (parses(ARGS("--path=/opt/a/bin", "--path", "~/.cargo/bin", "--path=rel", "x"), &c,
		   "x")) {
		is_int(c.npaths, 3, "--path is repeatable");
		if (c.npaths == 3) {
			is_str(c.paths[0], "/opt/a/bin", "--path=DIR");
			is_str(c.paths[1], "~/.cargo/bin",
			       "--path DIR, as given (the shell expands ~)");
			is_str(c.paths[2], "rel", "a relative DIR is kept for ccsb to resolve");
		}
		ok(c.nbinds == 0 && c.nenv == 0, "--path adds no bind or variable by itself");
	}
	cli_free(&c);
	ok(c.paths == NULL && c.npaths == 0, "cli_free() clears the paths");
	fails(ARGS("--path=", "x"), "--path=: empty directory name");
	fails(ARGS("--path"), "option '--path' needs a value");
}

static void test_toolenv(void)
{
	static const struct {
		const char *value, *want;
	} t[] = {
		{ "vi", "vi" },
		{ "code --wait", "code" },
		{ "  nano\t-w", "nano" },
		{ "/usr/bin/vim -f", "/usr/bin/vim" },
		{ "less -R", "less" },
		{ "./edit.sh", "./edit.sh" },
		{ "", NULL },
		{ "   ", NULL },
		{ "\"my editor\" -w", NULL },
		{ "$HOME/bin/ed", NULL },
		{ "`which vi`", NULL },
		{ "~/bin/ed", NULL },
		{ "ed;rm", NULL },
		{ "A=1 vi", NULL },
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(*t); i++) {
		char out[64] = "";
		bool r = toolenv_program(t[i].value, out, sizeof(out));
		if (t[i].want) {
			ok(r, "program of '%s' is checked", t[i].value);
			is_str(out, t[i].want, "... it is '%s'", t[i].want);
		} else {
			ok(!r, "'%s' is left to the shell: not checked", t[i].value);
		}
	}
	char small[4];
	ok(!toolenv_program("emacs", small, sizeof(small)),
	   "a name longer than the buffer is not checked");
	ok(!toolenv_program(NULL, small, sizeof(small)), "NULL: nothing to check");
	is_int((long)toolenv_nvars, 5, "five variables");
	static const char *const names[] = { "EDITOR", "VISUAL", "PAGER", "GIT_EDITOR",
					     "GIT_PAGER" };
	for (size_t i = 0; i < 5 && i < toolenv_nvars; i++)
		is_str(toolenv_vars[i], names[i], "variable %zu is %s", i, names[i]);
}

static void test_bounds(void)
{
	struct cli c;
	static const struct {
		char *arg;
		unsigned long long want;
	} mem[] = {
		{ "--memory=none", CCSB_BOUND_NONE },
		{ "--memory=1", 1 },
		{ "--memory=64M", 64ull << 20 },
		{ "--memory=64m", 64ull << 20 },
		{ "--memory=512MiB", 512ull << 20 },
		{ "--memory=2KB", 2048 },
		{ "--memory=8G", 8ull << 30 },
		{ "--memory=3T", 3ull << 40 },
		{ "--memory=16777215T", 16777215ull << 40 },
	};
	for (size_t i = 0; i < sizeof(mem) / sizeof(*mem); i++) {
		if (parses(ARGS(mem[i].arg, "x"), &c, "x"))
			ok(c.memory == mem[i].want && !c.pids, "%s: %llu bytes", mem[i].arg,
			   mem[i].want);
		cli_free(&c);
	}
	if (parses(ARGS("--pids=none", "x"), &c, "x"))
		ok(c.pids == CCSB_BOUND_NONE && !c.memory, "--pids=none");
	cli_free(&c);
	if (parses(ARGS("--pids=64", "--memory=1G", "--pids", "100", "x"), &c, "x"))
		ok(c.pids == 100 && c.memory == 1ull << 30, "--pids twice: the last wins");
	cli_free(&c);
	static const char *const badmem[] = { "",
					      "0",
					      "0M",
					      "-1",
					      " 5",
					      "5 ",
					      "1.5G",
					      "5X",
					      "5MB2",
					      "5iB",
					      "M",
					      "none2",
					      "16777216T",
					      "18446744073709551615",
					      "99999999999999999999" };
	for (size_t i = 0; i < sizeof(badmem) / sizeof(*badmem); i++) {
		char arg[64], msg[128];
		snprintf(arg, sizeof(arg), "--memory=%s", badmem[i]);
		snprintf(msg, sizeof(msg), "--memory=%s: not a size (use e.g. 512M, 8G, or none)",
			 badmem[i]);
		fails(ARGS(arg, "x"), msg);
	}
	static const char *const badpids[] = { "",
					       "0",
					       "-5",
					       "+5",
					       "5k",
					       "1e3",
					       " 7",
					       "18446744073709551615",
					       "99999999999999999999" };
	for (size_t i = 0; i < sizeof(badpids) / sizeof(*badpids); i++) {
		char arg[64], msg[128];
		snprintf(arg, sizeof(arg), "--pids=%s", badpids[i]);
		snprintf(msg, sizeof(msg),
			 "--pids=%s: not a number of tasks (use e.g. 4096, or none)", badpids[i]);
		fails(ARGS(arg, "x"), msg);
	}
}

int main(void)
{
	usage = cli_usage();
	if (!usage)
		return 1;
	test_path();
	test_toolenv();
	test_bounds();
	test_minimal();
	test_every_option();
	test_options_one_by_one();
	test_actions();
	test_stop_at_command();
	test_errors();
	test_known_bugs();
	test_reparse();
	test_usage();
	test_ssh_agent();
	test_session_name();
	test_events();
	return done_testing();
}
