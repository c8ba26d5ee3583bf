#!/bin/sh
# A tick's walk of a filesystem is bounded in time, whatever maxlaunder
# says: the walk holds s_umount, and maxlaunder=2^20 would let one tick
# look at millions of pages.  On ext4, an opted-in 128 MiB file (32768
# pages) read into the page cache, maxlaunder=1048576, hysteresis=0: the
# thread caches the file and then, while O_DIRECT reads of a file that is
# not opted in keep missing (without them it would stop walking once a
# pass found nothing to do), keeps looking its pages up again.  Two
# kprobes time every walk (iterate_supers_type() called by swapcached, to
# its return) and the sleeps between walks, which last a tick (100 ms)
# when nothing is wrong.  No absolute time is assumed: the median walk may
# last at most 3 sleeps and the 90th percentile at most 5 (a walk ends at
# the first group or inode after a tick's worth of time, and a loaded host
# stretches some); before, each walk went over the whole file and took
# seconds, and a whole run saw 4 walks.
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
mkdir /mnt/hot
setfattr -n user.swapcache -v 1 /mnt/hot || die "setfattr"
dd if=/dev/urandom of=/mnt/hot/f bs=1M count=128 2>/dev/null || die "write"
mkdir /mnt/cold
dd if=/dev/urandom of=/mnt/cold/f bs=1M count=8 2>/dev/null || die "write cold"
sc_drop_caches
cat /mnt/hot/f >/dev/null

trace_setup
probe_add in p iterate_supers_type '' 'comm == "swapcached"'
probe_add out r iterate_supers_type '' 'comm == "swapcached"'
echo 0 >$P/hysteresis
echo 1048576 >$P/maxlaunder
echo 1 >$P/data_enable
sc_wait_written sc 32768 300
end=$(($(date +%s) + 3))
while [ "$(date +%s)" -lt $end ]; do
	dd if=/mnt/cold/f of=/dev/null bs=4k iflag=direct 2>/dev/null || die "read cold"
done
echo 0 >$P/data_enable
sleep 0.5

# The walks' durations and the sleeps between them, in microseconds.
awk '
	/ sc_in: | sc_out: / {
		for (i = 1; i <= NF; i++)
			if ($i ~ /^[0-9]+\.[0-9]+:$/) { t = $i; sub(":", "", t) }
		t = int(t * 1000000)
		if ($0 ~ / sc_in: /) {
			if (out) print "gap", t - out
			start = t
		} else if (start) {
			print "walk", t - start
			out = t
			start = 0
		}
	}' $T/trace >/tmp/ticks
walks=$(grep -c '^walk' /tmp/ticks || true)
[ "$walks" -ge 2 ] || die "only $walks walks traced"
# pct KIND P: the P-th percentile of KIND's values.
pct() {
	sed -n "s/^$1 //p" /tmp/ticks | sort -n |
		awk -v p="$2" '{ v[NR] = $1 } END { i = int((NR - 1) * p / 100) + 1; print v[i] }'
}
gap=$(pct gap 50)
w50=$(pct walk 50)
w90=$(pct walk 90)
wmax=$(pct walk 100)
echo "$walks walks: median $w50 us, 90th percentile $w90 us, longest $wmax us; median sleep $gap us"
[ "$w50" -le $((3 * gap)) ] || die "the median walk lasts $w50 us, sleeps $gap us"
[ "$w90" -le $((5 * gap)) ] || die "the 90th percentile walk lasts $w90 us, sleeps $gap us"
[ "$walks" -ge 20 ] || die "only $walks walks traced"
umount /mnt
dmsetup remove sc || die "remove"
