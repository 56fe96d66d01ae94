/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The session channel: how a command reaches a running sandbox's pid 1
 * (ccsb-exec) to be run inside it.
 *
 *   client (ccsb exec, ccsb_session_exec())
 *      | connect(DIR/NAME.sock), SOCK_SEQPACKET        (ccsb --name only)
 *   host (ccsb's acceptor): checks SO_PEERCRED, then passes the connected
 *      | socket itself to ccsb-exec: CONN on the control socket
 *   ccsb-exec (pid 1, inside): reads EXEC from that connection, runs the
 *      command, answers STARTED and EXIT on it.
 *
 * SOCK_SEQPACKET keeps each message whole: one recvmsg() is one message,
 * and the descriptors sent with one stay with it. Every message starts with
 * the fixed header below; the payload follows in the same packet. Integers
 * are host order (both ends run on the same machine). A receiver refuses a
 * packet whose magic, version, type or length is not exactly right, and
 * then drops the connection: nothing is guessed.
 *
 * Messages:
 *   CONN    host -> ccsb-exec (control socket): arg 0, no payload, one
 *           descriptor: a connection to serve.
 *   EXEC    client -> ccsb-exec: payload struct ccsb_sess_exec_hdr, then
 *           `nstr` NUL-terminated strings: the working directory ("" for the
 *           sandbox's own), argc arguments, envc NAME=VALUE settings; exactly
 *           three descriptors: the command's stdin, stdout, stderr.
 *   STARTED ccsb-exec -> client: arg = the command's pid inside.
 *   SIGNAL  client -> ccsb-exec: arg = a signal number, sent to the
 *           command's process group.
 *   EXIT    ccsb-exec -> client: arg = the status as a shell reports it
 *           (0-255; 128+N after signal N; 126/127 when it could not be
 *           executed). The connection closes after it.
 *
 * Pure code, libc only: built into the library and into ccsb-exec.
 */
#ifndef CCSB_SESSPROTO_H
#define CCSB_SESSPROTO_H

#include <stddef.h>
#include <stdint.h>

#define CCSB_SESS_MAGIC 0x62736363u /* "ccsb" little-endian */
#define CCSB_SESS_VERSION 1

enum ccsb_sess_type {
	CCSB_SESS_CONN = 1,
	CCSB_SESS_EXEC = 2,
	CCSB_SESS_STARTED = 3,
	CCSB_SESS_SIGNAL = 4,
	CCSB_SESS_EXIT = 5,
};

struct ccsb_sess_hdr {
	uint32_t magic;
	uint16_t version;
	uint16_t type;
	uint32_t len; /* payload bytes after this header */
	uint32_t arg;
};

#define CCSB_SESS_FLAG_TTY 1u /* stdin is a terminal: make it the controlling one */

struct ccsb_sess_exec_hdr {
	uint32_t flags;
	uint32_t argc, envc;
	uint32_t reserved;
};

/* Limits: a bigger request is refused whole. */
#define CCSB_SESS_MAX_PAYLOAD 65536u
#define CCSB_SESS_MAX_ARGS 1024u
#define CCSB_SESS_MAX_ENV 256u
#define CCSB_SESS_MAX_PACKET (sizeof(struct ccsb_sess_hdr) + CCSB_SESS_MAX_PAYLOAD)

/* A parsed EXEC: pointers into the packet buffer, which must stay alive. */
struct ccsb_sess_exec {
	uint32_t flags;
	const char *cwd;
	uint32_t argc, envc;
	const char *argv[CCSB_SESS_MAX_ARGS + 1]; /* NULL-terminated */
	const char *envp[CCSB_SESS_MAX_ENV + 1];  /* NULL-terminated */
};

/* Check a packet's header: 0 with *type and *arg, or -EPROTO (bad magic, type,
 * length) / -EPROTONOSUPPORT (another version). `len` is the packet's size. */
int ccsb__sess_check(const void *buf, size_t len, uint16_t *type, uint32_t *arg);
/* Parse an EXEC packet (header included): 0, or -EPROTO when anything is
 * malformed (argc 0, an empty argv[0], a string not NUL-terminated inside
 * the payload, bytes left over, an env entry without '=' or with an empty
 * name, unknown flags) and -E2BIG past the limits. */
int ccsb__sess_parse_exec(const void *buf, size_t len, struct ccsb_sess_exec *out);
/* Write a header-only packet into `buf` (sizeof(struct ccsb_sess_hdr)). */
void ccsb__sess_simple(void *buf, uint16_t type, uint32_t arg);
/* Encode an EXEC packet into a malloc()ed buffer: 0 with *out and *outlen,
 * -E2BIG past the limits, -EINVAL for a bad argument, -ENOMEM. `cwd` may
 * be NULL (the sandbox's own); envp may be NULL. */
int ccsb__sess_encode_exec(uint32_t flags, const char *cwd, const char *const *argv,
			   const char *const *envp, void **out, size_t *outlen);

#endif
