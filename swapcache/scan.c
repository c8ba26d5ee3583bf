// SPDX-License-Identifier: GPL-2.0
/*
 * swapcached: the one thread that fills every target's SSD from the page
 * cache (and from the metadata staged by the read path), paces itself by
 * the burst budget and runs the cleaner past the high watermark.  How it
 * follows DragonFly's vm_swapcached_thread, and where it departs from it,
 * is in the design essay in swapcache.h.
 */
#include <linux/buffer_head.h>
#include <linux/freezer.h>
#include <linux/fs.h>
#include <linux/highmem.h>
#include <linux/iomap.h>
#include <linux/jiffies.h>
#include <linux/jbd2.h>
#include <linux/kthread.h>
#include <linux/math64.h>
#include <linux/memcontrol.h>
#include <linux/migrate.h>
#include <linux/mm_inline.h>
#include <linux/pagemap.h>
#include <linux/pagevec.h>
#include <linux/rwsem.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>
#include <linux/vmstat.h>

#include "admit.h"
#include "burst.h"
#include "compat.h"
#include "memo.h"
#include "swapcache.h"
#include "watermark.h"

#define SC_TICK			(HZ / 10)
#define SC_IDLE_TICK		(5 * HZ)
/* How long a tick may walk one target's filesystem: as long as it sleeps. */
#define SC_TICK_WORK		SC_TICK
/* Pages of any kind a tick may look at, per page of maxlaunder. */
#define SC_VISIT_FACTOR		16

static struct task_struct *sc_thread;
static DECLARE_WAIT_QUEUE_HEAD(sc_thread_wait);
static bool sc_thread_kicked;

/*
 * Targets the thread serves.  The thread holds a target through
 * scan_users while it works on it, not through the mutex, so that a
 * target whose I/O is held by a suspend (bmap() may read the
 * filesystem's metadata through it) delays nobody else's removal.
 */
static LIST_HEAD(sc_targets);
static DEFINE_MUTEX(sc_targets_lock);
static DECLARE_WAIT_QUEUE_HEAD(sc_target_released);
static u64 sc_tick_count;

/* The budget's state is global, as the budget itself is. */
static enum sc_burst_state sc_burst = SC_BURST_BURSTING;
/*
 * When the budget was last refilled, and whether that was on the work tick
 * just before: the budget accrues only while the thread has work, as
 * DragonFly's does, so an idle spell stops its clock.
 */
static unsigned long sc_refilled_at;
static bool sc_refill_clock_running;

/* The thread's buffers: one cluster's pages, and the VM event counters. */
static struct page *sc_pages[SC_SLAB_SIZE];
static unsigned long *sc_vm_events;

/* Parameter writes so far: a quiet pass ends at the next (memo.h). */
static atomic_long_t sc_param_writes;

/**
 * sc_scan_bursting() - whether the write budget is bursting
 *
 * Any context (the status line reads it).
 *
 * Return: false while it is recovering.
 */
bool sc_scan_bursting(void)
{
	return READ_ONCE(sc_burst) == SC_BURST_BURSTING;
}

/**
 * sc_scan_is_thread() - whether the caller is swapcached
 *
 * The read path leaves the thread's own reads out of what the doorkeeper
 * learns (sc_read_missed()).  Any context.
 *
 * Return: true in swapcached.
 */
bool sc_scan_is_thread(void)
{
	return !in_interrupt() && current == READ_ONCE(sc_thread);
}

/**
 * sc_scan_kick() - wake the thread now rather than after its sleep
 *
 * Called when a target appears or a parameter that enables writing
 * changes, so that the 5-second idle sleep does not delay it.  Does not
 * sleep; process context.
 */
void sc_scan_kick(void)
{
	WRITE_ONCE(sc_thread_kicked, true);
	wake_up(&sc_thread_wait);
}

/**
 * sc_scan_param_written() - note that a module parameter was written
 *
 * Any parameter may make pages worth caching that were not (use_chflags,
 * maxfilesize, data_enable), so the thread stops skipping passes.  Does
 * not sleep; any context.
 */
void sc_scan_param_written(void)
{
	atomic_long_inc(&sc_param_writes);
}

/*
 * A group memo's table is an optional cache: it is never worth the OOM
 * killer, nor the reclaim and compaction a physically contiguous table
 * would cost (kvmalloc()'s kmalloc() attempt takes __GFP_RETRY_MAYFAIL
 * for a high order too).  So vmalloc alone, its pages asked with
 * __GFP_RETRY_MAYFAIL: they fail rather than kill.  Only the page tables
 * vmalloc maps them with are GFP_KERNEL whatever the flags: a page or two
 * for the largest table, asked after its 1,024 pages were had.
 */
static void *sc_memo_zalloc(size_t bytes)
{
	return __vmalloc(bytes, GFP_KERNEL | __GFP_RETRY_MAYFAIL |
			 __GFP_NOWARN | __GFP_ZERO);
}

/*
 * Give @sc's group memo the table it wants (@sc->memo_want, memo.h),
 * empty, in place of the one it has.  Called by the constructor before the
 * thread can see @sc, then only by the thread between its ticks over @sc,
 * @sc held: process context, no lock held, no pointer into the old table
 * left.  A table that cannot be had leaves the one there is, asked for
 * again after @sc's next full pass.  Return: false when there is none.
 */
static bool sc_scan_memo_resize(struct sc_target *sc)
{
	unsigned int bits = sc->memo_want;
	struct sc_memo_entry *entries;
	u8 *last;

	if (sc->memo.entries && bits == sc->memo.set_bits)
		return true;
	entries = sc_memo_zalloc(((size_t)SC_MEMO_WAYS << bits) *
				 sizeof(*entries));
	last = sc_memo_zalloc(((size_t)1 << bits) * sizeof(*last));
	if (!entries || !last) {
		vfree(entries);
		vfree(last);
		sc->memo_want = sc->memo.set_bits;
		return !!sc->memo.entries;
	}
	vfree(sc->memo.entries);
	vfree(sc->memo.last);
	sc_memo_init(&sc->memo, entries, last, bits);
	return true;
}

/**
 * sc_scan_register() - put a new target in the thread's care
 * @sc: the target, fully constructed
 *
 * Gives it its own group memo, at the smallest table (memo.h).  Takes
 * sc_targets_lock.  Sleeps; process context (the constructor).
 *
 * Return: 0, or -ENOMEM when the memo's table cannot be had.
 */
int sc_scan_register(struct sc_target *sc)
{
	sc->memo_want = SC_MEMO_MIN_SET_BITS;
	if (!sc_scan_memo_resize(sc))
		return -ENOMEM;
	mutex_lock(&sc_targets_lock);
	list_add_tail(&sc->scan_entry, &sc_targets);
	mutex_unlock(&sc_targets_lock);
	sc_scan_kick();
	return 0;
}

/**
 * sc_scan_unregister() - take a target out of the thread's care
 * @sc: the target, registered
 *
 * Returns once the thread no longer uses @sc, and frees its group memo,
 * which only the thread used.  Takes sc_targets_lock.  Sleeps; process
 * context (the destructor).
 */
void sc_scan_unregister(struct sc_target *sc)
{
	mutex_lock(&sc_targets_lock);
	list_del_init(&sc->scan_entry);
	mutex_unlock(&sc_targets_lock);
	/* Acquire: the thread's last resize of the memo is seen before it goes. */
	wait_event(sc_target_released, !atomic_read_acquire(&sc->scan_users));
	vfree(sc->memo.entries);
	vfree(sc->memo.last);
	memset(&sc->memo, 0, sizeof(sc->memo));
}

/*----------------------------------------------------------------*/

/* The budget */

/*
 * Credit the budget for the time since the last work tick.  The first work
 * tick after an idle spell is credited one tick's length, as every tick
 * was before the refill followed the clock.
 */
