/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The map: which cache slot holds which origin block, and the slabs the
 * slots are grouped in.  Pure logic, shared with tests/unit/; the kernel
 * side (maplock.c) wraps it in a lock.
 *
 * Layout, all in one allocation sized by sc_map_bytes():
 *
 *   slot_oblock[slot]	the origin block a slot holds, or SC_OBLOCK_NONE
 *   slot_next[slot]	the next slot in the same hash chain, or SC_NIL
 *   buckets[hash]	the first slot of each chain, or SC_NIL
 *   slabs[slab]	per 16 slots: state, how many hold a block, free
 *			list link, the CLOCK's referenced bit
 *   active[slab / 64]	a bit per slab, set while it is active
 *
 * 8 + 4 bytes per slot, 4 bytes per bucket (one bucket per four slots)
 * and 8 bytes and a bit per slab: 13.5 bytes per slot when the number of
 * slots is a power of two; the buckets are rounded up to one.
 *
 * Concurrency: sc_map_lookup() and the other const functions only read and
 * may run concurrently with each other and with sc_map_touch_slab(), the
 * one store made on the read side; every other call needs exclusive
 * access.  No function sleeps or allocates.
 *
 * No call does work proportional to the map's size while it has the map
 * to itself, except sc_map_init(): removing a range (sc_map_walk_init() and
 * sc_map_walk_step(), of which dropping everything is the case of the
 * whole range) and the CLOCK's search (sc_map_clock_step()) are cut into
 * steps of about SC_MAP_STEP units, between which the caller may let
 * others at the map.  A walk of a large range visits only the active
 * slabs, found through a bitmap of them, so that discarding a whole
 * disk costs what the cache holds, not the SSD's size.
 *
 * Eviction is a CLOCK over the slabs (sc_map_clock_step()): a hit sets
 * its slab's referenced bit, and the hand, sweeping the slabs in order,
 * clears that bit once before the slab can be picked.  Slabs with recent
 * hits thus survive a sweep that evicts cold ones, at the price of one
 * byte per slab and no list to reorder on the read side.
 */
#ifndef SWAPCACHE_MAP_H
#define SWAPCACHE_MAP_H

#include <linux/bits.h>
#include <linux/compiler.h>
#include <linux/limits.h>
#include <linux/types.h>

/*
 * Typed block numbers (dm-cache's trick): sparse refuses to mix an origin
 * block, a cache slot and a slab with each other or with a plain integer.
 * Numbers are typed where they enter (a bio's sector, a bmap() result)
 * and untyped where they leave (an SSD or origin sector, an index into a
 * per-slab array) or where a range of them is walked as integers.  In
 * user space the annotations are empty and the types plain integers.
 */
typedef u64 __bitwise sc_oblock_t;
typedef u32 __bitwise sc_slot_t;
typedef u32 __bitwise sc_slab_t;

static inline sc_oblock_t to_oblock(u64 b)
{
	return (__force sc_oblock_t)b;
}

static inline u64 from_oblock(sc_oblock_t b)
{
	return (__force u64)b;
}

static inline sc_slot_t to_slot(u32 s)
{
	return (__force sc_slot_t)s;
}

static inline u32 from_slot(sc_slot_t s)
{
	return (__force u32)s;
}

static inline sc_slab_t to_slab(u32 s)
{
	return (__force sc_slab_t)s;
}

static inline u32 from_slab(sc_slab_t s)
{
	return (__force u32)s;
}

#define SC_SLAB_SHIFT	4
#define SC_SLAB_SIZE	BIT(SC_SLAB_SHIFT)	/* slots per slab */
#define SC_NIL		U32_MAX
#define SC_OBLOCK_NONE	U64_MAX
#define SC_NO_SLOT	to_slot(SC_NIL)
#define SC_NO_SLAB	to_slab(SC_NIL)

/*
 * Slabs per map: 16 TiB of SSD, the most for which every slot index, and
 * the slot count itself, stays below SC_NIL in a u32.
 */
#define SC_MAP_MAX_SLABS (BIT(28) - 1)

/*
 * Work per step of a stepped call, in units of about one lookup (a few
 * cache misses): some 50-200 us natively, the longest the kernel holds
 * the map's write lock for a removal or a CLOCK search.
 */
#define SC_MAP_STEP	1024U

/**
 * enum sc_slab_state - where a slab is in its life
 * @SC_SLAB_FREE: on the free list
 * @SC_SLAB_FILLING: handed out by sc_map_alloc_slab(), its cluster being
 *	written; not in the map
 * @SC_SLAB_ACTIVE: at least one slot in the map
 * @SC_SLAB_DISCARDING: emptied by sc_map_retire_slab(), its range being
 *	discarded on the cache device; not in the map, and not handed out
 *	until then, so that no new cluster in it can be wiped
 *
 * FREE -> FILLING by sc_map_alloc_slab().  FILLING -> ACTIVE by
 * sc_map_fill_slab(), or -> FREE by sc_map_abort_slab() (or a fill of no
 * blocks).  ACTIVE -> FREE when its last block goes (sc_map_remove(), a
 * walk, sc_map_fill_slab() moving a block, sc_map_evict_slab()), or
 * -> DISCARDING by sc_map_retire_slab().  DISCARDING -> FREE by
 * sc_map_abort_slab().  No other call changes a slab's state.
 */
