// SPDX-License-Identifier: GPL-2.0
/*
 * The map under its lock.  map.c is pure and takes no lock; every call the
 * kernel makes into it goes through this file, the only one that takes
 * sc->lock, as smq's public methods wrap its __ ones.  The lock is a
 * rwlock_t: the read side for lookups, from the map function on many CPUs
 * at once, the write side for changes.  No hold spans a sleep or does work
 * in proportion to the SSD's size: a removal or a walk does at most one
 * step of map work (SC_MAP_STEP); a lookup covers one bio, which dm core
 * does not split for us, so a large read holds the read side for a
 * lookup per 4 KiB block of it; handing out a slab for writing passes
 * over the slabs that have SSD reads in flight.
 * It is never taken in interrupt context (end_io does not touch the
 * map), so its holders leave interrupts on.  Outside this file only the
 * map's sizes, fixed at construction, and READ_ONCE(map.nr_cached), a
 * hint that may be stale, are read without it.
 *
 * Slots are recycled only when no read of them is in flight: readers count
 * themselves under the read lock (sc_lookup_run()), and a slab with
 * readers is passed over when a slab is handed out for writing or chosen
 * for eviction (sc_slab_busy()).  The counters are shared between slabs
 * (sc_slab_readers()), a fixed number whatever the SSD's size, so a slab
 * may look busy for another's reads: it is passed over once more, never
 * rewritten under a read.
 *
 * The map never allocates (map.h): the memory its arena and hash table
 * grow into is allocated here, in process context and outside the lock,
 * before an insertion (sc_map_refill()), and what the map lets go is
 * freed here too (sc_map_free_garbage()): by the thread at the top of
 * each tick, holding nothing, by the workers and messages that drop whole
 * ranges, and by the destructor; never by the map function, which only
 * leaves it on the map's list.
 */
#include <linux/sched.h>
#include <linux/spinlock.h>
#include <linux/vmalloc.h>

#include "swapcache.h"

/* The map's callback: called under the lock, on a slab it may reuse. */
static bool sc_slab_busy(void *context, sc_slab_t slab)
{
	struct sc_target *sc = context;

	return atomic_read_acquire(sc_slab_readers(sc, slab)) != 0;
}

/**
 * sc_map_refill() - top up the map's reserve of memory
 * @sc: the target
 *
 * Allocates what sc_map_wants() asks for, outside the lock, without
 * waiting for I/O (the caller may hold pages the I/O path needs), and
 * hands it over.  Process context, insert_lock held (fills, the only
 * users of the reserve, hold it too, so the answer stays true until the
 * caller's fill).
 *
 * Return: whether the map now has room for any cluster: false when an
 * allocation failed and the map had no room without it; the cluster is
 * then not to be written, and its blocks stay uncached.
 */
bool sc_map_refill(struct sc_target *sc)
{
	bool room;

	void *chunk = NULL, *segment = NULL;
	bool want_chunk, want_segment;

	read_lock(&sc->lock);
	sc_map_wants(&sc->map, &want_chunk, &want_segment);
	read_unlock(&sc->lock);
	if (want_chunk)
		chunk = __vmalloc(SC_CHUNK_BYTES, GFP_NOIO | __GFP_NOWARN);
	if (want_segment)
		segment = __vmalloc(SC_SEGMENT_BYTES, GFP_NOIO | __GFP_NOWARN);
	write_lock(&sc->lock);
	sc_map_provide(&sc->map, &chunk, &segment);
	room = sc_map_has_room(&sc->map);
	write_unlock(&sc->lock);
	vfree(chunk);
	vfree(segment);
	return room;
}

/**
 * sc_map_free_garbage() - free what the map has let go
 * @sc: the target
 *
 * Process context (vfree() may sleep), holding nothing that others wait
 * on for long: after a large removal the list can be long.  The list's
 * head is read first without the lock, a hint that saves the thread's
 * every tick a hold of the write side: what it misses waits for the next
 * call.
 */
void sc_map_free_garbage(struct sc_target *sc)
{
	void *garbage, *next;

	if (!READ_ONCE(sc->map.garbage))
		return;
	write_lock(&sc->lock);
	garbage = sc_map_take_garbage(&sc->map);
	write_unlock(&sc->lock);
	for (; garbage; garbage = next) {
		next = sc_map_garbage_next(garbage);
		vfree(garbage);
		cond_resched();
	}
}

