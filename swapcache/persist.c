// SPDX-License-Identifier: GPL-2.0
/*
 * The cache device's own format, and the persistent option: a header in
 * the first slab of the SSD, the data slabs, and a checkpoint region of
 * the map at the end (the admin guide's "Persistent mode" has the layout, version
 * 1, and the reasons a load starts cold).
 *
 * The rule that keeps a restored cache true: the header says "clean" only
 * while no table is using the SSD and the checkpoint it names is a whole
 * copy of the map of the last table that did.  So the header is written
 * (FUA) as open at every resume, before the first bio passes through and
 * before the thread may write a slab (preresume), and written as clean
 * only by a postsuspend that found the target quiet and wrote the whole
 * checkpoint first (a flush, then the header with FUA).  A crash, a power
 * cut, a failed checkpoint write leave it open, and the next load starts
 * cold.  Every table writes the header, volatile ones too: a volatile
 * table leaves it open, so that a later persistent load cannot trust a
 * checkpoint whose slabs the volatile table has since rewritten.
 *
 * The map is restored at a table's first resume (preresume), not at its
 * construction, as dm-cache loads its mappings: a table loaded to replace
 * a live one (`dmsetup reload`) then reads the checkpoint the old table's
 * suspend has just written, rather than the open header of a table still
 * in use, and nothing is read from the SSD while the old table may still
 * write it.
 *
 * The origin is flushed before the header is written clean: the header
 * vouches for the cache beside what the origin's media hold.
 *
 * What the header cannot see is a write to the origin while no table is
 * loaded (dm-cache's contract: the origin is written only through the
 * target).  The fingerprint guards against the commonest one, a direct
 * mount: an xxh64 of the origin's first 4 KiB and of the 4 KiB at 64 KiB,
 * where ext4 (mount time and count, at byte 1024), XFS (the superblock's
 * sb_lsn, rewritten when the log is covered at unmount) and btrfs (its
 * superblock's generation, at 64 KiB) record a mount.
 *
 * The checkpoint is a stream of 16-byte items: one per extent of the map
 * (group, slab, valid pages, shift: sc_map_export(); a group entry, or a
 * group's pages at one shift in a span entry), a slab's together, and
 * with the verify option the slab's 16 sums (4 items) after its last
 * extent.  Room for the worst shape of every slab (16 extents, one page
 * each, and 4 items of sums) is reserved when the layout is made, so a
 * checkpoint always fits.
 */
#include <linux/bio.h>
#include <linux/blkdev.h>
#include <linux/crc32c.h>
#include <linux/gfp.h>
#include <linux/highmem.h>
#include <linux/ktime.h>
#include <linux/mm.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/xxhash.h>

#include "swapcache.h"

#define SC_HDR_MAGIC		0x3168636170617773ULL	/* "swapach1", LE */
#define SC_HDR_VERSION		1
#define SC_HDR_BYTES		512	/* what the crc covers */

enum {
	SC_HDR_OPEN = 1,	/* a table is using the SSD, or crashed */
	SC_HDR_CLEAN = 2,	/* the checkpoint is the whole, true map */
};

/* Header flags */
#define SC_HDR_PERSISTENT	BIT(0)	/* written by a persistent table */
#define SC_HDR_SUMS		BIT(1)	/* the checkpoint holds verify's sums */

/* Item flags */
#define SC_ITEM_SUMS		BIT(0)	/* the slab's 16 sums follow: 4 items */

#define SC_ITEM_BYTES		16
#define SC_ITEMS_PER_PAGE	(PAGE_SIZE / SC_ITEM_BYTES)
#define SC_SUM_ITEMS		(SC_SLAB_SIZE * sizeof(u32) / SC_ITEM_BYTES)
/* The most a slab can take in the checkpoint: 16 extents and its sums. */
#define SC_ITEMS_PER_SLAB	(SC_SLAB_SIZE + SC_SUM_ITEMS)
#define SC_ITEMS_PER_CKPT_SLAB	(SC_SLAB_SIZE * SC_ITEMS_PER_PAGE)
/* Checkpoint I/O in pieces of a slab: the buffer is allocated once. */
#define SC_CKPT_PAGES		SC_SLAB_SIZE
#define SC_EXPORT_MAX		256
#define SC_KEY_SLAB_BITS	28

/**
 * struct sc_disk_header - the first 512 bytes of the cache device, little
 *	endian; the rest of its first 4 KiB is zero and its first slab is
 *	reserved for it
 * @magic: SC_HDR_MAGIC
 * @version: SC_HDR_VERSION
 * @state: SC_HDR_OPEN or SC_HDR_CLEAN
 * @flags: SC_HDR_PERSISTENT, SC_HDR_SUMS
 * @crc: crc32c of the 512 bytes with this field zero
 * @generation: one more at each open
 * @origin_sectors: the origin device's size
 * @target_sectors: the table's length
 * @cache_sectors: the cache device's size
 * @fingerprint: xxh64 of the origin's 4 KiB at 0 and at 64 KiB, when the
 *	header was last written clean
 * @slab_sectors: 128
 * @ckpt_slabs: slabs of the checkpoint region, after the data slabs
 * @data_slabs: slabs of data, from slab 1: the map's
 * @item_bytes: 16
 * @ckpt_items: 16-byte items in the checkpoint
 * @ckpt_crc: crc32c of those items, seeded with the generation
 * @zero: 0
 */
