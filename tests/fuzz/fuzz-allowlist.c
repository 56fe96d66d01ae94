/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer target: any buffer through the allowlist parser and the merge.
 * Beyond crashes, checks the properties the rest of the library relies on:
 * all-or-nothing parsing, a message on every failure, a canonical merge
 * result (sorted, disjoint, no mergeable siblings, same coverage) and
 * lossless formatting. */
#include "internal.h"
#include "fuzz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

static unsigned nbytes(const struct ccsb_prefix *p)
{
	return p->family == AF_INET ? 4 : 16;
}

/* Byte-wise rather than bit by bit: the harness is instrumented too, and a
 * slow oracle starves the search. */
static bool covers(const struct ccsb_prefix *o, const struct ccsb_prefix *p)
{
	if (o->family != p->family || o->len > p->len)
		return false;
	unsigned full = o->len / 8u, rest = o->len % 8u;
	if (memcmp(o->addr, p->addr, full) != 0)
		return false;
	return rest == 0 || ((o->addr[full] ^ p->addr[full]) & (0xff00u >> rest)) == 0;
}

static void check_prefix(const struct ccsb_prefix *p)
{
	static const uint8_t zero[16];
	check(p->family == AF_INET || p->family == AF_INET6, "family");
	check(p->len <= nbytes(p) * 8, "length");
	uint8_t masked[16];
	memcpy(masked, p->addr, 16);
	for (unsigned i = 0; i < 16; i++) {
		unsigned keep = p->len > i * 8 ? p->len - i * 8 : 0;
		if (keep < 8)
			masked[i] &= (uint8_t)(0xff00u >> keep);
	}
	check(memcmp(masked, p->addr, 16) == 0, "host bits clear");
	if (p->family == AF_INET)
		check(memcmp(p->addr + 4, zero, 12) == 0, "v4 tail zero");

	char buf[64];
	struct ccsb_prefix back;
	const char *why;
	ccsb__prefix_format(p, buf, sizeof(buf));
	check(ccsb__prefix_parse(buf, &back, &why) == 0, "formatted prefix parses");
	check(memcmp(&back, p, sizeof(back)) == 0, "format round trip");
}

static void check_merged(const struct ccsb_allowlist *in, const struct ccsb_allowlist *m)
{
	for (size_t i = 0; i < m->n; i++) {
		check_prefix(&m->v[i]);
		if (i == 0)
			continue;
		const struct ccsb_prefix *a = &m->v[i - 1], *b = &m->v[i];
		check(a->family <= b->family, "families sorted");
		if (a->family != b->family)
			continue;
		check(memcmp(a->addr, b->addr, nbytes(a)) < 0, "addresses ascending");
		check(!covers(a, b), "no entry covers the next");
		if (a->len == b->len && a->len > 0) {
			struct ccsb_prefix parent = *a;
			parent.len--;
			check(!covers(&parent, b), "no siblings left");
		}
	}
	/* Every input is covered by exactly one output entry. Quadratic, so
	 * only on the small inputs the fuzzer mostly produces. */
	if (in->n * m->n > 10000)
		return;
	for (size_t i = 0; i < in->n; i++) {
		size_t hits = 0;
		for (size_t j = 0; j < m->n; j++)
			hits += covers(&m->v[j], &in->v[i]);
		check(hits == 1, "each input covered once");
	}
	for (size_t j = 0; j < m->n; j++) {
		bool any = false;
		for (size_t i = 0; i < in->n && !any; i++)
			any = covers(&m->v[j], &in->v[i]) || covers(&in->v[i], &m->v[j]);
		check(any, "each output touches some input");
	}
}

