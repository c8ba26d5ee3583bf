// SPDX-License-Identifier: GPL-2.0
/*
 * The map from origin blocks to cache slots.  See map.h for the layout and
 * the locking contract, and swapcache.h for why it is built this way.
 */
#include <linux/bitops.h>
#include <linux/bug.h>
#include <linux/build_bug.h>
#include <linux/errno.h>
#include <linux/hash.h>
#include <linux/log2.h>
#include <linux/minmax.h>

#include "map.h"

/*
 * Every arena index of the largest map, and a sweep's position one block
 * past the last, stay below SC_NIL (which ends lists and chains).
 */
static_assert(((((u64)SC_MAP_MAX_SLABS << SC_SLAB_SHIFT) + SC_CHUNK_ENTRIES - 1) >>
	       SC_CHUNK_SHIFT << SC_CHUNK_SHIFT) < SC_NIL);

#define SC_RUN_MAX_ORDER	(SC_RUN_ORDERS - 1)
#define SC_REGION		BIT(SC_RUN_MAX_ORDER)	/* entries no block crosses */
#define SC_SHIFT_BIAS		(SC_SLAB_SIZE - 1)	/* keeps sc_entry.shift unsigned */
#define SC_SPAN_BLOCKS		BIT(SC_SPAN_SHIFT)

/* A span entry's offsets, a byte per position, fill its second unit. */
static_assert(sizeof(struct sc_entry) == SC_SLAB_SIZE);
static_assert(SC_SPAN_SHIFT <= 8);
/* A span entry keeps its span's number in group_lo. */
static_assert(SC_MAP_GROUP_BITS + SC_SLAB_SHIFT - SC_SPAN_SHIFT <= 32);

/* Chunk directory slots: room for 16 units per slab, the most a run takes. */
static u32 sc_map_chunk_slots(u32 nr_slabs)
{
	return ((u64)nr_slabs * SC_SLAB_SIZE + SC_CHUNK_ENTRIES - 1) >>
	       SC_CHUNK_SHIFT;
}

/*
 * Segment directory slots: buckets grow to half the entries at most
 * (sc_hash_grow()), so 8 per slab; never fewer than the first segment.
 */
static u32 sc_map_segment_slots(u32 nr_slabs)
{
	u64 buckets = (u64)nr_slabs * SC_SLAB_SIZE / 2;

	return max_t(u64, 1, (buckets + SC_SEGMENT_BUCKETS - 1) >>
			     SC_SEGMENT_SHIFT);
}

static size_t sc_map_bitmap_bytes(u32 nr_slabs)
{
	return BITS_TO_LONGS(nr_slabs) * sizeof(unsigned long);
}

/* Words of the chunk directory's bitmap, and of each of its summaries. */
static u32 sc_chunk_words(u32 chunk_slots)
{
	return BITS_TO_LONGS(chunk_slots);
}

static u32 sc_chunk_summary_words(u32 chunk_slots)
{
	return BITS_TO_LONGS(sc_chunk_words(chunk_slots));
}

/**
 * sc_map_bytes() - memory sc_map_init() needs for a map of @nr_slabs slabs
 * @nr_slabs: 1..SC_MAP_MAX_SLABS
 *
 * The fixed part only (map.h): the arena and the hash table beyond its
 * first segment come later, through sc_map_provide().
 *
 * Return: the size of the block to hand to sc_map_init().
 */
size_t sc_map_bytes(u32 nr_slabs)
{
	u32 chunks = sc_map_chunk_slots(nr_slabs);

	return (size_t)chunks * (sizeof(struct sc_entry *) + sizeof(u32)) +
	       (sc_chunk_words(chunks) + 2 * sc_chunk_summary_words(chunks)) *
	       sizeof(unsigned long) +
	       (size_t)sc_map_segment_slots(nr_slabs) * sizeof(u32 *) +
	       5 * sc_map_bitmap_bytes(nr_slabs) + SC_SEGMENT_BYTES;
}

static bool sc_slab_test(const unsigned long *bitmap, u32 slab)
{
	return test_bit(slab, bitmap);
}

/*
 * Every change of a slab's state goes through here, so that the three
 * bitmaps always name one state and nr_free counts the free ones.
 */
static void sc_slab_set_state(struct sc_map *map, u32 slab,
			      enum sc_slab_state state)
{
	if (sc_slab_test(map->free, slab))
		map->nr_free--;
	__clear_bit(slab, map->free);
	__clear_bit(slab, map->active);
	__clear_bit(slab, map->discarding);
	switch (state) {
	case SC_SLAB_FREE:
		__set_bit(slab, map->free);
		map->nr_free++;
		break;
	case SC_SLAB_ACTIVE:
		__set_bit(slab, map->active);
		break;
	case SC_SLAB_DISCARDING:
		__set_bit(slab, map->discarding);
		break;
	case SC_SLAB_FILLING:
		/* A new life: no hit yet (sc_map_slab_hit()). */
		__clear_bit(slab, map->hit);
		break;
	}
}

/**
 * sc_map_slab_state() - where @slab is in its life
 * @map: the map
 * @slab: a slab of the map
 *
 * Return: its enum sc_slab_state; SC_SLAB_FILLING, with a warning, for a
 * slab out of range.
 */
enum sc_slab_state sc_map_slab_state(const struct sc_map *map, sc_slab_t slab)
{
	u32 s = from_slab(slab);

	/* Out of range: a state in which no call will touch it. */
	if (WARN_ON_ONCE(s >= map->nr_slabs))
		return SC_SLAB_FILLING;
	if (sc_slab_test(map->free, s))
		return SC_SLAB_FREE;
	if (sc_slab_test(map->active, s))
		return SC_SLAB_ACTIVE;
	if (sc_slab_test(map->discarding, s))
		return SC_SLAB_DISCARDING;
	return SC_SLAB_FILLING;
}

/**
 * sc_map_init() - lay out an empty map in @mem
 * @map: the map
 * @nr_slabs: 1..SC_MAP_MAX_SLABS
 * @mem: sc_map_bytes(@nr_slabs) bytes, 8-byte aligned, owned by the caller
 *
 * Every slab starts free, handed out in order.
 */
void sc_map_init(struct sc_map *map, u32 nr_slabs, void *mem)
{
	size_t bitmap = sc_map_bitmap_bytes(nr_slabs);
	u32 i;

	map->nr_slabs = nr_slabs;
	map->nr_slots = nr_slabs << SC_SLAB_SHIFT;
	map->nr_cached = 0;
	map->nr_free = 0;
	map->nr_entries = 0;
	map->nr_spans = 0;
	map->free_cursor = 0;
	map->clock_hand = 0;
	map->nr_chunk_slots = sc_map_chunk_slots(nr_slabs);
	/* Arena indexes and a sweep's sums of them stay below SC_NIL. */
	WARN_ON_ONCE((u64)map->nr_chunk_slots << SC_CHUNK_SHIFT >= SC_NIL);
	map->chunks_high = 0;
	map->nr_chunks = 0;
	for (i = 0; i < SC_RUN_ORDERS; i++)
		map->free_blocks[i] = SC_NIL;
	map->lh_level = SC_SEGMENT_SHIFT;
	map->lh_split = 0;
	map->nr_segment_slots = sc_map_segment_slots(nr_slabs);
	map->nr_segments = 1;
	map->spare_chunk = NULL;
	map->spare_segment = NULL;
	map->garbage = NULL;
	map->garbage_bytes = 0;

	map->chunks = mem;
	map->segments = (u32 **)(map->chunks + map->nr_chunk_slots);
	map->free = (unsigned long *)(map->segments + map->nr_segment_slots);
	map->active = (unsigned long *)((char *)map->free + bitmap);
	map->discarding = (unsigned long *)((char *)map->active + bitmap);
	map->referenced = (unsigned long *)((char *)map->discarding + bitmap);
	map->hit = (unsigned long *)((char *)map->referenced + bitmap);
	map->chunk_present = (unsigned long *)((char *)map->hit + bitmap);
	map->chunk_full = map->chunk_present +
			  sc_chunk_words(map->nr_chunk_slots);
	map->chunk_any = map->chunk_full +
			 sc_chunk_summary_words(map->nr_chunk_slots);
	map->chunk_used = (u32 *)(map->chunk_any +
				  sc_chunk_summary_words(map->nr_chunk_slots));
	map->segments[0] = map->chunk_used + map->nr_chunk_slots;

	for (i = 0; i < map->nr_chunk_slots; i++) {
		map->chunks[i] = NULL;
		map->chunk_used[i] = 0;
	}
	for (i = 0; i < sc_chunk_words(map->nr_chunk_slots); i++)
		map->chunk_present[i] = 0;
	for (i = 0; i < sc_chunk_summary_words(map->nr_chunk_slots); i++) {
		map->chunk_full[i] = 0;
		map->chunk_any[i] = 0;
	}
	for (i = 1; i < map->nr_segment_slots; i++)
		map->segments[i] = NULL;
	for (i = 0; i < SC_SEGMENT_BUCKETS; i++)
		map->segments[0][i] = SC_NIL;
	/* Every slab free: whole words at once, the tail past nr_slabs clear. */
	for (i = 0; i < BITS_TO_LONGS(nr_slabs); i++) {
		map->free[i] = ~0UL;
		map->active[i] = 0;
		map->discarding[i] = 0;
		map->referenced[i] = 0;
		map->hit[i] = 0;
	}
	if (nr_slabs % BITS_PER_LONG)
		map->free[nr_slabs / BITS_PER_LONG] =
			~0UL >> (BITS_PER_LONG - nr_slabs % BITS_PER_LONG);
	map->nr_free = nr_slabs;
}

