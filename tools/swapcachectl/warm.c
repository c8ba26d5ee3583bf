// SPDX-License-Identifier: GPL-2.0
/*
 * warm: preload files into the SSD.  Each file's extents, from FIEMAP,
 * become the target's `warm <start_sector> <nr_sectors>` messages, which
 * read those blocks from the origin and cache them now (extents.c turns
 * one into the other).  Only a filesystem mounted directly on a target
 * can be warmed this way: FIEMAP's offsets are on the filesystem's own
 * device, and above a partition, LVM or dm-crypt that is not the target.
 *
 * Every path is walked first and every range merged, then the messages
 * go out, one target after the other, in ascending order of blocks.  A
 * path that cannot be warmed is reported and the others are warmed all
 * the same (warming changes no data, only what the SSD holds); the exit
 * status is then 1.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <getopt.h>
#include <inttypes.h>
#include <linux/capability.h>
#include <linux/fiemap.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "ctl.h"
#include "file.h"

/* What is to be sent to one target. */
struct plan {
	struct sc_blocks *b;
	size_t n, cap;
	uint64_t pages;
};

static struct sc_target *targets;
static size_t ntargets;
static struct plan *plans;		/* one per target */
static bool dry_run, json;

static struct {
	uint64_t files, extents, pages, messages;
	uint64_t skipped[SC_NR_SKIPS];
	uint64_t outside;		/* pages in no swapcache target */
	int errors;
} sum;

/* CapEff in /proc/self/status: what the device-mapper ioctls check. */
static bool have_sys_admin(void)
{
	FILE *f = fopen("/proc/self/status", "re");
	unsigned long long caps = 0;
	char line[256];
	bool found = false;

	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f))
		found = sscanf(line, "CapEff: %llx", &caps) == 1;
	fclose(f);
	return found && (caps >> CAP_SYS_ADMIN & 1);
}

/* An error about one path or message: the others go on, the exit is 1. */
#define fail(...) (sc_err(__VA_ARGS__), sum.errors++)

/*
 * Whether a filesystem on @dev can be warmed; if not, say why for @path.
 * The test is explain's: the filesystem's device is the mapped device.
 */
static bool placed(const char *path, const char *real, dev_t dev)
{
	const struct sc_target *t;
	struct sc_mount m;

	if (sc_target_of(targets, ntargets, dev))
		return true;
	if (sc_mount_of(real, &m)) {
		snprintf(m.fstype, sizeof(m.fstype), "its filesystem");
		snprintf(m.point, sizeof(m.point), "an unknown mount");
	}
	t = sc_target_below(targets, ntargets, dev);
	if (t)
		fail("%s: %s on %s is on device %u:%u, stacked above swapcache target %s: its extents are offsets on that device, not on the target, so they cannot be warmed; warm needs a filesystem mounted directly on a target",
		     path, m.fstype, m.point, major(dev), minor(dev), t->name);
	else
		fail("%s: %s on %s (%u:%u) is not on a swapcache target%s",
		     path, m.fstype, m.point, major(dev), minor(dev),
		     ntargets ? "" : " (there is none: see swapcachectl(8) to create one)");
	return false;
}

static int add_blocks(struct plan *p, const struct sc_blocks *b)
{
	if (p->n == p->cap) {
		size_t cap = p->cap ? 2 * p->cap : 64;
		struct sc_blocks *grown = realloc(p->b, cap * sizeof(*grown));

		if (!grown)
			return -ENOMEM;
		p->b = grown;
		p->cap = cap;
	}
	p->b[p->n++] = *b;
	return 0;
}

struct file {
	dev_t dev;
	uint64_t size;
};

