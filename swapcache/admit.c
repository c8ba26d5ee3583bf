// SPDX-License-Identifier: GPL-2.0
/*
 * Admission: the thread's choice of pages, and the ghosts that keep it
 * from writing again what the cleaner just evicted while it was still in
 * RAM; see admit.h for the rule and swapcache.h's essay for why.
 *
 * Why ghosts.  A page in RAM gains nothing from a copy on the SSD until
 * it leaves RAM.  When more opted-in pages stay resident than the SSD
 * holds below its high watermark, the cleaner must evict some of them, and
 * the next pass found them uncached, still resident and still inactive,
 * and wrote them again: a loop bounded only by the burst budget, which
 * wore the SSD at twice the rate pages were read and kept its contents
 * turning over too fast for any of them to be hit.  A ghost stops the
 * loop: the evicted group is not written again while it stays in RAM.
 * A page of it that leaves RAM and is read back from the origin may be
 * cached again, as a page that did leave RAM and came back is exactly
 * what the SSD is for; only that page, not the whole group (the group's
 * other resident pages would be evicted again unhit, four or five pages
 * written per read miss in BENCH.md's runs N-T), so a read miss no longer
 * forgets the ghost: the doorkeeper below remembers which blocks came
 * back.  A ghost ages out after enough later evictions, so that the
 * filter forgets what it cannot hold.
 */
#include <linux/compiler.h>
#include <linux/string.h>

#include "admit.h"

/*
 * The two bits of a group in a generation: the low and high halves of one
 * full 64-bit mix (splitmix64's finalizer).  Two hash_64()s of the group
 * and of the group xor a constant share structure: for ghosts in a row,
 * as a file's runs of groups are, their bits collided twice as often.
 */
static u32 sc_ghost_bit(u64 group, unsigned int which)
{
	u64 z = group + 0x9E3779B97F4A7C15ULL;

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	z ^= z >> 31;
	return (u32)(which ? z >> 32 : z) & (SC_GHOST_BITS - 1);
}

/**
 * sc_ghosts_init() - an empty set of ghosts
 * @gh: the ghosts
 * @turn: ghosts per generation, 1..SC_GHOST_TURN (larger values are cut
 *	to SC_GHOST_TURN, 0 taken as 1)
 *
 * Pure; not concurrently with any other call on @gh.
 */
void sc_ghosts_init(struct sc_ghosts *gh, u32 turn)
{
	memset(gh, 0, sizeof(*gh));
	if (turn > SC_GHOST_TURN)
		turn = SC_GHOST_TURN;
	gh->turn = turn ? turn : 1;
}

/* Empty generation @gen. */
static void sc_ghosts_clear_gen(struct sc_ghosts *gh, u32 gen)
{
	size_t i;

	for (i = 0; i < BITS_TO_LONGS(SC_GHOST_BITS); i++)
		gh->bits[gen][i] = 0;
}

/**
 * sc_ghost_add() - remember an origin group the cleaner evicted
 * @gh: the ghosts
 * @group: the group (sc_oblock_group() of any of its blocks)
 *
 * When the current generation is full, the older one is emptied first and
 * takes the ghost: ghosts age by evictions, not by time.  Pure; called by
 * the one thread that also calls sc_ghost_test().
 */
void sc_ghost_add(struct sc_ghosts *gh, u64 group)
{
	if (gh->added >= gh->turn) {
		gh->cur ^= 1;
		sc_ghosts_clear_gen(gh, gh->cur);
		gh->added = 0;
	}
	set_bit(sc_ghost_bit(group, 0), gh->bits[gh->cur]);
	set_bit(sc_ghost_bit(group, 1), gh->bits[gh->cur]);
	gh->added++;
	gh->nr_added++;
}

/**
 * sc_ghost_test() - whether an origin group is a ghost
 * @gh: the ghosts
 * @group: the group
 *
 * May be wrong in one direction only: a group never evicted may be taken
 * for a ghost (both its bits set by others, rarely; see admit.h).  Pure.
 *
 * Return: true when both of its bits are set in either generation.
 */
bool sc_ghost_test(const struct sc_ghosts *gh, u64 group)
{
	u32 a = sc_ghost_bit(group, 0), b = sc_ghost_bit(group, 1);
	unsigned int gen;

	for (gen = 0; gen < 2; gen++)
		if (test_bit(a, gh->bits[gen]) && test_bit(b, gh->bits[gen]))
			return true;
	return false;
}

/*
 * The doorkeeper (admit.h).  Why.  Ghosts stop the thread from writing
 * again what the cleaner evicted while it stayed in RAM, but not from
 * writing, the first time, more resident pages than the SSD holds: when
 * the opted-in page cache outgrows the SSD and its pages keep leaving RAM
 * and coming back, as a reader at random over four times RAM does, each
 * page the thread writes is evicted before the reader comes back to it,
 * and each page that comes back is written again.  Nothing is hit, and the
 * SSD is written twice as fast as pages are read (BENCH.md, scenario 8).
 * DragonFly's rule, take what goes inactive, is kept as long as it works;
 * the cleaner tells when it does not: it evicts slabs that were never hit
 * since they were filled.  Then only a block read from the origin twice
 * within about one SSD's worth of misses is written: what is read that
 * often is likely to be read again before its slab is evicted, and the
 * slabs already on the SSD stay there to be hit instead of being pushed
 * out.
 */

