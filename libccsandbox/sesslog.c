/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A named session's event log: the run writes every line of its event
 * stream to NAME.events beside the session's socket (the sandbox cannot
 * reach that directory), so that `ccsb ps` can say what happened and
 * `ccsb events NAME` can print it, whether or not the user asked for
 * --events too.
 *
 * Bounded: a sandbox that asks a million refused names must not fill the
 * runtime tmpfs. A file that would pass CCSB_SESSLOG_MAX is renamed
 * NAME.events.1 (replacing the one before, whose lines are lost) and the
 * new file starts with a "log_rotated" line that carries the number of
 * lines and the count of each event so far, so that totals survive.
 *
 * The reader parses each line strictly (one JSON object; strings decoded
 * for display with control characters replaced): the file is the user's
 * own, but whatever is in it must not reach their terminal raw.
 */
#include "sesslog.h"
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

static const char *const kind_names[CCSB_EV_KINDS] = {
	[CCSB_EV_START] = "start",
	[CCSB_EV_DNS_REFUSED] = "dns_refused",
	[CCSB_EV_ROUTE_ADDED] = "route_added",
	[CCSB_EV_NAME_BOUND] = "name_bound",
	[CCSB_EV_SSH_AGENT] = "ssh_agent",
	[CCSB_EV_GIT_CREDENTIAL] = "git_credential",
	[CCSB_EV_REPORT] = "report",
	[CCSB_EV_BOUND] = "bound",
	[CCSB_EV_EXIT] = "exit",
	[CCSB_EV_OTHER] = "other",
};

const char *ccsb__ev_kind_name(enum ccsb_ev_kind k)
{
	return k < CCSB_EV_KINDS ? kind_names[k] : "log_rotated";
}

enum ccsb_ev_kind ccsb__ev_kind(const char *type, size_t n)
{
	for (int k = 0; k < CCSB_EV_OTHER; k++)
		if (strlen(kind_names[k]) == n && memcmp(kind_names[k], type, n) == 0)
			return (enum ccsb_ev_kind)k;
	if (n == 11 && memcmp(type, "log_rotated", 11) == 0)
		return CCSB_EV_LOG_ROTATED;
	return CCSB_EV_OTHER;
}

/* ---- writing ------------------------------------------------------------- */

struct ccsb_sesslog {
	int fd;
	bool failed, rotated;
	dev_t dev, odev; /* the current file's and NAME.events.1's */
	ino_t ino, oino;
	size_t size;
	uint64_t counts[CCSB_EV_KINDS], lines, last_seq;
	/* The last few of each kind that `ccsb ps -v` shows, as JSON objects
	 * {"time":...,FIELDS}, carried over a rotation; oldest first. */
	char *recent[CCSB_EV_KINDS][CCSB_SESSLOG_LAST];
	size_t nrecent[CCSB_EV_KINDS];
	char path[PATH_MAX], old[PATH_MAX + 2];
};

/* The kinds whose last few are kept: the rare ones a user looks for. */
static bool keeps_recent(enum ccsb_ev_kind k)
{
	return k == CCSB_EV_DNS_REFUSED || k == CCSB_EV_ROUTE_ADDED || k == CCSB_EV_NAME_BOUND ||
	       k == CCSB_EV_SSH_AGENT || k == CCSB_EV_GIT_CREDENTIAL || k == CCSB_EV_REPORT;
}

static void remember(struct ccsb_sesslog *l, enum ccsb_ev_kind k, const char *when,
		     const char *body, size_t bn)
{
	/* Long ones (a report with a long path) are not carried: the
	 * rotated line stays small. */
	if (!keeps_recent(k) || bn > 1024)
		return;
	size_t len = strlen(when) + bn + 16;
	char *o = malloc(len);
	if (!o)
		return;
	snprintf(o, len, "{\"time\":\"%s\"%.*s}", when, (int)bn, body ? body : "");
	if (l->nrecent[k] == CCSB_SESSLOG_LAST) {
		free(l->recent[k][0]);
		memmove(&l->recent[k][0], &l->recent[k][1],
			sizeof(char *) * (CCSB_SESSLOG_LAST - 1));
		l->nrecent[k]--;
	}
	l->recent[k][l->nrecent[k]++] = o;
}

