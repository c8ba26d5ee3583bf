// SPDX-License-Identifier: GPL-2.0
/*
 * The map (swapcache/map.c): directed tests of each call's contract, then
 * a randomized differential test against a plain-array model with the
 * map's structural invariants checked after every operation, then
 * sabotaged runs of that test (a map deliberately broken in one way) that
 * the checks must catch, so that a check that cannot fail shows up.
 * Runs the module's own map.c; the test plays the kernel's part of giving
 * the map memory and freeing what it lets go, and accounts for every
 * byte of it.
 */
#include <assert.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/hash.h>

/* Counted by the stand-in WARN_ON_ONCE() (include/linux/bug.h). */
unsigned long sc_shim_warnings;

#include <linux/errno.h>

#include "harness.h"
#include "map.h"

static_assert(sizeof(struct sc_entry) == 16, "struct sc_entry is not 16 bytes");

#define LONG_BITS	(8 * sizeof(long))
#define GROUP_PAGES	SC_SLAB_SIZE
#define ARENA_NIL	SC_NIL
#define SPAN_BLOCKS	256	/* origin blocks of a span, 16 groups */

/* ------------------------------------------------------------------ */
/* Small helpers                                                      */

static char errbuf[1024];

static const char *fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(errbuf, sizeof(errbuf), fmt, ap);
	va_end(ap);
	return errbuf;
}

static bool bit(const unsigned long *map, u32 i)
{
	return map[i / LONG_BITS] >> (i % LONG_BITS) & 1;
}

static void bit_assign(unsigned long *map, u32 i, bool on)
{
	if (on)
		map[i / LONG_BITS] |= 1UL << (i % LONG_BITS);
	else
		map[i / LONG_BITS] &= ~(1UL << (i % LONG_BITS));
}

static u32 order_of(u32 n)
{
	u32 o = 0;

	while ((1U << o) < n)
		o++;
	return o;
}

static u64 entry_group(const struct sc_entry *e)
{
	return e->group_lo | (u64)e->group_hi << 32;
}

/* What the hash knows an entry by: its group, or ~its span (map.c). */
static u64 entry_key(const struct sc_entry *e)
{
	return e->span ? ~(u64)e->group_lo : entry_group(e);
}

/* Arena units an entry takes: a span entry's offsets are the second. */
static u32 entry_units(const struct sc_entry *e)
{
	return e->span ? 2 : 1;
}

/* The arena entry at index @a; its chunk must be there. */
static struct sc_entry *ent(const struct sc_map *map, u32 a)
{
	return &map->chunks[a >> SC_CHUNK_SHIFT][a & (SC_CHUNK_ENTRIES - 1)];
}

static bool ent_present(const struct sc_map *map, u32 a)
{
	return a >> SC_CHUNK_SHIFT < map->nr_chunk_slots &&
	       map->chunks[a >> SC_CHUNK_SHIFT];
}

/* A span entry's offsets: the unit after its head, a byte a position. */
static u8 *span_offsets(const struct sc_map *map, u32 a)
{
	return (u8 *)ent(map, a + 1);
}

/* The origin block of page (or position) @p of the entry at @a. */
static u64 entry_block(const struct sc_map *map, u32 a, u32 p)
{
	const struct sc_entry *e = ent(map, a);

	if (e->span)
		return entry_group(e) * SPAN_BLOCKS + span_offsets(map, a)[p];
	return entry_group(e) * GROUP_PAGES + p;
}

/*
 * Page @page of the @k-th group of a spread: each in a span of its own,
 * so that a slab of them takes an entry per block (the worst shape).
 */
static u64 spread_block(u64 k, u32 page)
{
	return k * SPAN_BLOCKS + page;
}

static u64 nr_buckets(const struct sc_map *map)
{
	return (1ULL << map->lh_level) + map->lh_split;
}

/* Linear hashing's address of @key, as map.h's contract states it. */
static u32 bucket_of(const struct sc_map *map, u64 key)
{
	u64 h = hash_64(key, 32);
	u64 i = h & ((1ULL << map->lh_level) - 1);

	if (i < map->lh_split)
		i = h & ((1ULL << (map->lh_level + 1)) - 1);
	return (u32)i;
}

static u32 *bucket_head(const struct sc_map *map, u32 i)
{
	return &map->segments[i >> SC_SEGMENT_SHIFT][i & (SC_SEGMENT_BUCKETS - 1)];
}

/* The slot of page (or a span entry's position) @p of entry @e. */
static u32 entry_slot(const struct sc_entry *e, u32 p)
{
	return e->slab * SC_SLAB_SIZE + p + e->shift - 15;
}

static u32 slot_of(const struct sc_map *map, u64 b)
{
	return from_slot(sc_map_lookup(map, to_oblock(b)));
}

static enum sc_slab_state state_of(const struct sc_map *map, u32 slab)
{
	return sc_map_slab_state(map, to_slab(slab));
}

static const char *state_name(u32 state)
{
	static const char *const names[] = {
		[SC_SLAB_FREE] = "free",
		[SC_SLAB_FILLING] = "filling",
		[SC_SLAB_ACTIVE] = "active",
		[SC_SLAB_DISCARDING] = "discarding",
	};

	return state < ARRAY_SIZE(names) ? names[state] : "?";
}

/* ------------------------------------------------------------------ */
/* The caller's side of the map's memory                              */

/*
 * A map under test with everything the kernel would do around it: its
 * fixed memory, and the register of every chunk and segment given to it
 * and not yet taken back, so that a chunk the map loses, keeps twice or
 * hands back twice is caught.
 */
enum mem_kind { MEM_CHUNK, MEM_SEGMENT };

struct owned {
	void *p;
	u8 kind;
};

struct tmap {
	struct sc_map m;
	void *mem;
	size_t mem_bytes;
	bool mapped;		/* mem from mmap() rather than malloc() */
	struct owned *owned;
	u32 nr_owned, cap_owned;
	u64 nr_given, nr_taken_back;
};

static void tm_init(struct tmap *t, u32 nr_slabs)
{
	memset(t, 0, sizeof(*t));
	t->mem_bytes = sc_map_bytes(nr_slabs);
	t->mem = malloc(t->mem_bytes);
	if (!t->mem) {
		perror("malloc");
		exit(2);
	}
	/* garbage, so that init must set every field it relies on */
	memset(t->mem, 0xa5, t->mem_bytes);
	sc_map_init(&t->m, nr_slabs, t->mem);
}

static void tm_free(struct tmap *t)
{
	u32 i;

	for (i = 0; i < t->nr_owned; i++)
		free(t->owned[i].p);
	free(t->owned);
	if (t->mapped)
		munmap(t->mem, t->mem_bytes);
	else
		free(t->mem);
	memset(t, 0, sizeof(*t));
}

static void *tm_alloc(struct tmap *t, enum mem_kind kind)
{
	size_t bytes = kind == MEM_CHUNK ? SC_CHUNK_BYTES : SC_SEGMENT_BYTES;
	void *p = malloc(bytes);

	if (!p) {
		perror("malloc");
		exit(2);
	}
	/* the caller's memory is not zeroed: the map must not rely on it */
	memset(p, 0x5a, bytes);
	if (t->nr_owned == t->cap_owned) {
		t->cap_owned = t->cap_owned ? 2 * t->cap_owned : 64;
		t->owned = realloc(t->owned, t->cap_owned * sizeof(*t->owned));
		if (!t->owned) {
			perror("realloc");
			exit(2);
		}
	}
	t->owned[t->nr_owned++] = (struct owned){ .p = p, .kind = kind };
	return p;
}

/* Takes @p off the register and frees it; false if it was not on it. */
static bool tm_release(struct tmap *t, void *p)
{
	u32 i;

	for (i = 0; i < t->nr_owned; i++)
		if (t->owned[i].p == p) {
			t->owned[i] = t->owned[--t->nr_owned];
			free(p);
			return true;
		}
	return false;
}

/*
 * What the kernel's thread does before a fill: ask what the map wants and
 * give it, or only some of it (@chunk_ok, @segment_ok false: an
 * allocation that failed).  Return: NULL, or what the map did wrong.
 */
static const char *tm_feed(struct tmap *t, bool chunk_ok, bool segment_ok)
{
	bool want_chunk = false, want_segment = false, any;
	void *chunk = NULL, *segment = NULL;
	const char *err = NULL;

	any = sc_map_wants(&t->m, &want_chunk, &want_segment);
	if (any != (want_chunk || want_segment))
		return fail("wants() returned %d for chunk %d, segment %d", any,
			    want_chunk, want_segment);
	if (want_chunk && t->m.spare_chunk)
		return fail("wants a chunk with one spare");
	if (want_segment && t->m.spare_segment)
		return fail("wants a segment with one spare");
	if (!any)
		return NULL;
	if (want_chunk && chunk_ok)
		chunk = tm_alloc(t, MEM_CHUNK);
	if (want_segment && segment_ok)
		segment = tm_alloc(t, MEM_SEGMENT);
	if (!chunk && !segment)
		return NULL;
	t->nr_given += !!chunk + !!segment;
	sc_map_provide(&t->m, &chunk, &segment);
	if (chunk) {
		err = fail("provide() left a chunk it wanted");
		tm_release(t, chunk);
	}
	if (segment) {
		err = fail("provide() left a segment it wanted");
		tm_release(t, segment);
	}
	return err;
}

/* Both kinds, always: memory is plentiful. */
static const char *tm_feed_all(struct tmap *t)
{
	return tm_feed(t, true, true);
}

/*
 * What the kernel does after the map let go of memory: take the garbage
 * and free it.  Every item must be one the map was given and still held.
 * Return: NULL, or what was wrong; *@nr: items taken back.
 */
static const char *tm_collect(struct tmap *t, u32 *nr)
{
	void *g = sc_map_take_garbage(&t->m), *next;
	u32 n = 0, held = t->nr_owned;

	if (t->m.garbage)
		return fail("garbage still listed after take_garbage()");
	for (; g; g = next) {
		if (n >= held)
			return fail("garbage list longer than what was given");
		next = sc_map_garbage_next(g);
		if (!tm_release(t, g))
			return fail("garbage item %p never given or freed twice",
				    g);
		n++;
	}
	t->nr_taken_back += n;
	if (nr)
		*nr = n;
	return NULL;
}

/*
 * The kernel's teardown: the map lets go of everything it was given, and
 * the caller frees it.  Return: NULL, or what was not given back.
 */
static const char *tm_teardown(struct tmap *t)
{
	const char *err;

	sc_map_release_all(&t->m);
	err = tm_collect(t, NULL);
	if (err)
		return err;
	if (t->nr_owned)
		return fail("%u chunks and segments not given back at teardown",
			    t->nr_owned);
	if (sc_map_dynamic_bytes(&t->m))
		return fail("%zu dynamic bytes after teardown",
			    sc_map_dynamic_bytes(&t->m));
	return NULL;
}

static int cmp_ptr(const void *a, const void *b)
{
	uintptr_t x = (uintptr_t)((const struct owned *)a)->p;
	uintptr_t y = (uintptr_t)((const struct owned *)b)->p;

	return x < y ? -1 : x > y;
}

/*
 * The map holds exactly what it was given and not yet handed back: its
 * chunks, its segments past the first, its spares and its garbage list,
 * each once and each of the right kind.  Segment 0 lives in the fixed
 * memory.
 */
static const char *check_memory(const struct tmap *t)
{
	const struct sc_map *map = &t->m;
	u32 n = 0, i, cap = t->nr_owned + 2;
	struct owned *held = malloc((size_t)cap * sizeof(*held));
	struct owned *own = malloc((size_t)(t->nr_owned + 1) * sizeof(*own));
	const char *err = NULL;
	void *g;

#define HOLD(ptr, k)							\
	do {								\
		if (n == cap) {						\
			err = fail("the map holds more than it was given"); \
			goto out;					\
		}							\
		held[n++] = (struct owned){ .p = (ptr), .kind = (k) };	\
	} while (0)

	if ((char *)map->segments[0] < (char *)t->mem ||
	    (char *)map->segments[0] + SC_SEGMENT_BYTES >
	    (char *)t->mem + t->mem_bytes) {
		err = fail("segment 0 is not in the fixed memory");
		goto out;
	}
	for (i = 0; i < map->nr_chunk_slots; i++)
		if (map->chunks[i])
			HOLD(map->chunks[i], MEM_CHUNK);
	for (i = 1; i < map->nr_segment_slots; i++)
		if (map->segments[i])
			HOLD(map->segments[i], MEM_SEGMENT);
	if (map->spare_chunk)
		HOLD(map->spare_chunk, MEM_CHUNK);
	if (map->spare_segment)
		HOLD(map->spare_segment, MEM_SEGMENT);
	for (g = map->garbage; g; g = sc_map_garbage_next(g)) {
		/* of either kind: the register knows which */
		for (i = 0; i < t->nr_owned && t->owned[i].p != g; i++)
			;
		HOLD(g, i < t->nr_owned ? t->owned[i].kind : 9);
	}
	if (n != t->nr_owned) {
		err = fail("the map holds %u chunks and segments, %u given and"
			   " not taken back (%s)", n, t->nr_owned,
			   n < t->nr_owned ? "leaked" : "held twice?");
		goto out;
	}
	if (n)
		memcpy(own, t->owned, n * sizeof(*own));
	qsort(held, n, sizeof(*held), cmp_ptr);
	qsort(own, n, sizeof(*own), cmp_ptr);
	for (i = 0; i < n; i++) {
		if (held[i].p != own[i].p) {
			err = fail("the map holds %p, never given or held twice",
				   held[i].p);
			goto out;
		}
		if (held[i].kind != own[i].kind) {
			err = fail("%p given as a %s, held as a %s", held[i].p,
				   own[i].kind == MEM_CHUNK ? "chunk" : "segment",
				   held[i].kind == MEM_CHUNK ? "chunk" : "segment");
			goto out;
		}
	}
#undef HOLD
out:
	free(held);
	free(own);
	return err;
}

/* ------------------------------------------------------------------ */
/* The structure, read back                                            */

/*
 * What the arena says, gathered by check_arena() for the other checks:
 * every cached page with its slot, the runs in arena order, which slabs
 * have one, and per arena index what is there; for a small map also per
 * slot the origin block and per slab its run.  All of it sized by what is
 * cached, but for the bitmap, so that a map of a big SSD checks quickly.
 */
enum { A_NONE, A_VALID, A_DEAD, A_FREE_HEAD, A_CHAINED, A_OFFSETS };

#define SCAN_SMALL	(1U << 16)	/* slabs, for the per-slot arrays */

struct page_slot {
	u32 slot;
	u64 oblock;
};

struct scan {
	u32 arena_len;		/* chunks_high * SC_CHUNK_ENTRIES */
	u8 *what;		/* per arena index, A_* */
	struct page_slot *pages;/* every cached page */
	size_t pages_cap;
	unsigned long *has_run;	/* per slab */
	u64 *slot_oblock;	/* small maps: per slot, or SC_OBLOCK_NONE */
	u32 *slab_run;		/* small maps: per slab, its run or SC_NIL */
	u32 *runs, nr_runs;	/* run indexes, in arena order */
	u32 nr_free_blocks[SC_RUN_ORDERS];
	u32 nr_entries, nr_spans, nr_cached;
};

static void scan_free(struct scan *s)
{
	free(s->what);
	free(s->pages);
	free(s->has_run);
	free(s->slot_oblock);
	free(s->slab_run);
	free(s->runs);
	memset(s, 0, sizeof(*s));
}

static int cmp_page_slot(const void *a, const void *b)
{
	u32 x = ((const struct page_slot *)a)->slot;
	u32 y = ((const struct page_slot *)b)->slot;

	return x < y ? -1 : x > y;
}

static u32 block_size(const struct sc_entry *e)
{
	return e->free ? 1U << e->run_last : 1U << order_of(e->run_last + 1);
}

/*
 * The arena's chunks, their blocks and runs, and the entries' pages: every
 * rule of map.h's layout.  Fills @s.
 */
static const char *check_arena(const struct sc_map *map, struct scan *s)
{
	u32 c, a, i, p, high = 0, nr_chunks = 0;

	memset(s, 0, sizeof(*s));
	if (map->chunks_high > map->nr_chunk_slots)
		return fail("chunks_high %u of %u directory slots",
			    map->chunks_high, map->nr_chunk_slots);
	s->arena_len = map->chunks_high * SC_CHUNK_ENTRIES;
	s->what = calloc(s->arena_len + 1, 1);
	s->runs = malloc((s->arena_len + 1) * sizeof(u32));
	s->pages_cap = map->nr_cached + 64;
	s->pages = malloc(s->pages_cap * sizeof(*s->pages));
	s->has_run = calloc((map->nr_slabs + LONG_BITS - 1) / LONG_BITS,
			    sizeof(long));
	if (map->nr_slabs <= SCAN_SMALL) {
		s->slot_oblock = malloc((size_t)map->nr_slots * sizeof(u64));
		s->slab_run = malloc((size_t)map->nr_slabs * sizeof(u32));
		memset(s->slot_oblock, 0xff,
		       (size_t)map->nr_slots * sizeof(u64));
		memset(s->slab_run, 0xff, (size_t)map->nr_slabs * sizeof(u32));
	}
	for (c = 0; c < map->nr_chunk_slots; c++) {
		if (!map->chunks[c])
			continue;
		nr_chunks++;
		high = c + 1;
	}
	if (high != map->chunks_high)
		return fail("chunks_high %u, highest chunk at %u",
			    map->chunks_high, high);
	if (nr_chunks != map->nr_chunks)
		return fail("nr_chunks %u, %u in the directory", map->nr_chunks,
			    nr_chunks);
	for (c = 0; c < map->chunks_high; c++) {
		u32 used = 0;

		if (!map->chunks[c])
			continue;
		for (a = c * SC_CHUNK_ENTRIES; a < (c + 1) * SC_CHUNK_ENTRIES;) {
			const struct sc_entry *e = ent(map, a);
			u32 size = block_size(e), n, slab, prev_slot = 0;
			bool any_slot = false, any_valid = false;

			if (e->free) {
				if (e->run_last >= SC_RUN_ORDERS)
					return fail("free block at %u of order %u",
						    a, e->run_last);
				if (a & (size - 1))
					return fail("free block at %u of order %u"
						    " misaligned", a, e->run_last);
				s->what[a] = A_FREE_HEAD;
				s->nr_free_blocks[e->run_last]++;
				a += size;
				continue;
			}
			n = e->run_last + 1;
			slab = e->slab;
			if (a & (size - 1))
				return fail("run at %u of %u entries misaligned",
					    a, n);
			if (slab >= map->nr_slabs)
				return fail("run at %u: slab %u of %u", a, slab,
					    map->nr_slabs);
			if (bit(s->has_run, slab))
				return fail("slab %u has two runs, one at %u",
					    slab, a);
			bit_assign(s->has_run, slab, true);
			if (s->slab_run)
				s->slab_run[slab] = a;
			s->runs[s->nr_runs++] = a;
			for (i = 0; i < n; i += entry_units(ent(map, a + i))) {
				const struct sc_entry *x = ent(map, a + i);

				if (x->free || x->run_index != i ||
				    x->run_last != n - 1 || x->slab != slab)
					return fail("run at %u, entry %u: free %u,"
						    " run_index %u, run_last %u,"
						    " slab %u; run of %u in slab %u",
						    a, i, x->free, x->run_index,
						    x->run_last, x->slab, n, slab);
				if (x->span) {
					/* its offsets in its run; a span's number in 32 bits */
					if (i + 1 >= n)
						return fail("run at %u: span entry %u's"
							    " offsets past the run of %u",
							    a, i, n);
					if (x->group_hi)
						return fail("span entry %u: group_hi %u",
							    a + i, x->group_hi);
					s->what[a + i + 1] = A_OFFSETS;
				}
				if (!x->valid) {
					s->what[a + i] = A_DEAD;
					continue;
				}
				any_valid = true;
				s->what[a + i] = A_VALID;
				s->nr_entries++;
				s->nr_spans += x->span;
				for (p = 0; p < GROUP_PAGES; p++) {
					u32 slot;

					if (!(x->valid >> p & 1))
						continue;
					if (p + x->shift < 15 ||
					    p + x->shift - 15 >= SC_SLAB_SIZE)
						return fail("entry %u: page %u with"
							    " shift %u is outside"
							    " its slab", a + i, p,
							    x->shift);
					slot = entry_slot(x, p);
					/*
					 * The entries of a run in slot order,
					 * as the fill laid them out.
					 */
					if (any_slot && slot <= prev_slot)
						return fail("entry %u page %u in"
							    " slot %u, not past"
							    " slot %u", a + i, p,
							    slot, prev_slot);
					prev_slot = slot;
					any_slot = true;
					if (s->nr_cached == s->pages_cap) {
						s->pages_cap *= 2;
						s->pages = realloc(s->pages,
							s->pages_cap *
							sizeof(*s->pages));
						assert(s->pages);
					}
					s->pages[s->nr_cached++] = (struct page_slot){
						.slot = slot,
						.oblock = entry_block(map, a + i,
								      p),
					};
				}
			}
			if (!any_valid)
				return fail("run at %u (slab %u) holds nothing",
					    a, slab);
			used += size;
			a += size;
		}
		if (used != map->chunk_used[c])
			return fail("chunk %u: chunk_used %u, blocks in use %u", c,
				    map->chunk_used[c], used);
		if (!used)
			return fail("chunk %u empty but not let go", c);
	}
	/* no slot twice */
	qsort(s->pages, s->nr_cached, sizeof(*s->pages), cmp_page_slot);
	for (i = 0; i < s->nr_cached; i++) {
		if (i && s->pages[i].slot == s->pages[i - 1].slot)
			return fail("slot %u holds %llu and %llu",
				    s->pages[i].slot, s->pages[i - 1].oblock,
				    s->pages[i].oblock);
		if (s->slot_oblock)
			s->slot_oblock[s->pages[i].slot] = s->pages[i].oblock;
	}
	if (s->nr_entries != map->nr_entries)
		return fail("nr_entries %u, %u entries hold pages",
			    map->nr_entries, s->nr_entries);
	if (s->nr_spans != map->nr_spans)
		return fail("nr_spans %u, %u span entries hold pages",
			    map->nr_spans, s->nr_spans);
	if (s->nr_cached != map->nr_cached)
		return fail("nr_cached %u, %u pages in entries", map->nr_cached,
			    s->nr_cached);
	return NULL;
}

/* Per order, a list of free blocks, doubly linked, each once. */
static const char *check_free_blocks(const struct sc_map *map,
				     const struct scan *s)
{
	u32 o, a, prev, n, total = 0, found = 0;

	for (o = 0; o < SC_RUN_ORDERS; o++) {
		n = 0;
		prev = SC_NIL;
		for (a = map->free_blocks[o]; a != SC_NIL; a = ent(map, a)->next) {
			const struct sc_entry *e;

			if (a >= s->arena_len || !ent_present(map, a))
				return fail("free list %u reaches %u, outside the"
					    " arena", o, a);
			e = ent(map, a);
			if (s->what[a] != A_FREE_HEAD || e->run_last != o)
				return fail("free list %u holds %u, not a free"
					    " block of that order", o, a);
			if (e->group_lo != prev)
				return fail("free block %u: prev %u, expected %u",
					    a, e->group_lo, prev);
			if (++n > s->nr_free_blocks[o])
				return fail("free list %u longer than its %u"
					    " blocks (loop?)", o,
					    s->nr_free_blocks[o]);
			/* a free block and its free buddy would be one */
			if (o + 1 < SC_RUN_ORDERS) {
				u32 b = a ^ (1U << o);

				if (s->what[b] == A_FREE_HEAD &&
				    ent(map, b)->run_last == o)
					return fail("free buddies %u and %u of"
						    " order %u", a, b, o);
			}
			prev = a;
		}
		if (n != s->nr_free_blocks[o])
			return fail("free list %u holds %u of %u free blocks", o,
				    n, s->nr_free_blocks[o]);
		total += n;
	}
	for (a = 0; a < s->arena_len; a++)
		found += s->what[a] == A_FREE_HEAD;
	if (found != total)
		return fail("%u free blocks, %u listed", found, total);
	return NULL;
}

/* Linear hashing's table: its segments, and every chain. */
/*
 * A key's entries in @bucket's chain: a group's 16 at most (each holds a
 * page of it), a span's SC_MAP_SPAN_ENTRIES, the bound map.h gives a
 * lookup's walk.
 */
static const char *check_chain_keys(const struct sc_map *map, u32 bucket)
{
	u32 a, b, n;

	for (a = *bucket_head(map, bucket); a != SC_NIL; a = ent(map, a)->next) {
		u64 key = entry_key(ent(map, a));
		u32 cap = ent(map, a)->span ? SC_MAP_SPAN_ENTRIES : SC_SLAB_SIZE;

		n = 0;
		for (b = *bucket_head(map, bucket); b != SC_NIL;
		     b = ent(map, b)->next)
			n += entry_key(ent(map, b)) == key;
		if (n > cap)
			return fail("%u entries of key %#llx in bucket %u, %u at"
				    " most", n, key, bucket, cap);
	}
	return NULL;
}

