#!/bin/sh
# Lifecycle with the thread at work: while swapcached writes an opted-in
# file's pages to the SSD and a reader re-reads the file, the device is
# suspended and resumed, and its table reloaded (a new target over the same
# SSD), again and again. The file must read back the same every time, the
# new table must start empty (the SSD is volatile) and, until it is
# resumed, must not write: the old table still serves reads from that SSD.
. /tests/lib.sh
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

table=$(dmsetup table sc)
i=0
while [ $i -lt "$ROUNDS" ]; do
	sleep 1
	dmsetup suspend sc || die "suspend $i"
	dmsetup resume sc || die "resume $i"
	sleep 1
	dmsetup reload sc --table "$table" || die "reload $i"
	# Loaded, not resumed: for this second the old table still serves
	# reads from the SSD, and the new one must not write to it.
	sleep 1
	dmsetup resume sc || die "resume after reload $i"
	i=$((i + 1))
done
touch /tmp/stop
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
