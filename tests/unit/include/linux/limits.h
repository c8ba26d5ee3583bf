/* SPDX-License-Identifier: GPL-2.0 */
/*
 * User-space stand-in for the kernel's <linux/limits.h>: the uapi header
 * (glibc's <limits.h> includes it too), then the kernel's fixed-width
 * limits.
 */
#ifndef SC_SHIM_LINUX_LIMITS_H
#define SC_SHIM_LINUX_LIMITS_H

#include_next <linux/limits.h>
#include <stdint.h>

#define S64_MAX INT64_MAX
#define U32_MAX UINT32_MAX
#define U64_MAX UINT64_MAX

#endif /* SC_SHIM_LINUX_LIMITS_H */
