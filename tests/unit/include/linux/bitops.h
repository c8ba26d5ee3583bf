/* SPDX-License-Identifier: GPL-2.0 */
/* The two helpers of the kernel's <linux/bitops.h> that map.c uses. */
#ifndef SC_SHIM_BITOPS_H
#define SC_SHIM_BITOPS_H

/* 64-bit words needed for @nr bits */
#define BITS_TO_U64(nr) (((nr) + 63) / 64)

/* The lowest set bit of @word, which must not be 0. */
static inline unsigned int __ffs64(unsigned long long word)
{
	return __builtin_ctzll(word);
}

#endif /* SC_SHIM_BITOPS_H */
