/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * probe: escape attempts that need raw system calls, for escape.sh.
 *
 * Every mode attempts one kind of attack and prints one line per attempt:
 *   DENIED <what>: <errno name>     the attack failed
 *   ESCAPED <what>: <detail>        the attack worked
 *   INFO <what>: <detail>           context, no verdict
 * and exits 0; 2 means bad usage. The arguments are chosen so that even a
 * successful call changes nothing (invalid images, flags the kernel rejects
 * after its permission check, resources closed at once): this program must
 * be harmless when run outside a sandbox too, because escape.sh runs parts
 * of it on the host as controls; "mount" refuses to run outside one.
 *
 *   probe ptrace PID         PTRACE_ATTACH + process_vm_readv on PID
 *   probe rawsock            raw IPv4/IPv6 and packet sockets
 *   probe families           socket families outside UNIX/INET/INET6/NETLINK
 *   probe module             init_module, finit_module, delete_module
 *   probe mount DIR          mount(2) and the new mount API on DIR
 *   probe kernel             bpf, perf_event_open, userfaultfd, keyctl, kexec,
 *                            reboot, swapon, acct, syslog, open_by_handle_at
 *   probe keyread DESC       find and read a "user" key called DESC
 *   probe tiocsti TEXT       push TEXT into fds 0-2 and /dev/tty with TIOCSTI
 *   probe ids                print ids, capabilities and no_new_privs
 *   probe keyexec DESC PAYLOAD CMD...
 *                            (host side) join a new session keyring, put a
 *                            "user" key DESC=PAYLOAD in it, exec CMD
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <linux/perf_event.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#ifndef AF_VSOCK
#define AF_VSOCK 40
#endif
#ifndef AF_ALG
#define AF_ALG 38
#endif
#ifndef AF_XDP
#define AF_XDP 44
#endif
#ifndef AF_KEY
#define AF_KEY 15
#endif
#ifndef AF_BLUETOOTH
#define AF_BLUETOOTH 31
#endif
#define KEY_SPEC_SESSION_KEYRING -3
#define KEYCTL_JOIN_SESSION_KEYRING 1
#define KEYCTL_READ 11

static const char *ename(int e)
{
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 32))
	const char *n = strerrorname_np(e);
	if (n)
		return n;
#endif
	return strerror(e);
}

static void denied(const char *what, int e)
{
	printf("DENIED %s: %s\n", what, ename(e));
}

/* A call that returned r (errno in e): success is an escape. */
static void verdict(const char *what, long r, int e)
{
	if (r >= 0)
		printf("ESCAPED %s: succeeded (returned %ld)\n", what, r);
	else
		denied(what, e);
}

/* A call given arguments that the kernel rejects only after its permission
 * check: any error other than "not permitted" means the check passed. */
static void verdict_perm(const char *what, long r, int e)
{
	if (r >= 0)
		printf("ESCAPED %s: succeeded (returned %ld)\n", what, r);
	else if (e == EPERM || e == EACCES || e == ENOSYS)
		denied(what, e);
	else
		printf("ESCAPED %s: passed the permission check (%s)\n", what, ename(e));
}

static void closefd(long r)
{
	if (r >= 0)
		close((int)r);
}

static int do_ptrace(pid_t pid)
{
	errno = 0;
	long r = ptrace(PTRACE_ATTACH, pid, NULL, NULL);
	int e = errno;
	if (r == 0) {
		waitpid(pid, NULL, __WALL);
		ptrace(PTRACE_DETACH, pid, NULL, NULL);
	}
	verdict("PTRACE_ATTACH", r, e);
	char buf[16];
	struct iovec local = { buf, sizeof(buf) }, remote = { (void *)0x400000, sizeof(buf) };
	r = process_vm_readv(pid, &local, 1, &remote, 1, 0);
	e = errno;
	/* EFAULT: the process was reached, only the address was wrong. */
	if (r < 0 && (e == EFAULT || e == EIO))
		printf("ESCAPED process_vm_readv: reached the process (%s)\n", ename(e));
	else
		verdict("process_vm_readv", r, e);
	r = kill(pid, 0);
	e = errno;
	verdict("kill -0", r, e);
	return 0;
}

