// SPDX-License-Identifier: GPL-2.0
/*
 * The parsing of a swapcache target's status line.  The admin guide
 * promises its keys in a fixed order and lets later versions append new
 * ones, so the parser takes the keys by name, insists on every key it
 * knows, and keeps any other key as it found it rather than failing on a
 * newer module.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"

enum { K_CACHE, K_HITS, K_MISSES, K_WRITTEN, K_EVICTED, K_INVAL, K_ERRORS,
       K_STATE, K_BURST, K_MODE, NR_KEYS };

static const char *const keys[NR_KEYS] = {
	"cache_pages", "read_hits", "read_misses", "written", "evicted",
	"invalidated", "ssd_errors", "state", "burst", "mode",
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

static bool parse_word(const char *s, const char *end, char *out, size_t len,
		       const char *a, const char *b)
{
	size_t n = end - s;

	if (n >= len || n == 0)
		return false;
	memcpy(out, s, n);
	out[n] = '\0';
	return !strcmp(out, a) || !strcmp(out, b);
}

static bool parse_value(int k, const char *v, const char *end,
			struct sc_status *st)
{
	uint64_t *counters[] = {
		[K_HITS] = &st->read_hits, [K_MISSES] = &st->read_misses,
		[K_WRITTEN] = &st->written, [K_EVICTED] = &st->evicted,
		[K_INVAL] = &st->invalidated, [K_ERRORS] = &st->ssd_errors,
	};
	const char *slash;

	switch (k) {
	case K_CACHE:
		slash = memchr(v, '/', end - v);
		return slash && parse_u64(v, slash, &st->used) &&
		       parse_u64(slash + 1, end, &st->total) &&
		       st->used <= st->total;
	case K_STATE:
		return parse_word(v, end, st->state, sizeof(st->state),
				  "writing", "cleaning");
	case K_BURST:
		return parse_word(v, end, st->burst, sizeof(st->burst),
				  "bursting", "recovering");
	case K_MODE:
		return parse_word(v, end, st->mode, sizeof(st->mode),
				  "ok", "degraded");
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
	for (k = 0; k < NR_KEYS; k++)
		if (!seen[k]) {
			snprintf(err, errlen, "no %s= in it", keys[k]);
			return -EINVAL;
		}
	return 0;
}
