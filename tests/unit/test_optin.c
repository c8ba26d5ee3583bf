// SPDX-License-Identifier: GPL-2.0
/*
 * The opt-in's directory verdicts (swapcache/optin.h): a verdict serves
 * only the walk it was read in and only the directory as it was then (the
 * same inode, number, generation and ctime); one read while the ctime was
 * in the current second is not kept; two directories sharing a set are
 * both kept, a third replaces the one used longest ago, and none is ever
 * taken for another; sets do not overlap; the epoch's wrap forgets.
 */
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include <linux/limits.h>

#include "optin.h"

static struct sc_dirs dirs;

static struct sc_dir_key dir(u64 ino)
{
	struct sc_dir_key k = {
		.inode = 0xffff888000000000UL + ino * 0x400,
		.ino = ino,
		.generation = (u32)(ino * 2654435761U),
		.ctime_sec = 1000 + ino,
		.ctime_nsec = 500,
	};

	return k;
}

#define NOW 100000

static void test_walk(void)
{
	struct sc_dir_key k = dir(12), other;
	u32 flags = 0xdead;

	memset(&dirs, 0, sizeof(dirs));
	CHECK(!sc_dirs_find(&dirs, &k, &flags),
	      "nothing before the first walk (a zeroed slot is no verdict)");
	sc_dirs_remember(&dirs, &k, SC_DIR_OPT_IN, NOW);
	CHECK(!sc_dirs_find(&dirs, &k, &flags),
	      "nothing kept outside a walk");

	sc_dirs_forget(&dirs);
	CHECK(!sc_dirs_find(&dirs, &k, &flags), "an empty walk");
	sc_dirs_remember(&dirs, &k, SC_DIR_OPT_IN, NOW);
	CHECK(sc_dirs_find(&dirs, &k, &flags) && flags == SC_DIR_OPT_IN,
	      "found in its walk: %u", flags);

	other = k;
	other.ctime_nsec++;
	CHECK(!sc_dirs_find(&dirs, &other, &flags),
	      "an attribute changed (the ctime moved by a nanosecond)");
	other = k;
	other.ctime_sec++;
	CHECK(!sc_dirs_find(&dirs, &other, &flags), "the ctime moved a second");
	other = k;
	other.generation++;
	CHECK(!sc_dirs_find(&dirs, &other, &flags),
	      "another directory at the same address and number");
	/*
	 * Another address, or another number, in the same slot: a key that
	 * hashed elsewhere would be missed whatever the comparison says.
	 */
	other = k;
	do
		other.inode += 0x400;
	while (sc_dirs_set(&dirs, &other) != sc_dirs_set(&dirs, &k));
	CHECK(!sc_dirs_find(&dirs, &other, &flags), "another address");
	other = k;
	do
		other.ino += 1ULL << 40;
	while (sc_dirs_set(&dirs, &other) != sc_dirs_set(&dirs, &k));
	CHECK(!sc_dirs_find(&dirs, &other, &flags), "another number");

	sc_dirs_forget(&dirs);
	CHECK(!sc_dirs_find(&dirs, &k, &flags), "forgotten by the next walk");
}

static void test_current_second(void)
{
	struct sc_dir_key k = dir(7);
	u32 flags;

	sc_dirs_forget(&dirs);
	sc_dirs_remember(&dirs, &k, SC_DIR_VETO, k.ctime_sec);
	CHECK(!sc_dirs_find(&dirs, &k, &flags),
	      "a ctime in the current second is not kept");
	sc_dirs_remember(&dirs, &k, SC_DIR_VETO, k.ctime_sec - 5);
	CHECK(!sc_dirs_find(&dirs, &k, &flags),
	      "nor one ahead of the clock");
	sc_dirs_remember(&dirs, &k, SC_DIR_VETO, k.ctime_sec + 1);
	CHECK(sc_dirs_find(&dirs, &k, &flags) && flags == SC_DIR_VETO,
	      "one from the second before is");
}

/*
 * Many directories, more than the slots: whatever is found is what was
 * last remembered for exactly that directory, against a model that keeps
 * them all; and most of a small set stays found.
 */
static void test_collisions(void)
{
	static u32 model[128];
	unsigned int i, found = 0, wrong = 0, seed = 1;
	struct sc_dir_key k;
	u32 flags;

	sc_dirs_forget(&dirs);
	for (i = 0; i < 20000; i++) {
		u64 ino = (seed = seed * 1103515245U + 12345U) % 128;

		k = dir(ino);
		if (sc_dirs_find(&dirs, &k, &flags)) {
			found++;
			if (flags != model[ino])
				wrong++;
			continue;
		}
		model[ino] = (seed >> 16) % 3;
		sc_dirs_remember(&dirs, &k, model[ino], NOW);
	}
	CHECK(wrong == 0, "%u verdicts of another directory", wrong);
	CHECK(found > 0 && found < 20000, "some found, some missed: %u", found);

	sc_dirs_forget(&dirs);
	for (i = 0; i < 8; i++) {
		k = dir(i);
		sc_dirs_remember(&dirs, &k, SC_DIR_OPT_IN, NOW);
	}
	for (i = 0, found = 0; i < 8; i++) {
		k = dir(i);
		found += sc_dirs_find(&dirs, &k, &flags);
	}
	CHECK(found >= 6, "8 directories, %u of them found", found);
}

