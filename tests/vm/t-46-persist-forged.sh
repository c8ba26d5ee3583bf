#!/bin/sh
# Checkpoints that pass their checksums but not their checks.  t-45 damages
# a checkpoint and sees its crc refuse it before anything is entered; here
# the script writes items of its own and recomputes both crcs (the
# checkpoint's, seeded with the generation, and the header's), so that the
# restore reads them, enters what comes first, and must then refuse the
# rest and empty the map again (sc_map_reset()): a checkpoint must come
# back whole or not at all.  Four groups of the origin, each with its own
# pattern, are warmed into four slabs and checkpointed by a removal; then
# each case rewrites the items from that checkpoint:
#   - the same items again: restored, every block hit (the forging is
#     right, so a cold start below is the check's, not a bad crc);
#   - a slab named again after another slab's items;
#   - one group's blocks in a second slab too (sc_map_fill_slab() moves
#     them: a restore must not);
#   - a slab past the data slabs, after a valid one;
#   - two entries of one slab that put two pages in one slot;
#   - an unknown item flag;
#   - the last slab's sums announced, and not there (without verify);
#   - with verify, a slab without its sums;
#   - more items than the checkpoint region holds.
# Each must start cold, say why, hold nothing, and read back every group's
# own pattern.
# shellcheck source=lib.sh
. /tests/lib.sh
# shellcheck source=sc.sh
. /tests/sc.sh

load_swapcache
sc_ramdisks 64
echo 1 >$P/read_enable
ORIGIN_SZ=$(blockdev --getsz /dev/ram0)
SSD_SZ=$(blockdev --getsz /dev/ram1)
TOTAL=$(sc_cache_pages "$SSD_SZ")
DATA_SLABS=$((TOTAL / 16))
RAW_SLABS=$((SSD_SZ / 128))
CKPT_SLABS=$(((RAW_SLABS * 20 + 4095) / 4096))
# Where the checkpoint region starts: after the header's slab and the data.
CKPT_BYTE=$(((1 + DATA_SLABS) * 65536))
NGROUPS=4
PAGES=$((NGROUPS * 16))
PATTERNS="0x11 0x22 0x33 0x44"

bad=0
# soft_fail MSG: count a failed case and go on with the next.
soft_fail() {
	echo "FAIL: $*" >&2
	bad=$((bad + 1))
}

# raw_sync: what the module wrote to ram1, visible to od and dd, and what
# dd wrote, visible to the module.
raw_sync() {
	sync
	blockdev --flushbufs /dev/ram1
	echo 3 >/proc/sys/vm/drop_caches
}

# put_le OFFSET VALUE BYTES: VALUE into ram1 at OFFSET, little-endian.
put_le() {
	local i=0 out=""
	while [ $i -lt "$3" ]; do
		out="$out\\$(printf %03o $((($2 >> (8 * i)) & 255)))"
		i=$((i + 1))
	done
	# shellcheck disable=SC2059 # octal escapes, built on purpose
	printf "$out" | dd of=/dev/ram1 bs=1 seek="$1" count="$3" conv=notrunc \
		2>/dev/null || die "cannot write ram1 at $1"
}

# get_le OFFSET BYTES: a little-endian number of ram1.
get_le() {
	od -An -tu"$2" -j "$1" -N "$2" /dev/ram1 | tr -d ' '
}

# put_item INDEX GROUP SLAB VALID SHIFT FLAGS: one checkpoint item.
put_item() {
	local at=$((CKPT_BYTE + $1 * 16))
	put_le $at $((($2 << 28) | $3)) 8
	put_le $((at + 8)) "$4" 2
	put_le $((at + 10)) "$5" 1
	put_le $((at + 11)) "$6" 1
	put_le $((at + 12)) 0 4
}

# seal ITEMS: the header names ITEMS items, and both crcs are recomputed
# over what is on ram1; the items' only when they fit in the region (the
# restore refuses a longer checkpoint before it reads a single item).
seal() {
	local crc
	raw_sync
	put_le 80 "$1" 8
	raw_sync
	if [ "$1" -le $((CKPT_SLABS * 4096)) ]; then
		crc=$(sc_crc32c /dev/ram1 $((0xffffffff)) 24 8)
		crc=$(sc_crc32c /dev/ram1 "$crc" $CKPT_BYTE $(($1 * 16)))
		put_le 88 "$crc" 4
		raw_sync
	fi
	put_le 20 "$(sc_crc32c /dev/ram1 $((0xffffffff)) 0 512 20 24)" 4
	raw_sync
}

# load OPTS: create sc; $LOADLOG gets its log lines.
load() {
	local mark
	mark=$(log_mark)
	dmsetup create sc --table \
		"0 $ORIGIN_SZ swapcache /dev/ram0 /dev/ram1 $1" ||
		die "cannot create sc with '$1'"
	dmsetup mknodes sc
	LOADLOG=$(log_since "$mark" | grep 'device-mapper: swapcache: [0-9]*:[0-9]*: ' || true)
	echo "load '$1': ${LOADLOG:-(no log line)}"
}

