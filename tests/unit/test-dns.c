/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "dns.h"
#include "tap.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>

/* ---- a tiny packet builder ------------------------------------------- */

struct pkt {
	uint8_t b[70000];
	size_t n;
};

static struct pkt P, R; /* a query and a response, reused */

static void p_reset(struct pkt *p)
{
	p->n = 0;
}

static void p_u8(struct pkt *p, unsigned v)
{
	if (p->n >= sizeof(p->b))
		bail_out("test packet overflow");
	p->b[p->n++] = (uint8_t)v;
}

static void p_u16(struct pkt *p, unsigned v)
{
	p_u8(p, v >> 8);
	p_u8(p, v & 0xff);
}

static void p_u32(struct pkt *p, uint32_t v)
{
	p_u16(p, v >> 16);
	p_u16(p, v & 0xffff);
}

static void p_bytes(struct pkt *p, const void *d, size_t n)
{
	for (size_t i = 0; i < n; i++)
		p_u8(p, ((const uint8_t *)d)[i]);
}

static void p_set16(struct pkt *p, size_t off, unsigned v)
{
	p->b[off] = (uint8_t)(v >> 8);
	p->b[off + 1] = (uint8_t)v;
}

/* Labels of a dotted name, without the root byte. */
static void p_labels(struct pkt *p, const char *name)
{
	while (*name) {
		const char *dot = strchr(name, '.');
		size_t l = dot ? (size_t)(dot - name) : strlen(name);
		p_u8(p, (unsigned)l);
		p_bytes(p, name, l);
		name += l;
		if (*name == '.')
			name++;
	}
}

/* A whole name; "" and "." are the root. */
static void p_name(struct pkt *p, const char *name)
{
	if (strcmp(name, ".") != 0)
		p_labels(p, name);
	p_u8(p, 0);
}

static void p_ptr(struct pkt *p, unsigned off)
{
	p_u16(p, 0xc000u | off);
}

enum {
	ID = 0x4a2f,
	RD = 0x0100,
	QR = 0x8000,
	TC = 0x0200,
	AA = 0x0400
};

static void p_header(struct pkt *p, unsigned id, unsigned flags, unsigned qd, unsigned an,
		     unsigned ns, unsigned ar)
{
	p_reset(p);
	p_u16(p, id);
	p_u16(p, flags);
	p_u16(p, qd);
	p_u16(p, an);
	p_u16(p, ns);
	p_u16(p, ar);
}

static void p_question(struct pkt *p, const char *name, unsigned type, unsigned cls)
{
	p_name(p, name);
	p_u16(p, type);
	p_u16(p, cls);
}

/* Type, class, TTL and rdlength after an owner name written by the caller. */
static void p_rrfix(struct pkt *p, unsigned type, unsigned cls, uint32_t ttl, unsigned rdlen)
{
	p_u16(p, type);
	p_u16(p, cls);
	p_u32(p, ttl);
	p_u16(p, rdlen);
}

static void p_rr(struct pkt *p, const char *owner, unsigned type, uint32_t ttl, const void *rd,
		 size_t rdlen)
{
	p_name(p, owner);
	p_rrfix(p, type, CCSB_DNS_CLASS_IN, ttl, (unsigned)rdlen);
	p_bytes(p, rd, rdlen);
}

static void p_a(struct pkt *p, const char *owner, uint32_t ttl, const char *addr)
{
	uint8_t a[4];
	if (inet_pton(AF_INET, addr, a) != 1)
		bail_out("bad test address");
	p_rr(p, owner, CCSB_DNS_TYPE_A, ttl, a, 4);
}

static void p_aaaa(struct pkt *p, const char *owner, uint32_t ttl, const char *addr)
{
	uint8_t a[16];
	if (inet_pton(AF_INET6, addr, a) != 1)
		bail_out("bad test address");
	p_rr(p, owner, CCSB_DNS_TYPE_AAAA, ttl, a, 16);
}

static void p_cname(struct pkt *p, const char *owner, uint32_t ttl, const char *target)
{
	p_name(p, owner);
	size_t at = p->n;
	p_rrfix(p, CCSB_DNS_TYPE_CNAME, CCSB_DNS_CLASS_IN, ttl, 0);
	size_t start = p->n;
	p_name(p, target);
	p_set16(p, at + 8, (unsigned)(p->n - start));
}

static void p_opt(struct pkt *p, unsigned payload, uint32_t ttl, const void *opts, size_t n)
{
	p_u8(p, 0);
	p_rrfix(p, CCSB_DNS_TYPE_OPT, payload, ttl, (unsigned)n);
	p_bytes(p, opts, n);
}

static void q_simple(struct pkt *p, unsigned id, const char *name, unsigned type)
{
	p_header(p, id, RD, 1, 0, 0, 0);
	p_question(p, name, type, CCSB_DNS_CLASS_IN);
}

/* Response header and question; the caller appends records and sets the
 * counts with p_set16(p, 6/8/10, n). */
static void r_start(struct pkt *p, unsigned id, const char *name, unsigned type)
{
	p_header(p, id, QR | RD | 0x0080, 1, 0, 0, 0);
	p_question(p, name, type, CCSB_DNS_CLASS_IN);
}

static struct ccsb_dns_query QQ; /* a parsed query, for answers */

static void query_for(const char *name, unsigned type)
{
	q_simple(&P, ID, name, type);
	if (ccsb__dns_parse_query(P.b, P.n, &QQ) != 0)
		bail_out("test setup: query does not parse");
}

static struct ccsb_dns_query Q;

/* Parsers get exact-size heap copies, so that a sanitizer sees any read
 * past the end. */
static uint8_t *dup_exact(const uint8_t *b, size_t n)
{
	uint8_t *d = malloc(n ? n : 1);
	if (!d)
		bail_out("out of memory");
	memcpy(d, b, n);
	return d;
}

static int parse_query_exact(const uint8_t *b, size_t n, struct ccsb_dns_query *q)
{
	uint8_t *d = dup_exact(b, n);
	int r = ccsb__dns_parse_query(d, n, q);
	free(d);
	return r;
}

static int pq(const struct pkt *p)
{
	return parse_query_exact(p->b, p->n, &Q);
}

static const char *ntop(int family, const uint8_t *a)
{
	static char buf[4][INET6_ADDRSTRLEN];
	static unsigned i;
	char *b = buf[i++ % 4];
	inet_ntop(family, a, b, INET6_ADDRSTRLEN);
	return b;
}

/* ---- queries --------------------------------------------------------- */

static void test_query_good(void)
{
	q_simple(&P, ID, "example.test", CCSB_DNS_TYPE_A);
	is_int(pq(&P), 0, "plain A query parses");
	is_int(Q.id, ID, "id");
	is_int(Q.qtype, CCSB_DNS_TYPE_A, "qtype A");
	is_int(Q.qclass, CCSB_DNS_CLASS_IN, "qclass IN");
	is_str(Q.qname, "example.test", "qname");
	is_int(Q.qwire_len, 14, "wire length of the name");
	ok(Q.flags & RD, "RD kept in flags");
	ok(!Q.edns, "no EDNS");

	q_simple(&P, 7, "ipv6.example.test", CCSB_DNS_TYPE_AAAA);
	is_int(pq(&P), 0, "AAAA query parses");
	is_int(Q.qtype, CCSB_DNS_TYPE_AAAA, "qtype AAAA");
	is_str(Q.qname, "ipv6.example.test", "AAAA qname");

	q_simple(&P, ID, "WwW.ExAmple.TEST", CCSB_DNS_TYPE_A);
	is_int(pq(&P), 0, "mixed-case query parses");
	is_str(Q.qname, "www.example.test", "qname folded to lowercase");
	ok(memcmp(Q.qwire, "\3WwW\7ExAmple\4TEST", 18) == 0, "wire name keeps the case");

	q_simple(&P, ID, ".", 2);
	is_int(pq(&P), 0, "root query parses");
	is_str(Q.qname, "", "root is the empty name");
	is_int(Q.qwire_len, 1, "root is one byte");

	q_simple(&P, ID, "_dmarc.mail-1.example.test", 16);
	is_int(pq(&P), 0, "underscore and hyphen");
	is_str(Q.qname, "_dmarc.mail-1.example.test", "plain characters stay plain");

	/* Bytes a host name cannot have are escaped, so that the text cannot
	 * be read as another name. */
	p_header(&P, ID, RD, 1, 0, 0, 0);
	p_u8(&P, 3);
	p_bytes(&P, "a.b", 3);
	p_u8(&P, 4);
	p_bytes(&P, "\0 \\\xff", 4);
	p_u8(&P, 2);
	p_bytes(&P, "*Z", 2);
	p_name(&P, "example.test");
	p_u16(&P, 1);
	p_u16(&P, 1);
	is_int(pq(&P), 0, "binary labels parse");
	is_str(Q.qname, "a\\046b.\\000\\032\\092\\255.\\042z.example.test",
	       "binary labels escaped");

	/* The longest name: 255 bytes, 253 characters. */
	char l63[64], l61[62], longest[300];
	memset(l63, 'a', 63);
	l63[63] = '\0';
	memset(l61, 'b', 61);
	l61[61] = '\0';
	snprintf(longest, sizeof(longest), "%s.%s.%s.%s", l63, l63, l63, l61);
	q_simple(&P, ID, longest, CCSB_DNS_TYPE_A);
	is_int(pq(&P), 0, "255-byte name parses");
	is_int(strlen(Q.qname), 253, "253 characters");
	is_int(Q.qwire_len, 255, "255 wire bytes");

	/* Longest text: every byte escaped. */
	p_header(&P, ID, RD, 1, 0, 0, 0);
	for (int i = 0; i < 3; i++) {
		p_u8(&P, 63);
		for (int k = 0; k < 63; k++)
			p_u8(&P, 0xff);
	}
	p_u8(&P, 61);
	for (int k = 0; k < 61; k++)
		p_u8(&P, 0xff);
	p_u8(&P, 0);
	p_u16(&P, 1);
	p_u16(&P, 1);
	is_int(pq(&P), 0, "255-byte binary name parses");
	is_int(strlen(Q.qname), 250 * 4 + 3, "its text fits: 1003 characters");

	/* EDNS0 */
	q_simple(&P, ID, "example.test", CCSB_DNS_TYPE_A);
	p_set16(&P, 10, 1);
	p_opt(&P, 1232, 0x00008000, NULL, 0);
	is_int(pq(&P), 0, "query with OPT parses");
	ok(Q.edns, "EDNS seen");
	is_int(Q.edns_payload, 1232, "payload size");
	is_int(Q.edns_ttl, 0x8000, "DO flag");

	static const uint8_t cookie[] = { 0, 10, 0, 8, 1, 2, 3, 4, 5, 6, 7, 8, 0, 12, 0, 0 };
	q_simple(&P, ID, "example.test", CCSB_DNS_TYPE_A);
	p_set16(&P, 10, 1);
	p_opt(&P, 4096, 0, cookie, sizeof(cookie));
	is_int(pq(&P), 0, "OPT with a cookie and empty padding parses");
	is_int(Q.edns_payload, 4096, "payload 4096");

	/* An answer record in a query is odd but well-formed. */
	q_simple(&P, ID, "example.test", CCSB_DNS_TYPE_A);
	p_set16(&P, 6, 1);
	p_a(&P, "example.test", 1, "192.0.2.1");
	is_int(pq(&P), 0, "query carrying an answer record parses");

	/* Flags other than QR and opcode do not matter. */
	p_header(&P, ID, 0x07bf & ~0x7800u, 1, 0, 0, 0);
	p_question(&P, "example.test", 1, 1);
	is_int(pq(&P), 0, "AA, TC, RD, RA, Z, AD, CD and rcode bits tolerated");
}

