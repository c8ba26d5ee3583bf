// SPDX-License-Identifier: GPL-2.0
/*
 * The cache mechanism: routing reads to the SSD, dropping what writes
 * overwrite, entering clusters into the map without ever letting a stale
 * copy in, and falling back to the origin when the SSD fails.  Policy (what
 * to cache, when) lives with the callers: the warm message here, the
 * scanning thread later.
 */
#include <linux/blkdev.h>
#include <linux/hash.h>
#include <linux/mm.h>
#include <linux/pagemap.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>

#include "swapcache.h"
#include "watermark.h"

#define SC_SECTOR_SHIFT_BLOCK	(SC_BLOCK_SHIFT - SECTOR_SHIFT)

/*
 * A write whose range spans more blocks than this skips the read-side
 * probe and goes straight to the write side of the lock.
 */
#define SC_INVALIDATE_PROBE	64

static inline u64 sc_block(sector_t sector)
{
	return sector >> SC_SECTOR_SHIFT_BLOCK;
}

static inline sector_t sc_slot_sector(sc_slot_t slot)
{
	return (sector_t)from_slot(slot) << SC_SECTOR_SHIFT_BLOCK;
}

/*----------------------------------------------------------------*/

/* Write guards */

/*
 * started and completed are bumped for the same set of guards by a write's
 * map and end_io, so that set must depend on the range alone.
 */
static void sc_guards_bump(struct sc_target *sc, u64 first, u64 last,
			   bool start)
{
	u64 region;
	u32 i;

	if (last - first >= SC_NR_GUARDS - 1) {
		for (i = 0; i < SC_NR_GUARDS; i++)
			atomic_inc(start ? &sc->guards[i].started :
					   &sc->guards[i].completed);
		return;
	}
	for (region = first; region <= last; region++) {
		i = hash_64(region, SC_GUARD_BITS);
		atomic_inc(start ? &sc->guards[i].started :
				   &sc->guards[i].completed);
	}
}

/*
 * A guard's T0: its started count, and whether no write under it is in
 * flight (completed has caught up).
 */
static bool sc_guard_quiet(struct sc_target *sc, u32 guard, u32 *started)
{
	*started = atomic_read(&sc->guards[guard].started);
	smp_rmb();	/* started before completed: see sc_cache_map */
	return atomic_read(&sc->guards[guard].completed) == *started;
}

/**
 * sc_cache_snapshot() - take T0 for a cluster: its guards' started counts
 * @sc: the target
 * @oblocks: the cluster's origin blocks
 * @count: how many, at most SC_SLAB_SIZE
 * @snap: filled in, for sc_cache_insert()
 *
 * Take it before the data is read or copied.  Any context.
 *
 * Return: false when a write to one of the cluster's regions is in flight,
 * since such a write may land before or after the data is taken and
 * nothing would tell which: the cluster must not be cached now.
 */
bool sc_cache_snapshot(struct sc_target *sc, const sc_oblock_t *oblocks,
		       unsigned int count, struct sc_guard_snap *snap)
{
	unsigned int n;

	snap->nr = count;
	for (n = 0; n < count; n++) {
		snap->index[n] = hash_64(from_oblock(oblocks[n]) >>
					 SC_REGION_SHIFT, SC_GUARD_BITS);
		if (!sc_guard_quiet(sc, snap->index[n], &snap->started[n]))
			return false;
	}
	return true;
}

static bool sc_guards_unchanged(struct sc_target *sc,
				const struct sc_guard_snap *snap)
{
	unsigned int n;

	for (n = 0; n < snap->nr; n++)
		if (atomic_read(&sc->guards[snap->index[n]].started) !=
		    snap->started[n])
			return false;
	return true;
}

/*----------------------------------------------------------------*/

/* Dropping blocks without holding the map's lock for long */

/*
 * Drop the cached blocks of [first, first + count), counted as
 * invalidated, a step of the map walk at a time: the write lock is let go
 * between steps, so that the read path, which spins on it, never waits
 * for more than one step however large the range or the SSD.
 * @may_sleep: go on to the end, yielding the CPU between steps (process
 * context only); else stop after the first step.
 * Returns false when it stopped before the end; adds the blocks dropped
 * to *@dropped when @dropped is not NULL.
 */
