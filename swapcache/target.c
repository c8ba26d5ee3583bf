// SPDX-License-Identifier: GPL-2.0
/*
 * The device-mapper target: its constructor and destructor, map and
 * end_io, suspend and resume, status and messages.  Each operation does
 * its own dispatching; the mechanisms it calls live in the file named for
 * them (path.c, guard.c, fill.c, maplock.c).
 */
#include <linux/blkdev.h>
#include <linux/bio.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/workqueue.h>

#include "compat.h"
#include "swapcache.h"
#include "watermark.h"

/*----------------------------------------------------------------*/

/* Constructor and destructor */

/*
 * The cache devices in use, through the targets that hold them, with
 * their origins: a cache may not be another target's origin either.  dm core
 * opens every device with one holder for all mapped devices, so nothing
 * below us stops two mapped devices from sharing an SSD, each overwriting
 * the other's slabs and then serving the other's data.  Two targets of the
 * same mapped device in different tables may share one: the table being
 * loaded and the live one it is to replace, which writes nothing to the
 * SSD until it is resumed (see sc_setup()), by then after the old
 * one's postsuspend.
 */
static LIST_HEAD(sc_cache_users);
static DEFINE_MUTEX(sc_cache_users_lock);	/* protects sc_cache_users */

static bool sc_devices_overlap(struct block_device *a, struct block_device *b)
{
	return a == b || bdev_whole(a) == b || bdev_whole(b) == a;
}

/*
 * Whether one of two targets' cache is the other's origin, so that its
 * SSD writes land on data the other serves.  (Origins may be shared, as
 * with any dm target: nothing but the user writes them.)
 */
static bool sc_devices_crossed(const struct sc_target *other,
			       const struct sc_target *sc)
{
	return sc_devices_overlap(other->cache->bdev, sc->origin->bdev) ||
	       sc_devices_overlap(other->origin->bdev, sc->cache->bdev);
}

/* Process context, sleeps; undone by sc_release_cache(). */
static int sc_claim_cache(struct dm_target *ti, struct sc_target *sc)
{
	struct sc_target *other;
	int r = 0;

	mutex_lock(&sc_cache_users_lock);
	list_for_each_entry(other, &sc_cache_users, cache_entry) {
		bool same_cache = sc_devices_overlap(other->cache->bdev,
						     sc->cache->bdev);

		if (!same_cache && !sc_devices_crossed(other, sc))
			continue;
		if (other->md != sc->md) {
			ti->error = same_cache ?
				"Cache device is in use by another mapped device" :
				"Cache or origin device is another mapped device's origin or cache";
			r = -EBUSY;
			break;
		}
		if (other->ti->table == ti->table) {
			ti->error = same_cache ?
				"Cache device is used twice in one table" :
				"Cache or origin device is crossed in this table";
			r = -EINVAL;
			break;
		}
	}
	if (!r)
		list_add(&sc->cache_entry, &sc_cache_users);
	mutex_unlock(&sc_cache_users_lock);
	return r;
}

/* Under the lock: a neighbour's list_add() or list_del() writes our links. */
static void sc_release_cache(struct sc_target *sc)
{
	mutex_lock(&sc_cache_users_lock);
	list_del_init(&sc->cache_entry);
	mutex_unlock(&sc_cache_users_lock);
}

/* Undoes sc_ctr(), or the part of it that was done. */
static void sc_destroy(struct sc_target *sc)
{
	sc_release_cache(sc);
	sc_fill_destroy(sc);
	if (sc->wq)
		destroy_workqueue(sc->wq);
	sc_verify_destroy(sc);
	sc_cache_destroy(sc);
	sc_persist_destroy(sc);
	if (sc->cache)
		dm_put_device(sc->ti, sc->cache);
	if (sc->origin)
		dm_put_device(sc->ti, sc->origin);
	free_percpu(sc->stats);
	kvfree(sc);
}

/* What to tell the administrator when one of the two devices won't open. */
struct sc_dev_errors {
	char *missing;
	char *not_block;
	char *other;
};