# checkpoint OPTS: load, warm the groups, remove: a clean checkpoint of
# one item per group (with verify, each followed by its slab's 4 items of
# sums), whose groups and slabs go to G0.. and S0.. (by group).
checkpoint() {
	local i key g s step=1 mark log
	load "$1"
	dmsetup message sc 0 invalidate || die "invalidate"
	dmsetup message sc 0 warm 0 $((PAGES * 8)) || die "warm"
	assert_eq "$(sc_status_field sc cache_pages)" "$PAGES/$TOTAL" "warmed"
	mark=$(log_mark)
	dmsetup remove sc || die "remove sc"
	log=$(log_since "$mark")
	case $log in
	*"checkpoint of $PAGES pages, $((NGROUPS * ${2:-1})) items"*) ;;
	*) die "no checkpoint of $NGROUPS groups: $log" ;;
	esac
	[ "${2:-1}" = 1 ] || step=$2
	raw_sync
	i=0
	while [ $i -lt $NGROUPS ]; do
		key=$(get_le $((CKPT_BYTE + i * step * 16)) 8)
		g=$((key >> 28))
		s=$((key & ((1 << 28) - 1)))
		[ $g -lt $NGROUPS ] || die "item $i: group $g"
		eval "G$g=$g S$g=$s"
		i=$((i + 1))
	done
}

# check_data: every group reads back its own pattern through sc.
check_data() {
	local g=0 p
	for p in $PATTERNS; do
		sc_holds /dev/mapper/sc $((g * 65536)) 64k "$p" ||
			soft_fail "group $g does not read $p: $LOADLOG"
		g=$((g + 1))
	done
}

# expect_cold REASON: started cold for REASON, nothing cached, data right.
expect_cold() {
	case $LOADLOG in
	*"starting cold: $1"*) echo "cold as expected: $1" ;;
	*) soft_fail "expected 'starting cold: $1', got: $LOADLOG" ;;
	esac
	[ "$(sc_status_field sc restored)" = 0 ] ||
		soft_fail "$1: restored $(sc_status_field sc restored)"
	[ "$(sc_status_field sc cache_pages)" = "0/$TOTAL" ] ||
		soft_fail "$1: cache_pages $(sc_status_field sc cache_pages) after a cold start"
	check_data
	dmsetup remove sc || die "remove sc"
}

g=0
for p in $PATTERNS; do
	sc_fill /dev/ram0 $((g * 65536)) 64k "$p"
	g=$((g + 1))
done

# The same items, sealed again: the forging is right.
checkpoint "1 persistent"
seal $NGROUPS
load "1 persistent"
case $LOADLOG in
*"restored $PAGES pages"*) ;;
*) die "the unchanged items, sealed again, were not restored: $LOADLOG" ;;
esac
h=$(sc_status_field sc read_hits)
check_data
assert_eq "$(($(sc_status_field sc read_hits) - h))" $PAGES "hits after the restore"
dmsetup remove sc || die "remove sc"

# A slab named again after another's: slab S0 holds groups 0 and 2.
checkpoint "1 persistent"
put_item 0 "$G0" "$S0" $((0xffff)) 15 0
put_item 1 "$G1" "$S1" $((0xffff)) 15 0
put_item 2 "$G2" "$S0" $((0xffff)) 15 0
seal 3
load "1 persistent"
expect_cold "checkpoint is corrupt (a slab twice, or a block in two slabs)"

# Group 0 in slab S0, and again in slab S2 (whose data is group 2's).
checkpoint "1 persistent"
put_item 0 "$G0" "$S0" $((0xffff)) 15 0
put_item 1 "$G1" "$S1" $((0xffff)) 15 0
put_item 2 "$G0" "$S2" $((0xffff)) 15 0
seal 3
load "1 persistent"
expect_cold "checkpoint is corrupt (a slab twice, or a block in two slabs)"

# A slab past the data slabs, after two valid ones.
checkpoint "1 persistent"
put_item 0 "$G0" "$S0" $((0xffff)) 15 0
put_item 1 "$G1" "$S1" $((0xffff)) 15 0
put_item 2 "$G2" $DATA_SLABS $((0xffff)) 15 0
seal 3
load "1 persistent"
expect_cold "checkpoint is corrupt (a slab out of range)"

# Two entries of slab S1: group 1's pages in slots 0-15, then group 2's
# page 0 in slot 0 again.
checkpoint "1 persistent"
put_item 0 "$G0" "$S0" $((0xffff)) 15 0
put_item 1 "$G1" "$S1" $((0xffff)) 15 0
put_item 2 "$G2" "$S1" 1 15 0
seal 3
load "1 persistent"
expect_cold "checkpoint is corrupt (an entry the map cannot hold)"

# An item flag this version does not know, on the last item.
checkpoint "1 persistent"
put_item 0 "$G0" "$S0" $((0xffff)) 15 0
put_item 1 "$G1" "$S1" $((0xffff)) 15 2
seal 2
load "1 persistent"
expect_cold "checkpoint is corrupt (an unknown item)"

# The last slab's sums announced, two of their four items there.
checkpoint "1 persistent"
put_item 0 "$G0" "$S0" $((0xffff)) 15 0
put_item 1 "$G1" "$S1" $((0xffff)) 15 1
put_item 2 0 0 0 0 0
put_item 3 0 0 0 0 0
seal 4
load "1 persistent"
expect_cold "checkpoint is corrupt (a slab's sums are cut short)"

# With verify: the first slab's entry and sums as written, then another
# slab's entry without its sums.
checkpoint "2 persistent verify" 5
raw_sync
g=$((($(get_le $CKPT_BYTE 8) >> 28 ) + 1))
g=$((g % NGROUPS))
eval "put_item 5 \$G$g \$S$g $((0xffff)) 15 0"
seal 6
load "2 persistent verify"
expect_cold "checkpoint has no checksums for a slab"

# More items than the region holds.
checkpoint "1 persistent"
seal $((CKPT_SLABS * 4096 + 1))
load "1 persistent"
expect_cold "checkpoint is longer than its region"

[ $bad -eq 0 ] || die "$bad case(s) failed"
echo "every forged checkpoint started cold, empty, with the origin's data"
