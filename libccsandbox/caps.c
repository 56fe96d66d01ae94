/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Inheritable and ambient capabilities: the ones a process passes on
 * across execve(). ccsb needs none of them; clearing both means that no
 * program it starts (bwrap, slirp4netns) can inherit a capability. */
#include "internal.h"

#include <errno.h>
#include <linux/capability.h>
#ifndef CCSB_STATIC_TOOL
#include <sys/capability.h>
#endif
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifdef CCSB_STATIC_TOOL
/* ccsb linked statically (with musl) has no libcap: the raw calls below,
 * which the library also uses in a vfork()ed child. */
CCSB_EXPORT int ccsb_caps_drop_inheritable(ccsb_error **err)
{
	int r = ccsb__caps_drop_inheritable_raw();
	return r < 0 ? ccsb__errno(err, -r,
				   "cannot clear the inheritable and ambient "
				   "capabilities")
		     : 0;
}
#else
CCSB_EXPORT int ccsb_caps_drop_inheritable(ccsb_error **err)
{
	cap_t caps = cap_get_proc();
	if (!caps)
		return ccsb__errno(err, errno, "cannot read the process capabilities");
	if (cap_clear_flag(caps, CAP_INHERITABLE) < 0 || cap_set_proc(caps) < 0) {
		int e = errno;
		cap_free(caps);
		return ccsb__errno(err, e, "cannot clear the inheritable capabilities");
	}
	cap_free(caps);
	/* EINVAL: a kernel older than 4.3 has no ambient set to clear. */
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
		return ccsb__errno(err, errno, "cannot clear the ambient capabilities");
	return 0;
}
#endif

/* After fork(): no malloc, so raw capget/capset. */
int ccsb__caps_drop_inheritable_raw(void)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];
	if (syscall(SYS_capget, &hdr, data) < 0)
		return -errno;
	bool any = false;
	for (int i = 0; i < _LINUX_CAPABILITY_U32S_3; i++) {
		any |= data[i].inheritable != 0;
		data[i].inheritable = 0;
	}
	if (any && syscall(SYS_capset, &hdr, data) < 0)
		return -errno;
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
		return -errno;
	return 0;
}
