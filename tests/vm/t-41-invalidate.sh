#!/bin/sh
# Writes, discards and write-zeroes drop the cached blocks they touch before
# they reach the origin: later reads return the new contents.
# shellcheck source=lib.sh
. /tests/lib.sh
# shellcheck source=sc.sh
. /tests/sc.sh

load_swapcache
sc_ramdisks 64
TOTAL=$(sc_cache_pages "$(blockdev --getsz /dev/ram1)")
sc_loop_origin
sc_create sc /dev/loop0 /dev/ram1
dev=/dev/mapper/sc
M=1048576
echo 1 >$P/read_enable

# invalidated_by WHAT EXPECTED: the counter grew by EXPECTED since the last
# call.
inv=0
invalidated_by() {
	now=$(sc_status_field sc invalidated)
	assert_eq "$((now - inv))" "$2" "blocks invalidated by $1"
	inv=$now
}

sc_fill $dev 0 $((16 * M)) 0xaa
dmsetup message sc 0 warm 0 $((16 * 2048)) || die "warm"
assert_eq "$(sc_status_field sc cache_pages)" "4096/$TOTAL" "warmed"
sc_holds $dev 0 $((16 * M)) 0xaa || die "warmed data"

# Overwrite 1 MiB, and one 512-byte sector (its whole block goes).
sc_fill $dev $((1 * M)) $M 0x55
invalidated_by "a 1 MiB write" 256
sc_holds $dev $((1 * M)) $M 0x55 || die "old data after an overwrite"
fio --name=sector --filename=$dev --rw=write --bs=512 --size=512 \
	--offset=$((2 * M + 512)) --direct=1 --buffer_pattern=0x11 \
	--output-format=terse >/dev/null || die "sector write"
invalidated_by "a 512-byte write" 1
sc_holds $dev $((2 * M + 512)) 512 0x11 512 ||
	die "old data after a sector write"
sc_holds $dev $((2 * M)) 512 0xaa 512 || die "the rest of that block changed"

# Discard (punch hole and BLKDISCARD) and write-zeroes.
xfs_io -d -c "fpunch 3m 1m" $dev || die "punch"
invalidated_by "a discard" 256
sc_holds $dev $((3 * M)) $M 0x00 || die "old data after a discard"
blkdiscard -o $((4 * M)) -l $M $dev || die "blkdiscard"
invalidated_by "BLKDISCARD" 256
sc_holds $dev $((4 * M)) $M 0x00 || die "old data after BLKDISCARD"
xfs_io -d -c "fzero 5m 1m" $dev || die "zero range"
invalidated_by "write-zeroes" 256
sc_holds $dev $((5 * M)) $M 0x00 || die "old data after write-zeroes"

# Buffered writes and fsync, through a filesystem-free page cache path.
dd if=/dev/zero bs=64k count=16 2>/dev/null | tr '\000' '\167' |
	dd of=$dev bs=64k seek=96 2>/dev/null
sync
invalidated_by "a buffered write" 256
sc_holds $dev $((6 * M)) $M 0x77 || die "old data after a buffered write"

# Untouched blocks are still cached and still served.
h=$(sc_status_field sc read_hits)
sc_holds $dev $((8 * M)) $((8 * M)) 0xaa || die "untouched data"
assert_eq "$(($(sc_status_field sc read_hits) - h))" 2048 "hits after writes"
dmsetup remove sc
losetup -d /dev/loop0
