// SPDX-License-Identifier: GPL-2.0
/*
 * swapcachectl's pure parts: the status-line parser (every key the admin
 * guide lists, keys a later module appends, and each way a line can be
 * wrong), the units, the JSON and Prometheus escaping, and the command
 * line's values.
 */
#include <errno.h>
#include <linux/fiemap.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "harness.h"

#define LINE "cache_pages=324/65536 read_hits=7 read_misses=1076 written=324 " \
	     "evicted=2 invalidated=3 ssd_errors=1 state=cleaning " \
	     "burst=recovering mode=degraded"

static void test_status(void)
{
	static const char *const bad[] = {
		"",					/* nothing */
		"cache_pages=1/2",			/* keys missing */
		LINE " written=5",			/* repeated */
		"cache_pages=3/2 read_hits=0 read_misses=0 written=0 evicted=0 "
		"invalidated=0 ssd_errors=0 state=writing burst=bursting "
		"mode=ok",				/* used > total */
		"cache_pages=12 read_hits=7",		/* no total */
		LINE " junk",				/* not key=value */
		LINE " =5",				/* no key */
	};
	struct sc_status st;
	char err[128];
	unsigned int i;

	CHECK(!sc_status_parse(LINE, &st, err, sizeof(err)), "%s", err);
	CHECK(st.used == 324 && st.total == 65536, "%lu/%lu",
	      (unsigned long)st.used, (unsigned long)st.total);
	CHECK(st.read_hits == 7 && st.read_misses == 1076 && st.written == 324 &&
	      st.evicted == 2 && st.invalidated == 3 && st.ssd_errors == 1,
	      "counters");
	CHECK(!strcmp(st.state, "cleaning") && !strcmp(st.burst, "recovering") &&
	      !strcmp(st.mode, "degraded"), "words");
	CHECK(!st.extra[0], "extra '%s'", st.extra);

	CHECK(!st.has_restored, "restored= found in a line without it");

	/* A later module appends keys: kept, not refused. */
	CHECK(!sc_status_parse(LINE " restored=12 future=x", &st, err,
			       sizeof(err)), "%s", err);
	CHECK(st.has_restored && st.restored == 12, "restored %d %lu",
	      st.has_restored, (unsigned long)st.restored);
	CHECK(!strcmp(st.extra, "future=x"), "extra '%s'", st.extra);
	CHECK(sc_status_parse(LINE " restored=x", &st, err, sizeof(err)) ==
	      -EINVAL, "restored=x accepted");
	CHECK(sc_status_parse(LINE " restored=1 restored=2", &st, err,
			      sizeof(err)) == -EINVAL, "restored twice accepted");

	for (i = 0; i < ARRAY_SIZE(bad); i++)
		CHECK(sc_status_parse(bad[i], &st, err, sizeof(err)) == -EINVAL,
		      "accepted '%s'", bad[i]);
	/* Malformed values. */
	CHECK(sc_status_parse("cache_pages=1/2 read_hits=x read_misses=1 written=1 evicted=1 invalidated=1 ssd_errors=1 state=writing burst=bursting mode=ok",
			      &st, err, sizeof(err)) == -EINVAL, "read_hits=x");
	/* A later module's new state, burst or mode: kept as it is. */
	CHECK(!sc_status_parse("cache_pages=1/2 read_hits=1 read_misses=1 written=1 evicted=1 invalidated=1 ssd_errors=1 state=idle burst=paused mode=read-only",
			       &st, err, sizeof(err)), "%s", err);
	CHECK(!strcmp(st.state, "idle") && !strcmp(st.burst, "paused") &&
	      !strcmp(st.mode, "read-only"), "words '%s' '%s' '%s'", st.state,
	      st.burst, st.mode);
	CHECK(sc_status_parse("cache_pages=1/2 read_hits=1 read_misses=1 written=1 evicted=1 invalidated=1 ssd_errors=1 state=0123456789012345678901234567890123456789 burst=bursting mode=ok",
			      &st, err, sizeof(err)) == -EINVAL, "a 40-byte state");
	CHECK(strstr(err, "state=0123") != NULL, "err '%s'", err);
	CHECK(sc_status_parse("cache_pages=1/2 read_hits=1 read_misses=1 written=1 evicted=1 invalidated=1 ssd_errors=1 state= burst=bursting mode=ok",
			      &st, err, sizeof(err)) == -EINVAL, "an empty state");
	CHECK(sc_status_parse("cache_pages=1/2 read_hits=1 read_misses=1 written=1 evicted=1 invalidated=1 ssd_errors=18446744073709551616 state=writing burst=bursting mode=ok",
			      &st, err, sizeof(err)) == -EINVAL, "2^64");
	CHECK(!sc_status_parse("cache_pages=1/2 read_hits=1 read_misses=1 written=1 evicted=1 invalidated=1 ssd_errors=18446744073709551615 state=writing burst=bursting mode=ok",
			       &st, err, sizeof(err)) && st.ssd_errors == UINT64_MAX,
	      "2^64 - 1");
}

