/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Types for the parts of swapcache that are pure logic (the tunables, and
 * later the map, the burst budget and the watermark machine).  Those files
 * include only this header so that tests/unit/ can build them in user space
 * under sanitizers, with the same source the module uses.
 */
#ifndef SWAPCACHE_PURE_H
#define SWAPCACHE_PURE_H

#ifdef __KERNEL__
#include <linux/bits.h>
#include <linux/compiler.h>
#include <linux/errno.h>
#include <linux/hash.h>
#include <linux/types.h>
#include <linux/limits.h>
#else
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/types.h>	/* the uapi __s64 family */
typedef __s64 s64;
typedef __u64 u64;
typedef __u32 u32;
typedef __u16 u16;
typedef __u8 u8;
#define S64_MAX INT64_MAX
#define U32_MAX UINT32_MAX
#define U64_MAX UINT64_MAX
#define BIT(nr) (1UL << (nr))
#define BIT_ULL(nr) (1ULL << (nr))
#ifndef __force
#define __force
#endif

/*
 * The kernel's marked accesses, for sc_map_touch_slab(): one whole load or
 * store, racing on purpose.  C11 spells that as a relaxed atomic, which
 * unlike the kernel's volatile casts also tells a thread sanitizer that
 * the race is meant.
 */
#define READ_ONCE(x) __atomic_load_n(&(x), __ATOMIC_RELAXED)
#define WRITE_ONCE(x, val) __atomic_store_n(&(x), (val), __ATOMIC_RELAXED)

/* The kernel's hash_64(), for the user-space build of the map. */
static inline u32 hash_64(u64 val, unsigned int bits)
{
	return val * 0x61C8864680B583EBull >> (64 - bits);
}
#endif

#endif /* SWAPCACHE_PURE_H */
