// SPDX-License-Identifier: GPL-2.0
/*
 * The watermark machine (Documentation/swapcache.rst: maxswappct, "the
 * cleaner runs down to maxswappct - 5"): the high-watermark test, every transition at and
 * around its boundaries, and hysteresis sequences.  Runs the module's own
 * watermark.c.
 */
#include "harness.h"
#include "map.h"
#include "watermark.h"

#define W SC_WATER_WRITING
#define C SC_WATER_CLEANING

static const char *state_name(enum sc_water_state s)
{
	return s == W ? "writing" : "cleaning";
}

struct high_case {
	u32 used;
	u32 total;
	u32 pct;
	bool want;
};

static const struct high_case highs[] = {
	/* exactly at the mark is not above it */
	{ 75, 100, 75, false },
	{ 76, 100, 75, true },
	{ 0, 100, 75, false },
	{ 750, 1000, 75, false },
	{ 751, 1000, 75, true },
	/* a total that is no multiple of 100: the mark is 5.25 of 7 */
	{ 5, 7, 75, false },
	{ 6, 7, 75, true },
	/* 100%: only more than the whole SSD is above */
	{ 100, 100, 100, false },
	{ 101, 100, 100, true },
	/* 1% and 5% */
	{ 1, 100, 1, false },
	{ 2, 100, 1, true },
	{ 0, 99, 1, false },
	{ 1, 99, 1, true },
	{ 5, 100, 5, false },
	{ 6, 100, 5, true },
	/* an SSD of no slabs: anything in use is above */
	{ 0, 0, 75, false },
	{ 1, 0, 75, true },
	/* 0% (the parameter refuses it): anything in use is above */
	{ 0, 100, 0, false },
	{ 1, 100, 0, true },
	/* products past 2^32, up to (2^32 - 1)^2: none may wrap */
	{ 3221225471U, UINT32_MAX, 75, false },
	{ 3221225472U, UINT32_MAX, 75, true },
	{ UINT32_MAX, UINT32_MAX, 100, false },
	{ UINT32_MAX, UINT32_MAX - 1, 100, true },
	{ UINT32_MAX, UINT32_MAX, 99, true },
	{ UINT32_MAX, UINT32_MAX, UINT32_MAX, false },
	{ UINT32_MAX, 1, UINT32_MAX, true },
	{ 42949672, 1, UINT32_MAX, false },
	{ 42949673, 1, UINT32_MAX, true },
	{ 0, UINT32_MAX, UINT32_MAX, false },
	/* the largest map, and the one more slab warm asks about */
	{ SC_MAP_MAX_SLABS, SC_MAP_MAX_SLABS, 100, false },
	{ SC_MAP_MAX_SLABS + 1, SC_MAP_MAX_SLABS, 100, true },
};

struct next_case {
	enum sc_water_state state;
	u32 used;
	u32 total;
	u32 pct;
	enum sc_water_state want;
};

static const struct next_case nexts[] = {
	/* writing turns to cleaning only above the high mark */
	{ W, 75, 100, 75, W },
	{ W, 76, 100, 75, C },
	{ W, 0, 100, 75, W },
	{ W, 100, 100, 75, C },
	/* cleaning goes on at and above the low mark, stops below it */
	{ C, 76, 100, 75, C },
	{ C, 72, 100, 75, C },
	{ C, 70, 100, 75, C },
	{ C, 69, 100, 75, W },
	{ C, 0, 100, 75, W },
	/*
	 * Low mark 4.9 of 7: 4 is below it.  (DragonFly's vm_swapcache.c
	 * rounded the mark down to 4 and would have cleaned one slab more.)
	 */
	{ C, 5, 7, 75, C },
	{ C, 4, 7, 75, W },
	{ W, 5, 7, 75, W },
	{ W, 6, 7, 75, C },
	/* 100%: never cleans while the SSD is not overfull; low mark 95 */
	{ W, 100, 100, 100, W },
	{ C, 95, 100, 100, C },
	{ C, 94, 100, 100, W },
	/* 6%: low mark 1%, the last that is not 0 */
	{ C, 1, 100, 6, C },
	{ C, 0, 100, 6, W },
	{ C, 10, 1000, 6, C },
	{ C, 9, 1000, 6, W },
	/* 5%: low mark 0; only an empty SSD ends cleaning */
	{ W, 5, 100, 5, W },
	{ W, 6, 100, 5, C },
	{ C, 1, 100, 5, C },
	{ C, 0, 100, 5, W },
	/* 1%: the same, and no u32 underflow of 1 - 5 */
	{ W, 1, 100, 1, W },
	{ W, 2, 100, 1, C },
	{ C, 1, 100, 1, C },
	{ C, 1, 1000000, 1, C },
	{ C, 0, 100, 1, W },
	/* 0% (refused by the parameter): behaves like 1..5 */
	{ W, 1, 100, 0, C },
	{ C, 1, 100, 0, C },
	{ C, 0, 100, 0, W },
	/* an SSD of no slabs */
	{ W, 0, 0, 75, W },
	{ W, 1, 0, 75, C },
	{ C, 1, 0, 75, C },
	{ C, 0, 0, 75, W },
	/* huge counts: exact at the low mark, no wrap */
	{ C, 3006477107U, UINT32_MAX, 75, C },
	{ C, 3006477106U, UINT32_MAX, 75, W },
	{ C, UINT32_MAX, UINT32_MAX, 100, C },
	{ C, UINT32_MAX - 1, UINT32_MAX, UINT32_MAX, W },
	{ C, SC_MAP_MAX_SLABS, SC_MAP_MAX_SLABS, 100, C },
};

