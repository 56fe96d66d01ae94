/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "state-merge.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The safe lists. A key absent from them is never merged back: a new
 * Claude Code setting stays inside the sandbox until it is known to be
 * harmless. README's "Claude Code's state" section lists the same keys. */

/* settings.json: preferences that neither run anything nor allow anything. */
static const char *const settings_safe[] = {
	"$schema",
	"model",
	"outputStyle",
	"includeCoAuthoredBy",
	"includeGitInstructions",
	"alwaysThinkingEnabled",
	"language",
	"spinnerTipsEnabled",
	"verbose",
	"theme",
	"editorMode",
	"preferredNotifChannel",
	"autoCompactEnabled",
	"todoFeatureEnabled",
	"showTurnDuration",
	"terminalProgressBarEnabled",
	"respectGitignore",
	"prefersReducedMotion",
	"effortLevel",
	"viewMode",
	"autoUpdatesChannel",
	"feedbackSurveyState",
	"attribution",
	"spinnerVerbs",
	"messageIdleNotifThresholdMs",
};

/* ~/.claude.json, top level: onboarding, login, counters, UI state. */
static const char *const claude_safe[] = {
	"numStartups",
	"installMethod",
	"autoUpdates",
	"theme",
	"verbose",
	"editorMode",
	"hasCompletedOnboarding",
	"lastOnboardingVersion",
	"lastReleaseNotesSeen",
	"oauthAccount",
	"userID",
	"firstStartTime",
	"tipsHistory",
	"seenNotifications",
	"hasAvailableSubscription",
	"shiftEnterKeyBindingInstalled",
	"optionAsMetaKeyInstalled",
	"hasUsedBackslashReturn",
	"hasSeenTasksHint",
	"hasAcknowledgedCostThreshold",
	"isQualifiedForDataSharing",
	"autoCompactEnabled",
	"preferredNotifChannel",
	"claudeCodeFirstTokenDate",
	"hasIdeOnboardingBeenShown",
	"feedbackSurveyState",
	"lastPlanModeUse",
};

/* ~/.claude.json, one project's entry: trust, onboarding, statistics. */
static const char *const project_safe[] = {
	"hasTrustDialogAccepted",
	"projectOnboardingSeenCount",
	"hasCompletedProjectOnboarding",
	"hasClaudeMdExternalIncludesWarningShown",
	"exampleFiles",
	"exampleFilesGeneratedAt",
	"history",
	"ignorePatterns",
	"reactVulnerabilityCache",
};

/* Why a known key is dropped (the report says it). */
struct why {
	const char *key, *why;
};
static const struct why dangerous[] = {
	{ "hooks", "runs programs" },
	{ "statusLine", "runs programs" },
	{ "subagentStatusLine", "runs programs" },
	{ "fileSuggestion", "runs programs" },
	{ "apiKeyHelper", "runs programs" },
	{ "awsAuthRefresh", "runs programs" },
	{ "awsCredentialExport", "runs programs" },
	{ "gcpAuthRefresh", "runs programs" },
	{ "otelHeadersHelper", "runs programs" },
	{ "mcpServers", "runs programs" },
	{ "enabledMcpjsonServers", "runs programs" },
	{ "enableAllProjectMcpServers", "runs programs" },
	{ "mcpContextUris", "runs programs" },
	{ "enabledPlugins", "runs programs" },
	{ "extraKnownMarketplaces", "runs programs" },
	{ "strictKnownMarketplaces", "runs programs" },
	{ "pluginConfigs", "runs programs" },
	{ "disableAllHooks", "runs programs" },
	{ "env", "sets the environment of every session" },
	{ "permissions", "widens permissions" },
	{ "allowedTools", "widens permissions" },
	{ "sandbox", "widens permissions" },
	{ "additionalDirectories", "widens permissions" },
	{ "allowedMcpServers", "widens permissions" },
	{ "deniedMcpServers", "widens permissions" },
	{ "disabledMcpjsonServers", "widens permissions" },
	{ "skipDangerousModePermissionPrompt", "widens permissions" },
	{ "bypassPermissionsModeAccepted", "widens permissions" },
	{ "hasClaudeMdExternalIncludesApproved", "widens permissions" },
	{ "customApiKeyResponses", "approves an API key" },
	{ "primaryApiKey", "replaces the API key" },
	{ "forceLoginMethod", "changes the login" },
	{ "forceLoginOrgUUID", "changes the login" },
	{ "cleanupPeriodDays", "deletes transcripts" },
};

