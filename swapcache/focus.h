/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The focus: which groups of which files a pass must look at, when it
 * need not look at them all.  Pure logic, shared with tests/unit/; scan.c
 * and path.c feed it.
 *
 * Why.  A pass over files that are cached already finds nothing to do,
 * yet with hysteresis=0 and a reader missing somewhere, the quiet pass
 * (memo.h) never holds, and every tick walked every resident page of
 * every opted-in file: a cost that grows with what is cached, paid ten
 * times a second, to find the few pages that came in since the last tick.
 *
 * What can make a page worth taking is an event (memo.h): a read miss, a
 * write to the origin, an eviction, an invalidation, a parameter write;
 * or something the last pass saw and could not settle (a page in flight
 * or waiting to age, a page refused today that may be taken later).  Of
 * the events only a read miss brings a page into the page cache of a
 * file, and the page it fills is in the read's own bio, locked there by
 * the reader and not uptodate until the read completes: its mapping and
 * index are stable and name the group.  So the read path notes (mapping,
 * group) for every page a missed read fills (sc_focus_add()), and each
 * group the walk could not settle is noted too.  A pass after one that left nothing unnoted,
 * with no other kind of event since it began and no note lost, need look
 * at those groups alone: that is a focused pass.  Any doubt (a note that
 * did not fit, a read too long to name its pages, a taint of a whole
 * opted-in file or of the walk itself, a write, an eviction, a parameter,
 * a focused pass cut short by time) makes the next pass a full one, as
 * before; so does every SC_FOCUS_FULL_EVERY-th pass, so that what changes
 * without any event at all (a file opted in) is seen within that many
 * passes.  A focused pass cut short by its budget notes all its groups
 * for the next, which follows at the next tick.
 *
 * A mapping is only ever compared with the i_mapping of an inode the walk
 * holds, never followed: by the time the thread reads a note the file may
 * be gone, its memory reused.  A note of a file that is not opted in (a
 * backup's reads) costs a place in the set and a compare; one naming a
 * group that needs nothing costs a visit.  What a focused pass takes goes
 * through the same checks as any other: never-stale does not depend on
 * the focus.
 */
#ifndef SWAPCACHE_FOCUS_H
#define SWAPCACHE_FOCUS_H

#include <linux/types.h>

/* Groups one set holds; more and it overflows (the next pass is full). */
#define SC_FOCUS_MAX		1024

/* A full pass at least every so many passes. */
#define SC_FOCUS_FULL_EVERY	16

/**
 * struct sc_focus_group - one group of one file
 * @mapping: the file's address_space (compared, never followed)
 * @group: the group's first page index divided by 16
 */
struct sc_focus_group {
	const void *mapping;
	u64 group;
};

/**
 * struct sc_focus - a set of groups
 * @nr: groups in @g
 * @overflow: a group did not fit, or a read could not be named
 * @sorted: @g is sorted and free of repeats (sc_focus_sort())
 * @g: the groups
 */
struct sc_focus {
	u32 nr;
	bool overflow;
	bool sorted;
	struct sc_focus_group g[SC_FOCUS_MAX];
};

void sc_focus_reset(struct sc_focus *f);
void sc_focus_add(struct sc_focus *f, const void *mapping, u64 group);
void sc_focus_merge(struct sc_focus *dst, const struct sc_focus *src);
void sc_focus_sort(struct sc_focus *f);
u32 sc_focus_find(const struct sc_focus *f, const void *mapping, u32 *first);

#endif /* SWAPCACHE_FOCUS_H */
