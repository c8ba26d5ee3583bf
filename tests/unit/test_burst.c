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
/* A tick as DragonFly meant it: 100 ms, a tenth of accrate. */
#define TICK_US 100000ULL

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

/* One 100 ms tick's refill: a tenth of accrate, as in DragonFly. */
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

/* Refills for other lengths of time: accrate times the time elapsed. */
struct timed_case {
	s64 curburst;
	struct sc_burst_knobs k;
	u64 elapsed_us;
	s64 want;
};

static const struct timed_case timed[] = {
	/* a late tick is credited for its whole length */
	{ 0, { 100000, 0, 2000000000 }, 104000, 10400 },
	{ 0, { 100000, 0, 2000000000 }, 250000, 25000 },
	/* an early one for less */
	{ -CL, { 100000, 0, 2000000000 }, 60000, -CL + 6000 },
	/* no time, no credit */
	{ 7, { 100000, 0, 2000000000 }, 0, 7 },
	/* a microsecond: whole bytes only, rounded down */
	{ 0, { 100000, 0, 1000 }, 1, 0 },
	{ 0, { 1000000, 0, 1000 }, 1, 1 },
	{ 0, { 1999999, 0, 1000 }, 1, 1 },
	{ 0, { 1500000, 0, 1000 }, 3, 4 },
	/* a second is accrate exactly, whatever its digits */
	{ 0, { 123456789, 0, 1LL << 40 }, 1000000, 123456789 },
	{ 0, { 999999, 0, 1LL << 40 }, 1000000, 999999 },
	/* ten hours of accrate 100 kB/s fill a 2 GB bucket to the cap */
	{ 0, { 100000, 0, 2000000000 }, 36000000000ULL, 2000000000 },
	/* a gap beyond SC_BURST_MAX_ELAPSED_US counts as that long */
	{ 0, { 1, 0, INT64_MAX }, UINT64_MAX, 18446744 },
	{ 0, { 1, 0, INT64_MAX }, SC_BURST_MAX_ELAPSED_US, 18446744 },
	/* extremes: the whole bytes, then the remainder, against the room */
	{ INT64_MIN, { INT64_MAX, 0, INT64_MAX }, UINT64_MAX, INT64_MAX },
	{ INT64_MIN, { INT64_MAX, 0, INT64_MAX }, 2000000, INT64_MAX - 1 },
	{ INT64_MIN, { INT64_MAX, 0, INT64_MAX }, 2000001, INT64_MAX },
	{ INT64_MIN, { 999999, 0, INT64_MAX }, UINT64_MAX,
	  INT64_MIN + 18446725626964 },
	{ 5, { -100, 0, 1000 }, UINT64_MAX, 5 },
	{ 2000, { 100000, 0, 1000 }, UINT64_MAX, 2000 },
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
		s64 got = sc_burst_refill(c->curburst, &c->k, TICK_US);

		CHECK(got == c->want,
		      "refill #%u: %lld (acc %lld max %lld) gave %lld, want %lld",
		      i, (long long)c->curburst, (long long)c->k.accrate,
		      (long long)c->k.maxburst, (long long)got,
		      (long long)c->want);
	}
	for (i = 0; i < ARRAY_SIZE(timed); i++) {
		const struct timed_case *c = &timed[i];
		s64 got = sc_burst_refill(c->curburst, &c->k, c->elapsed_us);

		CHECK(got == c->want,
		      "timed refill #%u: %lld (acc %lld max %lld) after %llu us gave %lld, want %lld",
		      i, (long long)c->curburst, (long long)c->k.accrate,
		      (long long)c->k.maxburst,
		      (unsigned long long)c->elapsed_us, (long long)got,
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
 * One tick of vm_swapcached_thread() in the writing watermark state, @us
 * after the previous one: the refill, the decision, a pass that writes
 * @demand bytes in clusters until the budget goes negative, and the burst
 * state after it.  Returns whether a pass ran; adds the bytes written to
 * *@written.
 */
static bool sim_tick_us(const struct sc_burst_knobs *k, s64 *curburst,
			enum sc_burst_state *state, s64 demand, s64 *written,
			u64 us)
{
	s64 left = demand;

	*curburst = sc_burst_refill(*curburst, k, us);
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

static bool sim_tick(const struct sc_burst_knobs *k, s64 *curburst,
		     enum sc_burst_state *state, s64 demand, s64 *written)
{
	return sim_tick_us(k, curburst, state, demand, written, TICK_US);
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

/* The 64-bit LCG the bound tests draw from (Knuth's MMIX constants). */
static u64 lcg(u64 *seed)
{
	*seed = *seed * 6364136223846793005ULL + 1442695040888963407ULL;
	return *seed >> 33;
}

/*
 * A tick length as the thread sees them: mostly 100 ms plus the timer's
 * slack and the tick's work, sometimes much longer (a busy walk, a
 * preempted thread), now and then shorter (a kick wakes it early).
 */
static u64 irregular_us(u64 *seed)
{
	u64 r = lcg(seed);

	if (r % 50 == 0)
		return 100000 + r % 2000000;
	if (r % 7 == 0)
		return r % 100000;
	return 100000 + r % 45000;
}

/*
 * Bytes written over the first n ticks never exceed the starting budget,
 * plus accrate times the time elapsed, plus the one cluster of overshoot;
 * and the budget never sinks below minus one cluster.  The scan's demand
 * varies pseudo-randomly from nothing to far more than the budget, and so,
 * with @irregular, does the length of each tick.
 */
static void test_wear_bound(bool irregular)
{
	unsigned int i, t;

	for (i = 0; i < ARRAY_SIZE(bounds); i++) {
		const struct bound_case *c = &bounds[i];
		enum sc_burst_state state = B;
		s64 curburst = c->start;
		s64 written = 0;
		u64 seed = 0x5eed0000u + i, elapsed_us = 0;
		unsigned int bad_bound = 0, bad_floor = 0;

		for (t = 1; t <= BOUND_TICKS; t++) {
			u64 us = irregular ? irregular_us(&seed) : TICK_US;
			s64 demand = (s64)(lcg(&seed) % (4 * CL + 1));
			s64 allowed;

			if (t % 97 == 0)
				demand = 256 * CL;
			sim_tick_us(&c->k, &curburst, &state, demand, &written,
				    us);
			elapsed_us += us;
			allowed = c->start + CL +
				  (s64)((unsigned __int128)c->k.accrate *
					elapsed_us / SC_BURST_US_PER_SEC);
			if (!bad_bound && written > allowed)
				bad_bound = t;
			if (!bad_floor && curburst < -CL)
				bad_floor = t;
		}
		CHECK(!bad_bound, "bound #%u%s: over budget at tick %u", i,
		      irregular ? " (irregular ticks)" : "", bad_bound);
		CHECK(!bad_floor,
		      "bound #%u%s: budget below -1 cluster at tick %u", i,
		      irregular ? " (irregular ticks)" : "", bad_floor);
	}
}

/* The write rate a busy scan gets over 45 s, as the bench measures it. */
struct rate_case {
	const char *name;
	struct sc_burst_knobs k;
	u64 min_us, spread_us;	/* each tick lasts min_us + [0, spread_us) */
};

static const struct rate_case rates[] = {
	{ "exact 100 ms ticks", { 1000000, 0, 1LL << 40 }, 100000, 1 },
	{ "4 ms slack (HZ=250)", { 1000000, 0, 1LL << 40 }, 104000, 1 },
	{ "busy ticks 104-140 ms", { 1000000, 0, 1LL << 40 }, 104000, 36000 },
	{ "the default accrate", { 100000, 0, 2000000000 }, 100000, 50000 },
	{ "a fast SSD's accrate", { 50000000, 10000000, 1LL << 40 },
	  100000, 30000 },
	{ "minburst in play", { 400000, 3000000, 8000000 }, 100000, 100000 },
};

#define RATE_US (45ULL * SC_BURST_US_PER_SEC)

/*
 * With a scan that always has more to write than the budget, the bytes
 * refilled over 45 s are accrate times 45 s within 2% (within a byte per
 * tick, in fact, whatever the ticks' lengths), and all of them are either
 * written or still in the bucket.  A tenth of accrate per tick gave
 * 0.67-0.96 here.
 */
static void test_rate(void)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(rates); i++) {
		const struct rate_case *c = &rates[i];
		enum sc_burst_state state = B;
		s64 curburst = 0, written = 0;
		u64 seed = 0xace0000u + i, elapsed_us = 0;
		unsigned int ticks = 0;
		double want, rate;

		while (elapsed_us < RATE_US) {
			u64 us = c->min_us + lcg(&seed) % c->spread_us;

			if (us > RATE_US - elapsed_us)
				us = RATE_US - elapsed_us;
			sim_tick_us(&c->k, &curburst, &state, 1LL << 40,
				    &written, us);
			elapsed_us += us;
			ticks++;
		}
		want = (double)c->k.accrate * 45;
		rate = (double)(written + curburst) / want;
		CHECK(rate > 0.98 && rate < 1.02,
		      "rate, %s: refilled %.4f x accrate over 45 s", c->name,
		      rate);
		CHECK(want - (double)(written + curburst) < ticks,
		      "rate, %s: %.0f bytes lost to rounding in %u ticks",
		      c->name, want - (double)(written + curburst), ticks);
	}
}

int main(void)
{
	test_helpers();
	test_sequences();
	test_wear_bound(false);
	test_wear_bound(true);
	test_rate();
	return sc_test_summary("burst");
}
