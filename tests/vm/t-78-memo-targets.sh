#!/bin/sh
# Each target's group memo is its own (swapcache/memo.h): another target's
# full passes neither age its entries nor resize its table.  A: ext4 on
# swapcache over ram0 and ram1, N opted-in one-page files, all read and
# cached with hysteresis=0 (its memo grows to 16,384 groups).  B: ext4 on
# swapcache over two loop devices, with no opted-in file.  Direct reads
# miss on a file of each that is not opted in: events, so the thread walks
# both every tick, a full pass every 16th.  Kprobes count swapcached's
# memo lookups (sc_memo_find(): one per group a walk looks at) and its
# bmap() calls, all of them A's (B has nothing to take).  A full pass of A
# finds most of its groups in its memo, so bmap() is called for under a
# fifth of the lookups.  With one memo for both targets, B's full passes
# shrank the table to 4,096 groups under A's 10,000, and aged A's entries
# as often, and most of A's lookups ended in bmap().
# shellcheck source=lib.sh
. /tests/lib.sh
# shellcheck source=sc.sh
. /tests/sc.sh
# shellcheck source=trace.sh
. /tests/trace.sh
missers=
cleanup() {
	for p in $missers; do
		kill "$p" 2>/dev/null
	done
	trace_cleanup
}
trap cleanup EXIT

N=10000

# miss_loop FILE: direct reads of FILE until /tmp/stop (in the background).
miss_loop() {
	while [ ! -e /tmp/stop ]; do
		dd if="$1" of=/dev/null bs=4k iflag=direct 2>/dev/null ||
			{ echo "FAIL: direct read of $1" >&2; exit 1; }
	done
}

rm -f /tmp/stop
load_swapcache
sc_ramdisks 256
sc_create sc /dev/ram0 /dev/ram1
sc_fs_setup ext4
mkdir /mnt/hot /mnt/cold || die "mkdir hot, cold"
setfattr -n user.swapcache -v 1 /mnt/hot || die "setfattr hot"
i=0
while [ $i -lt $N ]; do
	echo "small $i" >/mnt/hot/s$i || die "write s$i"
	i=$((i + 1))
done
dd if=/dev/urandom of=/mnt/cold/f bs=1M count=8 2>/dev/null || die "write cold"

modprobe loop || die "loop"
truncate -s 64M /tmp/borigin.img /tmp/bssd.img || die "truncate"
{ losetup /dev/loop0 /tmp/borigin.img && losetup /dev/loop1 /tmp/bssd.img; } ||
	die "losetup"
sc_create scb /dev/loop0 /dev/loop1
mkfs.ext4 -q -F -b 4096 -E lazy_itable_init=0,lazy_journal_init=0 \
	/dev/mapper/scb || die "mkfs.ext4 scb"
mkdir -p /mnt2
mount -t ext4 -o no_prefetch_block_bitmaps /dev/mapper/scb /mnt2 ||
	die "mount scb"
dd if=/dev/urandom of=/mnt2/f bs=1M count=8 2>/dev/null || die "write B's file"

sc_drop_caches
sleep 1.5	# the memo takes files last changed before the current second
cat /mnt/hot/* >/dev/null || die "read hot"

trace_setup
probe_add bmap p bmap '' 'comm == "swapcached"'
probe_add memo p swapcache:sc_memo_find '' 'comm == "swapcached"'
sc_cache_resident $N
assert_eq "$(sc_status_field scb written)" 0 "B's pages written"
sync
sleep 2

# A's full passes, alone: its memo at its size, filled.
miss_loop /mnt/cold/f &
missers=$!
sleep 8

# Both, and B's full passes in between A's.
miss_loop /mnt2/f &
missers="$missers $!"
sleep 1
: >$T/trace
sleep 12
finds=$(probe_events memo) bmaps=$(probe_events bmap)
echo "both missing, 12 s: $finds memo lookups, $bmaps bmap() calls"
[ "$finds" -ge $N ] || die "only $finds lookups: no full pass of A"
[ $((bmaps * 5)) -lt "$finds" ] ||
	die "$bmaps bmap() calls for $finds lookups: A's memo lost its groups"
assert_eq "$(sc_status_field sc written)" $N "A's pages written"
assert_eq "$(sc_status_field scb written)" 0 "B's pages written, misses"

touch /tmp/stop
for p in $missers; do
	wait "$p" || die "a direct read failed"
done
missers=
umount /mnt2 || die "umount B"
dmsetup remove scb || die "remove B"
{ losetup -d /dev/loop0 && losetup -d /dev/loop1; } || die "losetup -d"
umount /mnt || die "umount A"
dmsetup remove sc || die "remove A"
