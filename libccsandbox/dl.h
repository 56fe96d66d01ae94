/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libnl-route-3 and libseccomp, loaded with dlopen() when first needed.
 *
 * Most runs need neither at start-up: --net=none never touches libnl, and
 * the seccomp filter is compiled only after bwrap has been spawned. Linked
 * normally, their loading and constructors cost every start ~0.3 ms before
 * bwrap could begin (libnl-route registers all of its cache types and
 * reads /etc/libnl/classid); loaded here, that work overlaps bwrap's own
 * start-up, and an embedder that never runs a network pays nothing.
 *
 * Include after <netlink/...> or <seccomp.h>: the functions are called
 * through typed pointers (__typeof__ of the headers' declarations, so a
 * mismatch fails to compile), under their usual names. */
#ifndef CCSB_DL_H
#define CCSB_DL_H

#include "ccsandbox.h"

#define CCSB_NL_FUNCS(X)                                                             \
	X(nl_addr_build) X(nl_addr_put) X(nl_addr_set_prefixlen) X(nl_cb_clone)          \
	X(nl_cb_err) X(nl_cb_put) X(nl_cb_set) X(nl_connect) X(nl_geterror)              \
	X(nl_recvmsgs) X(nl_send_auto) X(nl_socket_alloc) X(nl_socket_disable_auto_ack)  \
	X(nl_socket_disable_seq_check) X(nl_socket_free) X(nl_socket_get_cb)             \
	X(nl_socket_get_fd) X(nlmsg_alloc_simple) X(nlmsg_free) X(nlmsg_hdr)             \
	X(rtnl_addr_alloc) X(rtnl_addr_build_add_request) X(rtnl_addr_put)               \
	X(rtnl_addr_set_flags) X(rtnl_addr_set_ifindex) X(rtnl_addr_set_local)           \
	X(rtnl_addr_set_prefixlen) X(rtnl_link_alloc) X(rtnl_link_build_change_request)  \
	X(rtnl_link_put) X(rtnl_link_set_flags) X(rtnl_link_set_ifindex)                 \
	X(rtnl_link_set_mtu) X(rtnl_route_add_nexthop) X(rtnl_route_alloc)               \
	X(rtnl_route_build_add_request) X(rtnl_route_nh_alloc) X(rtnl_route_nh_free)     \
	X(rtnl_route_nh_set_gateway) X(rtnl_route_nh_set_ifindex) X(rtnl_route_put)      \
	X(rtnl_route_set_dst) X(rtnl_route_set_family) X(rtnl_route_set_scope)           \
	X(rtnl_route_set_table)

#define CCSB_SECCOMP_FUNCS(X)                                                        \
	X(seccomp_arch_add) X(seccomp_export_bpf) X(seccomp_init) X(seccomp_release)    \
	X(seccomp_rule_add_array) X(seccomp_syscall_resolve_name)

#define CCSB_DL_SLOT(f) __typeof__(f) *f;

#if defined(NETLINK_NETLINK_H_)
struct ccsb__nl_fns {
	CCSB_NL_FUNCS(CCSB_DL_SLOT)
};
extern struct ccsb__nl_fns ccsb__nl_fns;
#endif
#if defined(_SECCOMP_H)
struct ccsb__seccomp_fns {
	CCSB_SECCOMP_FUNCS(CCSB_DL_SLOT)
};
extern struct ccsb__seccomp_fns ccsb__seccomp_fns;
#endif