static int do_rawsock(void)
{
	static const struct {
		int fam, type, proto;
		const char *name;
	} s[] = {
		{ AF_INET, SOCK_RAW, 1 /* ICMP */, "socket(AF_INET, SOCK_RAW, ICMP)" },
		{ AF_INET, SOCK_RAW, 255 /* RAW */, "socket(AF_INET, SOCK_RAW, IPPROTO_RAW)" },
		{ AF_INET6, SOCK_RAW, 58 /* ICMPV6 */, "socket(AF_INET6, SOCK_RAW, ICMPV6)" },
		{ AF_PACKET, SOCK_RAW, 0x0300 /* htons(ETH_P_ALL) */,
		  "socket(AF_PACKET, SOCK_RAW)" },
		{ AF_PACKET, SOCK_DGRAM, 0x0300, "socket(AF_PACKET, SOCK_DGRAM)" },
	};
	for (size_t i = 0; i < sizeof(s) / sizeof(*s); i++) {
		long r = socket(s[i].fam, s[i].type, s[i].proto);
		verdict(s[i].name, r, errno);
		closefd(r);
	}
	return 0;
}

static int do_families(void)
{
	static const struct {
		int fam, type;
		const char *name;
	} s[] = {
		{ AF_VSOCK, SOCK_STREAM, "socket(AF_VSOCK)" },
		{ AF_ALG, SOCK_SEQPACKET, "socket(AF_ALG)" },
		{ AF_KEY, SOCK_RAW, "socket(AF_KEY)" },
		{ AF_XDP, SOCK_RAW, "socket(AF_XDP)" },
		{ AF_BLUETOOTH, SOCK_RAW, "socket(AF_BLUETOOTH)" },
	};
	for (size_t i = 0; i < sizeof(s) / sizeof(*s); i++) {
		long r = socket(s[i].fam, s[i].type | SOCK_CLOEXEC, s[i].fam == AF_KEY ? 2 : 0);
		/* EAFNOSUPPORT is both the seccomp answer and a kernel without
		 * the family: either way no such socket. */
		verdict(s[i].name, r, errno);
		closefd(r);
	}
	return 0;
}

static int do_module(void)
{
	static const char image[] = "\177ELF not a module";
	long r = syscall(SYS_init_module, image, sizeof(image), "");
	verdict_perm("init_module", r, errno);
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	r = syscall(SYS_finit_module, fd, "", 0);
	verdict_perm("finit_module", r, errno);
	if (fd >= 0)
		close(fd);
	r = syscall(SYS_delete_module, "ccsb_escape_no_such_module", O_NONBLOCK);
	verdict_perm("delete_module", r, errno);
	return 0;
}

/* True inside a ccsb sandbox: its pid 1 is ccsb-exec. */
static int in_sandbox(void)
{
	char buf[64] = "";
	FILE *f = fopen("/proc/1/cmdline", "re");
	if (f) {
		if (!fgets(buf, sizeof(buf), f))
			buf[0] = '\0';
		fclose(f);
	}
	return strcmp(buf, "/run/ccsb/exec") == 0;
}

static int do_mount(const char *dir)
{
	char what[512];
	/* Remounting or detaching /usr would change a real system: only in
	 * the sandbox, where success is the escape being tested. */
	if (!in_sandbox()) {
		printf("INFO mount: not in a ccsb sandbox, nothing attempted\n");
		return 0;
	}
	long r = mount("ccsb-probe", dir, "tmpfs", 0, "size=4k");
	snprintf(what, sizeof(what), "mount tmpfs on %s", dir);
	verdict(what, r, errno);
	if (r == 0)
		umount2(dir, MNT_DETACH);
	r = mount("/usr", dir, NULL, MS_BIND, NULL);
	snprintf(what, sizeof(what), "bind-mount /usr on %s", dir);
	verdict(what, r, errno);
	if (r == 0)
		umount2(dir, MNT_DETACH);
	r = mount(NULL, "/usr", NULL, MS_REMOUNT | MS_BIND, NULL);
	verdict("remount /usr read-write", r, errno);
	r = umount2("/usr", MNT_DETACH);
	verdict("umount /usr", r, errno);
#ifdef SYS_fsopen
	r = syscall(SYS_fsopen, "tmpfs", 0);
	verdict("fsopen(tmpfs)", r, errno);
	closefd(r);
#endif
#ifdef SYS_open_tree
	r = syscall(SYS_open_tree, AT_FDCWD, "/usr", 1 /* OPEN_TREE_CLONE */ | O_CLOEXEC);
	verdict("open_tree(/usr, CLONE)", r, errno);
	closefd(r);
#endif
	return 0;
}

