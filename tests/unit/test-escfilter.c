/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The terminal escape filter (libccsandbox/escfilter.c): what passes
 * byte for byte (text, screen control, the queries TUIs send), what is
 * dropped (clipboard, answers with chosen text, state beyond the screen),
 * and that the result is the same however the input is split. */
#include "escfilter.h"
#include "tap.h"

#include <stdlib.h>
#include <string.h>

#define L(s) s, sizeof(s) - 1

static unsigned char out[1 << 20];

/* The whole input at once, then finish. */
static size_t whole(unsigned flags, const char *in, size_t n, unsigned char *o,
		    struct ccsb_escfilter *f)
{
	ccsb__escf_init(f, flags);
	size_t k = ccsb__escf_run(f, (const unsigned char *)in, n, o);
	return k + ccsb__escf_finish(f, o + k);
}

/* In pieces of `step` bytes, or split at `at` when step is 0. */
static size_t pieces(unsigned flags, const char *in, size_t n, size_t step, size_t at,
		     unsigned char *o)
{
	struct ccsb_escfilter f;
	ccsb__escf_init(&f, flags);
	size_t k = 0;
	if (step) {
		for (size_t i = 0; i < n; i += step)
			k += ccsb__escf_run(&f, (const unsigned char *)in + i,
					    n - i < step ? n - i : step, o + k);
	} else {
		k += ccsb__escf_run(&f, (const unsigned char *)in, at, o + k);
		k += ccsb__escf_run(&f, (const unsigned char *)in + at, n - at, o + k);
	}
	return k + ccsb__escf_finish(&f, o + k);
}

static char *show(const unsigned char *p, size_t n)
{
	static char buf[4][1024];
	static int w;
	char *b = buf[w++ % 4];
	size_t k = 0;
	for (size_t i = 0; i < n && k < sizeof(buf[0]) - 8; i++) {
		unsigned char c = p[i];
		if (c == 0x1b)
			k += (size_t)snprintf(b + k, 8, "\\e");
		else if (c < 0x20 || c >= 0x7f)
			k += (size_t)snprintf(b + k, 8, "\\x%02x", c);
		else
			b[k++] = (char)c;
	}
	b[k] = '\0';
	return b;
}

static unsigned long last_dropped[CCSB_ESCF_NKINDS];

/* Filter `in` and compare with `want`, then check that every split gives
 * the same bytes, and that filtering the result again changes nothing. */
static void gives(unsigned flags, const char *in, size_t n, const char *want, size_t nwant,
		  const char *desc)
{
	struct ccsb_escfilter f;
	size_t k = whole(flags, in, n, out, &f);
	memcpy(last_dropped, f.dropped, sizeof(last_dropped));
	bool same = k == nwant && memcmp(out, want, nwant) == 0;
	ok(same, "%s", desc);
	if (!same)
		diag("in '%s': got '%s', want '%s'", show((const unsigned char *)in, n),
		     show(out, k), show((const unsigned char *)want, nwant));
	unsigned char *ref = malloc(k + 1), *o2 = malloc(n + 2 * CCSB_ESCF_SLACK + 16);
	if (!ref || !o2)
		bail_out("out of memory");
	memcpy(ref, out, k);
	bool splits = pieces(flags, in, n, 1, 0, o2) == k && memcmp(o2, ref, k) == 0;
	/* Every split point of short inputs; of long ones, the first and last
	 * hundred. */
	for (size_t at = 0; splits && at <= n; at = n > 2000 && at == 100 ? n - 100 : at + 1)
		splits = pieces(flags, in, n, 0, at, o2) == k && memcmp(o2, ref, k) == 0;
	ok(splits, "%s: the same byte by byte and split anywhere", desc);
	struct ccsb_escfilter g;
	size_t k2 = whole(flags, (const char *)ref, k, o2, &g);
	ok(k2 == k && memcmp(o2, ref, k) == 0 && ccsb__escf_dropped(&g) == 0,
	   "%s: its output passes unchanged", desc);
	free(ref);
	free(o2);
}