/* Rates between two readings; a reloaded target's counters start over. */
static void test_rates(void)
{
	struct sc_status a, b;
	struct sc_rates r;
	char err[128];

	CHECK(!sc_status_parse(LINE, &a, err, sizeof(err)), "%s", err);
	b = a;
	b.read_hits += 30;
	b.read_misses += 10;
	b.written += 5;
	b.evicted += 4;
	CHECK(sc_status_rates(&a, &b, 2, &r), "growing counters refused");
	CHECK(r.reads == 20 && r.hit_percent == 75 &&
	      r.write_bytes == 5 * 4096 / 2.0 && r.evictions == 2,
	      "%g reads/s, %g%%, %g B/s, %g evictions/s", r.reads,
	      r.hit_percent, r.write_bytes, r.evictions);
	CHECK(sc_status_rates(&a, &a, 1, &r) && isnan(r.hit_percent) &&
	      r.reads == 0, "no reads: %g%%", r.hit_percent);
	/* Reloaded: each counter, alone, going down ends the interval. */
	b = a;
	b.read_hits = 0;
	CHECK(!sc_status_rates(&a, &b, 1, &r), "read_hits went down: %g reads/s",
	      r.reads);
	b = a;
	b.read_misses = 5;
	CHECK(!sc_status_rates(&a, &b, 1, &r), "read_misses went down");
	b = a;
	b.written = 0;
	CHECK(!sc_status_rates(&a, &b, 1, &r), "written went down: %g B/s",
	      r.write_bytes);
	b = a;
	b.evicted = 1;
	CHECK(!sc_status_rates(&a, &b, 1, &r), "evicted went down");
	b = a;
	b.invalidated = 0;
	CHECK(!sc_status_rates(&a, &b, 1, &r), "invalidated went down");
	b = a;
	b.ssd_errors = 0;
	CHECK(!sc_status_rates(&a, &b, 1, &r), "ssd_errors went down");
}