static const struct sc_dev_errors sc_origin_errors = {
	.missing = "Origin device not found",
	.not_block = "Origin device is not a block device",
	.other = "Cannot open origin device",
};

static const struct sc_dev_errors sc_cache_errors = {
	.missing = "Cache device not found",
	.not_block = "Cache device is not a block device",
	.other = "Cannot open cache device",
};

/*
 * dm_get_device() reports a missing path and a regular file alike (6.1
 * returns -ENODEV for both), so ask the VFS first to tell them apart.
 */
static int sc_open_dev(struct dm_target *ti, const char *path, bool writable,
		       struct dm_dev **dev, const struct sc_dev_errors *errors)
{
	unsigned int major, minor;
	dev_t devt;
	char dummy;
	int r;

	if (sscanf(path, "%u:%u%c", &major, &minor, &dummy) != 2) {
		r = lookup_bdev(path, &devt);
		if (r) {
			ti->error = r == -ENOTBLK ? errors->not_block :
						    errors->missing;
			return r;
		}
	}

	if (writable)
		r = dm_get_device(ti, path,
				  dm_table_get_mode(ti->table) | BLK_OPEN_WRITE,
				  dev);
	else
		r = dm_get_device(ti, path, dm_table_get_mode(ti->table), dev);
	if (r == -ENODEV || r == -ENXIO)
		ti->error = errors->missing;
	else if (r)
		ti->error = errors->other;
	return r;
}

/*
 * Optional arguments: "persistent" and "verify", each at most once, in any
 * order, any case.  A count of 0 is accepted and echoed back.
 */
static int sc_parse_opt_args(struct sc_target *sc, struct dm_arg_set *as,
			     char **error)
{
	static const struct dm_arg opt_count = {
		0, UINT_MAX, "Invalid number of optional arguments"
	};
	unsigned int count;
	const char *arg;
	int r;

	if (!as->argc)
		return 0;
	r = dm_read_arg(&opt_count, as, &count, error);
	if (r)
		return r;
	if (count != as->argc) {
		*error = "Optional argument count does not match the arguments given";
		return -EINVAL;
	}
	while (as->argc) {
		arg = dm_shift_arg(as);
		if (!strcasecmp(arg, "persistent")) {
			if (sc->persistent) {
				*error = "Duplicate optional argument: persistent";
				return -EINVAL;
			}
			sc->persistent = true;
			continue;
		}
		if (strcasecmp(arg, "verify")) {
			*error = "Unknown optional argument";
			return -EINVAL;
		}
		if (sc->verify) {
			*error = "Duplicate optional argument: verify";
			return -EINVAL;
		}
		sc->verify = true;
	}
	sc->explicit_opt_count = true;
	return 0;
}

static int sc_check_devices(struct dm_target *ti, struct sc_target *sc)
{
	struct block_device *origin = sc->origin->bdev;
	struct block_device *cache = sc->cache->bdev;

	if (sc_devices_overlap(origin, cache)) {
		ti->error = "Origin and cache are the same device";
		return -EINVAL;
	}
	/*
	 * Zone resets and finishes carry no sectors, so they would pass the
	 * write guards and the invalidation; and zones must be written in
	 * order, which the slab writes are not.
	 */
	if (bdev_is_zoned(origin)) {
		ti->error = "Origin device is zoned";
		return -EINVAL;
	}
	if (bdev_is_zoned(cache)) {
		ti->error = "Cache device is zoned";
		return -EINVAL;
	}
	if (bdev_nr_sectors(cache) < SC_CACHE_MIN_SECTORS) {
		ti->error = "Cache device is smaller than 1 MiB";
		return -EINVAL;
	}
	if (bdev_logical_block_size(cache) > (1U << SC_BLOCK_SHIFT)) {
		ti->error = "Cache device's logical block size exceeds 4096 bytes";
		return -EINVAL;
	}
	if (ti->len > bdev_nr_sectors(origin)) {
		ti->error = "Target length exceeds the origin device's size";
		return -EINVAL;
	}
	if (ti->len >> SC_SECTOR_SHIFT_BLOCK >= SC_MAP_MAX_OBLOCKS) {
		ti->error = "Target length exceeds 4 PiB";
		return -EINVAL;
	}
	return 0;
}

