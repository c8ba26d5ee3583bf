#!/bin/sh
# One block, two pages, one cluster.  The thread gathers the pages it takes
# over a tick into one cluster; a block freed by one file and given to
# another within that tick is then in the cluster twice: the first file's
# page, copied before the block left it, and the second file's, copied
# after.  The map takes only distinct blocks: such a cluster is refused
# with a kernel warning (sc_map_fill_slab()), which panic_on_warn turns
# into a crash.  The later copy is the block's data; the earlier one must
# give way to it.
#
# The interleaving, made deterministic (ext4, 4 KiB blocks, no reserves,
# nobarrier so that a commit sends no flush to the held device below):
# Y (older: walked after X) has page 0 on disk and page 1 a hole, both in
# the page cache; X has page 0 on block B.  The filesystem is filled to
# the last block.  Y's page-0 block is put behind its own dm device, hold,
# which is suspended; an O_DIRECT read of it then holds Y's i_rwsem
# (shared) until hold resumes, and a buffered write of Y's page 1 waits
# behind it for the exclusive side.  The thread is let go: it takes X's
# page into its cluster, moves on to Y and waits in ext4_bmap() behind the
# writer, its cluster not written yet (written=0).  X's page is punched
# and its block freed (fsync: the commit lets it be reused); hold resumes;
# the writer takes B, the only free block, for Y's page 1; the thread's
# bmap() writes it back, finds it at B, and takes Y's two pages into the
# same cluster.
#
# Then: no kernel warning (the runner fails the test on one: this is how
# the test fails when the copies collide, as a later tick caches Y's pages
# anyway), B is Y's page 1's block, Y's two pages were written, and Y read
# back from a cold page cache, its blocks hit on the SSD, is Y's data.
# shellcheck source=lib.sh
. /tests/lib.sh
# shellcheck source=sc.sh
. /tests/sc.sh

reader='' writer=''
# A failure while hold is suspended must not leave the read and the write
# (and the unmount) waiting on it.
trap 'dmsetup resume hold 2>/dev/null || true; kill $reader $writer 2>/dev/null || true' EXIT

load_swapcache
sc_ramdisks 64
size=$(blockdev --getsz /dev/ram0) || die "no size for ram0"
dmsetup create orig --table "0 $size linear /dev/ram0 0" || die "orig"
dmsetup mknodes orig
sc_create sc /dev/mapper/orig /dev/ram1
mkfs.ext4 -q -F -b 4096 -m 0 -E lazy_itable_init=0,lazy_journal_init=0 \
	/dev/mapper/sc || die "mkfs.ext4"
mount -t ext4 -o no_prefetch_block_bitmaps,barrier=0,dioread_lock \
	/dev/mapper/sc /mnt || die "mount"
mkdir /mnt/hot /mnt/fill
setfattr -n user.swapcache -v 1 /mnt/hot || die "setfattr"

xfs_io -f -c "pwrite -q -S 0x11 0 4k" -c "truncate 64k" -c fsync /mnt/hot/Y ||
	die "write Y"
xfs_io -f -c "pwrite -q -S 0x22 0 4k" -c fsync /mnt/hot/X || die "write X"
cat /mnt/hot/Y >/dev/null || die "read Y"

echo 0 >"/sys/fs/ext4/$(sc_dm_name sc)/reserved_clusters"
off=0
for chunk in $((64 << 20)) $((1 << 20)) 65536 4096; do
	while fallocate -o $off -l "$chunk" /mnt/fill/f 2>/dev/null; do
		off=$((off + chunk))
	done
done
sync
# New pages wait in per-CPU batches before they are on an LRU list, and
# the thread takes only pages on one: compaction drains the batches.
echo 1 >/proc/sys/vm/compact_memory
assert_eq "$(stat -f -c %f /mnt)" 0 "free blocks after the fill"

b=$(sc_extents /mnt/hot/X | awk '$1 == 0 { print $2 }')
y0=$(sc_extents /mnt/hot/Y | awk '$1 == 0 { print $2 }')
if [ -z "$b" ] || [ -z "$y0" ]; then
	die "no extents for X or Y"