/* ------------------------------------------------------------------ */
/* Memory in and out                                                   */

/**
 * sc_map_wants() - whether the map would take memory now
 * @map: the map
 * @chunk: set when it has no spare arena chunk
 * @segment: set when it has no spare hash segment and may still grow
 *
 * The caller allocates what is wanted outside its lock and hands it over
 * with sc_map_provide().  The map keeps one of each in reserve, so that a
 * fill always finds room for a run and a bucket split, and so that a
 * cache that empties and fills around a chunk boundary does not free and
 * reallocate 64 KiB each time.
 *
 * Return: *@chunk || *@segment.
 */
bool sc_map_wants(const struct sc_map *map, bool *chunk, bool *segment)
{
	*chunk = !map->spare_chunk;
	*segment = !map->spare_segment &&
		   map->nr_segments < map->nr_segment_slots;
	return *chunk || *segment;
}

/**
 * sc_map_provide() - hand the map memory for its reserve
 * @map: the map
 * @chunk: a pointer to SC_CHUNK_BYTES bytes, or to NULL; set to NULL when
 *	the map took it
 * @segment: the same for SC_SEGMENT_BYTES bytes
 *
 * What the map does not take stays the caller's.
 */
void sc_map_provide(struct sc_map *map, void **chunk, void **segment)
{
	if (!map->spare_chunk && *chunk) {
		map->spare_chunk = *chunk;
		*chunk = NULL;
	}
	if (!map->spare_segment && *segment &&
	    map->nr_segments < map->nr_segment_slots) {
		map->spare_segment = *segment;
		*segment = NULL;
	}
}

/* A chunk or segment the map no longer needs: the reserve, or garbage. */
static void sc_map_to_garbage(struct sc_map *map, void *mem, size_t bytes)
{
	*(void **)mem = map->garbage;
	/* maplock.c peeks at it without the lock (sc_map_free_garbage()). */
	WRITE_ONCE(map->garbage, mem);
	map->garbage_bytes += bytes;
}

static void sc_map_let_go(struct sc_map *map, void *mem, void **spare,
			  size_t bytes)
{
	if (*spare)
		sc_map_to_garbage(map, mem, bytes);
	else
		*spare = mem;
}

/**
 * sc_map_take_garbage() - the chunks and segments the map has let go
 * @map: the map
 *
 * Return: a list of blocks to free, walked with sc_map_garbage_next(),
 * each SC_CHUNK_BYTES or SC_SEGMENT_BYTES as it came in, or NULL.  The
 * map forgets them.
 */
void *sc_map_take_garbage(struct sc_map *map)
{
	void *garbage = map->garbage;

	WRITE_ONCE(map->garbage, NULL);
	map->garbage_bytes = 0;
	return garbage;
}

/**
 * sc_map_garbage_next() - the block after @garbage on a garbage list
 * @garbage: a block from sc_map_take_garbage()'s list, not yet freed
 *
 * Return: the next block, or NULL.
 */
void *sc_map_garbage_next(void *garbage)
{
	return *(void **)garbage;
}

/**
 * sc_map_dynamic_bytes() - memory the map holds beyond sc_map_bytes()
 * @map: the map
 *
 * The arena's chunks, the hash segments after the first, the reserve and
 * the garbage not yet taken.
 *
 * Return: bytes.
 */
size_t sc_map_dynamic_bytes(const struct sc_map *map)
{
	size_t bytes = (size_t)map->nr_chunks * SC_CHUNK_BYTES +
		       (size_t)(map->nr_segments - 1) * SC_SEGMENT_BYTES +
		       map->garbage_bytes;

	if (map->spare_chunk)
		bytes += SC_CHUNK_BYTES;
	if (map->spare_segment)
		bytes += SC_SEGMENT_BYTES;
	return bytes;
}

/**
 * sc_map_release_all() - let go of every chunk and segment, to tear down
 * @map: the map, not used again but through sc_map_take_garbage()
 *
 * Puts the arena's chunks, the hash segments after the first and the
 * reserve on the garbage list, for the caller to free what the map got
 * from sc_map_provide().  The fixed part stays the caller's.
 */
void sc_map_release_all(struct sc_map *map)
{
	u32 i;

	for (i = 0; i < map->chunks_high; i++) {
		if (map->chunks[i])
			sc_map_to_garbage(map, map->chunks[i], SC_CHUNK_BYTES);
		map->chunks[i] = NULL;
	}
	for (i = 0; i < sc_chunk_words(map->nr_chunk_slots); i++)
		map->chunk_present[i] = 0;
	for (i = 0; i < sc_chunk_summary_words(map->nr_chunk_slots); i++) {
		map->chunk_full[i] = 0;
		map->chunk_any[i] = 0;
	}
	for (i = 1; i < map->nr_segment_slots; i++) {
		if (map->segments[i])
			sc_map_to_garbage(map, map->segments[i],
					  SC_SEGMENT_BYTES);
		map->segments[i] = NULL;
	}
	if (map->spare_chunk)
		sc_map_to_garbage(map, map->spare_chunk, SC_CHUNK_BYTES);
	if (map->spare_segment)
		sc_map_to_garbage(map, map->spare_segment, SC_SEGMENT_BYTES);
	map->chunks_high = 0;
	map->nr_chunks = 0;
	map->nr_segments = 1;
	map->spare_chunk = NULL;
	map->spare_segment = NULL;
}

/* ------------------------------------------------------------------ */
/* The arena: a buddy allocator of blocks of 1..16 units                */

static struct sc_entry *sc_entry_at(const struct sc_map *map, u32 index)
{
	return &map->chunks[index >> SC_CHUNK_SHIFT][index &
						    (SC_CHUNK_ENTRIES - 1)];
}

/* Arena units an entry takes: a span entry's offsets are the second. */
static u32 sc_entry_units(const struct sc_entry *e)
{
	return 1 + e->span;
}

/* The offsets of the span entry at @index: its second unit, as bytes. */
static u8 *sc_span_offsets(const struct sc_map *map, u32 index)
{
	return (u8 *)sc_entry_at(map, index + 1);
}

static u32 sc_run_order(u32 len)
{
	return order_base_2(len);
}

/* Entries a block at @index spans: a free block's, or a run's. */
static u32 sc_block_size(const struct sc_map *map, u32 index)
{
	const struct sc_entry *e = sc_entry_at(map, index);

	return BIT(e->free ? e->run_last : sc_run_order(e->run_last + 1));
}

static void sc_block_push(struct sc_map *map, u32 index, u32 order)
{
	struct sc_entry *e = sc_entry_at(map, index);
	u32 head = map->free_blocks[order];

	e->free = 1;
	e->run_last = order;
	e->next = head;
	e->group_lo = SC_NIL;
	if (head != SC_NIL)
		sc_entry_at(map, head)->group_lo = index;
	map->free_blocks[order] = index;
}

static void sc_block_unlink(struct sc_map *map, u32 index)
{
	struct sc_entry *e = sc_entry_at(map, index);

	if (e->group_lo == SC_NIL)
		map->free_blocks[e->run_last] = e->next;
	else
		sc_entry_at(map, e->group_lo)->next = e->next;
	if (e->next != SC_NIL)
		sc_entry_at(map, e->next)->group_lo = e->group_lo;
	e->free = 0;
}