#define PASS(in) gives(0, L(in), L(in), "passes: " #in)
#define PASSF(fl, in) gives(fl, L(in), L(in), "passes (flags " #fl "): " #in)
#define GIVES(in, want) gives(0, L(in), L(want), #in " -> " #want)
#define GIVESF(fl, in, want) gives(fl, L(in), L(want), "(flags " #fl ") " #in " -> " #want)
#define DROPS(in) gives(0, L(in), "", 0, "dropped: " #in)
#define DROPSF(fl, in) gives(fl, L(in), "", 0, "dropped (flags " #fl "): " #in)

static void test_text(void)
{
	PASS("hello, world\r\n\ttab\bback\a");
	PASS("h\xc3\xa9llo \xe2\x9c\xb3 \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x8e\x89 \xc2\xa9");
	PASS("\x00\x01\x7f nul and del");
	/* Invalid UTF-8 is the terminal's business: replacement characters. */
	PASS("\xff\xfe\xc0\xaf\xed\xa0\x80\xf4\xa0\x80\x80\xa0\xbf");
	/* ... except that a byte 0x80-0x9f that continues no character is a C1
	 * control: here 0x90, a DCS, cut short by the C1 0x80. */
	GIVES("\xf4\x90\x80\x80\xa0\xbf", "\xf4\x80\x80\xa0\xbf");
	PASS("\xe2\x9c"); /* truncated at the end */
	PASS("\xc2");	  /* a lone 0xc2 at the end is a character's start */
	PASS("\xc2\xa0\xc2\xbf\xc2"
	     "A");
}

static void test_screen(void)
{
	PASS("\x1b[0;1;3;4;38;2;255;0;0;48;5;17mred\x1b[m");
	PASS("\x1b[H\x1b[2J\x1b[3J\x1b[10;20H\x1b[K\x1b[1A\x1b[5C\x1b[?25l\x1b[?25h");
	PASS("\x1b[?1049h\x1b[?1049l\x1b[?47h\x1b[?1047l");
	PASS("\x1b[?2004h\x1b[?2004l");				   /* bracketed paste */
	PASS("\x1b[?1000h\x1b[?1002h\x1b[?1006h\x1b[?1000;1006l"); /* mouse */
	PASS("\x1b[?1004h\x1b[?2026h\x1b[?2026l");		   /* focus, synchronized output */
	PASS("\x1b[c\x1b[0c\x1b[>c\x1b[>0c\x1b[=c");		   /* DA1, DA2, DA3 */
	PASS("\x1b[5n\x1b[6n\x1b[?6n");				   /* DSR, CPR */
	PASS("\x1b[?u\x1b[>1u\x1b[>31u\x1b[<u\x1b[=1;1u");	   /* kitty keyboard */
	PASS("\x1b[>0q\x1b[>q");				   /* XTVERSION */
	PASS("\x1b[2 q\x1b[0 q");				   /* DECSCUSR */
	PASS("\x1b[?2026$p\x1b[4$p");				   /* DECRQM */
	PASS("\x1b[22;0t\x1b[22;2t\x1b[23;0t\x1b[23;2t");	   /* title stack (vim) */
	PASS("\x1b[14t\x1b[16t\x1b[18t\x1b[19t\x1b[11t\x1b[13t\x1b[15t"); /* size reports */
	PASS("\x1b[>4;2m\x1b[>4m\x1b[>1;2t"); /* modifyOtherKeys, title modes */
	PASS("\x1b"
	     "7\x1b"
	     "8\x1b(B\x1b)0\x1b=\x1b>\x1b"
	     "c\x1b#8\x1bM\x1b"
	     "D\x1b"
	     "E\x1bH");
	PASS("\x1b[1;24r\x1b[4h\x1b[4l\x1b[!p\x1b[?5W\x1b[3g");
	PASS("\x1b\\");				/* a stray ST */
	PASS("\x1b[1:2:3m\x1b[38:2::255:0:0m"); /* colon subparameters */
	/* C0 controls inside a CSI are executed where they stand: the same,
	 * moved before the sequence. */
	GIVES("\x1b[3\n1m", "\n\x1b[31m");
	GIVES("\x1b[3\x7f"
	      "1m",
	      "\x1b[31m");
	GIVES("\x1b\x1b[31m", "\x1b[31m"); /* ESC ESC: the first is cancelled */
	GIVES("\x1b[31\x18x", "\x18x");	   /* CAN aborts */
	GIVES("\x1b\x1a", "\x1a");
	GIVES("a\x1b\n[b", "a\n\x1b[b"); /* ESC, LF, '[' ... */
}

