/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "dns.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#define F_QR 0x8000u
#define F_OPCODE 0x7800u
#define F_TC 0x0200u
#define F_RD 0x0100u
#define F_RA 0x0080u
#define F_AD 0x0020u
#define F_CD 0x0010u
#define F_RCODE 0x000fu
#define OPT_DO 0x00008000u
#define OPT_RR_LEN 11

/* A name has at most 127 labels; more hops than that is never compression. */
#define HOPS_MAX 127

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, v >> 16);
	put16(p + 2, v & 0xffffu);
}

/* Length bytes are at most 63, below 'A', so a whole wire name can be
 * folded byte by byte. */
static void fold(uint8_t *w, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (w[i] >= 'A' && w[i] <= 'Z')
			w[i] = (uint8_t)(w[i] + ('a' - 'A'));
}

static bool same_name(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	if (alen != blen)
		return false;
	for (size_t i = 0; i < alen; i++) {
		uint8_t x = a[i], y = b[i];
		if (x >= 'A' && x <= 'Z')
			x = (uint8_t)(x + ('a' - 'A'));
		if (y >= 'A' && y <= 'Z')
			y = (uint8_t)(y + ('a' - 'A'));
		if (x != y)
			return false;
	}
	return true;
}

/* Read the name at *off into `wire` (uncompressed, root byte included) and
 * move *off past the name as it lies in the message. A pointer must target
 * a byte after the header and strictly before the segment it ends (the
 * name's start, then each earlier target), and what is read there must end
 * before that segment too, as it does for a name written earlier: every hop
 * goes backwards past all that was read, so no loop is possible (the hop
 * limit only bounds the work), and a name never depends on bytes after its
 * own start. */
static bool read_name(const uint8_t *msg, size_t len, size_t *off, uint8_t *wire, size_t *wlen)
{
	size_t pos = *off, limit = *off, after = 0, n = 0;
	unsigned hops = 0;
	for (;;) {
		if (pos >= len)
			return false;
		uint8_t c = msg[pos];
		if ((c & 0xc0) == 0xc0) {
			if (len - pos < 2)
				return false;
			size_t t = (size_t)(c & 0x3f) << 8 | msg[pos + 1];
			if (t < CCSB_DNS_HEADER_LEN || t >= limit || ++hops > HOPS_MAX)
				return false;
			if (hops == 1)
				after = pos + 2;
			len = limit;
			pos = limit = t;
			continue;
		}
		if (c & 0xc0) /* 0x40 extended and 0x80 reserved label types */
			return false;
		if (c == 0) {
			wire[n++] = 0;
			pos++;
			break;
		}
		/* this label, and the root byte still to come */
		if (n + 1u + c + 1u > CCSB_DNS_NAME_WIRE_MAX || len - pos - 1 < c)
			return false;
		memcpy(wire + n, msg + pos, 1u + c);
		n += 1u + c;
		pos += 1u + c;
	}
	*off = hops ? after : pos;
	*wlen = n;
	return true;
}

static void name_text(const uint8_t *w, char *out)
{
	size_t o = 0;
	for (size_t i = 0; w[i];) {
		unsigned l = w[i++];
		if (o)
			out[o++] = '.';
		for (unsigned k = 0; k < l; k++) {
			uint8_t c = w[i++];
			if (c >= 'A' && c <= 'Z')
				c = (uint8_t)(c + ('a' - 'A'));
			if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
			    c == '_') {
				out[o++] = (char)c;
			} else {
				out[o++] = '\\';
				out[o++] = (char)('0' + c / 100);
				out[o++] = (char)('0' + c / 10 % 10);
				out[o++] = (char)('0' + c % 10);
			}
		}
	}
	out[o] = '\0';
}

struct rr {
	uint16_t type, cls;
	uint32_t ttl;
	size_t rdata;
	uint16_t rdlen;
};

