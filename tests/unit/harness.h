/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A minimal harness for the user-space unit tests: each CHECK counts as one
 * check, a failure prints where and why, and sc_test_summary() prints the
 * closing "SUITE: N checks passed, N failed" line and returns the exit
 * status.  tests/unit/run counts each program as one test and the checks
 * apart, as assertions: the two are never added together.
 */
#ifndef SC_TEST_HARNESS_H
#define SC_TEST_HARNESS_H

#include <stdio.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static int sc_test_passed;
static int sc_test_failed;

#define CHECK(cond, ...)						\
	do {								\
		if (cond) {						\
			sc_test_passed++;				\
		} else {						\
			sc_test_failed++;				\
			fprintf(stderr, "FAIL %s:%d: %s: ", __FILE__,	\
				__LINE__, #cond);			\
			fprintf(stderr, __VA_ARGS__);			\
			fputc('\n', stderr);				\
		}							\
	} while (0)

static inline int sc_test_summary(const char *suite)
{
	printf("%s: %d checks passed, %d failed\n", suite, sc_test_passed,
	       sc_test_failed);
	return sc_test_failed ? 1 : 0;
}

#endif
