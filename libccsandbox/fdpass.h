/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Descriptors over a Unix socket (SCM_RIGHTS), written once: for the
 * library (net.c) and the helpers (ccsb-net), which link nothing else of
 * the library. libc only. */
#ifndef CCSB_FDPASS_H
#define CCSB_FDPASS_H

#include <stddef.h>
#include <sys/types.h>

/* The most descriptors one message carries. */
#define CCSB_FDPASS_MAX 16

/* Send `len` bytes of `buf` with fds[0..n) attached (n <= CCSB_FDPASS_MAX;
 * no SIGPIPE). Returns the bytes sent or -errno. */
ssize_t ccsb__send_fds(int sock, const void *buf, size_t len, const int *fds, size_t n);
/* Receive one message: up to `len` bytes into `buf`, its descriptors
 * (close-on-exec) into fds[0..*nfds), at most `max`, those beyond closed.
 * *flags (may be NULL) gets recvmsg()'s msg_flags (MSG_TRUNC, MSG_CTRUNC).
 * Returns the bytes received (0 at EOF) or -errno. */
ssize_t ccsb__recv_fds(int sock, void *buf, size_t len, int *fds, size_t max, size_t *nfds,
		       int *flags);

#endif
