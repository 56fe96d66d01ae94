/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The ssh-agent protocol as the broker (broker.c) needs it: framing, the
 * requests a sandbox may send, the identity list and its key filter. Pure:
 * no I/O. Everything here reads bytes the sandbox (or the user's agent)
 * chose, so every length is checked against what is left. See OpenSSH's
 * PROTOCOL.agent and draft-miller-ssh-agent. */
#ifndef CCSB_SSHAGENT_H
#define CCSB_SSHAGENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* OpenSSH's AGENT_MAX_LEN: the largest message either side accepts. */
#define CCSB_AGENT_MAX_MSG (256 * 1024)

enum {
	CCSB_AGENT_FAILURE = 5,
	CCSB_AGENT_SUCCESS = 6,
	CCSB_AGENTC_REQUEST_IDENTITIES = 11,
	CCSB_AGENT_IDENTITIES_ANSWER = 12,
	CCSB_AGENTC_SIGN_REQUEST = 13,
	CCSB_AGENT_SIGN_RESPONSE = 14,
	CCSB_AGENTC_EXTENSION = 27,
};

/* "SHA256:" and 43 characters of unpadded base64, as ssh-keygen -l prints. */
#define CCSB_AGENT_FP_LEN 50

void ccsb__sha256(const void *data, size_t len, uint8_t out[32]);
/* The SHA256 fingerprint of a public key blob. */
void ccsb__agent_fingerprint(const uint8_t *blob, size_t len, char out[CCSB_AGENT_FP_LEN + 1]);

/* Which keys the sandbox sees: comma-separated items (blanks around an item
 * ignored), each either a
 * fingerprint "SHA256:..." (compared exactly) or a shell glob matched
 * against the whole comment (fnmatch(3) without flags). No items: every key. */
struct ccsb_agent_filter {
	char **items;
	size_t n;
};

/* Parse `spec` (NULL or "" give an empty filter: every key). -EINVAL with a
 * static reason in *why for an empty item, a control character, or a
 * malformed fingerprint; -ENOMEM. */
int ccsb__agent_filter_parse(const char *spec, struct ccsb_agent_filter *f, const char **why);
void ccsb__agent_filter_free(struct ccsb_agent_filter *f);
bool ccsb__agent_filter_match(const struct ccsb_agent_filter *f, const uint8_t *blob,
			      size_t bloblen, const uint8_t *comment, size_t clen);

/* Framing: `buf` holds `n` bytes read from a peer. Returns 1 and sets *body
 * (the length after the 4-byte length field) when a whole message is there,
 * 0 when more is needed, -EMSGSIZE when the announced length is 0 or above
 * CCSB_AGENT_MAX_MSG (the connection is then to be closed). */
int ccsb__agent_frame(const uint8_t *buf, size_t n, size_t *body);

enum ccsb_agent_kind {
	CCSB_AGENT_REQ_LIST,	     /* relay: request identities */
	CCSB_AGENT_REQ_SIGN,	     /* relay if the key is exposed */
	CCSB_AGENT_REQ_SESSION_BIND, /* relay: session-bind@openssh.com */
	CCSB_AGENT_REQ_REFUSED,	     /* answer SSH_AGENT_FAILURE */
};

struct ccsb_agent_req {
	enum ccsb_agent_kind kind;
	uint8_t type;
	/* A static description for logs: "remove all identities", "extension
	 * 'query'" is not static, so extensions give "extension" and `ext`. */
	const char *what;
	/* Printable copy of an extension's name (REFUSED extensions). */
	char ext[64];
	const uint8_t *key, *data; /* SIGN: key blob and data to sign */
	size_t keylen, datalen;
	uint32_t flags;
};

/* Classify one request body (`msg[0]` is the type). Returns 0; a malformed
 * request of a relayed type comes back as REFUSED with `what` saying so, so
 * that nothing that fails the strict parse is ever relayed. */
int ccsb__agent_parse_request(const uint8_t *msg, size_t len, struct ccsb_agent_req *r);

/* Walk an SSH_AGENT_IDENTITIES_ANSWER body (`msg[0]` == 12). */
struct ccsb_agent_iter {
	const uint8_t *p, *end;
	uint32_t left;
};
/* -EBADMSG when it is not an identities answer or its count is impossible. */
int ccsb__agent_iter_init(struct ccsb_agent_iter *it, const uint8_t *msg, size_t len);
/* 1 and the next key and comment; 0 at the end (only if nothing is left
 * over); -EBADMSG for a truncated entry or trailing bytes. */
int ccsb__agent_iter_next(struct ccsb_agent_iter *it, const uint8_t **blob, size_t *bloblen,
			  const uint8_t **comment, size_t *clen);

/* A new identities answer (malloc'ed into out) with the keys of `msg` that
 * the filter matches, in order. Returns the number kept, -EBADMSG for a
 * malformed answer (nothing allocated), -ENOMEM. */
int ccsb__agent_filter_identities(const uint8_t *msg, size_t len, const struct ccsb_agent_filter *f,
				  uint8_t **out, size_t *outlen);
/* Whether `blob` is in the answer and matches the filter: 1 (its comment
 * in *comment and *clen when not NULL), 0 not exposed, -EBADMSG. */
int ccsb__agent_exposed(const uint8_t *msg, size_t len, const struct ccsb_agent_filter *f,
			const uint8_t *blob, size_t bloblen, const uint8_t **comment, size_t *clen);

/* What a signature is for, in words, for the log: "ssh login as 'git'",
 * "ssh signature, namespace 'git'" (ssh-keygen -Y sign: commit signing),
 * or "unrecognized data (N bytes)". Printable; truncated to fit `len`. */
void ccsb__agent_describe_data(const uint8_t *data, size_t n, char *out, size_t len);
/* The key type named in a blob ("ssh-ed25519"), printable, or "unknown". */
void ccsb__agent_key_type(const uint8_t *blob, size_t n, char *out, size_t len);
/* Copy at most len-1 bytes, replacing anything but printable ASCII by '?'. */
void ccsb__agent_printable(const uint8_t *s, size_t n, char *out, size_t len);

#endif
