// SPDX-License-Identifier: GPL-2.0
/*
 * The map (swapcache/map.c): directed tests of each call's contract, then
 * a randomized differential test against a plain-array model with the
 * map's structural invariants checked after every operation.  Runs the
 * module's own map.c.
 */
#include <assert.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/hash.h>

/* Counted by the stand-in WARN_ON_ONCE() (include/linux/bug.h). */
unsigned long sc_shim_warnings;

#include "harness.h"
#include "map.h"

/* The referenced byte went into padding: a slab record stays 8 bytes. */
static_assert(sizeof(struct sc_slab) == 8, "struct sc_slab is not 8 bytes");

/* ------------------------------------------------------------------ */
/* The stepped walks in one go: the kernel always steps, the tests     */
/* often want a whole removal or search as one operation.              */

/**
 * sc_map_remove_range() - drop every origin block in [@first, @first + @count)
 * @map: the map
 * @first: the first origin block
 * @count: how many
 *
 * sc_map_walk_step() to the end, in one go.
 *
 * Return: how many blocks were dropped.
 */
static u64 sc_map_remove_range(struct sc_map *map, sc_oblock_t first, u64 count)
{
	struct sc_map_walk walk;

	sc_map_walk_init(map, &walk, first, count);
	while (!sc_map_walk_step(map, &walk, SC_MAP_STEP))
		;
	return walk.dropped;
}

/**
 * sc_map_clear() - drop everything
 * @map: the map
 *
 * A walk of every origin block, in one go (sc_map_walk_init() with the
 * whole range is the stepped form).  Slabs being filled stay handed out.
 * The CLOCK's hand stays where it is, still a slab of the map; the
 * referenced bits left on freed slabs mean nothing, and
 * sc_map_fill_slab() clears them.
 *
 * Return: how many blocks were dropped.
 */
static u32 sc_map_clear(struct sc_map *map)
{
	return sc_map_remove_range(map, to_oblock(0), SC_OBLOCK_NONE);
}

/**
 * sc_map_clock_victim() - the cleaner's next slab to evict, in one go
 * @map: the map
 * @busy: as for sc_map_clock_step()
 * @context: passed to @busy
 *
 * A whole search, up to two turns of the hand: sc_map_clock_step() until
 * it finds a slab or has looked at 2 * nr_slabs.
 *
 * Return: an active slab, the hand now past it, or SC_NIL if none was
 * found in two turns.
 */
static u32 sc_map_clock_victim(struct sc_map *map,
			       bool (*busy)(void *context, u32 slab), void *context)
{
	/* at most 2 * SC_MAP_MAX_SLABS: no overflow */
	u32 steps = 2 * map->nr_slabs, slab;

	do
		slab = sc_map_clock_step(map, busy, context, &steps);
	while (slab == SC_NIL && steps);
	return slab;
}

/* ------------------------------------------------------------------ */
/* Helpers                                                            */

static void *map_new(struct sc_map *map, u32 nr_slabs)
{
	size_t bytes = sc_map_bytes(nr_slabs);
	void *mem = malloc(bytes);

	if (!mem) {
		perror("malloc");
		exit(2);
	}
	/* Garbage, so that init must set every field it relies on. */
	memset(mem, 0xa5, bytes);
	sc_map_init(map, nr_slabs, mem);
	return mem;
}

static char errbuf[512];

static const char *fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(errbuf, sizeof(errbuf), fmt, ap);
	va_end(ap);
	return errbuf;
}

static u32 slot_of(const struct sc_map *map, u64 b)
{
	return from_slot(sc_map_lookup(map, to_oblock(b)));
}

/*
 * Walks the free list into @out (room for nr_slabs entries).  Return: its
 * length, or an error when it loops, leaves the map or runs past nr_slabs.
 */
static const char *walk_free(const struct sc_map *map, u32 *out, u32 *len)
{
	u32 n = 0, slab, last = SC_NIL;

	for (slab = map->free_head; slab != SC_NIL;
	     slab = map->slabs[slab].next_free) {
		if (slab >= map->nr_slabs)
			return fail("free list reaches slab %u of %u", slab,
				    map->nr_slabs);
		if (n == map->nr_slabs)
			return fail("free list longer than %u slabs (loop?)",
				    map->nr_slabs);
		out[n++] = slab;
		last = slab;
	}
	if (map->free_tail != last)
		return fail("free_tail %u but the walk ends at %u",
			    map->free_tail, last);
	*len = n;
	return NULL;
}

/* Per slab: state, nr_valid against the slots, nr_cached the sum. */
static const char *check_slabs(const struct sc_map *map)
{
	u32 slab, i, total = 0, valid_slots = 0;

	if (map->nr_slots != map->nr_slabs * SC_SLAB_SIZE)
		return fail("nr_slots %u for %u slabs", map->nr_slots,
			    map->nr_slabs);
	if (map->clock_hand >= map->nr_slabs)
		return fail("clock hand %u of %u slabs", map->clock_hand,
			    map->nr_slabs);
	for (slab = 0; slab < map->nr_slabs; slab++) {
		const struct sc_slab *s = &map->slabs[slab];
		u32 n = 0;

		for (i = 0; i < SC_SLAB_SIZE; i++)
			n += map->slot_oblock[slab * SC_SLAB_SIZE + i] !=
			     SC_OBLOCK_NONE;
		if (s->nr_valid != n)
			return fail("slab %u: nr_valid %u, %u valid slots",
				    slab, s->nr_valid, n);
		if (s->referenced > 1)
			return fail("slab %u: referenced %u", slab,
				    s->referenced);
		switch (s->state) {
		case SC_SLAB_FREE:
		case SC_SLAB_FILLING:
		case SC_SLAB_DISCARDING:
			if (n)
				return fail("slab %u in state %u holds %u",
					    slab, s->state, n);
			break;
		case SC_SLAB_ACTIVE:
			if (!n)
				return fail("slab %u active but empty", slab);
			break;
		default:
			return fail("slab %u: state %u", slab, s->state);
		}
		total += s->nr_valid;
		valid_slots += n;
	}
	if (map->nr_cached != total || total != valid_slots)
		return fail("nr_cached %u, slabs' nr_valid sum %u, valid slots %u",
			    map->nr_cached, total, valid_slots);
	/* the bitmap of active slabs, and nothing past the last slab */
	for (slab = 0; slab < (map->nr_slabs + 63) / 64 * 64; slab++) {
		bool bit = map->active[slab / 64] >> (slab % 64) & 1;
		bool want = slab < map->nr_slabs &&
			    map->slabs[slab].state == SC_SLAB_ACTIVE;

		if (bit != want)
			return fail("slab %u: active bit %d, state %u", slab,
				    bit, slab < map->nr_slabs ?
				    map->slabs[slab].state : 99);
	}
	return NULL;
}

/* nr_free, head/tail, and every free slab on the list exactly once. */
static const char *check_free_list(const struct sc_map *map, u32 *list,
				   u32 *len_out)
{
	u32 len = 0, i, nr_free_state = 0;
	u8 *seen = calloc(map->nr_slabs, 1);
	const char *err = walk_free(map, list, &len);

	if (err)
		goto out;
	if (len != map->nr_free) {
		err = fail("nr_free %u, free list holds %u", map->nr_free,
			   len);
		goto out;
	}
	for (i = 0; i < len; i++) {
		if (seen[list[i]]++) {
			err = fail("slab %u twice on the free list", list[i]);
			goto out;
		}
		if (map->slabs[list[i]].state != SC_SLAB_FREE) {
			err = fail("slab %u on the free list in state %u",
				   list[i], map->slabs[list[i]].state);
			goto out;
		}
	}
	for (i = 0; i < map->nr_slabs; i++) {
		if (map->slabs[i].state != SC_SLAB_FREE)
			continue;
		nr_free_state++;
		if (!seen[i]) {
			err = fail("free slab %u not on the free list", i);
			goto out;
		}
	}
	if (nr_free_state != len)
		err = fail("%u free slabs, %u on the list", nr_free_state, len);
	if (len_out)
		*len_out = len;
out:
	free(seen);
	return err;
}

/* Each chain holds only its own bucket's blocks; all valid slots chained. */
static const char *check_chains(const struct sc_map *map)
{
	u32 nr_buckets = 1U << map->hash_bits, bucket, slot, chained = 0;
	u8 *seen = calloc(map->nr_slots, 1);
	const char *err = NULL;

	if (nr_buckets < map->nr_slots / 4) {
		err = fail("%u buckets for %u slots", nr_buckets,
			   map->nr_slots);
		goto out;
	}
	for (bucket = 0; bucket < nr_buckets; bucket++) {
		for (slot = map->buckets[bucket]; slot != SC_NIL;
		     slot = map->slot_next[slot]) {
			u64 b;

			if (slot >= map->nr_slots) {
				err = fail("bucket %u reaches slot %u", bucket,
					   slot);
				goto out;
			}
			if (seen[slot]++) {
				err = fail("slot %u chained twice (loop?)",
					   slot);
				goto out;
			}
			b = map->slot_oblock[slot];
			if (b == SC_OBLOCK_NONE) {
				err = fail("empty slot %u in bucket %u", slot,
					   bucket);
				goto out;
			}
			if (hash_64(b, map->hash_bits) != bucket) {
				err = fail("slot %u (block %llu"
					   ") in bucket %u, hashes to %u",
					   slot, b, bucket,
					   hash_64(b, map->hash_bits));
				goto out;
			}
			chained++;
		}
	}
	if (chained != map->nr_cached)
		err = fail("%u slots chained, nr_cached %u", chained,
			   map->nr_cached);
out:
	free(seen);
	return err;
}

/* Every valid slot is what a lookup of its block finds. */
static const char *check_self_lookup(const struct sc_map *map)
{
	u32 slot;

	for (slot = 0; slot < map->nr_slots; slot++) {
		u64 b = map->slot_oblock[slot];

		if (b != SC_OBLOCK_NONE && slot_of(map, b) != slot)
			return fail("slot %u holds %llu"
				    ", lookup finds %u", slot, b,
				    slot_of(map, b));
	}
	return NULL;
}

/* All structural invariants, for the directed tests: NULL when sound. */
static const char *check_structure(const struct sc_map *map)
{
	u32 *list = malloc(map->nr_slabs * sizeof(*list));
	const char *err;

	err = check_slabs(map);
	if (!err)
		err = check_free_list(map, list, NULL);
	if (!err)
		err = check_chains(map);
	if (!err)
		err = check_self_lookup(map);
	free(list);
	return err;
}

#define CHECK_SOUND(map, what)						\
	do {								\
		const char *err_ = check_structure(map);		\
		CHECK(!err_, "%s: %s", what, err_);			\
	} while (0)

/* The free list, as a string of slab numbers, for exact comparisons. */
static const char *free_list_str(const struct sc_map *map)
{
	static char buf[1024];
	u32 slab, n = 0;
	int pos = 0;

	buf[0] = '\0';
	for (slab = map->free_head; slab != SC_NIL && n <= map->nr_slabs &&
	     pos < (int)sizeof(buf) - 16;
	     slab = map->slabs[slab].next_free, n++)
		pos += snprintf(buf + pos, sizeof(buf) - pos, "%s%u",
				n ? "," : "", slab);
	return buf;
}

#define CHECK_FREE(map, expect, what)					\
	CHECK(!strcmp(free_list_str(map), expect),			\
	      "%s: free list [%s], expected [%s]", what,		\
	      free_list_str(map), expect)

/* The referenced bits, slab 0 first, as a string of 0s and 1s. */
static const char *refs_str(const struct sc_map *map)
{
	static char buf[256];
	u32 slab;

	for (slab = 0; slab < map->nr_slabs && slab < sizeof(buf) - 1; slab++)
		buf[slab] = '0' + map->slabs[slab].referenced;
	buf[slab] = '\0';
	return buf;
}

#define CHECK_REFS(map, expect, what)					\
	CHECK(!strcmp(refs_str(map), expect),				\
	      "%s: referenced %s, expected %s", what, refs_str(map),	\
	      expect)

/* Fill @slab with @count consecutive blocks from @first. */
static u32 fill_run(struct sc_map *map, u32 slab, u64 first, u32 count)
{
	sc_oblock_t blocks[SC_SLAB_SIZE];
	u32 i;

	for (i = 0; i < count; i++)
		blocks[i] = to_oblock(first + i);
	return sc_map_fill_slab(map, slab, blocks, count);
}

/* Walk [first, first + count) with @budget per step; returns the steps. */
static u32 walk_all(struct sc_map *map, u64 first, u64 count, u32 budget,
		    u64 *dropped)
{
	struct sc_map_walk walk;
	u32 steps = 0;

	sc_map_walk_init(map, &walk, to_oblock(first), count);
	do
		steps++;
	while (!sc_map_walk_step(map, &walk, budget));
	*dropped = walk.dropped;
	return steps;
}

/* ------------------------------------------------------------------ */
/* Directed tests                                                     */

