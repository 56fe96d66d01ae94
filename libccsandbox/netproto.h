/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The protocol between the library (net.c) and ccsb-net, the program that
 * configures a sandbox's network from inside its namespaces. Self-contained
 * (libc and kernel headers only): ccsb-net does not include the library's
 * internal header. The codec (netproto.c) is pure and shared by both sides.
 *
 *   ccsb-net --protocol=VERSION
 *
 * Descriptors in the helper: 3 the channel (SOCK_SEQPACKET, both ways closed
 * at exit), 4 the sandbox's network namespace, 5 the user namespace that owns
 * it (or closed when the helper already runs in it), 6 the request (a memfd,
 * read from offset 0 to EOF). Everything else is closed before the helper
 * enters any namespace.
 *
 * The request is one struct ccsb_netproto_request followed by `nprefixes`
 * struct ccsb_netproto_prefix records, nothing else. The helper answers with
 * struct ccsb_netproto_msg datagrams, each whole and of exactly that size:
 * PROGRESS after each step (the library names the last one when the helper
 * dies or hangs), WARNING for what it could not do without failing the
 * setup, DESCRIPTORS with up to CCSB_NETPROTO_MAX_FDS sockets attached
 * (SCM_RIGHTS) and their roles, then exactly one ERROR or DONE as the last
 * message. Any other sequence is a protocol error and fails the run.
 *
 * Trust. Both programs come from the same build; the version in argv, the
 * request and every message makes a stray helper of another build fail with
 * a clear message instead of misreading records. The helper runs while the
 * sandbox's command is still held (bwrap's --block-fd): nothing of the
 * sandbox's own code runs yet, and the helper exits before it is released.
 * It joins the sandbox's user and network namespaces, so in principle it
 * holds what the sandbox can reach; the library therefore decodes its
 * messages as untrusted input (exact sizes, known types and roles, bounded
 * counts, text cut at its end and stripped of control characters, received
 * descriptors closed when they do not match the message), and that decoder
 * has a fuzz target (tests/fuzz/fuzz-netproto.c). The helper also checks the
 * request it reads; it comes from the library, which runs outside. */
#ifndef CCSB_NETPROTO_H
#define CCSB_NETPROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CCSB_NETPROTO_VERSION 2
#define CCSB_NETPROTO_MAGIC 0x6e627363u /* "csbn" in little-endian memory */

enum {
	CCSB_NETPROTO_FD_CHANNEL = 3,
	CCSB_NETPROTO_FD_NETNS = 4,
	CCSB_NETPROTO_FD_USERNS = 5,
	CCSB_NETPROTO_FD_REQUEST = 6,
};

/* ---- the request (library -> helper) ---------------------------------- */

enum ccsb_netproto_mode {
	CCSB_NETPROTO_MODE_FULL = 1,	  /* a default route via slirp */
	CCSB_NETPROTO_MODE_ALLOWLIST = 2, /* the prefixes' routes only */
	CCSB_NETPROTO_MODE_LOOPBACK = 3,  /* no tap0 (--net=none): listeners only */
};

enum {
	CCSB_NETPROTO_IPV6 = 1u << 0,	/* IPv6 on tap0 (RA off) */
	CCSB_NETPROTO_DNS = 1u << 1,	/* hand back the DNS sockets and rtnetlink */
	CCSB_NETPROTO_USERNS = 1u << 2, /* descriptor 5 is the owner to join */
	/* With DNS: make the synthetic pool (namepool.h) local, redirect TCP to
	 * it to a listener and hand that back (name-bound connections). */
	CCSB_NETPROTO_BIND_NAMES = 1u << 3,
	CCSB_NETPROTO_FLAGS = 15u,
};

/* Host ports relayed into the sandbox (--host-port). */
#define CCSB_NETPROTO_MAX_PORTS 64

struct ccsb_netproto_request {
	uint32_t magic;
	uint16_t version;
	uint16_t mode; /* enum ccsb_netproto_mode */
	uint32_t flags;
	uint32_t nprefixes;
	uint16_t nports;
	uint16_t reserved; /* 0 */
	/* Listeners the helper opens on the sandbox's loopback (127.0.0.1, and
	 * ::1 when it can): ports[0..nports), each 1-65535, no repeats. */
	uint16_t ports[CCSB_NETPROTO_MAX_PORTS];
};

