/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The map: which cache slot holds which origin block, and the slabs the
 * slots are grouped in.  Pure logic, shared with tests/unit/; the kernel
 * side (maplock.c) wraps it in a lock and gives it memory.
 *
 * Memory follows what is cached, not the SSD's size.  What is fixed at
 * construction, for N slabs of 64 KiB:
 *
 *   five bitmaps of N bits	free, active, discarding, referenced, hit
 *   chunk directory		a pointer and a count per 4096 arena entries
 *				the SSD could need (16 per slab at most)
 *   segment directory		a pointer per 4096 hash buckets it could need
 *   segment 0			the first 4096 buckets, 16 KiB
 *
 * about 0.69 bytes per slab (11 MiB per TiB of SSD) plus 16 KiB.  What
 * grows and shrinks with the cache:
 *
 *   the arena			64 KiB chunks of 16-byte units, given to the
 *				map by its caller (sc_map_provide()), given
 *				back when a chunk empties (sc_map_take_garbage())
 *   the hash table		16 KiB segments of 4096 u32 chain heads,
 *				linear hashing: one bucket split or merged per
 *				entry added or dropped, so that chains average
 *				one to two entries without a rehash of the table
 *
 * An entry comes in two kinds.  A group entry (struct sc_entry, one
 * 16-byte unit of the arena) says: of origin group G (16 aligned origin
 * blocks, the thread's cluster), pages [first, first + n) are in
 * consecutive slots of slab S, and which of them are still valid.  A span
 * entry (two units) says: of span P (16 aligned groups, 256 origin
 * blocks, 1 MiB), the blocks at these offsets, a byte each in its second
 * unit, are in consecutive slots of slab S, and which are still valid.
 * A fill makes a span entry of consecutive slots whose blocks lie in one
 * span and make three runs of a group's consecutive pages or more (pages
 * of nearby groups, or one group out of order), and a group entry of
 * each other run: greedy, slot by slot, so that spans that follow one
 * another take the fewest units the two kinds allow, and spans
 * interleaved slot by slot take a group entry per run (16 units at
 * worst, where span entries would take 4).  The hash knows a group entry
 * by its group and a span entry by the complement of its span, so the
 * two never compare equal; a lookup tries the block's group first, so a
 * whole group's hit walks one chain as before, and its span only on a
 * miss, while the map has span entries.
 *
 * Every entry of one key sits in one chain, so the entries a key may have
 * bound a lookup's walk beyond the chains' average.  A group has 16 at
 * most (an entry in the hash holds one of its pages at least).  A span
 * has SC_MAP_SPAN_ENTRIES (16) at most: a fill that would make one more
 * lays those pages out as group entries instead (a unit per run where
 * the span entry took two), so that filling a 1 MiB region a few pages a
 * slab and dropping most of them, over and over, cannot pile up some 250
 * span entries in one chain (a miss walking them all, a removal by
 * lookups far past SC_MAP_STEP's time).  16, as for a group: the 256
 * pages of a span read one per group per slab fill 16 slabs, each a span
 * entry, so that a whole span cached in that scattered shape still costs
 * two units a slab.  A lookup so compares 16 group entries and 16 span
 * entries of its key at most, besides the chains' others.
 *
 * A slab filled with one whole group, what warm and whole-file admission
 * produce, costs one unit: 16 bytes, plus a bucket's share (2-4 bytes),
 * for 16 pages: about 1.2 bytes per cached page.  A slab of single pages
 * of 16 groups of one span (the thread's scattered shape: one file's
 * nearby groups, small files laid out side by side), or of one group out
 * of order, costs a span entry: 32 bytes and a bucket's share, about 2.2
 * bytes per page.  The worst shape is a slab of 16 pages from 16 groups
 * in 16 different spans, each more than 1 MiB from the others: 16 group
 * entries, about 18-20 bytes per page, as before span entries; a slab is
 * at most 16 units whatever its shape (a group entry holds one page or
 * more, a span entry three or more).  The units of one slab sit together
 * in the arena, a run of at most 16 in a block of a power of two (a buddy
 * allocator), so that the slab's entries are found from any one of them,
 * and the CLOCK and the large walks sweep the arena, whose size follows
 * the cache, instead of the slabs.
 *
 * Why the worst shape costs 18 bytes a page and not 8: a page alone in
 * its group and its span shares only its slab with the others, so
 * whatever finds it by its block keeps, for it alone, the block (40
 * bits, or 28 if a bucket's index stood for 12 bits of a mixed key,
 * which needs circular chains so that a removal learns its bucket), its
 * slot in the slab (4 bits), and its link in the chain it is found in
 * (an arena index, 32 bits), besides its share of the buckets (2-4
 * bytes at the chains of one to two entries that keep a hit to a cache
 * miss or two): 10-12 bytes at best.  Reaching 8 with chains would take
 * chains of four on average (two more misses a lookup).  Open addressing
 * drops the link but must keep the slot whole (30 bits for 4 TiB), and
 * has no room left for a way back from the slab, so eviction would have
 * to be lazy: a generation per slab, checked on every hit, and a sweep
 * that removes a slab's records before its generation comes round
 * again, or a reused slab serves stale data.  By arithmetic, not
 * measured: records of 56 bits (a 30-bit slot, a 3-bit generation, a
 * choice bit, and 22 bits of the key, whose other 18 a line's index
 * stands for in a table of 2^18 lines or more), nine to a 64-byte
 * line, two-choice hashing filled to 95%, come to 7.5 bytes a page, for
 * SSDs up to 4 TiB, past a floor of 16 MiB for those 2^18 lines; and
 * the generations, 3 bits a slab, take the fixed cost past a byte a
 * slab unless one of the five bitmaps goes.  That is a third index
 * beside the group and span entries, with its own stepped growth, sweep
 * and checkpoint form, and a never-stale argument that rests on the
 * sweep's bound.  The shape comes of a reader that touches single pages
 * of groups over a megabyte apart between two of the thread's ticks.
 *
 * Concurrency: sc_map_lookup() and the other const functions only read and
 * may run concurrently with each other and with sc_map_touch_slab(), the
 * one store made on the read side; every other call needs exclusive
 * access.  No function sleeps or allocates: memory comes in through
 * sc_map_provide() and leaves through sc_map_take_garbage(), both called
 * with exclusive access, the allocation and the freeing done by the caller
 * outside it.  A fill that finds no room fails whole and changes nothing.
 *
 * No call does work proportional to the map's size while it has the map
 * to itself, except sc_map_init(): removing a range (sc_map_walk_init()
 * and sc_map_walk_step(), of which dropping everything is the case of the
 * whole range) and the CLOCK's search (sc_map_clock_step()) are cut into
 * steps of about SC_MAP_STEP units, between which the caller may let
 * others at the map; handing out a slab looks at SC_MAP_STEP bitmap words
 * at most; a fill or a removal splits or merges at most one bucket per
 * entry.
 *
 * Eviction is a CLOCK over the slabs (sc_map_clock_step()): a hit sets
 * its slab's referenced bit, and the hand, sweeping the slabs' runs in
 * arena order, clears that bit once before the slab can be picked.  A hit
 * also sets the slab's hit bit, which only a new filling clears, so that
 * the cleaner can tell a slab evicted without ever being read
 * (sc_map_slab_hit()).
 */
#ifndef SWAPCACHE_MAP_H
#define SWAPCACHE_MAP_H

#include <linux/bitops.h>
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
#define SC_SLAB_SIZE	BIT(SC_SLAB_SHIFT)	/* slots per slab, pages per group */
#define SC_NIL		U32_MAX
#define SC_OBLOCK_NONE	U64_MAX
#define SC_NO_SLOT	to_slot(SC_NIL)
#define SC_NO_SLAB	to_slab(SC_NIL)

/*
 * Slabs per map: just under 16 TiB of SSD, the most for which every slot
 * index, and the slot count itself, stays below SC_NIL in a u32, and
 * every arena index and the sums a sweep makes of them too (16 units
 * per slab at most, so a chunk of 4096 per 256 slabs, and one chunk
 * short of 2^32 entries in all).
 */
#define SC_MAP_MAX_SLABS (BIT(28) - BIT(8))

/*
 * Origin blocks a map can name: an entry keeps 36 bits of the group, so
 * 2^40 blocks of 4 KiB, a 4 PiB origin.  The constructor refuses more.
 */
#define SC_MAP_GROUP_BITS	36
#define SC_MAP_MAX_OBLOCKS	BIT_ULL(SC_MAP_GROUP_BITS + SC_SLAB_SHIFT)

/*
 * A span: 16 aligned groups, 256 origin blocks (1 MiB), the reach of a
 * span entry, whose offsets are a byte each.  A span's number fits the
 * 32 low bits of an entry's key.
 */
#define SC_SPAN_SHIFT	(2 * SC_SLAB_SHIFT)

/* Span entries of one span in the map, at most: its chain's bound. */
#define SC_MAP_SPAN_ENTRIES	16U

/*
 * Work per step of a stepped call, in units of about one lookup (a few
 * cache misses): some 50-200 us natively, the longest the kernel holds
 * the map's write lock for a removal or a CLOCK search.
 */
#define SC_MAP_STEP	1024U

/* The arena: units per chunk, and the largest block, a slab's run. */
#define SC_CHUNK_SHIFT	12
#define SC_CHUNK_ENTRIES BIT(SC_CHUNK_SHIFT)
#define SC_RUN_ORDERS	(SC_SLAB_SHIFT + 1)	/* blocks of 1, 2, 4, 8, 16 */

/* The hash table: buckets per segment. */
#define SC_SEGMENT_SHIFT 12
#define SC_SEGMENT_BUCKETS BIT(SC_SEGMENT_SHIFT)

/**
 * enum sc_slab_state - where a slab is in its life
 * @SC_SLAB_FREE: may be handed out
 * @SC_SLAB_FILLING: handed out by sc_map_alloc_slab(), its cluster being
 *	written; not in the map
 * @SC_SLAB_ACTIVE: at least one slot in the map
 * @SC_SLAB_DISCARDING: emptied by sc_map_retire_run(), its range being
 *	discarded on the cache device; not in the map, and not handed out
 *	until then, so that no new cluster in it can be wiped
 *
 * FREE -> FILLING by sc_map_alloc_slab().  FILLING -> ACTIVE by
 * sc_map_fill_slab(), or -> FREE by sc_map_abort_slab() (or a fill of no
 * blocks).  ACTIVE -> FREE when its last block goes (sc_map_remove(), a
 * walk, sc_map_fill_slab() moving a block, sc_map_evict_run()), or
 * -> DISCARDING by sc_map_retire_run().  DISCARDING -> FREE by
 * sc_map_abort_slab().  No other call changes a slab's state.
 */
enum sc_slab_state {
	SC_SLAB_FREE,
	SC_SLAB_FILLING,
	SC_SLAB_ACTIVE,
	SC_SLAB_DISCARDING,
};

/**
 * struct sc_entry - a run of one group's pages in consecutive slots, or
 *	the head of a span entry
 * @next: in use, the next entry in the hash chain; free, the next free
 *	block of the same order; SC_NIL ends either
 * @group_lo: in use, the group's low 32 bits (a span entry: the span's
 *	number); free, the previous free block of the same order, or SC_NIL
 * @slab: the slab the pages are in
 * @group_hi: the group's high bits (a span entry: 0)
 * @valid: which pages are cached here, bit i for page i of the group (a
 *	span entry: for its position i); 0 once every one of them has been
 *	dropped (the entry is then out of the hash, and stays in its run
 *	until the run goes)
 * @shift: page (or position) i is in slot i + @shift - 15 of the slab
 * @run_index: this entry's place, in arena units, in its slab's run
 * @run_last: in use, the run's length in units less one; free, the
 *	block's order
 * @free: the first unit of a free block
 * @span: a span entry: the next unit of the arena holds, for each position
 *	i, the offset in the span of the block in slot i + @shift - 15, a
 *	byte each (the origin block is @group_lo * 256 + offset)
 *
 * 16 bytes, an arena unit (tests/unit/ asserts it).  Only the first unit
 * of a free block has @free set and meaningful links; the others of the
 * block, the units of a block past its run, and a span entry's second
 * unit as an entry are never looked at.
 */
struct sc_entry {
	u32 next;
	u32 group_lo;
	u32 slab : 28;
	u32 group_hi : SC_MAP_GROUP_BITS - 32;
	u16 valid;
	u16 shift : 5;
	u16 run_index : 4;
	u16 run_last : 4;
	u16 free : 1;
	u16 span : 1;
};

/**
 * struct sc_map - origin blocks to cache slots
 * @nr_slabs: slabs on the cache device
 * @nr_slots: nr_slabs * SC_SLAB_SIZE
 * @nr_cached: slots in the map
 * @nr_free: slabs free
 * @nr_entries: entries in the hash
 * @nr_spans: span entries among them, so that a lookup that misses its
 *	group looks no further while there are none
 * @free_cursor: where sc_map_alloc_slab() looks first
 * @clock_hand: the arena entry sc_map_clock_step() looks at next
 * @nr_chunk_slots: chunk directory slots, fixed
 * @chunks_high: one past the highest directory slot with a chunk
 * @nr_chunks: chunks in the arena
 * @free_blocks: per order, the first free block
 * @lh_level: the hash table has 2^lh_level + lh_split buckets
 * @lh_split: the next bucket to split
 * @nr_segment_slots: segment directory slots, fixed
 * @nr_segments: segments allocated, the first included
 * @chunks: the arena's chunks, by directory slot, or NULL
 * @chunk_used: per directory slot, entries of the chunk in blocks in use
 * @chunk_present: a bit per directory slot, set while it has a chunk
 * @chunk_full: a bit per word of @chunk_present, set when all its bits are
 * @chunk_any: a bit per word of @chunk_present, set when any of its bits is;
 *	the two summaries find the lowest open slot and the highest used
 *	one in a few hundred word reads at most
 * @segments: the hash table's segments, or NULL
 * @free: a bit per slab, set while it is free
 * @active: a bit per slab, set while it is active
 * @discarding: a bit per slab, set while it is discarding
 * @referenced: a bit per slab, set by a hit, cleared by the CLOCK
 * @hit: a bit per slab, set by a hit, cleared when it is handed out
 * @spare_chunk: memory for the next chunk, from sc_map_provide()
 * @spare_segment: memory for the next segment, from sc_map_provide()
 * @garbage: chunks and segments the map let go, for the caller to free,
 *	linked through their first bytes
 * @garbage_bytes: their size
 */
struct sc_map {
	u32 nr_slabs;
	u32 nr_slots;
	u32 nr_cached;
	u32 nr_free;
	u32 nr_entries;
	u32 nr_spans;
	u32 free_cursor;
	u32 clock_hand;
	u32 nr_chunk_slots;
	u32 chunks_high;
	u32 nr_chunks;
	u32 free_blocks[SC_RUN_ORDERS];
	u32 lh_level;
	u32 lh_split;
	u32 nr_segment_slots;
	u32 nr_segments;
	struct sc_entry **chunks;
	u32 *chunk_used;
	unsigned long *chunk_present;
	unsigned long *chunk_full;
	unsigned long *chunk_any;
	u32 **segments;
	unsigned long *free;
	unsigned long *active;
	unsigned long *discarding;
	unsigned long *referenced;
	unsigned long *hit;
	void *spare_chunk;
	void *spare_segment;
	void *garbage;
	size_t garbage_bytes;
};

/**
 * struct sc_map_walk - a removal of a range done in bounded steps
 * @first: the range's first origin block
 * @count: its length, clamped so that it ends below SC_OBLOCK_NONE
 * @pos: the next origin block to look up, or the next arena entry to visit
 * @dropped: blocks dropped so far
 * @by_arena: visiting the arena rather than looking the range up
 */
struct sc_map_walk {
	u64 first;
	u64 count;
	u64 pos;
	u64 dropped;
	bool by_arena;
};

/**
 * struct sc_map_extent - a group entry as sc_map_export() copies it out,
 *	or the pages of one group at one shift in a span entry
 * @group: the origin group (origin block / SC_SLAB_SIZE)
 * @slab: the slab its pages are in
 * @valid: which pages of the group it holds, bit i for page i
 * @shift: page i is in slot i + @shift - (SC_SLAB_SIZE - 1) of the slab
 *
 * What a checkpoint keeps of the map (persist.c), 16 at most per slab
 * (one page each at least); sc_map_extent_slots() turns a slab's
 * extents back into the slot order sc_map_fill_slab() takes, from which
 * a fill makes entries that find the same blocks in the same slots.
 */
struct sc_map_extent {
	u64 group;
	u32 slab;
	u16 valid;
	u8 shift;
};

/* Bytes of a chunk and of a segment, as sc_map_provide() takes them. */
#define SC_CHUNK_BYTES	(SC_CHUNK_ENTRIES * sizeof(struct sc_entry))
#define SC_SEGMENT_BYTES (SC_SEGMENT_BUCKETS * sizeof(u32))

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
bool sc_map_wants(const struct sc_map *map, bool *chunk, bool *segment);
void sc_map_provide(struct sc_map *map, void **chunk, void **segment);
void *sc_map_take_garbage(struct sc_map *map);
void *sc_map_garbage_next(void *garbage);
size_t sc_map_dynamic_bytes(const struct sc_map *map);
bool sc_map_has_room(const struct sc_map *map);
void sc_map_release_all(struct sc_map *map);
enum sc_slab_state sc_map_slab_state(const struct sc_map *map,
				     sc_slab_t slab);
sc_slot_t sc_map_lookup(const struct sc_map *map, sc_oblock_t oblock);
sc_slab_t sc_map_alloc_slab(struct sc_map *map,
			    bool (*busy)(void *context, sc_slab_t slab),
			    void *context);
int sc_map_fill_slab(struct sc_map *map, sc_slab_t slab,
		     const sc_oblock_t *oblocks, u32 count, u32 *moved,
		     u32 *run);
void sc_map_abort_slab(struct sc_map *map, sc_slab_t slab);
int sc_map_claim_slab(struct sc_map *map, sc_slab_t slab);
bool sc_map_remove(struct sc_map *map, sc_oblock_t oblock);
void sc_map_walk_init(const struct sc_map *map, struct sc_map_walk *walk,
		      sc_oblock_t first, u64 count);
bool sc_map_walk_step(struct sc_map *map, struct sc_map_walk *walk,
		      u32 budget);
sc_slab_t sc_map_run_slab(const struct sc_map *map, u32 run);
u32 sc_map_run_groups(const struct sc_map *map, u32 run, u64 *groups);
u32 sc_map_evict_run(struct sc_map *map, u32 run);
u32 sc_map_retire_run(struct sc_map *map, u32 run);
u64 sc_map_clock_turns(const struct sc_map *map);
bool sc_map_slab_hit(const struct sc_map *map, sc_slab_t slab);
u32 sc_map_clock_step(struct sc_map *map,
		      bool (*busy)(void *context, sc_slab_t slab),
		      void *context, u64 *steps);
u32 sc_map_export(const struct sc_map *map, u32 *pos,
		  struct sc_map_extent *out, u32 max);
bool sc_map_export_done(const struct sc_map *map, u32 pos);
int sc_map_extent_slots(const struct sc_map_extent *x, sc_oblock_t *oblocks,
			u32 *used);

/**
 * sc_map_touch_slab() - note a hit on @slab for the CLOCK
 * @map: the map
 * @slab: the slab of a slot that sc_map_lookup() just found
 *
 * Runs on every cache hit, under the read side of the target's lock, on
 * many CPUs at once.  Setting a bit only when it is clear keeps a hot
 * slab's cache lines shared instead of bouncing them between CPUs; the
 * sets are atomic because neighbouring slabs share a word, and the write
 * side, which clears bits, excludes every caller.  Sets the slab's
 * referenced bit, for the CLOCK, and its hit bit (sc_map_slab_hit()).
 */
static inline void sc_map_touch_slab(struct sc_map *map, sc_slab_t slab)
{
	if (!test_bit(from_slab(slab), map->referenced))
		set_bit(from_slab(slab), map->referenced);
	if (!test_bit(from_slab(slab), map->hit))
		set_bit(from_slab(slab), map->hit);
}

#endif /* SWAPCACHE_MAP_H */