static int create(struct ccsb_sesslog *l)
{
	unlink(l->path);
	l->fd = open(l->path, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_NOFOLLOW | O_CLOEXEC,
		     0600);
	struct stat st;
	if (l->fd < 0 || fstat(l->fd, &st) < 0)
		return -1;
	l->dev = st.st_dev;
	l->ino = st.st_ino;
	l->size = 0;
	return 0;
}

struct ccsb_sesslog *ccsb__sesslog_open(const char *dir, const char *name)
{
	struct ccsb_sesslog *l = calloc(1, sizeof(*l));
	if (!l)
		return NULL;
	l->fd = -1;
	if ((size_t)snprintf(l->path, sizeof(l->path), "%s/%s.events", dir, name) >=
	    sizeof(l->path)) {
		free(l);
		errno = ENAMETOOLONG;
		return NULL;
	}
	snprintf(l->old, sizeof(l->old), "%s.1", l->path);
	/* A dead session's leftovers (its lock is ours now). */
	unlink(l->old);
	if (create(l) < 0) {
		int e = errno;
		if (l->fd >= 0)
			close(l->fd);
		free(l);
		errno = e;
		return NULL;
	}
	return l;
}

static bool still_ours(const char *path, dev_t dev, ino_t ino)
{
	struct stat st;
	return lstat(path, &st) == 0 && st.st_dev == dev && st.st_ino == ino;
}

/* Move the full file aside and start the next with the totals so far. */
static void rotate(struct ccsb_sesslog *l, const char *when)
{
	/* After the session's end a new one may hold the name: never move
	 * its file. */
	if (!still_ours(l->path, l->dev, l->ino) || rename(l->path, l->old) < 0) {
		l->failed = true;
		return;
	}
	l->odev = l->dev;
	l->oino = l->ino;
	l->rotated = true;
	close(l->fd);
	if (create(l) < 0) {
		l->failed = true;
		return;
	}
	size_t cap = 1024;
	for (int k = 0; k < CCSB_EV_KINDS; k++)
		for (size_t i = 0; i < l->nrecent[k]; i++)
			cap += strlen(l->recent[k][i]) + 32;
	char *line = malloc(cap);
	if (!line) {
		l->failed = true;
		return;
	}
	size_t n = (size_t)snprintf(
		line, cap,
		"{\"v\":%d,\"seq\":%" PRIu64 ",\"time\":\"%s\",\"event\":\"log_rotated\","
		"\"lines\":%" PRIu64 ",\"counts\":{",
		CCSB_EVENTS_VERSION, l->last_seq ? l->last_seq : 1, when, l->lines);
	const char *sep = "";
	for (int k = 0; k < CCSB_EV_KINDS; k++) {
		if (!l->counts[k])
			continue;
		n += (size_t)snprintf(line + n, cap - n, "%s\"%s\":%" PRIu64, sep, kind_names[k],
				      l->counts[k]);
		sep = ",";
	}
	n += (size_t)snprintf(line + n, cap - n, "},\"recent\":{");
	sep = "";
	for (int k = 0; k < CCSB_EV_KINDS; k++) {
		if (!l->nrecent[k])
			continue;
		n += (size_t)snprintf(line + n, cap - n, "%s\"%s\":[", sep, kind_names[k]);
		for (size_t i = 0; i < l->nrecent[k]; i++)
			n += (size_t)snprintf(line + n, cap - n, "%s%s", i ? "," : "",
					      l->recent[k][i]);
		n += (size_t)snprintf(line + n, cap - n, "]");
		sep = ",";
	}
	n += (size_t)snprintf(line + n, cap - n, "}}\n");
	if (n < cap && write(l->fd, line, n) == (ssize_t)n)
		l->size += n;
	else
		l->failed = true;
	free(line);
}