static void test_osc(void)
{
	PASS("\x1b]0;title\x07");
	PASS("\x1b]2;\xe2\x9c\xb3 Claude Code\x1b\\"); /* 0x9c inside U+2733 is not ST */
	PASS("\x1b]1;icon\x07");
	PASS("\x1b]8;;https://example.com/\x1b\\link\x1b]8;;\x1b\\");
	PASS("\x1b]8;id=1;file:///tmp/x\x07text\x1b]8;;\x07");
	PASS("\x1b]7;file://host/home/claude\x07");
	PASS("\x1b]133;A\x07\x1b]133;D;0\x07\x1b]633;E;ls\x07");
	PASS("\x1b]10;?\x07\x1b]11;?\x1b\\\x1b]12;?\x07\x1b]10;?;?\x07");
	PASS("\x1b]4;1;?\x07\x1b]4;1;?;2;?\x1b\\\x1b]5;0;?\x07");
	PASS("\x1b]104\x07\x1b]104;1;2\x07\x1b]110\x07\x1b]111\x1b\\\x1b]112\x07\x1b]119\x07");
	PASS("\x1b]9;Build finished\x07\x1b]9;12 tests\x07\x1b]9;\x07");
	PASS("\x1b]9;4;1;50\x07\x1b]9;4;0\x1b\\\x1b]9;9;/home/claude\x07");
	PASS("\x1b]777;notify;Claude;done\x07\x1b]99;;hello\x1b\\\x1b]22;pointer\x07");
	/* Long titles stream through: nothing is held. */
	static char longt[20000];
	memset(longt, 'x', sizeof(longt));
	memcpy(longt, "\x1b]2;", 4);
	longt[sizeof(longt) - 1] = '\x07';
	gives(0, longt, sizeof(longt), longt, sizeof(longt), "a 20000-byte title passes");
	/* Content is sanitized; the terminator is one the terminal cannot
	 * read differently. */
	GIVES("\x1b]0;a\nb\rc\x7f"
	      "d\x07",
	      "\x1b]0;abcd\x07");
	GIVES("\x1b]0;ti\x1b[31mred", "\x1b]0;ti\x1b\\\x1b[31mred");
	GIVES("\x1b]0;ti\x18x", "\x1b]0;ti\x18x");
	GIVES("\x1b]0;ti\xc2\x9cx", "\x1b]0;ti\x1b\\x");
	GIVES("\x1b]0;ti\xc2\x9b"
	      "31m",
	      "\x1b]0;ti\x1b\\\xc2\x9b"
	      "31m");
	GIVES("\x1b]0;unterminated", "\x1b]0;unterminated\x1b\\");
	GIVES("\xc2\x9d"
	      "0;c1 title\xc2\x9c",
	      "\xc2\x9d"
	      "0;c1 title\x1b\\");
}

