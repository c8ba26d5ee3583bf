#!/bin/sh
# Bounded wear: with plenty of opted-in data waiting in the page cache, the
# thread writes no faster than the burst budget lets it, and no slower.
#
# The budget starts empty (curburst=0) and accrate is 409600 bytes/s, which
# each 10 Hz tick adds for the time since the previous tick (the first tick
# after an idle spell counts as one tenth of a second). A write pass needs
# a second's worth (accrate) in the bucket and stops once the budget is
# below zero, so the last 64 KiB cluster may overshoot. Over an interval of
# T seconds, from before the write that wakes the thread to after the write
# that stops it, the refills (bytes written, write_count, plus what is left
# in curburst) are accrate times T, give or take the first tick's tenth
# and the clocks' granularity (0.2 s above), and the unrefilled time
# after the last tick (0.4 s below). A refill of a fixed tenth per tick, as
# DragonFly's, fell below that (ticks last more than 100 ms). So:
#     refills <= accrate * (T + 0.2 s), written <= refills + 65536
#     refills >= accrate * (T - 0.4 s)
# and what is left is above -65536 (one cluster of overshoot at most).
# The budget never piled up: sampled, it stays below a second's worth plus
# three tenths (a tick that ran late), because each pass spends it all.
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
TENTH=$((RATE / 10))	# a 100 ms tick's refill
CLUSTER=65536		# the most a pass may overshoot
RUN=2000		# the measured interval, in hundredths of a second

load_swapcache
sc_ramdisks 256
TOTAL=$(sc_cache_pages "$(blockdev --getsz /dev/ram1)")
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
refills=$((wc + cb))
echo "elapsed ${elapsed}0 ms, written $wc bytes, curburst $cb," \
	"max seen $max_cb; burst=recovering seen $seen_recovering times," \
	"bursting $seen_bursting times"
echo "refilled $refills bytes: $((refills * 1000 / (RATE * elapsed / 100)))/1000" \
	"of accrate times the interval"

refills_max=$((RATE * (elapsed + 20) / 100))
refills_min=$((RATE * (elapsed - 40) / 100))
[ "$refills" -le "$refills_max" ] ||
	die "refilled $refills bytes in ${elapsed}0 ms, more than $refills_max"
[ "$wc" -le $((refills_max + CLUSTER)) ] ||
	die "$wc bytes written in ${elapsed}0 ms, budget $((refills_max + CLUSTER))"
[ "$refills" -ge "$refills_min" ] ||
	die "refilled only $refills bytes in ${elapsed}0 ms, less than $refills_min: the budget runs slow"
[ "$cb" -gt $((-CLUSTER)) ] || die "curburst $cb: overshot by more than a cluster"
[ "$wc" -ge $((RATE * (elapsed - 200) / 100 / 2)) ] ||
	die "only $wc bytes written in ${elapsed}0 ms at $RATE bytes/s"
[ "$max_cb" -lt $((RATE + 3 * TENTH)) ] ||
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
assert_eq "$(sc_status_field sc cache_pages)" "$pages/$TOTAL" "cache_pages"

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
