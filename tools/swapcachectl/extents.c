// SPDX-License-Identifier: GPL-2.0
/*
 * From a file's extents to the target's warm messages (pure).
 *
 * FIEMAP gives byte offsets on the filesystem's block device; when the
 * filesystem sits directly on a swapcache target, that device is the
 * mapped device, and a target of its table covers sectors [start, start +
 * length) of it.  The warm message takes sectors counted from the start
 * of the target and caches the whole 4 KiB blocks they touch, dropping a
 * block that the target's end cuts short.  So each extent is cut to each
 * target's part of the device, rounded out to whole blocks of the target
 * and clipped to its last whole block, here, where the tool can count
 * them: what it says it requested is then what the module caches
 * (written grows by it on an empty cache below the high watermark).
 *
 * Ranges are sorted and merged before any message is sent: one message
 * per run of contiguous blocks, extents of different files included, and
 * the origin read in ascending order, which a disk prefers.  The message
 * has no limit on its length but the target's, so nothing else splits a
 * range.
 */
#include <linux/fiemap.h>
#include <stdlib.h>

#include "ctl.h"

#define SECTORS_PER_BLOCK (SC_PAGE / 512)

static const char *const skip_reasons[SC_NR_SKIPS] = {
	[SC_SKIP_DELALLOC] = "not written back yet (delayed allocation: sync, then warm again)",
	[SC_SKIP_UNKNOWN] = "at no known place on the device",
	[SC_SKIP_UNWRITTEN] = "in unwritten (preallocated) extents, which read as zeros",
	[SC_SKIP_INLINE] = "inline or not block-aligned: no blocks of their own",
	[SC_SKIP_ENCODED] = "encoded (compressed): the blocks are not the data",
	[SC_SKIP_ENCRYPTED] = "encrypted: the blocks are not the data",
};

static const char *const skip_keys[SC_NR_SKIPS] = {
	[SC_SKIP_DELALLOC] = "delalloc",
	[SC_SKIP_UNKNOWN] = "unknown",
	[SC_SKIP_UNWRITTEN] = "unwritten",
	[SC_SKIP_INLINE] = "inline",
	[SC_SKIP_ENCODED] = "encoded",
	[SC_SKIP_ENCRYPTED] = "encrypted",
};

/**
 * sc_extent_skip() - why an extent's blocks are not the file's data
 * @flags: the extent's fe_flags
 *
 * Delayed allocation first: the kernel sets UNKNOWN with it, and "not
 * written back yet" is the reason an administrator can act on.
 * Return: an enum sc_skip, or -1 when the extent's blocks hold its data.
 */
int sc_extent_skip(uint32_t flags)
{
	if (flags & FIEMAP_EXTENT_DELALLOC)
		return SC_SKIP_DELALLOC;
	if (flags & FIEMAP_EXTENT_UNKNOWN)
		return SC_SKIP_UNKNOWN;
	if (flags & (FIEMAP_EXTENT_DATA_INLINE | FIEMAP_EXTENT_DATA_TAIL |
		     FIEMAP_EXTENT_NOT_ALIGNED))
		return SC_SKIP_INLINE;
	if (flags & FIEMAP_EXTENT_ENCODED)
		return SC_SKIP_ENCODED;
	if (flags & FIEMAP_EXTENT_DATA_ENCRYPTED)
		return SC_SKIP_ENCRYPTED;
	if (flags & FIEMAP_EXTENT_UNWRITTEN)
		return SC_SKIP_UNWRITTEN;
	return -1;
}

const char *sc_skip_reason(enum sc_skip why)
{
	return skip_reasons[why];
}

const char *sc_skip_key(enum sc_skip why)
{
	return skip_keys[why];
}

/*
 * sc_extent_pages() - the pages of a file of @size bytes that an extent
 * at @logical of @length bytes holds: those below the end of the file.
 */
uint64_t sc_extent_pages(uint64_t logical, uint64_t length, uint64_t size)
{
	uint64_t end;

	if (logical >= size)
		return 0;
	end = length > size - logical ? size : logical + length;
	return (end - logical + SC_PAGE - 1) / SC_PAGE;
}

/**
 * sc_extent_blocks() - an extent's whole blocks within one target
 * @physical, @length: the extent, in bytes on the mapped device
 * @start, @len: the target, in sectors of the mapped device
 * @b: filled in: the blocks, counted from the target's start
 *
 * Return: true when at least one whole block of the target is touched;
 * false when none is, or the extent runs past 2^64 bytes (not a real
 * one).
 */
bool sc_extent_blocks(uint64_t physical, uint64_t length, uint64_t start,
		      uint64_t len, struct sc_blocks *b)
{
	uint64_t first, end, last_block;

	if (!length || length > UINT64_MAX - physical || len > UINT64_MAX - start)
		return false;
	first = physical / 512;
	end = (physical + length) / 512 + !!((physical + length) % 512);
	if (end <= start || first >= start + len)
		return false;
	first = (first > start ? first : start) - start;
	end = (end < start + len ? end : start + len) - start;
	last_block = len / SECTORS_PER_BLOCK;
	b->first = first / SECTORS_PER_BLOCK;
	end = (end + SECTORS_PER_BLOCK - 1) / SECTORS_PER_BLOCK;
	if (end > last_block)
		end = last_block;
	if (b->first >= end)
		return false;
	b->count = end - b->first;
	return true;
}

static int by_first(const void *a, const void *b)
{
	const struct sc_blocks *x = a, *y = b;

	return x->first < y->first ? -1 : x->first > y->first;
}

/**
 * sc_blocks_merge() - sort ranges of blocks, and join those that overlap
 * or touch
 * @b: the ranges, rewritten in place
 * @n: how many
 *
 * Return: how many ranges are left.
 */
size_t sc_blocks_merge(struct sc_blocks *b, size_t n)
{
	size_t i, k = 0;

	if (!n)
		return 0;
	qsort(b, n, sizeof(*b), by_first);
	for (i = 1; i < n; i++) {
		uint64_t end = b[k].first + b[k].count;

		if (b[i].first <= end) {
			if (b[i].first + b[i].count > end)
				b[k].count = b[i].first + b[i].count - b[k].first;
		} else {
			b[++k] = b[i];
		}
	}
	return k + 1;
}

/* The warm message's arguments for a range of blocks of a target. */
void sc_blocks_sectors(const struct sc_blocks *b, uint64_t *start,
		       uint64_t *count)
{
	*start = b->first * SECTORS_PER_BLOCK;
	*count = b->count * SECTORS_PER_BLOCK;
}
