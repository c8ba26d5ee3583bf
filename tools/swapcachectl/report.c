// SPDX-License-Identifier: GPL-2.0
/*
 * status, stat and metrics: the status lines and the parameters, in human
 * units, as JSON, and in the Prometheus text exposition format.  The JSON
 * keys and metric names are documented in swapcachectl(8) and only ever
 * added to, as the status line's keys are.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>
#include <time.h>

#include "ctl.h"

struct snapshot {
	int64_t p[SC_NR_TUNABLES];
	struct sc_target *t;
	size_t n;
	double time;
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void sleep_for(double seconds)
{
	struct timespec ts = { (time_t)seconds,
			       (long)((seconds - (time_t)seconds) * 1e9) };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static int take(struct snapshot *s, char **names, int nnames)
{
	char why[512];

	if (sc_need_module() || sc_params_read(s->p))
		return -1;
	if (sc_targets(&s->t, &s->n, why, sizeof(why))) {
		sc_err("%s", why);
		return -1;
	}
	s->time = now();
	return sc_targets_select(&s->t, &s->n, names, nnames) ? -1 : 0;
}

static double pct(uint64_t part, uint64_t whole)
{
	return whole ? 100.0 * part / whole : NAN;
}

static void json_num(FILE *f, const char *key, double v, bool comma)
{
	fprintf(f, "\"%s\":", key);
	if (isfinite(v))
		fprintf(f, "%.3f", v);
	else
		fputs("null", f);
	if (comma)
		fputc(',', f);
}

/* ---- status */

struct budget {
	double write_rate;	/* bytes/s to the SSDs, from write_count */
	double until_empty;	/* seconds, or INFINITY when not draining */
};

static struct budget measure_budget(const struct snapshot *a, const int64_t *p2,
				    double dt)
{
	struct budget b;
	double drain = (a->p[SC_CURBURST] - p2[SC_CURBURST]) / dt;

	b.write_rate = (p2[SC_WRITE_COUNT] - a->p[SC_WRITE_COUNT]) / dt;
	if (b.write_rate < 0)
		b.write_rate = 0;	/* write_count was reset meanwhile */
	b.until_empty = drain > 0 ? p2[SC_CURBURST] / drain : INFINITY;
	return b;
}

static const char *burst_state(const struct snapshot *s)
{
	return s->n ? s->t[0].st.burst : NULL;
}

static void print_target(const struct sc_target *t, const int64_t *p)
{
	const struct sc_status *st = &t->st;
	uint64_t slabs = st->total / SC_SLAB_PAGES, reads;
	char a[32], b[32], c[32], label[160];
	int64_t high = p[SC_MAXSWAPPCT], low = high > 5 ? high - 5 : 0;

	sc_target_label(label, sizeof(label), t);
	printf("target %s (%u:%u): sectors %" PRIu64 "+%" PRIu64 ", origin and cache %s\n",
	       label, major(t->dev), minor(t->dev), t->start, t->length,
	       t->table);
	printf("  %-13s %s, mode %s\n", "state", st->state, st->mode);
	sc_fmt_bytes(a, sizeof(a), st->used * SC_PAGE);
	sc_fmt_bytes(b, sizeof(b), st->total * SC_PAGE);
	printf("  %-13s %s of %s used (%.1f%%), %" PRIu64 " of %" PRIu64 " pages\n",
	       "cache", a, b, st->total ? pct(st->used, st->total) : 0.0,
	       st->used, st->total);
	sc_fmt_bytes(a, sizeof(a), (double)slabs * high / 100 * SC_SLAB_PAGES * SC_PAGE);
	sc_fmt_bytes(b, sizeof(b), (double)slabs * low / 100 * SC_SLAB_PAGES * SC_PAGE);
	printf("  %-13s cleaning starts above %" PRId64 "%% of the slabs (%s), stops below %" PRId64 "%% (%s)\n",
	       "watermarks", high, a, low, b);
	reads = st->read_hits + st->read_misses;
	if (reads)
		printf("  %-13s %" PRIu64 " pages, %.1f%% hits (%" PRIu64 " from the SSD, %" PRIu64 " from the origin)\n",
		       "reads", reads, pct(st->read_hits, reads),
		       st->read_hits, st->read_misses);
	else
		printf("  %-13s none yet\n", "reads");
	sc_fmt_bytes(a, sizeof(a), st->written * SC_PAGE);
	sc_fmt_bytes(b, sizeof(b), st->evicted * SC_PAGE);
	sc_fmt_bytes(c, sizeof(c), st->invalidated * SC_PAGE);
	printf("  %-13s %s (%" PRIu64 " pages)\n", "written", a, st->written);
	printf("  %-13s %s (%" PRIu64 " pages)\n", "evicted", b, st->evicted);
	printf("  %-13s %s (%" PRIu64 " pages)\n", "invalidated", c,
	       st->invalidated);
	printf("  %-13s %" PRIu64 " (the target degrades at 8)\n",
	       "SSD errors", st->ssd_errors);
	if (st->has_restored && st->restored) {
		sc_fmt_bytes(a, sizeof(a), st->restored * SC_PAGE);
		printf("  %-13s %s (%" PRIu64 " pages) from the checkpoint at load\n",
		       "restored", a, st->restored);
	}
	if (st->extra[0])
		printf("  %-13s %s\n", "more", st->extra);
}

