/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* `ccsb ps` and `ccsb exec`: the named sandboxes of the user. */
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

int sessions_exec_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "tty", required_argument, NULL, 't' },
		{ "env", required_argument, NULL, 'e' },
		{ "cwd", required_argument, NULL, 'C' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	ccsb_tty_mode tty = CCSB_TTY_AUTO;
	const char *cwd = NULL;
	const char **env = calloc((size_t)argc + 1, sizeof(*env));
	size_t nenv = 0;
	int o;
	if (!env) {
		fprintf(stderr, "ccsb: out of memory\n");
		return EXIT_CCSB;
	}
	optind = 1;
	opterr = 0;
	while ((o = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		switch (o) {
		case 't':
			if (strcmp(optarg, "auto") == 0)
				tty = CCSB_TTY_AUTO;
			else if (strcmp(optarg, "on") == 0)
				tty = CCSB_TTY_ON;
			else if (strcmp(optarg, "off") == 0)
				tty = CCSB_TTY_OFF;
			else {
				fprintf(stderr, "ccsb: exec --tty=%s: use auto, on or off\n",
					optarg);
				free(env);
				return EXIT_CCSB;
			}
			break;
		case 'e':
			if (!strchr(optarg, '=') || optarg[0] == '=') {
				fprintf(stderr, "ccsb: exec --env=%s: use NAME=VALUE\n", optarg);
				free(env);
				return EXIT_CCSB;
			}
			env[nenv++] = optarg;
			break;
		case 'C':
			cwd = optarg;
			break;
		case 'h':
			fputs(exec_usage, stdout);
			free(env);
			return 0;
		default:
			fprintf(stderr, "ccsb: exec: unknown option '%s'; see ccsb exec --help\n",
				argv[optind - 1]);
			free(env);
			return EXIT_CCSB;
		}
	}
	const char *name = argv[optind];
	char **cmd = name ? &argv[optind + 1] : NULL;
	if (cmd && cmd[0] && strcmp(cmd[0], "--") == 0)
		cmd++;
	if (!name || !cmd[0]) {
		fprintf(stderr, "ccsb: exec needs a session name and a command: ccsb exec NAME "
				"[--] COMMAND [ARG...] (ccsb ps lists the names)\n");
		free(env);
		return EXIT_CCSB;
	}
	ccsb_session *s = NULL;
	ccsb_error *err = NULL;
	int r = ccsb_session_open(name, &s, &err);
	if (r == 0)
		r = ccsb_session_set_tty(s, tty, &err);
	if (r == 0 && cwd)
		r = ccsb_session_set_cwd(s, cwd, &err);
	for (size_t i = 0; r == 0 && i < nenv; i++) {
		const char *eq = strchr(env[i], '=');
		char *k = strndup(env[i], (size_t)(eq - env[i]));
		r = k ? ccsb_session_env_set(s, k, eq + 1, &err) : -ENOMEM;
		free(k);
	}
	if (r == 0)
		r = ccsb_session_exec(s, cmd, &err);
	ccsb_session_free(s);
	free(env);
	return r < 0 ? fail(err) : r;
}
