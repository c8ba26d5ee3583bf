/* SPDX-License-Identifier: GPL-2.0 */
/*
 * swapcachectl: the administrator's tool for the swapcache target.
 *
 * It reads what the kernel already offers (the module parameters in
 * sysfs, each target's status line through the device-mapper ioctls, the
 * opt-in attributes, FIEMAP and mincore() for a file) and turns it into
 * answers: is this file cached and why not, how full is each SSD, how fast
 * is it filling.  It asks nothing of the module that dmsetup and getfattr
 * could not, so it cannot get out of step with it beyond the status keys
 * it knows; the one thing it sends, `warm`, is the target's own message.
 *
 * The pure parts (status-line parsing, units, JSON and Prometheus
 * escaping, argument parsing) are in files of their own and tested under
 * tests/unit/; the rest is the commands, one file per concern.
 */
#ifndef SWAPCACHECTL_H
#define SWAPCACHECTL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "tunables.h"

#define SC_PAGE ((uint64_t)4096)
/* The cache device is used in 64 KiB slabs; the watermarks count slabs. */
#define SC_SLAB_PAGES 16

/* Exit statuses: 0 success (explain: would be cached), 1 failure, 2 usage. */
#define EXIT_USAGE 2

/* ---- status.c: one target's status line (pure) */

/*
 * The status keys, in the order the module prints them.  Later module
 * versions may append keys; those are kept in @extra, never an error.
 */
struct sc_status {
	uint64_t used, total;		/* cache_pages=<used>/<total> */
	uint64_t read_hits, read_misses, written, evicted, invalidated;
	uint64_t ssd_errors;
	uint64_t restored;		/* pages restored at load, if has_restored */
	bool has_restored;		/* a module before persistent mode has none */
	/* As given: a later module may add values to these. */
	char state[32];			/* writing | cleaning */
	char burst[32];			/* bursting | recovering */
	char mode[32];			/* ok | degraded */
	char extra[256];		/* keys this tool does not know, as given */
};

/* Per second over an interval, from two readings of one target. */
struct sc_rates {
	double reads, hit_percent, write_bytes, evictions;
};

int sc_status_parse(const char *line, struct sc_status *st, char *err,
		    size_t errlen);
bool sc_status_rates(const struct sc_status *a, const struct sc_status *b,
		     double dt, struct sc_rates *r);

/* ---- fmt.c: units and escaping (pure) */

void sc_fmt_bytes(char *buf, size_t len, double bytes);	/* 1.5 GiB */
void sc_fmt_rate(char *buf, size_t len, double bytes_per_s);	/* 12.3 MB/s */
void sc_fmt_duration(char *buf, size_t len, double seconds);	/* 2h 05m */
void sc_json_string(FILE *f, const char *s);
void sc_prom_label(FILE *f, const char *s);
void sc_shell_word(FILE *f, const char *s);
const char *sc_unit_name(enum sc_unit unit);

/* ---- args.c: command-line values (pure) */

int sc_parse_interval(const char *text, double *seconds);
int sc_parse_count(const char *text, long *count);
int sc_parse_assignment(const char *arg, enum sc_tunable *id,
			const char **value, char *err, size_t errlen);
int sc_tunable_lookup(const char *name, size_t len);

/* ---- extents.c: from a file's extents to warm messages (pure) */

/* Why an extent's blocks are not cached by warm. */
enum sc_skip {
	SC_SKIP_DELALLOC, SC_SKIP_UNKNOWN, SC_SKIP_UNWRITTEN, SC_SKIP_INLINE,
	SC_SKIP_ENCODED, SC_SKIP_ENCRYPTED, SC_NR_SKIPS
};

/* A run of 4 KiB blocks of a target, counted from the target's start. */
struct sc_blocks {
	uint64_t first, count;
};

int sc_extent_skip(uint32_t fe_flags);
const char *sc_skip_reason(enum sc_skip why);
const char *sc_skip_key(enum sc_skip why);
uint64_t sc_extent_pages(uint64_t logical, uint64_t length, uint64_t size);
bool sc_extent_blocks(uint64_t physical, uint64_t length, uint64_t start,
		      uint64_t len, struct sc_blocks *b);
size_t sc_blocks_merge(struct sc_blocks *b, size_t n);
void sc_blocks_sectors(const struct sc_blocks *b, uint64_t *start,
		       uint64_t *count);

/* ---- params.c: the module parameters in sysfs */

extern const char *sc_sysfs;		/* /sys, or $SWAPCACHECTL_SYSFS */

bool sc_module_loaded(void);
int sc_param_read(enum sc_tunable id, int64_t *value);
int sc_params_read(int64_t values[SC_NR_TUNABLES]);
int64_t sc_param_default(enum sc_tunable id);
int sc_param_write(enum sc_tunable id, const char *value);
void sc_explain_refusal(FILE *f, enum sc_tunable id, const char *value);
int sc_need_module(void);

/* ---- dm.c: the swapcache targets, through the device-mapper ioctls */

struct sc_target {
	char name[128];		/* the mapped device's name */
	dev_t dev;		/* the mapped device */
	unsigned int segment;	/* which swapcache target of its table */
	unsigned int segments;	/* how many its table has */
	uint64_t start, length;	/* sectors */
	char table[128];	/* origin and cache as major:minor */
	char line[512];		/* the status line */
	struct sc_status st;
};

int sc_targets(struct sc_target **targets, size_t *n, char *err,
	       size_t errlen);
int sc_targets_select(struct sc_target **targets, size_t *n,
		      char **names, int nnames);
const struct sc_target *sc_target_of(const struct sc_target *targets,
				     size_t n, dev_t dev);
const struct sc_target *sc_target_below(const struct sc_target *targets,
					size_t n, dev_t dev);
void sc_target_label(char *buf, size_t len, const struct sc_target *t);
int sc_target_message(const struct sc_target *t, const char *text);

/* ---- commands */

int cmd_flags(int argc, char **argv);
int cmd_explain(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_stat(int argc, char **argv);
int cmd_metrics(int argc, char **argv);
int cmd_set(int argc, char **argv);
int cmd_warm(int argc, char **argv);

void sc_usage(FILE *f);
int sc_bad_usage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void sc_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void sc_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif /* SWAPCACHECTL_H */
