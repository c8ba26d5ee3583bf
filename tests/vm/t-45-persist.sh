#!/bin/sh
# The persistent option (Documentation/swapcache.rst, "Persistent mode"),
# within one boot, on ext4 and XFS.  A file's blocks are warmed and the
# target removed (a clean postsuspend: checkpoint, header clean); loaded
# again with `persistent`, the map comes back (restored=, the log line)
# and the first read of the file's blocks is served from the SSD, data
# identical.  Every other case must start cold, for its own reason, named
# in the log line, with the data identical:
#   - a "crash": the SSD's contents copied while the table was live
#     (header open), written back after the removal;
#   - a byte flipped in the header, and in the checkpoint;
#   - another origin of the same size (the fingerprint);
#   - a cache device of another size (a dm-linear of another length over
#     the same ram disk);
#   - a volatile table in between;
#   - a direct mount of the origin in between (the fingerprint: ext4's
#     mount time and count, XFS's sb_lsn when its log is covered at
#     unmount);
#   - verify with a checkpoint written without it.
# With `2 persistent verify` the checksums come back too: the restored
# blocks hit, and after the data slabs are zeroed behind the target's back
# the reader still gets the origin's bytes (ssd_errors counts them).
# Then, once, what suspends, reloads and failed writes must not make true:
#   1. a failed write of the clean header at suspend: the next resume
#      writes it open again (dm-flakey refusing the header's writes);
#   2. a table loaded while another was live, whose resume cannot reopen
#      the header the other's suspend wrote clean: the resume is refused;
#   3. a checkpoint item the checks would refuse: the crc, checked first,
#      reports it;
#   4. a failed flush of the origin at the checkpoint: no clean header;
#   5. an invalidate sent to the suspended old table after a new one was
#      loaded: the new one resumes empty.
#   6. a header flag this version does not know (the header's crc
#      recomputed by the script): not trusted.
#   7. an invalidate on a suspended target that cannot reopen the clean
#      header (its slab refuses writes): the message fails;
#   8. an invalidate on a volatile table whose resume was refused over a
#      clean header: it reopens the header;
#   9. a reload of the live table: the cache comes back at the resume;
#  10. a reload to a linear table over the origin, written through it
#      (raw, the superblock and so the fingerprint unchanged), then back
#      to swapcache: the checkpoint the first suspend wrote is stale and
#      must not come back.
# Each case asserts restored=0 and the reason in the log, and the runs go
# on after a failed case (each counted), so that a module with a check
# taken out fails every case that check guards.
# shellcheck source=lib.sh
. /tests/lib.sh
# shellcheck source=sc.sh
. /tests/sc.sh

load_swapcache
sc_ramdisks 320			# XFS wants an origin of 300 MB at least
echo 1 >$P/read_enable
SSD_SZ=262144			# sectors: the cache device is 128 MiB of ram1
dmsetup create ssd --table "0 $SSD_SZ linear /dev/ram1 0" || die "ssd"
dmsetup create ssd2 --table "0 $((SSD_SZ - 16384)) linear /dev/ram1 0" ||
	die "ssd2"
dmsetup mknodes
TOTAL=$(sc_cache_pages $SSD_SZ)
ORIGIN_SZ=$(blockdev --getsz /dev/ram0)
# Where the checkpoint region starts: after the header's slab and the data.
CKPT_BYTE=$(((1 + TOTAL / 16) * 65536))
modprobe loop
truncate -s $((ORIGIN_SZ * 512)) /tmp/other.img
losetup /dev/loop0 /tmp/other.img || die "losetup"
PAGES=2048			# the file: 8 MiB

bad=0
# soft_fail MSG: count a failed case and go on with the next.
soft_fail() {
	echo "FAIL: $*" >&2
	bad=$((bad + 1))
}

# load OPTS [ORIGIN [CACHE]]: create sc; $LOADLOG gets its log lines.
load() {
	local mark
	mark=$(log_mark)
	dmsetup create sc --table \
		"0 $ORIGIN_SZ swapcache ${2:-/dev/ram0} ${3:-/dev/mapper/ssd} $1" ||
		die "cannot create sc with '$1'"
	dmsetup mknodes sc
	LOADLOG=$(log_since "$mark" | grep 'device-mapper: swapcache: [0-9]*:[0-9]*: ' || true)
	echo "load '$1' ${2:-} ${3:-}: ${LOADLOG:-(no log line)}"
}

