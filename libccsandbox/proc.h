/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Processes and descriptors (proc.c): the one way the library starts a
 * process, and the small helpers every file used to write again. Internal;
 * tools/ that link the internal library may use it too. */
#ifndef CCSB_PROC_H
#define CCSB_PROC_H

#include "ccsandbox.h"

#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/types.h>

#define N_ELEMENTS(a) (sizeof(a) / sizeof((a)[0]))

/* Retry a system call interrupted by a signal: `expr` is evaluated again
 * while it returns -1 with errno EINTR (glibc's TEMP_FAILURE_RETRY). */
#define CCSB_RETRY(expr)                                 \
	({                                               \
		__typeof__(expr) ccsb_r_;                \
		do                                       \
			ccsb_r_ = (expr);                \
		while (ccsb_r_ == -1 && errno == EINTR); \
		ccsb_r_;                                 \
	})

/* Close *fd when open and set it to -1; errno is kept. */
void ccsb__close_fd(int *fd);
/* All n bytes to fd, through short writes and EINTR: 0, or -errno (-EIO
 * when the descriptor takes nothing). */
int ccsb__write_all(int fd, const void *p, size_t n);
/* Cleanup attributes, as bubblewrap and crun use them: the variable is
 * released when it goes out of scope. Initialise it (-1, NULL) first. */
void ccsb__freep(void *p);
void ccsb__strvp(char ***p);
#define ccsb_cleanup(f) __attribute__((cleanup(f)))
#define ccsb_autofd ccsb_cleanup(ccsb__close_fd) int
#define ccsb_autofree ccsb_cleanup(ccsb__freep)
#define ccsb_autostrv ccsb_cleanup(ccsb__strvp) char **

/* Milliseconds of CLOCK_MONOTONIC. */
int64_t ccsb__now_ms(void);

/* `name` as an executable path: itself when it holds a slash, else the
 * first regular executable file of that name in `path` (a PATH value; NULL
 * or empty: /usr/local/bin:/usr/bin:/bin). Empty PATH entries are skipped:
 * the current directory is not a place to find helpers in. 0, -ENOENT, or
 * -ENAMETOOLONG. */
int ccsb__find_program(const char *name, const char *path, char *out, size_t len);

/* A close-on-exec memfd with `len` bytes of `data`, offset 0 (bwrap's data
 * files, ccsb-net's prefixes); `what` names it in errors. */
int ccsb__memfd_data(const char *name, const void *data, size_t len, const char *what,
		     ccsb_error **err);

/* SCM_RIGHTS: ccsb__send_fds(), ccsb__recv_fds(). */
#include "fdpass.h"

/* pidfds, with the pid as fallback where the kernel has none (before 5.3):
 * a signal sent through a pidfd can never reach a process that reused the
 * pid. -errno. */
int ccsb__pidfd_open(pid_t pid);
int ccsb__proc_signal(int pidfd, pid_t pid, int sig);
/* Collect our child (waitid(P_PIDFD) when pidfd >= 0): 1 with *status set
 * (a waitpid() status), 0 while it runs (nohang), or -errno; -ECHILD when
 * something else in this process already reaped it. */
int ccsb__proc_wait(int pidfd, pid_t pid, int *status, bool nohang);
/* The same, and once collected its rusage (which holds the largest
 * ru_maxrss of the descendants it reaped) in *ru when not NULL. */
struct rusage;
int ccsb__proc_wait_ru(int pidfd, pid_t pid, int *status, bool nohang, struct rusage *ru);

/* A descriptor to put at `target` in the child (0-2 included). */
struct ccsb_fdmap {
	int src, target;
};

struct ccsb_spawn {
	const char *path; /* executable; with `search`, a name looked up on PATH */
	bool search;
	char *const *argv, *const *envp; /* envp NULL: environ */
	/* Only these descriptors and 0-2 reach the program; everything else the
	 * caller has open is closed at exec, whatever its flags. */
	const struct ccsb_fdmap *fds;
	size_t nfds;
	const sigset_t *mask; /* its signal mask; NULL: none blocked */
	/* Ignored signals are reset to default, except those not in `reset`
	 * when it is given (handlers are always reset). */
	const sigset_t *reset;
	bool setpgrp;	/* a process group of its own */
	bool pdeathsig; /* SIGKILLed when the calling thread ends */
	bool drop_caps; /* no inheritable or ambient capability */
};

/* Start a program (clone with CLONE_VM|CLONE_VFORK, as posix_spawn does:
 * nothing is copied, and the call returns once it is exec'd). Every signal
 * is blocked across the call so that no handler of the caller runs in the
 * child. Sets *pid and *pidfd (-1 on kernels without CLONE_PIDFD). A failed
 * exec is reaped and returned as -errno. */
int ccsb__spawn(const struct ccsb_spawn *sp, pid_t *pid, int *pidfd);

/* Hand over a child that is exiting (with its pidfd, owned from now on):
 * it is collected once it has, by a later ccsb__reap_late(). */
void ccsb__reap_later(pid_t pid, int pidfd);
/* Collect those handed over that have exited; never blocks. */
void ccsb__reap_late(void);
/* How many are waiting (tests). */
size_t ccsb__late_count(void);

#endif
