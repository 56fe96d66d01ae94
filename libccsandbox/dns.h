/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* DNS message codec for the filtering resolver (dns.c, pure: no sockets, no
 * clock, no globals). RFC 1035 messages with EDNS0 (RFC 6891) awareness.
 * Every input is treated as hostile: each read is bounds-checked, names are
 * limited to 255 bytes and labels to 63, and compression pointers must point
 * strictly before the name segment that contains them (never into the
 * header), to labels that end before that segment, which rules out loops,
 * with a hop limit on top.
 *
 * How the resolver is meant to use it, for one message from the sandbox:
 *
 *   r = ccsb__dns_parse_query(msg, len, &q);
 *   r == CCSB_DNS_DROP       -> ignore the datagram (or close the TCP stream)
 *   r < 0                    -> send ccsb__dns_build_error(msg, len, -r, ...)
 *   v = ccsb__dns_query_verdict(&q, allowlist);
 *   v != 0                   -> send ccsb__dns_build_error(msg, len, v, ...)
 *                               (REFUSED: count q.qname for the log)
 *   else                     -> send ccsb__dns_build_query(&q, fresh_id, ...)
 *                               upstream; never the sandbox's own bytes, which
 *                               could carry data in EDNS options, extra records
 *                               or trailing bytes.
 *
 * and for each message from upstream, with `up` a copy of q whose id is
 * the one the upstream query was sent with:
 *
 *   r = ccsb__dns_parse_answer(msg, len, &up, &addrs);
 *   r == -ENOMSG             -> not an answer to that query: ignore, keep waiting
 *   r < 0                    -> answer SERVFAIL
 *   addrs.truncated          -> ask again over TCP (the resolver does for
 *                               TCP clients; UDP clients get TC and retry
 *                               over TCP themselves)
 *   ccsb__dns_addrs_rejected(&addrs, allowlist) > 0
 *                            -> answer ccsb__dns_build_error(query, qlen,
 *                               CCSB_DNS_NOERROR, ...): an empty answer, as if
 *                               the name had no address (DNS rebinding)
 *   an address with .chain that no prefix of the allowlist covers
 *                            -> (A query) bind the name to a synthetic
 *                               address for .ttl, with a floor (namebind.h),
 *                               and answer with that address alone
 *   else                     -> send ccsb__dns_finish_answer(msg, len,
 *                               &addrs, &q, limit) to the sandbox: every
 *                               address is inside an allowlisted prefix,
 *                               which is routed already.
 */
#ifndef CCSB_DNS_H
#define CCSB_DNS_H

#include "internal.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum ccsb_dns_rcode {
	CCSB_DNS_NOERROR = 0,
	CCSB_DNS_FORMERR = 1,
	CCSB_DNS_SERVFAIL = 2,
	CCSB_DNS_NXDOMAIN = 3,
	CCSB_DNS_NOTIMP = 4,
	CCSB_DNS_REFUSED = 5,
};

enum {
	CCSB_DNS_TYPE_A = 1,
	CCSB_DNS_TYPE_CNAME = 5,
	CCSB_DNS_TYPE_AAAA = 28,
	CCSB_DNS_TYPE_OPT = 41,
	CCSB_DNS_CLASS_IN = 1,
};

/* ccsb__dns_parse_query(): the message gets no answer at all. */
#define CCSB_DNS_DROP (-1000)

#define CCSB_DNS_HEADER_LEN 12
#define CCSB_DNS_NAME_WIRE_MAX 255 /* RFC 1035 3.1, root byte included */
#define CCSB_DNS_MSG_MAX 65535
#define CCSB_DNS_UDP_MIN 512	   /* without EDNS0 */
#define CCSB_DNS_EDNS_PAYLOAD 1232 /* what we advertise (DNS flag day 2020) */
/* CNAME links followed from the query name. */
#define CCSB_DNS_CHAIN_MAX 16
/* An output buffer this large always holds ccsb__dns_build_error()'s reply. */
#define CCSB_DNS_ERROR_MAX (CCSB_DNS_HEADER_LEN + CCSB_DNS_NAME_WIRE_MAX + 4)
/* Text form of a name: every byte may take 4 characters ("\DDD"). */
#define CCSB_DNS_NAME_TEXT_MAX (4 * CCSB_DNS_NAME_WIRE_MAX + 1)