static void print_budget(const struct snapshot *s, const int64_t *p,
			 const struct budget *b)
{
	char a[32], c[32], d[32];
	const char *state = burst_state(s);

	printf("budget (shared by all targets)\n");
	printf("  %-13s %s\n", "state", state ? state : "unknown: no target reports it");
	sc_fmt_bytes(a, sizeof(a), p[SC_CURBURST]);
	printf("  %-13s %s (curburst=%" PRId64 ")\n", "current", a,
	       p[SC_CURBURST]);
	sc_fmt_rate(a, sizeof(a), p[SC_ACCRATE]);
	sc_fmt_bytes(c, sizeof(c), p[SC_MAXBURST]);
	sc_fmt_bytes(d, sizeof(d), p[SC_MINBURST]);
	printf("  %-13s %s (accrate) up to %s (maxburst); once spent, writing resumes above %s (minburst)\n",
	       "refill", a, c, d);
	sc_fmt_rate(a, sizeof(a), b->write_rate);
	sc_fmt_duration(c, sizeof(c), b->until_empty);
	printf("  %-13s %s to the SSDs now; empty in %s at this rate\n",
	       "writing", a, c);
	sc_fmt_bytes(a, sizeof(a), p[SC_WRITE_COUNT]);
	printf("  %-13s %s to the SSDs (write_count)\n", "written", a);
}

static void print_changed(const int64_t *p)
{
	int id, n = 0;

	printf("parameters that differ from their defaults:");
	for (id = 0; id < SC_NR_TUNABLES; id++) {
		if (id == SC_CURBURST || id == SC_WRITE_COUNT ||
		    p[id] == sc_param_default(id))
			continue;
		printf("%s %s=%" PRId64 " (default %" PRId64 ")", n++ ? "," : "",
		       sc_tunables[id].name, p[id], sc_param_default(id));
	}
	printf("%s\n", n ? "" : " none");
}

