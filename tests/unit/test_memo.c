// SPDX-License-Identifier: GPL-2.0
/*
 * The scanning thread's memory (swapcache/memo.h): the group memo answers
 * only what it was told, forgets a file that changed, tells files, groups
 * and reused inodes apart, stays within its table, keeps most of a walk
 * that comes back to more groups than it holds, gives up a group unused
 * for two passes, else the one taken last (not just any group unused this
 * pass), keeps the set and the check to different bits of the hash, and
 * asks for a table sized from the last full pass; the quiet pass is
 * skipped only after a clean pass with no event since it began.  Runs the
 * module's own memo.c, the memo against a reference model too.
 */
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "memo.h"

#define SET_BITS 3
#define NR_SETS (1U << SET_BITS)

static struct sc_memo_entry entries[NR_SETS * SC_MEMO_WAYS];
static u8 last[NR_SETS];
static struct sc_memo memo;

static void reset(void)
{
	memset(entries, 0, sizeof(entries));
	memset(last, 0, sizeof(last));
	memset(&memo, 0, sizeof(memo));
	sc_memo_init(&memo, entries, last, SET_BITS);
}

static struct sc_memo_key key(unsigned long inode, u64 group)
{
	struct sc_memo_key k = {
		.sb = (const void *)0x1000,
		.inode = (const void *)inode,
		.ino = inode / 64,
		.gen = 7,
		.group = group,
	};
	return k;
}

static void test_line(void)
{
	struct sc_memo_key k = key(0x4000, 3);
	struct sc_memo_entry *e;
	unsigned int i;

	reset();
	CHECK(!sc_memo_find(&memo, &k, 1), "an empty memo knows nothing");
	e = sc_memo_claim(&memo, &k, 1);
	for (i = 0; i < SC_MEMO_GROUP; i++)
		CHECK(sc_memo_get(e, i) == SC_MEMO_NONE, "page %u unknown", i);
	CHECK(!sc_memo_find(&memo, &k, 1), "a claimed entry with no page is unused");

	/* The line is set by the first page recorded, whichever it is. */
	sc_memo_set(e, 5, 8000 + 5 * 8);
	sc_memo_set(e, 2, 8000 + 2 * 8);
	sc_memo_set(e, 9, 123456);		/* off the line: not kept */
	sc_memo_set(e, 11, SC_MEMO_NONE);	/* a hole: not kept */
	e = sc_memo_find(&memo, &k, 1);
	CHECK(e != NULL, "found again");
	CHECK(sc_memo_get(e, 5) == 8040, "page 5: %llu", (unsigned long long)sc_memo_get(e, 5));
	CHECK(sc_memo_get(e, 2) == 8016, "page 2");
	CHECK(sc_memo_get(e, 9) == SC_MEMO_NONE, "off-line page not answered");
	CHECK(sc_memo_get(e, 11) == SC_MEMO_NONE, "hole not answered");
	CHECK(sc_memo_get(e, 0) == SC_MEMO_NONE, "never-told page 0 not answered");
	CHECK(sc_memo_get(e, 16) == SC_MEMO_NONE, "out of the group");

	/* A line below sector 0 at page 0 still answers exactly. */
	sc_memo_forget(e, 5);
	sc_memo_forget(e, 2);
	CHECK(!sc_memo_find(&memo, &k, 1), "all forgotten: unused");
	e = sc_memo_claim(&memo, &k, 1);
	sc_memo_set(e, 15, 8);
	sc_memo_set(e, 14, 0);
	CHECK(sc_memo_get(e, 15) == 8 && sc_memo_get(e, 14) == 0, "wrapping line");
	sc_memo_forget(e, 14);
	CHECK(sc_memo_get(e, 14) == SC_MEMO_NONE && sc_memo_get(e, 15) == 8,
	      "forget is per page");
}