# unload: remove sc; $UNLOADLOG gets its log lines (the checkpoint's).
unload() {
	local mark
	mark=$(log_mark)
	dmsetup remove sc || die "cannot remove sc"
	UNLOADLOG=$(log_since "$mark" | grep 'device-mapper: swapcache: [0-9]*:[0-9]*: ' || true)
	echo "unload: ${UNLOADLOG:-(no log line)}"
}

# raw_sync: what the module wrote to ram1 directly, visible to dd (and
# what dd wrote, visible to the module).
raw_sync() {
	sync
	blockdev --flushbufs /dev/mapper/ssd
	blockdev --flushbufs /dev/mapper/ssd2
	blockdev --flushbufs /dev/ram1
	echo 3 >/proc/sys/vm/drop_caches
}

# flip_byte DEV OFFSET: invert one byte.
flip_byte() {
	local v
	raw_sync
	v=$(dd if="$1" bs=1 skip="$2" count=1 2>/dev/null | od -An -tu1 | tr -d ' ')
	# shellcheck disable=SC2059 # an octal escape, built on purpose
	printf "\\$(printf %03o $((255 - v)))" |
		dd of="$1" bs=1 seek="$2" count=1 conv=notrunc 2>/dev/null ||
		die "cannot write $1 at $2"
	raw_sync
}

# put_le32 DEV OFFSET VALUE: write VALUE there, 4 bytes little-endian.
put_le32() {
	local i b out=""
	for i in 0 1 2 3; do
		b=$((($3 >> (8 * i)) & 255))
		out="$out\\$(printf %03o $b)"
	done
	# shellcheck disable=SC2059 # octal escapes, built on purpose
	printf "$out" | dd of="$1" bs=1 seek="$2" count=4 conv=notrunc \
		2>/dev/null || die "cannot write $1 at $2"
}

# warm_file: cache the file's blocks through the warm message, from
# nothing (a load that wrongly restored them must not fail the next case).
warm_file() {
	local off len before
	dmsetup message sc 0 invalidate || die "invalidate"
	before=$(sc_status_field sc written)
	while read -r _ off len; do
		dmsetup message sc 0 warm $((off / 512)) $((len / 512)) ||
			die "warm $off+$len"
	done </tmp/extents
	assert_eq "$(($(sc_status_field sc written) - before))" $PAGES \
		"pages warmed"
}

# check_data FS: the file, read through a mount of sc, is the one written.
check_data() {
	sc_fs_mount "$1"
	sc_drop_caches
	[ "$(sc_md5 /mnt/f)" = "$(sc_md5 /tmp/f.ref)" ] ||
		soft_fail "$1: the file differs after: $LOADLOG"
	umount /mnt
}

# expect_restored: the load brought back the whole file, and the first
# read of its blocks, O_DIRECT on the device, is served from the SSD.
expect_restored() {
	local hits misses
	assert_eq "$(sc_status_field sc restored)" $PAGES "restored"
	assert_eq "$(sc_status_field sc cache_pages)" "$PAGES/$TOTAL" \
		"cache_pages after the restore"
	case $LOADLOG in
	*"restored $PAGES pages, generation"*) ;;
	*) die "no restore line: $LOADLOG" ;;
	esac
	hits=$(sc_status_field sc read_hits)
	misses=$(sc_status_field sc read_misses)
	while read -r _ off len; do
		sc_read /dev/mapper/sc "$off" "$len"
	done </tmp/extents
	assert_eq "$(($(sc_status_field sc read_hits) - hits))" $PAGES \
		"first read pass: hits"
	assert_eq "$(($(sc_status_field sc read_misses) - misses))" 0 \
		"first read pass: misses"
}

# expect_cold FS REASON: the load started cold, saying REASON; data intact.
expect_cold() {
	local restored
	restored=$(sc_status_field sc restored)
	if [ "$restored" != 0 ]; then
		soft_fail "$1: expected a cold start ($2), restored $restored"
	else
		case $LOADLOG in
		*"starting cold: $2"*) echo "cold as expected: $2" ;;
		*) soft_fail "$1: expected 'starting cold: $2', got: $LOADLOG" ;;
		esac
	fi
	check_data "$1"
}

# clean_checkpoint: warm the file and remove the table: a clean checkpoint.
clean_checkpoint() {
	warm_file
	unload
	case $UNLOADLOG in
	*"checkpoint of $PAGES pages"*) ;;
	*) die "no checkpoint line: $UNLOADLOG" ;;
	esac
}