static const char *check_hash(const struct sc_map *map, struct scan *s)
{
	const char *err;
	u64 buckets = nr_buckets(map), i;
	u32 segs = (u32)((buckets + SC_SEGMENT_BUCKETS - 1) / SC_SEGMENT_BUCKETS);
	u32 n, chained = 0, a, nr_segments = 0;

	if (map->lh_level < SC_SEGMENT_SHIFT ||
	    map->lh_split >= 1U << map->lh_level)
		return fail("lh_level %u, lh_split %u", map->lh_level,
			    map->lh_split);
	if (segs > map->nr_segment_slots)
		return fail("%llu buckets, %u segment slots", buckets,
			    map->nr_segment_slots);
	for (i = 0; i < map->nr_segment_slots; i++) {
		if (map->segments[i])
			nr_segments++;
		if (!map->segments[i] != (i >= segs))
			return fail("%llu buckets, segment %llu %s", buckets, i,
				    map->segments[i] ? "there" : "missing");
	}
	if (nr_segments != map->nr_segments)
		return fail("nr_segments %u, %u in the directory",
			    map->nr_segments, nr_segments);
	for (i = 0; i < buckets; i++) {
		n = 0;
		for (a = *bucket_head(map, (u32)i); a != SC_NIL;
		     a = ent(map, a)->next) {
			const struct sc_entry *e;

			if (a >= s->arena_len || !ent_present(map, a))
				return fail("bucket %llu reaches %u, outside the"
					    " arena", i, a);
			if (s->what[a] == A_CHAINED)
				return fail("entry %u chained twice (loop?)", a);
			if (s->what[a] != A_VALID)
				return fail("bucket %llu holds %u, %s", i, a,
					    s->what[a] == A_DEAD ?
					    "an entry with no page" :
					    "not an entry of a run");
			e = ent(map, a);
			if (bucket_of(map, entry_key(e)) != i)
				return fail("entry %u (key %#llx) in bucket %llu,"
					    " belongs in %u", a, entry_key(e),
					    i, bucket_of(map, entry_key(e)));
			s->what[a] = A_CHAINED;
			n++;
		}
		err = check_chain_keys(map, (u32)i);
		if (err)
			return err;
		chained += n;
	}
	if (chained != s->nr_entries)
		return fail("%u entries chained, %u hold pages", chained,
			    s->nr_entries);
	for (a = 0; a < s->arena_len; a++)
		if (s->what[a] == A_CHAINED)
			s->what[a] = A_VALID;
	return NULL;
}

/* The slab bitmaps against the runs, and the counters. */
static const char *check_slabs(const struct sc_map *map, const struct scan *s)
{
	u32 slab, nr_free = 0, words = (map->nr_slabs + LONG_BITS - 1) / LONG_BITS;

	if (map->nr_slots != map->nr_slabs * SC_SLAB_SIZE)
		return fail("nr_slots %u for %u slabs", map->nr_slots,
			    map->nr_slabs);
	if (map->free_cursor >= map->nr_slabs)
		return fail("free_cursor %u of %u slabs", map->free_cursor,
			    map->nr_slabs);
	for (slab = 0; slab < words * LONG_BITS; slab++) {
		bool f = bit(map->free, slab), act = bit(map->active, slab);
		bool d = bit(map->discarding, slab);
		enum sc_slab_state want;

		if (slab >= map->nr_slabs) {
			if (f || act || d)
				return fail("bit %u past the last slab set", slab);
			continue;
		}
		if (f + act + d > 1)
			return fail("slab %u: free %d active %d discarding %d",
				    slab, f, act, d);
		if (act != bit(s->has_run, slab))
			return fail("slab %u: active %d, %s", slab, act,
				    act ? "no run" : "has a run");
		want = f ? SC_SLAB_FREE : act ? SC_SLAB_ACTIVE :
		       d ? SC_SLAB_DISCARDING : SC_SLAB_FILLING;
		if (state_of(map, slab) != want)
			return fail("slab %u: state %s, bits say %s", slab,
				    state_name(state_of(map, slab)),
				    state_name(want));
		nr_free += f;
	}
	if (nr_free != map->nr_free)
		return fail("nr_free %u, %u free bits", map->nr_free, nr_free);
	return NULL;
}

/* Every page in the arena is what a lookup of its block finds. */
static const char *check_self_lookup(const struct sc_map *map,
				     const struct scan *s)
{
	u32 i;

	for (i = 0; i < s->nr_cached; i++) {
		u64 b = s->pages[i].oblock;

		if (slot_of(map, b) != s->pages[i].slot)
			return fail("slot %u holds %llu, lookup finds %u",
				    s->pages[i].slot, b, slot_of(map, b));
	}
	return NULL;
}

/* All structural invariants; @s is filled for the caller, or NULL. */
static const char *check_all(const struct tmap *t, struct scan *s_out)
{
	struct scan s;
	const char *err;

	err = check_arena(&t->m, &s);
	if (!err)
		err = check_free_blocks(&t->m, &s);
	if (!err)
		err = check_hash(&t->m, &s);
	if (!err)
		err = check_slabs(&t->m, &s);
	if (!err)
		err = check_self_lookup(&t->m, &s);
	if (!err)
		err = check_memory(t);
	if (s_out && !err)
		*s_out = s;
	else
		scan_free(&s);
	return err;
}

#define CHECK_SOUND(t, what)						\
	do {								\
		const char *err_ = check_all(t, NULL);			\
		CHECK(!err_, "%s: %s", what, err_);			\
	} while (0)

/* ------------------------------------------------------------------ */
/* Calls, the way the kernel makes them                                */

static u32 alloc(struct tmap *t)
{
	return from_slab(sc_map_alloc_slab(&t->m, NULL, NULL));
}

static int fill(struct tmap *t, u32 slab, const u64 *blocks, u32 count,
		u32 *moved, u32 *run)
{
	sc_oblock_t ob[2 * SC_SLAB_SIZE];
	u32 i;

	assert(count <= ARRAY_SIZE(ob));
	for (i = 0; i < count; i++)
		ob[i] = to_oblock(blocks[i]);
	*moved = 0xdead;
	*run = 0xdead;
	return sc_map_fill_slab(&t->m, to_slab(slab), ob, count, moved, run);
}

/*
 * The layout a fill must make, by map.h's rule, worked out here from the
 * blocks alone: runs of consecutive pages of one group (a hole,
 * SC_OBLOCK_NONE, ends one); a stretch of consecutive runs in one span
 * (the holes between them ignored) is one span entry when it has three
 * runs or more and the span has fewer than SC_MAP_SPAN_ENTRIES span
 * entries (those in @map before the fill and those the fill makes), else a
 * group entry per run.
 */
struct plan_entry {
	bool span;
	u32 first, last;	/* slots of its first and last block */
	u64 key;		/* group, or span */
};

struct plan {
	struct plan_entry e[SC_SLAB_SIZE];
	u32 nr, units;
};

/* Span entries of @span in @map's hash, found by walking its chain. */
static u32 span_entries(const struct sc_map *map, u64 span)
{
	u32 a = *bucket_head(map, bucket_of(map, ~span)), n = 0;

	for (; a != SC_NIL; a = ent(map, a)->next)
		n += entry_key(ent(map, a)) == ~span;
	return n;
}

static u32 plan_layout(const struct sc_map *map, const u64 *b, u32 n,
		       struct plan *p)
{
	u32 first[SC_SLAB_SIZE], last[SC_SLAB_SIZE], nr = 0, k, j, e = 0, i;
	u32 *units = &p->units, have;
	struct plan_entry *out = p->e;

	/* the runs */
	for (k = 0; k < n; k++) {
		if (b[k] == SC_OBLOCK_NONE)
			continue;
		if (nr && last[nr - 1] == k - 1 &&
		    b[k] == b[k - 1] + 1 &&
		    b[k] / GROUP_PAGES == b[k - 1] / GROUP_PAGES) {
			last[nr - 1] = k;
			continue;
		}
		first[nr] = last[nr] = k;
		nr++;
	}
	*units = 0;
	/* the stretches */
	for (k = 0; k < nr; k = j) {
		u64 span = b[first[k]] / SPAN_BLOCKS;

		for (j = k + 1; j < nr && b[first[j]] / SPAN_BLOCKS == span; j++)
			;
		for (have = span_entries(map, span), i = 0; i < e; i++)
			have += out[i].span && out[i].key == span;
		if (j - k >= 3 && have < SC_MAP_SPAN_ENTRIES) {
			out[e++] = (struct plan_entry){ .span = true,
				.first = first[k], .last = last[j - 1],
				.key = span };
			*units += 2;
			continue;
		}
		for (; k < j; k++) {
			out[e++] = (struct plan_entry){ .span = false,
				.first = first[k], .last = last[k],
				.key = b[first[k]] / GROUP_PAGES };
			*units += 1;
		}
	}
	p->nr = e;
	return e;
}

/* Entries a fill of @blocks into @map as it is makes. */
static u32 expect_entries(const struct sc_map *map, const u64 *b, u32 n)
{
	struct plan p;

	return plan_layout(map, b, n, &p);
}

/*
 * The run a fill just made, entry by entry, against the blocks it was
 * given and @pl, plan_layout() of the map before the fill: each entry's
 * kind, key, slots, valid pages and, for a span entry, offsets.
 */
static const char *check_fill_run(const struct sc_map *map, u32 slab,
				  const u64 *b, u32 run, const struct plan *pl)
{
	const struct plan_entry *plan = pl->e;
	u32 units = pl->units, want = pl->nr, k, j, u = 0;
	const struct sc_entry *e;

	if (!ent_present(map, run))
		return fail("run %u not in the arena", run);
	e = ent(map, run);
	if (e->free || e->run_index || (u32)e->run_last + 1 != units ||
	    e->slab != slab)
		return fail("run %u: free %u index %u run_last %u slab %u; want"
			    " %u units (%u entries) in slab %u", run, e->free,
			    e->run_index, e->run_last, e->slab, units, want,
			    slab);
	if (from_slab(sc_map_run_slab(map, run)) != slab)
		return fail("run_slab(%u) = %u, not %u", run,
			    from_slab(sc_map_run_slab(map, run)), slab);
	for (k = 0; k < want; k++) {
		const struct plan_entry *p = &plan[k];
		u32 mask = 0;

		e = ent(map, run + u);
		if (e->span != p->span || entry_group(e) != p->key ||
		    e->run_index != u)
			return fail("run %u unit %u: span %u key %llu index %u;"
				    " want span %u key %llu", run, u, e->span,
				    entry_group(e), e->run_index, p->span,
				    p->key);
		if (!p->span) {
			for (j = p->first; j <= p->last; j++)
				mask |= 1U << (b[j] % GROUP_PAGES);
			if (e->valid != mask ||
			    entry_slot(e, b[p->first] % GROUP_PAGES) !=
			    slab * SC_SLAB_SIZE + p->first)
				return fail("run %u unit %u: group %llu valid"
					    " %#x shift %u; want valid %#x, page"
					    " %llu in slot %u", run, u,
					    entry_group(e), e->valid, e->shift,
					    mask, b[p->first] % GROUP_PAGES,
					    slab * SC_SLAB_SIZE + p->first);
			u++;
			continue;
		}
		if (entry_slot(e, 0) != slab * SC_SLAB_SIZE + p->first)
			return fail("run %u unit %u: span entry from slot %u,"
				    " want %u", run, u, entry_slot(e, 0),
				    slab * SC_SLAB_SIZE + p->first);
		for (j = p->first; j <= p->last; j++) {
			if (b[j] == SC_OBLOCK_NONE)
				continue;
			mask |= 1U << (j - p->first);
			if (span_offsets(map, run + u)[j - p->first] !=
			    b[j] % SPAN_BLOCKS)
				return fail("run %u unit %u: position %u offset"
					    " %u, want %llu", run, u,
					    j - p->first,
					    span_offsets(map, run + u)[j - p->first],
					    b[j] % SPAN_BLOCKS);
		}
		if (e->valid != mask)
			return fail("run %u unit %u: span valid %#x, want %#x",
				    run, u, e->valid, mask);
		u += 2;
	}
	return NULL;
}

/* Room for a run of @units without more memory, by map.h's rules. */
static bool has_room(const struct sc_map *map, u32 units)
{
	u32 o;

	for (o = order_of(units); o < SC_RUN_ORDERS; o++)
		if (map->free_blocks[o] != SC_NIL)
			return true;
	return map->spare_chunk && map->nr_chunks < map->nr_chunk_slots;
}

/* Feed the map, fill, and insist it worked; returns the run. */
static u32 fill_ok(struct tmap *t, u32 slab, const u64 *blocks, u32 count)
{
	const char *err = tm_feed_all(t);
	struct plan p;
	u32 moved, run;
	int r;

	CHECK(!err, "feed: %s", err);
	plan_layout(&t->m, blocks, count, &p);
	r = fill(t, slab, blocks, count, &moved, &run);
	CHECK(r == 0, "fill of slab %u with %u blocks from %llu: %d", slab,
	      count, count ? blocks[0] : 0, r);
	if (r == 0 && count) {
		err = check_fill_run(&t->m, slab, blocks, run, &p);
		CHECK(!err, "fill of slab %u: %s", slab, err);
	}
	return r ? SC_NIL : run;
}

/* A fill of @count consecutive blocks from @first. */
static u32 fill_range(struct tmap *t, u32 slab, u64 first, u32 count)
{
	u64 b[SC_SLAB_SIZE];
	u32 i;

	for (i = 0; i < count; i++)
		b[i] = first + i;
	return fill_ok(t, slab, b, count);
}

/*
 * A fill of page @page of @count groups, one per slot, each in a span of
 * its own (spread_block() @k.. on): an entry per block.
 */
static u32 fill_spread(struct tmap *t, u32 slab, u64 k, u32 count, u32 page)
{
	u64 b[SC_SLAB_SIZE];
	u32 i;

	for (i = 0; i < count; i++)
		b[i] = spread_block(k + i, page);
	return fill_ok(t, slab, b, count);
}

static u64 walk_all(struct tmap *t, u64 first, u64 count, u32 budget,
		    u32 *steps, bool *by_arena)
{
	struct sc_map_walk walk;
	u32 n = 0;

	sc_map_walk_init(&t->m, &walk, to_oblock(first), count);
	if (by_arena)
		*by_arena = walk.by_arena;
	do
		n++;
	while (!sc_map_walk_step(&t->m, &walk, budget) && n < 100000000);
	if (steps)
		*steps = n;
	return walk.dropped;
}

static u64 drop_range(struct tmap *t, u64 first, u64 count)
{
	return walk_all(t, first, count, SC_MAP_STEP, NULL, NULL);
}

static u64 drop_all(struct tmap *t)
{
	return drop_range(t, 0, SC_OBLOCK_NONE);
}

/* Bytes of the chunks and segments given to the map and not taken back. */
static size_t owned_bytes(const struct tmap *t)
{
	size_t bytes = 0;
	u32 i;

	for (i = 0; i < t->nr_owned; i++)
		bytes += t->owned[i].kind == MEM_CHUNK ? SC_CHUNK_BYTES :
			 SC_SEGMENT_BYTES;
	return bytes;
}

/*
 * Memory follows the cache: everything dropped and the garbage taken,
 * the map holds its fixed part, segment 0 and its reserve of a chunk and
 * a segment, nothing more.  Return: the blocks dropped.
 */
static u64 check_emptied(struct tmap *t, const char *what)
{
	const char *err;
	u64 n;

	n = drop_all(t);
	err = tm_collect(t, NULL);
	CHECK(!err, "%s: collect: %s", what, err);
	CHECK(t->m.nr_cached == 0 && t->m.nr_entries == 0 &&
	      t->m.nr_chunks == 0 && t->m.nr_segments == 1 &&
	      nr_buckets(&t->m) == SC_SEGMENT_BUCKETS &&
	      sc_map_dynamic_bytes(&t->m) == owned_bytes(t) &&
	      t->nr_owned == (u32)(!!t->m.spare_chunk + !!t->m.spare_segment),
	      "%s: emptied, the map holds %zu bytes (%zu given): %u chunks,"
	      " %u segments, %llu buckets", what, sc_map_dynamic_bytes(&t->m),
	      owned_bytes(t), t->m.nr_chunks, t->m.nr_segments,
	      nr_buckets(&t->m));
	CHECK_SOUND(t, what);
	return n;
}

/*
 * What the map looked like, for "a refused call changed nothing": the
 * counters, the slab states, what each slot holds, and the arena's and
 * the hash's shape.
 */
struct snap {
	u32 nr_cached, nr_entries, nr_free, nr_chunks, chunks_high;
	u32 lh_level, lh_split, nr_segments, free_cursor, clock_hand;
	u32 free_blocks[SC_RUN_ORDERS];
	void *spare_chunk, *spare_segment, *garbage;
	u8 *states, *refs;
	u64 *slots;
	u32 nr_slabs, nr_slots;
	bool ok;
};

static void snap_take(const struct tmap *t, struct snap *s)
{
	const struct sc_map *m = &t->m;
	struct scan sc;
	u32 i;

	memset(s, 0, sizeof(*s));
	s->nr_cached = m->nr_cached;
	s->nr_entries = m->nr_entries;
	s->nr_free = m->nr_free;
	s->nr_chunks = m->nr_chunks;
	s->chunks_high = m->chunks_high;
	s->lh_level = m->lh_level;
	s->lh_split = m->lh_split;
	s->nr_segments = m->nr_segments;
	s->free_cursor = m->free_cursor;
	s->clock_hand = m->clock_hand;
	memcpy(s->free_blocks, m->free_blocks, sizeof(s->free_blocks));
	s->spare_chunk = m->spare_chunk;
	s->spare_segment = m->spare_segment;
	s->garbage = m->garbage;
	s->nr_slabs = m->nr_slabs;
	s->nr_slots = m->nr_slots;
	s->states = malloc(m->nr_slabs);
	s->refs = malloc(m->nr_slabs);
	for (i = 0; i < m->nr_slabs; i++) {
		s->states[i] = state_of(m, i);
		s->refs[i] = bit(m->referenced, i);
	}
	s->ok = !check_arena(m, &sc);
	s->slots = sc.slot_oblock;
	sc.slot_oblock = NULL;
	scan_free(&sc);
}

static void snap_free(struct snap *s)
{
	free(s->states);
	free(s->refs);
	free(s->slots);
}

/* NULL if @t is as @s was. */
static const char *snap_diff(const struct tmap *t, const struct snap *s)
{
	struct snap now;
	const char *err = NULL;
	u32 i;

	snap_take(t, &now);
	if (!now.ok || !s->ok)
		err = fail("arena unsound before or after");
	else if (now.nr_cached != s->nr_cached ||
		 now.nr_entries != s->nr_entries || now.nr_free != s->nr_free)
		err = fail("cached %u entries %u free %u, were %u %u %u",
			   now.nr_cached, now.nr_entries, now.nr_free,
			   s->nr_cached, s->nr_entries, s->nr_free);
	else if (now.nr_chunks != s->nr_chunks ||
		 now.chunks_high != s->chunks_high ||
		 memcmp(now.free_blocks, s->free_blocks,
			sizeof(s->free_blocks)) ||
		 now.spare_chunk != s->spare_chunk ||
		 now.spare_segment != s->spare_segment ||
		 now.garbage != s->garbage)
		err = fail("the arena's memory changed");
	else if (now.lh_level != s->lh_level || now.lh_split != s->lh_split ||
		 now.nr_segments != s->nr_segments)
		err = fail("the hash changed: level %u split %u, were %u %u",
			   now.lh_level, now.lh_split, s->lh_level,
			   s->lh_split);
	else if (now.clock_hand != s->clock_hand)
		err = fail("hand %u, was %u", now.clock_hand, s->clock_hand);
	for (i = 0; !err && i < s->nr_slabs; i++)
		if (now.states[i] != s->states[i] || now.refs[i] != s->refs[i])
			err = fail("slab %u: %s ref %u, was %s ref %u", i,
				   state_name(now.states[i]), now.refs[i],
				   state_name(s->states[i]), s->refs[i]);
	for (i = 0; !err && s->slots && now.slots && i < s->nr_slots; i++)
		if (now.slots[i] != s->slots[i])
			err = fail("slot %u holds %llu, held %llu", i,
				   now.slots[i], s->slots[i]);
	snap_free(&now);
	return err;
}

/*
 * A refused call: @call returns what it returns, an error or nothing
 * done, and the map is exactly as it was.  @warns: the WARNs it may give.
 */
#define CHECK_UNCHANGED(t, call, expect, warns_max, what)		\
	do {								\
		struct snap s_;						\
		unsigned long w_ = sc_shim_warnings;			\
		const char *e_;						\
		long r_;						\
									\
		snap_take(t, &s_);					\
		r_ = (long)(call);					\
		e_ = snap_diff(t, &s_);					\
		CHECK(expect, "%s: returned %ld", what, r_);		\
		CHECK(!e_, "%s: %s", what, e_);				\
		CHECK(sc_shim_warnings - w_ <= (warns_max),		\
		      "%s: %lu warnings", what, sc_shim_warnings - w_);	\
		snap_free(&s_);						\
		CHECK_SOUND(t, what);					\
		(void)r_;						\
	} while (0)

/* ------------------------------------------------------------------ */
/* The busy callback and the CLOCK                                     */

struct busy_ctx {
	const struct sc_map *map;
	const u8 *busy;		/* per slab, or NULL: none busy */
	bool clock;		/* asked by the CLOCK, not by alloc */
	u32 calls[64], nr_calls, nr_bad;
};

static bool busy_fn(void *context, sc_slab_t s)
{
	struct busy_ctx *ctx = context;
	u32 slab = from_slab(s);

	if (ctx->nr_calls < ARRAY_SIZE(ctx->calls))
		ctx->calls[ctx->nr_calls] = slab;
	ctx->nr_calls++;
	if (slab >= ctx->map->nr_slabs)
		ctx->nr_bad++;
	else if (ctx->clock ? state_of(ctx->map, slab) != SC_SLAB_ACTIVE ||
				bit(ctx->map->referenced, slab) :
			      state_of(ctx->map, slab) != SC_SLAB_FREE)
		ctx->nr_bad++;
	return ctx->busy && slab < ctx->map->nr_slabs && ctx->busy[slab];
}

/*
 * The most a CLOCK step may pass: SC_MAP_STEP blocks of 16 entries at
 * most, or holes of a whole chunk.
 */
static u64 clock_step_bound(const struct sc_map *map)
{
	u32 c, holes = 0;

	for (c = 0; c < map->chunks_high; c++)
		holes += !map->chunks[c];
	return (u64)SC_MAP_STEP * SC_SLAB_SIZE + (u64)holes * SC_CHUNK_ENTRIES;
}

/*
 * A whole CLOCK search in steps, as the cleaner makes it.  *@max_step:
 * the most *steps one call used; *@calls: calls made.
 */
static u32 clock_search(struct sc_map *map, struct busy_ctx *ctx,
			u32 *max_step, u32 *calls)
{
	u64 steps = sc_map_clock_turns(map), prev;
	u32 run, n = 0, most = 0;

	if (ctx)
		ctx->clock = true;
	do {
		prev = steps;
		run = sc_map_clock_step(map, ctx ? busy_fn : NULL, ctx, &steps);
		if (steps > prev)
			most = U32_MAX;
		else if (prev - steps > most)
			most = (u32)(prev - steps);
		n++;
	} while (run == SC_NIL && steps && n < 10000000);
	if (max_step)
		*max_step = most;
	if (calls)
		*calls = n;
	return run;
}

/*
 * The CLOCK as a spec over the arena as it was before the search (@s, the
 * referenced bits in @ref, changed as the search changes them): from the
 * first run that starts at or past the hand (a run the hand is inside of
 * comes last), in arena order and wrapping, a referenced slab loses its
 * bit, a busy one is passed, the first other is the victim; two turns at
 * most.
 */
static u32 clock_spec(const struct sc_map *map, const struct scan *s, u8 *ref,
		      const u8 *busy, u32 *calls, u32 *nr_calls)
{
	u32 h = map->clock_hand, k0, j, n = s->nr_runs;

	*nr_calls = 0;
	for (k0 = 0; k0 < n && s->runs[k0] < h; k0++)
		;
	for (j = 0; j < 2 * n; j++) {
		u32 run = s->runs[(k0 + j) % n], slab = ent(map, run)->slab;

		if (ref[slab]) {
			ref[slab] = 0;
			continue;
		}
		if (*nr_calls < 64)
			calls[*nr_calls] = slab;
		++*nr_calls;
		if (busy && busy[slab])
			continue;
		return run;
	}
	return SC_NIL;
}

