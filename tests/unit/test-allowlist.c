/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "internal.h"
#include "tap.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* ccsb__prefix_parse() on a name; ccsb__entry_parse() takes names. */
static const char DOMAIN_WHY[] = "a domain name, not an address";

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void)
{
	uint64_t x = rng_state;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return rng_state = x;
}

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static const char *fmt(const struct ccsb_prefix *p)
{
	static char buf[8][64];
	static unsigned i;
	char *b = buf[i++ % 8];
	ccsb__prefix_format(p, b, 64);
	return b;
}

static void parse_good(const char *in, const char *want)
{
	struct ccsb_prefix p;
	const char *why = "unset";
	int r = ccsb__prefix_parse(in, &p, &why);
	if (!is_int(r, 0, "parse '%s'", in)) {
		diag("why: %s", why ? why : "(null)");
		return;
	}
	is_str(fmt(&p), want, "'%s' is %s", in, want);
}

static void parse_bad(const char *in, const char *want_why)
{
	struct ccsb_prefix p;
	const char *why = NULL;
	int r = ccsb__prefix_parse(in, &p, &why);
	is_int(r, -EINVAL, "reject '%s'", in);
	is_str(why, want_why, "reason for '%s'", in);
}

static void add_str(struct ccsb_allowlist *al, const char *s)
{
	struct ccsb_prefix p;
	const char *why;
	if (ccsb__prefix_parse(s, &p, &why) < 0 || ccsb__allowlist_add(al, &p) < 0)
		bail_out("test setup: cannot add entry");
}

/* Space-separated prefixes in, space-separated merged prefixes out. */
static char *merge_str(const char *in)
{
	struct ccsb_allowlist al = { 0 };
	char *dup = strdup(in), *save = NULL;
	for (char *t = strtok_r(dup, " ", &save); t; t = strtok_r(NULL, " ", &save))
		add_str(&al, t);
	free(dup);
	ccsb__allowlist_merge(&al);
	size_t cap = 64 * (al.n + 1);
	char *out = calloc(1, cap);
	for (size_t i = 0; i < al.n; i++) {
		if (i)
			strcat(out, " ");
		strcat(out, fmt(&al.v[i]));
	}
	ccsb__allowlist_free(&al);
	return out;
}

static void merge_is(const char *in, const char *want, const char *what)
{
	char *got = merge_str(in);
	is_str(got, want, "merge: %s", what);
	free(got);
}

/* Parse `text` into a list already holding one entry: on failure the list
 * must be untouched and the message exact. */
static void buf_bad(const char *text, size_t len, const char *want_msg)
{
	struct ccsb_allowlist al = { 0 };
	add_str(&al, "198.51.100.0/24");
	ccsb_error *e = NULL;
	int r = ccsb__allowlist_parse_buf(&al, "list.txt", text, len, &e);
	is_int(r, -EINVAL, "buffer rejected: %s", want_msg);
	is_int(ccsb_error_code(e), EINVAL, "code EINVAL");
	is_str(ccsb_error_message(e), want_msg, "message");
	is_int(al.n, 1, "nothing added");
	ccsb_error_free(e);
	ccsb__allowlist_free(&al);
}

static void buf_good(const char *text, size_t len, const char *want, const char *what)
{
	struct ccsb_allowlist al = { 0 };
	ccsb_error *e = NULL;
	int r = ccsb__allowlist_parse_buf(&al, "list.txt", text, len, &e);
	if (!is_int(r, 0, "buffer accepted: %s", what))
		diag("%s", ccsb_error_message(e));
	ok(e == NULL, "no error object");
	char got[1024] = "";
	for (size_t i = 0; i < al.n; i++) {
		if (i)
			strcat(got, " ");
		strcat(got, fmt(&al.v[i]));
	}
	is_str(got, want, "entries in order: %s", what);
	ccsb_error_free(e);
	ccsb__allowlist_free(&al);
}

static void test_parse_valid(void)
{
	parse_good("192.0.2.0/24", "192.0.2.0/24");
	parse_good("192.0.2.1", "192.0.2.1/32");
	parse_good("192.0.2.1/32", "192.0.2.1/32");
	parse_good("0.0.0.0/0", "0.0.0.0/0");
	parse_good("0.0.0.0", "0.0.0.0/32");
	parse_good("255.255.255.255", "255.255.255.255/32");
	parse_good("10.0.0.0/8", "10.0.0.0/8");
	parse_good("172.16.0.0/12", "172.16.0.0/12");
	parse_good("  10.0.0.0/8  ", "10.0.0.0/8");
	parse_good("\t10.0.0.0/8\r\n", "10.0.0.0/8");
	parse_good("2001:db8::/32", "2001:db8::/32");
	parse_good("2001:db8::1", "2001:db8::1/128");
	parse_good("2001:db8::1/128", "2001:db8::1/128");
	parse_good("::/0", "::/0");
	parse_good("::", "::/128");
	parse_good("::1", "::1/128");
	parse_good("2001:0db8:0000:0000:0000:0000:0000:0001", "2001:db8::1/128");
	parse_good("2001:DB8::/32", "2001:db8::/32");
	parse_good("2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1/128");
	parse_good("fe80::/10", "fe80::/10");
	parse_good("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
		   "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128");
	parse_good("::ffff:192.0.2.1", "::ffff:192.0.2.1/128");
	parse_good("::ffff:0:0/96", "::ffff:0.0.0.0/96");
	parse_good("::ffff:192.0.2.0/120", "::ffff:192.0.2.0/120");
	parse_good("2607:6bc0::/48", "2607:6bc0::/48");

	struct ccsb_prefix p;
	const char *why;
	ok(ccsb__prefix_parse("192.0.2.1", &p, &why) == 0 && p.family == AF_INET && p.len == 32,
	   "bare v4 is AF_INET /32");
	ok(ccsb__prefix_parse("::ffff:192.0.2.1", &p, &why) == 0 && p.family == AF_INET6 &&
		   p.len == 128,
	   "v4-mapped stays AF_INET6 /128");
	static const uint8_t zero[16];
	ok(ccsb__prefix_parse("10.0.0.0/8", &p, &why) == 0 && memcmp(p.addr + 4, zero, 12) == 0,
	   "v4 leaves addr[4..15] zero");

	/* Every length, on an address with all bits set up to it. */
	int bad = 0;
	for (unsigned len = 0; len <= 32; len++) {
		uint32_t a = len ? 0xffffffffu << (32 - len) : 0;
		struct in_addr ia = { htonl(a) };
		char s[64], want[64];
		snprintf(want, sizeof(want), "%s/%u", inet_ntoa(ia), len);
		snprintf(s, sizeof(s), "%s", want);
		if (ccsb__prefix_parse(s, &p, &why) != 0 || strcmp(fmt(&p), want) != 0)
			bad++;
	}
	is_int(bad, 0, "every IPv4 length 0..32");
	bad = 0;
	for (unsigned len = 0; len <= 128; len++) {
		uint8_t a[16] = { 0 };
		for (unsigned b = 0; b < len; b++)
			a[b / 8] |= (uint8_t)(0x80u >> (b % 8));
		char s[INET6_ADDRSTRLEN], want[64];
		inet_ntop(AF_INET6, a, s, sizeof(s));
		snprintf(want, sizeof(want), "%s/%u", s, len);
		if (ccsb__prefix_parse(want, &p, &why) != 0 || strcmp(fmt(&p), want) != 0)
			bad++;
	}
	is_int(bad, 0, "every IPv6 length 0..128");

	ok(ccsb__prefix_parse("10.0.0.0/8", &p, NULL) == 0, "why may be NULL on success");
	ok(ccsb__prefix_parse("nope", &p, NULL) == -EINVAL, "why may be NULL on failure");
}

