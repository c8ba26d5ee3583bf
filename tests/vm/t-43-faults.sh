#!/bin/sh
# SSD failures: a failed SSD read is served from the origin and its block
# dropped; a failed cluster write drops the cluster; enough errors switch the
# target to passthrough (mode=degraded) without failing user I/O.
# shellcheck source=lib.sh
. /tests/lib.sh
# shellcheck source=sc.sh
. /tests/sc.sh

load_swapcache
sc_ramdisks 64
TOTAL=$(sc_cache_pages "$(blockdev --getsz /dev/ram1)")
ssd_sz=$(blockdev --getsz /dev/ram1)
dmsetup create ssd --table "0 $ssd_sz linear /dev/ram1 0" || die "ssd"
dmsetup mknodes ssd
sc_create sc /dev/ram0 /dev/mapper/ssd
dev=/dev/mapper/sc
M=1048576
echo 1 >$P/read_enable

sc_fill $dev 0 $((16 * M)) 0xaa
dmsetup message sc 0 warm 0 $((16 * 2048)) || die "warm"
sc_holds $dev 0 $M 0xaa || die "warmed data"

# The SSD starts failing every I/O.
dmsetup suspend ssd
dmsetup reload ssd --table "0 $ssd_sz error" || die "error table"
dmsetup resume ssd

# Three failed reads: right data, errors counted, blocks dropped.
sc_holds $dev $((2 * M)) 12k 0xaa || die "a failed SSD read reached the user"
assert_eq "$(sc_status_field sc ssd_errors)" 3 "errors after three reads"
assert_eq "$(sc_status_field sc mode)" ok "mode after three errors"
assert_eq "$(sc_status_field sc cache_pages)" "4093/$TOTAL" \
	"the failed blocks were dropped"

# A failed cluster write: warm fails, nothing enters the map.
dmsetup message sc 0 invalidate
expect_fail dmsetup message sc 0 warm $((32 * 2048)) 128
assert_eq "$(sc_status_field sc cache_pages)" "0/$TOTAL" "after a failed write"
assert_eq "$(sc_status_field sc ssd_errors)" 4 "errors after a failed write"

# Heal, recache, break again: repeated errors degrade the target.
dmsetup suspend ssd
dmsetup reload ssd --table "0 $ssd_sz linear /dev/ram1 0"
dmsetup resume ssd
dmsetup message sc 0 warm 0 $((16 * 2048)) || die "warm after healing"
dmsetup suspend ssd
dmsetup reload ssd --table "0 $ssd_sz error"
dmsetup resume ssd
sc_holds $dev 0 $((16 * M)) 0xaa || die "wrong data while the SSD fails"
assert_eq "$(sc_status_field sc mode)" degraded "mode after repeated errors"
# The map is emptied by a worker after the switch, a step at a time.
i=0
while [ "$(sc_status_field sc cache_pages)" != "0/$TOTAL" ] && [ $i -lt 50 ]; do
	sleep 0.2
	i=$((i + 1))
done
assert_eq "$(sc_status_field sc cache_pages)" "0/$TOTAL" "degraded map, 10 s after"
errors=$(sc_status_field sc ssd_errors)
[ "$errors" -ge 8 ] || die "degraded after only $errors errors"

# Degraded: pure passthrough, no SSD I/O, writes and reads still work.
expect_fail dmsetup message sc 0 warm 0 2048
sc_fill $dev 0 $M 0x33
sc_holds $dev 0 $M 0x33 || die "passthrough data"
assert_eq "$(sc_status_field sc ssd_errors)" "$errors" "SSD I/O while degraded"

# A reload starts afresh on a healed SSD.
dmsetup suspend ssd
dmsetup reload ssd --table "0 $ssd_sz linear /dev/ram1 0"
dmsetup resume ssd
dmsetup reload sc --table "$(dmsetup table sc)"
dmsetup resume sc
assert_eq "$(sc_status_field sc mode)" ok "mode after a reload"
dmsetup message sc 0 warm 0 2048 || die "warm after the reload"
sc_holds $dev 0 $M 0x33 || die "data after the reload"
dmsetup remove sc
dmsetup remove ssd