/**
 * sc_door_init() - an empty doorkeeper, not thrashing
 * @dk: the doorkeeper
 * @window: misses per generation; cut to SC_DOOR_MIN_WINDOW..SC_GHOST_TURN
 *	(the filters' bits hold that many blocks at about 3% of mistakes)
 *
 * Pure; not concurrently with any other call on @dk.
 */
void sc_door_init(struct sc_door *dk, u32 window)
{
	memset(dk, 0, sizeof(*dk));
	if (window < SC_DOOR_MIN_WINDOW)
		window = SC_DOOR_MIN_WINDOW;
	if (window > SC_GHOST_TURN)
		window = SC_GHOST_TURN;
	dk->window = window;
}

static bool sc_bloom_test(const unsigned long (*bits)[BITS_TO_LONGS(SC_GHOST_BITS)],
			  u64 key)
{
	u32 a = sc_ghost_bit(key, 0), b = sc_ghost_bit(key, 1);
	unsigned int gen;

	for (gen = 0; gen < 2; gen++)
		if (test_bit(a, bits[gen]) && test_bit(b, bits[gen]))
			return true;
	return false;
}

/* Set @key's bits in one generation, testing first: most are set already. */
static void sc_bloom_set(unsigned long *bits, u64 key)
{
	u32 a = sc_ghost_bit(key, 0), b = sc_ghost_bit(key, 1);

	if (!test_bit(a, bits))
		set_bit(a, bits);
	if (!test_bit(b, bits))
		set_bit(b, bits);
}

/**
 * sc_door_once() - whether a block was read from the origin lately
 * @dk: the doorkeeper
 * @oblock: the block
 *
 * Wrong in one direction only, rarely (a Bloom filter).  Pure.
 *
 * Return: true when it was, once or more.
 */
bool sc_door_once(const struct sc_door *dk, sc_oblock_t oblock)
{
	return sc_bloom_test(dk->once, from_oblock(oblock));
}

/**
 * sc_door_twice() - whether a block was read from the origin twice lately
 * @dk: the doorkeeper
 * @oblock: the block
 *
 * Pure.
 *
 * Return: true when it was, twice or more.
 */
bool sc_door_twice(const struct sc_door *dk, sc_oblock_t oblock)
{
	return sc_bloom_test(dk->twice, from_oblock(oblock));
}

/**
 * sc_door_missed() - note a block read from the origin
 * @dk: the doorkeeper
 * @oblock: the block
 *
 * Any context, any CPU, at the same time as any other call: only sets
 * bits, atomically, in the generation current when it looked.
 */
void sc_door_missed(struct sc_door *dk, sc_oblock_t oblock)
{
	u32 cur = READ_ONCE(dk->cur) & 1;

	if (sc_door_once(dk, oblock))
		sc_bloom_set(dk->twice[cur], from_oblock(oblock));
	else
		sc_bloom_set(dk->once[cur], from_oblock(oblock));
}

/* Clear @key's bits in one generation, testing first. */
static void sc_bloom_clear(unsigned long *bits, u64 key)
{
	u32 a = sc_ghost_bit(key, 0), b = sc_ghost_bit(key, 1);

	if (test_bit(a, bits))
		clear_bit(a, bits);
	if (test_bit(b, bits))
		clear_bit(b, bits);
}

/**
 * sc_door_forget_group() - a group became a ghost: its blocks' reads so far
 *	are not reads back
 * @dk: the doorkeeper
 * @group: the origin group the cleaner evicted
 *
 * A ghost's block may be taken again once it is read from the origin after
 * the eviction (sc_admit_refuses()); the read that first brought it into
 * RAM, often within the same window of misses, says nothing of whether it
 * left RAM since, and would let every such block of a group still resident
 * be written again at once, the loop ghosts are there to stop.  So the
 * blocks' @once bits go, in both generations.  Another block that shares
 * one of them forgets its read too: refused a little longer, never taken
 * for it.  @twice is left alone: while thrashing, only the doorkeeper
 * decides.  The thread's; at the same time as sc_door_missed(), both
 * atomic (a read that races with it may be forgotten).
 */
void sc_door_forget_group(struct sc_door *dk, u64 group)
{
	u64 b, first = group << SC_SLAB_SHIFT;

	for (b = first; b < first + SC_SLAB_SIZE; b++) {
		sc_bloom_clear(dk->once[0], b);
		sc_bloom_clear(dk->once[1], b);
	}
}

