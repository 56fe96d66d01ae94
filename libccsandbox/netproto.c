/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The codec of the library <-> ccsb-net protocol (netproto.h). Pure. */
#include "netproto.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

size_t ccsb__netproto_request_size(size_t nprefixes)
{
	size_t max = (SIZE_MAX - sizeof(struct ccsb_netproto_request)) /
		     sizeof(struct ccsb_netproto_prefix);

	if (nprefixes > max || nprefixes > UINT32_MAX)
		return 0;
	return sizeof(struct ccsb_netproto_request) +
	       nprefixes * sizeof(struct ccsb_netproto_prefix);
}

static bool prefix_ok(const struct ccsb_netproto_prefix *p)
{
	unsigned bits = p->family == 4 ? 32 : p->family == 6 ? 128 : 0;

	if (!bits || p->len > bits || p->reserved[0] || p->reserved[1])
		return false;
	/* Bits past the length, up to the end of the record, are zero. */
	for (unsigned b = p->len; b < 128; b++)
		if ((p->addr[b / 8] >> (7 - b % 8)) & 1)
			return false;
	return true;
}

int ccsb__netproto_request_check(const void *buf, size_t n,
				 const struct ccsb_netproto_request **req,
				 const struct ccsb_netproto_prefix **prefixes, const char **why)
{
	const struct ccsb_netproto_request *r = buf;

	*why = NULL;
	if (n < sizeof(*r)) {
		*why = "the request is shorter than its header";
		return -EPROTO;
	}
	if (r->magic != CCSB_NETPROTO_MAGIC || r->version != CCSB_NETPROTO_VERSION) {
		*why = "the request is of another protocol version";
		return -EPROTO;
	}
	if (r->mode != CCSB_NETPROTO_MODE_FULL && r->mode != CCSB_NETPROTO_MODE_ALLOWLIST &&
	    r->mode != CCSB_NETPROTO_MODE_LOOPBACK) {
		*why = "unknown network mode in the request";
		return -EPROTO;
	}
	if ((r->flags & ~CCSB_NETPROTO_FLAGS) || r->reserved) {
		*why = "unknown flags in the request";
		return -EPROTO;
	}
	if (r->nports > CCSB_NETPROTO_MAX_PORTS) {
		*why = "too many host ports in the request";
		return -EPROTO;
	}
	for (unsigned i = 0; i < CCSB_NETPROTO_MAX_PORTS; i++) {
		if (i >= r->nports) {
			if (r->ports[i]) {
				*why = "a port past the count in the request";
				return -EPROTO;
			}
			continue;
		}
		if (!r->ports[i]) {
			*why = "port 0 in the request";
			return -EPROTO;
		}
		for (unsigned j = 0; j < i; j++)
			if (r->ports[j] == r->ports[i]) {
				*why = "a repeated port in the request";
				return -EPROTO;
			}
	}
	if (r->mode != CCSB_NETPROTO_MODE_ALLOWLIST && r->nprefixes) {
		*why = "prefixes in a request for the full network";
		return -EPROTO;
	}
	if (r->mode == CCSB_NETPROTO_MODE_LOOPBACK && (r->flags & ~CCSB_NETPROTO_USERNS)) {
		*why = "IPv6 or DNS in a request without a network";
		return -EPROTO;
	}
	if (ccsb__netproto_request_size(r->nprefixes) != n) {
		*why = "the request's size does not match its prefix count";
		return -EPROTO;
	}
	*prefixes = (const struct ccsb_netproto_prefix *)(r + 1);
	for (uint32_t i = 0; i < r->nprefixes; i++)
		if (!prefix_ok(&(*prefixes)[i])) {
			*why = "a malformed prefix in the request";
			return -EPROTO;
		}
	*req = r;
	return 0;
}

void ccsb__netproto_msg(struct ccsb_netproto_msg *m, enum ccsb_netproto_type type, int code,
			const char *fmt, ...)
{
	va_list ap;

	memset(m, 0, sizeof(*m));
	m->magic = CCSB_NETPROTO_MAGIC;
	m->version = CCSB_NETPROTO_VERSION;
	m->type = (uint16_t)type;
	m->code = code;
	if (fmt) {
		va_start(ap, fmt);
		vsnprintf(m->text, sizeof(m->text), fmt, ap);
		va_end(ap);
	}
}

static int bad(const char **why, const char *what)
{
	*why = what;
	return -EPROTO;
}

int ccsb__netproto_decode(const void *buf, size_t n, size_t nfds, struct ccsb_netproto_msg *out,
			  const char **why)
{
	struct ccsb_netproto_msg *m = out;

	*why = NULL;
	if (n != sizeof(*m))
		return bad(why, "a message of the wrong size");
	memcpy(m, buf, sizeof(*m));
	if (m->magic != CCSB_NETPROTO_MAGIC || m->version != CCSB_NETPROTO_VERSION)
		return bad(why, "a message of another protocol version");
	switch (m->type) {
	case CCSB_NETPROTO_PROGRESS:
		if (m->code < 1 || m->code > CCSB_NETPROTO_STEP_MAX)
			return bad(why, "progress with an unknown step");
		break;
	case CCSB_NETPROTO_WARNING:
	case CCSB_NETPROTO_ERROR:
		if (m->code <= 0 || m->code > 4095)
			return bad(why, "an error code out of range");
		break;
	case CCSB_NETPROTO_DESCRIPTORS:
	case CCSB_NETPROTO_DONE:
		if (m->code)
			return bad(why, "a code where none belongs");
		break;
	default:
		return bad(why, "a message of an unknown type");
	}
	if (m->type == CCSB_NETPROTO_DESCRIPTORS) {
		if (m->nfds < 1 || m->nfds > CCSB_NETPROTO_MAX_FDS)
			return bad(why, "a descriptor count out of range");
		if (m->nfds != nfds)
			return bad(why, "descriptors that do not match the message");
	} else if (m->nfds || nfds) {
		return bad(why, "descriptors with a message that carries none");
	}
	for (uint32_t i = 0; i < CCSB_NETPROTO_MAX_FDS; i++) {
		const struct ccsb_netproto_fd *f = &m->fds[i];

		if (i >= m->nfds) {
			if (f->role || f->family || f->port)
				return bad(why, "a descriptor role past the count");
			continue;
		}
		switch (f->role) {
		case CCSB_NETPROTO_DNS_UDP:
		case CCSB_NETPROTO_DNS_TCP:
		case CCSB_NETPROTO_RTNL:
		case CCSB_NETPROTO_NAMEBIND:
			if (f->family || f->port)
				return bad(why, "a port on a DNS or rtnetlink descriptor");
			break;
		case CCSB_NETPROTO_HOSTPORT:
			if ((f->family != 4 && f->family != 6) || !f->port)
				return bad(why, "a host-port listener without family or port");
			break;
		default:
			return bad(why, "a descriptor of an unknown role");
		}
	}
	/* The text reaches the user's terminal inside an error message. */
	m->text[sizeof(m->text) - 1] = '\0';
	for (char *p = m->text; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	return 0;
}

const char *ccsb__netproto_step_name(int step)
{
	switch (step) {
	case CCSB_NETPROTO_STEP_REQUEST:
		return "joining the sandbox's namespaces";
	case CCSB_NETPROTO_STEP_JOINED:
		return "configuring tap0 and the routes";
	case CCSB_NETPROTO_STEP_CONFIGURED:
		return "opening the sockets";
	case CCSB_NETPROTO_STEP_SOCKETS:
		return "finishing";
	default:
		return "reading the request";
	}
}