/**
 * sc_lookup_run() - look up the longest run of a read that one bio can serve
 * @sc: the target
 * @first: the read's first origin block
 * @last: its last origin block
 * @slot0: set to @first's slot, or SC_NO_SLOT when it is not cached
 *
 * The run is wholly cached in consecutive slots of one slab, or wholly
 * uncached.  When it is cached, its slab is counted as read (slab_readers,
 * which the caller's completion drops) before the lock is let go, so that
 * it is not rewritten under the read, and noted as hit for the CLOCK.
 * Takes the read side.  Must not sleep; called from the map function.
 *
 * Return: the first origin block after the run (@last + 1 when the run is
 * the whole read).
 */
sc_oblock_t sc_lookup_run(struct sc_target *sc, sc_oblock_t first,
			  sc_oblock_t last, sc_slot_t *slot0)
{
	u64 b, b0 = from_oblock(first);
	sc_slot_t slot;

	read_lock(&sc->lock);
	*slot0 = sc_map_lookup(&sc->map, first);
	for (b = b0 + 1; b <= from_oblock(last); b++) {
		slot = sc_map_lookup(&sc->map, to_oblock(b));
		if (from_slot(*slot0) == SC_NIL) {
			if (from_slot(slot) != SC_NIL)
				break;
		} else if (from_slot(slot) != from_slot(*slot0) + (b - b0) ||
			   sc_slot_slab(slot) != sc_slot_slab(*slot0)) {
			break;
		}
	}
	if (from_slot(*slot0) != SC_NIL) {
		sc_slab_t slab = sc_slot_slab(*slot0);

		atomic_inc(sc_slab_readers(sc, slab));
		sc_map_touch_slab(&sc->map, slab);
	}
	read_unlock(&sc->lock);
	return to_oblock(b);
}

/**
 * sc_lookup_any() - whether any block of a short range is cached
 * @sc: the target
 * @first: the range's first origin block
 * @count: its length, short (the lock is held for all of it)
 *
 * Takes the read side.  Must not sleep; called from the map function.
 *
 * Return: true when at least one block of the range has a slot.
 */
bool sc_lookup_any(struct sc_target *sc, sc_oblock_t first, u64 count)
{
	u64 b, b0 = from_oblock(first);
	bool cached = false;

	read_lock(&sc->lock);
	for (b = b0; b < b0 + count && !cached; b++)
		cached = from_slot(sc_map_lookup(&sc->map,
						 to_oblock(b))) != SC_NIL;
	read_unlock(&sc->lock);
	return cached;
}

/**
 * sc_holds() - whether an origin block is cached
 * @sc: the target
 * @oblock: the block
 *
 * Takes the read side.  Any context but interrupt.
 *
 * Return: true when @oblock has a copy on the SSD.
 */
bool sc_holds(struct sc_target *sc, sc_oblock_t oblock)
{
	bool held;

	read_lock(&sc->lock);
	held = from_slot(sc_map_lookup(&sc->map, oblock)) != SC_NIL;
	read_unlock(&sc->lock);
	return held;
}

/**
 * sc_holds_mask() - which of a few origin blocks are cached
 * @sc: the target
 * @oblocks: the blocks, SC_OBLOCK_NONE for none
 * @count: how many, at most 32 (the lock is held for all of them)
 *
 * One hold of the read side for a whole group, where sc_holds() would take
 * it once per block.  Takes the read side.  Any context but interrupt.
 *
 * Return: bit i set when @oblocks[i] has a copy on the SSD.
 */
u32 sc_holds_mask(struct sc_target *sc, const sc_oblock_t *oblocks,
		  unsigned int count)
{
	unsigned int i;
	u32 held = 0;

	read_lock(&sc->lock);
	for (i = 0; i < count && i < 32; i++)
		if (from_oblock(oblocks[i]) != SC_OBLOCK_NONE &&
		    from_slot(sc_map_lookup(&sc->map, oblocks[i])) != SC_NIL)
			held |= BIT(i);
	read_unlock(&sc->lock);
	return held;
}

