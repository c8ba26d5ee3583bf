// SPDX-License-Identifier: GPL-2.0
/*
 * The module parameters' contract (SPEC.md, "Module parameters"): names,
 * defaults, and which writes are accepted or refused.  Runs the module's
 * own tunables.c.
 */
#include <string.h>

#include "harness.h"
#include "tunables.h"

struct spec_row {
	enum sc_tunable id;
	const char *name;
	long long def;
};

/* SPEC.md's table, copied by hand: a change to either must be deliberate. */
static const struct spec_row spec[] = {
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
	{ SC_WRITE_COUNT, "0\n", 1, 0 },
	{ SC_WRITE_COUNT, "12345", 1, 12345 },
};

static void test_table_matches_spec(void)
{
	unsigned int i, j;

	CHECK(ARRAY_SIZE(spec) == SC_NR_TUNABLES,
	      "SPEC lists %zu parameters, the module %d",
	      ARRAY_SIZE(spec), SC_NR_TUNABLES);
	for (i = 0; i < ARRAY_SIZE(spec); i++) {
		const struct sc_tunable_info *t = &sc_tunables[spec[i].id];

		CHECK(t->name && !strcmp(t->name, spec[i].name),
		      "parameter %u is named %s, SPEC says %s", i,
		      t->name ? t->name : "(null)", spec[i].name);
		CHECK(t->def == spec[i].def, "%s defaults to %lld, SPEC: %lld",
		      spec[i].name, (long long)t->def, spec[i].def);
		CHECK(t->min <= t->max, "%s has an empty range", spec[i].name);
		if (t->def != SC_HYSTERESIS_AUTO)
			CHECK(t->def >= t->min && t->def <= t->max,
			      "%s's default is outside its own range",
			      spec[i].name);
		for (j = 0; j < i; j++)
			CHECK(strcmp(sc_tunables[spec[j].id].name, t->name),
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
	test_table_matches_spec();
	test_writes();
	test_bad_calls();
	test_hysteresis_default();
	return sc_test_summary("tunables");
}