void ccsb__sesslog_write(struct ccsb_sesslog *l, const char *type, uint64_t seq, const char *when,
			 const char *head, size_t hn, const char *body, size_t bn)
{
	if (!l || l->failed)
		return;
	size_t n = hn + bn + 2;
	if (l->size && l->size + n > CCSB_SESSLOG_MAX)
		rotate(l, when);
	if (l->failed)
		return;
	struct iovec iov[3] = { { (void *)head, hn },
				{ (void *)(body ? body : ""), bn },
				{ (void *)"}\n", 2 } };
	ssize_t w = writev(l->fd, iov, 3);
	if (w != (ssize_t)n) {
		/* ENOSPC: no half line left behind, and no more lines. */
		if (w > 0 && ftruncate(l->fd, (off_t)l->size) < 0) {
			/* Then the reader skips the broken line. */
		}
		l->failed = true;
		return;
	}
	l->size += n;
	l->lines++;
	l->last_seq = seq;
	enum ccsb_ev_kind k = ccsb__ev_kind(type, strlen(type));
	if (k < CCSB_EV_KINDS) {
		l->counts[k]++;
		remember(l, k, when, body, bn);
	}
}

void ccsb__sesslog_close(struct ccsb_sesslog *l)
{
	if (!l)
		return;
	if (l->fd >= 0)
		close(l->fd);
	if (still_ours(l->path, l->dev, l->ino))
		unlink(l->path);
	if (l->rotated && still_ours(l->old, l->odev, l->oino))
		unlink(l->old);
	for (int k = 0; k < CCSB_EV_KINDS; k++)
		for (size_t i = 0; i < l->nrecent[k]; i++)
			free(l->recent[k][i]);
	free(l);
}

/* ---- parsing one line ---------------------------------------------------- */

struct jp {
	const unsigned char *p, *end;
};

static void ws(struct jp *j)
{
	while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\r' || *j->p == '\n'))
		j->p++;
}

static bool eat(struct jp *j, char c)
{
	ws(j);
	if (j->p < j->end && *j->p == (unsigned char)c) {
		j->p++;
		return true;
	}
	return false;
}

static int hex4(const unsigned char *s, uint32_t *v)
{
	*v = 0;
	for (int i = 0; i < 4; i++) {
		unsigned char c = s[i];
		int d = c >= '0' && c <= '9'   ? c - '0'
			: c >= 'a' && c <= 'f' ? c - 'a' + 10
			: c >= 'A' && c <= 'F' ? c - 'A' + 10
					       : -1;
		if (d < 0)
			return -1;
		*v = *v << 4 | (uint32_t)d;
	}
	return 0;
}

/* One well-formed UTF-8 sequence at s: its length and code point, or 0. */
static size_t utf8_seq(const unsigned char *s, size_t n, uint32_t *cp)
{
	unsigned char c = s[0];
	size_t k = c >= 0xc2 && c <= 0xdf   ? 2
		   : c >= 0xe0 && c <= 0xef ? 3
		   : c >= 0xf0 && c <= 0xf4 ? 4
					    : 0;
	if (!k || k > n)
		return 0;
	uint32_t v = c & (0x7f >> k);
	for (size_t i = 1; i < k; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		v = v << 6 | (s[i] & 0x3f);
	}
	static const uint32_t min[5] = { 0, 0, 0x80, 0x800, 0x10000 };
	if (v < min[k] || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
		return 0;
	*cp = v;
	return k;
}

/* Append code point cp to out (cap bytes, NUL kept), '?' for what a
 * terminal would obey; a character that does not fit ends the output. */
static void put_cp(char *out, size_t cap, size_t *o, bool *full, uint32_t cp)
{
	char b[4];
	size_t k;
	if (cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp < 0xa0) || (cp >= 0xd800 && cp <= 0xdfff))
		cp = '?';
	if (cp < 0x80) {
		b[0] = (char)cp;
		k = 1;
	} else if (cp < 0x800) {
		b[0] = (char)(0xc0 | cp >> 6);
		b[1] = (char)(0x80 | (cp & 0x3f));
		k = 2;
	} else if (cp < 0x10000) {
		b[0] = (char)(0xe0 | cp >> 12);
		b[1] = (char)(0x80 | (cp >> 6 & 0x3f));
		b[2] = (char)(0x80 | (cp & 0x3f));
		k = 3;
	} else {
		b[0] = (char)(0xf0 | cp >> 18);
		b[1] = (char)(0x80 | (cp >> 12 & 0x3f));
		b[2] = (char)(0x80 | (cp >> 6 & 0x3f));
		b[3] = (char)(0x80 | (cp & 0x3f));
		k = 4;
	}
	if (!out || *full)
		return;
	if (*o + k >= cap) {
		*full = true;
		return;
	}
	memcpy(out + *o, b, k);
	*o += k;
	out[*o] = '\0';
}

