#!/bin/sh
# Flushes, FUA, discards and write-zeroes reach the origin, and the target
# advertises the origin's limits, raised where the SSD needs more.
. /tests/lib.sh
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
	assert_eq "$(cat /sys/block/$dm/queue/$lim)" \
		"$(cat /sys/block/$o/queue/$lim)" "target's $lim vs origin's"
done
[ "$(cat /sys/block/$dm/queue/discard_max_bytes)" != 0 ] ||
	die "the loop origin should support discard"

# fill N OFFSET_MIB: write 1 MiB of 0xaa at OFFSET_MIB through the target.
fill() {
	fio --name=fill --filename=/dev/mapper/sc --rw=write --bs=64k \
		--size=1M --offset=$(($1 * 1048576)) --direct=1 \
		--buffer_pattern=0xaa --output-format=terse >/dev/null ||
		die "fill at $1 MiB"
}
# zeroed OFFSET_MIB: that MiB of the origin reads as zeros.
zeroed() {
	n=$(dd if="$origin" bs=1M skip="$1" count=1 2>/dev/null |
		tr -d '\000' | wc -c)
	assert_eq "$n" 0 "non-zero bytes at $1 MiB after $2"
}

fill 1
xfs_io -d -c "fpunch 1m 1m" /dev/mapper/sc || die "punch (discard) failed"
zeroed 1 discard
fill 2
xfs_io -d -c "fzero 2m 1m" /dev/mapper/sc || die "zero range failed"
zeroed 2 write-zeroes
fill 3
blkdiscard -o $((3 * 1048576)) -l 1048576 /dev/mapper/sc ||
	die "blkdiscard failed"
zeroed 3 blkdiscard

# Flush and FUA: synchronous writes and fsync complete and verify.
fio --name=sync --filename=/dev/mapper/sc --rw=randwrite --bs=4k \
	--size=4M --offset=8M --sync=1 --fsync=4 --verify=crc32c \
	--verify_fatal=1 --output-format=terse >/dev/null ||
	die "O_SYNC + fsync writes"
sync
dmsetup remove sc

# An SSD with 4 KiB logical blocks over a 512-byte origin: the target must
# not accept reads the SSD could not serve.
modprobe null_blk nr_devices=1 bs=4096 gb=1 || die "null_blk"
assert_eq "$(cat /sys/block/ram0/queue/logical_block_size)" 512 "brd lbs"
sc_create big /dev/ram0 /dev/nullb0
dm=$(sc_dm_name big)
assert_eq "$(cat /sys/block/$dm/queue/logical_block_size)" 4096 \
	"target lbs over a 4k SSD"
dmsetup remove big
losetup -d "$origin"
