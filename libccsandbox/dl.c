/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* dlopen() of libseccomp for cross builds: see dl.h. */
#define CCSB_DL_IMPL
#include "internal.h"

#include <seccomp.h>

#include "dl.h"

#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>

struct ccsb__seccomp_fns ccsb__seccomp_fns;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static int state;	/* 0 not tried, 1 loaded, -errno failed */
static char error[320]; /* why, when it failed */

/* POSIX guarantees that dlsym()'s void * converts to a function pointer. */
#define CCSB_DL_FILL(f)                                                               \
	if (!(ccsb__seccomp_fns.f = (__typeof__(ccsb__seccomp_fns.f))dlsym(h, #f))) { \
		snprintf(error, sizeof(error),                                        \
			 "%s has no %s(): too old for ccsb; install a "               \
			 "newer %s",                                                  \
			 CCSB_SECCOMP_SONAME, #f, CCSB_SECCOMP_PACKAGE);              \
		return -ENOSYS;                                                       \
	}

static int load(void)
{
	/* RTLD_NOW: a missing symbol is found here. Never closed: the pointers
	 * stay in use. The soname through the usual search path first, then
	 * where it was at build time (Nix, /opt). */
	void *h = dlopen(CCSB_SECCOMP_SONAME, RTLD_NOW | RTLD_LOCAL);
	if (!h && CCSB_SECCOMP_LIBDIR[0]) {
		char path[512];
		snprintf(path, sizeof(path), "%s/%s", CCSB_SECCOMP_LIBDIR, CCSB_SECCOMP_SONAME);
		h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	}
	if (!h) {
		const char *why = dlerror();
		snprintf(error, sizeof(error),
			 "cannot load %s, needed for the seccomp filter "
			 "(--no-seccomp turns it off): %s; install %s",
			 CCSB_SECCOMP_SONAME, why ? why : "not found", CCSB_SECCOMP_PACKAGE);
		return -ENOENT;
	}
	CCSB_SECCOMP_FUNCS(CCSB_DL_FILL)
	return 1;
}

int ccsb__seccomp_load(ccsb_error **err)
{
	pthread_mutex_lock(&lock);
	if (state == 0)
		state = load();
	int st = state;
	pthread_mutex_unlock(&lock);
	if (st < 0)
		return ccsb__err(err, -st, "%s", error);
	return 0;
}