static void test_above_high(void)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(highs); i++) {
		const struct high_case *c = &highs[i];

		CHECK(sc_water_above_high(c->used, c->total, c->pct) ==
		      c->want, "#%u: %llu of %llu at %u%% should say %d", i,
		      (unsigned long long)c->used,
		      (unsigned long long)c->total, c->pct, c->want);
	}
}

static void test_next(void)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(nexts); i++) {
		const struct next_case *c = &nexts[i];
		enum sc_water_state got = sc_water_next(c->state, c->used,
							c->total, c->pct);

		CHECK(got == c->want,
		      "#%u: %s, %llu of %llu at %u%% gave %s, want %s", i,
		      state_name(c->state), (unsigned long long)c->used,
		      (unsigned long long)c->total, c->pct, state_name(got),
		      state_name(c->want));
		/* the two functions agree on the high mark */
		if (c->state == W)
			CHECK((got == C) ==
			      sc_water_above_high(c->used, c->total, c->pct),
			      "#%u: next and above_high disagree", i);
	}
}

#define MAX_STEPS 16

struct step {
	u32 used;
	enum sc_water_state want;
};

struct sequence {
	const char *name;
	u32 total;
	u32 pct;
	unsigned int nsteps;
	struct step steps[MAX_STEPS];
};

static const struct sequence sequences[] = {
	{
		/* fill past 75, clean down below 70, fill again */
		"default 75%", 100, 75, 14,
		{ { 0, W }, { 50, W }, { 75, W }, { 76, C }, { 80, C },
		  { 74, C }, { 71, C }, { 70, C }, { 69, W }, { 72, W },
		  { 75, W }, { 76, C }, { 75, C }, { 60, W } },
	},
	{
		/* low mark 0: cleaning runs until the SSD is empty */
		"5%, cleans to empty", 100, 5, 9,
		{ { 5, W }, { 6, C }, { 3, C }, { 1, C }, { 0, W },
		  { 1, W }, { 5, W }, { 6, C }, { 5, C } },
	},
	{
		/* 100%: fills the whole SSD and stays writing */
		"100%", 100, 100, 5,
		{ { 90, W }, { 99, W }, { 100, W }, { 100, W }, { 95, W } },
	},
};

static void test_sequences(void)
{
	unsigned int i, j;

	for (i = 0; i < ARRAY_SIZE(sequences); i++) {
		const struct sequence *s = &sequences[i];
		enum sc_water_state state = W;

		for (j = 0; j < s->nsteps; j++) {
			state = sc_water_next(state, s->steps[j].used,
					      s->total, s->pct);
			CHECK(state == s->steps[j].want,
			      "%s, step %u (%llu used): %s, want %s", s->name,
			      j + 1, (unsigned long long)s->steps[j].used,
			      state_name(state),
			      state_name(s->steps[j].want));
		}
	}
}

int main(void)
{
	test_above_high();
	test_next();
	test_sequences();
	return sc_test_summary("watermark");
}