struct sc_disk_header {
	__le64 magic;
	__le32 version;
	__le32 state;
	__le32 flags;
	__le32 crc;
	__le64 generation;
	__le64 origin_sectors;
	__le64 target_sectors;
	__le64 cache_sectors;
	__le64 fingerprint;
	__le32 slab_sectors;
	__le32 ckpt_slabs;
	__le32 data_slabs;
	__le32 item_bytes;
	__le64 ckpt_items;
	__le32 ckpt_crc;
	__le32 zero;
} __packed;

static_assert(sizeof(struct sc_disk_header) <= SC_HDR_BYTES);

/**
 * struct sc_disk_item - a map entry in the checkpoint, little endian
 * @key: group << 28 | slab
 * @valid: the entry's valid pages
 * @shift: the entry's shift (struct sc_map_extent)
 * @flags: SC_ITEM_SUMS on a slab's last entry when its sums follow
 * @zero: 0
 */
struct sc_disk_item {
	__le64 key;
	__le16 valid;
	u8 shift;
	u8 flags;
	__le32 zero;
} __packed;

static_assert(sizeof(struct sc_disk_item) == SC_ITEM_BYTES);

/**
 * struct sc_persist - a target's side of its cache device's format
 * @lock: orders the header's writes (resume, checkpoint, invalidate)
 * @generation: of the header this target last wrote or read
 * @open_on_ssd: this target wrote the header open and has not closed it
 * @clean_on_ssd: the header on the SSD may say clean (read so, or
 *	written so by this target, or a write of it as clean was tried,
 *	and not reopened since)
 * @resumed: the table's first resume has come (and restored the map or
 *	started cold), or an invalidate made a restore pointless: no restore
 *	from now on
 * @hdr: a page for the header
 * @fp: a page for the origin's blocks read for the fingerprint
 * @buf: SC_CKPT_PAGES pages of checkpoint I/O
 * @extents: what sc_export_step() copies out
 */
struct sc_persist {
	struct mutex lock;		/* the header's writes */
	u64 generation;
	bool open_on_ssd;
	bool clean_on_ssd;
	bool resumed;
	struct page *hdr;
	struct page *fp;
	struct page *buf[SC_CKPT_PAGES];
	struct sc_map_extent extents[SC_EXPORT_MAX];
};

/**
 * sc_persist_layout() - where the header, checkpoint and data slabs lie
 * @cache_sectors: the cache device's size
 * @ckpt_slabs: set to the checkpoint region's slabs
 *
 * Slab 0 is the header's; the data slabs follow, at most
 * SC_MAP_MAX_SLABS of them; then the checkpoint region, with room for the
 * worst shape of every data slab (SC_ITEMS_PER_SLAB items).  Data first,
 * so that a cache device's first slabs, which the map hands out first,
 * stay where they were before the format existed.  Pure arithmetic, the same for volatile
 * and persistent tables, so that both find the other's header.
 *
 * Return: the data slabs, the map's size.
 */
u32 sc_persist_layout(u64 cache_sectors, u32 *ckpt_slabs)
{
	u64 raw = cache_sectors / SC_SLAB_SECTORS;
	u64 capped = min_t(u64, raw, SC_MAP_MAX_SLABS);

	*ckpt_slabs = DIV_ROUND_UP(capped * SC_ITEMS_PER_SLAB,
				   SC_ITEMS_PER_CKPT_SLAB);
	/* The constructor refuses less than 16 slabs: 2 are reserved. */
	return min_t(u64, raw - 1 - *ckpt_slabs, SC_MAP_MAX_SLABS);
}

static u32 sc_header_crc(const struct sc_disk_header *h)
{
	struct sc_disk_header copy = *h;

	copy.crc = 0;
	return crc32c(crc32c(~0U, &copy, sizeof(copy)),
		      (const u8 *)h + sizeof(*h), SC_HDR_BYTES - sizeof(*h));
}

/*
 * The origin's fingerprint (see the top of the file).  Not a crc32c: ext4's
 * superblock ends with its own crc32c, and a crc over data followed by
 * the data's own crc is the same constant whatever the data (the crc's
 * residue; the zeros around it change only the constant), so every ext4
 * superblock with metadata_csum would have the same fingerprint.  xxh64
 * is not linear.
 */
static int sc_fingerprint(struct sc_target *sc, u64 *fp)
{
	struct sc_persist *p = sc->persist;
	sector_t size = bdev_nr_sectors(sc->origin->bdev);
	static const sector_t at[] = { 0, 128 };	/* 0 and 64 KiB */
	struct xxh64_state state;
	unsigned int i;
	void *data;
	int r;

	xxh64_reset(&state, SC_HDR_MAGIC);
	for (i = 0; i < ARRAY_SIZE(at); i++) {
		if (at[i] + SC_SECTORS_PER_BLOCK > size)
			break;
		r = sc_io_pages(sc->origin->bdev, REQ_OP_READ, at[i],
				&p->fp, 1);
		if (r)
			return r;
		data = kmap_local_page(p->fp);
		xxh64_update(&state, data, PAGE_SIZE);
		kunmap_local(data);
	}
	*fp = xxh64_digest(&state);
	return 0;
}