static void test_query_bad(void)
{
	q_simple(&P, ID, "example.test", CCSB_DNS_TYPE_A);
	is_int(ccsb__dns_parse_query(P.b, 0, &Q), CCSB_DNS_DROP, "empty message dropped");
	is_int(ccsb__dns_parse_query(P.b, 1, &Q), CCSB_DNS_DROP, "1 byte dropped");
	is_int(ccsb__dns_parse_query(NULL, 12, &Q), CCSB_DNS_DROP, "NULL message dropped");
	is_int(ccsb__dns_parse_query(P.b, P.n, NULL), CCSB_DNS_DROP, "NULL query struct");
	int bad = 0;
	for (size_t n = 2; n < 12; n++)
		if (parse_query_exact(P.b, n, &Q) != -CCSB_DNS_FORMERR || Q.id != ID)
			bad++;
	is_int(bad, 0, "header cut at 2..11 bytes: FORMERR, id kept");
	bad = 0;
	for (size_t n = 12; n < P.n; n++)
		if (parse_query_exact(P.b, n, &Q) != -CCSB_DNS_FORMERR)
			bad++;
	is_int(bad, 0, "question cut anywhere: FORMERR");

	q_simple(&P, ID, "example.test", CCSB_DNS_TYPE_A);
	P.b[2] |= 0x80;
	is_int(pq(&P), CCSB_DNS_DROP, "QR=1: dropped");
	is_int(parse_query_exact(P.b, 3, &Q), CCSB_DNS_DROP, "QR=1 in a 3-byte message: dropped");

	static const unsigned ops[] = { 1, 2, 3, 4, 5, 15 };
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		p_header(&P, ID, ops[i] << 11 | RD, 1, 0, 0, 0);
		p_question(&P, "example.test", 1, 1);
		is_int(pq(&P), -CCSB_DNS_NOTIMP, "opcode %u: NOTIMP", ops[i]);
	}

	p_header(&P, ID, RD, 0, 0, 0, 0);
	is_int(pq(&P), -CCSB_DNS_FORMERR, "zero questions: FORMERR");
	p_header(&P, ID, RD, 2, 0, 0, 0);
	p_question(&P, "a.example.test", 1, 1);
	p_question(&P, "b.example.test", 1, 1);
	is_int(pq(&P), -CCSB_DNS_FORMERR, "two questions: FORMERR");
	p_header(&P, ID, RD, 0xffff, 0, 0, 0);
	p_question(&P, "a.example.test", 1, 1);
	is_int(pq(&P), -CCSB_DNS_FORMERR, "65535 questions: FORMERR");

	static const uint8_t lens[] = { 64, 0x7f, 0x80, 0xbf };
	for (size_t i = 0; i < sizeof(lens); i++) {
		p_header(&P, ID, RD, 1, 0, 0, 0);
		/* Exactly that many bytes follow: only the label type is wrong. */
		p_u8(&P, lens[i]);
		for (unsigned k = 0; k < lens[i]; k++)
			p_u8(&P, 'a');
		p_u8(&P, 0);
		p_u16(&P, 1);
		p_u16(&P, 1);
		is_int(pq(&P), -CCSB_DNS_FORMERR, "label length byte 0x%02x: FORMERR", lens[i]);
	}

	char l63[64], name[400];
	memset(l63, 'a', 63);
	l63[63] = '\0';
	snprintf(name, sizeof(name), "%s.%s.%s.%s", l63, l63, l63, l63);
	q_simple(&P, ID, name, 1);
	is_int(pq(&P), -CCSB_DNS_FORMERR, "257-byte name: FORMERR");
	snprintf(name, sizeof(name), "%s.%s.%s.%.62s", l63, l63, l63, l63);
	q_simple(&P, ID, name, 1);
	is_int(pq(&P), -CCSB_DNS_FORMERR, "256-byte name: FORMERR");
	/* 128 one-byte labels: 257 bytes too. */
	name[0] = '\0';
	for (int i = 0; i < 128; i++)
		strcat(name, i ? ".x" : "x");
	q_simple(&P, ID, name, 1);
	is_int(pq(&P), -CCSB_DNS_FORMERR, "128 labels: FORMERR");

	/* Compression pointers: a first question has nothing before it that
	 * a pointer may use, so each of these is malformed. */
	p_header(&P, ID, RD, 1, 0, 0, 0);
	p_ptr(&P, 12);
	p_u16(&P, 1);
	p_u16(&P, 1);
	is_int(pq(&P), -CCSB_DNS_FORMERR, "pointer to itself: FORMERR");

	p_header(&P, ID, RD, 1, 0, 0, 0);
	p_u8(&P, 1);
	p_u8(&P, 'a');
	p_ptr(&P, 12);
	p_u16(&P, 1);
	p_u16(&P, 1);
	is_int(pq(&P), -CCSB_DNS_FORMERR, "pointer back to the name's start (loop): FORMERR");

	p_header(&P, ID, RD, 1, 0, 0, 0);
	p_ptr(&P, 16);
	p_ptr(&P, 12);
	p_u16(&P, 1);
	p_u16(&P, 1);
	is_int(pq(&P), -CCSB_DNS_FORMERR, "two-pointer cycle: FORMERR");

	p_header(&P, ID, RD, 1, 0, 0, 0);
	p_ptr(&P, 18);
	p_u16(&P, 1);
	p_u16(&P, 1);
	p_name(&P, "example.test");
	is_int(pq(&P), -CCSB_DNS_FORMERR, "forward pointer: FORMERR");

	p_header(&P, ID, RD, 1, 0, 0, 0);
	p_ptr(&P, 0x3fff);
	p_u16(&P, 1);
	p_u16(&P, 1);
	is_int(pq(&P), -CCSB_DNS_FORMERR, "pointer past the end: FORMERR");

	p_header(&P, ID, RD, 1, 0, 0, 0);
	p_ptr(&P, 4);
	p_u16(&P, 1);
	p_u16(&P, 1);
	is_int(pq(&P), -CCSB_DNS_FORMERR, "pointer into the header: FORMERR");

	p_header(&P, ID, RD, 1, 0, 0, 0);
	p_u8(&P, 0xc0);
	is_int(pq(&P), -CCSB_DNS_FORMERR, "half a pointer: FORMERR");

	q_simple(&P, ID, "example.test", 1);
	p_u8(&P, 0);
	is_int(pq(&P), -CCSB_DNS_FORMERR, "a byte after the question: FORMERR");

	q_simple(&P, ID, "example.test", 1);
	p_set16(&P, 10, 1);
	is_int(pq(&P), -CCSB_DNS_FORMERR, "ARCOUNT 1 with nothing there: FORMERR");

	q_simple(&P, ID, "example.test", 1);
	p_set16(&P, 10, 2);
	p_opt(&P, 1232, 0, NULL, 0);
	p_opt(&P, 1232, 0, NULL, 0);
	is_int(pq(&P), -CCSB_DNS_FORMERR, "two OPT records: FORMERR");

	q_simple(&P, ID, "example.test", 1);
	p_set16(&P, 6, 1);
	p_opt(&P, 1232, 0, NULL, 0);
	is_int(pq(&P), -CCSB_DNS_FORMERR, "OPT in the answer section: FORMERR");

	q_simple(&P, ID, "example.test", 1);
	p_set16(&P, 10, 1);
	p_name(&P, "example.test");
	p_rrfix(&P, CCSB_DNS_TYPE_OPT, 1232, 0, 0);
	is_int(pq(&P), -CCSB_DNS_FORMERR, "OPT not owned by the root: FORMERR");

	static const uint8_t badopt[] = { 0, 10, 0, 9, 1, 2, 3, 4, 5, 6, 7, 8 };
	q_simple(&P, ID, "example.test", 1);
	p_set16(&P, 10, 1);
	p_opt(&P, 1232, 0, badopt, sizeof(badopt));
	is_int(pq(&P), -CCSB_DNS_FORMERR, "EDNS option longer than the record: FORMERR");
	static const uint8_t shortopt[] = { 0, 10, 0 };
	q_simple(&P, ID, "example.test", 1);
	p_set16(&P, 10, 1);
	p_opt(&P, 1232, 0, shortopt, sizeof(shortopt));
	is_int(pq(&P), -CCSB_DNS_FORMERR, "EDNS option header cut short: FORMERR");

	q_simple(&P, ID, "example.test", 1);
	p_set16(&P, 10, 1);
	p_opt(&P, 1232, 0, NULL, 0);
	P.b[P.n - 1] = 4;
	is_int(pq(&P), -CCSB_DNS_FORMERR, "OPT rdlength past the end: FORMERR");
	is_str(Q.qname, "example.test", "the name is known even when the rest is malformed");

	q_simple(&P, ID, "example.test", 1);
	p_set16(&P, 6, 1);
	p_rr(&P, "example.test", CCSB_DNS_TYPE_A, 1, "\1\2\3\4\5", 5);
	is_int(pq(&P), -CCSB_DNS_FORMERR, "A record of 5 bytes in a query: FORMERR");

	/* Larger than any DNS message. */
	static uint8_t big[70000];
	memcpy(big, P.b, 12);
	is_int(ccsb__dns_parse_query(big, sizeof(big), &Q), -CCSB_DNS_FORMERR,
	       "more than 65535 bytes: FORMERR");
}

