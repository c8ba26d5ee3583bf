#!/bin/sh
# After read misses, a pass looks at the groups the misses filled and the
# ones the last pass left unsettled, not at every cached page
# (swapcache/focus.h), and still takes what it must.  ext4 on swapcache,
# an opted-in 1 MiB file and 200 one-page files, all read and cached with
# hysteresis=0.  Kprobes count swapcached's walks (iterate_supers_type())
# and its group memo lookups (sc_memo_find(): one per group a walk looks
# at, cached or not).  Then, while direct reads miss on a file that is not
# opted in (events, but no page cache page filled):
#  1. the walks look up far fewer groups than walks of every resident
#     group would (216 each): only every 16th pass is a full one;
#  2. an opted-in file that is not resident, read a page at a time with
#     buffered reads meanwhile, is cached whole, and reads back from the
#     SSD with its data;
#  3. a resident file opted in meanwhile, with no event of its own, is
#     cached too: a full pass still comes every 16th pass.
# shellcheck source=lib.sh
. /tests/lib.sh
# shellcheck source=sc.sh
. /tests/sc.sh
# shellcheck source=trace.sh
. /tests/trace.sh
misser=
cleanup() {
	[ -z "$misser" ] || kill "$misser" 2>/dev/null
	trace_cleanup
}
trap cleanup EXIT

# miss_loop: direct reads of the cold file, forever (run in the background).
miss_loop() {
	while :; do
		dd if=/mnt/cold/f of=/dev/null bs=4k iflag=direct 2>/dev/null ||
			{ echo "FAIL: direct read of the cold file" >&2; exit 1; }
	done
}

load_swapcache
sc_ramdisks 256
sc_create sc /dev/ram0 /dev/ram1
sc_fs_setup ext4
mkdir /mnt/hot /mnt/cold /mnt/new /mnt/late
setfattr -n user.swapcache -v 1 /mnt/hot || die "setfattr hot"
setfattr -n user.swapcache -v 1 /mnt/new || die "setfattr new"
dd if=/dev/urandom of=/mnt/hot/big bs=1M count=1 2>/dev/null || die "write big"
i=0
while [ $i -lt 200 ]; do
	echo "small $i" >/mnt/hot/s$i || die "write s$i"
	i=$((i + 1))
done
dd if=/dev/urandom of=/mnt/cold/f bs=1M count=8 2>/dev/null || die "write cold"
dd if=/dev/urandom of=/mnt/late/f bs=4k count=32 2>/dev/null || die "write late"
# Written around the page cache: none of it resident until read.
dd if=/dev/urandom of=/mnt/new/f bs=4k count=64 oflag=direct 2>/dev/null ||
	die "write new"
sc_drop_caches
sleep 1.5	# the memo takes files last changed before the current second
cat /mnt/hot/big /mnt/hot/s* /mnt/late/f >/dev/null
want=$((256 + 200))

trace_setup
probe_add walk p iterate_supers_type '' 'comm == "swapcached"'
probe_add memo p swapcache:sc_memo_find '' 'comm == "swapcached"'
echo 1 >$P/read_enable
echo 0 >$P/hysteresis
echo 1 >$P/data_enable
sc_wait_written sc $want 120
sc_settle sc
assert_eq "$(sc_status_field sc written)" $want "pages written"
sync
sleep 2

# 1. Misses elsewhere: walks, but not over every cached group.
miss_loop &
misser=$!
sleep 1
: >$T/trace
sleep 5
walks=$(probe_events walk) finds=$(probe_events memo)
echo "direct reads elsewhere, 5 s: $walks walks, $finds groups looked up"
[ "$walks" -ge 10 ] || die "only $walks walks while misses came"
[ $((finds * 4)) -lt $((walks * 216)) ] ||
	die "$finds groups looked up in $walks walks: every cached group, every pass"
assert_eq "$(sc_status_field sc written)" $want "pages written, direct reads"

# 2. An opted-in file brought in by buffered misses, a page at a time.
w0=$(sc_status_field sc written)
i=0
while [ $i -lt 64 ]; do
	dd if=/mnt/new/f of=/dev/null bs=4k skip=$i count=1 2>/dev/null || die "read new page $i"
	i=$((i + 1))
done
sc_wait_written sc $((w0 + 64)) 60
sum_new=$(sc_md5 /mnt/new/f)

# 3. A resident file opted in with nothing of its own happening.
w1=$(sc_status_field sc written)
setfattr -n user.swapcache -v 1 /mnt/late || die "setfattr late"
sc_wait_written sc $((w1 + 32)) 60
kill -0 "$misser" || die "the direct reads stopped"
kill "$misser"
wait "$misser" 2>/dev/null || :
misser=
sc_settle sc
assert_eq "$(sc_status_field sc written)" $((w1 + 32)) "pages written, late opt-in"
sum_late=$(sc_md5 /mnt/late/f)

echo 3 >/proc/sys/vm/drop_caches
h0=$(sc_status_field sc read_hits)
assert_eq "$(sc_md5 /mnt/new/f)" "$sum_new" "new file read back"
assert_eq "$(sc_md5 /mnt/late/f)" "$sum_late" "late file read back"
h1=$(sc_status_field sc read_hits)
[ $((h1 - h0)) -ge 96 ] || die "only $((h1 - h0)) hits reading back 96 cached pages"
umount /mnt
dmsetup remove sc || die "remove"
