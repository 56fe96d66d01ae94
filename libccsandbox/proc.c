/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Processes and descriptors: the spawn primitive, pidfds, SCM_RIGHTS, and
 * the small helpers (proc.h). */
#include "internal.h"
#include "proc.h"

#include <fcntl.h>
#include <pthread.h>
#include <linux/close_range.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef CLONE_PIDFD
#define CLONE_PIDFD 0x00001000
#endif
#ifndef P_PIDFD
#define P_PIDFD 3
#endif

extern char **environ;

void ccsb__close_fd(int *fd)
{
	if (*fd >= 0) {
		int e = errno;
		close(*fd);
		errno = e;
	}
	*fd = -1;
}

int ccsb__write_all(int fd, const void *p, size_t n)
{
	const char *c = p;
	while (n) {
		ssize_t w = CCSB_RETRY(write(fd, c, n));
		if (w <= 0)
			return w < 0 ? -errno : -EIO;
		c += w;
		n -= (size_t)w;
	}
	return 0;
}

void ccsb__freep(void *p)
{
	free(*(void **)p);
}

void ccsb__strvp(char ***p)
{
	ccsb__strv_free(*p);
}

int64_t ccsb__now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int ccsb__find_program(const char *name, const char *path, char *out, size_t len)
{
	if (strchr(name, '/')) {
		if (snprintf(out, len, "%s", name) >= (int)len)
			return -ENAMETOOLONG;
		return access(out, X_OK) == 0 ? 0 : -errno;
	}
	if (!path || !*path)
		path = "/usr/local/bin:/usr/bin:/bin";
	for (const char *p = path; *p;) {
		size_t n = strcspn(p, ":");
		struct stat st;
		if (n && snprintf(out, len, "%.*s/%s", (int)n, p, name) < (int)len &&
		    stat(out, &st) == 0 && S_ISREG(st.st_mode) && access(out, X_OK) == 0)
			return 0;
		p += n + (p[n] == ':');
	}
	out[0] = '\0';
	return -ENOENT;
}

int ccsb__memfd_data(const char *name, const void *data, size_t len, const char *what,
		     ccsb_error **err)
{
	int fd = memfd_create(name, MFD_CLOEXEC);
	if (fd < 0)
		return ccsb__errno(err, errno, "memfd_create");
	for (size_t off = 0; off < len;) {
		ssize_t w = CCSB_RETRY(pwrite(fd, (const char *)data + off, len - off, (off_t)off));
		if (w <= 0) {
			int e = w < 0 ? errno : EIO;
			close(fd);
			return ccsb__errno(err, e, "writing %s", what);
		}
		off += (size_t)w;
	}
	return fd;
}

int ccsb__pidfd_open(pid_t pid)
{
	int fd = (int)syscall(SYS_pidfd_open, pid, 0);
	return fd < 0 ? -errno : fd;
}

int ccsb__proc_signal(int pidfd, pid_t pid, int sig)
{
	if (pidfd >= 0)
		return syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0) < 0 ? -errno : 0;
	/* kill(-1) or kill(0) would signal every process of the user, or our
	 * own group. */
	if (pid <= 0)
		return -ESRCH;
	return kill(pid, sig) < 0 ? -errno : 0;
}

int ccsb__proc_wait(int pidfd, pid_t pid, int *status, bool nohang)
{
	return ccsb__proc_wait_ru(pidfd, pid, status, nohang, NULL);
}

int ccsb__proc_wait_ru(int pidfd, pid_t pid, int *status, bool nohang, struct rusage *ru)
{
	siginfo_t si;
	int opts = WEXITED | (nohang ? WNOHANG : 0);
	memset(&si, 0, sizeof(si));
	/* The system call, not glibc's waitid(): only it fills a rusage. */
	int r = pidfd >= 0 ? CCSB_RETRY(syscall(SYS_waitid, P_PIDFD, pidfd, &si, opts, ru))
			   : CCSB_RETRY(syscall(SYS_waitid, P_PID, pid, &si, opts, ru));
	if (r < 0)
		return -errno;
	if (si.si_pid == 0)
		return 0;
	if (status) {
		if (si.si_code == CLD_EXITED)
			*status = (si.si_status & 0xff) << 8;
		else
			*status = (si.si_status & 0x7f) | (si.si_code == CLD_DUMPED ? 0x80 : 0);
	}
	return 1;
}

struct spawn_ctx {
	const struct ccsb_spawn *sp;
	struct ccsb_fdmap *moved; /* sp->fds, sources moved above every target */
	pid_t parent;
	volatile int exec_errno;
};

/* In the child: fd map, signals, then exec. It shares the caller's memory
 * until exec: system calls only, no malloc, no stdio. */
static void child_signals(const struct ccsb_spawn *sp)
{
	for (int sig = 1; sig < NSIG; sig++) {
		struct sigaction sa;
		if (sig == SIGKILL || sig == SIGSTOP || sigaction(sig, NULL, &sa) < 0)
			continue;
		if (sa.sa_handler == SIG_DFL)
			continue;
		if (sa.sa_handler == SIG_IGN && sp->reset && !sigismember(sp->reset, sig))
			continue;
		struct sigaction dfl = { .sa_handler = SIG_DFL };
		sigaction(sig, &dfl, NULL);
	}
}