enum sc_slab_state {
	SC_SLAB_FREE,
	SC_SLAB_FILLING,
	SC_SLAB_ACTIVE,
	SC_SLAB_DISCARDING,
};

/**
 * struct sc_slab - one 64 KiB unit of the cache device
 * @next_free: the next slab on the free list, or SC_NIL
 * @nr_valid: slots of this slab that are in the map
 * @state: an enum sc_slab_state
 * @referenced: hit since the CLOCK's hand last passed; meaningful only
 *	while active
 *
 * 8 bytes: @referenced lives in what was padding (tests/unit/ asserts the
 * size).  It is a byte of its own, not a bit beside @state, so that the
 * read side can store it without a read-modify-write of fields that only
 * the write side may change.
 */
struct sc_slab {
	u32 next_free;
	u8 nr_valid;
	u8 state;
	u8 referenced;
};

/**
 * struct sc_map - origin blocks to cache slots
 * @nr_slabs: slabs on the cache device
 * @nr_slots: nr_slabs * SC_SLAB_SIZE
 * @hash_bits: log2 of the number of buckets
 * @nr_cached: slots in the map
 * @nr_free: slabs on the free list
 * @free_head: oldest free slab, handed out first, or SC_NIL
 * @free_tail: newest free slab, or SC_NIL
 * @clock_hand: the next slab sc_map_clock_step() looks at
 * @slot_oblock: per slot, the origin block it holds
 * @slot_next: per slot, the hash chain link
 * @buckets: per bucket, the first slot of the chain
 * @slabs: per slab
 * @active: a bit per slab, set while the slab is SC_SLAB_ACTIVE
 */
struct sc_map {
	u32 nr_slabs;
	u32 nr_slots;
	u32 hash_bits;
	u32 nr_cached;
	u32 nr_free;
	u32 free_head;
	u32 free_tail;
	u32 clock_hand;
	u64 *slot_oblock;
	u32 *slot_next;
	u32 *buckets;
	struct sc_slab *slabs;
	u64 *active;
};

/**
 * struct sc_map_walk - a removal of a range done in bounded steps
 * @first: the range's first origin block
 * @count: its length, clamped so that it ends below SC_OBLOCK_NONE
 * @pos: the next origin block to look up, or the next slab to visit
 * @dropped: blocks dropped so far
 * @by_slab: visiting the active slabs rather than looking the range up
 */
struct sc_map_walk {
	u64 first;
	u64 count;
	u64 pos;
	u64 dropped;
	bool by_slab;
};

static inline sc_slab_t sc_slot_slab(sc_slot_t slot)
{
	return to_slab(from_slot(slot) >> SC_SLAB_SHIFT);
}

static inline sc_slot_t sc_slab_slot(sc_slab_t slab, u32 index)
{
	return to_slot((from_slab(slab) << SC_SLAB_SHIFT) + index);
}

size_t sc_map_bytes(u32 nr_slabs);
void sc_map_init(struct sc_map *map, u32 nr_slabs, void *mem);
sc_slot_t sc_map_lookup(const struct sc_map *map, sc_oblock_t oblock);
sc_slab_t sc_map_alloc_slab(struct sc_map *map,
			    bool (*busy)(void *context, sc_slab_t slab),
			    void *context);
u32 sc_map_fill_slab(struct sc_map *map, sc_slab_t slab,
		     const sc_oblock_t *oblocks, u32 count);
void sc_map_abort_slab(struct sc_map *map, sc_slab_t slab);
bool sc_map_remove(struct sc_map *map, sc_oblock_t oblock);
void sc_map_walk_init(const struct sc_map *map, struct sc_map_walk *walk,
		      sc_oblock_t first, u64 count);
bool sc_map_walk_step(struct sc_map *map, struct sc_map_walk *walk,
		      u32 budget);
u32 sc_map_evict_slab(struct sc_map *map, sc_slab_t slab);
u32 sc_map_retire_slab(struct sc_map *map, sc_slab_t slab);
sc_slab_t sc_map_clock_step(struct sc_map *map,
			    bool (*busy)(void *context, sc_slab_t slab),
			    void *context, u32 *steps);

/**
 * sc_map_touch_slab() - note a hit on @slab for the CLOCK
 * @map: the map
 * @slab: the slab of a slot that sc_map_lookup() just found
 *
 * Runs on every cache hit, under the read side of the target's lock, on
 * many CPUs at once.  Storing only when the bit is clear keeps a hot
 * slab's cache line shared instead of bouncing it between CPUs; racing
 * stores all write the same 1, and the write side, which clears the bit,
 * excludes every caller.  The _ONCE accessors say so to the compiler and
 * to KCSAN.
 */
static inline void sc_map_touch_slab(struct sc_map *map, sc_slab_t slab)
{
	struct sc_slab *s = &map->slabs[from_slab(slab)];

	if (!READ_ONCE(s->referenced))
		WRITE_ONCE(s->referenced, 1);
}

#endif /* SWAPCACHE_MAP_H */