/* A JSON string at j->p (its opening quote next), decoded into out (cap
 * bytes; NULL: only checked). -1 when malformed. */
static int string(struct jp *j, char *out, size_t cap)
{
	size_t o = 0;
	bool full = false;
	if (out && cap)
		out[0] = '\0';
	if (!eat(j, '"'))
		return -1;
	while (j->p < j->end) {
		unsigned char c = *j->p;
		uint32_t cp;
		if (c == '"') {
			j->p++;
			return 0;
		}
		if (c < 0x20)
			return -1;
		if (c >= 0x80) {
			size_t k = utf8_seq(j->p, (size_t)(j->end - j->p), &cp);
			if (!k)
				return -1;
			j->p += k;
		} else if (c != '\\') {
			cp = c;
			j->p++;
		} else {
			if (j->end - j->p < 2)
				return -1;
			const char *esc = strchr("\"\\/bfnrt", j->p[1]);
			if (j->p[1] && esc) {
				cp = (uint32_t)(unsigned char)"\"\\/\b\f\n\r\t"[esc - "\"\\/bfnrt"];
				j->p += 2;
			} else if (j->p[1] == 'u' && j->end - j->p >= 6 &&
				   hex4(j->p + 2, &cp) == 0) {
				j->p += 6;
				uint32_t lo;
				/* A surrogate pair is one character; a lone
				 * half is shown as '?'. */
				if (cp >= 0xd800 && cp <= 0xdbff && j->end - j->p >= 6 &&
				    j->p[0] == '\\' && j->p[1] == 'u' && hex4(j->p + 2, &lo) == 0 &&
				    lo >= 0xdc00 && lo <= 0xdfff) {
					cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
					j->p += 6;
				}
			} else {
				return -1;
			}
		}
		if (out && cap)
			put_cp(out, cap, &o, &full, cp);
	}
	return -1;
}

/* A number; *v its value when it is a non-negative integer that fits
 * (else *is_uint false). -1 when malformed. */
static int number(struct jp *j, uint64_t *v, bool *is_uint)
{
	const unsigned char *s = j->p;
	*v = 0;
	*is_uint = true;
	if (j->p < j->end && *j->p == '-') {
		*is_uint = false;
		j->p++;
	}
	const unsigned char *digits = j->p;
	while (j->p < j->end && *j->p >= '0' && *j->p <= '9') {
		unsigned d = *j->p - '0';
		if (*v > (UINT64_MAX - d) / 10)
			*is_uint = false;
		else
			*v = *v * 10 + d;
		j->p++;
	}
	size_t nd = (size_t)(j->p - digits);
	if (nd == 0 || (nd > 1 && *digits == '0'))
		return -1;
	if (j->p < j->end && *j->p == '.') {
		*is_uint = false;
		j->p++;
		if (j->p >= j->end || *j->p < '0' || *j->p > '9')
			return -1;
		while (j->p < j->end && *j->p >= '0' && *j->p <= '9')
			j->p++;
	}
	if (j->p < j->end && (*j->p == 'e' || *j->p == 'E')) {
		*is_uint = false;
		j->p++;
		if (j->p < j->end && (*j->p == '+' || *j->p == '-'))
			j->p++;
		if (j->p >= j->end || *j->p < '0' || *j->p > '9')
			return -1;
		while (j->p < j->end && *j->p >= '0' && *j->p <= '9')
			j->p++;
	}
	return j->p > s ? 0 : -1;
}

static bool literal(struct jp *j, const char *w)
{
	size_t n = strlen(w);
	if ((size_t)(j->end - j->p) < n || memcmp(j->p, w, n) != 0)
		return false;
	j->p += n;
	return true;
}

#define MAX_DEPTH 16

