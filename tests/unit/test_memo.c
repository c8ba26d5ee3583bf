// SPDX-License-Identifier: GPL-2.0
/*
 * The scanning thread's memory (swapcache/memo.h): the group memo answers
 * only what it was told, forgets a file that changed, tells files, groups
 * and reused inodes apart, stays within its table, and the quiet pass is
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
static u8 victim[NR_SETS];
static struct sc_memo memo;

static void reset(void)
{
	memset(entries, 0, sizeof(entries));
	memset(victim, 0, sizeof(victim));
	sc_memo_init(&memo, entries, victim, SET_BITS);
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

	/* The file changed: the group is known no more, even at the old stamp. */
	e = sc_memo_find(&memo, &k, 2);
	CHECK(e == NULL || sc_memo_get(e, 0) == SC_MEMO_NONE, "changed file forgotten");
	CHECK(!sc_memo_find(&memo, &k, 1), "and stays forgotten");

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
 * may be forgotten (the table is bounded) but never misremembered.
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
		struct sc_memo_key k;
		struct sc_memo_entry *e;
		u64 truth, got;
		int op = rand() % 40;

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
	test_quiet();
	test_noted();
	return sc_test_summary("memo");
}