/* Note a directory slot taken or given back, in the bitmap and its summaries. */
static void sc_chunk_slot_mark(struct sc_map *map, u32 slot, bool present)
{
	u32 word = slot / BITS_PER_LONG;

	if (present)
		__set_bit(slot, map->chunk_present);
	else
		__clear_bit(slot, map->chunk_present);
	if (map->chunk_present[word])
		__set_bit(word, map->chunk_any);
	else
		__clear_bit(word, map->chunk_any);
	if (map->chunk_present[word] == ~0UL)
		__set_bit(word, map->chunk_full);
	else
		__clear_bit(word, map->chunk_full);
}

/*
 * The lowest directory slot open for the reserve chunk, or SC_NIL: the
 * lowest, so that the arena stays packed at the start of the directory
 * and the sweeps stay short.  A read of each summary word at most.
 */
static u32 sc_chunk_slot_open(const struct sc_map *map)
{
	u32 words = sc_chunk_words(map->nr_chunk_slots), i;

	for (i = 0; i < sc_chunk_summary_words(map->nr_chunk_slots); i++) {
		unsigned long open_words = ~map->chunk_full[i];
		u32 word, slot;

		if (!open_words)
			continue;
		word = i * BITS_PER_LONG + __ffs(open_words);
		if (word >= words)
			break;
		slot = word * BITS_PER_LONG + __ffs(~map->chunk_present[word]);
		return slot < map->nr_chunk_slots ? slot : SC_NIL;
	}
	return SC_NIL;
}

/* One past the highest directory slot with a chunk, the same way. */
static u32 sc_chunk_slots_high(const struct sc_map *map)
{
	u32 i = sc_chunk_summary_words(map->nr_chunk_slots);

	while (i--) {
		u32 word;

		if (!map->chunk_any[i])
			continue;
		word = i * BITS_PER_LONG + __fls(map->chunk_any[i]);
		return word * BITS_PER_LONG + __fls(map->chunk_present[word]) + 1;
	}
	return 0;
}

/* The lowest order >= @order with a free block, or SC_NIL. */
static u32 sc_free_order(const struct sc_map *map, u32 order)
{
	for (; order < SC_RUN_ORDERS; order++)
		if (map->free_blocks[order] != SC_NIL)
			return order;
	return SC_NIL;
}

static bool sc_arena_has_room(const struct sc_map *map, u32 order)
{
	return sc_free_order(map, order) != SC_NIL ||
	       (map->spare_chunk && sc_chunk_slot_open(map) != SC_NIL);
}

static bool sc_hash_has_room(const struct sc_map *map);

/**
 * sc_map_has_room() - whether a fill of any cluster would find room
 * @map: the map
 *
 * Room for a run of 16 units, the most a cluster takes, and for the
 * bucket splits its entries call for.  The kernel asks before it writes a
 * cluster to the SSD, after topping up the reserve, so that a cluster the
 * map could not enter is not written.
 *
 * Return: true when sc_map_fill_slab() of any cluster would not fail for
 * want of memory.
 */
bool sc_map_has_room(const struct sc_map *map)
{
	return sc_arena_has_room(map, SC_RUN_MAX_ORDER) &&
	       sc_hash_has_room(map);
}

/* Put the reserve chunk in the arena, as blocks of the largest order. */
static void sc_chunk_install(struct sc_map *map)
{
	u32 slot = sc_chunk_slot_open(map), i;

	map->chunks[slot] = map->spare_chunk;
	map->spare_chunk = NULL;
	map->chunk_used[slot] = 0;
	sc_chunk_slot_mark(map, slot, true);
	map->nr_chunks++;
	if (slot >= map->chunks_high)
		map->chunks_high = slot + 1;
	for (i = SC_CHUNK_ENTRIES; i; i -= SC_REGION)
		sc_block_push(map, (slot << SC_CHUNK_SHIFT) + i - SC_REGION,
			      SC_RUN_MAX_ORDER);
}

/* A block of @order entries; sc_arena_has_room() said there is one. */
static u32 sc_block_alloc(struct sc_map *map, u32 order)
{
	u32 have = sc_free_order(map, order), index;

	if (have == SC_NIL) {
		sc_chunk_install(map);
		have = SC_RUN_MAX_ORDER;
	}
	index = map->free_blocks[have];
	sc_block_unlink(map, index);
	while (have > order) {
		have--;
		sc_block_push(map, index + BIT(have), have);
	}
	map->chunk_used[index >> SC_CHUNK_SHIFT] += BIT(order);
	return index;
}

/* Give a chunk with no block in use back: out of the lists, out of the arena. */
static void sc_chunk_release(struct sc_map *map, u32 slot)
{
	u32 base = slot << SC_CHUNK_SHIFT, i;
	void *chunk = map->chunks[slot];

	for (i = 0; i < SC_CHUNK_ENTRIES; i += SC_REGION)
		sc_block_unlink(map, base + i);
	map->chunks[slot] = NULL;
	sc_chunk_slot_mark(map, slot, false);
	map->nr_chunks--;
	map->chunks_high = sc_chunk_slots_high(map);
	sc_map_let_go(map, chunk, &map->spare_chunk, SC_CHUNK_BYTES);
}

static void sc_block_free(struct sc_map *map, u32 index, u32 order)
{
	u32 slot = index >> SC_CHUNK_SHIFT;

	map->chunk_used[slot] -= BIT(order);
	while (order < SC_RUN_MAX_ORDER) {
		u32 buddy = index ^ BIT(order);
		struct sc_entry *b = sc_entry_at(map, buddy);

		if (!b->free || b->run_last != order)
			break;
		sc_block_unlink(map, buddy);
		index &= ~BIT(order);
		order++;
	}
	sc_block_push(map, index, order);
	if (!map->chunk_used[slot])
		sc_chunk_release(map, slot);
}

/* ------------------------------------------------------------------ */
/* The hash table: linear hashing over segments of buckets              */

static u64 sc_entry_group(const struct sc_entry *e)
{
	return e->group_lo | (u64)e->group_hi << 32;
}

/*
 * What the hash knows a span by: the complement of its number, 2^64 -
 * 2^32 or above, where a group's key, its number, is below 2^36.  So a
 * span and the group of the same number are never compared equal, and,
 * the hash being a multiplication, are not chained together but by
 * chance, as they would be with a high bit set alone.
 */
static u64 sc_span_key(u64 span)
{
	return ~span;
}

/* What the hash knows an entry by: its group, or its span's key. */
static u64 sc_entry_key(const struct sc_entry *e)
{
	return e->span ? sc_span_key(e->group_lo) : sc_entry_group(e);
}

static u32 sc_key_hash(u64 key)
{
	return hash_64(key, 32);
}

static u32 sc_nr_buckets(const struct sc_map *map)
{
	return BIT(map->lh_level) + map->lh_split;
}

static u32 *sc_bucket_at(const struct sc_map *map, u32 i)
{
	return &map->segments[i >> SC_SEGMENT_SHIFT][i &
						     (SC_SEGMENT_BUCKETS - 1)];
}

static u32 *sc_bucket(const struct sc_map *map, u64 key)
{
	u32 h = sc_key_hash(key), i = h & (BIT(map->lh_level) - 1);

	if (i < map->lh_split)
		i = h & (BIT(map->lh_level + 1) - 1);
	return sc_bucket_at(map, i);
}

/*
 * One split when chains average more than two entries: the bucket at the
 * split pointer gives the entries whose next hash bit is set to a new
 * bucket at the end.  Skipped when the new bucket's segment is needed and
 * the reserve has none: chains just grow a little until the next fill.
 */