static bool in(const char *key, const char *const *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(key, v[i]) == 0)
			return true;
	return false;
}

static bool prefix(const char *s, const char *p)
{
	return strncmp(s, p, strlen(p)) == 0;
}

static bool suffix(const char *s, const char *x)
{
	size_t n = strlen(s), m = strlen(x);
	return n >= m && strcmp(s + n - m, x) == 0;
}

enum cls {
	C_SAFE,
	C_VOLATILE,
	C_PROJECTS,
	C_DROP
};

/* Level 0: the file's top level; level 2: inside projects.<path>. */
static enum cls classify(enum state_kind kind, int level, const char *key, const char **why)
{
	*why = "not on ccsb's safe list";
	for (size_t i = 0; i < sizeof(dangerous) / sizeof(*dangerous); i++)
		if (strcmp(key, dangerous[i].key) == 0) {
			*why = dangerous[i].why;
			return C_DROP;
		}
	if (kind == STATE_SETTINGS)
		return in(key, settings_safe, sizeof(settings_safe) / sizeof(*settings_safe))
			       ? C_SAFE
			       : C_DROP;
	if (level == 2) {
		/* lastCost, lastSessionId, lastTotalInputTokens, ...: statistics. */
		if (in(key, project_safe, sizeof(project_safe) / sizeof(*project_safe)) ||
		    prefix(key, "last"))
			return C_SAFE;
		return C_DROP;
	}
	if (strcmp(key, "projects") == 0)
		return C_PROJECTS;
	if (in(key, claude_safe, sizeof(claude_safe) / sizeof(*claude_safe)) ||
	    suffix(key, "Count") || prefix(key, "hasSeen"))
		return C_SAFE;
	/* Caches of server answers and one-time migrations: the host refetches
	 * and reruns them; a planted feature flag must not reach it. */
	if (prefix(key, "cached") || suffix(key, "MigrationComplete") || suffix(key, "Cache") ||
	    in(key,
	       (const char *const[]){ "migrationVersion", "machineID", "changelogLastFetched" }, 3))
		return C_VOLATILE;
	return C_DROP;
}

static __attribute__((format(printf, 2, 3))) int report(struct state_report *rep, const char *fmt,
							...)
{
	char *s = NULL;
	va_list ap;
	va_start(ap, fmt);
	int n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -1;
	for (size_t i = 0; i < rep->n; i++)
		if (strcmp(rep->v[i], s) == 0) {
			free(s);
			return 0;
		}
	if (rep->n == rep->cap) {
		size_t cap = rep->cap ? 2 * rep->cap : 8;
		char **v = realloc(rep->v, cap * sizeof(*v));
		if (!v) {
			free(s);
			return -1;
		}
		rep->v = v;
		rep->cap = cap;
	}
	rep->v[rep->n++] = s;
	return 0;
}

void state_report_free(struct state_report *rep)
{
	for (size_t i = 0; i < rep->n; i++)
		free(rep->v[i]);
	free(rep->v);
	rep->v = NULL;
	rep->n = rep->cap = 0;
}

/* The member `key` of `o`, NULL when absent or `o` is not an object. A JSON
 * null is a value, distinct from absence: json_object_object_get_ex says
 * which. */
static bool get(struct json_object *o, const char *key, struct json_object **v)
{
	*v = NULL;
	return o && json_object_is_type(o, json_type_object) &&
	       json_object_object_get_ex(o, key, v);
}

static bool same(bool hb, struct json_object *b, bool hp, struct json_object *p)
{
	if (hb != hp)
		return false;
	return !hb || json_object_equal(b, p);
}

/* Report a dropped change to `path`: each changed member when both sides
 * are objects, so that the report names what was planted. */