static void sc_budget_refill(void)
{
	struct sc_burst_knobs knobs = {
		.accrate = sc_get(SC_ACCRATE),
		.minburst = sc_get(SC_MINBURST),
		.maxburst = sc_get(SC_MAXBURST),
	};
	unsigned long now = jiffies;
	unsigned long elapsed = SC_TICK;
	s64 old = sc_get(SC_CURBURST);

	if (sc_refill_clock_running)
		elapsed = now - sc_refilled_at;
	sc_refilled_at = now;
	sc_refill_clock_running = true;
	/* An administrator's write meanwhile wins over this tick's refill. */
	atomic64_cmpxchg(&sc_tunable_values[SC_CURBURST], old,
			 sc_burst_refill(old, &knobs,
					 div_u64(jiffies64_to_nsecs(elapsed),
						 NSEC_PER_USEC)));
}

static bool sc_budget_may_write(void)
{
	struct sc_burst_knobs knobs = {
		.accrate = sc_get(SC_ACCRATE),
		.minburst = sc_get(SC_MINBURST),
		.maxburst = sc_get(SC_MAXBURST),
	};

	return sc_burst_may_write(sc_burst, sc_get(SC_CURBURST), &knobs);
}

static bool sc_budget_spent(void)
{
	return sc_burst_spent(sc_get(SC_CURBURST));
}

/* Insert a cluster and charge the budget for what reached the SSD. */
static void sc_budget_insert(struct sc_target *sc, const sc_oblock_t *oblocks,
			     unsigned int count,
			     const struct sc_guard_snap *snap)
{
	int r = sc_insert(sc, oblocks, sc_pages, count, snap);

	if (r != -ENOSPC && r != -EBUSY && r != -ENOMEM)
		atomic64_sub((s64)count << PAGE_SHIFT,
			     &sc_tunable_values[SC_CURBURST]);
}

/*----------------------------------------------------------------*/

/* Which pages qualify */

/*
 * The aging signal behind hysteresis: pages the VM moved to the inactive
 * side (classic LRU) plus pages reclaim scanned there (the multi-gen LRU
 * ages whole generations and counts no deactivations; both count scans).
 */
static unsigned long sc_aging_signal(void)
{
	all_vm_events(sc_vm_events);
	return sc_vm_events[PGDEACTIVATE] + sc_vm_events[PGSCAN_KSWAPD] +
	       sc_vm_events[PGSCAN_DIRECT];
}

#ifdef CONFIG_LRU_GEN
/*
 * On the multi-gen LRU a folio's age is its generation: the two youngest
 * are the active side (as lru_gen_is_active() says), and the oldest always
 * counts as inactive, even when only two generations exist.  The lruvec is
 * found by hand because mem_cgroup_lruvec() needs an unexported symbol;
 * RCU keeps the memcg alive and a stale answer only skips or takes a page
 * early.
 */
static bool sc_folio_gen_inactive(struct folio *folio, int gen)
{
	struct lruvec *lruvec = NULL;
	struct mem_cgroup *memcg;
	unsigned long max_seq, min_seq;

	rcu_read_lock();
	if (mem_cgroup_disabled()) {
		lruvec = &folio_pgdat(folio)->__lruvec;
	} else {
		memcg = folio_memcg(folio);
		if (memcg)
			lruvec = &memcg->nodeinfo[folio_nid(folio)]->lruvec;
	}
	if (!lruvec) {
		rcu_read_unlock();
		return false;
	}
	max_seq = READ_ONCE(lruvec->lrugen.max_seq);
	min_seq = READ_ONCE(lruvec->lrugen.min_seq[LRU_GEN_FILE]);
	rcu_read_unlock();
	return gen == lru_gen_from_seq(min_seq) ||
	       (gen != lru_gen_from_seq(max_seq) &&
		gen != lru_gen_from_seq(max_seq - 1));
}
#endif

/* DragonFly's "on the inactive queue", for both kinds of LRU. */
static bool sc_folio_inactive(struct folio *folio)
{
	if (!folio_test_lru(folio) || folio_test_unevictable(folio))
		return false;
#ifdef CONFIG_LRU_GEN
	{
		int gen = folio_lru_gen(folio);

		if (gen >= 0)
			return sc_folio_gen_inactive(folio, gen);
	}
#endif
	return !folio_test_active(folio);
}

/*
 * The state that makes a page a true copy of its blocks, tested without
 * the folio lock: none of these can turn back without the lock being
 * taken or a write reaching the origin, which the caller's checks after
 * the copy and the write guards catch.
 */
static bool sc_folio_clean(struct folio *folio, struct address_space *mapping,
			   pgoff_t index)
{
	return folio_test_uptodate(folio) && !folio_test_dirty(folio) &&
	       !folio_test_writeback(folio) && !folio_test_locked(folio) &&
	       READ_ONCE(folio->mapping) == mapping &&
	       index - folio->index < folio_nr_pages(folio);
}

/*
 * The two shapes of address space whose page state the thread can read:
 * iomap's, and plain buffer heads migrated with their buffers.  Any other
 * is passed over before bmap() is called.  That is how ext4's journalled
 * data (data=journal, or chattr +j) is recognised without ext4's private
 * headers: its operations migrate folios without their buffers (6.12) or
 * not at all (6.1), and ext4_bmap() on such an inode may flush the whole
 * journal.  The operations are read again for every group, because
 * chattr +j swaps them while the file stays open.
 */
static bool sc_mapping_known(struct address_space *mapping)
{
	const struct address_space_operations *a_ops = READ_ONCE(mapping->a_ops);

	/* Without CONFIG_MIGRATION buffer_migrate_folio is NULL: no proof. */
	return a_ops->release_folio == iomap_release_folio ||
	       (IS_ENABLED(CONFIG_MIGRATION) &&
		a_ops->migrate_folio == buffer_migrate_folio);
}

/*
 * A folio's private data is buffer heads only on filesystems that use
 * them; it is told apart by the mapping's operations.  Buffer heads can
 * only be looked at under the folio lock; a page with a buffer that is
 * dirty, not uptodate, delayed, unwritten or in the journal does not equal
 * its blocks on the origin.  iomap's per-folio state is summed up in the
 * folio's own flags.  Private data of any other kind (ext4's journalled
 * data mode among them) rules the page out.
 */
static bool sc_folio_private_clean(struct folio *folio,
				   struct address_space *mapping)
{
	struct buffer_head *head, *bh;
	bool clean = true;

	if (!folio_test_private(folio) ||
	    mapping->a_ops->release_folio == iomap_release_folio)
		return true;
	if (mapping->a_ops->migrate_folio != buffer_migrate_folio)
		return false;
	head = folio_buffers(folio);
	bh = head;
	do {
		if (!buffer_uptodate(bh) || buffer_dirty(bh) ||
		    buffer_delay(bh) || buffer_unwritten(bh) || buffer_jbd(bh))
			clean = false;
		bh = bh->b_this_page;
	} while (clean && bh != head);
	return clean;
}

static bool sc_folio_settled(struct folio *folio, struct address_space *mapping,
			     pgoff_t index)
{
	bool ok;

	if (!sc_folio_clean(folio, mapping, index) || !folio_trylock(folio))
		return false;
	ok = folio->mapping == mapping &&
	     sc_folio_private_clean(folio, mapping);
	folio_unlock(folio);
	return ok;
}

/*
 * What rules a whole file out before its pages are looked at.  A file
 * ruled out for a while only (pages in flight, a writable mapping, which
 * can go away without any I/O) taints the quiet pass (memo.h).
 *
 * Return: SC_OPTIN_OUT when ruled out, else what sc_optin_judge() says:
 * SC_OPTIN_UNLESS_VETOED leaves the file's own veto for sc_scan_inode().
 */
static enum sc_optin sc_inode_eligible(struct inode *inode,
				       struct sc_quiet *quiet)
{
	struct address_space *mapping = inode->i_mapping;
	s64 maxfilesize = sc_get(SC_MAXFILESIZE);

