/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Port relays between the host and the sandbox, served by a thread of
 * ccsb's (like the broker's), never by a hole in slirp4netns:
 *
 * - publish (--publish): ccsb listens on the host (127.0.0.1 by default);
 *   each connection is relayed to the sandbox's own 127.0.0.1:PORT (then
 *   [::1]:PORT), so that a dev server bound to the sandbox's loopback is
 *   reached. The sockets that connect inside are made in the sandbox's
 *   network namespace by a "socket factory": a child forked at start that
 *   joins the namespace's owner and the namespace, and answers each request
 *   with a fresh unconnected socket (SCM_RIGHTS). It makes sockets only: it
 *   never reads data, and the sandbox cannot address it (it is not in the
 *   sandbox's pid namespace).
 * - host ports (--host-port): ccsb-net opens listeners on the sandbox's
 *   loopback (127.0.0.1 and ::1) and hands them out; each connection made
 *   to them inside is relayed by ccsb to the host's 127.0.0.1:PORT. Only the
 *   listed ports are reachable; slirp4netns keeps --disable-host-loopback.
 *
 * The publish listeners are bound before the sandbox is started, so that a
 * taken host port is a clear error and nothing runs. */
#include "internal.h"
#include "fdpass.h"
#include "proc.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/nsfs.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

/* Connections relayed at once; more wait in the listeners' backlogs. */
#define MAX_CONNS 256
#define BUF_SIZE 32768 /* per direction: 16 MiB at most for MAX_CONNS */
/* How long the factory may take to answer (it answers in microseconds). */
#define FACTORY_TIMEOUT_MS 2000

struct side {
	int fd;
	char *buf; /* what was read from this side, to be written to the other */
	size_t off, len;
	bool eof;  /* read returned 0 */
	bool shut; /* the other side was shut down for writing after eof */
};

struct conn {
	struct side s[2]; /* [0] accepted, [1] the connection ccsb made */
	bool connecting;
	bool tried_v6; /* 127.0.0.1 refused, [::1] tried */
	uint16_t port; /* where s[1] connects */
	bool inside;   /* s[1] connects inside the sandbox (publish) */
};

struct listener {
	int fd;
	bool publish;  /* host listener (publish) or sandbox one (host port) */
	uint16_t port; /* the port s[1] connects to */
};

struct ccsb_relay {
	pthread_t thread;
	bool running;
	int stop[2];
	int factory; /* our end of the factory's socket; -1: none */
	pid_t factory_pid;
	struct listener *ls;
	size_t nls;
	struct conn *conns[MAX_CONNS];
	size_t nconns;
	unsigned long relayed;
};

/* ---- the policy ------------------------------------------------------- */

static int parse_port(const char *s, size_t n, uint16_t *out)
{
	unsigned long v = 0;

	if (n == 0 || n > 5)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	if (v < 1 || v > 65535)
		return -1;
	*out = (uint16_t)v;
	return 0;
}

CCSB_EXPORT int ccsb_sandbox_add_publish(ccsb_sandbox *sb, const char *spec, ccsb_error **err)
{
	struct ccsb_publish p = { 0 };
	const char *ports = spec, *colon;
	char addr[INET6_ADDRSTRLEN + 2] = "127.0.0.1";

	if (!sb || !spec)
		return ccsb__err(err, EINVAL, "publish: no specification");
	/* [HOST_ADDR:]HOST_PORT[:SANDBOX_PORT]; an IPv6 address in brackets. */
	if (spec[0] == '[') {
		const char *end = strchr(spec, ']');

		if (!end || end[1] != ':' || (size_t)(end - spec - 1) >= sizeof(addr))
			goto bad;
		snprintf(addr, sizeof(addr), "%.*s", (int)(end - spec - 1), spec + 1);
		ports = end + 2;
	} else if ((colon = strchr(spec, ':')) && strchr(colon + 1, ':')) {
		if ((size_t)(colon - spec) >= sizeof(addr))
			goto bad;
		snprintf(addr, sizeof(addr), "%.*s", (int)(colon - spec), spec);
		ports = colon + 1;
	} else if (colon && strchr(spec, '.') && strchr(spec, '.') < colon) {
		/* "ADDR:PORT": an address and one port. */
		snprintf(addr, sizeof(addr), "%.*s", (int)(colon - spec), spec);
		ports = colon + 1;
	}
	if (strcmp(addr, "localhost") == 0)
		snprintf(addr, sizeof(addr), "127.0.0.1");
	colon = strchr(ports, ':');
	if (parse_port(ports, colon ? (size_t)(colon - ports) : strlen(ports), &p.host_port) < 0)
		goto bad;
	p.sandbox_port = p.host_port;
	if (colon && parse_port(colon + 1, strlen(colon + 1), &p.sandbox_port) < 0)
		goto bad;
	if (inet_pton(AF_INET, addr, &((struct sockaddr_in *)&p.addr)->sin_addr) == 1) {
		struct sockaddr_in *a = (struct sockaddr_in *)&p.addr;

		a->sin_family = AF_INET;
		a->sin_port = htons(p.host_port);
		p.alen = sizeof(*a);
		snprintf(p.text, sizeof(p.text), "%s:%u", addr, p.host_port);
	} else if (inet_pton(AF_INET6, addr, &((struct sockaddr_in6 *)&p.addr)->sin6_addr) == 1) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&p.addr;

		a->sin6_family = AF_INET6;
		a->sin6_port = htons(p.host_port);
		p.alen = sizeof(*a);
		snprintf(p.text, sizeof(p.text), "[%s]:%u", addr, p.host_port);
	} else {
		return ccsb__err(err, EINVAL,
				 "publish '%s': '%s' is not an IP address (the host address to "
				 "listen on, such as 127.0.0.1 or 0.0.0.0)",
				 spec, addr);
	}
	for (size_t i = 0; i < sb->npublish; i++) {
		const struct ccsb_publish *q = &sb->publish[i];

		/* The same twice (the configuration and the command line): once. */
		if (q->host_port == p.host_port && q->sandbox_port == p.sandbox_port &&
		    strcmp(q->text, p.text) == 0)
			return 0;
		if (q->host_port == p.host_port)
			return ccsb__err(err, EINVAL,
					 "publish '%s': host port %u is published twice", spec,
					 p.host_port);
	}
	if (sb->npublish >= CCSB_PUBLISH_MAX)
		return ccsb__err(err, E2BIG, "publish '%s': more than %d published ports", spec,
				 CCSB_PUBLISH_MAX);
	struct ccsb_publish *v = realloc(sb->publish, (sb->npublish + 1) * sizeof(*v));
	if (!v)
		return ccsb__err(err, ENOMEM, "out of memory");
	sb->publish = v;
	sb->publish[sb->npublish++] = p;
	return 0;
bad:
	return ccsb__err(err, EINVAL,
			 "publish '%s': expected [HOST_ADDR:]HOST_PORT[:SANDBOX_PORT] with ports "
			 "1-65535 (e.g. 5173, 8080:80, 0.0.0.0:8080:80, [::1]:8080)",
			 spec);
}

