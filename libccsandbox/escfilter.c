/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The terminal escape filter: a streaming parser of what the command writes
 * to its pty, after the DEC/ANSI state machine terminals follow (vt100.net's
 * "DEC ANSI parser"), that passes text and screen control and drops what
 * reaches beyond the screen:
 *   - OSC 52 clipboard writes (unless allowed) and reads, always;
 *   - everything that makes the terminal answer with text the command chose
 *     or with the screen's contents: title reports (CSI 20/21 t), DECRQSS,
 *     DECRQCRA, OSC 50 font queries;
 *   - state that outlives the session: window moves and resizes (CSI t),
 *     palette and dynamic colors (OSC 4/5/10-19 except their queries),
 *     DECUDK function keys, soft fonts, xterm's log file (OSC 46, CSI ?46h),
 *     media copy to a printer (CSI i);
 *   - strings for other programs: tmux passthrough, DECRSTS/DECRSPS (restore
 *     terminal state), XTSETTCAP, iTerm2's OSC 1337 (file
 *     downloads, clipboard), kitty's remote control, file transfer and
 *     graphics (APC, which can make the terminal read host files), ConEmu's
 *     macros (OSC 9;N).
 * Allowed strings pass with their content sanitized (no control characters)
 * and a terminator the terminal cannot read differently; a sequence the
 * filter cannot classify is dropped whole, and since the terminal never sees
 * its start, the bytes after it are read the same way on both sides. C1
 * controls count in both forms, 8-bit and UTF-8 encoded (U+0080-U+009F),
 * which some terminals honour. */
#include "escfilter.h"

#include <string.h>
#include <strings.h>

enum state {
	GROUND,
	ESC_,	   /* after ESC (held) */
	ESC_INT,   /* ESC and intermediates (held) */
	CSI,	   /* CSI head (held) */
	CSI_IGN,   /* a CSI being dropped until its final byte */
	OSC_NUM,   /* OSC number (held) */
	OSC_SEL,   /* OSC 52: its selection, up to the second ';' (held) */
	OSC_52,	   /* OSC 52: the first byte of data decides (held) */
	OSC_9,	   /* OSC 9: a ConEmu subcommand number or a notification (held) */
	OSC_QUERY, /* OSC 4/5/10-19: whole, passed only if it only queries (held) */
	OSC_PASS,  /* an allowed OSC, streamed */
	DCS_HEAD,  /* DCS parameters up to the final byte (held) */
	DCS_PASS,  /* sixel or synchronized update, streamed */
	DCS_HEX,   /* XTGETTCAP, streamed: hex digits and ';' only */
	STR_DROP,  /* a string being dropped; BEL ends it only for OSC */
	OSC_DROP,
};

/* Tokens handed from the UTF-8 layer to the parser. */
enum tok {
	T_TEXT,
	T_C0,
	T_C1
};

static const unsigned char ST[2] = { 0x1b, '\\' };

void ccsb__escf_init(struct ccsb_escfilter *f, unsigned flags)
{
	memset(f, 0, sizeof(*f));
	f->flags = flags;
	f->state = GROUND;
}

unsigned long ccsb__escf_dropped(const struct ccsb_escfilter *f)
{
	unsigned long n = 0;
	for (int i = 0; i < CCSB_ESCF_NKINDS; i++)
		n += f->dropped[i];
	return n;
}

static bool names_utf8(const char *v)
{
	const char *dot = strchr(v, '.');
	if (!dot)
		return true; /* "C", "POSIX", "en_US": say nothing of the terminal */
	size_t n = strcspn(dot + 1, "@");
	return (n == 5 && strncasecmp(dot + 1, "utf-8", 5) == 0) ||
	       (n == 4 && strncasecmp(dot + 1, "utf8", 4) == 0);
}

unsigned ccsb__escf_locale_flags(const char *lc_all, const char *lc_ctype, const char *lang)
{
	const char *v = lc_all && *lc_all ? lc_all : lc_ctype && *lc_ctype ? lc_ctype : lang;
	return v && *v && !names_utf8(v) ? CCSB_ESCF_8BIT : 0;
}

/* ---- output helpers ---------------------------------------------------- */

struct out {
	unsigned char *p;
	size_t n;
};