static void test_stamp_and_keys(void)
{
	struct sc_memo_key k = key(0x4000, 3), other;
	struct sc_memo_entry *e;

	reset();
	e = sc_memo_claim(&memo, &k, 1);
	sc_memo_set(e, 0, 800);

	/* The file changed: the group is known no more. */
	e = sc_memo_find(&memo, &k, 2);
	CHECK(e == NULL || sc_memo_get(e, 0) == SC_MEMO_NONE, "changed file forgotten");
	e = sc_memo_claim(&memo, &k, 2);
	CHECK(sc_memo_get(e, 0) == SC_MEMO_NONE, "nor learnt afresh from the old");
	sc_memo_set(e, 0, 1600);
	e = sc_memo_find(&memo, &k, 2);
	CHECK(e && sc_memo_get(e, 0) == 1600, "the new state is what it knows");

	reset();
	e = sc_memo_claim(&memo, &k, 1);
	sc_memo_set(e, 0, 800);
	other = k;
	other.gen++;
	CHECK(!sc_memo_find(&memo, &other, 1), "another generation");
	other = k;
	other.ino++;
	CHECK(!sc_memo_find(&memo, &other, 1), "another inode number");
	other = k;
	other.inode = (const void *)0x8000;
	CHECK(!sc_memo_find(&memo, &other, 1), "another inode");
	other = k;
	other.sb = (const void *)0x2000;
	CHECK(!sc_memo_find(&memo, &other, 1), "another filesystem");
	other = k;
	other.group++;
	CHECK(!sc_memo_find(&memo, &other, 1), "another group");
	CHECK(sc_memo_find(&memo, &k, 1) != NULL, "the group itself");
}

/*
 * Against a model: many groups through a small table.  Whatever the memo
 * answers must be what it was last told at the current stamp; a group
 * may be forgotten (the table is bounded) but never misremembered.  A
 * full pass ends every 500 steps, which ages the entries of files that
 * changed out of the table (memo.h); the table is never resized here.
 */
#define NR_GROUPS 64
static u64 model[NR_GROUPS][SC_MEMO_GROUP];
static u64 model_stamp[NR_GROUPS];

static void test_model(void)
{
	unsigned int step, g, i, answered = 0;

	reset();
	srand(16);
	for (g = 0; g < NR_GROUPS; g++) {
		model_stamp[g] = 1;
		for (i = 0; i < SC_MEMO_GROUP; i++)
			model[g][i] = SC_MEMO_NONE;
	}
	for (step = 0; step < 200000; step++) {
		struct sc_memo_pass seen;
		struct sc_memo_key k;
		struct sc_memo_entry *e;
		u64 truth, got;
		int op = rand() % 40;

		if (step % 500 == 499)
			sc_memo_pass_end(&memo, &seen);

		g = rand() % NR_GROUPS;
		i = rand() % SC_MEMO_GROUP;
		k = key(0x10000 + 64 * (g % 8), g / 8);
		if (op == 0) {			/* the file changed */
			model_stamp[g]++;
			for (i = 0; i < SC_MEMO_GROUP; i++)
				model[g][i] = SC_MEMO_NONE;
			continue;
		}
		/* Blocks follow a line per group, with a few strays. */
		truth = (op == 1) ? (u64)rand() * 8 : 100000 * g + 8 * i;
		e = sc_memo_find(&memo, &k, model_stamp[g]);
		got = e ? sc_memo_get(e, i) : SC_MEMO_NONE;
		if (got != SC_MEMO_NONE) {
			answered++;
			CHECK(got == model[g][i], "group %u page %u: %llu, told %llu",
			      g, i, (unsigned long long)got,
			      (unsigned long long)model[g][i]);
			if (op == 2) {
				sc_memo_forget(e, i);
				model[g][i] = SC_MEMO_NONE;
			}
			continue;
		}
		/* Asked bmap(): tell the memo, as scan.c does. */
		if (!e)
			e = sc_memo_claim(&memo, &k, model_stamp[g]);
		sc_memo_set(e, i, truth);
		if (sc_memo_get(e, i) == truth)
			model[g][i] = truth;
	}
	CHECK(answered > 10000, "the memo answered only %u times", answered);
}

/*
 * One visit of a group, as scan.c makes it: the memo's entry if it has
 * one, else bmap() (here: the group's line) told to it.  Return: a hit.
 */
static bool visit(struct sc_memo *m, unsigned long g)
{
	struct sc_memo_key k = key(0x100000 + 64 * (g / 4), g % 4);
	struct sc_memo_entry *e = sc_memo_find(m, &k, 1);

	if (e && sc_memo_get(e, 0) == 8 * (u64)g)
		return true;
	if (!e)
		e = sc_memo_claim(m, &k, 1);
	sc_memo_set(e, 0, 8 * (u64)g);
	return false;
}

