// SPDX-License-Identifier: GPL-2.0
/*
 * The burst budget (Documentation/swapcache.rst, "How the cache fills
 * itself"): each helper on its own, then the daemon's loop replayed tick
 * by tick against sequences worked out by hand from DragonFly's
 * vm_swapcached_thread(), then the wear bound over long runs.  Runs the
 * module's own burst.c.
 */
#include <stdint.h>

#include "harness.h"
#include "burst.h"

/* The daemon writes 16-page clusters; the last may be partial. */
#define CL 65536LL

#define B SC_BURST_BURSTING
#define R SC_BURST_RECOVERING

static const char *state_name(enum sc_burst_state s)
{
	return s == B ? "bursting" : "recovering";
}

/* ---- the helpers one by one ---- */

struct refill_case {
	s64 curburst;
	struct sc_burst_knobs k;
	s64 want;
};

static const struct refill_case refills[] = {
	/* a tenth of accrate per tick, below maxburst */
	{ 0, { 100000, 0, 2000000000 }, 10000 },
	{ -CL, { 100000, 0, 2000000000 }, -CL + 10000 },
	/* the tenth rounds down, as DragonFly's integer division did */
	{ 0, { 99, 0, 1000 }, 9 },
	{ 0, { 9, 0, 1000 }, 0 },
	/* capped at maxburst */
	{ 1995000, { 100000, 0, 2000000 }, 2000000 },
	{ 1990000, { 100000, 0, 2000000 }, 2000000 },
	{ 1989999, { 100000, 0, 2000000 }, 1999999 },
	/* at or above maxburst: left alone (the initial load-in) */
	{ 2000000, { 100000, 0, 2000000 }, 2000000 },
	{ 4000000000LL, { 100000, 0, 2000000000 }, 4000000000LL },
	/* accrate above maxburst: one tick fills to the cap */
	{ 0, { 20 * CL, 0, 16 * CL }, 2 * CL },
	{ 15 * CL, { 20 * CL, 0, 16 * CL }, 16 * CL },
	/* accrate 0 never refills; a negative one (refused) adds nothing */
	{ 5, { 0, 0, 1000 }, 5 },
	{ 5, { -100, 0, 1000 }, 5 },
	/* maxburst 0, and a negative one (refused): still a cap */
	{ -CL, { 10 * CL, 0, 0 }, 0 },
	{ -100, { 1000, 0, -50 }, -50 },
	/* extremes: UBSan would trap on any signed overflow here */
	{ INT64_MIN, { INT64_MAX, 0, INT64_MAX }, INT64_MIN + INT64_MAX / 10 },
	{ -10, { INT64_MAX, 0, -1 }, -1 },
	{ INT64_MAX - 1, { INT64_MAX, 0, INT64_MAX }, INT64_MAX },
	{ INT64_MAX, { INT64_MAX, 0, INT64_MIN }, INT64_MAX },
	{ INT64_MIN, { INT64_MIN, 0, INT64_MAX }, INT64_MIN },
	{ -(1LL << 52), { 1LL << 52, 0, 1LL << 52 },
	  -(1LL << 52) + (1LL << 52) / 10 },
};

struct may_case {
	enum sc_burst_state state;
	s64 curburst;
	struct sc_burst_knobs k;
	bool want;
};

static const struct may_case mays[] = {
	/* a second's worth is needed in either state */
	{ B, 99999, { 100000, 0, 2000000000 }, false },
	{ B, 100000, { 100000, 0, 2000000000 }, true },
	{ R, 99999, { 100000, 0, 2000000000 }, false },
	/* recovering also needs strictly more than minburst */
	{ R, 10000000, { 100000, 10000000, 2000000000 }, false },
	{ R, 10000001, { 100000, 10000000, 2000000000 }, true },
	{ B, 100000, { 100000, 10000000, 2000000000 }, true },
	/* minburst below accrate: accrate is the binding one */
	{ R, 100000, { 100000, 100, 2000000000 }, true },
	{ R, 99999, { 100000, 100, 2000000000 }, false },
	/* accrate 0: any non-negative budget */
	{ B, 0, { 0, 0, 0 }, true },
	{ B, -1, { 0, 0, 0 }, false },
	{ R, 0, { 0, 0, 0 }, false },
	{ R, 1, { 0, 0, 0 }, true },
	/* an overspent budget never writes */
	{ B, -CL, { 100000, 0, 2000000000 }, false },
	{ R, INT64_MIN, { 0, INT64_MIN, 0 }, false },
	{ R, INT64_MAX, { INT64_MAX, INT64_MAX - 1, INT64_MAX }, true },
	{ R, INT64_MAX, { INT64_MAX, INT64_MAX, INT64_MAX }, false },
};