fi
echo "X's page 0 at byte $b of the target, Y's page 0 at $y0"

# Y's page-0 block alone behind hold.
ys=$((y0 / 512))
dmsetup create hold --table "0 8 linear /dev/ram0 $ys" || die "hold"
dmsetup mknodes hold
dmsetup suspend orig || die "suspend orig"
printf '0 %s linear /dev/ram0 0\n%s 8 linear /dev/mapper/hold 0\n%s %s linear /dev/ram0 %s\n' \
	$ys $ys $((ys + 8)) $((size - ys - 8)) $((ys + 8)) |
	dmsetup load orig || die "load orig"
dmsetup resume orig || die "resume orig"

dmsetup suspend hold || die "suspend hold"
xfs_io -d -r -c "pread 0 4k" /mnt/hot/Y >/dev/null &
reader=$!
sleep 1
kill -0 $reader 2>/dev/null || die "the O_DIRECT read did not wait on hold"
xfs_io -c "pwrite -q -S 0x33 4k 4k" /mnt/hot/Y &
writer=$!
sleep 1
kill -0 $writer 2>/dev/null || die "the write did not wait for Y's lock"

tpid=''
for d in /proc/[0-9]*; do
	[ "$(cat "$d/comm" 2>/dev/null)" = swapcached ] && tpid=${d#/proc/}
done
[ -n "$tpid" ] || die "no swapcached"

# in_bmap yes|no: wait (30 s at most) until the thread is, or is no longer,
# in ext4_bmap().
in_bmap() {
	local polls=150 now
	while :; do
		now=no
		grep -q ext4_bmap "/proc/$tpid/stack" && now=yes
		[ $now = "$1" ] && return 0
		[ $polls -gt 0 ] || die "swapcached in ext4_bmap(): $now after 30 s"
		polls=$((polls - 1))
		sleep 0.2
	done
}
echo 0 >$P/hysteresis
echo 1 >$P/data_enable
in_bmap yes
# X's page, if the thread took it, is still in its cluster.
assert_eq "$(sc_status_field sc written)" 0 \
	"pages written before the thread reached Y"

xfs_io -c "fpunch 0 4k" -c fsync /mnt/hot/X || die "punch X"
assert_eq "$(stat -f -c %f /mnt)" 1 "free blocks after the punch"
dmsetup resume hold || die "resume hold"
wait $reader || die "the O_DIRECT read failed"
reader=''
wait $writer || die "the write of Y's page 1 failed"
writer=''
in_bmap no
sleep 1
echo 0 >$P/data_enable
sleep 0.5

# Where Y's page 1 is (its extent may have merged with page 0's).
y1=$(sc_extents /mnt/hot/Y |
	awk '$1 <= 4096 && 4096 < $1 + $3 { print $2 + 4096 - $1 }')
assert_eq "$y1" "$b" "Y's page 1's block (the one X's page 0 had)"
assert_eq "$(sc_status_field sc written)" 2 "pages written"

{
	dd if=/dev/zero bs=4k count=1 2>/dev/null | tr '\000' '\021'
	dd if=/dev/zero bs=4k count=1 2>/dev/null | tr '\000' '\063'
	dd if=/dev/zero bs=4k count=14 2>/dev/null
} >/tmp/Y.ref
echo 1 >$P/read_enable
hits=$(sc_status_field sc read_hits)
sc_drop_caches
assert_eq "$(sc_md5 /mnt/hot/Y)" "$(sc_md5 /tmp/Y.ref)" "Y read back"
[ "$(sc_status_field sc read_hits)" -ge $((hits + 2)) ] ||
	die "Y's blocks were not read from the SSD"
echo "Y reads back right, its two blocks from the SSD"

echo 0 >$P/read_enable
umount /mnt
dmsetup remove sc || die "remove sc"
dmsetup remove orig || die "remove orig"
dmsetup remove hold || die "remove hold"
