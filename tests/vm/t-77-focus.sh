#!/bin/sh
# After read misses, a pass looks at the groups the misses filled and the
# ones the last pass left unsettled, not at every cached page
# (swapcache/focus.h), and still takes what it must.  ext4 on swapcache,
# an opted-in 1 MiB file and 200 one-page files, all read and cached with
# hysteresis=0.  Kprobes count swapcached's walks (iterate_supers_type()),
# its focused passes (sc_focus_sort(), once in each) and its group memo
# lookups (sc_memo_find(): one per group a walk looks at, cached or not).
# Then, while direct reads miss on a file that is not opted in (events,
# but no page cache page filled):
#  1. most walks are focused, some are full (every 16th), and they look up
#     far fewer groups than walks of every resident group would (216 each);
#  2. an opted-in file's pages brought in by buffered reads, one group at
#     a time, are each cached within a few walks (the reads' notes: waiting
#     for a full pass takes 8.5 walks on average), then the whole file;
#  3. a resident file opted in with no event at all (journal commits held
#     off with commit=300, no atime, the origin's write count unchanged)
#     is cached too: a full pass still comes every 16th pass.
# Both files read back from the SSD with their data.
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
sc_hot_files
mkdir /mnt/new /mnt/late
setfattr -n user.swapcache -v 1 /mnt/new || die "setfattr new"
dd if=/dev/urandom of=/mnt/late/f bs=4k count=32 2>/dev/null || die "write late"
dd if=/dev/urandom of=/mnt/new/f bs=4k count=128 2>/dev/null || die "write new"
sc_drop_caches	# nothing of /mnt/new resident until step 2 reads it
sleep 1.5	# the memo takes files last changed before the current second
cat /mnt/hot/big /mnt/hot/s* /mnt/late/f >/dev/null
want=$((256 + 200))

trace_setup
probe_add walk p iterate_supers_type '' 'comm == "swapcached"'
probe_add memo p swapcache:sc_memo_find '' 'comm == "swapcached"'
probe_add focus p swapcache:sc_focus_sort '' 'comm == "swapcached"'
sc_cache_resident $want
sync
sleep 2

# 1. Misses elsewhere: walks, but not over every cached group.
miss_loop &
misser=$!
sleep 1
: >$T/trace
sleep 5
walks=$(probe_events walk) finds=$(probe_events memo) focused=$(probe_events focus)
echo "direct reads elsewhere, 5 s: $walks walks, $focused focused, $finds groups looked up"
[ "$walks" -ge 10 ] || die "only $walks walks while misses came"
[ $((focused * 2)) -ge "$walks" ] || die "only $focused of $walks walks focused"
[ "$focused" -lt "$walks" ] || die "no full pass in $walks walks"
[ $((finds * 4)) -lt $((walks * 216)) ] ||
	die "$finds groups looked up in $walks walks: every cached group, every pass"
assert_eq "$(sc_status_field sc written)" $want "pages written, direct reads"

# 2. An opted-in file brought in by buffered misses, one group at a time:
# each is cached within a few walks of its read.
w0=$(sc_status_field sc written)
i=0 spent=0
while [ $i -lt 8 ]; do
	w=$(sc_status_field sc written) n0=$(probe_events walk)
	dd if=/mnt/new/f of=/dev/null bs=4k skip=$((i * 16)) count=1 2>/dev/null ||
		die "read new group $i"
	sc_wait_written sc $((w + 1)) 30
	spent=$((spent + $(probe_events walk) - n0))
	i=$((i + 1))
done
echo "8 groups read one at a time: cached after $spent walks in all"
[ $spent -le 48 ] || die "$spent walks to cache 8 groups read one at a time"
cat /mnt/new/f >/dev/null
sc_wait_written sc $((w0 + 128)) 60
sum_new=$(sc_md5 /mnt/new/f)

# 3. A resident file opted in with nothing happening: no journal commit,
# no atime, no write to the origin.
mount -o remount,commit=300,noatime /mnt || die "remount"
sync
sleep 1
w1=$(sc_status_field sc written)
o0=$(awk '{ print $5 }' /sys/block/ram0/stat)
# On the file itself: the remount may have let its dentry go, and a file
# with none is judged by its own attributes.
setfattr -n user.swapcache -v 1 /mnt/late/f || die "setfattr late"
sc_wait_written sc $((w1 + 32)) 60
assert_eq "$(awk '{ print $5 }' /sys/block/ram0/stat)" "$o0" "origin writes during the late opt-in"
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
[ $((h1 - h0)) -ge 160 ] || die "only $((h1 - h0)) hits reading back 160 cached pages"
umount /mnt
dmsetup remove sc || die "remove"
