/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* JSON text for the event stream (pure): strings escaped so that whatever
 * bytes the sandbox chose (a file name, a DNS name, a command line) stay one
 * string of one line, and the fields of an object built with them. */
#include "json.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Length of the well-formed UTF-8 sequence at s (n bytes left), 0 when
 * the byte at s does not start one (RFC 3629, table 3-7 of Unicode). */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	unsigned char c = s[0];
	size_t k;
	unsigned char lo = 0x80, hi = 0xbf;
	if (c >= 0xc2 && c <= 0xdf)
		k = 2;
	else if (c >= 0xe0 && c <= 0xef) {
		k = 3;
		if (c == 0xe0)
			lo = 0xa0;
		else if (c == 0xed)
			hi = 0x9f; /* no surrogates */
	} else if (c >= 0xf0 && c <= 0xf4) {
		k = 4;
		if (c == 0xf0)
			lo = 0x90;
		else if (c == 0xf4)
			hi = 0x8f; /* nothing past U+10FFFF */
	} else
		return 0;
	if (n < k || s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < k; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return k;
}

size_t ccsb__json_escape(const char *str, size_t n, char *out)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *s = (const unsigned char *)str;
	size_t o = 0;
	out[o++] = '"';
	for (size_t i = 0; i < n;) {
		unsigned char c = s[i];
		if (c >= 0x80) {
			size_t k = utf8_len(s + i, n - i);
			if (k == 0) {
				memcpy(out + o, "\\ufffd", 6);
				o += 6;
				i++;
				continue;
			}
			/* U+2028/U+2029 end a line for JavaScript readers. */
			if (k == 3 && c == 0xe2 && s[i + 1] == 0x80 && (s[i + 2] & 0xfe) == 0xa8) {
				memcpy(out + o, s[i + 2] == 0xa8 ? "\\u2028" : "\\u2029", 6);
				o += 6;
			} else {
				memcpy(out + o, s + i, k);
				o += k;
			}
			i += k;
			continue;
		}
		const char *esc = NULL;
		switch (c) {
		case '"':
			esc = "\\\"";
			break;
		case '\\':
			esc = "\\\\";
			break;
		case '\b':
			esc = "\\b";
			break;
		case '\f':
			esc = "\\f";
			break;
		case '\n':
			esc = "\\n";
			break;
		case '\r':
			esc = "\\r";
			break;
		case '\t':
			esc = "\\t";
			break;
		default:
			break;
		}
		if (esc) {
			out[o++] = esc[0];
			out[o++] = esc[1];
		} else if (c < 0x20 || c == 0x7f) {
			memcpy(out + o, "\\u00", 4);
			out[o + 4] = hex[c >> 4];
			out[o + 5] = hex[c & 15];
			o += 6;
		} else {
			out[o++] = (char)c;
		}
		i++;
	}
	out[o++] = '"';
	return o;
}

/* ---- the fields of one event ------------------------------------------- */

static bool jb_room(struct ccsb_jbuf *b, size_t more)
{
	if (b->oom)
		return false;
	if (b->len + more + 1 <= b->cap)
		return true;
	size_t cap = b->cap ? b->cap : 256;
	while (cap < b->len + more + 1) {
		if (cap > SIZE_MAX / 2) {
			b->oom = true;
			return false;
		}
		cap *= 2;
	}
	char *p = realloc(b->p, cap);
	if (!p) {
		b->oom = true;
		return false;
	}
	b->p = p;
	b->cap = cap;
	return true;
}

void ccsb__jb_put(struct ccsb_jbuf *b, const char *s, size_t n)
{
	if (!jb_room(b, n))
		return;
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void jb_key(struct ccsb_jbuf *b, const char *key)
{
	ccsb__jb_put(b, ",\"", 2);
	ccsb__jb_put(b, key, strlen(key));
	ccsb__jb_put(b, "\":", 2);
}

void ccsb__jb_string(struct ccsb_jbuf *b, const char *s, size_t n)
{
	if (n > (SIZE_MAX - 8) / 6 || !jb_room(b, CCSB_JSON_MAX(n))) {
		b->oom = true;
		return;
	}
	b->len += ccsb__json_escape(s, n, b->p + b->len);
	b->p[b->len] = '\0';
}

void ccsb__jb_strn(struct ccsb_jbuf *b, const char *key, const char *s, size_t n)
{
	jb_key(b, key);
	ccsb__jb_string(b, s, n);
}

void ccsb__jb_str(struct ccsb_jbuf *b, const char *key, const char *s)
{
	if (!s)
		ccsb__jb_null(b, key);
	else
		ccsb__jb_strn(b, key, s, strlen(s));
}

void ccsb__jb_strv(struct ccsb_jbuf *b, const char *key, char *const v[])
{
	jb_key(b, key);
	ccsb__jb_put(b, "[", 1);
	for (size_t i = 0; v && v[i]; i++) {
		if (i)
			ccsb__jb_put(b, ",", 1);
		ccsb__jb_string(b, v[i], strlen(v[i]));
	}
	ccsb__jb_put(b, "]", 1);
}

void ccsb__jb_int(struct ccsb_jbuf *b, const char *key, int64_t v)
{
	char num[24];
	int k = snprintf(num, sizeof(num), "%" PRId64, v);
	jb_key(b, key);
	ccsb__jb_put(b, num, (size_t)k);
}

void ccsb__jb_uint(struct ccsb_jbuf *b, const char *key, uint64_t v)
{
	char num[24];
	int k = snprintf(num, sizeof(num), "%" PRIu64, v);
	jb_key(b, key);
	ccsb__jb_put(b, num, (size_t)k);
}

void ccsb__jb_bool(struct ccsb_jbuf *b, const char *key, bool v)
{
	jb_key(b, key);
	ccsb__jb_put(b, v ? "true" : "false", v ? 4 : 5);
}

void ccsb__jb_null(struct ccsb_jbuf *b, const char *key)
{
	jb_key(b, key);
	ccsb__jb_put(b, "null", 4);
}

void ccsb__jb_raw(struct ccsb_jbuf *b, const char *key, const char *json)
{
	jb_key(b, key);
	ccsb__jb_put(b, json, strlen(json));
}

void ccsb__jb_free(struct ccsb_jbuf *b)
{
	free(b->p);
	*b = (struct ccsb_jbuf){ 0 };
}
