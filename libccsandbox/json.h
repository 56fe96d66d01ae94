/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* JSON text for the event stream (json.c, pure). */
#ifndef CCSB_JSON_H
#define CCSB_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The most bytes ccsb__json_escape() writes for n input bytes. */
#define CCSB_JSON_MAX(n) (6 * (size_t)(n) + 2)
/* s[0..n) as a JSON string, quotes included, into `out` (at least
 * CCSB_JSON_MAX(n) bytes, not NUL-terminated); returns the length. Valid
 * UTF-8 is kept, but for U+2028 and U+2029, which are escaped; '"' and '\'
 * are escaped, control characters (C0 and DEL) become \n, \t, ... or
 * \u00XX, and each byte that is not part of well-formed UTF-8 (overlong
 * forms, surrogates, past U+10FFFF, truncated sequences) becomes U+FFFD
 * (written \ufffd). Whatever the input, the result is one valid JSON string
 * of printable ASCII and valid UTF-8 without line terminators. */
size_t ccsb__json_escape(const char *s, size_t n, char *out);

/* The fields of one event, each appended as ,"key":value. Out of memory is
 * sticky (`oom`): the event is then dropped and counted. Keys are the
 * library's own constants and are not escaped. */
struct ccsb_jbuf {
	char *p;
	size_t len, cap;
	bool oom;
};
void ccsb__jb_str(struct ccsb_jbuf *b, const char *key, const char *s);
void ccsb__jb_strn(struct ccsb_jbuf *b, const char *key, const char *s, size_t n);
void ccsb__jb_strv(struct ccsb_jbuf *b, const char *key, char *const v[]);
void ccsb__jb_int(struct ccsb_jbuf *b, const char *key, int64_t v);
void ccsb__jb_uint(struct ccsb_jbuf *b, const char *key, uint64_t v);
void ccsb__jb_bool(struct ccsb_jbuf *b, const char *key, bool v);
void ccsb__jb_null(struct ccsb_jbuf *b, const char *key);
/* `json` is a complete JSON value built by the caller. */
void ccsb__jb_raw(struct ccsb_jbuf *b, const char *key, const char *json);
void ccsb__jb_free(struct ccsb_jbuf *b);
/* Without a key, to build an array or an object: raw text, and a string
 * escaped as ccsb__json_escape() does. */
void ccsb__jb_put(struct ccsb_jbuf *b, const char *s, size_t n);
void ccsb__jb_string(struct ccsb_jbuf *b, const char *s, size_t n);

#endif
