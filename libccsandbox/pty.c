/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The terminal relay: the command gets a pty of its own, and the only path
 * between it and the caller's terminal is the bytes copied here. */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

void ccsb__pty_init(struct ccsb_pty *p)
{
	*p = (struct ccsb_pty){ .master = -1, .slave = -1, .in = -1, .out = -1 };
}

/* A descriptor of our own on the caller's terminal: a fresh open file
 * description can be non-blocking without changing the one the caller's
 * shell shares with us. When the terminal cannot be reopened (its device
 * node belongs to another user), fall back to `fd` itself, blocking, which
 * poll() still keeps from stalling in practice. */
static int reopen(int fd, int flags, bool *own)
{
	char path[32];
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	int n = open(path, flags | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	if (n >= 0 && isatty(n)) {
		*own = true;
		return n;
	}
	if (n >= 0)
		close(n);
	*own = false;
	return fd;
}

/* A pty pair: master and slave, close-on-exec, the slave not our
 * controlling terminal. */
static int open_pair(struct ccsb_pty *p, ccsb_error **err)
{
	char name[128];
	p->master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (p->master < 0)
		return ccsb__errno(err, errno, "cannot open a pseudo terminal (posix_openpt)");
	if (grantpt(p->master) < 0 || unlockpt(p->master) < 0 ||
	    ptsname_r(p->master, name, sizeof(name)) != 0) {
		int r = ccsb__errno(err, errno, "cannot set up a pseudo terminal");
		ccsb__pty_close(p);
		return r;
	}
	p->slave = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (p->slave < 0) {
		int r = ccsb__errno(err, errno, "cannot open %s", name);
		ccsb__pty_close(p);
		return r;
	}
	return 0;
}

int ccsb__pty_open(struct ccsb_pty *p, ccsb_error **err)
{
	struct termios tio;
	struct winsize ws;
	bool have_tio = tcgetattr(STDIN_FILENO, &tio) == 0;
	bool have_ws = ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0;

	if (!have_tio)
		return ccsb__errno(err, errno, "standard input is not a terminal");
	int r = open_pair(p, err);
	if (r < 0)
		return r;
	/* The command starts with the caller's settings (erase character,
	 * IUTF8, ...) in their cooked form, and the caller's size. */
	tcsetattr(p->slave, TCSANOW, &tio);
	if (have_ws)
		ioctl(p->master, TIOCSWINSZ, &ws);
	fcntl(p->master, F_SETFL, fcntl(p->master, F_GETFL) | O_NONBLOCK);

	p->slave_out = isatty(STDOUT_FILENO);
	p->slave_err = isatty(STDERR_FILENO);
	p->in = reopen(STDIN_FILENO, O_RDONLY, &p->own_in);
	/* Output goes to the terminal on stdout, else the one on stderr, else
	 * back to the one on stdin (echo must show somewhere). */
	int outfd = p->slave_out ? STDOUT_FILENO : p->slave_err ? STDERR_FILENO : STDIN_FILENO;
	p->out = reopen(outfd, O_WRONLY, &p->own_out);
	return 0;
}

int ccsb__pty_open_output(struct ccsb_pty *p, ccsb_error **err)
{
	struct termios tio;
	struct winsize ws;
	int term = isatty(STDOUT_FILENO)   ? STDOUT_FILENO
		   : isatty(STDERR_FILENO) ? STDERR_FILENO
					   : -1;

	if (term < 0)
		return 0;
	int r = open_pair(p, err);
	if (r < 0)
		return r;
	/* Bytes pass unchanged (no output processing: the caller's terminal,
	 * in its own cooked mode, does that), at the terminal's size. */
	if (tcgetattr(p->slave, &tio) == 0) {
		tio.c_oflag &= ~(tcflag_t)OPOST;
		tio.c_lflag &= ~(tcflag_t)(ECHO | ICANON | ISIG);
		tcsetattr(p->slave, TCSANOW, &tio);
	}
	if (ioctl(term, TIOCGWINSZ, &ws) == 0)
		ioctl(p->master, TIOCSWINSZ, &ws);
	fcntl(p->master, F_SETFL, fcntl(p->master, F_GETFL) | O_NONBLOCK);
	p->output_only = true;
	p->slave_out = isatty(STDOUT_FILENO);
	p->slave_err = isatty(STDERR_FILENO);
	/* No keys to read: standard input goes to the command as it is. */
	p->in_done = true;
	p->out = reopen(term, O_WRONLY, &p->own_out);
	return 0;
}

int ccsb__pty_raw(struct ccsb_pty *p, ccsb_error **err)
{
	struct termios raw;
	if (!p->raw) {
		if (tcgetattr(STDIN_FILENO, &p->saved) < 0)
			return ccsb__errno(err, errno, "tcgetattr");
		p->raw = true;
	}
	raw = p->saved;
	cfmakeraw(&raw);
	/* TCSANOW, not TCSAFLUSH: keys typed during start-up are kept for the
	 * command. */
	while (tcsetattr(STDIN_FILENO, TCSANOW, &raw) < 0) {
		if (errno != EINTR)
			return ccsb__errno(err, errno, "cannot put the terminal in raw mode");
	}
	return 0;
}

void ccsb__pty_restore(struct ccsb_pty *p)
{
	if (!p->raw)
		return;
	/* TCSADRAIN: the command's last output is shown under its own
	 * settings before the caller's come back. */
	CCSB_RETRY(tcsetattr(STDIN_FILENO, TCSADRAIN, &p->saved));
	p->raw = false;
}

void ccsb__pty_resize(struct ccsb_pty *p)
{
	struct winsize ws;
	if (p->master >= 0 && ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0)
		ioctl(p->master, TIOCSWINSZ, &ws);
}

int ccsb__pty_pollfds(struct ccsb_pty *p, struct pollfd *pfd, bool read_user)
{
	int n = 0;
	if (p->master < 0)
		return 0;
	short mev = 0;
	/* Room for a read plus what the escape filter may add to it. */
	if (!p->master_done && p->to_user.len + CCSB_ESCF_SLACK < sizeof(p->to_user.b))
		mev |= POLLIN;
	if (!p->master_done && p->to_master.len)
		mev |= POLLOUT;
	pfd[n++] = (struct pollfd){ .fd = p->master_done ? -1 : p->master, .events = mev };
	bool want_in = read_user && !p->in_done && p->to_master.len < sizeof(p->to_master.b);
	pfd[n++] = (struct pollfd){ .fd = want_in ? p->in : -1, .events = POLLIN };
	bool want_out = !p->out_dead && p->to_user.len;
	pfd[n++] = (struct pollfd){ .fd = want_out ? p->out : -1, .events = POLLOUT };
	return n;
}

/* Append what `fd` has to give into the ring. Returns 0, or -1 at EOF or
 * a hard error. */
static int fill(struct ccsb_ring *r, int fd)
{
	if (r->off && r->len == 0)
		r->off = 0;
	if (r->off + r->len == sizeof(r->b)) {
		/* Compact; the ring is small and this is rare. */
		for (size_t i = 0; i < r->len; i++)
			r->b[i] = r->b[r->off + i];
		r->off = 0;
	}
	size_t room = sizeof(r->b) - r->off - r->len;
	if (room == 0)
		return 0;
	ssize_t k = read(fd, r->b + r->off + r->len, room);
	if (k > 0) {
		r->len += (size_t)k;
		return 0;
	}
	if (k < 0 && (errno == EINTR || errno == EAGAIN))
		return 0;
	/* 0 or EIO: a pty master reports EIO once no slave is open. */
	return -1;
}

/* What the command wrote, through the escape filter, into to_user. Returns
 * 0, or -1 at EOF or a hard error (the filter then closes what it holds). */
static int fill_user(struct ccsb_pty *p)
{
	struct ccsb_ring *r = &p->to_user;
	if (r->len == 0)
		r->off = 0;
	if (sizeof(r->b) - r->off - r->len <= CCSB_ESCF_SLACK) {
		memmove(r->b, r->b + r->off, r->len);
		r->off = 0;
	}
	size_t room = sizeof(r->b) - r->off - r->len;
	if (room <= CCSB_ESCF_SLACK)
		return 0;
	unsigned char buf[sizeof(r->b)];
	unsigned char *dst = (unsigned char *)r->b + r->off + r->len;
	ssize_t k = read(p->master, buf, room - CCSB_ESCF_SLACK);
	if (k > 0) {
		r->len += ccsb__escf_run(&p->escf, buf, (size_t)k, dst);
		return 0;
	}
	if (k < 0 && (errno == EINTR || errno == EAGAIN))
		return 0;
	r->len += ccsb__escf_finish(&p->escf, dst);
	return -1;
}

void ccsb__pty_set_filter(struct ccsb_pty *p, bool allow_clipboard)
{
	ccsb__escf_init(&p->escf,
			(allow_clipboard ? CCSB_ESCF_ALLOW_CLIPBOARD : 0) |
				ccsb__escf_locale_flags(getenv("LC_ALL"), getenv("LC_CTYPE"),
							getenv("LANG")));
}

void ccsb__pty_report(const struct ccsb_pty *p, ccsb_sandbox *sb)
{
	static const char *const what[CCSB_ESCF_NKINDS] = {
		[CCSB_ESCF_CLIPBOARD] = "clipboard write (OSC 52; --allow-clipboard passes them)",
		[CCSB_ESCF_CLIPREAD] = "clipboard read (OSC 52 query)",
		[CCSB_ESCF_WINOPS] = "window op or title report (CSI t)",
		[CCSB_ESCF_COLORS] = "color change (OSC 4/5/10-19)",
		[CCSB_ESCF_OSC] = "other OSC (fonts, terminal extensions)",
		[CCSB_ESCF_DCS] = "DCS (DECRQSS, DECUDK, passthrough)",
		[CCSB_ESCF_APC] = "APC/PM/SOS (kitty graphics)",
		[CCSB_ESCF_CSI] = "CSI (media copy, DECRQCRA, log file)",
		[CCSB_ESCF_MALFORMED] = "malformed or overlong",
	};
	unsigned long total = ccsb__escf_dropped(&p->escf);
	if (total == 0)
		return;
	char line[1024];
	int n = snprintf(line, sizeof(line), "terminal: %lu escape sequence%s dropped:", total,
			 total == 1 ? "" : "s");
	for (int i = 0; i < CCSB_ESCF_NKINDS && n > 0 && (size_t)n < sizeof(line); i++)
		if (p->escf.dropped[i])
			n += snprintf(line + n, sizeof(line) - (size_t)n, " %lu %s;",
				      p->escf.dropped[i], what[i]);
	if (n > 0 && (size_t)n < sizeof(line))
		line[n - 1] = '\0';
	ccsb__report(sb, "%s", line);
}

static int drain(struct ccsb_ring *r, int fd)
{
	while (r->len) {
		ssize_t k = write(fd, r->b + r->off, r->len);
		if (k > 0) {
			r->off += (size_t)k;
			r->len -= (size_t)k;
			continue;
		}
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0 && errno == EAGAIN)
			return 0;
		return -1;
	}
	r->off = 0;
	return 0;
}

