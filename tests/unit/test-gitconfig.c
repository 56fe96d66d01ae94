/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* git's configuration syntax (gitconfig.c): the parser against a table of
 * every construct and against git itself, the key allowlist, and the writer
 * (round trip, no injection). */
#include "gitconfig.h"
#include "tap.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* Every variable as "section[.sub].key=value" lines ("key" alone when
 * bare), the way `git config --list` prints them. */
struct list {
	char buf[8192];
	size_t len;
};

static int collect(const char *section, const char *sub, const char *key, const char *value,
		   size_t line, void *data)
{
	struct list *l = data;
	(void)line;
	int n = snprintf(l->buf + l->len, sizeof(l->buf) - l->len, "%s%s%s.%s%s%s\n", section,
			 sub ? "." : "", sub ? sub : "", key, value ? "=" : "", value ? value : "");
	if (n > 0 && (size_t)n < sizeof(l->buf) - l->len)
		l->len += (size_t)n;
	return 0;
}

static int parse(const char *text, size_t len, struct list *l, size_t *bad)
{
	l->len = 0;
	l->buf[0] = '\0';
	*bad = 0;
	return ccsb__gitconfig_parse(text, len, collect, l, bad);
}

static bool have_git;
static char tmpfile_[] = "/tmp/ccsb-gitconfig-XXXXXX";

