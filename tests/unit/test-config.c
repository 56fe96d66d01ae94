/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The configuration file: parsing, merging under the command line, the
 * refusal of files the sandbox could write, and "--" before "doctor". */
#include "../../tools/config.h"
#include "tap.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <getopt.h>
#include <unistd.h>

#include "../../tools/cli.h"
#include "ccsandbox.h"

#define ARGS(...) ((char *[]){ "ccsb", __VA_ARGS__, NULL })

static char err[1024];

static int argc_of(char **argv)
{
	int n = 0;
	while (argv[n])
		n++;
	return n;
}

static int parse(const char *text, struct cli *c)
{
	return config_parse(text, strlen(text), "c", "/home/u", c, err, sizeof(err));
}

/* The parse fails with exactly `msg`, and leaves nothing behind. */
static void parse_error(const char *text, const char *msg)
{
	struct cli c;
	int r = parse(text, &c);
	is_int(r, -1, "rejected: %s", text);
	is_str(err, msg, "... message");
	ok(c.nbinds == 0 && c.nallow == 0 && c.nenv == 0 && c.nowned == 0 && c.net == -1,
	   "... nothing kept");
	cli_free(&c);
}

static void test_parse(void)
{
	struct cli c;
	is_int(parse("", &c), 0, "an empty file parses");
	ok(c.net == -1 && c.nbinds == 0 && !c.no_default_allowlist && c.uid == -1,
	   "... and sets nothing");
	cli_free(&c);

	static const char full[] = "# ccsb configuration\n"
				   "\n"
				   "   # indented comment\n"
				   "ro = /opt/data\n"
				   "ro=~/datasets:/data\n"
				   "rw\t=\t/srv/cache  \n"
				   "tmpfs = /scratch\r\n"
				   "env = EDITOR\n"
				   "env = GREETING=hello # not a comment = kept\n"
				   "allow = 198.51.100.0/24\n"
				   "allow = 2001:db8::1\n"
				   "allow-file = ~/extra-ranges.txt\n"
				   "net = full\n"
				   "net = allowlist\n"
				   "no-default-allowlist = true\n"
				   "rw = ~"; /* no final newline */
	is_int(parse(full, &c), 0, "a full file parses: %s", err);
	is_int(c.nbinds, 4, "four binds");
	if (c.nbinds == 4) {
		is_str(c.binds[0].src, "/opt/data", "ro PATH");
		ok(c.binds[0].dest == NULL && !c.binds[0].rw, "... same path inside, read-only");
		is_str(c.binds[1].src, "/home/u/datasets", "~/ expands to the home directory");
		is_str(c.binds[1].dest, "/data", "... DEST kept");
		is_str(c.binds[2].src, "/srv/cache", "tabs and trailing blanks trimmed");
		ok(c.binds[2].rw, "... rw");
		is_str(c.binds[3].src, "/home/u", "a lone ~ is the home directory");
	}
	is_int(c.ntmpfs, 1, "one tmpfs");
	if (c.ntmpfs == 1)
		is_str(c.tmpfs[0], "/scratch", "CR before LF trimmed");
	is_int(c.nenv, 2, "two env entries");
	if (c.nenv == 2) {
		is_str(c.env[0], "EDITOR", "env NAME");
		is_str(c.env[1], "GREETING=hello # not a comment = kept",
		       "env value keeps '#' and '=': only whole lines are comments");
	}
	is_int(c.nallow, 2, "two allow entries");
	if (c.nallow == 2)
		is_str(c.allow[1], "2001:db8::1", "IPv6 entry");
	is_int(c.nallow_files, 1, "one allow-file");
	if (c.nallow_files == 1)
		is_str(c.allow_files[0], "/home/u/extra-ranges.txt", "allow-file ~/ expanded");
	is_int(c.net, CCSB_NET_ALLOWLIST, "the last net wins");
	ok(c.no_default_allowlist, "no-default-allowlist = true");
	cli_free(&c);

	is_int(parse("no-default-allowlist = false\nnet = none\n", &c), 0, "false parses");
	ok(!c.no_default_allowlist && c.net == CCSB_NET_NONE, "... false, none");
	is_int(c.nested_userns, -1, "nested-userns not given: -1");
	cli_free(&c);

	is_int(parse("nested-userns = true\n", &c), 0, "nested-userns = true parses");
	is_int(c.nested_userns, 1, "... 1");
	cli_free(&c);
	is_int(parse("nested-userns = false\n", &c), 0, "nested-userns = false parses");
	is_int(c.nested_userns, 0, "... 0");
	cli_free(&c);
	parse_error("nested-userns = on\n", "c:1: nested-userns 'on': use true or false");
	is_int(c.allow_clipboard, -1, "allow-clipboard not given: -1");
	is_int(parse("allow-clipboard = true\n", &c), 0, "allow-clipboard = true parses");
	is_int(c.allow_clipboard, 1, "... 1");
	cli_free(&c);
	is_int(parse("allow-clipboard = false\n", &c), 0, "allow-clipboard = false parses");
	is_int(c.allow_clipboard, 0, "... 0");
	cli_free(&c);
	parse_error("allow-clipboard = 1\n", "c:1: allow-clipboard '1': use true or false");

	parse_error("ro = /a\n# x\n\nfoo = bar\n",
		    "c:4: unknown key 'foo'; the keys are the long options of ccsb --help");
	parse_error("RO = /a\n", "c:1: unknown key 'RO'; did you mean 'ro'? (the keys are the "
				 "long options of ccsb --help)");
	parse_error("--ro = /a\n", "c:1: unknown key '--ro'; did you mean 'ro'? (the keys are the "
				   "long options of ccsb --help)");
	parse_error("print = true\n",
		    "c:1: 'print' is a command-line option only; remove the line");
	parse_error(
		"complete-options = true\n",
		"c:1: unknown key 'complete-options'; the keys are the long options of ccsb --help");
	parse_error("quiet = yes\n", "c:1: quiet 'yes': use true or false");
	parse_error("ro /a\n", "c:1: expected 'key = value', got 'ro /a'");
	parse_error(" = /a\n", "c:1: missing key before '='");
	parse_error("ro =   \n", "c:1: missing value for 'ro'");
	parse_error("net = maybe\n",
		    "c:1: net 'maybe': unknown mode (use none, full or allowlist)");
	parse_error("net = Full\n", "c:1: net 'Full': unknown mode (use none, full or allowlist)");
	parse_error("no-default-allowlist = yes\n",
		    "c:1: no-default-allowlist 'yes': use true or false");
	parse_error("ro = data\n", "c:1: ro 'data': must be an absolute path or start with ~/");
	parse_error("rw = ~user/x\n",
		    "c:1: rw '~user/x': must be an absolute path or start with ~/");
	parse_error("ro = /a:data\n", "c:1: ro '/a:data': destination must be an absolute path");
	parse_error("ro = :/data\n", "c:1: ro ':/data': empty path");
	parse_error("tmpfs = tmp\n", "c:1: tmpfs 'tmp': must be an absolute path");
	parse_error("env = =x\n", "c:1: env '=x': missing variable name");
	parse_error("allow-file = ranges.txt\n",
		    "c:1: allow-file 'ranges.txt': must be an absolute path or start with ~/");
	static const char nul[] = "ro = /ok\nro = /a\0b\n";
	ok(config_parse(nul, sizeof(nul) - 1, "c", "/home/u", &c, err, sizeof(err)) == -1 &&
		   strcmp(err, "c:2: NUL byte in line") == 0,
	   "a NUL byte is an error: %s", err);
	cli_free(&c);

	/* Allowlist entries are checked by the library, with the line. */
	ok(parse("\n\nallow = 10.0.0.0/33\n", &c) == -1 && strncmp(err, "c:3: allow: ", 12) == 0,
	   "a bad allow entry names the line: %s", err);
	cli_free(&c);
	ok(parse("allow = example.com junk\n", &c) == -1 && strncmp(err, "c:1: allow: ", 12) == 0,
	   "... and garbage: %s", err);
	cli_free(&c);

	ok(config_parse("ro = ~/x\n", 9, "c", NULL, &c, err, sizeof(err)) == -1 &&
		   strcmp(err, "c:1: ro '~/x': '~' used but there is no home directory") == 0,
	   "~ without a home directory is an error: %s", err);
	cli_free(&c);

	/* The length is what counts, not a terminating NUL. */
	is_int(config_parse("net = none\nfoo", 10, "c", NULL, &c, err, sizeof(err)), 0,
	       "only `len` bytes are parsed");
	is_int(c.net, CCSB_NET_NONE, "... the line before them counts");
	cli_free(&c);
}

