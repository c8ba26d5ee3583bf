/* SPDX-License-Identifier: GPL-2.0 */
/* User-space stand-in for the kernel's <linux/hash.h>: hash_64() only. */
#ifndef SC_SHIM_LINUX_HASH_H
#define SC_SHIM_LINUX_HASH_H

#include <linux/types.h>

/* The kernel's hash_64() on 64-bit machines: the golden-ratio multiply. */
static inline u32 hash_64(u64 val, unsigned int bits)
{
	return val * 0x61C8864680B583EBull >> (64 - bits);
}

#endif /* SC_SHIM_LINUX_HASH_H */
