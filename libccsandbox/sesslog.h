/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A named session's own copy of its event stream (sesslog.c), kept beside
 * its socket as NAME.events for `ccsb ps` and `ccsb events`, bounded in
 * size; and the reader of those files. */
#ifndef CCSB_SESSLOG_H
#define CCSB_SESSLOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The bytes one file holds before it is rotated to NAME.events.1 (which
 * replaces the older one): a session keeps at most twice this (and one
 * line) in the runtime directory, however many names it asks. */
#define CCSB_SESSLOG_MAX (256 * 1024)
/* The longest line a reader takes; longer ones are skipped as broken. */
#define CCSB_SESSLOG_LINE_MAX (64 * 1024)

/* The events counted, in this order; CCSB_EV_OTHER for any other. */
enum ccsb_ev_kind {
	CCSB_EV_START,
	CCSB_EV_DNS_REFUSED,
	CCSB_EV_ROUTE_ADDED,
	CCSB_EV_NAME_BOUND,
	CCSB_EV_SSH_AGENT,
	CCSB_EV_GIT_CREDENTIAL,
	CCSB_EV_REPORT,
	CCSB_EV_BOUND,
	CCSB_EV_EXIT,
	CCSB_EV_OTHER,
	CCSB_EV_KINDS,
	/* Not counted: the line a rotation starts the new file with. */
	CCSB_EV_LOG_ROTATED = CCSB_EV_KINDS
};
/* The event's name in the stream ("dns_refused"); "other" for OTHER. */
const char *ccsb__ev_kind_name(enum ccsb_ev_kind k);
enum ccsb_ev_kind ccsb__ev_kind(const char *type, size_t n);

/* ---- writing (the run's side) ------------------------------------------ */

struct ccsb_sesslog;
/* Create dir/NAME.events afresh (mode 0600; any file of that name, and an
 * old NAME.events.1, removed first). NULL with errno set. */
struct ccsb_sesslog *ccsb__sesslog_open(const char *dir, const char *name);
/* Append one event line: `head` (the object up to "event":"TYPE") and
 * `body` (its fields, each ",key:value"), closed here with "}\n". Before a
 * write that would take the file past CCSB_SESSLOG_MAX the file is rotated
 * and the new one starts with a "log_rotated" line carrying the counts of
 * every event so far and the last few of each kind ("recent"). A write error (ENOSPC) ends the log quietly: the run
 * goes on. Not thread-safe: the event stream's lock is held. */
void ccsb__sesslog_write(struct ccsb_sesslog *l, const char *type, uint64_t seq, const char *when,
			 const char *head, size_t hn, const char *body, size_t bn);
/* Remove the files (unless a new session of that name made its own
 * meanwhile) and free. NULL: nothing. */
void ccsb__sesslog_close(struct ccsb_sesslog *l);

/* ---- reading (ccsb ps, ccsb events) ------------------------------------ */

#define CCSB_SESSLOG_LAST 5
/* The last CCSB_SESSLOG_LAST of a kind (oldest first), for display:
 * "HH:MM:SS name", "HH:MM:SS source: text", "HH:MM:SS action: what". */
struct ccsb_evlast {
	char item[CCSB_SESSLOG_LAST][300];
	size_t n;
};
/* The string fields the summary shows. Decoded for display: control
 * characters (C0, DEL, C1) and invalid UTF-8 become '?'; cut to fit. */
struct ccsb_evfields {
	char time[32];
	char name[256];	 /* dns_refused, route_added, name_bound */
	char source[32]; /* report */
	char text[512];	 /* report: text; ssh_agent: what; git_credential: host */
	char action[16]; /* ssh_agent, git_credential */
};
/* What one line says, as far as the summary needs it. */
struct ccsb_evline {
	enum ccsb_ev_kind kind;
	uint64_t seq;
	struct ccsb_evfields f;
	/* log_rotated: the totals and the last few of each kind until then. */
	uint64_t counts[CCSB_EV_KINDS];
	uint64_t lines;
	struct ccsb_evlast recent[CCSB_EV_KINDS];
	bool has_status; /* exit */
	uint64_t status;
};
/* Parse one line (without its newline) strictly: one JSON object with a
 * string "event", an integer "seq", nothing after it. 0, or -EINVAL. */
int ccsb__evline_parse(const char *line, size_t n, struct ccsb_evline *e);

struct ccsb_sesslog_summary {
	uint64_t counts[CCSB_EV_KINDS]; /* the whole session's */
	uint64_t lines;			/* every event line the session wrote */
	uint64_t kept;			/* of which still in the files */
	uint64_t bad;			/* lines that did not parse */
	struct ccsb_evlast refused, bound, reports, ssh, git;
	bool exited; /* the exit line is there */
};
/* Read dir/NAME.events.1 and dir/NAME.events. 0 (also when there are
 * none: all zero), or -errno. */
int ccsb__sesslog_summary(const char *dir, const char *name, struct ccsb_sesslog_summary *s);

/* A line of the file as printed to a terminal: C1 controls in their UTF-8
 * form (which a terminal may obey) written \u00XX, the same JSON. Returns
 * the length written to `out` (at least 3 * n bytes). */
size_t ccsb__evline_safe(const char *line, size_t n, char *out);

#endif
