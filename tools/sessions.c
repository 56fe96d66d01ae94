/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* `ccsb ps` and `ccsb exec`: the named sandboxes of the user. */
#include "cli.h"
#include "sessions.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include "ccsandbox.h"
#include "internal.h"
#include "sesslog.h"

#define EXIT_CCSB 125

static int fail(ccsb_error *e)
{
	fprintf(stderr, "ccsb: %s\n", e ? ccsb_error_message(e) : "failed");
	ccsb_error_free(e);
	return EXIT_CCSB;
}

static void uptime(long long started, char *buf, size_t len)
{
	long long s = (long long)time(NULL) - started;
	if (s < 0)
		s = 0;
	if (s < 3600)
		snprintf(buf, len, "%lldm%02llds", s / 60, s % 60);
	else if (s < 86400)
		snprintf(buf, len, "%lldh%02lldm", s / 3600, s / 60 % 60);
	else
		snprintf(buf, len, "%lldd%02lldh", s / 86400, s / 3600 % 24);
}

/* What a session's events say, in a few words ("-": nothing yet). */
static void events_column(const struct ccsb_sesslog_summary *e, char *buf, size_t len)
{
	static const struct {
		enum ccsb_ev_kind k;
		const char *word;
	} shown[] = {
		{ CCSB_EV_DNS_REFUSED, "refused" },	{ CCSB_EV_NAME_BOUND, "bound" },
		{ CCSB_EV_ROUTE_ADDED, "routed" },	{ CCSB_EV_SSH_AGENT, "ssh-agent" },
		{ CCSB_EV_GIT_CREDENTIAL, "git-cred" }, { CCSB_EV_REPORT, "reported" },
		{ CCSB_EV_BOUND, "limit-hit" },
	};
	size_t o = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < sizeof(shown) / sizeof(shown[0]) && o < len; i++) {
		uint64_t n = e->counts[shown[i].k];
		if (n)
			o += (size_t)snprintf(buf + o, len - o, "%s%s=%llu", o ? " " : "",
					      shown[i].word, (unsigned long long)n);
	}
	if (!buf[0])
		snprintf(buf, len, "-");
}

static void print_last(const char *what, uint64_t n, const struct ccsb_evlast *l)
{
	if (!n)
		return;
	printf("    %s %llu%s\n", what, (unsigned long long)n, l->n ? ", the last:" : "");
	for (size_t i = 0; i < l->n; i++)
		printf("      %s\n", l->item[i]);
}

/* `ccsb ps -v`: the session's events in some detail, under its row. */
static void print_details(const struct ccsb_sesslog_summary *e)
{
	const uint64_t *c = e->counts;
	print_last("names refused:", c[CCSB_EV_DNS_REFUSED], &e->refused);
	print_last("names bound or routed:", c[CCSB_EV_NAME_BOUND] + c[CCSB_EV_ROUTE_ADDED],
		   &e->bound);
	print_last("ssh-agent requests:", c[CCSB_EV_SSH_AGENT], &e->ssh);
	print_last("git credential requests:", c[CCSB_EV_GIT_CREDENTIAL], &e->git);
	print_last("reported (guard, state, broker, terminal):", c[CCSB_EV_REPORT], &e->reports);
	if (c[CCSB_EV_BOUND])
		printf("    resource bounds hit: %llu\n", (unsigned long long)c[CCSB_EV_BOUND]);
	printf("    events: %llu", (unsigned long long)e->lines);
	if (e->lines > e->kept)
		printf(" (the oldest %llu dropped to keep the log small; counts are whole)",
		       (unsigned long long)(e->lines - e->kept));
	if (e->bad)
		printf("; %llu unreadable lines skipped", (unsigned long long)e->bad);
	fputs("\n", stdout);
}

static const char ps_usage[] =
	"Usage: ccsb ps [-v|--verbose]\n"
	"List your running sandboxes started with --name: name, uptime, project,\n"
	"command, policy and what their events say so far (names refused and bound,\n"
	"ssh-agent and git credential requests, exit report items, bounds hit).\n"
	"  -v, --verbose   also the last few of each under each sandbox\n"
	"`ccsb events NAME` prints a sandbox's events.\n";

