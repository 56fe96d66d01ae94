/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* ccsb: parse, build the policy, run, pass the status through. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ccsandbox.h"
#include "cli.h"
#include "config.h"
#include "doctor.h"
#include "hostenv.h"
#include "sessions.h"
#include "toolenv.h"
#include "netdefaults.h"
#include "ports.h"

#define EXIT_CCSB 125

/* Every failure of ccsb itself ends here: a ccsb_error, from the library or
 * made with ccsb_error_set(), printed as one line; status 125. */
static int die(ccsb_error *e)
{
	fprintf(stderr, "ccsb: %s\n", e ? ccsb_error_message(e) : "out of memory");
	ccsb_error_free(e);
	return EXIT_CCSB;
}

/* PATH, absolute or relative to the current directory, resolved so that the
 * bind does not depend on symlinks that could change under us. */
static int resolve(const char *in, char *out, ccsb_error **err, const char *opt)
{
	if (!realpath(in, out))
		return ccsb_error_set(err, errno, "%s=%s: %s", opt, in, strerror(errno));
	return 0;
}

/* Environment variables that carry Claude Code's configuration. */
static const char *const claude_env[] = { "ANTHROPIC_*", "CLAUDE_CODE_*" };

/* Identity, host environment, the library's defaults and the git
 * identity. An explicit --rw of the current directory lifts the refusal to
 * share / or the whole home. */
static int policy_base(ccsb_sandbox *sb, const struct cli *c, ccsb_error **err)
{
	int r = 0;
	char cwd[PATH_MAX], path[PATH_MAX];

	uid_t uid;
	gid_t gid;
	ccsb_default_ids(&uid, &gid);
	if (c->uid >= 0)
		uid = (uid_t)c->uid;
	if (c->gid >= 0)
		gid = (gid_t)c->gid;
	if ((r = ccsb_sandbox_set_identity(sb, uid, gid, NULL, NULL, err)) < 0)
		return r;
	if ((r = hostenv_apply(sb, err)) < 0)
		return r;

	if (!getcwd(cwd, sizeof(cwd)))
		return ccsb_error_set(err, errno, "cannot get the current directory: %s",
				      strerror(errno));
	bool cwd_explicit = false;
	for (size_t i = 0; i < c->nbinds; i++) {
		if (!c->binds[i].rw || c->binds[i].dest)
			continue;
		if (realpath(c->binds[i].src, path) && strcmp(path, cwd) == 0)
			cwd_explicit = true;
	}
	unsigned flags = CCSB_DEFAULTS_CLAUDE_STATE | (cwd_explicit ? 0 : CCSB_DEFAULTS_CWD);
	if ((r = ccsb_sandbox_apply_defaults(sb, flags, err)) < 0)
		return r;
	if (cwd_explicit && (r = ccsb_sandbox_set_cwd(sb, cwd, err)) < 0)
		return r;
	/* The identity is a convenience: a global git configuration that git
	 * itself refuses costs the identity, not the run. */
	if (ccsb_sandbox_add_git_config(sb, err) < 0) {
		fprintf(stderr, "ccsb: warning: %s; git inside runs without your identity\n",
			ccsb_error_message(*err));
		ccsb_error_free(*err);
		*err = NULL;
	}
	return 0;
}

/* --rw, --ro and --tmpfs. */
static int policy_mounts(ccsb_sandbox *sb, const struct cli *c, ccsb_error **err)
{
	int r = 0;
	char path[PATH_MAX];

	for (size_t i = 0; i < c->nbinds; i++) {
		const struct cli_bind *b = &c->binds[i];
		if ((r = resolve(b->src, path, err, b->rw ? "--rw" : "--ro")) < 0)
			return r;
		r = ccsb_sandbox_add_bind(sb, path, b->dest ? b->dest : path,
					  b->rw ? CCSB_BIND_RW : CCSB_BIND_RO, err);
		if (r < 0)
			return r;
	}
	for (size_t i = 0; i < c->ntmpfs; i++)
		if ((r = ccsb_sandbox_add_tmpfs(sb, c->tmpfs[i], err)) < 0)
			return r;
	return 0;
}

