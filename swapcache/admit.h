/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Admission: which pages of a 16-page group the thread copies to the SSD,
 * and how groups are packed into slabs.  Pure logic, shared with
 * tests/unit/; the thread (scan.c) gathers each page's facts into a
 * struct sc_admit_group, with the kernel's page flags, bmap() and the map,
 * and asks sc_admit_group() what to take.
 *
 * The rule, DragonFly's with two departures (the essay in swapcache.h says
 * why):
 *
 * - a page is a candidate when it is a clean, settled copy of an origin
 *   block that maps 1:1 and is not on the SSD yet;
 * - a group is taken, all its candidates, when at least one of them is
 *   inactive (DragonFly takes the run around an inactive page);
 * - a candidate whose origin group the cleaner evicted from the SSD while
 *   it was still resident (a ghost, struct sc_ghosts) is not taken again
 *   until that group has been read from the origin (its pages left RAM
 *   and came back) or the ghost has aged out;
 * - a group is never split: when it does not fit the slab being packed,
 *   that slab is written first.
 */
#ifndef SWAPCACHE_ADMIT_H
#define SWAPCACHE_ADMIT_H

#include <linux/bitops.h>
#include <linux/types.h>

#include "map.h"

/**
 * enum sc_page_fact - what the thread found at one index of a group, in
 *	the order it looks (cheapest first; it stops at the first that rules
 *	the page out)
 * @SC_PAGE_ABSENT: no page in the page cache there
 * @SC_PAGE_BUSY: not a settled clean copy: not uptodate, dirty, under
 *	writeback, locked, truncated, or with private state that is not clean
 * @SC_PAGE_UNMAPPED: its blocks are not one aligned origin block of the
 *	target (a hole, an unwritten or shared extent, outside the target)
 * @SC_PAGE_CACHED: its origin block is on the SSD already
 * @SC_PAGE_CANDIDATE: a clean copy of an origin block not on the SSD
 */
enum sc_page_fact {
	SC_PAGE_ABSENT,
	SC_PAGE_BUSY,
	SC_PAGE_UNMAPPED,
	SC_PAGE_CACHED,
	SC_PAGE_CANDIDATE,
};

/**
 * struct sc_admit_page - one page's facts
 * @fact: an enum sc_page_fact
 * @inactive: for a candidate, whether the VM counts it as inactive (see
 *	sc_folio_inactive() in scan.c)
 * @oblock: for a candidate or a cached page, its origin block
 */
struct sc_admit_page {
	u8 fact;
	bool inactive;
	sc_oblock_t oblock;
};

/**
 * struct sc_admit_group - the facts of one 16-page aligned group of a file
 * @page: indexed by the page's offset in the group
 */
struct sc_admit_group {
	struct sc_admit_page page[SC_SLAB_SIZE];
};

/**
 * struct sc_admit_plan - what to do with a group
 * @nr: pages to take
 * @take: their offsets in the group, in increasing order
 * @examined: pages that count against maxlaunder: the candidates, ghosts
 *	included (cached pages do not count, as in DragonFly)
 * @ghosts: candidates refused because their origin group is a ghost
 * @flush_first: the slab being packed must be written before these pages
 *	join one, because they do not fit in what is left of it
 */
struct sc_admit_plan {
	unsigned int nr;
	u8 take[SC_SLAB_SIZE];
	unsigned int examined;
	unsigned int ghosts;
	bool flush_first;
};

/*
 * Ghosts: origin groups evicted by the cleaner, remembered in two
 * generations of a hashed bitmap, two bits per group (a Bloom filter with
 * two hashes).  The current generation takes new ghosts; once it has taken
 * SC_GHOST_TURN of them, the older generation is emptied and becomes the
 * current one, so a ghost is remembered for between SC_GHOST_TURN and
 * twice that many later evictions (its aging), and a group that was never
 * evicted is mistaken for one in about 3% of the cases at the fullest.
 */
#define SC_GHOST_SHIFT		16
#define SC_GHOST_BITS		BIT(SC_GHOST_SHIFT)	/* per generation */
#define SC_GHOST_TURN		(SC_GHOST_BITS / 16)	/* groups per generation */

/*
 * Pages read from the origin in one tick of the thread that show RAM
 * turning over: a group's worth.  See sc_ghosts_turnover().
 */
#define SC_GHOST_TURNOVER	SC_SLAB_SIZE

/**
 * struct sc_ghosts - a target's ghosts
 * @bits: the two generations' bitmaps
 * @turn: ghosts a generation takes before the older one is emptied and
 *	takes over (SC_GHOST_TURN; the tests use less)
 * @added: ghosts the current generation has taken
 * @cur: which generation is current
 * @nr_added: ghosts ever added, for tests and the curious
 *
 * sc_ghost_add() and sc_ghost_test() are called by one thread at a time
 * (the kernel's swapcached); sc_ghost_forget() may run at the same time on
 * any CPU, and only clears bits, atomically.  A race between them only
 * loses a ghost or keeps one a little longer: admission, never what a read
 * returns.
 */
struct sc_ghosts {
	unsigned long bits[2][BITS_TO_LONGS(SC_GHOST_BITS)];
	u32 turn;
	u32 added;
	u32 cur;
	u64 nr_added;
};

void sc_ghosts_init(struct sc_ghosts *gh, u32 turn);
void sc_ghost_add(struct sc_ghosts *gh, u64 group);
bool sc_ghost_test(const struct sc_ghosts *gh, u64 group);
void sc_ghost_forget(struct sc_ghosts *gh, u64 group);
void sc_ghosts_turnover(struct sc_ghosts *gh, u64 misses);

/* The origin group (16 aligned blocks) an origin block is in. */
static inline u64 sc_oblock_group(sc_oblock_t oblock)
{
	return from_oblock(oblock) >> SC_SLAB_SHIFT;
}

void sc_admit_group(const struct sc_admit_group *g,
		    const struct sc_ghosts *gh, unsigned int pending,
		    struct sc_admit_plan *plan);

#endif /* SWAPCACHE_ADMIT_H */