/*
 * The table as scan.c keeps it: sized at each full pass's end from the
 * groups the pass met (sc_memo_pass_end()), each new table starting
 * empty (sized_walk(): @nr groups a pass, @passes passes, returns the
 * last pass's hits), or kept at the size a test gives it.
 */
struct sized {
	struct sc_memo m;
	struct sc_memo_entry *t;
	u8 *l;
	unsigned int resizes;
	struct sc_memo_pass seen;
};

static void sized_table(struct sized *z, unsigned int bits)
{
	free(z->t);
	free(z->l);
	z->t = calloc((size_t)SC_MEMO_WAYS << bits, sizeof(*z->t));
	z->l = calloc((size_t)1 << bits, 1);
	if (!z->t || !z->l)
		abort();
	sc_memo_init(&z->m, z->t, z->l, bits);
}

static void sized_free(struct sized *z)
{
	free(z->t);
	free(z->l);
}

/* One round of a walk over groups 0 to @nr - 1.  Return: the hits. */
static unsigned long walk(struct sc_memo *m, unsigned long nr)
{
	unsigned long g, hits = 0;

	for (g = 0; g < nr; g++)
		hits += visit(m, g);
	return hits;
}

/*
 * A pass over three times the groups the table holds, in the same order
 * each time (a full pass over a large cache), used to find none of them:
 * each set's round-robin victim was always the group the walk needed
 * next.  Still without the table growing, it now finds at least half as
 * many groups as the table holds, each pass: all but one of each set's.
 */
static void test_cyclic(void)
{
	unsigned long hits = 0, held, nr;
	struct sized z = { 0 };
	unsigned int pass;

	sized_table(&z, SC_MEMO_MIN_SET_BITS);	/* 4,096 groups */
	held = (unsigned long)SC_MEMO_WAYS << z.m.set_bits;
	nr = 3 * held;
	for (pass = 0; pass < 4; pass++)
		hits = walk(&z.m, nr);
	CHECK(hits >= held / 2, "a pass over %lu groups, %lu held: %lu found",
	      nr, held, hits);
	sized_free(&z);
}

/*
 * The same walk with a full pass ending after each round, as scan.c ends
 * them: a group found is used again this pass, so it must not be the one
 * given up (memo.h), or the set loses the groups it keeps to the ones it
 * just took.  Past 256 passes too, where the epoch wraps.
 */
static void test_cyclic_aged(void)
{
	unsigned long hits, held, nr, worst = ~0UL;
	struct sized z = { 0 };
	unsigned int pass;

	sized_table(&z, SC_MEMO_MIN_SET_BITS);
	held = (unsigned long)SC_MEMO_WAYS << z.m.set_bits;
	nr = 3 * held;
	for (pass = 0; pass < 260; pass++) {
		hits = walk(&z.m, nr);
		sc_memo_pass_end(&z.m, &z.seen);
		if (pass && hits < worst)
			worst = hits;
	}
	CHECK(worst >= (SC_MEMO_WAYS - 1UL) << z.m.set_bits,
	      "a pass over %lu groups, %lu held, a pass ending each round: %lu found at worst",
	      nr, held, worst);
	sized_free(&z);
}

static unsigned long sized_walk(struct sized *z, unsigned long nr,
				unsigned int passes)
{
	unsigned long hits = 0;
	unsigned int bits;

	while (passes--) {
		hits = walk(&z->m, nr);
		bits = sc_memo_pass_end(&z->m, &z->seen);
		if (bits != z->m.set_bits) {
			sized_table(z, bits);
			z->resizes++;
		}
	}
	return hits;
}

static unsigned long sized_bytes(const struct sized *z)
{
	return ((unsigned long)SC_MEMO_WAYS * sizeof(*z->t) + 1) << z->m.set_bits;
}

