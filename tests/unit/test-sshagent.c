/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The ssh-agent protocol module (sshagent.c): SHA-256 and fingerprints
 * against reference values, the key filter, framing, every request type, and
 * identity answers well and badly formed. */
#include "sshagent.h"
#include "tap.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct buf {
	uint8_t b[4096];
	size_t n;
};

static void b_u8(struct buf *b, unsigned v)
{
	if (b->n >= sizeof(b->b))
		bail_out("test buffer overflow");
	b->b[b->n++] = (uint8_t)v;
}

static void b_u32(struct buf *b, uint32_t v)
{
	b_u8(b, v >> 24);
	b_u8(b, (v >> 16) & 0xff);
	b_u8(b, (v >> 8) & 0xff);
	b_u8(b, v & 0xff);
}

static void b_bytes(struct buf *b, const void *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		b_u8(b, ((const uint8_t *)p)[i]);
}

static void b_str(struct buf *b, const void *p, size_t n)
{
	b_u32(b, (uint32_t)n);
	b_bytes(b, p, n);
}

static void b_cstr(struct buf *b, const char *s)
{
	b_str(b, s, strlen(s));
}

static size_t b64dec(const char *in, uint8_t *out)
{
	static const char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	uint32_t v = 0;
	int bits = 0;
	size_t n = 0;
	for (; *in && *in != '='; in++) {
		const char *p = strchr(a, *in);
		if (!p)
			bail_out("bad base64 in test data");
		v = v << 6 | (uint32_t)(p - a);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[n++] = (uint8_t)(v >> bits);
		}
	}
	return n;
}

static void hex(const uint8_t *d, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", d[i]);
}

/* Two real keys and the fingerprints ssh-keygen -l printed for them. */
static const char k1_b64[] = "AAAAC3NzaC1lZDI1NTE5AAAAIFizFBoCFM31i8xAnWI/cbanwWjOaH6idnTrXvJChbuv";
static const char k1_fp[] = "SHA256:AJt1kmaagKEdzW+ImfneVc82zQuwvRUCAh6CXVfbU0A";
static const char k2_b64[] = "AAAAC3NzaC1lZDI1NTE5AAAAIADBveFkRcNnItctzWsTQgRTmkc25r8tjcvQ6TMRsWfm";
static const char k2_fp[] = "SHA256:0VgkdxZ5WbOTr1N4Tpr8fjJmi3pgWiTHdtmcZf4cBKo";
static uint8_t k1[64], k2[64], k3[8] = { 0, 0, 0, 3, 'x', 'y', 'z', 1 };
static size_t k1n, k2n;

