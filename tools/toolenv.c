/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "toolenv.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* GIT_EDITOR and GIT_PAGER too: git prefers them, and core.editor and
 * core.pager, where many set them, are not passed (see GIT in ccsb(1)). */
const char *const toolenv_vars[] = { "EDITOR", "VISUAL", "PAGER", "GIT_EDITOR", "GIT_PAGER" };
const size_t toolenv_nvars = sizeof(toolenv_vars) / sizeof(*toolenv_vars);

bool toolenv_program(const char *value, char *out, size_t len)
{
	if (!value)
		return false;
	value += strspn(value, " \t\n");
	size_t n = strcspn(value, " \t\n");
	if (n == 0 || n >= len)
		return false;
	/* Quotes, expansions, redirections: the shell would decide. */
	for (size_t i = 0; i < n; i++)
		if (strchr("\"'\\$`;&|<>(){}*?[]~=#!", value[i]))
			return false;
	memcpy(out, value, n);
	out[n] = '\0';
	return true;
}

int toolenv_pass(ccsb_sandbox *sb, ccsb_error **err)
{
	for (size_t i = 0; i < toolenv_nvars; i++) {
		int r = ccsb_sandbox_env_pass(sb, toolenv_vars[i], err);
		if (r < 0)
			return r;
	}
	return 0;
}

/* The value the sandbox will see: the last --env for `name` wins. */
static const char *value_of(const struct cli *c, const char *name)
{
	const char *v = getenv(name);
	size_t n = strlen(name);
	for (size_t i = 0; i < c->nenv; i++) {
		const char *e = c->env[i];
		if (strncmp(e, name, n) != 0)
			continue;
		if (e[n] == '=')
			v = e + n + 1;
		else if (e[n] == '\0')
			v = getenv(name);
	}
	return v;
}

int toolenv_warn(const ccsb_sandbox *sb, const struct cli *c, FILE *f)
{
	int lines = 0;
	for (size_t i = 0; i < toolenv_nvars; i++) {
		const char *name = toolenv_vars[i];
		const char *v = value_of(c, name);
		char prog[256];
		if (!toolenv_program(v, prog, sizeof(prog)) || ccsb_sandbox_has_program(sb, prog))
			continue;
		fprintf(f,
			"ccsb: warning: %s=%s: '%s' is not in the sandbox; add its directory "
			"with --path=DIR, or pick one that is with --env=%s=vi\n",
			name, v, prog, name);
		lines++;
	}
	return lines;
}

int toolenv_profile(ccsb_sandbox *sb, const char *home, const char *prefix, ccsb_error **err)
{
	if (!prefix || !*prefix)
		return 0;
	static const char head[] = "# Written by ccsb: /etc/profile sets PATH afresh; the --path "
				   "directories come first again.\nPATH='";
	static const char tail[] = "'\"$PATH\"\nexport PATH\n";
	size_t n = strlen(prefix), cap = sizeof(head) + 4 * n + sizeof(tail);
	char *text = malloc(cap), *o = text;
	if (!text)
		return ccsb_error_set(err, ENOMEM, "out of memory");
	o = stpcpy(o, head);
	for (const char *c = prefix; *c; c++) {
		if (*c == '\'')
			o = stpcpy(o, "'\\''");
		else
			*o++ = *c;
	}
	o = stpcpy(o, tail);
	char dest[PATH_MAX];
	snprintf(dest, sizeof(dest), "%s/.profile", home);
	int r = ccsb_sandbox_add_file(sb, dest, text, (size_t)(o - text), err);
	free(text);
	return r;
}
