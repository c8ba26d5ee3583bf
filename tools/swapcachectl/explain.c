// SPDX-License-Identifier: GPL-2.0
/*
 * explain: whether the thread would cache a file, and why not, one line
 * per rule of the opt-in, in the order the thread applies them
 * (swapcache/scan.c): the filesystem must sit directly on a target, the
 * thread must be writing file data and reads be routed to the SSD, the
 * file must be a regular file of a kind whose pages equal its blocks,
 * within maxfilesize, opted in and not vetoed.  What the thread decides
 * page by page (inactive, clean, mapped to one block) is reported as
 * what it is: a count of pages, not a verdict.
 *
 * Each line starts with "ok", "NO" (this rule keeps the file out), "??"
 * (cannot tell from here: the verdict is then not "cached") or "--"
 * (information).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/fiemap.h>
#include <linux/fs.h>
#include <linux/stat.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statfs.h>

#include "ctl.h"
#include "file.h"

/* Filesystems whose page cache the thread is known to read (iomap or
 * buffer heads); Debian mounts ext2 and ext3 with the ext4 driver. */
static const char *const known_fs[] = { "ext4", "xfs", "ext3", "ext2" };

struct verdict {
	bool no, unknown;
};

static void line(struct verdict *v, const char *mark, const char *label,
		 const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void line(struct verdict *v, const char *mark, const char *label,
		 const char *fmt, ...)
{
	va_list ap;

	if (!strcmp(mark, "NO"))
		v->no = true;
	else if (!strcmp(mark, "??"))
		v->unknown = true;
	printf("  %-2s %-12s ", mark, label);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

/* The targets, read once for all the paths. */
static struct sc_target *targets;
static size_t ntargets;
static int targets_err;
static char targets_why[512];

static void check_filesystem(struct verdict *v, const struct stat *st,
			     const struct sc_mount *m)
{
	char sys[64], name[128] = "";
	const struct sc_target *t;
	FILE *f;

	snprintf(sys, sizeof(sys), "/sys/dev/block/%u:%u", major(st->st_dev),
		 minor(st->st_dev));
	if (targets_err) {
		snprintf(name, sizeof(name), "%s/dm/name", sys);
		f = fopen(name, "re");
		name[0] = '\0';
		if (f) {
			if (fgets(name, sizeof(name), f))
				name[strcspn(name, "\n")] = '\0';
			fclose(f);
		}
		line(v, "??", "filesystem", "%s on %s (%u:%u)%s%s: cannot tell whether it is a swapcache target: %s",
		     m->fstype, m->point, major(st->st_dev), minor(st->st_dev),
		     name[0] ? ", device-mapper device " : "", name,
		     targets_why);
		return;
	}
	t = sc_target_of(targets, ntargets, st->st_dev);
	if (t) {
		line(v, "ok", "filesystem", "%s on %s, mounted directly on swapcache target %s (%u:%u)",
		     m->fstype, m->point, t->name, major(t->dev), minor(t->dev));
		if (!strcmp(t->st.mode, "degraded"))
			line(v, "NO", "mode", "%s is degraded after SSD errors: nothing is cached until its table is reloaded",
			     t->name);
		else
			line(v, "ok", "mode", "%s: mode ok, %s", t->name,
			     t->st.state);
		return;
	}
	t = sc_target_below(targets, ntargets, st->st_dev);
	if (t)
		line(v, "NO", "filesystem", "%s on %s is on device %u:%u, stacked above swapcache target %s: the thread caches file data only from a filesystem mounted directly on the target (the warm message still works)",
		     m->fstype, m->point, major(st->st_dev), minor(st->st_dev),
		     t->name);
	else
		line(v, "NO", "filesystem", "%s on %s (%s, %u:%u) is not on a swapcache target%s",
		     m->fstype, m->point, m->source, major(st->st_dev),
		     minor(st->st_dev),
		     ntargets ? "" : " (there is none: see swapcachectl(8) to create one)");
}

static void check_params(struct verdict *v, const int64_t *p)
{
	if (p[SC_DATA_ENABLE])
		line(v, "ok", "data_enable", "1: the thread caches file data");
	else
		line(v, "NO", "data_enable", "0: the thread caches no file data: `swapcachectl set data_enable=1`");
	if (p[SC_READ_ENABLE])
		line(v, "ok", "read_enable", "1: reads of cached blocks go to the SSD");
	else
		line(v, "NO", "read_enable", "0: reads never go to the SSD, whatever it holds: `swapcachectl set read_enable=1`");
}

static bool swap_file(const struct stat *st)
{
	FILE *f = fopen("/proc/swaps", "re");
	char name[PATH_MAX + 1], *nl;
	bool found = false;

	if (!f)
		return false;
	while (!found && fgets(name, sizeof(name), f)) {
		struct stat s;

		nl = name + strcspn(name, " \t\n");
		*nl = '\0';
		found = !stat(name, &s) && S_ISREG(s.st_mode) &&
			s.st_dev == st->st_dev && s.st_ino == st->st_ino;
	}
	fclose(f);
	return found;
}

/* The kinds of files whose pages are not copies of their own blocks. */
static void check_kind(struct verdict *v, const char *path, int fd,
		       const struct stat *st, const struct sc_mount *m)
{
	struct statx sx;
	struct statfs sf;
	unsigned int i;
	int flags = 0;
	bool known = false;
	char size[32];

	sc_fmt_bytes(size, sizeof(size), st->st_size);
	if (statx(fd, "", AT_EMPTY_PATH, STATX_BASIC_STATS, &sx))
		memset(&sx, 0, sizeof(sx));
	if (ioctl(fd, FS_IOC_GETFLAGS, &flags))
		flags = 0;
	if ((sx.stx_attributes & STATX_ATTR_ENCRYPTED) || (flags & FS_ENCRYPT_FL))
		line(v, "NO", "kind", "encrypted (fscrypt): its pages are not what its blocks hold");
	else if ((sx.stx_attributes & STATX_ATTR_DAX) || (flags & FS_DAX_FL))
		line(v, "NO", "kind", "a DAX file: it has no page cache");
	else if (swap_file(st))
		line(v, "NO", "kind", "an active swap file");
	else if (flags & FS_JOURNAL_DATA_FL)
		line(v, "NO", "kind", "ext4 journals its data (chattr +j): `chattr -j %s`", path);
	else if (strstr(m->super_opts, "data=journal"))
		line(v, "NO", "kind", "ext4 journals its data (mounted data=journal)");
	else if (flags & FS_INLINE_DATA_FL)
		line(v, "NO", "kind", "its data is inline in the inode: no blocks of its own");
	else if (!fstatfs(fd, &sf) && (uint64_t)sf.f_bsize > SC_PAGE)
		line(v, "NO", "kind", "its filesystem's blocks (%ld bytes) are larger than a page",
		     (long)sf.f_bsize);
	else
		line(v, "ok", "kind", "regular file, %s (%" PRIu64 " pages)", size,
		     ((uint64_t)st->st_size + SC_PAGE - 1) / SC_PAGE);
	for (i = 0; i < sizeof(known_fs) / sizeof(known_fs[0]); i++)
		known |= !strcmp(m->fstype, known_fs[i]);
	if (!known)
		line(v, "??", "fs type", "%s: the thread reads only page caches of iomap or buffer heads; it is tested on ext4 and XFS only",
		     m->fstype);
}

static void check_size(struct verdict *v, const struct stat *st, int64_t max)
{
	char a[32], b[32];

	sc_fmt_bytes(a, sizeof(a), st->st_size);
	sc_fmt_bytes(b, sizeof(b), max);
	if (!max)
		line(v, "ok", "maxfilesize", "0: no limit");
	else if (st->st_size > max)
		line(v, "NO", "maxfilesize", "%" PRId64 " (%s): the file (%s) is larger: raise it with `swapcachectl set maxfilesize=%" PRIu64 "`",
		     max, b, a, (uint64_t)st->st_size);
	else
		line(v, "ok", "maxfilesize", "%" PRId64 " (%s): the file (%s) is not larger",
		     max, b, a);
}

static void check_optin(struct verdict *v, const char *real, bool dir,
			const struct sc_mount *m, const int64_t *p)
{
	struct sc_optin o;
	int r = sc_optin_walk(real, m->point, &o);

	if (r) {
		line(v, "??", "opt-in", "cannot read the attributes of %s or its directories: %s",
		     real, strerror(-r));
		return;
	}
	if (o.veto_at[0])
		line(v, "NO", "veto", "trusted.noswapcache=1 on %s%s: remove it with `swapcachectl clear %s` (as root)",
		     o.veto_at, strcmp(o.veto_at, real) ? " (inherited)" : "",
		     o.veto_at);
	else if (o.veto_hidden)
		line(v, "??", "veto", "not root: cannot read trusted.noswapcache on %s or the directories above it up to %s",
		     real, m->point);
	else
		line(v, "ok", "veto", "no trusted.noswapcache=1 on %s or a directory above it up to %s",
		     real, m->point);
	if (!p[SC_USE_CHFLAGS])
		line(v, "ok", "use_chflags", "0: every %s is a candidate unless vetoed",
		     dir ? "file under it" : "file");
	else if (o.optin_at[0])
		line(v, "ok", "opt-in", "user.swapcache=1 on %s%s (use_chflags=1)",
		     o.optin_at, strcmp(o.optin_at, real) ? " (inherited)" : "");
	else
		line(v, "NO", "opt-in", "no user.swapcache=1 on %s or a directory above it up to %s, and use_chflags=1: `swapcachectl cache %s` (or a directory above it)%s",
		     real, m->point, real,
		     o.no_xattrs ? "; this filesystem refuses user.* attributes (ext4: mount with user_xattr)" : "");
	if (strcmp(m->root, "/"))
		line(v, "--", "bind mount", "%s shows %s of its filesystem: attributes on the directories above that also count, and are not visible here",
		     m->point, m->root);
}

struct extent_pages {
	uint64_t size, mapped, shared, unwritten, odd, delalloc;
};

static int count_extent(const struct fiemap_extent *e, void *arg)
{
	struct extent_pages *c = arg;
	uint64_t n = sc_extent_pages(e->fe_logical, e->fe_length, c->size);

	c->mapped += n;
	if (e->fe_flags & FIEMAP_EXTENT_SHARED)
		c->shared += n;
	else if (e->fe_flags & FIEMAP_EXTENT_UNWRITTEN)
		c->unwritten += n;
	else if (e->fe_flags & FIEMAP_EXTENT_DELALLOC)
		c->delalloc += n;
	else if (e->fe_flags & (FIEMAP_EXTENT_DATA_INLINE |
				FIEMAP_EXTENT_NOT_ALIGNED |
				FIEMAP_EXTENT_ENCODED |
				FIEMAP_EXTENT_DATA_ENCRYPTED))
		c->odd += n;
	return 0;
}

/* Pages whose blocks are not their own, by FIEMAP's flags, and holes. */
static void check_extents(struct verdict *v, int fd, const struct stat *st)
{
	uint64_t pages = ((uint64_t)st->st_size + SC_PAGE - 1) / SC_PAGE;
	struct extent_pages c = { .size = st->st_size };

	if (sc_fiemap(fd, st->st_size, count_extent, &c)) {
		line(v, "--", "extents", "FIEMAP not supported here: holes and shared extents not checked");
		return;
	}
	if (c.mapped > pages)
		c.mapped = pages;
	if (c.shared + c.unwritten + c.odd + c.delalloc + (pages - c.mapped) == 0) {
		line(v, "ok", "extents", "every page has a block of its own");
		return;
	}
	if (c.delalloc)
		line(v, "--", "extents", "%" PRIu64 " pages not written back yet: the file is skipped until writeback settles",
		     c.delalloc);
	if (c.shared)
		line(v, "--", "extents", "%" PRIu64 " pages in shared (reflinked) extents: those are never cached",
		     c.shared);
	if (c.unwritten || pages - c.mapped)
		line(v, "--", "extents", "%" PRIu64 " pages in holes or unwritten extents: those are never cached",
		     c.unwritten + pages - c.mapped);
	if (c.odd)
		line(v, "--", "extents", "%" PRIu64 " pages in inline, encoded or unaligned extents: those are never cached",
		     c.odd);
	if (c.shared + c.unwritten + c.odd + (pages - c.mapped) >= pages && pages)
		line(v, "NO", "extents", "no page of it can be cached");
}

static void report_ram(int fd, const struct stat *st, const int64_t *p)
{
	size_t pages = ((uint64_t)st->st_size + SC_PAGE - 1) / SC_PAGE, i, in = 0;
	unsigned char *vec;
	void *map;

	if (!st->st_size)
		return;
	map = mmap(NULL, st->st_size, PROT_READ, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED)
		return;
	vec = malloc(pages);
	if (vec && !mincore(map, st->st_size, vec)) {
		for (i = 0; i < pages; i++)
			in += vec[i] & 1;
		printf("  -- %-12s %zu of %zu pages are in the page cache%s\n",
		       "in RAM", in, pages,
		       in ? "" : ": the thread copies pages from RAM only; read the file, or load its blocks with the target's warm message");
	}
	free(vec);
	munmap(map, st->st_size);
	printf("  -- %-12s pages are copied once inactive; after a pass the thread waits for %" PRId64 " pages (hysteresis) of memory pressure\n",
	       "when", p[SC_HYSTERESIS]);
}

static int explain_one(const char *path, const int64_t *p)
{
	struct verdict v = { false, false };
	char real[PATH_MAX];
	struct sc_mount m;
	struct stat st;
	bool dir;
	int fd = -1, pfd;

	/*
	 * Only a regular file is opened for reading: what @path is comes
	 * from an O_PATH handle, which opens no device node or FIFO.
	 */
	pfd = sc_open_path(path, 0, &st);
	if (pfd >= 0 && S_ISREG(st.st_mode)) {
		fd = sc_reopen(pfd, O_RDONLY | O_NONBLOCK);
		if (fd < 0) {
			close(pfd);
			pfd = fd;
		}
	}
	if (pfd < 0 || !realpath(path, real)) {
		sc_err("%s: %s", path, strerror(pfd < 0 ? -pfd : errno));
		if (pfd >= 0)
			close(pfd);
		if (fd >= 0)
			close(fd);
		return 1;
	}
	close(pfd);
	if (sc_mount_of(real, &m)) {
		sc_err("%s: no mount found for it in /proc/self/mountinfo", path);
		if (fd >= 0)
			close(fd);
		return 1;
	}
	dir = S_ISDIR(st.st_mode);
	printf("%s\n", path);
	check_filesystem(&v, &st, &m);
	check_params(&v, p);
	if (dir)
		line(&v, "--", "kind", "a directory: not cached itself; the verdict is for a regular file created in it");
	else if (!S_ISREG(st.st_mode))
		line(&v, "NO", "kind", "not a regular file: only regular files' data is cached");
	else
		check_kind(&v, path, fd, &st, &m);
	if (!dir && S_ISREG(st.st_mode))
		check_size(&v, &st, p[SC_MAXFILESIZE]);
	check_optin(&v, real, dir, &m, p);
	if (!dir && st.st_nlink > 1)
		line(&v, "--", "hard links", "%lu names: the thread inherits along one of them, maybe not this one",
		     (unsigned long)st.st_nlink);
	if (!dir && S_ISREG(st.st_mode)) {
		check_extents(&v, fd, &st);
		report_ram(fd, &st, p);
	}
	line(&v, "--", "on the SSD", "unavailable: the module does not report per file how many of its pages it holds");
	printf("  => %s\n", v.no ? "not cached" : v.unknown ?
	       "cannot tell (see the ?? lines)" : "would be cached");
	if (fd >= 0)
		close(fd);
	return v.no || v.unknown;
}

int cmd_explain(int argc, char **argv)
{
	int64_t p[SC_NR_TUNABLES];
	int i, rc = 0;

	if (argc < 2)
		return sc_bad_usage("explain needs at least one PATH");
	for (i = 1; i < argc; i++)
		if (argv[i][0] == '-' && argv[i][1])
			return sc_bad_usage("explain: unknown option %s", argv[i]);
	if (sc_need_module() || sc_params_read(p))
		return 1;
	targets_err = sc_targets(&targets, &ntargets, targets_why,
				 sizeof(targets_why));
	for (i = 1; i < argc; i++)
		rc |= explain_one(argv[i], p);
	free(targets);
	return rc;
}
