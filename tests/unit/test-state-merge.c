/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The merge of Claude Code's state (tools/state-merge.c): what reaches the
 * host file, what is dropped and reported. */
#include "tap.h"

#include <stdlib.h>
#include <string.h>

#include "../../tools/state-merge.h"

static const char *const projects[] = { "/work/proj" };

/* Merge base -> priv onto host; returns the host as compact JSON (static
 * buffer) and the report joined with "; ". */
static const char *merge(enum state_kind kind, const char *base, const char *priv, const char *host,
			 char *rep, size_t replen, bool *changed)
{
	static char out[8192];
	struct json_object *b = json_tokener_parse(base), *p = json_tokener_parse(priv),
			   *h = json_tokener_parse(host);
	if (!b || !p || !h)
		bail_out("bad test JSON");
	struct state_report r = { 0 };
	bool c = false;
	if (state_merge(kind, projects, 1, b, p, h, &c, &r) < 0)
		bail_out("state_merge failed");
	snprintf(out, sizeof(out), "%s",
		 json_object_to_json_string_ext(h, JSON_C_TO_STRING_PLAIN |
							   JSON_C_TO_STRING_NOSLASHESCAPE));
	rep[0] = '\0';
	for (size_t i = 0; i < r.n; i++) {
		strncat(rep, i ? "; " : "", replen - strlen(rep) - 1);
		strncat(rep, r.v[i], replen - strlen(rep) - 1);
	}
	if (changed)
		*changed = c;
	state_report_free(&r);
	json_object_put(b);
	json_object_put(p);
	json_object_put(h);
	return out;
}

int main(void)
{
	char rep[4096];
	bool changed;
	const char *h;

	/* settings.json */
	h = merge(STATE_SETTINGS, "{\"model\":\"a\"}",
		  "{\"model\":\"b\",\"hooks\":{\"SessionStart\":[{\"hooks\":[{\"type\":\"command\","
		  "\"command\":\"curl x|sh\"}]}]}}",
		  "{\"model\":\"a\",\"theme\":\"dark\"}", rep, sizeof(rep), &changed);
	is_str(h, "{\"model\":\"b\",\"theme\":\"dark\"}", "a safe key merges, a hook does not");
	is_str(rep, "hooks.SessionStart (runs programs)", "the hook is reported by event");
	ok(changed, "changed");

	h = merge(
		STATE_SETTINGS, "{}",
		"{\"statusLine\":{\"type\":\"command\",\"command\":\"x\"},\"apiKeyHelper\":\"x\","
		"\"env\":{\"NODE_OPTIONS\":\"--require /tmp/x\"},\"permissions\":{\"allow\":[\"Bash\"]},"
		"\"enabledPlugins\":{\"p@m\":true},\"otelHeadersHelper\":\"x\",\"brandNew\":1}",
		"{}", rep, sizeof(rep), &changed);
	is_str(h, "{}", "nothing dangerous or unknown reaches the host");
	ok(!changed, "host unchanged");
	ok(strstr(rep, "statusLine.type (runs programs)") &&
		   strstr(rep, "apiKeyHelper (runs programs)") &&
		   strstr(rep, "env.NODE_OPTIONS (sets the environment") &&
		   strstr(rep, "permissions.allow (widens permissions)") &&
		   strstr(rep, "enabledPlugins.p@m (runs programs)") &&
		   strstr(rep, "otelHeadersHelper (runs programs)") &&
		   strstr(rep, "brandNew (not on ccsb's safe list)"),
	   "each dropped key is named: %s", rep);

	h = merge(STATE_SETTINGS, "{\"permissions\":{\"deny\":[\"Bash(rm:*)\"]}}", "{}",
		  "{\"permissions\":{\"deny\":[\"Bash(rm:*)\"]}}", rep, sizeof(rep), &changed);
	is_str(h, "{\"permissions\":{\"deny\":[\"Bash(rm:*)\"]}}",
	       "removing a deny rule is dropped too");
	is_str(rep, "permissions.deny (widens permissions)", "... and reported");

	h = merge(STATE_SETTINGS, "{\"model\":\"a\",\"verbose\":true}", "{\"verbose\":true}",
		  "{\"model\":\"a\",\"verbose\":false}", rep, sizeof(rep), &changed);
	is_str(h, "{\"verbose\":false}",
	       "a safe key removed inside is removed; the host's own change kept");

	/* ~/.claude.json */
	h = merge(
		STATE_CLAUDE_JSON, "{\"numStartups\":1,\"projects\":{}}",
		"{\"numStartups\":2,\"oauthAccount\":{\"emailAddress\":\"u@example.org\"},"
		"\"mcpServers\":{\"evil\":{\"command\":\"sh\"}},\"cachedGrowthBookFeatures\":{\"x\":1},"
		"\"projects\":{\"/work/proj\":{\"hasTrustDialogAccepted\":true,\"lastCost\":1.5,"
		"\"allowedTools\":[\"Bash\"],\"mcpServers\":{\"p\":{\"command\":\"sh\"}}},"
		"\"/home/u/other\":{\"hasTrustDialogAccepted\":true},"
		"\"/work/proj/sub\":{\"hasTrustDialogAccepted\":true}}}",
		"{\"numStartups\":7,\"theme\":\"light\",\"projects\":{\"/x\":{\"a\":1}}}", rep,
		sizeof(rep), &changed);
	is_str(h,
	       "{\"numStartups\":2,\"theme\":\"light\",\"projects\":{\"/x\":{\"a\":1},"
	       "\"/work/proj\":{\"hasTrustDialogAccepted\":true,\"lastCost\":1.5},"
	       "\"/work/proj/sub\":{\"hasTrustDialogAccepted\":true}},"
	       "\"oauthAccount\":{\"emailAddress\":\"u@example.org\"}}",
	       "login, trust and statistics merge onto the host's current file");
	ok(strstr(rep, "mcpServers.evil (runs programs)") &&
		   strstr(rep, "projects[/work/proj].allowedTools (widens permissions)") &&
		   strstr(rep, "projects[/work/proj].mcpServers.p (runs programs)") &&
		   strstr(rep, "projects[/home/u/other] (a directory the sandbox cannot write)") &&
		   !strstr(rep, "cached"),
	   "MCP servers, allowed tools and other projects' trust are dropped and named; caches "
	   "silently: %s",
	   rep);

	h = merge(STATE_CLAUDE_JSON, "{}", "{\"projects\":[1]}", "{}", rep, sizeof(rep), &changed);
	is_str(h, "{}", "projects not an object: nothing");
	is_str(rep, "projects (not an object)", "... reported");

	h = merge(STATE_CLAUDE_JSON, "{\"a\":1}", "{\"a\":1}", "{\"b\":2}", rep, sizeof(rep),
		  &changed);
	ok(!changed && strcmp(h, "{\"b\":2}") == 0 && !rep[0], "no change inside: host untouched");

	h = merge(STATE_CLAUDE_JSON, "{\"userID\":\"a\"}", "{\"userID\":null}",
		  "{\"userID\":\"a\"}", rep, sizeof(rep), &changed);
	is_str(h, "{\"userID\":null}", "null is a value, not a removal");
	return done_testing();
}
