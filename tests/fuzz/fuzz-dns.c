/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer target: any bytes through the DNS codec, as a query from the
 * sandbox and as an upstream answer (to a fixed query, behind a fixed valid
 * question so that the records are reached, to a query parsed from the
 * first half of the input, and as two TCP frames, a query and its answer). Beyond crashes, checks what the resolver relies
 * on: only the documented results, local replies that read back as answers,
 * rebuilt queries that parse to the same question, text names that are
 * unambiguous, and replies to the sandbox that keep the accepted answer. */
#include "dns.h"
#include "fuzz.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

static struct ccsb_allowlist allow;
static struct ccsb_dns_query fixed;
static struct ccsb_dns_addrs addrs, again;

static void setup(void)
{
	static bool done;
	if (done)
		return;
	done = true;
	check(ccsb__allowlist_add_name(&allow, "*.example.test") == 0 &&
		      ccsb__allowlist_add_name(&allow, "api.example.org") == 0,
	      "allowlist");
	ccsb__allowlist_merge(&allow);
	static const uint8_t q[] = { 0x4a, 0x2f, 0x01, 0x00, 0,	  1,   0,   0,	 0,   0,   0,	0,
				     3,	   'w',	 'w',  'w',  7,	  'e', 'x', 'a', 'm', 'p', 'l', 'e',
				     4,	   't',	 'e',  's',  't', 0,   0,   1,	 0,   1 };
	check(ccsb__dns_parse_query(q, sizeof(q), &fixed) == 0, "fixed query");
}

static uint8_t *dup_exact(const uint8_t *d, size_t n)
{
	uint8_t *c = malloc(n ? n : 1);
	check(c != NULL, "malloc");
	if (n)
		memcpy(c, d, n);
	return c;
}

static void check_text(const struct ccsb_dns_query *q)
{
	size_t n = strlen(q->qname);
	check(n < sizeof(q->qname), "text fits");
	check(q->qwire_len >= 1 && q->qwire_len <= CCSB_DNS_NAME_WIRE_MAX &&
		      q->qwire[q->qwire_len - 1] == 0,
	      "wire name ends at the root");
	for (size_t i = 0; i < n; i++) {
		char c = q->qname[i];
		bool plain = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
			     c == '_' || c == '.';
		if (c == '\\') {
			check(i + 3 < n + 1 && q->qname[i + 1] >= '0' && q->qname[i + 1] <= '2',
			      "escape is \\DDD");
			i += 3;
			continue;
		}
		check(plain, "text is lowercase letters, digits, '-', '_', '.', escapes");
	}
	check(n == 0 || (q->qname[0] != '.' && q->qname[n - 1] != '.'), "no dot at the ends");
}

/* Answer `msg` to `q`: results, then the reply to the sandbox. */
static void answer_case(const uint8_t *msg, size_t len, const struct ccsb_dns_query *q)
{
	uint8_t *m = dup_exact(msg, len);
	int r = ccsb__dns_parse_answer(m, len, q, &addrs);
	check(r == 0 || r == -ENOMSG || r == -EBADMSG || r == -ENOMEM, "answer result");
	if (r != 0) {
		free(m);
		return;
	}
	check(addrs.answer_end <= len, "answer end inside");
	check(addrs.rcode <= 15, "rcode");
	size_t an = (size_t)m[6] << 8 | m[7];
	check(addrs.truncated ? addrs.n == 0 : addrs.n <= an, "at most one address a record");
	check(addrs.truncated || (addrs.chain_len >= 1 && addrs.chain_len <= CCSB_DNS_CHAIN_MAX),
	      "chain length");
	for (size_t i = 0; i < addrs.n; i++)
		check(addrs.v[i].family == AF_INET || addrs.v[i].family == AF_INET6, "family");
	check(ccsb__dns_addrs_rejected(&addrs, &allow) <= addrs.n, "rejected count");
	if (addrs.truncated) {
		free(m);
		return;
	}

	/* The reply keeps the answer section and reads back the same. */
	size_t n_before = addrs.n, chain_before = addrs.chain_len;
	bool cut_before = addrs.chain_cut;
	size_t limits[2] = { ccsb__dns_udp_limit(q), CCSB_DNS_MSG_MAX };
	for (int k = 0; k < 2; k++) {
		uint8_t *c = dup_exact(m, len);
		size_t n = ccsb__dns_finish_answer(c, len, &addrs, q, limits[k]);
		check(n > 0, "an accepted answer can be finished");
		check(n <= limits[k] && n <= len, "reply within the limit and the message");
		uint8_t *e = dup_exact(c, n);
		r = ccsb__dns_parse_answer(e, n, q, &again);
		check(r == 0, "the reply parses as an answer to the client");
		if (again.truncated) {
			check(n < addrs.answer_end + 11, "TC only when too long");
		} else {
			check(again.n == n_before && again.chain_len == chain_before &&
				      again.chain_cut == cut_before,
			      "the reply gives the same addresses and chain");
			for (size_t i = 0; i < again.n; i++)
				check(memcmp(&again.v[i], &addrs.v[i], sizeof(again.v[i])) == 0,
				      "same address records");
			check(((size_t)e[8] << 8 | e[9]) == 0, "no authority section");
		}
		free(e);
		free(c);
	}
	free(m);
}

