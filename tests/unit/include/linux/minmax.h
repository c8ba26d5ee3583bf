/* SPDX-License-Identifier: GPL-2.0 */
/* User-space stand-in for the kernel's <linux/minmax.h>, without its checks. */
#ifndef SC_SHIM_LINUX_MINMAX_H
#define SC_SHIM_LINUX_MINMAX_H

#define min(x, y) ((x) < (y) ? (x) : (y))
#define max(x, y) ((x) > (y) ? (x) : (y))
#define min_t(type, x, y) ((type)(x) < (type)(y) ? (type)(x) : (type)(y))
#define max_t(type, x, y) ((type)(x) > (type)(y) ? (type)(x) : (type)(y))

#endif /* SC_SHIM_LINUX_MINMAX_H */