static void test_units(void)
{
	char b[32];

	sc_fmt_bytes(b, sizeof(b), 0);
	CHECK(!strcmp(b, "0 B"), "%s", b);
	sc_fmt_bytes(b, sizeof(b), 1023);
	CHECK(!strcmp(b, "1023 B"), "%s", b);
	sc_fmt_bytes(b, sizeof(b), 1536);
	CHECK(!strcmp(b, "1.5 KiB"), "%s", b);
	sc_fmt_bytes(b, sizeof(b), 256.0 * 1024 * 1024);
	CHECK(!strcmp(b, "256.0 MiB"), "%s", b);
	sc_fmt_bytes(b, sizeof(b), 4e18);
	CHECK(!strcmp(b, "3552.7 PiB"), "%s", b);
	sc_fmt_rate(b, sizeof(b), 100000);
	CHECK(!strcmp(b, "100.0 kB/s"), "%s", b);
	sc_fmt_rate(b, sizeof(b), 12.3e6);
	CHECK(!strcmp(b, "12.3 MB/s"), "%s", b);
	sc_fmt_rate(b, sizeof(b), 2e9);
	CHECK(!strcmp(b, "2.0 GB/s"), "%s", b);
	sc_fmt_duration(b, sizeof(b), 59.4);
	CHECK(!strcmp(b, "59s"), "%s", b);
	sc_fmt_duration(b, sizeof(b), 125);
	CHECK(!strcmp(b, "2m 05s"), "%s", b);
	sc_fmt_duration(b, sizeof(b), 7500);
	CHECK(!strcmp(b, "2h 05m"), "%s", b);
	sc_fmt_duration(b, sizeof(b), 90000);
	CHECK(!strcmp(b, "1d 01h"), "%s", b);
	sc_fmt_duration(b, sizeof(b), INFINITY);
	CHECK(!strcmp(b, "never"), "%s", b);
	sc_fmt_duration(b, sizeof(b), -1);
	CHECK(!strcmp(b, "never"), "%s", b);
}

/* What an escaper writes for @s, through a memory stream. */
static char *escaped(void (*fn)(FILE *, const char *), const char *s)
{
	static char buf[256];
	FILE *f = fmemopen(buf, sizeof(buf), "w");

	fn(f, s);
	fclose(f);
	return buf;
}

static void test_escaping(void)
{
	char *s;

	s = escaped(sc_json_string, "a\"b\\c\nd\te\x01" "f\x7f");
	CHECK(!strcmp(s, "\"a\\\"b\\\\c\\nd\\te\\u0001f\x7f\""), "%s", s);
	s = escaped(sc_json_string, "");
	CHECK(!strcmp(s, "\"\""), "%s", s);
	s = escaped(sc_prom_label, "a\"b\\c\nd\te");
	CHECK(!strcmp(s, "\"a\\\"b\\\\c\\nd\te\""), "%s", s);

	/*
	 * Both formats are UTF-8: valid sequences pass as they are, each
	 * byte of an invalid one (a stray byte, a cut sequence, an overlong
	 * form, a surrogate, past U+10FFFF) becomes U+FFFD.
	 */
#define FFFD "\xef\xbf\xbd"
	s = escaped(sc_json_string, "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80");
	CHECK(!strcmp(s, "\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\""), "%s", s);
	s = escaped(sc_json_string, "a\xff" "b\xe2\x82");
	CHECK(!strcmp(s, "\"a" FFFD "b" FFFD FFFD "\""), "%s", s);
	s = escaped(sc_json_string, "\xc0\xaf\xed\xa0\x80\xf4\x90\x80\x80");
	CHECK(!strcmp(s, "\"" FFFD FFFD FFFD FFFD FFFD FFFD FFFD FFFD FFFD "\""), "%s", s);
	s = escaped(sc_prom_label, "x\x80y\xc3\xa9");
	CHECK(!strcmp(s, "\"x" FFFD "y\xc3\xa9\""), "%s", s);
#undef FFFD

	/* dmsetup command lines for a shell: names quoted where needed. */
	s = escaped(sc_shell_word, "data-1.home_2+x:y");
	CHECK(!strcmp(s, "data-1.home_2+x:y"), "%s", s);
	s = escaped(sc_shell_word, "a b$(reboot)'c;");
	CHECK(!strcmp(s, "'a b$(reboot)'\\''c;'"), "%s", s);
	s = escaped(sc_shell_word, "");
	CHECK(!strcmp(s, "''"), "%s", s);
}

