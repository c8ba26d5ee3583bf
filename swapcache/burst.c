// SPDX-License-Identifier: GPL-2.0
/*
 * The burst budget, DragonFly's token bucket rule for rule; see burst.h for
 * how the daemon drives it.  The bucket bounds SSD wear: over T seconds the
 * daemon writes at most its starting budget, plus T times accrate, plus the
 * one cluster by which the last pass may overshoot.
 */
#include "burst.h"

/**
 * sc_burst_refill() - credit the budget for the time since the last refill
 * @curburst: the budget now, in bytes; may be negative after a pass
 * @k: the knobs
 * @elapsed_us: microseconds since the previous refill
 *
 * Below maxburst the budget grows by accrate times the elapsed time,
 * stopping at maxburst.  Crediting the time that actually passed, rather
 * than a tenth of accrate per tick as DragonFly does, keeps the rate at
 * accrate however long each tick and its sleep's slack last: ticks that
 * last 104 ms or more made the fixed tenth run 4-11% slow.  At or above
 * maxburst the budget is left alone, not cut down: the administrator may
 * set curburst high for the initial load-in, and the daemon is meant to
 * spend it.
 *
 * A negative accrate (the parameter refuses one) adds nothing.  The credit
 * is accrate's whole bytes per microsecond times @elapsed_us plus the rest's
 * share, compared with the room left below maxburst before it is added, so
 * no accrate, budget or elapsed time can overflow it.  What the rounding
 * drops is under a byte per refill; a gap beyond SC_BURST_MAX_ELAPSED_US
 * (213 days) counts as that long.  Pure.
 *
 * Return: the budget after the refill.
 */
s64 sc_burst_refill(s64 curburst, const struct sc_burst_knobs *k,
		    u64 elapsed_us)
{
	u64 rate = k->accrate > 0 ? (u64)k->accrate : 0;
	u64 per_us = rate / SC_BURST_US_PER_SEC;
	u64 rest = rate % SC_BURST_US_PER_SEC;
	u64 room, add;

	if (curburst >= k->maxburst)
		return curburst;
	/* maxburst > curburst, so the difference fits a u64 exactly. */
	room = (u64)k->maxburst - (u64)curburst;
	if (elapsed_us > SC_BURST_MAX_ELAPSED_US)
		elapsed_us = SC_BURST_MAX_ELAPSED_US;
	if (per_us && elapsed_us > room / per_us)
		return k->maxburst;
	add = per_us * elapsed_us;
	/* add <= room here; the rest's share is checked apart so as not to wrap. */
	if (rest * elapsed_us / SC_BURST_US_PER_SEC >= room - add)
		return k->maxburst;
	add += rest * elapsed_us / SC_BURST_US_PER_SEC;
	return (s64)((u64)curburst + add);
}

/**
 * sc_burst_may_write() - whether the daemon may write on this tick
 * @state: bursting or recovering
 * @curburst: the budget after this tick's refill
 * @k: the knobs
 *
 * Called only in the writing watermark state.  A pass needs one second's
 * accumulation (accrate) in the bucket, so that the scan does not nickel
 * and dime the SSD into fragments.  While recovering it also needs more
 * than minburst, which keeps a drained bucket from writing a trickle on
 * every tick.  Pure.
 *
 * Return: true when the daemon should run a write pass.
 */
bool sc_burst_may_write(enum sc_burst_state state, s64 curburst,
			const struct sc_burst_knobs *k)
{
	if (curburst < k->accrate)
		return false;
	if (state == SC_BURST_BURSTING)
		return true;
	return curburst > k->minburst;
}

/**
 * sc_burst_after_write() - the burst state after a tick that wrote
 * @state: the state the pass was started in
 * @curburst: the budget after the pass charged its bytes
 *
 * A burst ends when it has emptied the bucket.  A pass started while
 * recovering (it had more than minburst) starts a new burst, whatever it
 * left behind; if that pass emptied the bucket the burst simply waits for
 * a second's worth, as DragonFly's vm_swapcache.c does.  Pure.
 *
 * Return: the state for the next tick.
 */
enum sc_burst_state sc_burst_after_write(enum sc_burst_state state,
					 s64 curburst)
{
	if (state == SC_BURST_RECOVERING)
		return SC_BURST_BURSTING;
	return curburst <= 0 ? SC_BURST_RECOVERING : SC_BURST_BURSTING;
}

/**
 * sc_burst_spent() - whether a write pass must stop
 * @curburst: the budget after the clusters written so far
 *
 * Checked before each cluster, so a pass stops only once the budget is
 * negative: the last cluster may overshoot by up to its size, as in
 * DragonFly's vm_swapcache.c, and a pass that starts with a non-negative
 * budget never leaves it below minus one cluster.  Pure.
 *
 * Return: true when the budget is below zero.
 */
bool sc_burst_spent(s64 curburst)
{
	return curburst < 0;
}
