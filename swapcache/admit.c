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
 * Once its pages leave RAM and are read back from the origin (a read miss
 * on the group), the ghost is forgotten and the group may be cached
 * again, as a page that did leave RAM and came back is exactly what the
 * SSD is for.  A ghost also ages out after enough later evictions, so
 * that the filter forgets what it cannot hold.
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

/* Empty generation @gen, word by word: readers may clear bits meanwhile. */
static void sc_ghosts_clear_gen(struct sc_ghosts *gh, u32 gen)
{
	size_t i;

	for (i = 0; i < BITS_TO_LONGS(SC_GHOST_BITS); i++)
		WRITE_ONCE(gh->bits[gen][i], 0);
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
	/* The read path looks at it, without a lock, to skip a forget. */
	WRITE_ONCE(gh->nr_added, gh->nr_added + 1);
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

/**
 * sc_ghost_forget() - a group was read from the origin: no ghost any more
 * @gh: the ghosts
 * @group: the group
 *
 * Clears the group's bits in both generations, which may also forget
 * another ghost that shares one (it may then be cached again: the rule
 * without ghosts).  Tests before it clears, so that a read of a group that
 * is no ghost, the common case, writes nothing.  Any context; atomic
 * against concurrent calls and against sc_ghost_add().
 */
void sc_ghost_forget(struct sc_ghosts *gh, u64 group)
{
	u32 bit[2] = { sc_ghost_bit(group, 0), sc_ghost_bit(group, 1) };
	unsigned int gen, i;

	for (gen = 0; gen < 2; gen++)
		for (i = 0; i < 2; i++)
			if (test_bit(bit[i], gh->bits[gen]))
				clear_bit(bit[i], gh->bits[gen]);
}

/**
 * sc_ghosts_turnover() - forget every ghost when RAM is turning over
 * @gh: the ghosts
 * @misses: pages the target read from the origin since the last call
 *	(one tick of the thread)
 *
 * A tick that follows SC_GHOST_TURNOVER or more reads from the origin
 * means pages are entering RAM, and so leaving it: a resident page may now
 * be close to leaving, and a fresh copy of it is worth writing again, as
 * the rule without ghosts does.  Fewer (a metadata read now and then) leave
 * them alone.  Pure; called by the thread that adds and tests.
 */
void sc_ghosts_turnover(struct sc_ghosts *gh, u64 misses)
{
	if (misses < SC_GHOST_TURNOVER)
		return;
	sc_ghosts_clear_gen(gh, 0);
	sc_ghosts_clear_gen(gh, 1);
	gh->added = 0;
}

/**
 * sc_admit_group() - which pages of a group to take
 * @g: the facts of the group's pages
 * @gh: the target's ghosts, or NULL for the rule without them (tests
 *	compare the two)
 * @pending: pages already packed in the slab being gathered, 0..16
 * @plan: set to the decision
 *
 * The candidates that are not ghosts are taken, all of them, when one of
 * them is inactive; none otherwise.  Pure.
 */
void sc_admit_group(const struct sc_admit_group *g,
		    const struct sc_ghosts *gh, unsigned int pending,
		    struct sc_admit_plan *plan)
{
	bool inactive = false;
	unsigned int i;

	memset(plan, 0, sizeof(*plan));
	for (i = 0; i < SC_SLAB_SIZE; i++) {
		const struct sc_admit_page *p = &g->page[i];

		if (p->fact != SC_PAGE_CANDIDATE)
			continue;
		plan->examined++;
		if (gh && sc_ghost_test(gh, sc_oblock_group(p->oblock))) {
			plan->ghosts++;
			continue;
		}
		inactive |= p->inactive;
		plan->take[plan->nr++] = i;
	}
	if (!inactive)
		plan->nr = 0;
	plan->flush_first = plan->nr && pending + plan->nr > SC_SLAB_SIZE;
}
