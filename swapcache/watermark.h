/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The watermark machine: whether the daemon fills the SSD or cleans it.
 * Pure logic, shared with tests/unit/.
 *
 * The daemon writes until the SSD's use passes the high watermark
 * (maxswappct% of it), then cleans until use falls below the low watermark
 * (maxswappct - 5%), then writes again; the 5% gap keeps it from flapping
 * between the two on every tick.  Use and size are counted in slabs, or in
 * any other unit as long as both are in the same one and fit a u32 (a map
 * has fewer than 2^28 slabs).
 */
#ifndef SWAPCACHE_WATERMARK_H
#define SWAPCACHE_WATERMARK_H

#include <linux/limits.h>
#include <linux/types.h>

/* The gap between the high and the low watermark, in percent. */
#define SC_WATER_GAP_PCT 5

/**
 * enum sc_water_state - the watermark half of the daemon's state machines
 * @SC_WATER_WRITING: filling the SSD, paced by the burst budget
 * @SC_WATER_CLEANING: evicting, down to the low watermark
 */
enum sc_water_state {
	SC_WATER_WRITING,
	SC_WATER_CLEANING,
};

bool sc_water_above_high(u32 used, u32 total, u32 maxswappct);
enum sc_water_state sc_water_next(enum sc_water_state state, u32 used,
				  u32 total, u32 maxswappct);

#endif /* SWAPCACHE_WATERMARK_H */
