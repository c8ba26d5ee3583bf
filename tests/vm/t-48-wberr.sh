#!/bin/sh
# A page whose writeback failed is not a copy of its block.  After a write
# error the filesystem leaves the page clean and uptodate, holding the data
# that never reached the origin (ext4 and iomap alike: the error goes to
# the file's mapping, wb_err, and fsync reports it).  Copied to the SSD,
# it would be served for a block the origin holds other data in: the
# cache would answer differently from the disk it caches.
#
# ext4 (nobarrier, so that no flush reaches the failing block): F's page 0
# is written (0x11) and synced to block B; B alone is then put behind
# dm-flakey failing every write, and F's page is overwritten (0xa5) and
# fsync'ed, which fails.  G, another opted-in page, shows that the thread
# ran: it must write G's page and not F's (written=1), and F read back
# from a cold page cache through the target must equal the origin's B.
# shellcheck source=lib.sh
. /tests/lib.sh
# shellcheck source=sc.sh
. /tests/sc.sh

load_swapcache
sc_ramdisks 64
modprobe dm-flakey || die "dm-flakey"
size=$(blockdev --getsz /dev/ram0) || die "no size for ram0"
dmsetup create orig --table "0 $size linear /dev/ram0 0" || die "orig"
dmsetup mknodes orig
sc_create sc /dev/mapper/orig /dev/ram1
mkfs.ext4 -q -F -b 4096 -E lazy_itable_init=0,lazy_journal_init=0 \
	/dev/mapper/sc || die "mkfs.ext4"
mount -t ext4 -o no_prefetch_block_bitmaps,barrier=0 /dev/mapper/sc /mnt ||
	die "mount"
mkdir /mnt/hot
setfattr -n user.swapcache -v 1 /mnt/hot || die "setfattr"
xfs_io -f -c "pwrite -q -S 0x11 0 4k" -c fsync /mnt/hot/F || die "write F"
xfs_io -f -c "pwrite -q -S 0x33 0 4k" -c fsync /mnt/hot/G || die "write G"
b=$(sc_extents /mnt/hot/F | awk '$1 == 0 { print $2 }')
[ -n "$b" ] || die "no extent for F"
bs=$((b / 512))

# B alone behind a device that fails every write (reads pass).
dmsetup suspend orig || die "suspend orig"
printf '0 %s linear /dev/ram0 0\n%s 8 flakey /dev/ram0 %s 0 1 1 error_writes\n%s %s linear /dev/ram0 %s\n' \
	$bs $bs $bs $((bs + 8)) $((size - bs - 8)) $((bs + 8)) |
	dmsetup load orig || die "load orig"
dmsetup resume orig || die "resume orig"

if xfs_io -c "pwrite -q -S 0xa5 0 4k" -c fsync /mnt/hot/F 2>/tmp/fsync.err &&
	! grep -q -i error /tmp/fsync.err; then
	die "the fsync of F's overwrite did not fail"
fi
echo "fsync of F failed: $(cat /tmp/fsync.err)"
origin=$(dd if=/dev/ram0 bs=4k skip=$((b / 4096)) count=1 2>/dev/null | md5sum | cut -d' ' -f1)
[ "$origin" = "$(dd if=/dev/zero bs=4k count=1 2>/dev/null | tr '\000' '\021' | md5sum | cut -d' ' -f1)" ] ||
	die "the origin's B is not F's first data"

echo 0 >$P/hysteresis
echo 1 >$P/data_enable
sc_wait_written sc 1 60
sc_settle sc
echo 0 >$P/data_enable
written=$(sc_status_field sc written)

echo 1 >$P/read_enable
sc_drop_caches
assert_eq "$(dd if=/mnt/hot/F bs=4k count=1 2>/dev/null | md5sum | cut -d' ' -f1)" \
	"$origin" "F's page 0 read through the target, against the origin's B"
echo "F reads back as the origin holds it"
assert_eq "$written" 1 "pages written (G's, not F's)"

echo 0 >$P/read_enable
umount /mnt
dmsetup remove sc || die "remove sc"
dmsetup remove orig || die "remove orig"
