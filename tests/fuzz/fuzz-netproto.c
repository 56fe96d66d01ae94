/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer target: any bytes through the ccsb-net protocol codec and the
 * rtnetlink answer reader. The first byte is the number of descriptors said
 * to come with a message; the rest is one message, one request and one
 * netlink answer. Beyond crashes, checks what net.c relies on: a decoded
 * message has a known type, as many descriptors as received, known roles
 * within the count and a terminated text without control characters; an
 * accepted request's prefixes lie inside the buffer; the answer reader
 * always moves forward and stays inside what it was given. */
#include "netproto.h"
#include "rtnl.h"
#include "fuzz.h"

#include <errno.h>
#include <string.h>

static void one_msg(const uint8_t *d, size_t n, size_t nfds)
{
	struct ccsb_netproto_msg m;
	const char *why = NULL;
	int r = ccsb__netproto_decode(d, n, nfds, &m, &why);

	if (r < 0) {
		check(r == -EPROTO && why, "decode error has a reason");
		return;
	}
	check(n == sizeof(m), "only whole messages decode");
	check(m.type >= CCSB_NETPROTO_PROGRESS && m.type <= CCSB_NETPROTO_DONE, "known type");
	check(m.type == CCSB_NETPROTO_DESCRIPTORS
		      ? m.nfds == nfds && nfds >= 1 && nfds <= CCSB_NETPROTO_MAX_FDS
		      : nfds == 0 && m.nfds == 0,
	      "descriptor count matches");
	for (uint32_t i = 0; i < m.nfds; i++)
		check(m.fds[i].role >= CCSB_NETPROTO_DNS_UDP &&
			      m.fds[i].role <= CCSB_NETPROTO_ROLE_MAX,
		      "known role");
	check(memchr(m.text, '\0', sizeof(m.text)) != NULL, "text terminated");
	check(printable(m.text), "text printable");
	if (m.type == CCSB_NETPROTO_PROGRESS)
		check(ccsb__netproto_step_name(m.code) != NULL, "step named");
}

static void one_request(const uint8_t *d, size_t n)
{
	const struct ccsb_netproto_request *req = NULL;
	const struct ccsb_netproto_prefix *p = NULL;
	const char *why = NULL;
	/* Aligned copy, as the helper reads it into a malloc'ed buffer. */
	void *buf = malloc(n ? n : 1);

	memcpy(buf, d, n);
	if (ccsb__netproto_request_check(buf, n, &req, &p, &why) == 0) {
		check(req == buf && ccsb__netproto_request_size(req->nprefixes) == n,
		      "accepted request is whole");
		check(req->nports <= CCSB_NETPROTO_MAX_PORTS, "port count bounded");
		for (uint32_t i = 0; i < req->nprefixes; i++)
			check(p[i].family == 4 ? p[i].len <= 32
					       : p[i].family == 6 && p[i].len <= 128,
			      "accepted prefix valid");
	} else {
		check(why != NULL, "request error has a reason");
	}
	free(buf);
}

static void one_answer(const uint8_t *d, size_t n)
{
	void *buf = malloc(n ? n : 1);
	size_t off = 0, last = 0;
	uint32_t seq;
	int e, r;

	memcpy(buf, d, n);
	while ((r = ccsb__rtnl_next_ack(buf, n, &off, &seq, &e)) > 0) {
		check(off > last && off <= n, "answer reader moves forward inside");
		check(e >= 0 && e <= 4095, "error is a positive errno or 0");
		last = off;
	}
	check(r == 0 || r == -EBADMSG, "answer reader result");
	free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	size_t nfds = data[0] % 10;
	data++;
	size--;
	one_msg(data, size, nfds);
	if (size >= sizeof(struct ccsb_netproto_msg))
		one_msg(data, sizeof(struct ccsb_netproto_msg), nfds);
	one_request(data, size);
	one_answer(data, size);
	return 0;
}
