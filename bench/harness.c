/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * harness: runs several command variants interleaved, timing each run, and
 * prints per-variant statistics.
 *
 *   harness [-n RUNS] [-w WARMUP] [-m MODE] [-p PAUSE_MS] [-r RAW.tsv] -- VARIANT [::: VARIANT]...
 *   VARIANT := NAME [@OPTION]... [ARG...]
 *
 * MODE:
 *   wall     wall time: CLOCK_MONOTONIC just before fork() to wait4()
 *            returning (the process and everything it waits for).
 *   release  as wall, plus release time: the command (bench/probe) prints
 *            its own CLOCK_MONOTONIC reading as its first action; release =
 *            that reading minus the launcher's pre-fork reading.
 *   rss      peak RSS: the launched process is ptrace-SEIZEd with
 *            PTRACE_O_TRACEEXIT only (no syscall stops); at its exit stop
 *            VmHWM is read from /proc/PID/status: the peak resident set of
 *            that one process (ccsb itself, or bwrap's top process), without
 *            its children. wait4()'s ru_maxrss is printed too: the largest
 *            peak among that process and the descendants it reaped.
 *
 * @OPTIONs (before the arguments):
 *   @argv=FILE      arguments from FILE, one a line (then ARGs appended)
 *   @env=FILE       environment exactly as FILE, one NAME=VALUE a line
 *                   (default: the harness's own environment)
 *   @fd=N:FILE      FILE open read-only on descriptor N
 *   @info=N         a pipe on N; its first JSON object is read (bwrap --info-fd)
 *   @block=N        a socketpair end on N; "1" is written after @info was read
 *                   (bwrap --block-fd): the minimal launcher protocol
 *   @sink=N         a pipe on N whose contents are discarded
 *                   (bwrap --json-status-fd)
 *
 * Each round runs every variant once, in a new random order (fixed seed),
 * so that no variant always follows the same one: work a run leaves behind
 * (the kernel tearing down a network namespace with 10,000 routes, say)
 * lands on all variants alike. -p sleeps PAUSE_MS after each run, to let
 * such work finish.
 *
 * Standard input of every run is /dev/null, stderr is the harness's, stdout
 * is a pipe (read in release mode, discarded otherwise).
 *
 * Output, one line per variant, tab-separated:
 *   NAME n=N ok=OK wall_med= wall_p10= wall_p90= [rel_med= rel_p10= rel_p90=]
 *   [hwm_med= hwm_p10= hwm_p90= tree_med=]       (times in ms, RSS in KiB)
 * A run whose exit status is not 0 is counted in n but not in ok and not in
 * the statistics; its status is printed on stderr.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

enum mode {
	M_WALL,
	M_RELEASE,
	M_RSS
};

#define MAXFD 64

struct variant {
	const char *name;
	char **argv;
	int argc, argcap;
	char **envp; /* NULL: inherit */
	int fdnum[MAXFD];
	const char *fdfile[MAXFD];
	int nfd;
	int info, block, sink;
	double *wall, *rel;
	long *hwm, *tree;
	int n, ok;
};

static void die(const char *fmt, const char *a)
{
	fprintf(stderr, "harness: ");
	fprintf(stderr, fmt, a);
	fputc('\n', stderr);
	exit(2);
}

static void push(struct variant *v, char *a)
{
	if (v->argc + 2 > v->argcap) {
		v->argcap = v->argcap ? v->argcap * 2 : 64;
		v->argv = realloc(v->argv, sizeof(char *) * (size_t)v->argcap);
		if (!v->argv)
			die("%s", "out of memory");
	}
	v->argv[v->argc++] = a;
	v->argv[v->argc] = NULL;
}

/* One line per element; returns a NULL-terminated vector. */
static char **read_lines(const char *path, int *count)
{
	FILE *f = fopen(path, "re");
	if (!f)
		die("cannot open %s", path);
	char **v = NULL, *line = NULL;
	size_t cap = 0;
	int n = 0, vcap = 0;
	ssize_t len;
	while ((len = getline(&line, &cap, f)) >= 0) {
		if (len > 0 && line[len - 1] == '\n')
			line[--len] = '\0';
		if (n + 2 > vcap) {
			vcap = vcap ? vcap * 2 : 64;
			v = realloc(v, sizeof(char *) * (size_t)vcap);
			if (!v)
				die("%s", "out of memory");
		}
		v[n++] = strdup(line);
	}
	free(line);
	fclose(f);
	if (!v) {
		v = calloc(1, sizeof(char *));
		if (!v)
			die("%s", "out of memory");
	}
	v[n] = NULL;
	if (count)
		*count = n;
	return v;
}

static double now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static long read_hwm(pid_t pid)
{
	char path[64], buf[4096];
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	char *p = strstr(buf, "VmHWM:");
	return p ? strtol(p + 6, NULL, 10) : -1;
}

/* Move src to target in the child; sources first go above every target. */
static void place(int *src, const int *target, int n)
{
	for (int i = 0; i < n; i++)
		if ((src[i] = fcntl(src[i], F_DUPFD_CLOEXEC, 100)) < 0)
			_exit(126);
	for (int i = 0; i < n; i++)
		if (dup2(src[i], target[i]) < 0)
			_exit(126);
}

/* One run. Returns 0 when it exited 0. */
static int run_one(struct variant *v, enum mode mode, double *wall, double *rel, long *hwm,
		   long *tree)
{
	int out[2], sync[2] = { -1, -1 }, info[2] = { -1, -1 }, block[2] = { -1, -1 },
		    sink[2] = { -1, -1 };
	int src[MAXFD + 6], tgt[MAXFD + 6], np = 0;
	int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (devnull < 0 || pipe2(out, O_CLOEXEC) < 0)
		die("%s", "pipe");
	for (int i = 0; i < v->nfd; i++) {
		int fd = open(v->fdfile[i], O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			die("cannot open %s", v->fdfile[i]);
		src[np] = fd;
		tgt[np++] = v->fdnum[i];
	}
	if (v->info >= 0) {
		if (pipe2(info, O_CLOEXEC) < 0)
			die("%s", "pipe");
		src[np] = info[1];
		tgt[np++] = v->info;
	}
	if (v->block >= 0) {
		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, block) < 0)
			die("%s", "socketpair");
		src[np] = block[1];
		tgt[np++] = v->block;
	}
	if (v->sink >= 0) {
		if (pipe2(sink, O_CLOEXEC) < 0)
			die("%s", "pipe");
		src[np] = sink[1];
		tgt[np++] = v->sink;
	}
	if (mode == M_RSS && pipe2(sync, O_CLOEXEC) < 0)
		die("%s", "pipe");

	double t0 = now_ms();
	pid_t pid = fork();
	if (pid < 0)
		die("%s", "fork");
	if (pid == 0) {
		if (mode == M_RSS) {
			char c;
			if (read(sync[0], &c, 1) != 1)
				_exit(126);
		}
		/* stdin and stdout too: their descriptors may be among the
		 * targets. */
		src[np] = devnull;
		tgt[np++] = 0;
		src[np] = out[1];
		tgt[np++] = 1;
		place(src, tgt, np);
		if (v->envp)
			execve(v->argv[0], v->argv, v->envp);
		else
			execvp(v->argv[0], v->argv);
		fprintf(stderr, "harness: cannot execute %s: %s\n", v->argv[0], strerror(errno));
		_exit(127);
	}
	close(out[1]);
	close(devnull);
	for (int i = 0; i < np; i++)
		close(src[i]);
	if (mode == M_RSS) {
		if (ptrace(PTRACE_SEIZE, pid, 0, (void *)(long)PTRACE_O_TRACEEXIT) < 0)
			die("PTRACE_SEIZE: %s", strerror(errno));
		if (write(sync[1], "g", 1) != 1)
			die("%s", "sync");
		close(sync[0]);
		close(sync[1]);
	}
	if (v->info >= 0) {
		char buf[1024];
		size_t n = 0;
		ssize_t r;
		while (n < sizeof(buf) - 1 &&
		       (r = read(info[0], buf + n, sizeof(buf) - 1 - n)) > 0) {
			n += (size_t)r;
			buf[n] = '\0';
			if (strchr(buf, '}'))
				break;
		}
	}
	if (v->block >= 0) {
		if (send(block[0], "1", 1, MSG_NOSIGNAL) < 0) {
			/* bwrap died; its status tells */
		}
	}

	int status;
	struct rusage ru;
	*hwm = -1;
	for (;;) {
		pid_t w = wait4(pid, &status, __WALL, &ru);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			die("wait4: %s", strerror(errno));
		if (WIFSTOPPED(status)) {
			int sig = WSTOPSIG(status);
			if (status >> 8 == (SIGTRAP | (PTRACE_EVENT_EXIT << 8))) {
				*hwm = read_hwm(pid);
				sig = 0;
			} else if (status >> 16) {
				sig = 0; /* other ptrace events */
			}
			ptrace(PTRACE_CONT, pid, 0, (void *)(long)sig);
			continue;
		}
		break;
	}
	*wall = now_ms() - t0;
	*tree = ru.ru_maxrss;

	char buf[256];
	ssize_t n = 0, r;
	fcntl(out[0], F_SETFL, O_NONBLOCK);
	while (n < (ssize_t)sizeof(buf) - 1 &&
	       (r = read(out[0], buf + n, sizeof(buf) - 1 - (size_t)n)) > 0)
		n += r;
	buf[n] = '\0';
	while (read(out[0], buf + 200, 32) > 0)
		;
	close(out[0]);
	if (info[0] >= 0)
		close(info[0]);
	if (block[0] >= 0)
		close(block[0]);
	if (sink[0] >= 0)
		close(sink[0]);
	*rel = -1;
	if (mode == M_RELEASE) {
		char *end;
		unsigned long long ns = strtoull(buf, &end, 10);
		if (end != buf)
			*rel = (double)ns / 1e6 - t0;
		else if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
			fprintf(stderr, "harness: %s: the probe printed nothing\n", v->name);
			return -1;
		}
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		if (WIFEXITED(status))
			fprintf(stderr, "harness: %s: exit status %d\n", v->name,
				WEXITSTATUS(status));
		else
			fprintf(stderr, "harness: %s: killed by signal %d\n", v->name,
				WTERMSIG(status));
		return -1;
	}
	return 0;
}