static void put(struct out *o, const unsigned char *s, size_t n)
{
	memcpy(o->p + o->n, s, n);
	o->n += n;
}

static void hold(struct ccsb_escfilter *f, const unsigned char *raw, size_t n)
{
	memcpy(f->hold + f->nhold, raw, n);
	f->nhold += (uint16_t)n;
}

/* Room for `n` more held bytes (and a terminator after them). */
static bool room(const struct ccsb_escfilter *f, size_t n)
{
	return f->nhold + n + 2 <= CCSB_ESCF_HOLD;
}

static void emit_hold(struct ccsb_escfilter *f, struct out *o)
{
	put(o, f->hold, f->nhold);
	f->nhold = 0;
}

static void drop(struct ccsb_escfilter *f, enum ccsb_escf_kind k)
{
	f->nhold = 0;
	f->dropped[k]++;
}

/* ---- decisions ----------------------------------------------------------- */

/* The CSI sequences dropped; everything else in CSI moves the cursor,
 * paints, sets modes or asks what the terminal is, with fixed answers. */
static bool csi_denied(const struct ccsb_escfilter *f, unsigned char final, enum ccsb_escf_kind *k)
{
	*k = CCSB_ESCF_CSI;
	if (final == 'i')
		return true; /* media copy: printer controller mode */
	if (final == 'y' && f->inter == '*')
		return true; /* DECRQCRA: checksum of screen cells, read back one by one */
	if ((final == 'h' || final == 'l') && f->priv == '?') {
		/* ?46: start xterm's log file. Any parameter, not only the first. */
		const unsigned char *p = f->hold, *end = f->hold + f->nhold;
		while (p < end && !(*p >= '0' && *p <= '9'))
			p++;
		while (p < end) {
			int v = 0;
			while (p < end && *p >= '0' && *p <= '9' && v < 100000)
				v = v * 10 + (*p++ - '0');
			if (v == 46)
				return true;
			while (p < end && !(*p >= '0' && *p <= '9'))
				p++;
		}
		return false;
	}
	if (final == 't' && !f->priv && !f->ninter) {
		/* XTWINOPS: reports of sizes and positions, the title stack;
		 * not moves, resizes, raises, iconifying or title reports. */
		*k = CCSB_ESCF_WINOPS;
		switch (f->num) {
		case 11:
		case 13:
		case 14:
		case 15:
		case 16:
		case 18:
		case 19:
		case 22:
		case 23:
			return false;
		default:
			return true;
		}
	}
	return false;
}

/* A whole OSC 4/5/10-19 held, number and ';' included: pass it only when
 * every color it names is "?". */
static bool osc_only_queries(const struct ccsb_escfilter *f)
{
	const unsigned char *p = memchr(f->hold, ';', f->nhold);
	const unsigned char *end = f->hold + f->nhold;
	if (!p)
		return false;
	p++;
	bool pairs = f->num == 4 || f->num == 5; /* index;spec;index;spec... */
	for (int i = 0; p <= end; i++) {
		const unsigned char *e = memchr(p, ';', (size_t)(end - p));
		if (!e)
			e = end;
		if ((!pairs || i % 2 == 1) && !(e - p == 1 && *p == '?'))
			return false;
		if (e == end)
			return !pairs || i % 2 == 1;
		p = e + 1;
	}
	return false;
}

/* After the OSC number's ';' (or its end): where to go. */
static void osc_decide(struct ccsb_escfilter *f, struct out *o)
{
	switch (f->num) {
	case 0:
	case 1:
	case 2:	 /* titles: harmless once their reports are dropped */
	case 7:	 /* current directory */
	case 8:	 /* hyperlinks */
	case 22: /* pointer shape */
	case 99:
	case 777: /* desktop notifications (kitty, rxvt/ghostty) */
	case 133:
	case 633: /* shell integration marks */
	case 104:
	case 105: /* color resets */
	case 110:
	case 111:
	case 112:
	case 113:
	case 114:
	case 115:
	case 116:
	case 117:
	case 118:
	case 119:
		emit_hold(f, o);
		f->state = OSC_PASS;
		return;
	case 52:
		if (f->flags & CCSB_ESCF_ALLOW_CLIPBOARD) {
			f->state = OSC_SEL;
			return;
		}
		drop(f, CCSB_ESCF_CLIPBOARD);
		f->state = OSC_DROP;
		return;
	case 9:
		f->state = OSC_9;
		return;
	case 4:
	case 5:
	case 10:
	case 11:
	case 12:
	case 13:
	case 14:
	case 15:
	case 16:
	case 17:
	case 18:
	case 19:
		f->state = OSC_QUERY;
		return;
	default:
		drop(f, CCSB_ESCF_OSC);
		f->state = OSC_DROP;
		return;
	}
}

