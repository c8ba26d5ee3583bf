// SPDX-License-Identifier: GPL-2.0
/*
 * The scanning thread's memory of group mappings and of its last pass:
 * the argument is at the top of memo.h.  Pure logic: no locks, no
 * allocation, no kernel-only calls (tests/unit/test_memo.c runs it).
 */
#include <linux/string.h>

#include "memo.h"

/**
 * sc_memo_init() - make an empty memo over caller-provided memory
 * @m: the memo
 * @entries: (1 << @set_bits) * SC_MEMO_WAYS entries, zeroed
 * @last: 1 << @set_bits bytes, zeroed
 * @set_bits: log2 of the number of sets, 1 to SC_MEMO_MAX_SET_BITS
 *
 * @m is zeroed before its first init.  Also for a new table in place of
 * the old, which is dropped: the epoch and what was seen since the last
 * full pass ended are kept, so that the pass in which the table changes
 * still reports and sizes by all of its groups.  Any context.
 */
void sc_memo_init(struct sc_memo *m, struct sc_memo_entry *entries,
		  u8 *last, unsigned int set_bits)
{
	m->entries = entries;
	m->last = last;
	m->set_bits = set_bits;
}

#define SC_MEMO_CHECK_BITS	40

/* One 64-bit word of the key into the hash: multiply, then fold. */
static u64 sc_memo_mix(u64 h, u64 v)
{
	h = (h ^ v) * 0x9E3779B97F4A7C15ULL;
	return h ^ (h >> 29);
}

/*
 * The hash of a group's key and stamp: its top set_bits pick the set, its
 * low SC_MEMO_CHECK_BITS are the entry's check (SC_MEMO_MAX_SET_BITS +
 * SC_MEMO_CHECK_BITS <= 64: the two never share a bit).  The finish is
 * MurmurHash3's, so that every bit of the key reaches both.
 */
static u64 sc_memo_hash(const struct sc_memo_key *k, u64 stamp)
{
	u64 h = 0x2545F4914F6CDD1DULL;

	h = sc_memo_mix(h, (u64)(unsigned long)k->sb);
	h = sc_memo_mix(h, (u64)(unsigned long)k->inode);
	h = sc_memo_mix(h, k->ino);
	h = sc_memo_mix(h, ((u64)k->gen << 32) ^ (k->group >> 32));
	h = sc_memo_mix(h, k->group);
	h = sc_memo_mix(h, stamp);
	h ^= h >> 33;
	h *= 0xFF51AFD7ED558CCDULL;
	h ^= h >> 33;
	h *= 0xC4CEB9FE1A85EC53ULL;
	return h ^ (h >> 33);
}

static u64 sc_memo_check_of(u64 h)
{
	return h & ((1ULL << SC_MEMO_CHECK_BITS) - 1);
}

static u32 sc_memo_set_of(const struct sc_memo *m, u64 h)
{
	return h >> (64 - m->set_bits);
}

/* The group's entry in set @s, if any, marked as used in this pass. */
static struct sc_memo_entry *sc_memo_lookup(struct sc_memo *m, u32 s, u64 h)
{
	struct sc_memo_entry *set = m->entries + (u64)s * SC_MEMO_WAYS;
	u64 check = sc_memo_check_of(h);
	unsigned int w;

	for (w = 0; w < SC_MEMO_WAYS; w++) {
		struct sc_memo_entry *e = &set[w];

		if (!e->mask || e->check != check)
			continue;
		if (e->epoch != m->epoch) {
			e->epoch = m->epoch;
			m->pass.met++;
		}
		return e;
	}
	return NULL;
}

/**
 * sc_memo_find() - the entry of a group, if the memo has it
 * @m: the memo
 * @k: the group
 * @stamp: the file's change state now
 *
 * An entry learnt at another change state is not found: the file changed,
 * what it knew may be wrong.  Any context.
 *
 * Return: the group's entry, or NULL when it has none.
 */
struct sc_memo_entry *sc_memo_find(struct sc_memo *m,
				   const struct sc_memo_key *k, u64 stamp)
{
	u64 h = sc_memo_hash(k, stamp);
	struct sc_memo_entry *e = sc_memo_lookup(m, sc_memo_set_of(m, h), h);

	m->pass.lookups++;
	if (e)
		m->pass.found++;
	return e;
}

/*
 * The way of set @s a new group takes: an unused one, else the one least
 * recently used if it was not used during this pass nor the last, else
 * the one taken last (memo.h).
 */
static unsigned int sc_memo_way(const struct sc_memo *m, u32 s)
{
	const struct sc_memo_entry *set = m->entries + (u64)s * SC_MEMO_WAYS;
	unsigned int w, way = SC_MEMO_WAYS;
	u8 age, oldest = 1;

	for (w = 0; w < SC_MEMO_WAYS; w++) {
		if (!set[w].mask)
			return w;
		age = (u8)(m->epoch - set[w].epoch);
		if (age > oldest) {
			oldest = age;
			way = w;
		}
	}
	return way < SC_MEMO_WAYS ? way : m->last[s] % SC_MEMO_WAYS;
}

/**
 * sc_memo_claim() - the entry of a group, made if need be
 * @m: the memo
 * @k: the group
 * @stamp: the file's change state now
 *
 * When the group has no entry, a way of its set is taken (sc_memo_way()),
 * emptied and given the group.  The entry stays unused (mask 0) until
 * sc_memo_set() records a page in it.  Any context.
 *
 * Return: the group's entry.
 */
struct sc_memo_entry *sc_memo_claim(struct sc_memo *m,
				    const struct sc_memo_key *k, u64 stamp)
{
	u64 h = sc_memo_hash(k, stamp);
	u32 s = sc_memo_set_of(m, h);
	struct sc_memo_entry *e = sc_memo_lookup(m, s, h);
	unsigned int w;

	if (e)
		return e;
	w = sc_memo_way(m, s);
	m->last[s] = w;
	m->pass.claimed++;
	m->pass.met++;
	e = &m->entries[(u64)s * SC_MEMO_WAYS + w];
	e->check = sc_memo_check_of(h);
	e->epoch = m->epoch;
	e->base = 0;
	e->mask = 0;
	return e;
}

/**
 * sc_memo_pass_end() - a full pass ended: the table it wants
 * @m: the memo
 * @seen: what the memo saw since the last full pass ended, returned
 *
 * Starts a new epoch, which ages every entry by one pass, and a new count.
 * Any context.
 *
 * Return: the set_bits of the table the memo should have now (memo.h): the
 * smallest with an entry for each group met, within
 * SC_MEMO_MIN_SET_BITS and SC_MEMO_MAX_SET_BITS; the current set_bits
 * while a table a quarter of the current size would not do.
 */
unsigned int sc_memo_pass_end(struct sc_memo *m, struct sc_memo_pass *seen)
{
	u64 want = m->pass.met;
	unsigned int bits = SC_MEMO_MIN_SET_BITS;

	*seen = m->pass;
	memset(&m->pass, 0, sizeof(m->pass));
	m->epoch++;
	while (bits < SC_MEMO_MAX_SET_BITS &&
	       ((u64)SC_MEMO_WAYS << bits) < want)
		bits++;
	if (bits < m->set_bits && bits + 2 > m->set_bits)
		return m->set_bits;
	return bits;
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