static void test_init(void)
{
	static const u32 sizes[] = { 1, 2, 5, 64, 1000 };
	unsigned int k;

	for (k = 0; k < ARRAY_SIZE(sizes); k++) {
		struct sc_map map;
		void *mem = map_new(&map, sizes[k]);
		u32 i, bad_state = 0, bad_slot = 0, hits = 0;
		char expect[8192];
		int pos = 0;

		CHECK(map.nr_slabs == sizes[k], "nr_slabs %u", map.nr_slabs);
		CHECK(map.nr_slots == sizes[k] * SC_SLAB_SIZE, "nr_slots %u",
		      map.nr_slots);
		CHECK(map.nr_free == sizes[k], "%u slabs: nr_free %u",
		      sizes[k], map.nr_free);
		CHECK(map.nr_cached == 0, "nr_cached %u", map.nr_cached);
		for (i = 0; i < sizes[k]; i++)
			bad_state += map.slabs[i].state != SC_SLAB_FREE ||
				     map.slabs[i].nr_valid != 0 ||
				     map.slabs[i].referenced != 0;
		CHECK(bad_state == 0,
		      "%u slabs not free, empty and unreferenced", bad_state);
		CHECK(map.clock_hand == 0, "clock hand %u", map.clock_hand);
		CHECK((1ULL << map.hash_bits) >= map.nr_slots / 4 &&
		      (1ULL << map.hash_bits) < map.nr_slots / 2,
		      "%u slots in %u buckets", map.nr_slots,
		      1U << map.hash_bits);
		for (i = 0; i < map.nr_slots; i++)
			bad_slot += map.slot_oblock[i] != SC_OBLOCK_NONE;
		CHECK(bad_slot == 0, "%u slots not empty", bad_slot);
		for (i = 0; i < 5000; i++)
			hits += slot_of(&map, i) != SC_NIL;
		hits += slot_of(&map, U64_MAX - 1) != SC_NIL;
		hits += slot_of(&map, 1ULL << 63) != SC_NIL;
		hits += slot_of(&map, SC_OBLOCK_NONE) != SC_NIL;
		CHECK(hits == 0, "%u lookups hit an empty map", hits);
		/* handed out in order: the free list is 0, 1, 2, ... */
		for (i = 0; i < sizes[k]; i++)
			pos += snprintf(expect + pos, sizeof(expect) - pos,
					"%s%u", i ? "," : "", i);
		if (sizes[k] <= 64)
			CHECK_FREE(&map, expect, "init");
		CHECK_SOUND(&map, "init");
		free(mem);
	}
}

static void test_alloc_fifo(void)
{
	struct sc_map map;
	void *mem = map_new(&map, 5);
	u32 i, slab;

	for (i = 0; i < 5; i++) {
		slab = sc_map_alloc_slab(&map, NULL, NULL);
		CHECK(slab == i, "alloc #%u gave slab %u", i, slab);
		CHECK(map.slabs[i].state == SC_SLAB_FILLING,
		      "allocated slab %u in state %u", i, map.slabs[i].state);
		CHECK(map.nr_free == 4 - i, "nr_free %u after %u allocs",
		      map.nr_free, i + 1);
		CHECK_SOUND(&map, "alloc");
	}
	slab = sc_map_alloc_slab(&map, NULL, NULL);
	CHECK(slab == SC_NIL, "alloc from an empty free list gave %u", slab);
	CHECK(map.free_head == SC_NIL && map.free_tail == SC_NIL,
	      "empty free list: head %u tail %u", map.free_head,
	      map.free_tail);
	CHECK_SOUND(&map, "alloc on empty");
	free(mem);
}

static void test_fill_lookup(void)
{
	struct sc_map map;
	void *mem = map_new(&map, 4);
	u32 i, wrong = 0, moved;
	u32 s0 = sc_map_alloc_slab(&map, NULL, NULL);
	u32 s1 = sc_map_alloc_slab(&map, NULL, NULL);

	moved = fill_run(&map, s0, 100, SC_SLAB_SIZE);
	CHECK(moved == 0, "fresh fill moved %u", moved);
	moved = fill_run(&map, s1, 1ULL << 40, 5);
	CHECK(moved == 0, "fresh fill moved %u", moved);
	for (i = 0; i < SC_SLAB_SIZE; i++)
		wrong += slot_of(&map, 100 + i) != s0 * SC_SLAB_SIZE + i;
	for (i = 0; i < 5; i++)
		wrong += slot_of(&map, (1ULL << 40) + i) !=
			 s1 * SC_SLAB_SIZE + i;
	CHECK(wrong == 0, "%u blocks not at slab * 16 + index", wrong);
	CHECK(map.slabs[s0].state == SC_SLAB_ACTIVE &&
	      map.slabs[s1].state == SC_SLAB_ACTIVE,
	      "filled slabs in states %u, %u", map.slabs[s0].state,
	      map.slabs[s1].state);
	CHECK(map.slabs[s0].nr_valid == 16 && map.slabs[s1].nr_valid == 5,
	      "nr_valid %u, %u", map.slabs[s0].nr_valid,
	      map.slabs[s1].nr_valid);
	CHECK(map.nr_cached == 21, "nr_cached %u", map.nr_cached);
	CHECK(map.nr_free == 2, "nr_free %u", map.nr_free);
	CHECK(slot_of(&map, 99) == SC_NIL && slot_of(&map, 116) == SC_NIL &&
	      slot_of(&map, (1ULL << 40) + 5) == SC_NIL,
	      "neighbours of cached blocks hit");
	CHECK(map.slot_oblock[s1 * SC_SLAB_SIZE + 5] == SC_OBLOCK_NONE,
	      "slot past a short cluster holds a block");
	CHECK_SOUND(&map, "fill");
	free(mem);
}

static void test_move(void)
{
	struct sc_map map;
	void *mem = map_new(&map, 4);
	sc_oblock_t blocks[SC_SLAB_SIZE];
	u32 s0, s1, s2, s3, moved, i, wrong = 0;

	s0 = sc_map_alloc_slab(&map, NULL, NULL);
	fill_run(&map, s0, 1000, SC_SLAB_SIZE);		/* 1000..1015 */

	/* 3 of s0's blocks re-cached in s1, with 2 new ones */
	s1 = sc_map_alloc_slab(&map, NULL, NULL);
	blocks[0] = to_oblock(7);
	blocks[1] = to_oblock(1003);
	blocks[2] = to_oblock(1000);
	blocks[3] = to_oblock(8);
	blocks[4] = to_oblock(1015);
	moved = sc_map_fill_slab(&map, s1, blocks, 5);
	CHECK(moved == 3, "moved %u, expected 3", moved);
	CHECK(slot_of(&map, 1003) == s1 * 16 + 1 &&
	      slot_of(&map, 1000) == s1 * 16 + 2 &&
	      slot_of(&map, 1015) == s1 * 16 + 4,
	      "moved blocks not found in their new slots");
	CHECK(map.slot_oblock[s0 * 16 + 0] == SC_OBLOCK_NONE &&
	      map.slot_oblock[s0 * 16 + 3] == SC_OBLOCK_NONE &&
	      map.slot_oblock[s0 * 16 + 15] == SC_OBLOCK_NONE,
	      "old slots of moved blocks still hold them");
	CHECK(map.slabs[s0].nr_valid == 13, "old slab nr_valid %u",
	      map.slabs[s0].nr_valid);
	CHECK(map.nr_cached == 18, "nr_cached %u", map.nr_cached);
	CHECK_SOUND(&map, "move");

	/* the other 13 move too: s0 empties and joins the free list's tail */
	s2 = sc_map_alloc_slab(&map, NULL, NULL);
	for (i = 0; i < 13; i++)
		blocks[i] = to_oblock(1001 + i + (i >= 2));	/* skip 1003 */
	moved = sc_map_fill_slab(&map, s2, blocks, 13);
	CHECK(moved == 13, "moved %u, expected 13", moved);
	CHECK(map.slabs[s0].state == SC_SLAB_FREE && map.slabs[s0].nr_valid == 0,
	      "emptied slab: state %u nr_valid %u", map.slabs[s0].state,
	      map.slabs[s0].nr_valid);
	CHECK(map.free_tail == s0, "free tail %u, expected %u", map.free_tail,
	      s0);
	CHECK_FREE(&map, "3,0", "slab emptied by moves");
	for (i = 0; i < 13; i++)
		wrong += slot_of(&map, from_oblock(blocks[i])) != s2 * 16 + i;
	CHECK(wrong == 0, "%u of 13 moved blocks misplaced", wrong);
	CHECK_SOUND(&map, "move empties");

	/* the same block twice in one cluster: the later entry wins */
	s3 = sc_map_alloc_slab(&map, NULL, NULL);
	blocks[0] = to_oblock(50);
	blocks[1] = to_oblock(51);
	blocks[2] = to_oblock(50);
	blocks[3] = to_oblock(50);
	moved = sc_map_fill_slab(&map, s3, blocks, 4);
	CHECK(slot_of(&map, 50) == s3 * 16 + 3, "duplicate found at %u",
	      slot_of(&map, 50));
	CHECK(map.slot_oblock[s3 * 16] == SC_OBLOCK_NONE &&
	      map.slot_oblock[s3 * 16 + 2] == SC_OBLOCK_NONE,
	      "earlier duplicates still hold the block");
	CHECK(map.slabs[s3].nr_valid == 2 &&
	      map.slabs[s3].state == SC_SLAB_ACTIVE,
	      "slab with duplicates: nr_valid %u state %u",
	      map.slabs[s3].nr_valid, map.slabs[s3].state);
	/* each superseded duplicate counts as a move (map.c's behaviour) */
	CHECK(moved == 2, "duplicates: moved %u, expected 2", moved);
	CHECK_SOUND(&map, "duplicates");

	free(mem);

	/* a whole cluster of one block: one slot valid, 15 moves */
	mem = map_new(&map, 2);
	s0 = sc_map_alloc_slab(&map, NULL, NULL);
	for (i = 0; i < SC_SLAB_SIZE; i++)
		blocks[i] = to_oblock(9);
	moved = sc_map_fill_slab(&map, s0, blocks, SC_SLAB_SIZE);
	CHECK(moved == 15 && map.slabs[s0].nr_valid == 1 &&
	      map.slabs[s0].state == SC_SLAB_ACTIVE &&
	      slot_of(&map, 9) == s0 * 16 + 15,
	      "16 x one block: moved %u nr_valid %u state %u slot %u",
	      moved, map.slabs[s0].nr_valid, map.slabs[s0].state,
	      slot_of(&map, 9));
	CHECK_SOUND(&map, "one block 16 times");
	free(mem);
}

static void test_remove(void)
{
	struct sc_map map;
	void *mem = map_new(&map, 4);
	u32 s0, s1;
	bool r;

	s0 = sc_map_alloc_slab(&map, NULL, NULL);
	fill_run(&map, s0, 10, 2);			/* 10, 11 */
	s1 = sc_map_alloc_slab(&map, NULL, NULL);
	fill_run(&map, s1, 20, 1);			/* 20 */
	CHECK_FREE(&map, "2,3", "before remove");

	r = sc_map_remove(&map, to_oblock(10));
	CHECK(r, "remove of a cached block returned false");
	CHECK(slot_of(&map, 10) == SC_NIL, "removed block still found");
	CHECK(slot_of(&map, 11) == s0 * 16 + 1, "neighbour lost");
	CHECK(map.slabs[s0].state == SC_SLAB_ACTIVE &&
	      map.slabs[s0].nr_valid == 1, "half-emptied slab: %u/%u",
	      map.slabs[s0].state, map.slabs[s0].nr_valid);
	r = sc_map_remove(&map, to_oblock(10));
	CHECK(!r, "second remove returned true");
	r = sc_map_remove(&map, to_oblock(12345));
	CHECK(!r, "remove of a never-cached block returned true");
	CHECK(map.nr_cached == 2, "nr_cached %u", map.nr_cached);
	CHECK_FREE(&map, "2,3", "slab not yet empty");

	r = sc_map_remove(&map, to_oblock(11));
	CHECK(r && map.slabs[s0].state == SC_SLAB_FREE,
	      "emptied slab in state %u", map.slabs[s0].state);
	CHECK_FREE(&map, "2,3,0", "emptied slab goes to the end");
	r = sc_map_remove(&map, to_oblock(20));
	CHECK_FREE(&map, "2,3,0,1", "second emptied slab");
	CHECK(map.nr_cached == 0 && map.nr_free == 4, "cached %u free %u",
	      map.nr_cached, map.nr_free);
	CHECK_SOUND(&map, "remove");
	CHECK(sc_map_alloc_slab(&map, NULL, NULL) == 2 &&
	      sc_map_alloc_slab(&map, NULL, NULL) == 3 &&
	      sc_map_alloc_slab(&map, NULL, NULL) == 0 &&
	      sc_map_alloc_slab(&map, NULL, NULL) == 1,
	      "freed slabs not handed out oldest first");
	free(mem);
}

static void test_abort(void)
{
	struct sc_map map;
	void *mem = map_new(&map, 3);
	u32 s0 = sc_map_alloc_slab(&map, NULL, NULL);

	CHECK_FREE(&map, "1,2", "allocated");
	sc_map_abort_slab(&map, s0);
	CHECK(map.slabs[s0].state == SC_SLAB_FREE, "aborted slab state %u",
	      map.slabs[s0].state);
	CHECK(map.nr_free == 3 && map.nr_cached == 0, "free %u cached %u",
	      map.nr_free, map.nr_cached);
	CHECK_FREE(&map, "1,2,0", "aborted slab goes to the end");
	CHECK_SOUND(&map, "abort");
	CHECK(sc_map_alloc_slab(&map, NULL, NULL) == 1, "alloc after abort");

	/* abort with the free list empty */
	sc_map_alloc_slab(&map, NULL, NULL);
	s0 = sc_map_alloc_slab(&map, NULL, NULL);
	CHECK(s0 == 0 && map.nr_free == 0, "slab %u nr_free %u", s0,
	      map.nr_free);
	if (s0 != SC_NIL)
		sc_map_abort_slab(&map, s0);
	CHECK_FREE(&map, "0", "abort onto an empty free list");
	CHECK_SOUND(&map, "abort onto empty");
	free(mem);
}

