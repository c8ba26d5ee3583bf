#!/bin/sh
# swapcached never calls bmap() on an inode whose data ext4 journals: there
# ext4_bmap() flushes the whole journal when the inode has journalled data
# since the last flush.  ext4 mounted with data=journal, two opted-in 4 MiB
# files: f read into the page cache from a cold cache, g rewritten and
# synced (clean pages with their buffers, journalled data not flushed
# yet); the thread ticking back to back (hysteresis=0) for 3 s:
# ext4_bmap() is called 0 times (a kprobe counts its calls; another counts
# jbd2_journal_flush() calls, for the record) and nothing is written.  Then the same filesystem
# mounted data=ordered: the thread calls ext4_bmap() (the probe works) and
# caches the files' 2048 pages.
# shellcheck source=lib.sh
. /tests/lib.sh
# shellcheck source=sc.sh
. /tests/sc.sh
# shellcheck source=trace.sh
. /tests/trace.sh
trap trace_cleanup EXIT

load_swapcache
sc_ramdisks 256
sc_create sc /dev/ram0 /dev/ram1
mkfs.ext4 -q -F -b 4096 -E lazy_itable_init=0,lazy_journal_init=0 \
	/dev/mapper/sc || die "mkfs.ext4"
mkdir -p /mnt
mount -t ext4 -o data=journal,no_prefetch_block_bitmaps /dev/mapper/sc /mnt ||
	die "mount data=journal"
mkdir /mnt/hot
setfattr -n user.swapcache -v 1 /mnt/hot || die "setfattr"
dd if=/dev/urandom of=/mnt/hot/f bs=1M count=4 2>/dev/null || die "write"
dd if=/dev/urandom of=/mnt/hot/g bs=1M count=4 2>/dev/null || die "write"
sc_drop_caches
cat /mnt/hot/f >/dev/null
# g's pages as its writer left them: clean after the sync, with their
# buffers, and g has journalled data since the last journal flush.
dd if=/dev/urandom of=/mnt/hot/g bs=1M count=4 conv=notrunc 2>/dev/null ||
	die "rewrite"
sync

trace_setup
probe_add bmap p ext4_bmap
probe_add flush p jbd2_journal_flush
echo 0 >$P/hysteresis
echo 1 >$P/data_enable
sleep 3
echo 0 >$P/data_enable
sleep 0.5
n=$(probe_hits bmap)
echo "data=journal: ext4_bmap called $n times, the journal flushed $(probe_hits flush) times, written $(sc_status_field sc written)"
assert_eq "$n" 0 "ext4_bmap calls on journalled-data files"
assert_eq "$(sc_status_field sc written)" 0 "written, data=journal"

umount /mnt
mount -t ext4 -o data=ordered,no_prefetch_block_bitmaps /dev/mapper/sc /mnt ||
	die "mount data=ordered"
cat /mnt/hot/f /mnt/hot/g >/dev/null
echo 1 >$P/data_enable
sc_wait_written sc 2048 60
echo 0 >$P/data_enable
n=$(probe_hits bmap)
echo "data=ordered: ext4_bmap called $n times, written $(sc_status_field sc written)"
[ "$n" -ge 2048 ] || die "ext4_bmap called $n times on an ordinary file"
umount /mnt
dmsetup remove sc || die "remove"