/**
 * sc_used_slabs() - slabs not free
 * @sc: the target
 *
 * What the watermarks measure: a slab with any valid slot, or being
 * written, occupies its 64 KiB of the SSD.  Takes the read side.  Any
 * context but interrupt.
 *
 * Return: the count, at most SC_MAP_MAX_SLABS: a u32, as the watermark
 * functions take it, with room for the "one more" of a caller's check.
 */
u32 sc_used_slabs(struct sc_target *sc)
{
	u32 used;

	read_lock(&sc->lock);
	used = sc->map.nr_slabs - sc->map.nr_free;
	read_unlock(&sc->lock);
	return used;
}

/*
 * Drop a range's blocks a step of the map walk at a time, adding how many
 * to *@dropped; see sc_remove_blocks().  Return: false when it stopped
 * before the end.
 */
static bool sc_remove_walk(struct sc_target *sc, sc_oblock_t first,
			   u64 count, bool may_sleep, u64 *dropped)
{
	struct sc_map_walk walk;
	bool done;

	write_lock(&sc->lock);
	sc_map_walk_init(&sc->map, &walk, first, count);
	for (;;) {
		done = sc_map_walk_step(&sc->map, &walk, SC_MAP_STEP);
		write_unlock(&sc->lock);
		if (done || !may_sleep)
			break;
		cond_resched();
		write_lock(&sc->lock);
	}
	*dropped += walk.dropped;
	return done;
}

/**
 * sc_remove_blocks() - drop the cached blocks of a range
 * @sc: the target
 * @first: the range's first origin block
 * @count: its length; SC_OBLOCK_NONE for everything from @first on
 * @may_sleep: go on to the end, yielding the CPU between steps (process
 *	context only); else stop after the first step (any context but
 *	interrupt: the map function)
 * @dropped: when not NULL, the blocks dropped are added to it
 *
 * Counts them as invalidated.  Works a step of the map walk at a time:
 * the write side is let go between steps, so that the read path, which
 * spins on it, never waits for more than one step however large the range
 * or the SSD.
 *
 * Return: false when it stopped before the end.
 */
bool sc_remove_blocks(struct sc_target *sc, sc_oblock_t first, u64 count,
		      bool may_sleep, u64 *dropped)
{
	u64 walked = 0;
	bool done;

	done = sc_remove_walk(sc, first, count, may_sleep, &walked);
	sc_count(sc, SC_STAT_INVALIDATED, walked);
	if (dropped)
		*dropped += walked;
	/* The workers and messages that come here may free what they dropped. */
	if (may_sleep)
		sc_map_free_garbage(sc);
	return done;
}

/**
 * sc_alloc_slab() - hand out a free slab with no read in flight, to fill
 * @sc: the target
 *
 * The slab is neither free nor in the map until sc_fill_slab() or
 * sc_abort_slab().  Takes the write side.  Process context, insert_lock
 * held (the caller writes the slab).
 *
 * Return: the slab, or SC_NO_SLAB when none is free.
 */
sc_slab_t sc_alloc_slab(struct sc_target *sc)
{
	sc_slab_t slab;

	write_lock(&sc->lock);
	slab = sc_map_alloc_slab(&sc->map, sc_slab_busy, sc);
	write_unlock(&sc->lock);
	return slab;
}

/**
 * sc_abort_slab() - put a slab from sc_alloc_slab() or sc_clock_evict()
 *	back among the free slabs
 * @sc: the target
 * @slab: the slab, whose SSD write or discard is over
 *
 * Takes the write side.  Process context, insert_lock held.
 */
void sc_abort_slab(struct sc_target *sc, sc_slab_t slab)
{
	write_lock(&sc->lock);
	sc_map_abort_slab(&sc->map, slab);
	write_unlock(&sc->lock);
}

/**
 * sc_fill_slab() - T1: enter a written cluster into the map unless a
 *	write to its blocks started since its T0
 * @sc: the target
 * @slab: from sc_alloc_slab(), its SSD write done
 * @oblocks: the cluster's origin blocks
 * @count: how many
 * @snap: the cluster's T0
 *
 * Under one hold of the write side, so that the degraded switch's emptying
 * of the map and a racing write's invalidation each come wholly before or
 * after.  Process context, insert_lock held.
 *
 * Return: 0 when the cluster is in the map; -EIO when the target has
 * degraded, -ENOMEM when the map had no room for the cluster's entries
 * (sc_map_refill() could not allocate) and -EAGAIN when a write raced,
 * the slab then free again or evicted.
 */
