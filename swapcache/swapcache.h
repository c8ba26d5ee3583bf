/* SPDX-License-Identifier: GPL-2.0 */
/*
 * swapcache: an SSD read cache for Linux, ported from DragonFly BSD's
 * swapcache (sys/vm/vm_swapcache.c, Matthew Dillon, 2010).
 *
 * DESIGN
 * ======
 *
 * DragonFly lets clean file pages that are aging out of RAM keep a copy on
 * an SSD configured as swap.  A daemon walks the inactive page queue, picks
 * clean vnode-backed pages from files flagged "cache", writes them to swap
 * in aligned 16-page clusters and leaves the swap assignment attached to
 * the VM object after the page itself is freed; the vnode read path then
 * diverts reads of those pages to the SSD.  A token bucket bounds the SSD
 * write rate, and once swap use passes a high watermark a cleaner strips
 * assignments until use falls below a low one.
 *
 * Linux has no hook in its read path that a module could use to divert
 * reads of a file's pages, so the cache lives one layer lower: a
 * device-mapper target sits between the filesystem and its slow disk (the
 * origin) and owns the SSD (the cache device).  Reads pass through the
 * target, which knows which origin blocks have a copy on the SSD; the
 * scanning thread still chooses what to copy by looking at the page cache,
 * as DragonFly does, so the cache holds what the VM found worth keeping
 * rather than everything that was ever read.
 *
 * Glossary
 * --------
 * origin block	  a 4 KiB-aligned 4 KiB block of the origin device.
 * cache slot	  a 4 KiB-aligned 4 KiB block of the cache device.
 * slab		  16 consecutive slots (64 KiB): the unit in which the SSD
 *		  is written and evicted, DragonFly's swap meta-block.  The
 *		  cache's capacity is the number of whole slabs on the cache
 *		  device times 16 (cache_pages in the status line).
 * cluster	  up to 16 origin blocks written to one slab in one I/O.
 * watermarks	  maxswappct% of the slots (high) and maxswappct - 5% (low).
 * burst budget	  the token bucket (curburst, accrate, minburst, maxburst)
 *		  that every SSD write is charged against.
 *
 * Module parameters are global, as DragonFly's sysctls are: the thread that
 * obeys them is shared by every target.  Each target keeps its own counters
 * and devices.  Parameter rules (names, units, defaults, ranges) live in the
 * pure file tunables.c so that user-space tests check the very same code.
 *
 * The cache device is volatile: nothing on it is trusted across a table
 * construction, so there is no on-disk format and no metadata device.
 */
#ifndef SWAPCACHE_H
#define SWAPCACHE_H

#include <linux/atomic.h>
#include <linux/device-mapper.h>
#include <linux/percpu.h>
#include <linux/version.h>

#include "tunables.h"

#define DM_MSG_PREFIX "swapcache"

#define SC_BLOCK_SHIFT		12	/* origin blocks and slots: 4 KiB */
#define SC_SECTORS_PER_BLOCK	(1U << (SC_BLOCK_SHIFT - SECTOR_SHIFT))
#define SC_SLAB_SLOTS		16	/* DragonFly's SWAP_META_PAGES */
#define SC_SLAB_SECTORS		(SC_SLAB_SLOTS * SC_SECTORS_PER_BLOCK)

/* Smallest cache device accepted: 16 slabs. */
#define SC_CACHE_MIN_SECTORS	((1U << 20) >> SECTOR_SHIFT)

/**
 * struct sc_stats - one CPU's share of a target's counters
 *
 * Per-CPU so that the map path never bounces a shared cache line; the
 * status line sums them.  All counts are in 4 KiB pages.
 */
struct sc_stats {
	u64 read_hits;
	u64 read_misses;
	u64 written;
	u64 evicted;
	u64 invalidated;
	u64 ssd_errors;
};

/**
 * struct sc_target - one swapcache table entry
 * @ti: the device-mapper target we back
 * @origin: the slow disk
 * @cache: the SSD
 * @cache_slots: capacity in slots (whole slabs only)
 * @explicit_opt_count: the table gave "0" optional arguments, echoed back
 * @stats: per-CPU counters
 */
struct sc_target {
	struct dm_target *ti;
	struct dm_dev *origin;
	struct dm_dev *cache;
	u64 cache_slots;
	bool explicit_opt_count;
	struct sc_stats __percpu *stats;
};

/*
 * Current values of the module parameters, indexed by enum sc_tunable.
 * atomic64_t because the thread and the budget update some of them
 * (curburst, write_count) while an administrator may write them.
 */
extern atomic64_t sc_tunable_values[SC_NR_TUNABLES];

/**
 * sc_get() - read a module parameter
 * @id: which one
 *
 * May be called from any context, including the map path.
 *
 * Return: its current value.
 */
static inline s64 sc_get(enum sc_tunable id)
{
	return atomic64_read(&sc_tunable_values[id]);
}

#endif /* SWAPCACHE_H */