/* The older generation is emptied and takes new blocks. */
static void sc_door_turn(struct sc_door *dk)
{
	u32 next = dk->cur ^ 1;
	size_t i;

	for (i = 0; i < BITS_TO_LONGS(SC_GHOST_BITS); i++) {
		WRITE_ONCE(dk->once[next][i], 0);
		WRITE_ONCE(dk->twice[next][i], 0);
	}
	WRITE_ONCE(dk->cur, next);
}

/**
 * sc_door_tick() - the thread's tick: misses since the last one
 * @dk: the doorkeeper
 * @misses: blocks the target read from the origin since the last call,
 *	the thread's own reads left out
 *
 * Turns the generations every window of misses, and leaves thrashing once
 * SC_THRASH_QUIET windows went by with no eviction.  Pure; the thread.
 */
void sc_door_tick(struct sc_door *dk, u64 misses)
{
	dk->seen += misses;
	if (dk->seen >= dk->window) {
		bool both = dk->seen >= 2ULL * dk->window;

		sc_door_turn(dk);
		if (both)
			sc_door_turn(dk);
		dk->seen = both ? 0 : dk->seen - dk->window;
	}
	dk->quiet += misses;
	if (dk->thrashing && dk->quiet >= (u64)SC_THRASH_QUIET * dk->window) {
		dk->thrashing = false;
		dk->score = 0;
	}
}

/**
 * sc_door_evicted() - the cleaner evicted a slab
 * @dk: the doorkeeper
 * @hit: whether the slab was hit since it was filled
 *
 * Thrashing begins when about three in four recent evictions found their
 * slab never hit.  Pure; the thread.
 */
void sc_door_evicted(struct sc_door *dk, bool hit)
{
	dk->score -= dk->score >> SC_THRASH_SHIFT;
	if (!hit)
		dk->score += SC_THRASH_ONE >> SC_THRASH_SHIFT;
	dk->quiet = 0;
	if (!dk->thrashing && dk->score >= SC_THRASH_ENTER) {
		dk->thrashing = true;
		dk->nr_thrash++;
	}
}

/**
 * sc_admit_refuses() - whether a candidate is refused, whatever its state
 * @gh: the target's ghosts, or NULL
 * @dk: the target's doorkeeper, or NULL; without it a ghost's candidate is
 *	refused until the ghost goes (the tests compare the rules)
 * @oblock: the candidate's origin block
 *
 * Depends only on what read misses and evictions change, both events of
 * the quiet pass (memo.h).  Pure.
 *
 * Return: an enum sc_admit_refusal.
 */
enum sc_admit_refusal sc_admit_refuses(const struct sc_ghosts *gh,
				       const struct sc_door *dk,
				       sc_oblock_t oblock)
{
	if (dk && dk->thrashing)
		return sc_door_twice(dk, oblock) ? SC_ADMIT_OK : SC_ADMIT_DOOR;
	if (gh && sc_ghost_test(gh, sc_oblock_group(oblock)) &&
	    !(dk && sc_door_once(dk, oblock)))
		return SC_ADMIT_GHOST;
	return SC_ADMIT_OK;
}

/**
 * sc_admit_group() - which pages of a group to take
 * @g: the facts of the group's pages
 * @gh: the target's ghosts, or NULL for the rule without them (tests
 *	compare the rules)
 * @dk: the target's doorkeeper, or NULL (see sc_admit_refuses())
 * @pending: pages already packed in the slab being gathered, 0..16
 * @plan: set to the decision
 *
 * The candidates sc_admit_refuses() lets through are taken, all of them,
 * when one of them is inactive; none otherwise.  A page the caller already
 * found refused (SC_PAGE_REFUSED) counts as examined and is never taken:
 * the doorkeeper's bits are set by read misses on any CPU, and its state
 * was not looked at.  Pure.
 */
void sc_admit_group(const struct sc_admit_group *g,
		    const struct sc_ghosts *gh, const struct sc_door *dk,
		    unsigned int pending, struct sc_admit_plan *plan)
{
	bool inactive = false;
	unsigned int i;

	memset(plan, 0, sizeof(*plan));
	for (i = 0; i < SC_SLAB_SIZE; i++) {
		const struct sc_admit_page *p = &g->page[i];

		if (p->fact == SC_PAGE_REFUSED) {
			plan->examined++;
			continue;
		}
		if (p->fact != SC_PAGE_CANDIDATE)
			continue;
		plan->examined++;
		switch (sc_admit_refuses(gh, dk, p->oblock)) {
		case SC_ADMIT_GHOST:
			plan->ghosts++;
			continue;
		case SC_ADMIT_DOOR:
			plan->doored++;
			continue;
		default:
			break;
		}
		inactive |= p->inactive;
		plan->take[plan->nr++] = i;
	}
	if (!inactive)
		plan->nr = 0;
	plan->flush_first = plan->nr && pending + plan->nr > SC_SLAB_SIZE;
}
