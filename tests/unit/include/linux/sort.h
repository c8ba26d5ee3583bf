/* SPDX-License-Identifier: GPL-2.0 */
/* User-space stand-in for the kernel's <linux/sort.h>: sort() as qsort(). */
#ifndef SC_SHIM_LINUX_SORT_H
#define SC_SHIM_LINUX_SORT_H

#include <stdlib.h>

#include <linux/types.h>

typedef int (*cmp_func_t)(const void *a, const void *b);
typedef void (*swap_func_t)(void *a, void *b, int size);

static inline void sort(void *base, size_t num, size_t size, cmp_func_t cmp,
			swap_func_t swap)
{
	(void)swap;
	qsort(base, num, size, cmp);
}

#endif /* SC_SHIM_LINUX_SORT_H */