static void json_target(const struct sc_target *t, const int64_t *p)
{
	const struct sc_status *st = &t->st;
	char dev[32];

	snprintf(dev, sizeof(dev), "%u:%u", major(t->dev), minor(t->dev));
	fputs("{\"name\":", stdout);
	sc_json_string(stdout, t->name);
	fputs(",\"device\":", stdout);
	sc_json_string(stdout, dev);
	printf(",\"segment\":%u,\"start_sector\":%" PRIu64 ",\"length_sectors\":%" PRIu64 ",\"table\":",
	       t->segment, t->start, t->length);
	sc_json_string(stdout, t->table);
	printf(",\"cache_used_pages\":%" PRIu64 ",\"cache_total_pages\":%" PRIu64 ",",
	       st->used, st->total);
	json_num(stdout, "cache_used_percent", pct(st->used, st->total), true);
	printf("\"high_watermark_percent\":%" PRId64 ",\"low_watermark_percent\":%" PRId64 ",",
	       p[SC_MAXSWAPPCT], p[SC_MAXSWAPPCT] > 5 ? p[SC_MAXSWAPPCT] - 5 : 0);
	printf("\"read_hits\":%" PRIu64 ",\"read_misses\":%" PRIu64 ",",
	       st->read_hits, st->read_misses);
	json_num(stdout, "hit_percent",
		 pct(st->read_hits, st->read_hits + st->read_misses), true);
	printf("\"written\":%" PRIu64 ",\"evicted\":%" PRIu64 ",\"invalidated\":%" PRIu64 ",\"ssd_errors\":%" PRIu64 ",",
	       st->written, st->evicted, st->invalidated, st->ssd_errors);
	fputs("\"state\":", stdout);
	sc_json_string(stdout, st->state);
	fputs(",\"burst\":", stdout);
	sc_json_string(stdout, st->burst);
	fputs(",\"mode\":", stdout);
	sc_json_string(stdout, st->mode);
	if (st->has_restored)
		printf(",\"restored\":%" PRIu64, st->restored);
	else
		fputs(",\"restored\":null", stdout);
	fputs(",\"other_keys\":", stdout);
	sc_json_string(stdout, st->extra);
	fputc('}', stdout);
}

static void json_status(const struct snapshot *s, const int64_t *p,
			const struct budget *b)
{
	const char *state = burst_state(s);
	size_t i;
	int id;

	printf("{\"page_size\":%" PRIu64 ",\"parameters\":{", SC_PAGE);
	for (id = 0; id < SC_NR_TUNABLES; id++)
		printf("%s\"%s\":%" PRId64, id ? "," : "", sc_tunables[id].name,
		       p[id]);
	printf("},\"defaults\":{");
	for (id = 0; id < SC_NR_TUNABLES; id++)
		printf("%s\"%s\":%" PRId64, id ? "," : "", sc_tunables[id].name,
		       sc_param_default(id));
	printf("},\"budget\":{\"state\":");
	if (state)
		sc_json_string(stdout, state);
	else
		fputs("null", stdout);
	printf(",\"current_bytes\":%" PRId64 ",\"max_bytes\":%" PRId64 ",\"refill_bytes_per_second\":%" PRId64 ",\"resume_bytes\":%" PRId64 ",\"ssd_written_bytes\":%" PRId64 ",",
	       p[SC_CURBURST], p[SC_MAXBURST], p[SC_ACCRATE], p[SC_MINBURST],
	       p[SC_WRITE_COUNT]);
	json_num(stdout, "ssd_write_bytes_per_second", b->write_rate, true);
	json_num(stdout, "seconds_until_empty", b->until_empty, false);
	printf("},\"targets\":[");
	for (i = 0; i < s->n; i++) {
		if (i)
			fputc(',', stdout);
		json_target(&s->t[i], p);
	}
	printf("]}\n");
}

/* Long options shared by status and stat. */
static const struct option json_opts[] = {
	{ "json", no_argument, NULL, 'j' },
	{ NULL, 0, NULL, 0 },
};