static void test_args(void)
{
	static const char *const bad_intervals[] = {
		"", "0", "0.05", "-1", "1e3", "abc", "1s", "86401", " 1", "0x10",
	};
	static const char *const bad_counts[] = {
		"", "0", "-1", "1.5", "x", "99999999999999999999", "+3",
	};
	enum sc_tunable id;
	const char *value;
	char err[128];
	unsigned int i;
	double sec;
	long n;

	CHECK(!sc_parse_interval("1", &sec) && sec == 1, "1");
	CHECK(!sc_parse_interval("0.5", &sec) && sec == 0.5, "0.5");
	CHECK(!sc_parse_interval("86400", &sec), "86400");
	for (i = 0; i < ARRAY_SIZE(bad_intervals); i++)
		CHECK(sc_parse_interval(bad_intervals[i], &sec) == -EINVAL,
		      "interval '%s' accepted", bad_intervals[i]);
	CHECK(!sc_parse_count("3", &n) && n == 3, "3");
	for (i = 0; i < ARRAY_SIZE(bad_counts); i++)
		CHECK(sc_parse_count(bad_counts[i], &n) == -EINVAL,
		      "count '%s' accepted", bad_counts[i]);

	CHECK(!sc_parse_assignment("maxswappct=80", &id, &value, err,
				   sizeof(err)) &&
	      id == SC_MAXSWAPPCT && !strcmp(value, "80"), "maxswappct=80");
	CHECK(!sc_parse_assignment("read_enable=", &id, &value, err,
				   sizeof(err)) &&
	      id == SC_READ_ENABLE && !*value, "an empty value is the rules' to refuse");
	CHECK(sc_parse_assignment("maxswappct", &id, &value, err,
				  sizeof(err)) == -EINVAL &&
	      strstr(err, "not KNOB=VALUE"), "%s", err);
	CHECK(sc_parse_assignment("=1", &id, &value, err, sizeof(err)) ==
	      -EINVAL, "=1");
	CHECK(sc_parse_assignment("maxswap=1", &id, &value, err,
				  sizeof(err)) == -EINVAL &&
	      !strcmp(err, "no parameter 'maxswap'"), "%s", err);
	CHECK(sc_parse_assignment("read_enablex=1", &id, &value, err,
				  sizeof(err)) == -EINVAL, "a longer name");
	CHECK(sc_tunable_lookup("write_count", 11) == SC_WRITE_COUNT, "lookup");
	CHECK(sc_tunable_lookup("write_coun", 10) == -1, "a prefix");
}

static void test_extent_flags(void)
{
	static const struct {
		uint32_t flags;
		int want;
	} cases[] = {
		{ 0, -1 },
		{ FIEMAP_EXTENT_LAST | FIEMAP_EXTENT_MERGED, -1 },
		{ FIEMAP_EXTENT_SHARED, -1 },	/* its blocks are its data */
		{ FIEMAP_EXTENT_DELALLOC | FIEMAP_EXTENT_UNKNOWN, SC_SKIP_DELALLOC },
		{ FIEMAP_EXTENT_UNKNOWN, SC_SKIP_UNKNOWN },
		{ FIEMAP_EXTENT_UNWRITTEN | FIEMAP_EXTENT_LAST, SC_SKIP_UNWRITTEN },
		{ FIEMAP_EXTENT_DATA_INLINE | FIEMAP_EXTENT_NOT_ALIGNED, SC_SKIP_INLINE },
		{ FIEMAP_EXTENT_DATA_TAIL, SC_SKIP_INLINE },
		{ FIEMAP_EXTENT_NOT_ALIGNED, SC_SKIP_INLINE },
		{ FIEMAP_EXTENT_ENCODED, SC_SKIP_ENCODED },
		{ FIEMAP_EXTENT_DATA_ENCRYPTED, SC_SKIP_ENCRYPTED },
		{ FIEMAP_EXTENT_DATA_ENCRYPTED | FIEMAP_EXTENT_UNWRITTEN, SC_SKIP_ENCRYPTED },
	};
	unsigned int i;
	int why;

	for (i = 0; i < ARRAY_SIZE(cases); i++)
		CHECK(sc_extent_skip(cases[i].flags) == cases[i].want,
		      "flags %#x: %d, wanted %d", cases[i].flags,
		      sc_extent_skip(cases[i].flags), cases[i].want);
	for (why = 0; why < SC_NR_SKIPS; why++)
		CHECK(sc_skip_reason(why) && sc_skip_key(why), "reason %d", why);
	CHECK(strstr(sc_skip_reason(SC_SKIP_DELALLOC), "sync"), "delalloc says what to do");

	CHECK(sc_extent_pages(0, 8192, 8192) == 2, "two pages");
	CHECK(sc_extent_pages(0, 8192, 5000) == 2, "a tail page counts");
	CHECK(sc_extent_pages(4096, 1 << 20, 5000) == 1, "clipped at the end of the file");
	CHECK(sc_extent_pages(8192, 4096, 8192) == 0, "beyond the end of the file");
	CHECK(sc_extent_pages(4096, UINT64_MAX, 1 << 20) == 255, "no overflow");
}