/* One extent: skipped with its reason, or its blocks in each target's plan. */
static int add_extent(const struct fiemap_extent *e, void *arg)
{
	const struct file *f = arg;
	uint64_t pages = sc_extent_pages(e->fe_logical, e->fe_length, f->size);
	int why = sc_extent_skip(e->fe_flags);
	bool placed_any = false;
	struct sc_blocks b;
	size_t i;

	if (why >= 0) {
		sum.skipped[why] += pages;
		return 0;
	}
	for (i = 0; i < ntargets; i++) {
		if (targets[i].dev != f->dev ||
		    !sc_extent_blocks(e->fe_physical, e->fe_length,
				      targets[i].start, targets[i].length, &b))
			continue;
		if (add_blocks(&plans[i], &b))
			return -ENOMEM;
		placed_any = true;
	}
	if (placed_any)
		sum.extents++;
	else
		sum.outside += pages;
	return 0;
}

/*
 * Warm the regular file the walk found at @path, with @st.  The path is
 * looked up again to open it, and what it names then may be another file
 * (replaced, or a directory above it swapped for a symlink): only the very
 * file the walk saw is opened, and only if it is a regular file.
 */
static void warm_file(const char *path, const struct stat *st)
{
	struct file f = { st->st_dev, st->st_size };
	struct stat now;
	int pfd, fd, r;

	pfd = sc_open_path(path, O_NOFOLLOW, &now);
	if (pfd < 0) {
		fail("%s: %s", path, strerror(-pfd));
		return;
	}
	if (!S_ISREG(now.st_mode) || now.st_dev != st->st_dev ||
	    now.st_ino != st->st_ino) {
		fail("%s: changed while it was walked (replaced, or a directory above it moved): not warmed",
		     path);
		close(pfd);
		return;
	}
	fd = sc_reopen(pfd, O_RDONLY | O_NONBLOCK);
	close(pfd);
	if (fd < 0) {
		fail("%s: %s", path, strerror(-fd));
		return;
	}
	r = sc_fiemap(fd, st->st_size, add_extent, &f);
	close(fd);
	if (r == -ENOMEM)
		fail("out of memory");
	else if (r)
		fail("%s: FIEMAP: %s: its filesystem does not say where its blocks are",
		     path, strerror(-r));
	else
		sum.files++;
}

/* Regular files below a directory, on its filesystem only (FTW_MOUNT). */
static int walk_one(const char *path, const struct stat *st, int type,
		    struct FTW *ftw)
{
	(void)ftw;
	if (type == FTW_F && S_ISREG(st->st_mode))
		warm_file(path, st);
	else if (type == FTW_DNR)
		fail("%s: cannot read this directory: the files below it are not warmed",
		     path);
	else if (type == FTW_NS)
		fail("%s: cannot stat it", path);
	return 0;
}

static void warm_path(const char *path)
{
	char real[PATH_MAX];
	struct stat st;

	if (stat(path, &st) || !realpath(path, real)) {
		fail("%s: %s", path, strerror(errno));
		return;
	}
	if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode)) {
		fail("%s: not a regular file or a directory", path);
		return;
	}
	if (!placed(path, real, st.st_dev))
		return;
	if (S_ISREG(st.st_mode))
		warm_file(real, &st);
	else if (nftw(real, walk_one, 32, FTW_PHYS | FTW_MOUNT))
		fail("%s: cannot walk it: %s", path, strerror(errno));
}

static const char *message_hint(int e)
{
	switch (e) {
	case EINVAL:
		return "the target refused the range (did its table change meanwhile? see dmesg)";
	case EBUSY:
		return "the device was suspended meanwhile; warm again once it is resumed";
	case EIO:
		return "an origin or SSD I/O failed, or the target is degraded: see dmesg and `swapcachectl status`";
	case EINTR:
		return "interrupted";
	case ENXIO:
		return "the device is gone";
	case EPERM:
	case EACCES:
		return "run as root";
	}
	return "see dmesg";
}