static void test_clipboard(void)
{
	DROPS("\x1b]52;c;aGVsbG8=\x07");
	DROPS("\x1b]52;c;aGVsbG8=\x1b\\");
	DROPS("\x1b]52;;aGVsbG8=\x07");
	DROPS("\x1b]52;c;?\x07");
	DROPS("\x9d"
	      "52;c;aGk=\x9c");
	DROPS("\xc2\x9d"
	      "52;c;aGk=\xc2\x9c");
	DROPS("\xc2\x9d"
	      "52;c;aGk=\x07");
	is_int((int)last_dropped[CCSB_ESCF_CLIPBOARD], 1, "counted as a clipboard write");
	GIVES("a\x1b]52;c;eA==\x07"
	      "b",
	      "ab");
	GIVES("a\x1b]52;c;eA==\x1b[1mb", "a\x1b[1mb");
	GIVES("a\x1b]52;c;eA==\x18"
	      "b",
	      "a\x18"
	      "b");
	GIVES("\x1b]52;c;eA==", "");
	static char big[100000];
	memset(big, 'A', sizeof(big));
	memcpy(big, "\x1b]52;c;", 7);
	big[sizeof(big) - 1] = '\x07';
	gives(0, big, sizeof(big), "", 0, "a 100000-byte clipboard write is dropped");
	gives(CCSB_ESCF_ALLOW_CLIPBOARD, big, sizeof(big), big, sizeof(big),
	      "... and passes when allowed");
	PASSF(CCSB_ESCF_ALLOW_CLIPBOARD, "\x1b]52;c;aGVsbG8=\x07");
	PASSF(CCSB_ESCF_ALLOW_CLIPBOARD, "\x1b]52;;aGVsbG8=\x1b\\");
	PASSF(CCSB_ESCF_ALLOW_CLIPBOARD, "\x1b]52;cp;aGk=\x07");
	/* A query would type the user's clipboard into the sandbox. */
	DROPSF(CCSB_ESCF_ALLOW_CLIPBOARD, "\x1b]52;c;?\x07");
	is_int((int)last_dropped[CCSB_ESCF_CLIPREAD], 1, "counted as a clipboard read");
	DROPSF(CCSB_ESCF_ALLOW_CLIPBOARD, "\x1b]52;c\x07");
	DROPSF(CCSB_ESCF_ALLOW_CLIPBOARD, "\x1b]52;c;\x07");
}

static void test_dropped(void)
{
	/* Answers with chosen text, window state. */
	DROPS("\x1b[21t");
	DROPS("\x1b[20t");
	is_int((int)last_dropped[CCSB_ESCF_WINOPS], 1, "counted as a window op");
	DROPS("\x1b[8;1;1t");
	DROPS("\x1b[3;0;0t");
	DROPS("\x1b[4;1;1t");
	DROPS("\x1b[1t\x1b[2t\x1b[5t\x1b[6t\x1b[7t\x1b[9;1t\x1b[10;1t\x1b[24t\x1b[t");
	DROPS("\xc2\x9b"
	      "21t");
	DROPS("\x9b"
	      "21t");
	DROPS("\x1bP$qm\x1b\\"); /* DECRQSS */
	DROPS("\x1bP$q\"p\x1b\\");
	DROPS("\x1bP1;1|17/616263\x1b\\"); /* DECUDK */
	/* tmux passthrough: the DCS ends at the doubled ESC for the filter;
	 * the terminal sees only the final stray ST. */
	GIVES("\x1bPtmux;\x1b\x1b]52;c;eA==\x07\x1b\\", "\x1b\\");
	DROPS("\x1bP@kitty-cmd{\"cmd\":\"launch\"}\x1b\\");
	DROPS("\x1bP1;1;1{ @\x1b\\");			 /* soft font */
	DROPS("\x1b_Gf=100,t=f;L2V0Yy9wYXNzd2Q=\x1b\\"); /* kitty graphics from a file */
	is_int((int)last_dropped[CCSB_ESCF_APC], 1, "counted as APC");
	DROPS("\x1b^privacy\x1b\\\x1bXstring\x1b\\\x9f"
	      "apc\x9c");
	DROPS("\x1b]50;?\x07\x1b]50;fixed\x07"); /* fonts */
	DROPS("\x1b]1337;File=name=eA==;inline=0:aGk=\x07");
	DROPS("\x1b]1337;Copy=:aGk=\x07");
	DROPS("\x1b]4;1;#ff0000\x07");
	is_int((int)last_dropped[CCSB_ESCF_COLORS], 1, "counted as a color change");
	DROPS("\x1b]4;1;?;2;#ffffff\x07");
	DROPS("\x1b]11;#000000\x07\x1b]10;red;?\x07\x1b]12;blue\x1b\\");
	DROPS("\x1b]46;/tmp/log\x07\x1b]3;WM_NAME=x\x07\x1b]5113;ac=send\x07\x1b]5522;type=read\x07");
	DROPS("\x1b]9;6;macro\x07\x1b]9;7;cmd\x07\x1b]9;2;box\x07");
	DROPS("\x1b]L;label\x07\x1b];x\x07");
	DROPS("\x1b[5i\x1b[4i\x1b[?5i\x1b[i");	/* media copy */
	DROPS("\x1b[1;1;1;1;1;1*y");		/* DECRQCRA */
	DROPS("\x1b[?46h\x1b[?1;46h\x1b[?46l"); /* xterm log file */
	/* Malformed, or longer than anything legitimate. */
	DROPS("\x1b[1?h\x1b[?1?h\x1b[1$2q");
	static char longcsi[3000];
	memset(longcsi, '1', sizeof(longcsi));
	memcpy(longcsi, "\x1b[", 2);
	longcsi[sizeof(longcsi) - 1] = 'm';
	gives(0, longcsi, sizeof(longcsi), "", 0, "a 3000-byte CSI is dropped");
	is_int((int)last_dropped[CCSB_ESCF_MALFORMED], 1, "... counted once");
	GIVES("\x1b[1\xc3\xa9m", "\xc3\xa9m"); /* a character inside a CSI */
	/* What follows a dropped sequence is read from ground on both sides. */
	GIVES("x\x1b[21ty\x1b]52;c;eA==\x07z\x1b_G;\x1b\\w", "xyzw");
	GIVES("\x1b]52;c;eA==\x1b]0;t\x07", "\x1b]0;t\x07");
	GIVES("\x1bP$qm\x1b[1m", "\x1b[1m");
}

