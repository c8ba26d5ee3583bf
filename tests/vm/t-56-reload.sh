#!/bin/sh
# Lifecycle with the thread at work: while swapcached writes an opted-in
# file's pages to the SSD and a reader re-reads the file, the device is
# suspended and resumed, and its table reloaded (a new target over the same
# SSD), again and again. The file must read back the same every time, the
# new table must start empty (the SSD is volatile) and, until it is
# resumed, must not write: the old table still serves reads from that SSD.
# shellcheck source=lib.sh
. /tests/lib.sh
# shellcheck source=sc.sh
. /tests/sc.sh

ROUNDS=${SC_RELOAD_ROUNDS:-8}

load_swapcache
sc_ramdisks 256
sc_create sc /dev/ram0 /dev/ram1
mkfs.ext4 -q -F -b 4096 /dev/mapper/sc || die "mkfs.ext4"
mkdir -p /mnt
mount -t ext4 /dev/mapper/sc /mnt || die "mount"
mkdir /mnt/hot
setfattr -n user.swapcache -v 1 /mnt/hot || die "setfattr"
dd if=/dev/urandom of=/mnt/hot/f bs=1M count=24 2>/dev/null
sync
sum=$(md5sum </mnt/hot/f)
echo 0 >$P/hysteresis
echo 1 >$P/read_enable
echo 1 >$P/data_enable

# The reader: drop the file's pages and read it again, checking its sum.
(
	while [ ! -e /tmp/stop ]; do
		echo 1 >/proc/sys/vm/drop_caches
		[ "$(md5sum </mnt/hot/f)" = "$sum" ] || { echo bad >/tmp/bad; exit 1; }
	done
) &
reader=$!

# inactive_empty WHEN: the loaded, not yet resumed table of sc has nothing
# cached and has written nothing (the status line of a table comes from that
# table's own target).
inactive_empty() {
	local st
	st=$(dmsetup status --inactive sc) || die "no inactive table: $1"
	echo "$st" | grep -q " swapcache " || die "inactive status, $1: $st"
	case " $st " in
	*" cache_pages=0/"*" written=0 "*) ;;
	*) die "the loaded table is not empty or wrote, round $1: $st" ;;
	esac
}

table=$(dmsetup table sc)
live=0
i=0
while [ $i -lt "$ROUNDS" ]; do
	sleep 1
	dmsetup suspend sc || die "suspend $i"
	dmsetup resume sc || die "resume $i"
	sleep 1
	dmsetup reload sc --table "$table" || die "reload $i"
	# Loaded, not resumed: for this second the old table still serves
	# reads from the SSD, and the new one must not write to it.
	inactive_empty "$i, as loaded"
	# Empty beside a live table that has cached: not empty by accident.
	[ "$(sc_status_field sc written)" -eq 0 ] || live=$((live + 1))
	sleep 1
	inactive_empty "$i, a second later"
	dmsetup resume sc || die "resume after reload $i"
	i=$((i + 1))
done
touch /tmp/stop
[ $live -gt 0 ] ||
	die "the live table had written nothing at every reload: nothing to compare"
wait $reader || die "the reader saw wrong data"
[ ! -e /tmp/bad ] || die "the reader saw wrong data"
h=$(sc_status_field sc read_hits)
echo "after $ROUNDS rounds: $(dmsetup status sc)"
# The last table has been live for a second or more of reads and writes;
# one more pass must be served from its SSD with the same bytes.
echo 3 >/proc/sys/vm/drop_caches
sleep 2
echo 3 >/proc/sys/vm/drop_caches
[ "$(md5sum </mnt/hot/f)" = "$sum" ] || die "file differs at the end"
[ "$(sc_status_field sc read_hits)" -gt "$h" ] || die "no SSD hits after the reloads"
umount /mnt
dmsetup remove sc
