// SPDX-License-Identifier: GPL-2.0
/*
 * Staging a metadata read's bytes (swapcache/stage.h): random segment
 * lists, each segment starting anywhere in a page and of any length, the
 * region up to 16 blocks, copied with sc_stage_copy() one segment after
 * another into separately allocated blocks and compared with a byte-by-
 * byte copy into a flat buffer; guard bytes around every block catch a
 * write past it, AddressSanitizer a read past a segment or a block asked
 * for beyond the region.  Then sabotaged copies (a cut in the wrong place,
 * a byte too few) that the same checks must catch, so that a check that
 * cannot fail shows up.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

#include "stage.h"

#define MAX_BLOCKS	16
/* Wider than any sabotage's overrun (less than a block), so it lands here. */
#define GUARD		SC_STAGE_SIZE
#define GUARD_BYTE	0xa5
#define UNTOUCHED	0x5a

typedef unsigned int (*copy_fn)(void *(*block)(void *ctx, unsigned int i),
				void *ctx, unsigned int off, const void *src,
				unsigned int len);

struct region {
	unsigned int nr;		/* blocks */
	unsigned char *mem[MAX_BLOCKS];	/* GUARD, block, GUARD */
	unsigned int asked_beyond;	/* block() calls with i >= nr */
};

static void *region_block(void *ctx, unsigned int i)
{
	struct region *r = ctx;

	if (i >= r->nr) {
		/* a block past the region: count it, hand a harmless one */
		r->asked_beyond++;
		i = 0;
	}
	return r->mem[i] + GUARD;
}

static unsigned long long rng = 0x9e3779b97f4a7c15ULL;

static unsigned int rnd(unsigned int n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (unsigned int)(rng >> 11) % n;
}

/* ---------------------------------------------------------------- */
/* Sabotaged copies: sc_stage_copy() wrong in one way each. */

enum sabotage {
	SAB_SRC_CUT,	/* cut at the source's page boundary, not the block's */
	SAB_CUT_LATE,	/* cut one byte past the block's end */
	SAB_SHORT,	/* the segment's last byte not copied */
	SAB_ONE_BLOCK,	/* every piece into the segment's first block */
	SAB_NEXT_BLOCK,	/* every piece into the block after its own */
	SAB_COUNT
};

static const char *const sab_names[SAB_COUNT] = {
	[SAB_SRC_CUT] = "cut at the source's page boundary",
	[SAB_CUT_LATE] = "cut one byte past the block",
	[SAB_SHORT] = "segment's last byte not copied",
	[SAB_ONE_BLOCK] = "every piece into the segment's first block",
	[SAB_NEXT_BLOCK] = "every piece into the next block",
};

static enum sabotage sabotage;

static unsigned int sab_copy(void *(*block)(void *ctx, unsigned int i),
			     void *ctx, unsigned int off, const void *src,
			     unsigned int len)
{
	unsigned int done, n, in, room, first = off >> SC_STAGE_SHIFT, b;
	const char *from;

	for (done = 0; done < len; done += n, off += n) {
		from = (const char *)src + done;
		in = off & (SC_STAGE_SIZE - 1);
		room = SC_STAGE_SIZE - in;
		if (sabotage == SAB_SRC_CUT)
			room = SC_STAGE_SIZE -
			       ((uintptr_t)from & (SC_STAGE_SIZE - 1));
		else if (sabotage == SAB_CUT_LATE)
			room++;
		n = min(len - done, room);
		b = off >> SC_STAGE_SHIFT;
		if (sabotage == SAB_ONE_BLOCK)
			b = first;
		else if (sabotage == SAB_NEXT_BLOCK)
			b++;
		memcpy((char *)block(ctx, b) + in, from,
		       n - (sabotage == SAB_SHORT && done + n == len));
	}
	return off;
}

/* ---------------------------------------------------------------- */

/* What one list did: all zero when the copy matched the reference. */
struct outcome {
	unsigned int bad_return;	/* segments whose return was not off + len */
	unsigned int bad_bytes;		/* block bytes unlike the reference */
	unsigned int bad_guards;	/* guard bytes written */
	unsigned int asked_beyond;
	unsigned int first_bad_block;	/* of bad_bytes or bad_guards */
};

/* Segment shapes: how a bio's memory may look. */
enum shape { IN_PAGE_SECTORS, IN_PAGE_BYTES, MULTI_PAGE, SHAPES };