CCSB_EXPORT int ccsb_sandbox_add_host_port(ccsb_sandbox *sb, unsigned port, ccsb_error **err)
{
	if (!sb)
		return ccsb__err(err, EINVAL, "host port: no sandbox");
	if (port < 1 || port > 65535)
		return ccsb__err(err, EINVAL, "host port %u: ports are 1-65535", port);
	for (size_t i = 0; i < sb->nhost_ports; i++)
		if (sb->host_ports[i] == port)
			return 0;
	if (sb->nhost_ports >= CCSB_HOST_PORTS_MAX)
		return ccsb__err(err, E2BIG, "host port %u: more than %d host ports", port,
				 CCSB_HOST_PORTS_MAX);
	sb->host_ports[sb->nhost_ports++] = (uint16_t)port;
	return 0;
}

CCSB_EXPORT size_t ccsb_sandbox_describe_ports(const ccsb_sandbox *sb, char *buf, size_t len)
{
	size_t used = 0;
	int n;

	if (len)
		buf[0] = '\0';
	if (!sb)
		return 0;
#define PUT(...)                                                                    \
	do {                                                                        \
		n = snprintf(buf + used, used < len ? len - used : 0, __VA_ARGS__); \
		used += n > 0 ? (size_t)n : 0;                                      \
	} while (0)
	for (size_t i = 0; i < sb->npublish; i++)
		PUT("%s%s -> sandbox %u", i ? ", " : "published ", sb->publish[i].text,
		    sb->publish[i].sandbox_port);
	for (size_t i = 0; i < sb->nhost_ports; i++)
		PUT("%s%u", i ? ", " : used ? "; host ports " : "host ports ", sb->host_ports[i]);
#undef PUT
	if (used >= len && len)
		buf[len - 1] = '\0';
	return sb->npublish + sb->nhost_ports;
}