static void test_merge(void)
{
	struct cli c, conf;
	char **argv = ARGS("--ro=/b", "--env=A=2", "--allow-file=/f2", "true");
	is_int(parse("ro = /a\nenv = A=1\nallow = 192.0.2.1\nallow-file = /f1\nnet = full\n"
		     "no-default-allowlist = true\ntmpfs = /t\n",
		     &conf),
	       0, "merge: configuration parses");
	is_int(cli_parse(argc_of(argv), argv, &c, err, sizeof(err)), 0,
	       "merge: command line parses");
	is_int(config_merge(&c, &conf, err, sizeof(err)), 0, "merge succeeds");
	is_int(c.nbinds, 2, "binds accumulate");
	if (c.nbinds == 2) {
		is_str(c.binds[0].src, "/a", "the file's bind first");
		is_str(c.binds[1].src, "/b", "the command line's after it");
	}
	is_int(c.nenv, 2, "env accumulates");
	if (c.nenv == 2)
		ok(strcmp(c.env[0], "A=1") == 0 && strcmp(c.env[1], "A=2") == 0,
		   "the command line's value comes last, so it wins");
	is_int(c.nallow_files, 2, "allow-files accumulate");
	if (c.nallow_files == 2)
		ok(strcmp(c.allow_files[0], "/f1") == 0 && strcmp(c.allow_files[1], "/f2") == 0,
		   "... in order");
	is_int(c.nallow, 1, "the file's allow entry is kept");
	is_int(c.ntmpfs, 1, "the file's tmpfs is kept");
	is_int(c.net, CCSB_NET_ALLOWLIST,
	       "--allow-file on the command line selects the allowlist "
	       "over the file's net = full");
	ok(c.no_default_allowlist, "no-default-allowlist from the file");
	ok(conf.nbinds == 0 && conf.nowned == 0 && conf.nenv == 0, "the configuration is emptied");
	is_str(c.cmd[0], "true", "the command is untouched");
	cli_free(&conf);
	cli_free(&c);

	argv = ARGS("--net=none", "true");
	parse("net = full\nallow = 192.0.2.1\n", &conf);
	cli_parse(argc_of(argv), argv, &c, err, sizeof(err));
	config_merge(&c, &conf, err, sizeof(err));
	is_int(c.net, CCSB_NET_NONE, "--net on the command line wins");
	cli_free(&conf);
	cli_free(&c);

	argv = ARGS("true");
	parse("net = full\n", &conf);
	cli_parse(argc_of(argv), argv, &c, err, sizeof(err));
	config_merge(&c, &conf, err, sizeof(err));
	is_int(c.net, CCSB_NET_FULL, "without --net, the file's net applies");
	ok(!c.no_default_allowlist, "no-default-allowlist stays off");
	cli_free(&conf);
	cli_free(&c);

	argv = ARGS("--print", "true");
	parse("", &conf);
	cli_parse(argc_of(argv), argv, &c, err, sizeof(err));
	config_merge(&c, &conf, err, sizeof(err));
	ok(c.net == -1 && c.nbinds == 0 && c.print, "an empty file changes nothing");
	is_int(c.nested_userns, -1, "... nor nested-userns");
	cli_free(&conf);
	cli_free(&c);

	argv = ARGS("true");
	parse("nested-userns = true\n", &conf);
	cli_parse(argc_of(argv), argv, &c, err, sizeof(err));
	config_merge(&c, &conf, err, sizeof(err));
	is_int(c.nested_userns, 1, "the file's nested-userns applies");
	cli_free(&conf);
	cli_free(&c);

	argv = ARGS("true");
	parse("allow-clipboard = true\n", &conf);
	cli_parse(argc_of(argv), argv, &c, err, sizeof(err));
	config_merge(&c, &conf, err, sizeof(err));
	is_int(c.allow_clipboard, 1, "the file's allow-clipboard applies");
	cli_free(&conf);
	cli_free(&c);

	argv = ARGS("--no-nested-userns", "true");
	parse("nested-userns = true\n", &conf);
	cli_parse(argc_of(argv), argv, &c, err, sizeof(err));
	config_merge(&c, &conf, err, sizeof(err));
	is_int(c.nested_userns, 0, "--no-nested-userns on the command line wins over the file");
	cli_free(&conf);
	cli_free(&c);
}

