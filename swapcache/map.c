// SPDX-License-Identifier: GPL-2.0
/*
 * The map from origin blocks to cache slots.  See map.h for the layout and
 * the locking contract, and swapcache.h for why it is built this way.
 */
#include <linux/bitops.h>
#include <linux/bug.h>
#include <linux/hash.h>
#include <linux/log2.h>

#include "map.h"

/* 64-bit words in the active-slab bitmap */
static u32 sc_map_active_words(u32 nr_slabs)
{
	return BITS_TO_U64(nr_slabs);
}

/*
 * A bucket per four slots, rounded up to a power of two.  The slot count
 * fits an unsigned long even on 32-bit kernels (map.h); with at least one
 * slab there are at least four buckets, so hash_64() never gets 0 bits.
 */
static u32 sc_map_hash_bits(u32 nr_slabs)
{
	return order_base_2((unsigned long)nr_slabs * SC_SLAB_SIZE / 4);
}

/**
 * sc_map_bytes() - memory needed for a map of @nr_slabs slabs
 * @nr_slabs: 1..SC_MAP_MAX_SLABS
 *
 * Return: the size of the block to hand to sc_map_init().
 */
size_t sc_map_bytes(u32 nr_slabs)
{
	size_t slots = (size_t)nr_slabs << SC_SLAB_SHIFT;

	return slots * sizeof(u64) + (size_t)nr_slabs * sizeof(struct sc_slab) +
	       (size_t)sc_map_active_words(nr_slabs) * sizeof(u64) +
	       slots * sizeof(u32) +
	       ((size_t)1 << sc_map_hash_bits(nr_slabs)) * sizeof(u32);
}

/*
 * Every change of a slab's state goes through here, so that the bitmap of
 * active slabs, which the stepped walks skip through, says the same.
 */
static void sc_slab_set_state(struct sc_map *map, u32 slab,
			      enum sc_slab_state state)
{
	u64 bit = BIT_ULL(slab % 64);

	map->slabs[slab].state = state;
	if (state == SC_SLAB_ACTIVE)
		map->active[slab / 64] |= bit;
	else
		map->active[slab / 64] &= ~bit;
}

static void sc_free_push(struct sc_map *map, u32 slab)
{
	sc_slab_set_state(map, slab, SC_SLAB_FREE);
	map->slabs[slab].next_free = SC_NIL;
	if (map->free_tail == SC_NIL)
		map->free_head = slab;
	else
		map->slabs[map->free_tail].next_free = slab;
	map->free_tail = slab;
	map->nr_free++;
}

static u32 sc_free_pop(struct sc_map *map)
{
	u32 slab = map->free_head;

	if (slab == SC_NIL)
		return SC_NIL;
	map->free_head = map->slabs[slab].next_free;
	if (map->free_head == SC_NIL)
		map->free_tail = SC_NIL;
	map->nr_free--;
	return slab;
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
	u32 nr_buckets, i;

	map->nr_slabs = nr_slabs;
	map->nr_slots = nr_slabs << SC_SLAB_SHIFT;
	map->hash_bits = sc_map_hash_bits(nr_slabs);
	map->nr_cached = 0;
	map->nr_free = 0;
	map->free_head = SC_NIL;
	map->free_tail = SC_NIL;
	map->clock_hand = 0;

	nr_buckets = 1U << map->hash_bits;
	map->slot_oblock = mem;
	map->slabs = (struct sc_slab *)(map->slot_oblock + map->nr_slots);
	map->active = (u64 *)(map->slabs + nr_slabs);
	map->slot_next = (u32 *)(map->active + sc_map_active_words(nr_slabs));
	map->buckets = map->slot_next + map->nr_slots;

	for (i = 0; i < sc_map_active_words(nr_slabs); i++)
		map->active[i] = 0;
	for (i = 0; i < map->nr_slots; i++) {
		map->slot_oblock[i] = SC_OBLOCK_NONE;
		map->slot_next[i] = SC_NIL;
	}
	for (i = 0; i < nr_buckets; i++)
		map->buckets[i] = SC_NIL;
	for (i = 0; i < nr_slabs; i++) {
		map->slabs[i].nr_valid = 0;
		map->slabs[i].referenced = 0;
		sc_free_push(map, i);
	}
}

static u32 *sc_bucket(const struct sc_map *map, u64 oblock)
{
	return &map->buckets[hash_64(oblock, map->hash_bits)];
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
	u64 b = from_oblock(oblock);
	u32 slot;

	for (slot = *sc_bucket(map, b); slot != SC_NIL;
	     slot = map->slot_next[slot])
		if (map->slot_oblock[slot] == b)
			return to_slot(slot);
	return SC_NO_SLOT;
}

/* Take a slot out of the map; an active slab left empty becomes free. */
static void sc_unlink(struct sc_map *map, u32 slot)
{
	u32 *link = sc_bucket(map, map->slot_oblock[slot]);
	struct sc_slab *slab = &map->slabs[slot >> SC_SLAB_SHIFT];

	while (*link != slot)
		link = &map->slot_next[*link];
	*link = map->slot_next[slot];
	map->slot_next[slot] = SC_NIL;
	map->slot_oblock[slot] = SC_OBLOCK_NONE;
	map->nr_cached--;
	if (--slab->nr_valid == 0 && slab->state == SC_SLAB_ACTIVE)
		sc_free_push(map, slot >> SC_SLAB_SHIFT);
}

