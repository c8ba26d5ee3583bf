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
#include <linux/errno.h>
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
#define S64_MAX INT64_MAX
#define BIT_ULL(nr) (1ULL << (nr))
#endif

#endif /* SWAPCACHE_PURE_H */
