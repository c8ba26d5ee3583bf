// SPDX-License-Identifier: GPL-2.0
/*
 * The module parameters' contract (Documentation/swapcache.rst, "Module
 * parameters"): names, defaults, and which writes are accepted or refused.
 * Runs the module's own tunables.c, over include/linux/kstrtox.h's
 * stand-ins for the kernel's parsers.
 */
#include <string.h>

#include <linux/kstrtox.h>

#include "harness.h"
#include "tunables.h"

struct guide_row {
	enum sc_tunable id;
	const char *name;
	long long def;
};

/*
 * The admin guide's table, copied by hand: a change to either must be
 * deliberate.
 */
static const struct guide_row guide[] = {
	{ SC_READ_ENABLE, "read_enable", 0 },
	{ SC_DATA_ENABLE, "data_enable", 0 },
	{ SC_META_ENABLE, "meta_enable", 0 },
	{ SC_USE_CHFLAGS, "use_chflags", 1 },
	{ SC_MAXFILESIZE, "maxfilesize", 0 },
	{ SC_MAXLAUNDER, "maxlaunder", 256 },
	{ SC_MAXSWAPPCT, "maxswappct", 75 },
	{ SC_HYSTERESIS, "hysteresis", SC_HYSTERESIS_AUTO },
	{ SC_ACCRATE, "accrate", 100000 },
	{ SC_MINBURST, "minburst", 10000000 },
	{ SC_CURBURST, "curburst", 4000000000LL },
	{ SC_MAXBURST, "maxburst", 2000000000LL },
	{ SC_WRITE_COUNT, "write_count", 0 },
};

struct write_case {
	enum sc_tunable id;
	const char *text;
	int accepted;
	long long value;	/* when accepted */
};

