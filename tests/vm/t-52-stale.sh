#!/bin/sh
# Never stale, through a filesystem: on ext4 and on XFS, four 4 MiB files
# (A, B, C, D) are read and swapcached writes every one of their blocks to
# the SSD (written == 4096 pages, and O_DIRECT reads of their extents on
# the target are all hits).  Then, with read_enable=1, each is changed in a
# way that reaches the origin through a different path, and after every
# step the page cache is dropped and every file is compared (md5) with a
# reference copy kept in /tmp that had the same changes applied:
# (a) A: a 1 MiB buffered overwrite plus a 100-byte one inside a page (a
#     read-modify-write whose read is served from the SSD), then sync: the
#     257 cached blocks written are invalidated, exactly, and buffered
#     reads of the raw target and of the origin at those blocks return the
#     new bytes;
# (b) D is truncated to 0 and G, a 3 MiB file (768 pages) in a directory
#     that is not opted in, is written.  The filesystem is first filled
#     with fallocate (its reserves set to 0) until not even 4 KiB more can
#     be had, so G has to take its blocks from the space freed since: D's
#     old blocks and B's hole (c), all of them cached.  64 pages of slack
#     are allowed for what the filesystem still keeps aside (in practice G
#     lands entirely on them).  Each such block is invalidated when G's
#     data reaches it (invalidated grows by at least as many), and reading
#     G back from a cold page cache hits the SSD zero times and returns
#     G's own bytes, no old copy of D's or B's;
# (c) B: a 1 MiB hole punched (fallocate punch-hole, with xfs_io since
#     busybox's fallocate has no -p): it reads back as zeros.  On brd there
#     is no discard, so the punch writes nothing to the origin and drops
#     nothing (invalidated grows by 0); the target's blocks there still
#     read as the origin's;
# (d) C: a 1 MiB O_DIRECT write (fio) over cached blocks: the 256 blocks
#     are invalidated, O_DIRECT reads of them on the target and on the
#     origin return the new pattern, and a buffered re-read of the file
#     equals the new data.
# (b) comes last because it fills the filesystem.
# shellcheck source=lib.sh
. /tests/lib.sh
# shellcheck source=sc.sh
. /tests/sc.sh

M=1048576
dev=/dev/mapper/sc
FILES="A B C D"

for x in $FILES; do
	dd if=/dev/urandom of="/tmp/$x.ref" bs=1M count=4 2>/dev/null ||
		die "urandom"
done
dd if=/dev/urandom of=/tmp/G.ref bs=1M count=3 2>/dev/null || die "urandom"
dd if=/dev/urandom of=/tmp/patch bs=1M count=1 2>/dev/null || die "urandom"
dd if=/dev/urandom of=/tmp/bytes bs=100 count=1 2>/dev/null || die "urandom"
dd if=/dev/zero bs=64k count=16 2>/dev/null | tr '\000' '\132' >/tmp/pat5a
cp /tmp/A.ref /tmp/A.ref0
cp /tmp/B.ref /tmp/B.ref0
cp /tmp/C.ref /tmp/C.ref0
cp /tmp/D.ref /tmp/D.ref0

# path NAME: where file NAME lives.
path() {
	if [ "$1" = G ]; then echo /mnt/cold/G; else echo "/mnt/hot/$1"; fi
}

# cold: drop the page cache with the thread paused: its passes hold the
# files' folios for a moment each (every tick, as hysteresis is 0), and
# drop_caches skips a folio held then, which would then be read from RAM
# instead of through the target.
cold() {
	echo 0 >$P/data_enable
	sleep 0.5
	sc_drop_caches
	echo 1 >$P/data_enable
}

