#!/bin/sh
# The watermarks and the cleaner: past the high watermark the thread evicts
# slabs down to the low one, sparing those read since the CLOCK's hand last
# passed them, and the data read afterwards is still the origin's.
#
# The cache is 16 MiB of data (256 slabs of 16 pages) over a 64 MiB origin. `warm`
# of the whole origin stops at the high watermark, 75%: 192 full slabs,
# 3072 pages, holding the origin's first 12 MiB. The first 2 MiB (32 slabs,
# 512 pages) are then read: all hits, which mark their slabs referenced.
# Lowering maxswappct to 40 puts the thread into cleaning until fewer than
# 35% of the slabs are in use: 89 slabs (89 * 100 < 35 * 256 <= 90 * 100),
# so it evicts 103 slabs, 1648 pages, and then goes back to writing. The
# hot slabs get a second chance, so the evicted ones are all cold: the hot
# 2 MiB read back as 512 hits, and the cold 10 MiB as 57 slabs of hits (912
# pages) and 1648 misses.
# The cleaner works only in the thread's 10 Hz ticks, maxlaunder/16 slabs a
# tick: with maxlaunder=32 that is 2 slabs (32 pages), so `evicted` grows
# by at most 32 pages per tick elapsed (plus the tick the parameter write
# wakes), and the state is seen as cleaning for the 5 s or so this takes.
# Nothing may have been invalidated (no writes), and every block of the
# device still carries its own checksummed header (fio crc32c verify).
# shellcheck source=lib.sh
. /tests/lib.sh
# shellcheck source=sc.sh
. /tests/sc.sh

# uptime_cs: the guest's clock, in hundredths of a second since boot.
uptime_cs() {
	read -r _up _idle </proc/uptime
	echo "${_up%.*}${_up#*.}"
}

M=1048576
HOT=2		# MiB read before cleaning
CACHED=12	# MiB warm caches: 192 slabs

load_swapcache
sc_ramdisks 64
# 259 slabs: the header's, 256 of data and 2 of checkpoint region.
dmsetup create cache16 --table "0 $((259 * 128)) linear /dev/ram1 0" ||
	die "cannot make a 16 MiB cache device"
assert_eq "$(sc_cache_pages $((259 * 128)))" 4096 "the layout's data slots"
dmsetup mknodes cache16
sc_create sc /dev/ram0 /dev/mapper/cache16
dev=/dev/mapper/sc
len=$(blockdev --getsz $dev)

# Every 4 KiB of the device carries its own checksummed header.
fio --name=data --filename=$dev --rw=write --bs=1M --size=64M --direct=1 \
	--verify=crc32c --verify_interval=4096 --do_verify=0 \
	--output-format=terse >/dev/null || die "cannot write the data"
# verify OFFSET SIZE: O_DIRECT 4 KiB reads of a range return its data.
verify() {
	fio --name=data --filename=$dev --rw=write --bs=4k --offset="$1" \
		--size="$2" --direct=1 --verify=crc32c --verify_interval=4096 \
		--verify_only --verify_fatal=1 --output-format=terse \
		>/dev/null || die "data differs at $1+$2"
}
# reads WHAT OFFSET SIZE HITS MISSES: verify a range, and count what its
# reads were.
reads() {
	_h=$(sc_status_field sc read_hits)
	_m=$(sc_status_field sc read_misses)
	verify "$2" "$3"
	assert_eq "$(($(sc_status_field sc read_hits) - _h))" "$4" "hits reading $1"
	assert_eq "$(($(sc_status_field sc read_misses) - _m))" "$5" "misses reading $1"
}

echo 1 >$P/read_enable
dmsetup message sc 0 warm 0 "$len" || die "warm everything"
assert_eq "$(sc_status_field sc cache_pages)" "3072/4096" "warm stops at 75%"
assert_eq "$(sc_status_field sc state)" writing "state after warm"
reads "the hot part" 0 $((HOT * M)) $((HOT * 256)) 0

echo 32 >$P/maxlaunder
echo 40 >$P/maxswappct
t0=$(uptime_cs)
echo 1 >$P/data_enable
seen_cleaning=0
while :; do
	# shellcheck disable=SC2046 # one word per field
	set -- $(dmsetup status sc | tr ' ' '\n' |
		sed -n 's/^cache_pages=\([0-9]*\)\/.*/\1/p; s/^evicted=//p; s/^state=//p')
	used=$1 evicted=$2 state=$3
	# The pace: 2 slabs per tick, ticks at 10 Hz, one more for the wake-up.
	# The clock is read after the status, so it is no earlier than it.
	now=$(uptime_cs)
	[ "$evicted" -le $((32 * ((now - t0 + 9) / 10 + 1))) ] ||
		die "$evicted pages evicted in $((now - t0))0 ms"
	[ $((used + evicted)) -eq 3072 ] ||
		die "cache_pages $used with $evicted evicted: pages lost"
	case $state in
	cleaning) seen_cleaning=$((seen_cleaning + 1)) ;;
	writing) [ "$evicted" -eq 0 ] || break ;;
	*) die "state=$state" ;;
	esac
	[ $((now - t0)) -lt 6000 ] || die "still $state after 60 s: $(dmsetup status sc)"
	sleep 0.2
done
echo "cleaned in about $(($(uptime_cs) - t0))0 ms; state=cleaning seen $seen_cleaning times"
[ "$seen_cleaning" -gt 0 ] || die "state=cleaning never seen"
# Back to writing, the thread evicts no more.
sleep 1
assert_eq "$(sc_status_field sc state)" writing "state after cleaning"
assert_eq "$(sc_status_field sc cache_pages)" "1424/4096" "in use after cleaning: 89 slabs"
assert_eq "$(sc_status_field sc evicted)" 1648 "evicted: 103 slabs"
assert_eq "$(sc_status_field sc invalidated)" 0 "invalidated"
assert_eq "$(sc_status_field sc written)" 3072 "written"
echo 0 >$P/data_enable

reads "the hot part again" 0 $((HOT * M)) $((HOT * 256)) 0
reads "the cold part" $((HOT * M)) $(((CACHED - HOT) * M)) 912 1648
reads "the rest" $((CACHED * M)) $(((64 - CACHED) * M)) 0 $(((64 - CACHED) * 256))
dmsetup remove sc
dmsetup remove cache16