/* Callers use the usual names; dl.c, which fills the tables, does not. */
#ifndef CCSB_DL_IMPL
#if defined(NETLINK_NETLINK_H_)
#define nl_addr_build (*ccsb__nl_fns.nl_addr_build)
#define nl_addr_put (*ccsb__nl_fns.nl_addr_put)
#define nl_addr_set_prefixlen (*ccsb__nl_fns.nl_addr_set_prefixlen)
#define nl_cb_clone (*ccsb__nl_fns.nl_cb_clone)
#define nl_cb_err (*ccsb__nl_fns.nl_cb_err)
#define nl_cb_put (*ccsb__nl_fns.nl_cb_put)
#define nl_cb_set (*ccsb__nl_fns.nl_cb_set)
#define nl_connect (*ccsb__nl_fns.nl_connect)
#define nl_geterror (*ccsb__nl_fns.nl_geterror)
#define nl_recvmsgs (*ccsb__nl_fns.nl_recvmsgs)
#define nl_send_auto (*ccsb__nl_fns.nl_send_auto)
#define nl_socket_alloc (*ccsb__nl_fns.nl_socket_alloc)
#define nl_socket_disable_auto_ack (*ccsb__nl_fns.nl_socket_disable_auto_ack)
#define nl_socket_disable_seq_check (*ccsb__nl_fns.nl_socket_disable_seq_check)
#define nl_socket_free (*ccsb__nl_fns.nl_socket_free)
#define nl_socket_get_cb (*ccsb__nl_fns.nl_socket_get_cb)
#define nl_socket_get_fd (*ccsb__nl_fns.nl_socket_get_fd)
#define nlmsg_alloc_simple (*ccsb__nl_fns.nlmsg_alloc_simple)
#define nlmsg_free (*ccsb__nl_fns.nlmsg_free)
#define nlmsg_hdr (*ccsb__nl_fns.nlmsg_hdr)
#define rtnl_addr_alloc (*ccsb__nl_fns.rtnl_addr_alloc)
#define rtnl_addr_build_add_request (*ccsb__nl_fns.rtnl_addr_build_add_request)
#define rtnl_addr_put (*ccsb__nl_fns.rtnl_addr_put)
#define rtnl_addr_set_flags (*ccsb__nl_fns.rtnl_addr_set_flags)
#define rtnl_addr_set_ifindex (*ccsb__nl_fns.rtnl_addr_set_ifindex)
#define rtnl_addr_set_local (*ccsb__nl_fns.rtnl_addr_set_local)
#define rtnl_addr_set_prefixlen (*ccsb__nl_fns.rtnl_addr_set_prefixlen)
#define rtnl_link_alloc (*ccsb__nl_fns.rtnl_link_alloc)
#define rtnl_link_build_change_request (*ccsb__nl_fns.rtnl_link_build_change_request)
#define rtnl_link_put (*ccsb__nl_fns.rtnl_link_put)
#define rtnl_link_set_flags (*ccsb__nl_fns.rtnl_link_set_flags)
#define rtnl_link_set_ifindex (*ccsb__nl_fns.rtnl_link_set_ifindex)
#define rtnl_link_set_mtu (*ccsb__nl_fns.rtnl_link_set_mtu)
#define rtnl_route_add_nexthop (*ccsb__nl_fns.rtnl_route_add_nexthop)
#define rtnl_route_alloc (*ccsb__nl_fns.rtnl_route_alloc)
#define rtnl_route_build_add_request (*ccsb__nl_fns.rtnl_route_build_add_request)
#define rtnl_route_nh_alloc (*ccsb__nl_fns.rtnl_route_nh_alloc)
#define rtnl_route_nh_free (*ccsb__nl_fns.rtnl_route_nh_free)
#define rtnl_route_nh_set_gateway (*ccsb__nl_fns.rtnl_route_nh_set_gateway)
#define rtnl_route_nh_set_ifindex (*ccsb__nl_fns.rtnl_route_nh_set_ifindex)
#define rtnl_route_put (*ccsb__nl_fns.rtnl_route_put)
#define rtnl_route_set_dst (*ccsb__nl_fns.rtnl_route_set_dst)
#define rtnl_route_set_family (*ccsb__nl_fns.rtnl_route_set_family)
#define rtnl_route_set_scope (*ccsb__nl_fns.rtnl_route_set_scope)
#define rtnl_route_set_table (*ccsb__nl_fns.rtnl_route_set_table)
#endif
#if defined(_SECCOMP_H)
#define seccomp_arch_add (*ccsb__seccomp_fns.seccomp_arch_add)
#define seccomp_export_bpf (*ccsb__seccomp_fns.seccomp_export_bpf)
#define seccomp_init (*ccsb__seccomp_fns.seccomp_init)
#define seccomp_release (*ccsb__seccomp_fns.seccomp_release)
#define seccomp_rule_add_array (*ccsb__seccomp_fns.seccomp_rule_add_array)
#define seccomp_syscall_resolve_name (*ccsb__seccomp_fns.seccomp_syscall_resolve_name)
#endif
#endif

/* Load once (thread-safe); a failure names the library and its package. */
int ccsb__nl_load(ccsb_error **err);
int ccsb__seccomp_load(ccsb_error **err);

#endif