static int cmpd(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* Quantile by linear interpolation between order statistics. */
static double quant(double *v, int n, double q)
{
	if (n == 0)
		return -1;
	qsort(v, (size_t)n, sizeof(double), cmpd);
	double pos = q * (n - 1);
	int i = (int)pos;
	double f = pos - i;
	return i + 1 < n ? v[i] * (1 - f) + v[i + 1] * f : v[i];
}

int main(int argc, char **argv)
{
	int runs = 50, warmup = 5, pause_ms = 0;
	enum mode mode = M_WALL;
	const char *rawpath = NULL;
	int opt;
	while ((opt = getopt(argc, argv, "+n:w:m:r:p:")) != -1) {
		switch (opt) {
		case 'p':
			pause_ms = atoi(optarg);
			break;
		case 'n':
			runs = atoi(optarg);
			break;
		case 'w':
			warmup = atoi(optarg);
			break;
		case 'r':
			rawpath = optarg;
			break;
		case 'm':
			if (!strcmp(optarg, "wall"))
				mode = M_WALL;
			else if (!strcmp(optarg, "release"))
				mode = M_RELEASE;
			else if (!strcmp(optarg, "rss"))
				mode = M_RSS;
			else
				die("unknown mode %s", optarg);
			break;
		default:
			return 2;
		}
	}
	if (optind < argc && !strcmp(argv[optind], "--"))
		optind++;
	struct variant *vs = calloc((size_t)argc, sizeof(*vs));
	int nv = 0;
	for (int i = optind; i < argc;) {
		struct variant *v = &vs[nv++];
		v->name = argv[i++];
		v->info = v->block = v->sink = -1;
		int plain = 0; /* an ordinary argument was seen: no more @options */
		for (; i < argc && strcmp(argv[i], ":::"); i++) {
			char *a = argv[i];
			if (!plain && !strncmp(a, "@argv=", 6)) {
				int n;
				char **l = read_lines(a + 6, &n);
				for (int k = 0; k < n; k++)
					push(v, l[k]);
			} else if (!plain && !strncmp(a, "@env=", 5)) {
				v->envp = read_lines(a + 5, NULL);
			} else if (!plain && !strncmp(a, "@fd=", 4)) {
				char *colon = strchr(a + 4, ':');
				if (!colon || v->nfd == MAXFD)
					die("bad %s", a);
				v->fdnum[v->nfd] = atoi(a + 4);
				v->fdfile[v->nfd++] = colon + 1;
			} else if (!plain && !strncmp(a, "@info=", 6)) {
				v->info = atoi(a + 6);
			} else if (!plain && !strncmp(a, "@block=", 7)) {
				v->block = atoi(a + 7);
			} else if (!plain && !strncmp(a, "@sink=", 6)) {
				v->sink = atoi(a + 6);
			} else {
				plain = 1;
				push(v, a);
			}
		}
		if (i < argc)
			i++; /* ::: */
		if (!v->argc)
			die("variant %s has no command", v->name);
		v->wall = calloc((size_t)runs, sizeof(double));
		v->rel = calloc((size_t)runs, sizeof(double));
		v->hwm = calloc((size_t)runs, sizeof(long));
		v->tree = calloc((size_t)runs, sizeof(long));
	}
	if (!nv)
		die("%s", "no variants");
	signal(SIGPIPE, SIG_IGN);

	FILE *raw = rawpath ? fopen(rawpath, "ae") : NULL;
	if (rawpath && !raw) {
		fprintf(stderr, "harness: %s: %s\n", rawpath, strerror(errno));
		return 2;
	}
	double w, r;
	long h, t;
	struct timespec pause = { pause_ms / 1000, (long)(pause_ms % 1000) * 1000000L };
	int *order = calloc((size_t)nv, sizeof(int));
	unsigned seed = 12345;
	for (int k = 0; k < warmup; k++)
		for (int j = 0; j < nv; j++) {
			run_one(&vs[j], mode, &w, &r, &h, &t);
			if (pause_ms)
				nanosleep(&pause, NULL);
		}
	for (int k = 0; k < runs; k++) {
		for (int j = 0; j < nv; j++)
			order[j] = j;
		for (int j = nv - 1; j > 0; j--) {
			int x = rand_r(&seed) % (j + 1), tmp = order[j];
			order[j] = order[x];
			order[x] = tmp;
		}
		for (int jj = 0; jj < nv; jj++) {
			struct variant *v = &vs[order[jj]];
			v->n++;
			int rr = run_one(v, mode, &w, &r, &h, &t);
			if (pause_ms)
				nanosleep(&pause, NULL);
			if (rr < 0)
				continue;
			if (raw)
				fprintf(raw, "%s\t%d\t%.3f\t%.3f\t%ld\t%ld\n", v->name, k, w, r, h,
					t);
			v->wall[v->ok] = w;
			v->rel[v->ok] = r;
			v->hwm[v->ok] = h;
			v->tree[v->ok] = t;
			v->ok++;
		}
	}
	if (raw)
		fclose(raw);
	for (int j = 0; j < nv; j++) {
		struct variant *v = &vs[j];
		printf("%s\tn=%d\tok=%d", v->name, v->n, v->ok);
		printf("\twall_med=%.3f\twall_p10=%.3f\twall_p90=%.3f", quant(v->wall, v->ok, .5),
		       quant(v->wall, v->ok, .1), quant(v->wall, v->ok, .9));
		if (mode == M_RELEASE)
			printf("\trel_med=%.3f\trel_p10=%.3f\trel_p90=%.3f",
			       quant(v->rel, v->ok, .5), quant(v->rel, v->ok, .1),
			       quant(v->rel, v->ok, .9));
		if (mode == M_RSS) {
			double *hd = calloc((size_t)v->ok + 1, sizeof(double));
			double *td = calloc((size_t)v->ok + 1, sizeof(double));
			for (int k = 0; k < v->ok; k++) {
				hd[k] = (double)v->hwm[k];
				td[k] = (double)v->tree[k];
			}
			printf("\thwm_med=%.0f\thwm_p10=%.0f\thwm_p90=%.0f\ttree_med=%.0f",
			       quant(hd, v->ok, .5), quant(hd, v->ok, .1), quant(hd, v->ok, .9),
			       quant(td, v->ok, .5));
			free(hd);
			free(td);
		}
		printf("\n");
	}
	return 0;
}
