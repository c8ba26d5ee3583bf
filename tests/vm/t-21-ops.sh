#!/bin/sh
# Flushes, FUA, discards and write-zeroes reach the origin, and the target
# advertises the origin's limits, raised where the SSD needs more.
#
# The origin is a loop device over a tmpfs file: its flushes are counted in
# its /sys/block/*/stat, and its bytes are read from the file, which no
# page cache of the loop device or of the target can make look stale.
# shellcheck source=lib.sh
. /tests/lib.sh
# shellcheck source=sc.sh
. /tests/sc.sh

load_swapcache
sc_ramdisks 64
sc_loop_origin
origin=/dev/loop0
sc_create sc "$origin" /dev/ram1
dm=$(sc_dm_name sc)
o=$(basename "$origin")

for lim in logical_block_size physical_block_size max_sectors_kb \
	discard_max_bytes discard_granularity write_zeroes_max_bytes \
	write_cache rotational; do
	assert_eq "$(cat "/sys/block/$dm/queue/$lim")" \
		"$(cat "/sys/block/$o/queue/$lim")" "target's $lim vs origin's"
done
[ "$(cat "/sys/block/$dm/queue/discard_max_bytes")" != 0 ] ||
	die "the loop origin should support discard"

# fill OFFSET_MIB: write 1 MiB of 0xaa at OFFSET_MIB through the target.
fill() {
	fio --name=fill --filename=/dev/mapper/sc --rw=write --bs=64k \
		--size=1M --offset=$(($1 * 1048576)) --direct=1 \
		--buffer_pattern=0xaa --output-format=terse >/dev/null ||
		die "fill at $1 MiB"
}
# nonzero OFFSET_MIB: how many bytes of that MiB of the origin are not zero.
nonzero() {
	rm -f /tmp/mib
	dd if=/tmp/origin.img of=/tmp/mib bs=1M skip="$1" count=1 2>/dev/null ||
		die "cannot read the origin at $1 MiB"
	assert_eq "$(wc -c </tmp/mib)" 1048576 "bytes read at $1 MiB"
	tr -d '\000' </tmp/mib | wc -c
}
# filled OFFSET_MIB: that MiB of the origin holds data (the fill reached it).
filled() {
	assert_eq "$(nonzero "$1")" 1048576 "non-zero bytes at $1 MiB after fill"
}
# zeroed OFFSET_MIB WHAT: that MiB of the origin reads as zeros after WHAT.
zeroed() {
	assert_eq "$(nonzero "$1")" 0 "non-zero bytes at $1 MiB after $2"
}

fill 1
filled 1
xfs_io -d -c "fpunch 1m 1m" /dev/mapper/sc || die "punch (discard) failed"
zeroed 1 discard
fill 2
filled 2
xfs_io -d -c "fzero 2m 1m" /dev/mapper/sc || die "zero range failed"
zeroed 2 write-zeroes
fill 3
filled 3
blkdiscard -o $((3 * 1048576)) -l 1048576 /dev/mapper/sc ||
	die "blkdiscard failed"
zeroed 3 blkdiscard

# flushes: the flush requests the origin has completed (field 16 of its
# stat).  The loop origin has a volatile write cache and no FUA, so the
# block layer turns each FUA write into a write and a flush: both kinds
# show up here, one flush each, since these writes are one at a time.
[ "$(cat "/sys/block/$o/queue/write_cache")" = "write back" ] ||
	die "the loop origin should have a write cache"
flushes() {
	awk '{ print $16 }' "/sys/block/$o/stat"
}
N=32
M=1048576
# N O_DIRECT 4 KiB writes of 0x55 from 8 MiB on, one xfs_io, each write
# followed by an fsync: an empty flush bio through the target.
set --
k=0
while [ $k -lt $N ]; do
	set -- "$@" -c "pwrite -q -S 0x55 $((8 * M + k * 4096)) 4096" -c fsync
	k=$((k + 1))
done
f=$(flushes)
xfs_io -d "$@" /dev/mapper/sc || die "O_DIRECT writes and fsyncs"
fsyncs=$(($(flushes) - f))
# N O_DIRECT|O_SYNC writes from 12 MiB on: each a FUA write, then the flush
# of the fsync that O_SYNC implies.
set --
k=0
while [ $k -lt $N ]; do
	set -- "$@" -c "pwrite -q -S 0x55 $((12 * M + k * 4096)) 4096"
	k=$((k + 1))
done
f=$(flushes)
xfs_io -d -s "$@" /dev/mapper/sc || die "O_SYNC writes"
syncs=$(($(flushes) - f))
echo "origin flushes: $fsyncs for $N fsyncs, $syncs for $N O_SYNC writes"
[ "$fsyncs" -ge $N ] || die "$N fsyncs reached the origin as $fsyncs flushes"
[ "$syncs" -ge $((2 * N)) ] ||
	die "$N FUA writes and fsyncs reached the origin as $syncs flushes"
sc_holds /dev/mapper/sc $((8 * M)) $((N * 4096)) 0x55 ||
	die "the fsync'ed writes do not read back"
sc_holds /dev/mapper/sc $((12 * M)) $((N * 4096)) 0x55 ||
	die "the O_SYNC writes do not read back"
sync
dmsetup remove sc

# An SSD with 4 KiB logical blocks over a 512-byte origin: the target must
# not accept reads the SSD could not serve.
modprobe null_blk nr_devices=1 bs=4096 gb=1 || die "null_blk"
assert_eq "$(cat /sys/block/ram0/queue/logical_block_size)" 512 "brd lbs"
sc_create big /dev/ram0 /dev/nullb0
dm=$(sc_dm_name big)
assert_eq "$(cat "/sys/block/$dm/queue/logical_block_size")" 4096 \
	"target lbs over a 4k SSD"
dmsetup remove big
losetup -d "$origin"
