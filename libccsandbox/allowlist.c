/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "internal.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

/* Bounds the stack copy of a line handed to ccsb__prefix_parse(). */
#define LINE_MAX_BYTES 4096
/* Refuse to slurp /dev/zero or a runaway pipe. */
/* Longest entry text quoted in a message. */
#define QUOTE_MAX 80

static const char R_EMPTY[] = "empty entry";
static const char R_NOTADDR[] = "not an address";
static const char R_NOTV4[] = "not an IPv4 address";
static const char R_NOTV6[] = "not an IPv6 address";
static const char R_LEN[] = "bad prefix length";
static const char R_JUNK[] = "trailing junk";
static const char R_DOMAIN[] = "a domain name, not an address";
static const char R_NAME_CIDR[] = "a domain name takes no prefix length";
static const char R_NAME_STAR[] = "'*' only as the whole first label, as in '*.example.com'";
static const char R_NAME_EMPTY[] = "empty label in domain name";
static const char R_NAME_CHAR[] = "bad character in domain name";
static const char R_NAME_LABEL[] = "domain name label longer than 63 characters";
static const char R_NAME_HYPHEN[] = "domain name label starts or ends with '-'";
static const char R_NAME_LONG[] = "domain name longer than 253 characters";
static const char R_NAME_SINGLE[] = "not an address or a full domain name";
static const char R_NAME_TLD[] = "wildcard over a whole top-level domain";
static const char R_PORTS[] = "bad port list after the name (NAME:PORT[,PORT...], each "
			      "1-65535, at most 16)";
static const char R_NAME_LAST[] = "not an address, and not a domain name (the last label must "
				  "start with a letter)";

static size_t addr_bytes(unsigned family)
{
	return family == AF_INET ? 4 : 16;
}

static unsigned max_len(unsigned family)
{
	return family == AF_INET ? 32 : 128;
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_label_char(char c)
{
	return is_alpha(c) || is_digit(c) || c == '-' || c == '_';
}

static char lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

static void mask_addr(uint8_t *a, size_t nbytes, unsigned len)
{
	for (size_t i = 0; i < nbytes; i++) {
		if (len >= 8) {
			len -= 8;
			continue;
		}
		a[i] &= (uint8_t)(0xff00u >> len);
		len = 0;
	}
}

/* Do the first `len` bits of a and b agree? */
static bool bits_equal(const uint8_t *a, const uint8_t *b, unsigned len)
{
	size_t full = len / 8;
	if (memcmp(a, b, full) != 0)
		return false;
	if (len % 8 == 0)
		return true;
	uint8_t m = (uint8_t)(0xff00u >> (len % 8));
	return ((a[full] ^ b[full]) & m) == 0;
}

static bool covers(const struct ccsb_prefix *outer, const struct ccsb_prefix *inner)
{
	return outer->family == inner->family && outer->len <= inner->len &&
	       bits_equal(outer->addr, inner->addr, outer->len);
}

/* Two or more labels of letters, digits, '-' and '_', the last one starting
 * with a letter (no TLD is numeric, so "1.2.3.4x" is a mangled address, not
 * a name); optionally "*." in front and a root '.' behind. A lone word is
 * more likely garbage than a host name. Only used to pick a helpful reason,
 * never to accept anything. */
static bool looks_like_domain(const char *s, size_t n)
{
	size_t label = 0, dots = 0;
	if (n >= 2 && s[0] == '*' && s[1] == '.') {
		s += 2;
		n -= 2;
		dots++;
	}
	if (n > 1 && s[n - 1] == '.')
		n--;
	if (n == 0 || n > 253)
		return false;
	char first = 0;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (c == '.') {
			if (label == 0)
				return false;
			label = 0;
			dots++;
			continue;
		}
		if (!is_alpha(c) && !is_digit(c) && c != '-' && c != '_')
			return false;
		if (label == 0)
			first = c;
		if (++label > 63)
			return false;
	}
	return dots > 0 && label > 0 && is_alpha(first);
}

/* inet_pton on a counted string; longer than any address text means no. */
static bool pton_n(int family, const char *s, size_t n, uint8_t *out)
{
	char tmp[INET6_ADDRSTRLEN + 1];
	if (n >= sizeof(tmp))
		return false;
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	return inet_pton(family, tmp, out) == 1;
}