/* `git config --file F --list`: 0 and its output, or git's failure. */
static int git_list(const char *text, size_t len, char *out, size_t outlen)
{
	FILE *f = fopen(tmpfile_, "w");
	if (!f || fwrite(text, 1, len, f) != len || fclose(f) != 0)
		bail_out("cannot write the temporary file");
	int p[2];
	if (pipe(p) < 0)
		bail_out("pipe");
	pid_t pid = fork();
	if (pid == 0) {
		dup2(p[1], 1);
		int dn = open("/dev/null", 1);
		dup2(dn, 2);
		close(p[0]);
		execlp("git", "git", "config", "--file", tmpfile_, "--list", (char *)NULL);
		_exit(127);
	}
	close(p[1]);
	size_t got = 0;
	ssize_t r;
	while ((r = read(p[0], out + got, outlen - 1 - got)) > 0)
		got += (size_t)r;
	out[got] = '\0';
	close(p[0]);
	int st;
	waitpid(pid, &st, 0);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

struct tcase {
	const char *text;
	size_t len;	  /* 0: strlen */
	const char *want; /* NULL: refused */
	size_t bad_line;  /* when refused */
	bool diff_git;	  /* compare with git too */
};

#define OK(t, w)                 \
	{                        \
		t, 0, w, 0, true \
	}
#define BAD(t, l)                   \
	{                           \
		t, 0, NULL, l, true \
	}

static const struct tcase cases[] = {
	OK("", ""),
	OK("\n\n  \n", ""),
	OK("# only a comment\n; another\n", ""),
	OK("[user]\n\tname = Ada Lovelace\n\temail = ada@example.org\n",
	   "user.name=Ada Lovelace\nuser.email=ada@example.org\n"),
	/* case: section and key lowercase, subsection kept */
	OK("[User]\n\tNAME = x\n[Color \"Diff\"]\n\tMeta = red\n",
	   "user.name=x\ncolor.Diff.meta=red\n"),
	/* the old [section.sub] form: all lowercase */
	OK("[Color.Diff]\n\tmeta = red\n", "color.diff.meta=red\n"),
	OK("[a.b \"C\"]\nk = v\n", "a.b.C.k=v\n"),
	/* bare key: boolean true */
	OK("[core]\n\tbare\n", "core.bare\n"),
	OK("[core]\n\tbare   \n", "core.bare\n"),
	OK("[core]\n\tbare=\n", "core.bare=\n"),
	/* key after the header on the same line */
	OK("[user] name = x\n", "user.name=x\n"),
	OK("[user]name=x", "user.name=x\n"),
	/* no final newline; CRLF; BOM */
	OK("[user]\nname = x", "user.name=x\n"),
	OK("[user]\r\nname = x\r\nemail = y\r\n", "user.name=x\nuser.email=y\n"),
	OK("\xef\xbb\xbf[user]\nname = x\n", "user.name=x\n"),
	/* blanks: leading dropped, inner kept, trailing trimmed */
	OK("[s]\nk =   a  b  c   \n", "s.k=a  b  c\n"),
	/* a tab between words: kept (older versions of git read it as a blank) */
	{ "[s]\nk = a\tb\n", 0, "s.k=a\tb\n", 0, false },
	/* comments end a value outside quotes only */
	OK("[s]\nk = a # c\nl = a ; c\nm = \"a # b\" ; c\n", "s.k=a\ns.l=a\ns.m=a # b\n"),
	OK("[s] # c\nk = v\n", "s.k=v\n"),
	OK("[s]\n; k = v\n# l = w\n", ""),
	/* quotes: kept blanks, concatenation, empty */
	OK("[s]\nk = \"  a  \"\n", "s.k=  a  \n"),
	OK("[s]\nk = a\" b \"c\n", "s.k=a b c\n"),
	OK("[s]\nk = \"\"\n", "s.k=\n"),
	OK("[s]\nk = \"a\"  \n", "s.k=a\n"),
	OK("[s]\nk = \"a\"  b\n", "s.k=a  b\n"),
	/* escapes */
	OK("[s]\nk = a\\tb\\\\c\\\"d\n", "s.k=a\tb\\c\"d\n"),
	OK("[s]\nk = a\\nb\n", "s.k=a\nb\n"),
	/* continuation lines */
	OK("[s]\nk = a \\\n  b\n", "s.k=a   b\n"),
	OK("[s]\nk = \"a \\\n b\"\n", "s.k=a  b\n"),
	/* subsection escapes: \" and \\ kept, any other backslash dropped */
	OK("[s \"a\\\"b\\\\c\\d\"]\nk = v\n", "s.a\"b\\cd.k=v\n"),
	OK("[s \"\"]\nk = v\n", "s..k=v\n"),
	OK("[s  \t\"x y\"]\nk = v\n", "s.x y.k=v\n"),
	/* keys: letters, digits, '-' */
	OK("[s]\nk-1 = v\n", "s.k-1=v\n"),
	OK("[s-1]\nk = v\n", "s-1.k=v\n"),
	/* a header followed by another on the same line */
	OK("[a][b]\nk = v\n", "b.k=v\n"),
	/* refused as git refuses */
	BAD("[user\nname = x\n", 1),
	BAD("[]\nk = v\n", 1),
	BAD("[s x]\nk = v\n", 1),
	BAD("[s \"x\"\nk = v\n", 1),
	BAD("[s \"x\" ]\nk = v\n", 1),
	BAD("[s \"x\nk = v\n", 1),
	BAD("[s_x]\nk = v\n", 1),
	BAD("[s]\n1k = v\n", 2),
	BAD("[s]\nk_x = v\n", 2),
	BAD("[s]\nk v\n", 2),
	BAD("[s]\nk # c\n", 2),
	BAD("[s]\nk = \"open\n", 2),
	BAD("[s]\nk = a\\qb\n", 2),
	/* a key before any section: git reads it, nothing can use it */
	{ "k = v\n[s]\nk = w\n", 0, "s.k=w\n", 0, false },
	BAD("[s]\n\n\nk = \"x\n", 4),
	OK("[s]\nk = a\\", "s.k=a\n"),
	{ "[s]\nk = a\0b\n", 12, NULL, 2, false },
	{ "[s]\nk\0 = v\n", 11, NULL, 2, false },
};

static void test_parser(void)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		const struct tcase *t = &cases[i];
		size_t len = t->len ? t->len : strlen(t->text);
		struct list l;
		size_t bad;
		int r = parse(t->text, len, &l, &bad);
		char shown[256];
		size_t j = 0;
		for (size_t k = 0; k < len && j < sizeof(shown) - 5; k++) {
			unsigned char c = (unsigned char)t->text[k];
			if (c == '\n')
				j += (size_t)snprintf(shown + j, sizeof(shown) - j, "\\n");
			else if (c < 0x20 || c >= 0x7f)
				j += (size_t)snprintf(shown + j, sizeof(shown) - j, "\\x%02x", c);
			else
				shown[j++] = (char)c;
		}
		shown[j] = '\0';
		if (t->want) {
			is_int(r, 0, "parses: %s", shown);
			is_str(l.buf, t->want, "... variables");
		} else {
			is_int(r, -EINVAL, "refused: %s", shown);
			is_int((long)bad, (long)t->bad_line, "... on line %zu", t->bad_line);
		}
		if (!have_git || !t->diff_git)
			continue;
		char g[8192];
		int st = git_list(t->text, len, g, sizeof(g));
		if (t->want) {
			/* git prints "section.sub.key" with the subsection as
			 * written and a bare key without "=". */
			is_int(st, 0, "... git reads it too");
			is_str(l.buf, g, "... and sees the same variables");
		} else {
			ok(st != 0, "... git refuses it too");
		}
	}
}