	if (!S_ISREG(inode->i_mode) || IS_DAX(inode) || IS_SWAPFILE(inode) ||
	    IS_ENCRYPTED(inode) || inode->i_blkbits > PAGE_SHIFT ||
	    !sc_mapping_known(mapping))
		return SC_OPTIN_OUT;
	if (maxfilesize && i_size_read(inode) > maxfilesize)
		return SC_OPTIN_OUT;
	/*
	 * bmap() may start writeback of dirty pages (XFS always flushes);
	 * a file with pages in flight is skipped until it settles.  A
	 * writable shared mapping could change a page behind its dirty bit.
	 * Only an opted-in file's taints the pass: another's could never be
	 * taken, settled or not.
	 */
	if (mapping_tagged(mapping, PAGECACHE_TAG_DIRTY) ||
	    mapping_tagged(mapping, PAGECACHE_TAG_WRITEBACK) ||
	    mapping_writably_mapped(mapping)) {
		if (sc_opted_in(inode))
			sc_quiet_taint(quiet);
		return SC_OPTIN_OUT;
	}
	/*
	 * A writeback that failed leaves its pages clean and uptodate, with
	 * data the origin never got, and says so only in the mapping's
	 * wb_err, for good: such a file is never taken (sc_group_copy()
	 * looks again after its copies).
	 */
	if (filemap_check_wb_err(mapping, 0))
		return SC_OPTIN_OUT;
	return sc_optin_judge(inode);
}

/*
 * The sector of the filesystem's device where a file page's blocks start,
 * or SC_MEMO_NONE: every filesystem block of the page must be mapped, and
 * consecutive.  bmap() reports holes, unwritten, inline and shared
 * (reflinked) extents as block 0.
 */
static u64 sc_page_sector(struct inode *inode, pgoff_t index)
{
	unsigned int shift = PAGE_SHIFT - inode->i_blkbits;
	sector_t first = 0, block;
	unsigned int i;

	for (i = 0; i < 1U << shift; i++) {
		block = ((sector_t)index << shift) + i;
		if (bmap(inode, &block) || !block)
			return SC_MEMO_NONE;
		if (i == 0)
			first = block;
		else if (block != first + i)
			return SC_MEMO_NONE;
	}
	return (u64)first << (inode->i_blkbits - SECTOR_SHIFT);
}

/*
 * The origin block a page starting at @sector of the device is, or
 * SC_OBLOCK_NONE: it must be on this target and be one aligned 4 KiB
 * origin block.
 */
static sc_oblock_t sc_sector_oblock(struct sc_target *sc, u64 sector)
{
	if (sector == SC_MEMO_NONE || sector < sc->ti->begin)
		return to_oblock(SC_OBLOCK_NONE);
	sector -= sc->ti->begin;
	if (sector + SC_SECTORS_PER_BLOCK > sc->ti->len ||
	    sector & (SC_SECTORS_PER_BLOCK - 1))
		return to_oblock(SC_OBLOCK_NONE);
	return sc_block(sector);
}

/* The origin block behind a file page now, by bmap(), or SC_OBLOCK_NONE. */
static sc_oblock_t sc_page_oblock(struct sc_target *sc, struct inode *inode,
				  pgoff_t index)
{
	return sc_sector_oblock(sc, sc_page_sector(inode, index));
}

/*
 * A file's change state for the group memo (memo.h), in @stamp: its ctime,
 * mtime and size, mixed.  Most changes to where a file's clean pages live
 * (a write that moves a block, a hole filled, a truncation, a reflink or
 * a fallocate) set ctime or mtime to the time of the change; the block
 * moves of defragmenters (ext4's EXT4_IOC_MOVE_EXT, XFS's
 * XFS_IOC_SWAPEXT) and of offline tools do not, which the guide lists as
 * a limit: sc_group_copy()'s second bmap() keeps them from entering a
 * page under the wrong block, nothing more.  Only a file
 * last changed before the current second is stamped: timestamps are as
 * coarse as a tick, so a file changed again within the second it was
 * stamped in could keep its stamp; a change after that second cannot.
 * The clock is read first, which narrows the window in which a change
 * the stamp's reads miss could share its stamp, without closing it: a
 * writer samples its time before it stores it, and nothing here waits
 * for it.  What a stale stamp costs is a group recached late, never
 * stale data: the memo only lets a group be passed over, and a group is
 * taken by a fresh bmap() (sc_group_copy()).
 *
 * Return: false when the file changed within the current second: no memo.
 */
static bool sc_inode_stamp(struct inode *inode, u64 *stamp)
{
	time64_t now = ktime_get_real_seconds();
	struct timespec64 c = sc_inode_ctime(inode);
	struct timespec64 m = sc_inode_mtime(inode);
	u64 h;

	if (c.tv_sec >= now || m.tv_sec >= now)
		return false;
	h = ((u64)c.tv_sec * 0x9E3779B97F4A7C15ULL) ^ (u64)c.tv_nsec;
	h = ((h ^ (u64)m.tv_sec) * 0xC2B2AE3D27D4EB4FULL) ^ (u64)m.tv_nsec;
	*stamp = (h ^ (u64)i_size_read(inode)) * 0x165667B19E3779F9ULL;
	return true;
}

/*----------------------------------------------------------------*/

/* Clusters of file pages */

/*
 * One 16-page aligned group of a file's pages, with a reference on each,
 * and the file's change state for the memo (@stamped: it has one).
 */
struct sc_group {
	pgoff_t base;
	struct folio *folios[SC_SLAB_SIZE];
	sc_oblock_t oblocks[SC_SLAB_SIZE];
	u64 stamp;
	bool stamped;
};

static void sc_group_put(struct sc_group *g)
{
	unsigned int i;

	for (i = 0; i < SC_SLAB_SIZE; i++) {
		if (g->folios[i])
			folio_put(g->folios[i]);
		g->folios[i] = NULL;
	}
}

/*
 * What the walk saw of one page cache entry, read under RCU from the tree
 * alone, with no reference on the folio (whose memory may be reused by
 * then): the indices it covers, [@first, @last], a large folio's several,
 * and whether it is marked dirty or under writeback.
 */
struct sc_seen {
	pgoff_t first;
	pgoff_t last;
	bool marked;
};

/*
 * Advance @xas to the file's next page, up to @last, and say what it is.
 * Shadow entries
 * are passed over, as many in a row as there are, as filemap_get_folios()
 * does under one RCU read section.  Under rcu_read_lock().
 * Return: false at the end.
 */
static bool sc_walk_next(struct xa_state *xas, pgoff_t last,
			 struct sc_seen *seen)
{
	unsigned long pages;
	void *entry;

	do {
		entry = xas_next_entry(xas, last);
	} while (entry && (xas_retry(xas, entry) || xa_is_value(entry)));
	if (!entry)
		return false;
	/* Found from an index inside it, an entry reports that index. */
	pages = 1UL << xas_get_order(xas);
	seen->first = round_down(xas->xa_index, pages);
	seen->last = seen->first + pages - 1;
	seen->marked = xas_get_mark(xas, PAGECACHE_TAG_DIRTY) ||
		       xas_get_mark(xas, PAGECACHE_TAG_WRITEBACK);
	return true;
}

/* The pages of the group at @base an entry covers, bit i for page i. */
static u32 sc_seen_mask(const struct sc_seen *seen, pgoff_t base)
{
	pgoff_t from = max(seen->first, base);
	pgoff_t to = min(seen->last, base + SC_SLAB_SIZE - 1);

	return GENMASK(to - base, from - base);
}

/*
 * Take the pages of the group at @g->base.  Return: false when none is
 * left (they went since the walk saw them).
 */
static bool sc_group_get(struct address_space *mapping, struct sc_group *g)
{
	struct folio_batch fbatch;
	pgoff_t start = g->base, last = g->base + SC_SLAB_SIZE - 1, index;
	bool any = false;
	unsigned int i;

	folio_batch_init(&fbatch);
	while (start <= last &&
	       filemap_get_folios(mapping, &start, last, &fbatch)) {
		for (i = 0; i < folio_batch_count(&fbatch); i++) {
			struct folio *folio = fbatch.folios[i];
			pgoff_t end = folio->index + folio_nr_pages(folio);

			for (index = max(folio->index, g->base);
			     index < end && index <= last; index++) {
				folio_get(folio);
				g->folios[index - g->base] = folio;
				any = true;
			}
		}
		folio_batch_release(&fbatch);
		if (!start)	/* wrapped past the last index */
			break;
	}
	return any;
}