struct after_case {
	enum sc_burst_state state;
	s64 curburst;
	enum sc_burst_state want;
};

static const struct after_case afters[] = {
	{ B, 1, B },
	{ B, 0, R },
	{ B, -1, R },
	{ B, -CL, R },
	{ B, INT64_MAX, B },
	{ B, INT64_MIN, R },
	/* a pass started while recovering starts a burst, whatever it left */
	{ R, 1, B },
	{ R, 0, B },
	{ R, -CL, B },
};

static void test_helpers(void)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(refills); i++) {
		const struct refill_case *c = &refills[i];
		s64 got = sc_burst_refill(c->curburst, &c->k);

		CHECK(got == c->want,
		      "refill #%u: %lld (acc %lld max %lld) gave %lld, want %lld",
		      i, (long long)c->curburst, (long long)c->k.accrate,
		      (long long)c->k.maxburst, (long long)got,
		      (long long)c->want);
	}
	for (i = 0; i < ARRAY_SIZE(mays); i++) {
		const struct may_case *c = &mays[i];

		CHECK(sc_burst_may_write(c->state, c->curburst, &c->k) ==
		      c->want, "may_write #%u: %s at %lld should say %d", i,
		      state_name(c->state), (long long)c->curburst, c->want);
	}
	for (i = 0; i < ARRAY_SIZE(afters); i++) {
		const struct after_case *c = &afters[i];
		enum sc_burst_state got = sc_burst_after_write(c->state,
							       c->curburst);

		CHECK(got == c->want, "after_write #%u: %s at %lld gave %s", i,
		      state_name(c->state), (long long)c->curburst,
		      state_name(got));
	}
	CHECK(!sc_burst_spent(0), "a budget of exactly 0 is not spent");
	CHECK(!sc_burst_spent(1), "a positive budget is not spent");
	CHECK(!sc_burst_spent(INT64_MAX), "INT64_MAX is not spent");
	CHECK(sc_burst_spent(-1), "a negative budget is spent");
	CHECK(sc_burst_spent(INT64_MIN), "INT64_MIN is spent");
}

/* ---- the daemon's loop, replayed ---- */

/*
 * One tick of vm_swapcached_thread() in the writing watermark state: the
 * refill, the decision, a pass that writes @demand bytes in clusters until
 * the budget goes negative, and the burst state after it.  Returns whether
 * a pass ran; adds the bytes written to *@written.
 */
static bool sim_tick(const struct sc_burst_knobs *k, s64 *curburst,
		     enum sc_burst_state *state, s64 demand, s64 *written)
{
	s64 left = demand;

	*curburst = sc_burst_refill(*curburst, k);
	if (!sc_burst_may_write(*state, *curburst, k))
		return false;
	while (left > 0 && !sc_burst_spent(*curburst)) {
		s64 chunk = left < CL ? left : CL;

		*curburst -= chunk;
		*written += chunk;
		left -= chunk;
	}
	*state = sc_burst_after_write(*state, *curburst);
	return true;
}

/* The budget and burst state at the end of a tick, and whether it wrote. */
struct tick {
	s64 curburst;
	enum sc_burst_state state;
	bool wrote;
};

#define MAX_TICKS 28

struct sim_case {
	const char *name;
	struct sc_burst_knobs k;
	s64 start;
	enum sc_burst_state state;
	s64 demand;		/* bytes the scan offers per tick */
	unsigned int nticks;
	struct tick want[MAX_TICKS];
};

/* In clusters, for the tables below. */
#define T(c, s, w) { (c) * CL, s, w }