int sc_fill_slab(struct sc_target *sc, sc_slab_t slab,
		 const sc_oblock_t *oblocks, unsigned int count,
		 const struct sc_guard_snap *snap)
{
	u32 moved, run;
	int r;

	write_lock(&sc->lock);
	if (test_bit(SC_DEGRADED, &sc->flags)) {
		sc_map_abort_slab(&sc->map, slab);
		write_unlock(&sc->lock);
		return -EIO;
	}
	r = sc_map_fill_slab(&sc->map, slab, oblocks, count, &moved, &run);
	if (r) {
		sc_map_abort_slab(&sc->map, slab);
	} else if (sc_guards_raced(sc, snap)) {
		sc_map_evict_run(&sc->map, run);
		r = -EAGAIN;
	}
	write_unlock(&sc->lock);
	return r;
}

/**
 * sc_clock_evict() - take the CLOCK's next victim out of the map
 * @sc: the target
 * @dropped: set to the blocks it held
 * @hit: set to whether the slab was hit since it was filled
 * @groups: set to the origin groups of those blocks, SC_SLAB_SIZE at most
 * @nr_groups: set to how many
 *
 * The search goes a step at a time, letting the write side go and
 * yielding the CPU between steps, and gives up after two turns of the
 * hand over the map's arena.  The
 * slab is not handed out until sc_abort_slab(), so that no cluster
 * written to it meanwhile can be wiped by its discard.  Process context,
 * insert_lock held.
 *
 * Return: the slab, or SC_NO_SLAB when none can be evicted now (all
 * referenced slabs had their second chance and the rest have reads in
 * flight).
 */
sc_slab_t sc_clock_evict(struct sc_target *sc, u32 *dropped, bool *hit,
			 u64 *groups, u32 *nr_groups)
{
	sc_slab_t slab = SC_NO_SLAB;
	u64 steps;
	u32 run;

	*dropped = 0;
	*hit = false;
	*nr_groups = 0;
	read_lock(&sc->lock);
	steps = sc_map_clock_turns(&sc->map);
	read_unlock(&sc->lock);
	for (;;) {
		write_lock(&sc->lock);
		run = sc_map_clock_step(&sc->map, sc_slab_busy, sc, &steps);
		if (run != SC_NIL) {
			slab = sc_map_run_slab(&sc->map, run);
			*hit = sc_map_slab_hit(&sc->map, slab);
			*nr_groups = sc_map_run_groups(&sc->map, run, groups);
			*dropped = sc_map_retire_run(&sc->map, run);
			/* A run always has blocks; 0 would be an active slab. */
			if (WARN_ON_ONCE(!*dropped))
				slab = SC_NO_SLAB;
		}
		write_unlock(&sc->lock);
		if (run != SC_NIL || !steps)
			break;
		cond_resched();
	}
	return slab;
}

/**
 * sc_cache_create() - allocate a new target's map and set up its lock
 * @sc: the target, its cache device laid out (sc_persist_create())
 * @error: where to put the constructor's error message
 *
 * Only the map's fixed part, about 0.7 bytes per slab (map.h): the rest
 * comes as the cache fills.  Sleeps (GFP_KERNEL).  sc_cache_destroy()
 * undoes any part of it.
 *
 * Return: 0 or -ENOMEM.
 */
int sc_cache_create(struct sc_target *sc, char **error)
{
	u64 nr_slabs = sc->nr_data_slabs;

	/* A counter per 64 slabs, at least 4096: few slabs look busy for others. */
	sc->slab_readers_mask =
		roundup_pow_of_two(clamp_t(u64, nr_slabs / 64,
					   SC_SLAB_READER_COUNTERS,
					   SC_MAP_MAX_SLABS / 64)) - 1;
	rwlock_init(&sc->lock);
	/*
	 * vmalloc, not kvmalloc: a large kmalloc rounds up to a power of two
	 * and would cost up to twice what the map needs; and the map's
	 * memory is then all in vmalloc areas, which is how the bench
	 * counts it.
	 */
	sc->map_mem = vmalloc(sc_map_bytes(nr_slabs));
	if (sc->map_mem)
		sc_map_init(&sc->map, nr_slabs, sc->map_mem);
	sc->slab_readers = kvcalloc(sc->slab_readers_mask + 1,
				    sizeof(atomic_t), GFP_KERNEL);
	if (!sc->map_mem || !sc->slab_readers) {
		*error = "Cannot allocate the cache map";
		return -ENOMEM;
	}
	return 0;
}

