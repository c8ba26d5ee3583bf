/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Where Debian's two kernel lines (6.1 and 6.12) differ in an API we use.
 * Detect the feature, not the version, so that the code reads as if
 * written for the newer kernel.
 */
#ifndef SWAPCACHE_COMPAT_H
#define SWAPCACHE_COMPAT_H

#include <linux/blkdev.h>

/* 6.5 gave block device opens their own mode type, blk_mode_t. */
#ifndef BLK_OPEN_WRITE
#define BLK_OPEN_WRITE FMODE_WRITE
#endif

#endif /* SWAPCACHE_COMPAT_H */