/* The header this target would write, in p->hdr. */
static struct sc_disk_header *sc_header_fill(struct sc_target *sc, u32 state,
					     u32 flags, u64 fp, u64 items,
					     u32 ckpt_crc)
{
	struct sc_persist *p = sc->persist;
	struct sc_disk_header *h = page_address(p->hdr);

	memset(h, 0, PAGE_SIZE);
	h->magic = cpu_to_le64(SC_HDR_MAGIC);
	h->version = cpu_to_le32(SC_HDR_VERSION);
	h->state = cpu_to_le32(state);
	h->flags = cpu_to_le32(flags | (sc->persistent ? SC_HDR_PERSISTENT : 0));
	h->generation = cpu_to_le64(p->generation);
	h->origin_sectors = cpu_to_le64(bdev_nr_sectors(sc->origin->bdev));
	h->target_sectors = cpu_to_le64(sc->ti->len);
	h->cache_sectors = cpu_to_le64(bdev_nr_sectors(sc->cache->bdev));
	h->fingerprint = cpu_to_le64(fp);
	h->slab_sectors = cpu_to_le32(SC_SLAB_SECTORS);
	h->ckpt_slabs = cpu_to_le32(sc->ckpt_slabs);
	h->data_slabs = cpu_to_le32(sc->map.nr_slabs);
	h->ckpt_items = cpu_to_le64(items);
	h->ckpt_crc = cpu_to_le32(ckpt_crc);
	h->item_bytes = cpu_to_le32(SC_ITEM_BYTES);
	h->crc = cpu_to_le32(sc_header_crc(h));
	return h;
}

/* Write p->hdr: after a flush of everything before it, and FUA. */
static int sc_header_write(struct sc_target *sc)
{
	return sc_io_pages(sc->cache->bdev,
			   REQ_OP_WRITE | REQ_PREFLUSH | REQ_FUA | REQ_SYNC,
			   0, &sc->persist->hdr, 1);
}

/* Write the header open, as the next generation. */
static int sc_header_write_open(struct sc_target *sc)
{
	sc->persist->generation++;
	sc_header_fill(sc, SC_HDR_OPEN, 0, 0, 0, 0);
	return sc_header_write(sc);
}

/*
 * Read the header as it is on the SSD now, into p->hdr.  Return: its state
 * (SC_HDR_OPEN, or SC_HDR_CLEAN for any other: a state this version does
 * not know counts as maybe clean, though sc_restore_check() restores
 * only from SC_HDR_CLEAN), with
 * *@generation; 0 when no valid header is there (no magic, a wrong crc:
 * nothing a load would trust); -EIO when it cannot be read.
 */
static int sc_header_state(struct sc_target *sc, u64 *generation)
{
	struct sc_persist *p = sc->persist;
	struct sc_disk_header *h = page_address(p->hdr);

	if (sc_io_pages(sc->cache->bdev, REQ_OP_READ, 0, &p->hdr, 1))
		return -EIO;
	if (le64_to_cpu(h->magic) != SC_HDR_MAGIC ||
	    le32_to_cpu(h->crc) != sc_header_crc(h))
		return 0;
	*generation = le64_to_cpu(h->generation);
	return le32_to_cpu(h->state) == SC_HDR_OPEN ? SC_HDR_OPEN :
						      SC_HDR_CLEAN;
}

/**
 * sc_persist_create() - lay out the cache device and allocate the format's
 *	buffers
 * @sc: the target, its devices open, before sc_cache_create()
 * @error: where to put the constructor's error message
 *
 * Sets the data slabs' place and number.  Sleeps; process context.
 * sc_persist_destroy() undoes any part of it.
 *
 * Return: 0 or -ENOMEM.
 */
int sc_persist_create(struct sc_target *sc, char **error)
{
	u64 raw = bdev_nr_sectors(sc->cache->bdev) / SC_SLAB_SECTORS;
	struct sc_persist *p;
	unsigned int i;

	sc->nr_data_slabs = sc_persist_layout(bdev_nr_sectors(sc->cache->bdev),
					      &sc->ckpt_slabs);
	sc->data_start = SC_SLAB_SECTORS;
	sc->ckpt_start = (sector_t)(1 + sc->nr_data_slabs) * SC_SLAB_SECTORS;
	if (raw - 1 - sc->ckpt_slabs > SC_MAP_MAX_SLABS)
		DMWARN("%s: only the first %lu MiB of the cache device are used for data",
		       dm_table_device_name(sc->ti->table),
		       SC_MAP_MAX_SLABS >> (20 - SC_BLOCK_SHIFT - SC_SLAB_SHIFT));

	p = kzalloc(sizeof(*p), GFP_KERNEL);
	sc->persist = p;
	if (!p)
		goto nomem;
	mutex_init(&p->lock);
	p->hdr = alloc_page(GFP_KERNEL);
	p->fp = alloc_page(GFP_KERNEL);
	if (!p->hdr || !p->fp)
		goto nomem;
	/* A volatile table only writes its header. */
	if (!sc->persistent)
		return 0;
	for (i = 0; i < SC_CKPT_PAGES; i++) {
		p->buf[i] = alloc_page(GFP_KERNEL);
		if (!p->buf[i])
			goto nomem;
	}
	return 0;
nomem:
	*error = "Cannot allocate the persistent format's buffers";
	return -ENOMEM;
}

