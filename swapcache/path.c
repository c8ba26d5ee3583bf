// SPDX-License-Identifier: GPL-2.0
/*
 * The I/O path's work behind the target's map and end_io (target.c): a
 * read of cached blocks goes to the SSD, a write drops the cached blocks
 * it overlaps before it is issued, and a failed SSD read is reissued to
 * the origin, the SSD given up on after SC_SSD_ERROR_LIMIT errors.
 */
#include <linux/blkdev.h>
#include <linux/workqueue.h>

#include "swapcache.h"

/*
 * A write whose range spans more blocks than this skips the read-side
 * probe and goes straight to the write side of the lock.
 */
#define SC_INVALIDATE_PROBE	64

/*----------------------------------------------------------------*/

/* SSD failures */

/*
 * Degraded mode: reads stopped using the map and inserts are refused when
 * SC_DEGRADED was set, before this was queued, so the map only shrinks
 * here and is empty at the end.
 */
static void sc_degrade_work(struct work_struct *work)
{
	struct sc_target *sc = container_of(work, struct sc_target,
					    degrade_work);

	sc_remove_blocks(sc, 0, SC_OBLOCK_NONE, true, NULL);
}

/**
 * sc_ssd_error() - count an SSD error; at the limit, switch to degraded mode
 * @sc: the target
 * @what: "read", "write" or "checksum", for the log
 *
 * Emptying the map is left to a work item, so that this takes no time
 * proportional to the cache and never sleeps: any context.
 */
void sc_ssd_error(struct sc_target *sc, const char *what)
{
	sc_count(sc, SC_STAT_SSD_ERRORS, 1);
	DMERR_LIMIT("%s: SSD %s error", dm_table_device_name(sc->ti->table),
		    what);
	if (atomic_inc_return(&sc->ssd_error_count) < SC_SSD_ERROR_LIMIT ||
	    test_and_set_bit(SC_DEGRADED, &sc->flags))
		return;

	queue_work(sc->wq, &sc->degrade_work);
	DMERR("%s: %d SSD errors: cache disabled until the table is reloaded",
	      dm_table_device_name(sc->ti->table), SC_SSD_ERROR_LIMIT);
}

/*
 * Take every bio queued on @from for a worker, leaving @from empty.  Both
 * queues' locks are taken with interrupts off: retries are queued from bio
 * completion.
 */
static void sc_take_bios(spinlock_t *lock, struct bio_list *from,
			 struct bio_list *to)
{
	spin_lock_irq(lock);
	*to = *from;
	bio_list_init(from);
	spin_unlock_irq(lock);
}

/*
 * Failed SSD reads, and reads whose data failed the verify option's check:
 * drop the blocks, then read them from the origin.  A block counts as an
 * SSD error once: reads of it that failed at the same time find it gone.
 * A failed check whose blocks read back right was the reader's buffer
 * changing under the read (sc_verify_recheck()): the blocks stay.
 */
static void sc_retry_work(struct work_struct *work)
{
	struct sc_target *sc = container_of(work, struct sc_target, retry_work);
	struct bio_list bios;
	struct bio *bio;

	sc_take_bios(&sc->retry_lock, &sc->retries, &bios);

	while ((bio = bio_list_pop(&bios))) {
		struct sc_bio *pb = dm_per_bio_data(bio, sizeof(*pb));
		sc_oblock_t first = sc_block(pb->origin_iter.bi_sector);
		bool ssd_fault = true;
		u64 dropped = 0;

		if (pb->bad_sum) {
			ssd_fault = sc_verify_recheck(sc, pb);
			sc_slab_read_done(sc, pb->slab);
		}
		if (ssd_fault) {
			sc_remove_blocks(sc, first, pb->blocks, true, &dropped);
			if (dropped)
				sc_ssd_error(sc, pb->bad_sum ? "checksum" :
					     "read");
		}
		sc_focus_lost(sc);	/* before the count: see sc_read_missed() */
		sc_count(sc, SC_STAT_READ_HITS, -(u64)pb->blocks);
		sc_count(sc, SC_STAT_READ_MISSES, pb->blocks);

		pb->kind = SC_BIO_RETRY;
		bio->bi_iter = pb->origin_iter;
		bio->bi_status = BLK_STS_OK;
		bio_set_dev(bio, sc->origin->bdev);
		dm_submit_bio_remap(bio, NULL);
	}
}

