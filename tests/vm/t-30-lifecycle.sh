#!/bin/sh
# Create/warm/remove cycles, suspend/resume and table reloads under a
# verifying writer and a warming loop, and module unload only once no
# target is left.
# shellcheck source=lib.sh
. /tests/lib.sh
# shellcheck source=sc.sh
. /tests/sc.sh

load_swapcache
sc_ramdisks 128
size=$(blockdev --getsz /dev/ram0)
table="0 $size swapcache /dev/ram0 /dev/ram1"

echo 1 >$P/read_enable
i=0
while [ $i -lt 100 ]; do
	dmsetup create cyc --table "$table" || die "create #$i"
	dmsetup message cyc 0 warm $((i * 64)) 2048 || die "warm #$i"
	dmsetup remove cyc || die "remove #$i"
	i=$((i + 1))
done
assert_eq "$(sc_refcnt)" 0 "references after 100 cycles"
echo "100 create/warm/remove cycles"

sc_create sc /dev/ram0 /dev/ram1
fio --name=load --filename=/dev/mapper/sc --rw=randwrite --bs=4k \
	--size=96M --direct=1 --verify=crc32c --verify_backlog=64 \
	--verify_fatal=1 --randrepeat=0 --output-format=terse \
	>/tmp/fio.out 2>&1 &
fio_pid=$!
# warm fails with EBUSY while the target is suspended: that is expected,
# but some must succeed (each success leaves a line in /tmp/warm.ok).  8 MiB
# at a time: each round's own warm below waits for the one in progress.
: >/tmp/warm.ok
(while kill -0 $fio_pid 2>/dev/null; do
	dmsetup message sc 0 warm 0 16384 2>/dev/null && echo >>/tmp/warm.ok
done) &
warmer=$!
sleep 1
n=0
checks=0
hits=0
while kill -0 $fio_pid 2>/dev/null && [ $n -lt 20 ]; do
	dmsetup suspend sc || die "suspend #$n"
	sleep 0.2
	dmsetup resume sc || die "resume #$n"
	dmsetup reload sc --table "$table" || die "reload #$n"
	dmsetup resume sc || die "resume after reload #$n"
	# The new table works: a warm of 1 MiB past what the writer writes,
	# beside the warming loop, then a read of it served from the SSD.
	# Every third round, from the first: the rest stay quick, for more
	# rounds while the writer runs.
	if [ $((n % 3)) -eq 0 ]; then
		checks=$((checks + 1))
		dmsetup message sc 0 warm $((100 * 2048)) 2048 ||
			die "warm #$n"
		h=$(sc_status_field sc read_hits)
		xfs_io -d -r -c "pread -q 100m 1m" /dev/mapper/sc ||
			die "read #$n"
		[ "$(sc_status_field sc read_hits)" -eq "$h" ] ||
			hits=$((hits + 1))
	fi
	n=$((n + 1))
done
wait $fio_pid || die "fio under suspend/reload failed: $(cat /tmp/fio.out)"
wait $warmer || true	# its last warm may have met a suspend
[ $n -ge 3 ] || die "only $n suspend/reload rounds ran during the load"
warms=$(wc -l </tmp/warm.ok)
echo "$n suspend/resume + reload rounds under verifying load;" \
	"$warms looping warms succeeded; a new table's reads hit in $hits" \
	"of $checks rounds checked"
[ "$warms" -gt 0 ] || die "no looping warm succeeded during the rounds"
[ "$hits" -eq "$checks" ] ||
	die "a new table's reads hit in only $hits of $checks rounds checked"

expect_fail rmmod swapcache
[ -d /sys/module/swapcache ] || die "rmmod removed a module in use"
dmsetup remove sc
rmmod swapcache || die "rmmod after the last target"
if [ -d /sys/module/swapcache ]; then
	die "module still loaded"
fi