static const struct write_case writes[] = {
	/* booleans: 0/1 and the y/n spellings Linux prints, nothing else */
	{ SC_READ_ENABLE, "0", 1, 0 },
	{ SC_READ_ENABLE, "1", 1, 1 },
	{ SC_READ_ENABLE, "1\n", 1, 1 },
	{ SC_DATA_ENABLE, "Y", 1, 1 },
	{ SC_DATA_ENABLE, "y", 1, 1 },
	{ SC_META_ENABLE, "N\n", 1, 0 },
	{ SC_USE_CHFLAGS, "n", 1, 0 },
	{ SC_READ_ENABLE, "2", 0, 0 },
	{ SC_READ_ENABLE, "-1", 0, 0 },
	{ SC_READ_ENABLE, "", 0, 0 },
	{ SC_READ_ENABLE, "\n", 0, 0 },
	{ SC_READ_ENABLE, "yes", 0, 0 },
	{ SC_READ_ENABLE, "01", 0, 0 },
	{ SC_READ_ENABLE, " 1", 0, 0 },
	{ SC_READ_ENABLE, "1 ", 0, 0 },
	{ SC_READ_ENABLE, "1\n\n", 0, 0 },
	/* what kstrtobool() would take but the guide does not offer */
	{ SC_READ_ENABLE, "t", 0, 0 },
	{ SC_READ_ENABLE, "T\n", 0, 0 },
	{ SC_READ_ENABLE, "f", 0, 0 },
	{ SC_READ_ENABLE, "F", 0, 0 },
	{ SC_READ_ENABLE, "on", 0, 0 },
	{ SC_READ_ENABLE, "off", 0, 0 },
	{ SC_READ_ENABLE, "Yes", 0, 0 },
	{ SC_READ_ENABLE, "no", 0, 0 },
	{ SC_READ_ENABLE, "0x", 0, 0 },
	{ SC_READ_ENABLE, "y\n\n", 0, 0 },
	{ SC_READ_ENABLE, "n ", 0, 0 },
	{ SC_READ_ENABLE, "+1", 0, 0 },
	/* percent: 1..100 */
	{ SC_MAXSWAPPCT, "1", 1, 1 },
	{ SC_MAXSWAPPCT, "100\n", 1, 100 },
	{ SC_MAXSWAPPCT, "0", 0, 0 },
	{ SC_MAXSWAPPCT, "101", 0, 0 },
	{ SC_MAXSWAPPCT, "-5", 0, 0 },
	/* pages examined per pass: at least one, at most 2^20 */
	{ SC_MAXLAUNDER, "1", 1, 1 },
	{ SC_MAXLAUNDER, "1048576", 1, 1048576 },
	{ SC_MAXLAUNDER, "0", 0, 0 },
	{ SC_MAXLAUNDER, "1048577", 0, 0 },
	/* hysteresis: any page count, no negatives */
	{ SC_HYSTERESIS, "0", 1, 0 },
	{ SC_HYSTERESIS, "9223372036854775807", 1, 9223372036854775807LL },
	{ SC_HYSTERESIS, "9223372036854775808", 0, 0 },
	{ SC_HYSTERESIS, "-1", 0, 0 },
	/* bytes: 0..2^52, decimal only */
	{ SC_ACCRATE, "0", 1, 0 },
	{ SC_ACCRATE, "4503599627370496", 1, 4503599627370496LL },
	{ SC_ACCRATE, "4503599627370497", 0, 0 },
	{ SC_CURBURST, "-1", 0, 0 },
	{ SC_MINBURST, "-0", 1, 0 },
	{ SC_MAXBURST, "99999999999999999999999", 0, 0 },
	{ SC_MAXFILESIZE, "1e6", 0, 0 },
	{ SC_MAXFILESIZE, "0x10", 0, 0 },
	{ SC_MAXFILESIZE, "+5", 0, 0 },
	{ SC_MAXFILESIZE, "12abc", 0, 0 },
	{ SC_MAXFILESIZE, "-", 0, 0 },
	/* what kstrtos64() would take but the guide does not */
	{ SC_MAXFILESIZE, "+0", 0, 0 },
	{ SC_MAXSWAPPCT, "+50\n", 0, 0 },
	/* and what it refuses too */
	{ SC_MAXFILESIZE, "-+1", 0, 0 },
	{ SC_MAXFILESIZE, "+-1", 0, 0 },
	{ SC_MAXFILESIZE, " 5", 0, 0 },
	{ SC_MAXFILESIZE, "5 ", 0, 0 },
	{ SC_MAXFILESIZE, "5\r\n", 0, 0 },
	{ SC_MAXFILESIZE, "5\n\n", 0, 0 },
	{ SC_MAXFILESIZE, "", 0, 0 },
	{ SC_MAXFILESIZE, "\n", 0, 0 },
	{ SC_HYSTERESIS, "18446744073709551616", 0, 0 },
	{ SC_HYSTERESIS, "-9223372036854775808", 0, 0 },
	{ SC_HYSTERESIS, "-9223372036854775809", 0, 0 },
	/* leading zeros are still decimal */
	{ SC_MAXSWAPPCT, "007", 1, 7 },
	{ SC_MAXFILESIZE, "-0\n", 1, 0 },
	{ SC_WRITE_COUNT, "0\n", 1, 0 },
	{ SC_WRITE_COUNT, "12345", 1, 12345 },
};

static void test_table_matches_guide(void)
{
	unsigned int i, j;

	CHECK(ARRAY_SIZE(guide) == SC_NR_TUNABLES,
	      "the guide lists %zu parameters, the module %d",
	      ARRAY_SIZE(guide), SC_NR_TUNABLES);
	for (i = 0; i < ARRAY_SIZE(guide); i++) {
		const struct sc_tunable_info *t = &sc_tunables[guide[i].id];

		CHECK(t->name && !strcmp(t->name, guide[i].name),
		      "parameter %u is named %s, the guide says %s", i,
		      t->name ? t->name : "(null)", guide[i].name);
		CHECK(t->def == guide[i].def,
		      "%s defaults to %lld, the guide: %lld", guide[i].name,
		      (long long)t->def, guide[i].def);
		CHECK(t->min <= t->max, "%s has an empty range", guide[i].name);
		if (t->def != SC_HYSTERESIS_AUTO)
			CHECK(t->def >= t->min && t->def <= t->max,
			      "%s's default is outside its own range",
			      guide[i].name);
		for (j = 0; j < i; j++)
			CHECK(strcmp(sc_tunables[guide[j].id].name, t->name),
			      "%s is listed twice", t->name);
	}
}