/* ---- local replies ------------------------------------------------------ */

static void test_build_error(void)
{
	uint8_t out[600];
	q_simple(&P, ID, "Example.TEST", CCSB_DNS_TYPE_AAAA);
	size_t n = ccsb__dns_build_error(P.b, P.n, CCSB_DNS_REFUSED, out, sizeof(out));
	is_int(n, P.n, "REFUSED reply is header + question");
	is_int(out[0] << 8 | out[1], ID, "same id");
	is_int(out[2] << 8 | out[3], QR | RD | 0x80 | CCSB_DNS_REFUSED, "QR, RD, RA, REFUSED");
	ok(memcmp(out + 4, "\0\1\0\0\0\0\0\0", 8) == 0, "one question, no records");
	ok(memcmp(out + 12, P.b + 12, P.n - 12) == 0, "question echoed as spelled");

	query_for("example.test", CCSB_DNS_TYPE_AAAA);
	struct ccsb_dns_addrs a = { 0 };
	n = ccsb__dns_build_error(P.b, P.n, CCSB_DNS_NOERROR, out, sizeof(out));
	is_int(ccsb__dns_parse_answer(out, n, &QQ, &a), 0, "an empty NOERROR reads as an answer");
	ok(a.n == 0 && a.rcode == 0, "with no address");
	n = ccsb__dns_build_error(P.b, P.n, CCSB_DNS_SERVFAIL, out, sizeof(out));
	is_int(ccsb__dns_parse_answer(out, n, &QQ, &a), 0, "SERVFAIL reply reads as an answer");
	is_int(a.rcode, CCSB_DNS_SERVFAIL, "rcode SERVFAIL");
	ccsb__dns_addrs_free(&a);

	p_header(&P, ID, 2u << 11, 1, 0, 0, 0);
	p_question(&P, "example.test", 1, 1);
	n = ccsb__dns_build_error(P.b, P.n, CCSB_DNS_NOTIMP, out, sizeof(out));
	is_int(n, P.n, "NOTIMP reply echoes the question");
	is_int(out[2] << 8 | out[3], QR | 2u << 11 | 0x80 | CCSB_DNS_NOTIMP,
	       "opcode copied, RD clear as asked");

	p_header(&P, ID, RD, 2, 0, 0, 0);
	p_question(&P, "a.example.test", 1, 1);
	p_question(&P, "b.example.test", 1, 1);
	n = ccsb__dns_build_error(P.b, P.n, CCSB_DNS_FORMERR, out, sizeof(out));
	is_int(n, 12, "two questions: header only");
	is_int(out[5], 0, "QDCOUNT 0");
	is_int(out[3] & 0xf, CCSB_DNS_FORMERR, "FORMERR");

	p_header(&P, ID, RD, 1, 0, 0, 0);
	p_ptr(&P, 12);
	p_u16(&P, 1);
	p_u16(&P, 1);
	n = ccsb__dns_build_error(P.b, P.n, CCSB_DNS_FORMERR, out, sizeof(out));
	is_int(n, 12, "looping question: not echoed");

	q_simple(&P, ID, "example.test", 1);
	n = ccsb__dns_build_error(P.b, P.n - 1, CCSB_DNS_FORMERR, out, sizeof(out));
	is_int(n, 12, "question cut short: not echoed");

	static const uint8_t five[] = { 0xab, 0xcd, 0x01, 0x00, 0x00 };
	n = ccsb__dns_build_error(five, sizeof(five), CCSB_DNS_FORMERR, out, sizeof(out));
	is_int(n, 12, "5-byte query: header only");
	ok(out[0] == 0xab && out[1] == 0xcd && (out[2] & 1), "id and RD from what there is");
	static const uint8_t two[] = { 0x12, 0x34 };
	n = ccsb__dns_build_error(two, 2, CCSB_DNS_FORMERR, out, sizeof(out));
	ok(n == 12 && out[0] == 0x12 && out[1] == 0x34 && out[2] == 0x80, "2-byte query");

	q_simple(&P, ID, "example.test", 1);
	is_int(ccsb__dns_build_error(P.b, 1, 1, out, sizeof(out)), 0, "no id: nothing");
	is_int(ccsb__dns_build_error(P.b, P.n, 16, out, sizeof(out)), 0, "rcode 16: nothing");
	is_int(ccsb__dns_build_error(P.b, P.n, -1, out, sizeof(out)), 0, "rcode -1: nothing");
	is_int(ccsb__dns_build_error(P.b, P.n, 5, out, P.n - 1), 0, "short buffer: nothing");
	is_int(ccsb__dns_build_error(P.b, P.n, 5, out, 11), 0, "11-byte buffer: nothing");
	is_int(ccsb__dns_build_error(NULL, 12, 5, out, sizeof(out)), 0, "NULL query");
	is_int(ccsb__dns_build_error(P.b, P.n, 5, NULL, 512), 0, "NULL out");

	char l63[64], name[300];
	memset(l63, 'a', 63);
	l63[63] = '\0';
	snprintf(name, sizeof(name), "%s.%s.%s.%.61s", l63, l63, l63, l63);
	q_simple(&P, ID, name, 1);
	uint8_t exact[CCSB_DNS_ERROR_MAX];
	is_int(ccsb__dns_build_error(P.b, P.n, 5, exact, sizeof(exact)), CCSB_DNS_ERROR_MAX,
	       "CCSB_DNS_ERROR_MAX holds the longest reply");

	q_simple(&P, ID, "example.test", 1);
	size_t qn = P.n;
	n = ccsb__dns_build_error(P.b, P.n, CCSB_DNS_REFUSED, P.b, sizeof(P.b));
	ok(n == qn && (P.b[2] & 0x80) && (P.b[3] & 0xf) == 5 && P.b[12] == 7,
	   "in place (out == query)");
}

static void test_verdict_and_forwarding(void)
{
	struct ccsb_allowlist al = { 0 };
	if (ccsb__allowlist_add_name(&al, "*.example.test") < 0 ||
	    ccsb__allowlist_add_name(&al, "api.example.org") < 0)
		bail_out("setup");
	ccsb__allowlist_merge(&al);

	query_for("A.Example.Test", CCSB_DNS_TYPE_A);
	is_int(ccsb__dns_query_verdict(&QQ, &al), 0, "allowed name: forward");
	query_for("api.example.org", CCSB_DNS_TYPE_AAAA);
	is_int(ccsb__dns_query_verdict(&QQ, &al), 0, "allowed exact name: forward");
	query_for("example.test", CCSB_DNS_TYPE_A);
	is_int(ccsb__dns_query_verdict(&QQ, &al), CCSB_DNS_REFUSED, "wildcard base: REFUSED");
	query_for("secretdata0123456789.attacker.test", CCSB_DNS_TYPE_A);
	is_int(ccsb__dns_query_verdict(&QQ, &al), CCSB_DNS_REFUSED, "other name: REFUSED");
	query_for(".", CCSB_DNS_TYPE_A);
	is_int(ccsb__dns_query_verdict(&QQ, &al), CCSB_DNS_REFUSED, "root: REFUSED");
	is_int(ccsb__dns_query_verdict(&QQ, NULL), CCSB_DNS_REFUSED, "no allowlist: REFUSED");
	is_int(ccsb__dns_query_verdict(NULL, &al), CCSB_DNS_REFUSED, "no query: REFUSED");

	static const unsigned meta[] = { 0, 41, 251, 252, 253, 254 };
	for (size_t i = 0; i < sizeof(meta) / sizeof(meta[0]); i++) {
		query_for("a.example.test", meta[i]);
		is_int(ccsb__dns_query_verdict(&QQ, &al), CCSB_DNS_REFUSED, "qtype %u: REFUSED",
		       meta[i]);
	}
	static const unsigned fine[] = { 1, 5, 15, 16, 28, 33, 64, 65, 255 };
	int bad = 0;
	for (size_t i = 0; i < sizeof(fine) / sizeof(fine[0]); i++) {
		query_for("a.example.test", fine[i]);
		bad += ccsb__dns_query_verdict(&QQ, &al) != 0;
	}
	is_int(bad, 0, "A, CNAME, MX, TXT, AAAA, SRV, SVCB, HTTPS, ANY: forward");

	p_header(&P, ID, RD, 1, 0, 0, 0);
	p_question(&P, "a.example.test", 1, 3);
	ccsb__dns_parse_query(P.b, P.n, &QQ);
	is_int(ccsb__dns_query_verdict(&QQ, &al), CCSB_DNS_REFUSED, "class CH: REFUSED");

	p_header(&P, ID, RD, 1, 0, 0, 0);
	p_u8(&P, 3);
	p_bytes(&P, "a.b", 3);
	p_name(&P, "example.test");
	p_u16(&P, 1);
	p_u16(&P, 1);
	ccsb__dns_parse_query(P.b, P.n, &QQ);
	is_int(ccsb__dns_query_verdict(&QQ, &al), CCSB_DNS_REFUSED,
	       "a label holding a dot is not a name below the pattern: REFUSED");

	/* Rebuilt upstream query: only what was parsed goes out. */
	static const uint8_t cookie[] = { 0, 10, 0, 8, 1, 2, 3, 4, 5, 6, 7, 8 };
	p_header(&P, 0x1111, RD | 0x10, 1, 1, 0, 1);
	p_question(&P, "Mixed.Example.TEST", CCSB_DNS_TYPE_AAAA, 1);
	p_a(&P, "leak.example.test", 1, "192.0.2.1");
	p_opt(&P, 4096, 0x00008000 | 0x01000000, cookie, sizeof(cookie));
	struct ccsb_dns_query q;
	is_int(ccsb__dns_parse_query(P.b, P.n, &q), 0, "query with extras parses");
	uint8_t out[600];
	size_t n = ccsb__dns_build_query(&q, 0xbeef, out, sizeof(out));
	is_int(n, 12 + q.qwire_len + 4 + 11, "rebuilt: header, question, bare OPT");
	struct ccsb_dns_query r;
	is_int(ccsb__dns_parse_query(out, n, &r), 0, "rebuilt query parses");
	is_int(r.id, 0xbeef, "new id");
	is_int(r.flags, RD, "RD only");
	ok(r.qwire_len == q.qwire_len && memcmp(r.qwire, "\5mixed\7example\4test", 20) == 0,
	   "name in lowercase");
	is_int(r.qtype, CCSB_DNS_TYPE_AAAA, "qtype kept");
	ok(r.edns && r.edns_payload == CCSB_DNS_EDNS_PAYLOAD, "payload clamped to 1232");
	is_int(r.edns_ttl, 0x8000, "DO kept, version and extended bits cleared");
	ok(memcmp(out + 6, "\0\0\0\0\0\1", 6) == 0, "no answer records, one OPT");

	q.edns_payload = 100;
	n = ccsb__dns_build_query(&q, 1, out, sizeof(out));
	ccsb__dns_parse_query(out, n, &r);
	is_int(r.edns_payload, 512, "payload raised to 512");
	q.edns = false;
	n = ccsb__dns_build_query(&q, 1, out, sizeof(out));
	is_int(n, 12 + q.qwire_len + 4, "no EDNS: no OPT");
	is_int(ccsb__dns_build_query(&q, 1, out, n - 1), 0, "short buffer: nothing");
	struct ccsb_dns_query empty = { 0 };
	is_int(ccsb__dns_build_query(&empty, 1, out, sizeof(out)), 0, "unparsed query: nothing");

	q.edns = false;
	is_int(ccsb__dns_udp_limit(&q), 512, "UDP limit without EDNS");
	q.edns = true;
	q.edns_payload = 4096;
	is_int(ccsb__dns_udp_limit(&q), 4096, "UDP limit from OPT");
	q.edns_payload = 0;
	is_int(ccsb__dns_udp_limit(&q), 512, "UDP limit never below 512");
	is_int(ccsb__dns_udp_limit(NULL), 512, "UDP limit of NULL");
	ccsb__allowlist_free(&al);
}