/* The target's written counter now, re-read; false if it is gone. */
static bool written_now(const struct sc_target *t, uint64_t *written)
{
	struct sc_target *now;
	size_t n, i;
	char why[512];
	bool found = false;

	if (sc_targets(&now, &n, why, sizeof(why)))
		return false;
	for (i = 0; i < n && !found; i++)
		if (!strcmp(now[i].name, t->name) &&
		    now[i].segment == t->segment) {
			*written = now[i].st.written;
			found = true;
		}
	free(now);
	return found;
}

/*
 * Send one target's plan.  Return: -EINTR when interrupted (the caller
 * stops), 0 otherwise; a failed message ends this target's messages.
 */
static int send_plan(const struct sc_target *t, const struct plan *p,
		     uint64_t *written)
{
	uint64_t before = 0, after = 0;
	char label[160], text[64];
	size_t i;
	int r = 0;

	sc_target_label(label, sizeof(label), t);
	if (!written_now(t, &before))
		before = t->st.written;
	for (i = 0; i < p->n; i++) {
		uint64_t start, count;

		sc_blocks_sectors(&p->b[i], &start, &count);
		snprintf(text, sizeof(text), "warm %" PRIu64 " %" PRIu64,
			 start, count);
		r = sc_target_message(t, text);
		if (r) {
			fail("%s: message '%s' failed: %s; %s", label, text,
			     strerror(-r), message_hint(-r));
			break;
		}
	}
	*written = written_now(t, &after) && after >= before ? after - before : 0;
	return r == -EINTR ? r : 0;
}

static void print_planned(const struct sc_target *t, const struct plan *p)
{
	size_t i;

	for (i = 0; i < p->n; i++) {
		uint64_t start, count;

		sc_blocks_sectors(&p->b[i], &start, &count);
		if (json) {
			fputs("{\"target\":", stdout);
			sc_json_string(stdout, t->name);
			printf(",\"sector\":%" PRIu64 ",\"start_sector\":%" PRIu64 ",\"nr_sectors\":%" PRIu64 "}",
			       t->start, start, count);
		} else {
			fputs("dmsetup message ", stdout);
			sc_shell_word(stdout, t->name);
			printf(" %" PRIu64 " warm %" PRIu64 " %" PRIu64 "\n",
			       t->start, start, count);
		}
		if (json && i + 1 < p->n)
			putchar(',');
	}
}

static void print_written(const struct sc_target *t, const struct plan *p,
			  uint64_t written)
{
	char label[160];

	sc_target_label(label, sizeof(label), t);
	printf("  %s: %" PRIu64 " pages requested in %" PRIu64 " messages, written grew by %" PRIu64 " pages",
	       label, p->pages, (uint64_t)p->n, written);
	if (written < p->pages)
		printf(" (fewer: blocks cached already are not written again, clusters with a write in flight are skipped, and warm stops at the high watermark, maxswappct percent of the slabs)");
	else if (written > p->pages)
		printf(" (more: the thread cached pages meanwhile)");
	putchar('\n');
}

static void print_summary(const uint64_t *written)
{
	size_t i;
	int why;

	printf("warm%s: %" PRIu64 " files, %" PRIu64 " extents, %.1f MiB requested (%" PRIu64 " pages), %" PRIu64 " messages\n",
	       dry_run ? " (dry run, nothing sent)" : "", sum.files,
	       sum.extents, (double)sum.pages * SC_PAGE / (1 << 20),
	       sum.pages, sum.messages);
	for (why = 0; why < SC_NR_SKIPS; why++)
		if (sum.skipped[why])
			printf("  skipped %" PRIu64 " pages %s\n",
			       sum.skipped[why], sc_skip_reason(why));
	if (sum.outside)
		printf("  skipped %" PRIu64 " pages on parts of the device that no swapcache target maps\n",
		       sum.outside);
	if (!dry_run)
		for (i = 0; i < ntargets; i++)
			if (plans[i].n)
				print_written(&targets[i], &plans[i], written[i]);
}