static void sc_hash_grow(struct sc_map *map)
{
	u32 nr = sc_nr_buckets(map), from = map->lh_split, seg = nr >>
							SC_SEGMENT_SHIFT;
	u32 *src, *dst, index;

	if (map->nr_entries <= 2 * (u64)nr || seg >= map->nr_segment_slots)
		return;
	if (!map->segments[seg]) {
		u32 i;

		if (!map->spare_segment)
			return;
		map->segments[seg] = map->spare_segment;
		map->spare_segment = NULL;
		map->nr_segments++;
		for (i = 0; i < SC_SEGMENT_BUCKETS; i++)
			map->segments[seg][i] = SC_NIL;
	}
	src = sc_bucket_at(map, from);
	dst = sc_bucket_at(map, nr);
	index = *src;
	*src = SC_NIL;
	*dst = SC_NIL;
	while (index != SC_NIL) {
		struct sc_entry *e = sc_entry_at(map, index);
		u32 next = e->next;
		u32 *to = sc_key_hash(sc_entry_key(e)) &
			  BIT(map->lh_level) ? dst : src;

		e->next = *to;
		*to = index;
		index = next;
	}
	if (++map->lh_split == BIT(map->lh_level)) {
		map->lh_level++;
		map->lh_split = 0;
	}
}

/*
 * The reverse, when chains average less than one entry (half the
 * threshold of a split, so that the two do not undo each other): the last
 * bucket's chain joins the one it was split from, and a segment left
 * with no bucket goes.  The first segment always stays.
 */
static void sc_hash_shrink(struct sc_map *map)
{
	u32 nr = sc_nr_buckets(map), last = nr - 1, *src, *dst, index;

	if (nr <= SC_SEGMENT_BUCKETS || map->nr_entries >= nr)
		return;
	if (!map->lh_split) {
		map->lh_level--;
		map->lh_split = BIT(map->lh_level);
	}
	map->lh_split--;
	src = sc_bucket_at(map, last);
	dst = sc_bucket_at(map, map->lh_split);
	for (index = *src; index != SC_NIL;) {
		struct sc_entry *e = sc_entry_at(map, index);
		u32 next = e->next;

		e->next = *dst;
		*dst = index;
		index = next;
	}
	if (!(last & (SC_SEGMENT_BUCKETS - 1))) {
		u32 seg = last >> SC_SEGMENT_SHIFT;

		sc_map_let_go(map, map->segments[seg], &map->spare_segment,
			      SC_SEGMENT_BYTES);
		map->segments[seg] = NULL;
		map->nr_segments--;
	}
}

/*
 * Whether the splits a fill of 16 entries may call for have their
 * segments: the next bucket's segment is in place, or in reserve, or the
 * table is as large as it may grow.
 */
static bool sc_hash_has_room(const struct sc_map *map)
{
	u32 nr = sc_nr_buckets(map), seg = nr >> SC_SEGMENT_SHIFT;

	return map->nr_entries + SC_SLAB_SIZE <= 2 * (u64)nr ||
	       seg >= map->nr_segment_slots || map->segments[seg] ||
	       map->spare_segment;
}

/*
 * Two splits per entry at most: one keeps the load where it is, the
 * second catches up after splits skipped for want of a segment.
 */
static void sc_hash_add(struct sc_map *map, u32 index)
{
	struct sc_entry *e = sc_entry_at(map, index);
	u32 *head = sc_bucket(map, sc_entry_key(e));

	e->next = *head;
	*head = index;
	map->nr_entries++;
	map->nr_spans += e->span;
	sc_hash_grow(map);
	sc_hash_grow(map);
}

static void sc_hash_del(struct sc_map *map, u32 index)
{
	struct sc_entry *e = sc_entry_at(map, index);
	u32 *link = sc_bucket(map, sc_entry_key(e));

	while (*link != index)
		link = &sc_entry_at(map, *link)->next;
	*link = e->next;
	e->next = SC_NIL;
	map->nr_entries--;
	map->nr_spans -= e->span;
	sc_hash_shrink(map);
}

/* ------------------------------------------------------------------ */
/* Lookups and removals                                                 */

/* The slot of page (or position) @bit of an entry. */
static u32 sc_entry_slot(const struct sc_entry *e, u32 bit)
{
	return ((u32)e->slab << SC_SLAB_SHIFT) + bit + e->shift -
	       SC_SHIFT_BIAS;
}

/* The origin block of page (or position) @bit of the entry at @index. */
static u64 sc_entry_block(const struct sc_map *map, u32 index, u32 bit)
{
	const struct sc_entry *e = sc_entry_at(map, index);

	if (e->span)
		return ((u64)e->group_lo << SC_SPAN_SHIFT) +
		       sc_span_offsets(map, index)[bit];
	return (sc_entry_group(e) << SC_SLAB_SHIFT) + bit;
}

/*
 * The span entry that holds @oblock, or SC_NIL; *@bit set to its
 * position.  A span's pages may sit in several entries (slabs), each
 * looked through: 16 offsets at most.
 */
static u32 sc_find_span(const struct sc_map *map, u64 oblock, u32 *bit)
{
	u64 key = sc_span_key(oblock >> SC_SPAN_SHIFT);
	u8 offset = oblock & (SC_SPAN_BLOCKS - 1);
	u32 index;

	for (index = *sc_bucket(map, key); index != SC_NIL;) {
		const struct sc_entry *e = sc_entry_at(map, index);

		if (sc_entry_key(e) == key) {
			const u8 *offsets = sc_span_offsets(map, index);
			unsigned long valid = e->valid;

			for (; valid; valid &= valid - 1)
				if (offsets[__ffs(valid)] == offset) {
					*bit = __ffs(valid);
					return index;
				}
		}
		index = e->next;
	}
	return SC_NIL;
}

/*
 * The entry that holds @oblock, or SC_NIL; *@bit set to the page (or
 * position) of it.  The group's entry first, as before span entries
 * were: a whole group's hit walks one chain, and a miss looks for a span
 * entry only while the map has one.
 */
static u32 sc_find(const struct sc_map *map, u64 oblock, u32 *bit)
{
	u64 group = oblock >> SC_SLAB_SHIFT;
	u32 page = oblock & (SC_SLAB_SIZE - 1), index;

	if (oblock >= SC_MAP_MAX_OBLOCKS)
		return SC_NIL;
	for (index = *sc_bucket(map, group); index != SC_NIL;) {
		const struct sc_entry *e = sc_entry_at(map, index);

		if ((e->valid & BIT(page)) && sc_entry_group(e) == group &&
		    !e->span) {
			*bit = page;
			return index;
		}
		index = e->next;
	}
	if (!map->nr_spans)
		return SC_NIL;
	return sc_find_span(map, oblock, bit);
}

/**
 * sc_map_lookup() - the slot holding @oblock
 * @map: the map
 * @oblock: an origin block
 *
 * Read-only: may run concurrently with other lookups.
 *
 * Return: the slot, or SC_NO_SLOT when @oblock is not cached.
 */
sc_slot_t sc_map_lookup(const struct sc_map *map, sc_oblock_t oblock)
{
	u32 bit, index = sc_find(map, from_oblock(oblock), &bit);

	if (index == SC_NIL)
		return SC_NO_SLOT;
	return to_slot(sc_entry_slot(sc_entry_at(map, index), bit));
}

static bool sc_run_empty(const struct sc_map *map, u32 run)
{
	u32 last = sc_entry_at(map, run)->run_last, i;

	for (i = 0; i <= last; i += sc_entry_units(sc_entry_at(map, run + i)))
		if (sc_entry_at(map, run + i)->valid)
			return false;
	return true;
}

/*
 * Drop one page (or a span entry's position) of an entry.  When that
 * empties the slab's run, the run goes back to the arena and an active
 * slab becomes free (a retiring one is already discarding).  Return:
 * true when the run went: its entries, maybe its whole chunk, are then
 * no longer the caller's to read.
 */
static bool sc_drop_page(struct sc_map *map, u32 index, u32 page)
{
	struct sc_entry *e = sc_entry_at(map, index);
	u32 run = index - e->run_index, slab = e->slab;

	e->valid &= ~BIT(page);
	map->nr_cached--;
	if (e->valid)
		return false;
	sc_hash_del(map, index);
	if (!sc_run_empty(map, run))
		return false;
	sc_block_free(map, run,
		      sc_run_order(sc_entry_at(map, run)->run_last + 1));
	if (sc_slab_test(map->active, slab))
		sc_slab_set_state(map, slab, SC_SLAB_FREE);
	return true;
}

/**
 * sc_map_remove() - drop @oblock from the map
 * @map: the map
 * @oblock: an origin block
 *
 * Return: true if it was cached.
 */
bool sc_map_remove(struct sc_map *map, sc_oblock_t oblock)
{
	u32 bit, index = sc_find(map, from_oblock(oblock), &bit);

	if (index == SC_NIL)
		return false;
	sc_drop_page(map, index, bit);
	return true;
}