run_fs() {
	local fs=$1
	echo "--- $fs"
	load "1 persistent"
	sc_fs_setup "$fs"
	sc_mkfile /mnt/f $PAGES
	cp /mnt/f /tmp/f.ref
	sync
	sc_extents /mnt/f >/tmp/extents
	umount /mnt
	clean_checkpoint

	load "1 persistent"
	expect_restored
	check_data "$fs"
	unload

	# A crash: the SSD as it was while live, header open.
	load "1 persistent"
	raw_sync
	dd if=/dev/mapper/ssd of=/tmp/ssd.img bs=1M 2>/dev/null || die "copy"
	unload
	dd if=/tmp/ssd.img of=/dev/mapper/ssd bs=1M conv=fsync 2>/dev/null ||
		die "copy back"
	rm /tmp/ssd.img
	raw_sync
	load "1 persistent"
	expect_cold "$fs" "not shut down cleanly"
	clean_checkpoint

	flip_byte /dev/mapper/ssd 40		# the header's table length
	load "1 persistent"
	expect_cold "$fs" "header checksum mismatch"
	clean_checkpoint

	flip_byte /dev/mapper/ssd $((CKPT_BYTE + 9))	# an entry's valid pages
	load "1 persistent"
	expect_cold "$fs" "checkpoint"
	clean_checkpoint

	# Another origin of the same size, with its own filesystem.
	case $fs in
	ext4) mkfs.ext4 -q -F -b 4096 /dev/loop0 || die "mkfs on loop0" ;;
	xfs) mkfs.xfs -q -f -b size=4096 /dev/loop0 || die "mkfs on loop0" ;;
	esac
	load "1 persistent" /dev/loop0
	[ "$(sc_status_field sc restored)" = 0 ] ||
		soft_fail "$fs: another origin: restored"
	case $LOADLOG in
	*"starting cold: origin fingerprint changed"*) ;;
	*) soft_fail "$fs: another origin: $LOADLOG" ;;
	esac
	unload
	load "1 persistent"
	expect_cold "$fs" "origin fingerprint changed"
	clean_checkpoint

	# A cache device of another size over the same disk.
	load "1 persistent" /dev/ram0 /dev/mapper/ssd2
	[ "$(sc_status_field sc restored)" = 0 ] ||
		soft_fail "$fs: smaller SSD: restored"
	case $LOADLOG in
	*"starting cold: cache device size or layout changed"*) ;;
	*) soft_fail "$fs: smaller SSD: $LOADLOG" ;;
	esac
	unload
	load "1 persistent"
	expect_cold "$fs" "cache device size or layout changed"
	clean_checkpoint

	# A volatile table in between.
	load ""
	unload
	load "1 persistent"
	expect_cold "$fs" "last used by a volatile table"
	clean_checkpoint

	# The origin mounted directly in between.
	mount -t "$fs" /dev/ram0 /mnt || die "direct mount"
	umount /mnt
	load "1 persistent"
	expect_cold "$fs" "origin fingerprint changed"
	unload

	# verify: a checkpoint without checksums is not enough; one with them
	# brings them back, and they check what the SSD returns: slabs
	# overwritten while no table was loaded are caught, the reader gets
	# the origin's bytes.
	load "2 persistent verify"
	expect_cold "$fs" "checkpoint has no checksums, which verify needs"
	clean_checkpoint
	load "2 persistent verify"
	expect_restored
	assert_eq "$(sc_status_field sc ssd_errors)" 0 "verify after a restore"
	unload
	raw_sync
	dd if=/dev/zero of=/dev/mapper/ssd bs=65536 seek=1 count=$((TOTAL / 16)) \
		conv=fsync 2>/dev/null || die "zero the data slabs"
	raw_sync
	load "2 persistent verify"
	assert_eq "$(sc_status_field sc restored)" $PAGES "restored over zeros"
	check_data "$fs"
	[ "$(sc_status_field sc ssd_errors)" -gt 0 ] ||
		soft_fail "$fs: zeroed slabs passed verify"
	echo "zeroed slabs: ssd_errors=$(sc_status_field sc ssd_errors) mode=$(sc_status_field sc mode)"
	unload
}

# hdr_field OFFSET BYTES: a number of the header on the SSD, as written.
hdr_field() {
	raw_sync
	od -An -tu"$2" -j "$1" -N "$2" /dev/ram1 | tr -d ' '
}

