// SPDX-License-Identifier: GPL-2.0
/*
 * The watermark machine, DragonFly's state hysteresis; see watermark.h.
 *
 * Each comparison is "used * 100 against pct * total", done exactly: both
 * products are formed in 96 bits, so no size of SSD, however absurd, makes
 * one wrap.  Dividing instead would round, and would need div_u64() on
 * 32-bit kernels, which this user-space-shared file cannot call.
 */
#include "watermark.h"

/* A product of a u64 and a u32, which needs up to 96 bits. */
struct sc_wide {
	u64 hi;
	u64 lo;
};

/*
 * Schoolbook multiplication in 32-bit halves: each partial product of a
 * 32-bit half and a u32 fits a u64, and so does the middle sum with its
 * carry ((2^32 - 1)^2 + 2^32 - 1 < 2^64).
 */
static struct sc_wide sc_wide_mul(u64 a, u32 m)
{
	u64 low = (a & U32_MAX) * m;
	u64 mid = (a >> 32) * m + (low >> 32);
	struct sc_wide r = {
		.hi = mid >> 32,
		.lo = (mid << 32) | (low & U32_MAX),
	};

	return r;
}

static int sc_wide_cmp(struct sc_wide a, struct sc_wide b)
{
	if (a.hi != b.hi)
		return a.hi < b.hi ? -1 : 1;
	if (a.lo != b.lo)
		return a.lo < b.lo ? -1 : 1;
	return 0;
}

/*
 * used * 100 compared with pct * total: negative, zero or positive as use
 * is below, at or above pct percent of the total.
 */
static int sc_water_cmp(u64 used, u64 total, u32 pct)
{
	return sc_wide_cmp(sc_wide_mul(used, 100), sc_wide_mul(total, pct));
}

/**
 * sc_water_above_high() - whether use is above the high watermark
 * @used: slabs in use
 * @total: slabs on the SSD
 * @maxswappct: the high watermark, in percent (the parameter allows 1..100)
 *
 * Exactly at the mark is not above it.  The daemon's state machine and the
 * admin's warm message, which stops here, share this test so that the two
 * never disagree about a full SSD.  Pure; exact for any inputs.
 *
 * Return: true when @used * 100 > @maxswappct * @total.
 */
bool sc_water_above_high(u64 used, u64 total, u32 maxswappct)
{
	return sc_water_cmp(used, total, maxswappct) > 0;
}

/**
 * sc_water_next() - the watermark state for this tick
 * @state: the state of the last tick
 * @used: slabs in use now
 * @total: slabs on the SSD
 * @maxswappct: the high watermark, in percent (the parameter allows 1..100)
 *
 * Writing turns to cleaning above the high watermark (see
 * sc_water_above_high()); cleaning turns back to writing strictly below the
 * low one, @used * 100 < (@maxswappct - 5) * @total.
 *
 * With @maxswappct at 5 or less the low watermark is 0, which no use is
 * below: the seed would then clean for ever, even with the SSD empty.  So
 * an empty SSD also ends cleaning, whatever the watermarks.
 *
 * The seed computed the low watermark in whole slabs, rounded down, and so
 * resumed writing up to one slab later than this exact comparison does;
 * the high watermark is the same either way.  Pure; exact for any inputs.
 *
 * Return: the state to act on.
 */
enum sc_water_state sc_water_next(enum sc_water_state state, u64 used,
				  u64 total, u32 maxswappct)
{
	u32 low_pct;

	if (state == SC_WATER_WRITING)
		return sc_water_above_high(used, total, maxswappct) ?
		       SC_WATER_CLEANING : SC_WATER_WRITING;

	if (used == 0)
		return SC_WATER_WRITING;
	low_pct = maxswappct > SC_WATER_GAP_PCT ?
		  maxswappct - SC_WATER_GAP_PCT : 0;
	return sc_water_cmp(used, total, low_pct) < 0 ?
	       SC_WATER_WRITING : SC_WATER_CLEANING;
}