/* Any value, checked and skipped. */
static int skip(struct jp *j, int depth)
{
	ws(j);
	if (j->p >= j->end || depth > MAX_DEPTH)
		return -1;
	unsigned char c = *j->p;
	if (c == '"')
		return string(j, NULL, 0);
	if (c == '{' || c == '[') {
		char close = c == '{' ? '}' : ']';
		j->p++;
		if (eat(j, close))
			return 0;
		do {
			if (c == '{' && (string(j, NULL, 0) < 0 || !eat(j, ':')))
				return -1;
			if (skip(j, depth + 1) < 0)
				return -1;
		} while (eat(j, ','));
		return eat(j, close) ? 0 : -1;
	}
	if (c == '-' || (c >= '0' && c <= '9')) {
		uint64_t v;
		bool u;
		return number(j, &v, &u);
	}
	return literal(j, "true") || literal(j, "false") || literal(j, "null") ? 0 : -1;
}

/* An unsigned integer value; -1 when it is anything else. */
static int uint_value(struct jp *j, uint64_t *v)
{
	bool u;
	ws(j);
	if (j->p >= j->end || *j->p == '-' || *j->p < '0' || *j->p > '9')
		return -1;
	return number(j, v, &u) == 0 && u ? 0 : -1;
}

/* "counts": {"dns_refused": 12, ...}; unknown events go to OTHER. */
static int counts(struct jp *j, uint64_t *c)
{
	if (!eat(j, '{'))
		return -1;
	if (eat(j, '}'))
		return 0;
	do {
		char key[32];
		uint64_t v;
		if (string(j, key, sizeof(key)) < 0 || !eat(j, ':') || uint_value(j, &v) < 0)
			return -1;
		enum ccsb_ev_kind k = ccsb__ev_kind(key, strlen(key));
		if (k < CCSB_EV_KINDS)
			c[k] = c[k] + v < c[k] ? UINT64_MAX : c[k] + v;
	} while (eat(j, ','));
	return eat(j, '}') ? 0 : -1;
}

/* The buffer of string field `key`, or NULL for the others. */
static char *field(struct ccsb_evfields *f, const char *key, size_t *cap)
{
	struct {
		const char *key;
		char *buf;
		size_t cap;
	} strs[] = {
		{ "time", f->time, sizeof(f->time) },
		{ "name", f->name, sizeof(f->name) },
		{ "source", f->source, sizeof(f->source) },
		{ "action", f->action, sizeof(f->action) },
		/* One of them per event: report, ssh_agent, git_credential. */
		{ "text", f->text, sizeof(f->text) },
		{ "what", f->text, sizeof(f->text) },
		{ "host", f->text, sizeof(f->text) },
	};
	for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++) {
		if (strcmp(key, strs[i].key) == 0) {
			*cap = strs[i].cap;
			return strs[i].buf;
		}
	}
	return NULL;
}

/* How `ccsb ps -v` shows an event of kind k. */
static void item_of(enum ccsb_ev_kind k, const struct ccsb_evfields *f, char *out, size_t len)
{
	/* "2026-12-03T11:36:44.854Z" -> "11:36:44" */
	const char *t = strchr(f->time, 'T');
	bool two = k == CCSB_EV_REPORT || k == CCSB_EV_SSH_AGENT || k == CCSB_EV_GIT_CREDENTIAL;
	const char *a = k == CCSB_EV_REPORT ? f->source : two ? f->action : f->name;
	if (snprintf(out, len, "%.8s %s%s%s", t ? t + 1 : "", a, two ? ": " : "",
		     two ? f->text : "") >= (int)len) {
		/* Cut: not inside a character. */
		size_t n = strlen(out), i = n;
		while (i > 0 && i + 4 > n && ((unsigned char)out[i - 1] & 0xc0) == 0x80)
			i--;
		if (i > 0 && (unsigned char)out[i - 1] >= 0xc0) {
			unsigned char c = (unsigned char)out[i - 1];
			size_t want = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;
			if (n - (i - 1) < want)
				out[i - 1] = '\0';
		}
	}
}

static void push(struct ccsb_evlast *l, const char *item)
{
	if (l->n == CCSB_SESSLOG_LAST) {
		memmove(l->item[0], l->item[1], sizeof(l->item[0]) * (CCSB_SESSLOG_LAST - 1));
		l->n--;
	}
	snprintf(l->item[l->n++], sizeof(l->item[0]), "%s", item);
}

