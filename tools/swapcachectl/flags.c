// SPDX-License-Identifier: GPL-2.0
/*
 * cache, nocache, clear: the attributes of the opt-in, DragonFly's
 * `chflags cache` and `chflags noscache`.  A directory's attribute is
 * inherited by everything below it, so there is no -R.  Every path is
 * looked at before any is changed, so that a typo changes nothing.  A
 * symbolic link is refused, never followed: the attribute would land on
 * whatever it points at, which whoever owns the link chooses (the veto is
 * root's), and the thread never follows a link to inherit one anyway.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>

#include "ctl.h"
#include "file.h"

enum op { OP_CACHE, OP_NOCACHE, OP_CLEAR };

static struct sc_target *targets;
static size_t ntargets;
static bool targets_known;

static void warn_placement(const char *path, const char *real, enum op op)
{
	struct sc_mount m;
	struct sc_optin o;
	struct stat st;

	if (sc_mount_of(real, &m) || stat(real, &st))
		return;
	if (op == OP_CACHE && targets_known) {
		if (!sc_target_of(targets, ntargets, st.st_dev))
			sc_warn("%s: set, but its filesystem (%s on %s) is not on a swapcache target: nothing there is cached until it is",
				path, m.fstype, m.point);
	}
	if (sc_optin_walk(real, m.point, &o))
		return;
	if (op == OP_CACHE && o.veto_at[0])
		sc_warn("%s: set, but trusted.noswapcache=1 on %s vetoes it: `swapcachectl clear %s` (as root) removes the veto",
			path, o.veto_at, o.veto_at);
	if (op == OP_CLEAR && o.optin_at[0])
		sc_warn("%s: cleared, but it still inherits user.swapcache=1 from %s",
			path, o.optin_at);
	if (op == OP_CLEAR && o.veto_at[0])
		sc_warn("%s: cleared, but it still inherits trusted.noswapcache=1 from %s",
			path, o.veto_at);
}

static const char *hint(int e, const char *name)
{
	if (e == EPERM && !strcmp(name, SC_VETO_XATTR))
		return "the veto (trusted.noswapcache) is root's to set or remove: run as root";
	if (e == EPERM || e == EACCES)
		return "only the file's owner (or root) may change user.swapcache; on a symlink, device or FIFO the kernel allows no user.* attribute";
	if (e == EOPNOTSUPP)
		return "this filesystem has no extended attributes of that kind (ext4: mount with user_xattr)";
	if (e == EROFS)
		return "the filesystem is mounted read-only";
	return "";
}

static int apply(const char *path, enum op op)
{
	const char *set = op == OP_CACHE ? SC_OPT_IN_XATTR : SC_VETO_XATTR;
	int rc = 0;

	if (op != OP_CLEAR) {
		if (lsetxattr(path, set, "1", 1, 0)) {
			int e = errno;

			sc_err("cannot set %s=1 on %s: %s; %s", set, path,
			       strerror(e), hint(e, set));
			return 1;
		}
		return 0;
	}
	if (lremovexattr(path, SC_OPT_IN_XATTR) && errno != ENODATA) {
		int e = errno;

		sc_err("cannot remove %s from %s: %s; %s", SC_OPT_IN_XATTR,
		       path, strerror(e), hint(e, SC_OPT_IN_XATTR));
		rc = 1;
	}
	if (lremovexattr(path, SC_VETO_XATTR) && errno != ENODATA &&
	    errno != EOPNOTSUPP) {
		int e = errno;

		if (e == EPERM && geteuid())
			sc_warn("%s: not root: a veto (trusted.noswapcache) on it, if any, is left for root to remove",
				path);
		else {
			sc_err("cannot remove %s from %s: %s; %s",
			       SC_VETO_XATTR, path, strerror(e),
			       hint(e, SC_VETO_XATTR));
			rc = 1;
		}
	}
	return rc;
}

int cmd_flags(int argc, char **argv)
{
	enum op op = !strcmp(argv[0], "cache") ? OP_CACHE :
		     !strcmp(argv[0], "nocache") ? OP_NOCACHE : OP_CLEAR;
	char (*real)[PATH_MAX];
	char why[512];
	int i, rc = 0;

	if (argc < 2)
		return sc_bad_usage("%s needs at least one PATH", argv[0]);
	for (i = 1; i < argc; i++)
		if (argv[i][0] == '-' && argv[i][1])
			return sc_bad_usage("%s: unknown option %s (a directory's flag is inherited: there is no -R)",
					    argv[0], argv[i]);
	real = calloc(argc, sizeof(*real));
	if (!real) {
		sc_err("out of memory");
		return 1;
	}
	for (i = 1; i < argc; i++) {
		struct stat st;

		if (lstat(argv[i], &st) || !realpath(argv[i], real[i])) {
			sc_err("%s: %s; nothing was changed", argv[i],
			       strerror(errno));
			rc = 1;
		} else if (S_ISLNK(st.st_mode)) {
			sc_err("%s: is a symbolic link: name the file or directory itself (%s); nothing was changed",
			       argv[i], real[i]);
			rc = 1;
		}
	}
	if (!rc) {
		targets_known = op == OP_CACHE &&
				!sc_targets(&targets, &ntargets, why, sizeof(why));
		for (i = 1; i < argc; i++) {
			int r = apply(argv[i], op);

			rc |= r;
			if (!r)
				warn_placement(argv[i], real[i], op);
		}
		free(targets);
	}
	free(real);
	return rc;
}
