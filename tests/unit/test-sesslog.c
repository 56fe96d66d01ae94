/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A named session's event log (libccsandbox/sesslog.c): the line parser
 * `ccsb ps` and `ccsb events` use (strict JSON, strings decoded for a
 * terminal), the writer's bound (rotation to NAME.events.1 with the totals
 * carried over), the summary across a rotation, and the files' removal,
 * which must spare a newer session's file of the same name. */
#include "json.h"
#include "sesslog.h"
#include "tap.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int parse(const char *line, struct ccsb_evline *e)
{
	return ccsb__evline_parse(line, strlen(line), e);
}

/* No C0, DEL or C1 control and valid UTF-8: safe on a terminal. */
static bool display_safe(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	for (; *p; p++) {
		if (*p < 0x20 || *p == 0x7f)
			return false;
		if (*p == 0xc2 && p[1] >= 0x80 && p[1] < 0xa0)
			return false;
	}
	return true;
}

static void test_parse(void)
{
	struct ccsb_evline e;
	ok(parse("{\"v\":1,\"seq\":7,\"time\":\"2026-12-03T11:36:44.854Z\",\"event\":\"dns_refused\","
		 "\"name\":\"a.example\",\"qtype\":1}",
		 &e) == 0 &&
		   e.kind == CCSB_EV_DNS_REFUSED && e.seq == 7 &&
		   strcmp(e.f.name, "a.example") == 0 &&
		   strcmp(e.f.time, "2026-12-03T11:36:44.854Z") == 0,
	   "a dns_refused line: kind, seq, time, name");
	ok(parse(" { \"event\" : \"report\" , \"seq\" : 3 , \"source\":\"guard\", "
		 "\"text\":\"quarantined: x\", \"extra\":{\"a\":[1,2.5e3,{\"b\":null}],\"c\":true}} ",
		 &e) == 0 &&
		   e.kind == CCSB_EV_REPORT && strcmp(e.f.source, "guard") == 0 &&
		   strcmp(e.f.text, "quarantined: x") == 0,
	   "whitespace and unknown nested fields are skipped");
	ok(parse("{\"seq\":1,\"event\":\"ssh_agent\",\"action\":\"signed\",\"what\":\"ssh login\"}",
		 &e) == 0 &&
		   e.kind == CCSB_EV_SSH_AGENT && strcmp(e.f.action, "signed") == 0 &&
		   strcmp(e.f.text, "ssh login") == 0,
	   "ssh_agent: action and what");
	ok(parse("{\"seq\":2,\"event\":\"something_new\"}", &e) == 0 && e.kind == CCSB_EV_OTHER,
	   "an event of a later version counts as other");
	ok(parse("{\"seq\":9,\"event\":\"log_rotated\",\"lines\":9,\"counts\":{\"start\":1,"
		 "\"dns_refused\":8,\"future\":2}}",
		 &e) == 0 &&
		   e.kind == CCSB_EV_LOG_ROTATED && e.lines == 9 && e.counts[CCSB_EV_START] == 1 &&
		   e.counts[CCSB_EV_DNS_REFUSED] == 8 && e.counts[CCSB_EV_OTHER] == 2,
	   "log_rotated: lines and counts");
	ok(parse("{\"seq\":5,\"event\":\"exit\",\"status\":null}", &e) == 0 && !e.has_status,
	   "exit with a null status");
	ok(parse("{\"seq\":5,\"event\":\"exit\",\"status\":143}", &e) == 0 && e.has_status &&
		   e.status == 143,
	   "exit with a status");

	/* Escapes decoded; what a terminal would obey replaced. */
	ok(parse("{\"seq\":1,\"event\":\"dns_refused\",\"name\":\"a\\n\\u001b[2J\\u009b"
		 "\\\"q\\\\\\u00e9\\ud83d\\ude00\\udc00\"}",
		 &e) == 0 &&
		   strcmp(e.f.name, "a??[2J?\"q\\\xc3\xa9\xf0\x9f\x98\x80?") == 0,
	   "escapes decoded: newline, ESC, C1 and a lone surrogate become '?', the rest kept "
	   "(%s)",
	   e.f.name);
	ok(parse("{\"seq\":1,\"event\":\"dns_refused\",\"name\":\"x\xc2\x9by\"}", &e) == 0 &&
		   strcmp(e.f.name, "x?y") == 0,
	   "a raw C1 control in UTF-8 becomes '?'");
	char big[2000];
	snprintf(big, sizeof(big), "{\"seq\":1,\"event\":\"dns_refused\",\"name\":\"%0900d\"}", 0);
	ok(parse(big, &e) == 0 && strlen(e.f.name) == sizeof(e.f.name) - 1, "a long name is cut");
	snprintf(big, sizeof(big), "{\"seq\":1,\"event\":\"dns_refused\",\"name\":\"");
	size_t o = strlen(big);
	for (int i = 0; i < 200; i++)
		o += (size_t)snprintf(big + o, sizeof(big) - o, "\xc3\xa9");
	snprintf(big + o, sizeof(big) - o, "\"}");
	ok(parse(big, &e) == 0 && strlen(e.f.name) == 254 && display_safe(e.f.name),
	   "a name cut between characters, never inside one");

	/* What the reader must refuse. */
	static const char *const bad[] = {
		"",
		"[]",
		"{}",
		"{\"event\":\"start\"}",
		"{\"seq\":1}",
		"{\"seq\":-1,\"event\":\"start\"}",
		"{\"seq\":1.5,\"event\":\"start\"}",
		"{\"seq\":01,\"event\":\"start\"}",
		"{\"seq\":99999999999999999999,\"event\":\"start\"}",
		"{\"seq\":1,\"event\":\"start\"}x",
		"{\"seq\":1,\"event\":\"start\"}{\"seq\":2,\"event\":\"exit\"}",
		"{\"seq\":1,\"event\":\"start\",}",
		"{\"seq\":1,\"event\":\"start\"",
		"{\"seq\":1,\"event\":\"st\nart\"}",
		"{\"seq\":1,\"event\":\"st\\xart\"}",
		"{\"seq\":1,\"event\":\"st\\u12\"}",
		"{\"seq\":1,\"event\":\"st\xffrt\"}",
		"{\"seq\":1,\"event\":\"st\xc0\xafrt\"}",
		"{\"seq\":1,\"event\":\"start\",\"x\":tru}",
		"{\"seq\":1,\"event\":\"start\",\"x\":[1,]}",
		"{\"seq\":1,\"event\":\"start\",\"x\":-}",
		"{\"seq\":1,\"event\":\"start\",\"x\":1e}",
		"{\"seq\":1,\"event\":\"log_rotated\",\"counts\":{\"start\":-1}}",
		"{\"seq\":1,\"event\":\"start\" \"x\":1}",
		"{\"seq\":1,\"event\":\"start\",\"x\":\"unterminated}",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ok(parse(bad[i], &e) == -EINVAL, "refused: %s", bad[i]);
	/* Nested past the bound: refused, not a deep recursion. */
	char deep[200000];
	o = (size_t)snprintf(deep, sizeof(deep), "{\"seq\":1,\"event\":\"start\",\"x\":");
	for (int i = 0; i < 50000; i++)
		deep[o++] = '[';
	for (int i = 0; i < 50000; i++)
		deep[o++] = ']';
	deep[o++] = '}';
	deep[o] = '\0';
	ok(parse(deep, &e) == -EINVAL, "50000 nested arrays: refused");
	ok(ccsb__evline_parse("{\"seq\":1,\"event\":\"start\"}", 24, &e) == -EINVAL,
	   "a line cut short by its length is refused");

	/* Whatever the encoder writes, the parser reads back. */
	const char *names[] = { "plain.example", "q\"uote\\back", "nl\nand\ttab",
				"\xff\xfe bad",	 "\xc2\x9b csi",  "\xe2\x80\xa8 ls" };
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		char enc[CCSB_JSON_MAX(32)], line[400];
		size_t n = ccsb__json_escape(names[i], strlen(names[i]), enc);
		snprintf(line, sizeof(line),
			 "{\"v\":1,\"seq\":1,\"event\":\"dns_refused\",\"name\":%.*s}", (int)n,
			 enc);
		ok(parse(line, &e) == 0 && display_safe(e.f.name),
		   "the encoder's output of name %zu parses, display-safe (%s)", i, e.f.name);
	}

	char out[64];
	size_t n = ccsb__evline_safe("a\xc2\x9b"
				     "b\xc2\xa0",
				     6, out);
	out[n] = '\0';
	ok(strcmp(out, "a\\u009bb\xc2\xa0") == 0,
	   "a printed line: C1 written \\u009b, NBSP kept (%s)", out);
}