static void json_summary(const uint64_t *written)
{
	bool first = true;
	size_t i;
	int why;

	printf("{\"dry_run\":%s,\"files\":%" PRIu64 ",\"extents\":%" PRIu64 ",\"requested_pages\":%" PRIu64 ",\"requested_bytes\":%" PRIu64 ",\"messages\":%" PRIu64 ",\"errors\":%d,\"skipped_pages\":{",
	       dry_run ? "true" : "false", sum.files, sum.extents, sum.pages,
	       sum.pages * SC_PAGE, sum.messages, sum.errors);
	for (why = 0; why < SC_NR_SKIPS; why++)
		printf("\"%s\":%" PRIu64 ",", sc_skip_key(why), sum.skipped[why]);
	printf("\"outside_targets\":%" PRIu64 "},\"targets\":[", sum.outside);
	for (i = 0; i < ntargets; i++) {
		if (!plans[i].n)
			continue;
		printf("%s{\"name\":", first ? "" : ",");
		sc_json_string(stdout, targets[i].name);
		printf(",\"segment\":%u,\"messages\":%" PRIu64 ",\"requested_pages\":%" PRIu64 ",\"written_pages\":",
		       targets[i].segment, (uint64_t)plans[i].n, plans[i].pages);
		if (dry_run)
			fputs("null,\"planned\":[", stdout);
		else
			printf("%" PRIu64, written[i]);
		if (dry_run) {
			print_planned(&targets[i], &plans[i]);
			putchar(']');
		}
		putchar('}');
		first = false;
	}
	puts("]}");
}

static const struct option warm_opts[] = {
	{ "dry-run", no_argument, NULL, 'n' },
	{ "json", no_argument, NULL, 'j' },
	{ NULL, 0, NULL, 0 },
};

/* Merge each target's ranges, count what will be sent. */
static void plan_all(void)
{
	size_t i, j;

	for (i = 0; i < ntargets; i++) {
		struct plan *p = &plans[i];

		p->n = sc_blocks_merge(p->b, p->n);
		for (j = 0; j < p->n; j++)
			p->pages += p->b[j].count;
		sum.pages += p->pages;
		sum.messages += p->n;
	}
}

static int run(char **paths, int npaths)
{
	uint64_t *written;
	char why[512];
	size_t i;
	int k;

	if (sc_targets(&targets, &ntargets, why, sizeof(why))) {
		sc_err("%s", why);
		return 1;
	}
	plans = calloc(ntargets ? ntargets : 1, sizeof(*plans));
	written = calloc(ntargets ? ntargets : 1, sizeof(*written));
	if (!plans || !written) {
		sc_err("out of memory");
		return 1;
	}
	for (k = 0; k < npaths; k++)
		warm_path(paths[k]);
	plan_all();
	for (i = 0; i < ntargets; i++) {
		if (!plans[i].n)
			continue;
		if (dry_run && !json)
			print_planned(&targets[i], &plans[i]);
		if (!dry_run && send_plan(&targets[i], &plans[i], &written[i]))
			break;
	}
	if (json)
		json_summary(written);
	else
		print_summary(written);
	for (i = 0; i < ntargets; i++)
		free(plans[i].b);
	free(plans);
	free(written);
	free(targets);
	return sum.errors ? 1 : 0;
}

int cmd_warm(int argc, char **argv)
{
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "+n", warm_opts, NULL)) != -1) {
		if (c == 'n')
			dry_run = true;
		else if (c == 'j')
			json = true;
		else
			return sc_bad_usage("warm: unknown option %s", argv[optind - 1]);
	}
	if (optind == argc)
		return sc_bad_usage("warm needs at least one PATH");
	if (!have_sys_admin()) {
		sc_err("warm needs root: it sends device-mapper messages, which need CAP_SYS_ADMIN (dry runs too: listing the targets does)");
		return 1;
	}
	if (sc_need_module())
		return 1;
	return run(argv + optind, argc - optind);
}
