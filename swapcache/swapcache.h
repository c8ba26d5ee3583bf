/* SPDX-License-Identifier: GPL-2.0 */
/*
 * swapcache: an SSD read cache for Linux, ported from DragonFly BSD's
 * swapcache (sys/vm/vm_swapcache.c, Matthew Dillon, 2010).
 *
 * DESIGN
 * ======
 *
 * DragonFly lets clean file pages that are aging out of RAM keep a copy on
 * an SSD configured as swap.  A daemon walks the inactive page queue, picks
 * clean vnode-backed pages from files flagged "cache", writes them to swap
 * in aligned 16-page clusters and leaves the swap assignment attached to
 * the VM object after the page itself is freed; the vnode read path then
 * diverts reads of those pages to the SSD.  A token bucket bounds the SSD
 * write rate, and once swap use passes a high watermark a cleaner strips
 * assignments until use falls below a low one.
 *
 * Linux has no hook in its read path that a module could use to divert
 * reads of a file's pages, so the cache lives one layer lower: a
 * device-mapper target sits between the filesystem and its slow disk (the
 * origin) and owns the SSD (the cache device).  Reads pass through the
 * target, which knows which origin blocks have a copy on the SSD; the
 * scanning thread still chooses what to copy by looking at the page cache,
 * as DragonFly does, so the cache holds what the VM found worth keeping
 * rather than everything that was ever read.
 *
 * Glossary
 * --------
 * origin block	  a 4 KiB-aligned 4 KiB block of the origin device.
 * cache slot	  a 4 KiB-aligned 4 KiB block of the cache device.
 * slab		  16 consecutive slots (64 KiB): the unit in which the SSD
 *		  is written and evicted, DragonFly's swap meta-block.  The
 *		  cache's capacity is the number of whole slabs on the cache
 *		  device times 16 (cache_pages in the status line).
 * cluster	  up to 16 origin blocks written to one slab in one I/O.
 * watermarks	  maxswappct% of the slabs in use (high) and maxswappct - 5%
 *		  (low); a slab is in use from when it is handed out for
 *		  writing until it is free again, however few of its slots
 *		  hold a block.
 * ghost	  an origin group (16 aligned origin blocks) the cleaner
 *		  evicted, not written again while its pages stay in RAM
 *		  (admit.c).
 * thrashing	  the cleaner evicting slabs never hit since they were
 *		  filled; the thread then writes only blocks its doorkeeper
 *		  saw read from the origin twice lately (admit.c).
 * burst budget	  the token bucket (curburst, accrate, minburst, maxburst)
 *		  that every SSD write is charged against.
 *
 * The map
 * -------
 * The map's memory follows what is cached, not the SSD's size: a 4 TiB
 * SSD costs about 44 MiB when constructed (0.7 bytes per slab: its state
 * in five bitmaps, and directories of what may grow), and every cached page
 * costs about 1.2 bytes more when the thread writes whole 16-page groups,
 * as it does for a file read in full and as warm does.  The unit of the
 * map is not the slot but the entry: of one origin group (16 aligned
 * blocks, DragonFly's cluster), which pages sit in consecutive slots of
 * one slab, and which of them are still valid.  A whole group is one
 * entry of 16 bytes.  Pages the thread finds scattered and packs 16 to a
 * slab come from nearby groups: a span entry of 32 bytes holds those of
 * one span (16 groups, 1 MiB of origin), a byte of offset each, about
 * 2.2 bytes per page.  The worst shape, 16 pages from 16 groups each more
 * than 1 MiB apart, is still 16 entries, about 18 bytes per page, more
 * than the 13.75 per slot the old preallocated arrays cost at full
 * occupancy: the price of a link and a full key per page, where a compact
 * table (quotienting, open addressing) could get under 8, left for
 * later.  A slab's entries
 * are allocated together, a run in a buddy-allocated arena of 64 KiB
 * chunks, so that eviction finds them all from any one of them, and the
 * CLOCK and the walks that drop large ranges sweep the arena, whose size
 * follows the cache, instead of the SSD's slabs.  The hash table over the
 * entries grows and shrinks by linear hashing, a bucket split or merged
 * per entry added or dropped, so no hold of the map's lock ever rehashes
 * the table.  The map never allocates: maplock.c allocates, in process
 * context and outside the lock, a reserve of one chunk and one segment
 * before each insertion, and frees what the map lets go; an insertion
 * that finds no room is refused whole, its blocks left uncached.  Indexes,
 * not pointers, as dm-cache's smq uses.  The kernel's own structures cost
 * more for this job: an hlist_node alone is 16 bytes per entry, an xarray
 * node serves 64 consecutive indexes and origin blocks are sparse, and
 * neither runs in user space, where tests/unit/ checks the map
 * against a reference model.  The map is pure code (map.c); maplock.c
 * wraps it in a rwlock_t: the read path takes the read side, so lookups on
 * all CPUs proceed in parallel, and only changes (inserting a cluster,
 * dropping blocks) take the write side.  A write of at most
 * SC_INVALIDATE_PROBE blocks that overlaps nothing cached probes under the
 * read side and never takes the write side; a longer one takes it whenever
 * anything at all is cached.  RCU
 * would spare the read side's shared cache line, but slots are recycled in
 * place, so readers would need the same in-flight accounting anyway.
 *
 * Never stale
 * -----------
 * A write, discard or write-zeroes drops the cached blocks it overlaps
 * before it is issued, and write guards keep a copy taken before a write
 * from entering the map after it: the argument is at the top of guard.c.
 *
 * Locking
 * -------
 * Per target, outermost first: warm_lock (a warm, one at a time), then
 * insert_lock (held by whoever writes the SSD outside of mapped bios: an
 * insertion across its cluster's SSD write, the cleaner across a tick of
 * evictions and their discards), then the map's lock (sc->lock, a rwlock
 * taken only in maplock.c, whose holds are short and span no sleep).  The
 * thread may hold s_umount for reading (its walk of a filesystem, from
 * iterate_supers_type()) around insert_lock and the map's lock, as it looks
 * blocks up and inserts clusters during the walk; it takes
 * s_inode_list_lock and i_lock only around the list walk and lets them go
 * before it looks at an inode's pages, so no lock of ours nests inside
 * them.  meta_lock (the staging pool), retry_lock and defer_lock are
 * innermost: taken with interrupts off (end_io stages metadata and queues
 * failed SSD reads in interrupt context), nothing is taken under them, and
 * none is held with the map's lock.  The map's lock itself is never taken in
 * interrupt context.  Module-wide, the thread's sc_targets_lock and the
 * constructor's sc_cache_users_lock are held alone.
 *
 * The thread, and how it follows DragonFly
 * -----------------------------------------
 * One kernel thread, swapcached, serves every target, as DragonFly's one
 * daemon serves its one swap space.  Its loop is that of DragonFly's
 * vm_swapcache.c: a 10 Hz tick (5 s while nothing is enabled) that
 * refills the burst budget, moves the watermark state, and either writes
 * or cleans.  The budget is DragonFly's token bucket (burst.c): refilled
 * up to maxburst, writing only while a second's worth is banked, a
 * recovering state after it runs dry that ends above minburst, and a pass
 * that stops as soon as the budget is negative, so that one cluster may
 * overshoot.  One change: DragonFly adds accrate/10 per tick, and a tick
 * lasts 100 ms plus the timer's slack plus its work, which made the rate
 * 4-11% slow; the refill here credits accrate times the time since the
 * last work tick.  The watermarks are DragonFly's 75%/70%
 * of the cache device (watermark.c), kept per target because each target
 * has its own SSD; the budget and its state stay global.  What differs,
 * and why:
 *
 * - What is walked.  DragonFly walks the global inactive queue behind a
 *   marker page.  A module cannot walk Linux's LRU lists, and on the
 *   multi-gen LRU they are not two lists any more, so the thread walks the
 *   page cache of the filesystem mounted on each target, inode by inode
 *   with a cursor, and asks each page whether it is inactive: no active
 *   flag on the classic LRU, or a generation outside the two youngest
 *   (or the oldest) on the multi-gen LRU.  Walking only the target's
 *   filesystem also keeps the thread away from pages it could never cache.
 *   The walk holds s_umount, so a tick's walk is bounded in time as well
 *   as in pages, and it holds no inode between ticks: the cursor finds
 *   its inode again by number (scan.c, sc_walk_inodes()).
 * - What a pass costs.  DragonFly marks a page that has a swap copy, so a
 *   pass skips cached pages for nothing.  Linux pages have no such flag
 *   for us, and the map is keyed by origin block, which only bmap() can
 *   tell.  So the thread remembers where a group's pages live (memo.c: a
 *   table per target, sized from its last full pass, keyed so that no
 *   reused inode matches, stamped with the file's ctime, mtime and size),
 *   asks the map once per group, and takes
 *   the folio lock only for uncached pages; never-stale rests on the
 *   bmap() after the copy, not on the memo.  A group whose pages the memo
 *   locates and the map holds is passed over from the page cache's tree
 *   alone, under RCU, without a reference on its folios: with a reader
 *   beside it, most of a pass is such groups.  And a pass that found nothing
 *   to do is followed by no other until a read miss, an origin write, an
 *   eviction, an invalidation or a parameter write says something may
 *   have changed (the quiet pass, memo.h); when only read misses did, the
 *   next pass looks at the groups their pages fill and at those the last
 *   pass left unsettled, named by the read path from the bio's own locked
 *   pages, and a full pass comes every 16th pass or at any doubt (the
 *   focus, focus.h).  DragonFly's queue brings it the pages that moved;
 *   the focus is how a walk of the page cache hears of them.
 * - The inactive heuristic.  DragonFly's VM bumps a counter for the
 *   daemon at each deactivation; here the thread reads the kernel's own
 *   event counters (pgdeactivate, and pgscan_kswapd/direct, which move on
 *   the multi-gen LRU too) and starts a new pass after hysteresis of them.
 *   A new target's first pass starts at once: it has nothing cached yet.
 * - Clustering.  DragonFly takes the run of qualifying pages around the
 *   candidate in its 16-page aligned group.  We take every qualifying page
 *   of the group, and pack groups into one slab until it is full: swap
 *   space in DragonFly is allocated a page at a time, but our unit of
 *   allocation is the 64 KiB slab, and a random reader leaves a page or
 *   two per group, so writing each group alone would fill the SSD at one
 *   sixteenth of its capacity.
 * - True copies.  DragonFly's swap copy hangs off the VM page, so the VM
 *   drops it when the page is dirtied.  We sit below the filesystem, so a
 *   page is taken only when it is uptodate, clean, unlocked, not under
 *   writeback and free of dirty, delayed, unwritten or journalled buffers,
 *   with its blocks mapped 1:1 by bmap(); T0 (the write guards) is taken
 *   before the copy, the state is checked again after it, and a file with
 *   direct I/O in flight is skipped, because a direct write reaches the
 *   origin before the filesystem drops the old page (i_dio_count spans
 *   both).
 * - Metadata.  DragonFly caches the block device's own pages.  Linux
 *   filesystems keep metadata in journal-owned buffers (ext4) or outside
 *   the page cache (XFS), so metadata is admitted as it is read: REQ_META
 *   misses are copied at completion into a small per-target pool, with
 *   their T0 taken when the read was issued, and written by the thread,
 *   which drops those whose T0 is too old to trust (SC_META_MAX_AGE).
 * - Cleaning.  DragonFly frees swap round robin over VM objects.  We evict
 *   whole slabs, so the SSD never fragments, and choose them with a CLOCK
 *   that gives slabs read since the hand last passed a second chance, then
 *   discard them.  A slab being discarded is not handed out.
 * - Ghosts.  A page still in RAM gains nothing from an SSD copy until it
 *   leaves RAM.  DragonFly's inactive queue holds pages the pageout daemon
 *   is already aging out, and its swap is usually larger than RAM; here an
 *   inactive page may stay resident indefinitely (the multi-gen LRU keeps
 *   new file pages in its oldest generation until reclaim ages them, and
 *   without memory pressure nothing does), and the SSD may be smaller than
 *   the opted-in page cache.  Then the cleaner evicted resident pages and
 *   the next tick wrote them again, for ever, bounded only by the budget.
 *   So the groups of an evicted slab become ghosts (admit.c), which the
 *   thread does not write again while they stay in RAM; a page of a ghost
 *   whose own block is read from the origin again (it left RAM and came
 *   back) may be written again, that page alone.  Of the fixes considered,
 *   this one changes nothing but re-admission after an eviction: the
 *   cleaner cannot tell which slabs hold resident pages (a slot knows its
 *   origin block, not the page), and admitting only pages "about to
 *   leave" has no signal on either LRU without memory pressure.  An
 *   earlier version forgot a group's ghost at any read miss on the group,
 *   and every ghost after a tick of 16 misses: a reader at random over
 *   more than RAM then had the thread write the group's four or five
 *   resident pages again at each miss, as if there were no ghosts (about
 *   two SSD bytes written per byte read at under 1% hits, BENCH.md runs
 *   N-T).
 * - Thrashing.  Ghosts do not stop the first write of pages the SSD cannot
 *   keep: when the opted-in pages that pass through RAM outnumber the SSD's
 *   slots many times over (a random reader over four times RAM, on an SSD
 *   smaller than RAM), each page written is evicted before the reader
 *   comes back to it, and nothing is ever hit.  A cache that kept what it
 *   first took, and wrote nothing more, would do better (BENCH.md's
 *   scenario 8: about 9% of hits against under 1%).  DragonFly's rule is
 *   kept while it works, so warm-ups, and every cache that fits, behave
 *   as DragonFly's; the cleaner tells when it does not: a slab evicted
 *   with no hit since it was filled (a bit per slab in the map, since the
 *   CLOCK's referenced bit is cleared by the hand) was written for
 *   nothing.  Once about three in four recent evictions are such slabs,
 *   the thread writes only pages whose block was read from the origin
 *   twice within about one SSD's worth of later misses (a doorkeeper, two
 *   Bloom filters like the ghosts', 32 KiB per target): what comes back
 *   that soon is likely to come back again before its slab is evicted,
 *   and the rest of the SSD stays put to be hit.  The doorkeeper's own
 *   slabs do get hit, so the share of unhit evictions cannot tell when to
 *   stop; the cleaner can: thrashing ends when it has evicted nothing for
 *   eight windows of misses, the SSD no longer outgrown.  Other rules
 *   considered: a doorkeeper always (TinyLFU's), which changes the
 *   warm-up DragonFly users expect, a file read once is then never
 *   cached; and counting hits against evictions per tick, which the
 *   doorkeeper's hits would end as soon as it began.  Misses the thread
 *   itself causes (bmap()'s metadata reads) are left out; O_DIRECT reads
 *   are not told apart and count as reads of the block.
 * - Opt-in.  chflags cache becomes the user.swapcache=1 attribute on the
 *   file or a directory above it, and noscache becomes trusted.noswapcache.
 *
 * Module parameters are global, as DragonFly's sysctls are: the thread that
 * obeys them is shared by every target.  Each target keeps its own counters
 * and devices.  Parameter rules (names, units, defaults, ranges) live in the
 * pure file tunables.c so that user-space tests check the very same code.
 *
 * The cache device has a small format of its own (persist.c): a header in
 * its first slab, the data slabs, and a checkpoint region at its end, room
 * for the worst shape of every slab, so that a checkpoint always fits.
 * Without the persistent option nothing on it is trusted across a table
 * construction, as in DragonFly.  With it, a clean postsuspend writes the
 * map's entries (sc_map_export(), a chunk of the arena per hold of the
 * lock) and then the header, clean; every resume first reads the header
 * again and writes it open, so a crash leaves it open (and refuses to go
 * live when the write fails over a header that may say clean); and a
 * table's first resume, before that write, puts a clean, matching
 * checkpoint back through the map's own insertion (claim the slab, fill
 * it, holes allowed), or starts cold and says why: at the resume, not at
 * the load, so that a reloaded table reads the checkpoint its
 * predecessor's suspend has just written; a table destroyed while the
 * device is live (replaced by one that does not use its SSD) writes the
 * header open if it still says clean.  No
 * metadata device: the checkpoint is written only when nothing moves, so
 * it needs no journal, and a load after anything but a clean suspend is
 * simply cold.
 */