/**
 * sc_persist_destroy() - free what sc_persist_create() allocated
 * @sc: the target
 *
 * Safe on a partly constructed target.  Process context.
 */
void sc_persist_destroy(struct sc_target *sc)
{
	struct sc_persist *p = sc->persist;
	unsigned int i;

	if (!p)
		return;
	for (i = 0; i < SC_CKPT_PAGES; i++)
		if (p->buf[i])
			__free_page(p->buf[i]);
	if (p->hdr)
		__free_page(p->hdr);
	if (p->fp)
		__free_page(p->fp);
	kfree(p);
	sc->persist = NULL;
}

/*----------------------------------------------------------------*/

/* Restore */

/* Item @at of the checkpoint buffer. */
static struct sc_disk_item *sc_ckpt_item(struct sc_persist *p, u32 at)
{
	return (struct sc_disk_item *)page_address(p->buf[at /
							 SC_ITEMS_PER_PAGE]) +
	       at % SC_ITEMS_PER_PAGE;
}

/* Read @n items of the checkpoint region from item @done into p->buf. */
static int sc_ckpt_read(struct sc_target *sc, u64 done, u64 n)
{
	return sc_io_pages(sc->cache->bdev, REQ_OP_READ,
			   sc->ckpt_start + done * SC_ITEM_BYTES / SECTOR_SIZE,
			   sc->persist->buf,
			   DIV_ROUND_UP(n, SC_ITEMS_PER_PAGE));
}

/*
 * The checkpoint's crc, over the whole region the header names, before
 * anything of it is entered: a checkpoint damaged on the SSD never reaches
 * the map, whose refusals of a cluster that cannot be (sc_map_fill_slab())
 * are warnings, meant for the module's own bugs.  Costs one more read of
 * the region.  Only an early exit: what is entered is read again, and
 * checked again (sc_restore_map()).  The reason to start cold, or NULL.
 */
static const char *sc_ckpt_verify(struct sc_target *sc,
				  const struct sc_disk_header *h)
{
	u64 items = le64_to_cpu(h->ckpt_items), done, n;
	u32 crc = crc32c(~0U, &h->generation, sizeof(h->generation));
	unsigned int i;

	for (done = 0; done < items; done += n) {
		n = min_t(u64, items - done, SC_CKPT_PAGES * SC_ITEMS_PER_PAGE);
		if (sc_ckpt_read(sc, done, n))
			return "checkpoint is unreadable";
		for (i = 0; i < n; i++)
			crc = crc32c(crc, sc_ckpt_item(sc->persist, i),
				     SC_ITEM_BYTES);
		cond_resched();
	}
	if (crc != le32_to_cpu(h->ckpt_crc))
		return "checkpoint checksum mismatch";
	return NULL;
}

/* A slab being put back together from its items. */
struct sc_restore_slab {
	u32 slab;
	u32 used;
	u32 sum_items;		/* sum items still to read for it */
	bool has_sums;
	sc_oblock_t oblocks[SC_SLAB_SIZE];
	__le32 sums[SC_SLAB_SIZE];
};

static void sc_restore_slab_reset(struct sc_restore_slab *rs, u32 slab)
{
	unsigned int i;

	rs->slab = slab;
	rs->used = 0;
	rs->sum_items = 0;
	rs->has_sums = false;
	for (i = 0; i < SC_SLAB_SIZE; i++)
		rs->oblocks[i] = to_oblock(SC_OBLOCK_NONE);
}

/* Enter a slab put back together into the map; its sums first. */
static const char *sc_restore_commit(struct sc_target *sc,
				     struct sc_restore_slab *rs)
{
	unsigned int i, pages = 0;
	int r;

	if (rs->slab == SC_NIL)
		return NULL;
	if (rs->sum_items)
		return "checkpoint is corrupt (a slab's sums are cut short)";
	if (sc->verify) {
		u32 slot = from_slot(sc_slab_slot(to_slab(rs->slab), 0));
		u32 index = slot / SC_SUMS_PER_PAGE;
		u32 *sums;

		if (!rs->has_sums)
			return "checkpoint has no checksums for a slab";
		if (rs->slab >= sc->map.nr_slabs)
			return "checkpoint is corrupt (a slab out of range)";
		sums = sc->sum_pages[index];
		if (!sums) {
			sums = (u32 *)get_zeroed_page(GFP_KERNEL);
			if (!sums)
				return "out of memory";
			sc->sum_pages[index] = sums;
		}
		for (i = 0; i < SC_SLAB_SIZE; i++)
			sums[slot % SC_SUMS_PER_PAGE + i] =
				le32_to_cpu(rs->sums[i]);
	}
	for (i = 0; i < rs->used; i++)
		pages += from_oblock(rs->oblocks[i]) != SC_OBLOCK_NONE;
	r = sc_restore_slab(sc, to_slab(rs->slab), rs->oblocks, rs->used);
	if (r == -ENOMEM)
		return "out of memory";
	if (r)
		return "checkpoint is corrupt (a slab twice, or a block in two slabs)";
	WRITE_ONCE(sc->restored, sc->restored + pages);
	return NULL;
}

