// SPDX-License-Identifier: GPL-2.0
/*
 * Filling the SSD: the one way in for a cluster (sc_insert()), the warm
 * message that fills it from an origin range on demand, and the staging
 * of metadata reads for the thread.  What to cache, and when, is the
 * callers' policy: the warm message and the thread (scan.c).
 */
#include <linux/blkdev.h>
#include <linux/highmem.h>
#include <linux/mm.h>
#include <linux/sched/signal.h>

#include "stage.h"
#include "swapcache.h"
#include "watermark.h"

static_assert(SC_STAGE_SHIFT == SC_BLOCK_SHIFT);

/*----------------------------------------------------------------*/

/* Inserting clusters */

/**
 * sc_io_pages() - synchronous I/O of whole pages at one place of a device
 * @bdev: the device
 * @opf: the operation and its flags
 * @sector: where the first page goes or comes from
 * @pages: the pages, in order
 * @count: how many, 1..BIO_MAX_VECS
 *
 * Sleeps; process context.
 *
 * Return: 0 or the bio's error.
 */
int sc_io_pages(struct block_device *bdev, blk_opf_t opf,
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
 * sc_insert() - write a cluster to a free slab and enter it into the map
 *	unless a write to its blocks started since its T0
 * @sc: the target
 * @oblocks: the cluster's origin blocks, in any order, none cached
 * @pages: their data, taken after @snap
 * @count: 1..SC_SLAB_SIZE
 * @snap: from sc_guard_snapshot()
 *
 * The one way in for every source (warm, the thread's file pages, staged
 * metadata).  Counts written (pages entered) and write_count (bytes sent
 * to the SSD, entered or not); the caller charges the budget.  Takes
 * insert_lock, then the map's lock.  Sleeps; process context, no spinlock
 * held (the thread may hold s_umount for reading, a warm its warm_lock).
 *
 * Return: 0; -ENOSPC when no slab is free, -EBUSY when the target is
 * suspending and -ENOMEM when the map (or the verify option's sums) has no
 * memory for the cluster, all
 * before anything is written; after the SSD write, -EAGAIN when a write
 * to the blocks raced, -EIO when the SSD failed or the target degraded.
 */
int sc_insert(struct sc_target *sc, const sc_oblock_t *oblocks,
	      struct page **pages, unsigned int count,
	      const struct sc_guard_snap *snap)
{
	sc_slab_t slab;
	int r;

	mutex_lock(&sc->insert_lock);
	r = -EBUSY;
	if (test_bit(SC_SUSPENDED, &sc->flags))
		goto out;
	slab = sc_alloc_slab(sc);
	r = -ENOSPC;
	if (slab == SC_NO_SLAB)
		goto out;
	/* A cluster the map would have no memory for is not written. */
	r = -ENOMEM;
	if (!sc_map_refill(sc) ||
	    sc_verify_prepare(sc, slab, pages, count)) {
		sc_abort_slab(sc, slab);
		goto out;
	}

	r = sc_io_pages(sc->cache->bdev, REQ_OP_WRITE, sc_slab_sector(sc, slab),
			pages, count);
	/* Wear is wear: a cluster that fails or races was still written. */
	atomic64_add((s64)count << SC_BLOCK_SHIFT,
		     &sc_tunable_values[SC_WRITE_COUNT]);
	if (r) {
		sc_ssd_error(sc, "write");
		sc_abort_slab(sc, slab);
		r = -EIO;
		goto out;
	}

	r = sc_fill_slab(sc, slab, oblocks, count, snap);
	if (!r)
		sc_count(sc, SC_STAT_WRITTEN, count);
out:
	mutex_unlock(&sc->insert_lock);
	return r;
}

/*----------------------------------------------------------------*/

/* Warm */

/* Whether one more slab would take the SSD past the high watermark. */
static bool sc_above_high_watermark(struct sc_target *sc)
{
	return sc_water_above_high(sc_used_slabs(sc) + 1,
				   sc->map.nr_slabs, sc_get(SC_MAXSWAPPCT));
}

static bool sc_all_cached(struct sc_target *sc, const sc_oblock_t *oblocks,
			  unsigned int count)
{
	unsigned int i;

	for (i = 0; i < count; i++)
		if (!sc_holds(sc, oblocks[i]))
			return false;
	return true;
}

/**
 * sc_warm() - cache the whole 4 KiB blocks of an origin range now
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
 * budget; counts in written and write_count.  Holds warm_lock throughout.
 * Sleeps; process context (the message ioctl, under the table's SRCU read
 * lock, which presuspend makes it let go of soon).
 *
 * Return: 0, -EBUSY if the target suspended meanwhile, -EIO after an I/O
 * error, -EINTR on a fatal signal, -ENOMEM.
 */
int sc_warm(struct sc_target *sc, sector_t start, sector_t count)
{
	u64 first = from_oblock(sc_block(start));
	u64 end = min(from_oblock(sc_block(start + count - 1)) + 1,
		      from_oblock(sc_block(sc->ti->len)));
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
		for (i = 0; i < n; i++)
			oblocks[i] = to_oblock(lo + i);
		if (sc_all_cached(sc, oblocks, n))
			continue;
		if (!sc_guard_snapshot(sc, oblocks, n, &snap))
			continue;
		r = sc_io_pages(sc->origin->bdev, REQ_OP_READ,
				sc_oblock_sector(oblocks[0]), pages, n);
		if (r) {
			DMERR_LIMIT("%s: warm: origin read error %d",
				    dm_table_device_name(sc->ti->table), r);
			break;
		}
		r = sc_insert(sc, oblocks, pages, n, &snap);
		if (r == -EAGAIN) {
			r = 0;
			continue;
		}
		/* No slab: not cached, not an error. */
		if (r == -ENOSPC)
			r = 0;
		/* No memory: not cached either, and the rest would not be. */
		if (r == -ENOMEM) {
			r = 0;
			break;
		}
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
 * to it.  A page a read fills holds its mapping still: the page is locked,
 * or its buffer is.
 *
 * Only a read that fills those pages is taken: each one not uptodate (a
 * buffer head's read locks the buffer, not the page), so that it is not
 * mapped, and what else may store to it (a write(2) to the device over a
 * whole block, which takes the page lock and not the buffer's) stores
 * that block's own next contents, whose writeback drops the copy.  The
 * same pages may be the memory of an O_DIRECT read, through a shared
 * mapping of the device, and such a page is uptodate: a store to the
 * mapping, or another read into it, may change it between the disk's copy
 * and ours, and the staged block would hold bytes that are not its own,
 * served to every later reader of the block once the thread writes it to
 * the SSD.  Every page is looked at, at most a slab's worth (the caller's
 * limit).
 */
static bool sc_bio_is_metadata(struct sc_target *sc, struct bio *bio)
{
	struct bvec_iter iter;
	struct bio_vec bv;

	if (bio->bi_opf & REQ_META)
		return true;
	bio_for_each_segment(bv, bio, iter) {
		struct folio *folio = page_folio(bv.bv_page);

		if (READ_ONCE(folio->mapping) != sc->md_mapping ||
		    folio_test_uptodate(folio))
			return false;
	}
	return true;
}

/**
 * sc_meta_read_start() - take T0 for a metadata read, to stage it at
 *	completion
 * @sc: the target
 * @bio: a read that the SSD does not serve, pointed at the origin
 * @pb: its per-bio data, kind SC_BIO_PASS; set to SC_BIO_META_READ when
 *	the read is to be staged
 *
 * Only metadata, in whole aligned blocks, at most a slab's worth (two
 * guard regions), with no write in flight to them.  Must not sleep; called
 * from the map function.
 */
void sc_meta_read_start(struct sc_target *sc, struct bio *bio,
			struct sc_bio *pb)
{
	sector_t sector = bio->bi_iter.bi_sector;
	sc_oblock_t first = sc_block(sector), last;
	unsigned int i;
	u32 guard;

	if (sector & (SC_SECTORS_PER_BLOCK - 1) ||
	    bio->bi_iter.bi_size & (SC_BLOCK_SIZE - 1) ||
	    bio->bi_iter.bi_size > SC_SLAB_SIZE * SC_BLOCK_SIZE ||
	    !sc_bio_is_metadata(sc, bio))
		return;
	last = sc_block(bio_end_sector(bio) - 1);
	pb->region_first = sc_oblock_region(first);
	pb->region_last = sc_oblock_region(last);
	/* Before the guards are read: the age must not understate T0's. */
	pb->t0 = jiffies;
	for (i = 0; i < 2; i++) {
		guard = sc_guard_index(i ? pb->region_last : pb->region_first);
		if (!sc_guard_quiet(sc, guard, &pb->started[i]))
			return;
	}
	pb->origin_iter = bio->bi_iter;
	pb->kind = SC_BIO_META_READ;
}

/* Staging block @i of a read's, for sc_stage_copy(). */
static void *sc_meta_page(void *mb, unsigned int i)
{
	return page_address(((struct sc_meta_block *)mb)[i].page);
}

/*
 * Copy a read's data into staging pages, one per 4 KiB block.  Only the
 * disk range is whole blocks: the memory may start anywhere in a page (XFS
 * log recovery reads a record that wraps around the log's end into its
 * buffer at a 512-byte multiple, and REQ_META reads are taken whatever
 * their memory), so a segment is cut wherever it crosses from one
 * staging page into the next (sc_stage_copy()).  tests/unit/test_stage.c
 * tests the cutting: nothing from user space makes such a read.
 */
static void sc_meta_copy(struct sc_meta_block *mb, struct bio *bio,
			 struct bvec_iter from)
{
	unsigned int off = 0;
	struct bvec_iter iter;
	struct bio_vec bv;
	char *src;

	__bio_for_each_segment(bv, bio, iter, from) {
		src = bvec_kmap_local(&bv);
		off = sc_stage_copy(sc_meta_page, mb, off, src, bv.bv_len);
		kunmap_local(src);
	}
}

/**
 * sc_meta_read_done() - stage a metadata read's blocks for the thread
 * @sc: the target
 * @bio: the read, completed without error
 * @pb: its per-bio data, from sc_meta_read_start()
 *
 * Stages the blocks if the pool has room, else drops them.  Takes
 * meta_lock with interrupts off.  end_io: may run in interrupt context.
 */
void sc_meta_read_done(struct sc_target *sc, struct bio *bio,
		       struct sc_bio *pb)
{
	unsigned int n = pb->origin_iter.bi_size >> SC_BLOCK_SHIFT;
	u64 first = from_oblock(sc_block(pb->origin_iter.bi_sector));
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
		sc_oblock_t oblock = to_oblock(first + i);
		u64 region = sc_oblock_region(oblock);

		mb[i].oblock = oblock;
		mb[i].guard = sc_guard_index(region);
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
		oblocks[i] = mb[i].oblock;
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
		    sc_holds(sc, oblocks[i]) ||
		    sc_guard_moved(sc, snap->index[i], snap->started[i]))
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
 * sc_meta_take() - take up to a cluster of staged metadata blocks
 * @sc: the target
 * @oblocks: filled with the blocks' origin blocks
 * @pages: the caller's SC_SLAB_SIZE pages, exchanged for the staged
 *	blocks' pages, which then hold their data in the same order
 * @snap: filled with their T0s, for sc_insert()
 *
 * Blocks cached meanwhile, read twice, written since their read, or read
 * longer than SC_META_MAX_AGE ago are dropped here.  Takes meta_lock, then
 * (not nested) the map's read side.  Process context (the thread).
 *
 * Return: how many blocks the caller now holds; 0 when none are staged,
 * or a pool's worth of them were all dropped.
 */
unsigned int sc_meta_take(struct sc_target *sc, sc_oblock_t *oblocks,
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

/* Lifecycle */

/**
 * sc_fill_create() - set up a new target's insert and warm locks and its
 *	metadata staging pool
 * @sc: the target
 * @error: where to put the constructor's error message
 *
 * Sleeps (GFP_KERNEL).  sc_fill_destroy() undoes any part of it.
 *
 * Return: 0 or -ENOMEM.
 */
int sc_fill_create(struct sc_target *sc, char **error)
{
	unsigned int i;

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
	return 0;
}

/**
 * sc_fill_destroy() - free what sc_fill_create() allocated, even partly
 * @sc: the target, with no bio in flight and the thread gone from it
 *
 * Process context.
 */
void sc_fill_destroy(struct sc_target *sc)
{
	unsigned int i;

	for (i = 0; i < SC_META_POOL_SIZE; i++)
		if (sc->meta[i].page)
			__free_page(sc->meta[i].page);
}