/* The DCS head is complete with `final`. */
static void dcs_decide(struct ccsb_escfilter *f, struct out *o, unsigned char final)
{
	if (!f->bad && final == 'q' && !f->priv && !f->ninter) {
		f->state = DCS_PASS; /* sixel graphics */
	} else if (!f->bad && final == 'z' && !f->priv && !f->ninter && f->nhold == f->intro) {
		f->state = DCS_PASS; /* vim's probe for terminals that show DCS ("P zz ST") */
	} else if (!f->bad && final == 's' && f->priv == '=' && !f->ninter) {
		f->state = DCS_PASS; /* synchronized update (=1s / =2s) */
	} else if (!f->bad && final == 'q' && !f->priv && f->ninter == 1 && f->inter == '+') {
		f->state = DCS_HEX; /* XTGETTCAP: capability names in hex */
	} else {
		drop(f, f->bad ? CCSB_ESCF_MALFORMED : CCSB_ESCF_DCS);
		f->state = STR_DROP;
		return;
	}
	hold(f, &final, 1);
	emit_hold(f, o);
}

/* ---- the parser ------------------------------------------------------------ */

static void token(struct ccsb_escfilter *f, struct out *o, enum tok t, unsigned v,
		  const unsigned char *raw, size_t nraw);

/* Enter ESC_ with the ESC held (an ESC that ends nothing special). */
static void start_esc(struct ccsb_escfilter *f)
{
	f->nhold = 0;
	f->hold[f->nhold++] = 0x1b;
	f->state = ESC_;
}

/* The sequence's introducer is held: reset what its head is parsed into. */
static void start_seq(struct ccsb_escfilter *f, enum state s)
{
	f->intro = (uint8_t)f->nhold;
	f->priv = f->inter = f->ninter = 0;
	f->bad = f->num_done = f->str_esc = false;
	f->num = 0;
	f->state = s;
}

/* A C1 control (8-bit or encoded) seen in ground: an introducer or a
 * single control (IND, NEL, HTS, RI... pass). */
static void c1_ground(struct ccsb_escfilter *f, struct out *o, unsigned v, const unsigned char *raw,
		      size_t nraw)
{
	f->nhold = 0;
	switch (v) {
	case 0x9b: /* CSI */
	case 0x9d: /* OSC */
	case 0x90: /* DCS */
		hold(f, raw, nraw);
		start_seq(f, v == 0x9b ? CSI : v == 0x9d ? OSC_NUM : DCS_HEAD);
		return;
	case 0x98:
	case 0x9e:
	case 0x9f: /* SOS, PM, APC */
		f->dropped[CCSB_ESCF_APC]++;
		start_seq(f, STR_DROP);
		return;
	case 0x9c: /* a stray ST */
	default:
		put(o, raw, nraw);
		return;
	}
}

/* A string being passed ends here, or is cut by what follows: close it
 * with a real ST so that the terminal ends it exactly here too. */
static void close_string(struct ccsb_escfilter *f, struct out *o)
{
	put(o, ST, 2);
	f->state = GROUND;
	f->str_esc = false;
}

/* Terminators and interruptions common to every string state. Returns true
 * when the token was consumed. `passing`: the string's start reached the
 * terminal. */
