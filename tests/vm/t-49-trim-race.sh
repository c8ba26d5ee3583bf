#!/bin/sh
# Never stale, under a race on the deferred path: a discard too long for
# one step of the map walk (8 MiB, 2048 cached blocks) is finished by a
# worker that drops its blocks a step at a time, letting the lock go
# between steps, and only then issues it; meanwhile warm keeps caching the
# same range again.  Each round writes a new pattern over 8 MiB, discards
# it and reads it back: a block that warm read from the origin before the
# discard and entered into the map after the worker's walk passed it would
# read back as the pattern instead of zeros (the loop origin punches a
# hole for a discard).
#
# The test fails unless the worker ran, discards dropped cached blocks and
# reads back were served from the SSD (warm cached the range again between
# a discard and its read back), or it would pass without having raced.
# shellcheck source=lib.sh
. /tests/lib.sh
# shellcheck source=sc.sh
. /tests/sc.sh
# shellcheck source=trace.sh
. /tests/trace.sh

load_swapcache
sc_ramdisks 64
sc_loop_origin
sc_create sc /dev/loop0 /dev/ram1
dev=/dev/mapper/sc
M=1048576
W=8			# MiB per discard
ROUNDS=${SC_TRIM_ROUNDS:-40}
echo 1 >$P/read_enable

# One discard bio per round, longer than one step of the walk.
max=$(cat /sys/block/loop0/queue/discard_max_bytes)
[ "$max" -ge $((W * M)) ] ||
	die "loop0 takes discards of $max bytes, less than $W MiB"

stop=/tmp/trim-race.stop
rm -f $stop
warmer=
finish() {
	touch $stop
	[ -z "$warmer" ] || wait "$warmer" || true
	trace_cleanup
}
trap finish EXIT
trace_setup
probe_add defer p sc_defer_work

sc_fill $dev 0 $((4 * W * M)) 0xaa
# Warm over the four windows the rounds discard, until told to stop.
(
	while [ ! -e $stop ]; do
		dmsetup message sc 0 warm 0 $((4 * W * 2048)) || exit 1
	done
) &
warmer=$!

h0=$(sc_status_field sc read_hits)
inv0=$(sc_status_field sc invalidated)
i=0
while [ $i -lt "$ROUNDS" ]; do
	off=$((i % 4 * W * M))
	pat=$(printf '0x%02x' $((i % 200 + 16)))
	sc_fill $dev $off $((W * M)) "$pat"
	blkdiscard -o $off -l $((W * M)) $dev || die "round $i: discard"
	sc_holds $dev $off $((W * M)) 0x00 ||
		die "round $i: a discarded block read back as $pat, not zeros"
	i=$((i + 1))
done
touch $stop
wait $warmer || die "warm failed"
warmer=

hits=$(($(sc_status_field sc read_hits) - h0))
inv=$(($(sc_status_field sc invalidated) - inv0))
deferred=$(probe_hits defer)
echo "$ROUNDS rounds; deferred-write worker runs: $deferred," \
	"cached blocks dropped: $inv, reads served from the SSD: $hits"
[ "$deferred" -gt 0 ] || die "no discard went down the deferred path"
[ "$inv" -gt 0 ] || die "no write or discard met a cached block: no race"
[ "$hits" -gt 0 ] || die "no read back was served from the SSD: no race"
dmsetup remove sc
losetup -d /dev/loop0
