/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer target: any bytes as one line of a named session's event log
 * (libccsandbox/sesslog.c), which `ccsb ps` and `ccsb events` parse and
 * print to a terminal. Beyond crashes and deep recursion, checks what they
 * rely on: every decoded string is NUL-terminated within its buffer, valid
 * UTF-8 without a C0, DEL or C1 control; a line accepted has an event and
 * ends where its object ends (so two objects on a line are refused); the
 * printed form of an accepted line holds no C1 control either. */
#include "fuzz.h"
#include "sesslog.h"

#include <string.h>

static size_t utf8_len(const unsigned char *s)
{
	unsigned char c = s[0];
	size_t k = c < 0x80		? 1
		   : (c & 0xe0) == 0xc0 ? 2
		   : (c & 0xf0) == 0xe0 ? 3
		   : (c & 0xf8) == 0xf0 ? 4
					: 0;
	for (size_t i = 1; i < k; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	return k;
}

static void safe_string(const char *s, size_t cap, const char *what)
{
	size_t n = strnlen(s, cap);
	check(n < cap, what);
	const unsigned char *p = (const unsigned char *)s;
	for (size_t i = 0; i < n;) {
		check(p[i] >= 0x20 && p[i] != 0x7f, "no C0 control or DEL");
		check(!(p[i] == 0xc2 && p[i + 1] >= 0x80 && p[i + 1] < 0xa0), "no C1 control");
		size_t k = utf8_len(p + i);
		check(k > 0 && i + k <= n, "valid UTF-8");
		i += k;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ccsb_evline e;
	if (ccsb__evline_parse((const char *)data, size, &e) != 0)
		return 0;
	safe_string(e.f.time, sizeof(e.f.time), "time terminated");
	safe_string(e.f.name, sizeof(e.f.name), "name terminated");
	safe_string(e.f.source, sizeof(e.f.source), "source terminated");
	safe_string(e.f.text, sizeof(e.f.text), "text terminated");
	safe_string(e.f.action, sizeof(e.f.action), "action terminated");
	check(e.kind <= CCSB_EV_LOG_ROTATED, "a known kind");
	/* An accepted line starts an object and ends one (whitespace aside). */
	size_t a = 0, b = size;
	while (a < size && strchr(" \t\r\n", data[a]))
		a++;
	while (b > a && strchr(" \t\r\n", data[b - 1]))
		b--;
	check(b > a && data[a] == '{' && data[b - 1] == '}', "one object");
	char *out = malloc(3 * size + 1);
	if (!out)
		return 0;
	size_t n = ccsb__evline_safe((const char *)data, size, out);
	check(n <= 3 * size, "printed form fits");
	for (size_t i = 0; i + 1 < n; i++)
		check(!((unsigned char)out[i] == 0xc2 && (unsigned char)out[i + 1] >= 0x80 &&
			(unsigned char)out[i + 1] < 0xa0),
		      "printed form has no C1 control");
	free(out);
	return 0;
}