/* The cache's machinery, for sc_ctr(): sleeps; sc_destroy() undoes it. */
static int sc_setup(struct sc_target *sc, char **error)
{
	int r;

	BUILD_BUG_ON(PAGE_SIZE != 1 << SC_BLOCK_SHIFT);
	/*
	 * A table being loaded may share its SSD with the live one it is to
	 * replace: nothing may be written to it before it is resumed.
	 */
	set_bit(SC_SUSPENDED, &sc->flags);
	sc_path_init(sc);
	r = sc_fill_create(sc, error);
	if (r)
		return r;
	r = sc_persist_create(sc, error);
	if (r)
		return r;
	r = sc_cache_create(sc, error);
	if (r)
		return r;
	/* The doorkeeper's window: about the SSD's worth of misses. */
	sc_door_init(&sc->door, min_t(u64, (u64)sc->nr_data_slabs * SC_SLAB_SIZE,
				      U32_MAX));
	r = sc_verify_create(sc, error);
	if (r)
		return r;
	sc->wq = alloc_workqueue("swapcache-retry",
				 WQ_MEM_RECLAIM | WQ_UNBOUND, 0);
	if (!sc->wq) {
		*error = "Cannot allocate a workqueue";
		return -ENOMEM;
	}
	return 0;
}

/*
 * Construct a swapcache target:
 *
 *	<origin_dev> <cache_dev> [<#opt_args> <opt_arg>...]
 */
static int sc_ctr(struct dm_target *ti, unsigned int argc, char **argv)
{
	struct dm_arg_set as = { .argc = argc, .argv = argv };
	struct sc_target *sc;
	int r;

	if (argc < 2) {
		ti->error = "Too few arguments: need <origin_dev> <cache_dev>";
		return -EINVAL;
	}

	sc = kvzalloc(sizeof(*sc), GFP_KERNEL);
	if (!sc) {
		ti->error = "Cannot allocate swapcache context";
		return -ENOMEM;
	}
	sc->ti = ti;
	sc_ghosts_init(&sc->ghosts, SC_GHOST_TURN);
	spin_lock_init(&sc->focus_lock);
	sc->md = dm_table_get_md(ti->table);
	sc->md_mapping = sc_bdev_mapping(dm_disk(sc->md)->part0);
	INIT_LIST_HEAD(&sc->cache_entry);

	dm_consume_args(&as, 2);
	r = sc_parse_opt_args(sc, &as, &ti->error);
	if (r)
		goto bad;

	r = sc_open_dev(ti, argv[0], false, &sc->origin, &sc_origin_errors);
	if (r)
		goto bad;
	/* The SSD is written even when the table (and origin) is read-only. */
	r = sc_open_dev(ti, argv[1], true, &sc->cache, &sc_cache_errors);
	if (r)
		goto bad;
	r = sc_check_devices(ti, sc);
	if (r)
		goto bad;
	r = sc_claim_cache(ti, sc);
	if (r)
		goto bad;

	sc->stats = alloc_percpu(struct sc_stats);
	if (!sc->stats) {
		ti->error = "Cannot allocate counters";
		r = -ENOMEM;
		goto bad;
	}
	r = sc_setup(sc, &ti->error);
	if (r)
		goto bad;

	ti->num_flush_bios = 1;
	ti->num_discard_bios = 1;
	ti->num_secure_erase_bios = 1;
	ti->num_write_zeroes_bios = 1;
	ti->per_io_data_size = sizeof(struct sc_bio);
	/*
	 * A deferred write is accounted when the worker issues it with
	 * dm_submit_bio_remap(), not also by dm core at map time, racing it.
	 */
	ti->accounts_remapped_io = true;
	ti->private = sc;
	r = sc_scan_register(sc);
	if (r) {
		ti->error = "Cannot allocate the group memo";
		goto bad;
	}
	return 0;

bad:
	sc_destroy(sc);
	return r;
}