/**
 * sc_retry_later() - reissue a failed SSD read to the origin from a worker
 * @sc: the target
 * @bio: the read, which end_io then reports DM_ENDIO_INCOMPLETE
 *
 * Any context, end_io's in interrupt context included.
 */
void sc_retry_later(struct sc_target *sc, struct bio *bio)
{
	unsigned long flags;

	spin_lock_irqsave(&sc->retry_lock, flags);
	bio_list_add(&sc->retries, bio);
	spin_unlock_irqrestore(&sc->retry_lock, flags);
	queue_work(sc->wq, &sc->retry_work);
}

/*----------------------------------------------------------------*/

/* Reads */

/*
 * Blocks of one read noted by the doorkeeper: the rest of a longer read
 * (readahead, a backup's 1 MiB reads) tells it nothing more about which
 * pages come back, and the map function must stay short.
 */
#define SC_DOOR_READ_MAX	SC_SLAB_SIZE

/**
 * sc_focus_lost() - a read miss whose pages cannot be named
 * @sc: the target
 *
 * The next pass is a full one (focus.h).  Any context.
 */
void sc_focus_lost(struct sc_target *sc)
{
	unsigned long flags;

	spin_lock_irqsave(&sc->focus_lock, flags);
	sc->focus_in.overflow = true;
	spin_unlock_irqrestore(&sc->focus_lock, flags);
}

/*
 * Pages of one missed read looked at for notes, and the groups they may
 * name: a sequential read of that many pages spans at most one more.
 */
#define SC_FOCUS_BIO_PAGES	256
#define SC_FOCUS_BIO_GROUPS	(SC_FOCUS_BIO_PAGES / SC_SLAB_SIZE + 1)

/*
 * Whether @folio is a page cache page that this read fills: locked by its
 * reader and not uptodate until the read completes, so that its mapping
 * and index are stable while the read is mapped.  Anything else in a read
 * (a direct read's user memory, a filesystem's own buffers) is read
 * racily here and never noted: a direct read fills no page cache page,
 * and its user pages, if a file's, are dirtied by it (an origin write
 * later, an event).  The mapped device's own pages are metadata, staged
 * apart.
 */
static bool sc_focus_fills(const struct sc_target *sc, struct folio *folio,
			   struct address_space *mapping)
{
	return mapping && !((unsigned long)mapping & PAGE_MAPPING_FLAGS) &&
	       mapping != sc->md_mapping && folio_test_locked(folio) &&
	       !folio_test_uptodate(folio);
}

/*
 * Note the groups of the page cache pages a missed read fills (focus.h),
 * outside the lock, which is taken only when there is something to note.
 * A read whose first SC_FOCUS_BIO_PAGES pages fill none fills none (its
 * pages are all of one kind); a longer one that does is not named, and the
 * next pass is a full one.  Nothing is noted while data_enable is 0: its
 * write, a parameter write, makes the next pass a full one.
 */