/* One object of "recent": its fields, the others skipped. */
static int fields(struct jp *j, struct ccsb_evfields *f)
{
	memset(f, 0, sizeof(*f));
	if (!eat(j, '{'))
		return -1;
	if (eat(j, '}'))
		return 0;
	do {
		char key[32], *buf;
		size_t cap;
		if (string(j, key, sizeof(key)) < 0 || !eat(j, ':'))
			return -1;
		buf = field(f, key, &cap);
		if ((buf ? string(j, buf, cap) : skip(j, 3)) < 0)
			return -1;
	} while (eat(j, ','));
	return eat(j, '}') ? 0 : -1;
}

/* "recent": {"dns_refused": [{"time":...,"name":...}, ...], ...}. */
static int recent(struct jp *j, struct ccsb_evline *e)
{
	if (!eat(j, '{'))
		return -1;
	if (eat(j, '}'))
		return 0;
	do {
		char key[32], item[300];
		struct ccsb_evfields f;
		if (string(j, key, sizeof(key)) < 0 || !eat(j, ':') || !eat(j, '['))
			return -1;
		enum ccsb_ev_kind k = ccsb__ev_kind(key, strlen(key));
		if (eat(j, ']'))
			continue;
		do {
			if (fields(j, &f) < 0)
				return -1;
			if (k < CCSB_EV_KINDS) {
				item_of(k, &f, item, sizeof(item));
				push(&e->recent[k], item);
			}
		} while (eat(j, ','));
		if (!eat(j, ']'))
			return -1;
	} while (eat(j, ','));
	return eat(j, '}') ? 0 : -1;
}

/* The value of member `key` of the top-level object, into e. */
static int member(struct jp *j, const char *key, struct ccsb_evline *e, char *type, size_t tcap,
		  bool *got_seq)
{
	size_t cap;
	char *buf = field(&e->f, key, &cap);
	if (buf)
		return string(j, buf, cap);
	if (strcmp(key, "event") == 0)
		return string(j, type, tcap);
	if (strcmp(key, "recent") == 0)
		return recent(j, e);
	if (strcmp(key, "seq") == 0) {
		*got_seq = true;
		return uint_value(j, &e->seq);
	}
	if (strcmp(key, "lines") == 0)
		return uint_value(j, &e->lines);
	if (strcmp(key, "counts") == 0)
		return counts(j, e->counts);
	if (strcmp(key, "status") == 0) {
		ws(j);
		if (literal(j, "null"))
			return 0;
		e->has_status = true;
		return uint_value(j, &e->status);
	}
	return skip(j, 1);
}

int ccsb__evline_parse(const char *line, size_t n, struct ccsb_evline *e)
{
	struct jp j = { (const unsigned char *)line, (const unsigned char *)line + n };
	char type[32] = "";
	bool got_seq = false;
	memset(e, 0, sizeof(*e));
	if (!eat(&j, '{'))
		return -EINVAL;
	if (!eat(&j, '}')) {
		do {
			char key[32];
			if (string(&j, key, sizeof(key)) < 0 || !eat(&j, ':') ||
			    member(&j, key, e, type, sizeof(type), &got_seq) < 0)
				return -EINVAL;
		} while (eat(&j, ','));
		if (!eat(&j, '}'))
			return -EINVAL;
	}
	ws(&j);
	if (j.p != j.end || !type[0] || !got_seq)
		return -EINVAL;
	e->kind = ccsb__ev_kind(type, strlen(type));
	return 0;
}

size_t ccsb__evline_safe(const char *line, size_t n, char *out)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *s = (const unsigned char *)line;
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == 0xc2 && i + 1 < n && s[i + 1] >= 0x80 && s[i + 1] < 0xa0) {
			memcpy(out + o, "\\u00", 4);
			out[o + 4] = hex[s[i + 1] >> 4];
			out[o + 5] = hex[s[i + 1] & 15];
			o += 6;
			i++;
		} else {
			out[o++] = (char)s[i];
		}
	}
	return o;
}

/* ---- the summary ---------------------------------------------------------- */

/* The last few of kind k into list l, after what `recent` carried. */
static void push_line(struct ccsb_evlast *l, const struct ccsb_evline *e)
{
	char item[300];
	item_of(e->kind, &e->f, item, sizeof(item));
	push(l, item);
}