/*
 * The cluster being gathered: groups are packed into one slab until it
 * is full, so that scattered pages (a random reader leaves one or two per
 * group) do not each take a whole 64 KiB slab.  A group is never split
 * across clusters.  Its pages' data is in sc_pages[0..nr).  @visited
 * counts the pages the tick looked at, cached ones included.
 */
struct sc_pending {
	unsigned long visited;
	unsigned int nr;
	sc_oblock_t oblocks[SC_SLAB_SIZE];
	struct sc_guard_snap snap;
};

/* Write the gathered cluster, if any, and start a new one. */
static void sc_pending_flush(struct sc_target *sc, struct sc_pending *p)
{
	if (p->nr)
		sc_budget_insert(sc, p->oblocks, p->nr, &p->snap);
	p->nr = 0;
	p->snap.nr = 0;
}

/* The memo's key for a group of @inode. */
static void sc_group_key(struct inode *inode, const struct sc_group *g,
			 struct sc_memo_key *k)
{
	k->sb = inode->i_sb;
	k->inode = inode;
	k->ino = inode->i_ino;
	k->gen = inode->i_generation;
	k->group = g->base / SC_SLAB_SIZE;
}

/*
 * Find the origin block of each of the group's pages that is clean (as
 * far as can be seen without its lock), from the memo where it knows,
 * else by bmap(), teaching the memo what bmap() says.  The others, and
 * pages not mapped 1:1 on this target, get SC_OBLOCK_NONE.
 *
 * Return: the pages that are present but not clean: in flight.
 */
static u32 sc_group_locate(struct sc_target *sc, struct inode *inode,
			   struct sc_group *g)
{
	struct address_space *mapping = inode->i_mapping;
	struct sc_memo_entry *e = NULL;
	struct sc_memo_key k;
	unsigned int i;
	u32 busy = 0;
	u64 sector;

	if (g->stamped) {
		sc_group_key(inode, g, &k);
		e = sc_memo_find(&sc->memo, &k, g->stamp);
	}
	for (i = 0; i < SC_SLAB_SIZE; i++) {
		struct folio *folio = g->folios[i];

		g->oblocks[i] = to_oblock(SC_OBLOCK_NONE);
		if (!folio)
			continue;
		if (!sc_folio_clean(folio, mapping, g->base + i)) {
			busy |= BIT(i);
			continue;
		}
		sector = e ? sc_memo_get(e, i) : SC_MEMO_NONE;
		if (sector == SC_MEMO_NONE) {
			sector = sc_page_sector(inode, g->base + i);
			if (g->stamped && sector != SC_MEMO_NONE) {
				if (!e)
					e = sc_memo_claim(&sc->memo, &k,
							  g->stamp);
				sc_memo_set(e, i, sector);
			}
		}
		g->oblocks[i] = sc_sector_oblock(sc, sector);
	}
	return busy;
}

/* Page @i of the group was found elsewhere than the memo said: forget it. */
static void sc_group_moved(struct sc_target *sc, struct inode *inode,
			   const struct sc_group *g, unsigned int i)
{
	struct sc_memo_entry *e;
	struct sc_memo_key k;

	if (!g->stamped)
		return;
	sc_group_key(inode, g, &k);
	e = sc_memo_find(&sc->memo, &k, g->stamp);
	if (e)
		sc_memo_forget(e, i);
}

/*
 * The place in the gathered cluster of the copy of @oblock, or @p->nr
 * when it has none.  A cluster gathers a tick's worth of groups, from
 * any files, and a block may change files meanwhile: freed by a
 * truncation or a hole punch, given to another page and written back, it
 * is then copied a second time.  The map takes each block once in a
 * cluster (sc_map_fill_slab()), and the later copy is the one to keep:
 * taken after the write that moved the block, it is its data, where the
 * earlier one's T0 precedes that write.
 */
static unsigned int sc_pending_slot(const struct sc_pending *p,
				    sc_oblock_t oblock)
{
	unsigned int slot;

	for (slot = 0; slot < p->nr; slot++)
		if (from_oblock(p->oblocks[slot]) == from_oblock(oblock))
			break;
	return slot;
}

/*
 * Copy the group's pages named in @take (whose T0s are in @snap) to the
 * cluster, after the guard snapshot and the direct-I/O check (see the
 * caller), and keep those that were still clean copies of the same block
 * after their copy.
 *
 * The block is looked up again after the copy because a page's data can
 * move to another block with no write to the old one, which the guards
 * would have seen: a reflink copy followed by an overwrite (copy on
 * write), or ext4's EXT4_IOC_MOVE_EXT.  If the data copied is newer than
 * the first bmap(), the write that brought it ended before the state
 * check that let the copy through, and a filesystem moves the block in
 * that write's completion, before the folio leaves writeback; bmap()
 * takes the filesystem's mapping lock, so it sees the move.  A block that
 * moves after the second bmap() still holds the data copied until it is
 * written again, and that write goes through the guards.
 */
static void sc_group_copy(struct sc_target *sc, struct inode *inode,
			  struct sc_group *g, const u8 *take,
			  const struct sc_guard_snap *snap, struct sc_pending *p)
{
	struct address_space *mapping = inode->i_mapping;
	unsigned int i, slot;

	for (i = 0; i < snap->nr; i++) {
		struct folio *folio = g->folios[take[i]];
		pgoff_t index = g->base + take[i];

		if (!sc_folio_clean(folio, mapping, index))
			continue;
		memcpy_from_page(page_address(sc_pages[p->nr]),
				 folio_file_page(folio, index), 0, PAGE_SIZE);
		/* The copy is done before the state is looked at again. */
		smp_rmb();
		if (!sc_folio_clean(folio, mapping, index))
			continue;
		/*
		 * An I/O completion records a writeback's error before it
		 * clears the folio's flag, so a page seen out of writeback
		 * above had such a failure recorded by then.  iomap's
		 * failure to map blocks records it a few instructions after;
		 * XFS meets that on a shutdown, where the block lookup below
		 * fails, or punches out a delalloc range, which it sees as a
		 * hole.
		 */
		smp_rmb();
		if (filemap_check_wb_err(mapping, 0))
			continue;
		if (sc_page_oblock(sc, inode, index) != g->oblocks[take[i]]) {
			sc_group_moved(sc, inode, g, take[i]);
			continue;
		}
		slot = sc_pending_slot(p, g->oblocks[take[i]]);
		if (slot < p->nr) {
			swap(sc_pages[slot], sc_pages[p->nr]);
		} else {
			p->nr++;
			p->snap.nr++;
		}
		p->oblocks[slot] = g->oblocks[take[i]];
		p->snap.index[slot] = snap->index[i];
		p->snap.started[slot] = snap->started[i];
	}
}

/*
 * The facts admit.c decides on, for page @i of a group, from what
 * sc_group_locate() found (@busy, @held: its masks) and, for a page not yet
 * cached, the folio's own state.  Anything that may change without an
 * event the quiet pass hears of (memo.h) taints the pass: a page in
 * flight, a candidate.  A candidate refused whatever its state
 * (sc_admit_refuses(): a ghost's, or one the doorkeeper keeps out) does
 * not: what refuses it changes only with read misses and evictions, both
 * events, so a pass that meets nothing but refused pages may be a quiet
 * one.
 */
static void sc_page_facts(struct folio *folio, struct address_space *mapping,
			  pgoff_t index, sc_oblock_t oblock, bool busy,
			  bool held, const struct sc_target *sc,
			  struct sc_quiet *quiet, struct sc_admit_page *f)
{
	f->oblock = oblock;
	f->fact = SC_PAGE_BUSY;
	if (busy) {
		sc_quiet_taint(quiet);
		return;
	}
	f->fact = SC_PAGE_UNMAPPED;
	if (from_oblock(oblock) == SC_OBLOCK_NONE)
		return;
	f->fact = SC_PAGE_CACHED;
	if (held)
		return;
	/*
	 * Refused whatever its state, which is therefore not looked at: not
	 * a candidate, as a read miss on another CPU may let the doorkeeper
	 * take it by the time sc_admit_group() asks again.
	 */
	f->fact = SC_PAGE_REFUSED;
	if (sc_admit_refuses(&sc->ghosts, &sc->door, oblock) != SC_ADMIT_OK) {
		sc_quiet_refused(quiet);
		return;
	}
	sc_quiet_taint(quiet);
	f->fact = SC_PAGE_BUSY;
	if (!sc_folio_settled(folio, mapping, index))
		return;
	f->fact = SC_PAGE_CANDIDATE;
	f->inactive = sc_folio_inactive(folio);
}