static void test_dashdash(void)
{
	struct cli c;
	char **a = ARGS("doctor");
	cli_parse(argc_of(a), a, &c, err, sizeof(err));
	ok(!c.dashdash && strcmp(c.cmd[0], "doctor") == 0, "ccsb doctor: no --");
	cli_free(&c);
	a = ARGS("--", "doctor");
	cli_parse(argc_of(a), a, &c, err, sizeof(err));
	ok(c.dashdash && strcmp(c.cmd[0], "doctor") == 0, "ccsb -- doctor: --");
	cli_free(&c);
	a = ARGS("-q", "--net=none", "--", "doctor");
	cli_parse(argc_of(a), a, &c, err, sizeof(err));
	ok(c.dashdash, "ccsb -q --net=none -- doctor: --");
	cli_free(&c);
	a = ARGS("--env", "--", "doctor");
	is_int(cli_parse(argc_of(a), a, &c, err, sizeof(err)), 0, "ccsb --env -- doctor parses");
	ok(!c.dashdash && c.nenv == 1 && strcmp(c.env[0], "--") == 0,
	   "... the -- is --env's value, not the end of the options");
	cli_free(&c);
}

static char base[PATH_MAX];

static void mk(const char *rel, bool dir)
{
	char p[PATH_MAX * 2];
	snprintf(p, sizeof(p), "%s/%s", base, rel);
	if (dir) {
		if (mkdir(p, 0755) < 0)
			bail_out("mkdir failed");
	} else {
		FILE *f = fopen(p, "w");
		if (!f)
			bail_out("cannot create a file");
		fputs("net = none\n", f);
		fclose(f);
	}
}