/* A directory whose key lands in the same set as @k's, other than @k. */
static struct sc_dir_key same_set(const struct sc_dir_key *k, u64 from)
{
	struct sc_dir_key other;

	do
		other = dir(from++);
	while (sc_dirs_set(&dirs, &other) != sc_dirs_set(&dirs, k) ||
	       other.ino == k->ino);
	return other;
}

/*
 * Two directories of one set are both kept, whatever the order they are
 * used in; a third takes the place of the one used longest ago; a
 * directory's newer verdict (its ctime moved) takes the place of its own
 * older one, not of the other directory's.
 */
static void test_ways(void)
{
	struct sc_dir_key a = dir(5), b = same_set(&a, 6), c, a2;
	unsigned int i;
	u32 flags;

	c = same_set(&a, b.ino + 1);
	sc_dirs_forget(&dirs);
	sc_dirs_remember(&dirs, &a, SC_DIR_OPT_IN, NOW);
	sc_dirs_remember(&dirs, &b, SC_DIR_VETO, NOW);
	for (i = 0; i < 4; i++) {
		const struct sc_dir_key *k = i % 2 ? &a : &b;

		CHECK(sc_dirs_find(&dirs, k, &flags) &&
		      flags == (k == &a ? SC_DIR_OPT_IN : SC_DIR_VETO),
		      "two directories of one set, both found (%u)", i);
	}
	/* a was found last: c takes b's place. */
	sc_dirs_remember(&dirs, &c, 0, NOW);
	CHECK(sc_dirs_find(&dirs, &a, &flags), "the one used last stays");
	CHECK(!sc_dirs_find(&dirs, &b, &flags), "the one used longest ago goes");
	CHECK(sc_dirs_find(&dirs, &c, &flags) && flags == 0, "the new one");

	/* c, then a, were found last; a's ctime moves: a's place, not c's. */
	CHECK(sc_dirs_find(&dirs, &a, &flags), "a again");
	a2 = a;
	a2.ctime_sec--;
	CHECK(!sc_dirs_find(&dirs, &a2, &flags), "a's ctime moved");
	sc_dirs_remember(&dirs, &a2, SC_DIR_VETO, NOW);
	CHECK(sc_dirs_find(&dirs, &c, &flags), "c kept beside a's new verdict");
	CHECK(sc_dirs_find(&dirs, &a2, &flags) && flags == SC_DIR_VETO,
	      "a's new verdict");
	CHECK(!sc_dirs_find(&dirs, &a, &flags), "a's old verdict is gone");
}

/*
 * Every set holds SC_DIRS_WAYS directories of its own: as many
 * directories as slots, that many to a set, are all found.  Sets that
 * overlapped (a set's index not scaled by the ways) would lose some.
 */
static void test_sets_apart(void)
{
	static struct sc_dir_key keys[SC_DIRS];
	static unsigned int per_set[SC_DIRS];
	unsigned int n = 0, i, found = 0, right = 0;
	u64 ino;
	u32 flags;

	for (ino = 0; n < SC_DIRS && ino < 1000000; ino++) {
		struct sc_dir_key k = dir(ino);
		unsigned int s = sc_dirs_set(&dirs, &k) - dirs.slot;

		if (per_set[s] < SC_DIRS_WAYS) {
			per_set[s]++;
			keys[n++] = k;
		}
	}
	CHECK(n == SC_DIRS, "%u directories, %u to a set", n, SC_DIRS_WAYS);
	sc_dirs_forget(&dirs);
	for (i = 0; i < n; i++)
		sc_dirs_remember(&dirs, &keys[i], i % 3, NOW);
	for (i = 0; i < n; i++) {
		if (!sc_dirs_find(&dirs, &keys[i], &flags))
			continue;
		found++;
		right += flags == i % 3;
	}
	CHECK(found == n && right == n, "%u of %u found, %u right", found, n,
	      right);
}

static void test_wrap(void)
{
	struct sc_dir_key k = dir(3);
	u32 flags;

	dirs.epoch = U32_MAX - 1;
	sc_dirs_forget(&dirs);
	sc_dirs_remember(&dirs, &k, SC_DIR_OPT_IN, NOW);
	CHECK(dirs.epoch == U32_MAX && sc_dirs_find(&dirs, &k, &flags),
	      "the last epoch before the wrap works");
	sc_dirs_forget(&dirs);
	CHECK(dirs.epoch == 1, "the wrap starts again at 1: %u", dirs.epoch);
	CHECK(!sc_dirs_find(&dirs, &k, &flags), "and forgets");
	sc_dirs_remember(&dirs, &k, SC_DIR_VETO, NOW);
	CHECK(sc_dirs_find(&dirs, &k, &flags) && flags == SC_DIR_VETO,
	      "and works");
	dirs.epoch = U32_MAX;
	dirs.slot[0].epoch = 1;
	sc_dirs_forget(&dirs);
	CHECK(dirs.slot[0].epoch == 0, "no verdict of an old walk 1 survives");
}

int main(void)
{
	test_walk();
	test_current_second();
	test_collisions();
	test_ways();
	test_sets_apart();
	test_wrap();
	return sc_test_summary("optin");
}
