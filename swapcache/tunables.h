/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The module parameters' rules: names, units, defaults and the ranges a
 * write must fall in.  Pure logic, shared with tests/unit/.
 */
#ifndef SWAPCACHE_TUNABLES_H
#define SWAPCACHE_TUNABLES_H

#include <linux/bits.h>
#include <linux/errno.h>
#include <linux/limits.h>
#include <linux/types.h>

enum sc_unit {
	SC_UNIT_BOOL,
	SC_UNIT_BYTES,
	SC_UNIT_BYTES_PER_SEC,
	SC_UNIT_PAGES,
	SC_UNIT_PERCENT,
};

/*
 * Byte quantities stop at 2^52 (4 PiB): far above any real budget, and low
 * enough that the burst arithmetic (a budget plus a rate times the time
 * elapsed, minus a cluster) stays far from an s64's limits.
 */
#define SC_BYTES_MAX BIT_ULL(52)

/* maxlaunder's cap keeps one 100 ms scan tick bounded in CPU time. */
#define SC_MAXLAUNDER_MAX BIT_ULL(20)

/* The default of hysteresis: computed by the module at load. */
#define SC_HYSTERESIS_AUTO (-1LL)

/* One per module parameter, in the admin guide's order. */
enum sc_tunable {
	SC_READ_ENABLE,
	SC_DATA_ENABLE,
	SC_META_ENABLE,
	SC_USE_CHFLAGS,
	SC_MAXFILESIZE,
	SC_MAXLAUNDER,
	SC_MAXSWAPPCT,
	SC_HYSTERESIS,
	SC_ACCRATE,
	SC_MINBURST,
	SC_CURBURST,
	SC_MAXBURST,
	SC_WRITE_COUNT,
	SC_NR_TUNABLES
};

/**
 * struct sc_tunable_info - the contract of one module parameter
 * @name: the parameter's name under /sys/module/swapcache/parameters/
 * @unit: what its value counts
 * @def: value at load (SC_HYSTERESIS_AUTO: computed by the module)
 * @min: smallest value a write may set
 * @max: largest value a write may set
 */
struct sc_tunable_info {
	const char *name;
	enum sc_unit unit;
	s64 def;
	s64 min;
	s64 max;
};

extern const struct sc_tunable_info sc_tunables[SC_NR_TUNABLES];

int sc_tunable_parse(enum sc_tunable id, const char *text, s64 *value);
s64 sc_hysteresis_default(u64 ram_pages);

#endif /* SWAPCACHE_TUNABLES_H */