/* ---- answers ------------------------------------------------------------ */

static struct ccsb_dns_addrs A;

static int parse_answer_exact(const uint8_t *b, size_t n, const struct ccsb_dns_query *q,
			      struct ccsb_dns_addrs *a)
{
	uint8_t *d = dup_exact(b, n);
	int r = ccsb__dns_parse_answer(d, n, q, a);
	free(d);
	return r;
}

static int pa(const struct pkt *p)
{
	return parse_answer_exact(p->b, p->n, &QQ, &A);
}

static bool addr_is(size_t i, const char *want, uint32_t ttl, bool chain)
{
	if (i >= A.n)
		return false;
	const struct ccsb_dns_addr *d = &A.v[i];
	const char *got = ntop(d->family, d->addr);
	if (strcmp(got, want) != 0 || d->ttl != ttl || d->chain != chain) {
		diag("address %zu: %s ttl %u chain %d", i, got, d->ttl, d->chain);
		return false;
	}
	return true;
}

static void test_answer_good(void)
{
	query_for("example.test", CCSB_DNS_TYPE_A);
	r_start(&R, ID, "example.test", CCSB_DNS_TYPE_A);
	p_set16(&R, 6, 1);
	p_a(&R, "example.test", 300, "192.0.2.1");
	is_int(pa(&R), 0, "A answer");
	is_int(A.n, 1, "one address");
	ok(addr_is(0, "192.0.2.1", 300, true), "192.0.2.1, TTL 300, in the chain");
	ok(A.v[0].family == AF_INET, "AF_INET");
	ok(A.rcode == 0 && !A.truncated && A.chain_len == 1 && !A.chain_cut, "rcode, flags, chain");
	is_int(A.answer_end, R.n, "answer section ends the message");

	query_for("v6.example.test", CCSB_DNS_TYPE_AAAA);
	r_start(&R, ID, "v6.example.test", CCSB_DNS_TYPE_AAAA);
	p_set16(&R, 6, 2);
	p_aaaa(&R, "v6.example.test", 60, "2001:db8::1");
	p_aaaa(&R, "V6.EXAMPLE.TEST", 61, "2001:db8::2");
	is_int(pa(&R), 0, "AAAA answer");
	ok(A.n == 2 && addr_is(0, "2001:db8::1", 60, true) && addr_is(1, "2001:db8::2", 61, true),
	   "two AAAA, owner case ignored");
	ok(A.v[0].family == AF_INET6, "AF_INET6");

	/* The sandbox asked in mixed case, upstream answered in lowercase and
	 * compressed the owners to the question. */
	query_for("WWW.Example.Test", CCSB_DNS_TYPE_A);
	r_start(&R, ID, "www.example.test", CCSB_DNS_TYPE_A);
	p_set16(&R, 6, 2);
	p_ptr(&R, 12);
	p_rrfix(&R, CCSB_DNS_TYPE_A, 1, 10, 4);
	p_bytes(&R, "\xc6\x33\x64\x07", 4);
	p_u8(&R, 3);
	p_bytes(&R, "www", 3);
	p_ptr(&R, 16); /* "example.test" inside the question */
	p_rrfix(&R, CCSB_DNS_TYPE_A, 1, 11, 4);
	p_bytes(&R, "\xc6\x33\x64\x08", 4);
	is_int(pa(&R), 0, "compressed answer, question case differs");
	ok(A.n == 2 && addr_is(0, "198.51.100.7", 10, true) && addr_is(1, "198.51.100.8", 11, true),
	   "both owners recognised through pointers");

	/* qname -> a -> b, addresses on b. */
	query_for("www.example.test", CCSB_DNS_TYPE_A);
	r_start(&R, ID, "www.example.test", CCSB_DNS_TYPE_A);
	p_set16(&R, 6, 4);
	p_cname(&R, "www.example.test", 30, "a.cdn.test");
	p_cname(&R, "a.cdn.test", 30, "b.cdn.test");
	p_a(&R, "b.cdn.test", 20, "203.0.113.5");
	p_a(&R, "b.cdn.test", 20, "203.0.113.6");
	is_int(pa(&R), 0, "CNAME chain");
	is_int(A.chain_len, 3, "qname, a, b");
	ok(A.n == 2 && addr_is(0, "203.0.113.5", 20, true) && addr_is(1, "203.0.113.6", 20, true),
	   "addresses at the end of the chain");

	/* The same, records in reverse order. */
	r_start(&R, ID, "www.example.test", CCSB_DNS_TYPE_A);
	p_set16(&R, 6, 3);
	p_a(&R, "B.cdn.test", 20, "203.0.113.5");
	p_cname(&R, "a.cdn.test", 30, "b.CDN.test");
	p_cname(&R, "www.example.test", 30, "A.cdn.test");
	is_int(pa(&R), 0, "CNAME chain in reverse order");
	ok(A.chain_len == 3 && A.n == 1 && addr_is(0, "203.0.113.5", 20, true),
	   "order does not matter");

	/* Records of unrelated owners are seen but not in the chain. */
	r_start(&R, ID, "www.example.test", CCSB_DNS_TYPE_A);
	p_set16(&R, 6, 5);
	p_a(&R, "evil.test", 1, "192.0.2.66");
	p_cname(&R, "www.example.test", 30, "a.cdn.test");
	p_cname(&R, "other.test", 30, "www.example.test");
	p_a(&R, "a.cdn.test", 20, "203.0.113.5");
	p_aaaa(&R, "example.test", 1, "2001:db8::66");
	is_int(pa(&R), 0, "answer with unrelated records");
	is_int(A.chain_len, 2, "chain: qname, a.cdn.test");
	ok(A.n == 3 && addr_is(0, "192.0.2.66", 1, false) && addr_is(1, "203.0.113.5", 20, true) &&
		   addr_is(2, "2001:db8::66", 1, false),
	   "unrelated owners flagged out of the chain");

	/* Other types are skipped; other classes too. */
	r_start(&R, ID, "www.example.test", CCSB_DNS_TYPE_A);
	p_set16(&R, 6, 4);
	p_rr(&R, "www.example.test", 16, 5, "\3abc", 4);
	p_rr(&R, "www.example.test", 99, 5, "", 0);
	p_name(&R, "www.example.test");
	p_rrfix(&R, CCSB_DNS_TYPE_A, 3, 5, 5);
	p_bytes(&R, "\1\2\3\4\5", 5);
	p_a(&R, "www.example.test", 5, "192.0.2.9");
	is_int(pa(&R), 0, "TXT, type 99, a class CH record of 5 bytes");
	ok(A.n == 1 && addr_is(0, "192.0.2.9", 5, true), "only the IN A is read");

	/* CNAME loop and overlong chain. */
	r_start(&R, ID, "www.example.test", CCSB_DNS_TYPE_A);
	p_set16(&R, 6, 2);
	p_cname(&R, "www.example.test", 30, "a.cdn.test");
	p_cname(&R, "a.cdn.test", 30, "WWW.example.test");
	is_int(pa(&R), 0, "CNAME loop is an answer");
	ok(A.chain_cut && A.chain_len == 2 && A.n == 0, "loop cut after two names");

	r_start(&R, ID, "www.example.test", CCSB_DNS_TYPE_A);
	p_set16(&R, 6, 21);
	char from[64] = "www.example.test", to[64];
	for (int i = 0; i < 20; i++) {
		snprintf(to, sizeof(to), "c%d.cdn.test", i);
		p_cname(&R, from, 30, to);
		strcpy(from, to);
	}
	p_a(&R, from, 1, "192.0.2.1");
	is_int(pa(&R), 0, "20 CNAMEs");
	ok(A.chain_cut && A.chain_len == CCSB_DNS_CHAIN_MAX, "chain cut at %d names",
	   CCSB_DNS_CHAIN_MAX);
	ok(A.n == 1 && !A.v[0].chain, "an address past the cut is not in the chain");

	r_start(&R, ID, "www.example.test", CCSB_DNS_TYPE_A);
	p_set16(&R, 6, 3);
	p_cname(&R, "www.example.test", 30, "a.cdn.test");
	p_cname(&R, "www.example.test", 31, "A.CDN.TEST");
	p_a(&R, "a.cdn.test", 1, "192.0.2.1");
	is_int(pa(&R), 0, "the same CNAME twice");
	ok(A.n == 1 && A.v[0].chain, "followed once");

	/* TTLs */
	r_start(&R, ID, "www.example.test", CCSB_DNS_TYPE_A);
	p_set16(&R, 6, 4);
	p_a(&R, "www.example.test", 0, "192.0.2.1");
	p_a(&R, "www.example.test", 0x7fffffff, "192.0.2.2");
	p_a(&R, "www.example.test", 0x80000000u, "192.0.2.3");
	p_a(&R, "www.example.test", 0xffffffffu, "192.0.2.4");
	is_int(pa(&R), 0, "TTL extremes");
	ok(A.v[0].ttl == 0 && A.v[1].ttl == 0x7fffffff && A.v[2].ttl == 0 && A.v[3].ttl == 0,
	   "TTL 0, 2^31-1 kept; top bit set reads as 0");

	/* NXDOMAIN with an SOA, and EDNS */
	r_start(&R, ID, "www.example.test", CCSB_DNS_TYPE_A);
	R.b[3] |= CCSB_DNS_NXDOMAIN;
	p_set16(&R, 8, 1);
	p_set16(&R, 10, 1);
	p_rr(&R, "example.test", 6, 60, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 22);
	p_opt(&R, 1232, 0x01008000u, NULL, 0);
	is_int(pa(&R), 0, "NXDOMAIN with SOA and OPT");
	ok(A.rcode == CCSB_DNS_NXDOMAIN && A.n == 0, "rcode NXDOMAIN, no address");
	ok(A.opt && A.opt_payload == 1232 && A.opt_ttl == 0x01008000u, "OPT seen");
	is_int(A.answer_end, 12 + 18 + 4, "empty answer section");

	/* TC */
	r_start(&R, ID, "www.example.test", CCSB_DNS_TYPE_A);
	R.b[2] |= TC >> 8;
	p_set16(&R, 6, 9); /* counts that nothing backs: not read */
	is_int(pa(&R), 0, "truncated answer");
	ok(A.truncated && A.n == 0, "TC reported, nothing read");

	/* 1000 answers */
	r_start(&R, ID, "www.example.test", CCSB_DNS_TYPE_A);
	p_set16(&R, 6, 1000);
	for (unsigned i = 0; i < 1000; i++) {
		p_ptr(&R, 12);
		p_rrfix(&R, CCSB_DNS_TYPE_A, 1, i, 4);
		p_u32(&R, 0x0b000000u + i);
	}
	is_int(pa(&R), 0, "1000 answers");
	is_int(A.n, 1000, "1000 addresses");
	ok(addr_is(999, "11.0.3.231", 999, true), "the last one right");
	size_t cap = A.cap;
	struct ccsb_dns_addr *v = A.v;

	r_start(&R, ID, "www.example.test", CCSB_DNS_TYPE_A);
	p_set16(&R, 6, 1);
	p_a(&R, "www.example.test", 1, "192.0.2.1");
	is_int(pa(&R), 0, "reuse of the result");
	ok(A.n == 1 && A.cap == cap && A.v == v, "array kept, count reset");
}