static void test_parse_invalid(void)
{
	parse_bad("", "empty entry");
	parse_bad("   \t ", "empty entry");

	parse_bad("10.0.0.0/33", "bad prefix length");
	parse_bad("::/129", "bad prefix length");
	parse_bad("10.0.0.0/", "bad prefix length");
	parse_bad("::/", "bad prefix length");
	parse_bad("10.0.0.0/+8", "bad prefix length");
	parse_bad("10.0.0.0/-8", "bad prefix length");
	parse_bad("10.0.0.0/x", "bad prefix length");
	parse_bad("10.0.0.0/ 8", "bad prefix length");
	parse_bad("10.0.0.0/08", "bad prefix length");
	parse_bad("0.0.0.0/00", "bad prefix length");
	parse_bad("::/0128", "bad prefix length");
	parse_bad("10.0.0.0/1000", "bad prefix length");
	parse_bad("10.0.0.0/99999999999999999999999", "bad prefix length");
	parse_bad("10.0.0.0/256", "bad prefix length");

	parse_bad("1.2.3.4 foo", "trailing junk");
	parse_bad("1.2.3.0/24x", "trailing junk");
	parse_bad("1.2.3.0/24 x", "trailing junk");
	parse_bad("1.2.3.4/32/32", "trailing junk");
	parse_bad("1.2.3.4 /32", "trailing junk");
	parse_bad("1.2.3.4foo", "trailing junk");
	parse_bad("1.2.3.4,", "trailing junk");
	parse_bad("1.2.3.4:443", "trailing junk");
	parse_bad("2001:db8::/32 x", "trailing junk");
	parse_bad("10.0.0.0/8 # not a comment here", "trailing junk");

	parse_bad("10.0.0.1/8", "host bits set, did you mean 10.0.0.0/8");
	parse_bad("192.168.1.1/0", "host bits set, did you mean 0.0.0.0/0");
	parse_bad("192.0.2.255/31", "host bits set, did you mean 192.0.2.254/31");
	parse_bad("2001:db8::1/32", "host bits set, did you mean 2001:db8::/32");
	parse_bad("::1/127", "host bits set, did you mean ::/127");
	parse_bad("ffff::/1", "host bits set, did you mean 8000::/1");

	parse_bad("10.1", "not an IPv4 address");
	parse_bad("127.1", "not an IPv4 address");
	parse_bad("10", "not an IPv4 address");
	parse_bad("256.0.0.0", "not an IPv4 address");
	parse_bad("1.2.3", "not an IPv4 address");
	parse_bad("1.2.3.4.5", "not an IPv4 address");
	parse_bad("010.0.0.1", "not an IPv4 address");
	parse_bad("1..2.3", "not an IPv4 address");
	parse_bad("1.2.3.4.", "not an IPv4 address");
	parse_bad(".1.2.3.4", "not an IPv4 address");
	parse_bad("4294967295", "not an IPv4 address");
	parse_bad("10.1/16", "not an IPv4 address");

	parse_bad(":::1", "not an IPv6 address");
	parse_bad("2001:db8::g", "not an IPv6 address");
	parse_bad("2001:db8::1::2", "not an IPv6 address");
	parse_bad("1:2:3:4:5:6:7:8:9", "not an IPv6 address");
	parse_bad("1:2:3:4:5:6:7", "not an IPv6 address");
	parse_bad("12345::", "not an IPv6 address");
	parse_bad("fe80::1%eth0", "not an IPv6 address");
	parse_bad("::ffff:1.2.3", "not an IPv6 address");
	parse_bad("[::1]", "not an IPv6 address");
	parse_bad("2001:db8:::/48", "not an IPv6 address");
	parse_bad(":", "not an IPv6 address");

	parse_bad("example.com", DOMAIN_WHY);
	parse_bad("*.example.com", DOMAIN_WHY);
	parse_bad("api.anthropic.com", DOMAIN_WHY);
	parse_bad("localhost.localdomain", DOMAIN_WHY);
	parse_bad("EXAMPLE.COM.", DOMAIN_WHY);
	parse_bad("xn--bcher-kva.example", DOMAIN_WHY);
	parse_bad("example.com/24", "a domain name takes no prefix length");

	parse_bad("@@@", "not an address");
	parse_bad("localhost", "not an address");
	parse_bad("*.com", DOMAIN_WHY);
	parse_bad("*.", "not an address");
	parse_bad("foo!bar", "not an address");
	parse_bad("*", "not an address");
	parse_bad("/24", "not an address");
	parse_bad("-1", "not an address");
	parse_bad("0x7f.0.0.1", "not an address");
	parse_bad("a..b", "not an address");
	parse_bad("*.*.example.com", "not an address");
	parse_bad("\xc3\xa9t\xc3\xa9.example", "not an address");

	/* A very long token must not overflow anything. */
	char big[9000];
	memset(big, '1', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	parse_bad(big, "not an IPv4 address");
	memset(big, ':', sizeof(big) - 1);
	parse_bad(big, "not an IPv6 address");
	memset(big, 'a', sizeof(big) - 1);
	parse_bad(big, "not an address");
}

static void entry_good(const char *in, int kind, const char *want)
{
	struct ccsb_prefix p;
	char name[CCSB_ENTRY_TEXT_MAX] = "";
	const char *why = "unset";
	int r = ccsb__entry_parse(in, &p, name, &why);
	if (!is_int(r, kind, "entry '%s'", in)) {
		diag("why: %s", why ? why : "(null)");
		return;
	}
	is_str(kind == CCSB_ENTRY_NAME ? name : fmt(&p), want, "'%s' is %s", in, want);
}

static void entry_bad(const char *in, const char *want_why)
{
	struct ccsb_prefix p;
	char name[CCSB_ENTRY_TEXT_MAX];
	const char *why = NULL;
	is_int(ccsb__entry_parse(in, &p, name, &why), -EINVAL, "reject entry '%s'", in);
	is_str(why, want_why, "reason for entry '%.60s'", in);
}

static void test_names(void)
{
	entry_good("example.com", CCSB_ENTRY_NAME, "example.com");
	entry_good("*.example.com", CCSB_ENTRY_NAME, "*.example.com");
	entry_good("  API.Anthropic.COM.  ", CCSB_ENTRY_NAME, "api.anthropic.com");
	entry_good("*.Example.Com.", CCSB_ENTRY_NAME, "*.example.com");
	entry_good("xn--bcher-kva.example", CCSB_ENTRY_NAME, "xn--bcher-kva.example");
	entry_good("_dmarc.example.com", CCSB_ENTRY_NAME, "_dmarc.example.com");
	entry_good("a-b_c.d-e.example", CCSB_ENTRY_NAME, "a-b_c.d-e.example");
	entry_good("1.2.3.example", CCSB_ENTRY_NAME, "1.2.3.example");
	entry_good("123.example.com", CCSB_ENTRY_NAME, "123.example.com");
	entry_good("*.co.uk", CCSB_ENTRY_NAME, "*.co.uk");
	entry_good("localhost.localdomain", CCSB_ENTRY_NAME, "localhost.localdomain");
	entry_good("x.y", CCSB_ENTRY_NAME, "x.y");
	entry_good("192.0.2.0/24", CCSB_ENTRY_PREFIX, "192.0.2.0/24");
	entry_good(" 2001:db8::1 ", CCSB_ENTRY_PREFIX, "2001:db8::1/128");
	entry_good("0.0.0.0", CCSB_ENTRY_PREFIX, "0.0.0.0/32");

	char l63[64], l64[65], name[400];
	memset(l63, 'a', 63);
	l63[63] = '\0';
	memset(l64, 'b', 64);
	l64[64] = '\0';
	snprintf(name, sizeof(name), "%s.example.com", l63);
	entry_good(name, CCSB_ENTRY_NAME, name);
	snprintf(name, sizeof(name), "%s.%s.%s.%.61s", l63, l63, l63, l63);
	entry_good(name, CCSB_ENTRY_NAME, name);
	char dotted[sizeof(name) + 2];
	snprintf(dotted, sizeof(dotted), "%s.", name);
	entry_good(dotted, CCSB_ENTRY_NAME, name);
	snprintf(name, sizeof(name), "*.%s.%s.%s.%.59s", l63, l63, l63, l63);
	entry_good(name, CCSB_ENTRY_NAME, name);

	static const char STAR[] = "'*' only as the whole first label, as in '*.example.com'";
	static const char EMPTY[] = "empty label in domain name";
	static const char SINGLE[] = "not an address or a full domain name";
	static const char LAST[] = "not an address, and not a domain name (the last label must "
				   "start with a letter)";
	entry_bad("*", STAR);
	entry_bad("*.", STAR);
	entry_bad("**.example.com", STAR);
	entry_bad("*example.com", STAR);
	entry_bad("*x.example.com", STAR);
	entry_bad("a.*.example.com", STAR);
	entry_bad("*.*.example.com", STAR);
	entry_bad("example.*", STAR);
	entry_bad("*.com", "wildcard over a whole top-level domain");
	entry_bad("*.com.", "wildcard over a whole top-level domain");
	entry_bad("*..", EMPTY);
	entry_bad("a..example.com", EMPTY);
	entry_bad(".example.com", EMPTY);
	entry_bad("example.com..", EMPTY);
	entry_bad("localhost", SINGLE);
	entry_bad("localhost.", SINGLE);
	entry_bad("nope", SINGLE);
	entry_bad("example.123", LAST);
	entry_bad("0x7f.0.0.1", LAST);
	entry_bad("a.b.c._x", LAST);
	entry_bad("-a.example.com", "domain name label starts or ends with '-'");
	entry_bad("a-.example.com", "domain name label starts or ends with '-'");
	entry_bad("a.example.com-", "domain name label starts or ends with '-'");
	snprintf(name, sizeof(name), "%s.example.com", l64);
	entry_bad(name, "domain name label longer than 63 characters");
	snprintf(name, sizeof(name), "%s.%s.%s.%.62s", l63, l63, l63, l63);
	entry_bad(name, "domain name longer than 253 characters");
	snprintf(name, sizeof(name), "*.%s.%s.%s.%.60s", l63, l63, l63, l63);
	entry_bad(name, "domain name longer than 253 characters");
	entry_bad("example.com extra", "trailing junk");
	entry_bad("example.com/24", "a domain name takes no prefix length");
	entry_bad("1.2.3.4x", "trailing junk");
	entry_bad("foo!bar.example", "not an address");
	entry_bad("\xc3\xa9t\xc3\xa9.example", "not an address");
	entry_bad("", "empty entry");
	entry_bad("10.0.0.1/8", "host bits set, did you mean 10.0.0.0/8");
	struct ccsb_prefix p;
	char nm[CCSB_ENTRY_TEXT_MAX];
	ok(ccsb__entry_parse("example.com", &p, nm, NULL) == CCSB_ENTRY_NAME, "why may be NULL");
	ok(ccsb__entry_parse(NULL, &p, nm, NULL) == -EINVAL, "NULL entry");

	const char *why = NULL;
	is_int(ccsb__name_parse("a b.example", 11, nm, &why), -EINVAL, "name_parse: space");
	is_str(why, "bad character in domain name", "name_parse reason");
	is_int(ccsb__name_parse("example.comX", 11, nm, &why), 0, "name_parse uses the length");
	is_str(nm, "example.com", "counted string");

	/* The list */
	struct ccsb_allowlist al = { 0 };
	is_int(ccsb__allowlist_add_name(&al, "b.example"), 0, "add_name");
	ok(al.names_sorted, "one name is sorted");
	is_int(ccsb__allowlist_add_name(&al, "*.C.Example."), 0, "add_name normalises");
	is_str(al.names[1], "*.c.example", "stored normalised");
	ok(!al.names_sorted, "out of order");
	is_int(ccsb__allowlist_add_name(&al, "*.com"), -EINVAL, "add_name validates");
	is_int(ccsb__allowlist_add_name(&al, NULL), -EINVAL, "add_name NULL");
	is_int(ccsb__allowlist_add_name(NULL, "a.example"), -EINVAL, "add_name to NULL");
	for (int i = 0; i < 100; i++)
		ccsb__allowlist_add_name(&al, i % 2 ? "b.example" : "a.example");
	is_int(al.nnames, 102, "duplicates kept until merged");
	ok(ccsb__allowlist_name_allowed(&al, "x.c.example"), "unsorted lookup");
	add_str(&al, "10.0.0.0/9");
	add_str(&al, "10.128.0.0/9");

	struct ccsb_allowlist c;
	is_int(ccsb__allowlist_copy(&c, &al), 0, "copy with names");
	ok(c.nnames == 102 && c.names != al.names && c.names[1] != al.names[1] &&
		   strcmp(c.names[1], al.names[1]) == 0,
	   "names copied deeply");
	ccsb__allowlist_merge(&c);
	is_int(c.n, 1, "prefixes merged");
	is_int(c.nnames, 3, "names de-duplicated");
	ok(c.names_sorted && strcmp(c.names[0], "*.c.example") == 0 &&
		   strcmp(c.names[1], "a.example") == 0 && strcmp(c.names[2], "b.example") == 0,
	   "names sorted");
	ok(ccsb__allowlist_name_allowed(&c, "x.c.example") &&
		   ccsb__allowlist_name_allowed(&c, "a.example") &&
		   !ccsb__allowlist_name_allowed(&c, "c.example"),
	   "sorted lookups");
	is_int(al.nnames, 102, "the original untouched");
	ccsb__allowlist_free(&c);
	ok(c.names == NULL && c.nnames == 0, "free releases names");

	uint8_t a4[4] = { 10, 200, 0, 1 }, b4[4] = { 11, 0, 0, 1 }, a6[16] = { 0x20, 0x01 };
	ok(ccsb__allowlist_addr_covered(&al, AF_INET, a4), "10.200.0.1 covered");
	ok(!ccsb__allowlist_addr_covered(&al, AF_INET, b4), "11.0.0.1 not covered");
	ok(!ccsb__allowlist_addr_covered(&al, AF_INET6, a6), "other family not covered");
	ok(!ccsb__allowlist_addr_covered(&al, AF_UNIX, a4), "unknown family");
	ok(!ccsb__allowlist_addr_covered(NULL, AF_INET, a4), "NULL list");
	ccsb__allowlist_free(&al);

	/* A failed buffer rolls back names too, and keeps them sorted. */
	ccsb_error *e = NULL;
	static const char t1[] = "b.example\n*.a.example\n";
	is_int(ccsb__allowlist_parse_buf(&al, "t", t1, sizeof(t1) - 1, &e), 0,
	       "names from a buffer");
	ok(al.nnames == 2 && al.names_sorted, "sorted after parsing");
	static const char t2[] = "z.example\nc.example\n10.0.0.0/8\nbad..name\n";
	is_int(ccsb__allowlist_parse_buf(&al, "t", t2, sizeof(t2) - 1, &e), -EINVAL, "bad buffer");
	is_str(ccsb_error_message(e), "t:4: empty label in domain name 'bad..name'", "its message");
	ok(al.nnames == 2 && al.n == 0 && al.names_sorted, "names rolled back, still sorted");
	ok(!ccsb__allowlist_name_allowed(&al, "z.example"), "rolled-back name not allowed");
	ccsb_error_free(e);
	ccsb__allowlist_free(&al);
}

static void test_add_copy_free_format(void)
{
	struct ccsb_allowlist al = { 0 };
	struct ccsb_prefix p = { .family = AF_INET, .len = 8, .addr = { 10, 1, 2, 3 } };
	is_int(ccsb__allowlist_add(&al, &p), 0, "add");
	is_str(fmt(&al.v[0]), "10.0.0.0/8", "add clears host bits the caller left");
	p.len = 33;
	is_int(ccsb__allowlist_add(&al, &p), -EINVAL, "add refuses /33 for IPv4");
	struct ccsb_prefix q = { .family = AF_INET6, .len = 129 };
	is_int(ccsb__allowlist_add(&al, &q), -EINVAL, "add refuses /129");
	q.family = 99;
	q.len = 0;
	is_int(ccsb__allowlist_add(&al, &q), -EINVAL, "add refuses unknown family");
	is_int(al.n, 1, "refused adds add nothing");

	for (int i = 0; i < 1000; i++) {
		struct ccsb_prefix r = { .family = AF_INET, .len = 32 };
		r.addr[0] = 11;
		r.addr[2] = (uint8_t)(i >> 8);
		r.addr[3] = (uint8_t)i;
		if (ccsb__allowlist_add(&al, &r) < 0)
			bail_out("add failed");
	}
	is_int(al.n, 1001, "growth keeps every entry");
	ok(al.cap >= al.n, "cap >= n");
	is_str(fmt(&al.v[1000]), "11.0.3.231/32", "last entry intact after growth");

	struct ccsb_allowlist c;
	is_int(ccsb__allowlist_copy(&c, &al), 0, "copy");
	is_int(c.n, al.n, "copy has every entry");
	ok(c.v != al.v && memcmp(c.v, al.v, al.n * sizeof(*al.v)) == 0, "copy is deep and equal");
	ccsb__allowlist_merge(&c);
	is_int(al.n, 1001, "merging the copy leaves the original alone");
	is_str(fmt(&al.v[0]), "10.0.0.0/8", "original order untouched");
	ccsb__allowlist_free(&c);
	ok(c.v == NULL && c.n == 0 && c.cap == 0, "free resets the list");
	ccsb__allowlist_free(&c);
	ccsb__allowlist_free(NULL);
	ok(1, "double free and free(NULL) are harmless");

	struct ccsb_allowlist empty = { 0 }, ce;
	is_int(ccsb__allowlist_copy(&ce, &empty), 0, "copy of empty list");
	ok(ce.n == 0 && ce.v == NULL, "empty copy owns nothing");
	ccsb__allowlist_merge(&empty);
	is_int(empty.n, 0, "merge of empty list");
	ccsb__allowlist_free(&al);

	char b[64];
	struct ccsb_prefix f = { .family = AF_INET, .len = 24, .addr = { 192, 0, 2, 0 } };
	char small[8];
	ccsb__prefix_format(&f, small, sizeof(small));
	is_str(small, "192.0.2", "format truncates to the buffer");
	struct ccsb_prefix g = { .family = 0 };
	ccsb__prefix_format(&g, b, sizeof(b));
	is_str(b, "?", "format of a bad family");
	struct ccsb_prefix w = { .family = AF_INET6, .len = 128 };
	memset(w.addr, 0xff, 16);
	ccsb__prefix_format(&w, b, sizeof(b));
	is_str(b, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128", "longest format fits 64 bytes");

	/* Round trip: format(parse(format(p))) == format(p) for random p. */
	int bad = 0;
	for (int i = 0; i < 20000; i++) {
		struct ccsb_prefix r = { 0 }, back;
		r.family = (i & 1) ? AF_INET6 : AF_INET;
		unsigned nb = r.family == AF_INET ? 4 : 16;
		for (unsigned k = 0; k < nb; k++)
			r.addr[k] = (uint8_t)rnd();
		r.len = (uint8_t)(rnd() % (nb * 8 + 1));
		struct ccsb_allowlist one = { 0 };
		ccsb__allowlist_add(&one, &r);
		const char *why;
		ccsb__prefix_format(&one.v[0], b, sizeof(b));
		if (ccsb__prefix_parse(b, &back, &why) != 0 ||
		    memcmp(&back, &one.v[0], sizeof(back)) != 0) {
			if (!bad)
				diag("round trip failed for %s", b);
			bad++;
		}
		ccsb__allowlist_free(&one);
	}
	is_int(bad, 0, "format/parse round trip, 20000 random prefixes");
}

/* Literals, so that embedded NULs count. */
#define BUF_GOOD(lit, want, what) buf_good((lit), sizeof(lit) - 1, (want), (what))
#define BUF_BAD(lit, msg) buf_bad((lit), sizeof(lit) - 1, (msg))

static void test_buffer(void)
{
	static const char good[] = "# GitHub\n"
				   "140.82.112.0/20\n"
				   "\n"
				   "   \t\n"
				   "  185.199.108.0/22   # pages\n"
				   "#10.0.0.0/8\n"
				   "2001:db8::1#trailing comment\n"
				   "192.0.2.1\r\n"
				   "# end";
	buf_good(good, strlen(good),
		 "140.82.112.0/20 185.199.108.0/22 2001:db8::1/128 192.0.2.1/32",
		 "comments, blanks, CRLF, no final newline");
	BUF_GOOD("", "", "empty buffer");
	buf_good(NULL, 0, "", "NULL buffer of length 0");
	BUF_GOOD("\n\n\n", "", "only newlines");
	BUF_GOOD("#\n#\n", "", "only comments");
	BUF_GOOD("10.0.0.0/8", "10.0.0.0/8", "single entry, no newline");
	BUF_GOOD("10.0.0.0/8\n10.0.0.0/8\n", "10.0.0.0/8 10.0.0.0/8", "duplicates kept as given");
	buf_good("10.0.0.0/8\nxxxx", 11, "10.0.0.0/8", "length bounds the buffer");

	BUF_BAD("10.0.0.0/8\n\n# c\n10.0.0.0/33\n", "list.txt:4: bad prefix length '10.0.0.0/33'");
	BUF_BAD("10.0.0.1/8\n", "list.txt:1: host bits set, did you mean 10.0.0.0/8 '10.0.0.1/8'");
	BUF_BAD("1.2.3.4 foo # c\n", "list.txt:1: trailing junk '1.2.3.4 foo'");
	BUF_BAD("x\n  example.com  # docs\n",
		"list.txt:1: not an address or a full domain name 'x'");
	BUF_BAD("# a\n  example.com  # docs\n*.com\n",
		"list.txt:3: wildcard over a whole top-level domain '*.com'");
	BUF_BAD("example.com/24",
		"list.txt:1: a domain name takes no prefix length 'example.com/24'");
	BUF_BAD("a.*.example.com", "list.txt:1: '*' only as the whole first label, as in"
				   " '*.example.com' 'a.*.example.com'");
	BUF_BAD("10.0.0.0/8\r\n:::1\r\n", "list.txt:2: not an IPv6 address ':::1'");
	BUF_BAD("10.1\n", "list.txt:1: not an IPv4 address '10.1'");
	BUF_BAD("1.2.3.4\x1b[31m\n", "list.txt:1: trailing junk '1.2.3.4\\x1b[31m'");
	BUF_BAD("2001:db8::\xff\n", "list.txt:1: not an IPv6 address '2001:db8::\\xff'");

	static const char nul[] = "10.0.0.0/8\n1.2.3.4\0\n";
	buf_bad(nul, sizeof(nul) - 1, "list.txt:2: NUL byte in line");
	BUF_BAD("\0", "list.txt:1: NUL byte in line");
	BUF_BAD("# \0 in a comment\n", "list.txt:1: NUL byte in line");

	/* 4096 bytes is the limit for a line, comment included. */
	size_t n = 4096;
	char *lng = malloc(n + 32);
	memset(lng, ' ', n);
	memcpy(lng + n - 10, "10.0.0.0/8", 10);
	lng[n] = '\n';
	buf_good(lng, n + 1, "10.0.0.0/8", "a line of exactly 4096 bytes");
	memset(lng, ' ', n + 1);
	memcpy(lng + n + 1 - 10, "10.0.0.0/8", 10);
	lng[n + 1] = '\n';
	char *two = malloc(n + 64);
	memcpy(two, "# first\n", 8);
	memcpy(two + 8, lng, n + 2);
	buf_bad(two, n + 10, "list.txt:2: line longer than 4096 bytes");
	memset(lng, '#', n + 1);
	buf_bad(lng, n + 1, "list.txt:1: line longer than 4096 bytes");
	free(two);

	/* Long garbage is quoted short. */
	memset(lng, 'z', 200);
	lng[0] = '!';
	char zs[80], want[256];
	memset(zs, 'z', 79);
	zs[79] = '\0';
	snprintf(want, sizeof(want), "list.txt:1: not an address '!%s...'", zs);
	buf_bad(lng, 200, want);
	free(lng);

	/* The first bad line wins, and a good list before it is not half-added. */
	struct ccsb_allowlist al = { 0 };
	ccsb_error *e = NULL;
	static const char many[] =
		"10.0.0.0/8\n10.1.0.0/16\n10.2.0.0/16\nnope\n10.3.0.0/16\nbad2\n";
	is_int(ccsb__allowlist_parse_buf(&al, "m", many, sizeof(many) - 1, &e), -EINVAL,
	       "valid lines before a bad one");
	is_str(ccsb_error_message(e), "m:4: not an address or a full domain name 'nope'",
	       "first bad line reported");
	is_int(al.n, 0, "none of the valid lines added");
	ccsb_error_free(e);
	e = NULL;
	is_int(ccsb__allowlist_parse_buf(&al, "m", many, sizeof(many) - 1, NULL), -EINVAL,
	       "err may be NULL");
	is_int(ccsb__allowlist_parse_buf(&al, NULL, "x", 1, &e), -EINVAL, "name may be NULL");
	ok(e && strstr(ccsb_error_message(e), ":1: not an address or a full domain name 'x'"),
	   "message without a name");
	ccsb_error_free(e);
	ccsb__allowlist_free(&al);
}

static char tmpdir[] = "/tmp/test-allowlist.XXXXXX";

static char *write_tmp(const char *name, const char *text)
{
	char *path = NULL;
	if (asprintf(&path, "%s/%s", tmpdir, name) < 0)
		bail_out("asprintf");
	FILE *f = fopen(path, "w");
	if (!f)
		bail_out("cannot write temporary file");
	fputs(text, f);
	fclose(f);
	return path;
}

/* Empty the policy's allowlist and its merged cache, as a new policy has. */
static void reset_allow(struct ccsb_sandbox *sb)
{
	ccsb__allowlist_free(&sb->allow);
	ccsb__allowlist_free(&sb->merged);
	sb->merged_ok = false;
}

static void test_public(void)
{
	struct ccsb_sandbox sb;
	memset(&sb, 0, sizeof(sb));
	ccsb_error *e = NULL;

	is_int(ccsb_sandbox_allow(&sb, "192.0.2.0/24", &e), 0, "allow v4 prefix");
	is_int(ccsb_sandbox_allow(&sb, "2001:db8::1", &e), 0, "allow bare v6");
	is_int(ccsb_sandbox_allow(&sb, " 198.51.100.7 ", &e), 0,
	       "allow tolerates surrounding space");
	ok(e == NULL, "no error on success");
	is_int(ccsb_sandbox_allow(&sb, "10.0.0.1/8", &e), -EINVAL, "allow refuses host bits");
	is_str(ccsb_error_message(e),
	       "bad allowlist entry '10.0.0.1/8': host bits set, did you mean 10.0.0.0/8",
	       "allow message");
	is_int(ccsb_error_code(e), EINVAL, "allow code");
	ccsb_error_free(e);
	e = NULL;
	is_int(ccsb_sandbox_allow(&sb, "*.com", &e), -EINVAL, "allow refuses a wildcard TLD");
	is_str(ccsb_error_message(e),
	       "bad allowlist entry '*.com': wildcard over a whole top-level domain",
	       "domain message");
	ccsb_error_free(e);
	e = NULL;
	is_int(ccsb_sandbox_allow(&sb, "*.Example.COM.", &e), 0, "allow takes a wildcard pattern");
	is_int(ccsb_sandbox_allow(&sb, " api.example.com ", &e), 0, "allow takes a name");
	is_int(ccsb_sandbox_allow(&sb, "*.example.com", &e), 0, "allow takes a duplicate");
	ok(e == NULL, "no error for names");
	is_int(ccsb_sandbox_allowlist_name_count(&sb), 2, "two distinct patterns");
	is_int(ccsb_sandbox_allowlist_name_count(NULL), 0, "name count of NULL");
	ok(sb.allow.names_sorted, "names kept sorted");
	ok(ccsb__allowlist_name_allowed(&sb.allow, "x.example.com") &&
		   ccsb__allowlist_name_allowed(&sb.allow, "API.example.com.") &&
		   !ccsb__allowlist_name_allowed(&sb.allow, "example.com"),
	   "patterns match as added");
	{
		ccsb_sandbox *m = ccsb_sandbox_new();
		if (!m)
			bail_out("ccsb_sandbox_new");
		is_int(ccsb_sandbox_allow(m, "*.Example.COM.", &e) +
			       ccsb_sandbox_allow(m, "api.example.com", &e) +
			       ccsb_sandbox_allow(m, "198.51.100.0/24", &e),
		       0, "match: a pattern, a name, a prefix");
		is_int(ccsb_sandbox_allowlist_match(m, "API.Example.com."), 1,
		       "match: a name, any case");
		is_int(ccsb_sandbox_allowlist_match(m, "deep.x.example.com"), 1,
		       "match: below a pattern");
		is_int(ccsb_sandbox_allowlist_match(m, "example.com"), 0,
		       "match: not the pattern's base");
		is_int(ccsb_sandbox_allowlist_match(m, "badexample.com"), 0,
		       "match: whole labels only");
		is_int(ccsb_sandbox_allowlist_match(m, "198.51.100.7"), 1,
		       "match: an address in a prefix");
		is_int(ccsb_sandbox_allowlist_match(m, "203.0.113.7"), 0,
		       "match: an address outside");
		is_int(ccsb_sandbox_allowlist_match(m, "2001:db8::7"), 0, "match: IPv6 outside");
		is_int(ccsb_sandbox_allowlist_match(m, "*.example.com"), -EINVAL,
		       "match: not a pattern");
		is_int(ccsb_sandbox_allowlist_match(m, "198.51.100.0/24"), -EINVAL,
		       "match: not a prefix");
		is_int(ccsb_sandbox_allowlist_match(m, "a b"), -EINVAL, "match: not a host");
		is_int(ccsb_sandbox_allowlist_match(NULL, "example.com"), -EINVAL,
		       "match: NULL sandbox");
		ccsb_sandbox_free(m);
	}
	is_int(ccsb_sandbox_allow(&sb, "", &e), -EINVAL, "allow refuses empty");
	is_str(ccsb_error_message(e), "bad allowlist entry '': empty entry", "empty message");
	ccsb_error_free(e);
	e = NULL;
	is_int(ccsb_sandbox_allow(&sb, NULL, &e), -EINVAL, "allow refuses NULL");
	ccsb_error_free(e);
	e = NULL;
	is_int(ccsb_sandbox_allow(&sb, "nope", NULL), -EINVAL, "allow with err NULL");
	is_int(sb.allow.n, 3, "only valid entries added");
	is_int(sb.allow.nnames, 2, "names apart from prefixes");

	size_t given = 0, merged = 0;
	ccsb_sandbox_allowlist_count(&sb, &given, &merged);
	ok(given == 3 && merged == 3, "count 3/3");
	ccsb_sandbox_allow(&sb, "192.0.2.0/25", NULL);
	ccsb_sandbox_allow(&sb, "192.0.3.0/24", NULL);
	ccsb_sandbox_allowlist_count(&sb, &given, &merged);
	ok(given == 5 && merged == 3, "count after covered and sibling entries: %zu/%zu", given,
	   merged);
	is_str(fmt(&sb.allow.v[3]), "192.0.2.0/25", "count does not merge in place");
	ccsb_sandbox_allowlist_count(&sb, NULL, NULL);
	ccsb_sandbox_allowlist_count(&sb, NULL, &merged);
	ccsb_sandbox_allowlist_count(&sb, &given, NULL);
	ok(given == 5 && merged == 3, "count with NULL pointers");
	ccsb_sandbox_allowlist_count(NULL, &given, &merged);
	ok(given == 0 && merged == 0, "count of NULL sandbox");
	reset_allow(&sb);

	if (!mkdtemp(tmpdir))
		bail_out("mkdtemp");
	char *good = write_tmp("good.txt", "# test\n140.82.112.0/20\n\n2607:6bc0::/48 # api\n"
					   "api.anthropic.com\n*.githubusercontent.com # raw\n");
	char *bad =
		write_tmp("bad.txt", "140.82.112.0/20\nregistry.test.example\n160.79.104.0/33\n");
	char *empty = write_tmp("empty.txt", "");
	char *missing = NULL;
	if (asprintf(&missing, "%s/missing.txt", tmpdir) < 0)
		bail_out("asprintf");

	is_int(ccsb_sandbox_allow_file(&sb, good, &e), 0, "allow_file good");
	is_int(sb.allow.n, 2, "two prefixes from the file");
	is_int(ccsb_sandbox_allowlist_name_count(&sb), 2, "two names from the file");
	is_int(ccsb_sandbox_allow_file(&sb, empty, &e), 0, "allow_file empty");
	is_int(sb.allow.n, 2, "empty file adds nothing");

	is_int(ccsb_sandbox_allow_file(&sb, bad, &e), -EINVAL, "allow_file with one bad line");
	char want[512];
	snprintf(want, sizeof(want), "%s:3: bad prefix length '160.79.104.0/33'", bad);
	is_str(ccsb_error_message(e), want, "message names file and line");
	is_int(sb.allow.n, 2, "a file with one bad line adds nothing");
	is_int(ccsb_sandbox_allowlist_name_count(&sb), 2, "not even its names");
	ccsb_error_free(e);
	e = NULL;

	is_int(ccsb_sandbox_allow_file(&sb, missing, &e), -ENOENT, "missing file");
	snprintf(want, sizeof(want), "%s: No such file or directory", missing);
	is_str(ccsb_error_message(e), want, "missing file message");
	is_int(ccsb_error_code(e), ENOENT, "missing file code");
	ccsb_error_free(e);
	e = NULL;

	is_int(ccsb_sandbox_allow_file(&sb, tmpdir, &e), -EISDIR, "a directory");
	snprintf(want, sizeof(want), "%s: Is a directory", tmpdir);
	is_str(ccsb_error_message(e), want, "directory message");
	ccsb_error_free(e);
	e = NULL;
	is_int(ccsb_sandbox_allow_file(&sb, NULL, &e), -EINVAL, "NULL path");
	ccsb_error_free(e);
	e = NULL;

	/* A pipe has no size: the file is read to EOF. */
	int pfd[2];
	if (pipe(pfd) < 0)
		bail_out("pipe");
	static const char piped[] = "203.0.113.0/24\n";
	if (write(pfd[1], piped, sizeof(piped) - 1) != (ssize_t)sizeof(piped) - 1)
		bail_out("write");
	close(pfd[1]);
	char fdpath[64];
	snprintf(fdpath, sizeof(fdpath), "/proc/self/fd/%d", pfd[0]);
	if (access(fdpath, R_OK) == 0) {
		is_int(ccsb_sandbox_allow_file(&sb, fdpath, &e), 0, "allow_file from a pipe");
		is_str(fmt(&sb.allow.v[sb.allow.n - 1]), "203.0.113.0/24", "pipe entry read");
	} else {
		skip(2, "no /proc/self/fd");
	}
	close(pfd[0]);

	/* Larger than one read buffer. */
	size_t big = 30000;
	char *text = malloc(big * 20);
	size_t o = 0;
	for (size_t i = 0; i < big; i++)
		o += (size_t)sprintf(text + o, "10.%zu.%zu.0/24\n", (i >> 8) & 255, i & 255);
	char *bigf = write_tmp("big.txt", text);
	size_t before = sb.allow.n, merged_before;
	ccsb_sandbox_allowlist_count(&sb, NULL, &merged_before);
	is_int(ccsb_sandbox_allow_file(&sb, bigf, &e), 0, "allow_file with %zu lines", big);
	is_int(sb.allow.n - before, big, "every line added");
	ccsb_sandbox_allowlist_count(&sb, &given, &merged);
	/* 30000 consecutive /24s from 10.0.0.0: one prefix per set bit. */
	is_int(merged, merged_before + 7, "big file merges");
	free(text);

	unlink(good);
	unlink(bad);
	unlink(empty);
	unlink(bigf);
	rmdir(tmpdir);
	free(good);
	free(bad);
	free(empty);
	free(bigf);
	free(missing);
	reset_allow(&sb);
}

static void test_merge_cases(void)
{
	merge_is("", "", "empty");
	merge_is("10.0.0.0/8", "10.0.0.0/8", "single");
	merge_is("10.0.0.0/8 10.0.0.0/8 10.0.0.0/8", "10.0.0.0/8", "duplicates");
	merge_is("192.0.2.1 192.0.2.1", "192.0.2.1/32", "duplicate hosts");
	merge_is("10.1.0.0/16 10.2.3.4 10.0.0.0/8 10.255.255.255", "10.0.0.0/8", "containment");
	merge_is("10.0.0.0/24 10.0.0.0/25 10.0.0.128/25", "10.0.0.0/24",
		 "children of an existing prefix");
	merge_is("10.0.0.0/25 10.0.0.128/25", "10.0.0.0/24", "siblings");
	merge_is("10.0.0.128/25 10.0.0.0/25", "10.0.0.0/24", "siblings, reversed");
	merge_is("10.0.0.128/25 10.0.1.0/25", "10.0.0.128/25 10.0.1.0/25",
		 "adjacent non-siblings do not merge");
	merge_is("10.0.1.0/24 10.0.2.0/24", "10.0.1.0/24 10.0.2.0/24",
		 "adjacent /24s across a /23 boundary");
	merge_is("10.0.0.0/25 10.0.1.0/25", "10.0.0.0/25 10.0.1.0/25", "same length, not adjacent");
	merge_is("10.0.0.0/24 10.0.1.0/25 10.0.1.128/25", "10.0.0.0/23",
		 "merge result merges again");
	merge_is("10.0.0.0/25 10.0.0.128/26 10.0.0.192/26", "10.0.0.0/24",
		 "uneven halves merge in two steps");
	merge_is("10.0.0.0/25 10.0.0.128/26", "10.0.0.0/25 10.0.0.128/26", "incomplete parent");
	merge_is("0.0.0.0/1 128.0.0.0/2 192.0.0.0/3 224.0.0.0/3", "0.0.0.0/0", "cascade to /0");
	merge_is("::/1 8000::/1", "::/0", "IPv6 halves to ::/0");
	merge_is("0.0.0.0/0 10.0.0.0/8 ::/0 2001:db8::/32", "0.0.0.0/0 ::/0",
		 "the two defaults stay apart");
	merge_is("2001:db8::/32 10.0.0.0/8 ::/0 192.168.0.0/16", "10.0.0.0/8 192.168.0.0/16 ::/0",
		 "mixed families sorted v4 first");
	merge_is("::ffff:10.0.0.0/104 10.0.0.0/8", "10.0.0.0/8 ::ffff:10.0.0.0/104",
		 "v4-mapped is not v4");
	merge_is("0.0.0.0/1 ::/1", "0.0.0.0/1 ::/1", "a v4 and a v6 half are not siblings");
	merge_is("2001:db8::/33 2001:db8:8000::/33 2001:db9::/32", "2001:db8::/31", "IPv6 cascade");
	merge_is("192.0.2.3 192.0.2.2 192.0.2.1 192.0.2.0", "192.0.2.0/30", "four hosts");
	merge_is("192.0.2.1 192.0.2.2", "192.0.2.1/32 192.0.2.2/32", "hosts straddling a pair");
	merge_is("255.255.255.254 255.255.255.255", "255.255.255.254/31", "top of the space");
	merge_is("ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
		 "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe/127", "top of the v6 space");

	/* All 256 hosts of a /24 in reverse order, then one missing. */
	struct ccsb_allowlist al = { 0 };
	for (int i = 255; i >= 0; i--) {
		struct ccsb_prefix p = { .family = AF_INET,
					 .len = 32,
					 .addr = { 10, 0, 0, (uint8_t)i } };
		ccsb__allowlist_add(&al, &p);
	}
	ccsb__allowlist_merge(&al);
	ok(al.n == 1 && strcmp(fmt(&al.v[0]), "10.0.0.0/24") == 0, "256 hosts make a /24");
	ccsb__allowlist_free(&al);
	for (int i = 0; i < 256; i++) {
		struct ccsb_prefix p = { .family = AF_INET,
					 .len = 32,
					 .addr = { 10, 0, 0, (uint8_t)i } };
		if (i != 77)
			ccsb__allowlist_add(&al, &p);
	}
	ccsb__allowlist_merge(&al);
	is_int(al.n, 8, "255 hosts make 8 prefixes");
	ccsb__allowlist_merge(&al);
	is_int(al.n, 8, "merge is idempotent");
	ccsb__allowlist_free(&al);

	/* The same input in two orders gives byte-identical output. */
	struct ccsb_allowlist a = { 0 }, b = { 0 };
	static const char *const set[] = { "10.0.0.0/25",    "10.0.0.128/25", "2001:db8::/48",
					   "10.0.0.0/24",    "192.0.2.7",     "::1",
					   "10.0.2.0/24",    "10.0.3.0/24",   "0.0.0.0/32",
					   "2001:db8:1::/48" };
	size_t nset = sizeof(set) / sizeof(set[0]);
	for (size_t i = 0; i < nset; i++) {
		add_str(&a, set[i]);
		add_str(&b, set[nset - 1 - i]);
	}
	ccsb__allowlist_merge(&a);
	ccsb__allowlist_merge(&b);
	ok(a.n == b.n && memcmp(a.v, b.v, a.n * sizeof(*a.v)) == 0, "deterministic output");
	ccsb__allowlist_free(&a);
	ccsb__allowlist_free(&b);
}

/* ---- random entries against a brute-force reference ------------------ */

/* A universe of 2^16 addresses: base with its last two bytes as offset. */
struct universe {
	uint8_t family;
	uint8_t base[16];
	unsigned ubits; /* prefix length of the universe: 16 for v4, 112 for v6 */
};

static unsigned u_bytes(const struct universe *u)
{
	return u->family == AF_INET ? 4 : 16;
}

static struct ccsb_prefix u_prefix(const struct universe *u, unsigned off, unsigned len)
{
	struct ccsb_prefix p = { .family = u->family, .len = (uint8_t)len };
	memcpy(p.addr, u->base, sizeof(p.addr));
	unsigned nb = u_bytes(u);
	p.addr[nb - 2] = (uint8_t)(off >> 8);
	p.addr[nb - 1] = (uint8_t)off;
	return p;
}

static unsigned u_offset(const struct universe *u, const struct ccsb_prefix *p)
{
	unsigned nb = u_bytes(u);
	return (unsigned)p->addr[nb - 2] << 8 | p->addr[nb - 1];
}

static void canonical(const struct universe *u, const uint32_t *psum, unsigned off, unsigned len,
		      struct ccsb_allowlist *out)
{
	unsigned size = 1u << (u->ubits + 16 - len);
	uint32_t c = psum[off + size] - psum[off];
	if (c == 0)
		return;
	if (c == size) {
		struct ccsb_prefix p = u_prefix(u, off, len);
		ccsb__allowlist_add(out, &p);
		return;
	}
	canonical(u, psum, off, len + 1, out);
	canonical(u, psum, off + size / 2, len + 1, out);
}

static bool check_canonical_shape(const struct ccsb_allowlist *al)
{
	for (size_t i = 0; i + 1 < al->n; i++) {
		const struct ccsb_prefix *x = &al->v[i], *y = &al->v[i + 1];
		if (x->family > y->family)
			return false;
		if (x->family < y->family)
			continue;
		unsigned nb = x->family == AF_INET ? 4 : 16;
		if (memcmp(x->addr, y->addr, nb) >= 0)
			return false;
		/* disjoint: y must start past the end of x */
		struct ccsb_prefix end = *x;
		for (unsigned bit = x->len; bit < nb * 8; bit++)
			end.addr[bit / 8] |= (uint8_t)(0x80u >> (bit % 8));
		if (memcmp(end.addr, y->addr, nb) >= 0)
			return false;
	}
	return true;
}

static void random_round(const struct universe *u, size_t count, unsigned minlen, const char *what)
{
	static uint8_t bitmap[65536];
	static uint32_t psum[65537];
	memset(bitmap, 0, sizeof(bitmap));
	struct ccsb_allowlist al = { 0 }, ref = { 0 };
	unsigned maxl = u->ubits + 16;
	for (size_t i = 0; i < count; i++) {
		unsigned len = minlen + (unsigned)(rnd() % (maxl - minlen + 1));
		unsigned size = 1u << (maxl - len);
		unsigned off = (unsigned)(rnd() % 65536) & ~(size - 1);
		struct ccsb_prefix p = u_prefix(u, off, len);
		ccsb__allowlist_add(&al, &p);
		memset(bitmap + off, 1, size);
	}
	psum[0] = 0;
	for (unsigned i = 0; i < 65536; i++)
		psum[i + 1] = psum[i] + bitmap[i];
	canonical(u, psum, 0, u->ubits, &ref);

	ccsb__allowlist_merge(&al);

	static uint8_t got[65536];
	memset(got, 0, sizeof(got));
	bool inside = true;
	for (size_t i = 0; i < al.n; i++) {
		if (al.v[i].len < u->ubits || al.v[i].family != u->family) {
			inside = false;
			continue;
		}
		memset(got + u_offset(u, &al.v[i]), 1, 1u << (maxl - al.v[i].len));
	}
	ok(inside, "%s: result stays in the universe", what);
	ok(memcmp(got, bitmap, sizeof(got)) == 0, "%s: coverage equals the input's (%zu -> %zu)",
	   what, count, al.n);
	ok(check_canonical_shape(&al), "%s: sorted and disjoint", what);
	bool same = al.n == ref.n && memcmp(al.v, ref.v, al.n * sizeof(*al.v)) == 0;
	if (!ok(same, "%s: equals the minimal CIDR cover", what))
		diag("got %zu prefixes, reference %zu", al.n, ref.n);
	ccsb__allowlist_free(&al);
	ccsb__allowlist_free(&ref);
}

static void test_merge_random(void)
{
	struct universe v4 = { .family = AF_INET, .base = { 10, 0 }, .ubits = 16 };
	struct universe v6 = { .family = AF_INET6,
			       .base = { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 },
			       .ubits = 112 };
	random_round(&v4, 10000, 27, "v4 10000 sparse");
	random_round(&v4, 10000, 24, "v4 10000 dense");
	random_round(&v4, 3000, 16, "v4 3000 with large blocks");
	random_round(&v6, 10000, 123, "v6 10000 sparse");
	random_round(&v6, 10000, 120, "v6 10000 dense");
	for (int i = 0; i < 20; i++)
		random_round(&v4, 500, 28, "v4 500");
}

static void bench(const char *what, struct ccsb_allowlist *al)
{
	size_t n = al->n;
	double t0 = now_ms();
	ccsb__allowlist_merge(al);
	double dt = now_ms() - t0;
	/* Timing is reported, not asserted: speed is measured in bench/. */
	diag("merge %s: %zu -> %zu prefixes in %.1f ms", what, n, al->n, dt);
	ok(check_canonical_shape(al), "merge %s: sorted and disjoint", what);
}

static void test_merge_speed(void)
{
	struct ccsb_allowlist al = { 0 };
	for (int i = 0; i < 100000; i++) {
		struct ccsb_prefix p = { 0 };
		uint64_t r = rnd();
		if (i % 4 == 3) {
			p.family = AF_INET6;
			for (int k = 0; k < 16; k += 8) {
				uint64_t x = rnd();
				memcpy(p.addr + k, &x, 8);
			}
			p.len = (uint8_t)(16 + r % 113);
		} else {
			p.family = AF_INET;
			memcpy(p.addr, &r, 4);
			p.len = (uint8_t)(8 + (r >> 32) % 25);
		}
		ccsb__allowlist_add(&al, &p);
	}
	bench("100000 random prefixes", &al);
	ccsb__allowlist_free(&al);

	/* Worst case for cascades: consecutive hosts, shuffled. */
	for (uint32_t i = 0; i < 100000; i++) {
		uint32_t a = htonl(0x0a000000u + i);
		struct ccsb_prefix p = { .family = AF_INET, .len = 32 };
		memcpy(p.addr, &a, 4);
		ccsb__allowlist_add(&al, &p);
	}
	for (size_t i = al.n - 1; i > 0; i--) {
		size_t j = (size_t)(rnd() % (i + 1));
		struct ccsb_prefix t = al.v[i];
		al.v[i] = al.v[j];
		al.v[j] = t;
	}
	bench("100000 consecutive hosts", &al);
	/* 100000 = 0x186a0: one prefix per set bit. */
	is_int(al.n, 6, "consecutive hosts collapse to one prefix per set bit of the count");
	ccsb__allowlist_free(&al);
}

/* Issue 14: per-name ports, "github.com:22,443". */
static void test_name_ports(void)
{
	static const char R_PORTS[] = "bad port list after the name (NAME:PORT[,PORT...], each "
				      "1-65535, at most 16)";

	entry_good("github.com:22,443", CCSB_ENTRY_NAME, "github.com:22,443");
	entry_good(" GitHub.COM.:443,22,443 ", CCSB_ENTRY_NAME, "github.com:22,443");
	entry_good("*.example.com:8080", CCSB_ENTRY_NAME, "*.example.com:8080");
	entry_good("a.example:65535,1", CCSB_ENTRY_NAME, "a.example:1,65535");
	entry_good("2001:db8::/32", CCSB_ENTRY_PREFIX, "2001:db8::/32");
	entry_good("fd00::1", CCSB_ENTRY_PREFIX, "fd00::1/128");
	entry_bad("github.com:", R_PORTS);
	entry_bad("github.com:0", R_PORTS);
	entry_bad("github.com:65536", R_PORTS);
	entry_bad("github.com:22,", R_PORTS);
	entry_bad("github.com:,22", R_PORTS);
	entry_bad("github.com:22-80", R_PORTS);
	entry_bad("github.com:0022x", R_PORTS);
	entry_bad("github.com:1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17", R_PORTS);
	entry_good("github.com:1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16", CCSB_ENTRY_NAME,
		   "github.com:1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16");
	entry_bad("*.com:443", "wildcard over a whole top-level domain");
	entry_bad("github.com:22 x", "trailing junk");

	struct ccsb_allowlist al = { 0 };
	is_int(ccsb__allowlist_add_name(&al, "github.com:22,443"), 0, "add_name with ports");
	is_int(ccsb__allowlist_add_name(&al, "*.example.test:8080"), 0, "a pattern with a port");
	is_int(ccsb__allowlist_add_name(&al, "open.example.test"), 0, "a name without ports");
	is_int(ccsb__allowlist_add_name(&al, "b.example.test:80"), 0, "a name below a pattern");
	is_int(ccsb__allowlist_add_name(&al, "bad.example:99999"), -EINVAL,
	       "add_name checks ports");
	is_int(ccsb__allowlist_add_name(&al, "bad.example:"), -EINVAL, "add_name: empty ports");
	is_int(al.nnames, 4, "one name each");
	ok(ccsb__allowlist_name_allowed(&al, "github.com"), "a name with ports resolves");
	ok(ccsb__allowlist_port_allowed(&al, "github.com", 22), "its port 22");
	ok(ccsb__allowlist_port_allowed(&al, "GitHub.com.", 443), "... 443, any case");
	ok(!ccsb__allowlist_port_allowed(&al, "github.com", 80), "... not 80");
	ok(!ccsb__allowlist_port_allowed(&al, "github.com", 0), "... not 0");
	ok(ccsb__allowlist_port_allowed(&al, "open.example.test", 1), "no ports: any port");
	ok(ccsb__allowlist_port_allowed(&al, "open.example.test", 65535), "... 65535 too");
	ok(ccsb__allowlist_port_allowed(&al, "x.example.test", 8080), "a pattern's port");
	ok(!ccsb__allowlist_port_allowed(&al, "x.example.test", 80), "... not another");
	ok(ccsb__allowlist_port_allowed(&al, "b.example.test", 80) &&
		   ccsb__allowlist_port_allowed(&al, "b.example.test", 8080),
	   "two matching patterns: the union of their ports");
	ok(!ccsb__allowlist_port_allowed(&al, "b.example.test", 443), "... and nothing else");
	ok(!ccsb__allowlist_port_allowed(&al, "other.test", 443), "an unlisted name: no port");

	/* The same pattern with and without ports: any port. */
	is_int(ccsb__allowlist_add_name(&al, "github.com"), 0, "github.com again, no ports");
	struct ccsb_allowlist c;
	is_int(ccsb__allowlist_copy(&c, &al), 0, "copy with ports");
	ccsb__allowlist_merge(&c);
	is_int(c.nnames, 4, "names de-duplicated");
	ok(ccsb__allowlist_port_allowed(&c, "github.com", 80), "then any port");
	ok(c.ports_sorted && c.nports == al.nports, "ports sorted, copied");
	ccsb__allowlist_free(&c);
	ccsb__allowlist_free(&al);

	/* A file: a bad port list rejects the whole file, ports included. */
	struct ccsb_allowlist f = { 0 };
	ccsb_error *err = NULL;
	const char good[] = "a.example:443\n";
	const char bad[] = "b.example:22\nc.example:0\n";
	is_int(ccsb__allowlist_parse_buf(&f, "t", good, strlen(good), &err), 0, "file with ports");
	is_int(ccsb__allowlist_parse_buf(&f, "t", bad, strlen(bad), &err), -EINVAL, "bad ports");
	is_str(err ? ccsb_error_message(err) : "",
	       "t:2: bad port list after the name "
	       "(NAME:PORT[,PORT...], each 1-65535, at most 16) 'c.example:0'",
	       "message names the line");
	ccsb_error_free(err);
	is_int(f.nnames, 1, "rolled back: names");
	is_int(f.nports, 1, "rolled back: ports");
	ok(!ccsb__allowlist_port_allowed(&f, "b.example", 22), "nothing of the bad file");
	ccsb__allowlist_free(&f);
}

int main(void)
{
	test_parse_valid();
	test_parse_invalid();
	test_names();
	test_add_copy_free_format();
	test_buffer();
	test_public();
	test_merge_cases();
	test_merge_random();
	test_merge_speed();
	test_name_ports();
	return done_testing();
}
