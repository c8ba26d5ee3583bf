/* SPDX-License-Identifier: GPL-2.0 */
/* User-space stand-in for the kernel's <linux/bug.h>. */
#ifndef SC_SHIM_LINUX_BUG_H
#define SC_SHIM_LINUX_BUG_H

#include <stdio.h>

/*
 * Counts every warning, so that a test can tell that one fired; unlike the
 * kernel's, it warns every time, since each test case wants to see its own.
 */
extern unsigned long sc_shim_warnings;

#define WARN_ON_ONCE(condition) ({					\
	int __ret_warn = !!(condition);					\
	if (__ret_warn) {						\
		sc_shim_warnings++;					\
		fprintf(stderr, "WARNING: %s:%d: %s\n", __FILE__,	\
			__LINE__, #condition);				\
	}								\
	__ret_warn;							\
})

#endif /* SC_SHIM_LINUX_BUG_H */
