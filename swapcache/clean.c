// SPDX-License-Identifier: GPL-2.0
/*
 * The cleaner: past the high watermark the thread evicts whole slabs,
 * chosen by a CLOCK that spares slabs read since the hand last passed,
 * until the SSD is below the low watermark.  Freed ranges are discarded
 * when the SSD takes discards.
 */
#include <linux/blkdev.h>

#include "swapcache.h"
#include "watermark.h"

/**
 * sc_clean_update() - move a target's watermark state on
 * @sc: the target
 *
 * Called by the thread at each tick, before it writes or cleans.
 */
void sc_clean_update(struct sc_target *sc)
{
	WRITE_ONCE(sc->water,
		   sc_water_next(READ_ONCE(sc->water), sc_cache_used_slabs(sc),
				 sc->map.nr_slabs, sc_get(SC_MAXSWAPPCT)));
}

/*
 * Evict one slab.  It stays off the free list until its discard is done,
 * so that no cluster written to it meanwhile can be wiped.  Returns false
 * when no slab can be evicted now (all referenced slabs had their second
 * chance and the rest have reads in flight).
 */
static bool sc_clean_one(struct sc_target *sc)
{
	struct block_device *ssd = sc->cache->bdev;
	u32 steps = 2 * sc->map.nr_slabs, slab, dropped = 0;

	/* The search a step at a time: the read path spins on the lock. */
	for (;;) {
		write_lock(&sc->lock);
		slab = sc_map_clock_step(&sc->map, sc_cache_slab_busy, sc,
					 &steps);
		if (slab != SC_NIL)
			dropped = sc_map_retire_slab(&sc->map, slab);
		write_unlock(&sc->lock);
		if (slab != SC_NIL || !steps)
			break;
		cond_resched();
	}
	if (slab == SC_NIL)
		return false;
	sc_count(sc, SC_STAT_EVICTED, dropped);

	if (bdev_max_discard_sectors(ssd))
		blkdev_issue_discard(ssd, (sector_t)slab * SC_SLAB_SECTORS,
				     SC_SLAB_SECTORS, GFP_NOIO);

	write_lock(&sc->lock);
	sc_map_abort_slab(&sc->map, slab);
	write_unlock(&sc->lock);
	return true;
}

/**
 * sc_clean() - one tick of cleaning
 * @sc: the target, in the cleaning state
 *
 * Evicts until the low watermark is reached or a tick's work is done:
 * maxlaunder pages' worth of slabs, as the seed bounds its cleaning pass
 * by maxlaunder.  Sleeps (discards).
 */
void sc_clean(struct sc_target *sc)
{
	long slabs = max_t(long, sc_get(SC_MAXLAUNDER) / SC_SLAB_SIZE, 1);

	mutex_lock(&sc->insert_lock);
	while (slabs-- > 0 && !test_bit(SC_SUSPENDED, &sc->flags)) {
		if (!sc_clean_one(sc))
			break;
		sc_clean_update(sc);
		if (READ_ONCE(sc->water) != SC_WATER_CLEANING)
			break;
	}
	mutex_unlock(&sc->insert_lock);
}