#ifndef SWAPCACHE_H
#define SWAPCACHE_H

#include <linux/atomic.h>
#include <linux/bio.h>
#include <linux/device-mapper.h>
#include <linux/hash.h>
#include <linux/mutex.h>
#include <linux/percpu.h>
#include <linux/spinlock.h>
#include <linux/workqueue.h>

#include "admit.h"
#include "focus.h"
#include "map.h"
#include "memo.h"
#include "tunables.h"

#define DM_MSG_PREFIX "swapcache"

#define SC_BLOCK_SHIFT		12	/* origin blocks and slots: 4 KiB */
#define SC_BLOCK_SIZE		BIT(SC_BLOCK_SHIFT)
#define SC_SECTORS_PER_BLOCK	(1U << (SC_BLOCK_SHIFT - SECTOR_SHIFT))
#define SC_SLAB_SECTORS		(SC_SLAB_SIZE * SC_SECTORS_PER_BLOCK)
#define SC_SECTOR_SHIFT_BLOCK	(SC_BLOCK_SHIFT - SECTOR_SHIFT)

/* Where typed block numbers meet sectors (see map.h). */

/* The origin block a sector of the origin is in. */
static inline sc_oblock_t sc_block(sector_t sector)
{
	return to_oblock(sector >> SC_SECTOR_SHIFT_BLOCK);
}

