/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Copying a staged metadata read's bytes into its staging blocks.  Pure
 * logic, shared with tests/unit/; fill.c walks the read's segments and
 * maps them.
 *
 * Why apart.  The disk range of a staged read is whole 4 KiB blocks, but
 * its memory may start anywhere in a page (XFS log recovery reads a
 * record that wraps around the log's end into its buffer at a 512-byte
 * multiple), so a segment is cut wherever it crosses from one staging
 * block into the next.  A mistake in the cut is an out-of-bounds write in
 * interrupt context, and since reads of a mapping of the device are no
 * longer staged no VM test reaches the misaligned case: the unit test
 * does (tests/unit/test_stage.c).
 */
#ifndef SWAPCACHE_STAGE_H
#define SWAPCACHE_STAGE_H

#include <linux/bits.h>
#include <linux/minmax.h>
#include <linux/string.h>
#include <linux/types.h>

/* A staging block: one origin block, 4 KiB (SC_BLOCK_SHIFT, checked). */
#define SC_STAGE_SHIFT	12
#define SC_STAGE_SIZE	BIT(SC_STAGE_SHIFT)

/**
 * sc_stage_copy() - copy one segment of a read into its staging blocks
 * @block: block(@ctx, i) is the address of staging block i, SC_STAGE_SIZE
 *	bytes; the blocks need not be contiguous
 * @ctx: passed to @block
 * @off: where @src's first byte goes, in bytes from the start of block 0
 * @src: the segment's bytes
 * @len: how many; the caller has a block for each byte up to @off + @len
 *
 * Return: @off + @len, where the read's next segment goes.
 */
static inline unsigned int sc_stage_copy(void *(*block)(void *ctx,
							unsigned int i),
					 void *ctx, unsigned int off,
					 const void *src, unsigned int len)
{
	unsigned int done, n;

	for (done = 0; done < len; done += n, off += n) {
		n = min_t(unsigned int, len - done,
			  SC_STAGE_SIZE - (off & (SC_STAGE_SIZE - 1)));
		memcpy((char *)block(ctx, off >> SC_STAGE_SHIFT) +
		       (off & (SC_STAGE_SIZE - 1)),
		       (const char *)src + done, n);
	}
	return off;
}

#endif /* SWAPCACHE_STAGE_H */
