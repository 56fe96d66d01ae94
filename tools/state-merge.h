/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The merge of Claude Code's state files written inside a sandbox back into
 * the host's files (ccsb-state). Pure: JSON objects in, JSON objects out.
 *
 * The sandbox works on a private copy. What it changed is the difference
 * between the copy as it was made (the baseline) and the copy now; only the
 * changes to keys on the safe list are applied, on top of the host file's
 * CURRENT content, so that what the host changed meanwhile is kept. Changes
 * to anything else are dropped: those that run programs or widen
 * permissions are reported, caches and counters the host refreshes itself
 * are dropped silently. */
#ifndef CCSB_STATE_MERGE_H
#define CCSB_STATE_MERGE_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>

enum state_kind {
	STATE_CLAUDE_JSON, /* ~/.claude.json: global config, per-project entries */
	STATE_SETTINGS,	   /* ~/.claude/settings.json, settings.local.json */
};

/* What was dropped, one line each ("mcpServers.evil (runs programs)"),
 * without duplicates across merges. */
struct state_report {
	char **v;
	size_t n, cap;
};

/* Apply the changes from `base` to `priv` onto `host`, in place. All three
 * must be JSON objects (callers substitute {} for a missing file). Entries of
 * ~/.claude.json's "projects" are merged only for the paths in `projects`
 * and below (the directories the sandbox could write: trust given inside
 * applies to them and nothing else). *changed tells whether `host` was
 * modified. Returns 0, or -1 when out of memory. */
int state_merge(enum state_kind kind, const char *const *projects, size_t nprojects,
		struct json_object *base, struct json_object *priv, struct json_object *host,
		bool *changed, struct state_report *rep);

void state_report_free(struct state_report *rep);

/* Whether `o` is plain JSON that Claude Code (JSON.parse) reads back:
 * json-c also accepts NaN and Infinity, which would make the host's file
 * unreadable (false). Numbers spelled in ways JSON does not allow are
 * normalized in place. Call it on every parsed document. */
bool state_json_ok(struct json_object *o);

#endif