static void test_evict(void)
{
	struct sc_map map;
	void *mem = map_new(&map, 4);
	u32 s0, s1, s2, n;

	s0 = sc_map_alloc_slab(&map, NULL, NULL);
	fill_run(&map, s0, 100, 7);
	s1 = sc_map_alloc_slab(&map, NULL, NULL);
	fill_run(&map, s1, 200, 16);
	s2 = sc_map_alloc_slab(&map, NULL, NULL);	/* stays FILLING */

	n = sc_map_evict_slab(&map, 3);			/* a free slab */
	CHECK(n == 0, "evict of a free slab dropped %u", n);
	CHECK(map.slabs[3].state == SC_SLAB_FREE, "free slab now %u",
	      map.slabs[3].state);
	CHECK_FREE(&map, "3", "evict of a free slab");
	n = sc_map_evict_slab(&map, s2);
	CHECK(n == 0 && map.slabs[s2].state == SC_SLAB_FILLING,
	      "evict of a filling slab: dropped %u, state %u", n,
	      map.slabs[s2].state);
	CHECK(map.nr_cached == 23 && map.nr_free == 1, "cached %u free %u",
	      map.nr_cached, map.nr_free);
	CHECK_SOUND(&map, "evict no-op");

	n = sc_map_evict_slab(&map, s0);
	CHECK(n == 7, "evict dropped %u, expected 7", n);
	CHECK(map.slabs[s0].state == SC_SLAB_FREE, "evicted state %u",
	      map.slabs[s0].state);
	CHECK(slot_of(&map, 100) == SC_NIL && slot_of(&map, 106) == SC_NIL,
	      "evicted blocks still found");
	CHECK(slot_of(&map, 205) == s1 * 16 + 5, "other slab disturbed");
	CHECK(map.nr_cached == 16, "nr_cached %u", map.nr_cached);
	CHECK_FREE(&map, "3,0", "evicted slab goes to the end");
	n = sc_map_evict_slab(&map, s0);
	CHECK(n == 0, "second evict dropped %u", n);
	CHECK_FREE(&map, "3,0", "second evict");
	CHECK_SOUND(&map, "evict");
	free(mem);
}

/*
 * The same ranges on a small map and on a large one, so that both ways of
 * walking a range (its blocks, or all the slots) see each case.
 */
