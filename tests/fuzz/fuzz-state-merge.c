/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer target: the merge of Claude Code's state (tools/state-merge.c).
 * The input is three JSON texts separated by NUL bytes: the baseline, the
 * sandbox's copy, the host's file. Beyond crashes and leaks, checks what
 * the guard promises: whatever the sandbox wrote, no key that runs programs
 * or widens permissions changes in the host's file, at the top level or in
 * any project's entry, and the result is still one JSON object that
 * serializes and parses back to itself. */
#include "state-merge.h"

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

static struct json_object *part(const char **p, const char *end)
{
	const char *nul = memchr(*p, '\0', (size_t)(end - *p));
	size_t n = nul ? (size_t)(nul - *p) : (size_t)(end - *p);
	struct json_tokener *t = json_tokener_new_ex(32);
	struct json_object *o = t ? json_tokener_parse_ex(t, *p, (int)n) : NULL;
	if (t)
		json_tokener_free(t);
	*p = nul ? nul + 1 : end;
	if (!o || !json_object_is_type(o, json_type_object) || !state_json_ok(o)) {
		json_object_put(o);
		o = json_object_new_object();
	}
	return o;
}

static const char *const guarded[] = { "hooks",		 "statusLine",	 "apiKeyHelper",
				       "mcpServers",	 "env",		 "permissions",
				       "enabledPlugins", "allowedTools", "otelHeadersHelper",
				       "awsAuthRefresh", "brandNewKey" };

static void same_guarded(struct json_object *before, struct json_object *after)
{
	for (size_t i = 0; i < sizeof(guarded) / sizeof(*guarded); i++) {
		struct json_object *a = NULL, *b = NULL;
		int ha = json_object_object_get_ex(before, guarded[i], &a);
		int hb = json_object_object_get_ex(after, guarded[i], &b);
		check(ha == hb && json_object_equal(a, b), guarded[i]);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	enum state_kind kind = data[0] & 1 ? STATE_SETTINGS : STATE_CLAUDE_JSON;
	const char *p = (const char *)data + 1, *end = (const char *)data + size;
	struct json_object *base = part(&p, end), *priv = part(&p, end), *host = part(&p, end);
	struct json_object *orig = NULL;
	check(json_object_deep_copy(host, &orig, NULL) == 0, "copy");
	static const char *const projects[] = { "/p" };
	struct state_report rep = { 0 };
	bool changed = false;
	int r = state_merge(kind, projects, 1, base, priv, host, &changed, &rep);
	check(r == 0, "state_merge failed");
	check(json_object_is_type(host, json_type_object), "host still an object");
	check(changed || json_object_equal(orig, host), "unchanged means unchanged");
	same_guarded(orig, host);
	/* Every project entry keeps its guarded keys too. */
	struct json_object *pa = NULL, *pb = NULL, *empty = json_object_new_object();
	if (json_object_object_get_ex(host, "projects", &pb) &&
	    json_object_is_type(pb, json_type_object)) {
		json_object_object_get_ex(orig, "projects", &pa);
		json_object_object_foreach(pb, dir, entry)
		{
			struct json_object *e0 = NULL;
			if (!json_object_is_type(entry, json_type_object))
				continue;
			if (pa && json_object_object_get_ex(pa, dir, &e0) && e0 &&
			    json_object_is_type(e0, json_type_object))
				same_guarded(e0, entry);
			else
				same_guarded(empty, entry);
		}
	}
	const char *s = json_object_to_json_string_ext(
		host,
		JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED | JSON_C_TO_STRING_NOSLASHESCAPE);
	json_object_put(empty);
	check(s != NULL, "serializes");
	/* As text: a number json-c re-spelled may come back as an integer. */
	char *copy = strdup(s);
	struct json_object *back = json_tokener_parse(s);
	check(back && copy &&
		      strcmp(json_object_to_json_string_ext(
				     back, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
						   JSON_C_TO_STRING_NOSLASHESCAPE),
			     copy) == 0,
	      "parses back to itself");
	free(copy);
	json_object_put(back);
	state_report_free(&rep);
	json_object_put(orig);
	json_object_put(base);
	json_object_put(priv);
	json_object_put(host);
	return 0;
}
