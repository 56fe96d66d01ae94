/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The plan of a run, as data: policy + command -> bwrap's argv and
 * environment, its data files, and the validated network plan. One
 * function for ccsb_sandbox_build_argv(), --print (format_shell) and the
 * run, so that what --print shows is what runs, and what a run refuses
 * --print refuses too. It starts nothing; it reads the host only where the
 * guard looks at what the writable binds hold. */
#include "internal.h"
#include "plan.h"
#include "namepool.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/socket.h>

int ccsb__plan_check_prefixes(const struct ccsb_allowlist *al, ccsb_error **err)
{
	for (size_t i = 0; al && i < al->n; i++) {
		const struct ccsb_prefix *p = &al->v[i];
		if (p->family != AF_INET && p->family != AF_INET6)
			return ccsb__err(err, EINVAL, "allowlist entry %zu: bad address family", i);
		if (p->len > (p->family == AF_INET ? 32 : 128))
			return ccsb__err(err, EINVAL, "allowlist entry %zu: bad prefix length", i);
		/* A /0 would be a default route: that is --net=full, said
		 * plainly, not an allowlist (after merging: two /1 halves are a
		 * /0 too). */
		if (p->len == 0)
			return ccsb__err(err, EINVAL,
					 "the allowlist covers every %s address: use "
					 "--net=full (CCSB_NET_FULL) instead",
					 p->family == AF_INET ? "IPv4" : "IPv6");
	}
	return 0;
}

/* With names in the list, the synthetic pool (namepool.h) is local to the
 * sandbox: an allowed prefix inside it would either be shadowed by the
 * pool (the user's addresses unreachable, silently) or, more specific,
 * send synthetic addresses to the network instead of ccsb's relay. Said
 * plainly instead, before anything starts. */
static int check_pool_overlap(const struct ccsb_allowlist *al, ccsb_error **err)
{
	for (size_t i = 0; i < al->n; i++) {
		const struct ccsb_prefix *p = &al->v[i];
		uint32_t a;
		if (p->family != AF_INET)
			continue;
		memcpy(&a, p->addr, 4);
		a = ntohl(a);
		uint32_t mask = p->len ? ~0u << (32 - p->len) : 0;
		bool overlap = p->len <= CCSB_NAMEPOOL_LEN ? (CCSB_NAMEPOOL_NET & mask) == a
							   : ccsb__namepool_has(a);
		if (overlap)
			return ccsb__err(
				err, EINVAL,
				"allowlist entry %u.%u.%u.%u/%u overlaps 198.18.0.0/15, which "
				"ccsb uses for the names in the allowlist: allow those hosts by "
				"name, or list no names (--no-default-allowlist)",
				a >> 24, (a >> 16) & 255, (a >> 8) & 255, a & 255, p->len);
	}
	return 0;
}

int ccsb__plan_network(const ccsb_sandbox *sb, struct ccsb_net_plan *np,
		       struct ccsb_allowlist *merged, ccsb_error **err)
{
	static const struct ccsb_allowlist no_prefixes;
	*np = (struct ccsb_net_plan){ .mode = sb->net,
				      .slirp = sb->slirp,
				      .search_path = ccsb__search_path(sb),
				      .prefixes = &no_prefixes,
				      .host_ports = sb->host_ports,
				      .nhost_ports = sb->nhost_ports };
	if (sb->net == CCSB_NET_NONE)
		return 0;
	if (sb->net != CCSB_NET_FULL && sb->net != CCSB_NET_ALLOWLIST)
		return ccsb__err(err, EINVAL, "unknown network mode %d", (int)sb->net);
	if (sb->net == CCSB_NET_FULL)
		return 0;
	np->dns = true;
	if (!(np->prefixes = ccsb__sandbox_merged_view(sb, merged)))
		return ccsb__err(err, ENOMEM, "out of memory");
	/* Names are bound to synthetic addresses (namebind.h), not routed. */
	np->bind_names = np->prefixes->nnames > 0;
	int r = ccsb__plan_check_prefixes(np->prefixes, err);
	if (r == 0 && np->bind_names)
		r = check_pool_overlap(np->prefixes, err);
	return r;
}

int ccsb__plan_make(const ccsb_sandbox *sb, char *const cmd[], const struct ccsb_plan_opts *o,
		    struct ccsb_plan *p, ccsb_error **err)
{
	*p = (struct ccsb_plan){ .tty = o->tty };
	int r = ccsb__plan_network(sb, &p->net, &p->merged, err);
	if (r < 0)
		return r;
	if (o->guard)
		r = ccsb__guard_build_argv(sb, cmd, o->with_sync, o->tty, &p->argv, err);
	else
		r = ccsb__build_argv_tty(sb, cmd, o->with_sync, o->tty, &p->argv, err);
	if (r < 0)
		return r;
	if (o->host_env && ccsb__env_build(sb, o->host_env, &p->envp) < 0) {
		ccsb__plan_free(p);
		return ccsb__err(err, ENOMEM, "out of memory");
	}
	for (size_t i = 0; i < sb->nmounts; i++)
		if (sb->mounts[i].kind == CCSB_M_FILE)
			p->nfiles++;
	if (p->nfiles && !(p->files = calloc(p->nfiles, sizeof(*p->files)))) {
		ccsb__plan_free(p);
		return ccsb__err(err, ENOMEM, "out of memory");
	}
	for (size_t i = 0, k = 0; i < sb->nmounts; i++)
		if (sb->mounts[i].kind == CCSB_M_FILE)
			p->files[k++] = &sb->mounts[i];
	return 0;
}

void ccsb__plan_free(struct ccsb_plan *p)
{
	ccsb__strv_free(p->argv);
	ccsb__strv_free(p->envp);
	free(p->files);
	ccsb__allowlist_free(&p->merged);
	*p = (struct ccsb_plan){ 0 };
}
