/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The event stream (libccsandbox/events.c): the JSON string encoder,
 * exhaustively on every byte, every pair of bytes, every code point and
 * every 4-byte combination of the bytes UTF-8 decoding turns on, against a
 * decoder written differently; the fields of an event; and the stream
 * itself: lines in order from several threads, a reader that does not read
 * (the emitter never blocks; what is lost is counted on the next line and
 * in total), a reader that is gone (no SIGPIPE), the exit event. */
#include "events.h"
#include "tap.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- a reference: UTF-8 decoded by code point arithmetic ----------------- */

/* Code points of s[0..n): well-formed sequences decoded, every other byte
 * U+FFFD. Returns the count. */
static size_t ref_decode(const unsigned char *s, size_t n, uint32_t *cp)
{
	size_t k = 0;
	for (size_t i = 0; i < n;) {
		unsigned c = s[i];
		size_t len = c < 0x80	      ? 1
			     : (c >> 5) == 6  ? 2
			     : (c >> 4) == 14 ? 3
			     : (c >> 3) == 30 ? 4
					      : 0;
		uint32_t v = len == 1	? c
			     : len == 2 ? (c & 0x1f)
			     : len == 3 ? (c & 0x0f)
					: (c & 0x07);
		bool ok = len > 0 && i + len <= n;
		for (size_t j = 1; ok && j < len; j++) {
			if ((s[i + j] & 0xc0) != 0x80)
				ok = false;
			v = v << 6 | (s[i + j] & 0x3f);
		}
		static const uint32_t min[5] = { 0, 0, 0x80, 0x800, 0x10000 };
		if (ok && (v < min[len] || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff)))
			ok = false;
		if (!ok) {
			cp[k++] = 0xfffd;
			i++;
		} else {
			cp[k++] = v;
			i += len;
		}
	}
	return k;
}

/* Decode a JSON string literal (as RFC 8259 reads it, strictly) to code
 * points; false when it is not one, or holds anything a line must not:
 * a raw control character, a raw U+2028/U+2029, bytes past the closing
 * quote. */
static bool json_decode(const char *j, size_t n, uint32_t *cp, size_t *k)
{
	const unsigned char *s = (const unsigned char *)j;
	*k = 0;
	if (n < 2 || s[0] != '"' || s[n - 1] != '"')
		return false;
	for (size_t i = 1; i < n - 1;) {
		unsigned c = s[i];
		if (c < 0x20 || c == 0x7f || c == '"')
			return false;
		if (c == '\\') {
			if (i + 1 >= n - 1)
				return false;
			char e = (char)s[i + 1];
			const char *simple = "\"\\/bfnrt", *val = "\"\\/\b\f\n\r\t";
			const char *p = strchr(simple, e);
			if (e && p) {
				cp[(*k)++] = (unsigned char)val[p - simple];
				i += 2;
				continue;
			}
			if (e != 'u' || i + 6 > n - 1)
				return false;
			uint32_t v = 0;
			for (int h = 0; h < 4; h++) {
				char x = (char)s[i + 2 + h];
				int d = x >= '0' && x <= '9'   ? x - '0'
					: x >= 'a' && x <= 'f' ? x - 'a' + 10
							       : -1;
				if (d < 0) /* the encoder writes lowercase */
					return false;
				v = v << 4 | (uint32_t)d;
			}
			if (v >= 0xd800 && v <= 0xdfff) /* never written */
				return false;
			cp[(*k)++] = v;
			i += 6;
			continue;
		}
		uint32_t tmp[4];
		size_t len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : 4;
		if (i + len > n - 1 || ref_decode(s + i, len, tmp) != 1)
			return false;
		if (tmp[0] == 0x2028 || tmp[0] == 0x2029)
			return false;
		cp[(*k)++] = tmp[0];
		i += len;
	}
	return true;
}

static char out[CCSB_JSON_MAX(64)];
static uint32_t want[64], got[64 * 6];

/* Encode s[0..n), check the result decodes to the reference's code points
 * and is printable ASCII or UTF-8. */
