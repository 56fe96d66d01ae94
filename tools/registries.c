/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "registries.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Configuration files are small; a bigger one is not read. */
#define REG_FILE_MAX (1u << 20)

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

static char lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

static bool is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* Does [s, s+n) start with `prefix`, case-insensitively? */
static bool starts(const char *s, size_t n, const char *prefix)
{
	size_t k = strlen(prefix);
	if (n < k)
		return false;
	for (size_t i = 0; i < k; i++)
		if (lower(s[i]) != prefix[i])
			return false;
	return true;
}

int reg_url_host(const char *url, size_t len, char *host, size_t hostlen)
{
	const char *p = url, *end = url + len;
	while (p < end && is_blank(*p))
		p++;
	while (end > p && is_blank(end[-1]))
		end--;
	if (end - p >= 2 && (*p == '"' || *p == '\'') && end[-1] == *p) {
		p++;
		end--;
	}
	/* "sparse+https://...", "registry+https://..." (cargo). */
	const char *q = p;
	while (q < end && is_alpha(*q))
		q++;
	if (q < end && *q == '+' && q > p)
		p = q + 1;
	if (starts(p, (size_t)(end - p), "https://"))
		p += 8;
	else if (starts(p, (size_t)(end - p), "http://"))
		p += 7;
	else
		return -1;
	const char *auth_end = p;
	while (auth_end < end && *auth_end != '/' && *auth_end != '?' && *auth_end != '#')
		auth_end++;
	/* Skip user information (it may be a token): the host follows the
	 * last '@' of the authority. */
	for (const char *a = p; a < auth_end; a++)
		if (*a == '@')
			p = a + 1;
	const char *h = p, *h_end;
	if (h < auth_end && *h == '[') {
		h++;
		h_end = memchr(h, ']', (size_t)(auth_end - h));
		if (!h_end)
			return -1;
	} else {
		h_end = h;
		while (h_end < auth_end && *h_end != ':')
			h_end++;
	}
	while (h_end > h && h_end[-1] == '.')
		h_end--;
	size_t n = (size_t)(h_end - h);
	if (n == 0 || n >= hostlen || n > 253)
		return -1;
	for (size_t i = 0; i < n; i++) {
		char c = lower(h[i]);
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-' ||
		      c == '_' || c == ':'))
			return -1;
		host[i] = c;
	}
	host[n] = '\0';
	return 0;
}

static int add(struct reg_list *out, const char *host, const char *from)
{
	for (size_t i = 0; i < out->n; i++)
		if (strcmp(out->v[i].host, host) == 0)
			return 0;
	struct reg_host *v = reallocarray(out->v, out->n + 1, sizeof(*v));
	if (!v)
		return -1;
	out->v = v;
	char *h = strdup(host), *f = strdup(from);
	if (!h || !f) {
		free(h);
		free(f);
		return -1;
	}
	out->v[out->n++] = (struct reg_host){ .host = h, .from = f };
	return 0;
}

/* Add the host of the URL [s, s+n), if it is one. */
static int add_url(struct reg_list *out, const char *s, size_t n, const char *from)
{
	char host[256];
	if (reg_url_host(s, n, host, sizeof(host)) < 0)
		return 0;
	return add(out, host, from);
}

/* Add each whitespace-separated URL of [s, s+n). */
static int add_urls(struct reg_list *out, const char *s, size_t n, const char *from)
{
	const char *end = s + n;
	while (s < end) {
		while (s < end && (is_blank(*s) || *s == '\n'))
			s++;
		const char *w = s;
		while (s < end && !is_blank(*s) && *s != '\n')
			s++;
		if (s > w && add_url(out, w, (size_t)(s - w), from) < 0)
			return -1;
	}
	return 0;
}

/* The next line of [*p, end): [*ls, *le) without its newline. */
static bool next_line(const char **p, const char *end, const char **ls, const char **le)
{
	if (*p >= end)
		return false;
	*ls = *p;
	const char *nl = memchr(*p, '\n', (size_t)(end - *p));
	*le = nl ? nl : end;
	*p = nl ? nl + 1 : end;
	return true;
}

static void trim(const char **s, const char **e)
{
	while (*s < *e && is_blank(**s))
		(*s)++;
	while (*e > *s && is_blank((*e)[-1]))
		(*e)--;
}

static bool has_expansion(const char *s, const char *e)
{
	for (; s + 1 < e; s++)
		if (s[0] == '$' && s[1] == '{')
			return true;
	return false;
}

