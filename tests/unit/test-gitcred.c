/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* git's credential protocol as the broker serves it (gitcred.c): the
 * request parser, the allowlist check, the request rebuilt for the host's
 * git, and the answer kept from it. */
#include "gitcred.h"
#include "tap.h"

#include <errno.h>
#include <string.h>

static struct ccsb_allowlist al;

static int parse(const char *s, struct ccsb_gitcred_req *q, const char **why)
{
	return ccsb__gitcred_parse(s, strlen(s), q, why);
}

static void refused_parse(const char *s, const char *reason)
{
	struct ccsb_gitcred_req q;
	const char *why = NULL;
	int r = parse(s, &q, &why);
	ok(r == -EINVAL && why && strstr(why, reason), "refused (%s): %s", why ? why : "accepted",
	   s);
}

static void check_host(const char *proto, const char *host, int want, const char *reason)
{
	struct ccsb_gitcred_req q = { 0 };
	snprintf(q.protocol, sizeof(q.protocol), "%s", proto);
	snprintf(q.host, sizeof(q.host), "%s", host);
	const char *why = NULL;
	int r = ccsb__gitcred_check(&q, &al, &why);
	ok(r == want && (!reason || (why && strstr(why, reason))), "%s://%s: %s", proto, host,
	   r == 0 ? "served" : why);
}

