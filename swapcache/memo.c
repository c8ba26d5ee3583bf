// SPDX-License-Identifier: GPL-2.0
/*
 * The scanning thread's memory of group mappings and of its last pass:
 * the argument is at the top of memo.h.  Pure logic: no locks, no
 * allocation, no kernel-only calls (tests/unit/test_memo.c runs it).
 */
#include <linux/hash.h>

#include "memo.h"

/**
 * sc_memo_init() - make an empty memo over caller-provided memory
 * @m: the memo
 * @entries: (1 << @set_bits) * SC_MEMO_WAYS entries, zeroed
 * @victim: 1 << @set_bits bytes, zeroed
 * @set_bits: log2 of the number of sets, 1 to 31
 *
 * Any context.
 */
void sc_memo_init(struct sc_memo *m, struct sc_memo_entry *entries,
		  u8 *victim, unsigned int set_bits)
{
	m->entries = entries;
	m->victim = victim;
	m->set_bits = set_bits;
}

static bool sc_memo_key_eq(const struct sc_memo_key *a,
			   const struct sc_memo_key *b)
{
	return a->inode == b->inode && a->group == b->group &&
	       a->ino == b->ino && a->gen == b->gen && a->sb == b->sb;
}

static u32 sc_memo_set_of(const struct sc_memo *m, const struct sc_memo_key *k)
{
	u64 h = (u64)(unsigned long)k->inode ^ (k->ino << 17) ^
		(k->group * 0x9E3779B97F4A7C15ULL);

	return hash_64(h, m->set_bits);
}

/**
 * sc_memo_find() - the entry of a group, if the memo has it
 * @m: the memo
 * @k: the group
 * @stamp: the file's change state now
 *
 * An entry of the group learnt at another change state is emptied (its
 * mask cleared, @stamp taken): the file changed, what it knew may be
 * wrong.  Any context.
 *
 * Return: the group's entry (possibly empty), or NULL when it has none.
 */
struct sc_memo_entry *sc_memo_find(struct sc_memo *m,
				   const struct sc_memo_key *k, u64 stamp)
{
	struct sc_memo_entry *set = m->entries +
				    (u64)sc_memo_set_of(m, k) * SC_MEMO_WAYS;
	unsigned int w;

	for (w = 0; w < SC_MEMO_WAYS; w++) {
		struct sc_memo_entry *e = &set[w];

		if (!e->mask || !sc_memo_key_eq(&e->key, k))
			continue;
		if (e->stamp != stamp) {
			e->mask = 0;
			e->stamp = stamp;
		}
		return e;
	}
	return NULL;
}

/**
 * sc_memo_claim() - the entry of a group, made if need be
 * @m: the memo
 * @k: the group
 * @stamp: the file's change state now
 *
 * When the group has no entry, an unused way of its set is taken, or else
 * the set's next victim in turn, emptied and given @k.  The entry stays
 * unused (mask 0) until sc_memo_set() records a page in it.  Any context.
 *
 * Return: the group's entry.
 */
struct sc_memo_entry *sc_memo_claim(struct sc_memo *m,
				    const struct sc_memo_key *k, u64 stamp)
{
	u32 s = sc_memo_set_of(m, k);
	struct sc_memo_entry *set = m->entries + (u64)s * SC_MEMO_WAYS;
	struct sc_memo_entry *e = sc_memo_find(m, k, stamp);
	unsigned int w;

	if (e)
		return e;
	for (w = 0; w < SC_MEMO_WAYS; w++)
		if (!set[w].mask)
			break;
	if (w == SC_MEMO_WAYS) {
		w = m->victim[s] % SC_MEMO_WAYS;
		m->victim[s] = (w + 1) % SC_MEMO_WAYS;
	}
	e = &set[w];
	e->key = *k;
	e->stamp = stamp;
	e->base = 0;
	e->mask = 0;
	return e;
}

/**
 * sc_memo_get() - where a page of a remembered group starts
 * @e: the group's entry
 * @i: the page, 0 to SC_MEMO_GROUP - 1
 *
 * Any context.
 *
 * Return: the sector its block starts at, or SC_MEMO_NONE when the memo
 * does not know (ask bmap()).
 */
