// SPDX-License-Identifier: GPL-2.0
/*
 * What the thread sees of a file: the mount it is on and the opt-in
 * attributes on it and the directories above it.
 *
 * The thread walks dentries up to the filesystem's root, which from user
 * space is the mount point of the mount the path is under; a bind mount
 * of a subdirectory hides the directories above its root, and the caller
 * is told so (the kernel sees them, this walk cannot).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/fiemap.h>
#include <linux/fs.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/xattr.h>

#include "ctl.h"
#include "file.h"

/* mountinfo escapes blanks, tabs, newlines and backslashes as \ooo. */
static void unescape(char *s)
{
	char *o = s;

	for (; *s; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' &&
		    s[2] >= '0' && s[2] <= '7' && s[3] >= '0' && s[3] <= '7') {
			*o++ = (s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0');
			s += 3;
		} else {
			*o++ = *s;
		}
	}
	*o = '\0';
}

static bool under(const char *path, const char *dir)
{
	size_t n = strlen(dir);

	if (!strcmp(dir, "/"))
		return true;
	return !strncmp(path, dir, n) && (path[n] == '/' || !path[n]);
}

/*
 * sc_mount_of() - the mount a resolved path is under (the last listed of
 * those whose mount point is its longest prefix: mounts stack in order).
 * Return: 0, or -ENOENT when /proc/self/mountinfo lists none.
 */
int sc_mount_of(const char *real, struct sc_mount *m)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	char *line = NULL;
	size_t cap = 0, best = 0;
	int r = -ENOENT;

	if (!f)
		return -errno;
	while (getline(&line, &cap, f) > 0) {
		char root[PATH_MAX], point[PATH_MAX], fstype[64], source[PATH_MAX];
		char opts[1024], *dash;
		unsigned int major, minor;

		dash = strstr(line, " - ");
		if (!dash ||
		    sscanf(line, "%*u %*u %u:%u %4095s %4095s", &major, &minor,
			   root, point) != 4 ||
		    sscanf(dash + 3, "%63s %4095s %1023s", fstype, source,
			   opts) != 3)
			continue;
		unescape(root);
		unescape(point);
		unescape(source);
		if (!under(real, point) || strlen(point) < best)
			continue;
		best = strlen(point);
		snprintf(m->root, sizeof(m->root), "%s", root);
		snprintf(m->point, sizeof(m->point), "%s", point);
		snprintf(m->fstype, sizeof(m->fstype), "%s", fstype);
		snprintf(m->source, sizeof(m->source), "%s", source);
		snprintf(m->super_opts, sizeof(m->super_opts), "%s", opts);
		m->dev = makedev(major, minor);
		r = 0;
	}
	free(line);
	fclose(f);
	return r;
}

/*
 * The value the thread takes as set: exactly "1".  Return 1 for set, 0
 * for unset, -errno when the attribute cannot be read (EPERM/ENODATA
 * aside: a trusted.* attribute is invisible to a user, who then gets 0
 * from the kernel too and must be told).
 */
int sc_xattr_is_one(const char *path, const char *name)
{
	char value[2];
	ssize_t n = getxattr(path, name, value, sizeof(value));

	if (n < 0)
		return errno == ENODATA || errno == ERANGE ? 0 : -errno;
	return n == 1 && value[0] == '1';
}

static void parent_of(char *dir)
{
	char *slash = strrchr(dir, '/');

	if (slash == dir)
		dir[1] = '\0';
	else if (slash)
		*slash = '\0';
}

/**
 * sc_optin_walk() - the attributes on a file and its directories
 * @real: a resolved path (realpath())
 * @mount_point: where its filesystem's walk stops
 * @o: filled in: the nearest opt-in and nearest veto, if any
 *
 * A trusted.* attribute read as a user reads as absent; o->veto_hidden
 * then says the answer is incomplete.  Return: 0 or -errno.
 */
