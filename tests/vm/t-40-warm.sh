#!/bin/sh
# warm: the blocks it caches are read back from the SSD (read_hits) with
# the origin's bytes, whatever the size and alignment of the read; reads
# elsewhere are misses; bad arguments are refused; warming stops at the high
# watermark.
# shellcheck source=lib.sh
. /tests/lib.sh
# shellcheck source=sc.sh
. /tests/sc.sh

load_swapcache
sc_ramdisks 64
TOTAL=$(sc_cache_pages "$(blockdev --getsz /dev/ram1)")
sc_create sc /dev/ram0 /dev/ram1
dev=/dev/mapper/sc
len=$(blockdev --getsz $dev)
M=1048576
echo 1 >$P/read_enable

# Every 512-byte sector of the device carries its own checksummed header,
# which names the sector's offset: a read served from the wrong sector of
# the right block fails, as does one from the wrong block.
fio --name=data --filename=$dev --rw=write --bs=1M --size=64M --direct=1 \
	--verify=crc32c --verify_interval=512 --do_verify=0 \
	--output-format=terse >/dev/null || die "cannot write the data"
# verify RW BS OFFSET SIZE [FIO OPTIONS...]: O_DIRECT reads of the range, BS
# at a time, in the order of RW (write: sequential, randwrite: random),
# check every sector's header and checksum.
verify() {
	local rw=$1 bs=$2 off=$3 size=$4
	shift 4
	fio --name=data --filename=$dev --rw="$rw" --bs="$bs" --offset="$off" \
		--size="$size" --direct=1 --verify=crc32c --verify_interval=512 \
		--verify_only --verify_fatal=1 --output-format=terse "$@" \
		>/dev/null 2>/tmp/verify.err ||
		die "data differs, $rw $bs at a time from $off:" \
			"$(grep -m 3 verify: /tmp/verify.err)"
}
verify_all() {
	verify write "$1" 0 64M
}

for msg in "warm" "warm 0" "warm x 8" "warm 0 8x" "warm 0 0" "warm -1 8" \
	"warm 0 -8" "warm 0 99999999999999999999" "warm $len 8" \
	"warm $((len - 8)) 16" "warm 18446744073709551615 1" \
	"warm 0 8 8" "bogus" "invalidate now" ""; do
	expect_fail dmsetup message sc 0 "$msg"
done
assert_eq "$(sc_status_field sc cache_pages)" "0/$TOTAL" "nothing cached by refusals"

wc0=$(cat $P/write_count)
dmsetup message sc 0 warm $((8 * 2048)) $((4 * 2048)) || die "warm 4 MiB"
assert_eq "$(sc_status_field sc cache_pages)" "1024/$TOTAL" "cached after warm"
assert_eq "$(sc_status_field sc written)" 1024 "written after warm"
assert_eq "$(($(cat $P/write_count) - wc0))" $((4 * M)) "write_count after warm"

h=$(sc_status_field sc read_hits)
m=$(sc_status_field sc read_misses)
sc_read $dev $((8 * M)) $((4 * M))
assert_eq "$(($(sc_status_field sc read_hits) - h))" 1024 "hits in the range"
assert_eq "$(($(sc_status_field sc read_misses) - m))" 0 "misses in the range"
sc_read $dev $((32 * M)) $((4 * M))
assert_eq "$(($(sc_status_field sc read_hits) - h))" 1024 "hits outside"
assert_eq "$(($(sc_status_field sc read_misses) - m))" 1024 "misses outside"

# Mixed bios: 1 MiB, odd-sized and unaligned reads across the cached
# range's edges (two more partial ranges make more edges) return the
# origin's bytes, sector by sector.
dmsetup message sc 0 warm $((20 * 2048 + 8)) 8 || die "warm one block"
dmsetup message sc 0 warm $((21 * 2048 + 3)) 1 || die "warm a sector"
assert_eq "$(sc_status_field sc cache_pages)" "1026/$TOTAL" \
	"a sector warms its whole block"
h=$(sc_status_field sc read_hits)
m=$(sc_status_field sc read_misses)
verify_all 1M
verify_all 12k
verify_all 4k
[ "$(sc_status_field sc read_hits)" -gt "$h" ] || die "no hits while verifying"
[ "$(sc_status_field sc read_misses)" -gt "$m" ] || die "no misses while verifying"
# Reads that start and end inside a block, which the map path must send to
# the same sectors of the block's slot: every sector of the two single
# blocks and around them, then at random across both edges of 8-12 MiB, a
# sector or three at a time, and 12 KiB reads that straddle four blocks.
h=$(sc_status_field sc read_hits)
verify write 512 $((20 * M - 8192)) $((1 * M + 16384))
assert_eq "$(($(sc_status_field sc read_hits) - h))" 16 \
	"hits of 512-byte reads of the two single blocks"
h=$(sc_status_field sc read_hits)
verify randwrite 512 $((6 * M)) $((8 * M)) --number_ios=2000
verify randwrite 1536 $((6 * M)) $((8 * M)) --blockalign=512 \
	--number_ios=2000
verify write 12k $((7 * M + 512)) $((6 * M))
[ "$(sc_status_field sc read_hits)" -gt $((h + 1000)) ] ||
	die "only $(($(sc_status_field sc read_hits) - h)) hits in the" \
		"unaligned reads of 8-12 MiB"

# read_enable=0: everything from the origin.
echo 0 >$P/read_enable
h=$(sc_status_field sc read_hits)
sc_read $dev $((8 * M)) $((4 * M))
assert_eq "$(sc_status_field sc read_hits)" "$h" "hits with read_enable=0"
echo 1 >$P/read_enable

# The whole device: warming stops at maxswappct (75%) of the SSD.
dmsetup message sc 0 warm 0 "$len" || die "warm everything"
used=$(sc_status_field sc cache_pages)
used=${used%/*}
[ "$used" -le $((TOTAL * 75 / 100)) ] || die "$used pages cached, past 75%"
[ "$used" -ge $((TOTAL * 70 / 100)) ] || die "only $used pages cached"
verify_all 1M

dmsetup message sc 0 invalidate || die "invalidate"
assert_eq "$(sc_status_field sc cache_pages)" "0/$TOTAL" "after invalidate"
assert_eq "$(sc_status_field sc invalidated)" "$used" "invalidated count"
verify_all 1M
dmsetup remove sc