/*
 * One random segment list over a region of @nr blocks, @total bytes of
 * it, copied by @copy.  Each segment is its own allocation of exactly its
 * length, at a random offset inside a page-aligned buffer, so that a read
 * past its end is AddressSanitizer's to see.  @cut counts the segments
 * that cross from one block into the next.
 */
static struct outcome run_list(copy_fn copy, unsigned int nr,
			       unsigned int total, enum shape shape,
			       unsigned int *segments, unsigned int *cut)
{
	static unsigned char flat[MAX_BLOCKS * SC_STAGE_SIZE];
	struct outcome o = { .first_bad_block = ~0U };
	struct region r = { .nr = nr };
	unsigned int i, b, off = 0, ret, in, len;
	unsigned char *page, *src;

	memset(flat, UNTOUCHED, sizeof(flat));
	for (i = 0; i < nr; i++) {
		r.mem[i] = malloc(GUARD + SC_STAGE_SIZE + GUARD);
		memset(r.mem[i], GUARD_BYTE, GUARD);
		memset(r.mem[i] + GUARD, UNTOUCHED, SC_STAGE_SIZE);
		memset(r.mem[i] + GUARD + SC_STAGE_SIZE, GUARD_BYTE, GUARD);
	}
	*segments = 0;
	*cut = 0;
	while (off < total) {
		switch (shape) {
		case IN_PAGE_SECTORS:	/* XFS log recovery's: 512-byte steps */
			in = 512 * rnd(8);
			len = 512 * (1 + rnd((SC_STAGE_SIZE - in) / 512));
			break;
		case IN_PAGE_BYTES:	/* any byte, within one page */
			in = rnd(SC_STAGE_SIZE);
			len = 1 + rnd(SC_STAGE_SIZE - in);
			break;
		default:		/* longer than a page, across several */
			in = rnd(SC_STAGE_SIZE);
			len = 1 + rnd(3 * SC_STAGE_SIZE);
			break;
		}
		len = min(len, total - off);
		/* its own allocation, ending where it does */
		if (posix_memalign((void **)&page, SC_STAGE_SIZE, in + len))
			abort();
		src = page + in;
		for (i = 0; i < len; i++)
			src[i] = (unsigned char)(rnd(255) + 1);
		for (i = 0; i < len; i++)
			flat[off + i] = src[i];
		ret = copy(region_block, &r, off, src, len);
		if (ret != off + len)
			o.bad_return++;
		if ((off & (SC_STAGE_SIZE - 1)) + len > SC_STAGE_SIZE)
			(*cut)++;
		off += len;
		free(page);
		(*segments)++;
	}
	for (b = 0; b < nr; b++) {
		unsigned char *m = r.mem[b];

		for (i = 0; i < GUARD; i++) {
			if (m[i] != GUARD_BYTE ||
			    m[GUARD + SC_STAGE_SIZE + i] != GUARD_BYTE) {
				o.bad_guards++;
				o.first_bad_block = min(o.first_bad_block, b);
			}
		}
		for (i = 0; i < SC_STAGE_SIZE; i++) {
			if (m[GUARD + i] != flat[b * SC_STAGE_SIZE + i]) {
				o.bad_bytes++;
				o.first_bad_block = min(o.first_bad_block, b);
			}
		}
		free(m);
	}
	o.asked_beyond = r.asked_beyond;
	return o;
}

static bool clean(const struct outcome *o)
{
	return !o->bad_return && !o->bad_bytes && !o->bad_guards &&
	       !o->asked_beyond;
}

/*
 * @lists random lists through @copy.  Return: how many were not clean;
 * the first such described in @why.
 */
static unsigned int run_lists(copy_fn copy, unsigned int lists,
			      unsigned int *segments, unsigned int *cut,
			      char *why, size_t why_len)
{
	unsigned int k, nr, total, segs, cuts, failed = 0;
	enum shape shape;
	struct outcome o;

	*segments = 0;
	*cut = 0;
	for (k = 0; k < lists; k++) {
		nr = 1 + rnd(MAX_BLOCKS);
		/* mostly whole blocks, as staged; else a partial last block */
		total = rnd(4) ? nr * SC_STAGE_SIZE :
			(nr - 1) * SC_STAGE_SIZE + 1 + rnd(SC_STAGE_SIZE);
		shape = (enum shape)(k % SHAPES);
		o = run_list(copy, nr, total, shape, &segs, &cuts);
		*segments += segs;
		*cut += cuts;
		if (clean(&o))
			continue;
		if (!failed++)
			snprintf(why, why_len,
				 "list %u (%u blocks, %u bytes, shape %d): %u bytes wrong, %u guard bytes written, %u returns wrong, %u blocks asked past the region, first in block %u",
				 k, nr, total, shape, o.bad_bytes,
				 o.bad_guards, o.bad_return, o.asked_beyond,
				 o.first_bad_block);
	}
	return failed;
}