/*
 * Whether every page @present names in the group at @g->base is cached
 * already, decided from the memo and the map alone, without the folios:
 * most groups a pass meets are cached already, and taking and dropping a
 * reference on each of their folios was most of what a pass cost.  Only a
 * group the walk found plain (no page marked dirty or under writeback)
 * qualifies, and only when the memo knows where each of its present pages
 * lives.  Such a group is what sc_flush_group() would
 * find all cached, short of a page locked or not uptodate, which it would
 * call busy and taint the pass with: that page is being read or written
 * back into a folio whose block the SSD holds already, so there is
 * nothing to take in it, now or when it settles.  A page dirtied after
 * the walk saw it is written to the origin before it can be clean again,
 * an event the quiet pass hears of.
 */
static bool sc_group_cached(struct sc_target *sc, struct inode *inode,
			    const struct sc_group *g, u32 present)
{
	sc_oblock_t oblocks[SC_SLAB_SIZE];
	struct sc_memo_entry *e;
	struct sc_memo_key k;
	unsigned int i;
	u64 sector;

	if (!g->stamped || !sc_mapping_known(inode->i_mapping))
		return false;
	sc_group_key(inode, g, &k);
	e = sc_memo_find(&sc->memo, &k, g->stamp);
	if (!e)
		return false;
	for (i = 0; i < SC_SLAB_SIZE; i++) {
		oblocks[i] = to_oblock(SC_OBLOCK_NONE);
		if (!(present & BIT(i)))
			continue;
		sector = sc_memo_get(e, i);
		if (sector == SC_MEMO_NONE)
			return false;
		oblocks[i] = sc_sector_oblock(sc, sector);
	}
	return (sc_holds_mask(sc, oblocks, SC_SLAB_SIZE) & present) == present;
}

/*
 * Flush one group: DragonFly's vm_swapcached_flush(), with the cluster
 * built from the pages admit.c takes (sc_admit_group()).  Returns how many
 * pages it examined (cached ones do not count, as in DragonFly).
 *
 * Cheapest first: the page flags, then where each page lives (the memo,
 * or bmap()), then the map, once for the whole group, and only for the
 * pages it does not hold the folio lock and the buffers.
 */
static unsigned int sc_flush_group(struct sc_target *sc, struct inode *inode,
				   struct sc_group *g, struct sc_pending *p)
{
	struct address_space *mapping = inode->i_mapping;
	struct sc_quiet *quiet = &sc->cursor.quiet;
	struct sc_admit_group facts = { };
	struct sc_admit_plan plan;
	sc_oblock_t oblocks[SC_SLAB_SIZE];
	struct sc_guard_snap snap;
	unsigned int i;
	u32 busy, held;

	if (!sc_mapping_known(mapping)) {
		sc_quiet_taint(quiet);
		return 0;
	}
	busy = sc_group_locate(sc, inode, g);
	held = sc_holds_mask(sc, g->oblocks, SC_SLAB_SIZE);
	for (i = 0; i < SC_SLAB_SIZE; i++) {
		if (!g->folios[i])
			continue;
		p->visited++;
		sc_page_facts(g->folios[i], mapping, g->base + i,
			      g->oblocks[i], busy & BIT(i), held & BIT(i),
			      sc, quiet, &facts.page[i]);
	}
	sc_admit_group(&facts, &sc->ghosts, &sc->door, p->nr, &plan);
	if (!plan.nr)
		return plan.examined;
	if (plan.flush_first)
		sc_pending_flush(sc, p);
	for (i = 0; i < plan.nr; i++)
		oblocks[i] = g->oblocks[plan.take[i]];

	/*
	 * T0 comes before the copy.  A direct write's blocks may reach the
	 * origin before the filesystem drops the old pages; it holds
	 * i_dio_count across both, so none in flight after T0 means any
	 * direct write either shows in the guards or already dropped them.
	 */
	if (!sc_guard_snapshot(sc, oblocks, plan.nr, &snap))
		return plan.examined;
	smp_mb();	/* T0 before the direct-I/O count, as explained above */
	if (atomic_read(&inode->i_dio_count))
		return plan.examined;
	sc_group_copy(sc, inode, g, plan.take, &snap, p);
	return plan.examined;
}

/*----------------------------------------------------------------*/

/* Walking a filesystem */

/*
 * What the quiet pass listens to (memo.h): a target's read misses, writes
 * to its origin, evictions and invalidations, and parameter writes, all
 * counters that only grow; @other gets them less the read misses, the
 * events a focused pass cannot follow (focus.h).  Sums per-CPU counters;
 * any context.
 */
static u64 sc_scan_events(struct sc_target *sc, u64 *other)
{
	u64 misses = 0;
	int cpu;

	*other = atomic_long_read(&sc_param_writes);
	for_each_possible_cpu(cpu) {
		const struct sc_stats *st = per_cpu_ptr(sc->stats, cpu);

		misses += READ_ONCE(st->count[SC_STAT_READ_MISSES]);
		*other += READ_ONCE(st->count[SC_STAT_ORIGIN_WRITES]) +
			  READ_ONCE(st->count[SC_STAT_EVICTED]) +
			  READ_ONCE(st->count[SC_STAT_INVALIDATED]);
	}
	return misses + *other;
}

struct sc_walk {
	struct sc_target *sc;
	struct block_device *bdev;
	struct super_block *sb;	/* being walked, s_umount held (read) */
	long budget;		/* pages left to examine this tick */
	long maxlaunder;
	unsigned long deadline;	/* jiffies: the tick's walk ends by then */
	struct sc_pending pending;
};

/*
 * Whether the tick's walk must stop before the next group.  The gathered
 * cluster counts against the budget already, so that the walk overshoots
 * it by one cluster at most, as vm_swapcache.c's loop does.  Cached pages
 * do not count against maxlaunder, as in DragonFly, but finding out costs
 * a map lookup, and a bmap() where the memo does not know the page
 * (DragonFly's pages carry a flag), so a tick also stops after
 * SC_VISIT_FACTOR times maxlaunder pages of any kind.
 *
 * maxlaunder goes up to 2^20, and the walk holds s_umount, so a tick's
 * walk also ends at its deadline (SC_TICK_WORK after it began), and as
 * soon as someone waits to take s_umount for writing (an unmount, a
 * remount, a freeze): the next tick resumes at the cursor.
 */
static bool sc_walk_stop(struct sc_walk *w)
{
	return w->pending.visited >= SC_VISIT_FACTOR * w->maxlaunder ||
	       sc_burst_spent(sc_get(SC_CURBURST) -
			      ((s64)w->pending.nr << PAGE_SHIFT)) ||
	       time_after_eq(jiffies, w->deadline) ||
	       (w->sb && rwsem_is_contended(&w->sb->s_umount)) ||
	       kthread_should_stop() || test_bit(SC_SUSPENDED, &w->sc->flags);
}

/*
 * Groups a walk passes over under one RCU read section: the section is
 * let go of every so many, as well as for every group taken out of the
 * tree, so that a long run of cached groups holds up no grace period.
 */
#define SC_WALK_RCU_GROUPS	64