/* ------------------------------------------------------------------ */
/* Slabs                                                                */

/**
 * sc_map_alloc_slab() - hand out a free slab to be written
 * @map: the map
 * @busy: optional; a slab for which it returns true is passed over and
 *	stays free (the kernel uses it for slabs that reads still use)
 * @context: passed to @busy
 *
 * Free slabs go out in address order from where the last one did,
 * wrapping: a slab freed just behind the cursor waits a whole turn, which
 * gives reads of its old contents the longest time to finish, as a FIFO
 * would, with no list to keep.  Looks at SC_MAP_STEP bitmap words at
 * most, so it may miss free slabs that a full sweep would find; the
 * cursor has moved on, and the next call goes on from there.
 *
 * Return: a slab now in state SC_SLAB_FILLING, or SC_NO_SLAB.
 */
sc_slab_t sc_map_alloc_slab(struct sc_map *map,
			    bool (*busy)(void *context, sc_slab_t slab),
			    void *context)
{
	u32 start = map->free_cursor, pos = start, budget = SC_MAP_STEP;
	u32 words = BITS_TO_LONGS(map->nr_slabs);
	bool wrapped = false;

	/* One turn at most: the start word again, only below the cursor. */
	while (budget-- && map->nr_free) {
		u32 word = pos / BITS_PER_LONG;
		unsigned long bits = map->free[word] &
				     (~0UL << (pos % BITS_PER_LONG));

		if (wrapped && word == start / BITS_PER_LONG)
			bits &= ~(~0UL << (start % BITS_PER_LONG));
		while (bits) {
			u32 slab = word * BITS_PER_LONG + __ffs(bits);

			bits &= bits - 1;
			if (slab >= map->nr_slabs)
				break;
			if (busy && busy(context, to_slab(slab)))
				continue;
			sc_slab_set_state(map, slab, SC_SLAB_FILLING);
			map->free_cursor = slab + 1 < map->nr_slabs ? slab + 1 :
								      0;
			return to_slab(slab);
		}
		if (wrapped && word == start / BITS_PER_LONG) {
			pos = start;
			break;
		}
		pos = (word + 1) * BITS_PER_LONG;
		if (word + 1 == words)
			pos = 0;
		wrapped |= pos / BITS_PER_LONG == start / BITS_PER_LONG;
	}
	map->free_cursor = pos;
	return SC_NO_SLAB;
}

/*
 * Whether slot @i of a cluster continues the entry that slot @i - 1 is
 * in: the same group, the next page.
 */
static bool sc_run_continues(const sc_oblock_t *oblocks, u32 i)
{
	u64 b = from_oblock(oblocks[i]), prev = from_oblock(oblocks[i - 1]);

	return b != SC_OBLOCK_NONE && prev != SC_OBLOCK_NONE &&
	       b == prev + 1 && (b >> SC_SLAB_SHIFT) == (prev >> SC_SLAB_SHIFT);
}

/* Span entries of span @s in the hash, SC_MAP_SPAN_ENTRIES at most. */
static u32 sc_span_entries(const struct sc_map *map, u64 s)
{
	u64 key = sc_span_key(s);
	u32 index, n = 0;

	for (index = *sc_bucket(map, key);
	     index != SC_NIL && n < SC_MAP_SPAN_ENTRIES;) {
		const struct sc_entry *e = sc_entry_at(map, index);

		n += sc_entry_key(e) == key;
		index = e->next;
	}
	return n;
}

/*
 * The entry that starts at slot @i of a cluster (a block, the first not
 * in an entry yet): the slot past it is returned, *@span set when it is a
 * span entry.  The stretch of slots from @i whose blocks lie in @i's
 * span (holes, SC_OBLOCK_NONE, left out) holds some runs of one group's
 * consecutive pages, as a group entry each, or in one span entry of two
 * units.  Three runs or more take the span entry, fewer units whatever
 * the runs' lengths, if @may_span; one or two stay group entries, as
 * many units and found in one chain.
 *
 * Greedy, slot by slot: the stretch ends at the first block of another
 * span, so a cluster whose spans interleave is not laid out in the
 * fewest units two kinds allow.  The worst case is a group entry per
 * block: 16 single pages alternating between two spans take 16 units
 * where two span entries (4 units) would hold them.  The thread's
 * clusters walk a file's pages in order, so its spans come one after
 * the other, not interleaved.
 */
static u32 sc_fill_next(const sc_oblock_t *oblocks, u32 count, u32 i,
			bool may_span, bool *span)
{
	u64 s = from_oblock(oblocks[i]) >> SC_SPAN_SHIFT;
	u32 runs = 0, end = i + 1, j;

	for (j = i; j < count; j++) {
		u64 b = from_oblock(oblocks[j]);

		if (b == SC_OBLOCK_NONE)
			continue;
		if (b >> SC_SPAN_SHIFT != s)
			break;
		runs += j == i || !sc_run_continues(oblocks, j);
		end = j + 1;
	}
	*span = may_span && runs > 2;
	if (*span)
		return end;
	for (j = i + 1; j < count && sc_run_continues(oblocks, j); j++)
		;
	return j;
}

/*
 * The layout of a cluster: the slot past each entry's last, by its first
 * slot, and which of them are span entries.  A span gets a new span
 * entry only while it has fewer than SC_MAP_SPAN_ENTRIES, those this
 * fill makes counted; the others of its pages take group entries, so
 * that no chain holds more than SC_MAP_SPAN_ENTRIES entries of one span,
 * whatever the order of fills and removals (dropping blocks the cluster
 * moves only lowers the count).  Return: the units the run takes.
 */
static u32 sc_fill_plan(const struct sc_map *map, const sc_oblock_t *oblocks,
			u32 count, u8 *ends, u16 *spans)
{
	u64 made[SC_SLAB_SIZE];
	u32 nr_made = 0, nr_units = 0, i, k, have;
	bool span;

	*spans = 0;
	for (i = 0; i < count; i = ends[i]) {
		u64 s = from_oblock(oblocks[i]) >> SC_SPAN_SHIFT;

		if (from_oblock(oblocks[i]) == SC_OBLOCK_NONE) {
			ends[i] = i + 1;
			continue;
		}
		ends[i] = sc_fill_next(oblocks, count, i, true, &span);
		if (span) {
			for (have = 0, k = 0; k < nr_made; k++)
				have += made[k] == s;
			have += sc_span_entries(map, s);
			if (have >= SC_MAP_SPAN_ENTRIES)
				ends[i] = sc_fill_next(oblocks, count, i, false,
						       &span);
		}
		if (span) {
			made[nr_made++] = s;
			*spans |= BIT(i);
		}
		nr_units += 1 + span;
	}
	return nr_units;
}

/* Lay out the entry of slots [@i, @end) of a cluster at arena @index. */
static void sc_fill_entry(struct sc_map *map, u32 index, u32 slab,
			  const sc_oblock_t *oblocks, u32 i, u32 end, bool span)
{
	struct sc_entry *e = sc_entry_at(map, index);
	u64 b = from_oblock(oblocks[i]);
	u64 key = b >> (span ? SC_SPAN_SHIFT : SC_SLAB_SHIFT);
	u8 *offsets;
	u32 j;

	e->group_lo = (u32)key;
	e->group_hi = key >> 32;
	e->slab = slab;
	e->valid = 0;
	e->free = 0;
	e->span = span;
	if (!span) {
		e->shift = i - (b & (SC_SLAB_SIZE - 1)) + SC_SHIFT_BIAS;
		for (j = i; j < end; j++)
			e->valid |= BIT(from_oblock(oblocks[j]) &
					(SC_SLAB_SIZE - 1));
		return;
	}
	/* Position j in slot i + j: the holes among them not valid. */
	e->shift = i + SC_SHIFT_BIAS;
	offsets = sc_span_offsets(map, index);
	for (j = 0; j < SC_SLAB_SIZE; j++)
		offsets[j] = 0;
	for (j = i; j < end; j++) {
		b = from_oblock(oblocks[j]);
		if (b == SC_OBLOCK_NONE)
			continue;
		offsets[j - i] = b & (SC_SPAN_BLOCKS - 1);
		e->valid |= BIT(j - i);
	}
}

/*
 * Refuse a cluster the map cannot hold: a block out of range, or twice,
 * or only holes.  A hole (SC_OBLOCK_NONE) is a slot that holds no block.
 */