static bool roundtrip(const unsigned char *s, size_t n)
{
	size_t o = ccsb__json_escape((const char *)s, n, out);
	if (o > CCSB_JSON_MAX(n))
		return false;
	size_t kw = ref_decode(s, n, want), kg;
	if (!json_decode(out, o, got, &kg) || kg != kw)
		return false;
	return memcmp(want, got, kw * sizeof(*want)) == 0;
}

static void test_encoder(void)
{
	/* Each byte alone, against a table written out by hand. */
	int bad = 0;
	for (int c = 0; c < 256; c++) {
		char in = (char)c, exp[16];
		if (c == '"')
			strcpy(exp, "\"\\\"\"");
		else if (c == '\\')
			strcpy(exp, "\"\\\\\"");
		else if (c == '\b')
			strcpy(exp, "\"\\b\"");
		else if (c == '\f')
			strcpy(exp, "\"\\f\"");
		else if (c == '\n')
			strcpy(exp, "\"\\n\"");
		else if (c == '\r')
			strcpy(exp, "\"\\r\"");
		else if (c == '\t')
			strcpy(exp, "\"\\t\"");
		else if (c < 0x20 || c == 0x7f)
			snprintf(exp, sizeof(exp), "\"\\u%04x\"", c);
		else if (c >= 0x80)
			strcpy(exp, "\"\\ufffd\"");
		else
			snprintf(exp, sizeof(exp), "\"%c\"", c);
		size_t o = ccsb__json_escape(&in, 1, out);
		if (o != strlen(exp) || memcmp(out, exp, o) != 0) {
			if (bad++ < 5)
				diag("byte 0x%02x: %.*s, expected %s", c, (int)o, out, exp);
		}
	}
	ok(bad == 0, "every single byte: the escape written out by hand (%d wrong)", bad);

	bad = 0;
	for (unsigned a = 0; a < 256; a++)
		for (unsigned b = 0; b < 256; b++) {
			unsigned char s[2] = { (unsigned char)a, (unsigned char)b };
			if (!roundtrip(s, 2) && bad++ < 5)
				diag("bytes %02x %02x", a, b);
		}
	ok(bad == 0, "every pair of bytes: one JSON string, the reference's code points (%d wrong)",
	   bad);

	bad = 0;
	for (uint32_t v = 0; v <= 0x10ffff; v++) {
		if (v >= 0xd800 && v <= 0xdfff)
			continue;
		unsigned char s[4];
		size_t n;
		if (v < 0x80) {
			s[0] = (unsigned char)v;
			n = 1;
		} else if (v < 0x800) {
			s[0] = (unsigned char)(0xc0 | v >> 6);
			s[1] = (unsigned char)(0x80 | (v & 0x3f));
			n = 2;
		} else if (v < 0x10000) {
			s[0] = (unsigned char)(0xe0 | v >> 12);
			s[1] = (unsigned char)(0x80 | (v >> 6 & 0x3f));
			s[2] = (unsigned char)(0x80 | (v & 0x3f));
			n = 3;
		} else {
			s[0] = (unsigned char)(0xf0 | v >> 18);
			s[1] = (unsigned char)(0x80 | (v >> 12 & 0x3f));
			s[2] = (unsigned char)(0x80 | (v >> 6 & 0x3f));
			s[3] = (unsigned char)(0x80 | (v & 0x3f));
			n = 4;
		}
		size_t o = ccsb__json_escape((const char *)s, n, out), k;
		bool good = json_decode(out, o, got, &k) && k == 1 && got[0] == v;
		/* Past ASCII, kept byte for byte but for the two separators. */
		if (good && v >= 0x80 && v != 0x2028 && v != 0x2029)
			good = o == n + 2 && memcmp(out + 1, s, n) == 0;
		if (good && (v == 0x2028 || v == 0x2029))
			good = o == 8 &&
			       memcmp(out + 1, v == 0x2028 ? "\\u2028" : "\\u2029", 6) == 0;
		if (!good && bad++ < 5)
			diag("U+%04X: %.*s", (unsigned)v, (int)o, out);
	}
	ok(bad == 0, "every code point: kept as UTF-8 (U+2028, U+2029 escaped) (%d wrong)", bad);

	/* Every 4-byte string of the bytes where decoding turns: lead bytes
	 * and their bounds, continuation bounds, escapes. */
	static const unsigned char pick[] = { 0x00, 0x0a, 0x1f, 0x20, 0x22, 0x5c, 0x7e, 0x7f,
					      0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xa8, 0xa9, 0xbf,
					      0xc0, 0xc1, 0xc2, 0xdf, 0xe0, 0xe2, 0xec, 0xed,
					      0xee, 0xef, 0xf0, 0xf3, 0xf4, 0xf5, 0xf8, 0xff };
	size_t np = sizeof(pick);
	bad = 0;
	for (size_t a = 0; a < np; a++)
		for (size_t b = 0; b < np; b++)
			for (size_t c = 0; c < np; c++)
				for (size_t d = 0; d < np; d++) {
					unsigned char s[4] = { pick[a], pick[b], pick[c], pick[d] };
					if (!roundtrip(s, 4) && bad++ < 5)
						diag("bytes %02x %02x %02x %02x", s[0], s[1], s[2],
						     s[3]);
				}
	ok(bad == 0, "every 4-byte string of %zu boundary bytes (%zu strings, %d wrong)", np,
	   np * np * np * np, bad);

	/* The cases by name. */
	struct {
		const char *in, *out;
	} cases[] = {
		{ "", "\"\"" },
		{ "a\"b\\c", "\"a\\\"b\\\\c\"" },
		{ "/", "\"/\"" },
		{ "\x1b]52;c;aGk=\x07", "\"\\u001b]52;c;aGk=\\u0007\"" },
		{ "caf\xc3\xa9", "\"caf\xc3\xa9\"" },
		{ "\xc0\xaf", "\"\\ufffd\\ufffd\"" },			    /* overlong '/' */
		{ "\xed\xa0\x80", "\"\\ufffd\\ufffd\\ufffd\"" },	    /* a surrogate */
		{ "\xf4\x90\x80\x80", "\"\\ufffd\\ufffd\\ufffd\\ufffd\"" }, /* past U+10FFFF */
		{ "\xe2\x82", "\"\\ufffd\\ufffd\"" },			    /* truncated */
		{ "\xe2\x80\xa8x", "\"\\u2028x\"" },
		{ "a\",\"event\":\"exit", "\"a\\\",\\\"event\\\":\\\"exit\"" },
	};
	bad = 0;
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		size_t o = ccsb__json_escape(cases[i].in, strlen(cases[i].in), out);
		if (o != strlen(cases[i].out) || memcmp(out, cases[i].out, o) != 0) {
			bad++;
			diag("case %zu: %.*s", i, (int)o, out);
		}
	}
	ok(bad == 0, "named cases: quotes, ESC/BEL, overlong, surrogate, past U+10FFFF, truncated, "
		     "U+2028, an injection attempt");
	char nul[3] = { 'a', 0, 'b' };
	size_t o = ccsb__json_escape(nul, 3, out);
	ok(o == 10 && memcmp(out, "\"a\\u0000b\"", 10) == 0, "an embedded NUL is \\u0000");
}