static void test_answer_bad(void)
{
	query_for("www.example.test", CCSB_DNS_TYPE_A);
	r_start(&R, ID, "www.example.test", CCSB_DNS_TYPE_A);
	p_set16(&R, 6, 1);
	p_a(&R, "www.example.test", 300, "192.0.2.1");
	struct pkt *good = &R;

	int bad = 0;
	for (size_t n = 0; n < good->n; n++)
		if (parse_answer_exact(good->b, n, &QQ, &A) != -EBADMSG)
			bad++;
	is_int(bad, 0, "answer cut anywhere: EBADMSG");
	is_int(ccsb__dns_parse_answer(NULL, 100, &QQ, &A), -EBADMSG, "NULL message");
	is_int(ccsb__dns_parse_answer(good->b, good->n, NULL, &A), -EINVAL, "NULL query");
	is_int(ccsb__dns_parse_answer(good->b, good->n, &QQ, NULL), -EINVAL, "NULL result");

	good->b[1] ^= 1;
	is_int(pa(good), -ENOMSG, "wrong id: not ours");
	good->b[1] ^= 1;
	good->b[2] &= 0x7f;
	is_int(pa(good), -ENOMSG, "QR=0: not an answer");
	good->b[2] |= 0x80;
	good->b[2] |= 2u << 3;
	is_int(pa(good), -ENOMSG, "opcode STATUS: not ours");
	good->b[2] &= (uint8_t) ~(2u << 3);
	is_int(pa(good), 0, "restored");

	r_start(&R, ID, "www.example.tesu", CCSB_DNS_TYPE_A);
	is_int(pa(&R), -ENOMSG, "another name: not ours");
	r_start(&R, ID, "www.example.test.", CCSB_DNS_TYPE_AAAA);
	is_int(pa(&R), -ENOMSG, "another type: not ours");
	p_header(&R, ID, QR, 1, 0, 0, 0);
	p_question(&R, "www.example.test", 1, 3);
	is_int(pa(&R), -ENOMSG, "another class: not ours");
	p_header(&R, ID, QR | CCSB_DNS_FORMERR, 0, 0, 0, 0);
	is_int(pa(&R), -ENOMSG, "no question: not ours");
	p_header(&R, ID, QR, 2, 0, 0, 0);
	p_question(&R, "www.example.test", 1, 1);
	p_question(&R, "www.example.test", 1, 1);
	is_int(pa(&R), -ENOMSG, "two questions: not ours");
	r_start(&R, ID, "www.example", CCSB_DNS_TYPE_A);
	is_int(pa(&R), -ENOMSG, "a shorter name: not ours");

	r_start(&R, ID, "www.example.test", CCSB_DNS_TYPE_A);
	p_set16(&R, 6, 1);
	p_rr(&R, "www.example.test", CCSB_DNS_TYPE_A, 1, "\1\2\3\4\5", 5);
	is_int(pa(&R), -EBADMSG, "A with rdlength 5");
	r_start(&R, ID, "www.example.test", CCSB_DNS_TYPE_A);
	p_set16(&R, 6, 1);
	p_rr(&R, "www.example.test", CCSB_DNS_TYPE_A, 1, "\1\2\3", 3);
	is_int(pa(&R), -EBADMSG, "A with rdlength 3");
	r_start(&R, ID, "www.example.test", CCSB_DNS_TYPE_A);
	p_set16(&R, 6, 1);
	p_rr(&R, "www.example.test", CCSB_DNS_TYPE_AAAA, 1, "0123456789abcde", 15);
	is_int(pa(&R), -EBADMSG, "AAAA with rdlength 15");
	r_start(&R, ID, "www.example.test", CCSB_DNS_TYPE_A);
	p_set16(&R, 10, 1);
	p_rr(&R, "ns.example.test", CCSB_DNS_TYPE_AAAA, 1, "0123456789abcdefg", 17);
	is_int(pa(&R), -EBADMSG, "AAAA with rdlength 17 in the additional section");

	r_start(&R, ID, "www.example.test", CCSB_DNS_TYPE_A);
	p_set16(&R, 6, 1);
	p_a(&R, "www.example.test", 1, "192.0.2.1");
	R.b[R.n - 5] = 200;
	is_int(pa(&R), -EBADMSG, "rdlength past the end");
	static const unsigned types[] = { CCSB_DNS_TYPE_CNAME, 16, CCSB_DNS_TYPE_A };
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		r_start(&R, ID, "www.example.test", CCSB_DNS_TYPE_A);
		p_set16(&R, 6, 1);
		p_name(&R, "www.example.test");
		p_rrfix(&R, types[i], 1, 1, 40);
		p_name(&R, "a.cdn.test");
		is_int(pa(&R), -EBADMSG, "type %u with rdlength past the end", types[i]);
	}
	r_start(&R, ID, "www.example.test", CCSB_DNS_TYPE_A);
	p_set16(&R, 6, 1);
	p_a(&R, "www.example.test", 1, "192.0.2.1");
	p_u8(&R, 0);
	is_int(pa(&R), -EBADMSG, "a byte after the last record");
	r_start(&R, ID, "www.example.test", CCSB_DNS_TYPE_A);
	p_set16(&R, 6, 2);
	p_a(&R, "www.example.test", 1, "192.0.2.1");
	is_int(pa(&R), -EBADMSG, "ANCOUNT past the records");

	r_start(&R, ID, "www.example.test", CCSB_DNS_TYPE_A);
	p_set16(&R, 6, 1);
	p_name(&R, "www.example.test");
	p_rrfix(&R, CCSB_DNS_TYPE_CNAME, 1, 1, 6);
	p_name(&R, "a.b");
	p_u8(&R, 0);
	is_int(pa(&R), -EBADMSG, "CNAME data longer than its name");
	r_start(&R, ID, "www.example.test", CCSB_DNS_TYPE_A);
	p_set16(&R, 6, 1);
	p_name(&R, "www.example.test");
	p_rrfix(&R, CCSB_DNS_TYPE_CNAME, 1, 1, 3);
	p_bytes(&R, "\1a\1", 3);
	p_u8(&R, 'b');
	p_u8(&R, 0);
	is_int(pa(&R), -EBADMSG, "CNAME name running past its data");

	r_start(&R, ID, "www.example.test", CCSB_DNS_TYPE_A);
	p_set16(&R, 6, 2);
	p_cname(&R, "www.example.test", 30, "a.cdn.test");
	p_cname(&R, "www.example.test", 30, "b.cdn.test");
	is_int(pa(&R), -EBADMSG, "two different CNAMEs for the query name");

	/* Names in records */
	size_t q_end = 12 + 18 + 4;
	r_start(&R, ID, "www.example.test", CCSB_DNS_TYPE_A);
	p_set16(&R, 6, 1);
	p_ptr(&R, (unsigned)q_end);
	p_rrfix(&R, 1, 1, 1, 4);
	p_u32(&R, 1);
	is_int(pa(&R), -EBADMSG, "owner pointing to itself");

	r_start(&R, ID, "www.example.test", CCSB_DNS_TYPE_A);
	p_set16(&R, 6, 2);
	p_ptr(&R, (unsigned)q_end + 16); /* the second owner, which points back here */
	p_rrfix(&R, 1, 1, 1, 4);
	p_u32(&R, 1);
	p_ptr(&R, (unsigned)q_end);
	p_rrfix(&R, 1, 1, 1, 4);
	p_u32(&R, 2);
	is_int(pa(&R), -EBADMSG, "two owners pointing at each other");

	r_start(&R, ID, "www.example.test", CCSB_DNS_TYPE_A);
	p_set16(&R, 6, 2);
	p_u8(&R, 1);
	p_u8(&R, 'x');
	p_ptr(&R, (unsigned)q_end + 4 + 10 + 4); /* forward: the next owner */
	p_rrfix(&R, 1, 1, 1, 4);
	p_u32(&R, 1);
	p_name(&R, "www.example.test");
	p_rrfix(&R, 1, 1, 1, 4);
	p_u32(&R, 2);
	is_int(pa(&R), -EBADMSG, "forward pointer in an owner");

	r_start(&R, ID, "www.example.test", CCSB_DNS_TYPE_A);
	p_set16(&R, 6, 1);
	p_u8(&R, 1);
	p_u8(&R, 'x');
	p_ptr(&R, (unsigned)q_end); /* its own start, via a label */
	p_rrfix(&R, 1, 1, 1, 4);
	p_u32(&R, 1);
	is_int(pa(&R), -EBADMSG, "pointer back to its own first label");

	/* Backwards, but the labels there run on over the pointer: a TXT
	 * record's last data byte is a label length of 2, which takes in the
	 * next owner's own pointer, then the 0 that starts its type. Fine for
	 * loops, yet the name would depend on bytes after its start. */
	r_start(&R, ID, "www.example.test", CCSB_DNS_TYPE_A);
	p_set16(&R, 6, 2);
	p_name(&R, "t.test");
	p_rrfix(&R, 16, 1, 1, 1);
	p_u8(&R, 2);
	p_ptr(&R, (unsigned)R.n - 1);
	p_rrfix(&R, 1, 1, 1, 4);
	p_u32(&R, 1);
	is_int(pa(&R), -EBADMSG, "pointer to labels running over the pointer itself");
	r_start(&R, ID, "www.example.test", CCSB_DNS_TYPE_A);
	p_set16(&R, 6, 2);
	p_name(&R, "t.test");
	p_rrfix(&R, 16, 1, 1, 1);
	p_u8(&R, 2);
	p_ptr(&R, 12);
	p_rrfix(&R, 1, 1, 1, 4);
	p_u32(&R, 1);
	is_int(pa(&R), 0, "control: the same records with an ordinary pointer");

	r_start(&R, ID, "www.example.test", CCSB_DNS_TYPE_A);
	p_set16(&R, 6, 1);
	p_ptr(&R, 0x3fff);
	p_rrfix(&R, 1, 1, 1, 4);
	p_u32(&R, 1);
	is_int(pa(&R), -EBADMSG, "pointer out of bounds");

	r_start(&R, ID, "www.example.test", CCSB_DNS_TYPE_A);
	p_set16(&R, 6, 1);
	p_ptr(&R, 2);
	p_rrfix(&R, 1, 1, 1, 4);
	p_u32(&R, 1);
	is_int(pa(&R), -EBADMSG, "pointer into the header");

	static const uint8_t kinds[] = { 0x40, 0x41, 0x80, 0xbf };
	for (size_t i = 0; i < sizeof(kinds); i++) {
		r_start(&R, ID, "www.example.test", CCSB_DNS_TYPE_A);
		p_set16(&R, 6, 1);
		p_u8(&R, kinds[i]);
		for (unsigned k = 0; k < kinds[i]; k++)
			p_u8(&R, 'a');
		p_u8(&R, 0);
		p_rrfix(&R, 1, 1, 1, 4);
		p_u32(&R, 1);
		is_int(pa(&R), -EBADMSG, "label type byte 0x%02x in an owner", kinds[i]);
	}

	/* Over 255 bytes only once the pointer is followed. */
	char l63[64], qn[300];
	memset(l63, 'a', 63);
	l63[63] = '\0';
	snprintf(qn, sizeof(qn), "%s.%s.%s", l63, l63, l63);
	query_for(qn, CCSB_DNS_TYPE_A);
	r_start(&R, ID, qn, CCSB_DNS_TYPE_A);
	p_set16(&R, 6, 1);
	p_u8(&R, 63);
	p_bytes(&R, l63, 63);
	p_ptr(&R, 12);
	p_rrfix(&R, 1, 1, 1, 4);
	p_u32(&R, 1);
	is_int(pa(&R), -EBADMSG, "name over 255 bytes through a pointer");

	/* Long pointer chains, each hop backwards: N pointers in a TXT record,
	 * each to the one before, the first to the question; an A record
	 * owned by the last. Fine up to the hop limit, malformed past it. */
	query_for("x.test", CCSB_DNS_TYPE_A);
	static const unsigned hops[] = { 100, 126, 127, 200 };
	for (size_t h = 0; h < sizeof(hops) / sizeof(hops[0]); h++) {
		unsigned nptr = hops[h];
		r_start(&R, ID, "x.test", CCSB_DNS_TYPE_A);
		p_set16(&R, 6, 2);
		p_name(&R, "t.test");
		p_rrfix(&R, 16, 1, 1, 2 * nptr);
		size_t d = R.n;
		for (unsigned k = 0; k < nptr; k++)
			p_ptr(&R, k ? (unsigned)(d + 2 * (k - 1)) : 12);
		p_ptr(&R, (unsigned)(d + 2 * (nptr - 1)));
		p_rrfix(&R, 1, 1, 1, 4);
		p_u32(&R, 0x0b000001);
		/* nptr pointers in the data, one in the owner */
		if (nptr + 1 <= 127) {
			is_int(pa(&R), 0, "%u pointer hops", nptr + 1);
			ok(A.n == 1 && A.v[0].chain, "owner found through %u hops", nptr + 1);
		} else {
			is_int(pa(&R), -EBADMSG, "%u pointer hops: over the limit", nptr + 1);
		}
	}

	r_start(&R, ID, "x.test", CCSB_DNS_TYPE_A);
	p_set16(&R, 6, 1);
	p_set16(&R, 10, 2);
	p_a(&R, "x.test", 1, "192.0.2.1");
	p_opt(&R, 1232, 0, NULL, 0);
	p_opt(&R, 1232, 0, NULL, 0);
	is_int(pa(&R), -EBADMSG, "two OPT records in an answer");
	r_start(&R, ID, "x.test", CCSB_DNS_TYPE_A);
	p_set16(&R, 8, 1);
	p_opt(&R, 1232, 0, NULL, 0);
	is_int(pa(&R), -EBADMSG, "OPT in the authority section");
	ccsb__dns_addrs_free(&A);
	ccsb__dns_addrs_free(&A);
	ccsb__dns_addrs_free(NULL);
	ok(A.v == NULL && A.n == 0 && A.cap == 0, "free resets and may repeat");
}