/* Set by a sabotaged run: the CLOCK forgets the referenced bits. */
static bool clock_ignores_ref;

/*
 * One CLOCK search checked against the spec: the victim, the bits it
 * cleared, the slabs it asked about, where the hand ends, and that each
 * step kept to its budget.  Return: the victim, or SC_NIL; *@err: NULL
 * or what went wrong.
 */
static u32 clock_checked(struct tmap *t, const u8 *busy, const char **err)
{
	struct sc_map *map = &t->m;
	struct busy_ctx ctx = { .map = map, .busy = busy };
	struct scan s;
	u32 calls[64], nr_calls, want, got = SC_NIL, max_step, i, n;
	u8 *ref = malloc(map->nr_slabs);

	*err = check_arena(map, &s);
	if (*err)
		goto out;
	for (i = 0; i < map->nr_slabs; i++)
		ref[i] = bit(map->referenced, i);
	want = clock_spec(map, &s, ref, busy, calls, &nr_calls);
	if (clock_ignores_ref)
		memset(map->referenced, 0,
		       (map->nr_slabs + LONG_BITS - 1) / LONG_BITS * sizeof(long));
	got = clock_search(map, busy ? &ctx : NULL, &max_step, NULL);
	if (max_step > clock_step_bound(map)) {
		*err = fail("a CLOCK step passed %u entries", max_step);
		goto out;
	}
	if (ctx.nr_bad) {
		*err = fail("busy asked %u times about a slab not active or"
			    " referenced", ctx.nr_bad);
		goto out;
	}
	if (got != SC_NIL) {
		for (i = 0; i < s.nr_runs && s.runs[i] != got; i++)
			;
		if (i == s.nr_runs) {
			*err = fail("victim %u is not a run", got);
			goto out;
		}
		if (busy && busy[ent(map, got)->slab]) {
			*err = fail("victim %u in busy slab %u", got,
				    ent(map, got)->slab);
			goto out;
		}
		n = got + block_size(ent(map, got));
		if (map->clock_hand != n &&
		    !(n == s.arena_len && map->clock_hand == 0)) {
			*err = fail("victim %u, hand at %u, not past it", got,
				    map->clock_hand);
			goto out;
		}
	} else {
		for (i = 0; i < s.nr_runs; i++)
			if (!busy || !busy[ent(map, s.runs[i])->slab]) {
				*err = fail("no victim, slab %u idle",
					    ent(map, s.runs[i])->slab);
				goto out;
			}
	}
	if (got != want) {
		*err = fail("victim %u, spec %u (arena of %u)", got, want,
			    s.arena_len);
		goto out;
	}
	for (i = 0; i < map->nr_slabs; i++)
		if (bit(map->referenced, i) != ref[i]) {
			*err = fail("slab %u referenced %d, spec %d", i,
				    bit(map->referenced, i), ref[i]);
			goto out;
		}
	if (busy && (ctx.nr_calls != nr_calls ||
		     memcmp(ctx.calls, calls,
			    (nr_calls < 64 ? nr_calls : 64) * sizeof(u32)))) {
		*err = fail("busy asked %u times, spec %u", ctx.nr_calls,
			    nr_calls);
		goto out;
	}
out:
	scan_free(&s);
	free(ref);
	return got;
}

/* The referenced bits of slabs 0.., as 0s and 1s. */
static const char *refs_str(const struct sc_map *map)
{
	static char buf[256];
	u32 slab;

	for (slab = 0; slab < map->nr_slabs && slab < sizeof(buf) - 1; slab++)
		buf[slab] = '0' + bit(map->referenced, slab);
	buf[slab] = '\0';
	return buf;
}

static void touch(struct tmap *t, u32 slab)
{
	sc_map_touch_slab(&t->m, to_slab(slab));
}

/* The run of @slab, from the arena, or SC_NIL. */
static u32 run_of(const struct tmap *t, u32 slab)
{
	struct scan s;
	u32 run = SC_NIL;

	if (!check_arena(&t->m, &s) && s.slab_run)
		run = s.slab_run[slab];
	scan_free(&s);
	return run;
}

/* ------------------------------------------------------------------ */
/* Directed tests                                                     */

static void test_init(void)
{
	static const u32 sizes[] = { 1, 2, 5, 64, 1000, 70000 };
	unsigned int k;
	u32 i;

	for (k = 0; k < ARRAY_SIZE(sizes); k++) {
		struct tmap t;
		u32 bad = 0, hits = 0;

		tm_init(&t, sizes[k]);
		CHECK(t.m.nr_slabs == sizes[k] &&
		      t.m.nr_slots == sizes[k] * SC_SLAB_SIZE &&
		      t.m.nr_free == sizes[k] && t.m.nr_cached == 0 &&
		      t.m.nr_entries == 0,
		      "%u slabs: nr_slabs %u nr_slots %u nr_free %u cached %u"
		      " entries %u", sizes[k], t.m.nr_slabs, t.m.nr_slots,
		      t.m.nr_free, t.m.nr_cached, t.m.nr_entries);
		CHECK(t.m.nr_chunks == 0 && t.m.chunks_high == 0 &&
		      t.m.lh_level == SC_SEGMENT_SHIFT && t.m.lh_split == 0 &&
		      t.m.nr_segments == 1 && !t.m.spare_chunk &&
		      !t.m.spare_segment && !t.m.garbage,
		      "%u slabs: chunks %u high %u level %u split %u segments %u",
		      sizes[k], t.m.nr_chunks, t.m.chunks_high, t.m.lh_level,
		      t.m.lh_split, t.m.nr_segments);
		/* the directories are sized for a full SSD of worst runs */
		CHECK((u64)t.m.nr_chunk_slots * SC_CHUNK_ENTRIES >=
		      (u64)sizes[k] * SC_SLAB_SIZE,
		      "%u slabs: %u chunk slots", sizes[k], t.m.nr_chunk_slots);
		for (i = 0; i < SC_RUN_ORDERS; i++)
			bad += t.m.free_blocks[i] != SC_NIL;
		for (i = 0; i < sizes[k]; i++)
			bad += state_of(&t.m, i) != SC_SLAB_FREE ||
			       bit(t.m.referenced, i);
		CHECK(bad == 0, "%u slabs: %u free lists or slabs not empty",
		      sizes[k], bad);
		for (i = 0; i < 3000; i++)
			hits += slot_of(&t.m, i) != SC_NIL;
		hits += slot_of(&t.m, SC_MAP_MAX_OBLOCKS - 1) != SC_NIL;
		hits += slot_of(&t.m, SC_MAP_MAX_OBLOCKS) != SC_NIL;
		hits += slot_of(&t.m, SC_OBLOCK_NONE) != SC_NIL;
		CHECK(hits == 0, "%u lookups hit an empty map", hits);
		CHECK(sc_map_dynamic_bytes(&t.m) == 0,
		      "%u slabs: %zu dynamic bytes before anything is cached",
		      sizes[k], sc_map_dynamic_bytes(&t.m));
		CHECK_SOUND(&t, "init");
		tm_free(&t);
	}
}

/*
 * The fixed part: a fraction of a byte per slab and segment 0, so that
 * a big SSD constructs on a small machine.
 */
static void test_bytes(void)
{
	static const struct {
		const char *ssd;
		u32 nr_slabs;
	} ssds[] = {
		{ "64 GiB", 1U << 20 },
		{ "1 TiB", 1U << 24 },
		{ "4 TiB", 1U << 26 },
		{ "16 TiB", SC_MAP_MAX_SLABS },
	};
	size_t prev = 0, bytes;
	unsigned int k;
	u32 n;
	struct tmap t;

	for (k = 0; k < ARRAY_SIZE(ssds); k++) {
		bytes = sc_map_bytes(ssds[k].nr_slabs);
		printf("map: fixed part for a %s SSD: %zu bytes, %.3f per slab\n",
		       ssds[k].ssd, bytes, (double)bytes / ssds[k].nr_slabs);
		CHECK(bytes <= (size_t)ssds[k].nr_slabs * 6 / 8 + 20480,
		      "%s: %zu bytes", ssds[k].ssd, bytes);
		/* at most 16 MiB per TiB of SSD */
		CHECK(bytes <= (size_t)ssds[k].nr_slabs,
		      "%s: %zu bytes, more than a byte per slab", ssds[k].ssd,
		      bytes);
	}
	for (n = 1; n <= SC_MAP_MAX_SLABS && n; n = n < 300 ? n + 1 : n * 3 + 1) {
		bytes = sc_map_bytes(n);
		CHECK(bytes >= prev && bytes >= SC_SEGMENT_BYTES +
		      5 * ((size_t)n + 7) / 8 && bytes <= (size_t)n + 20480,
		      "bytes(%u) = %zu after %zu", n, bytes, prev);
		prev = bytes;
	}
	/* a 1 TiB SSD's map: built, used, at the far end too */
	tm_init(&t, 1U << 24);
	n = alloc(&t);
	fill_range(&t, n, (SC_MAP_MAX_OBLOCKS - GROUP_PAGES), GROUP_PAGES);
	CHECK(slot_of(&t.m, SC_MAP_MAX_OBLOCKS - 1) == n * SC_SLAB_SIZE + 15,
	      "1 TiB map: lookup of the last block %u",
	      slot_of(&t.m, SC_MAP_MAX_OBLOCKS - 1));
	CHECK_SOUND(&t, "1 TiB map");
	tm_free(&t);
}

/* The memory handshake: wants, provide, a fill with no room, garbage. */
static void test_memory_protocol(void)
{
	struct tmap t;
	bool want_chunk = false, want_segment = false;
	void *chunk, *segment;
	u64 b[SC_SLAB_SIZE];
	u32 s, s2, moved, run, i, nr;
	const char *err;
	int r;

	tm_init(&t, 300);
	sc_map_wants(&t.m, &want_chunk, &want_segment);
	CHECK(want_chunk, "an empty map wants no chunk");

	/* no memory: the fill fails whole and changes nothing */
	s = alloc(&t);
	for (i = 0; i < SC_SLAB_SIZE; i++)
		b[i] = spread_block(100 + i, 0);
	CHECK_UNCHANGED(&t, fill(&t, s, b, 16, &moved, &run), r_ < 0, 0,
			"fill with no arena");
	CHECK(state_of(&t.m, s) == SC_SLAB_FILLING,
	      "slab of a failed fill is %s", state_name(state_of(&t.m, s)));

	/* a chunk given: taken, the caller's pointer cleared */
	chunk = tm_alloc(&t, MEM_CHUNK);
	segment = NULL;
	sc_map_provide(&t.m, &chunk, &segment);
	CHECK(!chunk && t.m.spare_chunk, "provide left the chunk");
	sc_map_wants(&t.m, &want_chunk, &want_segment);
	CHECK(!want_chunk, "wants a chunk with one spare");
	/* one more, not wanted: left to the caller */
	chunk = tm_alloc(&t, MEM_CHUNK);
	sc_map_provide(&t.m, &chunk, &segment);
	CHECK(chunk, "provide took a chunk it did not want");
	if (chunk)
		tm_release(&t, chunk);
	CHECK_SOUND(&t, "provided");

	r = fill(&t, s, b, 16, &moved, &run);
	CHECK(r == 0 && moved == 0 && t.m.nr_chunks == 1 && !t.m.spare_chunk,
	      "fill with a spare chunk: %d, moved %u, %u chunks", r, moved,
	      t.m.nr_chunks);
	CHECK(slot_of(&t.m, b[5]) == s * SC_SLAB_SIZE + 5, "lookup after fill");
	CHECK_SOUND(&t, "first fill");

	/*
	 * 255 more runs of 16 entries fill the chunk exactly, with no more
	 * memory; the next one needs a chunk.
	 */
	for (i = 1; i < 256; i++) {
		s2 = alloc(&t);
		for (nr = 0; nr < SC_SLAB_SIZE; nr++)
			b[nr] = spread_block(10000 + i * SC_SLAB_SIZE + nr, 0);
		r = fill(&t, s2, b, 16, &moved, &run);
		if (r)
			break;
	}
	CHECK(i == 256 && t.m.nr_chunks == 1 && t.m.chunk_used[0] == 4096,
	      "one chunk holds 256 runs of 16: stopped at %u, %u chunks", i,
	      t.m.nr_chunks);
	s2 = alloc(&t);
	for (nr = 0; nr < SC_SLAB_SIZE; nr++)
		b[nr] = spread_block(90000 + nr, 0);
	CHECK_UNCHANGED(&t, fill(&t, s2, b, 1, &moved, &run), r_ < 0, 0,
			"fill of a full arena");
	err = tm_feed(&t, false, true);
	CHECK(!err, "feed: %s", err);
	CHECK_UNCHANGED(&t, fill(&t, s2, b, 1, &moved, &run), r_ < 0, 0,
			"fill of a full arena, no chunk given");
	fill_ok(&t, s2, b, 1);
	CHECK(t.m.nr_chunks == 2 && t.m.chunks_high == 2,
	      "second chunk: %u chunks, high %u", t.m.nr_chunks,
	      t.m.chunks_high);
	CHECK_SOUND(&t, "two chunks");

	/* that one run gone, its chunk is the caller's again */
	CHECK(sc_map_evict_run(&t.m, run_of(&t, s2)) == 1, "evict s2");
	CHECK(t.m.nr_chunks == 1 && t.m.chunks_high == 1 &&
	      (t.m.garbage || t.m.spare_chunk),
	      "chunk of the evicted run: %u chunks, garbage %p",
	      t.m.nr_chunks, t.m.garbage);
	CHECK_SOUND(&t, "chunk let go");
	err = tm_collect(&t, &nr);
	CHECK(!err && nr <= 1, "garbage: %u items, %s", nr, err ? err : "");
	CHECK(!sc_map_take_garbage(&t.m), "garbage taken twice");

	/* room in a chunk that has some, without more memory */
	CHECK(sc_map_evict_run(&t.m, run_of(&t, s)) == 16, "evict s");
	CHECK(has_room(&t.m, 16) && t.m.nr_chunks == 1,
	      "a freed run of 16 is not room for one");
	s = alloc(&t);
	for (i = 0; i < SC_SLAB_SIZE; i++)
		b[i] = spread_block(1600 + i, 15 - i);	/* 16 entries */
	r = fill(&t, s, b, 16, &moved, &run);
	CHECK(r == 0 && t.m.nr_chunks == 1, "fill into freed room: %d", r);
	CHECK_SOUND(&t, "room reused");

	check_emptied(&t, "protocol");
	tm_free(&t);
}

/*
 * Teardown with chunks, segments, a reserve and garbage not yet taken:
 * all of it comes back, once.
 */
static void test_release_all(void)
{
	struct tmap t;
	const char *err;
	u32 s, i;

	tm_init(&t, 4);
	err = tm_teardown(&t);
	CHECK(!err, "empty map: %s", err);
	tm_free(&t);

	tm_init(&t, 1000);
	for (s = 0; s < 1000; s++)
		fill_spread(&t, alloc(&t), (u64)s * SC_SLAB_SIZE, SC_SLAB_SIZE,
			    0);
	/* some gone: garbage left for the teardown to pass on */
	for (s = 0; s < 1000; s += 3)
		for (i = 0; i < SC_SLAB_SIZE; i++)
			sc_map_remove(&t.m, to_oblock(spread_block((u64)s *
						SC_SLAB_SIZE + i, 0)));
	CHECK(t.m.nr_chunks > 1 && t.m.nr_segments > 1,
	      "not a teardown of much: %u chunks, %u segments", t.m.nr_chunks,
	      t.m.nr_segments);
	CHECK_SOUND(&t, "before teardown");
	err = tm_teardown(&t);
	CHECK(!err, "teardown: %s", err);
	tm_free(&t);
}

/* The shapes of a fill and the entries each makes. */
static void test_fill_shapes(void)
{
	static const struct {
		const char *what;
		u32 n;
		u64 b[SC_SLAB_SIZE];
	} cases[] = {
		{ "whole group", 16, { 112, 113, 114, 115, 116, 117, 118, 119,
				       120, 121, 122, 123, 124, 125, 126, 127 } },
		{ "pages 5-12 of a group", 8,
		  { 53, 54, 55, 56, 57, 58, 59, 60 } },
		{ "two half groups", 16, { 152, 153, 154, 155, 156, 157, 158, 159,
					   320, 321, 322, 323, 324, 325, 326, 327 } },
		{ "consecutive blocks across groups", 4, { 78, 79, 80, 81 } },
		{ "16 groups", 16, { 1000, 1016, 1032, 1048, 1064, 1080, 1096,
				     1112, 1128, 1144, 1160, 1176, 1192, 1208,
				     1224, 1240 } },
		{ "a group backwards", 16, { 495, 494, 493, 492, 491, 490, 489,
					     488, 487, 486, 485, 484, 483, 482,
					     481, 480 } },
		{ "a group with a gap", 5, { 496, 497, 498, 500, 501 } },
		{ "a group twice", 9, { 640, 641, 642, 643, 656, 644, 645, 646,
					647 } },
		{ "one block", 1, { 777 } },
		{ "three groups", 3, { 800, 900, 1300 } },
		{ "five entries", 5, { 1400, 1417, 1434, 1451, 1468 } },
		{ "above 2^32 groups", 16, { 1ULL << 36, (1ULL << 36) + 1,
			(1ULL << 36) + 2, (1ULL << 36) + 3, (1ULL << 36) + 4,
			(1ULL << 36) + 5, (1ULL << 36) + 6, (1ULL << 36) + 7,
			(1ULL << 36) - 8, (1ULL << 36) - 7, (1ULL << 36) - 6,
			(1ULL << 36) - 5, (1ULL << 36) - 4, (1ULL << 36) - 3,
			(1ULL << 36) - 2, (1ULL << 36) - 1 } },
		{ "the last group", 2, { SC_MAP_MAX_OBLOCKS - 2,
					 SC_MAP_MAX_OBLOCKS - 1 } },
		{ "far groups", 3, { 0x123456789aULL, 0x123456789bULL,
				     SC_MAP_MAX_OBLOCKS / 2 } },
	};
	struct tmap t;
	unsigned int k;
	u32 i, s, wrong, aliased, entries = 0, cached = 0;

	tm_init(&t, 64);
	for (k = 0; k < ARRAY_SIZE(cases); k++) {
		u32 more = expect_entries(&t.m, cases[k].b, cases[k].n);

		s = alloc(&t);
		if (fill_ok(&t, s, cases[k].b, cases[k].n) == SC_NIL)
			continue;
		entries += more;
		cached += cases[k].n;
		CHECK(t.m.nr_entries == entries && t.m.nr_cached == cached &&
		      state_of(&t.m, s) == SC_SLAB_ACTIVE,
		      "%s: entries %u cached %u, want %u %u; slab %s",
		      cases[k].what, t.m.nr_entries, t.m.nr_cached, entries,
		      cached, state_name(state_of(&t.m, s)));
		wrong = aliased = 0;
		for (i = 0; i < cases[k].n; i++) {
			u64 b = cases[k].b[i];

			wrong += slot_of(&t.m, b) != s * SC_SLAB_SIZE + i;
			/* 36 bits of group kept: nothing aliases above */
			aliased += slot_of(&t.m, b + SC_MAP_MAX_OBLOCKS) != SC_NIL;
			aliased += slot_of(&t.m, b ^ (1ULL << 63)) != SC_NIL;
		}
		CHECK(!wrong && !aliased, "%s: %u blocks misplaced, %u aliases",
		      cases[k].what, wrong, aliased);
		CHECK_SOUND(&t, cases[k].what);
	}
	/* neighbours not cached */
	CHECK(slot_of(&t.m, 52) == SC_NIL && slot_of(&t.m, 61) == SC_NIL &&
	      slot_of(&t.m, 499) == SC_NIL && slot_of(&t.m, 648) == SC_NIL &&
	      slot_of(&t.m, 657) == SC_NIL,
	      "neighbours of cached blocks hit");
	tm_free(&t);
}

/* Every bad fill: an error, and nothing changed. */
static void test_fill_refusals(void)
{
	struct tmap t;
	u64 b[2 * SC_SLAB_SIZE];
	u32 s, a, moved, run, i;
	unsigned long w;
	int r;

	tm_init(&t, 8);
	a = alloc(&t);
	fill_range(&t, a, 160, 16);
	s = alloc(&t);
	tm_feed_all(&t);

	for (i = 0; i < SC_SLAB_SIZE; i++)
		b[i] = 320 + i;
	b[5] = b[4];
	w = sc_shim_warnings;
	CHECK_UNCHANGED(&t, fill(&t, s, b, 16, &moved, &run), r_ < 0, 1,
			"a block twice, adjacent");
	CHECK(sc_shim_warnings == w + 1, "duplicates: %lu warnings",
	      sc_shim_warnings - w);
	b[5] = 325;
	b[15] = 320;
	w = sc_shim_warnings;
	CHECK_UNCHANGED(&t, fill(&t, s, b, 16, &moved, &run), r_ < 0, 1,
			"a block twice, first and last");
	CHECK(sc_shim_warnings == w + 1, "duplicates: %lu warnings",
	      sc_shim_warnings - w);
	/* a cached block twice: must not be half moved */
	b[0] = 165;
	b[1] = 165;
	w = sc_shim_warnings;
	CHECK_UNCHANGED(&t, fill(&t, s, b, 2, &moved, &run), r_ < 0, 1,
			"a cached block twice");
	CHECK(sc_shim_warnings == w + 1, "duplicates: %lu warnings",
	      sc_shim_warnings - w);
	for (i = 0; i < SC_SLAB_SIZE; i++)
		b[i] = 9;
	CHECK_UNCHANGED(&t, fill(&t, s, b, 16, &moved, &run), r_ < 0, 1,
			"one block 16 times");
	CHECK(state_of(&t.m, s) == SC_SLAB_FILLING,
	      "refused fill left the slab %s", state_name(state_of(&t.m, s)));

	for (i = 0; i < 2 * SC_SLAB_SIZE; i++)
		b[i] = 3200 + i;
	CHECK_UNCHANGED(&t, fill(&t, s, b, 17, &moved, &run), r_ < 0, 1,
			"17 blocks");
	b[3] = SC_MAP_MAX_OBLOCKS;
	CHECK_UNCHANGED(&t, fill(&t, s, b, 4, &moved, &run), r_ < 0, 1,
			"a block past the largest origin");
	for (i = 0; i < 4; i++)
		b[i] = SC_OBLOCK_NONE;
	CHECK_UNCHANGED(&t, fill(&t, s, b, 4, &moved, &run), r_ < 0, 1,
			"only holes (SC_OBLOCK_NONE)");
	for (i = 0; i < 4; i++)
		b[i] = 3200 + i;

	/* the same fill, good, works; then a fill of nothing gives it back */
	fill_ok(&t, s, b, 4);
	s = alloc(&t);
	r = fill(&t, s, b, 0, &moved, &run);
	CHECK(r == 0 && moved == 0 && state_of(&t.m, s) == SC_SLAB_FREE,
	      "fill of nothing: %d, moved %u, slab %s", r, moved,
	      state_name(state_of(&t.m, s)));
	CHECK_SOUND(&t, "after refusals");
	tm_free(&t);
}