/**
 * sc_map_alloc_slab() - hand out a free slab to be written
 * @map: the map
 * @busy: optional; a slab for which it returns true is passed over and
 *	requeued (the kernel uses it for slabs that reads still use)
 * @context: passed to @busy
 *
 * The oldest freed slab goes first, which gives reads of its old contents
 * the longest time to finish.
 *
 * Return: a slab now in state SC_SLAB_FILLING, or SC_NO_SLAB if none is
 * free.
 */
sc_slab_t sc_map_alloc_slab(struct sc_map *map,
			    bool (*busy)(void *context, sc_slab_t slab),
			    void *context)
{
	u32 tries = map->nr_free;

	while (tries--) {
		u32 slab = sc_free_pop(map);

		if (busy && busy(context, to_slab(slab))) {
			sc_free_push(map, slab);
			continue;
		}
		sc_slab_set_state(map, slab, SC_SLAB_FILLING);
		return to_slab(slab);
	}
	return SC_NO_SLAB;
}

/**
 * sc_map_fill_slab() - enter a written cluster into the map
 * @map: the map
 * @slab: a slab from sc_map_alloc_slab()
 * @oblocks: the origin block in each slot, in slot order; each below
 *	SC_OBLOCK_NONE
 * @count: 1..SC_SLAB_SIZE; 0 gives the slab back
 *
 * The caller has checked that the data is current (never stale): a block
 * already cached elsewhere has its old slot dropped for the new one.
 *
 * The slab starts unreferenced, as a CLOCK inserts new entries: it must
 * earn its second chance with a hit, or a burst of new clusters would push
 * out slabs that readers use.  Clearing the bit here also forgets a touch
 * left from the slab's previous contents.
 *
 * Return: how many blocks moved from another slot.
 */
u32 sc_map_fill_slab(struct sc_map *map, sc_slab_t slab,
		     const sc_oblock_t *oblocks, u32 count)
{
	struct sc_slab *s = &map->slabs[from_slab(slab)];
	u32 moved = 0, i;

	if (!count) {
		sc_free_push(map, from_slab(slab));
		return 0;
	}
	for (i = 0; i < count; i++) {
		u32 slot = from_slot(sc_slab_slot(slab, i));
		u64 b = from_oblock(oblocks[i]);
		sc_slot_t old = sc_map_lookup(map, oblocks[i]);
		u32 *head;

		if (from_slot(old) != SC_NIL) {
			sc_unlink(map, from_slot(old));
			moved++;
		}
		head = sc_bucket(map, b);
		map->slot_oblock[slot] = b;
		map->slot_next[slot] = *head;
		*head = slot;
		s->nr_valid++;
		map->nr_cached++;
	}
	s->referenced = 0;
	sc_slab_set_state(map, from_slab(slab), SC_SLAB_ACTIVE);
	return moved;
}

/**
 * sc_map_abort_slab() - put a slab that is not in the map on the free list
 * @map: the map
 * @slab: a filling slab (from sc_map_alloc_slab()) whose cluster was not
 *	entered, or a discarding one (from sc_map_retire_slab()) whose
 *	range has been discarded
 *
 * A slab in any other state is left alone, with a warning: an active one
 * would go on the free list while still mapped, and its slots be
 * overwritten under readers of its blocks; a free one would be linked
 * into the free list twice.
 */
void sc_map_abort_slab(struct sc_map *map, sc_slab_t slab)
{
	u8 state = map->slabs[from_slab(slab)].state;

	if (WARN_ON_ONCE(state != SC_SLAB_FILLING &&
			 state != SC_SLAB_DISCARDING))
		return;
	sc_free_push(map, from_slab(slab));
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
	sc_slot_t slot = sc_map_lookup(map, oblock);

	if (from_slot(slot) == SC_NIL)
		return false;
	sc_unlink(map, from_slot(slot));
	return true;
}

/*
 * The cost model of sc_map_walk_init(): in units of one lookup (a few
 * cache misses), a walk of the range costs one per block; a walk of the
 * active slabs costs one per bitmap word, one per active slab (two lines
 * of sequential slots) and one per block dropped, at most words +
 * 2 * nr_cached.  Taking the cheaper one bounds a walk's total work by
 * what it has to do, never by the SSD's size alone.
 */
static bool sc_map_walk_by_slab(const struct sc_map *map, u64 count)
{
	return count > sc_map_active_words(map->nr_slabs) +
		       2 * (u64)map->nr_cached;
}

