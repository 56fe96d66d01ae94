/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* `ccsb ps` and `ccsb exec` (sessions.c). */
#ifndef CCSB_SESSIONS_H
#define CCSB_SESSIONS_H

/* `ccsb ps ARGS...`: exit status. */
int sessions_ps_main(char **args);
/* `ccsb exec ...`: argv[0] is "exec"; the command's status, 125 on failure. */
int sessions_exec_main(int argc, char **argv);
/* `ccsb events [--follow] NAME`: argv[0] is "events"; 0, or 125. */
int sessions_events_main(int argc, char **argv);

#endif