/* blocks PHYS LEN START SECTORS -> FIRST COUNT (COUNT 0: none). */
static void expect_blocks(uint64_t phys, uint64_t len, uint64_t start,
			  uint64_t sectors, uint64_t first, uint64_t count)
{
	struct sc_blocks b = { 0, 0 };
	bool got = sc_extent_blocks(phys, len, start, sectors, &b);

	if (!count)
		CHECK(!got, "%lu+%lu in %lu+%lu: got %lu+%lu, wanted none",
		      (unsigned long)phys, (unsigned long)len,
		      (unsigned long)start, (unsigned long)sectors,
		      (unsigned long)b.first, (unsigned long)b.count);
	else
		CHECK(got && b.first == first && b.count == count,
		      "%lu+%lu in %lu+%lu: got %d %lu+%lu, wanted %lu+%lu",
		      (unsigned long)phys, (unsigned long)len,
		      (unsigned long)start, (unsigned long)sectors, got,
		      (unsigned long)b.first, (unsigned long)b.count,
		      (unsigned long)first, (unsigned long)count);
}

static void test_extent_blocks(void)
{
	const uint64_t K = 1024, M = K * K, big = 1ULL << 40;
	uint64_t s, c;
	struct sc_blocks b;

	expect_blocks(M, 400 * K, 0, big, 256, 100);	/* aligned */
	expect_blocks(0, 4 * K, 0, big, 0, 1);
	/* 1 KiB filesystem blocks: whole 4 KiB blocks, rounded out. */
	expect_blocks(5 * K, K, 0, big, 1, 1);
	expect_blocks(3 * K, 2 * K, 0, big, 0, 2);
	expect_blocks(511, 2, 0, big, 0, 1);		/* bytes 511 and 512 */
	expect_blocks(4095, 2, 0, big, 0, 2);
	/* A target that starts 2048 sectors into the mapped device. */
	expect_blocks(M + 8 * K, 8 * K, 2048, big, 2, 2);
	expect_blocks(0, M, 2048, big, 0, 0);		/* before it */
	expect_blocks(M - 4 * K, 8 * K, 2048, big, 0, 1);	/* straddles its start */
	expect_blocks(M + 4 * K, 4 * K, 2051, big, 0, 2);	/* its blocks, not the device's */
	/* Its end: a block cut short is not cached, as the module does. */
	expect_blocks(0, 100 * K, 0, 83, 0, 10);
	expect_blocks(40 * K, 4 * K, 0, 83, 0, 0);
	expect_blocks(36 * K, 8 * K, 0, 83, 9, 1);
	expect_blocks(M, 4 * K, 0, 2048, 0, 0);	/* after it */
	/* Two targets of one table, an extent across both. */
	expect_blocks(400 * 512, 1200 * 512, 0, 1000, 50, 75);
	expect_blocks(400 * 512, 1200 * 512, 1000, 2000, 0, 75);
	/* Not real extents. */
	expect_blocks(M, 0, 0, big, 0, 0);
	expect_blocks(UINT64_MAX - 10, 100, 0, UINT64_MAX, 0, 0);
	expect_blocks(0, 4 * K, UINT64_MAX - 1, 8, 0, 0);
	/* The largest: no overflow on the way. */
	expect_blocks(0, UINT64_MAX, 0, UINT64_MAX, 0, 1ULL << 52);

	b.first = 256;
	b.count = 100;
	sc_blocks_sectors(&b, &s, &c);
	CHECK(s == 2048 && c == 800, "sectors %lu+%lu", (unsigned long)s,
	      (unsigned long)c);
}