static bool sc_remove_blocks(struct sc_target *sc, u64 first, u64 count,
			     bool may_sleep, u64 *dropped)
{
	struct sc_map_walk walk;
	bool done;

	write_lock(&sc->lock);
	sc_map_walk_init(&sc->map, &walk, to_oblock(first), count);
	for (;;) {
		done = sc_map_walk_step(&sc->map, &walk, SC_MAP_STEP);
		write_unlock(&sc->lock);
		if (done || !may_sleep)
			break;
		cond_resched();
		write_lock(&sc->lock);
	}
	sc_count(sc, SC_STAT_INVALIDATED, walk.dropped);
	if (dropped)
		*dropped += walk.dropped;
	return done;
}

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

/*----------------------------------------------------------------*/

/* SSD failures */

/*
 * Count an SSD error; at the limit, switch to degraded mode.  Emptying the
 * map is left to a work item, so that this takes no time proportional to
 * the cache and never sleeps, whatever the caller's context.
 */
static void sc_ssd_error(struct sc_target *sc, const char *what)
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

/* Failed SSD reads: drop the blocks, then read them from the origin. */
static void sc_retry_work(struct work_struct *work)
{
	struct sc_target *sc = container_of(work, struct sc_target, retry_work);
	struct bio_list bios;
	struct bio *bio;

	spin_lock_irq(&sc->retry_lock);
	bios = sc->retries;
	bio_list_init(&sc->retries);
	spin_unlock_irq(&sc->retry_lock);

	while ((bio = bio_list_pop(&bios))) {
		struct sc_bio *pb = dm_per_bio_data(bio, sizeof(*pb));
		u64 first = sc_block(pb->origin_iter.bi_sector);

		sc_ssd_error(sc, "read");
		sc_remove_blocks(sc, first, pb->blocks, true, NULL);
		sc_count(sc, SC_STAT_READ_HITS, -(u64)pb->blocks);
		sc_count(sc, SC_STAT_READ_MISSES, pb->blocks);

		pb->kind = SC_BIO_RETRY;
		bio->bi_iter = pb->origin_iter;
		bio->bi_status = BLK_STS_OK;
		bio_set_dev(bio, sc->origin->bdev);
		dm_submit_bio_remap(bio, NULL);
	}
}

/*----------------------------------------------------------------*/

/*
 * Metadata: filesystems read it through the target flagged REQ_META; a
 * miss is copied at completion into the target's staging pool, for the
 * thread to write.  The read's T0 is taken here, before it is issued, so
 * the copy is a true one unless a write started since, which the insert
 * checks as for any cluster.
 */

/*
 * Metadata is what filesystems flag REQ_META, and what they read into the
 * page cache of the mapped device itself: ext4 reads inode tables ahead
 * that way (REQ_RAHEAD, without REQ_META), and file data never goes there.
 *
 * A bio may carry any page: a swap-cache folio (whose address space has no
 * host), an anonymous, slab or vmalloc page, a page some other mapping is
 * truncating.  So the folio's mapping word is only compared with our own,
 * never followed; a value that is not an address space (an anon_vma, a
 * slab's cache, a movable page's operations, a flag bit) cannot be equal
 * to it.  The pages of a page-cache read are locked, so theirs holds still.
 */
static bool sc_bio_is_metadata(struct sc_target *sc, struct bio *bio)
{
	if (bio->bi_opf & REQ_META)
		return true;
	return READ_ONCE(page_folio(bio_page(bio))->mapping) == sc->md_mapping;
}

/* Only whole aligned blocks, at most a slab's worth (two guard regions). */
static void sc_meta_read_start(struct sc_target *sc, struct bio *bio,
			       struct sc_bio *pb)
{
	sector_t sector = bio->bi_iter.bi_sector;
	u64 first = sc_block(sector), last;
	unsigned int i;
	u32 guard;

	if (sector & (SC_SECTORS_PER_BLOCK - 1) ||
	    bio->bi_iter.bi_size & (SC_BLOCK_SIZE - 1) ||
	    bio->bi_iter.bi_size > SC_SLAB_SIZE * SC_BLOCK_SIZE)
		return;
	last = sc_block(bio_end_sector(bio) - 1);
	pb->region_first = first >> SC_REGION_SHIFT;
	pb->region_last = last >> SC_REGION_SHIFT;
	/* Before the guards are read: the age must not understate T0's. */
	pb->t0 = jiffies;
	for (i = 0; i < 2; i++) {
		guard = hash_64(i ? pb->region_last : pb->region_first,
				SC_GUARD_BITS);
		if (!sc_guard_quiet(sc, guard, &pb->started[i]))
			return;
	}
	pb->origin_iter = bio->bi_iter;
	pb->kind = SC_BIO_META_READ;
}