/**
 * sc_cache_destroy() - free what sc_cache_create() allocated, even partly
 * @sc: the target, with no bio in flight
 *
 * Process context.
 */
void sc_cache_destroy(struct sc_target *sc)
{
	if (sc->map_mem) {
		write_lock(&sc->lock);
		sc_map_release_all(&sc->map);
		write_unlock(&sc->lock);
		sc_map_free_garbage(sc);
	}
	kvfree(sc->slab_readers);
	vfree(sc->map_mem);
}

/**
 * sc_restore_slab() - put a slab of a checkpoint back into the map
 * @sc: the target, at its first resume: still suspended, so nothing but
 *	an invalidate changes the map, and that waits
 *	(sc_persist_skip_restore())
 * @slab: the slab, which must be free
 * @oblocks: the origin block in each slot, SC_OBLOCK_NONE for an empty one
 * @count: slots given, 1..SC_SLAB_SIZE
 *
 * Through the map's own insertion: the reserve is topped up first, outside
 * the lock, then the slab is claimed and filled under the write side.
 * Process context (preresume), insert_lock held.
 *
 * Return: 0; -ENOMEM when the map had no memory; -EINVAL when the slab
 * was not free, the blocks are not a valid cluster, or a block was
 * already in another slab: a checkpoint that cannot be true.
 */
int sc_restore_slab(struct sc_target *sc, sc_slab_t slab,
		    const sc_oblock_t *oblocks, unsigned int count)
{
	u32 moved = 0, run;
	int r;

	if (!sc_map_refill(sc))
		return -ENOMEM;
	write_lock(&sc->lock);
	r = sc_map_claim_slab(&sc->map, slab);
	if (!r) {
		r = sc_map_fill_slab(&sc->map, slab, oblocks, count, &moved,
				     &run);
		if (r)
			sc_map_abort_slab(&sc->map, slab);
		else if (moved)
			r = -EINVAL;
	}
	write_unlock(&sc->lock);
	return r;
}

/**
 * sc_map_reset() - forget everything in the map, to start cold
 * @sc: the target, at its first resume, as for sc_restore_slab()
 *
 * Undoes a restore that found the checkpoint false half way: every block
 * is dropped as a removal drops them, a step at a time under the write
 * side, because the thread frees the map's garbage on every tick, of
 * suspended targets too.  Not counted as invalidated: they were never
 * served.  Process context; frees what the map held.
 */
void sc_map_reset(struct sc_target *sc)
{
	u64 dropped = 0;

	sc_remove_walk(sc, to_oblock(0), SC_OBLOCK_NONE, true, &dropped);
	sc_map_free_garbage(sc);
}

/**
 * sc_export_step() - copy the map's next runs for the checkpoint
 * @sc: the target, suspended, with insert_lock held (nothing changes the
 *	map but an invalidate message, which the checkpoint then reopens)
 * @pos: where the export stands, 0 to start; advanced
 * @out: the extents
 * @max: room in @out, at least SC_SLAB_SIZE
 *
 * One chunk of the arena at most under the read side.  Process context.
 *
 * Return: extents copied; the export is over when sc_export_done().
 */
u32 sc_export_step(struct sc_target *sc, u32 *pos, struct sc_map_extent *out,
		   u32 max)
{
	u32 n;

	read_lock(&sc->lock);
	n = sc_map_export(&sc->map, pos, out, max);
	read_unlock(&sc->lock);
	return n;
}

/**
 * sc_export_done() - whether sc_export_step() has copied the whole map
 * @sc: the target
 * @pos: the export's position
 *
 * Takes the read side.  Process context.
 *
 * Return: true when the export is over.
 */
bool sc_export_done(struct sc_target *sc, u32 pos)
{
	bool done;

	read_lock(&sc->lock);
	done = sc_map_export_done(&sc->map, pos);
	read_unlock(&sc->lock);
	return done;
}