void ccsb__pty_io(struct ccsb_pty *p, const struct pollfd *pfd, int n)
{
	if (n < 3)
		return;
	const short hup = POLLHUP | POLLERR | POLLNVAL;
	if (pfd[1].fd >= 0 && (pfd[1].revents & (POLLIN | hup))) {
		if (fill(&p->to_master, p->in) < 0)
			p->in_done = true;
	}
	if (pfd[0].fd >= 0 && (pfd[0].revents & (POLLIN | hup))) {
		/* Read until EIO even after POLLHUP: the kernel hands out
		 * what the command wrote before it closed the slave first. */
		if (p->to_user.len + CCSB_ESCF_SLACK < sizeof(p->to_user.b) && fill_user(p) < 0)
			p->master_done = true;
	}
	if (!p->master_done && p->to_master.len && drain(&p->to_master, p->master) < 0)
		p->to_master.len = 0;
	if (!p->out_dead && p->to_user.len && drain(&p->to_user, p->out) < 0)
		p->out_dead = true;
	if (p->out_dead)
		p->to_user.len = 0;
}

bool ccsb__pty_drained(const struct ccsb_pty *p)
{
	return p->master < 0 || (p->master_done && (p->out_dead || p->to_user.len == 0));
}

void ccsb__pty_close(struct ccsb_pty *p)
{
	ccsb__pty_restore(p);
	if (p->own_in && p->in >= 0)
		close(p->in);
	if (p->own_out && p->out >= 0)
		close(p->out);
	if (p->slave >= 0)
		close(p->slave);
	if (p->master >= 0)
		close(p->master);
	ccsb__pty_init(p);
}

bool ccsb__pty_background(void)
{
	pid_t fg = tcgetpgrp(STDIN_FILENO);
	/* -1: not our controlling terminal, where nothing stops us. */
	return fg > 0 && fg != getpgrp();
}
