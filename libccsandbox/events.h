/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The event stream (events.c): one JSON object a line, written as things
 * happen to the descriptor and callback the caller set, never blocking the
 * thread that emits. docs/events.schema.json is the schema; the public
 * header says what each event means. */
#ifndef CCSB_EVENTS_H
#define CCSB_EVENTS_H

#include "internal.h"
#include "json.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Bytes of lines waiting for a slow reader; a line that does not fit is
 * dropped and counted. The exit line alone may go past it. */
#define CCSB_EVENTS_QUEUE_MAX (256 * 1024)
/* How long the end of a run waits for a reader to take the last lines. */
#define CCSB_EVENTS_LINGER_MS 2000

/* ---- emission (thread-safe) ------------------------------------------- */

struct ccsb_events;

/* Whether anything listens (a descriptor or a callback, during a run):
 * callers skip building an event when not. NULL: nothing. */
bool ccsb__events_on(const struct ccsb_events *ev);
/* Send one event of `type` with the fields in b (then freed): a line
 * {"v":1,"seq":N,"time":"...","event":"TYPE",FIELDS[,"dropped":N]}.
 * Takes the stream's lock; never blocks on the reader. */
void ccsb__event_emit(struct ccsb_events *ev, const char *type, struct ccsb_jbuf *b);

/* For the supervising loop: the descriptor to poll for POLLOUT while lines
 * wait for a slow reader (-1: none), and the write once it has room. */
int ccsb__events_pollfd(struct ccsb_events *ev);
void ccsb__events_flush(struct ccsb_events *ev);
/* Register that with the supervising loop (nothing without a stream). */
struct ccsb_super;
int ccsb__events_add_source(struct ccsb_super *s, struct ccsb_events *ev);
/* The events object of a policy (NULL when none was configured). */
struct ccsb_events *ccsb__events_of(const ccsb_sandbox *sb);
void ccsb__events_free(struct ccsb_events *ev);

/* ---- the run's hooks --------------------------------------------------- */

/* Start of a run of `cmd` (copied): counters reset, the descriptor made
 * ready for non-blocking writes, the clock started. */
void ccsb__events_run_begin(ccsb_sandbox *sb, char *const cmd[]);
/* The sandbox is complete and is being released: the start event (the
 * policy's summary), `child` its pid 1 as seen from here. */
void ccsb__events_run_start(ccsb_sandbox *sb, pid_t child);
/* End of the run, after the exit report: the bounds that were hit, then the
 * exit event (`r`: the run's result, a status >= 0 or -errno with `err`;
 * `maxrss_kib`: the largest ru_maxrss wait4() gave for bwrap and the
 * sandbox's pid 1, which hold their reaped descendants'; 0 when not known),
 * then up to CCSB_EVENTS_LINGER_MS for the reader to take what is
 * queued. Releases the descriptor. */
void ccsb__events_run_end(ccsb_sandbox *sb, int r, ccsb_error *const *err, long maxrss_kib);

/* A named session's log (sesslog.h), taken over: every later line of the
 * run goes to it too, and it is closed (its files removed) at the run's
 * end. Starts the run's stream (ccsb__events_run_begin() with `cmd`) when
 * nothing else listens. -ENOMEM (the log then closed). */
struct ccsb_sesslog;
int ccsb__events_set_log(ccsb_sandbox *sb, struct ccsb_sesslog *log, char *const cmd[]);

/* ---- events of the library's parts ------------------------------------- */

/* The filtering resolver refused a query (name as ccsb__dns_parse_query()
 * writes it). */
void ccsb__event_dns_refused(struct ccsb_events *ev, const char *name, unsigned qtype);
/* The resolver added a host route to `addr` (4 or 16 bytes) for an answer
 * about `name`. */
void ccsb__event_route_added(struct ccsb_events *ev, const char *name, int family,
			     const uint8_t *addr);
/* The resolver bound `name` to the synthetic address `fake` (4 bytes,
 * namebind.h) for its real IPv4 addresses real[0..n) (4 bytes each). */
void ccsb__event_name_bound(struct ccsb_events *ev, const char *name, const uint8_t *fake,
			    const uint8_t *real, size_t n);
/* An item of the exit report (report.c), with the library file that
 * reported it ("guard.c" -> source "guard"). */
void ccsb__event_report(struct ccsb_events *ev, const char *file, const char *text);

#endif