/*
 * Copy a read's data into staging pages, one per 4 KiB block.  Only the
 * disk range is whole blocks: the memory may start anywhere in a page (XFS
 * log recovery reads a record that wraps around the log's end into its
 * buffer at a 512-byte multiple; an O_DIRECT read into a mapping of the
 * device starts where the user likes), so a segment is cut wherever it
 * crosses from one staging page into the next.
 */
static void sc_meta_copy(struct sc_meta_block *mb, struct bio *bio,
			 struct bvec_iter from)
{
	unsigned int done, len, off = 0;
	struct bvec_iter iter;
	struct bio_vec bv;
	char *src;

	__bio_for_each_segment(bv, bio, iter, from) {
		src = bvec_kmap_local(&bv);
		for (done = 0; done < bv.bv_len; done += len, off += len) {
			len = min_t(unsigned int, bv.bv_len - done,
				    SC_BLOCK_SIZE - (off & (SC_BLOCK_SIZE - 1)));
			memcpy(page_address(mb[off >> SC_BLOCK_SHIFT].page) +
			       (off & (SC_BLOCK_SIZE - 1)), src + done, len);
		}
		kunmap_local(src);
	}
}

/* Interrupt context: stage the blocks if the pool has room, else drop. */
static void sc_meta_read_done(struct sc_target *sc, struct bio *bio,
			      struct sc_bio *pb)
{
	unsigned int n = pb->origin_iter.bi_size >> SC_BLOCK_SHIFT;
	u64 first = sc_block(pb->origin_iter.bi_sector);
	struct sc_meta_block *mb;
	unsigned long flags;
	unsigned int i;

	if (!sc_get(SC_META_ENABLE))
		return;
	spin_lock_irqsave(&sc->meta_lock, flags);
	if (sc->meta_nr + n > SC_META_POOL_SIZE) {
		spin_unlock_irqrestore(&sc->meta_lock, flags);
		return;
	}
	mb = &sc->meta[sc->meta_nr];
	for (i = 0; i < n; i++) {
		u64 region = (first + i) >> SC_REGION_SHIFT;

		mb[i].oblock = first + i;
		mb[i].guard = hash_64(region, SC_GUARD_BITS);
		mb[i].started = pb->started[region != pb->region_first];
		mb[i].t0 = pb->t0;
	}
	sc_meta_copy(mb, bio, pb->origin_iter);
	sc->meta_nr += n;
	spin_unlock_irqrestore(&sc->meta_lock, flags);
}

/* One cluster's worth off the pool: how many of them are worth writing. */
static unsigned int sc_meta_take_some(struct sc_target *sc,
				      sc_oblock_t *oblocks, struct page **pages,
				      struct sc_guard_snap *snap)
{
	unsigned int i, j, n, kept = 0;
	unsigned long t0[SC_SLAB_SIZE];
	struct sc_meta_block *mb;

	spin_lock_irq(&sc->meta_lock);
	n = min_t(unsigned int, sc->meta_nr, SC_SLAB_SIZE);
	sc->meta_nr -= n;
	mb = &sc->meta[sc->meta_nr];
	for (i = 0; i < n; i++) {
		oblocks[i] = to_oblock(mb[i].oblock);
		snap->index[i] = mb[i].guard;
		snap->started[i] = mb[i].started;
		t0[i] = mb[i].t0;
		swap(mb[i].page, pages[i]);
	}
	spin_unlock_irq(&sc->meta_lock);

	for (i = 0; i < n; i++) {
		bool dup = false;

		for (j = 0; j < kept && !dup; j++)
			dup = from_oblock(oblocks[j]) == from_oblock(oblocks[i]);
		/*
		 * A guard's started count is 32 bits: an old enough T0 may
		 * have been wrapped around to by writes that this check would
		 * then miss (see SC_META_MAX_AGE).
		 */
		if (dup || time_after(jiffies, t0[i] + SC_META_MAX_AGE) ||
		    sc_cache_holds(sc, from_oblock(oblocks[i])) ||
		    atomic_read(&sc->guards[snap->index[i]].started) !=
		    snap->started[i])
			continue;
		oblocks[kept] = oblocks[i];
		snap->index[kept] = snap->index[i];
		snap->started[kept] = snap->started[i];
		swap(pages[kept], pages[i]);
		kept++;
	}
	snap->nr = kept;
	return kept;
}

/**
 * sc_cache_meta_take() - take up to a cluster of staged metadata blocks
 * @sc: the target
 * @oblocks: filled with the blocks' origin blocks
 * @pages: the caller's SC_SLAB_SIZE pages, exchanged for the staged
 *	blocks' pages, which then hold their data in the same order
 * @snap: filled with their T0s, for sc_cache_insert()
 *
 * Blocks cached meanwhile, read twice, written since their read, or read
 * longer than SC_META_MAX_AGE ago are dropped here.  Process context.
 *
 * Return: how many blocks the caller now holds; 0 when none are staged,
 * or a pool's worth of them were all dropped.
 */