static void test_sized(void)
{
	struct sized z = { 0 };
	unsigned long hits, r;

	CHECK(sizeof(struct sc_memo_entry) == 16, "an entry is %zu bytes",
	      sizeof(struct sc_memo_entry));
	sized_table(&z, SC_MEMO_MIN_SET_BITS);
	CHECK(sized_bytes(&z) == 65536 + 512, "smallest table: %lu bytes",
	      sized_bytes(&z));

	/* 100,000 one-page files: the first pass grows it, the next fills it. */
	hits = sized_walk(&z, 100000, 1);
	CHECK(hits == 0 && z.resizes == 1, "first pass: %lu hits, %u resizes",
	      hits, z.resizes);
	CHECK(z.seen.met >= 100000 && z.seen.claimed >= 100000,
	      "the pass met %llu groups, claimed %llu",
	      (unsigned long long)z.seen.met,
	      (unsigned long long)z.seen.claimed);
	hits = sized_walk(&z, 100000, 2);
	CHECK(hits >= 88000, "a full pass over 100,000 groups: %lu found", hits);
	CHECK(z.seen.lookups == 100000 && z.seen.found == hits &&
	      z.seen.met == 100000,
	      "seen: %llu lookups, %llu found, %llu met",
	      (unsigned long long)z.seen.lookups,
	      (unsigned long long)z.seen.found,
	      (unsigned long long)z.seen.met);
	CHECK(z.resizes == 1, "grown once: %u", z.resizes);
	CHECK(sized_bytes(&z) <= 100000UL * 22,
	      "%lu bytes for 100,000 groups", sized_bytes(&z));

	/* A cache that wavers, 40,000 groups fitting half the table: no new one. */
	r = z.resizes;
	sized_walk(&z, 40000, 2);
	hits = sized_walk(&z, 100000, 1);
	CHECK(z.resizes == r && hits >= 88000,
	      "40,000 then 100,000 groups: %u resizes, %lu found",
	      z.resizes - (unsigned int)r, hits);

	/* It shrinks to what a smaller cache needs, and still finds it. */
	hits = sized_walk(&z, 3000, 3);
	CHECK(z.m.set_bits == SC_MEMO_MIN_SET_BITS && hits >= 2700,
	      "3,000 groups: set_bits %u, %lu found", z.m.set_bits, hits);

	/* Never beyond the cap: 2,000,000 groups still find some. */
	hits = sized_walk(&z, 2000000, 3);
	CHECK(z.m.set_bits == SC_MEMO_MAX_SET_BITS,
	      "2,000,000 groups: set_bits %u", z.m.set_bits);
	CHECK(sized_bytes(&z) == (4UL << 20) + (32UL << 10),
	      "largest table: %lu bytes", sized_bytes(&z));
	CHECK(hits >= (SC_MEMO_WAYS - 1UL) << SC_MEMO_MAX_SET_BITS,
	      "2,000,000 groups: %lu found", hits);
	sized_free(&z);
}

/*
 * Two targets, as the thread serves them (scan.c): A has 100,000 groups
 * and ends a full pass every 10 ticks, B has 100 and ends one every tick
 * (hysteresis=0, never quiet).  Each target's pass end ages and sizes its
 * own memo, and each memo's table follows its own want between ticks.
 * One memo for both, as the thread had it, let B's pass ends age A's
 * entries ten times a pass of A's and shrink the table under it: A found
 * none of its 100,000 groups, and the table was replaced 40 times in 200
 * ticks.
 */
struct target {
	struct sized *memo;
	unsigned int want;
	unsigned long nr, per_tick, base, pos, hits, last_hits;
};

static void target_tick(struct target *t)
{
	unsigned long i;

	for (i = 0; i < t->per_tick; i++, t->pos++)
		t->hits += visit(&t->memo->m, t->base + t->pos);
	if (t->pos == t->nr) {
		t->want = sc_memo_pass_end(&t->memo->m, &t->memo->seen);
		t->last_hits = t->hits;
		t->pos = 0;
		t->hits = 0;
	}
	/* Between ticks, the target still held: its table as it wants. */
	if (t->want != t->memo->m.set_bits) {
		sized_table(t->memo, t->want);
		t->memo->resizes++;
	}
}