void ccsb__relay_free_policy(ccsb_sandbox *sb)
{
	free(sb->publish);
	sb->publish = NULL;
	sb->npublish = 0;
	sb->nhost_ports = 0;
}

/* ---- the socket factory ----------------------------------------------- */

static void __attribute__((noreturn)) factory_main(int sock, int netns, int userns, pid_t parent)
{
	int keep[3] = { sock, netns, userns }, lo = 3;

	/* Dies with ccsb; started from the thread that runs the sandbox. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
		_exit(1);
	/* Nothing else of ccsb's stays open here: not the write ends that
	 * slirp4netns (--exit-fd) and bwrap (--block-fd) wait on, nor the
	 * terminal. */
	for (int i = 0; i < 3; i++)
		for (int j = i + 1; j < 3; j++)
			if (keep[j] < keep[i]) {
				int t = keep[i];
				keep[i] = keep[j];
				keep[j] = t;
			}
	for (int i = 0; i < 3; i++) {
		if (keep[i] < lo)
			continue;
		if (keep[i] > lo)
			syscall(SYS_close_range, (unsigned)lo, (unsigned)keep[i] - 1, 0U);
		lo = keep[i] + 1;
	}
	syscall(SYS_close_range, (unsigned)lo, ~0U, 0U);
	if ((userns >= 0 && setns(userns, CLONE_NEWUSER) < 0) || setns(netns, CLONE_NEWNET) < 0)
		_exit(1);
	close(netns);
	if (userns >= 0)
		close(userns);
	for (;;) {
		unsigned char fam;
		ssize_t n = read(sock, &fam, 1);
		int e = 0;

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			_exit(0);
		int s = socket(fam == 6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (s < 0)
			e = errno;
		/* The errno, with the socket attached when there is one. */
		if (ccsb__send_fds(sock, &e, sizeof(e), &s, s >= 0 ? 1 : 0) < 0)
			_exit(1);
		if (s >= 0)
			close(s);
	}
}

static int factory_start(struct ccsb_relay *rl, pid_t child, ccsb_error **err)
{
	char path[64];
	int netns, userns, sp[2], r = 0;
	pid_t self = getpid();
	struct stat a, b;

	snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)child);
	if ((netns = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return ccsb__errno(err, errno, "publish: %s", path);
	/* The owner of the netns (bwrap may nest a second user namespace). */
	if ((userns = ioctl(netns, NS_GET_USERNS)) < 0) {
		r = ccsb__errno(err, errno, "publish: the user namespace owning %s", path);
		close(netns);
		return r;
	}
	if (fstat(userns, &a) == 0 && stat("/proc/self/ns/user", &b) == 0 && a.st_dev == b.st_dev &&
	    a.st_ino == b.st_ino)
		ccsb__close_fd(&userns);
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0) {
		r = ccsb__errno(err, errno, "publish: socketpair");
		goto out;
	}
	rl->factory_pid = fork();
	if (rl->factory_pid < 0) {
		r = ccsb__errno(err, errno, "publish: fork");
		close(sp[0]);
		close(sp[1]);
		goto out;
	}
	if (rl->factory_pid == 0) {
		close(sp[0]);
		factory_main(sp[1], netns, userns, self);
	}
	close(sp[1]);
	rl->factory = sp[0];
out:
	close(netns);
	if (userns >= 0)
		close(userns);
	return r;
}