/* ---- rebinding ------------------------------------------------------- */

static bool forbidden(const char *s)
{
	uint8_t a[16];
	int fam = strchr(s, ':') ? AF_INET6 : AF_INET;
	if (inet_pton(fam, s, a) != 1)
		bail_out("bad test address");
	return ccsb__dns_addr_forbidden(fam, a);
}

static bool private_(const char *s)
{
	uint8_t a[16];
	int fam = strchr(s, ':') ? AF_INET6 : AF_INET;
	if (inet_pton(fam, s, a) != 1)
		bail_out("bad test address");
	return ccsb__dns_addr_private(fam, a);
}

static void test_rebinding(void)
{
	static const char *const no[] = {
		"0.0.0.0",
		"0.255.255.255",
		"127.0.0.1",
		"127.0.0.0",
		"127.255.255.255",
		"169.254.0.0",
		"169.254.169.254",
		"169.254.255.255",
		"10.0.2.0",
		"10.0.2.2",
		"10.0.2.3",
		"10.0.2.255",
		"100.100.100.200",
		"168.63.129.16",
		"224.0.0.1",
		"239.255.255.255",
		"240.0.0.1",
		"255.255.255.254",
		"255.255.255.255",
		"::",
		"::1",
		"::2",
		"::127.0.0.1",
		"::ffff:127.0.0.1",
		"::ffff:8.8.8.8",
		"::ffff:0.0.0.0",
		"64:ff9b::127.0.0.1",
		"64:ff9b::169.254.169.254",
		"64:ff9b::10.0.2.2",
		"fe80::1",
		"fe80::",
		"febf:ffff::1",
		"fec0::1",
		"feff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
		"ff02::1",
		"ff0e::1",
		"ff00::",
		"fd00:ec2::254",
		"fd00:ec2::253",
	};
	static const char *const yes[] = {
		"198.51.100.7",	   "203.0.113.1",
		"192.0.2.1",	   "8.8.8.8",
		"1.1.1.1",	   "1.0.0.0",
		"9.255.255.255",   "11.0.0.0",
		"126.255.255.255", "128.0.0.0",
		"169.253.255.255", "169.255.0.0",
		"223.255.255.255", "10.0.1.255",
		"10.0.3.0",	   "100.100.100.199",
		"100.100.100.201", "168.63.129.15",
		"168.63.129.17",   "172.16.0.1",
		"192.168.1.1",	   "2001:db8::1",
		"2606:4700::1111", "64:ff9b::8.8.8.8",
		"::1:0:0:0",	   "1::",
		"fe7f:ffff::1",	   "fc00::1",
		"fd00:ec2::255",   "fd00:ec2::1:254",
		"2002:7f00:1::",   "::fffe:7f00:1",
		"0:0:0:0:1::1",
	};
	int bad = 0;
	for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		if (!forbidden(no[i])) {
			diag("should be forbidden: %s", no[i]);
			bad++;
		}
	is_int(bad, 0, "%zu forbidden addresses", sizeof(no) / sizeof(no[0]));
	bad = 0;
	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
		if (forbidden(yes[i])) {
			diag("should be allowed: %s", yes[i]);
			bad++;
		}
	is_int(bad, 0, "%zu addresses not forbidden", sizeof(yes) / sizeof(yes[0]));

	static const char *const priv[] = {
		"10.0.0.0",
		"10.255.255.255",
		"10.0.2.2",
		"172.16.0.0",
		"172.31.255.255",
		"192.168.0.0",
		"192.168.255.255",
		"100.64.0.0",
		"100.127.255.255",
		"100.100.100.200",
		"fc00::",
		"fdff:ffff::1",
		"fd00:ec2::254",
		"64:ff9b::10.1.2.3",
		"64:ff9b::192.168.0.1",
	};
	static const char *const pub[] = {
		"9.255.255.255",    "11.0.0.0",	       "172.15.255.255", "172.32.0.0",
		"192.167.255.255",  "192.169.0.0",     "100.63.255.255", "100.128.0.0",
		"8.8.8.8",	    "fe00::1",	       "fbff::1",	 "2001:db8::1",
		"64:ff9b::8.8.8.8", "::ffff:10.0.0.1",
	};
	bad = 0;
	for (size_t i = 0; i < sizeof(priv) / sizeof(priv[0]); i++)
		if (!private_(priv[i])) {
			diag("should be private: %s", priv[i]);
			bad++;
		}
	is_int(bad, 0, "%zu private addresses", sizeof(priv) / sizeof(priv[0]));
	bad = 0;
	for (size_t i = 0; i < sizeof(pub) / sizeof(pub[0]); i++)
		if (private_(pub[i])) {
			diag("should not be private: %s", pub[i]);
			bad++;
		}
	is_int(bad, 0, "%zu addresses not private", sizeof(pub) / sizeof(pub[0]));

	static const uint8_t z[16];
	ok(ccsb__dns_addr_forbidden(AF_UNIX, z), "unknown family: forbidden");
	ok(ccsb__dns_addr_forbidden(AF_INET, NULL), "NULL address: forbidden");
	ok(!ccsb__dns_addr_private(AF_UNIX, z) && !ccsb__dns_addr_private(AF_INET, NULL),
	   "unknown family, NULL: not private");

	/* Whole answers */
	struct ccsb_allowlist al = { 0 };
	struct ccsb_prefix pf;
	const char *why;
	if (ccsb__prefix_parse("10.1.0.0/16", &pf, &why) < 0 || ccsb__allowlist_add(&al, &pf) < 0 ||
	    ccsb__prefix_parse("10.0.2.0/24", &pf, &why) < 0 || ccsb__allowlist_add(&al, &pf) < 0)
		bail_out("setup");
	query_for("app.example.test", CCSB_DNS_TYPE_A);
	r_start(&R, ID, "app.example.test", CCSB_DNS_TYPE_A);
	p_set16(&R, 6, 2);
	p_a(&R, "app.example.test", 1, "203.0.113.9");
	p_aaaa(&R, "app.example.test", 1, "2001:db8::9");
	pa(&R);
	is_int(ccsb__dns_addrs_rejected(&A, &al), 0, "public answer: nothing rejected");
	r_start(&R, ID, "app.example.test", CCSB_DNS_TYPE_A);
	p_set16(&R, 6, 2);
	p_a(&R, "app.example.test", 1, "203.0.113.9");
	p_a(&R, "app.example.test", 1, "127.0.0.1");
	pa(&R);
	is_int(ccsb__dns_addrs_rejected(&A, &al), 1,
	       "rebinding to loopback next to a real address");
	r_start(&R, ID, "app.example.test", CCSB_DNS_TYPE_A);
	p_set16(&R, 6, 1);
	p_a(&R, "app.example.test", 1, "10.0.2.2");
	pa(&R);
	is_int(ccsb__dns_addrs_rejected(&A, &al), 1,
	       "slirp's host address, even with 10.0.2.0/24 allowlisted");
	r_start(&R, ID, "app.example.test", CCSB_DNS_TYPE_A);
	p_set16(&R, 6, 3);
	p_a(&R, "app.example.test", 1, "10.1.2.3");
	p_a(&R, "app.example.test", 1, "10.2.0.1");
	p_a(&R, "app.example.test", 1, "192.168.0.1");
	pa(&R);
	is_int(ccsb__dns_addrs_rejected(&A, &al), 2, "private: only the allowlisted one passes");
	r_start(&R, ID, "app.example.test", CCSB_DNS_TYPE_A);
	p_set16(&R, 6, 1);
	p_a(&R, "other.test", 1, "169.254.169.254");
	pa(&R);
	ok(A.n == 1 && !A.v[0].chain, "metadata address under another owner");
	is_int(ccsb__dns_addrs_rejected(&A, &al), 1, "counts even outside the chain");
	is_int(ccsb__dns_addrs_rejected(&A, NULL), 1, "no allowlist");
	is_int(ccsb__dns_addrs_rejected(NULL, &al), 0, "NULL answer");
	ccsb__allowlist_free(&al);
}