static void test_targets(void)
{
	struct sized za = { 0 }, zb = { 0 };
	struct target a = {
		.memo = &za, .want = SC_MEMO_MIN_SET_BITS,
		.nr = 100000, .per_tick = 10000,
	};
	struct target b = {
		.memo = &zb, .want = SC_MEMO_MIN_SET_BITS,
		.nr = 100, .per_tick = 100, .base = 10000000,
	};
	unsigned int tick;

	sized_table(&za, SC_MEMO_MIN_SET_BITS);
	sized_table(&zb, SC_MEMO_MIN_SET_BITS);
	for (tick = 0; tick < 200; tick++) {
		target_tick(&a);
		target_tick(&b);
	}
	CHECK(a.last_hits >= 88000 && za.resizes == 1,
	      "A, 100,000 groups beside B: %lu found, %u resizes",
	      a.last_hits, za.resizes);
	CHECK(b.last_hits == 100 && zb.resizes == 0,
	      "B, 100 groups beside A: %lu found, %u resizes",
	      b.last_hits, zb.resizes);
	sized_free(&za);
	sized_free(&zb);
}

/*
 * The set a group's hash picks and the 40 bits its entry keeps are
 * different bits of the hash, at every table size: a check bit that were
 * also a set bit would tell apart none of the groups of a set, and fewer
 * than 40 bits would stand between a lookup and a wrong memo (memo.h).
 * Seen from outside: were check bit i also set bit j, the two would agree
 * for every group claimed; independent bits disagree for about half.
 */
#define LAYOUT_GROUPS 256

static void test_layout(void)
{
	const u64 all = (1ULL << 40) - 1;
	struct sized z = { 0 };
	unsigned int bits, n, j;

	for (bits = SC_MEMO_MIN_SET_BITS; bits <= SC_MEMO_MAX_SET_BITS; bits++) {
		u64 differ[SC_MEMO_MAX_SET_BITS] = { 0 };	/* per set bit */

		sized_table(&z, bits);
		for (n = 0; n < LAYOUT_GROUPS; n++) {
			struct sc_memo_key k = key(0x4000 + 64 * (n / 16), n % 16);
			struct sc_memo_entry *e = sc_memo_claim(&z.m, &k, 1);
			u64 set = (u64)(e - z.t) / SC_MEMO_WAYS;

			for (j = 0; j < bits; j++)
				differ[j] |= e->check ^ ((set >> j & 1) ? all : 0);
		}
		for (j = 0; j < bits && differ[j] == all; j++)
			;
		CHECK(j == bits,
		      "set_bits %u: check bits %#llx equal set bit %u in all %u groups",
		      bits, j < bits ? (unsigned long long)(~differ[j] & all) : 0ULL,
		      j, LAYOUT_GROUPS);
	}
	sized_free(&z);
}

/*
 * A full set gives up a group not used for a whole pass before the one
 * taken last: the groups of files gone or changed make way, and a walk
 * over the rest keeps all of them.
 */
static void test_stale(void)
{
	struct sc_memo_pass seen;
	unsigned long g, hits;
	unsigned int pass;

	reset();
	for (g = 0; g < 4 * NR_SETS * SC_MEMO_WAYS; g++)
		visit(&memo, 1000000 + g);	/* fills every way */
	sc_memo_pass_end(&memo, &seen);
	sc_memo_pass_end(&memo, &seen);	/* a pass without them */
	for (pass = 0; pass < 3; pass++) {
		hits = 0;
		for (g = 0; g < NR_SETS * SC_MEMO_WAYS / 4; g++)
			hits += visit(&memo, g);
		sc_memo_pass_end(&memo, &seen);
	}
	CHECK(hits == NR_SETS * SC_MEMO_WAYS / 4,
	      "%lu of %u found among stale groups", hits,
	      NR_SETS * SC_MEMO_WAYS / 4);
}

/* The set of reset()'s memo group @g is in (visit()'s key). */
static unsigned int set_of(unsigned long g)
{
	unsigned int i;

	reset();
	visit(&memo, g);
	for (i = 0; i < ARRAY_SIZE(entries); i++)
		if (entries[i].mask)
			return i / SC_MEMO_WAYS;
	abort();
}

/*
 * A full set gives up a group not used for two passes, and otherwise the
 * one taken last, never a group used in the last pass: the walk comes
 * back to that one later in this pass.  Here new groups X and Y come
 * ahead of B to H, found in the last pass: X takes A's way (unused for
 * two passes), Y takes X's (taken last), and B to H are all found.  Had Y
 * taken B's way, as would a choice of any way not used this pass, each
 * of B to H would have pushed out the next on the walk: none found.
 */