/* The "did you mean" reason has to be built at run time; a thread-local
 * buffer keeps the static-string contract for callers, which never free it
 * and use it before the next parse. */
static _Thread_local char hostbits_why[32 + 64];

/* Surrounding whitespace is tolerated so that callers may pass a line as is;
 * anything else outside the address and length is an error.
 * Over 80 lines on purpose: one pass over untrusted text, address, then
 * length, then what may follow, each refusal with its own reason; split, the
 * cursor and the partly parsed prefix would travel through helpers and the
 * order of the checks (which the fuzz target and the unit tests pin) would
 * be spread over several places. */
int ccsb__prefix_parse(const char *s, struct ccsb_prefix *out, const char **why)
{
	const char *dummy;
	if (!why)
		why = &dummy;
	*why = NULL;
	if (!s || !out) {
		*why = R_EMPTY;
		return -EINVAL;
	}
	while (is_space(*s))
		s++;
	if (*s == '\0') {
		*why = R_EMPTY;
		return -EINVAL;
	}

	size_t n = 0;
	while (s[n] && s[n] != '/' && !is_space(s[n]))
		n++;

	struct ccsb_prefix p;
	memset(&p, 0, sizeof(p));
	size_t v4span = strspn(s, "0123456789.");
	if (v4span > n)
		v4span = n;
	if (memchr(s, ':', n)) {
		if (!pton_n(AF_INET6, s, n, p.addr)) {
			/* "192.0.2.1:443": a port, not a v6 typo. */
			if (v4span > 0 && s[v4span] == ':' && pton_n(AF_INET, s, v4span, p.addr))
				*why = R_JUNK;
			else
				*why = R_NOTV6;
			return -EINVAL;
		}
		p.family = AF_INET6;
	} else if (n > 0 && v4span == n) {
		if (!pton_n(AF_INET, s, n, p.addr)) {
			*why = R_NOTV4;
			return -EINVAL;
		}
		p.family = AF_INET;
	} else if (looks_like_domain(s, n)) {
		*why = s[n] == '/' ? R_NAME_CIDR : R_DOMAIN;
		return -EINVAL;
	} else {
		if (v4span > 0 && pton_n(AF_INET, s, v4span, p.addr))
			*why = R_JUNK;
		else
			*why = R_NOTADDR;
		return -EINVAL;
	}

	const char *q = s + n;
	unsigned max = max_len(p.family);
	unsigned len = max;
	if (*q == '/') {
		q++;
		size_t d = 0;
		while (is_digit(q[d]))
			d++;
		if (d == 0) {
			*why = R_LEN;
			return -EINVAL;
		}
		if (q[d] && !is_space(q[d])) {
			*why = R_JUNK;
			return -EINVAL;
		}
		if (d > 3 || (d > 1 && q[0] == '0')) {
			*why = R_LEN;
			return -EINVAL;
		}
		len = 0;
		for (size_t i = 0; i < d; i++)
			len = len * 10 + (unsigned)(q[i] - '0');
		if (len > max) {
			*why = R_LEN;
			return -EINVAL;
		}
		q += d;
	}
	while (is_space(*q))
		q++;
	if (*q) {
		*why = R_JUNK;
		return -EINVAL;
	}

	p.len = (uint8_t)len;
	struct ccsb_prefix m = p;
	mask_addr(m.addr, addr_bytes(p.family), len);
	if (memcmp(m.addr, p.addr, sizeof(p.addr)) != 0) {
		char net[64];
		ccsb__prefix_format(&m, net, sizeof(net));
		snprintf(hostbits_why, sizeof(hostbits_why), "host bits set, did you mean %s", net);
		*why = hostbits_why;
		*out = m;
		return -EINVAL;
	}
	*out = p;
	return 0;
}