static void test_fields(void)
{
	struct ccsb_jbuf b = { 0 };
	char *const v[] = { (char *)"sh", (char *)"-c", (char *)"echo \"x\"\n", NULL };
	ccsb__jb_str(&b, "s", "a\tb");
	ccsb__jb_str(&b, "n", NULL);
	ccsb__jb_int(&b, "i", -42);
	ccsb__jb_uint(&b, "u", UINT64_MAX);
	ccsb__jb_bool(&b, "t", true);
	ccsb__jb_bool(&b, "f", false);
	ccsb__jb_null(&b, "z");
	ccsb__jb_strv(&b, "v", v);
	ccsb__jb_raw(&b, "r", "{\"x\":1}");
	ccsb__jb_strn(&b, "p", "ab\xff", 3);
	is_str(b.p,
	       ",\"s\":\"a\\tb\",\"n\":null,\"i\":-42,\"u\":18446744073709551615,\"t\":true,"
	       "\"f\":false,\"z\":null,\"v\":[\"sh\",\"-c\",\"echo \\\"x\\\"\\n\"],\"r\":{\"x\":1},"
	       "\"p\":\"ab\\ufffd\"",
	       "fields: every kind, escaped");
	ok(!b.oom, "no allocation failure");
	ccsb__jb_free(&b);
	char *const none[] = { NULL };
	ccsb__jb_strv(&b, "v", none);
	is_str(b.p, ",\"v\":[]", "an empty array");
	ccsb__jb_free(&b);
}