/* The first sector of an origin block. */
static inline sector_t sc_oblock_sector(sc_oblock_t oblock)
{
	return (sector_t)from_oblock(oblock) << SC_SECTOR_SHIFT_BLOCK;
}

/* Sums of the verify option per page of them (verify.c). */
#define SC_SUMS_PER_PAGE	(PAGE_SIZE / sizeof(u32))

/* Smallest cache device accepted: 16 slabs. */
#define SC_CACHE_MIN_SECTORS	((1U << 20) >> SECTOR_SHIFT)

/*
 * A target's counters, all in 4 KiB pages, in status-line order; the last
 * ones are the thread's (memo.h's quiet pass), not shown.
 */
enum sc_stat {
	SC_STAT_READ_HITS,
	SC_STAT_READ_MISSES,
	SC_STAT_WRITTEN,
	SC_STAT_EVICTED,
	SC_STAT_INVALIDATED,
	SC_STAT_SSD_ERRORS,
	/* Not in the status line: */
	SC_STAT_ORIGIN_WRITES,	/* blocks written, discarded or zeroed */
	SC_STAT_DOOR_MISSES,	/* read misses told the doorkeeper */
	SC_NR_STATS
};

/**
 * struct sc_stats - one CPU's share of a target's counters
 * @count: indexed by enum sc_stat
 *
 * Per-CPU so that the map path never bounces a shared cache line; the
 * status line sums them.
 */
