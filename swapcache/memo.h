/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the scanning thread remembers so that it does not redo work it has
 * done: the block mapping of the page groups it has looked at (the group
 * memo), and whether its last pass found anything at all to do (the quiet
 * pass).  Pure logic, shared with tests/unit/; scan.c feeds it.
 *
 * The group memo.  Asking a filesystem where a page lives (bmap()) is the
 * thread's dearest step, and a pass over a file that is already cached
 * used to ask it for every resident page before the map could say "cached,
 * skip".  The memo keeps, per 16-page group, the device sector each page's
 * block starts at, as far as the group's pages lie in one straight line
 * (page i at base + 8 * i, the shape of every extent), stamped with the
 * inode's change state (its ctime, mtime and size, read by the caller).
 * It only ever answers "where does this page live": whether that block is
 * cached is asked of the map afresh on every visit, so a block the map
 * loses (eviction, invalidation, a write) makes its page a candidate again
 * at once, and nothing here needs to hear of it.  Never-stale does not rest
 * on the memo: a candidate is copied only after its write guards are
 * sampled for the memo's block, and entered only if bmap() run after the
 * copy names that same block (scan.c).  A memo that is wrong can only
 * make the thread pass over a page it could have cached: the sector it
 * gives names a block the map holds, and the page counts as cached (or its
 * whole group is passed over from the map alone, sc_group_cached()), or a
 * block the map does not hold, and the page is a candidate whose copy is
 * dropped when that bmap() names another block (sc_group_copy()).
 *
 * Keys are hashed, never followed: the superblock and inode pointers, the
 * inode number and generation, the group's index and the stamp go into
 * one 64-bit hash, of which some bits pick the set and 40 others are kept
 * in the entry to tell the set's groups apart.  A freed inode whose memory
 * or number is reused, and a file that changed, hash elsewhere (the stamp,
 * taken only of inodes last changed before the current second, scan.c,
 * differs for a reused inode too).  Two groups whose hashes agree in those
 * bits (about one lookup in 2^40 / SC_MEMO_WAYS of a group the memo does
 * not hold) share an entry: that is a wrong memo, and costs no more than
 * one (above), but it may cost it for good.  The other group's line then
 * answers for this one at every visit: where it names blocks the map
 * holds, this group's pages count as cached, are never taken, and taint
 * nothing, so the pass may still count as quiet.  That hides the group
 * until its file changes (its stamp hashes elsewhere), the shared entry
 * goes (its set gives it up, or it is left with no page), or those
 * blocks leave the map (its pages are candidates again, their copies are
 * dropped by the bmap() after the copy, which makes the memo forget them,
 * and the next pass asks bmap()).  Never-stale holds throughout: nothing enters the
 * map but what that bmap() names.  An entry of a file that changed is
 * not found again and is among the first to go once unused for a whole
 * pass.
 *
 * The table.  A full pass over more groups than the memo holds used to
 * forget each before coming back to it (a cyclic walk through a
 * round-robin cache), so every full pass asked bmap() of every page of
 * a large cache.  So the table is sized from the last full pass.  Each
 * target has a memo of its own (struct sc_target): a pass's end ages the
 * entries and sizes the table of its target's memo only, or a small target
 * ending a pass every tick would age a large one's entries many times in
 * one of its passes, and shrink its table.  A target's memo starts at
 * 2^SC_MEMO_MIN_SET_BITS sets when the target is made and, at the end of
 * each of its full passes, sc_memo_pass_end() asks for the smallest table
 * with an entry for each group the pass met, up to 2^SC_MEMO_MAX_SET_BITS
 * sets.  The thread allocates it when done with the target for the tick,
 * in process context, the target held and no lock, and keeps the table it
 * has when it cannot (never by the OOM killer); the table goes with the
 * target (scan.c).  A smaller one is taken only once a quarter of the
 * table would do, so that a cache whose size wavers does not flap, each
 * new table starting empty.  Filled to between half and all of its entries, the table finds
 * 98% to 81% of a pass's groups (92% at 100,000 groups: 3/4 full).
 * Entries are 16 bytes, SC_MEMO_WAYS to a set, plus a byte a set: 16 to
 * 32 bytes per group the last full pass met when the table grew to it,
 * up to 65 while the cache shrinks; that is 1 to 4 bytes a page for
 * whole 16-page groups, but 16 to 65 a page for one-page files, whose
 * groups hold a page each.  Never less than 64 KiB and 512 bytes (4,096
 * groups) nor more than 4 MiB and 32 KiB (262,144 groups) per target;
 * while a table is replaced the old one is held too, for a moment: at most
 * 6 MiB and 48 KiB, from 2 MiB to 4 MiB.
 *
 * Within a set, a group with no entry takes an unused one, else one not
 * used during this pass nor the last (a group gone or changed), else the
 * one taken last in that set.  Each pass the walk comes back to a set's
 * groups in the same order, and the group taken last is the one it will
 * need again last: keeping the others, a set with more groups than ways
 * still hits on SC_MEMO_WAYS - 1 of them a pass, where a round-robin
 * victim hit on none.  Only the thread uses a memo: no locking.
 *
 * The quiet pass.  With hysteresis=0 a new pass starts on every tick, and
 * a pass over 100,000 cached files costs a pass's worth of CPU however
 * little has changed.  A page can only become worth caching through an
 * event the target sees or the thread is told of: it is read from the
 * origin (a read miss), it or its block is written (a write reaches the
 * origin, also when a dirty page is cleaned), its block leaves the map
 * (an eviction or an invalidation), or a parameter changes.  So a pass
 * that found nothing it could or might later take, in which none of those
 * happened, is followed by no new pass until one of them does.  A pass is
 * tainted (not quiet) by anything it passed over that may change without
 * such an event: a page or file in flight (short of a page whose block
 * the map holds, which the walk may pass over without looking at its
 * folio: there is nothing to take in it, however it settles), an uncached
 * page waiting to age, a cluster it gave up on, or a page it took.
 */