int ccsb__name_parse(const char *s, size_t n, char out[CCSB_NAME_MAX + 1], const char **why)
{
	const char *dummy;
	if (!why)
		why = &dummy;
	*why = NULL;
	if (!s || !out || n == 0) {
		*why = R_EMPTY;
		return -EINVAL;
	}
	if (s[n - 1] == '.')
		n--;
	size_t skip = 0;
	if (n >= 2 && s[0] == '*' && s[1] == '.')
		skip = 2;
	if (n == skip) {
		*why = R_NAME_EMPTY;
		return -EINVAL;
	}
	if (memchr(s + skip, '*', n - skip)) {
		*why = R_NAME_STAR;
		return -EINVAL;
	}

	/* Character and label checks before the length, so that a long line
	 * of garbage is called garbage. */
	size_t labels = 0, label = 0;
	const char *last = s + skip;
	for (size_t i = skip; i <= n; i++) {
		if (i == n || s[i] == '.') {
			if (label == 0) {
				*why = R_NAME_EMPTY;
				return -EINVAL;
			}
			if (s[i - label] == '-' || s[i - 1] == '-') {
				*why = R_NAME_HYPHEN;
				return -EINVAL;
			}
			last = s + i - label;
			labels++;
			label = 0;
			continue;
		}
		if (!is_label_char(s[i])) {
			*why = R_NAME_CHAR;
			return -EINVAL;
		}
		if (++label > 63) {
			*why = R_NAME_LABEL;
			return -EINVAL;
		}
	}
	/* "*." counts: the shortest name the wildcard matches ("x." in its
	 * place) is as long, and must fit. */
	if (n > CCSB_NAME_MAX) {
		*why = R_NAME_LONG;
		return -EINVAL;
	}
	if (labels < 2) {
		*why = skip ? R_NAME_TLD : R_NAME_SINGLE;
		return -EINVAL;
	}
	if (!is_alpha(*last)) {
		*why = R_NAME_LAST;
		return -EINVAL;
	}
	for (size_t i = 0; i < n; i++)
		out[i] = lower(s[i]);
	out[n] = '\0';
	return 0;
}

/* Could the token be meant as a domain name? Only characters of names and
 * patterns, at least one that no address has, and not an IPv4 address
 * followed by junk ("1.2.3.4x"), which the prefix parser explains better. */
static bool name_like(const char *s, size_t n)
{
	bool marked = false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!is_label_char(c) && c != '.' && c != '*')
			return false;
		marked |= is_alpha(c) || c == '_' || c == '*';
	}
	if (!marked)
		return false;
	uint8_t a[16];
	size_t v4span = strspn(s, "0123456789.");
	return !(v4span > 0 && v4span < n && pton_n(AF_INET, s, v4span, a));
}

static int port_cmp(const void *a, const void *b)
{
	return (int)*(const unsigned *)a - (int)*(const unsigned *)b;
}

/* "22,443" -> sorted unique ports; count or -EINVAL. */
static int parse_ports(const char *s, size_t n, unsigned out[CCSB_NAME_PORTS_MAX])
{
	size_t k = 0, i = 0;

	if (n == 0)
		return -EINVAL;
	while (i <= n) {
		unsigned v = 0;
		size_t d = 0;

		while (i < n && is_digit(s[i]) && d < 6) {
			v = v * 10 + (unsigned)(s[i++] - '0');
			d++;
		}
		if (d == 0 || v == 0 || v > 65535 || (i < n && s[i] != ','))
			return -EINVAL;
		if (k == CCSB_NAME_PORTS_MAX)
			return -EINVAL;
		out[k++] = v;
		i++; /* the comma, or past the end */
	}
	qsort(out, k, sizeof(*out), port_cmp);
	size_t top = 0;
	for (size_t j = 0; j < k; j++)
		if (!top || out[top - 1] != out[j])
			out[top++] = out[j];
	return (int)top;
}

/* "NAME:PORTS" (names never hold ':'): the normalised name and ports
 * into `name`. */
static int name_ports_parse(const char *s, size_t n, char name[CCSB_ENTRY_TEXT_MAX],
			    const char **why)
{
	const char *colon = memchr(s, ':', n);
	unsigned ports[CCSB_NAME_PORTS_MAX];
	int np, r;

	if ((r = ccsb__name_parse(s, (size_t)(colon - s), name, why)) < 0)
		return r;
	if ((np = parse_ports(colon + 1, n - (size_t)(colon + 1 - s), ports)) < 0) {
		*why = R_PORTS;
		return -EINVAL;
	}
	size_t off = strlen(name);
	for (int i = 0; i < np; i++)
		off += (size_t)snprintf(name + off, CCSB_ENTRY_TEXT_MAX - off, "%c%u",
					i ? ',' : ':', ports[i]);
	return 0;
}