struct sc_stats {
	u64 count[SC_NR_STATS];
};

/*
 * Write guards: hashed counters of writes started and completed per 64 KiB
 * region of the origin (see guard.c).
 */
#define SC_GUARD_BITS		12
#define SC_NR_GUARDS		BIT(SC_GUARD_BITS)
#define SC_REGION_SHIFT		4	/* blocks per guarded region: 16 */

struct sc_guard {
	atomic_t started;
	atomic_t completed;
};

/* The 64 KiB region of the origin an origin block is in. */
static inline u64 sc_oblock_region(sc_oblock_t oblock)
{
	return from_oblock(oblock) >> SC_REGION_SHIFT;
}

/* The guard of a 64 KiB region of the origin. */
static inline u32 sc_guard_index(u64 region)
{
	return hash_64(region, SC_GUARD_BITS);
}

/**
 * struct sc_guard_snap - a cluster's guards as they were when its data was
 * taken (T0)
 * @nr: guards recorded
 * @index: which guards
 * @started: their started counts at T0
 */
struct sc_guard_snap {
	unsigned int nr;
	u32 index[SC_SLAB_SIZE];
	u32 started[SC_SLAB_SIZE];
};

/**
 * struct sc_scan_cursor - where the thread's walk of a target's filesystem
 *	stands between ticks
 * @inode_pos: the position in sb->s_inodes of the inode the walk stopped
 *	at, to resume by counting when that inode cannot be found again
 * @ino: that inode's number, to find it again in the inode hash
 * @gen: its generation, to tell it from a new inode with the same number
 * @index: the page index to resume at in that inode
 * @valid: @ino, @gen and @index name an inode (not at a pass's start)
 * @done: that inode is finished: resume after it
 * @waiting: a pass ended; the next waits for hysteresis pages to age
 * @mark: the aging signal when the pass ended
 * @quiet: whether the pass found anything to do, and what has happened
 *	since it began (memo.h): a quiet pass is followed by no other until
 *	something happens
 * @focus_ok: the last pass noted every group it left unsettled: the next
 *	may be focused
 * @focused_passes: focused passes since the last full one
 * @other_events: the target's events other than read misses when the
 *	pass began
 *
 * No reference is held on the inode between ticks: see sc_walk_sb().
 */