#ifndef SWAPCACHE_MEMO_H
#define SWAPCACHE_MEMO_H

#include <linux/types.h>

#define SC_MEMO_GROUP		16	/* pages per group: SC_SLAB_SIZE */
#define SC_MEMO_STEP		8	/* sectors per 4 KiB page */
#define SC_MEMO_WAYS		8	/* 128 bytes: two cache lines a set */
#define SC_MEMO_NONE		(~0ULL)
/* A target's table's bounds (memo.h's top): 4,096 and 262,144 groups. */
#define SC_MEMO_MIN_SET_BITS	9
#define SC_MEMO_MAX_SET_BITS	15

/**
 * struct sc_memo_key - which group of which file
 * @sb: the file's superblock (hashed, never followed)
 * @inode: the file's inode (hashed, never followed)
 * @ino: its inode number
 * @gen: its generation
 * @group: the group's first page index divided by SC_MEMO_GROUP
 */
struct sc_memo_key {
	const void *sb;
	const void *inode;
	u64 ino;
	u64 group;
	u32 gen;
};

/**
 * struct sc_memo_entry - one remembered group
 * @base: the sector of page 0's block, were the line to reach it
 * @check: 40 bits of the hash of the group's key and stamp
 * @epoch: the memo's epoch (full passes, modulo 256) when last used
 * @mask: the pages known to be at base + SC_MEMO_STEP * i; 0: unused
 */
struct sc_memo_entry {
	u64 base;
	u64 check : 40;
	u64 epoch : 8;
	u64 mask : 16;
};

/**
 * struct sc_memo_pass - what the memo saw since the last full pass ended
 * @lookups: sc_memo_find() calls
 * @found: of those, the ones that found the group's entry
 * @claimed: entries given to a group that had none
 * @met: groups whose entry was found or claimed, each once
 */
struct sc_memo_pass {
	u64 lookups;
	u64 found;
	u64 claimed;
	u64 met;
};

/**
 * struct sc_memo - the table
 * @entries: nr_sets * SC_MEMO_WAYS entries, zeroed
 * @last: per set, the way taken last; nr_sets bytes, zeroed
 * @set_bits: log2 of the number of sets
 * @epoch: full passes ended, modulo 256
 * @pass: what the memo saw since the last full pass ended
 */
struct sc_memo {
	struct sc_memo_entry *entries;
	u8 *last;
	unsigned int set_bits;
	u8 epoch;
	struct sc_memo_pass pass;
};

void sc_memo_init(struct sc_memo *m, struct sc_memo_entry *entries,
		  u8 *last, unsigned int set_bits);
unsigned int sc_memo_pass_end(struct sc_memo *m, struct sc_memo_pass *seen);
struct sc_memo_entry *sc_memo_find(struct sc_memo *m,
				   const struct sc_memo_key *k, u64 stamp);
struct sc_memo_entry *sc_memo_claim(struct sc_memo *m,
				    const struct sc_memo_key *k, u64 stamp);
u64 sc_memo_get(const struct sc_memo_entry *e, unsigned int i);
void sc_memo_set(struct sc_memo_entry *e, unsigned int i, u64 sector);
void sc_memo_forget(struct sc_memo_entry *e, unsigned int i);

/**
 * struct sc_quiet - whether the thread may skip its next pass
 * @events: the target's event count when the pass began
 * @marks: taints and refusals met by the pass (sc_quiet_taint(),
 *	sc_quiet_refused())
 * @noted: of @marks, those the walk noted with their group (focus.h)
 * @clean: the pass has found nothing it could or might later take
 * @quiet: the last pass ended clean; no new pass until @events moves
 */
struct sc_quiet {
	u64 events;
	u64 marks;
	u64 noted;
	bool clean;
	bool quiet;
};

void sc_quiet_begin(struct sc_quiet *q, u64 events);
void sc_quiet_taint(struct sc_quiet *q);
void sc_quiet_refused(struct sc_quiet *q);
void sc_quiet_noted(struct sc_quiet *q, u64 marks);
bool sc_quiet_all_noted(const struct sc_quiet *q);
void sc_quiet_end(struct sc_quiet *q);
bool sc_quiet_skip(struct sc_quiet *q, u64 events);

#endif /* SWAPCACHE_MEMO_H */
