/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Watch a run through its event stream: the command given on the command
 * line runs under ccsb's default policy with no network, and each event
 * line reaches a callback, which prints the event's name and its line on
 * standard error as it happens (start, then exit with the status, the
 * duration and the peak memory).
 *
 *     cc events.c $(pkg-config --cflags --libs libccsandbox) -o events
 *     ./events sh -c 'exit 3'
 *
 * ccsb_sandbox_set_events_fd() writes the same lines to a descriptor
 * instead, without ever blocking the run on a slow reader.
 */
#include <ccsandbox.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Lines are one JSON object each, with the library's own field order:
 * the event's name follows "event":. A real consumer uses a JSON parser;
 * the schema is docs/events.schema.json. */
static void on_event(const char *line, size_t len, void *data)
{
	unsigned *count = data;
	const char *p = strstr(line, "\"event\":\"");
	int n = 0;
	if (p) {
		p += 9;
		n = (int)strcspn(p, "\"");
	}
	(*count)++;
	fprintf(stderr, "event %.*s (%zu bytes): %s\n", n, p ? p : "?", len, line);
}

int main(int argc, char *argv[])
{
	if (argc < 2) {
		fprintf(stderr, "usage: %s COMMAND [ARG...]\n", argv[0]);
		return 125;
	}
	ccsb_error *err = NULL;
	unsigned count = 0;
	ccsb_sandbox *sb = ccsb_sandbox_new();
	if (!sb) {
		fprintf(stderr, "%s: out of memory\n", argv[0]);
		return 125;
	}
	/* The library reads no environment variable: the embedder says where
	 * its helper is (here from CCSB_EXEC_HELPER, as ccsb does; unset: the
	 * installed one). */
	const char *helper = getenv("CCSB_EXEC_HELPER");
	int r = ccsb_sandbox_set_helper(sb, CCSB_HELPER_EXEC, helper && *helper ? helper : NULL,
					&err);
	if (r == 0)
		r = ccsb_sandbox_apply_defaults(sb, CCSB_DEFAULTS_CWD, &err);
	if (r == 0)
		r = ccsb_sandbox_set_net(sb, CCSB_NET_NONE, &err);
	if (r == 0)
		r = ccsb_sandbox_set_event_callback(sb, on_event, &count);
	if (r == 0)
		r = ccsb_sandbox_run(sb, argv + 1, &err);
	if (r < 0) {
		fprintf(stderr, "%s: %s\n", argv[0], ccsb_error_message(err));
		r = 125;
	}
	fprintf(stderr, "%u events, schema version %d\n", count, CCSB_EVENTS_VERSION);
	ccsb_error_free(err);
	ccsb_sandbox_free(sb);
	return r;
}