struct sc_scan_cursor {
	u64 inode_pos;
	unsigned long ino;
	u32 gen;
	pgoff_t index;
	bool valid;
	bool done;
	bool waiting;
	unsigned long mark;
	struct sc_quiet quiet;
	bool focus_ok;
	u8 focused_passes;
	u64 other_events;
};

/* Metadata blocks the read path may hold for the thread, per target. */
#define SC_META_POOL_SIZE	256

/*
 * How old a staged metadata block's T0 may be when the thread takes it.
 * A guard's started count is 32 bits: 2^32 writes to its regions between
 * T0 and the check would bring it back to the recorded value and hide
 * them.  A block the thread cannot take soon (the budget ran dry) may wait
 * in the pool indefinitely, so the count alone is not enough; at the
 * fastest a single counter can be bumped (some 10^8 atomic increments a
 * second, far above any device's write rate) 2^32 takes over 40 s.  A
 * block dropped for age was merely not cached.
 */
#define SC_META_MAX_AGE		(5 * HZ)

/**
 * struct sc_meta_block - a metadata block read from the origin, waiting
 *	for the thread to write it to the SSD
 * @oblock: which origin block
 * @guard: its write guard
 * @started: the guard's started count when the read was issued (its T0)
 * @t0: jiffies just before @started was read, for SC_META_MAX_AGE
 * @page: a copy of its data
 */
struct sc_meta_block {
	sc_oblock_t oblock;
	u32 guard;
	u32 started;
	unsigned long t0;
	struct page *page;
};

/* SSD errors after which a target stops using its SSD (mode=degraded). */
#define SC_SSD_ERROR_LIMIT	8

/* Bits in sc_target.flags */
enum {
	SC_DEGRADED,		/* passthrough until the table is reloaded */
	SC_SUSPENDED,		/* not resumed yet, or suspending: no SSD writes */
};

