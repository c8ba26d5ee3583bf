#!/bin/sh
# Metadata caching: on ext4 and on XFS, the metadata a tree walk reads
# (REQ_META reads: inode tables or clusters, directory blocks, bitmaps) is
# staged as it is read and written to the SSD by the thread when
# meta_enable=1, and a later walk is partly served from the SSD, with the
# same result; with meta_enable=0 the same walk caches nothing.
#
# The tree is 100 directories of 30 small files each (3000 files, each
# holding its own name). Every walk starts from cold caches (sync, then
# drop_caches) and runs `find -type f` and `ls -lR`: the count must be
# 3000 and the ls output the same every time (its md5), and the files'
# contents the same as written.
# - meta_enable=0, data_enable=1 (the thread ticks, but nothing is opted
#   in, so it has nothing to write): written and write_count stay 0.
# - meta_enable=1, data_enable=0: the walk stages its metadata misses, and
#   `written` grows until the thread has drained the staging pool (it then
#   stays put: nothing else is read).
# - Another walk from cold caches makes the same metadata reads, so it
#   reads what was staged from the SSD: read_hits grows by at least half of
#   what was written, and by no more than was written. In practice 80-100%:
#   drop_caches leaves some of ext4's directory blocks in RAM, so a walk
#   does not read them (traced: the blocks a walk staged but the next one
#   did not hit are exactly those it did not read at all); the slack also
#   covers blocks that background writeback (XFS's log pushes) rewrites
#   meanwhile, which drops them from the cache.
#   Not all the walk's metadata is cached: the staging pool (256 blocks)
#   drops what overflows it, and reads smaller than 4 KiB or larger than
#   64 KiB are not staged. ext4 reads its inode tables ahead without
#   REQ_META, into the block device's page cache; the target counts those
#   as metadata too (without that, ext4's walk after staging had ~180
#   misses for ~90 hits; with it, 270-300 hits and 0-16 misses).
# shellcheck source=lib.sh
. /tests/lib.sh
# shellcheck source=sc.sh
. /tests/sc.sh

DIRS=100
FILES=30	# per directory

# make_tree: the tree under /mnt.
make_tree() {
	d=0
	while [ $d -lt $DIRS ]; do
		mkdir /mnt/d$d
		f=0
		while [ $f -lt $FILES ]; do
			echo "d$d/f$f" >/mnt/d$d/f$f
			f=$((f + 1))
		done
		d=$((d + 1))
	done
}

# cold: write back everything, then drop every clean cache.
cold() {
	sync
	echo 3 >/proc/sys/vm/drop_caches
}

# walk WHAT: walk the tree from cold caches, and check what it found.
walk() {
	cold
	assert_eq "$(find /mnt -type f | wc -l)" $((DIRS * FILES)) "files found, $1"
	# shellcheck disable=SC2012 # the listing itself is compared
	assert_eq "$(ls -lR /mnt | md5sum)" "$tree" "ls -lR, $1"
}

# one_fs TYPE MKFS...: the whole check on one filesystem type.
one_fs() {
	fs=$1
	shift
	sc_create sc /dev/ram0 /dev/ram1
	"$@" /dev/mapper/sc >/dev/null || die "mkfs $fs"
	mount -t "$fs" /dev/mapper/sc /mnt || die "mount $fs"
	make_tree
	contents=$(find /mnt -type f | sort | xargs cat | md5sum)
	cold
	# shellcheck disable=SC2012 # the listing itself is compared
	tree=$(ls -lR /mnt | md5sum)
	wc0=$(cat $P/write_count)

	echo 0 >$P/meta_enable
	echo 1 >$P/data_enable
	walk "$fs, meta_enable=0"
	sleep 1
	assert_eq "$(sc_status_field sc written)" 0 "written, $fs, meta_enable=0"
	assert_eq "$(cat $P/write_count)" "$wc0" "write_count, $fs, meta_enable=0"
	echo 0 >$P/data_enable

	echo 1 >$P/meta_enable
	walk "$fs, staging"
	sc_settle sc
	written=$(sc_status_field sc written)
	[ "$written" -gt 0 ] || die "$fs: no metadata written"
	# write_count also counts clusters that raced a write and were
	# dropped (the journal's writes can collide in the guard hash).
	[ "$(($(cat $P/write_count) - wc0))" -ge $((written * 4096)) ] ||
		die "$fs: write_count below written"

	h=$(sc_status_field sc read_hits)
	m=$(sc_status_field sc read_misses)
	walk "$fs, from the SSD"
	hits=$(($(sc_status_field sc read_hits) - h))
	misses=$(($(sc_status_field sc read_misses) - m))
	echo "$fs: $written pages of metadata written; the walk after:" \
		"$hits hits, $misses misses;" \
		"$(sc_status_field sc invalidated) invalidated"
	[ "$hits" -gt 0 ] || die "$fs: no metadata read from the SSD"
	[ $((hits * 2)) -ge "$written" ] ||
		die "$fs: $hits hits, but $written pages cached"
	[ "$hits" -le "$written" ] || die "$fs: $hits hits, only $written cached"
	echo 0 >$P/meta_enable

	assert_eq "$(find /mnt -type f | sort | xargs cat | md5sum)" \
		"$contents" "the files' contents, $fs"
	umount /mnt
	dmsetup remove sc
}

load_swapcache
sc_ramdisks 512	# XFS needs 300 MB
echo 1 >$P/read_enable
one_fs ext4 mkfs.ext4 -q -F -b 4096
one_fs xfs mkfs.xfs -f -q