/* The --path directories, each followed by ':', into PREFIX (SIZE bytes). */
static int policy_paths(ccsb_sandbox *sb, const struct cli *c, char *prefix, size_t size,
			ccsb_error **err)
{
	int r = 0;
	char path[PATH_MAX];

	for (size_t i = 0; i < c->npaths; i++) {
		char *in = NULL;
		if ((r = resolve(c->paths[i], path, err, "--path")) < 0 ||
		    (r = ccsb_sandbox_add_path(sb, path, &in, err)) < 0)
			return r;
		size_t n = strlen(prefix);
		snprintf(prefix + n, size - n, "%s:", in);
		free(in);
	}
	return 0;
}

/* claude's installation, read-only inside, and its environment; *DIR gets
 * the directory of the claude program inside. */
static int policy_claude(ccsb_sandbox *sb, char **dir, ccsb_error **err)
{
	int r = ccsb_sandbox_add_program(sb, "claude", dir, err);
	if (r == -ENOENT) {
		ccsb_error_free(*err);
		*err = NULL;
		return ccsb_error_set(
			err, ENOENT,
			"claude not found on your PATH: install Claude Code (sudo npm install "
			"-g @anthropic-ai/claude-code, without sudo when npm's global prefix "
			"is yours, e.g. nvm's; no npm: sudo apt-get install nodejs npm; or "
			"Anthropic's installer: curl -fsSL https://claude.ai/install.sh | "
			"bash) and try again");
	}
	if (r < 0)
		return r;
	/* The installation is read-only inside. */
	if ((r = ccsb_sandbox_env_set(sb, "DISABLE_AUTOUPDATER", "1", err)) < 0)
		return r;
	for (size_t i = 0; i < sizeof(claude_env) / sizeof(*claude_env); i++)
		if ((r = ccsb_sandbox_env_pass(sb, claude_env[i], err)) < 0)
			return r;
	return 0;
}

/* PATH: the --path directories first, as they come before the system ones
 * on the host, then claude's, then the system's; then the tools' profile. */
static int policy_path_env(ccsb_sandbox *sb, const struct cli *c, ccsb_error **err)
{
	int r = 0;
	bool claude = strcmp(c->cmd[0], "claude") == 0;
	char prefix[8 * PATH_MAX] = "";

	if ((r = policy_paths(sb, c, prefix, sizeof(prefix), err)) < 0)
		return r;
	if ((r = toolenv_pass(sb, err)) < 0)
		return r;

	char *dir = NULL;
	if (claude && (r = policy_claude(sb, &dir, err)) < 0)
		return r;

	if (*prefix || dir) {
		char p[sizeof(prefix) + PATH_MAX];
		snprintf(p, sizeof(p),
			 "%s%s%s/usr/local/bin:/usr/bin:/bin:/usr/local/sbin:/usr/sbin:/sbin",
			 prefix, dir ? dir : "", dir ? ":" : "");
		free(dir);
		if ((r = ccsb_sandbox_env_set(sb, "PATH", p, err)) < 0)
			return r;
	}
	/* ccsb keeps the library's default home inside. */
	return toolenv_profile(sb, "/home/claude", prefix, err);
}

/* Proxies and the CA files they need (netdefaults.c), then --env. */
static int policy_env(ccsb_sandbox *sb, const struct cli *c, ccsb_error **err)
{
	int r = 0;

	if ((r = netdefaults_env(sb, err)) < 0)
		return r;
	for (size_t i = 0; i < c->nenv; i++) {
		const char *eq = strchr(c->env[i], '=');
		if (eq) {
			char *name = strndup(c->env[i], (size_t)(eq - c->env[i]));
			if (!name)
				return ccsb_error_set(err, ENOMEM, "out of memory");
			r = ccsb_sandbox_env_set(sb, name, eq + 1, err);
			free(name);
		} else {
			r = ccsb_sandbox_env_pass(sb, c->env[i], err);
		}
		if (r < 0)
			return r;
	}
	return 0;
}

/* Agents, terminal, seccomp, limits and the session name. */
static int policy_settings(ccsb_sandbox *sb, const struct cli *c, ccsb_error **err)
{
	int r = 0;

	/* After the defaults: the known_hosts binds go over the home tmpfs. */
	if (c->ssh_agent &&
	    (r = ccsb_sandbox_set_ssh_agent(sb, c->ssh_agent, CCSB_SSH_KNOWN_HOSTS, err)) < 0)
		return r;
	if (c->git_credentials && (r = ccsb_sandbox_set_git_credentials(sb, true, err)) < 0)
		return r;

	toolenv_warn(sb, c, stderr);

	if (c->tty >= 0 && (r = ccsb_sandbox_set_tty(sb, (ccsb_tty_mode)c->tty, err)) < 0)
		return r;
	ccsb_sandbox_set_seccomp(sb, !c->no_seccomp);
	ccsb_sandbox_set_nested_userns(sb, c->nested_userns == 1);
	if (c->memory && (r = ccsb_sandbox_set_memory_max(sb, c->memory, err)) < 0)
		return r;
	if (c->pids && (r = ccsb_sandbox_set_pids_max(sb, c->pids, err)) < 0)
		return r;
	ccsb_sandbox_set_allow_clipboard(sb, c->allow_clipboard == 1);

	if (c->name && (r = ccsb_sandbox_set_name(sb, c->name, err)) < 0)
		return r;
	return 0;
}