int cmd_status(int argc, char **argv)
{
	struct snapshot s = { 0 };
	int64_t p2[SC_NR_TUNABLES];
	struct budget b;
	bool json = false;
	double dt;
	size_t i;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "+", json_opts, NULL)) != -1) {
		if (c != 'j')
			return sc_bad_usage("status: unknown option %s", argv[optind - 1]);
		json = true;
	}
	if (take(&s, argv + optind, argc - optind)) {
		free(s.t);
		return 1;
	}
	/* The write rate and the budget's drain over half a second. */
	sleep_for(0.5);
	if (sc_params_read(p2)) {
		free(s.t);
		return 1;
	}
	dt = now() - s.time;
	b = measure_budget(&s, p2, dt);
	if (json) {
		json_status(&s, p2, &b);
	} else {
		for (i = 0; i < s.n; i++)
			print_target(&s.t[i], p2);
		if (!s.n)
			printf("no swapcache target: create one with dmsetup create (see swapcachectl(8))\n");
		print_budget(&s, p2, &b);
		print_changed(p2);
	}
	free(s.t);
	return 0;
}

/* ---- stat */

static const struct sc_target *find(const struct snapshot *s,
				    const struct sc_target *t)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (!strcmp(s->t[i].name, t->name) &&
		    s->t[i].segment == t->segment)
			return &s->t[i];
	return NULL;
}

/*
 * One target's line for the interval since @a, if @b is a later reading of
 * the same table: one reloaded meanwhile (another device, table, or
 * counters that went down) starts over, as a new target, and waits a turn.
 */
static void stat_line(const struct sc_target *a, const struct sc_target *b,
		      double dt, const int64_t *p, bool json)
{
	double used = pct(b->st.used, b->st.total);
	char label[160], budget[32], clock[16], hitcol[16];
	time_t t = time(NULL);
	struct sc_rates r;

	if (a->dev != b->dev || strcmp(a->table, b->table) ||
	    a->start != b->start || a->length != b->length ||
	    !sc_status_rates(&a->st, &b->st, dt, &r))
		return;
	sc_target_label(label, sizeof(label), b);
	if (json) {
		fputs("{\"target\":", stdout);
		sc_json_string(stdout, label);
		printf(",\"time\":%lld,", (long long)t);
		json_num(stdout, "interval_seconds", dt, true);
		json_num(stdout, "reads_per_second", r.reads, true);
		json_num(stdout, "hit_percent", r.hit_percent, true);
		json_num(stdout, "ssd_write_bytes_per_second", r.write_bytes, true);
		json_num(stdout, "evictions_per_second", r.evictions, true);
		json_num(stdout, "cache_used_percent", used, true);
		printf("\"budget_bytes\":%" PRId64 "}\n", p[SC_CURBURST]);
		return;
	}
	strftime(clock, sizeof(clock), "%H:%M:%S", localtime(&t));
	sc_fmt_bytes(budget, sizeof(budget), p[SC_CURBURST]);
	if (isfinite(r.hit_percent))
		snprintf(hitcol, sizeof(hitcol), "%.1f", r.hit_percent);
	else
		snprintf(hitcol, sizeof(hitcol), "-");
	printf("%-8s %-16s %9.0f %6s %11.2f %8.0f %6.1f %11s\n", clock, label,
	       r.reads, hitcol, r.write_bytes / 1e6, r.evictions, used, budget);
}

static void stat_header(void)
{
	printf("%-8s %-16s %9s %6s %11s %8s %6s %11s\n", "time", "target",
	       "reads/s", "hit%", "ssd_wr_MB/s", "evict/s", "used%", "budget");
}