/*
 * Flush a file's groups from @from to @last, within the tick's budget,
 * keeping the cursor's page index up to date.  A group whose walk meets a
 * page it cannot settle (memo.h's marks: a taint, a refusal) is noted for
 * the next pass (focus.h).  The page cache's tree is walked
 * under RCU, and a group is only taken out of it (its folios referenced,
 * RCU let go of) when sc_group_cached() cannot pass over it.  Whenever RCU
 * was let go of, and after a large folio that reaches past its group (the
 * tree holds no entry for the indices it covers there), the walk looks
 * the tree up again at the cursor, so that it resumes where the cursor
 * says, whatever the tree became meanwhile.
 *
 * With *@optin SC_OPTIN_UNLESS_VETOED, the file's own veto is read before
 * its first group that the memo cannot pass over, and *@optin says what
 * it found: a vetoed file is done.  A group the memo passes over is not
 * taken, so it needs no reading; over a file that is cached already, as
 * in most passes, the veto is never read.  What is taken and noted is as
 * if the veto had been read first; only the counting differs for a vetoed
 * file: the memo is looked up for its groups until the veto is read,
 * those passed over count as visited, and a stop met before then leaves
 * the file not done, to be judged again at the next tick.
 *
 * Return: true when the file is done.
 */
static bool sc_scan_inode(struct sc_walk *w, struct inode *inode,
			  pgoff_t from, pgoff_t last, enum sc_optin *optin)
{
	struct address_space *mapping = inode->i_mapping;
	struct sc_scan_cursor *cur = &w->sc->cursor;
	struct sc_quiet *quiet = &cur->quiet;
	XA_STATE(xas, &mapping->i_pages, from);
	struct sc_group g = { };
	unsigned int groups = 0;
	struct sc_seen seen;
	bool more, done = true;

	g.stamped = sc_inode_stamp(inode, &g.stamp);
	cur->index = from;
	rcu_read_lock();
	more = sc_walk_next(&xas, last, &seen);
	while (more) {
		bool plain = true, again = false;
		u64 marks = quiet->marks;
		u32 present = 0;

		if (w->budget <= 0 || sc_walk_stop(w)) {
			done = false;
			break;
		}
		g.base = max(seen.first, cur->index) &
			 ~(pgoff_t)(SC_SLAB_SIZE - 1);
		do {
			present |= sc_seen_mask(&seen, g.base);
			plain &= !seen.marked;
			again |= seen.last - g.base >= SC_SLAB_SIZE;
			more = sc_walk_next(&xas, last, &seen);
		} while (more && seen.first - g.base < SC_SLAB_SIZE);

		if (plain && sc_group_cached(w->sc, inode, &g, present)) {
			w->pending.visited += hweight32(present);
		} else {
			rcu_read_unlock();
			if (*optin == SC_OPTIN_UNLESS_VETOED)
				*optin = sc_optin_vetoed(inode) ? SC_OPTIN_OUT :
								  SC_OPTIN_IN;
			if (*optin == SC_OPTIN_OUT) {
				rcu_read_lock();
				break;
			}
			if (sc_group_get(mapping, &g)) {
				w->budget -= sc_flush_group(w->sc, inode, &g,
							    &w->pending);
				sc_group_put(&g);
			}
			cond_resched();
			rcu_read_lock();
			again = true;
		}
		if (quiet->marks != marks) {
			sc_focus_add(&w->sc->focus_next, mapping,
				     g.base / SC_SLAB_SIZE);
			sc_quiet_noted(quiet, quiet->marks - marks);
		}
		cur->index = g.base + SC_SLAB_SIZE;
		if (!cur->index)	/* the last possible group */
			break;
		if (++groups % SC_WALK_RCU_GROUPS == 0 || need_resched()) {
			rcu_read_unlock();
			cond_resched();
			rcu_read_lock();
			again = true;
		}
		if (again) {
			xas_set(&xas, cur->index);
			more = cur->index <= last &&
			       sc_walk_next(&xas, last, &seen);
		}
	}
	rcu_read_unlock();
	return done;
}

/*
 * The inode the cursor names, with a reference, or NULL when it is gone,
 * is being freed or created, or cannot be found: filesystems that keep
 * their inodes out of the VFS inode hash (XFS) are resumed by position.
 * Inodes are freed after an RCU grace period, so one found under
 * rcu_read_lock() can be locked and checked (as ext4's lazytime update
 * does).
 */
static struct inode *sc_cursor_inode(struct super_block *sb,
				     const struct sc_scan_cursor *cur)
{
	struct inode *inode;

	if (!cur->valid)
		return NULL;
	rcu_read_lock();
	inode = find_inode_by_ino_rcu(sb, cur->ino);
	if (inode) {
		spin_lock(&inode->i_lock);
		if ((inode->i_state & (I_FREEING | I_WILL_FREE | I_NEW)) ||
		    inode->i_generation != cur->gen) {
			spin_unlock(&inode->i_lock);
			inode = NULL;
		} else {
			__iget(inode);
			spin_unlock(&inode->i_lock);
		}
	}
	rcu_read_unlock();
	return inode;
}

/* List entries passed over per hold of s_inode_list_lock, at most. */
#define SC_WALK_BATCH		256

/*
 * Pin @inode, found under s_inode_list_lock and its i_lock (both let go of
 * here), as the walk's place in the list, and put the one pinned before.
 */
static void sc_walk_hold(struct super_block *sb, struct inode *inode,
			 struct inode **toput)
	__releases(&inode->i_lock) __releases(&sb->s_inode_list_lock)
{
	__iget(inode);
	spin_unlock(&inode->i_lock);
	spin_unlock(&sb->s_inode_list_lock);
	iput(*toput);
	*toput = inode;
}

/*
 * A pass begins: take the groups the read path noted, and decide whether
 * the pass may be a focused one (focus.h).  The events are read before the
 * notes are taken, and the read path notes before it counts, so that every
 * miss counted in what the quiet pass compares with later is among the
 * notes taken now, or among those of the next pass.
 * Return: true for a focused pass.
 */
static bool sc_pass_begin(struct sc_target *sc)
{
	struct sc_scan_cursor *cur = &sc->cursor;
	u64 events, other;
	bool focus;

	events = sc_scan_events(sc, &other);
	smp_mb();	/* the counts before the notes, as explained above */
	spin_lock_irq(&sc->focus_lock);
	sc_focus_reset(&sc->focus_work);
	sc_focus_merge(&sc->focus_work, &sc->focus_in);
	sc_focus_reset(&sc->focus_in);
	spin_unlock_irq(&sc->focus_lock);
	sc_focus_merge(&sc->focus_work, &sc->focus_next);
	sc_focus_reset(&sc->focus_next);

	focus = cur->focus_ok && other == cur->other_events &&
		!sc->focus_work.overflow &&
		cur->focused_passes < SC_FOCUS_FULL_EVERY - 1;
	cur->focused_passes = focus ? cur->focused_passes + 1 : 0;
	cur->focus_ok = false;
	cur->other_events = other;
	sc_quiet_begin(&cur->quiet, events);
	return focus;
}

/*
 * The pass is over, having looked at every group it had to: the next waits
 * for hysteresis pages to age, and may be a focused one if this one noted
 * the group of everything it could not settle.
 */
static void sc_pass_end(struct sc_target *sc)
{
	struct sc_scan_cursor *cur = &sc->cursor;

	sc_quiet_end(&cur->quiet);
	cur->focus_ok = sc_quiet_all_noted(&cur->quiet) &&
			!sc->focus_next.overflow;
	cur->valid = false;
	cur->done = false;
	cur->inode_pos = 0;
	cur->index = 0;
	cur->waiting = true;
	cur->mark = sc_aging_signal();
}

/*
 * A focused pass cut short.  By the budget (pages examined, the burst
 * budget), which a reader missing faster than maxlaunder pages a tick
 * runs out of: its groups, those it looked at included, are noted for the
 * next pass, which follows at the next tick, as a full pass resumes at its
 * cursor, and is focused too.  By time (the deadline, an unmount, a
 * freeze, a stop), which a long inode list alone may run out of: a full
 * pass follows at once, since only its cursor makes progress through such
 * a list.
 */
static void sc_pass_cut(struct sc_walk *w)
{
	struct sc_target *sc = w->sc;
	struct sc_scan_cursor *cur = &sc->cursor;

	if (time_before(jiffies, w->deadline) && !kthread_should_stop() &&
	    !rwsem_is_contended(&w->sb->s_umount) &&
	    !test_bit(SC_SUSPENDED, &sc->flags)) {
		sc_focus_merge(&sc->focus_next, &sc->focus_work);
		sc_quiet_taint(&cur->quiet);
		sc_quiet_noted(&cur->quiet, 1);
		sc_pass_end(sc);
	} else {
		cur->focus_ok = false;
		cur->valid = false;
	}
	cur->waiting = false;
}