/* Take one item of the stream; the reason to start cold, or NULL. */
static const char *sc_restore_item(struct sc_target *sc,
				   struct sc_restore_slab *rs,
				   const struct sc_disk_item *item)
{
	struct sc_map_extent x;
	const char *why;
	u64 key;

	if (rs->sum_items) {
		memcpy(&rs->sums[(SC_SUM_ITEMS - rs->sum_items) *
				 (SC_ITEM_BYTES / sizeof(u32))],
		       item, SC_ITEM_BYTES);
		rs->has_sums = !--rs->sum_items;
		return NULL;
	}
	key = le64_to_cpu(item->key);
	x.slab = key & (BIT(SC_KEY_SLAB_BITS) - 1);
	x.group = key >> SC_KEY_SLAB_BITS;
	x.valid = le16_to_cpu(item->valid);
	x.shift = item->shift;
	if (item->zero || (item->flags & ~SC_ITEM_SUMS))
		return "checkpoint is corrupt (an unknown item)";
	if (x.slab >= sc->map.nr_slabs)
		return "checkpoint is corrupt (a slab out of range)";
	if (x.slab != rs->slab) {
		why = sc_restore_commit(sc, rs);
		if (why)
			return why;
		sc_restore_slab_reset(rs, x.slab);
	} else if (rs->has_sums) {
		return "checkpoint is corrupt (an entry after its slab's sums)";
	}
	if (sc_map_extent_slots(&x, rs->oblocks, &rs->used))
		return "checkpoint is corrupt (an entry the map cannot hold)";
	if (item->flags & SC_ITEM_SUMS)
		rs->sum_items = SC_SUM_ITEMS;
	return NULL;
}

/*
 * Check the checkpoint's crc, then read it again a piece at a time and
 * rebuild the map, with the crc of exactly the items entered: a read that
 * returned other bytes the second time (a transient fault) fails that
 * crc, and the caller empties the map (sc_map_reset()).  The reason to
 * start cold, or NULL.
 */
static const char *sc_restore_map(struct sc_target *sc,
				  const struct sc_disk_header *h)
{
	struct sc_persist *p = sc->persist;
	u64 items = le64_to_cpu(h->ckpt_items), done = 0;
	struct sc_restore_slab *rs;
	const char *why = NULL;
	u32 crc = crc32c(~0U, &h->generation, sizeof(h->generation));

	if (items > (u64)sc->ckpt_slabs * SC_ITEMS_PER_CKPT_SLAB)
		return "checkpoint is longer than its region";
	if (sc->verify && !(le32_to_cpu(h->flags) & SC_HDR_SUMS))
		return "checkpoint has no checksums, which verify needs";
	why = sc_ckpt_verify(sc, h);
	if (why)
		return why;
	rs = kmalloc(sizeof(*rs), GFP_KERNEL);
	if (!rs)
		return "out of memory";
	sc_restore_slab_reset(rs, SC_NIL);
	mutex_lock(&sc->insert_lock);
	while (done < items && !why) {
		u64 n = min_t(u64, items - done,
			      SC_CKPT_PAGES * SC_ITEMS_PER_PAGE);
		unsigned int i;

		/*
		 * Read again (the buffer holds a slab's worth): each item
		 * is checked as well, and one the map cannot hold, a block
		 * twice among them, is refused without a warning
		 * (sc_map_extent_slots()).
		 */
		if (sc_ckpt_read(sc, done, n)) {
			why = "checkpoint is unreadable";
			break;
		}
		for (i = 0; i < n && !why; i++) {
			crc = crc32c(crc, sc_ckpt_item(p, i), SC_ITEM_BYTES);
			why = sc_restore_item(sc, rs, sc_ckpt_item(p, i));
		}
		done += n;
		cond_resched();
	}
	if (!why && crc != le32_to_cpu(h->ckpt_crc))
		why = "checkpoint checksum mismatch";
	if (!why)
		why = sc_restore_commit(sc, rs);
	mutex_unlock(&sc->insert_lock);
	kfree(rs);
	return why;
}

/* Whether the header allows a restore: the reason not to, or NULL. */
static const char *sc_restore_check(struct sc_target *sc,
				    const struct sc_disk_header *h,
				    u64 *fp)
{
	if (le64_to_cpu(h->magic) != SC_HDR_MAGIC)
		return "no swapcache header on the cache device";
	if (le32_to_cpu(h->crc) != sc_header_crc(h))
		return "header checksum mismatch";
	if (le32_to_cpu(h->version) != SC_HDR_VERSION)
		return "header format version unknown";
	if (le32_to_cpu(h->flags) & ~(SC_HDR_PERSISTENT | SC_HDR_SUMS))
		return "header flags unknown";
	if (!(le32_to_cpu(h->flags) & SC_HDR_PERSISTENT))
		return "last used by a volatile table";
	if (le32_to_cpu(h->state) != SC_HDR_CLEAN)
		return "not shut down cleanly (header open: a crash, or a failed checkpoint)";
	if (le64_to_cpu(h->cache_sectors) != bdev_nr_sectors(sc->cache->bdev) ||
	    le32_to_cpu(h->slab_sectors) != SC_SLAB_SECTORS ||
	    le32_to_cpu(h->item_bytes) != SC_ITEM_BYTES || h->zero ||
	    le32_to_cpu(h->ckpt_slabs) != sc->ckpt_slabs ||
	    le32_to_cpu(h->data_slabs) != sc->map.nr_slabs)
		return "cache device size or layout changed";
	if (le64_to_cpu(h->origin_sectors) != bdev_nr_sectors(sc->origin->bdev))
		return "origin size changed";
	if (le64_to_cpu(h->target_sectors) != sc->ti->len)
		return "table length changed";
	if (sc_fingerprint(sc, fp))
		return "origin is unreadable";
	if (le64_to_cpu(h->fingerprint) != *fp)
		return "origin fingerprint changed (another origin, or written outside the target)";
	return NULL;
}