static bool sc_cluster_bad(const sc_oblock_t *oblocks, u32 count)
{
	bool any = false;
	u32 i, j;

	for (i = 0; i < count; i++) {
		if (from_oblock(oblocks[i]) == SC_OBLOCK_NONE)
			continue;
		any = true;
		if (from_oblock(oblocks[i]) >= SC_MAP_MAX_OBLOCKS)
			return true;
		for (j = 0; j < i; j++)
			if (from_oblock(oblocks[j]) == from_oblock(oblocks[i]))
				return true;
	}
	return !any;
}

/**
 * sc_map_fill_slab() - enter a written cluster into the map
 * @map: the map
 * @slab: a slab from sc_map_alloc_slab()
 * @oblocks: the origin block in each slot, in slot order; each distinct
 *	and below SC_MAP_MAX_OBLOCKS, or SC_OBLOCK_NONE for a slot that
 *	holds none (a restored slab's dropped slots), not all of them
 * @count: 1..SC_SLAB_SIZE; 0 gives the slab back
 * @moved: set to how many blocks moved from another slot
 * @run: set to the slab's run, for sc_map_evict_run()
 *
 * The caller has checked that the data is current (never stale): a block
 * already cached elsewhere has its old slot dropped for the new one.
 * Consecutive slots holding consecutive blocks of one group share an
 * entry, so a whole group in order costs one; consecutive slots whose
 * blocks lie in one span and make three such runs or more share a span
 * entry of two units (sc_fill_next()), while the span has fewer than
 * SC_MAP_SPAN_ENTRIES of them (sc_fill_plan()).
 *
 * The slab starts unreferenced, as a CLOCK inserts new entries: it must
 * earn its second chance with a hit, or a burst of new clusters would push
 * out slabs that readers use.
 *
 * Return: 0; -ENOMEM when the arena has no room for the run (the reserve
 * is empty: sc_map_provide()), -EINVAL for a cluster it refuses or a slab
 * that is not filling, with a warning.  On error nothing changed.
 */
int sc_map_fill_slab(struct sc_map *map, sc_slab_t slab,
		     const sc_oblock_t *oblocks, u32 count, u32 *moved,
		     u32 *run)
{
	u32 nr_units, nr_blocks = 0, unit = 0, index, i;
	u8 ends[SC_SLAB_SIZE];
	u16 spans;

	*moved = 0;
	*run = SC_NIL;
	if (WARN_ON_ONCE(from_slab(slab) >= map->nr_slabs ||
			 sc_map_slab_state(map, slab) != SC_SLAB_FILLING))
		return -EINVAL;
	if (!count) {
		sc_slab_set_state(map, from_slab(slab), SC_SLAB_FREE);
		return 0;
	}
	if (WARN_ON_ONCE(count > SC_SLAB_SIZE ||
			 sc_cluster_bad(oblocks, count)))
		return -EINVAL;
	/*
	 * Units: one per group entry, two per span entry, of at least three
	 * blocks; so 16 at most, a block of the largest order.
	 */
	nr_units = sc_fill_plan(map, oblocks, count, ends, &spans);
	for (i = 0; i < count; i++)
		nr_blocks += from_oblock(oblocks[i]) != SC_OBLOCK_NONE;
	if (!sc_arena_has_room(map, sc_run_order(nr_units)))
		return -ENOMEM;

	/* Dropping old copies only frees arena room: the check above holds. */
	for (i = 0; i < count; i++)
		if (from_oblock(oblocks[i]) != SC_OBLOCK_NONE)
			*moved += sc_map_remove(map, oblocks[i]);

	index = sc_block_alloc(map, sc_run_order(nr_units));
	for (i = 0; i < count; i = ends[i]) {
		struct sc_entry *e;

		if (from_oblock(oblocks[i]) == SC_OBLOCK_NONE)
			continue;
		e = sc_entry_at(map, index + unit);
		sc_fill_entry(map, index + unit, from_slab(slab), oblocks, i,
			      ends[i], spans & BIT(i));
		e->run_index = unit;
		e->run_last = nr_units - 1;
		sc_hash_add(map, index + unit);
		unit += sc_entry_units(e);
	}
	map->nr_cached += nr_blocks;
	__clear_bit(from_slab(slab), map->referenced);
	sc_slab_set_state(map, from_slab(slab), SC_SLAB_ACTIVE);
	*run = index;
	return 0;
}

/**
 * sc_map_abort_slab() - give back a slab that is not in the map
 * @map: the map
 * @slab: a filling slab (from sc_map_alloc_slab()) whose cluster was not
 *	entered, or a discarding one (from sc_map_retire_run()) whose
 *	range has been discarded
 *
 * A slab in any other state is left alone, with a warning: an active one
 * would be handed out while still mapped, and its slots be overwritten
 * under readers of its blocks.
 */
void sc_map_abort_slab(struct sc_map *map, sc_slab_t slab)
{
	enum sc_slab_state state;

	if (WARN_ON_ONCE(from_slab(slab) >= map->nr_slabs))
		return;
	state = sc_map_slab_state(map, slab);
	if (WARN_ON_ONCE(state != SC_SLAB_FILLING &&
			 state != SC_SLAB_DISCARDING))
		return;
	sc_slab_set_state(map, from_slab(slab), SC_SLAB_FREE);
}

/**
 * sc_map_claim_slab() - take one given free slab to be filled
 * @map: the map
 * @slab: the slab
 *
 * What sc_map_alloc_slab() does for the slab it chooses, for a caller that
 * must put blocks back where they were: the restore of a checkpoint.
 *
 * Return: 0, the slab now filling; -EINVAL when it is out of range or not
 * free (a checkpoint naming a slab twice).  On error nothing changed.
 */
int sc_map_claim_slab(struct sc_map *map, sc_slab_t slab)
{
	if (from_slab(slab) >= map->nr_slabs ||
	    !sc_slab_test(map->free, from_slab(slab)))
		return -EINVAL;
	sc_slab_set_state(map, from_slab(slab), SC_SLAB_FILLING);
	return 0;
}

static u32 sc_block_at_or_after(const struct sc_map *map, u32 pos,
				u32 *skip);

/*
 * Whether @run names the first entry of a slab's run in the arena: what a
 * caller passes back from sc_map_fill_slab() or sc_map_clock_step() within
 * the same hold of the map.  Found from its region's first block, 16
 * units at most: a span entry's offsets could pass for a run's head.
 */
static bool sc_run_ok(const struct sc_map *map, u32 run)
{
	const struct sc_entry *e;
	u32 skip;

	if (run == SC_NIL || run >> SC_CHUNK_SHIFT >= map->chunks_high ||
	    !map->chunks[run >> SC_CHUNK_SHIFT] ||
	    sc_block_at_or_after(map, run, &skip) != run)
		return false;
	e = sc_entry_at(map, run);
	return !e->free && !e->run_index && e->slab < map->nr_slabs;
}

/**
 * sc_map_run_slab() - the slab a run describes
 * @map: the map
 * @run: a run from sc_map_fill_slab() or sc_map_clock_step(), still in
 *	the map
 *
 * Return: the slab.
 */
sc_slab_t sc_map_run_slab(const struct sc_map *map, u32 run)
{
	if (WARN_ON_ONCE(!sc_run_ok(map, run)))
		return SC_NO_SLAB;
	return to_slab(sc_entry_at(map, run)->slab);
}

/**
 * sc_map_run_groups() - the origin groups whose blocks a slab's run holds
 * @map: the map
 * @run: a run from sc_map_clock_step(), still in the map
 * @groups: set to the groups, SC_SLAB_SIZE at most, a group that follows
 *	itself in the run listed once, and a span entry's each once
 *
 * For the ghosts of what the cleaner evicts (admit.h).  Read-only.
 *
 * Return: how many were set.
 */
u32 sc_map_run_groups(const struct sc_map *map, u32 run, u64 *groups)
{
	const struct sc_entry *first, *e;
	u32 i, n = 0;

	if (WARN_ON_ONCE(!sc_run_ok(map, run)))
		return 0;
	first = sc_entry_at(map, run);
	for (i = 0; i <= first->run_last; i += sc_entry_units(e)) {
		u32 seen = 0, bit;
		unsigned long valid;

		e = sc_entry_at(map, run + i);
		valid = e->valid;
		if (!e->span) {
			if (valid && (!n || groups[n - 1] != sc_entry_group(e)))
				groups[n++] = sc_entry_group(e);
			continue;
		}
		/* A page a group at most: 16 groups at most in all. */
		for (; valid; valid &= valid - 1) {
			u64 group = sc_entry_block(map, run + i, __ffs(valid)) >>
				    SC_SLAB_SHIFT;

			bit = BIT(group & (SC_SLAB_SIZE - 1));
			if (seen & bit)
				continue;
			seen |= bit;
			if (!n || groups[n - 1] != group)
				groups[n++] = group;
		}
	}
	return n;
}