/* Is [k, ke) exactly `word`? */
static bool key_is(const char *k, const char *ke, const char *word)
{
	size_t n = strlen(word);
	return (size_t)(ke - k) == n && memcmp(k, word, n) == 0;
}

int reg_parse_npmrc(const char *buf, size_t len, const char *from, struct reg_list *out)
{
	const char *p = buf, *end = buf + len, *ls, *le;
	while (next_line(&p, end, &ls, &le)) {
		trim(&ls, &le);
		if (ls == le || *ls == '#' || *ls == ';')
			continue;
		const char *eq = memchr(ls, '=', (size_t)(le - ls));
		if (!eq)
			continue;
		const char *k = ls, *ke = eq, *v = eq + 1, *ve = le;
		trim(&k, &ke);
		trim(&v, &ve);
		/* "registry", or "@scope:registry". Auth lines
		 * ("//host/:_authToken=...") never match. */
		bool reg = key_is(k, ke, "registry");
		if (!reg && ke - k > 10 && *k == '@') {
			const char *colon = memchr(k, ':', (size_t)(ke - k));
			reg = colon && colon > k + 1 && key_is(colon, ke, ":registry");
		}
		if (!reg || has_expansion(v, ve))
			continue;
		if (add_url(out, v, (size_t)(ve - v), from) < 0)
			return -1;
	}
	return 0;
}

/* pip's option names: "index-url", "index_url", "INDEX-URL" are one. */
static bool pip_key(const char *k, const char *ke, const char *word)
{
	size_t n = strlen(word);
	if ((size_t)(ke - k) != n)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = lower(k[i]);
		if ((c == '_' ? '-' : c) != word[i])
			return false;
	}
	return true;
}

int reg_parse_pipconf(const char *buf, size_t len, const char *from, struct reg_list *out)
{
	const char *p = buf, *end = buf + len, *ls, *le;
	bool in_value = false; /* continuation lines belong to an index key */
	while (next_line(&p, end, &ls, &le)) {
		bool indented = ls < le && is_blank(*ls);
		trim(&ls, &le);
		if (ls == le)
			continue;
		if (*ls == '#' || *ls == ';')
			continue;
		if (indented && in_value) {
			if (!has_expansion(ls, le) &&
			    add_urls(out, ls, (size_t)(le - ls), from) < 0)
				return -1;
			continue;
		}
		in_value = false;
		if (*ls == '[')
			continue;
		const char *sep = ls;
		while (sep < le && *sep != '=' && *sep != ':')
			sep++;
		if (sep == le)
			continue;
		const char *k = ls, *ke = sep, *v = sep + 1, *ve = le;
		trim(&k, &ke);
		trim(&v, &ve);
		if (!pip_key(k, ke, "index-url") && !pip_key(k, ke, "extra-index-url"))
			continue;
		in_value = true;
		if (!has_expansion(v, ve) && add_urls(out, v, (size_t)(ve - v), from) < 0)
			return -1;
	}
	return 0;
}

/* A TOML key or table name with quotes and blanks around the dots removed:
 * `registries . "my-reg"` -> registries.my-reg. Returns false when it does
 * not fit. */
static bool toml_name(const char *s, const char *e, char *out, size_t outlen)
{
	size_t n = 0;
	for (; s < e; s++) {
		if (*s == '"' || *s == '\'' || is_blank(*s))
			continue;
		if (n + 1 >= outlen)
			return false;
		out[n++] = *s;
	}
	out[n] = '\0';
	return n > 0;
}

/* The TOML string starting at [s, e) (basic or literal, no escapes
 * needed in a URL): [*vs, *ve). */
static bool toml_string(const char *s, const char *e, const char **vs, const char **ve)
{
	if (s >= e || (*s != '"' && *s != '\''))
		return false;
	const char *close = memchr(s + 1, *s, (size_t)(e - s - 1));
	if (!close)
		return false;
	*vs = s + 1;
	*ve = close;
	return true;
}

/* Does dotted `path` name a registry URL key: registries.X.index,
 * registry.index, source.X.registry? */
static bool cargo_url_key(const char *path)
{
	const char *last = strrchr(path, '.');
	if (!last)
		return false;
	if (strcmp(path, "registry.index") == 0)
		return true;
	if (strncmp(path, "registries.", 11) == 0 && strcmp(last, ".index") == 0)
		return last > path + 11 && !memchr(path + 11, '.', (size_t)(last - path - 11));
	if (strncmp(path, "source.", 7) == 0 && strcmp(last, ".registry") == 0)
		return last > path + 7 && !memchr(path + 7, '.', (size_t)(last - path - 7));
	return false;
}