static void sc_focus_note_bio(struct sc_target *sc, struct bio *bio)
{
	struct sc_focus_group notes[SC_FOCUS_BIO_GROUPS];
	unsigned int nr = 0, pages = 0, i;
	struct bvec_iter iter;
	unsigned long flags;
	struct bio_vec bv;
	bool lost = false;

	if (!sc_get(SC_DATA_ENABLE))
		return;
	bio_for_each_segment(bv, bio, iter) {
		struct folio *folio = page_folio(bv.bv_page);
		struct address_space *mapping = READ_ONCE(folio->mapping);
		u64 group;

		if (++pages > SC_FOCUS_BIO_PAGES) {
			lost = nr > 0;
			break;
		}
		if (!sc_focus_fills(sc, folio, mapping))
			continue;
		group = (READ_ONCE(folio->index) +
			 (page_to_pfn(bv.bv_page) - folio_pfn(folio))) /
			SC_SLAB_SIZE;
		if (nr && notes[nr - 1].mapping == mapping &&
		    notes[nr - 1].group == group)
			continue;
		if (nr == SC_FOCUS_BIO_GROUPS) {
			lost = true;
			break;
		}
		notes[nr].mapping = mapping;
		notes[nr++].group = group;
	}
	if (!nr && !lost)
		return;
	spin_lock_irqsave(&sc->focus_lock, flags);
	for (i = 0; i < nr; i++)
		sc_focus_add(&sc->focus_in, notes[i].mapping, notes[i].group);
	if (lost)
		sc->focus_in.overflow = true;
	spin_unlock_irqrestore(&sc->focus_lock, flags);
}

/**
 * sc_read_missed() - count a read's blocks that go to the origin
 * @sc: the target
 * @bio: the read, as far as it goes to the origin
 * @first: the first of its blocks
 * @count: how many
 *
 * The groups of the file pages it fills are noted for the thread's next
 * pass (focus.h), before the miss is counted: a thread that sees the
 * count then finds the note.  The doorkeeper notes the blocks (admit.h:
 * a ghost's block read back may be cached again; while the SSD thrashes,
 * a block read twice), unless swapcached itself reads them (the
 * filesystem's metadata, for bmap()): those say nothing of what the page
 * cache lets go.  Must not sleep; called from the map function.
 */
void sc_read_missed(struct sc_target *sc, struct bio *bio, sc_oblock_t first,
		    u64 count)
{
	u64 b, n = min_t(u64, count, SC_DOOR_READ_MAX);

	if (sc_scan_is_thread()) {
		sc_count(sc, SC_STAT_READ_MISSES, count);
		return;
	}
	sc_focus_note_bio(sc, bio);
	sc_count(sc, SC_STAT_READ_MISSES, count);
	sc_count(sc, SC_STAT_DOOR_MISSES, n);
	for (b = 0; b < n; b++)
		sc_door_missed(&sc->door, to_oblock(from_oblock(first) + b));
}

/**
 * sc_read_route() - send a read of cached blocks to the SSD
 * @sc: the target
 * @bio: the read, pointed at the origin
 * @pb: its per-bio data
 * @first: the first origin block it spans
 * @last: the last one
 *
 * Routes the longest prefix of the read that is wholly cached in
 * consecutive slots of one slab, or wholly uncached; dm core sends the
 * rest as a new bio.  Counts hits and misses.  Must not sleep; called from
 * the map function.
 */
void sc_read_route(struct sc_target *sc, struct bio *bio, struct sc_bio *pb,
		   sc_oblock_t first, sc_oblock_t last)
{
	sector_t sector = bio->bi_iter.bi_sector;
	sc_oblock_t end;
	sc_slot_t slot0;
	u64 n;

	if (!sc_verify_routable(sc, bio)) {
		sc_read_missed(sc, bio, first,
			       from_oblock(last) - from_oblock(first) + 1);
		return;
	}
	end = sc_lookup_run(sc, first, last, &slot0);
	n = from_oblock(end) - from_oblock(first);
	if (from_oblock(end) <= from_oblock(last))
		dm_accept_partial_bio(bio, sc_oblock_sector(end) - sector);

	if (from_slot(slot0) == SC_NIL) {
		sc_read_missed(sc, bio, first, n);
		return;
	}
	pb->kind = SC_BIO_SSD_READ;
	pb->slab = sc_slot_slab(slot0);
	pb->first_slot = slot0;
	pb->bad_sum = false;
	pb->blocks = n;
	pb->origin_iter = bio->bi_iter;
	bio_set_dev(bio, sc->cache->bdev);
	bio->bi_iter.bi_sector = sc_slot_sector(sc, slot0) +
				 (sector & (SC_SECTORS_PER_BLOCK - 1));
	sc_count(sc, SC_STAT_READ_HITS, n);
}

