#!/bin/sh
# A metadata read whose memory does not start on a page boundary.  Only the
# disk range of a read is checked for whole 4 KiB blocks; the copy at
# completion used to walk the bio's segments at the running byte offset
# into 4 KiB staging pages, so after a first segment at page offset 512
# every 4096-byte segment was written across the end of a staging page
# (into whatever memory follows it, from interrupt context), and the next
# staging page kept stale bytes, which the thread then wrote to the SSD as
# the block's data.
#
# XFS log recovery issues such REQ_META reads only when a log record wraps
# around the end of the log (40 shutdown-and-recover rounds on a 5 MB log,
# instrumented, showed none).  This test used another read the target then
# staged: an O_DIRECT read of the mapped device into a shared mapping of
# that same device, 512 bytes into a page (fio iomem=mmapshared), whose
# pages are in the device's own page cache.  Such a read is no longer
# staged (t-47: its memory is not the read's alone, and may change before
# the completion copies it), so the misaligned copy has no vehicle here
# any more; what is left checks that these reads, each 8 KiB over two
# blocks from three segments (3584 bytes, 4096 bytes, 512 bytes), are
# passed over whole, and that the region reads back intact.
#
# The region is written first with fio's crc32c verify headers (random
# data, each 4 KiB block carrying its offset and checksum), read by the
# misaligned reads with meta_enable=1, then read back with read_enable=1:
# no read may hit the SSD, and every block must verify.
# shellcheck source=lib.sh
. /tests/lib.sh
# shellcheck source=sc.sh
. /tests/sc.sh

OFF=1M
SIZE=256k	# 64 blocks: the staging pool holds 256

load_swapcache
sc_ramdisks 64
sc_create sc /dev/ram0 /dev/ram1
sc_crc /dev/mapper/sc $OFF $SIZE --do_verify=0 ||
	die "cannot write the region"

echo 1 >$P/meta_enable
fio --name=misaligned --filename=/dev/mapper/sc --rw=read --bs=8k \
	--offset=$OFF --size=$SIZE --direct=1 \
	--iomem=mmapshared:/dev/mapper/sc --iomem_align=512 \
	--output-format=terse >/dev/null || die "misaligned reads"
sc_settle sc
echo "written to the SSD: $(sc_status_field sc written) pages"

echo 0 >$P/meta_enable
echo 1 >$P/read_enable
h=$(sc_status_field sc read_hits)
sc_crc /dev/mapper/sc $OFF $SIZE --verify_only ||
	die "the region does not verify"
hits=$(($(sc_status_field sc read_hits) - h))
echo "the region read back: $hits hits"
assert_eq "$hits" 0 \
	"region blocks served from the SSD after shared-mapping reads"
dmsetup remove sc