static bool string_end(struct ccsb_escfilter *f, struct out *o, enum tok t, unsigned v,
		       const unsigned char *raw, size_t nraw, bool passing, bool bel_ends)
{
	if (f->str_esc) {
		f->str_esc = false;
		if (t == T_TEXT && v == '\\') {
			if (passing)
				put(o, ST, 2);
			f->state = GROUND;
			return true;
		}
		/* ESC then anything else: the string ends and an escape
		 * sequence starts. */
		if (passing)
			close_string(f, o);
		f->state = GROUND;
		start_esc(f);
		token(f, o, t, v, raw, nraw);
		return true;
	}
	if (t == T_C0 && v == 0x1b) {
		f->str_esc = true;
		return true;
	}
	if (t == T_C0 && (v == 0x18 || v == 0x1a)) { /* CAN, SUB: abort */
		put(o, raw, nraw);
		f->state = GROUND;
		return true;
	}
	if (t == T_C0 && v == 0x07 && bel_ends) {
		if (passing)
			put(o, raw, nraw);
		f->state = GROUND;
		return true;
	}
	if (t == T_C1) {
		if (passing)
			close_string(f, o);
		f->state = GROUND;
		if (v != 0x9c)
			c1_ground(f, o, v, raw, nraw);
		return true;
	}
	return false;
}

/* The held states of an OSC: a terminator decides with what is held. */
static bool osc_held_end(struct ccsb_escfilter *f, struct out *o, enum tok t, unsigned v,
			 const unsigned char *raw, size_t nraw)
{
	if (!f->str_esc && t == T_C0 && v == 0x1b) {
		f->str_esc = true; /* ST, if a '\\' follows */
		return true;
	}
	bool st = f->str_esc && t == T_TEXT && v == '\\';
	bool end = st || (!f->str_esc && ((t == T_C0 && v == 0x07) || (t == T_C1 && v == 0x9c)));
	if (!end) {
		if (f->str_esc || (t == T_C0 && (v == 0x18 || v == 0x1a)) || t == T_C1) {
			/* Cut short: dropped (the terminal never saw its start). */
			drop(f, CCSB_ESCF_MALFORMED);
			f->state = OSC_DROP;
			return string_end(f, o, t, v, raw, nraw, false, true);
		}
		return false;
	}
	f->str_esc = false;
	bool pass = false;
	enum ccsb_escf_kind k = CCSB_ESCF_OSC;
	switch (f->state) {
	case OSC_NUM: /* no ';': "OSC 104 ST" resets every color */
		pass = f->num == 104 || f->num == 105 || (f->num >= 110 && f->num <= 119);
		break;
	case OSC_9: /* a notification: text */
		pass = true;
		break;
	case OSC_QUERY:
		pass = osc_only_queries(f);
		k = CCSB_ESCF_COLORS;
		break;
	default: /* OSC 52 without data */
		k = CCSB_ESCF_MALFORMED;
		break;
	}
	if (pass) {
		emit_hold(f, o);
		/* BEL as given; ST in its 7-bit form, whatever was sent. */
		if (t == T_C0)
			put(o, raw, nraw);
		else
			put(o, ST, 2);
	} else {
		drop(f, k);
	}
	f->state = GROUND;
	return true;
}

/* Over 80 lines on purpose: one switch over the states, each case saying
 * what every kind of token does there, reads best against ECMA-48's state
 * diagram and xterm's; splitting it into a function per state would
 * scatter the cancel rules (ESC, CAN/SUB, C1, 8-bit text) that every
 * state shares and must apply alike, and a state missing one is how a
 * filter gets bypassed. The sequence-specific work is already out
 * (start_esc, start_seq, c1_ground, osc_decide, dcs_decide, string_end). */
