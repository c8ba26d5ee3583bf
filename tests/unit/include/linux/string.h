/* SPDX-License-Identifier: GPL-2.0 */
/* The kernel's <linux/string.h>, for the user-space build: libc's. */
#ifndef SC_SHIM_STRING_H
#define SC_SHIM_STRING_H

#include <string.h>

#endif /* SC_SHIM_STRING_H */