/* Blocks cached elsewhere move; their old copies go. */
static void test_move(void)
{
	struct tmap t;
	u64 b[SC_SLAB_SIZE];
	u32 s0, s1, s2, moved, run, i, wrong = 0, old;
	int r;

	tm_init(&t, 8);
	s0 = alloc(&t);
	old = fill_range(&t, s0, 160, 16);		/* group 10 */
	CHECK(t.m.nr_entries == 1, "entries %u", t.m.nr_entries);

	s1 = alloc(&t);
	tm_feed_all(&t);
	/* 1287, 1288: in another span, so that each block is an entry */
	r = fill(&t, s1, (u64[]){ 1287, 163, 160, 1288, 175 }, 5, &moved,
		 &run);
	CHECK(r == 0 && moved == 3, "fill: %d, moved %u, expected 3", r, moved);
	CHECK(slot_of(&t.m, 163) == s1 * 16 + 1 &&
	      slot_of(&t.m, 160) == s1 * 16 + 2 &&
	      slot_of(&t.m, 175) == s1 * 16 + 4 &&
	      slot_of(&t.m, 161) == s0 * 16 + 1,
	      "moved blocks not in their new slots");
	CHECK(ent(&t.m, old)->valid == (0xffff & ~(1U << 0 | 1U << 3 | 1U << 15)),
	      "old entry valid %#x", ent(&t.m, old)->valid);
	CHECK(t.m.nr_cached == 18 && state_of(&t.m, s0) == SC_SLAB_ACTIVE,
	      "nr_cached %u, old slab %s", t.m.nr_cached,
	      state_name(state_of(&t.m, s0)));
	CHECK_SOUND(&t, "move");

	/* the other 13 move too: s0 empties, its run goes, it is free */
	s2 = alloc(&t);
	for (i = 0; i < 13; i++)
		b[i] = 161 + i + (i >= 2);		/* skip 163 */
	tm_feed_all(&t);
	r = fill(&t, s2, b, 13, &moved, &run);
	CHECK(r == 0 && moved == 13, "fill: %d, moved %u, expected 13", r,
	      moved);
	CHECK(state_of(&t.m, s0) == SC_SLAB_FREE && run_of(&t, s0) == SC_NIL,
	      "emptied slab %s, run %u", state_name(state_of(&t.m, s0)),
	      run_of(&t, s0));
	for (i = 0; i < 13; i++)
		wrong += slot_of(&t.m, b[i]) != s2 * 16 + i;
	CHECK(!wrong, "%u of 13 moved blocks misplaced", wrong);
	/* s1: 1287, 1288, 163, 160, 175 each alone; s2: 2 entries */
	CHECK(t.m.nr_entries == 5 + 2 && t.m.nr_cached == 18,
	      "entries %u cached %u", t.m.nr_entries, t.m.nr_cached);
	CHECK_SOUND(&t, "move empties");

	/* moved out of a run, leaving an entry with no page in it */
	s0 = alloc(&t);
	tm_feed_all(&t);
	r = fill(&t, s0, (u64[]){ 1287, 1288 }, 2, &moved, &run);
	CHECK(r == 0 && moved == 2 && t.m.nr_entries == 3 + 2 + 1,
	      "fill: %d, moved %u, entries %u", r, moved, t.m.nr_entries);
	CHECK(run_of(&t, s1) != SC_NIL && ent(&t.m, run_of(&t, s1))->valid == 0,
	      "s1's first entry is not dead");
	CHECK_SOUND(&t, "dead entry");
	tm_free(&t);
}

static void test_remove(void)
{
	struct tmap t;
	u32 s0, s1, nr, r1;
	const char *err;

	tm_init(&t, 4);
	s0 = alloc(&t);
	fill_range(&t, s0, 16, 16);			/* group 1 */
	s1 = alloc(&t);
	r1 = fill_ok(&t, s1, (u64[]){ 40, 41, 50 }, 3);	/* 2 entries */
	CHECK(t.m.nr_entries == 3, "entries %u", t.m.nr_entries);

	CHECK(sc_map_remove(&t.m, to_oblock(16)), "remove of a cached block");
	CHECK(slot_of(&t.m, 16) == SC_NIL && slot_of(&t.m, 17) == s0 * 16 + 1,
	      "after remove: 16 at %u, 17 at %u", slot_of(&t.m, 16),
	      slot_of(&t.m, 17));
	CHECK_UNCHANGED(&t, sc_map_remove(&t.m, to_oblock(16)), !r_, 0,
			"second remove");
	CHECK_UNCHANGED(&t, sc_map_remove(&t.m, to_oblock(12345)), !r_, 0,
			"remove of a block never cached");
	CHECK_UNCHANGED(&t, sc_map_remove(&t.m, to_oblock(17 +
			SC_MAP_MAX_OBLOCKS)), !r_, 0,
			"remove of an alias of a cached block");
	CHECK_UNCHANGED(&t, sc_map_remove(&t.m, to_oblock(SC_OBLOCK_NONE)),
			!r_, 0, "remove of SC_OBLOCK_NONE");
	CHECK(t.m.nr_cached == 18 && slot_of(&t.m, 17) == s0 * 16 + 1,
	      "nr_cached %u", t.m.nr_cached);

	/* the last page of an entry: out of the hash, still in its run */
	CHECK(sc_map_remove(&t.m, to_oblock(50)), "remove 50");
	CHECK(t.m.nr_entries == 2 && run_of(&t, s1) == r1 &&
	      ent(&t.m, r1 + 1)->valid == 0,
	      "entries %u, run %u", t.m.nr_entries, run_of(&t, s1));
	CHECK_SOUND(&t, "entry emptied");
	sc_map_remove(&t.m, to_oblock(40));
	sc_map_remove(&t.m, to_oblock(41));
	CHECK(state_of(&t.m, s1) == SC_SLAB_FREE && run_of(&t, s1) == SC_NIL &&
	      t.m.nr_entries == 1,
	      "emptied slab %s, run %u, entries %u",
	      state_name(state_of(&t.m, s1)), run_of(&t, s1), t.m.nr_entries);
	CHECK_SOUND(&t, "slab emptied");

	/* the last run of the last chunk: the chunk goes back */
	for (nr = 17; nr < 32; nr++)
		sc_map_remove(&t.m, to_oblock(nr));
	CHECK(t.m.nr_cached == 0 && t.m.nr_entries == 0 && t.m.nr_free == 4 &&
	      t.m.nr_chunks == 0 && t.m.chunks_high == 0 &&
	      (t.m.garbage || t.m.spare_chunk),
	      "all removed: cached %u entries %u free %u chunks %u",
	      t.m.nr_cached, t.m.nr_entries, t.m.nr_free, t.m.nr_chunks);
	CHECK_SOUND(&t, "all removed");
	err = tm_collect(&t, &nr);
	CHECK(!err && nr <= 1, "garbage: %u items %s", nr, err ? err : "");
	CHECK(sc_map_dynamic_bytes(&t.m) ==
	      (t.m.spare_chunk ? SC_CHUNK_BYTES : 0) +
	      (t.m.spare_segment ? SC_SEGMENT_BYTES : 0),
	      "%zu dynamic bytes left", sc_map_dynamic_bytes(&t.m));
	tm_free(&t);
}

/* Runs of every length: their blocks, and blocks merged when they go. */
static void test_buddy(void)
{
	struct tmap t;
	u32 runs[SC_SLAB_SIZE + 1], n, i, bad = 0;
	const char *err;

	tm_init(&t, 40);
	for (n = 1; n <= SC_SLAB_SIZE; n++) {
		runs[n] = fill_spread(&t, alloc(&t), 100 * n, n, 3);
		if (runs[n] == SC_NIL)
			continue;
		bad += runs[n] & ((1U << order_of(n)) - 1);
		bad += ent(&t.m, runs[n])->run_last != n - 1;
	}
	CHECK(!bad && t.m.nr_entries == 136 && t.m.chunk_used[0] ==
	      1 + 2 + 4 + 4 + 8 * 4 + 16 * 8,
	      "%u runs misplaced, %u entries, chunk_used %u", bad,
	      t.m.nr_entries, t.m.chunk_used[0]);
	CHECK_SOUND(&t, "runs of 1 to 16");
	/* every other one gone, then the rest: all merged back, let go */
	for (n = 1; n <= SC_SLAB_SIZE; n += 2)
		CHECK(sc_map_evict_run(&t.m, runs[n]) == n, "evict run of %u", n);
	CHECK_SOUND(&t, "half the runs gone");
	for (n = 2; n <= SC_SLAB_SIZE; n += 2)
		CHECK(sc_map_retire_run(&t.m, runs[n]) == n, "retire run of %u",
		      n);
	CHECK(t.m.nr_chunks == 0 && t.m.nr_entries == 0,
	      "all runs gone: %u chunks, %u entries", t.m.nr_chunks,
	      t.m.nr_entries);
	for (i = 0; i < 40; i++)
		if (state_of(&t.m, i) == SC_SLAB_DISCARDING)
			sc_map_abort_slab(&t.m, to_slab(i));
	CHECK(t.m.nr_free == 40, "nr_free %u", t.m.nr_free);
	err = tm_collect(&t, NULL);
	CHECK(!err, "collect: %s", err);
	CHECK_SOUND(&t, "all runs gone");
	tm_free(&t);
}

/*
 * Linear hashing: the table grows a bucket per entry while segments are
 * given, keeps chains short, does without when none is, and shrinks back
 * to segment 0 as entries go.
 */
static void test_hash(void)
{
	const u32 nr_slabs = 3000;
	struct tmap t;
	u32 s, i, max_chain = 0, chain, a, level_starved, slab, moved, run;
	u32 before;
	u64 buckets, b, misses = 0, bl[SC_SLAB_SIZE];
	const char *err;
	bool spare;

	tm_init(&t, nr_slabs);
	/* 16 entries a slab, one page each: 48000 entries */
	for (s = 0; s < nr_slabs; s++)
		fill_spread(&t, alloc(&t), (u64)s * SC_SLAB_SIZE, SC_SLAB_SIZE,
			    s % GROUP_PAGES);
	buckets = nr_buckets(&t.m);
	for (i = 0; i < buckets; i++) {
		chain = 0;
		for (a = *bucket_head(&t.m, i); a != SC_NIL; a = ent(&t.m, a)->next)
			chain++;
		if (chain > max_chain)
			max_chain = chain;
	}
	printf("map: %u entries in %llu buckets (level %u, split %u, %u"
	       " segments), longest chain %u\n", t.m.nr_entries, buckets,
	       t.m.lh_level, t.m.lh_split, t.m.nr_segments, max_chain);
	CHECK(t.m.nr_entries == 16 * nr_slabs, "entries %u", t.m.nr_entries);
	CHECK(t.m.nr_entries <= 2 * buckets && buckets <= 2 * t.m.nr_entries,
	      "%u entries in %llu buckets: chains too long or too short",
	      t.m.nr_entries, buckets);
	CHECK_SOUND(&t, "grown");

	/* sabotage: 16 splits that move nothing must not pass the checks */
	{
		u32 old = t.m.lh_split, nb = (u32)nr_buckets(&t.m), saved[16];

		CHECK(old + 16 < 1U << t.m.lh_level &&
		      t.m.segments[(nb + 15) >> SC_SEGMENT_SHIFT],
		      "no room for the split sabotage: split %u of level %u",
		      old, t.m.lh_level);
		if (old + 16 < 1U << t.m.lh_level &&
		    t.m.segments[(nb + 15) >> SC_SEGMENT_SHIFT]) {
			for (i = 0; i < 16; i++) {
				saved[i] = *bucket_head(&t.m, nb + i);
				*bucket_head(&t.m, nb + i) = SC_NIL;
			}
			t.m.lh_split += 16;
			err = check_all(&t, NULL);
			CHECK(err, "splits that moved nothing passed the checks");
			printf("map: sabotage \"split without rehash\": %s\n",
			       err ? err : "not caught");
			t.m.lh_split = old;
			for (i = 0; i < 16; i++)
				*bucket_head(&t.m, nb + i) = saved[i];
			CHECK_SOUND(&t, "splits undone");
		}
	}

	/* everything gone, one entry at a time: back to segment 0 */
	for (s = 0; s < nr_slabs; s++)
		for (i = 0; i < SC_SLAB_SIZE; i++) {
			b = spread_block((u64)s * SC_SLAB_SIZE + i,
					 s % GROUP_PAGES);
			misses += !sc_map_remove(&t.m, to_oblock(b));
		}
	CHECK(!misses && t.m.nr_entries == 0, "%llu misses, %u entries left",
	      misses, t.m.nr_entries);
	CHECK(nr_buckets(&t.m) == SC_SEGMENT_BUCKETS && t.m.nr_segments == 1,
	      "empty: %llu buckets, %u segments", nr_buckets(&t.m),
	      t.m.nr_segments);
	err = tm_collect(&t, NULL);
	CHECK(!err, "collect: %s", err);
	CHECK_SOUND(&t, "shrunk");

	/*
	 * No segment given: splits are skipped once the reserve is used,
	 * lookups still right.
	 */
	spare = t.m.spare_segment != NULL;
	before = t.m.nr_segments;
	for (s = 0; s < 1000; s++) {
		err = tm_feed(&t, true, false);
		CHECK(!err, "feed: %s", err);
		slab = alloc(&t);
		for (i = 0; i < SC_SLAB_SIZE; i++)
			bl[i] = spread_block((u64)s * SC_SLAB_SIZE + i, 7);
		CHECK(fill(&t, slab, bl, SC_SLAB_SIZE, &moved, &run) == 0,
		      "fill %u without a segment", s);
	}
	level_starved = t.m.lh_level;
	CHECK(t.m.nr_segments <= before + spare,
	      "no segment given: %llu buckets, %u segments, %u before",
	      nr_buckets(&t.m), t.m.nr_segments, before);
	CHECK_SOUND(&t, "starved of segments");
	/* segments again: the table catches up as entries come */
	for (s = 1000; s < 2000; s++)
		fill_spread(&t, alloc(&t), (u64)s * SC_SLAB_SIZE, SC_SLAB_SIZE, 7);
	CHECK(nr_buckets(&t.m) > SC_SEGMENT_BUCKETS && t.m.nr_segments > 1,
	      "segments given again: %llu buckets, %u segments (level %u)",
	      nr_buckets(&t.m), t.m.nr_segments, level_starved);
	CHECK_SOUND(&t, "caught up");
	check_emptied(&t, "hash dropped");
	tm_free(&t);
}

/* Free slabs in address order from the cursor, busy ones passed over. */
static void test_alloc(void)
{
	struct tmap t;
	u8 busy[8] = { 0 };
	struct busy_ctx ctx = { .busy = busy };
	u32 i, s, bad = 0;

	tm_init(&t, 5);
	ctx.map = &t.m;
	for (i = 0; i < 5; i++) {
		s = alloc(&t);
		bad += s != i || state_of(&t.m, i) != SC_SLAB_FILLING ||
		       t.m.nr_free != 4 - i;
	}
	CHECK(!bad, "5 allocs not 0..4 in order");
	CHECK_UNCHANGED(&t, sc_map_alloc_slab(&t.m, busy_fn, &ctx),
			r_ == SC_NIL, 0, "alloc with none free");
	CHECK(ctx.nr_calls == 0, "busy asked %u times with none free",
	      ctx.nr_calls);
	sc_map_abort_slab(&t.m, to_slab(3));
	sc_map_abort_slab(&t.m, to_slab(1));
	/* the cursor wrapped: 1 first, though 3 was freed first */
	CHECK(alloc(&t) == 1 && alloc(&t) == 3, "after wrap: not 1 then 3");
	CHECK_SOUND(&t, "alloc");
	tm_free(&t);

	tm_init(&t, 8);
	ctx = (struct busy_ctx){ .map = &t.m, .busy = busy };
	busy[0] = busy[1] = 1;
	s = from_slab(sc_map_alloc_slab(&t.m, busy_fn, &ctx));
	CHECK(s == 2 && ctx.nr_calls == 3 && ctx.calls[0] == 0 &&
	      ctx.calls[1] == 1 && ctx.calls[2] == 2 && !ctx.nr_bad,
	      "busy 0, 1: got %u after %u calls", s, ctx.nr_calls);
	CHECK(state_of(&t.m, 0) == SC_SLAB_FREE &&
	      state_of(&t.m, 1) == SC_SLAB_FREE, "busy slabs not left free");
	/* the next goes on from 3, not back to the busy ones */
	ctx.nr_calls = 0;
	busy[0] = busy[1] = 0;
	s = from_slab(sc_map_alloc_slab(&t.m, busy_fn, &ctx));
	CHECK(s == 3 && ctx.nr_calls == 1, "next: %u after %u calls", s,
	      ctx.nr_calls);
	/* all busy: nothing, each free slab asked once */
	memset(busy, 1, sizeof(busy));
	ctx.nr_calls = 0;
	CHECK_UNCHANGED(&t, sc_map_alloc_slab(&t.m, busy_fn, &ctx),
			r_ == SC_NIL, 0, "alloc with all busy");
	CHECK(ctx.nr_calls == 6 && !ctx.nr_bad, "all busy: %u calls, %u bad",
	      ctx.nr_calls, ctx.nr_bad);
	/* only slab 1 idle: reached across the wrap */
	busy[1] = 0;
	ctx.nr_calls = 0;
	s = from_slab(sc_map_alloc_slab(&t.m, busy_fn, &ctx));
	CHECK(s == 1 && !ctx.nr_bad, "only 1 idle: got %u", s);
	CHECK_SOUND(&t, "busy");
	tm_free(&t);
}

/*
 * Handing out a slab looks at SC_MAP_STEP bitmap words at most: a map
 * with its one free slab far past the cursor answers "none" at first,
 * cheaply, and finds it within a few calls.
 */
static void test_alloc_bounded(void)
{
	const u32 words = 3 * SC_MAP_STEP + 100;
	const u32 n = words * (u32)LONG_BITS;
	struct tmap t;
	struct busy_ctx ctx;
	u32 i, s, calls = 0, bad = 0;

	tm_init(&t, n);
	for (i = 0; i < n; i++)
		bad += alloc(&t) != i;
	CHECK(!bad, "%u of %u allocs out of order", bad, n);
	sc_map_abort_slab(&t.m, to_slab(n - 5));
	ctx = (struct busy_ctx){ .map = &t.m };
	do {
		s = from_slab(sc_map_alloc_slab(&t.m, busy_fn, &ctx));
		calls++;
	} while (s == SC_NIL && calls < 100);
	CHECK(s == n - 5 && calls > 1 && calls <= words / SC_MAP_STEP + 2,
	      "one free slab at the end of %u words: %u after %u calls", words,
	      s, calls);
	CHECK(ctx.nr_calls == 1, "busy asked %u times", ctx.nr_calls);
	tm_free(&t);
}

/* Every transition of enum sc_slab_state, and every refusal. */
static void test_slab_states(void)
{
	struct tmap t;
	u32 s, run, moved, r2;
	int r;

	tm_init(&t, 3);
	/* FREE, ACTIVE: abort is refused, with a WARN */
	CHECK_UNCHANGED(&t, (sc_map_abort_slab(&t.m, to_slab(0)), 0), 1, 1,
			"abort of a free slab");
	s = alloc(&t);
	CHECK(state_of(&t.m, s) == SC_SLAB_FILLING, "alloc: %s",
	      state_name(state_of(&t.m, s)));
	sc_map_abort_slab(&t.m, to_slab(s));
	CHECK(state_of(&t.m, s) == SC_SLAB_FREE && t.m.nr_free == 3,
	      "abort of a filling slab: %s", state_name(state_of(&t.m, s)));
	s = alloc(&t);
	run = fill_range(&t, s, 48, 3);
	CHECK(state_of(&t.m, s) == SC_SLAB_ACTIVE, "filled: %s",
	      state_name(state_of(&t.m, s)));
	CHECK_UNCHANGED(&t, (sc_map_abort_slab(&t.m, to_slab(s)), 0), 1, 1,
			"abort of an active slab");

	/* ACTIVE -> DISCARDING -> FREE; the hit bit outlives the CLOCK's */
	CHECK(!sc_map_slab_hit(&t.m, to_slab(s)), "filled slab starts hit");
	touch(&t, s);
	CHECK(sc_map_slab_hit(&t.m, to_slab(s)), "touched slab not hit");
	__clear_bit(s, t.m.referenced);	/* as the CLOCK's hand does */
	CHECK(sc_map_slab_hit(&t.m, to_slab(s)), "the hand cleared the hit bit");
	CHECK(!sc_map_slab_hit(&t.m, to_slab(t.m.nr_slabs)), "out of range");
	CHECK(sc_map_retire_run(&t.m, run) == 3, "retire");
	CHECK(state_of(&t.m, s) == SC_SLAB_DISCARDING &&
	      run_of(&t, s) == SC_NIL && slot_of(&t.m, 48) == SC_NIL &&
	      t.m.nr_cached == 0,
	      "retired: %s", state_name(state_of(&t.m, s)));
	CHECK_SOUND(&t, "retired");
	/* not handed out while discarding */
	r2 = alloc(&t);
	CHECK(r2 != s && alloc(&t) != s && alloc(&t) == SC_NIL,
	      "a discarding slab handed out");
	sc_map_abort_slab(&t.m, to_slab(s));
	CHECK(state_of(&t.m, s) == SC_SLAB_FREE, "abort of discarding: %s",
	      state_name(state_of(&t.m, s)));
	CHECK(alloc(&t) == s, "freed slab not handed out");
	/* refilled, it starts unreferenced and never hit */
	run = fill_range(&t, s, 64, 2);
	CHECK(!bit(t.m.referenced, s), "refilled slab starts referenced");
	CHECK(!sc_map_slab_hit(&t.m, to_slab(s)), "refilled slab starts hit");
	/* ACTIVE -> FREE by eviction */
	CHECK(sc_map_evict_run(&t.m, run) == 2 &&
	      state_of(&t.m, s) == SC_SLAB_FREE, "evict: %s",
	      state_name(state_of(&t.m, s)));
	/* FILLING -> FREE by a fill of nothing */
	sc_map_abort_slab(&t.m, to_slab(r2));
	s = alloc(&t);
	r = fill(&t, s, NULL, 0, &moved, &run);
	CHECK(r == 0 && state_of(&t.m, s) == SC_SLAB_FREE,
	      "fill of nothing: %d, %s", r, state_name(state_of(&t.m, s)));
	CHECK_SOUND(&t, "states");
	tm_free(&t);
}

/* Runs given to evict and retire that are not runs: refused. */
static void test_run_refusals(void)
{
	struct tmap t;
	u32 run, s;

	tm_init(&t, 4);
	s = alloc(&t);
	run = fill_spread(&t, s, 10, 3, 0);		/* 3 entries in 4 */
	CHECK(from_slab(sc_map_run_slab(&t.m, run)) == s, "run_slab");
	CHECK_UNCHANGED(&t, sc_map_evict_run(&t.m, run + 1), r_ == 0, 1,
			"evict of a run's second entry");
	CHECK_UNCHANGED(&t, sc_map_evict_run(&t.m, run + 4), r_ == 0, 1,
			"evict of a free block");
	CHECK_UNCHANGED(&t, sc_map_retire_run(&t.m, run + 4), r_ == 0, 1,
			"retire of a free block");
	CHECK(sc_map_evict_run(&t.m, run) == 3, "evict of the run");
	tm_free(&t);
}

/*
 * The groups a run holds, for the cleaner's ghosts: each once, in slot
 * order; a group whose pages were all dropped is left out; a run that is
 * not one lists nothing.
 */
static void test_run_groups(void)
{
	u64 groups[SC_SLAB_SIZE], b[] = { 160, 161, 200, 162, 330 };
	struct tmap t;
	u32 run, s, n;

	tm_init(&t, 4);
	s = alloc(&t);
	run = fill_spread(&t, s, 10, 3, 0);
	n = sc_map_run_groups(&t.m, run, groups);
	CHECK(n == 3 && groups[0] == 160 && groups[1] == 176 &&
	      groups[2] == 192, "spread: %u groups", n);
	CHECK(drop_range(&t, spread_block(11, 0), 1) == 1, "drop group 176");
	n = sc_map_run_groups(&t.m, run, groups);
	CHECK(n == 2 && groups[0] == 160 && groups[1] == 192,
	      "after a drop: %u groups", n);

	s = alloc(&t);
	run = fill_ok(&t, s, b, ARRAY_SIZE(b));
	/* 160, 161, 200, 162: a span entry, its groups each once */
	n = sc_map_run_groups(&t.m, run, groups);
	CHECK(n == 3 && groups[0] == 10 && groups[1] == 12 &&
	      groups[2] == 20, "out of order: %u groups", n);
	s = alloc(&t);
	run = fill_range(&t, s, 16 * GROUP_PAGES, GROUP_PAGES);
	n = sc_map_run_groups(&t.m, run, groups);
	CHECK(n == 1 && groups[0] == 16, "a whole group: %u groups", n);
	CHECK(sc_map_run_groups(&t.m, run + 1, groups) == 0,
	      "not a run: nothing");
	tm_free(&t);
}

/*
 * Slabs and runs that are not what the call takes: refused, nothing
 * changed.  Each case runs in a child process: a map that trusts such an
 * argument reads or writes out of bounds, and the sanitizer's abort must
 * not take the other tests with it.
 */
static const char *const bad_cases[] = {
	"fill of an active slab",
	"fill of a free slab",
	"fill of a slab past the last",
	"fill of SC_NO_SLAB",
	"abort of a slab past the last",
	"abort of SC_NO_SLAB",
	"evict of a run past the chunk directory",
	"evict of a run in no chunk",
	"retire of SC_NIL",
};