static void ln(const char *target, const char *rel)
{
	char p[PATH_MAX * 2];
	snprintf(p, sizeof(p), "%s/%s", base, rel);
	if (symlink(target, p) < 0)
		bail_out("symlink failed");
}

/* config_check_path() on base/rel with `root` (relative to base, or "/"). */
static int check(const char *rel, const char *root)
{
	char p[PATH_MAX * 2], r[PATH_MAX * 2], resolved[PATH_MAX];
	snprintf(p, sizeof(p), "%s/%s", base, rel);
	if (strcmp(root, "/") == 0)
		snprintf(r, sizeof(r), "/");
	else
		snprintf(r, sizeof(r), "%s/%s", base, root);
	const char *roots[] = { r };
	return config_check_path(p, roots, 1, "cfg", resolved, err, sizeof(err));
}

static void test_check_path(void)
{
	const char *tmp = getenv("TMPDIR");
	char tmpl[PATH_MAX];
	snprintf(tmpl, sizeof(tmpl), "%s/ccsb-test-config.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(tmpl) || !realpath(tmpl, base))
		bail_out("mkdtemp failed");
	mk("proj", true);
	mk("proj/.config", true);
	mk("proj/.config/ccsb", true);
	mk("proj/.config/ccsb/config", false);
	mk("home", true);
	mk("home/.config", true);
	mk("home/.config/ccsb", true);
	mk("home/.config/ccsb/config", false);
	mk("outside", true);
	mk("outside/config", false);
	ln("../../proj/.config", "home/.config/link");
	ln(base, "home/abs");
	ln("../outside", "proj/out");
	ln("l2", "home/l1");
	ln("../proj", "home/l2");
	ln("loop", "home/loop");

	char resolved[PATH_MAX], want[PATH_MAX * 2];
	const char *roots[] = { "/nonexistent-root" };
	char p[PATH_MAX * 2];
	snprintf(p, sizeof(p), "%s/home/.config/../.config/./ccsb//config", base);
	is_int(config_check_path(p, roots, 1, "cfg", resolved, err, sizeof(err)), 0,
	       "a file outside the roots is accepted");
	snprintf(want, sizeof(want), "%s/home/.config/ccsb/config", base);
	is_str(resolved, want, "... and resolved (., .., //)");

	is_int(check("home/.config/ccsb/config", "proj"), 0,
	       "home config with the project as root");
	is_int(check("proj/.config/ccsb/config", "proj"), -1,
	       "a config inside the project is refused");
	ok(strstr(err, "the sandbox can write ") && strstr(err, "/proj (shared read-write)"),
	   "... saying why: %s", err);
	is_int(check("home/.config/link/ccsb/config", "proj"), -1,
	       "a symlinked directory pointing into the project is refused");
	ok(strstr(err, "/proj (shared read-write)") != NULL, "... naming the shared directory: %s",
	   err);
	is_int(check("home/abs/proj/.config/ccsb/config", "proj"), -1,
	       "... also through an absolute symlink");
	is_int(check("home/l1/.config/ccsb/config", "proj"), -1, "... and a chain of symlinks");
	is_int(check("proj/out/config", "proj"), -1,
	       "a symlink inside the project pointing outside is refused (it can be changed)");
	is_int(check("outside/config", "proj"), 0, "the symlink's target itself is fine");
	is_int(check("home/.config/nope/config", "proj"), 1, "a missing directory: 1");
	is_int(check("home/.config/ccsb/config/x", "proj"), 1, "a file used as a directory: 1");
	is_int(check("home/loop/config", "proj"), -1, "a symlink loop is an error");
	ok(strstr(err, "symbolic links") != NULL, "... ELOOP: %s", err);
	is_int(check("home/.config/ccsb/config", "home/.config/ccsb/config"), -1,
	       "the file itself as a root (~/.claude.json) is refused");
	is_int(check("home/.config/ccsb/config", "home/.config"), -1,
	       "a root above the file is refused (--rw=~/.config)");
	is_int(check("home/.config/ccsb/config", "home/.conf"), 0,
	       "a root that is only a string prefix is not a parent");
	is_int(check("home/.config/ccsb/config", "/"), -1, "root / covers everything");
	is_int(config_check_path("relative/config", roots, 1, "cfg", resolved, err, sizeof(err)),
	       -1, "a relative path is an error");

	char cmd[PATH_MAX * 2 + 16];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", base);
	if (system(cmd) != 0)
		diag("could not remove %s", base);
}

static void test_config_path(void)
{
	char p[PATH_MAX];
	setenv("HOME", "/home/u", 1);
	setenv("XDG_CONFIG_HOME", "/xdg", 1);
	ok(config_path(p, sizeof(p)) == 0 && strcmp(p, "/xdg/ccsb/config") == 0,
	   "XDG_CONFIG_HOME: %s", p);
	setenv("XDG_CONFIG_HOME", "relative/dir", 1);
	ok(config_path(p, sizeof(p)) == 0 && strcmp(p, "/home/u/.config/ccsb/config") == 0,
	   "a relative XDG_CONFIG_HOME is ignored (XDG rule): %s", p);
	unsetenv("XDG_CONFIG_HOME");
	ok(config_path(p, sizeof(p)) == 0 && strcmp(p, "/home/u/.config/ccsb/config") == 0,
	   "default ~/.config/ccsb/config: %s", p);
	is_int(config_path(p, 10), -1, "too long for the buffer: -1");
}

static void test_ssh_agent(void)
{
	struct cli c, conf;
	is_int(parse("ssh-agent = true\n", &c), 0, "ssh-agent = true");
	ok(c.ssh_agent && !*c.ssh_agent, "... every key");
	cli_free(&c);
	is_int(parse("ssh-agent = work*, SHA256:AJt1kmaagKEdzW+ImfneVc82zQuwvRUCAh6CXVfbU0A\n", &c),
	       0, "blanks after a comma are allowed");
	cli_free(&c);
	parse_error(
		"ssh-agent = work*, SHA256:short\n",
		"c:1: ssh-agent: bad ssh-agent key filter 'work*, SHA256:short': a fingerprint is "
		"SHA256: and 43 base64 characters, as ssh-add -l prints it");
	is_int(parse("ssh-agent = work*,SHA256:AJt1kmaagKEdzW+ImfneVc82zQuwvRUCAh6CXVfbU0A\n", &c),
	       0, "ssh-agent = KEYFILTER");
	is_str(c.ssh_agent, "work*,SHA256:AJt1kmaagKEdzW+ImfneVc82zQuwvRUCAh6CXVfbU0A", "... kept");
	cli_free(&c);
	is_int(parse("ssh-agent = true\nssh-agent = false\n", &c), 0, "ssh-agent = false");
	ok(c.ssh_agent == NULL, "... the last line wins: off");
	cli_free(&c);
	parse_error(
		"\nssh-agent = SHA256:short\n",
		"c:2: ssh-agent: bad ssh-agent key filter 'SHA256:short': a fingerprint is SHA256: "
		"and 43 base64 characters, as ssh-add -l prints it");
	parse_error("ssh-agent = a,,b\n",
		    "c:1: ssh-agent: bad ssh-agent key filter 'a,,b': empty key "
		    "pattern (between commas, or at either end)");

	is_int(parse("git-credentials = true\n", &c), 0, "git-credentials = true");
	ok(c.git_credentials, "... on");
	cli_free(&c);
	is_int(parse("git-credentials = true\ngit-credentials = false\n", &c), 0,
	       "git-credentials = false");
	ok(!c.git_credentials, "... the last line wins: off");
	cli_free(&c);
	parse_error("git-credentials = yes\n", "c:1: git-credentials 'yes': use true or false");
	{
		char **av = ARGS("true");
		parse("git-credentials = true\n", &conf);
		cli_parse(argc_of(av), av, &c, err, sizeof(err));
		config_merge(&c, &conf, err, sizeof(err));
		ok(c.git_credentials, "the file's git-credentials applies");
		cli_free(&conf);
		cli_free(&c);
	}

	char **argv = ARGS("true");
	parse("ssh-agent = work*\n", &conf);
	cli_parse(argc_of(argv), argv, &c, err, sizeof(err));
	is_int(config_merge(&c, &conf, err, sizeof(err)), 0, "merge");
	is_str(c.ssh_agent, "work*", "the file's ssh-agent applies without the option");
	cli_free(&conf);
	cli_free(&c);
	argv = ARGS("--ssh-agent=personal", "true");
	parse("ssh-agent = work*\n", &conf);
	cli_parse(argc_of(argv), argv, &c, err, sizeof(err));
	config_merge(&c, &conf, err, sizeof(err));
	is_str(c.ssh_agent, "personal", "--ssh-agent on the command line wins");
	cli_free(&conf);
	cli_free(&c);
}

static void test_path_key(void)
{
	struct cli c, conf;
	is_int(parse("path = ~/.cargo/bin\npath = /opt/tool/bin\n", &c), 0, "path keys parse: %s",
	       err);
	is_int(c.npaths, 2, "two paths");
	if (c.npaths == 2) {
		is_str(c.paths[0], "/home/u/.cargo/bin", "path ~/ expanded");
		is_str(c.paths[1], "/opt/tool/bin", "absolute path kept");
	}
	cli_free(&c);
	parse_error("path = bin\n", "c:1: path 'bin': must be an absolute path or start with ~/");
	parse_error("path =\n", "c:1: missing value for 'path'");

	char **argv = ARGS("--path=/cli/bin", "true");
	is_int(parse("path = /conf/bin\n", &conf), 0, "merge: a configured path");
	is_int(cli_parse(argc_of(argv), argv, &c, err, sizeof(err)), 0, "merge: --path parses");
	is_int(config_merge(&c, &conf, err, sizeof(err)), 0, "merge: succeeds");
	is_int(c.npaths, 2, "paths accumulate");
	if (c.npaths == 2)
		ok(strcmp(c.paths[0], "/conf/bin") == 0 && strcmp(c.paths[1], "/cli/bin") == 0,
		   "the file's path first, then the command line's");
	ok(conf.npaths == 0 && conf.paths == NULL, "the configuration's list is emptied");
	cli_free(&c);
}

static void test_events_key(void)
{
	struct cli c, conf;
	is_int(parse("events = ~/ccsb-events.jsonl\n", &c), 0, "events key parses: %s", err);
	is_str(c.events, "/home/u/ccsb-events.jsonl", "events ~/ expanded");
	cli_free(&c);
	is_int(parse("events = fd:3\n", &c), 0, "events = fd:3 parses: %s", err);
	is_str(c.events, "fd:3", "events fd:N kept");
	cli_free(&c);
	parse_error("events = fd:x\n",
		    "c:1: events 'fd:x': not a descriptor number (fd:3, or a file name)");
	parse_error("events = rel.jsonl\n",
		    "c:1: events 'rel.jsonl': must be an absolute path or start with ~/");

	char **argv = ARGS("--events=fd:5", "true");
	is_int(parse("events = /conf/e.jsonl\n", &conf), 0, "merge: a configured stream");
	is_int(cli_parse(argc_of(argv), argv, &c, err, sizeof(err)), 0, "merge: --events parses");
	is_int(config_merge(&c, &conf, err, sizeof(err)), 0, "merge: succeeds");
	is_str(c.events, "fd:5", "--events on the command line wins over the file");
	cli_free(&c);
	is_int(parse("events = /conf/e.jsonl\n", &conf), 0, "merge: a configured stream");
	argv = ARGS("true");
	is_int(cli_parse(argc_of(argv), argv, &c, err, sizeof(err)), 0, "merge: no --events");
	is_int(config_merge(&c, &conf, err, sizeof(err)), 0, "merge: succeeds");
	is_str(c.events, "/conf/e.jsonl", "without --events the file's applies");
	cli_free(&c);
}

static void test_bounds(void)
{
	struct cli c, conf;
	is_int(parse("memory = 2G\npids = 512\n", &c), 0, "memory and pids keys parse");
	ok(c.memory == 2ull << 30 && c.pids == 512, "... to 2G and 512");
	cli_free(&c);
	is_int(parse("memory = none\npids = none\n", &c), 0, "none parses");
	ok(c.memory == CCSB_BOUND_NONE && c.pids == CCSB_BOUND_NONE, "... to CCSB_BOUND_NONE");
	cli_free(&c);
	parse_error("memory = lots\n",
		    "c:1: memory 'lots': not a size (use e.g. 512M, 8G, or none)");
	parse_error("pids = 0\n", "c:1: pids '0': not a number of tasks (use e.g. 4096, or none)");

	char **argv = ARGS("--pids=64", "true");
	parse("memory = 1G\npids = 512\n", &conf);
	cli_parse(argc_of(argv), argv, &c, err, sizeof(err));
	config_merge(&c, &conf, err, sizeof(err));
	ok(c.memory == 1ull << 30, "the file's memory applies without --memory");
	ok(c.pids == 64, "--pids on the command line wins");
	cli_free(&conf);
	cli_free(&c);
}

/* Everything an option can set, as text: two parses agree when these do.
 * An option that sets a new field of struct cli needs a line here. */
static char *dump(const struct cli *c)
{
	char *out = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&out, &n);
	if (!f)
		return NULL;
	fprintf(f, "action=%d print=%d quiet=%d nda=%d net=%d uid=%ld gid=%ld tty=%d", c->action,
		c->print, c->quiet, c->no_default_allowlist, c->net, c->uid, c->gid, c->tty);
	fprintf(f, " noseccomp=%d nested=%d clip=%d lognet=%s events=%s", c->no_seccomp,
		c->nested_userns, c->allow_clipboard, c->log_net ? c->log_net : "-",
		c->events ? c->events : "-");
	fprintf(f, " ssh=%s gitcred=%d mem=%llu pids=%llu", c->ssh_agent ? c->ssh_agent : "-",
		c->git_credentials, c->memory, c->pids);
	fprintf(f, " name=%s", c->name ? c->name : "-");
	for (size_t i = 0; i < c->nbinds; i++)
		fprintf(f, " bind=%s:%s:%d", c->binds[i].src,
			c->binds[i].dest ? c->binds[i].dest : "-", c->binds[i].rw);
	static const char *const names[] = { "tmpfs", "env",	 "allow",    "allow-file",
					     "path",  "publish", "host-port" };
	const char *const *lists[] = { c->tmpfs, c->env,     c->allow,	   c->allow_files,
				       c->paths, c->publish, c->host_ports };
	size_t counts[] = { c->ntmpfs, c->nenv,	    c->nallow,	   c->nallow_files,
			    c->npaths, c->npublish, c->nhost_ports };
	for (size_t l = 0; l < 7; l++)
		for (size_t i = 0; i < counts[l]; i++)
			fprintf(f, " %s=%s", names[l], lists[l][i]);
	fclose(f);
	return out;
}