int sessions_ps_main(char **args)
{
	bool verbose = false;
	for (; args[0]; args++) {
		if (strcmp(args[0], "-h") == 0 || strcmp(args[0], "--help") == 0) {
			fputs(ps_usage, stdout);
			return 0;
		}
		if (strcmp(args[0], "-v") == 0 || strcmp(args[0], "--verbose") == 0) {
			verbose = true;
			continue;
		}
		fprintf(stderr, "ccsb: ps: unknown argument '%s'; see ccsb ps --help\n", args[0]);
		return EXIT_CCSB;
	}
	ccsb_session_info *v;
	size_t n;
	ccsb_error *err = NULL;
	if (ccsb_session_list(&v, &n, &err) < 0)
		return fail(err);
	char *dir = NULL;
	if (n && ccsb_session_dir(&dir, &err) < 0) {
		ccsb_session_list_free(v, n);
		return fail(err);
	}
	printf("%-16s %-8s %-30s %-24s %-40s %s\n", "NAME", "UPTIME", "PROJECT", "COMMAND",
	       "POLICY", "EVENTS");
	for (size_t i = 0; i < n; i++) {
		char up[32], evs[160];
		struct ccsb_sesslog_summary e;
		uptime(v[i].started, up, sizeof(up));
		/* Unreadable: shown as nothing rather than hiding the session. */
		if (ccsb__sesslog_summary(dir, v[i].name, &e) < 0)
			memset(&e, 0, sizeof(e));
		events_column(&e, evs, sizeof(evs));
		printf("%-16s %-8s %-30s %-24s %-40s %s\n", v[i].name, up, v[i].project,
		       v[i].command, v[i].policy, evs);
		if (verbose)
			print_details(&e);
	}
	free(dir);
	ccsb_session_list_free(v, n);
	return 0;
}

/* ---- ccsb events ------------------------------------------------------- */

static const char events_usage[] =
	"Usage: ccsb events [-f|--follow] NAME\n"
	"Print the event stream of the running sandbox NAME (ccsb --name=NAME ...),\n"
	"one JSON object a line (docs/events.schema.json), from its start or from the\n"
	"oldest line it keeps (it keeps at most 512 KiB; a \"log_rotated\" line says\n"
	"how many came before).\n"
	"  -f, --follow    keep printing new lines until the sandbox ends\n";

/* Lines read from the log, printed whole and only when they parse. */
struct follower {
	char *buf;
	size_t len;
	uint64_t bad;
	bool exited;
};

/* Print the complete lines of f->buf, keeping a partial one. */
static void print_lines(struct follower *f)
{
	static char out[3 * CCSB_SESSLOG_LINE_MAX];
	static struct ccsb_evline e;
	char *p = f->buf, *end = f->buf + f->len, *nl;
	while ((nl = memchr(p, '\n', (size_t)(end - p)))) {
		size_t n = (size_t)(nl - p);
		if (n <= CCSB_SESSLOG_LINE_MAX && ccsb__evline_parse(p, n, &e) == 0) {
			size_t o = ccsb__evline_safe(p, n, out);
			out[o++] = '\n';
			fwrite(out, 1, o, stdout);
			f->exited |= e.kind == CCSB_EV_EXIT;
		} else {
			f->bad++;
		}
		p = nl + 1;
	}
	/* A line longer than any event: dropped, not buffered forever. */
	if ((size_t)(end - p) > CCSB_SESSLOG_LINE_MAX) {
		f->bad++;
		p = end;
	}
	f->len = (size_t)(end - p);
	memmove(f->buf, p, f->len);
	fflush(stdout);
}