unsigned int sc_cache_meta_take(struct sc_target *sc, sc_oblock_t *oblocks,
				struct page **pages, struct sc_guard_snap *snap)
{
	unsigned int n, tries = SC_META_POOL_SIZE / SC_SLAB_SIZE;

	/*
	 * A pool that waited out an empty budget may hold only blocks too
	 * old to keep: go on to the next ones rather than report it empty,
	 * at most a pool's worth, however fast completions refill it.
	 */
	do
		n = sc_meta_take_some(sc, oblocks, pages, snap);
	while (!n && --tries && READ_ONCE(sc->meta_nr));
	return n;
}

/*----------------------------------------------------------------*/

/* The map path */

/**
 * sc_cache_slab_busy() - whether SSD reads of a slab are in flight
 * @context: the target
 * @slab: the slab
 *
 * The map's callback for choosing slabs to rewrite or evict: a busy slab
 * must keep its data.  Called under the map lock.
 *
 * Return: true when a read of @slab has not completed.
 */
bool sc_cache_slab_busy(void *context, u32 slab)
{
	struct sc_target *sc = context;

	return atomic_read(&sc->slab_readers[slab]) != 0;
}

/*
 * Route the longest prefix of a read that is wholly cached in consecutive
 * slots of one slab, or wholly uncached; dm core sends the rest as a new
 * bio.  @first and @last are the origin blocks the bio spans, which the
 * caller has already worked out.
 */
static void sc_map_read(struct sc_target *sc, struct bio *bio,
			struct sc_bio *pb, u64 first, u64 last)
{
	sector_t sector = bio->bi_iter.bi_sector;
	sc_slot_t slot0, slot;
	u64 b;

	read_lock(&sc->lock);
	slot0 = sc_map_lookup(&sc->map, to_oblock(first));
	for (b = first + 1; b <= last; b++) {
		slot = sc_map_lookup(&sc->map, to_oblock(b));
		if (from_slot(slot0) == SC_NIL) {
			if (from_slot(slot) != SC_NIL)
				break;
		} else if (from_slot(slot) != from_slot(slot0) + (b - first) ||
			   sc_slot_slab(slot) != sc_slot_slab(slot0)) {
			break;
		}
	}
	if (from_slot(slot0) != SC_NIL) {
		atomic_inc(&sc->slab_readers[sc_slot_slab(slot0)]);
		sc_map_touch_slab(&sc->map, sc_slot_slab(slot0));
	}
	read_unlock(&sc->lock);

	if (b <= last)
		dm_accept_partial_bio(bio, (b << SC_SECTOR_SHIFT_BLOCK) - sector);

	if (from_slot(slot0) == SC_NIL) {
		sc_count(sc, SC_STAT_READ_MISSES, b - first);
		return;
	}
	pb->kind = SC_BIO_SSD_READ;
	pb->slab = sc_slot_slab(slot0);
	pb->blocks = b - first;
	pb->origin_iter = bio->bi_iter;
	bio_set_dev(bio, sc->cache->bdev);
	bio->bi_iter.bi_sector = sc_slot_sector(slot0) +
				 (sector & (SC_SECTORS_PER_BLOCK - 1));
	sc_count(sc, SC_STAT_READ_HITS, b - first);
}

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

	spin_lock_irq(&sc->defer_lock);
	bios = sc->deferred;
	bio_list_init(&sc->deferred);
	spin_unlock_irq(&sc->defer_lock);

	while ((bio = bio_list_pop(&bios))) {
		u64 first = sc_block(bio->bi_iter.bi_sector);
		u64 last = sc_block(bio_end_sector(bio) - 1);

		sc_remove_blocks(sc, first, last - first + 1, true, NULL);
		dm_submit_bio_remap(bio, NULL);
	}
}

/*
 * Drop the cached blocks of a write-like bio before it is issued: here, if
 * one step of the map walk does it (after a probe under the read side for
 * the shortest bios), else in sc_defer_work(), which walks the range again
 * from its start.  The map path thus never holds the lock or spins for
 * work that grows with the bio or the SSD, and never sleeps.
 *
 * Return: DM_MAPIO_REMAPPED, or DM_MAPIO_SUBMITTED for a deferred bio.
 */