static void sc_dtr(struct dm_target *ti)
{
	struct sc_target *sc = ti->private;

	sc_scan_unregister(sc);
	sc_persist_release(sc);
	sc_destroy(sc);
}

/*----------------------------------------------------------------*/

/* I/O */

/*
 * A read may be redirected to the SSD and cut short with
 * dm_accept_partial_bio(); a write-like bio (write, discard, write-zeroes,
 * secure erase) drops the cached blocks it overlaps before it is issued,
 * here or, when it is long, from a work item that then issues it.  Must
 * not sleep.
 */
static int sc_map(struct dm_target *ti, struct bio *bio)
{
	struct sc_target *sc = ti->private;
	struct sc_bio *pb = dm_per_bio_data(bio, sizeof(*pb));
	sc_oblock_t first, last;
	u64 count;

	bio_set_dev(bio, sc->origin->bdev);
	pb->kind = SC_BIO_PASS;
	if (!bio_sectors(bio))
		return DM_MAPIO_REMAPPED;	/* an empty flush */
	bio->bi_iter.bi_sector = dm_target_offset(ti, bio->bi_iter.bi_sector);
	first = sc_block(bio->bi_iter.bi_sector);
	last = sc_block(bio_end_sector(bio) - 1);
	count = from_oblock(last) - from_oblock(first) + 1;
	if (bio_op(bio) == REQ_OP_READ) {
		if (sc_get(SC_READ_ENABLE) && READ_ONCE(sc->map.nr_cached) &&
		    !test_bit(SC_DEGRADED, &sc->flags))
			sc_read_route(sc, bio, pb, first, last);
		else
			sc_read_missed(sc, bio, first, count);
		if (pb->kind == SC_BIO_PASS && sc_get(SC_META_ENABLE) &&
		    !test_bit(SC_DEGRADED, &sc->flags))
			sc_meta_read_start(sc, bio, pb);
		return DM_MAPIO_REMAPPED;
	}
	if (!op_is_write(bio_op(bio)))
		return DM_MAPIO_REMAPPED;

	pb->kind = SC_BIO_WRITE;
	sc_count(sc, SC_STAT_ORIGIN_WRITES, count);
	pb->region_first = sc_oblock_region(first);
	pb->region_last = sc_oblock_region(last);
	sc_guards_enter(sc, pb->region_first, pb->region_last);
	if (READ_ONCE(sc->map.nr_cached))
		return sc_write_invalidate(sc, bio, first, count);
	return DM_MAPIO_REMAPPED;
}

/*
 * Runs in interrupt context: must not sleep or take the map lock.  A
 * failed SSD read is hidden from the user: it is reissued to the origin
 * from a workqueue (DM_ENDIO_INCOMPLETE).
 */
static int sc_end_io(struct dm_target *ti, struct bio *bio,
		     blk_status_t *error)
{
	struct sc_target *sc = ti->private;
	struct sc_bio *pb = dm_per_bio_data(bio, sizeof(*pb));

	switch (pb->kind) {
	case SC_BIO_WRITE:
		sc_guards_exit(sc, pb->region_first, pb->region_last);
		break;
	case SC_BIO_META_READ:
		if (!*error)
			sc_meta_read_done(sc, bio, pb);
		break;
	case SC_BIO_SSD_READ:
		/*
		 * Checked before the slab may be rewritten: a reader holds
		 * it, and a read that failed its check keeps holding it for
		 * sc_verify_recheck().
		 */
		if (!*error && !sc_verify_read(sc, bio, pb)) {
			pb->bad_sum = true;
			*error = BLK_STS_IOERR;
		} else {
			sc_slab_read_done(sc, pb->slab);
		}
		if (!*error)
			break;
		sc_retry_later(sc, bio);
		return DM_ENDIO_INCOMPLETE;
	}
	return DM_ENDIO_DONE;
}

/*----------------------------------------------------------------*/

/* Suspend and resume */