int ccsb__entry_parse(const char *s, struct ccsb_prefix *p, char name[CCSB_ENTRY_TEXT_MAX],
		      const char **why)
{
	const char *dummy;
	if (!why)
		why = &dummy;
	*why = NULL;
	if (!s || !p || !name) {
		*why = R_EMPTY;
		return -EINVAL;
	}
	while (is_space(*s))
		s++;
	size_t n = 0;
	while (s[n] && !is_space(s[n]))
		n++;
	if (n > 0 && name_like(s, n)) {
		const char *q = s + n;
		while (is_space(*q))
			q++;
		if (*q) {
			*why = R_JUNK;
			return -EINVAL;
		}
		int r = ccsb__name_parse(s, n, name, why);
		return r < 0 ? r : CCSB_ENTRY_NAME;
	}
	/* NAME:PORTS: one colon (an IPv6 address has two or more), a name
	 * before it. */
	const char *colon = memchr(s, ':', n);
	if (colon && colon > s && !memchr(colon + 1, ':', n - (size_t)(colon + 1 - s)) &&
	    name_like(s, (size_t)(colon - s)) && !memchr(s, '/', n)) {
		const char *q = s + n;
		while (is_space(*q))
			q++;
		if (*q) {
			*why = R_JUNK;
			return -EINVAL;
		}
		int r = name_ports_parse(s, n, name, why);
		return r < 0 ? r : CCSB_ENTRY_NAME;
	}
	int r = ccsb__prefix_parse(s, p, why);
	return r < 0 ? r : CCSB_ENTRY_PREFIX;
}