static const struct sim_case sims[] = {
	{
		/*
		 * Load-in: above maxburst nothing is added, the pass drains;
		 * below it the refill resumes, and at 10 clusters (exactly
		 * accrate) a pass still runs, so it settles into a pass every
		 * third tick: the rate accrate allows.
		 */
		"load-in drains from above maxburst",
		{ 10 * CL, 12 * CL, 16 * CL }, 24 * CL, B, 3 * CL, 10,
		{ T(21, B, 1), T(18, B, 1), T(15, B, 1), T(13, B, 1),
		  T(11, B, 1), T(9, B, 1), T(7, B, 1), T(8, B, 0),
		  T(9, B, 0), T(7, B, 1) },
	},
	{
		/*
		 * A pass that could write more than the budget empties it and
		 * overshoots by one cluster; the burst turns to recovery,
		 * which waits past accrate (tick 12) and exactly minburst
		 * (tick 14) until it holds 13 clusters.  That pass makes a
		 * new burst even though it empties the bucket again, so the
		 * next pass comes at accrate (tick 26), not above minburst.
		 */
		"burst to empty, recover past minburst",
		{ 10 * CL, 12 * CL, 16 * CL }, 12 * CL, B, 100 * CL, 26,
		{ T(-1, R, 1), T(0, R, 0), T(1, R, 0), T(2, R, 0),
		  T(3, R, 0), T(4, R, 0), T(5, R, 0), T(6, R, 0),
		  T(7, R, 0), T(8, R, 0), T(9, R, 0), T(10, R, 0),
		  T(11, R, 0), T(12, R, 0), T(-1, B, 1), T(0, B, 0),
		  T(1, B, 0), T(2, B, 0), T(3, B, 0), T(4, B, 0),
		  T(5, B, 0), T(6, B, 0), T(7, B, 0), T(8, B, 0),
		  T(9, B, 0), T(-1, R, 1) },
	},
	{
		/* accrate above maxburst: the bucket never holds a second */
		"accrate above maxburst never writes",
		{ 20 * CL, 0, 16 * CL }, 0, B, CL, 10,
		{ T(2, B, 0), T(4, B, 0), T(6, B, 0), T(8, B, 0),
		  T(10, B, 0), T(12, B, 0), T(14, B, 0), T(16, B, 0),
		  T(16, B, 0), T(16, B, 0) },
	},
	{
		/* ... except from a load-in budget, until it falls below */
		"accrate above maxburst, load-in",
		{ 20 * CL, 0, 16 * CL }, 24 * CL, B, CL, 7,
		{ T(23, B, 1), T(22, B, 1), T(21, B, 1), T(20, B, 1),
		  T(19, B, 1), T(19, B, 0), T(19, B, 0) },
	},
	{
		/* accrate 0: only the starting budget, then never again */
		"accrate 0",
		{ 0, 2 * CL, 16 * CL }, 4 * CL, B, CL, 7,
		{ T(3, B, 1), T(2, B, 1), T(1, B, 1), T(0, R, 1),
		  T(0, R, 0), T(0, R, 0), T(0, R, 0) },
	},
	{
		/* a budget of exactly accrate is enough */
		"curburst exactly accrate",
		{ 10 * CL, 0, 16 * CL }, 8 * CL, B, CL, 4,
		{ T(9, B, 0), T(9, B, 1), T(9, B, 1), T(9, B, 1) },
	},
	{
		/* recovering at exactly minburst waits one more tick */
		"curburst exactly minburst",
		{ 10 * CL, 12 * CL, 16 * CL }, 11 * CL, R, CL, 4,
		{ T(12, R, 0), T(12, B, 1), T(12, B, 1), T(12, B, 1) },
	},
	{
		/* minburst above maxburst: a recovery never ends */
		"minburst above maxburst",
		{ 10 * CL, 20 * CL, 16 * CL }, 14 * CL, R, CL, 3,
		{ T(15, R, 0), T(16, R, 0), T(16, R, 0) },
	},
	{
		/* a pass with nothing to write still counts as a pass */
		"nothing to write",
		{ 10 * CL, 0, 16 * CL }, 15 * CL, B, 0, 2,
		{ T(16, B, 1), T(16, B, 1) },
	},
	{
		/*
		 * Byte values, the default accrate: 10000 bytes a tick, a
		 * pass at 100000, which writes a full and a partial cluster
		 * and leaves exactly 0: that ends the burst.
		 */
		"default accrate, partial cluster",
		{ 100000, 0, 200000 }, 0, B, 100000, 21,
		{ { 10000, B, 0 }, { 20000, B, 0 }, { 30000, B, 0 },
		  { 40000, B, 0 }, { 50000, B, 0 }, { 60000, B, 0 },
		  { 70000, B, 0 }, { 80000, B, 0 }, { 90000, B, 0 },
		  { 0, R, 1 }, { 10000, R, 0 }, { 20000, R, 0 },
		  { 30000, R, 0 }, { 40000, R, 0 }, { 50000, R, 0 },
		  { 60000, R, 0 }, { 70000, R, 0 }, { 80000, R, 0 },
		  { 90000, R, 0 }, { 0, B, 1 }, { 10000, B, 0 } },
	},
};

