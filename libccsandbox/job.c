/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Job control through the terminal relay. ^Z typed at the command reaches
 * its pty, where the command's process group (not orphaned: ccsb-exec is its
 * parent in the pty's session) stops; ccsb-exec reports it on the job
 * socket, and ccsb stops the way the command would have without a sandbox,
 * so that the user's shell shows the job stopped and `fg` resumes it. */
#include "internal.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

void ccsb__job_suspend(struct ccsb_pty *p)
{
	ccsb__job_flush(p);
	ccsb__pty_restore(p);
	/* SIGTSTP is blocked (read through ccsb's signalfd): make it pending
	 * for the whole group, then let it through for a moment. The default
	 * action stops us here; `fg` (SIGCONT) lets the call return. */
	sigset_t tstp;
	sigemptyset(&tstp);
	sigaddset(&tstp, SIGTSTP);
	kill(0, SIGTSTP);
	sigprocmask(SIG_UNBLOCK, &tstp, NULL);
	sigprocmask(SIG_BLOCK, &tstp, NULL);
}

void ccsb__job_resume(struct ccsb_pty *p)
{
	if (p->master >= 0 && !ccsb__pty_background() && ccsb__pty_raw(p, NULL) == 0)
		ccsb__pty_resize(p);
}

int ccsb__job_read(int fd)
{
	char buf[16];
	ssize_t n = read(fd, buf, sizeof(buf));
	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
		return -1;
	return n > 0 && memchr(buf, 'z', (size_t)n) ? 1 : 0;
}

void ccsb__job_flush(struct ccsb_pty *p)
{
	/* What the command wrote before it stopped (a full-screen program
	 * puts the screen back) goes out before the caller's settings. */
	for (int i = 0; i < 256; i++) {
		struct pollfd pfd[3];
		int n = ccsb__pty_pollfds(p, pfd, false);
		if (n == 0 || poll(pfd, (nfds_t)n, 0) <= 0)
			return;
		ccsb__pty_io(p, pfd, n);
	}
}
