/* SPDX-License-Identifier: GPL-2.0 */
/*
 * User-space stand-in for the kernel's <linux/compiler.h>: sparse's
 * annotations (the uapi <linux/types.h> defines __bitwise) and the marked
 * accesses.
 */
#ifndef SC_SHIM_LINUX_COMPILER_H
#define SC_SHIM_LINUX_COMPILER_H

#include <linux/types.h>

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

#endif /* SC_SHIM_LINUX_COMPILER_H */