int cmd_stat(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "interval", required_argument, NULL, 'i' },
		{ "count", required_argument, NULL, 'c' },
		{ NULL, 0, NULL, 0 },
	};
	struct snapshot a = { 0 }, b = { 0 };
	double interval = 1;
	long count = -1, done = 0;
	bool json = false;
	int c, rc = 0;

	optind = 1;
	while ((c = getopt_long(argc, argv, "+i:c:", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			json = true;
			break;
		case 'i':
			if (sc_parse_interval(optarg, &interval))
				return sc_bad_usage("stat: -i takes seconds from 0.1 to 86400, not '%s'", optarg);
			break;
		case 'c':
			if (sc_parse_count(optarg, &count))
				return sc_bad_usage("stat: -c takes a count of at least 1, not '%s'", optarg);
			break;
		default:
			return sc_bad_usage("stat: unknown option or missing value: %s", argv[optind - 1]);
		}
	}
	if (take(&a, argv + optind, argc - optind)) {
		free(a.t);
		return 1;
	}
	if (!a.n) {
		sc_err("no swapcache target to watch: create one with dmsetup create (see swapcachectl(8))");
		free(a.t);
		return 1;
	}
	if (!json)
		stat_header();
	while (count < 0 || done < count) {
		size_t i;

		sleep_for(interval);
		if (take(&b, argv + optind, argc - optind)) {
			rc = 1;
			break;
		}
		for (i = 0; i < b.n; i++) {
			const struct sc_target *old = find(&a, &b.t[i]);

			if (old)	/* one created meanwhile waits a turn */
				stat_line(old, &b.t[i], b.time - a.time, b.p, json);
		}
		fflush(stdout);
		free(a.t);
		a = b;
		b.t = NULL;
		done++;
	}
	free(a.t);
	free(b.t);
	return rc;
}

/* ---- metrics */

