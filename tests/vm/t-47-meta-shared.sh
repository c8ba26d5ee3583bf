#!/bin/sh
# A read into memory that someone else may write before the read completes
# is not staged as metadata.  Two readers share one buffer: each does
# O_DIRECT reads of its own half of a region into a shared mapping of the
# mapped device itself (fio iomem=mmapshared, as in t-61), so that its
# bio's page is in the device's own page cache, at the same place for
# both.  A read's data can then be overwritten by the other reader's read
# between the disk filling the page and the completion that copies it to
# the staging pool; a staged copy so mixed is another block's bytes, and
# once the thread writes it to the SSD every later read of its block gets
# them.  Nothing but the user's own buffer may hold such bytes.
#
# The region carries fio's crc32c verify headers (each 4 KiB block its
# offset and checksum); after the shared reads, with meta_enable=1 while
# they run, it is read back with read_enable=1 into private buffers: every
# block must verify, the cached ones included.
# shellcheck source=lib.sh
. /tests/lib.sh
# shellcheck source=sc.sh
. /tests/sc.sh

M=1048576
OFF=$M
SIZE=$M			# 256 blocks, as many as the staging pool holds
LOOPS=${SC_SHARED_LOOPS:-8}

load_swapcache
sc_ramdisks 64
# The origin: a memory-backed null_blk disk that moves a read's data when
# the read is issued and completes it 200 us later (a timer), as a disk
# with DMA and interrupts would, where brd completes as it copies.
modprobe null_blk nr_devices=0 || die "null_blk"
mount -t configfs none /sys/kernel/config 2>/dev/null || true
NB=/sys/kernel/config/nullb/origin
mkdir $NB || die "no null_blk configfs"
{ echo 64 >$NB/size && echo 1 >$NB/memory_backed &&
	echo 2 >$NB/irqmode && echo 200000 >$NB/completion_nsec &&
	echo 1 >$NB/power; } || die "null_blk origin"
# Named after its configfs directory (6.12) or its index (6.1), and its
# node made by devtmpfs shortly after power-on.
origin=
tries=50
while [ -z "$origin" ] && [ $tries -gt 0 ]; do
	for d in /dev/origin "/dev/nullb$(cat $NB/index)"; do
		[ -b "$d" ] && origin=$d
	done
	tries=$((tries - 1))
	[ -n "$origin" ] || sleep 0.1
done
[ -n "$origin" ] || die "no node for the null_blk origin"
sc_create sc "$origin" /dev/ram1
sc_crc /dev/mapper/sc $OFF $SIZE --do_verify=0 ||
	die "cannot write the region"

echo 1 >$P/meta_enable
fio --name=shared --filename=/dev/mapper/sc --rw=read --bs=4k \
	--offset=$OFF --size=$((SIZE / 2)) --numjobs=2 \
	--offset_increment=$((SIZE / 2)) --loops="$LOOPS" --direct=1 \
	--iomem=mmapshared:/dev/mapper/sc --output-format=terse \
	>/dev/null || die "shared reads"
sc_settle sc
echo 0 >$P/meta_enable
written=$(sc_status_field sc written)
echo "written to the SSD: $written pages"

# The origin itself still holds the region as written: what the target
# returns below is its own doing.
sc_crc "$origin" $OFF $SIZE --verify_only ||
	die "the origin's region does not verify"

echo 1 >$P/read_enable
h=$(sc_status_field sc read_hits)
sc_crc /dev/mapper/sc $OFF $SIZE --verify_only ||
	die "a block staged from a shared buffer does not verify"
hits=$(($(sc_status_field sc read_hits) - h))
echo "the region read back: $hits hits"
dmsetup remove sc
rmdir $NB