int sc_optin_walk(const char *real, const char *mount_point, struct sc_optin *o)
{
	char dir[PATH_MAX];
	bool trusted_visible = geteuid() == 0;

	memset(o, 0, sizeof(*o));
	o->veto_hidden = !trusted_visible;
	snprintf(dir, sizeof(dir), "%s", real);
	for (;;) {
		int veto = sc_xattr_is_one(dir, SC_VETO_XATTR);
		int want = sc_xattr_is_one(dir, SC_OPT_IN_XATTR);

		if (veto == -EOPNOTSUPP)
			veto = 0;
		if (want == -EOPNOTSUPP) {
			o->no_xattrs = true;
			want = 0;
		}
		if (veto < 0)
			return veto;
		if (want < 0)
			return want;
		if (veto && !o->veto_at[0])
			snprintf(o->veto_at, sizeof(o->veto_at), "%s", dir);
		if (want && !o->optin_at[0])
			snprintf(o->optin_at, sizeof(o->optin_at), "%s", dir);
		if (!strcmp(dir, mount_point) || !strcmp(dir, "/"))
			break;
		parent_of(dir);
	}
	return 0;
}

/**
 * sc_fiemap() - call @fn for each extent of the first @size bytes of a file
 * @fd: the file
 * @size: its size
 * @fn: returns 0 to go on, anything else to stop (sc_fiemap returns it)
 * @arg: for @fn
 *
 * Without FIEMAP_FLAG_SYNC: what is not written back yet shows as
 * delayed allocation, and the caller decides; forcing writeback of a
 * whole data set is not a side effect anyone asked for.
 * Return: 0, -errno when FIEMAP fails, or what @fn returned.
 */
int sc_fiemap(int fd, uint64_t size,
	      int (*fn)(const struct fiemap_extent *e, void *arg), void *arg)
{
	struct {
		struct fiemap fm;
		struct fiemap_extent ext[64];
	} q;
	uint64_t start = 0;
	bool last = false;

	while (!last && start < size) {
		unsigned int i;
		int r;

		memset(&q, 0, sizeof(q));
		q.fm.fm_start = start;
		q.fm.fm_length = size - start;
		q.fm.fm_extent_count = 64;
		if (ioctl(fd, FS_IOC_FIEMAP, &q.fm))
			return -errno;
		if (!q.fm.fm_mapped_extents)
			break;
		for (i = 0; i < q.fm.fm_mapped_extents; i++) {
			const struct fiemap_extent *e = &q.ext[i];

			r = fn(e, arg);
			if (r)
				return r;
			last = e->fe_flags & FIEMAP_EXTENT_LAST;
			start = e->fe_logical + e->fe_length;
		}
	}
	return 0;
}

/**
 * sc_open_path() - a handle on @path that opens nothing
 * @path: the file
 * @flags: O_NOFOLLOW to refuse a symbolic link as the last component, or 0
 * @st: filled in with what the handle refers to
 *
 * An O_PATH descriptor runs no driver's open (a device node's open can
 * act: a watchdog's starts its countdown) and no FIFO's, so the caller
 * learns what @path is before opening it for real, with sc_reopen().
 *
 * Return: the descriptor, or -errno.
 */
int sc_open_path(const char *path, int flags, struct stat *st)
{
	int fd = open(path, O_PATH | O_CLOEXEC | flags);

	if (fd < 0)
		return -errno;
	if (fstat(fd, st)) {
		int e = errno;

		close(fd);
		return -e;
	}
	return fd;
}

/**
 * sc_reopen() - open for I/O the very file an O_PATH descriptor refers to
 * @path_fd: from sc_open_path(); the caller closes it
 * @flags: open's flags, O_RDONLY and the like
 *
 * Through /proc/self/fd/N, which names the inode itself, not a path that
 * could have been changed since (a directory swapped for a symlink).
 *
 * Return: the new descriptor, or -errno.
 */
int sc_reopen(int path_fd, int flags)
{
	char proc[64];
	int fd;

	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", path_fd);
	fd = open(proc, flags | O_CLOEXEC | O_NOCTTY);
	return fd < 0 ? -errno : fd;
}