#define RCHECK(cond, fmt, ...)						\
	CHECK(cond, "%u slabs: " fmt, nr_slabs, ##__VA_ARGS__)
#define RCHECK_SOUND(what)						\
	do {								\
		const char *err_ = check_structure(&map);		\
		RCHECK(!err_, "%s: %s", what, err_);			\
	} while (0)

static void test_remove_range(u32 nr_slabs)
{
	struct sc_map map;
	void *mem = map_new(&map, nr_slabs);
	u32 s;
	u64 n;

	s = sc_map_alloc_slab(&map, NULL, NULL);
	fill_run(&map, s, 0, 16);			/* 0..15 */
	s = sc_map_alloc_slab(&map, NULL, NULL);
	fill_run(&map, s, 16, 16);			/* 16..31 */
	s = sc_map_alloc_slab(&map, NULL, NULL);
	fill_run(&map, s, 1000, 16);			/* 1000..1015 */
	s = sc_map_alloc_slab(&map, NULL, NULL);
	fill_run(&map, s, U64_MAX - 20, 16);		/* ..U64_MAX - 5 */
	s = sc_map_alloc_slab(&map, NULL, NULL);
	fill_run(&map, s, (1ULL << 62) - 3, 6);		/* 2^62 - 3..2^62 + 2 */
	RCHECK(map.nr_cached == 70, "nr_cached %u", map.nr_cached);

	/* short ranges */
	n = sc_map_remove_range(&map, to_oblock(10), 10);
	RCHECK(n == 10, "[10, 20) dropped %llu", n);
	RCHECK(slot_of(&map, 9) == 9 && slot_of(&map, 20) == 16 + 4 &&
	       slot_of(&map, 10) == SC_NIL && slot_of(&map, 19) == SC_NIL,
	       "[10, 20) edges wrong");
	RCHECK(map.nr_cached == 60, "nr_cached %u", map.nr_cached);
	RCHECK_SOUND("short range");
	n = sc_map_remove_range(&map, to_oblock(10), 0);
	RCHECK(n == 0, "empty range dropped %llu", n);
	n = sc_map_remove_range(&map, to_oblock(500), 30);
	RCHECK(n == 0, "uncached range dropped %llu", n);

	/* huge: 2^62 blocks from 1000, always a walk of the slots */
	n = sc_map_remove_range(&map, to_oblock(1000), 1ULL << 62);
	RCHECK(n == 16 + 6, "[1000, 1000 + 2^62) dropped %llu", n);
	RCHECK(slot_of(&map, 1000) == SC_NIL &&
	       slot_of(&map, (1ULL << 62) + 2) == SC_NIL,
	       "huge range left blocks");
	RCHECK(slot_of(&map, 31) == 31 &&
	       slot_of(&map, U64_MAX - 20) == 3 * 16,
	       "huge range dropped blocks outside it");
	RCHECK(map.slabs[2].state == SC_SLAB_FREE &&
	       map.slabs[4].state == SC_SLAB_FREE,
	       "emptied slabs in states %u, %u", map.slabs[2].state,
	       map.slabs[4].state);
	RCHECK(map.nr_cached == 38, "nr_cached %u", map.nr_cached);
	RCHECK_SOUND("huge range");

	/* near the top: first + count wraps; nothing may overflow */
	n = sc_map_remove_range(&map, to_oblock(U64_MAX - 10), 100);
	RCHECK(n == 6, "[U64_MAX - 10, +100) dropped %llu", n);
	RCHECK(slot_of(&map, U64_MAX - 11) == 3 * 16 + 9 &&
	       slot_of(&map, U64_MAX - 10) == SC_NIL,
	       "top range edges wrong");
	RCHECK(map.nr_cached == 32, "nr_cached %u", map.nr_cached);
	RCHECK_SOUND("top range");
	n = sc_map_remove_range(&map, to_oblock(U64_MAX - 13), 5);
	RCHECK(n == 3, "[U64_MAX - 13, +5) dropped %llu", n);
	n = sc_map_remove_range(&map, to_oblock(U64_MAX - 1), 3);
	RCHECK(n == 0, "[U64_MAX - 1, +3) dropped %llu", n);
	n = sc_map_remove_range(&map, to_oblock(U64_MAX), 1);
	RCHECK(n == 0, "[U64_MAX, +1) dropped %llu", n);
	n = sc_map_remove_range(&map, to_oblock(U64_MAX), U64_MAX);
	RCHECK(n == 0, "[U64_MAX, +U64_MAX) dropped %llu", n);
	RCHECK(map.nr_cached == 29, "nr_cached %u", map.nr_cached);
	RCHECK_SOUND("top ranges");
	n = sc_map_remove_range(&map, to_oblock(U64_MAX - 15), 1ULL << 62);
	RCHECK(n == 2, "[U64_MAX - 15, +2^62) dropped %llu", n);

	/* a range between cached blocks */
	n = sc_map_remove_range(&map, to_oblock(U64_MAX - 100), 50);
	RCHECK(n == 0, "range between blocks dropped %llu", n);
	/* everything */
	n = sc_map_remove_range(&map, to_oblock(0), U64_MAX);
	RCHECK(n == 27, "[0, U64_MAX) dropped %llu of 27", n);
	RCHECK(map.nr_cached == 0 && map.nr_free == nr_slabs,
	       "cached %u free %u", map.nr_cached, map.nr_free);
	RCHECK_SOUND("whole range");
	free(mem);
}

#undef RCHECK_SOUND
#undef RCHECK

static void test_clear(void)
{
	struct sc_map map;
	void *mem = map_new(&map, 4);
	u32 s0, s1, s2, n;

	s0 = sc_map_alloc_slab(&map, NULL, NULL);
	fill_run(&map, s0, 0, 16);
	s1 = sc_map_alloc_slab(&map, NULL, NULL);
	fill_run(&map, s1, 100, 3);
	s2 = sc_map_alloc_slab(&map, NULL, NULL);
	n = sc_map_clear(&map);
	CHECK(n == 19, "clear dropped %u", n);
	CHECK(map.nr_cached == 0, "nr_cached %u", map.nr_cached);
	CHECK(map.slabs[s2].state == SC_SLAB_FILLING,
	      "filling slab after clear: state %u", map.slabs[s2].state);
	CHECK_FREE(&map, "3,0,1", "clear");
	CHECK(slot_of(&map, 0) == SC_NIL && slot_of(&map, 101) == SC_NIL,
	      "cleared blocks still found");
	CHECK_SOUND(&map, "clear");
	n = fill_run(&map, s2, 0, 4);
	CHECK(n == 0 && slot_of(&map, 3) == s2 * 16 + 3,
	      "fill after clear: moved %u, slot %u", n, slot_of(&map, 3));
	n = sc_map_clear(&map);
	CHECK(n == 4, "second clear dropped %u", n);
	n = sc_map_clear(&map);
	CHECK(n == 0, "clear of an empty map dropped %u", n);
	CHECK_FREE(&map, "3,0,1,2", "second clear");
	CHECK_SOUND(&map, "clears");
	free(mem);
}

struct busy_ctx {
	u64 busy_mask;		/* bit per slab, slabs 0..63 */
	u32 calls[64];
	u32 nr_calls;
	/*
	 * Set for sc_map_clock_victim(), which may ask only about active
	 * slabs whose referenced bit is clear at that moment.
	 */
	const struct sc_map *map;
	u32 nr_bad;		/* calls about any other slab */
	u32 last;		/* the slab of the last call */
	bool last_busy;		/* and the answer */
};

static bool busy_fn(void *context, u32 slab)
{
	struct busy_ctx *ctx = context;

	if (ctx->nr_calls < 64)
		ctx->calls[ctx->nr_calls] = slab;
	ctx->nr_calls++;
	if (ctx->map && (ctx->map->slabs[slab].state != SC_SLAB_ACTIVE ||
			 ctx->map->slabs[slab].referenced))
		ctx->nr_bad++;
	ctx->last = slab;
	ctx->last_busy = slab < 64 && (ctx->busy_mask >> slab & 1);
	return ctx->last_busy;
}

/* "a,b,c": the slabs busy_fn() was asked about, in order. */
static const char *calls_str(const struct busy_ctx *ctx)
{
	static char buf[512];
	u32 i;
	int pos = 0;

	buf[0] = '\0';
	for (i = 0; i < ctx->nr_calls && i < 64; i++)
		pos += snprintf(buf + pos, sizeof(buf) - pos, "%s%u",
				i ? "," : "", ctx->calls[i]);
	return buf;
}

#define CHECK_CALLS(ctx, expect, what)					\
	CHECK(!strcmp(calls_str(ctx), expect) && !(ctx)->nr_bad,	\
	      "%s: busy asked about [%s] (%u bad), expected [%s]",	\
	      what, calls_str(ctx), (ctx)->nr_bad, expect)

static void test_busy(void)
{
	struct sc_map map;
	void *mem = map_new(&map, 4);
	struct busy_ctx ctx = { .busy_mask = 0x3 };
	u32 slab;

	slab = sc_map_alloc_slab(&map, busy_fn, &ctx);
	CHECK(slab == 2, "busy 0 and 1: alloc gave %u", slab);
	CHECK(ctx.nr_calls == 3 && ctx.calls[0] == 0 && ctx.calls[1] == 1 &&
	      ctx.calls[2] == 2, "busy asked %u times", ctx.nr_calls);
	CHECK_FREE(&map, "3,0,1", "busy slabs requeued");
	CHECK(map.slabs[0].state == SC_SLAB_FREE &&
	      map.slabs[1].state == SC_SLAB_FREE &&
	      map.slabs[2].state == SC_SLAB_FILLING,
	      "states %u %u %u", map.slabs[0].state, map.slabs[1].state,
	      map.slabs[2].state);
	CHECK_SOUND(&map, "busy");

	/* all busy: SC_NIL, list unchanged, each asked once */
	ctx.busy_mask = 0xf;
	ctx.nr_calls = 0;
	slab = sc_map_alloc_slab(&map, busy_fn, &ctx);
	CHECK(slab == SC_NIL, "all busy: alloc gave %u", slab);
	CHECK(ctx.nr_calls == 3, "all busy: asked %u times", ctx.nr_calls);
	CHECK(map.nr_free == 3, "all busy: nr_free %u", map.nr_free);
	CHECK_FREE(&map, "3,0,1", "all busy");
	CHECK_SOUND(&map, "all busy");

	/* not busy: the head, busy asked once */
	ctx.busy_mask = 0;
	ctx.nr_calls = 0;
	slab = sc_map_alloc_slab(&map, busy_fn, &ctx);
	CHECK(slab == 3 && ctx.nr_calls == 1, "none busy: slab %u, %u calls",
	      slab, ctx.nr_calls);
	CHECK_FREE(&map, "0,1", "none busy");

	/* only the tail is free of readers */
	ctx.busy_mask = 1 << 0;
	ctx.nr_calls = 0;
	slab = sc_map_alloc_slab(&map, busy_fn, &ctx);
	CHECK(slab == 1, "busy head: slab %u", slab);
	CHECK_FREE(&map, "0", "busy head requeued");
	slab = sc_map_alloc_slab(&map, busy_fn, &ctx);
	CHECK(slab == SC_NIL, "last free slab busy: gave %u", slab);
	CHECK_FREE(&map, "0", "last free slab busy");
	ctx.busy_mask = 0;
	CHECK(sc_map_alloc_slab(&map, busy_fn, &ctx) == 0, "last slab");

	/* empty free list: busy never asked */
	ctx.nr_calls = 0;
	slab = sc_map_alloc_slab(&map, busy_fn, &ctx);
	CHECK(slab == SC_NIL && ctx.nr_calls == 0,
	      "empty list: slab %u, %u calls", slab, ctx.nr_calls);
	CHECK_SOUND(&map, "busy end");
	free(mem);
}

/* Allocate and fill every slab in order: slab i gets 1 + i % 16 blocks. */
static void fill_all(struct sc_map *map)
{
	u32 i, s;

	for (i = 0; i < map->nr_slabs; i++) {
		s = sc_map_alloc_slab(map, NULL, NULL);
		fill_run(map, s, 1000ULL * s, 1 + s % SC_SLAB_SIZE);
	}
}

/* Victim, evicted at once; checks that the map gave the expected one. */
static void clock_evict(struct sc_map *map, u32 expect, const char *what)
{
	u32 v = sc_map_clock_victim(map, NULL, NULL);

	CHECK(v == expect, "%s: victim %u, expected %u", what, v, expect);
	if (v != SC_NIL)
		sc_map_evict_slab(map, v);
}

/* The CLOCK's point: slabs with recent hits survive a sweep. */
static void test_clock_second_chance(void)
{
	static const u32 cold[] = { 0, 2, 3, 5, 7 };
	struct sc_map map;
	void *mem = map_new(&map, 8);
	u32 i;

	fill_all(&map);
	CHECK_REFS(&map, "00000000", "new slabs start unreferenced");
	CHECK(map.clock_hand == 0, "hand %u", map.clock_hand);
	sc_map_touch_slab(&map, 1);
	sc_map_touch_slab(&map, 4);
	sc_map_touch_slab(&map, 4);
	sc_map_touch_slab(&map, 6);
	CHECK_REFS(&map, "01001010", "touched 1, 4 (twice), 6");

	/* 8 slabs, 3 touched: 5 evictions in a row take the other 5 */
	for (i = 0; i < 5; i++)
		clock_evict(&map, cold[i], "the untouched slabs, in order");
	CHECK(map.slabs[1].state == SC_SLAB_ACTIVE &&
	      map.slabs[4].state == SC_SLAB_ACTIVE &&
	      map.slabs[6].state == SC_SLAB_ACTIVE,
	      "touched slabs evicted: states %u %u %u", map.slabs[1].state,
	      map.slabs[4].state, map.slabs[6].state);
	CHECK_REFS(&map, "00000000", "the sweep spent their second chance");
	CHECK(map.clock_hand == 0, "hand %u past victim 7", map.clock_hand);
	CHECK_FREE(&map, "0,2,3,5,7", "evicted in the hand's order");
	CHECK_SOUND(&map, "second chance");

	/* no more chances without a new hit; 4 earns one */
	sc_map_touch_slab(&map, 4);
	clock_evict(&map, 1, "no hit since the sweep");
	CHECK(map.clock_hand == 2, "hand %u", map.clock_hand);
	clock_evict(&map, 6, "4 hit again");
	CHECK(map.clock_hand == 7, "hand %u", map.clock_hand);
	CHECK_REFS(&map, "00000000", "4's new bit spent");
	clock_evict(&map, 4, "last active, across the wrap");
	CHECK(map.clock_hand == 5, "hand %u", map.clock_hand);
	clock_evict(&map, SC_NIL, "nothing active");
	CHECK(map.clock_hand == 5, "hand moved to %u after two full turns",
	      map.clock_hand);
	CHECK(map.nr_cached == 0 && map.nr_free == 8, "cached %u free %u",
	      map.nr_cached, map.nr_free);
	CHECK_SOUND(&map, "swept clean");
	free(mem);
}

static void test_clock_skip(void)
{
	struct sc_map map;
	void *mem = map_new(&map, 6);
	struct busy_ctx ctx = { .map = &map };
	u32 i, v;

	for (i = 0; i < 6; i++)
		sc_map_alloc_slab(&map, NULL, NULL);
	fill_run(&map, 1, 10, 3);
	fill_run(&map, 3, 30, 16);
	fill_run(&map, 4, 40, 1);
	sc_map_abort_slab(&map, 5);
	/* 0, 2 filling, 5 free; stray touches on them (a late reader) */
	sc_map_touch_slab(&map, 0);
	sc_map_touch_slab(&map, 5);
	CHECK_REFS(&map, "100001", "stray touches");

	v = sc_map_clock_victim(&map, busy_fn, &ctx);
	CHECK(v == 1 && map.clock_hand == 2, "victim %u hand %u, expected 1 2",
	      v, map.clock_hand);
	CHECK_CALLS(&ctx, "1", "filling slab 0 passed over");
	CHECK_REFS(&map, "100001", "bits of inactive slabs left alone");
	ctx.nr_calls = 0;
	v = sc_map_clock_victim(&map, busy_fn, &ctx);
	CHECK(v == 3 && map.clock_hand == 4, "victim %u hand %u, expected 3 4",
	      v, map.clock_hand);
	CHECK_CALLS(&ctx, "3", "filling slab 2 passed over");
	ctx.nr_calls = 0;
	v = sc_map_clock_victim(&map, busy_fn, &ctx);
	CHECK(v == 4, "victim %u, expected 4", v);
	/* a victim not evicted is just passed: the hand goes round */
	ctx.nr_calls = 0;
	v = sc_map_clock_victim(&map, busy_fn, &ctx);
	CHECK(v == 1 && map.clock_hand == 2, "victim %u hand %u, expected 1 2",
	      v, map.clock_hand);
	CHECK_CALLS(&ctx, "1", "free 5, filling 0 passed over");

	/* a fill forgets a touch from before it */
	fill_run(&map, 0, 0, 2);
	CHECK_REFS(&map, "000001", "filled slab 0 starts unreferenced");
	sc_map_touch_slab(&map, 0);
	v = sc_map_alloc_slab(&map, NULL, NULL);
	CHECK(v == 5, "alloc gave %u", v);
	fill_run(&map, 5, 50, 16);
	CHECK_REFS(&map, "100000", "filled slab 5 starts unreferenced");
	CHECK_SOUND(&map, "clock skip");
	free(mem);
}

static void test_clock_busy(void)
{
	struct sc_map map;
	void *mem = map_new(&map, 4);
	struct busy_ctx ctx = { .map = &map };
	u32 v;

	fill_all(&map);
	sc_map_clock_victim(&map, NULL, NULL);
	sc_map_clock_victim(&map, NULL, NULL);
	CHECK(map.clock_hand == 2, "hand %u", map.clock_hand);

	/* all busy: two turns, every bit cleared, busy asked when clear */
	sc_map_touch_slab(&map, 2);
	sc_map_touch_slab(&map, 0);
	ctx.busy_mask = 0xf;
	v = sc_map_clock_victim(&map, busy_fn, &ctx);
	CHECK(v == SC_NIL, "all busy: victim %u", v);
	CHECK_CALLS(&ctx, "3,1,2,3,0,1", "all busy");
	CHECK_REFS(&map, "0000", "all busy: bits cleared on the first turn");
	CHECK(map.clock_hand == 2, "all busy: hand %u", map.clock_hand);

	/* busy 2 skipped, referenced 3 spared, 0 taken */
	ctx.busy_mask = 1 << 2;
	ctx.nr_calls = 0;
	sc_map_touch_slab(&map, 3);
	v = sc_map_clock_victim(&map, busy_fn, &ctx);
	CHECK(v == 0 && map.clock_hand == 1, "victim %u hand %u, expected 0 1",
	      v, map.clock_hand);
	CHECK_CALLS(&ctx, "2,0", "busy 2, referenced 3");
	CHECK(ctx.last == v && !ctx.last_busy, "victim %u, last asked %u",
	      v, ctx.last);

	/* all referenced: a full turn clears them, the hand's slab goes */
	ctx.busy_mask = 0;
	ctx.nr_calls = 0;
	sc_map_touch_slab(&map, 0);
	sc_map_touch_slab(&map, 1);
	sc_map_touch_slab(&map, 2);
	sc_map_touch_slab(&map, 3);
	v = sc_map_clock_victim(&map, busy_fn, &ctx);
	CHECK(v == 1 && map.clock_hand == 2, "all hot: victim %u hand %u",
	      v, map.clock_hand);
	CHECK_CALLS(&ctx, "1", "all hot");
	CHECK_REFS(&map, "0000", "all hot");
	CHECK_SOUND(&map, "clock busy");
	free(mem);

	/* one slab */
	mem = map_new(&map, 1);
	ctx = (struct busy_ctx){ .map = &map };
	v = sc_map_clock_victim(&map, busy_fn, &ctx);
	CHECK(v == SC_NIL && ctx.nr_calls == 0, "empty: victim %u, %u calls",
	      v, ctx.nr_calls);
	fill_all(&map);
	sc_map_touch_slab(&map, 0);
	ctx.busy_mask = 1;
	v = sc_map_clock_victim(&map, busy_fn, &ctx);
	CHECK(v == SC_NIL && map.clock_hand == 0, "busy: victim %u hand %u",
	      v, map.clock_hand);
	CHECK_CALLS(&ctx, "0", "one busy slab, referenced");
	sc_map_touch_slab(&map, 0);
	v = sc_map_clock_victim(&map, NULL, NULL);
	CHECK(v == 0 && map.clock_hand == 0 && !map.slabs[0].referenced,
	      "one slab: victim %u hand %u referenced %u", v,
	      map.clock_hand, map.slabs[0].referenced);
	free(mem);
}

static void test_retire(void)
{
	struct sc_map map;
	void *mem = map_new(&map, 4);
	u32 n, v;

	fill_all(&map);				/* 1, 2, 3, 4 blocks */
	sc_map_evict_slab(&map, 3);
	sc_map_touch_slab(&map, 1);
	n = sc_map_retire_slab(&map, 1);
	CHECK(n == 2, "retire dropped %u, expected 2", n);
	CHECK(map.slabs[1].state == SC_SLAB_DISCARDING &&
	      map.slabs[1].nr_valid == 0,
	      "retired slab: state %u nr_valid %u", map.slabs[1].state,
	      map.slabs[1].nr_valid);
	CHECK(map.nr_cached == 4 && map.nr_free == 1, "cached %u free %u",
	      map.nr_cached, map.nr_free);
	CHECK(slot_of(&map, 1000) == SC_NIL && slot_of(&map, 1001) == SC_NIL,
	      "retired blocks still found");
	CHECK(slot_of(&map, 2001) == 2 * 16 + 1, "other slab disturbed");
	CHECK_FREE(&map, "3", "retired slab not freed");
	CHECK_SOUND(&map, "retire");

	/* not in any state but active: left alone */
	n = sc_map_retire_slab(&map, 1);
	CHECK(n == 0 && map.slabs[1].state == SC_SLAB_DISCARDING,
	      "retire again: dropped %u, state %u", n, map.slabs[1].state);
	n = sc_map_evict_slab(&map, 1);
	CHECK(n == 0 && map.slabs[1].state == SC_SLAB_DISCARDING,
	      "evict of a discarding slab: dropped %u, state %u", n,
	      map.slabs[1].state);
	n = sc_map_retire_slab(&map, 3);
	CHECK(n == 0 && map.slabs[3].state == SC_SLAB_FREE,
	      "retire of a free slab: dropped %u, state %u", n,
	      map.slabs[3].state);
	CHECK_FREE(&map, "3", "retire of a free slab");
	CHECK_SOUND(&map, "retire no-ops");

	/* not allocatable, not a victim, not cleared until aborted */
	v = sc_map_alloc_slab(&map, NULL, NULL);
	CHECK(v == 3, "alloc gave %u", v);
	v = sc_map_alloc_slab(&map, NULL, NULL);
	CHECK(v == SC_NIL, "alloc with only a retired slab left gave %u", v);
	n = sc_map_retire_slab(&map, 3);
	CHECK(n == 0 && map.slabs[3].state == SC_SLAB_FILLING,
	      "retire of a filling slab: dropped %u, state %u", n,
	      map.slabs[3].state);
	v = sc_map_clock_victim(&map, NULL, NULL);
	CHECK(v == 0, "victim %u, expected 0", v);
	v = sc_map_clock_victim(&map, NULL, NULL);
	CHECK(v == 2, "victim %u, expected 2 (retired 1 passed over)", v);
	n = sc_map_clear(&map);
	CHECK(n == 4 && map.slabs[1].state == SC_SLAB_DISCARDING,
	      "clear dropped %u, retired slab in state %u", n,
	      map.slabs[1].state);
	CHECK_FREE(&map, "0,2", "clear leaves the retired slab out");
	CHECK_SOUND(&map, "retired across clear");

	sc_map_abort_slab(&map, 1);
	CHECK(map.slabs[1].state == SC_SLAB_FREE && map.nr_free == 3,
	      "aborted retired slab: state %u, nr_free %u",
	      map.slabs[1].state, map.nr_free);
	CHECK_FREE(&map, "0,2,1", "given back at the tail");
	sc_map_alloc_slab(&map, NULL, NULL);
	sc_map_alloc_slab(&map, NULL, NULL);
	v = sc_map_alloc_slab(&map, NULL, NULL);
	CHECK(v == 1, "alloc after abort gave %u", v);
	fill_run(&map, v, 77, 5);
	CHECK(map.slabs[1].referenced == 0 && slot_of(&map, 81) == 16 + 4,
	      "refilled: referenced %u, slot %u", map.slabs[1].referenced,
	      slot_of(&map, 81));
	CHECK_SOUND(&map, "retire, abort, refill");
	free(mem);
}

/*
 * A hit on a hot slab must not dirty its cache line: with the slab's page
 * read-only, a touch of a referenced slab must not fault.
 */
static sigjmp_buf touch_env;
static int touch_faulted, store_faulted;

static void touch_segv(int sig)
{
	(void)sig;
	siglongjmp(touch_env, 1);
}

/*
 * Every transition of enum sc_slab_state, on one slab, and every call
 * that must leave a state alone, in each state.
 */
static const char *slab_state_name(u8 state)
{
	static const char *const names[] = {
		[SC_SLAB_FREE] = "free",
		[SC_SLAB_FILLING] = "filling",
		[SC_SLAB_ACTIVE] = "active",
		[SC_SLAB_DISCARDING] = "discarding",
	};

	return state < ARRAY_SIZE(names) && names[state] ? names[state] : "?";
}

/* evict and retire do nothing to a slab that is not active */
static void check_inert(struct sc_map *map, u32 slab, const char *when)
{
	u8 state = map->slabs[slab].state;
	u32 n;

	n = sc_map_evict_slab(map, slab);
	CHECK(n == 0 && map->slabs[slab].state == state,
	      "%s: evict of a %s slab dropped %u, left it %s", when,
	      slab_state_name(state), n,
	      slab_state_name(map->slabs[slab].state));
	n = sc_map_retire_slab(map, slab);
	CHECK(n == 0 && map->slabs[slab].state == state,
	      "%s: retire of a %s slab dropped %u, left it %s", when,
	      slab_state_name(state), n,
	      slab_state_name(map->slabs[slab].state));
	CHECK_SOUND(map, when);
}

#define CHECK_STATE(map, slab, want, when)				\
	CHECK((map)->slabs[slab].state == (want), "%s: slab %s, want %s", \
	      when, slab_state_name((map)->slabs[slab].state),		\
	      slab_state_name(want))

static void test_slab_states(void)
{
	struct sc_map map;
	void *mem = map_new(&map, 1);
	sc_oblock_t b = to_oblock(500);
	unsigned long warned;
	u32 s, n;

	CHECK(SC_SLAB_FREE != SC_SLAB_FILLING &&
	      SC_SLAB_FILLING != SC_SLAB_ACTIVE &&
	      SC_SLAB_ACTIVE != SC_SLAB_DISCARDING &&
	      SC_SLAB_DISCARDING != SC_SLAB_FILLING &&
	      SC_SLAB_DISCARDING != SC_SLAB_FREE,
	      "two slab states share a value");
	CHECK_STATE(&map, 0, SC_SLAB_FREE, "new map");
	check_inert(&map, 0, "free");

	/* FREE -> FILLING -> FREE: a cluster that was not entered */
	s = sc_map_alloc_slab(&map, NULL, NULL);
	CHECK(s == 0, "alloc gave %u", s);
	CHECK_STATE(&map, 0, SC_SLAB_FILLING, "alloc");
	check_inert(&map, 0, "filling");
	sc_map_abort_slab(&map, 0);
	CHECK_STATE(&map, 0, SC_SLAB_FREE, "abort of a filling slab");

	/* FILLING -> FREE: a fill of no blocks */
	sc_map_alloc_slab(&map, NULL, NULL);
	sc_map_fill_slab(&map, 0, NULL, 0);
	CHECK_STATE(&map, 0, SC_SLAB_FREE, "fill of 0 blocks");

	/* FILLING -> ACTIVE -> FREE, by its last block's removal */
	sc_map_alloc_slab(&map, NULL, NULL);
	fill_run(&map, 0, 500, 2);
	CHECK_STATE(&map, 0, SC_SLAB_ACTIVE, "fill");
	sc_map_remove(&map, b);
	CHECK_STATE(&map, 0, SC_SLAB_ACTIVE, "remove of one of two");
	sc_map_remove(&map, to_oblock(501));
	CHECK_STATE(&map, 0, SC_SLAB_FREE, "remove of the last block");

	/* ACTIVE -> FREE by eviction */
	sc_map_alloc_slab(&map, NULL, NULL);
	fill_run(&map, 0, 500, 3);
	n = sc_map_evict_slab(&map, 0);
	CHECK(n == 3, "evict dropped %u", n);
	CHECK_STATE(&map, 0, SC_SLAB_FREE, "evict");

	/* ACTIVE -> DISCARDING -> FREE: the cleaner's discard */
	sc_map_alloc_slab(&map, NULL, NULL);
	fill_run(&map, 0, 500, 4);
	n = sc_map_retire_slab(&map, 0);
	CHECK(n == 4 && map.nr_free == 0 && map.nr_cached == 0,
	      "retire dropped %u, nr_free %u, nr_cached %u", n, map.nr_free,
	      map.nr_cached);
	CHECK_STATE(&map, 0, SC_SLAB_DISCARDING, "retire");
	check_inert(&map, 0, "discarding");
	CHECK(sc_map_alloc_slab(&map, NULL, NULL) == SC_NIL,
	      "a discarding slab was handed out");
	sc_map_clear(&map);
	CHECK_STATE(&map, 0, SC_SLAB_DISCARDING, "a walk of everything");
	CHECK(sc_map_clock_victim(&map, NULL, NULL) == SC_NIL,
	      "a discarding slab was picked by the CLOCK");
	sc_map_abort_slab(&map, 0);
	CHECK_STATE(&map, 0, SC_SLAB_FREE, "abort of a discarding slab");
	CHECK(map.nr_free == 1, "nr_free %u after the discard", map.nr_free);

	/* An abort of a free or an active slab is refused, with a warning. */
	warned = sc_shim_warnings;
	sc_map_abort_slab(&map, 0);
	CHECK(sc_shim_warnings == warned + 1 && map.nr_free == 1,
	      "abort of a free slab: %lu warnings, nr_free %u",
	      sc_shim_warnings - warned, map.nr_free);
	CHECK_SOUND(&map, "abort of a free slab");
	sc_map_alloc_slab(&map, NULL, NULL);
	fill_run(&map, 0, 500, 2);
	sc_map_abort_slab(&map, 0);
	CHECK(sc_shim_warnings == warned + 2 && map.nr_free == 0 &&
	      map.nr_cached == 2,
	      "abort of an active slab: %lu warnings, nr_free %u, nr_cached %u",
	      sc_shim_warnings - warned, map.nr_free, map.nr_cached);
	CHECK_STATE(&map, 0, SC_SLAB_ACTIVE, "abort of an active slab");
	CHECK_SOUND(&map, "slab states");
	free(mem);
}

static void test_touch_no_store(void)
{
	size_t page = sysconf(_SC_PAGESIZE);
	size_t bytes = (sc_map_bytes(4) + page - 1) & ~(page - 1);
	struct sigaction sa = { .sa_handler = touch_segv }, old;
	struct sc_map map;
	void *mem, *guard;
	u32 s;

	mem = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED) {
		perror("mmap");
		exit(2);
	}
	sc_map_init(&map, 4, mem);
	s = sc_map_alloc_slab(&map, NULL, NULL);
	fill_run(&map, s, 0, 4);
	sc_map_touch_slab(&map, s);
	CHECK(map.slabs[s].referenced == 1, "touch: referenced %u",
	      map.slabs[s].referenced);

	guard = (void *)((uintptr_t)&map.slabs[s] & ~(uintptr_t)(page - 1));
	sigaction(SIGSEGV, &sa, &old);
	if (mprotect(guard, page, PROT_READ)) {
		perror("mprotect");
		exit(2);
	}
	if (!sigsetjmp(touch_env, 1))
		sc_map_touch_slab(&map, s);
	else
		touch_faulted = 1;
	/* and the guard works: a store there does fault */
	if (!sigsetjmp(touch_env, 1))
		WRITE_ONCE(map.slabs[s].referenced, 1);
	else
		store_faulted = 1;
	mprotect(guard, page, PROT_READ | PROT_WRITE);
	sigaction(SIGSEGV, &old, NULL);
	CHECK(!touch_faulted, "touch of a referenced slab stored to it");
	CHECK(store_faulted, "a store to the read-only page did not fault");
	munmap(mem, bytes);
}