static int sc_invalidate(struct sc_target *sc, struct bio *bio, u64 first,
			 u64 count)
{
	bool cached = count > SC_INVALIDATE_PROBE;
	unsigned long flags;
	u64 b;

	if (!cached) {
		read_lock(&sc->lock);
		for (b = first; b < first + count && !cached; b++)
			cached = from_slot(sc_map_lookup(&sc->map,
							 to_oblock(b))) != SC_NIL;
		read_unlock(&sc->lock);
		if (!cached)
			return DM_MAPIO_REMAPPED;
	}
	if (sc_remove_blocks(sc, first, count, false, NULL))
		return DM_MAPIO_REMAPPED;

	spin_lock_irqsave(&sc->defer_lock, flags);
	bio_list_add(&sc->deferred, bio);
	spin_unlock_irqrestore(&sc->defer_lock, flags);
	queue_work(sc->wq, &sc->defer_work);
	return DM_MAPIO_SUBMITTED;
}

/**
 * sc_cache_map() - route a bio that the target has remapped to the origin
 * @sc: the target
 * @bio: a bio already pointed at the origin (device and sector)
 *
 * Called from the target's map function: must not sleep.  A read may be
 * redirected to the SSD and cut short with dm_accept_partial_bio(); a
 * write-like bio (write, discard, write-zeroes, secure erase) drops the
 * cached blocks it overlaps before it is issued, here or, when it is long,
 * from a work item that then issues it.
 *
 * Return: DM_MAPIO_REMAPPED, or DM_MAPIO_SUBMITTED when the bio was
 * deferred.
 */
int sc_cache_map(struct sc_target *sc, struct bio *bio)
{
	struct sc_bio *pb = dm_per_bio_data(bio, sizeof(*pb));
	sector_t sector = bio->bi_iter.bi_sector;
	u64 first, last;

	pb->kind = SC_BIO_PASS;
	if (!bio_sectors(bio))
		return DM_MAPIO_REMAPPED;	/* an empty flush */
	first = sc_block(sector);
	last = sc_block(bio_end_sector(bio) - 1);
	if (bio_op(bio) == REQ_OP_READ) {
		if (sc_get(SC_READ_ENABLE) && READ_ONCE(sc->map.nr_cached) &&
		    !test_bit(SC_DEGRADED, &sc->flags))
			sc_map_read(sc, bio, pb, first, last);
		else
			sc_count(sc, SC_STAT_READ_MISSES, last - first + 1);
		if (pb->kind == SC_BIO_PASS && sc_get(SC_META_ENABLE) &&
		    !test_bit(SC_DEGRADED, &sc->flags) &&
		    sc_bio_is_metadata(sc, bio))
			sc_meta_read_start(sc, bio, pb);
		return DM_MAPIO_REMAPPED;
	}
	if (!op_is_write(bio_op(bio)))
		return DM_MAPIO_REMAPPED;

	pb->kind = SC_BIO_WRITE;
	pb->region_first = first >> SC_REGION_SHIFT;
	pb->region_last = last >> SC_REGION_SHIFT;
	sc_guards_bump(sc, pb->region_first, pb->region_last, true);
	/*
	 * Guards before the map, pairing with the barrier in
	 * sc_cache_insert(): either the inserter sees this write in the
	 * guards, or this write sees the inserted blocks in the map.
	 */
	smp_mb__after_atomic();
	if (READ_ONCE(sc->map.nr_cached))
		return sc_invalidate(sc, bio, first, last - first + 1);
	return DM_MAPIO_REMAPPED;
}

/**
 * sc_cache_end_io() - completion of a bio that sc_cache_map() routed
 * @sc: the target
 * @bio: the bio
 * @error: its status; a failed SSD read is hidden from the user
 *
 * Runs in interrupt context: must not sleep or take the map lock.
 *
 * Return: DM_ENDIO_DONE, or DM_ENDIO_INCOMPLETE for a failed SSD read,
 * which is reissued to the origin from a workqueue.
 */
int sc_cache_end_io(struct sc_target *sc, struct bio *bio, blk_status_t *error)
{
	struct sc_bio *pb = dm_per_bio_data(bio, sizeof(*pb));
	unsigned long flags;

	switch (pb->kind) {
	case SC_BIO_WRITE:
		/* The write is done before its guards say so (T0 checks). */
		smp_mb__before_atomic();
		sc_guards_bump(sc, pb->region_first, pb->region_last, false);
		break;
	case SC_BIO_META_READ:
		if (!*error)
			sc_meta_read_done(sc, bio, pb);
		break;
	case SC_BIO_SSD_READ:
		atomic_dec(&sc->slab_readers[pb->slab]);
		if (!*error)
			break;
		spin_lock_irqsave(&sc->retry_lock, flags);
		bio_list_add(&sc->retries, bio);
		spin_unlock_irqrestore(&sc->retry_lock, flags);
		queue_work(sc->wq, &sc->retry_work);
		return DM_ENDIO_INCOMPLETE;
	}
	return DM_ENDIO_DONE;
}

