// SPDX-License-Identifier: GPL-2.0
/*
 * swapcache: the device-mapper target, the module parameters and the
 * module's lifecycle.  The design essay is in swapcache.h.
 */
#include <linux/blkdev.h>
#include <linux/bio.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/reboot.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "compat.h"
#include "swapcache.h"
#include "watermark.h"

/*----------------------------------------------------------------*/

/* Module parameters */

atomic64_t sc_tunable_values[SC_NR_TUNABLES];

/*
 * Which parameters were given at load; the rest get their defaults from
 * the rules table when the module initialises, so that the defaults are
 * written down once, in tunables.c.
 */
static bool sc_tunable_given[SC_NR_TUNABLES];

static enum sc_tunable sc_param_id(const struct kernel_param *kp)
{
	return (atomic64_t *)kp->arg - sc_tunable_values;
}

static int sc_param_set(const char *val, const struct kernel_param *kp)
{
	enum sc_tunable id = sc_param_id(kp);
	s64 value;
	int r;

	r = sc_tunable_parse(id, val, &value);
	if (r) {
		pr_warn_ratelimited("swapcache: %s: '%s' refused (valid: %lld..%lld)\n",
				    sc_tunables[id].name, val,
				    sc_tunables[id].min, sc_tunables[id].max);
		return r;
	}
	atomic64_set(&sc_tunable_values[id], value);
	sc_tunable_given[id] = true;
	if (value)
		sc_scan_kick();
	return 0;
}

static int sc_param_get(char *buffer, const struct kernel_param *kp)
{
	return sysfs_emit(buffer, "%lld\n", sc_get(sc_param_id(kp)));
}

static const struct kernel_param_ops sc_param_ops = {
	.set = sc_param_set,
	.get = sc_param_get,
};

#define SC_PARAM(name, id) \
	module_param_cb(name, &sc_param_ops, &sc_tunable_values[id], 0644)

SC_PARAM(read_enable, SC_READ_ENABLE);
MODULE_PARM_DESC(read_enable, "route reads of cached blocks to the SSD (0/1)");
SC_PARAM(data_enable, SC_DATA_ENABLE);
MODULE_PARM_DESC(data_enable, "cache file data (0/1)");
SC_PARAM(meta_enable, SC_META_ENABLE);
MODULE_PARM_DESC(meta_enable, "cache filesystem metadata (0/1)");
SC_PARAM(use_chflags, SC_USE_CHFLAGS);
MODULE_PARM_DESC(use_chflags, "cache data only from files opted in with user.swapcache=1 (0/1)");
SC_PARAM(maxfilesize, SC_MAXFILESIZE);
MODULE_PARM_DESC(maxfilesize, "skip files larger than this, bytes (0: no limit)");
SC_PARAM(maxlaunder, SC_MAXLAUNDER);
MODULE_PARM_DESC(maxlaunder, "pages examined per scan pass");
SC_PARAM(maxswappct, SC_MAXSWAPPCT);
MODULE_PARM_DESC(maxswappct, "high watermark, % of the SSD; cleaning stops 5 below");
SC_PARAM(hysteresis, SC_HYSTERESIS);
MODULE_PARM_DESC(hysteresis, "pages deactivated between scan passes (default: RAM/16)");
SC_PARAM(accrate, SC_ACCRATE);
MODULE_PARM_DESC(accrate, "burst budget refill rate, bytes/s");
SC_PARAM(minburst, SC_MINBURST);
MODULE_PARM_DESC(minburst, "budget needed to resume writing once spent, bytes");
SC_PARAM(curburst, SC_CURBURST);
MODULE_PARM_DESC(curburst, "current burst budget, bytes");
SC_PARAM(maxburst, SC_MAXBURST);
MODULE_PARM_DESC(maxburst, "burst budget refill cap, bytes");
SC_PARAM(write_count, SC_WRITE_COUNT);
MODULE_PARM_DESC(write_count, "bytes written to SSDs");

/*
 * At shutdown stop touching the SSDs before the devices go away, as
 * DragonFly's shutdown_swapcache() does.
 */
static int sc_shutdown_notify(struct notifier_block *nb, unsigned long action,
			      void *data)
{
	atomic64_set(&sc_tunable_values[SC_READ_ENABLE], 0);
	atomic64_set(&sc_tunable_values[SC_DATA_ENABLE], 0);
	atomic64_set(&sc_tunable_values[SC_META_ENABLE], 0);
	pr_info("swapcache: shutdown: read_enable=%lld data_enable=%lld meta_enable=%lld\n",
		sc_get(SC_READ_ENABLE), sc_get(SC_DATA_ENABLE),
		sc_get(SC_META_ENABLE));
	return NOTIFY_DONE;
}