static void query_case(const uint8_t *data, size_t size)
{
	struct ccsb_dns_query q;
	uint8_t *m = dup_exact(data, size);
	int r = ccsb__dns_parse_query(m, size, &q);
	check(r == 0 || r == CCSB_DNS_DROP || r == -CCSB_DNS_FORMERR || r == -CCSB_DNS_NOTIMP,
	      "query result");
	check(r == CCSB_DNS_DROP || size >= 2, "short messages dropped");

	uint8_t out[CCSB_DNS_ERROR_MAX];
	int rcode = r < 0 && r != CCSB_DNS_DROP ? -r : CCSB_DNS_REFUSED;
	size_t n = ccsb__dns_build_error(m, size, rcode, out, sizeof(out));
	check(size < 2 ? n == 0 : n >= CCSB_DNS_HEADER_LEN, "a reply whenever there is an id");
	if (n) {
		struct ccsb_dns_query back;
		uint8_t *e = dup_exact(out, n);
		check(ccsb__dns_parse_query(e, n, &back) == CCSB_DNS_DROP, "replies are dropped");
		if (r == 0) {
			check(ccsb__dns_parse_answer(e, n, &q, &addrs) == 0 && addrs.n == 0 &&
				      addrs.rcode == rcode,
			      "the reply answers the query");
		}
		free(e);
	}
	if (r != 0) {
		free(m);
		return;
	}
	check_text(&q);
	int v = ccsb__dns_query_verdict(&q, &allow);
	check(v == 0 || v == CCSB_DNS_REFUSED, "verdict");
	if (v == 0) {
		size_t l = strlen(q.qname);
		check(!strchr(q.qname, '\\'), "only plain names forwarded");
		check(strcmp(q.qname, "api.example.org") == 0 ||
			      (l > 13 && strcmp(q.qname + l - 13, ".example.test") == 0),
		      "only allowlisted names forwarded");
	}

	uint8_t fwd[CCSB_DNS_ERROR_MAX + 11];
	n = ccsb__dns_build_query(&q, 0xbeef, fwd, sizeof(fwd));
	check(n > 0, "a parsed query can be rebuilt");
	struct ccsb_dns_query b;
	uint8_t *f = dup_exact(fwd, n);
	check(ccsb__dns_parse_query(f, n, &b) == 0, "the rebuilt query parses");
	check(b.id == 0xbeef && b.qtype == q.qtype && b.qclass == q.qclass &&
		      b.qwire_len == q.qwire_len && strcmp(b.qname, q.qname) == 0 &&
		      b.edns == q.edns,
	      "the rebuilt query asks the same");
	for (size_t i = 0; i < b.qwire_len; i++)
		check(!(b.qwire[i] >= 'A' && b.qwire[i] <= 'Z'), "forwarded in lowercase");
	free(f);
	free(m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	setup();
	query_case(data, size);

	/* As is, against the fixed query. */
	answer_case(data, size, &fixed);

	/* Behind a valid response header and the fixed question; the input
	 * gives the three record counts and the records. */
	if (size >= 6 && size <= CCSB_DNS_MSG_MAX - 34) {
		uint8_t *m = malloc(34 + size - 6);
		check(m != NULL, "malloc");
		static const uint8_t head[34] = { 0x4a, 0x2f, 0x81, 0x80, 0,   1,   0,	 0,   0,
						  0,	0,    0,    3,	  'w', 'w', 'w', 7,   'e',
						  'x',	'a',  'm',  'p',  'l', 'e', 4,	 't', 'e',
						  's',	't',  0,    0,	  1,   0,   1 };
		memcpy(m, head, sizeof(head));
		memcpy(m + 6, data, 6);
		m[2] = (uint8_t)(0x80 | (data[0] & 0x07)); /* QR, keep AA/TC/RD from the input */
		memcpy(m + 34, data + 6, size - 6);
		answer_case(m, 34 + size - 6, &fixed);
		free(m);
	}

	/* First half a query, second half an answer to it. */
	size_t half = size / 2;
	struct ccsb_dns_query q;
	uint8_t *h = dup_exact(data, half);
	if (ccsb__dns_parse_query(h, half, &q) == 0)
		answer_case(data + half, size - half, &q);
	free(h);

	/* As a TCP stream: a query frame, then an answer frame. */
	const uint8_t *msg, *msg2;
	size_t mlen, mlen2, used = ccsb__dns_tcp_frame(data, size, &msg, &mlen);
	check(used == 0 || (used == mlen + 2 && used <= size && msg == data + 2), "TCP frame");
	if (used) {
		size_t used2 = ccsb__dns_tcp_frame(data + used, size - used, &msg2, &mlen2);
		uint8_t *f = dup_exact(msg, mlen);
		if (used2 && ccsb__dns_parse_query(f, mlen, &q) == 0)
			answer_case(msg2, mlen2, &q);
		free(f);
	}
	return 0;
}
