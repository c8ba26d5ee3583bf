#!/bin/sh
# `warm` over a range where every cluster is skipped must still yield the
# CPU: the loop's `continue` paths (range already cached,
# a write in flight) had no cond_resched(), so a warm of terabytes that
# does no I/O spun for minutes: soft lockups.
#
# The origin is dm-delay over a 4 TiB sparse loop file, with writes (and
# discards) held 60 s; a discard of the whole device is issued first and
# held there, so every guard counts a write in flight and every cluster's
# T0 is refused.  The warm starts once the target counts the discard in
# flight (its map function, which bumps the guards, has run).  Then a warm of all 4 TiB (67 million clusters) runs;
# watchdog_thresh=2 makes a CPU that does not yield for 4 s a soft lockup,
# which fails the test (the kernel log is checked by tests/run, and the VM
# panics on it).  If the discard completes before the warm reaches the
# end, the warm caches until the high watermark; either way it succeeds.
# shellcheck source=lib.sh
. /tests/lib.sh
# shellcheck source=sc.sh
. /tests/sc.sh

load_swapcache
modprobe brd rd_nr=1 rd_size=$((64 * 1024)) max_part=0 || die "brd"
modprobe loop
truncate -s $((4 << 40)) /tmp/big.img
losetup /dev/loop0 /tmp/big.img || die "losetup"
size=$(blockdev --getsz /dev/loop0)
modprobe dm-delay
dmsetup create slow --table "0 $size delay /dev/loop0 0 0 /dev/loop0 0 60000" ||
	die "dm-delay"
dmsetup mknodes slow
sc_create sc /dev/mapper/slow /dev/ram0
echo 2 >/proc/sys/kernel/watchdog_thresh

blkdiscard /dev/mapper/sc &
discard=$!
dm=$(sc_dm_name sc)
tries=0
while [ "$(awk '{ print $2 }' "/sys/block/$dm/inflight")" -eq 0 ]; do
	tries=$((tries + 1))
	[ $tries -le 300 ] || die "the discard never reached the target"
	sleep 0.1
done
echo "writes in flight: $(cat "/sys/block/$dm/inflight")"
t0=$(cut -d' ' -f1 /proc/uptime)
dmsetup message sc 0 warm 0 "$size" || die "warm failed"
echo "the warm ran from $t0 to $(cut -d' ' -f1 /proc/uptime) s;" \
	"writes in flight after it: $(cat "/sys/block/$dm/inflight")"
echo "after the warm: $(dmsetup status sc)"
wait $discard || die "blkdiscard failed"
echo 10 >/proc/sys/kernel/watchdog_thresh
dmsetup remove sc
dmsetup remove slow