static void test_last_pass(void)
{
	unsigned long a[SC_MEMO_WAYS + 2], g;	/* A to H, then X and Y */
	struct sc_memo_pass seen;
	unsigned int n = 0, s = set_of(0), hits = 0, i;

	for (g = 0; n < ARRAY_SIZE(a); g++)
		if (set_of(g) == s)
			a[n++] = g;
	reset();
	for (i = 0; i < SC_MEMO_WAYS; i++)
		visit(&memo, a[i]);		/* A to H fill the set */
	sc_memo_pass_end(&memo, &seen);
	for (i = 1; i < SC_MEMO_WAYS; i++)
		visit(&memo, a[i]);		/* B to H, not A */
	sc_memo_pass_end(&memo, &seen);
	visit(&memo, a[SC_MEMO_WAYS]);		/* X */
	visit(&memo, a[SC_MEMO_WAYS + 1]);	/* Y */
	for (i = 1; i < SC_MEMO_WAYS; i++)
		hits += visit(&memo, a[i]);
	CHECK(hits == SC_MEMO_WAYS - 1,
	      "%u of the %u groups used in the last pass found after two new ones",
	      hits, SC_MEMO_WAYS - 1);
	CHECK(!visit(&memo, a[0]), "the group unused for two passes was given up");
}

static void test_quiet(void)
{
	struct sc_quiet q = { 0 };

	CHECK(!sc_quiet_skip(&q, 0), "no pass yet: no skip");
	sc_quiet_begin(&q, 10);
	CHECK(!sc_quiet_skip(&q, 10), "a pass under way is not skipped");
	sc_quiet_end(&q);
	CHECK(sc_quiet_skip(&q, 10), "clean pass, nothing since: skip");
	CHECK(sc_quiet_skip(&q, 10), "and again");
	CHECK(!sc_quiet_skip(&q, 11), "an event: no skip");
	CHECK(!sc_quiet_skip(&q, 10), "and no skip until the next clean pass");

	sc_quiet_begin(&q, 11);
	sc_quiet_taint(&q);
	sc_quiet_end(&q);
	CHECK(!sc_quiet_skip(&q, 11), "a tainted pass: no skip");

	sc_quiet_begin(&q, 11);
	sc_quiet_end(&q);
	CHECK(!sc_quiet_skip(&q, 12), "an event during the pass: no skip");

	sc_quiet_begin(&q, 12);
	sc_quiet_end(&q);
	CHECK(sc_quiet_skip(&q, 12), "clean again");
	sc_quiet_begin(&q, 12);
	CHECK(!sc_quiet_skip(&q, 12), "a new pass forgets the last one");
}

/* Whether every mark of a pass was noted with its group (focus.h). */
static void test_noted(void)
{
	struct sc_quiet q = { 0 };
	u64 m0;

	sc_quiet_begin(&q, 1);
	CHECK(sc_quiet_all_noted(&q), "a pass that met nothing: all noted");
	m0 = q.marks;
	sc_quiet_taint(&q);
	sc_quiet_refused(&q);
	CHECK(!sc_quiet_all_noted(&q), "two marks, none noted");
	sc_quiet_noted(&q, q.marks - m0);
	CHECK(sc_quiet_all_noted(&q), "both noted with their group");
	sc_quiet_end(&q);
	CHECK(!sc_quiet_skip(&q, 1), "a taint noted is still a taint");

	sc_quiet_begin(&q, 1);
	sc_quiet_refused(&q);
	sc_quiet_end(&q);
	CHECK(sc_quiet_skip(&q, 1), "a refusal alone leaves the pass quiet");
	CHECK(!sc_quiet_all_noted(&q), "but unnoted, no focused pass");

	sc_quiet_begin(&q, 2);
	CHECK(sc_quiet_all_noted(&q), "a new pass starts with nothing to note");
	sc_quiet_taint(&q);	/* a whole file's: no group to note */
	m0 = q.marks;
	sc_quiet_taint(&q);
	sc_quiet_noted(&q, q.marks - m0);
	CHECK(!sc_quiet_all_noted(&q), "one of two noted");
}

int main(void)
{
	test_line();
	test_stamp_and_keys();
	test_model();
	test_cyclic();
	test_cyclic_aged();
	test_sized();
	test_targets();
	test_layout();
	test_stale();
	test_last_pass();
	test_quiet();
	test_noted();
	return sc_test_summary("memo");
}
