#!/bin/sh
# A 4 TiB cache device in this 2 GiB guest: the table loads, the map's
# memory at load is at most 16 MiB per TiB of SSD, it grows with what is
# cached and not with the SSD, warmed blocks read back right from the SSD,
# and removing the table gives every byte back.  The map used to take 14
# bytes per 4 KiB slot at load (a 4 TiB SSD: 14 GiB, refused with
# "Cannot allocate the cache map").
#
# The cache device is dm-zero past its first 64 MiB, which are a brd disk:
# slabs are handed out from the start of the device, so the clusters warmed
# here land on real memory and read back their data.
# shellcheck source=lib.sh
. /tests/lib.sh
# shellcheck source=sc.sh
. /tests/sc.sh

load_swapcache
sc_ramdisks 64
modprobe dm-zero || die "cannot load dm-zero"
HEAD=131072			# sectors of the brd head, 64 MiB
TIB=2147483648			# sectors per TiB
SSD=$((4 * TIB))
dmsetup create bigssd --table "0 $HEAD linear /dev/ram1 0
$HEAD $((SSD - HEAD)) zero" || die "cannot make the 4 TiB stand-in"
dmsetup mknodes bigssd

# map_kib: KiB of vmalloc areas the swapcache module holds (the map's
# fixed part, its chunks and segments), guard pages left out.
map_kib() {
	awk '/\[swapcache\]/ { kib += ($2 - 4096) / 1024 } END { print kib + 0 }' \
		/proc/vmallocinfo
}

before=$(map_kib)
sc_create sc /dev/ram0 /dev/mapper/bigssd
assert_eq "$(sc_status_field sc cache_pages)" "0/$(sc_cache_pages "$SSD")" "4 TiB map"
loaded=$(($(map_kib) - before))
echo "map at load: $loaded KiB for 4 TiB of SSD"
[ "$loaded" -le $((4 * 16 * 1024)) ] ||
	die "the map takes $loaded KiB at load, over 16 MiB per TiB"
[ "$loaded" -gt 0 ] || die "no vmalloc area of the module's: not measured"

# 16 MiB of data, warmed (whole groups), read back O_DIRECT from the SSD.
dev=/dev/mapper/sc
fio --name=data --filename=$dev --rw=write --bs=1M --size=16M --direct=1 \
	--verify=crc32c --verify_interval=512 --do_verify=0 \
	--output-format=terse >/dev/null || die "cannot write the data"
dmsetup message sc 0 warm 0 32768 || die "warm"
assert_eq "$(sc_status_field sc cache_pages)" "4096/$(sc_cache_pages "$SSD")" "warmed"
grown=$(($(map_kib) - before - loaded))
echo "map after 4096 cached pages: +$grown KiB"
# One 64 KiB chunk holds 4096 entries, 256 whole-group slabs need 256, and
# the reserve keeps one more chunk and one segment: 144 KiB at most.
[ "$grown" -le 144 ] || die "the map grew $grown KiB for 4096 pages"
echo 1 >$P/read_enable
h=$(sc_status_field sc read_hits)
fio --name=data --filename=$dev --rw=read --bs=64k --size=16M --direct=1 \
	--verify=crc32c --verify_interval=512 --verify_only --verify_fatal=1 \
	--output-format=terse >/dev/null 2>/tmp/verify.err ||
	die "data differs: $(grep -m 3 verify: /tmp/verify.err)"
assert_eq "$(($(sc_status_field sc read_hits) - h))" 4096 "all hits"

# Dropping everything gives the dynamic part back at once, the thread
# idle as it is here (data_enable=0): all but the reserve of one chunk and
# one segment, 80 KiB.
dmsetup message sc 0 invalidate || die "invalidate"
assert_eq "$(sc_status_field sc cache_pages)" "0/$(sc_cache_pages "$SSD")" "emptied"
left=$(($(map_kib) - before - loaded))
echo "map after invalidate: +$left KiB"
[ "$left" -le 80 ] || die "invalidate left $left KiB of the map allocated"
dmsetup remove sc || die "remove"
assert_eq "$(map_kib)" "$before" "module's vmalloc after remove"
dmsetup remove bigssd || die "remove the stand-in"