/* An inline table `{ index = "...", ... }` given to `path`: look at its
 * keys one by one. */
static int cargo_inline(const char *path, const char *s, const char *e, const char *from,
			struct reg_list *out)
{
	s++; /* '{' */
	while (s < e) {
		const char *eq = memchr(s, '=', (size_t)(e - s));
		if (!eq)
			break;
		char key[128], full[384];
		const char *vs, *ve, *v = eq + 1;
		while (v < e && is_blank(*v))
			v++;
		bool str = toml_string(v, e, &vs, &ve);
		if (toml_name(s, eq, key, sizeof(key)) && str &&
		    snprintf(full, sizeof(full), "%s.%s", path, key) < (int)sizeof(full) &&
		    cargo_url_key(full) && add_url(out, vs, (size_t)(ve - vs), from) < 0)
			return -1;
		const char *comma = memchr(str ? ve : v, ',', (size_t)(e - (str ? ve : v)));
		if (!comma)
			break;
		s = comma + 1;
	}
	return 0;
}

int reg_parse_cargo(const char *buf, size_t len, const char *from, struct reg_list *out)
{
	const char *p = buf, *end = buf + len, *ls, *le;
	char table[256] = "";
	while (next_line(&p, end, &ls, &le)) {
		trim(&ls, &le);
		if (ls == le || *ls == '#')
			continue;
		if (*ls == '[') {
			/* [table] or [[array]]: the name up to the first ']'. */
			const char *s = ls;
			while (s < le && *s == '[')
				s++;
			const char *c = memchr(s, ']', (size_t)(le - s));
			if (!c || !toml_name(s, c, table, sizeof(table)))
				table[0] = '\0';
			continue;
		}
		const char *eq = memchr(ls, '=', (size_t)(le - ls));
		if (!eq)
			continue;
		char key[256], path[520];
		if (!toml_name(ls, eq, key, sizeof(key)))
			continue;
		if (snprintf(path, sizeof(path), "%s%s%s", table, table[0] ? "." : "", key) >=
		    (int)sizeof(path))
			continue;
		const char *v = eq + 1, *vs, *ve;
		while (v < le && is_blank(*v))
			v++;
		if (v < le && *v == '{') {
			if (cargo_inline(path, v, le, from, out) < 0)
				return -1;
		} else if (cargo_url_key(path) && toml_string(v, le, &vs, &ve)) {
			if (add_url(out, vs, (size_t)(ve - vs), from) < 0)
				return -1;
		}
	}
	return 0;
}

static const char *env_get(char *const *envp, const char *name)
{
	size_t n = strlen(name);
	for (; envp && *envp; envp++)
		if (strncmp(*envp, name, n) == 0 && (*envp)[n] == '=')
			return *envp + n + 1;
	return NULL;
}

int reg_parse_env(char *const *envp, struct reg_list *out)
{
	static const char *const vars[] = { "NPM_CONFIG_REGISTRY", "npm_config_registry",
					    "PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL" };
	for (size_t i = 0; i < sizeof(vars) / sizeof(*vars); i++) {
		const char *v = env_get(envp, vars[i]);
		if (v && add_urls(out, v, strlen(v), vars[i]) < 0)
			return -1;
	}
	for (; envp && *envp; envp++) {
		const char *eq = strchr(*envp, '=');
		size_t n = eq ? (size_t)(eq - *envp) : 0;
		if (n > 23 && strncmp(*envp, "CARGO_REGISTRIES_", 17) == 0 &&
		    strncmp(eq - 6, "_INDEX", 6) == 0) {
			char name[128];
			snprintf(name, sizeof(name), "%.*s", (int)n, *envp);
			if (add_url(out, eq + 1, strlen(eq + 1), name) < 0)
				return -1;
		}
	}
	return 0;
}

/* ---- files ----------------------------------------------------------- */

typedef int (*parser)(const char *, size_t, const char *, struct reg_list *);

static bool below_root(const char *real, const char *const *roots, size_t nroots)
{
	for (size_t i = 0; i < nroots; i++) {
		size_t n = strlen(roots[i]);
		if (strcmp(roots[i], "/") == 0 ||
		    (strncmp(real, roots[i], n) == 0 && (real[n] == '/' || real[n] == '\0')))
			return true;
	}
	return false;
}

static void note_skipped(char *skipped, size_t len, const char *path)
{
	if (!skipped || !len)
		return;
	size_t off = strlen(skipped);
	snprintf(skipped + off, len - off, "%s%s", off ? "\n" : "", path);
}