/* One dns_refused event through the writer, as events.c writes it. */
static void put(struct ccsb_sesslog *l, uint64_t seq, const char *type, const char *body)
{
	char head[160];
	int hn = snprintf(head, sizeof(head),
			  "{\"v\":1,\"seq\":%" PRIu64
			  ",\"time\":\"2026-12-03T11:36:44.854Z\",\"event\":\"%s\"",
			  seq, type);
	ccsb__sesslog_write(l, type, seq, "2026-12-03T11:36:44.854Z", head, (size_t)hn, body,
			    strlen(body));
}

static off_t size_of(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 ? st.st_size : -1;
}

static void test_log(void)
{
	char dir[] = "/tmp/test-sesslog.XXXXXX";
	if (!mkdtemp(dir))
		bail_out("mkdtemp");
	char path[256], old[256];
	snprintf(path, sizeof(path), "%s/s.events", dir);
	snprintf(old, sizeof(old), "%s/s.events.1", dir);
	/* Leftovers of a dead session of that name. */
	close(open(old, O_WRONLY | O_CREAT, 0600));
	close(open(path, O_WRONLY | O_CREAT, 0644));
	struct ccsb_sesslog *l = ccsb__sesslog_open(dir, "s");
	ok(l != NULL, "the log opens");
	if (!l)
		return;
	struct stat st;
	ok(stat(path, &st) == 0 && (st.st_mode & 07777) == 0600 && st.st_size == 0,
	   "NAME.events: new, empty, mode 0600");
	ok(access(old, F_OK) < 0, "a dead session's NAME.events.1 is removed");

	struct ccsb_sesslog_summary s;
	put(l, 1, "start", ",\"command\":[\"sh\"]");
	ok(ccsb__sesslog_summary(dir, "s", &s) == 0 && s.lines == 1 &&
		   s.counts[CCSB_EV_START] == 1 && s.kept == 1 && !s.exited,
	   "after the start: one line, the start");

	/* A name bound before the flood: rotated away, still shown. */
	put(l, 2, "name_bound", ",\"name\":\"early.example\",\"address\":\"198.18.0.2\"");
	/* A flood of refused names: ~300 bytes a line, 6000 lines (~1.8 MB). */
	const int N = 6000;
	off_t biggest = 0, total_max = 0;
	for (int i = 1; i <= N; i++) {
		char body[400];
		snprintf(body, sizeof(body), ",\"name\":\"%05d%0240d.flood.test\",\"qtype\":1", i,
			 0);
		put(l, (uint64_t)i + 2, "dns_refused", body);
		off_t a = size_of(path), b = size_of(old);
		biggest = a > biggest ? a : biggest;
		biggest = b > biggest ? b : biggest;
		off_t t = a + (b > 0 ? b : 0);
		total_max = t > total_max ? t : total_max;
	}
	put(l, N + 3, "name_bound", ",\"name\":\"ok.example\",\"address\":\"198.18.0.1\"");
	put(l, N + 4, "report", ",\"source\":\"guard\",\"text\":\"quarantined: x\"");
	put(l, N + 5, "exit", ",\"status\":0");
	ok(biggest <= CCSB_SESSLOG_MAX, "no file passes the bound (largest %lld)",
	   (long long)biggest);
	ok(total_max <= 2 * CCSB_SESSLOG_MAX, "both files together stay under twice it (%lld)",
	   (long long)total_max);
	ok(access(old, F_OK) == 0, "the flood rotated the log to NAME.events.1");

	FILE *f = fopen(path, "r");
	static char first[65536];
	first[0] = '\0';
	struct ccsb_evline e;
	if (f) {
		if (!fgets(first, sizeof(first), f))
			first[0] = '\0';
		fclose(f);
	}
	first[strcspn(first, "\n")] = '\0';
	ok(parse(first, &e) == 0 && e.kind == CCSB_EV_LOG_ROTATED && e.counts[CCSB_EV_START] == 1 &&
		   e.counts[CCSB_EV_NAME_BOUND] == 1 &&
		   e.counts[CCSB_EV_DNS_REFUSED] + 2 == e.lines && e.seq == e.lines &&
		   e.recent[CCSB_EV_DNS_REFUSED].n == CCSB_SESSLOG_LAST &&
		   e.recent[CCSB_EV_NAME_BOUND].n == 1 &&
		   strcmp(e.recent[CCSB_EV_NAME_BOUND].item[0], "11:36:44 early.example") == 0,
	   "the current file starts with log_rotated: the counts so far, seq of the last line "
	   "counted, the last few of each kind (%.300s)",
	   first);

	ok(ccsb__sesslog_summary(dir, "s", &s) == 0, "the summary reads");
	ok(s.counts[CCSB_EV_DNS_REFUSED] == (uint64_t)N && s.counts[CCSB_EV_START] == 1 &&
		   s.counts[CCSB_EV_NAME_BOUND] == 2 && s.counts[CCSB_EV_REPORT] == 1 &&
		   s.counts[CCSB_EV_EXIT] == 1,
	   "counts are whole across rotations: %" PRIu64 " refused", s.counts[CCSB_EV_DNS_REFUSED]);
	ok(s.lines == (uint64_t)N + 5 && s.kept < s.lines && s.kept > 0 && s.bad == 0,
	   "lines %" PRIu64 ", %" PRIu64 " kept, none unreadable", s.lines, s.kept);
	ok(s.refused.n == CCSB_SESSLOG_LAST &&
		   strstr(s.refused.item[CCSB_SESSLOG_LAST - 1], "06000") &&
		   strstr(s.refused.item[0], "05996") &&
		   strncmp(s.refused.item[0], "11:36:44 ", 9) == 0,
	   "the last refused names, oldest first, with their time (%.30s)", s.refused.item[0]);
	ok(s.bound.n == 2 && strcmp(s.bound.item[0], "11:36:44 early.example") == 0 &&
		   strcmp(s.bound.item[1], "11:36:44 ok.example") == 0 && s.reports.n == 1 &&
		   strcmp(s.reports.item[0], "11:36:44 guard: quarantined: x") == 0 && s.exited,
	   "the bound names (the first one from before the rotations), the report, the exit");

	/* A newer session of the same name made its own files meanwhile. */
	unlink(path);
	close(open(path, O_WRONLY | O_CREAT | O_EXCL, 0600));
	ccsb__sesslog_close(l);
	ok(access(path, F_OK) == 0, "closing spares a newer session's NAME.events");
	ok(access(old, F_OK) < 0, "... and removes its own NAME.events.1");
	unlink(path);

	l = ccsb__sesslog_open(dir, "s");
	put(l, 1, "start", "");
	ccsb__sesslog_close(l);
	ok(access(path, F_OK) < 0, "a session's end removes its NAME.events");
	ok(ccsb__sesslog_summary(dir, "s", &s) == 0 && s.lines == 0, "no file: an empty summary");

	/* Not a regular file of ours: refused, not waited on. */
	ok(mkfifo(path, 0600) == 0 && ccsb__sesslog_summary(dir, "s", &s) == -EPERM,
	   "a FIFO at NAME.events is refused without hanging");
	unlink(path);
	f = fopen(path, "w");
	if (f) {
		fputs("garbage\n{\"seq\":1,\"event\":\"dns_refused\",\"name\":\"n\"}\n{\"seq\":2,",
		      f);
		fclose(f);
	}
	ok(ccsb__sesslog_summary(dir, "s", &s) == 0 && s.bad == 1 && s.lines == 1 &&
		   s.counts[CCSB_EV_DNS_REFUSED] == 1,
	   "a broken line is counted apart; a partial last line is not read yet");
	unlink(path);
	rmdir(dir);
}

int main(void)
{
	test_parse();
	test_log();
	return done_testing();
}