static int drop(struct state_report *rep, const char *path, struct json_object *b,
		struct json_object *p, const char *why)
{
	bool bo = !b || json_object_is_type(b, json_type_object);
	bool po = !p || json_object_is_type(p, json_type_object);
	if (!(b || p) || !bo || !po)
		return report(rep, "%s (%s)", path, why);
	int r = 0;
	/* Members of either side: the union, each changed one once. */
	struct json_object *sides[2] = { p, b };
	for (int s = 0; s < 2 && r == 0; s++) {
		if (!sides[s])
			continue;
		json_object_object_foreach(sides[s], k, v)
		{
			(void)v;
			struct json_object *x, *y;
			bool hb = get(b, k, &x), hp = get(p, k, &y);
			if (s == 1 && hp)
				continue; /* seen from p already */
			if (!same(hb, x, hp, y) &&
			    (r = report(rep, "%s.%s (%s)", path, k, why)) < 0)
				break;
		}
	}
	return r;
}

/* Whether `path` (a key of "projects") is one of `projects` or below. */
static bool project_allowed(const char *path, const char *const *projects, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		size_t m = strlen(projects[i]);
		if (m == 1 && projects[i][0] == '/')
			return true;
		if (strncmp(path, projects[i], m) == 0 && (path[m] == '\0' || path[m] == '/'))
			return true;
	}
	return false;
}

struct ctx {
	enum state_kind kind;
	const char *const *projects;
	size_t nprojects;
	struct state_report *rep;
	bool changed;
};

static int level(struct ctx *c, int lvl, const char *path, struct json_object *b,
		 struct json_object *p, struct json_object *h);

/* Set or delete host[key] to the private side's value. */
static int put(struct ctx *c, struct json_object *h, const char *key, bool hp,
	       struct json_object *p)
{
	if (!hp) {
		if (json_object_object_get_ex(h, key, NULL)) {
			json_object_object_del(h, key);
			c->changed = true;
		}
		return 0;
	}
	struct json_object *cur;
	if (json_object_object_get_ex(h, key, &cur) && json_object_equal(cur, p))
		return 0;
	struct json_object *copy = NULL;
	if (p && json_object_deep_copy(p, &copy, NULL) < 0)
		return -1;
	if (json_object_object_add(h, key, copy) < 0) {
		json_object_put(copy);
		return -1;
	}
	c->changed = true;
	return 0;
}

/* "projects": one entry per project path. */
static int projects(struct ctx *c, struct json_object *b, struct json_object *p,
		    struct json_object *h)
{
	bool bo = !b || json_object_is_type(b, json_type_object);
	bool po = !p || json_object_is_type(p, json_type_object);
	if (!bo || !po)
		return drop(c->rep, "projects", NULL, NULL, "not an object");
	/* Created only when an entry is: an unchanged host stays unchanged. */
	struct json_object *hp = NULL;
	if (json_object_object_get_ex(h, "projects", &hp) && hp &&
	    !json_object_is_type(hp, json_type_object))
		return report(c->rep, "projects (the host's is not an object)");
	struct json_object *sides[2] = { p, b };
	for (int s = 0; s < 2; s++) {
		if (!sides[s])
			continue;
		json_object_object_foreach(sides[s], dir, v)
		{
			(void)v;
			struct json_object *x, *y;
			bool hb = get(b, dir, &x), hpr = get(p, dir, &y);
			if ((s == 1 && hpr) || same(hb, x, hpr, y))
				continue;
			char path[64 + 4096];
			snprintf(path, sizeof(path), "projects[%s]", dir);
			if (!project_allowed(dir, c->projects, c->nprojects)) {
				if (report(c->rep, "%s (a directory the sandbox cannot write)",
					   path) < 0)
					return -1;
				continue;
			}
			if ((x && !json_object_is_type(x, json_type_object)) ||
			    (y && !json_object_is_type(y, json_type_object))) {
				if (report(c->rep, "%s (not an object)", path) < 0)
					return -1;
				continue;
			}
			struct json_object *he = NULL;
			if (!hp || !json_object_object_get_ex(hp, dir, &he) || !he) {
				if (!hpr)
					continue; /* removed inside, absent here */
				if (!hp) {
					if (!(hp = json_object_new_object()) ||
					    json_object_object_add(h, "projects", hp) < 0)
						return -1;
				}
				if (!(he = json_object_new_object()) ||
				    json_object_object_add(hp, dir, he) < 0)
					return -1;
				c->changed = true;
			} else if (!json_object_is_type(he, json_type_object)) {
				if (report(c->rep, "%s (the host's is not an object)", path) < 0)
					return -1;
				continue;
			}
			if (level(c, 2, path, x, y, he) < 0)
				return -1;
		}
	}
	return 0;
}

