/* SPDX-License-Identifier: GPL-2.0 */
/* The helper of the kernel's <linux/log2.h> that map.c uses. */
#ifndef SC_SHIM_LOG2_H
#define SC_SHIM_LOG2_H

/* log2 of @n rounded up; 0 for 0 and 1, as the kernel's. */
static inline int order_base_2(unsigned long n)
{
	return n > 1 ? (int)(8 * sizeof(n)) - __builtin_clzl(n - 1) : 0;
}

#endif /* SC_SHIM_LOG2_H */
