/* SPDX-License-Identifier: GPL-2.0 */
/*
 * User-space stand-in for the kernel's <linux/types.h>, for the pure files
 * built by tests/unit/ (the pattern of tools/include/ in the kernel tree):
 * the uapi header for the __u64 family, then the kernel's short names.
 */
#ifndef SC_SHIM_LINUX_TYPES_H
#define SC_SHIM_LINUX_TYPES_H

#include_next <linux/types.h>
#include <stdbool.h>
#include <stddef.h>

typedef __s64 s64;
typedef __u64 u64;
typedef __u32 u32;
typedef __u16 u16;
typedef __u8 u8;

#endif /* SC_SHIM_LINUX_TYPES_H */
