/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* git's configuration syntax (gitconfig.c): a parser that follows git's own
 * (config.c: sections, "subsections", quoting, escapes, continuation lines,
 * comments), the allowlist of keys that are pure data, and the writer of
 * the synthesized ~/.gitconfig. Pure: the unit tests and the fuzz target use
 * these; ccsb_sandbox_add_git_config() adds the host side. */
#ifndef CCSB_GITCONFIG_H
#define CCSB_GITCONFIG_H

#include <stdbool.h>
#include <stddef.h>

/* One variable: `section` and `key` lowercase, `subsection` as written (NULL
 * when there is none; lowercased with the old "[section.sub]" syntax, as git
 * does), `value` NULL for a bare "key" (git's boolean true). Borrowed for the
 * call. `line` is the variable's first line. A non-zero return stops the
 * parse and is returned by it. */
typedef int (*ccsb__gitconfig_fn)(const char *section, const char *subsection, const char *key,
				  const char *value, size_t line, void *data);

/* Parse `len` bytes of git configuration text, calling `fn` for each
 * variable in order. Returns 0; -EINVAL for text git itself refuses (bad
 * section header, bad key, unknown escape, unterminated quote, a NUL byte),
 * with *bad_line the line number; or `fn`'s non-zero result. */
int ccsb__gitconfig_parse(const char *buf, size_t len, ccsb__gitconfig_fn fn, void *data,
			  size_t *bad_line);

/* Whether a variable is on the allowlist of keys that only hold data
 * (identity, line endings, merge/rebase style, colours, ...): never one that
 * names a program, a path, a URL or a credential. Arguments as given to a
 * ccsb__gitconfig_fn. */
bool ccsb__gitconfig_safe(const char *section, const char *subsection, const char *key);

/* The synthesized file being written. */
struct ccsb__gitconfig_out {
	char *buf;
	size_t len, cap;
	/* The section header last written, to group keys under it. */
	char *cur_section, *cur_sub;
	bool have_cur, cur_has_sub;
};

/* Append one variable, quoted and escaped so that the value reads back
 * exactly and cannot start a section or a variable of its own. Returns 0;
 * -EINVAL (nothing written) for a name git would not accept or a value with
 * control characters other than tab and newline; -ENOMEM. */
int ccsb__gitconfig_emit(struct ccsb__gitconfig_out *o, const char *section, const char *subsection,
			 const char *key, const char *value);
void ccsb__gitconfig_out_free(struct ccsb__gitconfig_out *o);

#endif
