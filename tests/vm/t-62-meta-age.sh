#!/bin/sh
# A staged metadata block is entered only while its T0 is young enough to
# trust.  A guard's
# started count is 32 bits, so a block that waits in the staging pool long
# enough could see its guard wrap back to the recorded value and hide the
# writes that went by; the thread now drops blocks staged more than
# SC_META_MAX_AGE (5 s) ago.  2^32 writes cannot be made here, so this
# checks the age limit itself.
#
# The budget is held at zero (maxburst=0, below accrate) so the thread
# writes nothing while metadata is staged: buffered reads of the mapped
# device (its own page cache, 64 KiB readahead) stage region A.  After 8 s
# region B is staged, and the budget is given back.  The thread must enter
# B (the staging path works) and nothing of A: O_DIRECT reads of A with
# read_enable=1 get no hits, reads of B do.
# shellcheck source=lib.sh
. /tests/lib.sh
# shellcheck source=sc.sh
. /tests/sc.sh

A=2048		# region A: 4 KiB blocks 2048..2111 (8 MiB)
B=4096		# region B: blocks 4096..4159 (16 MiB)
N=64

# stage BLOCK: buffered reads of N blocks from BLOCK, from cold caches.
stage() {
	echo 3 >/proc/sys/vm/drop_caches
	dd if=/dev/mapper/sc of=/dev/null bs=4k skip="$1" count=$N 2>/dev/null ||
		die "cannot read block $1"
}

# hits BLOCK: read_hits gained by O_DIRECT reads of N blocks from BLOCK.
hits() {
	_h=$(sc_status_field sc read_hits)
	sc_read /dev/mapper/sc $(($1 * 4096)) $((N * 4096))
	echo $(($(sc_status_field sc read_hits) - _h))
}

load_swapcache
sc_ramdisks 64
sc_create sc /dev/ram0 /dev/ram1
echo 64 >"/sys/block/$(sc_dm_name sc)/queue/read_ahead_kb"
echo 1000000 >$P/accrate
echo 0 >$P/maxburst
echo 0 >$P/curburst
echo 1 >$P/meta_enable

stage $A
sleep 8
stage $B
assert_eq "$(sc_status_field sc written)" 0 "written while the budget is held"
echo 2000000000 >$P/maxburst
echo 4000000000 >$P/curburst
sc_wait_written sc 1 30
sleep 2
echo 0 >$P/meta_enable
echo 1 >$P/read_enable
echo "written: $(sc_status_field sc written)"
ha=$(hits $A)
hb=$(hits $B)
echo "region A (staged 8 s before): $ha hits; region B: $hb hits"
assert_eq "$ha" 0 "hits on blocks staged longer than the age limit ago"
[ "$hb" -gt 0 ] || die "region B was not cached: the test proves nothing"
dmsetup remove sc
