/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libseccomp, loaded with dlopen() when first needed: only a cross build
 * compiles the seccomp filter at run time (the BPF is otherwise generated at
 * build time, seccomp.c), and only test-argv compares the two. Nothing
 * else in the library or in ccsb needs libseccomp at run time, so it is not
 * a load-time dependency.
 *
 * Include after <seccomp.h>: the functions are called through typed
 * pointers (__typeof__ of the header's declarations, so a mismatch fails to
 * compile), under their usual names. */
#ifndef CCSB_DL_H
#define CCSB_DL_H

#include "ccsandbox.h"

/* clang-format off */
#define CCSB_SECCOMP_FUNCS(X)                                                        \
	X(seccomp_arch_add) X(seccomp_export_bpf) X(seccomp_init) X(seccomp_release)    \
	X(seccomp_rule_add_array) X(seccomp_syscall_resolve_name)
/* clang-format on */

#define CCSB_DL_SLOT(f) __typeof__(f) *f;

#if defined(_SECCOMP_H)
struct ccsb__seccomp_fns {
	CCSB_SECCOMP_FUNCS(CCSB_DL_SLOT)
};
extern struct ccsb__seccomp_fns ccsb__seccomp_fns;
#endif

/* Callers use the usual names; dl.c, which fills the tables, does not. */
#ifndef CCSB_DL_IMPL
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
int ccsb__seccomp_load(ccsb_error **err);

#endif