/**
 * struct sc_target - one swapcache table entry
 * @ti: the device-mapper target we back
 * @md: the mapped device whose table holds @ti
 * @md_mapping: the page cache of @md's own block device, to tell
 *	metadata reads by (compared with a bio page's mapping, never followed)
 * @origin: the slow disk
 * @cache: the SSD
 * @cache_entry: on the list of cache devices in use (target.c)
 * @explicit_opt_count: the table gave a count of optional arguments,
 *	echoed back
 * @verify: the verify option: SSD reads are checked against sums
 * @persistent: the persistent option: the map is checkpointed at a clean
 *	suspend and restored at the next table's first resume (persist.c)
 * @persist: persist.c's state: the header's and the checkpoint's buffers
 * @data_start: the first sector of slab 0 on the cache device, after the
 *	header's slab (persist.c's layout)
 * @ckpt_start: the first sector of the checkpoint region, after the data
 * @ckpt_slabs: slabs of the checkpoint region
 * @nr_data_slabs: slabs for data: the map's size
 * @restored: pages the first resume brought back from a checkpoint (the
 *	persistent option), for the status line; 0 when it started cold
 * @sum_pages: with @verify, the sums of the slots, SC_SUMS_PER_PAGE a
 *	page, each page allocated when one of its slabs is first filled
 * @nr_sum_pages: the directory's length
 * @flags: SC_DEGRADED, SC_SUSPENDED
 * @stats: per-CPU counters
 * @lock: the map's lock: read side for lookups, write side for changes;
 *	taken only in maplock.c
 * @map: origin blocks to cache slots
 * @map_mem: the map's fixed part
 * @slab_readers: SSD reads in flight, per group of slabs (see
 *	sc_slab_readers()); a slab is rewritten only when its group has none
 * @slab_readers_mask: the number of counters less one, a power of two less
 *	one
 * @ssd_error_count: SSD errors so far, for the degraded switch
 * @retry_lock: protects @retries
 * @retries: failed SSD reads waiting to be reissued to the origin
 * @retry_work: reissues them
 * @defer_lock: protects @deferred
 * @deferred: writes whose invalidation is too large for the map path
 * @defer_work: drops their cached blocks a step at a time, then issues them
 * @degrade_work: empties the map after the switch to degraded mode
 * @wq: runs @retry_work, @defer_work and @degrade_work
 * @warm_lock: held by a running warm; postsuspend waits on it
 * @insert_lock: held by whoever writes the SSD outside of mapped bios: an
 *	insertion across its cluster's SSD write, the cleaner across a
 *	tick of evictions and their discards; postsuspend waits on it
 * @scan_entry: on the thread's list of targets (scan.c)
 * @scan_users: held by the thread while it works on the target
 * @scan_tick: the last tick of the thread that served the target
 * @water: an enum sc_water_state, for the cleaner and the status line
 * @cursor: the thread's place in the filesystem
 * @memo: the thread's group memo of the filesystem's pages (memo.h), its
 *	table sized and its entries aged by this target's full passes alone;
 *	allocated by sc_scan_register(), resized by the thread while it holds
 *	the target, freed by sc_scan_unregister()
 * @memo_want: the set_bits of the table its last full pass asked for
 * @ghosts: origin groups the cleaner evicted, not to be written again
 *	while they stay in RAM (admit.h); the thread's
 * @door: the blocks read from the origin lately, and whether the SSD
 *	thrashes (admit.h); the read path notes misses, the thread the rest
 * @door_misses: SC_STAT_DOOR_MISSES when the thread last looked, for
 *	sc_door_tick()
 * @focus_lock: protects @focus_in
 * @focus_in: the groups of the pages read misses brought in, noted by the
 *	read path since the thread last took them (focus.h)
 * @focus_work: the thread's: the groups a focused pass looks at
 * @focus_next: the thread's: the groups the pass under way left
 *	unsettled, for the next one
 * @meta_lock: protects @meta_nr and the pool's entries
 * @meta_nr: staged metadata blocks, at the start of @meta
 * @meta: the staging pool (pages allocated with the target)
 * @guards: the write guards
 */
struct sc_target {
	struct dm_target *ti;
	struct mapped_device *md;
	struct address_space *md_mapping;
	struct dm_dev *origin;
	struct dm_dev *cache;
	struct list_head cache_entry;
	bool explicit_opt_count;
	bool verify;
	bool persistent;
	struct sc_persist *persist;
	sector_t data_start;
	sector_t ckpt_start;
	u32 ckpt_slabs;
	u32 nr_data_slabs;
	u32 restored;
	u32 nr_sum_pages;
	u32 **sum_pages;
	unsigned long flags;
	struct sc_stats __percpu *stats;

	rwlock_t lock;
	struct sc_map map;
	void *map_mem;
	atomic_t *slab_readers;
	u32 slab_readers_mask;
	atomic_t ssd_error_count;

	spinlock_t retry_lock;		/* protects retries */
	struct bio_list retries;
	struct work_struct retry_work;
	spinlock_t defer_lock;		/* protects deferred */
	struct bio_list deferred;
	struct work_struct defer_work;
	struct work_struct degrade_work;
	struct workqueue_struct *wq;
	struct mutex warm_lock;		/* one warm at a time */
	struct mutex insert_lock;	/* SSD writes and discards */

	struct list_head scan_entry;
	atomic_t scan_users;
	u64 scan_tick;
	u8 water;
	struct sc_scan_cursor cursor;
	struct sc_memo memo;
	unsigned int memo_want;
	struct sc_ghosts ghosts;
	struct sc_door door;
	u64 door_misses;

	spinlock_t focus_lock;		/* protects focus_in */
	struct sc_focus focus_in;
	struct sc_focus focus_work;
	struct sc_focus focus_next;

	spinlock_t meta_lock;		/* protects meta_nr, meta[] */
	unsigned int meta_nr;
	struct sc_meta_block meta[SC_META_POOL_SIZE];

	struct sc_guard guards[SC_NR_GUARDS];
};