# swap_table DEV TABLE: DEV's table replaced, live.
swap_table() {
	if ! dmsetup suspend "$1" || ! dmsetup load "$1" --table "$2" ||
		! dmsetup resume "$1"; then
		die "cannot swap $1's table"
	fi
}

SSD_LINEAR="0 $SSD_SZ linear /dev/ram1 0"
# The header's slab refuses writes (its reads pass); the rest is as it was.
SSD_HDR_EIO="0 128 flakey /dev/ram1 0 0 1 1 error_writes
128 $((SSD_SZ - 128)) linear /dev/ram1 128"
TABLE="0 $ORIGIN_SZ swapcache /dev/ram0 /dev/mapper/ssd 1 persistent"

# inactive_load: load $TABLE as sc's inactive table; $LOADLOG its lines.
inactive_load() {
	local mark
	mark=$(log_mark)
	dmsetup load sc --table "$TABLE" || die "cannot load sc"
	LOADLOG=$(log_since "$mark" | grep 'device-mapper: swapcache: [0-9]*:[0-9]*: ' || true)
	echo "inactive load: ${LOADLOG:-(no log line)}"
}

# 1. The clean header's write fails at postsuspend: the next resume must
# write the header open again (a failed write may have landed).
failed_clean_write() {
	local gen mark log

	load "1 persistent"
	warm_file
	gen=$(hdr_field 24 8)
	assert_eq "$(hdr_field 12 4)" 1 "header open while live"
	swap_table ssd "$SSD_HDR_EIO"
	mark=$(log_mark)
	dmsetup suspend sc || die "suspend sc"
	log=$(log_since "$mark")
	case $log in
	*"checkpoint failed (header write error)"*) ;;
	*) soft_fail "no failed header write at suspend: $log" ;;
	esac
	swap_table ssd "$SSD_LINEAR"
	dmsetup resume sc || die "resume sc"
	if [ "$(hdr_field 12 4)" != 1 ] || [ "$(hdr_field 24 8)" != $((gen + 1)) ]; then
		soft_fail "after a failed clean write, resume left the header: state $(hdr_field 12 4) generation $(hdr_field 24 8), was $gen"
	fi
	unload
}

# 2. A table loaded while another is live read the header open; the live
# one's suspend writes it clean; the new one's resume cannot reopen it: it
# must not go live over a clean header, and the next load starts cold.
stale_clean() {
	local fs=$1

	load "1 persistent"
	warm_file
	inactive_load
	dmsetup suspend sc || die "suspend sc"
	assert_eq "$(hdr_field 12 4)" 2 "header clean after the suspend"
	swap_table ssd "$SSD_HDR_EIO"
	if dmsetup resume sc; then
		soft_fail "resumed though the clean header could not be reopened"
	fi
	swap_table ssd "$SSD_LINEAR"
	dmsetup resume sc || die "resume sc, the header writable again"
	[ "$(hdr_field 12 4)" = 1 ] ||
		soft_fail "live with the header $(hdr_field 12 4), not open"
	unload
	load "1 persistent"
	expect_cold "$fs" "not shut down cleanly"
	unload
}

# 3. The checkpoint's crc is checked before any item is entered: an item
# the checks would refuse is reported as the mismatch it is.
crc_first() {
	local fs=$1

	load "1 persistent"
	clean_checkpoint
	flip_byte /dev/mapper/ssd $((CKPT_BYTE + 12))	# an item's zero field
	load "1 persistent"
	expect_cold "$fs" "checkpoint checksum mismatch"
	unload
}

# 4. The origin's flush fails at the checkpoint: no clean header.  On a
# loop device, which has a write cache (a ram disk has none, and the block
# layer completes a flush to it without asking).
origin_flush() {
	local mark log table

	table="0 131072 swapcache /dev/mapper/org /dev/mapper/ssd 1 persistent"
	truncate -s 64M /tmp/org.img
	losetup /dev/loop1 /tmp/org.img || die "losetup loop1"
	dmsetup create org --table "0 131072 linear /dev/loop1 0" || die "org"
	dmsetup create sc --table "$table" || die "sc on org"
	dmsetup message sc 0 warm 0 16384 || die "warm org"
	assert_eq "$(sc_status_field sc cache_pages)" "$PAGES/$TOTAL" \
		"warmed from org"
	swap_table org "0 131072 flakey /dev/loop1 0 0 1 1 error_writes"
	unload
	case $UNLOADLOG in
	*"checkpoint failed (origin flush failed)"*) ;;
	*) soft_fail "origin flush error: $UNLOADLOG" ;;
	esac
	swap_table org "0 131072 linear /dev/loop1 0"
	mark=$(log_mark)
	dmsetup create sc --table "$table" || die "sc on org"
	log=$(log_since "$mark")
	[ "$(sc_status_field sc restored)" = 0 ] ||
		soft_fail "restored after the origin's flush failed"
	case $log in
	*"starting cold: not shut down cleanly"*) ;;
	*) soft_fail "after the origin's flush failed: $log" ;;
	esac
	unload
	dmsetup remove org || die "remove org"
	losetup -d /dev/loop1
	rm -f /tmp/org.img
}

