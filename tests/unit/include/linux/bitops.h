/* SPDX-License-Identifier: GPL-2.0 */
/* User-space stand-in for the kernel's <linux/bitops.h>. */
#ifndef SC_SHIM_LINUX_BITOPS_H
#define SC_SHIM_LINUX_BITOPS_H

#include <linux/bits.h>
#include <linux/types.h>

/* 64-bit words needed for @nr bits */
#define BITS_TO_U64(nr) (((nr) + 63) / 64)

/* The index of the lowest set bit; @word must not be 0, as in the kernel. */
static inline unsigned int __ffs64(u64 word)
{
	return __builtin_ctzll(word);
}

#endif /* SC_SHIM_LINUX_BITOPS_H */