/*
 * A warm runs inside dm's message ioctl, which holds the table's SRCU read
 * lock that suspend waits for; making it stop at its next cluster keeps a
 * suspend from waiting for a whole warm.  The thread and the cleaner stop
 * too.  Also the presuspend_undo of an abandoned suspend, undone by
 * sc_resume().  Does not sleep.
 */
static void sc_presuspend(struct dm_target *ti)
{
	struct sc_target *sc = ti->private;

	set_bit(SC_SUSPENDED, &sc->flags);
}

/*
 * Drain background SSD work.  dm core has already waited for every mapped
 * bio, including reissued SSD reads and deferred writes (but not when the
 * device is removed: then nothing has it open); what may be left is a
 * warm, the thread finishing a cluster's SSD write or the cleaner a
 * tick's discards (both under insert_lock), the retry work, the deferred
 * writes' invalidations and the emptying of the map after a switch to
 * degraded mode.  Then, with the persistent option, the map is quiet and
 * checkpointed.  Sleeps.
 */
static void sc_postsuspend(struct dm_target *ti)
{
	struct sc_target *sc = ti->private;

	mutex_lock(&sc->warm_lock);
	mutex_unlock(&sc->warm_lock);
	mutex_lock(&sc->insert_lock);
	mutex_unlock(&sc->insert_lock);
	flush_workqueue(sc->wq);
	sc_persist_checkpoint(sc);
}

/*
 * Before the first bio passes: the cache device's header says open from
 * now on (persist.c).  Sleeps; may refuse the resume.
 */
static int sc_preresume(struct dm_target *ti)
{
	return sc_persist_open(ti->private);
}

/* Allow background SSD writes again. */
static void sc_resume(struct dm_target *ti)
{
	struct sc_target *sc = ti->private;

	clear_bit(SC_SUSPENDED, &sc->flags);
}

/*----------------------------------------------------------------*/

/* Status, messages, limits */

static void sc_sum_stats(struct sc_target *sc, u64 *sum)
{
	int cpu, i;

	memset(sum, 0, sizeof(u64) * SC_NR_STATS);
	for_each_possible_cpu(cpu)
		for (i = 0; i < SC_NR_STATS; i++)
			sum[i] += READ_ONCE(per_cpu_ptr(sc->stats, cpu)->count[i]);
}

static void sc_status(struct dm_target *ti, status_type_t type,
		      unsigned int status_flags, char *result,
		      unsigned int maxlen)
{
	struct sc_target *sc = ti->private;
	u64 sum[SC_NR_STATS];
	unsigned int sz = 0;

	switch (type) {
	case STATUSTYPE_INFO:
		sc_sum_stats(sc, sum);
		DMEMIT("cache_pages=%u/%u read_hits=%llu read_misses=%llu",
		       READ_ONCE(sc->map.nr_cached), sc->map.nr_slots,
		       sum[SC_STAT_READ_HITS], sum[SC_STAT_READ_MISSES]);
		DMEMIT(" written=%llu evicted=%llu invalidated=%llu ssd_errors=%llu",
		       sum[SC_STAT_WRITTEN], sum[SC_STAT_EVICTED],
		       sum[SC_STAT_INVALIDATED], sum[SC_STAT_SSD_ERRORS]);
		DMEMIT(" state=%s burst=%s mode=%s restored=%u",
		       READ_ONCE(sc->water) == SC_WATER_CLEANING ?
		       "cleaning" : "writing",
		       sc_scan_bursting() ? "bursting" : "recovering",
		       test_bit(SC_DEGRADED, &sc->flags) ? "degraded" : "ok",
		       READ_ONCE(sc->restored));
		break;
	case STATUSTYPE_TABLE:
		DMEMIT("%s %s", sc->origin->name, sc->cache->name);
		if (sc->explicit_opt_count)
			DMEMIT(" %u%s%s", sc->persistent + sc->verify,
			       sc->persistent ? " persistent" : "",
			       sc->verify ? " verify" : "");
		break;
	case STATUSTYPE_IMA:
		DMEMIT_TARGET_NAME_VERSION(ti->type);
		DMEMIT(",origin_name=%s,cache_name=%s", sc->origin->name,
		       sc->cache->name);
		DMEMIT(",persistent=%c,verify=%c;", sc->persistent ? 'y' : 'n',
		       sc->verify ? 'y' : 'n');
		break;
	}
}