static void test_merge_cases(void)
{
	struct sc_blocks b[] = {
		{ 100, 10 }, { 0, 5 }, { 5, 5 },	/* touching */
		{ 105, 2 },				/* inside */
		{ 108, 10 },				/* overlapping */
		{ 119, 1 },				/* a block apart */
		{ 0, 5 },				/* twice */
	};
	size_t n = sc_blocks_merge(b, ARRAY_SIZE(b));

	CHECK(n == 3, "%zu ranges", n);
	CHECK(b[0].first == 0 && b[0].count == 10, "%lu+%lu",
	      (unsigned long)b[0].first, (unsigned long)b[0].count);
	CHECK(b[1].first == 100 && b[1].count == 18, "%lu+%lu",
	      (unsigned long)b[1].first, (unsigned long)b[1].count);
	CHECK(b[2].first == 119 && b[2].count == 1, "%lu+%lu",
	      (unsigned long)b[2].first, (unsigned long)b[2].count);
	CHECK(sc_blocks_merge(b, 0) == 0, "nothing");
}

/*
 * Random extents of random sizes and alignments, against a bitmap of the
 * blocks they touch: the merged ranges are sorted, apart, and cover
 * exactly the marked blocks.
 */
static void test_merge_model(void)
{
	enum { BLOCKS = 2048, EXTENTS = 300, ROUNDS = 200 };
	static unsigned char want[BLOCKS];
	static struct sc_blocks b[EXTENTS];
	unsigned int round, seed = 1;
	int bad = 0;

	for (round = 0; round < ROUNDS; round++) {
		uint64_t start = rand_r(&seed) % 64, len = BLOCKS * 8 - start;
		size_t i, n = 0, covered = 0, marked = 0;
		uint64_t blk, prev_end = 0;

		memset(want, 0, sizeof(want));
		for (i = 0; i < EXTENTS; i++) {
			uint64_t phys = (uint64_t)rand_r(&seed) % (BLOCKS * 4096ULL + 2048);
			uint64_t l = 1 + rand_r(&seed) % (round % 2 ? 64 * 1024 : 9000);
			uint64_t s0 = phys / 512, s1 = (phys + l + 511) / 512;

			/* The model: every block the sectors touch, cut at the target. */
			if (s1 > start && s0 < start + len) {
				uint64_t a = (s0 > start ? s0 : start) - start;
				uint64_t z = (s1 < start + len ? s1 : start + len) - start;

				for (blk = a / 8; blk < (z + 7) / 8 && blk < len / 8; blk++)
					want[blk] = 1;
			}
			if (sc_extent_blocks(phys, l, start, len, &b[n]))
				n++;
		}
		n = sc_blocks_merge(b, n);
		for (i = 0; i < n; i++) {
			if (i && b[i].first <= prev_end)
				bad++;		/* unsorted, or not merged */
			for (blk = b[i].first; blk < b[i].first + b[i].count; blk++)
				bad += blk >= BLOCKS || !want[blk];
			covered += b[i].count;
			prev_end = b[i].first + b[i].count;
		}
		for (blk = 0; blk < BLOCKS; blk++)
			marked += want[blk];
		bad += covered != marked;
	}
	CHECK(!bad, "%d differences from the bitmap", bad);
}

int main(void)
{
	test_status();
	test_rates();
	test_units();
	test_escaping();
	test_args();
	test_extent_flags();
	test_extent_blocks();
	test_merge_cases();
	test_merge_model();
	return sc_test_summary("test_ctl");
}