static void bad_case(u32 k)
{
	u64 b[4] = { 3200, 3201, 3202, 3203 };
	struct tmap t;
	u32 moved, run, a;

	tm_init(&t, 600);
	a = alloc(&t);
	fill_range(&t, a, 160, 16);
	tm_feed_all(&t);
	switch (k) {
	case 0:
		CHECK_UNCHANGED(&t, fill(&t, a, b, 4, &moved, &run), r_ < 0, 1,
				bad_cases[k]);
		break;
	case 1:
		CHECK_UNCHANGED(&t, fill(&t, 7, b, 4, &moved, &run), r_ < 0, 1,
				bad_cases[k]);
		break;
	case 2:
		CHECK_UNCHANGED(&t, fill(&t, 600, b, 4, &moved, &run), r_ < 0, 1,
				bad_cases[k]);
		break;
	case 3:
		CHECK_UNCHANGED(&t, fill(&t, SC_NIL, b, 4, &moved, &run), r_ < 0,
				1, bad_cases[k]);
		break;
	case 4:
		CHECK_UNCHANGED(&t, (sc_map_abort_slab(&t.m, to_slab(600)), 0),
				1, 1, bad_cases[k]);
		break;
	case 5:
		CHECK_UNCHANGED(&t, (sc_map_abort_slab(&t.m, SC_NO_SLAB), 0), 1,
				1, bad_cases[k]);
		break;
	case 6:
		CHECK_UNCHANGED(&t, sc_map_evict_run(&t.m, t.m.nr_chunk_slots *
				SC_CHUNK_ENTRIES), r_ == 0, 1, bad_cases[k]);
		break;
	case 7:
		CHECK_UNCHANGED(&t, sc_map_evict_run(&t.m, SC_CHUNK_ENTRIES + 16),
				r_ == 0, 1, bad_cases[k]);
		break;
	default:
		CHECK_UNCHANGED(&t, sc_map_retire_run(&t.m, SC_NIL), r_ == 0, 1,
				bad_cases[k]);
		break;
	}
	tm_free(&t);
}

static void test_bad_args(void)
{
	u32 k;

	for (k = 0; k < ARRAY_SIZE(bad_cases); k++) {
		int status = 0;
		pid_t pid;

		fflush(stdout);
		fflush(stderr);
		pid = fork();
		if (pid < 0) {
			perror("fork");
			exit(2);
		}
		if (!pid) {
			sc_test_failed = 0;
			bad_case(k);
			_exit(sc_test_failed ? 1 : 0);
		}
		waitpid(pid, &status, 0);
		CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		      "%s: %s %d", bad_cases[k],
		      WIFSIGNALED(status) ? "killed by signal" : "exit",
		      WIFSIGNALED(status) ? WTERMSIG(status) :
		      WEXITSTATUS(status));
	}
}

/* ------------------------------------------------------------------ */
/* Span entries                                                       */

/* A shuffle of 0..15, the same each run. */
static const u8 perm16[SC_SLAB_SIZE] = { 7, 2, 13, 0, 9, 4, 15, 11, 1, 6,
					 12, 3, 14, 8, 5, 10 };

/* Page @page of each group of span @span, in perm16's order: one entry. */
static u32 fill_span_shuffled(struct tmap *t, u32 slab, u64 span, u32 page)
{
	u64 b[SC_SLAB_SIZE];
	u32 i;

	for (i = 0; i < SC_SLAB_SIZE; i++)
		b[i] = span * SPAN_BLOCKS + perm16[i] * GROUP_PAGES + page;
	return fill_ok(t, slab, b, SC_SLAB_SIZE);
}

/*
 * Each block of [@lo, @hi) is in the same slot in @a's map as in @c's,
 * or in neither.  Return: NULL, or the first block that differs.
 */
static const char *same_lookups(const struct sc_map *a, const struct sc_map *c,
				u64 lo, u64 hi)
{
	u64 blk;

	for (blk = lo; blk < hi; blk++)
		if (slot_of(a, blk) != slot_of(c, blk))
			return fail("block %llu: slot %u, other map %u", blk,
				    slot_of(a, blk), slot_of(c, blk));
	return NULL;
}

/*
 * The checkpoint's round trip of @a into a new map: exported with room
 * for @max extents a call, 16 at most a slab, turned back into slots,
 * filled.  Return: NULL, or what went wrong; the caller compares.
 */
static const char *export_restore(const struct tmap *a, struct tmap *c,
				  u32 max)
{
	struct sc_map_extent *x = malloc(max * sizeof(*x));
	sc_oblock_t ob[SC_SLAB_SIZE];
	u32 pos = 0, n, i, k, j, used, moved, run;
	const char *err = NULL;

	tm_init(c, a->m.nr_slabs);
	do {
		n = sc_map_export(&a->m, &pos, x, max);
		if (n > max) {
			err = fail("export of %u extents into %u", n, max);
			break;
		}
		for (i = 0; i < n && !err; i = k) {
			for (j = 0; j < SC_SLAB_SIZE; j++)
				ob[j] = to_oblock(SC_OBLOCK_NONE);
			used = 0;
			for (k = i; k < n && x[k].slab == x[i].slab; k++)
				if (sc_map_extent_slots(&x[k], ob, &used))
					err = fail("extent %u of slab %u refused",
						   k, x[k].slab);
			if (k - i > SC_SLAB_SIZE)
				err = fail("slab %u: %u extents", x[i].slab,
					   k - i);
			if (err)
				break;
			err = tm_feed_all(c);
			if (!err && sc_map_claim_slab(&c->m, to_slab(x[i].slab)))
				err = fail("claim of slab %u (twice?)",
					   x[i].slab);
			if (!err && (sc_map_fill_slab(&c->m, to_slab(x[i].slab),
						      ob, used, &moved, &run) ||
				     moved))
				err = fail("restore of slab %u", x[i].slab);
		}
	} while (!err && !sc_map_export_done(&a->m, pos));
	free(x);
	if (!err && c->m.nr_cached != a->m.nr_cached)
		err = fail("restored %u of %u pages", c->m.nr_cached,
			   a->m.nr_cached);
	if (!err)
		err = check_all(c, NULL);
	return err;
}

/*
 * Span entries: pages of one span in a slab, out of order, with holes,
 * beside group entries; looked up, removed one at a time, walked across
 * span boundaries, evicted, retired, listed for the ghosts and exported,
 * and never taken for the group of the same number.
 */
static void test_span(void)
{
	u64 b[SC_SLAB_SIZE], groups[SC_SLAB_SIZE], blk;
	struct tmap t, c;
	u32 s0, s1, s2, r0, r1, r2, i, n, wrong, dropped, steps;
	const char *err;
	bool by_arena;

	tm_init(&t, 16);
	/* 16 one-page groups of span 5, shuffled: one entry of two units */
	s0 = alloc(&t);
	r0 = fill_span_shuffled(&t, s0, 5, 3);
	CHECK(t.m.nr_entries == 1 && t.m.nr_spans == 1 &&
	      ent(&t.m, r0)->span && ent(&t.m, r0)->run_last == 1,
	      "16 groups of a span: %u entries, %u spans, run of %u",
	      t.m.nr_entries, t.m.nr_spans, ent(&t.m, r0)->run_last + 1);
	wrong = 0;
	for (i = 0; i < SC_SLAB_SIZE; i++) {
		blk = 5 * SPAN_BLOCKS + perm16[i] * GROUP_PAGES + 3;
		wrong += slot_of(&t.m, blk) != s0 * SC_SLAB_SIZE + i;
		/* the group's other pages, the spans beside, an alias */
		wrong += slot_of(&t.m, blk + 1) != SC_NIL;
		wrong += slot_of(&t.m, blk - SPAN_BLOCKS) != SC_NIL;
		wrong += slot_of(&t.m, blk + SPAN_BLOCKS) != SC_NIL;
		wrong += slot_of(&t.m, blk + SC_MAP_MAX_OBLOCKS) != SC_NIL;
	}
	/* group 5, of the span's number: not cached */
	for (blk = 5 * GROUP_PAGES; blk < 6 * GROUP_PAGES; blk++)
		wrong += slot_of(&t.m, blk) != SC_NIL;
	CHECK(!wrong, "span entry: %u lookups wrong", wrong);
	CHECK_SOUND(&t, "span entry");

	/* group 5 cached whole beside it: each found where it is */
	s1 = alloc(&t);
	r1 = fill_range(&t, s1, 5 * GROUP_PAGES, GROUP_PAGES);
	wrong = 0;
	for (i = 0; i < SC_SLAB_SIZE; i++) {
		wrong += slot_of(&t.m, 5 * GROUP_PAGES + i) !=
			 s1 * SC_SLAB_SIZE + i;
		wrong += slot_of(&t.m, 5 * SPAN_BLOCKS + perm16[i] *
				 GROUP_PAGES + 3) != s0 * SC_SLAB_SIZE + i;
	}
	CHECK(!wrong && t.m.nr_entries == 2 && t.m.nr_spans == 1,
	      "group and span of one number: %u wrong, %u entries", wrong,
	      t.m.nr_entries);

	/* one page of the span entry removed, then again, then the group's */
	blk = 5 * SPAN_BLOCKS + perm16[4] * GROUP_PAGES + 3;
	CHECK(sc_map_remove(&t.m, to_oblock(blk)), "remove of a span page");
	CHECK(slot_of(&t.m, blk) == SC_NIL &&
	      ent(&t.m, r0)->valid == (0xffff & ~(1U << 4)) &&
	      t.m.nr_cached == 31, "after remove: slot %u, valid %#x",
	      slot_of(&t.m, blk), ent(&t.m, r0)->valid);
	CHECK_UNCHANGED(&t, sc_map_remove(&t.m, to_oblock(blk)), !r_, 0,
			"second remove of a span page");
	CHECK_UNCHANGED(&t, sc_map_remove(&t.m, to_oblock(blk - 1)), !r_, 0,
			"remove of a span's uncached page");
	CHECK(sc_map_remove(&t.m, to_oblock(5 * GROUP_PAGES + 3)) &&
	      slot_of(&t.m, 5 * SPAN_BLOCKS + perm16[0] * GROUP_PAGES + 3) ==
	      s0 * SC_SLAB_SIZE, "remove of group 5's page 3");
	CHECK_SOUND(&t, "span page removed");

	/* the ghosts: each group of the span once, in slot order */
	n = sc_map_run_groups(&t.m, r0, groups);
	wrong = n != SC_SLAB_SIZE - 1;
	for (i = 0; !wrong && i < n; i++)
		wrong += groups[i] != 5 * SC_SLAB_SIZE +
				      perm16[i + (i >= 4)];
	CHECK(!wrong, "run_groups of a span entry: %u groups", n);
	CHECK(sc_map_run_groups(&t.m, r0 + 1, groups) == 0,
	      "run_groups of a span entry's offsets");
	CHECK_UNCHANGED(&t, sc_map_evict_run(&t.m, r0 + 1), r_ == 0, 1,
			"evict of a span entry's offsets");

	/* span 6, 8 groups backwards, beside span 5: walks across both */
	s2 = alloc(&t);
	for (i = 0; i < 8; i++)
		b[i] = 6 * SPAN_BLOCKS + (7 - i) * GROUP_PAGES + 9;
	r2 = fill_ok(&t, s2, b, 8);
	CHECK(ent(&t.m, r2)->span && t.m.nr_spans == 2, "span 6: not a span");
	/* by lookups: span 5's last 4 groups, span 6's first 2 */
	for (blk = 5 * SPAN_BLOCKS + 12 * GROUP_PAGES, n = 0;
	     blk < 6 * SPAN_BLOCKS + 2 * GROUP_PAGES; blk++)
		n += slot_of(&t.m, blk) != SC_NIL;
	dropped = walk_all(&t, 5 * SPAN_BLOCKS + 12 * GROUP_PAGES,
			   6 * GROUP_PAGES, 1, &steps, &by_arena);
	CHECK(dropped == n && n == 6 && !by_arena,
	      "walk across spans by lookups: %u of %u", dropped, n);
	CHECK(slot_of(&t.m, 6 * SPAN_BLOCKS + 2 * GROUP_PAGES + 9) ==
	      s2 * SC_SLAB_SIZE + 5 &&
	      slot_of(&t.m, 5 * SPAN_BLOCKS + 11 * GROUP_PAGES + 3) ==
	      s0 * SC_SLAB_SIZE + 7, "walk by lookups: neighbours dropped");
	CHECK_SOUND(&t, "walk across spans by lookups");
	/* by the arena: from the middle of span 5 to the middle of span 6 */
	for (blk = 5 * SPAN_BLOCKS + 128, n = 0; blk < 6 * SPAN_BLOCKS + 64;
	     blk++)
		n += slot_of(&t.m, blk) != SC_NIL;
	dropped = (u32)walk_all(&t, 5 * SPAN_BLOCKS + 128, SPAN_BLOCKS - 64,
				SC_MAP_STEP, &steps, &by_arena);
	CHECK(!by_arena, "a range shorter than the arena walked by arena");
	/* span 5's groups 8, 10 and 11 (9 went), span 6's 2 and 3 */
	CHECK(dropped == n && n == 3 + 2, "walk [span 5 + 128, span 6 + 64):"
	      " %u of %u", dropped, n);
	dropped = (u32)walk_all(&t, 6 * SPAN_BLOCKS + 6 * GROUP_PAGES,
				1ULL << 39, 1, &steps, &by_arena);
	CHECK(by_arena && dropped == 2 &&
	      slot_of(&t.m, 6 * SPAN_BLOCKS + 5 * GROUP_PAGES + 9) ==
	      s2 * SC_SLAB_SIZE + 2 &&
	      slot_of(&t.m, 6 * SPAN_BLOCKS + 7 * GROUP_PAGES + 9) == SC_NIL,
	      "walk by arena from span 6's group 6: %u dropped, by arena %d",
	      dropped, by_arena);
	CHECK_SOUND(&t, "walks across spans");

	/* the checkpoint: span entries as per-group extents, and back */
	err = export_restore(&t, &c, SC_SLAB_SIZE);
	CHECK(!err, "export and restore: %s", err);
	if (!err) {
		err = same_lookups(&t.m, &c.m, 0, 8 * SPAN_BLOCKS);
		CHECK(!err, "restored map: %s", err);
	}
	tm_free(&c);

	/* evict and retire: every page of the span entries goes */
	n = t.m.nr_cached;
	CHECK(sc_map_evict_run(&t.m, r2) == 2 &&
	      state_of(&t.m, s2) == SC_SLAB_FREE,
	      "evict of span 6's run: slab %s", state_name(state_of(&t.m, s2)));
	CHECK(sc_map_retire_run(&t.m, r0) == n - 2 - 15 &&
	      state_of(&t.m, s0) == SC_SLAB_DISCARDING && t.m.nr_spans == 0 &&
	      t.m.nr_entries == 1, "retire of span 5's run: %u spans",
	      t.m.nr_spans);
	sc_map_abort_slab(&t.m, to_slab(s0));
	CHECK(sc_map_evict_run(&t.m, r1) == 15, "evict of group 5");
	CHECK_SOUND(&t, "span runs gone");
	check_emptied(&t, "spans dropped");

	/* holes in a span entry (a restored slab), and the last span */
	s0 = alloc(&t);
	for (i = 0; i < SC_SLAB_SIZE; i++)
		b[i] = i % 3 == 1 ? SC_OBLOCK_NONE :
		       SC_MAP_MAX_OBLOCKS - SPAN_BLOCKS +
		       perm16[i] * GROUP_PAGES + 15 - i;
	r0 = fill_ok(&t, s0, b, SC_SLAB_SIZE);
	CHECK(ent(&t.m, r0)->span && ent(&t.m, r0)->group_lo == U32_MAX &&
	      t.m.nr_cached == 11, "the last span with holes: %u cached",
	      t.m.nr_cached);
	CHECK_SOUND(&t, "the last span with holes");
	tm_free(&t);
}

/*
 * A span entry takes two units, and the room check counts them: with
 * one free unit left and no chunk in reserve, a fill that makes a span
 * entry fails whole and changes nothing; a group entry's fill fits.
 */
static void test_span_room(void)
{
	u64 b[SC_SLAB_SIZE];
	struct tmap t;
	u32 s, i, k, moved, run, sizes[] = { 8, 4, 2, 1 };
	const char *err;
	int r = 0;

	tm_init(&t, 300);
	err = tm_feed_all(&t);
	CHECK(!err, "feed: %s", err);
	/* 255 runs of 16 and runs of 8, 4, 2 and 1: one unit left */
	for (k = 0; k < 255 + ARRAY_SIZE(sizes) && !r; k++) {
		u32 n = k < 255 ? SC_SLAB_SIZE : sizes[k - 255];

		for (i = 0; i < n; i++)
			b[i] = spread_block(k * SC_SLAB_SIZE + i, 0);
		r = fill(&t, alloc(&t), b, n, &moved, &run);
	}
	CHECK(!r && t.m.nr_chunks == 1 && t.m.chunk_used[0] == 4095 &&
	      !t.m.spare_chunk, "one unit left: %d, %u chunks, %u used", r,
	      t.m.nr_chunks, t.m.chunk_used[0]);
	s = alloc(&t);
	for (i = 0; i < 3; i++)
		b[i] = 1000 * SPAN_BLOCKS + i * GROUP_PAGES;
	CHECK_UNCHANGED(&t, fill(&t, s, b, 3, &moved, &run), r_ == -ENOMEM, 0,
			"a span entry in one free unit");
	/* two groups of the span: two group entries, two units, no room */
	CHECK_UNCHANGED(&t, fill(&t, s, b, 2, &moved, &run), r_ == -ENOMEM, 0,
			"two group entries in one free unit");
	r = fill(&t, s, b, 1, &moved, &run);
	CHECK(r == 0 && t.m.chunk_used[0] == 4096, "one group entry: %d", r);
	CHECK_SOUND(&t, "arena full");
	tm_free(&t);
}

/*
 * The review's shape: a hot 1 MiB span filled three pages a slab, each
 * slab's three in reverse order (three runs: a span entry), two of the
 * three dropped, over and over.  Without a cap every slab left a span
 * entry of one page in the span's chain, 85 of them; with it the chain
 * holds SC_MAP_SPAN_ENTRIES of the span's entries at most, the others
 * group entries, and every block is found where the reference (the
 * slot each was filled into) says, or not at all.
 */
static void test_span_chain(void)
{
	const u64 span = 7, nr_rounds = SPAN_BLOCKS / 3;
	u32 want[SPAN_BLOCKS], slab, most = 0, wrong = 0, k, i, n;
	u64 b[3], blk;
	struct tmap t;

	tm_init(&t, nr_rounds + 8);
	for (i = 0; i < SPAN_BLOCKS; i++)
		want[i] = SC_NIL;
	for (k = 0; k < nr_rounds; k++) {
		slab = alloc(&t);
		for (i = 0; i < 3; i++)
			b[i] = span * SPAN_BLOCKS + 3 * k + 2 - i;
		if (fill_ok(&t, slab, b, 3) == SC_NIL)
			break;
		for (i = 0; i < 3; i++)
			want[3 * k + 2 - i] = slab * SC_SLAB_SIZE + i;
		/* keep the third: the entry stays, one page valid */
		for (i = 0; i < 2; i++) {
			CHECK(sc_map_remove(&t.m, to_oblock(b[i])),
			      "round %u: remove %llu", k, b[i]);
			want[b[i] % SPAN_BLOCKS] = SC_NIL;
		}
		n = span_entries(&t.m, span);
		most = n > most ? n : most;
	}
	CHECK(k == nr_rounds && most <= SC_MAP_SPAN_ENTRIES &&
	      span_entries(&t.m, span) == SC_MAP_SPAN_ENTRIES,
	      "%u rounds: span %llu had %u span entries in its chain at most,"
	      " cap %u", k, span, most, SC_MAP_SPAN_ENTRIES);
	for (blk = span * SPAN_BLOCKS; blk < (span + 1) * SPAN_BLOCKS; blk++)
		wrong += slot_of(&t.m, blk) != want[blk % SPAN_BLOCKS];
	for (blk = (span - 1) * SPAN_BLOCKS; blk < span * SPAN_BLOCKS; blk++)
		wrong += slot_of(&t.m, blk) != SC_NIL;
	CHECK(!wrong && t.m.nr_cached == nr_rounds,
	      "after %u rounds: %u lookups wrong, %u cached", k, wrong,
	      t.m.nr_cached);
	CHECK_SOUND(&t, "a span's chain capped");
	printf("map: %llu rounds of 3 pages into span %llu, 2 dropped each:"
	       " %u of its span entries in its chain at most\n", nr_rounds,
	       span, most);
	tm_free(&t);
}

/*
 * A span entry's second unit holds offsets, a byte a position, that can
 * read as a run's head: not free, run index 0, a slab in range.  The run
 * functions find a run's head from its region's first block, so they
 * refuse every index of a run's block but its first, with a warning
 * each, whatever the unit there holds.  Two runs: a span entry whose
 * offsets were chosen to read as the head of slab 3's run (holes at
 * positions 9 and 10 leave those bytes 0), and two span entries of five
 * positions, their other offsets 0 (slab 0), beside group entries in a
 * block of 8 units, its last two past the run.
 */
static void test_span_offsets_refused(void)
{
	static const u16 crafted[SC_SLAB_SIZE] = {
		0xa0, 0x90, 0x80, 0x70, 0x60, 0x50, 0x40, 0x35,
		0x03, 0x100, 0x100, 0x30, 0xc0, 0xd0, 0x02, 0x06,
	};
	/* spans 20 and 22: span entries of 5; 21 and 23: group entries */
	static const u16 mixed[SC_SLAB_SIZE] = {
		0x1431, 0x1412, 0x1453, 0x1424, 0x1445, 0x1510, 0x1511, 0x1672,
		0x1661, 0x1650, 0x1643, 0x1634, 0x1780, 0x1781, 0x1782, 0x1783,
	};
	const u32 block[2] = { 2, 8 }, units[2] = { 2, 6 };
	const u32 cached[2] = { 14, 16 }, nr_groups[2] = { 11, 12 };
	/* where a span entry's offsets are, and the slab they read as */
	const u32 fake[2][2] = { { 1, SC_NIL }, { 1, 4 } };
	const u32 fake_slab[2] = { 3, 0 };
	u32 slab[2], run[2], refused = 0, tried = 0, r, i, n;
	u64 b[SC_SLAB_SIZE], groups[SC_SLAB_SIZE];
	const struct sc_entry *e;
	unsigned long w;
	struct tmap t;

	tm_init(&t, 4);
	for (r = 0; r < 2; r++) {
		for (i = 0; i < SC_SLAB_SIZE; i++) {
			b[i] = r ? mixed[i] : 10 * SPAN_BLOCKS + crafted[i];
			if (!r && crafted[i] == 0x100)
				b[i] = SC_OBLOCK_NONE;		/* a hole */
		}
		slab[r] = alloc(&t);
		run[r] = fill_ok(&t, slab[r], b, SC_SLAB_SIZE);
		if (run[r] == SC_NIL)
			goto out;
		CHECK(ent(&t.m, run[r])->run_last == units[r] - 1,
		      "run %u: %u units", r, ent(&t.m, run[r])->run_last + 1);
		/* the offsets read as a head: not refused by their fields */
		for (i = 0; i < 2 && fake[r][i] != SC_NIL; i++) {
			e = ent(&t.m, run[r] + fake[r][i]);
			CHECK(ent(&t.m, run[r] + fake[r][i] - 1)->span &&
			      !e->free && !e->run_index &&
			      e->slab == fake_slab[r] && e->slab < t.m.nr_slabs,
			      "run %u + %u: free %u, run index %u, slab %u", r,
			      fake[r][i], e->free, e->run_index, e->slab);
		}
	}
	CHECK(state_of(&t.m, 3) == SC_SLAB_FREE, "slab 3 in use");
	for (r = 0; r < 2; r++) {
		for (i = 1; i < block[r]; i++, tried++) {
			w = sc_shim_warnings;
			n = from_slab(sc_map_run_slab(&t.m, run[r] + i));
			CHECK(n == SC_NIL && sc_shim_warnings == w + 1,
			      "run %u + %u taken for slab %u's run, %lu"
			      " warnings", r, i, n, sc_shim_warnings - w);
			refused += n == SC_NIL;
			w = sc_shim_warnings;
			n = sc_map_run_groups(&t.m, run[r] + i, groups);
			CHECK(n == 0 && sc_shim_warnings == w + 1,
			      "run %u + %u: %u groups, %lu warnings", r, i, n,
			      sc_shim_warnings - w);
			CHECK_UNCHANGED(&t, sc_map_evict_run(&t.m, run[r] + i),
					r_ == 0, 1, "evict inside a run");
			CHECK_UNCHANGED(&t, sc_map_retire_run(&t.m, run[r] + i),
					r_ == 0, 1, "retire inside a run");
		}
		w = sc_shim_warnings;
		n = from_slab(sc_map_run_slab(&t.m, run[r]));
		CHECK(n == slab[r] && sc_map_run_groups(&t.m, run[r], groups) ==
		      nr_groups[r] && sc_shim_warnings == w,
		      "run %u's head: slab %u, not %u", r, n, slab[r]);
	}
	CHECK(refused == tried && tried == 8, "%u of %u indices inside runs"
	      " refused", refused, tried);
	for (r = 0; r < 2; r++)
		CHECK(sc_map_evict_run(&t.m, run[r]) == cached[r] &&
		      state_of(&t.m, slab[r]) == SC_SLAB_FREE,
		      "evict of run %u", r);
	CHECK_SOUND(&t, "runs refused inside");
	check_emptied(&t, "runs refused inside");
	printf("map: %u indices inside two runs, span entries' offsets read"
	       " as heads among them, refused\n", refused);
out:
	tm_free(&t);
}

