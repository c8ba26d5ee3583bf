// SPDX-License-Identifier: GPL-2.0
/*
 * The focus (swapcache/focus.h): a set of (mapping, group) notes holds what
 * was noted, each once after sorting, finds a mapping's groups in order,
 * says when something did not fit, and carries that through a merge.
 * Runs the module's own focus.c, against a reference model too.
 */
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "focus.h"

static struct sc_focus a, b;

#define M(x) ((const void *)(unsigned long)(0x1000 * (x)))

static void test_basic(void)
{
	u32 first, n;

	sc_focus_reset(&a);
	CHECK(a.nr == 0 && !a.overflow, "empty");
	sc_focus_sort(&a);
	CHECK(sc_focus_find(&a, M(1), &first) == 0, "nothing in an empty set");

	sc_focus_add(&a, M(2), 7);
	sc_focus_add(&a, M(2), 7);
	CHECK(a.nr == 1, "a repeat of the last note is dropped at once");
	sc_focus_add(&a, M(1), 9);
	sc_focus_add(&a, M(2), 3);
	sc_focus_add(&a, M(2), 7);
	sc_focus_add(&a, M(3), 0);
	CHECK(a.nr == 5, "other repeats wait for the sort: %u", a.nr);
	sc_focus_sort(&a);
	CHECK(a.nr == 4, "sorted: %u groups", a.nr);
	n = sc_focus_find(&a, M(2), &first);
	CHECK(n == 2, "M(2) has 2 groups: %u", n);
	CHECK(n == 2 && a.g[first].group == 3 && a.g[first + 1].group == 7,
	      "in order");
	n = sc_focus_find(&a, M(1), &first);
	CHECK(n == 1 && a.g[first].group == 9, "M(1)");
	CHECK(sc_focus_find(&a, M(4), &first) == 0, "M(4) absent");
	CHECK(sc_focus_find(&a, M(0), &first) == 0, "M(0) absent");
	CHECK(!a.overflow, "no overflow");
}

static void test_overflow(void)
{
	u32 i, first;

	sc_focus_reset(&a);
	for (i = 0; i < SC_FOCUS_MAX; i++)
		sc_focus_add(&a, M(1), i);
	CHECK(a.nr == SC_FOCUS_MAX && !a.overflow, "full, no overflow yet");
	sc_focus_add(&a, M(1), SC_FOCUS_MAX - 1);
	CHECK(!a.overflow, "a repeat of the last note does not overflow");
	sc_focus_add(&a, M(1), SC_FOCUS_MAX);
	CHECK(a.overflow && a.nr == SC_FOCUS_MAX, "one more overflows");

	sc_focus_reset(&b);
	sc_focus_add(&b, M(9), 1);
	sc_focus_merge(&b, &a);
	CHECK(b.overflow, "a merge carries the overflow");
	CHECK(b.nr == SC_FOCUS_MAX, "and stops at the limit: %u", b.nr);

	sc_focus_reset(&b);
	sc_focus_add(&b, M(9), 1);
	sc_focus_reset(&a);
	sc_focus_add(&a, M(9), 2);
	sc_focus_merge(&b, &a);
	sc_focus_sort(&b);
	CHECK(!b.overflow && sc_focus_find(&b, M(9), &first) == 2,
	      "a merge that fits");
	sc_focus_reset(&b);
	CHECK(!b.overflow && b.nr == 0, "reset clears the overflow");
}

/* Random notes against a reference model: a presence table. */
#define MODEL_MAPPINGS 8
#define MODEL_GROUPS 64

static void test_model(void)
{
	static bool model[MODEL_MAPPINGS][MODEL_GROUPS];
	unsigned int round, i, m;
	u32 first, n;

	srand(12345);
	for (round = 0; round < 2000; round++) {
		unsigned int notes = rand() % 300;
		bool fits = true;

		memset(model, 0, sizeof(model));
		sc_focus_reset(&a);
		sc_focus_reset(&b);
		for (i = 0; i < notes; i++) {
			struct sc_focus *f = rand() % 2 ? &a : &b;

			m = rand() % MODEL_MAPPINGS;
			n = rand() % MODEL_GROUPS;
			sc_focus_add(f, M(m + 1), n);
			model[m][n] = true;
		}
		if (a.nr + b.nr > SC_FOCUS_MAX)
			fits = false;
		sc_focus_merge(&a, &b);
		sc_focus_sort(&a);
		CHECK(fits ? !a.overflow : true, "round %u: overflow", round);
		for (m = 0; m < MODEL_MAPPINGS; m++) {
			unsigned int want = 0, g, j;

			for (g = 0; g < MODEL_GROUPS; g++)
				want += model[m][g];
			n = sc_focus_find(&a, M(m + 1), &first);
			CHECK(n == want, "round %u mapping %u: %u groups, want %u",
			      round, m, n, want);
			for (j = 0; j < n; j++) {
				CHECK(model[m][a.g[first + j].group],
				      "round %u: group %llu was not noted", round,
				      (unsigned long long)a.g[first + j].group);
				CHECK(!j || a.g[first + j].group >
					    a.g[first + j - 1].group,
				      "round %u: out of order", round);
			}
		}
	}
}

int main(void)
{
	test_basic();
	test_overflow();
	test_model();
	return sc_test_summary("focus");
}
