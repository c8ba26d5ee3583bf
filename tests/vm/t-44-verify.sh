#!/bin/sh
# The verify option: an SSD that returns wrong bytes never reaches the
# reader.  The SSD is a dm device whose table is swapped to dm-flakey with
# corrupt_bio_byte (every SSD read comes back with one byte wrong) or with
# drop_writes (the SSD acknowledges cluster writes it never makes, so it
# still holds older data).  Each case runs twice, on the same devices:
# without verify, where the wrong bytes reach the reader (counted: the
# test's check is thereby shown to catch them), and with verify, where the
# reader gets the origin's bytes, each bad read counts in ssd_errors and
# drops its blocks, and enough of them degrade the target.  Also: a healthy
# SSD serves every warmed block as a hit with verify, and a read of part
# of a block, which no sum covers, goes to the origin.  A slab read at once
# is checked block by block; a reader's buffer that changes during its
# read is not taken for an SSD fault.
# shellcheck source=lib.sh
. /tests/lib.sh
# shellcheck source=sc.sh
. /tests/sc.sh

M=1048576
N=1024			# blocks read in each corrupted window: 4 MiB

load_swapcache
sc_ramdisks 64
TOTAL=$(sc_cache_pages "$(blockdev --getsz /dev/ram1)")
ssd_sz=$(blockdev --getsz /dev/ram1)
origin_sz=$(blockdev --getsz /dev/ram0)
dmsetup create ssd --table "0 $ssd_sz linear /dev/ram1 0" || die "ssd"
dmsetup mknodes ssd
dev=/dev/mapper/sc
echo 1 >$P/read_enable

swap_ssd() {
	{ dmsetup suspend ssd && dmsetup reload ssd --table "$1" &&
		dmsetup resume ssd; } || die "cannot swap the SSD to: $1"
}

healthy="0 $ssd_sz linear /dev/ram1 0"
corrupt="0 $ssd_sz flakey /dev/ram1 0 0 1 5 corrupt_bio_byte 1 r 255 0"
dropping="0 $ssd_sz flakey /dev/ram1 0 0 1 1 drop_writes"

# expected PATTERN: /tmp/expected, N blocks of the byte PATTERN (octal).
expected() {
	head -c $((N * 4096)) /dev/zero | tr '\0' "\\$1" >/tmp/expected
}

# wrong_bytes: read the first N blocks of the target, 4 KiB at a time,
# O_DIRECT, and print how many bytes differ from /tmp/expected.
wrong_bytes() {
	dd if=$dev of=/tmp/got bs=4k count=$N iflag=direct 2>/dev/null ||
		die "reading the target failed"
	cmp -l /tmp/got /tmp/expected | wc -l
}

# fresh OPTS: a new target over the same devices (an empty map).
fresh() {
	dmsetup remove sc 2>/dev/null || true
	dmsetup create sc --table \
		"0 $origin_sz swapcache /dev/ram0 /dev/mapper/ssd $1" ||
		die "cannot create sc with '$1'"
	dmsetup mknodes sc
}

for opts in "0" "1 verify"; do
	echo "== table options: $opts"
	swap_ssd "$healthy"
	fresh "$opts"
	sc_fill $dev 0 $((16 * M)) 0xaa
	dmsetup message sc 0 warm 0 $((16 * 2048)) || die "warm"
	assert_eq "$(sc_status_field sc cache_pages)" "4096/$TOTAL" "warmed"
	h=$(sc_status_field sc read_hits)
	sc_holds $dev 0 $((16 * M)) 0xaa || die "warmed data, healthy SSD"
	assert_eq "$(($(sc_status_field sc read_hits) - h))" 4096 \
		"hits on a healthy SSD"
	assert_eq "$(sc_status_field sc ssd_errors)" 0 "errors, healthy SSD"

	# Every SSD read comes back with its first byte 0xff.
	swap_ssd "$corrupt"
	expected 252
	wrong=$(wrong_bytes)
	errors=$(sc_status_field sc ssd_errors)
	echo "corrupt_bio_byte: $wrong of $N blocks read wrong;" \
		"ssd_errors=$errors mode=$(sc_status_field sc mode)"
	if [ "$opts" = 0 ]; then
		[ "$wrong" -eq $N ] ||
			die "without verify, $wrong of $N corrupted reads seen"
		assert_eq "$errors" 0 "errors without verify"
	else
		assert_eq "$wrong" 0 "wrong bytes with verify"
		[ "$errors" -ge 8 ] || die "only $errors checksum errors"
		assert_eq "$(sc_status_field sc mode)" degraded \
			"mode after repeated checksum errors"
	fi

	# Cluster writes acknowledged but dropped: the SSD keeps 0xaa.
	swap_ssd "$healthy"
	fresh "$opts"
	sc_fill $dev 0 $((16 * M)) 0x55
	swap_ssd "$dropping"
	dmsetup message sc 0 warm 0 $((N * 8)) || die "warm, dropped writes"
	expected 125
	wrong=$(wrong_bytes)
	errors=$(sc_status_field sc ssd_errors)
	echo "drop_writes: $wrong bytes read wrong;" \
		"ssd_errors=$errors mode=$(sc_status_field sc mode)"
	if [ "$opts" = 0 ]; then
		assert_eq "$wrong" $((N * 4096)) \
			"without verify, stale bytes read after dropped writes"
	else
		assert_eq "$wrong" 0 "stale bytes read with verify"
		[ "$errors" -ge 8 ] || die "only $errors checksum errors"
	fi