/*
 * A span cached whole in the scattered shape: slab k holds page k of each
 * of the span's 16 groups, 16 slabs of one span entry each.  A cap below
 * 16 would lay the later slabs out as 16 group entries, eight times the
 * units (the hostile read of the cap measured 200 units with a cap of 4).
 */
static void test_span_whole_scattered(void)
{
	const u64 span = 3;
	u32 slab, k, g, wrong = 0;
	u64 b[SC_SLAB_SIZE], blk;
	struct tmap t;

	tm_init(&t, SC_SLAB_SIZE + 4);
	for (k = 0; k < SC_SLAB_SIZE; k++) {
		slab = alloc(&t);
		for (g = 0; g < SC_SLAB_SIZE; g++)
			b[g] = span * SPAN_BLOCKS + g * SC_SLAB_SIZE + k;
		if (fill_ok(&t, slab, b, SC_SLAB_SIZE) == SC_NIL)
			break;
	}
	CHECK(k == SC_SLAB_SIZE && t.m.nr_entries == SC_SLAB_SIZE &&
	      t.m.nr_spans == SC_SLAB_SIZE &&
	      span_entries(&t.m, span) == SC_SLAB_SIZE,
	      "%u slabs of a span read one page a group: %u entries, %u of"
	      " them span entries, %u in the span's chain", k,
	      t.m.nr_entries, t.m.nr_spans, span_entries(&t.m, span));
	for (blk = span * SPAN_BLOCKS; blk < (span + 1) * SPAN_BLOCKS; blk++)
		wrong += slot_of(&t.m, blk) == SC_NIL;
	CHECK(!wrong && t.m.nr_cached == SPAN_BLOCKS,
	      "%u of the span's blocks not found, %u cached", wrong,
	      t.m.nr_cached);
	CHECK_SOUND(&t, "a span cached whole, scattered");
	tm_free(&t);
}

/*
 * Linear hashing with both kinds: span entries are split and merged by
 * their own key.  Some span numbers share a bucket with the group of the
 * same number, so that a lookup that compared the number alone would
 * take one for the other.
 */
static void test_span_hash(void)
{
	const u32 nr_slabs = 4000;
	u64 same[8], key, blk;
	struct tmap t;
	u32 s, i, nr_same = 0, wrong = 0, a, saved, misses = 0;
	struct scan sc;
	const char *err;

	tm_init(&t, nr_slabs);
	/* numbers whose group and span share a bucket of segment 0 */
	for (key = 1; nr_same < ARRAY_SIZE(same) && key < 1U << 24; key++)
		if (bucket_of(&t.m, key) == bucket_of(&t.m, ~key))
			same[nr_same++] = key;
	CHECK(nr_same == ARRAY_SIZE(same), "%u numbers of shared buckets",
	      nr_same);
	for (i = 0; i < nr_same; i++) {
		fill_span_shuffled(&t, alloc(&t), same[i], i);
		fill_range(&t, alloc(&t), same[i] * GROUP_PAGES, GROUP_PAGES);
	}
	for (i = 0; i < nr_same; i++)
		for (blk = same[i] * GROUP_PAGES;
		     blk < (same[i] + 1) * GROUP_PAGES; blk++)
			wrong += slot_of(&t.m, blk) !=
				 (2 * i + 1) * SC_SLAB_SIZE + blk % GROUP_PAGES;
	CHECK(!wrong && t.m.nr_spans == nr_same,
	      "groups in a span's bucket: %u lookups wrong", wrong);
	CHECK_SOUND(&t, "shared buckets");

	/* 3000 slabs of span entries among far groups: the table grows */
	for (s = 2 * nr_same; s < nr_slabs; s++) {
		if (s % 4)
			fill_span_shuffled(&t, alloc(&t), 100000 + s, s % 16);
		else
			fill_spread(&t, alloc(&t), 1ULL << 30 | (u64)s * 16, 16,
				    s % 16);
	}
	CHECK(nr_buckets(&t.m) > 2 * SC_SEGMENT_BUCKETS && t.m.nr_spans > 2900,
	      "%llu buckets, %u span entries", nr_buckets(&t.m),
	      t.m.nr_spans);
	CHECK_SOUND(&t, "grown with span entries");

	/* a split that rehashed span entries by their number: caught */
	err = check_arena(&t.m, &sc);
	CHECK(!err, "arena: %s", err);
	for (a = 0; !err && a < sc.arena_len; a++) {
		struct sc_entry *e = ent(&t.m, a);
		u32 *head, *to;

		if (sc.what[a] != A_VALID || !e->span)
			continue;
		head = bucket_head(&t.m, bucket_of(&t.m, entry_key(e)));
		to = bucket_head(&t.m, bucket_of(&t.m, entry_group(e)));
		if (*head != a || head == to)
			continue;
		*head = e->next;
		e->next = saved = *to;
		*to = a;
		err = check_all(&t, NULL);
		CHECK(err, "a span entry in its number's bucket passed");
		printf("map: sabotage \"span entry hashed by its number\": %s\n",
		       err ? err : "not caught");
		*to = saved;
		e->next = *head;
		*head = a;
		break;
	}
	CHECK(a < sc.arena_len, "no span entry to move");
	scan_free(&sc);
	CHECK_SOUND(&t, "sabotage undone");

	/* everything gone a page at a time: merged back to segment 0 */
	for (s = 2 * nr_same; s < nr_slabs; s++)
		for (i = 0; i < SC_SLAB_SIZE; i++) {
			blk = s % 4 ? (100000 + s) * SPAN_BLOCKS +
				      i * GROUP_PAGES + s % 16 :
				      spread_block(1ULL << 30 | ((u64)s * 16 + i),
						   s % 16);
			misses += !sc_map_remove(&t.m, to_oblock(blk));
		}
	CHECK(!misses && t.m.nr_entries == 2 * nr_same &&
	      nr_buckets(&t.m) == SC_SEGMENT_BUCKETS && t.m.nr_segments == 1,
	      "emptied: %u misses, %u entries, %llu buckets", misses,
	      t.m.nr_entries, nr_buckets(&t.m));
	CHECK_SOUND(&t, "merged back");
	check_emptied(&t, "span hash dropped");
	tm_free(&t);
}

/* ------------------------------------------------------------------ */
/* The CLOCK                                                          */

#define CLOCK_CHECKED(t, busy, what)					\
	({								\
		const char *e_;						\
		u32 v_ = clock_checked(t, busy, &e_);			\
									\
		CHECK(!e_, "%s: %s", what, e_);				\
		v_;							\
	})

/*
 * The CLOCK's promise: slabs hit since the hand last passed survive a
 * sweep that takes the cold ones, and go next once their bit is spent.
 */
static void test_clock_second_chance(void)
{
	struct tmap t;
	u32 i, v, slab, wrong = 0;
	u8 gone[8] = { 0 };

	tm_init(&t, 8);
	for (i = 0; i < 8; i++)
		fill_spread(&t, alloc(&t), 100 * i, 1 + i % 5, i);
	CHECK(!strcmp(refs_str(&t.m), "00000000"), "new slabs referenced: %s",
	      refs_str(&t.m));
	touch(&t, 1);
	touch(&t, 4);
	touch(&t, 4);
	touch(&t, 6);
	CHECK(!strcmp(refs_str(&t.m), "01001010"), "touched: %s",
	      refs_str(&t.m));
	for (i = 0; i < 5; i++) {
		v = CLOCK_CHECKED(&t, NULL, "cold slabs first");
		if (v == SC_NIL) {
			wrong++;
			continue;
		}
		slab = from_slab(sc_map_run_slab(&t.m, v));
		wrong += slab >= 8 || slab == 1 || slab == 4 || slab == 6 ||
			 gone[slab];
		gone[slab % 8] = 1;
		CHECK(sc_map_evict_run(&t.m, v) == 1 + slab % 5, "evict %u", slab);
	}
	CHECK(!wrong, "%u victims were hot or twice", wrong);
	CHECK_SOUND(&t, "cold ones evicted");
	for (i = 0; i < 3; i++) {
		v = CLOCK_CHECKED(&t, NULL, "then the hot ones");
		if (v == SC_NIL) {
			wrong++;
			continue;
		}
		slab = from_slab(sc_map_run_slab(&t.m, v));
		wrong += slab >= 8 || gone[slab];
		gone[slab % 8] = 1;
		sc_map_evict_run(&t.m, v);
	}
	CHECK(!wrong && t.m.nr_cached == 0, "%u wrong hot victims", wrong);
	v = CLOCK_CHECKED(&t, NULL, "nothing left");
	CHECK(v == SC_NIL, "victim %u in an empty arena", v);
	CHECK_SOUND(&t, "swept clean");
	tm_free(&t);
}

static void test_clock_busy(void)
{
	struct tmap t;
	u8 busy[16] = { 0 };
	u32 i, v, slab;

	tm_init(&t, 16);
	for (i = 0; i < 12; i++)
		fill_spread(&t, alloc(&t), 20 * i, 1 + i % 4, 0);
	/* a filling slab and a free one, touched by late readers */
	alloc(&t);
	touch(&t, 12);
	touch(&t, 14);
	touch(&t, 3);
	memset(busy, 1, sizeof(busy));
	v = CLOCK_CHECKED(&t, busy, "all busy");
	CHECK(v == SC_NIL && !bit(t.m.referenced, 3) &&
	      bit(t.m.referenced, 12) && bit(t.m.referenced, 14),
	      "all busy: victim %u, refs %s", v, refs_str(&t.m));
	busy[5] = 0;
	v = CLOCK_CHECKED(&t, busy, "one idle");
	CHECK(v != SC_NIL && from_slab(sc_map_run_slab(&t.m, v)) == 5,
	      "one idle: victim %u", v);
	/* the hand moves on: the next search starts past the victim */
	memset(busy, 0, sizeof(busy));
	for (i = 0; i < 12; i++)
		if (i % 3)
			touch(&t, i);
	for (i = 0; i < 6; i++) {
		v = CLOCK_CHECKED(&t, busy, "hot and cold");
		slab = v == SC_NIL ? SC_NIL : from_slab(sc_map_run_slab(&t.m, v));
		CHECK(slab < 12 && (slab % 3 == 0 || i >= 4),
		      "search %u: victim in slab %u", i, slab);
		if (v != SC_NIL)
			sc_map_retire_run(&t.m, v);
	}
	/* retired slabs: out of the CLOCK until given back */
	v = CLOCK_CHECKED(&t, NULL, "after retiring");
	CHECK(v != SC_NIL &&
	      state_of(&t.m, from_slab(sc_map_run_slab(&t.m, v))) ==
	      SC_SLAB_ACTIVE, "victim %u after retiring", v);
	CHECK_SOUND(&t, "clock busy");
	tm_free(&t);
}

/*
 * The CLOCK's search in steps over a big arena: each step within its
 * budget, the search cut into several, and the same victim as the spec.
 */
static void test_clock_steps(void)
{
	const u32 n = 5000;
	struct tmap t;
	u8 *busy = calloc(n, 1);
	u32 i, v, calls, max_step, cold = 2 * n / 3;
	const char *err;

	tm_init(&t, n);
	for (i = 0; i < n; i++)
		fill_spread(&t, alloc(&t), (u64)i * SC_SLAB_SIZE, SC_SLAB_SIZE, 1);
	for (i = 0; i < n; i++)
		if (i != cold)
			touch(&t, i);
	v = clock_search(&t.m, NULL, &max_step, &calls);
	CHECK(v != SC_NIL && from_slab(sc_map_run_slab(&t.m, v)) == cold &&
	      max_step <= clock_step_bound(&t.m) && calls > 2,
	      "one cold slab in %u: victim %u in %u calls, %u per call at most",
	      n, v, calls, max_step);
	CHECK(sc_map_clock_turns(&t.m) >= 2ULL * n * SC_SLAB_SIZE,
	      "two turns of %u entries: %llu", n * 16,
	      sc_map_clock_turns(&t.m));
	/* all busy: two turns, in steps, then nothing */
	memset(busy, 1, n);
	v = clock_checked(&t, busy, &err);
	CHECK(v == SC_NIL && !err, "all busy: victim %u, %s", v,
	      err ? err : "");
	for (i = 0; i < n; i += 7)
		touch(&t, i);
	busy[n - 1] = 0;
	v = clock_checked(&t, busy, &err);
	CHECK(v != SC_NIL && !err, "last idle: victim %u, %s", v,
	      err ? err : "");
	CHECK_SOUND(&t, "clock steps");
	free(busy);
	tm_free(&t);
}

/* ------------------------------------------------------------------ */
/* Walks                                                              */

static void test_walk_ranges(u32 nr_slabs)
{
	const u64 top = SC_MAP_MAX_OBLOCKS;
	struct tmap t;
	u32 steps;
	u64 n;
	bool by_arena;

	tm_init(&t, nr_slabs);
	fill_range(&t, alloc(&t), 0, 16);
	fill_range(&t, alloc(&t), 16, 16);
	fill_range(&t, alloc(&t), 1000, 16);		/* two groups */
	fill_range(&t, alloc(&t), top - 21, 16);	/* two groups */
	fill_range(&t, alloc(&t), (1ULL << 38) - 3, 6);
	CHECK(t.m.nr_cached == 70, "%u slabs: nr_cached %u", nr_slabs,
	      t.m.nr_cached);

	n = walk_all(&t, 10, 10, SC_MAP_STEP, &steps, &by_arena);
	CHECK(n == 10 && !by_arena && steps == 1 &&
	      slot_of(&t.m, 9) == 9 && slot_of(&t.m, 20) == 16 + 4 &&
	      slot_of(&t.m, 10) == SC_NIL && slot_of(&t.m, 19) == SC_NIL,
	      "%u slabs: [10, 20): %llu dropped, by arena %d, %u steps",
	      nr_slabs, n, by_arena, steps);
	CHECK_SOUND(&t, "short range");
	n = walk_all(&t, 10, 0, 1, &steps, NULL);
	CHECK(n == 0 && steps == 1, "empty range: %llu in %u steps", n, steps);
	n = walk_all(&t, 500, 30, 1, &steps, NULL);
	CHECK(n == 0 && steps <= 31, "uncached range: %llu in %u steps", n,
	      steps);

	/* huge: the arena, whatever the range's length */
	n = walk_all(&t, 1000, 1ULL << 39, SC_MAP_STEP, &steps, &by_arena);
	CHECK(n == 22 && by_arena &&
	      steps <= SC_CHUNK_ENTRIES / SC_MAP_STEP + 2,
	      "%u slabs: [1000, +2^39): %llu dropped, by arena %d, %u steps",
	      nr_slabs, n, by_arena, steps);
	CHECK(slot_of(&t.m, 1000) == SC_NIL &&
	      slot_of(&t.m, (1ULL << 38) + 2) == SC_NIL &&
	      slot_of(&t.m, 31) == 31 && slot_of(&t.m, top - 21) == 3 * 16,
	      "huge range: wrong blocks dropped");
	CHECK(t.m.nr_cached == 38 && state_of(&t.m, 2) == SC_SLAB_FREE &&
	      state_of(&t.m, 4) == SC_SLAB_FREE, "huge range: cached %u",
	      t.m.nr_cached);
	CHECK_SOUND(&t, "huge range");

	/* at the top of what a map can name, and past it */
	n = drop_range(&t, top - 10, 100);
	CHECK(n == 5 && slot_of(&t.m, top - 11) == 3 * 16 + 10 &&
	      slot_of(&t.m, top - 10) == SC_NIL, "[top - 10, +100): %llu", n);
	n = drop_range(&t, top - 13, 5);
	CHECK(n == 3, "[top - 13, +5): %llu", n);
	n = drop_range(&t, top, 1ULL << 50);
	CHECK(n == 0, "past the top: %llu", n);
	n = drop_range(&t, SC_OBLOCK_NONE - 5, 1000);
	CHECK(n == 0, "at SC_OBLOCK_NONE: %llu", n);
	n = drop_range(&t, 31 + top, 1);
	CHECK(n == 0 && slot_of(&t.m, 31) == 31, "an alias of 31: %llu", n);
	CHECK(t.m.nr_cached == 30, "nr_cached %u", t.m.nr_cached);
	CHECK_SOUND(&t, "top ranges");

	/* budget 1: a unit at a time, still to the end */
	n = walk_all(&t, 0, 32, 1, &steps, &by_arena);
	CHECK(n == 22 && steps >= 2 && steps <= 33,
	      "[0, 32) budget 1: %llu in %u steps", n, steps);
	n = check_emptied(&t, "walks");
	CHECK(n == 8 && t.m.nr_free == nr_slabs, "drop all: %llu, %u free", n,
	      t.m.nr_free);
	tm_free(&t);
}

/*
 * A big SSD, little cached: removing a huge range costs what is cached,
 * not the SSD's size nor the range's length.
 */
static void test_walk_sparse(void)
{
	const u32 nr_slabs = 1U << 18;
	struct tmap t;
	u32 steps;
	u64 n;

	tm_init(&t, nr_slabs);
	fill_range(&t, alloc(&t), 0, 16);
	fill_range(&t, alloc(&t), 1ULL << 36, 16);
	n = walk_all(&t, 0, 1ULL << 35, SC_MAP_STEP, &steps, NULL);
	CHECK(n == 16 && steps <= SC_CHUNK_ENTRIES / SC_MAP_STEP + 2 &&
	      slot_of(&t.m, 1ULL << 36) != SC_NIL,
	      "huge range on a big SSD: %llu dropped in %u steps", n, steps);
	n = walk_all(&t, 0, SC_OBLOCK_NONE, SC_MAP_STEP, &steps, NULL);
	CHECK(n == 16 && steps <= SC_CHUNK_ENTRIES / SC_MAP_STEP + 2,
	      "drop all on a big SSD: %llu dropped in %u steps", n, steps);
	n = walk_all(&t, 0, SC_OBLOCK_NONE, 1, &steps, NULL);
	CHECK(n == 0 && steps <= 2, "empty map: %llu in %u steps", n, steps);
	CHECK_SOUND(&t, "sparse");
	tm_free(&t);
}