/* A value for each option of the table, the same on the command line and in
 * the file (absolute paths). A new option needs one. */
static const struct {
	const char *name, *val;
} samples[] = {
	{ "ro", "/a:/b" },
	{ "rw", "/c" },
	{ "tmpfs", "/t" },
	{ "path", "/opt/bin" },
	{ "env", "A=1" },
	{ "net", "none" },
	{ "allow", "192.0.2.1" },
	{ "allow-file", "/f" },
	{ "no-default-allowlist", NULL },
	{ "log-net", "/log" },
	{ "publish", "8080:80" },
	{ "host-port", "5432,6379" },
	{ "events", "/events.jsonl" },
	{ "ssh-agent", "work*" },
	{ "git-credentials", NULL },
	{ "uid", "5" },
	{ "gid", "6" },
	{ "tty", "off" },
	{ "allow-clipboard", NULL },
	{ "no-seccomp", NULL },
	{ "nested-userns", NULL },
	{ "no-nested-userns", NULL },
	{ "memory", "2G" },
	{ "pids", "99" },
	{ "print", NULL },
	{ "name", "work" },
	{ "quiet", NULL },
	{ "help", NULL },
	{ "version", NULL },
	{ "complete-options", NULL },
};

/* Every entry of the option table, from the command line and from the
 * file: the same handler, so the same result, and a visible effect. */