/*
 * A full pass of @sc's ended: its group memo, and no other target's, ages
 * its entries by a pass and says what table it wants, which the thread
 * allocates once it is done with @sc for this tick (sc_scan_memo_resize()).
 * What the memo saw in the pass goes to the dynamic debug log (the bench
 * reads it): lookups, groups found, groups met, table size.
 */
static void sc_scan_memo_pass_end(struct sc_target *sc)
{
	struct sc_memo_pass seen;

	sc->memo_want = sc_memo_pass_end(&sc->memo, &seen);
	DMDEBUG("memo: pass %llu lookups %llu found %llu claimed %llu met; table %lu, wants %lu",
		seen.lookups, seen.found, seen.claimed, seen.met,
		(unsigned long)SC_MEMO_WAYS << sc->memo.set_bits,
		(unsigned long)SC_MEMO_WAYS << sc->memo_want);
}

/*
 * Look at the groups of each file the focus names, and nothing else.  The
 * inodes are walked as sc_walk_inodes() walks them, with a reference on
 * the inode in hand whenever s_inode_list_lock is let go of; an inode's
 * mapping is only compared with the notes.
 */
static void sc_walk_focus(struct sc_walk *w, struct super_block *sb)
{
	struct sc_target *sc = w->sc;
	struct sc_focus *f = &sc->focus_work;
	struct inode *inode, *toput = NULL;
	unsigned int batch = 0;
	bool cut = false;

	sc_focus_sort(f);
	spin_lock(&sb->s_inode_list_lock);
	list_for_each_entry(inode, &sb->s_inodes, i_sb_list) {
		enum sc_optin optin = SC_OPTIN_OUT;
		u32 first = 0, n = 0, i;

		spin_lock(&inode->i_lock);
		if (inode->i_state & (I_FREEING | I_WILL_FREE | I_NEW)) {
			spin_unlock(&inode->i_lock);
			++batch;
			continue;
		}
		if (S_ISREG(inode->i_mode) && inode->i_mapping->nrpages)
			n = sc_focus_find(f, inode->i_mapping, &first);
		if (!n && ++batch < SC_WALK_BATCH && !need_resched()) {
			spin_unlock(&inode->i_lock);
			continue;
		}
		batch = 0;
		sc_walk_hold(sb, inode, &toput);

		if (n)
			optin = sc_inode_eligible(inode, &sc->cursor.quiet);
		for (i = first; i < first + n && !cut && optin != SC_OPTIN_OUT;
		     i++) {
			pgoff_t base = f->g[i].group * SC_SLAB_SIZE;

			cut = !sc_scan_inode(w, inode, base,
					     base + SC_SLAB_SIZE - 1, &optin);
		}
		cond_resched();
		if (cut || w->budget <= 0 || sc_walk_stop(w)) {
			iput(toput);
			sc_pass_cut(w);
			return;
		}
		spin_lock(&sb->s_inode_list_lock);
	}
	spin_unlock(&sb->s_inode_list_lock);
	iput(toput);
	sc_pass_end(sc);
}

/*
 * The walk over sb->s_inodes, resuming where the last tick stopped.
 * References and locks as in drop_pagecache_sb(): the inode the walk is
 * at is pinned by a reference while s_inode_list_lock is dropped, so that
 * the walk can go on from it.  The lock is dropped at every inode with
 * pages and at least every SC_WALK_BATCH entries (or when the scheduler
 * asks), so that no hold is longer than that, however many inodes are
 * cached; the deadline is checked at each of those points.
 *
 * Between ticks no reference is held: the thread lets go of s_umount, and
 * an unmount then would find the pinned inode busy.  So the cursor names
 * the inode it stopped at by number and generation, and finds it again in
 * the inode hash, which costs O(1) and leaves the list's order alone
 * (drop_caches and every other walker of s_inodes rely on that order; a
 * marker entry in the list would be seen by them as an inode, and would
 * be a busy inode if an unmount came between ticks).  The walk resumes at
 * that inode, wherever inodes that came and went meanwhile have moved it.
 * When the inode is gone, or the filesystem does not hash its inodes
 * (XFS keeps them in its own per-group trees), the walk resumes by
 * counting entries to the stopped inode's position: O(position), but in
 * batches too, so that it never holds the lock longer than any other
 * step.  Inodes that come and go meanwhile shift that position a little,
 * and a later pass makes up for what that skips.
 */
static void sc_walk_inodes(struct sc_walk *w, struct super_block *sb)
{
	struct sc_scan_cursor *cur = &w->sc->cursor;
	struct sc_scan_cursor was = *cur;
	struct inode *inode, *toput, *resume;
	unsigned int batch = 0;
	u64 pos, skip_to;
	bool lost;

	if (!cur->valid && sc_pass_begin(w->sc)) {
		sc_walk_focus(w, sb);
		return;
	}
	toput = sc_cursor_inode(sb, cur);
	/*
	 * Resuming by position, the walk may pass over inodes that moved
	 * meanwhile; unless the cursor's own inode is found where it was,
	 * this pass cannot be trusted to have seen everything.
	 */
	lost = !toput && cur->valid;
	resume = toput;
	spin_lock(&sb->s_inode_list_lock);
	if (toput) {
		inode = toput;
		pos = cur->inode_pos;
		skip_to = pos;
	} else {
		/*
		 * Not in the hash (XFS) or gone: by position, from the head.
		 * The inode found there is the cursor's own if its number
		 * and generation match, and then resumes at its page.
		 */
		inode = list_first_entry(&sb->s_inodes, struct inode, i_sb_list);
		pos = 0;
		skip_to = cur->valid ? cur->inode_pos : 0;
	}
	for (; !list_entry_is_head(inode, &sb->s_inodes, i_sb_list);
	     inode = list_next_entry(inode, i_sb_list), pos++) {
		enum sc_optin optin = SC_OPTIN_OUT;
		bool scan, resuming, done = true;
		pgoff_t from = 0;

		spin_lock(&inode->i_lock);
		if (inode->i_state & (I_FREEING | I_WILL_FREE | I_NEW)) {
			spin_unlock(&inode->i_lock);
			++batch;
			continue;
		}
		resuming = inode == resume ||
			   (!resume && was.valid && pos == skip_to &&
			    inode->i_ino == was.ino &&
			    inode->i_generation == was.gen);
		if (lost && pos == skip_to) {
			if (!resuming)
				sc_quiet_taint(&cur->quiet);
			lost = false;
		}
		scan = pos >= skip_to && S_ISREG(inode->i_mode) &&
		       inode->i_mapping->nrpages && !(resuming && was.done);
		if (!scan && ++batch < SC_WALK_BATCH && !need_resched()) {
			spin_unlock(&inode->i_lock);
			continue;
		}
		batch = 0;
		sc_walk_hold(sb, inode, &toput);
		resume = NULL;	/* its address may be reused once put */

		/*
		 * Short of the cursor's position (counting there by
		 * position) this is only a lock break: the cursor must not
		 * move back, or a list longer than a tick can count would
		 * never be walked past it.
		 */
		if (pos < skip_to) {
			cond_resched();
			if (kthread_should_stop()) {
				iput(toput);
				return;
			}
			spin_lock(&sb->s_inode_list_lock);
			continue;
		}
		if (resuming)
			from = was.index;
		cur->valid = true;
		cur->inode_pos = pos;
		cur->ino = inode->i_ino;
		cur->gen = inode->i_generation;
		cur->index = 0;
		if (scan)
			optin = sc_inode_eligible(inode, &cur->quiet);
		if (optin != SC_OPTIN_OUT)
			done = sc_scan_inode(w, inode, from, ULONG_MAX,
					     &optin);
		cur->done = done;
		cond_resched();
		if (w->budget <= 0 || sc_walk_stop(w)) {
			iput(toput);
			return;
		}
		spin_lock(&sb->s_inode_list_lock);
	}
	spin_unlock(&sb->s_inode_list_lock);
	iput(toput);

	/* The end of the list: the pass is over, as at DragonFly's tail. */
	if (lost)
		sc_quiet_taint(&cur->quiet);
	sc_pass_end(w->sc);
	sc_scan_memo_pass_end(w->sc);
}

