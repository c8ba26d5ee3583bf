/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The opt-in's directory verdicts: what a directory's own attributes say
 * (a veto, an opt-in, or neither), remembered for one walk of a target's
 * filesystem.  Pure logic, shared with tests/unit/; optin.c reads the
 * attributes and walks the directories.
 *
 * Why.  A file's data is cached when user.swapcache=1 is on it or on a
 * directory above it, and trusted.noswapcache=1 on none of them
 * (SPEC.md), so judging a file read up to two attributes at every level
 * up to the filesystem's root.  A full pass over 30,000 one-page files
 * two directories below the root read seven a file, and that was 47% of
 * the pass's CPU time (214 of 455 ms measured under TCG, 6.1).  Files
 * share their directories: a directory's verdict, once read, serves every
 * file below it that the walk meets next.
 *
 * Never stale for longer than a walk: the thread forgets every verdict as
 * it starts walking a target's filesystem (sc_dirs_forget()), so that a
 * directory's attribute set or removed is seen by the next tick's walk at
 * the latest, as a change racing the file's own check could always be
 * missed by one walk.  Within a walk a verdict serves only the same inode
 * (its address, number and generation) with the same change time:
 * setting or removing an attribute sets the ctime (ext4, XFS and btrfs
 * do; HFS+ does not, and a GFS2 or OCFS2 inode's ctime is only brought up
 * to date with the cluster lock, which a remembered verdict does not
 * take: there a change waits for the next walk), so a change within the
 * walk is seen at once, except when the ctime was already in the current
 * second when the verdict was read: a coarse clock can give two changes
 * one ctime, and such a verdict is not remembered (as the group memo does
 * with a file's stamp).  Nor is one whose attributes could not be read.
 */
#ifndef SWAPCACHE_OPTIN_H
#define SWAPCACHE_OPTIN_H

#include <linux/hash.h>
#include <linux/string.h>
#include <linux/types.h>

/* A directory's own attributes. */
#define SC_DIR_VETO	0x1	/* trusted.noswapcache=1 */
#define SC_DIR_OPT_IN	0x2	/* user.swapcache=1 */

/*
 * Verdicts remembered: a walk meets a few directories at a time, those
 * above the files it is at.  In sets of two, so that two of them sharing
 * a set are both kept: direct-mapped, two directories above one file
 * sharing a slot (some 2% of filesystems at 256 slots) were both read
 * again for every file in every walk.  Three of the directories above
 * one file (its root included) can still fall in one set, and are then
 * read again for every file below them: odds of about 1 in 16,000 for
 * three directories, 1 in 4,000 for four, 1 in 1,700 for five.
 */
#define SC_DIRS_SET_SHIFT	7
#define SC_DIRS_WAYS		2
#define SC_DIRS			(SC_DIRS_WAYS << SC_DIRS_SET_SHIFT)

/**
 * struct sc_dir_key - which directory, as it was
 * @inode: its address; once the walk lets go of the directory another
 *	inode may take it, which the rest of the key tells apart
 * @ino: its number
 * @generation: its generation, so that a directory removed and another
 *	created at the same address and number is not mistaken for it
 * @ctime_sec: its change time's seconds
 * @ctime_nsec: and nanoseconds
 */
struct sc_dir_key {
	unsigned long inode;
	u64 ino;
	u32 generation;
	u32 ctime_nsec;
	s64 ctime_sec;
};

/**
 * struct sc_dir_verdict - one remembered directory
 * @key: the directory
 * @epoch: the walk it was read in, 0 for none
 * @flags: SC_DIR_VETO and SC_DIR_OPT_IN
 */
struct sc_dir_verdict {
	struct sc_dir_key key;
	u32 epoch;
	u32 flags;
};

/**
 * struct sc_dirs - the directories remembered in the current walk
 * @epoch: the current walk's number, 1 or more once a walk has begun
 * @slot: the verdicts, in sets of SC_DIRS_WAYS by a hash of the
 *	directory, the one found or kept last first in its set
 */
struct sc_dirs {
	u32 epoch;
	struct sc_dir_verdict slot[SC_DIRS];
};

static inline struct sc_dir_verdict *sc_dirs_set(struct sc_dirs *dirs,
						 const struct sc_dir_key *key)
{
	return &dirs->slot[SC_DIRS_WAYS *
			   hash_64(key->ino ^ key->inode, SC_DIRS_SET_SHIFT)];
}

static inline bool sc_dir_key_equal(const struct sc_dir_key *a,
				    const struct sc_dir_key *b)
{
	return a->inode == b->inode && a->ino == b->ino &&
	       a->generation == b->generation &&
	       a->ctime_sec == b->ctime_sec && a->ctime_nsec == b->ctime_nsec;
}

/**
 * sc_dirs_forget() - begin a walk: no verdict from before it counts
 * @dirs: the verdicts
 *
 * O(1) but once in 2^32 walks, when the epoch wraps.
 */
static inline void sc_dirs_forget(struct sc_dirs *dirs)
{
	if (++dirs->epoch)
		return;
	memset(dirs->slot, 0, sizeof(dirs->slot));
	dirs->epoch = 1;
}

/**
 * sc_dirs_find() - a verdict of this walk for a directory
 * @dirs: the verdicts
 * @key: the directory, with its ctime now
 * @flags: the verdict, when found
 *
 * Return: true when found.
 */
static inline bool sc_dirs_find(struct sc_dirs *dirs,
				const struct sc_dir_key *key, u32 *flags)
{
	struct sc_dir_verdict *set = sc_dirs_set(dirs, key), found;
	unsigned int way;

	if (!dirs->epoch)
		return false;
	for (way = 0; way < SC_DIRS_WAYS; way++) {
		if (set[way].epoch != dirs->epoch ||
		    !sc_dir_key_equal(&set[way].key, key))
			continue;
		found = set[way];
		memmove(&set[1], &set[0], way * sizeof(*set));
		set[0] = found;
		*flags = found.flags;
		return true;
	}
	return false;
}

/**
 * sc_dirs_remember() - keep a directory's verdict for the rest of the walk
 * @dirs: the verdicts
 * @key: the directory, with the ctime read before its attributes were
 * @flags: what its attributes said
 * @now_sec: the current time's seconds, read before the ctime was
 *
 * A verdict whose ctime is in the current second (or later: a clock set
 * back) is not kept.  One kept goes first in its set, in place of the
 * same directory's older one if the set has it, else of the one found or
 * kept longest ago.
 */
static inline void sc_dirs_remember(struct sc_dirs *dirs,
				    const struct sc_dir_key *key, u32 flags,
				    s64 now_sec)
{
	struct sc_dir_verdict *set = sc_dirs_set(dirs, key);
	unsigned int way;

	if (!dirs->epoch || key->ctime_sec >= now_sec)
		return;
	for (way = 0; way < SC_DIRS_WAYS - 1; way++)
		if (set[way].key.inode == key->inode)
			break;
	memmove(&set[1], &set[0], way * sizeof(*set));
	set[0].key = *key;
	set[0].epoch = dirs->epoch;
	set[0].flags = flags;
}

#endif /* SWAPCACHE_OPTIN_H */
