// SPDX-License-Identifier: GPL-2.0
/*
 * swapcachectl's pure parts: the status-line parser (every key the admin
 * guide lists, keys a later module appends, and each way a line can be
 * wrong), the units, the JSON and Prometheus escaping, and the command
 * line's values.
 */
#include <errno.h>
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

	/* A later module appends keys: kept, not refused. */
	CHECK(!sc_status_parse(LINE " restored=12 future=x", &st, err,
			       sizeof(err)), "%s", err);
	CHECK(!strcmp(st.extra, "restored=12 future=x"), "extra '%s'", st.extra);

	for (i = 0; i < ARRAY_SIZE(bad); i++)
		CHECK(sc_status_parse(bad[i], &st, err, sizeof(err)) == -EINVAL,
		      "accepted '%s'", bad[i]);
	/* Malformed values. */
	CHECK(sc_status_parse("cache_pages=1/2 read_hits=x read_misses=1 written=1 evicted=1 invalidated=1 ssd_errors=1 state=writing burst=bursting mode=ok",
			      &st, err, sizeof(err)) == -EINVAL, "read_hits=x");
	CHECK(sc_status_parse("cache_pages=1/2 read_hits=1 read_misses=1 written=1 evicted=1 invalidated=1 ssd_errors=1 state=idle burst=bursting mode=ok",
			      &st, err, sizeof(err)) == -EINVAL, "state=idle");
	CHECK(strstr(err, "state=idle") != NULL, "err '%s'", err);
	CHECK(sc_status_parse("cache_pages=1/2 read_hits=1 read_misses=1 written=1 evicted=1 invalidated=1 ssd_errors=18446744073709551616 state=writing burst=bursting mode=ok",
			      &st, err, sizeof(err)) == -EINVAL, "2^64");
	CHECK(!sc_status_parse("cache_pages=1/2 read_hits=1 read_misses=1 written=1 evicted=1 invalidated=1 ssd_errors=18446744073709551615 state=writing burst=bursting mode=ok",
			       &st, err, sizeof(err)) && st.ssd_errors == UINT64_MAX,
	      "2^64 - 1");
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

int main(void)
{
	test_status();
	test_units();
	test_escaping();
	test_args();
	return sc_test_summary("test_ctl");
}