static void token(struct ccsb_escfilter *f, struct out *o, enum tok t, unsigned v,
		  const unsigned char *raw, size_t nraw)
{
	enum ccsb_escf_kind k;
	switch ((enum state)f->state) {
	case GROUND:
		if (t == T_C0 && v == 0x1b)
			start_esc(f);
		else if (t == T_C1)
			c1_ground(f, o, v, raw, nraw);
		else
			put(o, raw, nraw);
		return;

	case ESC_:
	case ESC_INT:
		if (t == T_C1 || (t == T_TEXT && v >= 0x80)) {
			f->nhold = 0;
			f->state = GROUND;
			token(f, o, t, v, raw, nraw);
		} else if (t == T_C0 && v == 0x1b) {
			start_esc(f); /* ESC ESC: the first one is cancelled */
		} else if (t == T_C0 && (v == 0x18 || v == 0x1a)) {
			f->nhold = 0;
			f->state = GROUND;
			put(o, raw, nraw);
		} else if (t == T_C0) {
			if (v != 0x7f)
				put(o, raw, nraw); /* executed where it stands */
		} else if (v >= 0x20 && v <= 0x2f) {
			if (!room(f, 1)) {
				drop(f, CCSB_ESCF_MALFORMED);
				f->state = GROUND;
				return;
			}
			hold(f, raw, nraw);
			f->state = ESC_INT;
		} else if (f->state == ESC_ && (v == '[' || v == ']' || v == 'P')) {
			hold(f, raw, nraw);
			start_seq(f, v == '[' ? CSI : v == ']' ? OSC_NUM : DCS_HEAD);
		} else if (f->state == ESC_ && (v == 'X' || v == '^' || v == '_')) {
			drop(f, CCSB_ESCF_APC);
			start_seq(f, STR_DROP);
		} else {
			/* A final byte: charsets, DECSC/DECRC, keypad modes, RIS... */
			hold(f, raw, nraw);
			emit_hold(f, o);
			f->state = GROUND;
		}
		return;

	case CSI:
	case CSI_IGN:
		if (t == T_C1 || (t == T_TEXT && v >= 0x80) ||
		    (t == T_C0 && (v == 0x1b || v == 0x18 || v == 0x1a))) {
			if (f->state == CSI)
				drop(f, CCSB_ESCF_MALFORMED);
			f->nhold = 0;
			f->state = GROUND;
			token(f, o, t, v, raw, nraw);
			return;
		}
		if (t == T_C0) {
			if (v != 0x7f)
				put(o, raw, nraw);
			return;
		}
		if (v >= 0x40 && v <= 0x7e) {
			if (f->state == CSI) {
				if (f->bad) {
					drop(f, CCSB_ESCF_MALFORMED);
				} else if (csi_denied(f, (unsigned char)v, &k)) {
					drop(f, k);
				} else {
					hold(f, raw, nraw);
					emit_hold(f, o);
				}
			}
			f->state = GROUND;
			return;
		}
		if (f->state == CSI_IGN)
			return;
		if (!room(f, 1)) {
			drop(f, CCSB_ESCF_MALFORMED);
			f->state = CSI_IGN;
			return;
		}
		if (v >= 0x3c && v <= 0x3f) { /* < = > ?: only first */
			if (f->nhold != f->intro)
				f->bad = true;
			f->priv = (uint8_t)v;
		} else if (v >= 0x30 && v <= 0x3b) {
			if (f->ninter)
				f->bad = true;
			if (v >= '0' && v <= '9' && !f->num_done && f->num < 100000)
				f->num = f->num * 10 + (int)(v - '0');
			else if (v == ';' || v == ':')
				f->num_done = true;
		} else {
			f->inter = (uint8_t)v;
			f->ninter++;
		}
		hold(f, raw, nraw);
		return;

	case OSC_NUM:
		if (osc_held_end(f, o, t, v, raw, nraw))
			return;
		if (t == T_TEXT && v >= '0' && v <= '9' && room(f, 1)) {
			if (f->num < 100000)
				f->num = f->num * 10 + (int)(v - '0');
			hold(f, raw, nraw);
		} else if (t == T_TEXT && v == ';' && f->nhold > f->intro) {
			hold(f, raw, nraw);
			osc_decide(f, o);
		} else if (t == T_TEXT) {
			/* Not a number: no OSC the filter knows. */
			drop(f, CCSB_ESCF_OSC);
			f->state = OSC_DROP;
		}
		return; /* other C0: ignored inside strings */

	case OSC_SEL:
	case OSC_52:
	case OSC_9:
	case OSC_QUERY:
		if (osc_held_end(f, o, t, v, raw, nraw))
			return;
		if (t != T_TEXT)
			return;
		if (!room(f, nraw)) {
			drop(f, f->state == OSC_QUERY ? CCSB_ESCF_COLORS : CCSB_ESCF_MALFORMED);
			f->state = OSC_DROP;
			return;
		}
		if (f->state == OSC_SEL) {
			hold(f, raw, nraw);
			if (v == ';')
				f->state = OSC_52;
		} else if (f->state == OSC_52) {
			/* "?" asks the terminal to type the clipboard in. */
			if (v == '?') {
				drop(f, CCSB_ESCF_CLIPREAD);
				f->state = OSC_DROP;
				return;
			}
			hold(f, raw, nraw);
			emit_hold(f, o);
			f->state = OSC_PASS;
		} else if (f->state == OSC_9) {
			/* "9;4;..." progress and "9;9;..." directory pass; other
			 * ConEmu subcommands (macros, running programs) do not;
			 * anything else is an iTerm2 notification's text. */
			const unsigned char *sub =
				(const unsigned char *)memchr(f->hold, ';', f->nhold) + 1;
			size_t nsub = (size_t)(f->hold + f->nhold - sub);
			bool digits = true;
			for (size_t i = 0; i < nsub; i++)
				digits = digits && sub[i] >= '0' && sub[i] <= '9';
			if (digits && v >= '0' && v <= '9' && nsub < 4) {
				hold(f, raw, nraw);
				return;
			}
			if (digits && nsub > 0 && v == ';' &&
			    !(nsub == 1 && (sub[0] == '4' || sub[0] == '9'))) {
				drop(f, CCSB_ESCF_OSC);
				f->state = OSC_DROP;
				return;
			}
			hold(f, raw, nraw);
			emit_hold(f, o);
			f->state = OSC_PASS;
		} else {
			hold(f, raw, nraw);
		}
		return;

	case OSC_PASS:
	case DCS_PASS:
	case DCS_HEX:
		if (string_end(f, o, t, v, raw, nraw, true, f->state == OSC_PASS))
			return;
		if (t != T_TEXT || v == 0x7f)
			return; /* control characters inside: dropped */
		if (f->state == DCS_HEX && !((v >= '0' && v <= '9') || (v >= 'a' && v <= 'f') ||
					     (v >= 'A' && v <= 'F') || v == ';'))
			return;
		put(o, raw, nraw);
		return;

	case DCS_HEAD:
		if (t == T_C1 || (t == T_C0 && (v == 0x1b || v == 0x18 || v == 0x1a))) {
			drop(f, CCSB_ESCF_MALFORMED);
			f->state = STR_DROP;
			string_end(f, o, t, v, raw, nraw, false, false);
			return;
		}
		if (t != T_TEXT || v == 0x7f)
			return;
		if (v >= 0x40 && v <= 0x7e) {
			dcs_decide(f, o, (unsigned char)v);
			return;
		}
		if (!room(f, 1) || v >= 0x80) {
			drop(f, CCSB_ESCF_MALFORMED);
			f->state = STR_DROP;
			return;
		}
		if (v >= 0x3c && v <= 0x3f) {
			if (f->nhold != f->intro)
				f->bad = true;
			f->priv = (uint8_t)v;
		} else if (v >= 0x30 && v <= 0x3b) {
			if (f->ninter)
				f->bad = true;
		} else {
			f->inter = (uint8_t)v;
			f->ninter++;
		}
		hold(f, raw, nraw);
		return;

	case STR_DROP:
	case OSC_DROP:
		string_end(f, o, t, v, raw, nraw, false, f->state == OSC_DROP);
		return;
	}
}

