#!/bin/sh
# Bounded wear: with plenty of opted-in data waiting in the page cache, the
# thread writes no faster than the burst budget lets it.
#
# The budget starts empty (curburst=0) and accrate is 409600 bytes/s, which
# the thread adds in tenths (40960 bytes) at each of its 10 Hz ticks. A
# write pass needs a second's worth (accrate) in the bucket and stops once
# the budget is below zero, so the last 64 KiB cluster may overshoot. Over
# an interval of T seconds, from before the write that wakes the thread to
# after the write that stops it, the thread runs at most 10*T rounded up
# ticks plus the one the wake-up adds, so:
#     written <= 0 + 40960 * ticks + 65536
# The budget is also conserved: bytes written (write_count) plus what is
# left in curburst is the sum of the refills, a whole number of tenths, and
# what is left is above -65536 (one cluster of overshoot at most).
# The writes did happen: at least half the rate over all but the first two
# seconds (the first pass waits a second for the bucket to fill; the rest
# is slack for TCG, whose ticks run late under load), the thread ticked at
# least at half its 10 Hz, and the budget never piled up: sampled, it stays
# below a second's worth plus a tick's, because each pass spends it all.
# While the budget is spent the status says burst=recovering; each pass
# that starts from a refilled bucket says bursting.
# Then, with nothing left to write: a curburst set above maxburst is not
# refilled (nor cut down), and one below is refilled up to maxburst exactly.
# The pages written are read back from the SSD with the file's bytes.
# shellcheck source=lib.sh
. /tests/lib.sh
# shellcheck source=sc.sh
. /tests/sc.sh

# uptime_cs: the guest's clock, in hundredths of a second since boot.
uptime_cs() {
	read -r _up _idle </proc/uptime
	echo "${_up%.*}${_up#*.}"
}

RATE=409600		# accrate, bytes/s: 100 pages/s
TENTH=$((RATE / 10))	# one tick's refill
CLUSTER=65536		# the most a pass may overshoot
RUN=2000		# the measured interval, in hundredths of a second

load_swapcache
sc_ramdisks 256
sc_create sc /dev/ram0 /dev/ram1
dev=/dev/mapper/sc
mkfs.ext4 -q -F -b 4096 $dev || die "mkfs.ext4"
mount -t ext4 $dev /mnt || die "mount"
mkdir /mnt/hot
setfattr -n user.swapcache -v 1 /mnt/hot || die "setfattr"
# 32 MiB: far more than the 20 s at 100 pages/s can write.
dd if=/dev/urandom of=/mnt/hot/f bs=1M count=32 2>/dev/null || die "dd"
sync
sum=$(md5sum </mnt/hot/f)
echo 3 >/proc/sys/vm/drop_caches

echo 0 >$P/hysteresis
echo $RATE >$P/accrate
echo 65536 >$P/minburst
echo 1 >$P/read_enable
cat /mnt/hot/f >/dev/null
echo 0 >$P/curburst
# data_enable and meta_enable are 0: nothing may have been written yet.
assert_eq "$(cat $P/write_count)" 0 "write_count with writing disabled"
assert_eq "$(sc_status_field sc written)" 0 "written with writing disabled"

t0=$(uptime_cs)
echo 1 >$P/data_enable
seen_recovering=0
seen_bursting=0
max_cb=0
while [ $(($(uptime_cs) - t0)) -lt $RUN ]; do
	case $(sc_status_field sc burst) in
	recovering) seen_recovering=$((seen_recovering + 1)) ;;
	bursting) seen_bursting=$((seen_bursting + 1)) ;;
	*) die "no burst= in the status: $(dmsetup status sc)" ;;
	esac
	cb=$(cat $P/curburst)
	[ "$cb" -le "$max_cb" ] || max_cb=$cb
	sleep 0.2
done
echo 0 >$P/data_enable
t1=$(uptime_cs)
# A tick in flight when data_enable went to 0 finishes its pass; the next
# finds nothing to do.
sleep 1
wc=$(cat $P/write_count)
cb=$(cat $P/curburst)
elapsed=$((t1 - t0))
ticks_max=$(((elapsed + 9) / 10 + 1))
echo "elapsed ${elapsed}0 ms, written $wc bytes, curburst $cb," \
	"max seen $max_cb; burst=recovering seen $seen_recovering times," \
	"bursting $seen_bursting times"

[ "$wc" -le $((TENTH * ticks_max + CLUSTER)) ] ||
	die "$wc bytes written in ${elapsed}0 ms, budget $((TENTH * ticks_max + CLUSTER))"
refills=$((wc + cb))
[ $((refills % TENTH)) -eq 0 ] ||
	die "written $wc + curburst $cb is not a whole number of refills"
ticks=$((refills / TENTH))
echo "$ticks refills of $TENTH bytes, at most $ticks_max ticks in the interval"
[ $ticks -le $ticks_max ] || die "$ticks refills in ${elapsed}0 ms"
[ $ticks -ge $((elapsed / 10 / 2)) ] ||
	die "only $ticks ticks in ${elapsed}0 ms: the thread is not ticking at 10 Hz"
[ "$cb" -gt $((-CLUSTER)) ] || die "curburst $cb: overshot by more than a cluster"
[ "$wc" -ge $((RATE * (elapsed - 200) / 100 / 2)) ] ||
	die "only $wc bytes written in ${elapsed}0 ms at $RATE bytes/s"
[ "$max_cb" -lt $((RATE + 2 * TENTH)) ] ||
	die "the budget piled up to $max_cb: the thread did not spend it"
[ "$seen_recovering" -gt 0 ] || die "burst=recovering never seen"
[ "$seen_bursting" -gt 0 ] || die "burst=bursting never seen"
pages=$((wc / 4096))
# write_count counts every cluster sent to the SSD; written only those that
# entered the map.  One that raced a write is dropped, and only the
# filesystem's own metadata writes can race here (nothing writes the
# file): nine in ten pages written must be in the map, or a bug that drops
# clusters after writing them (written = hits = 0) would pass.
written=$(sc_status_field sc written)
echo "written $written of the $pages pages sent to the SSD"
[ "$written" -le $pages ] ||
	die "written $written pages > write_count's $pages"
[ $((written * 10)) -ge $((pages * 9)) ] ||
	die "written $written pages < 90% of write_count's $pages"
pages=$written
assert_eq "$(sc_status_field sc cache_pages)" "$pages/65536" "cache_pages"

# Nothing left to write (the file's pages are dropped): the budget is only
# refilled, 409600 bytes a tick, and never past maxburst.
echo 3 >/proc/sys/vm/drop_caches
echo $((RATE * 10)) >$P/accrate
echo 1000000 >$P/maxburst
echo 1500000 >$P/curburst
echo 1 >$P/data_enable
sleep 1
assert_eq "$(cat $P/curburst)" 1500000 "curburst above maxburst after 1 s"
echo 500000 >$P/curburst
sleep 1
assert_eq "$(cat $P/curburst)" 1000000 "curburst refilled up to maxburst"
echo 0 >$P/data_enable
assert_eq "$(cat $P/write_count)" "$wc" "write_count with nothing to write"

# The cached pages are read back from the SSD, with the file's bytes.
sleep 0.5
h=$(sc_status_field sc read_hits)
assert_eq "$(md5sum </mnt/hot/f)" "$sum" "the file's contents"
assert_eq "$(($(sc_status_field sc read_hits) - h))" "$pages" "hits re-reading the file"
umount /mnt
dmsetup remove sc
