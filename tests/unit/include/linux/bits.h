/* SPDX-License-Identifier: GPL-2.0 */
/* User-space stand-in for the kernel's <linux/bits.h>. */
#ifndef SC_SHIM_LINUX_BITS_H
#define SC_SHIM_LINUX_BITS_H

#define BIT(nr) (1UL << (nr))
#define BIT_ULL(nr) (1ULL << (nr))

#endif /* SC_SHIM_LINUX_BITS_H */
