#!/bin/sh
# On XFS, whose inodes are not in the VFS inode hash, the walk resumes by
# position in the superblock's inode list; it must still resume inside a
# file at the page where the last tick stopped.  With maxlaunder=64 a tick
# looks at no more than 1024 pages, so a walk that restarted a 32 MiB file
# at its first page every tick would stop advancing once 1024 of its pages
# were cached (each tick spent on pages already on the SSD), and the file
# would never be cached whole.  Here every one of its 8192 pages must be
# written, exactly once.
# shellcheck source=lib.sh
. /tests/lib.sh
# shellcheck source=sc.sh
. /tests/sc.sh

PAGES=8192
sc_ramdisks 512
load_swapcache
sc_create sc /dev/ram0 /dev/ram1
sc_fs_setup xfs
echo 0 >$P/hysteresis
echo 64 >$P/maxlaunder
mkdir /mnt/hot
setfattr -n user.swapcache -v 1 /mnt/hot || die "setfattr"
dd if=/dev/urandom of=/mnt/hot/big bs=1M count=32 2>/dev/null || die "dd"
sum=$(sc_md5 /mnt/hot/big)
sc_drop_caches
cat /mnt/hot/big >/dev/null
w0=$(sc_status_field sc written)
echo 1 >$P/data_enable
sc_wait_written sc $((w0 + PAGES)) 300
sleep 1
assert_eq "$(sc_status_field sc written)" $((w0 + PAGES)) \
	"written once the whole file is cached"
echo 0 >$P/data_enable
sleep 1
echo 1 >$P/read_enable
sc_drop_caches
h=$(sc_status_field sc read_hits)
assert_eq "$(sc_md5 /mnt/hot/big)" "$sum" "the file read back"
assert_eq "$(($(sc_status_field sc read_hits) - h))" $PAGES "hits re-reading it"
umount /mnt
dmsetup remove sc
