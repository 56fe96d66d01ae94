/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* `ccsb doctor`: checks what ccsb needs, one line each ("ok", "warning" or
 * "failure", what was found, and for problems the exact fix), on stdout. */
#ifndef CCSB_DOCTOR_H
#define CCSB_DOCTOR_H

/* `args` are the words after "doctor" (NULL-terminated); there must be
 * none. Returns ccsb's exit status: 0 when ccsb can run with full
 * protection, 1 when a check failed, 125 for a usage error. */
int doctor_main(char *const args[]);

#endif
