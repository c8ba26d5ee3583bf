#!/bin/sh
# swapcached fills the SSD from the page cache: on ext4 and on XFS, a 16 MiB
# opted-in file read through buffered I/O is written to the SSD by the
# thread, page for page (written == its 4096 pages, and no more: nothing
# else is opted in and metadata caching is off while it runs); after
# dropping the page cache (with the thread stopped: see step 4), re-reading
# it is served from the SSD (every one of its blocks is a read hit, with
# buffered reads of the file and with O_DIRECT reads of its extents on the
# target) and returns the same bytes.
#
# Before that, with data_enable=0 nothing of the file is written: first with
# the thread idle (meta_enable=0 too: written and write_count stay 0), then
# with the thread ticking for metadata (meta_enable=1: written grows by the
# metadata the mount and the lookups read, which proves the thread ran,
# while none of the file's blocks reaches the SSD -- O_DIRECT reads of the
# file's extents on the target are all misses).  That metadata is then
# dropped with the invalidate message, so that in the data phase every
# cached block, and every read hit, is one of the file's.
#
# Each filesystem gets a new module instance: after umount and remove,
# rmmod stops the thread (no swapcached task is left, nothing in the kernel
# log -- the runner checks that), and the next round loads it again.
# shellcheck source=lib.sh
. /tests/lib.sh
# shellcheck source=sc.sh
. /tests/sc.sh

PAGES=4096		# the file: 16 MiB of 4 KiB pages
dev=/dev/mapper/sc
f=/mnt/hot/f

sc_ramdisks 512
# The file's bytes, kept aside to compare with what reads return.
dd if=/dev/urandom of=/tmp/f.ref bs=1M count=16 2>/dev/null || die "urandom"
sum=$(sc_md5 /tmp/f.ref)

# threads: how many swapcached tasks exist.
threads() {
	cat /proc/[0-9]*/comm 2>/dev/null | grep -cx swapcached || true
}

for fs in ext4 xfs; do
	echo "--- $fs"
	load_swapcache
	assert_eq "$(threads)" 1 "swapcached tasks after loading"
	sc_create sc /dev/ram0 /dev/ram1
	sc_fs_setup $fs
	# Back-to-back passes (the default waits for RAM/16 pages to age).
	echo 0 >$P/hysteresis
	echo 1 >$P/read_enable
	mkdir /mnt/hot
	setfattr -n user.swapcache -v 1 /mnt/hot || die "setfattr"
	cp /tmp/f.ref $f
	assert_eq "$(sc_md5 $f)" "$sum" "$fs: the file as written"
	sc_drop_caches
	total=$(sc_status_field sc cache_pages)
	total=${total#*/}

	# 1. data_enable=0, meta_enable=0: the thread idles, nothing written.
	wc=$(cat $P/write_count)
	cat $f >/dev/null
	sleep 3
	assert_eq "$(sc_status_field sc written)" 0 "$fs: written, all disabled"
	assert_eq "$(cat $P/write_count)" "$wc" "$fs: write_count, all disabled"
	assert_eq "$(sc_status_field sc cache_pages)" "0/$total" \
		"$fs: cache_pages, all disabled"

	# 2. data_enable=0, meta_enable=1: the thread ticks at 10 Hz and writes
	# the metadata that a remount and the file's lookup read (staged only
	# while meta_enable=1), but none of the file's blocks.
	echo 1 >$P/meta_enable
	umount /mnt
	sc_fs_mount $fs
	cat $f >/dev/null
	sleep 3
	[ "$(sc_status_field sc written)" -gt 0 ] ||
		die "$fs: no metadata written with meta_enable=1: did the thread tick?"
	h=$(sc_status_field sc read_hits)
	m=$(sc_status_field sc read_misses)
	sc_read_extents $dev $f
	assert_eq "$(($(sc_status_field sc read_hits) - h))" 0 \
		"$fs: hits on the file's blocks with data_enable=0"
	[ $(($(sc_status_field sc read_misses) - m)) -ge $PAGES ] ||
		die "$fs: fewer misses than the file's pages"
	echo 0 >$P/meta_enable
	sleep 1 # a tick that was under way is over
	w0=$(sc_status_field sc written)
	echo "$fs: $w0 pages of metadata written"
	# Drop the metadata from the SSD, so that only the file's blocks can
	# hit from here on.
	dmsetup message sc 0 invalidate || die "$fs: invalidate"
	assert_eq "$(sc_status_field sc cache_pages)" "0/$total" \
		"$fs: cache_pages after invalidate"

	# 3. data_enable=1: the thread writes the file's pages, which a single
	# read left inactive, exactly once each.  A second's more passes (each
	# takes a tick once everything is cached) write nothing more.
	echo 1 >$P/data_enable
	sc_wait_written sc $((w0 + PAGES)) 60
	sleep 1
	assert_eq "$(sc_status_field sc written)" $((w0 + PAGES)) \
		"$fs: written once the file's pages are cached"
	assert_eq "$(sc_status_field sc cache_pages)" "$PAGES/$total" \
		"$fs: cache_pages once the file's pages are cached"

	# 4. Re-read from a cold page cache: the same bytes, every block of the
	# file a hit (nothing else is cached).  O_DIRECT reads of the file's
	# extents: all hits too.  The thread is stopped first: its passes hold
	# the file's folios for a moment each (every tick, as hysteresis is
	# 0), and drop_caches skips a folio held then, which would be served
	# from RAM instead of the target.
	echo 0 >$P/data_enable
	sleep 1
	sc_drop_caches
	h=$(sc_status_field sc read_hits)
	assert_eq "$(sc_md5 $f)" "$sum" "$fs: the file read back from the SSD"
	assert_eq "$(($(sc_status_field sc read_hits) - h))" $PAGES \
		"$fs: hits re-reading the file"
	h=$(sc_status_field sc read_hits)
	sc_read_extents $dev $f
	assert_eq "$(($(sc_status_field sc read_hits) - h))" $PAGES \
		"$fs: hits on the file's blocks"

	# 5. Unmount, remove and unload, right after the thread ticked: it
	# stops.
	umount /mnt
	dmsetup remove sc || die "$fs: remove"
	assert_eq "$(threads)" 1 "swapcached tasks before unloading"
	rmmod swapcache || die "$fs: rmmod"
	[ ! -d /sys/module/swapcache ] || die "$fs: the module is still there"
	assert_eq "$(threads)" 0 "swapcached tasks after unloading"
done
