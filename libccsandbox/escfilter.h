/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The terminal escape filter of the pty relay (escfilter.c): what the
 * command writes reaches the user's terminal only through it. Pure: no I/O,
 * no allocation, bounded state; sequences may be split anywhere across
 * calls. */
#ifndef CCSB_ESCFILTER_H
#define CCSB_ESCFILTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The longest sequence held back while undecided (a CSI with its
 * parameters, the head of an OSC or DCS, a color query): anything longer is
 * dropped. */
#define CCSB_ESCF_HOLD 512
/* ccsb__escf_run() writes at most n + CCSB_ESCF_SLACK bytes. */
#define CCSB_ESCF_SLACK (CCSB_ESCF_HOLD + 8)

enum {
	CCSB_ESCF_ALLOW_CLIPBOARD = 1, /* pass OSC 52 writes (never reads) */
	CCSB_ESCF_8BIT = 2,	       /* not UTF-8: every byte 0x80-0x9f is a C1 control */
};

/* What was dropped, counted by kind for the exit report. */
enum ccsb_escf_kind {
	CCSB_ESCF_CLIPBOARD, /* OSC 52 write */
	CCSB_ESCF_CLIPREAD,  /* OSC 52 query: would send the clipboard in */
	CCSB_ESCF_WINOPS,    /* CSI ... t: window moves, title reports */
	CCSB_ESCF_COLORS,    /* OSC 4/5/10-19 setting colors */
	CCSB_ESCF_OSC,	     /* other OSC: fonts, iTerm2/kitty extensions, ... */
	CCSB_ESCF_DCS,	     /* DECRQSS, DECUDK, tmux passthrough, ... */
	CCSB_ESCF_APC,	     /* APC/PM/SOS: kitty graphics (may read host files) */
	CCSB_ESCF_CSI,	     /* media copy, DECRQCRA (reads the screen), ?46 */
	CCSB_ESCF_MALFORMED, /* too long or broken where it mattered */
	CCSB_ESCF_NKINDS
};

struct ccsb_escfilter {
	unsigned flags;
	/* UTF-8 decoding, independent of the parser state. */
	uint8_t need, lo, hi; /* continuation bytes still expected, and the next one's range */
	bool c2;	      /* a 0xc2 held: U+0080-U+009F (a C1 control) or a character */
	/* The parser (state names in escfilter.c). */
	uint8_t state;
	bool str_esc;		     /* an ESC seen inside a string: ST if '\' follows */
	uint8_t priv, inter, ninter; /* CSI/DCS private marker, last intermediate, count */
	bool bad;		     /* CSI/DCS head malformed */
	bool num_done;		     /* the first CSI parameter is complete */
	uint8_t intro;		     /* bytes of the introducer at the start of `hold` */
	int num;		     /* OSC number, or the first CSI parameter */
	uint16_t nhold;
	unsigned char hold[CCSB_ESCF_HOLD];
	unsigned long dropped[CCSB_ESCF_NKINDS];
};

void ccsb__escf_init(struct ccsb_escfilter *f, unsigned flags);
/* Filter `n` bytes of `in` into `out` (room for n + CCSB_ESCF_SLACK);
 * returns the count written. */
size_t ccsb__escf_run(struct ccsb_escfilter *f, const unsigned char *in, size_t n,
		      unsigned char *out);
/* End of the stream: a sequence left unfinished is dropped (a terminal
 * would wait for the rest, which must not come from the next program);
 * returns the bytes written to `out` (room for CCSB_ESCF_SLACK). */
size_t ccsb__escf_finish(struct ccsb_escfilter *f, unsigned char *out);
/* Total dropped. */
unsigned long ccsb__escf_dropped(const struct ccsb_escfilter *f);
/* Flags for the environment: CCSB_ESCF_8BIT unless LC_ALL, LC_CTYPE or
 * LANG (the first set) names UTF-8. */
unsigned ccsb__escf_locale_flags(const char *lc_all, const char *lc_ctype, const char *lang);

#endif