/*
 * Drop every block of a run.  @during is its slab's state meanwhile:
 * SC_SLAB_ACTIVE lets sc_drop_page() free it with its last block,
 * SC_SLAB_DISCARDING keeps it from being handed out.
 */
static u32 sc_drop_run(struct sc_map *map, u32 run, enum sc_slab_state during)
{
	struct sc_entry *first;
	u32 slab, last, dropped = 0, i;

	if (WARN_ON_ONCE(!sc_run_ok(map, run)))
		return 0;
	first = sc_entry_at(map, run);
	slab = first->slab;
	last = first->run_last;
	if (!sc_slab_test(map->active, slab))
		return 0;
	sc_slab_set_state(map, slab, during);
	for (i = 0; i <= last; i += sc_entry_units(sc_entry_at(map, run + i))) {
		struct sc_entry *e = sc_entry_at(map, run + i);

		while (e->valid) {
			dropped++;
			if (sc_drop_page(map, run + i, __ffs(e->valid)))
				return dropped;
		}
	}
	return dropped;
}

/**
 * sc_map_evict_run() - drop every block of a slab's run and free the slab
 * @map: the map
 * @run: a run from sc_map_fill_slab() or sc_map_clock_step()
 *
 * Return: how many blocks were dropped; 0 when @run is no longer an
 * active slab's run (left alone).
 */
u32 sc_map_evict_run(struct sc_map *map, u32 run)
{
	return sc_drop_run(map, run, SC_SLAB_ACTIVE);
}

/**
 * sc_map_retire_run() - drop every block of a slab's run, keep the slab out
 * @map: the map
 * @run: a run from sc_map_clock_step()
 *
 * As sc_map_evict_run(), but the slab is left in state SC_SLAB_DISCARDING,
 * so that nothing can allocate and rewrite it while the caller discards
 * its range on the cache device.  The caller then gives it back with
 * sc_map_abort_slab().
 *
 * Return: how many blocks were dropped.  An active slab holds at least
 * one, so 0 means that @run was not an active slab's run, was left alone,
 * and that its slab must not be given back.
 */
u32 sc_map_retire_run(struct sc_map *map, u32 run)
{
	return sc_drop_run(map, run, SC_SLAB_DISCARDING);
}

/* ------------------------------------------------------------------ */
/* Sweeps of the arena: the CLOCK and the large walks                   */

/*
 * The first block at or after @pos: blocks never cross a region of 16
 * entries, so walking the region from its start finds the boundaries
 * even after blocks merged or split under a position kept between calls.
 * Return: SC_NIL when @pos is in no chunk, or past the last block of its
 * chunk (then *@skip is where the next chunk could start).
 */
static u32 sc_block_at_or_after(const struct sc_map *map, u32 pos, u32 *skip)
{
	u32 at = pos & ~(SC_REGION - 1);

	if (!map->chunks[pos >> SC_CHUNK_SHIFT]) {
		*skip = (pos | (SC_CHUNK_ENTRIES - 1)) + 1;
		return SC_NIL;
	}
	while (at < pos)
		at += sc_block_size(map, at);
	/* Past the last block of a chunk: the next chunk may be gone. */
	if (!(at & (SC_CHUNK_ENTRIES - 1)) && at != pos) {
		*skip = at;
		return SC_NIL;
	}
	return at;
}

/* Arena entries a sweep covers: the chunks up to the highest in use. */
static u64 sc_arena_span(const struct sc_map *map)
{
	return (u64)map->chunks_high << SC_CHUNK_SHIFT;
}

/**
 * sc_map_clock_turns() - how far two turns of the CLOCK's hand go
 * @map: the map
 *
 * Return: the *steps to give sc_map_clock_step() for a whole search.
 */
u64 sc_map_clock_turns(const struct sc_map *map)
{
	return 2 * sc_arena_span(map);
}

/**
 * sc_map_slab_hit() - whether @slab was hit since it was handed out
 * @map: the map
 * @slab: a slab of the map
 *
 * The cleaner asks before it evicts: a slab evicted never hit was written
 * for nothing (admit.h's thrashing).  Unlike the referenced bit, the CLOCK
 * does not clear it.
 */
bool sc_map_slab_hit(const struct sc_map *map, sc_slab_t slab)
{
	return from_slab(slab) < map->nr_slabs &&
	       test_bit(from_slab(slab), map->hit);
}

/**
 * sc_map_clock_step() - the cleaner's next slab to evict, a bounded step
 *	of the search at a time
 * @map: the map
 * @busy: optional; an active slab for which it returns true is passed
 *	over (the kernel uses it for slabs that reads still use)
 * @context: passed to @busy
 * @steps: arena entries the hand may still pass; decreased by those this
 *	call passed.  sc_map_clock_turns() for a whole search.
 *
 * Advances the hand over the arena's blocks, looking at SC_MAP_STEP at
 * most.  A slab that was hit since the hand last passed its run loses its
 * referenced bit and is spared this time: the second chance, which keeps
 * slabs with recent hits while cold ones go.  Two turns of the hand are
 * enough to find any slab that is not busy, since the first clears every
 * bit, unless fills and evictions between steps move runs behind the
 * hand; past that, the cleaner is better off trying again later.
 *
 * Return: the victim's run (sc_map_retire_run(), sc_map_run_slab()), the
 * hand now past it, or SC_NIL if none was found in this step (the search
 * is over when *@steps is 0).
 */
u32 sc_map_clock_step(struct sc_map *map,
		      bool (*busy)(void *context, sc_slab_t slab),
		      void *context, u64 *steps)
{
	u32 budget = SC_MAP_STEP;

	while (budget-- && *steps) {
		u32 pos = map->clock_hand, at, skip, size;
		struct sc_entry *e;

		if ((u64)pos >= sc_arena_span(map)) {
			map->clock_hand = 0;
			if (!map->chunks_high) {
				*steps = 0;
				break;
			}
			continue;
		}
		at = sc_block_at_or_after(map, pos, &skip);
		if (at == SC_NIL) {
			map->clock_hand = skip;
			*steps -= min_t(u64, *steps, skip - pos);
			continue;
		}
		e = sc_entry_at(map, at);
		size = sc_block_size(map, at);
		map->clock_hand = at + size;
		*steps -= min_t(u64, *steps, at + size - pos);
		if (e->free)
			continue;
		if (test_bit(e->slab, map->referenced)) {
			__clear_bit(e->slab, map->referenced);
			continue;
		}
		if (busy && busy(context, to_slab(e->slab)))
			continue;
		return at;
	}
	return SC_NIL;
}

/*
 * The cost model of sc_map_walk_init(): in units of one lookup (a few
 * cache misses), a walk of the range costs one per block; a sweep of the
 * arena costs one per block of it looked at and one per page dropped, at
 * most a region per 16 entries + entries + nr_cached.  Taking the cheaper
 * one bounds a walk's total work by what it has to do, never by the SSD's
 * size alone.
 */
static bool sc_map_walk_by_arena(const struct sc_map *map, u64 count)
{
	return count > sc_arena_span(map) + map->nr_cached;
}

/**
 * sc_map_walk_init() - start a removal of [@first, @first + @count)
 * @map: the map
 * @walk: the walk's state, for sc_map_walk_step()
 * @first: the first origin block
 * @count: how many; the range stops below SC_OBLOCK_NONE
 *
 * Chooses the range or the arena to walk, whichever costs less (see
 * sc_map_walk_by_arena()).  Reads the map: the same access as
 * sc_map_walk_step().
 */
void sc_map_walk_init(const struct sc_map *map, struct sc_map_walk *walk,
		      sc_oblock_t first, u64 count)
{
	u64 start = from_oblock(first);

	if (count > SC_OBLOCK_NONE - start)
		count = SC_OBLOCK_NONE - start;
	walk->first = start;
	walk->count = count;
	walk->dropped = 0;
	walk->by_arena = sc_map_walk_by_arena(map, count);
	walk->pos = walk->by_arena ? 0 : start;
}

