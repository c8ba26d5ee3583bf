// SPDX-License-Identifier: GPL-2.0
/*
 * The verify option: a crc32c for every page the SSD holds, taken from the
 * very copy that is written there and checked when an SSD read completes,
 * before the data reaches the reader.  A mismatch is an SSD read error:
 * the read is reissued to the origin, the blocks dropped, and enough of
 * them degrade the target (path.c).  Nothing else in swapcache checks
 * what the SSD returns, and SSDs do return wrong bytes: a flipped bit, a
 * lost write, a firmware bug.
 *
 * The sums live in pages of SC_SUMS_PER_PAGE slots each, allocated the
 * first time one of their slabs is filled and kept until the table goes:
 * 4 bytes per slot of the part of the SSD ever used, plus a directory of a
 * pointer per 4 MiB of SSD made at construction.  A slot's sum is written
 * only while its slab is being filled, which the map hands out only when no
 * read of it is in flight, and read only by reads that found the slot in
 * the map; the map's lock, taken to enter the slab after its sums are
 * written, orders the two.
 */
#include <linux/bio.h>
#include <linux/crc32c.h>
#include <linux/gfp.h>
#include <linux/highmem.h>
#include <linux/mm.h>

#include "swapcache.h"

static_assert(SC_SUMS_PER_PAGE % SC_SLAB_SIZE == 0,
	      "a slab's sums must lie in one page");

/**
 * sc_verify_create() - make the directory of a verifying target's sums
 * @sc: the target, its map created
 * @error: where to put the table's error message
 *
 * Does nothing without the verify option.  Sleeps; process context (the
 * constructor).
 *
 * Return: 0 or -ENOMEM.
 */
int sc_verify_create(struct sc_target *sc, char **error)
{
	if (!sc->verify)
		return 0;
	sc->nr_sum_pages = DIV_ROUND_UP(sc->map.nr_slots, SC_SUMS_PER_PAGE);
	sc->sum_pages = kvcalloc(sc->nr_sum_pages, sizeof(*sc->sum_pages),
				 GFP_KERNEL);
	if (!sc->sum_pages) {
		*error = "Cannot allocate the checksum directory";
		return -ENOMEM;
	}
	return 0;
}

/**
 * sc_verify_destroy() - free a target's sums
 * @sc: the target, with no I/O left
 *
 * Safe on a partly constructed target.  Sleeps; process context.
 */
void sc_verify_destroy(struct sc_target *sc)
{
	u32 i;

	if (!sc->sum_pages)
		return;
	for (i = 0; i < sc->nr_sum_pages; i++) {
		free_page((unsigned long)sc->sum_pages[i]);
		cond_resched();
	}
	kvfree(sc->sum_pages);
	sc->sum_pages = NULL;
}

/* The sum recorded for @slot; its page exists once the slot was filled. */
static u32 sc_recorded_sum(struct sc_target *sc, u32 slot)
{
	const u32 *sums = READ_ONCE(sc->sum_pages[slot / SC_SUMS_PER_PAGE]);

	return sums[slot % SC_SUMS_PER_PAGE];
}

static u32 sc_sum_page(struct page *page)
{
	void *data = kmap_local_page(page);
	u32 sum = crc32c(~0U, data, PAGE_SIZE);

	kunmap_local(data);
	return sum;
}

/**
 * sc_verify_prepare() - record the sums of a cluster about to be written
 * @sc: the target
 * @slab: the slab just handed out for it, not yet in the map
 * @pages: the cluster's data, exactly as it is to be written
 * @count: how many pages
 *
 * Does nothing without the verify option.  Called with insert_lock held,
 * before the SSD write.  Sleeps (allocates with GFP_NOIO); process context.
 *
 * Return: 0, or -ENOMEM when the sums have no page: the cluster is then
 * not to be written.
 */
int sc_verify_prepare(struct sc_target *sc, sc_slab_t slab,
		      struct page **pages, unsigned int count)
{
	u32 slot = from_slot(sc_slab_slot(slab, 0));
	u32 index = slot / SC_SUMS_PER_PAGE;
	u32 *sums;
	unsigned int i;