/* ---- the stream ----------------------------------------------------------- */

struct lines {
	pthread_mutex_t mu;
	char **v;
	size_t n, cap;
};

static void collect(const char *line, size_t len, void *data)
{
	struct lines *l = data;
	pthread_mutex_lock(&l->mu);
	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 64;
		l->v = realloc(l->v, l->cap * sizeof(*l->v));
	}
	l->v[l->n++] = strndup(line, len);
	pthread_mutex_unlock(&l->mu);
}

static void lines_free(struct lines *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = l->cap = 0;
}

static long field(const char *line, const char *key)
{
	char k[64];
	snprintf(k, sizeof(k), "\"%s\":", key);
	const char *p = strstr(line, k);
	return p ? strtol(p + strlen(k), NULL, 10) : -1;
}

static struct ccsb_events *ev_of(ccsb_sandbox *sb)
{
	return ccsb__events_of(sb);
}

struct emitter {
	ccsb_sandbox *sb;
	int id, n;
};

static void *emit_many(void *arg)
{
	struct emitter *e = arg;
	for (int i = 0; i < e->n; i++) {
		char name[64];
		snprintf(name, sizeof(name), "t%d-%d.example", e->id, i);
		ccsb__event_dns_refused(ev_of(e->sb), name, 1);
	}
	return NULL;
}

static void test_threads(void)
{
	ccsb_sandbox *sb = ccsb_sandbox_new();
	struct lines l = { .mu = PTHREAD_MUTEX_INITIALIZER };
	ok(ccsb_sandbox_set_event_callback(sb, collect, &l) == 0, "callback set");
	ccsb__events_run_begin(sb, NULL);
	enum {
		T = 4,
		N = 2000
	};
	pthread_t th[T];
	struct emitter em[T];
	for (int i = 0; i < T; i++) {
		em[i] = (struct emitter){ sb, i, N };
		pthread_create(&th[i], NULL, emit_many, &em[i]);
	}
	for (int i = 0; i < T; i++)
		pthread_join(th[i], NULL);
	ccsb__events_run_end(sb, 0, NULL, 0);
	ok(l.n == T * N + 1, "%d threads x %d events: every line reached the callback (%zu)", T, N,
	   l.n);
	int bad = 0;
	for (size_t i = 0; i < l.n; i++) {
		if (field(l.v[i], "seq") != (long)i + 1 || strncmp(l.v[i], "{\"v\":1,", 7) != 0 ||
		    l.v[i][strlen(l.v[i]) - 1] != '}')
			bad++;
	}
	ok(bad == 0, "in seq order 1..%zu, each one whole object", l.n);
	ok(l.n && strstr(l.v[l.n - 1], "\"event\":\"exit\"") &&
		   field(l.v[l.n - 1], "status") == 0 && field(l.v[l.n - 1], "dropped") == 0,
	   "the last line is the exit event, status 0, nothing dropped");
	lines_free(&l);
	/* Off: nothing reaches anyone. */
	ccsb_sandbox_set_event_callback(sb, NULL, NULL);
	ccsb__events_run_begin(sb, NULL);
	ccsb__event_dns_refused(ev_of(sb), "x.example", 1);
	ccsb__events_run_end(sb, 0, NULL, 0);
	ok(l.n == 0, "callback removed: no call");
	ccsb_sandbox_free(sb);
}

