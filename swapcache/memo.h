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
 * make the thread pass over a page it could have cached.
 *
 * Keys are compared, never followed: the superblock and inode pointers, the
 * inode number and generation, and the group's index, so that a freed
 * inode whose memory or number is reused does not match; the stamp, taken
 * only of inodes last changed before the current second (scan.c), makes
 * that doubly sure and drops the memo of a file written since.  The table
 * is fixed (allocated once, by the thread, never under a lock of the map's)
 * and set-associative: SC_MEMO_WAYS entries per set, a round-robin victim.
 * Only the thread uses it: no locking.
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
#define SC_MEMO_WAYS		4
#define SC_MEMO_NONE		(~0ULL)

/**
 * struct sc_memo_key - which group of which file
 * @sb: the file's superblock (compared, never followed)
 * @inode: the file's inode (compared, never followed)
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
 * @key: which group
 * @stamp: the file's change state when the mapping was learnt
 * @base: the sector of page 0's block, were the line to reach it
 * @mask: the pages known to be at base + SC_MEMO_STEP * i; 0: unused
 */
struct sc_memo_entry {
	struct sc_memo_key key;
	u64 stamp;
	u64 base;
	u16 mask;
};

/**
 * struct sc_memo - the table
 * @entries: nr_sets * SC_MEMO_WAYS entries, zeroed
 * @victim: per set, the way to take next; nr_sets bytes, zeroed
 * @set_bits: log2 of the number of sets
 */
struct sc_memo {
	struct sc_memo_entry *entries;
	u8 *victim;
	unsigned int set_bits;
};

void sc_memo_init(struct sc_memo *m, struct sc_memo_entry *entries,
		  u8 *victim, unsigned int set_bits);
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
