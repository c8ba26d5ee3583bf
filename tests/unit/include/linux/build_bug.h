/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kernel's static_assert(), for the user-space build: the message is
 * optional, as in <linux/build_bug.h>, where C11's needs one.
 */
#ifndef SC_SHIM_BUILD_BUG_H
#define SC_SHIM_BUILD_BUG_H

#define static_assert(expr, ...) __static_assert(expr, ##__VA_ARGS__, #expr)
#define __static_assert(expr, msg, ...) _Static_assert(expr, msg)

#endif /* SC_SHIM_BUILD_BUG_H */