static void test_c1(void)
{
	/* Encoded and 8-bit C1 controls count as their 7-bit forms. */
	PASS("\xc2\x9b"
	     "31mx\xc2\x9b"
	     "0m");
	PASS("\x9b"
	     "31m");
	PASS("\xc2\x84\xc2\x85\xc2\x8d\xc2\x9c"); /* IND NEL RI ST */
	/* An overlong form is not U+009B: E0 is a broken character, 0x82 a
	 * raw C1, and 0x9b a raw CSI that is parsed like any. */
	GIVES("\xe0\x82\x9b"
	      "21t",
	      "\xe0\x82");
	GIVES("\xe0\x82\x9b"
	      "2m",
	      "\xe0\x82\x9b"
	      "2m");
	/* In UTF-8, C3 9B is a character; in an 8-bit terminal, 9B is CSI. */
	PASS("\xc3\x9b"
	     "21t");
	GIVESF(CCSB_ESCF_8BIT,
	       "\xc3\x9b"
	       "21t",
	       "\xc3");
	GIVESF(CCSB_ESCF_8BIT,
	       "\xe2\x9d"
	       "52;c;eA==\x07ok",
	       "\xe2ok");
	PASSF(CCSB_ESCF_8BIT, "caf\xe9 \x9b"
			      "1m\xa0");
	GIVES("\x1b]52;c;eA==\xc2\x9c"
	      "after",
	      "after");
	GIVES("\xc2\x90$qm\xc2\x9c"
	      "after",
	      "after");
	GIVES("\xc2\x98sos\xc2\x9c\xc2\x9epm\xc2\x9c\xc2\x9f"
	      "apc\xc2\x9cok",
	      "ok");
}

