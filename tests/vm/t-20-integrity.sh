#!/bin/sh
# Data written through the target reads back intact: raw block I/O with fio
# verify, and ext4 and XFS made, filled, checked and remounted.  Reads are
# counted as misses (nothing is cached yet), in whole 4 KiB pages.
# shellcheck source=lib.sh
. /tests/lib.sh
# shellcheck source=sc.sh
. /tests/sc.sh

load_swapcache
sc_ramdisks 512
TOTAL=$(sc_cache_pages "$(blockdev --getsz /dev/ram1)")
sc_create sc /dev/ram0 /dev/ram1
dev=/dev/mapper/sc

# cache_pages counts the 16-slot slabs of the cache device left for data.
assert_eq "$(dmsetup status sc | cut -d' ' -f4-)" \
	"cache_pages=0/$TOTAL read_hits=0 read_misses=0 written=0 evicted=0 invalidated=0 ssd_errors=0 state=writing burst=bursting mode=ok restored=0" \
	"status of a new target"

fio --name=raw --filename=$dev --rw=randwrite --bs=4k --size=64M \
	--direct=1 --verify=crc32c --verify_fatal=1 --randrepeat=0 \
	--output-format=terse >/dev/null || die "fio verify, 4k"
fio --name=odd --filename=$dev --rw=randwrite --bs=512 --size=4M \
	--offset=100M --direct=1 --verify=crc32c --verify_fatal=1 \
	--output-format=terse >/dev/null || die "fio verify, 512-byte blocks"

# Exactly the pages read: 16 aligned 4 KiB reads, then one 512-byte read
# and one 8 KiB read straddling a 4 KiB boundary (1 + 3 pages).
before=$(sc_status_field sc read_misses)
fio --name=count --filename=$dev --rw=read --bs=4k --size=64k --direct=1 \
	--output-format=terse >/dev/null || die "counting read"
fio --name=small --filename=$dev --rw=read --bs=512 --size=512 \
	--offset=1M --direct=1 --output-format=terse >/dev/null || die "512"
fio --name=straddle --filename=$dev --rw=read --bs=8k --size=8k \
	--offset=$((2 * 1048576 + 2048)) --direct=1 \
	--output-format=terse >/dev/null || die "straddling read"
assert_eq "$(($(sc_status_field sc read_misses) - before))" 20 \
	"read_misses after 16 + 1 + 3 pages"
assert_eq "$(sc_status_field sc read_hits)" 0 "read_hits"

fs_roundtrip() {
	mkdir -p /mnt
	mount -t "$1" "$dev" /mnt || die "mount $1"
	mkdir /mnt/d
	i=0
	while [ $i -lt 20 ]; do
		dd if=/dev/urandom of=/mnt/d/f$i bs=64k count=$((i + 1)) \
			2>/dev/null || die "write f$i on $1"
		i=$((i + 1))
	done
	(cd /mnt/d && sha256sum f*) >/tmp/sums
	umount /mnt || die "umount $1"
	$2 || die "$1 check found errors"
	mount -t "$1" "$dev" /mnt || die "remount $1"
	(cd /mnt/d && sha256sum -c /tmp/sums >/dev/null) ||
		die "checksums differ after remounting $1"
	umount /mnt
	echo "$1: 20 files survived unmount, check and remount"
}

mkfs.ext4 -q -F "$dev" || die "mkfs.ext4"
fs_roundtrip ext4 "e2fsck -fn $dev"
mkfs.xfs -q -f "$dev" || die "mkfs.xfs"
fs_roundtrip xfs "xfs_repair -n $dev"

dmsetup remove sc