static void family(const char *name, const char *type, const char *help)
{
	printf("# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void sample(const char *name, const struct sc_target *t, double v)
{
	char label[160];

	fputs(name, stdout);
	if (t) {
		sc_target_label(label, sizeof(label), t);
		fputs("{target=", stdout);
		sc_prom_label(stdout, label);
		fputc('}', stdout);
	}
	printf(" %.17g\n", v);
}

static const struct {
	const char *name, *type, *help;
	size_t offset;
	double scale;
} per_target[] = {
#define COUNTER(n, field, scale, help) \
	{ n, "counter", help, offsetof(struct sc_status, field), scale }
	{ "swapcache_cache_used_bytes", "gauge",
	  "Bytes of the cache device holding a cached block.",
	  offsetof(struct sc_status, used), SC_PAGE },
	{ "swapcache_cache_size_bytes", "gauge",
	  "Bytes of the cache device the target uses (whole 64 KiB slabs).",
	  offsetof(struct sc_status, total), SC_PAGE },
	COUNTER("swapcache_read_hit_bytes_total", read_hits, SC_PAGE,
		"Bytes of origin blocks read through the target and served from the SSD."),
	COUNTER("swapcache_read_miss_bytes_total", read_misses, SC_PAGE,
		"Bytes of origin blocks read through the target and served from the origin."),
	COUNTER("swapcache_written_bytes_total", written, SC_PAGE,
		"Bytes written to the SSD and entered into the map."),
	COUNTER("swapcache_evicted_bytes_total", evicted, SC_PAGE,
		"Bytes evicted by the cleaner."),
	COUNTER("swapcache_invalidated_bytes_total", invalidated, SC_PAGE,
		"Bytes dropped because their origin blocks were written, or by invalidate."),
	COUNTER("swapcache_ssd_errors_total", ssd_errors, 1,
		"Failed SSD reads and cluster writes."),
	{ "swapcache_restored_bytes", "gauge",
	  "Bytes brought back from the persistent checkpoint when the table was loaded.",
	  offsetof(struct sc_status, restored), SC_PAGE },
#undef COUNTER
};

int cmd_metrics(int argc, char **argv)
{
	struct snapshot s = { 0 };
	size_t i, k;
	int id;

	(void)argv;
	if (argc > 1)
		return sc_bad_usage("metrics takes no arguments");
	/* Everything is read before anything is printed: a scrape gets all
	 * of it or an error, never half. */
	if (sc_module_loaded() && take(&s, NULL, 0)) {
		free(s.t);
		return 1;
	}
	family("swapcache_module_loaded", "gauge",
	       "Whether the swapcache module is loaded (1) or not (0).");
	if (!sc_module_loaded()) {
		sample("swapcache_module_loaded", NULL, 0);
		free(s.t);
		return 0;
	}
	sample("swapcache_module_loaded", NULL, 1);
	family("swapcache_parameter", "gauge",
	       "A module parameter's value, in its own unit (swapcachectl(8)).");
	for (id = 0; id < SC_NR_TUNABLES; id++) {
		if (id == SC_CURBURST || id == SC_WRITE_COUNT)
			continue;
		printf("swapcache_parameter{name=\"%s\"} %" PRId64 "\n",
		       sc_tunables[id].name, s.p[id]);
	}
	family("swapcache_budget_bytes", "gauge",
	       "The burst budget (curburst), shared by all targets.");
	sample("swapcache_budget_bytes", NULL, s.p[SC_CURBURST]);
	family("swapcache_ssd_write_bytes_total", "counter",
	       "Bytes written to the SSDs by all targets (write_count; root may reset it).");
	sample("swapcache_ssd_write_bytes_total", NULL, s.p[SC_WRITE_COUNT]);
	if (s.n) {
		family("swapcache_budget_recovering", "gauge",
		       "1 after the burst budget ran dry, until it is above minburst.");
		sample("swapcache_budget_recovering", NULL,
		       !strcmp(s.t[0].st.burst, "recovering"));
	}
	for (k = 0; s.n && k < sizeof(per_target) / sizeof(per_target[0]); k++) {
		family(per_target[k].name, per_target[k].type, per_target[k].help);
		for (i = 0; i < s.n; i++)
			sample(per_target[k].name, &s.t[i],
			       *(uint64_t *)((char *)&s.t[i].st +
					     per_target[k].offset) *
			       per_target[k].scale);
	}
	if (s.n)
		family("swapcache_cleaning", "gauge",
		       "1 while the target is above its high watermark, evicting.");
	for (i = 0; i < s.n; i++)
		sample("swapcache_cleaning", &s.t[i],
		       !strcmp(s.t[i].st.state, "cleaning"));
	if (s.n)
		family("swapcache_degraded", "gauge",
		       "1 after 8 SSD errors: the target no longer uses its SSD.");
	for (i = 0; i < s.n; i++)
		sample("swapcache_degraded", &s.t[i],
		       !strcmp(s.t[i].st.mode, "degraded"));
	free(s.t);
	return 0;
}

/* ---- set */

int cmd_set(int argc, char **argv)
{
	enum sc_tunable *ids;
	const char **values;
	char why[256];
	int i, bad = 0, rc = 0;
	s64 parsed;

	if (argc < 2)
		return sc_bad_usage("set needs at least one KNOB=VALUE");
	ids = calloc(argc, sizeof(*ids));
	values = calloc(argc, sizeof(*values));
	if (!ids || !values) {
		sc_err("out of memory");
		rc = 1;
		goto out;
	}
	for (i = 1; i < argc; i++) {
		if (sc_parse_assignment(argv[i], &ids[i], &values[i], why,
					sizeof(why))) {
			int id;

			fprintf(stderr, "swapcachectl: set: %s; the parameters are:", why);
			for (id = 0; id < SC_NR_TUNABLES; id++)
				fprintf(stderr, " %s", sc_tunables[id].name);
			fputc('\n', stderr);
			bad = 1;
		} else if (sc_tunable_parse(ids[i], values[i], &parsed)) {
			fputs("swapcachectl: set: ", stderr);
			sc_explain_refusal(stderr, ids[i], values[i]);
			bad = 1;
		}
	}
	if (bad) {
		fprintf(stderr, "swapcachectl: set: nothing was changed\n");
		rc = 1;
		goto out;
	}
	if (sc_need_module()) {
		rc = 1;
		goto out;
	}
	for (i = 1; i < argc; i++) {
		if (sc_param_write(ids[i], values[i])) {
			if (i > 1)
				sc_err("set: stopped at %s; the ones before it were set", argv[i]);
			rc = 1;
			break;
		}
	}
out:
	free(ids);
	free(values);
	return rc;
}
