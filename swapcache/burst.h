/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The burst budget: the token bucket that paces the daemon's SSD writes, as
 * in DragonFly's swapcache.  Pure logic, shared with tests/unit/; the daemon
 * keeps curburst (a module parameter) and charges its writes to it, these
 * helpers only decide.
 *
 * One tick of the daemon (10 Hz) in the writing watermark state:
 *
 *	curburst = sc_burst_refill(curburst, &knobs, us since the last refill);
 *	if (sc_burst_may_write(state, curburst, &knobs)) {
 *		for each cluster while !sc_burst_spent(curburst)
 *			write it, curburst -= its bytes;
 *		state = sc_burst_after_write(state, curburst);
 *	}
 *
 * The refill also runs in the cleaning state, so the budget keeps growing
 * while the cleaner works.
 */
#ifndef SWAPCACHE_BURST_H
#define SWAPCACHE_BURST_H

#include <linux/limits.h>
#include <linux/types.h>

#define SC_BURST_US_PER_SEC	1000000ULL
/*
 * The longest gap one refill credits: it keeps accrate's remainder below a
 * byte per microsecond, times the gap, within a u64 (about 213 days).
 */
#define SC_BURST_MAX_ELAPSED_US	(U64_MAX / SC_BURST_US_PER_SEC)

/**
 * struct sc_burst_knobs - one tick's snapshot of the budget's parameters
 * @accrate: refill rate in bytes per second, credited for the time that
 *	passed; a pass may only start with one second's worth in the bucket
 * @minburst: once the bucket has run dry, writing resumes only above this
 * @maxburst: the refill stops here (curburst may start above it)
 *
 * The module parameters hold them in 0..2^52 (tunables.h); the helpers are
 * nevertheless defined, without overflow, for any s64 values.
 */
struct sc_burst_knobs {
	s64 accrate;
	s64 minburst;
	s64 maxburst;
};

/**
 * enum sc_burst_state - the burst half of the daemon's two state machines
 * @SC_BURST_BURSTING: writing on every tick that holds a second's worth
 * @SC_BURST_RECOVERING: the bucket ran dry; waiting for it to pass minburst
 */
enum sc_burst_state {
	SC_BURST_BURSTING,
	SC_BURST_RECOVERING,
};

s64 sc_burst_refill(s64 curburst, const struct sc_burst_knobs *k,
		    u64 elapsed_us);
bool sc_burst_may_write(enum sc_burst_state state, s64 curburst,
			const struct sc_burst_knobs *k);
enum sc_burst_state sc_burst_after_write(enum sc_burst_state state,
					 s64 curburst);
bool sc_burst_spent(s64 curburst);

#endif /* SWAPCACHE_BURST_H */
