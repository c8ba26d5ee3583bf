#!/bin/sh
# A cached file is not looked up again, and a changed one is cached again.
# ext4 on swapcache, an opted-in 1 MiB file and 200 one-page files, all
# read and cached with hysteresis=0.  Kprobes count swapcached's bmap()
# calls and its walks (iterate_supers_type()).  Then:
#  1. idle: no walk at all (the quiet pass: nothing happened since a pass
#     that found nothing to do); before, a walk every tick, a bmap() per
#     resident page each;
#  2. read misses of a file that is not opted in (events, so the thread
#     walks again): walks, but no bmap() (the group memo knows where every
#     cached page lives, the map says they are cached);
#  3. a page of the big file overwritten in place and a small file
#     truncated and rewritten, each synced: both cached again (written
#     grows by 2), and, read back from the SSD after the page cache is
#     dropped, both hold the new data.
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
sc_fs_setup ext4
sc_hot_files
sc_drop_caches
sleep 1.5	# the memo takes files last changed before the current second
cat /mnt/hot/big /mnt/hot/s* >/dev/null
want=$((256 + 200))

trace_setup
probe_add bmap p bmap '' 'comm == "swapcached"'
probe_add walk p iterate_supers_type '' 'comm == "swapcached"'
sc_cache_resident $want
b0=$(probe_events bmap)
[ "$b0" -ge $want ] || die "only $b0 bmap() calls to cache $want pages"

# 1. Idle: no walks.  The reads' atime updates reach the origin first.
sync
sleep 2
: >$T/trace
sleep 3
walks=$(probe_events walk) bmaps=$(probe_events bmap)
echo "idle 3 s: $walks walks, $bmaps bmap() calls"
[ "$walks" -le 1 ] || die "$walks walks in 3 s with nothing to do"
[ "$bmaps" -eq 0 ] || die "$bmaps bmap() calls in 3 s with nothing to do"

# 2. Misses elsewhere: walks, but no bmap() of the cached pages.
: >$T/trace
end=$(($(date +%s) + 3))
while [ "$(date +%s)" -lt $end ]; do
	dd if=/mnt/cold/f of=/dev/null bs=4k iflag=direct 2>/dev/null || die "read cold"
done
walks=$(probe_events walk) bmaps=$(probe_events bmap)
echo "cold reads: $walks walks, $bmaps bmap() calls"
[ "$walks" -ge 3 ] || die "only $walks walks while misses came"
[ "$bmaps" -eq 0 ] || die "$bmaps bmap() calls over cached pages"
assert_eq "$(sc_status_field sc written)" $want "pages written, cold reads"

# 3. Changed pages are cached again, with their new data.
sleep 1
w0=$(sc_status_field sc written)
printf 'NEWDATA!%4088s' x | dd of=/mnt/hot/big bs=4096 seek=100 conv=notrunc 2>/dev/null ||
	die "overwrite big"
: >/mnt/hot/s7 || die "truncate s7"
echo "rewritten 7" >/mnt/hot/s7 || die "rewrite s7"
sync
sc_wait_written sc $((w0 + 2)) 60
sc_settle sc
sum_big=$(md5sum </mnt/hot/big)
echo 3 >/proc/sys/vm/drop_caches
h0=$(sc_status_field sc read_hits)
assert_eq "$(md5sum </mnt/hot/big)" "$sum_big" "big file read back"
assert_eq "$(cat /mnt/hot/s7)" "rewritten 7" "s7 read back"
assert_eq "$(dd if=/mnt/hot/big bs=4096 skip=100 count=1 2>/dev/null | head -c 8)" "NEWDATA!" "page 100"
h1=$(sc_status_field sc read_hits)
[ $((h1 - h0)) -ge 257 ] || die "only $((h1 - h0)) hits reading back what was cached"
umount /mnt
dmsetup remove sc || die "remove"
