/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef CCSB_NET_NFT_H
#define CCSB_NET_NFT_H

#include <stddef.h>

/* In the sandbox's network namespace: make the synthetic address pool
 * (namepool.h) local, open the relay's listener and redirect TCP to the
 * pool there. 0 with *listener set, or -errno with a message in msg. */
int ccsb_net_bind_names(int *listener, char *msg, size_t len);

#endif