/*
 * iterate_supers_type()'s callback, with s_umount held for reading.
 *
 * A frozen filesystem is not walked at all: dropping the last reference
 * to an unlinked inode there would block its eviction until the thaw,
 * with s_umount held, which the thaw needs.  Whether it is frozen cannot
 * change while s_umount is held: freeze_super() and thaw_super() take it
 * for writing to change it (and a freeze that lets go of it while it
 * waits for writers has set frozen already).
 */
static void sc_walk_sb(struct super_block *sb, void *arg)
{
	struct sc_walk *w = arg;

	if (sb->s_bdev != w->bdev || test_bit(SC_SUSPENDED, &w->sc->flags) ||
	    sb->s_writers.frozen != SB_UNFROZEN)
		return;
	w->sb = sb;
	sc_walk_inodes(w, sb);
	w->sb = NULL;
}

/*
 * A tick's data writing for one target: find its filesystem and walk it,
 * unless the last pass ended and not enough pages have aged since.
 */
static void sc_scan_data(struct sc_target *sc)
{
	struct sc_walk w = {
		.sc = sc,
		.bdev = dm_disk(dm_table_get_md(sc->ti->table))->part0,
		.budget = sc_get(SC_MAXLAUNDER),
		.maxlaunder = sc_get(SC_MAXLAUNDER),
		.deadline = jiffies + SC_TICK_WORK,
	};
	struct file_system_type *type;
	struct sc_scan_cursor *cur = &sc->cursor;
	u64 other;

	if (cur->waiting) {
		if (sc_quiet_skip(&cur->quiet, sc_scan_events(sc, &other)))
			return;
		if (sc_aging_signal() - cur->mark < sc_get(SC_HYSTERESIS))
			return;
		cur->waiting = false;
	}
	type = sc_bdev_fs_type(w.bdev);
	if (!type)
		return;
	sc_optin_forget();
	iterate_supers_type(type, sc_walk_sb, &w);
	module_put(type->owner);
	sc_pending_flush(sc, &w.pending);
}

/* A tick's metadata writing for one target: drain the staging pool. */
static void sc_scan_meta(struct sc_target *sc)
{
	sc_oblock_t oblocks[SC_SLAB_SIZE];
	struct sc_guard_snap snap;
	unsigned int n;

	while (!sc_budget_spent() && !test_bit(SC_SUSPENDED, &sc->flags)) {
		n = sc_meta_take(sc, oblocks, sc_pages, &snap);
		if (!n)
			break;
		sc_budget_insert(sc, oblocks, n, &snap);
	}
}

/*----------------------------------------------------------------*/

/* The thread */

static bool sc_thread_has_work(void)
{
	bool any;

	if (!sc_get(SC_DATA_ENABLE) && !sc_get(SC_META_ENABLE))
		return false;
	mutex_lock(&sc_targets_lock);
	any = !list_empty(&sc_targets);
	mutex_unlock(&sc_targets_lock);
	return any;
}

/* The next target this tick has not served yet, held through scan_users. */
static struct sc_target *sc_next_target(void)
{
	struct sc_target *sc, *found = NULL;

	mutex_lock(&sc_targets_lock);
	list_for_each_entry(sc, &sc_targets, scan_entry) {
		if (sc->scan_tick == sc_tick_count)
			continue;
		sc->scan_tick = sc_tick_count;
		atomic_inc(&sc->scan_users);
		found = sc;
		break;
	}
	mutex_unlock(&sc_targets_lock);
	return found;
}

static void sc_release_target(struct sc_target *sc)
{
	if (atomic_dec_and_test(&sc->scan_users))
		wake_up(&sc_target_released);
}

/*
 * Tell the target's doorkeeper how many blocks the read path noted since
 * the last tick (see sc_door_tick()).
 */
static void sc_door_tick_target(struct sc_target *sc)
{
	u64 misses = 0;
	int cpu;

	for_each_possible_cpu(cpu)
		misses += READ_ONCE(per_cpu_ptr(sc->stats, cpu)->count[SC_STAT_DOOR_MISSES]);
	sc_door_tick(&sc->door, misses - sc->door_misses);
	sc->door_misses = misses;
}

/*
 * One 10 Hz tick: vm_swapcache.c's loop body, per target.  Without @work
 * (nothing enabled, every 5 s), only what writes and discards dropped
 * from the maps meanwhile is freed.
 */
static void sc_thread_tick(bool work)
{
	struct sc_target *sc;
	bool may_write = false, wrote = false;

	if (work) {
		sc_budget_refill();
		may_write = sc_budget_may_write();
	} else {
		sc_refill_clock_running = false;
	}

	sc_tick_count++;
	while (!kthread_should_stop() && (sc = sc_next_target())) {
		sc_map_free_garbage(sc);
		if (work && !test_bit(SC_DEGRADED, &sc->flags) &&
		    !test_bit(SC_SUSPENDED, &sc->flags)) {
			sc_door_tick_target(sc);
			sc_clean_update(sc);
			if (READ_ONCE(sc->water) == SC_WATER_CLEANING) {
				sc_clean(sc);
			} else if (may_write) {
				wrote = true;
				if (sc_get(SC_META_ENABLE))
					sc_scan_meta(sc);
				if (sc_get(SC_DATA_ENABLE))
					sc_scan_data(sc);
			}
		}
		/*
		 * Done with it for this tick, and still holding it; one its
		 * destructor has unlinked has no use for a new table.
		 */
		if (!list_empty_careful(&sc->scan_entry))
			sc_scan_memo_resize(sc);
		sc_release_target(sc);
	}

	if (wrote)
		WRITE_ONCE(sc_burst,
			   sc_burst_after_write(sc_burst, sc_get(SC_CURBURST)));
}

static int sc_thread_fn(void *unused)
{
	long timeout;

	set_freezable();
	while (!kthread_should_stop()) {
		timeout = sc_thread_has_work() ? SC_TICK : SC_IDLE_TICK;
		wait_event_freezable_timeout(sc_thread_wait,
					     kthread_should_stop() ||
					     READ_ONCE(sc_thread_kicked),
					     timeout);
		WRITE_ONCE(sc_thread_kicked, false);
		if (kthread_should_stop())
			break;
		sc_thread_tick(sc_thread_has_work());
	}
	return 0;
}

/**
 * sc_scan_start() - start swapcached
 *
 * Sleeps; process context (module init).
 *
 * Return: 0, or a negative errno when the thread or its buffers cannot be
 * had.
 */
int sc_scan_start(void)
{
	unsigned int i;

	sc_vm_events = kcalloc(NR_VM_EVENT_ITEMS, sizeof(*sc_vm_events),
			       GFP_KERNEL);
	if (!sc_vm_events)
		goto nomem;
	for (i = 0; i < SC_SLAB_SIZE; i++) {
		sc_pages[i] = alloc_page(GFP_KERNEL);
		if (!sc_pages[i])
			goto nomem;
	}
	sc_thread = kthread_run(sc_thread_fn, NULL, "swapcached");
	if (IS_ERR(sc_thread)) {
		int r = PTR_ERR(sc_thread);

		sc_thread = NULL;
		sc_scan_stop();
		return r;
	}
	return 0;
nomem:
	sc_scan_stop();
	return -ENOMEM;
}

/**
 * sc_scan_stop() - stop swapcached and free its buffers
 *
 * Waits for the thread's current tick.  Sleeps; process context (module
 * init's error path, module exit).
 */
void sc_scan_stop(void)
{
	unsigned int i;

	if (sc_thread)
		kthread_stop(sc_thread);
	sc_thread = NULL;
	for (i = 0; i < SC_SLAB_SIZE; i++) {
		if (sc_pages[i])
			__free_page(sc_pages[i]);
		sc_pages[i] = NULL;
	}
	kfree(sc_vm_events);
	sc_vm_events = NULL;
}
