/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* `ccsb-exec --git-credential ACTION`: the git credential helper inside the
 * sandbox (credential.helper is set to it). It passes git's request to
 * ccsb's broker socket and prints what comes back: a username and password
 * for a host the allowlist names, or nothing (git then goes on without).
 * "store" and "erase" do nothing: the host's helpers keep the credentials. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define CRED_SOCKET "/run/ccsb/git-credential.sock"
#define CRED_MAX 8192

int ccsb_exec_git_credential(int argc, char **argv);

static size_t read_all(int fd, char *buf, size_t cap)
{
	size_t n = 0;
	while (n < cap) {
		ssize_t r = read(fd, buf + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		n += (size_t)r;
	}
	return n;
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

int ccsb_exec_git_credential(int argc, char **argv)
{
	static char req[CRED_MAX + 1], ans[CRED_MAX + 256];
	if (argc < 1) {
		fprintf(stderr, "usage: ccsb-exec --git-credential get|store|erase\n");
		return 2;
	}
	size_t n = read_all(STDIN_FILENO, req, sizeof(req));
	if (strcmp(argv[0], "get") != 0)
		return 0;
	if (n > CRED_MAX) {
		fprintf(stderr, "ccsb: git credential request too long\n");
		return 0;
	}
	struct sockaddr_un sa = { .sun_family = AF_UNIX, .sun_path = CRED_SOCKET };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		fprintf(stderr, "ccsb: no git credential broker (%s): %s\n", CRED_SOCKET,
			strerror(errno));
		return 0;
	}
	if (write_all(fd, req, n) < 0 || shutdown(fd, SHUT_WR) < 0) {
		close(fd);
		return 0;
	}
	size_t m = read_all(fd, ans, sizeof(ans) - 1);
	close(fd);
	ans[m] = '\0';
	if (strncmp(ans, "ok\n", 3) == 0) {
		write_all(STDOUT_FILENO, ans + 3, m - 3);
		return 0;
	}
	/* "refused: HOST: why": printable only, for the user's terminal. */
	for (size_t i = 0; i < m; i++)
		if ((ans[i] < 0x20 && ans[i] != '\n') || ans[i] == 0x7f)
			ans[i] = '?';
	fprintf(stderr, "ccsb: git credential %s", m ? ans : "refused\n");
	return 0;
}
