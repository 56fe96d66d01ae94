/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer target: any bytes through the event stream's JSON encoder
 * (libccsandbox/json.c), as sandbox-chosen names, paths and commands reach
 * it. Beyond crashes, checks what a reader relies on: the result fits the
 * documented bound and is one strict JSON string (no raw control character,
 * quote or line separator; escapes only as written by the encoder) of
 * valid UTF-8; decoding it gives the input back when the input was valid
 * UTF-8 without NUL, and one U+FFFD per other byte otherwise; an object
 * built from the pieces (the first byte splits the input into a key's
 * value and an array) is one line. */
#include "json.h"
#include "fuzz.h"

#include <string.h>

/* Length of a well-formed UTF-8 sequence at s, 0 when there is none:
 * written from the code point, unlike json.c's byte table. */
static size_t utf8_seq(const uint8_t *s, size_t n, uint32_t *cp)
{
	uint8_t c = s[0];
	size_t len = c < 0x80		  ? 1
		     : (c & 0xe0) == 0xc0 ? 2
		     : (c & 0xf0) == 0xe0 ? 3
		     : (c & 0xf8) == 0xf0 ? 4
					  : 0;
	if (!len || len > n)
		return 0;
	uint32_t v = len == 1 ? c : c & (0x7f >> len);
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		v = v << 6 | (s[i] & 0x3f);
	}
	static const uint32_t min[5] = { 0, 0, 0x80, 0x800, 0x10000 };
	if (v < min[len] || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
		return 0;
	*cp = v;
	return len;
}

/* Check `j` is one JSON string and return its code points' count; each
 * code point goes to cp (may be NULL). */
static size_t strict_string(const char *j, size_t n, uint32_t *cp)
{
	const uint8_t *s = (const uint8_t *)j;
	size_t k = 0;
	check(n >= 2 && s[0] == '"' && s[n - 1] == '"', "quoted");
	for (size_t i = 1; i < n - 1;) {
		uint32_t v = 0;
		check(s[i] >= 0x20 && s[i] != 0x7f && s[i] != '"',
		      "no raw control character or quote");
		if (s[i] == '\\') {
			check(i + 1 < n - 1, "escape complete");
			const char *p = strchr("\"\\bfnrt", s[i + 1]);
			if (s[i + 1] && p) {
				v = (uint32_t)(unsigned char)"\"\\\b\f\n\r\t"[p - "\"\\bfnrt"];
				i += 2;
			} else {
				check(s[i + 1] == 'u' && i + 6 <= n - 1, "\\u escape complete");
				for (int h = 0; h < 4; h++) {
					char x = (char)s[i + 2 + h];
					check((x >= '0' && x <= '9') || (x >= 'a' && x <= 'f'),
					      "hex digit");
					v = v << 4 | (uint32_t)(x <= '9' ? x - '0' : x - 'a' + 10);
				}
				check(v < 0x20 || v == 0x7f || v == 0xfffd || v == 0x2028 ||
					      v == 0x2029,
				      "only control characters, U+FFFD and the separators escaped");
				i += 6;
			}
		} else {
			size_t len = utf8_seq(s + i, n - 1 - i, &v);
			check(len > 0, "valid UTF-8");
			check(v != 0x2028 && v != 0x2029, "no raw line separator");
			i += len;
		}
		if (cp)
			cp[k] = v;
		k++;
	}
	return k;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 1 << 16)
		return 0;
	char *out = malloc(CCSB_JSON_MAX(size));
	uint32_t *cp = malloc((size + 1) * sizeof(*cp));
	check(out && cp, "malloc");
	size_t o = ccsb__json_escape((const char *)data, size, out);
	check(o <= CCSB_JSON_MAX(size), "within CCSB_JSON_MAX");
	size_t k = strict_string(out, o, cp);

	/* The code points: the input's where it is valid UTF-8, else one
	 * U+FFFD per byte not part of a valid sequence. */
	size_t want = 0;
	for (size_t i = 0; i < size;) {
		uint32_t v;
		size_t len = utf8_seq(data + i, size - i, &v);
		check(want < k, "no code point missing");
		check(cp[want] == (len ? v : 0xfffd), "the input's code point, or U+FFFD");
		want++;
		i += len ? len : 1;
	}
	check(want == k, "no code point added");

	/* An object of fields made of the same bytes: one line. */
	struct ccsb_jbuf b = { 0 };
	size_t cut = size ? data[0] % (size + 1) : 0;
	char *copy = malloc(size + 1);
	check(copy != NULL, "malloc");
	memcpy(copy, data, size);
	copy[size] = '\0';
	ccsb__jb_put(&b, "{\"v\":1", 6);
	ccsb__jb_strn(&b, "name", copy, cut);
	char *const argv[] = { copy + cut, copy, NULL };
	ccsb__jb_strv(&b, "command", argv);
	ccsb__jb_put(&b, "}", 1);
	check(!b.oom, "no allocation failure");
	check(memchr(b.p, '\n', b.len) == NULL && memchr(b.p, '\r', b.len) == NULL, "one line");
	check(strlen(b.p) == b.len, "no NUL inside");
	ccsb__jb_free(&b);
	free(copy);
	free(out);
	free(cp);
	return 0;
}