/*
 * Bring the map back from the checkpoint, or start cold, at a persistent
 * table's first resume, with p->lock held and the header as read just
 * before in p->hdr (@state: sc_header_state()'s answer).  A clean header
 * that matches this table (version, layout, origin size, fingerprint) and
 * a checkpoint that passes its checks fill the map; anything else leaves
 * it empty and says why in one log line.  Never fails: a cache that
 * cannot be trusted is only a cold one.
 *
 * The device is suspended (a reload's old table too), so the allocations
 * must not wait for I/O to it: a filesystem over it may hold dirty pages
 * that reclaim would write.  Nothing else changes the map meanwhile:
 * insert_lock keeps the thread, warm and the cleaner out (and the target
 * has been suspended since its construction, which turns them away
 * before they look at the map), and an invalidate waits for p->lock
 * (sc_persist_skip_restore()).  Sleeps.
 */
static void sc_persist_restore(struct sc_target *sc, int state)
{
	struct sc_persist *p = sc->persist;
	const char *dev = dm_table_device_name(sc->ti->table);
	struct sc_disk_header *h = page_address(p->hdr);
	unsigned int noio = memalloc_noio_save();
	ktime_t start = ktime_get();
	const char *why;
	u64 fp = 0;

	why = state < 0 ? "header is unreadable" : sc_restore_check(sc, h, &fp);
	if (!why)
		why = sc_restore_map(sc, h);
	if (!why) {
		DMINFO("%s: restored %u pages, generation %llu, in %lld ms, fingerprint %016llx",
		       dev, sc->restored, p->generation,
		       ktime_ms_delta(ktime_get(), start), fp);
	} else {
		mutex_lock(&sc->insert_lock);
		sc_map_reset(sc);
		mutex_unlock(&sc->insert_lock);
		WRITE_ONCE(sc->restored, 0);
		DMWARN("%s: starting cold: %s", dev, why);
	}
	memalloc_noio_restore(noio);
}

/**
 * sc_persist_skip_restore() - make sure no checkpoint is restored from now
 * @sc: the target
 *
 * For an invalidate message, before it empties the map: a restore under
 * way (the first resume of this table, which is live but still
 * suspended) is waited for, so that the invalidate drops what it brought
 * back, and one still to come is not made.  Sleeps; process context.
 */
void sc_persist_skip_restore(struct sc_target *sc)
{
	struct sc_persist *p = sc->persist;

	mutex_lock(&p->lock);
	p->resumed = true;
	mutex_unlock(&p->lock);
}

/*----------------------------------------------------------------*/

/* Open and checkpoint */

/*
 * Write the header open, unless this target has it open already; at the
 * first resume (@resuming) of a persistent table, restore from it first.
 * With p->lock, so that a checkpoint or an invalidate does not overlap.
 * Return: as sc_persist_open().
 */
static int sc_persist_reopen(struct sc_target *sc, bool resuming)
{
	struct sc_persist *p = sc->persist;
	const char *dev = dm_table_device_name(sc->ti->table);
	int before, after, r = 0;
	u64 gen = 0;

	mutex_lock(&p->lock);
	if (p->open_on_ssd)
		goto out;
	before = sc_header_state(sc, &gen);
	if (before > 0 && gen > p->generation)
		p->generation = gen;
	if (before == SC_HDR_CLEAN)
		p->clean_on_ssd = true;
	if (resuming && !p->resumed) {
		p->resumed = true;
		if (sc->persistent)
			sc_persist_restore(sc, before);
	}
	if (!sc_header_write_open(sc)) {
		p->open_on_ssd = true;
		p->clean_on_ssd = false;
		goto out;
	}
	if (!test_and_set_bit(SC_DEGRADED, &sc->flags))
		queue_work(sc->wq, &sc->degrade_work);
	/* A failed write may have landed, or not: the SSD decides. */
	after = sc_header_state(sc, &gen);
	if (p->clean_on_ssd || before < 0 || before == SC_HDR_CLEAN ||
	    after < 0 || after == SC_HDR_CLEAN) {
		DMERR("%s: cannot reopen a header that may say clean: not resuming",
		      dev);
		r = -EIO;
	} else {
		DMERR("%s: cannot write the header: cache disabled until the table is reloaded",
		      dev);
	}
out:
	mutex_unlock(&p->lock);
	return r;
}