static void test_bytes(void)
{
	static const u32 sizes[] = { 1, 16, 1024, 65536 };
	size_t prev = 0;
	unsigned int k;
	u32 n;

	for (k = 0; k < ARRAY_SIZE(sizes); k++) {
		size_t bytes = sc_map_bytes(sizes[k]);
		size_t slots = (size_t)sizes[k] * SC_SLAB_SIZE;
		struct sc_map map;
		void *mem;
		u32 s;

		printf("map: %u slabs (%zu slots): %zu bytes, %.2f bytes/slot\n",
		       sizes[k], slots, bytes, (double)bytes / slots);
		CHECK(bytes <= 16 * slots + 64, "%u slabs: %zu bytes",
		      sizes[k], bytes);
		CHECK(bytes >= 12 * slots + 8 * sizes[k],
		      "%u slabs: %zu bytes, too few for the arrays", sizes[k],
		      bytes);
		CHECK(bytes > prev, "%u slabs: %zu bytes, not more than %zu",
		      sizes[k], bytes, prev);
		prev = bytes;
		/* the layout fits in it, and works at size */
		mem = map_new(&map, sizes[k]);
		CHECK((char *)(map.buckets + (1UL << map.hash_bits)) <=
		      (char *)mem + bytes &&
		      (void *)map.slot_oblock >= mem &&
		      (char *)(map.slabs + map.nr_slabs) <= (char *)map.slot_next &&
		      (char *)(map.slot_next + map.nr_slots) <=
		      (char *)map.buckets,
		      "%u slabs: arrays overlap or overrun", sizes[k]);
		s = sc_map_alloc_slab(&map, NULL, NULL);
		fill_run(&map, s, 12345, 16);
		CHECK(slot_of(&map, 12350) == s * 16 + 5, "lookup at size %u",
		      sizes[k]);
		CHECK_SOUND(&map, "large map");
		free(mem);
	}
	/*
	 * Exactly the layout map.h describes, up to the largest map: a
	 * bucket per four slots, rounded up to a power of two.
	 */
	for (n = 1; n <= SC_MAP_MAX_SLABS; n = n < 300 ? n + 1 : n * 3 + 1) {
		u64 slots = (u64)n * SC_SLAB_SIZE, buckets = 1;

		while (buckets < slots / 4)
			buckets *= 2;
		CHECK(sc_map_bytes(n) == slots * 12 + 8 * (u64)n +
		      8 * (((u64)n + 63) / 64) + 4 * buckets,
		      "bytes(%u) %zu", n, sc_map_bytes(n));
	}
	CHECK(sc_map_bytes(SC_MAP_MAX_SLABS) ==
	      (u64)SC_MAP_MAX_SLABS * (12 * SC_SLAB_SIZE + 8) +
	      8 * ((SC_MAP_MAX_SLABS + 63ULL) / 64) + 4 * (1ULL << 30),
	      "bytes(SC_MAP_MAX_SLABS) %zu", sc_map_bytes(SC_MAP_MAX_SLABS));
	/* any size: at most 16 bytes a slot and a small constant */
	for (n = 1; n < 5000; n += 1 + n / 8)
		CHECK(sc_map_bytes(n) <= 16 * (size_t)n * SC_SLAB_SIZE + 64,
		      "bytes(%u) %zu", n, sc_map_bytes(n));
	/* roughly linear: doubling the slabs at most doubles the bytes + c */
	for (n = 1; n <= 1U << 20; n <<= 1)
		CHECK(sc_map_bytes(2 * n) <= 2 * sc_map_bytes(n) + 64 &&
		      sc_map_bytes(2 * n) >= 2 * sc_map_bytes(n) - 64 &&
		      sc_map_bytes(n) <= 16 * (size_t)n * SC_SLAB_SIZE + 64,
		      "bytes(%u) %zu, bytes(%u) %zu", n, sc_map_bytes(n),
		      2 * n, sc_map_bytes(2 * n));
}