static void test_table(void)
{
	struct cli empty;
	cli_init(&empty);
	char *none = dump(&empty);
	for (size_t i = 0; i < cli_noptions; i++) {
		const struct cli_option *o = &cli_options[i];
		const char *val = NULL;
		bool found = false;
		for (size_t k = 0; k < sizeof(samples) / sizeof(*samples); k++)
			if (strcmp(samples[k].name, o->name) == 0) {
				val = samples[k].val;
				found = true;
			}
		if (!ok(found, "--%s has a sample value in test_table()", o->name))
			continue;
		ok(o->apply && (o->where & (CLI_ARGV | CLI_CONFIG)),
		   "--%s: a handler, and a place where it is accepted", o->name);
		ok((val != NULL) == (o->has_arg != no_argument), "--%s: sample fits its argument",
		   o->name);

		char arg[128], text[128];
		snprintf(arg, sizeof(arg), "--%s%s%s", o->name, val ? "=" : "", val ? val : "");
		snprintf(text, sizeof(text), "%s = %s\n", o->name, val ? val : "true");
		char **argv = ARGS(arg, "cmd");
		struct cli a, b;
		int ra = cli_parse(argc_of(argv), argv, &a, err, sizeof(err));
		is_int(ra, (o->where & CLI_ARGV) ? 0 : -1, "%s: on the command line: %s", arg,
		       ra ? err : "parses");
		int rb = parse(text, &b);
		is_int(rb, (o->where & CLI_CONFIG) ? 0 : -1, "%s = %s: in the file: %s", o->name,
		       val ? val : "true", rb ? err : "parses");
		if (!(o->where & CLI_CONFIG)) {
			char want[256];
			snprintf(
				want, sizeof(want),
				(o->where & CLI_HIDDEN)
					? "c:1: unknown key '%s'; the keys are the long options of ccsb --help"
					: "c:1: '%s' is a command-line option only; remove the line",
				o->name);
			is_str(err, want, "... the file says so");
		}
		char *da = ra ? NULL : dump(&a), *db = rb ? NULL : dump(&b);
		if (da)
			ok(none && strcmp(da, none) != 0, "%s: changes something: %s", arg, da);
		if (da && db)
			is_str(db, da, "%s: the file sets the same as the command line", o->name);
		free(da);
		free(db);
		if (!ra)
			cli_free(&a);
		if (!rb)
			cli_free(&b);

		/* A value where none is taken, none where one is needed. */
		if (o->has_arg == no_argument) {
			char **av = ARGS(arg, "cmd");
			snprintf(arg, sizeof(arg), "--%s=x", o->name);
			snprintf(text, sizeof(text), "option '--%s' takes no value", o->name);
			is_int(cli_parse(argc_of(av), av, &a, err, sizeof(err)), -1, "%s refused",
			       arg);
			is_str(err, text, "... saying so");
		} else if (o->has_arg == required_argument) {
			char **av = ARGS(arg);
			snprintf(arg, sizeof(arg), "--%s", o->name);
			snprintf(text, sizeof(text), "option '--%s' needs a value", o->name);
			is_int(cli_parse(argc_of(av), av, &a, err, sizeof(err)), -1,
			       "%s alone refused", arg);
			is_str(err, text, "... saying so");
		}
		if (o->has_arg == no_argument && (o->where & CLI_CONFIG)) {
			snprintf(text, sizeof(text), "%s = false\n", o->name);
			is_int(parse(text, &b), 0, "%s = false parses: %s", o->name, err);
			cli_free(&b);
		}
	}
	free(none);
}

