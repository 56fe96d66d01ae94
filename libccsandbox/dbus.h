/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* D-Bus messages for the systemd scope (dbus.c, pure) and the client that
 * sends them (scope.c). */
#ifndef CCSB_DBUS_H
#define CCSB_DBUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

/* A growing byte buffer; `oom` sticks once an allocation failed. */
struct ccsb_dbuf {
	unsigned char *p;
	size_t n, cap;
	bool oom;
};

/* Append one method call each (little-endian), serial as given; 0 or
 * -ENOMEM. */
int ccsb__dbus_hello(struct ccsb_dbuf *b, uint32_t serial);
int ccsb__dbus_add_match(struct ccsb_dbuf *b, uint32_t serial, const char *rule);
/* org.freedesktop.systemd1.Manager.StartTransientUnit(unit, "fail",
 * [Description, PIDs, CollectMode=inactive-or-failed, MemoryMax (when not
 * 0), TasksMax (when not 0)], []). */
int ccsb__dbus_start_scope(struct ccsb_dbuf *b, uint32_t serial, const char *unit,
			   const char *description, const uint32_t *pids, size_t npids,
			   uint64_t memory_max, uint64_t tasks_max);

/* Largest message accepted (the spec allows 128 MiB; replies here are
 * small). */
#define CCSB_DBUS_MAX (1u << 20)
#define CCSB_DBUS_NSTR 4
#define CCSB_DBUS_NU 2

enum {
	CCSB_DBUS_CALL = 1,
	CCSB_DBUS_RETURN = 2,
	CCSB_DBUS_ERROR = 3,
	CCSB_DBUS_SIGNAL = 4
};

/* What ccsb reads of a message: the header fields, and the leading string
 * ('s', 'o') and uint32 arguments of the body in order, up to the first
 * argument of another type (truncated copies). */
struct ccsb_dbus_msg {
	uint8_t type;
	uint32_t serial, reply_serial;
	char member[64], error[128], path[256], sender[64], signature[64];
	char str[CCSB_DBUS_NSTR][256];
	size_t nstr;
	uint32_t u[CCSB_DBUS_NU];
	size_t nu;
};

/* Parse the message at the start of p[0..n): its length when it is
 * complete and well-formed, 0 when more bytes are needed, -EBADMSG. */
ssize_t ccsb__dbus_parse(const unsigned char *p, size_t n, struct ccsb_dbus_msg *m);

struct sockaddr_un;
/* The session bus's socket (scope.c): the first unix: entry (path= or
 * abstract=, %-escapes decoded) of `env` ($DBUS_SESSION_BUS_ADDRESS), else
 * `runtime_dir`/bus when it exists. 0 or -ENOENT. */
int ccsb__session_bus_addr(const char *env, const char *runtime_dir, struct sockaddr_un *sa,
			   socklen_t *len);

#endif
