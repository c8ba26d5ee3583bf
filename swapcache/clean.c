// SPDX-License-Identifier: GPL-2.0
/*
 * The cleaner: past the high watermark the thread evicts whole slabs,
 * chosen by a CLOCK that spares slabs read since the hand last passed,
 * until the SSD is below the low watermark.  Freed ranges are discarded
 * when the SSD takes discards.
 */
#include <linux/blkdev.h>

#include "admit.h"
#include "swapcache.h"
#include "watermark.h"

/**
 * sc_clean_update() - move a target's watermark state on
 * @sc: the target
 *
 * Called by the thread at each tick, before it writes or cleans, and by
 * sc_clean() between evictions.  Takes the map's read side.  Process
 * context.
 */
void sc_clean_update(struct sc_target *sc)
{
	WRITE_ONCE(sc->water,
		   sc_water_next(READ_ONCE(sc->water), sc_used_slabs(sc),
				 sc->map.nr_slabs, sc_get(SC_MAXSWAPPCT)));
}

/*
 * Evict one slab and discard it.  Its groups become ghosts (admit.h), so
 * that the thread does not write them again while they stay in RAM, and
 * the doorkeeper learns whether it was ever hit (thrashing, admit.h).
 * Returns false when no slab can be evicted now.
 */
static bool sc_clean_one(struct sc_target *sc)
{
	struct block_device *ssd = sc->cache->bdev;
	u64 groups[SC_SLAB_SIZE];
	sc_slab_t slab;
	u32 dropped, nr_groups, i;
	bool hit;

	slab = sc_clock_evict(sc, &dropped, &hit, groups, &nr_groups);
	if (slab == SC_NO_SLAB)
		return false;
	sc_count(sc, SC_STAT_EVICTED, dropped);
	for (i = 0; i < nr_groups; i++) {
		sc_ghost_add(&sc->ghosts, groups[i]);
		sc_door_forget_group(&sc->door, groups[i]);
	}
	sc_door_evicted(&sc->door, hit);

	if (bdev_max_discard_sectors(ssd))
		blkdev_issue_discard(ssd, sc_slab_sector(sc, slab),
				     SC_SLAB_SECTORS, GFP_NOIO);

	sc_abort_slab(sc, slab);
	return true;
}

/**
 * sc_clean() - one tick of cleaning
 * @sc: the target, in the cleaning state
 *
 * Evicts until the low watermark is reached or a tick's work is done:
 * maxlaunder pages' worth of slabs, as DragonFly's vm_swapcache.c bounds
 * its cleaning pass by maxlaunder.  Holds insert_lock across the whole
 * tick, discards included, so that postsuspend waits for them; takes the
 * map's write side a step at a time.  Sleeps; process context (the
 * thread).
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
