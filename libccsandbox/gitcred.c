/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* git's credential protocol, pure (see gitcred.h). */
#include "gitcred.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool printable(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return false;
	return true;
}

/* Store value v[0..n) into a field of `cap` bytes; false when it does not
 * fit. */
static bool put(char *field, size_t cap, const char *v, size_t n)
{
	if (n >= cap)
		return false;
	memcpy(field, v, n);
	field[n] = '\0';
	return true;
}

int ccsb__gitcred_parse(const char *buf, size_t n, struct ccsb_gitcred_req *q, const char **why)
{
	memset(q, 0, sizeof(*q));
	bool seen_protocol = false, seen_host = false;
	if (n > CCSB_GITCRED_MAX) {
		*why = "request too long";
		return -EINVAL;
	}
	if (memchr(buf, '\0', n)) {
		*why = "NUL byte in the request";
		return -EINVAL;
	}
	const char *p = buf, *end = buf + n;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl) {
			*why = "line without a newline";
			return -EINVAL;
		}
		size_t len = (size_t)(nl - p);
		if (len == 0)
			break; /* the blank line ends the request */
		const char *eq = memchr(p, '=', len);
		if (!eq || eq == p) {
			*why = "line without 'key='";
			return -EINVAL;
		}
		size_t klen = (size_t)(eq - p), vlen = len - klen - 1;
		const char *v = eq + 1;
		if (!printable(p, len)) {
			*why = "control character in the request";
			return -EINVAL;
		}
#define KEY(k) (klen == sizeof(k) - 1 && memcmp(p, k, klen) == 0)
		bool ok = true, dup = false;
		/* A second value never replaces the first. */
		if (KEY("protocol")) {
			dup = seen_protocol;
			seen_protocol = true;
			ok = dup || put(q->protocol, sizeof(q->protocol), v, vlen);
		} else if (KEY("host")) {
			dup = seen_host;
			seen_host = true;
			ok = dup || put(q->host, sizeof(q->host), v, vlen);
		} else if (KEY("path")) {
			dup = q->has_path;
			q->has_path = true;
			ok = dup || put(q->path, sizeof(q->path), v, vlen);
		} else if (KEY("username")) {
			dup = q->has_username;
			q->has_username = true;
			ok = dup || put(q->username, sizeof(q->username), v, vlen);
		}
#undef KEY
		if (dup) {
			*why = "a key given twice";
			return -EINVAL;
		}
		if (!ok) {
			*why = "value too long";
			return -EINVAL;
		}
		p = nl + 1;
	}
	if (!seen_protocol || !seen_host) {
		*why = "protocol or host missing";
		return -EINVAL;
	}
	return 0;
}

int ccsb__gitcred_check(const struct ccsb_gitcred_req *q, const struct ccsb_allowlist *al,
			const char **why)
{
	if (strcmp(q->protocol, "https") != 0) {
		*why = "only https is served";
		return -EPERM;
	}
	char name[sizeof(q->host)];
	snprintf(name, sizeof(name), "%s", q->host);
	char *colon = strchr(name, ':');
	if (colon) {
		const char *port = colon + 1;
		size_t np = strlen(port);
		long v = np >= 1 && np <= 5 ? 0 : -1;
		for (size_t i = 0; i < np && v >= 0; i++)
			v = port[i] >= '0' && port[i] <= '9' ? v * 10 + (port[i] - '0') : -1;
		if (port[0] == '0' || v < 1 || v > 65535) {
			*why = "bad port";
			return -EPERM;
		}
		*colon = '\0';
	}
	char norm[CCSB_NAME_MAX + 1];
	const char *w;
	/* A domain name, never a pattern nor an address. */
	if (!*name || strchr(name, '*') || ccsb__name_parse(name, strlen(name), norm, &w) < 0) {
		*why = "host is not a domain name";
		return -EPERM;
	}
	if (!ccsb__allowlist_name_allowed(al, norm)) {
		*why = "host not named by the allowlist";
		return -EPERM;
	}
	return 0;
}

int ccsb__gitcred_format(const struct ccsb_gitcred_req *q, char *out, size_t len)
{
	int n = snprintf(out, len, "protocol=%s\nhost=%s\n%s%s%s%s%s%s\n", q->protocol, q->host,
			 q->has_path ? "path=" : "", q->has_path ? q->path : "",
			 q->has_path ? "\n" : "", q->has_username ? "username=" : "",
			 q->has_username ? q->username : "", q->has_username ? "\n" : "");
	return n > 0 && (size_t)n < len ? n : -ENAMETOOLONG;
}

int ccsb__gitcred_answer(const char *buf, size_t n, char *out, size_t len)
{
	const char *user = NULL, *pass = NULL;
	size_t ulen = 0, plen = 0;
	if (n > CCSB_GITCRED_MAX || memchr(buf, '\0', n))
		return -EINVAL;
	const char *p = buf, *end = buf + n;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t l = nl ? (size_t)(nl - p) : (size_t)(end - p);
		if (l >= 9 && memcmp(p, "username=", 9) == 0) {
			if (user || !printable(p + 9, l - 9))
				return -EINVAL;
			user = p + 9;
			ulen = l - 9;
		} else if (l >= 9 && memcmp(p, "password=", 9) == 0) {
			if (pass || !printable(p + 9, l - 9) || l == 9)
				return -EINVAL;
			pass = p + 9;
			plen = l - 9;
		}
		p += l + (nl != NULL);
	}
	if (!pass)
		return -EINVAL;
	int w = snprintf(out, len, "%s%.*s%spassword=%.*s\n", user ? "username=" : "", (int)ulen,
			 user ? user : "", user ? "\n" : "", (int)plen, pass);
	return w > 0 && (size_t)w < len ? w : -ENAMETOOLONG;
}