struct ccsb_dns_query {
	uint16_t id;
	uint16_t flags; /* the header's second 16 bits, as received */
	uint16_t qtype, qclass;
	bool edns;	       /* an OPT record in the additional section */
	uint16_t edns_payload; /* its UDP payload size, as sent */
	uint32_t edns_ttl;     /* its extended rcode, version and flags (DO) */
	/* The question name as on the wire, uncompressed, in its original case,
	 * root byte included. */
	uint8_t qwire[CCSB_DNS_NAME_WIRE_MAX];
	size_t qwire_len;
	/* The same name as text: lowercase, labels joined by '.', no trailing
	 * dot ("" for the root); bytes other than letters, digits, '-' and '_'
	 * are written "\DDD" (decimal), so that the text is unambiguous and
	 * such names never match a pattern. */
	char qname[CCSB_DNS_NAME_TEXT_MAX];
};

/* Parse a query from the sandbox. Returns 0 with *q filled, or:
 *  - CCSB_DNS_DROP: shorter than an id (2 bytes), or a response (QR=1):
 *    answering responses invites loops;
 *  - -CCSB_DNS_NOTIMP: an opcode other than QUERY;
 *  - -CCSB_DNS_FORMERR: anything malformed: a header cut short, QDCOUNT
 *    other than 1, a bad name (label over 63 bytes, reserved label types,
 *    name over 255 bytes, a compression pointer that is not strictly
 *    backwards, points into the header or to labels that run into the
 *    name that points there), a record cut short, an OPT
 *    record outside the additional section, not owned by the root, or
 *    given twice, bad EDNS option framing, or bytes after the last record.
 * On failure *q holds what was read so far (at least the id when len >= 2). */
int ccsb__dns_parse_query(const uint8_t *msg, size_t len, struct ccsb_dns_query *q);

/* Write a reply carrying `rcode` (0..15; CCSB_DNS_NOERROR gives an empty
 * answer) to `query`: the same id and opcode, QR=1, RD copied, RA=1, no
 * records; the question is echoed verbatim when the query has exactly one
 * that parses, else QDCOUNT is 0. No OPT record. Returns the length written,
 * or 0 when `query` has no id (qlen < 2), `rcode` is out of range or `out`
 * is too small (CCSB_DNS_ERROR_MAX always suffices). */
size_t ccsb__dns_build_error(const uint8_t *query, size_t qlen, int rcode, uint8_t *out,
			     size_t outlen);

/* Whether a parsed query may go upstream: 0 to forward it, else the rcode to
 * answer with locally: CCSB_DNS_REFUSED for a class other than IN, for the
 * meta types (0, OPT, IXFR, AXFR, MAILB, MAILA) and for names that no
 * pattern of `al` allows (ccsb__allowlist_name_allowed()). */
int ccsb__dns_query_verdict(const struct ccsb_dns_query *q, const struct ccsb_allowlist *al);

/* Write the query to send upstream, rebuilt from its parsed fields only:
 * the given id, RD as the sandbox asked, the question name in lowercase,
 * its type and class, and when the sandbox sent EDNS0 an OPT
 * record with its payload size clamped to 512..CCSB_DNS_EDNS_PAYLOAD, version
 * 0, the DO flag copied and no options. Returns the length, or 0 when `out`
 * is too small (CCSB_DNS_ERROR_MAX + 11 always suffices). */
size_t ccsb__dns_build_query(const struct ccsb_dns_query *q, uint16_t id, uint8_t *out,
			     size_t outlen);

/* Largest reply the sandbox's client accepts over UDP: 512, or the payload
 * size of its OPT record when larger. */
size_t ccsb__dns_udp_limit(const struct ccsb_dns_query *q);

struct ccsb_dns_addr {
	uint8_t family;	  /* AF_INET or AF_INET6 */
	bool chain;	  /* owned by the query name or a name of its CNAME chain */
	uint32_t ttl;	  /* seconds; a TTL with the top bit set reads as 0 */
	uint8_t addr[16]; /* network byte order; IPv4 in the first 4 bytes */
};

struct ccsb_dns_addrs {
	/* Every A and AAAA record of class IN in the answer section, in
	 * order, whoever owns it: only those with .chain are to be routed,
	 * but all are checked by ccsb__dns_addrs_rejected(). */
	struct ccsb_dns_addr *v;
	size_t n, cap;
	uint8_t rcode;	   /* the header's (low 4 bits) */
	bool truncated;	   /* TC=1: nothing past the question was read */
	size_t chain_len;  /* names in the chain, the query name included */
	bool chain_cut;	   /* a CNAME loop, or longer than CCSB_DNS_CHAIN_MAX */
	size_t answer_end; /* offset just past the answer section */
	bool opt;	   /* an OPT record in the additional section */
	uint16_t opt_payload;
	uint32_t opt_ttl;
};