/* Each visible option is in --help, in the completion's table and in the
 * man page; a hidden one in none of them. */
static void test_documented(void)
{
	char *usage = cli_usage(), *comp = NULL, *man = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&comp, &n);
	if (f) {
		cli_print_completion(f);
		fclose(f);
	}
	const char *top = getenv("top_srcdir");
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/man/ccsb.1", top ? top : "..");
	f = fopen(path, "r");
	if (f) {
		n = 0;
		ssize_t got = getdelim(&man, &n, '\0', f);
		if (got < 0) {
			free(man);
			man = NULL;
		}
		fclose(f);
	}
	if (!ok(usage && comp && man, "--help, completion and %s read", path))
		goto out;
	for (size_t i = 0; i < cli_noptions; i++) {
		const struct cli_option *o = &cli_options[i];
		bool visible = (o->where & CLI_ARGV) && !(o->where & CLI_HIDDEN);
		char help[80], line[80], roff[160];
		snprintf(help, sizeof(help), "  %s%c%s--%s%s ", o->short_name ? "-" : "",
			 o->short_name ? o->short_name : ' ', o->short_name ? ", " : "", o->name,
			 o->metavar ? o->metavar : "");
		if (!o->short_name)
			snprintf(help, sizeof(help), "  --%s%s ", o->name,
				 o->metavar ? o->metavar : "");
		snprintf(line, sizeof(line), "\n--%s%s", o->name,
			 o->has_arg == required_argument ? "=" : "");
		/* roff writes "-" as "\-". */
		size_t k = 0;
		for (const char *p = o->name; *p && k < sizeof(roff) - 8; p++) {
			if (*p == '-')
				roff[k++] = '\\';
			roff[k++] = *p;
		}
		roff[k] = '\0';
		char want[200];
		snprintf(want, sizeof(want), "\\-\\-%s", roff);
		const char *m = strstr(man, want);
		bool in_man = m && !((m[strlen(want)] >= 'a' && m[strlen(want)] <= 'z') ||
				     m[strlen(want)] == '\\');
		is_int(strstr(usage, help) != NULL, visible, "--%s %s --help", o->name,
		       visible ? "in" : "not in");
		/* The completion's table starts with a line of its own. */
		char *nl = NULL;
		if (asprintf(&nl, "\n%s", comp) < 0)
			nl = NULL;
		is_int(nl && (strstr(nl, line) != NULL), visible, "--%s %s the completion", o->name,
		       visible ? "in" : "not in");
		free(nl);
		is_int(in_man, visible, "--%s %s man/ccsb.1", o->name, visible ? "in" : "not in");
	}
out:
	free(usage);
	free(comp);
	free(man);
}

int main(void)
{
	test_table();
	test_documented();
	test_ssh_agent();
	test_path_key();
	test_events_key();
	test_bounds();
	test_parse();
	test_merge();
	test_dashdash();
	test_check_path();
	test_config_path();
	return done_testing();
}