/* A fresh socket in the sandbox's network namespace; -errno. */
static int factory_socket(struct ccsb_relay *rl, int family)
{
	unsigned char fam = family == AF_INET6 ? 6 : 4;
	struct pollfd pfd = { .fd = rl->factory, .events = POLLIN };
	int e = 0, fd = -1;
	size_t nfd = 0;

	if (rl->factory < 0 || write(rl->factory, &fam, 1) != 1)
		return -EPIPE;
	if (poll(&pfd, 1, FACTORY_TIMEOUT_MS) != 1)
		return -ETIMEDOUT;
	ssize_t n = ccsb__recv_fds(rl->factory, &e, sizeof(e), &fd, 1, &nfd, NULL);
	if (n != (ssize_t)sizeof(e)) {
		if (nfd)
			close(fd);
		return -EPIPE;
	}
	if (!nfd)
		return e > 0 ? -e : -EIO;
	if (fcntl(fd, F_SETFL, O_NONBLOCK) < 0) {
		close(fd);
		return -errno;
	}
	return fd;
}

/* ---- connections ------------------------------------------------------ */

static void conn_free(struct conn *c)
{
	for (int i = 0; i < 2; i++) {
		ccsb__close_fd(&c->s[i].fd);
		free(c->s[i].buf);
	}
	free(c);
}

/* Start connecting c->s[1]: inside (publish) or to the host (host ports,
 * proxies), to 127.0.0.1 first, then [::1]. 0 while in progress or done,
 * -errno. */
static int conn_connect(struct ccsb_relay *rl, struct conn *c, int family)
{
	struct sockaddr_in sin = { .sin_family = AF_INET,
				   .sin_port = htons(c->port),
				   .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6,
				     .sin6_port = htons(c->port),
				     .sin6_addr = IN6ADDR_LOOPBACK_INIT };
	int fd;

	ccsb__close_fd(&c->s[1].fd);
	if (c->inside)
		fd = factory_socket(rl, family);
	else
		fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return fd < -1 ? fd : -errno;
	c->s[1].fd = fd;
	if ((family == AF_INET6 ? connect(fd, (struct sockaddr *)&sin6, sizeof(sin6))
				: connect(fd, (struct sockaddr *)&sin, sizeof(sin))) == 0) {
		c->connecting = false;
		return 0;
	}
	if (errno == EINPROGRESS) {
		c->connecting = true;
		return 0;
	}
	return -errno;
}