static bool read_rr(const uint8_t *msg, size_t len, size_t *off, uint8_t *owner, size_t *olen,
		    struct rr *rr)
{
	if (!read_name(msg, len, off, owner, olen) || len - *off < 10)
		return false;
	const uint8_t *p = msg + *off;
	rr->type = get16(p);
	rr->cls = get16(p + 2);
	rr->ttl = get32(p + 4);
	rr->rdlen = get16(p + 8);
	*off += 10;
	if (rr->rdlen > len - *off)
		return false;
	rr->rdata = *off;
	*off += rr->rdlen;
	return true;
}

/* A name that fills the record's data exactly. Pointers may leave the data
 * (backwards only); the name read from them may not run past its end. */
static bool rdata_name(const uint8_t *msg, const struct rr *rr, uint8_t *w, size_t *wlen)
{
	size_t end = rr->rdata + rr->rdlen, o = rr->rdata;
	return read_name(msg, end, &o, w, wlen) && o == end;
}

static bool opt_options_ok(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n;) {
		if (n - i < 4)
			return false;
		size_t l = get16(p + i + 2);
		i += 4;
		if (l > n - i)
			return false;
		i += l;
	}
	return true;
}

struct sections {
	size_t answer_end;
	bool opt;
	uint16_t opt_payload;
	uint32_t opt_ttl;
};

/* Check every record after the question at `off`, as the header counts
 * them, and that they end the message exactly. */
static bool check_records(const uint8_t *msg, size_t len, size_t off, struct sections *s)
{
	uint8_t owner[CCSB_DNS_NAME_WIRE_MAX], t[CCSB_DNS_NAME_WIRE_MAX];
	size_t olen, tlen;
	memset(s, 0, sizeof(*s));
	for (int sec = 0; sec < 3; sec++) {
		unsigned count = get16(msg + 6 + 2 * sec);
		for (unsigned i = 0; i < count; i++) {
			struct rr rr;
			if (!read_rr(msg, len, &off, owner, &olen, &rr))
				return false;
			if (rr.type == CCSB_DNS_TYPE_OPT) {
				if (sec != 2 || s->opt || olen != 1 ||
				    !opt_options_ok(msg + rr.rdata, rr.rdlen))
					return false;
				s->opt = true;
				s->opt_payload = rr.cls;
				s->opt_ttl = rr.ttl;
				continue;
			}
			if (rr.cls != CCSB_DNS_CLASS_IN)
				continue;
			if ((rr.type == CCSB_DNS_TYPE_A && rr.rdlen != 4) ||
			    (rr.type == CCSB_DNS_TYPE_AAAA && rr.rdlen != 16) ||
			    (rr.type == CCSB_DNS_TYPE_CNAME && !rdata_name(msg, &rr, t, &tlen)))
				return false;
		}
		if (sec == 0)
			s->answer_end = off;
	}
	return off == len;
}

int ccsb__dns_parse_query(const uint8_t *msg, size_t len, struct ccsb_dns_query *q)
{
	if (!q)
		return CCSB_DNS_DROP;
	memset(q, 0, sizeof(*q));
	if (!msg || len < 2)
		return CCSB_DNS_DROP;
	q->id = get16(msg);
	if (len >= 3 && (msg[2] & (F_QR >> 8)))
		return CCSB_DNS_DROP;
	if (len < CCSB_DNS_HEADER_LEN || len > CCSB_DNS_MSG_MAX)
		return -CCSB_DNS_FORMERR;
	q->flags = get16(msg + 2);
	if (q->flags & F_OPCODE)
		return -CCSB_DNS_NOTIMP;
	if (get16(msg + 4) != 1)
		return -CCSB_DNS_FORMERR;
	size_t off = CCSB_DNS_HEADER_LEN;
	if (!read_name(msg, len, &off, q->qwire, &q->qwire_len) || len - off < 4) {
		q->qwire_len = 0;
		return -CCSB_DNS_FORMERR;
	}
	q->qtype = get16(msg + off);
	q->qclass = get16(msg + off + 2);
	name_text(q->qwire, q->qname);
	struct sections s;
	if (!check_records(msg, len, off + 4, &s))
		return -CCSB_DNS_FORMERR;
	q->edns = s.opt;
	q->edns_payload = s.opt_payload;
	q->edns_ttl = s.opt_ttl;
	return 0;
}