static void take(struct ccsb_sesslog_summary *s, const struct ccsb_evline *e)
{
	if (e->kind == CCSB_EV_LOG_ROTATED) {
		/* The totals of everything before it, this file's or not, and
		 * the last few of each kind until then. */
		memcpy(s->counts, e->counts, sizeof(s->counts));
		s->lines = e->lines;
		s->refused = e->recent[CCSB_EV_DNS_REFUSED];
		s->reports = e->recent[CCSB_EV_REPORT];
		s->ssh = e->recent[CCSB_EV_SSH_AGENT];
		s->git = e->recent[CCSB_EV_GIT_CREDENTIAL];
		s->bound = e->recent[CCSB_EV_ROUTE_ADDED];
		for (size_t i = 0; i < e->recent[CCSB_EV_NAME_BOUND].n; i++)
			push(&s->bound, e->recent[CCSB_EV_NAME_BOUND].item[i]);
		return;
	}
	s->counts[e->kind]++;
	s->lines++;
	s->kept++;
	switch (e->kind) {
	case CCSB_EV_DNS_REFUSED:
		push_line(&s->refused, e);
		break;
	case CCSB_EV_NAME_BOUND:
	case CCSB_EV_ROUTE_ADDED:
		push_line(&s->bound, e);
		break;
	case CCSB_EV_REPORT:
		push_line(&s->reports, e);
		break;
	case CCSB_EV_SSH_AGENT:
		push_line(&s->ssh, e);
		break;
	case CCSB_EV_GIT_CREDENTIAL:
		push_line(&s->git, e);
		break;
	case CCSB_EV_EXIT:
		s->exited = true;
		break;
	default:
		break;
	}
}

/* Every line of one open file. */
static int read_lines(int fd, struct ccsb_sesslog_summary *s)
{
	struct stat st;
	if (fstat(fd, &st) < 0)
		return -errno;
	/* Ours only, and a regular file: not a FIFO to hang on. */
	if (!S_ISREG(st.st_mode) || st.st_uid != getuid())
		return -EPERM;
	/* A file grown past its bound (not by us) is read from its end. */
	off_t max = 4 * (off_t)CCSB_SESSLOG_MAX, off = st.st_size > max ? st.st_size - max : 0;
	size_t len = (size_t)(st.st_size - off);
	char *buf = malloc(len + 1);
	if (!buf)
		return -ENOMEM;
	size_t got = 0;
	while (got < len) {
		ssize_t r = pread(fd, buf + got, len - got, off + (off_t)got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	char *p = buf, *end = buf + got;
	if (off) {
		/* Skip the partial line we landed in. */
		char *nl = memchr(p, '\n', got);
		p = nl ? nl + 1 : end;
	}
	struct ccsb_evline *e = malloc(sizeof(*e));
	if (!e) {
		free(buf);
		return -ENOMEM;
	}
	while (p < end) {
		char *nl = memchr(p, '\n', (size_t)(end - p));
		/* A line still being written is not counted yet. */
		if (!nl)
			break;
		if ((size_t)(nl - p) <= CCSB_SESSLOG_LINE_MAX &&
		    ccsb__evline_parse(p, (size_t)(nl - p), e) == 0)
			take(s, e);
		else
			s->bad++;
		p = nl + 1;
	}
	free(e);
	free(buf);
	return 0;
}

int ccsb__sesslog_summary(const char *dir, const char *name, struct ccsb_sesslog_summary *s)
{
	char path[PATH_MAX], old[PATH_MAX + 2];
	memset(s, 0, sizeof(*s));
	if ((size_t)snprintf(path, sizeof(path), "%s/%s.events", dir, name) >= sizeof(path))
		return -ENAMETOOLONG;
	snprintf(old, sizeof(old), "%s.1", path);
	/* The current file first: if it is rotated meanwhile, NAME.events.1
	 * is that same file and is read once. */
	int cur = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	if (cur < 0)
		return errno == ENOENT ? 0 : -errno;
	int prev = open(old, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	struct stat a, b;
	int r = 0;
	if (prev >= 0 && fstat(prev, &b) == 0 && fstat(cur, &a) == 0 &&
	    (a.st_dev != b.st_dev || a.st_ino != b.st_ino))
		r = read_lines(prev, s);
	if (r == 0)
		r = read_lines(cur, s);
	if (prev >= 0)
		close(prev);
	close(cur);
	return r;
}