static void accept_one(struct ccsb_relay *rl, const struct listener *l)
{
	int fd = accept4(l->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	struct conn *c;

	if (fd < 0)
		return;
	c = calloc(1, sizeof(*c));
	if (!c || !(c->s[0].buf = malloc(BUF_SIZE)) || !(c->s[1].buf = malloc(BUF_SIZE))) {
		if (c) {
			free(c->s[0].buf);
			free(c);
		}
		close(fd);
		return;
	}
	c->s[0].fd = fd;
	c->s[1].fd = -1;
	c->port = l->port;
	c->inside = l->publish;
	if (conn_connect(rl, c, AF_INET) < 0) {
		/* A refused 127.0.0.1 may be a server on ::1 only. */
		c->tried_v6 = true;
		if (conn_connect(rl, c, AF_INET6) < 0) {
			conn_free(c);
			return;
		}
	}
	rl->conns[rl->nconns++] = c;
	rl->relayed++;
}

/* The connect finished: 0 connected, 1 retrying, -1 failed. */
static int conn_connected(struct ccsb_relay *rl, struct conn *c)
{
	int e = 0;
	socklen_t el = sizeof(e);

	if (getsockopt(c->s[1].fd, SOL_SOCKET, SO_ERROR, &e, &el) < 0)
		e = errno;
	if (e == 0) {
		c->connecting = false;
		return 0;
	}
	/* A dev server inside, or a proxy or service on the host, may
	 * listen on ::1 only (Node's "localhost", a proxy set to [::1]). */
	if (!c->tried_v6 && e == ECONNREFUSED) {
		c->tried_v6 = true;
		return conn_connect(rl, c, AF_INET6) == 0 ? 1 : -1;
	}
	return -1;
}

/* Move data for one connection after poll; false when it is finished. */
static bool conn_io(struct conn *c, const struct pollfd *p)
{
	for (int i = 0; i < 2; i++) {
		struct side *from = &c->s[i], *to = &c->s[1 - i];

		if ((p[i].revents & (POLLIN | POLLHUP | POLLERR)) && !from->eof && !from->len) {
			ssize_t n = read(from->fd, from->buf, BUF_SIZE);

			if (n > 0) {
				from->off = 0;
				from->len = (size_t)n;
			} else if (n == 0) {
				from->eof = true;
			} else if (errno != EAGAIN && errno != EINTR) {
				return false;
			}
		}
		/* Written at once when possible, else when poll says so. */
		if (from->len) {
			ssize_t n = send(to->fd, from->buf + from->off, from->len,
					 MSG_NOSIGNAL | MSG_DONTWAIT);

			if (n > 0) {
				from->off += (size_t)n;
				from->len -= (size_t)n;
			} else if (n < 0 && errno != EAGAIN && errno != EINTR) {
				return false;
			}
		}
		if (from->eof && !from->len && !from->shut) {
			shutdown(to->fd, SHUT_WR);
			from->shut = true;
		}
	}
	return !(c->s[0].shut && c->s[1].shut);
}

static void *relay_main(void *arg)
{
	struct ccsb_relay *rl = arg;
	size_t cap = 1 + rl->nls + 2 * MAX_CONNS;
	struct pollfd *pfd = calloc(cap, sizeof(*pfd));

	if (!pfd)
		return NULL;
	for (;;) {
		size_t n = 0;

		pfd[n++] = (struct pollfd){ .fd = rl->stop[0], .events = POLLIN };
		for (size_t i = 0; i < rl->nls; i++)
			pfd[n++] =
				(struct pollfd){ .fd = rl->nconns < MAX_CONNS ? rl->ls[i].fd : -1,
						 .events = POLLIN };
		for (size_t i = 0; i < rl->nconns; i++) {
			struct conn *c = rl->conns[i];

			for (int k = 0; k < 2; k++) {
				struct side *s = &c->s[k], *o = &c->s[1 - k];
				short ev = 0;

				if (c->connecting) {
					ev = k == 1 ? POLLOUT : 0;
				} else {
					if (!s->eof && !s->len)
						ev |= POLLIN;
					if (o->len)
						ev |= POLLOUT;
				}
				pfd[n++] = (struct pollfd){ .fd = ev ? s->fd : -1, .events = ev };
			}
		}
		if (poll(pfd, n, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (pfd[0].revents)
			break;
		/* Connections first (their poll slots follow the list's order),
		 * then the listeners, whose accept_one() appends to the list. */
		size_t base = 1 + rl->nls, nc = rl->nconns, kept = 0;
		for (size_t i = 0; i < nc; i++) {
			struct conn *c = rl->conns[i];
			struct pollfd *p = &pfd[base + 2 * i];
			bool keep = true;

			if (c->connecting) {
				if (p[1].revents)
					keep = conn_connected(rl, c) >= 0;
			} else if (p[0].revents || p[1].revents) {
				keep = conn_io(c, p);
			}
			if (keep)
				rl->conns[kept++] = c;
			else
				conn_free(c);
		}
		rl->nconns = kept;
		for (size_t i = 0; i < rl->nls; i++) {
			if (pfd[1 + i].revents & POLLIN && rl->nconns < MAX_CONNS)
				accept_one(rl, &rl->ls[i]);
			/* A listener in error would wake poll() for ever: dropped
			 * (poll() skips a negative descriptor). */
			else if (pfd[1 + i].revents & (POLLERR | POLLHUP | POLLNVAL))
				ccsb__close_fd(&rl->ls[i].fd);
		}
	}
	free(pfd);
	return NULL;
}

/* ---- the run's hooks -------------------------------------------------- */

int ccsb__relay_bind(ccsb_sandbox *sb, ccsb_error **err)
{
	struct ccsb_relay *rl;
	int r = 0;

	if (!sb->npublish && !sb->nhost_ports)
		return 0;
	if (!(rl = calloc(1, sizeof(*rl))) ||
	    !(rl->ls = calloc(sb->npublish + CCSB_NET_MAX_LISTENERS, sizeof(*rl->ls)))) {
		free(rl);
		return ccsb__err(err, ENOMEM, "out of memory");
	}
	rl->stop[0] = rl->stop[1] = -1;
	rl->factory = -1;
	rl->factory_pid = -1;
	sb->relay = rl;
	for (size_t i = 0; i < sb->npublish; i++) {
		const struct ccsb_publish *p = &sb->publish[i];
		int one = 1,
		    fd = socket(p->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

		if (fd < 0) {
			r = ccsb__errno(err, errno, "publish %s: socket", p->text);
			break;
		}
		rl->ls[rl->nls++] =
			(struct listener){ .fd = fd, .publish = true, .port = p->sandbox_port };
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (p->addr.ss_family == AF_INET6)
			setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
		if (bind(fd, (const struct sockaddr *)&p->addr, p->alen) < 0) {
			int e = errno;

			if (e == EADDRINUSE)
				r = ccsb__err(
					err, e,
					"--publish: %s is already in use on the host: stop what "
					"listens there, or publish on another host port "
					"(--publish=%u:%u)",
					p->text, p->host_port == 65535 ? 65534 : p->host_port + 1,
					p->sandbox_port);
			else
				r = ccsb__errno(err, e, "--publish: cannot listen on %s", p->text);
			break;
		}
		if (listen(fd, 64) < 0) {
			r = ccsb__errno(err, errno, "--publish: listen on %s", p->text);
			break;
		}
	}
	if (r < 0)
		ccsb__relay_stop(sb);
	return r;
}

int ccsb__relay_start(ccsb_sandbox *sb, struct ccsb_net *net, pid_t child, ccsb_error **err)
{
	struct ccsb_relay *rl = sb->relay;
	sigset_t all, before;
	int r, e;

	if (net->warning[0])
		ccsb__report(sb, "network: %s", net->warning);
	if (!rl)
		return 0;
	for (size_t i = 0; i < net->nlisteners; i++) {
		rl->ls[rl->nls++] = (struct listener){ .fd = net->listeners[i].fd,
						       .port = net->listeners[i].port };
		net->listeners[i].fd = -1;
	}
	net->nlisteners = 0;
	if (sb->npublish && (r = factory_start(rl, child, err)) < 0)
		return r;
	if (pipe2(rl->stop, O_CLOEXEC) < 0)
		return ccsb__errno(err, errno, "relay: pipe");
	/* Signals stay with the thread that runs the sandbox. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &before);
	e = pthread_create(&rl->thread, NULL, relay_main, rl);
	pthread_sigmask(SIG_SETMASK, &before, NULL);
	if (e)
		return ccsb__errno(err, e, "relay: thread");
	rl->running = true;
	return 0;
}

void ccsb__relay_stop(ccsb_sandbox *sb)
{
	struct ccsb_relay *rl = sb->relay;

	if (!rl)
		return;
	if (rl->running) {
		if (write(rl->stop[1], "x", 1) < 0) {
			/* the thread reads the pipe; a full pipe already says stop */
		}
		pthread_join(rl->thread, NULL);
	}
	for (size_t i = 0; i < rl->nconns; i++)
		conn_free(rl->conns[i]);
	for (size_t i = 0; i < rl->nls; i++)
		ccsb__close_fd(&rl->ls[i].fd);
	ccsb__close_fd(&rl->stop[0]);
	ccsb__close_fd(&rl->stop[1]);
	/* EOF ends the factory at once. */
	ccsb__close_fd(&rl->factory);
	if (rl->factory_pid > 0)
		while (waitpid(rl->factory_pid, NULL, 0) < 0 && errno == EINTR)
			;
	free(rl->ls);
	free(rl);
	sb->relay = NULL;
}