size_t ccsb__dns_build_error(const uint8_t *query, size_t qlen, int rcode, uint8_t *out,
			     size_t outlen)
{
	if (!query || qlen < 2 || rcode < 0 || rcode > 15 || !out || outlen < CCSB_DNS_HEADER_LEN)
		return 0;
	unsigned qflags = qlen >= 4 ? get16(query + 2) : qlen == 3 ? (unsigned)query[2] << 8 : 0;
	size_t qend = 0;
	if (qlen >= CCSB_DNS_HEADER_LEN && qlen <= CCSB_DNS_MSG_MAX && get16(query + 4) == 1) {
		uint8_t w[CCSB_DNS_NAME_WIRE_MAX];
		size_t off = CCSB_DNS_HEADER_LEN, wl;
		/* No pointer can pass in a first question: the name is copied
		 * as it is. */
		if (read_name(query, qlen, &off, w, &wl) && qlen - off >= 4)
			qend = off + 4;
	}
	size_t n = qend ? qend : CCSB_DNS_HEADER_LEN;
	if (outlen < n)
		return 0;
	uint8_t id0 = query[0], id1 = query[1];
	if (qend)
		memmove(out + CCSB_DNS_HEADER_LEN, query + CCSB_DNS_HEADER_LEN,
			qend - CCSB_DNS_HEADER_LEN);
	out[0] = id0;
	out[1] = id1;
	put16(out + 2, F_QR | (qflags & (F_OPCODE | F_RD)) | F_RA | (unsigned)rcode);
	put16(out + 4, qend ? 1 : 0);
	put16(out + 6, 0);
	put16(out + 8, 0);
	put16(out + 10, 0);
	return n;
}

int ccsb__dns_query_verdict(const struct ccsb_dns_query *q, const struct ccsb_allowlist *al)
{
	if (!q || q->qclass != CCSB_DNS_CLASS_IN)
		return CCSB_DNS_REFUSED;
	switch (q->qtype) {
	case 0:
	case CCSB_DNS_TYPE_OPT:
	case 251: /* IXFR */
	case 252: /* AXFR */
	case 253: /* MAILB */
	case 254: /* MAILA */
		return CCSB_DNS_REFUSED;
	}
	return ccsb__allowlist_name_allowed(al, q->qname) ? 0 : CCSB_DNS_REFUSED;
}

static bool qwire_ok(const struct ccsb_dns_query *q)
{
	return q->qwire_len >= 1 && q->qwire_len <= CCSB_DNS_NAME_WIRE_MAX &&
	       q->qwire[q->qwire_len - 1] == 0;
}

size_t ccsb__dns_build_query(const struct ccsb_dns_query *q, uint16_t id, uint8_t *out,
			     size_t outlen)
{
	if (!q || !out || !qwire_ok(q))
		return 0;
	size_t qend = CCSB_DNS_HEADER_LEN + q->qwire_len + 4;
	size_t n = qend + (q->edns ? OPT_RR_LEN : 0);
	if (outlen < n)
		return 0;
	put16(out, id);
	put16(out + 2, q->flags & F_RD);
	put16(out + 4, 1);
	put16(out + 6, 0);
	put16(out + 8, 0);
	put16(out + 10, q->edns ? 1 : 0);
	/* Lowercase: letter case would be a channel (one bit a letter) to
	 * upstream and the name's servers; ccsb__dns_finish_answer() gives the
	 * sandbox its own spelling back. */
	memcpy(out + CCSB_DNS_HEADER_LEN, q->qwire, q->qwire_len);
	fold(out + CCSB_DNS_HEADER_LEN, q->qwire_len);
	put16(out + qend - 4, q->qtype);
	put16(out + qend - 2, q->qclass);
	if (q->edns) {
		unsigned payload = q->edns_payload;
		if (payload < CCSB_DNS_UDP_MIN)
			payload = CCSB_DNS_UDP_MIN;
		if (payload > CCSB_DNS_EDNS_PAYLOAD)
			payload = CCSB_DNS_EDNS_PAYLOAD;
		uint8_t *p = out + qend;
		p[0] = 0;
		put16(p + 1, CCSB_DNS_TYPE_OPT);
		put16(p + 3, payload);
		put32(p + 5, q->edns_ttl & OPT_DO);
		put16(p + 9, 0);
	}
	return n;
}