/* Check and read an upstream answer to `q` (q->id being the id the query
 * was sent with). Returns:
 *  - 0: the answer, read into *out;
 *  - -ENOMSG: not an answer to `q`: a different id, QR=0, another opcode,
 *    QDCOUNT other than 1, or another question (name compared without
 *    regard to case, type, class);
 *  - -EBADMSG: malformed (header cut short, bad names or pointers, records
 *    cut short or past the counts, bytes after the last record, A not 4
 *    bytes or AAAA not 16 in class IN, a CNAME whose data is not exactly a
 *    name, two different CNAMEs for one name of the chain, a misplaced or
 *    repeated OPT);
 *  - -ENOMEM, -EINVAL.
 * The CNAME chain starts at the query name and follows CNAME records of
 * the answer section, in any order. `out` must be zeroed before first use;
 * its array is reused across calls; release it with ccsb__dns_addrs_free(). */
int ccsb__dns_parse_answer(const uint8_t *msg, size_t len, const struct ccsb_dns_query *q,
			   struct ccsb_dns_addrs *out);
void ccsb__dns_addrs_free(struct ccsb_dns_addrs *a);

/* Addresses no answer may give the sandbox, whatever the allowlist says:
 *   IPv4: 0.0.0.0/8, 127.0.0.0/8, 169.254.0.0/16 (link-local, with the cloud
 *         metadata 169.254.169.254), 10.0.2.0/24 (slirp4netns' network),
 *         100.100.100.200/32 (Alibaba metadata), 168.63.129.16/32 (Azure
 *         host), 224.0.0.0/4 (multicast), 240.0.0.0/4 (reserved and
 *         broadcast);
 *   IPv6: ::/96 (unspecified, loopback, IPv4-compatible), ::ffff:0:0/96 (any
 *         IPv4-mapped address: AAAA records never need one, and the kernel
 *         would route it as IPv4), 64:ff9b::/96 embedding a forbidden IPv4
 *         address, fe80::/10 (link-local), fec0::/10 (old site-local),
 *         fd00:ec2::253 and fd00:ec2::254 (AWS resolver and metadata),
 *         ff00::/8 (multicast). */
bool ccsb__dns_addr_forbidden(int family, const uint8_t *addr);
/* Private addresses: 10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16,
 * 100.64.0.0/10 (carrier-grade NAT), fc00::/7 (unique local), and
 * 64:ff9b::/96 embedding one. A public name must not open the host's
 * network; a private address is acceptable only where an address entry of
 * the allowlist covers it. */
bool ccsb__dns_addr_private(int family, const uint8_t *addr);
/* How many addresses of `a` (chain or not) the sandbox must not see:
 * forbidden ones, and private ones no prefix of `al` covers. */
size_t ccsb__dns_addrs_rejected(const struct ccsb_dns_addrs *a, const struct ccsb_allowlist *al);

/* Turn an upstream answer, accepted by ccsb__dns_parse_answer() into `a`
 * (not truncated), into the reply for the sandbox's query `client`, in place:
 * the client's id and question spelling, RD as asked, RA=1, AA=0; the answer
 * section as received; the authority and additional sections dropped; an OPT
 * record without options (payload CCSB_DNS_EDNS_PAYLOAD, upstream's extended
 * rcode and flags) when both the client and upstream used EDNS0. If that is
 * longer than `limit` (ccsb__dns_udp_limit() for UDP, CCSB_DNS_MSG_MAX for
 * TCP) the answer section goes too and TC is set. Returns the new length,
 * or 0 when `a` does not describe `msg` as such an answer. */
size_t ccsb__dns_finish_answer(uint8_t *msg, size_t len, const struct ccsb_dns_addrs *a,
			       const struct ccsb_dns_query *client, size_t limit);

/* DNS over TCP frames each message with a 2-byte length. Given the bytes
 * received so far, returns the size of the first complete frame (2 + its
 * message length) with *msg and *mlen set, or 0 when more is needed. */
size_t ccsb__dns_tcp_frame(const uint8_t *buf, size_t have, const uint8_t **msg, size_t *mlen);
/* Write the 2-byte length prefix for a message of `len` bytes (at most
 * CCSB_DNS_MSG_MAX). */
void ccsb__dns_tcp_prefix(uint8_t out[2], size_t len);

#endif
