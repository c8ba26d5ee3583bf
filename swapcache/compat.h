/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Where Debian's two kernel lines (6.1 and 6.12) differ in an API we use.
 * Detect the feature, not the version, so that the code reads as if
 * written for the newer kernel.
 */
#ifndef SWAPCACHE_COMPAT_H
#define SWAPCACHE_COMPAT_H

#include <linux/blkdev.h>
#include <linux/fs.h>
#include <linux/module.h>

/* 6.5 gave block device opens their own mode type, blk_mode_t. */
#ifndef BLK_OPEN_WRITE
#define BLK_OPEN_WRITE FMODE_WRITE
#endif

/**
 * sc_bdev_fs_type() - the type of the filesystem mounted on a block device
 * @bdev: the device
 *
 * No exported call maps a device to its superblock on both lines, but
 * iterate_supers_type() is exported: this finds the type to give it.
 * Before 6.6 a mounted filesystem left its superblock in bd_super, and
 * superblocks are freed after an RCU grace period, as module text is; from
 * 6.6 the superblock is the device's holder, valid under bd_holder_lock
 * while the holder operations are the filesystems' (as fs/super.c itself
 * relies on).  No macro came with that change; BLK_OPEN_RESTRICT_WRITES
 * (6.8) is the nearest one that tells the two supported lines apart.
 * Sleeps (6.12).
 *
 * Return: the type with a reference on its module (module_put() it), or
 * NULL when no filesystem is mounted on @bdev.
 */
static inline struct file_system_type *sc_bdev_fs_type(struct block_device *bdev)
{
	struct file_system_type *type = NULL;
	struct super_block *sb;

#ifndef BLK_OPEN_RESTRICT_WRITES
	rcu_read_lock();
	sb = READ_ONCE(bdev->bd_super);
	if (sb)
		type = READ_ONCE(sb->s_type);
	if (type && !try_module_get(type->owner))
		type = NULL;
	rcu_read_unlock();
#else
	mutex_lock(&bdev->bd_holder_lock);
	if (bdev->bd_holder_ops == &fs_holder_ops) {
		sb = bdev->bd_holder;
		type = sb->s_type;
		if (!try_module_get(type->owner))
			type = NULL;
	}
	mutex_unlock(&bdev->bd_holder_lock);
#endif
	return type;
}

/**
 * sc_bdev_mapping() - the page cache of a block device
 * @bdev: the device
 *
 * 6.10 replaced bd_inode with bd_mapping.  No macro came with that
 * change; BLK_FEAT_WRITE_CACHE (6.11) is the nearest one that tells the
 * two supported lines apart.  Any context.
 *
 * Return: the address space whose folios cache @bdev's blocks.
 */
static inline struct address_space *sc_bdev_mapping(struct block_device *bdev)
{
#ifdef BLK_FEAT_WRITE_CACHE
	return bdev->bd_mapping;
#else
	return bdev->bd_inode->i_mapping;
#endif
}

/*
 * 6.6 put an inode's ctime behind accessors, and 6.7 its mtime; no macro
 * came with either, BLK_OPEN_RESTRICT_WRITES (6.8) tells the two lines
 * apart.
 */
static inline struct timespec64 sc_inode_ctime(const struct inode *inode)
{
#ifdef BLK_OPEN_RESTRICT_WRITES
	return inode_get_ctime(inode);
#else
	return inode->i_ctime;
#endif
}

static inline struct timespec64 sc_inode_mtime(const struct inode *inode)
{
#ifdef BLK_OPEN_RESTRICT_WRITES
	return inode_get_mtime(inode);
#else
	return inode->i_mtime;
#endif
}

#endif /* SWAPCACHE_COMPAT_H */