/* ---- the UTF-8 layer ------------------------------------------------------ */

/* A byte from 0xa0 up, not 0xc2, where no continuation was expected: the
 * continuation bytes it asks for (none for a stray or invalid byte). */
static inline void lead(struct ccsb_escfilter *f, unsigned char b)
{
	f->lo = 0x80;
	f->hi = 0xbf;
	if (b >= 0xc3 && b <= 0xdf) {
		f->need = 1;
	} else if (b >= 0xe0 && b <= 0xef) {
		f->need = 2;
		if (b == 0xe0)
			f->lo = 0xa0; /* no overlong forms: E0 82 9B is not U+009B */
		else if (b == 0xed)
			f->hi = 0x9f;
	} else if (b >= 0xf0 && b <= 0xf4) {
		f->need = 3;
		if (b == 0xf0)
			f->lo = 0x90;
		else if (b == 0xf4)
			f->hi = 0x8f;
	}
}

/* In ground, the length of the text at `in` that passes as it is: ASCII but
 * ESC, and whole or partial UTF-8 characters (8-bit text in an 8-bit
 * terminal); it stops before anything the parser must see. */
static size_t plain(struct ccsb_escfilter *f, const unsigned char *in, size_t n)
{
	const uint64_t ones = 0x0101010101010101ull, high = 0x8080808080808080ull;
	bool utf8 = !(f->flags & CCSB_ESCF_8BIT);
	size_t j = 0;
	while (j < n) {
		if (f->need) {
			if (in[j] < f->lo || in[j] > f->hi) {
				f->need = 0;
				continue;
			}
			f->need--;
			f->lo = 0x80;
			f->hi = 0xbf;
			j++;
			continue;
		}
		/* Eight ASCII bytes without an ESC at a time. */
		while (j + 8 <= n) {
			uint64_t w, x;
			memcpy(&w, in + j, 8);
			x = w ^ (0x1b * ones);
			if ((w | ((x - ones) & ~x)) & high)
				break;
			j += 8;
		}
		if (j == n)
			break;
		unsigned char b = in[j];
		if (b < 0x80) {
			if (b == 0x1b)
				break;
			j++;
		} else if (b < 0xa0 || (utf8 && b == 0xc2)) {
			break; /* a C1 control, or maybe one */
		} else {
			if (utf8)
				lead(f, b);
			j++;
		}
	}
	return j;
}