# 5. An invalidate sent to the suspended live table after its checkpoint,
# with a new table loaded: the new one must not serve the old map.  The
# new table restores at its resume, not at its load, so it finds the
# header the invalidate reopened.
invalidate_after_restore() {
	local fs=$1 mark log

	load "1 persistent"
	warm_file
	dmsetup suspend sc || die "suspend sc"
	inactive_load
	case $LOADLOG in
	*"restored"* | *"starting cold"*)
		soft_fail "the inactive table read the checkpoint at its load: $LOADLOG" ;;
	esac
	dmsetup message sc 0 invalidate || die "invalidate while suspended"
	mark=$(log_mark)
	dmsetup resume sc || die "resume sc"
	log=$(log_since "$mark")
	[ "$(sc_status_field sc cache_pages)" = "0/$TOTAL" ] ||
		soft_fail "invalidated while suspended, yet resumed with cache_pages $(sc_status_field sc cache_pages)"
	case $log in
	*"starting cold: not shut down cleanly"*) ;;
	*) soft_fail "no cold start after the invalidate: $log" ;;
	esac
	check_data "$fs"
	unload
}

# 9. A reload of the live table (dmsetup reload, then resume, as LVM
# does) keeps the cache: the old table's suspend writes the checkpoint,
# the new table's resume restores it, and the first read of the file's
# blocks is served from the SSD.
reload_live() {
	local fs=$1 mark

	load "1 persistent"
	warm_file
	inactive_load
	mark=$(log_mark)
	dmsetup resume sc || die "resume sc after the reload"
	LOADLOG=$(log_since "$mark" | grep 'device-mapper: swapcache: [0-9]*:[0-9]*: ' || true)
	echo "resume after reload: $LOADLOG"
	case $LOADLOG in
	*"checkpoint of $PAGES pages"*) ;;
	*) soft_fail "no checkpoint at the reload's suspend: $LOADLOG" ;;
	esac
	if [ "$(sc_status_field sc restored)" = $PAGES ]; then
		expect_restored
	else
		soft_fail "reload of the live table: restored $(sc_status_field sc restored), not $PAGES"
	fi
	check_data "$fs"
	unload
}

# 6. A header flag this version does not know, under a valid crc: the
# header is not trusted.
unknown_flag() {
	local fs=$1 flags

	load "1 persistent"
	clean_checkpoint
	raw_sync
	flags=$(od -An -tu4 -j 16 -N 4 /dev/ram1 | tr -d ' ')
	put_le32 /dev/ram1 16 $((flags | 4))
	raw_sync
	put_le32 /dev/ram1 20 "$(sc_crc32c /dev/ram1 $((0xffffffff)) 0 512 20 24)"
	raw_sync
	load "1 persistent"
	expect_cold "$fs" "header flags unknown"
	unload
}

# 7. An invalidate that cannot reopen the clean header (its slab refuses
# writes) must fail: the checkpoint it leaves may still be trusted.
invalidate_unwritable() {
	load "1 persistent"
	warm_file
	dmsetup suspend sc || die "suspend sc"
	assert_eq "$(hdr_field 12 4)" 2 "header clean after the suspend"
	swap_table ssd "$SSD_HDR_EIO"
	if dmsetup message sc 0 invalidate; then
		soft_fail "invalidate succeeded, yet could not reopen the clean header"
	fi
	swap_table ssd "$SSD_LINEAR"
	dmsetup resume sc || die "resume sc, the header writable again"
	[ "$(hdr_field 12 4)" = 1 ] ||
		soft_fail "live with the header $(hdr_field 12 4), not open"
	unload
}