/* ---- the reply to the sandbox ------------------------------------------ */

static void test_finish(void)
{
	/* The sandbox asked in mixed case with EDNS; the upstream query was
	 * rebuilt with another id; upstream answered with extras. */
	struct ccsb_dns_query client, up;
	q_simple(&P, 0x1234, "App.Example.TEST", CCSB_DNS_TYPE_A);
	p_set16(&P, 10, 1);
	p_opt(&P, 4096, 0x8000, NULL, 0);
	if (ccsb__dns_parse_query(P.b, P.n, &client) != 0)
		bail_out("setup");
	uint8_t upq[600];
	size_t upn = ccsb__dns_build_query(&client, 0xbeef, upq, sizeof(upq));
	if (ccsb__dns_parse_query(upq, upn, &up) != 0)
		bail_out("setup");

	r_start(&R, 0xbeef, "app.example.test", CCSB_DNS_TYPE_A);
	R.b[2] |= AA >> 8;
	p_set16(&R, 6, 2);
	p_set16(&R, 8, 1);
	p_set16(&R, 10, 2);
	p_cname(&R, "app.example.test", 30, "edge.cdn.test");
	p_a(&R, "edge.cdn.test", 40, "203.0.113.10");
	p_rr(&R, "cdn.test", 2, 60, "\2ns\0", 4);
	p_a(&R, "ns", 60, "127.0.0.1");
	p_opt(&R, 1232, 0x00008000, "\0\12\0\0", 4);
	struct ccsb_dns_addrs a = { 0 };
	is_int(ccsb__dns_parse_answer(R.b, R.n, &up, &a), 0, "upstream answer parses");
	size_t n = ccsb__dns_finish_answer(R.b, R.n, &a, &client, 4096);
	is_int(n, a.answer_end + 11, "reply: up to the answer section, then a bare OPT");
	is_int(R.b[0] << 8 | R.b[1], 0x1234, "client's id");
	ok(memcmp(R.b + 12, client.qwire, client.qwire_len) == 0, "client's spelling");
	unsigned f = (unsigned)(R.b[2] << 8 | R.b[3]);
	ok((f & QR) && (f & RD) && (f & 0x80) && !(f & AA) && !(f & TC), "QR RD RA, not AA");
	ok(memcmp(R.b + 4, "\0\1\0\2\0\0\0\1", 8) == 0, "counts 1, 2, 0, 1");
	struct ccsb_dns_addrs b = { 0 };
	is_int(ccsb__dns_parse_answer(R.b, n, &client, &b), 0, "the reply parses as an answer");
	ok(b.n == 1 && b.v[0].chain && b.chain_len == 2 && b.opt && b.opt_ttl == 0x8000 &&
		   b.opt_payload == CCSB_DNS_EDNS_PAYLOAD,
	   "same address and chain, OPT kept");

	/* A client without EDNS gets no OPT; a small limit gives TC. */
	struct ccsb_dns_query plain = client;
	plain.edns = false;
	r_start(&R, 0xbeef, "app.example.test", CCSB_DNS_TYPE_A);
	p_set16(&R, 6, 1);
	p_set16(&R, 10, 1);
	p_a(&R, "app.example.test", 40, "203.0.113.10");
	p_opt(&R, 1232, 0, NULL, 0);
	ccsb__dns_parse_answer(R.b, R.n, &up, &a);
	n = ccsb__dns_finish_answer(R.b, R.n, &a, &plain, 512);
	ok(n == a.answer_end && R.b[11] == 0, "no OPT for a client without EDNS");

	r_start(&R, 0xbeef, "app.example.test", CCSB_DNS_TYPE_A);
	p_set16(&R, 6, 40);
	for (int i = 0; i < 40; i++)
		p_a(&R, "app.example.test", 40, "203.0.113.10");
	ccsb__dns_parse_answer(R.b, R.n, &up, &a);
	size_t qend = 12 + client.qwire_len + 4;
	n = ccsb__dns_finish_answer(R.b, R.n, &a, &plain, 512);
	ok(n == qend && (R.b[2] & (TC >> 8)) && R.b[7] == 0, "too long for 512: TC, no answers");
	is_int(ccsb__dns_parse_answer(R.b, n, &plain, &b), 0, "TC reply parses");
	ok(b.truncated, "the client sees TC");

	r_start(&R, 0xbeef, "app.example.test", CCSB_DNS_TYPE_A);
	p_set16(&R, 6, 1);
	p_a(&R, "app.example.test", 40, "203.0.113.10");
	ccsb__dns_parse_answer(R.b, R.n, &up, &a);
	is_int(ccsb__dns_finish_answer(R.b, R.n, &a, &client, qend - 1), 0,
	       "a limit below the question: nothing");
	struct ccsb_dns_query other = client;
	other.qwire[1] = 'X';
	is_int(ccsb__dns_finish_answer(R.b, R.n, &a, &other, 4096), 0, "another question: nothing");
	struct ccsb_dns_addrs t = a;
	t.truncated = true;
	is_int(ccsb__dns_finish_answer(R.b, R.n, &t, &client, 4096), 0, "truncated: nothing");
	t = a;
	t.answer_end = R.n + 1;
	is_int(ccsb__dns_finish_answer(R.b, R.n, &t, &client, 4096), 0, "bad answer_end: nothing");
	is_int(ccsb__dns_finish_answer(NULL, R.n, &a, &client, 4096), 0, "NULL message");
	ccsb__dns_addrs_free(&a);
	ccsb__dns_addrs_free(&b);
}