/* Read what `fd` has now; 0 at its end, -1 on an error. */
static int drain(int fd, struct follower *f)
{
	for (;;) {
		ssize_t r = read(fd, f->buf + f->len, CCSB_SESSLOG_LINE_MAX + 1 - f->len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return r < 0 ? -1 : 0;
		f->len += (size_t)r;
		print_lines(f);
	}
}

/* The file must be ours and regular (not a FIFO that would hang us). */
static int open_log(const char *path)
{
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	struct stat st;
	if (fd >= 0 && (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_uid != getuid())) {
		close(fd);
		errno = EPERM;
		return -1;
	}
	return fd;
}

static bool same_file(int fd, const char *path)
{
	struct stat a, b;
	return fstat(fd, &a) == 0 && stat(path, &b) == 0 && a.st_dev == b.st_dev &&
	       a.st_ino == b.st_ino;
}

/* Whether the session still runs: its ccsb holds an exclusive flock() on
 * NAME.info. Looked up in /proc/locks, so that looking takes no lock that a
 * session starting under that name could trip on; without /proc, by trying
 * a shared lock. */
static bool alive(const char *info)
{
	struct stat st;
	int fd = open(info, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return false;
	FILE *f = fstat(fd, &st) == 0 ? fopen("/proc/locks", "re") : NULL;
	if (!f) {
		bool held = flock(fd, LOCK_SH | LOCK_NB) < 0 && errno == EWOULDBLOCK;
		close(fd);
		return held;
	}
	close(fd);
	/* "1: FLOCK  ADVISORY  WRITE 4242 00:2e:56789 0 EOF"; a waiter's
	 * line has "->" after the number. */
	char want[64], line[256];
	snprintf(want, sizeof(want), "%02x:%02x:%llu", major(st.st_dev), minor(st.st_dev),
		 (unsigned long long)st.st_ino);
	bool held = false;
	while (!held && fgets(line, sizeof(line), f)) {
		char type[16], adv[16], rw[16], dev[64];
		int pid;
		held = !strstr(line, "->") &&
		       sscanf(line, "%*[^:]: %15s %15s %15s %d %63s", type, adv, rw, &pid, dev) ==
			       5 &&
		       strcmp(type, "FLOCK") == 0 && strcmp(rw, "WRITE") == 0 &&
		       strcmp(dev, want) == 0;
	}
	fclose(f);
	return held;
}

/* Follow `fd` (the current NAME.events) until the exit line, the file's
 * removal or the session's death; across rotations. */
static int follow(int fd, const char *path, const char *info, struct follower *f)
{
	const struct timespec tick = { 0, 200 * 1000 * 1000 };
	while (!f->exited) {
		if (drain(fd, f) < 0)
			break;
		if (f->exited)
			break;
		if (!same_file(fd, path)) {
			/* Rotated (the rest of the old file is read above) or
			 * removed with the session. */
			if (drain(fd, f) < 0 || f->exited)
				break;
			int nfd = open_log(path);
			if (nfd < 0)
				break;
			close(fd);
			fd = nfd;
			f->len = 0;
			continue;
		}
		if (!alive(info)) {
			/* Its last lines (bounds, exit) come just after the
			 * lock goes; the file is removed right after them. */
			for (int i = 0; i < 15 && !f->exited && same_file(fd, path); i++) {
				nanosleep(&tick, NULL);
				drain(fd, f);
			}
			drain(fd, f);
			break;
		}
		nanosleep(&tick, NULL);
	}
	close(fd);
	return 0;
}

int sessions_events_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "follow", no_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	bool fl = false;
	int o;
	optind = 1;
	opterr = 0;
	while ((o = getopt_long(argc, argv, "+fh", opts, NULL)) != -1) {
		if (o == 'f') {
			fl = true;
		} else if (o == 'h') {
			fputs(events_usage, stdout);
			return 0;
		} else {
			fprintf(stderr,
				"ccsb: events: unknown option '%s'; see ccsb events --help\n",
				argv[optind - 1]);
			return EXIT_CCSB;
		}
	}
	const char *name = argv[optind];
	if (!name || argv[optind + 1]) {
		fprintf(stderr, "ccsb: events needs one session name: ccsb events [--follow] NAME "
				"(ccsb ps lists the names)\n");
		return EXIT_CCSB;
	}
	if (!ccsb__session_name_ok(name)) {
		fprintf(stderr, "ccsb: events: '%s' is not a session name (ccsb ps lists them)\n",
			name);
		return EXIT_CCSB;
	}
	char *dir = NULL;
	ccsb_error *err = NULL;
	int r = ccsb_session_dir(&dir, &err);
	if (r == -ENOENT) {
		ccsb_error_free(err);
		err = NULL;
	} else if (r < 0) {
		return fail(err);
	}
	char path[PATH_MAX], old[PATH_MAX + 2], info[PATH_MAX];
	snprintf(path, sizeof(path), "%s/%s.events", dir ? dir : "", name);
	snprintf(old, sizeof(old), "%s.1", path);
	snprintf(info, sizeof(info), "%s/%s.info", dir ? dir : "", name);
	free(dir);
	int fd = r < 0 || !alive(info) ? -1 : open_log(path);
	if (fd < 0) {
		if (r < 0 || errno == ENOENT || !alive(info))
			fprintf(stderr,
				"ccsb: no sandbox named '%s' is running ('ccsb ps' lists them)\n",
				name);
		else
			fprintf(stderr, "ccsb: cannot read %s: %s\n", path, strerror(errno));
		return EXIT_CCSB;
	}
	struct follower f = { .buf = malloc(CCSB_SESSLOG_LINE_MAX + 1) };
	if (!f.buf) {
		close(fd);
		fprintf(stderr, "ccsb: out of memory\n");
		return EXIT_CCSB;
	}
	/* The file before the last rotation, unless it is the one just opened
	 * (rotated in between). */
	int ofd = open_log(old);
	if (ofd >= 0) {
		if (!same_file(fd, old))
			drain(ofd, &f);
		f.len = 0;
		close(ofd);
	}
	if (fl) {
		follow(fd, path, info, &f);
	} else {
		drain(fd, &f);
		close(fd);
	}
	if (f.bad)
		fprintf(stderr, "ccsb: %llu lines of %s are not events: skipped\n",
			(unsigned long long)f.bad, path);
	free(f.buf);
	return 0;
}

static const char exec_usage[] =
	"Usage: ccsb exec [OPTION...] NAME [--] COMMAND [ARG...]\n"
	"Run COMMAND inside the running sandbox NAME (ccsb --name=NAME ...), with its\n"
	"policy: same files, network, seccomp filter, bounds and uid.\n"
	"  --tty=WHEN          a pty of its own: auto (stdin is a terminal), on, off\n"
	"  --env=NAME=VALUE    set a variable over the sandbox's environment\n"
	"  --cwd=DIR           working directory inside (default: the sandbox's)\n"
	"Exit status: the command's; 125 when ccsb exec itself fails.\n";

struct exec_args {
	ccsb_tty_mode tty;
	const char *cwd, *name;
	const char **env; /* NAME=VALUE, nenv of them */
	size_t nenv;
	char **cmd;
};

/* `ccsb exec`'s command line: 0, 1 for --help (printed), or -1 (said). */
static int exec_parse(int argc, char **argv, struct exec_args *a)
{
	static const struct option opts[] = {
		{ "tty", required_argument, NULL, 't' },
		{ "env", required_argument, NULL, 'e' },
		{ "cwd", required_argument, NULL, 'C' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int o, mode;
	optind = 1;
	opterr = 0;
	while ((o = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		switch (o) {
		case 't':
			if ((mode = cli_tty_mode(optarg)) < 0) {
				fprintf(stderr, "ccsb: exec --tty=%s: use auto, on or off\n",
					optarg);
				return -1;
			}
			a->tty = (ccsb_tty_mode)mode;
			break;
		case 'e':
			if (!strchr(optarg, '=') || optarg[0] == '=') {
				fprintf(stderr, "ccsb: exec --env=%s: use NAME=VALUE\n", optarg);
				return -1;
			}
			a->env[a->nenv++] = optarg;
			break;
		case 'C':
			a->cwd = optarg;
			break;
		case 'h':
			fputs(exec_usage, stdout);
			return 1;
		default:
			fprintf(stderr, "ccsb: exec: unknown option '%s'; see ccsb exec --help\n",
				argv[optind - 1]);
			return -1;
		}
	}
	a->name = argv[optind];
	a->cmd = a->name ? &argv[optind + 1] : NULL;
	if (a->cmd && a->cmd[0] && strcmp(a->cmd[0], "--") == 0)
		a->cmd++;
	if (!a->name || !a->cmd[0]) {
		fprintf(stderr, "ccsb: exec needs a session name and a command: ccsb exec NAME "
				"[--] COMMAND [ARG...] (ccsb ps lists the names)\n");
		return -1;
	}
	return 0;
}

int sessions_exec_main(int argc, char **argv)
{
	struct exec_args a = { .tty = CCSB_TTY_AUTO,
			       .env = calloc((size_t)argc + 1, sizeof(char *)) };
	if (!a.env) {
		fprintf(stderr, "ccsb: out of memory\n");
		return EXIT_CCSB;
	}
	int r = exec_parse(argc, argv, &a);
	if (r != 0) {
		free(a.env);
		return r > 0 ? 0 : EXIT_CCSB;
	}
	ccsb_session *s = NULL;
	ccsb_error *err = NULL;
	r = ccsb_session_open(a.name, &s, &err);
	if (r == 0)
		r = ccsb_session_set_tty(s, a.tty, &err);
	if (r == 0 && a.cwd)
		r = ccsb_session_set_cwd(s, a.cwd, &err);
	for (size_t i = 0; r == 0 && i < a.nenv; i++) {
		const char *eq = strchr(a.env[i], '=');
		char *k = strndup(a.env[i], (size_t)(eq - a.env[i]));
		r = k ? ccsb_session_env_set(s, k, eq + 1, &err) : -ENOMEM;
		free(k);
	}
	if (r == 0)
		r = ccsb_session_exec(s, a.cmd, &err);
	ccsb_session_free(s);
	free(a.env);
	return r < 0 ? fail(err) : r;
}