/**
 * sc_map_walk_init() - start a removal of [@first, @first + @count)
 * @map: the map
 * @walk: the walk's state, for sc_map_walk_step()
 * @first: the first origin block
 * @count: how many; the range stops below SC_OBLOCK_NONE
 *
 * Chooses the range or the active slabs to walk, whichever costs less
 * (see sc_map_walk_by_slab()).  Reads the map: the same access as
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
	walk->by_slab = sc_map_walk_by_slab(map, count);
	walk->pos = walk->by_slab ? 0 : start;
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
	u32 i;

	if (!walk->by_slab) {
		for (; walk->pos < end && budget && map->nr_cached; budget--)
			walk->dropped += sc_map_remove(map,
						       to_oblock(walk->pos++));
		return walk->pos == end || !map->nr_cached;
	}
	while (walk->pos < map->nr_slabs && budget && map->nr_cached) {
		u32 pos = walk->pos, slab;
		u64 bits = map->active[pos / 64] & (~0ULL << (pos % 64));

		budget--;
		if (!bits) {
			walk->pos = (pos / 64 + 1) * 64;
			continue;
		}
		slab = (pos & ~63U) + __ffs64(bits);
		walk->pos = slab + 1;
		for (i = 0; i < SC_SLAB_SIZE; i++) {
			u32 slot = from_slot(sc_slab_slot(to_slab(slab), i));
			u64 b = map->slot_oblock[slot];

			if (b != SC_OBLOCK_NONE && b - walk->first < walk->count) {
				sc_unlink(map, slot);
				walk->dropped++;
				if (budget)
					budget--;
			}
		}
	}
	return walk->pos >= map->nr_slabs || !map->nr_cached;
}

/*
 * Drop every block of an active slab.  @during is its state meanwhile:
 * SC_SLAB_ACTIVE lets sc_unlink() free it with its last block,
 * SC_SLAB_DISCARDING keeps it off the free list.
 */
static u32 sc_drop_slab(struct sc_map *map, sc_slab_t slab,
			enum sc_slab_state during)
{
	u32 dropped = 0, i;

	if (map->slabs[from_slab(slab)].state != SC_SLAB_ACTIVE)
		return 0;
	sc_slab_set_state(map, from_slab(slab), during);
	for (i = 0; i < SC_SLAB_SIZE; i++) {
		u32 slot = from_slot(sc_slab_slot(slab, i));

		if (map->slot_oblock[slot] != SC_OBLOCK_NONE) {
			sc_unlink(map, slot);
			dropped++;
		}
	}
	return dropped;
}

/**
 * sc_map_evict_slab() - drop every block of an active slab and free it
 * @map: the map
 * @slab: any slab; only an active one is touched
 *
 * Return: how many blocks were dropped.
 */
u32 sc_map_evict_slab(struct sc_map *map, sc_slab_t slab)
{
	return sc_drop_slab(map, slab, SC_SLAB_ACTIVE);
}

/**
 * sc_map_retire_slab() - drop every block of an active slab, keep it out
 * @map: the map
 * @slab: any slab; only an active one is touched
 *
 * As sc_map_evict_slab(), but the slab is left in state
 * SC_SLAB_DISCARDING, off the free list, so that nothing can allocate and
 * rewrite it while the caller discards its range on the cache device.
 * The caller then gives it back with sc_map_abort_slab().
 *
 * Return: how many blocks were dropped.  An active slab holds at least
 * one, so 0 means that @slab was not active, was left alone and must not
 * be given back.
 */
u32 sc_map_retire_slab(struct sc_map *map, sc_slab_t slab)
{
	return sc_drop_slab(map, slab, SC_SLAB_DISCARDING);
}

/**
 * sc_map_clock_step() - the cleaner's next slab to evict, a bounded step
 *	of the search at a time
 * @map: the map
 * @busy: optional; an active slab for which it returns true is passed
 *	over (the kernel uses it for slabs that reads still use)
 * @context: passed to @busy
 * @steps: slabs the search may still look at; decreased by those this
 *	call looked at, at most SC_MAP_STEP.  2 * nr_slabs for a whole
 *	search.
 *
 * Advances the hand over the slabs, skipping those not active.  An active
 * slab that was hit since the hand last passed loses its referenced bit
 * and is spared this time: the second chance, which keeps slabs with
 * recent hits while cold ones go.  Two turns of the hand are enough to
 * find any active slab that is not busy, since the first clears every
 * bit; past that, the cleaner is better off trying again later.  The hand
 * stays in the map between calls, so a search cut into steps, with other
 * changes to the map between them, is still the CLOCK.
 *
 * Return: an active slab, the hand now past it, or SC_NO_SLAB if none
 * was found in this step (the search is over when *@steps is 0).
 */
sc_slab_t sc_map_clock_step(struct sc_map *map,
			    bool (*busy)(void *context, sc_slab_t slab),
			    void *context, u32 *steps)
{
	u32 budget = *steps < SC_MAP_STEP ? *steps : SC_MAP_STEP;

	*steps -= budget;
	while (budget--) {
		u32 slab = map->clock_hand;
		struct sc_slab *s = &map->slabs[slab];

		if (++map->clock_hand == map->nr_slabs)
			map->clock_hand = 0;
		if (s->state != SC_SLAB_ACTIVE)
			continue;
		if (s->referenced) {
			s->referenced = 0;
			continue;
		}
		if (busy && busy(context, to_slab(slab)))
			continue;
		*steps += budget;
		return to_slab(slab);
	}
	return SC_NO_SLAB;
}