/*----------------------------------------------------------------*/

/* Inserting clusters */

static int sc_io_pages(struct block_device *bdev, blk_opf_t opf,
		       sector_t sector, struct page **pages, unsigned int count)
{
	struct bio *bio = bio_alloc(bdev, count, opf, GFP_NOIO);
	unsigned int i;
	int r;

	bio->bi_iter.bi_sector = sector;
	for (i = 0; i < count; i++)
		__bio_add_page(bio, pages[i], PAGE_SIZE, 0);
	r = submit_bio_wait(bio);
	bio_put(bio);
	return r;
}

/**
 * sc_cache_insert() - write a cluster to a free slab and enter it into the
 * map unless a write to its blocks started since its T0
 * @sc: the target
 * @oblocks: the cluster's origin blocks, in any order, none cached
 * @pages: their data, taken after @snap
 * @count: 1..SC_SLAB_SIZE
 * @snap: from sc_cache_snapshot()
 *
 * The one way in for every source (warm, the thread's file pages, staged
 * metadata).  Counts written (pages entered) and write_count (bytes sent
 * to the SSD, entered or not); the caller charges the budget.  Sleeps.
 *
 * Return: 0; -ENOSPC when no slab is free or -EBUSY when the target is
 * suspending, both before anything is written; after the SSD write,
 * -EAGAIN when a write to the blocks raced, -EIO when the SSD failed or
 * the target degraded.
 */
int sc_cache_insert(struct sc_target *sc, const sc_oblock_t *oblocks,
		    struct page **pages, unsigned int count,
		    const struct sc_guard_snap *snap)
{
	bool raced;
	u32 slab;
	int r;

	mutex_lock(&sc->insert_lock);
	r = -EBUSY;
	if (test_bit(SC_SUSPENDED, &sc->flags))
		goto out;
	write_lock(&sc->lock);
	slab = sc_map_alloc_slab(&sc->map, sc_cache_slab_busy, sc);
	write_unlock(&sc->lock);
	r = -ENOSPC;
	if (slab == SC_NIL)
		goto out;

	r = sc_io_pages(sc->cache->bdev, REQ_OP_WRITE,
			(sector_t)slab * SC_SLAB_SECTORS, pages, count);
	/* Wear is wear: a cluster that fails or races was still written. */
	atomic64_add((s64)count << SC_BLOCK_SHIFT,
		     &sc_tunable_values[SC_WRITE_COUNT]);
	if (r)
		sc_ssd_error(sc, "write");

	write_lock(&sc->lock);
	if (r || test_bit(SC_DEGRADED, &sc->flags)) {
		sc_map_abort_slab(&sc->map, slab);
		write_unlock(&sc->lock);
		r = -EIO;
		goto out;
	}
	sc_map_fill_slab(&sc->map, slab, oblocks, count);
	/* Pairs with the barrier in sc_cache_map(). */
	smp_mb();
	raced = !sc_guards_unchanged(sc, snap);
	if (raced)
		sc_map_evict_slab(&sc->map, slab);
	write_unlock(&sc->lock);
	r = -EAGAIN;
	if (raced)
		goto out;

	sc_count(sc, SC_STAT_WRITTEN, count);
	r = 0;
out:
	mutex_unlock(&sc->insert_lock);
	return r;
}

/**
 * sc_cache_holds() - whether an origin block is cached
 * @sc: the target
 * @oblock: the block
 *
 * Return: true when @oblock has a copy on the SSD.
 */
bool sc_cache_holds(struct sc_target *sc, u64 oblock)
{
	bool held;

	read_lock(&sc->lock);
	held = from_slot(sc_map_lookup(&sc->map, to_oblock(oblock))) != SC_NIL;
	read_unlock(&sc->lock);
	return held;
}

/**
 * sc_cache_used_slabs() - slabs not on the free list
 * @sc: the target
 *
 * What the watermarks measure: a slab with any valid slot, or being
 * written, occupies its 64 KiB of the SSD.
 *
 * Return: the count.
 */
u64 sc_cache_used_slabs(struct sc_target *sc)
{
	u64 used;

	read_lock(&sc->lock);
	used = sc->map.nr_slabs - sc->map.nr_free;
	read_unlock(&sc->lock);
	return used;
}

