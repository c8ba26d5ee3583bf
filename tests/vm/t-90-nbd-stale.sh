#!/bin/sh
# Integrity and never stale over a network origin: the origin is /dev/nbd0,
# attached over the guest's loopback with 1 ms of netem delay each way, to
# an nbd-server exporting /dev/ram0 (whose bytes this test reads directly
# as "the origin's"); the SSD is /dev/ram1.  On ext4 and on XFS:
# - four 4 MiB files in an opted-in directory, read once through the
#   network, are written to the SSD by the thread, every block (written ==
#   4096), and O_DIRECT reads of their extents on the target are all hits
#   and no misses; from a cold page cache they equal their reference copies;
# - A: a 1 MiB buffered overwrite and a 100-byte one inside a page, synced:
#   exactly 257 cached blocks invalidated, and the target's and the
#   origin's blocks there hold the new bytes;
# - C: a 1 MiB O_DIRECT write over cached blocks: 256 invalidated, the
#   target and the origin return the new pattern;
# - D: rewritten in place, all of it: 1024 invalidated;
#   after each, every file equals its reference from a cold page cache;
# - then `invalidate` and `swapcachectl warm` on the directory put the files
#   back on the SSD (written grows by 4096), their extents read back as
#   4096 hits, and the files still equal their references.
# shellcheck source=lib.sh
. /tests/lib.sh
# shellcheck source=sc.sh
. /tests/sc.sh
# shellcheck source=nbd.sh
. /tests/nbd.sh

M=1048576
dev=/dev/mapper/sc
FILES="A B C D"

for x in $FILES; do
	dd if=/dev/urandom of="/tmp/$x.ref0" bs=1M count=4 2>/dev/null ||
		die "urandom"
done
dd if=/dev/urandom of=/tmp/patch bs=1M count=1 2>/dev/null || die "urandom"
dd if=/dev/urandom of=/tmp/bytes bs=100 count=1 2>/dev/null || die "urandom"
dd if=/dev/urandom of=/tmp/D.new bs=1M count=4 2>/dev/null || die "urandom"
dd if=/dev/zero bs=64k count=16 2>/dev/null | tr '\000' '\132' >/tmp/pat5a

# cold: drop the page cache with the thread paused (see t-52).
cold() {
	echo 0 >$P/data_enable
	sleep 0.5
	sc_drop_caches
	echo 1 >$P/data_enable
}

# check_all WHEN: from a cold page cache, every file equals its reference.
check_all() {
	cold
	for x in $FILES; do
		assert_eq "$(sc_md5 "/mnt/hot/$x")" "$(sc_md5 "/tmp/$x.ref")" \
			"$fs, $1: contents of $x"
	done
}

# devoff FILE OFFSET LENGTH: the device offset of FILE's bytes at OFFSET,
# which must lie in one extent for LENGTH bytes.
devoff() {
	sc_extents "$1" | while read -r fo doff len; do
		if [ "$2" -ge "$fo" ] && [ $(($2 + $3)) -le $((fo + len)) ]; then
			echo $((doff + $2 - fo))
			break
		fi
	done | grep . || die "$1: bytes $2+$3 are not in one extent"
}

# raw_is DEVOFF LENGTH REF REFOFF: from a cold page cache, the target's
# blocks at DEVOFF and the origin's (read on the server's side) equal
# REF's bytes at REFOFF.
raw_is() {
	cold
	want=$(dd if="$3" bs=4096 skip=$(($4 / 4096)) count=$(($2 / 4096)) \
		2>/dev/null | md5sum)
	for d in $dev /dev/ram0; do
		assert_eq "$(dd if="$d" bs=4096 skip=$(($1 / 4096)) \
			count=$(($2 / 4096)) 2>/dev/null | md5sum)" "$want" \
			"$fs: $d at $1+$2"
	done
}

# invalidated_by WHAT N: the invalidated count grew by N since last time.
invalidated_by() {
	now=$(sc_status_field sc invalidated)
	assert_eq "$((now - inv))" "$2" "$fs: blocks invalidated by $1"
	inv=$now
}

# all_hits WHEN: O_DIRECT reads of the files' extents on the target are
# all served by the SSD.
all_hits() {
	h=$(sc_status_field sc read_hits)
	m=$(sc_status_field sc read_misses)
	sc_read_extents $dev /mnt/hot/A /mnt/hot/B /mnt/hot/C /mnt/hot/D
	assert_eq "$(($(sc_status_field sc read_hits) - h))" 4096 \
		"$fs, $1: hits on the files' blocks"
	assert_eq "$(($(sc_status_field sc read_misses) - m))" 0 \
		"$fs, $1: misses on the files' blocks"
}