/* Drop the pages of one run that fall in the walk's range. */
static u32 sc_walk_run(struct sc_map *map, struct sc_map_walk *walk, u32 run)
{
	u32 last = sc_entry_at(map, run)->run_last, dropped = 0, i;

	for (i = 0; i <= last; i += sc_entry_units(sc_entry_at(map, run + i))) {
		u32 valid = sc_entry_at(map, run + i)->valid;

		while (valid) {
			u32 bit = __ffs(valid);

			valid &= valid - 1;
			if (sc_entry_block(map, run + i, bit) - walk->first >=
			    walk->count)
				continue;
			dropped++;
			if (sc_drop_page(map, run + i, bit))
				return dropped;
		}
	}
	return dropped;
}

/**
 * sc_map_walk_step() - do at most @budget units of a removal
 * @map: the map
 * @walk: from sc_map_walk_init(), on this map
 * @budget: at least 1; a unit is about one lookup's work (SC_MAP_STEP is
 *	what a caller holding a lock that others spin on should use)
 *
 * Needs exclusive access for the step only: the caller may let others at
 * the map between steps.  Every block that was in the range at
 * sc_map_walk_init() is dropped by the time the walk is done, provided
 * none of the range was entered meanwhile (the kernel's write guards
 * refuse such an insert while the write that removes the range is in
 * flight); blocks entered meanwhile may or may not be dropped.  Blocks
 * dropped are added to @walk->dropped.
 *
 * Return: true when the walk is done.
 */
bool sc_map_walk_step(struct sc_map *map, struct sc_map_walk *walk,
		      u32 budget)
{
	u64 end = walk->first + walk->count;

	if (!walk->by_arena) {
		for (; walk->pos < end && budget && map->nr_cached; budget--)
			walk->dropped += sc_map_remove(map,
						       to_oblock(walk->pos++));
		return walk->pos == end || !map->nr_cached;
	}
	while (walk->pos < sc_arena_span(map) && budget && map->nr_cached) {
		u32 pos = walk->pos, at, skip, size, dropped;

		budget--;
		at = sc_block_at_or_after(map, pos, &skip);
		if (at == SC_NIL) {
			walk->pos = skip;
			continue;
		}
		size = sc_block_size(map, at);
		walk->pos = at + size;
		if (sc_entry_at(map, at)->free)
			continue;
		dropped = sc_walk_run(map, walk, at);
		walk->dropped += dropped;
		budget -= min(budget, dropped);
	}
	return walk->pos >= sc_arena_span(map) || !map->nr_cached;
}

/* ------------------------------------------------------------------ */
/* The checkpoint's view of the map                                     */

/*
 * A span entry's pages as extents: those of one group at one shift
 * each, which sc_map_extent_slots() puts back in the same slots.  One
 * extent per page at most.  Return: how many were copied to @out.
 */
static u32 sc_export_span(const struct sc_map *map, u32 index,
			  struct sc_map_extent *out)
{
	const struct sc_entry *e = sc_entry_at(map, index);
	u32 todo = e->valid, n = 0;

	while (todo) {
		u32 bit = __ffs(todo), rest;
		u64 b = sc_entry_block(map, index, bit);
		struct sc_map_extent *x = &out[n++];

		x->group = b >> SC_SLAB_SHIFT;
		x->slab = e->slab;
		x->valid = 0;
		/* Page p in slot p + shift - 15, as a group entry's. */
		x->shift = e->shift + bit - (b & (SC_SLAB_SIZE - 1));
		for (rest = todo; rest; rest &= rest - 1) {
			bit = __ffs(rest);
			b = sc_entry_block(map, index, bit);
			if (b >> SC_SLAB_SHIFT != x->group ||
			    e->shift + bit - (b & (SC_SLAB_SIZE - 1)) != x->shift)
				continue;
			x->valid |= BIT(b & (SC_SLAB_SIZE - 1));
			todo &= ~BIT(bit);
		}
	}
	return n;
}

/**
 * sc_map_export() - copy the next runs of the map, as extents
 * @map: the map, read only (the caller keeps writers out)
 * @pos: the arena index to go on from, 0 to start; advanced
 * @out: filled with the extents: of each group entry that holds a block,
 *	its group, slab, valid pages and shift; of a span entry, the same
 *	for each group and shift among its pages; a slab's extents together
 * @max: room in @out, at least SC_SLAB_SIZE: runs are copied whole, 16
 *	extents at most each (one per page at most)
 *
 * Looks at one chunk of the arena at most (SC_CHUNK_ENTRIES entries),
 * so that a caller that holds a lock across a call holds it for a bounded
 * time whatever the cache's size.
 *
 * Return: how many extents were copied; the export is over when *@pos
 * reaches the arena's end (sc_map_export_done()).
 */
u32 sc_map_export(const struct sc_map *map, u32 *pos,
		  struct sc_map_extent *out, u32 max)
{
	u32 n = 0, chunk_end;

	if (WARN_ON_ONCE(max < SC_SLAB_SIZE) || sc_map_export_done(map, *pos))
		return 0;
	chunk_end = (*pos | (SC_CHUNK_ENTRIES - 1)) + 1;
	while (*pos < chunk_end) {
		u32 skip, at = sc_block_at_or_after(map, *pos, &skip), i;
		const struct sc_entry *e;

		if (at == SC_NIL) {
			*pos = skip;
			break;
		}
		e = sc_entry_at(map, at);
		if (!e->free) {
			if (max - n < SC_SLAB_SIZE)
				break;
			for (i = 0; i <= e->run_last;) {
				const struct sc_entry *r = sc_entry_at(map,
								       at + i);

				if (r->span) {
					n += sc_export_span(map, at + i,
							    out + n);
				} else if (r->valid) {
					out[n].group = sc_entry_group(r);
					out[n].slab = r->slab;
					out[n].valid = r->valid;
					out[n].shift = r->shift;
					n++;
				}
				i += sc_entry_units(r);
			}
		}
		*pos = at + sc_block_size(map, at);
	}
	return n;
}

/**
 * sc_map_export_done() - whether an export has passed the arena's end
 * @map: the map
 * @pos: the export's position
 *
 * Return: true when sc_map_export() has nothing more to copy.
 */
bool sc_map_export_done(const struct sc_map *map, u32 pos)
{
	return (u64)pos >= sc_arena_span(map);
}

/**
 * sc_map_extent_slots() - where an exported extent's pages go in its slab
 * @x: the extent, as sc_map_export() made it, or as a checkpoint claims
 * @oblocks: a slab's SC_SLAB_SIZE slots, SC_OBLOCK_NONE where empty; the
 *	extent's blocks are put in their slots
 * @used: the highest slot used so far plus one; raised
 *
 * Return: 0; -EINVAL when the extent is not one sc_map_export() could
 * have made (no page, a page outside the slab, a slot already taken, a
 * block already in another slot, a group out of range): a corrupt
 * checkpoint.  @oblocks may then be
 * partly written.
 */
int sc_map_extent_slots(const struct sc_map_extent *x, sc_oblock_t *oblocks,
			u32 *used)
{
	u32 page, i;

	if (!x->valid || x->shift > 2 * SC_SHIFT_BIAS ||
	    x->group >= SC_MAP_MAX_OBLOCKS >> SC_SLAB_SHIFT)
		return -EINVAL;
	for (page = 0; page < SC_SLAB_SIZE; page++) {
		u32 slot = page + x->shift - SC_SHIFT_BIAS;
		u64 block = (x->group << SC_SLAB_SHIFT) + page;

		if (!(x->valid & BIT(page)))
			continue;
		if (page + x->shift < SC_SHIFT_BIAS || slot >= SC_SLAB_SIZE ||
		    from_oblock(oblocks[slot]) != SC_OBLOCK_NONE)
			return -EINVAL;
		/*
		 * A block the slab holds already, in another slot: two
		 * extents of one group that overlap, which no export makes
		 * and sc_map_fill_slab() would refuse with a warning.
		 */
		for (i = 0; i < SC_SLAB_SIZE; i++)
			if (from_oblock(oblocks[i]) == block)
				return -EINVAL;
		oblocks[slot] = to_oblock(block);
		*used = max(*used, slot + 1);
	}
	return 0;
}