/* Whether one more slab would take the SSD past the high watermark. */
static bool sc_above_high_watermark(struct sc_target *sc)
{
	return sc_water_above_high(sc_cache_used_slabs(sc) + 1,
				   sc->map.nr_slabs, sc_get(SC_MAXSWAPPCT));
}

static bool sc_all_cached(struct sc_target *sc, u64 first, unsigned int count)
{
	unsigned int i;

	for (i = 0; i < count; i++)
		if (!sc_cache_holds(sc, first + i))
			return false;
	return true;
}

/**
 * sc_cache_warm() - cache the whole 4 KiB blocks of an origin range now
 * @sc: the target
 * @start: first origin sector
 * @count: sectors, at least one; @start + @count is within the target
 *	(checked by the caller)
 *
 * The range is rounded out to whole blocks; a block that the target's end
 * cuts short is not cached.
 * Reads the blocks from the origin in 16-block aligned clusters and enters
 * each through the same path as every other insertion.  Clusters with a
 * write in flight are skipped.  Stops early, successfully, at the high
 * watermark or when no slab is free.  Ignores the opt-in and the burst
 * budget; counts in written and write_count.  Sleeps; process context.
 *
 * Return: 0, -EBUSY if the target suspended meanwhile, -EIO after an I/O
 * error, -EINTR on a fatal signal, -ENOMEM.
 */
int sc_cache_warm(struct sc_target *sc, sector_t start, sector_t count)
{
	u64 first = sc_block(start);
	u64 end = min(sc_block(start + count - 1) + 1, sc_block(sc->ti->len));
	struct page *pages[SC_SLAB_SIZE] = { NULL };
	sc_oblock_t oblocks[SC_SLAB_SIZE];
	struct sc_guard_snap snap;
	unsigned int i, n;
	u64 base, lo;
	int r = 0;

	if (first >= end)
		return 0;
	for (i = 0; i < SC_SLAB_SIZE; i++) {
		pages[i] = alloc_page(GFP_KERNEL);
		if (!pages[i]) {
			r = -ENOMEM;
			goto out;
		}
	}

	mutex_lock(&sc->warm_lock);
	for (base = first & ~(u64)(SC_SLAB_SIZE - 1); base < end;
	     base += SC_SLAB_SIZE) {
		/*
		 * At the top, for every path: a range already cached, or
		 * under a write in flight, would otherwise spin through
		 * terabytes without an I/O to sleep in.
		 */
		cond_resched();
		if (test_bit(SC_SUSPENDED, &sc->flags)) {
			r = -EBUSY;
			break;
		}
		if (test_bit(SC_DEGRADED, &sc->flags)) {
			r = -EIO;
			break;
		}
		if (fatal_signal_pending(current)) {
			r = -EINTR;
			break;
		}
		lo = max(base, first);
		n = min(base + SC_SLAB_SIZE, end) - lo;
		if (sc_above_high_watermark(sc))
			break;
		if (sc_all_cached(sc, lo, n))
			continue;
		for (i = 0; i < n; i++)
			oblocks[i] = to_oblock(lo + i);
		if (!sc_cache_snapshot(sc, oblocks, n, &snap))
			continue;
		r = sc_io_pages(sc->origin->bdev, REQ_OP_READ,
				lo << SC_SECTOR_SHIFT_BLOCK, pages, n);
		if (r) {
			DMERR_LIMIT("%s: warm: origin read error %d",
				    dm_table_device_name(sc->ti->table), r);
			break;
		}
		r = sc_cache_insert(sc, oblocks, pages, n, &snap);
		if (r == -EAGAIN) {
			r = 0;
			continue;
		}
		if (r == -ENOSPC)
			r = 0;
		if (r)
			break;
	}
	mutex_unlock(&sc->warm_lock);
out:
	for (i = 0; i < SC_SLAB_SIZE; i++)
		if (pages[i])
			__free_page(pages[i]);
	return r;
}

/*----------------------------------------------------------------*/

/* Whole-cache operations and lifecycle */

/**
 * sc_cache_invalidate_all() - drop every cached block
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
u64 sc_cache_invalidate_all(struct sc_target *sc)
{
	u64 dropped = 0;

	sc_guards_bump(sc, 0, SC_NR_GUARDS, true);
	/* As a write's map: guards before the map (see sc_cache_insert()). */
	smp_mb__after_atomic();
	sc_remove_blocks(sc, 0, SC_OBLOCK_NONE, true, &dropped);
	/* As a write's end_io: done before the guards say so. */
	smp_mb__before_atomic();
	sc_guards_bump(sc, 0, SC_NR_GUARDS, false);
	return dropped;
}

