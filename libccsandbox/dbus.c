/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The few D-Bus messages ccsb sends to the user's systemd manager, and a
 * parser for what comes back. Pure: byte buffers in and out, so that the
 * exact bytes are unit-tested and the parser fuzzed (tests/fuzz/).
 *
 * Why not sd-bus: ccsb is a static musl binary (its start-up is on every
 * sandbox's path), and libsystemd cannot be linked into it; four messages
 * and one reply shape do not need a library. Little-endian marshalling
 * ('l') is what every bus accepts; replies are parsed in either order. */
#include "dbus.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static void grow(struct ccsb_dbuf *b, size_t need)
{
	if (b->oom || b->n + need <= b->cap)
		return;
	size_t ncap = b->cap ? b->cap : 256;
	while (ncap < b->n + need)
		ncap *= 2;
	unsigned char *np = realloc(b->p, ncap);
	if (!np) {
		b->oom = true;
		return;
	}
	b->p = np;
	b->cap = ncap;
}

static void put(struct ccsb_dbuf *b, const void *p, size_t n)
{
	grow(b, n);
	if (b->oom)
		return;
	memcpy(b->p + b->n, p, n);
	b->n += n;
}

/* Alignment is relative to the start of the message. */
static void pad(struct ccsb_dbuf *b, size_t base, size_t align)
{
	static const unsigned char zero[8];
	size_t off = b->n - base;
	put(b, zero, (align - off % align) % align);
}

static void put_u32(struct ccsb_dbuf *b, size_t base, uint32_t v)
{
	pad(b, base, 4);
	unsigned char x[4] = { (unsigned char)v, (unsigned char)(v >> 8), (unsigned char)(v >> 16),
			       (unsigned char)(v >> 24) };
	put(b, x, 4);
}

static void put_u64(struct ccsb_dbuf *b, size_t base, uint64_t v)
{
	pad(b, base, 8);
	unsigned char x[8];
	for (int i = 0; i < 8; i++)
		x[i] = (unsigned char)(v >> (8 * i));
	put(b, x, 8);
}

static void put_byte(struct ccsb_dbuf *b, unsigned char c)
{
	put(b, &c, 1);
}

/* 's' and 'o': u32 length, bytes, NUL. */
static void put_str(struct ccsb_dbuf *b, size_t base, const char *s)
{
	size_t n = strlen(s);
	put_u32(b, base, (uint32_t)n);
	put(b, s, n + 1);
}

/* 'g': byte length, bytes, NUL. */
static void put_sig(struct ccsb_dbuf *b, const char *s)
{
	size_t n = strlen(s);
	put_byte(b, (unsigned char)n);
	put(b, s, n + 1);
}

/* Patch the u32 at `at` (an array length, the body length). */
static void set_u32(struct ccsb_dbuf *b, size_t at, uint32_t v)
{
	if (b->oom)
		return;
	b->p[at] = (unsigned char)v;
	b->p[at + 1] = (unsigned char)(v >> 8);
	b->p[at + 2] = (unsigned char)(v >> 16);
	b->p[at + 3] = (unsigned char)(v >> 24);
}

/* Begin an array: its length is patched by array_end(). `elem_align` is
 * the alignment of its elements, which pads after the length. */
static size_t array_begin(struct ccsb_dbuf *b, size_t base, size_t elem_align, size_t *start)
{
	put_u32(b, base, 0);
	size_t at = b->n - 4;
	pad(b, base, elem_align);
	*start = b->n;
	return at;
}

static void array_end(struct ccsb_dbuf *b, size_t at, size_t start)
{
	set_u32(b, at, (uint32_t)(b->n - start));
}

enum {
	F_PATH = 1,
	F_INTERFACE = 2,
	F_MEMBER = 3,
	F_ERROR_NAME = 4,
	F_REPLY_SERIAL = 5,
	F_DESTINATION = 6,
	F_SENDER = 7,
	F_SIGNATURE = 8
};

static void field_str(struct ccsb_dbuf *b, size_t base, int code, const char *sig, const char *val)
{
	pad(b, base, 8);
	put_byte(b, (unsigned char)code);
	put_sig(b, sig);
	if (sig[0] == 'g')
		put_sig(b, val);
	else
		put_str(b, base, val);
}

/* A method call header; returns the body's start, where the body length
 * (at base + 4) is patched by end_msg(). */
static size_t begin_call(struct ccsb_dbuf *b, uint32_t serial, const char *dest, const char *path,
			 const char *iface, const char *member, const char *sig)
{
	size_t base = b->n;
	/* NO_AUTO_START: a bus without systemd must answer at once, not
	 * try to start it. */
	unsigned char fixed[4] = { 'l', 1 /* METHOD_CALL */, 0x2, 1 };
	put(b, fixed, 4);
	put_u32(b, base, 0); /* body length */
	put_u32(b, base, serial);
	size_t start, at = array_begin(b, base, 8, &start);
	field_str(b, base, F_PATH, "o", path);
	field_str(b, base, F_INTERFACE, "s", iface);
	field_str(b, base, F_MEMBER, "s", member);
	field_str(b, base, F_DESTINATION, "s", dest);
	if (sig && *sig)
		field_str(b, base, F_SIGNATURE, "g", sig);
	array_end(b, at, start);
	pad(b, base, 8);
	return base;
}

static int end_msg(struct ccsb_dbuf *b, size_t base, size_t body)
{
	if (b->oom)
		return -ENOMEM;
	set_u32(b, base + 4, (uint32_t)(b->n - body));
	return 0;
}

static size_t body_start(const struct ccsb_dbuf *b)
{
	return b->n;
}

int ccsb__dbus_hello(struct ccsb_dbuf *b, uint32_t serial)
{
	size_t base = begin_call(b, serial, "org.freedesktop.DBus", "/org/freedesktop/DBus",
				 "org.freedesktop.DBus", "Hello", NULL);
	return end_msg(b, base, body_start(b));
}

int ccsb__dbus_add_match(struct ccsb_dbuf *b, uint32_t serial, const char *rule)
{
	size_t base = begin_call(b, serial, "org.freedesktop.DBus", "/org/freedesktop/DBus",
				 "org.freedesktop.DBus", "AddMatch", "s");
	size_t body = body_start(b);
	put_str(b, base, rule);
	return end_msg(b, base, body);
}

/* One (sv) property of StartTransientUnit. */
static void prop_begin(struct ccsb_dbuf *b, size_t base, const char *name, const char *sig)
{
	pad(b, base, 8);
	put_str(b, base, name);
	put_sig(b, sig);
}

int ccsb__dbus_start_scope(struct ccsb_dbuf *b, uint32_t serial, const char *unit,
			   const char *description, const uint32_t *pids, size_t npids,
			   uint64_t memory_max, uint64_t tasks_max)
{
	size_t base = begin_call(b, serial, "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
				 "org.freedesktop.systemd1.Manager", "StartTransientUnit",
				 "ssa(sv)a(sa(sv))");
	size_t body = body_start(b);
	put_str(b, base, unit);
	put_str(b, base, "fail");
	size_t start, at = array_begin(b, base, 8, &start);
	prop_begin(b, base, "Description", "s");
	put_str(b, base, description);
	prop_begin(b, base, "PIDs", "au");
	size_t pstart, pat = array_begin(b, base, 4, &pstart);
	for (size_t i = 0; i < npids; i++)
		put_u32(b, base, pids[i]);
	array_end(b, pat, pstart);
	/* Collected even when it fails (a process killed by the OOM killer
	 * makes it "failed"), so that units do not pile up. */
	prop_begin(b, base, "CollectMode", "s");
	put_str(b, base, "inactive-or-failed");
	if (memory_max) {
		prop_begin(b, base, "MemoryMax", "t");
		put_u64(b, base, memory_max);
	}
	if (tasks_max) {
		prop_begin(b, base, "TasksMax", "t");
		put_u64(b, base, tasks_max);
	}
	array_end(b, at, start);
	/* No auxiliary units: an empty a(sa(sv)). */
	at = array_begin(b, base, 8, &start);
	array_end(b, at, start);
	return end_msg(b, base, body);
}

/* ---- parsing --------------------------------------------------------- */

struct rd {
	const unsigned char *p;
	size_t n, off;
	bool be; /* big-endian message */
	bool bad;
};

static void ralign(struct rd *r, size_t a)
{
	size_t o = (r->off + a - 1) / a * a;
	if (o > r->n)
		r->bad = true;
	else
		r->off = o;
}

static uint32_t ru32(struct rd *r)
{
	ralign(r, 4);
	if (r->bad || r->n - r->off < 4) {
		r->bad = true;
		return 0;
	}
	const unsigned char *q = r->p + r->off;
	r->off += 4;
	if (r->be)
		return (uint32_t)q[0] << 24 | (uint32_t)q[1] << 16 | (uint32_t)q[2] << 8 | q[3];
	return (uint32_t)q[3] << 24 | (uint32_t)q[2] << 16 | (uint32_t)q[1] << 8 | q[0];
}

static unsigned char rbyte(struct rd *r)
{
	if (r->bad || r->off >= r->n) {
		r->bad = true;
		return 0;
	}
	return r->p[r->off++];
}

/* A string of `len` bytes then NUL, copied (truncated) into out. */
static void rbytes(struct rd *r, size_t len, char *out, size_t outlen)
{
	if (r->bad || len >= r->n - r->off) { /* room for the NUL too */
		r->bad = true;
		return;
	}
	const unsigned char *q = r->p + r->off;
	if (q[len] != '\0' || memchr(q, '\0', len)) {
		r->bad = true;
		return;
	}
	if (out) {
		size_t k = len < outlen - 1 ? len : outlen - 1;
		memcpy(out, q, k);
		out[k] = '\0';
	}
	r->off += len + 1;
}

static void rstr(struct rd *r, char *out, size_t outlen)
{
	uint32_t len = ru32(r);
	rbytes(r, len, out, outlen);
}

static void rsig(struct rd *r, char *out, size_t outlen)
{
	size_t len = rbyte(r);
	rbytes(r, len, out, outlen);
}

/* Over 80 lines on purpose: the message is read top to bottom as the wire
 * format lays it out (fixed header, header fields, padding, body) with one
 * cursor whose bounds change between the parts; splitting it would pass
 * that cursor and the lengths through helpers and scatter the checks that
 * together keep every read of untrusted bytes inside the message. */
ssize_t ccsb__dbus_parse(const unsigned char *p, size_t n, struct ccsb_dbus_msg *m)
{
	memset(m, 0, sizeof(*m));
	if (n < 16)
		return 0;
	if ((p[0] != 'l' && p[0] != 'B') || p[3] != 1)
		return -EBADMSG;
	struct rd r = { .p = p, .n = n, .off = 4, .be = p[0] == 'B' };
	m->type = p[1];
	uint32_t body_len = ru32(&r);
	m->serial = ru32(&r);
	uint32_t fields_len = ru32(&r);
	/* The spec's limit is 128 MiB; ours is far smaller. */
	if (body_len > CCSB_DBUS_MAX || fields_len > CCSB_DBUS_MAX)
		return -EBADMSG;
	size_t hdr = 16 + (size_t)fields_len;
	hdr = (hdr + 7) / 8 * 8;
	size_t total = hdr + body_len;
	if (total > CCSB_DBUS_MAX)
		return -EBADMSG;
	if (n < total)
		return 0;
	r.n = 16 + (size_t)fields_len;
	while (r.off < r.n && !r.bad) {
		ralign(&r, 8);
		if (r.off >= r.n)
			break;
		unsigned code = rbyte(&r);
		char sig[8];
		rsig(&r, sig, sizeof(sig));
		if (r.bad)
			break;
		if (strcmp(sig, "s") == 0 || strcmp(sig, "o") == 0) {
			char *dst = NULL;
			size_t dl = 0;
			if (code == F_MEMBER)
				dst = m->member, dl = sizeof(m->member);
			else if (code == F_ERROR_NAME)
				dst = m->error, dl = sizeof(m->error);
			else if (code == F_PATH)
				dst = m->path, dl = sizeof(m->path);
			else if (code == F_SENDER)
				dst = m->sender, dl = sizeof(m->sender);
			rstr(&r, dst, dl);
		} else if (strcmp(sig, "g") == 0) {
			rsig(&r, code == F_SIGNATURE ? m->signature : NULL, sizeof(m->signature));
		} else if (strcmp(sig, "u") == 0) {
			uint32_t v = ru32(&r);
			if (code == F_REPLY_SERIAL)
				m->reply_serial = v;
		} else {
			/* No other header field type is defined. */
			r.bad = true;
		}
	}
	if (r.bad || r.off > 16 + (size_t)fields_len)
		return -EBADMSG;
	for (size_t i = r.off; i < hdr; i++)
		if (p[i] != 0)
			return -EBADMSG;
	/* The body: only the shapes ccsb reads; others are skipped whole. */
	r.n = total;
	r.off = hdr;
	const char *sig = m->signature;
	size_t ns = 0;
	for (const char *c = sig; *c && !r.bad; c++) {
		if (*c == 's' || *c == 'o') {
			if (ns < CCSB_DBUS_NSTR)
				rstr(&r, m->str[ns], sizeof(m->str[ns]));
			else
				rstr(&r, NULL, 0);
			ns++;
		} else if (*c == 'u') {
			uint32_t v = ru32(&r);
			if (m->nu < CCSB_DBUS_NU)
				m->u[m->nu++] = v;
		} else {
			break;
		}
	}
	if (r.bad)
		return -EBADMSG;
	m->nstr = ns < CCSB_DBUS_NSTR ? ns : CCSB_DBUS_NSTR;
	return (ssize_t)total;
}