static int do_kernel(void)
{
	long r;
	union bpf_attr a;
	memset(&a, 0, sizeof(a));
	a.map_type = BPF_MAP_TYPE_ARRAY;
	a.key_size = 4;
	a.value_size = 4;
	a.max_entries = 1;
	r = syscall(SYS_bpf, BPF_MAP_CREATE, &a, sizeof(a));
	verdict("bpf(BPF_MAP_CREATE)", r, errno);
	closefd(r);

	struct perf_event_attr pa;
	memset(&pa, 0, sizeof(pa));
	pa.size = sizeof(pa);
	pa.type = PERF_TYPE_SOFTWARE;
	pa.config = PERF_COUNT_SW_TASK_CLOCK;
	pa.disabled = 1;
	pa.exclude_kernel = 1;
	pa.exclude_hv = 1;
	r = syscall(SYS_perf_event_open, &pa, 0, -1, -1, 0);
	verdict("perf_event_open(self)", r, errno);
	closefd(r);

#ifdef SYS_userfaultfd
	r = syscall(SYS_userfaultfd, O_CLOEXEC);
	verdict("userfaultfd", r, errno);
	closefd(r);
	r = syscall(SYS_userfaultfd, O_CLOEXEC | 1 /* UFFD_USER_MODE_ONLY */);
	verdict("userfaultfd(UFFD_USER_MODE_ONLY)", r, errno);
	closefd(r);
#endif

	r = syscall(SYS_add_key, "user", "ccsb-probe", "x", 1, -2 /* KEY_SPEC_PROCESS_KEYRING */);
	verdict("add_key", r, errno);
	r = syscall(SYS_keyctl, 0 /* KEYCTL_GET_KEYRING_ID */, KEY_SPEC_SESSION_KEYRING, 0);
	verdict("keyctl(GET_KEYRING_ID, session)", r, errno);
	r = syscall(SYS_request_key, "user", "ccsb-probe-none", NULL, 0);
	verdict_perm("request_key", r, errno);

#ifdef SYS_kexec_load
	/* Architecture bits no kernel accepts: EINVAL after the check. */
	r = syscall(SYS_kexec_load, 0, 0, NULL, 0xffff0000UL);
	verdict_perm("kexec_load", r, errno);
#endif
	/* Wrong magic: EINVAL after the capability check. */
	r = syscall(SYS_reboot, 0, 0, 0, NULL);
	verdict_perm("reboot", r, errno);
	r = syscall(SYS_swapon, "/ccsb-escape-no-such-file", 0);
	verdict_perm("swapon", r, errno);
	r = syscall(SYS_acct, "/ccsb-escape-no-such-file");
	verdict_perm("acct", r, errno);
	char log[64];
	r = syscall(SYS_syslog, 3 /* SYSLOG_ACTION_READ_ALL */, log, sizeof(log));
	verdict("syslog(READ_ALL) (kernel log)", r, errno);
	struct {
		unsigned int bytes;
		int type;
		unsigned char h[8];
	} fh = { 8, 1, { 2, 0, 0, 0, 0, 0, 0, 0 } };
	int root = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	r = syscall(SYS_open_by_handle_at, root, &fh, O_RDONLY);
	verdict_perm("open_by_handle_at", r, errno);
	closefd(r);
	if (root >= 0)
		close(root);
	return 0;
}

static int do_keyread(const char *desc)
{
	long id = syscall(SYS_request_key, "user", desc, NULL, 0);
	if (id < 0) {
		denied("find the caller's key (request_key)", errno == ENOKEY ? ENOKEY : errno);
		return 0;
	}
	char buf[256];
	long n = syscall(SYS_keyctl, KEYCTL_READ, id, buf, sizeof(buf) - 1);
	if (n < 0) {
		printf("INFO request_key: found key %ld\n", id);
		denied("read the caller's key", errno);
		return 0;
	}
	buf[n < (long)sizeof(buf) - 1 ? n : (long)sizeof(buf) - 1] = '\0';
	printf("ESCAPED read the caller's session key %s: payload '%s'\n", desc, buf);
	return 0;
}