/* The network mode, the allowlist and the ports. */
static int policy_net(ccsb_sandbox *sb, const struct cli *c, ccsb_error **err)
{
	int r = 0;
	ccsb_net_mode mode = c->net >= 0 ? (ccsb_net_mode)c->net : CCSB_NET_ALLOWLIST;

	if ((r = ccsb_sandbox_set_net(sb, mode, err)) < 0)
		return r;
	if (mode == CCSB_NET_ALLOWLIST) {
		if (!c->no_default_allowlist &&
		    (r = netdefaults_apply(sb, c, c->quiet ? NULL : stderr, NULL, err)) < 0)
			return r;
		for (size_t i = 0; i < c->nallow_files; i++)
			if ((r = ccsb_sandbox_allow_file(sb, c->allow_files[i], err)) < 0)
				return r;
		for (size_t i = 0; i < c->nallow; i++)
			if ((r = ccsb_sandbox_allow(sb, c->allow[i], err)) < 0)
				return r;
	}
	return ports_apply(sb, c->publish, c->npublish, c->host_ports, c->nhost_ports, err);
}

/* The order matters: the defaults before the user's binds, the binds before
 * the agents' files that go over the home tmpfs. */
static int build_policy(ccsb_sandbox *sb, const struct cli *c, ccsb_error **err)
{
	int r = 0;

	if ((r = policy_base(sb, c, err)) < 0 || (r = policy_mounts(sb, c, err)) < 0 ||
	    (r = policy_path_env(sb, c, err)) < 0 || (r = policy_env(sb, c, err)) < 0 ||
	    (r = policy_settings(sb, c, err)) < 0)
		return r;
	return policy_net(sb, c, err);
}

static void describe_net(const ccsb_sandbox *sb, FILE *f, const char *prefix)
{
	ccsb_net_mode m = ccsb_sandbox_get_net(sb);
	if (m == CCSB_NET_ALLOWLIST) {
		size_t given, merged;
		ccsb_sandbox_allowlist_count(sb, &given, &merged);
		size_t names = ccsb_sandbox_allowlist_name_count(sb);
		fprintf(f,
			"%snetwork: allowlist, %zu prefix%s (%zu as given), %zu name%s, "
			"DNS 127.0.0.1 (ccsb's filter)\n",
			prefix, merged, merged == 1 ? "" : "es", given, names,
			names == 1 ? "" : "s");
	} else if (m == CCSB_NET_FULL) {
		fprintf(f,
			"%snetwork: full (any destination except the host's loopback), DNS 10.0.2.3\n",
			prefix);
	} else {
		fprintf(f, "%snetwork: none (loopback only)\n", prefix);
	}
	ports_describe(sb, f, prefix);
}

/* Claude Code's own sandbox (settings key sandbox.enabled) runs each Bash
 * command under a bwrap of its own, which needs a user namespace and a
 * procfs mount of its own. Without nested user namespaces (the default), or
 * with ccsb run by root (whose /proc covers make that mount fail), every
 * Bash call would fail, so `ccsb claude` turns it off for the session with
 * the documented --settings flag: command-line settings outrank the user's
 * and the project's, and leave an enterprise's managed settings alone. */
/* Said on the status line whenever it applies. */
#define CLAUDE_OFF_LINE                                                                       \
	(getuid() == 0                                                                        \
		 ? "claude: its own sandbox off (ccsb is the sandbox; run by root, a "        \
		   "nested /proc cannot be mounted)"                                          \
		 : "claude: its own sandbox off (ccsb is the sandbox; --nested-userns keeps " \
		   "it)")
static const char claude_settings[] = "{\"sandbox\":{\"enabled\":false}}";