/* Directed cases: the edges a random list may not hit every time. */
static void test_directed(void)
{
	unsigned char buf[2 * SC_STAGE_SIZE + 1];
	struct region r = { .nr = 2 };
	unsigned int i, ret;

	for (i = 0; i < sizeof(buf); i++)
		buf[i] = (unsigned char)(i * 7 + 1);
	for (i = 0; i < 2; i++) {
		r.mem[i] = malloc(GUARD + SC_STAGE_SIZE + GUARD);
		memset(r.mem[i], GUARD_BYTE, GUARD + SC_STAGE_SIZE + GUARD);
	}
	/* nothing to copy: nothing written, no block asked for */
	ret = sc_stage_copy(region_block, &r, 5, buf, 0);
	CHECK(ret == 5 && r.asked_beyond == 0 &&
	      r.mem[0][GUARD + 5] == GUARD_BYTE,
	      "an empty segment returned %u", ret);
	/* one byte, the last of the first block: no cut, nothing after it */
	ret = sc_stage_copy(region_block, &r, SC_STAGE_SIZE - 1, buf, 1);
	CHECK(ret == SC_STAGE_SIZE && r.mem[0][GUARD + SC_STAGE_SIZE - 1] ==
	      buf[0] && r.mem[0][GUARD + SC_STAGE_SIZE] == GUARD_BYTE &&
	      r.mem[1][GUARD] == GUARD_BYTE,
	      "the first block's last byte: returned %u", ret);
	/* two bytes across the boundary: one each side, cut between them */
	ret = sc_stage_copy(region_block, &r, SC_STAGE_SIZE - 1, buf + 1, 2);
	CHECK(ret == SC_STAGE_SIZE + 1 &&
	      r.mem[0][GUARD + SC_STAGE_SIZE - 1] == buf[1] &&
	      r.mem[0][GUARD + SC_STAGE_SIZE] == GUARD_BYTE &&
	      r.mem[1][GUARD] == buf[2] && r.mem[1][GUARD - 1] == GUARD_BYTE,
	      "two bytes across the boundary: returned %u", ret);
	/* the whole region at once, from a source 512 bytes into a page */
	ret = sc_stage_copy(region_block, &r, 0, buf + 1, 2 * SC_STAGE_SIZE);
	CHECK(ret == 2 * SC_STAGE_SIZE &&
	      !memcmp(r.mem[0] + GUARD, buf + 1, SC_STAGE_SIZE) &&
	      !memcmp(r.mem[1] + GUARD, buf + 1 + SC_STAGE_SIZE,
		      SC_STAGE_SIZE) &&
	      r.mem[1][GUARD + SC_STAGE_SIZE] == GUARD_BYTE &&
	      r.mem[0][GUARD - 1] == GUARD_BYTE && r.asked_beyond == 0,
	      "the whole region in one segment: returned %u", ret);
	for (i = 0; i < 2; i++)
		free(r.mem[i]);
}

static void test_random(void)
{
	unsigned int failed, segments, cut;
	char why[256] = "";

	failed = run_lists(sc_stage_copy, 3000, &segments, &cut, why,
			   sizeof(why));
	CHECK(failed == 0, "%u of 3000 lists wrong: %s", failed, why);
	/* the lists must reach the case the test is for */
	CHECK(cut > segments / 4, "only %u of %u segments cut at a block",
	      cut, segments);
	printf("stage: 3000 lists, %u segments, %u of them cut at a block: %u lists wrong\n",
	       segments, cut, failed);
}

static void test_sabotage(void)
{
	unsigned int failed, segments, cut;
	char why[256];

	for (sabotage = 0; sabotage < SAB_COUNT; sabotage++) {
		why[0] = '\0';
		failed = run_lists(sab_copy, 300, &segments, &cut, why,
				   sizeof(why));
		CHECK(failed > 0, "sabotage \"%s\" not caught in 300 lists",
		      sab_names[sabotage]);
		printf("stage: sabotage \"%s\": %u of 300 lists caught: %.200s\n",
		       sab_names[sabotage], failed, why);
	}
}

int main(void)
{
	test_directed();
	test_random();
	test_sabotage();
	return sc_test_summary("stage");
}