/* A sector number, strictly decimal, as dmsetup passes it. */
static int sc_parse_sector(const char *text, sector_t *sector)
{
	unsigned long long value;

	if (kstrtoull(text, 10, &value) || value != (sector_t)value)
		return -EINVAL;
	*sector = value;
	return 0;
}

static int sc_message_warm(struct sc_target *sc, unsigned int argc,
			   char **argv)
{
	const char *dev = dm_table_device_name(sc->ti->table);
	sector_t start, count;

	if (argc != 3 || sc_parse_sector(argv[1], &start) ||
	    sc_parse_sector(argv[2], &count)) {
		DMWARN("%s: usage: warm <start_sector> <nr_sectors>", dev);
		return -EINVAL;
	}
	if (!count || start >= sc->ti->len || count > sc->ti->len - start) {
		DMWARN("%s: warm: range %llu+%llu is empty or beyond the device's %llu sectors",
		       dev, (unsigned long long)start,
		       (unsigned long long)count,
		       (unsigned long long)sc->ti->len);
		return -EINVAL;
	}
	return sc_warm(sc, start, count);
}

static int sc_message(struct dm_target *ti, unsigned int argc, char **argv,
		      char *result, unsigned int maxlen)
{
	struct sc_target *sc = ti->private;
	const char *dev = dm_table_device_name(ti->table);

	if (!argc)
		return -EINVAL;
	if (!strcasecmp(argv[0], "invalidate")) {
		if (argc != 1) {
			DMWARN("%s: invalidate takes no arguments", dev);
			return -EINVAL;
		}
		sc_persist_skip_restore(sc);
		sc_invalidate_all(sc);
		if (sc_persist_dirty(sc)) {
			DMERR("%s: invalidate: cannot reopen the header; checkpoint may be trusted",
			      dev);
			return -EIO;
		}
		return 0;
	}
	if (!strcasecmp(argv[0], "warm"))
		return sc_message_warm(sc, argc, argv);
	DMWARN("%s: unrecognised message '%s'", dev, argv[0]);
	return -EINVAL;
}

static int sc_iterate_devices(struct dm_target *ti,
			      iterate_devices_callout_fn fn, void *data)
{
	struct sc_target *sc = ti->private;

	/*
	 * Only the origin: its limits and features are what the filesystem
	 * sees, as with dm-cache and dm-writecache.  What the SSD needs is
	 * added in sc_io_hints().
	 */
	return fn(ti, sc->origin, 0, ti->len, data);
}

static void sc_io_hints(struct dm_target *ti, struct queue_limits *limits)
{
	struct sc_target *sc = ti->private;
	unsigned int cache_lbs = bdev_logical_block_size(sc->cache->bdev);

	/*
	 * A read of a cached block is served by the SSD, so no read may be
	 * smaller than the SSD can address.
	 */
	if (limits->logical_block_size < cache_lbs) {
		limits->logical_block_size = cache_lbs;
		limits->physical_block_size =
			max(limits->physical_block_size, cache_lbs);
		limits->io_min = max(limits->io_min, cache_lbs);
	}
}

struct target_type sc_target_type = {
	.name = "swapcache",
	.version = {0, 3, 0},
	.module = THIS_MODULE,
	.ctr = sc_ctr,
	.dtr = sc_dtr,
	.map = sc_map,
	.end_io = sc_end_io,
	.presuspend = sc_presuspend,
	.presuspend_undo = sc_resume,
	.postsuspend = sc_postsuspend,
	.preresume = sc_preresume,
	.resume = sc_resume,
	.status = sc_status,
	.message = sc_message,
	.iterate_devices = sc_iterate_devices,
	.io_hints = sc_io_hints,
};