static bool claude_sandbox_off(const struct cli *c)
{
	return strcmp(c->cmd[0], "claude") == 0 && (c->nested_userns != 1 || getuid() == 0);
}

/* c->cmd with the settings inserted after "claude"; NULL when out of memory.
 * The strings stay borrowed. */
static char **claude_cmd(const struct cli *c)
{
	size_t n = 0;
	while (c->cmd[n])
		n++;
	char **v = calloc(n + 3, sizeof(*v));
	if (!v)
		return NULL;
	v[0] = c->cmd[0];
	v[1] = (char *)"--settings";
	v[2] = (char *)claude_settings;
	for (size_t i = 1; i <= n; i++)
		v[i + 2] = c->cmd[i];
	return v;
}

static void describe_bounds(const ccsb_sandbox *sb, FILE *f, const char *prefix)
{
	char *line = ccsb_sandbox_describe_bounds(sb);
	fprintf(f, "%s%s\n", prefix, line ? line : "bounds: (out of memory describing them)");
	free(line);
}

static void print_version(void)
{
	printf("ccsb %s (libccsandbox %s)\n", PACKAGE_VERSION, ccsb_version());
	fflush(stdout);
	/* The bwrap a run would use. */
	ccsb_sandbox *sb = ccsb_sandbox_new();
	ccsb_error *e = NULL;
	char *bwrap = NULL;
	if (!sb || hostenv_apply(sb, &e) < 0 ||
	    ccsb_sandbox_find_helper(sb, CCSB_HELPER_BWRAP, &bwrap, &e) < 0) {
		printf("bwrap: not found (%s)\n", e ? ccsb_error_message(e) : "out of memory");
		fflush(stdout);
	} else {
		char *const argv[] = { bwrap, (char *)"--version", NULL };
		pid_t pid = fork();
		if (pid == 0) {
			execv(argv[0], argv);
			/* _exit() does not flush stdio: a piped stdout would lose it. */
			dprintf(1, "bwrap: cannot run %s: %s\n", argv[0], strerror(errno));
			_exit(127);
		}
		if (pid > 0)
			waitpid(pid, NULL, 0);
	}
	free(bwrap);
	ccsb_error_free(e);
	ccsb_sandbox_free(sb);
}

/* --events=FILE (appended, created 0600; *own set: ours to close) or fd:N
 * (the caller's, open for writing). A FIFO is opened without waiting for a
 * reader: none is an error, not a hang before the sandbox starts. The
 * descriptor, or -1 with *err set. */
static int events_open(const char *spec, bool *own, ccsb_error **err)
{
	*own = false;
	if (strncmp(spec, "fd:", 3) == 0) {
		int fd = atoi(spec + 3);
		int fl = fcntl(fd, F_GETFL);
		if (fl < 0 || (fl & O_ACCMODE) == O_RDONLY) {
			ccsb_error_set(
				err, EBADF,
				"--events=%s: descriptor %d is not open for writing; open it "
				"in the shell (ccsb --events=fd:%d ... %d>FILE)",
				spec, fd, fd, fd);
			return -1;
		}
		return fd;
	}
	int fd =
		open(spec, O_WRONLY | O_CREAT | O_APPEND | O_NONBLOCK | O_CLOEXEC | O_NOCTTY, 0600);
	if (fd < 0) {
		if (errno == ENXIO)
			ccsb_error_set(err, ENXIO,
				       "--events=%s: a FIFO with no reader; start the reader first",
				       spec);
		else
			ccsb_error_set(err, errno, "--events=%s: %s", spec, strerror(errno));
		return -1;
	}
	*own = true;
	return fd;
}

/* The run proper, once the options are in `c`: 0 or the command's status,
 * or -1 with *err set. */
