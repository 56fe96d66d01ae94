/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The user's editor and pager inside: EDITOR, VISUAL, PAGER, GIT_EDITOR and
 * GIT_PAGER are passed, and a program they name that the sandbox does not
 * have gets one warning line at start (the run goes on). */
#ifndef CCSB_TOOLENV_H
#define CCSB_TOOLENV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "ccsandbox.h"
#include "cli.h"

/* The variables, in the order they are checked. */
extern const char *const toolenv_vars[];
extern const size_t toolenv_nvars;

/* The program a value names, as the shell that git and others run it with
 * would find it: the first word. false (nothing to check) for an empty
 * value or one whose first word holds quoting or shell syntax. Pure. */
bool toolenv_program(const char *value, char *out, size_t len);

/* Pass the variables (before the command line's --env, which may override
 * them). Returns 0 or a negative errno with *err set. */
int toolenv_pass(ccsb_sandbox *sb, ccsb_error **err);

/* After the policy is complete: one line on `f` for each variable whose
 * value (the command line's --env=NAME=VALUE, else the environment's) names
 * a program the sandbox does not have. Returns the number of lines. */
int toolenv_warn(const ccsb_sandbox *sb, const struct cli *c, FILE *f);

/* A login shell's /etc/profile sets PATH afresh (Debian's does), which
 * would drop the --path directories for `bash -l` and for tools that take
 * their environment from a login shell. With `prefix` ("DIR:DIR:", may be
 * empty: nothing is added) this adds a read-only ~/.profile at `home` that
 * puts them in front again. Returns 0 or a negative errno with *err. */
int toolenv_profile(ccsb_sandbox *sb, const char *home, const char *prefix, ccsb_error **err);

#endif