/**
 * sc_cache_presuspend() - make a running warm stop at its next cluster
 * @sc: the target
 *
 * A warm runs inside dm's message ioctl, which holds the table's SRCU read
 * lock that suspend waits for; stopping it here keeps a suspend from
 * waiting for a whole warm.  Does not sleep.
 */
void sc_cache_presuspend(struct sc_target *sc)
{
	set_bit(SC_SUSPENDED, &sc->flags);
}

/**
 * sc_cache_postsuspend() - drain background SSD work
 * @sc: the target
 *
 * dm core has already waited for every mapped bio, including reissued SSD
 * reads and deferred writes; what may be left is a warm or the thread
 * finishing a cluster's SSD write, the retry work and the emptying of the
 * map after a switch to degraded mode.  Sleeps.
 */
void sc_cache_postsuspend(struct sc_target *sc)
{
	mutex_lock(&sc->warm_lock);
	mutex_unlock(&sc->warm_lock);
	mutex_lock(&sc->insert_lock);
	mutex_unlock(&sc->insert_lock);
	flush_workqueue(sc->wq);
}

/**
 * sc_cache_resume() - allow background SSD writes again
 * @sc: the target
 *
 * Also undoes sc_cache_presuspend() when a suspend is abandoned.
 */
void sc_cache_resume(struct sc_target *sc)
{
	clear_bit(SC_SUSPENDED, &sc->flags);
}

/**
 * sc_cache_create() - set up the map and the I/O machinery of a new target
 * @sc: the target, with both devices open
 * @error: where to put the constructor's error message
 *
 * Sleeps (allocates with GFP_KERNEL).  sc_cache_destroy() undoes any part
 * of it.
 *
 * Return: 0 or -ENOMEM.
 */
int sc_cache_create(struct sc_target *sc, char **error)
{
	unsigned int i;
	u64 nr_slabs = bdev_nr_sectors(sc->cache->bdev) / SC_SLAB_SECTORS;

	BUILD_BUG_ON(PAGE_SIZE != 1 << SC_BLOCK_SHIFT);
	nr_slabs = min_t(u64, nr_slabs, SC_MAP_MAX_SLABS);

	/*
	 * A table being loaded may share its SSD with the live one it is to
	 * replace: nothing may be written to it before it is resumed.
	 */
	set_bit(SC_SUSPENDED, &sc->flags);
	rwlock_init(&sc->lock);
	spin_lock_init(&sc->retry_lock);
	bio_list_init(&sc->retries);
	INIT_WORK(&sc->retry_work, sc_retry_work);
	spin_lock_init(&sc->defer_lock);
	bio_list_init(&sc->deferred);
	INIT_WORK(&sc->defer_work, sc_defer_work);
	INIT_WORK(&sc->degrade_work, sc_degrade_work);
	mutex_init(&sc->warm_lock);
	mutex_init(&sc->insert_lock);
	spin_lock_init(&sc->meta_lock);
	for (i = 0; i < SC_META_POOL_SIZE; i++) {
		sc->meta[i].page = alloc_page(GFP_KERNEL);
		if (!sc->meta[i].page) {
			*error = "Cannot allocate the metadata staging pool";
			return -ENOMEM;
		}
	}

	/*
	 * vmalloc, not kvmalloc: a large kmalloc rounds up to a power of two
	 * and would cost up to twice the 13.75 bytes per slot.
	 */
	sc->map_mem = vmalloc(sc_map_bytes(nr_slabs));
	sc->slab_readers = vzalloc(array_size(nr_slabs, sizeof(atomic_t)));
	if (!sc->map_mem || !sc->slab_readers) {
		*error = "Cannot allocate the cache map";
		return -ENOMEM;
	}
	sc_map_init(&sc->map, nr_slabs, sc->map_mem);

	sc->wq = alloc_workqueue("swapcache-retry",
				 WQ_MEM_RECLAIM | WQ_UNBOUND, 0);
	if (!sc->wq) {
		*error = "Cannot allocate a workqueue";
		return -ENOMEM;
	}
	return 0;
}

/**
 * sc_cache_destroy() - free what sc_cache_create() set up, even partly
 * @sc: the target, with no bio in flight
 */
void sc_cache_destroy(struct sc_target *sc)
{
	unsigned int i;

	for (i = 0; i < SC_META_POOL_SIZE; i++)
		if (sc->meta[i].page)
			__free_page(sc->meta[i].page);
	if (sc->wq)
		destroy_workqueue(sc->wq);
	vfree(sc->slab_readers);
	vfree(sc->map_mem);
}
