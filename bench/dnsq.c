/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * dnsq: DNS lookup latency over UDP, one query at a time.
 *
 *   dnsq SERVER|resolv COUNT SUFFIX
 *
 * Sends COUNT queries (type A, recursion desired) for q<i>.SUFFIX to
 * SERVER:53 (an IPv4 address, or "resolv": the first nameserver of
 * /etc/resolv.conf), each after the previous answer, and prints
 *   ok=N fail=N med_us=X p10_us=X p90_us=X
 * where a latency is sendto() to the matching recvfrom() (same id), and a
 * query unanswered within 1 s, or answered with an error, counts as fail.
 * Exit 0 when at least half were answered.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double now_us(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e6 + (double)t.tv_nsec / 1e3;
}

static int cmpd(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double quant(const double *v, int n, double q)
{
	if (!n)
		return -1;
	double pos = q * (n - 1);
	int i = (int)pos;
	double f = pos - i;
	return i + 1 < n ? v[i] * (1 - f) + v[i + 1] * f : v[i];
}

static int resolv_server(char *out, size_t len)
{
	FILE *f = fopen("/etc/resolv.conf", "re");
	char line[256];
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		char addr[64];
		if (sscanf(line, " nameserver %63s", addr) == 1) {
			snprintf(out, len, "%s", addr);
			fclose(f);
			return 0;
		}
	}
	fclose(f);
	return -1;
}

/* Query for NAME, type A, class IN; returns its length. */
static int build(unsigned char *b, unsigned short id, const char *name)
{
	int n = 0;
	b[n++] = (unsigned char)(id >> 8);
	b[n++] = (unsigned char)id;
	b[n++] = 0x01; /* RD */
	b[n++] = 0;
	b[n++] = 0, b[n++] = 1; /* QDCOUNT */
	memset(b + n, 0, 6);
	n += 6;
	for (const char *p = name; *p;) {
		size_t l = strcspn(p, ".");
		b[n++] = (unsigned char)l;
		memcpy(b + n, p, l);
		n += (int)l;
		p += l;
		if (*p == '.')
			p++;
	}
	b[n++] = 0;
	b[n++] = 0, b[n++] = 1; /* A */
	b[n++] = 0, b[n++] = 1; /* IN */
	return n;
}

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: dnsq SERVER|resolv COUNT SUFFIX\n");
		return 2;
	}
	char server[64];
	if (!strcmp(argv[1], "resolv")) {
		if (resolv_server(server, sizeof(server)) < 0) {
			fprintf(stderr, "dnsq: no nameserver in /etc/resolv.conf\n");
			return 2;
		}
	} else {
		snprintf(server, sizeof(server), "%s", argv[1]);
	}
	int count = atoi(argv[2]);
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(53) };
	if (count <= 0 || inet_pton(AF_INET, server, &sa.sin_addr) != 1) {
		fprintf(stderr, "dnsq: bad server %s or count\n", server);
		return 2;
	}
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0 || connect(s, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		perror("dnsq: socket");
		return 2;
	}
	double *lat = calloc((size_t)count, sizeof(double));
	int ok = 0, fail = 0;
	unsigned short id = (unsigned short)(getpid() * 7919);
	for (int i = 0; i < count; i++) {
		unsigned char q[512], a[1500];
		char name[256];
		snprintf(name, sizeof(name), "q%d.%s", i, argv[3]);
		id++;
		int n = build(q, id, name);
		double t0 = now_us();
		if (send(s, q, (size_t)n, 0) != n) {
			fail++;
			continue;
		}
		int got = 0;
		for (;;) {
			int left = 1000 - (int)((now_us() - t0) / 1000);
			struct pollfd p = { .fd = s, .events = POLLIN };
			if (left <= 0 || poll(&p, 1, left) <= 0)
				break;
			ssize_t r = recv(s, a, sizeof(a), 0);
			if (r < 12)
				continue;
			if (((a[0] << 8) | a[1]) != id)
				continue;
			got = (a[3] & 0x0f) == 0 ? 1 : -1;
			break;
		}
		if (got == 1)
			lat[ok++] = now_us() - t0;
		else
			fail++;
	}
	qsort(lat, (size_t)ok, sizeof(double), cmpd);
	printf("ok=%d fail=%d med_us=%.1f p10_us=%.1f p90_us=%.1f\n", ok, fail, quant(lat, ok, .5),
	       quant(lat, ok, .1), quant(lat, ok, .9));
	return ok * 2 >= count ? 0 : 1;
}
