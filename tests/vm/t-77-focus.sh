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
#     a time, are each cached within a few walks of the read, 3 on average
#     at most, and at least half of them by a focused pass (the reads'
#     notes: without them only a full pass takes a group, after 8.5 walks
#     on average were the reads to fall anywhere in the 16-pass cycle, and
#     8 groups would take 24 walks or fewer about once in 6,000 runs).
#     Counted in the trace, from a mark before the read to the walk whose
#     insertion (a probe on sc_insert()) holds the group's block.  Then the
#     whole file;
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
misser='' clock=''
cleanup() {
	[ -z "$misser" ] || kill "$misser" 2>/dev/null
	trace_cleanup
	[ -z "$clock" ] || echo "$clock" >$T/trace_clock
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
# The marks and the thread's events in one order, whatever their CPUs.
clock=$(sed 's/.*\[\(.*\)\].*/\1/' $T/trace_clock)
echo global >$T/trace_clock || die "no global trace clock"
probe_add walk p iterate_supers_type '' 'comm == "swapcached"'
probe_add memo p swapcache:sc_memo_find '' 'comm == "swapcached"'
probe_add focus p swapcache:sc_focus_sort '' 'comm == "swapcached"'
# A cluster's first 4 origin blocks (sc_oblock_t, u64; step 2's hold 1).
probe_add ins p swapcache:sc_insert \
	'n=%cx:u32 b0=+0(%si):u64 b1=+8(%si):u64 b2=+16(%si):u64 b3=+24(%si):u64' \
	'comm == "swapcached"'
sc_cache_resident $want
sync
sleep 2

# 1. Misses elsewhere: walks, but not over every cached group.
miss_loop &
misser=$!
sleep 1
: >$T/trace
sleep 5
trace_freeze /tmp/t77-misses
walks=$(probe_events walk /tmp/t77-misses)
finds=$(probe_events memo /tmp/t77-misses)
focused=$(probe_events focus /tmp/t77-misses)
echo "direct reads elsewhere, 5 s: $walks walks, $focused focused, $finds groups looked up"
[ "$walks" -ge 10 ] || die "only $walks walks while misses came"
[ $((focused * 2)) -ge "$walks" ] || die "only $focused of $walks walks focused"
[ "$focused" -lt "$walks" ] || die "no full pass in $walks walks"
[ $((finds * 4)) -lt $((walks * 216)) ] ||
	die "$finds groups looked up in $walks walks: every cached group, every pass"
assert_eq "$(sc_status_field sc written)" $want "pages written, direct reads"

# 2. An opted-in file brought in by buffered misses, one group at a time:
# each is cached within a few walks of its read, most by a focused pass.
# The walks are counted in the trace, up to the one that inserted the
# group's block, not up to when this script sees `written` move: a status
# read and the greps take a tenth of a second here, more than a second on
# the debug kernel, and the thread walks ten times a second meanwhile.
# The kind of pass counts too: a slow script reads each group a fixed
# number of walks after the last one was cached, which may be a little
# before the next full pass, every time.
w0=$(sc_status_field sc written)
blocks=$(sc_extents /mnt/new/f | awk '{
	for (i = 0; i < 8; i++) {
		o = i * 65536
		if (o >= $1 && o < $1 + $3)
			b[i] = ($2 + o - $1) / 4096
	}
} END { for (i = 0; i < 8; i++) if (i in b) printf "%d ", b[i] }')
[ "$(echo "$blocks" | wc -w)" -eq 8 ] || die "the 8 groups' blocks, from the extents: '$blocks'"
: >$T/trace
i=0
while [ $i -lt 8 ]; do
	w=$(sc_status_field sc written)
	echo "sc_t77 read $i" >$T/trace_marker
	dd if=/mnt/new/f of=/dev/null bs=4k skip=$((i * 16)) count=1 2>/dev/null ||
		die "read new group $i"
	sc_wait_written sc $((w + 1)) 30
	i=$((i + 1))
done
cat /mnt/new/f >/dev/null
sc_wait_written sc $((w0 + 128)) 60
trace_freeze /tmp/t77-groups
# For each group, walks from the mark before its read to the first
# insertion of its block (every group is cached by now), and whether that
# walk was a focused pass's (sc_focus_sort() came in it).
spent=$(awk -v blocks="$blocks" '
	BEGIN { n = split(blocks, b, " ") }
	/ tracing_mark_write: sc_t77 read / { g = $NF + 1; start[g] = walks; next }
	/ sc_walk: / { walks++; focus = 0; next }
	/ sc_focus: / { focus = 1; next }
	/ sc_ins: / {
		nb = 0
		for (f = 1; f <= NF; f++) {
			if ($f ~ /^n=/)
				nb = substr($f, 3) + 0
			if ($f ~ /^b[0-3]=/)
				ob[substr($f, 2, 1)] = substr($f, 4) + 0
		}
		for (g = 1; g <= n; g++)
			if (g in start && !(g in took))
				for (k = 0; k < nb && k < 4; k++)
					if (ob[k] == b[g] + 0) {
						took[g] = walks - start[g]
						byfocus += focus
					}
		next
	}
	END {
		for (g = 1; g <= n; g++) {
			if (!(g in took)) { print "none " g - 1; exit }
			sum += took[g]
			each = each " " took[g]
		}
		print sum, byfocus + 0, each
	}' /tmp/t77-groups)
case $spent in none*) die "no insertion of group ${spent#none } in the trace" ;; esac
set -f
# shellcheck disable=SC2086 # the awk's words
set -- $spent
set +f
gwalks=$1 byfocus=$2
shift 2
echo "8 groups read one at a time: cached after $gwalks walks in all (each: $*), $byfocus by a focused pass"
[ "$gwalks" -le 24 ] || die "$gwalks walks to cache 8 groups read one at a time"
[ "$byfocus" -ge 4 ] || die "only $byfocus of 8 groups read one at a time cached by a focused pass"
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
