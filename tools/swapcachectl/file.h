/* SPDX-License-Identifier: GPL-2.0 */
/* What the thread sees of a file: its mount and its opt-in attributes. */
#ifndef SWAPCACHECTL_FILE_H
#define SWAPCACHECTL_FILE_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include <unistd.h>

#define SC_OPT_IN_XATTR "user.swapcache"
#define SC_VETO_XATTR "trusted.noswapcache"

struct sc_mount {
	char root[PATH_MAX];	/* the directory of the filesystem mounted */
	char point[PATH_MAX];
	char fstype[64];
	char source[PATH_MAX];
	char super_opts[1024];
	dev_t dev;
};

struct sc_optin {
	char optin_at[PATH_MAX];	/* nearest user.swapcache=1, or "" */
	char veto_at[PATH_MAX];		/* nearest trusted.noswapcache=1, or "" */
	bool veto_hidden;		/* not root: trusted.* cannot be read */
	bool no_xattrs;			/* the filesystem has no user.* */
};

struct fiemap_extent;
struct stat;

int sc_mount_of(const char *real, struct sc_mount *m);
int sc_xattr_is_one(const char *path, const char *name);
int sc_optin_walk(const char *real, const char *mount_point,
		  struct sc_optin *o);

int sc_open_path(const char *path, int flags, struct stat *st);
int sc_reopen(int path_fd, int flags);
int sc_fiemap(int fd, uint64_t size,
	      int (*fn)(const struct fiemap_extent *e, void *arg), void *arg);

#endif /* SWAPCACHECTL_FILE_H */
