// SPDX-License-Identifier: GPL-2.0
/*
 * The parsing of a swapcache target's status line.  The admin guide
 * promises its keys in a fixed order and lets later versions append new
 * ones, so the parser takes the keys by name, insists on every key it
 * knows, and keeps any other key as it found it rather than failing on a
 * newer module.  For the same reason a word it does not know as the value
 * of state, burst or mode is kept as it is: a newer module may have more
 * states than this tool knows.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"

enum { K_CACHE, K_HITS, K_MISSES, K_WRITTEN, K_EVICTED, K_INVAL, K_ERRORS,
       K_STATE, K_BURST, K_MODE, K_RESTORED, NR_KEYS };

static const char *const keys[NR_KEYS] = {
	"cache_pages", "read_hits", "read_misses", "written", "evicted",
	"invalidated", "ssd_errors", "state", "burst", "mode", "restored",
};

static bool parse_u64(const char *s, const char *end, uint64_t *v)
{
	uint64_t x = 0;

	if (s == end)
		return false;
	for (; s < end; s++) {
		if (*s < '0' || *s > '9' || x > (UINT64_MAX - (*s - '0')) / 10)
			return false;
		x = x * 10 + (*s - '0');
	}
	*v = x;
	return true;
}

static bool parse_word(const char *s, const char *end, char *out, size_t len)
{
	size_t n = end - s;

	if (n >= len || n == 0)
		return false;
	memcpy(out, s, n);
	out[n] = '\0';
	return true;
}

static bool parse_value(int k, const char *v, const char *end,
			struct sc_status *st)
{
	uint64_t *counters[] = {
		[K_HITS] = &st->read_hits, [K_MISSES] = &st->read_misses,
		[K_WRITTEN] = &st->written, [K_EVICTED] = &st->evicted,
		[K_INVAL] = &st->invalidated, [K_ERRORS] = &st->ssd_errors,
		[K_RESTORED] = &st->restored,
	};
	const char *slash;

	switch (k) {
	case K_CACHE:
		slash = memchr(v, '/', end - v);
		return slash && parse_u64(v, slash, &st->used) &&
		       parse_u64(slash + 1, end, &st->total) &&
		       st->used <= st->total;
	case K_STATE:
		return parse_word(v, end, st->state, sizeof(st->state));
	case K_BURST:
		return parse_word(v, end, st->burst, sizeof(st->burst));
	case K_MODE:
		return parse_word(v, end, st->mode, sizeof(st->mode));
	default:
		return parse_u64(v, end, counters[k]);
	}
}

static void keep_extra(struct sc_status *st, const char *s, const char *end)
{
	size_t have = strlen(st->extra), n = end - s;

	if (have + !!have + n >= sizeof(st->extra))
		return;
	if (have)
		st->extra[have++] = ' ';
	memcpy(st->extra + have, s, n);
	st->extra[have + n] = '\0';
}

/**
 * sc_status_parse() - read a swapcache status line
 * @line: the target's status, without "<start> <length> swapcache"
 * @st: filled in
 * @err, @errlen: why the line was refused
 *
 * Return: 0, or -EINVAL when a known key is missing, repeated or
 * malformed, or a word is not key=value.
 */
int sc_status_parse(const char *line, struct sc_status *st, char *err,
		    size_t errlen)
{
	bool seen[NR_KEYS] = { false };
	const char *s = line;
	int k;

	memset(st, 0, sizeof(*st));
	while (*s) {
		const char *end, *eq;

		if (*s == ' ') {
			s++;
			continue;
		}
		end = s + strcspn(s, " ");
		eq = memchr(s, '=', end - s);
		if (!eq || eq == s) {
			snprintf(err, errlen, "'%.*s' is not key=value",
				 (int)(end - s), s);
			return -EINVAL;
		}
		for (k = 0; k < NR_KEYS; k++)
			if (strlen(keys[k]) == (size_t)(eq - s) &&
			    !memcmp(keys[k], s, eq - s))
				break;
		if (k == NR_KEYS) {
			keep_extra(st, s, end);
		} else if (seen[k] || !parse_value(k, eq + 1, end, st)) {
			snprintf(err, errlen, "%s '%.*s'",
				 seen[k] ? "repeated key" : "malformed value",
				 (int)(end - s), s);
			return -EINVAL;
		} else {
			seen[k] = true;
		}
		s = end;
	}
	/* restored= came with the persistent option: older modules lack it. */
	st->has_restored = seen[K_RESTORED];
	for (k = 0; k < NR_KEYS; k++)
		if (!seen[k] && k != K_RESTORED) {
			snprintf(err, errlen, "no %s= in it", keys[k]);
			return -EINVAL;
		}
	return 0;
}

/**
 * sc_status_rates() - what happened between two readings of one target
 * @a: the earlier reading
 * @b: the later one
 * @dt: the seconds between them, > 0
 * @r: filled in when it returns true
 *
 * The counters only grow while a table is loaded; one that went down
 * means the target was reloaded (a new table under the same name) between
 * the readings, so there is no interval to measure.
 *
 * Return: false when a counter of @b is below @a's.
 */
bool sc_status_rates(const struct sc_status *a, const struct sc_status *b,
		     double dt, struct sc_rates *r)
{
	uint64_t hits, misses;

	if (b->read_hits < a->read_hits || b->read_misses < a->read_misses ||
	    b->written < a->written || b->evicted < a->evicted ||
	    b->invalidated < a->invalidated || b->ssd_errors < a->ssd_errors)
		return false;
	hits = b->read_hits - a->read_hits;
	misses = b->read_misses - a->read_misses;
	r->reads = (hits + misses) / dt;
	r->hit_percent = hits + misses ? 100.0 * hits / (hits + misses) : NAN;
	r->write_bytes = (b->written - a->written) * (double)SC_PAGE / dt;
	r->evictions = (b->evicted - a->evicted) / dt;
	return true;
}
