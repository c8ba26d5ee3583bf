// SPDX-License-Identifier: GPL-2.0
/*
 * The opt-in, the Linux form of DragonFly's "chflags cache": whether a
 * file's data may be cached, by its extended attributes and those of the
 * directories above it (SPEC.md).  Only swapcached asks, and the
 * directories' verdicts are its own (optin.h).
 */
#include <linux/dcache.h>
#include <linux/fs.h>
#include <linux/timekeeping.h>
#include <linux/xattr.h>

#include "compat.h"
#include "optin.h"
#include "swapcache.h"

#define SC_OPT_IN_XATTR		"user.swapcache"
#define SC_VETO_XATTR		"trusted.noswapcache"

/* The thread's verdicts: it alone reads and writes them, no lock. */
static struct sc_dirs sc_dirs;

/*
 * Whether attribute @name is "1".  A read that fails (an I/O error, no
 * memory) counts as unset, as it always has; it clears *@sure, when given,
 * so that a directory's verdict is not remembered from it: it counts for
 * the file at hand, not for the rest of the walk.
 */
static bool sc_xattr_is_one(struct dentry *dentry, struct inode *inode,
			    const char *name, bool *sure)
{
	char value[2];
	ssize_t r = __vfs_getxattr(dentry, inode, name, value, sizeof(value));

	if (sure && r < 0 && r != -ENODATA && r != -EOPNOTSUPP && r != -ERANGE)
		*sure = false;
	return r == 1 && value[0] == '1';
}

/*
 * A directory's own attributes, remembered for the walk.  The clock is
 * read first, then the ctime, then the attributes.  A change the
 * attributes' read does not see comes after it, so its ctime is no
 * earlier than the clock's second read first: a verdict whose ctime is
 * before that second cannot share its ctime with a change it missed.  A
 * change between the ctime's read and the attributes' leaves a verdict
 * under the old ctime, which the next lookup no longer matches.  ext4,
 * XFS and btrfs read an attribute under a lock that their setxattr holds
 * while it changes the attribute (and, on ext4 and XFS, the ctime); the
 * release of that lock after the read orders the ctime's read before any
 * change the read missed, so no barrier is needed here.
 */
static u32 sc_dir_flags(struct dentry *dentry)
{
	struct inode *dir = d_inode(dentry);
	time64_t now = ktime_get_real_seconds();
	struct timespec64 ctime = sc_inode_ctime(dir);
	struct sc_dir_key key = {
		.inode = (unsigned long)dir,
		.ino = dir->i_ino,
		.generation = dir->i_generation,
		.ctime_sec = ctime.tv_sec,
		.ctime_nsec = ctime.tv_nsec,
	};
	bool sure = true;
	u32 flags = 0;

	if (sc_dirs_find(&sc_dirs, &key, &flags))
		return flags;
	if (sc_xattr_is_one(dentry, dir, SC_VETO_XATTR, &sure))
		flags = SC_DIR_VETO;
	else if (sc_xattr_is_one(dentry, dir, SC_OPT_IN_XATTR, &sure))
		flags = SC_DIR_OPT_IN;
	if (sure)
		sc_dirs_remember(&sc_dirs, &key, flags, now);
	return flags;
}

/**
 * sc_optin_forget() - forget the directories' verdicts
 *
 * Called by the thread as it begins a walk of a target's filesystem, so
 * that an attribute changed since the last walk counts in this one.
 */
void sc_optin_forget(void)
{
	sc_dirs_forget(&sc_dirs);
}

/**
 * sc_optin_judge() - the opt-in's verdict on a file, but for its own veto
 *	where that can wait
 * @inode: the file, referenced by the caller
 *
 * user.swapcache=1 on the file or a directory above it, unless
 * trusted.noswapcache=1 is on any of them; use_chflags=0 needs no
 * user.swapcache.  A file whose dentries were pruned (its pages can
 * outlive them) is judged by its own attributes.  The walk up stops at
 * the filesystem's root: the thread sees superblocks, not mounts, so a
 * bind mount inherits from above its root.  The directories come first:
 * their verdicts are remembered (optin.h), and when they opt the file in,
 * its own attributes are left unread: its user.swapcache cannot change
 * the verdict, and its trusted.noswapcache is needed only before one of
 * its pages is taken (sc_optin_vetoed()), which a pass over a file that
 * is cached already never does.  Sleeps; swapcached only.
 *
 * Return: SC_OPTIN_OUT, SC_OPTIN_IN, or SC_OPTIN_UNLESS_VETOED: in, unless
 * the file's own veto, not read yet, is set.
 */
enum sc_optin sc_optin_judge(struct inode *inode)
{
	bool want = !sc_get(SC_USE_CHFLAGS), veto = false;
	struct dentry *file, *dir, *parent;
	u32 flags;

	file = d_find_alias(inode);
	dir = dget(file);
	while (dir && !veto && !IS_ROOT(dir)) {
		parent = dget_parent(dir);
		dput(dir);
		dir = parent;
		flags = sc_dir_flags(dir);
		veto = flags & SC_DIR_VETO;
		want = want || (flags & SC_DIR_OPT_IN);
	}
	dput(dir);
	if (!veto && want) {
		dput(file);
		return SC_OPTIN_UNLESS_VETOED;
	}
	if (!veto)
		veto = sc_xattr_is_one(file, inode, SC_VETO_XATTR, NULL);
	if (!veto)
		want = sc_xattr_is_one(file, inode, SC_OPT_IN_XATTR, NULL);
	dput(file);
	return want && !veto ? SC_OPTIN_IN : SC_OPTIN_OUT;
}

/**
 * sc_optin_vetoed() - whether trusted.noswapcache=1 is on the file itself
 * @inode: the file, referenced by the caller
 *
 * What sc_optin_judge() left unread.  Sleeps; swapcached only.
 *
 * Return: true when it is.
 */
bool sc_optin_vetoed(struct inode *inode)
{
	struct dentry *file = d_find_alias(inode);
	bool veto = sc_xattr_is_one(file, inode, SC_VETO_XATTR, NULL);

	dput(file);
	return veto;
}

/**
 * sc_opted_in() - whether a file's data may be cached, by the opt-in
 * @inode: the file, referenced by the caller
 *
 * sc_optin_judge() with nothing left unread.  Sleeps; swapcached only.
 *
 * Return: true when the file is opted in and not vetoed.
 */
bool sc_opted_in(struct inode *inode)
{
	switch (sc_optin_judge(inode)) {
	case SC_OPTIN_IN:
		return true;
	case SC_OPTIN_UNLESS_VETOED:
		return !sc_optin_vetoed(inode);
	default:
		return false;
	}
}