static int read_one(const char *path, parser parse, const char *const *roots, size_t nroots,
		    struct reg_list *out, char *skipped, size_t skippedlen)
{
	char real[PATH_MAX];
	if (!path || !*path || !realpath(path, real))
		return 0;
	if (below_root(real, roots, nroots)) {
		note_skipped(skipped, skippedlen, path);
		return 0;
	}
	int fd = open(real, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return 0;
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > (off_t)REG_FILE_MAX) {
		close(fd);
		return 0;
	}
	size_t cap = (size_t)st.st_size, n = 0;
	char *buf = malloc(cap + 1);
	if (!buf) {
		close(fd);
		return -1;
	}
	while (n < cap) {
		ssize_t k = read(fd, buf + n, cap - n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			break;
		n += (size_t)k;
	}
	close(fd);
	int r = parse(buf, n, path, out);
	/* The file may hold tokens: leave no copy in freed memory. */
	explicit_bzero(buf, cap + 1);
	free(buf);
	return r;
}

int reg_collect(const char *home, char *const *envp, const char *const *roots, size_t nroots,
		struct reg_list *out, char *skipped, size_t skippedlen)
{
	char path[PATH_MAX];
	const char *v;
	int r = 0;
#define READ(p, fn)                                                                       \
	do {                                                                              \
		if (r == 0)                                                               \
			r = read_one((p), (fn), roots, nroots, out, skipped, skippedlen); \
	} while (0)
#define HOMEPATH(fmt, ...) \
	(home && snprintf(path, sizeof(path), fmt, __VA_ARGS__) < (int)sizeof(path) ? path : NULL)

	if (skipped && skippedlen)
		skipped[0] = '\0';
	/* npm */
	if ((v = env_get(envp, "NPM_CONFIG_USERCONFIG")) ||
	    (v = env_get(envp, "npm_config_userconfig")))
		READ(v, reg_parse_npmrc);
	else
		READ(HOMEPATH("%s/.npmrc", home), reg_parse_npmrc);
	if ((v = env_get(envp, "NPM_CONFIG_GLOBALCONFIG")) ||
	    (v = env_get(envp, "npm_config_globalconfig")))
		READ(v, reg_parse_npmrc);
	READ("/etc/npmrc", reg_parse_npmrc);
	READ("/usr/local/etc/npmrc", reg_parse_npmrc);

	/* pip, in its own order (site-wide, then user) */
	READ("/etc/pip.conf", reg_parse_pipconf);
	const char *dirs = env_get(envp, "XDG_CONFIG_DIRS");
	if (!dirs || !*dirs)
		dirs = "/etc/xdg";
	for (const char *d = dirs; r == 0 && *d;) {
		size_t n = strcspn(d, ":");
		if (n && d[0] == '/' &&
		    snprintf(path, sizeof(path), "%.*s/pip/pip.conf", (int)n, d) <
			    (int)sizeof(path))
			READ(path, reg_parse_pipconf);
		d += n + (d[n] == ':');
	}
	READ(HOMEPATH("%s/.pip/pip.conf", home), reg_parse_pipconf);
	v = env_get(envp, "XDG_CONFIG_HOME");
	if (v && v[0] == '/') {
		if (snprintf(path, sizeof(path), "%s/pip/pip.conf", v) < (int)sizeof(path))
			READ(path, reg_parse_pipconf);
	} else {
		READ(HOMEPATH("%s/.config/pip/pip.conf", home), reg_parse_pipconf);
	}
	if ((v = env_get(envp, "PIP_CONFIG_FILE")) && strcmp(v, "/dev/null") != 0)
		READ(v, reg_parse_pipconf);

	/* cargo */
	v = env_get(envp, "CARGO_HOME");
	if (v && v[0] == '/') {
		if (snprintf(path, sizeof(path), "%s/config.toml", v) < (int)sizeof(path))
			READ(path, reg_parse_cargo);
		if (snprintf(path, sizeof(path), "%s/config", v) < (int)sizeof(path))
			READ(path, reg_parse_cargo);
	} else {
		READ(HOMEPATH("%s/.cargo/config.toml", home), reg_parse_cargo);
		READ(HOMEPATH("%s/.cargo/config", home), reg_parse_cargo);
	}
#undef READ
#undef HOMEPATH
	if (r == 0)
		r = reg_parse_env(envp, out);
	return r;
}

void reg_list_free(struct reg_list *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i].host);
		free(l->v[i].from);
	}
	free(l->v);
	l->v = NULL;
	l->n = 0;
}