	if (!sc->verify)
		return 0;
	sums = sc->sum_pages[index];
	if (!sums) {
		sums = (u32 *)get_zeroed_page(GFP_NOIO | __GFP_NORETRY |
					      __GFP_NOWARN);
		if (!sums)
			return -ENOMEM;
		/* Completions may read the pointer for other slots meanwhile. */
		WRITE_ONCE(sc->sum_pages[index], sums);
	}
	sums += slot % SC_SUMS_PER_PAGE;
	for (i = 0; i < count; i++)
		sums[i] = sc_sum_page(pages[i]);
	return 0;
}

/**
 * sc_verify_recheck() - whether the SSD itself holds the wrong data
 * @sc: the target
 * @pb: a read whose data failed sc_verify_read(), its slab's reader count
 *	still held, so its slots cannot be refilled meanwhile
 *
 * The data checked in completion is in the reader's own buffer, which an
 * O_DIRECT reader may change while the read is in flight (another thread
 * writing to it, io_uring reads sharing a scratch buffer): that is no SSD
 * fault and must neither count as one nor, eight times over, disable the
 * cache.  So the run is read again, as one read as before, into pages of
 * our own and checked there.  Sleeps; process context (the retry worker).
 *
 * Return: true when the SSD's copy fails its sum or cannot be read again
 * (or no page is left to read it into): an SSD error.
 */
bool sc_verify_recheck(struct sc_target *sc, const struct sc_bio *pb)
{
	struct page *pages[SC_SLAB_SIZE] = { };
	u32 slot = from_slot(pb->first_slot);
	bool bad = false;
	u32 i;

	if (WARN_ON_ONCE(pb->blocks > SC_SLAB_SIZE))
		return true;
	for (i = 0; !bad && i < pb->blocks; i++) {
		pages[i] = alloc_page(GFP_NOIO | __GFP_NOWARN);
		bad = !pages[i];
	}
	if (!bad)
		bad = sc_io_pages(sc->cache->bdev, REQ_OP_READ,
				  sc_slot_sector(sc, pb->first_slot), pages,
				  pb->blocks);
	for (i = 0; !bad && i < pb->blocks; i++)
		bad = sc_sum_page(pages[i]) != sc_recorded_sum(sc, slot + i);
	for (i = 0; i < pb->blocks; i++)
		if (pages[i])
			__free_page(pages[i]);
	return bad;
}

/**
 * sc_verify_routable() - whether a read of cached blocks may go to the SSD
 * @sc: the target
 * @bio: the read, pointed at the origin
 *
 * A sum covers a whole block, so a verifying target serves from the SSD
 * only reads of whole aligned blocks (every page cache read is one); the
 * rest go to the origin.  Must not sleep; the map function.
 *
 * Return: true when the read may be served from the SSD.
 */
bool sc_verify_routable(struct sc_target *sc, struct bio *bio)
{
	if (!sc->verify)
		return true;
	return IS_ALIGNED(bio->bi_iter.bi_sector, SC_SECTORS_PER_BLOCK) &&
	       IS_ALIGNED(bio->bi_iter.bi_size, SC_BLOCK_SIZE);
}

/**
 * sc_verify_read() - check what a completed SSD read brought back
 * @sc: the target
 * @bio: the read, completed without an error
 * @pb: its per-bio data: the extent read and the first slot
 *
 * Walks the data with the extent saved when the read was routed (the
 * bio's own iterator is spent by then), block by block, and compares each
 * block's crc32c with the one recorded when its slot was filled.  Any
 * context: end_io's, interrupts included (a completion carries at most a
 * slab, 64 KiB, to sum).
 *
 * Return: true when every block matches, or without the verify option.
 */
bool sc_verify_read(struct sc_target *sc, struct bio *bio,
		    const struct sc_bio *pb)
{
	struct bvec_iter iter;
	struct bio_vec bv;
	u32 slot = from_slot(pb->first_slot);
	u32 sum = ~0U, filled = 0;

	if (!sc->verify)
		return true;
	__bio_for_each_segment(bv, bio, iter, pb->origin_iter) {
		u32 done = 0;

		while (done < bv.bv_len) {
			u32 len = min_t(u32, bv.bv_len - done,
					SC_BLOCK_SIZE - filled);
			void *data = kmap_local_page(bv.bv_page);

			sum = crc32c(sum, data + bv.bv_offset + done, len);
			kunmap_local(data);
			done += len;
			filled += len;
			if (filled < SC_BLOCK_SIZE)
				continue;
			if (sum != sc_recorded_sum(sc, slot))
				return false;
			slot++;
			sum = ~0U;
			filled = 0;
		}
	}
	return true;
}
