/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* git's configuration syntax: parse, filter, write (gitconfig.h). Pure.
 *
 * The parser mirrors git's config.c (git_parse_source(), get_base_var(),
 * get_value(), parse_value()) rather than a grammar of our own, so that it
 * takes a file exactly when git does and reads the same values: a key that
 * git sees but we did not would be lost, and a value we read differently
 * would be passed on differently. */
#include "gitconfig.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Cursor over the text, as git's get_next_char(): "\r\n" reads as "\n",
 * the end of the text as one final "\n" with `eof` set. */
struct src {
	const char *p, *end;
	size_t line;
	bool eof, nul;
};

static int next(struct src *s)
{
	if (s->p >= s->end) {
		s->eof = true;
		return '\n';
	}
	int c = (unsigned char)*s->p++;
	if (c == '\r' && s->p < s->end && *s->p == '\n')
		c = (unsigned char)*s->p++;
	if (c == '\0')
		s->nul = true;
	if (c == '\n')
		s->line++;
	return c;
}

/* git uses the C locale's classes on bytes. */
static bool is_space(int c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

static bool is_alpha(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_keychar(int c)
{
	return is_alpha(c) || (c >= '0' && c <= '9') || c == '-';
}

static int lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

struct sbuf {
	char *p;
	size_t len, cap;
};

static int put(struct sbuf *b, char c)
{
	if (b->len + 1 >= b->cap) {
		size_t cap = b->cap ? 2 * b->cap : 64;
		char *np = realloc(b->p, cap);
		if (!np)
			return -ENOMEM;
		b->p = np;
		b->cap = cap;
	}
	b->p[b->len++] = c;
	b->p[b->len] = '\0';
	return 0;
}

static void reset(struct sbuf *b)
{
	b->len = 0;
	if (b->p)
		b->p[0] = '\0';
}

/* After "[": "name]" or "name "sub"]". The section goes to `sec`, the
 * subsection (if any) to `sub`. */
static int section_header(struct src *s, struct sbuf *sec, struct sbuf *sub, bool *has_sub)
{
	*has_sub = false;
	reset(sec);
	reset(sub);
	for (;;) {
		int c = next(s);
		if (s->eof)
			return -EINVAL;
		if (c == ']')
			break;
		if (is_space(c)) {
			/* get_extended_base_var(): blanks, then a quoted
			 * subsection, then "]" at once. */
			do {
				if (c == '\n')
					return -EINVAL;
				c = next(s);
			} while (is_space(c));
			if (c != '"')
				return -EINVAL;
			*has_sub = true;
			for (;;) {
				c = next(s);
				if (c == '\n')
					return -EINVAL;
				if (c == '"')
					break;
				if (c == '\\') {
					c = next(s);
					if (c == '\n')
						return -EINVAL;
				}
				if (put(sub, (char)c) < 0)
					return -ENOMEM;
			}
			if (next(s) != ']')
				return -EINVAL;
			break;
		}
		if (!is_keychar(c) && c != '.')
			return -EINVAL;
		if (put(sec, (char)lower(c)) < 0)
			return -ENOMEM;
	}
	if (sec->len == 0)
		return -EINVAL;
	/* The old "[section.sub]" form: git lowercases it all and the part
	 * after the first dot is the subsection. A quoted subsection after it
	 * is appended to it. */
	char *dot = strchr(sec->p, '.');
	if (dot) {
		struct sbuf old = { 0 };
		const char *tail = dot + 1;
		for (const char *t = tail; *t; t++)
			if (put(&old, *t) < 0)
				goto nomem;
		if (*has_sub) {
			if (put(&old, '.') < 0)
				goto nomem;
			for (size_t i = 0; i < sub->len; i++)
				if (put(&old, sub->p[i]) < 0)
					goto nomem;
		}
		*dot = '\0';
		sec->len = (size_t)(dot - sec->p);
		reset(sub);
		for (size_t i = 0; i < old.len; i++)
			if (put(sub, old.p[i]) < 0)
				goto nomem;
		*has_sub = true;
		free(old.p);
		if (sec->len == 0)
			return -EINVAL;
		return 0;
nomem:
		free(old.p);
		return -ENOMEM;
	}
	return 0;
}

/* parse_value(): after "=". */
static int value(struct src *s, struct sbuf *v)
{
	bool quote = false, comment = false;
	size_t trim = 0;
	reset(v);
	for (;;) {
		int c = next(s);
		if (c == '\n') {
			if (quote)
				return -EINVAL;
			if (trim) {
				v->len = trim;
				v->p[trim] = '\0';
			}
			return 0;
		}
		if (comment)
			continue;
		if (is_space(c) && !quote) {
			if (!trim)
				trim = v->len;
			if (v->len && put(v, (char)c) < 0)
				return -ENOMEM;
			continue;
		}
		if (!quote && (c == ';' || c == '#')) {
			comment = true;
			continue;
		}
		trim = 0;
		if (c == '\\') {
			c = next(s);
			switch (c) {
			case '\n': /* a continuation line (at the end: nothing) */
				continue;
			case 't':
				c = '\t';
				break;
			case 'b':
				c = '\b';
				break;
			case 'n':
				c = '\n';
				break;
			case '\\':
			case '"':
				break;
			default:
				return -EINVAL;
			}
			if (put(v, (char)c) < 0)
				return -ENOMEM;
			continue;
		}
		if (c == '"') {
			quote = !quote;
			continue;
		}
		if (put(v, (char)c) < 0)
			return -ENOMEM;
	}
}

/* Over 80 lines on purpose: one loop over the lines, in the order git's
 * own config parser takes them: comment, section header, key, '=',
 * value. Splitting it would scatter the line-ending and end-of-text
 * rules each step shares, and the error line reported below depends on
 * where exactly the loop stopped. Headers and values already have their
 * own functions. */
int ccsb__gitconfig_parse(const char *buf, size_t len, ccsb__gitconfig_fn fn, void *data,
			  size_t *bad_line)
{
	struct src s = { .p = buf, .end = buf + len, .line = 1 };
	struct sbuf sec = { 0 }, sub = { 0 }, key = { 0 }, val = { 0 };
	bool has_sub = false, in_section = false, comment = false;
	int r = 0;

	if (len >= 3 && memcmp(buf, "\xef\xbb\xbf", 3) == 0)
		s.p += 3;
	for (;;) {
		size_t line = s.line;
		int c = next(&s);
		if (s.nul) {
			r = -EINVAL;
			break;
		}
		if (c == '\n') {
			if (s.eof)
				break;
			comment = false;
			continue;
		}
		if (comment || is_space(c))
			continue;
		if (c == '#' || c == ';') {
			comment = true;
			continue;
		}
		if (c == '[') {
			r = section_header(&s, &sec, &sub, &has_sub);
			if (r < 0)
				break;
			in_section = true;
			continue;
		}
		if (!is_alpha(c)) {
			r = -EINVAL;
			break;
		}
		reset(&key);
		if (put(&key, (char)lower(c)) < 0) {
			r = -ENOMEM;
			break;
		}
		for (;;) {
			c = next(&s);
			if (s.eof || !is_keychar(c))
				break;
			if (put(&key, (char)lower(c)) < 0) {
				r = -ENOMEM;
				break;
			}
		}
		if (r < 0)
			break;
		while (c == ' ' || c == '\t')
			c = next(&s);
		const char *v = NULL;
		if (c != '\n') {
			if (c != '=') {
				r = -EINVAL;
				break;
			}
			if ((r = value(&s, &val)) < 0)
				break;
			v = val.p ? val.p : "";
		}
		if (s.nul) {
			r = -EINVAL;
			break;
		}
		/* git reads a key before any section but no command can use
		 * it: skipped. */
		if (in_section && (r = fn(sec.p, has_sub ? (sub.p ? sub.p : "") : NULL, key.p, v,
					  line, data)) != 0)
			break;
		/* The value ended its line (or the text). */
		if (s.eof)
			break;
	}
	if (r == -EINVAL && bad_line) {
		/* The line where git would stop: a value or header cut by the
		 * end of its line is reported on that line. */
		*bad_line =
			s.line > 1 && s.p > buf && s.p[-1] == '\n' && !s.eof ? s.line - 1 : s.line;
	}
	free(sec.p);
	free(sub.p);
	free(key.p);
	free(val.p);
	return r;
}

/* ---- the allowlist ---------------------------------------------------- */

/* "section.key" without a subsection. Each only holds data that git
 * interprets itself: names, booleans, numbers, enums, colours. Deliberately
 * absent, among others: anything naming a program (core.pager,
 * core.editor, core.sshCommand, core.fsmonitor, sequence.editor,
 * gpg.program, interactive.diffFilter, diff/merge/filter drivers), a path
 * read or executed (core.hooksPath, core.excludesFile, commit.template,
 * include.path), credentials and URLs (credential.*, http.*, url.*),
 * aliases, and commit.gpgSign/tag.gpgSign (no key inside: every commit
 * would fail). */
static const char *const safe_keys[] = {
	"author.email",
	"author.name",
	"blame.coloring",
	"blame.date",
	"branch.autosetupmerge",
	"branch.autosetuprebase",
	"branch.sort",
	"column.branch",
	"column.status",
	"column.tag",
	"column.ui",
	"commit.cleanup",
	"commit.status",
	"commit.verbose",
	"committer.email",
	"committer.name",
	"core.abbrev",
	"core.autocrlf",
	"core.checkroundtripencoding",
	"core.commentchar",
	"core.commentstring",
	"core.eol",
	"core.precomposeunicode",
	"core.quotepath",
	"core.safecrlf",
	"core.whitespace",
	"diff.algorithm",
	"diff.colormoved",
	"diff.colormovedws",
	"diff.context",
	"diff.indentheuristic",
	"diff.interhunkcontext",
	"diff.mnemonicprefix",
	"diff.noprefix",
	"diff.relative",
	"diff.renamelimit",
	"diff.renames",
	"diff.statgraphwidth",
	"diff.submodule",
	"diff.wserrorhighlight",
	"fetch.fsckobjects",
	"fetch.prune",
	"fetch.prunetags",
	"grep.column",
	"grep.extendedregexp",
	"grep.fullname",
	"grep.linenumber",
	"grep.patterntype",
	"i18n.commitencoding",
	"i18n.logoutputencoding",
	"init.defaultbranch",
	"interactive.singlekey",
	"log.abbrevcommit",
	"log.date",
	"log.decorate",
	"log.follow",
	"log.mailmap",
	"log.showroot",
	"merge.autostash",
	"merge.conflictstyle",
	"merge.directoryrenames",
	"merge.ff",
	"merge.log",
	"merge.renames",
	"merge.stat",
	"pull.ff",
	"pull.rebase",
	"push.autosetupremote",
	"push.default",
	"push.followtags",
	"rebase.abbreviatecommands",
	"rebase.autosquash",
	"rebase.autostash",
	"rebase.missingcommitscheck",
	"rebase.stat",
	"rebase.updaterefs",
	"receive.fsckobjects",
	"rerere.autoupdate",
	"rerere.enabled",
	"status.aheadbehind",
	"status.branch",
	"status.relativepaths",
	"status.short",
	"status.showstash",
	"status.showuntrackedfiles",
	"status.submodulesummary",
	"tag.sort",
	"transfer.fsckobjects",
	"user.email",
	"user.name",
	"user.useconfigonly",
	"versionsort.suffix",
};

/* Sections whose every key, with or without subsection, is data: colour
 * specifications ("color.diff.meta") and advice switches. */
static const char *const safe_sections[] = { "advice", "color" };

bool ccsb__gitconfig_safe(const char *section, const char *subsection, const char *key)
{
	for (size_t i = 0; i < sizeof(safe_sections) / sizeof(*safe_sections); i++)
		if (strcmp(section, safe_sections[i]) == 0)
			return true;
	if (subsection)
		return false;
	size_t n = strlen(section);
	for (size_t i = 0; i < sizeof(safe_keys) / sizeof(*safe_keys); i++) {
		const char *k = safe_keys[i];
		if (strncmp(k, section, n) == 0 && k[n] == '.' && strcmp(k + n + 1, key) == 0)
			return true;
	}
	return false;
}

/* ---- the writer ------------------------------------------------------- */

static int out_put(struct ccsb__gitconfig_out *o, const char *s, size_t n)
{
	if (o->len + n + 1 > o->cap) {
		size_t cap = o->cap ? o->cap : 256;
		while (cap < o->len + n + 1)
			cap *= 2;
		char *nb = realloc(o->buf, cap);
		if (!nb)
			return -ENOMEM;
		o->buf = nb;
		o->cap = cap;
	}
	memcpy(o->buf + o->len, s, n);
	o->len += n;
	o->buf[o->len] = '\0';
	return 0;
}

static int out_str(struct ccsb__gitconfig_out *o, const char *s)
{
	return out_put(o, s, strlen(s));
}

static bool name_ok(const char *s, bool dots)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!is_keychar((unsigned char)*s) && !(dots && *s == '.'))
			return false;
	return true;
}