/**
 * sc_persist_open() - restore the map at a table's first resume, and mark
 *	the SSD's header open before the table is used
 * @sc: the target, suspended, about to resume
 *
 * At every resume that follows a checkpoint (or the first), for every
 * table, degraded or not (the origin may be written through it): from
 * now until a clean postsuspend, the slabs and the origin may change,
 * and a crash must find the header open.  FUA, after a flush.
 *
 * The header is read first, as it is now: it numbers the next
 * generation, and at the table's first resume, with the persistent
 * option, the map is restored from it when it is clean and matches
 * (sc_persist_restore()); a reloaded table thus finds the checkpoint its
 * predecessor's suspend has just written.  Sleeps; process context
 * (preresume).
 *
 * Return: 0, also when the write failed but no clean header can be on the
 * SSD (the target then degrades: it must not write slabs); -EIO when a
 * clean header may be there (it reads clean or cannot be read, or this
 * target tried to write it clean), which would vouch for a stale cache
 * after the origin was written: the resume is refused.
 */
int sc_persist_open(struct sc_target *sc)
{
	return sc_persist_reopen(sc, true);
}

/*
 * Write the buffer's whole pages of items, or with @final all of them, at
 * item *@written of the region, and keep the rest at the buffer's start:
 * every write but the last is of whole pages, so the next starts on a
 * page.
 */
static int sc_ckpt_flush(struct sc_target *sc, u64 *written, u32 *fill,
			 u32 *crc, bool final)
{
	struct sc_persist *p = sc->persist;
	u32 whole = final ? *fill : round_down(*fill, SC_ITEMS_PER_PAGE);
	unsigned int pages = DIV_ROUND_UP(whole, SC_ITEMS_PER_PAGE), i;
	int r;

	if (!whole)
		return 0;
	for (i = 0; i < whole; i++)
		*crc = crc32c(*crc, sc_ckpt_item(p, i), SC_ITEM_BYTES);
	/* The tail of the last page: zero, so that what is written is known. */
	if (whole % SC_ITEMS_PER_PAGE)
		memset(sc_ckpt_item(p, whole), 0,
		       (SC_ITEMS_PER_PAGE - whole % SC_ITEMS_PER_PAGE) *
		       SC_ITEM_BYTES);
	r = sc_io_pages(sc->cache->bdev, REQ_OP_WRITE,
			sc->ckpt_start + *written * SC_ITEM_BYTES / SECTOR_SIZE,
			p->buf, pages);
	if (r)
		return r;
	*written += whole;
	*fill -= whole;
	if (*fill)
		memcpy(page_address(p->buf[0]), page_address(p->buf[pages]),
		       *fill * SC_ITEM_BYTES);
	return 0;
}

/* A slab's 16 sums, as SC_SUM_ITEMS items after its last entry. */
static void sc_ckpt_sums(struct sc_target *sc, sc_slab_t slab, u32 *fill)
{
	u32 slot = from_slot(sc_slab_slot(slab, 0));
	const u32 *sums = sc->sum_pages[slot / SC_SUMS_PER_PAGE];
	unsigned int i;

	for (i = 0; i < SC_SLAB_SIZE; i++) {
		__le32 *out = (__le32 *)sc_ckpt_item(sc->persist,
						     *fill + i / 4) + i % 4;

		/* An active slab's sums page exists: it was filled. */
		*out = cpu_to_le32(sums ? sums[slot % SC_SUMS_PER_PAGE + i] : 0);
	}
	*fill += SC_SUM_ITEMS;
}

/* The whole map into the checkpoint region: the reason it failed, or NULL. */
static const char *sc_ckpt_write(struct sc_target *sc, u64 *items, u32 *crc)
{
	struct sc_persist *p = sc->persist;
	u64 capacity = (u64)sc->ckpt_slabs * SC_ITEMS_PER_CKPT_SLAB;
	u32 pos = 0, fill = 0, n, i;

	*items = 0;
	while (!sc_export_done(sc, pos)) {
		n = sc_export_step(sc, &pos, p->extents, SC_EXPORT_MAX);
		for (i = 0; i < n; i++) {
			const struct sc_map_extent *x = &p->extents[i];
			bool sums = sc->verify && (i + 1 == n ||
					p->extents[i + 1].slab != x->slab);
			struct sc_disk_item *item;

			/* Room for this entry and its slab's sums. */
			if (fill + 1 + SC_SUM_ITEMS >
			    SC_CKPT_PAGES * SC_ITEMS_PER_PAGE &&
			    sc_ckpt_flush(sc, items, &fill, crc, false))
				return "write error";
			if (*items + fill + 1 + SC_SUM_ITEMS > capacity)
				return "map larger than the checkpoint region";
			item = sc_ckpt_item(p, fill++);
			item->key = cpu_to_le64(x->group << SC_KEY_SLAB_BITS |
						x->slab);
			item->valid = cpu_to_le16(x->valid);
			item->shift = x->shift;
			item->flags = sums ? SC_ITEM_SUMS : 0;
			item->zero = 0;
			if (sums)
				sc_ckpt_sums(sc, to_slab(x->slab), &fill);
		}
		cond_resched();
	}
	if (sc_ckpt_flush(sc, items, &fill, crc, true))
		return "write error";
	return NULL;
}

