/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The ssh-agent protocol, pure (see sshagent.h). */
#include "sshagent.h"

#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- SHA-256 (FIPS 180-4), for fingerprints only ---------------------- */

static const uint32_t K[64] = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
	0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
	0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
	0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
	0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
	0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
	0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
	0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
	0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
	0xc67178f2,
};

static uint32_t ror(uint32_t x, int n)
{
	return (x >> n) | (x << (32 - n));
}

static void sha256_block(uint32_t h[8], const uint8_t *p)
{
	uint32_t w[64];
	for (int i = 0; i < 16; i++)
		w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
		       (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
	for (int i = 16; i < 64; i++) {
		uint32_t s0 = ror(w[i - 15], 7) ^ ror(w[i - 15], 18) ^ (w[i - 15] >> 3);
		uint32_t s1 = ror(w[i - 2], 17) ^ ror(w[i - 2], 19) ^ (w[i - 2] >> 10);
		w[i] = w[i - 16] + s0 + w[i - 7] + s1;
	}
	uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], hh = h[7];
	for (int i = 0; i < 64; i++) {
		uint32_t t1 = hh + (ror(e, 6) ^ ror(e, 11) ^ ror(e, 25)) + ((e & f) ^ (~e & g)) +
			      K[i] + w[i];
		uint32_t t2 = (ror(a, 2) ^ ror(a, 13) ^ ror(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
		hh = g;
		g = f;
		f = e;
		e = d + t1;
		d = c;
		c = b;
		b = a;
		a = t1 + t2;
	}
	h[0] += a;
	h[1] += b;
	h[2] += c;
	h[3] += d;
	h[4] += e;
	h[5] += f;
	h[6] += g;
	h[7] += hh;
}

void ccsb__sha256(const void *data, size_t len, uint8_t out[32])
{
	uint32_t h[8] = { 0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
			  0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19 };
	const uint8_t *p = data;
	size_t left = len;
	for (; left >= 64; p += 64, left -= 64)
		sha256_block(h, p);
	uint8_t last[128] = { 0 };
	memcpy(last, p, left);
	last[left] = 0x80;
	size_t nlast = left + 9 <= 64 ? 64 : 128;
	uint64_t bits = (uint64_t)len * 8;
	for (int i = 0; i < 8; i++)
		last[nlast - 1 - i] = (uint8_t)(bits >> (8 * i));
	sha256_block(h, last);
	if (nlast == 128)
		sha256_block(h, last + 64);
	for (int i = 0; i < 8; i++) {
		out[4 * i] = (uint8_t)(h[i] >> 24);
		out[4 * i + 1] = (uint8_t)(h[i] >> 16);
		out[4 * i + 2] = (uint8_t)(h[i] >> 8);
		out[4 * i + 3] = (uint8_t)h[i];
	}
}

void ccsb__agent_fingerprint(const uint8_t *blob, size_t len, char out[CCSB_AGENT_FP_LEN + 1])
{
	static const char b64[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	uint8_t d[33];
	ccsb__sha256(blob, len, d);
	d[32] = 0;
	char *o = out + 7;
	memcpy(out, "SHA256:", 7);
	/* 32 bytes: ten whole groups of three, then two bytes -> 3 characters
	 * (no padding, as ssh-keygen prints it). */
	for (int i = 0; i < 33; i += 3) {
		uint32_t v = (uint32_t)d[i] << 16 | (uint32_t)d[i + 1] << 8 |
			     (i + 2 < 33 ? d[i + 2] : 0);
		*o++ = b64[(v >> 18) & 63];
		*o++ = b64[(v >> 12) & 63];
		*o++ = b64[(v >> 6) & 63];
		if (i + 2 < 32)
			*o++ = b64[v & 63];
	}
	*o = '\0';
}

/* ---- the key filter --------------------------------------------------- */

void ccsb__agent_filter_free(struct ccsb_agent_filter *f)
{
	for (size_t i = 0; i < f->n; i++)
		free(f->items[i]);
	free(f->items);
	f->items = NULL;
	f->n = 0;
}

static bool b64char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '+' || c == '/';
}

int ccsb__agent_filter_parse(const char *spec, struct ccsb_agent_filter *f, const char **why)
{
	f->items = NULL;
	f->n = 0;
	if (!spec || !*spec)
		return 0;
	for (const char *p = spec;; p++) {
		size_t n = strcspn(p, ",");
		const char *next = p + n;
		/* "a, b" means "a,b": blanks around an item are not part of it. */
		while (n && (*p == ' ' || *p == '\t')) {
			p++;
			n--;
		}
		while (n && (p[n - 1] == ' ' || p[n - 1] == '\t'))
			n--;
		if (n == 0) {
			*why = "empty key pattern (between commas, or at either end)";
			goto bad;
		}
		for (size_t i = 0; i < n; i++) {
			if ((unsigned char)p[i] < 0x20 || p[i] == 0x7f) {
				*why = "control character in a key pattern";
				goto bad;
			}
		}
		if (n >= 7 && strncmp(p, "SHA256:", 7) == 0) {
			bool ok = n == CCSB_AGENT_FP_LEN;
			for (size_t i = 7; ok && i < n; i++)
				ok = b64char(p[i]);
			if (!ok) {
				*why = "a fingerprint is SHA256: and 43 base64 characters, as "
				       "ssh-add -l prints it";
				goto bad;
			}
		}
		char **v = reallocarray(f->items, f->n + 1, sizeof(*v));
		if (!v)
			goto oom;
		f->items = v;
		if (!(f->items[f->n] = strndup(p, n)))
			goto oom;
		f->n++;
		p = next;
		if (!*p)
			return 0;
	}
oom:
	ccsb__agent_filter_free(f);
	return -ENOMEM;
bad:
	ccsb__agent_filter_free(f);
	return -EINVAL;
}

bool ccsb__agent_filter_match(const struct ccsb_agent_filter *f, const uint8_t *blob,
			      size_t bloblen, const uint8_t *comment, size_t clen)
{
	if (f->n == 0)
		return true;
	char fp[CCSB_AGENT_FP_LEN + 1];
	ccsb__agent_fingerprint(blob, bloblen, fp);
	/* A comment with a NUL byte cannot be matched by a glob, which would
	 * see only its start. */
	char *c = memchr(comment, '\0', clen) ? NULL : strndup((const char *)comment, clen);
	bool hit = false;
	for (size_t i = 0; i < f->n && !hit; i++) {
		if (strncmp(f->items[i], "SHA256:", 7) == 0)
			hit = strcmp(f->items[i], fp) == 0;
		else
			hit = c && fnmatch(f->items[i], c, 0) == 0;
	}
	free(c);
	return hit;
}

/* ---- wire primitives -------------------------------------------------- */

struct rd {
	const uint8_t *p, *end;
};

static bool get_u32(struct rd *r, uint32_t *v)
{
	if (r->end - r->p < 4)
		return false;
	*v = (uint32_t)r->p[0] << 24 | (uint32_t)r->p[1] << 16 | (uint32_t)r->p[2] << 8 | r->p[3];
	r->p += 4;
	return true;
}

static bool get_string(struct rd *r, const uint8_t **s, size_t *n)
{
	uint32_t len;
	if (!get_u32(r, &len) || (size_t)(r->end - r->p) < len)
		return false;
	*s = r->p;
	*n = len;
	r->p += len;
	return true;
}

static bool get_byte(struct rd *r, uint8_t *b)
{
	if (r->p == r->end)
		return false;
	*b = *r->p++;
	return true;
}

static void put_u32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

int ccsb__agent_frame(const uint8_t *buf, size_t n, size_t *body)
{
	if (n < 4)
		return 0;
	uint32_t len =
		(uint32_t)buf[0] << 24 | (uint32_t)buf[1] << 16 | (uint32_t)buf[2] << 8 | buf[3];
	if (len == 0 || len > CCSB_AGENT_MAX_MSG)
		return -EMSGSIZE;
	if (n - 4 < len)
		return 0;
	*body = len;
	return 1;
}

void ccsb__agent_printable(const uint8_t *s, size_t n, char *out, size_t len)
{
	size_t k = 0;
	for (size_t i = 0; i < n && k + 1 < len; i++)
		out[k++] = s[i] >= 0x20 && s[i] < 0x7f ? (char)s[i] : '?';
	if (len)
		out[k] = '\0';
}

/* ---- requests --------------------------------------------------------- */

static const char *refused_name(uint8_t type)
{
	switch (type) {
	case 1:
		return "list SSH1 identities";
	case 3:
		return "SSH1 challenge";
	case 7:
		return "add SSH1 identity";
	case 8:
		return "remove SSH1 identity";
	case 9:
		return "remove all SSH1 identities";
	case 17:
		return "add identity";
	case 18:
		return "remove identity";
	case 19:
		return "remove all identities";
	case 20:
		return "add smartcard key";
	case 21:
		return "remove smartcard key";
	case 22:
		return "lock";
	case 23:
		return "unlock";
	case 24:
		return "add SSH1 identity with constraints";
	case 25:
		return "add identity with constraints";
	case 26:
		return "add smartcard key with constraints";
	default:
		return "unknown request";
	}
}

static const char session_bind[] = "session-bind@openssh.com";

int ccsb__agent_parse_request(const uint8_t *msg, size_t len, struct ccsb_agent_req *q)
{
	memset(q, 0, sizeof(*q));
	q->kind = CCSB_AGENT_REQ_REFUSED;
	if (len == 0) {
		q->what = "empty request";
		return 0;
	}
	q->type = msg[0];
	struct rd r = { msg + 1, msg + len };
	switch (q->type) {
	case CCSB_AGENTC_REQUEST_IDENTITIES:
		if (r.p != r.end) {
			q->what = "malformed identities request";
			return 0;
		}
		q->kind = CCSB_AGENT_REQ_LIST;
		q->what = "list identities";
		return 0;
	case CCSB_AGENTC_SIGN_REQUEST:
		if (!get_string(&r, &q->key, &q->keylen) ||
		    !get_string(&r, &q->data, &q->datalen) || !get_u32(&r, &q->flags) ||
		    r.p != r.end || q->keylen == 0) {
			q->what = "malformed sign request";
			q->key = q->data = NULL;
			q->keylen = q->datalen = 0;
			return 0;
		}
		q->kind = CCSB_AGENT_REQ_SIGN;
		q->what = "sign";
		return 0;
	case CCSB_AGENTC_EXTENSION: {
		const uint8_t *name;
		size_t n;
		if (!get_string(&r, &name, &n)) {
			q->what = "malformed extension request";
			return 0;
		}
		ccsb__agent_printable(name, n, q->ext, sizeof(q->ext));
		if (n != sizeof(session_bind) - 1 || memcmp(name, session_bind, n) != 0) {
			q->what = "extension";
			return 0;
		}
		/* string hostkey, string session id, string signature, bool
		 * is_forwarding: relayed only when it is exactly that. */
		const uint8_t *s;
		size_t sn;
		uint8_t fwd;
		if (!get_string(&r, &q->key, &q->keylen) || !get_string(&r, &s, &sn) ||
		    !get_string(&r, &s, &sn) || !get_byte(&r, &fwd) || fwd > 1 || r.p != r.end) {
			q->what = "malformed session-bind";
			q->key = NULL;
			q->keylen = 0;
			return 0;
		}
		q->kind = CCSB_AGENT_REQ_SESSION_BIND;
		q->what = "session-bind";
		return 0;
	}
	default:
		q->what = refused_name(q->type);
		return 0;
	}
}

/* ---- identities ------------------------------------------------------- */

int ccsb__agent_iter_init(struct ccsb_agent_iter *it, const uint8_t *msg, size_t len)
{
	struct rd r = { msg, msg + len };
	uint8_t type;
	uint32_t n;
	if (!get_byte(&r, &type) || type != CCSB_AGENT_IDENTITIES_ANSWER || !get_u32(&r, &n))
		return -EBADMSG;
	/* Each entry takes at least 8 bytes (two lengths). */
	if (n > (size_t)(r.end - r.p) / 8)
		return -EBADMSG;
	it->p = r.p;
	it->end = r.end;
	it->left = n;
	return 0;
}

int ccsb__agent_iter_next(struct ccsb_agent_iter *it, const uint8_t **blob, size_t *bloblen,
			  const uint8_t **comment, size_t *clen)
{
	if (it->left == 0)
		return it->p == it->end ? 0 : -EBADMSG;
	struct rd r = { it->p, it->end };
	if (!get_string(&r, blob, bloblen) || !get_string(&r, comment, clen) || *bloblen == 0)
		return -EBADMSG;
	it->p = r.p;
	it->left--;
	return 1;
}

int ccsb__agent_filter_identities(const uint8_t *msg, size_t len, const struct ccsb_agent_filter *f,
				  uint8_t **out, size_t *outlen)
{
	struct ccsb_agent_iter it;
	const uint8_t *b, *c;
	size_t bn, cn;
	int r;
	/* Validate the whole answer before building anything. */
	if (ccsb__agent_iter_init(&it, msg, len) < 0)
		return -EBADMSG;
	while ((r = ccsb__agent_iter_next(&it, &b, &bn, &c, &cn)) > 0)
		;
	if (r < 0)
		return -EBADMSG;
	/* The answer can only shrink. */
	uint8_t *o = malloc(len);
	if (!o)
		return -ENOMEM;
	size_t k = 5;
	uint32_t kept = 0;
	o[0] = CCSB_AGENT_IDENTITIES_ANSWER;
	ccsb__agent_iter_init(&it, msg, len);
	while (ccsb__agent_iter_next(&it, &b, &bn, &c, &cn) > 0) {
		if (!ccsb__agent_filter_match(f, b, bn, c, cn))
			continue;
		put_u32(o + k, (uint32_t)bn);
		memcpy(o + k + 4, b, bn);
		k += 4 + bn;
		put_u32(o + k, (uint32_t)cn);
		memcpy(o + k + 4, c, cn);
		k += 4 + cn;
		kept++;
	}
	put_u32(o + 1, kept);
	*out = o;
	*outlen = k;
	return (int)kept;
}

int ccsb__agent_exposed(const uint8_t *msg, size_t len, const struct ccsb_agent_filter *f,
			const uint8_t *blob, size_t bloblen, const uint8_t **comment, size_t *clen)
{
	struct ccsb_agent_iter it;
	const uint8_t *b, *c;
	size_t bn, cn;
	int r;
	if (ccsb__agent_iter_init(&it, msg, len) < 0)
		return -EBADMSG;
	int found = 0;
	while ((r = ccsb__agent_iter_next(&it, &b, &bn, &c, &cn)) > 0) {
		if (!found && bn == bloblen && memcmp(b, blob, bn) == 0 &&
		    ccsb__agent_filter_match(f, b, bn, c, cn)) {
			found = 1;
			if (comment) {
				*comment = c;
				*clen = cn;
			}
		}
	}
	return r < 0 ? -EBADMSG : found;
}

/* ---- descriptions for the log ----------------------------------------- */

void ccsb__agent_key_type(const uint8_t *blob, size_t n, char *out, size_t len)
{
	struct rd r = { blob, blob + n };
	const uint8_t *t;
	size_t tn;
	if (get_string(&r, &t, &tn) && tn > 0)
		ccsb__agent_printable(t, tn, out, len);
	else
		snprintf(out, len, "unknown");
}

void ccsb__agent_describe_data(const uint8_t *data, size_t n, char *out, size_t len)
{
	char s[64];
	struct rd r = { data, data + n };
	const uint8_t *a, *b;
	size_t an, bn;
	/* ssh-keygen -Y sign (PROTOCOL.sshsig): the magic, then the namespace. */
	if (n >= 6 && memcmp(data, "SSHSIG", 6) == 0) {
		r.p += 6;
		if (get_string(&r, &a, &an)) {
			ccsb__agent_printable(a, an, s, sizeof(s));
			snprintf(out, len, "ssh signature, namespace '%s'", s);
			return;
		}
	}
	/* RFC 4252 section 7: session id, SSH_MSG_USERAUTH_REQUEST (50), user,
	 * service, "publickey". */
	uint8_t type;
	if (get_string(&r, &a, &an) && get_byte(&r, &type) && type == 50 &&
	    get_string(&r, &a, &an) && get_string(&r, &b, &bn) && bn == 14 &&
	    memcmp(b, "ssh-connection", 14) == 0) {
		ccsb__agent_printable(a, an, s, sizeof(s));
		snprintf(out, len, "ssh login as '%s'", s);
		return;
	}
	snprintf(out, len, "unrecognized data (%zu bytes)", n);
}