/* ------------------------------------------------------------------ */
/* Randomized differential test                                       */

#define UNIV		4096		/* origin blocks the test uses */
#define UNIV_DENSE	4032		/* 0..4031, then 64 far ones */
#define MAX_PENDING	4

static u64 univ[UNIV];

static void univ_init(void)
{
	u32 i;

	for (i = 0; i < UNIV_DENSE; i++)
		univ[i] = i;
	for (i = 0; i < 32; i++)		/* below U64_MAX, which is NONE */
		univ[UNIV_DENSE + i] = U64_MAX - 1 - 3 * i;
	for (i = 0; i < 32; i++)
		univ[UNIV_DENSE + 32 + i] = (1ULL << 63) - 16 + i;
}

static u64 rng_state;

static u64 rnd(void)
{
	/* xorshift64* */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545F4914F6CDD1DULL;
}

static u32 rnd_below(u32 n)
{
	return (u32)((rnd() >> 32) % n);
}

struct model {
	u32 nr_slabs, nr_slots, cached;
	u32 slot_of[UNIV];	/* universe index -> slot or SC_NIL */
	u32 *slot_idx;		/* slot -> universe index or SC_NIL */
	u8 *state, *nr_valid;
	u32 *queue, qlen;	/* the free list, oldest first */
	u32 *freed, nr_freed;	/* slabs freed by this op, in any order */
	u8 *ref;		/* the CLOCK's referenced bits */
	u32 hand;		/* and its hand */
};

static void model_init(struct model *m, u32 nr_slabs)
{
	u32 i;

	m->nr_slabs = nr_slabs;
	m->nr_slots = nr_slabs * SC_SLAB_SIZE;
	m->cached = 0;
	for (i = 0; i < UNIV; i++)
		m->slot_of[i] = SC_NIL;
	m->slot_idx = malloc(m->nr_slots * sizeof(u32));
	for (i = 0; i < m->nr_slots; i++)
		m->slot_idx[i] = SC_NIL;
	m->state = calloc(nr_slabs, 1);
	m->nr_valid = calloc(nr_slabs, 1);
	m->ref = calloc(nr_slabs, 1);
	m->hand = 0;
	m->queue = malloc(nr_slabs * sizeof(u32));
	m->freed = malloc(nr_slabs * sizeof(u32));
	for (i = 0; i < nr_slabs; i++) {
		m->state[i] = SC_SLAB_FREE;
		m->queue[i] = i;
	}
	m->qlen = nr_slabs;
	m->nr_freed = 0;
}

static void model_free(struct model *m)
{
	free(m->slot_idx);
	free(m->state);
	free(m->nr_valid);
	free(m->queue);
	free(m->freed);
	free(m->ref);
}

static void model_unlink(struct model *m, u32 slot)
{
	u32 slab = slot / SC_SLAB_SIZE;

	m->slot_of[m->slot_idx[slot]] = SC_NIL;
	m->slot_idx[slot] = SC_NIL;
	m->cached--;
	if (--m->nr_valid[slab] == 0 && m->state[slab] == SC_SLAB_ACTIVE) {
		m->state[slab] = SC_SLAB_FREE;
		m->freed[m->nr_freed++] = slab;
	}
}

/* Remove slab from the model's queue (it was handed out). */
static void model_queue_take(struct model *m, u32 pos)
{
	memmove(&m->queue[pos], &m->queue[pos + 1],
		(m->qlen - pos - 1) * sizeof(u32));
	m->qlen--;
}

static u32 model_fill(struct model *m, u32 slab, const u32 *idx, u32 count)
{
	u32 i, moved = 0;

	for (i = 0; i < count; i++) {
		u32 slot = slab * SC_SLAB_SIZE + i;

		if (m->slot_of[idx[i]] != SC_NIL) {
			model_unlink(m, m->slot_of[idx[i]]);
			moved++;
		}
		m->slot_of[idx[i]] = slot;
		m->slot_idx[slot] = idx[i];
		m->nr_valid[slab]++;
		m->cached++;
	}
	m->state[slab] = SC_SLAB_ACTIVE;
	m->ref[slab] = 0;
	return moved;
}

static u32 model_evict(struct model *m, u32 slab)
{
	u32 i, n = 0;

	if (m->state[slab] != SC_SLAB_ACTIVE)
		return 0;
	for (i = 0; i < SC_SLAB_SIZE; i++)
		if (m->slot_idx[slab * SC_SLAB_SIZE + i] != SC_NIL) {
			model_unlink(m, slab * SC_SLAB_SIZE + i);
			n++;
		}
	return n;
}

/* An eviction whose slab, freed with its last block, is taken back. */
static u32 model_retire(struct model *m, u32 slab)
{
	u32 n = model_evict(m, slab);

	if (n) {
		m->nr_freed--;		/* the last freed: @slab */
		m->state[slab] = SC_SLAB_DISCARDING;
	}
	return n;
}

static bool model_busy(u64 busy_mask, u32 slab)
{
	return slab < 64 && (busy_mask >> slab & 1);
}

/*
 * The CLOCK as a spec rather than a loop.  In the hand's order: the victim
 * is the first active, unreferenced, idle slab, and the active slabs
 * before it lose their bits; if there is none, every active slab loses its
 * bit and the victim is the first active idle one, or there is none.
 * @calls: how often busy() is asked, when it is given.
 */
static u32 model_clock(struct model *m, u64 busy_mask, u32 *calls)
{
	u32 n = m->nr_slabs, k, slab, victim = SC_NIL;

	*calls = 0;
	for (k = 0; k < n && victim == SC_NIL; k++) {
		slab = (m->hand + k) % n;
		if (m->state[slab] == SC_SLAB_ACTIVE && !m->ref[slab]) {
			++*calls;
			if (!model_busy(busy_mask, slab))
				victim = slab;
		}
	}
	if (victim != SC_NIL) {
		for (k = 0; (m->hand + k) % n != victim; k++)
			if (m->state[(m->hand + k) % n] == SC_SLAB_ACTIVE)
				m->ref[(m->hand + k) % n] = 0;
		m->hand = (victim + 1) % n;
		return victim;
	}
	for (slab = 0; slab < n; slab++)
		if (m->state[slab] == SC_SLAB_ACTIVE)
			m->ref[slab] = 0;
	for (k = 0; k < n && victim == SC_NIL; k++) {
		slab = (m->hand + k) % n;
		if (m->state[slab] == SC_SLAB_ACTIVE) {
			++*calls;
			if (!model_busy(busy_mask, slab))
				victim = slab;
		}
	}
	if (victim != SC_NIL)
		m->hand = (victim + 1) % n;
	return victim;
}

/*
 * The map's slabs and slots against the model, every universe block's
 * lookup against the model.
 */
static const char *check_model_contents(const struct sc_map *map,
					const struct model *m)
{
	u32 i;

	if (map->nr_cached != m->cached)
		return fail("nr_cached %u, model %u", map->nr_cached, m->cached);
	if (map->clock_hand != m->hand)
		return fail("clock hand %u, model %u", map->clock_hand,
			    m->hand);
	for (i = 0; i < m->nr_slabs; i++)
		if (map->slabs[i].state != m->state[i] ||
		    map->slabs[i].nr_valid != m->nr_valid[i] ||
		    map->slabs[i].referenced != m->ref[i])
			return fail("slab %u: state %u nr_valid %u referenced"
				    " %u, model %u %u %u", i,
				    map->slabs[i].state,
				    map->slabs[i].nr_valid,
				    map->slabs[i].referenced, m->state[i],
				    m->nr_valid[i], m->ref[i]);
	for (i = 0; i < m->nr_slots; i++) {
		u64 want = m->slot_idx[i] == SC_NIL ? SC_OBLOCK_NONE :
			   univ[m->slot_idx[i]];

		if (map->slot_oblock[i] != want)
			return fail("slot %u holds %llu, model %llu",
				    i, map->slot_oblock[i], want);
	}
	for (i = 0; i < UNIV; i++) {
		u32 got = slot_of(map, univ[i]);

		if (got != m->slot_of[i])
			return fail("lookup(%llu) = %u, model %u",
				    univ[i], got, m->slot_of[i]);
	}
	return NULL;
}

/*
 * The map's free list (already walked into @list) must be the model's
 * queue followed by the slabs this op freed, those in any order; then the
 * model adopts that order.
 */
static const char *check_model_free(const u32 *list, u32 len,
				    struct model *m)
{
	u32 i, j;

	if (len != m->qlen + m->nr_freed)
		return fail("free list holds %u, model %u + %u freed", len,
			    m->qlen, m->nr_freed);
	for (i = 0; i < m->qlen; i++)
		if (list[i] != m->queue[i])
			return fail("free list[%u] = %u, model %u", i, list[i],
				    m->queue[i]);
	for (i = m->qlen; i < len; i++) {
		for (j = 0; j < m->nr_freed; j++)
			if (m->freed[j] == list[i])
				break;
		if (j == m->nr_freed)
			return fail("free list[%u] = %u, not one just freed", i,
				    list[i]);
		m->freed[j] = m->freed[--m->nr_freed];
		m->queue[m->qlen++] = list[i];
	}
	return NULL;
}

static u32 rnd_idx(u32 hot)
{
	if (rnd_below(10) == 0)
		return UNIV_DENSE + rnd_below(UNIV - UNIV_DENSE);
	return rnd_below(hot);
}

struct seed_run {
	u64 seed;
	u32 nr_slabs;
	u32 hot;	/* blocks drawn mostly from univ[0..hot) */
};

static const struct seed_run runs[] = {
	{ 1, 1, 40 },
	{ 2, 2, 24 },
	{ 3, 3, 200 },
	{ 0x5eed, 5, 64 },
	{ 42, 8, 4032 },
	{ 1234567, 16, 300 },
	{ 0xdeadbeef, 33, 1000 },
	{ 0xc0ffee, 64, 700 },
	{ 271828, 64, 4032 },
	{ 314159, 13, 150 },
	{ 0xfeedface, 1024, 4032 },	/* large: never full, short walks */
	{ 577215, 512, 300 },
};

#define OPS_PER_SEED 4000

/*
 * Some busy slabs among 0..63: none, about a third, two thirds, or all.
 */
static u64 rnd_busy_mask(u32 nr_slabs)
{
	u32 p = rnd_below(4), i;
	u64 mask = 0;

	for (i = 0; i < 64 && i < nr_slabs; i++)
		if (rnd_below(3) < p)
			mask |= 1ULL << i;
	return mask;
}

/* A random active slab, mostly; now and then one in any state. */
static u32 rnd_slab(const struct model *m)
{
	u32 slab = rnd_below(m->nr_slabs), i;

	for (i = 0; i < 4 && rnd_below(3) && m->state[slab] != SC_SLAB_ACTIVE;
	     i++)
		slab = rnd_below(m->nr_slabs);
	return slab;
}

/* Give back retired[i], as the kernel does once its range is discarded. */
static void abort_retired(struct sc_map *map, struct model *m, u32 *retired,
			  u32 *nr_retired, u32 i)
{
	u32 slab = retired[i];

	retired[i] = retired[--*nr_retired];
	sc_map_abort_slab(map, slab);
	m->state[slab] = SC_SLAB_FREE;
	m->freed[m->nr_freed++] = slab;
}

/*
 * sc_map_clock_victim()'s contract, apart from the model, given the state
 * before the call (@pre_ref, and the model's states, which the call does
 * not change).  Return: NULL, or what it broke.
 */
static const char *check_victim(const struct sc_map *map,
				const struct model *m, const u8 *pre_ref,
				const struct busy_ctx *ctx, bool use_busy,
				u32 victim)
{
	u64 mask = use_busy ? ctx->busy_mask : 0;
	bool eligible = false, cold = false;
	u32 i;

	for (i = 0; i < m->nr_slabs; i++) {
		if (m->state[i] != SC_SLAB_ACTIVE || model_busy(mask, i))
			continue;
		eligible = true;
		cold = cold || !pre_ref[i];
	}
	if (ctx->nr_bad)
		return fail("busy asked %u times about an inactive or"
			    " referenced slab", ctx->nr_bad);
	if (victim == SC_NIL) {
		if (eligible)
			return fail("no victim, but an active idle slab");
		for (i = 0; i < m->nr_slabs; i++)
			if (m->state[i] == SC_SLAB_ACTIVE &&
			    map->slabs[i].referenced)
				return fail("no victim, slab %u referenced",
					    i);
		return NULL;
	}
	if (victim >= m->nr_slabs || m->state[victim] != SC_SLAB_ACTIVE)
		return fail("victim %u not active", victim);
	if (model_busy(mask, victim))
		return fail("victim %u busy", victim);
	if (use_busy && (ctx->last != victim || ctx->last_busy))
		return fail("victim %u, busy last asked about %u", victim,
			    ctx->last);
	if (cold && pre_ref[victim])
		return fail("victim %u had a hit, and a cold slab was there",
			    victim);
	return NULL;
}