static void byte(struct ccsb_escfilter *f, struct out *o, unsigned char b)
{
	if (f->flags & CCSB_ESCF_8BIT) {
		token(f, o,
		      b < 0x20 || b == 0x7f   ? T_C0
		      : b >= 0x80 && b < 0xa0 ? T_C1
					      : T_TEXT,
		      b, &b, 1);
		return;
	}
	if (f->c2) {
		f->c2 = false;
		static const unsigned char c2 = 0xc2;
		if (b >= 0x80 && b <= 0x9f) {
			const unsigned char raw[2] = { 0xc2, b };
			token(f, o, T_C1, b, raw, 2);
			return;
		}
		token(f, o, T_TEXT, 0xc2, &c2, 1);
		if (b >= 0xa0 && b <= 0xbf) {
			token(f, o, T_TEXT, b, &b, 1);
			return;
		}
	}
	if (f->need) {
		if (b >= f->lo && b <= f->hi) {
			f->need--;
			f->lo = 0x80;
			f->hi = 0xbf;
			token(f, o, T_TEXT, b, &b, 1);
			return;
		}
		f->need = 0; /* truncated: b starts afresh */
	}
	if (b < 0x20 || b == 0x7f) {
		token(f, o, T_C0, b, &b, 1);
		return;
	}
	if (b < 0x80) {
		token(f, o, T_TEXT, b, &b, 1);
		return;
	}
	if (b < 0xa0) {
		token(f, o, T_C1, b, &b, 1); /* not a continuation: a raw C1 */
		return;
	}
	if (b == 0xc2) {
		f->c2 = true;
		return;
	}
	lead(f, b);
	token(f, o, T_TEXT, b, &b, 1);
}

size_t ccsb__escf_run(struct ccsb_escfilter *f, const unsigned char *in, size_t n,
		      unsigned char *out)
{
	struct out o = { out, 0 };
	size_t i = 0;
	while (i < n) {
		/* Text in ground, the bulk of any output, is copied in runs. */
		if (f->state == GROUND && !f->c2) {
			size_t j = plain(f, in + i, n - i);
			put(&o, in + i, j);
			i += j;
			if (i == n)
				break;
		}
		byte(f, &o, in[i++]);
	}
	return o.n;
}

size_t ccsb__escf_finish(struct ccsb_escfilter *f, unsigned char *out)
{
	struct out o = { out, 0 };
	if (f->c2) {
		static const unsigned char c2 = 0xc2;
		f->c2 = false;
		token(f, &o, T_TEXT, 0xc2, &c2, 1);
	}
	switch ((enum state)f->state) {
	case GROUND:
		break;
	case OSC_PASS:
	case DCS_PASS:
	case DCS_HEX:
		close_string(f, &o);
		break;
	case ESC_:
		f->nhold = 0; /* a lone ESC at the very end */
		break;
	default:
		if (f->nhold)
			drop(f, CCSB_ESCF_MALFORMED);
		break;
	}
	f->nhold = 0;
	f->need = 0;
	f->str_esc = false;
	f->state = GROUND;
	return o.n;
}