int ccsb__allowlist_add(struct ccsb_allowlist *al, const struct ccsb_prefix *p)
{
	if (!al || !p || (p->family != AF_INET && p->family != AF_INET6) ||
	    p->len > max_len(p->family))
		return -EINVAL;
	if (al->n == al->cap) {
		size_t cap = al->cap ? al->cap * 2 : 16;
		if (cap < al->cap || cap > SIZE_MAX / sizeof(*al->v))
			return -ENOMEM;
		struct ccsb_prefix *v = realloc(al->v, cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		al->v = v;
		al->cap = cap;
	}
	/* Normalise here so that merge and format can rely on the invariant
	 * whatever the caller built. */
	struct ccsb_prefix *d = &al->v[al->n++];
	memset(d, 0, sizeof(*d));
	d->family = p->family;
	d->len = p->len;
	memcpy(d->addr, p->addr, addr_bytes(p->family));
	mask_addr(d->addr, addr_bytes(p->family), p->len);
	return 0;
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int add_str(char ***v, size_t *n, size_t *cap, bool *sorted, const char *str)
{
	if (*n == *cap) {
		size_t c = *cap ? *cap * 2 : 16;
		if (c < *cap || c > SIZE_MAX / sizeof(**v))
			return -ENOMEM;
		char **nv = realloc(*v, c * sizeof(*nv));
		if (!nv)
			return -ENOMEM;
		*v = nv;
		*cap = c;
	}
	char *d = strdup(str);
	if (!d)
		return -ENOMEM;
	if (*n == 0)
		*sorted = true;
	else if (strcmp((*v)[*n - 1], d) >= 0)
		*sorted = false;
	(*v)[(*n)++] = d;
	return 0;
}

int ccsb__allowlist_add_name(struct ccsb_allowlist *al, const char *pattern)
{
	char norm[CCSB_NAME_MAX + 1], key[CCSB_NAME_MAX + 16];
	unsigned ports[CCSB_NAME_PORTS_MAX] = { 0 };
	const char *colon;
	int np = 1, r;

	if (!al || !pattern)
		return -EINVAL;
	colon = strchr(pattern, ':');
	if (ccsb__name_parse(pattern, colon ? (size_t)(colon - pattern) : strlen(pattern), norm,
			     NULL) < 0 ||
	    (colon && (np = parse_ports(colon + 1, strlen(colon + 1), ports)) < 0))
		return -EINVAL;
	if ((r = add_str(&al->names, &al->nnames, &al->capnames, &al->names_sorted, norm)) < 0)
		return r;
	/* Port 0: any. */
	for (int i = 0; i < np; i++) {
		snprintf(key, sizeof(key), "%s:%u", norm, ports[i]);
		if ((r = add_str(&al->ports, &al->nports, &al->capports, &al->ports_sorted, key)) <
		    0)
			return r;
	}
	return 0;
}

static void sort_strs(char **v, size_t *n, bool *sorted)
{
	if (*sorted || *n == 0) {
		*sorted = true;
		return;
	}
	qsort(v, *n, sizeof(*v), name_cmp);
	size_t top = 0;
	for (size_t i = 0; i < *n; i++) {
		if (top > 0 && strcmp(v[top - 1], v[i]) == 0)
			free(v[i]);
		else
			v[top++] = v[i];
	}
	*n = top;
	*sorted = true;
}

static void sort_names(struct ccsb_allowlist *al)
{
	sort_strs(al->names, &al->nnames, &al->names_sorted);
	sort_strs(al->ports, &al->nports, &al->ports_sorted);
}

static void drop_strs_from(char **v, size_t *n, bool *sorted, size_t n0, bool sorted0)
{
	for (size_t i = n0; i < *n; i++)
		free(v[i]);
	*n = n0;
	*sorted = sorted0 || n0 == 0;
}

static void drop_names_from(struct ccsb_allowlist *al, size_t n0, bool sorted0, size_t p0,
			    bool psorted0)
{
	drop_strs_from(al->names, &al->nnames, &al->names_sorted, n0, sorted0);
	drop_strs_from(al->ports, &al->nports, &al->ports_sorted, p0, psorted0);
}

static bool has_str(char *const *v, size_t n, bool sorted, const char *s)
{
	if (!sorted) {
		for (size_t i = 0; i < n; i++)
			if (strcmp(v[i], s) == 0)
				return true;
		return false;
	}
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(v[mid], s);
		if (c == 0)
			return true;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

static bool has_name(const struct ccsb_allowlist *al, const char *s)
{
	return has_str(al->names, al->nnames, al->names_sorted, s);
}

/* Call fn for each pattern of `al` that matches qname (the name itself,
 * then "*" + each of its ".suffix") until it returns true. */
static bool each_match(const struct ccsb_allowlist *al, const char *qname,
		       bool (*fn)(const struct ccsb_allowlist *, const char *, unsigned),
		       unsigned arg)
{
	if (!al || !qname || al->nnames == 0)
		return false;
	size_t n = strnlen(qname, CCSB_NAME_MAX + 2);
	if (n > 0 && qname[n - 1] == '.')
		n--;
	if (n == 0 || n > CCSB_NAME_MAX)
		return false;
	char name[CCSB_NAME_MAX + 1], wild[CCSB_NAME_MAX + 3];
	for (size_t i = 0; i < n; i++) {
		char c = lower(qname[i]);
		if (!is_label_char(c) && c != '.')
			return false;
		if (c == '.' && (i == 0 || name[i - 1] == '.' || i + 1 == n))
			return false;
		name[i] = c;
	}
	name[n] = '\0';
	if (has_name(al, name) && fn(al, name, arg))
		return true;
	for (const char *d = strchr(name, '.'); d; d = strchr(d + 1, '.')) {
		size_t rest = n - (size_t)(d + 1 - name);
		wild[0] = '*';
		memcpy(wild + 1, d, rest + 2);
		if (has_name(al, wild) && fn(al, wild, arg))
			return true;
	}
	return false;
}

static bool match_any(const struct ccsb_allowlist *al, const char *pattern, unsigned port)
{
	(void)al, (void)pattern, (void)port;
	return true;
}

static bool match_port(const struct ccsb_allowlist *al, const char *pattern, unsigned port)
{
	char key[CCSB_NAME_MAX + 8];

	snprintf(key, sizeof(key), "%s:0", pattern);
	if (has_str(al->ports, al->nports, al->ports_sorted, key))
		return true;
	snprintf(key, sizeof(key), "%s:%u", pattern, port);
	return has_str(al->ports, al->nports, al->ports_sorted, key);
}

bool ccsb__allowlist_name_allowed(const struct ccsb_allowlist *al, const char *qname)
{
	return each_match(al, qname, match_any, 0);
}

bool ccsb__allowlist_port_allowed(const struct ccsb_allowlist *al, const char *qname, unsigned port)
{
	return port > 0 && port <= 65535 && each_match(al, qname, match_port, port);
}

bool ccsb__allowlist_addr_covered(const struct ccsb_allowlist *al, int family, const uint8_t *addr)
{
	if (!al || !addr || (family != AF_INET && family != AF_INET6))
		return false;
	for (size_t i = 0; i < al->n; i++)
		if (al->v[i].family == family && bits_equal(al->v[i].addr, addr, al->v[i].len))
			return true;
	return false;
}

/* Entry text for a message: bounded, and with control and non-ASCII bytes
 * escaped, because the message ends up on a terminal. */
static void quote(char *dst, size_t dstlen, const char *s)
{
	size_t o = 0, i = 0;
	for (; s[i] && i < QUOTE_MAX; i++) {
		unsigned char c = (unsigned char)s[i];
		if (o + 5 >= dstlen)
			break;
		if (c < 0x20 || c >= 0x7f) {
			snprintf(dst + o, dstlen - o, "\\x%02x", c);
			o += 4;
		} else {
			dst[o++] = (char)c;
		}
	}
	if (s[i] && o + 4 < dstlen) {
		memcpy(dst + o, "...", 3);
		o += 3;
	}
	dst[o] = '\0';
}

int ccsb__allowlist_parse_buf(struct ccsb_allowlist *al, const char *name, const char *buf,
			      size_t len, ccsb_error **err)
{
	if (!name)
		name = "allowlist";
	if (!al || (!buf && len))
		return ccsb__err(err, EINVAL, "%s: invalid arguments", name);

	size_t n0 = al->n, nn0 = al->nnames, np0 = al->nports;
	bool sorted0 = al->names_sorted, psorted0 = al->ports_sorted;
	const char *p = buf, *end = buf + len;
	char line[LINE_MAX_BYTES + 1];
	char qbuf[QUOTE_MAX * 4 + 8];
	int r = 0;
	for (size_t lineno = 1; p < end; lineno++) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		if (n > LINE_MAX_BYTES) {
			r = ccsb__err(err, EINVAL, "%s:%zu: line longer than %d bytes", name,
				      lineno, LINE_MAX_BYTES);
			goto fail;
		}
		if (memchr(p, '\0', n)) {
			r = ccsb__err(err, EINVAL, "%s:%zu: NUL byte in line", name, lineno);
			goto fail;
		}
		memcpy(line, p, n);
		line[n] = '\0';
		p = nl ? nl + 1 : end;

		char *hash = strchr(line, '#');
		if (hash)
			*hash = '\0';
		char *s = line;
		while (is_space(*s))
			s++;
		size_t sl = strlen(s);
		while (sl > 0 && is_space(s[sl - 1]))
			s[--sl] = '\0';
		if (sl == 0)
			continue;

		struct ccsb_prefix pf;
		char dn[CCSB_ENTRY_TEXT_MAX];
		const char *why;
		int kind = ccsb__entry_parse(s, &pf, dn, &why);
		if (kind < 0) {
			quote(qbuf, sizeof(qbuf), s);
			r = ccsb__err(err, EINVAL, "%s:%zu: %s '%s'", name, lineno, why, qbuf);
			goto fail;
		}
		if ((kind == CCSB_ENTRY_NAME ? ccsb__allowlist_add_name(al, dn)
					     : ccsb__allowlist_add(al, &pf)) < 0) {
			r = ccsb__errno(err, ENOMEM, "%s", name);
			goto fail;
		}
	}
	sort_names(al);
	return 0;
fail:
	al->n = n0;
	drop_names_from(al, nn0, sorted0, np0, psorted0);
	return r;
}

static int prefix_cmp(const void *a, const void *b)
{
	const struct ccsb_prefix *x = a, *y = b;
	if (x->family != y->family)
		return x->family < y->family ? -1 : 1;
	int c = memcmp(x->addr, y->addr, addr_bytes(x->family));
	if (c)
		return c;
	return (x->len > y->len) - (x->len < y->len);
}

/* a and b are the two halves of one prefix one bit shorter. */
static bool siblings(const struct ccsb_prefix *a, const struct ccsb_prefix *b)
{
	if (a->family != b->family || a->len != b->len || a->len == 0)
		return false;
	unsigned bit = a->len - 1u;
	uint8_t m = (uint8_t)(0x80u >> (bit % 8));
	if ((a->addr[bit / 8] & m) || !(b->addr[bit / 8] & m))
		return false;
	struct ccsb_prefix t = *b;
	t.addr[bit / 8] &= (uint8_t)~m;
	return memcmp(a->addr, t.addr, addr_bytes(a->family)) == 0;
}

/* After sorting, the kept prefixes form a stack of disjoint, ascending
 * prefixes, so anything covering the next input can only be the top, and
 * a merge can only cascade with the entry just below. One pass, in place:
 * the stack never grows faster than the input is consumed. */
void ccsb__allowlist_merge(struct ccsb_allowlist *al)
{
	if (!al)
		return;
	sort_names(al);
	if (al->n == 0)
		return;
	qsort(al->v, al->n, sizeof(*al->v), prefix_cmp);
	size_t top = 0;
	for (size_t i = 0; i < al->n; i++) {
		struct ccsb_prefix p = al->v[i];
		if (top > 0 && covers(&al->v[top - 1], &p))
			continue;
		al->v[top++] = p;
		while (top >= 2 && siblings(&al->v[top - 2], &al->v[top - 1])) {
			top--;
			al->v[top - 1].len--;
		}
	}
	al->n = top;
}

int ccsb__allowlist_copy(struct ccsb_allowlist *dst, const struct ccsb_allowlist *src)
{
	if (!dst || !src)
		return -EINVAL;
	memset(dst, 0, sizeof(*dst));
	if (src->n > 0) {
		dst->v = malloc(src->n * sizeof(*dst->v));
		if (!dst->v)
			return -ENOMEM;
		memcpy(dst->v, src->v, src->n * sizeof(*dst->v));
		dst->n = dst->cap = src->n;
	}
	dst->names_sorted = src->names_sorted;
	if (src->nnames == 0)
		return 0;
	dst->names = calloc(src->nnames, sizeof(*dst->names));
	if (!dst->names)
		goto nomem;
	dst->capnames = src->nnames;
	for (; dst->nnames < src->nnames; dst->nnames++)
		if (!(dst->names[dst->nnames] = strdup(src->names[dst->nnames])))
			goto nomem;
	dst->ports_sorted = src->ports_sorted;
	if (src->nports == 0)
		return 0;
	dst->ports = calloc(src->nports, sizeof(*dst->ports));
	if (!dst->ports)
		goto nomem;
	dst->capports = src->nports;
	for (; dst->nports < src->nports; dst->nports++)
		if (!(dst->ports[dst->nports] = strdup(src->ports[dst->nports])))
			goto nomem;
	return 0;
nomem:
	ccsb__allowlist_free(dst);
	return -ENOMEM;
}

void ccsb__allowlist_free(struct ccsb_allowlist *al)
{
	if (!al)
		return;
	free(al->v);
	al->v = NULL;
	al->n = al->cap = 0;
	for (size_t i = 0; i < al->nnames; i++)
		free(al->names[i]);
	free(al->names);
	al->names = NULL;
	al->nnames = al->capnames = 0;
	al->names_sorted = false;
	for (size_t i = 0; i < al->nports; i++)
		free(al->ports[i]);
	free(al->ports);
	al->ports = NULL;
	al->nports = al->capports = 0;
	al->ports_sorted = false;
}

void ccsb__prefix_format(const struct ccsb_prefix *p, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];
	if (!buf || len == 0)
		return;
	if (!p || (p->family != AF_INET && p->family != AF_INET6) ||
	    !inet_ntop(p->family, p->addr, a, sizeof(a))) {
		snprintf(buf, len, "?");
		return;
	}
	snprintf(buf, len, "%s/%u", a, (unsigned)p->len);
}

int ccsb__allowlist_add_entry(struct ccsb_allowlist *al, const char *entry, ccsb_error **err)
{
	struct ccsb_prefix p;
	char dn[CCSB_ENTRY_TEXT_MAX];
	const char *why;
	int kind = ccsb__entry_parse(entry, &p, dn, &why);
	if (kind < 0) {
		char q[QUOTE_MAX * 4 + 8];
		quote(q, sizeof(q), entry);
		return ccsb__err(err, EINVAL, "bad allowlist entry '%s': %s", q, why);
	}
	if (kind == CCSB_ENTRY_PREFIX) {
		if (ccsb__allowlist_add(al, &p) < 0)
			return ccsb__errno(err, ENOMEM, "allowlist");
		return 0;
	}
	if (ccsb__allowlist_add_name(al, dn) < 0)
		return ccsb__errno(err, ENOMEM, "allowlist");
	sort_names(al);
	return 0;
}