/* Read everything from fd until EOF or `until` lines with "exit". */
static char *slurp(int fd, size_t *len)
{
	size_t cap = 1 << 16, n = 0;
	char *b = malloc(cap);
	for (;;) {
		if (n + 4096 > cap)
			b = realloc(b, cap *= 2);
		ssize_t r = read(fd, b + n, cap - n - 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		n += (size_t)r;
		b[n] = '\0';
		if (strstr(b, "\"event\":\"exit\""))
			break;
	}
	b[n] = '\0';
	*len = n;
	return b;
}

struct drain {
	int fd;
	char *buf;
	size_t len;
};

static void *drain_main(void *arg)
{
	struct drain *d = arg;
	d->buf = slurp(d->fd, &d->len);
	return NULL;
}

static void test_slow_reader(void)
{
	ccsb_sandbox *sb = ccsb_sandbox_new();
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0)
		bail_out("pipe");
	fcntl(p[1], F_SETPIPE_SZ, 4096);
	ok(ccsb_sandbox_set_events_fd(sb, p[1]) == 0, "descriptor set (a pipe of 4 KiB)");
	ok(ccsb_sandbox_set_events_fd(sb, 1000) == -EBADF, "a closed descriptor: -EBADF");
	ccsb__events_run_begin(sb, NULL);
	/* Nobody reads: ~1 KiB lines fill the pipe, then the queue. A blocking
	 * write would hang here. */
	char name[1000];
	memset(name, 'n', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	enum {
		N = 600
	};
	for (int i = 0; i < N; i++) {
		name[0] = (char)('a' + i % 26);
		ccsb__event_dns_refused(ev_of(sb), name, 28);
	}
	uint64_t lost = ccsb_sandbox_events_dropped(sb);
	ok(lost > 0 && lost < N, "%d lines of 1 KiB into 4 KiB + 256 KiB: some dropped (%llu)", N,
	   (unsigned long long)lost);
	/* The original descriptor is still blocking: only our own is not. */
	ok(!(fcntl(p[1], F_GETFL) & O_NONBLOCK), "the caller's descriptor keeps its flags");

	/* Room again in the pipe (not in the queue: it is written only when
	 * a line is emitted or the run ends): the next line goes through
	 * and says how many were lost before it. */
	char first[16384];
	ssize_t nfirst = read(p[0], first, sizeof(first) / 2);
	/* Without a new event: the supervising loop polls for room and
	 * flushes. */
	ok(ccsb__events_pollfd(ev_of(sb)) >= 0, "lines wait: a descriptor to poll for room");
	ccsb__events_flush(ev_of(sb));
	ssize_t nmore = nfirst > 0 ? read(p[0], first + nfirst, sizeof(first) / 2) : -1;
	ok(nmore > 0, "a flush without a new event writes what waited (%zd bytes)", nmore);
	if (nmore > 0)
		nfirst += nmore;
	ccsb__event_dns_refused(ev_of(sb), "after.example", 1);

	struct drain d = { .fd = p[0] };
	pthread_t th;
	pthread_create(&th, NULL, drain_main, &d);
	ccsb__events_run_end(sb, 3, NULL, 0);
	pthread_join(th, NULL);
	ok(ccsb__events_pollfd(ev_of(sb)) < 0, "after the run: nothing to poll");
	if (nfirst > 0) {
		char *all = malloc((size_t)nfirst + d.len + 1);
		memcpy(all, first, (size_t)nfirst);
		memcpy(all + nfirst, d.buf, d.len + 1);
		free(d.buf);
		d.buf = all;
	}

	/* Every line whole; the seq numbers missing add up to the dropped
	 * fields; the exit event has the total. */
	long expect = 1, missing = 0, said = 0, nlines = 0, exit_dropped = -1;
	bool whole = true;
	for (char *line = d.buf, *nl; (nl = strchr(line, '\n')); line = nl + 1) {
		*nl = '\0';
		nlines++;
		whole = whole && line[0] == '{' && nl[-1] == '}';
		long seq = field(line, "seq");
		if (seq > expect)
			missing += seq - expect;
		expect = seq + 1;
		if (strstr(line, "\"event\":\"exit\"")) {
			exit_dropped = field(line, "dropped");
			ok(field(line, "status") == 3, "exit status 3");
		} else if (field(line, "dropped") > 0) {
			said += field(line, "dropped");
		}
	}
	ok(whole, "%ld lines, each one whole object", nlines);
	ok(missing == (long)lost && said == (long)lost && exit_dropped == (long)lost,
	   "lost %llu: seq gaps %ld, \"dropped\" on the next lines %ld, exit's \"dropped\" %ld",
	   (unsigned long long)lost, missing, said, exit_dropped);
	free(d.buf);
	close(p[0]);
	close(p[1]);
	ccsb_sandbox_free(sb);
}

static void test_reader_gone(void)
{
	ccsb_sandbox *sb = ccsb_sandbox_new();
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0)
		bail_out("pipe");
	ccsb_sandbox_set_events_fd(sb, p[1]);
	ccsb__events_run_begin(sb, NULL);
	close(p[0]);
	/* SIGPIPE at its default would end this test here. */
	ccsb__event_dns_refused(ev_of(sb), "a.example", 1);
	ccsb__event_dns_refused(ev_of(sb), "b.example", 1);
	ccsb_error *err = NULL;
	ccsb__err(&err, EIO, "bwrap failed");
	ccsb__events_run_end(sb, -EIO, &err, 0);
	ok(ccsb_sandbox_events_dropped(sb) == 3,
	   "reader gone: every line lost and counted, no "
	   "SIGPIPE (%llu)",
	   (unsigned long long)ccsb_sandbox_events_dropped(sb));
	sigset_t pending;
	sigpending(&pending);
	ok(!sigismember(&pending, SIGPIPE), "no SIGPIPE left pending");
	ccsb_error_free(err);
	close(p[1]);
	ccsb_sandbox_free(sb);
}

