/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* `ccsb ps` and `ccsb exec`: the named sandboxes of the user. */
#include "cli.h"
#include "sessions.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ccsandbox.h"

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

int sessions_ps_main(char **args)
{
	if (args[0]) {
		if (strcmp(args[0], "-h") == 0 || strcmp(args[0], "--help") == 0) {
			puts("Usage: ccsb ps\nList your running sandboxes started with --name: name, "
			     "uptime, project, command and policy.");
			return 0;
		}
		fprintf(stderr, "ccsb: ps takes no arguments ('%s'); see ccsb ps --help\n",
			args[0]);
		return EXIT_CCSB;
	}
	ccsb_session_info *v;
	size_t n;
	ccsb_error *err = NULL;
	if (ccsb_session_list(&v, &n, &err) < 0)
		return fail(err);
	printf("%-16s %-8s %-30s %-24s %s\n", "NAME", "UPTIME", "PROJECT", "COMMAND", "POLICY");
	for (size_t i = 0; i < n; i++) {
		char up[32];
		uptime(v[i].started, up, sizeof(up));
		printf("%-16s %-8s %-30s %-24s %s\n", v[i].name, up, v[i].project, v[i].command,
		       v[i].policy);
	}
	ccsb_session_list_free(v, n);
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