/* The origin blocks a run holds, into @out; returns how many. */
static u32 run_blocks(const struct sc_map *map, u32 run, u64 *out)
{
	const struct sc_entry *e = ent(map, run);
	u32 i, p, n = 0;

	for (i = 0; i <= e->run_last; i += entry_units(ent(map, run + i))) {
		const struct sc_entry *x = ent(map, run + i);

		for (p = 0; p < GROUP_PAGES; p++)
			if (x->valid >> p & 1)
				out[n++] = entry_block(map, run + i, p);
	}
	return n;
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

/*
 * Others at the map between a walk's steps, as the kernel lets them:
 * blocks outside the range entered, blocks removed, runs evicted.  Every
 * block of the range present at the start is gone at the end, the others
 * are untouched by the walk, and the counts add up.
 */
static void test_walk_interleaved(void)
{
	u32 trial;

	rng_state = 0x3a1c;
	for (trial = 0; trial < 200; trial++) {
		u32 nr_slabs = 2 + rnd_below(trial < 100 ? 40 : 600);
		struct tmap t;
		u64 first = rnd_below(2000), count, b, blocks[SC_SLAB_SIZE];
		u8 *in = calloc(6000, 1);
		struct sc_map_walk walk;
		u32 s, i, k, budget = 1 + rnd_below(6), present = 0;
		bool done = false;
		const char *err;

		tm_init(&t, nr_slabs);
		count = rnd_below(4) ? 1 + rnd_below(3000) : 1ULL << 38;
		for (i = 0; i < nr_slabs * 3 / 4; i++) {
			s = alloc(&t);
			b = rnd_below(4000 - SC_SLAB_SIZE);
			if (rnd_below(2)) {
				fill_range(&t, s, b, 1 + rnd_below(SC_SLAB_SIZE));
			} else {
				/* one page of each of nearby groups */
				u32 c = 1 + rnd_below(16), pg = rnd_below(16);

				for (k = 0; k < c; k++)
					blocks[k] = (b / 16 + k) * 16 + pg;
				fill_ok(&t, s, blocks, c);
			}
		}
		/* fills reach past 4000: 4239 at most */
		for (b = 0; b < 6000; b++)
			in[b] = slot_of(&t.m, b) != SC_NIL && b - first < count;
		sc_map_walk_init(&t.m, &walk, to_oblock(first), count);
		while (!done) {
			u32 op = rnd_below(5), v;

			done = sc_map_walk_step(&t.m, &walk, budget);
			if (op == 0) {
				s = alloc(&t);
				if (s != SC_NIL)
					fill_range(&t, s, SC_MAP_MAX_OBLOCKS -
						   4000 + rnd_below(1900),
						   1 + rnd_below(SC_SLAB_SIZE));
			} else if (op == 1) {
				b = rnd_below(4000);
				if (sc_map_remove(&t.m, to_oblock(b)))
					in[b] = 0;
			} else if (op == 2) {
				v = clock_search(&t.m, NULL, NULL, NULL);
				if (v == SC_NIL)
					continue;
				k = run_blocks(&t.m, v, blocks);
				for (i = 0; i < k; i++)
					if (blocks[i] < 6000)
						in[blocks[i]] = 0;
				sc_map_evict_run(&t.m, v);
			}
			tm_collect(&t, NULL);
		}
		for (b = 0; b < 6000; b++) {
			present += in[b];
			if (b - first < count && slot_of(&t.m, b) != SC_NIL)
				break;
		}
		CHECK(b == 6000, "trial %u [%llu, +%llu) budget %u: block %llu"
		      " left", trial, first, count, budget, b);
		CHECK(walk.dropped == present,
		      "trial %u: walk dropped %llu, %u were left to drop",
		      trial, walk.dropped, present);
		err = check_all(&t, NULL);
		CHECK(!err, "trial %u: %s", trial, err);
		free(in);
		tm_free(&t);
	}
}

/* ------------------------------------------------------------------ */
/* Memory                                                             */

/*
 * A hit on a hot slab must not dirty its cache line: with the bitmap's
 * page read-only, a touch of a referenced slab must not fault.
 */
static sigjmp_buf touch_env;
static volatile int touch_faulted, store_faulted;

static void touch_segv(int sig)
{
	(void)sig;
	siglongjmp(touch_env, 1);
}

static void test_touch_no_store(void)
{
	size_t page = sysconf(_SC_PAGESIZE);
	struct sigaction sa = { .sa_handler = touch_segv }, old;
	struct tmap t;
	void *guard;
	u32 s;

	memset(&t, 0, sizeof(t));
	t.mem_bytes = (sc_map_bytes(4) + page - 1) & ~(page - 1);
	t.mem = mmap(NULL, t.mem_bytes, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (t.mem == MAP_FAILED) {
		perror("mmap");
		exit(2);
	}
	t.mapped = true;
	sc_map_init(&t.m, 4, t.mem);
	s = alloc(&t);
	fill_range(&t, s, 0, 4);
	touch(&t, s);
	CHECK(bit(t.m.referenced, s), "touch did not set the bit");

	guard = (void *)((uintptr_t)&t.m.referenced[s / LONG_BITS] &
			 ~(uintptr_t)(page - 1));
	sigaction(SIGSEGV, &sa, &old);
	if (mprotect(guard, page, PROT_READ)) {
		perror("mprotect");
		exit(2);
	}
	if (!sigsetjmp(touch_env, 1))
		touch(&t, s);
	else
		touch_faulted = 1;
	/* and the guard works: a store there does fault */
	if (!sigsetjmp(touch_env, 1))
		WRITE_ONCE(t.m.referenced[s / LONG_BITS], ~0UL);
	else
		store_faulted = 1;
	mprotect(guard, page, PROT_READ | PROT_WRITE);
	sigaction(SIGSEGV, &old, NULL);
	CHECK(!touch_faulted, "touch of a referenced slab stored to it");
	CHECK(store_faulted, "a store to the read-only page did not fault");
	tm_free(&t);
}

/*
 * Memory follows the cache: bytes per cached page for the best shape
 * (whole groups), the scattered one (16 groups of one span a slab, one
 * page each, out of order: bench scenario 6's) and the worst (16 groups
 * a slab, each in a span of its own), and all of it back once the cache
 * is empty.
 */
static void test_memory_follows(void)
{
	const u32 n = 1U << 16;
	struct tmap t;
	u32 s;
	double best, worst, scattered, fixed;

	tm_init(&t, n);
	fixed = (double)sc_map_bytes(n);
	for (s = 0; s < n; s++)
		fill_range(&t, alloc(&t), (u64)s * GROUP_PAGES, GROUP_PAGES);
	CHECK(sc_map_dynamic_bytes(&t.m) == owned_bytes(&t),
	      "dynamic bytes %zu, the map holds %zu",
	      sc_map_dynamic_bytes(&t.m), owned_bytes(&t));
	best = (double)sc_map_dynamic_bytes(&t.m) / t.m.nr_cached;
	printf("map: whole groups: %u pages cached, %zu bytes, %.2f bytes per"
	       " page (%.2f with the fixed part)\n", t.m.nr_cached,
	       sc_map_dynamic_bytes(&t.m), best,
	       (sc_map_dynamic_bytes(&t.m) + fixed) / t.m.nr_cached);
	CHECK(best <= 2.0, "whole groups: %.2f bytes per cached page", best);
	CHECK_SOUND(&t, "whole groups");
	check_emptied(&t, "whole groups dropped");

	for (s = 0; s < n; s++)
		fill_span_shuffled(&t, alloc(&t), s, s % GROUP_PAGES);
	CHECK(sc_map_dynamic_bytes(&t.m) == owned_bytes(&t) &&
	      t.m.nr_spans == n && t.m.nr_cached == n * SC_SLAB_SIZE,
	      "dynamic bytes %zu, the map holds %zu; %u span entries",
	      sc_map_dynamic_bytes(&t.m), owned_bytes(&t), t.m.nr_spans);
	scattered = (double)sc_map_dynamic_bytes(&t.m) / t.m.nr_cached;
	printf("map: 16 groups of a span a slab: %u pages cached, %zu bytes,"
	       " %.2f bytes per page (%.2f with the fixed part)\n",
	       t.m.nr_cached, sc_map_dynamic_bytes(&t.m), scattered,
	       (sc_map_dynamic_bytes(&t.m) + fixed) / t.m.nr_cached);
	/* two units a slab and a bucket's share: the essay says 2.1 */
	CHECK(scattered <= 2.5, "16 groups of a span a slab: %.2f bytes per"
	      " cached page", scattered);
	CHECK_SOUND(&t, "16 groups of a span a slab");
	check_emptied(&t, "16 groups of a span a slab dropped");

	for (s = 0; s < n; s++)
		fill_spread(&t, alloc(&t), (u64)s * SC_SLAB_SIZE, SC_SLAB_SIZE,
			    s % GROUP_PAGES);
	CHECK(sc_map_dynamic_bytes(&t.m) == owned_bytes(&t),
	      "dynamic bytes %zu, the map holds %zu",
	      sc_map_dynamic_bytes(&t.m), owned_bytes(&t));
	worst = (double)sc_map_dynamic_bytes(&t.m) / t.m.nr_cached;
	printf("map: 16 groups of 16 spans a slab: %u pages cached, %zu bytes,"
	       " %.2f bytes per page (%.2f with the fixed part)\n", t.m.nr_cached,
	       sc_map_dynamic_bytes(&t.m), worst,
	       (sc_map_dynamic_bytes(&t.m) + fixed) / t.m.nr_cached);
	/* the header's design essay says 18-20 */
	CHECK(worst <= 20.5 && t.m.nr_spans == 0,
	      "16 groups a slab: %.2f bytes per cached page", worst);
	CHECK_SOUND(&t, "16 groups a slab");
	check_emptied(&t, "16 groups a slab dropped");
	CHECK(t.m.nr_free == n, "%u of %u slabs free", t.m.nr_free, n);
	tm_free(&t);
}

/* ------------------------------------------------------------------ */
/* Randomized differential test                                       */

/*
 * The origin blocks the test uses: whole groups, most of them dense from
 * group 0, some far (above 2^32 groups, at the top) so that the group's
 * high bits and the top of the range are exercised.
 */
#define NG_DENSE	120
#define NG		128
#define UNIV		(NG * GROUP_PAGES)
#define MAX_PENDING	4

static const u64 far_groups[NG - NG_DENSE] = {
	(1ULL << 32) - 1, 1ULL << 32, (1ULL << 32) + 1, 1ULL << 35,
	0x123456789ULL, (1ULL << 20) + 3, (1ULL << 36) - 2, (1ULL << 36) - 1,
};

static u64 univ_block(u32 idx)
{
	u32 g = idx / GROUP_PAGES;
	u64 group = g < NG_DENSE ? g : far_groups[g - NG_DENSE];

	return group * GROUP_PAGES + idx % GROUP_PAGES;
}

struct model {
	u32 nr_slabs, nr_slots, cached;
	u32 slot_of[UNIV];	/* universe index -> slot, or SC_NIL */
	u32 *slot_idx;		/* slot -> universe index, or SC_NIL */
	u8 *state, *ref;
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
	m->state = calloc(nr_slabs, 1);	/* SC_SLAB_FREE */
	m->ref = calloc(nr_slabs, 1);
}

static void model_free(struct model *m)
{
	free(m->slot_idx);
	free(m->state);
	free(m->ref);
}

static u32 model_slab_blocks(const struct model *m, u32 slab)
{
	u32 i, n = 0;

	for (i = 0; i < SC_SLAB_SIZE; i++)
		n += m->slot_idx[slab * SC_SLAB_SIZE + i] != SC_NIL;
	return n;
}

static void model_unlink(struct model *m, u32 slot)
{
	u32 slab = slot / SC_SLAB_SIZE;

	m->slot_of[m->slot_idx[slot]] = SC_NIL;
	m->slot_idx[slot] = SC_NIL;
	m->cached--;
	if (m->state[slab] == SC_SLAB_ACTIVE && !model_slab_blocks(m, slab))
		m->state[slab] = SC_SLAB_FREE;
}

static u32 model_fill(struct model *m, u32 slab, const u32 *idx, u32 count)
{
	u32 i, moved = 0;

	for (i = 0; i < count; i++)
		if (m->slot_of[idx[i]] != SC_NIL) {
			model_unlink(m, m->slot_of[idx[i]]);
			moved++;
		}
	for (i = 0; i < count; i++) {
		m->slot_of[idx[i]] = slab * SC_SLAB_SIZE + i;
		m->slot_idx[slab * SC_SLAB_SIZE + i] = idx[i];
	}
	m->cached += count;
	m->state[slab] = count ? SC_SLAB_ACTIVE : SC_SLAB_FREE;
	/* a new slab earns its second chance; a free one's bit means nothing */
	if (count)
		m->ref[slab] = 0;
	return moved;
}

/* Drops the slab's blocks; it ends FREE, or DISCARDING if @retire. */
static u32 model_drop_slab(struct model *m, u32 slab, bool retire)
{
	u32 i, n = 0;

	for (i = 0; i < SC_SLAB_SIZE; i++)
		if (m->slot_idx[slab * SC_SLAB_SIZE + i] != SC_NIL) {
			model_unlink(m, slab * SC_SLAB_SIZE + i);
			n++;
		}
	if (retire)
		m->state[slab] = SC_SLAB_DISCARDING;
	return n;
}

/* The map's contents against the model's. */
static const char *check_model(const struct sc_map *map, const struct model *m,
			       const struct scan *s)
{
	u32 i;

	if (map->nr_cached != m->cached)
		return fail("nr_cached %u, model %u", map->nr_cached, m->cached);
	for (i = 0; i < m->nr_slabs; i++)
		if (state_of(map, i) != m->state[i] ||
		    bit(map->referenced, i) != m->ref[i])
			return fail("slab %u: %s, referenced %d; model %s, %d", i,
				    state_name(state_of(map, i)),
				    bit(map->referenced, i),
				    state_name(m->state[i]), m->ref[i]);
	for (i = 0; i < m->nr_slots; i++) {
		u64 want = m->slot_idx[i] == SC_NIL ? SC_OBLOCK_NONE :
			   univ_block(m->slot_idx[i]);

		if (s->slot_oblock[i] != want)
			return fail("slot %u holds %llu, model %llu", i,
				    s->slot_oblock[i], want);
	}
	for (i = 0; i < UNIV; i++) {
		u64 b = univ_block(i);

		if (slot_of(map, b) != m->slot_of[i])
			return fail("lookup(%llu) = %u, model %u", b,
				    slot_of(map, b), m->slot_of[i]);
		if (i % 61 == 0 &&
		    slot_of(map, b + SC_MAP_MAX_OBLOCKS) != SC_NIL)
			return fail("lookup(%llu + 2^40) hits", b);
	}
	return NULL;
}

/*
 * Sabotage: the map deliberately broken in one way, in the middle of a
 * random run, which the run's checks must catch.  Each stands for a bug
 * map.c could have.
 */
enum sabotage {
	SAB_NONE,
	SAB_DEAD_CHAINED,	/* an emptied entry left in its chain */
	SAB_CHAIN_LOST,		/* an entry's chain link lost */
	SAB_SHIFT,		/* a page's slot off by one */
	SAB_GROUP_HI,		/* the group's high bits wrong */
	SAB_VALID_EXTRA,	/* a page marked cached that is not */
	SAB_CHUNK_USED,		/* a chunk's use count off */
	SAB_CHUNK_KEPT,		/* an empty chunk not let go */
	SAB_GARBAGE_LOST,	/* a chunk let go, but not to the caller */
	SAB_FREE_LOST,		/* a free block off its list */
	SAB_NO_MERGE,		/* freed buddies not merged */
	SAB_WRONG_BUCKET,	/* an entry chained in another bucket */
	SAB_NR_CACHED,		/* the count of cached pages off */
	SAB_ACTIVE_BIT,		/* a slab with no run marked active */
	SAB_RUN_INDEX,		/* two entries of a run swapped */
	SAB_SPAN_OFFSET,	/* a span entry's offset wrong */
	SAB_SPAN_KIND,		/* a span entry taken for a group entry */
	SAB_FILL_REF,		/* a fill that keeps an old referenced bit */
	SAB_MOVED,		/* a fill that miscounts its moves */
	SAB_FAILED_FILL,	/* a refused fill that changed something */
	SAB_ALLOC_BUSY,		/* alloc that hands out a busy slab */
	SAB_CLOCK_IGNORES_REF,	/* a CLOCK with no second chance */
	SAB_WALK_SHORT,		/* a walk that stops early */
	SAB_COUNT
};

static const char *const sab_names[SAB_COUNT] = {
	[SAB_DEAD_CHAINED] = "emptied entry left in its chain",
	[SAB_CHAIN_LOST] = "entry unlinked from its chain",
	[SAB_SHIFT] = "shift off by one",
	[SAB_GROUP_HI] = "group's high bits wrong",
	[SAB_VALID_EXTRA] = "an extra valid bit",
	[SAB_CHUNK_USED] = "chunk_used off by one",
	[SAB_CHUNK_KEPT] = "empty chunk kept",
	[SAB_GARBAGE_LOST] = "garbage chunk leaked",
	[SAB_FREE_LOST] = "free block lost",
	[SAB_NO_MERGE] = "buddies not merged",
	[SAB_WRONG_BUCKET] = "entry in another bucket",
	[SAB_NR_CACHED] = "nr_cached off by one",
	[SAB_ACTIVE_BIT] = "active bit on a slab with no run",
	[SAB_RUN_INDEX] = "run entries swapped",
	[SAB_SPAN_OFFSET] = "a span entry's offset off by one",
	[SAB_SPAN_KIND] = "a span entry's kind bit lost",
	[SAB_FILL_REF] = "fill keeps the referenced bit",
	[SAB_MOVED] = "moves miscounted",
	[SAB_FAILED_FILL] = "refused fill drops a block",
	[SAB_ALLOC_BUSY] = "alloc ignores busy",
	[SAB_CLOCK_IGNORES_REF] = "CLOCK ignores referenced bits",
	[SAB_WALK_SHORT] = "walk stops early",
};

static enum sabotage sabotage;
static bool sab_fired;
static u32 sab_step;

/*
 * Whether a sabotage of kind @k is to be done now: a structural one once,
 * a broken behaviour (SAB_FILL_REF on) every time it has the occasion,
 * as a bug would.
 */
static bool sab_now(enum sabotage k, u32 step)
{
	return sabotage == k && step >= 40 &&
	       (!sab_fired || k >= SAB_FILL_REF);
}

static void sab_mark(u32 step)
{
	if (!sab_fired)
		sab_step = step;
	sab_fired = true;
}

/* The structural sabotages: done on the map between two operations. */
static void sab_structure(struct tmap *t, u32 step)
{
	struct sc_map *map = &t->m;
	struct scan s;
	u32 a, i, o;

	if (sabotage == SAB_NONE || sab_fired || step < 40 ||
	    sabotage >= SAB_FILL_REF)
		return;
	if (check_arena(map, &s))
		goto out;
	for (a = 0; a < s.arena_len; a++) {
		struct sc_entry *e;
		u32 *head;

		if (!ent_present(map, a))
			continue;
		e = ent(map, a);
		switch (sabotage) {
		case SAB_DEAD_CHAINED:
			if (s.what[a] != A_DEAD)
				continue;
			head = bucket_head(map, bucket_of(map, entry_group(e)));
			e->next = *head;
			*head = a;
			break;
		case SAB_CHAIN_LOST:
		case SAB_WRONG_BUCKET:
			if (s.what[a] != A_VALID)
				continue;
			i = bucket_of(map, entry_group(e));
			head = bucket_head(map, i);
			if (*head != a)
				continue;
			*head = e->next;
			if (sabotage == SAB_CHAIN_LOST)
				break;
			head = bucket_head(map, (u32)((i + 1) % nr_buckets(map)));
			e->next = *head;
			*head = a;
			break;
		case SAB_SHIFT:
			if (s.what[a] != A_VALID || e->shift == 31)
				continue;
			e->shift++;
			break;
		case SAB_GROUP_HI:
			if (s.what[a] != A_VALID)
				continue;
			e->group_hi ^= 1;
			break;
		case SAB_VALID_EXTRA:
			if (s.what[a] != A_VALID || e->valid == 0xffff)
				continue;
			e->valid |= e->valid << 1 | e->valid >> 1;
			break;
		case SAB_SPAN_OFFSET:
			if (s.what[a] != A_VALID || !e->span)
				continue;
			span_offsets(map, a)[__builtin_ctz(e->valid)] ^= 1;
			break;
		case SAB_SPAN_KIND:
			if (s.what[a] != A_VALID || !e->span)
				continue;
			e->span = 0;
			break;
		case SAB_RUN_INDEX:
			if (s.what[a] == A_FREE_HEAD || s.what[a] == A_NONE ||
			    e->run_index || !e->run_last)
				continue;
			e->run_index = 1;
			ent(map, a + 1)->run_index = 0;
			break;
		case SAB_FREE_LOST:
			if (s.what[a] != A_FREE_HEAD)
				continue;
			o = e->run_last;
			if (map->free_blocks[o] != a)
				continue;
			map->free_blocks[o] = e->next;
			if (e->next != SC_NIL)
				ent(map, e->next)->group_lo = SC_NIL;
			break;
		case SAB_NO_MERGE:
			if (s.what[a] != A_FREE_HEAD || !e->run_last ||
			    map->free_blocks[e->run_last] != a)
				continue;
			o = e->run_last;
			map->free_blocks[o] = e->next;
			if (e->next != SC_NIL)
				ent(map, e->next)->group_lo = SC_NIL;
			/* two halves on the list of the order below */
			for (i = 0; i < 2; i++) {
				struct sc_entry *h = ent(map, a + (i << (o - 1)));
				u32 old = map->free_blocks[o - 1];

				h->free = 1;
				h->run_last = o - 1;
				h->next = old;
				h->group_lo = SC_NIL;
				if (old != SC_NIL)
					ent(map, old)->group_lo = a + (i << (o - 1));
				map->free_blocks[o - 1] = a + (i << (o - 1));
			}
			break;
		default:
			goto other;
		}
		sab_mark(step);
		goto out;
	}
other:
	switch (sabotage) {
	case SAB_CHUNK_USED:
		for (i = 0; i < map->chunks_high && !map->chunks[i]; i++)
			;
		if (i == map->chunks_high)
			break;
		map->chunk_used[i]++;
		sab_mark(step);
		break;
	case SAB_CHUNK_KEPT:
	case SAB_GARBAGE_LOST: {
		void *g = map->garbage;
		u32 k;

		for (k = 0; g && k < t->nr_owned && t->owned[k].p != g; k++)
			;
		if (!g || (sabotage == SAB_CHUNK_KEPT &&
			   t->owned[k].kind != MEM_CHUNK))
			break;
		for (i = 0; i < map->nr_chunk_slots && map->chunks[i]; i++)
			;
		if (i == map->nr_chunk_slots)
			break;
		map->garbage = sc_map_garbage_next(g);
		if (sabotage == SAB_CHUNK_KEPT) {
			map->chunks[i] = g;
			map->chunk_used[i] = 0;
			map->nr_chunks++;
			if (i >= map->chunks_high)
				map->chunks_high = i + 1;
		}
		/* the leaked one is still on the register: the check sees it */
		sab_mark(step);
		break;
	}
	case SAB_NR_CACHED:
		if (!map->nr_cached)
			break;
		map->nr_cached--;
		sab_mark(step);
		break;
	case SAB_ACTIVE_BIT:
		for (i = 0; i < map->nr_slabs && !bit(map->free, i); i++)
			;
		if (i == map->nr_slabs)
			break;
		bit_assign(map->free, i, false);
		bit_assign(map->active, i, true);
		map->nr_free--;
		sab_mark(step);
		break;
	default:
		break;
	}
out:
	scan_free(&s);
}

/* A random busy set: none, a third, two thirds or all of the slabs. */
static void rnd_busy(u8 *busy, u32 n)
{
	u32 p = rnd_below(4), i;

	for (i = 0; i < n; i++)
		busy[i] = rnd_below(3) < p;
}

static u32 rnd_group(u32 hot)
{
	if (rnd_below(10) == 0)
		return NG_DENSE + rnd_below(NG - NG_DENSE);
	return rnd_below(hot);
}

/*
 * A group of the span of universe group @g (the far ones: any far group,
 * of which two pairs share a span): what makes span entries.
 */
static u32 rnd_near_group(u32 g)
{
	u32 lo = g & ~(GROUP_PAGES - 1), hi = lo + GROUP_PAGES;

	if (g >= NG_DENSE)
		return NG_DENSE + rnd_below(NG - NG_DENSE);
	if (hi > NG_DENSE)
		hi = NG_DENSE;
	return lo + rnd_below(hi - lo);
}

static void shuffle(u32 *idx, u32 n)
{
	u32 i, j, k;

	for (i = n; i > 1; i--) {
		j = rnd_below(i);
		k = idx[i - 1];
		idx[i - 1] = idx[j];
		idx[j] = k;
	}
}

/*
 * Pages @from.. in order, @len of them, after the @n of @idx, up to
 * @count in all and not past one already @used.  Return: the new count.
 */
static u32 add_run(u32 *idx, u32 n, u32 count, u32 from, u32 len, u8 *used)
{
	u32 i;

	for (i = 0; i < len && n < count && !used[from + i]; i++) {
		used[from + i] = 1;
		idx[n++] = from + i;
	}
	return n;
}

/* Up to @want pages of groups near @g, not yet @used, shuffled. */
static u32 rnd_span_pages(u32 *idx, u32 want, u32 g, u8 *used)
{
	u32 n = 0, k, j;

	for (k = 0; n < want && k < 100; k++) {
		j = rnd_near_group(g) * GROUP_PAGES + rnd_below(GROUP_PAGES);
		if (used[j])
			continue;
		used[j] = 1;
		idx[n++] = j;
	}
	shuffle(idx, n);
	return n;
}

/*
 * A cluster the thread could write: whole groups, parts of groups packed,
 * scattered blocks, a group out of order, pages of nearby groups (one
 * span's, shuffled, alone or among whole groups and far ones), or
 * (refused) a block twice.  Return: the count; *@dups: whether a block
 * is there twice.
 */
static u32 rnd_cluster(u32 *idx, u32 hot, bool *dups, const char **shape)
{
	u32 n = 0, i, j, k, g, first, len, count;
	u8 used[UNIV];

	memset(used, 0, sizeof(used));
	*dups = false;
	switch (rnd_below(8)) {
	case 0:
		*shape = "whole group";
		g = rnd_group(hot);
		for (i = 0; i < GROUP_PAGES; i++)
			idx[n++] = g * GROUP_PAGES + i;
		break;
	case 1:
		*shape = "part of a group";
		g = rnd_group(hot);
		first = rnd_below(GROUP_PAGES);
		len = 1 + rnd_below(GROUP_PAGES - first);
		for (i = 0; i < len; i++)
			idx[n++] = g * GROUP_PAGES + first + i;
		break;
	case 2:
		*shape = "parts of groups";
		count = 1 + rnd_below(SC_SLAB_SIZE);
		for (k = 0; n < count && k < 40; k++) {
			g = rnd_group(hot);
			first = rnd_below(GROUP_PAGES);
			len = 1 + rnd_below(GROUP_PAGES - first);
			n = add_run(idx, n, count, g * GROUP_PAGES + first, len,
				    used);
		}
		break;
	case 3:
		*shape = "scattered";
		count = 1 + rnd_below(SC_SLAB_SIZE);
		for (k = 0; n < count && k < 100; k++) {
			j = rnd_group(hot) * GROUP_PAGES + rnd_below(GROUP_PAGES);
			if (used[j])
				continue;
			used[j] = 1;
			idx[n++] = j;
		}
		break;
	case 4:
		*shape = "a group out of order";
		g = rnd_group(hot);
		count = 2 + rnd_below(SC_SLAB_SIZE - 1);
		for (i = 0; i < GROUP_PAGES; i++)
			idx[i] = g * GROUP_PAGES + i;
		for (i = GROUP_PAGES - 1; i > 0; i--) {
			j = rnd_below(i + 1);
			k = idx[i];
			idx[i] = idx[j];
			idx[j] = k;
		}
		n = count;
		break;
	case 5:
		*shape = "nearby groups, shuffled";
		g = rnd_group(hot);
		n = rnd_span_pages(idx, 1 + rnd_below(SC_SLAB_SIZE), g, used);
		break;
	case 6:
		*shape = "spans among whole groups and far ones";
		count = 1 + rnd_below(SC_SLAB_SIZE);
		for (k = 0; n < count && k < 20; k++) {
			u32 kind = rnd_below(4);

			g = rnd_group(hot);
			if (kind < 2) {
				n += rnd_span_pages(idx + n, 1 + rnd_below(count - n),
						    g, used);
				continue;
			}
			/* a run of a group in order, or a far group's page */
			if (kind == 3)
				g = NG_DENSE + rnd_below(NG - NG_DENSE);
			first = rnd_below(GROUP_PAGES);
			len = kind == 3 ? 1 : 1 + rnd_below(GROUP_PAGES - first);
			n = add_run(idx, n, count, g * GROUP_PAGES + first, len,
				    used);
		}
		break;
	default:
		*shape = "a block twice";
		count = 2 + rnd_below(SC_SLAB_SIZE - 1);
		g = rnd_group(hot);
		for (i = 0; i < count; i++)
			idx[n++] = g * GROUP_PAGES + i;
		i = rnd_below(count);
		do
			j = rnd_below(count);
		while (j == i);
		idx[j] = idx[i];
		*dups = true;
		break;
	}
	return n;
}

struct seed_run {
	u64 seed;
	u32 nr_slabs;
	u32 hot;	/* groups drawn mostly from the first @hot */
	u32 ops;
};

static const struct seed_run runs[] = {
	{ 1, 1, 3, 3000 },
	{ 2, 2, 4, 3000 },
	{ 3, 3, 12, 3000 },
	{ 0x5eed, 5, 8, 3000 },
	{ 42, 8, NG_DENSE, 3000 },
	{ 1234567, 16, 20, 3000 },
	{ 0xdeadbeef, 33, 60, 3000 },
	{ 0xc0ffee, 64, 40, 3000 },
	{ 271828, 64, NG_DENSE, 3000 },
	{ 314159, 13, 10, 3000 },
	{ 0xfeedface, 1024, NG_DENSE, 2000 },	/* never full */
	{ 577215, 300, 30, 2000 },
};

/*
 * Runs one seed.  Return: true if every check held; in a sabotaged run
 * the first failure is kept in *@caught (and *@caught_step) instead of
 * counted.
 */
static bool run_seed(const struct seed_run *run, char *caught, u32 *caught_step)
{
	struct tmap t;
	struct model m;
	u32 pending[MAX_PENDING], nr_pending = 0, step;
	u32 retired[MAX_PENDING], nr_retired = 0;
	u8 *busy = malloc(run->nr_slabs);
	u32 stats[17] = { 0 };
	bool ok = true;

	rng_state = run->seed * 0x9E3779B97F4A7C15ULL + 1;
	tm_init(&t, run->nr_slabs);
	model_init(&m, run->nr_slabs);

	for (step = 0; step < run->ops && ok; step++) {
		u32 r = rnd_below(120), slab, i;
		char op[200];
		const char *err = NULL, *prop = NULL;
		bool ret_ok = true;
		struct scan s;

		snprintf(op, sizeof(op), "nothing");
		/* a full cache mostly cleans, as the kernel would */
		if (r < 45 && !t.m.nr_free && rnd_below(3))
			r = rnd_below(2) ? 90 : 70;
		if (r < 30) {
			/* alloc, maybe with busy slabs; fill now, usually */
			struct busy_ctx ctx = { .map = &t.m, .busy = busy };
			bool use_busy = rnd_below(3) == 0;
			u32 want = SC_NIL, k, n = run->nr_slabs, calls = 0;
			u32 c = t.m.free_cursor, want_calls[64];
			bool ignore = false;

			if (nr_pending == MAX_PENDING) {
				slab = pending[--nr_pending];
				snprintf(op, sizeof(op), "abort %u", slab);
				sc_map_abort_slab(&t.m, to_slab(slab));
				m.state[slab] = SC_SLAB_FREE;
				goto checks;
			}
			if (use_busy)
				rnd_busy(busy, n);
			else
				memset(busy, 0, n);
			for (k = 0; k < n && want == SC_NIL; k++) {
				u32 x = (c + k) % n;

				if (m.state[x] != SC_SLAB_FREE)
					continue;
				if (calls < 64)
					want_calls[calls] = x;
				calls++;
				if (!busy[x])
					want = x;
			}
			if (use_busy && sab_now(SAB_ALLOC_BUSY, step) &&
			    calls > 1) {
				ignore = true;
				sab_mark(step);
			}
			slab = from_slab(sc_map_alloc_slab(&t.m,
					use_busy && !ignore ? busy_fn : NULL,
					&ctx));
			snprintf(op, sizeof(op), "alloc (busy %s, cursor %u) ->"
				 " %u, model %u; busy asked %u times, model %u",
				 use_busy ? "on" : "off", c, slab, want,
				 ctx.nr_calls, calls);
			ret_ok = slab == want;
			if (use_busy && !ignore)
				ret_ok = ret_ok && ctx.nr_calls == calls &&
					 !ctx.nr_bad &&
					 !memcmp(ctx.calls, want_calls,
						 (calls < 64 ? calls : 64) *
						 sizeof(u32));
			stats[want == SC_NIL ? 1 : 0]++;
			if (slab == SC_NIL || slab >= n)
				goto checks;
			m.state[slab] = SC_SLAB_FILLING;
			pending[nr_pending++] = slab;
			if (rnd_below(10) < 3 || !ret_ok)
				goto checks;
			/* fall into a fill of what was just allocated */
			r = 30;
		}
		if (r < 45) {
			u32 idx[SC_SLAB_SIZE], count, pick, moved, got_run, want;
			u32 entries, mem = rnd_below(10);
			u64 blocks[SC_SLAB_SIZE];
			unsigned long w = sc_shim_warnings;
			struct plan plan;
			const char *shape;
			bool dups, room;
			int ret;

			if (!nr_pending)
				goto checks;
			pick = r == 30 ? nr_pending - 1 : rnd_below(nr_pending);
			slab = pending[pick];
			pending[pick] = pending[--nr_pending];
			count = rnd_below(40) ? rnd_cluster(idx, run->hot, &dups,
							    &shape) : 0;
			if (!count) {
				shape = "nothing";
				dups = false;
			}
			for (i = 0; i < count; i++)
				blocks[i] = univ_block(idx[i]);
			/* memory: given, withheld, or half of it */
			if (mem < 7)
				err = tm_feed_all(&t);
			else if (mem == 7)
				err = tm_feed(&t, true, false);
			else if (mem == 8)
				err = tm_feed(&t, false, true);
			entries = plan_layout(&t.m, blocks, count, &plan);
			room = !count || has_room(&t.m, plan.units);
			ret = fill(&t, slab, blocks, count, &moved, &got_run);
			snprintf(op, sizeof(op), "fill slab %u, %u blocks from"
				 " %llu (%s, %u entries, room %d) -> %d,"
				 " moved %u", slab, count,
				 count ? blocks[0] : 0, shape, entries, room,
				 ret, moved);
			if (dups || !room) {
				ret_ok = ret < 0 &&
					 sc_shim_warnings - w == (dups ? 1 : 0);
				/* a refused slab is still the caller's */
				pending[nr_pending++] = slab;
				stats[dups ? 3 : 4]++;
				if (sab_now(SAB_FAILED_FILL, step) && m.cached) {
					for (i = 0; i < m.nr_slots &&
					     m.slot_idx[i] == SC_NIL; i++)
						;
					sc_map_remove(&t.m, to_oblock(
						univ_block(m.slot_idx[i])));
					sab_mark(step);
				}
				goto checks;
			}
			want = model_fill(&m, slab, idx, count);
			if (ret == 0 && sab_now(SAB_MOVED, step) && moved) {
				moved++;
				sab_mark(step);
			}
			if (ret == 0 && count && sab_now(SAB_FILL_REF, step)) {
				touch(&t, slab);
				sab_mark(step);
			}
			ret_ok = ret == 0 && moved == want;
			if (ret_ok && count)
				prop = check_fill_run(&t.m, slab, blocks,
						      got_run, &plan);
			stats[2]++;
			stats[16] += count && plan.units > entries;
		} else if (r < 48) {
			/* abort a slab being filled */
			if (!nr_pending)
				goto checks;
			i = rnd_below(nr_pending);
			slab = pending[i];
			pending[i] = pending[--nr_pending];
			sc_map_abort_slab(&t.m, to_slab(slab));
			snprintf(op, sizeof(op), "abort %u", slab);
			m.state[slab] = SC_SLAB_FREE;
		} else if (r < 62) {
			/* remove one block, usually a cached one */
			u32 ix = rnd_group(run->hot) * GROUP_PAGES +
				 rnd_below(GROUP_PAGES);
			bool got, want;

			if (m.cached && rnd_below(3)) {
				do
					i = rnd_below(m.nr_slots);
				while (m.slot_idx[i] == SC_NIL);
				ix = m.slot_idx[i];
			}
			want = m.slot_of[ix] != SC_NIL;
			got = sc_map_remove(&t.m, to_oblock(univ_block(ix)));
			if (want)
				model_unlink(&m, m.slot_of[ix]);
			snprintf(op, sizeof(op), "remove %llu -> %d, model %d",
				 univ_block(ix), got, want);
			ret_ok = got == want;
			stats[5]++;
		} else if (r < 72) {
			/* remove a range, in steps of a random budget */
			struct sc_map_walk walk;
			u64 first, count, want = 0, b, cost;
			u32 budget = rnd_below(4) ? 1 + rnd_below(40) :
				     SC_MAP_STEP, steps = 0, kind = rnd_below(8);
			bool done = false;

			switch (kind) {
			case 0: case 1: case 2:
				first = univ_block(rnd_group(run->hot) *
						   GROUP_PAGES +
						   rnd_below(GROUP_PAGES));
				count = 1 + rnd_below(48);
				break;
			case 3:
				first = rnd_below(NG_DENSE * GROUP_PAGES);
				count = 1 + rnd_below(NG_DENSE * GROUP_PAGES);
				break;
			case 4:
				first = univ_block(NG_DENSE * GROUP_PAGES +
						   rnd_below(UNIV - NG_DENSE *
							     GROUP_PAGES));
				count = rnd_below(2) ? 1 + rnd_below(40) :
					1ULL << rnd_below(64);
				break;
			case 5:
				first = rnd_below(100);
				count = SC_OBLOCK_NONE;
				break;
			case 6:
				first = rnd() >> rnd_below(64);
				count = rnd() >> rnd_below(64);
				break;
			default:
				/* around the arena's size: either way */
				first = rnd_below(NG_DENSE * GROUP_PAGES);
				count = t.m.chunks_high * SC_CHUNK_ENTRIES +
					rnd_below(2 * t.m.nr_cached + 2) -
					rnd_below(64);
				break;
			}
			cost = t.m.chunks_high * SC_CHUNK_ENTRIES +
			       2ULL * t.m.nr_cached;
			for (i = 0; i < UNIV; i++) {
				b = univ_block(i);
				if (b - first < count && b >= first &&
				    m.slot_of[i] != SC_NIL) {
					model_unlink(&m, m.slot_of[i]);
					want++;
				}
			}
			sc_map_walk_init(&t.m, &walk, to_oblock(first), count);
			while (!done && steps < 100000000) {
				done = sc_map_walk_step(&t.m, &walk, budget);
				steps++;
				if (!done && sab_now(SAB_WALK_SHORT, step) &&
				    want > walk.dropped) {
					sab_mark(step);
					break;
				}
			}
			if (count > SC_OBLOCK_NONE - first)
				count = SC_OBLOCK_NONE - first;
			if (count < cost)
				cost = count;
			snprintf(op, sizeof(op), "walk [%llu, +%llu) by %s,"
				 " budget %u -> %llu in %u steps, model %llu",
				 first, count, walk.by_arena ? "arena" :
				 "lookups", budget, walk.dropped, steps, want);
			ret_ok = walk.dropped == want;
			if (steps > cost / budget + 2)
				prop = fail("%u steps of %u, for a cost of %llu",
					    steps, budget, cost);
			stats[6]++;
		} else if (r < 74) {
			u64 got, want = 0;

			got = drop_all(&t);
			for (slab = 0; slab < m.nr_slabs; slab++)
				if (m.state[slab] == SC_SLAB_ACTIVE)
					want += model_drop_slab(&m, slab, false);
			snprintf(op, sizeof(op), "drop all -> %llu, model %llu",
				 got, want);
			ret_ok = got == want;
			stats[7]++;
		} else if (r < 86) {
			/* hits: look blocks up and touch their slabs */
			u32 n = 1 + rnd_below(8), hits = 0, ix, got;

			for (i = 0; i < n; i++) {
				ix = rnd_group(run->hot) * GROUP_PAGES +
				     rnd_below(GROUP_PAGES);
				if (m.cached && rnd_below(2)) {
					u32 sl;

					do
						sl = rnd_below(m.nr_slots);
					while (m.slot_idx[sl] == SC_NIL);
					ix = m.slot_idx[sl];
				}
				got = slot_of(&t.m, univ_block(ix));
				ret_ok = ret_ok && got == m.slot_of[ix];
				if (got == SC_NIL)
					continue;
				touch(&t, got / SC_SLAB_SIZE);
				m.ref[got / SC_SLAB_SIZE] = 1;
				hits++;
			}
			/* a reader that touches late, the slab since gone */
			slab = SC_NIL;
			if (rnd_below(8) == 0) {
				slab = rnd_below(run->nr_slabs);
				touch(&t, slab);
				m.ref[slab] = 1;
			}
			snprintf(op, sizeof(op), "touch: %u hits of %u, stray %d",
				 hits, n, (int)slab);
			stats[8]++;
		} else if (r < 98) {
			/* the cleaner: a victim, then evict, retire or keep */
			bool use_busy = rnd_below(3) == 0;
			u32 v, what = rnd_below(20), n = 0, want;
			const char *then = "kept";

			if (use_busy)
				rnd_busy(busy, run->nr_slabs);
			if (sab_now(SAB_CLOCK_IGNORES_REF, step)) {
				for (i = 0; i < m.nr_slabs; i++)
					if (m.state[i] == SC_SLAB_ACTIVE &&
					    m.ref[i])
						break;
				if (i < m.nr_slabs) {
					clock_ignores_ref = true;
					sab_mark(step);
				}
			}
			v = clock_checked(&t, use_busy ? busy : NULL, &prop);
			clock_ignores_ref = false;
			for (i = 0; i < m.nr_slabs; i++)
				m.ref[i] = bit(t.m.referenced, i);
			slab = v == SC_NIL ? SC_NIL :
			       from_slab(sc_map_run_slab(&t.m, v));
			stats[v == SC_NIL ? 10 : 9]++;
			if (!prop && v != SC_NIL && what < 10) {
				n = sc_map_evict_run(&t.m, v);
				want = model_drop_slab(&m, slab, false);
				ret_ok = n == want && n;
				then = "evicted";
			} else if (!prop && v != SC_NIL && what < 17 &&
				   nr_retired < MAX_PENDING) {
				n = sc_map_retire_run(&t.m, v);
				want = model_drop_slab(&m, slab, true);
				ret_ok = n == want && n;
				retired[nr_retired++] = slab;
				then = "retired";
				stats[11]++;
			}
			snprintf(op, sizeof(op), "clock (busy %s) -> run %u,"
				 " slab %u, %s %u", use_busy ? "on" : "off", v,
				 slab, then, n);
		} else if (r < 104) {
			/* evict or retire a run found in the arena */
			u32 v, n, want;
			bool ret = rnd_below(2) && nr_retired < MAX_PENDING;

			if (check_arena(&t.m, &s) || !s.nr_runs) {
				scan_free(&s);
				goto checks;
			}
			v = s.runs[rnd_below(s.nr_runs)];
			scan_free(&s);
			slab = from_slab(sc_map_run_slab(&t.m, v));
			n = ret ? sc_map_retire_run(&t.m, v) :
			    sc_map_evict_run(&t.m, v);
			want = slab < m.nr_slabs ?
			       model_drop_slab(&m, slab, ret) : 0;
			if (ret)
				retired[nr_retired++] = slab;
			snprintf(op, sizeof(op), "%s run %u (slab %u) -> %u,"
				 " model %u", ret ? "retire" : "evict", v, slab,
				 n, want);
			ret_ok = n == want && n;
			stats[12]++;
		} else if (r < 108) {
			/* a retired slab's range discarded: given back */
			if (!nr_retired)
				goto checks;
			i = rnd_below(nr_retired);
			slab = retired[i];
			retired[i] = retired[--nr_retired];
			sc_map_abort_slab(&t.m, to_slab(slab));
			m.state[slab] = SC_SLAB_FREE;
			snprintf(op, sizeof(op), "abort retired %u", slab);
			stats[13]++;
		} else if (r < 112) {
			u32 nr = 0;

			prop = tm_collect(&t, &nr);
			snprintf(op, sizeof(op), "collect garbage: %u", nr);
			stats[14]++;
		} else if (r < 116) {
			/* abort of a free or an active slab: refused */
			unsigned long w = sc_shim_warnings;

			slab = rnd_below(run->nr_slabs);
			if (m.state[slab] != SC_SLAB_FREE &&
			    m.state[slab] != SC_SLAB_ACTIVE)
				goto checks;
			sc_map_abort_slab(&t.m, to_slab(slab));
			snprintf(op, sizeof(op), "abort of %s slab %u",
				 state_name(m.state[slab]), slab);
			ret_ok = sc_shim_warnings == w + 1;
			stats[15]++;
		} else {
			u32 mode = rnd_below(3);

			err = tm_feed(&t, mode != 1, mode != 2);
			snprintf(op, sizeof(op), "feed (chunk %d, segment %d)",
				 mode != 1, mode != 2);
		}
checks:
		sab_structure(&t, step);
#define STEP_CHECK(cond, msg)						\
		do {							\
			const char *e_ = (msg);				\
			if (!(cond) && sabotage) {			\
				snprintf(caught, 512, "%s: %s", op,	\
					 e_ ? e_ : "");			\
				*caught_step = step;			\
			} else {					\
				CHECK(cond, "seed %#llx step %u (%s): %s", \
				      run->seed, step, op, e_ ? e_ : ""); \
			}						\
			ok = ok && (cond);				\
		} while (0)
		STEP_CHECK(!err, err);
		if (!ok)
			break;
		STEP_CHECK(ret_ok, "return value differs from the model");
		if (!ok)
			break;
		STEP_CHECK(!prop, prop);
		if (!ok)
			break;
		err = check_all(&t, &s);
		STEP_CHECK(!err, err);
		if (!ok)
			break;
		err = check_model(&t.m, &m, &s);
		scan_free(&s);
		STEP_CHECK(!err, err);
#undef STEP_CHECK
	}
	if (!sabotage)
		printf("map: seed %#llx, %u slabs, hot %u: %u steps%s (%u"
		       " allocs, %u none, %u fills, %u dups, %u no room, %u"
		       " removes, %u walks, %u drop all, %u touches, %u"
		       " victims, %u none, %u retired, %u runs, %u given back,"
		       " %u collects, %u refused aborts; %u fills with span"
		       " entries)\n", run->seed,
		       run->nr_slabs, run->hot, step, ok ? "" : " FAILED",
		       stats[0], stats[1], stats[2], stats[3], stats[4],
		       stats[5], stats[6], stats[7], stats[8], stats[9],
		       stats[10], stats[11], stats[12], stats[13], stats[14],
		       stats[15], stats[16]);
	/* span entries are checked here only if some fill made them */
	CHECK(sabotage || !ok || stats[16] > 0,
	      "seed %#llx: no fill made a span entry", run->seed);
	if (!sabotage) {
		const char *err = tm_teardown(&t);

		CHECK(!err, "seed %#llx: %s", run->seed, err);
	}
	model_free(&m);
	free(busy);
	tm_free(&t);
	return ok;
}

static void test_random(void)
{
	unsigned int k;

	for (k = 0; k < ARRAY_SIZE(runs); k++)
		run_seed(&runs[k], NULL, NULL);
}

/* Each sabotage, in a run that is clean without it, caught when done. */
static void test_sabotage(void)
{
	static const struct seed_run run = { 0xbad5eed, 24, 30, 1500 };
	char caught[512];
	u32 step;
	bool ok;

	for (sabotage = 1; sabotage < SAB_COUNT; sabotage++) {
		sab_fired = false;
		caught[0] = '\0';
		step = SC_NIL;
		ok = run_seed(&run, caught, &step);
		CHECK(sab_fired, "sabotage \"%s\" found no occasion",
		      sab_names[sabotage]);
		/* a broken structure right away, a broken behaviour at all */
		CHECK(!ok && (sabotage >= SAB_FILL_REF ? step >= sab_step :
			      step == sab_step),
		      "sabotage \"%s\" at step %u: %s", sab_names[sabotage],
		      sab_step, ok ? "not caught" : "caught at another step");
		printf("map: sabotage \"%s\" at step %u: caught at step %u: %.160s\n",
		       sab_names[sabotage], sab_step, step, caught);
	}
	sabotage = SAB_NONE;
}

/* A map bug that loops forever (a broken walk, a cyclic chain). */
static void watchdog(int sig)
{
	static const char msg[] = "FAIL test_map: still running after 300 s\n";

	(void)sig;
	if (write(2, msg, sizeof(msg) - 1) < 0)
		_exit(3);
	_exit(2);
}

/*
 * The checkpoint's round trip: a map of slabs of every shape, holes left
 * by removals among them, exported a chunk at a time, turned back into
 * slot order and filled, with their slabs claimed by number, into a new
 * map, gives the same lookups for every block; and claims and extents
 * that a corrupt checkpoint could name are refused.
 */
static void test_export_restore(void)
{
	struct tmap a, c;
	struct sc_map_extent x[64];
	u64 b[SC_SLAB_SIZE];
	u32 i, k, s, pos = 0, n, nx = 0, moved, run, used;
	u64 blk;
	struct sc_map_extent *all = NULL;
	sc_oblock_t ob[SC_SLAB_SIZE];
	const char *err;

	tm_init(&a, 600);
	for (s = 0; s < 500; s++) {
		err = tm_feed_all(&a);
		CHECK(!err, "feed: %s", err);
		alloc(&a);
		for (i = 0; i < SC_SLAB_SIZE; i++)	/* shapes by slab */
			b[i] = s % 3 == 0 ? (u64)s * 16 + i :
			       s % 3 == 1 ? (u64)(s * 16 + i) * 16 + 5 :
			       (u64)s * 16 + (i * 7) % 16;
		fill_ok(&a, s, b, s % 5 ? SC_SLAB_SIZE : 1 + s % 16);
	}
	for (blk = 0; blk < 500 * 256; blk += 37)	/* holes */
		sc_map_remove(&a.m, to_oblock(blk));
	do {
		n = sc_map_export(&a.m, &pos, x, ARRAY_SIZE(x));
		all = realloc(all, (nx + n + 1) * sizeof(*all));
		assert(all);
		memcpy(all + nx, x, n * sizeof(*x));
		nx += n;
	} while (!sc_map_export_done(&a.m, pos));
	CHECK(nx >= 500 - 1, "exported %u extents", nx);

	tm_init(&c, 600);
	for (i = 0; i < nx; i = k) {
		for (k = 0; k < SC_SLAB_SIZE; k++)
			ob[k] = to_oblock(SC_OBLOCK_NONE);
		used = 0;
		for (k = i; k < nx && all[k].slab == all[i].slab; k++)
			CHECK(!sc_map_extent_slots(&all[k], ob, &used),
			      "extent %u of slab %u", k, all[k].slab);
		err = tm_feed_all(&c);
		CHECK(!err, "feed: %s", err);
		CHECK(!sc_map_claim_slab(&c.m, to_slab(all[i].slab)),
		      "claim of slab %u", all[i].slab);
		CHECK(!sc_map_fill_slab(&c.m, to_slab(all[i].slab), ob, used,
					&moved, &run) && !moved,
		      "restore of slab %u", all[i].slab);
		/* A slab named twice: refused, nothing changed. */
		CHECK(sc_map_claim_slab(&c.m, to_slab(all[i].slab)) == -EINVAL,
		      "second claim of slab %u", all[i].slab);
	}
	CHECK(c.m.nr_cached == a.m.nr_cached, "restored %u of %u pages",
	      c.m.nr_cached, a.m.nr_cached);
	for (blk = 0; blk < 500 * 256 + 16; blk++)
		if (from_slot(sc_map_lookup(&a.m, to_oblock(blk))) !=
		    from_slot(sc_map_lookup(&c.m, to_oblock(blk)))) {
			CHECK(0, "block %llu: slot %u, restored %u",
			      (unsigned long long)blk,
			      from_slot(sc_map_lookup(&a.m, to_oblock(blk))),
			      from_slot(sc_map_lookup(&c.m, to_oblock(blk))));
			break;
		}
	CHECK(sc_map_claim_slab(&c.m, to_slab(600)) == -EINVAL,
	      "claim past the end");

	/* Extents no export makes. */
	for (k = 0; k < SC_SLAB_SIZE; k++)
		ob[k] = to_oblock(SC_OBLOCK_NONE);
	used = 0;
	x[0] = (struct sc_map_extent){ .group = 1, .slab = 0, .valid = 0,
				       .shift = 15 };
	CHECK(sc_map_extent_slots(&x[0], ob, &used), "no page");
	x[0].valid = 0x8000;
	x[0].shift = 16;	/* page 15 in slot 16 */
	CHECK(sc_map_extent_slots(&x[0], ob, &used), "past the slab");
	x[0].valid = 1;
	x[0].shift = 14;	/* page 0 in slot -1 */
	CHECK(sc_map_extent_slots(&x[0], ob, &used), "before the slab");
	x[0].shift = 15;
	x[0].group = SC_MAP_MAX_OBLOCKS >> SC_SLAB_SHIFT;
	CHECK(sc_map_extent_slots(&x[0], ob, &used), "group out of range");
	x[0].group = 1;
	CHECK(!sc_map_extent_slots(&x[0], ob, &used) && used == 1,
	      "good extent");
	CHECK(sc_map_extent_slots(&x[0], ob, &used), "slot taken twice");
	/*
	 * A block in two slots of its slab: a flipped valid bit in a
	 * checkpoint makes two extents of one group claim the same page.
	 * The fill would refuse it with a warning; the restore must refuse
	 * it here, quietly.
	 */
	x[0].shift = 16;	/* page 0 of group 1 again, in slot 1 */
	CHECK(sc_map_extent_slots(&x[0], ob, &used) == -EINVAL,
	      "a block in two slots");
	CHECK(from_oblock(ob[1]) == SC_OBLOCK_NONE && used == 1,
	      "a refused block is not entered");
	free(all);
	tm_free(&a);
	tm_free(&c);
}

int main(void)
{
	signal(SIGALRM, watchdog);
	alarm(300);
	test_init();
	test_bytes();
	test_memory_protocol();
	test_release_all();
	test_fill_shapes();
	test_fill_refusals();
	test_move();
	test_remove();
	test_buddy();
	test_hash();
	test_alloc();
	test_alloc_bounded();
	test_slab_states();
	test_run_refusals();
	test_run_groups();
	test_span();
	test_span_room();
	test_span_hash();
	test_span_chain();
	test_span_whole_scattered();
	test_span_offsets_refused();
	test_bad_args();
	test_clock_second_chance();
	test_clock_busy();
	test_clock_steps();
	test_walk_ranges(8);
	test_walk_ranges(5000);
	test_walk_sparse();
	test_walk_interleaved();
	test_touch_no_store();
	test_memory_follows();
	test_export_restore();
	test_random();
	test_sabotage();
	return sc_test_summary("map");
}