static void text_case(const uint8_t *data, size_t size)
{
	struct ccsb_allowlist al = { 0 };
	ccsb_error *e = NULL;

	check(ccsb__allowlist_add(&al, &(struct ccsb_prefix){ .family = AF_INET, .len = 32 }) == 0,
	      "seed entry");
	int r = ccsb__allowlist_parse_buf(&al, "fuzz", (const char *)data, size, &e);
	if (r < 0) {
		check(e != NULL && ccsb_error_code(e) == -r, "error object on failure");
		check(strncmp(ccsb_error_message(e), "fuzz:", 5) == 0, "message names the input");
		check(al.n == 1, "nothing added on failure");
		check(al.nnames == 0 && al.nports == 0, "no name or port added on failure");
	} else {
		check(r == 0 && e == NULL, "no error object on success");
	}
	ccsb_error_free(e);

	for (size_t i = 0; i < al.n; i++)
		check_prefix(&al.v[i]);
	struct ccsb_allowlist m;
	check(ccsb__allowlist_copy(&m, &al) == 0, "copy");
	ccsb__allowlist_merge(&m);
	check_merged(&al, &m);
	size_t n1 = m.n;
	ccsb__allowlist_merge(&m);
	check(m.n == n1, "merge idempotent");
	ccsb__allowlist_free(&m);
	ccsb__allowlist_free(&al);

	/* The single-entry parser on the raw bytes up to the first NUL. */
	char *s = malloc(size + 1);
	if (!s)
		return;
	memcpy(s, data, size);
	s[size] = '\0';
	struct ccsb_prefix p;
	const char *why = NULL;
	if (ccsb__prefix_parse(s, &p, &why) == 0)
		check_prefix(&p);
	else
		check(why && *why, "a reason on failure");
	/* A name entry, with ports or not, goes into a list as it parsed and
	 * allows exactly the ports it lists. */
	char name[CCSB_ENTRY_TEXT_MAX];
	why = NULL;
	int kind = ccsb__entry_parse(s, &p, name, &why);
	if (kind < 0)
		check(why && *why, "an entry's reason on failure");
	if (kind == CCSB_ENTRY_NAME) {
		struct ccsb_allowlist nl = { 0 };
		char *colon = strchr(name, ':');
		check(ccsb__allowlist_add_name(&nl, name) == 0, "a parsed name entry adds");
		if (colon)
			*colon = '\0';
		const char *host = name[0] == '*' ? name + 1 : name; /* ".x.y" below "*.x.y" */
		char below[CCSB_ENTRY_TEXT_MAX + 2];
		snprintf(below, sizeof(below), "a%s", host);
		const char *q = name[0] == '*' ? below : name;
		/* "*." and a 251-byte name: nothing below it fits. */
		bool fits = strlen(q) <= CCSB_NAME_MAX;
		if (fits)
			check(ccsb__allowlist_name_allowed(&nl, q), "the entry's name is allowed");
		if (fits && !colon)
			check(ccsb__allowlist_port_allowed(&nl, q, 1) &&
				      ccsb__allowlist_port_allowed(&nl, q, 65535),
			      "no ports: any port");
		unsigned listed = 0;
		for (char *t = colon ? colon + 1 : NULL; fits && t && *t;) {
			unsigned long v = strtoul(t, &t, 10);
			check(v >= 1 && v <= 65535, "listed port in range");
			check(ccsb__allowlist_port_allowed(&nl, q, (unsigned)v),
			      "listed port allowed");
			listed++;
			if (*t == ',')
				t++;
		}
		if (fits && colon)
			check(listed >= 1 && listed <= CCSB_NAME_PORTS_MAX, "port count");
		ccsb__allowlist_free(&nl);
	}
	free(s);
}

/* Text rarely spells out prefixes that nest and pair up, so the same bytes
 * are also read as 3-byte records of prefixes inside 10.0.0.0/16 and
 * 2001:db8::/112, small enough to compare coverage bit by bit. */
static uint64_t want_map[2][1024], got_map[2][1024];

static void mark(uint64_t *map, const struct ccsb_prefix *p)
{
	unsigned nb = nbytes(p), host = nb * 8 - p->len;
	unsigned off = (unsigned)p->addr[nb - 2] << 8 | p->addr[nb - 1];
	if (host >= 6)
		memset(map + off / 64, 0xff, ((size_t)1 << host) / 8);
	else
		map[off / 64] |= ((UINT64_C(1) << (1u << host)) - 1) << (off % 64);
}

static void binary_case(const uint8_t *data, size_t size)
{
	static const uint8_t base6[16] = { 0x20, 0x01, 0x0d, 0xb8 };
	struct ccsb_allowlist al = { 0 };
	memset(want_map, 0, sizeof(want_map));
	memset(got_map, 0, sizeof(got_map));
	for (size_t i = 0; i + 3 <= size; i += 3) {
		struct ccsb_prefix p = { 0 };
		bool v6 = data[i] & 0x80;
		unsigned host = (data[i] & 0x7f) % 17;
		p.family = v6 ? AF_INET6 : AF_INET;
		if (v6)
			memcpy(p.addr, base6, 16);
		else
			p.addr[0] = 10;
		p.len = (uint8_t)(nbytes(&p) * 8 - host);
		unsigned off = ((unsigned)data[i + 1] << 8 | data[i + 2]) & ~((1u << host) - 1);
		p.addr[nbytes(&p) - 2] = (uint8_t)(off >> 8);
		p.addr[nbytes(&p) - 1] = (uint8_t)off;
		check(ccsb__allowlist_add(&al, &p) == 0, "add");
		mark(want_map[v6], &p);
	}
	struct ccsb_allowlist in;
	check(ccsb__allowlist_copy(&in, &al) == 0, "copy");
	ccsb__allowlist_merge(&al);
	check_merged(&in, &al);
	for (size_t i = 0; i < al.n; i++) {
		const struct ccsb_prefix *p = &al.v[i];
		bool v6 = p->family == AF_INET6;
		check(p->len >= nbytes(p) * 8 - 16, "merge stays inside the inputs' /16");
		check(memcmp(p->addr, v6 ? base6 : (const uint8_t[]){ 10, 0 }, nbytes(p) - 2) == 0,
		      "merge keeps the inputs' network");
		mark(got_map[v6], p);
	}
	check(memcmp(want_map, got_map, sizeof(want_map)) == 0, "merge keeps coverage exactly");
	ccsb__allowlist_free(&in);
	ccsb__allowlist_free(&al);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	text_case(data, size);
	binary_case(data, size);
	return 0;
}
