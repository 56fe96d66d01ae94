/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A long-lived embedder (tests/integration/embed-net.sh): N runs of one
 * policy with --net=full in a row, then, once every child it has is done,
 * ccsb_sandbox_free(); prints "status S" per run and, at the end,
 * "zombies Z", the children left unreaped. Each run's slirp4netns is still
 * tearing down when the run returns: none of them may be left behind. */
#include "ccsandbox.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Our children and how many of them have exited (zombies), from /proc. */
static void children(int *all, int *zombies)
{
	char path[320], buf[4096];
	*all = *zombies = 0;
	DIR *d = opendir("/proc/self/task");
	struct dirent *e;
	while (d && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/self/task/%s/children", e->d_name);
		FILE *f = fopen(path, "re");
		if (!f)
			continue;
		size_t n = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
		buf[n] = '\0';
		for (char *save = NULL, *t = strtok_r(buf, " \n", &save); t;
		     t = strtok_r(NULL, " \n", &save)) {
			char st[512], state = '?';
			snprintf(path, sizeof(path), "/proc/%s/stat", t);
			FILE *s = fopen(path, "re");
			if (s && fgets(st, sizeof(st), s)) {
				char *p = strrchr(st, ')');
				if (p && p[1] == ' ')
					state = p[2];
			}
			if (s)
				fclose(s);
			(*all)++;
			*zombies += state == 'Z';
		}
	}
	if (d)
		closedir(d);
}

static ccsb_sandbox *policy(ccsb_error **e)
{
	ccsb_sandbox *sb = ccsb_sandbox_new();
	/* The helpers of the build (ccsb-net is found beside ccsb-exec). */
	int r = sb ? ccsb_sandbox_set_helper(sb, CCSB_HELPER_EXEC, getenv("CCSB_EXEC_HELPER"), e)
		   : -1;
	if (r == 0)
		r = ccsb_sandbox_apply_defaults(sb, 0, e);
	if (r == 0)
		r = ccsb_sandbox_set_net(sb, CCSB_NET_FULL, e);
	if (r < 0) {
		fprintf(stderr, "policy: %s\n", ccsb_error_message(*e));
		exit(2);
	}
	return sb;
}

int main(int argc, char *argv[])
{
	int runs = argc > 1 ? atoi(argv[1]) : 3;
	ccsb_error *e = NULL;
	ccsb_sandbox *sb = policy(&e);
	char *const cmd[] = { "true", NULL };
	for (int i = 0; i < runs; i++) {
		int st = ccsb_sandbox_run(sb, cmd, &e);
		printf("status %d\n", st);
		if (st < 0)
			fprintf(stderr, "run %d: %s\n", i, ccsb_error_message(e));
	}
	/* Until every child has exited (slirp4netns's teardown): a zombie
	 * from then on is one nobody will collect. */
	int all, zombies;
	struct timespec tick = { 0, 20 * 1000 * 1000 };
	for (int i = 0; i < 1000; i++) {
		children(&all, &zombies);
		if (all == zombies)
			break;
		nanosleep(&tick, NULL);
	}
	ccsb_sandbox_free(sb);
	children(&all, &zombies);
	printf("children %d\nzombies %d\n", all, zombies);
	ccsb_error_free(e);
	return 0;
}
