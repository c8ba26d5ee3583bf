// SPDX-License-Identifier: GPL-2.0
/*
 * The watermark machine, DragonFly's state hysteresis; see watermark.h.
 *
 * Each comparison is "used * 100 against pct * total", done exactly in a
 * u64: each side is a product of two u32s, below 2^64.  Dividing instead
 * would round, and would need div_u64() on 32-bit kernels.
 */
#include <linux/build_bug.h>

#include "map.h"
#include "watermark.h"

/*
 * Slab counts, and the one more that the warm message asks about, fit
 * the u32 arguments: SC_MAP_MAX_SLABS + 1 = 2^28.
 */
static_assert(SC_MAP_MAX_SLABS < U32_MAX);

/*
 * used * 100 compared with pct * total: negative, zero or positive as use
 * is below, at or above pct percent of the total.  Neither product can
 * wrap: (2^32 - 1)^2 < 2^64.
 */
static int sc_water_cmp(u32 used, u32 total, u32 pct)
{
	u64 use = (u64)used * 100, mark = (u64)pct * total;

	return use < mark ? -1 : use > mark;
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
bool sc_water_above_high(u32 used, u32 total, u32 maxswappct)
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
 * below: DragonFly's vm_swapcache.c would then clean for ever, even with
 * the SSD empty.  So
 * an empty SSD also ends cleaning, whatever the watermarks.
 *
 * DragonFly computed the low watermark in whole slabs, rounded down, and so
 * resumed writing up to one slab later than this exact comparison does;
 * the high watermark is the same either way.  Pure; exact for any inputs.
 *
 * Return: the state to act on.
 */
enum sc_water_state sc_water_next(enum sc_water_state state, u32 used,
				  u32 total, u32 maxswappct)
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