load_swapcache
sc_ramdisks 320
nbd_serve /dev/ram0
nbd_attach /dev/nbd0 30

for fs in ext4 xfs; do
	echo "--- $fs"
	start=$(cut -d' ' -f1 /proc/uptime)
	for x in $FILES; do
		cp "/tmp/$x.ref0" "/tmp/$x.ref"
	done
	sc_create sc /dev/nbd0 /dev/ram1
	# mkfs without the delay: its many small writes would take minutes.
	sc_fs_setup $fs
	mkdir /mnt/hot
	setfattr -n user.swapcache -v 1 /mnt/hot
	for x in $FILES; do
		cp "/tmp/$x.ref" "/mnt/hot/$x"
	done
	sc_drop_caches
	nbd_delay 1
	echo 0 >$P/hysteresis
	echo 1 >$P/read_enable
	echo 1 >$P/data_enable

	cat /mnt/hot/A /mnt/hot/B /mnt/hot/C /mnt/hot/D >/dev/null
	sc_wait_written sc 4096 60
	sleep 1
	assert_eq "$(sc_status_field sc written)" 4096 "$fs: written"
	all_hits "cached by the thread"
	check_all "cached"
	inv=$(sc_status_field sc invalidated)
	assert_eq "$inv" 0 "$fs: invalidated before any write"

	# A: buffered overwrites from a cold page cache (the partial one's
	# read-modify-write read is served by the SSD).
	cold
	dd if=/tmp/patch of=/mnt/hot/A bs=1M seek=1 conv=notrunc 2>/dev/null
	dd if=/tmp/patch of=/tmp/A.ref bs=1M seek=1 conv=notrunc 2>/dev/null
	dd if=/tmp/bytes of=/mnt/hot/A bs=1 seek=$((3 * M + 123)) \
		conv=notrunc 2>/dev/null
	dd if=/tmp/bytes of=/tmp/A.ref bs=1 seek=$((3 * M + 123)) \
		conv=notrunc 2>/dev/null
	sync
	invalidated_by "buffered writes" 257
	check_all "after buffered writes"
	raw_is "$(devoff /mnt/hot/A $M $M)" $M /tmp/A.ref $M
	raw_is "$(devoff /mnt/hot/A $((3 * M)) 4096)" 4096 /tmp/A.ref $((3 * M))

	# C: an O_DIRECT write over cached blocks.
	at=$(devoff /mnt/hot/C $M $M)
	fio --name=dio --filename=/mnt/hot/C --rw=write --bs=64k --offset=1M \
		--size=1M --direct=1 --buffer_pattern=0x5a \
		--output-format=terse >/dev/null || die "$fs: O_DIRECT write"
	dd if=/tmp/pat5a of=/tmp/C.ref bs=1M seek=1 conv=notrunc 2>/dev/null
	invalidated_by "an O_DIRECT write" 256
	sc_holds $dev "$at" $M 0x5a || die "$fs: the target's blocks after O_DIRECT"
	sc_holds /dev/ram0 "$at" $M 0x5a || die "$fs: the origin after O_DIRECT"
	check_all "after an O_DIRECT write"

	# D: rewritten in place, every block.
	cold
	dd if=/tmp/D.new of=/mnt/hot/D bs=1M conv=notrunc 2>/dev/null
	cp /tmp/D.new /tmp/D.ref
	sync
	invalidated_by "D rewritten" 1024
	check_all "after D rewritten"

	# Everything back on the SSD with warm: the new bytes, all hits (the
	# thread paused, so that warm alone writes).
	echo 0 >$P/data_enable
	dmsetup message sc 0 invalidate || die "$fs: invalidate"
	w=$(sc_status_field sc written)
	swapcachectl warm /mnt/hot >/dev/null || die "$fs: swapcachectl warm"
	assert_eq "$(($(sc_status_field sc written) - w))" 4096 \
		"$fs: written by warm"
	all_hits "warmed"
	check_all "warmed"

	echo 0 >$P/data_enable
	echo 0 >$P/read_enable
	nbd_delay 0
	umount /mnt
	dmsetup remove sc || die "$fs: remove"
	echo "$fs: $(($(cut -d' ' -f1 /proc/uptime | tr -d .) - $(echo "$start" | tr -d .)))0 ms"
done