done

# With verify, a few bad blocks are dropped one read at a time, and a
# read of part of a block is served by the origin.
swap_ssd "$healthy"
fresh "1 verify"
sc_fill $dev 0 $((16 * M)) 0x33
dmsetup message sc 0 warm 0 $((16 * 2048)) || die "warm"
swap_ssd "$corrupt"
sc_holds $dev $((2 * M)) 12k 0x33 || die "a corrupted SSD read reached the user"
assert_eq "$(sc_status_field sc ssd_errors)" 3 "errors after three reads"
assert_eq "$(sc_status_field sc mode)" ok "mode after three errors"
assert_eq "$(sc_status_field sc cache_pages)" "4093/$TOTAL" \
	"the corrupted blocks were dropped"
h=$(sc_status_field sc read_hits)
m=$(sc_status_field sc read_misses)
sc_holds $dev $((4 * M + 512)) 512 0x33 512 ||
	die "a partial read of a cached block"
assert_eq "$(sc_status_field sc read_hits)" "$h" "hits after a partial read"
assert_eq "$(($(sc_status_field sc read_misses) - m))" 1 \
	"misses after a partial read"
assert_eq "$(sc_status_field sc ssd_errors)" 3 "errors after a partial read"

# Reads of whole slabs: sixteen blocks summed in one completion.  Healthy,
# then with the 11th block of every 64 KiB SSD read corrupted: each read
# is one error and drops its run, and the reader gets the origin's bytes.
swap_ssd "$healthy"
fresh "1 verify"
sc_fill $dev 0 $((16 * M)) 0x44
dmsetup message sc 0 warm 0 $((16 * 2048)) || die "warm"
expected 104
h=$(sc_status_field sc read_hits)
dd if=$dev of=/tmp/got bs=64k count=$((N / 16)) iflag=direct 2>/dev/null ||
	die "64 KiB reads"
cmp -s /tmp/got /tmp/expected || die "64 KiB reads, healthy SSD: data differ"
assert_eq "$(($(sc_status_field sc read_hits) - h))" $N "hits of 64 KiB reads"
assert_eq "$(sc_status_field sc ssd_errors)" 0 "errors of 64 KiB reads"
swap_ssd "0 $ssd_sz flakey /dev/ram1 0 0 1 5 corrupt_bio_byte 40961 r 255 0"
dd if=$dev of=/tmp/got bs=64k skip=$((N / 16)) count=4 iflag=direct \
	2>/dev/null || die "64 KiB reads, 11th block corrupted"
head -c $((64 * 4096)) /tmp/expected | cmp -s /tmp/got - ||
	die "a corrupted 11th block reached the reader"
assert_eq "$(sc_status_field sc ssd_errors)" 4 "errors of four bad slabs"
assert_eq "$(sc_status_field sc cache_pages)" "4032/$TOTAL" \
	"four bad slabs' runs dropped"

# A reader's buffer that changes while its read is in flight (an O_DIRECT
# buffer another thread writes to) fails the check with nothing wrong on
# the SSD: no error, and the blocks stay.  Stand-in: dm-flakey corrupts
# only readahead bios (REQ_RAHEAD, 1 << 19 on both lines), as a buffered
# read of the target sends, while the check's re-read of the SSD is clean.
swap_ssd "0 $ssd_sz flakey /dev/ram1 0 0 1 5 corrupt_bio_byte 1 r 255 524288"
blockdev --flushbufs $dev
echo 3 >/proc/sys/vm/drop_caches
h=$(sc_status_field sc read_hits)
m=$(sc_status_field sc read_misses)
dd if=$dev of=/tmp/got bs=64k skip=$((2 * N / 16)) count=$((N / 16)) \
	2>/dev/null || die "buffered reads"
cmp -s /tmp/got /tmp/expected || die "buffered reads: data differ"
retried=$(($(sc_status_field sc read_misses) - m))
echo "buffered reads through readahead corruption: $retried blocks retried" \
	"on the origin, ssd_errors=$(sc_status_field sc ssd_errors)"
[ "$retried" -ge $N ] ||
	die "only $retried blocks failed their check: the stand-in did not work"
assert_eq "$(sc_status_field sc read_hits)" "$h" "hits of corrupted buffers"
assert_eq "$(sc_status_field sc ssd_errors)" 4 \
	"errors after buffers changed under reads"
assert_eq "$(sc_status_field sc mode)" ok "mode after buffers changed"
assert_eq "$(sc_status_field sc cache_pages)" "4032/$TOTAL" \
	"blocks kept after buffers changed"
dmsetup remove sc
dmsetup remove ssd