struct ccsb_netproto_prefix {
	uint8_t family; /* 4 or 6 (not AF_*: the record does not depend on libc) */
	uint8_t len;	/* prefix length */
	uint8_t reserved[2];
	uint8_t addr[16]; /* network byte order; bits past `len` are zero */
};

_Static_assert(sizeof(struct ccsb_netproto_request) == 148, "request layout");
_Static_assert(sizeof(struct ccsb_netproto_prefix) == 20, "prefix layout");

/* The size of a request with n prefixes; 0 when it would overflow. */
size_t ccsb__netproto_request_size(size_t nprefixes);
/* Check a request read whole into buf[0..n): header, flags, ports, exact size
 * and every prefix (family, length, no host bits). On success *prefixes
 * points into buf. 0, or -EPROTO with a reason in *why (static). */
int ccsb__netproto_request_check(const void *buf, size_t n,
				 const struct ccsb_netproto_request **req,
				 const struct ccsb_netproto_prefix **prefixes, const char **why);

/* ---- messages (helper -> library) ------------------------------------- */

enum ccsb_netproto_type {
	CCSB_NETPROTO_PROGRESS = 1,    /* code: enum ccsb_netproto_step */
	CCSB_NETPROTO_WARNING = 2,     /* code: positive errno */
	CCSB_NETPROTO_ERROR = 3,       /* code: positive errno, last message */
	CCSB_NETPROTO_DESCRIPTORS = 4, /* nfds sockets attached */
	CCSB_NETPROTO_DONE = 5,	       /* last message */
};

enum ccsb_netproto_step {
	CCSB_NETPROTO_STEP_REQUEST = 1, /* request read and checked */
	CCSB_NETPROTO_STEP_JOINED,	/* in the sandbox's namespaces */
	CCSB_NETPROTO_STEP_CONFIGURED,	/* tap0 up, addresses and routes in */
	CCSB_NETPROTO_STEP_SOCKETS,	/* listeners open */
	CCSB_NETPROTO_STEP_MAX = CCSB_NETPROTO_STEP_SOCKETS,
};

enum ccsb_netproto_role {
	CCSB_NETPROTO_DNS_UDP = 1,  /* 127.0.0.1:53, UDP */
	CCSB_NETPROTO_DNS_TCP = 2,  /* 127.0.0.1:53, TCP, listening */
	CCSB_NETPROTO_RTNL = 3,	    /* NETLINK_ROUTE acting in the sandbox's netns */
	CCSB_NETPROTO_HOSTPORT = 4, /* a --host-port listener on the sandbox's loopback */
	CCSB_NETPROTO_NAMEBIND = 5, /* the name-bound connections' listener (127.0.0.1) */
	CCSB_NETPROTO_ROLE_MAX = CCSB_NETPROTO_NAMEBIND,
};

#define CCSB_NETPROTO_MAX_FDS 8
#define CCSB_NETPROTO_TEXT 200

struct ccsb_netproto_fd {
	uint8_t role;	/* enum ccsb_netproto_role */
	uint8_t family; /* 4 or 6 (HOSTPORT), else 0 */
	uint16_t port;	/* HOSTPORT: the port, else 0 */
};

struct ccsb_netproto_msg {
	uint32_t magic;
	uint16_t version;
	uint16_t type; /* enum ccsb_netproto_type */
	int32_t code;
	uint32_t nfds; /* DESCRIPTORS only, 1..CCSB_NETPROTO_MAX_FDS */
	struct ccsb_netproto_fd fds[CCSB_NETPROTO_MAX_FDS];
	char text[CCSB_NETPROTO_TEXT]; /* NUL-terminated */
};

_Static_assert(sizeof(struct ccsb_netproto_msg) == 248, "message layout");

/* A message with its text formatted (cut to fit). */
void ccsb__netproto_msg(struct ccsb_netproto_msg *m, enum ccsb_netproto_type type, int code,
			const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* Check a received datagram buf[0..n) that came with `nfds` descriptors,
 * and copy it to *out with its text terminated and control characters
 * replaced by '?'. 0, or -EPROTO with a reason in *why (static). The caller
 * closes the descriptors on error. */
int ccsb__netproto_decode(const void *buf, size_t n, size_t nfds, struct ccsb_netproto_msg *out,
			  const char **why);
/* What the helper is doing once `step` is the last step it reported
 * ("configuring tap0 and the routes"); 0: none yet. */
const char *ccsb__netproto_step_name(int step);

#endif