static void test_dcs_passed(void)
{
	PASS("\x1bPq#0;2;0;0;0#0~~@@vv@@~~@@~~$-\x1b\\"); /* sixel */
	PASS("\x1bP0;1;0q\"1;1;10;10#0!10~\x1b\\");
	PASS("\x1bP=1s\x1b\\\x1bP=2s\x1b\\");			  /* synchronized update */
	PASS("\x1bP+q544e;524742\x1b\\");			  /* XTGETTCAP */
	PASS("\x1bPzz\x1b\\");					  /* vim's DCS probe */
	DROPS("\x1bP1!zmacro\x1b\\\x1bP1*z\x1b\\\x1bP1z\x1b\\");  /* DECDMAC, DECINVM */
	DROPS("\x1bP+p544e=1\x1b\\\x1bP1$p\x1b\\\x1bP1$t\x1b\\"); /* XTSETTCAP, DECRSTS, DECRSPS */
	GIVES("\x1bP+q54\x1b]4e\x1b\\", "\x1bP+q54\x1b\\");	  /* cut by an OSC... */
	GIVES("\x1bP+q54zz4e\x1b\\", "\x1bP+q544e\x1b\\");	  /* hex only */
	GIVES("\x1bPq#0\n~\x1b\\", "\x1bPq#0~\x1b\\");
	GIVES("\x1bPq#0", "\x1bPq#0\x1b\\"); /* closed at the end */
}

static void test_finish_and_counts(void)
{
	GIVES("\x1b[3", "");
	GIVES("\x1b]52;c", "");
	GIVES("\x1b", "");
	GIVES("ok\x1b]0", "ok");
	struct ccsb_escfilter f;
	whole(0, L("\x1b]52;c;eA==\x07\x1b[21t\x1b_G\x1b\\\x1bP$qm\x1b\\\x1b]50;?\x07"), out, &f);
	is_int((int)ccsb__escf_dropped(&f), 5, "five dropped in all");
	ok(f.dropped[CCSB_ESCF_CLIPBOARD] == 1 && f.dropped[CCSB_ESCF_WINOPS] == 1 &&
		   f.dropped[CCSB_ESCF_APC] == 1 && f.dropped[CCSB_ESCF_DCS] == 1 &&
		   f.dropped[CCSB_ESCF_OSC] == 1,
	   "one of each kind");
	/* The state is bounded and a run writes at most n + SLACK. */
	ok(sizeof(struct ccsb_escfilter) < CCSB_ESCF_HOLD + 256, "bounded state (%zu bytes)",
	   sizeof(struct ccsb_escfilter));
	static char held[CCSB_ESCF_HOLD];
	memset(held, '?', sizeof(held));
	memcpy(held, "\x1b]10;", 5);
	ccsb__escf_init(&f, 0);
	size_t k = ccsb__escf_run(&f, (const unsigned char *)held, 400, out);
	is_int((int)k, 0, "a color query is held while undecided");
	k = ccsb__escf_run(&f, (const unsigned char *)"\x1b[1m", 4, out);
	ok(k <= 4 + CCSB_ESCF_SLACK, "output within n + CCSB_ESCF_SLACK (%zu)", k);
}

static void test_locale(void)
{
	is_int((int)ccsb__escf_locale_flags(NULL, NULL, NULL), 0, "no locale: UTF-8 assumed");
	is_int((int)ccsb__escf_locale_flags(NULL, NULL, "C"), 0, "C: UTF-8 assumed");
	is_int((int)ccsb__escf_locale_flags(NULL, NULL, "en_US.UTF-8"), 0, "en_US.UTF-8");
	is_int((int)ccsb__escf_locale_flags(NULL, NULL, "de_DE.utf8@euro"), 0, "de_DE.utf8@euro");
	is_int((int)ccsb__escf_locale_flags(NULL, NULL, "en_US.ISO-8859-1"), CCSB_ESCF_8BIT,
	       "en_US.ISO-8859-1: 8-bit controls");
	is_int((int)ccsb__escf_locale_flags("C.UTF-8", NULL, "en_US.ISO-8859-1"), 0,
	       "LC_ALL first");
	is_int((int)ccsb__escf_locale_flags("", "fr_FR.ISO-8859-15", "C.UTF-8"), CCSB_ESCF_8BIT,
	       "then LC_CTYPE");
}

int main(void)
{
	test_text();
	test_screen();
	test_osc();
	test_clipboard();
	test_dropped();
	test_c1();
	test_dcs_passed();
	test_finish_and_counts();
	test_locale();
	return done_testing();
}