static struct notifier_block sc_shutdown_nb = {
	.notifier_call = sc_shutdown_notify,
};

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
 * SSD until it is resumed (see sc_cache_create()), by then after the old
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

static void sc_destroy(struct sc_target *sc)
{
	sc_release_cache(sc);
	sc_cache_destroy(sc);
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
 * Optional arguments are reserved: "0" is accepted (and echoed back),
 * anything else refused.
 */
static int sc_parse_opt_args(struct sc_target *sc, struct dm_arg_set *as,
			     char **error)
{
	static const struct dm_arg opt_count = {
		0, UINT_MAX, "Invalid number of optional arguments"
	};
	unsigned int count;
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
	if (count) {
		*error = "Unknown optional argument";
		return -EINVAL;
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
	r = sc_cache_create(sc, &ti->error);
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
	sc_scan_register(sc);
	return 0;

bad:
	sc_destroy(sc);
	return r;
}

static void sc_dtr(struct dm_target *ti)
{
	struct sc_target *sc = ti->private;

	sc_scan_unregister(sc);
	sc_destroy(sc);
}

/*----------------------------------------------------------------*/

/* I/O */

static int sc_map(struct dm_target *ti, struct bio *bio)
{
	struct sc_target *sc = ti->private;

	bio_set_dev(bio, sc->origin->bdev);
	if (bio_sectors(bio))
		bio->bi_iter.bi_sector =
			dm_target_offset(ti, bio->bi_iter.bi_sector);
	return sc_cache_map(sc, bio);
}

static int sc_end_io(struct dm_target *ti, struct bio *bio,
		     blk_status_t *error)
{
	return sc_cache_end_io(ti->private, bio, error);
}

static void sc_presuspend(struct dm_target *ti)
{
	sc_cache_presuspend(ti->private);
}

static void sc_postsuspend(struct dm_target *ti)
{
	sc_cache_postsuspend(ti->private);
}

static void sc_resume(struct dm_target *ti)
{
	sc_cache_resume(ti->private);
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
		DMEMIT(" state=%s burst=%s mode=%s",
		       READ_ONCE(sc->water) == SC_WATER_CLEANING ?
		       "cleaning" : "writing",
		       sc_scan_bursting() ? "bursting" : "recovering",
		       test_bit(SC_DEGRADED, &sc->flags) ? "degraded" : "ok");
		break;
	case STATUSTYPE_TABLE:
		DMEMIT("%s %s%s", sc->origin->name, sc->cache->name,
		       sc->explicit_opt_count ? " 0" : "");
		break;
	case STATUSTYPE_IMA:
		DMEMIT_TARGET_NAME_VERSION(ti->type);
		DMEMIT(",origin_name=%s,cache_name=%s;", sc->origin->name,
		       sc->cache->name);
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
	return sc_cache_warm(sc, start, count);
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
		sc_cache_invalidate_all(sc);
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

static struct target_type sc_target_type = {
	.name = "swapcache",
	.version = {0, 2, 0},
	.module = THIS_MODULE,
	.ctr = sc_ctr,
	.dtr = sc_dtr,
	.map = sc_map,
	.end_io = sc_end_io,
	.presuspend = sc_presuspend,
	.presuspend_undo = sc_resume,
	.postsuspend = sc_postsuspend,
	.resume = sc_resume,
	.status = sc_status,
	.message = sc_message,
	.iterate_devices = sc_iterate_devices,
	.io_hints = sc_io_hints,
};

/*----------------------------------------------------------------*/

/* Module */

static int __init sc_init(void)
{
	enum sc_tunable id;
	int r;

	for (id = 0; id < SC_NR_TUNABLES; id++) {
		s64 value = sc_tunables[id].def;

		if (sc_tunable_given[id])
			continue;
		if (value == SC_HYSTERESIS_AUTO)
			value = sc_hysteresis_default(totalram_pages());
		atomic64_set(&sc_tunable_values[id], value);
	}

	r = sc_scan_start();
	if (r) {
		DMERR("cannot start swapcached: %d", r);
		return r;
	}
	r = register_reboot_notifier(&sc_shutdown_nb);
	if (r)
		goto stop;
	r = dm_register_target(&sc_target_type);
	if (r) {
		DMERR("cannot register the target: %d", r);
		goto unregister;
	}
	return 0;

unregister:
	unregister_reboot_notifier(&sc_shutdown_nb);
stop:
	sc_scan_stop();
	return r;
}

static void __exit sc_exit(void)
{
	dm_unregister_target(&sc_target_type);
	unregister_reboot_notifier(&sc_shutdown_nb);
	sc_scan_stop();
}

module_init(sc_init);
module_exit(sc_exit);

MODULE_DESCRIPTION(DM_NAME " swapcache: DragonFly's SSD read cache as a target");
MODULE_AUTHOR("The swapcache developers");
MODULE_LICENSE("GPL");