# check_all WHEN: from a cold page cache, every file equals its reference.
# (The thread, running again, only reads pages in RAM.)
check_all() {
	cold
	for x in $FILES; do
		assert_eq "$(sc_md5 "$(path "$x")")" "$(sc_md5 "/tmp/$x.ref")" \
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
# and the origin's blocks at DEVOFF equal REF's bytes at REFOFF.
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

# overlap EXTENTS_A EXTENTS_B: the bytes the two extent lists (files of
# "FILE_OFFSET DEVICE_OFFSET LENGTH" lines) have in common on the device.
overlap() {
	total=0
	while read -r _ s1 l1; do
		while read -r _ s2 l2; do
			lo=$s1
			[ "$s2" -gt "$lo" ] && lo=$s2
			hi=$((s1 + l1))
			[ $((s2 + l2)) -lt "$hi" ] && hi=$((s2 + l2))
			[ "$hi" -gt "$lo" ] && total=$((total + hi - lo))
		done <"$2"
	done <"$1"
	echo $total
}

load_swapcache
sc_ramdisks 512

for fs in ext4 xfs; do
	echo "--- $fs"
	FILES="A B C D"
	for x in A B C D; do
		cp /tmp/$x.ref0 /tmp/$x.ref
	done
	sc_create sc /dev/ram0 /dev/ram1
	sc_fs_setup $fs
	mkdir /mnt/hot /mnt/cold
	setfattr -n user.swapcache -v 1 /mnt/hot
	for x in $FILES; do
		cp "/tmp/$x.ref" "/mnt/hot/$x"
	done
	sc_drop_caches
	echo 0 >$P/hysteresis
	echo 1 >$P/read_enable
	echo 1 >$P/data_enable

	# All four files on the SSD, every block.
	cat /mnt/hot/A /mnt/hot/B /mnt/hot/C /mnt/hot/D >/dev/null
	sc_wait_written sc 4096 60
	sleep 1
	assert_eq "$(sc_status_field sc written)" 4096 "$fs: written"
	h=$(sc_status_field sc read_hits)
	sc_read_extents $dev /mnt/hot/A /mnt/hot/B /mnt/hot/C /mnt/hot/D
	assert_eq "$(($(sc_status_field sc read_hits) - h))" 4096 \
		"$fs: hits on the files' blocks"
	sc_extents /mnt/hot/D >/tmp/D.ext
	check_all "cached"
	inv=$(sc_status_field sc invalidated)
	assert_eq "$inv" 0 "$fs: invalidated before any write"

	# (a) Buffered overwrites of A, from a cold page cache.
	cold
	dd if=/tmp/patch of=/mnt/hot/A bs=1M seek=1 conv=notrunc 2>/dev/null
	dd if=/tmp/patch of=/tmp/A.ref bs=1M seek=1 conv=notrunc 2>/dev/null
	h=$(sc_status_field sc read_hits)
	dd if=/tmp/bytes of=/mnt/hot/A bs=1 seek=$((3 * M + 123)) \
		conv=notrunc 2>/dev/null
	dd if=/tmp/bytes of=/tmp/A.ref bs=1 seek=$((3 * M + 123)) \
		conv=notrunc 2>/dev/null
	[ "$(sc_status_field sc read_hits)" -gt "$h" ] ||
		die "$fs: the partial write's read did not hit the SSD"
	sync
	invalidated_by "buffered writes" 257
	check_all "after buffered writes"
	raw_is "$(devoff /mnt/hot/A $M $M)" $M /tmp/A.ref $M
	raw_is "$(devoff /mnt/hot/A $((3 * M)) 4096)" 4096 /tmp/A.ref $((3 * M))

	# (c) A hole punched in B.
	hole=$(devoff /mnt/hot/B $((2 * M)) $M)
	xfs_io -c "fpunch 2m 1m" /mnt/hot/B || die "$fs: punch"
	dd if=/dev/zero of=/tmp/B.ref bs=1M seek=2 count=1 conv=notrunc \
		2>/dev/null
	sync
	invalidated_by "a hole punched (no discard)" 0
	mapped=0
	for len in $(sc_extents /mnt/hot/B | cut -d' ' -f3); do
		mapped=$((mapped + len))
	done
	assert_eq $mapped $((3 * M)) "$fs: B's mapped bytes after the punch"
	check_all "after a hole punch"
	raw_is "$hole" $M /tmp/B.ref0 $((2 * M))

	# (d) An O_DIRECT write over cached blocks of C (in the page cache too,
	# after check_all).
	at=$(devoff /mnt/hot/C $M $M)
	fio --name=dio --filename=/mnt/hot/C --rw=write --bs=64k --offset=1M \
		--size=1M --direct=1 --buffer_pattern=0x5a \
		--output-format=terse >/dev/null || die "$fs: O_DIRECT write"
	dd if=/tmp/pat5a of=/tmp/C.ref bs=1M seek=1 conv=notrunc 2>/dev/null
	invalidated_by "an O_DIRECT write" 256
	sc_holds $dev "$at" $M 0x5a || die "$fs: the target's blocks after O_DIRECT"
	sc_holds /dev/ram0 "$at" $M 0x5a || die "$fs: the origin after O_DIRECT"
	check_all "after an O_DIRECT write"

	# (b) Fill the filesystem, free D's blocks and write G: G lands on
	# D's old blocks (and on B's hole), all of them still cached.
	if [ $fs = ext4 ]; then
		echo 0 >"/sys/fs/ext4/$(sc_dm_name sc)/reserved_clusters"
	else
		xfs_io -x -c "resblks 0" /mnt >/dev/null
	fi
	off=0
	for chunk in $((64 * M)) $M 65536 4096; do
		while fallocate -o $off -l "$chunk" /mnt/fill 2>/dev/null; do
			off=$((off + chunk))
		done
	done
	sync
	echo "$fs: $((off / M)) MiB allocated to fill up; free: $(df -k /mnt | tail -1)"
	: >/mnt/hot/D
	: >/tmp/D.ref
	sync
	inv=$(sc_status_field sc invalidated)
	cp /tmp/G.ref /mnt/cold/G || die "$fs: writing G"
	sync
	FILES="A B C D G"
	sc_extents /mnt/cold/G >/tmp/G.ext
	echo "0 $hole $M" >>/tmp/D.ext
	reused=$(($(overlap /tmp/G.ext /tmp/D.ext) / 4096))
	gone=$(($(sc_status_field sc invalidated) - inv))
	echo "$fs: G has $reused of its 768 pages on blocks that were cached; $gone invalidated"
	[ $reused -ge $((768 - 64)) ] ||
		die "$fs: G reused only $reused cached blocks"
	[ $gone -ge $reused ] ||
		die "$fs: $reused cached blocks overwritten, only $gone invalidated"
	cold
	h=$(sc_status_field sc read_hits)
	assert_eq "$(sc_md5 /mnt/cold/G)" "$(sc_md5 /tmp/G.ref)" \
		"$fs: G read from a cold page cache"
	assert_eq "$(($(sc_status_field sc read_hits) - h))" 0 \
		"$fs: hits reading G"
	assert_eq "$(stat -c %s /mnt/hot/D)" 0 "$fs: D's size"
	check_all "after reusing D's blocks"
	sc_extents /mnt/cold/G | while read -r fo doff len; do
		raw_is "$doff" "$len" /tmp/G.ref "$fo"
	done

	echo 0 >$P/data_enable
	umount /mnt
	dmsetup remove sc || die "$fs: remove"
done