u64 sc_memo_get(const struct sc_memo_entry *e, unsigned int i)
{
	if (i >= SC_MEMO_GROUP || !(e->mask & (1U << i)))
		return SC_MEMO_NONE;
	return e->base + (u64)SC_MEMO_STEP * i;
}

/**
 * sc_memo_set() - remember where a page of a group starts
 * @e: the group's entry
 * @i: the page, 0 to SC_MEMO_GROUP - 1
 * @sector: the sector its block starts at, as bmap() found it
 *
 * The first page recorded in an empty entry sets its line; a later page is
 * kept only if it lies on that line (unsigned arithmetic wraps both ways,
 * so any line is exact).  A page off the line is not remembered and will
 * be asked again: groups that straddle two extents are rare.  Any context.
 */
void sc_memo_set(struct sc_memo_entry *e, unsigned int i, u64 sector)
{
	if (i >= SC_MEMO_GROUP || sector == SC_MEMO_NONE)
		return;
	if (!e->mask)
		e->base = sector - (u64)SC_MEMO_STEP * i;
	else if (sector != e->base + (u64)SC_MEMO_STEP * i)
		return;
	e->mask |= 1U << i;
}

/**
 * sc_memo_forget() - drop what the memo knows of one page
 * @e: the group's entry
 * @i: the page, 0 to SC_MEMO_GROUP - 1
 *
 * For a page whose block was found elsewhere than the memo said.  An entry
 * left with no page is free for another group.  Any context.
 */
void sc_memo_forget(struct sc_memo_entry *e, unsigned int i)
{
	if (i < SC_MEMO_GROUP)
		e->mask &= ~(1U << i);
}

/**
 * sc_quiet_begin() - a pass begins
 * @q: the thread's quiet state for a target
 * @events: the target's event count now
 *
 * Any context.
 */
void sc_quiet_begin(struct sc_quiet *q, u64 events)
{
	q->events = events;
	q->marks = 0;
	q->noted = 0;
	q->clean = true;
	q->quiet = false;
}

/**
 * sc_quiet_taint() - the pass met something that may change silently
 * @q: the thread's quiet state for a target
 *
 * Any context.
 */
void sc_quiet_taint(struct sc_quiet *q)
{
	q->clean = false;
	q->marks++;
}

/**
 * sc_quiet_refused() - the pass met a page refused for now
 * @q: the thread's quiet state for a target
 *
 * Not a taint: what refuses a page changes only with events (memo.h).
 * But not with events on that page's group alone, so a focused pass
 * (focus.h) must look at its group again.  Any context.
 */
void sc_quiet_refused(struct sc_quiet *q)
{
	q->marks++;
}

/**
 * sc_quiet_noted() - the walk noted the group of some of the pass's marks
 * @q: the thread's quiet state for a target
 * @marks: how many (a difference of @q->marks across one group)
 *
 * Any context.
 */
void sc_quiet_noted(struct sc_quiet *q, u64 marks)
{
	q->noted += marks;
}

/**
 * sc_quiet_all_noted() - whether every mark of the pass was noted
 * @q: the thread's quiet state for a target
 *
 * Any context.
 *
 * Return: true when a focused pass may follow this one (focus.h): nothing
 * it met is unaccounted for by a noted group.
 */
bool sc_quiet_all_noted(const struct sc_quiet *q)
{
	return q->noted == q->marks;
}

/**
 * sc_quiet_end() - a pass reached the end of the filesystem's inodes
 * @q: the thread's quiet state for a target
 *
 * Any context.
 */
void sc_quiet_end(struct sc_quiet *q)
{
	q->quiet = q->clean;
}

/**
 * sc_quiet_skip() - whether the next pass may be skipped
 * @q: the thread's quiet state for a target
 * @events: the target's event count now
 *
 * Once anything happened, the answer stays no until the next clean pass
 * ends.  Any context.
 *
 * Return: true when the last pass ended clean and no event came since it
 * began.
 */
bool sc_quiet_skip(struct sc_quiet *q, u64 events)
{
	if (q->quiet && events == q->events)
		return true;
	q->quiet = false;
	return false;
}
