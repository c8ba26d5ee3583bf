// SPDX-License-Identifier: GPL-2.0
/*
 * The burst budget, DragonFly's token bucket rule for rule; see burst.h for
 * how the daemon drives it.  The bucket bounds SSD wear: over N ticks the
 * daemon writes at most its starting budget, plus N tenths of accrate, plus
 * the one cluster by which the last pass may overshoot.
 */
#include "burst.h"

/**
 * sc_burst_refill() - one 100 ms tick's refill of the budget
 * @curburst: the budget now, in bytes; may be negative after a pass
 * @k: the knobs
 *
 * Below maxburst a tick adds a tenth of accrate, stopping at maxburst.  At
 * or above maxburst the budget is left alone, not cut down: the
 * administrator may set curburst high for the initial load-in, and the
 * daemon is meant to spend it.
 *
 * A negative accrate (the parameter refuses one) adds nothing.  The sum is
 * compared with the room left below maxburst rather than computed first, so
 * no pair of s64 values can overflow it.  Pure.
 *
 * Return: the budget after the tick.
 */
s64 sc_burst_refill(s64 curburst, const struct sc_burst_knobs *k)
{
	s64 add = k->accrate > 0 ? k->accrate / 10 : 0;
	u64 room;

	if (curburst >= k->maxburst)
		return curburst;
	/* maxburst > curburst, so the difference fits a u64 exactly. */
	room = (u64)k->maxburst - (u64)curburst;
	if ((u64)add >= room)
		return k->maxburst;
	return curburst + add;
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