static int level(struct ctx *c, int lvl, const char *path, struct json_object *b,
		 struct json_object *p, struct json_object *h)
{
	struct json_object *sides[2] = { p, b };
	for (int s = 0; s < 2; s++) {
		if (!sides[s])
			continue;
		json_object_object_foreach(sides[s], key, v)
		{
			(void)v;
			struct json_object *x, *y;
			bool hb = get(b, key, &x), hp = get(p, key, &y);
			if ((s == 1 && hp) || same(hb, x, hp, y))
				continue;
			const char *why;
			char full[8192];
			snprintf(full, sizeof(full), "%s%s%s", path, *path ? "." : "", key);
			int r = 0;
			switch (classify(c->kind, lvl, key, &why)) {
			case C_SAFE:
				r = put(c, h, key, hp, y);
				break;
			case C_VOLATILE:
				break;
			case C_PROJECTS:
				r = lvl == 0 ? projects(c, x, y, h) : drop(c->rep, full, x, y, why);
				break;
			case C_DROP:
				r = drop(c->rep, full, x, y, why);
				break;
			}
			if (r < 0)
				return -1;
		}
	}
	return 0;
}

int state_merge(enum state_kind kind, const char *const *projects_, size_t nprojects,
		struct json_object *base, struct json_object *priv, struct json_object *host,
		bool *changed, struct state_report *rep)
{
	struct ctx c = { .kind = kind, .projects = projects_, .nprojects = nprojects, .rep = rep };
	*changed = false;
	if (!json_object_is_type(base, json_type_object) ||
	    !json_object_is_type(priv, json_type_object) ||
	    !json_object_is_type(host, json_type_object))
		return 0;
	int r = level(&c, 0, "", base, priv, host);
	*changed = c.changed;
	return r;
}

/* RFC 8259's number: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */
static bool json_number(const char *s)
{
	if (*s == '-')
		s++;
	if (*s == '0')
		s++;
	else if (*s >= '1' && *s <= '9')
		while (*s >= '0' && *s <= '9')
			s++;
	else
		return false;
	if (*s == '.') {
		if (!(*++s >= '0' && *s <= '9'))
			return false;
		while (*s >= '0' && *s <= '9')
			s++;
	}
	if (*s == 'e' || *s == 'E') {
		s++;
		if (*s == '+' || *s == '-')
			s++;
		if (!(*s >= '0' && *s <= '9'))
			return false;
		while (*s >= '0' && *s <= '9')
			s++;
	}
	return *s == '\0';
}

bool state_json_ok(struct json_object *o)
{
	switch (json_object_get_type(o)) {
	case json_type_double:
		if (!isfinite(json_object_get_double(o)))
			return false;
		/* json-c writes a parsed number back as it was spelled, and
		 * accepts spellings JSON does not ("2e", "+1", ".5"): those
		 * are written in its own format instead. */
		if (!json_number(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN)))
			json_object_set_serializer(o, NULL, NULL, NULL);
		return true;
	case json_type_array:
		for (size_t i = 0; i < json_object_array_length(o); i++)
			if (!state_json_ok(json_object_array_get_idx(o, i)))
				return false;
		return true;
	case json_type_object: {
		json_object_object_foreach(o, k, v)
		{
			(void)k;
			if (!state_json_ok(v))
				return false;
		}
		return true;
	}
	default:
		return true;
	}
}
