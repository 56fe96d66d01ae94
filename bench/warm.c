/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * warm: the per-command cost of a warm sandbox against a cold one, side by
 * side in one process: N rounds, each timing one ccsb_session_exec() of
 * /bin/true into a sandbox started once with ccsb_sandbox_start(), and one
 * ccsb_sandbox_run() of /bin/true (a sandbox started for the command), in
 * alternating order. Both use the same policy: ccsb's defaults for the
 * current directory, --net=none.
 *
 *   warm [-n ROUNDS] [-w WARMUP]
 *
 * Output, one tab-separated line per variant (times in ms):
 *   NAME n=N ok=OK wall_med= wall_p10= wall_p90=
 * and a line "ratio warm/cold=R". Exit status 1 when a run failed.
 */
#include "ccsandbox.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double pct(double *v, int n, int p)
{
	int i = (n - 1) * p / 100;
	return n ? v[i] : 0;
}

static double report(const char *name, double *v, int n, int ok)
{
	qsort(v, (size_t)ok, sizeof(*v), cmp);
	printf("%s\tn=%d\tok=%d\twall_med=%.3f\twall_p10=%.3f\twall_p90=%.3f\n", name, n, ok,
	       pct(v, ok, 50), pct(v, ok, 10), pct(v, ok, 90));
	return pct(v, ok, 50);
}

static ccsb_sandbox *policy(void)
{
	ccsb_error *err = NULL;
	ccsb_sandbox *sb = ccsb_sandbox_new();
	/* The library reads no environment: the helper is ours to say. */
	const char *helper = getenv("CCSB_EXEC_HELPER");
	if (!sb || (helper && *helper && ccsb_sandbox_set_exec_helper(sb, helper, &err) < 0) ||
	    ccsb_sandbox_apply_defaults(sb, CCSB_DEFAULTS_CWD, &err) < 0 ||
	    ccsb_sandbox_set_net(sb, CCSB_NET_NONE, &err) < 0 ||
	    ccsb_sandbox_set_tty(sb, CCSB_TTY_OFF, &err) < 0) {
		fprintf(stderr, "warm: policy: %s\n", err ? ccsb_error_message(err) : "no memory");
		exit(1);
	}
	return sb;
}

int main(int argc, char **argv)
{
	int rounds = 100, warmup = 5, o;
	while ((o = getopt(argc, argv, "n:w:")) != -1) {
		if (o == 'n')
			rounds = atoi(optarg);
		else if (o == 'w')
			warmup = atoi(optarg);
		else
			return 2;
	}
	if (rounds < 1)
		rounds = 1;
	ccsb_error *err = NULL;
	ccsb_sandbox *warm_sb = policy(), *cold_sb = policy();
	ccsb_session *s = NULL;
	double t0 = now_ms();
	if (ccsb_sandbox_start(warm_sb, &s, &err) < 0) {
		fprintf(stderr, "warm: ccsb_sandbox_start: %s\n", ccsb_error_message(err));
		return 1;
	}
	double start_ms = now_ms() - t0;
	ccsb_session_set_tty(s, CCSB_TTY_OFF, NULL);
	char *const cmd[] = { (char *)"/bin/true", NULL };
	double *warm = calloc((size_t)rounds, sizeof(double));
	double *cold = calloc((size_t)rounds, sizeof(double));
	int nwarm = 0, ncold = 0, failed = 0;
	for (int i = -warmup; i < rounds; i++) {
		for (int k = 0; k < 2; k++) {
			/* Alternate which one goes first. */
			bool do_warm = (k == 0) == (i % 2 == 0);
			double t = now_ms();
			int st = do_warm ? ccsb_session_exec(s, cmd, &err)
					 : ccsb_sandbox_run(cold_sb, cmd, &err);
			t = now_ms() - t;
			if (st != 0) {
				fprintf(stderr, "warm: %s: status %d%s%s\n",
					do_warm ? "exec" : "run", st, err ? ": " : "",
					err ? ccsb_error_message(err) : "");
				ccsb_error_free(err);
				err = NULL;
				failed = 1;
				continue;
			}
			if (i < 0)
				continue;
			if (do_warm)
				warm[nwarm++] = t;
			else
				cold[ncold++] = t;
		}
	}
	printf("start\tn=1\tok=1\twall_med=%.3f\n", start_ms);
	double w = report("warm-exec", warm, rounds, nwarm);
	double c = report("cold-run", cold, rounds, ncold);
	printf("ratio\twarm/cold=%.3f\n", c > 0 ? w / c : 0);
	ccsb_session_free(s);
	ccsb_sandbox_free(warm_sb);
	ccsb_sandbox_free(cold_sb);
	free(warm);
	free(cold);
	return failed;
}