# 8. A volatile table whose resume was refused over a clean header: an
# invalidate sent to it must reopen the header.
invalidate_volatile() {
	load "1 persistent"
	warm_file
	dmsetup load sc --table "0 $ORIGIN_SZ swapcache /dev/ram0 /dev/mapper/ssd" ||
		die "cannot load a volatile sc"
	dmsetup suspend sc || die "suspend sc"
	assert_eq "$(hdr_field 12 4)" 2 "header clean after the suspend"
	swap_table ssd "$SSD_HDR_EIO"
	if dmsetup resume sc; then
		soft_fail "volatile table resumed over a clean header it could not reopen"
	fi
	swap_table ssd "$SSD_LINEAR"
	dmsetup message sc 0 invalidate || soft_fail "invalidate, the header writable"
	[ "$(hdr_field 12 4)" = 1 ] ||
		soft_fail "invalidate left the header $(hdr_field 12 4), not open"
	dmsetup resume sc || die "resume sc, the header writable again"
	unload
}

# 10. A reload to another kind of table (linear over the origin, as the
# guide suggests to do without the SSD), writes through it to the file's
# blocks, then a reload back to a persistent swapcache table: the
# checkpoint the swapcache table's suspend wrote no longer describes the
# origin and must not be restored.  The writes are raw (no mount), so the
# superblock, and with it the fingerprint, is unchanged, as under a
# filesystem that stays mounted across the reloads.
reload_via_linear() {
	local mark want got skip off len
	load "1 persistent"
	warm_file
	while read -r _ off len; do
		dd if=/dev/mapper/sc bs=4096 skip=$((off / 4096)) \
			count=$((len / 4096)) iflag=direct 2>/dev/null
	done </tmp/extents >/tmp/ext.orig || die "save the file's blocks"
	dmsetup load sc --table "0 $ORIGIN_SZ linear /dev/ram0 0" ||
		die "cannot load linear over sc"
	mark=$(log_mark)
	dmsetup resume sc || die "resume the linear table"
	case $(log_since "$mark") in
	*"replaced by another kind of table: header reopened"*) ;;
	*) soft_fail "the replaced table did not reopen its clean header" ;;
	esac
	head -c $((PAGES * 4096)) /dev/urandom >/tmp/ext.new
	skip=0
	while read -r _ off len; do
		dd if=/tmp/ext.new of=/dev/mapper/sc bs=4096 skip=$skip \
			seek=$((off / 4096)) count=$((len / 4096)) \
			conv=notrunc,fsync 2>/dev/null || die "write through linear"
		skip=$((skip + len / 4096))
	done </tmp/extents
	blockdev --flushbufs /dev/mapper/sc
	want=$(sc_md5 /tmp/ext.new)
	mark=$(log_mark)
	dmsetup load sc --table "$TABLE" || die "cannot load sc back"
	dmsetup resume sc || die "resume sc after linear"
	LOADLOG=$(log_since "$mark" | grep 'device-mapper: swapcache: [0-9]*:[0-9]*: ' || true)
	echo "back from linear: $LOADLOG"
	[ "$(sc_status_field sc restored)" = 0 ] ||
		soft_fail "back from linear: restored $(sc_status_field sc restored) stale pages"
	got=$(while read -r _ off len; do
		dd if=/dev/mapper/sc bs=4096 skip=$((off / 4096)) \
			count=$((len / 4096)) iflag=direct 2>/dev/null
	done </tmp/extents | md5sum | cut -d' ' -f1)
	[ "$got" = "$want" ] ||
		soft_fail "back from linear: the file's blocks read back stale"
	# The file as it was, for whatever comes next.
	skip=0
	while read -r _ off len; do
		dd if=/tmp/ext.orig of=/dev/mapper/sc bs=4096 skip=$skip \
			seek=$((off / 4096)) count=$((len / 4096)) \
			conv=notrunc,fsync 2>/dev/null || die "write the file back"
		skip=$((skip + len / 4096))
	done </tmp/extents
	blockdev --flushbufs /dev/mapper/sc
	rm -f /tmp/ext.orig /tmp/ext.new
	check_data "$1"
	unload
}

# What suspends, reloads and failed writes must not make true; once, on
# the last filesystem's file, each case from no table to no table.
run_reload() {
	echo "--- reload cases, $1"
	failed_clean_write
	stale_clean "$1"
	crc_first "$1"
	origin_flush
	invalidate_after_restore "$1"
	unknown_flag "$1"
	invalidate_unwritable
	invalidate_volatile
	reload_live "$1"
	reload_via_linear "$1"
}

run_fs ext4
run_fs xfs
run_reload xfs
losetup -d /dev/loop0
rm -f /tmp/other.img
[ $bad -eq 0 ] || die "$bad cases failed"