static void test_sequences(void)
{
	unsigned int i, t;

	for (i = 0; i < ARRAY_SIZE(sims); i++) {
		const struct sim_case *c = &sims[i];
		enum sc_burst_state state = c->state;
		s64 curburst = c->start;
		s64 written = 0;

		for (t = 0; t < c->nticks; t++) {
			const struct tick *w = &c->want[t];
			bool wrote = sim_tick(&c->k, &curburst, &state,
					      c->demand, &written);

			CHECK(curburst == w->curburst && state == w->state &&
			      wrote == w->wrote,
			      "%s, tick %u: %lld %s %s, want %lld %s %s",
			      c->name, t + 1, (long long)curburst,
			      state_name(state), wrote ? "wrote" : "idle",
			      (long long)w->curburst, state_name(w->state),
			      w->wrote ? "wrote" : "idle");
		}
	}
}

/* ---- the wear bound ---- */

struct bound_case {
	struct sc_burst_knobs k;
	s64 start;
};

static const struct bound_case bounds[] = {
	{ { 100000, 10000000, 2000000000 }, 4000000000LL },	/* defaults */
	{ { 100000, 10000000, 2000000000 }, 0 },
	{ { 10 * CL, 12 * CL, 16 * CL }, 24 * CL },
	{ { 655360, 0, 655360 }, 0 },
	{ { 20 * CL, 0, 16 * CL }, 24 * CL },
	{ { 0, 0, 0 }, 5 * CL },
	{ { 1, 0, 1000 }, 0 },
	{ { 99, 50, 1000 }, 3 },
	{ { 10 * CL, 20 * CL, 16 * CL }, 0 },
};

#define BOUND_TICKS 20000

/*
 * Bytes written over the first n ticks never exceed the starting budget,
 * plus n refills, plus the one cluster of overshoot; and the budget never
 * sinks below minus one cluster.  The scan's demand varies pseudo-randomly
 * from nothing to far more than the budget.
 */
static void test_wear_bound(void)
{
	unsigned int i, t;

	for (i = 0; i < ARRAY_SIZE(bounds); i++) {
		const struct bound_case *c = &bounds[i];
		enum sc_burst_state state = B;
		s64 curburst = c->start;
		s64 written = 0;
		u64 seed = 0x5eed0000u + i;
		unsigned int bad_bound = 0, bad_floor = 0;

		for (t = 1; t <= BOUND_TICKS; t++) {
			s64 demand;

			seed = seed * 6364136223846793005ULL +
			       1442695040888963407ULL;
			demand = (s64)((seed >> 33) % (4 * CL + 1));
			if (t % 97 == 0)
				demand = 256 * CL;
			sim_tick(&c->k, &curburst, &state, demand, &written);
			if (!bad_bound && written > c->start +
			    (s64)t * (c->k.accrate / 10) + CL)
				bad_bound = t;
			if (!bad_floor && curburst < -CL)
				bad_floor = t;
		}
		CHECK(!bad_bound, "bound #%u: over budget at tick %u", i,
		      bad_bound);
		CHECK(!bad_floor, "bound #%u: budget below -1 cluster at tick %u",
		      i, bad_floor);
	}
}

int main(void)
{
	test_helpers();
	test_sequences();
	test_wear_bound();
	return sc_test_summary("burst");
}