static void test_sha256(void)
{
	static const struct {
		const char *in, *out;
	} v[] = {
		{ "", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" },
		{ "abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" },
		{ "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
		  "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1" },
		{ "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
		  "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1" },
	};
	char h[65];
	uint8_t d[32];
	for (size_t i = 0; i < sizeof(v) / sizeof(*v); i++) {
		ccsb__sha256(v[i].in, strlen(v[i].in), d);
		hex(d, 32, h);
		is_str(h, v[i].out, "sha256 of a %zu-byte FIPS vector", strlen(v[i].in));
	}
	char *m = malloc(1000000);
	memset(m, 'a', 1000000);
	ccsb__sha256(m, 1000000, d);
	hex(d, 32, h);
	is_str(h, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0",
	       "sha256 of a million 'a'");
	/* Every length around the padding boundaries, against sha256sum(1). */
	int bad = 0, tried = 0;
	for (size_t n = 0; n <= 200; n++) {
		char cmd[600];
		int k = snprintf(cmd, sizeof(cmd), "printf '%%s' '");
		for (size_t i = 0; i < n; i++)
			cmd[k++] = (char)('a' + i % 26);
		snprintf(cmd + k, sizeof(cmd) - (size_t)k, "' | sha256sum");
		FILE *f = popen(cmd, "r");
		char ref[65] = "";
		if (!f || !fgets(ref, sizeof(ref), f)) {
			if (f)
				pclose(f);
			break;
		}
		pclose(f);
		for (size_t i = 0; i < n; i++)
			m[i] = (char)('a' + i % 26);
		ccsb__sha256(m, n, d);
		hex(d, 32, h);
		tried++;
		if (strcmp(h, ref) != 0) {
			diag("length %zu: %s, sha256sum says %s", n, h, ref);
			bad++;
		}
	}
	free(m);
	ok(tried == 201 && bad == 0, "sha256 equals sha256sum for every length 0..200 (%d tried)",
	   tried);
}

static void test_fingerprint(void)
{
	char fp[CCSB_AGENT_FP_LEN + 1];
	ccsb__agent_fingerprint(k1, k1n, fp);
	is_str(fp, k1_fp, "fingerprint of key 1 is ssh-keygen's");
	ccsb__agent_fingerprint(k2, k2n, fp);
	is_str(fp, k2_fp, "fingerprint of key 2 is ssh-keygen's");
	is_int((int)strlen(fp), CCSB_AGENT_FP_LEN, "fingerprint length");
}

static void test_filter(void)
{
	struct ccsb_agent_filter f;
	const char *why = NULL;
	is_int(ccsb__agent_filter_parse(NULL, &f, &why), 0, "NULL filter");
	is_int((int)f.n, 0, "NULL filter has no item");
	ok(ccsb__agent_filter_match(&f, k1, k1n, (const uint8_t *)"x", 1), "empty filter matches");
	is_int(ccsb__agent_filter_parse("", &f, &why), 0, "empty filter");
	static const char *const bad[] = {
		",",
		"a,",
		",a",
		"a,,b",
		"a, ,b",
		" ",
		"a\nb",
		"a\tb",
		"SHA256:",
		" SHA256:abc ",
		"SHA256:abc",
		"SHA256:AJt1kmaagKEdzW+ImfneVc82zQuwvRUCAh6CXVfbU0",   /* 42 */
		"SHA256:AJt1kmaagKEdzW+ImfneVc82zQuwvRUCAh6CXVfbU0AA", /* 44 */
		"SHA256:AJt1kmaagKEdzW+ImfneVc82zQuwvRUCAh6CXVfbU0=",
		"SHA256:AJt1kmaagKEdzW+ImfneVc82zQuwvRUCAh6CXVf-U0A",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		why = NULL;
		int r = ccsb__agent_filter_parse(bad[i], &f, &why);
		ok(r == -EINVAL && why && f.n == 0 && !f.items, "filter '%s' refused (%s)", bad[i],
		   why ? why : "no reason");
	}
	is_int(ccsb__agent_filter_parse("work*,SHA256:0VgkdxZ5WbOTr1N4Tpr8fjJmi3pgWiTHdtmcZf4cBKo",
					&f, &why),
	       0, "glob and fingerprint");
	is_int((int)f.n, 2, "two items");
	ok(ccsb__agent_filter_match(&f, k1, k1n, (const uint8_t *)"work key", 8),
	   "glob on comment");
	ok(!ccsb__agent_filter_match(&f, k1, k1n, (const uint8_t *)"a work key", 10),
	   "glob matches the whole comment");
	ok(ccsb__agent_filter_match(&f, k2, k2n, (const uint8_t *)"personal", 8),
	   "fingerprint matches whatever the comment");
	ok(!ccsb__agent_filter_match(&f, k1, k1n, (const uint8_t *)"personal", 8),
	   "neither fingerprint nor glob");
	ok(!ccsb__agent_filter_match(&f, k1, k1n, (const uint8_t *)"work\0key", 8),
	   "a comment with a NUL byte never matches a glob");
	ok(!ccsb__agent_filter_match(&f, k1, k1n, (const uint8_t *)"", 0), "empty comment");
	ccsb__agent_filter_free(&f);
	is_int(ccsb__agent_filter_parse(
		       " work* ,\t SHA256:0VgkdxZ5WbOTr1N4Tpr8fjJmi3pgWiTHdtmcZf4cBKo ", &f, &why),
	       0, "blanks around items");
	ok(f.n == 2 && strcmp(f.items[0], "work*") == 0 && strcmp(f.items[1], k2_fp) == 0,
	   "... are not part of them");
	ok(ccsb__agent_filter_match(&f, k2, k2n, (const uint8_t *)"", 0),
	   "... the fingerprint matches");
	ccsb__agent_filter_free(&f);
	is_int(ccsb__agent_filter_parse("my key", &f, &why), 0, "a blank inside an item");
	ok(ccsb__agent_filter_match(&f, k2, k2n, (const uint8_t *)"my key", 6), "... is kept");
	ccsb__agent_filter_free(&f);
	is_int(ccsb__agent_filter_parse("sha256:AJt1kmaagKEdzW+ImfneVc82zQuwvRUCAh6CXVfbU0A", &f,
					&why),
	       0, "lower-case sha256: is a glob, not a fingerprint");
	ok(!ccsb__agent_filter_match(&f, k1, k1n, (const uint8_t *)"work key", 8),
	   "... which matches no fingerprint");
	ccsb__agent_filter_free(&f);
	is_int(ccsb__agent_filter_parse("*", &f, &why), 0, "'*'");
	ok(ccsb__agent_filter_match(&f, k1, k1n, (const uint8_t *)"", 0),
	   "'*' matches an empty comment");
	ccsb__agent_filter_free(&f);
	ccsb__agent_filter_free(&f);
	ok(f.n == 0 && !f.items, "free twice");
}

static void test_frame(void)
{
	size_t body = 99;
	uint8_t m[8] = { 0, 0, 0, 1, 11 };
	is_int(ccsb__agent_frame(m, 0, &body), 0, "frame: nothing yet");
	is_int(ccsb__agent_frame(m, 3, &body), 0, "frame: partial length");
	is_int(ccsb__agent_frame(m, 4, &body), 0, "frame: length but no body");
	is_int(ccsb__agent_frame(m, 5, &body), 1, "frame: whole message");
	is_int((int)body, 1, "frame: body length");
	is_int(ccsb__agent_frame(m, 8, &body), 1, "frame: more data behind");
	uint8_t z[4] = { 0, 0, 0, 0 };
	is_int(ccsb__agent_frame(z, 4, &body), -EMSGSIZE, "frame: length 0 refused");
	uint8_t big[4] = { 0, 4, 0, 1 };
	is_int(ccsb__agent_frame(big, 4, &body), -EMSGSIZE, "frame: 256 KiB + 1 refused");
	uint8_t max[4] = { 0, 4, 0, 0 };
	is_int(ccsb__agent_frame(max, 4, &body), 0, "frame: 256 KiB waits for its body");
	uint8_t huge[4] = { 0xff, 0xff, 0xff, 0xff };
	is_int(ccsb__agent_frame(huge, 4, &body), -EMSGSIZE, "frame: 4 GiB refused");
}

static void test_requests(void)
{
	struct ccsb_agent_req q;
	struct buf b = { .n = 0 };
	uint8_t list[] = { 11 };
	ccsb__agent_parse_request(list, 1, &q);
	ok(q.kind == CCSB_AGENT_REQ_LIST, "request identities relayed");
	uint8_t list2[] = { 11, 0 };
	ccsb__agent_parse_request(list2, 2, &q);
	ok(q.kind == CCSB_AGENT_REQ_REFUSED && strstr(q.what, "malformed"),
	   "request identities with a trailing byte refused");
	ccsb__agent_parse_request(list, 0, &q);
	ok(q.kind == CCSB_AGENT_REQ_REFUSED, "empty request refused");

	b_u8(&b, 13);
	b_str(&b, k1, k1n);
	b_cstr(&b, "data to sign");
	b_u32(&b, 2);
	ccsb__agent_parse_request(b.b, b.n, &q);
	ok(q.kind == CCSB_AGENT_REQ_SIGN && q.keylen == k1n && memcmp(q.key, k1, k1n) == 0 &&
		   q.datalen == 12 && memcmp(q.data, "data to sign", 12) == 0 && q.flags == 2,
	   "sign request parsed");
	/* Every truncation of it is refused, and a trailing byte too. */
	int bad = 0;
	for (size_t n = 1; n < b.n; n++) {
		ccsb__agent_parse_request(b.b, n, &q);
		bad += q.kind != CCSB_AGENT_REQ_REFUSED || q.key != NULL;
	}
	ok(bad == 0, "every truncated sign request refused (%d relayed)", bad);
	b_u8(&b, 0);
	ccsb__agent_parse_request(b.b, b.n, &q);
	ok(q.kind == CCSB_AGENT_REQ_REFUSED, "sign request with a trailing byte refused");
	b.n = 0;
	b_u8(&b, 13);
	b_str(&b, "", 0);
	b_cstr(&b, "x");
	b_u32(&b, 0);
	ccsb__agent_parse_request(b.b, b.n, &q);
	ok(q.kind == CCSB_AGENT_REQ_REFUSED, "sign request with an empty key refused");
	b.n = 0;
	b_u8(&b, 13);
	b_u32(&b, 0xfffffff0);
	ccsb__agent_parse_request(b.b, b.n, &q);
	ok(q.kind == CCSB_AGENT_REQ_REFUSED, "sign request with a huge key length refused");

	static const struct {
		uint8_t type;
		const char *what;
	} refused[] = {
		{ 17, "add identity" },
		{ 18, "remove identity" },
		{ 19, "remove all identities" },
		{ 20, "add smartcard key" },
		{ 21, "remove smartcard key" },
		{ 22, "lock" },
		{ 23, "unlock" },
		{ 25, "add identity with constraints" },
		{ 26, "add smartcard key with constraints" },
		{ 9, "remove all SSH1 identities" },
		{ 1, "list SSH1 identities" },
		{ 0, "unknown request" },
		{ 255, "unknown request" },
		{ 5, "unknown request" },
		{ 12, "unknown request" },
		{ 14, "unknown request" },
	};
	for (size_t i = 0; i < sizeof(refused) / sizeof(*refused); i++) {
		uint8_t m[3] = { refused[i].type, 0, 0 };
		ccsb__agent_parse_request(m, sizeof(m), &q);
		ok(q.kind == CCSB_AGENT_REQ_REFUSED && strcmp(q.what, refused[i].what) == 0,
		   "type %u refused as '%s'", refused[i].type, q.what);
	}

	/* session-bind@openssh.com: hostkey, session id, signature, bool. */
	b.n = 0;
	b_u8(&b, 27);
	b_cstr(&b, "session-bind@openssh.com");
	b_str(&b, k2, k2n);
	b_cstr(&b, "session-id");
	b_cstr(&b, "signature");
	b_u8(&b, 0);
	ccsb__agent_parse_request(b.b, b.n, &q);
	ok(q.kind == CCSB_AGENT_REQ_SESSION_BIND && q.keylen == k2n, "session-bind relayed");
	bad = 0;
	for (size_t n = 1; n < b.n; n++) {
		ccsb__agent_parse_request(b.b, n, &q);
		bad += q.kind != CCSB_AGENT_REQ_REFUSED;
	}
	ok(bad == 0, "every truncated session-bind refused");
	b.b[b.n - 1] = 2;
	ccsb__agent_parse_request(b.b, b.n, &q);
	ok(q.kind == CCSB_AGENT_REQ_REFUSED, "session-bind with a bool of 2 refused");
	b.b[b.n - 1] = 1;
	b_u8(&b, 0);
	ccsb__agent_parse_request(b.b, b.n, &q);
	ok(q.kind == CCSB_AGENT_REQ_REFUSED, "session-bind with a trailing byte refused");
	b.n = 0;
	b_u8(&b, 27);
	b_cstr(&b, "session-bind@openssh.co");
	ccsb__agent_parse_request(b.b, b.n, &q);
	ok(q.kind == CCSB_AGENT_REQ_REFUSED && strcmp(q.ext, "session-bind@openssh.co") == 0,
	   "a near miss of the name refused");
	b.n = 0;
	b_u8(&b, 27);
	b_cstr(&b, "query");
	ccsb__agent_parse_request(b.b, b.n, &q);
	ok(q.kind == CCSB_AGENT_REQ_REFUSED && strcmp(q.what, "extension") == 0 &&
		   strcmp(q.ext, "query") == 0,
	   "extension 'query' refused, named");
	b.n = 0;
	b_u8(&b, 27);
	b_cstr(&b, "evil\n\033[2J");
	ccsb__agent_parse_request(b.b, b.n, &q);
	ok(q.kind == CCSB_AGENT_REQ_REFUSED && strcmp(q.ext, "evil??[2J") == 0,
	   "an extension name is made printable for the log");
	uint8_t ext0[] = { 27, 0, 0 };
	ccsb__agent_parse_request(ext0, sizeof(ext0), &q);
	ok(q.kind == CCSB_AGENT_REQ_REFUSED && strstr(q.what, "malformed"),
	   "truncated extension refused");
}

/* An identities answer with the two keys and an unrelated third. */
static void answer(struct buf *b, uint32_t count)
{
	b->n = 0;
	b_u8(b, 12);
	b_u32(b, count);
	b_str(b, k1, k1n);
	b_cstr(b, "work key");
	b_str(b, k2, k2n);
	b_cstr(b, "personal");
	b_str(b, k3, sizeof(k3));
	b_cstr(b, "work other");
}

static void test_identities(void)
{
	struct buf b;
	struct ccsb_agent_filter all = { 0 }, work, fp2;
	const char *why;
	ccsb__agent_filter_parse("work*", &work, &why);
	ccsb__agent_filter_parse(k2_fp, &fp2, &why);
	uint8_t *out = NULL;
	size_t on = 0;

	answer(&b, 3);
	is_int(ccsb__agent_filter_identities(b.b, b.n, &all, &out, &on), 3, "no filter keeps 3");
	ok(on == b.n && memcmp(out, b.b, on) == 0, "... and the answer is unchanged");
	free(out);
	is_int(ccsb__agent_filter_identities(b.b, b.n, &work, &out, &on), 2, "'work*' keeps 2");
	struct ccsb_agent_iter it;
	const uint8_t *kb, *c;
	size_t kn, cn;
	ok(ccsb__agent_iter_init(&it, out, on) == 0 &&
		   ccsb__agent_iter_next(&it, &kb, &kn, &c, &cn) == 1 && kn == k1n && cn == 8 &&
		   memcmp(c, "work key", 8) == 0 &&
		   ccsb__agent_iter_next(&it, &kb, &kn, &c, &cn) == 1 && cn == 10 &&
		   ccsb__agent_iter_next(&it, &kb, &kn, &c, &cn) == 0,
	   "the filtered answer is well formed, in order");
	free(out);
	is_int(ccsb__agent_filter_identities(b.b, b.n, &fp2, &out, &on), 1, "fingerprint keeps 1");
	free(out);

	const uint8_t *cm = NULL;
	size_t cml = 0;
	is_int(ccsb__agent_exposed(b.b, b.n, &work, k1, k1n, &cm, &cml), 1,
	       "key 1 exposed by 'work*'");
	ok(cml == 8 && memcmp(cm, "work key", 8) == 0, "... with its comment");
	is_int(ccsb__agent_exposed(b.b, b.n, &work, k2, k2n, NULL, NULL), 0,
	       "key 2 not exposed by 'work*'");
	is_int(ccsb__agent_exposed(b.b, b.n, &fp2, k2, k2n, NULL, NULL), 1,
	       "key 2 exposed by its fingerprint");
	is_int(ccsb__agent_exposed(b.b, b.n, &all, k1, k1n - 1, NULL, NULL), 0,
	       "a prefix of a key is not the key");
	uint8_t other[sizeof(k3)];
	memcpy(other, k3, sizeof(k3));
	other[7] ^= 1;
	is_int(ccsb__agent_exposed(b.b, b.n, &all, other, sizeof(other), NULL, NULL), 0,
	       "a key not in the agent is not exposed");

	/* Malformed answers: nothing comes out. */
	answer(&b, 4);
	out = NULL;
	is_int(ccsb__agent_filter_identities(b.b, b.n, &all, &out, &on), -EBADMSG,
	       "count too high");
	ok(out == NULL, "... nothing allocated");
	answer(&b, 2);
	is_int(ccsb__agent_filter_identities(b.b, b.n, &all, &out, &on), -EBADMSG,
	       "trailing entry beyond the count");
	is_int(ccsb__agent_exposed(b.b, b.n, &all, k1, k1n, NULL, NULL), -EBADMSG,
	       "exposed: trailing bytes refused too");
	answer(&b, 0xffffffff);
	is_int(ccsb__agent_filter_identities(b.b, b.n, &all, &out, &on), -EBADMSG, "count 2^32-1");
	answer(&b, 3);
	int bad = 0;
	for (size_t n = 0; n < b.n; n++)
		bad += ccsb__agent_filter_identities(b.b, n, &all, &out, &on) != -EBADMSG;
	ok(bad == 0, "every truncation refused");
	b.b[0] = 5;
	is_int(ccsb__agent_filter_identities(b.b, b.n, &all, &out, &on), -EBADMSG, "not an answer");
	b.n = 0;
	b_u8(&b, 12);
	b_u32(&b, 0);
	is_int(ccsb__agent_filter_identities(b.b, b.n, &all, &out, &on), 0, "an empty agent");
	ok(on == 5, "... gives an empty answer");
	free(out);
	b.n = 0;
	b_u8(&b, 12);
	b_u32(&b, 1);
	b_str(&b, "", 0);
	b_cstr(&b, "empty key");
	is_int(ccsb__agent_filter_identities(b.b, b.n, &all, &out, &on), -EBADMSG,
	       "an empty key blob");
	ccsb__agent_filter_free(&work);
	ccsb__agent_filter_free(&fp2);
}

static void test_describe(void)
{
	char s[96];
	struct buf b = { .n = 0 };
	b_bytes(&b, "SSHSIG", 6);
	b_cstr(&b, "git");
	b_cstr(&b, "");
	b_cstr(&b, "sha512");
	b_str(&b, k1, 32);
	ccsb__agent_describe_data(b.b, b.n, s, sizeof(s));
	is_str(s, "ssh signature, namespace 'git'", "sshsig");
	b.n = 0;
	b_cstr(&b, "0123456789abcdef0123456789abcdef");
	b_u8(&b, 50);
	b_cstr(&b, "git");
	b_cstr(&b, "ssh-connection");
	b_cstr(&b, "publickey");
	b_u8(&b, 1);
	b_cstr(&b, "ssh-ed25519");
	b_str(&b, k1, k1n);
	ccsb__agent_describe_data(b.b, b.n, s, sizeof(s));
	is_str(s, "ssh login as 'git'", "userauth");
	ccsb__agent_describe_data(b.b, 10, s, sizeof(s));
	is_str(s, "unrecognized data (10 bytes)", "truncated userauth");
	ccsb__agent_describe_data((const uint8_t *)"SSHSIG\0\0", 8, s, sizeof(s));
	is_str(s, "unrecognized data (8 bytes)", "truncated sshsig");
	ccsb__agent_describe_data(NULL, 0, s, sizeof(s));
	is_str(s, "unrecognized data (0 bytes)", "no data");
	b.n = 0;
	b_bytes(&b, "SSHSIG", 6);
	b_cstr(&b, "\x1b]52;c;x\a");
	ccsb__agent_describe_data(b.b, b.n, s, sizeof(s));
	is_str(s, "ssh signature, namespace '?]52;c;x?'", "escape sequences made printable");
	ccsb__agent_key_type(k1, k1n, s, sizeof(s));
	is_str(s, "ssh-ed25519", "key type");
	ccsb__agent_key_type(k1, 3, s, sizeof(s));
	is_str(s, "unknown", "key type of a truncated blob");
	char tiny[4];
	ccsb__agent_printable((const uint8_t *)"abcdef", 6, tiny, sizeof(tiny));
	is_str(tiny, "abc", "printable truncates");
}

int main(void)
{
	k1n = b64dec(k1_b64, k1);
	k2n = b64dec(k2_b64, k2);
	test_sha256();
	test_fingerprint();
	test_filter();
	test_frame();
	test_requests();
	test_identities();
	test_describe();
	return done_testing();
}
