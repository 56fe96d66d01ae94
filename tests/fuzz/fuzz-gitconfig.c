/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer target: any buffer through the git configuration parser, and
 * every variable it reads through the writer. Beyond crashes, checks what
 * the synthesized ~/.gitconfig relies on: the parser returns 0 or -EINVAL
 * only, and the written text parses back to exactly the variables written,
 * in order, with the same values (no value can add a section or a key). */
#include "gitconfig.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int cond, const char *what)
{
	if (!cond) {
		fprintf(stderr, "invariant broken: %s\n", what);
		abort();
	}
}

struct var {
	char *sec, *sub, *key, *val;
};

struct vars {
	struct var *v;
	size_t n, cap;
	struct ccsb__gitconfig_out *out; /* NULL: only collect */
};

static char *dup_or_null(const char *s)
{
	if (!s)
		return NULL;
	char *d = strdup(s);
	check(d != NULL, "strdup");
	return d;
}

static int collect(const char *sec, const char *sub, const char *key, const char *val, size_t line,
		   void *data)
{
	struct vars *vs = data;
	(void)line;
	check(sec && *sec && key && *key, "section and key present");
	if (vs->out && ccsb__gitconfig_emit(vs->out, sec, sub, key, val) != 0)
		return 0; /* refused (control characters): not written */
	if (vs->n == vs->cap) {
		vs->cap = vs->cap ? 2 * vs->cap : 16;
		vs->v = realloc(vs->v, vs->cap * sizeof(*vs->v));
		check(vs->v != NULL, "realloc");
	}
	vs->v[vs->n++] = (struct var){ dup_or_null(sec), dup_or_null(sub), dup_or_null(key),
				       dup_or_null(val) };
	return 0;
}

static void vars_free(struct vars *vs)
{
	for (size_t i = 0; i < vs->n; i++) {
		free(vs->v[i].sec);
		free(vs->v[i].sub);
		free(vs->v[i].key);
		free(vs->v[i].val);
	}
	free(vs->v);
}

static int same(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ccsb__gitconfig_out out = { 0 };
	struct vars written = { .out = &out }, back = { 0 };
	size_t bad = 0;
	int r = ccsb__gitconfig_parse((const char *)data, size, collect, &written, &bad);
	check(r == 0 || r == -EINVAL, "parse returns 0 or -EINVAL");
	if (r == -EINVAL)
		check(bad >= 1, "a refused text names a line");
	if (out.len) {
		check(strlen(out.buf) == out.len, "no NUL in the written text");
		r = ccsb__gitconfig_parse(out.buf, out.len, collect, &back, &bad);
		check(r == 0, "the written text parses");
		check(back.n == written.n, "as many variables back as written");
		for (size_t i = 0; i < back.n; i++) {
			const struct var *a = &written.v[i], *b = &back.v[i];
			check(same(a->sec, b->sec) && same(a->key, b->key), "same name back");
			check(same(a->sub, b->sub), "same subsection back");
			check(same(a->val, b->val), "same value back");
		}
	} else {
		check(written.n == 0, "written variables produce text");
	}
	vars_free(&written);
	vars_free(&back);
	ccsb__gitconfig_out_free(&out);
	return 0;
}