static void test_tcp(void)
{
	uint8_t buf[16] = { 0, 5, 'h', 'e', 'l', 'l', 'o', 0, 0, 0, 1, 'x' };
	const uint8_t *m = NULL;
	size_t ml = 0;
	is_int(ccsb__dns_tcp_frame(buf, 7, &m, &ml), 7, "whole frame");
	ok(m == buf + 2 && ml == 5, "message and length");
	is_int(ccsb__dns_tcp_frame(buf, 6, &m, &ml), 0, "one byte short");
	is_int(ccsb__dns_tcp_frame(buf, 1, &m, &ml), 0, "half a length");
	is_int(ccsb__dns_tcp_frame(buf, 0, &m, &ml), 0, "nothing");
	is_int(ccsb__dns_tcp_frame(buf + 7, 5, &m, &ml), 2, "zero-length frame");
	is_int(ml, 0, "of length 0");
	is_int(ccsb__dns_tcp_frame(buf + 9, 3, NULL, NULL), 3, "NULL outputs");
	is_int(ccsb__dns_tcp_frame(NULL, 3, &m, &ml), 0, "NULL buffer");
	uint8_t pre[2];
	ccsb__dns_tcp_prefix(pre, 65535);
	ok(pre[0] == 0xff && pre[1] == 0xff, "prefix 65535");
	ccsb__dns_tcp_prefix(pre, 0x1234);
	ok(pre[0] == 0x12 && pre[1] == 0x34, "prefix big-endian");
}

/* ---- domain patterns --------------------------------------------------- */

static void allow_is(const struct ccsb_allowlist *al, const char *name, bool want)
{
	ok(ccsb__allowlist_name_allowed(al, name) == want, "%s %s", name,
	   want ? "allowed" : "not allowed");
}

/* The definition, for random cross-checks. */
static bool naive(char **pats, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++) {
		const char *p = pats[i];
		if (strcasecmp(p, name) == 0)
			return true;
		if (p[0] == '*') {
			size_t pl = strlen(p) - 1, nl = strlen(name);
			if (nl > pl && strcasecmp(name + nl - pl, p + 1) == 0)
				return true;
		}
	}
	return false;
}

static uint64_t rng = 88172645463325252ull;

static unsigned rnd(unsigned n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (unsigned)(rng % n);
}

static void random_name(char *buf, unsigned labels)
{
	static const char *const parts[] = { "a", "b", "example", "test", "x-y", "_s", "c0" };
	buf[0] = '\0';
	for (unsigned i = 0; i < labels; i++) {
		if (i)
			strcat(buf, ".");
		strcat(buf, parts[rnd(7)]);
	}
}

static void test_patterns(void)
{
	struct ccsb_allowlist al = { 0 };
	if (ccsb__allowlist_add_name(&al, "*.example.test") < 0)
		bail_out("setup");
	allow_is(&al, "a.example.test", true);
	allow_is(&al, "x.y.example.test", true);
	allow_is(&al, "A.EXAMPLE.Test", true);
	allow_is(&al, "a.example.test.", true);
	allow_is(&al, "_srv._tcp.example.test", true);
	allow_is(&al, "example.test", false);
	allow_is(&al, "example.test.", false);
	allow_is(&al, "badexample.test", false);
	allow_is(&al, "a.badexample.test", false);
	allow_is(&al, "example.test.evil", false);
	allow_is(&al, "a.example.test.evil", false);
	allow_is(&al, "test", false);
	allow_is(&al, "", false);
	allow_is(&al, ".", false);
	allow_is(&al, ".example.test", false);
	allow_is(&al, "a..example.test", false);
	allow_is(&al, "a.example.test..", false);
	allow_is(&al, "a\\046example.test", false);
	allow_is(&al, "a b.example.test", false);
	allow_is(&al, "*.example.test", false);
	ok(!ccsb__allowlist_name_allowed(&al, NULL), "NULL name");
	ok(!ccsb__allowlist_name_allowed(NULL, "a.example.test"), "NULL allowlist");
	ccsb__allowlist_free(&al);

	if (ccsb__allowlist_add_name(&al, "Example.TEST.") < 0)
		bail_out("setup");
	allow_is(&al, "example.test", true);
	allow_is(&al, "EXAMPLE.test.", true);
	allow_is(&al, "a.example.test", false);
	allow_is(&al, "example.tes", false);
	allow_is(&al, "xexample.test", false);
	ccsb__allowlist_free(&al);

	struct ccsb_allowlist empty = { 0 };
	allow_is(&empty, "example.test", false);

	/* Longest names */
	char l63[64], name[300], pat[300];
	memset(l63, 'a', 63);
	l63[63] = '\0';
	snprintf(pat, sizeof(pat), "*.%s.%s.%.61s", l63, l63, l63);
	if (ccsb__allowlist_add_name(&al, pat) < 0)
		bail_out("setup: longest wildcard");
	snprintf(name, sizeof(name), "%s.%s.%s.%.61s", l63, l63, l63, l63);
	is_int(strlen(name), 253, "253-character name");
	allow_is(&al, name, true);
	snprintf(name, sizeof(name), "%s.%s.%s.%s.%.61s", "b", l63, l63, l63, l63);
	ok(!ccsb__allowlist_name_allowed(&al, name), "255 characters: never allowed");
	ccsb__allowlist_free(&al);

	/* Unsorted (linear) and sorted (bisecting) lookups agree with the
	 * definition. */
	char *pats[64];
	size_t np = 0;
	for (int i = 0; i < 60; i++) {
		char b[128], p[130];
		random_name(b, 2 + rnd(2));
		snprintf(p, sizeof(p), "%s%s", rnd(2) ? "*." : "", b);
		if (rnd(5) == 0 || !strchr(b, '.'))
			continue;
		char *last = strrchr(p, '.');
		if (!((last[1] >= 'a' && last[1] <= 'z')))
			continue;
		if (ccsb__allowlist_add_name(&al, p) < 0)
			continue;
		pats[np++] = strdup(p);
	}
	ok(np > 20, "%zu random patterns", np);
	int bad_unsorted = 0, bad_sorted = 0;
	char names[2000][128];
	for (int i = 0; i < 2000; i++)
		random_name(names[i], 1 + rnd(5));
	bool was_sorted = al.names_sorted;
	for (int i = 0; i < 2000; i++)
		bad_unsorted +=
			ccsb__allowlist_name_allowed(&al, names[i]) != naive(pats, np, names[i]);
	ccsb__allowlist_merge(&al);
	ok(al.names_sorted, "merge sorts the names");
	for (int i = 0; i < 2000; i++)
		bad_sorted +=
			ccsb__allowlist_name_allowed(&al, names[i]) != naive(pats, np, names[i]);
	ok(!was_sorted, "random insertion order left the names unsorted");
	is_int(bad_unsorted, 0, "unsorted lookups match the definition");
	is_int(bad_sorted, 0, "sorted lookups match the definition");
	for (size_t i = 0; i < np; i++)
		free(pats[i]);
	ccsb__allowlist_free(&al);

	/* Speed: 20000 patterns. */
	for (int i = 0; i < 20000; i++) {
		char p[64];
		snprintf(p, sizeof(p), "%shost%d.example%d.test", i % 2 ? "*." : "", i, i % 97);
		if (ccsb__allowlist_add_name(&al, p) < 0)
			bail_out("setup");
	}
	ccsb__allowlist_merge(&al);
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	int hits = 0;
	for (int i = 0; i < 100000; i++) {
		char n[96];
		snprintf(n, sizeof(n), "a.b.c.host%d.example%d.test", i % 40000, i % 97);
		hits += ccsb__allowlist_name_allowed(&al, n);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
	diag("100000 lookups against 20000 patterns: %.1f ms", ms);
	/* i % 40000 < 20000, odd (wildcard) and i % 97 matching its pattern's */
	ok(hits > 0, "%d hits", hits);
	ok(ms < 2000, "fast enough (%.1f ms)", ms);
	ccsb__allowlist_free(&al);
}

int main(void)
{
	test_query_good();
	test_query_bad();
	test_build_error();
	test_verdict_and_forwarding();
	test_answer_good();
	test_answer_bad();
	test_rebinding();
	test_finish();
	test_tcp();
	test_patterns();
	ccsb__dns_addrs_free(&A);
	return done_testing();
}