int main(void)
{
	ccsb__allowlist_add_name(&al, "git.example.test");
	ccsb__allowlist_add_name(&al, "*.corp.example");
	ccsb__allowlist_merge(&al);
	struct ccsb_gitcred_req q;
	const char *why = NULL;

	is_int(parse("protocol=https\nhost=git.example.test\npath=a/b.git\nusername=al\n\n", &q,
		     &why),
	       0, "a full request");
	ok(strcmp(q.protocol, "https") == 0 && strcmp(q.host, "git.example.test") == 0 &&
		   q.has_path && strcmp(q.path, "a/b.git") == 0 && q.has_username &&
		   strcmp(q.username, "al") == 0,
	   "... every field");
	is_int(parse("protocol=https\nhost=h.example\n", &q, &why), 0,
	       "no blank line: the end ends it");
	is_int(parse("capability[]=authtype\nwwwauth[]=Basic realm=x\nprotocol=https\nhost=a.b\n\n",
		     &q, &why),
	       0, "unknown keys are ignored");
	is_int(parse("protocol=https\nhost=a.b\n\nhost=c.d\nprotocol=http\n", &q, &why), 0,
	       "what follows the blank line is ignored");
	is_str(q.host, "a.b", "... the first host stays");
	is_int(parse("protocol=https\nhost=a.b\npassword=x\n\n", &q, &why), 0,
	       "a password key is ignored");
	refused_parse("protocol=https\nhost=a.b\nhost=c.d\n\n", "twice");
	refused_parse("protocol=https\nprotocol=http\nhost=a.b\n\n", "twice");
	refused_parse("protocol=https\nhost=a.b\nusername=x\nusername=y\n\n", "twice");
	refused_parse("protocol=https\nhost=a.b\npath=x\npath=y\n\n", "twice");
	refused_parse("protocol=https\r\nhost=a.b\r\n\r\n", "control");
	refused_parse("protocol=https\nhost=a.b\x1b[2J\n\n", "control");
	refused_parse("protocol=https\nhost=a.b\x7f\n\n", "control");
	refused_parse("protocol=https\nhost=a.b", "newline");
	refused_parse("protocol=https\n=x\nhost=a.b\n\n", "key=");
	refused_parse("protocol=https\nhostonly\n\n", "key=");
	refused_parse("protocol=https\n\n", "missing");
	refused_parse("host=a.b\n\n", "missing");
	refused_parse("", "missing");
	refused_parse("\n", "missing");
	refused_parse("protocol=httpsxxxxxxxxxxxxxxxxxxx\nhost=a.b\n\n", "too long");
	char big[CCSB_GITCRED_MAX + 100];
	memset(big, 'a', sizeof(big));
	memcpy(big, "protocol=https\nhost=a.b\npath=", 29);
	big[sizeof(big) - 2] = '\n';
	big[sizeof(big) - 1] = '\0';
	refused_parse(big, "too long");
	char nul[] = "protocol=https\nhost=a.b\0c.d\n\n";
	ok(ccsb__gitcred_parse(nul, sizeof(nul) - 1, &q, &why) == -EINVAL && strstr(why, "NUL"),
	   "a NUL byte is refused");

	check_host("https", "git.example.test", 0, NULL);
	check_host("https", "GIT.Example.TEST", 0, NULL);
	check_host("https", "git.example.test.", 0, NULL);
	check_host("https", "x.corp.example", 0, NULL);
	check_host("https", "a.b.corp.example", 0, NULL);
	check_host("https", "git.example.test:8443", 0, NULL);
	check_host("http", "git.example.test", -EPERM, "https");
	check_host("HTTPS", "git.example.test", -EPERM, "https");
	check_host("ssh", "git.example.test", -EPERM, "https");
	check_host("https", "corp.example", -EPERM, "not named");
	check_host("https", "other.example.test", -EPERM, "not named");
	check_host("https", "git.example.test.evil", -EPERM, "not named");
	check_host("https", "evilgit.example.test", -EPERM, "not named");
	check_host("https", "*.corp.example", -EPERM, "not a domain");
	check_host("https", "git.example.test/x", -EPERM, "not a domain");
	check_host("https", "u@git.example.test", -EPERM, "not a domain");
	check_host("https", "198.51.100.1", -EPERM, "not a domain");
	check_host("https", "[2001:db8::1]", -EPERM, NULL);
	check_host("https", "", -EPERM, "not a domain");
	check_host("https", "git.example.test:", -EPERM, "port");
	check_host("https", "git.example.test:0", -EPERM, "port");
	check_host("https", "git.example.test:080", -EPERM, "port");
	check_host("https", "git.example.test:65536", -EPERM, "port");
	check_host("https", "git.example.test:99999999999", -EPERM, "port");
	check_host("https", "git.example.test:44a", -EPERM, "port");
	check_host("https", "git.example.test:1:2", -EPERM, "port");
	check_host("https", "a..example.test", -EPERM, NULL);

	char out[256];
	parse("username=al\nprotocol=https\nhost=git.example.test\ncapability[]=x\n\n", &q, &why);
	int n = ccsb__gitcred_format(&q, out, sizeof(out));
	is_str(out, "protocol=https\nhost=git.example.test\nusername=al\n\n",
	       "rebuilt from the checked fields");
	is_int(n, (int)strlen(out), "... its length");
	parse("protocol=https\nhost=git.example.test\npath=o/r.git\n", &q, &why);
	ccsb__gitcred_format(&q, out, sizeof(out));
	is_str(out, "protocol=https\nhost=git.example.test\npath=o/r.git\n\n", "with a path");
	is_int(ccsb__gitcred_format(&q, out, 10), -ENAMETOOLONG, "too small a buffer");

	static const char host_out[] =
		"protocol=https\nhost=git.example.test\nusername=alice\npassword=s3cret\n";
	n = ccsb__gitcred_answer(host_out, strlen(host_out), out, sizeof(out));
	is_str(out, "username=alice\npassword=s3cret\n", "answer: username and password only");
	is_int(n, (int)strlen(out), "... its length");
	static const char extra[] =
		"password_expiry_utc=1\noauth_refresh_token=r\npassword=p\nquit=1\n";
	ccsb__gitcred_answer(extra, strlen(extra), out, sizeof(out));
	is_str(out, "password=p\n", "answer: other keys dropped");
	static const char nopw[] = "username=alice\n";
	is_int(ccsb__gitcred_answer(nopw, strlen(nopw), out, sizeof(out)), -EINVAL,
	       "no password: nothing");
	static const char two[] = "password=a\npassword=b\n";
	is_int(ccsb__gitcred_answer(two, strlen(two), out, sizeof(out)), -EINVAL,
	       "two passwords: nothing");
	static const char empty[] = "password=\n";
	is_int(ccsb__gitcred_answer(empty, strlen(empty), out, sizeof(out)), -EINVAL,
	       "empty password");
	static const char ctl[] = "username=a\rpassword=x\npassword=p\n";
	is_int(ccsb__gitcred_answer(ctl, strlen(ctl), out, sizeof(out)), -EINVAL,
	       "control character");
	static const char last[] = "password=p";
	ccsb__gitcred_answer(last, strlen(last), out, sizeof(out));
	is_str(out, "password=p\n", "no final newline from the host is fine");
	is_int(ccsb__gitcred_answer(host_out, strlen(host_out), out, 8), -ENAMETOOLONG,
	       "small buffer");
	ccsb__allowlist_free(&al);
	return done_testing();
}