size_t ccsb__dns_udp_limit(const struct ccsb_dns_query *q)
{
	if (q && q->edns && q->edns_payload > CCSB_DNS_UDP_MIN)
		return q->edns_payload;
	return CCSB_DNS_UDP_MIN;
}

static int add_addr(struct ccsb_dns_addrs *out, int family, const uint8_t *a, size_t alen,
		    uint32_t ttl, bool chain)
{
	if (out->n == out->cap) {
		size_t cap = out->cap ? out->cap * 2 : 8;
		struct ccsb_dns_addr *v = realloc(out->v, cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		out->v = v;
		out->cap = cap;
	}
	struct ccsb_dns_addr *d = &out->v[out->n++];
	memset(d, 0, sizeof(*d));
	d->family = (uint8_t)family;
	d->chain = chain;
	/* RFC 2181 8: a TTL with the top bit set is zero. */
	d->ttl = ttl & 0x80000000u ? 0 : ttl;
	memcpy(d->addr, a, alen);
	return 0;
}

/* Over 80 lines on purpose: the answer is walked once, header, question,
 * then each record with its CNAME chain check, with one cursor bounded by
 * the message; the bounds checks on untrusted bytes read best in one place,
 * in wire order (the DNS fuzz target exercises them). */
int ccsb__dns_parse_answer(const uint8_t *msg, size_t len, const struct ccsb_dns_query *q,
			   struct ccsb_dns_addrs *out)
{
	if (!q || !out || !qwire_ok(q))
		return -EINVAL;
	struct ccsb_dns_addr *keep = out->v;
	size_t keepcap = out->cap;
	memset(out, 0, sizeof(*out));
	out->v = keep;
	out->cap = keepcap;

	if (!msg || len < CCSB_DNS_HEADER_LEN || len > CCSB_DNS_MSG_MAX)
		return -EBADMSG;
	unsigned f = get16(msg + 2);
	if (get16(msg) != q->id || !(f & F_QR) || (f & F_OPCODE) || get16(msg + 4) != 1)
		return -ENOMSG;
	uint8_t owner[CCSB_DNS_NAME_WIRE_MAX];
	size_t olen, off = CCSB_DNS_HEADER_LEN;
	if (!read_name(msg, len, &off, owner, &olen) || len - off < 4)
		return -EBADMSG;
	if (!same_name(owner, olen, q->qwire, q->qwire_len) || get16(msg + off) != q->qtype ||
	    get16(msg + off + 2) != q->qclass)
		return -ENOMSG;
	off += 4;
	out->rcode = (uint8_t)(f & F_RCODE);
	out->answer_end = off;
	if (f & F_TC) {
		out->truncated = true;
		return 0;
	}
	struct sections s;
	if (!check_records(msg, len, off, &s))
		return -EBADMSG;
	out->answer_end = s.answer_end;
	out->opt = s.opt;
	out->opt_payload = s.opt_payload;
	out->opt_ttl = s.opt_ttl;

	/* The chain, in whatever order its records come: one pass over the
	 * answer section per link. */
	unsigned an = get16(msg + 6);
	uint8_t chain[CCSB_DNS_CHAIN_MAX][CCSB_DNS_NAME_WIRE_MAX];
	size_t clen[CCSB_DNS_CHAIN_MAX];
	memcpy(chain[0], q->qwire, q->qwire_len);
	fold(chain[0], q->qwire_len);
	clen[0] = q->qwire_len;
	size_t nc = 1;
	for (;;) {
		uint8_t target[CCSB_DNS_NAME_WIRE_MAX], t[CCSB_DNS_NAME_WIRE_MAX];
		size_t tlen = 0, tl, o = off;
		bool have = false;
		for (unsigned i = 0; i < an; i++) {
			struct rr rr;
			if (!read_rr(msg, len, &o, owner, &olen, &rr))
				return -EBADMSG;
			if (rr.type != CCSB_DNS_TYPE_CNAME || rr.cls != q->qclass ||
			    !same_name(owner, olen, chain[nc - 1], clen[nc - 1]))
				continue;
			if (!rdata_name(msg, &rr, t, &tl))
				return -EBADMSG;
			fold(t, tl);
			if (have && !same_name(t, tl, target, tlen))
				return -EBADMSG;
			memcpy(target, t, tl);
			tlen = tl;
			have = true;
		}
		if (!have)
			break;
		bool seen = false;
		for (size_t k = 0; k < nc && !seen; k++)
			seen = same_name(target, tlen, chain[k], clen[k]);
		if (seen || nc == CCSB_DNS_CHAIN_MAX) {
			out->chain_cut = true;
			break;
		}
		memcpy(chain[nc], target, tlen);
		clen[nc++] = tlen;
	}
	out->chain_len = nc;

	size_t o = off;
	for (unsigned i = 0; i < an; i++) {
		struct rr rr;
		if (!read_rr(msg, len, &o, owner, &olen, &rr))
			return -EBADMSG;
		if (rr.cls != CCSB_DNS_CLASS_IN ||
		    (rr.type != CCSB_DNS_TYPE_A && rr.type != CCSB_DNS_TYPE_AAAA))
			continue;
		bool in = false;
		for (size_t k = 0; k < nc && !in; k++)
			in = same_name(owner, olen, chain[k], clen[k]);
		int r = rr.type == CCSB_DNS_TYPE_A
				? add_addr(out, AF_INET, msg + rr.rdata, 4, rr.ttl, in)
				: add_addr(out, AF_INET6, msg + rr.rdata, 16, rr.ttl, in);
		if (r < 0)
			return r;
	}
	return 0;
}

void ccsb__dns_addrs_free(struct ccsb_dns_addrs *a)
{
	if (!a)
		return;
	free(a->v);
	memset(a, 0, sizeof(*a));
}

struct net4 {
	uint32_t net;
	unsigned len;
};

static const struct net4 forbidden4[] = {
	{ 0x00000000u, 8 },  /* "this network" */
	{ 0x7f000000u, 8 },  /* loopback */
	{ 0xa9fe0000u, 16 }, /* link-local, 169.254.169.254 metadata */
	{ 0x0a000200u, 24 }, /* slirp4netns */
	{ 0x646464c8u, 32 }, /* 100.100.100.200, Alibaba Cloud metadata */
	{ 0xa83f8110u, 32 }, /* 168.63.129.16, Azure host services */
	{ 0xe0000000u, 4 },  /* multicast */
	{ 0xf0000000u, 4 },  /* reserved, 255.255.255.255 */
};

static const struct net4 private4[] = {
	{ 0x0a000000u, 8 },
	{ 0xac100000u, 12 },
	{ 0xc0a80000u, 16 },
	{ 0x64400000u, 10 }, /* carrier-grade NAT */
};

static bool in_table(const struct net4 *t, size_t n, const uint8_t *a)
{
	uint32_t x = get32(a);
	for (size_t i = 0; i < n; i++)
		if ((x ^ t[i].net) >> (32 - t[i].len) == 0)
			return true;
	return false;
}

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static bool nat64(const uint8_t *a)
{
	static const uint8_t wkp[12] = { 0x00, 0x64, 0xff, 0x9b };
	return memcmp(a, wkp, sizeof(wkp)) == 0;
}

bool ccsb__dns_addr_forbidden(int family, const uint8_t *a)
{
	static const uint8_t zero[12];
	static const uint8_t aws[2][16] = {
		{ 0xfd, 0x00, 0x0e, 0xc2, [14] = 0x02, [15] = 0x53 },
		{ 0xfd, 0x00, 0x0e, 0xc2, [14] = 0x02, [15] = 0x54 },
	};
	if (!a)
		return true;
	if (family == AF_INET)
		return in_table(forbidden4, NELEM(forbidden4), a);
	if (family != AF_INET6)
		return true;
	if (memcmp(a, zero, 12) == 0)
		return true;
	if (memcmp(a, zero, 10) == 0 && a[10] == 0xff && a[11] == 0xff)
		return true;
	if (nat64(a))
		return in_table(forbidden4, NELEM(forbidden4), a + 12);
	if (a[0] == 0xfe && (a[1] & 0x80))
		return true; /* fe80::/10 and fec0::/10 */
	if (a[0] == 0xff)
		return true;
	return memcmp(a, aws[0], 16) == 0 || memcmp(a, aws[1], 16) == 0;
}

bool ccsb__dns_addr_private(int family, const uint8_t *a)
{
	if (!a)
		return false;
	if (family == AF_INET)
		return in_table(private4, NELEM(private4), a);
	if (family != AF_INET6)
		return false;
	if (nat64(a))
		return in_table(private4, NELEM(private4), a + 12);
	return (a[0] & 0xfe) == 0xfc;
}

size_t ccsb__dns_addrs_rejected(const struct ccsb_dns_addrs *a, const struct ccsb_allowlist *al)
{
	size_t bad = 0;
	if (!a)
		return 0;
	for (size_t i = 0; i < a->n; i++) {
		const struct ccsb_dns_addr *d = &a->v[i];
		if (ccsb__dns_addr_forbidden(d->family, d->addr) ||
		    (ccsb__dns_addr_private(d->family, d->addr) &&
		     !ccsb__allowlist_addr_covered(al, d->family, d->addr)))
			bad++;
	}
	return bad;
}

size_t ccsb__dns_finish_answer(uint8_t *msg, size_t len, const struct ccsb_dns_addrs *a,
			       const struct ccsb_dns_query *client, size_t limit)
{
	if (!msg || !a || !client || a->truncated || !qwire_ok(client) ||
	    len < CCSB_DNS_HEADER_LEN || len > CCSB_DNS_MSG_MAX)
		return 0;
	size_t qend = CCSB_DNS_HEADER_LEN + client->qwire_len + 4;
	if (a->answer_end < qend || a->answer_end > len || qend > limit ||
	    !same_name(msg + CCSB_DNS_HEADER_LEN, client->qwire_len, client->qwire,
		       client->qwire_len))
		return 0;
	bool opt = a->opt && client->edns;
	size_t end = a->answer_end;
	unsigned an = get16(msg + 6), tc = 0;
	if (end + (opt ? OPT_RR_LEN : 0) > limit) {
		end = qend;
		an = 0;
		tc = F_TC;
		if (end + OPT_RR_LEN > limit)
			opt = false;
	}
	/* The OPT record came after the answer section: its room is there. */
	if (opt && end + OPT_RR_LEN > len)
		return 0;
	memcpy(msg + CCSB_DNS_HEADER_LEN, client->qwire, client->qwire_len);
	unsigned f = get16(msg + 2);
	put16(msg, client->id);
	put16(msg + 2, F_QR | (client->flags & F_RD) | F_RA | (f & (F_AD | F_CD | F_RCODE)) | tc);
	put16(msg + 6, an);
	put16(msg + 8, 0);
	put16(msg + 10, opt ? 1 : 0);
	if (opt) {
		uint8_t *p = msg + end;
		p[0] = 0;
		put16(p + 1, CCSB_DNS_TYPE_OPT);
		put16(p + 3, CCSB_DNS_EDNS_PAYLOAD);
		put32(p + 5, a->opt_ttl);
		put16(p + 9, 0);
		end += OPT_RR_LEN;
	}
	return end;
}

size_t ccsb__dns_tcp_frame(const uint8_t *buf, size_t have, const uint8_t **msg, size_t *mlen)
{
	if (!buf || have < 2)
		return 0;
	size_t n = get16(buf);
	if (have - 2 < n)
		return 0;
	if (msg)
		*msg = buf + 2;
	if (mlen)
		*mlen = n;
	return n + 2;
}

void ccsb__dns_tcp_prefix(uint8_t out[2], size_t len)
{
	put16(out, (unsigned)len);
}