/* Runs one seed; returns false at its first failure. */
static bool run_seed(const struct seed_run *run)
{
	struct sc_map map;
	struct model m;
	void *mem = map_new(&map, run->nr_slabs);
	u32 *list = malloc(run->nr_slabs * sizeof(u32));
	u32 pending[MAX_PENDING], nr_pending = 0, step;
	u32 retired[MAX_PENDING], nr_retired = 0;
	u8 *pre_ref = malloc(run->nr_slabs);
	u32 stats[12] = { 0 }, nil_allocs = 0;
	bool ok = true;

	rng_state = run->seed * 0x9E3779B97F4A7C15ULL + 1;
	model_init(&m, run->nr_slabs);

	for (step = 0; step < OPS_PER_SEED && ok; step++) {
		u32 r = rnd_below(120), slab, i;
		char op[160];
		const char *err, *prop_err = NULL;
		u32 len;
		bool ret_ok = true;

		m.nr_freed = 0;
		/* a full cache mostly cleans, as the kernel would */
		if (r < 45 && !m.qlen && rnd_below(3))
			r = rnd_below(3) ? 110 : 95;
		if (r < 45) {
			/* alloc, maybe with busy slabs; usually fill now */
			struct busy_ctx ctx = { 0 };
			bool use_busy = rnd_below(3) == 0;
			u32 want = SC_NIL, k, nr_passed = 0, passed[64];

			if (nr_pending == MAX_PENDING) {
				slab = pending[--nr_pending];
				snprintf(op, sizeof(op), "abort %u", slab);
				sc_map_abort_slab(&map, slab);
				m.state[slab] = SC_SLAB_FREE;
				m.freed[m.nr_freed++] = slab;
				stats[1]++;
				goto checks;
			}
			if (use_busy)
				ctx.busy_mask = rnd_busy_mask(run->nr_slabs);
			for (k = 0; k < m.qlen; k++) {
				u32 s = m.queue[k];

				if (use_busy && s < 64 && (ctx.busy_mask >> s & 1)) {
					passed[nr_passed++] = s;
					continue;
				}
				want = s;
				break;
			}
			slab = sc_map_alloc_slab(&map, use_busy ? busy_fn :
						 NULL, &ctx);
			snprintf(op, sizeof(op),
				 "alloc (busy %s, mask %#llx) -> %u, model %u",
				 use_busy ? "on" : "off", ctx.busy_mask, slab,
				 want);
			ret_ok = slab == want;
			if (use_busy) {
				/* asked about each slab up to the one given */
				u32 asked = want == SC_NIL ? m.qlen : k + 1;

				ret_ok = ret_ok && ctx.nr_calls == asked;
				for (i = 0; ret_ok && i < asked && i < 64; i++)
					ret_ok = ctx.calls[i] == m.queue[i];
			}
			for (i = 0; i < nr_retired; i++)
				if (slab == retired[i])
					prop_err = "a retired slab allocated";
			if (want != SC_NIL) {
				/* passed-over slabs go to the tail in order */
				for (i = 0; i <= k; i++)
					model_queue_take(&m, 0);
				for (i = 0; i < nr_passed; i++)
					m.queue[m.qlen++] = passed[i];
				m.state[want] = SC_SLAB_FILLING;
				pending[nr_pending++] = want;
				stats[0]++;
			} else {
				nil_allocs++;
			}
			if (want == SC_NIL || rnd_below(10) < 3)
				goto checks;
			/* fall into a fill of what was just allocated */
			r = 0;
		}
		if (r < 55) {
			/* fill a pending slab, sometimes with duplicates */
			u32 idx[SC_SLAB_SIZE], count, pick, moved, want;
			sc_oblock_t blocks[SC_SLAB_SIZE];
			u32 pool[3];
			bool dups = rnd_below(5) == 0;

			if (!nr_pending) {
				snprintf(op, sizeof(op), "nothing to fill");
				goto checks;
			}
			pick = r == 0 ? nr_pending - 1 : rnd_below(nr_pending);
			slab = pending[pick];
			pending[pick] = pending[--nr_pending];
			count = 1 + rnd_below(SC_SLAB_SIZE);
			for (i = 0; i < 3; i++)
				pool[i] = rnd_idx(run->hot);
			for (i = 0; i < count; i++) {
				idx[i] = dups ? pool[rnd_below(3)] :
				     rnd_idx(run->hot);
				blocks[i] = to_oblock(univ[idx[i]]);
			}
			moved = sc_map_fill_slab(&map, slab, blocks, count);
			want = model_fill(&m, slab, idx, count);
			snprintf(op, sizeof(op),
				 "fill slab %u, %u blocks from %llu"
				 "%s -> moved %u, model %u", slab, count,
				 univ[idx[0]], dups ? " (dups)" : "", moved,
				 want);
			ret_ok = moved == want;
			stats[2]++;
		} else if (r < 60) {
			/* abort a pending slab */
			if (!nr_pending) {
				snprintf(op, sizeof(op), "nothing to abort");
				goto checks;
			}
			i = rnd_below(nr_pending);
			slab = pending[i];
			pending[i] = pending[--nr_pending];
			sc_map_abort_slab(&map, slab);
			snprintf(op, sizeof(op), "abort %u", slab);
			m.state[slab] = SC_SLAB_FREE;
			m.freed[m.nr_freed++] = slab;
			stats[1]++;
		} else if (r < 78) {
			/* remove one block, usually a cached one */
			u32 ix = rnd_idx(run->hot);
			bool got, want;

			if (m.cached && rnd_below(3)) {
				u32 s;

				do
					s = rnd_below(m.nr_slots);
				while (m.slot_idx[s] == SC_NIL);
				ix = m.slot_idx[s];
			}
			want = m.slot_of[ix] != SC_NIL;
			got = sc_map_remove(&map, to_oblock(univ[ix]));
			if (want)
				model_unlink(&m, m.slot_of[ix]);
			snprintf(op, sizeof(op), "remove %llu -> %d, model %d",
				 univ[ix], got, want);
			ret_ok = got == want;
			stats[3]++;
		} else if (r < 92) {
			/* remove a range: short, long, or at the top */
			u64 first, count, got, want = 0;
			u32 kind = rnd_below(6);

			switch (kind) {
			case 0:
			case 1:		/* short, within the hot blocks */
				first = univ[rnd_below(run->hot)];
				count = 1 + rnd_below(40);
				break;
			case 2:
				/*
				 * Around where a walk of the range could give
				 * way to a walk of the slots: nr_cached, or
				 * a fraction of nr_slots (map.c: 1/256).
				 */
				first = rnd_below(run->hot);
				count = rnd_below(2) ? m.cached :
					m.nr_slots >> rnd_below(10);
				count += rnd_below(5);
				count = count >= 2 ? count - 2 : 0;
				break;
			case 3:		/* long */
				first = rnd_below(run->hot);
				count = rnd_below(2) ? 1ULL << 62 :
					rnd_below(UNIV_DENSE) + 1;
				break;
			case 4:		/* near U64_MAX */
				first = U64_MAX - rnd_below(200);
				count = rnd_below(2) ? 1 + rnd_below(300) :
					rnd() >> rnd_below(64);
				break;
			default:	/* around 2^63, or all */
				first = (1ULL << 63) - rnd_below(40);
				count = rnd_below(8) ? 1 + rnd_below(60) :
					U64_MAX;
				if (rnd_below(10) == 0)
					first = 0;
				break;
			}
			if (rnd_below(2)) {
				got = sc_map_remove_range(&map,
							  to_oblock(first),
							  count);
			} else {
				u32 budget = 1 + rnd_below(5);

				walk_all(&map, first, count, budget, &got);
			}
			for (i = 0; i < UNIV; i++)
				if (univ[i] >= first && univ[i] - first < count &&
				    m.slot_of[i] != SC_NIL) {
					model_unlink(&m, m.slot_of[i]);
					want++;
				}
			snprintf(op, sizeof(op),
				 "remove_range(%llu, %llu"
				 ") -> %llu, model %llu", first,
				 count, got, want);
			ret_ok = got == want;
			stats[4]++;
		} else if (r < 99) {
			/* evict any slab, in whatever state */
			u32 got, want, state;

			slab = rnd_slab(&m);
			state = map.slabs[slab].state;
			got = sc_map_evict_slab(&map, slab);
			want = model_evict(&m, slab);
			snprintf(op, sizeof(op), "evict %u (state %u) -> %u, model %u",
				 slab, state, got, want);
			ret_ok = got == want;
			stats[5]++;
		} else if (r < 100) {
			u32 got, want = 0;

			got = sc_map_clear(&map);
			for (slab = 0; slab < run->nr_slabs; slab++)
				want += model_evict(&m, slab);
			snprintf(op, sizeof(op), "clear -> %u, model %u", got,
				 want);
			ret_ok = got == want;
			stats[6]++;
		} else if (r < 110) {
			/* hits: look blocks up and touch their slabs */
			u32 n = 1 + rnd_below(8), hits = 0;

			for (i = 0; i < n; i++) {
				u32 ix = rnd_idx(run->hot), got, s;

				if (m.cached && rnd_below(2)) {
					do
						s = rnd_below(m.nr_slots);
					while (m.slot_idx[s] == SC_NIL);
					ix = m.slot_idx[s];
				}
				got = slot_of(&map, univ[ix]);
				ret_ok = ret_ok && got == m.slot_of[ix];
				if (got == SC_NIL)
					continue;
				sc_map_touch_slab(&map, got / SC_SLAB_SIZE);
				m.ref[got / SC_SLAB_SIZE] = 1;
				hits++;
			}
			/* a reader that touches late, the slab since gone */
			slab = SC_NIL;
			if (rnd_below(8) == 0) {
				slab = rnd_below(run->nr_slabs);
				sc_map_touch_slab(&map, slab);
				m.ref[slab] = 1;
			}
			snprintf(op, sizeof(op),
				 "touch: %u hits of %u, stray %d", hits, n,
				 (int)slab);
			stats[7]++;
		} else if (r < 116) {
			/* the cleaner: a victim, then evict, retire or keep */
			struct busy_ctx ctx = { .map = &map };
			bool use_busy = rnd_below(3) == 0;
			u32 got, want, calls, what = rnd_below(20), n, nwant;
			const char *then = "kept";

			if (use_busy)
				ctx.busy_mask = rnd_busy_mask(run->nr_slabs);
			memcpy(pre_ref, m.ref, run->nr_slabs);
			got = sc_map_clock_victim(&map, use_busy ? busy_fn :
						  NULL, &ctx);
			want = model_clock(&m, use_busy ? ctx.busy_mask : 0,
					   &calls);
			prop_err = check_victim(&map, &m, pre_ref, &ctx,
						use_busy, got);
			ret_ok = got == want &&
				 (!use_busy || ctx.nr_calls == calls);
			stats[got == SC_NIL ? 9 : 8]++;
			if (ret_ok && got != SC_NIL && what < 10) {
				n = sc_map_evict_slab(&map, got);
				nwant = model_evict(&m, got);
				ret_ok = n == nwant && n;
				then = "evicted";
			} else if (ret_ok && got != SC_NIL && what < 17 &&
				   nr_retired < MAX_PENDING) {
				n = sc_map_retire_slab(&map, got);
				nwant = model_retire(&m, got);
				ret_ok = n == nwant && n;
				retired[nr_retired++] = got;
				then = "retired";
				stats[10]++;
			}
			snprintf(op, sizeof(op),
				 "clock victim (busy %s, mask %#llx) -> %u,"
				 " model %u; busy asked %u, model %u; %s",
				 use_busy ? "on" : "off", ctx.busy_mask, got,
				 want, ctx.nr_calls, calls, then);
		} else if (r < 118) {
			/* retire any slab, in whatever state */
			u32 got, want, state;

			if (nr_retired == MAX_PENDING) {
				i = rnd_below(nr_retired);
				snprintf(op, sizeof(op), "abort retired %u",
					 retired[i]);
				abort_retired(&map, &m, retired, &nr_retired,
					      i);
				stats[11]++;
				goto checks;
			}
			slab = rnd_slab(&m);
			state = map.slabs[slab].state;
			got = sc_map_retire_slab(&map, slab);
			want = model_retire(&m, slab);
			if (want)
				retired[nr_retired++] = slab;
			snprintf(op, sizeof(op),
				 "retire %u (state %u) -> %u, model %u", slab,
				 state, got, want);
			ret_ok = got == want;
			stats[10]++;
		} else {
			/* give a retired slab back */
			if (!nr_retired) {
				snprintf(op, sizeof(op), "nothing retired");
				goto checks;
			}
			i = rnd_below(nr_retired);
			snprintf(op, sizeof(op), "abort retired %u",
				 retired[i]);
			abort_retired(&map, &m, retired, &nr_retired, i);
			stats[11]++;
		}
checks:
		/* one CHECK per invariant family per operation */
#define STEP_CHECK(cond, msg)						\
		do {							\
			const char *e_ = (msg);				\
			CHECK(cond, "seed %#llx step %u (%s): %s",	\
			      run->seed, step, op, e_ ? e_ : "");	\
			ok = ok && (cond);				\
		} while (0)
		STEP_CHECK(ret_ok, "return value differs from the model");
		if (!ok)
			break;
		STEP_CHECK(!prop_err, prop_err);
		if (!ok)
			break;
		err = check_slabs(&map);
		STEP_CHECK(!err, err);
		if (!ok)
			break;
		len = 0;
		err = check_free_list(&map, list, &len);
		if (!err)
			err = check_model_free(list, len, &m);
		STEP_CHECK(!err, err);
		if (!ok)
			break;
		err = check_chains(&map);
		STEP_CHECK(!err, err);
		if (!ok)
			break;
		err = check_self_lookup(&map);
		STEP_CHECK(!err, err);
		if (!ok)
			break;
		err = check_model_contents(&map, &m);
		STEP_CHECK(!err, err);
#undef STEP_CHECK
	}
	printf("map: seed %#llx, %u slabs, hot %u: %u steps%s (%u allocs,"
	       " %u NIL, %u fills, %u aborts, %u removes, %u ranges,"
	       " %u evicts, %u clears, %u touches, %u victims, %u NIL,"
	       " %u retires, %u given back)\n",
	       run->seed, run->nr_slabs, run->hot, step, ok ? "" : " FAILED",
	       stats[0], nil_allocs, stats[2], stats[1], stats[3], stats[4],
	       stats[5], stats[6], stats[7], stats[8], stats[9], stats[10],
	       stats[11]);
	model_free(&m);
	free(pre_ref);
	free(list);
	free(mem);
	return ok;
}