/*----------------------------------------------------------------*/

/* Writes */

/*
 * Writes whose blocks one step of the map walk did not drop: drop them a
 * step at a time, yielding between steps, then issue the bio.  dm
 * core counts these bios in flight, so suspend waits for them; their
 * write guards were bumped in the map function, so nothing can enter
 * their blocks meanwhile (see sc_map_walk_step()).
 */
static void sc_defer_work(struct work_struct *work)
{
	struct sc_target *sc = container_of(work, struct sc_target,
					    defer_work);
	struct bio_list bios;
	struct bio *bio;

	sc_take_bios(&sc->defer_lock, &sc->deferred, &bios);

	while ((bio = bio_list_pop(&bios))) {
		sc_oblock_t first = sc_block(bio->bi_iter.bi_sector);
		sc_oblock_t last = sc_block(bio_end_sector(bio) - 1);

		sc_remove_blocks(sc, first,
				 from_oblock(last) - from_oblock(first) + 1,
				 true, NULL);
		dm_submit_bio_remap(bio, NULL);
	}
}

/**
 * sc_write_invalidate() - drop the cached blocks a write-like bio overlaps
 * @sc: the target
 * @bio: the bio, pointed at the origin, its guards entered
 * @first: the first origin block it spans
 * @count: how many
 *
 * Here, if one step of the map walk does it (after a probe under the read
 * side for the shortest bios), else in a worker, which walks the range
 * again from its start and then issues the bio.  The map path thus never
 * holds the lock or spins for work that grows with the bio or the SSD.
 * Must not sleep; called from the map function.
 *
 * Return: DM_MAPIO_REMAPPED, or DM_MAPIO_SUBMITTED for a deferred bio.
 */
int sc_write_invalidate(struct sc_target *sc, struct bio *bio,
			sc_oblock_t first, u64 count)
{
	unsigned long flags;

	if (count <= SC_INVALIDATE_PROBE && !sc_lookup_any(sc, first, count))
		return DM_MAPIO_REMAPPED;
	if (sc_remove_blocks(sc, first, count, false, NULL))
		return DM_MAPIO_REMAPPED;

	spin_lock_irqsave(&sc->defer_lock, flags);
	bio_list_add(&sc->deferred, bio);
	spin_unlock_irqrestore(&sc->defer_lock, flags);
	queue_work(sc->wq, &sc->defer_work);
	return DM_MAPIO_SUBMITTED;
}

/**
 * sc_invalidate_all() - drop every cached block
 * @sc: the target
 *
 * Every block cached when it is called is dropped by the time it returns,
 * and no copy read before it returns is entered afterwards: it counts as
 * a write over every guard while it runs, so that an insert with an
 * earlier T0, or one taken meanwhile, fails its check.  It waits for no
 * insert and no SSD I/O, and holds the map's lock a step at a time,
 * yielding the CPU between steps.  Sleeps; process context.
 *
 * Return: how many blocks were dropped (also counted as invalidated).
 */
u64 sc_invalidate_all(struct sc_target *sc)
{
	u64 dropped = 0;

	sc_guards_enter(sc, 0, SC_NR_GUARDS);
	sc_remove_blocks(sc, to_oblock(0), SC_OBLOCK_NONE, true, &dropped);
	sc_guards_exit(sc, 0, SC_NR_GUARDS);
	return dropped;
}

/**
 * sc_path_init() - set up a new target's retry, deferral and degrade work
 * @sc: the target
 *
 * The workqueue they run on is allocated by the constructor.  Any context.
 */
void sc_path_init(struct sc_target *sc)
{
	spin_lock_init(&sc->retry_lock);
	bio_list_init(&sc->retries);
	INIT_WORK(&sc->retry_work, sc_retry_work);
	spin_lock_init(&sc->defer_lock);
	bio_list_init(&sc->deferred);
	INIT_WORK(&sc->defer_work, sc_defer_work);
	INIT_WORK(&sc->degrade_work, sc_degrade_work);
}
