/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* io_uring probe, raw system calls (no liburing): set up a ring and submit
 * one IORING_OP_SOCKET for an address family that seccomp's socket() rule
 * refuses (AF_VSOCK by default, or argv[1]). Prints one line per step:
 *   setup: OK | <strerror>
 *   socket <family>: OK fd=N | <strerror>
 * io_uring runs the operation from shared memory, so a filter on socket()
 * never sees it: only refusing io_uring itself closes that path. */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/io_uring.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef __NR_io_uring_setup
#define __NR_io_uring_setup 425
#endif
#ifndef __NR_io_uring_enter
#define __NR_io_uring_enter 426
#endif
/* IORING_OP_SOCKET is in the enum since Linux 5.19 headers. */
#define OP_SOCKET 45

int main(int argc, char **argv)
{
	int family = argc > 1 ? atoi(argv[1]) : 40; /* AF_VSOCK */
	struct io_uring_params p;
	memset(&p, 0, sizeof(p));
	setvbuf(stdout, NULL, _IOLBF, 0);
	int fd = (int)syscall(__NR_io_uring_setup, 4, &p);
	if (fd < 0) {
		printf("setup: %s\n", strerror(errno));
		return 0;
	}
	printf("setup: OK\n");
	size_t sqsz = p.sq_off.array + p.sq_entries * sizeof(unsigned);
	size_t cqsz = p.cq_off.cqes + p.cq_entries * sizeof(struct io_uring_cqe);
	char *sq = mmap(NULL, sqsz, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd,
			IORING_OFF_SQ_RING);
	char *cq = mmap(NULL, cqsz, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd,
			IORING_OFF_CQ_RING);
	struct io_uring_sqe *sqes =
		mmap(NULL, p.sq_entries * sizeof(struct io_uring_sqe), PROT_READ | PROT_WRITE,
		     MAP_SHARED | MAP_POPULATE, fd, IORING_OFF_SQES);
	if (sq == MAP_FAILED || cq == MAP_FAILED || sqes == MAP_FAILED) {
		printf("socket %d: mmap: %s\n", family, strerror(errno));
		return 0;
	}
	unsigned *tail = (unsigned *)(sq + p.sq_off.tail);
	unsigned *mask = (unsigned *)(sq + p.sq_off.ring_mask);
	unsigned *array = (unsigned *)(sq + p.sq_off.array);
	unsigned t = *tail, i = t & *mask;
	memset(&sqes[i], 0, sizeof(sqes[i]));
	sqes[i].opcode = OP_SOCKET;
	sqes[i].fd = family;
	sqes[i].off = SOCK_STREAM;
	sqes[i].len = 0;
	array[i] = i;
	__atomic_store_n(tail, t + 1, __ATOMIC_RELEASE);
	if (syscall(__NR_io_uring_enter, fd, 1, 1, IORING_ENTER_GETEVENTS, NULL, 0) < 0) {
		printf("socket %d: enter: %s\n", family, strerror(errno));
		return 0;
	}
	unsigned *chead = (unsigned *)(cq + p.cq_off.head);
	unsigned *cmask = (unsigned *)(cq + p.cq_off.ring_mask);
	struct io_uring_cqe *cqes = (struct io_uring_cqe *)(cq + p.cq_off.cqes);
	struct io_uring_cqe *c = &cqes[*chead & *cmask];
	if (c->res < 0)
		printf("socket %d: %s\n", family, strerror(-c->res));
	else
		printf("socket %d: OK fd=%d\n", family, c->res);
	return 0;
}
