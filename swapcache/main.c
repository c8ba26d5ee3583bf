// SPDX-License-Identifier: GPL-2.0
/*
 * swapcache: the module parameters, the shutdown notifier, and the
 * module's init and exit, which register the target (target.c).  The
 * design essay is in swapcache.h.
 *
 * The module's own messages (parameters, shutdown, init) carry pr_fmt()'s
 * prefix, the module's name.  The target's go through DMERR() and its
 * kin, which print "device-mapper: swapcache: " themselves: they use
 * pr_fmt() too, so a file that defines it must not use them.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/mm.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/reboot.h>
#include <linux/sysfs.h>

#include "swapcache.h"

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
		pr_warn_ratelimited("%s: '%s' refused (valid: %lld..%lld)\n",
				    sc_tunables[id].name, val,
				    sc_tunables[id].min, sc_tunables[id].max);
		return r;
	}
	atomic64_set(&sc_tunable_values[id], value);
	sc_tunable_given[id] = true;
	sc_scan_param_written();
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
 * DragonFly's shutdown_swapcache() does.  A persistent target's checkpoint
 * needs none of these: it is written when its table is suspended, which a
 * shutdown that removes dm devices (systemd-shutdown) does before the
 * reboot() that runs this notifier.
 */
static int sc_shutdown_notify(struct notifier_block *nb, unsigned long action,
			      void *data)
{
	atomic64_set(&sc_tunable_values[SC_READ_ENABLE], 0);
	atomic64_set(&sc_tunable_values[SC_DATA_ENABLE], 0);
	atomic64_set(&sc_tunable_values[SC_META_ENABLE], 0);
	pr_info("shutdown: read_enable=%lld data_enable=%lld meta_enable=%lld\n",
		sc_get(SC_READ_ENABLE), sc_get(SC_DATA_ENABLE),
		sc_get(SC_META_ENABLE));
	return NOTIFY_DONE;
}

static struct notifier_block sc_shutdown_nb = {
	.notifier_call = sc_shutdown_notify,
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
		pr_err("cannot start swapcached: %d\n", r);
		return r;
	}
	r = register_reboot_notifier(&sc_shutdown_nb);
	if (r)
		goto stop;
	r = dm_register_target(&sc_target_type);
	if (r) {
		pr_err("cannot register the target: %d\n", r);
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
