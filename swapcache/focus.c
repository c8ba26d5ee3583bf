// SPDX-License-Identifier: GPL-2.0
/*
 * The set of groups a focused pass looks at: the argument is at the top of
 * focus.h.  Pure logic: no locks, no allocation, no kernel-only calls
 * (tests/unit/test_focus.c runs it).
 */
#include <linux/sort.h>

#include "focus.h"

/**
 * sc_focus_reset() - empty a set
 * @f: the set
 *
 * Any context.
 */
void sc_focus_reset(struct sc_focus *f)
{
	f->nr = 0;
	f->overflow = false;
	f->sorted = true;
}

/**
 * sc_focus_add() - note a group
 * @f: the set
 * @mapping: the file's address_space, or anything that identifies it
 * @group: the group
 *
 * A repeat of the last group noted is not noted again (a read's pages come
 * in order); other repeats stay until sc_focus_sort().  A group that does
 * not fit sets @f->overflow.  Any context; the caller serialises.
 */
void sc_focus_add(struct sc_focus *f, const void *mapping, u64 group)
{
	struct sc_focus_group *last = f->nr ? &f->g[f->nr - 1] : NULL;

	if (last && last->mapping == mapping && last->group == group)
		return;
	if (f->nr == SC_FOCUS_MAX) {
		f->overflow = true;
		return;
	}
	f->g[f->nr].mapping = mapping;
	f->g[f->nr].group = group;
	f->nr++;
	f->sorted = false;
}

/**
 * sc_focus_merge() - add a set's groups, and its overflow, to another
 * @dst: the set added to
 * @src: the set added
 *
 * Any context; the caller serialises.
 */
void sc_focus_merge(struct sc_focus *dst, const struct sc_focus *src)
{
	u32 i;

	for (i = 0; i < src->nr; i++)
		sc_focus_add(dst, src->g[i].mapping, src->g[i].group);
	if (src->overflow)
		dst->overflow = true;
}

static int sc_focus_cmp(const void *a, const void *b)
{
	const struct sc_focus_group *x = a, *y = b;

	if (x->mapping != y->mapping)
		return (unsigned long)x->mapping < (unsigned long)y->mapping ?
		       -1 : 1;
	if (x->group != y->group)
		return x->group < y->group ? -1 : 1;
	return 0;
}

/**
 * sc_focus_sort() - sort a set by mapping then group, and drop repeats
 * @f: the set
 *
 * Any context that may take O(n log n) steps of a few compares.
 */
void sc_focus_sort(struct sc_focus *f)
{
	u32 i, n = 0;

	if (f->sorted)
		return;
	sort(f->g, f->nr, sizeof(f->g[0]), sc_focus_cmp, NULL);
	for (i = 0; i < f->nr; i++)
		if (!n || sc_focus_cmp(&f->g[n - 1], &f->g[i]))
			f->g[n++] = f->g[i];
	f->nr = n;
	f->sorted = true;
}

/**
 * sc_focus_find() - the groups of one mapping in a sorted set
 * @f: the set, sorted (sc_focus_sort())
 * @mapping: the mapping
 * @first: set to the index of its first group in @f->g
 *
 * Any context.
 *
 * Return: how many groups of @mapping @f holds, from @first on, in
 * increasing order.
 */
u32 sc_focus_find(const struct sc_focus *f, const void *mapping, u32 *first)
{
	u32 lo = 0, hi = f->nr, end;

	while (lo < hi) {
		u32 mid = lo + (hi - lo) / 2;

		if ((unsigned long)f->g[mid].mapping < (unsigned long)mapping)
			lo = mid + 1;
		else
			hi = mid;
	}
	*first = lo;
	for (end = lo; end < f->nr && f->g[end].mapping == mapping; end++)
		;
	return end - lo;
}