/**
 * struct sc_bio - what the target remembers about each bio it maps
 * @kind: an enum sc_bio_kind
 * @slab: for SC_BIO_SSD_READ, the slab it reads
 * @first_slot: for SC_BIO_SSD_READ, the slot of its first block
 * @bad_sum: for SC_BIO_SSD_READ, set when the data failed its check
 * @blocks: for SC_BIO_SSD_READ, how many blocks (hits) it serves
 * @region_first: for SC_BIO_WRITE, the first guarded region it covers
 * @region_last: for SC_BIO_WRITE, the last one
 * @origin_iter: for SC_BIO_SSD_READ, the bio's extent on the origin, to
 *	reissue it there if the SSD fails; for SC_BIO_META_READ, the extent
 *	whose data is staged at completion
 * @started: for SC_BIO_META_READ, the started counts of the guards of
 *	region_first and region_last when the read was issued
 * @t0: for SC_BIO_META_READ, jiffies just before @started was read
 */
struct sc_bio {
	u8 kind;
	bool bad_sum;
	sc_slab_t slab;
	sc_slot_t first_slot;
	u32 blocks;
	u64 region_first;
	u64 region_last;
	struct bvec_iter origin_iter;
	u32 started[2];
	unsigned long t0;
};

enum sc_bio_kind {
	SC_BIO_PASS,		/* to the origin, nothing to do at completion */
	SC_BIO_SSD_READ,	/* a read hit on the SSD */
	SC_BIO_RETRY,		/* a failed SSD read reissued to the origin */
	SC_BIO_WRITE,		/* a write-like bio inside the write guards */
	SC_BIO_META_READ,	/* a metadata miss, staged for the SSD */
};

/**
 * sc_count() - add to one of a target's counters
 * @sc: the target
 * @stat: which counter
 * @n: how much; a correction may wrap below zero, the sum stays right
 *
 * Any context.
 */
static inline void sc_count(struct sc_target *sc, enum sc_stat stat, u64 n)
{
	this_cpu_add(sc->stats->count[stat], n);
}

/*
 * Current values of the module parameters, indexed by enum sc_tunable.
 * atomic64_t because the thread and the budget update some of them
 * (curburst, write_count) while an administrator may write them.
 */
extern atomic64_t sc_tunable_values[SC_NR_TUNABLES];

/**
 * sc_get() - read a module parameter
 * @id: which one
 *
 * May be called from any context, including the map path.
 *
 * Return: its current value.
 */
static inline s64 sc_get(enum sc_tunable id)
{
	return atomic64_read(&sc_tunable_values[id]);
}

/*
 * Each file's functions that others call; their kernel-doc, beside their
 * code, says in which context they may run and which locks they take.
 */

/* target.c: the device-mapper target */
extern struct target_type sc_target_type;

/* guard.c: the write guards */
void sc_guards_enter(struct sc_target *sc, u64 first, u64 last);
void sc_guards_exit(struct sc_target *sc, u64 first, u64 last);
bool sc_guard_quiet(struct sc_target *sc, u32 guard, u32 *started);
bool sc_guard_moved(struct sc_target *sc, u32 guard, u32 started);
bool sc_guard_snapshot(struct sc_target *sc, const sc_oblock_t *oblocks,
		       unsigned int count, struct sc_guard_snap *snap);
bool sc_guards_raced(struct sc_target *sc, const struct sc_guard_snap *snap);

/*
 * Counters of SSD reads in flight, shared by slabs slab_readers_mask + 1
 * apart: one per 64 slabs (at least 4096) instead of one per slab, at the
 * price of a slab sometimes waiting for another's reads.
 */
#define SC_SLAB_READER_COUNTERS	4096

/* The first sector of a slot on the cache device. */
static inline sector_t sc_slot_sector(const struct sc_target *sc,
				      sc_slot_t slot)
{
	return sc->data_start +
	       ((sector_t)from_slot(slot) << SC_SECTOR_SHIFT_BLOCK);
}

/* The first sector of a slab on the cache device. */
static inline sector_t sc_slab_sector(const struct sc_target *sc,
				      sc_slab_t slab)
{
	return sc->data_start + (sector_t)from_slab(slab) * SC_SLAB_SECTORS;
}

static inline atomic_t *sc_slab_readers(struct sc_target *sc, sc_slab_t slab)
{
	return &sc->slab_readers[from_slab(slab) & sc->slab_readers_mask];
}

/*
 * An SSD read of @slab is over: its slots may be refilled.  What the read's
 * completion loaded (the verify option's sums) must come before, as the
 * refill overwrites them; sc_slab_busy() reads the count with acquire.
 */
static inline void sc_slab_read_done(struct sc_target *sc, sc_slab_t slab)
{
	/* the read's loads before the count that lets a refill store */
	smp_mb__before_atomic();
	atomic_dec(sc_slab_readers(sc, slab));
}

/* maplock.c: the map under its lock */
bool sc_map_refill(struct sc_target *sc);
void sc_map_free_garbage(struct sc_target *sc);
int sc_cache_create(struct sc_target *sc, char **error);
void sc_cache_destroy(struct sc_target *sc);
sc_oblock_t sc_lookup_run(struct sc_target *sc, sc_oblock_t first,
			  sc_oblock_t last, sc_slot_t *slot0);