static void test_writes(void)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(writes); i++) {
		const struct write_case *w = &writes[i];
		s64 value = 424242;
		int r = sc_tunable_parse(w->id, w->text, &value);

		if (w->accepted) {
			CHECK(r == 0, "%s='%s' refused (%d)",
			      sc_tunables[w->id].name, w->text, r);
			CHECK(value == w->value, "%s='%s' parsed as %lld",
			      sc_tunables[w->id].name, w->text,
			      (long long)value);
		} else {
			CHECK(r == -EINVAL, "%s='%s' returned %d, not -EINVAL",
			      sc_tunables[w->id].name, w->text, r);
			CHECK(value == 424242, "%s='%s' changed the value",
			      sc_tunables[w->id].name, w->text);
		}
	}
}

/*
 * The stand-ins must be as lax as the kernel's parsers where the module
 * filters (else the cases above would pass without the filters), and as
 * strict where it relies on them.
 */
static void test_stand_ins(void)
{
	long long v = 0;
	bool b = false;

	CHECK(!kstrtoll("+5", 10, &v) && v == 5, "kstrtoll refused '+5'");
	CHECK(!kstrtoll("-9223372036854775808", 10, &v) && v == INT64_MIN,
	      "kstrtoll refused S64_MIN");
	CHECK(!kstrtoll("7\n", 10, &v) && v == 7, "kstrtoll refused '7\\n'");
	CHECK(kstrtoll("9223372036854775808", 10, &v) == -ERANGE,
	      "kstrtoll took S64_MAX + 1");
	CHECK(kstrtoll("99999999999999999999x", 10, &v) == -ERANGE,
	      "kstrtoll: overflow is found before trailing junk");
	CHECK(kstrtoll("7\n\n", 10, &v) == -EINVAL, "kstrtoll took 2 newlines");
	CHECK(kstrtoll("0x10", 10, &v) == -EINVAL, "kstrtoll took hex");
	CHECK(kstrtoll("-+1", 10, &v) == -EINVAL, "kstrtoll took '-+1'");
	CHECK(!kstrtobool("yes", &b) && b, "kstrtobool refused 'yes'");
	CHECK(!kstrtobool("off", &b) && !b, "kstrtobool refused 'off'");
	CHECK(!kstrtobool("t", &b) && b, "kstrtobool refused 't'");
	CHECK(kstrtobool("2", &b) == -EINVAL, "kstrtobool took '2'");
}

static void test_bad_calls(void)
{
	s64 value = 7;

	CHECK(sc_tunable_parse(SC_NR_TUNABLES, "1", &value) == -EINVAL,
	      "unknown tunable accepted");
	CHECK(sc_tunable_parse(SC_ACCRATE, NULL, &value) == -EINVAL,
	      "NULL text accepted");
	CHECK(value == 7, "a refused call changed the value");
}

static void test_hysteresis_default(void)
{
	CHECK(sc_hysteresis_default(1 << 20) == 1 << 16,
	      "4 GiB of RAM should wait for 256 MiB of deactivations");
	CHECK(sc_hysteresis_default(0) == 0, "no RAM, no wait");
}

int main(void)
{
	test_table_matches_guide();
	test_writes();
	test_stand_ins();
	test_bad_calls();
	test_hysteresis_default();
	return sc_test_summary("tunables");
}
