/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The policy's allowlist: the public setters and queries, and the merge as
 * an explicit step. Parsing, merging and matching themselves are pure
 * (allowlist.c). */
#include "internal.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The most an allowlist file may hold. */
#define FILE_MAX_BYTES (64u << 20)

/* Merging 100,000 entries takes ~20 ms: a run merges once, here, and what
 * it merged serves the const queries until the allowlist next changes. */
int ccsb__sandbox_merge(ccsb_sandbox *sb, ccsb_error **err)
{
	if (sb->merged_ok)
		return 0;
	ccsb__allowlist_free(&sb->merged);
	if (ccsb__allowlist_copy(&sb->merged, &sb->allow) < 0)
		return ccsb__err(err, ENOMEM, "out of memory");
	ccsb__allowlist_merge(&sb->merged);
	sb->merged_ok = true;
	return 0;
}

const struct ccsb_allowlist *ccsb__sandbox_merged(const ccsb_sandbox *sb)
{
	return sb->merged_ok ? &sb->merged : NULL;
}

const struct ccsb_allowlist *ccsb__sandbox_merged_view(const ccsb_sandbox *sb,
						       struct ccsb_allowlist *tmp)
{
	if (sb->merged_ok)
		return &sb->merged;
	*tmp = (struct ccsb_allowlist){ 0 };
	if (ccsb__allowlist_copy(tmp, &sb->allow) < 0)
		return NULL;
	ccsb__allowlist_merge(tmp);
	return tmp;
}

CCSB_EXPORT int ccsb_sandbox_allow(ccsb_sandbox *sb, const char *entry, ccsb_error **err)
{
	if (!sb)
		return CCSB_NULL_SB(err);
	if (!entry)
		return ccsb__err(err, EINVAL, "bad allowlist entry: none given");
	sb->merged_ok = false;
	return ccsb__allowlist_add_entry(&sb->allow, entry, err);
}

/* Read to EOF rather than trusting st_size: process substitutions and
 * pipes are fine allowlist files. */
static int read_all(int fd, const char *path, char **out, size_t *len, ccsb_error **err)
{
	char *buf = NULL;
	size_t n = 0, cap = 0;
	for (;;) {
		if (n == cap) {
			if (cap >= FILE_MAX_BYTES) {
				free(buf);
				return ccsb__err(err, EFBIG, "%s: larger than %u MiB", path,
						 FILE_MAX_BYTES >> 20);
			}
			size_t ncap = cap ? cap * 2 : 8192;
			char *nb = realloc(buf, ncap);
			if (!nb) {
				free(buf);
				return ccsb__errno(err, ENOMEM, "%s", path);
			}
			buf = nb;
			cap = ncap;
		}
		ssize_t k = CCSB_RETRY(read(fd, buf + n, cap - n));
		if (k < 0) {
			int e = errno;
			free(buf);
			return ccsb__errno(err, e, "%s", path);
		}
		if (k == 0)
			break;
		n += (size_t)k;
	}
	*out = buf;
	*len = n;
	return 0;
}

CCSB_EXPORT int ccsb_sandbox_allow_file(ccsb_sandbox *sb, const char *path, ccsb_error **err)
{
	if (!sb)
		return CCSB_NULL_SB(err);
	if (!path)
		return ccsb__err(err, EINVAL, "allowlist file: none given");
	sb->merged_ok = false;
	ccsb_autofd fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return ccsb__errno(err, errno, "%s", path);
	ccsb_autofree char *buf = NULL;
	size_t n = 0;
	int r = read_all(fd, path, &buf, &n, err);
	if (r == 0)
		r = ccsb__allowlist_parse_buf(&sb->allow, path, buf, n, err);
	return r;
}

CCSB_EXPORT void ccsb_sandbox_allowlist_count(const ccsb_sandbox *sb, size_t *given, size_t *merged)
{
	size_t g = sb ? sb->allow.n : 0;
	if (given)
		*given = g;
	if (!merged)
		return;
	/* Out of memory, the given count is still a true upper bound. */
	struct ccsb_allowlist tmp = { 0 };
	const struct ccsb_allowlist *m = sb && g ? ccsb__sandbox_merged_view(sb, &tmp) : NULL;
	*merged = m ? m->n : g;
	ccsb__allowlist_free(&tmp);
}

CCSB_EXPORT size_t ccsb_sandbox_allowlist_name_count(const ccsb_sandbox *sb)
{
	return sb ? sb->allow.nnames : 0;
}

CCSB_EXPORT int ccsb_sandbox_allowlist_match(const ccsb_sandbox *sb, const char *host)
{
	if (!sb || !host || !*host)
		return -EINVAL;
	struct ccsb_prefix p;
	const char *why;
	/* An address: covered by a prefix (a bare address is a full-length
	 * prefix; a shorter one is not a host). */
	if (!strchr(host, '/') && ccsb__prefix_parse(host, &p, &why) == 0)
		return ccsb__allowlist_addr_covered(&sb->allow, p.family, p.addr) ? 1 : 0;
	char dn[CCSB_NAME_MAX + 1];
	if (ccsb__name_parse(host, strlen(host), dn, &why) < 0 || dn[0] == '*')
		return -EINVAL;
	return ccsb__allowlist_name_allowed(&sb->allow, dn) ? 1 : 0;
}
