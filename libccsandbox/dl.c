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

struct lib {
	const char *soname;  /* found through the usual search path first */
	const char *libdir;  /* then where it was at build time (Nix, /opt) */
	const char *package; /* for the error message */
	const char *purpose;
	int (*fill)(struct lib *l, void *h);
	pthread_mutex_t lock;
	int state; /* 0 not tried, 1 loaded, -errno failed */
	char error[320];
};

static void *sym(struct lib *l, void *h, const char *name)
{
	void *f = dlsym(h, name);
	if (!f)
		snprintf(l->error, sizeof(l->error), "%s has no %s(): too old for ccsb; install a "
			 "newer %s", l->soname, name, l->package);
	return f;
}

/* POSIX guarantees that dlsym()'s void * converts to a function pointer. */
#define CCSB_DL_FILL(table, f)                                             \
	if (!(table.f = (__typeof__(table.f))sym(l, h, #f)))                 \
		return -ENOSYS;
#define CCSB_DL_FILL_SECCOMP(f) CCSB_DL_FILL(ccsb__seccomp_fns, f)

static int fill_seccomp(struct lib *l, void *h)
{
	CCSB_SECCOMP_FUNCS(CCSB_DL_FILL_SECCOMP)
	return 1;
}

static struct lib seccomp_lib = {
	CCSB_SECCOMP_SONAME, CCSB_SECCOMP_LIBDIR, CCSB_SECCOMP_PACKAGE,
	"the seccomp filter (--no-seccomp turns it off)", fill_seccomp,
	PTHREAD_MUTEX_INITIALIZER, 0, ""
};

static int load(struct lib *l)
{
	/* RTLD_NOW: a missing symbol is found here, not in the middle of a
	 * sandbox's network set-up. Never closed: libnl has destructors and
	 * the pointers stay in use. */
	void *h = dlopen(l->soname, RTLD_NOW | RTLD_LOCAL);
	if (!h && l->libdir[0]) {
		char path[512];
		snprintf(path, sizeof(path), "%s/%s", l->libdir, l->soname);
		h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	}
	if (!h) {
		const char *why = dlerror();
		snprintf(l->error, sizeof(l->error), "cannot load %s, needed for %s: %s; install %s",
			 l->soname, l->purpose, why ? why : "not found", l->package);
		return -ENOENT;
	}
	return l->fill(l, h);
}

static int load_once(struct lib *l, ccsb_error **err)
{
	pthread_mutex_lock(&l->lock);
	if (l->state == 0)
		l->state = load(l);
	int st = l->state;
	pthread_mutex_unlock(&l->lock);
	if (st < 0)
		return ccsb__err(err, -st, "%s", l->error);
	return 0;
}

int ccsb__seccomp_load(ccsb_error **err)
{
	return load_once(&seccomp_lib, err);
}