/**
 * sc_persist_checkpoint() - write the map to the SSD and mark it clean
 * @sc: the target, suspended: no bio in flight, the thread, warm, the
 *	cleaner and the workers done with it (postsuspend)
 *
 * Only for a persistent target that wrote its header open and has not
 * degraded.  The origin is flushed, the checkpoint written, then the
 * header, clean, after a flush and with FUA: a crash or a failure at any
 * point before leaves it open.  A failed write of the clean header
 * itself counts as maybe clean: the next resume writes the header open
 * or refuses (sc_persist_open()).  Holds
 * insert_lock throughout, so that no insertion or eviction moves the map
 * under the export (each of which the suspension stops anyway); the
 * map's lock is held a chunk of the arena at a time.  An invalidate
 * message sent meanwhile waits for it (sc_persist_skip_restore()), then
 * empties the map and reopens the header (sc_persist_dirty()).  Sleeps;
 * process context.
 */
void sc_persist_checkpoint(struct sc_target *sc)
{
	struct sc_persist *p = sc->persist;
	const char *dev = dm_table_device_name(sc->ti->table);
	ktime_t start = ktime_get();
	__le64 generation;
	u32 crc, cached;
	u64 fp;
	const char *why;
	u64 items = 0;

	if (!sc->persistent)
		return;
	mutex_lock(&p->lock);
	if (!p->open_on_ssd)
		goto out;
	if (test_bit(SC_DEGRADED, &sc->flags)) {
		DMWARN("%s: degraded: no checkpoint, the next load starts cold",
		       dev);
		goto out;
	}
	mutex_lock(&sc->insert_lock);
	generation = cpu_to_le64(p->generation);
	crc = crc32c(~0U, &generation, sizeof(generation));
	cached = READ_ONCE(sc->map.nr_cached);
	/*
	 * The origin's writes, which went through this target, are on its
	 * media before a header vouches for the cache beside them.
	 */
	if (blkdev_issue_flush(sc->origin->bdev))
		why = "origin flush failed";
	else if (sc_fingerprint(sc, &fp))
		why = "origin unreadable";
	else
		why = sc_ckpt_write(sc, &items, &crc);
	if (!why) {
		sc_header_fill(sc, SC_HDR_CLEAN, sc->verify ? SC_HDR_SUMS : 0,
			       fp, items, crc);
		/*
		 * From here the SSD may say clean, even if the write fails:
		 * an error does not prove that nothing landed.  The next
		 * resume must write it open again, or not resume.
		 */
		p->open_on_ssd = false;
		p->clean_on_ssd = true;
		if (sc_header_write(sc)) {
			mutex_unlock(&sc->insert_lock);
			DMERR("%s: checkpoint failed (header write error): may say clean or open",
			      dev);
			goto out;
		}
	}
	mutex_unlock(&sc->insert_lock);
	if (why) {
		DMERR("%s: checkpoint failed (%s): the next load starts cold",
		      dev, why);
		goto out;
	}
	DMINFO("%s: checkpoint of %u pages, %llu items (%llu KiB), written in %lld ms",
	       dev, cached, items, items * SC_ITEM_BYTES >> 10,
	       ktime_ms_delta(ktime_get(), start));
out:
	mutex_unlock(&p->lock);
}

/**
 * sc_persist_release() - at the destructor, reopen a clean header that
 *	the table now live may make stale
 * @sc: the target
 *
 * A table replaced by a reload is destroyed after the new one's resume.
 * When the mapped device is live then and the header still says clean,
 * the new table is not a swapcache table on this SSD (its resume would
 * have written the header open): a linear table over the origin, say,
 * through which the origin is written while the checkpoint still vouches
 * for the old map, and a later load would restore it.  So the header is
 * written open.  A removal destroys the table with the device suspended,
 * and keeps the checkpoint; so does a table whose successor's resume was
 * refused (nothing was written through it).  An inactive table that is
 * cleared finds the live table's open header, and writes nothing.  The
 * window between the new table's resume and this write is not covered.
 * Sleeps; process context (the destructor).
 */
void sc_persist_release(struct sc_target *sc)
{
	struct sc_persist *p = sc->persist;
	const char *dev = dm_table_device_name(sc->ti->table);
	u64 gen = 0;
	int state;

	if (dm_suspended(sc->ti))
		return;
	mutex_lock(&p->lock);
	state = sc_header_state(sc, &gen);
	if (state == SC_HDR_OPEN || !state)
		goto out;
	if (state > 0 && gen > p->generation)
		p->generation = gen;
	if (sc_header_write_open(sc))
		DMERR("%s: replaced; cannot reopen a header that may say clean: wipe it",
		      dev);
	else
		DMINFO("%s: replaced by another kind of table: header reopened",
		       dev);
out:
	mutex_unlock(&p->lock);
}

/**
 * sc_persist_dirty() - reopen a clean header after the map changed
 *	while suspended
 * @sc: the target
 *
 * An invalidate message on a suspended target may come after its
 * checkpoint, or during it: an administrator who wrote the origin around
 * the target expects nothing of the old cache to come back.  Volatile
 * tables too: one whose resume failed over a clean header left it clean.
 * While the header is open on the SSD (a live table) it does nothing.
 * Sleeps; process context.
 *
 * Return: 0, or -EIO when a clean header may still be on the SSD (as
 * sc_persist_open()).
 */
int sc_persist_dirty(struct sc_target *sc)
{
	return sc_persist_reopen(sc, false);
}