bool sc_lookup_any(struct sc_target *sc, sc_oblock_t first, u64 count);
bool sc_holds(struct sc_target *sc, sc_oblock_t oblock);
u32 sc_holds_mask(struct sc_target *sc, const sc_oblock_t *oblocks,
		  unsigned int count);
u32 sc_used_slabs(struct sc_target *sc);
bool sc_remove_blocks(struct sc_target *sc, sc_oblock_t first, u64 count,
		      bool may_sleep, u64 *dropped);
sc_slab_t sc_alloc_slab(struct sc_target *sc);
void sc_abort_slab(struct sc_target *sc, sc_slab_t slab);
int sc_fill_slab(struct sc_target *sc, sc_slab_t slab,
		 const sc_oblock_t *oblocks, unsigned int count,
		 const struct sc_guard_snap *snap);
sc_slab_t sc_clock_evict(struct sc_target *sc, u32 *dropped, bool *hit,
			 u64 *groups, u32 *nr_groups);
int sc_restore_slab(struct sc_target *sc, sc_slab_t slab,
		    const sc_oblock_t *oblocks, unsigned int count);
void sc_map_reset(struct sc_target *sc);
u32 sc_export_step(struct sc_target *sc, u32 *pos, struct sc_map_extent *out,
		   u32 max);
bool sc_export_done(struct sc_target *sc, u32 pos);

/* path.c: the I/O path's work, SSD failures */
void sc_path_init(struct sc_target *sc);
void sc_read_route(struct sc_target *sc, struct bio *bio, struct sc_bio *pb,
		   sc_oblock_t first, sc_oblock_t last);
void sc_read_missed(struct sc_target *sc, struct bio *bio, sc_oblock_t first,
		    u64 count);
void sc_focus_lost(struct sc_target *sc);
int sc_write_invalidate(struct sc_target *sc, struct bio *bio,
			sc_oblock_t first, u64 count);
u64 sc_invalidate_all(struct sc_target *sc);
void sc_retry_later(struct sc_target *sc, struct bio *bio);
void sc_ssd_error(struct sc_target *sc, const char *what);

/* fill.c: insertion, warm, metadata staging */
int sc_fill_create(struct sc_target *sc, char **error);
void sc_fill_destroy(struct sc_target *sc);
int sc_insert(struct sc_target *sc, const sc_oblock_t *oblocks,
	      struct page **pages, unsigned int count,
	      const struct sc_guard_snap *snap);
int sc_warm(struct sc_target *sc, sector_t start, sector_t count);
void sc_meta_read_start(struct sc_target *sc, struct bio *bio,
			struct sc_bio *pb);
void sc_meta_read_done(struct sc_target *sc, struct bio *bio,
		       struct sc_bio *pb);
unsigned int sc_meta_take(struct sc_target *sc, sc_oblock_t *oblocks,
			  struct page **pages, struct sc_guard_snap *snap);

/* fill.c */
int sc_io_pages(struct block_device *bdev, blk_opf_t opf, sector_t sector,
		struct page **pages, unsigned int count);

/* verify.c: the verify option's sums */
int sc_verify_create(struct sc_target *sc, char **error);
void sc_verify_destroy(struct sc_target *sc);
int sc_verify_prepare(struct sc_target *sc, sc_slab_t slab,
		      struct page **pages, unsigned int count);
bool sc_verify_routable(struct sc_target *sc, struct bio *bio);
bool sc_verify_read(struct sc_target *sc, struct bio *bio,
		    const struct sc_bio *pb);
bool sc_verify_recheck(struct sc_target *sc, const struct sc_bio *pb);

/* persist.c: the cache device's format, the persistent option */
struct sc_persist;
u32 sc_persist_layout(u64 cache_sectors, u32 *ckpt_slabs);
int sc_persist_create(struct sc_target *sc, char **error);
void sc_persist_destroy(struct sc_target *sc);
int sc_persist_open(struct sc_target *sc);
void sc_persist_checkpoint(struct sc_target *sc);
int sc_persist_dirty(struct sc_target *sc);
void sc_persist_release(struct sc_target *sc);
void sc_persist_skip_restore(struct sc_target *sc);

/* clean.c: the watermarks and the cleaner */
void sc_clean_update(struct sc_target *sc);
void sc_clean(struct sc_target *sc);

/* scan.c: the thread */
int sc_scan_start(void);
void sc_scan_stop(void);
int sc_scan_register(struct sc_target *sc);
void sc_scan_unregister(struct sc_target *sc);
void sc_scan_kick(void);
bool sc_scan_is_thread(void);
void sc_scan_param_written(void);
bool sc_scan_bursting(void);

/* optin.c */
enum sc_optin {
	SC_OPTIN_OUT,
	SC_OPTIN_IN,
	SC_OPTIN_UNLESS_VETOED,	/* the file's own veto is not read yet */
};

void sc_optin_forget(void);
enum sc_optin sc_optin_judge(struct inode *inode);
bool sc_optin_vetoed(struct inode *inode);
bool sc_opted_in(struct inode *inode);

#endif /* SWAPCACHE_H */
