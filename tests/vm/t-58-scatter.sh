#!/bin/sh
# The scattered shape (BENCH.md, scenario 6b): ext4 on the target, two
# opted-in 64 MiB files written O_DIRECT (nothing of them in the page
# cache), caches dropped, then every 16th 4 KiB block of each read,
# buffered, with POSIX_FADV_RANDOM (no readahead: 1024 resident pages a
# file, each alone in its 16-page group).
#
# - "once": each of those blocks read once (fio's io_size: one read per
#   64 KiB).  A page read once is inactive on either kind of LRU, so the
#   thread (hysteresis=0, meta_enable=0) caches all 1024 of them, on both
#   lines; O_DIRECT reads of the file's extents then hit exactly those.
# - "often": read as the bench read its file until this test came
#   (rw=read:60k over size= alone): fio goes on until it has read size
#   bytes, wrapping round the file, so each page is read 16 times.  On the
#   classic LRU (6.1: lru_gen built in but off) the second read activates
#   a page, and active pages are never taken, as in DragonFly: none of the
#   file is cached while nothing ages it.  The multi-gen LRU (6.12) counts
#   read() accesses in tiers and leaves the pages in the oldest
#   generation, which counts as inactive: all 1024 are cached.
#
# So the bench's "0 of 16,384 cached on 6.1" was the bench reading each
# page 16 times, not the module failing pages read once; the "once" half
# fails with the bench's old fio line on 6.1 (seen: written 0).
# shellcheck source=lib.sh
. /tests/lib.sh
# shellcheck source=sc.sh
. /tests/sc.sh

PAGES=1024	# one in 16 of a 64 MiB file's 4 KiB pages
dev=/dev/mapper/sc

# scatter FILE [FIO OPTIONS...]: read every 16th 4 KiB block of FILE,
# buffered, with POSIX_FADV_RANDOM.
scatter() {
	_f=$1
	shift
	fio --name=scatter --filename="$_f" --rw=read:60k --bs=4k --size=64M \
		--ioengine=psync --fadvise_hint=random "$@" \
		--output-format=terse >/tmp/scatter.out 2>&1 ||
		die "scatter read of $_f: $(tail -n 3 /tmp/scatter.out)"
}

# Which kind of LRU the kernel runs: the multi-gen LRU when lru_gen is on.
mglru=0
if [ -r /sys/kernel/mm/lru_gen/enabled ] &&
	[ $(($(cat /sys/kernel/mm/lru_gen/enabled))) -ne 0 ]; then
	mglru=1
fi
echo "lru_gen: $(cat /sys/kernel/mm/lru_gen/enabled 2>/dev/null || echo none)"

load_swapcache
sc_ramdisks 256
sc_create sc /dev/ram0 /dev/ram1
sc_fs_setup ext4
echo 1 >$P/read_enable
mkdir /mnt/hot
setfattr -n user.swapcache -v 1 /mnt/hot || die "setfattr"
for f in once often; do
	fio --name=fill --filename=/mnt/hot/$f --rw=write --bs=1M --size=64M \
		--direct=1 --ioengine=psync --end_fsync=1 \
		--output-format=terse >/dev/null || die "write $f"
done
sc_drop_caches
scatter /mnt/hot/once --io_size=$((PAGES * 4096))
scatter /mnt/hot/often
assert_eq "$(sc_status_field sc written)" 0 "written before data_enable"

echo 0 >$P/hysteresis
echo 0 >$P/meta_enable
echo 1 >$P/data_enable
want=$((PAGES + mglru * PAGES))
sc_wait_written sc $want 60
sc_settle sc
echo 0 >$P/data_enable
sleep 1 # a tick that was under way is over
assert_eq "$(sc_status_field sc written)" $want \
	"written (lru_gen on: $mglru), pages read once and pages read often"

# Which pages those were: every cached block is a hit, the rest misses.
h=$(sc_status_field sc read_hits)
sc_read_extents $dev /mnt/hot/once
assert_eq "$(($(sc_status_field sc read_hits) - h))" $PAGES \
	"hits on the blocks of the file read once"
h=$(sc_status_field sc read_hits)
sc_read_extents $dev /mnt/hot/often
assert_eq "$(($(sc_status_field sc read_hits) - h))" $((mglru * PAGES)) \
	"hits on the blocks of the file read 16 times (lru_gen on: $mglru)"

umount /mnt
dmsetup remove sc || die "remove"