static void test_error_exit(void)
{
	ccsb_sandbox *sb = ccsb_sandbox_new();
	struct lines l = { .mu = PTHREAD_MUTEX_INITIALIZER };
	ccsb_sandbox_set_event_callback(sb, collect, &l);
	ccsb__events_run_begin(sb, NULL);
	ccsb_error *err = NULL;
	ccsb__err(&err, EIO, "bwrap \"failed\"");
	ccsb__events_run_end(sb, -EIO, &err, 2048);
	ok(l.n == 1 && strstr(l.v[0], "\"status\":null,\"error\":\"bwrap \\\"failed\\\"\"") &&
		   strstr(l.v[0], "\"peak_rss\":2097152,\"peak_rss_source\":\"rusage\""),
	   "a failed run: status null, the error escaped, peak_rss in bytes");
	ccsb_error_free(err);
	lines_free(&l);
	ccsb_sandbox_free(sb);
}

/* Issue 14: a name bound to a synthetic address. */
static void test_name_bound(void)
{
	ccsb_sandbox *sb = ccsb_sandbox_new();
	struct lines l = { .mu = PTHREAD_MUTEX_INITIALIZER };
	static const uint8_t fake[4] = { 198, 18, 16, 0 };
	static const uint8_t real[8] = { 198, 51, 100, 1, 203, 0, 113, 7 };
	ccsb_sandbox_set_event_callback(sb, collect, &l);
	ccsb__events_run_begin(sb, NULL);
	ccsb__event_name_bound(ev_of(sb), "a.example", fake, real, 2);
	const char *line = l.n ? l.v[l.n - 1] : "none";
	ok(strstr(line, "\"event\":\"name_bound\"") &&
		   strstr(line, "\"name\":\"a.example\",\"address\":\"198.18.16.0\","
				"\"addresses\":[\"198.51.100.1\",\"203.0.113.7\"]"),
	   "name_bound: the name, its synthetic address and its real ones (%s)", line);
	lines_free(&l);
	ccsb_sandbox_free(sb);
}

int main(void)
{
	signal(SIGPIPE, SIG_DFL);
	test_name_bound();
	test_encoder();
	test_fields();
	test_threads();
	test_slow_reader();
	test_reader_gone();
	test_error_exit();
	return done_testing();
}