static int do_keyexec(const char *desc, const char *payload, char **cmd)
{
	if (syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, NULL) < 0 ||
	    syscall(SYS_add_key, "user", desc, payload, strlen(payload), KEY_SPEC_SESSION_KEYRING) <
		    0) {
		fprintf(stderr, "probe keyexec: %s\n", strerror(errno));
		return 2;
	}
	execvp(cmd[0], cmd);
	fprintf(stderr, "probe keyexec: %s: %s\n", cmd[0], strerror(errno));
	return 2;
}

static int do_tiocsti(const char *text)
{
	int fds[4] = { 0, 1, 2, -1 };
	const char *names[4] = { "fd 0", "fd 1", "fd 2", "/dev/tty" };
	fds[3] = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (fds[3] < 0)
		printf("INFO open /dev/tty: %s\n", ename(errno));
	for (int i = 0; i < 4; i++) {
		if (fds[i] < 0)
			continue;
		char what[64];
		if (!isatty(fds[i])) {
			printf("INFO %s: not a terminal\n", names[i]);
			continue;
		}
		long r = 0;
		int e = 0;
		for (const char *c = text; *c && r == 0; c++) {
			r = ioctl(fds[i], TIOCSTI, c);
			e = errno;
		}
		snprintf(what, sizeof(what), "TIOCSTI on %s", names[i]);
		verdict(what, r, e);
		/* The kernel only looks at the low 32 bits of the command: a
		 * filter comparing all 64 would miss this one. */
		r = 0;
		for (const char *c = text; *c && r == 0; c++) {
			r = syscall(SYS_ioctl, fds[i], (unsigned long)TIOCSTI | (1UL << 32), c);
			e = errno;
		}
		snprintf(what, sizeof(what), "TIOCSTI|1<<32 on %s", names[i]);
		verdict(what, r, e);
	}
	return 0;
}

static void print_status_line(const char *key)
{
	FILE *f = fopen("/proc/self/status", "re");
	char line[256];
	size_t n = strlen(key);
	while (f && fgets(line, sizeof(line), f))
		if (strncmp(line, key, n) == 0 && line[n] == ':') {
			char *v = line + n + 1;
			v += strspn(v, " \t");
			v[strcspn(v, "\n")] = '\0';
			printf("%s=%s ", key, v);
		}
	if (f)
		fclose(f);
}

static int do_ids(void)
{
	uid_t r, e, s;
	getresuid(&r, &e, &s);
	printf("uid=%u euid=%u suid=%u ", (unsigned)r, (unsigned)e, (unsigned)s);
	print_status_line("CapEff");
	print_status_line("CapPrm");
	print_status_line("NoNewPrivs");
	print_status_line("Seccomp");
	printf("\n");
	return 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc < 2)
		goto usage;
	const char *m = argv[1];
	/* escape.sh runs a setuid-root copy to test nosuid: that copy only
	 * reports, it never runs anything else. */
	if ((geteuid() != getuid() || getegid() != getgid()) && strcmp(m, "ids") != 0) {
		fprintf(stderr, "probe: setuid: only 'ids' is allowed\n");
		return 2;
	}
	if (strcmp(m, "ptrace") == 0 && argc == 3)
		return do_ptrace((pid_t)atoi(argv[2]));
	if (strcmp(m, "rawsock") == 0)
		return do_rawsock();
	if (strcmp(m, "families") == 0)
		return do_families();
	if (strcmp(m, "module") == 0)
		return do_module();
	if (strcmp(m, "mount") == 0 && argc == 3)
		return do_mount(argv[2]);
	if (strcmp(m, "kernel") == 0)
		return do_kernel();
	if (strcmp(m, "keyread") == 0 && argc == 3)
		return do_keyread(argv[2]);
	if (strcmp(m, "keyexec") == 0 && argc >= 5)
		return do_keyexec(argv[2], argv[3], argv + 4);
	if (strcmp(m, "tiocsti") == 0 && argc == 3)
		return do_tiocsti(argv[2]);
	if (strcmp(m, "ids") == 0)
		return do_ids();
usage:
	fprintf(stderr,
		"usage: probe ptrace PID | rawsock | families | module | mount DIR | "
		"kernel | keyread DESC | keyexec DESC PAYLOAD CMD... | tiocsti TEXT | ids\n");
	return 2;
}