/* Escaped inside double quotes: what parse_value() and the subsection
 * reader turn back into the same bytes. */
static int out_quoted(struct ccsb__gitconfig_out *o, const char *s, bool value)
{
	int r = out_put(o, "\"", 1);
	for (; r == 0 && *s; s++) {
		switch (*s) {
		case '\\':
			r = out_put(o, "\\\\", 2);
			break;
		case '"':
			r = out_put(o, "\\\"", 2);
			break;
		case '\n':
			r = value ? out_put(o, "\\n", 2) : -EINVAL;
			break;
		case '\t':
			r = value ? out_put(o, "\\t", 2) : out_put(o, s, 1);
			break;
		default:
			r = out_put(o, s, 1);
		}
	}
	return r < 0 ? r : out_put(o, "\"", 1);
}

static bool ctl_free(const char *s, bool allow_nl)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if ((c < 0x20 && c != '\t' && !(allow_nl && c == '\n')) || c == 0x7f)
			return false;
	}
	return true;
}

int ccsb__gitconfig_emit(struct ccsb__gitconfig_out *o, const char *section, const char *subsection,
			 const char *key, const char *value)
{
	if (!name_ok(section, false) || !name_ok(key, false) || !is_alpha((unsigned char)key[0]) ||
	    (subsection && !ctl_free(subsection, false)) || (value && !ctl_free(value, true)))
		return -EINVAL;
	size_t start = o->len;
	int r = 0;
	bool same = o->have_cur && strcmp(o->cur_section, section) == 0 &&
		    o->cur_has_sub == (subsection != NULL) &&
		    (!subsection || strcmp(o->cur_sub, subsection) == 0);
	if (!same) {
		char *ns = strdup(section), *nsub = subsection ? strdup(subsection) : NULL;
		if (!ns || (subsection && !nsub)) {
			free(ns);
			free(nsub);
			return -ENOMEM;
		}
		r = out_str(o, "[");
		if (r == 0)
			r = out_str(o, section);
		if (r == 0 && subsection) {
			r = out_str(o, " ");
			if (r == 0)
				r = out_quoted(o, subsection, false);
		}
		if (r == 0)
			r = out_str(o, "]\n");
		if (r < 0) {
			free(ns);
			free(nsub);
			goto fail;
		}
		free(o->cur_section);
		free(o->cur_sub);
		o->cur_section = ns;
		o->cur_sub = nsub;
		o->cur_has_sub = subsection != NULL;
		o->have_cur = true;
	}
	r = out_str(o, "\t");
	if (r == 0)
		r = out_str(o, key);
	if (r == 0 && value) {
		r = out_str(o, " = ");
		if (r == 0)
			r = out_quoted(o, value, true);
	}
	if (r == 0)
		r = out_str(o, "\n");
	if (r == 0)
		return 0;
fail:
	if (!same)
		o->have_cur = false; /* the header is gone with the rest */
	o->len = start;
	if (o->buf)
		o->buf[start] = '\0';
	return r;
}

void ccsb__gitconfig_out_free(struct ccsb__gitconfig_out *o)
{
	free(o->buf);
	free(o->cur_section);
	free(o->cur_sub);
	memset(o, 0, sizeof(*o));
}