/* ------------------------------------------------------------------ */
/* Stepped walks: bounded work per step, right answer across steps     */

/*
 * A large, nearly empty map: slab 0 and the last slab hold blocks.  A
 * removal of a huge range costs the bitmap's words, not the slots; a short
 * range costs its blocks; clearing costs no more than the words.
 */
static void test_walk_sparse(void)
{
	const u32 nr_slabs = 1U << 16, words = nr_slabs / 64;
	struct sc_map map;
	void *mem = map_new(&map, nr_slabs);
	u32 s, steps;
	u64 dropped;

	for (s = 0; s < nr_slabs; s++)
		CHECK(sc_map_alloc_slab(&map, NULL, NULL) == s, "alloc %u", s);
	fill_run(&map, 0, 0, 16);
	fill_run(&map, nr_slabs - 1, 1ULL << 50, 16);
	for (s = 1; s < nr_slabs - 1; s++)
		sc_map_abort_slab(&map, s);
	CHECK_SOUND(&map, "sparse map");

	/* all but the last slab's blocks: the walk passes every word */
	steps = walk_all(&map, 0, 1ULL << 49, SC_MAP_STEP, &dropped);
	CHECK(dropped == 16 && map.nr_cached == 16,
	      "huge range dropped %llu, %u left", dropped, map.nr_cached);
	CHECK(steps <= words / SC_MAP_STEP + 2,
	      "huge range: %u steps of %u for %u bitmap words", steps,
	      SC_MAP_STEP, words);
	CHECK(slot_of(&map, 1ULL << 50) == (nr_slabs - 1) * 16,
	      "block outside the range dropped");
	CHECK_SOUND(&map, "sparse huge range");

	/*
	 * A range shorter than the words and twice the blocks cached
	 * (1024 + 64 here) is looked up: its length in units.
	 */
	fill_run(&map, sc_map_alloc_slab(&map, NULL, NULL), 5000, 16);
	steps = walk_all(&map, 4500, 1000, 300, &dropped);
	CHECK(dropped == 16 && steps == 4,
	      "1000-block range: dropped %llu in %u steps", dropped, steps);
	/* longer: the words, in two steps of SC_MAP_STEP */
	fill_run(&map, sc_map_alloc_slab(&map, NULL, NULL), 5000, 16);
	steps = walk_all(&map, 4000, 3000, SC_MAP_STEP, &dropped);
	CHECK(dropped == 16 && steps == 2,
	      "3000-block range: dropped %llu in %u steps", dropped, steps);

	/* budget 1: one lookup per step */
	fill_run(&map, sc_map_alloc_slab(&map, NULL, NULL), 7000, 16);
	steps = walk_all(&map, 7000, 20, 1, &dropped);
	CHECK(dropped == 16 && steps == 20,
	      "20-block range, budget 1: dropped %llu in %u steps", dropped,
	      steps);

	/* clearing stops at the last active slab's word: all of them here */
	steps = walk_all(&map, 0, U64_MAX, SC_MAP_STEP, &dropped);
	CHECK(dropped == 16 && map.nr_cached == 0 &&
	      steps <= words / SC_MAP_STEP + 2,
	      "clear: dropped %llu in %u steps, %u left", dropped, steps,
	      map.nr_cached);
	/* an empty map: done at once */
	steps = walk_all(&map, 0, U64_MAX, 1, &dropped);
	CHECK(dropped == 0 && steps == 1, "empty: %llu in %u steps", dropped,
	      steps);
	CHECK(map.nr_free == nr_slabs, "nr_free %u", map.nr_free);
	CHECK_SOUND(&map, "sparse cleared");
	free(mem);
}

/*
 * Others at the map between steps, as the kernel lets them: blocks outside
 * the range entered and removed, slabs evicted, CLOCK searches.  Every
 * block of the range present at the start is gone at the end, blocks
 * outside it are untouched by the walk, and the counts add up.
 */
static void test_walk_interleaved(void)
{
	u32 trial;

	rng_state = 0x3a1c;
	for (trial = 0; trial < 300; trial++) {
		u32 nr_slabs = 2 + rnd_below(trial < 150 ? 40 : 300);
		struct sc_map map;
		void *mem = map_new(&map, nr_slabs);
		u64 first = rnd_below(2000), count, gone_in = 0, b;
		u8 *in_before = calloc(6000, 1);
		struct sc_map_walk walk;
		u32 s, i, budget = 1 + rnd_below(6), present;
		bool done = false;
		const char *err;

		count = rnd_below(4) ? 1 + rnd_below(3000) : 1ULL << 62;
		/* blocks 0..3999 in range or not, those entered meanwhile never */
		for (i = 0; i < nr_slabs * 3 / 4; i++) {
			s = sc_map_alloc_slab(&map, NULL, NULL);
			fill_run(&map, s, rnd_below(4000 - SC_SLAB_SIZE),
				 1 + rnd_below(SC_SLAB_SIZE));
		}
		for (b = 0; b < 4000; b++)
			in_before[b] = slot_of(&map, b) != SC_NIL &&
				       b - first < count;
		sc_map_walk_init(&map, &walk, to_oblock(first), count);
		while (!done) {
			u32 op = rnd_below(5);
			u64 x;

			done = sc_map_walk_step(&map, &walk, budget);
			if (op == 0) {
				s = sc_map_alloc_slab(&map, NULL, NULL);
				if (s != SC_NIL)
					fill_run(&map, s, U64_MAX - 4000 +
						 rnd_below(1900),
						 1 + rnd_below(SC_SLAB_SIZE));
			} else if (op == 1) {
				x = rnd_below(4000);
				if (sc_map_remove(&map, to_oblock(x)) &&
				    in_before[x]) {
					in_before[x] = 0;
					gone_in++;
				}
			} else if (op == 2) {
				s = sc_map_clock_victim(&map, NULL, NULL);
				if (s == SC_NIL)
					continue;
				for (i = 0; i < SC_SLAB_SIZE; i++) {
					x = map.slot_oblock[s * 16 + i];
					if (x < 4000 && in_before[x]) {
						in_before[x] = 0;
						gone_in++;
					}
				}
				sc_map_evict_slab(&map, s);
			}
		}
		present = 0;
		for (b = 0; b < 4000; b++) {
			present += in_before[b];
			if (b - first < count && slot_of(&map, b) != SC_NIL)
				break;
		}
		CHECK(b == 4000, "trial %u [%llu, +%llu) budget %u: block %llu"
		      " left", trial, first, count, budget, b);
		CHECK(walk.dropped == present,
		      "trial %u: walk dropped %llu, %u were left to drop",
		      trial, walk.dropped, present);
		err = check_structure(&map);
		CHECK(!err, "trial %u: %s", trial, err);
		free(in_before);
		free(mem);
		(void)gone_in;
	}
}

/*
 * The CLOCK's search in steps: each call looks at SC_MAP_STEP slabs at
 * most, and the steps find what one whole search finds.
 */
static void test_clock_steps(void)
{
	const u32 n = 5000;
	struct sc_map a, b;
	void *ma = map_new(&a, n), *mb = map_new(&b, n);
	u32 i, steps, v, va, calls = 0, prev;

	fill_all(&a);
	fill_all(&b);
	for (i = 0; i < n; i++) {
		if (i == 4321)
			continue;
		sc_map_touch_slab(&a, i);
		sc_map_touch_slab(&b, i);
	}
	va = sc_map_clock_victim(&a, NULL, NULL);
	steps = 2 * n;
	do {
		prev = steps;
		v = sc_map_clock_step(&b, NULL, NULL, &steps);
		calls++;
		CHECK(prev - steps <= SC_MAP_STEP, "a step looked at %u slabs",
		      prev - steps);
	} while (v == SC_NIL && steps);
	CHECK(va == 4321 && v == va && calls == 5 && a.clock_hand == b.clock_hand &&
	      steps == 2 * n - 4322 &&
	      !memcmp(a.slabs, b.slabs, n * sizeof(*a.slabs)),
	      "victim %u in one go, %u in %u steps (%u left), hands %u %u",
	      va, v, calls, steps, a.clock_hand, b.clock_hand);

	/* nothing to find: two turns, in steps, then SC_NIL */
	for (i = 0; i < n; i++)
		sc_map_evict_slab(&b, i);
	steps = 2 * n;
	calls = 0;
	do {
		v = sc_map_clock_step(&b, NULL, NULL, &steps);
		calls++;
	} while (v == SC_NIL && steps);
	CHECK(v == SC_NIL && calls == (2 * n + SC_MAP_STEP - 1) / SC_MAP_STEP,
	      "empty map: %u after %u steps", v, calls);
	CHECK_SOUND(&b, "clock steps");
	free(ma);
	free(mb);
}

/*
 * The CLOCK's promise at scale: from a full map with a random set of
 * slabs touched and the hand anywhere, as many victims as there are
 * untouched idle slabs are exactly those, and the touched ones follow.
 */
static void test_sweep(void)
{
	u32 trial;

	rng_state = 0x5eeb;
	for (trial = 0; trial < 40; trial++) {
		u32 n = 1 + rnd_below(trial < 20 ? 64 : 300), i, v, nr_cold = 0;
		struct sc_map map;
		void *mem = map_new(&map, n);
		struct busy_ctx ctx = { .map = &map };
		u8 *hot = calloc(n, 1), *gone = calloc(n, 1);
		u32 wrong = 0, nr_busy = 0;

		fill_all(&map);
		for (i = rnd_below(n); i; i--)
			sc_map_clock_victim(&map, NULL, NULL);
		if (trial % 4 == 3)
			ctx.busy_mask = rnd_busy_mask(n);
		for (i = 0; i < n; i++) {
			if (model_busy(ctx.busy_mask, i)) {
				nr_busy++;
				continue;
			}
			hot[i] = rnd_below(3) == 0;
			if (hot[i])
				sc_map_touch_slab(&map, i);
			else
				nr_cold++;
		}
		for (i = 0; i < nr_cold; i++) {
			v = sc_map_clock_victim(&map, busy_fn, &ctx);
			if (v >= n || hot[v] || gone[v]) {
				wrong++;
				continue;
			}
			gone[v] = 1;
			sc_map_evict_slab(&map, v);
		}
		CHECK(!wrong && !ctx.nr_bad,
		      "trial %u, %u slabs, %u cold, %u busy: %u wrong"
		      " victims, %u bad busy calls", trial, n, nr_cold,
		      nr_busy, wrong, ctx.nr_bad);
		/* the hot slabs' bits are spent: they go next, none left out */
		for (i = 0; i < n - nr_cold - nr_busy; i++) {
			v = sc_map_clock_victim(&map, busy_fn, &ctx);
			if (v >= n || !hot[v] || gone[v]) {
				wrong++;
				continue;
			}
			gone[v] = 1;
			sc_map_evict_slab(&map, v);
		}
		v = sc_map_clock_victim(&map, busy_fn, &ctx);
		CHECK(!wrong && v == SC_NIL && map.nr_free == n - nr_busy,
		      "trial %u, %u slabs: %u wrong hot victims, then %u,"
		      " nr_free %u", trial, n, wrong, v, map.nr_free);
		CHECK_SOUND(&map, "sweep");
		free(hot);
		free(gone);
		free(mem);
	}
}

static void test_random(void)
{
	unsigned int k;

	univ_init();
	for (k = 0; k < ARRAY_SIZE(runs); k++)
		run_seed(&runs[k]);
}

/* A map bug that loops forever (a broken range walk, a cyclic chain). */
static void watchdog(int sig)
{
	static const char msg[] = "FAIL test_map: still running after 300 s\n";

	(void)sig;
	if (write(2, msg, sizeof(msg) - 1) < 0)
		_exit(3);
	_exit(2);
}

int main(void)
{
	signal(SIGALRM, watchdog);
	alarm(300);
	test_init();
	test_alloc_fifo();
	test_fill_lookup();
	test_move();
	test_remove();
	test_abort();
	test_evict();
	test_remove_range(8);
	test_remove_range(4096);
	test_clear();
	test_busy();
	test_clock_second_chance();
	test_clock_skip();
	test_clock_busy();
	test_retire();
	test_slab_states();
	test_touch_no_store();
	test_bytes();
	test_sweep();
	test_walk_sparse();
	test_walk_interleaved();
	test_clock_steps();
	test_random();
	return sc_test_summary("map");
}
