/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The D-Bus messages of the systemd scope (libccsandbox/dbus.c): exact
 * bytes of a Hello, the layout of StartTransientUnit read back field by
 * field, replies and signals as systemd sends them, truncation and
 * corruption, and the session bus address. tests/security/bounds.sh runs
 * the same code against a real systemd user manager. */
#include "dbus.h"
#include "internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "tap.h"

int ccsb__session_bus_addr(const char *env, const char *runtime_dir, struct sockaddr_un *sa,
			   socklen_t *len);

/* Little-endian helpers for hand-built messages. */
static void p32(unsigned char *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static uint32_t g32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t g64(const unsigned char *p)
{
	return (uint64_t)g32(p) | (uint64_t)g32(p + 4) << 32;
}

struct mb {
	unsigned char b[4096];
	size_t n;
};

static void mpad(struct mb *m, size_t a)
{
	while (m->n % a)
		m->b[m->n++] = 0;
}

static void mu32(struct mb *m, uint32_t v)
{
	mpad(m, 4);
	p32(m->b + m->n, v);
	m->n += 4;
}

static void mstr(struct mb *m, const char *s)
{
	mu32(m, (uint32_t)strlen(s));
	memcpy(m->b + m->n, s, strlen(s) + 1);
	m->n += strlen(s) + 1;
}

static void msig(struct mb *m, const char *s)
{
	m->b[m->n++] = (unsigned char)strlen(s);
	memcpy(m->b + m->n, s, strlen(s) + 1);
	m->n += strlen(s) + 1;
}

/* A message as a bus sends it: type, serial, reply serial (0: none),
 * member (NULL: none), error name (NULL: none), body signature and
 * strings/uint32s given as "s:TEXT" / "u:N". */
static size_t build(unsigned char *out, int type, uint32_t serial, uint32_t reply,
		    const char *member, const char *error, const char *sig, const char *const *args)
{
	struct mb body = { .n = 0 };
	for (size_t i = 0; args && args[i]; i++) {
		if (args[i][0] == 'u')
			mu32(&body, (uint32_t)strtoul(args[i] + 2, NULL, 10));
		else
			mstr(&body, args[i] + 2);
	}
	struct mb m = { .n = 0 };
	m.b[0] = 'l';
	m.b[1] = (unsigned char)type;
	m.b[2] = 1;
	m.b[3] = 1;
	m.n = 4;
	mu32(&m, (uint32_t)body.n);
	mu32(&m, serial);
	mu32(&m, 0);
	size_t fstart = m.n;
	if (reply) {
		mpad(&m, 8);
		m.b[m.n++] = 5;
		msig(&m, "u");
		mu32(&m, reply);
	}
	mpad(&m, 8);
	m.b[m.n++] = 7;
	msig(&m, "s");
	mstr(&m, ":1.0");
	if (member) {
		mpad(&m, 8);
		m.b[m.n++] = 3;
		msig(&m, "s");
		mstr(&m, member);
		mpad(&m, 8);
		m.b[m.n++] = 1;
		msig(&m, "o");
		mstr(&m, "/org/freedesktop/systemd1");
	}
	if (error) {
		mpad(&m, 8);
		m.b[m.n++] = 4;
		msig(&m, "s");
		mstr(&m, error);
	}
	if (sig && *sig) {
		mpad(&m, 8);
		m.b[m.n++] = 8;
		msig(&m, "g");
		msig(&m, sig);
	}
	p32(m.b + 12, (uint32_t)(m.n - fstart));
	mpad(&m, 8);
	memcpy(m.b + m.n, body.b, body.n);
	m.n += body.n;
	memcpy(out, m.b, m.n);
	return m.n;
}

static void test_hello(void)
{
	struct ccsb_dbuf b = { 0 };
	is_int(ccsb__dbus_hello(&b, 1), 0, "Hello builds");
	/* As dbus-send would marshal it, with NO_AUTO_START (0x02). */
	static const unsigned char want[] =
		"l\001\002\001\000\000\000\000\001\000\000\000\155\000\000\000"
		"\001\001o\000\025\000\000\000/org/freedesktop/DBus\000\000\000"
		"\002\001s\000\024\000\000\000org.freedesktop.DBus\000\000\000\000"
		"\003\001s\000\005\000\000\000Hello\000\000\000"
		"\006\001s\000\024\000\000\000org.freedesktop.DBus\000";
	size_t wn = sizeof(want) - 1 + 3; /* header padded to 8 */
	is_int((long)b.n, (long)wn, "Hello: %zu bytes", wn);
	ok(b.n >= sizeof(want) - 1 && memcmp(b.p, want, sizeof(want) - 1) == 0,
	   "Hello: the exact bytes");
	struct ccsb_dbus_msg m;
	is_int(ccsb__dbus_parse(b.p, b.n, &m), (long)b.n, "Hello parses back whole");
	is_str(m.member, "Hello", "... member");
	is_str(m.path, "/org/freedesktop/DBus", "... path");
	is_int(m.type, CCSB_DBUS_CALL, "... a method call");
	free(b.p);
}

static void test_start_scope(void)
{
	struct ccsb_dbuf b = { 0 };
	uint32_t pids[2] = { 1234, 5678 };
	is_int(ccsb__dbus_start_scope(&b, 3, "ccsb-1-2.scope", "ccsb sandbox", pids, 2, 64ull << 20,
				      32),
	       0, "StartTransientUnit builds");
	struct ccsb_dbus_msg m;
	is_int(ccsb__dbus_parse(b.p, b.n, &m), (long)b.n, "it parses back whole");
	is_str(m.member, "StartTransientUnit", "member");
	is_str(m.signature, "ssa(sv)a(sa(sv))", "signature");
	is_int((long)m.serial, 3, "serial");
	is_str(m.nstr >= 2 ? m.str[0] : "", "ccsb-1-2.scope", "unit name");
	is_str(m.nstr >= 2 ? m.str[1] : "", "fail", "mode");
	/* The properties, walked by hand from the body. */
	size_t body = b.n - g32(b.p + 4);
	ok(body % 8 == 0, "the body starts 8-aligned");
	size_t off = body + 4 + strlen("ccsb-1-2.scope") + 1;
	off = (off + 3) / 4 * 4;
	off += 4 + 5;
	off = (off + 3) / 4 * 4;
	uint32_t alen = g32(b.p + off);
	off += 4;
	off = (off + 7) / 8 * 8;
	size_t aend = off + alen;
	const char *names[8];
	size_t nn = 0;
	bool pids_ok = false, mem_ok = false, tasks_ok = false, collect_ok = false;
	while (off < aend && nn < 8) {
		off = (off + 7) / 8 * 8;
		uint32_t sl = g32(b.p + off);
		const char *name = (const char *)b.p + off + 4;
		names[nn++] = name;
		off += 4 + sl + 1;
		unsigned gl = b.p[off];
		const char *sig = (const char *)b.p + off + 1;
		off += 1 + gl + 1;
		if (strcmp(sig, "s") == 0) {
			off = (off + 3) / 4 * 4;
			uint32_t vl = g32(b.p + off);
			if (strcmp(name, "CollectMode") == 0)
				collect_ok = strcmp((const char *)b.p + off + 4,
						    "inactive-or-failed") == 0;
			off += 4 + vl + 1;
		} else if (strcmp(sig, "t") == 0) {
			off = (off + 7) / 8 * 8;
			uint64_t v = g64(b.p + off);
			if (strcmp(name, "MemoryMax") == 0)
				mem_ok = v == 64ull << 20;
			if (strcmp(name, "TasksMax") == 0)
				tasks_ok = v == 32;
			off += 8;
		} else if (strcmp(sig, "au") == 0) {
			off = (off + 3) / 4 * 4;
			uint32_t pl = g32(b.p + off);
			pids_ok =
				pl == 8 && g32(b.p + off + 4) == 1234 && g32(b.p + off + 8) == 5678;
			off += 4 + pl;
		} else {
			break;
		}
	}
	is_int((long)nn, 5, "five properties");
	ok(off == aend, "the property array's length is exact");
	ok(nn == 5 && strcmp(names[0], "Description") == 0 && strcmp(names[1], "PIDs") == 0,
	   "Description, PIDs first");
	ok(pids_ok, "PIDs: au [1234, 5678]");
	ok(collect_ok, "CollectMode inactive-or-failed");
	ok(mem_ok, "MemoryMax t 64M");
	ok(tasks_ok, "TasksMax t 32");
	off = (off + 3) / 4 * 4;
	is_int((long)g32(b.p + off), 0, "no auxiliary units");
	ok(off + 8 == b.n, "the message ends after the empty aux array (padded to 8)");
	free(b.p);

	b = (struct ccsb_dbuf){ 0 };
	ccsb__dbus_start_scope(&b, 4, "u.scope", "d", pids, 1, 0, 100);
	is_int(ccsb__dbus_parse(b.p, b.n, &m), (long)b.n, "without MemoryMax: parses");
	ok(memmem(b.p, b.n, "MemoryMax", 9) == NULL && memmem(b.p, b.n, "TasksMax", 8) != NULL,
	   "memory 0: no MemoryMax property");
	free(b.p);
}

static void test_replies(void)
{
	unsigned char buf[4096];
	struct ccsb_dbus_msg m;
	size_t n = build(buf, CCSB_DBUS_RETURN, 7, 3, NULL, NULL, "o",
			 (const char *[]){ "s:/org/freedesktop/systemd1/job/32", NULL });
	is_int(ccsb__dbus_parse(buf, n, &m), (long)n, "method return parses");
	ok(m.type == CCSB_DBUS_RETURN && m.reply_serial == 3 && m.serial == 7,
	   "... type, serial, reply serial");
	is_str(m.str[0], "/org/freedesktop/systemd1/job/32", "... the job path");
	is_str(m.sender, ":1.0", "... sender");

	n = build(buf, CCSB_DBUS_ERROR, 8, 3, NULL, "org.freedesktop.DBus.Error.ServiceUnknown",
		  "s", (const char *[]){ "s:The name is not activatable", NULL });
	is_int(ccsb__dbus_parse(buf, n, &m), (long)n, "error parses");
	is_str(m.error, "org.freedesktop.DBus.Error.ServiceUnknown", "... its name");
	is_str(m.str[0], "The name is not activatable", "... its message");

	n = build(buf, CCSB_DBUS_SIGNAL, 9, 0, "JobRemoved", NULL, "uoss",
		  (const char *[]){ "u:32", "s:/org/freedesktop/systemd1/job/32",
				    "s:ccsb-1-2.scope", "s:done", NULL });
	is_int(ccsb__dbus_parse(buf, n, &m), (long)n, "JobRemoved parses");
	ok(m.nu == 1 && m.u[0] == 32 && m.nstr == 3, "... u and three strings");
	is_str(m.str[1], "ccsb-1-2.scope", "... unit");
	is_str(m.str[2], "done", "... result");
	is_str(m.member, "JobRemoved", "... member");

	/* Every prefix is incomplete, never an error or a read past it. */
	bool all = true;
	for (size_t k = 0; k < n; k++) {
		unsigned char *cp = malloc(k ? k : 1);
		memcpy(cp, buf, k);
		if (ccsb__dbus_parse(cp, k, &m) != 0)
			all = false;
		free(cp);
	}
	ok(all, "every proper prefix needs more bytes");
	/* Two messages back to back: the first one's length. */
	unsigned char two[8192];
	memcpy(two, buf, n);
	memcpy(two + n, buf, n);
	is_int(ccsb__dbus_parse(two, 2 * n, &m), (long)n, "two messages: one at a time");

	unsigned char bad[4096];
	memcpy(bad, buf, n);
	bad[3] = 2;
	is_int(ccsb__dbus_parse(bad, n, &m), -EBADMSG, "protocol version 2: refused");
	memcpy(bad, buf, n);
	bad[0] = 'x';
	is_int(ccsb__dbus_parse(bad, n, &m), -EBADMSG, "bad endianness byte: refused");
	memcpy(bad, buf, n);
	p32(bad + 4, 1u << 30);
	is_int(ccsb__dbus_parse(bad, n, &m), -EBADMSG, "a 1 GiB body: refused, not waited for");
	/* A string length that runs past the body. */
	memcpy(bad, buf, n);
	size_t body = n - g32(buf + 4);
	p32(bad + body + 4, 4000);
	is_int(ccsb__dbus_parse(bad, n, &m), -EBADMSG, "a string past the body: refused");
	/* Every single-byte corruption: parsed or refused, never past the
	 * buffer (the sanitizers would say). */
	size_t parsed = 0, refused = 0;
	for (size_t k = 0; k < n; k++) {
		memcpy(bad, buf, n);
		bad[k] ^= 0xff;
		unsigned char *cp = malloc(n);
		memcpy(cp, bad, n);
		ssize_t r = ccsb__dbus_parse(cp, n, &m);
		if (r > 0)
			parsed++;
		else
			refused++;
		free(cp);
	}
	ok(parsed + refused == n, "every byte flipped: handled (%zu parsed, %zu not)", parsed,
	   refused);
}

static void test_address(void)
{
	struct sockaddr_un sa;
	socklen_t len = 0;
	is_int(ccsb__session_bus_addr("unix:path=/run/user/1000/bus", NULL, &sa, &len), 0,
	       "unix:path=");
	is_str(sa.sun_path, "/run/user/1000/bus", "... the path");
	ok(len == offsetof(struct sockaddr_un, sun_path) + strlen("/run/user/1000/bus") + 1,
	   "... its length");
	is_int(ccsb__session_bus_addr("unix:abstract=/tmp/dbus-x1,guid=0123", NULL, &sa, &len), 0,
	       "unix:abstract=");
	ok(sa.sun_path[0] == '\0' && strcmp(sa.sun_path + 1, "/tmp/dbus-x1") == 0 &&
		   len == offsetof(struct sockaddr_un, sun_path) + 1 + strlen("/tmp/dbus-x1"),
	   "... a leading NUL, no trailing one, guid ignored");
	is_int(ccsb__session_bus_addr("tcp:host=localhost,port=1;unix:guid=1,path=/a%20b", NULL,
				      &sa, &len),
	       0, "a tcp: entry skipped, path after another key, %%-escape");
	is_str(sa.sun_path, "/a b", "... /a b");
	is_int(ccsb__session_bus_addr("tcp:host=localhost,port=1", "/nonexistent", &sa, &len),
	       -ENOENT, "no unix: entry and no $XDG_RUNTIME_DIR/bus: -ENOENT");
	is_int(ccsb__session_bus_addr(NULL, NULL, &sa, &len), -ENOENT, "nothing: -ENOENT");
	is_int(ccsb__session_bus_addr("unix:path=", NULL, &sa, &len), -ENOENT,
	       "empty path: -ENOENT");
}

int main(void)
{
	test_hello();
	test_start_scope();
	test_replies();
	test_address();
	return done_testing();
}
