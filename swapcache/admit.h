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
 *   unless its own block was read from the origin since (it left RAM and
 *   came back: struct sc_door remembers the blocks read), or the ghost
 *   has aged out;
 * - while the SSD thrashes (its cleaner evicts slabs that were never hit
 *   since they were filled, struct sc_door), a candidate is taken only if
 *   its block was read from the origin twice within a recent window (a
 *   doorkeeper): what the SSD cannot keep until a hit is not written;
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
 * @SC_PAGE_REFUSED: a page of an origin block not on the SSD that
 *	sc_admit_refuses() refused when the thread looked, so that it did
 *	not look at the page's state: never taken, even if read misses on
 *	other CPUs have since let the doorkeeper admit its block
 */
enum sc_page_fact {
	SC_PAGE_ABSENT,
	SC_PAGE_BUSY,
	SC_PAGE_UNMAPPED,
	SC_PAGE_CACHED,
	SC_PAGE_CANDIDATE,
	SC_PAGE_REFUSED,
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
 *	and their block was not read back
 * @doored: candidates refused while the SSD thrashes, their block not
 *	read twice from the origin lately
 * @flush_first: the slab being packed must be written before these pages
 *	join one, because they do not fit in what is left of it
 */
struct sc_admit_plan {
	unsigned int nr;
	u8 take[SC_SLAB_SIZE];
	unsigned int examined;
	unsigned int ghosts;
	unsigned int doored;
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
 * (the kernel's swapcached).
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

/* The origin group (16 aligned blocks) an origin block is in. */
static inline u64 sc_oblock_group(sc_oblock_t oblock)
{
	return from_oblock(oblock) >> SC_SLAB_SHIFT;
}

/*
 * The doorkeeper: origin blocks read from the origin lately, in two
 * two-generation Bloom filters of SC_GHOST_BITS bits each, like the
 * ghosts': @once takes a block at its first read miss, @twice at a read
 * miss of a block @once already holds.  The generations turn over by read
 * misses, @window of them (the SSD's pages, at least SC_DOOR_MIN_WINDOW,
 * at most SC_GHOST_TURN), so a block is remembered for between one and
 * two windows of later misses.
 */
#define SC_DOOR_MIN_WINDOW	256

/*
 * Thrashing: the share of recent evictions that found their slab never hit
 * since it was filled, an average over about SC_THRASH_WEIGHT evictions,
 * in 1/SC_THRASH_ONE.  Entered at 3/4; left only once the cleaner has
 * evicted nothing while SC_THRASH_QUIET windows of misses went by (the
 * doorkeeper's own admissions get hit, so the share says nothing about the
 * rule it replaced; a cache that no longer needs cleaning does).
 */
#define SC_THRASH_ONE		1024
#define SC_THRASH_SHIFT		3	/* weight of an eviction: 1/8 */
#define SC_THRASH_ENTER		(SC_THRASH_ONE * 3 / 4)
#define SC_THRASH_QUIET		8

/**
 * struct sc_door - a target's doorkeeper and thrashing state
 * @once: blocks read from the origin once lately, two generations
 * @twice: blocks read from it twice lately, two generations
 * @cur: which generation takes new blocks (read by the read path)
 * @window: misses per generation
 * @seen: misses since the generations last turned
 * @quiet: misses since the cleaner last evicted
 * @score: the share of recent evictions that were never hit, of
 *	SC_THRASH_ONE
 * @thrashing: admission by the doorkeeper (read by the thread only)
 * @nr_thrash: times thrashing began, for tests and the curious
 *
 * sc_door_missed() runs in the read path, on any CPU, at the same time as
 * anything else: it only sets bits, atomically.  Everything else is the
 * thread's.  A race loses a block or keeps one a little longer:
 * admission, never what a read returns.
 */
struct sc_door {
	unsigned long once[2][BITS_TO_LONGS(SC_GHOST_BITS)];
	unsigned long twice[2][BITS_TO_LONGS(SC_GHOST_BITS)];
	u32 cur;
	u32 window;
	u64 seen;
	u64 quiet;
	u32 score;
	bool thrashing;
	u64 nr_thrash;
};

void sc_door_init(struct sc_door *dk, u32 window);
void sc_door_missed(struct sc_door *dk, sc_oblock_t oblock);
bool sc_door_once(const struct sc_door *dk, sc_oblock_t oblock);
bool sc_door_twice(const struct sc_door *dk, sc_oblock_t oblock);
void sc_door_tick(struct sc_door *dk, u64 misses);
void sc_door_evicted(struct sc_door *dk, bool hit);
void sc_door_forget_group(struct sc_door *dk, u64 group);

/**
 * enum sc_admit_refusal - why a candidate is not taken, whatever its state
 * @SC_ADMIT_OK: not refused: the group rule decides
 * @SC_ADMIT_GHOST: a ghost's block not read back since
 * @SC_ADMIT_DOOR: thrashing, and its block not read twice lately
 */
enum sc_admit_refusal {
	SC_ADMIT_OK,
	SC_ADMIT_GHOST,
	SC_ADMIT_DOOR,
};

enum sc_admit_refusal sc_admit_refuses(const struct sc_ghosts *gh,
				       const struct sc_door *dk,
				       sc_oblock_t oblock);

void sc_admit_group(const struct sc_admit_group *g,
		    const struct sc_ghosts *gh, const struct sc_door *dk,
		    unsigned int pending, struct sc_admit_plan *plan);

#endif /* SWAPCACHE_ADMIT_H */