static int count_cb(const char *s, const char *sub, const char *k, const char *v, size_t line,
		    void *data)
{
	(void)s, (void)sub, (void)k, (void)v, (void)line;
	return ++*(int *)data == 2 ? 42 : 0;
}

static void test_callback_stop(void)
{
	int n = 0;
	size_t bad;
	is_int(ccsb__gitconfig_parse("[s]\na=1\nb=2\nc=3\n", 18, count_cb, &n, &bad), 42,
	       "a callback's non-zero result stops the parse and is returned");
	is_int(n, 2, "... after the second variable");
}

static void test_allowlist(void)
{
	static const char *const yes[][3] = {
		{ "user", NULL, "name" },
		{ "user", NULL, "email" },
		{ "init", NULL, "defaultbranch" },
		{ "core", NULL, "autocrlf" },
		{ "core", NULL, "eol" },
		{ "pull", NULL, "rebase" },
		{ "pull", NULL, "ff" },
		{ "merge", NULL, "conflictstyle" },
		{ "merge", NULL, "ff" },
		{ "rebase", NULL, "autostash" },
		{ "rebase", NULL, "autosquash" },
		{ "color", NULL, "ui" },
		{ "color", "diff", "meta" },
		{ "color", "branch", "current" },
		{ "advice", NULL, "detachedhead" },
		{ "committer", NULL, "email" },
		{ "push", NULL, "autosetupremote" },
	};
	static const char *const no[][3] = {
		{ "core", NULL, "pager" },
		{ "core", NULL, "editor" },
		{ "core", NULL, "sshcommand" },
		{ "core", NULL, "fsmonitor" },
		{ "core", NULL, "hookspath" },
		{ "core", NULL, "excludesfile" },
		{ "core", NULL, "askpass" },
		{ "core", NULL, "attributesfile" },
		{ "alias", NULL, "st" },
		{ "credential", NULL, "helper" },
		{ "credential", "https://example.org", "helper" },
		{ "gpg", NULL, "program" },
		{ "gpg", "ssh", "program" },
		{ "diff", NULL, "external" },
		{ "diff", "tool", "textconv" },
		{ "diff", NULL, "tool" },
		{ "merge", NULL, "tool" },
		{ "merge", "ours", "driver" },
		{ "filter", "lfs", "clean" },
		{ "filter", "lfs", "process" },
		{ "include", NULL, "path" },
		{ "includeif", "gitdir:~/w/", "path" },
		{ "url", "https://t@example.org/", "insteadof" },
		{ "http", NULL, "extraheader" },
		{ "http", NULL, "proxy" },
		{ "commit", NULL, "gpgsign" },
		{ "tag", NULL, "gpgsign" },
		{ "commit", NULL, "template" },
		{ "sequence", NULL, "editor" },
		{ "interactive", NULL, "difffilter" },
		{ "pager", NULL, "log" },
		{ "user", NULL, "signingkey" },
		{ "user", "x", "name" },
		{ "mergetool", NULL, "cmd" },
		{ "difftool", "x", "cmd" },
		{ "safe", NULL, "directory" },
		{ "remote", "origin", "url" },
		{ "branch", "main", "remote" },
		{ "submodule", "x", "update" },
		{ "uploadpack", NULL, "packobjectshook" },
		{ "ssh", NULL, "variant" },
		{ "core", NULL, "gitproxy" },
		{ "protocol", NULL, "allow" },
		{ "web", NULL, "browser" },
		{ "browser", "x", "cmd" },
		{ "sendemail", NULL, "smtppass" },
		{ "user", NULL, "" },
	};
	for (size_t i = 0; i < sizeof(yes) / sizeof(*yes); i++)
		ok(ccsb__gitconfig_safe(yes[i][0], yes[i][1], yes[i][2]), "kept: %s%s%s.%s",
		   yes[i][0], yes[i][1] ? "." : "", yes[i][1] ? yes[i][1] : "", yes[i][2]);
	for (size_t i = 0; i < sizeof(no) / sizeof(*no); i++)
		ok(!ccsb__gitconfig_safe(no[i][0], no[i][1], no[i][2]), "dropped: %s%s%s.%s",
		   no[i][0], no[i][1] ? "." : "", no[i][1] ? no[i][1] : "", no[i][2]);
}