static int run(struct cli *c, ccsb_error **err)
{
	char cmsg[PATH_MAX + 512];
	if (config_load(c, NULL, 0, cmsg, sizeof(cmsg)) < 0) {
		ccsb_error_set(err, EINVAL, "%s", cmsg);
		return -1;
	}
	/* The configuration's place, read-only inside (config_protect()). */
	char psrc[PATH_MAX], pdest[PATH_MAX];
	int prot = 0, status = -1, log_fd = -1, ev_fd = -1;
	bool ev_own = false;
	bool claude_off = claude_sandbox_off(c);
	ccsb_sandbox *sb = ccsb_sandbox_new();
	char **cmd = claude_off ? claude_cmd(c) : c->cmd;
	if (!sb || !cmd) {
		ccsb_error_set(err, ENOMEM, "out of memory");
		goto out;
	}
	if (build_policy(sb, c, err) < 0)
		goto out;
	if ((prot = config_protect(c, psrc, pdest, sizeof(psrc), cmsg, sizeof(cmsg))) < 0) {
		ccsb_error_set(err, EPERM, "%s", cmsg);
		goto out;
	}
	if (prot == 1 && ccsb_sandbox_add_bind(sb, psrc, pdest, CCSB_BIND_RO, err) < 0)
		goto out;
	if (c->print) {
		char *sh = NULL;
		if (ccsb_sandbox_format_shell(sb, cmd, &sh, err) < 0)
			goto out;
		describe_net(sb, stdout, "# ");
		if (claude_off)
			printf("# %s\n", CLAUDE_OFF_LINE);
		describe_bounds(sb, stdout, "# ");
		fputs(sh, stdout);
		free(sh);
		status = 0;
		goto out;
	}
	if (!c->quiet) {
		describe_net(sb, stderr, "ccsb: ");
		if (claude_off)
			fprintf(stderr, "ccsb: %s\n", CLAUDE_OFF_LINE);
	}
	/* Written by the run once the bounds are in place: whether the
	 * systemd scope holds is only known then. */
	ccsb_sandbox_set_bounds_fd(sb, c->quiet ? -1 : STDERR_FILENO);
	if (c->log_net) {
		log_fd = open(c->log_net, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
		if (log_fd < 0) {
			ccsb_error_set(err, errno, "--log-net: %s: %s", c->log_net,
				       strerror(errno));
			goto out;
		}
	}
	ccsb_sandbox_set_dns_log(sb, log_fd, c->quiet ? -1 : STDERR_FILENO);
	if (c->events) {
		if ((ev_fd = events_open(c->events, &ev_own, err)) < 0)
			goto out;
		ccsb_sandbox_set_events_fd(sb, ev_fd);
	}
	/* Not silenced by --quiet: it says what the sandbox tried to
	 * leave behind for the host. */
	ccsb_sandbox_set_report_fd(sb, STDERR_FILENO);
	status = ccsb_sandbox_run(sb, cmd, err);
	if (status < 0)
		status = -1;
out:
	if (log_fd >= 0)
		close(log_fd);
	if (ev_own)
		close(ev_fd);
	ccsb_sandbox_free(sb);
	if (cmd != c->cmd)
		free(cmd);
	return status;
}

int main(int argc, char **argv)
{
	struct cli c;
	char msg[512];
	ccsb_error *err = NULL;

	if (cli_parse(argc, argv, &c, msg, sizeof(msg)) < 0) {
		ccsb_error_set(&err, EINVAL, "%s", msg);
		return die(err);
	}
	int status = 0;
	if (c.action == CLI_HELP) {
		char *u = cli_usage();
		if (u)
			fputs(u, stdout);
		else
			status = die(NULL);
		free(u);
	} else if (c.action == CLI_VERSION) {
		print_version();
	} else if (c.action == CLI_COMPLETE) {
		cli_print_completion(stdout);
	} else if (getuid() != geteuid() || getgid() != getegid()) {
		/* A setuid ccsb would let any user bind any file of its owner
		 * into a sandbox they control. */
		ccsb_error_set(&err, EPERM,
			       "refusing to run setuid or setgid: ccsb needs no privilege; remove "
			       "the setuid/setgid bit (chmod u-s,g-s)");
		status = die(err);
	} else if (ccsb_caps_drop_inheritable(&err) < 0) {
		status = die(err);
	} else if (!c.dashdash && strcmp(c.cmd[0], "ps") == 0) {
		status = sessions_ps_main(c.cmd + 1);
	} else if (!c.dashdash && strcmp(c.cmd[0], "exec") == 0) {
		int n = 0;
		while (c.cmd[n])
			n++;
		status = sessions_exec_main(n, c.cmd);
	} else if (!c.dashdash && strcmp(c.cmd[0], "events") == 0) {
		int n = 0;
		while (c.cmd[n])
			n++;
		status = sessions_events_main(n, c.cmd);
	} else if (!c.dashdash && strcmp(c.cmd[0], "doctor") == 0) {
		status = doctor_main(c.cmd + 1);
	} else {
		status = run(&c, &err);
		if (status < 0)
			status = die(err);
	}
	cli_free(&c);
	return status;
}