static int child_fds(struct spawn_ctx *c)
{
	const struct ccsb_spawn *sp = c->sp;
	int above = 3;
	for (size_t i = 0; i < sp->nfds; i++)
		if (sp->fds[i].target >= above)
			above = sp->fds[i].target + 1;
	/* Copies above every target first, so that no dup2() clobbers a
	 * source not yet placed. */
	for (size_t i = 0; i < sp->nfds; i++) {
		c->moved[i].target = sp->fds[i].target;
		c->moved[i].src =
			sp->fds[i].src < 0 ? -1 : fcntl(sp->fds[i].src, F_DUPFD_CLOEXEC, above);
		if (sp->fds[i].src >= 0 && c->moved[i].src < 0)
			return -1;
	}
	/* Whatever the caller had open (a directory, a socket) must not reach
	 * the program, whatever its flags. */
	if (syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC) < 0) {
		long max = sysconf(_SC_OPEN_MAX); /* kernels before 5.11 */
		for (long fd = 3; fd < (max < 0 || max > 1 << 20 ? 1 << 20 : max); fd++)
			fcntl((int)fd, F_SETFD, FD_CLOEXEC);
	}
	for (size_t i = 0; i < sp->nfds; i++)
		if (c->moved[i].src >= 0 && dup2(c->moved[i].src, c->moved[i].target) < 0)
			return -1;
	return 0;
}

static int child_main(void *arg)
{
	struct spawn_ctx *c = arg;
	const struct ccsb_spawn *sp = c->sp;
	sigset_t none;
	child_signals(sp);
	if (sp->setpgrp)
		setpgid(0, 0);
	if (sp->pdeathsig && (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != c->parent)) {
		c->exec_errno = ESRCH;
		_exit(127);
	}
	int r = sp->drop_caps ? ccsb__caps_drop_inheritable_raw() : 0;
	if (r < 0) {
		c->exec_errno = -r;
		_exit(127);
	}
	if (child_fds(c) < 0) {
		c->exec_errno = errno ? errno : EBADF;
		_exit(127);
	}
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, sp->mask ? sp->mask : &none, NULL);
	char *const *envp = sp->envp ? sp->envp : environ;
	if (sp->search)
		execvpe(sp->path, sp->argv, envp);
	else
		execve(sp->path, sp->argv, envp);
	c->exec_errno = errno ? errno : ENOEXEC;
	_exit(127);
}

#define STACK_SIZE (64 * 1024)

int ccsb__spawn(const struct ccsb_spawn *sp, pid_t *pid, int *pidfd)
{
	/* Allocated here: the child may not call malloc(). */
	ccsb_autofree struct ccsb_fdmap *moved = calloc(sp->nfds ? sp->nfds : 1, sizeof(*moved));
	struct spawn_ctx c = { .sp = sp, .moved = moved, .parent = getpid() };
	*pid = -1;
	*pidfd = -1;
	if (!moved)
		return -ENOMEM;
	/* execvpe() builds candidate paths on the stack. */
	char *stack = mmap(NULL, STACK_SIZE, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
	if (stack == MAP_FAILED)
		return -errno;
	sigset_t all, before;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &before);
	int fd = -1;
	pid_t p = clone(child_main, stack + STACK_SIZE,
			CLONE_VM | CLONE_VFORK | CLONE_PIDFD | SIGCHLD, &c, &fd);
	if (p < 0 && errno == EINVAL) /* kernels before 5.2 */
		p = clone(child_main, stack + STACK_SIZE, CLONE_VM | CLONE_VFORK | SIGCHLD, &c);
	int e = errno;
	pthread_sigmask(SIG_SETMASK, &before, NULL);
	munmap(stack, STACK_SIZE);
	if (p < 0)
		return -e;
	if (c.exec_errno) {
		ccsb__proc_wait(fd, p, NULL, false);
		if (fd >= 0)
			close(fd);
		return -c.exec_errno;
	}
	*pid = p;
	*pidfd = fd;
	return 0;
}

/* Children left to exit in their own time (slirp4netns tears its tap
 * device down in ~20 ms after a run: not worth waiting for). Collected by
 * the next run or ccsb_sandbox_free() of any policy, so that an embedder
 * running sandboxes for days keeps no zombies. Process-wide, because the
 * children are the process's. */
static pthread_mutex_t late_lock = PTHREAD_MUTEX_INITIALIZER;
static struct {
	pid_t pid;
	int pidfd;
} late[64];
static size_t nlate;

static void reap_late_locked(bool block_oldest)
{
	for (size_t i = 0; i < nlate;) {
		int r = ccsb__proc_wait(late[i].pidfd, late[i].pid, NULL,
					!(block_oldest && i == 0));
		block_oldest = false;
		if (r == 0) {
			i++;
			continue;
		}
		ccsb__close_fd(&late[i].pidfd);
		late[i] = late[--nlate];
	}
}

void ccsb__reap_later(pid_t pid, int pidfd)
{
	pthread_mutex_lock(&late_lock);
	reap_late_locked(false);
	/* Full: the oldest has had plenty of time. */
	if (nlate == N_ELEMENTS(late))
		reap_late_locked(true);
	late[nlate].pid = pid;
	late[nlate++].pidfd = pidfd;
	pthread_mutex_unlock(&late_lock);
}

void ccsb__reap_late(void)
{
	pthread_mutex_lock(&late_lock);
	reap_late_locked(false);
	pthread_mutex_unlock(&late_lock);
}

size_t ccsb__late_count(void)
{
	pthread_mutex_lock(&late_lock);
	size_t n = nlate;
	pthread_mutex_unlock(&late_lock);
	return n;
}