/* Emitting then parsing again gives back exactly what was emitted. */
static void round_trip(const char *sec, const char *sub, const char *key, const char *value,
		       const char *desc)
{
	struct ccsb__gitconfig_out o = { 0 };
	is_int(ccsb__gitconfig_emit(&o, sec, sub, key, value), 0, "%s: written", desc);
	char want[1024];
	snprintf(want, sizeof(want), "%s%s%s.%s%s%s\n", sec, sub ? "." : "", sub ? sub : "", key,
		 value ? "=" : "", value ? value : "");
	struct list l;
	size_t bad;
	is_int(parse(o.buf, o.len, &l, &bad), 0, "... parses back");
	is_str(l.buf, want, "... one variable, the same value");
	if (have_git) {
		char g[8192];
		is_int(git_list(o.buf, o.len, g, sizeof(g)), 0, "... git reads it");
		is_str(g, want, "... git sees the same single variable");
	}
	ccsb__gitconfig_out_free(&o);
}

static void test_writer(void)
{
	round_trip("user", NULL, "name", "Ada Lovelace", "plain value");
	round_trip("user", NULL, "name", "  blanks  kept\t", "blanks");
	round_trip("user", NULL, "name", "a \"quoted\" \\ name ; # x",
		   "quotes, backslash, comment chars");
	round_trip("user", NULL, "name", "x\n[core]\n\tpager = sh -c evil",
		   "newline then a section");
	round_trip("user", NULL, "name", "x\"\n[core]\n\tpager = evil\n#",
		   "quote, newline, section");
	round_trip("user", NULL, "name", "x\\\n[core]\npager = evil", "backslash newline");
	round_trip("user", NULL, "name", "]]][[[", "brackets");
	round_trip("user", NULL, "name", "", "empty value");
	round_trip("core", NULL, "bare", NULL, "bare key");
	round_trip("color", "di\"ff\\x] [core", "meta", "red",
		   "subsection with quotes and brackets");
	round_trip("user", NULL, "name", "\xc3\xa9l\xc3\xa8ve", "UTF-8");

	struct ccsb__gitconfig_out o = { 0 };
	is_int(ccsb__gitconfig_emit(&o, "user", NULL, "name", "a\rb"), -EINVAL,
	       "a carriage return in a value is refused");
	is_int(ccsb__gitconfig_emit(&o, "user", NULL, "name", "a\x1b[31m"), -EINVAL,
	       "an escape character in a value is refused");
	is_int(ccsb__gitconfig_emit(&o, "color", "a\nb", "x", "red"), -EINVAL,
	       "a newline in a subsection is refused");
	is_int(ccsb__gitconfig_emit(&o, "us]er", NULL, "name", "x"), -EINVAL,
	       "a section name git cannot write is refused");
	is_int(ccsb__gitconfig_emit(&o, "user", NULL, "na me", "x"), -EINVAL,
	       "a key git cannot write is refused");
	is_int(ccsb__gitconfig_emit(&o, "user", NULL, "1x", "x"), -EINVAL,
	       "a key starting with a digit is refused");
	ok(o.len == 0, "... nothing written by refused calls");

	/* grouping */
	is_int(ccsb__gitconfig_emit(&o, "user", NULL, "name", "a"), 0, "group: user.name");
	is_int(ccsb__gitconfig_emit(&o, "user", NULL, "email", "b"), 0, "group: user.email");
	is_int(ccsb__gitconfig_emit(&o, "color", "diff", "meta", "red"), 0, "group: color.diff");
	is_int(ccsb__gitconfig_emit(&o, "color", "diff", "old", "blue"), 0,
	       "group: color.diff again");
	is_int(ccsb__gitconfig_emit(&o, "color", NULL, "ui", "auto"), 0, "group: color");
	is_int(ccsb__gitconfig_emit(&o, "user", NULL, "name", "c"), 0, "group: user again");
	is_str(o.buf,
	       "[user]\n\tname = \"a\"\n\temail = \"b\"\n[color \"diff\"]\n\tmeta = \"red\"\n"
	       "\told = \"blue\"\n[color]\n\tui = \"auto\"\n[user]\n\tname = \"c\"\n",
	       "consecutive keys of a section share its header");
	ccsb__gitconfig_out_free(&o);
}

int main(void)
{
	int fd = mkstemp(tmpfile_);
	if (fd < 0)
		bail_out("mkstemp");
	close(fd);
	/* The comparison with git is part of the test wherever git is (CI
	 * installs it); without it only the table is checked. */
	have_git = system("git --version >/dev/null 2>&1") == 0;
	if (!have_git)
		diag("git not found: the parser is checked against the table only");
	test_parser();
	test_callback_stop();
	test_allowlist();
	test_writer();
	unlink(tmpfile_);
	return done_testing();
}
